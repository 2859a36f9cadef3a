// SPDX-License-Identifier: GPL-2.0
/*
 * mm/offload request memory: allocation, a reserve for reclaim, and the
 * parking of requests whose chunks were abandoned.
 *
 * Page migration allocates a request per batch, from contexts that are
 * reclaiming memory (kswapd and direct reclaim demote, compaction defrags).
 * So a request is made of pieces that are each at most an order-1
 * allocation for the largest migration batch (512 pairs): the request with
 * its engine table, the chunks, their engines' private areas, and the
 * source, destination and status arrays.  Allocations never dip into the
 * reserves of PF_MEMALLOC (__GFP_NOMEMALLOC).  When they fail, a caller
 * that cannot block takes one of a few requests preallocated at boot; a
 * request that cannot be had at all is counted in its class's @nomem.
 *
 * A chunk that an engine still holds after its abort grace is abandoned
 * (request.c): the engine may still read its sources and write its
 * destinations, and will touch the chunk when it finally completes it.
 * The request keeps a reference for every abandoned chunk, on the chunk's
 * engine, sources and destinations, and stays on offload_parked while any
 * is out.  Each late completion has a work item release what its chunk
 * held; the last reference, the owner's or a chunk's, frees the request.
 * A chunk never completed keeps its request parked for good, where debugfs
 * and kmemleak can still see it.
 */

#define pr_fmt(fmt) "mm/offload: " fmt

#include <kunit/static_stub.h>
#include <kunit/visibility.h>
#include <linux/init.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/spinlock.h>

#include "internal.h"

/* Preallocated requests, and the batch they can hold. */
#define OFFLOAD_REQ_RESERVE		2
#define OFFLOAD_REQ_RESERVE_PAIRS	512

static struct offload_req *offload_reserve[OFFLOAD_REQ_RESERVE];
static DEFINE_SPINLOCK(offload_reserve_lock);

/* Requests with abandoned chunks, until their engines complete them. */
static LIST_HEAD(offload_parked);
static DEFINE_SPINLOCK(offload_parked_lock);

/* Largest chunk_priv_size of the engines registered so far. */
static unsigned int offload_priv_size;

/**
 * offload_req_note_priv - make room for an engine's private chunk area
 * @size: its chunk_priv_size
 *
 * Requests allocated from now on have that much room per chunk; older
 * ones leave the engine out.
 *
 * Context: any context.
 */
void offload_req_note_priv(unsigned int size)
{
	unsigned int old = READ_ONCE(offload_priv_size);

	while (size > old) {
		unsigned int seen = cmpxchg(&offload_priv_size, old, size);

		if (seen == old)
			break;
		old = seen;
	}
}

static struct offload_req *offload_reserve_take(void)
{
	struct offload_req *req = NULL;
	unsigned long flags;
	int i;

	spin_lock_irqsave(&offload_reserve_lock, flags);
	for (i = 0; i < OFFLOAD_REQ_RESERVE && !req; i++)
		swap(req, offload_reserve[i]);
	spin_unlock_irqrestore(&offload_reserve_lock, flags);
	return req;
}

static void offload_reserve_put(struct offload_req *req)
{
	unsigned long flags;
	int i;

	refcount_set(&req->refs, 1);
	spin_lock_irqsave(&offload_reserve_lock, flags);
	for (i = 0; i < OFFLOAD_REQ_RESERVE && req; i++)
		if (!offload_reserve[i])
			swap(req, offload_reserve[i]);
	spin_unlock_irqrestore(&offload_reserve_lock, flags);
	WARN_ON_ONCE(req);
}

/* Free the pieces of a request, or give a preallocated one back. */
static void offload_req_destroy(struct offload_req *req)
{
	if (req->reserve) {
		offload_reserve_put(req);
		return;
	}
	kfree(req->status);
	kfree(req->dst);
	kfree(req->src);
	kfree(req->chunks ? req->chunks[0].priv : NULL);
	kfree(req->chunks);
	kfree(req);
}

