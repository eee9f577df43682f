"""diffusion-infill models convert, held to the torch references of every layout a user downloads
(references/layouts.py, each following its upstream modeling code): tiny checkpoints
(references/make_tiny_hf_checkpoint.py: dream, open-dcoder, a2d-qwen2, coda, a2d-qwen3, llada, illada;
config, tokenizer files, BF16 + F16 + F32 shards) -> model folders at every precision ->
onnxruntime-node against torch (checks/check_built.mjs).

  python3 -m unittest tools.model.tests.test_convert      (MODEL_TESTS_KEEP=DIR keeps the folders)

Bounds on the max abs logit difference from torch on the checkpoint's weights (these random
weights give logits within about +-2.6, std 0.6): float32 1e-4, float16 2e-2, int8 0.1, int4 1.5
(the weights' own rounding, large on random weights of std 0.3); and, for float16, int8 and int4,
within 1e-3 of torch on the weights as stored (rounded or dequantized), which pins the packing.
The greedy fill of a fixed canvas must equal torch's on the weights as stored; the cached step must
equal the full pass.  Also: the special ids and the shift model.json gives against the checkpoint's
own files; tokenizers built from vocab.json + merges.txt; LLaDA as upstream reads a config that is
silent (LayerNorm, mlp_ratio), a sequential block and biases; int8 at its default accuracy level 4
and int4 at 4; the plain graph (--no-cache); and that unknown tensors, unsupported options,
block-causal, mixture-of-experts and unknown models are refused saying so.
"""
import json
import os
import shutil
import subprocess

import numpy as np
import torch

from ..folders.hf_checkpoint import ConvertFailed, convert
from ..folders.onnx_case import make_inputs
from ..paths import check_script
from ..references import make_tiny_hf_checkpoint
from ..references.layouts import reference, stored_weights
from ..references.safetensors_io import write_safetensors
from .support import WorkDir

TOL = {"float32": 1e-4, "float16": 2e-2, "int8": 0.1, "int4": 1.5}
TOL_EXACT = 1e-3
TOL_ACCURACY4 = 0.1  # the activations rounded to int8 as well
BLOCK = 32


def greedy_fill(model, canvas, mask_id, shift):
    """One position a step: the masked one whose most probable token (not the mask) is the most probable."""
    ids = torch.tensor([canvas])
    while (ids == mask_id).any():
        masked = (ids[0] == mask_id).nonzero()[:, 0]
        with torch.no_grad():
            logits = model(ids, torch.ones_like(ids), logit_positions=(masked - shift)[None])[0]
        logits[:, mask_id] = float("-inf")  # the mask is never a fill
        conf, tok = torch.softmax(logits.double(), -1).max(-1)
        j = int(conf.argmax())
        ids[0, masked[j]] = tok[j]
    return ids[0].tolist()


def write_case(case, model, exact, doc, fill=True):
    os.makedirs(case, exist_ok=True)
    ids, attn, pos = make_inputs(doc["vocabSize"], doc["maskTokenId"], seed=1, batch=2, seq=40, n=9)
    canvas = [5, 100, 50, 7, 200, 33] + [doc["maskTokenId"]] * 6 + [10, 60, 90, 11]
    shift = 1 if doc["logitsShifted"] else 0
    with torch.no_grad():
        model(ids, attn, logit_positions=pos).float().numpy().astype("<f4").tofile(os.path.join(case, "expected.f32"))
        if exact is not None:
            exact(ids, attn, logit_positions=pos).float().numpy().astype("<f4").tofile(
                os.path.join(case, "expected_exact.f32"))
    fill = greedy_fill(model, canvas, doc["maskTokenId"], shift) if fill else None
    if exact is not None and fill:
        # Random tiny weights leave near ties that the weights' rounding can flip, which changes
        # torch's own fill; the graph must fill as torch does on the weights as stored.
        stored = greedy_fill(exact, canvas, doc["maskTokenId"], shift)
        print(f"  torch's fill on the {doc['precision']} weights {'equals' if stored == fill else 'differs from'} "
              f"its fill on the checkpoint's")
        fill = stored
    t = lambda x: {"data": x.reshape(-1).tolist(), "dims": list(x.shape)}  # noqa: E731
    with open(os.path.join(case, "case.json"), "w") as f:
        json.dump({"inputs": {"input_ids": t(ids), "attention_mask": t(attn), "logit_positions": t(pos)},
                   "dims": [2, 9, doc["vocabSize"]], "canvas": canvas, "fill": fill}, f)


