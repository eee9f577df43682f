"""Train a byte-level BPE tokenizer (GPT-2 / Qwen2 style) in pure Python and save it as tokenizer.json.

Usage: python3 -m tools.model.corpus.train_bpe [--corpus models/.train/corpus/train.jsonl] [--vocab 32768]
           [--measure models/.train/corpus/heldout.jsonl] [--sample-mb 60] [--out tools/model/corpus/tokenizer.json]

Ids: 0..255 are the bytes, then one id per merge in order, then the special tokens
<|endoftext|>, <|mask|>, <|dlm_pad|> as the last three ids.
Pair counts are updated incrementally (only words that contain the merged pair are touched) and the
best pair comes from a lazily invalidated heap, so a few thousand merges take minutes, not hours.
"""
import argparse
import heapq
import json
import os
import tempfile
import time
from collections import Counter, defaultdict

from ..paths import RECIPE_TOKENIZER, WORK
from .bytelevel import BYTE_SYMBOL, GPT2_PATTERN, write_tokenizer

SPECIALS = ["<|endoftext|>", "<|mask|>", "<|dlm_pad|>"]

try:
    import regex as re_mod
except ImportError as e:  # Python's re has no \p{L} / \p{N}: another pattern would be another tokenizer
    raise ImportError("the tokenizer's pre-tokenizer pattern needs the regex module: install the Debian package "
                      "python3-regex (scripts/system-deps.sh installs scripts/debian-packages.txt)") from e
PATTERN = re_mod.compile(GPT2_PATTERN)


def word_counts(path, sample_mb=0):
    """Pre-token counts of the corpus, or of its first sample_mb megabytes (corpus/build.py writes the
    files in a stable shuffled order, so a prefix is a fair sample)."""
    counts, seen = Counter(), 0
    with open(path) as f:
        for line in f:
            text = json.loads(line)["text"]
            counts.update(PATTERN.findall(text))
            seen += len(text)
            if sample_mb and seen >= sample_mb * 1e6:
                break
    return counts


def train(counts, n_merges, min_freq=2):
    words, freqs = [], []
    for w, c in counts.items():
        words.append([BYTE_SYMBOL[b] for b in w.encode("utf-8")])
        freqs.append(c)
    pairs = defaultdict(int)
    where = defaultdict(set)
    for i, w in enumerate(words):
        for p in zip(w, w[1:]):
            pairs[p] += freqs[i]
            where[p].add(i)
    heap = [(-c, p) for p, c in pairs.items()]
    heapq.heapify(heap)
    merges = []
    t0 = time.time()
    while len(merges) < n_merges and heap:
        negc, p = heapq.heappop(heap)
        if pairs.get(p, 0) != -negc:
            continue  # stale heap entry
        if -negc < min_freq:
            break
        a, b = p
        ab = a + b
        merges.append(p)
        touched = set()
        for i in list(where[p]):
            w = words[i]
            if len(w) < 2:
                continue
            new, j, hit = [], 0, False
            while j < len(w):
                if j + 1 < len(w) and w[j] == a and w[j + 1] == b:
                    new.append(ab)
                    j += 2
                    hit = True
                else:
                    new.append(w[j])
                    j += 1
            if not hit:
                continue
            f = freqs[i]
            for q in zip(w, w[1:]):
                pairs[q] -= f
                touched.add(q)
            for q in zip(new, new[1:]):
                pairs[q] += f
                where[q].add(i)
                touched.add(q)
            words[i] = new
        del where[p]
        pairs.pop(p, None)
        for q in touched:
            c = pairs.get(q, 0)
            if c > 0 and q != p:
                heapq.heappush(heap, (-c, q))
            elif c <= 0:
                pairs.pop(q, None)
        if len(merges) % 500 == 0:
            print(f"{len(merges)} merges, last {a!r}+{b!r} x{-negc}, {time.time() - t0:.0f}s", flush=True)
    return merges


