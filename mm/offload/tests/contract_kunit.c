// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the engine contract of mm/offload: completion from hard
 * and soft interrupts, chunks completed in parts and copied by segment,
 * stale and double completions, aborts racing completions, resets that
 * cancel other chunks, engines that ignore aborts (abandon), surprise
 * removal, and engines that leave or are quarantined mid-request.
 */

#include <kunit/test.h>
#include <linux/delay.h>
#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/numa.h>
#include <linux/offload_copy.h>

#include "../internal.h"
#include "fake_engine.h"

/* Chunks completed from an hrtimer and from a BH work item. */
static void completion_in_interrupts(struct kunit *test)
{
	struct offload_test_engine *hard = fake_engine_alloc(test, "hard",
							     OFFLOAD_TEST_HARDIRQ,
							     FAKE_NODE);
	struct offload_test_engine *soft = fake_engine_add(test, "soft",
							   OFFLOAD_TEST_SOFTIRQ,
							   FAKE_NODE);
	struct fake_folios *src = fake_folios_alloc(test, 16, 0);
	struct fake_folios *dst = fake_folios_alloc(test, 16, 0);
	struct offload_req *req = fake_req_alloc(test, 16);

	hard->delay_ms = 1;
	fake_engine_register(test, hard);
	fake_folios_fill(src, 1);

	fake_route_set(test, OFFLOAD_MODE_REQUIRE, 1, 1, "hard");
	fake_req_prepare(test, req, src, dst);
	KUNIT_ASSERT_EQ(test, fake_req_run(req), 0);
	fake_expect_copied(test, req, dst, 1);
	KUNIT_EXPECT_GT(test, atomic_read(&hard->chunks), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&hard->in_hardirq),
			atomic_read(&hard->chunks));

	fake_route_set(test, OFFLOAD_MODE_REQUIRE, 1, 1, "soft");
	fake_folios_fill(dst, 0);
	fake_req_prepare(test, req, src, dst);
	KUNIT_ASSERT_EQ(test, fake_req_run(req), 0);
	fake_expect_copied(test, req, dst, 1);
	KUNIT_EXPECT_GT(test, atomic_read(&soft->chunks), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&soft->in_softirq),
			atomic_read(&soft->chunks));
}

#define SEG_ORDER	2

/*
 * Large folios cut into segments of the engine's maximum, fetched by index
 * and completed one part per segment, last first: each chunk completes
 * once, with every byte copied; folios of mixed sizes too.
 */
