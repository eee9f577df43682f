"""HumanEval-Infilling harness: fill each item's hole, run its tests, report pass@1.

  python3 -m tools.model.evaluation.humaneval_infill [--oracle | --ckpt CKPT | --fill-cmd CMD | (default: the engine)]
      [--data ../shared/data/humaneval-infilling] [--set SingleLine] [--limit N]
      [--model DIR [--model DIR2 ...]] [--options '{"steps": 32}']

Fill sources:
  default     the project's engine on model folders (the bundled one unless --model), through
              `diffusion-infill serve` (engine_client.py): a cursor hole between prompt and suffix,
              with --options as request fields; several --model are scored on the same items
  --fill-cmd  any command; "{file}" is replaced by a file prompt + <|hole|> + suffix, stdout is the fill
  --ckpt      a training checkpoint decoded in torch (tools/model/evaluation/dream_decode.py)
  --oracle    the canonical solution, to check the harness itself (should pass ~100%)
Each program prompt + fill + suffix + test + check(entry_point) runs in its own python3 with a timeout.
"""
import argparse
import glob
import gzip
import json
import os
import shlex
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

from ..paths import RECIPE_TOKENIZER, ROOT
from .engine_client import EngineServer


def load(path):
    with gzip.open(path, "rt") as f:
        return [json.loads(line) for line in f if line.strip()]


def with_hole_file(item, fn):
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "item.py")
        with open(path, "w") as f:
            f.write(item["prompt"] + "<|hole|>" + item["suffix"])
        return fn(path)


def engine_fill(server, options):
    def fill(item):
        at = len(item["prompt"])
        return server.fill(item["prompt"] + item["suffix"], [{"start": at, "end": at}], **options)[0][0]
    return fill


def cmd_fill(template):
    def fill(item):
        def run(path):
            r = subprocess.run(template.replace("{file}", shlex.quote(path)), shell=True, capture_output=True,
                               text=True, timeout=600)
            if r.returncode != 0:
                raise RuntimeError(f"fill command failed ({r.returncode}): {r.stderr.strip()[-300:]}")
            return r.stdout
        return with_hole_file(item, run)
    return fill


def torch_fill(ckpt, tokenizer, hole_tokens, threshold):
    from ..corpus.tok import ByteBPE
    from .dream_decode import Decoder, load_checkpoint
    model, state = load_checkpoint(ckpt)
    dec = Decoder(model, ByteBPE(tokenizer), max_tokens=state["args"]["seq"])
    return lambda item: dec.fill(item["prompt"], item["suffix"], hole_tokens, threshold=threshold)[0]


def passes(item, fill, timeout):
    program = item["prompt"] + fill + item["suffix"] + "\n\n" + item["test"] + f"\n\ncheck({item['entry_point']})\n"
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "prog.py")
        with open(path, "w") as f:
            f.write(program)
        try:
            r = subprocess.run([sys.executable, path], cwd=d, capture_output=True, timeout=timeout)
            return r.returncode == 0
        except subprocess.TimeoutExpired:
            return False


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=os.path.join(ROOT, "..", "shared", "data", "humaneval-infilling"))
    ap.add_argument("--set", action="append", help="file name part, e.g. SingleLine, MultiLine, RandomSpan")
    ap.add_argument("--limit", type=int, help="first N items of each set")
    ap.add_argument("--oracle", action="store_true")
    ap.add_argument("--fill-cmd")
    ap.add_argument("--ckpt")
    ap.add_argument("--tokenizer", default=RECIPE_TOKENIZER)
    ap.add_argument("--hole-tokens", type=int, default=32, help="hole length for --ckpt")
    ap.add_argument("--threshold", type=float)
    ap.add_argument("--model", action="append", help="model folder for the engine (default: the bundled model); repeatable")
    ap.add_argument("--options", default="{}", help='engine request fields as JSON, e.g. \'{"steps": 32, "threshold": 0.9}\'')
    ap.add_argument("--timeout", type=float, default=10)
    args = ap.parse_args()
    servers = []
    if args.oracle:
        sources = [((lambda item: item["canonical_solution"]), "oracle (canonical solution)")]
    elif args.fill_cmd:
        sources = [(cmd_fill(args.fill_cmd), f"command {args.fill_cmd}")]
    elif args.ckpt:
        sources = [(torch_fill(args.ckpt, args.tokenizer, args.hole_tokens, args.threshold), f"torch {args.ckpt}")]
    else:
        sources = []
        for model in args.model or [None]:
            servers.append(EngineServer(model))
            sources.append((engine_fill(servers[-1], json.loads(args.options)),
                            f"engine, model {model or 'bundled'}, options {args.options}"))
    files = sorted(glob.glob(os.path.join(args.data, "*.jsonl.gz")))
    if args.set:
        files = [f for f in files if any(s.lower() in os.path.basename(f).lower() for s in args.set)]
    if not files:
        raise SystemExit(f"no HumanEval-Infilling files in {args.data}")
    try:
        for fill, source in sources:
            print(f"fill source: {source}")
            for path in files:
                score(fill, load(path)[: args.limit], os.path.basename(path), args.timeout)
    finally:
        for server in servers:
            server.close()


def score(fill, items, name, timeout):
    """pass@1 of one fill source on one set; fills run 8 at a time (the server batches them)."""
    def one(item):
        try:
            return passes(item, fill(item), timeout), None
        except Exception as e:  # a failed fill counts as a failed item, the run goes on
            return False, f"{item.get('task_id')}: {e}"
    t0 = time.time()
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(one, items))
    errors = [e for _, e in results if e]
    for e in errors[:3]:
        print(f"  {e}", file=sys.stderr)
    ok, n = sum(p for p, _ in results), len(items)
    print(f"{name}: pass@1 {ok}/{n} = {ok / max(n, 1):.1%} ({len(errors)} fill errors, {time.time() - t0:.0f}s)",
          flush=True)


if __name__ == "__main__":
    main()
