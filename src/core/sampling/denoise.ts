import { InfillError, throwIfAborted } from '../errors';
import { CacheStep, LogitsModel, Proposal, ProposeRequest } from '../logitsModel';
import { Alg, Deadline, DREAM_ALGS, ResolvedSampler } from '../options';
import { HoleRules } from './holeRules';
import { proposeWith } from './propose';
import { Rng, seededRng } from './rng';
import { dreamCount, dreamTransferProbability, lladaCounts, stepsPerBlock } from './schedule';
import { aboveThreshold, drawByScore, topByScore } from './select';

export interface Commit {
  /** Index in the canvas. */
  pos: number;
  token: number;
  prob: number;
  score: number;
}

export interface Step {
  /** 1-based number of the forward pass. */
  step: number;
  /** Forward passes planned for the whole generation (with a threshold: the most there can be). */
  steps: number;
  commits: Commit[];
  /** Positions masked again (only `p2`, which may take back what it committed). */
  remasked?: number[];
}

export interface DenoiseInput {
  network: LogitsModel;
  /** The canvas; masked positions are overwritten as they are committed. */
  ids: Int32Array;
  /** The masked positions, in canvas order. */
  masked: number[];
  /** model.json logitsShifted: the row at i - 1 predicts position i. */
  shifted: boolean;
  maskTokenId: number;
  /** What the holes allow beyond the model's proposals: ends, single lines, healing (holeRules.ts). */
  rules?: HoleRules;
  sampler: ResolvedSampler;
  signal?: AbortSignal;
  /** No forward starts after this (InfillOptions.timeLimitSeconds). */
  deadline?: Deadline;
}

/**
 * The masked-diffusion loop: one forward per step over the whole canvas, a proposal for each
 * masked position of the current block, and some of them committed as the schedule says.
 */
export async function* denoise(input: DenoiseInput): AsyncGenerator<Step> {
  if (input.sampler.alg === 'p2') {
    yield* denoiseByPathPlanning(input);
    return;
  }
  const { ids, sampler: s } = input;
  const rng = seededRng(s.seed);
  const dream = (DREAM_ALGS as readonly Alg[]).includes(s.alg);
  const blockLength = s.blockLength ?? Math.max(1, input.masked.length);
  const blocks: number[][] = [];
  for (let i = 0; i < input.masked.length; i += blockLength) blocks.push(input.masked.slice(i, i + blockLength));
  // Never more steps than masked positions: a step that commits nothing still costs a forward.
  const totalSteps = s.threshold !== null ? input.masked.length : Math.min(s.steps ?? input.masked.length, input.masked.length);
  const blockSteps = stepsPerBlock(totalSteps, blocks.length);
  const planned = s.threshold !== null ? totalSteps : blockSteps.reduce((a, b) => a + b, 0);
  let forward = 0;
  const cacheId = nextCacheId++;

  try {
    for (const [b, block] of blocks.entries()) {
      const steps = blockSteps[b];
      const llada = lladaCounts(block.length, steps);
      const span = spanOf(block, input.shifted);
      // Masked positions of the block at its last full pass; null: none yet in this block.
      let maskedAtRefresh: number | null = null;
      for (let i = 0; s.threshold !== null || i < steps; i++) {
        throwIfAborted(input.signal);
        const masked = block.filter((p) => ids[p] === input.maskTokenId);
        if (masked.length === 0) break;
        const count = s.threshold !== null ? null : dream ? dreamCount(i, steps, masked.length) : llada[i];
        if (count === 0 && s.alg !== 'origin') continue;

        checkDeadline(input, forward, planned);
        input.rules?.prepare(ids);
        const refresh = refreshDue(maskedAtRefresh, masked.length, s.cacheRefresh);
        const first = b === 0 && maskedAtRefresh === null;
        const reuse = first && s.contextReuse ? (s.reuseKey ?? undefined) : undefined;
        const cache = s.cacheRefresh > 1 ? { id: cacheId, span, refresh, reuse } : undefined;
        if (refresh) maskedAtRefresh = masked.length;
        const proposals = await propose(input, masked, rng, cache);
        throwIfAborted(input.signal);
        // Positions that must wait rank below everything and never pass a threshold.
        const ranked = proposals.map((p, k) => (input.rules?.waits(masked[k], p.token, ids) ? { ...p, prob: 0, score: -Infinity } : p));
        let chosen: number[];
        if (s.threshold !== null) chosen = aboveThreshold(ranked, s.threshold);
        else if (s.alg === 'origin') chosen = originTransfers(masked.length, dreamTransferProbability(i, steps), rng);
        else if (dream && s.algTemp > 0) chosen = drawByScore(ranked, count!, s.algTemp, rng);
        else chosen = topByScore(ranked, count!);
        if (chosen.length === 0) continue;

        chosen.sort((a, b2) => masked[a] - masked[b2]);
        const commits = chosen.map((k) => ({ pos: masked[k], ...proposals[k] }));
        for (const c of commits) ids[c.pos] = c.token;
        input.rules?.settle(ids);
        forward++;
        yield { step: forward, steps: Math.max(planned, forward), commits };
      }
    }
  } finally {
    input.network.forget?.(cacheId);
  }
}

