#!/bin/sh
# The model tooling's tests (tools/model/tests, unittest modules): the layouts' torch references and
# tiny checkpoints, `models convert` held to them (every layout, every precision), the corpus builder's
# filters, the Python canvas against the engine's, the training run at toy size on the CPU (the script
# the GPU job runs), and the recorded run of Open-dLLM's p2 sampler (test/fixtures/p2-reference.json)
# against its script.
# Exits non-zero on failure.  Needs /usr/bin/python3 with torch + onnx, and dist/ (npm run build).
# MODEL_TESTS_KEEP=DIR keeps what the tests build; arguments go to unittest (-v, -k PATTERN, -f).
set -e
cd "$(dirname "$0")/../.."
PY="${PYTHON:-/usr/bin/python3}"
"$PY" -m unittest discover -s tools/model/tests -t . "$@"
