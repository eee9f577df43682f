"""Train the bundled masked-diffusion model (Dream family: logits row i-1 predicts token i), on a GPU
or on the CPU, for a budget of minutes.

  GPU (the one-shot run, tools/model/README.md):
    python3 -m tools.model.training.train --device cuda --budget-min 8.5 --deadline-min 9.6 --out $OUT \
        --corpus models/.train/carry/corpus-train.jsonl.xz
  CPU, in the background, resumable:
    nice -n 19 python3 -m tools.model.training.train --budget-min 100 >> models/.train/train.log 2>&1 &

The weights start from, in order: the resumable checkpoint (--ckpt, with the optimizer), the model
folder the repo ships when its shapes and tokenizer are this recipe's (so each GPU run adds to the
last), or random.  --out gets the weights as bfloat16 safetensors shards of at most 15.5 MB, a
config.json and train.json, every --save-min minutes and at the end, so a run cut short still
returns weights.  export_bundled.py turns them into the shipped model folder.

The objective is LLaDA / MDLM masked diffusion (t ~ U(eps, 1), each eligible token masked with
probability t, cross entropy on the masked tokens weighted 1/t) over the examples of
train_data.py, plus a share of auto-regressive steps early on (--ar-frac), as Dream starts from an
AR model: they teach the network to read its context far sooner.  The learning rate (warm-up, then
cosine to 10%) follows training *time* against the budget.
"""
import argparse
import filecmp
import inspect
import json
import math
import os
import random
import shutil
import signal
import time

import torch
import torch.nn.functional as F

from ..folders.hf_checkpoint import dream_config, special_ids
from ..folders.model_folder import read_weights
from ..paths import BUNDLED, RECIPE_TOKENIZER, WORK
from ..references import qwen2_bidir
from ..references.qwen2_bidir import Qwen2Bidir, Qwen2Config
from ..references.safetensors_io import load_weights, save_sharded_bf16
from .train_data import Batches, Examples, load_tokenizer, mask_batch, read_corpus

SHARD_BYTES = 15_500_000  # the GPU job returns files of at most 16 MiB
START = time.time()


def log(msg):
    print(f"{time.strftime('%H:%M:%S', time.gmtime())} {msg}", flush=True)


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--hidden", type=int, default=384)
    ap.add_argument("--layers", type=int, default=12)
    ap.add_argument("--heads", type=int, default=6)
    ap.add_argument("--kv-heads", type=int, default=2)
    ap.add_argument("--inter", type=int, default=1280)
    ap.add_argument("--seq", type=int, default=1024, help="canvas length (the model's maxContext)")
    ap.add_argument("--batch", type=int, help="rows a step (default 128 on a GPU, 8 on the CPU)")
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--infill-frac", type=float, default=0.6, help="share of infill rows; the rest are windows")
    ap.add_argument("--ar-frac", type=float, default=0.25, help="share of auto-regressive steps in the first half")
    ap.add_argument("--budget-min", type=float, default=100, help="minutes of training")
    ap.add_argument("--deadline-min", type=float, help="stop, with the weights written, this long after start")
    ap.add_argument("--phase-min", type=float, default=0,
                    help="continue a finished checkpoint for this many more minutes, with a warm-up and cosine of its own")
    ap.add_argument("--corpus", default=os.path.join(WORK, "corpus", "train.jsonl"))
    ap.add_argument("--heldout", default=os.path.join(WORK, "corpus", "heldout.jsonl"),
                    help="held-out corpus for the validation loss ('' for none)")
    ap.add_argument("--tokenizer", default=RECIPE_TOKENIZER)
    ap.add_argument("--init", default="auto", help="auto, scratch, or a weights folder (safetensors) or model folder")
    ap.add_argument("--ckpt", default=os.path.join(WORK, "ckpt.pt"), help="resumable checkpoint ('' for none)")
    ap.add_argument("--ckpt-min", type=float, default=5)
    ap.add_argument("--out", help="write the weights here (safetensors shards, config.json, train.json)")
    ap.add_argument("--save-min", type=float, default=3)
    ap.add_argument("--workers", type=int, help="data loader processes (default: the cores less two)")
    ap.add_argument("--threads", type=int, default=2, help="torch threads on the CPU")
    ap.add_argument("--bf16", choices=["auto", "on", "off"], default="auto",
                    help="bfloat16 autocast (auto: on a GPU, and on a CPU with bfloat16 instructions)")
    ap.add_argument("--compile", choices=["auto", "on", "off"], default="auto", help="torch.compile the layers (auto: on a GPU)")
    ap.add_argument("--peak-tflops", type=float, default=989.0, help="for the utilisation figure: dense bf16 peak (H100/H200 SXM)")
    ap.add_argument("--max-steps", type=int, default=0, help="stop after this many steps (tests)")
    ap.add_argument("--log-every", type=int, default=25)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    if args.batch is None:
        args.batch = 128 if args.device.startswith("cuda") else 8
    return args


