// How a model folder runs, apart from onnxruntime itself: importing this must not load the native
// runtime, which only the model's worker thread needs (workerLogitsModel.ts).

export type ExecutionProvider = 'cpu' | 'webgpu' | 'cuda' | 'dml' | 'coreml';
export const EXECUTION_PROVIDERS: ExecutionProvider[] = ['cpu', 'webgpu', 'cuda', 'dml', 'coreml'];

export interface RuntimeOptions {
  executionProvider?: ExecutionProvider;
  /** Intra-op threads; default (or 0): one a core. */
  threads?: number;
  /** Threads that share the sampler's work with the model's own (samplerPool.ts); default: the cores less two, at most 7. */
  samplerThreads?: number;
  /**
   * Where the session runs (modelChannel.ts): 'thread' (default), or 'process', where a native
   * fault of the runtime ends only the model, not the process that loaded it (the extension host).
   */
  isolation?: 'thread' | 'process';
  /**
   * How long a forward may still take after its caller gave up (Cancel, the time limit) before the
   * model's thread or process is taken to have stopped answering and is ended; default: 10 s, or
   * three times the slowest forward so far if longer.
   */
  stuckAfterMs?: number;
  /** Told about fallbacks and other things worth a line in a log. */
  log?: (message: string) => void;
}
