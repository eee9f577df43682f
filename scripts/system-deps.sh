#!/usr/bin/env bash
# Installs the Debian packages the tests need, only those missing, so a warm machine costs nothing:
# torch and onnx for the model exporter's round trip (OpenBLAS, or torch multiplies matrices with
# the reference BLAS at a fiftieth of the speed); flake8 for npm run lint:py.
set -euo pipefail
packages=(python3-torch python3-onnx libopenblas0-pthread flake8)
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
[ ${#missing[@]} -eq 0 ] && exit 0
sudo_cmd=()
[ "$(id -u)" -ne 0 ] && sudo_cmd=(sudo)
echo "[system-deps] installing ${missing[*]}" >&2
"${sudo_cmd[@]}" apt-get update -qq >&2
"${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2
