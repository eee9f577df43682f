import { InfillError, parseMarkers, ResultEvent } from '../core';
import { openKind } from '../core/engineKinds';
import { FlagValues, MODEL_FLAGS, parse, runtimeOptions, SAMPLER_FLAGS, samplerOptions, UsageError } from './args';
import { chosenSource, SOURCE_FLAGS } from './source';
import { checkWritable, readSourceFile, writeSourceFile } from './sourceFile';
import { DraftRenderer, liveCanvas, progressLines } from './terminalDrafts';
import { RECOMMENDED } from '../models/catalogue';
import { pulledFolder, resolveModelArg } from '../models/store';

export const FILL_USAGE = `diffusion-infill fill FILE [model source flags: --model DIR|ORG/NAME, --server URL, ...] [sampler flags]
    [--device cpu|webgpu|cuda|dml|coreml] [--threads N] [--write] [--json] [--quiet]`;

/** `fill`: fills every hole marker of FILE, printing the result (or writing it in place). */
export async function fillCommand(argv: string[], signal: AbortSignal): Promise<void> {
  const { values, positionals } = parse(argv, {
    ...SAMPLER_FLAGS,
    ...SOURCE_FLAGS,
    device: MODEL_FLAGS.device,
    threads: MODEL_FLAGS.threads,
    write: { type: 'boolean' },
    json: { type: 'boolean' },
    quiet: { type: 'boolean' },
  });
  if (positionals.length !== 1) throw new UsageError('fill takes exactly one FILE');
  const file = positionals[0];
  const flags = values as FlagValues;
  const options = samplerOptions(flags);
  const original = readSourceFile(file);
  // A file --write cannot replace is refused now, not after the whole generation.
  if (flags.write) checkWritable(file);
  let request;
  try {
    request = parseMarkers(original.text);
  } catch (e) {
    if (e instanceof InfillError) throw new InfillError(`${file}:${e.message}`);
    throw e;
  }
  if (request.holes.length === 0) throw new InfillError(`${file}: no holes: type <|hole|> where code should go`);

  // The model source: --source and its flags (--model DIR: a folder; --server URL: a `diffusion-infill serve`, ...).
  const { kind, values: source, secret } = chosenSource(flags);
  // --model also takes a pulled repository id (ORG/NAME), the folder it has in the model store.
  if (typeof source.folder === 'string') source.folder = resolveModelArg(source.folder);
  const runtime = { ...runtimeOptions(flags), log: (m: string) => process.stderr.write(`diffusion-infill: ${m}\n`) };
  const engine = await openKind(kind, source, { name: (f) => `--${f.flag}`, runtime, secret, pulledModel: pulledFolder }, signal);
  const renderer: DraftRenderer | null =
    flags.json || flags.quiet ? null : process.stderr.isTTY ? liveCanvas(process.stderr, request.text, request.holes) : progressLines(process.stderr);
  let result: ResultEvent | undefined;
  try {
    for await (const event of engine.infill(request, options, signal)) {
      if (flags.json) process.stdout.write(JSON.stringify(event) + '\n');
      if (event.type === 'draft') renderer?.draft(event);
      else result = event;
    }
  } finally {
    renderer?.done();
  }
  if (!result) throw new InfillError('the engine ended without a result');
  if (!flags.json && !flags.quiet) {
    const s = result.stats;
    process.stderr.write(`${s.steps} steps, ${s.maskedTokens} tokens, ${s.msPerStep.toFixed(1)} ms/step on ${s.device} (${s.model})\n`);
  }
  if (flags.write) {
    writeSourceFile(file, result.text, original);
  } else if (!flags.json) {
    process.stdout.write(result.text);
  }
  if (kind.id === 'bundled' && !flags.json && !flags.quiet) process.stderr.write(`${DEMO_NOTE}\n`);
}

/** The last line of a fill by the bundled model: what it is, and the way to a real one. */
export const DEMO_NOTE = `note: the bundled model is a small demo; for real fills pull a model: npx diffusion-infill models pull ${RECOMMENDED.repo} (about ${(RECOMMENDED.downloadBytes / 1e9).toFixed(1)} GB), then add --model ${RECOMMENDED.repo}`;
