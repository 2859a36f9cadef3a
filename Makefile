# SPDX-License-Identifier: GPL-2.0
#
# mm/offload development: prepare the kernel tree, build, test, demo.
# Everything lives in $(BUILD) (git-ignored).  See README.md.

BUILD ?= $(CURDIR)/build
export BUILD
# Progress lines count elapsed time from the start of this make.
OFFLOAD_T0 := $(shell date +%s)
export OFFLOAD_T0

LOGS := $(BUILD)/logs
RESULTS := $(BUILD)/results
SUMMARY := python3 tests/results.py summary

.PHONY: help deps prepare refresh kernel kunit initramfs vmtest test run bench \
	shell clean distclean

help:
	@echo "make test      everything: KUnit on UML, then the NUMA guest; ends with 'N passed, N failed'"
	@echo "make run       boot the guest and print the demo report"
	@echo "make bench     benchmark kernel and guest run; report in build/bench/"
	@echo "make kunit     KUnit suites on UML only"
	@echo "make vmtest    x86 kernel, boot-time KUnit and kselftests in the guest"
	@echo "make kernel    build the x86 test kernel"
	@echo "make prepare   unpack the base, apply kernel/patches, copy the overlay in"
	@echo "make refresh   write edits to upstream files in build/src back to kernel/patches"
	@echo "make shell     interactive guest"
	@echo "make clean     remove build outputs, keep the prepared tree; distclean: all of build/"

deps:
	@kernel/deps.sh

prepare: deps
	@tests/stage prepare $(LOGS)/prepare.log kernel/prepare.sh

refresh:
	@kernel/refresh.sh

kernel: prepare
	@tests/stage kernel $(LOGS)/kernel.log kernel/build.sh

kunit: prepare
	@tests/kunit-uml.sh; $(SUMMARY) $(RESULTS)/kunit-uml.tsv

initramfs: kernel
	@tests/stage initramfs $(LOGS)/initramfs.log tests/initramfs.sh

vmtest: initramfs
	@tests/vm.sh test; tests/vm.sh boot; \
		$(SUMMARY) $(RESULTS)/vm-*.tsv $(RESULTS)/bootvm-*.tsv

test:
	@tests/test.sh

run: initramfs
	@tests/vm.sh run

bench:
	@tests/bench.sh

shell: initramfs
	@tests/vm.sh shell

clean:
	rm -rf $(BUILD)/x86 $(BUILD)/uml $(BUILD)/initramfs $(BUILD)/ksft \
		$(LOGS) $(RESULTS) $(BUILD)/accel $(BUILD)/x86-bench $(BUILD)/x86-stock \
		$(BUILD)/initramfs-bench $(BUILD)/bench $(BUILD)/bench-smoke

distclean:
	rm -rf $(BUILD)
