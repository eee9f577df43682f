"""Bidirectional Qwen2 / Qwen3 network (Dream, DiffuCoder, Open-dCoder, dLLM's A2D models, CoDA) and its
ONNX export.

Parameter names follow the Hugging Face Qwen2 / Qwen3 checkpoints so that `load_state_dict` accepts
real weights unchanged.  The only architectural difference from Qwen2 is the missing causal mask:
diffusion LMs see the whole canvas.  The Qwen3 body is the same network with `qk_norm` (an RMSNorm
over each head's query and key before the rotary), a `head_dim` of its own and `attention_bias` on
all four projections instead of Qwen2's q/k/v bias; tools/model/layouts.py reads each upstream
configuration into these fields.
"""
import json
import math
import os
from dataclasses import dataclass, asdict
from typing import Optional

import numpy as np
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


PRECISIONS = ("float32", "float16", "int8")
# The sampler's default threshold (Fast-dLLM's rule) in the model folders the project writes, chosen
# on validation cases (eval_heldout.py --case-seed 1 --thresholds ...; see docs/model-folder.md).
THRESHOLD = 0.9


CACHE_NAMES = {"pastKey": "past_key.{layer}", "pastValue": "past_value.{layer}",
               "presentKey": "present_key.{layer}", "presentValue": "present_value.{layer}"}


def _graph_forward(model):
    """The traced forward: logits and each layer's present key and value (export_onnx appends the decision)."""
    layers = model.config.num_hidden_layers

    def forward(input_ids, attention_mask, position_ids, logit_positions, *past):
        presents = []
        logits = Qwen2Bidir.forward(model, input_ids, attention_mask, position_ids, logit_positions,
                                    past=[(past[2 * i], past[2 * i + 1]) for i in range(layers)], presents=presents)
        return (logits, *[t.float() for kv in presents for t in kv])
    return forward


def export_onnx(model: Qwen2Bidir, path: str, precision: str = "float32", opset: int = 14, external_data=None):
    """Export the graph of docs/model-folder.md: inputs input_ids, attention_mask, position_ids,
    logit_positions (int64) and each layer's past key and value; outputs float32 logits, the
    decision (onnx.decide) and each layer's present key and value (onnx.cache).

    The graph's weights are named after the module's parameters (`weights_from_onnx` reads them
    back).  precision float16 stores them as float16, which the graph turns back into float32
    (onnxruntime folds that once at load), so the arithmetic is float32 at half the file: torch 1.13
    cannot trace half precision on CPU, and onnxruntime's CPU provider lacks fp16 kernels for several
    ops.  int8 stores each matrix as int8 with a float32 scale per torch row and multiplies in int8,
    the activations quantized per call (int8_compute.py).  Graphs over 2 GB (protobuf limit) keep
    their weights in `model.onnx.data` beside the graph.
    """
    import onnx

    from . import decide_graph  # onnx is the exporter's; training needs neither

    if precision not in PRECISIONS:
        raise ValueError(f"precision {precision!r}: expected one of {', '.join(PRECISIONS)}")
    model.eval()
    out_dir = os.path.dirname(os.path.abspath(path))
    os.makedirs(out_dir, exist_ok=True)
    c = model.config
    hd = c.head_size
    # Traced with a non-empty past so that the concatenation is in the graph; a full pass feeds p = 0.
    ids = torch.zeros(1, 8, dtype=torch.long)
    mask = torch.ones(1, 3 + 8, dtype=torch.long)
    position_ids = torch.arange(3, 11).unsqueeze(0)
    pos = torch.tensor([[1, 2]], dtype=torch.long)
    past = [torch.zeros(1, c.num_key_value_heads, 3, hd) for _ in range(2 * c.num_hidden_layers)]
    names = [n.format(layer=i) for i in range(c.num_hidden_layers) for n in (CACHE_NAMES["pastKey"], CACHE_NAMES["pastValue"])]
    presents = [n.format(layer=i) for i in range(c.num_hidden_layers)
                for n in (CACHE_NAMES["presentKey"], CACHE_NAMES["presentValue"])]
    axes = {"input_ids": {0: "batch", 1: "seq"}, "position_ids": {0: "batch", 1: "seq"},
            "attention_mask": {0: "batch", 1: "keys"}, "logit_positions": {0: "batch", 1: "n"},
            "logits": {0: "batch", 1: "n"}}
    axes.update({n: {0: "batch", 2: "past"} for n in names})
    axes.update({n: {0: "batch", 2: "seq"} for n in presents})
    tmp_dir = os.path.join(out_dir, ".export-tmp")
    os.makedirs(tmp_dir, exist_ok=True)
    tmp = os.path.join(tmp_dir, "model.onnx")
    model.forward = _graph_forward(model)
    try:
        with torch.no_grad():
            torch.onnx.export(
                model, (ids, mask, position_ids, pos, *past), tmp,
                input_names=["input_ids", "attention_mask", "position_ids", "logit_positions", *names],
                output_names=["logits", *presents],
                dynamic_axes=axes, opset_version=opset, do_constant_folding=True)
    finally:
        del model.forward  # the instance attribute goes; the class's forward is back
    m = onnx.load(tmp)  # also pulls in any per-tensor files torch wrote for a >2 GB graph
    _name_weights(m, model)
    if precision != "float32":
        _store_weights(m, precision)
    decide_graph.append_to_model(m, "logits", model.config.vocab_size)
    nbytes = sum(len(t.raw_data) for t in m.graph.initializer)
    for f in os.listdir(tmp_dir):
        os.remove(os.path.join(tmp_dir, f))
    os.rmdir(tmp_dir)
    data = path + ".data"
    if os.path.exists(data):
        os.remove(data)
    if external_data is None:
        external_data = nbytes > 1.9e9
    if external_data:
        onnx.save_model(m, path, save_as_external_data=True, all_tensors_to_one_file=True,
                        location=os.path.basename(data), size_threshold=1024)
    else:
        onnx.save_model(m, path)
    return nbytes


