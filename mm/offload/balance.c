// SPDX-License-Identifier: GPL-2.0
/*
 * mm/offload balancing: which engine copies a chunk.
 *
 * Like dmaengine's min_chan() this is "local first, least loaded", but it
 * weighs the work already queued: a chunk goes to the allowed engine that
 * would finish it first, estimated as
 *
 *	(bytes queued on the engine + bytes of the chunk) / rate
 *		* (distance(engine, source) + distance(engine, destination))
 *
 * so that an idle local engine wins, a busy local engine loses to an idle
 * remote one once its queue is long enough, and a faster engine takes a
 * larger share, in proportion to its rate.  Ties go to the engine listed
 * first in the route.  A chunk that an engine failed goes to the next
 * engine of the route that has not failed it, in route order.
 *
 * The rate is the engine's weight (100 for 1 GB/s) if it has one, else
 * the throughput the broker measured: the bytes of the chunks it copied
 * over the time it was busy copying them, that is from a chunk's
 * submission or the previous completion, whichever came later, to its
 * completion; so several chunks in flight at once (channels, threads)
 * count as the throughput they give together.  The sums decay by half
 * every %OFFLOAD_RATE_WINDOW_NS of busy time, so the rate follows an
 * engine that slows down or speeds up within a few windows.  Until the
 * first completion the default weight stands in.
 *
 * Engines of one &struct offload_engine_group share their queue: its
 * bytes count for each of them, and its limits hold for all together.
 *
 * An engine takes no new chunk once it is quarantined (probes excepted),
 * being unregistered, or dead, even from requests that already hold it.
 */

#include <kunit/visibility.h>
#include <linux/math64.h>
#include <linux/topology.h>

#include "internal.h"

static unsigned int offload_distance(int eng_nid, int nid)
{
	if (eng_nid == NUMA_NO_NODE || nid == NUMA_NO_NODE)
		return REMOTE_DISTANCE;
	return node_distance(eng_nid, nid);
}

/**
 * offload_queued_bytes - bytes queued where an engine would queue a chunk
 * @eng: the engine
 *
 * Context: any context.
 * Return: the bytes its group holds, or the engine itself if ungrouped.
 */
u64 offload_queued_bytes(const struct offload_engine *eng)
{
	if (eng->group)
		return atomic64_read(&eng->group->outstanding);
	return atomic64_read(&eng->outstanding);
}

/* Bytes per millisecond that a weight of 1 stands for: 100 is 1 GB/s. */
#define OFFLOAD_RATE_PER_WEIGHT		10000ULL

/* Busy time after which the measured sums decay by half. */
#define OFFLOAD_RATE_WINDOW_NS		(20 * NSEC_PER_MSEC)

/* Shortest busy time a completion counts, against clock granularity. */
#define OFFLOAD_RATE_MIN_NS		1000

/**
 * offload_engine_rate - the throughput the balancer assumes for an engine
 * @eng: the engine
 *
 * Context: any context.
 * Return: bytes per millisecond, never 0.
 */
u64 offload_engine_rate(const struct offload_engine *eng)
{
	unsigned int weight = READ_ONCE(eng->weight);

	if (weight)
		return weight * OFFLOAD_RATE_PER_WEIGHT;
	return (u64)atomic64_read(&eng->rate) ?:
	       OFFLOAD_ENGINE_WEIGHT_DEFAULT * OFFLOAD_RATE_PER_WEIGHT;
}
EXPORT_SYMBOL_IF_KUNIT(offload_engine_rate);

/**
 * offload_engine_measure - count a chunk an engine copied in its rate
 * @eng: the engine
 * @chunk: the chunk it completed without error
 * @now: ktime_get_ns() at the completion
 *
 * Completions race: the sums are updated without a lock, and a decay or
 * a sample lost to a race only makes the estimate a little noisier.
 *
 * Context: any context (the engine's completion).
 */
