import { InfillEngine, ModelInfo } from '../engine';
import { InfillOptions } from '../options';
import { InfillError } from '../errors';
import { InfillEvent } from '../events';
import { InfillRequest } from '../holes';
import { chatMessages, holeFromAnswer } from './chatAnswer';
import { checkSecret, showUrl } from './http';
import { AnswerJson, Dialect, endpointUrl, fillHoleByHole, samplingFields } from './holeByHole';

export interface OpenAIChatOptions {
  /** The endpoint, or a base URL to which `/chat/completions` is added (`/v1/chat/completions` to a bare host). */
  url: string;
  model: string;
  apiKey?: string;
  /** max_tokens of a hole without a length hint (the code fence's tokens come on top). Default 256. */
  maxTokens?: number;
}

export const DEFAULT_CHAT_MAX_TOKENS = 256;
/** Room for the code fence around the answer, which counts against max_tokens. */
const FENCE_TOKENS = 16;

/**
 * An OpenAI-compatible chat endpoint (SGLang or vLLM serving an instruct model such as LLaDA 2.x or
 * DiffusionGemma): the file is shown with a marker where the hole is, and the hole's text is taken
 * from the answer (chatAnswer.ts). Streamed answers become drafts as they grow.
 */
export class OpenAIChatEngine implements InfillEngine {
  readonly endpoint: URL;
  private readonly dialect: Dialect;

  constructor(private readonly options: OpenAIChatOptions) {
    checkSecret(options.apiKey, 'the API key');
    this.endpoint = endpointUrl(options.url, '/chat/completions', /\/chat\/completions\/?$/, options.apiKey);
    if (!options.model) throw new InfillError(`${showUrl(this.endpoint)}: name the model to use`);
    this.dialect = {
      endpoint: this.endpoint,
      model: options.model,
      apiKey: options.apiKey,
      defaultTokens: options.maxTokens ?? DEFAULT_CHAT_MAX_TOKENS,
      wholeChunks: false,
      body: (context, sampling: InfillOptions) => ({
        model: options.model,
        messages: chatMessages(context),
        max_tokens: context.budget + FENCE_TOKENS,
        stream: true,
        // Both SGLang and vLLM then end the stream with a usage chunk (choices: []).
        stream_options: { include_usage: true },
        ...samplingFields(sampling),
      }),
      chunkText: chatText,
      holeText: (raw, context) => holeFromAnswer(raw, context),
    };
  }

  get info(): ModelInfo {
    return { name: this.options.model, device: this.endpoint.host, maxContext: 0 };
  }

  infill(request: InfillRequest, options: InfillOptions = {}, signal?: AbortSignal): AsyncGenerator<InfillEvent> {
    return fillHoleByHole(this.dialect, request, options, signal);
  }
}

/**
 * The answer's text: `delta.content` of a streamed chunk, `message.content` of a whole answer.
 * Reasoning (`reasoning_content`, `reasoning`) is not the answer and is left out; a chunk
 * without content (the role, the usage, a reasoning delta) adds nothing.
 */
function chatText(json: AnswerJson, where: string): string | undefined {
  if (!Array.isArray(json?.choices)) throw new InfillError(`${where}: an answer has no "choices" (is this an OpenAI-compatible chat endpoint?)`);
  const choice = json.choices[0];
  if (choice === undefined) return undefined;
  const part = choice.delta ?? choice.message;
  if (part === undefined || part === null || typeof part !== 'object') {
    throw new InfillError(`${where}: choices[0] has neither "delta" nor "message" (is this a chat endpoint? for /v1/completions use the source "openai-fim")`);
  }
  const content = part.content;
  if (content === undefined || content === null) return undefined;
  if (typeof content !== 'string') throw new InfillError(`${where}: choices[0] content is not a string`);
  return content;
}
