// SPDX-License-Identifier: GPL-2.0
/*
 * mm/offload requests: the data path.
 *
 * A caller builds a request of (source, destination) folio pairs and
 * submits it.  offload_req_submit() reads the route of the request's class,
 * takes references on the route's engines, splits the request into chunks
 * of about equal size and places each chunk on an engine (balance.c).
 * Engines copy asynchronously and report each chunk with
 * offload_chunk_complete(), from any context, onto the request's done list.
 *
 * The submitter then calls offload_req_next() repeatedly.  Each call hands
 * back one finished run of pairs, so that the caller can use those folios
 * while the others still copy.  All decisions that need a process context
 * happen there, in the submitter: a chunk an engine failed is placed on
 * the next engine of the route or, in prefer mode, copied by the calling
 * CPU; when every engine is saturated the calling CPU copies a pending
 * chunk itself instead of waiting (it takes a share, as padata's caller
 * does); chunks past their engine's timeout are aborted.
 *
 * Context and memory: submit and next never allocate.  A request is
 * allocated beforehand with offload_req_alloc(), with whatever gfp the
 * caller's context allows (reclaim calls this for demotion).  Submit does
 * not sleep; next sleeps while waiting for engines and copies on the CPU,
 * so it needs a context that may sleep.
 *
 * Lifetime: the request holds a reference on each engine it may use
 * from submit until next() has reported the last pair, so an engine being
 * unregistered waits for the requests using it.  An engine touches a
 * chunk, and through it the request, only until it has completed the
 * chunk; completion adds the chunk to the done list under @req->lock, and
 * the submitter takes chunks off that list under the same lock, so once
 * the submitter has seen every chunk no engine can touch the request.
 */

#define pr_fmt(fmt) "mm/offload: " fmt

#include <kunit/visibility.h>
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/rculist.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>

#define CREATE_TRACE_POINTS
#include <trace/events/offload.h>

#include "internal.h"

/* Chunks per engine a request is split into, to balance and pipeline. */
#define OFFLOAD_CHUNKS_PER_ENGINE	4

/* Longest wait for an engine slot in require mode, see below. */
#define OFFLOAD_REQ_STALL_TIMEOUT	HZ

struct offload_class_stats offload_class_stats[OFFLOAD_NR_CLASSES];
EXPORT_SYMBOL_IF_KUNIT(offload_class_stats);

/**
 * offload_req_alloc - allocate a request
 * @max: most folio pairs the request will hold
 * @gfp: allocation flags the caller's context allows
 *
 * The request can be reused for any number of submissions, each starting
 * with offload_req_init().
 *
 * Context: as allowed by @gfp.
 * Return: the request, or NULL.
 */
struct offload_req *offload_req_alloc(unsigned int max, gfp_t gfp)
{
	struct offload_req *req;
	size_t size;

	/* One allocation: the request, then src[max], dst[max], status[max]. */
	size = size_add(sizeof(*req),
			size_mul(max, 2 * sizeof(struct folio *) + sizeof(int)));
	req = kzalloc(size, gfp);
	if (!req)
		return NULL;
	req->max = max;
	req->src = (struct folio **)(req + 1);
	req->dst = req->src + max;
	req->status = (int *)(req->dst + max);
	spin_lock_init(&req->lock);
	init_waitqueue_head(&req->wait);
	INIT_LIST_HEAD(&req->done);
	INIT_LIST_HEAD(&req->pending);
	return req;
}
EXPORT_SYMBOL_GPL(offload_req_alloc);

/**
 * offload_req_free - free a request
 * @req: a request that is not submitted, was declined, or has been
 *	completely reported by offload_req_next(); may be NULL
 *
 * Context: any context.
 */
void offload_req_free(struct offload_req *req)
{
	if (!req)
		return;
	/* Engines may still write to it: leak it rather than corrupt memory. */
	if (WARN_ON_ONCE(req->remaining))
		return;
	kfree(req);
}
EXPORT_SYMBOL_GPL(offload_req_free);

