import { InfillAborted, InfillError } from '../core';
import { UsageError } from './args';
import { FILL_USAGE, fillCommand } from './fill';
import { SERVE_USAGE, serveCommand } from './serve';

const USAGE = `Fill holes in code with a masked-diffusion model.

usage:
  ${FILL_USAGE}
  ${SERVE_USAGE}

Holes are typed in the file as <|hole|>, or <|hole:N|> for a hole of N tokens.
`;

const commands: Record<string, (argv: string[], signal: AbortSignal) => Promise<void>> = {
  fill: fillCommand,
  serve: serveCommand,
};

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
  const abort = new AbortController();
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

// A reader that stops early (`| head`) is not an error.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
