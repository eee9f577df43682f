"""references/layouts.py and references/make_tiny_hf_checkpoint.py: each tiny checkpoint loads into its
reference under the upstream names, upstream's config defaults hold where config.json is silent, the
refusals give their reasons, the tokenizer files sit where the real repos put them, and stored_weights
rounds as the graphs do.

  python3 -m unittest tools.model.tests.test_layouts

(The references were also run against the upstream modeling files themselves, which cannot ship
here; see the docstrings of layouts.py and llada_bidir.py for the files.)
"""
import json
import os

import numpy as np
import torch

from ..references import layouts
from ..references import make_tiny_hf_checkpoint as tiny
from ..references.llada_bidir import LLaDAConfig
from ..references.quantize import dequantize_rows, quantize_rows
from ..references.safetensors_io import load_weights
from .support import WorkDir


def run_reference(ck):
    ref = layouts.reference(ck)
    ids = torch.randint(0, 265, (2, 10), generator=torch.Generator().manual_seed(0))
    attn = torch.ones(2, 10, dtype=torch.long)
    attn[1, 7:] = 0
    with torch.no_grad():
        return ref, ref(ids, attn, logit_positions=torch.tensor([[0, 4], [1, 6]]))


class Layouts(WorkDir):
    def test_every_layout_loads_under_upstream_names(self):
        for layout in tiny.LAYOUTS:
            for kind in ("json", "vocab-merges"):
                with self.subTest(layout=layout, tokenizer=kind):
                    ck = os.path.join(self.tmp, f"{layout}-{kind}")
                    state = tiny.make(ck, layout, tokenizer=kind)
                    ref, logits = run_reference(ck)  # strict: a missing or unknown tensor raises
                    facts = tiny.facts(layout)
                    self.assertEqual((ref.shifted, ref.layout), (facts["shifted"], facts["network"]))
                    self.assertEqual(logits.shape, (2, 2, tiny.VOCAB))
                    self.assertTrue(torch.isfinite(logits).all())
                    self.assertEqual(set(state), set(load_weights(ck)))

    def test_tied_output_layers(self):
        ck = os.path.join(self.tmp, "open-dcoder")
        state = tiny.make(ck, "open-dcoder")  # tied, as Qwen2.5-Coder-0.5B
        self.assertNotIn("lm_head.weight", state)
        ref = layouts.reference(ck)
        self.assertEqual(ref.lm_head.weight.data_ptr(), ref.model.embed_tokens.weight.data_ptr())
        for layout in ("a2d-qwen2", "a2d-qwen3", "dream", "coda"):
            self.assertIn("lm_head.weight", tiny.make(os.path.join(self.tmp, layout), layout), layout)
        with self.assertRaises(ValueError, msg="a tied CoDA checkpoint was written"):
            tiny.make(os.path.join(self.tmp, "coda-tied"), "coda", tied=True)

    def test_upstream_defaults(self):
        c = LLaDAConfig.from_hf({"d_model": 64, "n_heads": 4, "n_layers": 1, "rope": True, "block_type": "llama",
                                 "activation_type": "silu"})
        self.assertEqual((c.layer_norm_type, c.mlp_width, c.weight_tying, c.rope_theta, c.kv_heads),
                         ("default", 256, True, 10000.0, 4))
        ck = os.path.join(self.tmp, "llada-defaults")
        tiny.make(ck, "llada", drop=("layer_norm_type", "mlp_hidden_size"))
        ref, _ = run_reference(ck)
        norm = ref.model.transformer.blocks[0].attn_norm
        self.assertEqual((norm.kind, norm.eps, norm.bias), ("default", 1e-5, None))  # LayerNorm, not RMSNorm
        self.assertEqual(ref.model.transformer.blocks[0].ff_proj.out_features, 4 * 64)  # mlp_ratio * d_model
        for bad in ({"rope": False}, {"block_type": "llama", "activation_type": "swiglu", "rope": True}):
            with self.assertRaises(ValueError, msg=f"accepted {bad}"):
                LLaDAConfig.from_hf({"d_model": 64, "n_heads": 4, **bad})
        q3 = layouts.config_of("a2d-qwen3", {"hidden_size": 64, "num_attention_heads": 4, "num_hidden_layers": 1,
                                            "intermediate_size": 32, "vocab_size": 300})
        self.assertEqual((q3.head_size, q3.qkv_bias, q3.qk_norm, q3.num_key_value_heads, q3.rope_theta),
                         (128, False, True, 32, 10000.0))
        coda = layouts.config_of("coda", {"hidden_size": 256, "num_attention_heads": 2, "tie_word_embeddings": True})
        self.assertEqual((coda.head_size, coda.tie_word_embeddings, coda.rope_theta, coda.num_key_value_heads),
                         (128, False, 1e6, 8))
        dream = layouts.config_of("dream", {"hidden_size": 64, "num_attention_heads": 4, "num_key_value_heads": None,
                                            "rope_parameters": {"rope_type": "default", "rope_theta": 5.0}})
        self.assertEqual((dream.head_size, dream.num_key_value_heads, dream.rope_theta, dream.qkv_bias, dream.o_bias),
                         (16, 4, 5.0, True, False))

    def test_refusals(self):
        for kind in tiny.REFUSED:
            with self.subTest(kind):
                ck = os.path.join(self.tmp, "refused-" + kind)
                reasons = tiny.make_refused(ck, kind)
                cfg = layouts.read_config(ck)
                with self.assertRaises(layouts.Refused, msg=f"{kind} not refused") as refused:
                    layouts.detect(cfg)
                self.assertIn(refused.exception.reason, reasons)
                self.assertIn(repr(cfg["model_type"]), str(refused.exception))

    def test_tokenizer_files_where_the_repos_put_them(self):
        ck = os.path.join(self.tmp, "open-dcoder-vm")
        tiny.make(ck, "open-dcoder", tokenizer="vocab-merges")
        files = set(os.listdir(ck))
        self.assertLessEqual({"vocab.json", "merges.txt", "tokenizer_config.json", "added_tokens.json"}, files)
        self.assertNotIn("tokenizer.json", files)
        mask = tiny.facts("open-dcoder")["mask"]
        with open(os.path.join(ck, "added_tokens.json")) as f:
            self.assertEqual(json.load(f)["<M>"], mask)
        for name in ("config.json", "tokenizer_config.json", "generation_config.json"):
            with open(os.path.join(ck, name)) as f:
                text = f.read()
            doc = json.loads(text)
            ids = [v for k, v in doc.items() if k.endswith("token_id")] + list(doc.get("added_tokens_decoder", {}))
            self.assertTrue("<M>" not in text and mask not in ids and str(mask) not in ids, name)
        ck = os.path.join(self.tmp, "illada")
        tiny.make(ck, "illada")
        with open(os.path.join(ck, "config.json")) as f:
            self.assertEqual(json.load(f)["mask_token_id"], 5)
        with open(os.path.join(ck, "tokenizer.json")) as f:
            doc = json.load(f)
        self.assertEqual({t["content"]: t["id"] for t in doc["added_tokens"]}["<|mdm_mask|>"], 5)
        self.assertEqual(doc["model"]["vocab"]["<|mdm_mask|>"], 5)

    def test_stored_weights_round_as_the_graphs(self):
        w = torch.randn(8, 48)
        state = {"m.weight": w, "n.weight": torch.randn(48)}
        q, s = quantize_rows(w.numpy(), 4, 32)
        int4 = layouts.stored_weights(state, "int4", 32)
        self.assertTrue(np.array_equal(int4["m.weight"].numpy(), dequantize_rows(q, s, 4, 48)))
        self.assertTrue(torch.equal(int4["n.weight"], state["n.weight"]))  # vectors stay float32
        self.assertTrue(torch.equal(layouts.stored_weights(state, "float16")["m.weight"], w.half().float()))
        self.assertTrue(torch.equal(layouts.stored_weights(state, "int8", 32, exempt={"m.weight"})["m.weight"], w.half().float()))
        self.assertTrue(torch.equal(layouts.stored_weights(state, "float32")["m.weight"], w))
