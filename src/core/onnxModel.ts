import * as os from 'node:os';
import * as ort from 'onnxruntime-node';
import { InfillError } from './errors';
import { LogitsModel, Proposal, ProposeRequest, rowsOf } from './logitsModel';
import { ContextCache } from './contextCache';
import { Past, planReuse } from './contextReuse';
import { modelFiles } from './modelFiles';
import { layerName, ModelConfig } from './modelConfig';
import { Decision, decidable, proposeFromDecisions } from './sampling/decision';
import { proposeFromLogits } from './sampling/propose';
import { ExecutionProvider, RuntimeOptions } from './runtimeOptions';

/** What one canvas runs in a forward. */
interface CanvasRun {
  /** Canvas positions run now, ascending (all of them on a full pass). */
  run: number[];
  /** Keys and values attended beside them; null on a full pass. */
  past: Past | null;
  /** Rows of the past not attended. */
  hidden: number[];
}

const wholeCanvas = (n: number): CanvasRun => ({ run: Array.from({ length: n }, (_, p) => p), past: null, hidden: [] });

/** How far a turned first-layer key may be from the graph's own, relative to the largest key (float16 weights, int8 compute). */
const ROTARY_TOLERANCE = 1e-2;

interface ForwardRun {
  outputs: ort.InferenceSession.OnnxValueMapType;
  /** Rows each canvas has in the outputs (the padded row count, or the positions run). */
  perCanvas: number;
}

export class OnnxLogitsModel implements LogitsModel {
  /** The generations' keys and values, for a graph with onnx.cache. */
  private readonly cache: ContextCache | null;
  /**
   * Forwards run over whole canvases and over a past (a cached step, or a first pass over an
   * earlier canvas's keys and values), and how many of those first passes there were (for the
   * bench and the tests).
   */
  readonly passes = { full: 0, cached: 0, reused: 0 };

  private constructor(
    private readonly session: ort.InferenceSession,
    private readonly config: ModelConfig,
    readonly executionProvider: ExecutionProvider,
  ) {
    this.cache = config.onnx.cache ? new ContextCache(config.onnx.cache) : null;
  }

  get vocabSize(): number {
    return this.config.vocabSize;
  }

