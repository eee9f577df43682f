import * as crypto from 'node:crypto';
import { promises as fsp } from 'node:fs';
import * as http from 'node:http';
import { AddressInfo, Socket } from 'node:net';
import * as path from 'node:path';

/**
 * A stand-in for the Hugging Face Hub's HTTP protocol, answering the way huggingface_hub
 * (file_download.py, utils/_http.py) and huggingface.js (list-files.ts, model-info.ts, error.ts)
 * expect: repo info, the tree listing with Link pagination, /resolve with X-Repo-Commit and ETag,
 * LFS files as a 302 to a second "CDN" server holding a signed link that expires, Range, the
 * 401/403/404 error headers, 429 with RateLimit. Faults a test arranges at run time through
 * `hub.faults` break the transfer the ways real networks do.
 */

export interface RepoSpec {
  /** A folder whose files are the repo's files at one commit. */
  dir: string;
  /** 40 hex digits; default: the sha1 of the repo id (of `id\nN` for the Nth commit set by setRepo). */
  commit?: string;
  /** Gated repos serve info and tree to anyone, file contents only with a valid token. */
  gated?: false | 'auto' | 'manual';
  /** A gated repo whose access request the token's user has not been granted: 403 GatedRepo. Default true. */
  approved?: boolean;
  /** Private repos answer as missing (401 RepoNotFound) without a valid token. */
  private?: boolean;
  /** Files of at least this many bytes are LFS (default 1024); .safetensors, .bin, .onnx, .gguf, .pt, .pth always are. */
  lfsMinBytes?: number;
}

export interface HubOptions {
  /** By repo id, `org/name`. */
  repos: Record<string, RepoSpec>;
  /** The one valid token: `Authorization: Bearer <token>`. Any other Authorization header is 401 on every hub request. */
  token?: string;
  /** Tree listings answer this many entries a page, with `Link: <next>; rel="next"`. Default: one page. */
  pageSize?: number;
  /** How long a CDN link stays valid after /resolve issued it (default 60000); `hub.linkTtlMs` changes it later. */
  linkTtlMs?: number;
}

/** Faults match a file by its path in the repo (`model.safetensors`, `onnx/model.onnx`), on whichever server sends its bytes. */
export interface HubFaults {
  /** The next `times` hub requests get 429 with `RateLimit: "<resolvers|api>";r=0;t=<resetSeconds>` and `Retry-After`. */
  rateLimit?: { times: number; resetSeconds: number };
  /** The next `times` requests to `server` (default 'hub') get this status with an HTML body. */
  serverErrors?: { times: number; status: 500 | 502 | 503 | 504; server?: 'hub' | 'cdn' };
  /** The next `times` GETs of the file whose body is longer than `bytes` stop after `bytes` body bytes: the socket is destroyed. */
  cutAfterBytes?: { path: string; bytes: number; times: number };
  /** The byte at file offset `at` goes out XORed with 0xff, in the next `times` responses that carry it (default: all). */
  flipByte?: { path: string; at: number; times?: number };
  /** The next `times` Range requests of the file get 200 and the whole file. */
  ignoreRange?: { path: string; times: number };
  /** After `bytes` body bytes of the file, nothing more for `ms`, then the rest; the next `times` responses longer than `bytes` (default: all). */
  stallAfterBytes?: { path: string; bytes: number; ms: number; times?: number };
  /** Both servers close every connection at once, without an answer. */
  offline?: boolean;
}

export interface HubRequest {
  server: 'hub' | 'cdn';
  method: string;
  /** Path and query, as received. */
  url: string;
  range?: string;
  authorization?: string;
  /** The status sent; 0 until the head is sent. */
  status: number;
  /** Body bytes written so far. */
  bytesSent: number;
}

