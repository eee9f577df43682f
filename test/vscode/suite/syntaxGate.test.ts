import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { FillOutcome } from '../../../src/extension/fill/fillSelection';
import { PROPOSAL_SCHEME } from '../../../src/extension/refactor/proposals';
import { RefactorOutcome } from '../../../src/extension/refactor/refactorFunction';
import { ScriptedAnswer, startTeamServer, TeamServer } from '../../unit/support/teamServers';
import { extensionApi, openEditor, selectionAt, setSetting, useFixtureModel } from './helpers';
import { page } from './page';

const MODEL = 'scripted-coder';

function proposalTabs(): vscode.Tab[] {
  return vscode.window.tabGroups.all
    .flatMap((g) => g.tabs)
    .filter((t) => t.input instanceof vscode.TabInputTextDiff && t.input.modified.scheme === PROPOSAL_SCHEME);
}

async function until<T>(what: string, probe: () => T | undefined, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * The syntax check (tree-sitter, the grammars shipped in dist/syntax) between the model and the
 * user: a scripted team server gives the answers, so that each test knows what the model wrote.
 */
describe('a result that breaks the code is held back, in a real VS Code', () => {
  let server: TeamServer;
  let answer: ScriptedAnswer = { content: [] };

  before(async () => {
    // The extension is active (and its settings read) before the first command.
    await extensionApi();
    server = await startTeamServer({ engine: 'vllm', model: MODEL, answer: () => answer });
    await setSetting('syntaxCheck', undefined);
    await setSetting('model.source', 'openai-chat');
    await setSetting('model.remoteUrl', `${server.url}/v1`);
    await setSetting('model.remoteModel', MODEL);
  });

  after(async () => {
    await setSetting('model.remoteUrl', undefined);
    await setSetting('model.remoteModel', undefined);
    await useFixtureModel();
    await server.close();
  });

  afterEach(async () => {
    await vscode.commands.executeCommand('diffusionInfill.rejectProposal');
    await vscode.commands.executeCommand('notifications.clearAll');
    for (let i = 0; i < 20 && (vscode.window.activeTextEditor || proposalTabs().length); i++) {
      await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
    }
  });

  it('Fill Selection writes nothing that adds a syntax error, says why, and Show Anyway opens it as a flagged diff', async () => {
    answer = { content: ['```js\n', 'const total = a +\n', '```\n'] };
    const content = 'function add(a, b) {\n  <|hole|>\n  return total;\n}\n';
    const editor = await openEditor(content);
    editor.selection = selectionAt(editor, 0, content.length);
    const outcome = await vscode.commands.executeCommand<FillOutcome>('diffusionInfill.fillSelection');

    assert.ok(outcome.status === 'withheld', JSON.stringify(outcome));
    assert.match(outcome.flaw, /^adds (a|\d+) syntax errors? \((first )?on line \d\)$/);
    assert.equal(editor.document.getText(), content, 'nothing was written');
    const toast = '.notifications-toasts .notification-toast';
    await page.wait(`${toast}:has-text("not shown")`);
    const [said] = await page.read(`${toast}:has-text("not shown")`);
    assert.match(said.text, /Fill Selection's result adds .*syntax error.*so it is not shown/);
    await page.click(`${toast} .monaco-button:has-text("Show Anyway")`);
    const [tab] = await until('the flagged proposal opens', () => (proposalTabs().length ? proposalTabs() : undefined));
    assert.match(tab.label, /Fill Selection proposal, ⚠ adds .*syntax error/);
    assert.equal(editor.document.getText(), content, 'still nothing written before Accept');
  });

  it('Rewrite holds back a proposal that leaves the function doing nothing (pass)', async () => {
    answer = { content: ['```python\n', '    pass\n', '```\n'] };
    const content = 'import math\n\ndef hypotenuse(a, b):\n    squares = a * a + b * b\n    return math.sqrt(squares)\n\nprint(hypotenuse(3, 4))\n';
    const editor = await openEditor(content, 'python');
    editor.selection = selectionAt(editor, content.indexOf('squares'));
    const outcome = await vscode.commands.executeCommand<RefactorOutcome>('diffusionInfill.rewriteFunction');

    assert.ok(outcome.status === 'withheld', JSON.stringify(outcome));
    assert.equal(outcome.flaw, 'empties a function body');
    assert.equal(proposalTabs().length, 0, 'no diff was opened');
    assert.equal(editor.document.getText(), content);
  });

  it('Rewrite holds back an empty body for a TypeScript function ({})', async () => {
    answer = { content: ['```ts\n', '```\n'] };
    const content = 'export function area(r: number): number {\n  return Math.PI * r * r;\n}\n';
    const editor = await openEditor(content, 'typescript');
    editor.selection = selectionAt(editor, content.indexOf('return'));
    const outcome = await vscode.commands.executeCommand<RefactorOutcome>('diffusionInfill.rewriteFunction');
    assert.ok(outcome.status === 'withheld', JSON.stringify(outcome));
    assert.match(outcome.flaw, /empties a function body/);
  });

  it('a result that parses is written as before', async () => {
    answer = { content: ['```js\n', 'const total = a + b;\n', '```\n'] };
    const content = 'function add(a, b) {\n  <|hole|>\n  return total;\n}\n';
    const editor = await openEditor(content);
    editor.selection = selectionAt(editor, 0, content.length);
    const outcome = await vscode.commands.executeCommand<FillOutcome>('diffusionInfill.fillSelection');
    assert.ok(outcome.status === 'applied', JSON.stringify(outcome));
    assert.equal(editor.document.getText(), 'function add(a, b) {\n  const total = a + b;\n  return total;\n}\n');
  });
});
