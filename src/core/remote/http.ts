import { InfillAborted, InfillError } from '../errors';

/** Replaces every secret in a text by "***" (error messages and logs never show keys). */
export function redact(text: string, secrets: (string | undefined)[]): string {
  let out = text;
  for (const s of secrets) if (s && s.length >= 4) out = out.split(s).join('***');
  return out.replace(/(Authorization["']?\s*[:=]\s*["']?Bearer\s+)[^\s"']+/gi, '$1***');
}

/**
 * An http(s) URL from a flag or a setting.  User info is refused: it would be sent as Basic
 * credentials and could turn up in a message; the key goes in a token instead.
 */
export function parseHttpUrl(text: string, example: string, secrets: (string | undefined)[]): URL {
  if (/^[\w.-]+(?::\d+)?(?:\/\S*)?$/.test(text.trim())) {
    // "localhost:8080" parses as a URL whose scheme is "localhost:".
    throw new InfillError(`"${redact(text, secrets)}" is not a URL: it has no scheme; write it as http://${redact(text.trim(), secrets)}`);
  }
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new InfillError(`"${redact(text, secrets)}" is not a URL: give it as ${example}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new InfillError(`${showUrl(url)}: only http and https are supported`);
  if (url.username || url.password) throw new InfillError(`${showUrl(url)}: leave the user name and password out of the URL and give the key as a token`);
  return url;
}

/** A token or key that was given must say something: a blank one is a mistake, not "no token". */
export function checkSecret(value: string | undefined, what: string): void {
  if (value !== undefined && value.trim() === '') throw new InfillError(`${what} is blank: give it, or leave it out`);
}

/** The URL as shown to people: no user info, no query (either may hold a key). */
export function showUrl(url: string | URL): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return '(invalid URL)';
  }
}

export function isAbort(e: unknown, signal?: AbortSignal): boolean {
  return signal?.aborted === true || (e instanceof Error && (e.name === 'AbortError' || e instanceof InfillAborted));
}

/** POSTs JSON; network failures and non-2xx answers become InfillErrors that say what to do. */
export function postJson(url: URL, body: unknown, headers: Record<string, string>, secrets: (string | undefined)[], signal?: AbortSignal): Promise<Response> {
  return send(url, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body), signal }, secrets, signal);
}

/** GETs a resource (a JSON answer), with postJson's errors. */
export function getJson(url: URL, headers: Record<string, string>, secrets: (string | undefined)[], signal?: AbortSignal): Promise<Response> {
  return send(url, { method: 'GET', headers, signal }, secrets, signal);
}

async function send(url: URL, init: RequestInit, secrets: (string | undefined)[], signal?: AbortSignal): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(url, init);
  } catch (e) {
    if (isAbort(e, signal)) throw new InfillAborted();
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    throw new InfillError(redact(`cannot reach ${showUrl(url)}: ${cause?.code ?? cause?.message ?? (e as Error).message}`, secrets));
  }
  if (!response.ok) throw await statusError(url, response, secrets, signal);
  return response;
}

async function statusError(url: URL, response: Response, secrets: (string | undefined)[], signal?: AbortSignal): Promise<Error> {
  let detail = '';
  try {
    const text = await response.text();
    try {
      const json = JSON.parse(text) as { error?: string | { message?: string }; message?: string; detail?: unknown };
      const e = json.error;
      detail =
        typeof e === 'string'
          ? e
          : typeof e?.message === 'string'
            ? e.message
            : typeof json.message === 'string'
              ? json.message
              : typeof json.detail === 'string'
                ? json.detail
                : text;
    } catch {
      detail = text;
    }
  } catch (e) {
    if (isAbort(e, signal)) return new InfillAborted();
  }
  detail = detail.trim().replace(/\s+/g, ' ').slice(0, 300);
  const where = showUrl(url);
  const said = detail ? `: ${detail}` : '';
  const s = response.status;
  let message: string;
  if (s === 401 || s === 403) message = `${where} refused the credentials (${s})${said}; check the token or API key`;
  else if (s === 404) message = `${where} has no such endpoint (404)${said}; check the URL`;
  else if (s === 413) message = `${where} found the request too large (413)${said}; make the file or context smaller`;
  else if (s === 429) {
    const after = response.headers.get('retry-after');
    message = `${where} is busy (429)${said}${after ? `; retry after ${after} s` : '; retry later'}`;
  } else if (s >= 400 && s < 500) message = `${where} rejected the request (${s})${said}`;
  else message = `${where} failed (${s})${said}`;
  return new RemoteStatusError(redact(message, secrets), s);
}

/** A server's answer with an error status, the status kept for callers that tell the cases apart. */
export class RemoteStatusError extends InfillError {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

/** The body's lines, as they arrive; a connection that breaks off is an InfillError. */
export async function* lines(response: Response, what: string, signal?: AbortSignal): AsyncGenerator<string> {
  if (!response.body) throw new InfillError(`${what}: the answer has no body`);
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffered = '';
  try {
    for (;;) {
      let chunk: Awaited<ReturnType<typeof reader.read>>;
      try {
        chunk = await reader.read();
      } catch (e) {
        if (isAbort(e, signal)) throw new InfillAborted();
        throw new InfillError(`${what}: the connection broke off mid-stream (${(e as Error).message})`);
      }
      if (chunk.done) break;
      buffered += decoder.decode(chunk.value, { stream: true });
      let nl: number;
      while ((nl = buffered.indexOf('\n')) !== -1) {
        yield buffered.slice(0, nl).replace(/\r$/, '');
        buffered = buffered.slice(nl + 1);
      }
    }
    buffered += decoder.decode();
    if (buffered.length > 0) yield buffered;
  } finally {
    // Stops the download (and so the remote generation) when the consumer leaves early.
    reader.cancel().catch(() => undefined);
  }
}

export interface SseMessage {
  event: string;
  data: string;
}

/** Server-sent events: the `event` and joined `data` lines of each message. */
export async function* sseMessages(source: AsyncIterable<string>): AsyncGenerator<SseMessage> {
  let event = '';
  let data: string[] = [];
  for await (const line of source) {
    if (line === '') {
      if (data.length > 0) yield { event: event || 'message', data: data.join('\n') };
      event = '';
      data = [];
      continue;
    }
    if (line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'data') data.push(value);
    else if (field === 'event') event = value;
  }
  if (data.length > 0) yield { event: event || 'message', data: data.join('\n') };
}
