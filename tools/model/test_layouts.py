"""layouts.py and make_tiny_hf_checkpoint.py: each tiny checkpoint loads into its reference under the
upstream names, upstream's config defaults hold where config.json is silent, the refusals give their
reasons, the tokenizer files sit where the real repos put them, and stored_weights rounds as the graphs do.

  python3 -m tools.model.test_layouts

(The references were also run against the upstream modeling files themselves, which cannot ship
here; see the docstrings of layouts.py and llada_bidir.py for the files.)
"""
import json
import os
import sys
import tempfile

import numpy as np
import torch

from . import layouts
from . import make_tiny_hf_checkpoint as tiny
from .llada_bidir import LLaDAConfig
from .quantize import dequantize_rows, quantize_rows
from .safetensors_io import load_weights

CHECKS = []


def check(fn):
    CHECKS.append(fn)
    return fn


def run_reference(ck):
    ref = layouts.reference(ck)
    ids = torch.randint(0, 265, (2, 10), generator=torch.Generator().manual_seed(0))
    attn = torch.ones(2, 10, dtype=torch.long)
    attn[1, 7:] = 0
    with torch.no_grad():
        return ref, ref(ids, attn, logit_positions=torch.tensor([[0, 4], [1, 6]]))


@check
def every_layout_loads_under_upstream_names(tmp):
    for layout in tiny.LAYOUTS:
        for kind in ("json", "vocab-merges"):
            ck = os.path.join(tmp, f"{layout}-{kind}")
            state = tiny.make(ck, layout, tokenizer=kind)
            ref, logits = run_reference(ck)  # strict: a missing or unknown tensor raises
            facts = tiny.facts(layout)
            assert ref.shifted == facts["shifted"] and ref.layout == facts["network"], layout
            assert logits.shape == (2, 2, tiny.VOCAB) and torch.isfinite(logits).all(), layout
            assert set(state) == set(load_weights(ck)), layout


@check
def tied_output_layers(tmp):
    ck = os.path.join(tmp, "open-dcoder")
    state = tiny.make(ck, "open-dcoder")  # tied, as Qwen2.5-Coder-0.5B
    assert "lm_head.weight" not in state
    ref = layouts.reference(ck)
    assert ref.lm_head.weight.data_ptr() == ref.model.embed_tokens.weight.data_ptr()
    for layout in ("a2d-qwen2", "a2d-qwen3", "dream", "coda"):
        assert "lm_head.weight" in tiny.make(os.path.join(tmp, layout), layout), layout
    try:
        tiny.make(os.path.join(tmp, "coda-tied"), "coda", tied=True)
        raise AssertionError("a tied CoDA checkpoint was written")
    except ValueError:
        pass


@check
def upstream_defaults(tmp):
    c = LLaDAConfig.from_hf({"d_model": 64, "n_heads": 4, "n_layers": 1, "rope": True, "block_type": "llama",
                             "activation_type": "silu"})
    assert (c.layer_norm_type, c.mlp_width, c.weight_tying, c.rope_theta, c.kv_heads) == ("default", 256, True, 10000.0, 4)
    ck = os.path.join(tmp, "llada-defaults")
    tiny.make(ck, "llada", drop=("layer_norm_type", "mlp_hidden_size"))
    ref, _ = run_reference(ck)
    norm = ref.model.transformer.blocks[0].attn_norm
    assert norm.kind == "default" and norm.eps == 1e-5 and norm.bias is None  # LayerNorm, not RMSNorm
    assert ref.model.transformer.blocks[0].ff_proj.out_features == 4 * 64  # mlp_ratio * d_model
    for bad in ({"rope": False}, {"block_type": "llama", "activation_type": "swiglu", "rope": True}):
        try:
            LLaDAConfig.from_hf({"d_model": 64, "n_heads": 4, **bad})
            raise AssertionError(f"accepted {bad}")
        except ValueError:
            pass
    q3 = layouts.config_of("a2d-qwen3", {"hidden_size": 64, "num_attention_heads": 4, "num_hidden_layers": 1,
                                        "intermediate_size": 32, "vocab_size": 300})
    assert (q3.head_size, q3.qkv_bias, q3.qk_norm, q3.num_key_value_heads, q3.rope_theta) == (128, False, True, 32, 10000.0)
    coda = layouts.config_of("coda", {"hidden_size": 256, "num_attention_heads": 2, "tie_word_embeddings": True})
    assert (coda.head_size, coda.tie_word_embeddings, coda.rope_theta, coda.num_key_value_heads) == (128, False, 1e6, 8)
    dream = layouts.config_of("dream", {"hidden_size": 64, "num_attention_heads": 4, "num_key_value_heads": None,
                                        "rope_parameters": {"rope_type": "default", "rope_theta": 5.0}})
    assert (dream.head_size, dream.num_key_value_heads, dream.rope_theta, dream.qkv_bias, dream.o_bias) == (16, 4, 5.0, True, False)


