// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for mm/offload requests: routes and modes, balancing between
 * engines, fallback on errors and timeouts, quarantine, and what the
 * caller sees through offload_req_next().
 *
 * The fake engines of fake_engine.c really copy, so every case checks the
 * destination's content as well as the counters.  Requests are on
 * FAKE_NODE: an engine there is local, a NUMA_NO_NODE engine is not.
 */

#include <kunit/test.h>
#include <linux/bitmap.h>
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/jiffies.h>
#include <linux/numa.h>
#include <linux/offload_copy.h>
#include <linux/workqueue.h>

#include "../internal.h"
#include "fake_engine.h"

static void local_engine_preferred(struct kunit *test)
{
	struct offload_test_engine *remote = fake_engine_add(test, "remote",
						     OFFLOAD_TEST_INSTANT,
						     NUMA_NO_NODE);
	struct offload_test_engine *local = fake_engine_add(test, "local",
						    OFFLOAD_TEST_INSTANT, FAKE_NODE);
	struct fake_folios *src = fake_folios_alloc(test, 16, 0);
	struct fake_folios *dst = fake_folios_alloc(test, 16, 0);
	struct offload_req *req = fake_req_alloc(test, 16);

	/* The remote engine comes first: only its distance makes it lose. */
	fake_route_set(test, OFFLOAD_MODE_PREFER, 1, 2, "remote", "local");
	fake_folios_fill(src, 1);
	fake_req_prepare(test, req, src, dst);
	KUNIT_ASSERT_EQ(test, fake_req_run(req), 0);

	fake_expect_copied(test, req, dst, 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&local->folios), 16);
	KUNIT_EXPECT_EQ(test, atomic_read(&remote->chunks), 0);
}

static void least_loaded_wins(struct kunit *test)
{
	struct offload_test_engine *local = fake_engine_alloc(test, "local",
						      OFFLOAD_TEST_DELAYED, FAKE_NODE);
	struct offload_test_engine *remote = fake_engine_add(test, "remote",
						     OFFLOAD_TEST_INSTANT,
						     NUMA_NO_NODE);
	struct fake_folios *src_a = fake_folios_alloc(test, 8, 0);
	struct fake_folios *dst_a = fake_folios_alloc(test, 8, 0);
	struct fake_folios *src_b = fake_folios_alloc(test, 8, 0);
	struct fake_folios *dst_b = fake_folios_alloc(test, 8, 0);
	struct offload_req *a = fake_req_alloc(test, 8);
	struct offload_req *b = fake_req_alloc(test, 8);
	int held, ret;

	local->delay_ms = 500;
	fake_engine_register(test, local);
	fake_folios_fill(src_a, 1);
	fake_folios_fill(src_b, 2);
	fake_req_prepare(test, a, src_a, dst_a);
	fake_req_prepare(test, b, src_b, dst_b);

	/* a keeps the local engine busy with eight pages... */
	fake_route_set(test, OFFLOAD_MODE_PREFER, 1, 1, "local");
	KUNIT_ASSERT_EQ(test, offload_req_submit(a), 0);
	held = atomic_read(&local->chunks);

	/* ... so that all of b costs less on the idle remote one. */
	fake_route_set(test, OFFLOAD_MODE_PREFER, 1, 2, "local", "remote");
	ret = offload_req_submit(b);
	KUNIT_EXPECT_EQ(test, ret, 0);
	if (!ret)
		offload_req_wait(b, MAX_SCHEDULE_TIMEOUT);
	offload_req_wait(a, MAX_SCHEDULE_TIMEOUT);

	KUNIT_EXPECT_GT(test, held, 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&local->chunks), held);
	KUNIT_EXPECT_EQ(test, atomic_read(&local->folios), 8);
	KUNIT_EXPECT_EQ(test, atomic_read(&remote->folios), 8);
	fake_expect_copied(test, a, dst_a, 1);
	fake_expect_copied(test, b, dst_b, 2);
}

static void max_inflight_respected(struct kunit *test)
{
	struct offload_test_engine *slow = fake_engine_alloc(test, "slow", OFFLOAD_TEST_DELAYED,
						     FAKE_NODE);
	struct fake_folios *src_a = fake_folios_alloc(test, 32, 0);
	struct fake_folios *dst_a = fake_folios_alloc(test, 32, 0);
	struct fake_folios *src_b = fake_folios_alloc(test, 32, 0);
	struct fake_folios *dst_b = fake_folios_alloc(test, 32, 0);
	struct offload_req *a = fake_req_alloc(test, 32);
	struct offload_req *b = fake_req_alloc(test, 32);
	struct fake_stats before, delta;
	int ret;

	slow->delay_ms = 100;
	slow->eng.max_inflight = 2;
	fake_engine_register(test, slow);
	fake_route_set(test, OFFLOAD_MODE_PREFER, 1, 1, "slow");
	fake_folios_fill(src_a, 1);
	fake_folios_fill(src_b, 2);
	fake_req_prepare(test, a, src_a, dst_a);
	fake_req_prepare(test, b, src_b, dst_b);

	/* a fills the engine; the calling CPU copies what does not fit. */
	fake_stats_read(&before);
	KUNIT_ASSERT_EQ(test, offload_req_submit(a), 0);
	ret = offload_req_submit(b);
	KUNIT_EXPECT_EQ(test, ret, 0);
	if (!ret)
		offload_req_wait(b, MAX_SCHEDULE_TIMEOUT);
	offload_req_wait(a, MAX_SCHEDULE_TIMEOUT);
	fake_stats_since(&delta, &before);

	KUNIT_EXPECT_GE(test, slow->max_inflight_seen, 1);
	KUNIT_EXPECT_LE(test, slow->max_inflight_seen, 2);
	KUNIT_EXPECT_EQ(test, atomic_read(&slow->eng.inflight), 0);
	KUNIT_EXPECT_GT(test, delta.cpu, 0);
	KUNIT_EXPECT_EQ(test, delta.offloaded, atomic_read(&slow->folios));
	KUNIT_EXPECT_EQ(test, delta.offloaded + delta.cpu, 64);
	fake_expect_copied(test, a, dst_a, 1);
	fake_expect_copied(test, b, dst_b, 2);
}

static void weights_honoured(struct kunit *test)
{
	struct offload_test_engine *light = fake_engine_alloc(test, "light",
						      OFFLOAD_TEST_DELAYED, FAKE_NODE);
	struct offload_test_engine *heavy = fake_engine_alloc(test, "heavy",
						      OFFLOAD_TEST_DELAYED, FAKE_NODE);
	struct fake_folios *src = fake_folios_alloc(test, 32, 0);
	struct fake_folios *dst = fake_folios_alloc(test, 32, 0);
	struct offload_req *req = fake_req_alloc(test, 32);

	light->delay_ms = 200;
	light->eng.weight = 100;
	fake_engine_register(test, light);
	heavy->delay_ms = 200;
	heavy->eng.weight = 300;
	fake_engine_register(test, heavy);

	/* Ties go to the light engine, listed first. */
	fake_route_set(test, OFFLOAD_MODE_PREFER, 1, 2, "light", "heavy");
	fake_folios_fill(src, 1);
	fake_req_prepare(test, req, src, dst);
	KUNIT_ASSERT_EQ(test, fake_req_run(req), 0);

	fake_expect_copied(test, req, dst, 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&light->folios) +
			atomic_read(&heavy->folios), 32);
	KUNIT_EXPECT_GT(test, atomic_read(&light->folios), 0);
	KUNIT_EXPECT_GE(test, atomic_read(&heavy->folios),
			2 * atomic_read(&light->folios));
	/* Each chunk stayed at least 200 ms on its engine. */
	KUNIT_EXPECT_GE(test, atomic64_read(&heavy->eng.stats.busy_ns),
			atomic_read(&heavy->chunks) * 100 * NSEC_PER_MSEC);
}

