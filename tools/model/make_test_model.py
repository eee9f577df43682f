"""Write test/fixtures/tiny-model/: a random 2-layer Dream-family model with a byte-level tokenizer.

Deterministic (seed 0) so the fixture only changes when this script does.
Usage: python3 -m tools.model.make_test_model [OUT_DIR] [--check]
--check runs the folder through onnxruntime-node and tokenizers (needs node_modules) and compares with torch.
"""
import os
import subprocess
import sys
import tempfile

import torch

from .bytelevel import BYTE_SYMBOL, write_tokenizer
from .onnx_case import make_inputs, write_case
from .qwen2_bidir import Qwen2Bidir, Qwen2Config, export_onnx, write_model_json

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SPECIALS = {"<|mask|>": 256, "<|endoftext|>": 257, "<|dlm_pad|>": 258}


def main():
    args = [a for a in sys.argv[1:] if a != "--check"]
    out = args[0] if args else os.path.join(ROOT, "test", "fixtures", "tiny-model")
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(0)
    cfg = Qwen2Config(vocab_size=260, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                      num_key_value_heads=2, intermediate_size=64, rope_theta=10000.0, tie_word_embeddings=True,
                      max_position_embeddings=512)
    model = Qwen2Bidir(cfg)
    with torch.no_grad():
        for p in model.parameters():
            p.normal_(0, 0.5)
    export_onnx(model, os.path.join(out, "model.onnx"))
    vocab = {BYTE_SYMBOL[b]: b for b in range(256)}
    write_tokenizer(os.path.join(out, "tokenizer.json"), vocab, [], SPECIALS)
    write_model_json(out, config=cfg, name="tiny-random", family="dream", vocabSize=260, maxContext=512,
                     maskTokenId=256, eosTokenId=257, padTokenId=258, bosTokenId=None, precision="float32",
                     # The unit tests count steps: a fixed schedule, not the exporters' threshold.
                     sampler={"steps": 16, "alg": "entropy", "temperature": 0, "topP": 1, "topK": 0, "algTemp": 0,
                              "threshold": None, "blockLength": None},
                     source="random weights (seed 0) from tools/model/make_test_model.py; byte-level tokenizer, no merges")
    if "--check" in sys.argv:
        here = os.path.dirname(os.path.abspath(__file__))
        with tempfile.TemporaryDirectory() as tmp:
            for i, (b, s, n) in enumerate([(2, 23, 7), (3, 300, 40)]):
                write_case(os.path.join(tmp, str(i)), model, *make_inputs(260, 256, seed=i, batch=b, seq=s, n=n))
                subprocess.run(["node", os.path.join(here, "compare_onnx.mjs"), out, os.path.join(tmp, str(i))],
                               check=True)
        subprocess.run(["node", os.path.join(here, "check_tokenizer.mjs"), out], check=True)


if __name__ == "__main__":
    main()
