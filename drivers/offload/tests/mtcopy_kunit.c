// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for mtcopy, the multi-threaded CPU copy engine.
 *
 * Each test registers its own mtcopy engine, routes the test class to it
 * alone and checks what arrives by content, with the fake folios of the
 * mm/offload suites.  Cases that need helpers need two CPUs on node 0:
 * they are skipped on UML.  Stubs of offload_cpu_idle() and friends act in the
 * test's thread only, which is where a chunk's helpers are chosen.
 */

#include <kunit/static_stub.h>
#include <kunit/test.h>
#include <linux/cpumask.h>
#include <linux/delay.h>
#include <linux/highmem.h>
#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/math64.h>
#include <linux/module.h>

#include "../../../mm/offload/tests/fake_engine.h"
#include "../mtcopy.h"

MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);

#define MT_NAME		"mtcopy_kunit"

static struct mtcopy_params mt_saved_params;

KUNIT_DEFINE_ACTION_WRAPPER(mt_engine_destroy, mtcopy_engine_destroy,
			    struct mtcopy_engine *);

static void mt_params_restore(void *unused)
{
	mtcopy_params = mt_saved_params;
}

/* An mtcopy engine on %FAKE_NODE, the only engine of the test's route. */
static struct mtcopy_engine *mt_engine(struct kunit *test,
				       unsigned int max_threads,
				       unsigned int min_piece_kb)
{
	struct mtcopy_engine *mc;

	mt_saved_params = mtcopy_params;
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test,
							mt_params_restore,
							NULL), 0);
	mtcopy_params.max_threads = max_threads;
	mtcopy_params.min_piece_kb = min_piece_kb;
	mtcopy_params.where = MTCOPY_ON_ENGINE;

	mc = mtcopy_engine_create(MT_NAME, FAKE_NODE);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, mc);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test,
							mt_engine_destroy,
							mc), 0);
	fake_route_set(test, OFFLOAD_MODE_PREFER, 1, 1, MT_NAME);
	return mc;
}

/*
 * Whether the engine's node has a CPU to help, wherever the test's thread
 * runs: two CPUs, or one and the thread elsewhere.  Two, to be sure.
 */
static bool mt_helpers_possible(void)
{
	return cpumask_weight(cpumask_of_node(FAKE_NODE)) >= 2;
}

static bool mt_all_idle(int cpu)
{
	return cpu_online(cpu);
}

static void mt_copy_run(struct kunit *test, struct mtcopy_engine *mc,
			unsigned int nr, unsigned int order)
{
	struct fake_folios *src = fake_folios_alloc(test, nr, order);
	struct fake_folios *dst = fake_folios_alloc(test, nr, order);
	struct offload_req *req = fake_req_alloc(test, nr);
	s64 folios = atomic64_read(&mc->eng.stats.folios);
	s64 bytes = atomic64_read(&mc->stats.bytes);
	s64 chunks = atomic64_read(&mc->stats.chunks);
	s64 helpers = atomic64_read(&mc->stats.helpers);
	s64 pieces = atomic64_read(&mc->stats.pieces);
	struct fake_stats before, delta;

	fake_folios_fill(src, 7 + order);
	fake_req_prepare(test, req, src, dst);
	fake_stats_read(&before);
	KUNIT_ASSERT_EQ(test, fake_req_run(req), 0);
	fake_stats_since(&delta, &before);

	fake_expect_copied(test, req, dst, 7 + order);
	KUNIT_EXPECT_EQ(test, delta.offloaded, nr);
	KUNIT_EXPECT_EQ(test, delta.cpu, 0);
	/* The broker counts mtcopy like any engine, and so does mtcopy. */
	KUNIT_EXPECT_EQ(test, atomic64_read(&mc->eng.stats.folios) - folios,
			nr);
	KUNIT_EXPECT_EQ(test, atomic64_read(&mc->stats.bytes) - bytes,
			(s64)nr << (PAGE_SHIFT + order));
	/* Each chunk's own piece, and each offered piece exactly once. */
	KUNIT_EXPECT_EQ(test, atomic64_read(&mc->stats.pieces) - pieces,
			atomic64_read(&mc->stats.chunks) - chunks +
			atomic64_read(&mc->stats.helpers) - helpers);
}

