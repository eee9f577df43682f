import * as assert from 'node:assert/strict';
import { GenerationStats, ResultEvent } from '../../../src/core';
import { statusView, unfinished, verdictEnd } from '../../../src/extension/statusView';

const READY = { kind: 'ready', info: { name: 'tiny', layout: 'dream', device: 'cpu', maxContext: 256 } } as const;
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
  it('with completions turned off or snoozed: says which in words, with an icon of its own for each', () => {
    const snoozed = statusView({ state: READY, lastStats: STATS, inlineOff: { why: 'snoozed', until: '21:45' } });
    assert.equal(snoozed.text, '$(bell-slash) Diffusion: snoozed');
    assert.match(snoozed.tooltip, /inline completions are snoozed until 21:45; click for the menu/);
    const disabled = statusView({ state: READY, inlineOff: { why: 'disabled' } });
    assert.equal(disabled.text, '$(circle-slash) Diffusion: off');
    assert.notEqual(icon(snoozed.text), icon(disabled.text), 'snoozed and disabled look different');
    assert.match(statusView({ state: READY, inlineOff: { why: 'language', language: 'go' } }).tooltip, /off for go \(diffusionInfill\.languages\)/);
    assert.equal(statusView({ state: { kind: 'error', message: 'no model' }, inlineOff: { why: 'disabled' } }).background, 'error', 'an error still shows');
  });

  it('keeps one width while a generation runs and after it: the counters and times are in the tooltip', () => {
    const texts = new Set([1, 9, 10, 24].map((k) => statusView({ state: READY, step: { k, n: 24 } }).text));
    assert.equal(texts.size, 1, `one text for every step: ${[...texts].join(' | ')}`);
    assert.match(statusView({ state: READY, step: { k: 9, n: 24 } }).tooltip, /step 9 of 24/);
    const done = statusView({ state: READY, lastStats: STATS });
    assert.equal(done.text, '$(check) Diffusion');
    assert.doesNotMatch(done.text, /\d/);
    assert.match(done.tooltip, /last: 8 steps, 12 tokens, 883 ms/);
    assert.equal(done.background, undefined);
  });

  it("after a failed generation: a warning with the reason, not a tick and the last run's time", () => {
    const view = statusView({
      state: READY,
      lastStats: STATS,
      lastEnd: { status: 'failed', message: 'cannot reach http://127.0.0.1:9/v1/infill: ECONNREFUSED' },
    });
    assert.equal(view.text, '$(warning) Diffusion: failed');
    assert.match(view.tooltip, /the last generation failed: cannot reach .*ECONNREFUSED/);
    assert.equal(view.background, 'warning');
  });

  it('after a cancel: no time from an earlier run', () => {
    const view = statusView({ state: READY, lastStats: STATS, lastEnd: { status: 'cancelled' } });
    assert.equal(view.text, '$(check) Diffusion');
    assert.match(view.tooltip, /the last generation was cancelled/);
    assert.doesNotMatch(view.tooltip, /883/);
  });

  it('says in words why the last pause showed nothing: unsure (held back) or no fill', () => {
    const heldBack = statusView({ state: READY, lastStats: STATS, lastEnd: verdictEnd({ kind: 'heldBack', confidence: 0.21, floor: 0.3 }) });
    assert.equal(heldBack.text, '$(eye-closed) Diffusion: unsure');
    assert.match(
      heldBack.tooltip,
      /held back because the model was unsure of it: confidence 0\.21 under 0\.3 \(diffusionInfill\.inline\.minConfidence\)\. Alt\+\\ shows it/,
    );
    const empty = statusView({ state: READY, lastStats: STATS, lastEnd: verdictEnd({ kind: 'empty' }) });
    assert.equal(empty.text, '$(dash) Diffusion: no fill');
    assert.match(empty.tooltip, /wrote nothing to add/);
    const shownUnsure = statusView({ state: READY, lastEnd: verdictEnd({ kind: 'shown', fill: 'x', confidence: 0.1, floor: 0.3, unsure: true }) });
    assert.equal(shownUnsure.text, '$(question) Diffusion: unsure', 'a fill shown on request under the floor is marked unsure');
    assert.equal(verdictEnd({ kind: 'shown', fill: 'x', confidence: 0.9, floor: 0.3, unsure: false }), undefined, 'a sure fill: the timings');
  });

  it('a finished generation leaves only a cancel or a failure to say; a result is for the verdict', () => {
    const result: ResultEvent = { type: 'result', text: 'x = 1', holes: [{ text: '1', confidence: 0.21, heldBack: true }], stats: STATS };
    assert.equal(unfinished({ status: 'done', result }), undefined);
    assert.deepEqual(unfinished({ status: 'cancelled' }), { status: 'cancelled' });
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

function icon(text: string): string {
  return /^\$\(([\w~-]+)\)/.exec(text)?.[1] ?? '';
}