static void engine_min_batch_honoured(struct kunit *test)
{
	struct offload_test_engine *big = fake_engine_alloc(test, "big", OFFLOAD_TEST_INSTANT,
						    FAKE_NODE);
	struct offload_test_engine *small = fake_engine_add(test, "small",
						    OFFLOAD_TEST_INSTANT,
						    NUMA_NO_NODE);
	struct fake_folios *src = fake_folios_alloc(test, 16, 0);
	struct fake_folios *dst = fake_folios_alloc(test, 16, 0);
	struct offload_req *req = fake_req_alloc(test, 16);
	struct fake_stats before, delta;

	/* Local and listed first, but no chunk is that large. */
	big->eng.min_batch = 64;
	fake_engine_register(test, big);
	fake_route_set(test, OFFLOAD_MODE_PREFER, 1, 2, "big", "small");
	fake_folios_fill(src, 1);
	fake_req_prepare(test, req, src, dst);
	fake_stats_read(&before);
	KUNIT_ASSERT_EQ(test, fake_req_run(req), 0);
	fake_stats_since(&delta, &before);

	fake_expect_copied(test, req, dst, 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&big->chunks), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&small->folios), 16);
	KUNIT_EXPECT_EQ(test, delta.cpu, 0);
}

static void route_min_batch_declines(struct kunit *test)
{
	struct offload_test_engine *eng = fake_engine_add(test, "eng", OFFLOAD_TEST_INSTANT,
						  FAKE_NODE);
	struct fake_folios *src_few = fake_folios_alloc(test, 7, 0);
	struct fake_folios *dst_few = fake_folios_alloc(test, 7, 0);
	struct fake_folios *src = fake_folios_alloc(test, 8, 0);
	struct fake_folios *dst = fake_folios_alloc(test, 8, 0);
	struct offload_req *req = fake_req_alloc(test, 8);
	struct fake_stats before, delta;

	fake_route_set(test, OFFLOAD_MODE_PREFER, 8, 1, "eng");
	fake_folios_fill(src_few, 1);
	fake_folios_fill(src, 2);

	fake_req_prepare(test, req, src_few, dst_few);
	fake_stats_read(&before);
	KUNIT_EXPECT_EQ(test, fake_req_run(req), -EOPNOTSUPP);
	fake_stats_since(&delta, &before);
	fake_expect_declined(test, req, dst_few);
	KUNIT_EXPECT_EQ(test, atomic_read(&eng->chunks), 0);
	KUNIT_EXPECT_EQ(test, delta.declined, 1);
	KUNIT_EXPECT_EQ(test, delta.submitted, 0);

	/* min_batch folios are enough. */
	fake_req_prepare(test, req, src, dst);
	KUNIT_ASSERT_EQ(test, fake_req_run(req), 0);
	fake_stats_since(&delta, &before);
	fake_expect_copied(test, req, dst, 2);
	KUNIT_EXPECT_EQ(test, atomic_read(&eng->folios), 8);
	KUNIT_EXPECT_EQ(test, delta.declined, 1);
	KUNIT_EXPECT_EQ(test, delta.submitted, 8);
}

static void mode_off_declines(struct kunit *test)
{
	struct offload_test_engine *eng = fake_engine_add(test, "eng", OFFLOAD_TEST_INSTANT,
						  FAKE_NODE);
	struct fake_folios *src = fake_folios_alloc(test, 4, 0);
	struct fake_folios *dst = fake_folios_alloc(test, 4, 0);
	struct offload_req *req = fake_req_alloc(test, 4);
	struct fake_stats before, delta;

	fake_folios_fill(src, 1);
	fake_stats_read(&before);

	fake_route_set(test, OFFLOAD_MODE_OFF, 1, 1, "eng");
	fake_req_prepare(test, req, src, dst);
	KUNIT_EXPECT_EQ(test, fake_req_run(req), -EOPNOTSUPP);
	fake_expect_declined(test, req, dst);

	/* Prefer with no usable engine declines as well. */
	fake_route_set(test, OFFLOAD_MODE_PREFER, 1, 1, "absent");
	fake_req_prepare(test, req, src, dst);
	KUNIT_EXPECT_EQ(test, fake_req_run(req), -EOPNOTSUPP);
	fake_expect_declined(test, req, dst);

	fake_stats_since(&delta, &before);
	KUNIT_EXPECT_EQ(test, atomic_read(&eng->chunks), 0);
	KUNIT_EXPECT_EQ(test, delta.submitted, 0);
	KUNIT_EXPECT_EQ(test, delta.declined, 2);
}

static void mode_cpu_copies(struct kunit *test)
{
	struct offload_test_engine *eng = fake_engine_add(test, "eng", OFFLOAD_TEST_INSTANT,
						  FAKE_NODE);
	struct fake_folios *src = fake_folios_alloc(test, 8, 0);
	struct fake_folios *dst = fake_folios_alloc(test, 8, 0);
	struct offload_req *req = fake_req_alloc(test, 8);
	struct fake_stats before, delta;

	fake_route_set(test, OFFLOAD_MODE_CPU, 1, 1, "eng");
	fake_folios_fill(src, 1);
	fake_req_prepare(test, req, src, dst);
	fake_stats_read(&before);
	KUNIT_ASSERT_EQ(test, fake_req_run(req), 0);
	fake_stats_since(&delta, &before);

	fake_expect_copied(test, req, dst, 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&eng->chunks), 0);
	KUNIT_EXPECT_EQ(test, delta.submitted, 8);
	KUNIT_EXPECT_EQ(test, delta.cpu, 8);
	KUNIT_EXPECT_EQ(test, delta.offloaded, 0);
}

/* A chunk that an engine fails goes to the next engine of the route. */
static void prefer_retries_next_engine(struct kunit *test)
{
	struct offload_test_engine *flaky = fake_engine_alloc(test, "flaky",
						      OFFLOAD_TEST_INSTANT, FAKE_NODE);
	struct offload_test_engine *good = fake_engine_add(test, "good", OFFLOAD_TEST_INSTANT,
						   NUMA_NO_NODE);
	struct fake_folios *src = fake_folios_alloc(test, 8, 0);
	struct fake_folios *dst = fake_folios_alloc(test, 8, 0);
	struct offload_req *req = fake_req_alloc(test, 8);
	struct fake_stats before, delta;
	int failed;

	/* Never three faults in a row: the engine is not quarantined. */
	flaky->fail_every = 2;
	fake_engine_register(test, flaky);
	fake_route_set(test, OFFLOAD_MODE_PREFER, 1, 2, "flaky", "good");
	fake_folios_fill(src, 1);
	fake_req_prepare(test, req, src, dst);
	fake_stats_read(&before);
	KUNIT_ASSERT_EQ(test, fake_req_run(req), 0);
	fake_stats_since(&delta, &before);

	fake_expect_copied(test, req, dst, 1);
	failed = atomic_read(&flaky->failed);
	KUNIT_EXPECT_GT(test, failed, 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&good->chunks), failed);
	KUNIT_EXPECT_EQ(test, atomic_read(&flaky->folios) +
			atomic_read(&good->folios), 8);
	KUNIT_EXPECT_EQ(test, atomic64_read(&flaky->eng.stats.errors), failed);
	KUNIT_EXPECT_EQ(test, atomic64_read(&flaky->eng.stats.fallbacks),
			failed);
	KUNIT_EXPECT_EQ(test, delta.offloaded, 8);
	KUNIT_EXPECT_EQ(test, delta.cpu, 0);
	KUNIT_EXPECT_FALSE(test, fake_quarantined(flaky));
}

