import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import {
  applyFills,
  leastConfident,
  LoadedModel,
  loadModelFolder,
  MASK_PLACEHOLDER,
  planFromScores,
  planRepair,
  readModelConfig,
  repairSpan,
  scoreSpan,
  ScoredToken,
} from '../../../src/core';
import { loadTokenizer } from '../../../src/core/tokenizer';
import { ScriptedModel } from '../support/scripted';
import { TINY_MODEL } from '../support/fixtures';
import { collect } from '../support/events';

const MASK = 256;
const VOCAB = 260;
const config = readModelConfig(TINY_MODEL);
const tokenizer = loadTokenizer(path.join(TINY_MODEL, 'tokenizer.json'));

/**
 * A Dream-shaped (shifted) network that believes in `intended`: the row at i scores the intended
 * token at i + 1 with logit 8, every other token 0. A document that differs from `intended` has
 * exactly its differing tokens improbable. The canvases it is run on are kept.
 */
async function believing(intended: string, doubted: number[] = []): Promise<{ model: LoadedModel; canvases: Int32Array[] }> {
  const target = await tokenizer.encode(intended);
  const canvases: Int32Array[] = [];
  const scripted = new ScriptedModel(VOCAB, (ids, index) => {
    const row = new Array<number>(VOCAB).fill(0);
    // At a doubted position the token that is there gets an even lower logit than the others.
    if (doubted.includes(index + 1) && ids[index + 1] !== target[index + 1]) row[ids[index + 1]] = -4;
    row[target[index + 1] ?? 257] = 8;
    return row;
  });
  const network = {
    vocabSize: VOCAB,
    dispose: async () => {},
    logits: (ids: Int32Array, rows: number[]) => (canvases.push(ids.slice()), scripted.logits(ids, rows)),
  };
  return { model: { dir: TINY_MODEL, config, tokenizer, network, executionProvider: 'cpu' }, canvases };
}

function bodySpan(text: string, body: string): { start: number; end: number } {
  const start = text.indexOf(body);
  return { start, end: start + body.length };
}

describe('repair: remask the least confident tokens and denoise only those', () => {
  const intended = 'def add(a, b):\n    total = a + b\n    return total\n';
  const typo = 'def add(a, b):\n    totel = a + b\n    retrun total\n';
  const body = '    totel = a + b\n    retrun total\n';

  it('scores each token by its probability under the logit row before it', async () => {
    const { model } = await believing(intended);
    const tokens = await scoreSpan(model, { text: typo, span: bodySpan(typo, body) });
    assert.equal(tokens.length, body.length, 'byte-level tokenizer: one token per character');
    const sure = Math.exp(8) / (Math.exp(8) + VOCAB - 1);
    const unsure = 1 / (Math.exp(8) + VOCAB - 1);
    const wrong = tokens.map((t, i) => ({ t, i })).filter(({ t }) => t.prob < 0.5);
    // "totel" vs "total": one token; "retrun" vs "return": two ("r" and "u" swapped).
    assert.deepEqual(
      wrong.map(({ t }) => typo.slice(t.start, t.end)),
      ['e', 'r', 'u'],
    );
    for (const { t } of wrong) assert.ok(Math.abs(t.prob - unsure) < 1e-6);
    for (const t of tokens.filter((t) => t.prob >= 0.5)) assert.ok(Math.abs(t.prob - sure) < 1e-6);
    tokens.forEach((t, i) => assert.equal(t.start, bodySpan(typo, body).start + i));
  });

  it('remasks exactly the k least confident tokens, denoises only them, and leaves every other character as it was', async () => {
    const { model, canvases } = await believing(intended);
    const span = bodySpan(typo, body);
    const plan = await planRepair(model, { text: typo, span }, 3);
    assert.deepEqual(
      plan.remasked.map((i) => body[i]),
      ['e', 'r', 'u'],
    );
    assert.deepEqual(
      plan.holes.map((h) => typo.slice(h.start, h.end)),
      ['e', 'ru'],
      'neighbouring remasked tokens form one hole',
    );
    const { drafts, result } = await collect(repairSpan(model, plan, { steps: 3 }));
    assert.equal(result.text, intended);
    assert.deepEqual(
      result.holes.map((h) => h.text),
      ['a', 'ur'],
    );
    // The denoising forwards saw masks at exactly the remasked positions and the typo text elsewhere.
    const denoising = canvases.filter((c) => c.includes(MASK));
    assert.ok(denoising.length >= 1);
    const first = Array.from(denoising[0]);
    const original = await tokenizer.encode(typo);
    const maskedAt = first.flatMap((t, i) => (t === MASK ? [i] : []));
    assert.deepEqual(
      maskedAt,
      plan.remasked.map((i) => i + span.start),
    );
    first.forEach((t, i) => t !== MASK && assert.equal(t, original[i]));
    assert.equal(
      drafts.reduce((a, d) => a + d.committed.length, 0),
      3,
      'each remasked token is committed once',
    );
    assert.equal(result.stats.maskedTokens, 3);
    assert.ok(drafts[0].holes.some((h) => h.text.includes(MASK_PLACEHOLDER)));
  });

  it('with k = 1 changes only the least probable token: the other typos stay, because they were not remasked', async () => {
    const { model } = await believing(intended, [typo.indexOf('retrun') + 3]);
    const plan = await planRepair(model, { text: typo, span: bodySpan(typo, body) }, 1);
    const { result } = await collect(repairSpan(model, plan, { steps: 1 }));
    assert.equal(result.text, typo.replace('retrun', 'retuun'), 'the doubted "r" of "retrun" became the "u" the model wanted there');
  });

  it('leaves the text outside the span alone, even when the model would change it', async () => {
    const { model } = await believing('XXXXXXXXXXXXXX\n    total = a + b\n    return total\n');
    const plan = await planRepair(model, { text: typo, span: bodySpan(typo, body) }, 3);
    const { result } = await collect(repairSpan(model, plan, { steps: 3 }));
    assert.ok(result.text.startsWith('def add(a, b):\n'));
  });

  it('refuses a plan whose span changed since it was scored', async () => {
    const { model } = await believing(intended);
    const plan = await planRepair(model, { text: typo, span: bodySpan(typo, body) }, 2);
    const edited = { ...plan, request: { text: typo.replace('a + b', 'a - b'), span: plan.request.span } };
    await assert.rejects(collect(repairSpan(model, edited)), /changed since it was scored/);
  });
});

