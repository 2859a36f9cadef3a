#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The mm/offload benchmark, run in the test guest (tests/bench.sh boots it).
#
#   bench.sh full|smoke|icount
#
# Prints "bench ..." lines for report.py (machine facts, figures, engine
# byte counters around each scheduler case) and "progress ..." lines for
# the host.  full is what "make bench" reports; icount is its run under
# QEMU -icount (guest time = instructions): the cost per folio of each
# configuration that should cost nothing; smoke runs all of it on tiny
# sizes, so that neither the harness nor the report can rot.

size=${1:-full}
OFFLOAD=/sys/kernel/debug/offload
SIM=/sys/kernel/debug/dma_sim
MTCOPY=/sys/module/mtcopy/parameters
CLASS=syscall_or_cpuset
bench=/bench/offload_bench

# sizes: the folio kinds, the region per kind (MiB), the batch sizes
# (folios per move_pages(2) call), repetitions, calls at most per
# repetition and first-folio latency samples per batch size.
sizes()
{
	KINDS="4k thp"
	case "$size" in
	smoke)
		MIB=4 THP_MIB=8 REPS=1 CALLS=16 SAMPLES=2
		BATCHES=1,16,512 THP_BATCHES=1,4 MEMCPY_MIB=16
		;;
	icount)
		KINDS=4k MIB=16 REPS=5 CALLS=64 BATCHES=16,512
		;;
	*)
		MIB=256 THP_MIB=256 REPS=3 CALLS=256 SAMPLES=8
		BATCHES=1,4,16,64,256,512 THP_BATCHES=1,4,16,64 MEMCPY_MIB=128
		;;
	esac
}

# The scheduler cases: one large batch size, rate-limited engines.
sched_sizes()
{
	REPS=1 BATCHES=512 THP_BATCHES=16
	[ "$size" = smoke ] && MIB=8 THP_MIB=8 || MIB=32 THP_MIB=32
}

progress()
{
	echo "progress $*"
	echo "progress $*" >/dev/console
}

# engines LABEL PHASE: every engine's byte and folio counters.
engines()
{
	[ -r $OFFLOAD/engines ] || return 0
	awk -v l="$1" -v p="$2" '{ f = b = 0
	       for (i = 2; i <= NF; i++) {
		       if ($i ~ /^folios=/) f = substr($i, 8)
		       if ($i ~ /^bytes=/) b = substr($i, 7)
	       }
	       printf "bench engine label=%s phase=%s name=%s folios=%s bytes=%s\n",
		      l, p, $1, f, b }' $OFFLOAD/engines
}

# move LABEL [offload_bench options]: each folio kind, on CPU 0 (node 0).
move()
{
	label=$1
	shift
	progress "move $label"
	engines "$label" before
	for kind in $KINDS; do
		if [ "$kind" = thp ]; then
			# Untimed: free THPs on both nodes, or the moves time
			# the target's direct compaction (seen: 17x spread).
			echo 1 >/proc/sys/vm/compact_memory
			set -- -s "$THP_MIB" -b "$THP_BATCHES" "$@"
		else
			set -- -s "$MIB" -b "$BATCHES" "$@"
		fi
		taskset -c 0 $bench move -L "$label" -k "$kind" -r "$REPS" \
			-c "$CALLS" "$@" ||
			echo "bench error label=$label kind=$kind"
		shift 4
	done
	engines "$label" after
}

# route [--min-batch N] MODE [ENGINE...]: the route of move_pages(2).
route()
{
	min=1
	if [ "$1" = --min-batch ]; then
		min=$2
		shift 2
	fi
	offloadctl route --min-batch "$min" --async-ms 0 $CLASS "$@" \
		>/dev/null || echo "bench error route $*"
}

# wait_engine NAME: until the engine's configfs group is there (the
# kernel makes it just after the engine registers), 5 s at most.
wait_engine()
{
	local i

	for i in $(seq 50); do
		[ -d "/sys/kernel/config/offload/engines/$1" ] && return 0
		usleep 100000
	done
	echo "bench error no engine $1"
	return 1
}

