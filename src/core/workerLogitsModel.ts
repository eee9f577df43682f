import { Worker } from 'node:worker_threads';
import { FromWorker, ModelChannel, openChannel, ToWorker } from './modelChannel';
import { InfillError } from './errors';
import type { AnswerWatch, BatchLogitsModel, Proposal, ProposeRequest } from './logitsModel';
import { ModelConfig } from './modelConfig';
import { ExecutionProvider, RuntimeOptions } from './runtimeOptions';

interface Pending {
  resolve: (answer: unknown) => void;
  reject: (e: Error) => void;
}

/**
 * The ONNX network on a worker thread or in a child process (modelChannel.ts).  onnxruntime-node
 * blocks the calling thread for the whole forward (measured: the event loop stalls as long as the
 * forward takes), and in the extension host that thread is shared with every other extension; here
 * the host only waits on a message.
 */
export class WorkerLogitsModel implements BatchLogitsModel {
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private stopped: Error | null = null;
  private readonly stopListeners: ((reason: Error) => void)[] = [];
  private disposing = false;
  /** ms of the slowest answer so far: a forward that takes longer than a few of them after its caller gave up is stuck. */
  private slowest = 0;
  private readonly where: string;

  private constructor(
    private readonly channel: ModelChannel,
    readonly vocabSize: number,
    readonly executionProvider: ExecutionProvider,
    private readonly stuckAfterMs?: number,
  ) {
    channel.onMessage((m: FromWorker) => {
      const waiting = m.kind === 'answer' || m.kind === 'failed' ? this.pending.get(m.id!) : undefined;
      if (!waiting) return;
      this.pending.delete((m as { id: number }).id);
      this.updateRef();
      if (m.kind === 'answer') waiting.resolve(m.answer);
      else if (m.kind === 'failed') waiting.reject(m.infill ? new InfillError(m.message) : new Error(m.message));
    });
    this.where = channel.kind === 'process' ? 'process' : 'thread';
    channel.onError((e) => this.stop(new InfillError(`the model's ${this.where} failed: ${e.message}`)));
    channel.onExit((how) =>
      this.stop(new InfillError(this.disposing ? 'the model was unloaded' : `the model's ${this.where} stopped unexpectedly (${how}): load the model again`)),
    );
    channel.unref();
  }

  private stop(e: Error): void {
    if (this.stopped) return;
    this.stopped = e;
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
    for (const listener of this.stopListeners) listener(e);
  }

  /** The child's process id when the model runs in a child process (isolation 'process'), else null. */
  get pid(): number | null {
    return this.channel.pid;
  }

  static load(dir: string, config: ModelConfig, options: RuntimeOptions = {}): Promise<WorkerLogitsModel> {
    const { log, isolation = 'thread', stuckAfterMs, ...cloneable } = options;
    if (isolation === 'thread') keepRuntimeLoaded();
    const channel = openChannel(isolation, { dir, config, options: cloneable });
    const where = isolation === 'process' ? 'process' : 'thread';
    return new Promise((resolve, reject) => {
      const off = channel.onMessage((m: FromWorker) => {
        if (m.kind === 'log') log?.(m.message);
        else if (m.kind === 'ready') {
          off();
          resolve(new WorkerLogitsModel(channel, config.vocabSize, m.executionProvider, stuckAfterMs));
        } else if (m.kind === 'failed' && m.id === null) {
          off();
          channel.terminate();
          reject(m.infill ? new InfillError(m.message) : new Error(m.message));
        }
      });
      channel.onError((e) => reject(new InfillError(`the model's ${where} failed: ${e.message}`)));
      // Settles nothing once ready; before that, one that ends without a word must not leave the load hanging.
      channel.onExit((how) => reject(new InfillError(`the model's ${where} ended while loading (${how})`)));
    });
  }

  /** Called once when the thread is gone (unloaded, or crashed): a later load must start a new one. */
  onStop(listener: (reason: Error) => void): void {
    if (this.stopped) listener(this.stopped);
    else this.stopListeners.push(listener);
  }

  async logits(ids: Int32Array, rows: number[]): Promise<Float32Array> {
    return (await this.logitsBatch([ids], [rows]))[0];
  }

  logitsBatch(batch: Int32Array[], rows: number[][]): Promise<Float32Array[]> {
    return this.ask((id) => ({ kind: 'batch', id, batch, rows }));
  }