/* A chunk that every engine fails is copied by the CPU. */
static void prefer_falls_back_to_cpu(struct kunit *test)
{
	struct offload_test_engine *first = fake_engine_alloc(test, "first",
						      OFFLOAD_TEST_INSTANT, FAKE_NODE);
	struct offload_test_engine *second = fake_engine_alloc(test, "second",
						       OFFLOAD_TEST_INSTANT, FAKE_NODE);
	struct fake_folios *src = fake_folios_alloc(test, 2, 0);
	struct fake_folios *dst = fake_folios_alloc(test, 2, 0);
	struct offload_req *req = fake_req_alloc(test, 2);
	struct fake_stats before, delta;
	int chunks;

	/* Two folios: at most two faults each, below the quarantine. */
	first->fail_every = 1;
	fake_engine_register(test, first);
	second->fail_every = 1;
	fake_engine_register(test, second);
	fake_route_set(test, OFFLOAD_MODE_PREFER, 1, 2, "first", "second");
	fake_folios_fill(src, 1);
	fake_req_prepare(test, req, src, dst);
	fake_stats_read(&before);
	KUNIT_ASSERT_EQ(test, fake_req_run(req), 0);
	fake_stats_since(&delta, &before);

	fake_expect_copied(test, req, dst, 1);
	chunks = atomic_read(&first->chunks);
	KUNIT_EXPECT_GT(test, chunks, 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&second->chunks), chunks);
	KUNIT_EXPECT_EQ(test, atomic64_read(&first->eng.stats.fallbacks),
			chunks);
	KUNIT_EXPECT_EQ(test, atomic64_read(&second->eng.stats.fallbacks),
			chunks);
	KUNIT_EXPECT_EQ(test, delta.cpu, 2);
	KUNIT_EXPECT_EQ(test, delta.offloaded, 0);
	KUNIT_EXPECT_FALSE(test, fake_quarantined(first));
	KUNIT_EXPECT_FALSE(test, fake_quarantined(second));
}

/* An engine that refuses is skipped at once: another engine copies all. */
static void busy_engine_skipped(struct kunit *test)
{
	struct offload_test_engine *busy = fake_engine_alloc(test, "busy",
						     OFFLOAD_TEST_INSTANT, FAKE_NODE);
	struct offload_test_engine *good = fake_engine_add(test, "good", OFFLOAD_TEST_INSTANT,
						   NUMA_NO_NODE);
	struct fake_folios *src = fake_folios_alloc(test, 8, 0);
	struct fake_folios *dst = fake_folios_alloc(test, 8, 0);
	struct offload_req *req = fake_req_alloc(test, 8);
	struct fake_stats before, delta;

	busy->reject = true;
	fake_engine_register(test, busy);
	fake_route_set(test, OFFLOAD_MODE_PREFER, 1, 2, "busy", "good");
	fake_folios_fill(src, 1);
	fake_req_prepare(test, req, src, dst);
	fake_stats_read(&before);
	KUNIT_ASSERT_EQ(test, fake_req_run(req), 0);
	fake_stats_since(&delta, &before);

	fake_expect_copied(test, req, dst, 1);
	KUNIT_EXPECT_GT(test, atomic_read(&busy->rejected), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&busy->chunks), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&good->folios), 8);
	KUNIT_EXPECT_EQ(test, delta.cpu, 0);
	KUNIT_EXPECT_EQ(test, atomic64_read(&busy->eng.stats.refused),
			atomic_read(&busy->rejected));
	/* A full queue is not a fault. */
	KUNIT_EXPECT_EQ(test, atomic_read(&busy->eng.faults), 0);
}

static void require_never_uses_cpu(struct kunit *test)
{
	struct offload_test_engine *bad = fake_engine_alloc(test, "bad", OFFLOAD_TEST_INSTANT,
						    FAKE_NODE);
	struct fake_folios *src = fake_folios_alloc(test, 2, 0);
	struct fake_folios *dst = fake_folios_alloc(test, 2, 0);
	struct offload_req *req = fake_req_alloc(test, 2);
	struct fake_stats before, delta;

	bad->fail_every = 1;
	fake_engine_register(test, bad);
	/* min_batch does not apply: declining would let the CPU copy. */
	fake_route_set(test, OFFLOAD_MODE_REQUIRE,
		       OFFLOAD_ROUTE_MIN_BATCH_DEFAULT, 1, "bad");
	fake_folios_fill(src, 1);
	fake_folios_fill(dst, 2);
	fake_req_prepare(test, req, src, dst);
	fake_stats_read(&before);
	KUNIT_ASSERT_EQ(test, fake_req_run(req), 0);
	fake_stats_since(&delta, &before);

	fake_expect_failed(test, req, dst, 2);
	KUNIT_EXPECT_GT(test, atomic_read(&bad->failed), 0);
	KUNIT_EXPECT_EQ(test, delta.submitted, 2);
	KUNIT_EXPECT_EQ(test, delta.failed, 2);
	KUNIT_EXPECT_EQ(test, delta.cpu, 0);
	KUNIT_EXPECT_EQ(test, delta.offloaded, 0);
}

/* A request of the require route set: every pair fails, refused. */
static void expect_require_refused(struct kunit *test)
{
	struct fake_folios *src = fake_folios_alloc(test, 4, 0);
	struct fake_folios *dst = fake_folios_alloc(test, 4, 0);
	struct offload_req *req = fake_req_alloc(test, 4);
	struct fake_stats before, delta;

	fake_folios_fill(src, 1);
	fake_folios_fill(dst, 2);
	fake_req_prepare(test, req, src, dst);
	fake_stats_read(&before);
	KUNIT_ASSERT_EQ(test, fake_req_run(req), 0);
	fake_stats_since(&delta, &before);

	fake_expect_failed(test, req, dst, 2);
	KUNIT_EXPECT_EQ(test, delta.failed, 4);
	KUNIT_EXPECT_EQ(test, delta.cpu, 0);
	KUNIT_EXPECT_EQ(test, delta.refused, 1);
}

static void require_without_engine_fails(struct kunit *test)
{
	fake_route_set(test, OFFLOAD_MODE_REQUIRE, 1, 1, "absent");
	expect_require_refused(test);
}

