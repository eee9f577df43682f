"""Build a model folder from a Hugging Face checkpoint without torch: the bidirectional network's ONNX
graph written node by node, its weights streamed from the safetensors shards one tensor at a time.

  python3 -m tools.model.build_onnx HF_DIR OUT_DIR [--precision int4|int8|float16|float32]
      [--block-size 32] [--accuracy-level 0-4] [--name NAME] [--max-context N] [--no-cache]

HF_DIR: config.json, tokenizer.json and the safetensors shards of a Qwen2-layout diffusion model
(Dream, DiffuCoder, Dream-Coder, Open-dCoder) or of LLaDA (families.py).  Memory: about one weight
tensor plus 64 MB of chunks, whatever the model's size.  The graph (docs/model-folder.md) takes
input_ids, attention_mask, position_ids, logit_positions and each layer's past key and value, and
gives float32 logits, the greedy decision and each layer's present key and value; --no-cache
writes the plain graph (input_ids, attention_mask, logit_positions -> logits) for engines that
predate the cache.
"""
import argparse
import json
import math
import os
import shutil
import time

import numpy as np
from onnx import TensorProto

from . import decide_graph
from . import families
from . import quantize
from .onnx_graph import Graph
from .safetensors_stream import lazy_tensors, read_checkpoint_docs
from .weight_writer import PRECISIONS, WeightWriter

CACHE_NAMES = {"pastKey": "past_key.{layer}", "pastValue": "past_value.{layer}",
               "presentKey": "present_key.{layer}", "presentValue": "present_value.{layer}"}
FLOAT, INT64 = TensorProto.FLOAT, TensorProto.INT64
# MatMulNBits' compute type when --accuracy-level is not given: int8 multiplies in int8 (level 4, the
# activations quantized per block), since at level 0 it is onnxruntime's slow CPU path; int4 at level 0
# costs what float32 does (docs/real-checkpoints.md).
ACCURACY_LEVEL = {"int8": 4, "int4": 0}


def rms_norm(g, w, x, name, eps):
    # Pow -> ReduceMean -> Add -> Sqrt -> Div -> Mul: the pattern onnxruntime fuses into one kernel.
    var = g.op("ReduceMean", [g.op("Pow", [x, g.const(2.0, np.float32)])], axes=[-1], keepdims=1)
    x = g.op("Div", [x, g.op("Sqrt", [g.op("Add", [var, g.const(eps, np.float32)])])])
    return g.op("Mul", [x, w.vector(name)])


def rotate(g, x, cos, sin, half):
    """x * cos + rotate_half(x) * sin, over the last axis (HF's and LLaDA's rotary layout)."""
    x1, x2 = g.op("Split", [x, g.const([half, half])], n_out=2, axis=-1)
    rot = g.op("Concat", [g.op("Neg", [x2]), x1], axis=-1)
    return g.op("Add", [g.op("Mul", [x, cos]), g.op("Mul", [rot, sin])])


