import * as assert from 'node:assert/strict';
import { collect } from '../../support/events';
import { TINY_MODEL } from '../../support/fixtures';
import { ScriptedModel, sampler } from '../../support/scripted';
import { InfillError, LocalEngine, loadModelFolder, LoadedModel, MASK_PLACEHOLDER, parseMarkers, SamplerSettings } from '../../../../src/core';
import { denoiseExpanding, ExpandingStep } from '../../../../src/core/sampling/expansion';

/*
 * DreamOn's token rules (DreamLM/DreamOn eval/generator.py, batch_generate_with_expand_as_token) on
 * scripted networks.  Vocabulary: 0-9 text, 10-11 context, EXPAND, DELETE (the end of text), MASK.
 */
const [PRE, POST, EXPAND, DELETE, MASK] = [10, 11, 12, 13, 14];
const VOCAB = 15;

/**
 * A network that wants the fill 1, 2, ..., `want` (in place: row p predicts position p), each
 * position more confident the further left: where the hole is shorter its last mask asks for
 * `[expand]`, where longer each position past `want` asks for `[delete]` alone, surest of all.
 */
function wantsLength(want: number) {
  return (ids: Int32Array, p: number): number[] => {
    const row = Array(VOCAB).fill(0);
    const start = ids.indexOf(PRE) + 1;
    const length = ids.indexOf(POST) - start;
    const offset = p - start;
    if (offset < 0 || offset >= length) return row;
    if (offset >= want) {
      row[DELETE] = 20;
      return row;
    }
    if (offset === length - 1 && length < want) row[EXPAND] = 11;
    row[1 + offset] = 10 - offset * 0.5;
    return row;
  };
}

async function run(network: ScriptedModel, holeLength: number, settings: SamplerSettings = {}, limit = 64) {
  const ids = Int32Array.from([PRE, ...Array(holeLength).fill(MASK), POST]);
  const steps: ExpandingStep[] = [];
  for await (const step of denoiseExpanding({
    network,
    ids,
    holes: [{ start: 1, length: holeLength, grows: true, singleLine: false }],
    shifted: false,
    maskTokenId: MASK,
    expandTokenId: EXPAND,
    deleteTokenId: DELETE,
    limit,
    sampler: sampler({ alg: 'maskgit_plus', ...settings }),
  }))
    steps.push({ ...step, ids: Int32Array.from(step.ids), holes: step.holes.map((h) => ({ ...h })) });
  const last = steps.at(-1)!;
  const h = last.holes[0];
  return { steps, fill: Array.from(last.ids.subarray(h.start, h.start + h.length)), lengths: steps.map((s) => s.holes[0].length) };
}

describe("DreamOn's expand and delete", () => {
  it('a hole too short grows a mask at a time where [expand] is chosen, to the length the model wants', async () => {
    const { fill, lengths } = await run(new ScriptedModel(VOCAB, wantsLength(5)), 2);
    assert.deepEqual(fill, [1, 2, 3, 4, 5]);
    assert.ok(lengths.some((l) => l === 3) && lengths.some((l) => l === 4), `grew one at a time: ${lengths}`);
    assert.deepEqual(
      lengths,
      [...lengths].sort((a, b) => a - b),
      'it only grows',
    );
  });

  it('a hole too long shrinks: [delete] takes its position and the masks after it', async () => {
    const { fill, steps } = await run(new ScriptedModel(VOCAB, wantsLength(3)), 7);
    assert.deepEqual(fill, [1, 2, 3]);
    // The first step commits the surest, a delete (the leftmost of equals: offset 3), which takes the 3 masks after it too.
    assert.equal(steps[0].holes[0].length, 3);
    assert.equal(steps[0].commit.pos, -1, 'the committed delete is gone from the canvas');
    assert.ok(steps.every((s) => !Array.from(s.ids).includes(DELETE)));
  });

  it('committed tokens after a delete stay; only masks after it go', async () => {
    // Offset 4 commits first (9), then offset 1 a delete: offsets 2, 3 (masks) go, the 9 stays.
    const network = new ScriptedModel(VOCAB, (ids, p) => {
      const row = Array(VOCAB).fill(0);
      const offset = p - 1;
      const length = ids.indexOf(POST) - 1;
      if (length === 5 && offset === 4) row[9] = 20;
      else if (length === 5 && offset === 1 && ids[5] === 9) row[DELETE] = 15;
      else row[1 + offset] = 5;
      return row;
    });
    const { fill, steps } = await run(network, 5);
    assert.deepEqual(steps[1].holes[0].length, 2);
    assert.deepEqual(fill, [1, 9]);
  });

  it('grows no further than the limit: past it [expand] cannot be chosen', async () => {
    const { fill, lengths } = await run(new ScriptedModel(VOCAB, wantsLength(6)), 2, {}, 4);
    assert.deepEqual(fill, [1, 2, 3, 4]);
    assert.ok(Math.max(...lengths) <= 4);
  });

  it('commits one position a step, the most confident, whatever the steps setting asks (number_transfer_tokens 1)', async () => {
    const { steps } = await run(new ScriptedModel(VOCAB, wantsLength(4)), 4, { steps: 100 });
    assert.equal(steps.length, 4);
    assert.deepEqual(
      steps.map((s) => s.commit.pos),
      [1, 2, 3, 4],
      'left to right, as this network is surer further left',
    );
  });

  it('refuses an alg their rules do not take', async () => {
    await assert.rejects(run(new ScriptedModel(VOCAB, wantsLength(2)), 2, { alg: 'low_confidence' }), InfillError);
  });
});

