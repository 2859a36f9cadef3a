#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# vm.sh test|boot|run|bench|shell: boot the test kernel in QEMU.
#
# The guest has two NUMA nodes, each a socket with its own CPUs and memory,
# and a third, CPU-less and slower node (a lower memory tier), see
# numa_args().  Part of the memory is ZONE_MOVABLE (movablecore=), so that
# memory blocks can be offlined.  Serial
# port 0 (the kernel log) goes to $LOGS/<log>-console.log, serial port 1
# (test or report output) to $LOGS/<log>-output.log, serial port 2 (the
# benchmark's smoke run in test mode) to $LOGS/<log>-bench.log, where
# <log> is $VM_LOG, by default the mode.
#
# test: loads the KUnit modules and runs the kselftests, then records in
#       $RESULTS: the KUnit results (built-in and module suites), the
#       kselftest results, whether the guest finished in time
#       and whether its kernel log is free of oops, BUG, WARNING, lockdep,
#       KASAN, kmemleak and similar reports; then the benchmark's smoke
#       run (tools/testing/offload-bench/bench.sh smoke).
# boot: boots with mm/offload routes, a default mode and the lock on the
#       kernel command line ($BOOT_ARGS) and runs the kselftest that
#       checks them (boot_routes.sh), recording its results, whether the
#       guest finished and whether its log is clean, as test does.
# run:  prints the guest's demo report.
# bench: runs the benchmark ($BENCH_SIZE: full, smoke or icount) on the
#       kernel in $KOUT, printing its progress, and fails on a guest that
#       did not finish or a kernel log that reports problems;
#       tests/bench.sh makes the report.
# shell: an interactive guest on this terminal.
set -u
. "$(dirname "$0")/lib.sh"

MODE=${1:-test}
VM_TIMEOUT=${VM_TIMEOUT:-1500}
VM_CPUS_PER_NODE=${VM_CPUS_PER_NODE:-2}
VM_MEM_PER_NODE=${VM_MEM_PER_NODE:-1}	# GiB
VM_MOVABLE=${VM_MOVABLE:-1536M}	# ZONE_MOVABLE, for hotplug tests
KERNEL=$KOUT/arch/x86/boot/bzImage
INITRD=$INITRAMFS/initramfs.cpio.gz
# Log names start with $VM_LOG (default: the mode).
VM_LOG=${VM_LOG:-$MODE}
CONSOLE=$LOGS/$VM_LOG-console.log
OUTPUT=$LOGS/$VM_LOG-output.log
BENCH=$LOGS/$VM_LOG-bench.log
BENCH_SIZE=${BENCH_SIZE:-full}
# Extra QEMU options and the accelerator (tests/bench.sh: -icount, which
# needs TCG); by default the accelerator is probed, see accel().
QEMU_EXTRA=${QEMU_EXTRA:-}
VM_ACCEL=${VM_ACCEL:-}
FINISHED="mm-offload-guest: finished"
# Extra kernel command line of a mode.
APPEND=
# What boot_routes.sh checks: a require route for an engine that is not
# there yet, a malformed route (fails closed), an unset default, locked.
BOOT_ARGS="offload.route=syscall_or_cpuset:require:bootcopy
offload.route=demotion:prefr offload.default_mode=off offload.lock"
[ "$MODE" = boot ] && APPEND=$(echo $BOOT_ARGS)
[ "$MODE" = bench ] && APPEND="offload.bench=$BENCH_SIZE"

# Reports in a kernel log that fail a test run.
BAD_LOG='Oops|BUG:|kernel BUG|WARNING:|Kernel panic|KASAN|UBSAN|KFENCE|'\
'general protection fault|possible circular locking|possible recursive locking|'\
'inconsistent lock state|DEBUG_LOCKS_WARN_ON|blocked for more than|'\
'Call Trace:|segfault at|suspected memory leak|unreferenced object'

[ -f "$KERNEL" ] || die "no kernel at $KERNEL: run 'make kernel'"
[ -f "$INITRD" ] || die "no initramfs at $INITRD: run 'make vmtest'"
mkdir -p "$LOGS" "$RESULTS"

