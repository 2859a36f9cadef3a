// SPDX-License-Identifier: GPL-2.0
/*
 * Page migration through the mm/offload copy broker.
 *
 * Each test creates test copy engines (module offload_test_engine), routes
 * a migration class to them, migrates a region filled with a per-page
 * pattern between the first two memory nodes (A and B) with move_pages(2),
 * mbind(2) or migrate_pages(2), and checks three things: the contents are
 * unchanged (checksum; gone, for the cases with engines that do not copy),
 * every page is where it should be (move_pages(2) status and a placement
 * query), and the broker did the copies it should have (deltas of the
 * class counters in /sys/kernel/debug/offload/classes and of the test
 * engines' own counters).
 *
 * Cases: base pages on two asynchronous engines (in order and out of
 * order); THPs on an engine copying whole folios and on one copying page by
 * page; THPs and base pages in one move; an engine failing every chunk, in
 * prefer mode (the CPU takes over) and in require mode (nothing moves, the
 * source stays intact); engines that complete without copying, in prefer
 * and require mode, to prove that the CPU does not copy what the broker
 * copied (these destroy the data of the pages they move, which are their
 * own); a move while failslab fails the broker's request allocation (a
 * preallocated request takes over); hugetlb pages, which engines never
 * copy, in require mode (they do not move, their data stays intact) and in
 * prefer mode (the CPU moves them); mbind(MPOL_MF_MOVE); migrate_pages(2)
 * of another process; a memfd mapped by two processes; and threads writing
 * and reading back their pages while the region migrates back and forth.
 *
 * Every engine a test creates has a name unique to the test process, and
 * every route it changes is reset to the boot default ("prefer 32", every
 * engine) by the fixture teardown, which runs in the parent so that it
 * also cleans up after a test that crashed.
 */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/mempolicy.h>

#include "../kselftest_harness.h"
#include "migrate_util.h"
#include "offload_ctl.h"

#define REGION_SIZE	(16UL << 20)
#define TEST_TIMEOUT	120	/* seconds per test; "settings" allows 600 */

#define CLASS_SYSCALL	"syscall_or_cpuset"	/* move_pages, migrate_pages */
#define CLASS_MBIND	"mempolicy_mbind"	/* mbind(MPOL_MF_MOVE) */

#define MAX_ENGINES	4
#define MAX_ROUTES	4
#define CLASS_NAME_LEN	32

/* Regions of the null engine tests: base pages, or THPs. */
#define NULL_MOVE_PAGES	64
#define NULL_MOVE_THPS	4

/* Round trips of the concurrent test, and move attempts per leg. */
#define ROUND_TRIPS	10
#define LEG_ATTEMPTS	3
#define NR_WRITERS	2

/* Exit codes of the helper processes. */
#define CHILD_OK	0
#define CHILD_SETUP	10	/* could not set up, or lost the parent */
#define CHILD_PLACEMENT	11	/* pages not on the expected node */
#define CHILD_DATA	12	/* contents differ from the pattern */

/*
 * The failslab fault injector (CONFIG_FAILSLAB and
 * CONFIG_FAULT_INJECTION_DEBUG_FS), and the switch of the calling thread
 * that its task filter looks at (CONFIG_FAULT_INJECTION).
 */
#define FAILSLAB_DIR	"/sys/kernel/debug/failslab"
#define MAKE_IT_FAIL	"/proc/thread-self/make-it-fail"

/* Base pages of the failslab test: one batch, which the reserve can hold. */
#define FAILSLAB_PAGES	128

/* Longest value of a failslab knob, with its NUL. */
#define KNOB_LEN	24

/*
 * The failslab knobs the failslab test sets, in the order it sets them:
 * the task filter first and the probability last, so that no allocation of
 * another task can fail; the teardown restores them in reverse order.
 * Then every slab allocation of a thread with make-it-fail set fails,
 * unless it may block (ignore-gfp-wait), and silently: with verbose=1
 * failslab logs each failure, with 2 (its default) a stack trace too,
 * which the guest test run takes for a kernel bug.  "times" counts the
 * failures down from a number the test cannot reach, which tells how many
 * there were.
 */
static const struct {
	const char *name;
	const char *value;
} failslab_knobs[] = {
	{ "task-filter", "Y" },
	{ "ignore-gfp-wait", "Y" },
	{ "cache-filter", "N" },
	{ "verbose", "0" },
	{ "space", "0" },
	{ "interval", "1" },
	{ "times", "1000000" },
	{ "probability", "100" },
};

#define NR_FAILSLAB_KNOBS	ARRAY_SIZE(failslab_knobs)

/*
 * Huge pages (MAP_HUGETLB, of the default size) of the hugetlb tests, and
 * the per-node pools they may grow: those of nodes A and B.
 */
#define HUGETLB_PAGES	2
#define HUGETLB_POOLS	2
#define NODE_SYSFS	"/sys/devices/system/node"

/* Change of a counter between two snapshots. */
static long long delta(int64_t before, int64_t after)
{
	return after - before;
}

FIXTURE(offload)
{
	int node_a;
	int node_b;
	/* Test engines created, and whether each is still registered. */
	char engines[MAX_ENGINES][OFFCTL_NAME_LEN];
	bool engine_live[MAX_ENGINES];
	int nr_engines;
	/* Classes whose route was changed. */
	char routes[MAX_ROUTES][CLASS_NAME_LEN];
	int nr_routes;
	/* A helper process not reaped yet, killed by the teardown. */
	pid_t child;
	/* The memfd of shared_shmem_two_processes, for its helper. */
	int memfd;
	/* The test region of the test process, its pattern and checksum. */
	struct mig_region region;
	int *status;
	uint64_t seed;
	uint64_t checksum;
	/*
	 * The values the first @nr_failslab_saved failslab_knobs had before
	 * the test set them, for the teardown.
	 */
	char failslab_saved[NR_FAILSLAB_KNOBS][KNOB_LEN];
	int nr_failslab_saved;
	/*
	 * The nr_hugepages files of the first @nr_hugetlb_saved node pools
	 * that a hugetlb test grew, and their values before, for the
	 * teardown.
	 */
	char hugetlb_path[HUGETLB_POOLS][128];
	long hugetlb_saved[HUGETLB_POOLS];
	int nr_hugetlb_saved;
};

FIXTURE_SETUP(offload)
{
	int nodes[2];
	int nr, ret;

	nr = mig_memory_nodes(nodes, 2);
	ASSERT_LE(0, nr) {
		TH_LOG("cannot list NUMA nodes with memory: %s", strerror(-nr));
	}
	if (nr < 2)
		SKIP(return, "need 2 NUMA nodes with memory, found %d", nr);
	self->node_a = nodes[0];
	self->node_b = nodes[1];

	ret = offctl_te_available();
	if (ret)
		SKIP(return, "no mm/offload test engines (module %s): %s: %s",
		     OFFCTL_TE_MODULE, OFFCTL_TE_CONTROL, strerror(-ret));
}

/* Path of failslab knob @name, in @buf of @size bytes. */
static const char *failslab_path(char *buf, size_t size, const char *name)
{
	snprintf(buf, size, "%s/%s", FAILSLAB_DIR, name);
	return buf;
}

/*
 * Runs in the parent of the test process, even when that one crashed.  The
 * test process's memory is not mapped here: only clean up the kernel state
 * recorded in the shared fixture data.  (No EXPECT handler blocks here: a
 * failed assertion of the test leaves the harness's trigger set, which
 * would run them for checks that pass.)
 */
FIXTURE_TEARDOWN_PARENT(offload)
{
	char path[128];
	int i, ret;

	if (self->child > 0)
		kill(self->child, SIGKILL);

	/*
	 * After a failed assertion the harness may run this in the test
	 * process itself: clear its make-it-fail (elsewhere a no-op), then
	 * restore failslab, the probability first.
	 */
	if (self->nr_failslab_saved) {
		ret = offctl_write(MAKE_IT_FAIL, "0");
		if (ret)
			TH_LOG("teardown: cannot clear %s: %s", MAKE_IT_FAIL,
			       strerror(-ret));
		EXPECT_EQ(0, ret);
	}
	for (i = self->nr_failslab_saved - 1; i >= 0; i--) {
		failslab_path(path, sizeof(path), failslab_knobs[i].name);
		ret = offctl_write(path, "%s", self->failslab_saved[i]);
		if (ret)
			TH_LOG("teardown: cannot restore %s to \"%s\": %s", path,
			       self->failslab_saved[i], strerror(-ret));
		EXPECT_EQ(0, ret);
	}

	/*
	 * Shrink the huge page pools back.  Huge pages still in use (if this
	 * runs in the test process) become surplus pages, freed at its exit.
	 */
	for (i = self->nr_hugetlb_saved - 1; i >= 0; i--) {
		ret = offctl_write(self->hugetlb_path[i], "%ld",
				   self->hugetlb_saved[i]);
		if (ret)
			TH_LOG("teardown: cannot restore %s to %ld: %s",
			       self->hugetlb_path[i], self->hugetlb_saved[i],
			       strerror(-ret));
		EXPECT_EQ(0, ret);
	}

	for (i = 0; i < self->nr_routes; i++) {
		ret = offctl_route_reset(self->routes[i]);
		if (ret)
			TH_LOG("teardown: cannot reset the route of %s to \"%s %d\": %s",
			       self->routes[i], OFFCTL_DEFAULT_MODE,
			       OFFCTL_DEFAULT_MIN_BATCH, strerror(-ret));
		EXPECT_EQ(0, ret);
	}

	for (i = 0; i < self->nr_engines; i++) {
		const char *name = self->engines[i];

		if (!self->engine_live[i])
			continue;
		/* A quarantined engine is enabled again first. */
		offctl_te_cmd("set %s fail_every=0", name);
		offctl_enable(name);
		ret = offctl_te_cmd("del %s", name);
		if (ret)
			TH_LOG("teardown: cannot delete test engine %s: %s",
			       name, strerror(-ret));
		EXPECT_EQ(0, ret);
	}
}

/*
 * Create a test engine named after the test process and @tag, with the
 * options of @fmt ("kind=ooo node=1" ...).  Returns its name.
 */
