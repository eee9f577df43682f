import * as assert from 'node:assert/strict';
import { resultEvent } from '../../../../src/core';
import { withoutRepeatedLines } from '../../../../src/core/fillRules';

describe('fill rule: a line repeated over and over', () => {
  it('keeps the first copy of a line written twelve times, and nothing after', () => {
    const fill = 'total = 0\n' + '    total += x\n'.repeat(12) + 'return total';
    assert.equal(withoutRepeatedLines(fill), 'total = 0\n    total += x');
  });

  it('counts repeats across blank lines', () => {
    assert.equal(withoutRepeatedLines('x = 1\n\nx = 1\n\nx = 1\n'), 'x = 1');
  });

  it('leaves a line written twice, and closing brackets at different depths', () => {
    assert.equal(withoutRepeatedLines('print()\nprint()\nreturn'), 'print()\nprint()\nreturn');
    assert.equal(withoutRepeatedLines('      }\n    }\n  }\n}'), '      }\n    }\n  }\n}');
  });

  it("runs in every engine's result", () => {
    const stats = { model: 'm', device: 'cpu', steps: 1, canvasTokens: 1, maskedTokens: 1, seed: 0, started: performance.now() };
    const result = resultEvent({ text: 'a\n\nb', holes: [{ start: 2, end: 2 }] }, [{ text: 'x()\nx()\nx()\nx()' }], stats);
    assert.equal(result.holes[0].text, 'x()');
    assert.equal(result.text, 'a\nx()\nb');
    const spaced = resultEvent({ text: 'return ;', holes: [{ start: 7, end: 7, singleLine: true }] }, [{ text: ' 0' }], stats);
    assert.equal(spaced.text, 'return 0;');
  });
});
