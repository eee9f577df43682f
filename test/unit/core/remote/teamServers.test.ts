import * as assert from 'node:assert/strict';
import { DraftEvent, InfillAborted, InfillError, InfillEvent, parseMarkers, ResultEvent } from '../../../../src/core';
import { OpenAIChatEngine, OpenAIFimEngine } from '../../../../src/core/remote';
import { openEngine } from '../../../../src/core/openEngine';
import { openConfiguredEngine } from '../../../../src/extension/engineSource';
import { ModelSettings } from '../../../../src/extension/settings';
import { eventually, scriptedServer } from '../../support/server';
import { ScriptedAnswer, startTeamServer, TeamServer } from '../../support/teamServers';

const KEY = 'team-key-5f3a9c0d1e2b';
const ADD = 'def add(a, b):\n    <|hole:24|>\n\nprint(add(1, 2))\n';

async function collect(gen: AsyncGenerator<InfillEvent>): Promise<InfillEvent[]> {
  const out: InfillEvent[] = [];
  for await (const e of gen) out.push(e);
  return out;
}

const drafts = (events: InfillEvent[]) => events.filter((e): e is DraftEvent => e.type === 'draft').map((d) => d.holes.map((h) => h.text));
const result = (events: InfillEvent[]) => events[events.length - 1] as ResultEvent;
const user = (body: Record<string, unknown>) => (body.messages as { role: string; content: string }[])[1].content;

async function rejectsWith(promise: Promise<unknown>, pattern: RegExp): Promise<void> {
  await assert.rejects(promise, (e: unknown) => {
    assert.ok(e instanceof InfillError, String(e));
    assert.match(e.message, pattern);
    assert.ok(!e.message.includes(KEY) && !(e.stack ?? '').includes(KEY), 'the key never shows');
    return true;
  });
}

describe('team servers: vLLM serving DiffusionGemma (OpenAI-compatible chat)', () => {
  let server: TeamServer;
  let answer: (body: Record<string, unknown>) => ScriptedAnswer;
  before(async () => {
    server = await startTeamServer({ engine: 'vllm', model: 'google/diffusiongemma-26B-A4B-it', apiKey: KEY, answer: (b) => answer(b) });
  });
  beforeEach(() => server.seen.splice(0));
  after(() => server.close());
  const chat = (apiKey: string | null = KEY) =>
    new OpenAIChatEngine({ url: `${server.url}/v1`, model: 'google/diffusiongemma-26B-A4B-it', apiKey: apiKey ?? undefined });

  it('asks /v1/chat/completions for the hole and streams the code block growing into drafts', async () => {
    answer = () => ({ content: ['```python\n', 'return a', ' + b\n', '```'] });
    const events = await collect(chat().infill(parseMarkers(ADD), { temperature: 0, seed: 3 }));
    assert.equal(server.seen.length, 1);
    const { path, auth, body } = server.seen[0];
    assert.equal(path, '/v1/chat/completions');
    assert.equal(auth, `Bearer ${KEY}`);
    assert.equal(body.model, 'google/diffusiongemma-26B-A4B-it');
    assert.equal(body.max_tokens, 24 + 16, 'the hole hint, and room for the fence');
    assert.equal(body.stream, true);
    assert.deepEqual(body.stream_options, { include_usage: true });
    assert.equal(body.temperature, 0);
    assert.equal(body.seed, 3);
    assert.equal(body.suffix, undefined);
    assert.ok(user(body).includes('def add(a, b):\n    {{FILL_HERE}}\n\nprint(add(1, 2))\n'), user(body));
    assert.deepEqual(drafts(events), [[''], [''], ['return a'], ['return a + b'], ['return a + b']]);
    const done = result(events);
    assert.equal(done.text, 'def add(a, b):\n    return a + b\n\nprint(add(1, 2))\n');
    assert.equal(done.stats.maskedTokens, 4, 'the usage chunk (choices: []) counts');
    assert.equal(done.stats.model, 'google/diffusiongemma-26B-A4B-it');
  });

  it('leaves out the reasoning a reasoning parser separates, and thought channels it does not', async () => {
    answer = () => ({ reasoning: ['Sum ', 'them.'], content: ['<|channel>thought\nplain sum<channel|>', '```python\nreturn a + b\n```'] });
    const events = await collect(chat().infill(parseMarkers(ADD)));
    assert.equal(result(events).text, 'def add(a, b):\n    return a + b\n\nprint(add(1, 2))\n');
    assert.ok(
      drafts(events).every(([text]) => !/Sum|plain/.test(text)),
      JSON.stringify(drafts(events)),
    );
  });

  it('a missing or wrong key is a 401 that says to check the key, and never shows it', async () => {
    await rejectsWith(
      collect(chat(null).infill(parseMarkers(ADD))),
      /\/v1\/chat\/completions refused the credentials \(401\): Unauthorized; check the token or API key/,
    );
    await rejectsWith(collect(chat(`${KEY}-old`).infill(parseMarkers(ADD))), /refused the credentials \(401\)/);
  });

  it("a model the server does not serve is vLLM's 404, with its message", async () => {
    const engine = new OpenAIChatEngine({ url: `${server.url}/v1`, model: 'diffusiongemma', apiKey: KEY });
    await rejectsWith(collect(engine.infill(parseMarkers(ADD))), /\(404\): The model `diffusiongemma` does not exist\./);
  });

  it('a failure after the stream began (an error chunk, then [DONE]) is an error, not a short fill', async () => {
    answer = () => ({ content: ['```python\n', 'return a', ' + b\n', '```'], failAfter: 2 });
    await rejectsWith(collect(chat().infill(parseMarkers(ADD))), /reported an error mid-stream: CUDA out of memory/);
  });

  it('its /v1/completions refuses a suffix: the FIM source says to use the chat one', async () => {
    const fim = await openEngine({ kind: 'openai-fim', url: `${server.url}/v1`, model: 'google/diffusiongemma-26B-A4B-it', apiKey: KEY });
    await rejectsWith(
      collect(fim.infill(parseMarkers(ADD))),
      /\/v1\/completions rejected the request \(400\): suffix is not currently supported; this server does not fill in the middle: use its chat endpoint \(source "openai-chat"\) instead/,
    );
  });

  it('the extension opens it from its settings, with the key stored for the server', async () => {
    answer = () => ({ content: ['```python\nreturn a + b\n```'] });
    const settings: ModelSettings = {
      source: 'openai-chat',
      values: { url: server.url, model: 'google/diffusiongemma-26B-A4B-it' },
      device: 'cpu',
      threads: 0,
      modelsFolder: '/nowhere',
    };
    const logged: string[] = [];
    const engine = await openConfiguredEngine(
      settings,
      (m) => logged.push(m),
      async () => KEY,
    );
    assert.ok(engine instanceof OpenAIChatEngine);
    const events = await collect(engine.infill(parseMarkers(ADD)));
    assert.equal(server.seen[0].path, '/v1/chat/completions', 'a bare host gets /v1/chat/completions');
    assert.equal(result(events).holes[0].text, 'return a + b');
    assert.ok(logged.every((m) => !m.includes(KEY)));
    await assert.rejects(
      openConfiguredEngine({ ...settings, values: { url: server.url } }, () => undefined),
      /the model source "openai-chat" needs diffusionInfill\.model\.openaiChat\.model: the model the server serves/,
    );
  });
});

