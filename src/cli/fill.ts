import { bundledModelDir, InfillError, parseMarkers, ResultEvent } from '../core';
import { openEngine } from '../core/remote';
import { FlagValues, MODEL_FLAGS, parse, runtimeOptions, SAMPLER_FLAGS, samplerOptions, UsageError } from './args';
import { readSourceFile, writeSourceFile } from './sourceFile';
import { DraftRenderer, liveCanvas, progressLines } from './terminalDrafts';
import { RECOMMENDED } from '../models/catalogue';
import { resolveModelArg } from '../models/store';

export const FILL_USAGE = `diffusion-infill fill FILE [--model DIR|ORG/NAME] [sampler flags]
    [--device cpu|webgpu|cuda|dml|coreml] [--threads N] [--server URL [--token T]] [--write] [--json] [--quiet]`;

/** `fill`: fills every hole marker of FILE, printing the result (or writing it in place). */
export async function fillCommand(argv: string[], signal: AbortSignal): Promise<void> {
  const { values, positionals } = parse(argv, {
    ...SAMPLER_FLAGS,
    ...MODEL_FLAGS,
    write: { type: 'boolean' },
    json: { type: 'boolean' },
    quiet: { type: 'boolean' },
    server: { type: 'string' },
    token: { type: 'string' },
  });
  if (positionals.length !== 1) throw new UsageError('fill takes exactly one FILE');
  const file = positionals[0];
  const flags = values as FlagValues;
  const options = samplerOptions(flags);
  const original = readSourceFile(file);
  let request;
  try {
    request = parseMarkers(original.text);
  } catch (e) {
    if (e instanceof InfillError) throw new InfillError(`${file}:${e.message}`);
    throw e;
  }
  if (request.holes.length === 0) throw new InfillError(`${file}: no holes: type <|hole|> where code should go`);

  // --server: a `diffusion-infill serve` does the work (token from --token or DIFFUSION_INFILL_TOKEN).
  const engine = await openEngine(
    flags.server
      ? { kind: 'server', url: flags.server as string, token: (flags.token as string | undefined) ?? process.env.DIFFUSION_INFILL_TOKEN }
      : {
          kind: 'local',
          dir: flags.model === undefined ? bundledModelDir() : resolveModelArg(flags.model as string),
          runtime: { ...runtimeOptions(flags), log: (m) => process.stderr.write(`diffusion-infill: ${m}\n`) },
        },
    signal,
  );
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
  if (!flags.server && flags.model === undefined && !flags.json && !flags.quiet) process.stderr.write(`${DEMO_NOTE}\n`);
}

/** The last line of a fill by the bundled model: what it is, and the way to a real one. */
export const DEMO_NOTE = `note: the bundled model is a small demo; for real fills pull a model: npx diffusion-infill models pull ${RECOMMENDED.repo} (about ${(RECOMMENDED.downloadBytes / 1e9).toFixed(1)} GB), then add --model ${RECOMMENDED.repo}`;
