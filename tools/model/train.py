"""Train the bundled masked-diffusion model (Dream family: logits row i-1 predicts token i) on CPU.

Resumable: a checkpoint goes to models/.train/ckpt.pt every --ckpt-min minutes (atomically) and a
restart continues from it.  The learning-rate schedule follows elapsed *training time* against
--budget-min, so it stays sensible when the shared CPU gets slower or faster.

  nohup nice -n 19 python3 tools/model/train.py --budget-min 100 >> models/.train/train.log 2>&1 &

Batches mix two kinds of example:
  * LLaDA pre-training: a window of the token stream, every token masked with probability t ~ U(eps, 1),
    cross entropy on the masked tokens weighted by 1/t.
  * infill: prefix + hole + suffix, tokenized separately as the editor does.  The hole holds the span
    (whole lines, several lines, the rest of a line, or the middle of a line) followed by <|dlm_pad|>
    tokens, because at inference a hole of unknown length is over-allocated and cut at the first pad.
    Hole positions are masked with probability t, the context never.
"""
import argparse
import json
import math
import os
import random
import signal
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from qwen2_bidir import Qwen2Bidir, Qwen2Config  # noqa: E402
from tok import ByteBPE  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
WORK = os.path.join(ROOT, "models", ".train")


def log(msg):
    print(f"{time.strftime('%H:%M:%S', time.gmtime())} {msg}", flush=True)


def load_docs(path):
    with open(path) as f:
        return [json.loads(line)["text"] for line in f]


def token_stream(tok, docs, cache_path):
    """All training documents, tokenized, joined by <|endoftext|>."""
    if os.path.exists(cache_path):
        return np.load(cache_path)
    eos = tok.specials["<|endoftext|>"]
    out = []
    for d in docs:
        out.append(eos)
        out.extend(tok.encode(d))
    arr = np.array(out, dtype=np.int16 if max(out) < 32768 else np.int32)
    np.save(cache_path, arr)
    return arr


class Examples:
    def __init__(self, tok, docs, stream, seq, rng):
        self.tok, self.docs, self.stream, self.seq, self.rng = tok, docs, stream, seq, rng
        self.max_pad = 32
        self.max_holes = 4
        self.window_chars = 900
        self.eos = tok.specials["<|endoftext|>"]
        self.mask = tok.specials["<|mask|>"]
        self.pad = tok.specials["<|dlm_pad|>"]
        # Sample documents by size so every byte is about equally likely to be a hole.
        w = np.array([len(d) for d in docs], dtype=np.float64)
        self.doc_cdf = np.cumsum(w / w.sum())

    def pretrain(self):
        i = self.rng.randrange(0, len(self.stream) - self.seq)
        ids = torch.from_numpy(self.stream[i:i + self.seq].astype(np.int64))
        # Every canvas starts with <|endoftext|> as BOS (model.json bosTokenId): in a shifted (Dream)
        # model nothing to the left of position 0 could predict it.
        ids[0] = self.eos
        eligible = torch.ones(self.seq, dtype=torch.bool)
        eligible[0] = False
        return ids, eligible

    def _span(self, text):
        """Pick (start, end) character offsets of the hole."""
        r = self.rng
        lines = text.split("\n")
        starts = np.cumsum([0] + [len(x) + 1 for x in lines[:-1]])
        nonblank = [i for i, x in enumerate(lines) if x.strip()]
        if not nonblank:
            return None
        li = r.choice(nonblank)
        line = lines[li]
        ls = int(starts[li])
        indent = len(line) - len(line.lstrip())
        kind = r.random()
        if kind < 0.2:  # whole line(s), indentation included
            n = min(len(lines) - li, 1 + int(r.expovariate(1 / 2.0)))
            n = min(n, 12)
            end = int(starts[li + n - 1]) + len(lines[li + n - 1])
            return ls, end
        if kind < 0.55:  # whole line(s) after the indentation the user already typed; half of them one line
            n = 1 if r.random() < 0.5 else 1 + int(r.expovariate(1 / 1.5))
            n = min(len(lines) - li, n, 8)
            end = int(starts[li + n - 1]) + len(lines[li + n - 1])
            return ls + indent, end
        if kind < 0.8:  # rest of the line from the cursor
            a = r.randint(ls + indent, ls + len(line) - 1)
            return a, ls + len(line)
        a = r.randint(ls + indent, ls + len(line) - 1)  # a piece inside the line
        b = r.randint(a + 1, ls + len(line))
        return a, b

    def infill(self):
        """Up to `max_holes` holes in one window of a document, as the editor sends several at once:
        each hole is supervised, so a forward teaches more than with a single hole."""
        r, seq, tok = self.rng, self.seq, self.tok
        for _ in range(10):
            d = self.docs[min(len(self.docs) - 1, int(np.searchsorted(self.doc_cdf, r.random())))]
            # A window of about a canvas of text around a random point, from a line start.
            c = r.randrange(0, len(d))
            lo, hi = max(0, c - self.window_chars // 2), min(len(d), c + self.window_chars // 2)
            if lo > 0:
                lo = d.find("\n", lo) + 1 or lo
            text = d[lo:hi]
            spans = []
            for _ in range(3 * self.max_holes):
                sp = self._span(text)
                if sp and sp[1] > sp[0] and all(sp[1] < a or sp[0] > b for a, b in spans):
                    spans.append(sp)
                if len(spans) >= r.randint(1, self.max_holes):
                    break
            if not spans:
                continue
            spans.sort()
            ids, elig_at, at = [self.eos], [], 0
            for a, b in spans:
                mid = tok.encode(text[a:b])[:96]
                # The editor over-allocates: a cursor hole is 32 tokens whatever the line, so short
                # spans are often followed by many pads.
                hole = mid + [self.pad] * r.randint(0, self.max_pad)
                ids += tok.encode(text[at:a])
                elig_at.append((len(ids), len(hole)))
                ids += hole
                at = b
            ids += tok.encode(text[at:])
            if hi == len(d):
                ids.append(self.eos)
            if len(ids) > seq:
                # Keep the holes that fit whole; the canvas is cut at the window's end.
                elig_at = [(p, n) for p, n in elig_at if p + n <= seq]
                ids = ids[:seq]
                if not elig_at:
                    continue
            ids = ids + [self.eos] * (seq - len(ids))
            eligible = torch.zeros(seq, dtype=torch.bool)
            for p, n in elig_at:
                eligible[p:p + n] = True
            return torch.tensor(ids, dtype=torch.long), eligible
        return self.pretrain()

    def batch(self, bsz, infill_frac, eps=1e-3):
        ids, elig = zip(*[(self.infill() if self.rng.random() < infill_frac else self.pretrain()) for _ in range(bsz)])
        ids, elig = torch.stack(ids), torch.stack(elig)
        t = torch.rand(bsz, 1) * (1 - eps) + eps
        masked = (torch.rand(ids.shape) < t) & elig
        # Every example trains on at least one token.
        none = ~masked.any(1)
        for i in none.nonzero().flatten().tolist():
            cand = elig[i].nonzero().flatten()
            masked[i, cand[torch.randint(len(cand), (1,))]] = True
        noisy = ids.masked_fill(masked, self.mask)
        return noisy, ids, masked, t, elig


def loss_fn(model, noisy, ids, masked, t, elig):
    b_idx, p_idx = masked.nonzero(as_tuple=True)
    h = model.hidden(noisy)
    logits = model.lm_head(h[b_idx, p_idx - 1])  # shifted: row i-1 predicts token i
    ce = F.cross_entropy(logits.float(), ids[b_idx, p_idx], reduction="none")
    w = 1.0 / t[b_idx, 0]
    loss = (ce * w).sum() / elig.sum()
    return loss, ce.mean()


def ar_loss(model, ids):
    """Auto-regressive step: causal attention, every position predicts the next token.  The same
    shifted head serves both objectives (as in Dream, which starts from an AR model); it teaches
    the network to use context far faster than the masked objective alone on this budget."""
    h = model.hidden(ids, causal=True)
    logits = model.lm_head(h[:, :-1])
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]).float(), ids[:, 1:].reshape(-1))


