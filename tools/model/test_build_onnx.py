"""diffusion-infill models convert, held to the torch references of every layout a user downloads
(layouts.py, each following its upstream modeling code): tiny checkpoints (make_tiny_hf_checkpoint.py:
dream, open-dcoder, a2d-qwen2, coda, a2d-qwen3, llada, illada; config, tokenizer files, BF16 + F16 + F32
shards) -> model folders at every precision -> onnxruntime-node against torch (check_built.mjs).

  python3 -m tools.model.test_build_onnx [--keep DIR]

Bounds on the max abs logit difference from torch on the checkpoint's weights (these random
weights give logits within about +-2.6, std 0.6): float32 1e-4, float16 2e-2, int8 0.1, int4 1.5
(the weights' own rounding, large on random weights of std 0.3); and, for float16, int8 and int4,
within 1e-3 of torch on the weights as stored (rounded or dequantized), which pins the packing.
The greedy fill of a fixed canvas must equal torch's on the weights as stored; the cached step must
equal the full pass.  Also: the special ids and the shift model.json gives against the checkpoint's
own files; tokenizers built from vocab.json + merges.txt; LLaDA as upstream reads a config that is
silent (LayerNorm, mlp_ratio), a sequential block and biases; int8 at its default accuracy level 4
and int4 at 4; the plain graph (--no-cache); and that unknown tensors, unsupported options,
block-causal, mixture-of-experts and unknown models are refused saying so.
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
    for ck, want in ((bad, "model.layers.0.mlp.expert_gate.weight"), (bad_llada, "attention_layer_norm")):
        failures += expect_refusal(ck, os.path.join(tmp, "never"), [want])
    return failures


def expect_refusal(ck, out, words):
    try:
        build(ck, out, "int4")
        print(f"FAIL {os.path.basename(ck)}: built without complaint")
        return 1
    except BuildFailed as e:
        if not any(w.lower() in str(e).lower() for w in words):
            print(f"FAIL {os.path.basename(ck)}: the message names none of {words}: {e}")
            return 1
        print(f"refused {os.path.basename(ck)}: {e}")
        return 0


REASON_WORDS = {"block-causal": "block-causal", "moe": "mixture of experts", "unknown": "not a layout the builder reads"}


def check_case(ck, out, model, state, prec, fill=True, tol_exact=TOL_EXACT, accuracy_level=0, **build_args):
    """Builds ck at prec and holds the folder to torch (check_built.mjs); returns (failures, model.json)."""
    doc = build(ck, out, prec, block_size=BLOCK, accuracy_level=accuracy_level, **build_args)
    exact = reference(ck, stored_weights(state, prec, BLOCK)) if prec != "float32" else None
    write_case(out + "-case", model, exact, doc, fill)
    cmd = ["node", os.path.join(HERE, "check_built.mjs"), out, out + "-case", "--tol", str(TOL[prec])]
    if exact is not None:
        cmd += ["--tol-exact", str(tol_exact)]
    return int(subprocess.run(cmd).returncode != 0), doc


def check_facts(doc, layout):
    """model.json's special ids and shift as the checkpoint's own files give them."""
    want = make_tiny_hf_checkpoint.facts(layout)
    pad = want["specials"].get("<|dlm_pad|>", want["pad"])  # DiffuCoder's hole padding, where the tokenizer has it
    got = {"shifted": doc["logitsShifted"], "mask": doc["maskTokenId"], "eos": doc["eosTokenId"], "pad": doc["padTokenId"],
           "bos": doc["bosTokenId"]}
    expected = {"shifted": want["shifted"], "mask": want["mask"], "eos": want["eos"], "pad": pad, "bos": want["bos"]}
    if got != expected:
        print(f"FAIL {layout}: model.json says {got}, the checkpoint {expected}")
        return 1
    return 0


# Configs as upstream reads them where config.json is silent or says otherwise.
VARIANTS = {
    "llada-defaults": ("llada", dict(drop=("layer_norm_type", "mlp_hidden_size"))),  # LayerNorm, mlp_ratio * d_model
    "llada-sequential": ("llada", dict(overrides={"block_type": "sequential", "activation_type": "swiglu"})),
    "llada-bias": ("llada", dict(overrides={"include_bias": True, "bias_for_layer_norm": None, "layer_norm_type": "default"})),
    "a2d-qwen3-bias": ("a2d-qwen3", dict(overrides={"attention_bias": True})),  # q, k, v and o biases
    "a2d-qwen3-no-head-dim": ("a2d-qwen3", dict(drop=("head_dim",))),  # Qwen3Config's 128
    "coda-bias": ("coda", dict(overrides={"attention_bias": True})),
}


def run(tmp):
    failures = 0
    cks = {}
    for layout in make_tiny_hf_checkpoint.LAYOUTS:
        for kind in ("json", "vocab-merges") if layout in ("dream", "open-dcoder", "a2d-qwen3") else ("json",):
            ck = os.path.join(tmp, f"hf-{layout}-{kind}")
            state = make_tiny_hf_checkpoint.make(ck, layout, tokenizer=kind)
            cks.setdefault(layout, (ck, state))
            model = reference(ck)
            for prec in ("float32", "float16", "int8", "int4") if kind == "json" else ("float32",):
                out = os.path.join(tmp, f"{os.path.basename(ck)}-{prec}")
                failed, doc = check_case(ck, out, model, state, prec)
                failures += failed + check_facts(doc, layout)
    for tied in (True,):
        ck = os.path.join(tmp, "hf-llada-tied")
        state = make_tiny_hf_checkpoint.make(ck, "llada", tied=tied)
        failures += check_case(ck, ck + "-int4", reference(ck), state, "int4")[0]
    for name, (layout, args) in VARIANTS.items():
        ck = os.path.join(tmp, f"hf-{name}")
        state = make_tiny_hf_checkpoint.make(ck, layout, **args)
        failures += check_case(ck, ck + "-float32", reference(ck), state, "float32")[0]
    # The plain graph (the contract before the context cache) from one checkpoint.
    ck, state = cks["dream"]
    out = os.path.join(tmp, "plain-int4")
    failures += check_case(ck, out, reference(ck), state, "int4", cache=False)[0]
    failures += subprocess.run(["node", os.path.join(HERE, "check_tokenizer.mjs"), out]).returncode != 0
    # Accuracy level 4: MatMulNBits rounds the activations to int8 per block too (faster on CPUs);
    # int8's default, int4's --accuracy-level 4.  Their fill is not compared: rounding the activations
    # flips this random model's near ties.
    for prec, level in (("int8", None), ("int4", 4)):
        out = os.path.join(tmp, f"{prec}-accuracy4")
        failed, doc = check_case(ck, out, reference(ck), state, prec, fill=False, tol_exact=TOL_ACCURACY4, accuracy_level=level)
        failures += failed
        if doc["quantization"]["accuracyLevel"] != 4:
            print(f"FAIL {prec}: accuracy level {doc['quantization']['accuracyLevel']}, expected 4")
            failures += 1
    failures += check_errors(tmp, cks["dream"][0], cks["llada"][0])
    for kind in make_tiny_hf_checkpoint.REFUSED:
        ck = os.path.join(tmp, f"refused-{kind}")
        reasons = make_tiny_hf_checkpoint.make_refused(ck, kind)
        failures += expect_refusal(ck, ck + "-out", [REASON_WORDS[r] for r in reasons])
    return failures


if __name__ == "__main__":
    round_trip_main(run, "models convert round trip")
