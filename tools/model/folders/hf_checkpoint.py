"""Our own weights as a Hugging Face checkpoint in the Dream layout (config.json with model_type "Dream"
and the special ids, safetensors shards under the HF names, tokenizer.json), the form
`diffusion-infill models convert` builds model folders from, the same way as a downloaded one; and
`convert`, the one way this package makes a model folder (model.json is the builder's to write).
"""
import json
import os
import shutil
import subprocess
import sys

import numpy as np

from ..paths import CLI
from ..references.safetensors_io import bf16_bits, save_sharded_bf16, write_safetensors


def dream_config(cfg, mask, eos, pad, bos, name):
    """config.json of a Dream-layout checkpoint of a Qwen2Config's shapes."""
    return {"architectures": ["DreamModel"], "model_type": "Dream", "hidden_act": "silu", "_name_or_path": name,
            "vocab_size": cfg.vocab_size, "hidden_size": cfg.hidden_size, "num_hidden_layers": cfg.num_hidden_layers,
            "num_attention_heads": cfg.num_attention_heads, "num_key_value_heads": cfg.num_key_value_heads,
            "intermediate_size": cfg.intermediate_size, "rope_theta": cfg.rope_theta, "rms_norm_eps": cfg.rms_norm_eps,
            "tie_word_embeddings": cfg.tie_word_embeddings, "max_position_embeddings": cfg.max_position_embeddings,
            "mask_token_id": mask, "eos_token_id": eos, "pad_token_id": pad, "bos_token_id": bos}


def write_dream_checkpoint(out, cfg, state, tokenizer, ids, name, dtype="F32", shard_bytes=None, extra=None):
    """Writes `state` (HF names; a tied output layer is left out) under out/ with config.json and a copy of
    the tokenizer.  ids: {"mask", "eos", "pad", "bos"}.  dtype F32, F16 or BF16 (bfloat16 shards of at
    most shard_bytes, as the training run writes them)."""
    os.makedirs(out, exist_ok=True)
    state = {k: v for k, v in state.items() if not (cfg.tie_word_embeddings and k == "lm_head.weight")}
    if dtype == "BF16":
        save_sharded_bf16(out, state, shard_bytes or (1 << 62), metadata=extra)
    else:
        np_type = {"F32": np.float32, "F16": np.float16}[dtype]
        write_safetensors(os.path.join(out, "model.safetensors"),
                          {k: (dtype, v.detach().float().numpy().astype(np_type)) for k, v in state.items()}, extra)
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump(dream_config(cfg, ids["mask"], ids["eos"], ids["pad"], ids["bos"], name), f, indent=1)
    if os.path.abspath(tokenizer) != os.path.abspath(os.path.join(out, "tokenizer.json")):
        shutil.copyfile(tokenizer, os.path.join(out, "tokenizer.json"))


def special_ids(tokenizer):
    """The ids of our tokenizers' special tokens: mask, end, pad, and the end again as the canvas's start."""
    with open(tokenizer, encoding="utf-8") as f:
        sp = {t["content"]: t["id"] for t in json.load(f)["added_tokens"]}
    return {"mask": sp["<|mask|>"], "eos": sp["<|endoftext|>"], "pad": sp["<|dlm_pad|>"], "bos": sp["<|endoftext|>"]}


class ConvertFailed(Exception):
    """`models convert` refused the checkpoint or failed: the message is the last line it wrote to stderr."""


def convert(ck, out, precision, name=None, max_context=None, sampler=None, token_healing=True, block_size=None,
            accuracy_level=None, cache=True):
    """diffusion-infill models convert on ck into out, overwriting it (needs dist/cli.js: npm run build);
    returns the folder's model.json.  None leaves an option to the builder."""
    cmd = ["node", CLI, "models", "convert", ck, out, "--precision", precision, "--overwrite"]
    for flag, value in (("--name", name), ("--max-context", max_context), ("--block-size", block_size),
                        ("--accuracy-level", accuracy_level)):
        if value is not None:
            cmd += [flag, str(value)]
    if sampler is not None:
        cmd += ["--sampler", json.dumps(sampler)]
    if not token_healing:
        cmd.append("--no-token-healing")
    if not cache:
        cmd.append("--no-cache")
    r = subprocess.run(cmd, capture_output=True, text=True)
    print(r.stdout, end="")
    lines = r.stderr.strip().splitlines()
    if r.returncode != 0:
        raise ConvertFailed(lines[-1] if lines else f"models convert exited {r.returncode}")
    if lines:  # the builder's one-line summary of what it wrote; its progress lines would only be noise here
        print(lines[-1], file=sys.stderr)
    with open(os.path.join(out, "model.json")) as f:
        return json.load(f)


__all__ = ["bf16_bits", "convert", "ConvertFailed", "dream_config", "special_ids", "write_dream_checkpoint"]
