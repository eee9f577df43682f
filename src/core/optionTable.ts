import { MAX_CONTEXT, MAX_HOLE_TOKENS } from './holes';

/** Measured on the validation cases (tools/model/evaluation/eval_heldout.py --cache-refresh): see docs/model-folder.md. */
export const CACHE_REFRESH = 32;

/**
 * How long one request may run when it does not say (InfillOptions.timeLimitSeconds): steps are at
 * most the masked positions, but a long canvas on a slow machine still makes that hours.
 */
export const DEFAULT_TIME_LIMIT_SECONDS = 300;
export const MAX_TIME_LIMIT_SECONDS = 86_400;
export const MIN_TIME_LIMIT_SECONDS = 0.1;

/** A numeric field of InfillOptions. */
export type NumberOption =
  | 'steps'
  | 'temperature'
  | 'topP'
  | 'topK'
  | 'algTemp'
  | 'threshold'
  | 'blockLength'
  | 'cacheRefresh'
  | 'expandLimit'
  | 'seed'
  | 'contextTokens'
  | 'defaultHoleTokens'
  | 'holeSlack'
  | 'timeLimitSeconds'
  | 'minConfidence';

/**
 * One option of a generation (InfillOptions), as it enters at each door: the bounds the engine
 * checks, the value used when neither the request nor model.json gives one, the CLI flag, the
 * HTTP body fields (the first is the one messages name), and the VS Code setting that passes it
 * through unchanged. Adding an option is adding a row here (and its field in InfillOptions).
 */
export interface NumberOptionSpec {
  field: NumberOption;
  /**
   * The sampler's (resolveSampler, with model.json's defaults under it), the canvas window's, or the
   * result's (both checked by checkRequestOptions).
   */
  scope: 'sampler' | 'window' | 'result';
  /** `--flag` of `fill` and `serve`; none: not on the command line. */
  flag?: string;
  /** POST /v1/infill body fields that set it (camelCase; the flag's spelling and snake_case are read as camelCase). */
  http: readonly string[];
  integer: boolean;
  min: number;
  max: number;
  /** null is a value of its own (no threshold, no blocks, one step per masked token). */
  nullable: boolean;
  /** The engine's value when neither request nor model.json sets one; undefined: the model's own (contextTokens: maxContext). */
  fallback: number | null | undefined;
  /** `diffusionInfill.<key>` and its contributed default (package.json); none: no setting. */
  setting?: { key: string; default: number | null };
  /** One line for the CLI's usage. */
  description: string;
}