VISIBLE_IF_KUNIT struct offload_req *
offload_req_create(unsigned int max, unsigned int priv_size, gfp_t gfp)
{
	unsigned int i, nr_chunks = clamp(max, 1U, OFFLOAD_REQ_MAX_CHUNKS);
	struct offload_req *req;
	char *priv;

	KUNIT_STATIC_STUB_REDIRECT(offload_req_create, max, priv_size, gfp);
	priv_size = ALIGN(priv_size, sizeof(long));
	req = kzalloc(sizeof(*req), gfp);
	if (!req)
		return NULL;
	req->chunks = kcalloc(nr_chunks, sizeof(*req->chunks), gfp);
	priv = kmalloc_array(nr_chunks, max(priv_size, 1U), gfp);
	req->src = kmalloc_array(max, sizeof(*req->src), gfp);
	req->dst = kmalloc_array(max, sizeof(*req->dst), gfp);
	req->status = kmalloc_array(max, sizeof(*req->status), gfp);
	if (!req->chunks || !priv || !req->src || !req->dst || !req->status) {
		if (req->chunks)
			req->chunks[0].priv = priv;
		else
			kfree(priv);
		offload_req_destroy(req);
		return NULL;
	}
	for (i = 0; i < nr_chunks; i++)
		req->chunks[i].priv = priv + i * priv_size;
	req->max = max;
	req->max_chunks = nr_chunks;
	req->priv_size = priv_size;
	spin_lock_init(&req->lock);
	init_waitqueue_head(&req->wait);
	INIT_LIST_HEAD(&req->done);
	INIT_LIST_HEAD(&req->pending);
	INIT_LIST_HEAD(&req->parked);
	refcount_set(&req->refs, 1);
	return req;
}
EXPORT_SYMBOL_IF_KUNIT(offload_req_create);

/**
 * offload_req_alloc - allocate a request
 * @class: the copy class the request is for, to count a failure
 * @max: most folio pairs the request will hold
 * @gfp: allocation flags the caller's context allows
 *
 * The request can be reused for any number of submissions, each starting
 * with offload_req_init().  If @gfp does not allow blocking (reclaim) and
 * memory is short, a preallocated request may be returned.
 *
 * Context: as allowed by @gfp.
 * Return: the request, or NULL.
 */
struct offload_req *offload_req_alloc(unsigned int class, unsigned int max,
				      gfp_t gfp)
{
	bool may_reserve = !gfpflags_allow_blocking(gfp) &&
			   max <= OFFLOAD_REQ_RESERVE_PAIRS;
	struct offload_req *req;

	if (may_reserve)
		gfp |= __GFP_NOWARN;
	req = offload_req_create(max, READ_ONCE(offload_priv_size),
				 gfp | __GFP_NOMEMALLOC);
	if (!req && may_reserve)
		req = offload_reserve_take();
	if (req)
		return req;
	atomic64_inc(&offload_class_stats[min(class, OFFLOAD_CLASS_PROBE)].nomem);
	return NULL;
}
EXPORT_SYMBOL_GPL(offload_req_alloc);

/*
 * Whether a chunk of @req is still abandoned on its engine.  A chunk that
 * was abandoned keeps its mark until the request is submitted again; its
 * state tells whether its engine has let go.
 */
static bool offload_req_has_abandoned(struct offload_req *req)
{
	struct offload_chunk *chunk;

	for (chunk = req->chunks; chunk < req->chunks + req->nr_chunks;
	     chunk++)
		if (READ_ONCE(chunk->abort) == OFFLOAD_ABORT_ABANDONED &&
		    offload_state_bits(atomic64_read(&chunk->state)) ==
		    OFFLOAD_CHUNK_ABANDONED)
			return true;
	return false;
}

/* Take @req off the parked list if no chunk of it is abandoned any more. */
static void offload_req_unlist(struct offload_req *req)
{
	spin_lock_irq(&offload_parked_lock);
	if (!offload_req_has_abandoned(req))
		list_del_init(&req->parked);
	spin_unlock_irq(&offload_parked_lock);
}

/* Drop what offload_req_park() took for @chunk; the request goes last. */
static void offload_req_release_chunk(struct offload_req *req,
				      struct offload_chunk *chunk)
{
	unsigned int i;

	for (i = chunk->first; i < chunk->first + chunk->nr; i++) {
		folio_put(req->src[i]);
		folio_put(req->dst[i]);
	}
	offload_engine_put(chunk->eng);
}

/*
 * Abandoned chunks their engines completed at last, and the work item
 * that releases them.  Both are global: a work item inside the request
 * could not free the request it is part of while a second late
 * completion queues it again.
 */
