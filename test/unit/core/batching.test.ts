import * as assert from 'node:assert/strict';
import { InfillEvent, LocalEngine, loadModelFolder, LoadedModel, parseMarkers, resolveSampler } from '../../../src/core';
import { ForwardBatcher } from '../../../src/core/batching';
import { BatchLogitsModel, canBatch, ProposeRequest } from '../../../src/core/logitsModel';

import { TINY } from '../support/server';

function maxDiff(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}

function canvas(n: number, seed: number): Int32Array {
  return Int32Array.from({ length: n }, (_, i) => (i * 7 + seed * 13) % 256);
}

/** Counts forwards and the batch sizes they had. */
class CountingModel implements BatchLogitsModel {
  vocabSize = 3;
  sizes: number[] = [];
  async logits(ids: Int32Array, rows: number[]): Promise<Float32Array> {
    this.sizes.push(1);
    return Float32Array.from(rows.flatMap((r) => [ids.length, r, ids[r]]));
  }
  async logitsBatch(batch: Int32Array[], rows: number[][]): Promise<Float32Array[]> {
    this.sizes.push(batch.length);
    return batch.map((ids, b) => Float32Array.from(rows[b].flatMap((r) => [ids.length, r, ids[r]])));
  }
  async dispose(): Promise<void> {}
}

async function collect(gen: AsyncGenerator<InfillEvent>): Promise<InfillEvent[]> {
  const out: InfillEvent[] = [];
  for await (const e of gen) out.push(e);
  return out;
}

describe('batching: one forward for concurrent canvases of the same length', () => {
  let model: LoadedModel;
  before(async () => {
    model = await loadModelFolder(TINY);
  });

  it('the ONNX model batches: each row of a [B, n] forward equals the single forward (within 1e-4), row counts differing', async () => {
    const network = model.network as BatchLogitsModel;
    assert.ok(canBatch(network));
    const canvases = [canvas(40, 1), canvas(40, 2), canvas(40, 3)];
    const rows = [[0, 5, 39], [7], [1, 2, 3, 4, 30]];
    const batched = await network.logitsBatch(canvases, rows);
    for (let b = 0; b < canvases.length; b++) {
      const single = await network.logits(canvases[b], rows[b]);
      assert.equal(batched[b].length, rows[b].length * network.vocabSize);
      assert.ok(maxDiff(batched[b], single) < 1e-4, `canvas ${b} differs by ${maxDiff(batched[b], single)}`);
    }
  });

  it('gathers calls of one tick: same length in one forward, other lengths in their own', async () => {
    const inner = new CountingModel();
    const batcher = new ForwardBatcher(inner);
    const [a, b, c] = await Promise.all([
      batcher.logits(Int32Array.of(5, 6, 7), [0, 2]),
      batcher.logits(Int32Array.of(8, 9, 10), [1]),
      batcher.logits(Int32Array.of(1, 2), [1]),
    ]);
    assert.deepEqual([...a], [3, 0, 5, 3, 2, 7]);
    assert.deepEqual([...b], [3, 1, 9]);
    assert.deepEqual([...c], [2, 1, 2]);
    assert.deepEqual(inner.sizes.sort(), [1, 2]);
    assert.equal(batcher.forwards, 2);
    assert.equal(batcher.calls, 3);
  });

  it('sends proposal calls through the inner proposeBatch, in rounds apart from logits calls', async () => {
    const inner = new CountingModel();
    const proposed: number[] = [];
    const sampling: BatchLogitsModel = Object.assign(inner, {
      proposeBatch: async (batch: Int32Array[], requests: ProposeRequest[]) => {
        proposed.push(batch.length);
        return requests.map((r, b) => r.queries.map((q) => ({ token: batch[b][q.row], prob: 1, score: q.seed })));
      },
    });
    const batcher = new ForwardBatcher(sampling);
    const request = (seed: number): ProposeRequest => ({ sampler: resolveSampler({}), queries: [{ row: 1, allowed: null, seed }] });
    const [a, b, logits] = await Promise.all([
      batcher.propose!(Int32Array.of(5, 6, 7), request(1)),
      batcher.propose!(Int32Array.of(8, 9, 10), request(2)),
      batcher.logits(Int32Array.of(1, 2, 3), [0]),
    ]);
    assert.deepEqual(a, [{ token: 6, prob: 1, score: 1 }]);
    assert.deepEqual(b, [{ token: 9, prob: 1, score: 2 }]);
    assert.deepEqual([...logits], [3, 0, 1]);
    assert.deepEqual(proposed, [2], 'both proposal calls in one forward');
    assert.deepEqual(inner.sizes, [1], 'the logits call in a forward of its own');
  });

  it('a batch larger than maxBatch is split; an error reaches every caller of its forward', async () => {
    const inner = new CountingModel();
    const batcher = new ForwardBatcher(inner, { maxBatch: 2 });
    await Promise.all([1, 2, 3].map((s) => batcher.logits(Int32Array.of(s, s), [0])));
    assert.deepEqual(inner.sizes, [2, 1]);
    inner.logitsBatch = async () => {
      throw new Error('out of memory');
    };
    const results = await Promise.allSettled([batcher.logits(Int32Array.of(1), [0]), batcher.logits(Int32Array.of(2), [0])]);
    assert.deepEqual(
      results.map((r) => r.status === 'rejected' && (r.reason as Error).message),
      ['out of memory', 'out of memory'],
    );
  });

  it('two concurrent generations of the same shape share forwards and give the unbatched results', async () => {
    const request = parseMarkers('def add(a, b):\n    return <|hole:12|>\n');
    const options = { steps: 6 };
    const alone = await collect(new LocalEngine(model).infill(request, options));
    const batcher = new ForwardBatcher(model.network as BatchLogitsModel, { windowMs: 200 });
    assert.ok(batcher.propose, 'the model thread samples the batch where it runs');
    const engine = new LocalEngine({ ...model, network: batcher });
    const [one, two] = await Promise.all([collect(engine.infill(request, options)), collect(engine.infill(request, options))]);
    const text = (events: InfillEvent[]) => events.map((e) => (e.type === 'draft' ? e.holes[0].text : e.text));
    assert.deepEqual(text(one), text(alone));
    assert.deepEqual(text(two), text(alone));
    assert.equal(batcher.calls, 12, 'six forwards each');
    assert.equal(batcher.largestBatch, 2);
    assert.ok(batcher.forwards < batcher.calls, `${batcher.forwards} forwards for ${batcher.calls} calls: none shared`);
  });
});