/**
 * offload_req_init - start a new submission with an empty request
 * @req: the request
 * @class: migration reason (enum migrate_reason) or %OFFLOAD_CLASS_GENERIC
 * @src_nid: node of the sources, or NUMA_NO_NODE
 * @dst_nid: node of the destinations, or NUMA_NO_NODE
 *
 * Context: any context.
 */
void offload_req_init(struct offload_req *req, unsigned int class,
		      int src_nid, int dst_nid)
{
	WARN_ON_ONCE(req->remaining);
	req->class = class;
	req->src_nid = src_nid;
	req->dst_nid = dst_nid;
	req->nr = 0;
	req->bytes = 0;
	req->nr_engines = 0;
	req->nr_chunks = 0;
}
EXPORT_SYMBOL_GPL(offload_req_init);

/**
 * offload_req_add - add a folio pair to a request
 * @req: the request, not yet submitted
 * @src: folio to copy from
 * @dst: folio to copy to, of the same size
 *
 * The caller keeps both folios allocated, and keeps @src unchanged, until
 * offload_req_next() has reported the pair.
 *
 * Context: any context.
 * Return: the index of the pair in @req->status, -ENOSPC if @req is full,
 * -EINVAL if the folios differ in size.
 */
int offload_req_add(struct offload_req *req, struct folio *src,
		    struct folio *dst)
{
	if (req->nr == req->max)
		return -ENOSPC;
	if (folio_size(src) != folio_size(dst))
		return -EINVAL;
	req->src[req->nr] = src;
	req->dst[req->nr] = dst;
	req->status[req->nr] = -EINPROGRESS;
	req->bytes += folio_size(src);
	return req->nr++;
}
EXPORT_SYMBOL_GPL(offload_req_add);

static void offload_req_add_engine(struct offload_req *req,
				   struct offload_engine *eng)
{
	if (req->nr_engines < OFFLOAD_ROUTE_MAX_ENGINES &&
	    !test_bit(OFFLOAD_ENGINE_QUARANTINED, &eng->flags) &&
	    offload_engine_tryget(eng))
		req->engines[req->nr_engines++] = eng;
}

/* Take references on the engines of @route that are registered and well. */
static void offload_req_get_engines(struct offload_req *req,
				    const struct offload_route *route)
{
	struct offload_engine *eng;
	unsigned int i;

	rcu_read_lock();
	if (!route->nr_engines) {
		list_for_each_entry_rcu(eng, &offload_engines, list)
			offload_req_add_engine(req, eng);
	}
	for (i = 0; i < route->nr_engines; i++) {
		list_for_each_entry_rcu(eng, &offload_engines, list) {
			if (!strcmp(eng->name, route->engines[i])) {
				offload_req_add_engine(req, eng);
				break;
			}
		}
	}
	rcu_read_unlock();
}

static void offload_req_put_engines(struct offload_req *req)
{
	while (req->nr_engines)
		offload_engine_put(req->engines[--req->nr_engines]);
}

/* Cut the pairs into chunks of about equal bytes, all pending. */
static void offload_req_split(struct offload_req *req)
{
	struct offload_chunk *chunk = NULL;
	unsigned int i, nr_chunks;
	size_t target;

	nr_chunks = max(req->nr_engines, 1U) * OFFLOAD_CHUNKS_PER_ENGINE;
	nr_chunks = min3(nr_chunks, req->nr, (unsigned int)OFFLOAD_REQ_MAX_CHUNKS);
	target = DIV_ROUND_UP(req->bytes, nr_chunks);

	req->nr_chunks = 0;
	for (i = 0; i < req->nr; i++) {
		if (!chunk || chunk->bytes >= target) {
			chunk = &req->chunks[req->nr_chunks++];
			*chunk = (struct offload_chunk) {
				.req	= req,
				.first	= i,
			};
			list_add_tail(&chunk->node, &req->pending);
		}
		chunk->nr++;
		chunk->bytes += folio_size(req->src[i]);
	}
}

