import { cleanFill, singleLineFill } from '../fillRules';
import { checkRequestOptions, InfillOptions } from '../options';
import { InfillAborted, InfillError } from '../errors';
import { DraftHole, InfillEvent } from '../events';
import { resultEvent } from '../result';
import { applyFills, Hole, InfillRequest, validateHoles } from '../holes';
import { charWindow } from './charWindow';
import { isAbort, lines, parseHttpUrl, postJson, redact, RemoteStatusError, showUrl, sseMessages } from './http';

/** One hole as a remote endpoint sees it: the text before it (with the fills so far) and after it, within charWindow. */
export interface HoleContext {
  hole: Hole;
  prefix: string;
  suffix: string;
  /** The text the hole replaces (empty for a cursor). */
  current: string;
  /** max_tokens for the fill: the hole's hint, else the caller's, else the source's default. */
  budget: number;
}

/** What differs between OpenAI-compatible endpoints: the request body and how a chunk becomes text. */
export interface Dialect {
  endpoint: URL;
  model: string;
  apiKey?: string;
  defaultTokens: number;
  body(context: HoleContext, options: InfillOptions): Record<string, unknown>;
  /** A chunk's (or a whole answer's) text; undefined for chunks that carry none (usage, role). */
  chunkText(json: AnswerJson, where: string): string | undefined;
  /** Whether each chunk is the whole text so far (Mercury's diffusing stream) rather than a delta. */
  wholeChunks: boolean;
  /** The hole's text, from the text received so far (called on partial text while streaming). */
  holeText(raw: string, context: HoleContext): string;
  /** Added to an error status's message: what to do about it on this kind of endpoint. */
  statusHint?(status: number, message: string): string | undefined;
}

export interface AnswerJson {
  choices?: { text?: unknown; delta?: { content?: unknown }; message?: { content?: unknown }; finish_reason?: string | null }[];
  usage?: { prompt_tokens?: number; completion_tokens?: number } | null;
  error?: { message?: string } | string;
}

/**
 * The endpoint URL: the given one when its path is already an endpoint's, else `path` added to
 * it, with `/v1` first when the URL has no path at all (SGLang, vLLM and OpenAI serve under /v1).
 */
export function endpointUrl(text: string, path: string, isEndpoint: RegExp, apiKey: string | undefined): URL {
  const url = parseHttpUrl(text, 'https://host/v1', [apiKey]);
  if (!isEndpoint.test(url.pathname)) {
    const base = url.pathname === '/' ? '/v1' : url.pathname.replace(/\/$/, '');
    url.pathname = base + path;
  }
  return url;
}

/**
 * Fills the holes one request at a time, left to right, each request seeing the fills before
 * it: completion and chat endpoints write one span per request. Streams become drafts of the
 * hole being written; a JSON answer (no stream) is one draft.
 */
