import * as vscode from 'vscode';
import { draftAsOneLine } from '../draftText';

/** Where an inline generation's drafts go while the model works. */
export interface InlineDraftView extends vscode.Disposable {
  show(document: vscode.TextDocument, position: vscode.Position, draft: string): void;
  clear(): void;
}

/**
 * Drafts drawn as an `after` decoration at the cursor: it updates in place on every step with no
 * flicker, unlike ghost text, which the stable API can only refresh by hide-and-trigger.
 */
export class DecorationDraftView implements InlineDraftView {
  private readonly type = vscode.window.createTextEditorDecorationType({
    after: { color: new vscode.ThemeColor('editorGhostText.foreground'), fontStyle: 'italic' },
  });
  private shownIn: vscode.TextEditor | undefined;

  show(document: vscode.TextDocument, position: vscode.Position, draft: string): void {
    const editor = editorOf(document);
    if (!editor) return;
    if (this.shownIn && this.shownIn !== editor) this.clear();
    this.shownIn = editor;
    editor.setDecorations(this.type, [
      { range: new vscode.Range(position, position), renderOptions: { after: { contentText: draftAsOneLine(draft) || '…' } } },
    ]);
  }

  clear(): void {
    this.shownIn?.setDecorations(this.type, []);
    this.shownIn = undefined;
  }

  dispose(): void {
    this.type.dispose();
  }
}

/**
 * Drafts shown as real ghost text: after each step the suggestion is hidden and asked for again,
 * and the provider answers with the newest draft. Kept for comparison (setting
 * `diffusionInfill.inline.drafts: "ghostText"`); see docs/extension.md for the flicker it causes.
 * Refreshes are coalesced: while one is in flight, newer drafts only mark another as wanted.
 */
export class GhostTextDraftView implements InlineDraftView {
  private inFlight = false;
  private wanted = false;

  show(): void {
    this.refresh();
  }

  clear(): void {
    this.wanted = false;
  }

  /** Ask VS Code for the suggestion again (used also to show the final text after the drafts). */
  refresh(): void {
    if (this.inFlight) {
      this.wanted = true;
      return;
    }
    this.inFlight = true;
    void (async () => {
      try {
        await vscode.commands.executeCommand('editor.action.inlineSuggest.hide');
        await vscode.commands.executeCommand('editor.action.inlineSuggest.trigger');
      } finally {
        this.inFlight = false;
        if (this.wanted) {
          this.wanted = false;
          this.refresh();
        }
      }
    })();
  }

  dispose(): void {
    this.wanted = false;
  }
}

export function editorOf(document: vscode.TextDocument): vscode.TextEditor | undefined {
  const active = vscode.window.activeTextEditor;
  if (active?.document === document) return active;
  return vscode.window.visibleTextEditors.find((e) => e.document === document);
}