/* A chunk an engine failed goes on to @to: another engine, "cpu" or "fail". */
static void offload_chunk_fell_back(struct offload_chunk *chunk,
				    const char *to)
{
	struct offload_engine *from = chunk->last_failed;

	trace_offload_fallback(chunk, from ? from->name : "none", to,
			       chunk->error);
	if (from && strcmp(to, "fail"))
		atomic64_inc(&from->stats.fallbacks);
	chunk->last_failed = NULL;
}

/*
 * Place every pending chunk that an engine can take now.  A chunk left
 * pending keeps in ->status why: -EBUSY (engines saturated) or -ENODEV
 * (no engine will ever take it).
 */
static void offload_req_dispatch(struct offload_req *req)
{
	struct offload_chunk *chunk, *tmp;
	unsigned long kicked = 0;
	LIST_HEAD(refused);
	int i, ret;

	list_for_each_entry_safe(chunk, tmp, &req->pending, node) {
		struct offload_engine *eng;

		i = offload_place(req, chunk);
		if (i < 0) {
			chunk->status = i;
			continue;
		}
		eng = req->engines[i];
		list_del(&chunk->node);
		chunk->eng = eng;
		chunk->aborted = false;
		chunk->submitted = ktime_get_ns();
		chunk->deadline = jiffies + msecs_to_jiffies(eng->timeout_ms);
		if (req->has_deadline && time_after(chunk->deadline,
						    req->deadline))
			chunk->deadline = req->deadline;
		trace_offload_chunk_place(chunk);
		ret = eng->ops->submit(eng, chunk);
		if (ret) {
			/*
			 * Not taken.  -EBUSY: try again later, elsewhere or on
			 * the CPU; any other error fails this engine for it.
			 */
			offload_unplace(eng, chunk);
			chunk->eng = NULL;
			chunk->status = -EBUSY;
			if (ret != -EBUSY) {
				offload_engine_fault(eng);
				chunk->tried |= BIT(i);
				chunk->error = ret;
				chunk->last_failed = eng;
			}
			list_add_tail(&chunk->node, &refused);
			continue;
		}
		atomic64_inc(&eng->stats.submitted);
		if (chunk->last_failed)
			offload_chunk_fell_back(chunk, eng->name);
		kicked |= BIT(i);
	}
	list_splice_tail(&refused, &req->pending);
	for_each_set_bit(i, &kicked, req->nr_engines)
		req->engines[i]->ops->issue_pending(req->engines[i]);
}

/* Submit @req with the engines already in @req->engines. */
static void offload_req_start(struct offload_req *req)
{
	atomic64_add(req->nr, &offload_class_stats[req->class].submitted);
	req->remaining = req->nr;
	req->stalled = 0;
	req->has_deadline = false;
	req->timed_out = false;
	offload_req_split(req);
	trace_offload_submit(req);
	offload_req_dispatch(req);
}

/**
 * offload_req_submit - hand a request to the broker
 * @req: the request, with at least one pair
 *
 * The route of @req->class decides: the request is declined (mode off, or
 * fewer base pages than the route's minimum batch, or prefer mode and no
 * usable engine), copied by the calling CPU in offload_req_next() (mode
 * cpu), or
 * handed to the route's engines (prefer, require).
 *
 * Context: any context that may later sleep in offload_req_next(); does
 * not sleep or allocate itself.
 * Return: 0 if the broker took the request: then every pair gets a status,
 * reported by offload_req_next(), which the caller must call until it
 * returns 0.  -EOPNOTSUPP if it declined: nothing was copied and the
 * caller copies as it would without the broker.  -EINVAL for an empty
 * request or a bad class.
 */
int offload_req_submit(struct offload_req *req)
{
	struct offload_route route;

	if (!req->nr || offload_route_get(req->class, &route))
		return -EINVAL;
	if (route.mode == OFFLOAD_MODE_OFF ||
	    (route.mode != OFFLOAD_MODE_REQUIRE &&
	     req->bytes >> PAGE_SHIFT < route.min_batch))
		goto decline;
	if (route.mode != OFFLOAD_MODE_CPU)
		offload_req_get_engines(req, &route);
	if (route.mode == OFFLOAD_MODE_PREFER && !req->nr_engines)
		goto decline;

	req->mode = route.mode;
	offload_req_start(req);
	return 0;

decline:
	atomic64_inc(&offload_class_stats[req->class].declined);
	return -EOPNOTSUPP;
}
EXPORT_SYMBOL_GPL(offload_req_submit);