/* Runs of base pages, with and without helpers. */
static void copies_base_pages(struct kunit *test)
{
	struct mtcopy_engine *mc = mt_engine(test, MTCOPY_MAX_HELPERS + 1, 4);

	mt_copy_run(test, mc, 100, 0);
	KUNIT_EXPECT_EQ(test, atomic64_read(&mc->stats.poisoned), 0);
}

/* 2 MiB folios, each one segment that pieces cut through. */
static void copies_thps(struct kunit *test)
{
	struct mtcopy_engine *mc = mt_engine(test, MTCOPY_MAX_HELPERS + 1, 64);

	mt_copy_run(test, mc, 3, PMD_ORDER);
}

/* One request of base pages, order-2 folios and a THP. */
static void copies_mixes(struct kunit *test)
{
	static const unsigned int orders[] = { 0, 2, PMD_ORDER, 0 };
	struct mtcopy_engine *mc = mt_engine(test, 3, 4);
	struct fake_folios *src[ARRAY_SIZE(orders)], *dst[ARRAY_SIZE(orders)];
	struct offload_req *req = fake_req_alloc(test, 64);
	unsigned int i, j, nr = 0;

	/* Pieces cut through folios of every size, where CPUs can help. */
	kunit_activate_static_stub(test, offload_cpu_idle, mt_all_idle);
	offload_req_init(req, FAKE_CLASS, FAKE_NODE, FAKE_NODE);
	for (i = 0; i < ARRAY_SIZE(orders); i++) {
		src[i] = fake_folios_alloc(test, 8, orders[i]);
		dst[i] = fake_folios_alloc(test, 8, orders[i]);
		fake_folios_fill(src[i], 20 + i);
		for (j = 0; j < 8; j++, nr++)
			KUNIT_ASSERT_EQ(test, offload_req_add(req,
							      src[i]->folio[j],
							      dst[i]->folio[j]),
					nr);
	}
	KUNIT_ASSERT_EQ(test, fake_req_run(req), 0);
	KUNIT_EXPECT_EQ(test, fake_req_count(req, 0), nr);
	for (i = 0; i < ARRAY_SIZE(orders); i++)
		KUNIT_EXPECT_EQ(test, fake_folios_check(dst[i], 20 + i), -1);
	KUNIT_EXPECT_EQ(test, atomic64_read(&mc->eng.stats.folios), nr);
}

static struct mtcopy_engine *mt_waiting;

/*
 * The submitter's copy (the stub acts in the test's thread only), slow
 * enough for the helpers: it waits until every offered piece is copied,
 * up to a second, so that none is taken back.
 */
static int mt_copy_pages_wait(struct page *dst, struct page *src,
			      unsigned long nr)
{
	struct mtcopy_stats *st = &mt_waiting->stats;
	u64 end = ktime_get_ns() + NSEC_PER_SEC;
	unsigned long i;

	for (i = 0; i < nr; i++)
		copy_highpage(nth_page(dst, i), nth_page(src, i));
	/* Inside submit, which must not sleep. */
	while (atomic64_read(&st->pieces) < atomic64_read(&st->helpers) &&
	       ktime_get_ns() < end)
		cpu_relax();
	return 0;
}

/* A single THP is cut into pieces that helpers copy. */
static void thp_shared_by_helpers(struct kunit *test)
{
	struct mtcopy_engine *mc;
	s64 helpers;

	if (!mt_helpers_possible())
		kunit_skip(test, "needs two CPUs on node %d", FAKE_NODE);
	mc = mt_engine(test, 4, 64);
	mt_waiting = mc;
	kunit_activate_static_stub(test, offload_cpu_idle, mt_all_idle);
	kunit_activate_static_stub(test, offload_copy_pages_mc,
				   mt_copy_pages_wait);

	mt_copy_run(test, mc, 1, PMD_ORDER);
	/* 3 wanted; fewer if the node has fewer other CPUs. */
	helpers = atomic64_read(&mc->stats.helpers);
	KUNIT_EXPECT_GE(test, helpers, 1);
	KUNIT_EXPECT_LE(test, helpers, 3);
	KUNIT_EXPECT_EQ(test, atomic64_read(&mc->stats.taken_back), 0);
	KUNIT_EXPECT_EQ(test, atomic64_read(&mc->stats.pieces), helpers + 1);
	KUNIT_EXPECT_GE(test, atomic64_read(&mc->stats.helper_bytes),
			helpers * ((PAGE_SIZE << PMD_ORDER) / (helpers + 1) -
				   PAGE_SIZE));
	KUNIT_EXPECT_EQ(test, atomic64_read(&mc->stats.alone), 0);
}

