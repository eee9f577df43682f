import * as http from 'node:http';
import { DEFAULT_TIME_LIMIT_SECONDS, InfillAborted, InfillEngine, InfillError, InfillOptions } from '../core';
import { checkBearer, checkLocalRequest } from './auth';
import { HttpError } from './errors';
import { BoundedQueue } from './queue';
import { ModelAnswer, parseInfillBody, PATHS } from '../core/protocol';
import { eventWriter, wantsSse } from './stream';

export interface InfillServerOptions {
  /** Bearer token every /v1 request must carry; none: no check (loopback only, see serve). */
  token?: string;
  /** Largest request body; beyond it, 413. Default 1 MiB. */
  maxBodyBytes?: number;
  /** Generations at once. Default 4. */
  maxRunning?: number;
  /** Requests waiting for a place; beyond them, 429. Default 32. */
  maxWaiting?: number;
  /** Sampler and window settings used where a request gives none. */
  defaults?: InfillOptions;
  /** One line per finished request. */
  log?: (line: string) => void;
  /** Longest wait for a client to read what was sent before it is cut, its place freed and its generation stopped. Default 30 s. */
  stalledWriterMs?: number;
}

export const DEFAULT_STALLED_WRITER_MS = 30_000;

export interface ServerCounters {
  served: number;
  /** POST /v1/prefill answered. */
  prefilled: number;
  cancelled: number;
  failed: number;
  rejected: number;
}

export interface InfillServer {
  server: http.Server;
  queue: BoundedQueue;
  counters: ServerCounters;
  /** Stops listening, aborts running generations and closes every connection. */
  close(): Promise<void>;
}

export const DEFAULT_MAX_BODY_BYTES = 1 << 20;

