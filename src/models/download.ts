import { createHash, Hash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { backoff, HubClient, HubError, RepoFile, sleep } from './hub';

/** A transfer with no bytes for this long is cut and tried again (Ollama's stall rule). */
export const STALL_MS = 30_000;
const MAX_TRIES = 6;

/** The file's bytes on disk so far (called as they land; never more than the file's size). */
export type OnBytes = (onDisk: number) => void;

/**
 * One file of a repository at a commit, into `dest`: written to `dest.part` and renamed only once
 * its size and hash are the hub's, so no half file is ever where a model is looked for.
 * - A `.part` left by a cut transfer (or a cancelled pull) is resumed with a Range request: 206
 *   appends, 200 (a server that ignored the Range) starts over, 416 drops the part and starts over.
 * - Every try asks /resolve again, so a signed CDN address that expired is never reused; the CDN
 *   gets no Authorization header (it is another origin, and its address is signed).
 * - 408, 429, 5xx, broken connections and stalls are tried again with backoff.
 * - The bytes are hashed as they are written (the part's bytes first, on a resume) and compared
 *   with the hub's sha256 (LFS files) or git blob id; a mismatch drops the part and names the file.
 */
export async function downloadFile(hub: HubClient, repo: string, commit: string, file: RepoFile, dest: string, onBytes: OnBytes, signal?: AbortSignal): Promise<void> {
  if (fs.existsSync(dest) && fs.statSync(dest).size === file.size) return onBytes(file.size);
  fs.mkdirSync(path.dirname(dest), { recursive: true });
  const part = `${dest}.part`;
  const resolveUrl = `${hub.settings.endpoint}/${repo}/resolve/${commit}/${file.path.split('/').map(encodeURIComponent).join('/')}`;
  let last: HubError | undefined;
  for (let attempt = 0; attempt < MAX_TRIES; attempt++) {
    let have = fs.existsSync(part) ? fs.statSync(part).size : 0;
    if (have > file.size) {
      fs.rmSync(part);
      have = 0;
    }
    onBytes(have);
    if (have === file.size) {
      finish(part, dest, file, await hashOf(part, file));
      return;
    }
    const res = await open(hub, repo, resolveUrl, have, signal);
    if (res.status === 403 || res.status === 416) {
      // 403: the signed address expired under us (ask /resolve again); 416: the part is no prefix of it.
      if (res.status === 416) fs.rmSync(part, { force: true });
      last = new HubError('server', `${file.path}: the download address answered ${res.status}`);
      await res.body?.cancel();
      continue;
    }
    if (RETRY_STATUS.has(res.status) || (res.status !== 200 && res.status !== 206)) {
      last = new HubError('server', `${file.path}: ${new URL(res.url || resolveUrl).host} answered ${res.status}`);
      await res.body?.cancel();
      if (!RETRY_STATUS.has(res.status)) throw last;
      await sleep(backoff(attempt), signal);
      continue;
    }
    const appending = res.status === 206 && have > 0 && rangeStart(res.headers.get('content-range')) === have;
    if (!appending) have = 0;
    const hash = appending ? await hashOf(part, file, have) : newHash(file);
    try {
      await receive(res, part, appending, hash, file, have, onBytes, signal);
    } catch (e) {
      if (signal?.aborted) throw new HubError('cancelled', CANCELLED);
      last = e instanceof HubError ? e : new HubError('network', `${file.path}: the transfer broke off (${(e as Error).message}); resuming`);
      await sleep(backoff(attempt), signal);
      continue;
    }
    const size = fs.statSync(part).size;
    if (size < file.size) {
      last = new HubError('network', `${file.path}: the transfer ended at ${size} of ${file.size} bytes`);
      continue;
    }
    finish(part, dest, file, hash);
    return;
  }
  throw last ?? new HubError('network', `${file.path}: could not be downloaded`);
}

const RETRY_STATUS = new Set([408, 429, 500, 502, 503, 504]);
const CANCELLED = 'cancelled: what was downloaded is kept, and the next pull resumes it';

/** /resolve, then (for LFS files) the CDN address it redirects to, each asked for the bytes from `from` on. */
async function open(hub: HubClient, repo: string, url: string, from: number, signal?: AbortSignal): Promise<Response> {
  const range: Record<string, string> = { 'Accept-Encoding': 'identity', ...(from > 0 ? { Range: `bytes=${from}-` } : {}) };
  let res = await hub.request(url, repo, signal, { headers: range, accept: [416] });
  for (let hops = 0; res.status >= 300 && res.status < 400; hops++) {
    const location = res.headers.get('location');
    if (!location || hops > 5) throw new HubError('server', `${url}: a redirect without a usable Location`);
    const next = new URL(location, url);
    await res.body?.cancel();
    if (next.origin === new URL(hub.settings.endpoint).origin) {
      res = await hub.request(next.toString(), repo, signal, { headers: range, accept: [416] });
      continue;
    }
    // A signed address on another origin: no token goes there (huggingface_hub drops it too).
    try {
      res = await (hub.settings.fetch ?? fetch)(next, { headers: { ...range, 'User-Agent': hub.settings.userAgent ?? 'diffusion-infill' }, redirect: 'follow', signal });
    } catch (e) {
      if (signal?.aborted) throw new HubError('cancelled', CANCELLED);
      throw new HubError('network', `cannot reach ${next.host}: ${(e as Error).cause ?? (e as Error).message}`);
    }
  }
  return res;
}

/** Streams the body into the part file, hashing and reporting as it goes; a stall aborts it. */
async function receive(res: Response, part: string, appending: boolean, hash: Hash, file: RepoFile, have: number, onBytes: OnBytes, signal?: AbortSignal): Promise<void> {
  if (!res.body) throw new HubError('network', `${file.path}: an empty answer`);
  const fd = fs.openSync(part, appending ? 'a' : 'w');
  const reader = res.body.getReader();
  let stalled = false;
  let timer = setTimeout(onStall, STALL_MS);
  function onStall() {
    stalled = true;
    void reader.cancel();
  }
  const stop = () => void reader.cancel();
  signal?.addEventListener('abort', stop, { once: true });
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      clearTimeout(timer);
      timer = setTimeout(onStall, STALL_MS);
      if (have + value.length > file.size) throw new HubError('integrity', `${file.path}: the server sent more than its ${file.size} bytes`);
      for (let off = 0; off < value.length; ) off += fs.writeSync(fd, value, off, value.length - off);
      hash.update(value);
      have += value.length;
      onBytes(have);
    }
    if (stalled) throw new HubError('network', `${file.path}: no bytes for ${STALL_MS / 1000} s`);
    fs.fsyncSync(fd);
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', stop);
    fs.closeSync(fd);
  }
}

