"""Block quantization in onnxruntime's MatMulNBits layout (com.microsoft), for int4 and int8 weights.

A torch weight [N, K] (output rows, input columns) is cut along K into blocks of `block` values;
each block has a float32 scale and stores q = round(w / scale) + 2^(bits-1) unsigned, so that
MatMulNBits' default zero point (2^(bits-1), no zero_points input) gives w = (q - zp) * scale.
The scale is the block's value of largest magnitude over -2^(bits-1), sign kept, so that value
lands exactly on the most negative level and no level is wasted.  int4 packs two values a byte,
the even one in the low nibble.  B is [N, ceil(K / block), block * bits / 8]; a K that is not a
multiple of the block is padded with zeros, as onnxruntime expects.
"""
import numpy as np

BITS = (4, 8)


def check(bits, block):
    if bits not in BITS:
        raise ValueError(f"bits {bits}: expected one of {BITS}")
    if block < 16 or block & (block - 1):
        raise ValueError(f"block size {block}: expected a power of two, at least 16 (onnxruntime's MatMulNBits)")


def n_blocks(k, block):
    return -(-k // block)


def quantize_rows(w, bits, block):
    """w: float32 [n, K] -> (B uint8 [n, kb, block*bits/8], scales float32 [n, kb])."""
    n, k = w.shape
    kb = n_blocks(k, block)
    if kb * block != k:
        w = np.concatenate([w, np.zeros((n, kb * block - k), np.float32)], axis=1)
    w = w.reshape(n, kb, block)
    half = 2 ** (bits - 1)
    hi, lo = w.max(axis=-1, keepdims=True), w.min(axis=-1, keepdims=True)
    scale = np.where(-lo > hi, lo, hi) / -half
    scale[scale == 0] = 1.0  # an all-zero block: any scale gives q = zp
    q = w / scale
    np.rint(q, out=q)
    np.clip(q, -half, half - 1, out=q)
    q += half
    q = q.astype(np.uint8)
    if bits == 4:
        q = q[..., 0::2] | (q[..., 1::2] << 4)
    return q, scale[..., 0].astype(np.float32)


def dequantize_rows(q, scales, bits, k):
    """The inverse of quantize_rows: float32 [n, K] as the runtime sees it."""
    if bits == 4:
        q = np.stack([q & 0x0F, q >> 4], axis=-1).reshape(q.shape[0], q.shape[1], -1)
    w = (q.astype(np.float32) - 2 ** (bits - 1)) * scales[..., None]
    return w.reshape(w.shape[0], -1)[:, :k]