  /** The sampler runs on the worker too: the host thread neither samples nor receives the logits. */
  async propose(ids: Int32Array, request: ProposeRequest, watch?: AnswerWatch): Promise<Proposal[]> {
    return (await this.proposeBatch([ids], [request], watch))[0];
  }

  proposeBatch(batch: Int32Array[], requests: ProposeRequest[], watch?: AnswerWatch): Promise<Proposal[][]> {
    return this.ask((id) => ({ kind: 'propose', id, batch, requests }), watch);
  }

  forget(cacheId: number): void {
    if (!this.stopped) this.channel.post({ kind: 'forget', cacheId } satisfies ToWorker);
  }

  private ask<T>(message: (id: number) => ToWorker, watch?: AnswerWatch): Promise<T> {
    if (this.stopped) return Promise.reject(this.stopped);
    const id = this.nextId++;
    const asked = performance.now();
    return new Promise<T>((resolve, reject) => {
      const unwatch = this.watch(watch);
      this.pending.set(id, {
        resolve: (answer) => {
          unwatch();
          this.slowest = Math.max(this.slowest, performance.now() - asked);
          resolve(answer as T);
        },
        reject: (e) => {
          unwatch();
          reject(e);
        },
      });
      this.updateRef();
      this.channel.post(message(id));
    });
  }

  /**
   * Once the caller gives up (Cancel, its time limit), the answer has a grace period more to come;
   * past it the thread or process is taken to have stopped answering (a process stopped with
   * SIGSTOP, a hung runtime) and is ended: every request waiting on it fails in words, and whoever
   * listens on onStop loads the model again.  Returns what stops the watch.
   */
  private watch(watch: AnswerWatch | undefined): () => void {
    if (!watch?.signal && !watch?.deadline) return () => undefined;
    const grace = this.stuckAfterMs ?? Math.max(STUCK_AFTER_MS, 3 * this.slowest);
    let stuck: NodeJS.Timeout | undefined;
    const giveUp = (after: string) => {
      stuck ??= setTimeout(() => {
        this.stop(
          new InfillError(
            `the model's ${this.where} gave no answer ${(grace / 1000).toFixed(1)} s after ${after}: it was ended, and is loaded again on the next request`,
          ),
        );
        this.channel.terminate();
      }, grace);
    };
    const onAbort = () => giveUp('Cancel');
    watch.signal?.addEventListener('abort', onAbort, { once: true });
    if (watch.signal?.aborted) onAbort();
    const limit = watch.deadline;
    const atLimit = limit && setTimeout(() => giveUp(`the time limit (timeLimitSeconds ${limit.seconds})`), Math.max(0, limit.at - performance.now()));
    return () => {
      clearTimeout(stuck);
      if (atLimit) clearTimeout(atLimit);
      watch.signal?.removeEventListener('abort', onAbort);
    };
  }

  /** The thread or child keeps the process alive only while a forward is awaited (a CLI run must not hang on it). */
  private updateRef(): void {
    if (this.pending.size > 0) this.channel.ref();
    else this.channel.unref();
  }

  async dispose(): Promise<void> {
    if (this.stopped) return;
    this.disposing = true;
    // Kept alive until the thread has released the session: `await dispose()` must come back.
    this.channel.ref();
    const exited = new Promise<void>((resolve) => this.channel.onExit(() => resolve()));
    this.channel.post({ kind: 'dispose' } satisfies ToWorker);
    await exited;
  }
}

/** The least grace a forward gets after its caller gave up (WorkerLogitsModel.watch). */
const STUCK_AFTER_MS = 10_000;

let keeper: Worker | null = null;

/**
 * onnxruntime-node registers its native module once per process: when every thread that loaded it
 * has ended, the next thread to load it gets "Module did not self-register", so a model could not be
 * loaded again after an unload or a crash.  One idle thread holds it for the process's lifetime
 * (unref'd: it never keeps the process alive).
 */
function keepRuntimeLoaded(): void {
  if (keeper) return;
  const runtime = require.resolve('onnxruntime-node');
  keeper = new Worker(`require(${JSON.stringify(runtime)}); require('node:worker_threads').parentPort.on('message', () => {});`, { eval: true });
  keeper.on('error', () => (keeper = null));
  keeper.on('exit', () => (keeper = null));
  keeper.unref();
}
