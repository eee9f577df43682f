"""Measures build_onnx.py on a synthetic checkpoint with a real model's shapes: random BF16 weights
written shard by shard (never whole), then the build in a child process; prints its peak RSS, time
and folder size.

  python3 -m tools.model.bench_build WORK_DIR [--shapes dream-7b|qwen2.5-0.5b] [--precision int4]
      [--keep-checkpoint] [--keep-output]

WORK_DIR gets checkpoint/ (15 GB for dream-7b) and out/; both are deleted afterwards unless kept.
The weights are slices of one pool of normal noise at random offsets: the values do not matter
to the build's memory or time, only the shapes do.
"""
import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time

import numpy as np

from . import families
from .make_tiny_hf_checkpoint import MERGES, SPECIALS
from .bytelevel import BYTE_SYMBOL, write_tokenizer

HERE = os.path.dirname(os.path.abspath(__file__))

# config.json fields of the published checkpoints (Dream-v0-7B / DiffuCoder-7B: Qwen2.5-7B shapes;
# Open-dCoder-0.5B: Qwen2.5-0.5B shapes).
SHAPES = {
    "dream-7b": {"vocab_size": 152064, "hidden_size": 3584, "num_hidden_layers": 28, "num_attention_heads": 28,
                 "num_key_value_heads": 4, "intermediate_size": 18944, "tie_word_embeddings": False},
    "qwen2.5-0.5b": {"vocab_size": 151936, "hidden_size": 896, "num_hidden_layers": 24, "num_attention_heads": 14,
                     "num_key_value_heads": 2, "intermediate_size": 4864, "tie_word_embeddings": True},
}
SHARD_BYTES = 4 << 30
CHUNK = 16 << 20  # values written at a time


def write_checkpoint(folder, shapes, seed=0):
    os.makedirs(folder, exist_ok=True)
    cfg = {"architectures": ["DreamModel"], "model_type": "Dream", "hidden_act": "silu", "rope_theta": 1000000.0,
           "rms_norm_eps": 1e-6, "max_position_embeddings": 32768, "mask_token_id": SPECIALS["<|mask|>"],
           "eos_token_id": SPECIALS["<|endoftext|>"], "pad_token_id": SPECIALS["<|endoftext|>"],
           "bos_token_id": SPECIALS["<|beginoftext|>"], "_name_or_path": "synthetic", **shapes}
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
    vocab = {BYTE_SYMBOL[b]: b for b in range(256)}
    for a, b in MERGES:
        vocab[a + b] = len(vocab)
    write_tokenizer(os.path.join(folder, "tokenizer.json"), vocab, MERGES, SPECIALS)
    want = families.expected_shapes(families.arch(cfg))
    groups, size = [[]], 0
    for name, shape in want.items():
        n = int(np.prod(shape)) * 2
        if groups[-1] and size + n > SHARD_BYTES:
            groups.append([])
            size = 0
        groups[-1].append(name)
        size += n
    rng = np.random.default_rng(seed)
    pool = (rng.standard_normal(CHUNK * 2, dtype=np.float32) * 0.02).view(np.uint32)
    pool = (pool >> 16).astype(np.uint16)  # bfloat16 bits
    weight_map = {}
    for i, group in enumerate(groups):
        fname = f"model-{i + 1:05d}-of-{len(groups):05d}.safetensors"
        header, off = {}, 0
        for name in group:
            n = int(np.prod(want[name])) * 2
            header[name] = {"dtype": "BF16", "shape": list(want[name]), "data_offsets": [off, off + n]}
            off += n
        h = json.dumps(header).encode()
        h += b" " * (-len(h) % 8)
        with open(os.path.join(folder, fname), "wb") as f:
            f.write(len(h).to_bytes(8, "little"))
            f.write(h)
            for name in group:
                left = int(np.prod(want[name]))
                while left:
                    k = min(left, CHUNK)
                    start = int(rng.integers(0, CHUNK))
                    f.write(pool[start:start + k].tobytes())
                    left -= k
        weight_map.update({k: fname for k in group})
    with open(os.path.join(folder, "model.safetensors.index.json"), "w") as f:
        json.dump({"metadata": {}, "weight_map": weight_map}, f)


def du(folder):
    return sum(os.path.getsize(os.path.join(folder, f)) for f in os.listdir(folder))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("work_dir")
    ap.add_argument("--shapes", choices=sorted(SHAPES), default="dream-7b")
    ap.add_argument("--precision", default="int4")
    ap.add_argument("--block-size", type=int, default=32)
    ap.add_argument("--keep-checkpoint", action="store_true")
    ap.add_argument("--keep-output", action="store_true")
    args = ap.parse_args()
    ck, out = os.path.join(args.work_dir, "checkpoint"), os.path.join(args.work_dir, f"out-{args.precision}")
    if not os.path.exists(os.path.join(ck, "model.safetensors.index.json")):
        t0 = time.time()
        write_checkpoint(ck, SHAPES[args.shapes])
        print(f"checkpoint {args.shapes}: {du(ck) / 1e9:.2f} GB written in {time.time() - t0:.0f} s", flush=True)
    t0 = time.time()
    subprocess.run([sys.executable, "-m", "tools.model.build_onnx", ck, out, "--precision", args.precision,
                    "--block-size", str(args.block_size)], check=True, cwd=os.path.join(HERE, "..", ".."))
    wall = time.time() - t0
    rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1e6  # KB -> GB
    print(f"build {args.shapes} {args.precision}: peak RSS {rss:.2f} GB, {wall:.0f} s wall, "
          f"folder {du(out) / 1e9:.2f} GB (model.onnx {os.path.getsize(os.path.join(out, 'model.onnx')) / 1e6:.2f} MB)")
    if not args.keep_output:
        shutil.rmtree(out)
    if not args.keep_checkpoint:
        shutil.rmtree(ck)


if __name__ == "__main__":
    main()
