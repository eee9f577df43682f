"""Open-dLLM's `p2` sampler (path planning) run on a scripted network, its canvas recorded step by step.

  python3 -m tools.model.references.p2_reference [--out test/fixtures/p2-reference.json]

`sample_tokens` and the alg "p2" branch of `MDMGenerationMixin._mdm_sample` below are transcribed
from Open-dLLM's veomni/models/transformers/qwen2/generation_utils.py (pengzhangzhi/Open-dLLM), at
temperature 0 (their sampling draws from torch's generator, which the engine does not share), with
the network call replaced by a scripted one: its logits are a fixed function of the canvas, and
every canvas it is asked about is written down with its logits, so the engine's test
(test/unit/core/sampling/pathPlanning.test.ts) runs on exactly the same network and holds the
engine's canvas to this one after every step.  tests/test_p2_reference.py rebuilds the file in
memory and fails if the committed one differs.
"""
import argparse
import json
import math
import os

import torch
from torch.nn import functional as F

from ..paths import ROOT

OUT = os.path.join(ROOT, "test", "fixtures", "p2-reference.json")
VOCAB = 16
MASK = 15


def top_p_logits(logits, top_p=None):
    sorted_logits, sorted_indices = torch.sort(logits, descending=True)
    cumulative_probs = torch.cumsum(F.softmax(sorted_logits, dim=-1), dim=-1)
    sorted_indices_to_remove = cumulative_probs > top_p
    sorted_indices_to_remove[..., 1:] = sorted_indices_to_remove[..., :-1].clone()
    sorted_indices_to_remove[..., 0] = 0
    mask = torch.zeros_like(logits, dtype=torch.bool, device=logits.device)
    mask = mask.scatter_(-1, sorted_indices, sorted_indices_to_remove)
    logits = logits.masked_fill(mask, torch.finfo(logits.dtype).min)
    return logits


def top_k_logits(logits, top_k=None):
    if top_k is None or top_k == 0:
        return logits
    top_k = min(top_k, logits.size(-1))
    indices_to_remove = logits < torch.topk(logits, top_k)[0][..., -1, None]
    logits = logits.masked_fill(indices_to_remove, torch.finfo(logits.dtype).min)
    return logits


def sample_tokens(logits, temperature=0.0, top_p=None, top_k=None, alg="origin"):
    if temperature > 0:
        logits = logits / temperature
    if top_p is not None and top_p < 1:
        logits = top_p_logits(logits, top_p)
    if top_k is not None:
        logits = top_k_logits(logits, top_k)
    probs = torch.softmax(logits.float(), dim=-1)
    assert temperature == 0, "their draw uses torch's generator: only temperature 0 is compared"
    _, x0 = probs.max(dim=-1)
    confidence = torch.gather(probs, -1, x0.unsqueeze(-1)).squeeze(-1)
    assert alg == "p2"
    return confidence, x0


class ScriptedNetwork:
    """Logits that depend on the whole canvas and the position (float32, as a model's), each canvas recorded."""

    def __init__(self, seed):
        self.seed = seed
        self.seen = {}

    def __call__(self, x):
        ids = x[0].tolist()
        h = self.seed
        for i, t in enumerate(ids):
            h = (h * 1000003 + (t + 1) * (i + 7)) % 2147483647
        # Four decimals: the file stays small, and each side reads the same float32 from the same text.
        rows = [[round(4 * math.sin(0.917 * (v + 1) * (p + 3) + (h % 997) * 0.0131 + self.seed), 4) for v in range(VOCAB)]
                for p in range(len(ids))]
        self.seen[",".join(map(str, ids))] = rows
        return torch.tensor([rows], dtype=torch.float32)


