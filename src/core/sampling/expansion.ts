import { InfillError, throwIfAborted } from '../errors';
import { LogitsModel, Proposal } from '../logitsModel';
import { Deadline, ResolvedSampler } from '../options';
import { proposeWith } from './propose';
import { seededRng } from './rng';
import { drawByScore, topByScore } from './select';

/** A hole of a canvas whose length may change. */
export interface SizedHole {
  start: number;
  length: number;
  /** Grows at `[expand]` and shrinks at `[delete]` (a hole of unknown length); else its length stays. */
  grows: boolean;
  /** A line break ends it (Hole.singleLine): the masks after one go, as after a delete. */
  singleLine: boolean;
}

export interface ExpandingInput {
  network: LogitsModel;
  /** The canvas to start from (not written: each step makes a new one). */
  ids: Int32Array;
  holes: SizedHole[];
  shifted: boolean;
  maskTokenId: number;
  expandTokenId: number;
  deleteTokenId: number;
  /** The most masks and tokens a growing hole may reach (DreamOn's max_gen_len). */
  limit: number;
  lineBreakTokenIds?: Int32Array;
  sampler: ResolvedSampler;
  signal?: AbortSignal;
  deadline?: Deadline;
}

/** A step's canvas: valid until the next step is asked for. */
export interface ExpandingStep {
  step: number;
  /** At most this many steps are left in the cap: `sampler.steps` when set. */
  steps: number;
  /** The canvas and holes after the step. */
  ids: Int32Array;
  holes: SizedHole[];
  /** The position (in the new canvas, -1 when it was deleted) and token committed. */
  commit: { pos: number; token: number; prob: number };
  /** The probability each committed position of the new canvas was committed with (NaN elsewhere). */
  probs: Float64Array;
}

const DREAMON_ALGS = ['maskgit_plus', 'topk_margin', 'entropy'];

/**
 * DreamOn's decoding (`MDMGenerator.batch_generate_with_expand_as_token` in DreamLM/DreamOn's
 * eval/generator.py): one position a step, the most confident of the masked ones (or drawn with
 * alg_temp), over a canvas whose holes change size:
 * - a mask that becomes `[expand]` is replaced by two masks (the hole grows by one), while the
 *   hole is below `limit` and has expansions left (as many as `limit`); past that `[expand]`
 *   cannot be chosen, as their logit is lowered by 1e9;
 * - a mask that becomes `[delete]` (DreamOn: its end of text) turns the masks after it in its hole
 *   into deletes too, and every delete written this step is removed (the hole shrinks; committed
 *   tokens after it stay).
 * A hole whose length is given does neither (their `batch_generate`). Our additions: holes are
 * handled one by one (theirs runs one hole), and a line break in a single-line hole removes the
 * masks after it as a delete would, itself kept (the fill is cut there).
 */
export async function* denoiseExpanding(input: ExpandingInput): AsyncGenerator<ExpandingStep> {
  const s = input.sampler;
  if (!DREAMON_ALGS.includes(s.alg)) throw new InfillError(`alg ${s.alg} cannot grow a hole: DreamOn's rules take ${DREAMON_ALGS.join(', ')}`);
  const { maskTokenId: mask, expandTokenId: expand, deleteTokenId: del } = input;
  const rng = seededRng(s.seed);
  const lineBreaks = new Set(input.lineBreakTokenIds ?? []);
  let ids = Int32Array.from(input.ids);
  let probs = new Float64Array(ids.length).fill(NaN);
  let holes = input.holes.map((h) => ({ ...h }));
  const budget = holes.map((h) => (h.grows ? input.limit : 0));
  const cap = s.steps ?? Infinity;
  const noExpand = new Uint8Array(input.network.vocabSize).fill(1);
  noExpand[expand] = 0;
  for (let step = 1; step <= cap; step++) {
    throwIfAborted(input.signal);
    const masked = holes.flatMap((h, k) => positionsOf(h).flatMap((p) => (ids[p] === mask ? [{ p, k }] : [])));
    if (masked.length === 0) break;
    if (input.deadline && performance.now() > input.deadline.at) {
      throw new InfillError(
        `the generation reached its time limit (timeLimitSeconds ${input.deadline.seconds}) after ${step - 1} steps, so nothing was written: ` +
          'raise timeLimitSeconds, or ask for shorter holes or less context',
      );
    }
    const mayExpand = holes.map((h, k) => h.grows && h.length < input.limit && budget[k] > 0);
    const queries = masked.map(({ p, k }) => ({
      row: input.shifted ? Math.max(0, p - 1) : p,
      allowed: mayExpand[k] ? null : noExpand,
      seed: Math.floor(rng() * 2 ** 32),
    }));
    const proposals: Proposal[] = await proposeWith(input.network, ids, { sampler: s, queries });
    throwIfAborted(input.signal);
    const [chosen] = s.algTemp > 0 ? drawByScore(proposals, 1, s.algTemp, rng) : topByScore(proposals, 1);
    const { p: pos, k } = masked[chosen];
    const { token, prob } = proposals[chosen];
    ids[pos] = token;
    probs[pos] = prob;
    const h = holes[k];
    let at = pos;
    const ends = token === del || (h.singleLine && lineBreaks.has(token));
    const after = positionsOf(h).filter((p) => p > pos && ids[p] === mask);
    if (token === expand) {
      ({ ids, probs, holes } = splice(ids, probs, holes, k, pos, [mask, mask]));
      budget[k]--;
    } else if (ends && h.grows) {
      // Their pad_eos_to_right, then delete_eos_token: the masks after the delete become deletes,
      // and every delete written this step goes.  After a line break only the masks go.
      const gone = token === del ? [pos, ...after] : after;
      if (token === del) at = -1;
      for (const p of gone.reverse()) ({ ids, probs, holes } = splice(ids, probs, holes, k, p, []));
    } else if (ends) {
      // A hole of given length ends here, as elsewhere: the rest is padding, cut from the fill.
      for (const p of after) ids[p] = del;
    }
    yield { step, steps: Number.isFinite(cap) ? cap : step, ids, holes, commit: { pos: at, token, prob }, probs };
  }
}

function positionsOf(h: SizedHole): number[] {
  return Array.from({ length: h.length }, (_, i) => h.start + i);
}

/** The canvas with position `at` (in hole k) replaced by `insert` (none: removed), the holes after it moved. */
function splice(ids: Int32Array, probs: Float64Array, holes: SizedHole[], k: number, at: number, insert: number[]) {
  const move = insert.length - 1;
  const out = new Int32Array(ids.length + move);
  out.set(ids.subarray(0, at));
  out.set(insert, at);
  out.set(ids.subarray(at + 1), at + insert.length);
  const outProbs = new Float64Array(out.length).fill(NaN);
  outProbs.set(probs.subarray(0, at));
  outProbs.set(probs.subarray(at + 1), at + insert.length);
  return {
    ids: out,
    probs: outProbs,
    holes: holes.map((h, i) => (i === k ? { ...h, length: h.length + move } : i > k ? { ...h, start: h.start + move } : h)),
  };
}
