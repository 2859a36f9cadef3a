#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# mm/offload's configfs interface (/sys/kernel/config/offload) and
# offloadctl on it, with test engines (module offload_test_engine) and
# move_pages(2) by migrate_report:
#  - engine groups appear as engines register, with node, kind, state;
#  - a route's links and order decide which engine copies (counters);
#  - tunables: enabled=0 takes an engine out of its routes;
#  - a require route whose engines are all disabled fails its migrations,
#    counted as refused;
#  - an engine linked in a route goes: its group stays, "gone", the route
#    falls back as its mode says; unlinked, the group goes; back, it
#    copies again;
#  - mtcopy unloaded while linked and while migrations run;
#  - a process without CAP_SYS_ADMIN changes nothing;
#  - offloadctl status, route, engine, stats: tables and JSON.

here=$(dirname "$0")
. "$here/offload_lib.sh"
report=$here/migrate_report
cfs=/sys/kernel/config/offload
ctl=/sys/kernel/debug/offload_test_engine/control
class=syscall_or_cpuset
route=$cfs/routes/$class

if [ ! -d $cfs ] || ! modprobe offload_test_engine 2>/dev/null; then
	echo "SKIP: needs $cfs and module offload_test_engine"
	exit $ksft_skip
fi
oc=$(command -v offloadctl)

migrate()
{
	"$report" -s 4 >/tmp/configfs.out 2>&1
}

echo "add cfsa kind=instant node=0 large=1" >$ctl
echo "add cfsb kind=instant node=1 large=1" >$ctl
wait_for 10 test -d $cfs/engines/cfsb
check "engine groups appear" "[ -d $cfs/engines/cfsa ] && [ -d $cfs/engines/cfsb ]"
check "cfsb: node 1, device, ready" \
	'[ "$(cat $cfs/engines/cfsb/node) $(cat $cfs/engines/cfsb/kind) $(cat $cfs/engines/cfsb/state)" = "1 device ready" ]'

# Only cfsb in the route: cfsb copies, cfsa does not.
(cd $route/engines && ln -s ../../../engines/cfsb cfsb)
echo prefer >$route/mode
echo 0 >$route/async_ms
a0=$(counter $cfs/engines/cfsa/stats folios)
b0=$(counter $cfs/engines/cfsb/stats folios)
migrate || fail "migration through cfsb: $(cat /tmp/configfs.out)"
a1=$(counter $cfs/engines/cfsa/stats folios)
b1=$(counter $cfs/engines/cfsb/stats folios)
check "the linked engine copies ($((b1 - b0)) folios), the other not ($((a1 - a0)))" \
	'[ $((b1 - b0)) -gt 0 ] && [ $a1 -eq $a0 ]'

# Order: a new link goes last; a permutation reorders; anything else is
# refused and changes nothing.
ln -s $cfs/engines/cfsa $route/engines/first
check "order: link order" '[ "$(cat $route/order)" = "cfsb cfsa" ]'
echo "cfsa cfsb" >$route/order
check "order: reordered" '[ "$(cat $route/order)" = "cfsa cfsb" ]'
echo "cfsb" >$route/order 2>/dev/null && fail "order: partial list accepted"
echo "cfsb cfsb" >$route/order 2>/dev/null && fail "order: duplicate accepted"
check "order: unchanged by refused writes" '[ "$(cat $route/order)" = "cfsa cfsb" ]'
ln -s $cfs/engines/cfsa $route/engines/again 2>/dev/null &&
	fail "a second link to cfsa accepted"

# enabled=0 takes an engine out; require with none left refuses.
echo 0 >$cfs/engines/cfsa/enabled
echo 0 >$cfs/engines/cfsb/enabled
echo require >$route/mode
r0=$(counter $route/stats refused)
migrate && fail "require without usable engine: migration succeeded"
r1=$(counter $route/stats refused)
check "require, engines disabled: refused $((r1 - r0))" '[ $r1 -gt $r0 ]'
echo 1 >$cfs/engines/cfsa/enabled
echo 1 >$cfs/engines/cfsb/enabled
migrate || fail "require, engines enabled: $(cat /tmp/configfs.out)"
check "require, engines enabled: migrated" "grep -q 'integrity ok, placement ok' /tmp/configfs.out"

