// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for where mm/offload puts chunks: refusals, chunk sizes
 * within the engines' limits, routes over many engines, shared capacity,
 * CPU engines and require routes, timeouts that leave queueing out,
 * deadlines for asynchronous callers, and requests when memory is short.
 */

#include <kunit/static_stub.h>
#include <kunit/test.h>
#include <linux/ktime.h>
#include <linux/numa.h>
#include <linux/offload_copy.h>

#include "../internal.h"
#include "fake_engine.h"

/* A refused chunk goes to the next engine at once; the CPU only if all refuse. */
static void refusal_tries_next_engine(struct kunit *test)
{
	struct offload_test_engine *full = fake_engine_alloc(test, "full",
							     OFFLOAD_TEST_INSTANT,
							     FAKE_NODE);
	struct offload_test_engine *idle = fake_engine_add(test, "idle",
							   OFFLOAD_TEST_INSTANT,
							   NUMA_NO_NODE);
	struct fake_folios *src = fake_folios_alloc(test, 8, 0);
	struct fake_folios *dst = fake_folios_alloc(test, 8, 0);
	struct offload_req *req = fake_req_alloc(test, 8);
	struct fake_stats before, delta;

	/* Local and listed first: it is asked first, and refuses. */
	full->reject = true;
	fake_engine_register(test, full);
	fake_folios_fill(src, 1);

	fake_route_set(test, OFFLOAD_MODE_REQUIRE, 1, 2, "full", "idle");
	fake_req_prepare(test, req, src, dst);
	fake_stats_read(&before);
	KUNIT_ASSERT_EQ(test, fake_req_run(req), 0);
	fake_stats_since(&delta, &before);
	fake_expect_copied(test, req, dst, 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&idle->folios), 8);
	KUNIT_EXPECT_EQ(test, atomic_read(&full->chunks), 0);
	KUNIT_EXPECT_GT(test, atomic_read(&full->rejected), 0);
	KUNIT_EXPECT_EQ(test, delta.failed, 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&full->eng.faults), 0);

	/* Both refuse: in prefer mode the calling CPU copies, at once. */
	idle->reject = true;
	fake_route_set(test, OFFLOAD_MODE_PREFER, 1, 2, "full", "idle");
	fake_folios_fill(dst, 0);
	fake_req_prepare(test, req, src, dst);
	fake_stats_read(&before);
	KUNIT_ASSERT_EQ(test, fake_req_run(req), 0);
	fake_stats_since(&delta, &before);
	fake_expect_copied(test, req, dst, 1);
	KUNIT_EXPECT_EQ(test, delta.cpu, 8);
	KUNIT_EXPECT_EQ(test, atomic_read(&idle->folios), 8);
}

/* Chunks are cut no smaller than the minimum batch of the route's engines. */
static void chunks_respect_min_batch(struct kunit *test)
{
	struct offload_test_engine *big = fake_engine_alloc(test, "big",
							    OFFLOAD_TEST_INSTANT,
							    FAKE_NODE);
	struct fake_folios *src = fake_folios_alloc(test, 32, 0);
	struct fake_folios *dst = fake_folios_alloc(test, 32, 0);
	struct offload_req *req = fake_req_alloc(test, 32);
	struct fake_stats before, delta;

	big->eng.min_batch = 16;
	fake_engine_register(test, big);
	fake_route_set(test, OFFLOAD_MODE_REQUIRE, 1, 1, "big");
	fake_folios_fill(src, 1);
	fake_req_prepare(test, req, src, dst);
	fake_stats_read(&before);
	KUNIT_ASSERT_EQ(test, fake_req_run(req), 0);
	fake_stats_since(&delta, &before);

	fake_expect_copied(test, req, dst, 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&big->chunks), 2);
	KUNIT_EXPECT_EQ(test, atomic_read(&big->folios), 32);
	KUNIT_EXPECT_EQ(test, delta.failed, 0);
}

