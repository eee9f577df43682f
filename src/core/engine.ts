import { InfillEvent } from './events';
import { Hole, InfillRequest, Span } from './holes';
import { InfillOptions } from './options';

// The engine's contract: what the CLI, the server and the extension ask of any engine, local or
// remote (localEngine.ts, remote/*), and what they get back.

export interface ModelInfo {
  name: string;
  /** The checkpoint layout the model was built from (ModelConfig.layout); absent where an endpoint does not say. */
  layout?: string;
  device: string;
  maxContext: number;
}

/**
 * Holes in, a stream of drafts out, then the result: the same for a local model and a remote one.
 * What only some engines can do is an optional member, so that callers ask the engine, not its class.
 */
export interface InfillEngine {
  readonly info: ModelInfo;
  infill(request: InfillRequest, options?: InfillOptions, signal?: AbortSignal): AsyncGenerator<InfillEvent>;
  /** Called once if this engine can no longer run (its model's thread died, or it was unloaded). */
  onStop?(listener: (reason: Error) => void): void;
  /**
   * The tokens of `text` as this engine's model reads them, or `cap` once there are at least that
   * many; absent where the tokenizer is elsewhere (a remote engine).
   */
  countTokens?(text: string, cap?: number): Promise<number>;
  /** Repair (repair.ts): needs every token of a span scored, so only where the model runs here. */
  readonly repair?: Repairer;
  /**
   * Reads a request's canvas ahead of it (sampling/denoise.ts prefill): an editor calls it when a
   * file comes into view, so the first request there starts from these keys and values instead of
   * a full pass.  Absent where nothing is kept between requests (an OpenAI-compatible server).
   */
  prefill?(request: InfillRequest, options?: InfillOptions, signal?: AbortSignal): Promise<void>;
  /** Counters for GET /health (the batcher's shared forwards), where the engine keeps any. */
  figures?(): Record<string, number>;
}

/** The span of `text` to repair, UTF-16 offsets, end exclusive. */
export interface RepairRequest {
  text: string;
  span: Span;
}

/** One token of the span as the model read it. */
export interface ScoredToken {
  token: number;
  /** Offsets in the document, UTF-16; a token inside a multi-byte character has start === end. */
  start: number;
  end: number;
  /** Probability of this token under the model's logits at its position (1 where there is no row to read). */
  prob: number;
}

/** Repair as an engine offers it (InfillEngine.repair): plan on the document, then run the plan as a generation. */
export interface Repairer {
  /** Scores the span and picks the `count` least confident tokens to mask again. */
  plan(request: RepairRequest, count: number, options?: InfillOptions, signal?: AbortSignal): Promise<RepairPlan>;
  /** Denoises the plan's remasked tokens: a draft per step, then the result, as an infill streams them. */
  run(plan: RepairPlan, options?: InfillOptions, signal?: AbortSignal): AsyncGenerator<InfillEvent>;
}

/** What `planRepair` decided: which tokens are masked again, as holes of the document. */
export interface RepairPlan {
  request: RepairRequest;
  /** The span's tokens, exactly as encoded, with their scores. */
  tokens: ScoredToken[];
  /** Indices into `tokens` that are masked again, ascending. */
  remasked: number[];
  /**
   * The remasked runs as holes of the document (each `tokens` long), for whoever shows the
   * generation (the drafts panel) and for mapping the result back to text.
   */
  holes: Hole[];
  /** For hole r, the range [from, to) of `tokens` it covers. */
  runs: { from: number; to: number }[];
}
