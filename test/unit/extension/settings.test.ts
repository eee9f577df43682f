import * as assert from 'node:assert/strict';
import { languageEnabled, readSettings } from '../../../src/extension/settings';

describe('extension settings', () => {
  it('defaults to the bundled model, decoration drafts and every language', () => {
    const s = readSettings(() => undefined);
    assert.equal(s.model.source, 'bundled');
    assert.equal(s.model.device, 'cpu');
    assert.equal(s.inline.drafts, 'decoration');
    assert.equal(s.inline.enabled, true);
    assert.equal(s.inline.minConfidence, 0.3);
    assert.deepEqual(s.languages, { '*': true });
    assert.equal(s.sampler.steps, undefined, 'unset sampler fields leave the model default');
  });

  it('reads the values VS Code hands over', () => {
    const values: Record<string, unknown> = {
      'model.source': 'folder',
      'model.folder': ' /models/x ',
      'sampler.steps': 12,
      'sampler.algorithm': 'low_confidence',
      'sampler.threshold': 0.9,
      'context.tokens': 256,
      'sampler.timeLimitSeconds': 20,
      'inline.debounceMs': 100,
      'inline.drafts': 'off',
      languages: { '*': false, python: true },
    };
    const s = readSettings((k) => values[k]);
    assert.equal(s.model.source, 'folder');
    assert.equal(s.model.folder, '/models/x');
    assert.deepEqual(
      {
        steps: s.sampler.steps,
        alg: s.sampler.alg,
        threshold: s.sampler.threshold,
        contextTokens: s.sampler.contextTokens,
        timeLimitSeconds: s.sampler.timeLimitSeconds,
      },
      { steps: 12, alg: 'low_confidence', threshold: 0.9, contextTokens: 256, timeLimitSeconds: 20 },
    );
    assert.equal(s.inline.debounceMs, 100);
    assert.equal(s.inline.drafts, 'off');
    assert.equal(languageEnabled(s.languages, 'python'), true);
    assert.equal(languageEnabled(s.languages, 'rust'), false);
  });

  it('falls back to the default for a value of the wrong type instead of failing', () => {
    const values: Record<string, unknown> = { 'model.source': 'cloud', 'sampler.steps': 'many', 'inline.debounceMs': -5, languages: ['js'] };
    const s = readSettings((k) => values[k]);
    assert.equal(s.model.source, 'bundled');
    assert.equal(s.sampler.steps, undefined);
    assert.equal(s.inline.debounceMs, 0, 'clamped into range');
    assert.deepEqual(s.languages, { '*': true });
  });

  it('reads the source "remote", the old name of "server", as "server"', () => {
    assert.equal(readSettings((k) => (k === 'model.source' ? 'remote' : undefined)).model.source, 'server');
    assert.equal(readSettings((k) => (k === 'model.source' ? 'server' : undefined)).model.source, 'server');
  });
});
