import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { WALKTHROUGH } from '../../../src/extension/menu/menuItems';
import { menuEntries } from '../../../src/extension/menu/menuItems';
import { EXTENSION_ID, extensionApi, setSetting, useFixtureModel } from './helpers';
import { page } from './page';

interface Step {
  id: string;
  title: string;
  media: { image?: string; markdown?: string };
}

const extension = () => vscode.extensions.getExtension(EXTENSION_ID)!;
const walkthrough = () => (extension().packageJSON.contributes.walkthroughs as { id: string; title: string; steps: Step[] }[])[0];

/** A PNG's width in pixels, from its header. */
function pngWidth(file: string): number {
  return fs.readFileSync(file).readUInt32BE(16);
}

/** The walkthrough page as the user sees it: the text of the Welcome editor. */
async function welcomeText(): Promise<string> {
  await page.wait('.gettingStartedContainer');
  return (await page.read('.gettingStartedContainer')).map((e) => e.text).join('\n');
}

async function closeEditors(): Promise<void> {
  for (let i = 0; i < 20 && vscode.window.tabGroups.all.some((g) => g.tabs.length); i++) {
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  }
}

describe('the walkthrough, in a real VS Code', () => {
  before(async () => {
    await extensionApi();
    await useFixtureModel();
    await setSetting('syntaxCheck', false);
  });

  after(async () => {
    await setSetting('syntaxCheck', undefined);
  });

  afterEach(closeEditors);

  it("the status menu's entry opens this walkthrough, not VS Code's generic Welcome page", async () => {
    const entry = menuEntries({ inlineEnabled: true, model: 'Bundled model' }).find(
      (e) => e.kind === 'command' && e.command === 'workbench.action.openWalkthrough',
    );
    assert.ok(entry?.kind === 'command');
    await vscode.commands.executeCommand(entry.command, ...(entry.args ?? []));
    const text = await welcomeText();
    assert.match(text, new RegExp(walkthrough().title), 'the walkthrough is open');
    for (const step of walkthrough().steps) assert.ok(text.includes(step.title), `its step "${step.title}" is listed`);
  });

  it('has a title that fits, and each step shows whole with an image drawn near its own size (screenshots in .test-artifacts/vscode/)', async () => {
    const { title, steps } = walkthrough();
    assert.ok(title.length <= 24, `"${title}" fits the Welcome page's list and its header without being cut`);
    // A window as wide as a laptop's, the side bar closed, no toast of an earlier test on top: the
    // walkthrough draws its steps beside their media.
    await vscode.commands.executeCommand('notifications.clearAll');
    await vscode.commands.executeCommand('workbench.action.closeSidebar');
    try {
      await vscode.commands.executeCommand('workbench.action.openWalkthrough', WALKTHROUGH, false);
      await page.wait('.gettingStartedContainer .getting-started-step');
      for (const [i, step] of steps.entries()) {
        await page.click(`.gettingStartedContainer .getting-started-step:has-text("${step.title}")`);
        // Images and Markdown load after the step opens.
        await new Promise((r) => setTimeout(r, 1500));
        await page.shot(`walkthrough-${i + 1}-${step.id}`);
        if (!step.media.image) continue;
        // The step's image, drawn in a webview of its own (a frame); the screenshot's pixels are the UI's at scale 1.
        const [drawn] = (await page.read('img')).filter((img) => img.width > 100);
        const pixels = pngWidth(path.join(extension().extensionPath, step.media.image));
        assert.ok(drawn, `${step.id}: its image is shown`);
        const scale = Math.min(1, drawn.width / pixels);
        assert.ok(
          scale >= 0.7,
          `${step.id}: its ${pixels} px wide image is drawn ${Math.round(drawn.width)} px wide (x${scale.toFixed(2)}), too shrunk to read`,
        );
      }
      const welcome = await welcomeText();
      assert.ok(welcome.includes(title), 'the title is shown whole');
    } finally {
      await vscode.commands.executeCommand('workbench.view.explorer');
    }
  });

  it('its Fill Selection and Repair buttons work with no editor open: they open a sample, no red error', async () => {
    await closeEditors();
    const fill = await vscode.commands.executeCommand<{ status: string }>('diffusionInfill.fillSelection');
    assert.notEqual(fill.status, 'failed', JSON.stringify(fill));
    const sample = vscode.window.activeTextEditor?.document;
    assert.ok(sample?.isUntitled, 'a sample file was opened');
    assert.equal(sample.languageId, 'python');
    assert.ok(!sample.getText().includes('<|hole'), 'and its holes were filled');
    await closeEditors();
    const repair = await vscode.commands.executeCommand<{ status: string }>('diffusionInfill.repairFunction');
    assert.ok(['proposed', 'withheld'].includes(repair.status), JSON.stringify(repair));
    await vscode.commands.executeCommand('diffusionInfill.rejectProposal');
  });
});
