"""Infill evaluation on the held-out files of the corpus, with two baselines measured on the same cases.

  python3 -m tools.model.evaluation.eval_heldout [--ckpt models/.train/ckpt.pt | --engine [MODEL_DIR]] [--single 200] [--multi 100] [--json OUT]

--ckpt decodes a training checkpoint in torch (dream_decode.py); --engine runs a model folder (the
bundled one by default) through the project's own engine, `diffusion-infill serve`: what users run.

Cases (fixed seed): a single line with its indentation kept in the prefix (a hole of 24 tokens, the
inline completion's; longer lines are skipped), and 2-4 consecutive lines (a hole of 48 tokens, Fill
Selection's default; longer targets are skipped): the hole's length never tells the model the
answer's.  Blank lines are never the target's first line.  The model decodes one token per step,
and with each of --thresholds (all positions above one commit together).  Several model folders given to
--engine, and several --cache-refresh settings, are scored on the same cases in one run, each after the
first also against the first: the exact-match difference with its interval, and how many fills are
identical to the first's (what a setting that should not change the answer, like the context cache,
changes).
"""
import argparse
import collections
import json
import os
import random
import time
from concurrent.futures import ThreadPoolExecutor

import torch

from ..corpus.tok import ByteBPE
from ..paths import RECIPE_TOKENIZER, WORK
from .dream_decode import Decoder, load_checkpoint
from .engine_client import EngineServer
SINGLE_HOLE = 24  # diffusionInfill.inline.holeTokens
MULTI_HOLE = 48  # diffusionInfill.fill.holeTokens


def levenshtein(a, b):
    if len(a) < len(b):
        a, b = b, a
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def norm(s):
    return "\n".join(x.rstrip() for x in s.rstrip().split("\n"))


def edit_sim(pred, target):
    p, t = norm(pred), norm(target)
    return 1.0 - levenshtein(p, t) / max(len(p), len(t), 1)


def make_cases(docs, tok, n_single, n_multi, seed=0):
    rng = random.Random(seed)
    cases, skipped = [], 0
    for kind, n in (("single", n_single), ("multi", n_multi)):
        got = 0
        while got < n:
            text = rng.choice(docs)
            lines = text.split("\n")
            k = 1 if kind == "single" else rng.randint(2, 4)
            cand = [i for i, x in enumerate(lines[:len(lines) - k + 1]) if x.strip()]
            if not cand:
                continue
            i = rng.choice(cand)
            start = sum(len(x) + 1 for x in lines[:i])
            indent = len(lines[i]) - len(lines[i].lstrip())
            block = "\n".join(lines[i:i + k])
            target = block[indent:].rstrip()
            a = start + indent
            b = a + len(target)
            ntok = len(tok.encode(target))
            hole = SINGLE_HOLE if kind == "single" else MULTI_HOLE
            if ntok >= hole:
                skipped += 1
                continue
            above = [x for x in lines[max(0, i - k):i]]
            cases.append({"kind": kind, "prefix": text[:a], "suffix": text[b:], "target": target, "hole": hole,
                          "above": "\n".join(above).strip() if kind == "multi" else (above[-1].strip() if above else "")})
            got += 1
    return cases, skipped


def most_frequent_line(path):
    c = collections.Counter()
    with open(path) as f:
        for line in f:
            c.update(x.strip() for x in json.loads(line)["text"].split("\n") if x.strip())
    return c.most_common(1)[0][0]


def score(cases, preds):
    out = {}
    for kind in ("single", "multi"):
        rows = [(c, p) for c, p in zip(cases, preds) if c["kind"] == kind]
        if rows:
            out[kind] = {"n": len(rows),
                         "exact": sum(norm(p) == norm(c["target"]) for c, p in rows) / len(rows),
                         "edit_sim": sum(edit_sim(p, c["target"]) for c, p in rows) / len(rows)}
    return out