function newHash(file: RepoFile): Hash {
  if (file.sha256) return createHash('sha256');
  // A git blob's id: sha1 over "blob <size>\0" and the bytes.
  return createHash('sha1').update(`blob ${file.size}\0`);
}

/** The hash of the part's first `bytes` bytes (all of it by default), to go on from. */
async function hashOf(part: string, file: RepoFile, bytes = Infinity): Promise<Hash> {
  const hash = newHash(file);
  const stream = fs.createReadStream(part, bytes === Infinity ? {} : { end: bytes - 1 });
  for await (const chunk of stream) hash.update(chunk as Buffer);
  return hash;
}

/** Checks the hash and moves the part into place; a mismatch drops the part and names the file. */
function finish(part: string, dest: string, file: RepoFile, hash: Hash): void {
  const got = hash.digest('hex');
  const want = file.sha256 ?? file.gitOid;
  if (got !== want) {
    fs.rmSync(part, { force: true });
    throw new HubError('integrity', `${file.path}: its bytes do not match the hub's ${file.sha256 ? 'sha256' : 'git blob id'} (${want.slice(0, 12)}..., got ${got.slice(0, 12)}...): dropped it; pull again`);
  }
  fs.renameSync(part, dest);
}

function rangeStart(header: string | null): number | undefined {
  const m = header ? /^bytes (\d+)-/.exec(header) : null;
  return m ? Number(m[1]) : undefined;
}
