import * as assert from 'node:assert/strict';
import * as http from 'node:http';
import { DraftEvent, InfillAborted, InfillError, InfillEvent, LocalEngine, parseMarkers, ResultEvent } from '../../../../src/core';
import { OpenAIFimEngine, redact, showUrl } from '../../../../src/core/remote';
import { openEngine } from '../../../../src/core/openEngine';
import { readBody, scriptedServer, TINY } from '../../support/server';

const KEY = 'sk-test-0123456789abcdef';

async function collect(gen: AsyncGenerator<InfillEvent>): Promise<InfillEvent[]> {
  const out: InfillEvent[] = [];
  for await (const e of gen) out.push(e);
  return out;
}

interface Seen {
  path: string;
  auth?: string;
  body: Record<string, unknown>;
}

/** Streams the way Mercury's diffusing FIM does: each chunk's text is the whole current denoised text. */
function sse(res: http.ServerResponse, chunks: unknown[], done = true): void {
  res.writeHead(200, { 'Content-Type': 'text/event-stream' });
  for (const c of chunks) res.write(`data: ${typeof c === 'string' ? c : JSON.stringify(c)}\n\n`);
  if (done) res.write('data: [DONE]\n\n');
  res.end();
}

const chunk = (text: string, finish: string | null = null, extra: Record<string, unknown> = {}) => ({
  id: 'cmpl-1',
  object: 'text_completion',
  model: 'mercury-coder',
  choices: [{ index: 0, text, finish_reason: finish }],
  ...extra,
});

