import * as assert from 'node:assert/strict';
import { InfillAborted, InfillError, InfillEvent, LocalEngine, loadModelFolder, LoadedModel, MASK_PLACEHOLDER, parseMarkers } from '../../../src/core';
import { TINY_MODEL } from '../support/fixtures';
import { collect } from '../support/events';

/** The model with its logits changed in place: bias(row, sequence index) for each row asked for. */
function biased(model: LoadedModel, bias: (row: Float32Array, index: number) => void): LoadedModel {
  const vocab = model.network.vocabSize;
  return {
    ...model,
    network: {
      vocabSize: vocab,
      dispose: async () => {},
      async logits(ids, rows) {
        const out = await model.network.logits(ids, rows);
        rows.forEach((index, r) => bias(out.subarray(r * vocab, (r + 1) * vocab), index));
        return out;
      },
    },
  };
}

describe('the local engine on the tiny model', () => {
  let model: LoadedModel;
  before(async () => {
    model = await loadModelFolder(TINY_MODEL);
  });

  it('streams a draft per step, placeholders shrinking, then the whole text with every hole filled', async () => {
    const request = parseMarkers('def f(x):\n    <|hole:6|>\n\nprint(<|hole:4|>)\n');
    const { drafts, result } = await collect(new LocalEngine(model).infill(request, { steps: 5, tokenHealing: false }));
    assert.ok(drafts.length >= 2 && drafts.length <= 5);
    const masked = drafts.map((d) => d.holes.reduce((a, h) => a + h.masked, 0));
    assert.deepEqual(
      masked,
      [...masked].sort((a, b) => b - a),
      'masked positions only ever decrease',
    );
    assert.ok(drafts[0].holes.some((h) => h.text.includes(MASK_PLACEHOLDER)));
    assert.equal(
      drafts.reduce((a, d) => a + d.committed.length, 0),
      10,
      'each of the 10 masked positions is committed once',
    );
    for (const c of drafts.flatMap((d) => d.committed)) {
      assert.ok(c.confidence > 0 && c.confidence <= 1);
      assert.ok(c.hole === 0 ? c.offset < 6 : c.offset < 4);
      assert.equal(c.text, await model.tokenizer.decode([c.token]), "a committed token's text is its own decoding");
    }
    // Each draft is the committed runs decoded, a placeholder for each masked position.
    const last = drafts.at(-1)!.holes.map((h) => h.text);
    assert.deepEqual(
      last,
      result.holes.map((h) => h.text),
    );
    const [a, b] = result.holes.map((h) => h.text);
    assert.ok(!a.includes(MASK_PLACEHOLDER) && !b.includes(MASK_PLACEHOLDER));
    assert.equal(result.text, `def f(x):\n    ${a}\n\nprint(${b})\n`);
    assert.equal(result.stats.maskedTokens, 10);
    assert.equal(result.stats.steps, drafts.length);
  });

  it('is reproducible: the same request and seed give the same drafts', async () => {
    const request = parseMarkers('x = <|hole:8|>\n');
    const one = await collect(new LocalEngine(model).infill(request, { steps: 4, temperature: 0.8, seed: 11 }));
    const two = await collect(new LocalEngine(model).infill(request, { steps: 4, temperature: 0.8, seed: 11 }));
    assert.deepEqual(one.drafts, two.drafts);
    assert.equal(one.result.text, two.result.text);
  });

  it('a single-line hole ends at the line break the model would write; a free hole writes it', async () => {
    const lineBreaks = await model.tokenizer.lineBreakTokens();
    for (const id of lineBreaks) assert.match(await model.tokenizer.decode([id]), /[\r\n]/);
    assert.ok(lineBreaks.includes((await model.tokenizer.encode('\n'))[0]));
    // A network that would rather write line breaks than anything else.
    const breaksFirst = biased(model, (row) => lineBreaks.forEach((id) => (row[id] += 20)));
    const fill = async (singleLine: boolean) => {
      const request = { text: 'a = 1\nb = \nc = 3\n', holes: [{ start: 10, end: 10, tokens: 12, singleLine }] };
      return collect(new LocalEngine(breaksFirst).infill(request, { temperature: 0.5, seed: 3, tokenHealing: false }));
    };
    // The result's fill loses the line breaks it ends with (the document ends the line): the draft shows them.
    assert.match((await fill(false)).drafts.at(-1)!.holes[0].text, /[\r\n]/);
    const line = await fill(true);
    assert.equal(line.result.holes[0].text, '', 'the line ended at once');
    assert.equal(line.result.stats.steps, 1, 'and cost one forward');
  });

  it('heals the token before a hole when the model asks for it, and the fill leaves that token out', async () => {
    const request = { text: 'x = foo.ba\n', holes: [{ start: 10, end: 10, tokens: 6 }] };
    const healed = await collect(new LocalEngine(model).infill(request, { seed: 2 }));
    assert.equal(healed.result.stats.maskedTokens, 7);
    const first = healed.drafts.flatMap((d) => d.committed).find((c) => c.offset === 0)!;
    assert.equal(first.text, 'a', 'the first position spells the "a" taken off the context');
    assert.ok(healed.result.text.startsWith('x = foo.ba'));
    const unhealed = await collect(new LocalEngine({ ...model, config: { ...model.config, tokenHealing: false } }).infill(request, { seed: 2 }));
    assert.equal(unhealed.result.stats.maskedTokens, 6);
  });

  it('cuts a hole at the first end-of-text or pad token', async () => {
    // Force the pad token (258) at the hole's third position by biasing the network.
    const padAt = new Set<number>();
    const padded = biased(model, (row, index) => {
      if (padAt.has(index)) row[258] = 100;
      else row[65] = 100; // 'A'
    });
    const request = parseMarkers('x = <|hole:6|>;');
    padAt.add(4 + 2 - 1); // shifted: the row before the hole's third position
    const { result, drafts } = await collect(new LocalEngine(padded).infill(request, { steps: 6 }));
    assert.equal(result.holes[0].text, 'AA');
    assert.equal(result.text, 'x = AA;');
    assert.ok(!drafts[drafts.length - 1].holes[0].text.includes(MASK_PLACEHOLDER));
  });

  it('never writes U+FFFD, the piece of a character that tokens sampled apart leave, into a fill or a draft', async () => {
    const request = parseMarkers('x = "<|hole:24|>"\n');
    for (const seed of [0, 1, 2]) {
      const { drafts, result } = await collect(new LocalEngine(model).infill(request, { temperature: 100, seed, tokenHealing: false }));
      assert.ok(!result.text.includes('\uFFFD'), JSON.stringify(result.text));
      assert.ok(drafts.every((d) => d.holes.every((h) => !h.text.includes('\uFFFD'))));
      assert.ok(result.holes[0].text.length > 0, 'the rest of the fill is kept');
    }
  });

  it('tells how sure the model was of each fill: the mean probability of what it chose, up to the end', async () => {
    const request = parseMarkers('x = <|hole:6|>; y = <|hole:4|>;');
    // Sure of "AA" then the pad in the first hole: the pads the rules write after it do not count.
    const sure = biased(model, (row, index) => {
      if (index === 4 + 2 - 1) row[258] = 100;
      else row[65] = 100;
    });
    const { result } = await collect(new LocalEngine(sure).infill(request, { steps: 10, tokenHealing: false }));
    assert.equal(result.holes[0].text, 'AA');
    assert.ok(result.holes[0].confidence! > 0.99, `${result.holes[0].confidence}`);
    // No preference at all: every token is 1 in 260.
    const unsure = biased(model, (row) => row.fill(0));
    const flat = await collect(new LocalEngine(unsure).infill(request, { steps: 10, tokenHealing: false }));
    for (const hole of flat.result.holes) assert.ok(Math.abs(hole.confidence! - 1 / 260) < 1e-6, `${hole.confidence}`);
  });

  it('stops between steps when cancelled and runs no forward after it', async () => {
    let forwards = 0;
    const counting: LoadedModel = {
      ...model,
      network: { vocabSize: 260, dispose: async () => {}, logits: (ids, rows) => (forwards++, model.network.logits(ids, rows)) },
    };
    const abort = new AbortController();
    const request = parseMarkers('a = <|hole:16|>\n');
    const seen: InfillEvent[] = [];
    await assert.rejects(
      (async () => {
        for await (const e of new LocalEngine(counting).infill(request, { steps: 16 }, abort.signal)) {
          seen.push(e);
          if (seen.length === 2) abort.abort();
        }
      })(),
      InfillAborted,
    );
    assert.equal(seen.length, 2);
    assert.equal(forwards, 2);
  });

  it('runs no more forwards than the hole has positions, however many steps are asked', async () => {
    for (const alg of ['origin', 'entropy', 'low_confidence'] as const) {
      let forwards = 0;
      const network = {
        vocabSize: model.network.vocabSize,
        dispose: async () => undefined,
        logits: (ids: Int32Array, rows: number[]) => (forwards++, model.network.logits(ids, rows)),
      };
      const { result } = await collect(new LocalEngine({ ...model, network }).infill(parseMarkers('x = <|hole:3|>\n'), { steps: 100000, alg, seed: 2 }));
      assert.ok(forwards <= result.stats.maskedTokens, `${alg}: ${forwards} forwards for ${result.stats.maskedTokens} positions`);
    }
  });

  it('stops at its time limit between forwards, with an error that names the limit', async () => {
    let forwards = 0;
    // Each forward outlasts the whole limit: the first one runs, no second one starts.
    const slow = {
      vocabSize: 260,
      dispose: async () => undefined,
      logits: async (ids: Int32Array, rows: number[]) => {
        forwards++;
        await new Promise((resolve) => setTimeout(resolve, 250));
        return model.network.logits(ids, rows);
      },
    };
    const engine = new LocalEngine({ ...model, network: slow });
    await assert.rejects(
      collect(engine.infill(parseMarkers('x = <|hole:8|>\n'), { steps: 8, timeLimitSeconds: 0.1 })),
      (e: Error) => e instanceof InfillError && /time limit \(timeLimitSeconds 0.1\) after 1 of 8 steps, so nothing was written/.test(e.message),
    );
    assert.equal(forwards, 1);
  });

  it('refuses a time limit out of its bounds, naming them', async () => {
    for (const timeLimitSeconds of [0, -1, 1e6, NaN]) {
      await assert.rejects(
        collect(new LocalEngine(model).infill(parseMarkers('x = <|hole:2|>\n'), { timeLimitSeconds })),
        /timeLimitSeconds must be a number from 0.1 to 86400/,
      );
    }
  });

  it('loads a model folder once and shares it', async () => {
    assert.equal(await loadModelFolder(TINY_MODEL), model);
  });
});
