#!/bin/sh
# The model tooling's tests: the layouts' torch references and tiny checkpoints, `models convert` held to
# them (every layout, every precision), the corpus builder's filters, the Python canvas against the
# engine's, and the training run at toy size on the CPU (the script the GPU job runs).
# Exits non-zero on failure.  Needs /usr/bin/python3 with torch + onnx, and dist/ (npm run build).
set -e
cd "$(dirname "$0")/../.."
PY="${PYTHON:-/usr/bin/python3}"
"$PY" -m tools.model.test_layouts
"$PY" -m tools.model.test_build_onnx
"$PY" -m tools.model.test_build_corpus
"$PY" -m tools.model.test_canvas
"$PY" -m tools.model.test_train
