"""Tiny random checkpoints in the layouts users download, laid out as the real Hugging Face repos are,
for the builders' tests; and config.json-only folders of the checkpoints a builder must refuse.

  python3 -m tools.model.references.make_tiny_hf_checkpoint DIR [--layout L] [--tied] [--tokenizer json|vocab-merges]
  python3 -m tools.model.references.make_tiny_hf_checkpoint DIR --refused KIND

  make(out, layout, tied=None, seed=0, tokenizer="json", overrides=None, drop=())
      -> {name: float32 tensor}: the weights the shards hold (after their BF16 / F16 rounding)
  facts(layout) -> {"layout", "network", "shifted", "mask", "eos", "pad", "bos", "vocab", "specials"}
  make_refused(out, kind) -> the reasons a refusal may give: ("block-causal",), ("moe",), ("unknown",), or
                             ("block-causal", "moe") for LLaDA2, which is both

Layouts (LAYOUTS): dream, open-dcoder, a2d-qwen2, coda, a2d-qwen3, llada, illada.  config.json carries
the fields, model_type, architectures, auto_map and special ids where the real config has them (see each
`*_config` below); generation_config.json, tokenizer_config.json and added_tokens.json where the real
repos have them.  Two safetensors shards and model.safetensors.index.json: the layers in BF16, the output
layer in F16, the rest in F32.  tokenizer="json" writes tokenizer.json (byte-level BPE); "vocab-merges"
writes vocab.json + merges.txt + tokenizer_config.json + added_tokens.json and no tokenizer.json, as
Dream-family repos ship.  The special tokens follow the merges (as in Qwen's 151643.. and LLaDA's
126080..), except iLLaDA's, which come first (its mask is id 5).  Open-dCoder's mask `<M>` is only in
added_tokens.json (and tokenizer.json's added tokens), never in config.json or tokenizer_config.json.

The tensors are those upstream's code builds from the config.json written (layouts.config_of), so
`overrides` (fields set) and `drop` (fields left out, upstream's defaults then apply) change them too:
make(d, "llada", drop=("layer_norm_type", "mlp_hidden_size")) is a LayerNorm LLaDA whose MLP is
mlp_ratio * d_model wide.
"""
import argparse
import json
import os

import torch

from ..corpus.bytelevel import BYTE_SYMBOL, write_tokenizer
from . import layouts
from .safetensors_io import bf16_bits, write_safetensors

LAYOUTS = ("dream", "open-dcoder", "a2d-qwen2", "coda", "a2d-qwen3", "llada", "illada")
VOCAB = 320  # wider than the tokenizer, like Qwen2.5's 152064 logits for 151665 tokens
MERGES = [("Ġ", "Ġ"), ("ĠĠ", "ĠĠ"), ("d", "e"), ("de", "f"), ("r", "e"), ("re", "t"), ("u", "r"), ("ret", "ur"),
          ("retur", "n")]
N_TOKENS = 256 + len(MERGES)
SPECIAL_NAMES = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|beginoftext|>", "<|mask|>", "<|dlm_pad|>"]
SPECIALS = {s: N_TOKENS + i for i, s in enumerate(SPECIAL_NAMES)}  # Dream's
QWEN2_NAMES = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|fim_prefix|>", "<|fim_middle|>", "<|fim_suffix|>",
               "<|fim_pad|>", "<|repo_name|>", "<|file_sep|>"]
QWEN3_NAMES = QWEN2_NAMES + ["<tool_call>", "</tool_call>", "<think>", "</think>"]
LLADA_NAMES = ["<|startoftext|>", "<|endoftext|>", "<|eot_id|>", "<|mdm_mask|>"]
ILLADA_NAMES = ["<|startoftext|>", "<|endoftext|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>",
                "<|mdm_mask|>"]  # ids 0..5: the mask is 5