# cpu_path on|off: the broker's CPU path.  For page migration route "cpu"
# is the stock path; the broker copies on the CPU what no engine of a
# prefer route can take.  An engine whose minimum batch no request
# reaches makes every chunk so: the request goes through the broker (its
# allocation, split, dispatch and per-chunk completion) and the calling
# CPU copies each chunk.
cpu_path()
{
	if [ "$1" = off ]; then
		# Delete the engine, not the module: other modules (the
		# KUnit ones of the test run) may hold it.
		route off
		echo "del cpupath" >/sys/kernel/debug/offload_test_engine/control ||
			echo "bench error cpu path engine not deleted"
		return
	fi
	modprobe offload_test_engine &&
		echo "add cpupath kind=instant min_batch=1048576" \
			>/sys/kernel/debug/offload_test_engine/control &&
		wait_engine cpupath && route prefer cpupath ||
		echo "bench error cpu path engine"
}

# dma_sim NODES [knob=value per device...]: simulated devices with their
# engines; sets DMA to the engine names, in device order.
dma_sim()
{
	local i e knob

	rmmod offload_dma 2>/dev/null
	rmmod dma_sim 2>/dev/null
	if [ -d /sys/module/dma_sim ] || [ -d /sys/module/offload_dma ]; then
		echo "bench error dma_sim or offload_dma still loaded"
		return 1
	fi
	modprobe dma_sim devices=2 channels=2 nodes="$1" || return 1
	shift
	i=0
	for knob in "$@"; do
		echo "${knob#*=}" >"$SIM/dma_sim.$i/${knob%=*}" ||
			echo "bench error dma_sim.$i $knob"
		i=$((i + 1))
	done
	modprobe offload_dma || return 1
	# Engines are named after the devices, which the links name.
	DMA=
	for i in 0 1; do
		e=$(readlink "$SIM/dma_sim.$i")
		DMA="$DMA ${e##*/}"
	done
	for e in $DMA; do
		wait_engine "$e"
	done
}

# Throughput and first-folio latency of every mode.
modes()
{
	progress memcpy
	$bench memcpy -L memcpy -T "1,$(nproc)" -s $MEMCPY_MIB -r $REPS ||
		echo "bench error label=memcpy"

	# The stock path (route off), the broker's CPU path.
	route off
	move stock -l $SAMPLES
	cpu_path on
	move cpu -l $SAMPLES
	cpu_path off

	# mtcopy by threads per chunk: 1, 2 (on the engine's node if it has
	# two CPUs), then every vCPU (at most mtcopy's 7), on any CPU.
	if modprobe mtcopy && wait_engine mtcopy0 && wait_engine mtcopy1; then
		local node_cpus all t where label

		node_cpus=$(ls -d /sys/devices/system/node/node0/cpu[0-9]* | wc -l)
		all=$(nproc)
		[ "$all" -le 7 ] || all=7
		route prefer mtcopy0 mtcopy1
		for t in 1 2 all; do
			label=mtcopy-$t where=engine
			[ "$t" = all ] && t=$all
			[ "$t" -le "$node_cpus" ] || where=any
			echo "bench mtcopy label=$label threads=$t where=$where"
			echo $t >$MTCOPY/max_threads &&
				echo $where >$MTCOPY/where &&
				move $label ||
				echo "bench error label=$label: max_threads $t"
		done
		echo 7 >$MTCOPY/max_threads
		echo engine >$MTCOPY/where
	fi

	# Each simulated device alone (required: the CPU takes no part) on
	# a node of the move (local), then on the far, CPU-less node
	# (remote); then every engine together, the CPU taking what they
	# cannot (prefer).
	if dma_sim 0,2; then
		set -- $DMA
		route require "$1"
		move dma-local
		route require "$2"
		move dma-remote
		route prefer
		move all -l $SAMPLES
	fi
}

