#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# mm/offload routes from the kernel command line.  tests/vm.sh boot boots
# the guest with
#	offload.route=syscall_or_cpuset:require:bootcopy
#	offload.route=demotion:prefr offload.default_mode=off offload.lock
# and runs only this test; elsewhere it skips.  Checks:
#  - the routes are in force before any userspace: no CPU copy for the
#    class since boot, and move_pages(2) fails while the required engine
#    has not registered (counted as refused), never copied by the CPU;
#  - once an engine of that name registers, it copies;
#  - a malformed route fails closed: demotion requires, with no engine;
#  - reasons no route names have the default mode, off;
#  - locked: every write and link fails with EPERM and changes nothing.

here=$(dirname "$0")
. "$here/offload_lib.sh"
report=$here/migrate_report
cfs=/sys/kernel/config/offload
ctl=/sys/kernel/debug/offload_test_engine/control
class=syscall_or_cpuset
route=$cfs/routes/$class

if ! grep -q "offload.route=$class:require:bootcopy" /proc/cmdline; then
	echo "SKIP: needs the command line of tests/vm.sh boot"
	exit $ksft_skip
fi

check "in force from boot: $class requires bootcopy" \
	'[ "$(cat $route/mode):$(cat $route/order)" = "require:bootcopy" ]'
check "no CPU copy for $class since boot" \
	'[ "$(counter $route/stats cpu)" -eq 0 ]'
check "malformed route fails closed: demotion requires, no engine" \
	'[ "$(cat $cfs/routes/demotion/mode):$(cat $cfs/routes/demotion/order)" = "require:" ]'
check "default mode off, for compaction too" \
	'[ "$(cat $cfs/default_mode) $(cat $cfs/routes/compaction/mode)" = "off off" ]'
check "locked from boot" '[ "$(cat $cfs/locked)" = 1 ]'

r0=$(counter $route/stats refused)
"$report" -s 4 -t 4k >/tmp/boot_routes.out 2>&1
sed 's/^/# before: /' /tmp/boot_routes.out
check "required engine absent: pages stay" \
	"grep -q 'pages not migrated' /tmp/boot_routes.out"
check "required engine absent: refused counted, no CPU copy" \
	'[ "$(counter $route/stats refused)" -gt "$r0" ] && [ "$(counter $route/stats cpu)" -eq 0 ]'

if modprobe offload_test_engine &&
   echo "add bootcopy kind=instant node=0 large=1" >$ctl; then
	o0=$(counter $route/stats offloaded)
	"$report" -s 4 >/tmp/boot_routes.out 2>&1 ||
		fail "with bootcopy: $(cat /tmp/boot_routes.out)"
	check "bootcopy registered: it copies ($(($(counter $route/stats offloaded) - o0)) folios), the CPU none" \
		'[ "$(counter $route/stats offloaded)" -gt "$o0" ] && [ "$(counter $route/stats cpu)" -eq 0 ]'
else
	fail "cannot add the bootcopy test engine"
fi

# Locked: every write refused with EPERM, nothing changed.
for i in $(seq 50); do [ -d $cfs/engines/bootcopy ] && break; usleep 100000; done
snap()
{
	for f in $cfs/locked $cfs/routes/*/mode $cfs/routes/*/min_batch \
		 $cfs/routes/*/async_ms $cfs/routes/*/order \
		 $cfs/engines/*/enabled $cfs/engines/*/weight \
		 $cfs/engines/*/min_batch $cfs/engines/*/max_inflight \
		 $cfs/engines/*/timeout_ms; do
		echo "$f=$(cat "$f")"
	done
	ls -l $cfs/routes/*/engines
}
before=$(snap)
refused=0 accepted=
for w in "prefer:$route/mode" "off:$cfs/routes/compaction/mode" \
	 "1:$route/min_batch" "0:$route/async_ms" "bootcopy:$route/order" \
	 "0:$cfs/engines/bootcopy/enabled" "300:$cfs/engines/bootcopy/weight" \
	 "5:$cfs/engines/bootcopy/timeout_ms" "0:$cfs/locked"; do
	if (echo "${w%%:*}" >"${w#*:}") 2>/tmp/boot_routes.err; then
		accepted="$accepted ${w#*:}"
	elif grep -q 'not permitted' /tmp/boot_routes.err; then
		refused=$((refused + 1))
	else
		accepted="$accepted ${w#*:}($(cat /tmp/boot_routes.err))"
	fi
done
if ln -s $cfs/engines/bootcopy $cfs/routes/compaction/engines/x 2>/dev/null
then
	accepted="$accepted link"
fi
check "locked: $refused writes refused with EPERM${accepted:+, accepted:$accepted}" \
	'[ -z "$accepted" ] && [ $refused -eq 9 ]'
after=$(snap)
check "locked: configuration unchanged" '[ "$before" = "$after" ]'

echo "del bootcopy" >$ctl
exit $rc
