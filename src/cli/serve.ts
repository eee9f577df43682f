import { bundledModelDir, InfillError } from '../core';
import { openEngine } from '../core/openEngine';
import { createInfillServer, isLoopback } from '../server';
import { FlagValues, MODEL_FLAGS, parse, runtimeOptions, SAMPLER_FLAGS, samplerOptions, UsageError } from './args';
import { resolveModelArg } from '../models/store';

export const SERVE_USAGE = `diffusion-infill serve [--host H] [--port P] [--token T] [--model DIR|ORG/NAME]
    [--max-running N] [--max-waiting N] [--max-body BYTES] [--max-batch N] [--no-batch]
    [--device cpu|webgpu|cuda|dml|coreml] [--threads N] [sampler flags as for fill: defaults]`;

/**
 * `serve`: the engine behind HTTP until SIGINT or SIGTERM. Prints one line, "listening on URL",
 * to stdout once the model is loaded. The token may come from DIFFUSION_INFILL_TOKEN instead of
 * --token (so that it stays out of process listings); it is required beyond loopback.
 */
export async function serveCommand(argv: string[], signal: AbortSignal): Promise<void> {
  const { values, positionals } = parse(argv, {
    ...SAMPLER_FLAGS,
    ...MODEL_FLAGS,
    host: { type: 'string' },
    port: { type: 'string' },
    token: { type: 'string' },
    'max-running': { type: 'string' },
    'max-waiting': { type: 'string' },
    'max-body': { type: 'string' },
    'max-batch': { type: 'string' },
    'no-batch': { type: 'boolean' },
  });
  if (positionals.length > 0) throw new UsageError(`serve takes no positional arguments, not "${positionals[0]}"`);
  const flags = values as FlagValues;
  const whole = (flag: string, fallback: number, min = 0): number => {
    const raw = flags[flag];
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min) throw new UsageError(`--${flag} takes a whole number from ${min}, not "${raw}"`);
    return n;
  };
  const host = (flags.host as string | undefined) ?? '127.0.0.1';
  const port = whole('port', 8797);
  if (port > 65535) throw new UsageError(`--port must be below 65536, not ${port}`);
  const token = (flags.token as string | undefined) ?? process.env.DIFFUSION_INFILL_TOKEN ?? undefined;
  if (!token && !isLoopback(host)) {
    throw new InfillError(
      `--host ${host} is reachable beyond this machine: give --token T (or DIFFUSION_INFILL_TOKEN) so that only clients with the token may use the model`,
    );
  }
  const defaults = Object.fromEntries(Object.entries(samplerOptions(flags)).filter(([, v]) => v !== undefined));

  const log = (line: string) => process.stderr.write(`serve: ${line}\n`);
  const engine = await openEngine(
    {
      kind: 'local',
      dir: flags.model === undefined ? bundledModelDir() : resolveModelArg(flags.model as string),
      runtime: { ...runtimeOptions(flags), log },
      batch: flags['no-batch'] ? undefined : { maxBatch: whole('max-batch', 16, 1) },
    },
    signal,
  );
  const service = createInfillServer(engine, {
    token,
    defaults,
    maxRunning: whole('max-running', 4, 1),
    maxWaiting: whole('max-waiting', 32),
    maxBodyBytes: whole('max-body', 1 << 20, 1),
    log,
  });
  await new Promise<void>((resolve, reject) => {
    service.server.once('error', (e: NodeJS.ErrnoException) =>
      reject(
        new InfillError(
          e.code === 'EADDRINUSE' ? `port ${port} on ${host} is in use: pick another with --port` : `cannot listen on ${host}:${port}: ${e.message}`,
        ),
      ),
    );
    service.server.listen(port, host, () => resolve());
  });
  const address = service.server.address();
  const bound = typeof address === 'object' && address ? address : { address: host, port };
  const shown = bound.address.includes(':') ? `[${bound.address}]` : bound.address;
  process.stdout.write(`listening on http://${shown}:${bound.port} (model ${engine.info.name} on ${engine.info.device}${token ? ', token required' : ''})\n`);

  const stop = new AbortController();
  signal.addEventListener('abort', () => stop.abort(), { once: true });
  const onTerm = () => stop.abort();
  process.once('SIGTERM', onTerm);
  if (!stop.signal.aborted) await new Promise((resolve) => stop.signal.addEventListener('abort', resolve, { once: true }));
  process.off('SIGTERM', onTerm);
  log('shutting down');
  await service.close();
}
