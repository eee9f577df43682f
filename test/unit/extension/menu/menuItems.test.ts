import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { menuEntries } from '../../../../src/extension/menu/menuItems';

const commands = (entries: ReturnType<typeof menuEntries>) => entries.flatMap((e) => (e.kind === 'command' ? [e] : []));

describe('the status bar menu', () => {
  it('offers to turn off what is on: everywhere first, then the language, then a snooze', () => {
    const items = commands(menuEntries({ inlineEnabled: true, language: { id: 'python', enabled: true }, model: 'Bundled model' }));
    assert.deepEqual(
      items.slice(0, 3).map((i) => [i.command, i.args]),
      [
        ['diffusionInfill.toggleInline', [false]],
        ['diffusionInfill.toggleLanguage', ['python', false]],
        ['diffusionInfill.snooze', undefined],
      ],
    );
    assert.match(items[1].label, /Disable inline completions for python/);
    for (const command of ['diffusionInfill.showDrafts', 'diffusionInfill.showLog', 'diffusionInfill.openSettings', 'diffusionInfill.chooseModel']) {
      assert.ok(
        items.some((i) => i.command === command),
        command,
      );
    }
  });

  it('offers to turn on what is off, and to resume a snooze', () => {
    const items = commands(menuEntries({ inlineEnabled: false, language: { id: 'go', enabled: false }, snoozedUntil: '21:45', model: 'Model folder' }));
    assert.deepEqual(
      items.slice(0, 3).map((i) => i.args),
      [[true], ['go', true], [0]],
    );
    assert.equal(items[2].description, 'snoozed until 21:45');
  });

  it('opens the walkthrough package.json contributes, by its id', () => {
    const manifest = JSON.parse(fs.readFileSync(path.resolve(__dirname, '../../../../../package.json'), 'utf8'));
    const [walkthrough] = manifest.contributes.walkthroughs as { id: string }[];
    const entry = commands(menuEntries({ inlineEnabled: true, model: 'Bundled model' })).find((i) => i.command === 'workbench.action.openWalkthrough');
    assert.deepEqual(entry?.args, [`${manifest.publisher}.${manifest.name}#${walkthrough.id}`, false]);
  });

  it('offers Set API Key for a source that takes a key, next to Choose Model', () => {
    const remote = commands(menuEntries({ inlineEnabled: true, model: 'OpenAI-compatible chat endpoint', secret: 'API key' }));
    assert.ok(remote.some((i) => i.command === 'diffusionInfill.setApiKey' && /Set the API key/.test(i.label)));
    const local = commands(menuEntries({ inlineEnabled: true, model: 'Bundled model' }));
    assert.ok(!local.some((i) => i.command === 'diffusionInfill.setApiKey'));
  });

  it('without an editor there is no language switch', () => {
    const items = commands(menuEntries({ inlineEnabled: true, model: 'Bundled model' }));
    assert.ok(!items.some((i) => i.command === 'diffusionInfill.toggleLanguage'));
  });
});