export interface Hub {
  /** The endpoint, for HF_ENDPOINT (no trailing slash). */
  readonly url: string;
  readonly cdnUrl: string;
  /** Read on every request: set, change or delete its fields at any time. */
  faults: HubFaults;
  readonly requests: HubRequest[];
  /** Requests that reached the CDN with an Authorization header (each is answered 400, as S3 does). */
  cdnAuthorizationSeen: number;
  linkTtlMs: number;
  /** The commit `main` points at. */
  commit(repoId: string): string;
  /** Adds a repo, or a new commit of it that `main` then points at (older commits stay served); returns the commit. */
  setRepo(repoId: string, spec: RepoSpec): Promise<string>;
  close(): Promise<void>;
}

export function gitBlobSha1(bytes: Uint8Array): string {
  return crypto.createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');
}

export function sha256(bytes: Uint8Array): string {
  return crypto.createHash('sha256').update(bytes).digest('hex');
}

interface RepoFileEntry {
  path: string;
  bytes: Buffer;
  /** git blob sha1 of the content, or of the LFS pointer for LFS files (as the hub's `oid` and `blobId`). */
  oid: string;
  sha256: string;
  lfs: boolean;
  pointerSize: number;
}

interface Snapshot {
  commit: string;
  files: Map<string, RepoFileEntry>;
  date: string;
}

interface RepoState {
  id: string;
  spec: RepoSpec;
  snapshots: Map<string, Snapshot>;
  main: string;
}

interface HttpError {
  status: number;
  code?: string;
  message: string;
  headers?: Record<string, string>;
}

const ALWAYS_LFS = ['.safetensors', '.bin', '.onnx', '.gguf', '.pt', '.pth'];
const CHUNK = 64 * 1024;

