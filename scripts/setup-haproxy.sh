#!/usr/bin/env bash
# Install Debian's HAProxy for `python -m bot.runtime.cluster` and the scale-out tests; quick
# when already done. PostgreSQL and Redis are services of the machine, not installed here.
set -euo pipefail

if ! command -v haproxy >/dev/null && [ ! -x /usr/sbin/haproxy ]; then
    echo "Installing Debian's haproxy for the scale-out tests (one-off)..."
    bash "$(dirname "$0")/apt-install.sh" haproxy
fi