def ar_frac_at(frac, start):
    """Share of AR steps: `start` for the first half of training, then down to none at 75%."""
    if frac < 0.5:
        return start
    return max(0.0, start * (0.75 - frac) / 0.25)


def lr_at(frac, base, warm_frac=0.03, floor=0.1):
    if frac < warm_frac:
        return base * frac / warm_frac
    p = min(1.0, (frac - warm_frac) / (1 - warm_frac))
    return base * (floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * p)))


def model_config(args, vocab):
    return Qwen2Config(vocab_size=vocab, hidden_size=args.hidden, num_hidden_layers=args.layers,
                       num_attention_heads=args.heads, num_key_value_heads=args.kv_heads,
                       intermediate_size=args.inter, rope_theta=10000.0, tie_word_embeddings=True,
                       max_position_embeddings=args.seq)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--hidden", type=int, default=256)
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--kv-heads", type=int, default=2)
    ap.add_argument("--inter", type=int, default=704)
    ap.add_argument("--seq", type=int, default=256)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--infill-frac", type=float, default=0.5)
    ap.add_argument("--ar-frac", type=float, default=0.5, help="share of auto-regressive steps in the first half")
    ap.add_argument("--budget-min", type=float, default=100)
    ap.add_argument("--phase-min", type=float, default=0,
                    help="continue a finished checkpoint for this many more minutes, with a fresh warm-up and cosine")
    ap.add_argument("--ckpt-min", type=float, default=5)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--bench", type=int, default=0, help="time this many steps and exit, no checkpoint")
    ap.add_argument("--work", default=WORK)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    tok = ByteBPE(os.path.join(args.work, "tokenizer.json"))
    vocab = max(tok.id_to_bytes) + 1
    docs = load_docs(os.path.join(args.work, "corpus", "train.jsonl"))
    t0 = time.time()
    stream = token_stream(tok, docs, os.path.join(args.work, "tokens_train.npy"))
    log(f"{len(docs)} docs, {len(stream)} tokens ({time.time() - t0:.0f}s)")

    ckpt_path = os.path.join(args.work, "ckpt.pt")
    state = torch.load(ckpt_path) if os.path.exists(ckpt_path) and not args.bench else None
    if state:
        args_saved = state["args"]
        for k in ("hidden", "layers", "heads", "kv_heads", "inter", "seq"):
            setattr(args, k, args_saved[k])
    torch.manual_seed(0)
    model = Qwen2Bidir(model_config(args, vocab))
    with torch.no_grad():
        for n, p in model.named_parameters():
            if p.dim() == 2:
                p.normal_(0, 0.02)
            if n.endswith("o_proj.weight") or n.endswith("down_proj.weight"):
                p.mul_(1 / math.sqrt(2 * args.layers))
    decay = [p for n, p in model.named_parameters() if p.dim() == 2]
    other = [p for n, p in model.named_parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": other, "weight_decay": 0.0}],
                            lr=args.lr, betas=(0.9, 0.95), eps=1e-8)
    step, tokens, train_s = 0, 0, 0.0
    rng = random.Random(1234)
    if state:
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["opt"])
        step, tokens, train_s = state["step"], state["tokens"], state["train_s"]
        rng.setstate(state["py_rng"])
        torch.set_rng_state(state["torch_rng"])
        log(f"resumed at step {step}, {tokens} tokens, {train_s / 60:.1f} min trained")
    # A phase is a warm-up and cosine of its own over [phase_start, phase_start + budget].
    phase_start = state.get("phase_start", 0.0) if state else 0.0
    if state and args.phase_min and state["args"].get("phase_min") != args.phase_min:
        phase_start = train_s
        log(f"new phase of {args.phase_min} min from {train_s / 60:.1f} min")
    if args.phase_min:
        args.budget_min = args.phase_min
    n_params = sum(p.numel() for p in model.parameters())
    log(f"model {n_params / 1e6:.2f}M params ({(n_params - vocab * args.hidden) / 1e6:.2f}M non-embedding), "
        f"args {vars(args)}")
    ex = Examples(tok, docs, stream, args.seq, rng)
    model.train()
    last_ckpt = time.time()
    win_loss, win_ce, win_tok, win_n, win_t = 0.0, 0.0, 0, 0, time.time()
    win_ar, win_nar = 0.0, 0
    budget = args.budget_min * 60
    # `kill` (SIGTERM) ends the run at the next step boundary with a checkpoint, losing nothing.
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(True))
    while train_s - phase_start < budget and not stop:
        ts = time.time()
        frac = (train_s - phase_start) / budget
        for g in opt.param_groups:
            g["lr"] = lr_at(frac, args.lr)
        is_ar = rng.random() < ar_frac_at(frac, args.ar_frac)
        if is_ar:
            ids = torch.stack([ex.pretrain()[0] for _ in range(args.batch)])
            loss = ar_loss(model, ids)
        else:
            noisy, ids, masked, t, elig = ex.batch(args.batch, args.infill_frac)
            loss, ce = loss_fn(model, noisy, ids, masked, t, elig)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        step += 1
        tokens += ids.numel()
        train_s += time.time() - ts
        win_tok += ids.numel()
        if is_ar:
            win_ar += loss.item()
            win_nar += 1
        else:
            win_loss += loss.item()
            win_ce += ce.item()
            win_n += 1
        if args.bench and step >= args.bench:
            dt = time.time() - win_t
            log(f"bench: {step} steps, {win_tok / dt:.0f} tokens/s, loss {win_loss / step:.3f}")
            return
        if step % 25 == 0:
            dt = time.time() - win_t
            ar = f" ar-ce {win_ar / win_nar:.4f} ({win_nar} ar steps)" if win_nar else ""
            log(f"step {step} loss {win_loss / max(1, win_n):.4f} masked-ce {win_ce / max(1, win_n):.4f}{ar} "
                f"lr {opt.param_groups[0]['lr']:.2e} "
                f"{win_tok / dt:.0f} tok/s tokens {tokens / 1e6:.2f}M trained {train_s / 60:.1f}/{args.budget_min:.0f} min")
            win_loss, win_ce, win_tok, win_n, win_t = 0.0, 0.0, 0, 0, time.time()
            win_ar, win_nar = 0.0, 0
        if time.time() - last_ckpt > args.ckpt_min * 60 or train_s - phase_start >= budget or stop:
            save(ckpt_path, model, opt, step, tokens, train_s, rng, args, win_ce / max(1, win_n), phase_start)
            last_ckpt = time.time()
    log("stopped by SIGTERM" if stop else "budget reached")


def save(path, model, opt, step, tokens, train_s, rng, args, last_ce, phase_start):
    tmp = path + ".tmp"
    torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "step": step, "tokens": tokens,
                "train_s": train_s, "py_rng": rng.getstate(), "torch_rng": torch.get_rng_state(),
                "args": vars(args), "config": model.config.to_dict(), "last_ce": last_ce,
                "phase_start": phase_start}, tmp)
    os.replace(tmp, path)
    log(f"checkpoint step {step}")


if __name__ == "__main__":
    main()
