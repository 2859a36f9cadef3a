#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Test offloadctl against a fake offload configfs tree made of plain
# directories, files and symlinks.
#
#	tests/offloadctl_test.sh [BUILD_DIR]
#
# builds offloadctl into BUILD_DIR (default: a temporary directory) unless
# OFFLOADCTL names a binary to test.  Prints TAP and exits 1 if a test
# failed.  The fake tree cannot refuse writes the way the kernel does, so
# failing writes go to /dev/full (ENOSPC) and, when the test runs as root
# and setpriv(1) is there, permission errors are provoked as nobody.

# The t_* functions run indirectly, from the list at the end.
# shellcheck disable=SC2317

set -u

here=$(cd "$(dirname "$0")" && pwd)
src=$(dirname "$here")
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
chmod 755 "$tmp"

if [ -z "${OFFLOADCTL:-}" ]; then
	out=${1:-$tmp/build}
	if ! make -s -C "$src" O="$out" >"$tmp/build.log" 2>&1; then
		echo "Bail out! build failed:"
		sed 's/^/# /' "$tmp/build.log"
		exit 1
	fi
	OFFLOADCTL=$out/offloadctl
fi
OC=$(cd "$(dirname "$OFFLOADCTL")" && pwd)/$(basename "$OFFLOADCTL")
root=$tmp/offload
export OFFLOAD_CONFIGFS=$root

REASONS="compaction memory_failure memory_hotplug syscall_or_cpuset
	 mempolicy_mbind numa_misplaced contig_range longterm_pin demotion
	 damon generic"

# mk_engine NAME NODE KIND STATE ENABLED WEIGHT FOLIOS
mk_engine()
{
	local d=$root/engines/$1

	mkdir -p "$d"
	echo "$2" >"$d/node"
	echo "$3" >"$d/kind"
	echo "$4" >"$d/state"
	echo "$5" >"$d/enabled"
	echo "$6" >"$d/weight"
	echo 16 >"$d/min_batch"
	echo 4 >"$d/max_inflight"
	echo 1000 >"$d/timeout_ms"
	printf '%s %s\n' submitted $(($7 / 10)) folios "$7" \
		bytes $(($7 * 4096)) errors $(($7 % 2)) timeouts 0 \
		fallbacks 0 refused 0 cancelled 0 abandoned 0 inflight 3 \
		>"$d/stats"
}

# mk_link REASON LINK ENGINE
mk_link()
{
	ln -s "../../../engines/$3" "$root/routes/$1/engines/$2"
}

# The tree every test starts from; the Python expectations below match it.
mk_tree()
{
	local r d

	rm -rf "$root"
	mkdir -p "$root/engines" "$root/routes"
	echo 0 >"$root/locked"
	echo prefer >"$root/default_mode"
	mk_engine dma0 0 device ready 1 100 1000
	mk_engine dma1 1 device quarantined 0 50 21
	mk_engine mtcopy -1 cpu ready 1 0 7
	mk_engine tdx -1 - gone 1 0 0
	for r in $REASONS; do
		d=$root/routes/$r
		mkdir -p "$d/engines"
		echo prefer >"$d/mode"
		echo 0 >"$d/min_batch"
		echo 0 >"$d/async_ms"
		echo >"$d/order"
		printf '%s %s\n' submitted 5 offloaded 3 cpu 2 failed 0 \
			declined 0 nomem 0 refused 0 >"$d/stats"
	done
	echo require >"$root/routes/compaction/mode"
	echo off >"$root/routes/damon/mode"
	echo 32 >"$root/routes/demotion/min_batch"
	echo 10 >"$root/routes/demotion/async_ms"
	echo "dma0 dma1" >"$root/routes/demotion/order"
	mk_link demotion dma0 dma0
	mk_link demotion dma1 dma1
}

# run [ENV=VAL...] ARGS...: run offloadctl; sets $rc, $tmp/out, $tmp/err
run()
{
	rc=0
	env "$@" >"$tmp/out" 2>"$tmp/err" || rc=$?
	true
}

oc()
{
	run "$OC" "$@"
}

