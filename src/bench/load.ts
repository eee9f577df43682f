/**
 * Load on `diffusion-infill serve`: keeps N streams going for a while and prints throughput,
 * latency to the first draft and to the result (p50, p95), and the server's memory before and after.
 *
 * usage: node dist/load.js [--model DIR] [--streams 32] [--duration 60] [--steps 16] [--hole-tokens 32]
 *          [--max-running N] [--max-batch N] [--no-batch] [--threads N] [--json]
 *        node dist/load.js --url http://127.0.0.1:PORT [--token T] ...   (a server already running)
 * The script starts serve itself (on 127.0.0.1, a free port) unless --url is given, and stops it after.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { bundledModelDir } from '../core';
import { ORDER_SNIPPET } from './orderSnippet';

interface Sample {
  firstDraftMs: number;
  resultMs: number;
  drafts: number;
  tokens: number;
}

function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/** The median and the 95th percentile, rounded as the report prints them. */
function p50p95(values: number[]): { p50: number; p95: number } {
  return { p50: round(percentile(values, 50)), p95: round(percentile(values, 95)) };
}

async function startServe(args: string[], token: string): Promise<{ url: string; child: ChildProcess }> {
  const cli = path.join(__dirname, 'cli.js');
  const child = spawn(process.execPath, [cli, 'serve', '--host', '127.0.0.1', '--port', '0', ...args], {
    env: { ...process.env, DIFFUSION_INFILL_TOKEN: token },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => {
    err += d.toString();
    if (err.length > 20000) err = err.slice(-10000);
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) resolve({ url: m[1], child });
    });
    child.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${err.slice(-2000)}`)));
  });
}

async function health(url: string): Promise<Record<string, number>> {
  return (await (await fetch(`${url}/health`)).json()) as Record<string, number>;
}

/** One request: POST, read NDJSON, time the first draft and the result. */
async function one(url: string, token: string, body: unknown): Promise<Sample | { error: string; status?: number }> {
  const started = performance.now();
  const response = await fetch(`${url}/v1/infill`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
  if (!response.ok) return { error: (await response.text()).trim(), status: response.status };
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let buffered = '';
  let firstDraftMs = NaN;
  let drafts = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    buffered += decoder.decode(value, { stream: true });
    let nl: number;
    while ((nl = buffered.indexOf('\n')) !== -1) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      const event = JSON.parse(line) as { type: string; stats?: { maskedTokens: number }; message?: string };
      if (event.type === 'draft') {
        if (drafts++ === 0) firstDraftMs = performance.now() - started;
      } else if (event.type === 'result') {
        return { firstDraftMs, resultMs: performance.now() - started, drafts, tokens: event.stats!.maskedTokens };
      } else {
        return { error: event.message ?? line };
      }
    }
  }
  return { error: 'stream ended without a result' };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      model: { type: 'string' },
      url: { type: 'string' },
      token: { type: 'string' },
      streams: { type: 'string', default: '32' },
      duration: { type: 'string', default: '60' },
      steps: { type: 'string', default: '16' },
      'hole-tokens': { type: 'string', default: '32' },
      'max-running': { type: 'string' },
      'max-batch': { type: 'string' },
      'no-batch': { type: 'boolean' },
      threads: { type: 'string' },
      json: { type: 'boolean' },
    },
  });
  const streams = Number(values.streams);
  const durationS = Number(values.duration);
  const steps = Number(values.steps);
  const holeTokens = Number(values['hole-tokens']);
  for (const [name, v] of [
    ['streams', streams],
    ['duration', durationS],
    ['steps', steps],
    ['hole-tokens', holeTokens],
  ] as const) {
    if (!Number.isFinite(v) || v <= 0) throw new Error(`--${name} takes a positive number`);
  }

  let server: { url: string; child: ChildProcess | null };
  let token = values.token ?? process.env.DIFFUSION_INFILL_TOKEN ?? '';
  const model = values.model ?? bundledModelDir();
  if (values.url) {
    server = { url: values.url.replace(/\/$/, ''), child: null };
  } else {
    token = randomBytes(16).toString('hex');
    const args = ['--model', model, '--max-running', values['max-running'] ?? String(streams), '--max-waiting', String(streams * 2)];
    if (values['max-batch']) args.push('--max-batch', values['max-batch']);
    if (values['no-batch']) args.push('--no-batch');
    if (values.threads) args.push('--threads', values.threads);
    server = { ...(await startServe(args, token)) };
  }
  const log = (line: string) => process.stderr.write(line + '\n');
  try {
    const info = (await (await fetch(`${server.url}/v1/model`, { headers: { Authorization: `Bearer ${token}` } })).json()) as { name: string; device: string };
    const body = (seed: number) => ({ text: ORDER_SNIPPET.replace('<|hole|>', `<|hole:${holeTokens}|>`), steps, seed });
    // One request first, so that the "before" memory is of a loaded, warmed-up server.
    const warm = await one(server.url, token, body(0));
    if ('error' in warm) throw new Error(`the warm-up request failed: ${warm.status ?? ''} ${warm.error}`);
    const before = await health(server.url);
    log(`model ${info.name} on ${info.device}; ${streams} streams for ${durationS} s; ${holeTokens}-token hole, ${steps} steps; server at ${server.url}`);

    const samples: Sample[] = [];
    const errors = new Map<string, number>();
    let peakRss = before.rssBytes;
    const sampler = setInterval(() => {
      health(server.url)
        .then((h) => (peakRss = Math.max(peakRss, h.rssBytes)))
        .catch(() => undefined);
    }, 1000);
    const started = performance.now();
    const deadline = started + durationS * 1000;
    let seed = 1;
    await Promise.all(
      Array.from({ length: streams }, async () => {
        while (performance.now() < deadline) {
          const r = await one(server.url, token, body(seed++)).catch((e: Error) => ({ error: e.message }));
          if ('error' in r) {
            const key = `${'status' in r && r.status ? r.status + ' ' : ''}${r.error.slice(0, 120)}`;
            errors.set(key, (errors.get(key) ?? 0) + 1);
            if ('status' in r && r.status === 429) await new Promise((res) => setTimeout(res, 200));
          } else samples.push(r);
        }
      }),
    );
    const wallS = (performance.now() - started) / 1000;
    clearInterval(sampler);
    const after = await health(server.url);

    const sum = (f: (s: Sample) => number) => samples.reduce((a, s) => a + f(s), 0);
    const report = {
      model: info.name,
      device: info.device,
      streams,
      durationS,
      wallS: round(wallS),
      steps,
      holeTokens,
      completed: samples.length,
      errors: Object.fromEntries(errors),
      requestsPerS: round(samples.length / wallS),
      tokensPerS: round(sum((s) => s.tokens) / wallS),
      draftsPerS: round(sum((s) => s.drafts) / wallS),
      firstDraftMs: p50p95(samples.map((s) => s.firstDraftMs)),
      resultMs: p50p95(samples.map((s) => s.resultMs)),
      serverRssMiB: { before: mib(before.rssBytes), after: mib(after.rssBytes), peak: mib(Math.max(peakRss, after.rssBytes)) },
      forwards: after.forwards !== undefined ? after.forwards - before.forwards : undefined,
      callsPerForward:
        after.forwards !== undefined ? round((after.forwardCalls - before.forwardCalls) / Math.max(1, after.forwards - before.forwards)) : undefined,
    };
    if (values.json) {
      process.stdout.write(JSON.stringify(report, null, 2) + '\n');
    } else {
      const lines = [
        `requests completed   ${report.completed} in ${report.wallS} s (${report.requestsPerS}/s); errors: ${errors.size === 0 ? 'none' : JSON.stringify(report.errors)}`,
        `tokens/s             ${report.tokensPerS}`,
        `drafts/s             ${report.draftsPerS}`,
        `first draft          p50 ${report.firstDraftMs.p50} ms, p95 ${report.firstDraftMs.p95} ms`,
        `result               p50 ${report.resultMs.p50} ms, p95 ${report.resultMs.p95} ms`,
        `server RSS           before ${report.serverRssMiB.before} MiB, after ${report.serverRssMiB.after} MiB, peak ${report.serverRssMiB.peak} MiB`,
      ];
      if (report.forwards !== undefined) lines.push(`forwards             ${report.forwards} (${report.callsPerForward} generation steps per forward)`);
      process.stdout.write(lines.join('\n') + '\n');
    }
  } finally {
    if (server.child && server.child.exitCode === null && server.child.signalCode === null) {
      const exited = new Promise((resolve) => server.child!.once('exit', resolve));
      server.child.kill('SIGTERM');
      await exited;
    }
  }
}

function round(x: number): number {
  return Math.round(x * 10) / 10;
}

function mib(bytes: number): number {
  return round(bytes / 2 ** 20);
}

main().catch((e: Error) => {
  process.stderr.write(`load: ${e.message}\n`);
  process.exitCode = 1;
});
