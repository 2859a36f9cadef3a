#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the guest's initramfs in $INITRAMFS for the kernel in $KOUT:
# busybox, the guest scripts in tests/guest, the kernel's modules, the
# kselftests of $KSFT_TARGETS, built static from the prepared tree, and the
# benchmark (tools/testing/offload-bench).
set -eu
. "$(dirname "$0")/lib.sh"

KSFT_TARGETS=${KSFT_TARGETS:-mm_offload}
OUT=$INITRAMFS
ROOT=$OUT/root

rm -rf "$ROOT" "$BUILD/ksft"
mkdir -p "$ROOT"/{bin,sbin,dev,proc,sys,tmp,selftests,bench}

make -C "$SRC/tools/testing/selftests" TARGETS="$KSFT_TARGETS" \
	O="$BUILD/ksft" EXTRA_LDFLAGS=-static \
	INSTALL_PATH="$ROOT/selftests" install

# The kernel's own selftests/mm migration test, run by mm_offload's
# mm_migration.sh with migrations going through the broker.
make -C "$SRC" O="$KOUT" INSTALL_HDR_PATH="$BUILD/headers" headers_install
mm=$SRC/tools/testing/selftests/mm
gcc -O2 -static -pthread -I"$mm/.." -isystem "$BUILD/headers/include" \
	-o "$ROOT/selftests/mm_offload/mm_migration" \
	"$mm/migration.c" "$mm/thp_settings.c" "$mm/vm_util.c" -lnuma

# offloadctl, the admin tool, as the guest's tests and demo use it.
make -C "$TOP/tools/offload" O="$BUILD/offloadctl" STATIC=1
cp "$BUILD/offloadctl/offloadctl" "$ROOT/bin/offloadctl"

# The benchmark: its guest script and program (shares the selftests'
# migration helpers).
bench=$TOP/tools/testing/offload-bench
util=$TOP/tools/testing/selftests/mm_offload
gcc -O2 -Wall -static -pthread -I"$util" -o "$ROOT/bench/offload_bench" \
	"$bench/offload_bench.c" "$util/migrate_util.c"
cp "$bench/bench.sh" "$ROOT/bench/bench.sh"

cp /bin/busybox "$ROOT/bin/busybox"
cp "$TOP/tests/guest/init" "$ROOT/init"
cp "$TOP/tests/guest/report.sh" "$ROOT/report.sh"
if [ -d "$KOUT/modules-install/lib" ]; then
	cp -a "$KOUT/modules-install/lib" "$ROOT/"
fi

# Every program must run without a libc in the guest.
for f in $(find "$ROOT/selftests" "$ROOT/bench" -type f -perm -u+x); do
	if file "$f" | grep -q 'dynamically linked'; then
		die "$f is dynamically linked"
	fi
done

(cd "$ROOT" && find . | cpio -o -H newc --quiet | gzip -1) >"$OUT/initramfs.cpio.gz"
echo "initramfs: $(du -h "$OUT/initramfs.cpio.gz" | cut -f1)"
