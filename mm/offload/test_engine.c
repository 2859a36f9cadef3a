// SPDX-License-Identifier: GPL-2.0
/*
 * mm/offload test engines: copy engines whose behaviour a test chooses.
 *
 * A test engine copies with the CPU, the way a driver walks a chunk's
 * segments, and counts what it was given.  Its kind decides when it
 * completes a chunk: inside submit, from a work item (oldest or newest
 * first, after a settable delay), or only when the broker aborts it; it
 * can also fail every Nth chunk or refuse chunks.  The KUnit suites build
 * their fake engines on it, and the module's debugfs control
 * (test_engine_ctl.c) lets the guest tests create engines on any node.
 */

#include <linux/highmem.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/string.h>

#include "test_engine.h"

static struct offload_test_engine *to_test_engine(struct offload_engine *eng)
{
	return container_of(eng, struct offload_test_engine, eng);
}

static bool test_engine_queues(const struct offload_test_engine *te)
{
	return te->kind == OFFLOAD_TEST_DELAYED ||
	       te->kind == OFFLOAD_TEST_OUT_OF_ORDER ||
	       te->kind == OFFLOAD_TEST_NEVER;
}

/* Copy @chunk page by page, as a driver programs one descriptor a segment. */
static void test_engine_copy(struct offload_test_engine *te,
			     const struct offload_chunk *chunk)
{
	struct offload_seg seg;
	unsigned long pos = 0, flags;
	size_t longest = 0, off;

	while (offload_chunk_next_seg(chunk, &pos, &seg)) {
		for (off = 0; off < seg.len; off += PAGE_SIZE)
			memcpy_page(nth_page(seg.dst, off / PAGE_SIZE), 0,
				    nth_page(seg.src, off / PAGE_SIZE), 0,
				    min_t(size_t, seg.len - off, PAGE_SIZE));
		atomic_inc(&te->segs);
		atomic_long_add(seg.len, &te->seg_bytes);
		longest = max(longest, seg.len);
	}

	spin_lock_irqsave(&te->lock, flags);
	te->max_seg = max(te->max_seg, longest);
	spin_unlock_irqrestore(&te->lock, flags);
}

/* Copy or fail @chunk, which @te no longer queues, and report it. */
static void test_engine_complete(struct offload_test_engine *te,
				 struct offload_chunk *chunk)
{
	unsigned int every = READ_ONCE(te->fail_every);
	unsigned long flags;
	int status = 0;

	if (every && atomic_inc_return(&te->completed) % every == 0) {
		atomic_inc(&te->failed);
		status = READ_ONCE(te->fail_errno) ?: -EIO;
	} else {
		if (te->kind != OFFLOAD_TEST_NULL)
			test_engine_copy(te, chunk);
		atomic_add(chunk->nr, &te->folios);
	}

	spin_lock_irqsave(&te->lock, flags);
	te->inflight--;
	spin_unlock_irqrestore(&te->lock, flags);
	offload_chunk_complete(chunk, status);
}

static struct offload_chunk *test_engine_remove(struct offload_test_engine *te,
						unsigned int i)
{
	struct offload_chunk *chunk = te->queue[i];

	lockdep_assert_held(&te->lock);
	memmove(&te->queue[i], &te->queue[i + 1],
		(te->nr_queued - i - 1) * sizeof(te->queue[0]));
	te->nr_queued--;
	if (i < te->nr_issued)
		te->nr_issued--;
	return chunk;
}

static int test_engine_submit(struct offload_engine *eng,
			      struct offload_chunk *chunk)
{
	struct offload_test_engine *te = to_test_engine(eng);
	bool queue = test_engine_queues(te);
	unsigned long flags;

	spin_lock_irqsave(&te->lock, flags);
	if (READ_ONCE(te->reject) ||
	    (queue && te->nr_queued == OFFLOAD_TEST_QUEUE_LEN)) {
		spin_unlock_irqrestore(&te->lock, flags);
		atomic_inc(&te->rejected);
		return READ_ONCE(te->reject_errno) ?: -EBUSY;
	}
	if (queue)
		te->queue[te->nr_queued++] = chunk;
	te->inflight++;
	te->max_inflight_seen = max(te->max_inflight_seen, te->inflight);
	atomic_inc(&te->chunks);
	spin_unlock_irqrestore(&te->lock, flags);

