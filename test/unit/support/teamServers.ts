import * as http from 'node:http';
import { AddressInfo } from 'node:net';

/**
 * Small stand-ins for the OpenAI-compatible servers of SGLang and vLLM, answering the way their
 * code does (docs/team-server.md cites the files): the request fields they take, the SSE chunks
 * they stream, their error bodies, their `--api-key` check. They write a scripted answer, not a
 * model's: the tests are about the protocol.
 */
export type TeamEngine = 'sglang' | 'vllm';

export interface ScriptedAnswer {
  /** The answer's text, one streamed chunk per piece. */
  content: string[];
  /** Reasoning pieces sent before the content, the way a reasoning parser separates them. */
  reasoning?: string[];
  /** After this many content pieces, the stream carries an error chunk instead of the rest. */
  failAfter?: number;
  /** The stream stays open after the content, as while the model still works. */
  hang?: boolean;
}

export interface TeamServerOptions {
  engine: TeamEngine;
  model: string;
  /** `--api-key`: every /v1 request needs `Authorization: Bearer KEY`. */
  apiKey?: string;
  /** SGLang's `--completion-template` (deepseek_coder, star_coder, qwen_coder): /v1/completions honours `suffix`. */
  completionTemplate?: 'qwen_coder' | 'deepseek_coder';
  /** SGLang's `--stream-response-default-include-usage`: a usage chunk ends every stream. */
  defaultIncludeUsage?: boolean;
  answer: (body: Record<string, unknown>) => ScriptedAnswer;
}

export interface Seen {
  path: string;
  auth?: string;
  body: Record<string, unknown>;
  /** The prompt the model would see on /v1/completions (SGLang builds it from prompt and suffix). */
  modelPrompt?: string;
}

export interface TeamServer {
  url: string;
  seen: Seen[];
  /** Responses whose connection has closed, finished or not. */
  closed(): number;
  close(): Promise<void>;
}

// sglang/srt/parser/code_completion_parser.py
const FIM_TEMPLATES = {
  qwen_coder: (p: string, s: string) => `<|fim_prefix|>${p}<|fim_suffix|>${s}<|fim_middle|>`,
  deepseek_coder: (p: string, s: string) => `<｜fim▁begin｜>${p}<｜fim▁hole｜>${s}<｜fim▁end｜>`,
};

