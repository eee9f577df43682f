import type { FilledHole } from '../../core';
import { confidenceWords } from '../confidence';
import { confidentEnough } from './postprocess';

/**
 * What became of an inline pause's fill, decided once: the provider shows it or not, the status
 * bar says why not, the log records it. An explicit request (Alt+\) shows a fill the model was
 * unsure of, marked as such; an automatic one holds it back.
 */
export type InlineVerdict =
  | { kind: 'shown'; fill: string; confidence?: number; floor: number; unsure: boolean }
  | { kind: 'heldBack'; confidence: number; floor: number }
  /** Nothing worth showing was left: an empty fill, or one that only repeats the code after the cursor. */
  | { kind: 'empty' };

export function inlineVerdict(hole: FilledHole | undefined, clean: (text: string) => string | undefined, floor: number, explicit: boolean): InlineVerdict {
  const fill = hole === undefined ? undefined : clean(hole.text);
  if (hole === undefined || fill === undefined) return { kind: 'empty' };
  const unsure = !confidentEnough(hole, floor);
  if (unsure && !explicit) return { kind: 'heldBack', confidence: hole.confidence ?? 0, floor };
  return { kind: 'shown', fill, confidence: hole.confidence, floor, unsure };
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
