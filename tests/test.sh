#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The whole test suite ("make test"): KUnit on UML, offloadctl on the
# host, then the x86 kernel in a NUMA guest (boot-time KUnit, kselftests,
# kernel log checks).  A
# failing part does not hide the others; the last line is the total.
set -u
. "$(dirname "$0")/lib.sh"

rm -rf "$RESULTS"
mkdir -p "$RESULTS"
"$TOP/kernel/deps.sh" || exit 1
stage prepare "$LOGS/prepare.log" "$TOP/kernel/prepare.sh" || exit 1

"$TOP/tests/kunit-uml.sh"

# offloadctl on the host, against a fake configfs tree: its TAP nested as
# run_kselftest.sh nests a program's.
log=$LOGS/offloadctl.log
"$TOP/tools/offload/tests/offloadctl_test.sh" "$BUILD/offloadctl" \
	>"$log.out" 2>&1
rc=$?
{
	sed 's/^/# /' "$log.out"
	[ $rc -eq 0 ] && echo "ok 1 tools: offloadctl_test" ||
		echo "not ok 1 tools: offloadctl_test"
} >"$log"
python3 "$TOP/tests/results.py" tap host "$log" "$RESULTS/host-offloadctl.tsv"

if stage kernel "$LOGS/kernel.log" "$TOP/kernel/build.sh" &&
   stage initramfs "$LOGS/initramfs.log" "$TOP/tests/initramfs.sh"; then
	"$TOP/tests/vm.sh" test
	"$TOP/tests/vm.sh" boot
else
	python3 "$TOP/tests/results.py" check vm build "kernel and initramfs" \
		FAIL "$RESULTS/vm-build.tsv"
fi

echo
python3 "$TOP/tests/results.py" summary "$RESULTS"/*.tsv
