"""The PyTorch reference decoder (dream_decode.py) timed on a model folder's weights, for npm run bench.

  python3 -m tools.model.evaluation.bench_reference MODEL_DIR CASES_JSON [--threads 2]

CASES_JSON: [{"prefix", "suffix", "hole"}]; each case is filled alone, one token per step, as the
engine does it beside.  Prints one JSON line: {"forwards", "seconds", "msPerForward"}.
"""
import argparse
import json
import os
import time

import torch

from ..corpus.tok import ByteBPE
from ..folders.model_folder import qwen2_config
from ..references.qwen2_bidir import Qwen2Bidir
from .dream_decode import Decoder


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model_dir")
    ap.add_argument("cases")
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    with open(os.path.join(args.model_dir, "model.json")) as f:
        doc = json.load(f)
    cfg, state = qwen2_config(args.model_dir)
    model = Qwen2Bidir(cfg)
    model.load_state_dict(state, strict=False)
    model.eval()
    dec = Decoder(model, ByteBPE(os.path.join(args.model_dir, "tokenizer.json")), max_tokens=doc["maxContext"])
    with open(args.cases) as f:
        cases = json.load(f)
    dec.fill(cases[0]["prefix"], cases[0]["suffix"], cases[0]["hole"])  # warm-up
    t0, forwards = time.perf_counter(), 0
    for c in cases:
        forwards += dec.fill(c["prefix"], c["suffix"], c["hole"])[1]
    seconds = time.perf_counter() - t0
    print(json.dumps({"forwards": forwards, "seconds": seconds, "msPerForward": 1000 * seconds / forwards}))


if __name__ == "__main__":
    main()
