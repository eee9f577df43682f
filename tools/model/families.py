"""The checkpoint families the builder reads: their config fields, parameter names and special tokens.

- `dream`: the Qwen2 layout (Dream, DiffuCoder, Dream-Coder, Open-dCoder).  Logits are shifted
  (the row at i predicts the token at i+1); the mask is `<|mask|>`, holes are padded with
  `<|dlm_pad|>` where the tokenizer has it (DiffuCoder), else eos.
- `llada`: LLaDA's LLaMA-style layout (`model.transformer.blocks.N.q_proj`, `ff_proj` the gate,
  `up_proj`, `ff_out` the down projection and, outside the blocks, the output layer).  Logits are
  not shifted; the mask is `<|mdm_mask|>` (id 126336 in LLaDA-8B).

`arch(config)` gives the shapes; `expected_names(arch)` the parameters, by role, that the
checkpoint must hold exactly: a parameter outside them stops the build with its name.
"""
from dataclasses import dataclass

QWEN2_TYPES = {"dream", "qwen2"}
LLADA_TYPES = {"llada"}


class CheckpointError(Exception):
    pass


@dataclass
class Arch:
    family: str
    vocab: int  # rows of the embedding = width of the logits
    hidden: int
    layers: int
    heads: int
    kv_heads: int
    inter: int
    rope_theta: float
    eps: float
    tied: bool
    qkv_bias: bool
    max_positions: int

    @property
    def head_dim(self):
        return self.hidden // self.heads


def family_of(cfg):
    mt = str(cfg.get("model_type", "")).lower()
    archs = " ".join(cfg.get("architectures") or []).lower()
    if mt in LLADA_TYPES or "llada" in archs and "moe" not in archs:
        return "llada"
    if mt in QWEN2_TYPES or "dream" in archs or "qwen2" in archs:
        return "dream"
    raise CheckpointError(f"config.json model_type {cfg.get('model_type')!r} (architectures {cfg.get('architectures')}): "
                          "the builder reads the Qwen2 layout (Dream, DiffuCoder, Dream-Coder, Open-dCoder; model_type "
                          "Dream or qwen2) and LLaDA (model_type llada); LLaDA-MoE and others are not supported")


def _need(cfg, *keys):
    missing = [k for k in keys if cfg.get(k) is None]
    if missing:
        raise CheckpointError(f"config.json lacks {', '.join(missing)}")
    return [cfg[k] for k in keys]


def arch(cfg):
    fam = family_of(cfg)
    if fam == "dream":
        if cfg.get("rope_scaling"):
            raise CheckpointError(f"config.json rope_scaling {cfg['rope_scaling']}: only plain RoPE is supported")
        if cfg.get("hidden_act", "silu") != "silu":
            raise CheckpointError(f"config.json hidden_act {cfg['hidden_act']!r}: only silu is supported")
        vocab, hidden, layers, heads, inter = _need(cfg, "vocab_size", "hidden_size", "num_hidden_layers",
                                                    "num_attention_heads", "intermediate_size")
        return Arch("dream", vocab, hidden, layers, heads, cfg.get("num_key_value_heads") or heads, inter,
                    float(cfg.get("rope_theta", 10000.0)), float(cfg.get("rms_norm_eps", 1e-6)),
                    bool(cfg.get("tie_word_embeddings", False)), True, int(cfg.get("max_position_embeddings", 2048)))
    # LLaDA (OLMo-style config): refuse the options its modelling code has but the graph does not.
    unsupported = {"alibi": False, "attention_layer_norm": False, "clip_qkv": None, "input_emb_norm": False,
                   "scale_logits": False, "multi_query_attention": None}
    bad = [f"{k}={cfg[k]!r}" for k, ok in unsupported.items() if cfg.get(k, ok) not in (ok, False, None)]
    if str(cfg.get("block_type", "llama")).lower() != "llama":
        bad.append(f"block_type={cfg['block_type']!r}")
    if str(cfg.get("layer_norm_type", "rms")).lower() not in ("rms", "rmslayernorm"):
        bad.append(f"layer_norm_type={cfg['layer_norm_type']!r}")
    if cfg.get("rope") is False:
        bad.append("rope=false")
    if str(cfg.get("activation_type", "silu")).lower() not in ("silu", "swiglu"):
        bad.append(f"activation_type={cfg['activation_type']!r}")
    if bad:
        raise CheckpointError(f"config.json: LLaDA options the builder does not support: {', '.join(bad)}")
    hidden, heads, layers, inter = _need(cfg, "d_model", "n_heads", "n_layers", "mlp_hidden_size")
    vocab = cfg.get("embedding_size") or _need(cfg, "vocab_size")[0]
    return Arch("llada", vocab, hidden, layers, heads, cfg.get("n_kv_heads") or heads, inter,
                float(cfg.get("rope_theta", 10000.0)), float(cfg.get("rms_norm_eps", 1e-5)),
                bool(cfg.get("weight_tying", False)), bool(cfg.get("include_bias") or cfg.get("include_qkv_bias")),
                int(cfg.get("max_sequence_length", 4096)))


