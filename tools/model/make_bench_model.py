"""Writes the benchmark's models and single-op graphs (npm run bench makes them once, in models/.bench/).

  python3 -m tools.model.make_bench_model OUT

OUT/long: random weights of the next bundled recipe's shape (12 layers, hidden 384, 6 heads / 2
key-value heads, SwiGLU 1280, vocab 16384) with a 2,048-token context, float32: how a step's
cost grows with the context.  OUT/qwen-vocab: the same at Qwen2.5's 151,936-token vocabulary,
weights stored float16: what deciding costs beside a forward there.  OUT/matmul_KxN.onnx: one
MatMul by a constant [K, N] weight, for what onnxruntime's MatMul reaches at the model's shapes.
OUT/decide_V.onnx: only the graph's decision (decide_graph.py) over float32 logits [rows, V], at
Qwen2.5's vocabulary and the bundled model's.
"""
import json
import os
import sys

import onnx
import torch
from onnx import TensorProto, helper, numpy_helper

from . import decide_graph
from .qwen2_bidir import Qwen2Bidir, Qwen2Config, export_onnx, write_model_json
from .train import BUNDLED

SHAPE = dict(hidden_size=384, num_hidden_layers=12, num_attention_heads=6, num_key_value_heads=2,
             intermediate_size=1280, rope_theta=10000.0, tie_word_embeddings=True, max_position_embeddings=2048)


def random_model(out, vocab, precision):
    torch.manual_seed(0)
    cfg = Qwen2Config(vocab_size=vocab, **SHAPE)
    model = Qwen2Bidir(cfg)
    with torch.no_grad():
        for p in model.parameters():
            p.normal_(0, 0.05)
    os.makedirs(out, exist_ok=True)
    export_onnx(model, os.path.join(out, "model.onnx"), precision)
    write_model_json(out, config=cfg, name=os.path.basename(out), vocabSize=vocab, maxContext=2048,
                     maskTokenId=vocab - 2, eosTokenId=vocab - 3, padTokenId=vocab - 1, precision=precision,
                     source="random weights (seed 0) from tools/model/make_bench_model.py, for npm run bench")


def matmul_graph(path, k, n):
    w = numpy_helper.from_array(torch.randn(k, n).numpy(), "w")
    node = helper.make_node("MatMul", ["a", "w"], ["y"])
    graph = helper.make_graph([node], "matmul", [helper.make_tensor_value_info("a", TensorProto.FLOAT, ["m", k])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["m", n])], [w])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)]), path)


def decide_graph_alone(path, vocab):
    g = decide_graph.Nodes("")
    out = decide_graph.decide(g, "logits", vocab)
    names = decide_graph.NAMES
    g.nodes += [helper.make_node("Identity", [out[k]], [n]) for k, n in names.items()]
    graph = helper.make_graph(g.nodes, "decide", [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["rows", vocab])],
                              [helper.make_tensor_value_info(n, decide_graph.TYPES[k], ["rows"]) for k, n in names.items()], g.inits)
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)]), path)


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for k, n in ((384, 384), (384, 128), (384, 1280), (1280, 384), (384, 16384)):
        matmul_graph(os.path.join(out, f"matmul_{k}x{n}.onnx"), k, n)
    for vocab in {151936, json.load(open(os.path.join(BUNDLED, "model.json")))["vocabSize"]}:
        decide_graph_alone(os.path.join(out, f"decide_{vocab}.onnx"), vocab)
    random_model(os.path.join(out, "long"), 16384, "float32")
    random_model(os.path.join(out, "qwen-vocab"), 151936, "float16")


if __name__ == "__main__":
    main()
