import * as assert from 'node:assert/strict';
import { confidentEnough, CursorContext, postprocessFill } from '../../../../src/extension/inline/postprocess';

const at = (linePrefix: string, lineSuffix = '', followingLines: string[] = []): CursorContext => ({ linePrefix, lineSuffix, followingLines });

describe('inline post-processing', () => {
  it('keeps a clean fill as it is, without trailing blanks', () => {
    assert.equal(postprocessFill('a + b;  \n\n', at('  return ')), 'a + b;');
  });

  it('keeps only the first line when code follows the cursor on its line', () => {
    assert.equal(postprocessFill('a, b\nconsole.log(1)', at('add(', ');')), 'a, b');
  });

  it('stops where the fill starts repeating the code after the cursor', () => {
    const fill = 'const sum = a + b;\n  return sum;\n}\n\nfunction sub() {';
    assert.equal(postprocessFill(fill, at('  ', '', ['}', '', 'function sub() {'])), 'const sum = a + b;\n  return sum;');
  });

  it('offers nothing for a fill that only repeats the next line', () => {
    assert.equal(postprocessFill('  return x;', at('', '', ['  return x;'])), undefined);
  });

  it('offers nothing for a blank fill', () => {
    assert.equal(postprocessFill(' \n\t\n', at('x = ')), undefined);
  });

  it('offers a fill only when the model was sure enough of it, or could not say', () => {
    assert.equal(confidentEnough({ text: 'x', confidence: 0.31 }, 0.3), true);
    assert.equal(confidentEnough({ text: 'x', confidence: 0.29 }, 0.3), false);
    assert.equal(confidentEnough({ text: 'x', confidence: 0.01 }, 0), true, '0 offers every fill');
    assert.equal(confidentEnough({ text: 'x' }, 0.9), true, 'a fill-in-the-middle endpoint gives no confidence');
    assert.equal(confidentEnough(undefined, 0), false);
  });
});
