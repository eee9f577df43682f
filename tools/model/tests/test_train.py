"""The training run at toy size on the CPU: the same script the GPU job runs, so that job cannot fail
on a typo.  Also checks the examples against the canvas rules and the weights' way back into a
model folder.

  python3 -m unittest tools.model.tests.test_train
"""
import json
import lzma
import os
import random
import subprocess
import sys

import torch

from ..folders.hf_checkpoint import ConvertFailed, convert, special_ids
from ..folders.model_folder import read_weights
from ..paths import HERE as PACKAGE
from ..paths import RECIPE_TOKENIZER, TINY_MODEL, check_script
from ..references.qwen2_bidir import Qwen2Bidir, Qwen2Config
from ..training import export_bundled, train
from ..training.train_data import EDITOR_HOLES, Examples, load_tokenizer, mask_batch
from .support import WorkDir, package_sources, read, read_json

TOKENIZER = os.path.join(TINY_MODEL, "tokenizer.json")  # bytes only: fast
TOY = ["--device", "cpu", "--hidden", "32", "--layers", "2", "--heads", "4", "--kv-heads", "2", "--inter", "64",
       "--seq", "96", "--batch", "6", "--lr", "3e-3", "--log-every", "5", "--tokenizer", TOKENIZER, "--threads", "1"]


def write_corpus(folder):
    """The repo's own Python tools as a corpus: real code, no download.  Training reads it xz-compressed
    (as the GPU job does), the held-out file plain."""
    docs = [{"path": name, "text": text} for name, text in package_sources().items()]
    train_path, held_path = os.path.join(folder, "train.jsonl.xz"), os.path.join(folder, "heldout.jsonl")
    with lzma.open(train_path, "wt", encoding="utf-8") as f:
        f.writelines(json.dumps(d) + "\n" for d in docs[2:])
    with open(held_path, "w", encoding="utf-8") as f:
        f.writelines(json.dumps(d) + "\n" for d in docs[:2])
    return train_path, held_path, [d["text"] for d in docs]


class Broken(torch.nn.Module):
    """What a failing torch.compile gives: a layer that raises when run."""

    def __init__(self, layer):
        super().__init__()
        self.layer = layer

    def forward(self, *args):
        raise RuntimeError("compiler missing")


