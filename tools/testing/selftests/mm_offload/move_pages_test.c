// SPDX-License-Identifier: GPL-2.0
/*
 * Page migration integrity tests for move_pages(2).
 *
 * With CONFIG_MIGRATION_OFFLOAD the folio copies of a migration may be done
 * by a copy engine instead of the CPU; these tests check that the result is
 * the same as a CPU copy.  A region of base pages, of THPs, or of both is
 * filled with a per-page pattern on the first memory node (A), moved to the
 * second one (B) and back.  After each move every page must report the
 * target node in move_pages() status, a placement query must agree, the
 * contents must be unchanged, and THPs must still be THPs.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../kselftest_harness.h"
#include "migrate_util.h"

#define REGION_SIZE	(16UL << 20)
#define TEST_TIMEOUT	90	/* seconds per test; "settings" allows 300 */

FIXTURE(move_pages)
{
	int node_a;
	int node_b;
	uint64_t seed;
	uint64_t checksum;
	struct mig_region region;
	int *status;
};

FIXTURE_SETUP(move_pages)
{
	int nodes[2];
	int nr;

	nr = mig_memory_nodes(nodes, 2);
	ASSERT_LE(0, nr) {
		TH_LOG("cannot list NUMA nodes with memory: %s", strerror(-nr));
	}
	if (nr < 2)
		SKIP(return, "need 2 NUMA nodes with memory, found %d", nr);
	self->node_a = nodes[0];
	self->node_b = nodes[1];
}

FIXTURE_TEARDOWN(move_pages)
{
	mig_region_free(&self->region);
	free(self->status);
}

/* Assert that every entry of self->status is @node. */
static void check_status(struct __test_metadata *_metadata,
			 FIXTURE_DATA(move_pages) *self, const char *what,
			 int node)
{
	size_t npages = mig_region_pages(&self->region);
	size_t bad, first = 0;
	char actual[64];

	bad = mig_count_misplaced(self->status, npages, node, &first);
	if (bad) {
		mig_describe_status(actual, sizeof(actual), self->status[first]);
		TH_LOG("%s: %zu of %zu pages wrong; page %zu (%p): expected node %d, got %s",
		       what, bad, npages, first,
		       self->region.addr + first * self->region.page_size,
		       node, actual);
	}
	ASSERT_EQ((size_t)0, bad);
}

/* Assert that the region still holds the data it was filled with. */
static void check_data(struct __test_metadata *_metadata,
		       FIXTURE_DATA(move_pages) *self, const char *what)
{
	uint64_t sum = mig_region_checksum(&self->region);
	size_t bad, first = 0;

	if (sum != self->checksum) {
		bad = mig_region_verify(&self->region, self->seed, &first);
		TH_LOG("%s: checksum 0x%016llx, expected 0x%016llx", what,
		       (unsigned long long)sum,
		       (unsigned long long)self->checksum);
		TH_LOG("%s: %zu of %zu pages differ from the pattern, first is page %zu",
		       what, bad, mig_region_pages(&self->region), first);
	}
	ASSERT_EQ(self->checksum, sum);
}

/* Assert that [@off, @off + @len) of the region has @expect_kb kB of THP. */
static void check_thp_range(struct __test_metadata *_metadata,
			    FIXTURE_DATA(move_pages) *self, const char *what,
			    size_t off, size_t len, long expect_kb)
{
	long kb = mig_thp_kb(self->region.addr + off, len);

	ASSERT_LE(0, kb) {
		TH_LOG("%s: cannot read /proc/self/smaps: %s",
		       what, strerror(-kb));
	}
	if (kb != expect_kb) {
		TH_LOG("%s: %ld kB THP at offset %zu (%zu kB), expected %ld kB (THP %s)",
		       what, kb, off, len >> 10, expect_kb,
		       mig_thp_mode_name(mig_thp_mode()));
	}
	ASSERT_EQ(expect_kb, kb);
}

/* Assert that the region is backed the way it was advised. */
static void check_backing(struct __test_metadata *_metadata,
			  FIXTURE_DATA(move_pages) *self, const char *what)
{
	size_t len = self->region.len, half = len / 2;

	switch (self->region.backing) {
	case MIG_BASE_PAGES:
		check_thp_range(_metadata, self, what, 0, len, 0);
		break;
	case MIG_THP:
		check_thp_range(_metadata, self, what, 0, len, len >> 10);
		break;
	case MIG_MIXED:
		check_thp_range(_metadata, self, what, 0, half, half >> 10);
		check_thp_range(_metadata, self, what, half, half, 0);
		break;
	}
}

/*
 * Map and fill the test region on node A, and check its initial placement,
 * contents and backing.
 */
