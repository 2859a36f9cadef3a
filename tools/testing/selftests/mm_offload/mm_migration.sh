#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Run the kernel's own selftests/mm "migration" test with every migration
# reason routed to the offload broker (prefer, from one page on) and an
# out-of-order test engine on each memory node.  It must pass as it does
# on a stock kernel, and the broker must have copied for it.

ksft_skip=4
here=$(dirname "$0")
debugfs=/sys/kernel/debug
control=$debugfs/offload_test_engine/control
classes="compaction memory_failure memory_hotplug syscall_or_cpuset
	 mempolicy_mbind numa_misplaced contig_range longterm_pin demotion damon"

bin=$here/mm_migration
[ -x "$bin" ] || bin=$here/../mm/migration
if [ ! -x "$bin" ]; then
	echo "SKIP: selftests/mm migration program not found"
	exit $ksft_skip
fi
modprobe offload_test_engine 2>/dev/null
if [ ! -w $control ]; then
	echo "SKIP: no offload test engines (CONFIG_MIGRATION_OFFLOAD_TEST_ENGINE)"
	exit $ksft_skip
fi

offloaded()
{
	sed -n "s/^$1 .* offloaded=\([0-9][0-9]*\).*/\1/p" $debugfs/offload/classes
}

nodes=
for range in $(sed 's/,/ /g' /sys/devices/system/node/has_memory 2>/dev/null); do
	nodes="$nodes $(seq "${range%-*}" "${range#*-}")"
done
# With fewer, selftests/mm migration skips all its cases and exits 0.
if [ $(echo $nodes | wc -w) -lt 2 ]; then
	echo "SKIP: need 2 NUMA nodes with memory, found:$nodes"
	exit $ksft_skip
fi
engines=
for n in $nodes; do
	echo "add mm_migration$n kind=ooo node=$n large=1" >$control &&
		engines="$engines mm_migration$n"
done
for c in $classes; do
	offloadctl route --min-batch 1 "$c" prefer >/dev/null
done
# Its hugetlb cases need reserved huge pages (hugetlb keeps its own copy).
nr_hugepages=/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages
hugepages=$(cat $nr_hugepages 2>/dev/null || echo 0)
echo 16 >$nr_hugepages 2>/dev/null
before=$(offloaded syscall_or_cpuset)

"$bin"
rc=$?

after=$(offloaded syscall_or_cpuset)
echo "$hugepages" >$nr_hugepages 2>/dev/null
for c in $classes; do
	offloadctl route --min-batch 32 "$c" prefer >/dev/null
done
for e in $engines; do
	echo "del $e" >$control
done

# A skip (rc 4) stays a skip; a pass must show the broker's copies.
if [ $rc -eq 0 ] && { [ -z "$before" ] || [ -z "$after" ]; }; then
	echo "# FAIL: no offloaded= counter for syscall_or_cpuset in $debugfs/offload/classes"
	rc=1
elif [ $rc -eq 0 ]; then
	echo "# broker copied $((after - before)) folios for syscall_or_cpuset"
	if [ "$after" -eq "$before" ]; then
		echo "# FAIL: the migrations did not go through the broker"
		rc=1
	fi
fi
exit $rc
