"""Comparison cases for compare_onnx.mjs (int64 inputs + the torch reference logits) and the round-trip tests' command line."""
import argparse
import json
import os
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