static void segments_in_parts(struct kunit *test)
{
	struct offload_test_engine *seg = fake_engine_alloc(test, "seg",
							    OFFLOAD_TEST_SOFTIRQ,
							    FAKE_NODE);
	struct fake_folios *big_src = fake_folios_alloc(test, 4, SEG_ORDER);
	struct fake_folios *big_dst = fake_folios_alloc(test, 4, SEG_ORDER);
	struct fake_folios *small_src = fake_folios_alloc(test, 4, 0);
	struct fake_folios *small_dst = fake_folios_alloc(test, 4, 0);
	struct offload_req *req = fake_req_alloc(test, 8);
	struct fake_stats before, delta;
	unsigned int i;

	seg->per_seg = true;
	seg->eng.caps = OFFLOAD_CAP_LARGE_FOLIO;
	seg->eng.max_seg_bytes = 2 * PAGE_SIZE;
	fake_engine_register(test, seg);
	fake_route_set(test, OFFLOAD_MODE_REQUIRE, 1, 1, "seg");
	fake_folios_fill(big_src, 1);
	fake_folios_fill(small_src, 2);

	/* Uniform: 4 folios of 4 pages, 2 segments each. */
	fake_req_prepare(test, req, big_src, big_dst);
	KUNIT_ASSERT_EQ(test, fake_req_run(req), 0);
	fake_expect_copied(test, req, big_dst, 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&seg->segs), 8);
	KUNIT_EXPECT_EQ(test, seg->max_seg, 2 * PAGE_SIZE);

	/* Mixed: small and large folios interleaved, 12 segments. */
	fake_folios_fill(big_dst, 0);
	offload_req_init(req, FAKE_CLASS, FAKE_NODE, FAKE_NODE);
	for (i = 0; i < 4; i++) {
		KUNIT_ASSERT_GE(test, offload_req_add(req, small_src->folio[i],
						      small_dst->folio[i]), 0);
		KUNIT_ASSERT_GE(test, offload_req_add(req, big_src->folio[i],
						      big_dst->folio[i]), 0);
	}
	fake_stats_read(&before);
	KUNIT_ASSERT_EQ(test, fake_req_run(req), 0);
	fake_stats_since(&delta, &before);
	KUNIT_EXPECT_EQ(test, fake_req_count(req, 0), 8);
	KUNIT_EXPECT_EQ(test, fake_folios_check(big_dst, 1), -1);
	KUNIT_EXPECT_EQ(test, fake_folios_check(small_dst, 2), -1);
	KUNIT_EXPECT_EQ(test, atomic_read(&seg->segs), 8 + 12);
	KUNIT_EXPECT_EQ(test, delta.offloaded, 8);
	KUNIT_EXPECT_EQ(test, atomic64_read(&seg->eng.stats.stale), 0);

	/* An error in the first part fails the chunk, whatever follows. */
	seg->fail_every = 1;
	fake_route_set(test, OFFLOAD_MODE_PREFER, 1, 1, "seg");
	fake_folios_fill(big_dst, 0);
	fake_req_prepare(test, req, big_src, big_dst);
	fake_stats_read(&before);
	KUNIT_ASSERT_EQ(test, fake_req_run(req), 0);
	fake_stats_since(&delta, &before);
	fake_expect_copied(test, req, big_dst, 1);
	KUNIT_EXPECT_EQ(test, delta.cpu, 4);
	KUNIT_EXPECT_EQ(test, atomic64_read(&seg->eng.stats.errors),
			atomic_read(&seg->failed));
	KUNIT_EXPECT_EQ(test, atomic64_read(&seg->eng.stats.stale), 0);
}

/*
 * Physically contiguous base pages are merged into segments up to the
 * engine's limit, for engines that ask for it, and only for those.
 */
static void contiguous_pages_merged(struct kunit *test)
{
	struct offload_test_engine *merge = fake_engine_alloc(test, "merge",
							      OFFLOAD_TEST_INSTANT,
							      FAKE_NODE);
	struct offload_test_engine *plain = fake_engine_alloc(test, "plain",
							      OFFLOAD_TEST_INSTANT,
							      FAKE_NODE);
	struct fake_folios *src = fake_folios_alloc_contig(test, 3);
	struct fake_folios *dst = fake_folios_alloc_contig(test, 3);
	struct offload_req *req = fake_req_alloc(test, 8);

	/* One chunk of 8 pages; segments of at most 4. */
	merge->eng.caps = OFFLOAD_CAP_LARGE_FOLIO | OFFLOAD_CAP_MERGE_SEGS;
	merge->eng.max_seg_bytes = 4 * PAGE_SIZE;
	merge->eng.min_batch = 8;
	fake_engine_register(test, merge);
	plain->eng.caps = OFFLOAD_CAP_LARGE_FOLIO;
	plain->eng.min_batch = 8;
	fake_engine_register(test, plain);
	fake_folios_fill(src, 1);

	fake_route_set(test, OFFLOAD_MODE_REQUIRE, 1, 1, "merge");
	fake_req_prepare(test, req, src, dst);
	KUNIT_ASSERT_EQ(test, fake_req_run(req), 0);
	fake_expect_copied(test, req, dst, 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&merge->chunks), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&merge->segs), 2);
	KUNIT_EXPECT_EQ(test, merge->max_seg, 4 * PAGE_SIZE);

	/* Indexed, last first: the same segments. */
	merge->per_seg = true;
	fake_folios_fill(dst, 0);
	fake_req_prepare(test, req, src, dst);
	KUNIT_ASSERT_EQ(test, fake_req_run(req), 0);
	fake_expect_copied(test, req, dst, 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&merge->segs), 4);

	fake_route_set(test, OFFLOAD_MODE_REQUIRE, 1, 1, "plain");
	fake_folios_fill(dst, 0);
	fake_req_prepare(test, req, src, dst);
	KUNIT_ASSERT_EQ(test, fake_req_run(req), 0);
	fake_expect_copied(test, req, dst, 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&plain->segs), 8);
}

