"""The checkpoint layouts a user downloads, read as their upstream code reads them: the torch reference
for a Hugging Face checkpoint folder, and the weights as a built graph stores them.

  reference(ck_dir)                  -> the float32 torch network with the checkpoint's weights
                                        (.layout, .shifted; forward as Qwen2Bidir's)
  detect(cfg)                        -> a layout name below, or raises Refused (block-causal, MoE,
                                        unknown model_type), naming the model_type
  config_of(layout, cfg)             -> the Qwen2Config / LLaDAConfig upstream's code would build
  stored_weights(state, precision)   -> the weights as a float16 / int8 / int4 graph holds them

Each reader below names the upstream file it follows.  Shared by all: the attention is bidirectional
and `attention_mask` masks keys (0 = never attended); which canvas positions a sampler masks is the
sampler's rule (docs in the report), not the network's.  Rotary frequencies are computed in float32 as
upstream computes them (qwen2_bidir.rope_inv_freq).
"""
import json
import os

import torch

from .llada_bidir import LLaDABidir, LLaDAConfig
from .quantize import dequantize_rows, quantize_rows
from .qwen2_bidir import Qwen2Bidir, Qwen2Config
from .safetensors_io import load_weights

# layout -> whether the row at i predicts the token at i + 1 (Dream's "shift operation").
SHIFTED = {"dream": True, "open-dcoder": True, "a2d-qwen2": False, "coda": True, "a2d-qwen3": False, "llada": False}

# model_type (lower case) -> layout.  Open-dCoder is a plain `qwen2` config: only its `<M>` token in
# added_tokens.json tells it from an autoregressive Qwen2, which has no mask token and is refused for it.
MODEL_TYPES = {"dream": "dream", "qwen2": "open-dcoder", "a2d-qwen2": "a2d-qwen2", "coda": "coda",
               "a2d-qwen3": "a2d-qwen3", "llada": "llada"}
BLOCK_CAUSAL = {"sdar": "SDAR", "sdar_moe": "SDAR-MoE", "fast_dllm_qwen": "Fast-dLLM v2",
                "llada2_moe": "LLaDA2", "llada21_moe": "LLaDA2.1"}
MOE_FIELDS = ("num_experts", "num_local_experts", "n_routed_experts")


class Refused(ValueError):
    """A checkpoint the builder must refuse; `reason` is "block-causal", "moe" or "unknown"."""

    def __init__(self, reason, message):
        super().__init__(message)
        self.reason = reason


def detect(cfg):
    mt = str(cfg.get("model_type", ""))
    key = mt.lower()
    if key in BLOCK_CAUSAL or cfg.get("bd_size"):
        name = BLOCK_CAUSAL.get(key, mt)
        raise Refused("block-causal", f"model_type {mt!r} ({name}) is block-causal: a block sees only the blocks "
                      "before it, so a hole cannot see the code after it")
    experts = [f for f in MOE_FIELDS if (cfg.get(f) or 0) > 1]
    if "moe" in key or experts:
        raise Refused("moe", f"model_type {mt!r} is a mixture of experts ({', '.join(experts) or 'by its type'}): "
                      "not supported")
    if key not in MODEL_TYPES:
        raise Refused("unknown", f"model_type {mt!r} (architectures {cfg.get('architectures')}) is not a layout "
                      f"the builder knows ({', '.join(sorted(MODEL_TYPES))})")
    return MODEL_TYPES[key]


def _rope_theta(cfg, default):
    """rope_theta, or transformers v5's rope_parameters; only the plain ("default") rotary."""
    params = cfg.get("rope_parameters") or {}
    scaling = cfg.get("rope_scaling")
    kind = params.get("rope_type") or (scaling or {}).get("rope_type") or (scaling or {}).get("type")
    if kind not in (None, "default"):
        raise ValueError(f"config.json rope type {kind!r}: only the plain rotary is supported")
    if (cfg.get("partial_rotary_factor") or 1.0) != 1.0:
        raise ValueError(f"config.json partial_rotary_factor {cfg['partial_rotary_factor']}: not supported")
    return float(params.get("rope_theta", cfg.get("rope_theta", default)))


def _qwen(cfg, defaults, **fixed):
    """A Qwen2Config from config.json over the upstream class's defaults."""
    get = lambda k: cfg[k] if cfg.get(k) is not None else defaults[k]  # noqa: E731
    heads = get("num_attention_heads")
    # Absent: the class default; null: the heads (the classes' "backward compatibility" branch).
    kv = cfg.get("num_key_value_heads", defaults["num_key_value_heads"]) or heads
    fields = dict(vocab_size=get("vocab_size"), hidden_size=get("hidden_size"), num_hidden_layers=get("num_hidden_layers"),
                  num_attention_heads=heads, num_key_value_heads=kv,
                  intermediate_size=get("intermediate_size"), rms_norm_eps=float(get("rms_norm_eps")),
                  max_position_embeddings=get("max_position_embeddings"), hidden_act=get("hidden_act"),
                  rope_theta=_rope_theta(cfg, defaults["rope_theta"]))
    fields.update(fixed)
    return Qwen2Config(**fields)


