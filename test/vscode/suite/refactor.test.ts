import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { applyFills } from '../../../src/core';
import type { DiffusionInfillApi } from '../../../src/extension/extension';
import { PROPOSAL_SCHEME, ProposalOutcome } from '../../../src/extension/refactor/proposals';
import { RefactorOutcome } from '../../../src/extension/refactor/refactorFunction';
import { extensionApi, onFirstDraft, openEditor, selectionAt, setEditorInlineSuggest, setSetting, useFixtureModel } from './helpers';

const PYTHON = [
  'import math',
  '',
  'def hypotenuse(a, b):',
  '    squares = a * a + b * b',
  '    return math.sqrt(squares)',
  '',
  'print(hypotenuse(3, 4))',
  '',
].join('\n');
const PYTHON_BODY = '    squares = a * a + b * b\n    return math.sqrt(squares)';

const JS = [
  'const limit = 10;',
  '',
  'function clamp(value, low, high) {',
  '  if (value < low) return low;',
  '  return Math.min(value, high);',
  '}',
  '',
  'clamp(1, 2, 3);',
  '',
].join('\n');
const JS_SIGNATURE = 'function clamp(value, low, high) {';
const JS_BODY = '\n  if (value < low) return low;\n  return Math.min(value, high);\n';

/** The open diff tabs whose right side is a refactor proposal. */
function proposalDiffs(): vscode.Tab[] {
  return vscode.window.tabGroups.all
    .flatMap((g) => g.tabs)
    .filter((t) => t.input instanceof vscode.TabInputTextDiff && t.input.modified.scheme === PROPOSAL_SCHEME);
}

async function refactorAt(mode: 'rewrite' | 'repair', editor: vscode.TextEditor, offset: number): Promise<RefactorOutcome> {
  await vscode.window.showTextDocument(editor.document);
  editor.selection = selectionAt(editor, offset);
  return vscode.commands.executeCommand<RefactorOutcome>(mode === 'repair' ? 'diffusionInfill.repairFunction' : 'diffusionInfill.rewriteFunction');
}

