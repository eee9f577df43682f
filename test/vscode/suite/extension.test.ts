import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { applyFills, codeFollowsOnLine, parseMarkers } from '../../../src/core';
import { cleanFill } from '../../../src/core/fillRules';
import type { DiffusionInfillApi } from '../../../src/extension/extension';
import { FillOutcome } from '../../../src/extension/fill/fillSelection';
import type { InlineVerdict } from '../../../src/extension/inline/verdict';
import { extensionApi, onFirstDraft, openEditor, recordEvents, selectionAt, setEditorInlineSuggest, setSetting, useFixtureModel } from './helpers';
import { statusItemSays } from './page';

const INVOKED: vscode.InlineCompletionContext = { triggerKind: vscode.InlineCompletionTriggerKind.Invoke, selectedCompletionInfo: undefined };
const AUTOMATIC: vscode.InlineCompletionContext = { triggerKind: vscode.InlineCompletionTriggerKind.Automatic, selectedCompletionInfo: undefined };

const THREE_HOLES = 'function add(a, b) {\n  return <|hole|>;\n}\nconst x = <|hole:6|>;\n// <|hole|>\n';
/** Enough masked tokens and steps that an edit or a cancel lands while the model still works. */
const LONG_HOLE = 'const table = [\n  <|hole:200|>\n];\n';

/** An editor whose inline completion takes long enough (200 tokens, 200 steps) to be interrupted; the cursor at its end. */
async function longInlineAtEnd(): Promise<{ editor: vscode.TextEditor; position: vscode.Position; content: string }> {
  await setSetting('sampler.steps', 200);
  await setSetting('inline.holeTokens', 200);
  const content = 'const table = [\n  ';
  const editor = await openEditor(content);
  const position = editor.document.positionAt(content.length);
  editor.selection = new vscode.Selection(position, position);
  return { editor, position, content };
}

