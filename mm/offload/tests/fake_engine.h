/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Fake copy engines and helpers shared by the mm/offload KUnit suites.
 */
#ifndef _MM_OFFLOAD_TESTS_FAKE_ENGINE_H
#define _MM_OFFLOAD_TESTS_FAKE_ENGINE_H

#include <kunit/test.h>
#include <linux/offload_copy.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>

/* The class the suites route; nothing else in the kernel uses it. */
#define FAKE_CLASS		OFFLOAD_CLASS_GENERIC

/* Node of every request's folios: an engine on it is local. */
#define FAKE_NODE		0

/* Most chunks a queueing fake engine holds; submit returns -EBUSY above. */
#define FAKE_QUEUE_LEN		256

/**
 * enum fake_kind - how a fake engine completes the chunks it takes
 * @FAKE_INSTANT: copies and completes each chunk inside submit.
 * @FAKE_DELAYED: a work item copies and completes the issued chunks,
 *	oldest first, @delay_ms after issue_pending.
 * @FAKE_OUT_OF_ORDER: a work item copies and completes the issued chunks,
 *	newest first, right after issue_pending.
 * @FAKE_NEVER: completes a chunk only when the broker aborts it, with
 *	-ECANCELED.
 * @FAKE_NULL: completes each chunk inside submit without copying.
 */
enum fake_kind {
	FAKE_INSTANT,
	FAKE_DELAYED,
	FAKE_OUT_OF_ORDER,
	FAKE_NEVER,
	FAKE_NULL,
};

/**
 * struct fake_engine - a copy engine whose behaviour a test chooses
 * @eng: the engine the broker sees.
 * @kind: see &enum fake_kind.
 * @delay_ms: delay of a %FAKE_DELAYED engine.
 * @fail_every: complete every Nth chunk with -EIO without copying it
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
 * @work: completes the issued chunks of a %FAKE_DELAYED or
 *	%FAKE_OUT_OF_ORDER engine.
 * @registered: offload_engine_register() succeeded and no unregister yet.
 */
struct fake_engine {
	struct offload_engine	eng;
	enum fake_kind		kind;
	unsigned int		delay_ms;
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
	struct offload_chunk	*queue[FAKE_QUEUE_LEN];
	struct delayed_work	work;
	bool			registered;
};

struct fake_engine *fake_engine_alloc(struct kunit *test, const char *name,
				      enum fake_kind kind, int nid);
void fake_engine_register(struct kunit *test, struct fake_engine *fe);
struct fake_engine *fake_engine_add(struct kunit *test, const char *name,
				    enum fake_kind kind, int nid);
void fake_engine_unregister(struct fake_engine *fe);

void fake_route_set(struct kunit *test, enum offload_mode mode,
		    unsigned int min_batch, unsigned int nr_engines, ...);

/**
 * struct fake_folios - folios of one side of the requests of a test
 * @nr: number of folios.
 * @folio: the folios.
 */
struct fake_folios {
	unsigned int	nr;
	struct folio	*folio[];
};

struct fake_folios *fake_folios_alloc(struct kunit *test, unsigned int nr,
				      unsigned int order);
void fake_folios_fill(struct fake_folios *ff, u32 seed);
int fake_folios_check(const struct fake_folios *ff, u32 seed);

struct offload_req *fake_req_alloc(struct kunit *test, unsigned int max);
int fake_req_setup(struct offload_req *req, const struct fake_folios *src,
		   const struct fake_folios *dst);
void fake_req_prepare(struct kunit *test, struct offload_req *req,
		      const struct fake_folios *src,
		      const struct fake_folios *dst);
int fake_req_run(struct offload_req *req);
unsigned int fake_req_count(const struct offload_req *req, int status);

/**
 * struct fake_stats - counters of %FAKE_CLASS, see &struct offload_class_stats
 * @submitted: folios of the requests the broker took.
 * @offloaded: folios copied by engines.
 * @cpu: folios copied by the CPU.
 * @failed: folios that failed.
 * @declined: requests declined.
 */
struct fake_stats {
	s64	submitted;
	s64	offloaded;
	s64	cpu;
	s64	failed;
	s64	declined;
};

void fake_stats_read(struct fake_stats *stats);
void fake_stats_since(struct fake_stats *delta,
		      const struct fake_stats *before);

#endif /* _MM_OFFLOAD_TESTS_FAKE_ENGINE_H */
