"""build_onnx.py's round trip: tiny checkpoints in the Dream and LLaDA layouts (config, tokenizer, BF16 +
F16 + F32 shards) -> model folders at every precision -> onnxruntime-node against the torch modules.

  python3 -m tools.model.test_build_onnx [--keep DIR]

Bounds on the max abs logit difference from torch on the checkpoint's weights (these random
weights give logits within about +-2.6, std 0.6): float32 1e-4, float16 2e-2, int8 0.1, int4 1.5
(the weights' own rounding, large on random weights of std 0.3); and, for float16, int8 and int4,
within 1e-3 of torch on the weights as stored (rounded or dequantized), which pins the packing.
The greedy fill of a fixed canvas must equal torch's on the weights as stored (the rounding can flip
this random model's near ties, so the test says whether that fill also equals the one on the
checkpoint's weights).  The quantized precisions are built at accuracy level 0 there; also int8 at
its default level 4 and int4 with --accuracy-level 4 (int8 activations; within 0.1 of torch on the
stored weights, their fill not compared), the plain graph (--no-cache) and its tokenizer, and that
unknown parameters and unsupported LLaDA options stop the build with their names.
"""
import json
import os
import shutil
import subprocess

import numpy as np
import torch

from . import make_tiny_hf_checkpoint
from .layouts import reference, stored_weights
from .onnx_case import make_inputs, round_trip_main
from .safetensors_io import write_safetensors

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
CLI = os.path.join(ROOT, "dist", "cli.js")


class BuildFailed(Exception):
    pass


def build(ck, out, precision, block_size=32, accuracy_level=None, cache=True):
    """The TypeScript builder (diffusion-infill models convert) on ck; returns model.json."""
    cmd = ["node", CLI, "models", "convert", ck, out, "--precision", precision, "--block-size", str(block_size), "--overwrite"]
    if accuracy_level is not None:
        cmd += ["--accuracy-level", str(accuracy_level)]
    if not cache:
        cmd.append("--no-cache")
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        raise BuildFailed(r.stderr.strip().splitlines()[-1] if r.stderr.strip() else f"exit {r.returncode}")
    with open(os.path.join(out, "model.json")) as f:
        return json.load(f)


TOL = {"float32": 1e-4, "float16": 2e-2, "int8": 0.1, "int4": 1.5}
TOL_EXACT = 1e-3
TOL_ACCURACY4 = 0.1  # the activations rounded to int8 as well
BLOCK = 32


def torch_model(ck, family, state):
    return reference(ck, state)


def greedy_fill(model, canvas, mask_id, shift):
    """One position a step: the masked one whose most probable token (not the mask) is the most probable."""
    ids = torch.tensor([canvas])
    while (ids == mask_id).any():
        masked = (ids[0] == mask_id).nonzero()[:, 0]
        with torch.no_grad():
            logits = model(ids, torch.ones_like(ids), logit_positions=(masked - shift)[None])[0]
        logits[:, mask_id] = float("-inf")  # the mask is never a fill
        conf, tok = torch.softmax(logits.double(), -1).max(-1)
        j = int(conf.argmax())
        ids[0, masked[j]] = tok[j]
    return ids[0].tolist()


def write_case(case, model, exact, doc, fill=True):
    os.makedirs(case, exist_ok=True)
    ids, attn, pos = make_inputs(doc["vocabSize"], doc["maskTokenId"], seed=1, batch=2, seq=40, n=9)
    canvas = [5, 100, 50, 7, 200, 33] + [doc["maskTokenId"]] * 6 + [10, 60, 90, 11]
    shift = 1 if doc["logitsShifted"] else 0
    with torch.no_grad():
        model(ids, attn, logit_positions=pos).float().numpy().astype("<f4").tofile(os.path.join(case, "expected.f32"))
        if exact is not None:
            exact(ids, attn, logit_positions=pos).float().numpy().astype("<f4").tofile(
                os.path.join(case, "expected_exact.f32"))
    fill = greedy_fill(model, canvas, doc["maskTokenId"], shift) if fill else None
    if exact is not None and fill:
        # Random tiny weights leave near ties that the weights' rounding can flip, which changes
        # torch's own fill; the graph must fill as torch does on the weights as stored.
        stored = greedy_fill(exact, canvas, doc["maskTokenId"], shift)
        print(f"  torch's fill on the {doc['precision']} weights {'equals' if stored == fill else 'differs from'} "
              f"its fill on the checkpoint's")
        fill = stored
    t = lambda x: {"data": x.reshape(-1).tolist(), "dims": list(x.shape)}  # noqa: E731
    with open(os.path.join(case, "case.json"), "w") as f:
        json.dump({"inputs": {"input_ids": t(ids), "attention_mask": t(attn), "logit_positions": t(pos)},
                   "dims": [2, 9, doc["vocabSize"]], "canvas": canvas, "fill": fill}, f)


