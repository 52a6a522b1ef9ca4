#!/bin/bash
# run.sh -- set up, build, and start a node on etc/actord.conf in the
# foreground (Ctrl-C stops it in order).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh build
exec build/daemon/actord "${1:-etc/actord.conf}"
