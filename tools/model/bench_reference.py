"""The PyTorch reference decoder (dream_decode.py) timed on a model folder's weights, for npm run bench.

  python3 -m tools.model.bench_reference MODEL_DIR CASES_JSON --heads N [--threads 2]

CASES_JSON: [{"prefix", "suffix", "hole"}]; each case is filled alone, one token per step, as the
engine does it beside.  Prints one JSON line: {"forwards", "seconds", "msPerForward"}.
"""
import argparse
import json
import os
import time

import torch

from .dream_decode import Decoder
from .qwen2_bidir import Qwen2Bidir, weights_from_onnx
from .reexport import config_of, legacy_weights
from .tok import ByteBPE


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model_dir")
    ap.add_argument("cases")
    ap.add_argument("--heads", type=int, required=True)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    with open(os.path.join(args.model_dir, "model.json")) as f:
        doc = json.load(f)
    path = os.path.join(args.model_dir, doc["onnx"]["file"])
    state = weights_from_onnx(path) or legacy_weights(path)
    model = Qwen2Bidir(config_of(state, args.heads, doc["maxContext"]))
    model.load_state_dict(state)
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