static const char *add_engine(struct __test_metadata *_metadata,
			      FIXTURE_DATA(offload) *self, const char *tag,
			      const char *fmt, ...)
{
	char opts[256];
	char *name;
	va_list ap;
	int ret;

	ASSERT_GT(MAX_ENGINES, self->nr_engines);
	name = self->engines[self->nr_engines];
	snprintf(name, OFFCTL_NAME_LEN, "mo%d_%s", getpid(), tag);
	va_start(ap, fmt);
	vsnprintf(opts, sizeof(opts), fmt, ap);
	va_end(ap);

	ret = offctl_te_cmd("add %s %s", name, opts);
	ASSERT_EQ(0, ret) {
		TH_LOG("cannot create test engine: \"add %s %s\": %s",
		       name, opts, strerror(-ret));
	}
	self->engine_live[self->nr_engines++] = true;
	return name;
}

/* Delete the test engine @name, created by add_engine(). */
static void del_engine(struct __test_metadata *_metadata,
		       FIXTURE_DATA(offload) *self, const char *name)
{
	int i, ret;

	for (i = 0; i < self->nr_engines; i++) {
		if (!self->engine_live[i] || strcmp(self->engines[i], name))
			continue;
		ret = offctl_te_cmd("del %s", name);
		ASSERT_EQ(0, ret) {
			TH_LOG("cannot delete test engine %s: %s", name,
			       strerror(-ret));
		}
		self->engine_live[i] = false;
		return;
	}
	ASSERT_TRUE(false) {
		TH_LOG("no live test engine %s", name);
	}
}

/* Set the route of @class; the teardown resets it. */
static void set_route(struct __test_metadata *_metadata,
		      FIXTURE_DATA(offload) *self, const char *class,
		      const char *mode, unsigned int min_batch,
		      const char *engines)
{
	int i, ret;

	for (i = 0; i < self->nr_routes; i++)
		if (!strcmp(self->routes[i], class))
			break;
	if (i == self->nr_routes) {
		ASSERT_GT(MAX_ROUTES, self->nr_routes);
		snprintf(self->routes[self->nr_routes++], CLASS_NAME_LEN,
			 "%s", class);
	}

	ret = offctl_route_set(class, mode, min_batch, engines);
	ASSERT_EQ(0, ret) {
		TH_LOG("cannot set route \"%s %s %u %s\": %s", class, mode,
		       min_batch, engines ? engines : "", strerror(-ret));
	}
}

static void read_class(struct __test_metadata *_metadata, const char *class,
		       struct offctl_class *c)
{
	int ret = offctl_class_read(class, c);

	ASSERT_EQ(0, ret) {
		TH_LOG("cannot read class %s from %s: %s", class,
		       OFFCTL_CLASSES, strerror(-ret));
	}
}

static void read_engine(struct __test_metadata *_metadata, const char *name,
			struct offctl_engine *e)
{
	int ret = offctl_engine_read(name, e);

	ASSERT_EQ(0, ret) {
		TH_LOG("cannot read engine %s from %s: %s", name,
		       OFFCTL_ENGINES, strerror(-ret));
	}
}

static void read_te(struct __test_metadata *_metadata, const char *name,
		    struct offctl_te *t)
{
	int ret = offctl_te_read(name, t);

	ASSERT_EQ(0, ret) {
		TH_LOG("cannot read test engine %s from %s: %s", name,
		       OFFCTL_TE_CONTROL, strerror(-ret));
	}
}

static void log_class_delta(struct __test_metadata *_metadata,
			    const char *class, const struct offctl_class *a,
			    const struct offctl_class *b)
{
	TH_LOG("class %s: submitted +%lld offloaded +%lld cpu +%lld failed +%lld declined +%lld",
	       class, delta(a->submitted, b->submitted),
	       delta(a->offloaded, b->offloaded), delta(a->cpu, b->cpu),
	       delta(a->failed, b->failed), delta(a->declined, b->declined));
}

static void log_te_delta(struct __test_metadata *_metadata, const char *name,
			 const struct offctl_te *a, const struct offctl_te *b)
{
	struct offctl_engine e;

	TH_LOG("engine %s: chunks +%lld folios +%lld segs +%lld failed +%lld aborted +%lld",
	       name, delta(a->chunks, b->chunks), delta(a->folios, b->folios),
	       delta(a->segs, b->segs), delta(a->failed, b->failed),
	       delta(a->aborted, b->aborted));
	/* Why the broker aborted chunks, if it did. */
	if (delta(a->aborted, b->aborted) && !offctl_engine_read(name, &e))
		TH_LOG("engine %s, as the broker counts it: errors %lld timeouts %lld fallbacks %lld",
		       name, (long long)e.errors, (long long)e.timeouts,
		       (long long)e.fallbacks);
}

/*
 * Checks that log what is wrong and return false.  They do not assert, so
 * that helper processes can use them too.
 */

/* Is every entry of @status @node? */
static bool placement_ok(struct __test_metadata *_metadata,
			 const struct mig_region *r, const int *status,
			 int node, const char *what)
{
	size_t npages = mig_region_pages(r);
	size_t bad, first = 0;
	char actual[64];

	bad = mig_count_misplaced(status, npages, node, &first);
	if (!bad)
		return true;
	mig_describe_status(actual, sizeof(actual), status[first]);
	TH_LOG("%s: %zu of %zu pages wrong; page %zu (%p): expected node %d, got %s",
	       what, bad, npages, first, r->addr + first * r->page_size, node,
	       actual);
	return false;
}

/* Does a placement query find every page of @r on @node? */
static bool query_ok(struct __test_metadata *_metadata,
		     const struct mig_region *r, int *status, int node,
		     const char *what)
{
	long ret = mig_query_region(r, status);

	if (ret) {
		TH_LOG("%s: move_pages() query failed: %s", what,
		       strerror(-ret));
		return false;
	}
	return placement_ok(_metadata, r, status, node, what);
}

/* Does @r still hold the pattern of @seed, whose checksum is @checksum? */
static bool data_ok(struct __test_metadata *_metadata,
		    const struct mig_region *r, uint64_t seed,
		    uint64_t checksum, const char *what)
{
	uint64_t sum = mig_region_checksum(r);
	size_t bad, first = 0;

	if (sum == checksum)
		return true;
	bad = mig_region_verify(r, seed, &first);
	TH_LOG("%s: checksum 0x%016llx, expected 0x%016llx", what,
	       (unsigned long long)sum, (unsigned long long)checksum);
	TH_LOG("%s: %zu of %zu pages differ from the pattern, first is page %zu",
	       what, bad, mig_region_pages(r), first);
	return false;
}

/* Is [@off, @off + @len) of @r backed by @expect_kb kB of THP? */
static bool thp_range_ok(struct __test_metadata *_metadata,
			 const struct mig_region *r, size_t off, size_t len,
			 long expect_kb, const char *what)
{
	long kb = mig_thp_kb(r->addr + off, len);

	if (kb == expect_kb)
		return true;
	if (kb < 0)
		TH_LOG("%s: cannot read /proc/self/smaps: %s", what,
		       strerror(-kb));
	else
		TH_LOG("%s: %ld kB THP at offset %zu (%zu kB), expected %ld kB (THP %s)",
		       what, kb, off, len >> 10, expect_kb,
		       mig_thp_mode_name(mig_thp_mode()));
	return false;
}

/* Is @r backed the way it was advised? */
static bool backing_ok(struct __test_metadata *_metadata,
		       const struct mig_region *r, const char *what)
{
	size_t half = r->len / 2;

	switch (r->backing) {
	case MIG_THP:
		return thp_range_ok(_metadata, r, 0, r->len, r->len >> 10,
				    what);
	case MIG_MIXED:
		return thp_range_ok(_metadata, r, 0, half, half >> 10, what) &&
		       thp_range_ok(_metadata, r, half, half, 0, what);
	default:
		return thp_range_ok(_metadata, r, 0, r->len, 0, what);
	}
}

/* Seed of the pattern of a test: differs between tests and backings. */
static uint64_t test_seed(unsigned int salt)
{
	return 0x6f66666c6f616400ULL ^ ((uint64_t)salt << 32) ^ getpid();
}

/*
 * Seed of a pattern that no earlier run can have written anywhere: random
 * bits, the wall clock and the pid.
 */
static uint64_t unique_seed(void)
{
	struct timespec ts = { 0 };
	uint64_t rnd = 0;

	if (getrandom(&rnd, sizeof(rnd), GRND_NONBLOCK) != sizeof(rnd))
		rnd = 0;
	clock_gettime(CLOCK_REALTIME, &ts);
	return rnd ^ mig_now_ns() ^ ((uint64_t)ts.tv_sec << 32) ^
	       ts.tv_nsec ^ ((uint64_t)getpid() << 44);
}

/*
 * Allocate the status array of the region mapped in self->region, fill the
 * region with the pattern of @seed on node A and check where it is.
 */
static void fill_region_seed(struct __test_metadata *_metadata,
			     FIXTURE_DATA(offload) *self, uint64_t seed)
{
	size_t npages = mig_region_pages(&self->region);
	long ret;

	self->status = calloc(npages, sizeof(*self->status));
	ASSERT_NE(NULL, self->status);

	self->seed = seed;
	ret = mig_region_fill(&self->region, self->seed, self->node_a);
	ASSERT_EQ(0, ret) {
		TH_LOG("cannot bind memory to node %d: %s", self->node_a,
		       strerror(-ret));
	}
	self->checksum = mig_region_checksum(&self->region);

	ASSERT_TRUE(query_ok(_metadata, &self->region, self->status,
			     self->node_a, "initial placement"));
	ASSERT_TRUE(backing_ok(_metadata, &self->region, "before migration"));
}

/* As fill_region_seed(), with the seed of the test process and @salt. */
static void fill_region(struct __test_metadata *_metadata,
			FIXTURE_DATA(offload) *self, unsigned int salt)
{
	fill_region_seed(_metadata, self, test_seed(salt));
}

/* Map a private anonymous test region of @len bytes, not populated. */
static void map_region(struct __test_metadata *_metadata,
		       FIXTURE_DATA(offload) *self, size_t len,
		       enum mig_backing backing)
{
	long ret;

	ret = mig_region_alloc(&self->region, len, backing);
	ASSERT_EQ(0, ret) {
		TH_LOG("cannot map %zu KiB %s region: %s", len >> 10,
		       mig_backing_name(backing), strerror(-ret));
	}
}

/* Map a private anonymous test region and fill it on node A. */
static void setup_region(struct __test_metadata *_metadata,
			 FIXTURE_DATA(offload) *self,
			 enum mig_backing backing)
{
	map_region(_metadata, self, REGION_SIZE, backing);
	fill_region(_metadata, self, backing);
}

