#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# vm.sh test|boot|run|shell: boot the test kernel in QEMU.
#
# The guest has two NUMA nodes, each a socket with its own CPUs and memory,
# and a third, CPU-less and slower node (a lower memory tier), see
# numa_args().  Part of the memory is ZONE_MOVABLE (movablecore=), so that
# memory blocks can be offlined.  Serial
# port 0 (the kernel log) goes to $LOGS/<mode>-console.log, serial port 1
# (test or report output) to $LOGS/<mode>-output.log.
#
# test: loads the KUnit modules and runs the kselftests, then records in
#       $RESULTS: the KUnit results (built-in and module suites), the
#       kselftest results, whether the guest finished in time
#       and whether its kernel log is free of oops, BUG, WARNING, lockdep,
#       KASAN, kmemleak and similar reports.
# boot: boots with mm/offload routes, a default mode and the lock on the
#       kernel command line ($BOOT_ARGS) and runs the kselftest that
#       checks them (boot_routes.sh), recording its results, whether the
#       guest finished and whether its log is clean, as test does.
# run:  prints the guest's demo report.
# shell: an interactive guest on this terminal.
set -u
. "$(dirname "$0")/lib.sh"

MODE=${1:-test}
VM_TIMEOUT=${VM_TIMEOUT:-1500}
VM_CPUS_PER_NODE=${VM_CPUS_PER_NODE:-2}
VM_MEM_PER_NODE=${VM_MEM_PER_NODE:-1}	# GiB
VM_MOVABLE=${VM_MOVABLE:-1536M}	# ZONE_MOVABLE, for hotplug tests
KERNEL=$BUILD/x86/arch/x86/boot/bzImage
INITRD=$BUILD/initramfs/initramfs.cpio.gz
CONSOLE=$LOGS/$MODE-console.log
OUTPUT=$LOGS/$MODE-output.log
FINISHED="mm-offload-guest: finished"
# Extra kernel command line of a mode.
APPEND=
# What boot_routes.sh checks: a require route for an engine that is not
# there yet, a malformed route (fails closed), an unset default, locked.
BOOT_ARGS="offload.route=syscall_or_cpuset:require:bootcopy
offload.route=demotion:prefr offload.default_mode=off offload.lock"
[ "$MODE" = boot ] && APPEND=$(echo $BOOT_ARGS)

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

	# shellcheck disable=SC2046
	timeout --foreground "$limit" qemu-system-x86_64 \
		-accel "$accel" -machine pc,hmat=on -cpu max \
		-smp $((2 * VM_CPUS_PER_NODE)),sockets=2,cores=$VM_CPUS_PER_NODE \
		-m $((3 * VM_MEM_PER_NODE))G $(numa_args) \
		-kernel "$KERNEL" -initrd "$INITRD" \
		-append "console=ttyS0 panic=-1 oops=panic movablecore=$VM_MOVABLE offload.mode=$mode $APPEND" \
		-display none -monitor none -no-reboot \
		-serial "${serial:-file:$console}" -serial "file:$output"
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

	accel=$(accel)
	echo "accelerator: $accel, timeout ${VM_TIMEOUT}s"
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
shell)
	qemu "$(accel)" shell /dev/null "$OUTPUT" 86400 mon:stdio
	;;
*)
	die "usage: vm.sh test|boot|run|shell"
	;;
esac
