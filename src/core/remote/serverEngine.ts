import { createHash, randomUUID } from 'node:crypto';
import { InfillEngine, ModelInfo } from '../engine';
import { InfillOptions } from '../options';
import { InfillAborted, InfillError } from '../errors';
import { InfillEvent } from '../events';
import { Hole, InfillRequest, validateHoles } from '../holes';
import { checkEvent, infillBody, ModelAnswer, NDJSON_TYPE, PATHS } from '../protocol';
import { charWindow } from './charWindow';
import { checkSecret, getJson, isAbort, lines, parseHttpUrl, postJson, RemoteStatusError, showUrl } from './http';

export interface ServerEngineOptions {
  /** Bearer token of the server (serve --token). */
  token?: string;
}

/** The project's own server (`diffusion-infill serve`): POST /v1/infill, NDJSON back. */
export class ServerEngine implements InfillEngine {
  private readonly base: URL;
  private noPrefill = false;
  /** Put before every reuseKey (scoped): a server's other clients, whatever their keys, never start from this one's requests. */
  private readonly client = randomUUID();

  constructor(
    url: string,
    private readonly options: ServerEngineOptions = {},
    private modelInfo?: ModelInfo,
  ) {
    checkSecret(options.token, 'the server token');
    this.base = parseHttpUrl(url, 'http://host:port', [options.token]);
    // A pasted endpoint (…/v1/infill, …/v1/model, …/health) names the same server.
    const path = this.base.pathname.replace(/\/$/, '');
    const endpoint = Object.values(PATHS).find((p) => path.endsWith(p));
    if (endpoint) this.base.pathname = path.slice(0, -endpoint.length);
    if (!this.base.pathname.endsWith('/')) this.base.pathname += '/';
  }

  /** Asks the server for its model first, so that a wrong URL or token fails before any work. */
  static async connect(url: string, options: ServerEngineOptions = {}, signal?: AbortSignal): Promise<ServerEngine> {
    const engine = new ServerEngine(url, options);
    await engine.refreshInfo(signal);
    return engine;
  }

  get info(): ModelInfo {
    return this.modelInfo ?? { name: 'remote', device: showUrl(this.base), maxContext: 0 };
  }

  async refreshInfo(signal?: AbortSignal): Promise<ModelInfo> {
    const url = this.urlOf(PATHS.model);
    const response = await getJson(url, this.headers(), [this.options.token], signal).catch((e: Error) => {
      // Another service at that address: say what was expected rather than its "Not found".
      if (e instanceof RemoteStatusError && e.status === 404) {
        throw new InfillError(
          `${showUrl(url)} does not exist there: is ${showUrl(this.base)} a diffusion-infill server? (An OpenAI-compatible server is the "openai-fim" source.)`,
        );
      }
      throw e;
    });
    let body: Partial<ModelAnswer>;
    try {
      body = (await response.json()) as Partial<ModelAnswer>;
    } catch (e) {
      if (isAbort(e, signal)) throw new InfillAborted();
      throw new InfillError(`${showUrl(url)} did not answer with JSON: is this a diffusion-infill server?`);
    }
    if (typeof body?.name !== 'string') throw new InfillError(`${showUrl(url)} answered without a model name: is this a diffusion-infill server?`);
    this.modelInfo = {
      name: body.name,
      layout: typeof body.layout === 'string' ? body.layout : undefined,
      device: `${body.device ?? '?'} at ${this.base.host}`,
      maxContext: Number(body.maxContext ?? 0),
    };
    return this.modelInfo;
  }

  async *infill(request: InfillRequest, options: InfillOptions = {}, signal?: AbortSignal): AsyncGenerator<InfillEvent> {
    const sent = serverWindow(request, validateHoles(request), options.contextTokens ?? this.info.maxContext);
    const holes = sent.request.holes;
    const url = this.urlOf(PATHS.infill);
    const response = await postJson(
      url,
      infillBody(sent.request, holes, this.scoped(options)),
      { ...this.headers(), Accept: NDJSON_TYPE },
      [this.options.token],
      signal,
    );
    const where = showUrl(url);
    let n = 0;
    let drafts = 0;
    for await (const line of lines(response, where, signal)) {
      n++;
      if (line.trim() === '') continue;
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch {
        throw new InfillError(`${where}: line ${n} of the stream is not JSON: ${JSON.stringify(line.slice(0, 80))}`);
      }
      const event = checkEvent(parsed, holes.length, `${where}, line ${n}`);
      if (event.type === 'result') {
        yield { ...event, text: sent.before + event.text + sent.after };
        return;
      }
      drafts++;
      yield event;
    }
    if (signal?.aborted) throw new InfillAborted();
    throw new InfillError(`${where}: the stream ended after ${drafts} drafts without a result (the server stopped or the connection was cut)`);
  }

  /** POST /v1/prefill: the server reads the canvas ahead of a request (InfillEngine.prefill); a server without it is not asked again. */
  async prefill(request: InfillRequest, options: InfillOptions = {}, signal?: AbortSignal): Promise<void> {
    if (this.noPrefill) return;
    const sent = serverWindow(request, validateHoles(request), options.contextTokens ?? this.info.maxContext);
    try {
      await postJson(
        this.urlOf(PATHS.prefill),
        infillBody(sent.request, sent.request.holes, this.scoped(options)),
        this.headers(),
        [this.options.token],
        signal,
      );
    } catch (e) {
      // An older server: there is no such endpoint, and the requests run as before.
      if (e instanceof RemoteStatusError && e.status === 404) this.noPrefill = true;
      else throw e;
    }
  }

  /** The request's reuseKey as the server sees it: this client's, and a digest of the document's name (a path stays here). */
  private scoped(options: InfillOptions): InfillOptions {
    if (!options.reuseKey) return options;
    return { ...options, reuseKey: `${this.client}/${createHash('sha256').update(options.reuseKey).digest('hex').slice(0, 32)}` };
  }

  /** A path of the protocol under the server's base, which may have a path of its own (a proxy's prefix). */
  private urlOf(path: string): URL {
    return new URL(`.${path}`, this.base);
  }

  private headers(): Record<string, string> {
    return this.options.token ? { Authorization: `Bearer ${this.options.token}` } : {};
  }
}

/**
 * charWindow's budget for each token the server's canvas reads: its smaller share, the quarter
 * after the holes, still holds more characters than that many tokens span (canvas.ts bounds a token
 * at 8), so the server's own cut (fitWindow) decides what the model reads.
 */
const SENT_TOKENS_PER_CANVAS_TOKEN = 8;

/**
 * The request as the server is sent it: an editor sends the whole document, and a file larger than
 * the server's body limit would be refused, so text far beyond what the canvas can read is left
 * here (charWindow's whole-line cut around the holes) and put back around the result.
 */
export function serverWindow(request: InfillRequest, holes: Hole[], contextTokens: number): { request: InfillRequest; before: string; after: string } {
  const { text } = request;
  const first = holes[0].start;
  const last = holes[holes.length - 1].end;
  const kept = charWindow(text.slice(0, first), text.slice(last), contextTokens > 0 ? contextTokens * SENT_TOKENS_PER_CANVAS_TOKEN : undefined);
  const start = first - kept.prefix.length;
  const end = last + kept.suffix.length;
  const shifted = holes.map((h) => ({ ...h, start: h.start - start, end: h.end - start }));
  return { request: { text: text.slice(start, end), holes: shifted }, before: text.slice(0, start), after: text.slice(end) };
}
