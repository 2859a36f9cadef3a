// SPDX-License-Identifier: GPL-2.0
/*
 * mm/offload requests: the data path.
 *
 * A caller builds a request of (source, destination) folio pairs and
 * submits it.  offload_req_submit() reads the route of the request's class,
 * takes references on the route's engines, splits the request into chunks
 * sized for those engines and places each chunk on an engine (balance.c).
 * A chunk an engine refuses (its queue is full) is placed again at once on
 * the engines that have not refused in this round.  Engines copy
 * asynchronously and report each chunk with offload_chunk_complete(), from
 * any context, onto the request's done list.
 *
 * The submitter then calls offload_req_next() repeatedly.  Each call hands
 * back one finished run of pairs, so that the caller can use those folios
 * while the others still copy.  All decisions that need a process context
 * happen there, in the submitter: a chunk an engine failed is placed on
 * the next engine of the route or, in prefer mode, copied by the calling
 * CPU; when every engine is full or refusing, the calling CPU copies a
 * pending chunk itself instead of waiting (it takes a share, as padata's
 * caller does); chunks past their engine's timeout or the caller's
 * deadline are aborted, and chunks still not back after the abort grace
 * are abandoned (see below).
 *
 * Placements and completions: every placement of a chunk starts a new
 * generation, and the chunk's atomic state goes IDLE -> ON_ENGINE -> DONE
 * (or ABANDONED).  The engine passes the ticket of its placement back with
 * each completion; one that does not match the current placement (a
 * completion after a reset, or a second one) is counted, warned about once
 * and ignored, so that it can never complete a chunk now on another engine.
 *
 * Faults: an engine's fault is its own error or lateness, counted once per
 * incident: not a caller's deadline, not a chunk cancelled by a reset of
 * the engine (-ECANCELED), not a completion that won the race with an
 * abort.  Lateness is measured from when the engine could start the chunk:
 * the clock of a chunk queued behind others runs longer by the number of
 * chunks of its size queued ahead of it (at most %OFFLOAD_QUEUE_FACTOR_MAX).
 *
 * Abandon: an engine that misses its abort grace may still write the
 * chunk's destinations.  The chunk's pairs then fail with -EOWNERDEAD: the
 * broker keeps references on the destinations and on the request
 * (req_alloc.c) until the engine completes the chunk, if ever, and the
 * engine stays quarantined until an admin enables it.  The submitter goes
 * on at once: nothing waits on a stuck engine for longer than its timeout
 * (or the caller's deadline) plus the grace.
 *
 * Context and memory: submit and next never allocate.  A request is
 * allocated beforehand with offload_req_alloc() (req_alloc.c).  Submit does
 * not sleep; next sleeps while waiting for engines and copies on the CPU,
 * so it needs a context that may sleep.
 *
 * Lifetime: the request holds a reference on each engine it may use
 * from submit until next() has reported the last pair, so an engine being
 * unregistered waits for the requests using it.  An engine touches a
 * chunk, and through it the request, only until it has completed the
 * chunk; completion adds the chunk to the done list under @req->lock, and
 * the submitter takes chunks off that list under the same lock, so once
 * the submitter has seen every chunk no engine can touch the request,
 * abandoned chunks aside, which hold their own references.
 */

#define pr_fmt(fmt) "mm/offload: " fmt

#include <kunit/visibility.h>
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/rculist.h>
#include <linux/sched.h>
#include <linux/timekeeping.h>

#define CREATE_TRACE_POINTS
#include <trace/events/offload.h>

#include "internal.h"

/* Chunks per engine a request is split into, to balance and pipeline. */
#define OFFLOAD_CHUNKS_PER_ENGINE	4

/* Longest wait for an engine slot in require mode, see below. */
#define OFFLOAD_REQ_STALL_TIMEOUT	HZ

/* Most chunk-sized turns a chunk's timeout waits for the queue ahead. */
#define OFFLOAD_QUEUE_FACTOR_MAX	16

struct offload_class_stats offload_class_stats[OFFLOAD_NR_CLASSES + 1];
EXPORT_SYMBOL_IF_KUNIT(offload_class_stats);

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
	req->async = false;
	req->nr = 0;
	req->bytes = 0;
	req->nr_engines = 0;
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
 * -EINVAL if the folios differ in size, -EBUSY if engines still hold
 * abandoned chunks of an earlier submission (the request can only be
 * freed until they let go).
 */
