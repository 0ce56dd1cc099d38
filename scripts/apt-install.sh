#!/usr/bin/env bash
# Install Debian packages quietly, with sudo unless root; updates the package lists only
# when the first try fails. Used by the setup scripts: scripts/apt-install.sh PACKAGE...
set -euo pipefail

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get install -y -q --no-install-recommends "$@" >/dev/null \
    || { $sudo apt-get update -q >/dev/null \
         && $sudo apt-get install -y -q --no-install-recommends "$@" >/dev/null; }
