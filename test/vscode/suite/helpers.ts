import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { DiffusionInfillApi } from '../../../src/extension/extension';
import type { GenerationEvent, GenerationKind } from '../../../src/extension/generations';

export const EXTENSION_ID = 'diffusion-infill.diffusion-infill';
/** The random-weight test model: fast, writes gibberish in the real format. */
export const FIXTURE_MODEL = path.resolve(__dirname, '../../../../test/fixtures/tiny-model');

export async function extensionApi(): Promise<DiffusionInfillApi> {
  const extension = vscode.extensions.getExtension<DiffusionInfillApi>(EXTENSION_ID);
  if (!extension) throw new Error(`${EXTENSION_ID} is not installed in this VS Code`);
  return extension.activate();
}

/** Sets `diffusionInfill.<key>` in the user settings; undefined removes it. */
export async function setSetting(key: string, value: unknown): Promise<void> {
  await vscode.workspace.getConfiguration('diffusionInfill').update(key, value, vscode.ConfigurationTarget.Global);
}

/** VS Code's own inline requests on (true), off (false), or back to the default (undefined). */
export async function setEditorInlineSuggest(enabled: boolean | undefined): Promise<void> {
  await vscode.workspace.getConfiguration('editor').update('inlineSuggest.enabled', enabled, vscode.ConfigurationTarget.Global);
}

export async function useFixtureModel(): Promise<void> {
  await setSetting('model.source', 'folder');
  await setSetting('model.folder', FIXTURE_MODEL);
}

let opened = 0;
const scratchDir = fs.mkdtempSync(path.join(os.tmpdir(), 'diffusion-infill-suite-'));

/**
 * Opens a new file with this content. A file with a name of its own, not an untitled document:
 * a new untitled document can reuse a closed one's name and get its backed-up text back.
 */
export async function openEditor(content: string, language = 'javascript'): Promise<vscode.TextEditor> {
  const extension = { javascript: 'js', typescript: 'ts', python: 'py' }[language] ?? 'txt';
  const file = path.join(scratchDir, `doc-${++opened}.${extension}`);
  fs.writeFileSync(file, content);
  let document = await vscode.workspace.openTextDocument(file);
  if (document.languageId !== language) document = await vscode.languages.setTextDocumentLanguage(document, language);
  assert.equal(document.getText(), content);
  return vscode.window.showTextDocument(document);
}

/** Resolves with the first draft event of the next generation of a kind, after running `action` on it. */
export function onFirstDraft(api: DiffusionInfillApi, kind: GenerationKind, action: (event: GenerationEvent) => unknown): Promise<GenerationEvent> {
  return new Promise((resolve) => {
    const subscription = api.generations.onDidEvent((event) => {
      if (event.kind !== kind || event.event.type !== 'draft') return;
      subscription.dispose();
      void Promise.resolve(action(event)).then(() => resolve(event));
    });
  });
}

/** Every event of the generations of a kind until stop() is called. */
export function recordEvents(api: DiffusionInfillApi, kind: GenerationKind): { events: GenerationEvent[]; stop(): void } {
  const events: GenerationEvent[] = [];
  const subscription = api.generations.onDidEvent((e) => {
    if (e.kind === kind) events.push(e);
  });
  return { events, stop: () => subscription.dispose() };
}

export function selectionAt(editor: vscode.TextEditor, start: number, end = start): vscode.Selection {
  return new vscode.Selection(editor.document.positionAt(start), editor.document.positionAt(end));
}
