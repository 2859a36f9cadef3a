# SPDX-License-Identifier: GPL-2.0
# Shared helpers of the mm/offload scripts: paths and progress lines.
# Sourced, never run.

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$TOP/build}
SRC=$BUILD/src
LOGS=$BUILD/logs
RESULTS=$BUILD/results
OFFLOAD_T0=${OFFLOAD_T0:-$(date +%s)}
export OFFLOAD_T0
JOBS=${JOBS:-$(nproc)}
# The kernel build and the initramfs made for it: the test kernel's by
# default, the benchmark's (tests/bench.sh) when set.
KOUT=${KOUT:-$BUILD/x86}
INITRAMFS=${INITRAMFS:-$BUILD/initramfs}
export CCACHE_DIR=${CCACHE_DIR:-$HOME/.cache/ccache}

# shellcheck source=../kernel/BASE
. "$TOP/kernel/BASE"

# git in the prepared tree, with an identity for the commits it makes
srcgit()
{
	# A fixed abbreviation keeps the index lines of regenerated patches stable.
	git -C "$SRC" -c user.name=mm-offload -c user.email=mm-offload@localhost \
		-c core.abbrev=9 "$@"
}

# A digest of the patch series: it changes whenever kernel/series or one
# of the patches it lists does.
series_id()
{
	(cd "$TOP/kernel" && cat series $(grep -v '^#' series | sed 's|^|patches/|')) |
		sha256sum
}

mmss()
{
	printf '%d:%02d' $(($1 / 60)) $(($1 % 60))
}

die()
{
	echo "error: $*" >&2
	exit 1
}

# Print the lines of a failed step's log that tell why, then its tail.
show_failure()
{
	local log=$1

	echo "  full log: $log"
	grep -E -m 15 '(error|Error|ERROR|FAIL|BUG|WARNING|not ok|No such|cannot|can.t)' \
		"$log" | sed 's/^/  | /'
	echo "  last lines:"
	tail -n 15 "$log" | sed 's/^/  | /'
}

# stage NAME LOG COMMAND...: run COMMAND with its output in LOG and print
# one line: total elapsed time, stage, then its result and duration.
stage()
{
	local name=$1 log=$2 start now rc
	shift 2

	mkdir -p "$(dirname "$log")"
	start=$(date +%s)
	printf '[%s] %-9s ' "$(mmss $((start - OFFLOAD_T0)))" "$name"
	"$@" >"$log" 2>&1
	rc=$?
	now=$(date +%s)
	if [ $rc -eq 0 ]; then
		printf 'ok in %s  (%s)\n' "$(mmss $((now - start)))" \
			"${log#"$TOP"/}"
	else
		printf 'FAILED (exit %d) after %s\n' $rc "$(mmss $((now - start)))"
		show_failure "$log"
	fi
	return $rc
}
