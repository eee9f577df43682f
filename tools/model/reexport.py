"""Re-export a model folder's graph with the current exporter, keeping its weights and model.json.

  python3 -m tools.model.reexport DIR --heads N [--precision float32|float16|int8] [--out DIR2]

For a folder export_onnx wrote (its weights are named; weights_from_onnx reads them back), when the
graph contract grows (docs/model-folder.md): the old and the new graph are run in onnxruntime-node
on the same canvas (compare_onnx.mjs), each against torch on the weights it stores.  --heads is the attention head
count, which the weights' shapes do not tell; the key-value heads follow from it.
"""
import argparse
import json
import os
import shutil
import tempfile

from .onnx_case import check_stored
from .qwen2_bidir import PRECISIONS, Qwen2Bidir, Qwen2Config, export_onnx, onnx_section, weights_from_onnx


LINEARS = ("self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj",
           "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj")


def legacy_weights(path):
    """The parameters of a graph written before export_onnx named its weights: the named ones as they
    are, the MatMul weights (torch's `onnx::MatMul_N`, transposed) by the order the trace runs them
    in, seven a layer, then lm_head."""
    import numpy as np
    import onnx
    import onnx.numpy_helper as nh
    import torch

    m = onnx.load(path)
    raw = {t.name: nh.to_array(t) for t in m.graph.initializer}
    casts = {n.output[0]: n.input[0] for n in m.graph.node if n.op_type == "Cast" and n.input[0] in raw}
    value = lambda name: raw[casts.get(name, name)].astype(np.float32)  # noqa: E731
    out = {}
    for name in raw:
        base = name[:-len("__fp16")] if name.endswith("__fp16") else name
        if base.startswith("model."):
            out[base] = torch.from_numpy(value(name))
    weights = [n.input[1] for n in m.graph.node if n.op_type == "MatMul" and casts.get(n.input[1], n.input[1]) in raw]
    layers = (len(weights) - 1) // len(LINEARS)
    if layers * len(LINEARS) + 1 != len(weights):
        raise SystemExit(f"{path}: {len(weights)} weight MatMuls, expected 7 a layer and lm_head")
    names = [f"model.layers.{i}.{lin}.weight" for i in range(layers) for lin in LINEARS] + ["lm_head.weight"]
    for name, w in zip(names, weights):
        out[name] = torch.from_numpy(np.ascontiguousarray(value(w).T))
    return out


def config_of(state, heads, max_context):
    vocab, hidden = state["model.embed_tokens.weight"].shape
    layers = len({k.split(".")[2] for k in state if k.startswith("model.layers.")})
    hd = hidden // heads
    return Qwen2Config(vocab_size=vocab, hidden_size=hidden, num_hidden_layers=layers, num_attention_heads=heads,
                       num_key_value_heads=state["model.layers.0.self_attn.k_proj.weight"].shape[0] // hd,
                       intermediate_size=state["model.layers.0.mlp.gate_proj.weight"].shape[0],
                       tie_word_embeddings="lm_head.weight" not in state or
                       bool((state["lm_head.weight"] == state["model.embed_tokens.weight"]).all()),
                       max_position_embeddings=max_context)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("dir")
    ap.add_argument("--heads", type=int, required=True)
    ap.add_argument("--precision", choices=PRECISIONS, help="default: the folder's")
    ap.add_argument("--out", help="default: DIR itself")
    args = ap.parse_args(argv)
    with open(os.path.join(args.dir, "model.json")) as f:
        doc = json.load(f)
    state = weights_from_onnx(os.path.join(args.dir, doc["onnx"]["file"]))
    if state is None:
        state = legacy_weights(os.path.join(args.dir, doc["onnx"]["file"]))
    cfg = config_of(state, args.heads, doc["maxContext"])
    model = Qwen2Bidir(cfg)
    model.load_state_dict(state)
    doc_precision = doc.get("precision", "float32")
    precision = args.precision or doc_precision
    out = args.out or args.dir
    with tempfile.TemporaryDirectory() as tmp:
        old = os.path.join(tmp, "old")
        shutil.copytree(args.dir, old)
        os.makedirs(out, exist_ok=True)
        for f in ("tokenizer.json", "MODEL_CARD.md"):
            if os.path.exists(os.path.join(args.dir, f)) and out != args.dir:
                shutil.copyfile(os.path.join(args.dir, f), os.path.join(out, f))
        export_onnx(model, os.path.join(out, "model.onnx"), precision)
        doc.update(onnx=onnx_section(cfg), precision=precision)
        with open(os.path.join(out, "model.json"), "w") as f:
            json.dump(doc, f, indent=2)
            f.write("\n")
        for folder in (old, out):  # each against torch on the weights it stores
            check_stored(folder, cfg, doc["maskTokenId"], [(2, min(64, cfg.max_position_embeddings), 8)],
                         state if folder == old else None)
    print(f"re-exported {out} ({precision}, {cfg.num_hidden_layers} layers, hidden {cfg.hidden_size})")


if __name__ == "__main__":
    main()
