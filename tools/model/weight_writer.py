"""The builder's weights: each checkpoint tensor streamed into the graph's data file in the chosen
precision, in row chunks, behind the nodes that use it.

- float32 / float16: MatMul on the transposed weight ([in, out]); float16 is cast to float32 in the
  graph, which onnxruntime folds at load, so it halves the folder, not the memory.
- int8 / int4: MatMulNBits (quantize.py's block layout), which keeps the weights packed in memory.
  The embedding is stored in the same layout and dequantized in the graph after the row Gather, so
  a tied output layer shares its bytes.
"""
import numpy as np
from onnx import TensorProto

from .onnx_graph import MS_DOMAIN
from .quantize import check, n_blocks, quantize_rows

PRECISIONS = ("float32", "float16", "int8", "int4")
CHUNK_BYTES = 64 << 20  # float32 bytes read at a time: bounds the builder's memory


def _row_chunks(t, max_bytes=CHUNK_BYTES):
    per_row = int(np.prod(t.shape[1:])) * 4
    step = max(1, max_bytes // per_row)
    for r0 in range(0, t.rows, step):
        yield t.read(r0, min(t.rows, r0 + step))


def _transposed_chunks(t, dtype, max_bytes=CHUNK_BYTES):
    """W.T ([in, out]) in chunks of whole rows, each assembled from row chunks of W."""
    n, k = t.shape
    step = max(1, max_bytes // (n * 4))
    for k0 in range(0, k, step):
        k1 = min(k, k0 + step)
        out = np.empty((k1 - k0, n), np.float32)
        r0 = 0
        for c in _row_chunks(t, max_bytes):
            out[:, r0:r0 + len(c)] = c[:, k0:k1].T
            r0 += len(c)
        yield out.astype(dtype)


class WeightWriter:
    def __init__(self, graph, tensors, precision, block_size=32, accuracy_level=0):
        if precision not in PRECISIONS:
            raise ValueError(f"precision {precision!r}: expected one of {', '.join(PRECISIONS)}")
        self.g, self.t, self.precision = graph, tensors, precision
        self.bits = {"int8": 8, "int4": 4}.get(precision)
        if self.bits:
            check(self.bits, block_size)
        self.block, self.accuracy_level = block_size, accuracy_level
        self._float = {}  # name -> float32 [out, in] value in the graph (embedding, for a tied output layer)
        self._packed = {}  # name -> (B, scales) initializer names

    def vector(self, name):
        """A small tensor (norm weight, bias) in float32."""
        t = self.t[name]
        return self.g.weight(name, t.shape, np.float32, [t.read()])

    def _store_packed(self, name):
        if name not in self._packed:
            t = self.t[name]
            n, k = t.shape
            kb = n_blocks(k, self.block)
            scales = []

            def chunks():
                for c in _row_chunks(t):
                    q, s = quantize_rows(c, self.bits, self.block)
                    scales.append(s)
                    yield q
            b = self.g.weight(name + ".qweight", (n, kb, self.block * self.bits // 8), np.uint8, chunks())
            s = self.g.weight(name + ".scales", (n * kb,), np.float32, [s.reshape(-1) for s in scales])
            self._packed[name] = (b, s)
        return self._packed[name]

    def _stored_float(self, name, transposed):
        """The tensor (or its transpose) as float32 in the graph, stored in float32 or float16."""
        t = self.t[name]
        dtype = np.float16 if self.precision == "float16" else np.float32
        shape = (t.shape[1], t.shape[0]) if transposed else t.shape
        chunks = _transposed_chunks(t, dtype) if transposed else (c.astype(dtype) for c in _row_chunks(t))
        stored = self.g.weight(name + (".T" if transposed else ""), shape, dtype, chunks)
        if dtype == np.float32:
            return stored
        return self.g.op("Cast", [stored], to=TensorProto.FLOAT, name="dequant")

    def matmul(self, x, name):
        """x [..., in] @ W.T for the checkpoint's W [out, in]."""
        n, k = self.t[name].shape
        if self.bits:
            b, s = self._store_packed(name)
            attrs = {"accuracy_level": self.accuracy_level} if self.accuracy_level else {}
            return self.g.op("MatMulNBits", [x, b, s], domain=MS_DOMAIN, K=k, N=n, bits=self.bits,
                             block_size=self.block, **attrs)
        if name in self._float:  # tied: the embedding's values, transposed in the graph (folded at load)
            w = self.g.op("Transpose", [self._float[name]], perm=[1, 0])
        else:
            w = self._stored_float(name, transposed=True)
        return self.g.op("MatMul", [x, w])

    def gather_rows(self, ids, name):
        """The embedding rows of ids: [..., hidden] float32."""
        if not self.bits:
            self._float[name] = self._stored_float(name, transposed=False)
            return self.g.op("Gather", [self._float[name], ids], axis=0)
        g = self.g
        n, k = self.t[name].shape
        kb = n_blocks(k, self.block)
        b, s = self._store_packed(name)
        q = g.op("Cast", [g.op("Gather", [b, ids], axis=0)], to=TensorProto.INT32)  # [.., kb, blob]
        if self.bits == 4:  # low nibble first
            hi = g.op("Div", [q, g.const(16, np.int32)])
            lo = g.op("Sub", [q, g.op("Mul", [hi, g.const(16, np.int32)])])
            q = g.op("Concat", [g.op("Unsqueeze", [lo, g.const([-1])]), g.op("Unsqueeze", [hi, g.const([-1])])], axis=-1)
            q = g.op("Reshape", [q, g.const([0, 0, kb, self.block])])
        w = g.op("Cast", [g.op("Sub", [q, g.const(2 ** (self.bits - 1), np.int32)])], to=TensorProto.FLOAT)
        scales = g.op("Reshape", [s, g.const([n, kb, 1])])
        w = g.op("Mul", [w, g.op("Gather", [scales, ids], axis=0)])
        w = g.op("Reshape", [w, g.const([0, 0, kb * self.block])])
        if kb * self.block != k:
            w = g.op("Slice", [w, g.const([0]), g.const([k]), g.const([-1])])
        return w