# Nodes 0 and 1: DRAM, each with its own CPUs (one socket per node).
# Node 2: CPU-less slow memory.  HMAT latencies and bandwidths put it in a
# lower memory tier, so reclaim on node 0 or 1 can demote to it.
numa_args()
{
	local n i cpu=0 last lat bw

	for n in 0 1 2; do
		echo "-object memory-backend-ram,id=m$n,size=${VM_MEM_PER_NODE}G"
		if [ $n -eq 2 ]; then
			echo "-numa node,nodeid=2,memdev=m2,initiator=0"
			continue
		fi
		last=$((cpu + VM_CPUS_PER_NODE - 1))
		echo "-numa node,nodeid=$n,cpus=$cpu-$last,memdev=m$n,initiator=$n"
		cpu=$((last + 1))
	done
	for i in 0 1; do
		for n in 0 1 2; do
			if [ $n -eq 2 ]; then
				lat=$((100 + 10 * i)) bw=2G
			elif [ $n -eq $i ]; then
				lat=10 bw=20G
			else
				lat=20 bw=10G
			fi
			echo "-numa hmat-lb,initiator=$i,target=$n,hierarchy=memory,data-type=access-latency,latency=$lat"
			echo "-numa hmat-lb,initiator=$i,target=$n,hierarchy=memory,data-type=access-bandwidth,bandwidth=$bw"
		done
	done
}

# qemu ACCEL MODE CONSOLE OUTPUT TIMEOUT [serial for the console]
qemu()
{
	local accel=$1 mode=$2 console=$3 output=$4 limit=$5 serial=${6:-}

	# shellcheck disable=SC2046,SC2086
	timeout --foreground "$limit" qemu-system-x86_64 $QEMU_EXTRA \
		-accel "$accel" -machine pc,hmat=on -cpu max \
		-smp $((2 * VM_CPUS_PER_NODE)),sockets=2,cores=$VM_CPUS_PER_NODE \
		-m $((3 * VM_MEM_PER_NODE))G $(numa_args) \
		-kernel "$KERNEL" -initrd "$INITRD" \
		-append "console=ttyS0 panic=-1 oops=panic movablecore=$VM_MOVABLE offload.mode=$mode $APPEND" \
		-display none -monitor none -no-reboot \
		-serial "${serial:-file:$console}" -serial "file:$output" \
		-serial "file:$BENCH"
}

# A working KVM is used only if it boots this kernel: /dev/kvm may exist
# and still hang a stock guest (PVM).  The answer is kept per build.
accel()
{
	local probe=$BUILD/accel

	if [ ! -s "$probe" ]; then
		echo tcg >"$probe"
		if [ -w /dev/kvm ] &&
		   qemu kvm probe "$LOGS/kvm-probe.log" /dev/null 60 >/dev/null 2>&1 &&
		   grep -q "$FINISHED probe" "$LOGS/kvm-probe.log"; then
			echo kvm >"$probe"
		fi
	fi
	cat "$probe"
}

boot()
{
	local accel

	accel=${VM_ACCEL:-$(accel)}
	echo "accelerator: $accel${QEMU_EXTRA:+ $QEMU_EXTRA}, timeout ${VM_TIMEOUT}s"
	qemu "$accel" "$MODE" "$CONSOLE" "$OUTPUT" "$VM_TIMEOUT"
	echo "qemu exit status: $?"
}

check()
{
	python3 "$TOP/tests/results.py" check "$1" "$2" "$3" "$4" \
		"$RESULTS/$1-checks.tsv"
}