/**
 * offload_req_submit_to - copy a request with one given engine only
 * @req: the request
 * @eng: the engine, even if quarantined (used to probe it)
 *
 * Like a request of mode require whose route lists only @eng.
 *
 * Context: as offload_req_submit().
 */
void offload_req_submit_to(struct offload_req *req, struct offload_engine *eng)
{
	if (offload_engine_tryget(eng))
		req->engines[req->nr_engines++] = eng;
	req->mode = OFFLOAD_MODE_REQUIRE;
	offload_req_start(req);
}

/**
 * offload_chunk_next_seg - the next segment of a chunk to copy
 * @chunk: the chunk
 * @pos: iteration cursor, 0 before the first call
 * @seg: filled with the segment
 *
 * Context: any context.
 * Return: false once every segment has been returned.
 */
bool offload_chunk_next_seg(const struct offload_chunk *chunk,
			    unsigned long *pos, struct offload_seg *seg)
{
	/* @pos: index of the pair in the chunk, then page in the folio. */
	unsigned int idx = *pos >> 32, page = (u32)*pos;
	struct folio *src, *dst;

	if (idx >= chunk->nr)
		return false;
	src = chunk->req->src[chunk->first + idx];
	dst = chunk->req->dst[chunk->first + idx];

	if (chunk->eng->caps & OFFLOAD_CAP_LARGE_FOLIO) {
		seg->src = folio_page(src, 0);
		seg->dst = folio_page(dst, 0);
		seg->len = folio_size(src);
		*pos = (unsigned long)(idx + 1) << 32;
		return true;
	}
	seg->src = folio_page(src, page);
	seg->dst = folio_page(dst, page);
	seg->len = PAGE_SIZE;
	if (++page == folio_nr_pages(src))
		*pos = (unsigned long)(idx + 1) << 32;
	else
		*pos = ((unsigned long)idx << 32) | page;
	return true;
}
EXPORT_SYMBOL_GPL(offload_chunk_next_seg);

/**
 * offload_chunk_complete - report a chunk done
 * @chunk: a chunk the engine took in its submit callback
 * @status: 0 if every byte was copied, else a negative errno: the chunk's
 *	destinations are then treated as garbage and copied again elsewhere
 *	(-EHWPOISON if the source was found poisoned)
 *
 * The engine must not touch @chunk afterwards.
 *
 * Context: any context, hard interrupts included.
 */
void offload_chunk_complete(struct offload_chunk *chunk, int status)
{
	struct offload_engine *eng = chunk->eng;
	struct offload_req *req = chunk->req;
	u64 ns = ktime_get_ns() - chunk->submitted;
	unsigned long flags;

	offload_unplace(eng, chunk);
	atomic64_add(ns, &eng->stats.busy_ns);
	if (status) {
		atomic64_inc(&eng->stats.errors);
	} else {
		atomic64_add(chunk->nr, &eng->stats.folios);
		atomic64_add(chunk->bytes, &eng->stats.bytes);
	}
	trace_offload_chunk_complete(chunk, status, ns);

	spin_lock_irqsave(&req->lock, flags);
	chunk->status = status;
	list_add_tail(&chunk->node, &req->done);
	wake_up(&req->wait);
	spin_unlock_irqrestore(&req->lock, flags);
}
EXPORT_SYMBOL_GPL(offload_chunk_complete);

static struct offload_chunk *offload_req_pop_done(struct offload_req *req)
{
	struct offload_chunk *chunk;

	spin_lock_irq(&req->lock);
	chunk = list_first_entry_or_null(&req->done, struct offload_chunk,
					 node);
	if (chunk)
		list_del(&chunk->node);
	spin_unlock_irq(&req->lock);
	return chunk;
}

static int offload_req_engine_index(struct offload_req *req,
				    struct offload_engine *eng)
{
	int i;

	for (i = 0; i < req->nr_engines; i++)
		if (req->engines[i] == eng)
			return i;
	return -1;
}

