"""Training examples for the bundled model, shaped like the canvases the engine builds.

Two kinds of example, both `seq` tokens long with the canvas's BOS (`<|endoftext|>`) first:
  * window: a stretch of documents joined by `<|endoftext|>`; every token may be masked (LLaDA /
    MDLM pre-training), and auto-regressive steps read these rows too.
  * infill: the engine's canvas (canvas.py, the rules of `src/core/canvas.ts` without token
    healing) of a stretch of whole lines of one document with one to `max_holes` holes: context
    tokenized apart from the holes and trimmed to the lines nearest them that fit `seq`.  A hole
    holds its span (whole lines, lines after the indentation, the rest of a line, a piece of a
    line, several lines) and then `<|dlm_pad|>` up to a length the editor would ask for (24 for an
    inline completion, 32 by default, 48 for Fill Selection, or the span plus a few), because the
    engine over-allocates a hole and cuts the fill at its first pad.  Only hole positions may be
    masked.
Rows shorter than `seq` (a small file) are padded; `valid` marks the real tokens, and attention
ignores the rest.
"""
import json
import lzma
import random

import numpy as np
import torch

from ..corpus.tok import ByteBPE
from ..references.canvas import CanvasOptions, Hole, build_canvas

EDITOR_HOLES = (24, 32, 48)  # inline.holeTokens, the engine's default, fill.holeTokens
MAX_SPAN_TOKENS = 160


def read_corpus(path):
    """Texts of a corpus file: JSON lines, optionally xz-compressed (the GPU job's upload)."""
    opener = lzma.open if path.endswith(".xz") else open
    with opener(path, "rt", encoding="utf-8") as f:
        return [json.loads(line)["text"] for line in f if line.strip()]


class HFTokenizer:
    """The Rust tokenizers package where it is installed (the GPU machine): the same ids as ByteBPE,
    a hundred times faster.  `load_tokenizer` checks that they agree before using it."""

    def __init__(self, path, fallback):
        from tokenizers import Tokenizer
        self.hf = Tokenizer.from_file(path)
        self.specials = fallback.specials

    def encode(self, text):
        return self.hf.encode(text, add_special_tokens=False).ids


def load_tokenizer(path, check_texts=()):
    """ByteBPE, or the tokenizers package when it is installed and gives the same ids on check_texts."""
    bpe = ByteBPE(path)
    try:
        fast = HFTokenizer(path, bpe)
    except ImportError:  # same ids, only slower: the GPU machine's pip environment has the package
        print("the tokenizers package is not installed: tokenizing with tok.py", flush=True)
        return bpe
    for text in check_texts:
        if fast.encode(text) != bpe.encode(text):
            print("tokenizers package disagrees with tok.py: using tok.py", flush=True)
            return bpe
    return fast


