import * as ort from 'onnxruntime-node';
import { CacheNames, layerName } from './modelConfig';

/** One canvas's keys and values from its last full pass, per layer [kvHeads, length, headDim]. */
export interface CacheEntry {
  span: number[];
  length: number;
  keys: Float32Array[];
  values: Float32Array[];
}

/**
 * The keys and values of the generations running on this network, on the thread that runs it (they
 * never cross to the caller).  Bounded: the least recently used entry goes first, and a generation
 * whose entry went gets a full pass on its next step.
 */
export class ContextCache {
  private readonly entries = new Map<number, CacheEntry>();

  constructor(
    readonly names: CacheNames,
    private readonly maxEntries = 32,
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
    this.entries.delete(id);
  }

  /** Output names of the presents, keys then values, layer by layer. */
  presentNames(): string[] {
    return this.layers().flatMap((l) => [layerName(this.names.presentKey, l), layerName(this.names.presentValue, l)]);
  }

  /** Entries of canvas `i` of a full pass's outputs (batch `b`, canvases `length` long). */
  fromPresents(outputs: ort.InferenceSession.OnnxValueMapType, i: number, b: number, span: number[], length: number): CacheEntry {
    const slice = (name: string) => {
      const data = outputs[name].data as Float32Array;
      const per = data.length / b;
      return data.subarray(i * per, (i + 1) * per);
    };
    return {
      span,
      length,
      keys: this.layers().map((l) => slice(layerName(this.names.presentKey, l))),
      values: this.layers().map((l) => slice(layerName(this.names.presentValue, l))),
    };
  }

  /** The past feeds: empty ones for a full pass (no entries), else the entries stacked on the batch axis. */
  pastFeeds(b: number, entries: CacheEntry[] | null): Record<string, ort.Tensor> {
    const { kvHeads, headDim } = this.names;
    const p = entries ? entries[0].length : 0;
    const stack = (pick: (e: CacheEntry) => Float32Array) => {
      if (!entries) return new Float32Array(0);
      if (entries.length === 1) return pick(entries[0]);
      const out = new Float32Array(entries.length * pick(entries[0]).length);
      entries.forEach((e, i) => out.set(pick(e), i * pick(e).length));
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
