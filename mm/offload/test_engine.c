// SPDX-License-Identifier: GPL-2.0
/*
 * mm/offload test engines: copy engines whose behaviour a test chooses.
 *
 * A test engine copies with the CPU, the way a driver walks a chunk's
 * segments, and counts what it was given.  Its kind decides when and in
 * which context it completes a chunk: inside submit, from a work item
 * (oldest or newest first, after a settable delay), from an hrtimer (hard
 * interrupt) or a BH work item (softirq), only when the broker aborts it,
 * or never (a broken engine that ignores aborts).  Knobs make it fail
 * every Nth chunk, refuse chunks, work through a backlog one chunk at a
 * time, complete a chunk in one part per segment, reset itself on abort,
 * and send stale or double completions.  The KUnit suites build their
 * fake engines on it, and the module's debugfs control (test_engine_ctl.c)
 * lets the guest tests create engines on any node.
 */

#include <linux/highmem.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/string.h>

#include "internal.h"
#include "test_engine.h"

static struct offload_test_engine *to_test_engine(struct offload_engine *eng)
{
	return container_of(eng, struct offload_test_engine, eng);
}

static bool test_engine_queues(const struct offload_test_engine *te)
{
	return te->kind != OFFLOAD_TEST_INSTANT && te->kind != OFFLOAD_TEST_NULL;
}

static void test_engine_copy_seg(struct offload_test_engine *te,
				 const struct offload_seg *seg, size_t *longest)
{
	size_t off;

	for (off = 0; off < seg->len; off += PAGE_SIZE)
		memcpy_page(nth_page(seg->dst, off / PAGE_SIZE), 0,
			    nth_page(seg->src, off / PAGE_SIZE), 0,
			    min_t(size_t, seg->len - off, PAGE_SIZE));
	atomic_inc(&te->segs);
	atomic_long_add(seg->len, &te->seg_bytes);
	*longest = max(*longest, seg->len);
}

/*
 * Copy @chunk segment by segment, as a driver programs one descriptor a
 * segment: in order with the cursor, or by index for a per-segment engine.
 */
static void test_engine_copy(struct offload_test_engine *te,
			     const struct offload_chunk *chunk)
{
	struct offload_seg seg;
	unsigned long pos = 0, flags;
	size_t longest = 0;
	unsigned int i;

	if (te->per_seg) {
		for (i = chunk->nr_segs; i--; ) {
			offload_chunk_seg(chunk, i, &seg);
			test_engine_copy_seg(te, &seg, &longest);
		}
	} else {
		while (offload_chunk_next_seg(chunk, &pos, &seg))
			test_engine_copy_seg(te, &seg, &longest);
	}

	spin_lock_irqsave(&te->lock, flags);
	te->max_seg = max(te->max_seg, longest);
	spin_unlock_irqrestore(&te->lock, flags);
}

/* Tell the broker, the way the knobs say. */
static void test_engine_report(struct offload_test_engine *te,
			       struct offload_test_held h, int status)
{
	unsigned int part, parts = te->per_seg ? h.chunk->nr_segs : 1;

	te->last = h;
	if (in_hardirq())
		atomic_inc(&te->in_hardirq);
	else if (in_serving_softirq())
		atomic_inc(&te->in_softirq);
	if (te->stale)
		offload_chunk_complete(h.chunk, h.ticket - OFFLOAD_CHUNK_GEN_ONE,
				       0);
	/* An error comes with the first part, the last one ends the chunk. */
	for (part = 0; part < parts; part++)
		offload_chunk_complete(h.chunk, h.ticket, part ? 0 : status);
	/* Safe only from submit, where the broker cannot reuse the chunk. */
	if (te->twice)
		offload_chunk_complete(h.chunk, h.ticket, status);
}

/* Copy or fail a chunk that @te no longer queues, and report it. */
static void test_engine_finish(struct offload_test_engine *te,
			       struct offload_test_held h)
{
	unsigned int every = READ_ONCE(te->fail_every);
	unsigned long flags;
	int status = 0;