class Examples:
    def __init__(self, tok, docs, seq, rng, max_holes=8):
        self.tok, self.docs, self.seq, self.rng, self.max_holes = tok, docs, seq, rng, max_holes
        self.eos = tok.specials["<|endoftext|>"]
        self.mask = tok.specials["<|mask|>"]
        self.pad = tok.specials["<|dlm_pad|>"]
        # Sample documents by size so that every byte is about equally likely to be chosen.
        w = np.array([len(d) for d in docs], dtype=np.float64)
        self.doc_cdf = np.cumsum(w / w.sum())
        sample = "".join(docs[i] for i in range(0, len(docs), max(1, len(docs) // 50)))[:200_000]
        self.chars_per_token = len(sample) / max(1, len(tok.encode(sample)))

    def doc(self):
        return self.docs[min(len(self.docs) - 1, int(np.searchsorted(self.doc_cdf, self.rng.random())))]

    def window(self):
        """Documents from a random line on, joined by end-of-text, cut at seq tokens."""
        ids = [self.eos]
        while len(ids) < self.seq:
            d = self.doc()
            c = self.rng.randrange(0, len(d))
            c = d.rfind("\n", 0, c) + 1
            need = int((self.seq - len(ids)) * self.chars_per_token * 1.3) + 16
            ids += self.tok.encode(d[c:c + need])
            if c + need >= len(d):
                ids.append(self.eos)
        ids = ids[:self.seq]
        elig = [False] + [True] * (self.seq - 1)
        return ids, elig, [True] * self.seq

    def span(self, text):
        """(start, end) character offsets of one hole in text."""
        r = self.rng
        lines = text.split("\n")
        starts = np.cumsum([0] + [len(x) + 1 for x in lines[:-1]])
        nonblank = [i for i, x in enumerate(lines) if x.strip()]
        if not nonblank:
            return None
        li = r.choice(nonblank)
        line, ls = lines[li], int(starts[li])
        indent = len(line) - len(line.lstrip())
        kind = r.random()
        if kind < 0.15:  # whole line(s), indentation included
            n = min(len(lines) - li, 1 + int(r.expovariate(1 / 2.0)), 12)
            return ls, int(starts[li + n - 1]) + len(lines[li + n - 1])
        if kind < 0.55:  # line(s) after the indentation the user already typed; half of them one line
            n = 1 if r.random() < 0.5 else 1 + int(r.expovariate(1 / 2.0))
            n = min(len(lines) - li, n, 12)
            return ls + indent, int(starts[li + n - 1]) + len(lines[li + n - 1])
        if kind < 0.8:  # the rest of the line from the cursor
            return r.randint(ls + indent, ls + len(line) - 1), ls + len(line)
        a = r.randint(ls + indent, ls + len(line) - 1)  # a piece inside the line
        return a, r.randint(a + 1, ls + len(line))

    def hole_length(self, n):
        """Masked positions for a span of n tokens, as the editor would ask."""
        r = self.rng
        if r.random() < 0.6:
            fits = [h for h in EDITOR_HOLES if h >= n]
            if fits:
                return r.choice(fits)
        return n + r.randint(0, 12)

    def infill(self):
        r, seq, tok = self.rng, self.seq, self.tok
        for _ in range(10):
            d = self.doc()
            # Whole lines around a random point: about a canvas of text, or less (short contexts too).
            chars = int(seq * self.chars_per_token * (1.0 if r.random() < 0.7 else r.uniform(0.15, 1.0)))
            c = r.randrange(0, len(d))
            lo, hi = max(0, c - chars // 2), min(len(d), c + chars // 2)
            if lo > 0:
                lo = d.find("\n", lo) + 1 or lo
            if hi < len(d):
                hi = d.rfind("\n", lo, hi) + 1 or hi
            text = d[lo:hi]
            want = min(self.max_holes, 1 + int(r.expovariate(1 / 2.0)))
            spans = []
            for _ in range(4 * want):
                sp = self.span(text)
                if sp and sp[1] > sp[0] and all(sp[1] < a or sp[0] > b for a, b in spans):
                    spans.append(sp)
                if len(spans) >= want:
                    break
            if not spans:
                continue
            spans.sort()
            answers = [tok.encode(text[a:b])[:MAX_SPAN_TOKENS] for a, b in spans]
            lengths = [self.hole_length(len(m)) for m in answers]
            while spans and sum(lengths) + 1 > seq:  # the holes the canvas holds beside its BOS
                spans, answers, lengths = spans[:-1], answers[:-1], lengths[:-1]
            row = self.row(text, spans, answers, lengths) if spans else None
            if row:
                return row
        return self.window()

    def row(self, text, spans, answers, lengths):
        """The engine's canvas of text with a hole of lengths[i] tokens at spans[i], each hole's masks
        replaced by its answer's tokens and then pads; padded to seq.  None when the window keeps no
        context between two holes: their answers would run together."""
        holes = [Hole(a, b, n) for (a, b), n in zip(spans, lengths)]
        canvas = build_canvas(text, holes, self.tok, CanvasOptions(self.seq, self.mask, self.eos))
        if not all(canvas.context[1:-1]):
            return None
        ids, elig = canvas.ids, [False] * self.seq
        for h, answer in zip(canvas.holes, answers):
            ids[h.start:h.start + h.length] = answer + [self.pad] * (h.length - len(answer))
            elig[h.start:h.start + h.length] = [True] * h.length
        n = len(ids)
        return ids + [self.eos] * (self.seq - n), elig, [True] * n + [False] * (self.seq - n)

    def batch(self, size, infill_frac):
        """Tensors ids [b, seq] int32 (half the shared memory between loader processes), elig, valid,
        is_window [b] bool."""
        # A fixed number of window rows, so that the auto-regressive steps (which read only those)
        # always have the same shape: one compiled graph.
        n_window = round(size * (1 - infill_frac))
        kinds = [i < n_window for i in range(size)]
        rows = [self.window() if is_window else self.infill() for is_window in kinds]
        ids, elig, valid = (torch.tensor([row[i] for row in rows]) for i in range(3))
        return ids.int(), elig.bool(), valid.bool(), torch.tensor(kinds)


class Batches(torch.utils.data.IterableDataset):
    """Endless batches, one Examples per DataLoader worker with a seed of its own."""

    def __init__(self, tok, docs, seq, batch, infill_frac, seed):
        super().__init__()
        self.args = (tok, docs, seq)
        self.batch, self.infill_frac, self.seed = batch, infill_frac, seed

    def __iter__(self):
        info = torch.utils.data.get_worker_info()
        ex = Examples(*self.args, random.Random(self.seed * 1000 + (info.id if info else 0)))
        while True:
            yield ex.batch(self.batch, self.infill_frac)


def mask_batch(ids, elig, mask_id, gen=None, eps=1e-3):
    """Masks each row's eligible tokens with its own probability t ~ U(eps, 1), at least one a row."""
    b, s = ids.shape
    t = torch.rand(b, 1, device=ids.device, generator=gen) * (1 - eps) + eps
    masked = (torch.rand(b, s, device=ids.device, generator=gen) < t) & elig
    # A row with nothing masked trains on one eligible position picked at random.
    pick = torch.rand(b, s, device=ids.device, generator=gen).masked_fill(~elig, -1).argmax(1)
    none = ~masked.any(1) & elig.any(1)
    masked[none, pick[none]] = True
    return ids.masked_fill(masked, mask_id), masked, t
