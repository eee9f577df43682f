"""Comparison cases for compare_onnx.mjs (int64 inputs + the torch reference logits), a model folder's
check against torch, and the round-trip tests' command line."""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import torch


def make_inputs(vocab_size, mask_id, seed=0, batch=2, seq=23, n=7):
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(0, min(vocab_size, 256) if vocab_size > 256 else vocab_size, (batch, seq), generator=g)
    ids[:, seq // 3: seq // 2] = mask_id
    attn = torch.ones(batch, seq, dtype=torch.long)
    attn[-1, seq - 5:] = 0  # right padding on the last row exercises the attention mask
    pos = torch.stack([torch.randperm(seq - 5, generator=g)[:n] for _ in range(batch)])
    return ids, attn, pos


def write_case(case_dir, model, ids, attn, pos):
    os.makedirs(case_dir, exist_ok=True)
    with torch.no_grad():
        logits = model(ids, attention_mask=attn, logit_positions=pos).float()
    t = lambda x: {"data": x.reshape(-1).tolist(), "dims": list(x.shape)}  # noqa: E731
    with open(os.path.join(case_dir, "case.json"), "w") as f:
        json.dump({"inputs": {"input_ids": t(ids), "attention_mask": t(attn), "logit_positions": t(pos)},
                   "dims": list(logits.shape)}, f)
    logits.numpy().astype("<f4").tofile(os.path.join(case_dir, "expected.f32"))
    return logits


def round_trip_main(run, label):
    """The round-trip tests' command line: run(work_dir) -> failures, in --keep DIR or a temporary folder."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--keep", help="work in this directory and leave the files there")
    args = ap.parse_args()
    torch.set_num_threads(1)
    if args.keep:
        os.makedirs(args.keep, exist_ok=True)
        failures = run(args.keep)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            failures = run(tmp)
    print(f"{label}:", "OK" if failures == 0 else f"{failures} FAILURES")
    sys.exit(1 if failures else 0)


# An int8 graph quantizes its activations per call.  A value on a rounding edge in torch may round the
# other way in onnxruntime, and over several layers that grows to tenths of a logit (the round-trip
# test pins the int8 arithmetic itself on a tiny model); a step over the cache quantizes other
# activations than the full pass.
TOL = {"float": {"logits": 2e-3, "cache": 2e-3}, "int8": {"logits": 0.5, "cache": 1.5}}


def check_stored(folder, cfg, mask_id, shapes, state=None):
    """Runs an export_onnx folder's graph (compare_onnx.mjs) against torch on the weights it stores (or
    `state`), computing as the graph does: int8_compute.emulate for a graph that multiplies in int8.
    shapes: (batch, seq, rows asked) of each case, the i-th drawn with seed i.  Raises on a difference."""
    from . import int8_compute
    from .qwen2_bidir import Qwen2Bidir, weights_from_onnx

    with open(os.path.join(folder, "model.json")) as f:
        path = os.path.join(folder, json.load(f)["onnx"]["file"])
    reference = Qwen2Bidir(cfg)
    reference.load_state_dict(weights_from_onnx(path) if state is None else state)
    int8 = int8_compute.in_graph(path)
    if int8:
        int8_compute.emulate(reference)
    tol = TOL["int8" if int8 else "float"]
    here = os.path.dirname(os.path.abspath(__file__))
    with tempfile.TemporaryDirectory() as tmp:
        for i, (b, s, n) in enumerate(shapes):
            case = os.path.join(tmp, str(i))
            write_case(case, reference.eval(), *make_inputs(cfg.vocab_size, mask_id, seed=i, batch=b, seq=s, n=n))
            subprocess.run(["node", os.path.join(here, "compare_onnx.mjs"), folder, case, "--tol", str(tol["logits"]),
                            "--tol-cache", str(tol["cache"])], check=True)
