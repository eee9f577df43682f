import { parseArgs, ParseArgsConfig } from 'node:util';
import {
  ALG_OPTION,
  ALGS,
  BOOLEAN_OPTIONS,
  checkRequestOptions,
  EXECUTION_PROVIDERS,
  ExecutionProvider,
  InfillError,
  InfillOptions,
  NUMBER_OPTIONS,
  OptionError,
  resolveSampler,
} from '../core';

/** Each sampler and window flag (the option table's) and the InfillOptions field it sets. */
const FIELD_FLAGS = new Map(NUMBER_OPTIONS.flatMap((o) => (o.flag ? [[o.flag, o.field] as const] : [])));

/** The sampler and window flags shared by `fill` and `serve`. */
export const SAMPLER_FLAGS: Record<string, { type: 'string' | 'boolean' }> = {
  ...Object.fromEntries([ALG_OPTION.flag, ...FIELD_FLAGS.keys()].map((flag) => [flag, { type: 'string' as const }])),
  ...Object.fromEntries(BOOLEAN_OPTIONS.flatMap((o) => [o.on, o.off].flatMap((flag) => (flag ? [[flag, { type: 'boolean' as const }]] : [])))),
};

/** The usage lines of the sampler and window flags, from the option table. */
export function samplerFlagsUsage(): string {
  const rows = [
    [`--${ALG_OPTION.flag} A`, `${ALG_OPTION.description}: ${ALGS.join(', ')}`],
    ...NUMBER_OPTIONS.flatMap((o) => (o.flag ? [[`--${o.flag} ${o.integer ? 'N' : 'X'}`, `${o.description} (${o.min} to ${o.max})`]] : [])),
    ...BOOLEAN_OPTIONS.flatMap((o) => (o.off || o.on ? [[[o.on, o.off].flatMap((f) => (f ? [`--${f}`] : [])).join(', '), o.description]] : [])),
  ];
  const width = Math.max(...rows.map(([flag]) => flag.length));
  return rows.map(([flag, text]) => `  ${flag.padEnd(width)}  ${text}`).join('\n');
}

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
  const alg = values[ALG_OPTION.flag] as string | undefined;
  if (alg !== undefined && !(ALGS as readonly string[]).includes(alg))
    throw new UsageError(`--${ALG_OPTION.flag} must be one of ${ALGS.join(', ')}, not "${alg}"`);
  const options: Record<string, unknown> = { alg };
  for (const [flag, field] of FIELD_FLAGS) options[field] = num(flag);
  for (const { on, off, field } of BOOLEAN_OPTIONS) {
    if (on && off && values[on] === true && values[off] === true) throw new UsageError(`--${on} and --${off} contradict each other`);
    if (on && values[on] === true) options[field] = true;
    if (off && values[off] === true) options[field] = false;
  }
  // Out of range is a usage error (exit 2) that names the flag, not the engine's field.
  try {
    resolveSampler(options as InfillOptions);
    checkRequestOptions(options as InfillOptions);
  } catch (e) {
    const flag = e instanceof OptionError ? [...FIELD_FLAGS].find(([, f]) => f === e.field)?.[0] : undefined;
    throw new UsageError(flag ? `--${flag} ${(e as OptionError).problem}` : (e as Error).message);
  }
  return options as InfillOptions;
}

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