/*
 * Check the outcome of moving the whole region from node @from to node @to
 * with mig_move_region_flags(), which returned @ret and @stats: its status
 * and where the pages are.
 */
static void check_placed(struct __test_metadata *_metadata,
			 FIXTURE_DATA(offload) *self, int from, int to,
			 long ret, const struct mig_move_stats *stats)
{
	char what[80], msg[128];

	ASSERT_EQ(0, ret) {
		TH_LOG("%s", mig_describe_move(msg, sizeof(msg), ret, from,
					       to));
	}
	if (stats->retried)
		TH_LOG("node %d -> %d: retried %zu -EBUSY pages (%u move_pages() calls)",
		       from, to, stats->retried, stats->passes);

	snprintf(what, sizeof(what), "move_pages() status, node %d -> %d",
		 from, to);
	ASSERT_TRUE(placement_ok(_metadata, &self->region, self->status, to,
				 what));
	snprintf(what, sizeof(what), "placement query, node %d -> %d",
		 from, to);
	ASSERT_TRUE(query_ok(_metadata, &self->region, self->status, to,
			     what));
}

/* Check the contents and backing of the region after a move. */
static void check_intact(struct __test_metadata *_metadata,
			 FIXTURE_DATA(offload) *self, int from, int to)
{
	char what[80];

	snprintf(what, sizeof(what), "contents, node %d -> %d", from, to);
	ASSERT_TRUE(data_ok(_metadata, &self->region, self->seed,
			    self->checksum, what));
	snprintf(what, sizeof(what), "backing, node %d -> %d", from, to);
	ASSERT_TRUE(backing_ok(_metadata, &self->region, what));
}

/*
 * Move the whole region to node @to with move_pages(2) and @flags, and
 * check its status and where the pages are.
 */
static void move_region_placed(struct __test_metadata *_metadata,
			       FIXTURE_DATA(offload) *self, int from, int to,
			       int flags)
{
	struct mig_move_stats stats;
	long ret;

	ret = mig_move_region_flags(&self->region, to, flags, self->status,
				    &stats);
	check_placed(_metadata, self, from, to, ret, &stats);
}

/*
 * Move the whole region to node @to with move_pages(2) and @flags, and
 * check status, placement, contents and backing.
 */
static void move_region(struct __test_metadata *_metadata,
			FIXTURE_DATA(offload) *self, int from, int to,
			int flags)
{
	move_region_placed(_metadata, self, from, to, flags);
	check_intact(_metadata, self, from, to);
}

/* Folios in the region: one per THP, one per base page. */
static size_t region_folios(const struct mig_region *r)
{
	size_t thp = mig_thp_size(), half = r->len / 2;

	switch (r->backing) {
	case MIG_THP:
		return r->len / thp;
	case MIG_MIXED:
		return half / thp + half / r->page_size;
	default:
		return mig_region_pages(r);
	}
}

/*
 * 16 MiB of base pages moved A -> B -> A, the class routed to an engine on
 * each node: one completing in order after a delay, one out of order.
 * Every folio move must have been offloaded, and both engines together
 * must have copied some.
 */
TEST_F_TIMEOUT(offload, base_pages_offloaded, TEST_TIMEOUT)
{
	struct offctl_te a0, a1, b0, b1;
	struct offctl_class c0, c1;
	char engines[2 * OFFCTL_NAME_LEN];
	const char *te_a, *te_b;
	long long moved;

	te_a = add_engine(_metadata, self, "a", "kind=delayed delay_ms=1 node=%d",
			  self->node_a);
	te_b = add_engine(_metadata, self, "b", "kind=ooo node=%d",
			  self->node_b);
	snprintf(engines, sizeof(engines), "%s,%s", te_a, te_b);
	set_route(_metadata, self, CLASS_SYSCALL, "prefer",
		  OFFCTL_DEFAULT_MIN_BATCH, engines);
	/*
	 * migrate_pages() tries a batch in MIGRATE_ASYNC mode first, even
	 * for move_pages(2): its requests get the route's async deadline
	 * (10 ms), which a delayed engine in a TCG guest sometimes misses,
	 * and the CPU copies the rest.  Deadlines are not what this case
	 * checks: none.
	 */
	ASSERT_EQ(0, offctl_write(OFFCTL_CONFIGFS "/routes/" CLASS_SYSCALL
				  "/async_ms", "0"));
	setup_region(_metadata, self, MIG_BASE_PAGES);
	moved = 2 * region_folios(&self->region);

	read_class(_metadata, CLASS_SYSCALL, &c0);
	read_te(_metadata, te_a, &a0);
	read_te(_metadata, te_b, &b0);
	move_region(_metadata, self, self->node_a, self->node_b, MPOL_MF_MOVE);
	move_region(_metadata, self, self->node_b, self->node_a, MPOL_MF_MOVE);
	read_class(_metadata, CLASS_SYSCALL, &c1);
	read_te(_metadata, te_a, &a1);
	read_te(_metadata, te_b, &b1);
	log_class_delta(_metadata, CLASS_SYSCALL, &c0, &c1);
	log_te_delta(_metadata, te_a, &a0, &a1);
	log_te_delta(_metadata, te_b, &b0, &b1);

	ASSERT_LE(moved, delta(c0.offloaded, c1.offloaded)) {
		TH_LOG("expected all %lld folio moves to be offloaded", moved);
	}
	ASSERT_EQ(0, delta(c0.failed, c1.failed));
	ASSERT_LT(0, delta(a0.folios, a1.folios) + delta(b0.folios, b1.folios)) {
		TH_LOG("neither test engine copied a folio");
	}
}

/*
 * 16 MiB of THPs, routed with a minimum batch of 1: moved A -> B by an
 * engine that copies a THP as one segment, then B -> A by one that copies
 * it page by page.  THPs must stay THPs, and the engines' segment counts
 * must show how they copied.
 */
TEST_F_TIMEOUT(offload, thp_offloaded_whole_and_split, TEST_TIMEOUT)
{
	const char *reason = mig_thp_unavailable();
	struct offctl_te t0, t1;
	struct offctl_class c0, c1;
	const char *large, *small;
	long long nr_thp, per_thp;

	if (reason)
		SKIP(return, "%s", reason);

	large = add_engine(_metadata, self, "l", "kind=instant large=1");
	set_route(_metadata, self, CLASS_SYSCALL, "prefer", 1, large);
	setup_region(_metadata, self, MIG_THP);
	nr_thp = region_folios(&self->region);
	per_thp = mig_thp_size() / self->region.page_size;

	read_class(_metadata, CLASS_SYSCALL, &c0);
	read_te(_metadata, large, &t0);
	move_region(_metadata, self, self->node_a, self->node_b, MPOL_MF_MOVE);
	read_class(_metadata, CLASS_SYSCALL, &c1);
	read_te(_metadata, large, &t1);
	log_class_delta(_metadata, CLASS_SYSCALL, &c0, &c1);
	log_te_delta(_metadata, large, &t0, &t1);

	ASSERT_LE(nr_thp, delta(c0.offloaded, c1.offloaded)) {
		TH_LOG("large=1: expected all %lld THPs to be offloaded",
		       nr_thp);
	}
	ASSERT_LE(nr_thp, delta(t0.folios, t1.folios)) {
		TH_LOG("large=1: expected engine %s to copy all %lld THPs",
		       large, nr_thp);
	}
	ASSERT_EQ(delta(t0.folios, t1.folios), delta(t0.segs, t1.segs)) {
		TH_LOG("large=1: expected one segment per folio");
	}

	/* Now only an engine without large folio support. */
	del_engine(_metadata, self, large);
	small = add_engine(_metadata, self, "s", "kind=instant large=0");
	set_route(_metadata, self, CLASS_SYSCALL, "prefer", 1, small);

	read_class(_metadata, CLASS_SYSCALL, &c0);
	read_te(_metadata, small, &t0);
	move_region(_metadata, self, self->node_b, self->node_a, MPOL_MF_MOVE);
	read_class(_metadata, CLASS_SYSCALL, &c1);
	read_te(_metadata, small, &t1);
	log_class_delta(_metadata, CLASS_SYSCALL, &c0, &c1);
	log_te_delta(_metadata, small, &t0, &t1);

	ASSERT_LE(nr_thp, delta(c0.offloaded, c1.offloaded)) {
		TH_LOG("large=0: expected all %lld THPs to be offloaded",
		       nr_thp);
	}
	ASSERT_LE(nr_thp, delta(t0.folios, t1.folios)) {
		TH_LOG("large=0: expected engine %s to copy all %lld THPs",
		       small, nr_thp);
	}
	ASSERT_EQ(delta(t0.folios, t1.folios) * per_thp, delta(t0.segs, t1.segs)) {
		TH_LOG("large=0: expected %lld segments (one per base page) per folio",
		       per_thp);
	}
}

/*
 * 8 MiB of THPs followed by 8 MiB of base pages, moved A -> B -> A in one
 * move_pages() call each way by an out-of-order engine.
 */
TEST_F_TIMEOUT(offload, mixed, TEST_TIMEOUT)
{
	const char *reason = mig_thp_unavailable();
	struct offctl_te t0, t1;
	struct offctl_class c0, c1;
	long long moved;
	const char *te;

	if (reason)
		SKIP(return, "%s", reason);

	te = add_engine(_metadata, self, "o", "kind=ooo node=%d",
			self->node_b);
	set_route(_metadata, self, CLASS_SYSCALL, "prefer", 1, te);
	setup_region(_metadata, self, MIG_MIXED);
	moved = 2 * region_folios(&self->region);

	read_class(_metadata, CLASS_SYSCALL, &c0);
	read_te(_metadata, te, &t0);
	move_region(_metadata, self, self->node_a, self->node_b, MPOL_MF_MOVE);
	move_region(_metadata, self, self->node_b, self->node_a, MPOL_MF_MOVE);
	read_class(_metadata, CLASS_SYSCALL, &c1);
	read_te(_metadata, te, &t1);
	log_class_delta(_metadata, CLASS_SYSCALL, &c0, &c1);
	log_te_delta(_metadata, te, &t0, &t1);

	ASSERT_LE(moved, delta(c0.offloaded, c1.offloaded)) {
		TH_LOG("expected all %lld folio moves to be offloaded", moved);
	}
	ASSERT_EQ(0, delta(c0.failed, c1.failed));
	ASSERT_LT(0, delta(t0.folios, t1.folios)) {
		TH_LOG("test engine %s copied no folio", te);
	}
}

