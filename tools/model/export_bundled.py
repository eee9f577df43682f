"""Training checkpoint -> models/bundled/ (fp16 model folder) + MODEL_CARD.md.

  python3 tools/model/export_bundled.py [--ckpt models/.train/ckpt.pt] [--eval EVAL_JSON] [--humaneval TEXT_FILE]

Runs the exported graph once in onnxruntime-node against torch (compare_onnx.mjs) and checks the
tokenizer round trip (check_tokenizer.mjs), so a broken folder is never left behind silently.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from onnx_case import make_inputs, write_case  # noqa: E402
from qwen2_bidir import Qwen2Bidir, Qwen2Config, export_onnx, write_model_json  # noqa: E402

ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
WORK = os.path.join(ROOT, "models", ".train")
NAME = "diffusion-infill-tiny-code"
# One token per step with the entropy order did best on held-out infill (see the card); threshold
# decoding is faster and close behind, so callers may set it.
SAMPLER = {"steps": None, "alg": "entropy", "temperature": 0, "topP": 1, "topK": 0, "algTemp": 0,
           "threshold": None, "blockLength": None}


def verdict(eval_doc):
    """The card's one-line summary, read from the evaluation rather than written by hand."""
    if not eval_doc:
        return "It has not been evaluated."
    r = eval_doc["results"]
    base = max(v["single"]["exact"] for k, v in r.items() if not k.startswith("model"))
    best = max((v["single"]["exact"], k) for k, v in r.items() if k.startswith("model"))
    if best[0] > base:
        v = r[best[1]].get("vs_best_baseline")
        margin = (f" (+{v['diff']:.1%}; 95% paired bootstrap interval {v['lo']:+.1%} to {v['hi']:+.1%}, so the margin "
                  f"{'is clear' if v['lo'] > 0 else 'is within the noise of this many cases'})") if v else ""
        return (f"On held-out single lines it is exactly right {best[0]:.1%} of the time ({best[1]}), above both "
                f"baselines below (best {base:.1%}){margin}; multi-line holes are mostly beyond it.")
    return (f"On held-out single lines it is exactly right {best[0]:.0%} of the time, not above the best "
            f"baseline below ({base:.0%}).")


