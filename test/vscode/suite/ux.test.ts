import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { DiffusionInfillApi } from '../../../src/extension/extension';
import { FillOutcome } from '../../../src/extension/fill/fillSelection';
import { PROPOSAL_SCHEME } from '../../../src/extension/refactor/proposals';
import { EXTENSION_ID, extensionApi, openEditor, recordEvents, selectionAt, setEditorInlineSuggest, setSetting, useFixtureModel } from './helpers';

const INVOKED: vscode.InlineCompletionContext = { triggerKind: vscode.InlineCompletionTriggerKind.Invoke, selectedCompletionInfo: undefined };

function proposalDiffs(): vscode.Tab[] {
  return vscode.window.tabGroups.all
    .flatMap((g) => g.tabs)
    .filter((t) => t.input instanceof vscode.TabInputTextDiff && t.input.modified.scheme === PROPOSAL_SCHEME);
}

/** Asks the provider at the end of a new file; returns its items and whether a generation ran. */
async function askInline(
  api: DiffusionInfillApi,
  content: string,
  context = INVOKED,
): Promise<{ items: vscode.InlineCompletionItem[] | undefined; generated: boolean; editor: vscode.TextEditor }> {
  const editor = await openEditor(content);
  const position = editor.document.positionAt(content.length);
  editor.selection = new vscode.Selection(position, position);
  const recorder = recordEvents(api, 'inline');
  const items = await api.inline.provideInlineCompletionItems(editor.document, position, context, new vscode.CancellationTokenSource().token);
  recorder.stop();
  return { items, generated: recorder.events.length > 0, editor };
}

function packageJson(): { contributes: Record<string, any> } {
  const extension = vscode.extensions.getExtension(EXTENSION_ID);
  assert.ok(extension);
  return extension.packageJSON;
}

