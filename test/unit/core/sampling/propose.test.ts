import * as assert from 'node:assert/strict';
import { proposeDream } from '../../../../src/core/sampling/propose';
import { seededRng } from '../../../../src/core/sampling/rng';
import { sampler } from '../../support/scripted';

/** Dream's filters, transcribed naively: a full sort of the vocabulary every time. */
function naiveFiltered(row: number[], temperature: number, topP: number, topK: number): number[] {
  let logits = row.map((x) => (temperature > 0 ? x / temperature : x));
  if (topP < 1) {
    const order = logits.map((_, i) => i).sort((a, b) => logits[b] - logits[a] || a - b);
    const probs = softmax(order.map((i) => logits[i]));
    const remove = new Set<number>();
    let cumulative = 0;
    order.forEach((v, r) => {
      if (cumulative > topP) remove.add(v);
      cumulative += probs[r];
    });
    logits = logits.map((x, v) => (remove.has(v) ? -Infinity : x));
  }
  if (topK > 0) {
    const kth = [...logits].sort((a, b) => b - a)[topK - 1];
    logits = logits.map((x) => (x < kth ? -Infinity : x));
  }
  return softmax(logits);
}

function softmax(x: number[]): number[] {
  const m = Math.max(...x);
  const e = x.map((v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

describe('Dream sampling filters (temperature, top-p, top-k)', () => {
  const rng = seededRng(5);
  const rows = {
    peaked: Array.from({ length: 3000 }, (_, v) => (v === 17 ? 12 : v === 40 ? 10 : rng() * 2)),
    flat: Array.from({ length: 3000 }, () => rng() * 0.01),
    spread: Array.from({ length: 3000 }, () => rng() * 8),
  };
  for (const [shape, row] of Object.entries(rows)) {
    for (const [temperature, topP, topK] of [
      [0, 0.95, 0],
      [0.7, 0.95, 0],
      [0.4, 0.5, 0],
      [1, 1, 5],
      [0.7, 0.9, 50],
    ]) {
      it(`${shape} row, temperature ${temperature}, top-p ${topP}, top-k ${topK}: the same distribution as a full sort`, () => {
        const expected = naiveFiltered(row, temperature, topP, topK);
        const entropy = expected.reduce((a, p) => a + p * Math.log(p + 1e-10), 0);
        const got = proposeDream(Float32Array.from(row), 'entropy', sampler({ temperature, topP, topK }), seededRng(1));
        assert.ok(Math.abs(got.score - entropy) < 1e-6, `entropy ${got.score} vs ${entropy}`);
        assert.ok(Math.abs(got.prob - expected[got.token]) < 1e-6);
        assert.ok(expected[got.token] > 0, 'the drawn token survives the filters');
        if (temperature === 0) assert.equal(got.token, expected.indexOf(Math.max(...expected)));
      });
    }
  }
});
