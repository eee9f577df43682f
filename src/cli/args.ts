import { parseArgs, ParseArgsConfig } from 'node:util';
import { ALGS, checkWindowOptions, EXECUTION_PROVIDERS, ExecutionProvider, InfillError, InfillOptions, resolveSampler } from '../core';

/** The sampler and window flags shared by `fill` and `serve`. */
export const SAMPLER_FLAGS = {
  steps: { type: 'string' },
  alg: { type: 'string' },
  temperature: { type: 'string' },
  'top-p': { type: 'string' },
  'top-k': { type: 'string' },
  'alg-temp': { type: 'string' },
  threshold: { type: 'string' },
  'block-length': { type: 'string' },
  seed: { type: 'string' },
  'context-tokens': { type: 'string' },
  'hole-tokens': { type: 'string' },
  'time-limit-seconds': { type: 'string' },
} as const;

export const MODEL_FLAGS = {
  model: { type: 'string' },
  device: { type: 'string' },
  threads: { type: 'string' },
} as const;

export type FlagValues = Record<string, string | boolean | undefined>;

export function parse<T extends NonNullable<ParseArgsConfig['options']>>(argv: string[], options: T) {
  // "--temperature -1": parseArgs takes -1 for a flag; a negative number after a flag that takes a
  // value is that value, so that the range check can name the flag and its bounds.
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const takesValue = argv[i].startsWith('--') && options[argv[i].slice(2)]?.type === 'string';
    if (takesValue && /^-\d/.test(argv[i + 1] ?? '')) args.push(`${argv[i]}=${argv[++i]}`);
    else args.push(argv[i]);
  }
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

export class UsageError extends Error {}

export function samplerOptions(values: FlagValues): InfillOptions {
  const num = (flag: string): number | undefined => {
    const raw = values[flag];
    if (raw === undefined) return undefined;
    const n = Number(raw);
    if (typeof raw !== 'string' || raw.trim() === '' || !Number.isFinite(n)) throw new UsageError(`--${flag} takes a number, not "${raw}"`);
    return n;
  };
  const alg = values.alg as string | undefined;
  if (alg !== undefined && !(ALGS as readonly string[]).includes(alg)) throw new UsageError(`--alg must be one of ${ALGS.join(', ')}, not "${alg}"`);
  const options: Record<string, unknown> = { alg };
  for (const [flag, field] of Object.entries(FIELD_FLAGS)) options[field] = num(flag);
  // Out of range is a usage error (exit 2) that names the flag, not the engine's field.
  try {
    resolveSampler(options as InfillOptions);
    checkWindowOptions(options as InfillOptions);
  } catch (e) {
    const [field, ...rest] = (e as Error).message.split(' ');
    const flag = Object.entries(FIELD_FLAGS).find(([, f]) => f === field)?.[0];
    throw new UsageError(flag ? `--${flag} ${rest.join(' ')}` : (e as Error).message);
  }
  return options as InfillOptions;
}

/** Each sampler and window flag and the InfillOptions field it sets. */
const FIELD_FLAGS: Record<string, string> = {
  steps: 'steps', temperature: 'temperature', 'top-p': 'topP', 'top-k': 'topK', 'alg-temp': 'algTemp', threshold: 'threshold',
  'block-length': 'blockLength', seed: 'seed', 'context-tokens': 'contextTokens', 'hole-tokens': 'defaultHoleTokens',
  'time-limit-seconds': 'timeLimitSeconds',
};

/** More threads than any machine's cores only queue: onnxruntime hung starting 100,000. */
const MAX_THREADS = 256;

export function runtimeOptions(values: FlagValues): { executionProvider?: ExecutionProvider; threads?: number } {
  const device = values.device as string | undefined;
  if (device !== undefined && !(EXECUTION_PROVIDERS as string[]).includes(device)) {
    throw new UsageError(`--device must be one of ${EXECUTION_PROVIDERS.join(', ')}, not "${device}"`);
  }
  const threads = values.threads === undefined ? undefined : Number(values.threads);
  if (threads !== undefined && (!Number.isInteger(threads) || threads < 0 || threads > MAX_THREADS)) {
    throw new UsageError(`--threads takes a whole number from 0 (one a core) to ${MAX_THREADS}, not "${values.threads}"`);
  }
  return { executionProvider: device as ExecutionProvider | undefined, threads };
}

export { InfillError };