# An engine that goes while linked: its group stays, gone.
echo "del cfsb" >$ctl
check "gone engine keeps its linked group" \
	'[ "$(cat $cfs/engines/cfsb/state)" = gone ]'
check "its link still resolves" '[ -d $route/engines/cfsb ]'
echo prefer >$route/mode
echo "add cfsb kind=instant node=1 large=1" >$ctl
b0=$(counter $cfs/engines/cfsb/stats folios)
echo "cfsb cfsa" >$route/order
migrate || fail "after re-registration: $(cat /tmp/configfs.out)"
b1=$(counter $cfs/engines/cfsb/stats folios)
check "registered again, it copies again ($((b1 - b0)) folios)" \
	'[ $((b1 - b0)) -gt 0 ]'
echo "del cfsa" >$ctl
rm $route/engines/first
gone() { [ ! -d $cfs/engines/cfsa ]; }
check "gone and unlinked, the group goes" "wait_for 10 gone"

# mtcopy, linked, unloaded while migrations run through it.
if modprobe mtcopy 2>/dev/null; then
	wait_for 10 test -d $cfs/engines/mtcopy0
	for e in $cfs/engines/mtcopy*; do
		ln -s "$e" "$route/engines/${e##*/}"
	done
	"$report" -s 16 >/tmp/configfs.bg 2>&1 &
	bg=$!
	usleep 300000
	rmmod mtcopy
	wait $bg && ok "migration while mtcopy unloads" ||
		fail "migration while mtcopy unloads: $(cat /tmp/configfs.bg)"
	check "mtcopy0 gone, linked" '[ "$(cat $cfs/engines/mtcopy0/state)" = gone ]'
	for e in $route/engines/mtcopy*; do
		rm "$e"
	done
else
	echo "# no mtcopy module: unload case skipped"
fi

# Nothing without CAP_SYS_ADMIN.
before=$(cat $route/mode $route/order $cfs/engines/cfsb/weight)
setpriv --reuid=65534 --regid=65534 --clear-groups sh -c "
	echo off >$route/mode; echo 5 >$cfs/engines/cfsb/weight
	ln -s $cfs/engines/cfsb $route/engines/x; echo 1 >$cfs/locked
" 2>/dev/null
after=$(cat $route/mode $route/order $cfs/engines/cfsb/weight)
check "an unprivileged process changes nothing" \
	'[ "$before" = "$after" ] && [ ! -e $route/engines/x ] && [ "$(cat $cfs/locked)" = 0 ]'

# offloadctl on the real tree.
if [ -n "$oc" ]; then
	$oc route $class prefer cfsb >/tmp/oc.out 2>&1 &&
		[ "$(cat $route/mode) $(cat $route/order)" = "prefer cfsb" ] &&
		ok "offloadctl route" || fail "offloadctl route: $(cat /tmp/oc.out)"
	$oc engine cfsb weight=300 timeout_ms=2000 &&
		[ "$(cat $cfs/engines/cfsb/weight)" = 300 ] &&
		ok "offloadctl engine" || fail "offloadctl engine"
	$oc engine cfsb nosuch=1 2>/dev/null && fail "offloadctl: unknown key accepted"
	$oc status >/tmp/oc.out
	check "offloadctl status table" \
		"grep -q cfsb /tmp/oc.out && grep -q '$class' /tmp/oc.out"
	$oc --json status >/tmp/oc.json
	check "offloadctl status JSON" \
		"grep -q '\"name\":\"cfsb\"' /tmp/oc.json && grep -q '\"reason\":\"$class\",\"mode\":\"prefer\"' /tmp/oc.json && grep -q '\"weight\":300' /tmp/oc.json"
	$oc --json stats --watch 1 --count 2 >/tmp/oc.json
	check "offloadctl stats --watch: two samples" \
		'[ "$(grep -c "^{" /tmp/oc.json)" -eq 2 ]'
	sed 's/^/# /' /tmp/oc.out
else
	fail "offloadctl not installed"
fi

for e in $route/engines/*; do
	[ -L "$e" ] && rm "$e"
done
echo 10 >$route/async_ms
echo "del cfsb" >$ctl
rmmod offload_test_engine 2>/dev/null
exit $rc