def check_errors(tmp, ck_dream, ck_llada):
    """Unknown parameters and unsupported options stop the build with their names."""
    failures = 0
    bad = os.path.join(tmp, "bad-names")
    shutil.copytree(ck_dream, bad)
    write_safetensors(os.path.join(bad, "model-00003-of-00003.safetensors"),
                      {"model.layers.0.mlp.expert_gate.weight": ("F32", np.zeros((4, 4), np.float32))})
    index = os.path.join(bad, "model.safetensors.index.json")
    with open(index) as f:
        doc = json.load(f)
    doc["weight_map"]["model.layers.0.mlp.expert_gate.weight"] = "model-00003-of-00003.safetensors"
    with open(index, "w") as f:
        json.dump(doc, f)
    bad_llada = os.path.join(tmp, "bad-llada")
    shutil.copytree(ck_llada, bad_llada)
    with open(os.path.join(bad_llada, "config.json")) as f:
        cfg = json.load(f)
    cfg["attention_layer_norm"] = True
    with open(os.path.join(bad_llada, "config.json"), "w") as f:
        json.dump(cfg, f)
    for ck, want in ((bad, "model.layers.0.mlp.expert_gate.weight"), (bad_llada, "attention_layer_norm=True")):
        try:
            build(ck, os.path.join(tmp, "never"), "int4")
            print(f"FAIL {os.path.basename(ck)}: built without complaint")
            failures += 1
        except BuildFailed as e:
            if want.lower() not in str(e).lower():  # the TypeScript builder writes JSON values (true)
                print(f"FAIL {os.path.basename(ck)}: the message does not name {want}: {e}")
                failures += 1
    return failures


def run(tmp):
    failures = 0
    cks = {}
    for family in ("dream", "llada"):
        for tied in (False, True):
            ck = os.path.join(tmp, f"hf-{family}-{'tied' if tied else 'untied'}")
            state = make_tiny_hf_checkpoint.make(ck, family, tied=tied)
            cks[family] = ck, state
            model = torch_model(ck, family, state)
            for prec in ("float32", "float16", "int8", "int4"):
                out = os.path.join(tmp, f"{os.path.basename(ck)}-{prec}")
                doc = build(ck, out, prec, block_size=BLOCK, accuracy_level=0)
                exact = torch_model(ck, family, stored_weights(state, prec, BLOCK)) if prec != "float32" else None
                write_case(out + "-case", model, exact, doc)
                cmd = ["node", os.path.join(HERE, "check_built.mjs"), out, out + "-case", "--tol", str(TOL[prec])]
                if exact is not None:
                    cmd += ["--tol-exact", str(TOL_EXACT)]
                failures += subprocess.run(cmd).returncode != 0
    # The plain graph (the contract before the context cache) from one checkpoint.
    out = os.path.join(tmp, "plain-int4")
    ck, state = cks["dream"]
    doc = build(ck, out, "int4", block_size=BLOCK, cache=False)
    write_case(out + "-case", torch_model(ck, "dream", state), torch_model(ck, "dream", stored_weights(state, "int4", BLOCK)), doc)
    failures += subprocess.run(["node", os.path.join(HERE, "check_built.mjs"), out, out + "-case", "--tol", str(TOL["int4"]),
                                "--tol-exact", str(TOL_EXACT)]).returncode != 0
    failures += subprocess.run(["node", os.path.join(HERE, "check_tokenizer.mjs"), out]).returncode != 0
    # Accuracy level 4: MatMulNBits rounds the activations to int8 per block too (faster on CPUs);
    # int8's default, int4's --accuracy-level 4.
    for prec, level in (("int8", None), ("int4", 4)):
        out = os.path.join(tmp, f"{prec}-accuracy4")
        doc = build(ck, out, prec, block_size=BLOCK, accuracy_level=level)
        if doc["quantization"]["accuracyLevel"] != 4:
            print(f"FAIL {prec}: accuracy level {doc['quantization']['accuracyLevel']}, expected 4")
            failures += 1
        # Its fill is not compared: rounding the activations flips this random model's near ties.
        write_case(out + "-case", torch_model(ck, "dream", state), torch_model(ck, "dream", stored_weights(state, prec, BLOCK)), doc,
                   fill=False)
        failures += subprocess.run(["node", os.path.join(HERE, "check_built.mjs"), out, out + "-case", "--tol", str(TOL[prec]),
                                    "--tol-exact", str(TOL_ACCURACY4)]).returncode != 0
    failures += check_errors(tmp, cks["dream"][0], cks["llada"][0])
    return failures


if __name__ == "__main__":
    round_trip_main(run, "build_onnx round trip")
