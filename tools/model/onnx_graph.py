"""Writes an ONNX graph node by node, with its weights streamed into one external data file.

Each weight goes to `model.onnx.data` as it is made and the graph keeps only where it lies, so the
builder holds one tensor at a time and the `.onnx` protobuf stays small at any model size
(protobuf's limit is 2 GB).  onnxruntime finds the data file beside the graph.
"""
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 17
MS_DOMAIN = "com.microsoft"  # MatMulNBits
ALIGN = 64  # onnxruntime can map aligned external tensors without a copy
NP_TYPES = {np.dtype(np.float32): TensorProto.FLOAT, np.dtype(np.float16): TensorProto.FLOAT16,
            np.dtype(np.uint8): TensorProto.UINT8, np.dtype(np.int8): TensorProto.INT8,
            np.dtype(np.int64): TensorProto.INT64, np.dtype(np.int32): TensorProto.INT32}


class Graph:
    def __init__(self, out_dir, data_name="model.onnx.data"):
        self.out_dir = out_dir
        self.data_name = data_name
        self.data = open(os.path.join(out_dir, data_name), "wb")
        self.nodes, self.inits, self.inputs, self.outputs = [], [], [], []
        self.used_ms = False
        self._n = 0

    def op(self, op_type, inputs, n_out=1, name=None, domain="", **attrs):
        """Adds a node; returns its output name (or names when n_out > 1)."""
        self._n += 1
        base = f"{name or op_type.lower()}_{self._n}"
        outs = [f"{base}_out{i}" if n_out > 1 else base for i in range(n_out)]
        self.nodes.append(helper.make_node(op_type, list(inputs), outs, name=base, domain=domain, **attrs))
        if domain == MS_DOMAIN:
            self.used_ms = True
        return outs if n_out > 1 else outs[0]

    def const(self, values, dtype=np.int64, name=None):
        """A small constant kept inside the protobuf."""
        arr = np.asarray(values, dtype=dtype)
        self._n += 1
        n = f"{name or 'const'}_{self._n}"
        self.inits.append(numpy_helper.from_array(arr, n))
        return n

    def weight(self, name, shape, dtype, chunks):
        """Appends a tensor to the data file from `chunks` (numpy arrays whose bytes, in order, are
        the tensor's), so a large one never needs to be whole in memory."""
        pad = -self.data.tell() % ALIGN
        self.data.write(b"\0" * pad)
        offset = self.data.tell()
        for c in chunks:
            if c.dtype != np.dtype(dtype):
                raise ValueError(f"{name}: chunk of {c.dtype}, expected {np.dtype(dtype)}")
            self.data.write(np.ascontiguousarray(c).tobytes())
        length = self.data.tell() - offset
        want = int(np.prod(shape)) * np.dtype(dtype).itemsize
        if length != want:
            raise ValueError(f"{name}: wrote {length} bytes for shape {shape}, expected {want}")
        t = TensorProto(name=name, data_type=NP_TYPES[np.dtype(dtype)], dims=list(shape))
        t.data_location = TensorProto.EXTERNAL
        for k, v in (("location", self.data_name), ("offset", str(offset)), ("length", str(length))):
            e = t.external_data.add()
            e.key, e.value = k, v
        self.inits.append(t)
        return name

    def input(self, name, elem_type, shape):
        self.inputs.append(helper.make_tensor_value_info(name, elem_type, shape))
        return name

    def output(self, value, name, elem_type, shape):
        self.nodes.append(helper.make_node("Identity", [value], [name], name=f"output_{name}"))
        self.outputs.append(helper.make_tensor_value_info(name, elem_type, shape))

    def save(self, path, props=None):
        self.data.close()
        graph = helper.make_graph(self.nodes, "diffusion_infill", self.inputs, self.outputs, self.inits)
        opsets = [helper.make_opsetid("", OPSET)] + ([helper.make_opsetid(MS_DOMAIN, 1)] if self.used_ms else [])
        model = helper.make_model(graph, opset_imports=opsets, producer_name="diffusion-infill build_onnx.py")
        model.ir_version = 8  # onnxruntime 1.23 reads up to 10; 8 is what opset 17 came with
        if props:
            helper.set_model_props(model, props)
        onnx.save_model(model, path)
