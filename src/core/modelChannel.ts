import { ChildProcess, fork } from 'node:child_process';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Proposal, ProposeRequest } from './logitsModel';
import type { ExecutionProvider } from './runtimeOptions';

/** The messages to the network's thread or process (onnxWorker.ts) and back (WorkerLogitsModel). */
export type ToWorker =
  | { kind: 'batch'; id: number; batch: Int32Array[]; rows: number[][] }
  | { kind: 'propose'; id: number; batch: Int32Array[]; requests: ProposeRequest[] }
  | { kind: 'forget'; cacheId: number }
  | { kind: 'dispose' };
export type FromWorker =
  | { kind: 'ready'; executionProvider: ExecutionProvider }
  | { kind: 'log'; message: string }
  | { kind: 'answer'; id: number; answer: Float32Array[] | Proposal[][] }
  | { kind: 'failed'; id: number | null; message: string; infill: boolean };

/**
 * Where the model's session runs: a worker thread of this process, or a child process. A native
 * fault of onnxruntime (a segfault) ends the whole process it runs in: on a thread that is the
 * editor's extension host, with every other extension in it; a child process dies alone.
 */
export type ModelIsolation = 'thread' | 'process';

/** What WorkerLogitsModel needs of either: messages both ways, its end, and whether it keeps the process alive. */
export interface ModelChannel {
  readonly kind: ModelIsolation;
  /** The child's process id; null for a thread. */
  readonly pid: number | null;
  post(message: ToWorker, transfer?: ArrayBuffer[]): void;
  onMessage(listener: (message: FromWorker) => void): () => void;
  /** Called once, with how it ended ("exit code 1", "signal SIGSEGV"). */
  onExit(listener: (how: string) => void): void;
  onError(listener: (e: Error) => void): void;
  ref(): void;
  unref(): void;
  terminate(): void;
}

/** The script both run (dist/onnxWorker.js beside the bundle, out/src/core/onnxWorker.js under tsc). */
const SCRIPT = () => path.join(__dirname, 'onnxWorker.js');

export function openChannel(kind: ModelIsolation, data: unknown): ModelChannel {
  return kind === 'process' ? processChannel(data) : threadChannel(data);
}

function threadChannel(data: unknown): ModelChannel {
  const worker = new Worker(SCRIPT(), { workerData: data });
  return {
    kind: 'thread',
    pid: null,
    post: (m, transfer = []) => worker.postMessage(m, transfer),
    onMessage(listener) {
      worker.on('message', listener);
      return () => worker.off('message', listener);
    },
    onExit: (listener) => worker.once('exit', (code) => listener(`exit code ${code}`)),
    onError: (listener) => worker.on('error', listener),
    ref: () => worker.ref(),
    unref: () => worker.unref(),
    terminate: () => void worker.terminate(),
  };
}

/** The data goes in an environment variable: the child reads it before its first message. */
export const CHILD_DATA_VARIABLE = 'DIFFUSION_INFILL_MODEL_CHILD';

function processChannel(data: unknown): ModelChannel {
  // 'advanced': typed arrays cross as typed arrays. No execArgv: the host's flags (an inspector port) are not the child's.
  const child: ChildProcess = fork(SCRIPT(), [], {
    serialization: 'advanced',
    execArgv: [],
    env: { ...process.env, [CHILD_DATA_VARIABLE]: JSON.stringify(data) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const channel = child as ChildProcess & { channel?: { ref(): void; unref(): void } };
  return {
    kind: 'process',
    pid: child.pid ?? null,
    post: (m) => {
      if (child.connected) child.send(m);
    },
    onMessage(listener) {
      const wrapped = (m: unknown) => listener(m as FromWorker);
      child.on('message', wrapped);
      return () => child.off('message', wrapped);
    },
    onExit: (listener) => child.once('exit', (code, signal) => listener(signal ? `signal ${signal}` : `exit code ${code}`)),
    onError: (listener) => child.on('error', listener),
    ref: () => {
      child.ref();
      channel.channel?.ref();
    },
    unref: () => {
      child.unref();
      channel.channel?.unref();
    },
    // SIGKILL: a stopped process (SIGSTOP) holds SIGTERM until it runs again.
    terminate: () => void child.kill('SIGKILL'),
  };
}
