#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The "make run" report, printed by the guest.

echo "mm/offload demo on Linux $(uname -r)"
echo
echo "NUMA nodes:"
for d in /sys/devices/system/node/node[0-9]*; do
	n=${d##*/node}
	mem=$(awk '/MemTotal/ { printf "%d MiB", $4 / 1024 }' "$d/meminfo")
	echo "  node$n: cpus $(cat "$d/cpulist"), $mem"
done
echo
echo "Registered copy engines:"
if [ -s /sys/kernel/debug/offload/engines ]; then
	sed 's/^/  /' /sys/kernel/debug/offload/engines
else
	echo "  (none: migrations copy on the CPU)"
fi
echo
echo "Migration between nodes (move_pages(2)):"
/selftests/mm_offload/migrate_report -s "${MIGRATE_MIB:-64}" >/tmp/report 2>&1
rc=$?
sed 's/^/  /' /tmp/report
[ $rc -eq 0 ] || echo "  migrate_report FAILED (exit $rc)"