/* A require route naming no engine uses none, not every one. */
static void require_without_names_fails(struct kunit *test)
{
	struct offload_test_engine *fe = fake_engine_add(test, "unnamed",
							 OFFLOAD_TEST_INSTANT,
							 FAKE_NODE);

	fake_route_set(test, OFFLOAD_MODE_REQUIRE, 1, 0);
	expect_require_refused(test);
	KUNIT_EXPECT_EQ(test, atomic_read(&fe->chunks), 0);
}

/*
 * A route names its engines: one that registers after the route was set
 * is resolved as it registers, one that unregisters is dropped from it,
 * and one of the same name registering again is resolved again.
 */
static void route_follows_registrations(struct kunit *test)
{
	struct offload_test_engine *late = fake_engine_alloc(test, "late",
							     OFFLOAD_TEST_INSTANT,
							     FAKE_NODE);
	struct offload_test_engine *again = fake_engine_alloc(test, "late",
							      OFFLOAD_TEST_INSTANT,
							      FAKE_NODE);
	struct fake_folios *src = fake_folios_alloc(test, 8, 0);
	struct fake_folios *dst = fake_folios_alloc(test, 8, 0);
	struct offload_req *req = fake_req_alloc(test, 8);
	struct fake_stats before, delta;

	fake_route_set(test, OFFLOAD_MODE_REQUIRE, 1, 1, "late");
	fake_folios_fill(src, 1);

	fake_engine_register(test, late);
	fake_req_prepare(test, req, src, dst);
	KUNIT_ASSERT_EQ(test, fake_req_run(req), 0);
	fake_expect_copied(test, req, dst, 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&late->folios), 8);

	fake_engine_unregister(late);
	fake_folios_fill(dst, 2);
	fake_req_prepare(test, req, src, dst);
	fake_stats_read(&before);
	KUNIT_ASSERT_EQ(test, fake_req_run(req), 0);
	fake_stats_since(&delta, &before);
	fake_expect_failed(test, req, dst, 2);
	KUNIT_EXPECT_EQ(test, delta.refused, 1);

	fake_engine_register(test, again);
	fake_req_prepare(test, req, src, dst);
	KUNIT_ASSERT_EQ(test, fake_req_run(req), 0);
	fake_expect_copied(test, req, dst, 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&again->folios), 8);
}

/*
 * A poisoned source never goes to another engine: the CPU's machine-check
 * safe copy, pair by pair, finds which source it is (here none: the fake
 * engine lies), and the engine that reported it is not at fault.  Under
 * require the CPU may not read it: every pair fails.
 */
static void poison_goes_to_cpu_only(struct kunit *test)
{
	struct offload_test_engine *finder = fake_engine_alloc(test, "finder",
							       OFFLOAD_TEST_INSTANT,
							       FAKE_NODE);
	struct offload_test_engine *other = fake_engine_add(test, "other",
							    OFFLOAD_TEST_INSTANT,
							    NUMA_NO_NODE);
	struct fake_folios *src = fake_folios_alloc(test, 4, 0);
	struct fake_folios *dst = fake_folios_alloc(test, 4, 0);
	struct offload_req *req = fake_req_alloc(test, 4);
	struct fake_stats before, delta;

	finder->fail_every = 1;
	finder->fail_errno = -EHWPOISON;
	fake_engine_register(test, finder);
	fake_route_set(test, OFFLOAD_MODE_PREFER, 1, 2, "finder", "other");
	fake_folios_fill(src, 1);
	fake_req_prepare(test, req, src, dst);
	fake_stats_read(&before);
	KUNIT_ASSERT_EQ(test, fake_req_run(req), 0);
	fake_stats_since(&delta, &before);

	fake_expect_copied(test, req, dst, 1);
	KUNIT_EXPECT_GT(test, atomic_read(&finder->failed), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&other->chunks), 0);
	KUNIT_EXPECT_EQ(test, delta.cpu, 4);
	KUNIT_EXPECT_EQ(test, delta.failed, 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&finder->eng.faults), 0);

	fake_route_set(test, OFFLOAD_MODE_REQUIRE, 1, 2, "finder", "other");
	fake_folios_fill(dst, 2);
	fake_req_prepare(test, req, src, dst);
	KUNIT_ASSERT_EQ(test, fake_req_run(req), 0);
	fake_expect_failed(test, req, dst, 2);
	KUNIT_EXPECT_EQ(test, fake_req_count(req, -EIO), 4);
	KUNIT_EXPECT_EQ(test, atomic_read(&other->chunks), 0);
}

/*
 * An engine that refuses with an error other than -EBUSY has failed the
 * chunk; one that keeps answering -EBUSY to a require request makes it
 * fail after a bounded wait instead of hanging.
 */
static void require_refusals_fail(struct kunit *test)
{
	struct offload_test_engine *broken = fake_engine_alloc(test, "broken",
							       OFFLOAD_TEST_INSTANT,
							       FAKE_NODE);
	struct offload_test_engine *full = fake_engine_alloc(test, "full",
							     OFFLOAD_TEST_INSTANT,
							     FAKE_NODE);
	struct fake_folios *src = fake_folios_alloc(test, 2, 0);
	struct fake_folios *dst = fake_folios_alloc(test, 2, 0);
	struct offload_req *req = fake_req_alloc(test, 2);

	broken->reject = true;
	broken->reject_errno = -EIO;
	fake_engine_register(test, broken);
	full->reject = true;
	fake_engine_register(test, full);
	fake_folios_fill(src, 1);
	fake_folios_fill(dst, 2);

	fake_route_set(test, OFFLOAD_MODE_REQUIRE, 1, 1, "broken");
	fake_req_prepare(test, req, src, dst);
	KUNIT_ASSERT_EQ(test, fake_req_run(req), 0);
	fake_expect_failed(test, req, dst, 2);
	KUNIT_EXPECT_GT(test, atomic_read(&broken->rejected), 0);

	fake_route_set(test, OFFLOAD_MODE_REQUIRE, 1, 1, "full");
	fake_req_prepare(test, req, src, dst);
	KUNIT_ASSERT_EQ(test, fake_req_run(req), 0);
	fake_expect_failed(test, req, dst, 2);
	KUNIT_EXPECT_GT(test, atomic_read(&full->rejected), 1);
}

/*
 * A caller's deadline aborts what is still on an engine, however long the
 * engine's own timeout: prefer then copies on the CPU, require fails.
 */
static void wait_deadline(struct kunit *test)
{
	struct offload_test_engine *slow = fake_engine_alloc(test, "slow",
							     OFFLOAD_TEST_NEVER,
							     FAKE_NODE);
	struct fake_folios *src = fake_folios_alloc(test, 2, 0);
	struct fake_folios *dst = fake_folios_alloc(test, 2, 0);
	struct offload_req *req = fake_req_alloc(test, 2);
	u64 start;

	slow->eng.timeout_ms = 60000;
	fake_engine_register(test, slow);
	fake_folios_fill(src, 1);

	fake_route_set(test, OFFLOAD_MODE_PREFER, 1, 1, "slow");
	fake_req_prepare(test, req, src, dst);
	start = ktime_get_ns();
	KUNIT_ASSERT_EQ(test, offload_req_submit(req), 0);
	KUNIT_EXPECT_EQ(test, offload_req_wait(req, msecs_to_jiffies(50)),
			-ETIMEDOUT);
	KUNIT_EXPECT_LT(test, ktime_get_ns() - start, 10ULL * NSEC_PER_SEC);
	fake_expect_copied(test, req, dst, 1);
	KUNIT_EXPECT_GT(test, atomic_read(&slow->aborted), 0);
	/* The caller's deadline, not the engine's lateness. */
	KUNIT_EXPECT_EQ(test, atomic_read(&slow->eng.faults), 0);
	KUNIT_EXPECT_EQ(test, atomic64_read(&slow->eng.stats.timeouts), 0);
	KUNIT_EXPECT_FALSE(test, fake_quarantined(slow));

	fake_route_set(test, OFFLOAD_MODE_REQUIRE, 1, 1, "slow");
	fake_folios_fill(dst, 2);
	fake_req_prepare(test, req, src, dst);
	KUNIT_ASSERT_EQ(test, offload_req_submit(req), 0);
	KUNIT_EXPECT_EQ(test, offload_req_wait(req, msecs_to_jiffies(50)),
			-ETIMEDOUT);
	fake_expect_failed(test, req, dst, 2);
	KUNIT_EXPECT_EQ(test, atomic_read(&slow->eng.faults), 0);
}

