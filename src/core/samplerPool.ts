import * as os from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { proposeFromLogits } from './sampling/propose';
import { Proposal, ProposeRequest, rowsOf } from './logitsModel';

/** What the pool's threads are sent: the step's logits, shared, and the queries that are theirs. */
export interface SamplerTask {
  id: number;
  logits: Float32Array;
  vocab: number;
  rows: number[];
  request: ProposeRequest;
}

/**
 * The sampler spread over threads. At a 150k vocabulary it reads every logit of every masked
 * position, far longer than a GPU forward (npm run bench times it); the positions are
 * independent, so each thread takes a share. Threads start on the first step big enough to need
 * them: a small vocabulary samples faster on one thread than it can hand the rows out.
 */
export class SamplerPool {
  private workers: Worker[] = [];
  private readonly pending = new Map<number, { resolve: (proposals: Proposal[]) => void; reject: (e: Error) => void }>();
  private nextId = 0;

  constructor(
    private readonly threads: number,
    private readonly minLogits = 1 << 20,
  ) {}

  /** Helper threads running now (they start with the first step that needs them). */
  get started(): number {
    return this.workers.length;
  }

  /** Threads beside the caller's: none on two cores, where the forward already has both. */
  static defaultThreads(): number {
    return Math.max(0, Math.min(7, os.availableParallelism() - 2));
  }

  async propose(logits: Float32Array, vocab: number, request: ProposeRequest): Promise<Proposal[]> {
    const n = request.queries.length;
    if (this.threads === 0 || logits.length < this.minLogits || n < 2) return proposeFromLogits(logits, vocab, request);
    this.start();
    const rows = rowsOf(request);
    const shared = new Float32Array(new SharedArrayBuffer(logits.byteLength));
    shared.set(logits);
    // The caller takes the first share itself instead of waiting idle.
    const parts = Math.min(n, this.workers.length + 1);
    const share = Math.ceil(n / parts);
    const slice = (k: number): ProposeRequest => ({ sampler: request.sampler, queries: request.queries.slice(k * share, (k + 1) * share) });
    const others = this.workers.slice(0, parts - 1).map((worker, k) => {
      const id = this.nextId++;
      const answer = new Promise<Proposal[]>((resolve, reject) => this.pending.set(id, { resolve, reject }));
      worker.postMessage({ id, logits: shared, vocab, rows, request: slice(k + 1) } satisfies SamplerTask);
      return answer;
    });
    this.updateRef();
    const mine = proposeFromLogits(shared, vocab, slice(0), rows);
    return mine.concat(...(await Promise.all(others)));
  }

  async dispose(): Promise<void> {
    const workers = this.workers;
    this.workers = [];
    await Promise.all(workers.map((w) => w.terminate()));
  }

  private start(): void {
    if (this.workers.length > 0) return;
    this.workers = Array.from({ length: this.threads }, () => {
      const worker = new Worker(path.join(__dirname, 'samplerWorker.js'));
      worker.on('message', (m: { id: number; proposals: Proposal[] }) => {
        this.pending.get(m.id)?.resolve(m.proposals);
        this.pending.delete(m.id);
        this.updateRef();
      });
      worker.on('error', (e) => {
        for (const p of this.pending.values()) p.reject(new Error(`a sampler thread failed: ${e.message}`));
        this.pending.clear();
      });
      worker.unref();
      return worker;
    });
  }

  /** The threads keep the process alive only while a share is awaited (as the model's own thread). */
  private updateRef(): void {
    for (const w of this.workers) {
      if (this.pending.size > 0) w.ref();
      else w.unref();
    }
  }
}
