#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# How mm/offload shares work between DMA engines (module offload_dma) on
# simulated devices (module dma_sim) whose bandwidth is set well below the
# guest's memcpy speed, so that the set rate is what limits them:
#  - two devices on the source node, one twice as fast as the other: the
#    broker measures their rates and gives the faster one more of the
#    bytes (2:1 ideally);
#  - a device on the source node and one on a node far from both ends
#    (the CPU-less node if there is one), of equal rates and equal set
#    weights: the near one gets more of the bytes.
# Each case prints its figures: the shares, and the aggregate throughput
# over the sum of the set rates (under TCG the page table work of a
# migration is emulated too, which keeps that ratio below 1).

here=$(dirname "$0")
. "$here/offload_lib.sh"
report=$here/migrate_report
dbg=/sys/kernel/debug
sim=$dbg/dma_sim
class=syscall_or_cpuset
mib=8

if ! modinfo dma_sim >/dev/null 2>&1 || ! modinfo offload_dma >/dev/null 2>&1
then
	echo "SKIP: needs modules dma_sim and offload_dma"
	exit $ksft_skip
fi
nodes=$(cat /sys/devices/system/node/has_memory 2>/dev/null)
far=$(ls -d /sys/devices/system/node/node[0-9]* | sed 's/.*node//' |
      sort -n | tail -1)
if [ "$far" -lt 2 ]; then
	echo "SKIP: needs a third node (memory nodes: $nodes)"
	exit $ksft_skip
fi

# bytes ENGINE: bytes the engine copied so far.
bytes()
{
	sed -n "s/^$1 .* bytes=\([0-9]*\).*/\1/p" $dbg/offload/engines
}

# setup NODES RATE0 RATE1: two simulated devices on NODES (e.g. 0,0) with
# bandwidths RATE0 and RATE1 (bytes/s), their engines e0 and e1 routed.
setup()
{
	rmmod offload_dma 2>/dev/null
	rmmod dma_sim 2>/dev/null
	modprobe dma_sim devices=2 channels=2 nodes="$1" || return 1
	echo "$2" >$sim/dma_sim.0/bandwidth
	echo "$3" >$sim/dma_sim.1/bandwidth
	modprobe offload_dma || return 1
	# Devices register in order: dma_sim.0's engine comes first.
	e0=$(cut -d' ' -f1 $dbg/offload/engines | grep '^dma' | sed -n 1p)
	e1=$(cut -d' ' -f1 $dbg/offload/engines | grep '^dma' | sed -n 2p)
	[ -n "$e0" ] && [ -n "$e1" ] || return 1
	for e in $e0 $e1; do
		for i in $(seq 50); do
			[ -d "/sys/kernel/config/offload/engines/$e" ] && break
			usleep 100000
		done
	done
	offloadctl route --min-batch 1 --async-ms 0 $class prefer "$e0" "$e1" \
		>/dev/null || return 1
	# Let the broker measure both.
	"$report" -s 4 >/dev/null 2>&1
}

# measure NAME: one checked migration; sets b0, b1 (bytes per engine)
# and ms (migration time).
measure()
{
	b0=$(bytes "$e0")
	b1=$(bytes "$e1")
	if ! "$report" -s $mib >/tmp/dma_balance.out 2>&1; then
		sed "s/^/# $1: /" /tmp/dma_balance.out
		fail "$1: migrate_report failed"
		return 1
	fi
	sed "s/^/# $1: /" /tmp/dma_balance.out
	b0=$(($(bytes "$e0") - b0))
	b1=$(($(bytes "$e1") - b1))
	ms=$(sed -n 's/.*(\([0-9.]*\) ms).*/\1/p' /tmp/dma_balance.out |
	     awk '{ s += $1 } END { print s }')
}

# figures NAME RATE0 RATE1: print the shares and the efficiency.
figures()
{
	awk -v n="$1" -v b0="$b0" -v b1="$b1" -v ms="$ms" -v r0="$2" \
	    -v r1="$3" 'BEGIN {
		t = b0 + b1
		printf "# %s: %.1f MiB on the first engine, %.1f MiB on the second: shares %.3f / %.3f (set rates %.3f / %.3f)\n",
		       n, b0 / 1048576, b1 / 1048576, b0 / t, b1 / t,
		       r0 / (r0 + r1), r1 / (r0 + r1)
		printf "# %s: aggregate %.1f MB/s over %.0f ms, sum of rates %.1f MB/s, efficiency %.3f\n",
		       n, t / ms / 1000, ms, (r0 + r1) / 1e6,
		       t / ms * 1000 / (r0 + r1)
	}'
}

fast=8000000
slow=4000000
if setup 0,0 $fast $slow && measure rates; then
	figures rates $fast $slow
	[ "$b0" -gt $((b1 * 13 / 10)) ] &&
		ok "twice the rate, more of the work ($b0 vs $b1 bytes)" ||
		fail "twice the rate, not more of the work ($b0 vs $b1 bytes)"
else
	fail "rates: setup or migration failed"
fi

# Equal set weights for the locality case: with measured rates, timing
# noise between two equal devices can outweigh the distance.
if setup "0,$far" $fast $fast &&
   offloadctl engine "$e0" weight=1 && offloadctl engine "$e1" weight=1 &&
   measure locality; then
	figures locality $fast $fast
	[ "$b0" -gt "$b1" ] &&
		ok "the near device copied more ($b0 vs $b1 bytes)" ||
		fail "the near device did not copy more ($b0 vs $b1 bytes)"
else
	fail "locality: setup or migration failed"
fi

offloadctl route --min-batch 32 --async-ms 10 $class prefer
rmmod offload_dma 2>/dev/null
rmmod dma_sim 2>/dev/null
exit $rc
