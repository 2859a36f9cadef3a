// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit benchmark of the mm/offload request path.
 *
 * A "null" engine completes every chunk inside submit without copying, so
 * the time from offload_req_submit() to the end of offload_req_wait() is
 * the broker's own overhead.  The same requests in mode CPU, which copies,
 * give a scale.  Times are printed, never judged.
 */

#include <kunit/test.h>
#include <linux/ktime.h>
#include <linux/math64.h>
#include <linux/offload_copy.h>
#include <linux/sched.h>

#include "fake_engine.h"

#define BENCH_SMALL_REQS	2000
#define BENCH_LARGE_REQS	200
#define BENCH_LARGE_FOLIOS	512

/* Run @reqs requests of @src to @dst; print the time they took. */
static void bench_run(struct kunit *test, const char *what,
		      struct offload_req *req, const struct fake_folios *src,
		      const struct fake_folios *dst, unsigned int reqs)
{
	unsigned int i, bad = 0;
	u64 start, ns = 0;
	int ret;

	for (i = 0; i < reqs; i++) {
		fake_req_prepare(test, req, src, dst);
		start = ktime_get_ns();
		ret = fake_req_run(req);
		ns += ktime_get_ns() - start;
		bad += ret ? src->nr : src->nr - fake_req_count(req, 0);
		cond_resched();
	}

	KUNIT_EXPECT_EQ(test, bad, 0);
	kunit_info(test, "%s: %u requests of %u folios: %llu ns/request, %llu ns/folio\n",
		   what, reqs, src->nr, div_u64(ns, reqs),
		   div_u64(ns, reqs * src->nr));
}

static void dispatch_overhead(struct kunit *test)
{
	struct fake_folios *src = fake_folios_alloc(test, BENCH_LARGE_FOLIOS, 0);
	struct fake_folios *dst = fake_folios_alloc(test, BENCH_LARGE_FOLIOS, 0);
	struct fake_folios *src1 = fake_folios_alloc(test, 1, 0);
	struct fake_folios *dst1 = fake_folios_alloc(test, 1, 0);
	struct offload_req *req = fake_req_alloc(test, BENCH_LARGE_FOLIOS);

	fake_engine_add(test, "null", OFFLOAD_TEST_NULL, FAKE_NODE);

	fake_route_set(test, OFFLOAD_MODE_PREFER, 1, 1, "null");
	bench_run(test, "null engine", req, src1, dst1, BENCH_SMALL_REQS);
	bench_run(test, "null engine", req, src, dst, BENCH_LARGE_REQS);

	fake_route_set(test, OFFLOAD_MODE_CPU, 1, 1, "null");
	bench_run(test, "cpu copy", req, src1, dst1, BENCH_SMALL_REQS);
	bench_run(test, "cpu copy", req, src, dst, BENCH_LARGE_REQS);
}

static struct kunit_case offload_bench_cases[] = {
	KUNIT_CASE_SLOW(dispatch_overhead),
	{}
};

static struct kunit_suite offload_bench_suite = {
	.name = "offload_bench",
	.test_cases = offload_bench_cases,
};

kunit_test_suite(offload_bench_suite);
