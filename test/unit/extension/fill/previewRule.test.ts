import * as assert from 'node:assert/strict';
import { filledSpan, needsPreview, PREVIEW_LINES } from '../../../../src/extension/fill/previewRule';

describe('when Fill Selection asks first (a diff) instead of writing', () => {
  const doc = 'const a = 1;\nconst b = 2;\n';

  it('a selection of the whole document, surrounding blank lines aside, is previewed', () => {
    assert.equal(needsPreview(doc, [{ start: 0, end: doc.length }]), true);
    assert.equal(needsPreview('\n' + doc + '\n\n', [{ start: 1, end: doc.length + 1 }]), true);
  });

  it('a few lines inside a file, a cursor, or a marker are written at once', () => {
    assert.equal(needsPreview(doc, [{ start: 13, end: 25 }]), false);
    assert.equal(needsPreview(doc, [{ start: 0, end: 0 }]), false);
    assert.equal(needsPreview('<|hole|>', [{ start: 0, end: 8 }]), false);
  });

  it(`a selection of ${PREVIEW_LINES} lines or more is previewed`, () => {
    const long = 'x\n'.repeat(100);
    assert.equal(needsPreview(long, [{ start: 2, end: 2 * PREVIEW_LINES }]), true);
    assert.equal(needsPreview(long, [{ start: 2, end: 2 * (PREVIEW_LINES - 2) }]), false);
  });

  it('the proposal spans the holes and keeps every byte between them', () => {
    const text = 'a = ;\nkeep\nb = ;\n';
    const { replace, replacement } = filledSpan(
      text,
      [
        { start: 15, end: 15 },
        { start: 4, end: 4 },
      ],
      ['2', '1'],
    );
    assert.deepEqual(replace, { start: 4, end: 15 });
    assert.equal(text.slice(0, replace.start) + replacement + text.slice(replace.end), 'a = 1;\nkeep\nb = 2;\n');
  });
});
