import * as assert from 'node:assert/strict';
import { LocalEngine, loadModelFolder, LoadedModel, parseMarkers, readModelConfig, resolveSampler } from '../../../src/core';
import { OnnxLogitsModel } from '../../../src/core/onnxModel';
import { BatchLogitsModel, Proposal, ProposeRequest } from '../../../src/core/logitsModel';
import { candidateLengths, HALVING, meanLogProbability, searchedHole } from '../../../src/core/lengthSearch';
import { proposeFromLogits } from '../../../src/core/sampling/propose';
import { collect } from '../support/events';
import { TINY_MODEL } from '../support/fixtures';
import { ScriptedModel } from '../support/scripted';

/** A scripted network that also answers batches, each batch recorded: a forward shared by its canvases. */
class ScriptedBatchModel extends ScriptedModel implements BatchLogitsModel {
  readonly batches: Int32Array[][] = [];

  /** As a network that keeps a context cache: the search then reads the context once first. */
  forget(): void {}

  async logitsBatch(batch: Int32Array[], rows: number[][]): Promise<Float32Array[]> {
    this.batches.push(batch.map((ids) => Int32Array.from(ids)));
    return Promise.all(batch.map((ids, i) => this.logits(ids, rows[i])));
  }

  async propose(ids: Int32Array, request: ProposeRequest): Promise<Proposal[]> {
    return (await this.proposeBatch([ids], [request]))[0];
  }

  async proposeBatch(batch: Int32Array[], requests: ProposeRequest[]): Promise<Proposal[][]> {
    const logits = await this.logitsBatch(
      batch,
      requests.map((r) => [...new Set(r.queries.map((q) => q.row))]),
    );
    return requests.map((r, i) => proposeFromLogits(logits[i], this.vocabSize, r));
  }
}

