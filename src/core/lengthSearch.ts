import { resizeHole } from './canvas';
import { HoleGeneration, HoleReader, holeReader } from './denoiseHoles';
import { FillDocument, resultEvent } from './result';
import { DraftEvent, DraftHole, FilledHole, InfillEvent } from './events';
import { Hole } from './holes';
import { Lockstep } from './lockstep';
import { denoise, Step } from './sampling/denoise';

/**
 * Length search: a hole of unknown length is decoded at several candidate lengths side by side,
 * each candidate its own canvas (the code after the hole moved by the difference) and its own
 * generation, their forwards shared (lockstep.ts): a forward a round for all of them.  The longest
 * candidate's first step comes first, alone, so that every other candidate's first pass runs only
 * its hole over its keys and values, the context's turned to its new positions (contextReuse.ts),
 * instead of a full pass each.  After each round the candidates that are
 * clearly losing stop; the one with the best score at the end gives the fill.
 */

/** One candidate's state after a round, as the score and the pruning read it. */
export interface Candidate {
  length: number;
  /** The searched hole's committed positions: offset in the hole -> log-probability when committed. */
  committed: Map<number, number>;
  /** Offset of the first end the searched hole committed (end of text, pad, a single-line hole's line break), or null. */
  end: number | null;
  /** Its positions still masked (the rules' padding after an end counts as decided). */
  masked: number;
  /** Its generation has ended. */
  finished: boolean;
}

/** How candidates are ranked and when they stop (the bench measures the choice). */
export interface SearchPolicy {
  /** Higher is better. */
  score(c: Candidate): number;
  /** Which of the live candidates stop after `round` (1-based), given all of them. */
  stop(round: number, live: Candidate[]): Candidate[];
}

export interface LengthSearch {
  /** Index of the searched hole among the canvas's holes. */
  hole: number;
  /** Its candidate lengths in masks. */
  lengths: number[];
  policy?: SearchPolicy;
  /** Sees every candidate after each round: the bench's record of the search. */
  observe?(round: number, candidates: readonly Candidate[]): void;
  /** The outcome also gives each candidate's fills (the bench's record; with a policy that stops none). */
  everyFill?: boolean;
}

export interface SearchOutcome {
  fills: FilledHole[];
  /** Rounds (each a forward for every live candidate), the longest candidate's first step alone counted. */
  steps: number;
  /** The chosen candidate's length. */
  length: number;
  /** With LengthSearch.everyFill: each candidate's fills, in the order of the lengths. */
  candidates?: { candidate: Candidate; fills: FilledHole[] }[];
}

/**
 * The mean log-probability of what the hole committed up to its first end, the end included:
 * the log of the fill's confidence (denoiseHoles.ts).  Tokens after the end are the rules'
 * padding, not the model's.
 */
export function meanLogProbability(c: Candidate): number {
  let sum = 0;
  let n = 0;
  for (const [offset, logp] of c.committed) {
    if (c.end !== null && offset > c.end) continue;
    sum += logp;
    n++;
  }
  return n === 0 ? -Infinity : sum / n;
}

/**
 * The rule chosen on validation cases (npm run bench prints its figures): rank by
 * meanLogProbability, and from the second round on keep the better half (rounded up) each round
 * until one is left.  A candidate's first round commits only its surest tokens, so ranking waits
 * for the second.
 */
export const HALVING: SearchPolicy = {
  score: meanLogProbability,
  stop(round, live) {
    if (round < 2 || live.length <= 1) return [];
    return [...live].sort((a, b) => meanLogProbability(b) - meanLogProbability(a)).slice(Math.ceil(live.length / 2));
  },
};

/** Candidate lengths for a hole whose usual length is `usual` masks: a geometric grid from 2 to it. */
export function candidateLengths(usual: number, ratio = 1.5): number[] {
  const lengths = new Set<number>();
  for (let l = Math.min(2, usual); l < usual; l = Math.max(l + 1, Math.round(l * ratio))) lengths.add(l);
  lengths.add(usual);
  return [...lengths];
}

/**
 * Runs the search over `g` (a canvas whose hole `search.hole` has the longest candidate length),
 * yielding a draft a round: the leading candidate's.  Returns the chosen candidate's fills.
 */
