// SPDX-License-Identifier: GPL-2.0
/*
 * offload_bench - page migration and memcpy figures for the mm/offload
 * benchmark (tools/testing/offload-bench/bench.sh runs it in the guest).
 *
 *   offload_bench move [-L label] [-k 4k|thp] [-b batches] [-s MiB]
 *                      [-r reps] [-c calls] [-l samples] [-o]
 *   offload_bench memcpy [-L label] [-T threads] [-s MiB] [-r reps]
 *
 * move: a region of -s MiB made of 4 KiB pages or 2 MiB THPs is filled
 * with a per-page pattern on the first memory node.  For each batch size
 * of the comma-separated -b list, each repetition moves the region to the
 * other node with move_pages(2) calls of that many folios (one address
 * per folio), at most -c calls per repetition, so that batches of one
 * folio do not take hours under emulation.  Repetitions alternate the
 * direction, or with -o go from the first node to the second only (the
 * way back is not timed).  -l adds that many first-folio latency samples
 * per batch size: a second thread polls where the first folio of a call
 * is and records when it reaches the target node.  The data is checked
 * at the end.
 *
 * memcpy: the in-guest copy ceiling, with each thread count of the -T
 * list copying its share of -s MiB (4 passes per repetition).
 *
 * Every figure is one line, "bench KIND key=value ...", for report.py.
 * Exit status: 0, 1 when data was lost or a call failed, 2 on usage
 * errors, 4 when the machine cannot run it (fewer than two memory nodes,
 * no THP).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/mempolicy.h>

#include "migrate_util.h"

#define BENCH_SEED	0x62656e63680aULL
#define MAX_LIST	16
#define MEMCPY_PASSES	4
#define EXIT_SKIP	4

struct options {
	const char *label;
	enum mig_backing backing;
	unsigned long list[MAX_LIST];	/* batch sizes or thread counts */
	int nlist;
	size_t mib;
	int reps;
	unsigned long max_calls;
	int samples;
	bool one_way;
};

/* The region under test, one address per folio. */
struct bench {
	const struct options *opt;
	struct mig_region region;
	size_t folio_size;
	size_t nr_folios;
	void **folios;
	int *nodes;
	int *status;
	int node[2];	/* first and second memory node */
	bool failed;
};

/* First-folio latency: the poller's view of one move_pages(2) call. */
struct poller {
	pthread_t thread;
	int cpu;	/* where it polls: not the caller's CPU */
	void *addr;
	int target;
	int seq;	/* bumped by the caller to start a sample */
	int call_done;	/* the sample's move_pages(2) returned */
	int done;	/* the sample the poller finished */
	int stop;
	uint64_t t_first;
};

static const char *kind_name(enum mig_backing backing)
{
	return backing == MIG_THP ? "thp" : "4k";
}

static int parse_list(const char *s, struct options *opt)
{
	char *end;

	opt->nlist = 0;
	do {
		unsigned long v = strtoul(s, &end, 10);

		if (end == s || !v || opt->nlist == MAX_LIST)
			return -EINVAL;
		opt->list[opt->nlist++] = v;
		s = end + (*end == ',');
	} while (*end == ',');
	return *end ? -EINVAL : 0;
}

/* Move folios [first, first + n) to @node; returns how many got there. */
static long move_range(struct bench *b, size_t first, size_t n, int node)
{
	size_t i, moved = 0;
	long ret;

	for (i = 0; i < n; i++) {
		b->nodes[first + i] = node;
		b->status[first + i] = -EAGAIN;
	}
	ret = mig_move_pages(n, b->folios + first, b->nodes + first,
			     b->status + first, MPOL_MF_MOVE);
	if (ret < 0) {
		fprintf(stderr, "move_pages: %s\n", strerror(-ret));
		b->failed = true;
		return ret;
	}
	for (i = 0; i < n; i++)
		moved += b->status[first + i] == node;
	return moved;
}

/* Untimed: every folio onto @node, in batches the kernel takes whole. */
static void place_all(struct bench *b, int node)
{
	size_t i, n;

	for (i = 0; i < b->nr_folios; i += n) {
		n = b->nr_folios - i < 512 ? b->nr_folios - i : 512;
		move_range(b, i, n, node);
	}
}

/* One timed pass over the first @n folios in calls of @batch folios. */
static void timed_pass(struct bench *b, unsigned long batch, size_t n,
		       int rep, int from, int to)
{
	size_t i, moved = 0;
	uint64_t t0, t1;
	long ret;

	t0 = mig_now_ns();
	for (i = 0; i < n; i += batch) {
		ret = move_range(b, i, n - i < batch ? n - i : batch, to);
		if (ret > 0)
			moved += ret;
	}
	t1 = mig_now_ns();
	printf("bench move label=%s kind=%s batch=%lu rep=%d from=%d to=%d folios=%zu moved=%zu bytes=%zu ns=%llu\n",
	       b->opt->label, kind_name(b->opt->backing), batch, rep, from, to,
	       n, moved, moved * b->folio_size, (unsigned long long)(t1 - t0));
	fflush(stdout);
}

