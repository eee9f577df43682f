"""LLaDA's network in torch under LLaDA's own parameter names: the reference the built graphs of LLaDA
checkpoints (LLaDA-8B, LLaDA 1.5, iLLaDA) are checked against.

Upstream: ML-GSAI's modeling_llada.py and configuration_llada.py as published with GSAI-ML/LLaDA-8B-*
(read in the copies ZHZisZZ/dllm dllm/pipelines/llada/models/ at ca17675 and NVlabs/Fast-dLLM
llada/model/ at 24cc59e, whose ModelConfig defaults agree).  Followed here:

- every default of configuration_llada.ModelConfig (`LLaDAConfig` below): a config.json field that is
  absent takes upstream's value, e.g. layer_norm_type "default" (LayerNorm, not RMSNorm),
  block_type "sequential", activation_type "swiglu", mlp_hidden_size = mlp_ratio * d_model,
  weight_tying True, rope False, rope_theta 10000, embedding_size 50304;
- LayerNormBase: a norm has a weight when layer_norm_with_affine and a bias when
  bias_for_layer_norm (None: include_bias) says so; the "default" and "low_precision" LayerNorm
  use eps 1e-5 whatever rms_norm_eps says, "rms" and "gemma_rms" use rms_norm_eps; gemma_rms
  scales by (1 + weight);
- LLaDALlamaBlock (q/k/v_proj, attn_out, ff_proj through the activation times up_proj, ff_out)
  and LLaDASequentialBlock (fused att_proj split q|k|v, ff_proj through the activation, where
  swiglu halves the width: silu of the second half times the first, then ff_out);
- biases: q/k/v (att_proj) with include_bias or include_qkv_bias; attn_out, ff_proj, up_proj,
  ff_out and the output layer with include_bias;
- attention_layer_norm: q_norm over d_model and k_norm over the key width, before the heads are
  split and before the rotary, affine per attention_layer_norm_with_affine;
- input_emb_norm (embeddings times sqrt(d_model)), scale_logits (logits over sqrt(d_model)),
  multi_query_attention through effective_n_kv_heads, the output layer `transformer.ff_out`
  (or the embedding with weight_tying) as wide as embedding_size (or vocab_size);
- the rotary: inv_freq = 1 / theta ** (arange(0, d, 2, float32) / d) in float32, the angle
  position * inv_freq in float32, rotate_half over the two halves of each head, at float32
  whatever rope_full_precision says (this reference runs in float32);
- the attention mask masks keys (a 0 in `attention_mask` adds finfo.min to that key's scores);
  attention is never causal (LLaDABlock's "MDM set causal to False").

Refused, as upstream cannot run them (its forward asserts, or the shapes do not fit): rope false,
alibi, a "llama" block with the swiglu activation, an unknown block or norm type.  Positions come from
`position_ids` (the graph contract); upstream always numbers the canvas 0..n-1.  Logits are not shifted.
"""
import math
from dataclasses import dataclass, fields
from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F

from .qwen2_bidir import rope_angles, rope_inv_freq, rotate_half

# LayerNorm's eps when layer_norm_type is "default" or "low_precision" (LayerNorm.__init__'s default;
# LayerNormBase.build does not pass rms_norm_eps to it).
LAYER_NORM_EPS = 1e-5


