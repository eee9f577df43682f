import { Alg, DREAM_ALGS } from '../options';
import { Proposal, ProposeRequest, rowsOf } from '../logitsModel';
import { seededRng } from './rng';

/** What a graph with onnx.decide returns for one row (docs/model-folder.md). */
export interface Decision {
  token: number;
  prob: number;
  secondProb: number;
  /** -sum p log p, in nats. */
  entropy: number;
}

/**
 * Whether the graph's decision gives what proposeFromLogits would: greedy, the row not narrowed by
 * a hole rule, and (for Dream's algorithms, which apply them before the softmax) no top-p or top-k.
 */
export function decidable(request: ProposeRequest): boolean {
  const s = request.sampler;
  if (s.temperature !== 0 || request.queries.some((q) => q.allowed !== null)) return false;
  return !(DREAM_ALGS as readonly Alg[]).includes(s.alg) || (s.topP === 1 && s.topK === 0);
}

/** The proposals proposeFromLogits gives at temperature 0, from the decision of each of `rows`. */
export function proposeFromDecisions(decisions: Decision[], request: ProposeRequest, rows = rowsOf(request)): Proposal[] {
  const rowIndex = new Map(rows.map((r, i) => [r, i]));
  const alg = request.sampler.alg;
  return request.queries.map((q) => {
    const d = decisions[rowIndex.get(q.row)!];
    let score = d.prob;
    if (alg === 'topk_margin') score = d.prob - d.secondProb;
    else if (alg === 'entropy') score = -d.entropy;
    else if (alg === 'random') score = seededRng(q.seed)();
    return { token: d.token, prob: d.prob, score };
  });
}