static void *poll_first(void *arg)
{
	struct poller *p = arg;
	int last = 0, seq, st;
	cpu_set_t set;

	if (p->cpu >= 0) {
		CPU_ZERO(&set);
		CPU_SET(p->cpu, &set);
		sched_setaffinity(0, sizeof(set), &set);
	}
	for (;;) {
		while ((seq = __atomic_load_n(&p->seq, __ATOMIC_ACQUIRE)) == last)
			if (__atomic_load_n(&p->stop, __ATOMIC_ACQUIRE))
				return NULL;
		last = seq;
		p->t_first = 0;
		for (;;) {
			int call_done = __atomic_load_n(&p->call_done,
							__ATOMIC_ACQUIRE);

			if (!mig_move_pages(1, &p->addr, NULL, &st, 0) &&
			    st == p->target) {
				p->t_first = mig_now_ns();
				break;
			}
			/* Moved by a call that returned: it would show now. */
			if (call_done == seq)
				break;
		}
		__atomic_store_n(&p->done, seq, __ATOMIC_RELEASE);
	}
}

/*
 * @samples calls of @batch folios, each timed to its first folio moved.
 * The poller runs only meanwhile, on another CPU than the caller's, so
 * that it takes no CPU from the throughput passes.  A sample the poller
 * saw only after the call returned has ns > call_ns.
 */
static void latency_samples(struct bench *b, unsigned long batch)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	int from = b->node[0], to = b->node[1];
	struct poller poller = { .cpu = -1 }, *p = &poller;
	size_t first = 0, n;
	uint64_t t0, t1;
	int i, seq;

	if (batch > b->nr_folios)
		return;
	if (ncpu > 1 && sched_getcpu() >= 0)
		p->cpu = (sched_getcpu() + 1) % ncpu;
	if (pthread_create(&p->thread, NULL, poll_first, p)) {
		perror("pthread_create");
		b->failed = true;
		return;
	}
	place_all(b, from);
	for (i = 0; i < b->opt->samples; i++) {
		if (first + batch > b->nr_folios) {
			place_all(b, from);
			first = 0;
		}
		n = batch;
		p->addr = b->folios[first];
		p->target = to;
		seq = p->seq + 1;
		t0 = mig_now_ns();
		__atomic_store_n(&p->seq, seq, __ATOMIC_RELEASE);
		move_range(b, first, n, to);
		t1 = mig_now_ns();
		__atomic_store_n(&p->call_done, seq, __ATOMIC_RELEASE);
		while (__atomic_load_n(&p->done, __ATOMIC_ACQUIRE) != seq)
			;
		printf("bench first label=%s kind=%s batch=%lu sample=%d ns=%lld call_ns=%llu\n",
		       b->opt->label, kind_name(b->opt->backing), batch, i,
		       p->t_first ? (long long)(p->t_first - t0) : -1LL,
		       (unsigned long long)(t1 - t0));
		first += n;
	}
	__atomic_store_n(&p->stop, 1, __ATOMIC_RELEASE);
	pthread_join(p->thread, NULL);
	fflush(stdout);
}

static int bench_setup(struct bench *b)
{
	const struct options *opt = b->opt;
	size_t i, len = opt->mib << 20;
	int ret;

	if (mig_memory_nodes(b->node, 2) < 2) {
		fprintf(stderr, "fewer than two memory nodes\n");
		return EXIT_SKIP;
	}
	if (opt->backing == MIG_THP && mig_thp_unavailable()) {
		fprintf(stderr, "no THP: %s\n", mig_thp_unavailable());
		return EXIT_SKIP;
	}
	ret = mig_region_alloc(&b->region, len, opt->backing);
	if (!ret)
		ret = mig_region_fill(&b->region, BENCH_SEED, b->node[0]);
	if (ret) {
		fprintf(stderr, "region of %zu MiB: %s\n", opt->mib,
			strerror(-ret));
		return 1;
	}
	b->folio_size = opt->backing == MIG_THP ? b->region.align :
						  b->region.page_size;
	b->nr_folios = len / b->folio_size;
	b->folios = calloc(b->nr_folios, sizeof(*b->folios));
	b->nodes = calloc(b->nr_folios, sizeof(*b->nodes));
	b->status = calloc(b->nr_folios, sizeof(*b->status));
	if (!b->folios || !b->nodes || !b->status)
		return 1;
	for (i = 0; i < b->nr_folios; i++)
		b->folios[i] = b->region.addr + i * b->folio_size;
	printf("bench region label=%s kind=%s bytes=%zu thp_bytes=%ld\n",
	       opt->label, kind_name(opt->backing), len,
	       mig_thp_kb(b->region.addr, len) * 1024);
	return 0;
}