/* A second completion, or one with an old ticket, is ignored and counted. */
static void stale_and_double_completions(struct kunit *test)
{
	struct offload_test_engine *twice = fake_engine_alloc(test, "twice",
							      OFFLOAD_TEST_INSTANT,
							      FAKE_NODE);
	struct offload_test_engine *stale = fake_engine_alloc(test, "stale",
							      OFFLOAD_TEST_SOFTIRQ,
							      FAKE_NODE);
	struct fake_folios *src = fake_folios_alloc(test, 8, 0);
	struct fake_folios *dst = fake_folios_alloc(test, 8, 0);
	struct offload_req *req = fake_req_alloc(test, 8);
	struct fake_stats before, delta;

	twice->twice = true;
	fake_engine_register(test, twice);
	stale->stale = true;
	fake_engine_register(test, stale);
	fake_folios_fill(src, 1);

	fake_route_set(test, OFFLOAD_MODE_REQUIRE, 1, 1, "twice");
	fake_req_prepare(test, req, src, dst);
	fake_stats_read(&before);
	KUNIT_ASSERT_EQ(test, fake_req_run(req), 0);
	fake_stats_since(&delta, &before);
	fake_expect_copied(test, req, dst, 1);
	KUNIT_EXPECT_GT(test, atomic_read(&twice->chunks), 0);
	KUNIT_EXPECT_EQ(test, atomic64_read(&twice->eng.stats.stale),
			atomic_read(&twice->chunks));
	KUNIT_EXPECT_EQ(test, atomic64_read(&twice->eng.stats.folios), 8);
	KUNIT_EXPECT_EQ(test, atomic_read(&twice->eng.inflight), 0);
	KUNIT_EXPECT_EQ(test, delta.offloaded, 8);

	fake_route_set(test, OFFLOAD_MODE_REQUIRE, 1, 1, "stale");
	fake_folios_fill(dst, 0);
	fake_req_prepare(test, req, src, dst);
	fake_stats_read(&before);
	KUNIT_ASSERT_EQ(test, fake_req_run(req), 0);
	fake_stats_since(&delta, &before);
	fake_expect_copied(test, req, dst, 1);
	KUNIT_EXPECT_EQ(test, atomic64_read(&stale->eng.stats.stale),
			atomic_read(&stale->chunks));
	KUNIT_EXPECT_EQ(test, delta.offloaded, 8);

	/*
	 * A duplicate after the request got the chunk back (a callback that
	 * outlived a reset), then a reuse of the request: still ignored.
	 */
	offload_chunk_complete(stale->last.chunk, stale->last.ticket, 0);
	KUNIT_EXPECT_EQ(test, atomic64_read(&stale->eng.stats.stale),
			atomic_read(&stale->chunks) + 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&stale->eng.inflight), 0);
	fake_folios_fill(dst, 0);
	fake_req_prepare(test, req, src, dst);
	KUNIT_ASSERT_EQ(test, fake_req_run(req), 0);
	fake_expect_copied(test, req, dst, 1);
	offload_chunk_complete(stale->last.chunk, stale->last.ticket, 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&stale->eng.inflight), 0);
	KUNIT_EXPECT_EQ(test, fake_req_count(req, 0), 8);
}

#define RACE_ROUNDS	20

/*
 * Aborts racing completions: every pair is reported once, with the right
 * content, and a timeout is counted only for chunks the abort did stop.
 */