# A weight the graph holds transposed (torch stores Linear weights [out, in]; MatMul wants [in, out]).
TRANSPOSED = "::T"
ALIASES = "diffusion_infill.weight_aliases"
STORED = ("__fp16", "__int8", "__scale")


def _rename_input(m, old, new):
    for node in m.graph.node:
        for i, x in enumerate(node.input):
            if x == old:
                node.input[i] = new


def _name_weights(m, model):
    """Names each float initializer after the parameter it holds (torch's constant folding calls the
    transposed ones `onnx::MatMul_N`), and replaces a transposed copy of a weight the graph also
    holds as it is (the tied embedding) by a Transpose node, so it is stored once."""
    import onnx
    import onnx.numpy_helper as nh

    state = model.state_dict()
    by_bits = {}  # the first name of a tied weight wins: the embedding, not lm_head
    for name, p in state.items():
        a = p.detach().float().numpy()
        by_bits.setdefault((a.shape, a.tobytes()), name)
        if a.ndim == 2:
            by_bits.setdefault((a.T.shape, np.ascontiguousarray(a.T).tobytes()), name + TRANSPOSED)
    renames = {}
    for t in m.graph.initializer:
        a = nh.to_array(t)
        name = by_bits.get((a.shape, a.astype(np.float32).tobytes())) if a.dtype == np.float32 else None
        if name and name not in renames.values():
            renames[t.name] = name
    for t in m.graph.initializer:
        if t.name in renames:
            _rename_input(m, t.name, renames[t.name])
            t.name = renames[t.name]
    names = {t.name for t in m.graph.initializer}
    twins = [t for t in m.graph.initializer if t.name.endswith(TRANSPOSED) and t.name[:-len(TRANSPOSED)] in names]
    for t in twins:
        m.graph.initializer.remove(t)
    _prepend(m, [onnx.helper.make_node("Transpose", [t.name[:-len(TRANSPOSED)]], [t.name], perm=[1, 0],
                                         name="transpose_" + t.name) for t in twins])
    # torch stores equal tensors once (tied weights, norms still at their initial ones): record which
    # parameter another one's values are stored under.
    held = {t.name for t in m.graph.initializer}
    aliases = {}
    for name, p in state.items():
        if name not in held:
            a = p.detach().float().numpy()
            aliases[name] = by_bits[(a.shape, a.tobytes())]
    onnx.helper.set_model_props(m, {ALIASES: json.dumps(aliases)})


def _prepend(m, nodes):
    rest = list(m.graph.node)
    del m.graph.node[:]
    m.graph.node.extend(nodes + rest)