describe('team servers: SGLang serving LLaDA 2.x (--dllm-algorithm)', () => {
  let server: TeamServer;
  let answer: (body: Record<string, unknown>) => ScriptedAnswer;
  before(async () => {
    server = await startTeamServer({ engine: 'sglang', model: 'inclusionAI/LLaDA2.1-mini', answer: (b) => answer(b) });
  });
  beforeEach(() => server.seen.splice(0));
  after(() => server.close());
  const chat = () => new OpenAIChatEngine({ url: `${server.url}/v1/chat/completions`, model: 'inclusionAI/LLaDA2.1-mini' });

  it('fills several holes one after the other, each question showing the fills before it', async () => {
    let n = 0;
    answer = () => ({ content: n++ === 0 ? ['```js\n', 'const x = 42;\n', '```'] : ['```js\n', 'const y = x * 2;\n', '```'] });
    const text = 'const x = <|hole|>;\nconst y = <|hole|>;\n';
    const events = await collect(chat().infill(parseMarkers(text)));
    assert.deepEqual(
      server.seen.map((s) => s.path),
      ['/v1/chat/completions', '/v1/chat/completions'],
    );
    assert.ok(user(server.seen[0].body).includes('const x = {{FILL_HERE}};\nconst y = ;\n'));
    assert.ok(user(server.seen[1].body).includes('const x = 42;\nconst y = {{FILL_HERE}};\n'), 'the second question has the first fill');
    assert.equal(result(events).text, 'const x = 42;\nconst y = x * 2;\n', 'the repeated code around each hole is taken off');
    assert.deepEqual(drafts(events).at(-1), ['42', 'x * 2']);
  });

  it('a one-line hole keeps the first line of a longer answer', async () => {
    answer = () => ({ content: ['```js\nf(a)\ng(b)\n```'] });
    const events = await collect(chat().infill(parseMarkers('run(<|hole|>);\n')));
    assert.equal(result(events).text, 'run(f(a));\n');
  });

  it('cancelling while the model still writes ends the request: InfillAborted, and the connection closes', async () => {
    answer = () => ({ content: ['```js\n', 'compute('], hang: true });
    const abort = new AbortController();
    const before = server.closed();
    const seenDrafts: string[] = [];
    await assert.rejects(
      (async () => {
        for await (const e of chat().infill(parseMarkers('x = <|hole|>\n'), {}, abort.signal)) {
          if (e.type === 'draft') seenDrafts.push(e.holes[0].text);
          if (seenDrafts.includes('compute(')) abort.abort();
        }
      })(),
      (e: unknown) => e instanceof InfillAborted,
    );
    await eventually(async () => server.closed() > before, 'the server saw the connection close');
  });

  it("SGLang's flat error body and its mid-stream error chunk are clear errors", async () => {
    answer = () => ({ content: ['```js\n', '1', '\n```'], failAfter: 1 });
    await rejectsWith(collect(chat().infill(parseMarkers('x = <|hole|>\n'))), /reported an error mid-stream: CUDA out of memory/);
  });

  it('with --completion-template, /v1/completions fills in the middle through the FIM source; a usage chunk with no choices ends the stream', async () => {
    const coder = await startTeamServer({
      engine: 'sglang',
      model: 'Qwen/Qwen2.5-Coder-7B',
      completionTemplate: 'qwen_coder',
      defaultIncludeUsage: true,
      answer: () => ({ content: ['return', ' a + b'] }),
    });
    try {
      const fim = await openEngine({ kind: 'openai-fim', url: `${coder.url}/v1`, model: 'Qwen/Qwen2.5-Coder-7B' });
      const events = await collect(fim.infill(parseMarkers(ADD)));
      const seen = coder.seen[0];
      assert.equal(seen.path, '/v1/completions');
      assert.deepEqual([seen.body.prompt, seen.body.suffix], ['def add(a, b):\n    ', '\n\nprint(add(1, 2))\n']);
      assert.equal(seen.modelPrompt, '<|fim_prefix|>def add(a, b):\n    <|fim_suffix|>\n\nprint(add(1, 2))\n<|fim_middle|>');
      assert.equal(result(events).text, 'def add(a, b):\n    return a + b\n\nprint(add(1, 2))\n');
      assert.equal(result(events).stats.maskedTokens, 2);
    } finally {
      await coder.close();
    }
  });
});