static void abort_races_completion(struct kunit *test)
{
	struct offload_test_engine *racer = fake_engine_alloc(test, "racer",
							      OFFLOAD_TEST_DELAYED,
							      FAKE_NODE);
	struct fake_folios *src = fake_folios_alloc(test, 4, 0);
	struct fake_folios *dst = fake_folios_alloc(test, 4, 0);
	struct offload_req *req = fake_req_alloc(test, 4);
	struct fake_stats before, delta;
	int i;

	racer->delay_ms = 10;
	racer->eng.timeout_ms = 10;
	fake_engine_register(test, racer);
	fake_route_set(test, OFFLOAD_MODE_PREFER, 1, 1, "racer");
	fake_folios_fill(src, 1);
	fake_stats_read(&before);
	for (i = 0; i < RACE_ROUNDS; i++) {
		/* The race, not the quarantine, is under test. */
		offload_engine_enable(&racer->eng);
		fake_folios_fill(dst, 0);
		fake_req_prepare(test, req, src, dst);
		KUNIT_ASSERT_EQ(test, fake_req_run(req), 0);
		fake_expect_copied(test, req, dst, 1);
	}
	fake_stats_since(&delta, &before);

	KUNIT_EXPECT_EQ(test, delta.offloaded + delta.cpu, 4 * RACE_ROUNDS);
	KUNIT_EXPECT_EQ(test, delta.failed, 0);
	KUNIT_EXPECT_EQ(test, atomic64_read(&racer->eng.stats.timeouts),
			atomic_read(&racer->aborted));
	KUNIT_EXPECT_EQ(test, atomic64_read(&racer->eng.stats.stale), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&racer->eng.inflight), 0);
}

/*
 * An abort that resets the engine cancels its other chunks: they are
 * placed again, and only the late chunk counts against the engine.
 */
static void reset_cancels_without_fault(struct kunit *test)
{
	struct offload_test_engine *reset = fake_engine_alloc(test, "reset",
							      OFFLOAD_TEST_NEVER,
							      FAKE_NODE);
	struct offload_test_engine *spare = fake_engine_add(test, "spare",
							    OFFLOAD_TEST_INSTANT,
							    NUMA_NO_NODE);
	struct fake_folios *src = fake_folios_alloc(test, 8, 0);
	struct fake_folios *dst = fake_folios_alloc(test, 8, 0);
	struct offload_req *req = fake_req_alloc(test, 8);
	struct offload_engine_stats *st = &reset->eng.stats;

	reset->reset_on_abort = true;
	reset->eng.timeout_ms = 50;
	fake_engine_register(test, reset);
	fake_route_set(test, OFFLOAD_MODE_REQUIRE, 1, 2, "reset", "spare");
	fake_folios_fill(src, 1);
	fake_req_prepare(test, req, src, dst);
	KUNIT_ASSERT_EQ(test, fake_req_run(req), 0);

	fake_expect_copied(test, req, dst, 1);
	KUNIT_EXPECT_GT(test, atomic_read(&reset->chunks), 1);
	KUNIT_EXPECT_GT(test, atomic64_read(&st->cancelled), 0);
	KUNIT_EXPECT_EQ(test, atomic64_read(&st->timeouts) +
			atomic64_read(&st->cancelled),
			atomic_read(&reset->aborted));
	KUNIT_EXPECT_EQ(test, atomic_read(&reset->eng.faults),
			atomic64_read(&st->timeouts));
	KUNIT_EXPECT_EQ(test, atomic_read(&spare->folios) +
			atomic_read(&reset->folios), 8);
}

static bool dst_released(void *arg)
{
	struct fake_folios *dst = arg;

	return folio_ref_count(dst->folio[0]) == 1 &&
	       !offload_req_parked_count();
}

static bool unregistered(void *arg)
{
	return completion_done(arg);
}

/*
 * An engine that ignores aborts: its chunks are abandoned within the grace,
 * their destinations kept from reuse until the engine completes them, and
 * the engine stays quarantined, without probes, until it is enabled.
 */