/*
 * A piece per min_piece_kb, no helper for a chunk below two pieces, none
 * with max_threads 1.
 */
static void small_chunks_stay_on_submitter(struct kunit *test)
{
	struct mtcopy_engine *mc = mt_engine(test, MTCOPY_MAX_HELPERS + 1,
					     257);

	kunit_activate_static_stub(test, offload_cpu_idle, mt_all_idle);
	/* One 512 KiB folio: below two pieces of 257 KiB. */
	mt_copy_run(test, mc, 1, 7);
	KUNIT_EXPECT_EQ(test, atomic64_read(&mc->stats.helpers), 0);
	KUNIT_EXPECT_EQ(test, atomic64_read(&mc->stats.busy), 0);

	/* Exactly two pieces of 256 KiB: one helper, if there is a CPU. */
	if (mt_helpers_possible()) {
		mtcopy_params.min_piece_kb = 256;
		mt_copy_run(test, mc, 1, 7);
		KUNIT_EXPECT_EQ(test, atomic64_read(&mc->stats.helpers), 1);
	}

	mtcopy_params.max_threads = 1;
	mtcopy_params.min_piece_kb = 4;
	mt_copy_run(test, mc, 1, PMD_ORDER);
	KUNIT_EXPECT_LE(test, atomic64_read(&mc->stats.helpers), 1);
	KUNIT_EXPECT_EQ(test, atomic64_read(&mc->stats.alone),
			atomic64_read(&mc->stats.chunks) -
			!!atomic64_read(&mc->stats.helpers));
}

/**
 * struct mt_spinners - a busy thread on every online CPU
 * @running: threads that have started spinning.
 * @task: the threads, by CPU.
 */
struct mt_spinners {
	atomic_t		running;
	struct task_struct	*task[];
};

static int mt_spin(void *data)
{
	struct mt_spinners *sp = data;

	atomic_inc(&sp->running);
	while (!kthread_should_stop())
		cond_resched();
	return 0;
}

static void mt_spinners_stop(void *data)
{
	struct mt_spinners *sp = data;
	int cpu;

	for_each_possible_cpu(cpu)
		if (sp->task[cpu])
			kthread_stop(sp->task[cpu]);
}

/* Keep every online CPU busy until the end of the test. */
static void mt_spinners_start(struct kunit *test)
{
	struct mt_spinners *sp;
	struct task_struct *t;
	int cpu, nr = 0;

	sp = kunit_kzalloc(test, struct_size(sp, task, nr_cpu_ids),
			   GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, sp);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test,
							mt_spinners_stop,
							sp), 0);
	for_each_online_cpu(cpu) {
		t = kthread_create_on_cpu(mt_spin, sp, cpu, "mt_spin/%u");
		KUNIT_ASSERT_NOT_ERR_OR_NULL(test, t);
		sp->task[cpu] = t;
		wake_up_process(t);
		nr++;
	}
	while (atomic_read(&sp->running) < nr)
		usleep_range(1000, 2000);
}

/* With every other CPU running a spinning thread, no helper is used. */
static void busy_cpus_lend_no_helpers(struct kunit *test)
{
	struct mtcopy_engine *mc;

	if (!mt_helpers_possible())
		kunit_skip(test, "needs two CPUs on node %d", FAKE_NODE);
	mc = mt_engine(test, MTCOPY_MAX_HELPERS + 1, 4);
	mt_spinners_start(test);

	mt_copy_run(test, mc, 2, PMD_ORDER);
	KUNIT_EXPECT_EQ(test, atomic64_read(&mc->stats.helpers), 0);
	KUNIT_EXPECT_GT(test, atomic64_read(&mc->stats.busy), 0);
}

static struct page *mt_poisoned;

/* A copy that finds @mt_poisoned poisoned, as a machine check would. */
static int mt_copy_pages_poisoned(struct page *dst, struct page *src,
				  unsigned long nr)
{
	unsigned long i;

	for (i = 0; i < nr; i++) {
		if (nth_page(src, i) == mt_poisoned)
			return -EHWPOISON;
		copy_highpage(nth_page(dst, i), nth_page(src, i));
	}
	return 0;
}

