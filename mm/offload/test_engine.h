/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Test copy engines for mm/offload: the KUnit suites and the guest tests
 * use them.  Not a product engine.
 */
#ifndef _MM_OFFLOAD_TEST_ENGINE_H
#define _MM_OFFLOAD_TEST_ENGINE_H

#include <linux/hrtimer.h>
#include <linux/offload_copy.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>

/* Most chunks a queueing test engine holds; submit returns -EBUSY above. */
#define OFFLOAD_TEST_QUEUE_LEN		256

/**
 * enum offload_test_kind - how a test engine completes the chunks it takes
 * @OFFLOAD_TEST_INSTANT: copies and completes each chunk inside submit.
 * @OFFLOAD_TEST_DELAYED: a work item copies and completes the issued chunks,
 *	oldest first, @delay_ms after issue_pending.
 * @OFFLOAD_TEST_OUT_OF_ORDER: a work item copies and completes the issued
 *	chunks, newest first, right after issue_pending.
 * @OFFLOAD_TEST_NEVER: completes a chunk only when the broker aborts it, with
 *	-ECANCELED.
 * @OFFLOAD_TEST_NULL: completes each chunk inside submit without copying.
 * @OFFLOAD_TEST_HARDIRQ: as DELAYED, from an hrtimer: in hard interrupt
 *	context.
 * @OFFLOAD_TEST_SOFTIRQ: as DELAYED (without the delay), from a BH work
 *	item: in softirq context.
 * @OFFLOAD_TEST_STUCK: ignores aborts and completes nothing until
 *	offload_test_engine_release() is called: a broken engine.
 * @OFFLOAD_TEST_NR_KINDS: number of kinds.
 */
enum offload_test_kind {
	OFFLOAD_TEST_INSTANT,
	OFFLOAD_TEST_DELAYED,
	OFFLOAD_TEST_OUT_OF_ORDER,
	OFFLOAD_TEST_NEVER,
	OFFLOAD_TEST_NULL,
	OFFLOAD_TEST_HARDIRQ,
	OFFLOAD_TEST_SOFTIRQ,
	OFFLOAD_TEST_STUCK,
	OFFLOAD_TEST_NR_KINDS,
};

/**
 * struct offload_test_held - a chunk a queueing test engine holds
 * @chunk: the chunk.
 * @ticket: its ticket, see offload_chunk_ticket().
 */
struct offload_test_held {
	struct offload_chunk	*chunk;
	u32			ticket;
};

/**
 * struct offload_test_engine - a copy engine whose behaviour a test chooses
 * @eng: the engine the broker sees.
 * @kind: see &enum offload_test_kind.
 * @delay_ms: delay of a %OFFLOAD_TEST_DELAYED or %OFFLOAD_TEST_HARDIRQ
 *	engine.
 * @fail_errno: the error of failed chunks; 0 means -EIO.
 * @reject_errno: the error of refused submissions; 0 means -EBUSY.
 * @fail_every: complete every Nth chunk with @fail_errno without copying it
 *	(1: every chunk, 0: none).  May change while registered.
 * @reject: submit refuses chunks.  May change while registered.
 * @serial: a queueing engine completes one chunk per @delay_ms, not all
 *	issued ones at once: a backlog.
 * @per_seg: a chunk completes in one part per segment, last segment first.
 * @reset_on_abort: an abort resets the engine: every chunk it holds is
 *	completed, the others with -ECANCELED.
 * @stale: each completion is preceded by one with the ticket of the
 *	chunk's previous placement, which the broker must ignore.
 * @twice: each chunk is completed twice (%OFFLOAD_TEST_INSTANT only).
 * @chunks: chunks taken by submit.
 * @rejected: submits refused.
 * @folios: folios of the chunks completed successfully.
 * @completed: chunks completed by copying or failing, for @fail_every.
 * @failed: chunks failed on purpose (@fail_every).
 * @aborted: chunks completed by abort.
 * @segs: segments copied.
 * @seg_bytes: bytes of those segments.
 * @in_hardirq: chunks completed in hard interrupt context.
 * @in_softirq: chunks completed in softirq context.
 * @max_seg: longest segment seen, in bytes.
 * @max_inflight_seen: most chunks held at once.
 * @last: the chunk and ticket reported last, for tests that replay it.
 * @lock: protects the fields below and @max_seg, @max_inflight_seen.
 * @inflight: chunks held (taken, not yet completed).
 * @nr_queued: chunks in @queue.
 * @nr_issued: leading entries of @queue that issue_pending started.
 * @queue: chunks held by a queueing engine, oldest first.
 * @work: completes the issued chunks of a %OFFLOAD_TEST_DELAYED or
 *	%OFFLOAD_TEST_OUT_OF_ORDER engine.
 * @bh_work: the same for a %OFFLOAD_TEST_SOFTIRQ engine.
 * @timer: the same for a %OFFLOAD_TEST_HARDIRQ engine.
 * @registered: offload_engine_register() succeeded and no unregister yet.
 */
struct offload_test_engine {
	struct offload_engine	eng;
	enum offload_test_kind	kind;
	unsigned int		delay_ms;
	int			fail_errno;
	int			reject_errno;
	unsigned int		fail_every;
	bool			reject;
	bool			serial;
	bool			per_seg;
	bool			reset_on_abort;
	bool			stale;
	bool			twice;

	atomic_t		chunks;
	atomic_t		rejected;
	atomic_t		folios;
	atomic_t		completed;
	atomic_t		failed;
	atomic_t		aborted;
	atomic_t		segs;
	atomic_long_t		seg_bytes;
	atomic_t		in_hardirq;
	atomic_t		in_softirq;
	size_t			max_seg;
	unsigned int		max_inflight_seen;
	struct offload_test_held last;

	spinlock_t		lock;	/* protects the queue and maxima */
	unsigned int		inflight;
	unsigned int		nr_queued;
	unsigned int		nr_issued;
	struct offload_test_held queue[OFFLOAD_TEST_QUEUE_LEN];
	struct delayed_work	work;
	struct work_struct	bh_work;
	struct hrtimer		timer;
	bool			registered;
};

void offload_test_engine_init(struct offload_test_engine *te, const char *name,
			      enum offload_test_kind kind, int nid);
void offload_test_engine_release(struct offload_test_engine *te, int status);
void offload_test_engine_flush(struct offload_test_engine *te);

#endif /* _MM_OFFLOAD_TEST_ENGINE_H */
