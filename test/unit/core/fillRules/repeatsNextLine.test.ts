import * as assert from 'node:assert/strict';
import { withoutCopyOfNextLine } from '../../../../src/core/fillRules';

describe('fill rule: a fill that only repeats the next line', () => {
  it('becomes nothing on a line of its own', () => {
    assert.equal(withoutCopyOfNextLine('  return x;', 'function f(x) {\n', '\n  return x;\n}'), '');
    assert.equal(withoutCopyOfNextLine('return x;', 'function f(x) {\n  ', '\n\n  return x;\n}'), '', 'indentation and blank lines aside');
  });

  it('stays after code on its line, or when it writes more than the next line', () => {
    assert.equal(withoutCopyOfNextLine('return x;', 'if (a) ', '\nreturn x;'), 'return x;');
    assert.equal(withoutCopyOfNextLine('y = x;\nreturn x;', '\n', '\nreturn x;'), 'y = x;\nreturn x;');
    assert.equal(withoutCopyOfNextLine('return y;', '\n', '\nreturn x;'), 'return y;');
    assert.equal(withoutCopyOfNextLine('return x;', '\n', ''), 'return x;', 'nothing follows');
  });
});
