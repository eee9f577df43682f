import { Proposal } from '../logitsModel';
import { Rng } from './rng';

/** Indices (into `proposals`) of the `count` highest scores; ties go to the earlier position. */
export function topByScore(proposals: Proposal[], count: number): number[] {
  return proposals
    .map((_, i) => i)
    .sort((a, b) => proposals[b].score - proposals[a].score || a - b)
    .slice(0, count);
}

/**
 * Dream with `alg_temp`: draw `count` positions without replacement, weighted by
 * softmax(score / algTemp); positions of weight zero (a score of -Infinity) come last, in order.
 */
export function drawByScore(proposals: Proposal[], count: number, algTemp: number, rng: Rng): number[] {
  const max = Math.max(...proposals.map((p) => p.score).filter(Number.isFinite));
  const weights = proposals.map((p) => (Number.isFinite(p.score) ? Math.exp((p.score - max) / algTemp) : 0));
  const left = new Set(proposals.keys());
  const chosen: number[] = [];
  for (let n = 0; n < Math.min(count, proposals.length); n++) {
    const total = [...left].reduce((a, i) => a + weights[i], 0);
    let pick = [...left][0];
    let u = rng() * total;
    for (const i of left) {
      if (weights[i] === 0) continue;
      u -= weights[i];
      pick = i;
      if (u < 0) break;
    }
    chosen.push(pick);
    left.delete(pick);
  }
  return chosen;
}

/** Fast-dLLM: every position whose token has probability >= threshold, and at least the best scored. */
export function aboveThreshold(proposals: Proposal[], threshold: number): number[] {
  const chosen = proposals.map((_, i) => i).filter((i) => proposals[i].prob >= threshold);
  if (chosen.length > 0) return chosen;
  return topByScore(proposals, 1);
}
