// SPDX-License-Identifier: GPL-2.0
/*
 * Fake copy engines and helpers shared by the mm/offload KUnit suites.
 *
 * A fake engine is a test engine (../test_engine.c) whose lifetime is the
 * test's.  Everything a test allocates here (engines, routes, folios,
 * requests) is released by KUnit actions at the end of the test.
 */

#include <kunit/resource.h>
#include <kunit/visibility.h>
#include <linux/delay.h>
#include <linux/hash.h>
#include <linux/highmem.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/stdarg.h>
#include <linux/string.h>

#include "../internal.h"
#include "fake_engine.h"

/* offload_class_stats is exported for KUnit only. */
MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);

/**
 * fake_engine_alloc - a fake engine, not registered yet
 * @test: the test; the engine is freed at its end
 * @name: engine name
 * @kind: see &enum offload_test_kind
 * @nid: node of the engine, or NUMA_NO_NODE
 *
 * The caller may set the engine's limits (@eng.min_batch, ...) and the
 * fake's knobs before fake_engine_register().
 *
 * Return: the engine; the test is aborted if memory runs out.
 */
struct offload_test_engine *fake_engine_alloc(struct kunit *test,
					      const char *name,
					      enum offload_test_kind kind,
					      int nid)
{
	struct offload_test_engine *fe = kunit_kzalloc(test, sizeof(*fe), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, fe);
	offload_test_engine_init(fe, name, kind, nid);
	return fe;
}
EXPORT_SYMBOL_IF_KUNIT(fake_engine_alloc);

/**
 * fake_engine_unregister - withdraw a fake engine
 * @fe: the engine; nothing happens unless it is registered
 *
 * Waits until no request uses @fe any more, then for its work item, so
 * that the test may free it.  Called at the end of the test, or earlier
 * by a test that unregisters the engine itself.
 *
 * Context: process context, sleeps.
 */
void fake_engine_unregister(struct offload_test_engine *fe)
{
	if (!fe->registered)
		return;
	fe->registered = false;
	offload_engine_unregister(&fe->eng);
	offload_test_engine_flush(fe);
}
EXPORT_SYMBOL_IF_KUNIT(fake_engine_unregister);

/**
 * fake_engine_unregister_action - fake_engine_unregister() for a callback
 * @fe: the engine
 *
 * For KUnit actions and fake_async_start().
 */
void fake_engine_unregister_action(void *fe)
{
	fake_engine_unregister(fe);
}
EXPORT_SYMBOL_IF_KUNIT(fake_engine_unregister_action);

/**
 * fake_engine_register - register a fake engine until the test ends
 * @test: the test
 * @fe: an engine from fake_engine_alloc()
 */
void fake_engine_register(struct kunit *test, struct offload_test_engine *fe)
{
	KUNIT_ASSERT_EQ(test, offload_engine_register(&fe->eng), 0);
	fe->registered = true;
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test,
							fake_engine_unregister_action,
							fe), 0);
}
EXPORT_SYMBOL_IF_KUNIT(fake_engine_register);

/**
 * fake_engine_add - fake_engine_alloc() and fake_engine_register()
 * @test: the test
 * @name: engine name
 * @kind: see &enum offload_test_kind
 * @nid: node of the engine, or NUMA_NO_NODE
 *
 * Return: the registered engine, with the broker's defaults.
 */
struct offload_test_engine *fake_engine_add(struct kunit *test,
					    const char *name,
					    enum offload_test_kind kind,
					    int nid)
{
	struct offload_test_engine *fe;

	fe = fake_engine_alloc(test, name, kind, nid);

	fake_engine_register(test, fe);
	return fe;
}
EXPORT_SYMBOL_IF_KUNIT(fake_engine_add);

static void fake_route_restore(void *route)
{
	offload_route_set(FAKE_CLASS, route);
}

/**
 * fake_route_set - route %FAKE_CLASS until the test ends
 * @test: the test
 * @mode: see &enum offload_mode
 * @min_batch: smallest request taken
 * @nr_engines: number of engine names that follow (const char *); 0 means
 *	every registered engine
 *
 * The route in place before is restored at the end of the test, so that
 * calls made one after another unwind in order.
 */