/*
 * A poisoned page in one source: mtcopy reports the chunk poisoned, the
 * broker's machine-check safe CPU copy names the pair.  The submitter
 * copies alone (max_threads 1), so that the stub sees every copy.
 */
static void poison_fails_only_its_pair(struct kunit *test)
{
	struct mtcopy_engine *mc = mt_engine(test, 1, 4);
	struct fake_folios *src = fake_folios_alloc(test, 8, 2);
	struct fake_folios *dst = fake_folios_alloc(test, 8, 2);
	struct offload_req *req = fake_req_alloc(test, 8);
	struct fake_stats before, delta;
	unsigned int i;

	mt_poisoned = folio_page(src->folio[5], 3);
	kunit_activate_static_stub(test, offload_copy_pages_mc,
				   mt_copy_pages_poisoned);
	fake_folios_fill(src, 3);
	fake_req_prepare(test, req, src, dst);
	fake_stats_read(&before);
	KUNIT_ASSERT_EQ(test, fake_req_run(req), 0);
	fake_stats_since(&delta, &before);

	for (i = 0; i < 8; i++)
		KUNIT_EXPECT_EQ(test, req->status[i], i == 5 ? -EHWPOISON : 0);
	/* Folios 0-4 copied, 5 only up to its poisoned page. */
	KUNIT_EXPECT_EQ(test, fake_folios_check(dst, 3), 5);
	KUNIT_EXPECT_EQ(test, atomic64_read(&mc->stats.poisoned), 1);
	KUNIT_EXPECT_EQ(test, delta.failed, 1);
	/* The poisoned chunk's other pairs went to the CPU. */
	KUNIT_EXPECT_EQ(test, delta.offloaded + delta.cpu, 7);
	KUNIT_EXPECT_GT(test, delta.cpu, 0);
	/* The source, not the engine: no fault counted against it. */
	KUNIT_EXPECT_EQ(test, atomic_read(&mc->eng.faults), 0);
}

/* mtcopy is a CPU engine: a require route cannot use it. */
static void require_excludes_mtcopy(struct kunit *test)
{
	struct mtcopy_engine *mc = mt_engine(test, MTCOPY_MAX_HELPERS + 1, 4);
	struct fake_folios *src = fake_folios_alloc(test, 16, 0);
	struct fake_folios *dst = fake_folios_alloc(test, 16, 0);
	struct offload_req *req = fake_req_alloc(test, 16);

	fake_route_set(test, OFFLOAD_MODE_REQUIRE, 1, 1, MT_NAME);
	fake_folios_fill(src, 4);
	fake_folios_fill(dst, 5);
	fake_req_prepare(test, req, src, dst);
	KUNIT_ASSERT_EQ(test, fake_req_run(req), 0);
	fake_expect_failed(test, req, dst, 5);
	KUNIT_EXPECT_EQ(test, atomic64_read(&mc->stats.chunks), 0);
}

/* Fake caches: CPUs 2k and 2k + 1 share one. */
static bool mt_pairs_share_cache(int a, int b)
{
	return a / 2 == b / 2;
}

/* One helper per cache, the submitter's cache last, before doubling up. */
static void helpers_spread_over_caches(struct kunit *test)
{
	int cpus[MTCOPY_MAX_HELPERS];
	struct cpumask *from;

	if (nr_cpu_ids < 4 || !cpu_online(1) || !cpu_online(2) ||
	    !cpu_online(3))
		kunit_skip(test, "needs CPUs 0-3 online");
	from = kunit_kzalloc(test, cpumask_size(), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, from);
	cpumask_set_cpu(0, from);
	cpumask_set_cpu(1, from);
	cpumask_set_cpu(2, from);
	cpumask_set_cpu(3, from);
	kunit_activate_static_stub(test, offload_cpu_idle, mt_all_idle);
	kunit_activate_static_stub(test, offload_cpus_share_cache,
				   mt_pairs_share_cache);

	/* Submitting from CPU 0: first CPU 2 (another cache), then 1, 3. */
	KUNIT_ASSERT_EQ(test, mtcopy_pick_cpus(from, 0, 3, cpus), 3);
	KUNIT_EXPECT_EQ(test, cpus[0], 2);
	KUNIT_EXPECT_EQ(test, cpus[1], 1);
	KUNIT_EXPECT_EQ(test, cpus[2], 3);
	KUNIT_ASSERT_EQ(test, mtcopy_pick_cpus(from, 0, 1, cpus), 1);
	KUNIT_EXPECT_EQ(test, cpus[0], 2);
	/* Never the submitter itself, never more than there are. */
	KUNIT_EXPECT_EQ(test, mtcopy_pick_cpus(from, 2, 6, cpus), 3);
	KUNIT_EXPECT_EQ(test, cpus[0], 0);
}

