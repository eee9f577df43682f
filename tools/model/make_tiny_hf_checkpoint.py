"""Write a tiny random checkpoint in the real Hugging Face Dream layout, for testing export_hf.py.

  python3 tools/model/make_tiny_hf_checkpoint.py DIR [--tied]

config.json like Dream's (model_type "Dream", mask/pad/eos/bos ids), two safetensors shards plus
model.safetensors.index.json, the layers in BF16 in one shard and F32/F16 in the other, and a
byte-level tokenizer.json whose special tokens sit where a Qwen2.5-style vocabulary would put them.
"""
import argparse
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bytelevel import BYTE_SYMBOL, write_tokenizer  # noqa: E402
from qwen2_bidir import Qwen2Bidir, Qwen2Config  # noqa: E402
from safetensors_io import bf16_bits, write_safetensors  # noqa: E402

VOCAB = 320  # wider than the tokenizer, like Qwen2.5's 152064 logits for 151665 tokens
SPECIAL_NAMES = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|beginoftext|>", "<|mask|>", "<|dlm_pad|>"]
MERGES = [("Ġ", "Ġ"), ("ĠĠ", "ĠĠ"), ("d", "e"), ("de", "f"), ("r", "e"), ("re", "t"), ("u", "r"), ("ret", "ur"),
          ("retur", "n")]
N_TOKENS = 256 + len(MERGES)
SPECIALS = {s: N_TOKENS + i for i, s in enumerate(SPECIAL_NAMES)}


def make(out, tied=False, seed=0):
    """Writes the checkpoint; returns the float32 state dict it holds (after BF16/F16 rounding)."""
    os.makedirs(out, exist_ok=True)
    cfg = Qwen2Config(vocab_size=VOCAB, hidden_size=64, num_hidden_layers=2, num_attention_heads=4,
                      num_key_value_heads=2, intermediate_size=128, rope_theta=1000000.0, rms_norm_eps=1e-6,
                      tie_word_embeddings=tied, max_position_embeddings=4096)
    torch.manual_seed(seed)
    model = Qwen2Bidir(cfg)
    with torch.no_grad():
        for p in model.parameters():
            p.normal_(0, 0.3)
    state = {k: v.clone() for k, v in model.state_dict().items()}
    if tied:
        state.pop("lm_head.weight")
    shards = {"model-00001-of-00002.safetensors": {}, "model-00002-of-00002.safetensors": {}}
    ref = {}
    for k, v in state.items():
        if k.startswith("model.layers."):  # BF16, as Dream ships
            bits = bf16_bits(v)
            shards["model-00001-of-00002.safetensors"][k] = ("BF16", bits)
            ref[k] = v.to(torch.bfloat16).float()
        elif k == "lm_head.weight":
            shards["model-00002-of-00002.safetensors"][k] = ("F16", v.half().numpy())
            ref[k] = v.half().float()
        else:
            shards["model-00002-of-00002.safetensors"][k] = ("F32", v.numpy())
            ref[k] = v
    weight_map = {}
    for fname, tensors in shards.items():
        write_safetensors(os.path.join(out, fname), tensors)
        weight_map.update({k: fname for k in tensors})
    with open(os.path.join(out, "model.safetensors.index.json"), "w") as f:
        json.dump({"metadata": {"total_size": sum(os.path.getsize(os.path.join(out, s)) for s in shards)},
                   "weight_map": weight_map}, f, indent=2)
    hf = {"architectures": ["DreamModel"], "auto_map": {"AutoConfig": "configuration_dream.DreamConfig",
                                                         "AutoModel": "modeling_dream.DreamModel"},
          "model_type": "Dream", "hidden_act": "silu", "attention_dropout": 0.0,
          "bos_token_id": SPECIALS["<|beginoftext|>"], "eos_token_id": SPECIALS["<|endoftext|>"],
          "pad_token_id": SPECIALS["<|endoftext|>"], "mask_token_id": SPECIALS["<|mask|>"],
          "hidden_size": cfg.hidden_size, "intermediate_size": cfg.intermediate_size,
          "num_attention_heads": cfg.num_attention_heads, "num_hidden_layers": cfg.num_hidden_layers,
          "num_key_value_heads": cfg.num_key_value_heads, "max_position_embeddings": cfg.max_position_embeddings,
          "max_window_layers": 28, "rms_norm_eps": cfg.rms_norm_eps, "rope_scaling": None,
          "rope_theta": cfg.rope_theta, "sliding_window": None, "use_sliding_window": False,
          "tie_word_embeddings": tied, "torch_dtype": "bfloat16", "use_cache": False,
          "vocab_size": VOCAB, "_name_or_path": "tiny-random-dream"}
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump(hf, f, indent=2)
    vocab = {BYTE_SYMBOL[b]: b for b in range(256)}
    for a, b in MERGES:
        vocab[a + b] = len(vocab)
    write_tokenizer(os.path.join(out, "tokenizer.json"), vocab, MERGES, SPECIALS)
    return ref


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--tied", action="store_true")
    args = ap.parse_args()
    make(args.dir, args.tied)
    print(f"wrote {args.dir}")


if __name__ == "__main__":
    main()
