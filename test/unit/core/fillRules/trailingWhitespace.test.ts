import * as assert from 'node:assert/strict';
import { withoutTrailingWhitespace } from '../../../../src/core/fillRules';

describe('fill rule: trailing whitespace', () => {
  it("drops the spaces before each of the fill's line breaks", () => {
    assert.equal(withoutTrailingWhitespace('a = 1;  \n\tb = 2;\t\r\nc', 'd'), 'a = 1;\n\tb = 2;\r\nc');
  });

  it('drops the blank lines and spaces a fill ends with where the document ends the line itself', () => {
    assert.equal(withoutTrailingWhitespace('a + b;  \n\n', '\n}'), 'a + b;');
    assert.equal(withoutTrailingWhitespace('a + b;\n', ''), 'a + b;', 'at the end of the text');
    assert.equal(withoutTrailingWhitespace(' \n\t\n', '\r\n'), '');
  });

  it('drops the spaces before a closing bracket, `;` or `,`', () => {
    assert.equal(withoutTrailingWhitespace('a, b ', ');'), 'a, b');
    assert.equal(withoutTrailingWhitespace('  x = 1\n  ', '}'), '  x = 1\n  ', 'the indentation of the `}` after it stays');
  });

  it('keeps a line break the code after needs, and a space before a word', () => {
    assert.equal(withoutTrailingWhitespace('foo()\n', '    bar()\n'), 'foo()\n', 'a replaced line ends where the next one starts');
    assert.equal(withoutTrailingWhitespace('x ', '= 1'), 'x ');
    assert.equal(withoutTrailingWhitespace('\n    pass', '\n'), '\n    pass', 'a leading line break stays');
  });

  it('keeps the line break a fill ends with where the text it replaces ended with one', () => {
    assert.equal(withoutTrailingWhitespace('a = 1\nb = 2\n', '', 'a = 0\nb = 0\n'), 'a = 1\nb = 2\n', 'the last line of a file');
    assert.equal(withoutTrailingWhitespace('a = 1  \n', '\nnext', 'a = 0\n'), 'a = 1\n', 'before a blank line');
  });
});
