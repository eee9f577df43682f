import * as assert from 'node:assert/strict';
import { inlineVerdict, verdictWords } from '../../../../src/extension/inline/verdict';

describe("an inline pause's verdict", () => {
  it('holds back an automatic fill the result held back, and shows the same fill asked for (Alt+\\), marked unsure', () => {
    const hole = { text: 'a + b', confidence: 0.12, heldBack: true };
    assert.deepEqual(inlineVerdict(hole, 0.3, false), { kind: 'heldBack', confidence: 0.12, floor: 0.3 });
    assert.deepEqual(inlineVerdict(hole, 0.3, true), { kind: 'shown', fill: 'a + b', confidence: 0.12, floor: 0.3, unsure: true });
  });

  it('shows a fill the result did not hold back, or from an engine that cannot tell, without doubt', () => {
    const sure = inlineVerdict({ text: 'x', confidence: 0.8, heldBack: false }, 0.3, false);
    assert.deepEqual(sure, { kind: 'shown', fill: 'x', confidence: 0.8, floor: 0.3, unsure: false });
    const fim = inlineVerdict({ text: 'x', heldBack: false }, 0.3, false);
    assert.ok(fim.kind === 'shown' && !fim.unsure);
  });

  it('says "empty" for a blank fill, held back or not: there is nothing Alt+\\ could show', () => {
    assert.deepEqual(inlineVerdict({ text: '  ', confidence: 0.1, heldBack: true }, 0.3, false), { kind: 'empty' });
    assert.deepEqual(inlineVerdict({ text: '', heldBack: false }, 0.3, true), { kind: 'empty' });
    assert.deepEqual(inlineVerdict(undefined, 0.3, true), { kind: 'empty' });
  });

  it('puts shown completions in the log as well as held-back ones', () => {
    assert.match(verdictWords({ kind: 'shown', fill: 'a + b', confidence: 0.8, floor: 0.3, unsure: false }), /^shown, confidence 0\.80: "a \+ b"/);
    assert.match(verdictWords({ kind: 'shown', fill: 'a', confidence: 0.1, floor: 0.3, unsure: true }), /^shown marked unsure/);
    assert.match(verdictWords({ kind: 'heldBack', confidence: 0.1, floor: 0.3 }), /^held back: confidence 0\.10/);
  });
});