/*
 * A chunk came back from its engine.  True if it is finished (copied);
 * false if it failed and is pending again, for another engine or the CPU.
 */
static bool offload_req_returned(struct offload_req *req,
				 struct offload_chunk *chunk)
{
	struct offload_engine *eng = chunk->eng;
	unsigned int i;

	chunk->eng = NULL;
	if (chunk->status == -EHWPOISON) {
		/*
		 * A poisoned source: no engine or CPU copy here should read it
		 * again, and the engine is not at fault.  The caller's own
		 * machine-check safe copy finds which folio it is.
		 */
		for (i = 0; i < chunk->nr; i++)
			req->status[chunk->first + i] = -EHWPOISON;
		atomic64_add(chunk->nr, &offload_class_stats[req->class].failed);
		return true;
	}
	if (!chunk->status) {
		offload_engine_success(eng);
		for (i = 0; i < chunk->nr; i++)
			req->status[chunk->first + i] = 0;
		atomic64_add(chunk->nr,
			     &offload_class_stats[req->class].offloaded);
		return true;
	}

	offload_engine_fault(eng);
	chunk->tried |= BIT(offload_req_engine_index(req, eng));
	chunk->error = chunk->status;
	chunk->last_failed = eng;
	list_add(&chunk->node, &req->pending);
	return false;
}

/* Finish a pending chunk without an engine: CPU copy, or failure. */
static void offload_req_finish_pending(struct offload_req *req,
				       struct offload_chunk *chunk)
{
	struct offload_class_stats *cs = &offload_class_stats[req->class];
	bool cpu = req->mode != OFFLOAD_MODE_REQUIRE;
	unsigned int i;
	int err;

	list_del(&chunk->node);
	if (req->mode != OFFLOAD_MODE_CPU)
		offload_chunk_fell_back(chunk, cpu ? "cpu" : "fail");

	for (i = chunk->first; i < chunk->first + chunk->nr; i++) {
		/* Required engines failed it (-EIO), or none could take it. */
		err = cpu ? folio_mc_copy(req->dst[i], req->src[i]) :
			    chunk->error ? -EIO : -ENODEV;
		req->status[i] = err;
		atomic64_inc(err ? &cs->failed : &cs->cpu);
	}
}

/* Past the caller's deadline, see offload_req_set_deadline(). */
static bool offload_req_late(const struct offload_req *req)
{
	return req->has_deadline && time_after_eq(jiffies, req->deadline);
}

/* Abort the chunks that are past their engine's deadline. */
static void offload_req_abort_late(struct offload_req *req)
{
	struct offload_chunk *chunk;

	for (chunk = req->chunks; chunk < req->chunks + req->nr_chunks;
	     chunk++) {
		struct offload_engine *eng = chunk->eng;

		if (!eng || chunk->aborted ||
		    time_before(jiffies, chunk->deadline))
			continue;
		chunk->aborted = true;
		if (offload_req_late(req))
			req->timed_out = true;
		atomic64_inc(&eng->stats.timeouts);
		eng->ops->abort(eng, chunk);
	}
}

/*
 * True once a request in require mode has waited more than a second for
 * an engine slot with none of its chunks on an engine: the engines are
 * saturated by others or keep refusing, and its pending chunks fail.
 */
static bool offload_req_stalled(struct offload_req *req)
{
	struct offload_chunk *chunk;

	for (chunk = req->chunks; chunk < req->chunks + req->nr_chunks;
	     chunk++) {
		if (chunk->eng) {
			req->stalled = 0;
			return false;
		}
	}
	if (!req->stalled) {
		req->stalled = jiffies ?: 1;
		return false;
	}
	return time_after(jiffies, req->stalled + OFFLOAD_REQ_STALL_TIMEOUT);
}

