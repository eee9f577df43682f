import * as assert from 'node:assert/strict';
import { withoutDoubledSpaces } from '../../../../src/core/fillRules';

describe('fill rule: no doubled space at the edges of a fill', () => {
  it('drops the space a fill starts with where the line already ends in one (return  0)', () => {
    assert.equal(withoutDoubledSpaces(' 0, 1', 'def f():\n    return ', '\n'), '0, 1');
    assert.equal(withoutDoubledSpaces('\t0', 'x = ', ''), '0');
  });

  it('drops the space a fill ends with where the code after starts with one', () => {
    assert.equal(withoutDoubledSpaces('a ', 'return ', ' + 1;'), 'a');
  });

  it('keeps indentation at the start of a line, a line break, and spaces the document does not double', () => {
    assert.equal(withoutDoubledSpaces('  x = 1', 'def f():\n  ', ''), '  x = 1', 'the hole is in the indentation');
    assert.equal(withoutDoubledSpaces('\n    pass', 'def f(): ', ''), '\n    pass');
    assert.equal(withoutDoubledSpaces(' 0', 'return', ''), ' 0');
    assert.equal(withoutDoubledSpaces('a ', 'x = ', ';'), 'a ');
  });
});