# expect_rc N: the last run exited with N
expect_rc()
{
	[ "$rc" = "$1" ] || { echo "exit status $rc, expected $1"; false; }
}

# has FILE TEXT: FILE holds the fixed string TEXT
has()
{
	grep -qF -- "$2" "$1" || { echo "$1 lacks \"$2\""; false; }
}

# lacks FILE REGEX: no line of FILE matches the extended REGEX
lacks()
{
	if grep -Eq -- "$2" "$1"; then
		echo "$1 has a line /$2/"
		false
	fi
}

# line FILE REGEX: a line of FILE matches the extended REGEX
line()
{
	grep -Eq -- "$2" "$1" || { echo "$1 has no line /$2/"; false; }
}

# is FILE TEXT: FILE is exactly TEXT and a newline
is()
{
	printf '%s\n' "$2" | cmp -s - "$1" ||
		{ echo "$1 is \"$(cat "$1")\", expected \"$2\""; false; }
}

# links REASON: "link->target" pairs of a route, sorted
links()
{
	local l

	for l in "$root/routes/$1/engines"/*; do
		[ -L "$l" ] && echo "${l##*/}->$(readlink "$l")"
	done | sort | tr '\n' ' '
}

# lineno FILE REGEX: number of the first line of FILE matching REGEX
lineno()
{
	grep -nE -- "$2" "$1" | head -n 1 | cut -d: -f1
}

pyjson()
{
	python3 -c "$1" <"$tmp/out"
}

t_help()
{
	oc --help
	expect_rc 0
	has "$tmp/out" "Usage: offloadctl"
	[ ! -s "$tmp/err" ]
	oc -h
	expect_rc 0
	oc help
	expect_rc 0
	has "$tmp/out" "route [--min-batch N]"
	oc route --help
	expect_rc 0
	has "$tmp/out" "Usage: offloadctl"
}

t_usage_errors()
{
	local args

	for args in "" "frobnicate" "--bogus status" "status extra" \
		    "lock now" "stats --watch 0" "stats --count 0" \
		    "stats --count x" "route demotion" \
		    "route --min-batch x demotion prefer" \
		    "route --frob 1 demotion prefer" "route demotion fast" \
		    "route demotion prefer dma0 dma0" "engine dma0" \
		    "engine dma0 weight" "engine dma0 weight=x"; do
		# shellcheck disable=SC2086
		oc $args
		expect_rc 2 || { echo "for: $args"; false; }
		has "$tmp/err" "Usage: offloadctl"
		[ ! -s "$tmp/out" ]
	done
}

t_missing_tree()
{
	run OFFLOAD_CONFIGFS="$tmp/none" "$OC" status
	expect_rc 1
	is "$tmp/err" "offloadctl: offload configfs not found at $tmp/none (is configfs mounted and CONFIG_OFFLOAD_CONFIGFS set?)"
}

t_status_table()
{
	local l0 l1 l2 l3

	oc status
	expect_rc 0
	[ ! -s "$tmp/err" ]
	[ "$(head -n 1 "$tmp/out")" = "locked: no  default_mode: prefer" ]
	line "$tmp/out" '^NODE +ENGINE +KIND +STATE +ENABLED +FOLIOS +BYTES +ERRORS$'
	line "$tmp/out" '^ +0 +dma0 +device +ready +yes +1000 +4096000 +0$'
	line "$tmp/out" '^ +1 +dma1 +device +quarantined +no +21 +86016 +1$'
	line "$tmp/out" '^ +- +mtcopy +cpu +ready +yes +7 +28672 +1$'
	line "$tmp/out" '^ +- +tdx +- +gone +yes +0 +0 +0$'
	l0=$(lineno "$tmp/out" dma0)
	l1=$(lineno "$tmp/out" dma1)
	l2=$(lineno "$tmp/out" mtcopy)
	l3=$(lineno "$tmp/out" tdx)
	[ "$l0" -lt "$l1" ] && [ "$l1" -lt "$l2" ] && [ "$l2" -lt "$l3" ]
	line "$tmp/out" '^REASON +MODE +MIN_BATCH +ASYNC_MS +ENGINES$'
	line "$tmp/out" '^demotion +prefer +32 +10 +dma0 dma1$'
	line "$tmp/out" '^compaction +require +0 +0 +none$'
	line "$tmp/out" '^damon +off +0 +0 +-$'
	line "$tmp/out" '^generic +prefer +0 +0 +all$'
	[ "$(grep -cE '^[a-z_]+ +(off|cpu|prefer|require) ' "$tmp/out")" = 11 ]
	lacks "$tmp/out" ' $'
}