/* ... and no larger than their maximum. */
static void chunks_respect_max_bytes(struct kunit *test)
{
	struct offload_test_engine *small = fake_engine_alloc(test, "small",
							      OFFLOAD_TEST_INSTANT,
							      FAKE_NODE);
	struct fake_folios *src = fake_folios_alloc(test, 32, 0);
	struct fake_folios *dst = fake_folios_alloc(test, 32, 0);
	struct offload_req *req = fake_req_alloc(test, 32);

	small->eng.max_chunk_bytes = 4 * PAGE_SIZE;
	fake_engine_register(test, small);
	fake_route_set(test, OFFLOAD_MODE_REQUIRE, 1, 1, "small");
	fake_folios_fill(src, 1);
	fake_req_prepare(test, req, src, dst);
	KUNIT_ASSERT_EQ(test, fake_req_run(req), 0);

	fake_expect_copied(test, req, dst, 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&small->chunks), 8);
	KUNIT_EXPECT_EQ(test, atomic_read(&small->segs), 32);
}

#define MANY_ENGINES	12
#define MANY_FOLIOS	48

/* A route of every engine means every one, not the first eight. */
static void all_engines_means_all(struct kunit *test)
{
	struct offload_test_engine *fe[MANY_ENGINES];
	struct fake_folios *src = fake_folios_alloc(test, MANY_FOLIOS, 0);
	struct fake_folios *dst = fake_folios_alloc(test, MANY_FOLIOS, 0);
	struct offload_req *req = fake_req_alloc(test, MANY_FOLIOS);
	char name[OFFLOAD_ENGINE_NAME_LEN];
	int i, folios = 0;

	if (offload_copy_enabled())
		kunit_skip(test, "other engines are registered");
	for (i = 0; i < MANY_ENGINES; i++) {
		snprintf(name, sizeof(name), "many%d", i);
		/* Queueing engines: their load spreads the chunks. */
		fe[i] = fake_engine_alloc(test, name, OFFLOAD_TEST_DELAYED,
					  FAKE_NODE);
		fe[i]->delay_ms = 20;
		fake_engine_register(test, fe[i]);
	}
	fake_route_set(test, OFFLOAD_MODE_PREFER, 1, 0);
	fake_folios_fill(src, 1);
	fake_req_prepare(test, req, src, dst);
	KUNIT_ASSERT_EQ(test, fake_req_run(req), 0);

	fake_expect_copied(test, req, dst, 1);
	for (i = 0; i < MANY_ENGINES; i++) {
		KUNIT_EXPECT_GT(test, atomic_read(&fe[i]->chunks), 0);
		folios += atomic_read(&fe[i]->folios);
	}
	KUNIT_EXPECT_EQ(test, folios, MANY_FOLIOS);
}

/* Engines of one group share its limits. */
static void group_shares_capacity(struct kunit *test)
{
	struct offload_engine_group *grp = kunit_kzalloc(test, sizeof(*grp),
							 GFP_KERNEL);
	struct offload_test_engine *a = fake_engine_alloc(test, "wq0",
							  OFFLOAD_TEST_DELAYED,
							  FAKE_NODE);
	struct offload_test_engine *b = fake_engine_alloc(test, "wq1",
							  OFFLOAD_TEST_DELAYED,
							  FAKE_NODE);
	struct fake_folios *src = fake_folios_alloc(test, 8, 0);
	struct fake_folios *dst = fake_folios_alloc(test, 8, 0);
	struct offload_req *req = fake_req_alloc(test, 8);
	int held;

	KUNIT_ASSERT_NOT_NULL(test, grp);
	grp->max_inflight = 1;
	a->delay_ms = 10;
	a->eng.group = grp;
	fake_engine_register(test, a);
	b->delay_ms = 10;
	b->eng.group = grp;
	fake_engine_register(test, b);
	fake_route_set(test, OFFLOAD_MODE_REQUIRE, 1, 2, "wq0", "wq1");
	fake_folios_fill(src, 1);
	fake_req_prepare(test, req, src, dst);

	KUNIT_ASSERT_EQ(test, offload_req_submit(req), 0);
	held = atomic_read(&grp->inflight);
	offload_req_wait(req, MAX_SCHEDULE_TIMEOUT);

	fake_expect_copied(test, req, dst, 1);
	KUNIT_EXPECT_EQ(test, held, 1);
	KUNIT_EXPECT_LE(test, a->max_inflight_seen, 1);
	KUNIT_EXPECT_LE(test, b->max_inflight_seen, 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&a->folios) +
			atomic_read(&b->folios), 8);
	KUNIT_EXPECT_EQ(test, atomic_read(&grp->inflight), 0);
	KUNIT_EXPECT_EQ(test, atomic64_read(&grp->outstanding), 0);
}

