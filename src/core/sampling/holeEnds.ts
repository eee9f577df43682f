import { Proposal } from './propose';

/** The holes of unknown length in a canvas, and the tokens that end one (end-of-text, pad). */
export interface HoleEnds {
  tokenIds: ReadonlySet<number>;
  holes: readonly { start: number; length: number }[];
}

/**
 * Proposals as the selection sees them: an end token whose left neighbour in its hole is still
 * masked is ranked below everything and never passes a threshold, so a hole ends where its text
 * ends rather than wherever the model was surest of the padding.  The leftmost masked position
 * of a hole always has a decided neighbour, so every step still has something to commit.
 */
export function deferEndsAfterMasks(
  proposals: Proposal[],
  masked: number[],
  ids: Int32Array,
  maskTokenId: number,
  ends: HoleEnds | undefined,
): Proposal[] {
  if (!ends) return proposals;
  const starts = new Set(ends.holes.map((h) => h.start));
  return proposals.map((p, k) =>
    ends.tokenIds.has(p.token) && !starts.has(masked[k]) && ids[masked[k] - 1] === maskTokenId
      ? { ...p, prob: 0, score: -Infinity }
      : p,
  );
}

/**
 * A hole whose first end token has only decided positions before it is finished: its text can no
 * longer change, so its remaining masks take that end token and cost no more forwards.
 */
export function finishEndedHoles(ids: Int32Array, maskTokenId: number, ends: HoleEnds | undefined): void {
  if (!ends) return;
  for (const h of ends.holes) {
    for (let p = h.start; p < h.start + h.length; p++) {
      if (ids[p] === maskTokenId) break;
      if (!ends.tokenIds.has(ids[p])) continue;
      for (let q = p + 1; q < h.start + h.length; q++) if (ids[q] === maskTokenId) ids[q] = ids[p];
      break;
    }
  }
}
