"""Pure-Python encoder/decoder for our byte-level BPE tokenizer.json (same splits and merges as HF tokenizers,
checked against the npm package by tests/test_train.py). Special tokens are not parsed from text."""
import json

from .bytelevel import BYTE_SYMBOL
from .train_bpe import PATTERN

SYMBOL_BYTE = {s: b for b, s in BYTE_SYMBOL.items()}


class ByteBPE:
    def __init__(self, path):
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
        self.vocab = doc["model"]["vocab"]
        merges = doc["model"]["merges"]
        merges = [tuple(m.split(" ")) if isinstance(m, str) else tuple(m) for m in merges]
        self.ranks = {m: i for i, m in enumerate(merges)}
        self.specials = {t["content"]: t["id"] for t in doc["added_tokens"]}
        self.id_to_bytes = {i: bytes(SYMBOL_BYTE[c] for c in s) for s, i in self.vocab.items()}
        for s, i in self.specials.items():
            self.id_to_bytes[i] = s.encode()
        self.cache = {}

    def _bpe(self, word):
        syms = [BYTE_SYMBOL[b] for b in word.encode("utf-8")]
        while len(syms) > 1:
            best, at = None, -1
            for j in range(len(syms) - 1):
                r = self.ranks.get((syms[j], syms[j + 1]))
                if r is not None and (best is None or r < best):
                    best, at = r, j
            if best is None:
                break
            a, b = syms[at], syms[at + 1]
            out, j = [], 0
            while j < len(syms):
                if j + 1 < len(syms) and syms[j] == a and syms[j + 1] == b:
                    out.append(a + b)
                    j += 2
                else:
                    out.append(syms[j])
                    j += 1
            syms = out
        return [self.vocab[s] for s in syms]

    def encode(self, text):
        ids = []
        for w in PATTERN.findall(text):
            r = self.cache.get(w)
            if r is None:
                r = self._bpe(w)
                if len(self.cache) < 500_000:
                    self.cache[w] = r
            ids.extend(r)
        return ids

    def decode_bytes(self, ids):
        return b"".join(self.id_to_bytes.get(int(i), b"") for i in ids)

    def decode(self, ids):
        return self.decode_bytes(ids).decode("utf-8", errors="replace")
