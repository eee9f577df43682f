import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { LocalEngine, loadModelFolder } from '../../../src/core';
import { HubClient, HubError } from '../../../src/models/hub';
import { pullModel, PullEvent, PullOptions } from '../../../src/models/pull';
import { ModelStore } from '../../../src/models/store';
import { writeTinyDream } from '../support/checkpoint';
import { collect } from '../support/events';
import { CLI, tempDir } from '../support/fixtures';
import { Hub, startHub } from '../support/hub';

const REPO = 'tiny-org/tiny-dream';
const SHARD = 'model-00001-of-00002.safetensors';

describe('models pull: from a hub into the store', function () {
  this.timeout(120000);
  let t: ReturnType<typeof tempDir>;
  let hub: Hub;
  let store: ModelStore;
  const client = (settings: Partial<HubClient['settings']> = {}) => new HubClient({ endpoint: hub.url, offline: false, ...settings });
  const pull = (options: Partial<PullOptions> = {}, ref = REPO) => pullModel(ref, { precision: 'int4', store, hub: client(), ...options });
  const partFiles = () => {
    const dir = path.join(store.home, 'downloads');
    return fs.existsSync(dir) ? fs.readdirSync(dir, { recursive: true }).map(String).filter((f) => f.endsWith('.part')) : [];
  };
  const rejectsWith = async (promise: Promise<unknown>, kind: HubError['kind'], says: RegExp) =>
    assert.rejects(promise, (e: Error) => e instanceof HubError && e.kind === kind && says.test(e.message));

  beforeEach(async () => {
    t = tempDir();
    writeTinyDream(path.join(t.dir, 'repo'));
    hub = await startHub({ repos: { [REPO]: { dir: path.join(t.dir, 'repo') } }, token: 'hf_good_token_0123456789abcdef0123456789' });
    store = new ModelStore(path.join(t.dir, 'home'));
  });
  afterEach(async () => {
    await hub.close();
    t.remove();
  });

  it('downloads only what the model needs, builds it with its manifest, and fills with it', async () => {
    fs.writeFileSync(path.join(t.dir, 'repo', 'pytorch_model.bin'), 'not wanted');
    fs.writeFileSync(path.join(t.dir, 'repo', 'README.md'), '# a model card');
    await hub.setRepo(REPO, { dir: path.join(t.dir, 'repo') });
    const events: PullEvent[] = [];
    const model = await pull({ onEvent: (e) => events.push(e) });
    assert.equal(model.manifest.repo, REPO);
    assert.equal(model.manifest.commit, hub.commit(REPO));
    assert.equal(model.manifest.precision, 'int4');
    assert.ok(model.manifest.files.every((f) => !/pytorch_model|README/.test(f.path)));
    assert.ok(!hub.requests.some((r) => /pytorch_model|README/.test(r.url)), 'nothing the model does not need is asked for');
    assert.equal(hub.cdnAuthorizationSeen, 0, 'the token never goes to the CDN');
    assert.deepEqual(fs.readdirSync(path.join(store.home, 'downloads')), [], 'the downloaded checkpoint is dropped once built');
    const downloads = events.filter((e) => e.phase === 'download');
    assert.ok(downloads.length > 0 && downloads.every((e, i) => i === 0 || e.done >= downloads[i - 1].done), 'progress never goes backwards');
    assert.deepEqual(
      events.map((e) => e.phase).filter((p, i, all) => p !== all[i - 1]),
      ['resolved', 'download', 'convert', 'installed'],
    );
    const loaded = await loadModelFolder(model.dir);
    try {
      const { result } = await collect(new LocalEngine(loaded).infill({ text: 'x = ', holes: [{ start: 4, end: 4 }] }, { steps: 2 }));
      assert.ok(result.text.startsWith('x = '));
    } finally {
      await loaded.network.dispose();
    }
    // Pulled again: nothing is downloaded.
    const before = hub.requests.filter((r) => r.url.includes('/resolve/')).length;
    const again = await pull();
    assert.equal(again.dir, model.dir);
    assert.equal(hub.requests.filter((r) => r.url.includes('/resolve/')).length, before);
  });

  it('resumes a transfer cut mid-file with a Range request, and the file is whole', async () => {
    hub.faults.cutAfterBytes = { path: SHARD, bytes: 20000, times: 1 };
    const model = await pull();
    assert.ok(hub.requests.some((r) => r.range === 'bytes=20000-' && r.status === 206), 'a resumed request from byte 20000');
    assert.ok(fs.existsSync(path.join(model.dir, 'model.onnx')));
  });

  it('a server that ignores the Range starts the file over (200), and a part longer than the file is dropped', async () => {
    hub.faults.cutAfterBytes = { path: SHARD, bytes: 20000, times: 1 };
    hub.faults.ignoreRange = { path: SHARD, times: 1 };
    const commit = hub.commit(REPO);
    const other = path.join(store.downloadDir(REPO, commit), 'model-00002-of-00002.safetensors.part');
    fs.mkdirSync(path.dirname(other), { recursive: true });
    fs.writeFileSync(other, Buffer.alloc(10 << 20));
    await pull();
    assert.ok(hub.requests.some((r) => r.range === 'bytes=20000-' && r.status === 200), 'the ignored Range was answered 200');
  });

  it('asks /resolve again on every try, so an expired signed address is never reused', async () => {
    hub.linkTtlMs = 300;
    hub.faults.cutAfterBytes = { path: SHARD, bytes: 20000, times: 1 };
    await pull();
    const resolves = hub.requests.filter((r) => r.server === 'hub' && r.url.includes(`/resolve/`) && r.url.endsWith(SHARD));
    assert.equal(resolves.length, 2, 'the retry went to /resolve, not to the old address');
    assert.ok(!hub.requests.some((r) => r.server === 'cdn' && r.status === 403), 'no request reached the CDN with an expired address');
  });

  it('refuses a file whose bytes do not match the hub hash, naming it, and keeps no half file', async () => {
    hub.faults.flipByte = { path: SHARD, at: 100 };
    await rejectsWith(pull(), 'integrity', new RegExp(`${SHARD.replace(/\./g, '\\.')}: its bytes do not match the hub's sha256`));
    assert.deepEqual(store.installed(), []);
    const dir = store.downloadDir(REPO, hub.commit(REPO));
    assert.ok(!fs.existsSync(path.join(dir, SHARD)) && !fs.existsSync(path.join(dir, `${SHARD}.part`)), 'the bad file is neither kept nor in place');
  });

  it('waits out a 429 as the hub says, and tries 5xx again', async () => {
    hub.faults.rateLimit = { times: 1, resetSeconds: 1 };
    hub.faults.serverErrors = { times: 2, status: 503 };
    const started = performance.now();
    await pull();
    assert.ok(performance.now() - started >= 2000, 'waited for the rate limit to reset (t=1, +1 s)');
    assert.ok(hub.requests.some((r) => r.status === 429) && hub.requests.filter((r) => r.status === 503).length === 2);
  });

  it('a gated repository: sign in without a token, request access with one that has none, and the token does the rest', async () => {
    await hub.setRepo(REPO, { dir: path.join(t.dir, 'repo'), gated: 'manual', approved: false });
    await rejectsWith(pull(), 'auth', /tiny-org\/tiny-dream is gated: sign in with a Hugging Face token/);
    await rejectsWith(
      pull({ hub: client({ token: 'hf_good_token_0123456789abcdef0123456789' }) }),
      'gated',
      /no access yet: request access on its page \(http:\/\/127\.0\.0\.1:\d+\/tiny-org\/tiny-dream\)/,
    );
    await hub.setRepo(REPO, { dir: path.join(t.dir, 'repo'), gated: 'manual', approved: true });
    await rejectsWith(pull({ hub: client({ token: 'hf_wrong' }) }), 'auth', /invalid credentials/);
    const model = await pull({ hub: client({ token: 'hf_good_token_0123456789abcdef0123456789' }) });
    assert.equal(model.manifest.repo, REPO);
  });

  it('cancel keeps the partial files, and the next pull resumes them', async () => {
    hub.faults.stallAfterBytes = { path: SHARD, bytes: 30000, ms: 3000, times: 1 };
    const abort = new AbortController();
    // Cancelled while the shard's transfer stalls (it stalls for 3 s after 30,000 bytes).
    let timer: NodeJS.Timeout | undefined;
    const pulling = pull({ signal: abort.signal, onEvent: (e) => e.phase === 'resolved' && (timer = setTimeout(() => abort.abort(), 1500)) });
    await rejectsWith(pulling, 'cancelled', /cancelled: what was downloaded is kept/);
    clearTimeout(timer);
    assert.ok(partFiles().length >= 1, 'a .part is kept');
    await pull();
    assert.ok(hub.requests.some((r) => r.range?.startsWith('bytes=') && r.status === 206), 'the second pull resumed with a Range');
  });

  it('checks free disk space against the plan before downloading the weights', async () => {
    await assert.rejects(pull({ freeBytes: () => 1000 }), /need .* MB, but .* has 0\.00 MB free: free some space, or set DIFFUSION_INFILL_HOME/);
    assert.ok(!hub.requests.some((r) => r.url.endsWith(SHARD)), 'no shard was downloaded');
  });

  it('offline: no request at all; what is installed is used, what is not is named', async () => {
    await rejectsWith(pull({ hub: client({ offline: true }) }), 'offline', /HF_HUB_OFFLINE is set and tiny-org\/tiny-dream \(int4\) is not installed/);
    assert.equal(hub.requests.length, 0);
    const model = await pull();
    const seen = hub.requests.length;
    assert.equal((await pull({ hub: client({ offline: true }) })).dir, model.dir);
    assert.equal(hub.requests.length, seen);
  });

  it('a repository without tokenizer.json gets one built from vocab.json and merges.txt', async () => {
    const repo = path.join(t.dir, 'repo');
    const tok = JSON.parse(fs.readFileSync(path.join(repo, 'tokenizer.json'), 'utf8'));
    fs.writeFileSync(path.join(repo, 'vocab.json'), JSON.stringify(tok.model.vocab));
    fs.writeFileSync(path.join(repo, 'merges.txt'), '#version: 0.2\n');
    fs.writeFileSync(path.join(repo, 'added_tokens.json'), JSON.stringify(Object.fromEntries(tok.added_tokens.map((a: { content: string; id: number }) => [a.content, a.id]))));
    fs.rmSync(path.join(repo, 'tokenizer.json'));
    await hub.setRepo(REPO, { dir: repo });
    const model = await pull({ precision: 'float32' });
    assert.ok(fs.existsSync(path.join(model.dir, 'tokenizer.json')));
  });

  it('the CLI pulls, lists, gives the path, fills with the pulled model by name, and removes it', async () => {
    const env = { ...process.env, HF_ENDPOINT: hub.url, DIFFUSION_INFILL_HOME: store.home, HF_TOKEN: '', HF_HUB_OFFLINE: '' };
    const run = (...args: string[]) => promisify(execFile)(process.execPath, [CLI, ...args], { env });
    const pulled = await run('models', 'pull', REPO, '--precision', 'int8');
    assert.match(pulled.stderr, /installed tiny-org\/tiny-dream \(int8/);
    const dir = pulled.stdout.trim();
    assert.equal((await run('models', 'path', REPO)).stdout.trim(), dir);
    assert.match((await run('models', 'list')).stdout, new RegExp(`tiny-org/tiny-dream  int8  ${hub.commit(REPO).slice(0, 8)}`));
    const file = path.join(t.dir, 'f.py');
    fs.writeFileSync(file, 'def f(x):\n    return <|hole|>\n');
    const filled = await run('fill', file, '--model', REPO, '--quiet', '--steps', '2');
    assert.ok(filled.stdout.startsWith('def f(x):\n    return '));
    assert.match((await run('models', 'rm', REPO)).stderr, /removed .*tiny-org--tiny-dream/);
    await assert.rejects(run('fill', file, '--model', REPO), /no pulled model of that name .*: pull it with diffusion-infill models pull tiny-org\/tiny-dream/);
  });
});