def model_config(args, vocab):
    return Qwen2Config(vocab_size=vocab, hidden_size=args.hidden, num_hidden_layers=args.layers,
                       num_attention_heads=args.heads, num_key_value_heads=args.kv_heads,
                       intermediate_size=args.inter, rope_theta=10000.0, tie_word_embeddings=True,
                       max_position_embeddings=args.seq)


def fresh_model(cfg, seed):
    torch.manual_seed(seed)
    model = Qwen2Bidir(cfg)
    with torch.no_grad():
        for n, p in model.named_parameters():
            if p.dim() == 2:
                p.normal_(0, 0.02)
            if n.endswith("o_proj.weight") or n.endswith("down_proj.weight"):
                p.mul_(1 / math.sqrt(2 * cfg.num_hidden_layers))
    return model


def same_file(a, b):
    return os.path.exists(a) and os.path.exists(b) and filecmp.cmp(a, b, shallow=False)


def initial_weights(args, model):
    """Weights to start from and where they came from; None to keep the random ones."""
    if args.init == "scratch":
        return None, "random"
    if args.init != "auto":
        folder = args.init
        state = read_weights(folder) if os.path.exists(os.path.join(folder, "model.json")) else load_weights(folder)
        if model.config.tie_word_embeddings and "lm_head.weight" not in state:  # --out stores it once
            state["lm_head.weight"] = state["model.embed_tokens.weight"]
        return state, folder
    onnx = os.path.join(BUNDLED, "model.onnx")
    if not same_file(os.path.join(BUNDLED, "tokenizer.json"), args.tokenizer) or not os.path.exists(onnx):
        return None, "random (the shipped model has another tokenizer)"
    state = read_weights(BUNDLED)
    if model.config.tie_word_embeddings:
        state["lm_head.weight"] = state["model.embed_tokens.weight"]
    want = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    if state is None or {k: tuple(v.shape) for k, v in state.items()} != want:
        return None, "random (the shipped model has other shapes)"
    return state, "the shipped model (models/bundled)"


def step_flops(cfg, rows, seq, supervised):
    """Model FLOPs of one training step (forward and backward, 3x the forward): the matrix products
    of the layers, attention over the whole canvas, and the output layer at the supervised positions."""
    h, L = cfg.hidden_size, cfg.num_hidden_layers
    kv = h // cfg.num_attention_heads * cfg.num_key_value_heads
    per_token = L * (2 * h * (2 * h + 2 * kv) + 2 * 3 * h * cfg.intermediate_size + 4 * seq * h)
    return 3 * (rows * seq * per_token + 2 * supervised * h * cfg.vocab_size)


def lr_at(frac, base, warm_frac=0.03, floor=0.1):
    if frac < warm_frac:
        return base * frac / warm_frac
    p = min(1.0, (frac - warm_frac) / (1 - warm_frac))
    return base * (floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * p)))


def ar_frac_at(frac, start):
    """Share of AR steps: `start` for the first half of training, then down to none at 75%."""
    if frac < 0.5:
        return start
    return max(0.0, start * (0.75 - frac) / 0.25)


def cpu_has_bf16():
    """Whether this CPU multiplies bfloat16 natively (AVX-512 BF16 or AMX): there autocast's matrix
    products run several times faster than float32; elsewhere they are emulated, and slower."""
    try:
        with open("/proc/cpuinfo") as f:
            flags = next((line.split(":", 1)[1].split() for line in f if line.startswith("flags")), [])
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


