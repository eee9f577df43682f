import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import { AddressInfo } from 'node:net';
import * as path from 'node:path';

export const ROOT = path.resolve(__dirname, '..', '..', '..', '..');
export const DIST_CLI = path.join(ROOT, 'dist', 'cli.js');
export const TINY = path.join(ROOT, 'test', 'fixtures', 'tiny-model');

export interface Served {
  url: string;
  child: ChildProcess;
  stderr: () => string;
  /** SIGTERM, then the exit code (SIGKILL after 10 s, which counts as a failure). */
  stop: () => Promise<number | null>;
}

/** Starts `node dist/cli.js serve` on 127.0.0.1, port 0; resolves once it prints its URL. */
export function startServe(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Served> {
  if (!fs.existsSync(DIST_CLI)) throw new Error(`${DIST_CLI} is missing: run npm run build first`);
  const child = spawn(process.execPath, [DIST_CLI, 'serve', '--host', '127.0.0.1', '--port', '0', ...args], {
    env: { ...process.env, DIFFUSION_INFILL_TOKEN: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const stop = async (): Promise<number | null> => {
    if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10000);
    const code = await exited;
    clearTimeout(timer);
    return code;
  };
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) resolve({ url: m[1], child, stderr: () => err, stop });
    });
    child.once('exit', (code) => reject(new Error(`serve exited with ${code} before listening: ${err}`)));
  });
}

/** An in-process HTTP server on 127.0.0.1 for scripted answers; close() also drops open connections. */
export async function scriptedServer(handler: http.RequestListener): Promise<{ url: string; close: () => Promise<void>; server: http.Server }> {
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => resolve(body));
  });
}

/** Polls `check` until it returns true (every 20 ms, at most `tries` times). */
export async function eventually(check: () => Promise<boolean>, what: string, tries = 500): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`never happened: ${what}`);
}

export async function health(url: string): Promise<Record<string, number>> {
  const r = await fetch(`${url}/health`);
  return (await r.json()) as Record<string, number>;
}
