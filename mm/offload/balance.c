// SPDX-License-Identifier: GPL-2.0
/*
 * mm/offload balancing: which engine copies a chunk.
 *
 * Like dmaengine's min_chan() this is "local first, least loaded", but it
 * weighs the work already queued: a chunk goes to the allowed engine that
 * would finish it first, estimated as
 *
 *	(bytes queued on the engine + bytes of the chunk) / weight
 *		* (distance(engine, source) + distance(engine, destination))
 *
 * so that an idle local engine wins, a busy local engine loses to an idle
 * remote one once its queue is long enough, and a faster engine (larger
 * weight) takes a larger share.  Ties go to the engine listed first in the
 * route.  A chunk that an engine failed goes to the next engine of the
 * route that has not failed it, in route order.
 *
 * Engines of one &struct offload_engine_group share their queue: its
 * bytes count for each of them, and its limits hold for all together.
 *
 * An engine takes no new chunk once it is quarantined (probes excepted),
 * being unregistered, or dead, even from requests that already hold it.
 */

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

static u64 offload_cost(const struct offload_engine *eng,
			const struct offload_chunk *chunk)
{
	const struct offload_req *req = chunk->req;
	u64 bytes = offload_queued_bytes(eng) + chunk->bytes;
	unsigned int dist = offload_distance(eng->nid, req->src_nid) +
			    offload_distance(eng->nid, req->dst_nid);

	return div_u64(bytes * dist, eng->weight);
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
		bad |= BIT(OFFLOAD_ENGINE_QUARANTINED);
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

	if (atomic_read(&eng->inflight) >= eng->max_inflight)
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

	if (!atomic_add_unless(&eng->inflight, 1, eng->max_inflight))
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
	bool busy = false;

	skip |= chunk->tried;
	for (i = 0; i < req->nr_engines; i++) {
		struct offload_engine *eng = req->engines[i];

		if (skip & BIT_ULL(i) || !offload_engine_usable(eng, req) ||
		    chunk->bytes >> PAGE_SHIFT < eng->min_batch ||
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
