import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { buildCanvas } from '../../../src/core/canvas';
import { MAX_HOLE_TOKENS } from '../../../src/core/holes';
import { loadTokenizer, TextTokenizer } from '../../../src/core/tokenizer';
import { TINY_MODEL } from '../support/fixtures';

const MASK = 256;
const tokenizer = loadTokenizer(path.join(TINY_MODEL, 'tokenizer.json'));

/** Counts the characters the canvas builder asks the tokenizer to encode. */
function counting(t: TextTokenizer): TextTokenizer & { chars: number } {
  const wrapped = { ...t, chars: 0, encode: async (s: string) => ((wrapped.chars += s.length), t.encode(s)) };
  return wrapped;
}

const options = { maxTokens: 256, defaultHoleTokens: 16, holeSlack: 4, maskTokenId: MASK, bosTokenId: null };

function file(lines: number): string {
  // Lines of one length, so that windows of whole lines compare exactly.
  return Array.from({ length: lines }, (_, i) => `    value_${String(i).padStart(5, '0')} = compute("é\tü")\n`).join('');
}

describe('canvas', () => {
  it('the tokenizer round-trips text byte for byte: unicode, tabs, CRLF', async () => {
    const text = 'def f(x):\r\n\treturn "héllo wörld ✓ 😀"\r\n# 注释\n\u00a0\u200b end';
    assert.equal(await tokenizer.decode(await tokenizer.encode(text)), text);
  });

  it('puts the hole lengths in masks between the exact context tokens', async () => {
    const text = 'a = 1\r\nb = "ü"\t# x\nc = 3\n';
    const holes = [
      { start: 7, end: 7 },
      { start: 19, end: 20, tokens: 5 },
    ];
    const canvas = await buildCanvas(text, holes, tokenizer, options);
    assert.deepEqual(
      canvas.holes.map((h) => h.length),
      [16, 5],
    );
    assert.deepEqual(canvas.context, [text.slice(0, 7), text.slice(7, 19), text.slice(20)]);
    const ids = Array.from(canvas.ids);
    const [h0, h1] = canvas.holes;
    assert.equal(await tokenizer.decode(ids.slice(0, h0.start)), canvas.context[0]);
    assert.equal(await tokenizer.decode(ids.slice(h0.start + h0.length, h1.start)), canvas.context[1]);
    assert.equal(await tokenizer.decode(ids.slice(h1.start + h1.length)), canvas.context[2]);
    assert.ok(ids.slice(h0.start, h0.start + 16).every((t) => t === MASK));
  });

  it('token healing moves the context token before each hole into it', async () => {
    const text = 'x = foo.ba\ny = 2\n';
    const holes = [
      { start: 0, end: 0 },
      { start: 10, end: 10 },
      { start: 11, end: 11 },
    ];
    const healed = await buildCanvas(text, holes, tokenizer, { ...options, heal: true });
    // The tiny tokenizer has one token a byte: "a" before the second hole, the line break before the third.
    assert.deepEqual(
      healed.holes.map((h) => h.heal),
      ['', 'a', '\n'],
    );
    assert.deepEqual(
      healed.holes.map((h) => h.length),
      [16, 17, 17],
    );
    assert.deepEqual(healed.context, ['', 'x = foo.b', '', 'y = 2\n']);
    const plain = await buildCanvas(text, holes, tokenizer, options);
    assert.deepEqual(
      plain.holes.map((h) => h.heal),
      ['', '', ''],
    );
    assert.equal(healed.ids.length, plain.ids.length, 'a token moves from the context into the hole');
  });

  it('sizes a replaced selection by its tokens plus slack', async () => {
    const canvas = await buildCanvas('x = old_value\n', [{ start: 4, end: 13 }], tokenizer, options);
    assert.equal(canvas.holes[0].length, 'old_value'.length + options.holeSlack);
  });

  it('keeps whole lines nearest the holes within the budget', async () => {
    const text = file(200);
    const at = text.indexOf('value_00100');
    const canvas = await buildCanvas(text, [{ start: at, end: at }], tokenizer, options);
    assert.ok(canvas.ids.length <= options.maxTokens);
    assert.ok(text.slice(0, at).endsWith(canvas.context[0]));
    assert.ok(text.slice(at).startsWith(canvas.context[1]));
    assert.ok(canvas.context[0].length > 0 && canvas.context[1].length > 0);
    assert.ok(canvas.context[1].endsWith('\n'), 'the window ends on a whole line');
  });

  it('a 10,000-line file costs what a 100-line one does: same canvas size, few characters tokenized', async () => {
    const small = file(100);
    const large = file(10000);
    const smallTok = counting(tokenizer);
    const largeTok = counting(tokenizer);
    const s = await buildCanvas(small, [{ start: small.indexOf('value_00050'), end: small.indexOf('value_00050') }], smallTok, options);
    const l = await buildCanvas(large, [{ start: large.indexOf('value_05000'), end: large.indexOf('value_05000') }], largeTok, options);
    assert.ok(l.ids.length <= s.ids.length, `${l.ids.length} vs ${s.ids.length}`);
    assert.ok(largeTok.chars < 20 * options.maxTokens, `tokenized ${largeTok.chars} characters of ${large.length}`);
  });

  it('a selection of a whole 50,000-line file is sized at the longest hole without tokenizing all of it', async () => {
    const large = file(50000);
    const tok = counting(tokenizer);
    const canvas = await buildCanvas(large, [{ start: 0, end: large.length }], tok, { ...options, maxTokens: 8192 });
    assert.equal(canvas.holes[0].length, MAX_HOLE_TOKENS);
    assert.ok(tok.chars < large.length / 20, `tokenized ${tok.chars} characters of ${large.length}`);
  });

  it('keeps context on both sides of holes far apart, dropping the middle', async () => {
    const text = file(1000);
    const a = text.indexOf('value_00010');
    const b = text.indexOf('value_00900');
    const canvas = await buildCanvas(
      text,
      [
        { start: a, end: a },
        { start: b, end: b },
      ],
      tokenizer,
      options,
    );
    assert.ok(canvas.ids.length <= options.maxTokens);
    const middle = canvas.context[1];
    assert.ok(middle.startsWith('value_00010 =') && middle.includes('value_00899'), 'both holes keep their nearby lines');
    assert.ok(!middle.includes('value_00500'), 'the far middle is dropped');
  });

  it('cuts a line too long for the window to its part nearest the hole, and keeps the lines beyond it', async () => {
    const helper = 'def helper():\n    pass\n';
    const literal = `DATA = "${'q'.repeat(3200)}"\n`;
    const cases = [
      { text: `${helper}${literal}x = `, after: '\n', piece: (c: string[]) => c[0].slice(helper.length, -'x = '.length), near: 'endsWith' },
      { text: 'x = ', after: `\n${literal}${helper}`, piece: (c: string[]) => c[1].slice(1, -helper.length), near: 'startsWith' },
    ] as const;
    for (const { text, after, piece, near } of cases) {
      const canvas = await buildCanvas(text + after, [{ start: text.length, end: text.length, tokens: 8 }], tokenizer, { ...options, maxTokens: 128 });
      assert.ok(canvas.context.join('').includes(helper), 'the function beyond the literal is in the window');
      const kept = piece(canvas.context);
      // The tiny tokenizer has one token a byte: at most a quarter of the budget (128 - 8) goes to the literal.
      assert.ok(kept.length > 0 && kept.length <= 30, JSON.stringify(kept));
      assert.ok(literal[near](kept), `the ${near === 'endsWith' ? 'end' : 'start'} of the literal, nearest the hole`);
    }
  });

  it('refuses holes longer than the canvas', async () => {
    await assert.rejects(buildCanvas('x', [{ start: 0, end: 0, tokens: 300 }], tokenizer, options), /holes need 300 tokens/);
  });
});
