import * as vscode from 'vscode';
import { GenerationStats } from '../core';
import { Generations } from './generations';
import { ModelService, ModelState } from './modelService';

export const SHOW_LOG_COMMAND = 'diffusionInfill.showLog';

/**
 * The status bar item: the model's state (loading, ready, error), "step k of n" while a
 * generation runs, and the last generation's timings in the text and the tooltip.
 */
export function createStatusBar(models: ModelService, generations: Generations): vscode.Disposable {
  const item = vscode.window.createStatusBarItem('diffusionInfill.status', vscode.StatusBarAlignment.Right, 100);
  item.name = 'Diffusion Infill';
  item.command = SHOW_LOG_COMMAND;
  let lastStats: GenerationStats | undefined;
  let step: { k: number; n: number } | undefined;

  const render = (state: ModelState): void => {
    const timings = lastStats
      ? `last: ${lastStats.steps} steps, ${lastStats.maskedTokens} tokens, ${Math.round(lastStats.elapsedMs)} ms (${lastStats.msPerStep.toFixed(1)} ms/step) on ${lastStats.device}`
      : 'no generation yet';
    item.backgroundColor = undefined;
    if (step) {
      item.text = `$(loading~spin) Diffusion ${step.k}/${step.n}`;
      item.tooltip = `Diffusion Infill: generating, step ${step.k} of ${step.n}`;
    } else if (state.kind === 'loading') {
      item.text = '$(loading~spin) Diffusion: loading';
      item.tooltip = `Diffusion Infill: loading the model (${state.source})`;
    } else if (state.kind === 'error') {
      item.text = '$(error) Diffusion';
      item.tooltip = `Diffusion Infill: ${state.message}`;
      item.backgroundColor = new vscode.ThemeColor('statusBarItem.errorBackground');
    } else if (state.kind === 'ready') {
      item.text = lastStats ? `$(check) Diffusion ${Math.round(lastStats.elapsedMs)} ms` : '$(check) Diffusion';
      item.tooltip = `Diffusion Infill: ${state.info.name} on ${state.info.device}; ${timings}`;
    } else {
      item.text = '$(circle-outline) Diffusion';
      item.tooltip = 'Diffusion Infill: the model loads on first use';
    }
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
    generations.onDidEnd(() => {
      step = undefined;
      render(models.state);
    }),
  ];
  render(models.state);
  return vscode.Disposable.from(...subscriptions);
}