class Train(WorkDir):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.train_path, cls.held_path, cls.texts = write_corpus(cls.tmp)

    def test_examples(self):
        texts = self.texts
        tok = load_tokenizer(TOKENIZER)
        ex = Examples(tok, texts, 256, random.Random(0))
        eos, pad = tok.specials["<|endoftext|>"], tok.specials["<|dlm_pad|>"]
        holes_seen, lengths, bad = 0, [], []
        for _ in range(60):
            ids, elig, valid = ex.infill()
            if len(ids) != 256 or ids[0] != eos or elig[0]:
                bad.append("shape or BOS")
            # Each hole: its span's tokens, then pads only; context text lies around it untouched.
            i = 0
            while i < 256:
                if not elig[i]:
                    i += 1
                    continue
                j = i
                while j < 256 and elig[j]:
                    j += 1
                hole = ids[i:j]
                first_pad = hole.index(pad) if pad in hole else len(hole)
                if any(t != pad for t in hole[first_pad:]) or first_pad == 0:
                    bad.append(f"hole {hole}")
                if not valid[j - 1]:
                    bad.append("hole in the padding")
                holes_seen += 1
                lengths.append(j - i)
                i = j
        self.check(not bad, f"infill rows: BOS first, holes are a span then pads ({holes_seen} holes; {bad[:2]})")
        self.check(any(n in EDITOR_HOLES for n in lengths) and any(n not in EDITOR_HOLES for n in lengths),
                   "hole lengths include the editor's and others")
        ids, elig, valid = ex.window()
        self.check(len(ids) == 256 and ids[0] == eos and not elig[0] and all(elig[1:]) and all(valid), "window rows")
        ids_t, elig_t, _, _ = ex.batch(8, 0.5)
        noisy, masked, t = mask_batch(ids_t, elig_t, 99, torch.Generator().manual_seed(0))
        self.check(bool((masked <= elig_t).all()) and bool(masked.any(1).all()) and bool((noisy[masked] == 99).all())
                   and bool((noisy[~masked] == ids_t[~masked]).all()), "masking: only eligible positions, at least one a row")

    def test_tokenizer_agrees(self):
        """train.py's tokenizer (tok.py) gives the recipe's tokenizer.json the ids the engine's tokenizers
        package gives, or the model would learn other ids than it is asked with."""
        tmp, texts = self.tmp, self.texts
        bpe = load_tokenizer(RECIPE_TOKENIZER)
        # Not texts that spell a special token: the package reads `<|mask|>` in text as the token,
        # tok.py as its characters (no corpus file should make the model learn the token from text).
        samples = [t[i:i + 3000] for t in texts for i in range(0, len(t), 3000)]
        samples = [t for t in samples if not any(sp in t for sp in bpe.specials)]
        samples += ["def f(x):\r\n\treturn x  # ünïcödé ✓ 日本語 🙂\n", "  \t\t  trailing   \n\n\n", "x = 'it''s' 1234567 ++i\n"]
        path = os.path.join(tmp, "expect.jsonl")
        with open(path, "w", encoding="utf-8") as f:
            f.writelines(json.dumps({"text": t, "ids": bpe.encode(t)}) + "\n" for t in samples)
        r = subprocess.run(["node", check_script("check_tokenizer.mjs"), RECIPE_TOKENIZER, "--expect", path],
                           capture_output=True, text=True)
        self.check(r.returncode == 0, f"tok.py and the tokenizers package agree on {len(samples)} texts ({r.stdout.strip()} {r.stderr[-300:]})")

    def test_run(self):
        tmp, train_path, held_path = self.tmp, self.train_path, self.held_path
        out, ckpt = os.path.join(tmp, "out"), os.path.join(tmp, "ckpt.pt")
        common = TOY + ["--corpus", train_path, "--heldout", held_path, "--out", out]
        s1 = train.main(common + ["--init", "scratch", "--ckpt", ckpt, "--max-steps", "40", "--workers", "2",
                                  "--ar-frac", "0.5", "--budget-min", "60"])
        hist = s1["history"]
        self.check(s1["step"] == 40 and len(hist) >= 5, f"40 steps through two data workers ({len(hist)} log lines)")
        first, last = hist[0]["masked_ce"], min(h["masked_ce"] for h in hist[-3:])
        self.check(last < first - 0.3, f"masked cross entropy falls: {first:.3f} -> {last:.3f}")
        self.check(s1["tokens_per_s"] > 0 and s1["mfu"] > 0 and s1["heldout_masked_ce"] is not None,
                   "tokens/s, utilisation and held-out loss reported")
        files = sorted(os.listdir(out))
        shards = [f for f in files if f.endswith(".safetensors")]
        self.check({"config.json", "train.json", "model.safetensors.index.json"} <= set(files) and shards
                   and all(os.path.getsize(os.path.join(out, f)) <= train.SHARD_BYTES for f in shards) and len(files) <= 8,
                   f"weights written as at most 8 files under 16 MiB: {files}")

        # The shards hold the model, as a Dream-layout checkpoint that `models convert` builds as it is, and the
        # shipped folder's exporter turns into a model folder that onnxruntime-node runs as torch does (it
        # raises otherwise), and whose graph gives the weights back.
        direct = os.path.join(tmp, "direct")
        try:
            mask = convert(out, direct, "float32")["maskTokenId"]
            failed = None
        except ConvertFailed as e:
            mask, failed = None, str(e)
        self.check(mask == special_ids(TOKENIZER)["mask"], f"models convert builds the run's --out as it is ({failed})")
        folder = os.path.join(tmp, "folder")
        export_bundled.main(["--weights", out, "--out", folder, "--tokenizer", TOKENIZER, "--manifest", "none"])
        doc = read_json(os.path.join(folder, "model.json"))
        card = read(os.path.join(folder, "MODEL_CARD.md"))
        self.check(doc["precision"] == "float16" and doc["maxContext"] == 96 and doc["tokenHealing"] is False and "40 steps" in card,
                   "export_bundled writes the model folder and its card from the run")
        model = Qwen2Bidir(Qwen2Config.from_hf(read_json(os.path.join(out, "config.json"))))
        back = read_weights(folder)
        want = {k: tuple(v.shape) for k, v in model.state_dict().items() if k != "lm_head.weight"}
        self.check({k: tuple(v.shape) for k, v in back.items()} == want, "the folder's graph gives its weights back by name")

        # A second run resumes the checkpoint: step count and optimizer carry on.
        s2 = train.main(common + ["--init", "auto", "--ckpt", ckpt, "--max-steps", "5", "--workers", "0", "--budget-min", "60"])
        self.check(s2["step"] == 45 and s2["init"].startswith("checkpoint"), f"resumed from the checkpoint at step 40 -> {s2['step']}")
        # Without a checkpoint, --init takes a model folder's weights.
        s3 = train.main(common + ["--init", folder, "--ckpt", "", "--max-steps", "2", "--workers", "0", "--ar-frac", "0",
                                  "--bf16", "off"])
        self.check(s3["init"] == folder and s3["heldout_masked_ce"] < hist[0]["masked_ce"],
                   f"started from the exported folder (held-out ce {s3['heldout_masked_ce']})")
        self.check(s1["bf16"] == train.cpu_has_bf16() and not s3["bf16"],
                   f"bfloat16 autocast on the CPU as its instructions allow ({s1['bf16']}), off when asked")
        # Or a run's own weights (the tied output layer stored once), as the next GPU run starts from the last.
        s4 = train.main(common[:-2] + ["--out", os.path.join(tmp, "out2"), "--init", out, "--ckpt", "", "--max-steps", "2",
                                       "--workers", "0", "--ar-frac", "0"])
        self.check(s4["init"] == out and s4["heldout_masked_ce"] < hist[0]["masked_ce"],
                   f"started from a run's weights folder (held-out ce {s4['heldout_masked_ce']})")

    def test_compile_fallback(self):
        """A run whose compiled layers fail goes on with the eager ones instead of dying."""
        train_path, held_path = self.train_path, self.held_path
        had = getattr(torch, "compile", None)
        torch.compile = Broken
        try:
            s = train.main(TOY + ["--corpus", train_path, "--heldout", held_path, "--init", "scratch", "--ckpt", "",
                                  "--compile", "on", "--max-steps", "3", "--workers", "0"])
        finally:
            if had is None:
                del torch.compile
            else:
                torch.compile = had
        self.check(s["step"] == 3 and not s["compiled"], "a failing torch.compile falls back to the eager layers")

    def test_loader_fallback(self):
        """Loader processes that cannot start (a VM's small /dev/shm): the run loads in its own process."""
        train_path, held_path = self.train_path, self.held_path
        real = train.torch.utils.data.DataLoader

        class Broken:
            def __iter__(self):
                return self

            def __next__(self):
                raise RuntimeError("DataLoader worker (pid 1) is killed by signal: Bus error. unable to open shared memory")

        def failing(*args, **kw):
            return Broken() if kw.get("num_workers") else real(*args, **kw)
        train.torch.utils.data.DataLoader = failing
        try:
            s = train.main(TOY + ["--corpus", train_path, "--heldout", held_path, "--init", "scratch", "--ckpt", "",
                                  "--max-steps", "3", "--workers", "2"])
        finally:
            train.torch.utils.data.DataLoader = real
        self.check(s["step"] == 3, "failing data loader processes fall back to loading in the training process")

    def test_gpu_script(self):
        """gpu_run.sh as the device job runs it, with the toy model on the CPU."""
        tmp, train_path, held_path = self.tmp, self.train_path, self.held_path
        out = os.path.join(tmp, "gpu-out")
        env = dict(os.environ, OUT=out, CORPUS=train_path, HELDOUT=held_path, PYTHON=sys.executable)
        r = subprocess.run(["bash", os.path.join(PACKAGE, "gpu_run.sh")] + TOY + ["--max-steps", "8", "--workers", "1", "--init", "scratch"],
                           env=env, capture_output=True, text=True)
        files = sorted(os.listdir(out)) if os.path.isdir(out) else []
        summary = read_json(os.path.join(out, "train.json")) if "train.json" in files else {}
        self.check(r.returncode == 0 and summary.get("step") == 8 and "train.log" in files and len(files) <= 8
                   and "budget or step limit" in read(os.path.join(out, "train.log")),
                   f"gpu_run.sh writes weights, train.json and its log to $OUT ({files}; rc {r.returncode}: {r.stderr[-300:]})")