@dataclass
class LLaDAConfig:
    """configuration_llada.ModelConfig's fields that shape the forward pass, with its defaults."""
    d_model: int = 768
    n_heads: int = 12
    n_kv_heads: Optional[int] = None
    n_layers: int = 12
    mlp_ratio: int = 4
    mlp_hidden_size: Optional[int] = None
    activation_type: str = "swiglu"
    block_type: str = "sequential"
    block_group_size: int = 1
    alibi: bool = False
    rope: bool = False
    rope_full_precision: bool = True
    multi_query_attention: Optional[bool] = None
    attention_layer_norm: bool = False
    input_emb_norm: bool = False
    layer_norm_type: str = "default"
    layer_norm_with_affine: bool = True
    rms_norm_eps: float = 1e-05
    attention_layer_norm_with_affine: bool = True
    max_sequence_length: int = 1024
    rope_theta: float = 10000.0
    include_qkv_bias: Optional[bool] = False
    include_bias: bool = False
    bias_for_layer_norm: Optional[bool] = None
    scale_logits: bool = False
    vocab_size: int = 50257
    embedding_size: Optional[int] = 50304
    weight_tying: bool = True

    @classmethod
    def from_hf(cls, cfg: dict) -> "LLaDAConfig":
        """As LLaDAConfig.__init__ does: upstream's defaults, updated by the fields config.json has."""
        names = {f.name for f in fields(cls)}
        c = cls(**{k: v for k, v in cfg.items() if k in names})
        c.check()
        return c

    @property
    def kv_heads(self):
        """ModelConfig.effective_n_kv_heads."""
        if self.n_kv_heads is None:
            return 1 if self.multi_query_attention is True else self.n_heads
        if self.multi_query_attention is None:
            return self.n_kv_heads
        want = 1 if self.multi_query_attention else self.n_heads
        if self.n_kv_heads != want:
            raise ValueError("LLaDA config: multi_query_attention and n_kv_heads disagree")
        return want

    @property
    def head_dim(self):
        return self.d_model // self.n_heads

    @property
    def mlp_width(self):
        return self.mlp_hidden_size if self.mlp_hidden_size is not None else self.mlp_ratio * self.d_model

    @property
    def output_width(self):
        return self.embedding_size or self.vocab_size

    @property
    def norm_bias(self):
        return self.include_bias if self.bias_for_layer_norm is None else self.bias_for_layer_norm

    def check(self):
        bad = []
        if not self.rope:
            bad.append("rope is false (upstream's forward asserts `Rope must be used`)")
        if self.alibi:
            bad.append("alibi is true (upstream's forward asserts it is not)")
        if self.block_type not in ("sequential", "llama"):
            bad.append(f"block_type {self.block_type!r}")
        if self.layer_norm_type not in ("default", "low_precision", "rms", "gemma_rms"):
            bad.append(f"layer_norm_type {self.layer_norm_type!r}")
        if self.activation_type not in ("gelu", "relu", "silu", "swiglu"):
            bad.append(f"activation_type {self.activation_type!r}")
        if self.block_type == "llama" and self.activation_type == "swiglu":
            bad.append("a llama block with activation swiglu (upstream multiplies a half-width ff_proj by up_proj)")
        if self.d_model % self.n_heads:
            bad.append(f"d_model {self.d_model} is not a multiple of n_heads {self.n_heads}")
        if self.embedding_size is not None and self.embedding_size < self.vocab_size:
            bad.append(f"embedding_size {self.embedding_size} < vocab_size {self.vocab_size}")
        if bad:
            raise ValueError("LLaDA config: " + "; ".join(bad))
        _ = self.kv_heads  # raises on a contradiction


class Norm(nn.Module):
    """LLaDA's LayerNorm / RMSLayerNorm / GemmaRMSLayerNorm (LayerNormBase.build) over `size`."""

    def __init__(self, c: LLaDAConfig, size, affine):
        super().__init__()
        self.kind, self.size = c.layer_norm_type, size
        self.eps = LAYER_NORM_EPS if self.kind in ("default", "low_precision") else c.rms_norm_eps
        if affine:
            self.weight = nn.Parameter(torch.ones(size))
            self.bias = nn.Parameter(torch.zeros(size)) if c.norm_bias else None
        else:
            self.weight = self.bias = None

    def forward(self, x):
        if self.kind in ("default", "low_precision"):
            return F.layer_norm(x, (self.size,), self.weight, self.bias, self.eps)
        dtype = x.dtype
        x = x.float()
        x = (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps)).to(dtype)
        if self.weight is None:
            return x
        w = 1 + self.weight if self.kind == "gemma_rms" else self.weight
        return x * w + self.bias if self.bias is not None else x * w


def activation(name, x):
    if name == "swiglu":
        x, gate = x.chunk(2, dim=-1)
        return F.silu(gate) * x
    return {"gelu": F.gelu, "relu": F.relu, "silu": F.silu}[name](x)


