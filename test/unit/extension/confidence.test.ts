import * as assert from 'node:assert/strict';
import { confidenceWords, resultConfidence } from '../../../src/extension/confidence';
import { resultMessage } from '../../../src/extension/panel/panelMessages';
import { inlineVerdict, verdictWords } from '../../../src/extension/inline/verdict';

const STATS = { model: 'm', device: 'cpu', steps: 1, canvasTokens: 1, maskedTokens: 1, elapsedMs: 1, msPerStep: 1, tokensPerStep: 1, seed: 0 };

describe('the confidence shown for a result', () => {
  it('is one figure, the least sure hole, wherever it is shown: the panel, the log, the inline floor', () => {
    const holes = [
      { text: 'a', confidence: 0.91, heldBack: false },
      { text: '', confidence: 0.34, heldBack: false },
      { text: 'c', heldBack: false },
    ];
    assert.equal(resultConfidence(holes), 0.34);
    const panel = resultMessage(1, { type: 'result', text: '', holes, stats: STATS });
    assert.ok(panel.type === 'result' && panel.confidence === 0.34, 'the Drafts panel shows the same figure');
    const verdict = inlineVerdict({ text: 'x', confidence: 0.34, heldBack: false }, 0.3, false);
    assert.match(verdictWords(verdict), new RegExp(confidenceWords(resultConfidence([{ text: 'x', confidence: 0.34 }]))));
  });

  it('is unknown, not 0 or 1, where the engine cannot tell', () => {
    assert.equal(resultConfidence([{ text: 'a' }]), undefined);
    assert.equal(confidenceWords(undefined), 'confidence unknown');
    assert.equal(confidenceWords(0.5), 'confidence 0.50');
  });
});
