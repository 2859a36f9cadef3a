/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Fake copy engines and helpers shared by the mm/offload KUnit suites.
 */
#ifndef _MM_OFFLOAD_TESTS_FAKE_ENGINE_H
#define _MM_OFFLOAD_TESTS_FAKE_ENGINE_H

#include <kunit/test.h>
#include <linux/completion.h>
#include <linux/offload_copy.h>

#include "../test_engine.h"

/* The class the suites route; nothing else in the kernel uses it. */
#define FAKE_CLASS		OFFLOAD_CLASS_GENERIC

/* Node of every request's folios: an engine on it is local. */
#define FAKE_NODE		0

struct offload_test_engine *fake_engine_alloc(struct kunit *test,
					      const char *name,
					      enum offload_test_kind kind,
					      int nid);
void fake_engine_register(struct kunit *test, struct offload_test_engine *fe);
struct offload_test_engine *fake_engine_add(struct kunit *test,
					    const char *name,
					    enum offload_test_kind kind,
					    int nid);
void fake_engine_unregister(struct offload_test_engine *fe);
void fake_engine_unregister_action(void *fe);

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
struct fake_folios *fake_folios_alloc_contig(struct kunit *test,
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
 * @nomem: requests that could not be allocated.
 * @refused: require requests that found no usable engine.
 */
struct fake_stats {
	s64	submitted;
	s64	offloaded;
	s64	cpu;
	s64	failed;
	s64	declined;
	s64	nomem;
	s64	refused;
};

/**
 * struct fake_async - a blocking call run from a work item
 * @work: the work item, on the test's stack.
 * @fn: the call.
 * @arg: its argument.
 * @done: completed when @fn has returned.
 */
struct fake_async {
	struct work_struct	work;
	void			(*fn)(void *arg);
	void			*arg;
	struct completion	done;
};

void fake_async_start(struct fake_async *fa, void (*fn)(void *arg),
		      void *arg);
bool fake_async_wait(struct fake_async *fa, unsigned int ms);
void fake_async_finish(struct fake_async *fa);

void fake_expect_copied(struct kunit *test, const struct offload_req *req,
			const struct fake_folios *dst, u32 seed);
void fake_expect_failed(struct kunit *test, const struct offload_req *req,
			const struct fake_folios *dst, u32 seed);
void fake_expect_declined(struct kunit *test, const struct offload_req *req,
			  const struct fake_folios *dst);
bool fake_quarantined(const struct offload_test_engine *fe);
bool fake_wait_for(bool (*cond)(void *arg), void *arg, unsigned int ms);

void fake_stats_read(struct fake_stats *stats);
void fake_stats_since(struct fake_stats *delta,
		      const struct fake_stats *before);

#endif /* _MM_OFFLOAD_TESTS_FAKE_ENGINE_H */