/* Timeouts are faults: three quarantine the engine until it is enabled. */
static void timeout_quarantine_enable(struct kunit *test)
{
	struct offload_test_engine *stuck = fake_engine_alloc(test, "stuck",
						      OFFLOAD_TEST_NEVER, FAKE_NODE);
	struct offload_test_engine *spare = fake_engine_add(test, "spare",
						    OFFLOAD_TEST_INSTANT,
						    NUMA_NO_NODE);
	struct fake_folios *src = fake_folios_alloc(test, 1, 0);
	struct fake_folios *dst = fake_folios_alloc(test, 1, 0);
	struct offload_req *req = fake_req_alloc(test, 1);
	int i;

	stuck->eng.timeout_ms = 50;
	fake_engine_register(test, stuck);
	fake_route_set(test, OFFLOAD_MODE_PREFER, 1, 2, "stuck", "spare");
	fake_folios_fill(src, 1);

	for (i = 0; i < OFFLOAD_ENGINE_MAX_FAULTS; i++) {
		KUNIT_EXPECT_FALSE(test, fake_quarantined(stuck));
		fake_folios_fill(dst, 0);
		fake_req_prepare(test, req, src, dst);
		KUNIT_ASSERT_EQ(test, fake_req_run(req), 0);
		fake_expect_copied(test, req, dst, 1);
	}
	KUNIT_EXPECT_EQ(test, atomic_read(&stuck->chunks),
			OFFLOAD_ENGINE_MAX_FAULTS);
	KUNIT_EXPECT_EQ(test, atomic_read(&stuck->aborted),
			OFFLOAD_ENGINE_MAX_FAULTS);
	KUNIT_EXPECT_EQ(test, atomic64_read(&stuck->eng.stats.timeouts),
			OFFLOAD_ENGINE_MAX_FAULTS);
	KUNIT_EXPECT_EQ(test, atomic64_read(&stuck->eng.stats.errors),
			OFFLOAD_ENGINE_MAX_FAULTS);
	KUNIT_EXPECT_TRUE(test, fake_quarantined(stuck));

	/* Quarantined: the work goes to the spare engine. */
	fake_folios_fill(dst, 0);
	fake_req_prepare(test, req, src, dst);
	i = atomic_read(&spare->folios);
	KUNIT_ASSERT_EQ(test, fake_req_run(req), 0);
	fake_expect_copied(test, req, dst, 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&stuck->chunks),
			OFFLOAD_ENGINE_MAX_FAULTS);
	KUNIT_EXPECT_EQ(test, atomic_read(&spare->folios), i + 1);

	/* Enabled again, it is the local engine of choice again. */
	offload_engine_enable(&stuck->eng);
	KUNIT_EXPECT_FALSE(test, fake_quarantined(stuck));
	fake_folios_fill(dst, 0);
	fake_req_prepare(test, req, src, dst);
	KUNIT_ASSERT_EQ(test, fake_req_run(req), 0);
	fake_expect_copied(test, req, dst, 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&stuck->chunks),
			OFFLOAD_ENGINE_MAX_FAULTS + 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&stuck->eng.inflight), 0);
}

/* A quarantined engine that works again is re-enabled by the probe. */
static void probe_reenables_engine(struct kunit *test)
{
	struct offload_test_engine *flaky = fake_engine_alloc(test, "flaky",
						      OFFLOAD_TEST_INSTANT, FAKE_NODE);
	struct fake_folios *src = fake_folios_alloc(test, 1, 0);
	struct fake_folios *dst = fake_folios_alloc(test, 1, 0);
	struct offload_req *req = fake_req_alloc(test, 1);
	struct fake_stats before, delta;
	unsigned long deadline;
	int i;

	fake_engine_add(test, "spare", OFFLOAD_TEST_INSTANT, NUMA_NO_NODE);
	flaky->fail_every = 1;
	fake_engine_register(test, flaky);
	fake_route_set(test, OFFLOAD_MODE_PREFER, 1, 2, "flaky", "spare");
	fake_folios_fill(src, 1);

	for (i = 0; i < OFFLOAD_ENGINE_MAX_FAULTS; i++) {
		fake_folios_fill(dst, 0);
		fake_req_prepare(test, req, src, dst);
		KUNIT_ASSERT_EQ(test, fake_req_run(req), 0);
		fake_expect_copied(test, req, dst, 1);
	}
	KUNIT_ASSERT_TRUE(test, fake_quarantined(flaky));

	fake_stats_read(&before);
	WRITE_ONCE(flaky->fail_every, 0);
	deadline = jiffies + 5 * HZ;
	while (fake_quarantined(flaky) && time_before(jiffies, deadline))
		msleep(50);
	KUNIT_ASSERT_FALSE(test, fake_quarantined(flaky));
	/* Probes count as probes, not as the copies of a class. */
	fake_stats_since(&delta, &before);
	KUNIT_EXPECT_GE(test, atomic64_read(&flaky->eng.stats.probes), 1);
	KUNIT_EXPECT_EQ(test, delta.submitted, 0);

	fake_folios_fill(dst, 0);
	fake_req_prepare(test, req, src, dst);
	i = atomic_read(&flaky->folios);
	KUNIT_ASSERT_EQ(test, fake_req_run(req), 0);
	fake_expect_copied(test, req, dst, 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&flaky->folios), i + 1);
}

#define OOO_FOLIOS	32

