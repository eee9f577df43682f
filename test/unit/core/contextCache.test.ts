import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { ALGS, Alg, LocalEngine, parseMarkers, readModelConfig, resolveSampler } from '../../../src/core';
import { LoadedModel } from '../../../src/core/modelFolder';
import { OnnxLogitsModel } from '../../../src/core/onnxModel';
import { Proposal, proposeFromLogits, ProposeRequest } from '../../../src/core/sampling/propose';
import { loadTokenizer } from '../../../src/core/tokenizer';
import { collect } from '../support/events';
import { TINY_MODEL as TINY } from '../support/fixtures';

const MASK = 256;

/** A canvas of text with masks at 20..29. */
const canvas = () => Int32Array.from({ length: 48 }, (_, i) => (i >= 20 && i < 30 ? MASK : 97 + (i % 23)));

function request(alg: Alg, positions: number[], cache?: ProposeRequest['cache'], temperature = 0): ProposeRequest {
  return { sampler: resolveSampler({ alg, temperature, seed: 3 }), queries: positions.map((p) => ({ row: p - 1, allowed: null, seed: p })), cache };
}

const close = (a: Proposal[], b: Proposal[]) => {
  assert.deepEqual(
    a.map((p) => p.token),
    b.map((p) => p.token),
  );
  a.forEach((p, i) => {
    assert.ok(Math.abs(p.prob - b[i].prob) < 1e-5, `prob ${p.prob} vs ${b[i].prob}`);
    assert.ok(Math.abs(p.score - b[i].score) < 1e-4, `score ${p.score} vs ${b[i].score}`);
  });
};

describe('context cache and deciding in the graph (tiny model)', () => {
  let model: OnnxLogitsModel;
  const sampleHere = async (logits: Float32Array, r: ProposeRequest) => proposeFromLogits(logits, 260, r);
  before(async () => (model = await OnnxLogitsModel.load(TINY, readModelConfig(TINY))));
  after(() => model.dispose());

  it('decides at temperature 0 as the sampler does on the same logits, for every algorithm', async () => {
    const ids = canvas();
    const positions = [20, 21, 25, 29];
    for (const alg of ALGS) {
      const logits = await model.logits(
        ids,
        positions.map((p) => p - 1),
      );
      const sampled = proposeFromLogits(logits, 260, request(alg, positions));
      let called = 0;
      const [decided] = await model.proposeBatch([ids], [request(alg, positions)], async (l, r) => (called++, sampleHere(l, r)));
      assert.equal(called, 0, `${alg}: the logits were not read`);
      close(decided, sampled);
    }
  });

  it('samples from the logits with a temperature or a narrowed row', async () => {
    const ids = canvas();
    let called = 0;
    const count = async (l: Float32Array, r: ProposeRequest) => (called++, sampleHere(l, r));
    await model.proposeBatch([ids], [request('entropy', [20, 21], undefined, 0.7)], count);
    const narrowed = request('entropy', [20, 21]);
    narrowed.queries[0].allowed = new Uint8Array(260).fill(1);
    await model.proposeBatch([ids], [narrowed], count);
    assert.equal(called, 2);
  });

  it('a step over the cache gives what a full pass gives while the canvas is unchanged, batched beside a full pass', async () => {
    const span = Array.from({ length: 11 }, (_, i) => 19 + i);
    const a = canvas();
    const b = canvas().fill(98, 0, 10);
    const before = { ...model.passes };
    await model.proposeBatch([a], [request('entropy', [20, 22], { id: 101, span, refresh: true })], sampleHere);
    const [cached, full] = await model.proposeBatch(
      [a, b],
      [request('entropy', [21, 22, 29], { id: 101, span, refresh: false }), request('entropy', [21, 22, 29])],
      sampleHere,
    );
    model.forget(101);
    assert.deepEqual({ full: model.passes.full - before.full, cached: model.passes.cached - before.cached }, { full: 2, cached: 1 });
    const [fresh] = await model.proposeBatch([a], [request('entropy', [21, 22, 29])], sampleHere);
    close(cached, fresh);
    assert.notDeepEqual(
      full.map((p) => p.prob),
      fresh.map((p) => p.prob),
      'the other canvas is its own',
    );
  });

  it('a token committed in the span is seen by the next cached step', async () => {
    const span = Array.from({ length: 11 }, (_, i) => 19 + i);
    const ids = canvas();
    const [first] = await model.proposeBatch([ids], [request('entropy', [21], { id: 103, span, refresh: true })], sampleHere);
    ids[20] = 100;
    const [cached] = await model.proposeBatch([ids], [request('entropy', [21], { id: 103, span, refresh: false })], sampleHere);
    model.forget(103);
    const [fresh] = await model.proposeBatch([ids], [request('entropy', [21])], sampleHere);
    assert.notEqual(cached[0].prob, first[0].prob);
    // Only the context's keys and values are stale (they saw the mask at 20): close to the full pass, not equal.
    assert.ok(Math.abs(cached[0].prob - fresh[0].prob) < 0.05 * fresh[0].prob);
  });

  it('a changed span, or a row outside it, gets a full pass', async () => {
    const ids = canvas();
    const span = [19, 20, 21];
    await model.proposeBatch([ids], [request('entropy', [20], { id: 102, span, refresh: true })], sampleHere);
    const full = model.passes.full;
    await model.proposeBatch([ids], [request('entropy', [20, 25], { id: 102, span, refresh: false })], sampleHere);
    await model.proposeBatch([ids], [request('entropy', [20], { id: 102, span: [19, 20], refresh: false })], sampleHere);
    assert.equal(model.passes.full, full + 2);
    model.forget(102);
  });

  it('a generation refreshes the cache every cacheRefresh steps, runs the rest over it, and forgets it at the end', async () => {
    const config = readModelConfig(TINY);
    const network = {
      vocabSize: 260,
      logits: (ids: Int32Array, rows: number[]) => model.logits(ids, rows),
      propose: async (ids: Int32Array, r: ProposeRequest) => (await model.proposeBatch([ids], [r], sampleHere))[0],
      forget: (id: number) => model.forget(id),
      dispose: async () => undefined,
    };
    const loaded: LoadedModel = { dir: TINY, config, tokenizer: loadTokenizer(path.join(TINY, 'tokenizer.json')), network, executionProvider: 'cpu' };
    const engine = new LocalEngine(loaded);
    const run = async (cacheRefresh: number) => {
      const before = { ...model.passes };
      const out = await collect(engine.infill(parseMarkers('def add(a, b):\n    return <|hole:12|>\n'), { steps: 12, cacheRefresh }));
      return { out, full: model.passes.full - before.full, cached: model.passes.cached - before.cached };
    };
    const every4 = await run(4);
    assert.deepEqual([every4.full, every4.cached], [3, 9]);
    assert.equal(model.cachedGenerations, 0);
    const off = await run(1);
    assert.deepEqual([off.full, off.cached], [12, 0]);
  });
});
