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

static u64 offload_cost(const struct offload_engine *eng,
			const struct offload_chunk *chunk)
{
	const struct offload_req *req = chunk->req;
	u64 bytes = atomic64_read(&eng->outstanding) + chunk->bytes;
	unsigned int dist = offload_distance(eng->nid, req->src_nid) +
			    offload_distance(eng->nid, req->dst_nid);

	return div_u64(bytes * dist, eng->weight);
}

/**
 * offload_place - choose an engine for a chunk and reserve a slot on it
 * @req: the request
 * @chunk: a chunk of @req not on any engine
 *
 * On success the engine's in-flight count and outstanding bytes include
 * @chunk; offload_unplace() undoes that if the engine refuses the chunk.
 *
 * Context: any context; called by the submitter only.
 * Return: index of the engine in @req->engines, -EBUSY if every eligible
 * engine is at its in-flight limit, or -ENODEV if no engine is eligible:
 * the request has none (quarantined engines are left out when it is
 * submitted), all failed this chunk already, or the chunk is smaller than
 * their minimum batch.
 */
int offload_place(struct offload_req *req, struct offload_chunk *chunk)
{
	u64 cost, best_cost = U64_MAX;
	int i, best = -ENODEV;
	bool busy = false;

	for (i = 0; i < req->nr_engines; i++) {
		struct offload_engine *eng = req->engines[i];

		if (chunk->tried & BIT(i) ||
		    chunk->bytes >> PAGE_SHIFT < eng->min_batch)
			continue;
		if (atomic_read(&eng->inflight) >= eng->max_inflight) {
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

	/* Only the limit matters here: lose a race for the last slot, retry. */
	if (!atomic_add_unless(&req->engines[best]->inflight, 1,
			       req->engines[best]->max_inflight))
		return -EBUSY;
	atomic64_add(chunk->bytes, &req->engines[best]->outstanding);
	return best;
}

/**
 * offload_unplace - release the slot offload_place() reserved
 * @eng: the engine
 * @chunk: the chunk it did not take, or has completed
 *
 * Context: any context.
 */
void offload_unplace(struct offload_engine *eng, struct offload_chunk *chunk)
{
	atomic64_sub(chunk->bytes, &eng->outstanding);
	atomic_dec(&eng->inflight);
}