/* Chunks completing in any order: each pair is reported exactly once. */
static void out_of_order_reported_once(struct kunit *test)
{
	struct offload_test_engine *a = fake_engine_add(test, "ooo0",
						OFFLOAD_TEST_OUT_OF_ORDER, FAKE_NODE);
	struct offload_test_engine *b = fake_engine_add(test, "ooo1",
						OFFLOAD_TEST_OUT_OF_ORDER, FAKE_NODE);
	struct fake_folios *src = fake_folios_alloc(test, OOO_FOLIOS, 0);
	struct fake_folios *dst = fake_folios_alloc(test, OOO_FOLIOS, 0);
	struct offload_req *req = fake_req_alloc(test, OOO_FOLIOS);
	unsigned int first, nr, i, bad_range = 0, twice = 0, unfinished = 0;
	DECLARE_BITMAP(seen, OOO_FOLIOS);
	int ret;

	bitmap_zero(seen, OOO_FOLIOS);
	fake_route_set(test, OFFLOAD_MODE_PREFER, 1, 2, "ooo0", "ooo1");
	fake_folios_fill(src, 1);
	fake_req_prepare(test, req, src, dst);
	KUNIT_ASSERT_EQ(test, offload_req_submit(req), 0);

	while ((ret = offload_req_next(req, &first, &nr)) > 0) {
		if (!nr || first >= OOO_FOLIOS || nr > OOO_FOLIOS - first) {
			bad_range++;
			continue;
		}
		for (i = first; i < first + nr; i++) {
			twice += __test_and_set_bit(i, seen);
			unfinished += req->status[i] == -EINPROGRESS;
		}
	}

	KUNIT_EXPECT_EQ(test, ret, 0);
	KUNIT_EXPECT_EQ(test, offload_req_next(req, &first, &nr), 0);
	KUNIT_EXPECT_EQ(test, bad_range, 0);
	KUNIT_EXPECT_EQ(test, twice, 0);
	KUNIT_EXPECT_EQ(test, unfinished, 0);
	KUNIT_EXPECT_TRUE(test, bitmap_full(seen, OOO_FOLIOS));
	KUNIT_EXPECT_EQ(test, atomic_read(&a->folios) +
			atomic_read(&b->folios), OOO_FOLIOS);
	fake_expect_copied(test, req, dst, 1);
}

/* The request holds its engines until offload_req_next() returned 0. */
static void unregister_waits_for_request(struct kunit *test)
{
	struct offload_test_engine *leaving = fake_engine_alloc(test, "leaving",
							OFFLOAD_TEST_DELAYED,
							FAKE_NODE);
	struct fake_folios *src = fake_folios_alloc(test, 8, 0);
	struct fake_folios *dst = fake_folios_alloc(test, 8, 0);
	struct offload_req *req = fake_req_alloc(test, 8);
	struct offload_engine *got;
	struct fake_async fa;

	leaving->delay_ms = 100;
	fake_engine_register(test, leaving);
	fake_route_set(test, OFFLOAD_MODE_PREFER, 1, 1, "leaving");
	fake_folios_fill(src, 1);
	fake_req_prepare(test, req, src, dst);
	KUNIT_ASSERT_EQ(test, offload_req_submit(req), 0);
	KUNIT_EXPECT_GT(test, atomic_read(&leaving->chunks), 0);

	fake_async_start(&fa, fake_engine_unregister_action, leaving);
	/* The chunks complete after 100 ms; the request is not over yet. */
	KUNIT_EXPECT_FALSE(test, fake_async_wait(&fa, 300));
	got = offload_engine_get("leaving");
	KUNIT_EXPECT_NULL(test, got);
	if (got)
		offload_engine_put(got);

	offload_req_wait(req, MAX_SCHEDULE_TIMEOUT);
	KUNIT_EXPECT_TRUE(test, fake_async_wait(&fa, 10000));
	fake_async_finish(&fa);

	fake_expect_copied(test, req, dst, 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&leaving->folios), 8);
}

#define LARGE_ORDER	2
#define LARGE_FOLIOS	4
#define LARGE_PAGES	(LARGE_FOLIOS << LARGE_ORDER)

static void large_folios_split_without_cap(struct kunit *test)
{
	struct offload_test_engine *pages = fake_engine_add(test, "pages",
						    OFFLOAD_TEST_INSTANT, FAKE_NODE);
	struct offload_test_engine *whole = fake_engine_alloc(test, "whole",
						      OFFLOAD_TEST_INSTANT, FAKE_NODE);
	struct fake_folios *src = fake_folios_alloc(test, LARGE_FOLIOS,
						    LARGE_ORDER);
	struct fake_folios *dst = fake_folios_alloc(test, LARGE_FOLIOS,
						    LARGE_ORDER);
	struct offload_req *req = fake_req_alloc(test, LARGE_FOLIOS);

	whole->eng.caps = OFFLOAD_CAP_LARGE_FOLIO;
	fake_engine_register(test, whole);
	fake_folios_fill(src, 1);

	fake_route_set(test, OFFLOAD_MODE_PREFER, 1, 1, "pages");
	fake_req_prepare(test, req, src, dst);
	KUNIT_ASSERT_EQ(test, fake_req_run(req), 0);
	fake_expect_copied(test, req, dst, 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&pages->segs), LARGE_PAGES);
	KUNIT_EXPECT_EQ(test, pages->max_seg, PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&pages->seg_bytes),
			LARGE_PAGES * PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, atomic_read(&pages->folios), LARGE_FOLIOS);
	KUNIT_EXPECT_EQ(test, atomic64_read(&pages->eng.stats.folios),
			LARGE_FOLIOS);
	KUNIT_EXPECT_EQ(test, atomic64_read(&pages->eng.stats.bytes),
			LARGE_PAGES * PAGE_SIZE);

	fake_route_set(test, OFFLOAD_MODE_PREFER, 1, 1, "whole");
	fake_folios_fill(dst, 0);
	fake_req_prepare(test, req, src, dst);
	KUNIT_ASSERT_EQ(test, fake_req_run(req), 0);
	fake_expect_copied(test, req, dst, 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&whole->segs), LARGE_FOLIOS);
	KUNIT_EXPECT_EQ(test, whole->max_seg, PAGE_SIZE << LARGE_ORDER);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&whole->seg_bytes),
			LARGE_PAGES * PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, atomic64_read(&whole->eng.stats.folios),
			LARGE_FOLIOS);
}

#define SUBMITTERS		4
#define SUBMITTER_REQS		20
#define SUBMITTER_FOLIOS	16

struct submitter {
	struct work_struct	work;
	struct fake_folios	*src;
	struct fake_folios	*dst;
	struct offload_req	*req;
	u32			seed;
	unsigned int		refused;
	unsigned int		failed;
	unsigned int		corrupt;
};

static void submitter_fn(struct work_struct *work)
{
	struct submitter *s = container_of(work, struct submitter, work);
	unsigned int i;

	for (i = 0; i < SUBMITTER_REQS; i++) {
		fake_folios_fill(s->dst, 0);
		if (fake_req_setup(s->req, s->src, s->dst) ||
		    fake_req_run(s->req)) {
			s->refused++;
			continue;
		}
		s->failed += SUBMITTER_FOLIOS - fake_req_count(s->req, 0);
		s->corrupt += fake_folios_check(s->dst, s->seed) >= 0;
	}
}

