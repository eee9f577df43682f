import { createHash, timingSafeEqual } from 'node:crypto';
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