describe('Refactor Function in a real VS Code', () => {
  let api: DiffusionInfillApi;

  before(async () => {
    api = await extensionApi();
    await useFixtureModel();
    // The fixture's random fills seldom parse: the syntax check has tests of its own (syntaxGate.test.ts).
    await setSetting('syntaxCheck', false);
    // Only the refactor generations under test may run: no inline requests from VS Code.
    await setEditorInlineSuggest(false);
  });

  after(async () => {
    await setEditorInlineSuggest(undefined);
  });

  afterEach(async () => {
    api.generations.cancel();
    await vscode.commands.executeCommand('diffusionInfill.rejectProposal');
    await setSetting('refactor.repairTokens', undefined);
    await setSetting('sampler.steps', undefined);
    for (let i = 0; i < 20 && (vscode.window.activeTextEditor || proposalDiffs().length); i++) {
      await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
    }
  });

  it("Repair remasks the body's least confident tokens (as many as the setting says) and changes only those", async () => {
    await setSetting('refactor.repairTokens', 5);
    const editor = await openEditor(PYTHON, 'python');
    const outcome = await refactorAt('repair', editor, PYTHON.indexOf('sqrt'));
    assert.ok(outcome.status === 'proposed', `status ${outcome.status}: ${JSON.stringify(outcome)}`);
    assert.equal(PYTHON.slice(outcome.body.start, outcome.body.end), PYTHON_BODY, 'the body is the indented block under the def');
    // The fixture's tokenizer is byte-level: an ASCII body has one token per character.
    assert.equal(
      outcome.holes.reduce((a, h) => a + h.end - h.start, 0),
      5,
      'five tokens were remasked',
    );
    for (const h of outcome.holes) assert.ok(h.start >= outcome.body.start && h.end <= outcome.body.end, 'every remasked token is in the body');
    assert.equal(proposalDiffs().length, 1, 'the proposal opened as a diff');
    const proposed = await vscode.workspace.openTextDocument((proposalDiffs()[0].input as vscode.TabInputTextDiff).modified);
    const expected = applyFills(PYTHON, outcome.holes, outcome.fills);
    assert.equal(proposed.getText(), expected, 'the right side is the document with only the remasked tokens rewritten');
    assert.equal(editor.document.getText(), PYTHON, 'nothing is written before Accept');

    const accepted = await vscode.commands.executeCommand<ProposalOutcome>('diffusionInfill.acceptProposal');
    assert.equal(accepted.status, 'applied');
    assert.equal(editor.document.getText(), expected);
    assert.equal(proposalDiffs().length, 0, 'Accept closes the diff');
    await vscode.window.showTextDocument(editor.document);
    await vscode.commands.executeCommand('undo');
    assert.equal(editor.document.getText(), PYTHON, 'Accept is one undo step');
  });

  it('Rewrite of a Python function keeps the line breaks after it', async () => {
    const editor = await openEditor(PYTHON, 'python');
    const outcome = await refactorAt('rewrite', editor, PYTHON.indexOf('sqrt'));
    assert.ok(outcome.status === 'proposed', `status ${outcome.status}: ${JSON.stringify(outcome)}`);
    const accepted = await vscode.commands.executeCommand<ProposalOutcome>('diffusionInfill.acceptProposal');
    assert.equal(accepted.status, 'applied');
    const after = PYTHON.slice(outcome.whole.end);
    assert.equal(after, '\n\nprint(hypotenuse(3, 4))\n');
    assert.ok(editor.document.getText().endsWith(after), 'the blank line and the code after the function are untouched');
  });

  it('Rewrite masks the whole body and keeps the signature and everything outside the function', async () => {
    const editor = await openEditor(JS, 'javascript');
    const outcome = await refactorAt('rewrite', editor, JS.indexOf('Math.min'));
    assert.ok(outcome.status === 'proposed', `status ${outcome.status}: ${JSON.stringify(outcome)}`);
    assert.equal(JS.slice(outcome.body.start, outcome.body.end), JS_BODY);
    assert.deepEqual(outcome.holes, [outcome.body], 'the body is one hole');
    assert.ok(outcome.replacement.startsWith(JS_SIGNATURE), 'the signature is kept');
    assert.ok(outcome.replacement.endsWith('}'), 'the closing brace is kept');
    const accepted = await vscode.commands.executeCommand<ProposalOutcome>('diffusionInfill.acceptProposal');
    assert.equal(accepted.status, 'applied');
    const text = editor.document.getText();
    assert.equal(text, JS.slice(0, outcome.body.start) + outcome.fills[0] + JS.slice(outcome.body.end));
    assert.ok(text.startsWith(JS.slice(0, JS.indexOf(JS_SIGNATURE) + JS_SIGNATURE.length)));
    assert.ok(text.endsWith('}\n\nclamp(1, 2, 3);\n'));
  });

  it('Reject closes the diff and leaves the document as it was', async () => {
    const editor = await openEditor(JS, 'javascript');
    const version = editor.document.version;
    const outcome = await refactorAt('rewrite', editor, JS.indexOf('value < low'));
    assert.equal(outcome.status, 'proposed');
    assert.equal(proposalDiffs().length, 1);
    const rejected = await vscode.commands.executeCommand<ProposalOutcome>('diffusionInfill.rejectProposal');
    assert.equal(rejected.status, 'rejected');
    assert.equal(proposalDiffs().length, 0);
    assert.equal(editor.document.getText(), JS);
    assert.equal(editor.document.version, version, 'not even an edit that was undone');
    const again = await vscode.commands.executeCommand<ProposalOutcome>('diffusionInfill.acceptProposal');
    assert.equal(again.status, 'none', 'nothing is left to accept');
    assert.equal(editor.document.getText(), JS);
  });

  it('closing the diff by hand is a Reject: nothing is left to accept', async () => {
    const editor = await openEditor(JS, 'javascript');
    const outcome = await refactorAt('rewrite', editor, JS.indexOf('Math.min'));
    assert.equal(outcome.status, 'proposed');
    assert.ok(await vscode.window.tabGroups.close(proposalDiffs()));
    const accepted = await vscode.commands.executeCommand<ProposalOutcome>('diffusionInfill.acceptProposal');
    assert.equal(accepted.status, 'none');
    assert.equal(editor.document.getText(), JS);
  });

  it('Accept after an edit elsewhere in the function writes nothing', async () => {
    const editor = await openEditor(PYTHON, 'python');
    const outcome = await refactorAt('rewrite', editor, PYTHON.indexOf('squares ='));
    assert.equal(outcome.status, 'proposed');
    // The user edits the function (its signature, outside the rewritten body) while the diff is open.
    // (A workspace edit: the diff has taken the editor's place, so the TextEditor is closed.)
    const edit = new vscode.WorkspaceEdit();
    edit.insert(editor.document.uri, editor.document.positionAt(PYTHON.indexOf('(a, b)') + 1), 'x, ');
    assert.ok(await vscode.workspace.applyEdit(edit));
    const edited = editor.document.getText();
    const accepted = await vscode.commands.executeCommand<ProposalOutcome>('diffusionInfill.acceptProposal');
    assert.equal(accepted.status, 'stale');
    assert.equal(editor.document.getText(), edited, 'only the user edit is in the document');
    assert.equal(proposalDiffs().length, 0, 'the stale proposal is dropped');
  });

  it('closing the editor during a Rewrite proposes nothing and says so (not a bare "command failed")', async () => {
    // A body of some 200 tokens, a step each: the close lands while the model still works.
    const long = `function table() {\n${Array.from({ length: 5 }, (_, i) => `  const row${i} = [${i}, ${i * i}, ${i * i * i}];`).join('\n')}\n  return Math.min(1, 2);\n}\n`;
    await setSetting('sampler.steps', 1000);
    const editor = await openEditor(long, 'javascript');
    const closed = onFirstDraft(api, 'refactor', async () => {
      await vscode.window.showTextDocument(editor.document);
      await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
    });
    const outcome = await refactorAt('rewrite', editor, long.indexOf('Math.min'));
    await closed;
    assert.equal(outcome.status, 'closed');
    assert.equal(proposalDiffs().length, 0, 'no diff opened for a closed file');
    assert.equal((await vscode.workspace.openTextDocument(editor.document.uri)).getText(), long);
  });

  it('Repair follows the generations broadcaster as a refactor, so the panel and Cancel see it', async () => {
    await setSetting('refactor.repairTokens', 12);
    const editor = await openEditor(PYTHON, 'python');
    const kinds = new Set<string>();
    const starts = api.generations.onDidStart((g) => kinds.add(g.kind));
    const outcome = await refactorAt('repair', editor, PYTHON.indexOf('squares ='));
    starts.dispose();
    assert.equal(outcome.status, 'proposed');
    assert.deepEqual([...kinds], ['refactor']);
  });
});