# layout -> (special tokens in id order, whether they come before the bytes, the token of each role).
TOKENS = {
    "dream": (SPECIAL_NAMES, False, dict(mask="<|mask|>", eos="<|endoftext|>", pad="<|endoftext|>", bos="<|beginoftext|>")),
    "open-dcoder": (QWEN2_NAMES + ["<M>"], False, dict(mask="<M>", eos="<|endoftext|>", pad="<|endoftext|>",
                                                       bos="<|endoftext|>")),
    "a2d-qwen2": (QWEN2_NAMES + ["<|mask|>"], False, dict(mask="<|mask|>", eos="<|im_end|>", pad="<|endoftext|>",
                                                          bos="<|endoftext|>")),
    "coda": (QWEN3_NAMES + ["<|mask|>"], False, dict(mask="<|mask|>", eos="<|im_end|>", pad="<|endoftext|>",
                                                     bos="<|im_end|>")),
    "a2d-qwen3": (QWEN3_NAMES + ["<|mask|>"], False, dict(mask="<|mask|>", eos="<|endoftext|>", pad="<|endoftext|>",
                                                          bos="<|endoftext|>")),
    "llada": (LLADA_NAMES, False, dict(mask="<|mdm_mask|>", eos="<|endoftext|>", pad="<|endoftext|>", bos="<|startoftext|>")),
    "illada": (ILLADA_NAMES, True, dict(mask="<|mdm_mask|>", eos="<|endoftext|>", pad="<|endoftext|>", bos="<|startoftext|>")),
}
LLADA_SPECIALS = {s: N_TOKENS + i for i, s in enumerate(LLADA_NAMES)}
TIED = {"open-dcoder": True}  # Qwen2.5-Coder-0.5B ties its output layer; the others ship their own


def vocabulary(layout):
    """(BPE vocabulary symbol -> id, special token -> id)."""
    names, first, _ = TOKENS[layout]
    vocab = {n: i for i, n in enumerate(names)} if first else {}
    for b in range(256):
        vocab[BYTE_SYMBOL[b]] = len(vocab)
    for a, b in MERGES:
        vocab[a + b] = len(vocab)
    specials = {n: vocab[n] for n in names} if first else {n: len(vocab) + i for i, n in enumerate(names)}
    return vocab, specials


def facts(layout):
    """What a builder must find in the tiny checkpoint of `layout`: the special ids (config.json first,
    then generation_config.json, then tokenizer_config.json / added_tokens.json), whether logits are
    shifted, the logits' width and the network's layout name (iLLaDA is LLaDA's network).  `pad` is
    the checkpoint's pad id; the tiny Dream vocabulary also has DiffuCoder's `<|dlm_pad|>` (in
    `specials`), which a builder may prefer for padding holes."""
    _, specials = vocabulary(layout)
    roles = TOKENS[layout][2]
    net = "llada" if layout == "illada" else layout
    return {"layout": layout, "network": net, "shifted": layouts.SHIFTED[net], "vocab": VOCAB, "specials": specials,
            **{role: specials[name] for role, name in roles.items()}}


def _qwen_fields(hidden=64, layers=2, heads=4, kv=2, inter=128, theta=1000000.0, eps=1e-6, max_pos=4096):
    return {"hidden_act": "silu", "hidden_size": hidden, "initializer_range": 0.02, "intermediate_size": inter,
            "max_position_embeddings": max_pos, "max_window_layers": layers, "num_attention_heads": heads,
            "num_hidden_layers": layers, "num_key_value_heads": kv, "rms_norm_eps": eps, "rope_scaling": None,
            "rope_theta": theta, "sliding_window": None, "use_sliding_window": False, "attention_dropout": 0.0,
            "vocab_size": VOCAB, "torch_dtype": "bfloat16"}


