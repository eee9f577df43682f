import * as vscode from 'vscode';

/** Whether some tab still shows the document: a document whose editors were all closed is not written to. */
export function shownInATab(document: vscode.TextDocument): boolean {
  if (document.isClosed) return false;
  const uri = document.uri.toString();
  return vscode.window.tabGroups.all.some((group) =>
    group.tabs.some((tab) => {
      const input = tab.input;
      if (input instanceof vscode.TabInputText) return input.uri.toString() === uri;
      if (input instanceof vscode.TabInputTextDiff) return input.original.toString() === uri || input.modified.toString() === uri;
      return false;
    }),
  );
}

export type WriteOutcome = 'written' | 'changed' | 'closed';

/**
 * Replaces spans of the document, as one undo step, only in the version they were computed for.
 * Through the editor the request came from while it is shown (its edit refuses another version);
 * else, while a tab still holds the document (the user switched tabs), through a workspace edit,
 * which VS Code also refuses for a document that moved on; never into a document whose tabs are closed.
 */
export async function writeSpans(editor: vscode.TextEditor, version: number, spans: { start: number; end: number }[], texts: string[]): Promise<WriteOutcome> {
  const document = editor.document;
  if (!shownInATab(document)) return 'closed';
  if (document.version !== version) return 'changed';
  const range = (span: { start: number; end: number }) => new vscode.Range(document.positionAt(span.start), document.positionAt(span.end));
  if (vscode.window.visibleTextEditors.includes(editor)) {
    try {
      const applied = await editor.edit((builder) => spans.forEach((span, i) => builder.replace(range(span), texts[i])), {
        undoStopBefore: true,
        undoStopAfter: true,
      });
      return applied ? 'written' : 'changed';
    } catch {
      // The editor went away between the check and the edit (the user switched tabs or closed it
      // at that moment): the document decides below.
    }
    if (!shownInATab(document)) return 'closed';
    if (document.version !== version) return 'changed';
  }
  try {
    const edit = new vscode.WorkspaceEdit();
    spans.forEach((span, i) => edit.replace(document.uri, range(span), texts[i]));
    return (await vscode.workspace.applyEdit(edit)) ? 'written' : 'changed';
  } catch {
    return shownInATab(document) ? 'changed' : 'closed';
  }
}
