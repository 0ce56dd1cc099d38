#!/usr/bin/env bash
# Create .venv and install the pinned stack; does nothing when nothing changed.
#
# Rasa 3.6 declares Requires-Python <3.11: its dependencies come from
# requirements/lock.txt, then rasa and rasa-sdk themselves are installed without
# theirs (see requirements/base.in for the reasons).
set -euo pipefail
cd "$(dirname "$0")/.."

venv=.venv
stamp="$venv/.setup-stamp"
wanted=$(cat requirements/lock.txt scripts/setup.sh pyproject.toml | sha256sum | cut -d' ' -f1)

if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$wanted" ] && [ -x "$venv/bin/rasa" ]; then
    exit 0
fi

echo "Setting up $venv (one-off; a few minutes on a new machine)..."
python3 -c 'import sys; assert sys.version_info[:2] == (3, 11), "CPython 3.11 is required"'
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
pip=("$venv/bin/python" -m pip --disable-pip-version-check --quiet)
"${pip[@]}" install --upgrade "pip>=24"
"${pip[@]}" install -r requirements/lock.txt
"${pip[@]}" install --no-deps --ignore-requires-python rasa==3.6.21 rasa-sdk==3.6.2
"${pip[@]}" install --no-deps --no-build-isolation --editable .
echo "$wanted" > "$stamp"
echo "Set-up done."
