"""Round trip: tiny HF checkpoint -> export_hf -> onnxruntime-node, compared with the torch module.

  python3 -m tools.model.test_export_roundtrip [--keep DIR]

onnxruntime has no Python build here, so compare_onnx.mjs runs the graphs (onnxruntime-node from the
repo's node_modules, or NODE_PATH).  Exits non-zero on any failure.
"""
import os
import subprocess

import torch

from . import export_hf
from . import int8_compute
from . import make_tiny_hf_checkpoint
from .onnx_case import make_inputs, round_trip_main, write_case
from .qwen2_bidir import Qwen2Bidir, weights_from_onnx

HERE = os.path.dirname(os.path.abspath(__file__))

# Logits against torch on the checkpoint's weights (compare_onnx.mjs) and weights read back from the
# graph (weights_from_onnx), by precision.  int8 also quantizes the activations, per call: its step
# over the cache quantizes other ones than the full pass (TOL_CACHE), and its logits must be those
# of torch doing the same int8 arithmetic on the stored weights (int8_compute.emulate) within TOL_EXACT.
TOL = {"float32": 1e-3, "float16": 2e-2, "int8": 0.2}
TOL_CACHE = {"int8": 0.3}
TOL_EXACT = 1e-3
WEIGHT_TOL = {"float32": 0.0, "float16": 1e-3, "int8": 1.0 / 127}


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
        for prec, ext in (("float32", False), ("float16", False), ("int8", False), ("float32", True)):
            out = os.path.join(tmp, f"out-{os.path.basename(ck)}-{prec}{'-ext' if ext else ''}")
            model, doc = export_hf.export(ck, out, prec, external_data=ext)
            failures += not weights_read_back(model, os.path.join(out, "model.onnx"), WEIGHT_TOL[prec], out)
            if ext and not os.path.exists(os.path.join(out, "model.onnx.data")):
                print("FAIL external data file missing")
                failures += 1
            mask = doc["maskTokenId"]
            if (prec, ext) == ("float32", False):
                failures += not past_matches_full_pass(model, doc["vocabSize"], mask, os.path.basename(ck))
            tol_cache = ["--tol-cache", str(TOL_CACHE[prec])] if prec in TOL_CACHE else []
            exact = None
            if prec == "int8":
                exact = Qwen2Bidir(model.config)
                exact.load_state_dict(weights_from_onnx(os.path.join(out, "model.onnx")))
                int8_compute.emulate(exact.eval())
            for i, (b, s, n) in enumerate([(2, 23, 7), (1, 200, 50)]):
                inputs = make_inputs(doc["vocabSize"], mask, seed=i, batch=b, seq=s, n=n)
                for reference, tol, suffix in ((model, TOL[prec], ""), (exact, TOL_EXACT, "-exact")):
                    if reference is None:
                        continue
                    case = os.path.join(out + "-case" + suffix, str(i))
                    write_case(case, reference, *inputs)
                    r = subprocess.run(["node", os.path.join(HERE, "compare_onnx.mjs"), out, case, "--tol", str(tol),
                                        *tol_cache])
                    failures += r.returncode != 0
            r = subprocess.run(["node", os.path.join(HERE, "check_tokenizer.mjs"), out])
            failures += r.returncode != 0
    return failures


def past_matches_full_pass(model, vocab, mask_id, label):
    """The attention over a past that the export traces, in torch: the positions run over a full
    pass's keys and values give that pass's logits, padding included."""
    ids, attn, _ = make_inputs(vocab, mask_id, seed=3, batch=2, seq=30, n=1)
    b, n = ids.shape
    every = torch.arange(n).expand(b, n)
    presents = []
    with torch.no_grad():
        full = model(ids, attn, every, every, presents=presents)
        run = torch.tensor([[9, 10, 11, 12, 25], [3, 9, 10, 11, 26]])  # row 1 ends in its padding
        keys = torch.cat((attn, torch.gather(attn, 1, run)), 1)
        keys[:, :n].scatter_(1, run, 0)  # the past's stale copies of the positions run
        at = torch.arange(run.shape[1]).expand(b, -1)
        cached = model(torch.gather(ids, 1, run), keys, run, at, past=presents)
    want = torch.gather(full, 1, run.unsqueeze(-1).expand(-1, -1, full.shape[-1]))
    diff = (cached - want)[attn.gather(1, run).bool()].abs().max().item()
    ok = diff <= 1e-4
    print(f"{label}: torch over the cache {diff:.3e} from its full pass {'OK' if ok else 'FAIL'}")
    return ok


def weights_read_back(model, path, rel_tol, label):
    """Every parameter comes back from the graph, within the precision's rounding of its row."""
    back = weights_from_onnx(path)
    want = model.state_dict()
    if back is None or set(back) != set(want):
        print(f"FAIL {label}: weights read back {None if back is None else sorted(set(back) ^ set(want))[:3]}")
        return False
    for k, w in want.items():
        scale = w.abs().amax(dim=-1, keepdim=True) if w.dim() == 2 else w.abs().max()
        err = ((back[k] - w).abs() / scale.clamp_min(1e-12)).max().item()
        if err > rel_tol * 0.5 + 1e-7:
            print(f"FAIL {label}: {k} read back off by {err:.2e} of its row's largest weight")
            return False
    return True


if __name__ == "__main__":
    round_trip_main(run, "export round trip")