#define MT_BENCH_REPS		40

/* Time of one copy of a folio of @order with @threads threads, in ns. */
static u64 mt_bench_one(struct kunit *test, struct mtcopy_engine *mc,
			unsigned int order, unsigned int threads)
{
	struct fake_folios *src = fake_folios_alloc(test, 1, order);
	struct fake_folios *dst = fake_folios_alloc(test, 1, order);
	struct offload_req *req = fake_req_alloc(test, 1);
	unsigned int i;
	u64 t0, ns = 0;

	mtcopy_params.max_threads = threads;
	fake_folios_fill(src, 9);
	for (i = 0; i < MT_BENCH_REPS; i++) {
		fake_req_prepare(test, req, src, dst);
		t0 = ktime_get_ns();
		KUNIT_ASSERT_EQ(test, fake_req_run(req), 0);
		ns += ktime_get_ns() - t0;
		cond_resched();
	}
	fake_expect_copied(test, req, dst, 9);
	return div_u64(ns, MT_BENCH_REPS);
}

/*
 * The size from which a second thread pays off: one folio of 16 KiB to
 * 2 MiB copied by one thread, then by two (the helper's CPU taken as
 * idle).  Printed, never judged; min_piece_kb is half the smallest size
 * at which two threads win.
 */
static void piece_size_crossover(struct kunit *test)
{
	struct mtcopy_engine *mc;
	unsigned int order;
	u64 one, two;

	if (!mt_helpers_possible())
		kunit_skip(test, "needs two CPUs on node %d", FAKE_NODE);
	mc = mt_engine(test, 1, 4);
	kunit_activate_static_stub(test, offload_cpu_idle, mt_all_idle);
	for (order = 2; order <= PMD_ORDER; order++) {
		s64 offered = atomic64_read(&mc->stats.helpers);
		s64 back = atomic64_read(&mc->stats.taken_back);

		one = mt_bench_one(test, mc, order, 1);
		two = mt_bench_one(test, mc, order, 2);
		kunit_info(test, "%4lu KiB: %lld pieces offered to a helper, %lld taken back\n",
			   (PAGE_SIZE << order) / SZ_1K,
			   atomic64_read(&mc->stats.helpers) - offered,
			   atomic64_read(&mc->stats.taken_back) - back);
		kunit_info(test, "%4lu KiB: 1 thread %llu ns, 2 threads %llu ns, ratio %llu.%02llu\n",
			   (PAGE_SIZE << order) / SZ_1K, one, two,
			   div_u64(one, max(two, 1ULL)),
			   div_u64(one * 100, max(two, 1ULL)) % 100);
	}
}

static struct kunit_case mtcopy_bench_cases[] = {
	KUNIT_CASE_SLOW(piece_size_crossover),
	{}
};

static struct kunit_suite mtcopy_bench_suite = {
	.name		= "offload_mtcopy_bench",
	.test_cases	= mtcopy_bench_cases,
};

static struct kunit_case mtcopy_cases[] = {
	KUNIT_CASE(copies_base_pages),
	KUNIT_CASE(copies_thps),
	KUNIT_CASE(copies_mixes),
	KUNIT_CASE(thp_shared_by_helpers),
	KUNIT_CASE(small_chunks_stay_on_submitter),
	KUNIT_CASE(busy_cpus_lend_no_helpers),
	KUNIT_CASE(poison_fails_only_its_pair),
	KUNIT_CASE(require_excludes_mtcopy),
	KUNIT_CASE(helpers_spread_over_caches),
	{}
};

static struct kunit_suite mtcopy_suite = {
	.name		= "offload_mtcopy",
	.test_cases	= mtcopy_cases,
};

kunit_test_suites(&mtcopy_suite, &mtcopy_bench_suite);

MODULE_DESCRIPTION("KUnit tests for the mtcopy copy engine");
MODULE_LICENSE("GPL");
