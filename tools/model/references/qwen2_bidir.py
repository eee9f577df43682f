"""Bidirectional Qwen2 / Qwen3 network (Dream, DiffuCoder, Open-dCoder, dLLM's A2D models, CoDA): the
training run's network and the torch reference the built graphs are held to.

Parameter names follow the Hugging Face Qwen2 / Qwen3 checkpoints so that `load_state_dict` accepts
real weights unchanged.  The only architectural difference from Qwen2 is the missing causal mask:
diffusion LMs see the whole canvas.  The Qwen3 body is the same network with `qk_norm` (an RMSNorm
over each head's query and key before the rotary), a `head_dim` of its own and `attention_bias` on
all four projections instead of Qwen2's q/k/v bias; tools/model/references/layouts.py reads each upstream
configuration into these fields.
"""
import math
from dataclasses import dataclass, asdict
from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F


# torch 2's fused attention; Debian's torch 1.13 (the exporter's) has none.
FUSED_ATTENTION = hasattr(F, "scaled_dot_product_attention")


@dataclass
class Qwen2Config:
    vocab_size: int = 260
    hidden_size: int = 32
    num_hidden_layers: int = 2
    num_attention_heads: int = 4
    num_key_value_heads: int = 2
    intermediate_size: int = 64
    rope_theta: float = 10000.0
    rms_norm_eps: float = 1e-6
    tie_word_embeddings: bool = True
    max_position_embeddings: int = 512
    head_dim: Optional[int] = None  # None: hidden_size // num_attention_heads
    qkv_bias: bool = True  # Qwen2's q/k/v biases
    o_bias: bool = False
    qk_norm: bool = False  # Qwen3's q_norm / k_norm
    hidden_act: str = "silu"

    @property
    def head_size(self):
        return self.head_dim or self.hidden_size // self.num_attention_heads

    @classmethod
    def from_hf(cls, cfg: dict) -> "Qwen2Config":
        names = cls.__dataclass_fields__.keys()
        return cls(**{k: cfg[k] for k in names if k in cfg})

    def to_dict(self):
        return asdict(self)


class RMSNorm(nn.Module):
    def __init__(self, dim, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim))
        self.eps = eps

    def forward(self, x):
        # Normalise in float32 like HF does, so fp16 graphs don't overflow in the square.
        dtype = x.dtype
        x = x.float()
        x = x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps)
        return self.weight * x.to(dtype)


# transformers' ACT2FN entries that real configs name.
ACTIVATIONS = {"silu": F.silu, "swish": F.silu, "relu": F.relu, "gelu": F.gelu,
               "gelu_pytorch_tanh": lambda x: F.gelu(x, approximate="tanh"),
               "gelu_new": lambda x: F.gelu(x, approximate="tanh")}


def rotate_half(x):
    h = x.shape[-1] // 2
    return torch.cat((-x[..., h:], x[..., :h]), dim=-1)


def rope_inv_freq(theta, head_dim):
    """In float32 step by step as transformers' default rope and LLaDA's RotaryEmbedding compute it:
    the exponent 2i/d rounded to float32, theta to its power in float32, then the reciprocal."""
    return 1.0 / (theta ** (torch.arange(0, head_dim, 2, dtype=torch.int64).float() / head_dim))


def rope_angles(position_ids, inv_freq):
    """[b, 1, s, hd]: each pair's angle, in both halves as rotate_half pairs them."""
    ang = position_ids.float().unsqueeze(-1) * inv_freq  # [b, s, hd/2]
    return torch.cat((ang, ang), dim=-1).unsqueeze(1)


class Attention(nn.Module):
    def __init__(self, c: Qwen2Config):
        super().__init__()
        self.nh = c.num_attention_heads
        self.nkv = c.num_key_value_heads
        self.hd = c.head_size
        self.q_proj = nn.Linear(c.hidden_size, self.nh * self.hd, bias=c.qkv_bias)
        self.k_proj = nn.Linear(c.hidden_size, self.nkv * self.hd, bias=c.qkv_bias)
        self.v_proj = nn.Linear(c.hidden_size, self.nkv * self.hd, bias=c.qkv_bias)
        self.o_proj = nn.Linear(self.nh * self.hd, c.hidden_size, bias=c.o_bias)
        if c.qk_norm:
            self.q_norm = RMSNorm(self.hd, c.rms_norm_eps)
            self.k_norm = RMSNorm(self.hd, c.rms_norm_eps)

    def forward(self, x, cos, sin, bias, causal=False, past=None, presents=None):
        """past: the cached (key, value) of other positions, [b, nkv, p, hd] each, keys already rotated;
        presents: a list that receives this call's own (key, value)."""
        b, s, _ = x.shape
        q = self.q_proj(x).view(b, s, self.nh, self.hd)
        k = self.k_proj(x).view(b, s, self.nkv, self.hd)
        if hasattr(self, "q_norm"):
            q, k = self.q_norm(q), self.k_norm(k)
        q, k = q.transpose(1, 2), k.transpose(1, 2)
        v = self.v_proj(x).view(b, s, self.nkv, self.hd).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        if presents is not None:
            presents.append((k, v))
        if past is not None:
            # A copy of the past a step, and still cheaper than scoring the past in place and merging two
            # softmaxes: that makes more passes over the scores, which outgrow the keys (a key head scores
            # the rows of its whole query group).
            k = torch.cat((past[0].to(k.dtype), k), dim=2)
            v = torch.cat((past[1].to(v.dtype), v), dim=2)
        if FUSED_ATTENTION and not torch.onnx.is_in_onnx_export():
            return self.o_proj(self._fused(q, k, v, bias, causal))
        # Explicit softmax attention: exports to plain ONNX ops on opset 14.  A query head reads key
        # head h // group (HF's repeat_kv): the group's query heads are taken as more rows of their
        # key head, so no key or value is copied per head.  Scores in float32 so fp16 graphs stay stable.
        group = self.nh // self.nkv
        q = q.float().reshape(b, self.nkv, group * s, self.hd) * (1.0 / math.sqrt(self.hd))
        att = torch.matmul(q, k.float().transpose(-1, -2))
        if bias is not None:
            if causal and group > 1:  # a causal bias differs by query row: the same for each head of a group
                bias = bias.repeat(1, 1, group, 1)
            att = att + bias
        y = torch.matmul(torch.softmax(att, dim=-1).to(v.dtype), v)
        return self.o_proj(y.reshape(b, self.nh, s, self.hd).transpose(1, 2).reshape(b, s, self.nh * self.hd))

    def _fused(self, q, k, v, bias, causal):
        """Training on a GPU: PyTorch's fused kernels (flash attention when nothing is masked)."""
        b, _, s, _ = q.shape
        if self.nkv != self.nh:
            # The kernels want a key head per query head: each key head repeated over its group.
            keys, rep = k.shape[2], self.nh // self.nkv
            k = k[:, :, None].expand(b, self.nkv, rep, keys, self.hd).reshape(b, self.nh, keys, self.hd)
            v = v[:, :, None].expand(b, self.nkv, rep, keys, self.hd).reshape(b, self.nh, keys, self.hd)
        q, k = q.to(v.dtype), k.to(v.dtype)  # rotary ran in float32; the kernels want one dtype
        y = F.scaled_dot_product_attention(q, k, v, attn_mask=None if bias is None else bias.to(v.dtype),
                                           is_causal=causal and bias is None)
        return y.transpose(1, 2).reshape(b, s, self.nh * self.hd)