void offload_engine_measure(struct offload_engine *eng,
			    const struct offload_chunk *chunk, u64 now)
{
	u64 start = max_t(u64, atomic64_xchg(&eng->last_done, now),
			  chunk->submitted);
	u64 ns = now > start ? now - start : 0;
	u64 bytes, busy;

	ns = max_t(u64, ns, OFFLOAD_RATE_MIN_NS);
	bytes = atomic64_add_return(chunk->bytes, &eng->meas_bytes);
	busy = atomic64_add_return(ns, &eng->meas_ns);
	if ((s64)bytes <= 0 || (s64)busy <= 0) {
		/* Racing decays took too much: start again. */
		bytes = chunk->bytes;
		busy = ns;
		atomic64_set(&eng->meas_bytes, bytes);
		atomic64_set(&eng->meas_ns, busy);
	}
	atomic64_set(&eng->rate,
		     max_t(u64, div64_u64(bytes * NSEC_PER_MSEC, busy), 1));
	if (busy > OFFLOAD_RATE_WINDOW_NS) {
		atomic64_sub(bytes / 2, &eng->meas_bytes);
		atomic64_sub(busy / 2, &eng->meas_ns);
	}
}

static u64 offload_cost(const struct offload_engine *eng,
			const struct offload_chunk *chunk)
{
	const struct offload_req *req = chunk->req;
	u64 bytes = offload_queued_bytes(eng) + chunk->bytes;
	unsigned int dist = offload_distance(eng->nid, req->src_nid) +
			    offload_distance(eng->nid, req->dst_nid);

	/* Scaled so that a page on a 100 GB/s engine still costs > 1. */
	return mul_u64_u64_div_u64(bytes * dist, 1ULL << 20,
				   offload_engine_rate(eng));
}

/**
 * offload_engine_usable - whether an engine may get work from a request
 * @eng: an engine the request holds, or a registered one
 * @req: the request
 *
 * Context: any context.
 * Return: true if it may.
 */
bool offload_engine_usable(const struct offload_engine *eng,
			   const struct offload_req *req)
{
	unsigned long bad = BIT(OFFLOAD_ENGINE_DYING) | BIT(OFFLOAD_ENGINE_DEAD);

	if (!req->probe) {
		bad |= BIT(OFFLOAD_ENGINE_QUARANTINED) |
		       BIT(OFFLOAD_ENGINE_DISABLED);
		/* Only trusted devices copy what a require route protects. */
		if (req->mode == OFFLOAD_MODE_REQUIRE &&
		    (eng->caps & OFFLOAD_CAP_CPU))
			return false;
	}
	return !(READ_ONCE(eng->flags) & bad) &&
	       eng->chunk_priv_size <= req->priv_size;
}

/* Whether the engine has room for @bytes more in one chunk more. */
static bool offload_has_room(const struct offload_engine *eng, size_t bytes)
{
	const struct offload_engine_group *grp = eng->group;

	if (atomic_read(&eng->inflight) >= READ_ONCE(eng->max_inflight))
		return false;
	if (eng->max_inflight_bytes && atomic64_read(&eng->outstanding) &&
	    atomic64_read(&eng->outstanding) + bytes > eng->max_inflight_bytes)
		return false;
	if (!grp)
		return true;
	if (grp->max_inflight &&
	    atomic_read(&grp->inflight) >= grp->max_inflight)
		return false;
	return !grp->max_bytes || !atomic64_read(&grp->outstanding) ||
	       atomic64_read(&grp->outstanding) + bytes <= grp->max_bytes;
}

