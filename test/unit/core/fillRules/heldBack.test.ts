import * as assert from 'node:assert/strict';
import { isHeldBack } from '../../../../src/core/fillRules';
import { resultEvent } from '../../../../src/core/result';

const FIGURES = { model: 'm', device: 'cpu', steps: 1, canvasTokens: 1, maskedTokens: 1, seed: 0, started: 0 };

describe('fill rule: held back under the confidence floor', () => {
  it('holds back a fill the model was less sure of than the floor, and nothing at 0', () => {
    assert.equal(isHeldBack(0.29, 0.3), true);
    assert.equal(isHeldBack(0.3, 0.3), false);
    assert.equal(isHeldBack(0.31, 0.3), false);
    assert.equal(isHeldBack(0.01, 0), false, '0 holds back nothing');
  });

  it('never holds back a fill an engine cannot score (a fill-in-the-middle endpoint)', () => {
    assert.equal(isHeldBack(undefined, 0.9), false);
  });

  it("judges each hole of a result against the request's minConfidence, none when it gives none", () => {
    const document = {
      text: 'a = \nb = \n',
      holes: [
        { start: 4, end: 4 },
        { start: 9, end: 9 },
      ],
    };
    const fills = [
      { text: '1', confidence: 0.2 },
      { text: '2', confidence: 0.8 },
    ];
    assert.deepEqual(
      resultEvent({ ...document, minConfidence: 0.3 }, fills, FIGURES).holes.map((h) => h.heldBack),
      [true, false],
    );
    assert.deepEqual(
      resultEvent(document, fills, FIGURES).holes.map((h) => h.heldBack),
      [false, false],
    );
  });
});