# Python expectations of the tree of mk_tree()
PYEXPECT='
import json, sys
REASONS = """compaction memory_failure memory_hotplug syscall_or_cpuset
mempolicy_mbind numa_misplaced contig_range longterm_pin demotion damon
generic""".split()

def engine(name, node, kind, state, enabled, weight, folios):
    return {"name": name, "node": node, "kind": kind, "state": state,
            "enabled": enabled, "weight": weight, "min_batch": 16,
            "max_inflight": 4, "timeout_ms": 1000,
            "stats": {"submitted": folios // 10, "folios": folios,
                      "bytes": folios * 4096, "errors": folios % 2,
                      "timeouts": 0, "fallbacks": 0, "refused": 0,
                      "cancelled": 0, "abandoned": 0, "inflight": 3}}

ENGINES = [engine("dma0", 0, "device", "ready", True, 100, 1000),
           engine("dma1", 1, "device", "quarantined", False, 50, 21),
           engine("mtcopy", -1, "cpu", "ready", True, 0, 7),
           engine("tdx", -1, "-", "gone", True, 0, 0)]

def route(reason):
    r = {"reason": reason, "mode": "prefer", "min_batch": 0, "async_ms": 0,
         "engines": [],
         "stats": {"submitted": 5, "offloaded": 3, "cpu": 2, "failed": 0,
                   "declined": 0, "nomem": 0, "refused": 0}}
    if reason == "compaction":
        r["mode"] = "require"
    if reason == "damon":
        r["mode"] = "off"
    if reason == "demotion":
        r.update(min_batch=32, async_ms=10, engines=["dma0", "dma1"])
    return r

ROUTES = [route(r) for r in sorted(REASONS)]

def same(got, want, what):
    if got != want:
        sys.exit("%s:\n got  %r\n want %r" % (what, got, want))
'

t_status_json()
{
	oc --json status
	expect_rc 0
	[ "$(wc -l <"$tmp/out")" = 1 ]
	pyjson "$PYEXPECT
doc = json.load(sys.stdin)
same(list(doc), ['locked', 'default_mode', 'engines', 'routes'], 'keys')
same(doc['locked'], False, 'locked')
same(doc['default_mode'], 'prefer', 'default_mode')
for got, want in zip(doc['engines'], ENGINES):
    same(list(got), list(want), 'engine keys')
same(doc['engines'], ENGINES, 'engines')
same(doc['routes'], ROUTES, 'routes')
"
	# --json after the command, locked as true
	echo 1 >"$root/locked"
	oc status -j
	expect_rc 0
	pyjson "import json, sys; assert json.load(sys.stdin)['locked'] is True"
}

t_json_escape()
{
	printf 'we"ird\\ \t\001x\n' >"$root/engines/tdx/state"
	oc --json status
	expect_rc 0
	has "$tmp/out" '"state":"we\"ird\\ \t\u0001x"'
	pyjson "import json, sys
doc = json.load(sys.stdin)
assert doc['engines'][3]['state'] == 'we\"ird\\\\ \t\x01x', doc['engines'][3]"
}

t_route_require()
{
	oc -v route demotion require mtcopy dma0
	expect_rc 0
	[ ! -s "$tmp/out" ]
	[ "$(links demotion)" = "dma0->../../../engines/dma0 mtcopy->../../../engines/mtcopy " ] ||
		{ links demotion; false; }
	# the new link resolves to the engine group
	[ "$(cd "$root/routes/demotion/engines/mtcopy" && pwd -P)" = \
	  "$(cd "$root/engines/mtcopy" && pwd -P)" ]
	is "$root/routes/demotion/order" "mtcopy dma0"
	is "$root/routes/demotion/mode" "require"
	is "$root/routes/demotion/min_batch" 32
	# links added before old ones go, mode written last
	[ "$(lineno "$tmp/err" "^link routes/demotion/engines/mtcopy ")" -lt \
	  "$(lineno "$tmp/err" "^unlink routes/demotion/engines/dma1$")" ]
	[ "$(tail -n 1 "$tmp/err")" = 'write routes/demotion/mode "require"' ]
	[ "$(wc -l <"$tmp/err")" = 4 ]
}