/* CPU engines never copy what a require route protects. */
static void require_excludes_cpu_engines(struct kunit *test)
{
	struct offload_test_engine *cpu = fake_engine_alloc(test, "mt",
							    OFFLOAD_TEST_INSTANT,
							    FAKE_NODE);
	struct fake_folios *src = fake_folios_alloc(test, 4, 0);
	struct fake_folios *dst = fake_folios_alloc(test, 4, 0);
	struct offload_req *req = fake_req_alloc(test, 4);

	cpu->eng.caps = OFFLOAD_CAP_CPU;
	fake_engine_register(test, cpu);
	fake_folios_fill(src, 1);

	fake_route_set(test, OFFLOAD_MODE_REQUIRE, 1, 1, "mt");
	fake_req_prepare(test, req, src, dst);
	KUNIT_ASSERT_EQ(test, fake_req_run(req), 0);
	fake_expect_failed(test, req, dst, 0);
	KUNIT_EXPECT_EQ(test, fake_req_count(req, -ENODEV), 4);
	KUNIT_EXPECT_EQ(test, atomic_read(&cpu->chunks), 0);

	fake_route_set(test, OFFLOAD_MODE_PREFER, 1, 1, "mt");
	fake_req_prepare(test, req, src, dst);
	KUNIT_ASSERT_EQ(test, fake_req_run(req), 0);
	fake_expect_copied(test, req, dst, 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&cpu->folios), 4);
}

/* A healthy engine working through a backlog is not late. */
static void backlog_is_not_lateness(struct kunit *test)
{
	struct offload_test_engine *slow = fake_engine_alloc(test, "serial",
							     OFFLOAD_TEST_DELAYED,
							     FAKE_NODE);
	struct fake_folios *src = fake_folios_alloc(test, 8, 0);
	struct fake_folios *dst = fake_folios_alloc(test, 8, 0);
	struct offload_req *req = fake_req_alloc(test, 8);
	struct fake_stats before, delta;

	/* Four chunks, one every 40 ms: the last done after 160 ms. */
	slow->serial = true;
	slow->delay_ms = 40;
	slow->eng.timeout_ms = 60;
	fake_engine_register(test, slow);
	fake_route_set(test, OFFLOAD_MODE_PREFER, 1, 1, "serial");
	fake_folios_fill(src, 1);
	fake_req_prepare(test, req, src, dst);
	fake_stats_read(&before);
	KUNIT_ASSERT_EQ(test, fake_req_run(req), 0);
	fake_stats_since(&delta, &before);

	fake_expect_copied(test, req, dst, 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&slow->chunks), 4);
	KUNIT_EXPECT_EQ(test, atomic64_read(&slow->eng.stats.timeouts), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&slow->aborted), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&slow->eng.faults), 0);
	KUNIT_EXPECT_EQ(test, delta.offloaded, 8);
}

