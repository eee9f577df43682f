"""Safetensors read in row ranges, one tensor at a time, without torch: what build_onnx.py streams
its weights from, so that its memory is a chunk, not the model."""
import json
import os

import numpy as np


class LazyTensor:
    """One tensor of a safetensors file, read in row ranges with plain reads (not a memory map,
    whose touched pages would count towards the reader's resident memory)."""

    def __init__(self, path, name, dtype, shape, offset):
        if dtype not in ("F32", "F16", "BF16"):
            raise ValueError(f"{path}: {name} has dtype {dtype}; a weight must be F32, F16 or BF16")
        self.path, self.name, self.dtype, self.shape, self.offset = path, name, dtype, tuple(shape), offset

    @property
    def rows(self):
        return self.shape[0] if self.shape else 1

    def read(self, r0=0, r1=None):
        """Rows r0..r1 as float32."""
        r1 = self.rows if r1 is None else r1
        per_row = int(np.prod(self.shape[1:])) if len(self.shape) > 1 else 1
        item = 4 if self.dtype == "F32" else 2
        with open(self.path, "rb") as f:
            f.seek(self.offset + r0 * per_row * item)
            raw = np.fromfile(f, dtype=np.float32 if item == 4 else np.uint16, count=(r1 - r0) * per_row)
        if self.dtype == "BF16":
            arr = (raw.astype(np.uint32) << 16).view(np.float32)
        elif self.dtype == "F16":
            arr = raw.view(np.float16).astype(np.float32)
        else:
            arr = raw
        return arr.reshape((r1 - r0,) + self.shape[1:]) if self.shape else arr.reshape(())


def lazy_tensors(folder):
    """name -> LazyTensor over every shard of a checkpoint folder; nothing is read yet."""
    files = shard_files(folder)
    if not files:
        raise ValueError(f"no *.safetensors in {folder}")
    out = {}
    for fname in files:
        path = os.path.join(folder, fname)
        with open(path, "rb") as f:
            n = int.from_bytes(f.read(8), "little")
            header = json.loads(f.read(n))
        for name, info in header.items():
            if name != "__metadata__":
                out[name] = LazyTensor(path, name, info["dtype"], info["shape"], 8 + n + info["data_offsets"][0])
    return out


def read_checkpoint_docs(folder):
    """(config.json, tokenizer.json) of a Hugging Face checkpoint folder, parsed."""
    with open(os.path.join(folder, "config.json")) as f:
        cfg = json.load(f)
    with open(os.path.join(folder, "tokenizer.json"), encoding="utf-8") as f:
        return cfg, json.load(f)


def shard_files(folder):
    """The safetensors files of a checkpoint folder, in the index's order when it has one."""
    index = os.path.join(folder, "model.safetensors.index.json")
    if os.path.exists(index):
        with open(index) as f:
            return sorted(set(json.load(f)["weight_map"].values()))
    return sorted(x for x in os.listdir(folder) if x.endswith(".safetensors"))