export async function* searchLength(g: HoleGeneration, search: LengthSearch): AsyncGenerator<DraftEvent, SearchOutcome> {
  const policy = search.policy ?? HALVING;
  const mask = g.model.config.maskTokenId;
  const longest = Math.max(...search.lengths);
  const lockstep = new Lockstep(g.model.network);
  // The candidates start from the longest one's pass under the request's reuseKey, or, where it
  // may not start from earlier requests, under a key of this search alone: the answer stays its own.
  const s = g.sampler;
  const sampler = { ...s, contextReuse: true, reuseKey: s.contextReuse && s.reuseKey !== null ? s.reuseKey : `length-search/${nextSearch++}` };
  const runs = await Promise.all(
    search.lengths.map(async (length) => {
      const canvas = resizeHole({ ids: g.ids, holes: g.holes }, search.hole, length, mask);
      const reader = await holeReader({ ...g, sampler, ...canvas, model: { ...g.model, network: lockstep.member() } });
      return new Run(length, canvas.holes[search.hole].start, reader);
    }),
  );
  let live = runs;
  let round = 0;
  let shown: DraftEvent | null = null;
  try {
    // The longest candidate's first step goes alone: its full pass is what the network keeps for
    // the others' first passes to start from, and its draft is as early as a fixed hole's.
    const source = runs.find((r) => r.candidate.length === longest)!;
    await lockstep.round([() => source.next()]);
    if (source.event) yield (shown = source.event);
    while (live.some((r) => !r.candidate.finished)) {
      const stepping = live.filter((r) => !r.candidate.finished);
      await lockstep.round(stepping.map((r) => () => r.next()));
      round++;
      search.observe?.(
        round,
        runs.map((r) => r.candidate),
      );
      const leader = best(live, policy);
      if (leader.event && leader.event !== shown)
        yield { ...leader.event, step: round + 1, steps: Math.max(round + 1, ...live.map((r) => r.event?.steps ?? 0)) };
      shown = leader.event;
      const stopped = new Set(
        policy.stop(
          round,
          live.map((r) => r.candidate),
        ),
      );
      for (const r of live) if (stopped.has(r.candidate)) await r.stop();
      live = live.filter((r) => !stopped.has(r.candidate));
    }
    const chosen = best(live, policy);
    const candidates = search.everyFill ? await Promise.all(runs.map(async (r) => ({ candidate: r.candidate, fills: await r.fills() }))) : undefined;
    return { fills: await chosen.fills(), steps: round + 1, length: chosen.candidate.length, candidates };
  } finally {
    await Promise.all(live.map((r) => r.stop()));
  }
}

let nextSearch = 0;

function best(runs: Run[], policy: SearchPolicy): Run {
  return runs.reduce((a, b) => (policy.score(b.candidate) > policy.score(a.candidate) ? b : a));
}

/** One candidate's generation. */
class Run {
  readonly candidate: Candidate;
  event: DraftEvent | null = null;
  private readonly steps: AsyncGenerator<Step>;
  private readonly committedProb = new Map<number, number>();
  private readonly drafts: DraftHole[];

  constructor(
    length: number,
    private readonly start: number,
    readonly reader: HoleReader,
  ) {
    this.candidate = { length, committed: new Map(), end: null, masked: length, finished: false };
    this.steps = denoise(reader.input);
    this.drafts = reader.emptyDrafts();
  }

  async next(): Promise<void> {
    const { value, done } = await this.steps.next();
    if (done) {
      this.candidate.finished = true;
      return;
    }
    this.event = await this.reader.draftEvent(value, this.committedProb, this.drafts);
    const c = this.candidate;
    const ids = this.reader.input.ids;
    for (const p of value.remasked ?? []) c.committed.delete(p - this.start);
    for (const commit of value.commits) {
      const offset = commit.pos - this.start;
      if (offset < 0 || offset >= c.length) continue;
      c.committed.set(offset, Math.log(Math.max(commit.prob, 1e-12)));
    }
    c.end = null;
    c.masked = 0;
    for (let offset = 0; offset < c.length; offset++) {
      const p = this.start + offset;
      if (ids[p] === this.reader.input.maskTokenId) c.masked++;
      else if (c.end === null && c.committed.has(offset) && this.reader.rules.ends(p, ids[p])) c.end = offset;
    }
  }

  fills(): Promise<FilledHole[]> {
    return this.reader.fills(this.committedProb);
  }

  async stop(): Promise<void> {
    await this.steps.return(undefined);
  }
}

/**
 * The hole a request's length search is for: its only hole of unknown length, a cursor with no
 * token count (a selection's own length says how long its fill is), with at least one shorter
 * candidate; -1 when the request has none, or several.
 */
export function searchedHole(holes: Hole[], canvasLengths: number[]): number {
  const unknown = holes.flatMap((h, i) => (h.tokens === undefined && h.start === h.end ? [i] : []));
  const others = holes.filter((h) => h.tokens === undefined && h.start !== h.end).length;
  return unknown.length === 1 && others === 0 && canvasLengths[unknown[0]] > 2 ? unknown[0] : -1;
}

/** A generation by length search (localEngine.ts): a draft a round, then the document with the chosen fill. */
export async function* searchGeneration(g: HoleGeneration, hole: number, document: FillDocument, started: number): AsyncGenerator<InfillEvent> {
  // A healed hole's first position spells the heal: the lengths are the fill's, that position added.
  const heal = g.holes[hole].heal ? 1 : 0;
  const lengths = candidateLengths(g.holes[hole].length - heal).map((l) => l + heal);
  const outcome = yield* searchLength(g, { hole, lengths });
  const masked = g.holes.reduce((a, h, i) => a + (i === hole ? outcome.length : h.length), 0);
  yield resultEvent(document, outcome.fills, {
    model: g.model.config.name,
    device: g.model.executionProvider,
    steps: outcome.steps,
    canvasTokens: g.ids.length - g.holes[hole].length + outcome.length,
    maskedTokens: masked,
    seed: g.sampler.seed,
    started,
  });
}