/*
 * Engines without a weight are balanced by their measured rate: after one
 * request has measured them, a serial engine five times faster than the
 * other takes most of the next request (7 of 8 chunks by the cost model,
 * at least twice the other's share here, whatever the timer jitter).
 */
static void measured_rates_share_work(struct kunit *test)
{
	struct offload_test_engine *fast = fake_engine_alloc(test, "fast",
							     OFFLOAD_TEST_DELAYED,
							     FAKE_NODE);
	struct offload_test_engine *slow = fake_engine_alloc(test, "slow",
							     OFFLOAD_TEST_DELAYED,
							     FAKE_NODE);
	struct fake_folios *src = fake_folios_alloc(test, 64, 0);
	struct fake_folios *dst = fake_folios_alloc(test, 64, 0);
	struct offload_req *req = fake_req_alloc(test, 64);
	unsigned int fast_first, slow_first;
	u64 fast_rate, slow_rate;

	fast->serial = true;
	fast->delay_ms = 10;
	fast->eng.weight = 0;
	fast->eng.timeout_ms = 10000;
	fake_engine_register(test, fast);
	slow->serial = true;
	slow->delay_ms = 50;
	slow->eng.weight = 0;
	slow->eng.timeout_ms = 10000;
	fake_engine_register(test, slow);
	fake_route_set(test, OFFLOAD_MODE_PREFER, 1, 2, "fast", "slow");

	/* Unmeasured, both are assumed equal: half the chunks each. */
	KUNIT_EXPECT_EQ(test, offload_engine_rate(&fast->eng),
			offload_engine_rate(&slow->eng));
	fake_folios_fill(src, 1);
	fake_req_prepare(test, req, src, dst);
	KUNIT_ASSERT_EQ(test, fake_req_run(req), 0);
	fake_expect_copied(test, req, dst, 1);
	fast_first = atomic_read(&fast->chunks);
	slow_first = atomic_read(&slow->chunks);
	KUNIT_EXPECT_EQ(test, fast_first, slow_first);

	fast_rate = offload_engine_rate(&fast->eng);
	slow_rate = offload_engine_rate(&slow->eng);
	kunit_info(test, "measured: fast %llu, slow %llu bytes/ms\n",
		   fast_rate, slow_rate);
	KUNIT_EXPECT_GT(test, fast_rate, 2 * slow_rate);

	fake_folios_fill(src, 2);
	fake_req_prepare(test, req, src, dst);
	KUNIT_ASSERT_EQ(test, fake_req_run(req), 0);
	fake_expect_copied(test, req, dst, 2);
	KUNIT_EXPECT_GE(test, atomic_read(&fast->chunks) - fast_first,
			2 * (atomic_read(&slow->chunks) - slow_first));
	KUNIT_EXPECT_GT(test, atomic_read(&slow->chunks), slow_first);
}

/* Asynchronous callers give engines the route's async_ms, no more. */
static void async_callers_do_not_wait(struct kunit *test)
{
	struct offload_test_engine *never = fake_engine_alloc(test, "never",
							      OFFLOAD_TEST_NEVER,
							      FAKE_NODE);
	struct fake_folios *src = fake_folios_alloc(test, 8, 0);
	struct fake_folios *dst = fake_folios_alloc(test, 8, 0);
	struct offload_req *req = fake_req_alloc(test, 8);
	struct fake_stats before, delta;
	u64 start, took;

	never->eng.timeout_ms = 60000;
	fake_engine_register(test, never);
	fake_folios_fill(src, 1);

	fake_route_set(test, OFFLOAD_MODE_PREFER, 1, 1, "never");
	fake_req_prepare(test, req, src, dst);
	req->async = true;
	fake_stats_read(&before);
	start = ktime_get_ns();
	KUNIT_ASSERT_EQ(test, fake_req_run(req), 0);
	took = ktime_get_ns() - start;
	fake_stats_since(&delta, &before);
	fake_expect_copied(test, req, dst, 1);
	KUNIT_EXPECT_EQ(test, delta.cpu, 8);
	KUNIT_EXPECT_LT(test, took, 5ULL * NSEC_PER_SEC);
	KUNIT_EXPECT_EQ(test, atomic_read(&never->eng.faults), 0);
	KUNIT_EXPECT_EQ(test, req->timed_out, true);

	fake_route_set(test, OFFLOAD_MODE_REQUIRE, 1, 1, "never");
	fake_folios_fill(dst, 2);
	fake_req_prepare(test, req, src, dst);
	req->async = true;
	KUNIT_ASSERT_EQ(test, fake_req_run(req), 0);
	fake_expect_failed(test, req, dst, 2);
	KUNIT_EXPECT_EQ(test, atomic_read(&never->eng.faults), 0);
}