static int run_move(const struct options *opt)
{
	struct bench b = { .opt = opt };
	size_t n, bad, first_bad = 0;
	int i, r, ret;

	ret = bench_setup(&b);
	if (ret)
		return ret;
	for (i = 0; i < opt->nlist; i++) {
		unsigned long batch = opt->list[i];

		n = b.nr_folios;
		if (n > batch * opt->max_calls)
			n = batch * opt->max_calls;
		place_all(&b, b.node[0]);
		for (r = 0; r < opt->reps; r++) {
			int dir = opt->one_way ? 0 : r & 1;

			timed_pass(&b, batch, n, r, b.node[dir],
				   b.node[!dir]);
			if (opt->one_way)
				place_all(&b, b.node[0]);
		}
		if (opt->samples)
			latency_samples(&b, batch);
	}
	bad = mig_region_verify(&b.region, BENCH_SEED, &first_bad);
	/* THPs split by a pass would have been counted as whole ones. */
	printf("bench verify label=%s kind=%s bad_pages=%zu bytes=%zu thp_bytes=%ld\n",
	       opt->label, kind_name(opt->backing), bad, b.region.len,
	       mig_thp_kb(b.region.addr, b.region.len) * 1024);
	if (bad)
		fprintf(stderr, "%zu pages lost their data, first at %zu\n",
			bad, first_bad);
	mig_region_free(&b.region);
	return bad || b.failed;
}

struct copier {
	pthread_t thread;
	pthread_barrier_t *start;
	char *src, *dst;
	size_t len;
};

static void *copy_share(void *arg)
{
	struct copier *c = arg;
	int pass;

	pthread_barrier_wait(c->start);
	for (pass = 0; pass < MEMCPY_PASSES; pass++) {
		memcpy(c->dst, c->src, c->len);
		/* Keep the compiler from merging passes. */
		__asm__ volatile("" : : "r"(c->dst) : "memory");
	}
	return NULL;
}

static int run_memcpy(const struct options *opt)
{
	size_t len = opt->mib << 20;
	char *src, *dst;
	int i, r, t;

	src = mmap(NULL, len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	dst = mmap(NULL, len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (src == MAP_FAILED || dst == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	memset(src, 0x5a, len);
	memset(dst, 0, len);
	for (i = 0; i < opt->nlist; i++) {
		unsigned long threads = opt->list[i];
		struct copier c[64];
		pthread_barrier_t start;
		uint64_t t0, t1;

		if (threads > 64)
			return 2;
		for (r = 0; r < opt->reps; r++) {
			pthread_barrier_init(&start, NULL, threads + 1);
			for (t = 0; t < (int)threads; t++) {
				size_t share = len / threads & ~4095UL;

				c[t] = (struct copier){ .start = &start,
					.src = src + t * share,
					.dst = dst + t * share, .len = share };
				if (pthread_create(&c[t].thread, NULL,
						   copy_share, &c[t]))
					return 1;
			}
			pthread_barrier_wait(&start);
			t0 = mig_now_ns();
			for (t = 0; t < (int)threads; t++)
				pthread_join(c[t].thread, NULL);
			t1 = mig_now_ns();
			pthread_barrier_destroy(&start);
			printf("bench memcpy label=%s threads=%lu rep=%d bytes=%zu ns=%llu\n",
			       opt->label, threads, r,
			       (len / threads & ~4095UL) * threads * MEMCPY_PASSES,
			       (unsigned long long)(t1 - t0));
			fflush(stdout);
		}
	}
	if (memcmp(src, dst, len / opt->list[opt->nlist - 1] & ~4095UL)) {
		fprintf(stderr, "memcpy: destination differs\n");
		return 1;
	}
	return 0;
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: offload_bench move [-L label] [-k 4k|thp] [-b batches] [-s MiB]\n"
		"                          [-r reps] [-c calls] [-l samples] [-o]\n"
		"       offload_bench memcpy [-L label] [-T threads] [-s MiB] [-r reps]\n"
		"  lists are comma-separated, e.g. -b 1,16,512\n");
}

int main(int argc, char **argv)
{
	struct options opt = {
		.label = "run", .backing = MIG_BASE_PAGES, .mib = 64,
		.reps = 3, .max_calls = 4096,
	};
	const char *cmd;
	int c;

	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	cmd = argv[1];
	parse_list(strcmp(cmd, "memcpy") ? "1,16,512" : "1", &opt);
	optind = 2;
	while ((c = getopt(argc, argv, "L:k:b:T:s:r:c:l:oh")) != -1) {
		switch (c) {
		case 'L':
			opt.label = optarg;
			break;
		case 'k':
			if (!strcmp(optarg, "thp"))
				opt.backing = MIG_THP;
			else if (strcmp(optarg, "4k"))
				goto bad;
			break;
		case 'b':
		case 'T':
			if (parse_list(optarg, &opt))
				goto bad;
			break;
		case 's':
			opt.mib = strtoul(optarg, NULL, 10);
			break;
		case 'r':
			opt.reps = atoi(optarg);
			break;
		case 'c':
			opt.max_calls = strtoul(optarg, NULL, 10);
			break;
		case 'l':
			opt.samples = atoi(optarg);
			break;
		case 'o':
			opt.one_way = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			goto bad;
		}
	}
	if (!opt.mib || opt.mib > (1UL << 20) || opt.reps < 1 ||
	    !opt.max_calls || opt.samples < 0)
		goto bad;
	if (!strcmp(cmd, "move"))
		return run_move(&opt);
	if (!strcmp(cmd, "memcpy"))
		return run_memcpy(&opt);
bad:
	usage(stderr);
	return 2;
}
