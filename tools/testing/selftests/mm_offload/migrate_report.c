// SPDX-License-Identifier: GPL-2.0
/*
 * migrate_report - human-readable page migration report, for demos.
 *
 *   migrate_report [-s MiB] [-t 4k|thp|both] [-v]
 *
 * For each requested page kind (default: both, 64 MiB each) a region is
 * filled with a per-page pattern on the first memory node, moved to the
 * second memory node with one timed move_pages(2) call, and checked.  One
 * line is printed per kind, e.g.
 *
 *   migrate 64 MiB 4k  node0 -> node1: integrity ok, placement ok, 0.105 GB/s (612 ms)
 *
 * Exit status: 0 when every move kept the data and placed all pages on the
 * target node, 1 otherwise, 2 on usage errors, 4 (KSFT_SKIP) when fewer than
 * two nodes have memory or nothing could be run.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../kselftest.h"
#include "migrate_util.h"

#define DEFAULT_MIB	64UL
#define MAX_MIB		(1024UL * 1024)	/* 1 TiB, a sanity limit */
#define REPORT_SEED	0x6d6967726174650aULL

/* Page kinds selected with -t, a mask. */
enum {
	KIND_4K		= 1,
	KIND_THP	= 2,
};

static void print_usage(FILE *out, const char *prog)
{
	fprintf(out,
		"usage: %s [-s MiB] [-t 4k|thp|both] [-v]\n"
		"  -s MiB   region size per page kind (default %lu)\n"
		"  -t KIND  page kind(s) to migrate (default both)\n"
		"  -v       also report move_pages() retries\n",
		prog, DEFAULT_MIB);
}

/* Print the common start of a report line. */
static void print_prefix(size_t len, enum mig_backing backing, int from,
			 int to)
{
	printf("migrate %zu MiB %-3s node%d -> node%d: ", len >> 20,
	       mig_backing_name(backing), from, to);
}

static void print_status_detail(const char *what, const int *status,
				size_t npages, int node)
{
	size_t bad, first = 0;

	bad = mig_count_misplaced(status, npages, node, &first);
	if (!bad)
		return;
	if (status[first] >= 0)
		printf("  %s: %zu of %zu pages not on node%d; page %zu is on node%d\n",
		       what, bad, npages, node, first, status[first]);
	else
		printf("  %s: %zu of %zu pages not on node%d; page %zu: error %d (%s)\n",
		       what, bad, npages, node, first, status[first],
		       strerror(-status[first]));
}

/*
 * Migrate one region of @mib MiB backed by @backing from node @from to node
 * @to and print its report line.
 *
 * Return: 0 on success, 1 on an integrity, placement or setup failure,
 * KSFT_SKIP if the kind cannot be tested here.
 */
