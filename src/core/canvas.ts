import { InfillError } from './errors';
import { Hole, MAX_HOLE_TOKENS } from './holes';
import { TextTokenizer } from './tokenizer';

export interface CanvasOptions {
  /** Most tokens in the canvas, holes included. */
  maxTokens: number;
  /** Length of a hole that replaces nothing and has no hint. */
  defaultHoleTokens: number;
  /** Extra masked tokens after the length of the replaced text, cut at end-of-text or pad. */
  holeSlack: number;
  maskTokenId: number;
  bosTokenId: number | null;
  /** Token healing: the context's last token before each hole moves into the hole (see CanvasHole.heal). */
  heal?: boolean;
}

/** Where a hole's masked positions sit in the canvas. */
export interface CanvasHole {
  start: number;
  length: number;
  /** No line break may be written here (Hole.singleLine). */
  singleLine: boolean;
  /**
   * Text of the context's last token before the hole, taken off the context: the fill is written
   * starting with it, so that the model is not stuck after a token the document's text may only
   * begin (the line break and indentation before `}`, `ba` in `foo.ba|`).  Not part of the fill.
   */
  heal: string;
}

/**
 * The model's input: the context around the holes (trimmed to a window of whole lines that fits
 * the budget) with mask tokens where the holes are.
 */
export interface Canvas {
  ids: Int32Array;
  holes: CanvasHole[];
  /** The context text kept before, between and after the holes: holes.length + 1 pieces. */
  context: string[];
}

// tools/model/references/canvas.py builds the training examples and the torch decoder's canvases by these
// rules; its test (tools/model/tests/test_canvas.py, npm run test:model) fails when the two differ.
export async function buildCanvas(text: string, holes: Hole[], tokenizer: TextTokenizer, options: CanvasOptions): Promise<Canvas> {
  const lengths = await Promise.all(holes.map((hole) => holeLength(text, hole, tokenizer, options)));
  const holeTokens = lengths.reduce((a, b) => a + b, 0);
  const budget = options.maxTokens - holeTokens - (options.bosTokenId === null ? 0 : 1);
  if (budget < 0) {
    throw new InfillError(`the holes need ${holeTokens} tokens but the canvas holds ${options.maxTokens}: make them shorter or fewer`);
  }
  const segments = holes.map((hole, i) => text.slice(i === 0 ? 0 : holes[i - 1].end, hole.start));
  segments.push(text.slice(holes[holes.length - 1].end));
  const { context, tokens } = await fitWindow(segments, tokenizer, budget);
  const heals = await Promise.all(lengths.map((_, i) => (options.heal ? takeHeal(context, tokens, i, tokenizer) : '')));

  const ids: number[] = options.bosTokenId === null ? [] : [options.bosTokenId];
  const canvasHoles: CanvasHole[] = [];
  tokens.forEach((segment, i) => {
    ids.push(...segment);
    if (i < lengths.length) {
      const length = lengths[i] + (heals[i] ? 1 : 0);
      canvasHoles.push({ start: ids.length, length, singleLine: holes[i].singleLine === true, heal: heals[i] });
      for (let k = 0; k < length; k++) ids.push(options.maskTokenId);
    }
  });
  return { ids: Int32Array.from(ids), holes: canvasHoles, context };
}

/** Takes the last token of the context before hole i off the context, and returns its text. */
async function takeHeal(context: string[], tokens: number[][], i: number, tokenizer: TextTokenizer): Promise<string> {
  const last = tokens[i].at(-1);
  if (last === undefined) return '';
  const text = await tokenizer.decode([last]);
  // A token that decodes to exactly the context's end (not a piece of a character).  It may hold
  // the line break before the hole: byte-level BPE merges it with the indentation after it.
  if (text === '' || !context[i].endsWith(text)) return '';
  tokens[i] = tokens[i].slice(0, -1);
  context[i] = context[i].slice(0, context[i].length - text.length);
  return text;
}

/** The masks a hole gets: its token count when given, else the default for a cursor, else the replaced text's tokens and the slack. */
export async function holeLength(
  text: string,
  hole: Hole,
  tokenizer: TextTokenizer,
  options: Pick<CanvasOptions, 'defaultHoleTokens' | 'holeSlack'>,
): Promise<number> {
  if (hole.tokens !== undefined) return hole.tokens;
  if (hole.end === hole.start) return options.defaultHoleTokens;
  const replaced = await countTokensUpTo(text.slice(hole.start, hole.end), tokenizer, MAX_HOLE_TOKENS);
  return Math.min(MAX_HOLE_TOKENS, replaced + options.holeSlack);
}

/**
 * The tokens of `text`, or at least `cap` when it has more: a selection of a whole large file is
 * sized by the lines it takes to pass the cap, not by tokenizing all of it.
 */
export async function countTokensUpTo(text: string, tokenizer: TextTokenizer, cap: number): Promise<number> {
  // A text this short costs little to count whole, and exactly.
  if (text.length <= cap * 4) return (await tokenizer.encode(text)).length;
  let count = 0;
  let at = 0;
  while (at < text.length && count < cap) {
    const chunkEnd = text.indexOf('\n', at + cap);
    const end = chunkEnd === -1 ? text.length : chunkEnd + 1;
    count += (await tokenizer.encode(text.slice(at, end))).length;
    at = end;
  }
  return count;
}

/** One side of a segment that grows away from a hole, a line at a time. */
interface Edge {
  segment: number;
  /** 'tail' grows backwards from the segment's end (towards the hole after it); 'head' forwards. */
  side: 'head' | 'tail';
  taken: number;
  open: boolean;
}

