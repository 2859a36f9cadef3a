#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the guest's initramfs: busybox, the guest scripts in tests/guest,
# the kernel's modules and the kselftests of $KSFT_TARGETS, built static
# from the prepared tree.
set -eu
. "$(dirname "$0")/lib.sh"

KSFT_TARGETS=${KSFT_TARGETS:-mm_offload}
OUT=$BUILD/initramfs
ROOT=$OUT/root

rm -rf "$ROOT" "$BUILD/ksft"
mkdir -p "$ROOT"/{bin,sbin,dev,proc,sys,tmp,selftests}

make -C "$SRC/tools/testing/selftests" TARGETS="$KSFT_TARGETS" \
	O="$BUILD/ksft" EXTRA_LDFLAGS=-static \
	INSTALL_PATH="$ROOT/selftests" install

# The kernel's own selftests/mm migration test, run by mm_offload's
# mm_migration.sh with migrations going through the broker.
make -C "$SRC" O="$BUILD/x86" INSTALL_HDR_PATH="$BUILD/headers" headers_install
mm=$SRC/tools/testing/selftests/mm
gcc -O2 -static -pthread -I"$mm/.." -isystem "$BUILD/headers/include" \
	-o "$ROOT/selftests/mm_offload/mm_migration" \
	"$mm/migration.c" "$mm/thp_settings.c" "$mm/vm_util.c" -lnuma

# offloadctl, the admin tool, as the guest's tests and demo use it.
make -C "$TOP/tools/offload" O="$BUILD/offloadctl" STATIC=1
cp "$BUILD/offloadctl/offloadctl" "$ROOT/bin/offloadctl"

cp /bin/busybox "$ROOT/bin/busybox"
cp "$TOP/tests/guest/init" "$ROOT/init"
cp "$TOP/tests/guest/report.sh" "$ROOT/report.sh"
if [ -d "$BUILD/x86/modules-install/lib" ]; then
	cp -a "$BUILD/x86/modules-install/lib" "$ROOT/"
fi

# Every program must run without a libc in the guest.
for f in $(find "$ROOT/selftests" -type f -perm -u+x); do
	if file "$f" | grep -q 'dynamically linked'; then
		die "$f is dynamically linked"
	fi
done

(cd "$ROOT" && find . | cpio -o -H newc --quiet | gzip -1) >"$OUT/initramfs.cpio.gz"
echo "initramfs: $(du -h "$OUT/initramfs.cpio.gz" | cut -f1)"