describe('team servers: answers without a stream, and URL forms', () => {
  it('a whole chat.completion answer (a proxy that does not stream) gives one draft and the result', async () => {
    const proxy = await scriptedServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(
        JSON.stringify({
          id: 'c',
          object: 'chat.completion',
          choices: [{ index: 0, message: { role: 'assistant', content: '```\nreturn a + b\n```', reasoning_content: null }, finish_reason: 'stop' }],
          usage: { prompt_tokens: 9, completion_tokens: 5 },
        }),
      );
    });
    try {
      const events = await collect(new OpenAIChatEngine({ url: proxy.url, model: 'm' }).infill(parseMarkers(ADD)));
      assert.deepEqual(drafts(events), [['return a + b']]);
      assert.equal(result(events).stats.maskedTokens, 5);
    } finally {
      await proxy.close();
    }
  });

  it('an answer that is not a chat answer says so', async () => {
    const completions = await scriptedServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ choices: [{ index: 0, text: 'a + b', finish_reason: 'stop' }] }));
    });
    try {
      await rejectsWith(
        collect(new OpenAIChatEngine({ url: completions.url, model: 'm' }).infill(parseMarkers(ADD))),
        /choices\[0\] has neither "delta" nor "message" .*use the source "openai-fim"/,
      );
    } finally {
      await completions.close();
    }
  });

  it('takes an endpoint, a /v1 base or a bare host; refuses what is not a URL', async () => {
    const at = (url: string) => new OpenAIChatEngine({ url, model: 'm' }).endpoint.href;
    assert.equal(at('http://gpu-box:30000'), 'http://gpu-box:30000/v1/chat/completions');
    assert.equal(at('http://gpu-box:8000/v1/'), 'http://gpu-box:8000/v1/chat/completions');
    assert.equal(at('https://team.example/llm/v1/chat/completions'), 'https://team.example/llm/v1/chat/completions');
    assert.equal(new OpenAIFimEngine({ url: 'http://gpu-box:30000', model: 'm' }).endpoint.href, 'http://gpu-box:30000/v1/completions', 'FIM too');
    assert.throws(() => new OpenAIChatEngine({ url: 'gpu-box:30000', model: 'm' }), /no scheme; write it as http:\/\/gpu-box:30000/);
    assert.throws(() => new OpenAIChatEngine({ url: 'http://gpu-box:30000', model: '' }), /name the model/);
    assert.throws(() => new OpenAIChatEngine({ url: 'http://gpu-box:30000', model: 'm', apiKey: ' ' }), /the API key is blank/);
    await assert.rejects(openEngine({ kind: 'openai-chat', url: 'ftp://gpu-box/v1', model: 'm' }), /only http and https/);
  });
});