# Scheduler efficiency and node-local share, engines alone (required).
scheduler()
{
	sched_sizes
	# Two devices on node 0 with set rates well below the guest's
	# memcpy speed, one twice as fast as the other.
	if dma_sim 0,0 bandwidth=8000000 bandwidth=4000000; then
		set -- $DMA
		echo "bench rate engine=$1 bytes_per_s=8000000"
		echo "bench rate engine=$2 bytes_per_s=4000000"
		route require "$1" "$2"
		# Per folio kind: a batch of THPs is one folio per
		# migrate_pages() batch, so one engine at a time.
		KINDS=4k move sched-4k
		KINDS=thp move sched-thp
	fi
	# Equal, unlimited devices near (node 0) and far (the CPU-less
	# node) with equal weights: only the distance tells them apart.
	if dma_sim 0,2; then
		set -- $DMA
		offloadctl engine "$1" weight=1 >/dev/null &&
			offloadctl engine "$2" weight=1 >/dev/null ||
			echo "bench error locality: weights"
		echo "bench near engine=$1 far=$2"
		route require "$1" "$2"
		KINDS=4k move locality-4k
		KINDS=thp move locality-thp
		# The broker keeps an admin's tunables per engine name, for
		# the next devices of these names: give the weights back.
		offloadctl engine "$1" weight=0 >/dev/null &&
			offloadctl engine "$2" weight=0 >/dev/null ||
			echo "bench error locality: weights back"
	fi
	sizes
}

# Hybrid: devices slower than the CPU for small folios (a per-descriptor
# latency, as PTDMA with one channel upstream): alone (require), with the
# CPU taking what they cannot (prefer), and with mtcopy too.
hybrid()
{
	dma_sim 0,1 latency_us=200 latency_us=200 || return
	set -- $DMA
	route require "$1" "$2"
	move hybrid-dma-only
	route prefer "$1" "$2"
	move hybrid-dma
	if modprobe mtcopy && wait_engine mtcopy0 && wait_engine mtcopy1; then
		route prefer "$1" "$2" mtcopy0 mtcopy1
		move hybrid
	fi
}

# What the option costs where it should not act, per folio: built in with
# no engine, engines with the route off, a batch below the route's
# threshold, and the broker's CPU path.  A kernel without the option only
# has the first case, labelled "nooption".
costs()
{
	if [ ! -d /sys/kernel/config/offload ]; then
		move icount-nooption
		return
	fi
	move icount-noengine
	modprobe mtcopy && wait_engine mtcopy0 ||
		echo "bench error modprobe mtcopy"
	route off
	move icount-routeoff
	# The default threshold (32 folios) with batches of 16: below it.
	route --min-batch 32 prefer
	BATCHES=16 move icount-below
	cpu_path on
	BATCHES=512 move icount-cpupath
	cpu_path off
	sizes
}

sizes
echo "bench machine kernel=$(uname -r) cpus=$(nproc) size=$size" \
	"nodes=$(cat /sys/devices/system/node/online)" \
	"kinds=$(echo $KINDS | tr ' ' ,) mib=$MIB thp_mib=${THP_MIB:-0}" \
	"reps=$REPS calls=$CALLS"
case "$size" in
icount)
	costs
	;;
*)
	modes
	scheduler
	hybrid
	rmmod offload_dma dma_sim mtcopy 2>/dev/null
	# The icount cases too, smaller still (no icount here: a check only).
	if [ "$size" = smoke ]; then
		size=icount
		sizes
		MIB=4 REPS=1
		costs
	fi
	rmmod mtcopy 2>/dev/null
	# The defaults again (OFFLOAD_ROUTE_MIN_BATCH_DEFAULT, 10 ms).
	offloadctl route --min-batch 32 --async-ms 10 $CLASS prefer >/dev/null
	;;
esac
progress done