# role -> parameter name, per family; {i} is the layer.
LAYER_NAMES = {
    "dream": {"attn_norm": "model.layers.{i}.input_layernorm.weight",
              "q": "model.layers.{i}.self_attn.q_proj.weight", "k": "model.layers.{i}.self_attn.k_proj.weight",
              "v": "model.layers.{i}.self_attn.v_proj.weight", "q_bias": "model.layers.{i}.self_attn.q_proj.bias",
              "k_bias": "model.layers.{i}.self_attn.k_proj.bias", "v_bias": "model.layers.{i}.self_attn.v_proj.bias",
              "o": "model.layers.{i}.self_attn.o_proj.weight",
              "mlp_norm": "model.layers.{i}.post_attention_layernorm.weight",
              "gate": "model.layers.{i}.mlp.gate_proj.weight", "up": "model.layers.{i}.mlp.up_proj.weight",
              "down": "model.layers.{i}.mlp.down_proj.weight"},
    "llada": {"attn_norm": "model.transformer.blocks.{i}.attn_norm.weight",
              "q": "model.transformer.blocks.{i}.q_proj.weight", "k": "model.transformer.blocks.{i}.k_proj.weight",
              "v": "model.transformer.blocks.{i}.v_proj.weight", "q_bias": "model.transformer.blocks.{i}.q_proj.bias",
              "k_bias": "model.transformer.blocks.{i}.k_proj.bias", "v_bias": "model.transformer.blocks.{i}.v_proj.bias",
              "o": "model.transformer.blocks.{i}.attn_out.weight",
              "mlp_norm": "model.transformer.blocks.{i}.ff_norm.weight",
              "gate": "model.transformer.blocks.{i}.ff_proj.weight", "up": "model.transformer.blocks.{i}.up_proj.weight",
              "down": "model.transformer.blocks.{i}.ff_out.weight"},
}
GLOBAL_NAMES = {
    "dream": {"embed": "model.embed_tokens.weight", "norm": "model.norm.weight", "lm_head": "lm_head.weight"},
    "llada": {"embed": "model.transformer.wte.weight", "norm": "model.transformer.ln_f.weight",
              "lm_head": "model.transformer.ff_out.weight"},
}
# Buffers some checkpoints carry that the graph computes itself.
IGNORED_SUFFIXES = ("rotary_emb.inv_freq",)


def expected_shapes(a):
    """parameter name -> shape, for every parameter the checkpoint must hold."""
    hd = a.head_dim
    g = GLOBAL_NAMES[a.family]
    out = {g["embed"]: (a.vocab, a.hidden), g["norm"]: (a.hidden,)}
    if not a.tied:
        out[g["lm_head"]] = (a.vocab, a.hidden)
    shapes = {"attn_norm": (a.hidden,), "q": (a.heads * hd, a.hidden), "k": (a.kv_heads * hd, a.hidden),
              "v": (a.kv_heads * hd, a.hidden), "o": (a.hidden, a.heads * hd), "mlp_norm": (a.hidden,),
              "gate": (a.inter, a.hidden), "up": (a.inter, a.hidden), "down": (a.hidden, a.inter)}
    if a.qkv_bias:
        shapes.update(q_bias=(a.heads * hd,), k_bias=(a.kv_heads * hd,), v_bias=(a.kv_heads * hd,))
    for i in range(a.layers):
        for role, shape in shapes.items():
            out[LAYER_NAMES[a.family][role].format(i=i)] = shape
    return out


def check_names(a, tensors):
    """Stops with the names of unknown, missing or misshapen parameters."""
    want = expected_shapes(a)
    have = {k: tuple(t.shape) for k, t in tensors.items() if not k.endswith(IGNORED_SUFFIXES)}
    g = GLOBAL_NAMES[a.family]
    if a.tied and g["lm_head"] in have:  # some tied checkpoints still save the (equal) output layer
        have.pop(g["lm_head"])
    unknown = sorted(set(have) - set(want))
    missing = sorted(set(want) - set(have))
    wrong = sorted(f"{k} {list(have[k])} (config says {list(want[k])})" for k in set(want) & set(have)
                   if have[k] != want[k])
    problems = []
    if unknown:
        problems.append(f"{len(unknown)} unknown parameter(s): {', '.join(unknown[:8])}" + (" ..." if len(unknown) > 8 else ""))
    if missing:
        problems.append(f"{len(missing)} missing: {', '.join(missing[:8])}" + (" ..." if len(missing) > 8 else ""))
    if wrong:
        problems.append(f"wrong shapes: {', '.join(wrong[:4])}")
    if problems:
        raise CheckpointError(f"the {a.family} layout does not match the checkpoint: " + "; ".join(problems))


def special_ids(family, tok_doc, cfg):
    """(mask, eos, pad, bos): config first, then the tokenizer's tokens."""
    added = {t["content"]: t["id"] for t in tok_doc.get("added_tokens", [])}
    vocab = tok_doc.get("model", {}).get("vocab", {})
    lookup = lambda s: added.get(s, vocab.get(s) if isinstance(vocab, dict) else None)  # noqa: E731
    first = lambda x: x[0] if isinstance(x, list) else x  # noqa: E731
    mask = cfg.get("mask_token_id")
    if mask is None:
        mask = lookup("<|mask|>" if family == "dream" else "<|mdm_mask|>")
    eos = first(cfg.get("eos_token_id"))
    if eos is None:
        eos = lookup("<|endoftext|>")
    pad = lookup("<|dlm_pad|>") if family == "dream" else None
    if pad is None:
        pad = cfg.get("pad_token_id")
    if pad is None or pad == mask:
        pad = eos
    bos = cfg.get("bos_token_id")
    if mask is None or eos is None:
        raise CheckpointError("cannot tell the mask / eos token ids from config.json or tokenizer.json")
    return mask, eos, pad, bos
