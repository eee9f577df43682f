import * as vscode from 'vscode';
import { GenerationStats } from '../core';
import { Generations } from './generations';
import { ModelService, ModelState } from './modelService';
import { clock, STATUS_MENU_COMMAND } from './menu/statusMenu';
import { Snooze } from './menu/snooze';
import { ExtensionSettings, languageEnabled } from './settings';
import { Event } from './emitter';
import type { InlineVerdict } from './inline/verdict';
import { InlineOff, LastEnd, statusView, unfinished, verdictEnd } from './statusView';

export const SHOW_LOG_COMMAND = 'diffusionInfill.showLog';

/**
 * The status bar item: the model's state (loading, ready, error), "step k of n" while a
 * generation runs, and the last generation's timings in the text and the tooltip.
 */
export function createStatusBar(
  models: ModelService,
  generations: Generations,
  settings: () => ExtensionSettings,
  snooze: Snooze,
  inlineVerdicts: Event<InlineVerdict>,
): vscode.Disposable {
  const item = vscode.window.createStatusBarItem('diffusionInfill.status', vscode.StatusBarAlignment.Right, 100);
  item.name = 'Diffusion Infill';
  // A click opens the menu (on/off, snooze, panel, log, settings, model), as Copilot's item does.
  item.command = STATUS_MENU_COMMAND;
  let lastStats: GenerationStats | undefined;
  let step: { k: number; n: number } | undefined;
  let lastEnd: LastEnd | undefined;

  const render = (state: ModelState): void => {
    const view = statusView({ state, step, lastStats, lastEnd, inlineOff: inlineOff(settings(), snooze) });
    item.text = view.text;
    item.tooltip = view.tooltip;
    item.accessibilityInformation = { label: view.tooltip, role: 'button' };
    item.backgroundColor = view.background ? new vscode.ThemeColor(`statusBarItem.${view.background}Background`) : undefined;
    item.show();
  };

  const subscriptions = [
    item,
    models.onDidChangeState(render),
    generations.onDidEvent(({ event }) => {
      if (event.type === 'draft') step = { k: event.step, n: event.steps };
      else lastStats = event.stats;
      render(models.state);
    }),
    generations.onDidEnd(({ outcome }) => {
      step = undefined;
      lastEnd = unfinished(outcome);
      render(models.state);
    }),
    // An inline generation's end is followed by its verdict: what the pause showed, or why nothing.
    inlineVerdicts((verdict) => {
      lastEnd = verdictEnd(verdict);
      render(models.state);
    }),
    snooze.onDidChange(() => render(models.state)),
    vscode.window.onDidChangeActiveTextEditor(() => render(models.state)),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('diffusionInfill')) render(models.state);
    }),
  ];
  render(models.state);
  return vscode.Disposable.from(...subscriptions);
}

/** Why inline completions are off in the active editor; undefined when they are on. */
function inlineOff(s: ExtensionSettings, snooze: Snooze): InlineOff | undefined {
  if (!s.inline.enabled) return { why: 'disabled' };
  if (snooze.until !== undefined) return { why: 'snoozed', until: clock(snooze.until) };
  const language = vscode.window.activeTextEditor?.document.languageId;
  if (language && !languageEnabled(s.languages, language)) return { why: 'language', language };
  return undefined;
}
