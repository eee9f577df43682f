import * as assert from 'node:assert/strict';
import { parseMarkers, validateHoles } from '../../../../src/core';
import { withoutRepeatedLineSuffix } from '../../../../src/core/fillRules';
import { resultEvent } from '../../../../src/core/result';

describe('fill rule: the closing text a mid-line fill repeats', () => {
  it('takes off a mid-line fill the closing text the line already has, and nothing it needs', () => {
    const cases: [string, string, string][] = [
      ['x;', ';', 'x'],
      ['a, b);', ');', 'a, b'],
      ['a, b)', ');', 'a, b'],
      ['hello"', '");', 'hello'],
      ['f()', ')', 'f()'], // its own brackets close: `g(f())`
      ['bar());', ');', 'bar()'],
      ['s.', '.length;', 's'],
      ['a + b', 'b;', 'a + b'], // a word is never taken
      [';', ';', ';'], // nothing would be left
      ['x;  ', ';', 'x'],
      ['x', ';', 'x'],
      ['x;', '', 'x;'],
    ];
    for (const [fill, suffix, want] of cases) assert.equal(withoutRepeatedLineSuffix(fill, suffix), want, `${fill} before ${suffix}`);
  });

  it("every engine's result takes the repeated closing text off its mid-line holes, and only those", () => {
    const request = parseMarkers('return <|hole|>;\nf(<|hole|>\n');
    const holes = validateHoles(request);
    const figures = { model: 'm', device: 'cpu', steps: 1, canvasTokens: 1, maskedTokens: 1, seed: 0, started: 0 };
    const result = resultEvent({ text: request.text, holes }, [{ text: 'x;' }, { text: 'a);' }], figures);
    assert.deepEqual(
      result.holes.map((h) => h.text),
      ['x', 'a);'],
      'the second hole ends its line: nothing follows it to repeat',
    );
    assert.equal(result.text, 'return x;\nf(a);\n');
  });
});