void fake_route_set(struct kunit *test, enum offload_mode mode,
		    unsigned int min_batch, unsigned int nr_engines, ...)
{
	struct offload_route route = {
		.mode		= mode,
		.min_batch	= min_batch,
		.async_ms	= OFFLOAD_ROUTE_ASYNC_MS_DEFAULT,
		.nr_engines	= nr_engines,
	};
	struct offload_route *saved;
	va_list args;
	unsigned int i;

	KUNIT_ASSERT_LE(test, nr_engines, OFFLOAD_ROUTE_MAX_ENGINES);
	va_start(args, nr_engines);
	for (i = 0; i < nr_engines; i++)
		strscpy(route.engines[i], va_arg(args, const char *),
			sizeof(route.engines[i]));
	va_end(args);

	saved = kunit_kzalloc(test, sizeof(*saved), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, saved);
	KUNIT_ASSERT_EQ(test, offload_route_get(FAKE_CLASS, saved), 0);
	KUNIT_ASSERT_EQ(test, offload_route_set(FAKE_CLASS, &route), 0);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test,
							fake_route_restore,
							saved), 0);
}
EXPORT_SYMBOL_IF_KUNIT(fake_route_set);

static void fake_folios_free(void *data)
{
	struct fake_folios *ff = data;
	unsigned int i;

	for (i = 0; i < ff->nr; i++)
		if (ff->folio[i])
			folio_put(ff->folio[i]);
}

/**
 * fake_folios_alloc - zeroed folios, freed at the end of the test
 * @test: the test
 * @nr: number of folios
 * @order: order of each folio
 *
 * Return: the folios; the test is aborted if memory runs out.
 */
struct fake_folios *fake_folios_alloc(struct kunit *test, unsigned int nr,
				      unsigned int order)
{
	struct fake_folios *ff;
	unsigned int i;

	ff = kunit_kzalloc(test, struct_size(ff, folio, nr), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, ff);
	ff->nr = nr;
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, fake_folios_free,
							ff), 0);
	for (i = 0; i < nr; i++) {
		ff->folio[i] = folio_alloc(GFP_KERNEL | __GFP_ZERO, order);
		KUNIT_ASSERT_NOT_NULL(test, ff->folio[i]);
	}
	return ff;
}
EXPORT_SYMBOL_IF_KUNIT(fake_folios_alloc);

/**
 * fake_folios_alloc_contig - zeroed base pages, physically contiguous
 * @test: the test; the pages are freed at its end
 * @order: the run is 1 << @order pages long
 *
 * Return: the pages as folios; the test is aborted if memory runs out.
 */
struct fake_folios *fake_folios_alloc_contig(struct kunit *test,
					     unsigned int order)
{
	unsigned int i, nr = 1U << order;
	struct fake_folios *ff;
	struct page *page;

	ff = kunit_kzalloc(test, struct_size(ff, folio, nr), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, ff);
	page = alloc_pages(GFP_KERNEL | __GFP_ZERO, order);
	KUNIT_ASSERT_NOT_NULL(test, page);
	/* Base pages of their own, each freed by fake_folios_free(). */
	split_page(page, order);
	ff->nr = nr;
	for (i = 0; i < nr; i++)
		ff->folio[i] = page_folio(page + i);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, fake_folios_free,
							ff), 0);
	return ff;
}
EXPORT_SYMBOL_IF_KUNIT(fake_folios_alloc_contig);

/* Word @w of page @page of folio @i: 0 for seed 0, else unique per word. */
static u64 fake_word(u32 seed, unsigned int i, unsigned int page,
		     unsigned int w)
{
	if (!seed)
		return 0;
	return (((u64)seed << 40) ^ ((u64)i << 24) ^ ((u64)page << 12) ^ w) *
	       GOLDEN_RATIO_64;
}

/* Fill (@fill) or check the pattern; return the first bad folio or -1. */
static int fake_folios_walk(const struct fake_folios *ff, u32 seed, bool fill)
{
	unsigned int i, page, w;
	u64 *addr, want;
	bool bad;

	for (i = 0; i < ff->nr; i++) {
		for (page = 0; page < folio_nr_pages(ff->folio[i]); page++) {
			addr = kmap_local_folio(ff->folio[i], page * PAGE_SIZE);
			bad = false;
			for (w = 0; w < PAGE_SIZE / sizeof(*addr); w++) {
				want = fake_word(seed, i, page, w);
				if (fill)
					addr[w] = want;
				else
					bad |= addr[w] != want;
			}
			kunmap_local(addr);
			if (bad)
				return i;
		}
	}
	return -1;
}

/**
 * fake_folios_fill - fill folios with the pattern of @seed
 * @ff: the folios
 * @seed: pattern; 0 zeroes the folios
 *
 * Every 64-bit word of the pattern depends on @seed, the folio, the page
 * in it and the word's offset, so that a page copied to the wrong place
 * is caught as surely as one not copied.
 */