export async function startHub(options: HubOptions): Promise<Hub> {
  const repos = new Map<string, RepoState>();
  const secret = crypto.randomBytes(32);
  const sockets = new Set<Socket>();
  const hubServer = http.createServer((req, res) => void handle('hub', req, res));
  const cdnServer = http.createServer((req, res) => void handle('cdn', req, res));
  for (const server of [hubServer, cdnServer]) {
    server.on('connection', (socket: Socket) => {
      if (hub.faults.offline) return void socket.destroy();
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
  }

  const hub: Hub = {
    url: '',
    cdnUrl: '',
    faults: {},
    requests: [],
    cdnAuthorizationSeen: 0,
    linkTtlMs: options.linkTtlMs ?? 60_000,
    commit: (repoId) => {
      const repo = repos.get(repoId);
      if (!repo) throw new Error(`hub stand-in: no repo ${repoId}`);
      return repo.main;
    },
    setRepo: async (repoId, spec) => {
      const existing = repos.get(repoId);
      const commit = spec.commit ?? sha1Hex(existing ? `${repoId}\n${existing.snapshots.size}` : repoId);
      if (!/^[0-9a-f]{40}$/.test(commit)) throw new Error(`hub stand-in: commit of ${repoId} must be 40 lowercase hex digits, got ${commit}`);
      if (!/^[^/]+\/[^/]+$/.test(repoId)) throw new Error(`hub stand-in: repo id must be org/name, got ${repoId}`);
      const snapshot: Snapshot = { commit, files: await readRepoDir(spec), date: new Date().toISOString() };
      const repo = existing ?? { id: repoId, spec, snapshots: new Map(), main: commit };
      repo.spec = spec;
      repo.snapshots.set(commit, snapshot);
      repo.main = commit;
      repos.set(repoId, repo);
      return commit;
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await Promise.all([hubServer, cdnServer].map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    },
  };

  for (const [id, spec] of Object.entries(options.repos)) await hub.setRepo(id, spec);
  const hubPort = await listen(hubServer);
  const cdnPort = await listen(cdnServer);
  Object.assign(hub, { url: `http://127.0.0.1:${hubPort}`, cdnUrl: `http://127.0.0.1:${cdnPort}` });
  return hub;

  async function handle(server: 'hub' | 'cdn', req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    if (hub.faults.offline) return void req.socket.destroy();
    const entry: HubRequest = {
      server,
      method: req.method ?? 'GET',
      url: req.url ?? '/',
      range: req.headers.range,
      authorization: req.headers.authorization,
      status: 0,
      bytesSent: 0,
    };
    hub.requests.push(entry);
    const reply = new Reply(res, entry);
    try {
      if (server === 'hub') await handleHub(req, reply);
      else await handleCdn(req, reply);
    } catch (err) {
      if (!res.headersSent) reply.error({ status: 500, message: `hub stand-in failed: ${String(err)}` });
      else res.destroy();
    }
  }

  async function handleHub(req: http.IncomingMessage, reply: Reply): Promise<void> {
    const url = new URL(req.url ?? '/', hub.url);
    const parts = url.pathname.split('/').slice(1).map(decodeURIComponent);
    const isResolve = parts[2] === 'resolve';
    const rateLimit = hub.faults.rateLimit;
    if (rateLimit && rateLimit.times > 0) {
      rateLimit.times--;
      const bucket = isResolve ? 'resolvers' : 'api';
      return reply.text(429, 'Too Many Requests', {
        RateLimit: `"${bucket}";r=0;t=${rateLimit.resetSeconds}`,
        'RateLimit-Policy': `"fixed window";"${bucket}";q=${isResolve ? 3000 : 500};w=300`,
        'Retry-After': String(rateLimit.resetSeconds),
      });
    }
    if (takeServerError('hub', reply)) return;
    if (req.method !== 'GET' && req.method !== 'HEAD') return reply.error({ status: 405, message: `Method ${req.method} not allowed` });

    const authorization = req.headers.authorization;
    const validToken = options.token !== undefined && authorization === `Bearer ${options.token}`;
    if (authorization !== undefined && !validToken) return reply.error({ status: 401, message: 'Invalid credentials in Authorization header' });

    if (parts[0] === 'api' && parts[1] === 'whoami-v2') {
      if (!validToken) return reply.error({ status: 401, message: 'Invalid credentials in Authorization header' });
      return reply.json(200, { type: 'user', name: 'hub-tester', auth: { type: 'access_token', accessToken: { displayName: 'tests', role: 'read' } } });
    }
    if (parts[0] === 'api' && parts[1] === 'models' && parts.length >= 4) {
      const repoId = `${parts[2]}/${parts[3]}`;
      const denied = access(repoId, validToken, false);
      if (denied) return reply.error(denied);
      const repo = repos.get(repoId)!;
      const rest = parts.slice(4);
      if (rest.length === 0) return reply.json(200, modelInfo(repo, repo.snapshots.get(repo.main)!, url));
      if (rest[0] === 'revision' && rest.length === 2) {
        const snapshot = revision(repo, rest[1]);
        if (!snapshot) return reply.error(revisionNotFound(rest[1]));
        return reply.json(200, modelInfo(repo, snapshot, url));
      }
      if (rest[0] === 'refs' && rest.length === 1) {
        return reply.json(200, { branches: [{ name: 'main', ref: 'refs/heads/main', targetCommit: repo.main }], tags: [], converts: [] });
      }
      if (rest[0] === 'tree' && rest.length >= 2) {
        const snapshot = revision(repo, rest[1]);
        if (!snapshot) return reply.error(revisionNotFound(rest[1]));
        return tree(snapshot, rest.slice(2).join('/'), url, reply);
      }
    }
    if (isResolve && parts.length >= 5) {
      const repoId = `${parts[0]}/${parts[1]}`;
      const denied = access(repoId, validToken, true);
      if (denied) return reply.error(denied);
      const repo = repos.get(repoId)!;
      const snapshot = revision(repo, parts[3]);
      if (!snapshot) return reply.error(revisionNotFound(parts[3]));
      const filePath = parts.slice(4).join('/');
      const file = snapshot.files.get(filePath);
      const commitHeader = { 'X-Repo-Commit': snapshot.commit };
      if (!file) return reply.error({ status: 404, code: 'EntryNotFound', message: `Entry not found`, headers: commitHeader });
      if (file.lfs) {
        const location = signedLink(repoId, snapshot.commit, filePath);
        const body = req.method === 'HEAD' ? '' : `Found. Redirecting to ${location}`;
        return reply.text(302, body, {
          ...commitHeader,
          Location: location,
          ETag: `"${file.sha256}"`,
          'X-Linked-Etag': `"${file.sha256}"`,
          'X-Linked-Size': String(file.bytes.length),
          'Accept-Ranges': 'bytes',
        });
      }
      return sendFile(req, reply, file, { ...commitHeader, ETag: `"${file.oid}"` });
    }
    return reply.error({ status: 404, message: "Sorry, we can't find the page you are looking for." });
  }

  async function handleCdn(req: http.IncomingMessage, reply: Reply): Promise<void> {
    if (req.headers.authorization !== undefined) {
      hub.cdnAuthorizationSeen++;
      return reply.xml(
        400,
        'InvalidArgument',
        'Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified',
      );
    }
    const url = new URL(req.url ?? '/', hub.cdnUrl);
    const expires = Number(url.searchParams.get('expires'));
    const sig = url.searchParams.get('sig') ?? '';
    const expected = sign(url.pathname, expires);
    if (sig.length !== expected.length || !crypto.timingSafeEqual(Buffer.from(sig), Buffer.from(expected))) {
      return reply.xml(403, 'SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided.');
    }
    if (Date.now() > expires) return reply.xml(403, 'AccessDenied', `Request has expired (expired at ${new Date(expires).toISOString()})`);
    if (takeServerError('cdn', reply)) return;
    if (req.method !== 'GET' && req.method !== 'HEAD') return reply.xml(405, 'MethodNotAllowed', 'The specified method is not allowed against this resource.');
    // The path was signed, so it names a file that exists: /{org}/{name}/{commit}/{file path}.
    const parts = url.pathname.split('/').slice(1).map(decodeURIComponent);
    const file = repos.get(`${parts[0]}/${parts[1]}`)!.snapshots.get(parts[2])!.files.get(parts.slice(3).join('/'))!;
    return sendFile(req, reply, file, { ETag: `"${file.sha256}"`, 'Content-Type': 'application/octet-stream' });
  }

  function access(repoId: string, validToken: boolean, contents: boolean): HttpError | undefined {
    const repo = repos.get(repoId);
    // The hub answers 401 to anonymous callers for missing and private repos alike; a signed-in caller gets 404.
    if (!repo || (repo.spec.private && !validToken)) return { status: validToken ? 404 : 401, code: 'RepoNotFound', message: 'Repository not found' };
    // Info and tree of a gated repo are public; only its files are behind the gate.
    if (!repo.spec.gated || !contents) return undefined;
    if (!validToken) {
      return {
        status: 401,
        code: 'GatedRepo',
        message: `Access to model ${repoId} is restricted. You must have access to it and be authenticated to access it. Please log in.`,
      };
    }
    if (repo.spec.approved === false) {
      return {
        status: 403,
        code: 'GatedRepo',
        message: `Access to model ${repoId} is restricted and you are not in the authorized list. Visit https://huggingface.co/${repoId} to ask for access.`,
      };
    }
    return undefined;
  }

  function takeServerError(server: 'hub' | 'cdn', reply: Reply): boolean {
    const fault = hub.faults.serverErrors;
    if (!fault || fault.times <= 0 || (fault.server ?? 'hub') !== server) return false;
    fault.times--;
    const text = http.STATUS_CODES[fault.status];
    reply.send(
      fault.status,
      { 'Content-Type': 'text/html' },
      `<html><head><title>${fault.status} ${text}</title></head><body><h1>${fault.status} ${text}</h1></body></html>\n`,
    );
    return true;
  }

  function signedLink(repoId: string, commit: string, filePath: string): string {
    const pathname = `/${repoId}/${commit}/${filePath.split('/').map(encodeURIComponent).join('/')}`;
    const expires = Date.now() + hub.linkTtlMs;
    return `${hub.cdnUrl}${pathname}?expires=${expires}&sig=${sign(pathname, expires)}`;
  }

  function sign(pathname: string, expires: number): string {
    return crypto.createHmac('sha256', secret).update(`${pathname}\n${expires}`).digest('hex');
  }

  function modelInfo(repo: RepoState, snapshot: Snapshot, url: URL): unknown {
    const blobs = url.searchParams.get('blobs') === 'true';
    const files = [...snapshot.files.values()];
    const siblings = files.map((f) =>
      blobs
        ? {
            rfilename: f.path,
            size: f.bytes.length,
            blobId: f.oid,
            ...(f.lfs ? { lfs: { sha256: f.sha256, size: f.bytes.length, pointerSize: f.pointerSize } } : {}),
          }
        : { rfilename: f.path },
    );
    const [author] = repo.id.split('/');
    return {
      _id: sha1Hex(`id ${repo.id}`).slice(0, 24),
      id: repo.id,
      modelId: repo.id,
      author,
      sha: snapshot.commit,
      lastModified: snapshot.date,
      createdAt: snapshot.date,
      private: repo.spec.private ?? false,
      disabled: false,
      gated: repo.spec.gated ?? false,
      downloads: 0,
      likes: 0,
      tags: [],
      siblings,
      ...safetensorsSummary(files),
      usedStorage: files.reduce((n, f) => n + f.bytes.length, 0),
    };
  }

  function tree(snapshot: Snapshot, dir: string, url: URL, reply: Reply): void {
    const recursive = ['true', '1'].includes(url.searchParams.get('recursive') ?? '');
    const prefix = dir === '' ? '' : `${dir}/`;
    const paths = [...snapshot.files.keys()].filter((p) => p.startsWith(prefix));
    if (dir !== '' && paths.length === 0) return reply.error({ status: 404, code: 'EntryNotFound', message: `${dir} does not exist on "${snapshot.commit}"` });
    const dirs = new Set<string>();
    for (const p of paths) {
      const segments = p.slice(prefix.length).split('/');
      for (let i = 1; i < segments.length; i++) dirs.add(prefix + segments.slice(0, i).join('/'));
    }
    const depth = (p: string) => p.slice(prefix.length).split('/').length;
    const entries = [
      ...[...dirs].map((p) => ({ type: 'directory', oid: sha1Hex(`tree ${snapshot.commit} ${p}`), size: 0, path: p })),
      ...paths.map((p) => {
        const f = snapshot.files.get(p)!;
        return {
          type: 'file',
          oid: f.oid,
          size: f.bytes.length,
          path: p,
          ...(f.lfs ? { lfs: { oid: f.sha256, size: f.bytes.length, pointerSize: f.pointerSize } } : {}),
        };
      }),
    ]
      .filter((e) => recursive || depth(e.path) === 1)
      .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    const start = Number(Buffer.from(url.searchParams.get('cursor') ?? '', 'base64url').toString() || '0');
    const end = options.pageSize ? start + options.pageSize : entries.length;
    const headers: Record<string, string> = {};
    if (end < entries.length) {
      const next = new URL(url);
      next.searchParams.set('cursor', Buffer.from(String(end)).toString('base64url'));
      headers.Link = `<${next.href}>; rel="next"`;
    }
    reply.json(200, entries.slice(start, end), headers);
  }

  async function sendFile(req: http.IncomingMessage, reply: Reply, file: RepoFileEntry, headers: Record<string, string>): Promise<void> {
    const size = file.bytes.length;
    headers = { 'Content-Type': 'application/octet-stream', 'Accept-Ranges': 'bytes', ...headers };
    let start = 0;
    let end = size - 1;
    let status = 200;
    const range = req.headers.range && parseRange(req.headers.range, size);
    const ignore = hub.faults.ignoreRange;
    const ignored = range && req.method === 'GET' && ignore?.path === file.path && ignore.times > 0;
    if (ignored) ignore.times--;
    if (range && !ignored) {
      if (range === 'unsatisfiable') return reply.send(416, { 'Content-Range': `bytes */${size}`, 'Content-Type': 'text/plain' }, 'Range Not Satisfiable');
      [start, end, status] = [range.start, range.end, 206];
      headers['Content-Range'] = `bytes ${start}-${end}/${size}`;
    }
    headers['Content-Length'] = String(end + 1 - start);
    if (req.method === 'HEAD') return reply.send(status, headers, '');
    await reply.stream(status, headers, file, start, end + 1, takeBodyFaults(file, start, end));
  }

  function takeBodyFaults(file: RepoFileEntry, start: number, end: number): BodyFaults {
    const f = hub.faults;
    const out: BodyFaults = {};
    const length = end + 1 - start;
    if (f.cutAfterBytes?.path === file.path && f.cutAfterBytes.times > 0 && f.cutAfterBytes.bytes < length) {
      f.cutAfterBytes.times--;
      out.cutAfter = f.cutAfterBytes.bytes;
    }
    if (f.flipByte?.path === file.path && f.flipByte.at >= start && f.flipByte.at <= end && (f.flipByte.times ?? 1) > 0) {
      if (f.flipByte.times !== undefined) f.flipByte.times--;
      out.flipAt = f.flipByte.at;
    }
    if (f.stallAfterBytes?.path === file.path && (f.stallAfterBytes.times ?? 1) > 0 && f.stallAfterBytes.bytes < length) {
      if (f.stallAfterBytes.times !== undefined) f.stallAfterBytes.times--;
      out.stall = { after: f.stallAfterBytes.bytes, ms: f.stallAfterBytes.ms };
    }
    return out;
  }
}

interface BodyFaults {
  cutAfter?: number;
  flipAt?: number;
  stall?: { after: number; ms: number };
}

/** Writes one response and keeps its HubRequest entry up to date. */
class Reply {
  constructor(
    private readonly res: http.ServerResponse,
    private readonly entry: HubRequest,
  ) {}

  send(status: number, headers: Record<string, string>, body: string): void {
    this.entry.status = status;
    const bytes = Buffer.from(body);
    this.res.writeHead(status, { 'X-Request-Id': `Root=1-${crypto.randomBytes(12).toString('hex')}`, 'Content-Length': String(bytes.length), ...headers });
    this.res.end(bytes);
    this.entry.bytesSent += bytes.length;
  }

  text(status: number, body: string, headers: Record<string, string> = {}): void {
    this.send(status, { 'Content-Type': 'text/plain; charset=utf-8', ...headers }, body);
  }

  json(status: number, value: unknown, headers: Record<string, string> = {}): void {
    this.send(status, { 'Content-Type': 'application/json; charset=utf-8', ...headers }, JSON.stringify(value));
  }

  error(e: HttpError): void {
    const headers: Record<string, string> = { ...e.headers, 'X-Error-Message': e.message };
    if (e.code) headers['X-Error-Code'] = e.code;
    this.json(e.status, { error: e.message }, headers);
  }

  /** An S3-style error, as the CDN behind the hub's signed links answers. */
  xml(status: number, code: string, message: string): void {
    const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><RequestId>${crypto.randomBytes(8).toString('hex').toUpperCase()}</RequestId></Error>`;
    this.send(status, { 'Content-Type': 'application/xml' }, body);
  }

  async stream(status: number, headers: Record<string, string>, file: RepoFileEntry, start: number, end: number, faults: BodyFaults): Promise<void> {
    const res = this.res;
    this.entry.status = status;
    res.writeHead(status, headers);
    let offset = start;
    let stalled = false;
    for (;;) {
      const sent = offset - start;
      if (sent === faults.cutAfter) {
        // Flush the head even when nothing of the body went out, then drop the connection.
        if (sent === 0) await this.write(Buffer.alloc(0));
        res.destroy();
        return;
      }
      if (faults.stall && !stalled && sent === faults.stall.after) {
        stalled = true;
        if (sent === 0) await this.write(Buffer.alloc(0));
        await new Promise((resolve) => setTimeout(resolve, faults.stall!.ms));
      }
      if (offset >= end) break;
      let stop = Math.min(end, offset + CHUNK);
      for (const mark of [faults.cutAfter, faults.stall?.after]) if (mark !== undefined && start + mark > offset) stop = Math.min(stop, start + mark);
      const chunk = Buffer.from(file.bytes.subarray(offset, stop));
      if (faults.flipAt !== undefined && faults.flipAt >= offset && faults.flipAt < stop) chunk[faults.flipAt - offset] ^= 0xff;
      if (!(await this.write(chunk))) return;
      offset = stop;
    }
    res.end();
  }

  /** Resolves once the chunk is handed to the socket (false when the connection is gone). */
  private write(chunk: Buffer): Promise<boolean> {
    const res = this.res;
    return new Promise((resolve) => {
      if (res.destroyed) return resolve(false);
      const onClose = () => resolve(false);
      res.once('close', onClose);
      res.write(chunk, (err) => {
        res.off('close', onClose);
        if (!err) this.entry.bytesSent += chunk.length;
        resolve(!err);
      });
    });
  }
}

function revision(repo: RepoState, rev: string): Snapshot | undefined {
  return repo.snapshots.get(rev === 'main' ? repo.main : rev);
}

function revisionNotFound(rev: string): HttpError {
  return { status: 404, code: 'RevisionNotFound', message: `Invalid rev id: ${rev}` };
}

/** `bytes=N-`, `bytes=N-M`, `bytes=-S`; anything else (several ranges, other units) is ignored, as RFC 9110 allows. */
function parseRange(header: string, size: number): { start: number; end: number } | 'unsatisfiable' | undefined {
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (m[2] !== '' && Number(m[2]) < start) return undefined;
  if (start >= size) return 'unsatisfiable';
  return { start, end };
}

async function readRepoDir(spec: RepoSpec): Promise<Map<string, RepoFileEntry>> {
  const files = new Map<string, RepoFileEntry>();
  const minLfs = spec.lfsMinBytes ?? 1024;
  const walk = async (dir: string, rel: string): Promise<void> => {
    const entries = await fsp.readdir(dir, { withFileTypes: true });
    for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const relPath = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) {
        if (e.name !== '.git') await walk(path.join(dir, e.name), relPath);
        continue;
      }
      const bytes = await fsp.readFile(path.join(dir, e.name));
      const lfs = bytes.length >= minLfs || ALWAYS_LFS.some((ext) => e.name.endsWith(ext));
      const digest = sha256(bytes);
      const pointer = Buffer.from(`version https://git-lfs.github.com/spec/v1\noid sha256:${digest}\nsize ${bytes.length}\n`);
      files.set(relPath, { path: relPath, bytes, sha256: digest, lfs, oid: gitBlobSha1(lfs ? pointer : bytes), pointerSize: pointer.length });
    }
  };
  await walk(spec.dir, '');
  return files;
}

/** The hub's `safetensors` field: parameter counts by dtype, read from each .safetensors header. */
function safetensorsSummary(files: RepoFileEntry[]): { safetensors?: { parameters: Record<string, number>; total: number } } {
  const parameters: Record<string, number> = {};
  let found = false;
  for (const f of files) {
    if (!f.path.endsWith('.safetensors') || f.bytes.length < 8) continue;
    const headerLength = Number(f.bytes.readBigUInt64LE(0));
    if (headerLength > f.bytes.length - 8) continue;
    let header: Record<string, { dtype?: string; shape?: number[] }>;
    try {
      header = JSON.parse(f.bytes.subarray(8, 8 + headerLength).toString('utf8'));
    } catch {
      continue;
    }
    found = true;
    for (const [name, tensor] of Object.entries(header)) {
      if (name === '__metadata__' || !tensor.dtype || !Array.isArray(tensor.shape)) continue;
      parameters[tensor.dtype] = (parameters[tensor.dtype] ?? 0) + tensor.shape.reduce((n, d) => n * d, 1);
    }
  }
  if (!found) return {};
  return { safetensors: { parameters, total: Object.values(parameters).reduce((n, c) => n + c, 0) } };
}

function sha1Hex(text: string): string {
  return crypto.createHash('sha1').update(text).digest('hex');
}

function listen(server: http.Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}