	if (every && atomic_inc_return(&te->completed) % every == 0) {
		atomic_inc(&te->failed);
		status = READ_ONCE(te->fail_errno) ?: -EIO;
	} else {
		if (te->kind != OFFLOAD_TEST_NULL)
			test_engine_copy(te, h.chunk);
		atomic_add(h.chunk->nr, &te->folios);
	}

	spin_lock_irqsave(&te->lock, flags);
	te->inflight--;
	spin_unlock_irqrestore(&te->lock, flags);
	test_engine_report(te, h, status);
}

static struct offload_test_held test_engine_remove(struct offload_test_engine *te,
						   unsigned int i)
{
	struct offload_test_held h = te->queue[i];

	lockdep_assert_held(&te->lock);
	memmove(&te->queue[i], &te->queue[i + 1],
		(te->nr_queued - i - 1) * sizeof(te->queue[0]));
	te->nr_queued--;
	if (i < te->nr_issued)
		te->nr_issued--;
	return h;
}

static int test_engine_submit(struct offload_engine *eng,
			      struct offload_chunk *chunk)
{
	struct offload_test_engine *te = to_test_engine(eng);
	struct offload_test_held h = {
		.chunk	= chunk,
		.ticket	= offload_chunk_ticket(chunk),
	};
	bool queue = test_engine_queues(te);
	unsigned long flags;

	spin_lock_irqsave(&te->lock, flags);
	if (READ_ONCE(te->reject) ||
	    (queue && te->nr_queued == OFFLOAD_TEST_QUEUE_LEN)) {
		spin_unlock_irqrestore(&te->lock, flags);
		atomic_inc(&te->rejected);
		return READ_ONCE(te->reject_errno) ?: -EBUSY;
	}
	if (te->per_seg)
		offload_chunk_set_parts(chunk, chunk->nr_segs);
	if (queue)
		te->queue[te->nr_queued++] = h;
	te->inflight++;
	te->max_inflight_seen = max(te->max_inflight_seen, te->inflight);
	atomic_inc(&te->chunks);
	spin_unlock_irqrestore(&te->lock, flags);

	if (!queue)
		test_engine_finish(te, h);
	return 0;
}

static void test_engine_issue_pending(struct offload_engine *eng)
{
	struct offload_test_engine *te = to_test_engine(eng);
	unsigned long flags;

	spin_lock_irqsave(&te->lock, flags);
	te->nr_issued = te->nr_queued;
	spin_unlock_irqrestore(&te->lock, flags);

	switch (te->kind) {
	case OFFLOAD_TEST_DELAYED:
		schedule_delayed_work(&te->work,
				      msecs_to_jiffies(te->delay_ms));
		break;
	case OFFLOAD_TEST_OUT_OF_ORDER:
		schedule_delayed_work(&te->work, 0);
		break;
	case OFFLOAD_TEST_HARDIRQ:
		hrtimer_start(&te->timer, ms_to_ktime(te->delay_ms),
			      HRTIMER_MODE_REL_HARD);
		break;
	case OFFLOAD_TEST_SOFTIRQ:
		queue_work(system_bh_wq, &te->bh_work);
		break;
	default:
		break;
	}
}

/* Take the first held chunk that @chunk's abort cancels, if any. */
static bool test_engine_take(struct offload_test_engine *te,
			     struct offload_chunk *chunk,
			     struct offload_test_held *h)
{
	unsigned long flags;
	unsigned int i;
	bool found = false;

	spin_lock_irqsave(&te->lock, flags);
	for (i = 0; i < te->nr_queued && !found; i++) {
		if (te->reset_on_abort || te->queue[i].chunk == chunk) {
			*h = test_engine_remove(te, i);
			te->inflight--;
			found = true;
		}
	}
	spin_unlock_irqrestore(&te->lock, flags);
	return found;
}

static void test_engine_abort(struct offload_engine *eng,
			      struct offload_chunk *chunk)
{
	struct offload_test_engine *te = to_test_engine(eng);
	struct offload_test_held h;