/** The engine behind HTTP: GET /health, GET /v1/model, POST /v1/infill (NDJSON or SSE), POST /v1/prefill. */
export function createInfillServer(engine: InfillEngine, options: InfillServerOptions = {}): InfillServer {
  const maxBody = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const queue = new BoundedQueue(options.maxRunning ?? 4, options.maxWaiting ?? 32);
  const counters: ServerCounters = { served: 0, prefilled: 0, cancelled: 0, failed: 0, rejected: 0 };
  const running = new Set<AbortController>();

  const server = http.createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      const error = e instanceof HttpError ? e : new HttpError(500, `internal error: ${(e as Error).message}`);
      if (error.status === 429) counters.rejected++;
      if (!res.headersSent && !res.destroyed) sendJson(res, error.status, { error: error.message }, error.headers);
      else res.destroy();
    });
  });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    if (!options.token) checkLocalRequest(req.headers, req.method);
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (path === PATHS.health) {
      if (req.method !== 'GET') throw new HttpError(405, 'use GET /health', { Allow: 'GET' });
      sendJson(res, 200, {
        status: 'ok',
        running: queue.running,
        waiting: queue.waiting,
        ...counters,
        rssBytes: process.memoryUsage().rss,
        ...engine.figures?.(),
      });
      return;
    }
    if (path === PATHS.model || path === PATHS.infill || path === PATHS.prefill) checkBearer(req.headers.authorization, options.token);
    if (path === PATHS.model) {
      if (req.method !== 'GET') throw new HttpError(405, 'use GET /v1/model', { Allow: 'GET' });
      const answer: ModelAnswer = {
        ...engine.info,
        defaults: options.defaults ?? {},
        limits: { maxBodyBytes: maxBody, maxRunning: queue.maxRunning, maxWaiting: queue.maxWaiting },
      };
      sendJson(res, 200, answer);
      return;
    }
    if (path === PATHS.infill) {
      if (req.method !== 'POST') throw new HttpError(405, 'use POST /v1/infill', { Allow: 'POST' });
      await infill(req, res);
      return;
    }
    if (path === PATHS.prefill) {
      if (req.method !== 'POST') throw new HttpError(405, 'use POST /v1/prefill', { Allow: 'POST' });
      await prefill(req, res);
      return;
    }
    throw new HttpError(404, `no such endpoint: ${req.method} ${path} (there are GET /health, GET /v1/model, POST /v1/infill, POST /v1/prefill)`);
  }

  /**
   * A POST body read and checked, then a place in the queue; null when the client left while it
   * waited.  The abort fires when the client goes away before the answer is finished.
   */
  async function admit(req: http.IncomingMessage, res: http.ServerResponse) {
    // With a token the body is read as JSON whatever its Content-Type says (curl -d sends form
    // encoding); without one, checkLocalRequest has asked for application/json.
    const raw = await readBody(req, maxBody);
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch (e) {
      throw new HttpError(400, `the body is not valid JSON: ${(e as Error).message}`);
    }
    const call = parseInfillBody(body, options.defaults);

    const abort = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) abort.abort();
    });
    const release = await queue.acquire(abort.signal).catch((e: unknown) => {
      if (abort.signal.aborted) {
        counters.cancelled++;
        return null;
      }
      throw e;
    });
    if (!release) return null;
    running.add(abort);
    return {
      call,
      abort,
      release: () => {
        running.delete(abort);
        release();
      },
    };
  }

  /** The request's first forward alone (InfillEngine.prefill), answered 204 once done: a later request on the same text starts from it. */
  async function prefill(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const admitted = await admit(req, res);
    if (!admitted) return;
    try {
      await engine.prefill?.(admitted.call.request, admitted.call.options, admitted.abort.signal);
      counters.prefilled++;
      res.writeHead(204).end();
    } catch (e) {
      if (e instanceof InfillAborted || admitted.abort.signal.aborted) {
        counters.cancelled++;
        res.destroy();
        return;
      }
      throw e instanceof InfillError ? new HttpError(400, e.message) : e;
    } finally {
      admitted.release();
    }
  }

  async function infill(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const admitted = await admit(req, res);
    if (!admitted) return;
    const { call, abort } = admitted;
    const started = performance.now();
    // The time limit covers the whole request, its writes too: a client that reads slowly cannot hold the place longer.
    const ends = started + 1000 * (call.options.timeLimitSeconds ?? DEFAULT_TIME_LIMIT_SECONDS);
    const writer = eventWriter(res, wantsSse(req.headers.accept));
    let events = 0;
    try {
      for await (const event of engine.infill(call.request, call.options, abort.signal)) {
        if (res.destroyed) throw new InfillAborted();
        if (events++ === 0) res.writeHead(200, { 'Content-Type': writer.contentType, 'Cache-Control': 'no-cache', 'X-Accel-Buffering': 'no' });
        writer.write(event);
        const wait = Math.min(options.stalledWriterMs ?? DEFAULT_STALLED_WRITER_MS, ends - performance.now());
        if (res.writableNeedDrain && !(await drained(res, wait))) {
          options.log?.(`client read nothing for ${Math.round(wait)} ms after ${events} events: cut, generation stopped`);
          abort.abort();
          res.destroy();
          throw new InfillAborted();
        }
      }
      res.end();
      counters.served++;
      options.log?.(`200 ${events - 1} drafts in ${(performance.now() - started).toFixed(0)} ms`);
    } catch (e) {
      if (e instanceof InfillAborted || abort.signal.aborted) {
        counters.cancelled++;
        options.log?.(`client went away after ${events} events; generation stopped`);
        res.destroy();
        return;
      }
      counters.failed++;
      const message = e instanceof InfillError ? e.message : `internal error: ${(e as Error).message}`;
      options.log?.(`failed after ${events} events: ${message}`);
      if (events === 0) sendJson(res, e instanceof InfillError ? 400 : 500, { error: message });
      else {
        writer.write({ type: 'error', message } as { type: string });
        res.end();
      }
    } finally {
      admitted.release();
    }
  }

  return {
    server,
    queue,
    counters,
    close: () =>
      new Promise<void>((resolve) => {
        for (const a of running) a.abort();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body) + '\n';
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

function readBody(req: http.IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    // The 413 goes out once the client has sent its body: answered mid-upload, the client's
    // write fails (EPIPE) and it never reads the answer.  A body far over the limit is cut off.
    const refuse = (message: string) => {
      req.removeAllListeners('data');
      let rest = 0;
      req.on('data', (chunk: Buffer) => {
        rest += chunk.length;
        if (rest > 16 * limit) req.destroy();
      });
      const answer = () => reject(new HttpError(413, message, { Connection: 'close' }));
      req.once('end', answer);
      req.once('close', answer);
    };
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      refuse(`the body is ${declared} bytes; this server takes at most ${limit}`);
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) refuse(`the body is over ${limit} bytes, the most this server takes`);
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** True once the client has read what waits to be sent (or is gone); false when it has not within `ms`. */
function drained(res: http.ServerResponse, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const done = (read: boolean) => {
      clearTimeout(timer);
      res.off('drain', onDrain);
      res.off('close', onDrain);
      resolve(read);
    };
    const onDrain = () => done(true);
    const timer = setTimeout(() => done(false), Math.max(0, ms));
    res.on('drain', onDrain);
    res.on('close', onDrain);
  });
}
