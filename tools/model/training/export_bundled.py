"""Trained weights -> models/bundled/ (a model folder built by `diffusion-infill models convert`, the
builder every checkpoint goes through) + MODEL_CARD.md.

  python3 -m tools.model.training.export_bundled --weights DIR        # the GPU run's $OUT, brought back
  python3 -m tools.model.training.export_bundled --ckpt models/.train/ckpt.pt   # a CPU run's checkpoint
      [--out models/bundled] [--eval EVAL_JSON] [--humaneval TEXT_FILE] [--notes MD_FILE]

The weights are written as a Dream-layout Hugging Face checkpoint (hf_checkpoint.py) and converted;
the folder's graph is then run in onnxruntime-node against torch on the weights it stores
(compare_onnx.mjs) and the tokenizer round trip checked (check_tokenizer.mjs), so a broken folder is
never left behind silently.  Needs dist/cli.js (npm run build).
"""
import argparse
import json
import os
import subprocess
import tempfile

import torch

from ..folders.hf_checkpoint import convert, special_ids, write_dream_checkpoint
from ..folders.onnx_case import check_stored
from ..paths import BUNDLED, RECIPE_TOKENIZER, WORK, check_script
from ..references.qwen2_bidir import Qwen2Bidir, Qwen2Config
from ..references.safetensors_io import load_weights
from .train import same_file

NAME = "diffusion-infill-tiny-code"
PRECISIONS = ("float32", "float16", "int8", "int4")
# Fast-dLLM's rule: every position whose token is 0.9 likely, at least one a step (the builder's default).
THRESHOLD = 0.9
# lengthSearch: on, where npm run bench shows it winning (this model's held-out single-line holes).
SAMPLER = {"steps": None, "alg": "entropy", "temperature": 0, "topP": 1, "topK": 0, "algTemp": 0,
           "threshold": None, "blockLength": None, "lengthSearch": True}


def load_trained(weights=None, ckpt=None):
    """(config, state dict, run summary) from a GPU run's folder or a CPU run's checkpoint."""
    if weights:
        with open(os.path.join(weights, "config.json")) as f:
            cfg = Qwen2Config.from_hf(json.load(f))
        with open(os.path.join(weights, "train.json")) as f:
            summary = json.load(f)
        state = load_weights(weights)
        if cfg.tie_word_embeddings:
            state["lm_head.weight"] = state["model.embed_tokens.weight"]
        return cfg, state, summary
    state = torch.load(ckpt, map_location="cpu")
    summary = {k: state[k] for k in ("step", "tokens", "train_s")}
    summary.update({"device": "cpu", "device_name": "2 CPU cores", "args": state["args"]})
    return Qwen2Config(**state["config"]), state["model"], summary


def verdict(eval_doc):
    """The card's one-line summary, read from the evaluation rather than written by hand."""
    if not eval_doc:
        return "It has not been evaluated."
    r = eval_doc["results"]
    base = max(v["single"]["exact"] for v in r.values() if "vs_best_baseline" not in v)
    best = max((v["single"]["exact"], k) for k, v in r.items() if "vs_best_baseline" in v)
    if best[0] > base:
        v = r[best[1]].get("vs_best_baseline")
        margin = (f" (+{v['diff']:.1%}; 95% paired bootstrap interval {v['lo']:+.1%} to {v['hi']:+.1%}, so the margin "
                  f"{'is clear' if v['lo'] > 0 else 'is within the noise of this many cases'})") if v else ""
        return (f"On held-out single lines it is exactly right {best[0]:.1%} of the time ({best[1]}), above both "
                f"baselines below (best {base:.1%}){margin}; multi-line holes are mostly beyond it.")
    return (f"On held-out single lines it is exactly right {best[0]:.0%} of the time, not above the best "
            f"baseline below ({base:.0%}).")


