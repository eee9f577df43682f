"""Dream-style masked-diffusion decoding in torch, for evaluating checkpoints without the TypeScript engine.

The canvas is the engine's (canvas.py) for a cursor hole of L tokens between prefix and suffix:
[BOS] + the prefix's last lines + L masks + the suffix's first lines, as many whole lines as fit
max_tokens, without token healing.  Each step predicts the masked positions (shifted:
the logits row i-1 predicts position i) and commits the most confident one (one token per step),
plus, with `threshold`, every position whose top probability exceeds it.  With `block`, only the
leftmost block of the hole that still has masks takes part (semi-autoregressive, as LLaDA).  The
hole is cut at the first pad / eos.  As in the engine (src/core/sampling/denoise.ts), a pad / eos
proposed where the position to its left is still masked waits: the hole ends where its text ends.
"""
import torch

from ..references.canvas import CanvasOptions, Hole, build_canvas
from ..references.qwen2_bidir import Qwen2Bidir, Qwen2Config


def load_checkpoint(path, fp16_round=True):
    """The training checkpoint as an eval-mode module; fp16_round mimics the fp16 bundled graph."""
    state = torch.load(path, map_location="cpu")
    model = Qwen2Bidir(Qwen2Config(**state["config"]))
    model.load_state_dict(state["model"])
    if fp16_round:
        with torch.no_grad():
            for p in model.parameters():
                p.copy_(p.half().float())
    model.eval()
    return model, state


class Decoder:
    def __init__(self, model, tok, max_tokens=256, alg="entropy"):
        self.model, self.tok, self.max_tokens, self.alg = model, tok, max_tokens, alg
        self.mask = tok.specials["<|mask|>"]
        self.eos = tok.specials["<|endoftext|>"]
        self.pad = tok.specials["<|dlm_pad|>"]
        # A single-line hole may not hold a line break (as the engine's `singleLine` holes).
        self.newline_ids = torch.tensor([i for i, b in tok.id_to_bytes.items() if b"\n" in b or b"\r" in b])

    def canvas(self, prefix, suffix, hole_len):
        """The canvas [1, n] and where its hole starts."""
        at = len(prefix)
        c = build_canvas(prefix + suffix, [Hole(at, at, hole_len)], self.tok,
                         CanvasOptions(self.max_tokens, self.mask, bos_token_id=self.eos))
        return torch.tensor([c.ids]), c.holes[0].start

    @torch.no_grad()
    def fill_batch(self, items, threshold=None, block=None):
        """items: [(prefix, suffix, hole_len)] or [(prefix, suffix, hole_len, single_line)], decoded
        together (right padding + attention mask).

        block: LLaDA-style semi-autoregressive blocks; only the leftmost block with masks may commit.
        A row stops once everything up to its first committed pad / eos is decided (the rest would
        be cut anyway).  Returns [(text, forward passes that row needed)]."""
        rows = [self.canvas(p, s, n) for p, s, n, *_ in items]
        width = max(r[0].shape[1] for r in rows)
        ids = torch.full((len(rows), width), self.eos, dtype=torch.long)
        attn = torch.zeros((len(rows), width), dtype=torch.long)
        holes = []
        for i, ((row, start), (_, _, n, *_)) in enumerate(zip(rows, items)):
            ids[i, :row.shape[1]] = row[0]
            attn[i, :row.shape[1]] = 1
            holes.append(torch.arange(start, start + n))
        nfe = [0] * len(rows)
        while True:
            cand, live = [], []
            for i, h in enumerate(holes):
                toks = ids[i, h]
                is_mask = toks == self.mask
                if not is_mask.any() or self._decided(toks):
                    continue
                idx = torch.nonzero(is_mask).flatten()
                if block:
                    first_block = int(idx[0]) // block
                    idx = idx[idx // block == first_block]
                live.append(i)
                cand.append(h[idx])
            if not live:
                break
            n = max(len(c) for c in cand)
            pos = torch.zeros((len(live), n), dtype=torch.long)
            for j, c in enumerate(cand):
                pos[j, :len(c)] = c - 1
            logits = self.model(ids[live], attention_mask=attn[live], logit_positions=pos)
            logits[..., self.mask] = float("-inf")
            for j, i in enumerate(live):
                if len(items[i]) > 3 and items[i][3]:
                    logits[j, :, self.newline_ids] = float("-inf")
            probs = torch.softmax(logits.float(), -1)
            for j, i in enumerate(live):
                k = len(cand[j])
                p = probs[j, :k]
                top_p, top = p.max(-1)
                conf = (p * torch.log(p.clamp_min(1e-12))).sum(-1) if self.alg == "entropy" else top_p
                waits = ((top == self.pad) | (top == self.eos)) & (ids[i, cand[j] - 1] == self.mask)
                conf = conf.masked_fill(waits, float("-inf"))
                commit = torch.zeros(k, dtype=torch.bool)
                commit[conf.argmax()] = True
                if threshold is not None:
                    commit |= (top_p > threshold) & ~waits
                ids[i, cand[j][commit]] = top[commit]
                nfe[i] += 1
        return [(self._cut(ids[i, h].tolist()), nfe[i]) for i, h in enumerate(holes)]

    def _decided(self, toks):
        """True when a pad / eos is committed and nothing before it is still masked."""
        for t in toks.tolist():
            if t == self.mask:
                return False
            if t in (self.pad, self.eos):
                return True
        return False

    def _cut(self, out):
        for i, t in enumerate(out):
            if t in (self.pad, self.eos):
                return self.tok.decode(out[:i])
        return self.tok.decode(out)

    def fill(self, prefix, suffix, hole_len, threshold=None, block=None):
        return self.fill_batch([(prefix, suffix, hole_len)], threshold, block)[0]
