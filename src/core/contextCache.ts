import * as ort from 'onnxruntime-node';
import { CacheSource, Past, planReuse, ReusePlan } from './contextReuse';
import { CacheNames, layerName } from './modelConfig';

/** What a generation's steps run over the cache: its positions, and the past they attend beside them. */
export interface CacheEntry {
  /** The span the entry was made for: a step that asks another one gets a full pass. */
  span: number[];
  /** Length of the canvas. */
  length: number;
  /** Canvas positions a step runs, ascending: the span, and any position the past lacks. */
  run: number[];
  past: Past;
  /** Rows of the past not attended: the stale copies of the positions run, and rows no position takes. */
  hidden: number[];
}

/** A kept source, and the reuseKey of the requests that may take it. */
interface KeptSource extends CacheSource {
  key: string;
}

/** Most sources kept, of all keys (a server's clients' files, a length search's own). */
const MAX_SOURCES = 32;

/** Most bytes of keys and values kept for later requests beyond the newest source: a 7B model's canvas of 2,048 tokens fills it alone. */
const SOURCE_BYTES = 256 * 2 ** 20;

/**
 * The keys and values of the generations running on this network, on the thread that runs it (they
 * never cross to the caller).  Bounded: the least recently used entry goes first, and a generation
 * whose entry went gets a full pass on its next step.
 */
export class ContextCache {
  private readonly entries = new Map<number, CacheEntry>();
  /** The last generations' first full passes, newest first, for a later request's first pass (contextReuse.ts). */
  private readonly sources: KeptSource[] = [];
  /**
   * Key buffers of finished generations that started from a source, for the next one: a fresh
   * buffer of a few megabytes costs more in page faults than the copy into it.
   */
  private readonly spare: Float32Array[] = [];
  /** Entries whose keys are their own (turned copies), not a source's or a forward's output. */
  private readonly owned = new WeakSet<CacheEntry>();