void fake_folios_fill(struct fake_folios *ff, u32 seed)
{
	fake_folios_walk(ff, seed, true);
}
EXPORT_SYMBOL_IF_KUNIT(fake_folios_fill);

/**
 * fake_folios_check - compare folios with the pattern of @seed
 * @ff: the folios
 * @seed: pattern, see fake_folios_fill()
 *
 * Return: index of the first folio whose content differs, or -1.
 */
int fake_folios_check(const struct fake_folios *ff, u32 seed)
{
	return fake_folios_walk(ff, seed, false);
}
EXPORT_SYMBOL_IF_KUNIT(fake_folios_check);

KUNIT_DEFINE_ACTION_WRAPPER(fake_req_free, offload_req_free,
			    struct offload_req *);

/**
 * fake_req_alloc - a request freed at the end of the test
 * @test: the test
 * @max: pairs it holds
 *
 * Return: the request; the test is aborted if memory runs out.
 */
struct offload_req *fake_req_alloc(struct kunit *test, unsigned int max)
{
	struct offload_req *req = offload_req_alloc(FAKE_CLASS, max, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, req);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, fake_req_free,
							req), 0);
	return req;
}
EXPORT_SYMBOL_IF_KUNIT(fake_req_alloc);

/**
 * fake_req_setup - (re)initialise @req for %FAKE_CLASS with every pair
 * @req: the request
 * @src: sources
 * @dst: destinations, as many as @src
 *
 * Source and destination are on %FAKE_NODE.  Safe outside the test's
 * thread.
 *
 * Return: 0, or the first unexpected result of offload_req_add().
 */