# collect PREFIX: the results of a test or boot run, as $RESULTS/PREFIX-*.tsv.
collect()
{
	local p=$1 log

	rm -f "$RESULTS/$p"-*.tsv
	if grep -q "$FINISHED $MODE" "$CONSOLE"; then
		check "$p" guest "finished in time" PASS
	else
		check "$p" guest "finished in time" FAIL
		echo "the guest did not finish (timeout or crash): see $CONSOLE"
	fi
	log=$(grep -a -n -E "$BAD_LOG" "$CONSOLE")
	if [ -z "$log" ]; then
		check "$p" guest "kernel log clean" PASS
	else
		check "$p" guest "kernel log clean" FAIL
		echo "kernel log reports problems ($CONSOLE):"
		echo "$log" | head -n 20 | sed 's/^/  | /'
	fi

	# One KTAP report per run of KUnit: at boot for built-in suites (an
	# empty "1..0" one if there are none), at load for each module.
	rm -f "$LOGS"/vm-ktap-*.log
	awk -v out="$LOGS/vm-ktap-" '/^\[[ 0-9.]+\] KTAP version/ { n++ }
		n { sub(/\r$/, ""); print > (out n ".log") }' "$CONSOLE"
	: >"$RESULTS/$p-kunit.tsv"
	for log in "$LOGS"/vm-ktap-*.log; do
		[ -f "$log" ] || continue
		grep -q -E '^\[[ 0-9.]+\] 1\.\.0$' "$log" && continue
		python3 "$SRC/tools/testing/kunit/kunit.py" parse \
			--json="${log%.log}.json" "$log" >"${log%.log}.parsed" 2>&1
		python3 "$TOP/tests/results.py" kunit-json kunit-guest \
			"${log%.log}.json" "$RESULTS/$p-kunit.part"
		cat "$RESULTS/$p-kunit.part" >>"$RESULTS/$p-kunit.tsv"
		rm "$RESULTS/$p-kunit.part"
	done
	# The boot run loads no KUnit module: its built-in report is empty.
	[ -s "$RESULTS/$p-kunit.tsv" ] || [ "$p" = bootvm ] ||
		check "$p" kunit "any KUnit suite ran" FAIL
	python3 "$TOP/tests/results.py" tap kselftest "$OUTPUT" \
		"$RESULTS/$p-kselftest.tsv"
	[ "$MODE" = test ] || return 0
	# The benchmark's smoke run: every section there, no error, no data
	# lost, a report written.
	if python3 "$TOP/tools/testing/offload-bench/report.py" \
		"$BUILD/bench-smoke" "$BENCH" >"$LOGS/bench-smoke.log" 2>&1 &&
	   [ -s "$BUILD/bench-smoke/report.md" ]; then
		check "$p" bench "smoke run: complete report" PASS
	else
		check "$p" bench "smoke run: complete report" FAIL
		sed 's/^/  | /' "$LOGS/bench-smoke.log"
	fi
}

case "$MODE" in
test)
	stage boot "$LOGS/vm-boot.log" boot
	collect vm
	;;
boot)
	stage bootargs "$LOGS/bootvm-boot.log" boot
	collect bootvm
	;;
run)
	stage boot "$LOGS/run-boot.log" boot || exit 1
	echo
	cat "$OUTPUT"
	echo
	grep -q "$FINISHED run" "$CONSOLE" || die "the guest did not finish: see $CONSOLE"
	if grep -a -q -E "$BAD_LOG" "$CONSOLE"; then
		echo "warning: the kernel log reports problems: see $CONSOLE"
	fi
	;;
bench)
	: >"$OUTPUT"
	boot >"$LOGS/$VM_LOG-boot.log" 2>&1 &
	pid=$!
	# The guest's progress lines, as they come.
	tail -n +1 -f --pid=$pid "$OUTPUT" |
		while read -r what line; do
			[ "$what" = progress ] || continue
			line=${line%$'\r'}
			printf '[%s] bench     %s\n' \
				"$(mmss $(($(date +%s) - OFFLOAD_T0)))" "$line"
		done
	wait $pid
	grep -q "$FINISHED bench" "$CONSOLE" || die "the guest did not finish: see $CONSOLE"
	if grep -a -q -E "$BAD_LOG" "$CONSOLE"; then
		grep -a -E "$BAD_LOG" "$CONSOLE" | head -n 20 | sed 's/^/  | /'
		die "the kernel log reports problems: see $CONSOLE"
	fi
	;;
shell)
	qemu "$(accel)" shell /dev/null "$OUTPUT" 86400 mon:stdio
	;;
*)
	die "usage: vm.sh test|boot|run|bench|shell"
	;;
esac
