"""The weights a model folder's graph holds (as `diffusion-infill models convert` writes it), read back
as float32 torch tensors under the checkpoint's names, in torch's orientation: what the training run
continues from, and what the tests and the bench run torch on beside the graph.

- `NAME`: a vector, or the embedding (float32 or float16);
- `NAME.T`: a float matrix stored transposed for MatMul;
- `NAME.qweight` + `NAME.scales`: MatMulNBits' int4 / int8 blocks (quantize.py's layout).
A tied output layer is not stored apart: the embedding serves it.
"""
import json
import os

import numpy as np
import torch

from ..references.quantize import dequantize_rows
from ..references.qwen2_bidir import Qwen2Config


def read_model_json(folder):
    with open(os.path.join(folder, "model.json")) as f:
        return json.load(f)


def read_weights(folder):
    """name -> float32 tensor, for every weight of the folder's graph."""
    import onnx  # the training run (on a GPU machine without onnx) reads folders only with --init
    from onnx import numpy_helper

    doc = read_model_json(folder)
    model = onnx.load(os.path.join(folder, doc["onnx"]["file"]), load_external_data=True)
    inits = {t.name: t for t in model.graph.initializer}
    widths = {}  # packed weight -> K, from the MatMulNBits that reads it
    for node in model.graph.node:
        if node.op_type == "MatMulNBits":
            widths[node.input[1]] = next(a.i for a in node.attribute if a.name == "K")
    bits = {"int4": 4, "int8": 8}.get(doc.get("precision"))
    hidden = None
    out = {}
    for name, t in inits.items():
        if not name.startswith(("model.", "lm_head.")) or name.endswith(".scales"):
            continue
        arr = numpy_helper.to_array(t)
        if name.endswith(".qweight"):
            base = name[: -len(".qweight")]
            n, kb, _ = arr.shape
            scales = numpy_helper.to_array(inits[base + ".scales"]).reshape(n, kb)
            k = widths.get(name)
            w = dequantize_rows(arr, scales, bits, k if k is not None else kb * (doc["quantization"]["blockSize"]))
            out[base] = torch.from_numpy(np.ascontiguousarray(w))
        elif name.endswith(".T"):
            out[name[:-2]] = torch.from_numpy(np.ascontiguousarray(arr.astype(np.float32).T))
        else:
            out[name] = torch.from_numpy(arr.astype(np.float32))
        if name.startswith("model.norm.") or name.startswith("model.transformer.ln_f."):
            hidden = arr.shape[0]
    # An embedding only gathered (untied, quantized) has no K of its own: the hidden width cuts its padding.
    for name in ("model.embed_tokens.weight", "model.transformer.wte.weight"):
        if name in out and hidden is not None:
            out[name] = out[name][:, :hidden].contiguous()
    return out


def qwen2_config(folder):
    """The Qwen2Config of a Dream-layout folder, from its model.json and weights' shapes."""
    doc = read_model_json(folder)
    cache = doc["onnx"]["cache"]
    state = read_weights(folder)
    emb = state["model.embed_tokens.weight"]
    return Qwen2Config(vocab_size=emb.shape[0], hidden_size=emb.shape[1], num_hidden_layers=cache["layers"],
                       num_attention_heads=emb.shape[1] // cache["headDim"], num_key_value_heads=cache["kvHeads"],
                       intermediate_size=state["model.layers.0.mlp.gate_proj.weight"].shape[0],
                       rope_theta=float(cache["ropeTheta"]), tie_word_embeddings="lm_head.weight" not in state,
                       max_position_embeddings=doc["maxContext"]), state


def write_checkpoint(folder, out):
    """A Dream-layout checkpoint of a folder's weights (float32 values as the graph stores them), which
    `models convert` builds again at another precision."""
    from .hf_checkpoint import write_dream_checkpoint

    doc = read_model_json(folder)
    cfg, state = qwen2_config(folder)
    ids = {"mask": doc["maskTokenId"], "eos": doc["eosTokenId"], "pad": doc["padTokenId"], "bos": doc["bosTokenId"]}
    source = (doc.get("source") or doc["name"]).split("; built by diffusion-infill models convert")[0]
    write_dream_checkpoint(out, cfg, state, os.path.join(folder, "tokenizer.json"), ids, source)


def main():
    import argparse

    ap = argparse.ArgumentParser(description="a model folder's weights as a Dream-layout checkpoint")
    ap.add_argument("folder")
    ap.add_argument("--checkpoint", required=True, help="where to write it")
    args = ap.parse_args()
    write_checkpoint(args.folder, args.checkpoint)


if __name__ == "__main__":
    main()
