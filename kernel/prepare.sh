#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Prepare the kernel tree in $BUILD/src:
#  1. unpack the pinned base (kernel/BASE) once, into a git repository whose
#     first commit, tagged "base", is the pristine tree;
#  2. apply kernel/patches in the order of kernel/series, one commit each
#     (redone whenever the series changes, refused over uncommitted edits:
#     run kernel/refresh.sh first);
#  3. copy the overlay (our new files at their kernel paths) on top.
#
# Step 3 runs every time and keeps timestamps of unchanged files, so that
# an incremental build only rebuilds what was edited.
set -eu
. "$(dirname "$0")/../tests/lib.sh"

OVERLAY_DIRS="Documentation drivers include mm samples tools"
unpack()
{
	[ -f "$BASE_TARBALL" ] || die "$BASE_TARBALL missing: run kernel/deps.sh"
	rm -rf "$SRC" "$SRC.tmp"
	mkdir -p "$SRC.tmp"
	# -m: the files get the time of unpacking, not the tarball's, so that
	# objects of an earlier build (another base) are rebuilt.
	tar -m -xf "$BASE_TARBALL" -C "$SRC.tmp" --strip-components=1
	git -C "$SRC.tmp" init -q
	git -C "$SRC.tmp" config gc.auto 0
	# The tree's .gitignore files would hide upstream files: add them all.
	git -C "$SRC.tmp" add -A -f
	git -C "$SRC.tmp" -c user.name=mm-offload -c user.email=mm-offload@localhost \
		commit -q -m "Linux $BASE_UPSTREAM ($BASE_PACKAGE $BASE_VERSION)"
	git -C "$SRC.tmp" tag base
	mv "$SRC.tmp" "$SRC"
}

apply_series()
{
	local p

	if [ -n "$(srcgit status --porcelain --untracked-files=no)" ]; then
		srcgit status --short --untracked-files=no >&2
		die "$SRC has edits to upstream files: run 'make refresh' to keep them as patches, or 'git -C $SRC checkout .' to drop them"
	fi
	srcgit checkout -q --detach base
	for p in $(grep -v '^#' "$TOP/kernel/series"); do
		[ -f "$TOP/kernel/patches/$p" ] || die "kernel/series lists $p, but kernel/patches/$p does not exist"
		if ! srcgit am -q --keep-cr "$TOP/kernel/patches/$p"; then
			srcgit am --abort
			die "patch kernel/patches/$p does not apply on $BASE_UPSTREAM"
		fi
		echo "applied $p"
	done
	series_id >"$BUILD/series.applied"
}

# Copy the overlay in; delete files that left the overlay since last time.
sync_overlay()
{
	local list=$BUILD/overlay.files f

	(cd "$TOP" && find $OVERLAY_DIRS -type f 2>/dev/null | sort) >"$list.new"
	while read -r f; do
		if srcgit cat-file -e "HEAD:$f" 2>/dev/null; then
			die "overlay file $f exists upstream: change it with a patch under kernel/ instead"
		fi
	done <"$list.new"
	if [ -f "$list" ]; then
		comm -23 "$list" "$list.new" | while read -r f; do
			rm -f "$SRC/$f"
		done
	fi
	# By content, and without the times: a file that changed gets a new
	# mtime, so that make rebuilds what depends on it even if its edit is
	# older than the objects of an earlier build.
	rsync -rlpc --files-from="$list.new" "$TOP/" "$SRC/"
	mv "$list.new" "$list"
}

mkdir -p "$BUILD"
[ -d "$SRC/.git" ] && srcgit rev-parse -q --verify base >/dev/null || unpack
if ! series_id | cmp -s - "$BUILD/series.applied" 2>/dev/null; then
	apply_series
fi
sync_overlay
