import * as assert from 'node:assert/strict';
import { resolveSampler } from '../../../src/core';
import { SamplerPool } from '../../../src/core/samplerPool';
import { proposeFromLogits } from '../../../src/core/sampling/propose';
import { ProposeRequest } from '../../../src/core/logitsModel';
import { seededRng } from '../../../src/core/sampling/rng';

const VOCAB = 1000;

function step(rows: number): { logits: Float32Array; request: ProposeRequest } {
  const rng = seededRng(9);
  const logits = Float32Array.from({ length: rows * VOCAB }, () => rng() * 8 - 4);
  const allowed = new Uint8Array(VOCAB);
  allowed[3] = allowed[500] = 1;
  const request: ProposeRequest = {
    sampler: resolveSampler({ alg: 'entropy', temperature: 0.7, topP: 0.9 }),
    queries: Array.from({ length: rows }, (_, k) => ({ row: 10 + k, allowed: k === 4 ? allowed : null, seed: 100 + k })),
  };
  return { logits, request };
}

describe('the sampler pool', () => {
  it('gives, over its threads, the proposals one thread gives', async () => {
    const { logits, request } = step(9);
    const expected = proposeFromLogits(Float32Array.from(logits), VOCAB, request);
    const pool = new SamplerPool(2, 0);
    try {
      const got = await pool.propose(Float32Array.from(logits), VOCAB, request);
      assert.equal(pool.started, 2, 'the rows went to the helper threads');
      assert.deepEqual(got, expected);
      assert.ok([3, 500].includes(got[4].token), 'a restricted position keeps to its allowed tokens');
      // Again, with the threads already running and two steps at once.
      const [a, b] = await Promise.all([pool.propose(Float32Array.from(logits), VOCAB, request), pool.propose(Float32Array.from(logits), VOCAB, request)]);
      assert.deepEqual(a, expected);
      assert.deepEqual(b, expected);
    } finally {
      await pool.dispose();
    }
  });

  it('starts no thread for a step too small to share', async () => {
    const { logits, request } = step(4);
    const pool = new SamplerPool(2);
    const got = await pool.propose(Float32Array.from(logits), VOCAB, request);
    assert.equal(pool.started, 0);
    assert.deepEqual(got, proposeFromLogits(Float32Array.from(logits), VOCAB, request));
    await pool.dispose();
  });
});
