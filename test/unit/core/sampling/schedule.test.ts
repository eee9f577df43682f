import * as assert from 'node:assert/strict';
import { denoise, Step } from '../../../../src/core/sampling/denoise';
import { dreamCount, lladaCounts } from '../../../../src/core/sampling/schedule';
import { ScriptedModel, pseudoNetwork, sampler } from '../../support/scripted';
import { SamplerSettings } from '../../../../src/core/options';

const MASK = 99;

async function run(masks: number, settings: SamplerSettings, options: { context?: number; shifted?: boolean; vocab?: number } = {}) {
  const context = options.context ?? 4;
  const ids = new Int32Array(context + masks).fill(1);
  const masked = Array.from({ length: masks }, (_, k) => context + k);
  masked.forEach((p) => (ids[p] = MASK));
  const network = new ScriptedModel(options.vocab ?? 32, pseudoNetwork(options.vocab ?? 32));
  const steps: Step[] = [];
  for await (const step of denoise({ network, ids, masked, shifted: options.shifted ?? true, maskTokenId: MASK, sampler: sampler(settings) })) {
    steps.push(step);
  }
  return { steps, network, ids, masked };
}

describe('step schedules', () => {
  it('Dream commits floor(masked * (1 - s/t)) a step on linspace(1, eps, steps + 1), the rest at the last step', async () => {
    // Worked by hand: 10 masks over 4 steps.
    assert.deepEqual(
      [0, 1, 2].map((i, _, __, left = [10, 8, 6][i]) => dreamCount(i, 4, left)),
      [2, 2, 2],
    );
    assert.equal(dreamCount(3, 4, 4), 4);
    const { steps } = await run(10, { alg: 'maskgit_plus', steps: 4 });
    assert.deepEqual(
      steps.map((s) => s.commits.length),
      [2, 2, 2, 4],
    );
    assert.ok(steps.every((s) => s.steps === 4));
  });

  it('LLaDA splits the masks evenly over the steps, the remainder to the first steps', async () => {
    assert.deepEqual(lladaCounts(10, 4), [3, 3, 2, 2]);
    const { steps } = await run(10, { alg: 'low_confidence', steps: 4 });
    assert.deepEqual(
      steps.map((s) => s.commits.length),
      [3, 3, 2, 2],
    );
  });

  it('runs no forward for a step that would commit nothing', async () => {
    // 3 masks over 8 Dream steps: early steps round down to zero commits.
    const { steps, network } = await run(3, { alg: 'entropy', steps: 8 });
    assert.equal(
      steps.reduce((a, s) => a + s.commits.length, 0),
      3,
    );
    assert.equal(network.calls.length, steps.length);
    assert.ok(steps.every((s) => s.commits.length > 0));
  });

  it('with blocks, never commits outside the current block and gives each block an even share of steps', async () => {
    const { steps, masked } = await run(12, { alg: 'low_confidence', steps: 6, blockLength: 4 });
    assert.deepEqual(
      steps.map((s) => s.commits.length),
      [2, 2, 2, 2, 2, 2],
    );
    steps.forEach((s, i) => {
      const block = masked.slice(Math.floor(i / 2) * 4, Math.floor(i / 2) * 4 + 4);
      for (const c of s.commits) assert.ok(block.includes(c.pos), `step ${i + 1} committed ${c.pos} outside block ${block}`);
    });
  });

  it('blocks also bound the logits asked for: only the current block is scored, blocks in order', async () => {
    const { network, masked } = await run(8, { alg: 'entropy', steps: 8, blockLength: 4 }, { shifted: false });
    const blockOf = (r: number) => Math.floor(masked.indexOf(r) / 4);
    const blocks = network.calls.map((rows) => {
      assert.ok(
        rows.every((r) => masked.includes(r) && blockOf(r) === blockOf(rows[0])),
        `rows ${rows} span blocks`,
      );
      return blockOf(rows[0]);
    });
    assert.deepEqual(blocks, [...blocks].sort());
    assert.deepEqual(new Set(blocks), new Set([0, 1]));
  });

  it('a shifted (Dream) model reads the row before each masked position; an unshifted (LLaDA) one the row itself', async () => {
    const shifted = await run(3, { alg: 'entropy', steps: 1 }, { shifted: true });
    assert.deepEqual(
      shifted.network.calls[0],
      shifted.masked.map((p) => p - 1),
    );
    const plain = await run(3, { alg: 'entropy', steps: 1 }, { shifted: false });
    assert.deepEqual(plain.network.calls[0], plain.masked);
  });

  it('fills every mask, and the same seed gives the same canvas at temperature > 0', async () => {
    const a = await run(9, { alg: 'entropy', steps: 3, temperature: 1, seed: 7 });
    const b = await run(9, { alg: 'entropy', steps: 3, temperature: 1, seed: 7 });
    const c = await run(9, { alg: 'entropy', steps: 3, temperature: 1, seed: 8 });
    assert.ok(!a.ids.includes(MASK));
    assert.deepEqual(a.ids, b.ids);
    assert.notDeepEqual(a.ids, c.ids);
  });
});
