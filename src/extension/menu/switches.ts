import * as vscode from 'vscode';
import { ExtensionSettings, languageEnabled } from '../settings';
import { Snooze } from './snooze';

export const TOGGLE_INLINE_COMMAND = 'diffusionInfill.toggleInline';
export const TOGGLE_LANGUAGE_COMMAND = 'diffusionInfill.toggleLanguage';
export const SNOOZE_COMMAND = 'diffusionInfill.snooze';
export const OPEN_SETTINGS_COMMAND = 'diffusionInfill.openSettings';
export const EXTENSION_ID = 'diffusion-infill.diffusion-infill';

const SNOOZE_CHOICES = [5, 15, 30, 60];

/**
 * The switches of the status bar menu, each also a command of its own (palette, keybindings,
 * tests): completions on or off everywhere, for a language, or snoozed. Choose Model is its own module.
 */
export function registerSwitches(snooze: Snooze, settings: () => ExtensionSettings): vscode.Disposable {
  return vscode.Disposable.from(
    vscode.commands.registerCommand(TOGGLE_INLINE_COMMAND, async (on?: boolean) => {
      const enabled = typeof on === 'boolean' ? on : !settings().inline.enabled;
      await updateSetting('inline.enabled', enabled);
      // Turning completions on also ends a snooze: the user wants them now.
      if (enabled && snooze.active) snooze.snooze(0);
    }),
    vscode.commands.registerCommand(TOGGLE_LANGUAGE_COMMAND, async (languageId?: string, on?: boolean) => {
      const language = typeof languageId === 'string' ? languageId : vscode.window.activeTextEditor?.document.languageId;
      if (!language) return;
      const languages = { ...settings().languages };
      languages[language] = typeof on === 'boolean' ? on : !languageEnabled(languages, language);
      await updateSetting('languages', languages);
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
    vscode.commands.registerCommand(OPEN_SETTINGS_COMMAND, () => vscode.commands.executeCommand('workbench.action.openSettings', `@ext:${EXTENSION_ID}`)),
  );
}

/** Writes where the value is in force: a workspace value would hide a change to the user's one. */
export async function updateSetting(key: string, value: unknown): Promise<void> {
  const config = vscode.workspace.getConfiguration('diffusionInfill');
  const where = config.inspect(key);
  await config.update(key, value, where?.workspaceValue !== undefined ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global);
}