static LLIST_HEAD(offload_late);

static void offload_late_work(struct work_struct *work)
{
	struct llist_node *late = llist_del_all(&offload_late);
	struct offload_chunk *chunk, *tmp;
	struct offload_req *req;

	llist_for_each_entry_safe(chunk, tmp, late, late) {
		req = chunk->req;
		offload_req_release_chunk(req, chunk);
		offload_req_unlist(req);
		if (refcount_dec_and_test(&req->refs))
			offload_req_destroy(req);
	}
}

static DECLARE_WORK(offload_late_release, offload_late_work);

/**
 * offload_req_free - free a request
 * @req: a request that is not submitted, was declined, or has been
 *	completely reported by offload_req_next(); may be NULL
 *
 * A request with abandoned chunks is only released once their engine has
 * completed them, but the caller is done with it either way.
 *
 * Context: process context.
 */
void offload_req_free(struct offload_req *req)
{
	if (!req)
		return;
	/* Engines may still write to it: leak it rather than corrupt memory. */
	if (WARN_ON_ONCE(req->remaining))
		return;
	/* With abandoned chunks, it goes when the last one is back. */
	if (refcount_dec_and_test(&req->refs))
		offload_req_destroy(req);
}
EXPORT_SYMBOL_GPL(offload_req_free);

/**
 * offload_req_park - keep what an engine may still touch of a chunk
 * @req: the request
 * @chunk: a chunk of @req that its engine may still read and write
 *
 * Takes a reference on the request (whose memory the engine touches when
 * it completes the chunk), on the chunk's engine and on each of its source
 * and destination folios, so that none is freed or reused while the engine
 * may still copy.  All are dropped once the engine completes the chunk.
 *
 * Context: process context, the submitter.
 */
void offload_req_park(struct offload_req *req, struct offload_chunk *chunk)
{
	unsigned int i;

	refcount_inc(&req->refs);
	offload_engine_hold(chunk->eng);
	for (i = chunk->first; i < chunk->first + chunk->nr; i++) {
		folio_get(req->src[i]);
		folio_get(req->dst[i]);
	}

	spin_lock_irq(&offload_parked_lock);
	if (list_empty(&req->parked))
		list_add_tail(&req->parked, &offload_parked);
	spin_unlock_irq(&offload_parked_lock);
}

/**
 * offload_req_unpark_chunk - undo offload_req_park() for a chunk
 * @req: the request
 * @chunk: the chunk, which its engine completed before it was abandoned
 *
 * Context: process context, the submitter, which still owns @req.
 */
void offload_req_unpark_chunk(struct offload_req *req,
			      struct offload_chunk *chunk)
{
	offload_req_release_chunk(req, chunk);
	offload_req_unlist(req);
	/* Not the last reference: the owner holds one. */
	refcount_dec(&req->refs);
}

/**
 * offload_req_unpark - an engine completed an abandoned chunk at last
 * @chunk: the chunk
 *
 * What the broker kept for the chunk is released from a work item.
 *
 * Context: any context.
 */
void offload_req_unpark(struct offload_chunk *chunk)
{
	llist_add(&chunk->late, &offload_late);
	queue_work(system_unbound_wq, &offload_late_release);
}

/**
 * offload_req_parked_count - requests waiting for abandoned chunks
 *
 * Context: any context.
 * Return: their number.
 */
unsigned int offload_req_parked_count(void)
{
	struct offload_req *req;
	unsigned int n = 0;

	spin_lock_irq(&offload_parked_lock);
	list_for_each_entry(req, &offload_parked, parked)
		n++;
	spin_unlock_irq(&offload_parked_lock);
	return n;
}
EXPORT_SYMBOL_IF_KUNIT(offload_req_parked_count);

static int __init offload_reserve_init(void)
{
	struct offload_req *req;
	int i;

	for (i = 0; i < OFFLOAD_REQ_RESERVE; i++) {
		req = offload_req_create(OFFLOAD_REQ_RESERVE_PAIRS,
					 OFFLOAD_CHUNK_PRIV_MAX, GFP_KERNEL);
		if (!req)
			break;
		req->reserve = true;
		offload_reserve[i] = req;
	}
	return 0;
}
subsys_initcall(offload_reserve_init);