static void many_submitters(struct kunit *test)
{
	struct offload_test_engine *fe[2];
	struct submitter *subs;
	struct fake_stats before, delta;
	int i;

	for (i = 0; i < ARRAY_SIZE(fe); i++) {
		fe[i] = fake_engine_alloc(test, i ? "par1" : "par0",
					  OFFLOAD_TEST_DELAYED, FAKE_NODE);
		fe[i]->delay_ms = 2;
		fe[i]->eng.max_inflight = 4;
		fake_engine_register(test, fe[i]);
	}
	fake_route_set(test, OFFLOAD_MODE_PREFER, 1, 2, "par0", "par1");

	subs = kunit_kcalloc(test, SUBMITTERS, sizeof(*subs), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, subs);
	for (i = 0; i < SUBMITTERS; i++) {
		subs[i].src = fake_folios_alloc(test, SUBMITTER_FOLIOS, 0);
		subs[i].dst = fake_folios_alloc(test, SUBMITTER_FOLIOS, 0);
		subs[i].req = fake_req_alloc(test, SUBMITTER_FOLIOS);
		subs[i].seed = i + 1;
		fake_folios_fill(subs[i].src, subs[i].seed);
		INIT_WORK(&subs[i].work, submitter_fn);
	}

	fake_stats_read(&before);
	for (i = 0; i < SUBMITTERS; i++)
		queue_work(system_unbound_wq, &subs[i].work);
	for (i = 0; i < SUBMITTERS; i++)
		flush_work(&subs[i].work);
	fake_stats_since(&delta, &before);

	for (i = 0; i < SUBMITTERS; i++) {
		KUNIT_EXPECT_EQ(test, subs[i].refused, 0);
		KUNIT_EXPECT_EQ(test, subs[i].failed, 0);
		KUNIT_EXPECT_EQ(test, subs[i].corrupt, 0);
	}
	for (i = 0; i < ARRAY_SIZE(fe); i++) {
		KUNIT_EXPECT_GT(test, atomic_read(&fe[i]->chunks), 0);
		KUNIT_EXPECT_LE(test, fe[i]->max_inflight_seen, 4);
		KUNIT_EXPECT_EQ(test, atomic_read(&fe[i]->eng.inflight), 0);
	}
	KUNIT_EXPECT_EQ(test, delta.submitted,
			SUBMITTERS * SUBMITTER_REQS * SUBMITTER_FOLIOS);
	KUNIT_EXPECT_EQ(test, delta.offloaded, atomic_read(&fe[0]->folios) +
			atomic_read(&fe[1]->folios));
	KUNIT_EXPECT_EQ(test, delta.offloaded + delta.cpu, delta.submitted);
	KUNIT_EXPECT_EQ(test, delta.failed, 0);
}

/* The counters of an engine agree with what the fake engine saw. */
static void expect_engine_stats(struct kunit *test,
				struct offload_test_engine *fe)
{
	struct offload_engine_stats *st = &fe->eng.stats;

	KUNIT_EXPECT_EQ(test, atomic64_read(&st->submitted),
			atomic_read(&fe->chunks));
	KUNIT_EXPECT_EQ(test, atomic64_read(&st->folios),
			atomic_read(&fe->folios));
	KUNIT_EXPECT_EQ(test, atomic64_read(&st->bytes),
			atomic_read(&fe->folios) * PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, atomic64_read(&st->errors),
			atomic_read(&fe->failed));
	KUNIT_EXPECT_EQ(test, atomic64_read(&st->timeouts), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&fe->eng.inflight), 0);
	KUNIT_EXPECT_EQ(test, atomic64_read(&fe->eng.outstanding), 0);
}

static void stats_add_up(struct kunit *test)
{
	struct offload_test_engine *flaky = fake_engine_alloc(test, "flaky",
						      OFFLOAD_TEST_INSTANT, FAKE_NODE);
	struct offload_test_engine *bad = fake_engine_alloc(test, "bad", OFFLOAD_TEST_INSTANT,
						    FAKE_NODE);
	struct offload_test_engine *good = fake_engine_add(test, "good", OFFLOAD_TEST_INSTANT,
						   FAKE_NODE);
	struct fake_folios *src = fake_folios_alloc(test, 12, 0);
	struct fake_folios *dst = fake_folios_alloc(test, 12, 0);
	struct fake_folios *src2 = fake_folios_alloc(test, 2, 0);
	struct fake_folios *dst2 = fake_folios_alloc(test, 2, 0);
	struct offload_req *req = fake_req_alloc(test, 12);
	struct fake_stats before, delta;

	flaky->fail_every = 3;
	fake_engine_register(test, flaky);
	bad->fail_every = 1;
	fake_engine_register(test, bad);
	fake_folios_fill(src, 1);
	fake_folios_fill(src2, 2);
	fake_stats_read(&before);

	/* 12 offloaded, a third of them after a retry. */
	fake_route_set(test, OFFLOAD_MODE_PREFER, 1, 2, "flaky", "good");
	fake_req_prepare(test, req, src, dst);
	KUNIT_ASSERT_EQ(test, fake_req_run(req), 0);
	fake_expect_copied(test, req, dst, 1);

	/* 2 failed. */
	fake_route_set(test, OFFLOAD_MODE_REQUIRE, 1, 1, "bad");
	fake_req_prepare(test, req, src2, dst2);
	KUNIT_ASSERT_EQ(test, fake_req_run(req), 0);
	fake_expect_failed(test, req, dst2, 0);

	/* 12 copied by the CPU. */
	fake_route_set(test, OFFLOAD_MODE_CPU, 1, 1, "good");
	fake_folios_fill(dst, 0);
	fake_req_prepare(test, req, src, dst);
	KUNIT_ASSERT_EQ(test, fake_req_run(req), 0);
	fake_expect_copied(test, req, dst, 1);

	/* 1 declined. */
	fake_route_set(test, OFFLOAD_MODE_PREFER, 13, 2, "flaky", "good");
	fake_req_prepare(test, req, src, dst);
	KUNIT_EXPECT_EQ(test, fake_req_run(req), -EOPNOTSUPP);

	fake_stats_since(&delta, &before);
	KUNIT_EXPECT_EQ(test, delta.submitted, 26);
	KUNIT_EXPECT_EQ(test, delta.offloaded, 12);
	KUNIT_EXPECT_EQ(test, delta.cpu, 12);
	KUNIT_EXPECT_EQ(test, delta.failed, 2);
	KUNIT_EXPECT_EQ(test, delta.declined, 1);
	KUNIT_EXPECT_EQ(test, delta.submitted,
			delta.offloaded + delta.cpu + delta.failed);

	KUNIT_EXPECT_GT(test, atomic_read(&flaky->failed), 0);
	KUNIT_EXPECT_EQ(test, atomic64_read(&flaky->eng.stats.fallbacks),
			atomic_read(&flaky->failed));
	KUNIT_EXPECT_EQ(test, atomic64_read(&bad->eng.stats.fallbacks), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&flaky->folios) +
			atomic_read(&good->folios), 12);
	expect_engine_stats(test, flaky);
	expect_engine_stats(test, bad);
	expect_engine_stats(test, good);
}

static void req_add_errors(struct kunit *test)
{
	struct fake_folios *small = fake_folios_alloc(test, 3, 0);
	struct fake_folios *big = fake_folios_alloc(test, 1, 1);
	struct offload_req *req = fake_req_alloc(test, 2);

	offload_req_init(req, FAKE_CLASS, FAKE_NODE, FAKE_NODE);
	KUNIT_EXPECT_EQ(test, offload_req_add(req, small->folio[0],
					      small->folio[1]), 0);
	KUNIT_EXPECT_EQ(test, offload_req_add(req, small->folio[1],
					      small->folio[2]), 1);
	KUNIT_EXPECT_EQ(test, offload_req_add(req, small->folio[2],
					      small->folio[0]), -ENOSPC);
	KUNIT_EXPECT_EQ(test, req->nr, 2);

	/* Init starts over; folios of different sizes do not pair. */
	offload_req_init(req, FAKE_CLASS, FAKE_NODE, FAKE_NODE);
	KUNIT_EXPECT_EQ(test, req->nr, 0);
	KUNIT_EXPECT_EQ(test, offload_req_add(req, small->folio[0],
					      big->folio[0]), -EINVAL);
	KUNIT_EXPECT_EQ(test, offload_req_add(req, big->folio[0],
					      small->folio[0]), -EINVAL);
	KUNIT_EXPECT_EQ(test, req->nr, 0);
	KUNIT_EXPECT_EQ(test, offload_req_add(req, small->folio[0],
					      small->folio[1]), 0);
}

