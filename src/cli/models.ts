import { ConvertOptions, convertCheckpoint, DEFAULT_CONVERT } from '../convert/convert';
import { Precision, PRECISIONS } from '../convert/weights';
import { FlagValues, parse, UsageError } from './args';

export const MODELS_USAGE = `diffusion-infill models convert HF_DIR OUT_DIR [--precision int4|int8|float16|float32]
    [--block-size N] [--accuracy-level 0-4] [--max-context N] [--name NAME] [--no-cache] [--overwrite]
    [--sampler JSON] [--no-token-healing]
    [--mask-token-id ID] [--eos-token-id ID] [--pad-token-id ID] [--bos-token-id ID]`;

const CONVERT_FLAGS = {
  precision: { type: 'string' },
  'block-size': { type: 'string' },
  'accuracy-level': { type: 'string' },
  'max-context': { type: 'string' },
  name: { type: 'string' },
  'no-cache': { type: 'boolean' },
  overwrite: { type: 'boolean' },
  sampler: { type: 'string' },
  'no-token-healing': { type: 'boolean' },
  'mask-token-id': { type: 'string' },
  'eos-token-id': { type: 'string' },
  'pad-token-id': { type: 'string' },
  'bos-token-id': { type: 'string' },
} as const;

/** `models SUBCOMMAND ...`: the model folders a user builds (and, later, downloads). */
export async function modelsCommand(argv: string[]): Promise<void> {
  const [sub, ...rest] = argv;
  if (sub === 'convert') return convertCommand(rest);
  throw new UsageError(sub === undefined ? 'models needs a subcommand: convert' : `unknown models subcommand "${sub}"`);
}

async function convertCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parse(argv, CONVERT_FLAGS);
  if (positionals.length !== 2) throw new UsageError('models convert takes HF_DIR and OUT_DIR');
  const flags = values as FlagValues;
  const whole = (flag: string, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined => {
    const raw = flags[flag];
    if (raw === undefined) return undefined;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max)
      throw new UsageError(`--${flag} takes a whole number from ${min}${max < Number.MAX_SAFE_INTEGER ? ` to ${max}` : ''}, not "${raw}"`);
    return n;
  };
  const precision = (flags.precision as string | undefined) ?? DEFAULT_CONVERT.precision;
  if (!PRECISIONS.includes(precision as Precision)) throw new UsageError(`--precision takes ${PRECISIONS.join(', ')}, not "${precision}"`);
  const options: ConvertOptions = {
    precision: precision as Precision,
    blockSize: whole('block-size', 16) ?? DEFAULT_CONVERT.blockSize,
    accuracyLevel: whole('accuracy-level', 0, 4),
    maxContext: whole('max-context', 1),
    name: flags.name as string | undefined,
    cache: !flags['no-cache'],
    overwrite: Boolean(flags.overwrite),
    sampler: samplerFlag(flags.sampler as string | undefined),
    tokenHealing: !flags['no-token-healing'],
    special: { mask: whole('mask-token-id', 0), eos: whole('eos-token-id', 0), pad: whole('pad-token-id', 0), bos: whole('bos-token-id', 0) },
    onProgress: progressLine(),
  };
  const [hfDir, outDir] = positionals;
  const started = performance.now();
  const doc = convertCheckpoint(hfDir, outDir, options);
  process.stderr.write(
    `\nwrote ${outDir} in ${((performance.now() - started) / 1000).toFixed(1)} s: ${doc.layout}, ${doc.precision}, vocab ${doc.vocabSize}, ` +
      `mask ${doc.maskTokenId}, eos ${doc.eosTokenId}, pad ${doc.padTokenId}\n`,
  );
}

/** --sampler: model.json sampler fields as a JSON object. */
function samplerFlag(raw: string | undefined): Record<string, unknown> | undefined {
  if (raw === undefined) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch (e) {
    throw new UsageError(`--sampler takes a JSON object of model.json sampler fields: ${(e as Error).message}`);
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new UsageError('--sampler takes a JSON object of model.json sampler fields');
  return v as Record<string, unknown>;
}

/** A progress line on stderr, rewritten in place on a terminal, at most every 200 ms. */
function progressLine(): (done: number, total: number, tensor: string) => void {
  let last = 0;
  return (done, total, tensor) => {
    const now = performance.now();
    if (now - last < 200 && done < total) return;
    last = now;
    const line = `converting: ${((100 * done) / total).toFixed(0)}% (${tensor})`;
    process.stderr.write(process.stderr.isTTY ? `\r${line.padEnd(100).slice(0, 100)}` : `${line}\n`);
  };
}
