import { InfillEngine, ModelInfo } from '../engine';
import { InfillOptions } from '../options';
import { InfillError } from '../errors';
import { InfillEvent } from '../events';
import { InfillRequest } from '../holes';
import { checkSecret, showUrl } from './http';
import { AnswerJson, Dialect, endpointUrl, fillHoleByHole, HoleContext, samplingFields } from './holeByHole';

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
 * fill one span per request, so the holes are filled one after the other (fillHoleByHole). Plain
 * streams send deltas, which are accumulated; Mercury's diffusing stream sends the whole denoised
 * text each time, which replaces the draft.
 */
export class OpenAIFimEngine implements InfillEngine {
  readonly endpoint: URL;
  private readonly dialect: Dialect;

  constructor(private readonly options: OpenAIFimOptions) {
    checkSecret(options.apiKey, 'the API key');
    this.endpoint = endpointUrl(options.url, options.diffusing ? '/fim/completions' : '/completions', /\/completions\/?$/, options.apiKey);
    if (!options.model) throw new InfillError(`${showUrl(this.endpoint)}: name the model to use`);
    this.dialect = {
      endpoint: this.endpoint,
      model: options.model,
      apiKey: options.apiKey,
      defaultTokens: options.maxTokens ?? DEFAULT_FIM_MAX_TOKENS,
      wholeChunks: options.diffusing === true,
      body: (context: HoleContext, sampling: InfillOptions) => ({
        model: options.model,
        prompt: context.prefix,
        suffix: context.suffix,
        max_tokens: context.budget,
        stream: true,
        ...(options.diffusing ? { diffusing: true } : {}),
        ...samplingFields(sampling),
      }),
      chunkText: completionText,
      holeText: (raw) => raw,
      statusHint: (status, message) =>
        // vLLM's /v1/completions refuses `suffix` (vllm/renderers/online_renderer.py).
        status === 400 && /suffix/i.test(message) ? 'this server does not fill in the middle: use its chat endpoint (source "openai-chat") instead' : undefined,
    };
  }

  get info(): ModelInfo {
    return { name: this.options.model, device: this.endpoint.host, maxContext: 0 };
  }

  infill(request: InfillRequest, options: InfillOptions = {}, signal?: AbortSignal): AsyncGenerator<InfillEvent> {
    return fillHoleByHole(this.dialect, request, options, signal);
  }
}

/** `choices[0].text` of a completion chunk; undefined for a chunk without choices (the usage one). */
function completionText(json: AnswerJson, where: string): string | undefined {
  if (Array.isArray(json?.choices) && json.choices.length === 0) return undefined;
  const text = json?.choices?.[0]?.text;
  if (typeof text !== 'string') throw new InfillError(`${where}: a chunk has no choices[0].text string (is this an OpenAI-compatible completions endpoint?)`);
  return text;
}