export async function startTeamServer(options: TeamServerOptions): Promise<TeamServer> {
  const seen: Seen[] = [];
  let closed = 0;
  const server = http.createServer(async (req, res) => {
    res.on('close', () => closed++);
    const path = req.url ?? '';
    const json = (status: number, value: unknown) => {
      res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(value));
    };
    // vLLM: server_utils.py AuthenticationMiddleware (paths under /v1); SGLang: add_api_key_middleware (all but /health, /metrics).
    const guarded = options.engine === 'vllm' ? path.startsWith('/v1') : !path.startsWith('/health') && !path.startsWith('/metrics');
    if (options.apiKey && guarded && req.headers.authorization !== `Bearer ${options.apiKey}`) return json(401, { error: 'Unauthorized' });
    if (req.method === 'GET' && path === '/v1/models') {
      return json(200, { object: 'list', data: [{ id: options.model, object: 'model', created: 1, owned_by: options.engine, root: options.model }] });
    }
    const body = JSON.parse(await readBody(req)) as Record<string, unknown>;
    const entry: Seen = { path, auth: req.headers.authorization, body };
    seen.push(entry);
    const chat = path === '/v1/chat/completions';
    if (req.method !== 'POST' || (!chat && path !== '/v1/completions')) return json(404, { detail: 'Not Found' });
    if (options.engine === 'vllm' && body.model !== options.model) {
      return json(404, { error: { message: `The model \`${String(body.model)}\` does not exist.`, type: 'NotFoundError', param: 'model', code: 404 } });
    }
    if (!chat) {
      // vLLM: renderers/online_renderer.py refuses any suffix; SGLang: serving_completions.py
      // applies the completion template, and without one the suffix is silently dropped.
      if (options.engine === 'vllm' && body.suffix !== undefined && body.suffix !== null)
        return json(400, errorBody(options.engine, 'suffix is not currently supported', 400));
      const prompt = String(body.prompt ?? '');
      const suffix = typeof body.suffix === 'string' ? body.suffix : '';
      entry.modelPrompt = options.completionTemplate && suffix !== '' ? FIM_TEMPLATES[options.completionTemplate](prompt, suffix) : prompt;
    }
    const answer = options.answer(body);
    const usage = { prompt_tokens: 40, completion_tokens: answer.content.length, total_tokens: 40 + answer.content.length };
    const id = chat ? 'chatcmpl-1' : 'cmpl-1';
    const object = chat ? 'chat.completion.chunk' : 'text_completion';
    const extra = options.engine === 'vllm' ? { stop_reason: null } : { matched_stop: null };
    if (body.stream !== true) {
      const text = answer.content.join('');
      const choice = chat
        ? {
            index: 0,
            message: { role: 'assistant', content: text, ...reasoningField(options.engine, answer.reasoning?.join('') ?? null) },
            finish_reason: 'stop',
            ...extra,
          }
        : { index: 0, text, logprobs: null, finish_reason: 'stop', ...extra };
      return json(200, { id, object: chat ? 'chat.completion' : 'text_completion', created: 1, model: body.model, choices: [choice], usage });
    }
    res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8' });
    const send = (value: unknown) => res.write(`data: ${JSON.stringify(value)}\n\n`);
    const chunk = (delta: Record<string, unknown> | string, finish: string | null) =>
      send({
        id,
        object,
        created: 1,
        model: body.model,
        choices: [
          chat ? { index: 0, delta, logprobs: null, finish_reason: finish } : { index: 0, text: delta, logprobs: null, finish_reason: finish, ...extra },
        ],
      });
    if (chat) chunk({ role: 'assistant', content: '' }, null);
    for (const piece of answer.reasoning ?? []) chunk(reasoningField(options.engine, piece), null);
    for (const [i, piece] of answer.content.entries()) {
      if (answer.failAfter === i) {
        // Both servers report a failure after the stream began as one chunk {"error": {...}}, then [DONE].
        const failure = errorBody(options.engine, 'CUDA out of memory. Tried to allocate 2.00 GiB', 500);
        send({ error: failure.error ?? failure });
        res.end('data: [DONE]\n\n');
        return;
      }
      await new Promise((r) => setImmediate(r));
      const last = i === answer.content.length - 1 && !answer.hang;
      chunk(chat ? { content: piece } : piece, last ? 'stop' : null);
    }
    if (answer.hang) return;
    const streamOptions = body.stream_options as { include_usage?: boolean } | undefined;
    if (streamOptions?.include_usage ?? options.defaultIncludeUsage) send({ id, object, created: 1, model: body.model, choices: [], usage });
    res.end('data: [DONE]\n\n');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    closed: () => closed,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/**
 * vLLM: ErrorResponse(error=ErrorInfo(message, type, param, code)); SGLang: a flat ErrorResponse
 * (object "error", message, type, param, code), nested under "error" only mid-stream.
 */
function errorBody(engine: TeamEngine, message: string, code: number): { error?: Record<string, unknown> } & Record<string, unknown> {
  const type = code === 400 ? 'BadRequestError' : 'InternalServerError';
  return engine === 'vllm' ? { error: { message, type, param: null, code } } : { object: 'error', message, type, param: null, code };
}

/** vLLM's reasoning parsers fill `reasoning`; SGLang's `reasoning_content` (with tool_calls: null beside). */
function reasoningField(engine: TeamEngine, text: string | null): Record<string, unknown> {
  return engine === 'vllm' ? { reasoning: text } : { reasoning_content: text, tool_calls: null };
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => resolve(body));
  });
}
