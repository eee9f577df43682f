import * as vscode from 'vscode';
import { draftAsOneLine } from '../draftText';

/**
 * Drafts drawn as an `after` decoration at the cursor: it updates in place on every step with no
 * flicker, unlike ghost text, which the stable API can only refresh by hide-and-trigger.
 */
export class DecorationDraftView implements vscode.Disposable {
  private readonly type = vscode.window.createTextEditorDecorationType({
    after: { color: new vscode.ThemeColor('editorGhostText.foreground'), fontStyle: 'italic' },
  });
  private shownIn: vscode.TextEditor | undefined;
  private drawCount = 0;

  /** Whether a draft is drawn now. */
  get visible(): boolean {
    return this.shownIn !== undefined;
  }

  /** How many drafts were drawn so far: a test counts the ones drawn after an edit. */
  get draws(): number {
    return this.drawCount;
  }

  show(document: vscode.TextDocument, position: vscode.Position, draft: string): void {
    const editor = editorOf(document);
    if (!editor) return;
    if (this.shownIn && this.shownIn !== editor) this.clear();
    this.shownIn = editor;
    this.drawCount++;
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

export function editorOf(document: vscode.TextDocument): vscode.TextEditor | undefined {
  const active = vscode.window.activeTextEditor;
  if (active?.document === document) return active;
  return vscode.window.visibleTextEditors.find((e) => e.document === document);
}
