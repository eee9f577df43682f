/**
 * What the status bar menu offers, in the manner of Copilot's: first the switches for inline
 * completions (everywhere, this language, a snooze), then where to look (panel, log, settings,
 * walkthrough) and the model. No `vscode` here: the list follows from the state alone.
 */
export interface MenuState {
  inlineEnabled: boolean;
  /** The active editor's language and whether completions are on for it; undefined without an editor. */
  language?: { id: string; enabled: boolean };
  /** When a snooze ends (a time of day to show), or undefined. */
  snoozedUntil?: string;
  /** The model source's label, and the model's name where it is loaded. */
  model: string;
  /** What the model source's secret is called ("API key"), where it takes one. */
  secret?: string;
}

/** The walkthrough package.json contributes (its id, `start`, after the extension's id). */
export const WALKTHROUGH = 'diffusion-infill.diffusion-infill#start';

export type MenuEntry = { kind: 'separator'; label: string } | { kind: 'command'; label: string; description?: string; command: string; args?: unknown[] };

export function menuEntries(s: MenuState): MenuEntry[] {
  const entries: MenuEntry[] = [{ kind: 'separator', label: 'Inline completions' }];
  entries.push(
    s.inlineEnabled
      ? {
          kind: 'command',
          label: '$(circle-slash) Disable inline completions',
          description: 'everywhere',
          command: 'diffusionInfill.toggleInline',
          args: [false],
        }
      : { kind: 'command', label: '$(check) Enable inline completions', description: 'everywhere', command: 'diffusionInfill.toggleInline', args: [true] },
  );
  if (s.language) {
    entries.push(
      s.language.enabled
        ? {
            kind: 'command',
            label: `$(circle-slash) Disable inline completions for ${s.language.id}`,
            command: 'diffusionInfill.toggleLanguage',
            args: [s.language.id, false],
          }
        : {
            kind: 'command',
            label: `$(check) Enable inline completions for ${s.language.id}`,
            command: 'diffusionInfill.toggleLanguage',
            args: [s.language.id, true],
          },
    );
  }
  entries.push(
    s.snoozedUntil
      ? {
          kind: 'command',
          label: '$(bell) Resume inline completions',
          description: `snoozed until ${s.snoozedUntil}`,
          command: 'diffusionInfill.snooze',
          args: [0],
        }
      : { kind: 'command', label: '$(bell-slash) Snooze inline completions…', description: 'for a few minutes', command: 'diffusionInfill.snooze' },
    { kind: 'command', label: '$(sparkle) Trigger an inline completion here', description: 'Alt+\\', command: 'editor.action.inlineSuggest.trigger' },
    { kind: 'separator', label: 'Diffusion Infill' },
    { kind: 'command', label: '$(layers) Show the Drafts panel', command: 'diffusionInfill.showDrafts' },
    { kind: 'command', label: '$(output) Show the log', command: 'diffusionInfill.showLog' },
    { kind: 'command', label: '$(settings-gear) Open the settings', command: 'diffusionInfill.openSettings' },
    {
      kind: 'command',
      label: '$(book) Open the walkthrough',
      command: 'workbench.action.openWalkthrough',
      args: [WALKTHROUGH, false],
    },
    { kind: 'separator', label: 'Model' },
    { kind: 'command', label: '$(server-process) Choose the model…', description: s.model, command: 'diffusionInfill.chooseModel' },
    {
      kind: 'command',
      label: '$(cloud-download) Get a real model…',
      description: 'download one from the Hugging Face Hub',
      command: 'diffusionInfill.chooseModel',
      args: ['pulled'],
    },
    { kind: 'command', label: '$(archive) Manage downloaded models…', command: 'diffusionInfill.manageModels' },
  );
  if (s.secret) entries.push({ kind: 'command', label: `$(key) Set the ${s.secret}…`, command: 'diffusionInfill.setApiKey' });
  entries.push({ kind: 'command', label: '$(refresh) Reload the model', command: 'diffusionInfill.reloadModel' });
  return entries;
}