REASON_WORDS = {"block-causal": "block-causal", "moe": "mixture of experts", "unknown": "not a layout the builder reads"}

# Configs as upstream reads them where config.json is silent or says otherwise.
VARIANTS = {
    "llada-defaults": ("llada", dict(drop=("layer_norm_type", "mlp_hidden_size"))),  # LayerNorm, mlp_ratio * d_model
    "llada-sequential": ("llada", dict(overrides={"block_type": "sequential", "activation_type": "swiglu"})),
    "llada-bias": ("llada", dict(overrides={"include_bias": True, "bias_for_layer_norm": None, "layer_norm_type": "default"})),
    "a2d-qwen3-bias": ("a2d-qwen3", dict(overrides={"attention_bias": True})),  # q, k, v and o biases
    "a2d-qwen3-no-head-dim": ("a2d-qwen3", dict(drop=("head_dim",))),  # Qwen3Config's 128
    "coda-bias": ("coda", dict(overrides={"attention_bias": True})),
}


class Convert(WorkDir):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.cks = {}
        for layout in make_tiny_hf_checkpoint.LAYOUTS:
            for kind in ("json", "vocab-merges") if layout in ("dream", "open-dcoder", "a2d-qwen3") else ("json",):
                ck = os.path.join(cls.tmp, f"hf-{layout}-{kind}")
                cls.cks[layout, kind] = ck, make_tiny_hf_checkpoint.make(ck, layout, tokenizer=kind)

    def check_case(self, ck, out, model, state, prec, fill=True, tol_exact=TOL_EXACT, accuracy_level=0, **build_args):
        """Builds ck at prec and holds the folder to torch (check_built.mjs); returns model.json."""
        doc = convert(ck, out, prec, block_size=BLOCK, accuracy_level=accuracy_level, **build_args)
        exact = reference(ck, stored_weights(state, prec, BLOCK)) if prec != "float32" else None
        write_case(out + "-case", model, exact, doc, fill)
        cmd = ["node", check_script("check_built.mjs"), out, out + "-case", "--tol", str(TOL[prec])]
        if exact is not None:
            cmd += ["--tol-exact", str(tol_exact)]
        r = subprocess.run(cmd, capture_output=True, text=True)
        with self.subTest(check="check_built.mjs", folder=os.path.basename(out)):
            self.assertEqual(r.returncode, 0, f"check_built.mjs on {os.path.basename(out)}:\n{r.stdout}{r.stderr}")
        return doc

    def check_facts(self, doc, layout):
        """model.json's special ids and shift as the checkpoint's own files give them."""
        want = make_tiny_hf_checkpoint.facts(layout)
        pad = want["specials"].get("<|dlm_pad|>", want["pad"])  # DiffuCoder's hole padding, where the tokenizer has it
        got = {"shifted": doc["logitsShifted"], "mask": doc["maskTokenId"], "eos": doc["eosTokenId"], "pad": doc["padTokenId"],
               "bos": doc["bosTokenId"]}
        # Open-dLLM's eval_infill.py starts the canvas with the prefix's own tokens: a Qwen2 tokenizer adds no BOS.
        bos = None if layout == "open-dcoder" else want["bos"]
        expected = {"shifted": want["shifted"], "mask": want["mask"], "eos": want["eos"], "pad": pad, "bos": bos}
        self.assertEqual(got, expected, f"{layout}: model.json against the checkpoint's own files")

    def expect_refusal(self, ck, words):
        with self.assertRaises(ConvertFailed, msg=f"{os.path.basename(ck)}: built without complaint") as refused:
            convert(ck, ck + "-out", "int4", block_size=BLOCK)
        message = str(refused.exception)
        self.assertTrue(any(w.lower() in message.lower() for w in words),
                        f"{os.path.basename(ck)}: the message names none of {words}: {message}")
        print(f"refused {os.path.basename(ck)}: {message}")

    def test_every_layout_every_precision(self):
        for (layout, kind), (ck, state) in self.cks.items():
            model = reference(ck)
            for prec in ("float32", "float16", "int8", "int4") if kind == "json" else ("float32",):
                with self.subTest(layout=layout, tokenizer=kind, precision=prec):
                    out = os.path.join(self.tmp, f"{os.path.basename(ck)}-{prec}")
                    self.check_facts(self.check_case(ck, out, model, state, prec), layout)

    def test_tied_llada(self):
        ck = os.path.join(self.tmp, "hf-llada-tied")
        state = make_tiny_hf_checkpoint.make(ck, "llada", tied=True)
        self.check_case(ck, ck + "-int4", reference(ck), state, "int4")

    def test_configs_as_upstream_reads_them(self):
        for name, (layout, args) in VARIANTS.items():
            with self.subTest(name):
                ck = os.path.join(self.tmp, f"hf-{name}")
                state = make_tiny_hf_checkpoint.make(ck, layout, **args)
                self.check_case(ck, ck + "-float32", reference(ck), state, "float32")

    def test_plain_graph(self):
        """The plain graph (the contract before the context cache) from one checkpoint."""
        ck, state = self.cks["dream", "json"]
        out = os.path.join(self.tmp, "plain-int4")
        self.check_case(ck, out, reference(ck), state, "int4", cache=False)
        r = subprocess.run(["node", check_script("check_tokenizer.mjs"), out], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, f"check_tokenizer.mjs:\n{r.stdout}{r.stderr}")

    def test_accuracy_level_4(self):
        """MatMulNBits rounds the activations to int8 per block too (faster on CPUs): int8's default,
        int4's --accuracy-level 4.  Their fill is not compared: rounding the activations flips this
        random model's near ties."""
        ck, state = self.cks["dream", "json"]
        for prec, level in (("int8", None), ("int4", 4)):
            with self.subTest(prec):
                out = os.path.join(self.tmp, f"{prec}-accuracy4")
                doc = self.check_case(ck, out, reference(ck), state, prec, fill=False, tol_exact=TOL_ACCURACY4,
                                      accuracy_level=level)
                self.assertEqual(doc["quantization"]["accuracyLevel"], 4, f"{prec}: the accuracy level")

    def test_unknown_tensors_and_options_refused(self):
        """Unknown parameters and unsupported options stop the build with their names."""
        ck_dream, ck_llada = self.cks["dream", "json"][0], self.cks["llada", "json"][0]
        bad = os.path.join(self.tmp, "bad-names")
        shutil.copytree(ck_dream, bad, dirs_exist_ok=True)
        write_safetensors(os.path.join(bad, "model-00003-of-00003.safetensors"),
                          {"model.layers.0.mlp.expert_gate.weight": ("F32", np.zeros((4, 4), np.float32))})
        index = os.path.join(bad, "model.safetensors.index.json")
        with open(index) as f:
            doc = json.load(f)
        doc["weight_map"]["model.layers.0.mlp.expert_gate.weight"] = "model-00003-of-00003.safetensors"
        with open(index, "w") as f:
            json.dump(doc, f)
        bad_llada = os.path.join(self.tmp, "bad-llada")
        shutil.copytree(ck_llada, bad_llada, dirs_exist_ok=True)
        with open(os.path.join(bad_llada, "config.json")) as f:
            cfg = json.load(f)
        cfg["attention_layer_norm"] = True
        with open(os.path.join(bad_llada, "config.json"), "w") as f:
            json.dump(cfg, f)
        for ck, want in ((bad, "model.layers.0.mlp.expert_gate.weight"), (bad_llada, "attention_layer_norm")):
            with self.subTest(want):
                self.expect_refusal(ck, [want])

    def test_refused_models(self):
        """Block-causal, mixture-of-experts and unknown models are refused saying so."""
        for kind in make_tiny_hf_checkpoint.REFUSED:
            with self.subTest(kind):
                ck = os.path.join(self.tmp, f"refused-{kind}")
                reasons = make_tiny_hf_checkpoint.make_refused(ck, kind)
                self.expect_refusal(ck, [REASON_WORDS[r] for r in reasons])