def single_hits(cases, preds):
    return [norm(p) == norm(c["target"]) for c, p in zip(cases, preds) if c["kind"] == "single"]


def paired_bootstrap(model_hits, base_hits, rounds=10000, seed=0):
    """The single-line exact-match difference, model minus baseline, on the same cases, with a 95%
    interval from resampling the cases (both methods keep their answers to each case)."""
    rng = random.Random(seed)
    n = len(model_hits)
    diffs = [int(a) - int(b) for a, b in zip(model_hits, base_hits)]
    stats = sorted(sum(diffs[rng.randrange(n)] for _ in range(n)) / n for _ in range(rounds))
    return {"diff": sum(diffs) / n, "lo": stats[int(0.025 * rounds)], "hi": stats[int(0.975 * rounds) - 1]}


def same_fills(preds, base):
    """The share of cases whose fill is the baseline's, character for character, with a 95% interval
    from resampling the cases."""
    same = [p == b for p, b in zip(preds, base)]
    rng = random.Random(0)
    n = len(same)
    stats = sorted(sum(same[rng.randrange(n)] for _ in range(n)) / n for _ in range(10000))
    return {"share": sum(same) / n, "lo": stats[250], "hi": stats[9749]}


def median(xs):
    xs = sorted(xs)
    return xs[len(xs) // 2] if xs else float("nan")


def by_confidence(cases, preds, conf):
    """Single-line cases: how many fills reach each confidence, and how good those are (what an
    editor that hides less confident suggestions would show)."""
    rows = [(c, p, k) for c, p, k in zip(cases, preds, conf) if c["kind"] == "single"]
    out = []
    for floor in (0.0, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8):
        kept = [(c, p) for c, p, k in rows if k >= floor]
        out.append({"min_confidence": floor, "shown": len(kept) / max(1, len(rows)),
                    "exact": sum(norm(p) == norm(c["target"]) for c, p in kept) / max(1, len(kept)),
                    "edit_sim": sum(edit_sim(p, c["target"]) for c, p in kept) / max(1, len(kept))})
    return out


EDIT_REACH = 500  # characters either side of the hole an edit of a history falls in: inside the bundled model's window
TYPED = ["x", "foo", "  ", "1", "self.", "(a, b)", "\n", "# note", "return "]


def edit_history(prefix, suffix, n, rng):
    """n earlier versions of a case's text, oldest first, as (text, hole offset): each one random edit
    further from it (a few characters typed, a few deleted, a line added), within EDIT_REACH of the
    hole, never in it.  Asked in order and then the case itself, they are an editor's requests while
    the user edits towards the case's text."""
    text, at, versions = prefix + suffix, len(prefix), []
    for _ in range(n):
        pos = rng.randint(max(0, at - EDIT_REACH), min(len(text), at + EDIT_REACH))
        kind = rng.choice(["type", "delete", "line"])
        if kind == "line":
            pos = text.rfind("\n", 0, pos) + 1
        if kind == "delete":
            k = rng.randint(1, 8)
            start, end = (pos, min(pos + k, at)) if pos < at else (pos, min(pos + k, len(text)))
            text = text[:start] + text[end:]
            at -= (end - start) if start < at else 0
        else:
            piece = rng.choice(TYPED) if kind == "type" else "x = 1\n"
            text = text[:pos] + piece + text[pos:]
            at += len(piece) if pos <= at else 0
        versions.append((text, at))
    return versions[::-1]


def engine_fills(engine, name, cases, args, confidence, timings, cache_refresh, reuse=None):
    """fill_all(threshold) for one model folder served by the engine: (fill, forwards, tokens per forward) per case.
    reuse True: each case is asked right after the same request `--typed` keystrokes earlier (the
    prefix's last characters not yet typed), or with --edit-history N after N requests on random
    earlier versions of its text (edit_history), as an editor asks, so its first pass may start from
    those requests' keys and values; the cases then run one at a time.  False: contextReuse off.
    The figures of the case's own request are kept: its elapsedMs, and the time to its first draft;
    with reuse, also those of the same request asked alone right after it (the same load)."""
    def fill_all(threshold):
        def one(c):
            # One token a step is asked for outright: a model.json threshold would otherwise apply.
            opts = {"threshold": threshold} if threshold is not None else {"threshold": None, "steps": c["hole"]}
            if args.block:
                opts["blockLength"] = args.block
            if cache_refresh:
                opts["cacheRefresh"] = cache_refresh
            hole = {"start": len(c["prefix"]), "end": len(c["prefix"]), "tokens": c["hole"]}
            if c["kind"] == "single" and args.single_line:
                hole["singleLine"] = True
            if args.healing != "model":
                opts["tokenHealing"] = args.healing == "on"
            if reuse is not None:
                opts["contextReuse"] = reuse
            if reuse is not None:
                # One document, one client: the key that lets the case start from its own history.
                opts["reuseKey"] = f"case-{id(c)}"
            if reuse and args.edit_history:
                rng = random.Random(f"{args.case_seed}:{c['prefix'][-64:]}:{c['target']}")
                for text, at in edit_history(c["prefix"], c["suffix"], args.edit_history, rng):
                    engine.fill(text, [dict(hole, start=at, end=at)], alg=args.alg, **opts)
            elif reuse and c["prefix"]:
                earlier = c["prefix"][:max(0, len(c["prefix"]) - args.typed)]
                engine.fill(earlier + c["suffix"], [dict(hole, start=len(earlier), end=len(earlier))], alg=args.alg, **opts)
            fills, stats = engine.fill(c["prefix"] + c["suffix"], [hole], alg=args.alg, **opts)
            confidence[(name, threshold, id(c))] = stats["confidence"][0]
            times = [stats["elapsedMs"], stats["firstDraftMs"]]
            if reuse:
                # The same request alone, right after: its time under the same load.
                _, alone = engine.fill(c["prefix"] + c["suffix"], [hole], alg=args.alg, **dict(opts, contextReuse=False))
                times += [alone["elapsedMs"], alone["firstDraftMs"]]
            timings[(name, threshold, id(c))] = times
            return fills[0], stats["steps"], stats["tokensPerStep"]
        if reuse is not None:  # one at a time, off as on: their times compare
            return [one(c) for c in cases]
        with ThreadPoolExecutor(8) as pool:  # the server batches concurrent requests
            return list(pool.map(one, cases))
    return fill_all


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", default=os.path.join(WORK, "ckpt.pt"))
    ap.add_argument("--tokenizer", default=RECIPE_TOKENIZER, help="counts the targets' tokens")
    ap.add_argument("--corpus", default=os.path.join(WORK, "corpus"))
    ap.add_argument("--single", type=int, default=200)
    ap.add_argument("--multi", type=int, default=100)
    ap.add_argument("--engine", nargs="*", metavar="MODEL_DIR",
                    help="score model folders (none named: the bundled one) through the engine instead")
    ap.add_argument("--healing", choices=["model", "on", "off"], default="model",
                    help="engine: token healing at the hole's start as model.json says, or forced on / off")
    ap.add_argument("--case-seed", type=int, default=0, help="0: the reported cases; another seed draws a validation set for choosing settings")
    ap.add_argument("--single-line", action="store_true", help="single-line cases get single-line holes (no line break)")
    ap.add_argument("--alg", default="entropy", choices=["entropy", "maskgit_plus"])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", type=int, default=16, help="cases decoded together")
    ap.add_argument("--block", type=int, help="semi-autoregressive block length (model.json blockLength)")
    ap.add_argument("--thresholds", default="0.9", help="comma-separated thresholds scored beside 1 token/step")
    ap.add_argument("--cache-refresh", default="",
                    help="engine: comma-separated cacheRefresh settings, each scored (a full pass once this many of a block's "
                         "masked positions are decided since the last; 1: no context cache); default model.json's")
    ap.add_argument("--context-reuse", default="",
                    help="comma-separated off,on (engine): on asks each case right after the request a keystroke "
                         "earlier, so that its first pass starts from that request's keys and values")
    ap.add_argument("--typed", type=int, default=1, help="--context-reuse on: characters typed since the earlier request")
    ap.add_argument("--edit-history", type=int, default=0,
                    help="--context-reuse on: instead, N requests on random earlier versions of the case's text before it")
    ap.add_argument("--json", help="write the results here")
    ap.add_argument("--show", type=int, default=0, help="print this many example fills")
    ap.add_argument("--write-cases", metavar="OUT",
                    help="only write the cases (kind, prefix, suffix, target) to this JSON file, for the bench's length search")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    tok = ByteBPE(args.tokenizer)
    with open(os.path.join(args.corpus, "heldout.jsonl")) as f:
        docs = [json.loads(line)["text"] for line in f]
    cases, skipped = make_cases(docs, tok, args.single, args.multi, seed=args.case_seed)
    if args.write_cases:
        with open(args.write_cases, "w") as f:
            json.dump([{k: c[k] for k in ("kind", "prefix", "suffix", "target")} for c in cases], f)
        return
    frequent = most_frequent_line(os.path.join(args.corpus, "train.jsonl"))
    baselines = {
        f"most frequent line ({frequent!r})": [frequent for c in cases],
        "copy the line(s) above": [c["above"] for c in cases],
    }
    results = {label: score(cases, preds) for label, preds in baselines.items()}
    best_base = max(baselines, key=lambda label: results[label]["single"]["exact"])
    confidence = {}
    timings = {}  # (name, threshold, case id): (elapsedMs, firstDraftMs) of the case's own request
    runs = []  # (label, fill_all) per model
    engines = []
    if args.engine is not None:
        refreshes = [int(r) for r in args.cache_refresh.split(",") if r] or [None]
        reuses = [{"off": False, "on": True}[r] for r in args.context_reuse.split(",") if r] or [None]
        for folder in args.engine or [None]:
            engine = EngineServer(folder)
            engines.append(engine)
            for refresh in refreshes:
                for reuse in reuses:
                    name = os.path.basename(os.path.normpath(folder)) if folder else "bundled"
                    if len(refreshes) > 1:
                        name += f", cache refresh {refresh}"
                    if reuse is not None:
                        after = f"{args.edit_history} random edits" if args.edit_history else f"{args.typed} keystroke(s)"
                        name += f", {after} after, context reused" if reuse else ", no context reuse"
                    while any(n == name for n, _ in runs):  # a setting asked twice measures the run-to-run noise
                        name += " (again)"
                    runs.append((name, engine_fills(engine, name, cases, args, confidence, timings, refresh, reuse)))
        source = "model folders through the engine"
    else:
        model, state = load_checkpoint(args.ckpt)
        dec = Decoder(model, tok, max_tokens=state["args"]["seq"], alg=args.alg)
        source = f"checkpoint step {state['step']} decoded in torch"

        def fill_all(threshold):
            out = []
            for i in range(0, len(cases), args.batch):
                chunk = cases[i:i + args.batch]
                out += [(p, n, None) for p, n in dec.fill_batch(
                    [(c["prefix"], c["suffix"], c["hole"], c["kind"] == "single" and args.single_line)
                     for c in chunk], threshold, args.block)]
            return out
        runs.append(("model", fill_all))
    shown = 0
    blk = f", blocks of {args.block}" if args.block else ""
    first = {}
    try:
        for name, fill_all in runs:
            thresholds = [float(t) for t in args.thresholds.split(",") if t]
            for how, thr in [(f"1 token/step{blk}", None)] + [(f"threshold {t}{blk}", t) for t in thresholds]:
                label = f"{name}, {how}"
                t0, preds, nfe, per_step = time.time(), [], 0, []
                for c, (p, n, tps) in zip(cases, fill_all(thr)):
                    preds.append(p)
                    nfe += n
                    if tps is not None:
                        per_step.append(tps)
                    if shown < args.show:
                        shown += 1
                        print(f"--- {c['kind']} target {c['target']!r}\n    fill   {p!r}")
                r = results[label] = score(cases, preds)
                r["steps_per_case"] = nfe / len(cases)
                if per_step:
                    r["tokens_per_step"] = sum(per_step) / len(per_step)
                hits = single_hits(cases, preds)
                r["vs_best_baseline"] = {"baseline": best_base, **paired_bootstrap(hits, single_hits(cases, baselines[best_base]))}
                r["fills"] = preds
                if how in first:
                    r["vs_first_model"] = {"baseline": first[how][0], **paired_bootstrap(hits, first[how][1])}
                    r["same_fills_as_first"] = same_fills(preds, first[how][2])
                else:
                    first[how] = (label, hits, preds)
                if confidence:
                    r["by_confidence"] = by_confidence(cases, preds, [confidence[(name, thr, id(c))] for c in cases])
                if timings:
                    own = [timings[(name, thr, id(c))] for c in cases]
                    r["ms_median"] = {k: median([t[i] for t in own]) for i, k in enumerate(["request", "first_draft", "request_alone", "first_draft_alone"])
                                      if len(own[0]) > i}
                r["seconds"] = time.time() - t0
    finally:
        for engine in engines:
            engine.close()
    table = ["| method | single-line exact | single-line edit sim | multi-line exact | multi-line edit sim | steps/case | tokens/step |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    for label, r in results.items():
        table.append(f"| {label} | {r['single']['exact']:.1%} | {r['single']['edit_sim']:.3f} | "
                     f"{r['multi']['exact']:.1%} | {r['multi']['edit_sim']:.3f} | "
                     f"{r.get('steps_per_case', float('nan')):.1f} | {r.get('tokens_per_step', float('nan')):.2f} |")
    n_s = sum(c["kind"] == "single" for c in cases)
    note = (f"{n_s} single-line cases (hole {SINGLE_HOLE} tokens), "
            f"{len(cases) - n_s} multi-line cases (2-4 lines, hole {MULTI_HOLE} tokens; {skipped} longer targets skipped), "
            f"{len(docs)} held-out files, {source}, decoding alg {args.alg}, "
            f"block length {args.block or 'none'}, cache refresh {args.cache_refresh or 'as model.json says'} (engine), "
            f"context reuse {args.context_reuse or 'on, cases in any order'} (engine), "
            f"token healing {args.healing if args.healing != 'model' else 'as model.json says'} (engine), "
            f"single-line cases {'as single-line holes' if args.single_line else 'as free holes'}, "
            f"case seed {args.case_seed}; steps/case counts forward passes until the fill is decided")
    print("\n".join(table))
    print(note)
    summary = []
    for label, r in results.items():
        for key in ("vs_best_baseline", "vs_first_model"):
            if key in r:
                v = r[key]
                summary.append(f"{label}: single-line exact minus {v['baseline']}: {v['diff']:+.1%} "
                               f"(95% paired bootstrap interval {v['lo']:+.1%} to {v['hi']:+.1%})")
        if "same_fills_as_first" in r:
            v = r["same_fills_as_first"]
            summary.append(f"{label}: fills identical to {r['vs_first_model']['baseline']}'s: {v['share']:.1%} "
                           f"(95% bootstrap interval {v['lo']:.1%} to {v['hi']:.1%})")
    for label, r in results.items():
        if "by_confidence" in r:
            summary.append(f"{label}, single-line fills by confidence: " + "; ".join(
                f">={b['min_confidence']:.1f}: {b['shown']:.0%} shown, {b['exact']:.0%} exact, sim {b['edit_sim']:.2f}"
                for b in r["by_confidence"]))
    print("\n".join(summary))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"results": results, "table": table, "note": note, "summary": summary}, f, indent=1)


if __name__ == "__main__":
    main()
