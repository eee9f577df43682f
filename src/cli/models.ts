import { ConvertOptions, convertCheckpoint, DEFAULT_CONVERT } from '../convert/convert';
import { Precision, PRECISIONS } from '../convert/weights';
import { CATALOGUE, memoryBytes, secondsPerLine } from '../models/catalogue';
import { HubClient, hubSettingsFromEnv } from '../models/hub';
import { gb, pullModel, PullEvent } from '../models/pull';
import { defaultHome, ModelStore } from '../models/store';
import { FlagValues, parse, UsageError } from './args';

export const MODELS_USAGE = `diffusion-infill models list | pull ORG/NAME[@REVISION] [--precision P] | rm ORG/NAME [--precision P] | path ORG/NAME
  diffusion-infill models convert HF_DIR OUT_DIR [--precision int4|int8|float16|float32]
    [--block-size N] [--accuracy-level 0-4] [--max-context N] [--name NAME] [--no-cache] [--overwrite]
    [--sampler JSON] [--no-token-healing]
    [--mask-token-id ID] [--eos-token-id ID] [--pad-token-id ID] [--bos-token-id ID]
    Models are pulled from HF_ENDPOINT (default https://huggingface.co) with HF_TOKEN into
    DIFFUSION_INFILL_HOME (default: the platform's cache folder); HF_HUB_OFFLINE uses only what is there.`;

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

const SUBCOMMANDS: Record<string, (argv: string[], signal: AbortSignal) => Promise<void>> = {
  list: listCommand,
  pull: pullCommand,
  rm: rmCommand,
  path: pathCommand,
  convert: convertCommand,
};

/** `models SUBCOMMAND ...`: the models a user pulls, lists, removes and builds. */
export async function modelsCommand(argv: string[], signal: AbortSignal): Promise<void> {
  const [sub, ...rest] = argv;
  const command = sub === undefined ? undefined : SUBCOMMANDS[sub];
  if (!command)
    throw new UsageError(`${sub === undefined ? 'models needs a subcommand' : `unknown models subcommand "${sub}"`}: ${Object.keys(SUBCOMMANDS).join(', ')}`);
  return command(rest, signal);
}

const store = () => new ModelStore(defaultHome());

function precisionFlag(flags: FlagValues): Precision {
  const precision = (flags.precision as string | undefined) ?? DEFAULT_CONVERT.precision;
  if (!PRECISIONS.includes(precision as Precision)) throw new UsageError(`--precision takes ${PRECISIONS.join(', ')}, not "${precision}"`);
  return precision as Precision;
}

function oneName(positionals: string[], sub: string): string {
  if (positionals.length !== 1) throw new UsageError(`models ${sub} takes one ORG/NAME`);
  return positionals[0];
}

async function listCommand(argv: string[]): Promise<void> {
  const { positionals } = parse(argv, {});
  if (positionals.length) throw new UsageError('models list takes no arguments');
  const s = store();
  const out = process.stdout;
  const installed = s.installed();
  out.write(`installed in ${s.home}:\n`);
  if (!installed.length) out.write('  none\n');
  for (const m of installed) out.write(`  ${m.name}  ${m.manifest.precision}  ${m.manifest.commit.slice(0, 8)}  ${gb(m.bytes)}  ${m.dir}\n`);
  const partial = s.partials();
  if (partial.length) {
    out.write('partial downloads (a pull resumes them; models rm removes them):\n');
    for (const p of partial) out.write(`  ${p.repo}  ${p.commit.slice(0, 8)}  ${gb(p.bytes)}\n`);
  }
  out.write('to pull (models pull ORG/NAME; int4 memory, seconds a line on this machine):\n');
  for (const e of CATALOGUE) {
    const tag = e.recommended ? ' (recommended for a laptop)' : e.use === 'team-server' ? ' (team server: too slow for a laptop CPU)' : '';
    out.write(
      `  ${e.repo}${tag}\n    ${e.title}, ${(e.params / 1e9).toFixed(1)}B, download ${gb(e.downloadBytes)}, memory ${gb(memoryBytes(e.params, 'int4'))}, about ${secondsPerLine(e).toFixed(0)} s a line; licence ${e.licence}\n`,
    );
  }
}

async function pullCommand(argv: string[], signal: AbortSignal): Promise<void> {
  const { values, positionals } = parse(argv, { precision: { type: 'string' } });
  const ref = oneName(positionals, 'pull');
  const hub = new HubClient({ ...hubSettingsFromEnv(), userAgent: 'diffusion-infill-cli' });
  const model = await pullModel(ref, { precision: precisionFlag(values as FlagValues), store: store(), hub, signal, onEvent: pullProgress() });
  process.stdout.write(`${model.dir}\n`);
}

async function rmCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parse(argv, { precision: { type: 'string' } });
  const name = oneName(positionals, 'rm');
  const gone = store().remove(name, values.precision === undefined ? undefined : precisionFlag(values as FlagValues));
  if (!gone.length) throw new UsageError(`no model or download of ${name} in ${store().home}`);
  for (const dir of gone) process.stderr.write(`removed ${dir}\n`);
}

async function pathCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parse(argv, { precision: { type: 'string' } });
  const name = oneName(positionals, 'path');
  const model = store().find(name, values.precision === undefined ? undefined : precisionFlag(values as FlagValues));
  if (!model) throw new UsageError(`${name} is not installed in ${store().home}: models pull ${name}`);
  process.stdout.write(`${model.dir}\n`);
}

/** The pull's progress on stderr: one line rewritten in place on a terminal, a line a second otherwise. */
function pullProgress(): (e: PullEvent) => void {
  const tty = process.stderr.isTTY;
  let last = 0;
  const line = (text: string, force = false) => {
    const now = performance.now();
    if (!force && now - last < (tty ? 200 : 1000)) return;
    last = now;
    process.stderr.write(tty ? `\r${text.padEnd(100).slice(0, 100)}` : `${text}\n`);
  };
  return (e) => {
    if (e.phase === 'resolved') {
      line(`${e.repo} at ${e.commit.slice(0, 8)}: ${e.files} files, ${gb(e.bytes)} (${gb(e.toDownload)} to download, ${gb(e.freeBytes)} free)`, true);
      if (tty) process.stderr.write('\n');
    } else if (e.phase === 'download') {
      const left = e.secondsLeft === null ? '' : `, ${Math.ceil(e.secondsLeft)} s left`;
      line(
        `downloading ${((100 * e.done) / Math.max(1, e.total)).toFixed(0)}% (${gb(e.done)} of ${gb(e.total)}, ${(e.bytesPerSecond / 1e6).toFixed(1)} MB/s${left})`,
      );
    } else if (e.phase === 'convert') {
      line(`converting ${((100 * e.done) / e.total).toFixed(0)}% (${e.tensor})`);
    } else {
      line(
        e.reused
          ? `${e.model.name} is installed (${e.model.manifest.precision})`
          : `installed ${e.model.name} (${e.model.manifest.precision}, ${gb(e.model.bytes)})`,
        true,
      );
      process.stderr.write('\n');
    }
  };
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
  const options: ConvertOptions = {
    precision: precisionFlag(flags),
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
