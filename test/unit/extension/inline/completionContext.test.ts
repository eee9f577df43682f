import * as assert from 'node:assert/strict';
import { completionWindow } from '../../../../src/extension/inline/completionContext';

describe('inline completion window', () => {
  it('sends a short document whole', () => {
    const w = completionWindow('abc\ndef', 5, 1000);
    assert.deepEqual(w, { text: 'abc\ndef', cursor: 5, start: 0 });
  });

  it('cuts a long document at whole lines, mostly before the cursor', () => {
    const lines = Array.from({ length: 100 }, (_, i) => `line ${String(i).padStart(2, '0')}`);
    const text = lines.join('\n');
    const cursor = text.indexOf('line 50') + 4;
    const w = completionWindow(text, cursor, 200);
    assert.ok(w.text.length <= 200);
    assert.equal(w.text.slice(w.cursor), text.slice(cursor, cursor + (w.text.length - w.cursor)), 'the cursor maps back to the document');
    assert.equal(text.slice(w.start, w.start + w.text.length), w.text);
    assert.ok(w.text.startsWith('line '), 'starts on a whole line');
    assert.ok(w.cursor > w.text.length - w.cursor, 'more context before the cursor than after');
  });
});
