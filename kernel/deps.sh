#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Install what building and testing mm/offload needs, if it is missing.
set -eu
. "$(dirname "$0")/../tests/lib.sh"

pkgs=(
	build-essential bc bison flex libelf-dev libssl-dev cpio kmod
	xz-utils rsync ccache git python3 perl sparse file
	qemu-system-x86 busybox-static libnuma-dev gnuplot-nox
)

missing=()
for p in "${pkgs[@]}"; do
	if ! dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
			grep -q 'install ok installed'; then
		missing+=("$p")
	fi
done

install()
{
	local sudo=

	[ "$(id -u)" -eq 0 ] || sudo=sudo
	$sudo apt-get update
	$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y \
		--no-install-recommends --allow-downgrades "$@"
}

if [ ${#missing[@]} -gt 0 ]; then
	echo "installing: ${missing[*]}"
	stage install "$LOGS/install.log" install "${missing[@]}"
fi

# The kernel source: the pinned version, even over a newer one; the
# newest if Debian no longer serves it.
base_version()
{
	dpkg-query -W -f='${Version}' "$BASE_PACKAGE" 2>/dev/null || true
}
if [ "$(base_version)" != "$BASE_VERSION" ]; then
	stage source "$LOGS/install-source.log" \
		install "$BASE_PACKAGE=$BASE_VERSION" ||
	[ -n "$(base_version)" ] ||
	stage source "$LOGS/install-source.log" install "$BASE_PACKAGE"
fi
if [ "$(base_version)" != "$BASE_VERSION" ]; then
	cat >&2 <<MSG
!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!
!! $BASE_PACKAGE $(base_version) is installed, but kernel/BASE pins
!! $BASE_VERSION, which could not be installed.  Building on that
!! other base; update kernel/BASE.
!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!
MSG
fi
