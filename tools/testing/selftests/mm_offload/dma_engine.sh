#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# mm/offload's DMAEngine engine (module offload_dma) on simulated DMA
# devices (module dma_sim, one per node with CPUs): move_pages(2) through
# them, checked by migrate_report (content and placement):
#  - in order and out of order: the engines copy, the CPU does not;
#  - injected descriptor errors: prefer falls back to the CPU, require
#    fails the pages, which stay intact on their node;
#  - descriptors that never complete: the broker aborts, the engine
#    resets the channel, the CPU copies;
#  - the same on devices that cannot terminate: the broker abandons the
#    chunks (their pages stay where they were), and unbinding the devices
#    lets them go (no hang), after which the engines come back;
#  - a device unbound while descriptors are in flight on it: the migration
#    completes elsewhere, no DMA mapping leaks (DMA API debug), and bound
#    again the device is an engine again;
#  - offload_dma unloaded while another migration runs.

here=$(dirname "$0")
. "$here/offload_lib.sh"
drv=/sys/bus/platform/drivers/dma_sim
report=$here/migrate_report
dbg=/sys/kernel/debug
sim=$dbg/dma_sim
class=syscall_or_cpuset

if ! modprobe dma_sim devices=2 channels=2 2>/dev/null ||
   ! modprobe offload_dma 2>/dev/null; then
	echo "SKIP: needs modules dma_sim and offload_dma"
	exit $ksft_skip
fi

# field ENGINE KEY: a counter of /sys/kernel/debug/offload/engines.
field()
{
	sed -n "s/^$1 .* $2=\([0-9]*\).*/\1/p" $dbg/offload/engines
}

# class KEY: a counter of the class of move_pages(2).
class_field()
{
	sed -n "s/^$class .* $1=\([0-9]*\).*/\1/p" $dbg/offload/classes
}

# The engines offload_dma registered, comma-separated.
dma_engines()
{
	cut -d' ' -f1 $dbg/offload/engines | grep '^dma' | tr '\n' ',' |
		sed 's/,$//'
}

# sum KEY: a counter of /sys/kernel/debug/offload/engines over $engines.
sum()
{
	n=0
	for e in $(echo "$engines" | tr ',' ' '); do
		n=$((n + $(field "$e" "$1")))
	done
	echo $n
}

# DMA API debug's error count (0 without CONFIG_DMA_API_DEBUG).
dma_api_errors()
{
	cat $dbg/dma-api/num_errors 2>/dev/null || echo 0
}

# set_route MODE MIN_BATCH ASYNC_MS: route $class to $engines (once their
# configfs groups are there), with offloadctl.
set_route()
{
	for e in $(echo "$engines" | tr ',' ' '); do
		wait_for 10 test -d "/sys/kernel/config/offload/engines/$e"
	done
	# shellcheck disable=SC2046
	offloadctl route --min-batch "$2" --async-ms "$3" $class "$1" \
		$(echo "$engines" | tr ',' ' ') >/dev/null ||
		fail "offloadctl route $class $1 $engines"
}

engines=$(dma_engines)
if [ -z "$engines" ]; then
	fail "offload_dma registered no engine on dma_sim"
	exit 1
fi
echo "# engines: $engines"

folios()
{
	sum folios
}

# migrate NAME [EXPECT]: one checked migration of 8 MiB, 4k and THP;
# EXPECT "refused" wants every 4 KiB page left where it was.
migrate()
{
	"$report" -s 8 >/tmp/dma_engine.out 2>&1
	status=$?
	sed "s/^/# $1: /" /tmp/dma_engine.out
	if [ "${2:-}" = refused ]; then
		if grep -q '4k .*: move_pages failed: 2048 pages not migrated' \
			/tmp/dma_engine.out; then
			ok "$1"
		else
			fail "$1: expected all 2048 pages refused"
		fi
	elif [ $status -eq 0 ]; then
		ok "$1"
	else
		fail "$1: migrate_report exit $status"
	fi
}

set_route prefer 1 0

f0=$(folios); c0=$(class_field cpu)
migrate in_order
f1=$(folios); c1=$(class_field cpu)
[ "$f1" -gt "$f0" ] && [ "$c1" -eq "$c0" ] &&
	ok "engines copied $((f1 - f0)) folios, the CPU none" ||
	fail "engines copied $((f1 - f0)) folios, the CPU $((c1 - c0))"

for d in $sim/dma_sim.*; do echo 1 >"$d/ooo"; done
f0=$(folios)
migrate out_of_order
[ "$(folios)" -gt "$f0" ] && ok "out of order: engines copied" ||
	fail "out of order: engines copied nothing"
for d in $sim/dma_sim.*; do echo 0 >"$d/ooo"; done

for d in $sim/dma_sim.*; do
	echo 0 >"$d/fail/verbose"
	echo -1 >"$d/fail/times"
	echo 100 >"$d/fail/probability"
done
c0=$(class_field cpu)
migrate errors_prefer
[ "$(class_field cpu)" -gt "$c0" ] && ok "errors: the CPU copied" ||
	fail "errors: the CPU copied nothing"
