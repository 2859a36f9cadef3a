# SPDX-License-Identifier: GPL-2.0
#
# Shared by the mm_offload shell tests:  . "$(dirname "$0")/offload_lib.sh"
# Results are TAP lines without numbers; $rc is 1 once one failed.

ksft_skip=4
rc=0

ok() { echo "ok - $*"; }
fail() { echo "not ok - $*"; rc=1; }

# check DESCRIPTION CONDITION: ok or not ok, as the shell CONDITION says.
check() { if eval "$2"; then ok "$1"; else fail "$1"; fi; }

# counter FILE KEY: the value of a "key value" line (configfs stats).
counter() { sed -n "s/^$2 //p" "$1"; }

# wait_for SECONDS COMMAND...: poll COMMAND every 0.1 s; false on timeout.
wait_for()
{
	n=$(($1 * 10))
	shift
	while ! "$@"; do
		n=$((n - 1))
		[ $n -gt 0 ] || return 1
		usleep 100000
	done
}
