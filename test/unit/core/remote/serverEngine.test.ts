import * as assert from 'node:assert/strict';
import * as http from 'node:http';
import { InfillAborted, InfillError, InfillEvent, parseMarkers } from '../../../../src/core';
import { ServerEngine } from '../../../../src/core/remote';
import { openEngine } from '../../../../src/core/openEngine';
import { readBody, scriptedServer } from '../../support/server';

const draft = (step: number) => ({
  type: 'draft',
  step,
  steps: 3,
  holes: [{ text: `d${step}░`, masked: 1 }],
  committed: [{ pos: 3, hole: 0, offset: 0, token: 100, text: 'd', confidence: 0.5 }],
});
const result = {
  type: 'result',
  text: 'a = done',
  holes: [{ text: 'done', heldBack: false }],
  stats: { model: 'm', device: 'cpu', steps: 3, canvasTokens: 9, maskedTokens: 4, elapsedMs: 5, msPerStep: 1, tokensPerStep: 1, seed: 0 },
};
const REQUEST = parseMarkers('a = <|hole|>');

async function collect(gen: AsyncGenerator<InfillEvent>): Promise<InfillEvent[]> {
  const out: InfillEvent[] = [];
  for await (const e of gen) out.push(e);
  return out;
}

describe('remote: the ServerEngine against scripted servers', () => {
  let script: (req: http.IncomingMessage, res: http.ServerResponse) => void | Promise<void>;
  let server: Awaited<ReturnType<typeof scriptedServer>>;
  let closed: number;
  before(async () => {
    server = await scriptedServer((req, res) => {
      res.on('close', () => closed++);
      void script(req, res);
    });
  });
  beforeEach(() => {
    closed = 0;
  });
  after(() => server.close());

  const ndjson =
    (lines: string[], end = true) =>
    (_req: http.IncomingMessage, res: http.ServerResponse) => {
      res.writeHead(200, { 'Content-Type': 'application/x-ndjson' });
      for (const l of lines) res.write(l + '\n');
      if (end) res.end();
      else res.destroy();
    };

  it('sends the text, holes, settings and token; yields the drafts and the result', async () => {
    let seen: { body: Record<string, unknown>; auth?: string; path?: string } | undefined;
    script = async (req, res) => {
      seen = { body: JSON.parse(await readBody(req)), auth: req.headers.authorization, path: req.url };
      ndjson([JSON.stringify(draft(1)), '', JSON.stringify(draft(2)), JSON.stringify(result)])(req, res);
    };
    const engine = new ServerEngine(server.url + '/', { token: 'sekrit' });
    const events = await collect(engine.infill(REQUEST, { steps: 3, alg: 'entropy', temperature: undefined }));
    assert.deepEqual(events, [draft(1), draft(2), result]);
    assert.deepEqual(seen, { body: { text: 'a = ', holes: [{ start: 4, end: 4 }], steps: 3, alg: 'entropy' }, auth: 'Bearer sekrit', path: '/v1/infill' });
  });

  it("sends a reuseKey of this client's own, which names no path: another client's requests never start from it", async () => {
    const keys: unknown[] = [];
    script = async (req, res) => {
      keys.push(JSON.parse(await readBody(req)).reuseKey);
      if (req.url === '/v1/prefill') res.writeHead(204).end();
      else ndjson([JSON.stringify(result)])(req, res);
    };
    const [one, two] = [new ServerEngine(server.url), new ServerEngine(server.url)];
    const options = { reuseKey: 'file:///home/me/secret/app.py' };
    await collect(one.infill(REQUEST, options));
    await one.prefill(REQUEST, options);
    await collect(two.infill(REQUEST, options));
    await collect(one.infill(REQUEST, { reuseKey: 'file:///home/me/other.py' }));
    await collect(one.infill(REQUEST, {}));
    const [a, aPrefill, b, other, none] = keys as (string | undefined)[];
    assert.equal(aPrefill, a, 'one client, one file: one key');
    assert.notEqual(b, a, 'another client: another key');
    assert.notEqual(other, a, 'another file: another key');
    assert.equal(none, undefined, 'no key: none sent');
    for (const key of [a, b, other]) assert.ok(typeof key === 'string' && key.length <= 100 && !key.includes('secret'), key);
  });

  it("a document larger than the server's body limit is sent around its holes, and the result is the whole document", async () => {
    const line = (i: number) => `value_${i} = compute(${i})  # a line of a large generated file\n`;
    const head = Array.from({ length: 20_000 }, (_, i) => line(i)).join('');
    const tail = Array.from({ length: 20_000 }, (_, i) => line(i + 20_000)).join('');
    const text = `${head}x = \n${tail}`;
    const at = head.length + 4;
    let sent: { text: string; holes: { start: number; end: number }[] } | undefined;
    script = async (req, res) => {
      sent = JSON.parse(await readBody(req));
      const hole = sent!.holes[0];
      const filled = sent!.text.slice(0, hole.start) + 'done' + sent!.text.slice(hole.end);
      ndjson([JSON.stringify({ ...result, text: filled })])(req, res);
    };
    assert.ok(text.length > 2 << 20, 'the document is over 2 MiB');
    const engine = new ServerEngine(server.url, {}, { name: 'm', device: 'cpu', maxContext: 4096 });
    const events = await collect(engine.infill({ text, holes: [{ start: at, end: at }] }));
    assert.ok(sent!.text.length < 1 << 20, `sent ${sent!.text.length} characters, under the 1 MiB default limit`);
    assert.ok(sent!.text.startsWith('value_') && sent!.text.endsWith(')  # a line of a large generated file'), 'cut at whole lines');
    assert.equal(sent!.text.slice(sent!.holes[0].start - 4, sent!.holes[0].start), 'x = ', 'the hole moved with the cut');
    const last = events.at(-1)!;
    assert.equal(last.type, 'result');
    assert.equal(last.type === 'result' && last.text, `${head}x = done\n${tail}`);
  });

  it('prefills with the infill body; a server without the endpoint is not asked again, other errors surface', async () => {
    const seen: string[] = [];
    let status = 204;
    script = async (req, res) => {
      seen.push(`${req.url} ${await readBody(req)}`);
      res.writeHead(status, { 'Content-Type': 'application/json' }).end(status === 204 ? undefined : '{"error": "no"}');
    };
    const engine = new ServerEngine(server.url, { token: 'sekrit' });
    await engine.prefill(REQUEST, { steps: 3 });
    assert.deepEqual(seen, ['/v1/prefill {"text":"a = ","holes":[{"start":4,"end":4}],"steps":3}']);
    status = 500;
    await assert.rejects(engine.prefill(REQUEST), /500/);
    status = 404;
    await engine.prefill(REQUEST);
    await engine.prefill(REQUEST);
    assert.equal(seen.length, 3, 'after a 404 the server is not asked again');
  });

  it('a line that is not JSON is a clear error naming the line', async () => {
    script = ndjson([JSON.stringify(draft(1)), '{"type": "draft", "step": 2', JSON.stringify(result)]);
    await assert.rejects(collect(new ServerEngine(server.url).infill(REQUEST)), (e: unknown) => {
      assert.ok(e instanceof InfillError);
      assert.match(e.message, /\/v1\/infill: line 2 of the stream is not JSON: "\{\\"type\\": \\"draft\\", \\"step\\": 2"/);
      return true;
    });
  });

  it('a stream that ends without a result is an error that says so', async () => {
    script = ndjson([JSON.stringify(draft(1)), JSON.stringify(draft(2))]);
    await assert.rejects(collect(new ServerEngine(server.url).infill(REQUEST)), /the stream ended after 2 drafts without a result/);
  });

  it('a connection cut mid-line is an error, not a hang', async () => {
    script = (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/x-ndjson' });
      res.write(JSON.stringify(draft(1)) + '\n' + JSON.stringify(draft(2)).slice(0, 30));
      setTimeout(() => res.destroy(), 20);
    };
    await assert.rejects(collect(new ServerEngine(server.url).infill(REQUEST)), (e: unknown) => {
      assert.ok(e instanceof InfillError);
      assert.match(e.message, /connection broke off mid-stream|line 2 of the stream is not JSON|without a result/);
      return true;
    });
  });

  it('events of the wrong shape are refused with the field named', async () => {
    const cases: [unknown, RegExp][] = [
      [{ ...draft(1), holes: [] }, /line 1: "holes" must be an array of 1/],
      [{ ...draft(1), step: 'one' }, /a draft needs numeric "step" and "steps"/],
      [{ ...draft(1), committed: [{ pos: 1 }] }, /committed\[0\] must have numeric pos/],
      [{ ...result, stats: { ...result.stats, steps: null } }, /stats\.steps must be a number/],
      [{ ...result, holes: [{ text: 'done' }] }, /holes\[0\]\.heldBack must be true or false/],
      [{ type: 'progress' }, /unknown event type "progress"/],
      [[1, 2], /expected a JSON object/],
      [{ type: 'error', message: 'the GPU fell over' }, /the server failed: the GPU fell over/],
    ];
    for (const [event, pattern] of cases) {
      script = ndjson([JSON.stringify(event), JSON.stringify(result)]);
      await assert.rejects(collect(new ServerEngine(server.url).infill(REQUEST)), pattern);
    }
  });

  it('HTTP errors carry the status and the server message, never the token', async () => {
    const answer =
      (status: number, body: string, headers: Record<string, string> = {}) =>
      (_req: http.IncomingMessage, res: http.ServerResponse) => {
        res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
        res.end(body);
      };
    const engine = new ServerEngine(server.url, { token: 'tok-12345678' });
    const cases: [ReturnType<typeof answer>, RegExp][] = [
      [answer(500, '{"error":"boom"}'), /\/v1\/infill failed \(500\): boom$/],
      [answer(429, '{"error":"busy"}', { 'Retry-After': '3' }), /is busy \(429\): busy; retry after 3 s/],
      [answer(400, '{"error":"field \\"steps\\" must be a number"}'), /rejected the request \(400\): field "steps" must be a number/],
      [answer(401, '{"error":"token tok-12345678 is wrong"}'), /refused the credentials \(401\): token \*\*\* is wrong; check the token/],
      [answer(404, 'Not Found'), /has no such endpoint \(404\): Not Found; check the URL/],
    ];
    for (const [handler, pattern] of cases) {
      script = handler;
      await assert.rejects(collect(engine.infill(REQUEST)), (e: unknown) => {
        assert.ok(e instanceof InfillError);
        assert.match(e.message, pattern);
        assert.ok(!e.message.includes('tok-12345678'));
        return true;
      });
    }
  });

  it('connect() checks the model endpoint first: not our server is a clear error', async () => {
    script = (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/html' });
      res.end('<html>hello</html>');
    };
    await assert.rejects(openEngine({ kind: 'server', url: server.url }), /did not answer with JSON: is this a diffusion-infill server\?/);
    script = (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end('{"name":"big-model","layout":"dream","device":"cuda","maxContext":4096}');
    };
    const engine = await openEngine({ kind: 'server', url: server.url });
    assert.deepEqual(engine.info, { name: 'big-model', layout: 'dream', device: `cuda at ${new URL(server.url).host}`, maxContext: 4096 });
  });

  it('nobody listening is a clear error; a bad URL too', async () => {
    const gone = await scriptedServer(() => undefined);
    const url = gone.url;
    await gone.close();
    await assert.rejects(collect(new ServerEngine(url).infill(REQUEST)), /cannot reach http:\/\/127\.0\.0\.1:\d+\/v1\/infill: ECONNREFUSED/);
    assert.throws(() => new ServerEngine('not a url'), /"not a url" is not a URL/);
  });

  it('a pasted endpoint URL names its server; another service at the address is told apart', async () => {
    let asked = '';
    script = (req, res) => {
      asked = req.url ?? '';
      res.writeHead(404, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ detail: 'Not found.' }));
    };
    await assert.rejects(ServerEngine.connect(`${server.url}/v1/infill`), /does not exist there: is http:\/\/127\.0\.0\.1:\d+\/ a diffusion-infill server\?/);
    assert.equal(asked, '/v1/model', 'the pasted /v1/infill is not asked as /v1/infill/v1/model');
  });

  it('a URL with a user name or password, and a blank token, are refused without showing the secret', () => {
    assert.throws(
      () => new ServerEngine('http://user:SECRET-123@127.0.0.1:9/'),
      (e: Error) => e instanceof InfillError && /leave the user name and password out/.test(e.message) && !e.message.includes('SECRET'),
    );
    assert.throws(() => new ServerEngine('http://127.0.0.1:9/', { token: '  ' }), /the server token is blank/);
  });

  it('cancelling stops the download: the server sees the connection close', async () => {
    script = (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/x-ndjson' });
      res.write(JSON.stringify(draft(1)) + '\n');
      // ...and never more: the client must leave by itself.
    };
    const abort = new AbortController();
    const seen: InfillEvent[] = [];
    await assert.rejects(
      (async () => {
        for await (const e of new ServerEngine(server.url).infill(REQUEST, {}, abort.signal)) {
          seen.push(e);
          abort.abort();
        }
      })(),
      (e: unknown) => e instanceof InfillAborted,
    );
    assert.equal(seen.length, 1);
    for (let i = 0; i < 200 && closed === 0; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(closed, 1);
  });
});
