import * as vscode from 'vscode';
import { ModelService } from '../modelService';
import { ExtensionSettings, languageEnabled } from '../settings';
import { menuEntries, MenuState } from './menuItems';
import { Snooze } from './snooze';
import { kindById } from '../../core/engineKinds';

export const STATUS_MENU_COMMAND = 'diffusionInfill.statusMenu';

/** The menu's state now: the settings, the active editor's language, the snooze and the model. */
export function menuState(settings: ExtensionSettings, snooze: Snooze, models: ModelService): MenuState {
  const languageId = vscode.window.activeTextEditor?.document.languageId;
  const state = models.state;
  const kind = kindById(settings.model.source);
  const source = kind?.label ?? settings.model.source;
  return {
    secret: kind?.secret?.label,
    inlineEnabled: settings.inline.enabled,
    language: languageId ? { id: languageId, enabled: languageEnabled(settings.languages, languageId) } : undefined,
    snoozedUntil: snooze.until === undefined ? undefined : clock(snooze.until),
    model: state.kind === 'ready' ? `${source}: ${state.info.name}` : source,
  };
}

/** The status bar item's menu: a quick pick whose items run commands. */
export function registerStatusMenu(snooze: Snooze, settings: () => ExtensionSettings, models: ModelService): vscode.Disposable {
  return vscode.commands.registerCommand(STATUS_MENU_COMMAND, async () => {
    type Item = vscode.QuickPickItem & { command?: string; args?: unknown[] };
    const items: Item[] = menuEntries(menuState(settings(), snooze, models)).map((e) =>
      e.kind === 'separator'
        ? { label: e.label, kind: vscode.QuickPickItemKind.Separator }
        : { label: e.label, description: e.description, command: e.command, args: e.args },
    );
    const choice = await vscode.window.showQuickPick(items, {
      title: 'Diffusion Infill',
      placeHolder: 'Turn completions on or off, look at the drafts, choose the model',
    });
    if (choice?.command) await vscode.commands.executeCommand(choice.command, ...(choice.args ?? []));
  });
}

export function clock(ms: number): string {
  const d = new Date(ms);
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
}