  static async load(dir: string, config: ModelConfig, options: RuntimeOptions = {}): Promise<OnnxLogitsModel> {
    const file = modelFiles(dir, config.onnx.file).graph;
    const wanted = options.executionProvider ?? 'cpu';
    const available = new Set(ort.listSupportedBackends().map((b) => b.name));
    let provider: ExecutionProvider = wanted;
    if (!available.has(wanted)) {
      options.log?.(`execution provider "${wanted}" is not available in this onnxruntime (it has ${[...available].join(', ')}); using cpu`);
      provider = 'cpu';
    }
    const sessionOptions = (p: ExecutionProvider): ort.InferenceSession.SessionOptions => ({
      executionProviders: [p],
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
    try {
      model.checkNames(file);
      await model.checkRotary(file);
    } catch (e) {
      await session.release();
      throw e;
    }
    return model;
  }

  /**
   * onnx.cache.ropeTheta against the graph, as context reuse turns keys (contextReuse.ts): the first
   * layer's keys depend on a token and its position only, so a canvas's keys turned one position on
   * are the keys of the same canvas behind one more token.  A wrong base passes every other check and
   * only makes reused fills worse.
   */
  private async checkRotary(file: string): Promise<void> {
    const cache = this.config.onnx.cache;
    if (cache?.ropeTheta === undefined) return;
    const n = 16;
    const ids = Int32Array.from({ length: n }, (_, i) => (i * 37 + 11) % Math.min(this.vocabSize, 4096));
    const moved = Int32Array.from([ids[0], ...ids]);
    const key = layerName(cache.presentKey, 0);
    const keysOf = async (canvas: Int32Array) => {
      const run = await this.forward([canvas], [[0]], [wholeCanvas(canvas.length)], [key]);
      return run.outputs[key].data as Float32Array;
    };
    const [before, after] = [await keysOf(ids), await keysOf(moved)];
    const layout = { kvHeads: cache.kvHeads, headDim: cache.headDim, ropeTheta: cache.ropeTheta };
    const plan = planReuse({ ids, past: { keys: [before], values: [], length: n } }, moved, [], layout, (length) => new Float32Array(length));
    const turned = plan?.past.keys[0];
    let worst = 0;
    let scale = 0;
    plan?.from.forEach((i, j) => {
      if (i < 0 || i === j) return;
      for (let h = 0; h < cache.kvHeads; h++) {
        for (let d = 0; d < cache.headDim; d++) {
          const want = after[(h * (n + 1) + j) * cache.headDim + d];
          worst = Math.max(worst, Math.abs(turned![(h * n + i) * cache.headDim + d] - want));
          scale = Math.max(scale, Math.abs(want));
        }
      }
    });
    if (!plan || !(worst <= ROTARY_TOLERANCE * scale)) {
      throw new InfillError(
        `${file}: onnx.cache.ropeTheta ${cache.ropeTheta} does not turn the graph's keys: a first-layer key moved one position by it is off by ${worst.toPrecision(3)} ` +
          `(keys reach ${scale.toPrecision(3)}); set the checkpoint's rope_theta, or leave ropeTheta out (no context reuse)`,
      );
    }
  }

  /** The graph's inputs must be exactly those the config names, and its outputs must exist. */
  private checkNames(file: string): void {
    const { cache, decide } = this.config.onnx;
    const layers = Array.from({ length: cache?.layers ?? 0 }, (_, l) => l);
    const named = [
      ...Object.values(this.config.onnx.inputs).filter((n): n is string => n !== null),
      ...layers.flatMap((l) => [layerName(cache!.pastKey, l), layerName(cache!.pastValue, l)]),
    ];
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
    const outputs = [
      this.config.onnx.output,
      ...(decide ? [decide.token, decide.prob, decide.secondProb, decide.entropy] : []),
      ...(this.cache?.presentNames() ?? []),
    ];
    for (const name of outputs) {
      if (!this.session.outputNames.includes(name)) {
        throw new InfillError(`${file}: the graph has no output "${name}" that model.json names (it has ${this.session.outputNames.join(', ')})`);
      }
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
        throw new InfillError(
          `${file}: the model's logits have ${columns} columns but model.json says vocabSize ${this.config.vocabSize}: model.json and model.onnx do not belong together`,
        );
      }
    }
    // The token and position inputs take int64; a cache's past keys and values take float32.
    const fed = new Set(Object.values(this.config.onnx.inputs).filter((n): n is string => n !== null));
    for (const input of this.session.inputMetadata) {
      if (!fed.has(input.name)) continue;
      if (input.isTensor && input.type !== 'int64')
        throw new InfillError(`${file}: the graph's input "${input.name}" is ${input.type}, the engine feeds int64`);
    }
  }

  async logits(ids: Int32Array, rows: number[]): Promise<Float32Array> {
    return (await this.logitsBatch([ids], [rows]))[0];
  }

  /**
   * One full forward over several canvases of the same length ([B, n] feeds). Returns, for each
   * canvas, rows[b].length * vocabSize floats, as logits() would. When the row counts differ,
   * the shorter lists are padded with a repeat of their last row and the extra rows dropped.
   */
  async logitsBatch(batch: Int32Array[], rows: number[][]): Promise<Float32Array[]> {
    const n = batch[0]?.length ?? 0;
    const run = await this.forward(
      batch,
      rows,
      batch.map(() => wholeCanvas(n)),
      [this.config.onnx.output],
    );
    return rows.map((r, i) => this.logitsOf(run, i, r));
  }

  /**
   * The proposals for each canvas, in one forward per kind of pass: canvases whose keys and values
   * this thread holds run only their span over them, the others the whole canvas (keeping theirs
   * when they ask for a cache). At temperature 0 the graph decides (onnx.decide) and no logits are
   * read; otherwise `sample` runs on the logits.
   */
  async proposeBatch(
    batch: Int32Array[],
    requests: ProposeRequest[],
    sample: (logits: Float32Array, request: ProposeRequest) => Promise<Proposal[]> = async (logits, r) => proposeFromLogits(logits, this.vocabSize, r),
  ): Promise<Proposal[][]> {
    const runs: CanvasRun[] = requests.map((r, i) => {
      const n = batch[i].length;
      const entry = this.cache && r.cache && !r.cache.refresh ? this.cache.usable(r.cache.id, r.cache.span, n) : undefined;
      if (entry && rowsOf(r).every((row) => entry.run.includes(row))) return entry;
      const plan = this.cache && r.cache?.reuse ? this.cache.reusePlan(batch[i], r.cache.span, r.cache.reuse) : null;
      if (plan && r.cache) {
        this.cache!.setReused(r.cache.id, plan, r.cache.span);
        this.passes.reused++;
        return plan;
      }
      return wholeCanvas(n);
    });
    const out: Proposal[][] = new Array(batch.length);
    const group = async (members: number[]) => {
      if (members.length === 0) return;
      const reqs = members.map((i) => requests[i]);
      const rows = reqs.map(rowsOf);
      const { decide, output } = this.config.onnx;
      const byDecision = reqs.map((r) => decide !== undefined && decidable(r));
      const fetches = byDecision.every((d) => d) ? [] : [output];
      if (byDecision.some((d) => d)) fetches.push(decide!.token, decide!.prob, decide!.secondProb, decide!.entropy);
      const keep = runs[members[0]].past === null && this.cache !== null && reqs.some((r) => r.cache);
      if (keep) fetches.push(...this.cache!.presentNames());
      const run = await this.forward(
        members.map((i) => batch[i]),
        rows,
        members.map((i) => runs[i]),
        fetches,
      );
      await Promise.all(
        reqs.map(async (r, j) => {
          if (keep && r.cache)
            this.cache!.set(r.cache.id, this.cache!.fromPresents(run.outputs, j, members.length, r.cache.span, batch[members[j]], r.cache.reuse));
          out[members[j]] = byDecision[j]
            ? proposeFromDecisions(this.decisionsOf(run, j, rows[j].length), r, rows[j])
            : await sample(this.logitsOf(run, j, rows[j]), r);
        }),
      );
    };
    // One forward for the full passes of each canvas length, one for each length of past (a
    // batch's pasts stack; the canvases over one past may differ in length, as a length search's).
    const byPast = new Map<string, number[]>();
    runs.forEach((r, i) => {
      const key = r.past ? `past ${r.past.length}` : `full ${batch[i].length}`;
      byPast.set(key, [...(byPast.get(key) ?? []), i]);
    });
    for (const members of byPast.values()) await group(members);
    return out;
  }

  /** One canvas's proposals, sampled on this thread where the graph does not decide (the worker has its own pool). */
  async propose(ids: Int32Array, request: ProposeRequest): Promise<Proposal[]> {
    const [out] = await this.proposeBatch([ids], [request]);
    return out;
  }

  /** Drops a generation's keys and values. */
  forget(id: number): void {
    this.cache?.forget(id);
  }

  /** The reuse sources' bytes (ContextCache.sourceBytes): counted against their bound, and held. */
  get sourceBytes(): { counted: number; retained: number } {
    return this.cache?.sourceBytes() ?? { counted: 0, retained: 0 };
  }

  /** Generations whose keys and values this network holds. */
  get cachedGenerations(): number {
    return this.cache?.size ?? 0;
  }

  /**
   * One forward: each canvas runs its positions over its past (none on a full pass), the past's
   * hidden rows and the padding masked. Row lists and runs are padded to one length with repeats.
   */
  private async forward(batch: Int32Array[], rows: number[][], runs: CanvasRun[], fetches: string[]): Promise<ForwardRun> {
    const { inputs } = this.config.onnx;
    const b = batch.length;
    if (b === 0) throw new InfillError('forward: no canvas');
    const n = batch[0].length;
    if (runs.some((r) => r.past === null) && batch.some((ids) => ids.length !== n))
      throw new InfillError('logitsBatch: every canvas of a batch must have the same length');
    if (rows.length !== b || rows.some((r) => r.length === 0)) throw new InfillError('logitsBatch: one non-empty row list per canvas');
    const pasts = runs.map((r) => r.past);
    const past = pasts[0]?.length ?? 0;
    if (pasts.some((p) => (p?.length ?? 0) !== past)) throw new InfillError('forward: the canvases of a batch must have pasts of one length');
    this.passes[past > 0 ? 'cached' : 'full']++;
    const q = Math.max(...runs.map((r) => r.run.length));
    const ids = new BigInt64Array(b * q);
    const positions = new BigInt64Array(b * q);
    const keys = new BigInt64Array(b * (past + q)).fill(1n);
    batch.forEach((canvas, i) => {
      const { run, hidden } = runs[i];
      for (let j = 0; j < q; j++) {
        const p = run[Math.min(j, run.length - 1)];
        ids[i * q + j] = BigInt(canvas[p]);
        positions[i * q + j] = BigInt(p);
      }
      // The stale copies of the positions run now, and the padding, are not attended to.
      for (const p of hidden) keys[i * (past + q) + p] = 0n;
      for (let j = run.length; j < q; j++) keys[i * (past + q) + past + j] = 0n;
    });
    const feeds: Record<string, ort.Tensor> = { [inputs.inputIds]: new ort.Tensor('int64', ids, [b, q]) };
    if (inputs.attentionMask) feeds[inputs.attentionMask] = new ort.Tensor('int64', keys, [b, past + q]);
    if (inputs.positionIds) feeds[inputs.positionIds] = new ort.Tensor('int64', positions, [b, q]);
    const k = Math.max(...rows.map((r) => r.length));
    if (inputs.logitPositions) {
      const at = new BigInt64Array(b * k);
      rows.forEach((r, i) => {
        const { run } = runs[i];
        for (let j = 0; j < k; j++) {
          const row = r[Math.min(j, r.length - 1)];
          at[i * k + j] = BigInt(run.indexOf(row));
        }
      });
      feeds[inputs.logitPositions] = new ort.Tensor('int64', at, [b, k]);
    }
    if (this.cache) Object.assign(feeds, this.cache.pastFeeds(b, past > 0 ? (pasts as Past[]) : null));
    try {
      return { outputs: await this.fetch(feeds, fetches), perCanvas: inputs.logitPositions ? k : q };
    } catch (e) {
      throw outOfMemory(e, b, past + q) ?? e;
    }
  }

  /**
   * session.run with some outputs. onnxruntime-node 1.23 returns the asked values in the order asked
   * but labels them with the graph's first output names, so they are taken by position, asked in the
   * graph's order (which a run that labels them right also keeps).
   */
  private async fetch(feeds: Record<string, ort.Tensor>, names: string[]): Promise<ort.InferenceSession.OnnxValueMapType> {
    const ordered = this.session.outputNames.filter((name) => names.includes(name));
    const values = Object.values(await this.session.run(feeds, ordered));
    return Object.fromEntries(ordered.map((name, i) => [name, values[i]]));
  }

  private logitsOf(run: ForwardRun, i: number, rows: number[]): Float32Array {
    const { output, inputs } = this.config.onnx;
    const tensor = run.outputs[output];
    if (tensor.type !== 'float32') throw new InfillError(`the model's output "${output}" is ${tensor.type}, the engine needs float32`);
    const vocab = tensor.dims[tensor.dims.length - 1];
    if (vocab !== this.config.vocabSize) {
      throw new InfillError(`the model's logits have ${vocab} columns but model.json says vocabSize ${this.config.vocabSize}`);
    }
    const data = tensor.data as Float32Array;
    const out = new Float32Array(rows.length * vocab);
    rows.forEach((row, j) => {
      const from = (i * run.perCanvas + (inputs.logitPositions ? j : row)) * vocab;
      out.set(data.subarray(from, from + vocab), j * vocab);
    });
    return out;
  }

  private decisionsOf(run: ForwardRun, i: number, count: number): Decision[] {
    const d = this.config.onnx.decide!;
    const [token, prob, second, entropy] = [d.token, d.prob, d.secondProb, d.entropy].map((name) => run.outputs[name].data);
    return Array.from({ length: count }, (_, j) => {
      const at = i * run.perCanvas + j;
      return { token: Number(token[at]), prob: Number(prob[at]), secondProb: Number(second[at]), entropy: Number(entropy[at]) };
    });
  }

  async dispose(): Promise<void> {
    await this.session.release();
  }
}

/**
 * A forward onnxruntime could not find memory for (its arena's "Failed to allocate memory", a
 * bad_alloc), in words that say what to lower; null for any other error.
 */
function outOfMemory(e: unknown, canvases: number, tokens: number): InfillError | null {
  const message = (e as Error)?.message ?? '';
  if (!/BFCArena|Failed to allocate memory|bad_alloc|out of memory/i.test(message)) return null;
  const words = message.split('\n')[0].replace(/^.*?(Failed to allocate memory)/i, '$1');
  return new InfillError(
    `the model ran out of memory for a forward over ${canvases > 1 ? `${canvases} canvases` : 'a canvas'} of ${tokens} tokens: ` +
      `lower contextTokens${canvases > 1 ? " (or the server's --max-batch)" : ''}, or use a smaller model (onnxruntime: ${words})`,
  );
}