int offload_req_add(struct offload_req *req, struct folio *src,
		    struct folio *dst)
{
	if (refcount_read(&req->refs) != 1)
		return -EBUSY;
	if (req->nr == req->max)
		return -ENOSPC;
	if (folio_size(src) != folio_size(dst))
		return -EINVAL;
	req->src[req->nr] = src;
	req->dst[req->nr] = dst;
	req->status[req->nr] = -EINPROGRESS;
	req->bytes += folio_size(src);
	if (!req->nr)
		req->folio_bytes = folio_size(src);
	else if (req->folio_bytes != folio_size(src))
		req->folio_bytes = 0;
	return req->nr++;
}
EXPORT_SYMBOL_GPL(offload_req_add);

static bool offload_chunk_on_engine(const struct offload_chunk *chunk)
{
	return offload_state_bits(atomic64_read(&chunk->state)) ==
	       OFFLOAD_CHUNK_ON_ENGINE;
}

static void offload_req_add_engine(struct offload_req *req,
				   struct offload_engine *eng)
{
	if (req->nr_engines < OFFLOAD_REQ_MAX_ENGINES &&
	    offload_engine_usable(eng, req) && offload_engine_tryget(eng))
		req->engines[req->nr_engines++] = eng;
}

/* Take references on the usable engines of @cr, under RCU. */
static void offload_req_get_engines(struct offload_req *req,
				    const struct offload_class_route *cr)
{
	struct offload_engine *eng;
	unsigned int i;

	/* No engine named: every one, but never for a mandate. */
	if (!cr->route.nr_engines && cr->route.mode != OFFLOAD_MODE_REQUIRE) {
		list_for_each_entry_rcu(eng, &offload_engines, list)
			offload_req_add_engine(req, eng);
	}
	for (i = 0; i < cr->route.nr_engines; i++) {
		eng = READ_ONCE(cr->engines[i]);
		if (eng)
			offload_req_add_engine(req, eng);
	}
}

static void offload_req_put_engines(struct offload_req *req)
{
	while (req->nr_engines)
		offload_engine_put(req->engines[--req->nr_engines]);
}

/*
 * How many chunks to cut @req into, and their size limits: at least the
 * largest minimum batch of the engines that can take any part of the
 * request, so that every chunk fits every engine that could copy; at most
 * the smallest maximum.
 */
static unsigned int offload_req_nr_chunks(const struct offload_req *req,
					  size_t *min_bytes, size_t *max_bytes)
{
	unsigned long pages = req->bytes >> PAGE_SHIFT;
	unsigned int i, nr;

	*min_bytes = PAGE_SIZE;
	*max_bytes = SIZE_MAX;
	for (i = 0; i < req->nr_engines; i++) {
		const struct offload_engine *eng = req->engines[i];
		/* An admin may change it meanwhile (configfs). */
		unsigned int min_batch = READ_ONCE(eng->min_batch);

		if (min_batch <= pages)
			*min_bytes = max(*min_bytes,
					 (size_t)min_batch << PAGE_SHIFT);
		if (eng->max_chunk_bytes)
			*max_bytes = min(*max_bytes, eng->max_chunk_bytes);
	}
	nr = max(req->nr_engines, 1U) * OFFLOAD_CHUNKS_PER_ENGINE;
	nr = min_t(size_t, nr, max(req->bytes / *min_bytes, 1));
	if (*max_bytes != SIZE_MAX)
		nr = max_t(size_t, nr, DIV_ROUND_UP(req->bytes, *max_bytes));
	return clamp(nr, 1U, min(req->nr, req->max_chunks));
}

/* A new pending chunk of @req, starting at pair @first. */
static struct offload_chunk *
offload_chunk_init(struct offload_req *req, unsigned int first)
{
	struct offload_chunk *chunk = &req->chunks[req->nr_chunks++];
	/* Generations go on across submissions: old tickets never match. */
	u32 gen = offload_state_gen(atomic64_read(&chunk->state));
	void *priv = chunk->priv;

	*chunk = (struct offload_chunk) {
		.req	= req,
		.first	= first,
		.priv	= priv,
	};
	atomic64_set(&chunk->state, gen);
	list_add_tail(&chunk->node, &req->pending);
	return chunk;
}