static void stuck_engine_abandoned(struct kunit *test)
{
	struct offload_test_engine *stuck = fake_engine_alloc(test, "stuck",
							      OFFLOAD_TEST_STUCK,
							      FAKE_NODE);
	struct fake_folios *src = fake_folios_alloc(test, 4, 0);
	struct fake_folios *dst = fake_folios_alloc(test, 4, 0);
	struct fake_stats before, delta;
	struct offload_req *req;
	unsigned int i;
	u64 start, took;

	if (offload_req_parked_count())
		kunit_skip(test, "requests are parked already");
	stuck->eng.timeout_ms = 50;
	fake_engine_register(test, stuck);
	fake_route_set(test, OFFLOAD_MODE_PREFER, 1, 1, "stuck");
	fake_folios_fill(src, 1);
	req = offload_req_alloc(FAKE_CLASS, 4, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, req);
	fake_req_prepare(test, req, src, dst);

	fake_stats_read(&before);
	start = ktime_get_ns();
	KUNIT_ASSERT_EQ(test, fake_req_run(req), 0);
	took = ktime_get_ns() - start;
	fake_stats_since(&delta, &before);

	/* Timeout and grace are 150 ms; allow for a slow machine. */
	KUNIT_EXPECT_LT(test, took, 5ULL * NSEC_PER_SEC);
	KUNIT_EXPECT_EQ(test, fake_req_count(req, -EOWNERDEAD), 4);
	KUNIT_EXPECT_EQ(test, delta.failed, 4);
	KUNIT_EXPECT_EQ(test, delta.cpu, 0);
	KUNIT_EXPECT_GT(test, atomic64_read(&stuck->eng.stats.abandoned), 0);
	KUNIT_EXPECT_TRUE(test, fake_quarantined(stuck));
	KUNIT_EXPECT_TRUE(test, test_bit(OFFLOAD_ENGINE_ABANDONED,
					 &stuck->eng.flags));
	KUNIT_EXPECT_FALSE(test, delayed_work_pending(&stuck->eng.probe));
	/* The engine may still read the sources and write the destinations. */
	for (i = 0; i < 4; i++) {
		KUNIT_EXPECT_EQ(test, folio_ref_count(src->folio[i]), 2);
		KUNIT_EXPECT_EQ(test, folio_ref_count(dst->folio[i]), 2);
	}
	/* A request with abandoned chunks is only good for freeing. */
	KUNIT_EXPECT_EQ(test, offload_req_submit(req), -EBUSY);

	/* The owner is done at once; the broker keeps what the engine holds. */
	offload_req_free(req);
	KUNIT_EXPECT_EQ(test, offload_req_parked_count(), 1);
	KUNIT_EXPECT_EQ(test, folio_ref_count(dst->folio[0]), 2);

	/* The engine wakes up and writes: into folios nobody else uses. */
	offload_test_engine_release(stuck, 0);
	KUNIT_EXPECT_TRUE(test, fake_wait_for(dst_released, dst, 5000));
	KUNIT_EXPECT_EQ(test, atomic_read(&stuck->eng.inflight), 0);

	/* Quarantined for good, until an admin says otherwise. */
	KUNIT_EXPECT_TRUE(test, fake_quarantined(stuck));
	offload_engine_enable(&stuck->eng);
	KUNIT_EXPECT_FALSE(test, fake_quarantined(stuck));
}

/*
 * Two engines stuck with chunks of one request: the one that lets go gets
 * its references back at once and can be unregistered, while the other
 * still holds its chunk; the request can be reused only when both are
 * back.
 */
