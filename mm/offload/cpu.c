// SPDX-License-Identifier: GPL-2.0
/*
 * mm/offload CPU copies: what copying with CPUs needs from the kernel.
 *
 * The broker's own fallback copy and the CPU engines (drivers/offload/
 * mtcopy.c) copy with the same machine-check safe helper, so that a
 * poisoned source is reported the same way whoever reads it, and a test
 * can fake poison for both at once.  CPU engines also need to know which
 * CPUs are idle and which share a last-level cache: the scheduler does
 * not export that to modules, the broker does, for this purpose only.
 */

#include <linux/highmem.h>
#include <kunit/static_stub.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/sched/topology.h>

#include "internal.h"

/**
 * offload_copy_pages_mc - copy physically contiguous pages, machine-check safe
 * @dst: first destination page
 * @src: first source page
 * @nr: number of pages
 *
 * Copies page by page with copy_mc_highpage() and stops at the first
 * poisoned source page.  Does not sleep or reschedule: callers copying
 * much in process context call cond_resched() between calls.
 *
 * Context: any context.
 * Return: 0, or -EHWPOISON if a source page is poisoned (the destination
 * is then partly written).
 */
int offload_copy_pages_mc(struct page *dst, struct page *src, unsigned long nr)
{
	unsigned long i;

	KUNIT_STATIC_STUB_REDIRECT(offload_copy_pages_mc, dst, src, nr);

	for (i = 0; i < nr; i++)
		if (copy_mc_highpage(nth_page(dst, i), nth_page(src, i)))
			return -EHWPOISON;
	return 0;
}
EXPORT_SYMBOL_GPL(offload_copy_pages_mc);

/**
 * offload_cpu_idle - whether a CPU runs nothing but its idle task
 * @cpu: an online CPU
 *
 * A snapshot, stale as soon as it is taken: good for deciding how many
 * helpers a copy may borrow, not for anything that must be exact.  A vCPU
 * whose host preempted it counts as busy.
 *
 * Context: any context.
 * Return: true if @cpu is idle.
 */
bool offload_cpu_idle(int cpu)
{
	KUNIT_STATIC_STUB_REDIRECT(offload_cpu_idle, cpu);

	return available_idle_cpu(cpu);
}
EXPORT_SYMBOL_GPL(offload_cpu_idle);

/**
 * offload_cpus_share_cache - whether two CPUs share a last-level cache
 * @a: a CPU
 * @b: another CPU
 *
 * As the scheduler's LLC domains see it; true on kernels without them.
 *
 * Context: any context.
 * Return: true if @a and @b share their last-level cache.
 */
bool offload_cpus_share_cache(int a, int b)
{
	KUNIT_STATIC_STUB_REDIRECT(offload_cpus_share_cache, a, b);

	return cpus_share_cache(a, b);
}
EXPORT_SYMBOL_GPL(offload_cpus_share_cache);