def build(merges):
    vocab = {BYTE_SYMBOL[b]: b for b in range(256)}
    for a, b in merges:
        vocab.setdefault(a + b, len(vocab))
    return vocab, {s: len(vocab) + i for i, s in enumerate(SPECIALS)}


def measure(merges, sizes, heldout, hidden, out_dir):
    """Tokens per line of the held-out files against the embedding's size, for vocabularies made of
    the first merges (BPE's merges are greedy, so a smaller vocabulary is a prefix of a larger one).
    Chooses the smallest size after which doubling saves under 5% of the tokens."""
    from .tok import ByteBPE
    texts = []
    with open(heldout) as f:
        for line in f:
            texts.append(json.loads(line)["text"])
            if sum(map(len, texts)) > 3e6:  # enough lines for a ratio; tok.py is pure Python
                break
    lines = sum(t.count("\n") + 1 for t in texts)
    chars = sum(len(t) for t in texts)
    rows = []
    for size in sizes:
        path = os.path.join(out_dir, f"tokenizer-{size}.json")
        vocab, specials = build(merges[:size - 256 - len(SPECIALS)])
        write_tokenizer(path, vocab, merges[:size - 256 - len(SPECIALS)], specials)
        tok = ByteBPE(path)
        n = sum(len(tok.encode(t)) for t in texts)
        rows.append({"vocab": len(vocab) + len(specials), "tokens_per_line": n / lines, "chars_per_token": chars / n,
                     "embedding_params_m": (len(vocab) + len(specials)) * hidden / 1e6})
    chosen = rows[-1]
    for r, nxt in zip(rows, rows[1:]):
        if nxt["vocab"] >= 2 * r["vocab"] * 0.99 and nxt["tokens_per_line"] > 0.95 * r["tokens_per_line"]:
            chosen = r
            break
    print(f"held-out: {len(texts)} files, {lines} lines; embedding at hidden {hidden}")
    print("| vocabulary | tokens per line | characters per token | embedding parameters |")
    print("| --- | --- | --- | --- |")
    for r in rows:
        print(f"| {r['vocab']}{' (chosen)' if r is chosen else ''} | {r['tokens_per_line']:.2f} | "
              f"{r['chars_per_token']:.2f} | {r['embedding_params_m']:.1f}M |")
    return chosen, rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", default=os.path.join(WORK, "corpus", "train.jsonl"))
    ap.add_argument("--sample-mb", type=float, default=0, help="train on the corpus's first N MB (0: all of it)")
    ap.add_argument("--vocab", type=int, default=6144, help="total size including bytes and special tokens")
    ap.add_argument("--measure", metavar="HELDOUT_JSONL",
                    help="train --vocab, measure the held-out files at each of --sizes and keep the chosen size")
    ap.add_argument("--sizes", default="4096,8192,16384,32768")
    ap.add_argument("--hidden", type=int, default=384, help="for the embedding's size in --measure's table")
    ap.add_argument("--out", default=RECIPE_TOKENIZER)
    args = ap.parse_args()
    t0 = time.time()
    counts = word_counts(args.corpus, args.sample_mb)
    print(f"{len(counts)} distinct pre-tokens in {time.time() - t0:.0f}s", flush=True)
    merges = train(counts, args.vocab - 256 - len(SPECIALS))
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    if args.measure:
        sizes = [int(x) for x in args.sizes.split(",") if int(x) <= args.vocab]
        with tempfile.TemporaryDirectory() as tmp:
            chosen, _ = measure(merges, sizes, args.measure, args.hidden, tmp)
        merges = merges[:chosen["vocab"] - 256 - len(SPECIALS)]
    vocab, specials = build(merges)
    write_tokenizer(args.out, vocab, merges, specials)
    print(f"wrote {args.out}: {len(vocab)} tokens + {len(specials)} specials {specials}, {time.time() - t0:.0f}s")


if __name__ == "__main__":
    main()