# configuration_dream.DreamConfig's defaults; transformers' Qwen2Config has the same ones.
QWEN2_DEFAULTS = dict(vocab_size=151936, hidden_size=4096, intermediate_size=22016, num_hidden_layers=32,
                      num_attention_heads=32, num_key_value_heads=32, hidden_act="silu", max_position_embeddings=32768, rms_norm_eps=1e-6,
                      tie_word_embeddings=False, rope_theta=10000.0)
# transformers' Qwen3Config.
QWEN3_DEFAULTS = dict(QWEN2_DEFAULTS, head_dim=128, attention_bias=False)
# CoDALanguageModel/model_config.py's CoDAConfig.
CODA_DEFAULTS = dict(vocab_size=151936, hidden_size=2048, intermediate_size=6144, num_hidden_layers=28,
                     num_attention_heads=16, num_key_value_heads=8, hidden_act="silu", max_position_embeddings=40960, rms_norm_eps=1e-6,
                     rope_theta=1000000.0, head_dim=128, attention_bias=False)


def dream_config(cfg):
    """Dream, DiffuCoder, Dream-Coder, DreamOn: Dream's modeling_dream.py and configuration_dream.py (HF
    Dream-org/Dream-v0-*; read in ZHZisZZ/dllm dllm/pipelines/dream/models/ at ca17675 and NVlabs/Fast-dLLM
    dream/model/ at 24cc59e).  Followed: DreamConfig's defaults (tie_word_embeddings False, rope_theta
    10000, rms_norm_eps 1e-6, num_key_value_heads = heads when null); DreamAttention's head_dim =
    hidden_size // num_attention_heads, q/k/v with bias, o_proj without; DreamRMSNorm in float32;
    DreamRotaryEmbedding through transformers' default rope (inv_freq in float32); SDPA with
    is_causal=False and the attention mask added over keys; lm_head tied to the embedding only with
    tie_word_embeddings.  Sliding window is ignored upstream too (SDPA path)."""
    hd = cfg.get("head_dim")
    if hd and hd * cfg["num_attention_heads"] != cfg["hidden_size"]:
        raise ValueError(f"Dream config head_dim {hd}: DreamAttention uses hidden_size // num_attention_heads")
    return _qwen(cfg, QWEN2_DEFAULTS, tie_word_embeddings=bool(cfg.get("tie_word_embeddings", False)))


def open_dcoder_config(cfg):
    """Open-dCoder: Open-dLLM's veomni/models/transformers/qwen2/modeling_qwen2.py (pengzhangzhi/Open-dLLM at
    8b38787) over transformers' Qwen2Config (model_type "qwen2").  Followed: Qwen2Attention with head_dim =
    config.head_dim when present else hidden // heads, q/k/v with bias, o_proj without; the rotary of
    transformers' default rope; is_causal=False as its sampler passes; tie_word_embeddings from config
    (transformers' default False; Qwen2.5-Coder-0.5B's config says true).  Its sampler shifts the logits."""
    return _qwen(cfg, QWEN2_DEFAULTS, head_dim=cfg.get("head_dim"),
                 tie_word_embeddings=bool(cfg.get("tie_word_embeddings", False)))


def a2d_qwen2_config(cfg):
    """dLLM's A2D Qwen2 (model_type "a2d-qwen2"): ZHZisZZ/dllm dllm/pipelines/a2d/models/qwen2/modeling_qwen2.py
    at ca17675, A2DQwen2Config = transformers.Qwen2Config under a new model_type, A2DQwen2Model = Qwen2Model
    whose mask is `_prepare_4d_attention_mask` of the 2-D mask (keys only, never causal), and
    A2DQwen2LMHeadModel = Qwen2ForCausalLM with its own lm_head (tied only if tie_word_embeddings).  The body
    is transformers' Qwen2 unchanged (same norms, q/k/v bias, no o bias).  Logits in place (dLLM's
    MDLMSampler right_shift_logits defaults to False)."""
    return open_dcoder_config(cfg)


def a2d_qwen3_config(cfg):
    """dLLM's A2D Qwen3 (model_type "a2d-qwen3"): ZHZisZZ/dllm dllm/pipelines/a2d/models/qwen3/modeling_qwen3.py
    at ca17675 over transformers' models/qwen3 (modeling_qwen3.py, configuration_qwen3.py).  Followed:
    Qwen3Config's defaults (head_dim 128 when absent, attention_bias False, tie_word_embeddings False,
    rope_theta 10000 or rope_parameters.rope_theta); Qwen3Attention: q_proj/k_proj/v_proj/o_proj all with
    bias = attention_bias, q_norm and k_norm (Qwen3RMSNorm over head_dim, one weight shared by the
    heads) on q and k viewed per head, before the rotary; o_proj from heads * head_dim, which may differ
    from hidden_size; the key-only bidirectional mask as a2d-qwen2.  Logits in place."""
    bias = bool(cfg.get("attention_bias", False))
    return _qwen(cfg, QWEN3_DEFAULTS, head_dim=cfg.get("head_dim") or QWEN3_DEFAULTS["head_dim"], qkv_bias=bias,
                 o_bias=bias, qk_norm=True, tie_word_embeddings=bool(cfg.get("tie_word_embeddings", False)))