int fake_req_setup(struct offload_req *req, const struct fake_folios *src,
		   const struct fake_folios *dst)
{
	unsigned int i;
	int ret;

	offload_req_init(req, FAKE_CLASS, FAKE_NODE, FAKE_NODE);
	for (i = 0; i < src->nr; i++) {
		ret = offload_req_add(req, src->folio[i], dst->folio[i]);
		if (ret < 0)
			return ret;
		if (ret != i)
			return -EINVAL;
	}
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(fake_req_setup);

/**
 * fake_req_prepare - fake_req_setup(), aborting the test on failure
 * @test: the test
 * @req: the request
 * @src: sources
 * @dst: destinations
 */
void fake_req_prepare(struct kunit *test, struct offload_req *req,
		      const struct fake_folios *src,
		      const struct fake_folios *dst)
{
	KUNIT_ASSERT_EQ(test, fake_req_setup(req, src, dst), 0);
}
EXPORT_SYMBOL_IF_KUNIT(fake_req_prepare);

/**
 * fake_req_run - submit @req and, if the broker took it, wait for it
 * @req: a prepared request
 *
 * Return: the result of offload_req_submit().
 */
int fake_req_run(struct offload_req *req)
{
	int ret = offload_req_submit(req);

	if (!ret)
		offload_req_wait(req, MAX_SCHEDULE_TIMEOUT);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(fake_req_run);

/**
 * fake_req_count - pairs of @req whose status is @status
 * @req: the request
 * @status: 0, -EINPROGRESS or an errno
 *
 * Return: the number of such pairs.
 */
unsigned int fake_req_count(const struct offload_req *req, int status)
{
	unsigned int i, n = 0;

	for (i = 0; i < req->nr; i++)
		n += req->status[i] == status;
	return n;
}
EXPORT_SYMBOL_IF_KUNIT(fake_req_count);

/**
 * fake_stats_read - read the counters of %FAKE_CLASS
 * @stats: filled in
 */
void fake_stats_read(struct fake_stats *stats)
{
	struct offload_class_stats *cs = &offload_class_stats[FAKE_CLASS];

	stats->submitted = atomic64_read(&cs->submitted);
	stats->offloaded = atomic64_read(&cs->offloaded);
	stats->cpu = atomic64_read(&cs->cpu);
	stats->failed = atomic64_read(&cs->failed);
	stats->declined = atomic64_read(&cs->declined);
	stats->nomem = atomic64_read(&cs->nomem);
	stats->refused = atomic64_read(&cs->refused);
}
EXPORT_SYMBOL_IF_KUNIT(fake_stats_read);

/**
 * fake_stats_since - how the counters of %FAKE_CLASS moved
 * @delta: filled with the counters now minus @before
 * @before: counters read earlier with fake_stats_read()
 */
void fake_stats_since(struct fake_stats *delta,
		      const struct fake_stats *before)
{
	fake_stats_read(delta);
	delta->submitted -= before->submitted;
	delta->offloaded -= before->offloaded;
	delta->cpu -= before->cpu;
	delta->failed -= before->failed;
	delta->declined -= before->declined;
	delta->nomem -= before->nomem;
	delta->refused -= before->refused;
}
EXPORT_SYMBOL_IF_KUNIT(fake_stats_since);

static void fake_async_fn(struct work_struct *work)
{
	struct fake_async *fa = container_of(work, struct fake_async, work);

	fa->fn(fa->arg);
	complete(&fa->done);
}

/**
 * fake_async_start - run @fn(@arg) from a work item
 * @fa: on the caller's stack; fake_async_finish() must follow
 * @fn: a call that may block, e.g. an unregister waiting for its users
 * @arg: its argument
 */
void fake_async_start(struct fake_async *fa, void (*fn)(void *arg),
		      void *arg)
{
	fa->fn = fn;
	fa->arg = arg;
	init_completion(&fa->done);
	INIT_WORK_ONSTACK(&fa->work, fake_async_fn);
	schedule_work(&fa->work);
}
EXPORT_SYMBOL_IF_KUNIT(fake_async_start);

/**
 * fake_async_wait - wait for the call to return
 * @fa: a started call
 * @ms: at most this long
 *
 * Return: true if it has returned.
 */
bool fake_async_wait(struct fake_async *fa, unsigned int ms)
{
	return wait_for_completion_timeout(&fa->done, msecs_to_jiffies(ms));
}
EXPORT_SYMBOL_IF_KUNIT(fake_async_wait);

/**
 * fake_async_finish - wait for the work item and release it
 * @fa: a started call
 */
void fake_async_finish(struct fake_async *fa)
{
	flush_work(&fa->work);
	destroy_work_on_stack(&fa->work);
}
EXPORT_SYMBOL_IF_KUNIT(fake_async_finish);

/**
 * fake_expect_copied - every pair finished well, with the right content
 * @test: the test
 * @req: a reported request
 * @dst: its destinations
 * @seed: the pattern of its sources
 */
void fake_expect_copied(struct kunit *test, const struct offload_req *req,
			const struct fake_folios *dst, u32 seed)
{
	KUNIT_EXPECT_EQ(test, fake_req_count(req, 0), req->nr);
	KUNIT_EXPECT_EQ(test, fake_folios_check(dst, seed), -1);
}
EXPORT_SYMBOL_IF_KUNIT(fake_expect_copied);

/**
 * fake_expect_failed - every pair failed, the destinations untouched
 * @test: the test
 * @req: a reported request
 * @dst: its destinations
 * @seed: the pattern @dst held before
 */
void fake_expect_failed(struct kunit *test, const struct offload_req *req,
			const struct fake_folios *dst, u32 seed)
{
	KUNIT_EXPECT_EQ(test, fake_req_count(req, 0), 0);
	KUNIT_EXPECT_EQ(test, fake_req_count(req, -EINPROGRESS), 0);
	KUNIT_EXPECT_EQ(test, fake_folios_check(dst, seed), -1);
}
EXPORT_SYMBOL_IF_KUNIT(fake_expect_failed);

/**
 * fake_expect_declined - the broker declined: nothing copied or reported
 * @test: the test
 * @req: the request
 * @dst: its destinations, zeroed before
 */
void fake_expect_declined(struct kunit *test, const struct offload_req *req,
			  const struct fake_folios *dst)
{
	KUNIT_EXPECT_EQ(test, fake_req_count(req, -EINPROGRESS), req->nr);
	KUNIT_EXPECT_EQ(test, fake_folios_check(dst, 0), -1);
}
EXPORT_SYMBOL_IF_KUNIT(fake_expect_declined);

/**
 * fake_quarantined - whether a fake engine is quarantined
 * @fe: the engine
 *
 * Return: true if it is.
 */
bool fake_quarantined(const struct offload_test_engine *fe)
{
	return test_bit(OFFLOAD_ENGINE_QUARANTINED, &fe->eng.flags);
}
EXPORT_SYMBOL_IF_KUNIT(fake_quarantined);

/**
 * fake_wait_for - poll a condition for up to @ms milliseconds
 * @cond: the condition
 * @arg: its argument
 * @ms: longest wait
 *
 * Return: the condition's last value.
 */
bool fake_wait_for(bool (*cond)(void *arg), void *arg, unsigned int ms)
{
	unsigned long deadline = jiffies + msecs_to_jiffies(ms);

	while (!cond(arg) && time_before(jiffies, deadline))
		msleep(20);
	return cond(arg);
}
EXPORT_SYMBOL_IF_KUNIT(fake_wait_for);

MODULE_DESCRIPTION("Fake copy engines for the mm/offload KUnit suites");
MODULE_LICENSE("GPL");
