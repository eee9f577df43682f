import { InfillEngine, InfillOptions, ModelInfo } from '../engine';
import { InfillAborted, InfillError } from '../errors';
import { DraftHole, InfillEvent } from '../events';
import { resultEvent } from '../denoiseHoles';
import { applyFills, InfillRequest, validateHoles } from '../holes';
import { checkSecret, isAbort, lines, parseHttpUrl, postJson, redact, showUrl, sseMessages } from './http';

export interface OpenAIFimOptions {
  /**
   * The endpoint, or a base URL to which the path is added: `/fim/completions` when diffusing
   * (Inception's Mercury), `/completions` otherwise. A URL that ends in `/completions` is used as is.
   */
  url: string;
  model: string;
  apiKey?: string;
  /** Mercury's `"diffusing": true`: every streamed chunk is the whole current text, shown as a draft. */
  diffusing?: boolean;
  /** max_tokens of a hole without a length hint. Default 256. */
  maxTokens?: number;
}

export const DEFAULT_FIM_MAX_TOKENS = 256;

/**
 * An OpenAI-compatible completion endpoint with `suffix` (fill in the middle). Such endpoints
 * fill one span per request, so the holes are filled one after the other, left to right, each
 * request seeing the fills before it. Plain streams send deltas, which are accumulated; Mercury's
 * diffusing stream sends the whole denoised text each time, which replaces the draft.
 */
export class OpenAIFimEngine implements InfillEngine {
  readonly endpoint: URL;

  constructor(private readonly options: OpenAIFimOptions) {
    checkSecret(options.apiKey, 'the API key');
    const url = parseHttpUrl(options.url, 'https://host/v1', [options.apiKey]);
    if (!options.model) throw new InfillError(`${showUrl(url)}: name the model to use`);
    if (!/\/completions\/?$/.test(url.pathname)) {
      url.pathname = url.pathname.replace(/\/$/, '') + (options.diffusing ? '/fim/completions' : '/completions');
    }
    this.endpoint = url;
  }

  get info(): ModelInfo {
    return { name: this.options.model, family: this.options.diffusing ? 'diffusing-fim' : 'openai-fim', device: this.endpoint.host, maxContext: 0 };
  }

  async *infill(request: InfillRequest, options: InfillOptions = {}, signal?: AbortSignal): AsyncGenerator<InfillEvent> {
    const started = performance.now();
    const holes = validateHoles(request);
    const fills: string[] = [];
    let step = 0;
    let promptTokens = 0;
    let completionTokens = 0;
    let usage = false;
    const draft = (current: string): InfillEvent => {
      const shown: DraftHole[] = holes.map((_, i) => ({ text: i < fills.length ? fills[i] : i === fills.length ? current : '', masked: 0 }));
      step++;
      return { type: 'draft', step, steps: Math.max(step, options.steps ?? 0), holes: shown, committed: [] };
    };

    for (const [i, hole] of holes.entries()) {
      // The text before this hole carries the fills so far; after it, the original text.
      const prompt = applyFills(request.text.slice(0, hole.start), holes.slice(0, i), fills);
      const suffix = request.text.slice(hole.end);
      const body: Record<string, unknown> = {
        model: this.options.model,
        prompt,
        suffix,
        max_tokens: hole.tokens ?? options.defaultHoleTokens ?? this.options.maxTokens ?? DEFAULT_FIM_MAX_TOKENS,
        stream: true,
      };
      if (this.options.diffusing) body.diffusing = true;
      if (options.temperature !== undefined) body.temperature = options.temperature;
      if (options.topP !== undefined) body.top_p = options.topP;
      if (options.seed !== undefined) body.seed = options.seed;
      const secrets = [this.options.apiKey];
      const headers: Record<string, string> = { Accept: 'text/event-stream' };
      if (this.options.apiKey) headers.Authorization = `Bearer ${this.options.apiKey}`;
      const response = await postJson(this.endpoint, body, headers, secrets, signal);
      const where = showUrl(this.endpoint);
      let current = '';
      const type = response.headers.get('content-type') ?? '';
      if (/application\/json/i.test(type)) {
        // Not streamed after all: one answer with the whole text.
        let json: ChunkJson;
        try {
          json = (await response.json()) as ChunkJson;
        } catch (e) {
          if (isAbort(e, signal)) throw new InfillAborted();
          throw new InfillError(`${where}: the answer is not valid JSON`);
        }
        current = choiceText(json, where, secrets);
        if (json.usage) {
          usage = true;
          promptTokens += json.usage.prompt_tokens ?? 0;
          completionTokens += json.usage.completion_tokens ?? 0;
        }
        yield draft(current);
      } else {
        let finished = false;
        let chunks = 0;
        for await (const message of sseMessages(lines(response, where, signal))) {
          if (message.data.trim() === '[DONE]') {
            finished = true;
            break;
          }
          let json: ChunkJson;
          try {
            json = JSON.parse(message.data) as ChunkJson;
          } catch {
            throw new InfillError(redact(`${where}: chunk ${chunks + 1} of the stream is not JSON: ${JSON.stringify(message.data.slice(0, 80))}`, secrets));
          }
          chunks++;
          const text = choiceText(json, where, secrets);
          current = this.options.diffusing ? text : current + text;
          if (json.usage) {
            usage = true;
            promptTokens += json.usage.prompt_tokens ?? 0;
            completionTokens += json.usage.completion_tokens ?? 0;
          }
          if (json.choices?.[0]?.finish_reason) finished = true;
          yield draft(current);
        }
        if (!finished) {
          if (signal?.aborted) throw new InfillAborted();
          throw new InfillError(`${where}: the stream ended after ${chunks} chunks without [DONE] or a finish_reason (the connection was cut)`);
        }
      }
      fills.push(current);
    }
    yield resultEvent(request.text, holes, fills.map((text) => ({ text })), {
      model: this.options.model,
      device: this.endpoint.host,
      steps: step,
      canvasTokens: usage ? promptTokens + completionTokens : 0,
      maskedTokens: usage ? completionTokens : 0,
      seed: options.seed ?? 0,
      started,
    });
  }
}

interface ChunkJson {
  choices?: { text?: unknown; finish_reason?: string | null }[];
  usage?: { prompt_tokens?: number; completion_tokens?: number };
  error?: { message?: string } | string;
}

function choiceText(json: ChunkJson, where: string, secrets: (string | undefined)[]): string {
  if (json && json.error !== undefined) {
    const message = typeof json.error === 'string' ? json.error : (json.error.message ?? JSON.stringify(json.error));
    throw new InfillError(redact(`${where} reported an error mid-stream: ${message}`, secrets));
  }
  const text = json?.choices?.[0]?.text;
  if (typeof text !== 'string') throw new InfillError(`${where}: a chunk has no choices[0].text string (is this an OpenAI-compatible completions endpoint?)`);
  return text;
}
