import { GenerationStats } from '../core';
import type { GenerationKind, GenerationOutcome } from './generations';
import { confidentEnough } from './inline/postprocess';
import type { ModelState } from './modelService';

/**
 * How the last generation ended when it gave the user nothing: a tick with the last timings would
 * say it did.  `heldBack`: an inline fill whose confidence was under the floor, not offered.
 */
export type UnfinishedEnd = { status: 'cancelled' } | { status: 'failed'; message: string } | { status: 'heldBack'; confidence: number; floor: number };

export interface StatusInput {
  state: ModelState;
  step?: { k: number; n: number };
  lastStats?: GenerationStats;
  lastEnd?: UnfinishedEnd;
  /** Why inline completions are off here (disabled, snoozed, this language), or undefined when on. */
  inlineOff?: string;
}

/** What the status bar item shows; the tooltip doubles as what a screen reader reads. */
export interface StatusView {
  text: string;
  tooltip: string;
  background?: 'error' | 'warning';
}

export function statusView({ state, step, lastStats, lastEnd, inlineOff }: StatusInput): StatusView {
  if (step) return { text: `$(loading~spin) Diffusion ${step.k}/${step.n}`, tooltip: `Diffusion Infill: generating, step ${step.k} of ${step.n}` };
  // Off by the user's choice says so before the model's state: it explains the silence.
  if (inlineOff && state.kind !== 'error' && state.kind !== 'loading') {
    return { text: '$(circle-slash) Diffusion', tooltip: `Diffusion Infill: inline completions are off: ${inlineOff}; click for the menu` };
  }
  switch (state.kind) {
    case 'loading':
      return { text: '$(loading~spin) Diffusion: loading', tooltip: `Diffusion Infill: loading the model (${state.source})` };
    case 'error':
      return { text: '$(error) Diffusion', tooltip: `Diffusion Infill: ${state.message}`, background: 'error' };
    case 'ready':
      return readyView(state.info, lastStats, lastEnd);
    default:
      return { text: '$(circle-outline) Diffusion', tooltip: 'Diffusion Infill: the model loads on first use' };
  }
}

function readyView(info: { name: string; device: string }, lastStats?: GenerationStats, lastEnd?: UnfinishedEnd): StatusView {
  const model = `Diffusion Infill: ${info.name} on ${info.device}`;
  switch (lastEnd?.status) {
    case 'failed':
      return { text: '$(warning) Diffusion', tooltip: `Diffusion Infill: the last generation failed: ${lastEnd.message}`, background: 'warning' };
    case 'heldBack':
      return {
        text: '$(eye-closed) Diffusion',
        tooltip: `${model}; the last completion was held back: confidence ${lastEnd.confidence.toFixed(2)} under ${lastEnd.floor} (diffusionInfill.inline.minConfidence)`,
      };
    case 'cancelled':
      return { text: '$(check) Diffusion', tooltip: `${model}; the last generation was cancelled` };
    default:
      if (!lastStats) return { text: '$(check) Diffusion', tooltip: `${model}; no generation yet` };
      return {
        text: `$(check) Diffusion ${Math.round(lastStats.elapsedMs)} ms`,
        tooltip: `${model}; last: ${lastStats.steps} steps, ${lastStats.maskedTokens} tokens, ${Math.round(lastStats.elapsedMs)} ms (${lastStats.msPerStep.toFixed(1)} ms/step) on ${lastStats.device}`,
      };
  }
}

/** How a generation's end shows: undefined when it gave the user something. */
export function unfinished(kind: GenerationKind, outcome: GenerationOutcome, floor: number): UnfinishedEnd | undefined {
  if (outcome.status === 'cancelled') return { status: 'cancelled' };
  if (outcome.status === 'failed') return { status: 'failed', message: outcome.error.message };
  const hole = outcome.result.holes[0];
  if (kind === 'inline' && !confidentEnough(hole, floor)) return { status: 'heldBack', confidence: hole?.confidence ?? 0, floor };
  return undefined;
}