static void setup_region(struct __test_metadata *_metadata,
			 FIXTURE_DATA(move_pages) *self,
			 enum mig_backing backing)
{
	size_t npages;
	long ret;

	ret = mig_region_alloc(&self->region, REGION_SIZE, backing);
	ASSERT_EQ(0, ret) {
		TH_LOG("cannot map %lu MiB %s region: %s", REGION_SIZE >> 20,
		       mig_backing_name(backing), strerror(-ret));
	}
	npages = mig_region_pages(&self->region);
	self->status = calloc(npages, sizeof(*self->status));
	ASSERT_NE(NULL, self->status);

	self->seed = 0x6d6f76655f706700ULL | backing;
	ret = mig_region_fill(&self->region, self->seed, self->node_a);
	ASSERT_EQ(0, ret) {
		TH_LOG("cannot bind memory to node %d: %s", self->node_a,
		       strerror(-ret));
	}
	self->checksum = mig_region_checksum(&self->region);

	ret = mig_query_region(&self->region, self->status);
	ASSERT_EQ(0, ret) {
		TH_LOG("move_pages() query failed: %s", strerror(-ret));
	}
	check_status(_metadata, self, "initial placement", self->node_a);
	check_backing(_metadata, self, "before migration");
}

/* Move the whole region from node @from to node @to and check the outcome. */
static void migrate_and_check(struct __test_metadata *_metadata,
			      FIXTURE_DATA(move_pages) *self, int from, int to)
{
	struct mig_move_stats stats;
	char what[64], msg[128];
	long ret;

	ret = mig_move_region(&self->region, to, self->status, &stats);
	ASSERT_EQ(0, ret) {
		TH_LOG("%s", mig_describe_move(msg, sizeof(msg), ret, from,
					       to));
	}
	if (stats.retried)
		TH_LOG("node %d -> %d: retried %zu pages that returned -EBUSY (%u move_pages() calls)",
		       from, to, stats.retried, stats.passes);

	snprintf(what, sizeof(what), "move_pages() status, node %d -> %d",
		 from, to);
	check_status(_metadata, self, what, to);

	ret = mig_query_region(&self->region, self->status);
	ASSERT_EQ(0, ret) {
		TH_LOG("move_pages() query failed: %s", strerror(-ret));
	}
	snprintf(what, sizeof(what), "placement query, node %d -> %d",
		 from, to);
	check_status(_metadata, self, what, to);

	snprintf(what, sizeof(what), "contents, node %d -> %d", from, to);
	check_data(_metadata, self, what);

	snprintf(what, sizeof(what), "backing, node %d -> %d", from, to);
	check_backing(_metadata, self, what);
}

static void round_trip(struct __test_metadata *_metadata,
		       FIXTURE_DATA(move_pages) *self)
{
	migrate_and_check(_metadata, self, self->node_a, self->node_b);
	migrate_and_check(_metadata, self, self->node_b, self->node_a);
}

/* 16 MiB of base pages, no THP anywhere. */
TEST_F_TIMEOUT(move_pages, base_pages, TEST_TIMEOUT)
{
	setup_region(_metadata, self, MIG_BASE_PAGES);
	round_trip(_metadata, self);
}

/* 16 MiB of PMD-sized THPs, which must survive migration unsplit. */
TEST_F_TIMEOUT(move_pages, thp, TEST_TIMEOUT)
{
	const char *reason = mig_thp_unavailable();

	if (reason)
		SKIP(return, "%s", reason);
	setup_region(_metadata, self, MIG_THP);
	round_trip(_metadata, self);
}

/* 8 MiB of THPs followed by 8 MiB of base pages, moved in one call. */
TEST_F_TIMEOUT(move_pages, mixed, TEST_TIMEOUT)
{
	const char *reason = mig_thp_unavailable();

	if (reason)
		SKIP(return, "%s", reason);
	setup_region(_metadata, self, MIG_MIXED);
	round_trip(_metadata, self);
}

int main(int argc, char **argv)
{
	int nodes[2];
	int nr;

	/*
	 * The harness counts skipped tests as passed and exits 0 even if all
	 * of them skipped.  When run as the kselftest runner does (without
	 * arguments), report a machine with fewer than two memory nodes as a
	 * skip of the whole program instead; with arguments (-l, -t, ...) the
	 * harness runs and each test skips on its own.
	 */
	nr = mig_memory_nodes(nodes, 2);
	if (argc == 1 && nr >= 0 && nr < 2) {
		ksft_print_header();
		ksft_exit_skip("need 2 NUMA nodes with memory, found %d\n", nr);
	}
	return test_harness_run(argc, argv);
}
