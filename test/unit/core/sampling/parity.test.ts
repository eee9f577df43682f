import * as assert from 'node:assert/strict';
import { denoise } from '../../../../src/core/sampling/denoise';
import { Alg } from '../../../../src/core/options';
import { ScriptedModel, pseudoNetwork, sampler } from '../../support/scripted';

/*
 * Direct transcriptions, at temperature 0 and without top-p / top-k, of the reference loops:
 * Dream's `_sample` in `generation_utils.py` and LLaDA's `generate` in `generate.py`. They are
 * written to mirror the Python line by line (whole-canvas logits, -inf outside the masks, topk),
 * not to share code with the engine.
 */
type Network = (ids: Int32Array, index: number) => number[];

function softmax(row: number[]): number[] {
  const m = Math.max(...row);
  const e = row.map((x) => Math.exp(x - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / s);
}

function topk(values: number[], k: number): number[] {
  return values
    .map((v, i) => [v, i])
    .sort((a, b) => b[0] - a[0] || a[1] - b[1])
    .slice(0, k)
    .map((x) => x[1]);
}

function dreamSample(net: Network, x: number[], mask: number, steps: number, alg: string, eps = 1e-3): number[][] {
  const timesteps = Array.from({ length: steps + 1 }, (_, i) => 1 + ((eps - 1) * i) / steps);
  const history: number[][] = [];
  for (let i = 0; i < steps; i++) {
    const maskIndex = x.map((t, p) => (t === mask ? p : -1)).filter((p) => p >= 0);
    const ids = Int32Array.from(x);
    let logits = x.map((_, p) => net(ids, p));
    logits = [logits[0], ...logits.slice(0, -1)]; // logits = cat([logits[:,:1], logits[:,:-1]])
    const t = timesteps[i];
    const s = timesteps[i + 1];
    const probs = maskIndex.map((p) => softmax(logits[p]));
    const x0 = probs.map((p) => p.indexOf(Math.max(...p)));
    let confidence = probs.map((p) => Math.max(...p));
    if (alg === 'topk_margin')
      confidence = probs.map((p) => {
        const q = [...p].sort((a, b) => b - a);
        return q[0] - q[1];
      });
    if (alg === 'entropy') confidence = probs.map((p) => p.reduce((a, v) => a + v * Math.log(v + 1e-10), 0));
    const numMask = maskIndex.length;
    const numberTransfer = i < steps - 1 ? Math.trunc(numMask * (1 - s / t)) : numMask;
    const full = x.map(() => -Infinity);
    maskIndex.forEach((p, k) => (full[p] = confidence[k]));
    const committed: number[] = [];
    if (numberTransfer > 0) {
      for (const p of topk(full, numberTransfer)) {
        x[p] = x0[maskIndex.indexOf(p)];
        committed.push(p);
      }
    }
    history.push(committed.sort((a, b) => a - b));
  }
  return history;
}

function lladaGenerate(net: Network, prompt: number[], mask: number, steps: number, genLength: number, blockLength: number): number[][] {
  const x = [...prompt, ...Array(genLength).fill(mask)];
  const numBlocks = genLength / blockLength;
  const stepsPerBlock = steps / numBlocks;
  const history: number[][] = [];
  for (let b = 0; b < numBlocks; b++) {
    const blockStart = prompt.length + b * blockLength;
    const blockMasks = x.slice(blockStart, blockStart + blockLength).filter((t) => t === mask).length;
    const base = Math.floor(blockMasks / stepsPerBlock);
    const remainder = blockMasks % stepsPerBlock;
    const numTransfer = Array.from({ length: stepsPerBlock }, (_, i) => base + (i < remainder ? 1 : 0));
    for (let i = 0; i < stepsPerBlock; i++) {
      const ids = Int32Array.from(x);
      const logits = x.map((_, p) => net(ids, p));
      const x0 = logits.map((l) => l.indexOf(Math.max(...l)));
      const x0p = logits.map((l, p) => softmax(l)[x0[p]]);
      for (let p = blockStart + blockLength; p < x.length; p++) x0p[p] = -Infinity;
      const confidence = x.map((t, p) => (t === mask ? x0p[p] : -Infinity));
      const chosen = topk(confidence, numTransfer[i]);
      for (const p of chosen) x[p] = x0[p];
      history.push(chosen.sort((a, b2) => a - b2));
    }
  }
  return history;
}

async function engineHistory(net: Network, x: number[], mask: number, shifted: boolean, settings: { alg: Alg; steps: number; blockLength?: number }) {
  const ids = Int32Array.from(x);
  const masked = x.map((t, p) => (t === mask ? p : -1)).filter((p) => p >= 0);
  const history: number[][] = [];
  const network = new ScriptedModel(16, net);
  for await (const step of denoise({ network, ids, masked, shifted, maskTokenId: mask, sampler: sampler(settings) })) {
    history.push(step.commits.map((c) => c.pos));
  }
  return { history, ids: [...ids] };
}

describe('parity with the reference implementations at temperature 0', () => {
  const MASK = 15;
  for (const alg of ['maskgit_plus', 'topk_margin', 'entropy'] as Alg[]) {
    for (const steps of [1, 5, 12, 20]) {
      it(`Dream ${alg}, ${steps} steps, a hole between context: same commits, step by step`, async () => {
        const net = pseudoNetwork(16, steps);
        const x = [3, 1, 4, 1, 5, ...Array(12).fill(MASK), 9, 2, 6];
        const reference = dreamSample(net, [...x], MASK, steps, alg).filter((c) => c.length > 0);
        const ours = await engineHistory(net, x, MASK, true, { alg, steps });
        assert.deepEqual(ours.history, reference);
      });
    }
  }

  for (const [steps, blockLength] of [
    [8, 16],
    [8, 8],
    [16, 4],
    [4, 4],
  ]) {
    it(`LLaDA low_confidence, ${steps} steps, blocks of ${blockLength}: same commits, step by step`, async () => {
      const net = pseudoNetwork(16, steps + blockLength);
      const prompt = [3, 1, 4, 1, 5, 9];
      const reference = lladaGenerate(net, prompt, MASK, steps, 16, blockLength).filter((c) => c.length > 0);
      const ours = await engineHistory(net, [...prompt, ...Array(16).fill(MASK)], MASK, false, { alg: 'low_confidence', steps, blockLength });
      assert.deepEqual(ours.history, reference);
    });
  }
});