/*
 * An engine that fails every chunk, in prefer mode: the CPU copies what it
 * failed, nothing fails, and once the engine is quarantined (after three
 * faults in a row) the broker declines the batches, which the stock path
 * then copies.  The move must succeed with intact data.
 */
TEST_F_TIMEOUT(offload, failing_engine_prefer_falls_back, TEST_TIMEOUT)
{
	struct offctl_class c0, c1;
	struct offctl_engine e;
	struct offctl_te t0, t1;
	const char *te;

	te = add_engine(_metadata, self, "f", "kind=instant fail_every=1");
	set_route(_metadata, self, CLASS_SYSCALL, "prefer",
		  OFFCTL_DEFAULT_MIN_BATCH, te);
	setup_region(_metadata, self, MIG_BASE_PAGES);

	read_class(_metadata, CLASS_SYSCALL, &c0);
	read_te(_metadata, te, &t0);
	move_region(_metadata, self, self->node_a, self->node_b, MPOL_MF_MOVE);
	read_class(_metadata, CLASS_SYSCALL, &c1);
	read_te(_metadata, te, &t1);
	read_engine(_metadata, te, &e);
	log_class_delta(_metadata, CLASS_SYSCALL, &c0, &c1);
	log_te_delta(_metadata, te, &t0, &t1);
	TH_LOG("engine %s: state %s, errors %lld, fallbacks %lld", te,
	       e.quarantined ? "quarantined" : "ok", (long long)e.errors,
	       (long long)e.fallbacks);

	ASSERT_LT(0, delta(c0.cpu, c1.cpu)) {
		TH_LOG("the CPU copied nothing the engine failed");
	}
	ASSERT_EQ(0, delta(c0.failed, c1.failed)) {
		TH_LOG("prefer mode must not fail folios the CPU can copy");
	}
	ASSERT_LT(0, e.errors) {
		TH_LOG("engine %s reported no error although it failed every chunk",
		       te);
	}
}

/*
 * An engine that fails every chunk, in require mode: the CPU must never
 * copy, so no page moves; move_pages() reports pages not migrated and
 * every page stays on node A with its data.  With the route reset, the
 * move succeeds.
 */
TEST_F_TIMEOUT(offload, require_failing_engine_keeps_source, TEST_TIMEOUT)
{
	struct offctl_class c0, c1;
	struct offctl_te t0, t1;
	size_t i, npages, claimed = 0;
	const char *te;
	long ret;

	te = add_engine(_metadata, self, "r", "kind=instant fail_every=1");
	set_route(_metadata, self, CLASS_SYSCALL, "require", 1, te);
	setup_region(_metadata, self, MIG_BASE_PAGES);
	npages = mig_region_pages(&self->region);

	/* move_pages() leaves the entries of pages it failed to move alone. */
	for (i = 0; i < npages; i++)
		self->status[i] = INT_MIN;

	read_class(_metadata, CLASS_SYSCALL, &c0);
	read_te(_metadata, te, &t0);
	ret = mig_move_region(&self->region, self->node_b, self->status, NULL);
	read_class(_metadata, CLASS_SYSCALL, &c1);
	read_te(_metadata, te, &t1);
	log_class_delta(_metadata, CLASS_SYSCALL, &c0, &c1);
	log_te_delta(_metadata, te, &t0, &t1);

	ASSERT_LT(0, ret) {
		if (ret < 0)
			TH_LOG("move_pages() failed: %s; expected a count of pages not migrated",
			       strerror(-ret));
		else
			TH_LOG("move_pages() moved all pages; the only engine allowed fails all");
	}
	TH_LOG("move_pages(): %ld of %zu pages not migrated", ret, npages);
	for (i = 0; i < npages; i++)
		claimed += self->status[i] == self->node_b;
	ASSERT_EQ(0, claimed) {
		TH_LOG("move_pages() status claims %zu pages moved to node %d",
		       claimed, self->node_b);
	}
	ASSERT_TRUE(query_ok(_metadata, &self->region, self->status,
			     self->node_a, "placement after the refused move"));
	ASSERT_TRUE(data_ok(_metadata, &self->region, self->seed,
			    self->checksum, "contents after the refused move"));
	ASSERT_LE((long long)npages, delta(c0.failed, c1.failed)) {
		TH_LOG("expected all %zu folios to fail", npages);
	}
	ASSERT_EQ(0, delta(c0.cpu, c1.cpu)) {
		TH_LOG("require mode must never copy on the CPU");
	}
	ASSERT_LT(0, delta(t0.failed, t1.failed));

	/* The boot default route: prefer, no usable engine, the stock copy. */
	ret = offctl_route_reset(CLASS_SYSCALL);
	ASSERT_EQ(0, ret) {
		TH_LOG("cannot reset the route of %s: %s", CLASS_SYSCALL,
		       strerror(-ret));
	}
	move_region(_metadata, self, self->node_a, self->node_b, MPOL_MF_MOVE);
}

/* Base pages of a region that hold the whole pattern of @seed. */
static size_t pages_with_pattern(const struct mig_region *r, uint64_t seed)
{
	return mig_region_pages(r) - mig_region_verify(r, seed, NULL);
}

/*
 * The copy that __migrate_folio() skips for a folio the broker copied.
 *
 * Engines of kind "null" (one on node A, one on node B) complete every
 * chunk successfully without copying anything, and the class of
 * move_pages(2) is routed to them in @mode with a minimum batch of one
 * page.  A region filled with a pattern unique to this run (random seed)
 * on node A is moved to node B: every page must be on node B, the broker
 * must report every folio offloaded to those engines and none copied by
 * the CPU or failed, and no page may hold the pattern any more.  Had
 * __migrate_folio() copied again after the broker, every page would.
 *
 * A page can only hold the pattern after the move if something copied it:
 * the destination pages are newly allocated on node B, and this run wrote
 * the pattern only to its own pages, all bound to node A, so whatever old
 * content the new pages have, it cannot be this pattern.
 *
 * This destroys the data of the region it moves, on purpose: afterwards
 * its pages hold whatever node B's free memory held.  The region is the
 * test's own private anonymous mapping and nothing else is moved.
 */
static void null_engine_move(struct __test_metadata *_metadata,
			     FIXTURE_DATA(offload) *self, const char *mode,
			     enum mig_backing backing)
{
	struct offctl_engine ea0, ea1, eb0, eb1;
	struct offctl_te ta0, ta1, tb0, tb1;
	struct offctl_class c0, c1;
	char engines[2 * OFFCTL_NAME_LEN], what[80];
	const char *te_a, *te_b, *reason;
	size_t len, npages, held;
	long long folios;

	if (backing == MIG_THP) {
		reason = mig_thp_unavailable();
		if (reason)
			SKIP(return, "%s", reason);
		len = NULL_MOVE_THPS * mig_thp_size();
	} else {
		len = NULL_MOVE_PAGES * sysconf(_SC_PAGESIZE);
	}

	te_a = add_engine(_metadata, self, "na", "kind=null large=1 node=%d",
			  self->node_a);
	te_b = add_engine(_metadata, self, "nb", "kind=null large=1 node=%d",
			  self->node_b);
	snprintf(engines, sizeof(engines), "%s,%s", te_a, te_b);
	set_route(_metadata, self, CLASS_SYSCALL, mode, 1, engines);

	map_region(_metadata, self, len, backing);
	fill_region_seed(_metadata, self, unique_seed());
	npages = mig_region_pages(&self->region);
	folios = region_folios(&self->region);
	ASSERT_EQ(npages, pages_with_pattern(&self->region, self->seed));

	read_class(_metadata, CLASS_SYSCALL, &c0);
	read_engine(_metadata, te_a, &ea0);
	read_engine(_metadata, te_b, &eb0);
	read_te(_metadata, te_a, &ta0);
	read_te(_metadata, te_b, &tb0);
	move_region_placed(_metadata, self, self->node_a, self->node_b,
			   MPOL_MF_MOVE);
	read_class(_metadata, CLASS_SYSCALL, &c1);
	read_engine(_metadata, te_a, &ea1);
	read_engine(_metadata, te_b, &eb1);
	read_te(_metadata, te_a, &ta1);
	read_te(_metadata, te_b, &tb1);
	log_class_delta(_metadata, CLASS_SYSCALL, &c0, &c1);
	log_te_delta(_metadata, te_a, &ta0, &ta1);
	log_te_delta(_metadata, te_b, &tb0, &tb1);

	held = pages_with_pattern(&self->region, self->seed);
	ASSERT_EQ(0UL, held) {
		TH_LOG("%s: %zu of %zu pages still hold the pattern: copied again",
		       mode, held, npages);
	}
	snprintf(what, sizeof(what), "backing, node %d -> %d", self->node_a,
		 self->node_b);
	ASSERT_TRUE(backing_ok(_metadata, &self->region, what));

	ASSERT_LE(folios, delta(c0.offloaded, c1.offloaded)) {
		TH_LOG("expected all %lld folios to be offloaded", folios);
	}
	ASSERT_EQ(0, delta(c0.cpu, c1.cpu)) {
		TH_LOG("the CPU copied folios for the broker");
	}
	ASSERT_EQ(0, delta(c0.failed, c1.failed));
	ASSERT_LE(folios, delta(ea0.folios, ea1.folios) +
			  delta(eb0.folios, eb1.folios)) {
		TH_LOG("the broker counted fewer than %lld folios on engines %s and %s",
		       folios, te_a, te_b);
	}
	ASSERT_LE(folios, delta(ta0.folios, ta1.folios) +
			  delta(tb0.folios, tb1.folios)) {
		TH_LOG("test engines %s and %s completed fewer than %lld folios",
		       te_a, te_b, folios);
	}
}

/* 64 base pages moved by null engines in prefer mode: no CPU copy. */
TEST_F_TIMEOUT(offload, null_engine_prefer_skips_copy, TEST_TIMEOUT)
{
	null_engine_move(_metadata, self, "prefer", MIG_BASE_PAGES);
}

/* 4 THPs moved by null engines in prefer mode: no CPU copy. */
TEST_F_TIMEOUT(offload, null_engine_prefer_skips_copy_thp, TEST_TIMEOUT)
{
	null_engine_move(_metadata, self, "prefer", MIG_THP);
}

/* 64 base pages moved by null engines in require mode: no CPU copy. */
TEST_F_TIMEOUT(offload, null_engine_require_skips_copy, TEST_TIMEOUT)
{
	null_engine_move(_metadata, self, "require", MIG_BASE_PAGES);
}

