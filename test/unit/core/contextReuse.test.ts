import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import { readModelConfig, resolveSampler } from '../../../src/core';
import { matchCanvases, planReuse } from '../../../src/core/contextReuse';
import { OnnxLogitsModel } from '../../../src/core/onnxModel';
import { proposeFromLogits } from '../../../src/core/sampling/propose';
import { Proposal, ProposeRequest } from '../../../src/core/logitsModel';
import { TINY_MODEL as TINY } from '../support/fixtures';

const MASK = 256;
const text = (s: string) => Int32Array.from(Buffer.from(s));
const join = (...parts: (Int32Array | number[])[]) => Int32Array.from(parts.flatMap((p) => [...p]));
const masks = (n: number) => new Array<number>(n).fill(MASK);

describe('matchCanvases: where an earlier canvas has the same tokens', () => {
  it('matches an unchanged canvas position for position', () => {
    const a = text('def f(x):\n    return x + 1\n');
    assert.deepEqual([...matchCanvases(a, a)], [...a.keys()]);
  });

  it('follows the tokens after a character typed before them, and after lines dropped at the start of the window', () => {
    const head = text('import os\nimport sys\n');
    const body = text('def walk(root):\n    for name in os.listdir(root):\n        ');
    const tail = text('\n    return None\n');
    const old = join([1], head, body, masks(8), tail);
    const now = join([1], body, text('p'), masks(8), tail);
    const from = matchCanvases(old, now);
    assert.equal(from[0], 0, 'the BOS');
    for (let j = 1; j <= body.length; j++) assert.equal(from[j], j + head.length, `body ${j}`);
    assert.equal(from[body.length + 1], -1, 'the typed character');
    const tailAt = now.length - tail.length;
    for (let j = tailAt; j < now.length; j++) assert.equal(from[j], j - 1 + head.length, `tail ${j}`);
  });

  it('starts no run after a difference without an anchor of agreeing tokens', () => {
    const old = text('abcdefghijklmnopqrstuvwxyz');
    const now = text('abcdeXYZ_jklm');
    const from = matchCanvases(old, now);
    assert.deepEqual([...from.subarray(0, 5)], [0, 1, 2, 3, 4]);
    assert.ok(
      [...from.subarray(5)].every((i) => i === -1),
      'jklm agree but are fewer than the anchor',
    );
    assert.ok(matchCanvases(text('0123456789'), text('abcdefghij')).every((i) => i === -1));
  });
});