def card(state, manifest, n_params, folder_mb, sampler, eval_doc, humaneval, loss_line, notes=""):
    a = state["args"]
    split = manifest["splits"]
    lic = "\n".join(f"| {k} | {v / 1e6:.2f} MB |" for k, v in manifest["bytes_by_licence"].items())
    held = "\n".join(f"- `{p}`" for p in manifest["heldout_files"])
    lang = ", ".join(f"{k} {v / 1e6:.1f} MB" for k, v in manifest["bytes_by_language"].items())
    ev = "not run"
    if eval_doc:
        ev = "\n".join(eval_doc["table"]) + "\n\n" + eval_doc["note"] + "."
        if eval_doc.get("summary"):
            ev += "\n\n" + "\n".join(f"- {line}" for line in eval_doc["summary"])
    return f"""# {NAME}

A deliberately small masked-diffusion code model, trained from scratch in about {state['train_s'] / 60:.0f} minutes on two
shared CPU cores so that the extension works out of the box with no download.  {verdict(eval_doc)}
It is no substitute for a real Dream / DiffuCoder checkpoint (export one with `tools/model/export_hf.py`).

## Model

- Architecture: bidirectional Qwen2 (tools/model/qwen2_bidir.py): {a['layers']} layers, hidden {a['hidden']},
  {a['heads']} attention heads / {a['kv_heads']} key-value heads, SwiGLU {a['inter']}, RoPE theta 10000,
  tied embeddings; {n_params / 1e6:.2f}M parameters.
- Family `dream` (shifted logits: row i-1 predicts token i).  The canvas should start with
  `<|endoftext|>` (model.json `bosTokenId`), as in training.  Trained canvas length {a['seq']} tokens (`maxContext`).
- Weights stored as float16, computed in float32 (the graph casts), logits float32.  Folder size {folder_mb:.1f} MB.
- Tokenizer: byte-level BPE, {state['config']['vocab_size'] - 3} tokens + `<|endoftext|>`, `<|mask|>`,
  `<|dlm_pad|>` (tools/model/train_bpe.py), trained on the training split.
- Default sampler: `{json.dumps(sampler)}`.

## Training

- Objective: LLaDA / MDLM masked diffusion: t ~ U(0.001, 1), each token masked with probability t,
  cross entropy on masked tokens weighted 1/t, averaged over the batch's tokens.  Half of the
  examples (70% in the later phases) are infill-shaped: text tokenized piecewise as the editor does,
  with holes holding whole lines, several lines, the rest of a line or part of a line, each
  followed by 0-32 `<|dlm_pad|>` tokens (so the model learns to end a hole that is longer than its
  fill); only the holes are masked.  The last phase puts up to four holes in one window.
- Auto-regressive steps (`--ar-frac`): a share of the steps trains the same network with a causal
  mask on next-token prediction through the same shifted head, as Dream adapts an AR model; on
  this budget the masked objective alone stayed near the unigram loss for hundreds of steps.
- Steps {state['step']}, tokens seen {state['tokens'] / 1e6:.1f}M ({state['tokens'] / max(1, manifest['train_tokens']):.1f} epochs of
  {manifest['train_tokens'] / 1e6:.2f}M training tokens), {state['train_s'] / 60:.0f} minutes on 2 CPU cores shared with other
  jobs at nice 19 ({state['tokens'] / state['train_s']:.0f} tokens/s on average; ~2,000-2,300 tokens/s when the cores were free), batch {a['batch']} x {a['seq']},
  AdamW (betas 0.9/0.95, weight decay 0.1), warmup 3% then cosine to 10% in each phase (last phase: peak lr {a['lr']}), schedule by training time.
- Last logged loss: {loss_line}
{notes}

## Data

Source files found on the build machine ({split['train']['files']} training files,
{split['train']['bytes'] / 1e6:.1f} MB; {lang}):
the CPython 3.11 standard library (without test/, tests/, idlelib/), npm and corepack as installed
with Node.js, and the project's own node_modules (TypeScript's lib .d.ts files, @types, mocha, ...).
Minified / generated files (very long lines) and exact duplicates were dropped.

| licence (from the package or source) | bytes |
| --- | --- |
{lic}

Held out for evaluation: {split['heldout']['files']} files, {split['heldout']['bytes'] / 1e6:.2f} MB, chosen by a hash of
the path (about 3%):

{held}

## Evaluation (held-out files, tools/model/eval_heldout.py)

{ev}

## HumanEval-Infilling (tools/model/humaneval_infill.py)

{humaneval or 'not run'}
"""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", default=os.path.join(WORK, "ckpt.pt"))
    ap.add_argument("--out", default=os.path.join(ROOT, "models", "bundled"))
    ap.add_argument("--eval", help="JSON written by eval_heldout.py --json")
    ap.add_argument("--humaneval", help="text file with the humaneval_infill.py output")
    ap.add_argument("--threshold", type=float, help="sampler default threshold (else one token per step)")
    ap.add_argument("--notes", help="markdown file appended to the card's training section")
    args = ap.parse_args()
    torch.set_num_threads(2)
    state = torch.load(args.ckpt, map_location="cpu")
    cfg = Qwen2Config(**state["config"])
    model = Qwen2Bidir(cfg)
    model.load_state_dict(state["model"])
    model.eval()
    with open(os.path.join(WORK, "tokenizer.json"), encoding="utf-8") as f:
        tok = json.load(f)
    sp = {t["content"]: t["id"] for t in tok["added_tokens"]}
    os.makedirs(args.out, exist_ok=True)
    export_onnx(model, os.path.join(args.out, "model.onnx"), fp16=True)
    shutil.copyfile(os.path.join(WORK, "tokenizer.json"), os.path.join(args.out, "tokenizer.json"))
    sampler = dict(SAMPLER, threshold=args.threshold)
    write_model_json(args.out, name=NAME, family="dream", vocabSize=cfg.vocab_size, maxContext=state["args"]["seq"],
                     maskTokenId=sp["<|mask|>"], eosTokenId=sp["<|endoftext|>"], padTokenId=sp["<|dlm_pad|>"],
                     bosTokenId=sp["<|endoftext|>"], sampler=sampler, precision="float16",
                     # train.py tokenizes holes apart from their context, as the engine does without healing.
                     tokenHealing=False,
                     source=f"trained from scratch by tools/model/train.py (step {state['step']}, "
                            f"{state['tokens'] / 1e6:.1f}M tokens); see MODEL_CARD.md")
    # The folder must work in the runtime the extension uses.
    with tempfile.TemporaryDirectory() as tmp:
        ref = Qwen2Bidir(cfg)
        ref.load_state_dict({k: v.half().float() for k, v in state["model"].items()})
        ref.eval()
        for i, (b, s, n) in enumerate([(1, 256, 40), (2, 64, 8)]):
            write_case(os.path.join(tmp, str(i)), ref, *make_inputs(cfg.vocab_size, sp["<|mask|>"], seed=i, batch=b, seq=s, n=n))
            subprocess.run(["node", os.path.join(HERE, "compare_onnx.mjs"), args.out, os.path.join(tmp, str(i)),
                            "--tol", "2e-3"], check=True)
    subprocess.run(["node", os.path.join(HERE, "check_tokenizer.mjs"), args.out], check=True)
    with open(os.path.join(WORK, "corpus", "manifest.json")) as f:
        manifest = json.load(f)
    import numpy as np
    manifest["train_tokens"] = int(np.load(os.path.join(WORK, "tokens_train.npy"), mmap_mode="r").shape[0])
    eval_doc = json.load(open(args.eval)) if args.eval else None
    humaneval = open(args.humaneval).read().strip() if args.humaneval else None
    loss_line = "n/a"
    log = os.path.join(WORK, "train.log")
    if os.path.exists(log):
        steps = [x for x in open(log) if " step " in x and " loss " in x]
        loss_line = "`" + steps[-1].strip() + "`" if steps else loss_line
    size = sum(os.path.getsize(os.path.join(args.out, f)) for f in os.listdir(args.out)) / 1e6
    n_params = sum(p.numel() for p in model.parameters())
    with open(os.path.join(args.out, "MODEL_CARD.md"), "w") as f:
        notes = open(args.notes).read().strip() if args.notes else ""
        f.write(card(state, manifest, n_params, size, sampler, eval_doc, humaneval, loss_line, notes))
    print(f"wrote {args.out} ({size:.1f} MB) from step {state['step']}")


if __name__ == "__main__":
    main()