describe('leastConfident', () => {
  const token = (start: number, end: number, prob: number): ScoredToken => ({ token: 0, start, end, prob });

  it('takes the lowest probabilities, the earlier first on ties, in document order', () => {
    const tokens = [token(0, 1, 0.9), token(1, 2, 0.2), token(2, 3, 0.5), token(3, 4, 0.2), token(4, 5, 0.1)];
    assert.deepEqual(leastConfident(tokens, 2), [1, 4]);
    assert.deepEqual(leastConfident(tokens, 3), [1, 3, 4]);
    assert.deepEqual(leastConfident(tokens, 0), []);
    assert.deepEqual(leastConfident(tokens, 99), [0, 1, 2, 3, 4]);
  });

  it('widens a choice inside a multi-byte character to the whole character', () => {
    // Tokens 1 and 2 are the two bytes of one character: token 2 continues it (start === end).
    const tokens = [token(0, 1, 0.9), token(1, 2, 0.9), token(2, 2, 0.1), token(2, 3, 0.8)];
    assert.deepEqual(leastConfident(tokens, 1), [1, 2]);
    const plan = planFromScores({ text: 'aéb', span: { start: 0, end: 3 } }, tokens, leastConfident(tokens, 1));
    assert.deepEqual(plan.holes, [{ start: 1, end: 2, tokens: 2 }]);
  });
});

describe('repair on the tiny model (random weights)', () => {
  let model: LoadedModel;
  before(async () => {
    model = await loadModelFolder(TINY_MODEL);
  });

  it('scores a body with multi-byte characters, remasks k tokens and changes nothing outside them', async () => {
    const text = 'fn main() {\n    let s = "héllo ✓";\n    println!("{}", s);\n}\n';
    const body = '    let s = "héllo ✓";\n    println!("{}", s);\n';
    const span = bodySpan(text, body);
    const tokens = await scoreSpan(model, { text, span });
    assert.equal(tokens.length, Buffer.byteLength(body), 'one token per byte');
    assert.ok(tokens.every((t) => t.prob > 0 && t.prob <= 1));
    assert.equal(tokens[0].start, span.start);
    assert.equal(tokens[tokens.length - 1].end, span.end);
    const plan = await planRepair(model, { text, span }, 6);
    assert.ok(plan.remasked.length >= 6);
    assert.equal(
      plan.holes.reduce((a, h) => a + (h.tokens ?? 0), 0),
      plan.remasked.length,
    );
    for (const h of plan.holes) assert.ok(h.start >= span.start && h.end <= span.end);
    const { drafts, result } = await collect(repairSpan(model, plan, { steps: 4 }));
    assert.equal(
      drafts.reduce((a, d) => a + d.committed.length, 0),
      plan.remasked.length,
    );
    for (const c of drafts.flatMap((d) => d.committed)) assert.ok(c.offset < (plan.holes[c.hole].tokens ?? 0));
    assert.equal(
      result.text,
      applyFills(
        text,
        plan.holes,
        result.holes.map((h) => h.text),
      ),
    );
    assert.ok(result.text.startsWith(text.slice(0, plan.holes[0].start)));
    assert.ok(result.text.endsWith(text.slice(plan.holes[plan.holes.length - 1].end)));
  });
});