export async function* fillHoleByHole(dialect: Dialect, request: InfillRequest, options: InfillOptions, signal?: AbortSignal): AsyncGenerator<InfillEvent> {
  const started = performance.now();
  const holes = validateHoles(request);
  checkRequestOptions(options);
  const fills: string[] = [];
  const filled: string[] = [];
  const secrets = [dialect.apiKey];
  const where = showUrl(dialect.endpoint);
  let step = 0;
  let promptTokens = 0;
  let completionTokens = 0;
  let usage = false;
  const count = (json: AnswerJson) => {
    if (!json.usage) return;
    usage = true;
    promptTokens += json.usage.prompt_tokens ?? 0;
    completionTokens += json.usage.completion_tokens ?? 0;
  };
  const draft = (current: string): InfillEvent => {
    const shown: DraftHole[] = holes.map((_, i) => ({ text: i < filled.length ? filled[i] : i === filled.length ? current : '', masked: 0 }));
    step++;
    return { type: 'draft', step, steps: Math.max(step, options.steps ?? 0), holes: shown, committed: [] };
  };

  for (const [i, hole] of holes.entries()) {
    const context: HoleContext = {
      hole,
      ...charWindow(applyFills(request.text.slice(0, hole.start), holes.slice(0, i), filled), request.text.slice(hole.end), options.contextTokens),
      current: request.text.slice(hole.start, hole.end),
      budget: hole.tokens ?? options.defaultHoleTokens ?? dialect.defaultTokens,
    };
    // A draft of a one-line hole shows what the result will keep of it (the fill rules' singleLineFill).
    const shown = (raw: string) => {
      const text = dialect.holeText(raw, context);
      return hole.singleLine ? singleLineFill(text) : text;
    };
    const headers: Record<string, string> = { Accept: 'text/event-stream' };
    if (dialect.apiKey) headers.Authorization = `Bearer ${dialect.apiKey}`;
    let response: Response;
    try {
      response = await postJson(dialect.endpoint, dialect.body(context, options), headers, secrets, signal);
    } catch (e) {
      const hint = e instanceof RemoteStatusError ? dialect.statusHint?.(e.status, e.message) : undefined;
      if (hint) throw new RemoteStatusError(`${(e as RemoteStatusError).message}; ${hint}`, (e as RemoteStatusError).status);
      throw e;
    }
    let raw = '';
    if (/application\/json/i.test(response.headers.get('content-type') ?? '')) {
      let json: AnswerJson;
      try {
        json = (await response.json()) as AnswerJson;
      } catch (e) {
        if (isAbort(e, signal)) throw new InfillAborted();
        throw new InfillError(`${where}: the answer is not valid JSON`);
      }
      checkError(json, where, secrets);
      raw = dialect.chunkText(json, where) ?? '';
      count(json);
      yield draft(shown(raw));
    } else {
      let finished = false;
      let chunks = 0;
      for await (const message of sseMessages(lines(response, where, signal))) {
        if (message.data.trim() === '[DONE]') {
          finished = true;
          break;
        }
        let json: AnswerJson;
        try {
          json = JSON.parse(message.data) as AnswerJson;
        } catch {
          throw new InfillError(redact(`${where}: chunk ${chunks + 1} of the stream is not JSON: ${JSON.stringify(message.data.slice(0, 80))}`, secrets));
        }
        chunks++;
        checkError(json, where, secrets);
        count(json);
        if (json.choices?.[0]?.finish_reason) finished = true;
        const text = dialect.chunkText(json, where);
        if (text === undefined) continue;
        raw = dialect.wholeChunks ? text : raw + text;
        yield draft(shown(raw));
      }
      if (!finished) {
        if (signal?.aborted) throw new InfillAborted();
        throw new InfillError(`${where}: the stream ended after ${chunks} chunks without [DONE] or a finish_reason (the connection was cut)`);
      }
    }
    fills.push(dialect.holeText(raw, context));
    // The next hole's request sees this one filled as the result will have it.
    filled.push(cleanFill(fills[i], hole, request.text));
  }
  yield resultEvent(
    { text: request.text, holes, minConfidence: options.minConfidence },
    fills.map((text) => ({ text })),
    {
      model: dialect.model,
      device: dialect.endpoint.host,
      steps: step,
      canvasTokens: usage ? promptTokens + completionTokens : 0,
      maskedTokens: usage ? completionTokens : 0,
      seed: options.seed ?? 0,
      started,
    },
  );
}

/** SGLang and vLLM report a failure after the stream began as a chunk `{"error": {...}}`. */
function checkError(json: AnswerJson, where: string, secrets: (string | undefined)[]): void {
  if (json && json.error !== undefined && json.error !== null) {
    const message = typeof json.error === 'string' ? json.error : (json.error.message ?? JSON.stringify(json.error));
    throw new InfillError(redact(`${where} reported an error mid-stream: ${message}`, secrets));
  }
}

/** The sampler settings every OpenAI-compatible endpoint takes. */
export function samplingFields(options: InfillOptions): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (options.temperature !== undefined) out.temperature = options.temperature;
  if (options.topP !== undefined) out.top_p = options.topP;
  if (options.seed !== undefined) out.seed = options.seed;
  return out;
}
