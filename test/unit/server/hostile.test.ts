import * as assert from 'node:assert/strict';
import * as http from 'node:http';
import { AddressInfo } from 'node:net';
import * as net from 'node:net';
import { InfillAborted, InfillEngine, InfillEvent } from '../../../src/core';
import { createInfillServer, InfillServer, InfillServerOptions } from '../../../src/server';
import { eventually } from '../support/server';

/** An engine that yields big drafts until it is stopped; `stopped` counts the generations that ended. */
function endlessEngine() {
  const state = { started: 0, stopped: 0 };
  const engine: InfillEngine = {
    info: { name: 'endless', device: 'cpu', maxContext: 512 },
    async *infill(_request, _options, signal): AsyncGenerator<InfillEvent> {
      state.started++;
      try {
        for (let step = 1; ; step++) {
          if (signal?.aborted) throw new InfillAborted();
          yield { type: 'draft', step, steps: 1e9, holes: [{ text: 'x'.repeat(1 << 16), masked: 1 }], committed: [] };
          await new Promise((resolve) => setImmediate(resolve));
        }
      } finally {
        state.stopped++;
      }
    },
  };
  return { engine, state };
}

async function listen(engine: InfillEngine, options: InfillServerOptions): Promise<{ service: InfillServer; port: number }> {
  const service = createInfillServer(engine, options);
  await new Promise<void>((resolve) => service.server.listen(0, '127.0.0.1', resolve));
  return { service, port: (service.server.address() as AddressInfo).port };
}

/** A client that sends a request and then never reads a byte of the answer. */
function neverReads(port: number, body: object): net.Socket {
  const json = JSON.stringify(body);
  const socket = net.connect(port, '127.0.0.1');
  socket.write(
    `POST /v1/infill HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(json)}\r\n\r\n${json}`,
  );
  socket.pause();
  return socket;
}

function request(port: number, method: string, path: string, headers: Record<string, string>, body?: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path, headers, setHost: false }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => {
        text += d.toString();
        // An endless stream: its first bytes are enough.
        if (res.statusCode === 200 && path === '/v1/infill') res.destroy();
      });
      res.on('close', () => resolve({ status: res.statusCode!, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('serve: a client that stops reading', () => {
  it('is cut after the stall bound: its running place is freed and its generation stopped', async () => {
    const { engine, state } = endlessEngine();
    const logged: string[] = [];
    const { service, port } = await listen(engine, { maxRunning: 1, stalledWriterMs: 300, log: (l) => logged.push(l) });
    const sockets = [neverReads(port, { text: 'x = <|hole|>' })];
    try {
      await eventually(async () => state.started === 1, 'the first generation starts');
      sockets.push(neverReads(port, { text: 'y = <|hole|>' }));
      await eventually(async () => service.queue.waiting === 1, 'a second client waits for the place');
      await eventually(async () => state.stopped >= 1, "the first client's generation is stopped");
      await eventually(async () => state.started === 2, 'the second client gets the place');
      await eventually(async () => state.stopped === 2 && service.queue.running === 0, 'and is cut in turn');
      assert.ok(
        logged.some((l) => /read nothing for \d+ ms .*: cut, generation stopped/.test(l)),
        logged.join('\n'),
      );
    } finally {
      sockets.forEach((s) => s.destroy());
      await service.close();
    }
  });

  it('is cut at the time limit, which covers the whole request, when that comes first', async () => {
    const { engine, state } = endlessEngine();
    const { service, port } = await listen(engine, { stalledWriterMs: 60000 });
    const socket = neverReads(port, { text: 'x = <|hole|>', timeLimitSeconds: 0.5 });
    try {
      const t0 = performance.now();
      await eventually(async () => state.stopped === 1 && service.queue.running === 0, 'the generation is stopped and its place freed');
      assert.ok(performance.now() - t0 < 5000);
    } finally {
      socket.destroy();
      await service.close();
    }
  });
});

describe('serve without a token: only programs of this machine', () => {
  let service: InfillServer;
  let port: number;
  before(async () => ({ service, port } = await listen(endlessEngine().engine, {})));
  after(() => service.close());

  const json = { 'Content-Type': 'application/json' };
  const body = JSON.stringify({ text: 'x = <|hole|>' });

  it('refuses a Host that is not loopback (DNS rebinding), on every path', async () => {
    for (const path of ['/health', '/v1/model']) {
      const r = await request(port, 'GET', path, { Host: `attacker.example:${port}` });
      assert.equal(r.status, 403, path);
      assert.match(JSON.parse(r.text).error, /addressed to "attacker\.example:\d+", not to this machine/);
    }
    const post = await request(port, 'POST', '/v1/infill', { ...json, Host: `attacker.example:${port}` }, body);
    assert.equal(post.status, 403);
  });

  it("refuses a web page's Origin, and a body not declared JSON (a page's simple POST)", async () => {
    const host = { Host: `127.0.0.1:${port}` };
    const page = await request(port, 'POST', '/v1/infill', { ...json, ...host, Origin: 'https://attacker.example' }, body);
    assert.equal(page.status, 403);
    assert.match(JSON.parse(page.text).error, /a request from the web page https:\/\/attacker\.example/);
    const sandboxed = await request(port, 'GET', '/v1/model', { ...host, Origin: 'null' });
    assert.equal(sandboxed.status, 403);
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      const simple = await request(port, 'POST', '/v1/infill', { ...host, 'Content-Type': type }, body);
      assert.equal(simple.status, 415, type);
      assert.match(JSON.parse(simple.text).error, /Content-Type: application\/json/);
    }
  });

  it('answers this machine: a loopback Host, its own Origin or none, a JSON body', async () => {
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`]) {
      assert.equal((await request(port, 'GET', '/v1/model', { Host: host })).status, 200, host);
    }
    const own = { Host: `127.0.0.1:${port}`, Origin: `http://127.0.0.1:${port}` };
    assert.equal((await request(port, 'POST', '/v1/infill', { ...json, ...own }, body)).status, 200);
    assert.equal((await request(port, 'POST', '/v1/infill', { 'Content-Type': 'application/json; charset=utf-8', Host: own.Host }, body)).status, 200);
  });

  it('with a token the bearer check is the gate: any Host and body type (curl -d) are taken', async () => {
    const withToken = await listen(endlessEngine().engine, { token: 'secret-token' });
    try {
      const r = await request(
        withToken.port,
        'POST',
        '/v1/infill',
        { Host: 'gpu-box:8797', 'Content-Type': 'application/x-www-form-urlencoded', Authorization: 'Bearer secret-token' },
        body,
      );
      assert.equal(r.status, 200);
    } finally {
      await withToken.service.close();
    }
  });
});