/* 4 THPs moved by null engines in require mode: no CPU copy. */
TEST_F_TIMEOUT(offload, null_engine_require_skips_copy_thp, TEST_TIMEOUT)
{
	null_engine_move(_metadata, self, "require", MIG_THP);
}

/*
 * Set the failslab knobs to failslab_knobs, saving their values for the
 * teardown first.
 */
static void failslab_arm(struct __test_metadata *_metadata,
			 FIXTURE_DATA(offload) *self)
{
	char path[128], *saved;
	unsigned int i;
	int ret;

	for (i = 0; i < NR_FAILSLAB_KNOBS; i++) {
		failslab_path(path, sizeof(path), failslab_knobs[i].name);
		saved = self->failslab_saved[i];
		ret = mig_read_file(path, saved, KNOB_LEN);
		ASSERT_EQ(0, ret) {
			TH_LOG("cannot read %s: %s", path, strerror(-ret));
		}
		saved[strcspn(saved, "\n")] = '\0';
		self->nr_failslab_saved = i + 1;

		ret = offctl_write(path, "%s", failslab_knobs[i].value);
		ASSERT_EQ(0, ret) {
			TH_LOG("cannot write \"%s\" to %s: %s",
			       failslab_knobs[i].value, path, strerror(-ret));
		}
	}
}

/* Failures failslab may still inject: its "times" counter. */
static long long failslab_times(struct __test_metadata *_metadata)
{
	char path[128], buf[KNOB_LEN], *end;
	long long times;
	int ret;

	failslab_path(path, sizeof(path), "times");
	ret = mig_read_file(path, buf, sizeof(buf));
	ASSERT_EQ(0, ret) {
		TH_LOG("cannot read %s: %s", path, strerror(-ret));
	}
	errno = 0;
	times = strtoll(buf, &end, 10);
	ASSERT_TRUE(!errno && end != buf) {
		TH_LOG("%s: not a number: \"%s\"", path, buf);
	}
	return times;
}

/*
 * Set the make-it-fail switch of the calling thread, through @fd, its file
 * opened beforehand: opening it allocates.
 */
static int set_make_it_fail(int fd, bool on)
{
	ssize_t n = write(fd, on ? "1" : "0", 1);

	if (n < 0)
		return -errno;
	return n == 1 ? 0 : -EIO;
}

/*
 * When the broker cannot allocate a request, page migration still goes
 * through it with one of its preallocated requests.
 *
 * 128 base pages on node A are moved to node B with move_pages(2), the
 * class routed to an instant test engine in prefer mode, while failslab
 * fails every slab allocation of the test thread that cannot block.
 * migrate.c allocates its request with GFP_NOWAIT, in several pieces: each
 * attempt fails and the broker takes a preallocated request instead (the
 * batch fits in one).  The move must succeed with every page on node B and
 * its data intact, every folio offloaded and copied by the engine, none
 * failed, and no request counted missing (nomem).  And failslab must have
 * failed allocations, or the test proved nothing.
 */
