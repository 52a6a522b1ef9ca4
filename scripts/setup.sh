#!/bin/bash
# setup.sh -- install what is missing (Debian 12, as root) and build.
#   scripts/setup.sh [BUILDDIR [meson options...]]
set -euo pipefail
cd "$(dirname "$0")/.."
PKGS="build-essential pkg-config meson ninja-build liburing-dev libsodium-dev
      libpq-dev libnanopb-dev nanopb check liblua5.4-dev lua5.4
      libjemalloc-dev curl iproute2 python3"
missing=
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "setup: installing$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
dir=${1:-build}
shift || true
if [ ! -f "$dir/build.ninja" ]; then
	meson setup "$dir" "$@" >/dev/null
fi
ninja -C "$dir" >/dev/null
echo "setup: built in $dir"
