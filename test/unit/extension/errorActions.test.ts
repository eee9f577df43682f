import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { InfillError } from '../../../src/core';
import { kindById, KindError } from '../../../src/core/engineKinds';
import { errorActions, ISSUES_URL } from '../../../src/extension/errorActions';

const titles = (error: unknown, modelFailed = false) => errorActions(error, modelFailed).map((a) => a.title);

describe("an error toast's buttons", () => {
  it('offer what fixes a missing or wrong setting: Choose Model and the setting itself', () => {
    const folder = kindById('folder')!;
    const actions = errorActions(new KindError('the model source "folder" needs diffusionInfill.model.folder', 'folder', folder.fields[0]), true);
    assert.deepEqual(
      actions.map((a) => a.title),
      ['Choose Model...', 'Open Setting', 'Show Log'],
    );
    assert.deepEqual(actions[1].args, ['diffusionInfill.model.folder']);
  });

  it('offer Set API Key for a key the server refused, and Choose Model for a model that would not load', () => {
    assert.deepEqual(titles(new InfillError('http://x/v1/chat/completions refused the credentials (401): Unauthorized; check the token or API key')), [
      'Set API Key',
      'Choose Model...',
      'Show Log',
    ]);
    assert.deepEqual(titles(new InfillError('model folder /m has no model.json'), true), ['Choose Model...', 'Open Guide', 'Show Log']);
    assert.deepEqual(titles(new InfillError('cannot reach http://gpu:8797/v1/model: ECONNREFUSED')), ['Choose Model...', 'Open Guide', 'Show Log']);
  });

  it('point at pages that ship (the walkthrough) or at the repository, never at a docs file the .vsix lacks', () => {
    const guide = errorActions(new KindError('no bundled model', 'bundled'), true).find((a) => a.title === 'Open Guide');
    assert.equal(guide?.command, 'workbench.action.openWalkthrough');
    const bug = errorActions(new TypeError("Cannot read properties of undefined (reading 'x')"), false);
    assert.deepEqual(bug[0], { title: 'Report Issue', command: 'vscode.open', args: [ISSUES_URL] });
    const manifest = JSON.parse(fs.readFileSync(path.resolve(__dirname, '../../../../package.json'), 'utf8'));
    assert.equal(manifest.bugs?.url, ISSUES_URL, "the issue tracker is package.json's");
    const shipped = fs.readFileSync(path.resolve(__dirname, '../../../../.vscodeignore'), 'utf8');
    assert.match(shipped, /!media\/walkthrough\/\*\*/, "the guide's page ships");
  });
});
