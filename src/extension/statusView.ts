import { GenerationStats } from '../core';
import { confidenceWords } from './confidence';
import type { GenerationOutcome } from './generations';
import type { InlineVerdict } from './inline/verdict';
import type { ModelState } from './modelService';

/**
 * How the last pause or command ended, where that tells the user something the timings do not:
 * that it gave nothing (cancelled, failed, held back, empty) or gave a fill the model was unsure of.
 */
export type LastEnd =
  | { status: 'cancelled' }
  | { status: 'failed'; message: string }
  | { status: 'heldBack'; confidence: number; floor: number }
  | { status: 'empty' }
  /** An explicit request (Alt+\) showed a fill under the confidence floor. */
  | { status: 'unsure'; confidence: number; floor: number };

/** Why inline completions are off here, or undefined when they are on. */
export type InlineOff = { why: 'disabled' } | { why: 'snoozed'; until: string } | { why: 'language'; language: string };

export interface StatusInput {
  state: ModelState;
  step?: { k: number; n: number };
  lastStats?: GenerationStats;
  lastEnd?: LastEnd;
  inlineOff?: InlineOff;
}

/** What the status bar item shows; the tooltip doubles as what a screen reader reads. */
export interface StatusView {
  text: string;
  tooltip: string;
  background?: 'error' | 'warning';
}

/**
 * The item's text is an icon, the name and at most one word: no counters or times, which would
 * change its width at every step and push the other items about. Those are in the tooltip.
 */
export function statusView({ state, step, lastStats, lastEnd, inlineOff }: StatusInput): StatusView {
  if (step) return { text: '$(loading~spin) Diffusion', tooltip: `Diffusion Infill: generating, step ${step.k} of ${step.n}` };
  // Off by the user's choice says so before the model's state: it explains the silence.
  if (inlineOff && state.kind !== 'error' && state.kind !== 'loading') return offView(inlineOff);
  switch (state.kind) {
    case 'loading':
      return {
        text: '$(loading~spin) Diffusion: loading',
        tooltip: `Diffusion Infill: loading the model (${state.source}); completions asked for meanwhile wait for it`,
      };
    case 'error':
      return { text: '$(error) Diffusion: error', tooltip: `Diffusion Infill: ${state.message}`, background: 'error' };
    case 'ready':
      return readyView(state.info, lastStats, lastEnd);
    default:
      return { text: '$(circle-outline) Diffusion', tooltip: 'Diffusion Infill: the model loads on first use' };
  }
}

function offView(off: InlineOff): StatusView {
  const menu = 'click for the menu';
  switch (off.why) {
    case 'snoozed':
      return { text: '$(bell-slash) Diffusion: snoozed', tooltip: `Diffusion Infill: inline completions are snoozed until ${off.until}; ${menu}` };
    case 'language':
      return {
        text: '$(circle-slash) Diffusion: off',
        tooltip: `Diffusion Infill: inline completions are off for ${off.language} (diffusionInfill.languages); ${menu}`,
      };
    default:
      return { text: '$(circle-slash) Diffusion: off', tooltip: `Diffusion Infill: inline completions are off (diffusionInfill.inline.enabled); ${menu}` };
  }
}

function readyView(info: { name: string; device: string }, lastStats?: GenerationStats, lastEnd?: LastEnd): StatusView {
  const model = `Diffusion Infill: ${info.name} on ${info.device}`;
  switch (lastEnd?.status) {
    case 'failed':
      return { text: '$(warning) Diffusion: failed', tooltip: `Diffusion Infill: the last generation failed: ${lastEnd.message}`, background: 'warning' };
    case 'heldBack':
      return {
        text: '$(eye-closed) Diffusion: unsure',
        tooltip: `${model}; the last completion was held back because the model was unsure of it: ${confidenceWords(lastEnd.confidence)} under ${lastEnd.floor} (diffusionInfill.inline.minConfidence). Alt+\\ shows it anyway`,
      };
    case 'unsure':
      return {
        text: '$(question) Diffusion: unsure',
        tooltip: `${model}; the completion shown was asked for with Alt+\\ and the model is unsure of it: ${confidenceWords(lastEnd.confidence)} under ${lastEnd.floor}`,
      };
    case 'empty':
      return {
        text: '$(dash) Diffusion: no fill',
        tooltip: `${model}; the model wrote nothing to add at the last pause (an empty fill, or the code already after the cursor)`,
      };
    case 'cancelled':
      return { text: '$(check) Diffusion', tooltip: `${model}; the last generation was cancelled` };
    default:
      if (!lastStats) return { text: '$(check) Diffusion', tooltip: `${model}; no generation yet` };
      return {
        text: '$(check) Diffusion',
        tooltip: `${model}; last: ${lastStats.steps} steps, ${lastStats.maskedTokens} tokens, ${Math.round(lastStats.elapsedMs)} ms (${lastStats.msPerStep.toFixed(1)} ms/step) on ${lastStats.device}`,
      };
  }
}

/** How a generation's end shows, before any inline verdict: undefined when it ran to a result. */
export function unfinished(outcome: GenerationOutcome): LastEnd | undefined {
  if (outcome.status === 'cancelled') return { status: 'cancelled' };
  if (outcome.status === 'failed') return { status: 'failed', message: outcome.error.message };
  return undefined;
}

/** How an inline verdict shows: undefined for a fill shown without doubt. */
export function verdictEnd(verdict: InlineVerdict): LastEnd | undefined {
  if (verdict.kind === 'heldBack') return { status: 'heldBack', confidence: verdict.confidence, floor: verdict.floor };
  if (verdict.kind === 'empty') return { status: 'empty' };
  if (verdict.unsure) return { status: 'unsure', confidence: verdict.confidence ?? 0, floor: verdict.floor };
  return undefined;
}
