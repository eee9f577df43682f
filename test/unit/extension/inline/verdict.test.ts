import * as assert from 'node:assert/strict';
import { inlineVerdict, verdictWords } from '../../../../src/extension/inline/verdict';

const keep = (text: string) => (text.trim() === '' ? undefined : text);

describe("an inline pause's verdict", () => {
  it('holds back an automatic fill under the floor, and shows the same fill asked for (Alt+\\), marked unsure', () => {
    const hole = { text: 'a + b', confidence: 0.12 };
    assert.deepEqual(inlineVerdict(hole, keep, 0.3, false), { kind: 'heldBack', confidence: 0.12, floor: 0.3 });
    assert.deepEqual(inlineVerdict(hole, keep, 0.3, true), { kind: 'shown', fill: 'a + b', confidence: 0.12, floor: 0.3, unsure: true });
  });

  it('shows a fill over the floor, or from an engine that cannot tell, without doubt', () => {
    assert.equal(inlineVerdict({ text: 'x', confidence: 0.8 }, keep, 0.3, false).kind, 'shown');
    const fim = inlineVerdict({ text: 'x' }, keep, 0.3, false);
    assert.ok(fim.kind === 'shown' && !fim.unsure);
  });

  it('says "empty" for a fill that cleans up to nothing, sure or not: there is nothing Alt+\\ could show', () => {
    assert.deepEqual(inlineVerdict({ text: '  ', confidence: 0.1 }, keep, 0.3, false), { kind: 'empty' });
    assert.deepEqual(inlineVerdict(undefined, keep, 0.3, true), { kind: 'empty' });
  });

  it('puts shown completions in the log as well as held-back ones', () => {
    assert.match(verdictWords({ kind: 'shown', fill: 'a + b', confidence: 0.8, floor: 0.3, unsure: false }), /^shown, confidence 0\.80: "a \+ b"/);
    assert.match(verdictWords({ kind: 'shown', fill: 'a', confidence: 0.1, floor: 0.3, unsure: true }), /^shown marked unsure/);
    assert.match(verdictWords({ kind: 'heldBack', confidence: 0.1, floor: 0.3 }), /^held back: confidence 0\.10/);
  });
});
