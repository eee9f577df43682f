import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { gitBlobSha1, Hub, sha256, startHub } from './hub';

const TOKEN = 'hf_standin_token_0123456789abcdefghij';
const CONFIG = Buffer.from('{"architectures": ["DreamModel"], "hidden_size": 8}\n');
const TOKENIZER = Buffer.from('{"model": {"vocab": {}}, "pad": "' + 'x'.repeat(3000) + '"}');
const ONNX = Buffer.from('onnx bytes');

/** A valid safetensors file: an 8-byte little-endian header length, the JSON header, then the tensor data. */
function safetensors(): Buffer {
  const header = Buffer.from(JSON.stringify({ __metadata__: { format: 'pt' }, 'w.weight': { dtype: 'F32', shape: [300, 250], data_offsets: [0, 300_000] } }));
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(header.length));
  return Buffer.concat([length, header, crypto.randomBytes(300_000)]);
}
const WEIGHTS = safetensors();

function repoDir(files: Record<string, Buffer>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hub-standin-'));
  for (const [name, bytes] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), bytes);
  }
  return dir;
}

const bearer = { Authorization: `Bearer ${TOKEN}` };

/** Reads a body until it ends or the connection drops; returns what arrived and the error, if any. */
async function drain(res: Response): Promise<{ bytes: Buffer; error?: unknown }> {
  const chunks: Buffer[] = [];
  const reader = res.body!.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return { bytes: Buffer.concat(chunks) };
      chunks.push(Buffer.from(value));
    }
  } catch (error) {
    return { bytes: Buffer.concat(chunks), error };
  }
}