set_route require 1 0
migrate errors_require refused
for d in $sim/dma_sim.*; do echo 0 >"$d/fail/probability"; done
for e in $(echo "$engines" | tr ',' ' '); do
	offloadctl engine "$e" enabled=1
done

set_route prefer 1 0
for d in $sim/dma_sim.*; do echo 1 >"$d/stuck"; done
c0=$(class_field cpu)
migrate stuck
for d in $sim/dma_sim.*; do echo 0 >"$d/stuck"; done
t=$(sum timeouts)
[ "$t" -gt 0 ] && [ "$(class_field cpu)" -gt "$c0" ] &&
	ok "stuck: $t timeouts, the CPU copied" ||
	fail "stuck: $t timeouts, cpu +$(($(class_field cpu) - c0))"
for e in $(echo "$engines" | tr ',' ' '); do
	offloadctl engine "$e" enabled=1
done

# Devices that cannot terminate: chunks of stuck descriptors are
# abandoned, their pages kept (those folios stay where they were, intact)
# and their requests parked, which pins offload_dma.  Unbinding the
# devices closes the channels: the provider drops the descriptors, the
# engine reports them, and the pages go.  Bound again, the devices (with
# their knobs back to the defaults) are engines again.
for d in $sim/dma_sim.*; do
	echo 0 >"$d/terminate"
	echo 1 >"$d/stuck"
done
a0=$(sum abandoned)
"$report" -s 8 >/tmp/dma_engine.out 2>&1
sed "s/^/# stuck_no_terminate: /" /tmp/dma_engine.out
grep -q 'FAILED' /tmp/dma_engine.out &&
	fail "no terminate: data or placement wrong"
a=$(($(sum abandoned) - a0))
parked=$(cat $dbg/offload/parked)
[ "$a" -gt 0 ] && [ "$parked" -gt 0 ] &&
	ok "no terminate: $a chunks abandoned, $parked requests parked" ||
	fail "no terminate: $a chunks abandoned, $parked requests parked"
for d in $drv/dma_sim.*; do
	echo "${d##*/}" >$drv/unbind &
	bg=$!
	exited() { ! kill -0 "$bg" 2>/dev/null; }
	wait_for 60 exited && wait $bg ||
		fail "unbind ${d##*/} with chunks abandoned: hangs or failed"
done
[ "$(cat $dbg/offload/parked)" -eq 0 ] &&
	ok "unbind let the abandoned chunks go" ||
	fail "unbind: $(cat $dbg/offload/parked) requests still parked"
echo dma_sim.0 >$drv/bind
echo dma_sim.1 >$drv/bind
two_engines() { [ "$(dma_engines | tr ',' '\n' | grep -c .)" -eq 2 ]; }
wait_for 30 two_engines && ok "bound again: engines $(dma_engines)" ||
	fail "bound again: engines $(dma_engines)"

# Unbind a device while descriptors are in flight on it (stuck ones, so
# that they surely are): its engine goes, what it held is copied
# elsewhere, and DMA API debug finds no mapping left at the unbind.
engines=$(dma_engines)
set_route prefer 1 0
e0=$(dma_api_errors)
echo 1 >$sim/dma_sim.0/stuck
"$report" -s 8 >/tmp/dma_engine.bg 2>&1 &
bg=$!
sim0_stuck() { [ "$(tail -1 $sim/dma_sim.0/stats | awk '{print $6}')" -gt 0 ]; }
wait_for 60 sim0_stuck || fail "no descriptor reached dma_sim.0"
echo dma_sim.0 >$drv/unbind
wait $bg && ok "migration during unbind" ||
	fail "migration during unbind: $(cat /tmp/dma_engine.bg)"
sed "s/^/# unbind: /" /tmp/dma_engine.bg
[ "$(dma_engines | tr ',' '\n' | grep -c .)" -eq 1 ] &&
	ok "the unbound device's engine is gone" ||
	fail "engines after unbind: $(dma_engines)"
[ "$(dma_api_errors)" -eq "$e0" ] && ok "no DMA API error at unbind" ||
	fail "DMA API errors: $e0 -> $(dma_api_errors)"

echo dma_sim.0 >$drv/bind
wait_for 30 two_engines && ok "bound again: engines $(dma_engines)" ||
	fail "bound again: engines $(dma_engines)"
engines=$(dma_engines)
set_route prefer 1 0
f0=$(folios)
migrate after_rebind
[ "$(folios)" -gt "$f0" ] && ok "after rebind: engines copied" ||
	fail "after rebind: engines copied nothing"

# Unload while a migration runs: the broker holds the module meanwhile.
"$report" -s 32 >/tmp/dma_engine.bg 2>&1 &
bg=$!
for i in $(seq 200); do
	rmmod offload_dma 2>/dev/null && break
	usleep 50000
done
wait $bg && ok "migration during unload" ||
	fail "migration during unload: $(cat /tmp/dma_engine.bg)"
[ -d /sys/module/offload_dma ] && fail "offload_dma still loaded" ||
	ok "offload_dma unloaded"

offloadctl route --min-batch 32 --async-ms 10 $class prefer
rmmod offload_dma 2>/dev/null
rmmod dma_sim || fail "rmmod dma_sim"
exit $rc
