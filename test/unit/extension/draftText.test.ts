import * as assert from 'node:assert/strict';
import { draftAsOneLine } from '../../../src/extension/draftText';

describe('drafts as decoration text', () => {
  it('shows line breaks as a return sign and keeps the mask placeholders', () => {
    assert.equal(draftAsOneLine('if (x) {\n\treturn ░░;\n}'), 'if (x) { ⏎   return ░░; ⏎ }');
  });

  it('cuts a long draft with an ellipsis', () => {
    const line = draftAsOneLine('x'.repeat(1000), 10);
    assert.equal(line.length, 10);
    assert.ok(line.endsWith('…'));
  });
});