/* Cut the pairs into chunks of about equal bytes, all pending. */
static void offload_req_split(struct offload_req *req)
{
	struct offload_chunk *chunk = NULL, *prev;
	size_t min_bytes, max_bytes, target, size;
	unsigned int i, nr_chunks;

	nr_chunks = offload_req_nr_chunks(req, &min_bytes, &max_bytes);
	target = DIV_ROUND_UP(req->bytes, nr_chunks);

	req->nr_chunks = 0;
	for (i = 0; i < req->nr; i++) {
		size = folio_size(req->src[i]);
		if (!chunk || (req->nr_chunks < req->max_chunks &&
			       (chunk->bytes >= target ||
				chunk->bytes + size > max_bytes)))
			chunk = offload_chunk_init(req, i);
		chunk->nr++;
		chunk->bytes += size;
	}

	/* A short tail joins the chunk before it, if that one has room. */
	if (req->nr_chunks > 1 && chunk->bytes < min_bytes) {
		prev = chunk - 1;
		if (prev->bytes + chunk->bytes <= max_bytes) {
			prev->nr += chunk->nr;
			prev->bytes += chunk->bytes;
			list_del(&chunk->node);
			req->nr_chunks--;
		}
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
 * Jiffies a chunk may spend on @eng: its timeout once for the chunk, and
 * once more for every chunk of its size queued ahead of it.
 */
static unsigned long offload_chunk_timeout(const struct offload_engine *eng,
					   const struct offload_chunk *chunk)
{
	u64 ahead = offload_queued_bytes(eng) - chunk->bytes;
	u64 turns = 1 + div64_u64(ahead, max_t(size_t, chunk->bytes, 1));

	return msecs_to_jiffies(READ_ONCE(eng->timeout_ms)) *
	       min_t(u64, turns, OFFLOAD_QUEUE_FACTOR_MAX);
}

/*
 * Hand @chunk, off the pending list, to engine @i of @req, on which
 * offload_place() reserved room.  Returns the engine's answer.
 */
static int offload_chunk_submit(struct offload_req *req,
				struct offload_chunk *chunk, int i)
{
	struct offload_engine *eng = req->engines[i];
	u32 gen = offload_state_gen(atomic64_read(&chunk->state));
	int ret;

	chunk->eng = eng;
	chunk->abort = 0;
	offload_chunk_count_segs(chunk);
	chunk->submitted = ktime_get_ns();
	chunk->deadline = jiffies + offload_chunk_timeout(eng, chunk);
	/* One part, no error, a new generation, on the engine. */
	atomic64_set(&chunk->state, (1ULL << OFFLOAD_CHUNK_PARTS_SHIFT) |
				    (u32)(gen + OFFLOAD_CHUNK_GEN_ONE) |
				    OFFLOAD_CHUNK_ON_ENGINE);
	trace_offload_chunk_place(chunk);

	ret = eng->ops->submit(eng, chunk);
	if (!ret) {
		atomic64_inc(&eng->stats.submitted);
		if (chunk->last_failed)
			offload_chunk_fell_back(chunk, eng->name);
		return 0;
	}
	/* The engine never saw it: same generation, no ticket issued. */
	atomic64_set(&chunk->state, gen | OFFLOAD_CHUNK_IDLE);
	offload_unplace(eng, chunk);
	atomic64_inc(&eng->stats.refused);
	return ret;
}

/*
 * Place every pending chunk that an engine can take now.  A chunk that
 * an engine refuses is placed again at once, on the engines that have not
 * refused anything in this round.  A chunk left pending keeps in ->status
 * why: -EBUSY (engines full or refusing) or -ENODEV (no engine will ever
 * take it).
 */
static void offload_req_dispatch(struct offload_req *req)
{
	struct offload_chunk *chunk, *tmp;
	u64 refused = 0, kicked = 0;
	LIST_HEAD(left);
	int i, ret;

	list_for_each_entry_safe(chunk, tmp, &req->pending, node) {
		list_del(&chunk->node);
		for (;;) {
			/* A poisoned source never goes back to an engine. */
			i = chunk->poisoned ? -ENODEV :
			    offload_place(req, chunk, refused);
			if (i < 0) {
				chunk->status = i;
				if (i == -ENODEV && (refused & ~chunk->tried))
					chunk->status = -EBUSY;
				list_add_tail(&chunk->node, &left);
				break;
			}
			ret = offload_chunk_submit(req, chunk, i);
			if (!ret) {
				kicked |= BIT_ULL(i);
				break;
			}
			refused |= BIT_ULL(i);
			if (ret != -EBUSY) {
				/* Not "full": the engine failed the chunk. */
				offload_engine_fault(req->engines[i]);
				chunk->tried |= BIT_ULL(i);
				chunk->error = ret;
				chunk->last_failed = req->engines[i];
			}
		}
	}
	list_splice_tail(&left, &req->pending);
	for (i = 0; kicked; i++, kicked >>= 1)
		if (kicked & 1)
			req->engines[i]->ops->issue_pending(req->engines[i]);
}

/* Submit @req with the engines already in @req->engines. */
static void offload_req_start(struct offload_req *req, unsigned int async_ms)
{
	atomic64_add(req->nr, &offload_class_stats[req->class].submitted);
	req->remaining = req->nr;
	req->stalled = 0;
	req->has_deadline = false;
	req->timed_out = false;
	if (async_ms)
		offload_req_set_deadline(req, msecs_to_jiffies(async_ms));
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
 * cpu), or handed to the route's engines (prefer, require).  A request
 * marked @async gets the route's @async_ms as its deadline.
 *
 * Context: any context that may later sleep in offload_req_next(); does
 * not sleep or allocate itself.
 * Return: 0 if the broker took the request: then every pair gets a status,
 * reported by offload_req_next(), which the caller must call until it
 * returns 0.  -EOPNOTSUPP if it declined: nothing was copied and the
 * caller copies as it would without the broker.  -EINVAL for an empty
 * request or a bad class, -EBUSY for a request with abandoned chunks
 * (it can only be freed).
 */
int offload_req_submit(struct offload_req *req)
{
	const struct offload_class_route *cr;
	const struct offload_route *route;
	unsigned int async_ms = 0;
	bool decline;

	if (!req->nr || req->class >= OFFLOAD_NR_CLASSES)
		return -EINVAL;
	if (refcount_read(&req->refs) != 1)
		return -EBUSY;

	req->probe = false;
	rcu_read_lock();
	cr = offload_route_rcu(req->class);
	route = &cr->route;
	req->mode = route->mode;
	decline = req->mode == OFFLOAD_MODE_OFF ||
		  (req->mode != OFFLOAD_MODE_REQUIRE &&
		   req->bytes >> PAGE_SHIFT < route->min_batch);
	if (!decline && req->mode != OFFLOAD_MODE_CPU) {
		offload_req_get_engines(req, cr);
		if (req->async)
			async_ms = route->async_ms;
	}
	rcu_read_unlock();

	if (decline || (req->mode == OFFLOAD_MODE_PREFER && !req->nr_engines)) {
		offload_req_put_engines(req);
		atomic64_inc(&offload_class_stats[req->class].declined);
		return -EOPNOTSUPP;
	}
	if (req->mode == OFFLOAD_MODE_REQUIRE && !req->nr_engines)
		atomic64_inc(&offload_class_stats[req->class].refused);
	offload_req_start(req, async_ms);
	return 0;
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
	req->probe = true;
	req->mode = OFFLOAD_MODE_REQUIRE;
	offload_req_add_engine(req, eng);
	offload_req_start(req, 0);
}

/**
 * offload_chunk_set_parts - complete a chunk in several parts
 * @chunk: a chunk, in the engine's submit callback
 * @nr: the number of offload_chunk_complete() calls that complete it
 *	(descriptors, workers, ...), from 1 to 65535
 *
 * Without it a chunk completes in one call.  Parts may complete in any
 * order and context; the chunk's status is the first error a part
 * reported, or 0.
 *
 * Context: the engine's submit callback, before any part can complete.
 */
void offload_chunk_set_parts(struct offload_chunk *chunk, unsigned int nr)
{
	u64 state = atomic64_read(&chunk->state);

	nr = clamp(nr, 1U, OFFLOAD_CHUNK_PARTS_MAX);
	atomic64_set(&chunk->state, ((u64)nr << OFFLOAD_CHUNK_PARTS_SHIFT) |
				    (u32)state);
}
EXPORT_SYMBOL_GPL(offload_chunk_set_parts);

/*
 * A completion that matches no placement: count it against the engine
 * the chunk was placed on last, say so.  Not a WARN: a misbehaving device
 * can cause it, not only a bug.
 */
static void offload_chunk_stale(struct offload_chunk *chunk, u32 ticket)
{
	struct offload_engine *eng = chunk->eng;

	atomic64_inc(&eng->stats.stale);
	pr_warn_ratelimited("stale completion of a chunk last placed on engine %s (ticket %#x, now %#x)\n",
			    eng->name, ticket,
			    (u32)atomic64_read(&chunk->state));
}

/*
 * Count one part of @ticket's placement done in @chunk's state word, in
 * one cmpxchg with the check that the placement is the current one, on
 * its engine or abandoned.  Returns false for a stale completion; else,
 * if that was the last part, sets *@last to the chunk's final error with
 * the state it left (on the engine, or abandoned).
 */
static bool offload_chunk_count_part(struct offload_chunk *chunk, u32 ticket,
				     int status, u64 *last)
{
	u64 old = atomic64_read(&chunk->state), new;
	unsigned int bits;

	*last = 0;
	if (offload_state_bits(ticket) != OFFLOAD_CHUNK_ON_ENGINE)
		return false;
	do {
		bits = offload_state_bits(old);
		if (offload_state_gen(old) != offload_state_gen(ticket) ||
		    (bits != OFFLOAD_CHUNK_ON_ENGINE &&
		     bits != OFFLOAD_CHUNK_ABANDONED) ||
		    !offload_state_parts(old))
			return false;
		new = old - (1ULL << OFFLOAD_CHUNK_PARTS_SHIFT);
		if (status && !offload_state_error(old))
			new |= (u64)(min(-status, OFFLOAD_CHUNK_ERR_MAX)) <<
			       OFFLOAD_CHUNK_ERR_SHIFT;
		/* Last part: done, or (abandoned) back to idle. */
		if (offload_state_parts(old) == 1)
			new = (new & ~(u64)OFFLOAD_CHUNK_STATE_MASK) |
			      (bits == OFFLOAD_CHUNK_ON_ENGINE ?
			       OFFLOAD_CHUNK_DONE : OFFLOAD_CHUNK_IDLE);
	} while (!atomic64_try_cmpxchg(&chunk->state, &old, new));
	if (offload_state_parts(old) == 1)
		*last = (new & ~(u64)OFFLOAD_CHUNK_STATE_MASK) |
			offload_state_bits(old);
	return true;
}

/**
 * offload_chunk_complete - report a chunk, or a part of it, done
 * @chunk: a chunk the engine took in its submit callback
 * @ticket: offload_chunk_ticket() of @chunk, read in submit
 * @status: 0 if every byte (of the part) was copied, else a negative
 *	errno: the chunk's destinations are then treated as garbage and
 *	copied again elsewhere.  -EHWPOISON: a source is poisoned; the
 *	chunk is copied again only by a machine-check safe CPU copy, which
 *	finds out which.  -ECANCELED: a reset of the engine (see @abort)
 *	cancelled the chunk; it is placed again, not counted as a fault.
 *
 * A completion whose @ticket is not the chunk's current placement, or a
 * part more than offload_chunk_set_parts() announced, is counted in the
 * engine's @stale and ignored.  The engine must not touch @chunk after
 * its last part.
 *
 * Context: any context, hard interrupts included.
 */
void offload_chunk_complete(struct offload_chunk *chunk, u32 ticket,
			    int status)
{
	struct offload_engine *eng = chunk->eng;
	struct offload_req *req = chunk->req;
	unsigned long flags;
	u64 last, now, ns;

	if (!offload_chunk_count_part(chunk, ticket, status, &last)) {
		offload_chunk_stale(chunk, ticket);
		return;
	}
	if (!last)
		return;
	status = offload_state_error(last);

	if (offload_state_bits(last) == OFFLOAD_CHUNK_ABANDONED) {
		/* At last: what the broker kept for it can go. */
		offload_unplace_engine(eng, chunk);
		pr_info_ratelimited("engine %s completed an abandoned chunk\n",
				    eng->name);
		offload_req_unpark(chunk);
		return;
	}

	now = ktime_get_ns();
	ns = now - chunk->submitted;
	offload_unplace(eng, chunk);
	atomic64_add(ns, &eng->stats.busy_ns);
	if (status) {
		atomic64_inc(&eng->stats.errors);
	} else {
		atomic64_add(chunk->nr, &eng->stats.folios);
		atomic64_add(chunk->bytes, &eng->stats.bytes);
		offload_engine_measure(eng, chunk, now);
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

/* Every pair of @chunk gets @status; count them in the class's @counter. */
static void offload_chunk_finish(struct offload_chunk *chunk, int status,
				 atomic64_t *counter)
{
	struct offload_req *req = chunk->req;
	unsigned int i;

	for (i = chunk->first; i < chunk->first + chunk->nr; i++)
		req->status[i] = status;
	atomic64_add(chunk->nr, counter);
}

/* What a failed chunk says about its engine; true if it is at fault. */
static bool offload_chunk_faulted(struct offload_chunk *chunk,
				  struct offload_engine *eng)
{
	switch (chunk->abort) {
	case OFFLOAD_ABORT_TIMEOUT:
		atomic64_inc(&eng->stats.timeouts);
		return true;
	case OFFLOAD_ABORT_DEADLINE:
		return false;
	}
	if (chunk->status == -ECANCELED) {
		atomic64_inc(&eng->stats.cancelled);
		/* Resets that never end are the engine's fault after all. */
		return ++chunk->cancels > OFFLOAD_CHUNK_CANCELS_MAX;
	}
	/* Gone: the device's fault, but never tried again anyway. */
	return !test_bit(OFFLOAD_ENGINE_DEAD, &eng->flags);
}

/*
 * A chunk came back from its engine.  True if it is finished (copied, or
 * abandoned); false if it failed and is pending again, for another engine
 * or the CPU.
 */
static bool offload_req_returned(struct offload_req *req,
				 struct offload_chunk *chunk)
{
	struct offload_class_stats *cs = &offload_class_stats[req->class];
	struct offload_engine *eng = chunk->eng;
	int i;

	if (chunk->abort == OFFLOAD_ABORT_ABANDONED) {
		/* The engine may write the destinations: they are lost. */
		offload_chunk_finish(chunk, -EOWNERDEAD, &cs->failed);
		return true;
	}
	atomic64_set(&chunk->state,
		     offload_state_gen(atomic64_read(&chunk->state)));
	if (!chunk->status) {
		/* Copied, even if an abort came too late to stop it. */
		offload_engine_success(eng);
		offload_chunk_finish(chunk, 0, &cs->offloaded);
		return true;
	}

	i = offload_req_engine_index(req, eng);
	if (chunk->status == -EHWPOISON) {
		/* The source, not the engine: only the CPU may read it again. */
		chunk->poisoned = true;
	} else if (offload_chunk_faulted(chunk, eng)) {
		offload_engine_fault(eng);
		chunk->tried |= BIT_ULL(i);
	} else if (chunk->status != -ECANCELED) {
		/* Dead, or the caller's deadline: not this engine again. */
		chunk->tried |= BIT_ULL(i);
	}
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
	unsigned int i, failed = 0;
	int err;

	list_del(&chunk->node);
	if (req->mode != OFFLOAD_MODE_CPU)
		offload_chunk_fell_back(chunk, cpu ? "cpu" : "fail");
	if (!cpu) {
		/* Required engines failed it (-EIO), or none could take it. */
		offload_chunk_finish(chunk, chunk->error ? -EIO : -ENODEV,
				     &cs->failed);
		return;
	}
	for (i = chunk->first; i < chunk->first + chunk->nr; i++) {
		/* Machine-check safe: -EHWPOISON names the very pair. */
		err = offload_copy_pages_mc(folio_page(req->dst[i], 0),
					    folio_page(req->src[i], 0),
					    folio_nr_pages(req->src[i]));
		req->status[i] = err;
		failed += !!err;
		cond_resched();
	}
	/* Counted once per chunk, not with a locked add per folio. */
	if (chunk->nr > failed)
		atomic64_add(chunk->nr - failed, &cs->cpu);
	if (failed)
		atomic64_add(failed, &cs->failed);
}

/* Past the caller's deadline, see offload_req_set_deadline(). */
static bool offload_req_late(const struct offload_req *req)
{
	return req->has_deadline && time_after_eq(jiffies, req->deadline);
}

/*
 * Give up on a chunk whose engine missed its abort grace.  Its pairs are
 * reported (-EOWNERDEAD) while the engine keeps what it may still touch.
 */
static void offload_chunk_abandon(struct offload_req *req,
				  struct offload_chunk *chunk)
{
	u64 old = atomic64_read(&chunk->state);
	struct offload_engine *eng = chunk->eng;
	u32 ticket = (u32)old;
	u8 abort = chunk->abort;

	if (offload_state_bits(ticket) != OFFLOAD_CHUNK_ON_ENGINE)
		return;
	/* All set up before the engine can see the chunk abandoned. */
	offload_req_park(req, chunk);
	WRITE_ONCE(chunk->abort, OFFLOAD_ABORT_ABANDONED);
	do {
		if ((u32)old != ticket) {
			/* It completed after all: it is on the done list. */
			WRITE_ONCE(chunk->abort, abort);
			offload_req_unpark_chunk(req, chunk);
			return;
		}
	} while (!atomic64_try_cmpxchg(&chunk->state, &old,
				       (old & ~(u64)OFFLOAD_CHUNK_STATE_MASK) |
				       OFFLOAD_CHUNK_ABANDONED));

	/* The engine keeps its own room; its group gets its share back. */
	offload_unplace_group(eng, chunk);
	atomic64_inc(&eng->stats.abandoned);
	trace_offload_chunk_abandon(chunk);
	pr_warn_ratelimited("engine %s missed its abort grace: %u folios abandoned\n",
			    eng->name, chunk->nr);
	offload_engine_abandoned(eng);

	spin_lock_irq(&req->lock);
	chunk->status = -EOWNERDEAD;
	list_add_tail(&chunk->node, &req->done);
	spin_unlock_irq(&req->lock);
}

/*
 * Abort the chunks that are past their engine's timeout or the caller's
 * deadline; abandon those aborted that are past their grace too.
 */
static void offload_req_abort_late(struct offload_req *req)
{
	bool late = offload_req_late(req);
	struct offload_chunk *chunk;

	for (chunk = req->chunks; chunk < req->chunks + req->nr_chunks;
	     chunk++) {
		struct offload_engine *eng = chunk->eng;

		if (!offload_chunk_on_engine(chunk))
			continue;
		if (chunk->abort) {
			if (time_after_eq(jiffies, chunk->deadline))
				offload_chunk_abandon(req, chunk);
			continue;
		}
		if (!late && time_before(jiffies, chunk->deadline))
			continue;
		if (time_after_eq(jiffies, chunk->deadline)) {
			chunk->abort = OFFLOAD_ABORT_TIMEOUT;
		} else {
			chunk->abort = OFFLOAD_ABORT_DEADLINE;
			req->timed_out = true;
		}
		chunk->deadline = jiffies +
				  msecs_to_jiffies(OFFLOAD_ABORT_GRACE_MS);
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
		if (offload_chunk_on_engine(chunk)) {
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

static unsigned long offload_until(unsigned long when, unsigned long now)
{
	return time_after(when, now) ? when - now : 0;
}

/* Sleep until an engine completes a chunk or a deadline passes. */
static void offload_req_sleep(struct offload_req *req)
{
	unsigned long now = jiffies, timeout = MAX_SCHEDULE_TIMEOUT;
	struct offload_chunk *chunk;
	bool on_engine = false;

	for (chunk = req->chunks; chunk < req->chunks + req->nr_chunks;
	     chunk++) {
		if (!offload_chunk_on_engine(chunk))
			continue;
		on_engine = true;
		timeout = min(timeout, offload_until(chunk->deadline, now));
		if (req->has_deadline && !chunk->abort)
			timeout = min(timeout,
				      offload_until(req->deadline, now));
	}
	/* Engines full or refusing (require mode): poll for a slot. */
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
 * chunks aborted or abandoned.
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
			 * while engines are full, or fails it.
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
 * or fails in require mode.  An abort for a deadline is not the engine's
 * fault.
 *
 * Context: the submitter, before or between offload_req_next() calls.
 */
void offload_req_set_deadline(struct offload_req *req, unsigned long timeout)
{
	req->deadline = jiffies + timeout;
	req->has_deadline = true;
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
