#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The mm/offload benchmark ("make bench"), all in one run:
#  - a kernel without the debugging options of the test kernel
#    (kernel/base.config and offload.config) in $BUILD/x86-bench, and the
#    same configuration without CONFIG_MIGRATION_OFFLOAD in
#    $BUILD/x86-stock, the baseline of the instruction counts;
#  - the guest runs tools/testing/offload-bench/bench.sh: the full run on
#    the benchmark kernel, then the icount run on each kernel under QEMU
#    -icount shift=0,sleep=off (guest time = instructions);
#  - the core's dispatch benchmark natively, on UML (KUnit offload_bench);
#  - the report (report.md, bench.json, charts) in $BENCH_OUT (default
#    $BUILD/bench).
# BENCH_SIZE=smoke makes the main guest run tiny (a check of the harness;
# its report goes to $BUILD/bench-smoke, whatever BENCH_OUT says); the
# icount runs stay as they are.
set -u
. "$(dirname "$0")/lib.sh"

BENCH_SIZE=${BENCH_SIZE:-full}
BENCH_OUT=${BENCH_OUT:-$BUILD/bench}
[ "$BENCH_SIZE" = full ] || BENCH_OUT=$BUILD/bench-$BENCH_SIZE
REPS=${BENCH_REPS:-3}
STOCK=$BUILD/x86-stock
export KOUT=$BUILD/x86-bench INITRAMFS=$BUILD/initramfs-bench
export KFRAGMENTS="base offload"

# The benchmark kernel's configuration without CONFIG_MIGRATION_OFFLOAD
# (Kconfig drops what depends on it); only the bzImage: that guest loads
# no module.
stock_kernel()
{
	mkdir -p "$STOCK"
	cp "$KOUT/.config" "$STOCK/.config.new"
	"$SRC/scripts/config" --file "$STOCK/.config.new" \
		--disable MIGRATION_OFFLOAD
	make -C "$SRC" O="$STOCK" KCONFIG_CONFIG=.config.new olddefconfig
	if grep -q '^CONFIG_MIGRATION_OFFLOAD=' "$STOCK/.config.new"; then
		echo "CONFIG_MIGRATION_OFFLOAD still set"
		return 1
	fi
	if cmp -s "$STOCK/.config.new" "$STOCK/.config"; then
		rm "$STOCK/.config.new"
	else
		mv "$STOCK/.config.new" "$STOCK/.config"
	fi
	make -C "$SRC" O="$STOCK" -j"$JOBS" CC="ccache gcc" bzImage
}

# The UML KUnit dispatch benchmark, $REPS times, as "bench dispatch" lines.
dispatch()
{
	local i

	# This function's pipeline only (stage runs it in this shell).
	local -
	set -o pipefail
	python3 "$SRC/tools/testing/kunit/kunit.py" build \
		--kunitconfig=mm/offload/tests/.kunitconfig \
		--kunitconfig=drivers/offload/tests/.kunitconfig \
		--build_dir="$BUILD/uml" --jobs="$JOBS" \
		--make_options="CC=ccache gcc" || return 1
	for i in $(seq "$REPS"); do
		python3 "$SRC/tools/testing/kunit/kunit.py" exec \
			--build_dir="$BUILD/uml" --raw_output=all \
			--kernel_args=mtcopy.autoregister=0 'offload_bench' ||
			return 1
	done | tee "$LOGS/bench-uml-exec.log" |
		sed -n 's|.*# dispatch_overhead: \([a-z]*\) [a-z]*: [0-9]* requests of \([0-9]*\) folios: \([0-9]*\) ns/request, \([0-9]*\) ns/folio.*|bench dispatch what=\1 folios=\2 ns_request=\3 ns_folio=\4|p' \
		>"$LOGS/bench-dispatch.log" || return 1
	# kunit.py does not judge raw output: its checks must have passed.
	! grep -q 'not ok' "$LOGS/bench-uml-exec.log" &&
		grep -q . "$LOGS/bench-dispatch.log"
}

# icount NAME KERNEL_DIR: the icount run of bench.sh on a kernel.
icount()
{
	VM_LOG=bench-$1 KOUT=$2 VM_ACCEL=tcg BENCH_SIZE=icount VM_TIMEOUT=3600 \
		QEMU_EXTRA="-icount shift=0,sleep=off" \
		"$TOP/tests/vm.sh" bench
}

"$TOP/kernel/deps.sh" || exit 1
stage prepare "$LOGS/prepare.log" "$TOP/kernel/prepare.sh" || exit 1
stage kernel "$LOGS/bench-kernel.log" "$TOP/kernel/build.sh" || exit 1
stage stock "$LOGS/bench-stock.log" stock_kernel || exit 1
stage initramfs "$LOGS/bench-initramfs.log" "$TOP/tests/initramfs.sh" ||
	exit 1
VM_LOG=bench VM_TIMEOUT=${VM_TIMEOUT:-7200} BENCH_SIZE=$BENCH_SIZE \
	"$TOP/tests/vm.sh" bench || exit 1
icount icount "$KOUT" || exit 1
icount icount-stock "$STOCK" || exit 1
stage dispatch "$LOGS/bench-uml.log" dispatch || exit 1

facts=(
	"date=$(date -u +%Y-%m-%dT%H:%MZ)"
	"commit=$(git -C "$TOP" describe --always --dirty 2>/dev/null)"
	"qemu=$(qemu-system-x86_64 --version | head -n 1)"
	"accelerator=$(cat "$BUILD/accel") (the icount runs: tcg)"
	"host cpu=$(sed -n 's/^model name\t*: //p' /proc/cpuinfo | head -n 1)"
	"host cpus=$(nproc)"
	"kernel config=tinyconfig + kernel/base.config + kernel/offload.config"
	"command=make bench"
)
python3 "$TOP/tools/testing/offload-bench/report.py" "$BENCH_OUT" \
	"$LOGS/bench-output.log" "$LOGS/bench-icount-output.log" \
	"$LOGS/bench-icount-stock-output.log" "$LOGS/bench-dispatch.log" \
	--facts "${facts[@]}"
rc=$?
echo "report: ${BENCH_OUT#"$TOP"/}/report.md"
exit $rc
