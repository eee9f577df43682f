import { Alg, ResolvedSampler } from '../settings';
import { Rng } from './rng';

/** The token a step would write at one masked position, and how sure the model is of it. */
export interface Proposal {
  token: number;
  /** Probability of the chosen token (after temperature, top-p and top-k for Dream's algorithms). */
  prob: number;
  /** The algorithm's confidence, by which positions compete to be committed: larger is surer. */
  score: number;
}

/**
 * Dream's `sample_tokens`: temperature, then top-p, then top-k, then softmax; the token is drawn
 * from that distribution (argmax at temperature 0) and the confidence is read from it.
 */
export function proposeDream(logits: Float32Array, alg: Alg, s: ResolvedSampler, rng: Rng): Proposal {
  const scaled = Float64Array.from(logits);
  if (s.temperature > 0) for (let v = 0; v < scaled.length; v++) scaled[v] /= s.temperature;
  if (s.topP < 1) keepTopP(scaled, s.topP);
  if (s.topK > 0) keepTopK(scaled, s.topK);
  const probs = softmax(scaled);
  const token = s.temperature > 0 ? drawFrom(probs, rng) : argmax(probs);
  const prob = probs[token];
  let score = prob;
  if (alg === 'topk_margin') {
    const [p1, p2] = topTwo(probs);
    score = p1 - p2;
  } else if (alg === 'entropy') {
    score = 0;
    for (let v = 0; v < probs.length; v++) score += probs[v] * Math.log(probs[v] + 1e-10);
  }
  return { token, prob, score };
}

/**
 * LLaDA's step: the token is the argmax of the logits with Gumbel noise scaled by the temperature;
 * `low_confidence` scores it by its softmax probability, `random` by a uniform draw.
 */
export function proposeLLaDA(logits: Float32Array, alg: Alg, s: ResolvedSampler, rng: Rng): Proposal {
  let token: number;
  if (s.temperature > 0) {
    // exp(l) / (-log u)^T has the same argmax as l - T * log(-log u).
    let best = -Infinity;
    token = 0;
    for (let v = 0; v < logits.length; v++) {
      const noisy = logits[v] - s.temperature * Math.log(-Math.log(rng() || Number.MIN_VALUE));
      if (noisy > best) {
        best = noisy;
        token = v;
      }
    }
  } else {
    token = argmax(logits);
  }
  const prob = softmax(Float64Array.from(logits))[token];
  return { token, prob, score: alg === 'random' ? rng() : prob };
}

export function softmax(x: Float64Array): Float64Array {
  let max = -Infinity;
  for (let v = 0; v < x.length; v++) if (x[v] > max) max = x[v];
  let sum = 0;
  const out = new Float64Array(x.length);
  for (let v = 0; v < x.length; v++) {
    out[v] = Math.exp(x[v] - max);
    sum += out[v];
  }
  for (let v = 0; v < x.length; v++) out[v] /= sum;
  return out;
}

export function argmax(x: ArrayLike<number>): number {
  let best = 0;
  for (let v = 1; v < x.length; v++) if (x[v] > x[best]) best = v;
  return best;
}

function drawFrom(probs: Float64Array, rng: Rng): number {
  let u = rng();
  for (let v = 0; v < probs.length; v++) {
    u -= probs[v];
    if (u < 0) return v;
  }
  return argmax(probs);
}

function topTwo(probs: Float64Array): [number, number] {
  let p1 = -Infinity;
  let p2 = -Infinity;
  for (let v = 0; v < probs.length; v++) {
    if (probs[v] > p1) {
      p2 = p1;
      p1 = probs[v];
    } else if (probs[v] > p2) p2 = probs[v];
  }
  return [p1, p2 === -Infinity ? 0 : p2];
}

/** Dream's `top_p_logits`: drop the tokens after the smallest prefix whose mass exceeds p. */
function keepTopP(logits: Float64Array, p: number): void {
  const order = Array.from(logits.keys()).sort((a, b) => logits[b] - logits[a]);
  const probs = softmax(Float64Array.from(order, (i) => logits[i]));
  let cumulative = 0;
  for (let r = 0; r < order.length; r++) {
    // The shift by one keeps the token that crosses p.
    if (cumulative > p) logits[order[r]] = -Infinity;
    cumulative += probs[r];
  }
}

/** Dream's `top_k_logits`: drop every logit below the k-th largest (ties stay). */
function keepTopK(logits: Float64Array, k: number): void {
  if (k >= logits.length) return;
  const kth = Float64Array.from(logits).sort().reverse()[k - 1];
  for (let v = 0; v < logits.length; v++) if (logits[v] < kth) logits[v] = -Infinity;
}
