import * as assert from 'node:assert/strict';
import { applyFills, codeFollowsOnLine, InfillError, parseMarkers, validateHoles } from '../../../src/core';

describe('holes', () => {
  it('finds <|hole|> and <|hole:N|> markers, removes them, and records a hole at each', () => {
    const r = parseMarkers('a<|hole|>b\n<|hole:7|>c');
    assert.equal(r.text, 'ab\nc');
    assert.deepEqual(r.holes, [
      { start: 1, end: 1, tokens: undefined, singleLine: true },
      { start: 3, end: 3, tokens: 7, singleLine: true },
    ]);
  });

  it('a marker with code after it on its line is a single-line hole; one that ends its line is not', () => {
    const r = parseMarkers('def f(x):\n    return <|hole|>\n\nprint(<|hole|>)\n<|hole|>  \r\n');
    assert.deepEqual(
      r.holes.map((h) => h.singleLine === true),
      [false, true, false],
    );
    assert.equal(codeFollowsOnLine('a = \nb', 4), false);
    assert.equal(codeFollowsOnLine('a = ;\nb', 4), true);
    assert.equal(codeFollowsOnLine('a = ', 4), false);
  });

  it('only looks inside the given range', () => {
    const r = parseMarkers('<|hole|>x<|hole|>', 8);
    assert.equal(r.text, '<|hole|>x');
    assert.deepEqual(
      r.holes.map((h) => h.start),
      [9],
    );
  });

  for (const bad of ['<|hole', '<|hole:|>', '<|hole:abc|>', '<|hole|', '<|hole:3']) {
    it(`rejects the malformed marker ${JSON.stringify(bad)} with its line and column`, () => {
      assert.throws(
        () => parseMarkers(`ok\n  ${bad} rest`),
        (e: Error) => e instanceof InfillError && /^2:3: malformed hole marker/.test(e.message),
      );
    });
  }

  it('rejects a length hint out of range', () => {
    assert.throws(() => parseMarkers('<|hole:0|>'), /out of range/);
    assert.throws(() => parseMarkers('<|hole:99999|>'), /out of range/);
  });

  it('refuses no holes, overlapping holes and holes outside the text', () => {
    assert.throws(() => validateHoles({ text: 'abc', holes: [] }), /nothing to fill/);
    assert.throws(
      () =>
        validateHoles({
          text: 'abcdef',
          holes: [
            { start: 0, end: 3 },
            { start: 2, end: 4 },
          ],
        }),
      /overlap/,
    );
    assert.throws(() => validateHoles({ text: 'abc', holes: [{ start: 2, end: 9 }] }), /outside the text/);
  });

  it('refuses a hole whose start or end cuts a character outside the BMP in two, and takes one around it', () => {
    const text = 'x = "😀"\n';
    const inside = text.indexOf('😀') + 1;
    for (const hole of [
      { start: inside, end: inside },
      { start: 0, end: inside },
      { start: inside, end: text.length },
    ]) {
      assert.throws(() => validateHoles({ text, holes: [hole] }), /cuts the character at 1:6 in two \(offset 6 falls inside a UTF-16 surrogate pair\)/);
    }
    assert.deepEqual(validateHoles({ text, holes: [{ start: inside - 1, end: inside + 1 }] }), [{ start: inside - 1, end: inside + 1 }]);
  });

  it('sorts holes and puts each fill in its place', () => {
    const holes = validateHoles({
      text: 'a_b_c',
      holes: [
        { start: 3, end: 4 },
        { start: 1, end: 2 },
      ],
    });
    assert.equal(applyFills('a_b_c', holes, ['1', '22']), 'a1b22c');
  });
});