static struct offload_req *no_memory(unsigned int max, unsigned int priv_size,
				     gfp_t gfp)
{
	return NULL;
}

KUNIT_DEFINE_ACTION_WRAPPER(req_free_action, offload_req_free,
			    struct offload_req *);

/*
 * When memory is short, callers that cannot block (reclaim) get one of the
 * preallocated requests; a request that cannot be had is counted.
 */
static void reserve_when_memory_is_short(struct kunit *test)
{
	struct offload_test_engine *eng = fake_engine_add(test, "eng",
							  OFFLOAD_TEST_INSTANT,
							  FAKE_NODE);
	struct fake_folios *src = fake_folios_alloc(test, 8, 0);
	struct fake_folios *dst = fake_folios_alloc(test, 8, 0);
	struct offload_req *req[3];
	struct fake_stats before, delta;
	int i;

	fake_route_set(test, OFFLOAD_MODE_PREFER, 1, 1, "eng");
	fake_folios_fill(src, 1);
	fake_stats_read(&before);
	kunit_activate_static_stub(test, offload_req_create, no_memory);

	KUNIT_EXPECT_NULL(test, offload_req_alloc(FAKE_CLASS, 8, GFP_KERNEL));
	for (i = 0; i < ARRAY_SIZE(req); i++) {
		req[i] = offload_req_alloc(FAKE_CLASS, 8, GFP_NOWAIT);
		if (!req[i])
			continue;
		KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test,
								req_free_action,
								req[i]), 0);
	}
	kunit_deactivate_static_stub(test, offload_req_create);
	fake_stats_since(&delta, &before);

	/* Two in reserve, unless another user holds one right now. */
	KUNIT_ASSERT_NOT_NULL(test, req[0]);
	KUNIT_EXPECT_TRUE(test, req[0]->reserve);
	KUNIT_EXPECT_NULL(test, req[2]);
	KUNIT_EXPECT_GE(test, delta.nomem, 2);

	/* A reserved request works like any other. */
	KUNIT_ASSERT_EQ(test, fake_req_setup(req[0], src, dst), 0);
	KUNIT_ASSERT_EQ(test, fake_req_run(req[0]), 0);
	fake_expect_copied(test, req[0], dst, 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&eng->folios), 8);
}

static struct kunit_case offload_placement_cases[] = {
	KUNIT_CASE(refusal_tries_next_engine),
	KUNIT_CASE(chunks_respect_min_batch),
	KUNIT_CASE(chunks_respect_max_bytes),
	KUNIT_CASE(all_engines_means_all),
	KUNIT_CASE(group_shares_capacity),
	KUNIT_CASE(require_excludes_cpu_engines),
	KUNIT_CASE(backlog_is_not_lateness),
	KUNIT_CASE(measured_rates_share_work),
	KUNIT_CASE(async_callers_do_not_wait),
	KUNIT_CASE(reserve_when_memory_is_short),
	{}
};

static struct kunit_suite offload_placement_suite = {
	.name = "offload_placement",
	.test_cases = offload_placement_cases,
};

kunit_test_suite(offload_placement_suite);
