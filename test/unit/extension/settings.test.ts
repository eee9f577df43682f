import * as assert from 'node:assert/strict';
import { languageEnabled, readSettings } from '../../../src/extension/settings';

describe('extension settings', () => {
  it('defaults to the bundled model, decoration drafts and every language', () => {
    const s = readSettings(() => undefined);
    assert.equal(s.model.source, 'bundled');
    assert.equal(s.model.device, 'cpu');
    assert.equal(s.inline.drafts, 'decoration');
    assert.equal(s.inline.enabled, true);
    assert.equal(s.sampler.minConfidence, undefined, 'unset outside VS Code: the engine holds back nothing; VS Code hands over the contributed 0.3');
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
      'inline.minConfidence': 0.45,
      languages: { '*': false, python: true },
    };
    const s = readSettings((k) => values[k]);
    assert.equal(s.model.source, 'folder');
    assert.deepEqual(s.model.values, { folder: '/models/x' });
    assert.deepEqual(
      {
        steps: s.sampler.steps,
        alg: s.sampler.alg,
        threshold: s.sampler.threshold,
        contextTokens: s.sampler.contextTokens,
        timeLimitSeconds: s.sampler.timeLimitSeconds,
        minConfidence: s.sampler.minConfidence,
      },
      { steps: 12, alg: 'low_confidence', threshold: 0.9, contextTokens: 256, timeLimitSeconds: 20, minConfidence: 0.45 },
    );
    assert.equal(s.inline.debounceMs, 100);
    assert.equal(s.inline.drafts, 'off');
    assert.equal(languageEnabled(s.languages, 'python'), true);
    assert.equal(languageEnabled(s.languages, 'rust'), false);
  });

  it("reads each remote source's own settings, and the shared ones an earlier version wrote while its own are empty", () => {
    const chat = readSettings((k) => ({ 'model.source': 'openai-chat', 'model.openaiChat.url': 'http://team:30000/v1', 'model.openaiChat.model': 'llada' })[k]);
    assert.deepEqual(chat.model.values, { url: 'http://team:30000/v1', model: 'llada' });
    const legacy = readSettings(
      (k) => ({ 'model.source': 'openai-fim', 'model.remoteUrl': 'https://api/v1', 'model.remoteModel': 'mercury-coder', 'model.remoteDiffusing': true })[k],
    );
    assert.deepEqual(legacy.model.values, { url: 'https://api/v1', model: 'mercury-coder', diffusing: true });
    const server = readSettings((k) => ({ 'model.source': 'remote', 'model.server.url': 'http://gpu:8797', 'model.openaiChat.url': 'http://other' })[k]);
    assert.deepEqual(
      [server.model.source, server.model.values],
      ['server', { url: 'http://gpu:8797' }],
      "one URL per source: the chat URL is not the server's",
    );
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
