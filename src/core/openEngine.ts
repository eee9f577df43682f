import { BatchingOptions } from './batching';
import { InfillEngine } from './engine';
import { InfillError } from './errors';
import { batchedLocalEngine, LocalEngine } from './localEngine';
import { loadModelFolder } from './modelFolder';
import { OpenAIChatEngine } from './remote/openaiChat';
import { OpenAIFimEngine } from './remote/openaiFim';
import { ServerEngine } from './remote/serverEngine';
import { RuntimeOptions } from './runtimeOptions';

/**
 * Where the model runs: a folder here, a `diffusion-infill serve`, or an OpenAI-compatible
 * endpoint: completions with `suffix` (FIM), or chat (SGLang, vLLM; docs/team-server.md).
 */
export type EngineSource =
  | { kind: 'local'; dir: string; runtime?: RuntimeOptions; /** Concurrent generations share forwards (a server's). */ batch?: BatchingOptions }
  | { kind: 'server'; url: string; token?: string }
  | { kind: 'openai-fim'; url: string; model: string; apiKey?: string; diffusing?: boolean; maxTokens?: number }
  | { kind: 'openai-chat'; url: string; model: string; apiKey?: string; maxTokens?: number };

/**
 * The one way to an engine, for the CLI, the server and the extension. Local folders are loaded
 * (once per folder); a server is asked for its model first, so that a wrong URL or token fails
 * here; OpenAI-compatible endpoints are only checked for form.
 */
export async function openEngine(source: EngineSource, signal?: AbortSignal): Promise<InfillEngine> {
  switch (source.kind) {
    case 'local': {
      const model = await loadModelFolder(source.dir, source.runtime);
      return source.batch ? batchedLocalEngine(model, source.batch) : new LocalEngine(model);
    }
    case 'server':
      return ServerEngine.connect(source.url, { token: source.token }, signal);
    case 'openai-fim':
      return new OpenAIFimEngine(source);
    case 'openai-chat':
      return new OpenAIChatEngine(source);
    default:
      throw new InfillError(`unknown engine kind ${JSON.stringify((source as { kind: unknown }).kind)}: use local, server, openai-fim or openai-chat`);
  }
}