	if (te->kind == OFFLOAD_TEST_STUCK)
		return;
	/*
	 * What is not found lost the race with the completion, which
	 * reports the chunk itself.
	 */
	while (test_engine_take(te, chunk, &h)) {
		atomic_inc(&te->aborted);
		test_engine_report(te, h, -ECANCELED);
	}
}

static const struct offload_engine_ops test_engine_ops = {
	.submit		= test_engine_submit,
	.issue_pending	= test_engine_issue_pending,
	.abort		= test_engine_abort,
};

/* Take an issued chunk off the queue, the oldest or the newest. */
static bool test_engine_pop(struct offload_test_engine *te, bool newest,
			    struct offload_test_held *h)
{
	unsigned long flags;
	bool found;

	spin_lock_irqsave(&te->lock, flags);
	found = te->nr_issued;
	if (found)
		*h = test_engine_remove(te, newest ? te->nr_issued - 1 : 0);
	spin_unlock_irqrestore(&te->lock, flags);
	return found;
}

/* Complete the issued chunks, or only the oldest for a serial engine. */
static bool test_engine_run(struct offload_test_engine *te)
{
	bool newest = te->kind == OFFLOAD_TEST_OUT_OF_ORDER;
	struct offload_test_held h;

	while (test_engine_pop(te, newest, &h)) {
		test_engine_finish(te, h);
		if (te->serial)
			return READ_ONCE(te->nr_issued);
	}
	return false;
}

static void test_engine_work(struct work_struct *work)
{
	struct offload_test_engine *te = container_of(to_delayed_work(work),
					      struct offload_test_engine, work);

	if (test_engine_run(te))
		schedule_delayed_work(&te->work,
				      msecs_to_jiffies(te->delay_ms));
}

static void test_engine_bh_work(struct work_struct *work)
{
	test_engine_run(container_of(work, struct offload_test_engine,
				     bh_work));
}

static enum hrtimer_restart test_engine_timer(struct hrtimer *timer)
{
	struct offload_test_engine *te = container_of(timer,
					      struct offload_test_engine, timer);

	if (!test_engine_run(te))
		return HRTIMER_NORESTART;
	hrtimer_forward_now(timer, ms_to_ktime(te->delay_ms));
	return HRTIMER_RESTART;
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
	/* A set rate keeps tests deterministic; 0 asks for a measured one. */
	te->eng.weight = OFFLOAD_ENGINE_WEIGHT_DEFAULT;
	te->kind = kind;
	spin_lock_init(&te->lock);
	INIT_DELAYED_WORK(&te->work, test_engine_work);
	INIT_WORK(&te->bh_work, test_engine_bh_work);
	hrtimer_init(&te->timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL_HARD);
	te->timer.function = test_engine_timer;
}
EXPORT_SYMBOL_GPL(offload_test_engine_init);

/**
 * offload_test_engine_release - complete every chunk a test engine holds
 * @te: the engine, typically %OFFLOAD_TEST_STUCK
 * @status: 0 to copy and complete them (late writes to their
 *	destinations), or the error to fail them with
 *
 * Context: process context.
 */
void offload_test_engine_release(struct offload_test_engine *te, int status)
{
	struct offload_test_held h;
	unsigned long flags;

	for (;;) {
		spin_lock_irqsave(&te->lock, flags);
		if (!te->nr_queued) {
			spin_unlock_irqrestore(&te->lock, flags);
			return;
		}
		h = test_engine_remove(te, 0);
		if (status)
			te->inflight--;
		spin_unlock_irqrestore(&te->lock, flags);
		if (status)
			test_engine_report(te, h, status);
		else
			test_engine_finish(te, h);
	}
}
EXPORT_SYMBOL_GPL(offload_test_engine_release);

/**
 * offload_test_engine_flush - wait for the engine's work items and timer
 * @te: an unregistered engine
 *
 * After this the engine may be freed.
 *
 * Context: process context, sleeps.
 */
void offload_test_engine_flush(struct offload_test_engine *te)
{
	flush_delayed_work(&te->work);
	flush_work(&te->bh_work);
	hrtimer_cancel(&te->timer);
}
EXPORT_SYMBOL_GPL(offload_test_engine_flush);