static int report_one(enum mig_backing backing, size_t mib, int from, int to,
		      bool verbose)
{
	size_t len = mib << 20, npages, misplaced;
	struct mig_move_stats stats;
	uint64_t sum_before, sum_after, t0, t1;
	long thp_before = 0, thp_after = 0;
	struct mig_region r;
	int *status = NULL, *placed = NULL;
	bool data_ok, place_ok;
	double ms;
	long ret;
	int rc = 1;

	if (backing == MIG_THP) {
		enum mig_thp_mode mode = mig_thp_mode();
		size_t thp = mig_thp_size();

		if (mode != MIG_THP_MADVISE && mode != MIG_THP_ALWAYS) {
			print_prefix(len, backing, from, to);
			printf("skipped, THP %s\n", mig_thp_mode_name(mode));
			return KSFT_SKIP;
		}
		/* THP regions must be a whole number of huge pages. */
		len = (len + thp - 1) / thp * thp;
	}

	ret = mig_region_alloc(&r, len, backing);
	if (ret) {
		print_prefix(len, backing, from, to);
		printf("setup failed, cannot map region: %s\n", strerror(-ret));
		return 1;
	}
	npages = mig_region_pages(&r);
	status = calloc(npages, sizeof(*status));
	placed = calloc(npages, sizeof(*placed));
	if (!status || !placed) {
		print_prefix(len, backing, from, to);
		printf("setup failed, out of memory\n");
		goto out;
	}

	ret = mig_region_fill(&r, REPORT_SEED, from);
	if (ret) {
		print_prefix(len, backing, from, to);
		printf("setup failed, cannot bind memory to node%d: %s\n",
		       from, strerror(-ret));
		goto out;
	}
	sum_before = mig_region_checksum(&r);
	ret = mig_query_region(&r, placed);
	misplaced = ret ? npages : mig_count_misplaced(placed, npages, from,
						       NULL);
	if (misplaced) {
		print_prefix(len, backing, from, to);
		printf("setup failed, %zu of %zu pages not on node%d\n",
		       misplaced, npages, from);
		goto out;
	}
	if (backing == MIG_THP)
		thp_before = mig_thp_kb(r.addr, r.len);

	t0 = mig_now_ns();
	ret = mig_move_region(&r, to, status, &stats);
	t1 = mig_now_ns();
	if (ret) {
		print_prefix(len, backing, from, to);
		if (ret < 0)
			printf("move_pages failed: %s", strerror(-ret));
		else
			printf("move_pages failed: %ld pages not migrated", ret);
		/* The count may mix folios and pages: where are they? */
		if (!mig_query_region(&r, placed))
			printf(" (%zu of %zu pages on node%d)",
			       npages - mig_count_misplaced(placed, npages, to,
							    NULL),
			       npages, to);
		printf("\n");
		goto out;
	}

	sum_after = mig_region_checksum(&r);
	data_ok = sum_after == sum_before;
	ret = mig_query_region(&r, placed);
	place_ok = !ret &&
		   !mig_count_misplaced(status, npages, to, NULL) &&
		   !mig_count_misplaced(placed, npages, to, NULL);
	if (backing == MIG_THP)
		thp_after = mig_thp_kb(r.addr, r.len);

	ms = (t1 - t0) / 1e6;
	print_prefix(len, backing, from, to);
	printf("integrity %s, placement %s, %.3f GB/s (%.*f ms)",
	       data_ok ? "ok" : "FAILED", place_ok ? "ok" : "FAILED",
	       (double)len / (t1 - t0 ? t1 - t0 : 1), ms < 10 ? 2 : 0, ms);
	if (backing == MIG_THP) {
		if (thp_before <= 0)
			printf(", thp not formed");
		else if (thp_after == thp_before)
			printf(", thp kept");
		else
			printf(", thp %ld of %ld kB kept", thp_after,
			       thp_before);
	}
	printf("\n");

	if (verbose && stats.retried)
		printf("  note: %zu busy pages retried (%u move_pages calls)\n",
		       stats.retried, stats.passes);
	if (!data_ok) {
		size_t first = 0, bad;

		bad = mig_region_verify(&r, REPORT_SEED, &first);
		printf("  checksum 0x%016llx, expected 0x%016llx\n",
		       (unsigned long long)sum_after,
		       (unsigned long long)sum_before);
		printf("  %zu of %zu pages differ from the pattern, first is page %zu\n",
		       bad, npages, first);
	}
	if (!place_ok) {
		if (ret)
			printf("  placement query failed: %s\n",
			       strerror(-ret));
		else
			print_status_detail("placement", placed, npages, to);
		print_status_detail("move_pages status", status, npages, to);
	}
	rc = data_ok && place_ok ? 0 : 1;
out:
	free(placed);
	free(status);
	mig_region_free(&r);
	return rc;
}

int main(int argc, char **argv)
{
	unsigned int kinds = KIND_4K | KIND_THP;
	unsigned long mib = DEFAULT_MIB;
	int failed = 0, ran = 0;
	int nodes[2], nr, opt;
	bool verbose = false;
	char *end;

	while ((opt = getopt(argc, argv, "s:t:vh")) != -1) {
		switch (opt) {
		case 's':
			errno = 0;
			mib = strtoul(optarg, &end, 10);
			if (errno || end == optarg || *end || !mib ||
			    mib > MAX_MIB) {
				fprintf(stderr, "%s: bad size '%s' (MiB, 1..%lu)\n",
					argv[0], optarg, MAX_MIB);
				return 2;
			}
			break;
		case 't':
			if (!strcmp(optarg, "4k")) {
				kinds = KIND_4K;
			} else if (!strcmp(optarg, "thp")) {
				kinds = KIND_THP;
			} else if (!strcmp(optarg, "both")) {
				kinds = KIND_4K | KIND_THP;
			} else {
				fprintf(stderr, "%s: bad kind '%s'\n", argv[0],
					optarg);
				print_usage(stderr, argv[0]);
				return 2;
			}
			break;
		case 'v':
			verbose = true;
			break;
		case 'h':
			print_usage(stdout, argv[0]);
			return 0;
		default:
			print_usage(stderr, argv[0]);
			return 2;
		}
	}
	if (optind < argc) {
		print_usage(stderr, argv[0]);
		return 2;
	}

	nr = mig_memory_nodes(nodes, 2);
	if (nr < 0) {
		printf("migrate_report: cannot list NUMA nodes with memory: %s\n",
		       strerror(-nr));
		return 1;
	}
	if (nr < 2) {
		printf("migrate_report: need 2 NUMA nodes with memory, found %d\n",
		       nr);
		return KSFT_SKIP;
	}

	if (kinds & KIND_4K) {
		int rc = report_one(MIG_BASE_PAGES, mib, nodes[0], nodes[1],
				    verbose);

		ran += rc != KSFT_SKIP;
		failed += rc == 1;
	}
	if (kinds & KIND_THP) {
		int rc = report_one(MIG_THP, mib, nodes[0], nodes[1], verbose);

		ran += rc != KSFT_SKIP;
		failed += rc == 1;
	}

	if (failed)
		return 1;
	return ran ? 0 : KSFT_SKIP;
}