t_route_leave_require()
{
	echo require >"$root/routes/demotion/mode"
	oc -v route demotion prefer dma1
	expect_rc 0
	[ "$(head -n 1 "$tmp/err")" = 'write routes/demotion/mode "prefer"' ]
	[ "$(links demotion)" = "dma1->../../../engines/dma1 " ]
	is "$root/routes/demotion/order" "dma1"
	is "$root/routes/demotion/mode" "prefer"
}

t_route_to_prefer()
{
	# off to prefer: engines first, then the mode
	oc -v route --min-batch 16 --async-ms 5 damon prefer mtcopy
	expect_rc 0
	[ "$(tail -n 1 "$tmp/err")" = 'write routes/damon/mode "prefer"' ]
	[ "$(links damon)" = "mtcopy->../../../engines/mtcopy " ]
	is "$root/routes/damon/order" "mtcopy"
	is "$root/routes/damon/min_batch" 16
	is "$root/routes/damon/async_ms" 5
	is "$root/routes/damon/mode" prefer
}

t_route_off()
{
	# a link named other than its engine: the target decides
	mk_link numa_misplaced foo dma0
	echo dma0 >"$root/routes/numa_misplaced/order"
	oc -v route numa_misplaced off
	expect_rc 0
	[ "$(head -n 1 "$tmp/err")" = 'write routes/numa_misplaced/mode "off"' ]
	has "$tmp/err" "unlink routes/numa_misplaced/engines/foo"
	lacks "$tmp/err" order
	[ -z "$(links numa_misplaced)" ]
	is "$root/routes/numa_misplaced/mode" off
}

t_route_link_names()
{
	mk_link numa_misplaced foo dma0
	echo dma0 >"$root/routes/numa_misplaced/order"
	oc route numa_misplaced prefer dma0 mtcopy
	expect_rc 0
	[ "$(links numa_misplaced)" = "foo->../../../engines/dma0 mtcopy->../../../engines/mtcopy " ]
	is "$root/routes/numa_misplaced/order" "dma0 mtcopy"
}

