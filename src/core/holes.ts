import { InfillError } from './errors';
import { singleLineFill } from './fillRules/singleLine';

/** A span of document offsets (UTF-16), end exclusive. */
export interface Span {
  start: number;
  end: number;
}

/** A span of the document that the model must write. Offsets are UTF-16 indices into the text. */
export interface Hole extends Span {
  /** Exclusive. Equal to `start` for a cursor; the text in between is replaced. */
  end: number;
  /** Exact length in tokens, when the caller knows it (a marker's hint, a rewrite at its current length). */
  tokens?: number;
  /**
   * The fill stays on one line: the model may not write a line break in it (an inline completion
   * with code after the cursor, or a line the caller asks for).
   */
  singleLine?: boolean;
}

/** What the editor (or the CLI) hands to the engine: the document and its holes. */
export interface InfillRequest {
  text: string;
  holes: Hole[];
}

export const MAX_HOLE_TOKENS = 4096;
/** The longest canvas a model or a request may ask for (Qwen2.5's longest context is 131,072). */
export const MAX_CONTEXT = 131_072;

const MARKER_START = '<|hole';
const MARKER = /^<\|hole(?::(\d+))?\|>/;

/** A `<|hole|>` or `<|hole:N|>` marker where it stands in the text. */
export interface Marker extends Span {
  /** N of `<|hole:N|>`. */
  tokens?: number;
  /** Code follows the marker on its line: its hole completes only that line. */
  singleLine: boolean;
}

/** The markers of `text` (only within [from, to) when given), in order; a malformed one is an InfillError with its place. */
export function findMarkers(text: string, from = 0, to = text.length): Marker[] {
  const markers: Marker[] = [];
  let at = text.indexOf(MARKER_START, from);
  while (at !== -1 && at < to) {
    const match = MARKER.exec(text.slice(at, at + 32));
    if (!match || at + match[0].length > to) {
      throw new InfillError(`${where(text, at)}: malformed hole marker ${quote(text, at)}: write <|hole|> or <|hole:N|> with N tokens`);
    }
    const hint = match[1] === undefined ? undefined : Number(match[1]);
    if (hint !== undefined && (!Number.isInteger(hint) || hint < 1 || hint > MAX_HOLE_TOKENS)) {
      throw new InfillError(`${where(text, at)}: hole length ${match[1]} is out of range: use 1 to ${MAX_HOLE_TOKENS} tokens`);
    }
    const end = at + match[0].length;
    markers.push({ start: at, end, tokens: hint, singleLine: codeFollowsOnLine(text, end) });
    at = text.indexOf(MARKER_START, end);
  }
  return markers;
}

/**
 * Finds the `<|hole|>` and `<|hole:N|>` markers of `text` (only within [from, to) when given),
 * removes them, and returns the text without them plus a hole at each marker's place (single-line
 * where code follows the marker on its line).
 */
export function parseMarkers(text: string, from = 0, to = text.length): InfillRequest {
  return withoutMarkers(text, findMarkers(text, from, to));
}

/** The text less the given markers, with a hole where each stood. */
export function withoutMarkers(text: string, markers: Marker[]): InfillRequest {
  const holes: Hole[] = [];
  let out = '';
  let copied = 0;
  for (const m of markers) {
    out += text.slice(copied, m.start);
    copied = m.end;
    holes.push({ start: out.length, end: out.length, tokens: m.tokens, ...(m.singleLine ? { singleLine: true } : {}) });
  }
  out += text.slice(copied);
  return { text: out, holes };
}

/**
 * True when code follows `offset` on its line.  A hole there completes only that line (as Copilot
 * does mid-line): markers, selections and the inline cursor become single-line holes by this rule.
 */
export function codeFollowsOnLine(text: string, offset: number): boolean {
  return lineAfter(text, offset).trim() !== '';
}

/** The text after `offset` on its line. */
export function lineAfter(text: string, offset: number): string {
  return singleLineFill(text.slice(offset));
}

/** Checks that holes lie inside the text, in order and without overlap; returns them sorted. */
export function validateHoles(request: InfillRequest): Hole[] {
  if (request.holes.length === 0) {
    throw new InfillError('nothing to fill: the text has no holes (type <|hole|> where code should go, or select a span)');
  }
  const holes = [...request.holes].sort((a, b) => a.start - b.start || a.end - b.end);
  let previousEnd = 0;
  for (const hole of holes) {
    if (!Number.isInteger(hole.start) || !Number.isInteger(hole.end) || hole.start < 0 || hole.end < hole.start || hole.end > request.text.length) {
      throw new InfillError(`hole [${hole.start}, ${hole.end}) is outside the text (length ${request.text.length})`);
    }
    const split = [hole.start, hole.end].find((at) => splitsCharacter(request.text, at));
    if (split !== undefined) {
      throw new InfillError(
        `hole [${hole.start}, ${hole.end}) cuts the character at ${where(request.text, split - 1)} in two (offset ${split} falls inside a UTF-16 surrogate pair): offsets must fall between characters`,
      );
    }
    if (hole.start < previousEnd) {
      throw new InfillError(`holes overlap at ${where(request.text, hole.start)}`);
    }
    if (hole.tokens !== undefined && (!Number.isInteger(hole.tokens) || hole.tokens < 1 || hole.tokens > MAX_HOLE_TOKENS)) {
      throw new InfillError(`hole length ${hole.tokens} is out of range: use 1 to ${MAX_HOLE_TOKENS} tokens`);
    }
    if (hole.singleLine && /[\r\n]/.test(request.text.slice(hole.start, hole.end))) {
      throw new InfillError(`the single-line hole at ${where(request.text, hole.start)} replaces more than one line`);
    }
    previousEnd = hole.end;
  }
  return holes;
}

/** True when `offset` falls between the two halves of a surrogate pair (a character outside the BMP). */
function splitsCharacter(text: string, offset: number): boolean {
  const before = text.charCodeAt(offset - 1);
  const after = text.charCodeAt(offset);
  return before >= 0xd800 && before <= 0xdbff && after >= 0xdc00 && after <= 0xdfff;
}

/** Replaces each hole's span by its fill. */
export function applyFills(text: string, holes: Hole[], fills: string[]): string {
  let out = '';
  let copied = 0;
  holes.forEach((hole, i) => {
    out += text.slice(copied, hole.start) + fills[i];
    copied = hole.end;
  });
  return out + text.slice(copied);
}

/** "line:column", both 1-based, of an offset. */
export function where(text: string, offset: number): string {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  const column = offset - (before.lastIndexOf('\n') + 1) + 1;
  return `${line}:${column}`;
}

function quote(text: string, at: number): string {
  const end = text.indexOf('\n', at);
  return JSON.stringify(text.slice(at, Math.min(end === -1 ? text.length : end, at + 24)));
}