let nextCacheId = 0;

/**
 * Open-dLLM's `p2` (`_mdm_sample`, alg "p2"): every step proposes a token for each of the holes'
 * positions, committed or not; the floor(n * (1 - (i + 1) / steps)) least confident of the n are
 * masked (again, for committed ones) and the other masked ones take their proposals, while a
 * committed position that stays keeps its token.  The hole rules add what they add elsewhere: a
 * position that must wait stays masked (the least confident, and masked even past the count), and
 * steps go on past the planned ones while the rules hold one back.  As theirs, a position whose
 * proposal is the mask token itself stays masked.
 */
async function* denoiseByPathPlanning(input: DenoiseInput): AsyncGenerator<Step> {
  const { ids, sampler: s, maskTokenId: mask } = input;
  const variable = input.masked;
  const rng = seededRng(s.seed);
  const steps = s.steps ?? variable.length;
  const span = spanOf(variable, input.shifted);
  const cacheId = nextCacheId++;
  let maskedAtRefresh: number | null = null;
  // Positions the rules kept masked at the last step: only they make steps past the planned ones.
  let held = 0;
  try {
    for (let i = 0; i < steps || (held > 0 && i < steps + variable.length); i++) {
      throwIfAborted(input.signal);
      const masked = variable.filter((p) => ids[p] === mask);
      if (masked.length === 0) break;
      checkDeadline(input, i, steps);
      input.rules?.prepare(ids);
      const refresh = refreshDue(maskedAtRefresh, masked.length, s.cacheRefresh);
      const reuse = maskedAtRefresh === null && s.contextReuse ? (s.reuseKey ?? undefined) : undefined;
      const cache = s.cacheRefresh > 1 ? { id: cacheId, span, refresh, reuse } : undefined;
      if (refresh) maskedAtRefresh = masked.length;
      const proposals = await propose(input, variable, rng, cache);
      throwIfAborted(input.signal);
      const waiting = variable.map((p, k) => ids[p] === mask && input.rules?.waits(p, proposals[k].token, ids) === true);
      const { toMask, unmask } = pathPlan(
        variable.map((p, k) => ({ masked: ids[p] === mask, confidence: waiting[k] ? -Infinity : proposals[k].prob })),
        i,
        steps,
      );
      const remasked = toMask.filter((k) => ids[variable[k]] !== mask).map((k) => variable[k]);
      const commits = unmask.filter((k) => !waiting[k]).map((k) => ({ pos: variable[k], ...proposals[k] }));
      held = unmask.length - commits.length;
      for (const p of remasked) ids[p] = mask;
      for (const c of commits) ids[c.pos] = c.token;
      input.rules?.settle(ids);
      yield { step: i + 1, steps: Math.max(steps, i + 1), commits, remasked };
    }
  } finally {
    input.network.forget?.(cacheId);
  }
}

