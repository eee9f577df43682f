import { InfillError } from './errors';
import { MAX_CONTEXT, MAX_HOLE_TOKENS } from './holes';

export const DREAM_ALGS = ['origin', 'maskgit_plus', 'topk_margin', 'entropy'] as const;
export const LLADA_ALGS = ['low_confidence', 'random'] as const;
export const ALGS = [...DREAM_ALGS, ...LLADA_ALGS] as const;
export type Alg = (typeof ALGS)[number];

/**
 * How the masked positions are turned into tokens. Dream's algorithms (`origin`, `maskgit_plus`,
 * `topk_margin`, `entropy`) follow Dream's step schedule; LLaDA's remasking (`low_confidence`,
 * `random`) follows LLaDA's even schedule. `blockLength` decodes the holes' positions in blocks,
 * left to right, each with an even share of the steps. `threshold` replaces the schedule by
 * Fast-dLLM's rule: commit every position whose chosen token has at least that probability,
 * and at least the most confident one.
 */
export interface SamplerSettings {
  steps?: number;
  alg?: Alg;
  temperature?: number;
  topP?: number;
  topK?: number;
  algTemp?: number;
  threshold?: number | null;
  blockLength?: number | null;
  seed?: number;
}

export type ResolvedSampler = Required<Omit<SamplerSettings, 'steps' | 'threshold' | 'blockLength'>> & {
  /** Null: one step per masked token. */
  steps: number | null;
  threshold: number | null;
  blockLength: number | null;
};

export const SAMPLER_FALLBACK: ResolvedSampler = {
  steps: null,
  alg: 'entropy',
  temperature: 0,
  topP: 1,
  topK: 0,
  algTemp: 0,
  threshold: null,
  blockLength: null,
  seed: 0,
};

/** Merges settings (later ones win; undefined leaves the earlier value) and checks every field. */
export function resolveSampler(...layers: (SamplerSettings | undefined)[]): ResolvedSampler {
  const merged: Record<string, unknown> = { ...SAMPLER_FALLBACK };
  for (const layer of layers) {
    for (const [key, value] of Object.entries(layer ?? {})) {
      if (value !== undefined) merged[key] = value;
    }
  }
  const s = merged as ResolvedSampler;
  if (!(ALGS as readonly string[]).includes(s.alg)) throw new InfillError(`unknown alg "${s.alg}": use one of ${ALGS.join(', ')}`);
  checkNumber('steps', s.steps, 1, 100000, true, true);
  checkNumber('temperature', s.temperature, 0, 100);
  checkNumber('topP', s.topP, 0, 1);
  checkNumber('topK', s.topK, 0, 1e9, false, true);
  checkNumber('algTemp', s.algTemp, 0, 100);
  checkNumber('threshold', s.threshold, 0, 1, true);
  checkNumber('blockLength', s.blockLength, 1, 100000, true, true);
  checkNumber('seed', s.seed, 0, 2 ** 32 - 1, false, true);
  if (s.topP === 0) throw new InfillError('topP must be above 0');
  return s;
}

/**
 * How long one request may run when it does not say (InfillOptions.timeLimitSeconds): steps are at
 * most the masked positions, but a long canvas on a slow machine still makes that hours.
 */
export const DEFAULT_TIME_LIMIT_SECONDS = 300;
export const MAX_TIME_LIMIT_SECONDS = 86_400;
export const MIN_TIME_LIMIT_SECONDS = 0.1;

/**
 * The canvas window's options and the request's time limit (InfillOptions beside the sampler's),
 * checked where every request passes.
 */
export function checkWindowOptions(o: { contextTokens?: number; defaultHoleTokens?: number; holeSlack?: number; timeLimitSeconds?: number }): void {
  if (o.contextTokens !== undefined) checkNumber('contextTokens', o.contextTokens, 1, MAX_CONTEXT, false, true);
  if (o.defaultHoleTokens !== undefined) checkNumber('defaultHoleTokens', o.defaultHoleTokens, 1, MAX_HOLE_TOKENS, false, true);
  if (o.holeSlack !== undefined) checkNumber('holeSlack', o.holeSlack, 0, MAX_HOLE_TOKENS, false, true);
  if (o.timeLimitSeconds !== undefined) checkNumber('timeLimitSeconds', o.timeLimitSeconds, MIN_TIME_LIMIT_SECONDS, MAX_TIME_LIMIT_SECONDS);
}

function checkNumber(name: string, value: unknown, min: number, max: number, nullable = false, integer = false): void {
  if (value === null && nullable) return;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
    throw new InfillError(`${name} must be ${integer ? 'a whole number' : 'a number'} from ${min} to ${max}${nullable ? ' (or null)' : ''}, not ${JSON.stringify(value)}`);
  }
}