def p2_sample(model, x, steps, temperature=0.0, top_p=None, top_k=None, eps=1e-3):
    """The alg "p2" path of `_mdm_sample`, its other branches left out; returns the canvas after each step."""
    mask_token_id = MASK
    alg = "p2"
    histories = []
    fix_mask = (x != mask_token_id)
    timesteps = torch.linspace(1, eps, steps + 1, device=x.device)
    for i in range(steps):
        mask_index = (x == mask_token_id)
        if not mask_index.any():
            break
        logits = model(x)
        logits = torch.cat([logits[:, :1], logits[:, :-1]], dim=1)
        t = timesteps[i]  # noqa: F841 (unused by p2, kept as in theirs)
        kappa_t = (i + 1) / steps
        conf_full, x0_full = sample_tokens(logits, temperature=temperature, top_p=top_p, top_k=top_k, alg=alg)
        full_conf = conf_full.clone()
        full_conf[fix_mask] = float("inf")
        full_conf = torch.where(torch.isfinite(full_conf), full_conf, torch.full_like(full_conf, float("inf")))
        num_positions = (~fix_mask).sum(dim=1)
        num_to_mask = (num_positions.float() * (1.0 - kappa_t)).floor().to(torch.long)
        num_to_mask = num_to_mask.clamp_min(0)
        num_to_mask = torch.minimum(num_to_mask, num_positions)
        variable = full_conf[~fix_mask]
        assert variable.unique().numel() == variable.numel(), "tied confidences: argsort's order would decide"
        sorted_idx = torch.argsort(full_conf, dim=1, descending=False)
        max_k = int(num_to_mask.max().item())
        if max_k > 0:
            topk_idx = sorted_idx[:, :max_k]
            row_mask = torch.arange(max_k, device=x.device).unsqueeze(0) < num_to_mask.unsqueeze(1)
            to_mask = torch.zeros_like(x, dtype=torch.bool)
            batch_arange = torch.arange(x.size(0), device=x.device).unsqueeze(1).expand_as(topk_idx)
            valid_batch = batch_arange[row_mask]
            valid_col = topk_idx[row_mask]
            to_mask[valid_batch, valid_col] = True
        else:
            to_mask = torch.zeros_like(x, dtype=torch.bool)
        x[to_mask] = mask_token_id
        keep_unmask = mask_index & (~to_mask)
        x[keep_unmask] = x0_full[keep_unmask]
        histories.append(x.clone())
    return histories


CASES = [
    {"name": "one hole, a step per position", "canvas": [3, 1, 4, 1] + [MASK] * 10 + [5, 9, 2], "steps": 10},
    {"name": "one hole, 4 steps, top-p 0.9", "canvas": [3, 1, 4, 1] + [MASK] * 10 + [5, 9, 2], "steps": 4, "top_p": 0.9},
    {"name": "two holes, 7 steps, top-k 4", "canvas": [2, 7] + [MASK] * 6 + [1, 8, 2] + [MASK] * 5 + [8], "steps": 7, "top_k": 4},
    {"name": "one hole, 16 steps (more steps than positions)", "canvas": [6, 2, 6] + [MASK] * 8 + [4, 3], "steps": 16},
]


def build():
    out = {"vocab": VOCAB, "mask": MASK, "cases": []}
    for n, case in enumerate(CASES):
        net = ScriptedNetwork(seed=n + 1)
        x = torch.tensor([case["canvas"]], dtype=torch.long)
        history = p2_sample(net, x.clone(), case["steps"], top_p=case.get("top_p"), top_k=case.get("top_k"))
        rows = [h[0].tolist() for h in history]
        before = [case["canvas"]] + rows[:-1]
        remasked = sum(1 for a, b in zip(before, rows) for s, t in zip(a, b) if s != MASK and t == MASK)
        out["cases"].append({**case, "history": rows, "remasked": remasked, "network": net.seen})
    return out


def text():
    """The file's text, as committed."""
    return json.dumps(build(), separators=(",", ":")) + "\n"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=OUT)
    args = ap.parse_args()
    torch.set_num_threads(1)
    with open(args.out, "w") as f:
        f.write(text())
    for case in build()["cases"]:
        print(f"{case['name']}: {len(case['history'])} steps, {case['remasked']} committed positions masked again")


if __name__ == "__main__":
    main()