export const NUMBER_OPTIONS: readonly NumberOptionSpec[] = [
  {
    field: 'steps',
    scope: 'sampler',
    flag: 'steps',
    http: ['steps'],
    integer: true,
    min: 1,
    max: 100000,
    nullable: true,
    fallback: null,
    setting: { key: 'sampler.steps', default: null },
    description: "Denoising steps; the model's default, else one per masked token",
  },
  {
    field: 'temperature',
    scope: 'sampler',
    flag: 'temperature',
    http: ['temperature'],
    integer: false,
    min: 0,
    max: 100,
    nullable: false,
    fallback: 0,
    setting: { key: 'sampler.temperature', default: null },
    description: 'Sampling temperature; 0 is greedy',
  },
  {
    field: 'topP',
    scope: 'sampler',
    flag: 'top-p',
    http: ['topP'],
    integer: false,
    min: 0,
    max: 1,
    nullable: false,
    fallback: 1,
    description: 'Nucleus sampling: keep the most probable tokens up to this mass',
  },
  {
    field: 'topK',
    scope: 'sampler',
    flag: 'top-k',
    http: ['topK'],
    integer: true,
    min: 0,
    max: 1e9,
    nullable: false,
    fallback: 0,
    description: 'Keep only the k most probable tokens; 0 keeps all',
  },
  {
    field: 'algTemp',
    scope: 'sampler',
    flag: 'alg-temp',
    http: ['algTemp'],
    integer: false,
    min: 0,
    max: 100,
    nullable: false,
    fallback: 0,
    description: "Temperature of Dream's choice of positions to commit; 0 takes the surest",
  },
  {
    field: 'threshold',
    scope: 'sampler',
    flag: 'threshold',
    http: ['threshold'],
    integer: false,
    min: 0,
    max: 1,
    nullable: true,
    fallback: null,
    setting: { key: 'sampler.threshold', default: null },
    description: 'Commit every position at least this confident (Fast-dLLM) instead of following the step schedule',
  },
  {
    field: 'blockLength',
    scope: 'sampler',
    flag: 'block-length',
    http: ['blockLength'],
    integer: true,
    min: 1,
    max: 100000,
    nullable: true,
    fallback: null,
    setting: { key: 'sampler.blockLength', default: null },
    description: 'Decode the holes in blocks of this many tokens, left to right, instead of all at once',
  },
  {
    field: 'cacheRefresh',
    scope: 'sampler',
    flag: 'cache-refresh',
    http: ['cacheRefresh'],
    integer: true,
    min: 1,
    max: 100000,
    nullable: false,
    fallback: CACHE_REFRESH,
    setting: { key: 'sampler.cacheRefresh', default: null },
    description:
      'With a graph that has a context cache: a full pass at each block start and again once this many of its masked tokens are decided, the steps between over the cache (1: no cache)',
  },
  {
    field: 'expandLimit',
    scope: 'sampler',
    flag: 'expand-limit',
    http: ['expandLimit'],
    integer: true,
    min: 1,
    max: MAX_HOLE_TOKENS,
    nullable: false,
    fallback: 64,
    description:
      "With a model that grows holes (model.json expandTokenId, DreamOn): the most tokens a hole of unknown length may grow to (DreamOn's max_gen_len)",
  },
  {
    field: 'seed',
    scope: 'sampler',
    flag: 'seed',
    http: ['seed'],
    integer: true,
    min: 0,
    max: 2 ** 32 - 1,
    nullable: false,
    fallback: 0,
    description: 'Seed of the sampler',
  },
  {
    field: 'contextTokens',
    scope: 'window',
    flag: 'context-tokens',
    http: ['contextTokens'],
    integer: true,
    min: 1,
    max: MAX_CONTEXT,
    nullable: false,
    fallback: undefined,
    setting: { key: 'context.tokens', default: 1024 },
    description: "Most tokens of context, holes included; the model's maxContext by default",
  },
  {
    field: 'defaultHoleTokens',
    scope: 'window',
    flag: 'hole-tokens',
    http: ['holeTokens', 'defaultHoleTokens'],
    integer: true,
    min: 1,
    max: MAX_HOLE_TOKENS,
    nullable: false,
    fallback: 32,
    description: 'Tokens of a hole without a length (<|hole|>)',
  },
  {
    field: 'holeSlack',
    scope: 'window',
    http: ['holeSlack'],
    integer: true,
    min: 0,
    max: MAX_HOLE_TOKENS,
    nullable: false,
    fallback: 8,
    description: 'Extra masked tokens after the length of a replaced span',
  },
  {
    field: 'timeLimitSeconds',
    scope: 'window',
    flag: 'time-limit-seconds',
    http: ['timeLimitSeconds'],
    integer: false,
    min: MIN_TIME_LIMIT_SECONDS,
    max: MAX_TIME_LIMIT_SECONDS,
    nullable: false,
    fallback: DEFAULT_TIME_LIMIT_SECONDS,
    setting: { key: 'sampler.timeLimitSeconds', default: null },
    description: 'Most seconds one request may run before it stops with an error, nothing written',
  },
  {
    field: 'minConfidence',
    scope: 'result',
    flag: 'min-confidence',
    http: ['minConfidence'],
    integer: false,
    min: 0,
    max: 1,
    nullable: false,
    // The CLI and HTTP clients asked for every fill before the editor's floor was an option: they still get none held back.
    fallback: 0,
    setting: { key: 'inline.minConfidence', default: 0.3 },
    description: "Hold back a fill the model was less sure of than this (the geometric mean of its tokens' probabilities; 0: none)",
  },
];

/** The row of a numeric option. */
export function numberOption(field: NumberOption): NumberOptionSpec {
  return NUMBER_OPTIONS.find((o) => o.field === field)!;
}

/** `alg`: not a number, so not a row above; its flag, body field and setting share its name but the setting's. */
export const ALG_OPTION = {
  field: 'alg',
  flag: 'alg',
  http: ['alg'],
  setting: { key: 'sampler.algorithm', default: null },
  description: 'Which masked positions a step commits',
} as const;

/**
 * `reuseKey`: a text, so not a row above; a body field only (SamplerSettings.reuseKey).  The CLI's
 * `fill` sends none: its answer depends only on its request.
 */
export const REUSE_KEY_OPTION = {
  field: 'reuseKey',
  http: ['reuseKey'],
  maxLength: 1024,
  description: "The document (and client) whose earlier requests a generation may start from; none: only the request's own",
} as const;

/**
 * The true-or-false fields of InfillOptions: body fields, a flag that turns one on or off where it
 * has one, and the VS Code setting that passes it through unchanged (null: the model's default).
 */
export const BOOLEAN_OPTIONS: readonly {
  field: 'tokenHealing' | 'contextReuse' | 'lengthSearch';
  on?: string;
  off?: string;
  setting?: { key: string; default: null };
  description: string;
}[] = [
  /** model.json's tokenHealing when unset. */
  { field: 'tokenHealing', description: 'Heal the token boundary at each hole start' },
  /** On when unset (SAMPLER_FALLBACK). */
  {
    field: 'contextReuse',
    off: 'no-context-reuse',
    description: "Never start a generation's first pass from an earlier request's keys and values (on a server: from another client's)",
  },
  /** model.json's sampler, else off (SAMPLER_FALLBACK): npm run bench measures it. */
  {
    field: 'lengthSearch',
    on: 'length-search',
    off: 'no-length-search',
    setting: { key: 'sampler.lengthSearch', default: null },
    description: 'Decode a lone cursor hole of unknown length at several lengths side by side and keep the best scored',
  },
];
