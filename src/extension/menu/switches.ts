import * as vscode from 'vscode';
import { ExtensionSettings, languageEnabled, MODEL_SOURCES, ModelSource } from '../settings';
import { Snooze } from './snooze';

export const TOGGLE_INLINE_COMMAND = 'diffusionInfill.toggleInline';
export const TOGGLE_LANGUAGE_COMMAND = 'diffusionInfill.toggleLanguage';
export const SNOOZE_COMMAND = 'diffusionInfill.snooze';
export const PICK_MODEL_SOURCE_COMMAND = 'diffusionInfill.pickModelSource';
export const OPEN_SETTINGS_COMMAND = 'diffusionInfill.openSettings';
export const EXTENSION_ID = 'diffusion-infill.diffusion-infill';

const SNOOZE_CHOICES = [5, 15, 30, 60];

export const SOURCE_LABELS: Record<ModelSource, { label: string; detail: string }> = {
  bundled: { label: 'Bundled model', detail: 'The small model shipped with the extension: runs on this machine, no setup.' },
  folder: { label: 'Model folder', detail: 'A model folder on this machine (model.json, model.onnx, tokenizer.json).' },
  server: { label: 'Diffusion Infill server', detail: 'A `diffusion-infill serve` on another machine (a URL).' },
  'openai-fim': { label: 'OpenAI-compatible FIM endpoint', detail: "Such as Inception's Mercury (a URL, a model and an API key)." },
  'openai-chat': { label: 'OpenAI-compatible chat endpoint', detail: "A team's SGLang or vLLM server (a URL, a model, maybe an API key)." },
};

/**
 * The switches of the status bar menu, each also a command of its own (palette, keybindings,
 * tests): completions on or off everywhere, for a language, or snoozed; the model's source.
 */
export function registerSwitches(snooze: Snooze, settings: () => ExtensionSettings): vscode.Disposable {
  return vscode.Disposable.from(
    vscode.commands.registerCommand(TOGGLE_INLINE_COMMAND, async (on?: boolean) => {
      const enabled = typeof on === 'boolean' ? on : !settings().inline.enabled;
      await update('inline.enabled', enabled);
      // Turning completions on also ends a snooze: the user wants them now.
      if (enabled && snooze.active) snooze.snooze(0);
    }),
    vscode.commands.registerCommand(TOGGLE_LANGUAGE_COMMAND, async (languageId?: string, on?: boolean) => {
      const language = typeof languageId === 'string' ? languageId : vscode.window.activeTextEditor?.document.languageId;
      if (!language) return;
      const languages = { ...settings().languages };
      languages[language] = typeof on === 'boolean' ? on : !languageEnabled(languages, language);
      await update('languages', languages);
    }),
    vscode.commands.registerCommand(SNOOZE_COMMAND, async (minutes?: number) => {
      if (typeof minutes !== 'number') {
        const choice = await vscode.window.showQuickPick(
          SNOOZE_CHOICES.map((m) => ({ label: `${m} minutes`, minutes: m })),
          { title: 'Diffusion Infill: snooze inline completions for' },
        );
        if (!choice) return;
        minutes = choice.minutes;
      }
      snooze.snooze(minutes);
    }),
    vscode.commands.registerCommand(PICK_MODEL_SOURCE_COMMAND, async (source?: ModelSource) => {
      const current = settings().model.source;
      if (!MODEL_SOURCES.includes(source as ModelSource)) {
        const choice = await vscode.window.showQuickPick(
          MODEL_SOURCES.map((s) => ({ ...SOURCE_LABELS[s], description: s === current ? 'current' : '', source: s })),
          { title: 'Diffusion Infill: where the model comes from' },
        );
        if (!choice) return;
        source = choice.source;
      }
      await update('model.source', source);
      const model = settings().model;
      // A source that needs more than its name: go where the rest is set.
      if (source === 'folder' && !model.folder) await vscode.commands.executeCommand('workbench.action.openSettings', 'diffusionInfill.model.folder');
      if (source !== 'bundled' && source !== 'folder' && !model.remoteUrl)
        await vscode.commands.executeCommand('workbench.action.openSettings', 'diffusionInfill.model.remoteUrl');
    }),
    vscode.commands.registerCommand(OPEN_SETTINGS_COMMAND, () => vscode.commands.executeCommand('workbench.action.openSettings', `@ext:${EXTENSION_ID}`)),
  );
}

/** Writes where the value is in force: a workspace value would hide a change to the user's one. */
async function update(key: string, value: unknown): Promise<void> {
  const config = vscode.workspace.getConfiguration('diffusionInfill');
  const where = config.inspect(key);
  await config.update(key, value, where?.workspaceValue !== undefined ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global);
}
