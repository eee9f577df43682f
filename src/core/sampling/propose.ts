import type { AnswerWatch, LogitsModel, Proposal, ProposeRequest } from '../logitsModel';
import { rowsOf } from '../logitsModel';
import { Alg, DREAM_ALGS, ResolvedSampler } from '../options';
import { Rng, seededRng } from './rng';

/**
 * A proposal for each query.  A network on another thread samples there too: at a 150k vocabulary
 * the sampler costs more than a small model's forward, and the logits never have to cross over.
 */
export async function proposeWith(network: LogitsModel, ids: Int32Array, request: ProposeRequest, watch?: AnswerWatch): Promise<Proposal[]> {
  if (network.propose) return network.propose(ids, request, watch);
  return proposeFromLogits(await network.logits(ids, rowsOf(request)), network.vocabSize, request);
}

/**
 * A proposal for each query from the logits of `rows` (by default `rowsOf(request)`).  It runs where the logits are:
 * on the model's worker thread, or on the caller's for networks in this thread.  The rows are
 * overwritten where a query narrows them.
 */
export function proposeFromLogits(logits: Float32Array, vocab: number, request: ProposeRequest, rows = rowsOf(request)): Proposal[] {
  const s = request.sampler;
  const rowIndex = new Map(rows.map((r, i) => [r, i]));
  const dream = (DREAM_ALGS as readonly Alg[]).includes(s.alg);
  return request.queries.map((q) => {
    const r = rowIndex.get(q.row)!;
    const row = logits.subarray(r * vocab, (r + 1) * vocab);
    if (q.allowed) for (let id = 0; id < row.length; id++) if (!q.allowed[id]) row[id] = -Infinity;
    const rng = seededRng(q.seed);
    return dream ? proposeDream(row, s.alg, s, rng) : proposeLLaDA(row, s.alg, s, rng);
  });
}

/**
 * Dream's `sample_tokens`: temperature, then top-p, then top-k, then softmax; the token is drawn
 * from that distribution (argmax at temperature 0) and its ranking score (Proposal.score) is read from it.
 */
export function proposeDream(logits: Float32Array, alg: Alg, s: ResolvedSampler, rng: Rng): Proposal {
  // At a 150k vocabulary this runs for every masked position of every step: one scratch buffer,
  // one exp per token, and no log per token (the entropy is read from the same sums).
  const x = scratchFor(logits.length);
  const inverseT = s.temperature > 0 ? 1 / s.temperature : 1;
  for (let v = 0; v < logits.length; v++) x[v] = logits[v] * inverseT;
  if (s.topP < 1) keepTopP(x, s.topP);
  if (s.topK > 0) keepTopK(x, s.topK);
  let max = -Infinity;
  let best = 0;
  for (let v = 0; v < x.length; v++) {
    if (x[v] > max) {
      max = x[v];
      best = v;
    }
  }
  let z = 0;
  let weighted = 0;
  for (let v = 0; v < x.length; v++) {
    const d = x[v] - max;
    const e = d === -Infinity ? 0 : Math.exp(d);
    x[v] = e;
    z += e;
    if (e > 0) weighted += e * d;
  }
  const token = s.temperature > 0 ? drawFrom(x, z, rng, best) : best;
  const prob = x[token] / z;
  let score = prob;
  if (alg === 'topk_margin') {
    const [e1, e2] = topTwo(x);
    score = (e1 - e2) / z;
  } else if (alg === 'entropy') {
    // sum p log p with p = e^d / z is sum(p d) - log z.
    score = weighted / z - Math.log(z);
  }
  return { token, prob, score };
}

let scratch = new Float64Array(0);
function scratchFor(n: number): Float64Array {
  if (scratch.length !== n) scratch = new Float64Array(n);
  return scratch;
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
  const prob = probabilityOf(logits, token);
  return { token, prob, score: alg === 'random' ? rng() : prob };
}

/** softmax(logits)[token], without materialising the softmax. */
export function probabilityOf(logits: Float32Array, token: number): number {
  let max = -Infinity;
  for (let v = 0; v < logits.length; v++) if (logits[v] > max) max = logits[v];
  let z = 0;
  for (let v = 0; v < logits.length; v++) z += Math.exp(logits[v] - max);
  return Math.exp(logits[token] - max) / z;
}

