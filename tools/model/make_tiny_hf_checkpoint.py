"""Write a tiny random checkpoint in the real Hugging Face Dream or LLaDA layout, for testing
export_hf.py and build_onnx.py.

  python3 -m tools.model.make_tiny_hf_checkpoint DIR [--tied] [--family dream|llada]

config.json like Dream's (model_type "Dream", mask/pad/eos/bos ids) or LLaDA's (model_type "llada",
d_model, n_heads, ..., mask_token_id), two safetensors shards plus model.safetensors.index.json, the
layers in BF16 in one shard and F32/F16 in the other, and a byte-level tokenizer.json whose special
tokens sit after the merges, as in the real vocabularies.
"""
import argparse
import json
import os

import torch

from .bytelevel import BYTE_SYMBOL, write_tokenizer
from .llada_bidir import LLaDABidir, LLaDAConfig
from .qwen2_bidir import Qwen2Bidir, Qwen2Config
from .safetensors_io import bf16_bits, write_safetensors

VOCAB = 320  # wider than the tokenizer, like Qwen2.5's 152064 logits for 151665 tokens
SPECIAL_NAMES = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|beginoftext|>", "<|mask|>", "<|dlm_pad|>"]
MERGES = [("Ġ", "Ġ"), ("ĠĠ", "ĠĠ"), ("d", "e"), ("de", "f"), ("r", "e"), ("re", "t"), ("u", "r"), ("ret", "ur"),
          ("retur", "n")]
N_TOKENS = 256 + len(MERGES)
SPECIALS = {s: N_TOKENS + i for i, s in enumerate(SPECIAL_NAMES)}
LLADA_SPECIAL_NAMES = ["<|startoftext|>", "<|endoftext|>", "<|eot_id|>", "<|mdm_mask|>"]
LLADA_SPECIALS = {s: N_TOKENS + i for i, s in enumerate(LLADA_SPECIAL_NAMES)}
OUTPUT_LAYER = {"dream": "lm_head.weight", "llada": "model.transformer.ff_out.weight"}


def make(out, tied=False, seed=0, family="dream"):
    """Writes the checkpoint; returns the float32 state dict it holds (after BF16/F16 rounding)."""
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(seed)
    if family == "llada":
        cfg = LLaDAConfig(vocab_size=VOCAB, d_model=64, n_layers=2, n_heads=4, n_kv_heads=2, mlp_hidden_size=96,
                          rope_theta=500000.0, rms_norm_eps=1e-5, weight_tying=tied)
        model = LLaDABidir(cfg)
    else:
        cfg = Qwen2Config(vocab_size=VOCAB, hidden_size=64, num_hidden_layers=2, num_attention_heads=4,
                          num_key_value_heads=2, intermediate_size=128, rope_theta=1000000.0, rms_norm_eps=1e-6,
                          tie_word_embeddings=tied, max_position_embeddings=4096)
        model = Qwen2Bidir(cfg)
    with torch.no_grad():
        for p in model.parameters():
            p.normal_(0, 0.3)
    state = {k: v.clone() for k, v in model.state_dict().items()}
    if tied and family == "dream":
        state.pop("lm_head.weight")
    shards = {"model-00001-of-00002.safetensors": {}, "model-00002-of-00002.safetensors": {}}
    ref = {}
    for k, v in state.items():
        if k.startswith(("model.layers.", "model.transformer.blocks.")):  # BF16, as Dream and LLaDA ship
            bits = bf16_bits(v)
            shards["model-00001-of-00002.safetensors"][k] = ("BF16", bits)
            ref[k] = v.to(torch.bfloat16).float()
        elif k == OUTPUT_LAYER[family]:
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
    if family == "llada":
        write_llada_config(out, cfg)
    else:
        write_dream_config(out, cfg, tied)
    specials = LLADA_SPECIALS if family == "llada" else SPECIALS
    vocab = {BYTE_SYMBOL[b]: b for b in range(256)}
    for a, b in MERGES:
        vocab[a + b] = len(vocab)
    write_tokenizer(os.path.join(out, "tokenizer.json"), vocab, MERGES, specials)
    return ref


def write_llada_config(out, c):
    """The fields of GSAI-ML/LLaDA-8B's config.json (OLMo-style), at the tiny shapes."""
    hf = {"architectures": ["LLaDAModelLM"], "model_type": "llada", "activation_type": "silu", "alibi": False,
          "alibi_bias_max": 8.0, "attention_dropout": 0.0, "attention_layer_norm": False, "block_type": "llama",
          "clip_qkv": None, "d_model": c.d_model, "embedding_size": c.vocab_size, "vocab_size": c.vocab_size,
          "eos_token_id": LLADA_SPECIALS["<|endoftext|>"], "pad_token_id": LLADA_SPECIALS["<|endoftext|>"],
          "mask_token_id": LLADA_SPECIALS["<|mdm_mask|>"], "include_bias": False, "include_qkv_bias": False,
          "input_emb_norm": False, "layer_norm_type": "rms", "max_sequence_length": 4096,
          "mlp_hidden_size": c.mlp_hidden_size, "mlp_ratio": 4, "multi_query_attention": None,
          "n_heads": c.n_heads, "n_kv_heads": c.n_kv_heads, "n_layers": c.n_layers, "rms_norm_eps": c.rms_norm_eps,
          "rope": True, "rope_full_precision": True, "rope_theta": c.rope_theta, "scale_logits": False,
          "weight_tying": c.weight_tying, "torch_dtype": "bfloat16", "use_cache": False,
          "_name_or_path": "tiny-random-llada"}
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump(hf, f, indent=2)


def write_dream_config(out, cfg, tied):
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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--tied", action="store_true")
    ap.add_argument("--family", choices=("dream", "llada"), default="dream")
    args = ap.parse_args()
    make(args.dir, args.tied, family=args.family)
    print(f"wrote {args.dir}")


if __name__ == "__main__":
    main()
