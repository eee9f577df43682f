"""Byte-level BPE helpers shared by the fixture writer and the BPE trainer (GPT-2 / Qwen2 conventions)."""
import json

# Qwen2's pre-tokenizer pattern; the `ByteLevel` pre-tokenizer with use_regex=true uses GPT-2's,
# which is what we train with so that training and inference split text identically.
GPT2_PATTERN = r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""


def bytes_to_unicode():
    """GPT-2's reversible byte -> printable character table."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, map(chr, cs)))


BYTE_SYMBOL = bytes_to_unicode()


def tokenizer_json(vocab: dict, merges: list, specials: dict) -> dict:
    """vocab: symbol string -> id; merges: list of (left, right) symbol strings; specials: content -> id.

    tokenizers ignores an added token's "id" when it is not the next free id and renumbers it,
    so special ids must follow the vocabulary without gaps, unless the vocabulary holds the token
    itself at that id (a tokenizer whose special tokens come first)."""
    after = sorted(i for c, i in specials.items() if vocab.get(c) != i)
    want = list(range(len(vocab), len(vocab) + len(after)))
    if after != want:
        raise ValueError(f"special token ids must be {want[0]}..{want[-1]}, got {after}")
    bl = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True}
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [
            {"id": i, "content": c, "single_word": False, "lstrip": False, "rstrip": False,
             "normalized": False, "special": True}
            for c, i in sorted(specials.items(), key=lambda kv: kv[1])
        ],
        "normalizer": None,
        "pre_tokenizer": bl,
        "post_processor": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": False},
        "decoder": bl,
        "model": {
            "type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None,
            "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False, "ignore_merges": False,
            "vocab": vocab,
            "merges": [f"{a} {b}" for a, b in merges],
        },
    }


def write_tokenizer(path, vocab, merges, specials):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(tokenizer_json(vocab, merges, specials), f, ensure_ascii=False, indent=1)
        f.write("\n")