export function argmax(x: ArrayLike<number>): number {
  let best = 0;
  for (let v = 1; v < x.length; v++) if (x[v] > x[best]) best = v;
  return best;
}

/** Draws from unnormalised weights summing to z. */
function drawFrom(weights: Float64Array, z: number, rng: Rng, fallback: number): number {
  let u = rng() * z;
  for (let v = 0; v < weights.length; v++) {
    u -= weights[v];
    if (u < 0) return v;
  }
  return fallback;
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

/**
 * Dream's `top_p_logits`: sort by probability, and drop every token after the first whose
 * cumulative mass exceeds p.  Sorting a 150k vocabulary for every masked position was the
 * sampler's main cost (npm run bench times it), so the tokens are first put in buckets by
 * how far their logit is below the best (1/16 nat wide): whole buckets are kept or dropped by
 * their mass, and only the bucket where the mass crosses p is sorted.
 */
export function keepTopP(logits: Float64Array, p: number): void {
  const n = logits.length;
  let max = -Infinity;
  for (let v = 0; v < n; v++) if (logits[v] > max) max = logits[v];
  const weight = topPWeights(n);
  const bucketOf = topPBuckets(n);
  const mass = new Float64Array(TOP_P_BUCKETS + 1);
  let z = 0;
  for (let v = 0; v < n; v++) {
    const d = max - logits[v];
    const b = d < TOP_P_BUCKETS / BUCKETS_PER_NAT ? Math.floor(d * BUCKETS_PER_NAT) : TOP_P_BUCKETS;
    const e = Math.exp(-d);
    weight[v] = e;
    bucketOf[v] = b;
    mass[b] += e;
    z += e;
  }
  const target = p * z;
  let before = 0;
  let crossing = -1;
  for (let b = 0; b <= TOP_P_BUCKETS; b++) {
    if (before + mass[b] > target) {
      crossing = b;
      break;
    }
    before += mass[b];
  }
  if (crossing === -1) return;
  const boundary: number[] = [];
  for (let v = 0; v < n; v++) if (bucketOf[v] === crossing) boundary.push(v);
  boundary.sort((a, b) => weight[b] - weight[a] || a - b);
  let cumulative = before;
  for (const v of boundary) {
    // The token that crosses p is kept (Dream shifts the mask by one).
    if (cumulative > target) bucketOf[v] = TOP_P_BUCKETS + 1;
    cumulative += weight[v];
  }
  for (let v = 0; v < n; v++) if (bucketOf[v] > crossing) logits[v] = -Infinity;
}

const BUCKETS_PER_NAT = 16;
/** Buckets up to 40 nats below the best logit; the rest (each under e^-40 of it) share the last. */
const TOP_P_BUCKETS = 40 * BUCKETS_PER_NAT;
let weights = new Float64Array(0);
let buckets = new Int32Array(0);
function topPWeights(n: number): Float64Array {
  if (weights.length !== n) weights = new Float64Array(n);
  return weights;
}
function topPBuckets(n: number): Int32Array {
  if (buckets.length !== n) buckets = new Int32Array(n);
  return buckets;
}

/** Dream's `top_k_logits`: drop every logit below the k-th largest (ties stay). */
function keepTopK(logits: Float64Array, k: number): void {
  if (k >= logits.length) return;
  // A min-heap of the k largest seen: O(V log k) instead of sorting the vocabulary.
  const heap = new Float64Array(k).fill(-Infinity);
  for (let v = 0; v < logits.length; v++) {
    const x = logits[v];
    if (x <= heap[0]) continue;
    heap[0] = x;
    for (let i = 0; ;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < k && heap[l] < heap[m]) m = l;
      if (r < k && heap[r] < heap[m]) m = r;
      if (m === i) break;
      [heap[i], heap[m]] = [heap[m], heap[i]];
      i = m;
    }
  }
  const kth = heap[0];
  for (let v = 0; v < logits.length; v++) if (logits[v] < kth) logits[v] = -Infinity;
}
