import { codeFollowsOnLine, Hole, InfillRequest, parseMarkers } from '../../core';

/** A span of document offsets (UTF-16), end exclusive. */
export interface Span {
  start: number;
  end: number;
}

export interface SelectionHoles {
  /** The document with the markers inside the selections removed, and one hole per place to fill. */
  request: InfillRequest;
  /** For hole i of the request, the span of the *document* its fill replaces (a marker, a selection, or a cursor). */
  replaces: Span[];
}

const MARKER = /<\|hole(?::(\d+))?\|>/g;

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
    const markers = parseMarkers(text, selection.start, selection.end).holes.length;
    if (markers === 0) {
      stripped += text.slice(copied, selection.start);
      copied = selection.start;
      const singleLine = !/[\r\n]/.test(text.slice(selection.start, selection.end)) && codeFollowsOnLine(text, selection.end);
      holes.push({ start: stripped.length, end: stripped.length + (selection.end - selection.start), ...(singleLine ? { singleLine } : {}) });
      replaces.push({ ...selection });
      continue;
    }
    MARKER.lastIndex = selection.start;
    for (let m = MARKER.exec(text); m && m.index + m[0].length <= selection.end; m = MARKER.exec(text)) {
      stripped += text.slice(copied, m.index);
      copied = m.index + m[0].length;
      const singleLine = codeFollowsOnLine(text, copied);
      holes.push({ start: stripped.length, end: stripped.length, tokens: m[1] === undefined ? undefined : Number(m[1]), ...(singleLine ? { singleLine } : {}) });
      replaces.push({ start: m.index, end: copied });
    }
  }
  stripped += text.slice(copied);
  // Hole spans were measured in the document; selections (not markers) keep their text, so
  // their end in the stripped text is start + length, which is what was pushed above.
  return { request: { text: stripped, holes }, replaces };
}
