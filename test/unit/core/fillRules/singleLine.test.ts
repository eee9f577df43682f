import * as assert from 'node:assert/strict';
import { resultEvent } from '../../../../src/core/result';
import { singleLineFill } from '../../../../src/core/fillRules';

const FIGURES = { model: 'm', device: 'cpu', steps: 1, canvasTokens: 1, maskedTokens: 1, seed: 0, started: 0 };

describe('fill rule: a single-line hole keeps one line', () => {
  it('cuts at the first line break of any kind', () => {
    assert.equal(singleLineFill('a, b\nconsole.log(1)'), 'a, b');
    assert.equal(singleLineFill('a\r\nb'), 'a');
    assert.equal(singleLineFill('a\rb'), 'a');
    assert.equal(singleLineFill('\nb'), '');
    assert.equal(singleLineFill('one line'), 'one line');
  });

  it("cuts in the result of any engine a single-line hole's fill, and no other hole's", () => {
    const text = 'add(, 2);\nx = \n';
    const holes = [
      { start: 4, end: 4, singleLine: true },
      { start: 14, end: 14 },
    ];
    const result = resultEvent({ text, holes }, [{ text: 'a, b\nconsole.log(1)' }, { text: '1\ny = 2' }], FIGURES);
    assert.deepEqual(
      result.holes.map((h) => h.text),
      ['a, b', '1\ny = 2'],
    );
    assert.equal(result.text, 'add(a, b, 2);\nx = 1\ny = 2\n');
  });
});
