import * as assert from 'node:assert/strict';
import { nextCodeLine } from '../../../../src/core/fillRules/nextLine';

describe("fill rules' helper: the code line after the hole's own line", () => {
  it("skips the rest of the hole's line and the blank lines after it", () => {
    assert.equal(nextCodeLine(' // end\n\n  \n  return x;\n}'), '  return x;');
    assert.equal(nextCodeLine('\r\n\r\nb'), 'b');
  });

  it('is undefined when only blanks follow, or nothing', () => {
    assert.equal(nextCodeLine('\n \n\t\n'), undefined);
    assert.equal(nextCodeLine(''), undefined);
    assert.equal(nextCodeLine(');'), undefined, "the hole's own line is not the next one");
  });
});