describe('hub stand-in: the Hugging Face Hub protocol on loopback', function () {
  let hub: Hub;
  let dir: string;
  const commit = crypto.createHash('sha1').update('org/tiny').digest('hex');

  before(async () => {
    dir = repoDir({ 'config.json': CONFIG, 'tokenizer.json': TOKENIZER, 'model.safetensors': WEIGHTS, 'onnx/model.onnx': ONNX });
    hub = await startHub({
      token: TOKEN,
      pageSize: 2,
      repos: {
        'org/tiny': { dir },
        'org/gated': { dir, gated: 'auto' },
        'org/pending': { dir, gated: 'manual', approved: false },
        'org/secret': { dir, private: true },
      },
    });
  });
  after(async () => {
    await hub?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    hub.faults = {};
    hub.linkTtlMs = 60_000;
  });

  async function lfsLink(file: string, repo = 'org/tiny', headers: Record<string, string> = {}): Promise<string> {
    const res = await fetch(`${hub.url}/${repo}/resolve/main/${file}`, { redirect: 'manual', headers });
    assert.equal(res.status, 302);
    return res.headers.get('location')!;
  }

  it('answers repo info, with sizes, blob ids and LFS hashes under ?blobs=true', async () => {
    const plain = (await (await fetch(`${hub.url}/api/models/org/tiny`)).json()) as any;
    assert.equal(plain.id, 'org/tiny');
    assert.equal(plain.modelId, 'org/tiny');
    assert.equal(plain.sha, commit);
    assert.equal(plain.private, false);
    assert.equal(plain.gated, false);
    assert.deepEqual(plain.siblings.map((s: any) => s.rfilename).sort(), ['config.json', 'model.safetensors', 'onnx/model.onnx', 'tokenizer.json']);
    assert.equal(plain.siblings[0].size, undefined);
    assert.deepEqual(plain.safetensors, { parameters: { F32: 75_000 }, total: 75_000 });

    const res = await fetch(`${hub.url}/api/models/org/tiny/revision/${commit}?blobs=true`);
    const info = (await res.json()) as any;
    const by = Object.fromEntries(info.siblings.map((s: any) => [s.rfilename, s]));
    assert.deepEqual(by['config.json'], { rfilename: 'config.json', size: CONFIG.length, blobId: gitBlobSha1(CONFIG) });
    assert.equal(by['tokenizer.json'].lfs.sha256, sha256(TOKENIZER), 'a file over lfsMinBytes is LFS');
    assert.deepEqual({ sha256: by['model.safetensors'].lfs.sha256, size: by['model.safetensors'].lfs.size }, { sha256: sha256(WEIGHTS), size: WEIGHTS.length });
    assert.equal(by['onnx/model.onnx'].lfs.size, ONNX.length, 'an .onnx file is LFS whatever its size');
    assert.notEqual(by['model.safetensors'].blobId, gitBlobSha1(WEIGHTS), 'an LFS blobId is its pointer file, not its content');

    const missing = await fetch(`${hub.url}/api/models/org/tiny/revision/v2`);
    assert.equal(missing.status, 404);
    assert.equal(missing.headers.get('x-error-code'), 'RevisionNotFound');
  });

  it('lists the tree recursively, a page at a time through Link rel="next"', async () => {
    const entries: any[] = [];
    let url: string | undefined = `${hub.url}/api/models/org/tiny/tree/main?recursive=true&expand=false`;
    let pages = 0;
    while (url) {
      const res: Response = await fetch(url);
      assert.equal(res.status, 200);
      const page = (await res.json()) as any[];
      assert.ok(page.length <= 2, `page of ${page.length} over pageSize 2`);
      entries.push(...page);
      pages++;
      url = /<([^>]+)>;\s*rel="next"/.exec(res.headers.get('link') ?? '')?.[1];
    }
    assert.equal(pages, 3);
    assert.deepEqual(
      entries.map((e) => `${e.type} ${e.path}`),
      ['file config.json', 'file model.safetensors', 'directory onnx', 'file onnx/model.onnx', 'file tokenizer.json'],
    );
    const config = entries.find((e) => e.path === 'config.json');
    assert.deepEqual(config, { type: 'file', oid: gitBlobSha1(CONFIG), size: CONFIG.length, path: 'config.json' });
    const weights = entries.find((e) => e.path === 'model.safetensors');
    assert.equal(weights.size, WEIGHTS.length);
    assert.equal(weights.lfs.oid, sha256(WEIGHTS));
    assert.equal(weights.lfs.size, WEIGHTS.length);
    assert.ok(weights.lfs.pointerSize > 100 && weights.lfs.pointerSize < 200);

    const sub = (await (await fetch(`${hub.url}/api/models/org/tiny/tree/${commit}/onnx?recursive=true`)).json()) as any[];
    assert.deepEqual(
      sub.map((e) => e.path),
      ['onnx/model.onnx'],
    );
    const top: any[] = [];
    for (let u: string | undefined = `${hub.url}/api/models/org/tiny/tree/main?recursive=false`; u;) {
      const res: Response = await fetch(u);
      top.push(...((await res.json()) as any[]));
      u = /<([^>]+)>;\s*rel="next"/.exec(res.headers.get('link') ?? '')?.[1];
    }
    assert.ok(!top.some((e) => e.path === 'onnx/model.onnx'), 'a non-recursive listing stops at the first level');
  });

  it('serves a small file from the hub with its git sha1 as ETag, and honours Range', async () => {
    const res = await fetch(`${hub.url}/org/tiny/resolve/main/config.json`, { redirect: 'manual' });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('etag'), `"${gitBlobSha1(CONFIG)}"`);
    assert.equal(res.headers.get('x-repo-commit'), commit);
    assert.equal(res.headers.get('accept-ranges'), 'bytes');
    assert.deepEqual(Buffer.from(await res.arrayBuffer()), CONFIG);

    const head = await fetch(`${hub.url}/org/tiny/resolve/${commit}/config.json`, { method: 'HEAD' });
    assert.equal(head.headers.get('content-length'), String(CONFIG.length));

    const part = await fetch(`${hub.url}/org/tiny/resolve/main/config.json`, { headers: { Range: 'bytes=10-' } });
    assert.equal(part.status, 206);
    assert.equal(part.headers.get('content-range'), `bytes 10-${CONFIG.length - 1}/${CONFIG.length}`);
    assert.deepEqual(Buffer.from(await part.arrayBuffer()), CONFIG.subarray(10));

    const none = await fetch(`${hub.url}/org/tiny/resolve/main/nope.json`);
    assert.equal(none.status, 404);
    assert.equal(none.headers.get('x-error-code'), 'EntryNotFound');
    assert.equal(none.headers.get('x-repo-commit'), commit);
  });

  it('redirects an LFS file to the CDN with X-Linked-Etag (sha256) and X-Linked-Size', async () => {
    for (const method of ['GET', 'HEAD']) {
      const res = await fetch(`${hub.url}/org/tiny/resolve/main/model.safetensors`, { method, redirect: 'manual' });
      assert.equal(res.status, 302, method);
      assert.ok(res.headers.get('location')!.startsWith(`${hub.cdnUrl}/`), res.headers.get('location')!);
      assert.equal(res.headers.get('x-linked-etag'), `"${sha256(WEIGHTS)}"`);
      assert.equal(res.headers.get('x-linked-size'), String(WEIGHTS.length));
      assert.equal(res.headers.get('x-repo-commit'), commit);
      assert.notEqual(res.headers.get('content-length'), String(WEIGHTS.length), "the redirect's own length is not the file's");
    }
  });

  it('serves the CDN link whole (200), from an offset (206) and refuses an offset past the end (416)', async () => {
    const link = await lfsLink('model.safetensors');
    const whole = await fetch(link);
    assert.equal(whole.status, 200);
    assert.equal(whole.headers.get('content-length'), String(WEIGHTS.length));
    assert.equal(sha256(Buffer.from(await whole.arrayBuffer())), sha256(WEIGHTS));

    const part = await fetch(link, { headers: { Range: 'bytes=1000-' } });
    assert.equal(part.status, 206);
    assert.equal(part.headers.get('content-range'), `bytes 1000-${WEIGHTS.length - 1}/${WEIGHTS.length}`);
    assert.deepEqual(Buffer.from(await part.arrayBuffer()), WEIGHTS.subarray(1000));

    const past = await fetch(link, { headers: { Range: `bytes=${WEIGHTS.length}-` } });
    assert.equal(past.status, 416);
    assert.equal(past.headers.get('content-range'), `bytes */${WEIGHTS.length}`);
    await past.arrayBuffer();
  });

  it('answers an expired or tampered CDN link with 403 and an S3 error body', async () => {
    hub.linkTtlMs = 1;
    const link = await lfsLink('model.safetensors');
    await new Promise((resolve) => setTimeout(resolve, 20));
    const expired = await fetch(link);
    assert.equal(expired.status, 403);
    assert.match(await expired.text(), /<Code>AccessDenied<\/Code><Message>Request has expired/);

    hub.linkTtlMs = 60_000;
    const fresh = await lfsLink('model.safetensors');
    const tampered = await fetch(fresh.replace(/sig=[0-9a-f]/, (m) => (m.endsWith('0') ? 'sig=1' : 'sig=0')));
    assert.equal(tampered.status, 403);
    assert.match(await tampered.text(), /SignatureDoesNotMatch/);
  });

  it('answers gated, private and missing repos as the hub does', async () => {
    const info = await fetch(`${hub.url}/api/models/org/gated`);
    assert.equal(info.status, 200, 'info of a gated repo is public');
    assert.equal(((await info.json()) as any).gated, 'auto');

    const anonymous = await fetch(`${hub.url}/org/gated/resolve/main/config.json`);
    assert.equal(anonymous.status, 401);
    assert.equal(anonymous.headers.get('x-error-code'), 'GatedRepo');
    assert.equal(
      anonymous.headers.get('x-error-message'),
      'Access to model org/gated is restricted. You must have access to it and be authenticated to access it. Please log in.',
    );
    assert.deepEqual(await anonymous.json(), { error: anonymous.headers.get('x-error-message') });

    const wrong = await fetch(`${hub.url}/org/gated/resolve/main/config.json`, { headers: { Authorization: 'Bearer hf_wrong' } });
    assert.equal(wrong.status, 401);
    assert.equal(wrong.headers.get('x-error-message'), 'Invalid credentials in Authorization header');
    assert.equal(wrong.headers.get('x-error-code'), null);

    const granted = await fetch(`${hub.url}/org/gated/resolve/main/config.json`, { headers: bearer });
    assert.equal(granted.status, 200);
    assert.deepEqual(Buffer.from(await granted.arrayBuffer()), CONFIG);

    const pending = await fetch(`${hub.url}/org/pending/resolve/main/config.json`, { headers: bearer });
    assert.equal(pending.status, 403);
    assert.equal(pending.headers.get('x-error-code'), 'GatedRepo');
    assert.equal(
      pending.headers.get('x-error-message'),
      'Access to model org/pending is restricted and you are not in the authorized list. Visit https://huggingface.co/org/pending to ask for access.',
    );

    for (const url of [`${hub.url}/api/models/org/secret`, `${hub.url}/api/models/org/nothing`, `${hub.url}/org/nothing/resolve/main/config.json`]) {
      const res = await fetch(url);
      assert.equal(res.status, 401, url);
      assert.equal(res.headers.get('x-error-code'), 'RepoNotFound', url);
    }
    assert.equal((await fetch(`${hub.url}/api/models/org/secret`, { headers: bearer })).status, 200);
    const signedIn = await fetch(`${hub.url}/api/models/org/nothing`, { headers: bearer });
    assert.equal(signedIn.status, 404);
    assert.equal(signedIn.headers.get('x-error-code'), 'RepoNotFound');
  });

  it('rate-limits the next requests with 429, RateLimit and Retry-After, then serves', async () => {
    hub.faults.rateLimit = { times: 2, resetSeconds: 7 };
    const first = await fetch(`${hub.url}/org/tiny/resolve/main/config.json`);
    assert.equal(first.status, 429);
    assert.equal(first.headers.get('ratelimit'), '"resolvers";r=0;t=7');
    assert.equal(first.headers.get('retry-after'), '7');
    const api = await fetch(`${hub.url}/api/models/org/tiny`);
    assert.equal(api.status, 429);
    assert.equal(api.headers.get('ratelimit'), '"api";r=0;t=7');
    assert.equal((await fetch(`${hub.url}/org/tiny/resolve/main/config.json`)).status, 200);
    assert.equal(hub.faults.rateLimit.times, 0);
  });

  it('answers the next requests with a server error', async () => {
    hub.faults.serverErrors = { times: 1, status: 502 };
    const failed = await fetch(`${hub.url}/org/tiny/resolve/main/config.json`);
    assert.equal(failed.status, 502);
    assert.match(failed.headers.get('content-type')!, /text\/html/);
    assert.equal((await fetch(`${hub.url}/org/tiny/resolve/main/config.json`)).status, 200);

    hub.faults.serverErrors = { times: 1, status: 503, server: 'cdn' };
    const link = await lfsLink('model.safetensors');
    assert.equal((await fetch(link)).status, 503);
    assert.equal((await fetch(link)).status, 200);
  });

  it('cuts the connection after some bytes, and the rest comes with Range', async () => {
    hub.faults.cutAfterBytes = { path: 'model.safetensors', bytes: 100_000, times: 1 };
    const link = await lfsLink('model.safetensors');
    const cut = await fetch(link);
    assert.equal(cut.status, 200);
    const first = await drain(cut);
    assert.ok(first.error, 'the body ends in an error');
    assert.equal(first.bytes.length, 100_000);
    const rest = await fetch(link, { headers: { Range: 'bytes=100000-' } });
    assert.equal(rest.status, 206);
    const second = await drain(rest);
    assert.equal(second.error, undefined);
    assert.equal(sha256(Buffer.concat([first.bytes, second.bytes])), sha256(WEIGHTS));

    hub.faults.cutAfterBytes = { path: 'config.json', bytes: 5, times: 1 };
    const small = await drain(await fetch(`${hub.url}/org/tiny/resolve/main/config.json`));
    assert.ok(small.error);
    assert.equal(small.bytes.length, 5);
    const cdnEntry = hub.requests.filter((r) => r.server === 'cdn' && r.range === undefined).at(-1)!;
    assert.equal(cdnEntry.bytesSent, 100_000);
  });

  it('flips one byte, ignores a Range, stalls a body', async () => {
    hub.faults.flipByte = { path: 'model.safetensors', at: 5, times: 1 };
    const link = await lfsLink('model.safetensors');
    const flipped = Buffer.from(await (await fetch(link)).arrayBuffer());
    assert.equal(flipped.length, WEIGHTS.length);
    assert.equal(flipped[5], WEIGHTS[5] ^ 0xff);
    assert.deepEqual(flipped.subarray(6), WEIGHTS.subarray(6));
    assert.notEqual(sha256(flipped), sha256(WEIGHTS));
    assert.equal(sha256(Buffer.from(await (await fetch(link)).arrayBuffer())), sha256(WEIGHTS), 'times: 1 flips once');

    hub.faults.ignoreRange = { path: 'model.safetensors', times: 1 };
    const ignored = await fetch(link, { headers: { Range: 'bytes=1000-' } });
    assert.equal(ignored.status, 200);
    assert.equal(ignored.headers.get('content-range'), null);
    assert.equal((await ignored.arrayBuffer()).byteLength, WEIGHTS.length);

    hub.faults.stallAfterBytes = { path: 'model.safetensors', bytes: 1000, ms: 300, times: 1 };
    const started = Date.now();
    const stalled = await drain(await fetch(link));
    assert.ok(Date.now() - started >= 280, `the body came in ${Date.now() - started} ms despite a 300 ms stall`);
    assert.equal(sha256(stalled.bytes), sha256(WEIGHTS));
  });

  it('drops every connection while offline', async () => {
    hub.faults.offline = true;
    await assert.rejects(fetch(`${hub.url}/api/models/org/tiny`));
    hub.faults.offline = false;
    assert.equal((await fetch(`${hub.url}/api/models/org/tiny`)).status, 200);
  });

  it('never lets the Authorization header reach the CDN when fetch follows the redirect', async () => {
    const before = hub.requests.length;
    const res = await fetch(`${hub.url}/org/gated/resolve/main/model.safetensors`, { headers: bearer });
    assert.equal(res.status, 200);
    assert.equal(sha256(Buffer.from(await res.arrayBuffer())), sha256(WEIGHTS));
    const seen = hub.requests.slice(before);
    assert.deepEqual(
      seen.map((r) => [r.server, r.status, r.authorization]),
      [
        ['hub', 302, bearer.Authorization],
        ['cdn', 200, undefined],
      ],
    );
    assert.equal(hub.cdnAuthorizationSeen, 0);

    // A client that forwards the header by hand is caught, and S3 refuses it.
    const leaked = await fetch(await lfsLink('model.safetensors', 'org/gated', bearer), { headers: bearer });
    assert.equal(leaked.status, 400);
    assert.equal(hub.cdnAuthorizationSeen, 1);
  });

  it('moves main to a new commit and keeps serving the old one', async () => {
    const dir2 = repoDir({ 'config.json': Buffer.from('{"v": 2}\n') });
    try {
      const second = await hub.setRepo('org/moving', { dir });
      const third = await hub.setRepo('org/moving', { dir: dir2 });
      assert.notEqual(second, third);
      assert.equal(hub.commit('org/moving'), third);
      assert.equal(((await (await fetch(`${hub.url}/api/models/org/moving`)).json()) as any).sha, third);
      assert.equal(await (await fetch(`${hub.url}/org/moving/resolve/main/config.json`)).text(), '{"v": 2}\n');
      assert.deepEqual(Buffer.from(await (await fetch(`${hub.url}/org/moving/resolve/${second}/config.json`)).arrayBuffer()), CONFIG);
    } finally {
      fs.rmSync(dir2, { recursive: true, force: true });
    }
  });
});