  constructor(
    readonly names: CacheNames,
    private readonly maxEntries = 32,
    private readonly maxSources = 2,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  /** The entry for a step that runs `span` of a canvas `length` long, if it is there and fits. */
  usable(id: number, span: number[], length: number): CacheEntry | undefined {
    const entry = this.entries.get(id);
    if (!entry || entry.length !== length || entry.span.length !== span.length || entry.span.some((p, i) => p !== span[i])) return undefined;
    this.entries.delete(id);
    this.entries.set(id, entry);
    return entry;
  }

  set(id: number, entry: CacheEntry): void {
    this.entries.delete(id);
    this.entries.set(id, entry);
    while (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
  }

  forget(id: number): void {
    const entry = this.entries.get(id);
    this.entries.delete(id);
    if (entry && this.owned.has(entry) && this.spare.length < 2 * this.names.layers) this.spare.push(...entry.past.keys);
  }

  /** Output names of the presents, keys then values, layer by layer. */
  presentNames(): string[] {
    return this.layers().flatMap((l) => [layerName(this.names.presentKey, l), layerName(this.names.presentValue, l)]);
  }

  /**
   * The entry of canvas `i` of a full pass's outputs (batch `b`); with a `reuseKey`, also kept with
   * a copy of the canvas for later requests with that key: a generation's first pass, whose holes
   * are all masks as the next request's are (a later one's keys and values saw its fill).
   */
  fromPresents(outputs: ort.InferenceSession.OnnxValueMapType, i: number, b: number, span: number[], canvas: Int32Array, reuseKey?: string): CacheEntry {
    const slice = (name: string) => {
      const data = outputs[name].data as Float32Array;
      const per = data.length / b;
      return data.subarray(i * per, (i + 1) * per);
    };
    const past = {
      keys: this.layers().map((l) => slice(layerName(this.names.presentKey, l))),
      values: this.layers().map((l) => slice(layerName(this.names.presentValue, l))),
      length: canvas.length,
    };
    if (reuseKey !== undefined && this.names.ropeTheta !== undefined) {
      // Copies: a slice of a batched forward's outputs would keep the whole batch's buffer alive.
      const own = (t: Float32Array) => (t.byteLength === t.buffer.byteLength ? t : t.slice());
      past.keys = past.keys.map(own);
      past.values = past.values.map(own);
      this.sources.unshift({ ids: Int32Array.from(canvas), past, key: reuseKey });
      // The last few of each key, and the newest ones of all keys within the count and the bytes.
      const mine = this.sources.filter((s) => s.key === reuseKey);
      if (mine.length > this.maxSources) this.sources.splice(this.sources.indexOf(mine.at(-1)!), 1);
      while (this.sources.length > MAX_SOURCES || (this.sources.length > 1 && this.sourceBytes().counted > SOURCE_BYTES)) this.sources.pop();
    }
    return { span, length: canvas.length, run: span, past, hidden: span };
  }

  /** Bytes of the sources' keys and values, and of the buffers that hold them (more, were a source a slice of a larger buffer). */
  sourceBytes(): { counted: number; retained: number } {
    const arrays = this.sources.flatMap((s) => [...s.past.keys, ...s.past.values]);
    const buffers = new Set(arrays.map((t) => t.buffer));
    return { counted: arrays.reduce((a, t) => a + t.byteLength, 0), retained: [...buffers].reduce((a, b) => a + b.byteLength, 0) };
  }

  /**
   * How a first pass over `canvas` can run only part of it over an earlier full pass's keys and
   * values (the source that leaves the fewest positions to run), or null: a full pass then.
   */
  reusePlan(canvas: Int32Array, span: number[], reuseKey: string): ReusePlan | null {
    const { kvHeads, headDim, ropeTheta } = this.names;
    if (ropeTheta === undefined) return null;
    let best: ReusePlan | null = null;
    const buffer = (length: number) => {
      const at = this.spare.findIndex((b) => b.length === length);
      return at >= 0 ? this.spare.splice(at, 1)[0] : new Float32Array(length);
    };
    for (const source of this.sources) {
      if (source.key !== reuseKey) continue;
      const plan = planReuse(source, canvas, span, { kvHeads, headDim, ropeTheta }, buffer);
      if (plan && best) this.spare.push(...(plan.run.length < best.run.length ? best : plan).past.keys);
      if (plan && (!best || plan.run.length < best.run.length)) best = plan;
    }
    return best;
  }

  /** Keeps a generation's entry after a first pass over an earlier canvas: its steps run the same positions over the same past. */
  setReused(id: number, plan: ReusePlan, span: number[]): void {
    const entry = { span, length: plan.from.length, run: plan.run, past: plan.past, hidden: plan.hidden };
    this.owned.add(entry);
    this.set(id, entry);
  }

  /** The past feeds: empty ones for a full pass (no pasts), else the pasts stacked on the batch axis. */
  pastFeeds(b: number, pasts: Past[] | null): Record<string, ort.Tensor> {
    const { kvHeads, headDim } = this.names;
    const p = pasts ? pasts[0].length : 0;
    const stack = (pick: (e: Past) => Float32Array) => {
      if (!pasts) return new Float32Array(0);
      if (pasts.length === 1) return pick(pasts[0]);
      const out = new Float32Array(pasts.length * pick(pasts[0]).length);
      pasts.forEach((e, i) => out.set(pick(e), i * pick(e).length));
      return out;
    };
    const feeds: Record<string, ort.Tensor> = {};
    for (const l of this.layers()) {
      feeds[layerName(this.names.pastKey, l)] = new ort.Tensor(
        'float32',
        stack((e) => e.keys[l]),
        [b, kvHeads, p, headDim],
      );
      feeds[layerName(this.names.pastValue, l)] = new ort.Tensor(
        'float32',
        stack((e) => e.values[l]),
        [b, kvHeads, p, headDim],
      );
    }
    return feeds;
  }

  private layers(): number[] {
    return Array.from({ length: this.names.layers }, (_, l) => l);
  }
}
