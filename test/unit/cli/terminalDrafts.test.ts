import * as assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { liveCanvas, progressLines } from '../../../src/cli/terminalDrafts';
import { DraftEvent, parseMarkers } from '../../../src/core';

function draft(step: number, texts: string[]): DraftEvent {
  return { type: 'draft', step, steps: 2, holes: texts.map((text) => ({ text, masked: [...text].filter((c) => c === '░').length })), committed: [] };
}

function capture() {
  const stream = new PassThrough();
  let out = '';
  stream.on('data', (d) => (out += d));
  return { stream, read: () => out };
}

describe('terminal drafts', () => {
  const request = parseMarkers('line 1\nline 2\nx = <|hole|>\ny = <|hole|>\nline 5\n');

  it('redraws the lines around the holes in place, each step over the last', () => {
    const { stream, read } = capture();
    const view = liveCanvas(stream, request.text, request.holes);
    view.draft(draft(1, ['1░░', '░']));
    const first = read();
    assert.match(first, /step 1\/2/);
    assert.match(first, /x = 1\x1b\[2m░\x1b\[22m/);
    view.draft(draft(2, ['123', '4']));
    const second = read().slice(first.length);
    const drawnLines = first.split('\n').length - 1;
    assert.ok(second.startsWith(`\x1b[${drawnLines}F\x1b[J`), 'moves up over the previous drawing and clears it');
    assert.match(second, /x = 123\ny = 4\nline 5/);
    view.done();
    assert.ok(read().endsWith(`\x1b[${drawnLines}F\x1b[J`), 'clears the drawing at the end');
  });

  it('prints one progress line a step when not on a terminal', () => {
    const { stream, read } = capture();
    progressLines(stream).draft(draft(1, ['1░░', '░']));
    assert.equal(read(), 'step 1/2: 0 committed, 3 masked\n');
  });
});