def dream_config(ids, tied):
    """Dream-org/Dream-v0-*-7B, Dream-Coder, DiffuCoder: model_type "Dream", DreamModel through auto_map,
    the mask in mask_token_id, bos / eos / pad ids."""
    return {"architectures": ["DreamModel"], "auto_map": {"AutoConfig": "configuration_dream.DreamConfig",
                                                          "AutoModel": "modeling_dream.DreamModel"},
            "model_type": "Dream", **_qwen_fields(), "bos_token_id": ids["bos"], "eos_token_id": ids["eos"],
            "pad_token_id": ids["pad"], "mask_token_id": ids["mask"], "tie_word_embeddings": tied, "use_cache": False,
            "transformers_version": "4.46.2"}


def open_dcoder_config(ids, tied):
    """fredzzp/open-dcoder-0.5B: a plain Qwen2 config (Qwen2.5-Coder-0.5B's fields, tied); no mask id."""
    return {"architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2", **_qwen_fields(),
            "bos_token_id": ids["bos"], "eos_token_id": ids["eos"], "pad_token_id": ids["pad"],
            "tie_word_embeddings": tied, "use_cache": True, "transformers_version": "4.46.2"}


def a2d_config(layout, ids, tied):
    """dLLM's A2D models: the source Qwen config under model_type a2d-qwen2 / a2d-qwen3 (convert.py drops
    auto_map and architectures; save_pretrained writes the class); the mask only in the tokenizer files."""
    qwen3 = layout == "a2d-qwen3"
    cls = "A2DQwen3" if qwen3 else "A2DQwen2"
    module = "modeling_qwen3" if qwen3 else "modeling_qwen2"
    extra = {"head_dim": 32, "attention_bias": False} if qwen3 else {}  # 4 heads x 32 != hidden 64, as Qwen3-0.6B
    return {"architectures": [f"{cls}LMHeadModel"], "auto_map": {"AutoConfig": f"{module}.{cls}Config",
                                                                 "AutoModel": f"{module}.{cls}LMHeadModel",
                                                                 "AutoModelForMaskedLM": f"{module}.{cls}LMHeadModel"},
            "model_type": layout, **_qwen_fields(), **extra, "bos_token_id": ids["bos"], "eos_token_id": ids["eos"],
            "layer_types": ["full_attention"] * 2, "tie_word_embeddings": tied, "use_cache": False,
            "dtype": "bfloat16", "transformers_version": "4.57.1"}


def coda_config(ids, tied):
    """Salesforce/CoDA-v0-*: CoDALanguageModel/config.json's fields; mask_token_id and pad_token_id but no
    eos / bos (CoDAConfig's defaults) and no tie_word_embeddings (its default true ties nothing)."""
    fields = _qwen_fields(theta=1000000)
    fields.pop("max_window_layers")
    return {"architectures": ["CoDALanguageModel"], "attention_bias": False, "attention_kernel": "flash_attention",
            "auto_map": {"AutoConfig": "model_config.CoDAConfig", "AutoModel": "modeling_coda.CoDALanguageModel"},
            "block_masking_probability": [0.25, 0.5, 0.5, 0.75, 0.25], "head_dim": 16, "mask_block_sizes": [4, 8, 16, 32],
            "mask_token_id": ids["mask"], "model_type": "CoDA", "pad_token_id": ids["pad"], "prefix_probability": 0,
            "sampling_eps": [0.001, 0.25, 0.5, 0.25, 0.001], "truncate_probability": 0, **fields,
            "max_window_layers": 28, "torch_dtype": "float32", "use_cache": True, "transformers_version": "4.47.1"}


