// SPDX-License-Identifier: GPL-2.0
/*
 * mm/offload engine health: quarantine after repeated faults, and probes.
 *
 * Every chunk an engine fails or lets time out is a fault; a chunk it
 * copies resets the count.  After %OFFLOAD_ENGINE_MAX_FAULTS consecutive
 * faults the engine is quarantined: requests submitted from then on leave
 * it out.  It comes back when offload_engine_enable() is called (by an
 * admin) or when a probe succeeds: a delayed work copies one folio (of at
 * least the engine's minimum batch) through the engine alone and checks
 * the result, backing off from one second to a minute while the probe
 * keeps failing.  offload_engine_unregister() cancels the probe once the
 * engine is unused.
 *
 * An engine on which a chunk had to be abandoned (it missed its abort
 * grace, see request.c) is quarantined for good: no probe, only an
 * admin's offload_engine_enable() brings it back.  Probe copies are
 * counted in the engine's @probes and @probe_failures and in a class of
 * their own, never in the classes of real users.
 */

#define pr_fmt(fmt) "mm/offload: " fmt

#include <linux/gfp.h>
#include <linux/log2.h>
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/random.h>
#include <linux/string.h>
#include <trace/events/offload.h>

#include "internal.h"

#define OFFLOAD_PROBE_DELAY_MIN	HZ
#define OFFLOAD_PROBE_DELAY_MAX	(60 * HZ)

/**
 * offload_engine_fault - count an error or timeout of an engine
 * @eng: the engine
 *
 * Context: any context.
 */
void offload_engine_fault(struct offload_engine *eng)
{
	int faults = atomic_inc_return(&eng->faults);

	if (faults < OFFLOAD_ENGINE_MAX_FAULTS ||
	    test_and_set_bit(OFFLOAD_ENGINE_QUARANTINED, &eng->flags))
		return;

	pr_warn("engine %s quarantined after %d consecutive faults\n",
		eng->name, faults);
	trace_offload_quarantine(eng, true);
	eng->probe_delay = OFFLOAD_PROBE_DELAY_MIN;
	queue_delayed_work(system_unbound_wq, &eng->probe, eng->probe_delay);
}

/**
 * offload_engine_success - note that an engine copied a chunk
 * @eng: the engine
 *
 * Context: any context.
 */
void offload_engine_success(struct offload_engine *eng)
{
	if (atomic_read(&eng->faults))
		atomic_set(&eng->faults, 0);
}

/**
 * offload_engine_abandoned - quarantine an engine that abandoned a chunk
 * @eng: the engine
 *
 * Context: any context.
 */
void offload_engine_abandoned(struct offload_engine *eng)
{
	set_bit(OFFLOAD_ENGINE_ABANDONED, &eng->flags);
	if (test_and_set_bit(OFFLOAD_ENGINE_QUARANTINED, &eng->flags))
		return;
	pr_warn("engine %s quarantined until enabled: it ignored an abort\n",
		eng->name);
	trace_offload_quarantine(eng, true);
}

/**
 * offload_engine_enable - give a quarantined engine work again
 * @eng: the engine
 *
 * Also ends a quarantine for an abandoned chunk: the admin vouches for
 * the engine.
 *
 * Context: any context.
 */
void offload_engine_enable(struct offload_engine *eng)
{
	atomic_set(&eng->faults, 0);
	clear_bit(OFFLOAD_ENGINE_ABANDONED, &eng->flags);
	if (!test_and_clear_bit(OFFLOAD_ENGINE_QUARANTINED, &eng->flags))
		return;
	pr_info("engine %s enabled\n", eng->name);
	trace_offload_quarantine(eng, false);
}
EXPORT_SYMBOL_GPL(offload_engine_enable);

/* Copy one folio through @eng alone; true if its copy is right. */
static bool offload_probe_copy(struct offload_engine *eng)
{
	unsigned int min_batch = READ_ONCE(eng->min_batch);
	struct folio *src, *dst = NULL;
	struct offload_req *req;
	unsigned int order;
	bool ok = false;

	/* Big enough for the engine's minimum batch. */
	order = min(order_base_2(min_batch), MAX_PAGE_ORDER);

	req = offload_req_alloc(OFFLOAD_CLASS_PROBE, 1, GFP_KERNEL);
	src = folio_alloc(GFP_KERNEL, order);
	if (src)
		dst = folio_alloc(GFP_KERNEL | __GFP_ZERO, order);
	if (!req || !dst)
		goto out;

	get_random_bytes(folio_address(src), folio_size(src));
	offload_req_init(req, OFFLOAD_CLASS_PROBE, folio_nid(src),
			 folio_nid(dst));
	offload_req_add(req, src, dst);
	offload_req_submit_to(req, eng);
	offload_req_wait(req, msecs_to_jiffies(2 * READ_ONCE(eng->timeout_ms)));
	ok = !req->status[0] &&
	     !memcmp(folio_address(src), folio_address(dst), folio_size(src));
out:
	if (dst)
		folio_put(dst);
	if (src)
		folio_put(src);
	offload_req_free(req);
	return ok;
}

static void offload_probe_work(struct work_struct *work)
{
	struct offload_engine *eng = container_of(to_delayed_work(work),
						  struct offload_engine, probe);
	bool ok;

	if (!test_bit(OFFLOAD_ENGINE_QUARANTINED, &eng->flags) ||
	    test_bit(OFFLOAD_ENGINE_ABANDONED, &eng->flags) ||
	    !offload_engine_tryget(eng))
		return;
	atomic64_inc(&eng->stats.probes);
	ok = offload_probe_copy(eng);
	if (ok)
		offload_engine_enable(eng);
	else
		atomic64_inc(&eng->stats.probe_failures);
	/* Still quarantined, and not for good: try again later. */
	if (!ok && test_bit(OFFLOAD_ENGINE_QUARANTINED, &eng->flags) &&
	    !test_bit(OFFLOAD_ENGINE_ABANDONED, &eng->flags)) {
		eng->probe_delay = min(2 * eng->probe_delay,
				       (unsigned long)OFFLOAD_PROBE_DELAY_MAX);
		queue_delayed_work(system_unbound_wq, &eng->probe,
				   eng->probe_delay);
	}
	offload_engine_put(eng);
}

void offload_engine_health_init(struct offload_engine *eng)
{
	atomic_set(&eng->faults, 0);
	INIT_DELAYED_WORK(&eng->probe, offload_probe_work);
}

/* Context: process context, sleeps until a running probe has finished. */
void offload_engine_health_stop(struct offload_engine *eng)
{
	cancel_delayed_work_sync(&eng->probe);
}
