"""HumanEval-Infilling harness: fill each item's hole, run its tests, report pass@1.

  python3 tools/model/humaneval_infill.py [--oracle | --ckpt CKPT | --fill-cmd CMD | (default: the CLI)]
      [--data /work/shared/data/humaneval-infilling] [--set SingleLine] [--limit N] [--cli-args "..."]

Fill sources:
  default     node bin/diffusion-infill.js fill FILE --json  (FILE = prompt + <|hole|> + suffix)
  --fill-cmd  any command; "{file}" is replaced by such a FILE, stdout is the fill
  --ckpt      a training checkpoint decoded in torch (tools/model/dream_decode.py)
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

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))


def load(path):
    with gzip.open(path, "rt") as f:
        return [json.loads(line) for line in f if line.strip()]


def with_hole_file(item, fn):
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "item.py")
        with open(path, "w") as f:
            f.write(item["prompt"] + "<|hole|>" + item["suffix"])
        return fn(path)


def cli_fill(cli_args):
    def fill(item):
        def run(path):
            cmd = ["node", os.path.join(ROOT, "bin", "diffusion-infill.js"), "fill", path, "--json", *cli_args]
            r = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
            if r.returncode != 0:
                raise RuntimeError(f"CLI failed ({r.returncode}): {r.stderr.strip()[-300:]}")
            for line in reversed(r.stdout.strip().split("\n")):
                ev = json.loads(line)
                if ev.get("type") == "result":
                    return ev["holes"][0]["text"]
            raise RuntimeError("CLI printed no result event")
        return with_hole_file(item, run)
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
    sys.path.insert(0, HERE)
    from dream_decode import Decoder, load_checkpoint
    from tok import ByteBPE
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
    ap.add_argument("--data", default="/work/shared/data/humaneval-infilling")
    ap.add_argument("--set", action="append", help="file name part, e.g. SingleLine, MultiLine, RandomSpan")
    ap.add_argument("--limit", type=int, help="first N items of each set")
    ap.add_argument("--oracle", action="store_true")
    ap.add_argument("--fill-cmd")
    ap.add_argument("--ckpt")
    ap.add_argument("--tokenizer", default=os.path.join(ROOT, "models", ".train", "tokenizer.json"))
    ap.add_argument("--hole-tokens", type=int, default=32, help="hole length for --ckpt")
    ap.add_argument("--threshold", type=float)
    ap.add_argument("--cli-args", default="", help="extra arguments for the CLI, e.g. '--model DIR --steps 32'")
    ap.add_argument("--timeout", type=float, default=10)
    args = ap.parse_args()
    if args.oracle:
        fill, source = (lambda item: item["canonical_solution"]), "oracle (canonical solution)"
    elif args.fill_cmd:
        fill, source = cmd_fill(args.fill_cmd), f"command {args.fill_cmd}"
    elif args.ckpt:
        fill, source = torch_fill(args.ckpt, args.tokenizer, args.hole_tokens, args.threshold), f"torch {args.ckpt}"
    else:
        fill, source = cli_fill(shlex.split(args.cli_args)), f"CLI {args.cli_args}".strip()
    files = sorted(glob.glob(os.path.join(args.data, "*.jsonl.gz")))
    if args.set:
        files = [f for f in files if any(s.lower() in os.path.basename(f).lower() for s in args.set)]
    print(f"fill source: {source}")
    for path in files:
        items = load(path)[: args.limit]
        ok, errors, t0 = 0, 0, time.time()
        for item in items:
            try:
                text = fill(item)
            except Exception as e:  # a failed fill counts as a failed item, the run goes on
                errors += 1
                if errors <= 3:
                    print(f"  {item.get('task_id')}: {e}", file=sys.stderr)
                continue
            ok += passes(item, text, args.timeout)
        n = len(items)
        print(f"{os.path.basename(path)}: pass@1 {ok}/{n} = {ok / max(n, 1):.1%} "
              f"({errors} fill errors, {time.time() - t0:.0f}s)", flush=True)


if __name__ == "__main__":
    main()