def llada_config(ids, tied):
    """GSAI-ML/LLaDA-8B-*'s config.json (OLMo-style fields) at the tiny shapes; iLLaDA's mask is 5."""
    return {"activation_type": "silu", "alibi": False, "alibi_bias_max": 8.0, "architectures": ["LLaDAModelLM"],
            "attention_dropout": 0.0, "attention_layer_norm": False, "attention_layer_norm_with_affine": True,
            "auto_map": {"AutoConfig": "configuration_llada.LLaDAConfig", "AutoModel": "modeling_llada.LLaDAModelLM",
                         "AutoModelForCausalLM": "modeling_llada.LLaDAModelLM"},
            "bias_for_layer_norm": False, "block_group_size": 1, "block_type": "llama", "d_model": 64,
            "embedding_dropout": 0.0, "embedding_size": VOCAB, "eos_token_id": ids["eos"], "flash_attention": False,
            "include_bias": False, "include_qkv_bias": False, "init_device": "meta", "init_fn": "mitchell",
            "init_std": 0.02, "input_emb_norm": False, "layer_norm_type": "rms", "layer_norm_with_affine": True,
            "mask_token_id": ids["mask"], "max_sequence_length": 4096, "mlp_hidden_size": 96, "mlp_ratio": 4,
            "model_type": "llada", "multi_query_attention": None, "n_heads": 4, "n_kv_heads": 2, "n_layers": 2,
            "pad_token_id": ids["pad"], "precision": "amp_bf16", "residual_dropout": 0.0, "rms_norm_eps": 1e-05,
            "rope": True, "rope_full_precision": True, "rope_theta": 500000.0, "scale_logits": False,
            "use_cache": False, "vocab_size": VOCAB, "weight_tying": tied, "transformers_version": "4.46.3"}


def generation_config(layout, ids):
    """generation_config.json as each real repo has one (Open-dCoder's is its Qwen2.5 base's)."""
    if layout == "coda":
        return {"alg": "original", "alg_temp": 0.2, "diffusion_steps": 10, "eps": 0.001, "mask_token_id": ids["mask"],
                "max_tokens": 256, "output_history": False, "top_k": None, "top_p": None}
    if layout == "a2d-qwen2":  # an Instruct base: two end tokens
        return {"bos_token_id": ids["bos"], "eos_token_id": [ids["eos"], ids["pad"]], "pad_token_id": ids["pad"]}
    if layout == "open-dcoder":
        return {"bos_token_id": ids["bos"], "eos_token_id": ids["eos"], "max_new_tokens": 2048}
    return {"_from_model_config": True, "bos_token_id": ids["bos"], "eos_token_id": ids["eos"], "pad_token_id": ids["pad"]}


def tokenizer_config(layout, specials):
    roles = TOKENS[layout][2]
    shown = {n: i for n, i in specials.items() if not (layout == "open-dcoder" and n == roles["mask"])}
    doc = {"add_bos_token": False, "add_prefix_space": False,
           "added_tokens_decoder": {str(i): {"content": n, "lstrip": False, "normalized": False, "rstrip": False,
                                             "single_word": False, "special": True} for n, i in shown.items()},
           "additional_special_tokens": [n for n in shown if n not in roles.values()],
           "bos_token": None if layout == "open-dcoder" else roles["bos"], "eos_token": roles["eos"],
           "pad_token": roles["pad"], "clean_up_tokenization_spaces": False, "errors": "replace",
           "model_max_length": 4096, "split_special_tokens": False, "unk_token": None}
    if layout != "open-dcoder":
        doc["mask_token"] = roles["mask"]
    if layout == "dream":
        doc["tokenizer_class"] = "DreamTokenizer"
        doc["auto_map"] = {"AutoTokenizer": ["tokenization_dream.DreamTokenizer", None]}
    elif layout in ("llada", "illada"):
        doc["tokenizer_class"] = "PreTrainedTokenizerFast"
    else:
        doc["tokenizer_class"] = "Qwen2Tokenizer"
    return doc


def hf_config(layout, tied):
    ids = {k: v for k, v in facts(layout).items() if k in ("mask", "eos", "pad", "bos")}
    if layout == "dream":
        return dream_config(ids, tied)
    if layout == "open-dcoder":
        return open_dcoder_config(ids, tied)
    if layout in ("a2d-qwen2", "a2d-qwen3"):
        return a2d_config(layout, ids, tied)
    if layout == "coda":
        return coda_config(ids, tied)
    return llada_config(ids, tied)


def _write_json(path, doc):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=2, ensure_ascii=False)
        f.write("\n")