t_route_reorder()
{
	oc -v route demotion prefer dma1 dma0
	expect_rc 0
	[ "$(cat "$tmp/err")" = 'write routes/demotion/order "dma1 dma0"
write routes/demotion/mode "prefer"' ]
	is "$root/routes/demotion/order" "dma1 dma0"
	# the order in force is not written again
	oc -v route demotion prefer dma1 dma0
	expect_rc 0
	[ "$(cat "$tmp/err")" = 'write routes/demotion/mode "prefer"' ]
}

t_route_full()
{
	local i

	for i in 1 2 3 4 5 6 7 8; do
		mk_engine "e$i" 0 device ready 1 1 0
	done
	for i in 1 2 3 4 5 6; do
		mk_link generic "e$i" "e$i"
	done
	# 6 links and 3 new ones exceed the 8 a route may have: unlink first
	oc -v route generic prefer e7 e8 dma0 e1
	expect_rc 0
	[ "$(lineno "$tmp/err" ^unlink)" -lt "$(lineno "$tmp/err" ^link)" ]
	[ "$(links generic | wc -w)" = 4 ]
	is "$root/routes/generic/order" "e7 e8 dma0 e1"
	# 9 engines are refused before any change
	oc route generic prefer e1 e2 e3 e4 e5 e6 e7 e8 dma0
	expect_rc 1
	has "$tmp/err" "at most 8 engines"
	[ "$(links generic | wc -w)" = 4 ]
}

t_route_errors()
{
	local before

	before=$(links demotion)
	oc route demotion require dma0 nope
	expect_rc 1
	is "$tmp/err" "offloadctl: no engine \"nope\" in $root/engines (engines appear when they register)"
	is "$root/routes/demotion/mode" prefer
	[ "$(links demotion)" = "$before" ]
	oc route bogus prefer
	expect_rc 1
	has "$tmp/err" 'unknown reason "bogus"'
	oc route ../engines prefer
	expect_rc 1
	oc route demotion prefer ../routes
	expect_rc 1
	has "$tmp/err" 'no engine "../routes"'
	[ "$(links demotion)" = "$before" ]
	# legal, but worth a warning
	oc route generic require
	expect_rc 0
	has "$tmp/err" "require without engines"
	is "$root/routes/generic/mode" require
}

# An engine that registers as offloadctl starts: its group comes a moment
# later, and offloadctl waits for it rather than failing.
t_route_engine_appears()
{
	(sleep 0.3; mk_engine late 0 device ready 1 100 0) &
	oc route demotion prefer late
	wait
	expect_rc 0
	[ "$(links demotion)" = "late->../../../engines/late " ]
	is "$root/routes/demotion/order" late
}

t_write_error()
{
	ln -sf /dev/full "$root/routes/generic/mode"
	oc route generic cpu
	expect_rc 1
	is "$tmp/err" 'offloadctl: routes/generic/mode: write "cpu": No space left on device'
	ln -sf /dev/full "$root/engines/dma0/timeout_ms"
	oc engine dma0 weight=7 timeout_ms=9
	expect_rc 1
	is "$tmp/err" 'offloadctl: engines/dma0/timeout_ms: write "9": No space left on device'
	is "$root/engines/dma0/weight" 7
}

t_permission()
{
	local as=()

	if [ "$(id -u)" = 0 ]; then
		command -v setpriv >/dev/null || return 77
		as=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
		"${as[@]}" test -x "$OC" || return 77
	fi
	chmod 0444 "$root/routes/demotion/mode"
	run "${as[@]}" "$OC" route demotion cpu
	expect_rc 1
	is "$tmp/err" 'offloadctl: routes/demotion/mode: write "cpu": Permission denied (not root?)'
	[ "${#as[@]}" != 0 ] || return 0
	# EPERM: nobody may not unlink root's link in a sticky directory
	chmod 1777 "$root/routes/demotion/engines"
	echo 1 >"$root/locked"
	run "${as[@]}" "$OC" route demotion prefer dma0
	expect_rc 1
	is "$tmp/err" 'offloadctl: routes/demotion/engines/dma1: unlink: Operation not permitted (configuration locked)'
	echo 0 >"$root/locked"
	run "${as[@]}" "$OC" route demotion prefer dma0
	expect_rc 1
	is "$tmp/err" 'offloadctl: routes/demotion/engines/dma1: unlink: Operation not permitted (not root?)'
}

t_engine()
{
	oc -v engine dma1 enabled=1 weight=5 min_batch=0 max_inflight=2 timeout_ms=100
	expect_rc 0
	is "$root/engines/dma1/enabled" 1
	is "$root/engines/dma1/weight" 5
	is "$root/engines/dma1/min_batch" 0
	is "$root/engines/dma1/max_inflight" 2
	is "$root/engines/dma1/timeout_ms" 100
	[ "$(wc -l <"$tmp/err")" = 5 ]
	# nothing is written when a key is unknown
	oc -v engine dma1 weight=7 bogus=1
	expect_rc 2
	has "$tmp/err" 'unknown key "bogus"'
	lacks "$tmp/err" '^write'
	is "$root/engines/dma1/weight" 5
	oc engine nope enabled=1
	expect_rc 1
	has "$tmp/err" 'no engine "nope"'
}

t_lock()
{
	oc lock
	expect_rc 0
	is "$root/locked" 1
	# already locked: nothing to write
	oc -v lock
	expect_rc 0
	[ ! -s "$tmp/err" ]
}

t_stats_table()
{
	oc stats
	expect_rc 0
	line "$tmp/out" '^ENGINE +SUBMITTED +FOLIOS +BYTES +ERRORS +TIMEOUTS +FALLBACKS +REFUSED +CANCELLED +ABANDONED +INFLIGHT$'
	line "$tmp/out" '^dma0 +100 +1000 +4096000 +0 +0 +0 +0 +0 +0 +3$'
	line "$tmp/out" '^REASON +SUBMITTED +OFFLOADED +CPU +FAILED +DECLINED +NOMEM +REFUSED$'
	line "$tmp/out" '^demotion +5 +3 +2 +0 +0 +0 +0$'
	oc stats --json
	expect_rc 0
	pyjson "$PYEXPECT
doc = json.load(sys.stdin)
same(doc, {'interval_ms': 0,
           'engines': [{'name': e['name'], 'stats': e['stats']} for e in ENGINES],
           'routes': [{'reason': r['reason'], 'stats': r['stats']} for r in ROUTES]},
     'stats')
"
}

t_stats_watch()
{
	local l1 l2 l3 pid

	mkfifo "$tmp/fifo"
	"$OC" --json stats --watch 1 --count 2 >"$tmp/fifo" 2>"$tmp/err" &
	pid=$!
	exec 3<"$tmp/fifo"
	read -r l1 <&3
	# counters move between the first and the second sample
	sed -i 's/^folios .*/folios 1500/; s/^inflight .*/inflight 7/' \
		"$root/engines/dma0/stats"
	sed -i 's/^submitted .*/submitted 9/' "$root/routes/demotion/stats"
	read -r l2 <&3
	if read -r l3 <&3; then
		echo "a third line: $l3"
		false
	fi
	exec 3<&-
	wait "$pid"
	printf '%s\n%s\n' "$l1" "$l2" >"$tmp/out"
	[ "$(wc -l <"$tmp/out")" = 2 ]
	pyjson "$PYEXPECT
docs = [json.loads(l) for l in sys.stdin]
for i, doc in enumerate(docs):
    assert 500 <= doc['interval_ms'] <= 5000, doc['interval_ms']
    same([e['name'] for e in doc['engines']], [e['name'] for e in ENGINES], 'names')
    dma0 = doc['engines'][0]['stats']
    same(dma0['folios'], [0, 500][i], 'folios delta')
    same(dma0['inflight'], [3, 7][i], 'inflight level')
    same(dma0['submitted'], 0, 'submitted delta')
    demotion = [r for r in doc['routes'] if r['reason'] == 'demotion'][0]
    same(demotion['stats']['submitted'], [0, 4][i], 'route delta')
"
}

t_stats_watch_text()
{
	oc stats --watch 0.1 --count 2
	expect_rc 0
	[ "$(grep -c '^interval: [0-9]* ms$' "$tmp/out")" = 2 ]
	[ "$(grep -c '^dma0 ' "$tmp/out")" = 2 ]
	line "$tmp/out" '^dma0 +0 +0 +0 +0 +0 +0 +0 +0 +0 +3$'
}

tests=(t_help t_usage_errors t_missing_tree t_status_table t_status_json
       t_json_escape t_route_require t_route_leave_require t_route_to_prefer
       t_route_off t_route_link_names t_route_reorder t_route_full
       t_route_errors t_route_engine_appears t_write_error t_permission
       t_engine t_lock t_stats_table t_stats_watch t_stats_watch_text)

mk_tree
mv "$root" "$tmp/template"

echo "TAP version 13"
echo "1..${#tests[@]}"
i=0
failed=0
for t in "${tests[@]}"; do
	i=$((i + 1))
	rm -rf "$root"
	cp -a "$tmp/template" "$root"
	(
		set -eE
		trap 'echo "line $LINENO: $BASH_COMMAND"' ERR
		"$t"
	) >"$tmp/log" 2>&1
	res=$?
	desc=${t#t_}
	desc=${desc//_/ }
	if [ "$res" = 0 ]; then
		echo "ok $i - $desc"
	elif [ "$res" = 77 ]; then
		echo "ok $i - $desc # SKIP"
	else
		echo "not ok $i - $desc"
		sed 's/^/# /' "$tmp/log"
		sed 's/^/# stderr: /' "$tmp/err" 2>/dev/null
		failed=$((failed + 1))
	fi
done
[ "$failed" = 0 ] || echo "# $failed of ${#tests[@]} failed"
exit $((failed != 0))
