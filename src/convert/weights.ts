import { ConvertError } from './convertError';
import { toHalf } from './float16';
import { bytesOf, Graph, MS_DOMAIN } from './onnxGraph';
import { Bits, blocksPerRow, checkBlock, quantizeRows } from './quantize';
import { LazyTensor } from './safetensors';

export const PRECISIONS = ['float32', 'float16', 'int8', 'int4'] as const;
export type Precision = (typeof PRECISIONS)[number];

/** float32 bytes read at a time: bounds the builder's memory whatever the model's size. */
const CHUNK_BYTES = 64 << 20;

/** Rows of t as float32, a chunk of rows at a time. */
function* rowChunks(t: LazyTensor): Generator<Float32Array> {
  const step = Math.max(1, Math.floor(CHUNK_BYTES / (t.rowSize * 4)));
  for (let r = 0; r < t.rows; r += step) yield t.read(r, Math.min(t.rows, r + step));
}

/** W.T ([k, n]) for W [n, k], in chunks of whole rows, each assembled from row chunks of W. */
function* transposedChunks(t: LazyTensor): Generator<Float32Array> {
  const [n, k] = t.shape;
  const step = Math.max(1, Math.floor(CHUNK_BYTES / (n * 4)));
  for (let k0 = 0; k0 < k; k0 += step) {
    const k1 = Math.min(k, k0 + step);
    const out = new Float32Array((k1 - k0) * n);
    let r0 = 0;
    for (const c of rowChunks(t)) {
      const rows = c.length / k;
      for (let r = 0; r < rows; r++) for (let j = k0; j < k1; j++) out[(j - k0) * n + r0 + r] = c[r * k + j];
      r0 += rows;
    }
    yield out;
  }
}

/**
 * The checkpoint's tensors streamed into the graph's data file in the chosen precision, behind the
 * nodes that use them.
 * - float32 / float16: MatMul on the transposed weight ([in, out]); float16 is cast to float32 in the
 *   graph, which onnxruntime folds at load, so it halves the folder, not the memory.
 * - int8 / int4: MatMulNBits, which keeps the weights packed in memory.  The embedding is stored in
 *   the same layout and dequantized in the graph after the row Gather, so a tied output layer
 *   shares its bytes.
 */
export class WeightWriter {
  private readonly bits: Bits | undefined;
  private readonly floats = new Map<string, string>();
  private readonly packed = new Map<string, [string, string]>();

  constructor(
    private readonly g: Graph,
    private readonly tensors: Map<string, LazyTensor>,
    private readonly precision: Precision,
    private readonly block: number,
    private readonly accuracyLevel: number,
    private readonly onTensor: (name: string) => void = () => {},
  ) {
    this.bits = precision === 'int8' ? 8 : precision === 'int4' ? 4 : undefined;
    if (this.bits) checkBlock(this.bits, block);
  }

  tensor(name: string): LazyTensor {
    const t = this.tensors.get(name);
    if (!t) throw new ConvertError(`the checkpoint has no ${name}`);
    return t;
  }

  /** A small tensor (norm weight, bias) in float32. */
  vector(name: string): string {
    const t = this.tensor(name);
    this.onTensor(name);
    return this.g.weight(name, t.shape, 'float32', [bytesOf(t.read())]);
  }

  /** x [..., in] @ W.T for the checkpoint's W [out, in]. */
  matmul(x: string, name: string): string {
    const [n, k] = this.tensor(name).shape;
    if (this.bits) {
      const [b, s] = this.storePacked(name);
      const attrs = { K: k, N: n, bits: this.bits, block_size: this.block, ...(this.accuracyLevel ? { accuracy_level: this.accuracyLevel } : {}) };
      return this.g.op('MatMulNBits', [x, b, s], attrs, { domain: MS_DOMAIN });
    }
    const tied = this.floats.get(name);
    const w = tied ? this.g.op('Transpose', [tied], { perm: [1, 0] }) : this.storedFloat(name, true);
    return this.g.op('MatMul', [x, w]);
  }

  /** The embedding rows of ids: [..., hidden] float32. */
  gatherRows(ids: string, name: string): string {
    const g = this.g;
    if (!this.bits) {
      this.floats.set(name, this.storedFloat(name, false));
      return g.op('Gather', [this.floats.get(name)!, ids], { axis: 0 });
    }
    const [n, k] = this.tensor(name).shape;
    const kb = blocksPerRow(k, this.block);
    const [b, s] = this.storePacked(name);
    let q = g.op('Cast', [g.op('Gather', [b, ids], { axis: 0 })], { to: 6 }); // int32 [.., kb, blob]
    if (this.bits === 4) {
      // low nibble first
      const hi = g.op('Div', [q, g.const(16, 'int32')]);
      const lo = g.op('Sub', [q, g.op('Mul', [hi, g.const(16, 'int32')])]);
      q = g.op('Concat', [g.op('Unsqueeze', [lo, g.const([-1])]), g.op('Unsqueeze', [hi, g.const([-1])])], { axis: -1 });
      q = g.op('Reshape', [q, g.const([0, 0, kb, this.block])]);
    }
    let w = g.op('Cast', [g.op('Sub', [q, g.const(2 ** (this.bits - 1), 'int32')])], { to: 1 });
    const scales = g.op('Reshape', [s, g.const([n, kb, 1])]);
    w = g.op('Mul', [w, g.op('Gather', [scales, ids], { axis: 0 })]);
    w = g.op('Reshape', [w, g.const([0, 0, kb * this.block])]);
    return kb * this.block === k ? w : g.op('Slice', [w, g.const([0]), g.const([k]), g.const([-1])]);
  }

  private storePacked(name: string): [string, string] {
    const done = this.packed.get(name);
    if (done) return done;
    const t = this.tensor(name);
    const [n, k] = t.shape;
    const kb = blocksPerRow(k, this.block);
    const bits = this.bits!;
    const scales: Float32Array[] = [];
    this.onTensor(name);
    const packedChunks = function* (block: number) {
      for (const c of rowChunks(t)) {
        const { packed, scales: s } = quantizeRows(c, c.length / k, k, bits, block);
        scales.push(s);
        yield packed;
      }
    };
    const b = this.g.weight(`${name}.qweight`, [n, kb, (this.block * bits) / 8], 'uint8', packedChunks(this.block));
    const s = this.g.weight(`${name}.scales`, [n * kb], 'float32', scales.map(bytesOf));
    this.packed.set(name, [b, s]);
    return [b, s];
  }

  /** The tensor (or its transpose) as float32 in the graph, stored in float32 or float16. */
  private storedFloat(name: string, transposed: boolean): string {
    const t = this.tensor(name);
    const half = this.precision === 'float16';
    const dims = transposed ? [t.shape[1], t.shape[0]] : t.shape;
    this.onTensor(name);
    const chunks = (function* () {
      for (const c of transposed ? transposedChunks(t) : rowChunks(t)) yield half ? bytesOf(toHalf(c)) : bytesOf(c);
    })();
    const stored = this.g.weight(name + (transposed ? '.T' : ''), dims, half ? 'float16' : 'float32', chunks);
    return half ? this.g.op('Cast', [stored], { to: 1 }, { name: 'dequant' }) : stored;
  }
}
