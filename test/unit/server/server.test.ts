import * as assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { InfillAborted, InfillError, InfillEvent, LocalEngine, loadModelFolder, parseMarkers } from '../../../src/core';
import { ServerEngine } from '../../../src/core/remote';
import { openEngine } from '../../../src/core/openEngine';
import { DIST_CLI, eventually, health, Served, startServe, TINY } from '../support/server';

const TOKEN = 'test-token-4f9a';
const SOURCE = 'def add(a, b):\n    return <|hole:10|>\n\n\nprint(add(1, <|hole:3|>))\n';

async function collect(gen: AsyncGenerator<InfillEvent>): Promise<InfillEvent[]> {
  const out: InfillEvent[] = [];
  for await (const e of gen) out.push(e);
  return out;
}

function post(url: string, body: unknown, headers: Record<string, string> = {}, signal?: AbortSignal): Promise<Response> {
  return fetch(`${url}/v1/infill`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${TOKEN}`, ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    signal,
  });
}

describe('serve: the real server process on loopback', function () {
  let served: Served;
  before(async () => {
    served = await startServe(['--model', TINY, '--token', TOKEN, '--max-running', '2', '--max-waiting', '4']);
  });
  after(async () => {
    const code = await served?.stop();
    assert.equal(code, 0, `serve did not stop cleanly: ${served?.stderr()}`);
  });

  it('answers /health without a token and /v1/model with one', async () => {
    const h = await health(served.url);
    assert.equal(h.status, 'ok');
    assert.equal(typeof h.rssBytes, 'number');
    const model = await fetch(`${served.url}/v1/model`, { headers: { Authorization: `Bearer ${TOKEN}` } });
    assert.equal(model.status, 200);
    const info = (await model.json()) as { name: string; maxContext: number };
    assert.equal(info.name, 'tiny-random');
    assert.equal(info.maxContext, 512);
  });

  it('streams the same drafts and result to the ServerEngine as the local engine gives', async () => {
    const request = parseMarkers(SOURCE);
    const options = { steps: 5, seed: 1 };
    const local = await collect(new LocalEngine(await loadModelFolder(TINY)).infill(request, options));
    const engine = await openEngine({ kind: 'server', url: served.url, token: TOKEN });
    assert.equal(engine.info.name, 'tiny-random');
    const remote = await collect(engine.infill(request, options));
    assert.equal(remote.length, local.length);
    assert.equal(remote.filter((e) => e.type === 'draft').length, 5);
    const strip = (events: InfillEvent[]) => events.map((e) => (e.type === 'result' ? { ...e, stats: { ...e.stats, elapsedMs: 0, msPerStep: 0 } } : e));
    assert.deepEqual(strip(remote), strip(local));
  });

  it('rewrites a selection sent as an explicit hole', async () => {
    const engine = new ServerEngine(served.url, { token: TOKEN });
    const events = await collect(engine.infill({ text: 'x = 1 + 2\n', holes: [{ start: 4, end: 9, tokens: 4 }] }, { steps: 2 }));
    const result = events[events.length - 1];
    assert.equal(result.type, 'result');
    if (result.type === 'result') {
      assert.ok(result.text.startsWith('x = ') && result.text.endsWith('\n'));
      assert.equal(result.holes.length, 1);
    }
  });

  it('sends server-sent events when the client asks for text/event-stream', async () => {
    const r = await post(served.url, { prefix: 'x = ', suffix: '\n', holeTokens: 3, steps: 3 }, { Accept: 'text/event-stream' });
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type') ?? '', /text\/event-stream/);
    const text = await r.text();
    const messages = text.trim().split('\n\n');
    assert.ok(messages.length >= 2, text);
    const kinds = messages.map((m) => m.split('\n')[0]);
    assert.deepEqual(kinds, [...kinds.slice(0, -1).map(() => 'event: draft'), 'event: result']);
    const last = JSON.parse(messages[messages.length - 1].split('\n')[1].slice('data: '.length));
    assert.equal(last.type, 'result');
  });

  it('a wrong or missing token is a 401, and the client says so clearly', async () => {
    const none = await fetch(`${served.url}/v1/infill`, { method: 'POST', body: '{}' });
    assert.equal(none.status, 401);
    await assert.rejects(openEngine({ kind: 'server', url: served.url, token: 'wrong-token' }), (e: unknown) => {
      assert.ok(e instanceof InfillError);
      assert.match(e.message, /refused the credentials \(401\): wrong bearer token; check the token/);
      assert.ok(!e.message.includes('wrong-token'), 'the token is not in the message');
      return true;
    });
    const engine = new ServerEngine(served.url);
    await assert.rejects(collect(engine.infill(parseMarkers('a<|hole|>'))), /refused the credentials \(401\): this server needs a bearer token/);
  });

  it('bad bodies are 400s naming the field, big ones 413, and the ServerEngine passes the message on', async () => {
    const bad = await post(served.url, { text: 'a<|hole|>', temperature: 'hot' });
    assert.equal(bad.status, 400);
    assert.deepEqual(await bad.json(), { error: 'field "temperature" must be a number, not "hot"' });
    const broken = await post(served.url, '{"text": "a<|hole|>"');
    assert.equal(broken.status, 400);
    assert.match(((await broken.json()) as { error: string }).error, /not valid JSON/);
    const big = await post(served.url, { text: 'x'.repeat(2 << 20) + '<|hole|>' });
    assert.equal(big.status, 413);
    const engine = new ServerEngine(served.url, { token: TOKEN });
    await assert.rejects(collect(engine.infill(parseMarkers('a<|hole|>'), { steps: 0 })), /rejected the request \(400\): steps must be a whole number/);
    await assert.rejects(
      collect(engine.infill(parseMarkers('a<|hole:600|>'))),
      /rejected the request \(400\): the holes need 600 tokens but the canvas holds 512/,
    );
    const wrongPath = await fetch(`${served.url}/v2/fill`);
    assert.equal(wrongPath.status, 404);
  });

  it('stops the work when the client disconnects mid-stream, and keeps serving', async () => {
    const before = await health(served.url);
    const abort = new AbortController();
    const engine = new ServerEngine(served.url, { token: TOKEN });
    const events: InfillEvent[] = [];
    await assert.rejects(
      (async () => {
        for await (const e of engine.infill(parseMarkers('x = <|hole:400|>\n'), { steps: 400 }, abort.signal)) {
          events.push(e);
          if (events.length === 2) abort.abort();
        }
      })(),
      (e: unknown) => e instanceof InfillAborted,
    );
    assert.equal(events.length, 2);
    await eventually(async () => {
      const h = await health(served.url);
      return h.cancelled === before.cancelled + 1 && h.running === 0;
    }, 'the server counts the generation as cancelled and runs nothing');
    const after = await health(served.url);
    assert.equal(after.served, before.served, 'the cancelled generation did not run to its end');
    const again = await collect(engine.infill(parseMarkers('y = <|hole:4|>'), { steps: 2 }));
    assert.equal(again[again.length - 1].type, 'result');
  });

  it('prefills: POST /v1/prefill runs one forward and answers 204, and the ServerEngine sends it', async () => {
    const before = await health(served.url);
    const engine = new ServerEngine(served.url, { token: TOKEN });
    const request = parseMarkers('def scale(v, k):\n    return [x * k for x in <|hole:6|>]\n');
    await engine.prefill(request, { cacheRefresh: 4, reuseKey: 'scale.py' });
    const after = await health(served.url);
    assert.equal(after.prefilled - before.prefilled, 1);
    assert.equal(after.forwardCalls - before.forwardCalls, 1, 'one forward, no generation');
    assert.equal(after.served, before.served);
    const bad = await fetch(`${served.url}/v1/prefill`, { method: 'POST', headers: { Authorization: `Bearer ${TOKEN}` }, body: '{"text": 3}' });
    assert.equal(bad.status, 400);
    assert.match(await bad.text(), /text/);
    const unauthorized = await fetch(`${served.url}/v1/prefill`, { method: 'POST', body: JSON.stringify({ text: 'x<|hole|>' }) });
    assert.equal(unauthorized.status, 401);
  });

  it('concurrent requests of the same shape share forwards', async () => {
    const before = await health(served.url);
    const engine = new ServerEngine(served.url, { token: TOKEN });
    const request = parseMarkers('def f(x):\n    return <|hole:32|>\n');
    const runs = await Promise.all([1, 2, 3].map((seed) => collect(engine.infill(request, { steps: 32, seed }))));
    for (const events of runs) assert.equal(events[events.length - 1].type, 'result');
    const after = await health(served.url);
    const calls = after.forwardCalls - before.forwardCalls;
    const forwards = after.forwards - before.forwards;
    assert.equal(
      calls,
      runs.reduce((n, events) => n + events.length - 1, 0),
      'one forward call per draft',
    );
    assert.ok(after.largestBatch >= 2, 'some forward carried more than one generation');
    assert.ok(forwards < calls, `${forwards} forwards for ${calls} steps: none shared`);
  });

  it('fill --server gives what fill gives locally, drafts included', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'infill-serve-'));
    try {
      const file = path.join(dir, 'example.py');
      fs.writeFileSync(file, SOURCE);
      const run = (...args: string[]) =>
        spawnSync(process.execPath, [DIST_CLI, 'fill', file, '--steps', '4', '--json', ...args], { encoding: 'utf8', timeout: 60000 });
      const local = run('--model', TINY);
      const remote = run('--server', served.url, '--token', TOKEN);
      assert.equal(local.status, 0, local.stderr);
      assert.equal(remote.status, 0, remote.stderr);
      const events = (out: string) =>
        out
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l))
          .map((e) => (e.type === 'result' ? { ...e, stats: { ...e.stats, elapsedMs: 0, msPerStep: 0 } } : e));
      assert.deepEqual(events(remote.stdout), events(local.stdout));
      const denied = run('--server', served.url, '--token', 'nope');
      assert.equal(denied.status, 1);
      assert.match(denied.stderr, /refused the credentials \(401\)/);
      assert.ok(!denied.stderr.includes('nope'));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('serve: a full queue, and refusing to listen beyond loopback without a token', () => {
  let served: Served;
  before(async () => {
    served = await startServe(['--model', TINY, '--max-running', '1', '--max-waiting', '1']);
  });
  after(async () => {
    const code = await served?.stop();
    assert.equal(code, 0, `serve did not stop cleanly: ${served?.stderr()}`);
  });

  it('runs one, lines up one, answers 429 with Retry-After to the third, and frees both places when their clients leave', async () => {
    const long = { text: 'x = <|hole:480|>\n', steps: 480 };
    const first = new AbortController();
    const r1 = await post(served.url, long, {}, first.signal);
    assert.equal(r1.status, 200);
    const reader = r1.body!.getReader();
    await reader.read(); // the first draft has come: it runs
    const second = new AbortController();
    const r2 = post(served.url, long, {}, second.signal).catch(() => null);
    await eventually(async () => (await health(served.url)).waiting === 1, 'the second request waits');
    const r3 = await post(served.url, long);
    assert.equal(r3.status, 429);
    assert.equal(r3.headers.get('retry-after'), '1');
    assert.match(((await r3.json()) as { error: string }).error, /busy \(1 running, 1 waiting\)/);
    const engine = new ServerEngine(served.url);
    await assert.rejects(collect(engine.infill(parseMarkers(long.text), { steps: 480 })), /is busy \(429\).*retry after 1 s/);
    first.abort();
    second.abort();
    await r2;
    await eventually(async () => {
      const h = await health(served.url);
      return h.running === 0 && h.waiting === 0 && h.cancelled === 2;
    }, 'both places are free again');
    const h = await health(served.url);
    assert.equal(h.rejected, 2);
  });

  it('will not listen on a non-loopback address without a token, and says why', async () => {
    const child = spawn(process.execPath, [DIST_CLI, 'serve', '--host', '192.0.2.1', '--port', '0', '--model', TINY], {
      env: { ...process.env, DIFFUSION_INFILL_TOKEN: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    assert.equal(code, 1);
    assert.match(err, /--host 192\.0\.2\.1 is reachable beyond this machine: give --token/);
    assert.equal(out, '');
  });
});
