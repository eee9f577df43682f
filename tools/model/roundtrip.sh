#!/bin/sh
# make a tiny HF checkpoint -> export it (fp32, fp16, external data) -> run it in onnxruntime-node
# and compare with torch. Exits non-zero on failure. Needs /usr/bin/python3 with torch + onnx.
set -e
cd "$(dirname "$0")/../.."
PY="${PYTHON:-/usr/bin/python3}"
exec "$PY" tools/model/test_export_roundtrip.py "$@"
