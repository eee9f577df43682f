#!/bin/sh
# The model tooling's tests: the export round trip (tiny HF checkpoint -> export -> onnxruntime-node
# against torch), the torch references of the downloadable layouts and their tiny checkpoints, the ONNX builder's (Dream and LLaDA layouts, every precision), the decision graph's, the corpus builder's filters, the
# Python canvas against the engine's, and the training run at toy size on the CPU (the script the GPU job runs).
# Exits non-zero on failure.  Needs /usr/bin/python3 with torch + onnx.
set -e
cd "$(dirname "$0")/../.."
PY="${PYTHON:-/usr/bin/python3}"
"$PY" -m tools.model.test_export_roundtrip
"$PY" -m tools.model.test_layouts
"$PY" -m tools.model.test_build_onnx
"$PY" -m tools.model.test_decide_graph
"$PY" -m tools.model.test_build_corpus
"$PY" -m tools.model.test_canvas
"$PY" -m tools.model.test_train
