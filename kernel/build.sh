#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Configure and build the x86_64 test kernel in $KOUT (default $BUILD/x86)
# from the prepared tree.  The configuration is "make tinyconfig" (its
# tiny-base part: the size-only options of tiny.config are left out) plus
# the fragments of $KFRAGMENTS (names in kernel/, default: base, offload
# and debug), in this order.  Every option a fragment sets is checked in
# the result, so a dependency that silently drops one stops the build.
set -eu
. "$(dirname "$0")/../tests/lib.sh"

OUT=$KOUT
FRAGMENTS=
for f in ${KFRAGMENTS:-base offload debug}; do
	FRAGMENTS="$FRAGMENTS $TOP/kernel/$f.config"
done

kmake()
{
	make -C "$SRC" O="$OUT" -j"$JOBS" CC="ccache gcc" "$@"
}

configure()
{
	mkdir -p "$OUT"
	cat "$SRC/kernel/configs/tiny-base.config" $FRAGMENTS >"$OUT/allno.config"
	make -C "$SRC" O="$OUT" KCONFIG_CONFIG=.config.new \
		KCONFIG_ALLCONFIG="$OUT/allno.config" allnoconfig

	local bad=0 line sym
	while read -r line; do
		case "$line" in
		CONFIG_*=*)
			grep -qxF "$line" "$OUT/.config.new" && continue
			;;
		"# CONFIG_"*" is not set")
			sym=${line#\# }
			sym=${sym%% *}
			grep -q "^$sym=" "$OUT/.config.new" || continue
			;;
		*)
			continue
			;;
		esac
		echo "a config fragment asks for '$line': not in the result"
		bad=1
	done < <(cat $FRAGMENTS)
	[ $bad -eq 0 ] || die "the kernel configuration lost options (dependencies?)"

	# Keep .config untouched when nothing changed: no needless rebuild.
	if cmp -s "$OUT/.config.new" "$OUT/.config"; then
		rm "$OUT/.config.new"
	else
		mv "$OUT/.config.new" "$OUT/.config"
	fi
}

configure
kmake bzImage modules
rm -rf "$OUT/modules-install"
kmake INSTALL_MOD_PATH="$OUT/modules-install" modules_install
