import * as assert from 'node:assert/strict';
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
    for (const command of ['diffusionInfill.showDrafts', 'diffusionInfill.showLog', 'diffusionInfill.openSettings', 'diffusionInfill.pickModelSource']) {
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

  it('without an editor there is no language switch', () => {
    const items = commands(menuEntries({ inlineEnabled: true, model: 'Bundled model' }));
    assert.ok(!items.some((i) => i.command === 'diffusionInfill.toggleLanguage'));
  });
});
