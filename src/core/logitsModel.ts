import type { Deadline } from './sampling/denoise';
import type { Proposal, ProposeRequest } from './sampling/propose';

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