class Block(nn.Module):
    def __init__(self, c: LLaDAConfig):
        super().__init__()
        self.c = c
        d, hd, nkv = c.d_model, c.head_dim, c.kv_heads
        qkv_bias = bool(c.include_bias or c.include_qkv_bias)
        self.attn_norm = Norm(c, d, c.layer_norm_with_affine)
        self.ff_norm = Norm(c, d, c.layer_norm_with_affine)
        if c.attention_layer_norm:
            self.q_norm = Norm(c, d, c.attention_layer_norm_with_affine)
            self.k_norm = Norm(c, nkv * hd, c.attention_layer_norm_with_affine)
        if c.block_type == "llama":
            self.q_proj = nn.Linear(d, d, bias=qkv_bias)
            self.k_proj = nn.Linear(d, nkv * hd, bias=qkv_bias)
            self.v_proj = nn.Linear(d, nkv * hd, bias=qkv_bias)
            self.up_proj = nn.Linear(d, c.mlp_width, bias=c.include_bias)
        else:
            self.att_proj = nn.Linear(d, d + 2 * nkv * hd, bias=qkv_bias)
        self.attn_out = nn.Linear(d, d, bias=c.include_bias)
        self.ff_proj = nn.Linear(d, c.mlp_width, bias=c.include_bias)
        ff_in = c.mlp_width // 2 if c.activation_type == "swiglu" else c.mlp_width
        self.ff_out = nn.Linear(ff_in, d, bias=c.include_bias)

    def forward(self, x, cos, sin, bias):
        c = self.c
        b, s, _ = x.shape
        nh, nkv, hd = c.n_heads, c.kv_heads, c.head_dim
        h = self.attn_norm(x)
        if c.block_type == "llama":
            q, k, v = self.q_proj(h), self.k_proj(h), self.v_proj(h)
        else:
            q, k, v = self.att_proj(h).split((c.d_model, nkv * hd, nkv * hd), dim=-1)
        if c.attention_layer_norm:
            q, k = self.q_norm(q), self.k_norm(k)
        q = q.view(b, s, nh, hd).transpose(1, 2)
        k = k.view(b, s, nkv, hd).transpose(1, 2)
        v = v.view(b, s, nkv, hd).transpose(1, 2)
        q, k = q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin
        k = k.repeat_interleave(nh // nkv, dim=1)
        v = v.repeat_interleave(nh // nkv, dim=1)
        att = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(hd) + bias, dim=-1)
        x = x + self.attn_out((att @ v).transpose(1, 2).reshape(b, s, c.d_model))
        h = self.ff_norm(x)
        if c.block_type == "llama":
            return x + self.ff_out(activation(c.activation_type, self.ff_proj(h)) * self.up_proj(h))
        return x + self.ff_out(activation(c.activation_type, self.ff_proj(h)))


class Transformer(nn.Module):
    def __init__(self, c: LLaDAConfig):
        super().__init__()
        self.wte = nn.Embedding(c.output_width, c.d_model)
        self.blocks = nn.ModuleList([Block(c) for _ in range(c.n_layers)])
        self.ln_f = Norm(c, c.d_model, c.layer_norm_with_affine)
        if not c.weight_tying:
            self.ff_out = nn.Linear(c.d_model, c.output_width, bias=c.include_bias)


class Model(nn.Module):
    def __init__(self, c: LLaDAConfig):
        super().__init__()
        self.transformer = Transformer(c)


class LLaDABidir(nn.Module):
    """forward(input_ids, attention_mask, position_ids, logit_positions) as Qwen2Bidir's."""

    def __init__(self, c: LLaDAConfig):
        super().__init__()
        c.check()
        self.config = c
        self.model = Model(c)
        self.register_buffer("inv_freq", rope_inv_freq(c.rope_theta, c.head_dim), persistent=False)

    def load_state_dict(self, state, strict=True):
        """Accepts upstream's names with block_group_size > 1 (transformer.block_groups.G.J.*) too."""
        n = self.config.block_group_size
        if n > 1:
            state = {_ungroup(k, n): v for k, v in state.items()}
        return super().load_state_dict(state, strict=strict)

    def forward(self, input_ids, attention_mask=None, position_ids=None, logit_positions=None):
        c, t = self.config, self.model.transformer
        b, s = input_ids.shape
        if position_ids is None:
            position_ids = torch.arange(s).unsqueeze(0).expand(b, s)
        ang = rope_angles(position_ids, self.inv_freq)
        mask = torch.ones(b, s) if attention_mask is None else attention_mask.float()
        bias = (1.0 - mask)[:, None, None, :] * torch.finfo(torch.float32).min
        x = t.wte(input_ids)
        if c.input_emb_norm:
            x = x * c.d_model ** 0.5
        for block in t.blocks:
            x = block(x, ang.cos(), ang.sin(), bias)
        x = t.ln_f(x)
        if logit_positions is not None:
            x = torch.gather(x, 1, logit_positions.unsqueeze(-1).expand(-1, -1, x.shape[-1]))
        logits = F.linear(x, t.wte.weight) if c.weight_tying else t.ff_out(x)
        return logits * (1 / math.sqrt(c.d_model)) if c.scale_logits else logits


def _ungroup(name, n):
    parts = name.split(".")
    if parts[:3] == ["model", "transformer", "block_groups"] and len(parts) > 5:
        return ".".join(["model", "transformer", "blocks", str(int(parts[3]) * n + int(parts[4]))] + parts[5:])
    return name