def coda_config(cfg):
    """Salesforce CoDA (model_type "CoDA"): SalesforceAIResearch/CoDA CoDALanguageModel/modeling_coda.py,
    model_config.py, attention.py and modeling_utils.py at fa1d505.  Followed: CoDAConfig's defaults
    (head_dim 128, rope_theta 1000000, attention_bias False); CoDAAttention = Qwen3's (q_norm / k_norm over
    head_dim before the rotary, all four projections with bias = attention_bias) whose output is
    reshaped to hidden_size, so heads * head_dim must equal hidden_size; default_rope_frequencies in
    float32; AttentionModule calls SDPA with no mask and is_causal=False (CoDALanguageModel.forward
    passes attention_mask=None at inference: nothing is ever masked); lm_head is always its own weight
    (CoDALanguageModel defines no get_output_embeddings, so tie_word_embeddings, default true, ties
    nothing).  Its sampler (generation_utils.py) shifts the logits."""
    hd = cfg.get("head_dim") or CODA_DEFAULTS["head_dim"]
    heads = cfg.get("num_attention_heads") or CODA_DEFAULTS["num_attention_heads"]
    hidden = cfg.get("hidden_size") or CODA_DEFAULTS["hidden_size"]
    if heads * hd != hidden:
        raise ValueError(f"CoDA config: {heads} heads x head_dim {hd} != hidden_size {hidden} (CoDAAttention "
                         "reshapes the attention output to hidden_size)")
    if cfg.get("rope_scaling"):
        raise ValueError("CoDA config rope_scaling: CoDARotaryEmbedding raises NotImplementedError")
    bias = bool(cfg.get("attention_bias", False))
    return _qwen(cfg, CODA_DEFAULTS, head_dim=hd, qkv_bias=bias, o_bias=bias, qk_norm=True, tie_word_embeddings=False)


READERS = {"dream": dream_config, "open-dcoder": open_dcoder_config, "a2d-qwen2": a2d_qwen2_config,
           "coda": coda_config, "a2d-qwen3": a2d_qwen3_config, "llada": LLaDAConfig.from_hf}


def config_of(layout, cfg):
    return READERS[layout](cfg)


def network(layout, c):
    """The untrained torch network of a layout's config (`config_of`)."""
    model = LLaDABidir(c) if layout == "llada" else Qwen2Bidir(c)
    model.layout, model.shifted = layout, SHIFTED[layout]
    return model


def read_config(ck_dir):
    with open(os.path.join(ck_dir, "config.json")) as f:
        return json.load(f)


# Buffers some checkpoints carry that the network computes itself.
IGNORED_SUFFIXES = ("rotary_emb.inv_freq",)


def reference(ck_dir, state=None):
    """The torch network of the checkpoint folder (or with `state`, e.g. stored_weights(...), in place of
    its shards' weights), float32, in eval mode."""
    cfg = read_config(ck_dir)
    layout = detect(cfg)
    model = network(layout, config_of(layout, cfg))
    if state is None:
        state = load_weights(ck_dir)
    state = {k: v.float() for k, v in state.items() if not k.endswith(IGNORED_SUFFIXES)}
    c = model.config
    if isinstance(c, Qwen2Config) and c.tie_word_embeddings:
        state.pop("lm_head.weight", None)  # tied upstream: the embedding wins
    missing, unexpected = model.load_state_dict(state, strict=False)
    tied = ["lm_head.weight"] if isinstance(c, Qwen2Config) and c.tie_word_embeddings else []
    missing = [k for k in missing if k not in tied]
    if missing or unexpected:
        raise ValueError(f"{ck_dir}: the {layout} layout does not match the checkpoint: missing {missing[:8]}, "
                         f"unexpected {unexpected[:8]}")
    return model.eval()


def stored_weights(state, precision, block_size=32, exempt=()):
    """The weights as a graph of that precision holds them: every matrix rounded to float16
    (precision float16, and the `exempt` names at int8/int4) or block-quantized along its input
    dimension as quantize.py does (int8, int4), vectors in float32."""
    bits = {"int8": 8, "int4": 4}.get(precision)
    out = {}
    for k, w in state.items():
        w = w.float()
        if w.dim() == 2 and bits and k not in exempt:
            q, s = quantize_rows(w.numpy(), bits, block_size)
            w = torch.from_numpy(dequantize_rows(q, s, bits, w.shape[1]))
        elif w.dim() == 2 and precision != "float32":
            w = w.half().float()
        out[k] = w
    return out