describe('length search', () => {
  let tiny: LoadedModel;
  before(async () => {
    tiny = await loadModelFolder(TINY_MODEL);
  });

  const BEFORE = 'value = ';
  const AFTER = '\nprint(value)\n';

  /**
   * A network that knows the fill is `want` and is sure of it only in a hole of exactly its
   * length; in a hole of any other length it hesitates between `x` and `y` (and ends, past the
   * wanted length).  Shifted, as a Dream model: row p - 1 predicts position p.
   */
  async function prefersLength(want: string): Promise<{ model: LoadedModel; network: ScriptedBatchModel; length: number }> {
    const { tokenizer, config } = tiny;
    const fill = await tokenizer.encode(want);
    const [head, tail] = [(await tokenizer.encode(BEFORE)).length, (await tokenizer.encode(AFTER)).length];
    const [x, y] = [(await tokenizer.encode('x'))[0], (await tokenizer.encode('y'))[0]];
    const network = new ScriptedBatchModel(config.vocabSize, (ids, index) => {
      const row = Array(config.vocabSize).fill(0);
      const offset = index + 1 - head;
      const length = ids.length - head - tail;
      if (offset < 0 || offset >= length) return row;
      if (length === fill.length) row[fill[offset]] = 9;
      else if (offset < fill.length) {
        row[x] = 2;
        row[y] = 1.5;
      } else row[config.eosTokenId] = 3;
      return row;
    });
    return { model: { ...tiny, network }, network, length: fill.length };
  }

  const request = () => parseMarkers(`${BEFORE}<|hole|>${AFTER}`);
  const options = { tokenHealing: false, steps: 64, threshold: null, defaultHoleTokens: 32 };

  it('finds the length a scripted model prefers, where the fixed hole writes what it hesitates over', async () => {
    const { model, length } = await prefersLength('alpha(b)');
    assert.ok(candidateLengths(32).includes(length), `the grid ${candidateLengths(32)} has the wanted length ${length}`);
    const searched = await collect(new LocalEngine(model).infill(request(), { ...options, lengthSearch: true }));
    assert.equal(searched.result.holes[0].text, 'alpha(b)');
    assert.equal(searched.result.stats.maskedTokens, length);
    const fixed = await collect(new LocalEngine(model).infill(request(), { ...options, lengthSearch: false }));
    assert.notEqual(fixed.result.holes[0].text, 'alpha(b)');
  });

  it('runs every live candidate in one forward a round, the context after the hole moved by the length difference', async () => {
    const { model, network } = await prefersLength('alpha(b)');
    const lengths = candidateLengths(32);
    await collect(new LocalEngine(model).infill(request(), { ...options, lengthSearch: true }));
    const [alone, first, ...rest] = network.batches;
    assert.equal(alone.length, 1, "the longest candidate's first step first, alone: its pass is the others' context");
    assert.equal(first.length, lengths.length, 'then every candidate in one batch');
    const suffix = Array.from(alone[0].slice(-(await tiny.tokenizer.encode(AFTER)).length));
    for (const [i, canvas] of first.entries()) {
      assert.equal(canvas.length, alone[0].length - 32 + lengths[i]);
      assert.deepEqual(Array.from(canvas.slice(-suffix.length)), suffix);
    }
    const sizes = [first.length, ...rest.map((b) => b.length)];
    assert.deepEqual(
      sizes,
      [...sizes].sort((a, b) => b - a),
      `the losers stop, never to come back: ${sizes}`,
    );
    assert.ok(sizes.at(-1)! < lengths.length);
  });

  it('searches only a lone cursor hole of unknown length', () => {
    assert.equal(searchedHole([{ start: 3, end: 3 }], [32]), 0);
    assert.equal(
      searchedHole(
        [
          { start: 3, end: 3, tokens: 5 },
          { start: 9, end: 9 },
        ],
        [5, 32],
      ),
      1,
    );
    assert.equal(
      searchedHole(
        [
          { start: 3, end: 3 },
          { start: 9, end: 9 },
        ],
        [32, 32],
      ),
      -1,
      'two unknown',
    );
    assert.equal(searchedHole([{ start: 3, end: 7 }], [12]), -1, 'a selection keeps its length');
    assert.equal(searchedHole([{ start: 3, end: 3 }], [2]), -1, 'nothing shorter to try');
  });

  it('halves the candidates by their mean log-probability from the second round', () => {
    const candidate = (length: number, logps: number[], end: number | null = null) => ({
      length,
      committed: new Map(logps.map((l, i) => [i, l])),
      end,
      masked: 0,
      finished: false,
    });
    const live = [candidate(2, [-0.1, -0.2], 1), candidate(5, [-1, -1]), candidate(8, [-0.5]), candidate(12, [-3])];
    assert.deepEqual(HALVING.stop(1, live), []);
    // Means -0.15, -1, -0.5, -3: the two below the better half stop.
    assert.deepEqual(
      HALVING.stop(2, live)
        .map((c) => c.length)
        .sort((a, b) => a - b),
      [5, 12],
    );
    // Past its end, what a hole holds is the rules' padding: not the model's.
    assert.equal(meanLogProbability(candidate(9, [-1, -1, -5], 1)), -1);
  });

  it('lays out a geometric grid of lengths up to the usual one', () => {
    assert.deepEqual(candidateLengths(32), [2, 3, 5, 8, 12, 18, 27, 32]);
    assert.deepEqual(candidateLengths(3), [2, 3]);
  });

  it('on the ONNX model, runs canvases of several hole lengths over one earlier pass in one forward, each close to its own full pass', async () => {
    const model = await OnnxLogitsModel.load(TINY_MODEL, readModelConfig(TINY_MODEL));
    try {
      const MASK = 256;
      const text = (t: string) => Array.from(Buffer.from(t));
      const [before, after] = [
        text('function area(r) {\n  const pi = 3.14159;\n  return '),
        text(';\n}\n\nfunction perimeter(r) {\n  return 2 * pi * r;\n}\n'),
      ];
      const canvas = (holeLength: number) => Int32Array.from([...before, ...Array(holeLength).fill(MASK), ...after]);
      const request = (holeLength: number, cache?: ProposeRequest['cache']): ProposeRequest => {
        const hole = Array.from({ length: holeLength }, (_, k) => before.length + k);
        return {
          sampler: resolveSampler({ alg: 'entropy' }),
          queries: hole.map((p) => ({ row: p - 1, allowed: null, seed: p })),
          cache: cache && { ...cache, span: [before.length - 1, ...hole] },
        };
      };
      await model.proposeBatch([canvas(8)], [request(8, { id: 1, span: [], refresh: true, reuse: 'file.js' })]);
      const lengths = [3, 5, 8];
      const passes = { ...model.passes };
      const together = await model.proposeBatch(
        lengths.map(canvas),
        lengths.map((l, i) => request(l, { id: 10 + i, span: [], refresh: true, reuse: 'file.js' })),
      );
      assert.deepEqual(
        { full: model.passes.full - passes.full, cached: model.passes.cached - passes.cached, reused: model.passes.reused - passes.reused },
        { full: 0, cached: 1, reused: 3 },
        'one forward over the earlier pass for all three',
      );
      for (const [i, l] of lengths.entries()) {
        const [alone] = await model.proposeBatch([canvas(l)], [request(l)]);
        together[i].forEach((p, k) => assert.ok(Math.abs(p.prob - alone[k].prob) < 0.1, `length ${l}, position ${k}: ${p.prob} vs ${alone[k].prob}`));
      }
      for (const id of [1, 10, 11, 12]) model.forget(id);
    } finally {
      await model.dispose();
    }
  });
});