describe('remote: OpenAI-compatible fill-in-the-middle endpoints (a scripted Mercury)', () => {
  let seen: Seen[];
  let script: (seen: Seen, res: http.ServerResponse, req: http.IncomingMessage) => void;
  let server: Awaited<ReturnType<typeof scriptedServer>>;
  let closed: number;
  before(async () => {
    server = await scriptedServer(async (req, res) => {
      res.on('close', () => closed++);
      const s = { path: req.url ?? '', auth: req.headers.authorization, body: JSON.parse(await readBody(req)) };
      seen.push(s);
      script(s, res, req);
    });
  });
  beforeEach(() => {
    seen = [];
    closed = 0;
  });
  after(() => server.close());

  const mercury = () => new OpenAIFimEngine({ url: `${server.url}/v1`, model: 'mercury-coder', apiKey: KEY, diffusing: true });

  it('diffusing: posts prompt, suffix, stream and diffusing to /v1/fim/completions; each whole-text chunk is a draft, the last the result', async () => {
    const states = ['░░░░ + ░', 'a ░░ + b', 'a + b', 'return a + b'];
    script = (_s, res) =>
      sse(
        res,
        states.map((t, i) =>
          chunk(t, i === states.length - 1 ? 'stop' : null, i === states.length - 1 ? { usage: { prompt_tokens: 12, completion_tokens: 5 } } : {}),
        ),
      );
    const events = await collect(mercury().infill(parseMarkers('def add(a, b):\n    <|hole|>\n'), { temperature: 0, seed: 7, steps: 3 }));
    assert.equal(seen.length, 1);
    assert.equal(seen[0].path, '/v1/fim/completions');
    assert.equal(seen[0].auth, `Bearer ${KEY}`);
    assert.deepEqual(seen[0].body, {
      model: 'mercury-coder',
      prompt: 'def add(a, b):\n    ',
      suffix: '\n',
      max_tokens: 256,
      stream: true,
      diffusing: true,
      temperature: 0,
      seed: 7,
    });
    const drafts = events.filter((e): e is DraftEvent => e.type === 'draft');
    assert.deepEqual(
      drafts.map((d) => d.holes[0].text),
      states,
      'each chunk replaces the draft: no accumulation',
    );
    assert.deepEqual(
      drafts.map((d) => [d.step, d.steps]),
      [
        [1, 3],
        [2, 3],
        [3, 3],
        [4, 4],
      ],
    );
    const result = events[events.length - 1] as ResultEvent;
    assert.equal(result.type, 'result');
    assert.equal(result.text, 'def add(a, b):\n    return a + b\n');
    assert.deepEqual(result.holes, [{ text: 'return a + b', heldBack: false }]);
    assert.equal(result.stats.model, 'mercury-coder');
    assert.equal(result.stats.steps, 4);
    assert.equal(result.stats.maskedTokens, 5);
  });

  it('plain OpenAI streams are deltas: accumulated, to /v1/completions', async () => {
    script = (_s, res) => sse(res, [chunk('ret'), chunk('urn '), chunk('a + b', 'stop')]);
    const engine = new OpenAIFimEngine({ url: `${server.url}/v1/`, model: 'deepseek-coder', apiKey: KEY });
    const events = await collect(engine.infill(parseMarkers('x = <|hole:20|>;'), { topP: 0.9 }));
    assert.equal(seen[0].path, '/v1/completions');
    assert.equal(seen[0].body.diffusing, undefined);
    assert.equal(seen[0].body.max_tokens, 20, 'a length hint is the token budget');
    assert.equal(seen[0].body.top_p, 0.9);
    assert.deepEqual(
      events.filter((e) => e.type === 'draft').map((d) => (d as DraftEvent).holes[0].text),
      ['ret', 'return ', 'return a + b'],
    );
    assert.equal((events[events.length - 1] as ResultEvent).text, 'x = return a + b;');
  });

  it('sends a long document within contextTokens, as characters, at whole lines: the whole of it without', async () => {
    script = (_s, res) => sse(res, [chunk('1', 'stop')]);
    const lines = Array.from({ length: 2000 }, (_, i) => `v${i} = ${i}`);
    const text = `${lines.slice(0, 1000).join('\n')}\nx = <|hole|>\n${lines.slice(1000).join('\n')}`;
    await collect(mercury().infill(parseMarkers(text), { contextTokens: 256 }));
    const { prompt, suffix } = seen[0].body as { prompt: string; suffix: string };
    assert.ok(prompt.length + suffix.length <= 256 * 4, `${prompt.length + suffix.length} characters`);
    assert.ok(prompt.endsWith('v999 = 999\nx = ') && /^v\d+ = \d+\n/.test(prompt), 'the lines nearest the hole, whole');
    assert.ok(suffix.startsWith('\nv1000 = 1000\n') && /\nv\d+ = \d+$/.test(suffix));
    await collect(mercury().infill(parseMarkers(text)));
    assert.equal((seen[1].body.prompt as string).length + (seen[1].body.suffix as string).length, text.length - '<|hole|>'.length);
  });

  it('fills several holes one after the other, each prompt carrying the fills before it', async () => {
    let n = 0;
    script = (_s, res) => {
      n++;
      sse(res, [chunk(`F${n}.`), chunk(`FILL${n}`, 'stop')]);
    };
    const events = await collect(mercury().infill(parseMarkers('A<|hole|>B<|hole|>C')));
    assert.deepEqual(
      seen.map((s) => [s.body.prompt, s.body.suffix]),
      [
        ['A', 'BC'],
        ['AFILL1B', 'C'],
      ],
    );
    const drafts = events.filter((e): e is DraftEvent => e.type === 'draft');
    assert.deepEqual(
      drafts.map((d) => d.holes.map((h) => h.text)),
      [
        ['F1.', ''],
        ['FILL1', ''],
        ['FILL1', 'F2.'],
        ['FILL1', 'FILL2'],
      ],
    );
    assert.equal((events[events.length - 1] as ResultEvent).text, 'AFILL1BFILL2C');
  });

  it('an endpoint that answers with one JSON body (no stream) gives one draft and the result', async () => {
    script = (_s, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(chunk('a + b', 'stop')));
    };
    const events = await collect(mercury().infill(parseMarkers('x = <|hole|>')));
    assert.deepEqual(
      events.map((e) => e.type),
      ['draft', 'result'],
    );
    assert.equal((events[1] as ResultEvent).text, 'x = a + b');
  });

  it('malformed and truncated streams are clear errors', async () => {
    const cases: [(s: Seen, res: http.ServerResponse) => void, RegExp][] = [
      [(_s, res) => sse(res, [chunk('a'), '{"choices": [']), /chunk 2 of the stream is not JSON/],
      [(_s, res) => sse(res, [{ object: 'text_completion' }]), /a chunk has no choices\[0\]\.text string/],
      [(_s, res) => sse(res, [chunk('a'), chunk('a + ')], false), /the stream ended after 2 chunks without \[DONE\] or a finish_reason/],
      [(_s, res) => sse(res, [{ error: { message: 'model overloaded' } }]), /reported an error mid-stream: model overloaded/],
      [
        (_s, res) => {
          res.writeHead(200, { 'Content-Type': 'text/event-stream' });
          res.write(`data: ${JSON.stringify(chunk('a'))}\n\ndata: {"choi`);
          setTimeout(() => res.destroy(), 20);
        },
        /connection broke off mid-stream|not JSON|without \[DONE\]/,
      ],
    ];
    for (const [handler, pattern] of cases) {
      script = handler;
      await assert.rejects(collect(mercury().infill(parseMarkers('x = <|hole|>'))), (e: unknown) => {
        assert.ok(e instanceof InfillError, String(e));
        assert.match(e.message, pattern);
        return true;
      });
    }
  });

  it('a refused key is a 401 error that never shows the key', async () => {
    script = (s, res) => {
      res.writeHead(401, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ error: { message: `Incorrect API key provided: ${s.auth?.slice(7)}`, type: 'invalid_request_error' } }));
    };
    await assert.rejects(collect(mercury().infill(parseMarkers('x = <|hole|>'))), (e: unknown) => {
      assert.ok(e instanceof InfillError);
      assert.match(e.message, /\/v1\/fim\/completions refused the credentials \(401\): Incorrect API key provided: \*\*\*; check the token or API key/);
      assert.ok(!e.message.includes(KEY));
      assert.ok(!(e.stack ?? '').includes(KEY));
      return true;
    });
  });

  it('cancelling mid-stream stops the request: InfillAborted, and the connection closes', async () => {
    script = (_s, res) => {
      res.writeHead(200, { 'Content-Type': 'text/event-stream' });
      res.write(`data: ${JSON.stringify(chunk('░░░'))}\n\n`);
    };
    const abort = new AbortController();
    const seenDrafts: InfillEvent[] = [];
    await assert.rejects(
      (async () => {
        for await (const e of mercury().infill(parseMarkers('x = <|hole|>'), {}, abort.signal)) {
          seenDrafts.push(e);
          abort.abort();
        }
      })(),
      (e: unknown) => e instanceof InfillAborted,
    );
    assert.equal(seenDrafts.length, 1);
    for (let i = 0; i < 200 && closed === 0; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(closed, 1);
  });

  it('openEngine builds each kind; keys and URL secrets stay out of messages', async () => {
    const fim = await openEngine({
      kind: 'openai-fim',
      url: 'https://api.example.com/v1/fim/completions',
      model: 'mercury-coder',
      apiKey: KEY,
      diffusing: true,
    });
    assert.ok(fim instanceof OpenAIFimEngine);
    assert.equal(fim.endpoint.pathname, '/v1/fim/completions');
    assert.deepEqual(fim.info, { name: 'mercury-coder', device: 'api.example.com', maxContext: 0 });
    const local = await openEngine({ kind: 'local', dir: TINY });
    assert.ok(local instanceof LocalEngine);
    await assert.rejects(openEngine({ kind: 'openai-fim', url: 'ftp://x/v1', model: 'm' }), /only http and https/);
    await assert.rejects(openEngine({ kind: 'openai-fim', url: 'https://x/v1', model: '' }), /name the model/);
    await assert.rejects(openEngine({ kind: 'gpu' } as never), /unknown engine kind "gpu"/);
    assert.equal(showUrl(`https://user:${KEY}@api.example.com/v1/x?key=${KEY}`), 'https://api.example.com/v1/x');
    assert.equal(redact(`failed with ${KEY} and Authorization: Bearer abc.def`, [KEY]), 'failed with *** and Authorization: Bearer ***');
  });
});
