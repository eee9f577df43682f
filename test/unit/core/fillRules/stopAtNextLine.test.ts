import * as assert from 'node:assert/strict';
import { stoppedAtNextLine } from '../../../../src/core/fillRules';

describe('fill rule: stop at the next line', () => {
  it('cuts the fill where it starts writing the code that follows the hole', () => {
    const fill = 'const sum = a + b;\n  return sum;\n}\n\nfunction sub() {';
    assert.equal(stoppedAtNextLine(fill, '\n}\n\nfunction sub() {\n'), 'const sum = a + b;\n  return sum;');
  });

  it('compares lines without their indentation, and skips blank lines after the hole', () => {
    assert.equal(stoppedAtNextLine('x = 1\n    print(x)\nmore', '\n\n\n  print(x)'), 'x = 1');
  });

  it("never cuts the first line, which continues the hole's own line", () => {
    assert.equal(stoppedAtNextLine('}', '\n}\n'), '}');
    assert.equal(stoppedAtNextLine('return 1;\n}', ' // end\n}\n'), 'return 1;');
  });

  it('keeps a fill that writes no copy, or when nothing but blanks follows', () => {
    assert.equal(stoppedAtNextLine('a\nb', '\nc\n'), 'a\nb');
    assert.equal(stoppedAtNextLine('a\n}', '\n\n  \n'), 'a\n}');
    assert.equal(stoppedAtNextLine('a\n}', ''), 'a\n}');
  });
});