def attention(g, w, a, x, names, rope, bias, cache, layer):
    """Bidirectional GQA attention, as qwen2_bidir.Attention computes it: a query head reads key head
    h // group, so the group's query heads are taken as more rows of their key head ([batch, kv heads,
    group * seq, head dim]) and no key or value is copied per head; with the cache, the layer's past
    keys and values come before this call's.  bias [batch, 1, 1, keys] masks the keys."""
    hd, nkv, rep = a.head_dim, a.kv_heads, a.heads // a.kv_heads

    def proj(role, heads_shape):
        y = w.matmul(x, names[role])
        if a.qkv_bias:
            y = g.op("Add", [y, w.vector(names[role + "_bias"])])
        y = g.op("Reshape", [y, g.const([0, 0, *heads_shape, hd])])
        return g.op("Transpose", [y], perm=[0, 2, 3, 1, 4])  # [b, kv, group, s, hd]

    q = g.op("Mul", [rotate(g, proj("q", [nkv, rep]), *rope, hd // 2), g.const(1.0 / math.sqrt(hd), np.float32)])
    q = g.op("Reshape", [q, g.const([0, nkv, -1, hd])])
    k = g.op("Squeeze", [rotate(g, proj("k", [nkv, 1]), *rope, hd // 2), g.const([2])])  # [b, kv, s, hd]
    v = g.op("Squeeze", [proj("v", [nkv, 1]), g.const([2])])
    if cache:
        for kind, t in (("Key", k), ("Value", v)):
            g.output(t, CACHE_NAMES["present" + kind].format(layer=layer), FLOAT, ["batch", nkv, "seq", hd])
        past = [g.input(CACHE_NAMES["past" + kind].format(layer=layer), FLOAT, ["batch", nkv, "past", hd])
                for kind in ("Key", "Value")]
        # A copy of the past a step, and still cheaper than scoring the past in place and merging two
        # softmaxes: that makes more passes over the scores, which outgrow the keys (a key head scores
        # the rows of its whole query group).
        k, v = g.op("Concat", [past[0], k], axis=2), g.op("Concat", [past[1], v], axis=2)
    scores = g.op("Add", [g.op("MatMul", [q, g.op("Transpose", [k], perm=[0, 1, 3, 2])]), bias])
    y = g.op("MatMul", [g.op("Softmax", [scores], axis=-1), v])
    # [b, kv, group * s, hd] -> [b, s, kv, group, hd] -> [b, s, heads * hd]
    y = g.op("Transpose", [g.op("Reshape", [y, g.const([0, 0, rep, -1, hd])])], perm=[0, 3, 1, 2, 4])
    return w.matmul(g.op("Reshape", [y, g.const([0, 0, a.heads * hd])]), names["o"])


def mlp(g, w, x, names):
    gate = w.matmul(x, names["gate"])
    act = g.op("Mul", [gate, g.op("Sigmoid", [gate])])  # SiLU
    return w.matmul(g.op("Mul", [act, w.matmul(x, names["up"])]), names["down"])


def write_graph(out_dir, a, tensors, precision, block_size=32, accuracy_level=0, cache=True):
    g = Graph(out_dir)
    w = WeightWriter(g, tensors, precision, block_size, accuracy_level)
    ids = g.input("input_ids", INT64, ["batch", "seq"])
    mask = g.input("attention_mask", INT64, ["batch", "keys"])
    if cache:
        pos = g.input("position_ids", INT64, ["batch", "seq"])
    else:
        seq = g.op("Gather", [g.op("Shape", [ids]), g.const(1)], axis=0)
        pos = g.op("Unsqueeze", [g.op("Range", [g.const(0), seq, g.const(1)]), g.const([0])])  # [1, seq]
    logit_positions = g.input("logit_positions", INT64, ["batch", "n"])
    hd = a.head_dim
    inv_freq = 1.0 / (a.rope_theta ** (np.arange(0, hd, 2, dtype=np.float64) / hd))
    ang = g.op("Mul", [g.op("Unsqueeze", [g.op("Cast", [pos], to=FLOAT), g.const([-1])]),
                       g.const(inv_freq.astype(np.float32), np.float32)])
    ang = g.op("Unsqueeze", [g.op("Concat", [ang, ang], axis=-1), g.const([1, 2])])  # [b, 1, 1, s, hd]
    rope = (g.op("Cos", [ang]), g.op("Sin", [ang]))
    # Keys marked 0 get a large negative score; finite, so an all-masked row cannot turn into NaN.
    not_kept = g.op("Sub", [g.const(1.0, np.float32), g.op("Cast", [mask], to=FLOAT)])
    bias = g.op("Unsqueeze", [g.op("Mul", [not_kept, g.const(-1e9, np.float32)]), g.const([1, 2])])  # [b, 1, 1, keys]
    glob = families.GLOBAL_NAMES[a.family]
    x = w.gather_rows(ids, glob["embed"])
    for i in range(a.layers):
        names = {role: n.format(i=i) for role, n in families.LAYER_NAMES[a.family].items()}
        h = rms_norm(g, w, x, names["attn_norm"], a.eps)
        x = g.op("Add", [x, attention(g, w, a, h, names, rope, bias, cache, i)])
        x = g.op("Add", [x, mlp(g, w, rms_norm(g, w, x, names["mlp_norm"], a.eps), names)])
    # The final norm and the output layer only at the asked positions.
    x = g.op("GatherND", [x, g.op("Unsqueeze", [logit_positions, g.const([-1])])], batch_dims=1)
    x = rms_norm(g, w, x, glob["norm"], a.eps)
    logits = w.matmul(x, glob["embed"] if a.tied else glob["lm_head"])
    g.output(logits, "logits", FLOAT, ["batch", "n", a.vocab])
    if cache:
        for key, value in decide_graph.decide(g, logits, a.vocab).items():
            g.output(value, decide_graph.NAMES[key], decide_graph.TYPES[key], ["batch", "n"])
    g.save(os.path.join(out_dir, "model.onnx"), {"diffusion_infill.family": a.family,
                                                 "diffusion_infill.precision": precision})


def onnx_section(a, cache):
    if not cache:
        return {"file": "model.onnx", "output": "logits",
                "inputs": {"inputIds": "input_ids", "attentionMask": "attention_mask", "positionIds": None,
                           "logitPositions": "logit_positions"}}
    return {"file": "model.onnx", "output": "logits",
            "inputs": {"inputIds": "input_ids", "attentionMask": "attention_mask", "positionIds": "position_ids",
                       "logitPositions": "logit_positions"},
            "cache": {"layers": a.layers, "kvHeads": a.kv_heads, "headDim": a.head_dim, "ropeTheta": a.rope_theta,
                      **CACHE_NAMES},
            "decide": dict(decide_graph.NAMES)}


def build(hf_dir, out_dir, precision="int4", block_size=32, name=None, max_context=None, cache=True,
          accuracy_level=None):
    """Writes OUT_DIR (model.json, model.onnx, model.onnx.data, tokenizer.json); returns model.json.
    accuracy_level: MatMulNBits' (int4/int8); None for the precision's ACCURACY_LEVEL."""
    if precision not in PRECISIONS:
        raise ValueError(f"precision {precision!r}: expected one of {', '.join(PRECISIONS)}")
    if accuracy_level is None:
        accuracy_level = ACCURACY_LEVEL.get(precision, 0)
    if precision in ("int8", "int4"):
        quantize.check(8 if precision == "int8" else 4, block_size)
    for f in ("config.json", "tokenizer.json"):
        if not os.path.isfile(os.path.join(hf_dir, f)):
            raise families.CheckpointError(f"no {f} in {hf_dir}: expected a Hugging Face checkpoint folder "
                                           "(config.json, tokenizer.json, *.safetensors)")
    cfg, tok = read_checkpoint_docs(hf_dir)
    a = families.arch(cfg)
    tensors = lazy_tensors(hf_dir)
    families.check_names(a, tensors)
    mask, eos, pad, bos = families.special_ids(a.family, tok, cfg)
    top = max([t["id"] for t in tok.get("added_tokens", [])] + list(tok["model"]["vocab"].values()))
    if top >= a.vocab:
        raise families.CheckpointError(f"tokenizer id {top} does not fit the {a.vocab} logits")
    os.makedirs(out_dir, exist_ok=True)
    write_graph(out_dir, a, tensors, precision, block_size, accuracy_level, cache)
    shutil.copyfile(os.path.join(hf_dir, "tokenizer.json"), os.path.join(out_dir, "tokenizer.json"))
    name = name or os.path.basename(os.path.normpath(hf_dir))
    doc = {
        "format": "diffusion-infill-model/1", "name": name, "family": a.family, "vocabSize": a.vocab,
        "maxContext": max_context or min(a.max_positions, 2048),
        "maskTokenId": mask, "eosTokenId": eos, "padTokenId": pad, "bosTokenId": bos,
        "sampler": {"steps": 16, "alg": "entropy" if a.family == "dream" else "low_confidence", "temperature": 0,
                    "topP": 1, "topK": 0, "algTemp": 0, "threshold": None, "blockLength": None},
        # Real checkpoints learned from text tokenized whole: heal the hole boundaries.
        "tokenHealing": True,
        "onnx": onnx_section(a, cache),
        "precision": precision,
        "source": f"{cfg.get('_name_or_path') or name} ({cfg.get('model_type')}), built by tools/model/build_onnx.py",
    }
    if precision in ("int8", "int4"):
        doc["quantization"] = {"blockSize": block_size, "accuracyLevel": accuracy_level}
    with open(os.path.join(out_dir, "model.json"), "w") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")
    return doc


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("hf_dir")
    ap.add_argument("out_dir")
    ap.add_argument("--precision", choices=PRECISIONS, default="int4",
                    help="how the weights are stored (int4/int8: onnxruntime's MatMulNBits); logits are float32")
    ap.add_argument("--block-size", type=int, default=32, help="int4/int8: weights per scale (a power of two, >= 16)")
    ap.add_argument("--accuracy-level", type=int, choices=(0, 1, 2, 3, 4),
                    help="int4/int8: MatMulNBits' compute type (0: float32; 4: int8 activations, faster on CPUs); "
                         "default 4 for int8, 0 for int4")
    ap.add_argument("--name")
    ap.add_argument("--max-context", type=int)
    ap.add_argument("--no-cache", action="store_true", help="the plain graph, without the context cache and decide outputs")
    args = ap.parse_args()
    t0 = time.time()
    try:
        doc = build(args.hf_dir, args.out_dir, args.precision, args.block_size, args.name, args.max_context,
                    not args.no_cache, args.accuracy_level)
    except (families.CheckpointError, ValueError) as e:
        raise SystemExit(f"build_onnx.py: {args.hf_dir}: {e}")
    size = sum(os.path.getsize(os.path.join(args.out_dir, f)) for f in os.listdir(args.out_dir))
    print(f"wrote {args.out_dir} ({size / 1e6:.1f} MB, {time.time() - t0:.0f} s): {doc['family']}, {doc['precision']}, "
          f"vocab {doc['vocabSize']}, mask {doc['maskTokenId']}, eos {doc['eosTokenId']}, pad {doc['padTokenId']}")


if __name__ == "__main__":
    main()
