import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import { InfillError } from './errors';
import { LogitsModel } from './logitsModel';
import { ModelConfig } from './modelConfig';
import { ExecutionProvider, RuntimeOptions } from './runtimeOptions';

/** onnxruntime's name for each provider, where it differs from ours. */
const ORT_NAMES: Record<ExecutionProvider, string> = { cpu: 'cpu', webgpu: 'webgpu', cuda: 'cuda', dml: 'dml', coreml: 'coreml' };

export class OnnxLogitsModel implements LogitsModel {
  private constructor(
    private readonly session: ort.InferenceSession,
    private readonly config: ModelConfig,
    readonly executionProvider: ExecutionProvider,
  ) {}

  get vocabSize(): number {
    return this.config.vocabSize;
  }

  static async load(dir: string, config: ModelConfig, options: RuntimeOptions = {}): Promise<OnnxLogitsModel> {
    const file = path.join(dir, config.onnx.file);
    if (!fs.existsSync(file)) throw new InfillError(`model folder ${dir} has no ${config.onnx.file}`);
    const wanted = options.executionProvider ?? 'cpu';
    const available = new Set(ort.listSupportedBackends().map((b) => b.name));
    let provider: ExecutionProvider = wanted;
    if (!available.has(ORT_NAMES[wanted])) {
      options.log?.(`execution provider "${wanted}" is not available in this onnxruntime (it has ${[...available].join(', ')}); using cpu`);
      provider = 'cpu';
    }
    const sessionOptions = (p: ExecutionProvider): ort.InferenceSession.SessionOptions => ({
      executionProviders: [ORT_NAMES[p]],
      // onnxruntime's own choice (0) ran the forward slower than one thread a core (npm run bench).
      intraOpNumThreads: options.threads || os.availableParallelism(),
      graphOptimizationLevel: 'all',
      // A failed forward comes back as an exception with the runtime's words; its own copy on stderr only repeats it.
      logSeverityLevel: 4,
    });
    // A provider that cannot start is said once, in our words, below; not as the runtime's raw error too.
    if (wanted !== 'cpu') ort.env.logLevel = 'fatal';
    let session: ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(file, sessionOptions(provider));
    } catch (e) {
      if (provider === 'cpu') throw new InfillError(`${file} could not be loaded by onnxruntime: ${(e as Error).message}`);
      options.log?.(`execution provider "${provider}" failed (${(e as Error).message}); using cpu`);
      provider = 'cpu';
      session = await ort.InferenceSession.create(file, sessionOptions(provider)).catch((err: Error) => {
        throw new InfillError(`${file} could not be loaded by onnxruntime: ${err.message}`);
      });
    }
    const model = new OnnxLogitsModel(session, config, provider);
    model.checkNames(file);
    return model;
  }

  /** The graph's inputs must be exactly those the config names, and its output must exist. */
  private checkNames(file: string): void {
    const named = Object.values(this.config.onnx.inputs).filter((n): n is string => n !== null);
    const graph = this.session.inputNames;
    const unknown = graph.filter((n) => !named.includes(n));
    const missing = named.filter((n) => !graph.includes(n));
    if (unknown.length > 0 || missing.length > 0) {
      throw new InfillError(
        `${file}: the graph's inputs (${graph.join(', ')}) do not match model.json's onnx.inputs` +
          (unknown.length ? `; unknown input names: ${unknown.join(', ')}` : '') +
          (missing.length ? `; not in the graph: ${missing.join(', ')}` : ''),
      );
    }
    if (!this.session.outputNames.includes(this.config.onnx.output)) {
      throw new InfillError(`${file}: the graph has no output "${this.config.onnx.output}" (it has ${this.session.outputNames.join(', ')})`);
    }
    this.checkShapes(file);
  }

  /**
   * The graph's declared types and logits width against model.json, where the graph states them:
   * a model.onnx exported for another vocabulary fails here with both numbers, not mid-fill.
   */
  private checkShapes(file: string): void {
    const output = this.session.outputMetadata.find((m) => m.name === this.config.onnx.output);
    if (output?.isTensor) {
      if (output.type !== 'float32') throw new InfillError(`${file}: the graph's output "${output.name}" is ${output.type}, the engine needs float32`);
      const columns = output.shape.at(-1);
      if (typeof columns === 'number' && columns !== this.config.vocabSize) {
        throw new InfillError(`${file}: the model's logits have ${columns} columns but model.json says vocabSize ${this.config.vocabSize}: model.json and model.onnx do not belong together`);
      }
    }
    for (const input of this.session.inputMetadata) {
      if (input.isTensor && input.type !== 'int64') throw new InfillError(`${file}: the graph's input "${input.name}" is ${input.type}, the engine feeds int64`);
    }
  }

  async logits(ids: Int32Array, rows: number[]): Promise<Float32Array> {
    return (await this.logitsBatch([ids], [rows]))[0];
  }

  /**
   * One forward over several canvases of the same length ([B, n] feeds). Returns, for each
   * canvas, rows[b].length * vocabSize floats, as logits() would. When the row counts differ,
   * the shorter lists are padded with a repeat of their last row and the extra rows dropped.
   */
  async logitsBatch(batch: Int32Array[], rows: number[][]): Promise<Float32Array[]> {
    const { inputs, output } = this.config.onnx;
    const b = batch.length;
    if (b === 0) return [];
    const n = batch[0].length;
    if (batch.some((ids) => ids.length !== n)) throw new InfillError('logitsBatch: every canvas of a batch must have the same length');
    if (rows.length !== b || rows.some((r) => r.length === 0)) throw new InfillError('logitsBatch: one non-empty row list per canvas');
    const ids = new BigInt64Array(b * n);
    batch.forEach((canvas, i) => canvas.forEach((v, j) => (ids[i * n + j] = BigInt(v))));
    const feeds: Record<string, ort.Tensor> = { [inputs.inputIds]: new ort.Tensor('int64', ids, [b, n]) };
    if (inputs.attentionMask) feeds[inputs.attentionMask] = new ort.Tensor('int64', new BigInt64Array(b * n).fill(1n), [b, n]);
    if (inputs.positionIds) {
      feeds[inputs.positionIds] = new ort.Tensor('int64', BigInt64Array.from({ length: b * n }, (_, i) => BigInt(i % n)), [b, n]);
    }
    const k = Math.max(...rows.map((r) => r.length));
    if (inputs.logitPositions) {
      const positions = new BigInt64Array(b * k);
      rows.forEach((r, i) => {
        for (let j = 0; j < k; j++) positions[i * k + j] = BigInt(r[Math.min(j, r.length - 1)]);
      });
      feeds[inputs.logitPositions] = new ort.Tensor('int64', positions, [b, k]);
    }
    const result = await this.session.run(feeds, [output]);
    const tensor = result[output];
    const data = tensor.data as Float32Array;
    const vocab = tensor.dims[tensor.dims.length - 1];
    if (tensor.type !== 'float32') throw new InfillError(`the model's output "${output}" is ${tensor.type}, the engine needs float32`);
    if (vocab !== this.config.vocabSize) {
      throw new InfillError(`the model's logits have ${vocab} columns but model.json says vocabSize ${this.config.vocabSize}`);
    }
    const perCanvas = inputs.logitPositions ? k : n;
    return rows.map((r, i) => {
      const out = new Float32Array(r.length * vocab);
      r.forEach((row, j) => {
        const from = (i * perCanvas + (inputs.logitPositions ? j : row)) * vocab;
        out.set(data.subarray(from, from + vocab), j * vocab);
      });
      return out;
    });
  }

  async dispose(): Promise<void> {
    await this.session.release();
  }
}