/* Reserve room on @eng: false if another submitter took it first. */
static bool offload_reserve(struct offload_engine *eng, size_t bytes)
{
	struct offload_engine_group *grp = eng->group;

	if (!atomic_add_unless(&eng->inflight, 1, READ_ONCE(eng->max_inflight)))
		return false;
	if (grp && grp->max_inflight &&
	    !atomic_add_unless(&grp->inflight, 1, grp->max_inflight)) {
		atomic_dec(&eng->inflight);
		return false;
	}
	if (grp && !grp->max_inflight)
		atomic_inc(&grp->inflight);
	/* Byte limits are soft: a race may overshoot them by a chunk. */
	atomic64_add(bytes, &eng->outstanding);
	if (grp)
		atomic64_add(bytes, &grp->outstanding);
	return true;
}

/**
 * offload_place - choose an engine for a chunk and reserve room on it
 * @req: the request
 * @chunk: a chunk of @req not on any engine
 * @skip: engines of @req (by index) not to consider, e.g. those that
 *	refused a chunk in this round
 *
 * On success the engine's (and its group's) in-flight count and queued
 * bytes include @chunk; offload_unplace() undoes that.
 *
 * Context: any context; called by the submitter only.
 * Return: index of the engine in @req->engines, -EBUSY if every eligible
 * engine is full, or -ENODEV if no engine is eligible: none usable, all
 * failed this chunk already or are skipped, or the chunk is smaller than
 * their minimum batch or larger than their maximum.
 */
int offload_place(struct offload_req *req, struct offload_chunk *chunk,
		  u64 skip)
{
	u64 cost, best_cost = U64_MAX;
	int i, best = -ENODEV;
	bool busy = false, costed = false;

	skip |= chunk->tried;
	for (i = 0; i < req->nr_engines; i++) {
		struct offload_engine *eng = req->engines[i];

		if (skip & BIT_ULL(i) || !offload_engine_usable(eng, req) ||
		    chunk->bytes >> PAGE_SHIFT < READ_ONCE(eng->min_batch) ||
		    (eng->max_chunk_bytes && chunk->nr > 1 &&
		     chunk->bytes > eng->max_chunk_bytes))
			continue;
		if (!offload_has_room(eng, chunk->bytes)) {
			busy = true;
			continue;
		}
		if (chunk->tried) {
			best = i;
			break;
		}
		/* A lone candidate needs no cost: only compare when two are. */
		if (best < 0) {
			best = i;
			continue;
		}
		if (!costed) {
			best_cost = offload_cost(req->engines[best], chunk);
			costed = true;
		}
		cost = offload_cost(eng, chunk);
		if (cost < best_cost) {
			best_cost = cost;
			best = i;
		}
	}
	if (best < 0)
		return busy ? -EBUSY : -ENODEV;
	/* Lost a race for the last slot: try again later. */
	if (!offload_reserve(req->engines[best], chunk->bytes))
		return -EBUSY;
	return best;
}

/**
 * offload_unplace_group - release the room a chunk took in its engine's group
 * @eng: the engine
 * @chunk: the chunk
 *
 * An abandoned chunk gives its group's room back at once, so that the
 * other engines of the group are not held up by a stuck one.
 *
 * Context: any context.
 */
void offload_unplace_group(struct offload_engine *eng,
			   struct offload_chunk *chunk)
{
	struct offload_engine_group *grp = eng->group;

	if (grp) {
		atomic64_sub(chunk->bytes, &grp->outstanding);
		atomic_dec(&grp->inflight);
	}
}

/**
 * offload_unplace_engine - release the room a chunk took on its engine
 * @eng: the engine
 * @chunk: the chunk
 *
 * Context: any context.
 */
void offload_unplace_engine(struct offload_engine *eng,
			    struct offload_chunk *chunk)
{
	atomic64_sub(chunk->bytes, &eng->outstanding);
	atomic_dec(&eng->inflight);
}

/**
 * offload_unplace - release the room offload_place() reserved
 * @eng: the engine
 * @chunk: the chunk it did not take, or has completed
 *
 * Context: any context.
 */
void offload_unplace(struct offload_engine *eng, struct offload_chunk *chunk)
{
	offload_unplace_group(eng, chunk);
	offload_unplace_engine(eng, chunk);
}
