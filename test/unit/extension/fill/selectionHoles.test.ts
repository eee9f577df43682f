import * as assert from 'node:assert/strict';
import { applyFills, InfillError } from '../../../../src/core';
import { holesFromSelections } from '../../../../src/extension/fill/selectionHoles';

describe('holes of Fill Selection', () => {
  const text = 'a = <|hole|>;\nb = <|hole:4|>;\nc = <|hole|>;\n';

  it('makes every marker inside a selection a hole and removes it from the request', () => {
    const { request, replaces } = holesFromSelections(text, [{ start: 0, end: text.length }]);
    assert.equal(request.text, 'a = ;\nb = ;\nc = ;\n');
    assert.deepEqual(
      request.holes.map((h) => [h.start, h.end, h.tokens]),
      [
        [4, 4, undefined],
        [10, 10, 4],
        [16, 16, undefined],
      ],
    );
    assert.deepEqual(
      replaces.map((r) => text.slice(r.start, r.end)),
      ['<|hole|>', '<|hole:4|>', '<|hole|>'],
    );
  });

  it('leaves markers outside the selections as text', () => {
    const second = text.indexOf('b = ');
    const { request, replaces } = holesFromSelections(text, [{ start: second, end: second + 15 }]);
    assert.equal(replaces.length, 1);
    assert.equal(request.text, 'a = <|hole|>;\nb = ;\nc = <|hole|>;\n');
  });

  it('makes a selection without markers a hole that replaces it, and a cursor a hole that inserts', () => {
    const plain = 'let x = 1;\nlet y = 2;\n';
    const { request, replaces } = holesFromSelections(plain, [
      { start: 19, end: 19 },
      { start: 8, end: 9 },
    ]);
    // Code follows both on their lines (";" and "2;"): single-line holes.
    assert.deepEqual(
      request.holes,
      [
        { start: 8, end: 9, singleLine: true },
        { start: 19, end: 19, singleLine: true },
      ],
      'sorted by position',
    );
    assert.equal(request.text, plain);
    assert.equal(applyFills(request.text, request.holes, ['A', 'B']), 'let x = A;\nlet y = B2;\n');
    assert.deepEqual(replaces, [
      { start: 8, end: 9 },
      { start: 19, end: 19 },
    ]);
  });

  it('a selection of whole lines, or one that ends its line, may be replaced by several lines', () => {
    const plain = 'let x = 1;\nlet y = 2;\n';
    const { request } = holesFromSelections(plain, [
      { start: 0, end: 10 },
      { start: 19, end: 21 },
    ]);
    assert.deepEqual(
      request.holes.map((h) => h.singleLine === true),
      [false, false],
    );
  });

  it('maps holes from several selections with markers to the right document spans', () => {
    const first = { start: 0, end: 13 };
    const third = { start: text.indexOf('c = '), end: text.length };
    const { request, replaces } = holesFromSelections(text, [third, first]);
    const fills = ['1', '3'];
    const filledRequest = applyFills(request.text, request.holes, fills);
    let filledDocument = text;
    for (let i = replaces.length - 1; i >= 0; i--) {
      filledDocument = filledDocument.slice(0, replaces[i].start) + fills[i] + filledDocument.slice(replaces[i].end);
    }
    assert.equal(filledRequest, filledDocument);
    assert.equal(filledDocument, 'a = 1;\nb = <|hole:4|>;\nc = 3;\n');
  });

  it('reports a malformed marker with its line and column', () => {
    assert.throws(
      () => holesFromSelections('x\n<|hole:0|>', [{ start: 0, end: 12 }]),
      (e: Error) => e instanceof InfillError && /2:1/.test(e.message),
    );
  });
});
