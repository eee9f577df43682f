"""Round trip: tiny HF checkpoint -> export_hf -> onnxruntime-node, compared with the torch module.

  python3 tools/model/test_export_roundtrip.py [--keep DIR]

onnxruntime has no Python build here, so compare_onnx.mjs runs the graphs (onnxruntime-node from the
repo's node_modules, or NODE_PATH).  Exits non-zero on any failure.
"""
import argparse
import os
import subprocess
import sys
import tempfile

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import export_hf  # noqa: E402
import make_tiny_hf_checkpoint  # noqa: E402
from onnx_case import make_inputs, write_case  # noqa: E402

TOL = {"fp32": 1e-3, "fp16": 2e-2}


def run(tmp):
    failures = 0
    for tied in (False, True):
        ck = os.path.join(tmp, f"hf-{'tied' if tied else 'untied'}")
        ref = make_tiny_hf_checkpoint.make(ck, tied=tied)
        # The safetensors reader must give back exactly what was written (BF16, F16, F32, two shards).
        loaded = export_hf.load_weights(ck)
        bad = [k for k in ref if k not in loaded or not torch.equal(ref[k], loaded[k])]
        if bad or set(loaded) != set(ref):
            print(f"FAIL safetensors read back differs: {bad[:3]} {sorted(set(loaded) ^ set(ref))[:3]}")
            failures += 1
        for prec, ext in (("fp32", False), ("fp16", False), ("fp32", True)):
            out = os.path.join(tmp, f"out-{os.path.basename(ck)}-{prec}{'-ext' if ext else ''}")
            model, doc = export_hf.export(ck, out, fp16=prec == "fp16", external_data=ext)
            if ext and not os.path.exists(os.path.join(out, "model.onnx.data")):
                print("FAIL external data file missing")
                failures += 1
            mask = doc["maskTokenId"]
            for i, (b, s, n) in enumerate([(2, 23, 7), (1, 200, 50)]):
                case = os.path.join(out + "-case", str(i))
                write_case(case, model, *make_inputs(doc["vocabSize"], mask, seed=i, batch=b, seq=s, n=n))
                r = subprocess.run(["node", os.path.join(HERE, "compare_onnx.mjs"), out, case, "--tol", str(TOL[prec])])
                failures += r.returncode != 0
            r = subprocess.run(["node", os.path.join(HERE, "check_tokenizer.mjs"), out])
            failures += r.returncode != 0
    return failures


def main():
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
    print("export round trip:", "OK" if failures == 0 else f"{failures} FAILURES")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