/* Set @bad, expect @err, and check that the route of FAKE_CLASS is @good. */
static void expect_route_refused(struct kunit *test, unsigned int class,
				 const struct offload_route *bad, int err,
				 const struct offload_route *good)
{
	struct offload_route now;

	KUNIT_EXPECT_EQ(test, offload_route_set(class, bad), err);
	KUNIT_ASSERT_EQ(test, offload_route_get(FAKE_CLASS, &now), 0);
	KUNIT_EXPECT_MEMEQ(test, &now, good, sizeof(now));
}

/*
 * What page migration asks before building a request: the static key and
 * offload_class_wants(), whose thresholds count base pages.
 */
static void migration_gate(struct kunit *test)
{
	struct offload_test_engine *fe;

	if (offload_copy_enabled())
		kunit_skip(test, "an engine or a require route is already in place");

	fe = fake_engine_add(test, "gate", OFFLOAD_TEST_INSTANT, FAKE_NODE);
	KUNIT_EXPECT_TRUE(test, offload_copy_enabled());
	fake_engine_unregister(fe);
	KUNIT_EXPECT_FALSE(test, offload_copy_enabled());

	fake_route_set(test, OFFLOAD_MODE_PREFER, 32, 0);
	KUNIT_EXPECT_FALSE(test, offload_class_wants(FAKE_CLASS, 31));
	KUNIT_EXPECT_TRUE(test, offload_class_wants(FAKE_CLASS, 32));
	/* One 2 MiB THP is 512 base pages. */
	KUNIT_EXPECT_TRUE(test, offload_class_wants(FAKE_CLASS, 512));
	KUNIT_EXPECT_FALSE(test, offload_class_wants(OFFLOAD_NR_CLASSES, 512));

	fake_route_set(test, OFFLOAD_MODE_CPU, 1, 0);
	KUNIT_EXPECT_FALSE(test, offload_class_wants(FAKE_CLASS, 512));
	fake_route_set(test, OFFLOAD_MODE_OFF, 1, 0);
	KUNIT_EXPECT_FALSE(test, offload_class_wants(FAKE_CLASS, 512));

	/* A require route must reach the broker even with no engine. */
	fake_route_set(test, OFFLOAD_MODE_REQUIRE, 32, 0);
	KUNIT_EXPECT_TRUE(test, offload_class_wants(FAKE_CLASS, 1));
	KUNIT_EXPECT_TRUE(test, offload_copy_enabled());
}

static void route_set_validation(struct kunit *test)
{
	struct offload_route *good = kunit_kzalloc(test, sizeof(*good),
						   GFP_KERNEL);
	struct offload_route *bad = kunit_kzalloc(test, sizeof(*bad),
						  GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, good);
	KUNIT_ASSERT_NOT_NULL(test, bad);

	/* The default route. */
	KUNIT_ASSERT_EQ(test, offload_route_get(FAKE_CLASS, good), 0);
	KUNIT_EXPECT_EQ(test, good->mode, offload_default_mode);
	KUNIT_EXPECT_EQ(test, good->min_batch, OFFLOAD_ROUTE_MIN_BATCH_DEFAULT);
	KUNIT_EXPECT_EQ(test, good->nr_engines, 0);

	fake_route_set(test, OFFLOAD_MODE_CPU, 5, 2, "x", "y");
	KUNIT_ASSERT_EQ(test, offload_route_get(FAKE_CLASS, good), 0);
	KUNIT_EXPECT_EQ(test, good->mode, OFFLOAD_MODE_CPU);
	KUNIT_EXPECT_EQ(test, good->min_batch, 5);
	KUNIT_EXPECT_EQ(test, good->nr_engines, 2);
	KUNIT_EXPECT_STREQ(test, good->engines[0], "x");
	KUNIT_EXPECT_STREQ(test, good->engines[1], "y");

	expect_route_refused(test, OFFLOAD_NR_CLASSES, good, -EINVAL, good);

	*bad = *good;
	bad->mode = OFFLOAD_NR_MODES;
	expect_route_refused(test, FAKE_CLASS, bad, -EINVAL, good);

	*bad = *good;
	bad->engines[1][0] = '\0';
	expect_route_refused(test, FAKE_CLASS, bad, -EINVAL, good);

	*bad = *good;
	memset(bad->engines[1], 'z', sizeof(bad->engines[1]));
	expect_route_refused(test, FAKE_CLASS, bad, -EINVAL, good);

	*bad = *good;
	bad->nr_engines = OFFLOAD_ROUTE_MAX_ENGINES + 1;
	expect_route_refused(test, FAKE_CLASS, bad, -E2BIG, good);

	*bad = *good;
	strscpy(bad->engines[1], "x", sizeof(bad->engines[1]));
	expect_route_refused(test, FAKE_CLASS, bad, -EEXIST, good);

	KUNIT_EXPECT_EQ(test, offload_route_get(OFFLOAD_NR_CLASSES, bad),
			-EINVAL);
}

static struct kunit_case offload_request_cases[] = {
	KUNIT_CASE(local_engine_preferred),
	KUNIT_CASE(least_loaded_wins),
	KUNIT_CASE(max_inflight_respected),
	KUNIT_CASE(weights_honoured),
	KUNIT_CASE(engine_min_batch_honoured),
	KUNIT_CASE(route_min_batch_declines),
	KUNIT_CASE(mode_off_declines),
	KUNIT_CASE(mode_cpu_copies),
	KUNIT_CASE(prefer_retries_next_engine),
	KUNIT_CASE(prefer_falls_back_to_cpu),
	KUNIT_CASE(busy_engine_skipped),
	KUNIT_CASE(require_never_uses_cpu),
	KUNIT_CASE(require_without_engine_fails),
	KUNIT_CASE(route_follows_registrations),
	KUNIT_CASE(require_without_names_fails),
	KUNIT_CASE(timeout_quarantine_enable),
	KUNIT_CASE_SLOW(probe_reenables_engine),
	KUNIT_CASE(out_of_order_reported_once),
	KUNIT_CASE(unregister_waits_for_request),
	KUNIT_CASE(large_folios_split_without_cap),
	KUNIT_CASE(many_submitters),
	KUNIT_CASE(stats_add_up),
	KUNIT_CASE(req_add_errors),
	KUNIT_CASE(migration_gate),
	KUNIT_CASE(poison_goes_to_cpu_only),
	KUNIT_CASE(wait_deadline),
	KUNIT_CASE(require_refusals_fail),
	KUNIT_CASE(route_set_validation),
	{}
};

static struct kunit_suite offload_request_suite = {
	.name = "offload_request",
	.test_cases = offload_request_cases,
};

kunit_test_suite(offload_request_suite);
