"""Write test/fixtures/tiny-model/: a random 2-layer Dream-layout model with a byte-level tokenizer, built
by `diffusion-infill models convert` from a checkpoint of its weights (needs dist/cli.js: npm run build).

Deterministic (seed 0) so the fixture only changes when this script or the builder does.
Usage: python3 -m tools.model.folders.make_test_model [OUT_DIR] [--check]
--check runs the folder through onnxruntime-node and tokenizers and compares with torch.
"""
import argparse
import os
import subprocess
import tempfile

import torch

from ..corpus.bytelevel import BYTE_SYMBOL, write_tokenizer
from ..paths import TINY_MODEL, check_script
from ..references.qwen2_bidir import Qwen2Bidir, Qwen2Config
from .hf_checkpoint import convert, write_dream_checkpoint
from .onnx_case import check_stored

SPECIALS = {"<|mask|>": 256, "<|endoftext|>": 257, "<|dlm_pad|>": 258}
# The unit tests count steps: a fixed schedule, not the builder's threshold.
SAMPLER = {"steps": 16, "alg": "entropy", "temperature": 0, "topP": 1, "topK": 0, "algTemp": 0, "threshold": None,
           "blockLength": None}


def main():
    ap = argparse.ArgumentParser(description="writes the unit tests' tiny model folder")
    ap.add_argument("out", nargs="?", default=TINY_MODEL, help="the folder (default test/fixtures/tiny-model)")
    ap.add_argument("--check", action="store_true", help="run the folder in onnxruntime-node and tokenizers against torch")
    args = ap.parse_args()
    out = args.out
    torch.manual_seed(0)
    cfg = Qwen2Config(vocab_size=260, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                      num_key_value_heads=2, intermediate_size=64, rope_theta=10000.0, tie_word_embeddings=True,
                      max_position_embeddings=512)
    model = Qwen2Bidir(cfg)
    with torch.no_grad():
        for p in model.parameters():
            p.normal_(0, 0.5)
    with tempfile.TemporaryDirectory() as ck:
        tokenizer = os.path.join(ck, "tokenizer.json")
        write_tokenizer(tokenizer, {BYTE_SYMBOL[b]: b for b in range(256)}, [], SPECIALS)
        ids = {"mask": 256, "eos": 257, "pad": 258, "bos": None}
        write_dream_checkpoint(ck, cfg, model.state_dict(), tokenizer, ids,
                               "random weights (seed 0) from tools/model/folders/make_test_model.py; byte-level tokenizer, no merges")
        convert(ck, out, "float32", "tiny-random", 512, SAMPLER)
    if args.check:
        check_stored(out, 256, [(2, 23, 7), (3, 300, 40)])
        subprocess.run(["node", check_script("check_tokenizer.mjs"), out], check=True)


if __name__ == "__main__":
    main()
