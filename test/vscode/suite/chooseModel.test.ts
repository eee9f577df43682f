import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { ChooseModelOutcome } from '../../../src/extension/chooseModel/chooseModel';
import type { DiffusionInfillApi } from '../../../src/extension/extension';
import { FillOutcome } from '../../../src/extension/fill/fillSelection';
import { startTeamServer, TeamServer } from '../../unit/support/teamServers';
import { extensionApi, FIXTURE_MODEL, openEditor, selectionAt, setSetting, useFixtureModel } from './helpers';
import { page, statusItemSays } from './page';

const MODEL = 'inclusionAI/LLaDA2.0-mini';
const KEY = 'team-key-from-the-flow';
const INPUT = '.quick-input-widget .quick-input-box input';

const config = () => vscode.workspace.getConfiguration('diffusionInfill');

/** Waits for the quick input to show a title that matches, then replaces its text and presses Enter. */
async function answer(title: RegExp, text: string): Promise<void> {
  await page.wait('.quick-input-widget .quick-input-title');
  const deadline = Date.now() + 15_000;
  for (;;) {
    const [shown] = await page.read('.quick-input-widget .quick-input-title');
    if (shown && title.test(shown.text)) break;
    if (Date.now() > deadline) throw new Error(`the quick input shows "${shown?.text}", not ${title}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  await page.click(INPUT);
  await page.press('Control+A', 'Backspace');
  if (text) await page.type(text);
  await page.press('Enter');
}

describe('Choose Model: one list of sources, a guided flow for each remote one, in a real VS Code', () => {
  let api: DiffusionInfillApi;
  let server: TeamServer;

  before(async () => {
    api = await extensionApi();
    server = await startTeamServer({ engine: 'sglang', model: MODEL, apiKey: KEY, answer: () => ({ content: ['```js\n', 'a + b', '\n```\n'] }) });
    await setSetting('syntaxCheck', false);
  });

  after(async () => {
    for (const key of ['model.openaiChat.url', 'model.openaiChat.model', 'syntaxCheck']) await setSetting(key, undefined);
    await useFixtureModel();
    await server.close();
  });

  afterEach(async () => {
    await vscode.commands.executeCommand('workbench.action.closeQuickOpen');
    await vscode.commands.executeCommand('notifications.clearAll');
    for (let i = 0; i < 20 && vscode.window.activeTextEditor; i++) await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });

  it('the chat endpoint: its URL, its model, its key, a test request, then its own settings and the key in SecretStorage', async () => {
    await useFixtureModel();
    const run = Promise.resolve(vscode.commands.executeCommand<ChooseModelOutcome>('diffusionInfill.chooseModel'));
    await page.wait('.quick-input-widget .quick-input-list .monaco-list-row');
    const rows = await page.read('.quick-input-widget .quick-input-list .monaco-list-row');
    assert.deepEqual(
      rows.map((r) => r.label.split(',')[0]),
      ['Bundled model', 'Downloaded model', 'Model folder', 'Diffusion Infill server', 'OpenAI-compatible FIM endpoint', 'OpenAI-compatible chat endpoint'],
      'the list of engine kinds, in order',
    );
    assert.ok(
      rows.every((r) => !r.text.includes('`')),
      'no raw backticks in the details',
    );
    await page.shot('choose-model-list');
    await page.type('chat endpoint');
    await page.press('Enter');
    await answer(/chat endpoint \(1 of 3\)/, `${server.url}/v1`);
    await page.shot('choose-model-model-name');
    await answer(/chat endpoint \(2 of 3\)/, MODEL);
    await answer(/API key for/, KEY);
    const outcome = await run;

    assert.deepEqual(outcome, { source: 'openai-chat', saved: true });
    assert.equal(config().get('model.source'), 'openai-chat');
    assert.equal(config().get('model.openaiChat.url'), `${server.url}/v1`);
    assert.equal(config().get('model.openaiChat.model'), MODEL);
    assert.equal(config().get('model.remoteUrl'), '', 'the shared URL of old is left alone');
    const probe = server.seen.at(-1);
    assert.equal(probe?.auth, `Bearer ${KEY}`, 'the test request carried the key');

    // The key was kept: a fill through the keyed server works with nothing more asked.
    const content = 'function add(a, b) {\n  return <|hole|>;\n}\n';
    const editor = await openEditor(content);
    editor.selection = selectionAt(editor, 0, content.length);
    const fill = await vscode.commands.executeCommand<FillOutcome>('diffusionInfill.fillSelection');
    assert.ok(fill.status === 'applied', JSON.stringify(fill));
    assert.equal(editor.document.getText(), 'function add(a, b) {\n  return a + b;\n}\n');
  });

  it('a failed test request says why, offers Edit or Save Anyway, and saves nothing when dismissed', async () => {
    await useFixtureModel();
    const run = Promise.resolve(vscode.commands.executeCommand<ChooseModelOutcome>('diffusionInfill.chooseModel', 'openai-chat'));
    await answer(/chat endpoint \(1 of 3\)/, `${server.url}/v1`);
    await answer(/chat endpoint \(2 of 3\)/, MODEL);
    await answer(/API key for/, 'a-wrong-key');
    const toast = '.notifications-toasts .notification-toast:has-text("test request")';
    await page.wait(toast, 30_000);
    const [said] = await page.read(toast);
    assert.match(said.text, /the test request to OpenAI-compatible chat endpoint failed: .*refused the credentials \(401\)/);
    assert.match(said.text, /Edit/);
    assert.match(said.text, /Save Anyway/);
    await page.shot('choose-model-test-failed');
    await vscode.commands.executeCommand('notifications.clearAll');
    assert.deepEqual(await run, { source: 'openai-chat', saved: false });
    assert.equal(config().get('model.source'), 'folder', 'the model in use is unchanged');
  });

  it('a setting that cannot work shows as an error as soon as it is set, and its toast offers the fix', async () => {
    await setSetting('model.source', 'folder');
    await setSetting('model.folder', '/nowhere/at/all');
    assert.equal(api.models.state.kind, 'error', 'checked at the change, before any use');
    await statusItemSays(/Diffusion: error/, /diffusionInfill\.model\.folder is \/nowhere\/at\/all, which has no model\.json/);
    // The next use says it with the buttons that fix it.
    void vscode.commands.executeCommand('diffusionInfill.reloadModel');
    const toast = '.notifications-toasts .notification-toast:has-text("has no model.json")';
    await page.wait(toast);
    const [said] = await page.read(toast);
    assert.match(said.text, /Choose Model\.\.\./);
    assert.match(said.text, /Open Setting/);
    assert.doesNotMatch(said.text, /docs\//, 'no docs file the .vsix lacks');
    await page.shot('error-toast-with-fixes');
    await setSetting('model.folder', FIXTURE_MODEL);
    assert.equal(api.models.state.kind, 'idle', 'fixed: the error goes with the change');
  });
});
