#!/usr/bin/env bash
# Install what the web chat's browser tests need; quick when already done.
#  - Debian's Chromium (/usr/bin/chromium), with apt-get: Playwright drives it and never
#    downloads a browser of its own.
#  - axe-core from the npm registry (npm ci, from package-lock.json), injected by the tests.
# Playwright for Python itself is pinned in requirements/lock.txt (scripts/setup.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x /usr/bin/chromium ]; then
    echo "Installing Debian's chromium for the browser tests (one-off)..."
    bash scripts/apt-install.sh chromium
fi

stamp=node_modules/.setup-stamp
wanted=$(cat package.json package-lock.json | sha256sum | cut -d' ' -f1)
if [ ! -f node_modules/axe-core/axe.min.js ] || [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$wanted" ]; then
    echo "Installing axe-core (npm ci)..."
    npm ci --no-audit --no-fund --loglevel=error
    echo "$wanted" > "$stamp"
fi