TEST_F_TIMEOUT(offload, request_nomem_uses_reserve, TEST_TIMEOUT)
{
	long long npages, times0, times1, injected;
	struct mig_move_stats stats;
	struct offctl_class c0, c1;
	struct offctl_te t0, t1;
	int fd, ret, ret_off;
	const char *te;
	long moved;

	if (access(FAILSLAB_DIR, F_OK))
		SKIP(return,
		     "no %s: %s (kernel without CONFIG_FAILSLAB and CONFIG_FAULT_INJECTION_DEBUG_FS?)",
		     FAILSLAB_DIR, strerror(errno));
	fd = open(MAKE_IT_FAIL, O_WRONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		SKIP(return, "no %s (kernel without CONFIG_FAULT_INJECTION=y?)",
		     MAKE_IT_FAIL);
	ASSERT_LE(0, fd) {
		TH_LOG("cannot open %s: %s", MAKE_IT_FAIL, strerror(errno));
	}

	te = add_engine(_metadata, self, "n", "kind=instant");
	set_route(_metadata, self, CLASS_SYSCALL, "prefer", 1, te);
	map_region(_metadata, self, FAILSLAB_PAGES * sysconf(_SC_PAGESIZE),
		   MIG_BASE_PAGES);
	fill_region(_metadata, self, 0x6e);
	npages = mig_region_pages(&self->region);
	failslab_arm(_metadata, self);

	read_class(_metadata, CLASS_SYSCALL, &c0);
	read_te(_metadata, te, &t0);
	times0 = failslab_times(_metadata);

	/* Nothing but the move between these two. */
	ret = set_make_it_fail(fd, true);
	ASSERT_EQ(0, ret) {
		TH_LOG("cannot set %s: %s", MAKE_IT_FAIL, strerror(-ret));
	}
	moved = mig_move_region(&self->region, self->node_b, self->status,
				&stats);
	ret_off = set_make_it_fail(fd, false);

	ASSERT_EQ(0, ret_off) {
		TH_LOG("cannot clear %s: %s", MAKE_IT_FAIL, strerror(-ret_off));
	}
	close(fd);
	times1 = failslab_times(_metadata);
	read_class(_metadata, CLASS_SYSCALL, &c1);
	read_te(_metadata, te, &t1);
	injected = times0 - times1;
	log_class_delta(_metadata, CLASS_SYSCALL, &c0, &c1);
	log_te_delta(_metadata, te, &t0, &t1);
	TH_LOG("class %s: nomem +%lld; failslab failed %lld allocations",
	       CLASS_SYSCALL, delta(c0.nomem, c1.nomem), injected);

	check_placed(_metadata, self, self->node_a, self->node_b, moved,
		     &stats);
	check_intact(_metadata, self, self->node_a, self->node_b);
	ASSERT_LT(0, injected) {
		TH_LOG("failslab failed no allocation: nothing was tested");
	}
	ASSERT_EQ(0, delta(c0.nomem, c1.nomem)) {
		TH_LOG("the broker found no request for a batch: no preallocated one either");
	}
	ASSERT_LE(npages, delta(c0.offloaded, c1.offloaded)) {
		TH_LOG("expected all %lld folios to be offloaded, with a preallocated request",
		       npages);
	}
	ASSERT_LE(npages, delta(t0.folios, t1.folios)) {
		TH_LOG("expected test engine %s to copy all %lld folios", te,
		       npages);
	}
	ASSERT_EQ(0, delta(c0.failed, c1.failed)) {
		TH_LOG("folios failed to migrate");
	}
}

/* Size of the default huge pages (those of MAP_HUGETLB) in kB, or 0. */
static unsigned long hugetlb_default_kb(void)
{
	char buf[8192], *p;

	if (mig_read_file("/proc/meminfo", buf, sizeof(buf)))
		return 0;
	p = strstr(buf, "Hugepagesize:");
	return p ? strtoul(p + strlen("Hugepagesize:"), NULL, 10) : 0;
}

/* Path of file @name of the pool of @kb kB huge pages of node @node. */
static const char *hugetlb_pool_path(char *buf, size_t size, int node,
				     unsigned long kb, const char *name)
{
	snprintf(buf, size, NODE_SYSFS "/node%d/hugepages/hugepages-%lukB/%s",
		 node, kb, name);
	return buf;
}

/* Read the number in file @name of a node's huge page pool. */
static int hugetlb_pool_read(int node, unsigned long kb, const char *name,
			     long *val)
{
	char path[128], buf[32], *end;
	int ret;

	hugetlb_pool_path(path, sizeof(path), node, kb, name);
	ret = mig_read_file(path, buf, sizeof(buf));
	if (ret)
		return ret;
	errno = 0;
	*val = strtol(buf, &end, 10);
	return errno || end == buf ? -EINVAL : 0;
}

/*
 * Make sure node @node has HUGETLB_PAGES free huge pages of @kb kB: grow
 * its pool by what it lacks (the teardown shrinks it back), as
 * selftests/mm does through the global nr_hugepages, but on this node.
 * Returns false, with the reason in @why, if they cannot be had.
 */
static bool hugetlb_reserve(struct __test_metadata *_metadata,
			    FIXTURE_DATA(offload) *self, int node,
			    unsigned long kb, char *why, size_t size)
{
	long nr, nr_free, want;
	char *path;
	int i, ret;

	ret = hugetlb_pool_read(node, kb, "free_hugepages", &nr_free);
	if (!ret)
		ret = hugetlb_pool_read(node, kb, "nr_hugepages", &nr);
	if (ret) {
		snprintf(why, size, "cannot read the %lu kB huge page pool of node %d: %s",
			 kb, node, strerror(-ret));
		return false;
	}
	if (nr_free >= HUGETLB_PAGES)
		return true;

	i = self->nr_hugetlb_saved;
	ASSERT_GT(HUGETLB_POOLS, i);
	path = self->hugetlb_path[i];
	hugetlb_pool_path(path, sizeof(self->hugetlb_path[i]), node, kb,
			  "nr_hugepages");
	self->hugetlb_saved[i] = nr;
	self->nr_hugetlb_saved = i + 1;

	want = nr + HUGETLB_PAGES - nr_free;
	ret = offctl_write(path, "%ld", want);
	if (ret) {
		snprintf(why, size, "cannot write %ld to %s: %s", want, path,
			 strerror(-ret));
		return false;
	}
	ret = hugetlb_pool_read(node, kb, "free_hugepages", &nr_free);
	if (ret) {
		snprintf(why, size, "cannot read the %lu kB huge page pool of node %d: %s",
			 kb, node, strerror(-ret));
		return false;
	}
	if (nr_free < HUGETLB_PAGES) {
		snprintf(why, size,
			 "node %d: %ld free %lu kB huge pages with nr_hugepages %ld, need %d",
			 node, nr_free, kb, want, HUGETLB_PAGES);
		return false;
	}
	return true;
}

/*
 * Map HUGETLB_PAGES huge pages of @hsize bytes (MAP_HUGETLB: the default
 * size) as the private anonymous test region, not populated.  It is
 * described as a region of base pages: the pattern, checksum and placement
 * helpers work page by page, and smaps counts no THP (AnonHugePages) in a
 * hugetlb mapping.
 */
static void map_hugetlb_region(struct __test_metadata *_metadata,
			       FIXTURE_DATA(offload) *self, size_t hsize)
{
	struct mig_region *r = &self->region;
	size_t len = HUGETLB_PAGES * hsize;
	void *p;

	p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
	ASSERT_NE(MAP_FAILED, p) {
		TH_LOG("cannot map %d huge pages of %zu kB: %s", HUGETLB_PAGES,
		       hsize >> 10, strerror(errno));
	}
	memset(r, 0, sizeof(*r));
	r->map = p;
	r->map_len = len;
	r->addr = p;
	r->len = len;
	r->page_size = sysconf(_SC_PAGESIZE);
	r->align = hsize;
	r->backing = MIG_BASE_PAGES;
}

/*
 * Set up the region of a hugetlb test: HUGETLB_PAGES huge pages filled on
 * node A with the pattern of @salt, and as many free huge pages on node B
 * for them to move to.  Returns the huge page size, or 0 with the reason
 * to skip in @why.
 */
static size_t setup_hugetlb_region(struct __test_metadata *_metadata,
				   FIXTURE_DATA(offload) *self,
				   unsigned int salt, char *why, size_t size)
{
	unsigned long kb = hugetlb_default_kb();

	if (!kb) {
		snprintf(why, size,
			 "no Hugepagesize in /proc/meminfo (kernel without CONFIG_HUGETLBFS?)");
		return 0;
	}
	/* A fault on node A without a free huge page there is a SIGBUS. */
	if (!hugetlb_reserve(_metadata, self, self->node_a, kb, why, size) ||
	    !hugetlb_reserve(_metadata, self, self->node_b, kb, why, size))
		return 0;
	map_hugetlb_region(_metadata, self, kb << 10);
	fill_region(_metadata, self, salt);
	return kb << 10;
}

/*
 * move_pages(2) of the first base page of each huge page of the region to
 * @node, one call; their statuses in @status.
 */
static long move_hugetlb_heads(const struct mig_region *r, size_t hsize,
			       int node, int *status)
{
	void *pages[HUGETLB_PAGES];
	int nodes[HUGETLB_PAGES];
	long ret;
	int i;

	for (i = 0; i < HUGETLB_PAGES; i++) {
		pages[i] = r->addr + i * hsize;
		nodes[i] = node;
	}
	ret = syscall(SYS_move_pages, 0, HUGETLB_PAGES, pages, nodes, status,
		      MPOL_MF_MOVE);
	return ret < 0 ? -errno : ret;
}

/* Status entries that are neither an error nor @node. */
static size_t count_claimed(const int *status, size_t n, int node)
{
	size_t i, bad = 0;

	for (i = 0; i < n; i++)
		bad += status[i] >= 0 && status[i] != node;
	return bad;
}

/* The broker saw nothing of the class between @c0 and @c1, nor @te. */
static void check_broker_unused(struct __test_metadata *_metadata,
				const struct offctl_class *c0,
				const struct offctl_class *c1,
				const struct offctl_te *t0,
				const struct offctl_te *t1, const char *te)
{
	ASSERT_EQ(0, delta(c0->submitted, c1->submitted)) {
		TH_LOG("class %s: the broker was given folios: hugetlb ones?",
		       CLASS_SYSCALL);
	}
	ASSERT_EQ(0, delta(c0->offloaded, c1->offloaded)) {
		TH_LOG("class %s: the broker offloaded hugetlb folios",
		       CLASS_SYSCALL);
	}
	ASSERT_EQ(0, delta(c0->cpu, c1->cpu)) {
		TH_LOG("class %s: the broker copied hugetlb folios on the CPU",
		       CLASS_SYSCALL);
	}
	ASSERT_EQ(0, delta(t0->folios, t1->folios)) {
		TH_LOG("test engine %s copied folios", te);
	}
}

/*
 * Engines never copy hugetlb folios, so under a require route (the CPU
 * must not copy) they cannot migrate: migrate_hugetlbs() fails them
 * without trying, and they stay where they are.
 *
 * Two huge pages filled on node A, the class of move_pages(2) routed in
 * require mode to an instant engine, are moved to node B, first with the
 * address of each huge page (one move_pages() call, which queues both on
 * one list: it must report both not migrated and store no status for
 * them), then with every base page address (it must report pages not
 * migrated, and no status may be a node other than A).  Every page must
 * still be on node A with its data, and the broker must not have seen a
 * folio (no folio submitted, offloaded or copied by the CPU).  With the
 * route reset to the boot default (prefer), the same move must succeed,
 * which proves that the route refused it.
 */
TEST_F_TIMEOUT(offload, hugetlb_require_fails_keeps_source, TEST_TIMEOUT)
{
	int heads[HUGETLB_PAGES];
	struct offctl_class c0, c1;
	struct offctl_te t0, t1;
	size_t hsize, npages, i, busy = 0;
	const char *te;
	char why[192];
	long ret, ret_all;

	hsize = setup_hugetlb_region(_metadata, self, 0x48, why, sizeof(why));
	if (!hsize)
		SKIP(return, "%s", why);
	npages = mig_region_pages(&self->region);
	te = add_engine(_metadata, self, "hr", "kind=instant large=1");
	set_route(_metadata, self, CLASS_SYSCALL, "require", 1, te);

	/* move_pages() leaves the entries of pages it failed to move alone. */
	for (i = 0; i < HUGETLB_PAGES; i++)
		heads[i] = INT_MIN;
	for (i = 0; i < npages; i++)
		self->status[i] = INT_MIN;

	read_class(_metadata, CLASS_SYSCALL, &c0);
	read_te(_metadata, te, &t0);
	ret = move_hugetlb_heads(&self->region, hsize, self->node_b, heads);
	ret_all = mig_move_region(&self->region, self->node_b, self->status,
				  NULL);
	read_class(_metadata, CLASS_SYSCALL, &c1);
	read_te(_metadata, te, &t1);
	log_class_delta(_metadata, CLASS_SYSCALL, &c0, &c1);
	log_te_delta(_metadata, te, &t0, &t1);
	for (i = 0; i < npages; i++)
		busy += self->status[i] == -EBUSY;
	TH_LOG("move_pages() of %d huge pages: %ld; of %zu base pages: %ld (%zu -EBUSY)",
	       HUGETLB_PAGES, ret, npages, ret_all, busy);

	ASSERT_EQ(HUGETLB_PAGES, ret) {
		TH_LOG("expected all %d huge pages reported not migrated",
		       HUGETLB_PAGES);
	}
	ASSERT_EQ(0, count_claimed(heads, HUGETLB_PAGES, self->node_a)) {
		TH_LOG("move_pages() status claims huge pages moved: %d %d",
		       heads[0], heads[1]);
	}
	ASSERT_LT(0, ret_all) {
		TH_LOG("move_pages() of every base page: %ld; expected pages not migrated",
		       ret_all);
	}
	ASSERT_GE((long)npages, ret_all);
	ASSERT_EQ(0, count_claimed(self->status, npages, self->node_a)) {
		TH_LOG("move_pages() status claims pages moved off node %d",
		       self->node_a);
	}
	ASSERT_TRUE(query_ok(_metadata, &self->region, self->status,
			     self->node_a, "placement after the refused move"));
	ASSERT_TRUE(data_ok(_metadata, &self->region, self->seed,
			    self->checksum, "contents after the refused move"));
	check_broker_unused(_metadata, &c0, &c1, &t0, &t1, te);

	/* The boot default route: prefer, which lets the CPU copy them. */
	ret = offctl_route_reset(CLASS_SYSCALL);
	ASSERT_EQ(0, ret) {
		TH_LOG("cannot reset the route of %s: %s", CLASS_SYSCALL,
		       strerror(-ret));
	}
	move_region(_metadata, self, self->node_a, self->node_b, MPOL_MF_MOVE);
}

/*
 * The same two huge pages, the class routed in prefer mode to an instant
 * engine with a minimum batch of one page: move_pages(2) of every base
 * page moves them to node B, intact, copied by the CPU (hugetlb's own
 * copy); the broker sees none of them.
 */
TEST_F_TIMEOUT(offload, hugetlb_prefer_migrates, TEST_TIMEOUT)
{
	struct offctl_class c0, c1;
	struct offctl_te t0, t1;
	const char *te;
	char why[192];

	if (!setup_hugetlb_region(_metadata, self, 0x50, why, sizeof(why)))
		SKIP(return, "%s", why);
	te = add_engine(_metadata, self, "hp", "kind=instant large=1");
	set_route(_metadata, self, CLASS_SYSCALL, "prefer", 1, te);

	read_class(_metadata, CLASS_SYSCALL, &c0);
	read_te(_metadata, te, &t0);
	move_region(_metadata, self, self->node_a, self->node_b, MPOL_MF_MOVE);
	read_class(_metadata, CLASS_SYSCALL, &c1);
	read_te(_metadata, te, &t1);
	log_class_delta(_metadata, CLASS_SYSCALL, &c0, &c1);
	log_te_delta(_metadata, te, &t0, &t1);
	check_broker_unused(_metadata, &c0, &c1, &t0, &t1, te);
}

/* mbind(MPOL_BIND, node B, MPOL_MF_MOVE) of a region on node A. */
TEST_F_TIMEOUT(offload, mbind_move, TEST_TIMEOUT)
{
	struct offctl_class c0, c1;
	struct offctl_te t0, t1;
	const char *te;
	int ret;

	te = add_engine(_metadata, self, "m", "kind=delayed delay_ms=1 node=%d",
			self->node_b);
	set_route(_metadata, self, CLASS_MBIND, "prefer",
		  OFFCTL_DEFAULT_MIN_BATCH, te);
	setup_region(_metadata, self, MIG_BASE_PAGES);

	read_class(_metadata, CLASS_MBIND, &c0);
	read_te(_metadata, te, &t0);
	ret = mig_mbind(self->region.addr, self->region.len, MPOL_BIND,
			self->node_b, MPOL_MF_MOVE);
	read_class(_metadata, CLASS_MBIND, &c1);
	read_te(_metadata, te, &t1);
	log_class_delta(_metadata, CLASS_MBIND, &c0, &c1);
	log_te_delta(_metadata, te, &t0, &t1);

	ASSERT_EQ(0, ret) {
		TH_LOG("mbind(MPOL_BIND, node %d, MPOL_MF_MOVE) failed: %s",
		       self->node_b, strerror(-ret));
	}
	ASSERT_TRUE(query_ok(_metadata, &self->region, self->status,
			     self->node_b, "placement after mbind()"));
	ASSERT_TRUE(data_ok(_metadata, &self->region, self->seed,
			    self->checksum, "contents after mbind()"));
	ASSERT_LT(0, delta(c0.offloaded, c1.offloaded)) {
		TH_LOG("class %s offloaded nothing", CLASS_MBIND);
	}
	ASSERT_LT(0, delta(t0.folios, t1.folios));
}

/* Write one byte to @fd; false if the other end is gone. */
static bool send_byte(int fd, char c)
{
	return write(fd, &c, 1) == 1;
}

/* Read one byte from @fd; false on end of file or error. */
static bool recv_byte(int fd, char *c)
{
	ssize_t n;

	do {
		n = read(fd, c, 1);
	} while (n < 0 && errno == EINTR);
	return n == 1;
}

/*
 * Fork a helper process running @fn, connected by two pipes: @fn gets the
 * write end of one to tell it is ready and the read end of the other to
 * wait for the go.  The parent gets the other two ends in @ready and @go.
 */
static pid_t fork_helper(struct __test_metadata *_metadata,
			 FIXTURE_DATA(offload) *self,
			 int (*fn)(struct __test_metadata *_metadata,
				   FIXTURE_DATA(offload) *self, int ready,
				   int go),
			 int *ready, int *go)
{
	int up[2], down[2];
	pid_t pid;

	if (pipe(up) || pipe(down)) {
		TH_LOG("pipe() failed: %s", strerror(errno));
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		TH_LOG("fork() failed: %s", strerror(errno));
		return -1;
	}
	if (!pid) {
		close(up[0]);
		close(down[1]);
		/* Die with the test process, however it ends. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		_exit(fn(_metadata, self, up[1], down[0]));
	}
	close(up[1]);
	close(down[0]);
	*ready = up[0];
	*go = down[1];
	self->child = pid;
	return pid;
}

/* Reap the helper process and check that it exited with CHILD_OK. */
static void wait_helper(struct __test_metadata *_metadata,
			FIXTURE_DATA(offload) *self)
{
	pid_t pid = self->child;
	int wstatus;

	ASSERT_EQ(pid, waitpid(pid, &wstatus, 0));
	self->child = 0;
	ASSERT_TRUE(WIFEXITED(wstatus)) {
		TH_LOG("helper process killed by signal %d",
		       WIFSIGNALED(wstatus) ? WTERMSIG(wstatus) : 0);
	}
	ASSERT_EQ(CHILD_OK, WEXITSTATUS(wstatus)) {
		switch (WEXITSTATUS(wstatus)) {
		case CHILD_SETUP:
			TH_LOG("helper process: setup failed");
			break;
		case CHILD_PLACEMENT:
			TH_LOG("helper process: its pages are not where expected");
			break;
		case CHILD_DATA:
			TH_LOG("helper process: its view of the data is wrong");
			break;
		default:
			TH_LOG("helper process: exit status %d",
			       WEXITSTATUS(wstatus));
		}
	}
}

/*
 * Helper of migrate_pages_syscall: fills its own region on node A, then
 * after the go checks that migrate_pages(2) moved it to node B intact.
 */
static int migrate_child(struct __test_metadata *_metadata,
			 FIXTURE_DATA(offload) *self, int ready, int go)
{
	struct mig_region r;
	uint64_t checksum;
	int *status;
	long ret;
	char c;

	ret = mig_region_alloc(&r, REGION_SIZE, MIG_BASE_PAGES);
	if (ret) {
		TH_LOG("child: cannot map region: %s", strerror(-ret));
		return CHILD_SETUP;
	}
	status = calloc(mig_region_pages(&r), sizeof(*status));
	if (!status)
		return CHILD_SETUP;
	ret = mig_region_fill(&r, self->seed, self->node_a);
	if (ret) {
		TH_LOG("child: cannot bind memory to node %d: %s",
		       self->node_a, strerror(-ret));
		return CHILD_SETUP;
	}
	checksum = mig_region_checksum(&r);
	if (!query_ok(_metadata, &r, status, self->node_a,
		      "child: before migrate_pages()"))
		return CHILD_SETUP;

	if (!send_byte(ready, 'r') || !recv_byte(go, &c))
		return CHILD_SETUP;

	if (!query_ok(_metadata, &r, status, self->node_b,
		      "child: placement after migrate_pages()"))
		return CHILD_PLACEMENT;
	if (!data_ok(_metadata, &r, self->seed, checksum,
		     "child: contents after migrate_pages()"))
		return CHILD_DATA;
	return CHILD_OK;
}

/*
 * migrate_pages(2) of another process: a child fills 16 MiB on node A and
 * waits; the parent moves all the child's pages from node A to node B;
 * the child then checks placement and contents.
 */
TEST_F_TIMEOUT(offload, migrate_pages_syscall, TEST_TIMEOUT)
{
	struct offctl_class c0, c1;
	struct offctl_te t0, t1;
	int ready, go;
	const char *te;
	pid_t pid;
	long ret;
	char c = 0;

	te = add_engine(_metadata, self, "p", "kind=ooo node=%d",
			self->node_b);
	set_route(_metadata, self, CLASS_SYSCALL, "prefer",
		  OFFCTL_DEFAULT_MIN_BATCH, te);
	self->seed = test_seed(0x70);

	pid = fork_helper(_metadata, self, migrate_child, &ready, &go);
	ASSERT_LT(0, pid);
	if (!recv_byte(ready, &c))
		wait_helper(_metadata, self);	/* reports its failure */
	ASSERT_EQ('r', c);

	read_class(_metadata, CLASS_SYSCALL, &c0);
	read_te(_metadata, te, &t0);
	ret = mig_migrate_pages(pid, self->node_a, self->node_b);
	read_class(_metadata, CLASS_SYSCALL, &c1);
	read_te(_metadata, te, &t1);
	log_class_delta(_metadata, CLASS_SYSCALL, &c0, &c1);
	log_te_delta(_metadata, te, &t0, &t1);

	ASSERT_LE(0, ret) {
		TH_LOG("migrate_pages(%d, {%d}, {%d}) failed: %s", pid,
		       self->node_a, self->node_b, strerror(-ret));
	}
	if (ret)
		TH_LOG("migrate_pages(): %ld child pages not moved (its region is checked)",
		       ret);

	ASSERT_TRUE(send_byte(go, 'g'));
	wait_helper(_metadata, self);
	ASSERT_LT(0, delta(c0.offloaded, c1.offloaded)) {
		TH_LOG("class %s offloaded nothing", CLASS_SYSCALL);
	}
	ASSERT_LT(0, delta(t0.folios, t1.folios));
}

/*
 * Helper of shared_shmem_two_processes: maps the memfd again, reads it
 * (so its pages are mapped by both processes), and after the go checks
 * that its own view is on node B and intact.
 */
static int shmem_child(struct __test_metadata *_metadata,
		       FIXTURE_DATA(offload) *self, int ready, int go)
{
	struct mig_region r;
	int *status, fd;
	long ret;
	char c;

	/* A mapping of its own, not the one inherited from the parent. */
	fd = self->memfd;
	ret = mig_region_map_fd(&r, fd, REGION_SIZE);
	if (ret) {
		TH_LOG("child: cannot map the memfd: %s", strerror(-ret));
		return CHILD_SETUP;
	}
	status = calloc(mig_region_pages(&r), sizeof(*status));
	if (!status)
		return CHILD_SETUP;
	if (!data_ok(_metadata, &r, self->seed, self->checksum,
		     "child: contents before the move") ||
	    !query_ok(_metadata, &r, status, self->node_a,
		      "child: placement before the move"))
		return CHILD_SETUP;

	if (!send_byte(ready, 'r') || !recv_byte(go, &c))
		return CHILD_SETUP;

	if (!query_ok(_metadata, &r, status, self->node_b,
		      "child: placement of its mapping after the move"))
		return CHILD_PLACEMENT;
	if (!data_ok(_metadata, &r, self->seed, self->checksum,
		     "child: contents of its mapping after the move"))
		return CHILD_DATA;
	return CHILD_OK;
}

/*
 * A memfd of 16 MiB mapped MAP_SHARED by the test process and a child,
 * both of which have read all of it: the test process moves its mapping
 * to node B (MPOL_MF_MOVE_ALL, as the pages are mapped twice), then the
 * child checks through its own mapping that the pages are on node B and
 * intact.
 */
TEST_F_TIMEOUT(offload, shared_shmem_two_processes, TEST_TIMEOUT)
{
	struct offctl_class c0, c1;
	struct offctl_te t0, t1;
	int ready, go;
	const char *te;
	pid_t pid;
	long ret;
	char c = 0;

	te = add_engine(_metadata, self, "h", "kind=delayed delay_ms=1 node=%d",
			self->node_a);
	set_route(_metadata, self, CLASS_SYSCALL, "prefer",
		  OFFCTL_DEFAULT_MIN_BATCH, te);

	self->memfd = memfd_create("offload_migrate_test", 0);
	ASSERT_LE(0, self->memfd) {
		TH_LOG("memfd_create() failed: %s", strerror(errno));
	}
	ASSERT_EQ(0, ftruncate(self->memfd, REGION_SIZE)) {
		TH_LOG("ftruncate() of the memfd failed: %s", strerror(errno));
	}
	ret = mig_region_map_fd(&self->region, self->memfd, REGION_SIZE);
	ASSERT_EQ(0, ret) {
		TH_LOG("cannot map the memfd: %s", strerror(-ret));
	}
	fill_region(_metadata, self, 0x73);

	pid = fork_helper(_metadata, self, shmem_child, &ready, &go);
	ASSERT_LT(0, pid);
	if (!recv_byte(ready, &c))
		wait_helper(_metadata, self);	/* reports its failure */
	ASSERT_EQ('r', c);

	read_class(_metadata, CLASS_SYSCALL, &c0);
	read_te(_metadata, te, &t0);
	ret = mig_move_region_flags(&self->region, self->node_b,
				    MPOL_MF_MOVE_ALL, self->status, NULL);
	if (ret == -EPERM)
		SKIP(return, "MPOL_MF_MOVE_ALL needs CAP_SYS_NICE");
	ASSERT_EQ(0, ret) {
		if (ret < 0)
			TH_LOG("move_pages(MPOL_MF_MOVE_ALL) failed: %s",
			       strerror(-ret));
		else
			TH_LOG("move_pages(MPOL_MF_MOVE_ALL): %ld pages not migrated",
			       ret);
	}
	read_class(_metadata, CLASS_SYSCALL, &c1);
	read_te(_metadata, te, &t1);
	log_class_delta(_metadata, CLASS_SYSCALL, &c0, &c1);
	log_te_delta(_metadata, te, &t0, &t1);

	ASSERT_TRUE(placement_ok(_metadata, &self->region, self->status,
				 self->node_b, "move_pages() status"));
	ASSERT_TRUE(query_ok(_metadata, &self->region, self->status,
			     self->node_b, "placement query after the move"));
	ASSERT_TRUE(data_ok(_metadata, &self->region, self->seed,
			    self->checksum, "contents after the move"));

	ASSERT_TRUE(send_byte(go, 'g'));
	wait_helper(_metadata, self);
	ASSERT_LT(0, delta(c0.offloaded, c1.offloaded)) {
		TH_LOG("class %s offloaded nothing", CLASS_SYSCALL);
	}
	ASSERT_LT(0, delta(t0.folios, t1.folios));
}

/* Value writer @id stores in word 0 of page @idx on its pass @pass. */
static uint64_t writer_value(unsigned int id, uint64_t pass, size_t idx)
{
	return 0xc0deULL << 48 | (uint64_t)id << 44 |
	       (pass & 0xfffffULL) << 24 | (idx & 0xffffffULL);
}

/*
 * A thread that owns every NR_WRITERS-th page of the region, from page
 * @id: it keeps storing a new value in word 0 of each of them, and checks
 * that the page still holds the value it stored last before, and holds the
 * new one right after.
 */
struct writer {
	pthread_t thread;
	const struct mig_region *r;
	unsigned int id;
	const int *stop;
	uint64_t *last;		/* per page: value stored last, shared */
	unsigned long passes;	/* read by the main thread while running */
	unsigned long errors;
	size_t bad_page;
	uint64_t bad_expected;
	uint64_t bad_seen;
	bool bad_after_store;
};

static void writer_error(struct writer *w, size_t idx, uint64_t expected,
			 uint64_t seen, bool after_store)
{
	if (!w->errors++) {
		w->bad_page = idx;
		w->bad_expected = expected;
		w->bad_seen = seen;
		w->bad_after_store = after_store;
	}
}

static void *writer_fn(void *arg)
{
	struct writer *w = arg;
	size_t idx, npages = mig_region_pages(w->r);
	uint64_t pass, v, seen;

	for (pass = 1; !__atomic_load_n(w->stop, __ATOMIC_RELAXED); pass++) {
		for (idx = w->id; idx < npages; idx += NR_WRITERS) {
			uint64_t *p = (uint64_t *)(w->r->addr +
						   idx * w->r->page_size);

			/* Atomic accesses: the compiler must not elide them. */
			seen = __atomic_load_n(p, __ATOMIC_RELAXED);
			if (seen != w->last[idx])
				writer_error(w, idx, w->last[idx], seen, false);
			v = writer_value(w->id, pass, idx);
			__atomic_store_n(p, v, __ATOMIC_RELAXED);
			w->last[idx] = v;
			seen = __atomic_load_n(p, __ATOMIC_RELAXED);
			if (seen != v)
				writer_error(w, idx, v, seen, true);
		}
		__atomic_store_n(&w->passes, pass, __ATOMIC_RELAXED);
		sched_yield();
	}
	return NULL;
}

/*
 * Move the region to @to while the writers run; a few attempts, since
 * concurrent faults may make some pages transiently unmovable.
 */
static bool busy_leg(struct __test_metadata *_metadata,
		     FIXTURE_DATA(offload) *self, int from, int to,
		     unsigned int *retries)
{
	size_t npages = mig_region_pages(&self->region);
	unsigned int attempt;
	char what[80], msg[128];
	long ret = 0;

	for (attempt = 0; attempt < LEG_ATTEMPTS; attempt++) {
		ret = mig_move_region(&self->region, to, self->status, NULL);
		if (ret < 0) {
			TH_LOG("%s", mig_describe_move(msg, sizeof(msg), ret,
						       from, to));
			return false;
		}
		ret = mig_query_region(&self->region, self->status);
		if (ret) {
			TH_LOG("move_pages() query failed: %s",
			       strerror(-ret));
			return false;
		}
		if (!mig_count_misplaced(self->status, npages, to, NULL))
			return true;
		++*retries;
	}
	snprintf(what, sizeof(what),
		 "placement, node %d -> %d after %u attempts", from, to,
		 LEG_ATTEMPTS);
	return placement_ok(_metadata, &self->region, self->status, to, what);
}

/* Wait up to a few seconds until every writer has finished a pass. */
static bool writers_started(struct writer *w)
{
	struct timespec pause = { 0, 1000000 };
	unsigned int i, ms;

	for (ms = 0; ms < 5000; ms++) {
		for (i = 0; i < NR_WRITERS; i++)
			if (!__atomic_load_n(&w[i].passes, __ATOMIC_RELAXED))
				break;
		if (i == NR_WRITERS)
			return true;
		nanosleep(&pause, NULL);
	}
	return false;
}

/*
 * While the test process moves 16 MiB of base pages A -> B -> A ten times,
 * two threads keep storing values in word 0 of their own pages (disjoint
 * sets) and reading them back: no store may be lost or read back wrong.
 * At the end, word 0 of every page must hold its last value and the rest
 * of the pages their pattern.
 */
TEST_F_TIMEOUT(offload, concurrent_readers_writers, TEST_TIMEOUT)
{
	struct writer writers[NR_WRITERS];
	struct offctl_class c0, c1;
	size_t idx, npages, bad = 0, first = 0;
	unsigned int i, trip, retries = 0;
	uint64_t *orig, *last;
	char engines[2 * OFFCTL_NAME_LEN];
	const char *te_a, *te_b;
	bool started, moved = true;
	int stop = 0, ret;

	te_a = add_engine(_metadata, self, "cd", "kind=delayed delay_ms=1 node=%d",
			  self->node_a);
	te_b = add_engine(_metadata, self, "co", "kind=ooo node=%d",
			  self->node_b);
	snprintf(engines, sizeof(engines), "%s,%s", te_a, te_b);
	set_route(_metadata, self, CLASS_SYSCALL, "prefer",
		  OFFCTL_DEFAULT_MIN_BATCH, engines);
	setup_region(_metadata, self, MIG_BASE_PAGES);
	npages = mig_region_pages(&self->region);

	orig = calloc(npages, sizeof(*orig));
	last = calloc(npages, sizeof(*last));
	ASSERT_NE(NULL, orig);
	ASSERT_NE(NULL, last);
	for (idx = 0; idx < npages; idx++) {
		orig[idx] = *(uint64_t *)(self->region.addr +
					  idx * self->region.page_size);
		last[idx] = orig[idx];
	}

	read_class(_metadata, CLASS_SYSCALL, &c0);
	memset(writers, 0, sizeof(writers));
	for (i = 0; i < NR_WRITERS; i++) {
		writers[i].r = &self->region;
		writers[i].id = i;
		writers[i].stop = &stop;
		writers[i].last = last;
		ret = pthread_create(&writers[i].thread, NULL, writer_fn,
				     &writers[i]);
		ASSERT_EQ(0, ret) {
			TH_LOG("pthread_create() failed: %s", strerror(ret));
		}
	}

	started = writers_started(writers);
	for (trip = 0; started && moved && trip < ROUND_TRIPS; trip++)
		moved = busy_leg(_metadata, self, self->node_a, self->node_b,
				 &retries) &&
			busy_leg(_metadata, self, self->node_b, self->node_a,
				 &retries);

	__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
	for (i = 0; i < NR_WRITERS; i++)
		pthread_join(writers[i].thread, NULL);
	read_class(_metadata, CLASS_SYSCALL, &c1);
	log_class_delta(_metadata, CLASS_SYSCALL, &c0, &c1);
	TH_LOG("%u round trips, %u extra move attempts", trip, retries);

	ASSERT_TRUE(started) {
		TH_LOG("writer threads did not start within 5 s");
	}
	ASSERT_TRUE(moved) {
		TH_LOG("round trip %u: the region did not move completely",
		       trip);
	}
	for (i = 0; i < NR_WRITERS; i++) {
		struct writer *w = &writers[i];

		TH_LOG("writer %u: %lu passes over %zu pages", i, w->passes,
		       (npages + NR_WRITERS - 1 - i) / NR_WRITERS);
		ASSERT_EQ(0, w->errors) {
			TH_LOG("writer %u: %lu wrong reads; the first at page %zu, %s",
			       i, w->errors, w->bad_page,
			       w->bad_after_store ? "right after its store" :
			       "before the next store");
			TH_LOG("writer %u: read 0x%016llx, expected 0x%016llx",
			       i, (unsigned long long)w->bad_seen,
			       (unsigned long long)w->bad_expected);
		}
	}

	/* Word 0 holds the last store; put the pattern back for the rest. */
	for (idx = 0; idx < npages; idx++) {
		uint64_t *p = (uint64_t *)(self->region.addr +
					   idx * self->region.page_size);

		if (*p != last[idx] && !bad++)
			first = idx;
		*p = orig[idx];
	}
	ASSERT_EQ(0, bad) {
		TH_LOG("%zu pages lost their last store, first is page %zu",
		       bad, first);
	}
	ASSERT_TRUE(data_ok(_metadata, &self->region, self->seed,
			    self->checksum, "contents after the round trips"));
	ASSERT_TRUE(query_ok(_metadata, &self->region, self->status,
			     self->node_a, "placement after the round trips"));
	ASSERT_LT(0, delta(c0.offloaded, c1.offloaded)) {
		TH_LOG("class %s offloaded nothing", CLASS_SYSCALL);
	}
	free(last);
	free(orig);
}

int main(int argc, char **argv)
{
	int nodes[2];
	int nr, ret;

	/*
	 * The harness counts skipped tests as passed and exits 0 even if all
	 * of them skipped.  When run as the kselftest runner does (without
	 * arguments), report a machine with fewer than two memory nodes, or
	 * without the test engines, as a skip of the whole program instead;
	 * with arguments (-l, -t, ...) each test skips on its own.
	 */
	if (argc == 1) {
		nr = mig_memory_nodes(nodes, 2);
		if (nr >= 0 && nr < 2) {
			ksft_print_header();
			ksft_exit_skip("need 2 NUMA nodes with memory, found %d\n",
				       nr);
		}
		ret = nr < 0 ? 0 : offctl_te_available();
		if (ret) {
			ksft_print_header();
			ksft_exit_skip("no mm/offload test engines (module %s): %s: %s\n",
				       OFFCTL_TE_MODULE, OFFCTL_TE_CONTROL,
				       strerror(-ret));
		}
	}
	return test_harness_run(argc, argv);
}
