"""LLaDA's network in torch under LLaDA's own parameter names (ML-GSAI/LLaDA, modeling_llada.py, the
`llama` block): the reference the built graphs of the llada family are checked against.

A LLaMA block without a causal mask: attn_norm, q/k/v_proj (bias only with include_bias),
attn_out, ff_norm, ff_proj (the gate, through SiLU) times up_proj, ff_out; then ln_f and the output
layer `model.transformer.ff_out` (or the embedding, with weight_tying).  Logits are not shifted.
"""
import math
from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

from .qwen2_bidir import RMSNorm, rope_angles, rope_inv_freq, rotate_half


@dataclass
class LLaDAConfig:
    vocab_size: int = 300
    d_model: int = 64
    n_layers: int = 2
    n_heads: int = 4
    n_kv_heads: int = 4
    mlp_hidden_size: int = 96
    rope_theta: float = 500000.0
    rms_norm_eps: float = 1e-5
    weight_tying: bool = False
    include_bias: bool = False


class Block(nn.Module):
    def __init__(self, c: LLaDAConfig):
        super().__init__()
        self.nh, self.nkv, self.hd = c.n_heads, c.n_kv_heads, c.d_model // c.n_heads
        self.attn_norm = RMSNorm(c.d_model, c.rms_norm_eps)
        self.ff_norm = RMSNorm(c.d_model, c.rms_norm_eps)
        self.q_proj = nn.Linear(c.d_model, self.nh * self.hd, bias=c.include_bias)
        self.k_proj = nn.Linear(c.d_model, self.nkv * self.hd, bias=c.include_bias)
        self.v_proj = nn.Linear(c.d_model, self.nkv * self.hd, bias=c.include_bias)
        self.attn_out = nn.Linear(self.nh * self.hd, c.d_model, bias=False)
        self.ff_proj = nn.Linear(c.d_model, c.mlp_hidden_size, bias=False)
        self.up_proj = nn.Linear(c.d_model, c.mlp_hidden_size, bias=False)
        self.ff_out = nn.Linear(c.mlp_hidden_size, c.d_model, bias=False)

    def forward(self, x, cos, sin, bias):
        b, s, _ = x.shape
        h = self.attn_norm(x)
        q = self.q_proj(h).view(b, s, self.nh, self.hd).transpose(1, 2)
        k = self.k_proj(h).view(b, s, self.nkv, self.hd).transpose(1, 2)
        v = self.v_proj(h).view(b, s, self.nkv, self.hd).transpose(1, 2)
        q, k = q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin
        k = k.repeat_interleave(self.nh // self.nkv, dim=1)
        v = v.repeat_interleave(self.nh // self.nkv, dim=1)
        att = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(self.hd) + bias, dim=-1)
        x = x + self.attn_out((att @ v).transpose(1, 2).reshape(b, s, -1))
        h = self.ff_norm(x)
        return x + self.ff_out(F.silu(self.ff_proj(h)) * self.up_proj(h))


class Transformer(nn.Module):
    def __init__(self, c: LLaDAConfig):
        super().__init__()
        self.wte = nn.Embedding(c.vocab_size, c.d_model)
        self.blocks = nn.ModuleList([Block(c) for _ in range(c.n_layers)])
        self.ln_f = RMSNorm(c.d_model, c.rms_norm_eps)
        if not c.weight_tying:
            self.ff_out = nn.Linear(c.d_model, c.vocab_size, bias=False)


class Model(nn.Module):
    def __init__(self, c: LLaDAConfig):
        super().__init__()
        self.transformer = Transformer(c)


class LLaDABidir(nn.Module):
    """forward(input_ids, attention_mask, position_ids, logit_positions) as Qwen2Bidir's."""

    def __init__(self, c: LLaDAConfig):
        super().__init__()
        self.config = c
        self.model = Model(c)
        hd = c.d_model // c.n_heads
        self.register_buffer("inv_freq", rope_inv_freq(c.rope_theta, hd), persistent=False)

    def forward(self, input_ids, attention_mask=None, position_ids=None, logit_positions=None):
        t = self.model.transformer
        b, s = input_ids.shape
        if position_ids is None:
            position_ids = torch.arange(s).unsqueeze(0).expand(b, s)
        ang = rope_angles(position_ids, self.inv_freq)
        mask = torch.ones(b, s) if attention_mask is None else attention_mask.float()
        bias = (1.0 - mask)[:, None, None, :] * -1e9
        x = t.wte(input_ids)
        for block in t.blocks:
            x = block(x, ang.cos(), ang.sin(), bias)
        x = t.ln_f(x)
        if logit_positions is not None:
            x = torch.gather(x, 1, logit_positions.unsqueeze(-1).expand(-1, -1, x.shape[-1]))
        w = t.wte.weight if self.config.weight_tying else t.ff_out.weight
        return x @ w.T