describe('Diffusion Infill as a user meets it (menu, keys, settings, walkthrough)', () => {
  let api: DiffusionInfillApi;

  before(async () => {
    api = await extensionApi();
    await useFixtureModel();
    // The fixture's random fills seldom parse: the syntax check has tests of its own (syntaxGate.test.ts).
    await setSetting('syntaxCheck', false);
    await setSetting('inline.debounceMs', 0);
    await setSetting('inline.minConfidence', 0);
    await setEditorInlineSuggest(false);
  });

  after(async () => {
    await setEditorInlineSuggest(undefined);
  });

  afterEach(async () => {
    api.generations.cancel();
    await vscode.commands.executeCommand('diffusionInfill.snooze', 0);
    await vscode.commands.executeCommand('diffusionInfill.rejectProposal');
    await setSetting('inline.enabled', undefined);
    await setSetting('languages', undefined);
    await setSetting('model.source', 'folder');
    for (let i = 0; i < 20 && (vscode.window.activeTextEditor || proposalDiffs().length); i++) {
      await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
    }
  });

  it('the status bar menu turns inline completions off everywhere, and its first item is that switch', async () => {
    await openEditor('const a = ');
    // The menu is a quick pick; the workbench's own command accepts its first item, as Enter would.
    let closed = false;
    const shown = Promise.resolve(vscode.commands.executeCommand('diffusionInfill.statusMenu')).then(() => (closed = true));
    // The quick pick shows a moment after the command starts: accept until it has closed.
    for (let i = 0; i < 100 && !closed; i++) {
      await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
      await new Promise((r) => setTimeout(r, 100));
    }
    await shown;
    assert.equal(vscode.workspace.getConfiguration('diffusionInfill').get('inline.enabled'), false);
    const { items, generated } = await askInline(api, 'const b = ');
    assert.equal(items, undefined);
    assert.equal(generated, false, 'no generation while completions are off');
  });

  it('turns inline completions off and on again for the current language only', async () => {
    await openEditor('let x = ');
    await vscode.commands.executeCommand('diffusionInfill.toggleLanguage');
    assert.deepEqual(vscode.workspace.getConfiguration('diffusionInfill').get<Record<string, boolean>>('languages')?.javascript, false);
    const off = await askInline(api, 'let y = ');
    assert.equal(off.generated, false, 'javascript is off');
    const python = await openEditor('z = ', 'python');
    const recorder = recordEvents(api, 'inline');
    await api.inline.provideInlineCompletionItems(python.document, python.document.positionAt(4), INVOKED, new vscode.CancellationTokenSource().token);
    recorder.stop();
    assert.ok(recorder.events.length > 0, 'python is still on');
    await vscode.commands.executeCommand('diffusionInfill.toggleLanguage', 'javascript');
    const on = await askInline(api, 'let w = ');
    assert.equal(on.generated, true, 'javascript is on again');
  });

  it('a snooze pauses inline completions in this window, and resuming brings them back', async () => {
    await vscode.commands.executeCommand('diffusionInfill.snooze', 5);
    const snoozed = await askInline(api, 'const s = ');
    assert.equal(snoozed.items, undefined);
    assert.equal(snoozed.generated, false);
    assert.equal(vscode.workspace.getConfiguration('diffusionInfill').get('inline.enabled'), true, 'a snooze is not a setting');
    await vscode.commands.executeCommand('diffusionInfill.snooze', 0);
    const resumed = await askInline(api, 'const t = ');
    assert.equal(resumed.generated, true);
  });

  it('Choose Model with a source that needs nothing more sets it at once', async () => {
    await vscode.commands.executeCommand('diffusionInfill.chooseModel', 'bundled');
    assert.equal(vscode.workspace.getConfiguration('diffusionInfill').get('model.source'), 'bundled');
  });

  it('Alt+\\ triggers an inline completion, a key no default of VS Code uses', async () => {
    const ours = (packageJson().contributes.keybindings as { key: string; command: string }[]).find((k) => k.key === 'alt+\\');
    assert.equal(ours?.command, 'editor.action.inlineSuggest.trigger');
    await vscode.commands.executeCommand('workbench.action.openDefaultKeybindingsFile');
    const defaults = vscode.window.activeTextEditor?.document.getText() ?? '';
    assert.ok(defaults.length > 1000, 'the default keybindings were read');
    const clash = [...defaults.matchAll(/"key":\s*"alt\+\\\\",\s*"command":\s*"([^"]+)"/g)]
      .map((m) => m[1])
      .filter((c) => c !== 'editor.action.inlineSuggest.trigger');
    assert.deepEqual(clash, [], 'no other command is bound to Alt+\\');
  });

  it('while the suggest widget is open, the completion extends the item chosen in it (return p|)', async () => {
    const content = 'function area(pi, r) {\n  return p';
    const editor = await openEditor(content);
    const end = editor.document.positionAt(content.length);
    const wordStart = end.translate(0, -1);
    const chosen: vscode.SelectedCompletionInfo = { range: new vscode.Range(wordStart, end), text: 'pi' };
    const recorder = recordEvents(api, 'inline');
    const items = await api.inline.provideInlineCompletionItems(
      editor.document,
      end,
      { triggerKind: vscode.InlineCompletionTriggerKind.Automatic, selectedCompletionInfo: chosen },
      new vscode.CancellationTokenSource().token,
    );
    recorder.stop();
    assert.ok(recorder.events.length > 0, 'a generation ran alongside the suggest widget');
    assert.equal(items?.length, 1, 'a completion is offered');
    const item = items![0];
    assert.ok(
      typeof item.insertText === 'string' && item.insertText.startsWith('pi'),
      `the completion starts with the chosen item: ${JSON.stringify(item.insertText)}`,
    );
    assert.ok(item.range?.isEqual(chosen.range), 'and replaces what the chosen item replaces');
    assert.equal(editor.document.getText(), content, 'nothing is written before the user accepts');
  });

  it('Fill Selection of a whole file without markers shows a diff to accept; Reject keeps the file, Accept writes it in one undo step', async () => {
    const content = 'const a = 1;\nconst b = 2;\nconsole.log(a + b);\n';
    const editor = await openEditor(content);
    editor.selection = selectionAt(editor, 0, content.length);
    const first = await vscode.commands.executeCommand<FillOutcome>('diffusionInfill.fillSelection');
    assert.equal(first.status, 'proposed', 'the whole file is not rewritten unasked');
    assert.equal(editor.document.getText(), content);
    assert.equal(proposalDiffs().length, 1, 'the proposal is open as a diff');
    await vscode.commands.executeCommand('diffusionInfill.rejectProposal');
    assert.equal(editor.document.getText(), content, 'Reject leaves the file as it was');
    assert.equal(proposalDiffs().length, 0);

    await vscode.window.showTextDocument(editor.document);
    editor.selection = selectionAt(editor, 0, content.length);
    const second = await vscode.commands.executeCommand<FillOutcome>('diffusionInfill.fillSelection');
    assert.ok(second.status === 'proposed');
    await vscode.commands.executeCommand('diffusionInfill.acceptProposal');
    assert.equal(editor.document.getText(), second.replacement);
    await vscode.window.showTextDocument(editor.document);
    await vscode.commands.executeCommand('undo');
    assert.equal(editor.document.getText(), content, 'one undo brings the file back');
  });

  it('Fill Selection of a few lines inside a file still writes at once', async () => {
    const content = 'const a = 1;\nconst b = 2;\nconsole.log(a + b);\n';
    const editor = await openEditor(content);
    editor.selection = selectionAt(editor, 13, 25);
    const outcome = await vscode.commands.executeCommand<FillOutcome>('diffusionInfill.fillSelection');
    assert.equal(outcome.status, 'applied');
    assert.ok(outcome.status === 'applied');
    assert.equal(editor.document.getText(), content.slice(0, 13) + outcome.fills[0] + content.slice(25));
  });

  it('settings render as Markdown, read in order, name no docs file, and show no "null" choice', () => {
    const properties = packageJson().contributes.configuration.properties as Record<string, Record<string, unknown>>;
    const names = Object.keys(properties);
    for (const [name, p] of Object.entries(properties)) {
      assert.equal(typeof p.markdownDescription, 'string', `${name} has a markdownDescription (backticks render)`);
      assert.equal(p.description, undefined, `${name} has no plain description besides`);
      assert.equal(typeof p.order, 'number', `${name} has an order`);
      assert.doesNotMatch(String(p.markdownDescription), /docs\/[\w-]+\.md/, `${name} names no docs file, which an installed extension lacks`);
      const choices = p.enum as unknown[] | undefined;
      if (choices?.includes(null)) {
        const labels = p.enumItemLabels as string[] | undefined;
        assert.ok(labels && labels.length === choices.length && !labels.includes('null'), `${name} labels its null choice`);
      }
    }
    const order = (n: string) => properties[`diffusionInfill.${n}`].order as number;
    assert.ok(
      order('model.source') < order('model.openaiChat.url') && order('model.openaiChat.url') < order('model.openaiChat.model'),
      "a source's URL comes before its options",
    );
    assert.ok(order('inline.enabled') < order('inline.minConfidence'), 'the switch before its options');
    assert.equal(new Set(names.map((n) => properties[n].order)).size, names.length, 'no two settings share a place');
  });

  it('the walkthrough explains holes, the three commands, the panel and a real model, with media that ship', async () => {
    const extension = vscode.extensions.getExtension(EXTENSION_ID)!;
    const walkthroughs = packageJson().contributes.walkthroughs as { id: string; steps: { id: string; title: string; media: Record<string, string> }[] }[];
    assert.equal(walkthroughs?.length, 1);
    const steps = walkthroughs[0].steps;
    const titles = steps.map((s) => s.title).join(' | ');
    for (const topic of [/hole/i, /Fill Selection/, /Rewrite|Repair/, /panel|drafts/i, /model/i]) assert.match(titles, topic);
    const shipped = fs.readFileSync(path.join(extension.extensionPath, '.vscodeignore'), 'utf8');
    for (const step of steps) {
      for (const file of Object.values(step.media).filter((v) => typeof v === 'string' && /\.(md|png|svg)$/.test(v))) {
        assert.ok(fs.existsSync(path.join(extension.extensionPath, file)), `${step.id}: ${file} exists`);
        assert.ok(shipped.includes(`!${path.dirname(file)}/**`) || shipped.includes(`!${file}`), `${file} is let into the .vsix by .vscodeignore`);
      }
    }
    await vscode.commands.executeCommand('workbench.action.openWalkthrough', `${EXTENSION_ID}#${walkthroughs[0].id}`, false);
    await new Promise((r) => setTimeout(r, 500));
    const tab = vscode.window.tabGroups.activeTabGroup.activeTab;
    assert.match(tab?.label ?? '', /Welcome|Walkthrough/i, `the walkthrough opened (active tab ${tab?.label})`);
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
  });
});
