"""onnx.decide (docs/model-folder.md) as ONNX nodes: the one definition that qwen2_bidir.export_onnx,
build_onnx.py and the benchmark's standalone graph (make_bench_model.py) all write.

At temperature 0 every algorithm needs four numbers per row of logits: the argmax (the first on
ties, as TopK orders them), its softmax probability, the runner-up's, and the entropy in nats.
Every op runs over all rows at once, which onnxruntime spreads over its threads: a Scan that kept
one row in a core's cache through the softmax sums was faster on one thread but not on two, and
slower at a small vocabulary (npm run bench, deciding / forward).
The entropy is log z - sum(e * d) / z with d = logit - max and e = exp(d), so that the top logit's
term is exactly 0 and the small ones are not lost beside it.
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


def decide(g, logits):
    """Appends the decision over float32 logits [..., vocab] to g (onnx_graph.Graph or Nodes);
    returns {key of NAMES: value}, each shaped as the logits without their last axis."""
    shape = g.op("Shape", [logits])
    lead = g.op("Slice", [shape, g.const([0]), g.const([-1])])
    vocab = g.op("Slice", [shape, g.const([-1]), g.const([2**62])])
    rows = g.op("Reshape", [logits, g.op("Concat", [g.const([-1]), vocab], axis=0)])
    top, idx = g.op("TopK", [rows, g.const([2])], n_out=2, axis=-1, largest=1, sorted=1)
    first = g.op("Slice", [top, g.const([0]), g.const([1]), g.const([1])])  # [rows, 1]
    second = g.op("Slice", [top, g.const([1]), g.const([2]), g.const([1])])
    d = g.op("Sub", [rows, first])
    e = g.op("Exp", [d])
    z = g.op("ReduceSum", [e, g.const([-1])], keepdims=1)  # [rows, 1]
    s = g.op("ReduceSum", [g.op("Mul", [e, d]), g.const([-1])], keepdims=1)
    out = {
        "token": g.op("Slice", [idx, g.const([0]), g.const([1]), g.const([1])]),
        "prob": g.op("Reciprocal", [z]),
        "secondProb": g.op("Div", [g.op("Exp", [g.op("Sub", [second, first])]), z]),
        "entropy": g.op("Sub", [g.op("Log", [z]), g.op("Div", [s, z])]),
    }
    return {k: g.op("Reshape", [v, lead]) for k, v in out.items()}


def append_to_model(m, logits, shape=("batch", "n")):
    """Adds the decision over the graph's `logits` to a ModelProto, as outputs named NAMES after it."""
    g = Nodes("decide/")
    out = decide(g, logits)
    g.nodes += [helper.make_node("Identity", [out[k]], [NAMES[k]], name=f"decide/output_{NAMES[k]}") for k in NAMES]
    m.graph.node.extend(g.nodes)
    m.graph.initializer.extend(g.inits)
    at = [o.name for o in m.graph.output].index(logits) + 1
    infos = [helper.make_tensor_value_info(NAMES[k], TYPES[k], list(shape)) for k in NAMES]
    outputs = list(m.graph.output)
    del m.graph.output[:]
    m.graph.output.extend(outputs[:at] + infos + outputs[at:])
