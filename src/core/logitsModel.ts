// The network's contract: what the sampling loop asks of a network (LogitsModel), what it asks
// and gets back (ProposeRequest, Proposal), wherever the network runs (this thread, a worker, a batcher).
import type { Deadline, ResolvedSampler } from './options';

/**
 * What the caller of a forward gives up on (Cancel, the time limit): a network in another thread or
 * process that gives no answer long after it ends itself (WorkerLogitsModel), not to hold every
 * request after it.
 */
export interface AnswerWatch {
  signal?: AbortSignal;
  deadline?: Deadline;
}

/**
 * A network that scores a canvas: for each wanted sequence index, one row of `vocabSize` logits.
 * The ONNX backend implements it; the tests script it.
 */
export interface LogitsModel {
  readonly vocabSize: number;
  /** Returns rows.length * vocabSize floats, row r holding the logits at sequence index rows[r]. */
  logits(ids: Int32Array, rows: number[]): Promise<Float32Array>;
  dispose(): Promise<void>;
  /** Logits and sampler in one call, where the network runs (proposeFromLogits); absent: the caller samples. */
  propose?(ids: Int32Array, request: ProposeRequest, watch?: AnswerWatch): Promise<Proposal[]>;
  /** Drops what the network keeps for a generation's context cache (ProposeRequest.cache); absent: it keeps none. */
  forget?(cacheId: number): void;
  /** Called once if the network can no longer run (its thread died or was unloaded); absent where it cannot stop. */
  onStop?(listener: (reason: Error) => void): void;
}

/** A network that can also score several canvases of one length in one forward ([B, n]). */
export interface BatchLogitsModel extends LogitsModel {
  /** For each canvas, what logits(batch[i], rows[i]) returns. */
  logitsBatch(batch: Int32Array[], rows: number[][]): Promise<Float32Array[]>;
  /** For each canvas, what propose(batch[i], requests[i]) returns; absent: the callers sample. */
  proposeBatch?(batch: Int32Array[], requests: ProposeRequest[]): Promise<Proposal[][]>;
}

export function canBatch(model: LogitsModel): model is BatchLogitsModel {
  return typeof (model as Partial<BatchLogitsModel>).logitsBatch === 'function';
}

/** The token a step would write at one masked position, and how sure the model is of it. */
export interface Proposal {
  token: number;
  /** Probability of the chosen token (after temperature, top-p and top-k for Dream's algorithms). */
  prob: number;
  /** The algorithm's ranking score (not a probability), by which positions compete to be committed: larger goes first. */
  score: number;
}

/** One masked position's question to the sampler. */
export interface ProposalQuery {
  /** The canvas row whose logits predict it (the position itself, or the one before it when shifted). */
  row: number;
  /** The tokens it may take (1 = allowed), or null for any (holeRules.ts). */
  allowed: Uint8Array | null;
  /** Its own random stream: the proposal is the same wherever it is computed. */
  seed: number;
}

export interface ProposeRequest {
  queries: ProposalQuery[];
  sampler: ResolvedSampler;
  /** Present when the network may run only `span` over the keys and values it keeps (a graph with onnx.cache). */
  cache?: CacheStep;
}

/**
 * One step of a generation that runs over a context cache.  The network does a full pass and keeps
 * every position's keys and values when `refresh` is set, when it holds none for `id`, or when
 * `span` changed; otherwise it runs only `span` (which holds every asked row) over them.
 */
export interface CacheStep {
  /** The generation's, unique in the process. */
  id: number;
  /** Canvas positions run on a cached step, ascending: the block's, and the rows that predict them. */
  span: number[];
  refresh: boolean;
  /**
   * On the generation's first pass, its reuseKey: the pass may start from the keys and values of an
   * earlier request's canvas with the same key (contextReuse.ts), and is kept for later ones with it.
   */
  reuse?: string;
}

/** The distinct rows a request needs logits for, in the order `proposeFromLogits` expects them. */
export function rowsOf(request: ProposeRequest): number[] {
  return [...new Set(request.queries.map((q) => q.row))];
}
