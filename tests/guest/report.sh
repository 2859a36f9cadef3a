#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The "make run" report, printed by the guest: the machine, one checked
# migration on the stock path, then through mtcopy (by threads, and on a
# busy guest), then through two simulated DMA devices and mtcopy together
# (which engine copied what) and routed with offloadctl, then through the
# offload broker with a test engine on each node, and what the broker
# counted.

MIB=${MIGRATE_MIB:-64}
OFFLOAD=/sys/kernel/debug/offload
CONTROL=/sys/kernel/debug/offload_test_engine/control

migrate()
{
	/selftests/mm_offload/migrate_report -s "$MIB" >/tmp/report 2>&1
	rc=$?
	sed 's/^/  /' /tmp/report
	[ $rc -eq 0 ] || echo "  migrate_report FAILED (exit $rc)"
}

engines()
{
	echo "Registered copy engines:"
	if grep -q . $OFFLOAD/engines; then
		cut -d' ' -f1-9 $OFFLOAD/engines | sed 's/^/  /'
	else
		echo "  (none: migrations copy on the CPU)"
	fi
}

# Every CPU busy with a spinning shell, until spinners_stop.
spinners_start()
{
	SPINNERS=
	for i in $(seq "$(nproc)"); do
		(while :; do :; done) &
		SPINNERS="$SPINNERS $!"
	done
}

spinners_stop()
{
	# shellcheck disable=SC2086
	kill $SPINNERS
	wait 2>/dev/null
}

# move_pages(2) copies through mtcopy, by number of threads, then on a
# busy guest; the stock path (route off) for comparison.
mtcopy_report()
{
	params=/sys/module/mtcopy/parameters
	if ! modprobe mtcopy 2>/dev/null; then
		echo "(no mtcopy module)"
		return
	fi
	engines
	echo
	echo "Migration through mtcopy, by threads per chunk (TCG-emulated CPUs):"
	for t in 1 2 4; do
		where=engine
		# More threads than a guest node has CPUs (2): any CPU.
		[ "$t" -le 2 ] || where=any
		echo "$t" >$params/max_threads
		echo "$where" >$params/where
		echo " max_threads=$t where=$where:"
		migrate
	done
	echo 7 >$params/max_threads
	echo engine >$params/where
	echo "Busy guest (a spinning task per CPU), stock path then mtcopy:"
	spinners_start
	offloadctl route syscall_or_cpuset off
	migrate
	offloadctl route syscall_or_cpuset prefer
	migrate
	spinners_stop
	echo "What mtcopy did:"
	for f in /sys/kernel/debug/mtcopy/*; do
		echo "  ${f##*/}: $(tr '\n' ' ' <"$f")"
	done
}

# "ENGINE FOLIOS BYTES" per registered engine.
engine_counts()
{
	awk '{ f = b = 0
	       for (i = 2; i <= NF; i++) {
		       if ($i ~ /^folios=/) f = substr($i, 8)
		       if ($i ~ /^bytes=/) b = substr($i, 7)
	       }
	       print $1, f, b }' $OFFLOAD/engines
}

# One checked migration, then what each engine copied in it.
migrate_by_engine()
{
	engine_counts >/tmp/engines.before
	migrate
	engine_counts >/tmp/engines.after
	echo "Copied by each engine in that migration:"
	awk 'NR == FNR { f[$1] = $2; b[$1] = $3; next }
	     { printf "  %-10s %7d folios %8.1f MiB\n", $1, $2 - f[$1],
		      ($3 - b[$1]) / 1048576 }' /tmp/engines.before /tmp/engines.after
}

# Two simulated DMA devices, one per node, as engines of offload_dma next
# to mtcopy's: one migration through all of them, then routing with
# offloadctl: move_pages(2) through one DMA engine only, then required
# from mtcopy alone (CPU engines cannot serve a mandate: refused).
dma_report()
{
	local dma

	if ! modprobe dma_sim devices=2 channels=2 2>/dev/null ||
	   ! modprobe offload_dma 2>/dev/null; then
		echo "(no dma_sim or offload_dma module)"
		return
	fi
	engines
	echo
	echo "Migration through every engine (simulated DMA devices, mtcopy):"
	# No deadline: move_pages' first, asynchronous pass would have one.
	offloadctl route --async-ms 0 syscall_or_cpuset prefer
	migrate_by_engine

	dma=$(cut -d' ' -f1 $OFFLOAD/engines | grep '^dma' | tail -1)
	echo
	echo "Routing with offloadctl: move_pages(2) through $dma only:"
	echo "  # offloadctl route --async-ms 0 syscall_or_cpuset prefer $dma"
	offloadctl route --async-ms 0 syscall_or_cpuset prefer "$dma"
	migrate_by_engine
	echo
	echo "Required from mtcopy0 alone: a CPU engine never serves a mandate,"
	echo "so every page stays where it was (refused, counted):"
	echo "  # offloadctl route syscall_or_cpuset require mtcopy0"
	offloadctl route syscall_or_cpuset require mtcopy0
	migrate_by_engine
	echo
	echo "  # offloadctl status"
	offloadctl status | sed 's/^/  /'
	offloadctl route syscall_or_cpuset prefer
	rmmod offload_dma dma_sim
	rmmod mtcopy 2>/dev/null
}

echo "mm/offload demo on Linux $(uname -r)"
echo
echo "NUMA nodes:"
for d in /sys/devices/system/node/node[0-9]*; do
	n=${d##*/node}
	mem=$(awk '/MemTotal/ { printf "%d MiB", $4 / 1024 }' "$d/meminfo")
	echo "  node$n: cpus $(cat "$d/cpulist"), $mem"
done
echo
engines
echo
echo "Migration between nodes (move_pages(2)), stock path:"
migrate

echo
mtcopy_report
echo
dma_report
echo
if ! modprobe offload_test_engine 2>/dev/null; then
	echo "(no test engine module: nothing more to show)"
	exit 0
fi
for n in /sys/devices/system/node/node[0-9]*; do
	n=${n##*/node}
	echo "add test$n kind=delayed node=$n large=1" >$CONTROL
done
engines
echo
echo "Migration between nodes (move_pages(2)), through the broker:"
migrate
echo
echo "Compaction of all zones (/proc/sys/vm/compact_memory), through the broker"
echo 1 >/proc/sys/vm/compact_memory
echo
echo "What the broker did, per reason (folios):"
grep -v 'submitted=0 ' $OFFLOAD/classes | sed 's/^/  /'
echo "Per engine:"
awk '{ printf "  %s", $1; for (i = 2; i <= NF; i++)
	if ($i ~ /^(submitted|folios|bytes|errors|busy_ns)=/) printf " %s", $i;
	print "" }' $OFFLOAD/engines
