/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Test copy engines for mm/offload: the KUnit suites and the guest tests
 * use them.  Not a product engine.
 */
#ifndef _MM_OFFLOAD_TEST_ENGINE_H
#define _MM_OFFLOAD_TEST_ENGINE_H

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
 */
enum offload_test_kind {
	OFFLOAD_TEST_INSTANT,
	OFFLOAD_TEST_DELAYED,
	OFFLOAD_TEST_OUT_OF_ORDER,
	OFFLOAD_TEST_NEVER,
	OFFLOAD_TEST_NULL,
};

/**
 * struct offload_test_engine - a copy engine whose behaviour a test chooses
 * @eng: the engine the broker sees.
 * @kind: see &enum offload_test_kind.
 * @delay_ms: delay of a %OFFLOAD_TEST_DELAYED engine.
 * @fail_errno: the error of failed chunks; 0 means -EIO.
 * @reject_errno: the error of refused submissions; 0 means -EBUSY.
 * @fail_every: complete every Nth chunk with @fail_errno without copying it
 *	(1: every chunk, 0: none).  May change while registered.
 * @reject: submit returns -EBUSY.  May change while registered.
 * @chunks: chunks taken by submit.
 * @rejected: submits answered with -EBUSY.
 * @folios: folios of the chunks completed successfully.
 * @completed: chunks completed by copying or failing, for @fail_every.
 * @failed: chunks failed on purpose (@fail_every).
 * @aborted: chunks completed by abort.
 * @segs: segments copied.
 * @seg_bytes: bytes of those segments.
 * @max_seg: longest segment seen, in bytes.
 * @max_inflight_seen: most chunks held at once.
 * @lock: protects the fields below and @max_seg, @max_inflight_seen.
 * @inflight: chunks held (taken, not yet completed).
 * @nr_queued: chunks in @queue.
 * @nr_issued: leading entries of @queue that issue_pending started.
 * @queue: chunks held by a queueing engine, oldest first.
 * @work: completes the issued chunks of a %OFFLOAD_TEST_DELAYED or
 *	%OFFLOAD_TEST_OUT_OF_ORDER engine.
 * @registered: offload_engine_register() succeeded and no unregister yet.
 */
struct offload_test_engine {
	struct offload_engine	eng;
	enum offload_test_kind		kind;
	unsigned int		delay_ms;
	int			fail_errno;
	int			reject_errno;
	unsigned int		fail_every;
	bool			reject;

	atomic_t		chunks;
	atomic_t		rejected;
	atomic_t		folios;
	atomic_t		completed;
	atomic_t		failed;
	atomic_t		aborted;
	atomic_t		segs;
	atomic_long_t		seg_bytes;
	size_t			max_seg;
	unsigned int		max_inflight_seen;

	spinlock_t		lock;	/* protects the queue and maxima */
	unsigned int		inflight;
	unsigned int		nr_queued;
	unsigned int		nr_issued;
	struct offload_chunk	*queue[OFFLOAD_TEST_QUEUE_LEN];
	struct delayed_work	work;
	bool			registered;
};

void offload_test_engine_init(struct offload_test_engine *te, const char *name,
			      enum offload_test_kind kind, int nid);
void offload_test_engine_flush(struct offload_test_engine *te);

#endif /* _MM_OFFLOAD_TEST_ENGINE_H */
