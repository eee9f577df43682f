"""onnx.decide (docs/model-folder.md) as ONNX nodes: the one definition that qwen2_bidir.export_onnx,
build_onnx.py and the benchmark's standalone graph (make_bench_model.py) all write.

At temperature 0 every algorithm needs four numbers per row of logits: the argmax (the first on
ties), its softmax probability, the runner-up's, and the entropy in nats.  Each full pass over a
[rows x vocab] tensor costs about as much as the next, so the decision makes as few as it can
(npm run bench, deciding / forward):
- the top two by blocks: the maximum of each block of BLOCK logits (one pass), the top two blocks,
  then the top two inside the best block; the runner-up is the better of its second and the second
  block's maximum.  TopK over the whole row cost more than the rest of the decision together.
- one Softmax (onnxruntime's fused kernel keeps a row in cache for its max, exp and sum), whose
  value at the top token is the probability, and one dot product per row for the entropy, taken as
  log Z - E[x] with log Z = max - log p(top).  The dot product is a MatMul of [rows, 1, vocab] by the
  transposed probabilities: onnxruntime folds the Transpose into the MatMul and reads each pair of
  rows once, where Mul then ReduceSum wrote and read a third tensor (and a MatMul by
  [rows, vocab, 1] without the Transpose, or an Einsum, took a slow path).  Subtracting the max
  first (exact for the small terms beside a certain top token) cost two more passes; float32 keeps
  this form within ~1e-5 nats of the float64 sampler at logits up to 30 (onnx_checks.checkDecide
  holds it to 1e-4).
Every op runs over all rows at once, which onnxruntime spreads over its threads.
"""
import numpy as np
from onnx import TensorProto, helper, numpy_helper

NAMES = {"token": "top_token", "prob": "top_prob", "secondProb": "second_prob", "entropy": "entropy"}
TYPES = {"token": TensorProto.INT64, "prob": TensorProto.FLOAT, "secondProb": TensorProto.FLOAT,
         "entropy": TensorProto.FLOAT}


class Nodes:
    """Nodes and constants whose names all start with `prefix`: the decision appended to a graph torch
    traced.  The same op/const calls as onnx_graph.Graph."""

    def __init__(self, prefix):
        self.prefix, self.nodes, self.inits, self._n = prefix, [], [], 0

    def _name(self, base):
        self._n += 1
        return f"{self.prefix}{base}_{self._n}"

    def op(self, op_type, inputs, n_out=1, **attrs):
        base = self._name(op_type.lower())
        outs = [f"{base}_out{i}" for i in range(n_out)] if n_out > 1 else [base]
        self.nodes.append(helper.make_node(op_type, list(inputs), outs, name=base, **attrs))
        return outs if n_out > 1 else outs[0]

    def const(self, values, dtype=np.int64):
        name = self._name("const")
        self.inits.append(numpy_helper.from_array(np.asarray(values, dtype=dtype), name))
        return name


BLOCK = 64


def decide(g, logits, vocab):
    """Appends the decision over float32 logits [..., vocab] to g (onnx_graph.Graph or Nodes);
    returns {key of NAMES: value}, each shaped as the logits without their last axis."""
    shape = g.op("Shape", [logits])
    lead = g.op("Slice", [shape, g.const([0]), g.const([-1])])
    rows = g.op("Reshape", [logits, g.const([-1, vocab])])
    padded = rows if vocab % BLOCK == 0 else g.op(  # -inf never wins a block
        "Pad", [rows, g.const([0, 0, 0, -vocab % BLOCK]), g.const(-np.inf, np.float32)])
    blocks = g.op("Reshape", [padded, g.const([0, -1, BLOCK])])  # [rows, vocab / BLOCK, BLOCK]
    block_max, block_idx = g.op("TopK", [g.op("ReduceMax", [blocks], axes=[-1], keepdims=0), g.const([2])],
                                n_out=2, axis=-1, largest=1, sorted=1)
    best_block = g.op("Slice", [block_idx, g.const([0]), g.const([1]), g.const([1])])  # [rows, 1]
    where = g.op("Expand", [g.op("Unsqueeze", [best_block, g.const([-1])]), g.const([1, 1, BLOCK])])
    inside = g.op("Reshape", [g.op("GatherElements", [blocks, where], axis=1), g.const([0, BLOCK])])
    top, idx = g.op("TopK", [inside, g.const([2])], n_out=2, axis=-1, largest=1, sorted=1)
    first = g.op("Slice", [top, g.const([0]), g.const([1]), g.const([1])])
    second = g.op("Max", [g.op("Slice", [top, g.const([1]), g.const([2]), g.const([1])]),
                          g.op("Slice", [block_max, g.const([1]), g.const([2]), g.const([1])])])
    token = g.op("Add", [g.op("Mul", [best_block, g.const([BLOCK])]),
                         g.op("Slice", [idx, g.const([0]), g.const([1]), g.const([1])])])
    p = g.op("Softmax", [rows], axis=-1)
    prob = g.op("GatherElements", [p, token], axis=1)
    # E[x], one dot product per row: [rows, 1, vocab] x [rows, vocab, 1], written with a Transpose
    # that onnxruntime folds into the MatMul (a transposed B), which reads each row once.
    as_row = g.const([-1, 1, vocab])
    mean = g.op("Reshape", [g.op("MatMul", [g.op("Reshape", [rows, as_row]), g.op(
        "Transpose", [g.op("Reshape", [p, as_row])], perm=[0, 2, 1])]), g.const([-1, 1])])
    log_z = g.op("Sub", [first, g.op("Log", [prob])])
    out = {
        "token": token,
        "prob": prob,
        "secondProb": g.op("Mul", [g.op("Exp", [g.op("Sub", [second, first])]), prob]),
        "entropy": g.op("Max", [g.op("Sub", [log_z, mean]), g.const([0.0], np.float32)]),
    }
    return {k: g.op("Reshape", [v, lead]) for k, v in out.items()}


def append_to_model(m, logits, vocab, shape=("batch", "n")):
    """Adds the decision over the graph's `logits` to a ModelProto, as outputs named NAMES after it."""
    g = Nodes("decide/")
    out = decide(g, logits, vocab)
    g.nodes += [helper.make_node("Identity", [out[k]], [NAMES[k]], name=f"decide/output_{NAMES[k]}") for k in NAMES]
    m.graph.node.extend(g.nodes)
    m.graph.initializer.extend(g.inits)
    at = [o.name for o in m.graph.output].index(logits) + 1
    infos = [helper.make_tensor_value_info(NAMES[k], TYPES[k], list(shape)) for k in NAMES]
    outputs = list(m.graph.output)
    del m.graph.output[:]
    m.graph.output.extend(outputs[:at] + infos + outputs[at:])