/**
 * One step of `p2` over the holes' positions (each masked or not, with its proposal's
 * confidence): which to mask and which masked ones take their proposal, as indices.  At step i
 * of `steps` it masks the floor(n * (1 - (i + 1) / steps)) least confident, the count worked out
 * in float32 as torch does; past the planned steps, none.
 */
export function pathPlan(positions: { masked: boolean; confidence: number }[], step: number, steps: number): { toMask: number[]; unmask: number[] } {
  const n = positions.length;
  const count = step < steps ? Math.floor(Math.fround(n * Math.fround(1 - (step + 1) / steps))) : 0;
  const byConfidence = positions.map((_, k) => k).sort((a, b) => positions[a].confidence - positions[b].confidence || a - b);
  const toMask = byConfidence.slice(0, Math.min(count, n)).sort((a, b) => a - b);
  const chosen = new Set(toMask);
  return { toMask, unmask: positions.flatMap((p, k) => (p.masked && !chosen.has(k) ? [k] : [])) };
}

function checkDeadline(input: DenoiseInput, forward: number, planned: number): void {
  if (input.deadline && performance.now() > input.deadline.at) {
    throw new InfillError(
      `the generation reached its time limit (timeLimitSeconds ${input.deadline.seconds}) after ${forward} of ${planned} steps, so nothing was written: ` +
        'raise timeLimitSeconds, or ask for fewer steps, shorter holes or less context',
    );
  }
}

/**
 * A generation's first forward alone, nothing committed: the network keeps the canvas's keys and
 * values as it keeps a first pass's, so a request soon after, on mostly the same canvas, runs only
 * what changed (contextReuse.ts).  Nothing to do where that cannot happen (no cache, reuse off).
 */
export async function prefill(input: DenoiseInput): Promise<void> {
  const s = input.sampler;
  if (s.cacheRefresh <= 1 || !s.contextReuse || s.reuseKey === null || input.masked.length === 0 || !input.network.forget) return;
  throwIfAborted(input.signal);
  const block = input.masked.slice(0, s.blockLength ?? input.masked.length);
  const cacheId = nextCacheId++;
  try {
    await propose(input, block, seededRng(s.seed), { id: cacheId, span: spanOf(block, input.shifted), refresh: true, reuse: s.reuseKey });
  } finally {
    input.network.forget(cacheId);
  }
}

/**
 * Fast-dLLM's dual cache refreshes at each block's start: the context's keys and values go stale as
 * the hole is written, not as steps pass (a step may decide one position or thirty). So a full pass
 * starts each block and comes again once `every` of its positions have been decided since the last
 * (committed, or filled by the hole rules); a block of at most `every` positions has one.
 */
export function refreshDue(maskedAtRefresh: number | null, masked: number, every: number): boolean {
  return maskedAtRefresh === null || maskedAtRefresh - masked >= every;
}

/** The positions a cached step runs: the block's, and for a shifted model the row before each. */
export function spanOf(block: number[], shifted: boolean): number[] {
  const span = new Set(block);
  if (shifted) for (const p of block) span.add(Math.max(0, p - 1));
  return [...span].sort((a, b) => a - b);
}

async function propose(input: DenoiseInput, masked: number[], rng: Rng, cache: CacheStep | undefined): Promise<Proposal[]> {
  const { network, ids } = input;
  const request: ProposeRequest = {
    cache,
    sampler: input.sampler,
    queries: masked.map((p) => ({
      row: input.shifted ? Math.max(0, p - 1) : p,
      allowed: input.rules?.allowedAt(p) ?? null,
      seed: Math.floor(rng() * 2 ** 32),
    })),
  };
  return proposeWith(network, ids, request, { signal: input.signal, deadline: input.deadline });
}

/** Dream's `origin`: each masked position is committed with probability p, independently. */
function originTransfers(masked: number, p: number, rng: Rng): number[] {
  const chosen: number[] = [];
  for (let k = 0; k < masked; k++) if (rng() < p) chosen.push(k);
  return chosen;
}