class Trainer:
    def __init__(self, args, model, tok):
        self.args, self.model, self.tok = args, model, tok
        self.device = torch.device(args.device)
        self.cuda = self.device.type == "cuda"
        self.mask_id = tok.specials["<|mask|>"]
        bf16 = args.bf16 == "on" or (args.bf16 == "auto" and (self.cuda or cpu_has_bf16()))
        self.autocast = torch.autocast(self.device.type, dtype=torch.bfloat16) if bf16 else None
        self.layers = list(model.model.layers)  # the eager modules, for a fallback from compile
        self.compiled = False
        if args.compile == "on" or (args.compile == "auto" and self.cuda):
            self.set_compiled(hasattr(torch, "compile"))

    def set_compiled(self, on):
        # Layer by layer: the twelve share one compiled graph, and the loss's shapes (which vary
        # with the number of masked tokens) stay out of it.
        layers = [torch.compile(m) for m in self.layers] if on else self.layers
        self.model.model.layers = torch.nn.ModuleList(layers)
        self.compiled = on

    def context(self):
        return self.autocast if self.autocast else torch.autocast("cpu", enabled=False)

    def masked_loss(self, ids, elig, valid, gen=None):
        noisy, masked, t = mask_batch(ids, elig, self.mask_id, gen)
        b_idx, p_idx = masked.nonzero(as_tuple=True)
        with self.context():
            h = self.model.hidden(noisy, attention_mask=None if bool(valid.all()) else valid.long())
            logits = self.model.lm_head(h[b_idx, p_idx - 1])  # shifted: row i-1 predicts token i
        ce = F.cross_entropy(logits.float(), ids[b_idx, p_idx], reduction="none")
        loss = (ce / t[b_idx, 0]).sum() / elig.sum()
        return loss, ce.detach().mean(), len(b_idx)

    def ar_loss(self, ids):
        """Causal attention, every position predicts the next token, through the same shifted head."""
        with self.context():
            h = self.model.hidden(ids, causal=True)
            logits = self.model.lm_head(h[:, :-1])
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]).float(), ids[:, 1:].reshape(-1))
        return loss, ids.shape[0] * (ids.shape[1] - 1)

    @torch.no_grad()
    def heldout_ce(self, batches):
        """Masked cross entropy on fixed held-out batches (the same masks every time)."""
        self.model.eval()
        gen = torch.Generator(self.device).manual_seed(1234)
        total, n = 0.0, 0
        for ids, elig, valid, _ in batches:
            ids, elig, valid = ids.to(self.device).long(), elig.to(self.device), valid.to(self.device)
            _, ce, k = self.masked_loss(ids, elig, valid, gen)
            total += ce.item() * k
            n += k
        self.model.train()
        return total / max(1, n)


def make_optimizer(model, lr, cuda):
    decay = [p for p in model.parameters() if p.dim() == 2]
    other = [p for p in model.parameters() if p.dim() < 2]
    groups = [{"params": decay, "weight_decay": 0.1}, {"params": other, "weight_decay": 0.0}]
    kw = {}
    if cuda and "fused" in inspect.signature(torch.optim.AdamW).parameters:
        kw["fused"] = True
    return torch.optim.AdamW(groups, lr=lr, betas=(0.9, 0.95), eps=1e-8, **kw)


def module_state(model):
    """The state dict under the module's own names, without torch.compile's `_orig_mod` wrapper."""
    return {k.replace("._orig_mod", ""): v for k, v in model.state_dict().items()}


def export_weights(out, model, cfg, summary, tokenizer):
    """bfloat16 shards (the tied output layer once), config.json and train.json, each written whole, and the
    tokenizer: a Dream-layout Hugging Face checkpoint, which `diffusion-infill models convert` builds from."""
    os.makedirs(out, exist_ok=True)
    state = {k: v for k, v in module_state(model).items() if not (cfg.tie_word_embeddings and k == "lm_head.weight")}
    save_sharded_bf16(out, state, SHARD_BYTES, metadata={"step": summary["step"]})
    config = dream_config(cfg, **special_ids(tokenizer), name=f"trained by tools/model/training/train.py ({summary['step']} steps)")
    shutil.copyfile(tokenizer, os.path.join(out, "tokenizer.json.tmp"))
    os.replace(os.path.join(out, "tokenizer.json.tmp"), os.path.join(out, "tokenizer.json"))
    for name, doc in (("config.json", config), ("train.json", summary)):
        with open(os.path.join(out, name + ".tmp"), "w") as f:
            json.dump(doc, f, indent=1)
        os.replace(os.path.join(out, name + ".tmp"), os.path.join(out, name))


def save_ckpt(path, model, opt, progress, args):
    tmp = path + ".tmp"
    torch.save({"model": module_state(model), "opt": opt.state_dict(), "args": vars(args), "config": model.config.to_dict(),
                **progress}, tmp)
    os.replace(tmp, path)
    log(f"checkpoint step {progress['step']}")


