import * as assert from 'node:assert/strict';
import { inlineRequest } from '../../../../src/extension/inline/completionContext';
import { readSettings } from '../../../../src/extension/settings';

describe('inline completion request', () => {
  const settings = readSettings((key) => ({ 'context.tokens': 256, 'inline.holeTokens': 24 })[key]);

  it('sends the whole document, however long, with the cursor as its hole: the engine cuts it by tokens', () => {
    const text = Array.from({ length: 5000 }, (_, i) => `line ${i}`).join('\n');
    const cursor = text.indexOf('line 2500') + 4;
    const { request, options } = inlineRequest(text, cursor, settings, 'file:///a.py');
    assert.equal(request.text, text);
    assert.deepEqual(request.holes, [{ start: cursor, end: cursor, singleLine: true }]);
    assert.equal(options.contextTokens, 256);
    assert.equal(options.defaultHoleTokens, 24);
    assert.equal(options.reuseKey, 'file:///a.py');
  });

  it('asks for a single line only where code follows the cursor on its line', () => {
    const text = 'def f():\n    return \n';
    assert.equal(inlineRequest(text, text.indexOf(' \n') + 1, settings, 'u').request.holes[0].singleLine, false);
    assert.equal(inlineRequest('f(a, )\n', 5, settings, 'u').request.holes[0].singleLine, true);
  });
});