describe('Diffusion Infill in a real VS Code', () => {
  let api: DiffusionInfillApi;

  before(async () => {
    api = await extensionApi();
    await useFixtureModel();
    // The fixture's random fills seldom parse: the syntax check has tests of its own (syntaxGate.test.ts).
    await setSetting('syntaxCheck', false);
    await setSetting('inline.debounceMs', 0);
    // The fixture is a random network, sure of nothing: its fills are offered all the same.
    await setSetting('inline.minConfidence', 0);
    // The tests call the inline provider themselves; VS Code's own requests would start
    // generations of their own and cancel the ones under test.
    await setEditorInlineSuggest(false);
  });

  after(async () => {
    await setEditorInlineSuggest(undefined);
  });

  afterEach(async () => {
    api.generations.cancel();
    await setSetting('sampler.steps', undefined);
    // Edited files are dirty: revert them, or closing would wait on a "save?" dialog.
    for (let i = 0; i < 20 && vscode.window.activeTextEditor; i++) {
      await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
    }
  });

  it('Fill Selection fills the three holes of a selection in one generation and one undo step', async () => {
    const editor = await openEditor(THREE_HOLES);
    editor.selection = selectionAt(editor, 0, THREE_HOLES.length);
    const recorder = recordEvents(api, 'fill');
    const outcome = await vscode.commands.executeCommand<FillOutcome>('diffusionInfill.fillSelection');
    recorder.stop();

    assert.equal(outcome.status, 'applied');
    assert.ok(outcome.status === 'applied');
    assert.equal(outcome.fills.length, 3);
    const generationIds = new Set(recorder.events.map((e) => e.id));
    assert.equal(generationIds.size, 1, 'all holes come from one generation');
    assert.ok(
      recorder.events.some((e) => e.event.type === 'draft' && e.event.holes.length === 3),
      'each draft has the three holes',
    );
    const { text, holes } = parseMarkers(THREE_HOLES);
    assert.equal(editor.document.getText(), applyFills(text, holes, outcome.fills));

    await vscode.commands.executeCommand('undo');
    assert.equal(editor.document.getText(), THREE_HOLES, 'one undo restores the text with its markers');
  });

  it('Fill Selection makes each cursor of a multi-cursor a hole', async () => {
    const content = 'let a = ;\nlet b = ;\nlet c = ;\n';
    const editor = await openEditor(content);
    const cursors = [8, 18, 28];
    editor.selections = cursors.map((at) => selectionAt(editor, at));
    const outcome = await vscode.commands.executeCommand<FillOutcome>('diffusionInfill.fillSelection');
    assert.ok(outcome.status === 'applied', `status ${outcome.status}`);
    assert.equal(outcome.fills.length, 3);
    assert.equal(
      editor.document.getText(),
      applyFills(
        content,
        cursors.map((at) => ({ start: at, end: at })),
        outcome.fills,
      ),
    );
  });

  it('an edit made during a generation makes Fill Selection write nothing', async () => {
    await setSetting('sampler.steps', 200);
    const editor = await openEditor(LONG_HOLE);
    editor.selection = selectionAt(editor, 0, LONG_HOLE.length);
    const typed = onFirstDraft(api, 'fill', () => editor.edit((b) => b.insert(new vscode.Position(0, 0), '// typed meanwhile\n')));
    const outcome = await vscode.commands.executeCommand<FillOutcome>('diffusionInfill.fillSelection');
    await typed;

    assert.equal(outcome.status, 'stale');
    assert.equal(editor.document.getText(), '// typed meanwhile\n' + LONG_HOLE, 'only the user edit is in the document');
  });

  it('Cancel Generation stops a Fill Selection and leaves the document untouched', async () => {
    await setSetting('sampler.steps', 200);
    const editor = await openEditor(LONG_HOLE);
    editor.selection = selectionAt(editor, 0, LONG_HOLE.length);
    const version = editor.document.version;
    const cancelled = onFirstDraft(api, 'fill', () => vscode.commands.executeCommand('diffusionInfill.cancel'));
    const outcome = await vscode.commands.executeCommand<FillOutcome>('diffusionInfill.fillSelection');
    await cancelled;

    assert.equal(outcome.status, 'cancelled');
    assert.equal(editor.document.getText(), LONG_HOLE);
    assert.equal(editor.document.version, version);
    assert.equal(api.generations.running, undefined);
  });

  it('closing the editor during a Fill Selection writes nothing and says so, with the fill kept (not a bare "command failed")', async () => {
    await setSetting('sampler.steps', 200);
    const editor = await openEditor(LONG_HOLE);
    const uri = editor.document.uri;
    editor.selection = selectionAt(editor, 0, LONG_HOLE.length);
    const closed = onFirstDraft(api, 'fill', async () => {
      await vscode.window.showTextDocument(editor.document);
      await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
    });
    const outcome = await vscode.commands.executeCommand<FillOutcome>('diffusionInfill.fillSelection');
    await closed;

    assert.equal(outcome.status, 'closed');
    assert.ok(outcome.status === 'closed' && outcome.fills.length === 1 && outcome.fills[0].length > 0, 'the fill comes back to be copied');
    const reopened = await vscode.workspace.openTextDocument(uri);
    assert.equal(reopened.getText(), LONG_HOLE, 'nothing was written into the closed document');
    assert.equal(reopened.isDirty, false);
  });

  it('switching tabs during a Fill Selection still fills its document, in one undo step', async () => {
    await setSetting('sampler.steps', 40);
    const editor = await openEditor(LONG_HOLE);
    // Kept open (not a preview tab, which the next file opened would take the place of).
    await vscode.commands.executeCommand('workbench.action.keepEditor');
    const document = editor.document;
    editor.selection = selectionAt(editor, 0, LONG_HOLE.length);
    const switched = onFirstDraft(api, 'fill', () => openEditor('// another file\n'));
    const outcome = await vscode.commands.executeCommand<FillOutcome>('diffusionInfill.fillSelection');
    await switched;

    assert.ok(outcome.status === 'applied', `status ${outcome.status}`);
    const { text, holes } = parseMarkers(LONG_HOLE);
    assert.equal(document.getText(), applyFills(text, holes, outcome.fills));
    await vscode.window.showTextDocument(document);
    await vscode.commands.executeCommand('undo');
    assert.equal(document.getText(), LONG_HOLE, 'one undo restores it');
  });

  it('the inline provider offers the final draft, and the cache answers a second request', async () => {
    const content = 'function add(a, b) {\n  return ';
    const editor = await openEditor(content);
    const position = editor.document.positionAt(content.length);
    editor.selection = new vscode.Selection(position, position);
    const recorder = recordEvents(api, 'inline');
    const context: vscode.InlineCompletionContext = { triggerKind: vscode.InlineCompletionTriggerKind.Invoke, selectedCompletionInfo: undefined };
    const items = await api.inline.provideInlineCompletionItems(editor.document, position, context, new vscode.CancellationTokenSource().token);
    recorder.stop();

    const drafts = recorder.events.flatMap((e) => (e.event.type === 'draft' ? [e.event] : []));
    assert.ok(drafts.length > 1, 'drafts were broadcast step by step');
    const finalDraft = drafts[drafts.length - 1].holes[0];
    assert.equal(finalDraft.masked, 0, 'the last draft has no masked positions left');
    // The result's fill is the last draft through the fill rules, which run in the engine.
    const hole = { start: content.length, end: content.length, singleLine: codeFollowsOnLine(content, content.length) };
    const expected = cleanFill(finalDraft.text, hole, content);
    assert.ok(expected.trim() !== '', 'the fixture model writes something at this place');
    assert.equal(items?.length, 1);
    assert.equal(items?.[0].insertText, expected);

    const again = recordEvents(api, 'inline');
    const cached = await api.inline.provideInlineCompletionItems(editor.document, position, context, new vscode.CancellationTokenSource().token);
    again.stop();
    assert.equal(cached?.[0].insertText, expected);
    assert.equal(again.events.length, 0, 'no generation for a cached place');
  });

  it("reads the cursor's canvas when a file comes into view, once per window, and never as a generation", async () => {
    api.models.reset(); // the first file in view opens the model
    const prefills: string[] = [];
    const starts: string[] = [];
    const subscriptions = [api.prefill.onDidPrefill((e) => prefills.push(e.uri)), api.generations.onDidStart((g) => starts.push(g.kind))];
    const waitFor = async (count: number) => {
      for (let i = 0; i < 100 && prefills.length < count; i++) await new Promise((r) => setTimeout(r, 50));
    };
    try {
      const content = 'function area(w, h) {\n  return w * h;\n}\n\nfunction perimeter(w, h) {\n  return ';
      const editor = await openEditor(content);
      await waitFor(1);
      assert.deepEqual(prefills, [editor.document.uri.toString()], 'the new editor was read once');
      assert.equal(api.models.state.kind, 'ready');
      // The cursor moved within the window read: nothing to read again.
      editor.selection = selectionAt(editor, 10, 10);
      await new Promise((r) => setTimeout(r, 1500));
      assert.equal(prefills.length, 1);
      const other = await openEditor('const total = items.reduce((a, b) => a + b, 0);\n');
      await waitFor(2);
      assert.deepEqual(prefills, [editor.document.uri.toString(), other.document.uri.toString()]);
      assert.deepEqual(starts, [], 'no generation started: the panel and the status bar see nothing');
    } finally {
      subscriptions.forEach((s) => s.dispose());
    }
  });

  it('reads nothing ahead in a language turned off', async () => {
    await api.models.engine();
    await setSetting('languages', { '*': true, javascript: false });
    const prefills: string[] = [];
    const subscription = api.prefill.onDidPrefill((e) => prefills.push(e.uri));
    try {
      await openEditor('const x = 1;\nconst y = ');
      await new Promise((r) => setTimeout(r, 1500));
      assert.deepEqual(prefills, []);
    } finally {
      subscription.dispose();
      await setSetting('languages', undefined);
    }
  });

  it('holds back an automatic completion the model was unsure of, says so in words, and Alt+\\ shows it marked unsure', async () => {
    await setSetting('inline.minConfidence', 0.99);
    try {
      const content = 'function sub(a, b) {\n  return ';
      const editor = await openEditor(content);
      const position = editor.document.positionAt(content.length);
      editor.selection = new vscode.Selection(position, position);
      const ends: string[] = [];
      const verdicts: InlineVerdict[] = [];
      const subscriptions = [
        api.generations.onDidEnd((e) => e.kind === 'inline' && ends.push(e.outcome.status)),
        api.inline.onDidDecide((v) => verdicts.push(v)),
      ];
      const token = () => new vscode.CancellationTokenSource().token;
      const automatic = await api.inline.provideInlineCompletionItems(editor.document, position, AUTOMATIC, token());
      assert.deepEqual(ends, ['done'], 'the generation ran to its end');
      assert.equal(automatic, undefined, 'and its fill was not offered unasked');
      assert.equal(verdicts[0]?.kind, 'heldBack');
      await statusItemSays(/Diffusion: unsure/, /held back because the model was unsure of it: confidence 0\.\d\d under 0\.99/);

      const asked = await api.inline.provideInlineCompletionItems(editor.document, position, INVOKED, token());
      subscriptions.forEach((s) => s.dispose());
      assert.equal(asked?.length, 1, 'asked for, the same fill is shown');
      const shown = verdicts.at(-1);
      assert.ok(shown?.kind === 'shown' && shown.unsure, `shown and marked unsure: ${JSON.stringify(shown)}`);
      // The same word, another tooltip (and icon): shown on request, not held back.
      await statusItemSays(/Diffusion: unsure/, /asked for with Alt\+\\ and the model is unsure of it/);
      const again = await api.inline.provideInlineCompletionItems(editor.document, position, AUTOMATIC, token());
      assert.equal(again, undefined, 'an unsure fill is not shown unasked from the cache either');
    } finally {
      await setSetting('inline.minConfidence', 0);
    }
  });

  it('Alt+\\ made while the model loads waits for it, even when VS Code drops the request meanwhile', async () => {
    const content = 'function twice(x) {\n  return ';
    const editor = await openEditor(content);
    const position = editor.document.positionAt(content.length);
    editor.selection = new vscode.Selection(position, position);
    api.models.reset();
    const source = new vscode.CancellationTokenSource();
    const recorder = recordEvents(api, 'inline');
    const request = api.inline.provideInlineCompletionItems(editor.document, position, INVOKED, source.token);
    assert.equal(api.models.state.kind, 'loading');
    // VS Code cancels an inline request for reasons of its own (a re-render, another provider); the user did not move.
    source.cancel();
    await request;
    recorder.stop();
    assert.ok(
      recorder.events.some((e) => e.event.type === 'result'),
      'the generation ran once the model had loaded',
    );
    const shown = await api.inline.provideInlineCompletionItems(editor.document, position, INVOKED, new vscode.CancellationTokenSource().token);
    assert.equal(shown?.length, 1, 'and its fill is there when VS Code asks again');
  });

  it("clears an inline draft at the keystroke that makes it stale, and draws none of that generation's after", async () => {
    try {
      const { editor, position } = await longInlineAtEnd();
      let drawsAtEdit = -1;
      let visibleAtEdit: boolean | undefined;
      const typed = onFirstDraft(api, 'inline', async () => {
        // Once drawn, the draft is there until the edit...
        await new Promise((r) => setTimeout(r, 50));
        assert.ok(api.inline.drafts.visible, 'a draft is drawn');
        const seen = vscode.workspace.onDidChangeTextDocument((e) => {
          if (e.document !== editor.document) return;
          // ...and gone when the edit is heard, not when the model ends its step.
          visibleAtEdit = api.inline.drafts.visible;
          drawsAtEdit = api.inline.drafts.draws;
          seen.dispose();
        });
        await editor.edit((b) => b.insert(position, '.'));
      });
      const items = await api.inline.provideInlineCompletionItems(editor.document, position, INVOKED, new vscode.CancellationTokenSource().token);
      await typed;
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(items, undefined);
      assert.equal(visibleAtEdit, false, 'the draft was cleared at the edit');
      assert.equal(api.inline.drafts.draws, drawsAtEdit, 'no draft was drawn after the edit');
      assert.equal(api.inline.drafts.visible, false);
    } finally {
      await setSetting('inline.holeTokens', undefined);
    }
  });

  it('offers no inline completion in a language turned off, and starts no generation', async () => {
    await setSetting('languages', { '*': true, javascript: false });
    try {
      const editor = await openEditor('const x = ');
      const position = editor.document.positionAt(10);
      const recorder = recordEvents(api, 'inline');
      const context: vscode.InlineCompletionContext = { triggerKind: vscode.InlineCompletionTriggerKind.Invoke, selectedCompletionInfo: undefined };
      const items = await api.inline.provideInlineCompletionItems(editor.document, position, context, new vscode.CancellationTokenSource().token);
      recorder.stop();
      assert.equal(items, undefined);
      assert.equal(recorder.events.length, 0);
    } finally {
      await setSetting('languages', undefined);
    }
  });

  it('typing on during an inline generation aborts it through the cancellation token', async () => {
    try {
      const { editor, position, content } = await longInlineAtEnd();
      const tokenSource = new vscode.CancellationTokenSource();
      const ends: string[] = [];
      const endSubscription = api.generations.onDidEnd((e) => e.kind === 'inline' && ends.push(e.outcome.status));
      // What VS Code does when the user types: the document changes and the request's token is cancelled.
      const typed = onFirstDraft(api, 'inline', async () => {
        await editor.edit((b) => b.insert(position, 'x'));
        tokenSource.cancel();
      });
      const context: vscode.InlineCompletionContext = { triggerKind: vscode.InlineCompletionTriggerKind.Invoke, selectedCompletionInfo: undefined };
      const items = await api.inline.provideInlineCompletionItems(editor.document, position, context, tokenSource.token);
      await typed;
      endSubscription.dispose();

      assert.equal(items, undefined);
      assert.deepEqual(ends, ['cancelled']);
      assert.equal(editor.document.getText(), content + 'x');
    } finally {
      await setSetting('inline.holeTokens', undefined);
    }
  });
});