describe('a model that grows holes, through the engine', () => {
  let tiny: LoadedModel;
  before(async () => {
    tiny = await loadModelFolder(TINY_MODEL);
  });

  /**
   * The tiny model's tokenizer and config with `[expand]` at 255, its network a script that wants
   * `fill` in the hole between `before` and `after` (as wantsLength above, shifted as a Dream model).
   */
  async function growing(before: string, fill: string, after: string): Promise<LoadedModel> {
    const want = await tiny.tokenizer.encode(fill);
    const [head, tail] = [(await tiny.tokenizer.encode(before)).length, (await tiny.tokenizer.encode(after)).length];
    const config = { ...tiny.config, expandTokenId: 255, deleteTokenId: tiny.config.eosTokenId };
    const network = new ScriptedModel(tiny.config.vocabSize, (ids, index) => {
      const row = Array(tiny.config.vocabSize).fill(0);
      const offset = index + 1 - head;
      const length = ids.length - head - tail;
      if (offset < 0 || offset >= length) return row;
      if (offset >= want.length) row[config.eosTokenId] = 12;
      else if (offset === length - 1 && length < want.length) row[255] = 11;
      if (offset < want.length) row[want[offset]] = 10 - offset * 0.1;
      return row;
    });
    return { ...tiny, config, network };
  }

  it('a cursor hole grows to the fill, its drafts changing size', async () => {
    const request = parseMarkers('x = <|hole|>\n');
    const model = await growing('x = ', 'abcdef', '\n');
    const { drafts, result } = await collect(new LocalEngine(model).infill(request, { defaultHoleTokens: 2, temperature: 0 }));
    assert.equal(result.holes[0].text, 'abcdef');
    const sizes = drafts.map((d) => d.holes[0].text.length);
    assert.ok(sizes.some((n) => n === 2) && sizes.includes(6), `drafts at every size: ${sizes}`);
    assert.ok(!drafts.at(-1)!.holes[0].text.includes(MASK_PLACEHOLDER));
  });

  it('a hole of given length never takes [expand], even where the model wants it most', async () => {
    const x = (await tiny.tokenizer.encode('x'))[0];
    const config = { ...tiny.config, expandTokenId: 255, deleteTokenId: tiny.config.eosTokenId };
    const network = new ScriptedModel(tiny.config.vocabSize, () => {
      const row = Array(tiny.config.vocabSize).fill(0);
      row[255] = 20;
      row[x] = 10;
      return row;
    });
    const { result } = await collect(
      new LocalEngine({ ...tiny, config, network }).infill(parseMarkers('a = <|hole:3|>\n'), { temperature: 0, tokenHealing: false }),
    );
    assert.equal(result.holes[0].text, 'xxx');
  });
});
