import * as assert from 'node:assert/strict';
import { charWindow } from '../../../../src/core/remote/charWindow';

describe("an endpoint's context, in characters", () => {
  it('sends a short document whole, and everything without contextTokens', () => {
    assert.deepEqual(charWindow('abc\nde', 'f\nghi', 1000), { prefix: 'abc\nde', suffix: 'f\nghi' });
    const long = 'x\n'.repeat(10000);
    assert.deepEqual(charWindow(long, long, undefined), { prefix: long, suffix: long });
  });

  it('cuts a long document at whole lines, three quarters before the hole', () => {
    const lines = Array.from({ length: 100 }, (_, i) => `line ${String(i).padStart(2, '0')}`);
    const text = lines.join('\n');
    const cursor = text.indexOf('line 50') + 4;
    const { prefix, suffix } = charWindow(text.slice(0, cursor), text.slice(cursor), 50);
    assert.ok(prefix.length + suffix.length <= 200, `${prefix.length + suffix.length} characters`);
    assert.ok(text.slice(0, cursor).endsWith(prefix) && text.slice(cursor).startsWith(suffix));
    assert.equal(text[cursor - prefix.length - 1], '\n', 'starts on a whole line');
    assert.equal(text[cursor + suffix.length], '\n', 'ends on a whole line');
    assert.ok(prefix.length > suffix.length, 'more context before the hole than after');
  });
});
