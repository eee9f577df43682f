import * as assert from 'node:assert/strict';
import { DraftEvent, MASK_PLACEHOLDER, ResultEvent } from '../../../../src/core';
import { makeNonce, panelHtml } from '../../../../src/extension/panel/panelHtml';
import { draftMessage, isFromPanel, PanelSession, resultMessage, startMessage } from '../../../../src/extension/panel/panelMessages';

const draft: DraftEvent = {
  type: 'draft',
  step: 2,
  steps: 4,
  holes: [{ text: 'ab░', masked: 1 }],
  committed: [{ pos: 9, hole: 0, offset: 1, token: 98, text: 'b', confidence: 0.5 }],
};
const result: ResultEvent = {
  type: 'result',
  text: 'x',
  holes: [{ text: 'abc', heldBack: false }],
  stats: { model: 'm', device: 'cpu', steps: 4, canvasTokens: 10, maskedTokens: 3, elapsedMs: 8, msPerStep: 2, tokensPerStep: 0.75, seed: 0 },
};

describe('drafts panel: messages and page', () => {
  it('the start message carries a few lines of context around the holes and shortens long text between them', () => {
    const before = Array.from({ length: 10 }, (_, i) => `line ${i}\n`).join('');
    const between = 'y'.repeat(1000);
    const text = `${before}A${between}B\nafter 1\nafter 2\nafter 3\nafter 4\nafter 5\n`;
    const a = before.length;
    const b = a + 1 + between.length;
    const message = startMessage(
      7,
      'fill',
      {
        text,
        holes: [
          { start: b, end: b + 1 },
          { start: a, end: a + 1 },
        ],
      },
      { name: 'tiny', device: 'cpu' },
    );
    assert.ok(message.type === 'start');
    assert.equal(message.holes, 2);
    assert.equal(message.context.before, 'line 6\nline 7\nline 8\nline 9\n');
    assert.equal(message.context.after, '\nafter 1\nafter 2\nafter 3\n');
    assert.equal(message.context.between.length, 1);
    assert.ok(message.context.between[0].length < 260 && message.context.between[0].includes(' … '));
  });

  it('a draft message tags each commit with its step and drops canvas positions', () => {
    const message = draftMessage(3, draft);
    assert.deepEqual(message, {
      type: 'draft',
      id: 3,
      step: 2,
      steps: 4,
      holes: [{ text: 'ab░', masked: 1 }],
      committed: [{ hole: 0, offset: 1, text: 'b', confidence: 0.5, step: 2 }],
    });
  });

  it('the session replays the last generation only and ignores the messages of the one it replaced', () => {
    const session = new PanelSession();
    assert.deepEqual(session.replay(), [{ type: 'pending', accept: false }]);
    assert.ok(session.record(startMessage(1, 'inline', { text: 'ab', holes: [{ start: 1, end: 1 }] })));
    assert.ok(session.record(draftMessage(1, draft)));
    assert.ok(session.record(startMessage(2, 'refactor', { text: 'ab', holes: [{ start: 1, end: 1 }] })));
    assert.equal(session.record(draftMessage(1, draft)), false, 'a draft of the replaced generation is dropped');
    assert.ok(session.record(draftMessage(2, draft)));
    assert.ok(session.record(resultMessage(2, result)));
    assert.ok(session.record({ type: 'pending', accept: true, label: 'Accept repair' }));
    assert.deepEqual(
      session.replay().map((m) => m.type),
      ['start', 'draft', 'result', 'pending'],
    );
  });

  it("a proposal's decision is replayed with its generation, and forgotten with it", () => {
    const session = new PanelSession();
    assert.equal(session.record({ type: 'decided', decision: 'rejected' }), false, 'no generation on show: nothing to tell');
    session.record(startMessage(3, 'refactor', { text: 'ab', holes: [{ start: 1, end: 1 }] }));
    session.record(resultMessage(3, result));
    assert.ok(session.record({ type: 'decided', decision: 'rejected' }));
    assert.deepEqual(
      session.replay().map((m) => m.type),
      ['start', 'result', 'decided', 'pending'],
    );
    session.record(startMessage(4, 'fill', { text: 'ab', holes: [{ start: 1, end: 1 }] }));
    assert.deepEqual(
      session.replay().map((m) => m.type),
      ['start', 'pending'],
    );
  });

  it('accepts only the three messages the webview sends', () => {
    assert.ok(isFromPanel({ type: 'ready' }) && isFromPanel({ type: 'accept' }) && isFromPanel({ type: 'cancel' }));
    assert.equal(isFromPanel({ type: 'eval' }), false);
    assert.equal(isFromPanel(null), false);
  });

  it('the page allows only its own origin and nonce: no inline or remote script, no inline style', () => {
    const nonce = makeNonce((n) => new Uint8Array(n).map((_, i) => i * 7));
    assert.match(nonce, /^[A-Za-z0-9]{32}$/);
    const html = panelHtml({
      nonce,
      cspSource: 'vscode-webview://abc',
      scriptUri: 'vscode-webview://abc/media/panel.js',
      styleUri: 'vscode-webview://abc/media/panel.css',
    });
    const csp = /http-equiv="Content-Security-Policy" content="([^"]+)"/.exec(html)?.[1] ?? '';
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, new RegExp(`script-src 'nonce-${nonce}'(;|$)`));
    assert.match(csp, /style-src vscode-webview:\/\/abc(;|$)/);
    assert.doesNotMatch(csp, /unsafe-inline|https?:/);
    const scripts = [...html.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)];
    assert.equal(scripts.length, 1);
    assert.match(scripts[0][1], new RegExp(`nonce="${nonce}"`));
    assert.equal(scripts[0][2].trim(), '', 'no inline script body');
    assert.doesNotMatch(html, /<style|style="/);
    assert.doesNotMatch(html, /https?:\/\//);
  });

  it("hands the engine's mask placeholder to the page, which has no copy of its own", () => {
    const html = panelHtml({ nonce: 'n', cspSource: 'c', scriptUri: 's', styleUri: 't' });
    assert.match(html, new RegExp(`<body data-mask="${MASK_PLACEHOLDER}">`));
  });
});
