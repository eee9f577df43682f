import { InfillAborted, InfillError } from '../core';
import { samplerFlagsUsage, UsageError } from './args';
import { FILL_USAGE, fillCommand } from './fill';
import { MODELS_USAGE, modelsCommand } from './models';
import { SERVE_USAGE, serveCommand } from './serve';
import { sourceFlagsUsage } from './source';

const USAGE = `Fill holes in code with a masked-diffusion model.

usage:
  ${FILL_USAGE}
  ${SERVE_USAGE}
  ${MODELS_USAGE}

model source flags (fill; the bundled model without any):
${sourceFlagsUsage()}

sampler flags:
${samplerFlagsUsage()}

Holes are typed in the file as <|hole|>, or <|hole:N|> for a hole of N tokens.
`;

const commands: Record<string, (argv: string[], signal: AbortSignal) => Promise<void>> = {
  fill: fillCommand,
  serve: serveCommand,
  models: modelsCommand,
};

// Cancels the running command: Ctrl+C, or a reader that went away.
const abort = new AbortController();
let readerGone = false;

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(USAGE);
    return name === undefined ? 2 : 0;
  }
  const command = commands[name];
  if (!command) {
    process.stderr.write(`diffusion-infill: unknown command "${name}"\n\n${USAGE}`);
    return 2;
  }
  process.once('SIGINT', () => abort.abort());
  try {
    await command(rest, abort.signal);
    return 0;
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`diffusion-infill: ${e.message}\n\n${USAGE}`);
      return 2;
    }
    if (e instanceof InfillAborted) {
      if (readerGone) return 0;
      process.stderr.write('diffusion-infill: cancelled; nothing written\n');
      return 130;
    }
    if (e instanceof InfillError) {
      process.stderr.write(`diffusion-infill: ${e.message}\n`);
      return 1;
    }
    process.stderr.write(`diffusion-infill: ${(e as Error).stack ?? e}\n`);
    return 1;
  }
}

// A reader that stops early (`| head`) is not an error.  The generation is stopped rather than the
// process killed: exiting while the model's thread runs a forward aborts inside onnxruntime.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code !== 'EPIPE') throw e;
  readerGone = true;
  abort.abort();
});

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