@check
def refusals(tmp):
    for kind in tiny.REFUSED:
        ck = os.path.join(tmp, "refused-" + kind)
        reasons = tiny.make_refused(ck, kind)
        cfg = layouts.read_config(ck)
        try:
            layouts.detect(cfg)
            raise AssertionError(f"{kind} not refused")
        except layouts.Refused as e:
            assert e.reason in reasons and repr(cfg["model_type"]) in str(e), (kind, str(e))


@check
def tokenizer_files_where_the_repos_put_them(tmp):
    ck = os.path.join(tmp, "open-dcoder-vm")
    tiny.make(ck, "open-dcoder", tokenizer="vocab-merges")
    files = set(os.listdir(ck))
    assert {"vocab.json", "merges.txt", "tokenizer_config.json", "added_tokens.json"} <= files
    assert "tokenizer.json" not in files
    mask = tiny.facts("open-dcoder")["mask"]
    with open(os.path.join(ck, "added_tokens.json")) as f:
        assert json.load(f)["<M>"] == mask
    for name in ("config.json", "tokenizer_config.json", "generation_config.json"):
        with open(os.path.join(ck, name)) as f:
            text = f.read()
        doc = json.loads(text)
        ids = [v for k, v in doc.items() if k.endswith("token_id")] + list(doc.get("added_tokens_decoder", {}))
        assert "<M>" not in text and mask not in ids and str(mask) not in ids, name
    ck = os.path.join(tmp, "illada")
    tiny.make(ck, "illada")
    with open(os.path.join(ck, "config.json")) as f:
        assert json.load(f)["mask_token_id"] == 5
    with open(os.path.join(ck, "tokenizer.json")) as f:
        doc = json.load(f)
    assert {t["content"]: t["id"] for t in doc["added_tokens"]}["<|mdm_mask|>"] == 5 == doc["model"]["vocab"]["<|mdm_mask|>"]


@check
def stored_weights_round_as_the_graphs(tmp):
    w = torch.randn(8, 48)
    state = {"m.weight": w, "n.weight": torch.randn(48)}
    q, s = quantize_rows(w.numpy(), 4, 32)
    int4 = layouts.stored_weights(state, "int4", 32)
    assert np.array_equal(int4["m.weight"].numpy(), dequantize_rows(q, s, 4, 48))
    assert torch.equal(int4["n.weight"], state["n.weight"])  # vectors stay float32
    assert torch.equal(layouts.stored_weights(state, "float16")["m.weight"], w.half().float())
    assert torch.equal(layouts.stored_weights(state, "int8", 32, exempt={"m.weight"})["m.weight"], w.half().float())
    assert torch.equal(layouts.stored_weights(state, "float32")["m.weight"], w)


def main():
    torch.set_num_threads(1)
    failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        for fn in CHECKS:
            try:
                fn(tmp)
                print(f"  {fn.__name__}: OK")
            except Exception as e:  # noqa: BLE001 (report every check)
                failed += 1
                print(f"  {fn.__name__}: FAIL {type(e).__name__}: {e}")
    print(f"layouts: {len(CHECKS) - failed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
