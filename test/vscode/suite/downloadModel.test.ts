import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ChooseModelOutcome } from '../../../src/extension/chooseModel/chooseModel';
import type { DiffusionInfillApi } from '../../../src/extension/extension';
import { FillOutcome } from '../../../src/extension/fill/fillSelection';
import { writeTinyDream } from '../../unit/support/checkpoint';
import { Hub, startHub } from '../../unit/support/hub';
import { extensionApi, openEditor, selectionAt, setSetting, useFixtureModel } from './helpers';
import { page } from './page';

const REPO = 'tiny-org/tiny-dream';
const GATED = 'tiny-org/gated-dream';
const SHARD = 'model-00001-of-00002.safetensors';
const ROWS = '.quick-input-widget .quick-input-list .monaco-list-row';
const TITLE = '.quick-input-widget .quick-input-title';

const config = () => vscode.workspace.getConfiguration('diffusionInfill');

/** Waits until the quick input's title matches. */
async function titleSays(title: RegExp): Promise<void> {
  await page.wait(TITLE);
  const deadline = Date.now() + 15_000;
  for (;;) {
    const [shown] = await page.read(TITLE);
    if (shown && title.test(shown.text)) return;
    if (Date.now() > deadline) throw new Error(`the quick input shows "${shown?.text}", not ${title}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Chooses "Enter a repository id…", types the id and says yes to the download. */
async function download(repo: string): Promise<void> {
  await titleSays(/Downloaded model/);
  await page.type('Enter a repository');
  await page.press('Enter');
  await titleSays(/a repository on the Hugging Face Hub/);
  await page.type(repo);
  await page.press('Enter');
  await titleSays(new RegExp(`download ${repo}\\?`));
  await page.press('Enter');
}

describe('Get a real model: chosen, downloaded with progress, built and used, in a real VS Code', () => {
  let api: DiffusionInfillApi;
  let hub: Hub;
  let dir: string;

  before(async () => {
    api = await extensionApi();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'infill-download-'));
    writeTinyDream(path.join(dir, 'repo'));
    hub = await startHub({
      repos: { [REPO]: { dir: path.join(dir, 'repo') }, [GATED]: { dir: path.join(dir, 'repo'), gated: 'manual' } },
      token: 'hf_test_token_0123456789abcdef0123456789',
    });
    await setSetting('models.hub', hub.url);
    await setSetting('models.folder', path.join(dir, 'store'));
    await setSetting('syntaxCheck', false);
  });

  after(async () => {
    for (const key of ['models.hub', 'models.folder', 'model.pulled', 'syntaxCheck']) await setSetting(key, undefined);
    await useFixtureModel();
    await hub.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  afterEach(async () => {
    await vscode.commands.executeCommand('workbench.action.closeQuickOpen');
    await vscode.commands.executeCommand('notifications.clearAll');
    for (let i = 0; i < 20 && vscode.window.activeTextEditor; i++) await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });

  it('lists the catalogue; a repository typed in is downloaded with progress, built, loaded, and then used', async () => {
    await useFixtureModel();
    // The shard's transfer pauses, so that the progress is there to see.
    hub.faults.stallAfterBytes = { path: SHARD, bytes: 40000, ms: 2500, times: 1 };
    const run = Promise.resolve(vscode.commands.executeCommand<ChooseModelOutcome>('diffusionInfill.chooseModel', 'pulled'));
    await page.wait(ROWS);
    const rows = await page.read(ROWS);
    const row = (title: string) => rows.find((r) => r.text.includes(title))?.text ?? '';
    assert.match(
      row('Open-dCoder 0.5B'),
      /fredzzp\/open-dcoder-0\.5B[\s\S]*0\.5B, 0\.99 GB download, 0\.45 GB memory, about \d+ s a line here; recommended for a laptop; licence/,
    );
    assert.match(row('DiffuCoder 7B'), /too slow for a laptop CPU: a team server model/);
    await page.shot('download-model-list');
    await download(REPO);
    const toast = `.notifications-toasts .notification-toast:has-text("${REPO}")`;
    await page.wait(toast, 30_000);
    const said = async () => (await page.read(toast))[0]?.text ?? '';
    const deadline = Date.now() + 15_000;
    while (!/downloading: [\d.]+ [MG]B of [\d.]+ [MG]B, [\d.]+ MB\/s|building the int4 model/.test(await said()) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.match(await said(), /downloading: [\d.]+ [MG]B of [\d.]+ [MG]B, [\d.]+ MB\/s|building the int4 model/);
    await page.shot('download-model-progress');
    const outcome = await run;

    assert.deepEqual(outcome, { source: 'pulled', saved: true });
    assert.equal(config().get('model.source'), 'pulled');
    assert.equal(config().get('model.pulled'), REPO);
    const engine = await api.models.engine();
    assert.equal(engine.info.name, REPO, 'the downloaded model is the one in use');
    assert.equal(hub.cdnAuthorizationSeen, 0);
    const content = 'def f(x):\n    return <|hole|>\n';
    const editor = await openEditor(content, 'python');
    editor.selection = selectionAt(editor, 0, content.length);
    const fill = await vscode.commands.executeCommand<FillOutcome>('diffusionInfill.fillSelection');
    assert.ok(fill.status === 'applied', JSON.stringify(fill));
    assert.ok(editor.document.getText().startsWith('def f(x):\n    return '));
  });

  it('a gated repository says to sign in, with the buttons that help, and the model in use stays', async () => {
    await useFixtureModel();
    const run = Promise.resolve(vscode.commands.executeCommand<ChooseModelOutcome>('diffusionInfill.chooseModel', 'pulled'));
    await download(GATED);
    const toast = '.notifications-toasts .notification-toast:has-text("is gated")';
    await page.wait(toast, 30_000);
    const [said] = await page.read(toast);
    assert.match(said.text, /tiny-org\/gated-dream is gated: sign in with a Hugging Face token/);
    assert.match(said.text, /Set Hugging Face Token/);
    assert.match(said.text, /Open Model Page/);
    await page.shot('download-model-gated');
    await vscode.commands.executeCommand('notifications.clearAll');
    assert.deepEqual(await run, { source: 'pulled', saved: false });
    assert.equal(config().get('model.source'), 'folder', 'the model in use is unchanged');
  });

  it('Manage Models lists the downloaded model and deletes it', async () => {
    await useFixtureModel();
    const store = path.join(dir, 'store', 'models', 'tiny-org--tiny-dream');
    assert.ok(fs.existsSync(store) && fs.readdirSync(store).length === 1, 'downloaded by the first test');
    void vscode.commands.executeCommand('diffusionInfill.manageModels');
    await page.wait(ROWS);
    const rows = await page.read(ROWS);
    assert.ok(
      rows.some((r) => /tiny-org\/tiny-dream.*int4, [\d.]+ [MG]B, commit [0-9a-f]{8}/.test(r.text)),
      rows.map((r) => r.text).join(' | '),
    );
    await page.shot('manage-models');
    // A row's buttons show on the focused row: the first model is focused when the list opens.
    await page.click(`${ROWS}:has-text("tiny-org/tiny-dream") .action-label.codicon-trash`);
    const deadline = Date.now() + 10_000;
    while (fs.existsSync(store) && fs.readdirSync(store).length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    assert.ok(!fs.existsSync(store) || fs.readdirSync(store).length === 0, 'the model folder is gone');
  });
});