static void late_completions_release_each_chunk(struct kunit *test)
{
	struct offload_test_engine *a = fake_engine_alloc(test, "stuck_a",
							  OFFLOAD_TEST_STUCK,
							  FAKE_NODE);
	struct offload_test_engine *b = fake_engine_alloc(test, "stuck_b",
							  OFFLOAD_TEST_STUCK,
							  FAKE_NODE);
	struct fake_folios *src = fake_folios_alloc(test, 2, 0);
	struct fake_folios *dst = fake_folios_alloc(test, 2, 0);
	struct offload_req *req = fake_req_alloc(test, 2);
	struct fake_async fa;
	int ra, rb;

	if (offload_req_parked_count())
		kunit_skip(test, "requests are parked already");
	a->eng.timeout_ms = 20;
	a->eng.max_inflight = 1;
	fake_engine_register(test, a);
	b->eng.timeout_ms = 20;
	b->eng.max_inflight = 1;
	fake_engine_register(test, b);
	fake_route_set(test, OFFLOAD_MODE_REQUIRE, 1, 2, "stuck_a", "stuck_b");
	fake_folios_fill(src, 1);
	fake_req_prepare(test, req, src, dst);
	KUNIT_ASSERT_EQ(test, fake_req_run(req), 0);
	KUNIT_EXPECT_EQ(test, fake_req_count(req, -EOWNERDEAD), 2);
	KUNIT_ASSERT_EQ(test, atomic_read(&a->chunks), 1);
	KUNIT_ASSERT_EQ(test, atomic_read(&b->chunks), 1);
	ra = folio_ref_count(dst->folio[0]);
	rb = folio_ref_count(dst->folio[1]);
	KUNIT_EXPECT_EQ(test, ra + rb, 4);

	/* a lets go: its chunk's references go, a can leave. */
	offload_test_engine_release(a, -EIO);
	fake_async_start(&fa, fake_engine_unregister_action, a);
	KUNIT_EXPECT_TRUE(test, fake_wait_for(unregistered, &fa.done, 5000));
	fake_async_finish(&fa);
	KUNIT_EXPECT_EQ(test, folio_ref_count(dst->folio[0]) +
			folio_ref_count(dst->folio[1]), 3);
	KUNIT_EXPECT_EQ(test, offload_req_parked_count(), 1);
	KUNIT_EXPECT_EQ(test, offload_req_add(req, src->folio[0],
					      dst->folio[0]), -EBUSY);

	/* b too: nothing is kept, and the request works again. */
	offload_test_engine_release(b, -EIO);
	KUNIT_EXPECT_TRUE(test, fake_wait_for(dst_released, dst, 5000));
	KUNIT_EXPECT_EQ(test, folio_ref_count(dst->folio[1]), 1);
	KUNIT_EXPECT_EQ(test, folio_ref_count(src->folio[0]), 1);
	offload_engine_enable(&b->eng);
	b->kind = OFFLOAD_TEST_INSTANT;
	fake_folios_fill(dst, 0);
	fake_req_prepare(test, req, src, dst);
	KUNIT_ASSERT_EQ(test, fake_req_run(req), 0);
	fake_expect_copied(test, req, dst, 1);
}

/*
 * Surprise removal: chunks the dead engine fails go elsewhere without a
 * fault, and nothing new reaches it.
 */
static void killed_engine_gets_nothing(struct kunit *test)
{
	struct offload_test_engine *gone = fake_engine_alloc(test, "gone",
							     OFFLOAD_TEST_STUCK,
							     FAKE_NODE);
	struct offload_test_engine *other = fake_engine_add(test, "other",
							    OFFLOAD_TEST_INSTANT,
							    NUMA_NO_NODE);
	struct fake_folios *src = fake_folios_alloc(test, 8, 0);
	struct fake_folios *dst = fake_folios_alloc(test, 8, 0);
	struct offload_req *req = fake_req_alloc(test, 8);
	int held;

	gone->eng.timeout_ms = 60000;
	fake_engine_register(test, gone);
	fake_route_set(test, OFFLOAD_MODE_REQUIRE, 1, 2, "gone", "other");
	fake_folios_fill(src, 1);
	fake_req_prepare(test, req, src, dst);
	KUNIT_ASSERT_EQ(test, offload_req_submit(req), 0);
	held = atomic_read(&gone->chunks);
	KUNIT_EXPECT_GT(test, held, 0);

	/* The driver's remove path: kill, then fail what it holds. */
	offload_engine_kill(&gone->eng);
	offload_test_engine_release(gone, -ENODEV);
	offload_req_wait(req, MAX_SCHEDULE_TIMEOUT);

	fake_expect_copied(test, req, dst, 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&gone->chunks), held);
	KUNIT_EXPECT_EQ(test, atomic_read(&gone->eng.faults), 0);
	KUNIT_EXPECT_FALSE(test, fake_quarantined(gone));
	KUNIT_EXPECT_EQ(test, atomic_read(&other->folios), 8);

	fake_folios_fill(dst, 0);
	fake_req_prepare(test, req, src, dst);
	KUNIT_ASSERT_EQ(test, fake_req_run(req), 0);
	fake_expect_copied(test, req, dst, 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&gone->chunks), held);
}