class MLP(nn.Module):
    def __init__(self, c: Qwen2Config):
        super().__init__()
        self.gate_proj = nn.Linear(c.hidden_size, c.intermediate_size, bias=False)
        self.up_proj = nn.Linear(c.hidden_size, c.intermediate_size, bias=False)
        self.down_proj = nn.Linear(c.intermediate_size, c.hidden_size, bias=False)
        if c.hidden_act not in ACTIVATIONS:
            raise ValueError(f"hidden_act {c.hidden_act!r}: expected one of {', '.join(ACTIVATIONS)}")
        self.act = ACTIVATIONS[c.hidden_act]

    def forward(self, x):
        return self.down_proj(self.act(self.gate_proj(x)) * self.up_proj(x))


class Layer(nn.Module):
    def __init__(self, c: Qwen2Config):
        super().__init__()
        self.self_attn = Attention(c)
        self.mlp = MLP(c)
        self.input_layernorm = RMSNorm(c.hidden_size, c.rms_norm_eps)
        self.post_attention_layernorm = RMSNorm(c.hidden_size, c.rms_norm_eps)

    def forward(self, x, cos, sin, bias, causal=False, past=None, presents=None):
        x = x + self.self_attn(self.input_layernorm(x), cos, sin, bias, causal, past, presents)
        return x + self.mlp(self.post_attention_layernorm(x))


class Backbone(nn.Module):
    def __init__(self, c: Qwen2Config):
        super().__init__()
        self.embed_tokens = nn.Embedding(c.vocab_size, c.hidden_size)
        self.layers = nn.ModuleList([Layer(c) for _ in range(c.num_hidden_layers)])
        self.norm = RMSNorm(c.hidden_size, c.rms_norm_eps)


class Qwen2Bidir(nn.Module):
    def __init__(self, c: Qwen2Config):
        super().__init__()
        self.config = c
        self.model = Backbone(c)
        self.lm_head = nn.Linear(c.hidden_size, c.vocab_size, bias=False)
        if c.tie_word_embeddings:
            self.lm_head.weight = self.model.embed_tokens.weight
        inv = rope_inv_freq(c.rope_theta, c.head_size)
        # Not a checkpoint tensor: persistent=False keeps load_state_dict strict-compatible.
        self.register_buffer("inv_freq", inv, persistent=False)

    def hidden(self, input_ids, attention_mask=None, position_ids=None, causal=False, past=None, presents=None):
        """causal=True is for training only (auto-regressive warm-up steps); the export never uses it.
        past: per layer the cached (key, value) of the positions not run now, with attention_mask
        over [past, these] keys (docs/model-folder.md, onnx.cache); presents receives each layer's."""
        b, s = input_ids.shape
        if position_ids is None:
            position_ids = torch.arange(s, device=input_ids.device).unsqueeze(0).expand(b, s)
        ang = rope_angles(position_ids, self.inv_freq)
        x = self.model.embed_tokens(input_ids)
        cos, sin = ang.cos().to(x.dtype), ang.sin().to(x.dtype)
        bias = None
        if attention_mask is not None:
            # Padding keys get a large negative score; finite so an all-pad row can't NaN.
            bias = (1.0 - attention_mask.float())[:, None, None, :] * -1e9
        if causal and (bias is not None or not FUSED_ATTENTION):
            tri = torch.triu(torch.full((s, s), -1e9, device=input_ids.device), 1)[None, None]
            bias = tri if bias is None else bias + tri
        for i, layer in enumerate(self.model.layers):
            x = layer(x, cos, sin, bias, causal, None if past is None else past[i], presents)
        return self.model.norm(x)

    def forward(self, input_ids, attention_mask=None, position_ids=None, logit_positions=None, past=None, presents=None):
        h = self.hidden(input_ids, attention_mask, position_ids, past=past, presents=presents)
        if logit_positions is not None:
            idx = logit_positions.unsqueeze(-1).expand(-1, -1, h.shape[-1])
            h = torch.gather(h, 1, idx)
        return self.lm_head(h).float()