/* Sleep until an engine completes a chunk or a deadline passes. */
static void offload_req_sleep(struct offload_req *req)
{
	unsigned long now = jiffies, timeout = MAX_SCHEDULE_TIMEOUT;
	struct offload_chunk *chunk;
	bool on_engine = false;

	for (chunk = req->chunks; chunk < req->chunks + req->nr_chunks;
	     chunk++) {
		if (!chunk->eng)
			continue;
		on_engine = true;
		if (!chunk->aborted)
			timeout = min(timeout, time_after(chunk->deadline, now) ?
					       chunk->deadline - now : 0);
	}
	/* Engines saturated by others (require mode): poll for a slot. */
	if (!on_engine)
		timeout = 1;
	if (!wait_event_timeout(req->wait, !list_empty_careful(&req->done),
				timeout))
		offload_req_abort_late(req);
}

/**
 * offload_req_next - wait for the next finished run of pairs
 * @req: a request the broker took
 * @first: set to the index of the run's first pair
 * @nr: set to the number of pairs in the run
 *
 * Runs are reported in the order they finish, each exactly once; the
 * status of each of their pairs is final.  Chunks that engines failed are
 * retried on another engine or copied on the calling CPU here, and late
 * chunks aborted.
 *
 * Context: process context, sleeps; the caller may hold folio locks.
 * Return: 1 with @first and @nr set, or 0 once every pair has been
 * reported (then the request holds no engine and can be freed or reused).
 */
int offload_req_next(struct offload_req *req, unsigned int *first,
		     unsigned int *nr)
{
	struct offload_chunk *chunk;

	while (req->remaining) {
		chunk = offload_req_pop_done(req);
		if (chunk && !offload_req_returned(req, chunk))
			continue;
		if (!chunk) {
			bool late = offload_req_late(req);

			if (!late)
				offload_req_dispatch(req);
			chunk = list_first_entry_or_null(&req->pending,
							 struct offload_chunk,
							 node);
			/*
			 * Wait for a completion, or (require) for a slot;
			 * otherwise the calling CPU takes the chunk, its share
			 * while engines are saturated, or fails it.
			 */
			if (!chunk || (chunk->status == -EBUSY &&
				       req->mode == OFFLOAD_MODE_REQUIRE &&
				       !late && !offload_req_stalled(req))) {
				offload_req_sleep(req);
				continue;
			}
			offload_req_finish_pending(req, chunk);
		}

		*first = chunk->first;
		*nr = chunk->nr;
		req->remaining -= chunk->nr;
		if (!req->remaining)
			offload_req_put_engines(req);
		return 1;
	}
	return 0;
}
EXPORT_SYMBOL_GPL(offload_req_next);

/**
 * offload_req_set_deadline - bound the time a request spends on engines
 * @req: a request the broker took
 * @timeout: jiffies from now
 *
 * Chunks still on an engine at the deadline are aborted, and from then on
 * no chunk goes to an engine: what is left is copied by the calling CPU,
 * or fails in require mode.
 *
 * Context: the submitter, before or between offload_req_next() calls.
 */
void offload_req_set_deadline(struct offload_req *req, unsigned long timeout)
{
	struct offload_chunk *chunk;

	req->deadline = jiffies + timeout;
	req->has_deadline = true;
	for (chunk = req->chunks; chunk < req->chunks + req->nr_chunks;
	     chunk++)
		if (chunk->eng && time_after(chunk->deadline, req->deadline))
			chunk->deadline = req->deadline;
}
EXPORT_SYMBOL_GPL(offload_req_set_deadline);

/**
 * offload_req_wait - wait until every pair of a request has finished
 * @req: a request the broker took
 * @timeout: jiffies to allow the engines, see offload_req_set_deadline(),
 *	or MAX_SCHEDULE_TIMEOUT for the engines' own timeouts only
 *
 * Context: process context, sleeps.
 * Return: 0, or -ETIMEDOUT if the deadline aborted chunks (their pairs
 * were then copied by the CPU, or failed in require mode).
 */
int offload_req_wait(struct offload_req *req, unsigned long timeout)
{
	unsigned int first, nr;

	if (timeout != MAX_SCHEDULE_TIMEOUT)
		offload_req_set_deadline(req, timeout);
	while (offload_req_next(req, &first, &nr))
		;
	return req->timed_out ? -ETIMEDOUT : 0;
}
EXPORT_SYMBOL_GPL(offload_req_wait);
