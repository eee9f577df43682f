"""Duplicate removal for build.py.

Copies of one file across packages would weigh it several times in training, and a near-copy of a
held-out file left in train would make the held-out loss look better than it is.  It lives apart because
its tuning (shingles, bands, threshold) is a concern of its own."""
import hashlib
import re
import time

import numpy as np


def normalised_hash(text):
    return hashlib.sha1("\n".join(line.rstrip() for line in text.split("\n")).encode()).digest()


class NearDup:
    """MinHash over 5-word shingles with LSH banding.  A document is a near-duplicate when a kept document
    shares a band with it and their signatures agree on >= threshold of the permutations (the MinHash
    estimate of Jaccard similarity).  16 bands x 8 rows catch 95% of the pairs at Jaccard 0.8 and 99.4%
    at 0.85.  Token ids come from a vocabulary built in processing order, so runs are deterministic."""
    WORD = re.compile(r"\w+")

    def __init__(self, perms=128, bands=16, threshold=0.8, shingle=5, seed=20240611):
        rng = np.random.RandomState(seed)
        self.a = rng.randint(0, 2 ** 63, size=(perms, 1), dtype=np.uint64) * np.uint64(2) + np.uint64(1)
        self.b = rng.randint(0, 2 ** 63, size=(perms, 1), dtype=np.uint64)
        self.bands, self.rows, self.threshold, self.k = bands, perms // bands, threshold, shingle
        self.vocab = {}
        self.buckets = [dict() for _ in range(bands)]
        self.sigs = []

    def shingles(self, text):
        v = self.vocab
        ids = np.array([v.setdefault(t, len(v)) for t in self.WORD.findall(text)], dtype=np.uint64)
        ids = ids * np.uint64(0x9E3779B97F4A7C15) + np.uint64(0x632BE59BD9B4E019)
        n = len(ids) - self.k + 1
        if n < 1:
            return ids if len(ids) else np.zeros(1, dtype=np.uint64)
        h = np.zeros(n, dtype=np.uint64)
        for j in range(self.k):
            h = (h ^ ids[j:j + n]) * np.uint64(0xBF58476D1CE4E5B9)
            h ^= h >> np.uint64(31)
        return h

    def signature(self, text):
        h = self.shingles(text)
        sig = np.full(len(self.a), np.iinfo(np.uint64).max, dtype=np.uint64)
        with np.errstate(over="ignore"):
            for i in range(0, len(h), 4096):  # bounded temporaries: perms x 4096 words
                sig = np.minimum(sig, (self.a * h[None, i:i + 4096] + self.b).min(axis=1))
        return (sig >> np.uint64(32)).astype(np.uint32)

    def add(self, text):
        """True (and nothing stored) if text nearly duplicates a kept document; else keep it and return False."""
        sig = self.signature(text)
        keys = [sig[i * self.rows:(i + 1) * self.rows].tobytes() for i in range(self.bands)]
        cands = set()
        for bucket, key in zip(self.buckets, keys):
            cands.update(bucket.get(key, ()))
        if cands:
            others = np.stack([self.sigs[c] for c in cands])
            if (others == sig).mean(axis=1).max() >= self.threshold:
                return True
        idx = len(self.sigs)
        self.sigs.append(sig)
        for bucket, key in zip(self.buckets, keys):
            bucket.setdefault(key, []).append(idx)
        return False


def dedup(docs, counts, log=lambda s: None):
    """Keep the first of each exact and near-duplicate group, in the order given."""
    seen, near, kept = set(), NearDup(), []
    t0 = time.time()
    for i, d in enumerate(docs):
        if i % 20000 == 0 and i:
            log(f"  dedup {i}/{len(docs)} ({time.time() - t0:.0f} s)")
        n = len(d["text"].encode())
        h = normalised_hash(d["text"])
        if h in seen:
            c = counts.setdefault("exact_duplicate", [0, 0])
        elif near.add(d["text"]):
            c = counts.setdefault("near_duplicate", [0, 0])
        else:
            seen.add(h)
            kept.append(d)
            continue
        seen.add(h)
        c[0] += 1
        c[1] += n
    return kept
