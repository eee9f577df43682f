"""Safetensors read and write without the safetensors package (Debian has none), for checkpoints in
the Hugging Face layout: the tests and the training run write them, the torch references read them."""
import json
import os

import numpy as np
import torch


DTYPES = {"F32": np.float32, "F16": np.float16, "BF16": np.uint16, "F64": np.float64,
          "I64": np.int64, "I32": np.int32, "I16": np.int16, "I8": np.int8, "U8": np.uint8, "BOOL": np.bool_}


def write_safetensors(path, tensors, metadata=None):
    """tensors: name -> (safetensors dtype, numpy array of the stored bits).  Written to a temporary
    name and renamed, so a reader never sees half a file."""
    header, blobs, off = {}, [], 0
    for name, (dt, arr) in tensors.items():
        b = np.ascontiguousarray(arr).tobytes()
        header[name] = {"dtype": dt, "shape": list(arr.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    header["__metadata__"] = {"format": "pt", **{k: str(v) for k, v in (metadata or {}).items()}}
    h = json.dumps(header).encode()
    h += b" " * (-len(h) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(len(h).to_bytes(8, "little"))
        f.write(h)
        for b in blobs:
            f.write(b)
    os.replace(tmp, path)


def bf16_bits(t):
    """A float tensor as the uint16 bits of its bfloat16 rounding."""
    return t.detach().to(torch.bfloat16).view(torch.int16).cpu().numpy().view(np.uint16)


def read_metadata(path):
    with open(path, "rb") as f:
        n = int.from_bytes(f.read(8), "little")
        return json.loads(f.read(n)).get("__metadata__", {})


def read_safetensors(path):
    """name -> float32 torch tensor (integer tensors are kept as they are)."""
    out = {}
    with open(path, "rb") as f:
        n = int.from_bytes(f.read(8), "little")
        header = json.loads(f.read(n))
    base = 8 + n
    mm = np.memmap(path, dtype=np.uint8, mode="r")
    for name, info in header.items():
        if name == "__metadata__":
            continue
        dt = info["dtype"]
        if dt not in DTYPES:
            raise ValueError(f"{path}: {name} has unsupported dtype {dt}")
        a, b = info["data_offsets"]
        raw = mm[base + a: base + b]
        arr = raw.view(DTYPES[dt]).reshape(info["shape"])
        if dt == "BF16":
            # bfloat16 is the top half of a float32.
            arr = (arr.astype(np.uint32) << 16).view(np.float32)
        elif arr.dtype.kind == "f":
            arr = arr.astype(np.float32)
        else:
            arr = np.array(arr)
        out[name] = torch.from_numpy(np.ascontiguousarray(arr))
    return out


def shard_files(folder):
    """The safetensors files of a checkpoint folder, in the index's order when it has one."""
    index = os.path.join(folder, "model.safetensors.index.json")
    if os.path.exists(index):
        with open(index) as f:
            return sorted(set(json.load(f)["weight_map"].values()))
    return sorted(x for x in os.listdir(folder) if x.endswith(".safetensors"))


def load_weights(folder):
    files = shard_files(folder)
    if not files:
        raise SystemExit(f"no *.safetensors in {folder}")
    state = {}
    for name in files:
        state.update(read_safetensors(os.path.join(folder, name)))
    return state


def save_sharded_bf16(folder, state, max_bytes, metadata=None, prefix="model"):
    """Writes a state dict as bfloat16 shards of at most max_bytes each plus the index, the way a
    Hugging Face checkpoint is laid out.  Returns the shard names."""
    groups, size = [[]], 0
    for name, t in state.items():
        n = t.numel() * 2
        if groups[-1] and size + n > max_bytes:
            groups.append([])
            size = 0
        groups[-1].append(name)
        size += n
    names = [f"{prefix}-{i + 1:05d}-of-{len(groups):05d}.safetensors" for i in range(len(groups))]
    weight_map = {}
    for fname, group in zip(names, groups):
        write_safetensors(os.path.join(folder, fname), {k: ("BF16", bf16_bits(state[k])) for k in group}, metadata)
        weight_map.update({k: fname for k in group})
    tmp = os.path.join(folder, f"{prefix}.safetensors.index.json.tmp")
    with open(tmp, "w") as f:
        json.dump({"metadata": {str(k): str(v) for k, v in (metadata or {}).items()}, "weight_map": weight_map}, f)
    os.replace(tmp, os.path.join(folder, f"{prefix}.safetensors.index.json"))
    return names