	if (!queue)
		test_engine_complete(te, chunk);
	return 0;
}

static void test_engine_issue_pending(struct offload_engine *eng)
{
	struct offload_test_engine *te = to_test_engine(eng);
	unsigned long flags;

	spin_lock_irqsave(&te->lock, flags);
	te->nr_issued = te->nr_queued;
	spin_unlock_irqrestore(&te->lock, flags);

	if (te->kind == OFFLOAD_TEST_DELAYED)
		schedule_delayed_work(&te->work,
				      msecs_to_jiffies(te->delay_ms));
	else if (te->kind == OFFLOAD_TEST_OUT_OF_ORDER)
		schedule_delayed_work(&te->work, 0);
}

static void test_engine_abort(struct offload_engine *eng,
			      struct offload_chunk *chunk)
{
	struct offload_test_engine *te = to_test_engine(eng);
	bool found = false;
	unsigned long flags;
	unsigned int i;

	spin_lock_irqsave(&te->lock, flags);
	for (i = 0; i < te->nr_queued; i++) {
		if (te->queue[i] == chunk) {
			test_engine_remove(te, i);
			te->inflight--;
			found = true;
			break;
		}
	}
	spin_unlock_irqrestore(&te->lock, flags);

	/* Lost the race with the work item: it reports the chunk itself. */
	if (!found)
		return;
	atomic_inc(&te->aborted);
	offload_chunk_complete(chunk, -ECANCELED);
}

static const struct offload_engine_ops test_engine_ops = {
	.submit		= test_engine_submit,
	.issue_pending	= test_engine_issue_pending,
	.abort		= test_engine_abort,
};

/* Take an issued chunk off the queue, the oldest or the newest. */
static struct offload_chunk *test_engine_pop(struct offload_test_engine *te,
					     bool newest)
{
	struct offload_chunk *chunk = NULL;
	unsigned long flags;

	spin_lock_irqsave(&te->lock, flags);
	if (te->nr_issued)
		chunk = test_engine_remove(te, newest ? te->nr_issued - 1 : 0);
	spin_unlock_irqrestore(&te->lock, flags);
	return chunk;
}

static void test_engine_work(struct work_struct *work)
{
	struct offload_test_engine *te = container_of(to_delayed_work(work),
					      struct offload_test_engine, work);
	struct offload_chunk *chunk;

	while ((chunk = test_engine_pop(te, te->kind == OFFLOAD_TEST_OUT_OF_ORDER)))
		test_engine_complete(te, chunk);
}

/**
 * offload_test_engine_init - set up a test engine, not registered yet
 * @te: the engine, zeroed
 * @name: engine name
 * @kind: see &enum offload_test_kind
 * @nid: node of the engine, or NUMA_NO_NODE
 *
 * The caller may then set the engine's limits (@te->eng.min_batch, ...)
 * and the test knobs, and register @te->eng.
 *
 * Context: any context.
 */
void offload_test_engine_init(struct offload_test_engine *te, const char *name,
			      enum offload_test_kind kind, int nid)
{
	strscpy(te->eng.name, name, sizeof(te->eng.name));
	te->eng.ops = &test_engine_ops;
	te->eng.nid = nid;
	te->kind = kind;
	spin_lock_init(&te->lock);
	INIT_DELAYED_WORK(&te->work, test_engine_work);
}
EXPORT_SYMBOL_GPL(offload_test_engine_init);

/**
 * offload_test_engine_flush - wait for the engine's work item
 * @te: an unregistered engine
 *
 * After this the engine may be freed.
 *
 * Context: process context, sleeps.
 */
void offload_test_engine_flush(struct offload_test_engine *te)
{
	flush_delayed_work(&te->work);
}
EXPORT_SYMBOL_GPL(offload_test_engine_flush);