def main(argv=None):
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    cuda = args.device.startswith("cuda")
    if cuda:
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
    t0 = time.time()
    docs = read_corpus(args.corpus)
    tok = load_tokenizer(args.tokenizer, [d[:2000] for d in docs[:200]])
    vocab = max(max(tok.specials.values()), 0) + 1
    log(f"{len(docs)} documents, {sum(map(len, docs)) / 1e6:.1f}M characters, tokenizer {type(tok).__name__} "
        f"({time.time() - t0:.1f}s)")

    resume = torch.load(args.ckpt, map_location="cpu") if args.ckpt and os.path.exists(args.ckpt) else None
    if resume:
        for k in ("hidden", "layers", "heads", "kv_heads", "inter", "seq"):
            setattr(args, k, resume["args"][k])
    cfg = model_config(args, vocab)
    model = fresh_model(cfg, args.seed)
    progress = {"step": 0, "tokens": 0, "train_s": 0.0, "phase_start": 0.0}
    if resume:
        model.load_state_dict(resume["model"])
        origin = f"checkpoint {args.ckpt}"
        progress.update({k: resume[k] for k in progress if k in resume})
    else:
        state, origin = initial_weights(args, model)
        if state is not None:
            model.load_state_dict(state)
    model.to(args.device)
    opt = make_optimizer(model, args.lr, cuda)
    if resume:
        opt.load_state_dict(resume["opt"])
    if resume and args.phase_min and resume["args"].get("phase_min") != args.phase_min:
        progress["phase_start"] = progress["train_s"]
        log(f"new phase of {args.phase_min} min from {progress['train_s'] / 60:.1f} min")
    budget = (args.phase_min or args.budget_min) * 60
    n_params = sum(p.numel() for p in model.parameters())
    log(f"model {n_params / 1e6:.2f}M parameters ({(n_params - vocab * args.hidden) / 1e6:.2f}M besides the embedding), "
        f"from {origin}; step {progress['step']}; args {vars(args)}")

    workers = args.workers if args.workers is not None else (max(1, (os.cpu_count() or 2) - 2) if cuda else 0)
    seed = args.seed * 7919 + progress["step"]  # a resumed run draws new examples

    def loader(workers):
        # prefetch 2: a VM's /dev/shm can be small, and every batch in flight sits there.
        parallel = {"prefetch_factor": 2, "persistent_workers": True} if workers else {}
        return iter(torch.utils.data.DataLoader(Batches(tok, docs, args.seq, args.batch, args.infill_frac, seed),
                                                batch_size=None, num_workers=workers, pin_memory=cuda, **parallel))
    heldout = []
    if args.heldout and os.path.exists(args.heldout):
        hdocs = read_corpus(args.heldout)
        ex = Examples(tok, hdocs, args.seq, random.Random(99))
        heldout = [ex.batch(min(args.batch, 32), args.infill_frac) for _ in range(4 if cuda else 1)]

    trainer = Trainer(args, model, tok)
    rng = random.Random(seed)
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append("SIGTERM"))
    deadline = START + args.deadline_min * 60 if args.deadline_min else float("inf")
    last_save = last_ckpt = time.time()
    fresh = {"loss": 0.0, "ce": 0.0, "n": 0, "ar": 0.0, "n_ar": 0, "tokens": 0, "flops": 0.0, "wait": 0.0}
    win = dict(fresh, t=time.time())
    history = []
    summary = {}
    it = loader(workers)
    model.train()
    clock = 0  # steps done in this run: the first ones (compilation, warm-up) do not count towards the budget
    while not stop:
        frac = (progress["train_s"] - progress["phase_start"]) / budget
        if args.max_steps:  # a test's run: the schedule follows steps, not the clock
            frac = clock / args.max_steps
        if frac >= 1 or (args.max_steps and clock >= args.max_steps) or time.time() > deadline:
            break
        ts = time.time()
        for g in opt.param_groups:
            g["lr"] = lr_at(frac, args.lr)
        try:
            batch = next(it)
        except Exception as e:  # noqa: BLE001 - loader processes that cannot start (shared memory): load here
            if clock > 0 or not workers:
                raise
            log(f"data loader processes failed ({type(e).__name__}: {str(e)[:300]}); loading in this process")
            workers = 0
            it = loader(0)
            batch = next(it)
        win["wait"] += time.time() - ts  # time the GPU may have waited for the data loader
        ids, elig, valid, is_window = (x.to(args.device, non_blocking=True) for x in batch)
        ids = ids.long()
        ar = rng.random() < ar_frac_at(frac, args.ar_frac) and bool(is_window.any())
        try:
            if ar:
                loss, supervised = trainer.ar_loss(ids[is_window])
                rows = int(is_window.sum())
            else:
                loss, ce, supervised = trainer.masked_loss(ids, elig, valid)
                rows = ids.shape[0]
            opt.zero_grad(set_to_none=True)
            loss.backward()
        except Exception as e:  # noqa: BLE001 - a GPU run has one try: fall back rather than die
            if not (trainer.compiled or qwen2_bidir.FUSED_ATTENTION):
                raise
            log(f"step {progress['step'] + 1} failed ({type(e).__name__}: {str(e)[:300]}); going on "
                + ("without torch.compile" if trainer.compiled else "without fused attention"))
            if trainer.compiled:
                trainer.set_compiled(False)
            else:
                qwen2_bidir.FUSED_ATTENTION = False
            continue
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        clock += 1
        progress["step"] += 1
        progress["tokens"] += rows * args.seq
        win["tokens"] += rows * args.seq
        win["flops"] += step_flops(cfg, rows, args.seq, supervised)
        if ar:
            win["ar"] += loss.detach()
            win["n_ar"] += 1
        else:
            win["loss"] += loss.detach()
            win["ce"] += ce
            win["n"] += 1
        if clock > 3:
            progress["train_s"] += time.time() - ts
        if clock == 3:
            log(f"first steps done in {time.time() - START:.0f}s since start (compiled: {trainer.compiled})")
            win.update(fresh, t=time.time())
        if clock > 3 and progress["step"] % args.log_every == 0:
            if cuda:
                torch.cuda.synchronize()
            dt = time.time() - win["t"]
            n, n_ar = max(1, win["n"]), max(1, win["n_ar"])
            line = {"step": progress["step"], "loss": float(win["loss"]) / n, "masked_ce": float(win["ce"]) / n,
                    "ar_ce": float(win["ar"]) / n_ar if win["n_ar"] else None, "lr": opt.param_groups[0]["lr"],
                    "tokens_per_s": win["tokens"] / dt, "mfu": win["flops"] / dt / (args.peak_tflops * 1e12),
                    "tokens": progress["tokens"], "minutes": progress["train_s"] / 60, "data_wait": win["wait"] / dt}
            history.append(line)
            log(f"step {line['step']} loss {line['loss']:.4f} masked-ce {line['masked_ce']:.4f}"
                + (f" ar-ce {line['ar_ce']:.4f} ({win['n_ar']} ar)" if win["n_ar"] else "")
                + f" lr {line['lr']:.2e} {line['tokens_per_s']:.0f} tok/s mfu {line['mfu']:.1%} data wait {line['data_wait']:.0%}"
                + f" tokens {progress['tokens'] / 1e6:.1f}M trained {line['minutes']:.1f}/{budget / 60:.1f} min")
            win.update(fresh, t=time.time())
        if args.out and time.time() - last_save > args.save_min * 60:
            summary = run_summary(args, progress, history, trainer, heldout, origin, n_params, clock)
            export_weights(args.out, model, cfg, summary, args.tokenizer)
            last_save = time.time()
        if args.ckpt and not cuda and time.time() - last_ckpt > args.ckpt_min * 60:
            save_ckpt(args.ckpt, model, opt, progress, args)
            last_ckpt = time.time()
    reason = stop[0] if stop else "deadline" if time.time() > deadline else "budget or step limit reached"
    summary = run_summary(args, progress, history, trainer, heldout, origin, n_params, clock)
    summary["stopped"] = reason
    if args.out:
        export_weights(args.out, model, cfg, summary, args.tokenizer)
    if args.ckpt and not cuda:
        save_ckpt(args.ckpt, model, opt, progress, args)
    log(f"{reason}: step {progress['step']}, {progress['tokens'] / 1e6:.1f}M tokens, heldout masked-ce "
        f"{summary['heldout_masked_ce']}, {time.time() - START:.0f}s since start")
    return summary


def run_summary(args, progress, history, trainer, heldout, origin, n_params, clock):
    recent = history[-5:]
    return {"step": progress["step"], "tokens": progress["tokens"], "train_s": progress["train_s"],
            "steps_this_run": clock, "init": origin, "params": n_params, "compiled": trainer.compiled,
            "bf16": trainer.autocast is not None,
            "fused_attention": qwen2_bidir.FUSED_ATTENTION, "device": args.device,
            "device_name": torch.cuda.get_device_name() if trainer.cuda else "cpu",
            "tokens_per_s": sum(h["tokens_per_s"] for h in recent) / max(1, len(recent)),
            "mfu": sum(h["mfu"] for h in recent) / max(1, len(recent)),
            "heldout_masked_ce": round(trainer.heldout_ce(heldout), 4) if heldout else None,
            "args": vars(args), "history": history}


if __name__ == "__main__":
    main()
