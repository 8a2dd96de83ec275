#!/usr/bin/env bash
# Installs the Node clients the tests drive, exactly as package-lock.json pins them; does nothing
# when node_modules already matches the lock file. Run by the Maven build before the tests.
set -euo pipefail
cd "$(dirname "$0")"
command -v npm >/dev/null || { echo "sandcastle-app tests: npm (Node.js 20 or newer) is needed" >&2; exit 1; }
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
