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
 * Rounding is to the nearest even on ties, in float32, as tools/model/references/quantize.py (the tests'
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
  const top = half - 1;
  const blockBytes = (block * bits) / 8;
  const packed = new Uint8Array(n * kb * blockBytes);
  const scales = new Float32Array(n * kb);
  // A block that runs past k is padded with zeros, which count towards its range.
  const padded = new Float32Array(block);
  for (let r = 0; r < n; r++) {
    for (let b = 0; b < kb; b++) {
      let x = w;
      let start = r * k + b * block;
      if (k - b * block < block) {
        padded.fill(0).set(w.subarray(start, r * k + k));
        [x, start] = [padded, 0];
      }
      let hi = -Infinity;
      let lo = Infinity;
      for (let i = start, end = start + block; i < end; i++) {
        const v = x[i];
        hi = v > hi ? v : hi;
        lo = v < lo ? v : lo;
      }
      let scale = Math.fround((-lo > hi ? lo : hi) / -half);
      if (scale === 0) scale = 1; // an all-zero block: any scale gives q = zp
      scales[r * kb + b] = scale;
      const out = (r * kb + b) * blockBytes;
      // round(v / scale) in float32, ties to even, clipped: the lowest level is only ever reached exactly.
      if (bits === 8) {
        for (let i = 0; i < block; i++) {
          const q = (Math.fround(x[start + i] / scale) + RINT - RINT) | 0;
          packed[out + i] = (q > top ? top : q < -half ? -half : q) + half;
        }
      } else {
        for (let i = 0; i < block; i += 2) {
          const a = (Math.fround(x[start + i] / scale) + RINT - RINT) | 0;
          const c = (Math.fround(x[start + i + 1] / scale) + RINT - RINT) | 0;
          packed[out + (i >> 1)] = ((a > top ? top : a < -half ? -half : a) + half) | (((c > top ? top : c < -half ? -half : c) + half) << 4);
        }
      }
    }
  }
  return { packed, scales };
}

/** Adding and taking away 1.5 * 2^52 rounds a double of magnitude below 2^51 to an integer, ties to even (the FPU's own rounding), as numpy's rint does; Math.round was ten times slower. */
const RINT = 6755399441055744;
