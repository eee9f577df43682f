"""export_onnx's int8 precision: each weight matrix stored as int8 with a float32 scale per torch row
(per output channel, symmetric), and multiplied in int8.

A MatMul by such a weight becomes DynamicQuantizeLinear (the activations to uint8 with one scale and
zero point per call) -> MatMulInteger -> Cast -> Mul by the two scales: standard ONNX ops, which
onnxruntime's CPU provider fuses into one int8 GEMM (DynamicQuantizeMatMul), so the runtime keeps
int8 weights and does the arithmetic in int8.  The tied output layer multiplies by the embedding's
int8 transpose; the embedding lookup gathers int8 rows and scales them.  Anything else that reads
a weight gets it dequantized to float32.
"""
import numpy as np
import onnx
import onnx.numpy_helper as nh
from onnx import TensorProto, helper

INT8, SCALE = "__int8", "__scale"


def quantize(a, axis):
    """Symmetric int8 of a float32 matrix, one scale per slice along `axis` (the torch rows): (q, scale)."""
    scale = np.maximum(np.abs(a).max(axis=axis), 1e-12).astype(np.float32) / 127.0
    q = np.clip(np.rint(a / np.expand_dims(scale, axis)), -127, 127).astype(np.int8)
    return q, scale


def dequantize(q, scale, axis):
    return q.astype(np.float32) * np.expand_dims(scale.reshape(-1), axis)


def store(m, t, axis):
    """Replaces float32 initializer t by its int8 values and scales (NAME__int8, NAME__scale)."""
    q, scale = quantize(nh.to_array(t), axis)
    name = t.name
    t.CopyFrom(nh.from_array(q, name + INT8))
    m.graph.initializer.append(nh.from_array(scale, name + SCALE))


def rewrite(m, transposed):
    """Rewires the nodes that read the weights store() wrote as int8 (`transposed`: their float names ->
    True when the graph holds it as MatMul's [in, out]).  Returns the nodes
    that dequantize the weights something else still reads, to go before the rest."""
    int8_b = {n: (n + INT8, n + SCALE) for n in transposed if transposed[n]}  # float name -> (int8 [in, out], scale [out])
    out, dequant = [], {}
    for node in m.graph.node:
        if node.op_type == "Transpose" and node.input[0] in transposed and not transposed[node.input[0]]:
            # The tied output layer: the embedding's transpose, kept int8.
            name = node.input[0]
            int8_b[node.output[0]] = (node.output[0] + INT8, name + SCALE)
            out.append(helper.make_node("Transpose", [name + INT8], [node.output[0] + INT8], perm=[1, 0],
                                        name=node.name + INT8))
            continue
        out.append(node)
    nodes = []
    for node in out:
        if node.op_type == "MatMul" and node.input[1] in int8_b:
            nodes += _int8_matmul(node, *int8_b[node.input[1]])
        elif node.op_type == "Gather" and node.input[0] in transposed and not transposed[node.input[0]] and \
                _attr(node, "axis", 0) == 0:
            nodes += _gather_rows(node, node.input[0])
        else:
            for x in node.input:
                if x in transposed:
                    dequant[x] = transposed[x]
            nodes.append(node)
    del m.graph.node[:]
    m.graph.node.extend(nodes)
    return [n for name, t in dequant.items() for n in _dequantize(name, t)]


def _attr(node, name, default):
    return next((helper.get_attribute_value(a) for a in node.attribute if a.name == name), default)


def _int8_matmul(node, b, scale):
    x, y = node.input[0], node.output[0]
    p = node.name or y
    return [
        helper.make_node("DynamicQuantizeLinear", [x], [y + "/xq", y + "/xscale", y + "/xzero"], name=p + "/quantize"),
        helper.make_node("MatMulInteger", [y + "/xq", b, y + "/xzero"], [y + "/int32"], name=p + "/int8"),
        helper.make_node("Cast", [y + "/int32"], [y + "/float"], to=TensorProto.FLOAT, name=p + "/float"),
        helper.make_node("Mul", [y + "/xscale", scale], [y + "/scale"], name=p + "/scales"),
        helper.make_node("Mul", [y + "/float", y + "/scale"], [y], name=p + "/scale"),
    ]


def _gather_rows(node, name):
    """Gather of embedding rows: the int8 rows times their scales."""
    ids, y = node.input[1], node.output[0]
    p = node.name or y
    return [
        helper.make_node("Constant", [], [y + "/axis"], value=nh.from_array(np.array([-1], np.int64)), name=p + "/axis"),
        helper.make_node("Gather", [name + INT8, ids], [y + "/int8"], axis=0, name=p + "/int8"),
        helper.make_node("Cast", [y + "/int8"], [y + "/float"], to=TensorProto.FLOAT, name=p + "/float"),
        helper.make_node("Gather", [name + SCALE, ids], [y + "/rowscale"], axis=0, name=p + "/scales"),
        helper.make_node("Unsqueeze", [y + "/rowscale", y + "/axis"], [y + "/scale"], name=p + "/unsqueeze"),
        helper.make_node("Mul", [y + "/float", y + "/scale"], [y], name=p + "/scale"),
    ]


def _dequantize(name, transposed):
    axis = 0 if transposed else 1
    shape = np.array([1, -1] if axis == 0 else [-1, 1], np.int64)
    return [
        helper.make_node("Cast", [name + INT8], [name + "/float"], to=TensorProto.FLOAT, name="cast_" + name),
        helper.make_node("Constant", [], [name + "/scale_shape"], value=nh.from_array(shape), name="shape_" + name),
        helper.make_node("Reshape", [name + SCALE, name + "/scale_shape"], [name + "/scale"], name="reshape_" + name),
        helper.make_node("Mul", [name + "/float", name + "/scale"], [name], name="scale_" + name),
    ]


def in_graph(path):
    """Whether the graph at path multiplies in int8 (an int8 folder exported before it did not)."""
    return any(n.op_type == "MatMulInteger" for n in onnx.load(path, load_external_data=False).graph.node)


def emulate(model):
    """Makes a torch module compute as the int8 graph does, for checking the graph against torch: each
    nn.Linear quantizes its input per call as DynamicQuantizeLinear does (uint8, one scale and zero
    point over the whole tensor), its weight per row as store() does, and multiplies the integers
    exactly.  Returns the model."""
    import torch

    def forward(self, x):
        lo, hi = torch.clamp(x.min(), max=0.0), torch.clamp(x.max(), min=0.0)
        xs = (hi - lo) / 255.0
        xz = torch.clamp(torch.round(-lo / xs), 0, 255)
        xq = torch.clamp(torch.round(x / xs) + xz, 0, 255)
        w = self.weight.detach().float()
        ws = torch.clamp(w.abs().amax(dim=1), min=1e-12) / 127.0
        wq = torch.clamp(torch.round(w / ws[:, None]), -127, 127)
        acc = torch.matmul((xq - xz).double(), wq.double().T).float()  # int32 in the graph: exact
        y = acc * (xs * ws)
        return y if self.bias is None else y + self.bias

    for m in model.modules():
        if isinstance(m, torch.nn.Linear):
            m.forward = forward.__get__(m)
    return model
