import type { ResultHole } from '../../core';
import { confidenceWords } from '../confidence';

/**
 * What became of an inline pause's fill: the provider shows it or not, the status bar says why
 * not, the log records it. The engine's result has cleaned the fill and judged it (ResultHole.heldBack,
 * against InfillOptions.minConfidence); an explicit request (Alt+\) shows a fill held back,
 * marked unsure, and an automatic one does not.
 */
export type InlineVerdict =
  | { kind: 'shown'; fill: string; confidence?: number; floor: number; unsure: boolean }
  | { kind: 'heldBack'; confidence: number; floor: number }
  /** Nothing worth showing was left: an empty fill, or one that only repeats the code after the cursor. */
  | { kind: 'empty' };

export function inlineVerdict(hole: ResultHole | undefined, floor: number, explicit: boolean): InlineVerdict {
  if (hole === undefined || hole.text.trim() === '') return { kind: 'empty' };
  if (hole.heldBack && !explicit) return { kind: 'heldBack', confidence: hole.confidence ?? 0, floor };
  return { kind: 'shown', fill: hole.text, confidence: hole.confidence, floor, unsure: hole.heldBack };
}

/** The verdict in words, for the log: shown completions are recorded as well as the ones held back. */
export function verdictWords(verdict: InlineVerdict): string {
  switch (verdict.kind) {
    case 'shown': {
      return `shown${verdict.unsure ? ' marked unsure (asked for with Alt+\\)' : ''}, ${confidenceWords(verdict.confidence)}: ${JSON.stringify(verdict.fill.slice(0, 60))}`;
    }
    case 'heldBack':
      return `held back: ${confidenceWords(verdict.confidence)} is under diffusionInfill.inline.minConfidence (${verdict.floor}); Alt+\\ shows it`;
    case 'empty':
      return 'nothing to show: the fill was empty or only repeated the code after the cursor';
  }
}
