import { codeFollowsOnLine, findMarkers, Hole, InfillRequest, Span } from '../../core';

export interface SelectionHoles {
  /** The document with the markers inside the selections removed, and one hole per place to fill. */
  request: InfillRequest;
  /** For hole i of the request, the span of the *document* its fill replaces (a marker, a selection, or a cursor). */
  replaces: Span[];
}

/**
 * The holes of Fill Selection: every `<|hole|>` marker inside a selection is a hole; a selection
 * without markers is itself a hole (a cursor: text is inserted; a span: it is rewritten).
 * Markers outside the selections stay text, so that a file can keep markers for later.
 */
export function holesFromSelections(text: string, selections: Span[]): SelectionHoles {
  const sorted = [...selections].sort((a, b) => a.start - b.start || a.end - b.end);
  const replaces: Span[] = [];
  const holes: Hole[] = [];
  let stripped = '';
  let copied = 0;
  let previousEnd = -1;
  for (const selection of sorted) {
    if (selection.start < previousEnd) continue; // VS Code merges overlapping selections; ignore any left.
    previousEnd = selection.end;
    // Throws an InfillError with line:column for a malformed marker.
    const markers = findMarkers(text, selection.start, selection.end);
    if (markers.length === 0) {
      stripped += text.slice(copied, selection.start);
      copied = selection.start;
      const singleLine = !/[\r\n]/.test(text.slice(selection.start, selection.end)) && codeFollowsOnLine(text, selection.end);
      holes.push({ start: stripped.length, end: stripped.length + (selection.end - selection.start), ...(singleLine ? { singleLine } : {}) });
      replaces.push({ ...selection });
      continue;
    }
    for (const m of markers) {
      stripped += text.slice(copied, m.start);
      copied = m.end;
      holes.push({ start: stripped.length, end: stripped.length, tokens: m.tokens, ...(m.singleLine ? { singleLine: true } : {}) });
      replaces.push({ start: m.start, end: m.end });
    }
  }
  stripped += text.slice(copied);
  // Hole spans were measured in the document; selections (not markers) keep their text, so
  // their end in the stripped text is start + length, which is what was pushed above.
  return { request: { text: stripped, holes }, replaces };
}
