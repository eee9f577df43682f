import type { FilledHole } from '../core';

/**
 * How sure the model was of a result, as one figure that means the same wherever it is shown
 * (the status bar, the log, a proposal's title, the Drafts panel) and that the inline floor
 * (`diffusionInfill.inline.minConfidence`) is held to: the confidence of its least sure hole, each
 * hole's being the geometric mean of the probabilities of the tokens the model chose for it
 * (FilledHole.confidence). Undefined where the engine cannot tell (fill-in-the-middle endpoints).
 */
export function resultConfidence(holes: readonly FilledHole[]): number | undefined {
  const known = holes.map((h) => h.confidence).filter((c): c is number => c !== undefined);
  return known.length ? Math.min(...known) : undefined;
}

/** The figure in words, as every place shows it. */
export function confidenceWords(confidence: number | undefined): string {
  return confidence === undefined ? 'confidence unknown' : `confidence ${confidence.toFixed(2)}`;
}
