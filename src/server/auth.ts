import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import * as net from 'node:net';
import { HttpError } from './errors';

/** True for 127.0.0.0/8, ::1, ::ffff:127.x and "localhost". */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost') return true;
  if (net.isIPv4(h)) return h.startsWith('127.');
  if (net.isIPv6(h)) return h === '::1' || /^::ffff:127\./.test(h) || h === '0:0:0:0:0:0:0:1';
  return false;
}

/** Checks `Authorization: Bearer <token>` in constant time; no token configured lets everyone in. */
export function checkBearer(header: string | undefined, token: string | undefined): void {
  if (!token) return;
  const match = /^Bearer\s+(.+)$/i.exec(header ?? '');
  if (!match) throw new HttpError(401, 'this server needs a bearer token: send "Authorization: Bearer <token>"', { 'WWW-Authenticate': 'Bearer' });
  const digest = (s: string) => createHash('sha256').update(s).digest();
  if (!timingSafeEqual(digest(match[1].trim()), digest(token))) {
    throw new HttpError(401, 'wrong bearer token', { 'WWW-Authenticate': 'Bearer error="invalid_token"' });
  }
}

/**
 * A server without a token answers any program of this machine, and a web page in the user's
 * browser is one: it can POST a text/plain body without asking first, and through DNS rebinding (a
 * name of its own that resolves to 127.0.0.1) read the answer.  So such a server takes only requests
 * addressed to a loopback name, from no web page (an Origin other than its own), with a JSON body:
 * a page cannot send that without the browser asking the server first, which it never allows.
 */
export function checkLocalRequest(headers: IncomingHttpHeaders, method: string | undefined): void {
  const host = headers.host ?? '';
  let hostname = '';
  try {
    hostname = new URL(`http://${host}`).hostname;
  } catch {
    // not a host at all: refused below
  }
  if (!isLoopback(hostname)) {
    throw new HttpError(
      403,
      `refused: the request is addressed to ${JSON.stringify(host)}, not to this machine; a server without a token answers only localhost, 127.0.0.1 and ::1`,
    );
  }
  const origin = headers.origin;
  if (origin !== undefined && origin !== `http://${host}`) {
    throw new HttpError(
      403,
      `refused: a request from the web page ${origin}; a server without a token answers only programs of this machine (give serve --token to share it)`,
    );
  }
  if (method === 'POST' && !/^application\/json\s*(;|$)/i.test(headers['content-type'] ?? '')) {
    throw new HttpError(415, `send the body with "Content-Type: application/json", not ${JSON.stringify(headers['content-type'] ?? 'none')}`);
  }
}
