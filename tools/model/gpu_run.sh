#!/usr/bin/env bash
# The bundled model's GPU training run: one job on the device machine, which writes the weights,
# config.json, train.json and train.log into $OUT (at most 8 files of at most 16 MiB come back).
#
#   device run, carry ["models/.train/carry"], timeout_s 600:
#     bash tools/model/gpu_run.sh
#
# Extra arguments go to training/train.py (tests/test_train.py runs it on the CPU at toy size this way).
# The corpus comes from corpus/build.py's carry folder unless CORPUS / HELDOUT say otherwise.
set -euo pipefail
cd "$(dirname "$0")/../.."
: "${OUT:?OUT must name the folder that comes back}"
CARRY=models/.train/carry
CORPUS="${CORPUS:-$CARRY/corpus-train.jsonl.xz}"
HELDOUT="${HELDOUT:-$CARRY/corpus-heldout.jsonl.xz}"
PY="${PYTHON:-python3}"
[ -f "$CORPUS" ] || { echo "no corpus at $CORPUS: run python3 -m tools.model.corpus.build and carry $CARRY" >&2; exit 2; }
mkdir -p "$OUT"
export PYTHONUNBUFFERED=1 TOKENIZERS_PARALLELISM=false
{
  command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,memory.total,clocks.max.sm --format=csv || true
  df -h /dev/shm 2>/dev/null | tail -1 || true  # the data loader processes hand batches over through it
  "$PY" -c 'import torch, sys; print("python", sys.version.split()[0], "torch", torch.__version__, "cuda", torch.cuda.is_available())'
  # About 8.3 minutes of training inside a 10-minute call: start-up and compilation come first,
  # the last writes of the weights after; the deadline stops it in time whatever happens.
  "$PY" -m tools.model.training.train --device cuda --budget-min 8.3 --deadline-min 9.2 --save-min 2.5 \
    --ckpt "" --out "$OUT" --corpus "$CORPUS" --heldout "$HELDOUT" "$@"
} 2>&1 | tee "$OUT/train.log"