def _store_weights(m, precision):
    """Stores each weight matrix as float16 behind a Cast to float32 under its old name, or as int8 with
    a float32 scale per torch row that the graph multiplies in int8 (int8_compute.py)."""
    import onnx
    import onnx.numpy_helper as nh

    from . import int8_compute

    nodes, int8 = [], {}
    for t in list(m.graph.initializer):
        if t.data_type != onnx.TensorProto.FLOAT or len(t.dims) < 1 or int(math.prod(t.dims)) < 16:
            continue
        name = t.name
        if precision == "int8" and len(t.dims) == 2:
            int8[name] = name.endswith(TRANSPOSED)
            int8_compute.store(m, t, axis=0 if int8[name] else 1)  # one scale per torch row
        else:
            t.CopyFrom(nh.from_array(nh.to_array(t).astype("float16"), name + "__fp16"))
            nodes.append(onnx.helper.make_node("Cast", [name + "__fp16"], [name], to=onnx.TensorProto.FLOAT,
                                               name="cast_" + name))
    if int8:
        nodes += int8_compute.rewrite(m, int8)
    _prepend(m, nodes)


def weights_from_onnx(path):
    """The parameters an `export_onnx` graph holds, as float32 tensors under their module names
    (dequantized, in torch's orientation); None for a graph whose weights are not named so."""
    import onnx
    import onnx.numpy_helper as nh

    m = onnx.load(path)
    raw = {t.name: nh.to_array(t) for t in m.graph.initializer}
    out = {}
    for name, a in raw.items():
        if name.endswith("__scale"):
            continue
        base = name
        for suffix in STORED:
            base = base[:-len(suffix)] if base.endswith(suffix) else base
        if name.endswith("__int8"):  # the scale per torch row: a column of the transposed ones
            a = a.astype(np.float32) * raw[base + "__scale"].reshape((1, -1) if base.endswith(TRANSPOSED) else (-1, 1))
        a = a.astype(np.float32)
        if base.endswith(TRANSPOSED):
            base, a = base[:-len(TRANSPOSED)], a.T
        if base.startswith("model.") or base.startswith("lm_head."):  # not torch's folded constants
            out[base] = torch.from_numpy(np.ascontiguousarray(a))
    props = {p.key: p.value for p in m.metadata_props}
    if ALIASES not in props:
        return None
    for name, held in json.loads(props[ALIASES]).items():
        out[name] = out[held]
    return out


def onnx_section(c: Qwen2Config):
    """model.json's `onnx` for a graph export_onnx wrote from a model of config c."""
    from . import decide_graph

    return {
        "file": "model.onnx",
        "inputs": {"inputIds": "input_ids", "attentionMask": "attention_mask",
                   "positionIds": "position_ids", "logitPositions": "logit_positions"},
        "output": "logits",
        "cache": {"layers": c.num_hidden_layers, "kvHeads": c.num_key_value_heads,
                  "headDim": c.head_size, "ropeTheta": c.rope_theta, **CACHE_NAMES},
        "decide": dict(decide_graph.NAMES),
    }


def write_model_json(out_dir, **fields):
    """fields: model.json's, and `config`, the Qwen2Config the graph was exported from."""
    doc = {
        "format": "diffusion-infill-model/1",
        "name": fields["name"],
        "family": fields.get("family", "dream"),
        "vocabSize": fields["vocabSize"],
        "maxContext": fields["maxContext"],
        "maskTokenId": fields["maskTokenId"],
        "eosTokenId": fields["eosTokenId"],
        "padTokenId": fields["padTokenId"],
        "bosTokenId": fields.get("bosTokenId"),
        "sampler": fields.get("sampler", {"steps": 16, "alg": "entropy", "temperature": 0, "topP": 1,
                                          "topK": 0, "algTemp": 0, "threshold": THRESHOLD, "blockLength": None}),
        # Real checkpoints learned from text tokenized whole: heal the hole boundaries.
        "tokenHealing": fields.get("tokenHealing", True),
        "onnx": onnx_section(fields["config"]),
        "precision": fields.get("precision", "float32"),
        "source": fields.get("source", ""),
    }
    with open(os.path.join(out_dir, "model.json"), "w") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")
    return doc
