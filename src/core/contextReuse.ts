/**
 * Keys and values carried over from an earlier canvas of the same file: an editor asks again at
 * every keystroke, and between two requests most of the context is the same tokens, some of them
 * moved (a character typed before them, lines dropped or taken in at the window's edges).  A key
 * stored after the rotary embedding moves to another position by one more rotation, so those
 * positions need not be run again; only the edit, the holes and what no longer matches are.
 *
 * It is Fast-dLLM's approximation carried across requests: a reused position's keys and values
 * in the upper layers saw the earlier canvas around it.  Only keys and values from a real full pass
 * are carried over (ContextCache.sources), so the drift never compounds from one request to the next.
 */

/** Keys and values fed beside the positions a forward runs, per layer [kvHeads, length, headDim]. */
export interface Past {
  keys: Float32Array[];
  values: Float32Array[];
  length: number;
}

/** A full pass's keys and values in canvas order, with its canvas. */
export interface CacheSource {
  ids: Int32Array;
  past: Past;
}

/** Tokens that must agree to take up a run of the earlier canvas at another offset. */
const ANCHOR = 8;

/**
 * For each position of `now`, the position of the same token in `old` (runs in the same order in
 * both), or -1.  A run goes on while the tokens agree; after a difference a new one starts only
 * where the next ANCHOR tokens occur, together, further on in `old`.
 */
export function matchCanvases(old: Int32Array, now: Int32Array): Int32Array {
  const from = new Int32Array(now.length).fill(-1);
  const starts = new Map<string, number[]>();
  for (let i = 0; i + ANCHOR <= old.length; i++) {
    const key = old.subarray(i, i + ANCHOR).join(',');
    const list = starts.get(key);
    if (list) list.push(i);
    else starts.set(key, [i]);
  }
  let last = -1;
  // The canvases' first tokens (the BOS) may start a run without an anchor; any other run needs one.
  let inRun = true;
  for (let j = 0; j < now.length; j++) {
    if (inRun && last + 1 < old.length && old[last + 1] === now[j]) {
      from[j] = ++last;
      continue;
    }
    inRun = false;
    if (j + ANCHOR > now.length) continue;
    const next = starts.get(now.subarray(j, j + ANCHOR).join(','))?.find((i) => i > last);
    if (next === undefined) continue;
    from[j] = last = next;
    inRun = true;
  }
  return from;
}

/** What a pass that reuses an earlier canvas's keys and values runs, and what it feeds as the past. */
export interface ReusePlan {
  /** Canvas positions run now, ascending: the holes' span and every position not reused. */
  run: number[];
  /** For each canvas position, the earlier canvas's position whose keys and values it takes, or -1. */
  from: Int32Array;
  /**
   * The earlier full pass's keys (turned to their new positions) and values, per layer [kvHeads,
   * earlier length, headDim]: the rows stay where they were, their positions are in the keys.
   */
  past: Past;
  /** Rows of the past no position takes: not attended. */
  hidden: number[];
}

export interface Layout {
  kvHeads: number;
  headDim: number;
  ropeTheta: number;
}

/**
 * The plan for canvas `now` over `source` (a full pass over `source.ids`), or null when fewer than
 * half of its positions could be reused: a full pass is then fresh, for at most twice the work.
 */
export function planReuse(source: CacheSource, now: Int32Array, span: number[], layout: Layout, buffer: (length: number) => Float32Array): ReusePlan | null {
  const from = matchCanvases(source.ids, now);
  for (const p of span) from[p] = -1;
  const run: number[] = [];
  const taken = new Uint8Array(source.ids.length);
  from.forEach((i, j) => (i < 0 ? run.push(j) : (taken[i] = 1)));
  if (now.length - run.length < now.length / 2) return null;
  const hidden: number[] = [];
  taken.forEach((t, i) => t || hidden.push(i));
  const moved = stretches(from);
  const turns = new Map([...new Set(moved.map((s) => s.move))].map((move) => [move, turn(move, layout)]));
  const keys = source.past.keys.map((layer) => turnedKeys(layer, buffer(layer.length), source.ids.length, moved, turns, layout));
  return { run, from, past: { keys, values: source.past.values, length: source.ids.length }, hidden };
}

/** Rows `start .. start + count` of the earlier canvas, taken by positions `move` further on. */
interface Stretch {
  start: number;
  count: number;
  move: number;
}

function stretches(from: Int32Array): Stretch[] {
  const out: Stretch[] = [];
  from.forEach((i, j) => {
    if (i < 0) return;
    const last = out.at(-1);
    if (last && last.start + last.count === i && last.move === j - i) last.count++;
    else out.push({ start: i, count: 1, move: j - i });
  });
  return out;
}

/** The rotary embedding's turn by `move` positions: cos and sin per pair of dimensions. */
function turn(move: number, layout: Layout): { cos: Float64Array; sin: Float64Array } {
  const half = layout.headDim >> 1;
  const t = { cos: new Float64Array(half), sin: new Float64Array(half) };
  for (let d = 0; d < half; d++) {
    const angle = move * layout.ropeTheta ** (-(2 * d) / layout.headDim);
    t.cos[d] = Math.cos(angle);
    t.sin[d] = Math.sin(angle);
  }
  return t;
}

/**
 * One layer's taken keys [kvHeads, length, headDim] written into `out` at their rows, each turned
 * by the rotary embedding (HF's rotate_half layout: pairs d and d + headDim/2) from its earlier
 * position to the one that takes it.  Rows no position takes are left as they are: masked.
 */
function turnedKeys(
  layer: Float32Array,
  out: Float32Array,
  length: number,
  moved: Stretch[],
  turns: Map<number, { cos: Float64Array; sin: Float64Array }>,
  { kvHeads, headDim }: Layout,
): Float32Array {
  for (const { start, count, move } of moved) {
    for (let h = 0; h < kvHeads; h++) {
      const at = (h * length + start) * headDim;
      if (move === 0) out.set(layer.subarray(at, at + count * headDim), at);
      else turnRows(layer, out, at, count * headDim, headDim, turns.get(move)!);
    }
  }
  return out;
}

function turnRows(layer: Float32Array, out: Float32Array, at: number, size: number, headDim: number, t: { cos: Float64Array; sin: Float64Array }): void {
  const half = headDim >> 1;
  const { cos, sin } = t;
  for (let row = at, end = at + size; row < end; row += headDim) {
    for (let d = 0; d < half; d++) {
      const a = layer[row + d];
      const b = layer[row + half + d];
      out[row + d] = a * cos[d] - b * sin[d];
      out[row + half + d] = b * cos[d] + a * sin[d];
    }
  }
}
