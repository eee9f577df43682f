#!/usr/bin/env bash
# Installs code-server (VS Code 1.100.3 served to a browser) and the system packages the
# real-VS Code harness needs, following docs in shared/notes/vscode-offline.md. Idempotent:
# every step is skipped when its result is already there, so a warm cache costs nothing.
# Prints the code-server binary's path on the last line of stdout.
set -euo pipefail

CODE_SERVER_VERSION=4.100.3
cache_root="${DIFFUSION_INFILL_CACHE:-$HOME/.cache/diffusion-infill}"
prefix="$cache_root/code-server-$CODE_SERVER_VERSION"
bin="$prefix/node_modules/.bin/code-server"

log() { echo "[install-code-server] $*" >&2; }

# Debian's chromium, ripgrep and the native build's headers: the project's one package list.
"$(dirname "$0")/system-deps.sh"

if [ -x "$bin" ] && [ -f "$prefix/.complete" ]; then
  log "code-server $CODE_SERVER_VERSION already in $prefix"
  echo "$bin"
  exit 0
fi

# @vscode/ripgrep's postinstall downloads rg from GitHub; prefill its cache with Debian's rg.
rg_cache="$(node -p 'require("os").tmpdir()')/vscode-ripgrep-cache-1.15.11"
rg_tar="$rg_cache/ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz"
if [ ! -f "$rg_tar" ]; then
  pack="$(mktemp -d)"
  cp "$(command -v rg)" "$pack/rg"
  mkdir -p "$rg_cache"
  tar czf "$rg_tar" -C "$pack" rg
  rm -rf "$pack"
fi

log "installing code-server $CODE_SERVER_VERSION into $prefix (native build: about 4 minutes on 2 cores)"
rm -rf "$prefix"
mkdir -p "$prefix"
# The postinstall refuses root without these two; our .npmrc must not leak into this install.
(cd "$prefix" && echo '{"private":true}' > package.json && \
  npm_config_yes=true npm_config_unsafe_perm=true npm install --no-audit --no-fund \
    --prefix "$prefix" "code-server@$CODE_SERVER_VERSION" --foreground-scripts >&2)
# playwright-core drives Debian's chromium; kept beside code-server so the harness owns it.
(cd "$prefix" && npm install --no-audit --no-fund --prefix "$prefix" playwright-core@1.49.1 >&2)
touch "$prefix/.complete"
echo "$bin"
