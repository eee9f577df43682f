import * as assert from 'node:assert/strict';
import { denoise } from '../../../src/core/sampling/denoise';
import { Alg } from '../../../src/core/options';
import { ScriptedModel, sampler } from '../support/scripted';

const MASK = 9;
/** Logits per masked position, chosen so that the three confidence formulas disagree on the order. */
const ROWS = [
  [3.0, 2.9, 0, 0, 0, 0, 0, 0, 0, 0], // sure of two tokens: high max-p, tiny margin
  [2.0, 0, 0, 0, 0, 0, 0, 0, 0, 0], // one clear token among many
  [1.6, -9, -9, -9, -9, -9, -9, -9, -9, -9], // near-certain
  [2.5, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0], // flat tail
];

function softmax(row: number[]): number[] {
  const m = Math.max(...row);
  const e = row.map((x) => Math.exp(x - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / s);
}

/** The confidence formulas as the Dream paper's code states them. */
const FORMULA: Record<string, (p: number[]) => number> = {
  maskgit_plus: (p) => Math.max(...p),
  topk_margin: (p) => {
    const sorted = [...p].sort((a, b) => b - a);
    return sorted[0] - sorted[1];
  },
  entropy: (p) => p.reduce((a, x) => a + x * Math.log(x + 1e-10), 0),
  low_confidence: (p) => Math.max(...p),
};

async function commitOrder(alg: Alg, rows: number[][], extra = {}): Promise<number[][]> {
  const ids = new Int32Array(rows.length + 1).fill(MASK);
  ids[0] = 0;
  const masked = rows.map((_, k) => k + 1);
  // Unshifted, and rows that ignore the canvas: the order can only come from the formula.
  const network = new ScriptedModel(10, (_ids, index) => rows[index - 1]);
  const order: number[][] = [];
  for await (const step of denoise({ network, ids, masked, shifted: false, maskTokenId: MASK, sampler: sampler({ alg, steps: rows.length, ...extra }) })) {
    order.push(step.commits.map((c) => c.pos - 1));
  }
  return order;
}

describe('confidence: which positions commit first', () => {
  const score = (alg: string, i: number) => FORMULA[alg](softmax(ROWS[i]));
  const expected = (alg: string) => [0, 1, 2, 3].sort((a, b) => score(alg, b) - score(alg, a));
  /** Dream's schedule may commit several positions in a step: within a step, list them surest first. */
  const flatten = (alg: string, steps: number[][]) => steps.flatMap((s) => [...s].sort((a, b) => score(alg, b) - score(alg, a)));

  it('the three Dream formulas give three different orders on these rows (so the tests below mean something)', () => {
    const orders = ['maskgit_plus', 'topk_margin', 'entropy'].map((a) => JSON.stringify(expected(a)));
    assert.equal(new Set(orders).size, 3);
  });

  for (const alg of ['maskgit_plus', 'topk_margin', 'entropy', 'low_confidence'] as Alg[]) {
    it(`${alg} commits the surest positions first, by its formula`, async () => {
      const steps = await commitOrder(alg, ROWS);
      assert.ok(steps.length >= 2, 'the order is only visible over several steps');
      assert.deepEqual(flatten(alg, steps), expected(alg));
    });
  }

  it('random remasking commits every position once, in an order set by the seed', async () => {
    const a = await commitOrder('random', ROWS, { seed: 3 });
    const b = await commitOrder('random', ROWS, { seed: 3 });
    assert.deepEqual(a, b);
    assert.deepEqual(a.flat().sort(), [0, 1, 2, 3]);
  });

  it('origin commits each position independently and fills all by the last step', async () => {
    const order = await commitOrder('origin', ROWS, { seed: 1 });
    assert.deepEqual(order.flat().sort(), [0, 1, 2, 3]);
  });

  it('with a threshold, commits exactly the positions whose token probability reaches it', async () => {
    const probs = ROWS.map((r) => Math.max(...softmax(r)));
    const threshold = 0.6;
    const above = probs.map((p, i) => (p >= threshold ? i : -1)).filter((i) => i >= 0);
    assert.ok(above.length >= 1 && above.length < ROWS.length);
    const order = await commitOrder('maskgit_plus', ROWS, { threshold });
    assert.deepEqual(order[0], above);
  });

  it('with a threshold nobody reaches, still commits the surest position each step', async () => {
    const order = await commitOrder('maskgit_plus', ROWS, { threshold: 1 });
    assert.deepEqual(
      order,
      expected('maskgit_plus').map((i) => [i]),
    );
  });

  it('the token committed is the argmax at temperature 0', async () => {
    const ids = new Int32Array([0, MASK, MASK]);
    const network = new ScriptedModel(10, (_ids, index) => (index === 1 ? [0, 0, 0, 5, 0, 0, 0, 0, 0, 0] : [0, 0, 0, 0, 0, 0, 7, 0, 0, 0]));
    for await (const _ of denoise({ network, ids, masked: [1, 2], shifted: false, maskTokenId: MASK, sampler: sampler({ steps: 2 }) }));
    assert.deepEqual([...ids], [0, 3, 6]);
  });
});
