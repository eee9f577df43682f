import * as vscode from 'vscode';
import { GenerationStats } from '../core';
import { Generations } from './generations';
import { ModelService, ModelState } from './modelService';
import { ExtensionSettings } from './settings';
import { statusView, unfinished, UnfinishedEnd } from './statusView';

export const SHOW_LOG_COMMAND = 'diffusionInfill.showLog';

/**
 * The status bar item: the model's state (loading, ready, error), "step k of n" while a
 * generation runs, and the last generation's timings in the text and the tooltip.
 */
export function createStatusBar(models: ModelService, generations: Generations, settings: () => ExtensionSettings): vscode.Disposable {
  const item = vscode.window.createStatusBarItem('diffusionInfill.status', vscode.StatusBarAlignment.Right, 100);
  item.name = 'Diffusion Infill';
  item.command = SHOW_LOG_COMMAND;
  let lastStats: GenerationStats | undefined;
  let step: { k: number; n: number } | undefined;
  let lastEnd: UnfinishedEnd | undefined;

  const render = (state: ModelState): void => {
    const view = statusView({ state, step, lastStats, lastEnd });
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
    generations.onDidEnd(({ kind, outcome }) => {
      step = undefined;
      lastEnd = unfinished(kind, outcome, settings().inline.minConfidence);
      render(models.state);
    }),
  ];
  render(models.state);
  return vscode.Disposable.from(...subscriptions);
}
