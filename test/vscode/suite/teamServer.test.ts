import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { DiffusionInfillApi } from '../../../src/extension/extension';
import { FillOutcome } from '../../../src/extension/fill/fillSelection';
import { startTeamServer, TeamServer } from '../../unit/support/teamServers';
import { extensionApi, openEditor, recordEvents, selectionAt, setSetting, useFixtureModel } from './helpers';

const MODEL = 'google/diffusiongemma-26B-A4B-it';

describe('a team server (vLLM chat) as the model source, in a real VS Code', () => {
  let api: DiffusionInfillApi;
  let open: TeamServer;
  let keyed: TeamServer;

  before(async () => {
    api = await extensionApi();
    const answer = () => ({ content: ['Here you go:\n```js\n', 'const total = a', ' + b;\n', '```\n'] });
    open = await startTeamServer({ engine: 'vllm', model: MODEL, answer });
    keyed = await startTeamServer({ engine: 'vllm', model: MODEL, apiKey: 'team-key-never-stored', answer });
    await setSetting('model.source', 'openai-chat');
    await setSetting('model.remoteModel', MODEL);
  });

  after(async () => {
    await setSetting('model.remoteUrl', undefined);
    await setSetting('model.remoteModel', undefined);
    await useFixtureModel();
    await open.close();
    await keyed.close();
  });

  afterEach(async () => {
    for (let i = 0; i < 20 && vscode.window.activeTextEditor; i++) {
      await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
    }
  });

  it("Fill Selection asks the chat endpoint and writes only the hole's code, drafts streamed on the way", async () => {
    await setSetting('model.remoteUrl', `${open.url}/v1`);
    const content = 'function add(a, b) {\n  <|hole|>\n  return total;\n}\n';
    const editor = await openEditor(content);
    editor.selection = selectionAt(editor, 0, content.length);
    const recorder = recordEvents(api, 'fill');
    const outcome = await vscode.commands.executeCommand<FillOutcome>('diffusionInfill.fillSelection');
    recorder.stop();

    assert.ok(outcome.status === 'applied', JSON.stringify(outcome));
    assert.equal(editor.document.getText(), 'function add(a, b) {\n  const total = a + b;\n  return total;\n}\n');
    const seen = open.seen.at(-1)!;
    assert.equal(seen.path, '/v1/chat/completions');
    assert.equal(seen.body.model, MODEL);
    const drafts = recorder.events.filter((e) => e.event.type === 'draft');
    assert.ok(drafts.length >= 3, `the stream's chunks became drafts (${drafts.length})`);
  });

  it('a server that wants a key it was not given fails with a message that says to check the key', async () => {
    await setSetting('model.remoteUrl', `${keyed.url}/v1`);
    const content = 'const x = <|hole|>;\n';
    const editor = await openEditor(content);
    editor.selection = selectionAt(editor, 0, content.length);
    const outcome = await vscode.commands.executeCommand<FillOutcome>('diffusionInfill.fillSelection');

    assert.ok(outcome.status === 'failed', JSON.stringify(outcome));
    assert.match(outcome.message, /refused the credentials \(401\): Unauthorized; check the token or API key/);
    assert.equal(editor.document.getText(), content);
  });
});
