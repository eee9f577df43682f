import { ConvertError } from './convertError';

/**
 * Block quantization in onnxruntime's MatMulNBits layout (com.microsoft), for int4 and int8 weights.
 *
 * A weight [N, K] (output rows, input columns) is cut along K into blocks; each block has a float32
 * scale and stores q = round(w / scale) + 2^(bits-1) unsigned, so that MatMulNBits' default zero
 * point (2^(bits-1), no zero_points input) gives w = (q - zp) * scale.  The scale is the block's value
 * of largest magnitude over -2^(bits-1), sign kept, so that value lands exactly on the most negative
 * level and no level is wasted.  int4 packs two values a byte, the even one in the low nibble.  B is
 * [N, ceil(K / block), block * bits / 8]; a K that is not a multiple of the block is padded with zeros.
 * Rounding is to the nearest even on ties, in float32, as tools/model/quantize.py (the tests'
 * reference) does with numpy.
 */
export type Bits = 4 | 8;

export function checkBlock(bits: number, block: number): void {
  if (bits !== 4 && bits !== 8) throw new ConvertError(`bits ${bits}: expected 4 or 8`);
  if (!Number.isInteger(block) || block < 16 || (block & (block - 1)) !== 0) {
    throw new ConvertError(`block size ${block}: expected a power of two, at least 16 (onnxruntime's MatMulNBits)`);
  }
}

export function blocksPerRow(k: number, block: number): number {
  return Math.ceil(k / block);
}

/** w: float32 [n, k] row-major -> B bytes [n, kb, block * bits / 8] and scales [n, kb]. */
export function quantizeRows(w: Float32Array, n: number, k: number, bits: Bits, block: number): { packed: Uint8Array; scales: Float32Array } {
  const kb = blocksPerRow(k, block);
  const half = 2 ** (bits - 1);
  const blockBytes = (block * bits) / 8;
  const packed = new Uint8Array(n * kb * blockBytes);
  const scales = new Float32Array(n * kb);
  const q = new Uint8Array(block);
  for (let r = 0; r < n; r++) {
    for (let b = 0; b < kb; b++) {
      const start = r * k + b * block;
      const len = Math.min(block, k - b * block);
      let hi = len < block ? 0 : -Infinity;
      let lo = len < block ? 0 : Infinity;
      for (let i = 0; i < len; i++) {
        const v = w[start + i];
        if (v > hi) hi = v;
        if (v < lo) lo = v;
      }
      let scale = Math.fround((-lo > hi ? lo : hi) / -half);
      if (scale === 0) scale = 1; // an all-zero block: any scale gives q = zp
      scales[r * kb + b] = scale;
      for (let i = 0; i < block; i++) {
        const x = i < len ? Math.fround(w[start + i] / scale) : 0;
        q[i] = Math.min(half - 1, Math.max(-half, roundHalfEven(x))) + half;
      }
      const out = (r * kb + b) * blockBytes;
      if (bits === 8) packed.set(q, out);
      else for (let i = 0; i < blockBytes; i++) packed[out + i] = q[2 * i] | (q[2 * i + 1] << 4);
    }
  }
  return { packed, scales };
}

function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}