/** A line costing more than this share of the window's budget is long: it is cut rather than left out with all beyond it. */
const LONG_LINE_SHARE = 4;

/** The part of `line` nearest the hole (its start for a head edge, its end for a tail) of at most `tokens` tokens. */
async function cutToTokens(line: string, tokens: number, side: 'head' | 'tail', tokenizer: TextTokenizer): Promise<{ line: string; cost: number }> {
  const cut = (n: number) => (side === 'head' ? line.slice(0, n) : line.slice(line.length - n));
  let n = line.length;
  let piece = line;
  let cost = (await tokenizer.encode(piece)).length;
  while (cost > tokens) {
    n = Math.min(n - 1, Math.floor((n * tokens) / cost));
    piece = cut(n);
    cost = (await tokenizer.encode(piece)).length;
  }
  return { line: piece, cost };
}

/**
 * Keeps, for every segment, the whole lines nearest its holes, growing all edges in turn until the
 * budget is spent; a long line is cut to its part nearest the hole (LONG_LINE_SHARE).  Only lines
 * near the holes are tokenized, so a huge file costs what a small one does.
 */
async function fitWindow(segments: string[], tokenizer: TextTokenizer, budget: number): Promise<{ context: string[]; tokens: number[][] }> {
  const lines = segments.map((s) => (s.length === 0 ? [] : s.split(/(?<=\n)/)));
  const last = segments.length - 1;
  const edges: Edge[] = [];
  segments.forEach((_, i) => {
    if (i > 0) edges.push({ segment: i, side: 'head', taken: 0, open: true });
    if (i < last) edges.push({ segment: i, side: 'tail', taken: 0, open: true });
  });
  const kept = lines.map((l) => ({ head: 0, tail: 0, total: l.length }));
  // A line longer than this many characters per remaining token cannot fit: cut it to the part
  // nearest the hole before tokenizing it.
  const CHARS_PER_TOKEN_BOUND = 8;
  const longLine = Math.floor(budget / LONG_LINE_SHARE);
  let remaining = budget;
  while (edges.some((e) => e.open)) {
    for (const edge of edges) {
      if (!edge.open) continue;
      const k = kept[edge.segment];
      if (k.head + k.tail >= k.total) {
        edge.open = false;
        continue;
      }
      const index = edge.side === 'head' ? k.head : k.total - 1 - k.tail;
      let line = lines[edge.segment][index];
      // No token holds more than CHARS_PER_TOKEN_BOUND characters: a line this long costs more than longLine.
      const long = line.length > longLine * CHARS_PER_TOKEN_BOUND;
      const limit = Math.max(1, remaining) * CHARS_PER_TOKEN_BOUND;
      if (line.length > limit) {
        line = edge.side === 'head' ? line.slice(0, limit) : line.slice(line.length - limit);
        lines[edge.segment][index] = line;
      }
      let cost = (await tokenizer.encode(line)).length;
      if (cost > remaining) {
        // An ordinary line that does not fit ends its edge; a long one (a string literal, minified
        // code) is cut to its part nearest the hole, and the lines beyond it still get their turn.
        const room = Math.min(remaining, longLine);
        if (!(long || cost > longLine) || room === 0) {
          edge.open = false;
          continue;
        }
        ({ line, cost } = await cutToTokens(line, room, edge.side, tokenizer));
        if (cost === 0) {
          edge.open = false;
          continue;
        }
        lines[edge.segment][index] = line;
      }
      remaining -= cost;
      if (edge.side === 'head') k.head++;
      else k.tail++;
    }
  }
  // Tokenizing whole segments can merge across line ends differently from line by line: drop the
  // farthest line of the largest segment until the exact count fits.
  for (;;) {
    const context = lines.map((l, i) => keptText(l, kept[i]));
    const tokens = await Promise.all(context.map((c) => tokenizer.encode(c)));
    const total = tokens.reduce((a, t) => a + t.length, 0);
    if (total <= budget) return { context, tokens };
    const largest = tokens.reduce((best, t, i) => (t.length > tokens[best].length ? i : best), 0);
    const k = kept[largest];
    if (largest === 0 || (largest < last && k.tail > k.head)) k.tail--;
    else k.head--;
  }
}

function keptText(lines: string[], k: { head: number; tail: number; total: number }): string {
  if (k.head + k.tail >= k.total) return lines.join('');
  return lines.slice(0, k.head).join('') + lines.slice(k.total - k.tail).join('');
}

/**
 * The canvas with hole `index` `length` masks long (a heal's own position included when it has
 * one) and the holes after it moved by the difference: a length search's candidates, and a hole
 * that grows or shrinks (DreamOn).  The context is the same tokens.
 */
export function resizeHole(canvas: Pick<Canvas, 'ids' | 'holes'>, index: number, length: number, fill: number): Pick<Canvas, 'ids' | 'holes'> {
  const hole = canvas.holes[index];
  const kept = Math.min(hole.length, length);
  const end = hole.start + hole.length;
  const ids = new Int32Array(canvas.ids.length - hole.length + length);
  ids.set(canvas.ids.subarray(0, hole.start + kept));
  ids.fill(fill, hole.start + kept, hole.start + length);
  ids.set(canvas.ids.subarray(end), hole.start + length);
  const move = length - hole.length;
  const holes = canvas.holes.map((h, i) => (i === index ? { ...h, length } : i > index ? { ...h, start: h.start + move } : h));
  return { ids, holes };
}
