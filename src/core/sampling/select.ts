import { Proposal } from './propose';
import { Rng } from './rng';

/** Indices (into `proposals`) of the `count` highest scores; ties go to the earlier position. */
export function topByScore(proposals: Proposal[], count: number): number[] {
  return proposals
    .map((_, i) => i)
    .sort((a, b) => proposals[b].score - proposals[a].score || a - b)
    .slice(0, count);
}

/** Dream with `alg_temp`: draw `count` positions without replacement, weighted by softmax(score / algTemp). */
export function drawByScore(proposals: Proposal[], count: number, algTemp: number, rng: Rng): number[] {
  const max = Math.max(...proposals.map((p) => p.score));
  const weights = proposals.map((p) => Math.exp((p.score - max) / algTemp));
  const chosen: number[] = [];
  for (let n = 0; n < Math.min(count, proposals.length); n++) {
    const total = weights.reduce((a, b) => a + b, 0);
    let u = rng() * total;
    let pick = weights.findIndex((w) => w > 0);
    for (let i = 0; i < weights.length; i++) {
      if (weights[i] === 0) continue;
      u -= weights[i];
      pick = i;
      if (u < 0) break;
    }
    chosen.push(pick);
    weights[pick] = 0;
  }
  return chosen;
}

/** Fast-dLLM: every position whose token has probability >= threshold, and at least the best scored. */
export function aboveThreshold(proposals: Proposal[], threshold: number): number[] {
  const chosen = proposals.map((_, i) => i).filter((i) => proposals[i].prob >= threshold);
  if (chosen.length > 0) return chosen;
  return topByScore(proposals, 1);
}
