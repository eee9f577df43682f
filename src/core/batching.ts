import type { BatchLogitsModel, LogitsModel, Proposal, ProposeRequest } from './logitsModel';

export interface BatchingOptions {
  /** Most canvases in one forward. Default 16. */
  maxBatch?: number;
  /**
   * Longest wait for callers of the last round that have not called again yet (they are still
   * sampling, or have finished). Unset: half the last forward's time, from 1 to 50 ms. A round is sent
   * at once when every such caller is back, or when maxBatch calls wait.
   */
  windowMs?: number;
}

/** A call waiting for a round: for logits (`rows`) or for proposals (`request`). */
type Pending = { ids: Int32Array; reject: (error: unknown) => void } & (
  { rows: number[]; resolve: (logits: Float32Array) => void } | { request: ProposeRequest; resolve: (proposals: Proposal[]) => void }
);

/**
 * Shares forwards between concurrent generations: logits() calls that arrive while a forward
 * runs, or within a short window, are gathered, and those whose canvases have the same length go
 * through the network as one batch. One round runs at a time.
 */
export class ForwardBatcher implements LogitsModel {
  /** Forwards run by the inner network. */
  forwards = 0;
  /** logits() calls answered. */
  calls = 0;
  largestBatch = 0;
  private pending: Pending[] = [];
  private busy = false;
  private timer: NodeJS.Timeout | NodeJS.Immediate | null = null;
  private immediate = false;
  private lastForwardMs = 0;
  /** Callers answered in earlier rounds and not heard from since. */
  private away = 0;
  private readonly maxBatch: number;
  /** Present when the inner network samples where it runs: the batch's proposals come back, not its logits. */
  readonly propose?: (ids: Int32Array, request: ProposeRequest) => Promise<Proposal[]>;

  constructor(
    private readonly inner: BatchLogitsModel,
    private readonly options: BatchingOptions = {},
  ) {
    this.maxBatch = Math.max(1, options.maxBatch ?? 16);
    if (inner.proposeBatch)
      this.propose = (ids, request) => new Promise((resolve, reject) => this.enqueue({ ids: Int32Array.from(ids), request, resolve, reject }));
  }

  get vocabSize(): number {
    return this.inner.vocabSize;
  }

  logits(ids: Int32Array, rows: number[]): Promise<Float32Array> {
    // The caller commits tokens into its canvas after the answer; copy so a batch sees this state.
    return new Promise((resolve, reject) => this.enqueue({ ids: Int32Array.from(ids), rows: [...rows], resolve, reject }));
  }

  private enqueue(call: Pending): void {
    this.pending.push(call);
    this.away = Math.max(0, this.away - 1);
    this.schedule();
  }

  forget(cacheId: number): void {
    this.inner.forget?.(cacheId);
  }

  async dispose(): Promise<void> {
    await this.inner.dispose();
  }

  private schedule(): void {
    if (this.busy) return;
    if (this.pending.length >= this.maxBatch || (this.away === 0 && this.timer && !this.immediate)) {
      this.clearTimer();
      void this.flush();
      return;
    }
    if (this.timer) return;
    if (this.away === 0) {
      // Nobody else is expected: gather what arrives in this turn of the event loop.
      this.immediate = true;
      this.timer = setImmediate(() => this.flush());
      return;
    }
    const wait = this.options.windowMs ?? Math.min(50, Math.max(1, this.lastForwardMs / 2));
    this.immediate = false;
    this.timer = setTimeout(() => {
      // Whoever has not come back by now is taken to have finished.
      this.away = 0;
      void this.flush();
    }, wait);
  }

  private clearTimer(): void {
    if (!this.timer) return;
    if (this.immediate) clearImmediate(this.timer as NodeJS.Immediate);
    else clearTimeout(this.timer as NodeJS.Timeout);
    this.timer = null;
  }

  private async flush(): Promise<void> {
    this.timer = null;
    if (this.busy || this.pending.length === 0) return;
    this.busy = true;
    const round = this.pending;
    this.pending = [];
    // One call to the network takes calls all asking for logits (of one canvas length) or all for
    // proposals (the network groups those by what each runs: a length search's canvases differ).
    const groups = new Map<string, Pending[]>();
    for (const p of round) {
      const key = 'request' in p ? 'propose' : `logits:${p.ids.length}`;
      const group = groups.get(key) ?? [];
      group.push(p);
      groups.set(key, group);
    }
    const started = performance.now();
    let forwards = 0;
    for (const group of groups.values()) {
      for (let i = 0; i < group.length; i += this.maxBatch) {
        const chunk = group.slice(i, i + this.maxBatch);
        forwards++;
        await this.run(chunk);
      }
    }
    this.lastForwardMs = (performance.now() - started) / Math.max(1, forwards);
    this.away += round.length;
    this.busy = false;
    if (this.pending.length > 0) this.schedule();
  }

  private async run(chunk: Pending[]): Promise<void> {
    this.forwards++;
    this.largestBatch = Math.max(this.largestBatch, chunk.length);
    try {
      const ids = chunk.map((p) => p.ids);
      if ('request' in chunk[0]) {
        const outs = await this.inner.proposeBatch!(
          ids,
          chunk.map((p) => (p as { request: ProposeRequest }).request),
        );
        chunk.forEach((p, i) => (p.resolve as (proposals: Proposal[]) => void)(outs[i]));
      } else {
        const rows = chunk.map((p) => (p as { rows: number[] }).rows);
        const outs = chunk.length === 1 ? [await this.inner.logits(ids[0], rows[0])] : await this.inner.logitsBatch(ids, rows);
        chunk.forEach((p, i) => (p.resolve as (logits: Float32Array) => void)(outs[i]));
      }
      this.calls += chunk.length;
    } catch (e) {
      chunk.forEach((p) => p.reject(e));
    }
  }
}