describe('context reuse (tiny model)', () => {
  const config = readModelConfig(TINY);
  const layout = { kvHeads: 2, headDim: 8, ropeTheta: config.onnx.cache!.ropeTheta! };
  let model: OnnxLogitsModel;
  let session: ort.InferenceSession;
  before(async () => {
    model = await OnnxLogitsModel.load(TINY, config);
    session = await ort.InferenceSession.create(path.join(TINY, 'model.onnx'));
  });
  after(async () => {
    await model.dispose();
    await session.release();
  });

  /** A full pass's keys and values, per layer [kvHeads, n, headDim], with its canvas. */
  async function fullPass(ids: Int32Array) {
    const n = ids.length;
    const feeds: Record<string, ort.Tensor> = {
      input_ids: new ort.Tensor('int64', BigInt64Array.from(ids, BigInt), [1, n]),
      attention_mask: new ort.Tensor('int64', new BigInt64Array(n).fill(1n), [1, n]),
      position_ids: new ort.Tensor('int64', BigInt64Array.from(ids.keys(), BigInt), [1, n]),
      logit_positions: new ort.Tensor('int64', new BigInt64Array([0n]), [1, 1]),
    };
    for (let l = 0; l < 2; l++) for (const kind of ['key', 'value']) feeds[`past_${kind}.${l}`] = new ort.Tensor('float32', new Float32Array(0), [1, 2, 0, 8]);
    const out = await session.run(feeds);
    const layer = (kind: string) => [0, 1].map((l) => out[`present_${kind}.${l}`].data as Float32Array);
    return { ids, past: { keys: layer('key'), values: layer('value'), length: n } };
  }

  it("moves a key to another position as the rotary embedding would have put it there (the first layer's keys depend on nothing else)", async () => {
    const old = text('class Stack:\n    def push(self, item):\n        self.items.append(item)\n');
    const now = join(text('# moved\n'), old);
    const source = await fullPass(old);
    const plan = planReuse(source, now, [], layout, (n) => new Float32Array(n))!;
    assert.deepEqual(
      [...plan.from],
      [...now.keys()].map((p) => (p < 8 ? -1 : p - 8)),
    );
    assert.deepEqual(plan.run, [0, 1, 2, 3, 4, 5, 6, 7]);
    assert.deepEqual(plan.hidden, []);
    const fresh = await fullPass(now);
    plan.from.forEach((i, p) => {
      if (i < 0) return;
      for (let h = 0; h < 2; h++) {
        for (let d = 0; d < 8; d++) {
          const got = plan.past.keys[0][(h * old.length + i) * 8 + d];
          const want = fresh.past.keys[0][(h * now.length + p) * 8 + d];
          assert.ok(Math.abs(got - want) < 1e-4, `key at ${p}, head ${h}, dim ${d}: ${got} vs ${want}`);
        }
      }
    });
    assert.equal(plan.past.values, source.past.values, 'values do not move');
  });

  const sampleHere = async (logits: Float32Array, r: ProposeRequest) => proposeFromLogits(logits, 260, r);
  const request = (positions: number[], cache?: ProposeRequest['cache']): ProposeRequest => ({
    sampler: resolveSampler({ alg: 'entropy', seed: 3 }),
    queries: positions.map((p) => ({ row: p - 1, allowed: null, seed: p })),
    cache,
  });
  const close = (a: Proposal[], b: Proposal[], tolerance: number) => {
    assert.deepEqual(
      a.map((p) => p.token),
      b.map((p) => p.token),
    );
    a.forEach((p, i) => assert.ok(Math.abs(p.prob - b[i].prob) < tolerance, `prob ${p.prob} vs ${b[i].prob}`));
  };
  const prefix = text('function area(r) {\n  const pi = 3.14159;\n  return ');
  const suffix = text(';\n}\n\nfunction perimeter(r) {\n  return 2 * pi * r;\n}\n');
  const holeOf = (ids: Int32Array, at: number) => Array.from({ length: 6 }, (_, k) => at + k).filter((p) => ids[p] === MASK);
  const spanOf = (hole: number[]) => [hole[0] - 1, ...hole];

  it("runs a request's first pass over an earlier canvas of the same file, and its steps over the cache it leaves", async () => {
    const old = join(prefix, masks(6), suffix);
    const oldHole = holeOf(old, prefix.length);
    await model.proposeBatch([old], [request(oldHole, { id: 201, span: spanOf(oldHole), refresh: true, reuse: 'file.js' })], sampleHere);
    model.forget(201);

    // The same canvas again: nothing is stale, so the first pass runs the span alone and gives the full pass's answer.
    const before = { ...model.passes };
    const [again] = await model.proposeBatch([old], [request(oldHole, { id: 202, span: spanOf(oldHole), refresh: true, reuse: 'file.js' })], sampleHere);
    assert.deepEqual({ full: model.passes.full - before.full, reused: model.passes.reused - before.reused }, { full: 0, reused: 1 });
    const [full] = await model.proposeBatch([old], [request(oldHole)], sampleHere);
    close(again, full, 1e-5);
    model.forget(202);

    // A digit typed on the line above the hole: what follows it moved by one position, and that
    // line's tokens after the digit run again beside the hole's.
    const edited = text('function area(r) {\n  const pi = 3.141593;\n  return ');
    const now = join(edited, masks(6), suffix);
    const hole = holeOf(now, edited.length);
    const [first] = await model.proposeBatch([now], [request(hole, { id: 203, span: spanOf(hole), refresh: true, reuse: 'file.js' })], sampleHere);
    assert.equal(model.passes.reused - before.reused, 2);
    // The step after it, over the cache the pass left (no token committed): the same keys and values, so the same answer.
    const [step] = await model.proposeBatch([now], [request(hole, { id: 203, span: spanOf(hole), refresh: false })], sampleHere);
    close(step, first, 1e-5);
    // Against a full pass over the new canvas: close, not equal (the reused keys saw the earlier canvas).
    const [fresh] = await model.proposeBatch([now], [request(hole)], sampleHere);
    first.forEach((p, i) => assert.ok(Math.abs(p.prob - fresh[i].prob) < 0.1, `prob ${p.prob} vs ${fresh[i].prob}`));
    model.forget(203);
  });

  it('runs a full pass for a canvas that shares too little, or when the request does not ask to reuse', async () => {
    const old = join(prefix, masks(6), suffix);
    const hole = holeOf(old, prefix.length);
    await model.proposeBatch([old], [request(hole, { id: 204, span: spanOf(hole), refresh: true, reuse: 'file.js' })], sampleHere);
    const other = join(text('x = [i * i for i in range(10)]\n'), masks(6), text('\nprint(x)\n'));
    const otherHole = holeOf(other, 30);
    const before = { ...model.passes };
    await model.proposeBatch([other], [request(otherHole, { id: 205, span: spanOf(otherHole), refresh: true, reuse: 'file.js' })], sampleHere);
    await model.proposeBatch([old], [request(hole, { id: 206, span: spanOf(hole), refresh: true })], sampleHere);
    assert.deepEqual({ full: model.passes.full - before.full, reused: model.passes.reused - before.reused }, { full: 2, reused: 0 });
    [204, 205, 206].forEach((id) => model.forget(id));
  });

  it('never reuses keys for a graph that does not state its rotary base', async () => {
    const bare = readModelConfig(TINY);
    delete bare.onnx.cache!.ropeTheta;
    const plain = await OnnxLogitsModel.load(TINY, bare);
    const ids = join(prefix, masks(6), suffix);
    const hole = holeOf(ids, prefix.length);
    for (const id of [1, 2]) await plain.proposeBatch([ids], [request(hole, { id, span: spanOf(hole), refresh: true, reuse: 'file.js' })], sampleHere);
    assert.deepEqual(plain.passes, { full: 2, cached: 0, reused: 0 });
    await plain.dispose();
  });
});
