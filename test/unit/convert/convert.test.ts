import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { convertCheckpoint, ConvertOptions } from '../../../src/convert/convert';
import { ConvertError } from '../../../src/convert/convertError';
import { LocalEngine, loadModelFolder } from '../../../src/core';
import { collect } from '../support/events';
import { CLI, tempDir } from '../support/fixtures';
import { randomValues, writeSafetensors, writeTinyDream } from '../support/checkpoint';

const INT4: ConvertOptions = { precision: 'int4', blockSize: 16, cache: true, special: {} };

describe('convert: a checkpoint folder becomes a model folder', function () {
  this.timeout(120000);
  let t: ReturnType<typeof tempDir>;
  let ck: string;
  beforeEach(() => {
    t = tempDir();
    ck = path.join(t.dir, 'ck');
    writeTinyDream(ck);
  });
  afterEach(() => t.remove());

  const refused = (pattern: RegExp, out = path.join(t.dir, 'out')) => {
    assert.throws(
      () => convertCheckpoint(ck, out, INT4),
      (e: Error) => e instanceof ConvertError && pattern.test(e.message),
    );
    assert.deepEqual(
      fs.readdirSync(t.dir).filter((f) => f !== 'ck' && f !== path.basename(out)),
      [],
      'no partial folder is left beside the target',
    );
  };

  for (const precision of ['float32', 'float16', 'int8', 'int4'] as const) {
    it(`builds a ${precision} folder that the engine loads and fills with`, async () => {
      const out = path.join(t.dir, 'out');
      const doc = convertCheckpoint(ck, out, { ...INT4, precision });
      assert.equal(doc.logitsShifted, true);
      assert.deepEqual(fs.readdirSync(out).sort(), ['model.json', 'model.onnx', 'model.onnx.data', 'tokenizer.json']);
      const model = await loadModelFolder(out);
      try {
        const { drafts, result } = await collect(
          new LocalEngine(model).infill({ text: 'def f(x):\n    return ', holes: [{ start: 21, end: 21 }] }, { steps: 4 }),
        );
        assert.ok(drafts.length >= 1);
        assert.ok(result.text.startsWith('def f(x):\n    return '));
        assert.equal(result.holes.length, 1);
      } finally {
        await model.network.dispose();
      }
    });
  }

  it('the CLI converts with nothing but node: no PATH, no Python', () => {
    const out = path.join(t.dir, 'out');
    const r = spawnSync(process.execPath, [CLI, 'models', 'convert', ck, out], { env: { PATH: '' }, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /wrote .*out in [\d.]+ s: dream, int4, vocab 300, mask 257, eos 256, pad 258/);
    assert.equal(JSON.parse(fs.readFileSync(path.join(out, 'model.json'), 'utf8')).precision, 'int4');
  });

  it('refuses a truncated shard, naming the file and tensor, and leaves nothing', () => {
    const shard = path.join(ck, 'model-00002-of-00002.safetensors');
    fs.truncateSync(shard, fs.statSync(shard).size - 10);
    refused(/model-00002-of-00002\.safetensors: model\.norm\.weight ends at byte \d+ of the data, but the file holds \d+: the shard is truncated/);
  });

  it('refuses a shard whose header says more bytes than the file has', () => {
    const shard = path.join(ck, 'model-00002-of-00002.safetensors');
    const bytes = fs.readFileSync(shard);
    bytes.writeBigUInt64LE(BigInt(bytes.length), 0);
    fs.writeFileSync(shard, bytes);
    refused(/model-00002-of-00002\.safetensors: its header says \d+ bytes, but the file has \d+/);
  });

  it('refuses a missing tensor and a tensor of the wrong shape, naming them', () => {
    const shard = path.join(ck, 'model-00002-of-00002.safetensors');
    writeSafetensors(shard, { 'model.embed_tokens.weight': { dtype: 'F32', shape: [300, 16], values: randomValues(300 * 16, 5) } });
    refused(
      /missing: model\.norm\.weight.*wrong shapes: model\.embed_tokens\.weight \[300,16\] in model-00002-of-00002\.safetensors \(config\.json says \[300,32\]\)/,
    );
  });

  it('refuses an unknown dtype, naming the tensor', () => {
    const shard = path.join(ck, 'model-00002-of-00002.safetensors');
    writeSafetensors(shard, {
      'model.embed_tokens.weight': { dtype: 'F32', shape: [300, 32], values: randomValues(300 * 32, 5) },
      'model.norm.weight': { dtype: 'F32', shape: [32], values: randomValues(32, 6) },
    });
    const bytes = fs.readFileSync(shard);
    fs.writeFileSync(shard, Buffer.from(bytes.toString('latin1').replace('"dtype":"F32","shape":[32]', '"dtype":"I8" ,"shape":[32]'), 'latin1'));
    refused(/model\.norm\.weight has dtype I8; a weight must be F32, F16 or BF16/);
  });

  it('a disk that fills mid-write: the error names the file and tensor, and the folder it replaced stays as it was', () => {
    const out = path.join(t.dir, 'out');
    convertCheckpoint(ck, out, INT4);
    const before = Object.fromEntries(fs.readdirSync(out).map((f) => [f, fs.readFileSync(path.join(out, f))]));
    // The module object itself: `import * as fs` gives a view whose members cannot be replaced.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const nodeFs = require('node:fs') as { writeSync: unknown };
    const writeSync = fs.writeSync;
    let written = 0;
    nodeFs.writeSync = (fd: number, buf: Uint8Array, ...rest: unknown[]) => {
      written += buf.length;
      if (written > 3000) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      return (writeSync as (...a: unknown[]) => number)(fd, buf, ...rest);
    };
    try {
      assert.throws(
        () => convertCheckpoint(ck, out, { ...INT4, overwrite: true }),
        (e: Error) => e instanceof ConvertError && /writing model\.\S+ to .*out\.partial-\d+\/model\.onnx\.data: ENOSPC/.test(e.message),
      );
    } finally {
      nodeFs.writeSync = writeSync;
    }
    for (const [f, bytes] of Object.entries(before)) assert.ok(fs.readFileSync(path.join(out, f)).equals(bytes), `${f} is as it was`);
    assert.deepEqual(fs.readdirSync(t.dir).sort(), ['ck', 'out']);
  });

  it('will not write into a folder that holds something, unless told to replace it', () => {
    const out = path.join(t.dir, 'out');
    fs.mkdirSync(out);
    fs.writeFileSync(path.join(out, 'notes.txt'), 'mine');
    refused(/out already exists and is not empty: choose another folder, or --overwrite/, out);
    assert.equal(fs.readFileSync(path.join(out, 'notes.txt'), 'utf8'), 'mine');
  });
});