def card(cfg, summary, manifest, n_params, folder_mb, precision, sampler, eval_doc, humaneval, notes="", recipe_tokenizer=True):
    a = summary["args"]
    ar = (f"{a['ar_frac']:.0%} of the steps in the first half of training (fading out by 75%) train the same network "
          "with a causal mask on next-token prediction through the same shifted head, as Dream starts from an AR model."
          if a.get("ar_frac") else "none in this run.")
    tokenizer_source = ("`tools/model/corpus/tokenizer.json`, trained on the training split" if recipe_tokenizer else
                        "not the recipe's `tools/model/corpus/tokenizer.json`: the tokenizer of the model this run continued")
    minutes = summary["train_s"] / 60
    split = manifest["splits"]
    lic = "\n".join(f"| {k} | {v / 1e6:.2f} MB |" for k, v in manifest["bytes_by_licence"].items())
    lang = ", ".join(f"{k} {v / 1e6:.1f} MB" for k, v in manifest["bytes_by_language"].items())
    held = ", ".join(f"`{p}`" for p in manifest.get("heldout_packages", []))
    arithmetic = ("in onnxruntime's MatMulNBits blocks of 32 with a float32 scale each" if precision in ("int8", "int4")
                  else "computed in float32 (the graph converts them once at load)")
    ev = "not run"
    if eval_doc:
        ev = "\n".join(eval_doc["table"]) + "\n\n" + eval_doc["note"] + "."
        if eval_doc.get("summary"):
            ev += "\n\n" + "\n".join(f"- {line}" for line in eval_doc["summary"])
    speed = f"{summary['tokens'] / max(1, summary['train_s']):.0f} tokens/s on average"
    if summary.get("mfu") and str(summary.get("device", "")).startswith("cuda"):
        speed = (f"{summary['tokens_per_s']:.0f} tokens/s at the end, {summary['mfu']:.1%} model FLOP utilisation "
                 f"against a dense bf16 peak of {a.get('peak_tflops', 989):.0f} TFLOP/s")
    return f"""# {NAME}

A small masked-diffusion code model, trained by `tools/model/training/train.py` so that the extension
works out of the box with no download.  {verdict(eval_doc)}
It is no substitute for a real checkpoint (`diffusion-infill models convert` builds one).

## Model

- Architecture: bidirectional Qwen2 (tools/model/references/qwen2_bidir.py): {cfg.num_hidden_layers} layers, hidden {cfg.hidden_size},
  {cfg.num_attention_heads} attention heads / {cfg.num_key_value_heads} key-value heads, SwiGLU {cfg.intermediate_size}, RoPE theta
  {cfg.rope_theta:.0f}, tied embeddings; {n_params / 1e6:.2f}M parameters.
- Layout `dream` (shifted logits: row i-1 predicts token i), built from its weights by `diffusion-infill
  models convert`.  The canvas starts with `<|endoftext|>` (model.json `bosTokenId`), as in training.  Trained canvas length {a['seq']} tokens (`maxContext`).
- Weights stored as {precision}, {arithmetic}, logits
  float32.  Folder size {folder_mb:.1f} MB.
- Tokenizer: byte-level BPE (tools/model/corpus/train_bpe.py), {cfg.vocab_size - 3} tokens
  + `<|endoftext|>`, `<|mask|>`, `<|dlm_pad|>`, {tokenizer_source}.
- Default sampler: `{json.dumps(sampler)}`.

## Training

- Objective: LLaDA / MDLM masked diffusion: t ~ U(0.001, 1), each eligible token masked with
  probability t, cross entropy on the masked tokens weighted 1/t.  {a['infill_frac']:.0%} of the rows are
  infill canvases built by the engine's rules (tools/model/references/canvas.py): the whole lines of one file
  nearest one to eight holes that fit the canvas, context and holes tokenized apart, each hole its span (whole lines, lines after the indentation,
  the rest of a line, a piece of a line, several lines) and then `<|dlm_pad|>` up to the length an
  editor asks for (24, 32 or 48 tokens, or the span and a few more), only the holes masked; the
  other rows are windows of the corpus with every token eligible.
- Auto-regressive steps: {ar}
- Run: {summary.get('device_name', summary.get('device'))}, {minutes:.1f} minutes of training, {summary['step']} steps of
  {a['batch']} x {a['seq']} tokens, {summary['tokens'] / 1e6:.1f}M tokens seen; {speed}.  AdamW (betas 0.9/0.95,
  weight decay 0.1), peak learning rate {a['lr']}, warm-up 3% then cosine to 10%, by training time.
  Started from {summary.get('init', 'random weights')}.  Held-out masked cross entropy at the end:
  {summary.get('heldout_masked_ce')} nats.
{notes}

## Data

`tools/model/corpus/build.py`: source packages from Debian and the npm registry under permissive
licences, read per package; generated, minified and vendored files dropped; exact and near
duplicates removed; numpy's sources never included (numpy is the project's untouched test set).
Training split {split['train']['files']} files, {split['train']['bytes'] / 1e6:.1f} MB ({lang}).

| licence | bytes |
| --- | --- |
{lic}

Held out for validation, by package ({split['heldout']['files']} files, {split['heldout']['bytes'] / 1e6:.2f} MB): {held}.

## Evaluation (held-out packages, tools/model/evaluation/eval_heldout.py)

{ev}

## HumanEval-Infilling (tools/model/evaluation/humaneval_infill.py)

{humaneval or 'not run'}
"""


