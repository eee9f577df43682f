import * as assert from 'node:assert/strict';
import { GenerationStats, ResultEvent } from '../../../src/core';
import { statusView, unfinished } from '../../../src/extension/statusView';

const READY = { kind: 'ready', info: { name: 'tiny', family: 'dream', device: 'cpu', maxContext: 256 } } as const;
const STATS: GenerationStats = {
  model: 'tiny',
  device: 'cpu',
  steps: 8,
  canvasTokens: 40,
  maskedTokens: 12,
  elapsedMs: 883,
  msPerStep: 110,
  tokensPerStep: 1.5,
  seed: 0,
};

describe('the status bar view', () => {
  it('with completions turned off or snoozed: a slashed circle and the reason, before the last timings', () => {
    const view = statusView({ state: READY, lastStats: STATS, inlineOff: 'snoozed until 21:45' });
    assert.equal(view.text, '$(circle-slash) Diffusion');
    assert.match(view.tooltip, /inline completions are off: snoozed until 21:45; click for the menu/);
    assert.equal(statusView({ state: { kind: 'error', message: 'no model' }, inlineOff: 'disabled' }).background, 'error', 'an error still shows');
  });

  it('after a finished generation: a tick with its time', () => {
    const view = statusView({ state: READY, lastStats: STATS });
    assert.equal(view.text, '$(check) Diffusion 883 ms');
    assert.match(view.tooltip, /last: 8 steps, 12 tokens, 883 ms/);
    assert.equal(view.background, undefined);
  });

  it("after a failed generation: a warning with the reason, not a tick and the last run's time", () => {
    const view = statusView({
      state: READY,
      lastStats: STATS,
      lastEnd: { status: 'failed', message: 'cannot reach http://127.0.0.1:9/v1/infill: ECONNREFUSED' },
    });
    assert.equal(view.text, '$(warning) Diffusion');
    assert.match(view.tooltip, /the last generation failed: cannot reach .*ECONNREFUSED/);
    assert.equal(view.background, 'warning');
  });

  it('after a cancel: no time from an earlier run', () => {
    const view = statusView({ state: READY, lastStats: STATS, lastEnd: { status: 'cancelled' } });
    assert.equal(view.text, '$(check) Diffusion');
    assert.match(view.tooltip, /the last generation was cancelled/);
    assert.doesNotMatch(view.tooltip, /883/);
  });

  it('an inline fill under the confidence floor: held back, and why, in words', () => {
    const result: ResultEvent = { type: 'result', text: 'x = 1', holes: [{ text: '1', confidence: 0.21 }], stats: STATS };
    const end = unfinished('inline', { status: 'done', result }, 0.3);
    assert.deepEqual(end, { status: 'heldBack', confidence: 0.21, floor: 0.3 });
    const view = statusView({ state: READY, lastStats: STATS, lastEnd: end });
    assert.equal(view.text, '$(eye-closed) Diffusion');
    assert.match(view.tooltip, /held back: confidence 0\.21 under 0\.3 \(diffusionInfill\.inline\.minConfidence\)/);
    assert.equal(unfinished('inline', { status: 'done', result }, 0.2), undefined, 'over the floor: offered');
    assert.equal(unfinished('fill', { status: 'done', result }, 0.3), undefined, 'Fill Selection has no floor');
  });

  it('names each state in words (what a screen reader reads), never a codicon', () => {
    for (const input of [
      { state: { kind: 'idle' } },
      { state: { kind: 'loading', source: 'bundled' } },
      { state: { kind: 'error', message: 'no model' } },
      { state: READY },
      { state: READY, step: { k: 2, n: 8 } },
    ] as const) {
      const { tooltip } = statusView(input);
      assert.match(tooltip, /^Diffusion Infill: \w/);
      assert.doesNotMatch(tooltip, /\$\(|circle-outline/);
    }
  });
});
