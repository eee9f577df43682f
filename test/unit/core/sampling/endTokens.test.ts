import * as assert from 'node:assert/strict';
import { denoise, Step } from '../../../../src/core/sampling/denoise';
import { HoleRules } from '../../../../src/core/sampling/holeRules';
import { SamplerSettings } from '../../../../src/core/options';
import { ScriptedModel, sampler } from '../../support/scripted';

const MASK = 9;
const PAD = 8;
const VOCAB = 10;

/**
 * A network that is sure the hole's last positions are padding (the way a small model trained on
 * padded holes is) and less sure of the text: 3 tokens of text (1, 2, 3) then pads.
 */
function padHappyNetwork(context: number) {
  return (_ids: Int32Array, row: number) => {
    const offset = row + 1 - context; // shifted: row r predicts r + 1
    const logits = new Array(VOCAB).fill(0);
    if (offset < 3) logits[offset + 1] = 3;
    else logits[PAD] = 5 + offset; // the farther right, the surer
    return logits;
  };
}

async function run(settings: SamplerSettings, ends: boolean) {
  const context = 4;
  const hole = 8;
  const ids = new Int32Array(context + hole + 2).fill(1);
  const masked = Array.from({ length: hole }, (_, k) => context + k);
  masked.forEach((p) => (ids[p] = MASK));
  const network = new ScriptedModel(VOCAB, padHappyNetwork(context));
  const order: number[][] = [];
  const snapshots: Int32Array[] = [];
  for await (const step of denoise({
    network,
    ids,
    masked,
    shifted: true,
    maskTokenId: MASK,
    sampler: sampler(settings),
    rules: ends
      ? new HoleRules({ holes: [{ start: context, length: hole, singleLine: false, heal: '' }], maskTokenId: MASK, endTokenIds: new Set([PAD]) })
      : undefined,
  }) as AsyncGenerator<Step>) {
    order.push(step.commits.map((c) => c.pos - context));
    snapshots.push(ids.slice());
  }
  return { fill: Array.from(ids.subarray(context, context + hole)), order, snapshots, context, network };
}

describe('end tokens in a hole of unknown length', () => {
  for (const settings of [
    { alg: 'entropy', steps: 8 },
    { alg: 'maskgit_plus', steps: 4 },
    { alg: 'entropy', steps: 8, algTemp: 0.5, seed: 3 },
    { alg: 'low_confidence', steps: 8 },
    { alg: 'maskgit_plus', threshold: 0.9 },
  ] as SamplerSettings[]) {
    it(`never leaves a committed pad after a masked position (${JSON.stringify(settings)})`, async () => {
      const { fill, snapshots, context } = await run(settings, true);
      assert.deepEqual(fill, [1, 2, 3, PAD, PAD, PAD, PAD, PAD]);
      for (const [step, ids] of snapshots.entries()) {
        for (let p = context + 1; p < context + 8; p++) {
          if (ids[p] === PAD) assert.notEqual(ids[p - 1], MASK, `step ${step + 1}: pad at ${p - context} after a mask`);
        }
      }
    });
  }

  it('a hole is finished once its first end token has only decided positions before it: no more forwards', async () => {
    const { fill, network } = await run({ alg: 'entropy', steps: 8 }, true);
    assert.deepEqual(fill, [1, 2, 3, PAD, PAD, PAD, PAD, PAD]);
    // Text at offsets 0-2 and the pad at 3, one a step: the four pads after it cost nothing.
    assert.equal(network.calls.length, 4);
  });

  it('without end tokens the same network commits the rightmost pads first (the reference samplers)', async () => {
    const { order } = await run({ alg: 'entropy', steps: 8 }, false);
    assert.deepEqual(order[0], [7]);
  });
});

describe('single-line holes in the denoising loop', () => {
  const NEWLINE = 7;
  it('end at the first line break with text before it: the rest is padding and costs no forwards', async () => {
    const context = 4;
    const ids = new Int32Array(context + 8 + 2).fill(1);
    const masked = Array.from({ length: 8 }, (_, k) => context + k);
    masked.forEach((p) => (ids[p] = MASK));
    // Text 1, 2, 3, then the model is sure of line breaks.
    const network = new ScriptedModel(VOCAB, (_ids, row) => {
      const offset = row + 1 - context;
      const logits = new Array(VOCAB).fill(0);
      if (offset < 3) logits[offset + 1] = 3;
      else logits[NEWLINE] = 8;
      return logits;
    });
    const hole = { start: context, length: 8, singleLine: true, heal: '' };
    const rules = new HoleRules({ holes: [hole], maskTokenId: MASK, endTokenIds: new Set([PAD]), padTokenId: PAD, lineBreakTokenIds: Int32Array.of(NEWLINE) });
    let forwards = 0;
    for await (const _ of denoise({ network, ids, masked, shifted: true, maskTokenId: MASK, sampler: sampler({ alg: 'entropy', steps: 8 }), rules }))
      forwards++;
    assert.deepEqual(Array.from(ids.subarray(context, context + 8)), [1, 2, 3, NEWLINE, PAD, PAD, PAD, PAD]);
    assert.equal(forwards, 4);
  });
});

describe('token healing in the denoising loop', () => {
  // Token texts: the heal "ab" can be spelled "a" + "b", "ab", or "abc" (which starts with it).
  const TEXTS = ['', 'a', 'b', 'ab', 'abc', 'Z', 'q', 'r', '<pad>', '<mask>'];

  async function heal(settings: SamplerSettings, prefer: number) {
    const context = 3;
    const ids = Int32Array.from([6, 6, 6, MASK, MASK, MASK, MASK, 7]);
    const masked = [3, 4, 5, 6];
    // The model would rather write `prefer` everywhere, then "b" (2), then anything.
    const network = new ScriptedModel(VOCAB, () => TEXTS.map((_, id) => (id === prefer ? 6 : id === 2 ? 3 : 0)));
    const rules = new HoleRules({ holes: [{ start: context, length: 4, singleLine: false, heal: 'ab' }], maskTokenId: MASK, tokenTexts: TEXTS });
    for await (const _ of denoise({ network, ids, masked, shifted: true, maskTokenId: MASK, sampler: sampler(settings), rules })) {
      // Every committed prefix of the hole is on its way to spelling "ab".
      let written = '';
      for (let p = context; p < context + 4 && ids[p] !== MASK; p++) written += TEXTS[ids[p]];
      assert.ok(written.startsWith('ab') || 'ab'.startsWith(written), `the hole starts ${JSON.stringify(written)}`);
    }
    return Array.from(ids.subarray(context, context + 4))
      .map((t) => TEXTS[t])
      .join('');
  }

  for (const settings of [
    { alg: 'entropy', steps: 4 },
    { alg: 'maskgit_plus', threshold: 0.5 },
    { alg: 'low_confidence', steps: 4 },
  ] as SamplerSettings[]) {
    it(`spells the heal text first, then writes freely (${JSON.stringify(settings)})`, async () => {
      assert.equal(await heal(settings, 5), 'aZZZ'.replace('aZ', 'ab'), 'a then b, then what the model prefers');
      assert.equal(await heal(settings, 4), 'abcabcabcabc', 'a token that starts with the heal text is taken at once');
    });
  }
});
