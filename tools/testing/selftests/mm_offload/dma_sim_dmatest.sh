#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The kernel's dmatest against the simulated DMA provider (module dma_sim),
# which the mm/offload DMAEngine engine tests build on: its copies must be
# right through the real DMAEngine client API, with public and with
# DMA_PRIVATE devices, in order and out of order; and an injected
# descriptor error must reach the client as a failure.

ksft_skip=4
params=/sys/module/dmatest/parameters
sim=/sys/kernel/debug/dma_sim
rc=0

if ! modprobe dmatest 2>/dev/null || ! modprobe dma_sim 2>/dev/null; then
	echo "SKIP: needs modules dmatest and dma_sim (CONFIG_DMATEST, CONFIG_DMA_SIM)"
	exit $ksft_skip
fi
rmmod dmatest dma_sim

# dmatest ROUND ITERATIONS: run on every channel; print the summaries.
dmatest()
{
	dmesg -c >/dev/null
	echo 5000 >$params/timeout
	echo "$2" >$params/iterations
	echo 8 >$params/max_channels
	echo "" >$params/channel
	echo 1 >$params/run
	cat $params/wait >/dev/null
	dmesg | grep 'dmatest: .*summary' >/tmp/dmatest.$1
	sed "s/^/# $1: /" /tmp/dmatest.$1
}

# check ROUND CHANNELS WANT: each of CHANNELS summaries has WANT failures
# ("0" or "some").
check()
{
	n=$(grep -c summary /tmp/dmatest.$1)
	bad=$(grep -vc ' 0 failures' /tmp/dmatest.$1)
	if [ "$n" -ne "$2" ]; then
		echo "not ok - $1: $n channels tested, expected $2"
		rc=1
	elif [ "$3" = 0 ] && [ "$bad" -ne 0 ]; then
		echo "not ok - $1: $bad of $n channels had failures"
		rc=1
	elif [ "$3" = some ] && [ "$bad" -eq 0 ]; then
		echo "not ok - $1: injected errors, but no channel failed"
		rc=1
	else
		echo "ok - $1"
	fi
}

# dmatest holds its channels until it is unloaded.
unload()
{
	rmmod dmatest && rmmod dma_sim || {
		echo "not ok - rmmod dmatest dma_sim"
		rc=1
	}
}

for private in 0 1; do
	if ! modprobe dma_sim devices=2 channels=2 private=$private ||
	   ! modprobe dmatest; then
		echo "not ok - modprobe dma_sim private=$private, dmatest"
		exit 1
	fi
	dmatest private$private 40
	check private$private 4 0
	echo 1 >$sim/dma_sim.0/ooo
	echo 1 >$sim/dma_sim.1/ooo
	dmatest ooo$private 40
	check ooo$private 4 0
	unload
done

modprobe dma_sim devices=1 channels=1 && modprobe dmatest
echo 100 >$sim/dma_sim.0/fail/probability
echo -1 >$sim/dma_sim.0/fail/times
echo 0 >$sim/dma_sim.0/fail/verbose
dmatest fail 10
check fail 1 some
unload
exit $rc