def check_folder(out, cfg, mask_id):
    """The folder runs in the extension's runtime and gives the logits torch gives on its weights."""
    check_stored(out, mask_id, [(1, min(256, cfg.max_position_embeddings), 40), (2, 64, 8)])
    subprocess.run(["node", check_script("check_tokenizer.mjs"), out], check=True)


def threshold_arg(text):
    """A threshold as the engine reads one: a probability, or none (null) for one token a step; 0 commits everything at once."""
    return None if text == "none" else float(text)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--weights", help="folder of safetensors shards, config.json and train.json (train.py --out)")
    src.add_argument("--ckpt", help="train.py's resumable checkpoint")
    ap.add_argument("--out", default=BUNDLED)
    ap.add_argument("--tokenizer", default=RECIPE_TOKENIZER)
    ap.add_argument("--precision", choices=PRECISIONS, default="float16")
    ap.add_argument("--manifest", default=os.path.join(WORK, "corpus", "manifest.json"))
    ap.add_argument("--eval", help="JSON written by eval_heldout.py --json")
    ap.add_argument("--humaneval", help="text file with the humaneval_infill.py output")
    ap.add_argument("--threshold", type=threshold_arg, default=THRESHOLD,
                    help="sampler default threshold, as the engine reads it; none: one token per step")
    ap.add_argument("--notes", help="markdown file appended to the card's training section")
    args = ap.parse_args(argv)
    torch.set_num_threads(2)
    cfg, state, summary = load_trained(args.weights, args.ckpt)
    model = Qwen2Bidir(cfg)
    model.load_state_dict(state)
    ids = special_ids(args.tokenizer)
    sampler = dict(SAMPLER, threshold=args.threshold)
    source = (f"trained by tools/model/training/train.py (its last run: {summary['step']} steps, {summary['tokens'] / 1e6:.1f}M tokens, "
              f"from {summary.get('init', 'random weights')}); see MODEL_CARD.md")
    with tempfile.TemporaryDirectory() as ck:
        write_dream_checkpoint(ck, cfg, {k: v.detach() for k, v in model.state_dict().items()}, args.tokenizer, ids, source)
        # train.py tokenizes holes apart from their context, as the engine does without healing.
        convert(ck, args.out, args.precision, NAME, summary["args"]["seq"], sampler, token_healing=False)
    check_folder(args.out, cfg, ids["mask"])
    manifest = {"splits": {"train": {"files": 0, "bytes": 0}, "heldout": {"files": 0, "bytes": 0}},
                "bytes_by_language": {}, "bytes_by_licence": {}}
    if os.path.exists(args.manifest):
        with open(args.manifest) as f:
            manifest = json.load(f)
    eval_doc = json.load(open(args.eval)) if args.eval else None
    humaneval = open(args.humaneval).read().strip() if args.humaneval else None
    notes = open(args.notes).read().strip() if args.notes else ""
    size = sum(os.path.getsize(os.path.join(args.out, f)) for f in os.listdir(args.out) if f != "MODEL_CARD.md") / 1e6
    n_params = sum(p.numel() for p in model.parameters())
    with open(os.path.join(args.out, "MODEL_CARD.md"), "w") as f:
        f.write(card(cfg, summary, manifest, n_params, size, args.precision, sampler, eval_doc, humaneval, notes,
                     recipe_tokenizer=same_file(args.tokenizer, RECIPE_TOKENIZER)))
    print(f"wrote {args.out} ({size:.1f} MB, {args.precision}) from step {summary['step']}")


if __name__ == "__main__":
    main()
