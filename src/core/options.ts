import { InfillError } from './errors';
import { BOOLEAN_OPTIONS, DEFAULT_TIME_LIMIT_SECONDS, NUMBER_OPTIONS, NumberOption, NumberOptionSpec, REUSE_KEY_OPTION } from './optionTable';

/** Sampled as Dream's `sample_tokens` does (temperature, then top-p, then top-k). */
export const DREAM_ALGS = ['origin', 'maskgit_plus', 'topk_margin', 'entropy', 'p2'] as const;
export const LLADA_ALGS = ['low_confidence', 'random'] as const;
export const ALGS = [...DREAM_ALGS, ...LLADA_ALGS] as const;
export type Alg = (typeof ALGS)[number];

/**
 * How the masked positions are turned into tokens. Dream's algorithms (`origin`, `maskgit_plus`,
 * `topk_margin`, `entropy`) follow Dream's step schedule; LLaDA's remasking (`low_confidence`,
 * `random`) follows LLaDA's even schedule. `blockLength` decodes the holes' positions in blocks,
 * left to right, each with an even share of the steps. `threshold` replaces the schedule by
 * Fast-dLLM's rule: commit every position whose chosen token has at least that probability,
 * and at least the most confident one. Open-dLLM's `p2` (path planning) plans all the holes'
 * positions at every step and may mask committed ones again (sampling/pathPlanning.ts): its own
 * schedule, so `threshold` and `blockLength` do not apply to it.
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
  /**
   * With a graph that has a context cache (model.json onnx.cache): a full pass over the canvas at
   * each block's start and again once this many of the block's masked positions have been decided
   * since the last (denoise.ts refreshDue); the steps between run only the block. 1: every step is
   * a full pass (no cache).
   */
  cacheRefresh?: number;
  /**
   * With a cache and a graph that states its rotary base (onnx.cache.ropeTheta): a generation's
   * first pass runs only the positions an earlier request's canvas does not share (contextReuse.ts).
   */
  contextReuse?: boolean;
  /** With a model that grows holes (model.json expandTokenId): the most tokens a hole may grow to. */
  expandLimit?: number;
  /**
   * A single hole of unknown length (no token count given) is decoded at several lengths side by
   * side and the best scored kept (lengthSearch.ts), instead of at its usual length cut at the end.
   */
  lengthSearch?: boolean;
  /**
   * The document, as its client names it, whose earlier requests a generation may start from
   * (contextReuse): it takes only the first passes of requests with the same key, and keeps its own
   * only for them, so one client's or one file's requests never change another's.  Unset: nothing
   * earlier is taken, and the answer depends only on the request.
   */
  reuseKey?: string | null;
  seed?: number;
}

export interface InfillOptions extends SamplerSettings {
  /** Most canvas tokens, holes included; the model's maxContext when unset. */
  contextTokens?: number;
  /** Length of a cursor hole without a hint. */
  defaultHoleTokens?: number;
  /** Extra masked tokens after the length of a replaced selection. */
  holeSlack?: number;
  /** Token healing at each hole's start (CanvasHole.heal); model.json's tokenHealing when unset. */
  tokenHealing?: boolean;
  /**
   * Most seconds one request may run (DEFAULT_TIME_LIMIT_SECONDS when unset); checked between
   * forwards, so the forward running at the limit finishes first. Past it the request fails and
   * nothing is written.
   */
  timeLimitSeconds?: number;
  /** A fill the model was less sure of than this is held back (ResultHole.heldBack); 0 when unset: none is. */
  minConfidence?: number;
}

export type ResolvedSampler = Required<Omit<SamplerSettings, 'steps' | 'threshold' | 'blockLength' | 'reuseKey'>> & {
  /** Null: one step per masked token. */
  steps: number | null;
  threshold: number | null;
  blockLength: number | null;
  reuseKey: string | null;
};

/** The sampler's values when neither the request nor model.json gives one. */
export const SAMPLER_FALLBACK: ResolvedSampler = {
  ...(Object.fromEntries(NUMBER_OPTIONS.filter((o) => o.scope === 'sampler').map((o) => [o.field, o.fallback])) as Omit<
    ResolvedSampler,
    'alg' | 'contextReuse' | 'lengthSearch' | 'reuseKey'
  >),
  alg: 'entropy',
  contextReuse: true,
  lengthSearch: false,
  reuseKey: null,
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
  for (const o of NUMBER_OPTIONS) if (o.scope === 'sampler') checkOption(o, s[o.field as keyof ResolvedSampler]);
  if (s.topP === 0) throw new OptionError('topP', 'must be above 0');
  for (const { field } of BOOLEAN_OPTIONS)
    if (field in s && typeof s[field as keyof ResolvedSampler] !== 'boolean')
      throw new InfillError(`${field} must be true or false, not ${JSON.stringify(s[field as keyof ResolvedSampler])}`);
  if (s.reuseKey !== null && (typeof s.reuseKey !== 'string' || s.reuseKey.length < 1 || s.reuseKey.length > REUSE_KEY_OPTION.maxLength)) {
    throw new InfillError(`reuseKey must be a text of 1 to ${REUSE_KEY_OPTION.maxLength} characters (or null), not ${JSON.stringify(s.reuseKey)}`);
  }
  return s;
}

/** The options beside the sampler's (the canvas window's and the result's), checked where every request passes. */
export function checkRequestOptions(o: Pick<InfillOptions, 'contextTokens' | 'defaultHoleTokens' | 'holeSlack' | 'timeLimitSeconds' | 'minConfidence'>): void {
  for (const option of NUMBER_OPTIONS) {
    const value = o[option.field as keyof typeof o];
    if (option.scope !== 'sampler' && value !== undefined) checkOption(option, value);
  }
}

function checkOption(o: NumberOptionSpec, value: unknown): void {
  if (value === null && o.nullable) return;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < o.min || value > o.max || (o.integer && !Number.isInteger(value))) {
    throw new OptionError(
      o.field,
      `must be ${o.integer ? 'a whole number' : 'a number'} from ${o.min} to ${o.max}${o.nullable ? ' (or null)' : ''}, not ${JSON.stringify(value)}`,
    );
  }
}

/** An option out of its bounds; each door (flag, body field) names the option its own way. */
export class OptionError extends InfillError {
  constructor(
    readonly field: NumberOption,
    readonly problem: string,
  ) {
    super(`${field} ${problem}`);
  }
}

/** When a request must stop (InfillOptions.timeLimitSeconds). */
export interface Deadline {
  /** performance.now() past which no forward starts. */
  at: number;
  /** The limit as the request gave it, for the message. */
  seconds: number;
}

/** When a request that started at `started` (performance.now()) must stop. */
export function deadlineFor(started: number, options: InfillOptions): Deadline {
  const seconds = options.timeLimitSeconds ?? DEFAULT_TIME_LIMIT_SECONDS;
  return { at: started + seconds * 1000, seconds };
}
