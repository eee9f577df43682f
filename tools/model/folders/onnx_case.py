"""Comparison cases for checks/compare_onnx.mjs (int64 inputs + the torch reference logits), and a model
folder's check against torch."""
import json
import os
import subprocess
import tempfile

import torch

from ..paths import check_script


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


# int8 (MatMulNBits at accuracy level 4) also rounds the activations to int8 per block, which torch
# on the stored weights does not: a tenth of a logit over a few layers.
TOL = {"float32": 2e-3, "float16": 2e-3, "int4": 2e-3, "int8": 0.5}


def check_stored(folder, mask_id, shapes):
    """Runs a model folder's graph (compare_onnx.mjs) against torch on the weights the graph stores
    (model_folder.read_weights), and its cached step against its full pass.  shapes: (batch, seq, rows
    asked) of each case, the i-th drawn with seed i.  Raises on a difference."""
    from ..references.qwen2_bidir import Qwen2Bidir
    from .model_folder import qwen2_config

    cfg, state = qwen2_config(folder)
    reference = Qwen2Bidir(cfg)
    reference.load_state_dict(state, strict=False)
    with open(os.path.join(folder, "model.json")) as f:
        tol = TOL[json.load(f)["precision"]]
    with tempfile.TemporaryDirectory() as tmp:
        for i, (b, s, n) in enumerate(shapes):
            case = os.path.join(tmp, str(i))
            write_case(case, reference.eval(), *make_inputs(cfg.vocab_size, mask_id, seed=i, batch=b, seq=s, n=n))
            subprocess.run(["node", check_script("compare_onnx.mjs"), folder, case, "--tol", str(tol)], check=True)