static bool engine_dying(void *fe)
{
	return test_bit(OFFLOAD_ENGINE_DYING,
			&((struct offload_test_engine *)fe)->eng.flags);
}

/*
 * An engine that is quarantined, or starts leaving, while a request holds
 * it gets none of the request's remaining chunks.
 */
static void leaving_engine_gets_no_more(struct kunit *test)
{
	struct offload_test_engine *a = fake_engine_alloc(test, "a",
							  OFFLOAD_TEST_DELAYED,
							  FAKE_NODE);
	struct offload_test_engine *b = fake_engine_alloc(test, "b",
							  OFFLOAD_TEST_DELAYED,
							  NUMA_NO_NODE);
	struct fake_folios *src = fake_folios_alloc(test, 8, 0);
	struct fake_folios *dst = fake_folios_alloc(test, 8, 0);
	struct offload_req *req = fake_req_alloc(test, 8);
	struct fake_async fa;
	int held;

	/* One chunk at a time each: the others wait, pending. */
	a->delay_ms = 30;
	a->eng.max_inflight = 1;
	fake_engine_register(test, a);
	b->delay_ms = 30;
	b->eng.max_inflight = 1;
	fake_engine_register(test, b);
	fake_route_set(test, OFFLOAD_MODE_REQUIRE, 1, 2, "a", "b");
	fake_folios_fill(src, 1);

	fake_req_prepare(test, req, src, dst);
	KUNIT_ASSERT_EQ(test, offload_req_submit(req), 0);
	held = atomic_read(&a->chunks);
	KUNIT_EXPECT_EQ(test, held, 1);
	set_bit(OFFLOAD_ENGINE_QUARANTINED, &a->eng.flags);
	offload_req_wait(req, MAX_SCHEDULE_TIMEOUT);
	fake_expect_copied(test, req, dst, 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&a->chunks), held);
	KUNIT_EXPECT_EQ(test, atomic_read(&b->folios) +
			atomic_read(&a->folios), 8);
	offload_engine_enable(&a->eng);

	fake_folios_fill(dst, 0);
	fake_req_prepare(test, req, src, dst);
	KUNIT_ASSERT_EQ(test, offload_req_submit(req), 0);
	held = atomic_read(&a->chunks);
	fake_async_start(&fa, fake_engine_unregister_action, a);
	/* The request holds it: unregister waits, but a gets no more. */
	KUNIT_EXPECT_TRUE(test, fake_wait_for(engine_dying, a, 5000));
	offload_req_wait(req, MAX_SCHEDULE_TIMEOUT);
	KUNIT_EXPECT_TRUE(test, fake_async_wait(&fa, 10000));
	fake_async_finish(&fa);
	fake_expect_copied(test, req, dst, 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&a->chunks), held);
}

static struct kunit_case offload_contract_cases[] = {
	KUNIT_CASE(completion_in_interrupts),
	KUNIT_CASE(segments_in_parts),
	KUNIT_CASE(contiguous_pages_merged),
	KUNIT_CASE(stale_and_double_completions),
	KUNIT_CASE(abort_races_completion),
	KUNIT_CASE(reset_cancels_without_fault),
	KUNIT_CASE(stuck_engine_abandoned),
	KUNIT_CASE(late_completions_release_each_chunk),
	KUNIT_CASE(killed_engine_gets_nothing),
	KUNIT_CASE(leaving_engine_gets_no_more),
	{}
};

static struct kunit_suite offload_contract_suite = {
	.name = "offload_contract",
	.test_cases = offload_contract_cases,
};

kunit_test_suite(offload_contract_suite);
