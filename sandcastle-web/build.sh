#!/usr/bin/env bash
# Builds the front end into $1 (Maven's target/classes/web) with the system npm.
# Installs node_modules from the lock file when it changed, and skips Vite when nothing changed.
set -euo pipefail
cd "$(dirname "$0")"
out="$1"
if ! command -v npm >/dev/null; then
  echo "sandcastle-web: npm (Node.js 20 or newer) is needed to build the front end" >&2
  exit 1
fi
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "sandcastle-web: npm ci" >&2
  npm ci --no-audit --no-fund --loglevel=error
fi
stamp="$out/.built"
if [ -f "$stamp" ] && [ -z "$(find src index.html pyodide.html artifact.html vite.config.ts tsconfig.json package-lock.json scripts -newer "$stamp" -print -quit)" ]; then
  exit 0
fi
echo "sandcastle-web: vite build -> $out" >&2
OUT_DIR="$out" npm run --silent build
touch "$stamp"