def make(out, layout="dream", tied=None, seed=0, tokenizer="json", overrides=None, drop=()):
    """Writes the checkpoint; returns the float32 state dict it holds (after BF16/F16 rounding)."""
    if layout not in LAYOUTS:
        raise ValueError(f"layout {layout!r}: expected one of {', '.join(LAYOUTS)}")
    if tokenizer not in ("json", "vocab-merges"):
        raise ValueError(f"tokenizer {tokenizer!r}: expected json or vocab-merges")
    tied = TIED.get(layout, False) if tied is None else tied
    if tied and layout == "coda":
        raise ValueError("CoDA never ties its output layer (CoDALanguageModel has no get_output_embeddings)")
    os.makedirs(out, exist_ok=True)
    cfg = hf_config(layout, tied)
    cfg.update(overrides or {})
    for k in drop:
        cfg.pop(k, None)
    net = facts(layout)["network"]
    torch.manual_seed(seed)
    model = layouts.network(net, layouts.config_of(net, cfg))
    with torch.no_grad():
        for p in model.parameters():
            p.normal_(0, 0.3)
    state = {k: v.clone() for k, v in model.state_dict().items()}
    if net != "llada" and model.config.tie_word_embeddings:
        state.pop("lm_head.weight")
    _write_shards(out, state, "model.transformer.ff_out.weight" if net == "llada" else "lm_head.weight")
    _write_json(os.path.join(out, "config.json"), cfg)
    _write_json(os.path.join(out, "generation_config.json"), generation_config(layout, facts(layout)))
    _write_tokenizer(out, layout, tokenizer)
    return {k: _stored(k, v, net) for k, v in state.items()}


def _is_layer(name):
    return name.startswith(("model.layers.", "model.transformer.blocks."))


def _stored(name, v, net):
    if _is_layer(name):
        return v.to(torch.bfloat16).float()
    if name == ("model.transformer.ff_out.weight" if net == "llada" else "lm_head.weight"):
        return v.half().float()
    return v


def _write_shards(out, state, output_layer):
    """The layers in BF16 in the first shard (as Dream and LLaDA ship), the output layer in F16 and the
    rest in F32 in the second, and the index."""
    shards = {"model-00001-of-00002.safetensors": {}, "model-00002-of-00002.safetensors": {}}
    for k, v in state.items():
        if _is_layer(k):
            shards["model-00001-of-00002.safetensors"][k] = ("BF16", bf16_bits(v))
        elif k == output_layer:
            shards["model-00002-of-00002.safetensors"][k] = ("F16", v.half().numpy())
        else:
            shards["model-00002-of-00002.safetensors"][k] = ("F32", v.numpy())
    weight_map = {}
    for fname, tensors in shards.items():
        write_safetensors(os.path.join(out, fname), tensors)
        weight_map.update({k: fname for k in tensors})
    _write_json(os.path.join(out, "model.safetensors.index.json"),
                {"metadata": {"total_size": sum(os.path.getsize(os.path.join(out, s)) for s in shards)},
                 "weight_map": weight_map})


def _write_tokenizer(out, layout, kind):
    vocab, specials = vocabulary(layout)
    _write_json(os.path.join(out, "tokenizer_config.json"), tokenizer_config(layout, specials))
    _write_json(os.path.join(out, "added_tokens.json"), specials)
    if kind == "json":
        write_tokenizer(os.path.join(out, "tokenizer.json"), vocab, MERGES, specials)
        return
    # vocab.json holds the BPE vocabulary; the special tokens after it live in added_tokens.json.
    _write_json(os.path.join(out, "vocab.json"), vocab)
    with open(os.path.join(out, "merges.txt"), "w", encoding="utf-8") as f:
        f.write("#version: 0.2\n" + "".join(f"{a} {b}\n" for a, b in MERGES))
    if layout == "dream":  # the custom tokenizer class the real repos ship (never run by the builders)
        with open(os.path.join(out, "tokenization_dream.py"), "w") as f:
            f.write("# Stands in for Dream's tokenization_dream.py (a Qwen2 byte-level BPE tokenizer).\n")


