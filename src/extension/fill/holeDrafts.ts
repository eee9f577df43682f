import * as vscode from 'vscode';
import { DraftEvent, Span } from '../../core';
import { draftAsOneLine } from '../draftText';

/**
 * Shows each hole's current draft in place while Fill Selection runs: the text being replaced
 * (a marker or a selection) is dimmed and struck through, and the draft follows it.
 */
export class HoleDraftDecorations implements vscode.Disposable {
  private readonly replaced = vscode.window.createTextEditorDecorationType({
    opacity: '0.45',
    textDecoration: 'line-through',
  });
  private readonly draft = vscode.window.createTextEditorDecorationType({
    after: {
      color: new vscode.ThemeColor('editorGhostText.foreground'),
      backgroundColor: new vscode.ThemeColor('diffEditor.insertedTextBackground'),
      fontStyle: 'italic',
    },
  });
  private readonly ranges: vscode.Range[];

  constructor(
    private readonly editor: vscode.TextEditor,
    spans: Span[],
  ) {
    const doc = editor.document;
    this.ranges = spans.map((s) => new vscode.Range(doc.positionAt(s.start), doc.positionAt(s.end)));
    this.editor.setDecorations(
      this.replaced,
      this.ranges.filter((r) => !r.isEmpty),
    );
  }

  show(draft: DraftEvent): void {
    const options: vscode.DecorationOptions[] = this.ranges.map((range, i) => ({
      range: new vscode.Range(range.end, range.end),
      renderOptions: { after: { contentText: draftAsOneLine(draft.holes[i]?.text ?? '') || '…' } },
    }));
    this.editor.setDecorations(this.draft, options);
  }

  dispose(): void {
    this.replaced.dispose();
    this.draft.dispose();
  }
}