# kind -> (the reasons a refusal may give, config.json).  The Qwen-shaped fields are the tiny ones.
REFUSED = {
    "sdar": (("block-causal",), {"architectures": ["SDARForCausalLM"], "model_type": "sdar", "head_dim": 16,
                              "auto_map": {"AutoConfig": "configuration_sdar.SDARConfig",
                                           "AutoModel": "modeling_sdar.SDARModel",
                                           "AutoModelForCausalLM": "modeling_sdar.SDARForCausalLM"}}),
    "fast-dllm-v2": (("block-causal",), {"architectures": ["Fast_dLLM_QwenForCausalLM"], "model_type": "Fast_dLLM_Qwen",
                                      "bd_size": 32, "auto_map": {
                                          "AutoConfig": "configuration.Fast_dLLM_QwenConfig",
                                          "AutoModel": "modeling.Fast_dLLM_QwenModel",
                                          "AutoModelForCausalLM": "modeling.Fast_dLLM_QwenForCausalLM"}}),
    "llada2": (("block-causal", "moe"), {"architectures": ["LLaDA2MoeModelLM"], "model_type": "llada2_moe", "num_experts": 16,
                                "num_shared_experts": 1, "num_experts_per_tok": 2, "moe_intermediate_size": 32,
                                "first_k_dense_replace": 1, "use_qk_norm": True, "use_qkv_bias": False,
                                "partial_rotary_factor": 0.5, "auto_map": {
                                    "AutoConfig": "configuration_llada2_moe.LLaDA2MoeConfig",
                                    "AutoModelForCausalLM": "modeling_llada2_moe.LLaDA2MoeModelLM"}}),
    "llada-moe": (("moe",), {"architectures": ["LLaDAMoEModelLM"], "model_type": "lladamoe", "num_experts": 8,
                          "num_experts_per_tok": 2, "expert_intermediate_size": 32, "qk_layernorm": True,
                          "auto_map": {"AutoConfig": "configuration_lladamoe.LLaDAMoEConfig",
                                       "AutoModel": "modeling_lladamoe.LLaDAMoEModelLM"}}),
    "qwen2-moe": (("moe",), {"architectures": ["Qwen2MoeForCausalLM"], "model_type": "qwen2_moe", "num_experts": 8,
                          "num_experts_per_tok": 2, "moe_intermediate_size": 32, "shared_expert_intermediate_size": 64}),
    "unknown": (("unknown",), {"architectures": ["MambaForCausalLM"], "model_type": "mamba", "state_size": 16}),
}


def make_refused(out, kind):
    """config.json only, of a checkpoint the builder must refuse; returns the reasons it may give.  dLLM's
    bd3lm A2D checkpoints are not here: their config.json is the mdlm one's (block diffusion lives only
    in dLLM's trainer and sampler), so nothing in it can refuse them."""
    reasons, extra = REFUSED[kind]
    os.makedirs(out, exist_ok=True)
    cfg = {**_qwen_fields(), **extra}
    _write_json(os.path.join(out, "config.json"), cfg)
    return reasons


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--layout", choices=LAYOUTS, default="dream")
    ap.add_argument("--tied", action="store_true", default=None)
    ap.add_argument("--tokenizer", choices=("json", "vocab-merges"), default="json")
    ap.add_argument("--refused", choices=sorted(REFUSED))
    args = ap.parse_args()
    if args.refused:
        print(f"wrote {args.dir}: must be refused as {' or '.join(make_refused(args.dir, args.refused))}")
        return
    make(args.dir, args.layout, args.tied, tokenizer=args.tokenizer)
    print(f"wrote {args.dir}: {json.dumps({k: v for k, v in facts(args.layout).items() if k != 'specials'})}")


if __name__ == "__main__":
    main()
