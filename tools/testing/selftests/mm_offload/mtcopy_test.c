// SPDX-License-Identifier: GPL-2.0
/*
 * mm/offload: mtcopy, the multi-threaded CPU copy engine, seen from user
 * space.
 *
 * move_pages:   4 KiB pages and THPs moved between the first two memory
 *               nodes through mtcopy: content checked, mtcopy's and the
 *               broker's counters grew, no CPU fallback; THPs are shared
 *               with helper threads when the guest has idle CPUs.
 * require:      a "require" route naming only mtcopy engines: mtcopy is a
 *               CPU engine, so every page fails to move and stays intact.
 * unload:       the module is unloaded and loaded again, over and over,
 *               while a child moves a region back and forth and checks it
 *               after every move: no hang, no lost or corrupted page.
 * cpu_hotplug:  the CPUs of a node go offline: its engine goes; they come
 *               back: so does the engine.
 *
 * Every case loads module mtcopy and restores what it changed.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../kselftest_harness.h"
#include "migrate_util.h"
#include "offload_ctl.h"

#define CLASS			"syscall_or_cpuset"
#define MAX_NODES		64
#define MAX_ENGINES		64
#define REGION_SIZE		(16UL << 20)
#define UNLOAD_ROUNDS		8
#define WAIT_STEP_US		10000
#define ENGINE_WAIT_US		(10 * 1000000)
#define CPU_SYSFS		"/sys/devices/system/cpu"
#define NODE_SYSFS		"/sys/devices/system/node"

FIXTURE(mtcopy)
{
	int nodes[MAX_NODES];
	int nr_nodes;
	bool loaded;			/* we loaded the module */
	struct offctl_class saved;
	bool route_changed;
	char engines[OFFCTL_ENGINES_LEN];
	struct mig_region region;
	int *status;
	int offline[256];		/* CPUs we took offline */
	int nr_offline;
	pid_t child;
};

/* Unload mtcopy, waiting while the broker holds it for a copy. */
static int mtcopy_unload(void)
{
	int i, ret = -EWOULDBLOCK;

	for (i = 0; i < 500 && ret == -EWOULDBLOCK; i++) {
		ret = offctl_module_unload(OFFCTL_MTCOPY_MODULE);
		if (ret == -EWOULDBLOCK)
			usleep(WAIT_STEP_US);
	}
	return ret;
}

/* The mtcopy engines, comma-separated in @list; return their count. */
static int mtcopy_list(char *list, size_t size)
{
	char names[MAX_ENGINES][OFFCTL_NAME_LEN];
	int i, n;

	n = offctl_engine_list("mtcopy", names, MAX_ENGINES);
	list[0] = '\0';
	for (i = 0; i < n && i < 8; i++)
		snprintf(list + strlen(list), size - strlen(list), "%s%s",
			 i ? "," : "", names[i]);
	return n;
}

/* Sum of the counters of every mtcopy engine. */
static void mtcopy_totals(struct offctl_mtcopy *sum, int64_t *folios)
{
	char names[MAX_ENGINES][OFFCTL_NAME_LEN];
	struct offctl_mtcopy m;
	struct offctl_engine e;
	int i, n;

	memset(sum, 0, sizeof(*sum));
	*folios = 0;
	n = offctl_engine_list("mtcopy", names, MAX_ENGINES);
	for (i = 0; i < n; i++) {
		if (!offctl_mtcopy_read(names[i], &m)) {
			sum->chunks += m.chunks;
			sum->helpers += m.helpers;
			sum->bytes += m.bytes;
			sum->helper_bytes += m.helper_bytes;
		}
		if (!offctl_engine_read(names[i], &e))
			*folios += e.folios;
	}
}

FIXTURE_SETUP(mtcopy)
{
	int n, ret;

	if (geteuid())
		SKIP(return, "must run as root");
	if (access(OFFCTL_CONFIGFS, W_OK))
		SKIP(return, "no %s (no configfs or no CONFIG_MIGRATION_OFFLOAD)",
		     OFFCTL_CONFIGFS);
	n = mig_memory_nodes(self->nodes, MAX_NODES);
	if (n < 2)
		SKIP(return, "needs two memory nodes");
	self->nr_nodes = n < MAX_NODES ? n : MAX_NODES;
	self->loaded = access("/sys/module/" OFFCTL_MTCOPY_MODULE, F_OK) != 0;
	ret = offctl_module_load(OFFCTL_MTCOPY_MODULE);
	if (ret)
		SKIP(return, "cannot load module %s: %s",
		     OFFCTL_MTCOPY_MODULE, strerror(-ret));
	ASSERT_LT(0, mtcopy_list(self->engines, sizeof(self->engines)));
	ASSERT_EQ(0, offctl_class_read(CLASS, &self->saved));
}

FIXTURE_TEARDOWN(mtcopy)
{
	char path[128];
	int i;

	if (self->child > 0) {
		kill(self->child, SIGKILL);
		waitpid(self->child, NULL, 0);
	}
	for (i = 0; i < self->nr_offline; i++) {
		snprintf(path, sizeof(path), CPU_SYSFS "/cpu%d/online",
			 self->offline[i]);
		offctl_write(path, "1");
	}
	if (self->route_changed)
		offctl_route_set(CLASS, self->saved.mode, self->saved.min_batch,
				 self->saved.engines);
	if (self->loaded)
		mtcopy_unload();
	mig_region_free(&self->region);
	free(self->status);
}

/* A region of @backing on the first node, filled with @seed. */
static void region_setup(struct __test_metadata *_metadata,
			 FIXTURE_DATA(mtcopy) *self, enum mig_backing backing,
			 uint64_t seed)
{
	int ret;

	if (backing != MIG_BASE_PAGES && mig_thp_unavailable())
		SKIP(return, "%s", mig_thp_unavailable());
	ret = mig_region_alloc(&self->region, REGION_SIZE, backing);
	ASSERT_EQ(0, ret);
	self->status = calloc(mig_region_pages(&self->region), sizeof(int));
	ASSERT_NE(NULL, self->status);
	ASSERT_EQ(0, mig_region_fill(&self->region, seed, self->nodes[0]));
}

static void route_set(struct __test_metadata *_metadata,
		      FIXTURE_DATA(mtcopy) *self, const char *mode)
{
	int ret = offctl_route_set(CLASS, mode, 1, self->engines);

	ASSERT_EQ(0, ret) {
		TH_LOG("route %s %s 1 %s: %s", CLASS, mode, self->engines,
		       strerror(-ret));
	}
	self->route_changed = true;
}

/* Move the region to the second node and back through mtcopy. */
static void move_through_mtcopy(struct __test_metadata *_metadata,
				FIXTURE_DATA(mtcopy) *self,
				enum mig_backing backing)
{
	struct offctl_mtcopy before, after;
	struct offctl_class cb, ca;
	int64_t fb, fa;
	size_t npages, i;
	long ret;

	region_setup(_metadata, self, backing, 0x6d74);
	route_set(_metadata, self, "prefer");
	npages = mig_region_pages(&self->region);
	mtcopy_totals(&before, &fb);
	ASSERT_EQ(0, offctl_class_read(CLASS, &cb));

	for (i = 0; i < 4; i++) {
		int to = self->nodes[(i + 1) % 2];

		ret = mig_move_region(&self->region, to, self->status, NULL);
		ASSERT_EQ(0, ret);
		ASSERT_EQ(0, mig_count_misplaced(self->status, npages, to,
						 NULL));
		ASSERT_EQ(0, mig_region_verify(&self->region, 0x6d74, NULL));
	}

	mtcopy_totals(&after, &fa);
	ASSERT_EQ(0, offctl_class_read(CLASS, &ca));
	TH_LOG("mtcopy: chunks +%lld folios +%lld helpers +%lld bytes +%lld (helpers %lld); class cpu +%lld",
	       (long long)(after.chunks - before.chunks),
	       (long long)(fa - fb),
	       (long long)(after.helpers - before.helpers),
	       (long long)(after.bytes - before.bytes),
	       (long long)(after.helper_bytes - before.helper_bytes),
	       (long long)(ca.cpu - cb.cpu));
	/* Other reasons may use mtcopy meanwhile: at least ours. */
	ASSERT_LT(0, ca.offloaded - cb.offloaded);
	ASSERT_LE(ca.offloaded - cb.offloaded, fa - fb);
	ASSERT_EQ(0, ca.cpu - cb.cpu);
	ASSERT_EQ(0, ca.failed - cb.failed);
	ASSERT_LT(0, after.bytes - before.bytes);
}

TEST_F(mtcopy, move_base_pages)
{
	move_through_mtcopy(_metadata, self, MIG_BASE_PAGES);
}

TEST_F(mtcopy, move_thps)
{
	struct offctl_mtcopy before, after;
	int64_t fb, fa;

	mtcopy_totals(&before, &fb);
	move_through_mtcopy(_metadata, self, MIG_THP);
	mtcopy_totals(&after, &fa);
	/* An idle guest lends CPUs: 2 MiB folios are shared. */
	EXPECT_LT(0, after.helper_bytes - before.helper_bytes);
}

TEST_F(mtcopy, require_excludes_cpu_engines)
{
	struct offctl_mtcopy before, after;
	struct offctl_class cb, ca;
	int64_t fb, fa;
	size_t npages;
	long ret;

	region_setup(_metadata, self, MIG_BASE_PAGES, 0x7265);
	route_set(_metadata, self, "require");
	npages = mig_region_pages(&self->region);
	mtcopy_totals(&before, &fb);
	ASSERT_EQ(0, offctl_class_read(CLASS, &cb));

	/* A count of pages not migrated: all of them. */
	ret = mig_move_region(&self->region, self->nodes[1], self->status,
			      NULL);

	mtcopy_totals(&after, &fa);
	ASSERT_EQ(0, offctl_class_read(CLASS, &ca));
	ASSERT_EQ((long)npages, ret);
	ASSERT_EQ(0, mig_query_region(&self->region, self->status));
	ASSERT_EQ(0, mig_count_misplaced(self->status, npages,
					 self->nodes[0], NULL));
	ASSERT_EQ(0, mig_region_verify(&self->region, 0x7265, NULL));
	ASSERT_EQ(0, fa - fb);
	ASSERT_EQ(0, ca.offloaded - cb.offloaded);
	ASSERT_LT(0, ca.failed - cb.failed);
}

/* The moves the unload case's child counts, in memory shared with it. */
static unsigned long moves_read(unsigned long *moves)
{
	return __atomic_load_n(moves, __ATOMIC_ACQUIRE);
}

/*
 * Child of the unload case: a region of its own (pages shared with the
 * parent after fork() would not move without MPOL_MF_MOVE_ALL), moved
 * back and forth and checked after every move until killed.  Counts its
 * moves in @moves; exits 1 on a failed or lossy move.
 */
static void __attribute__((noreturn))
mover(const int *nodes, unsigned long *moves)
{
	struct mig_region r;
	size_t npages;
	int *status;
	long ret;

	if (mig_region_alloc(&r, REGION_SIZE, MIG_MIXED) ||
	    mig_region_fill(&r, 0x756e, nodes[0]))
		_exit(3);
	npages = mig_region_pages(&r);
	status = calloc(npages, sizeof(*status));
	if (!status)
		_exit(3);
	for (;;) {
		int to = nodes[(moves_read(moves) + 1) % 2];

		/* Pages busy at the moment may stay behind: not a loss. */
		ret = mig_move_region(&r, to, status, NULL);
		if (ret < 0 || (size_t)ret == npages ||
		    mig_region_verify(&r, 0x756e, NULL))
			_exit(1);
		__atomic_add_fetch(moves, 1, __ATOMIC_RELEASE);
	}
}

TEST_F_TIMEOUT(mtcopy, unload_while_migrating, 300)
{
	unsigned long *moves;
	int round, status, ret;
	unsigned long before;

	if (mig_thp_unavailable())
		SKIP(return, "%s", mig_thp_unavailable());
	route_set(_metadata, self, "prefer");
	moves = mmap(NULL, sizeof(*moves), PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, moves);
	self->child = fork();
	ASSERT_LE(0, self->child);
	if (!self->child)
		mover(self->nodes, moves);

	for (round = 0; round < UNLOAD_ROUNDS; round++) {
		before = moves_read(moves);
		/* Unload with copies in flight, not between two moves. */
		while (moves_read(moves) == before &&
		       !waitpid(self->child, &status, WNOHANG))
			usleep(1000);
		usleep(20000);
		ret = mtcopy_unload();
		ASSERT_EQ(0, ret) {
			TH_LOG("round %d: unload: %s", round, strerror(-ret));
		}
		ASSERT_EQ(0, offctl_module_load(OFFCTL_MTCOPY_MODULE));
		ASSERT_EQ(0, waitpid(self->child, &status, WNOHANG)) {
			TH_LOG("mover exited, status %d, after %lu moves",
			       WEXITSTATUS(status), moves_read(moves));
		}
	}
	TH_LOG("%d unloads during %lu moves of a %lu MiB region",
	       UNLOAD_ROUNDS, moves_read(moves), REGION_SIZE >> 20);
	kill(self->child, SIGKILL);
	ASSERT_EQ(self->child, waitpid(self->child, &status, 0));
	self->child = 0;
	ASSERT_TRUE(WIFSIGNALED(status));
	ASSERT_LE(UNLOAD_ROUNDS, moves_read(moves));
	munmap(moves, sizeof(*moves));
}

/* Whether the engine list has @name, within @us microseconds. */
static bool engine_present_within(const char *name, bool present, long us)
{
	struct offctl_engine e;

	for (; us > 0; us -= WAIT_STEP_US) {
		if ((offctl_engine_read(name, &e) == 0) == present)
			return true;
		usleep(WAIT_STEP_US);
	}
	return false;
}

TEST_F(mtcopy, cpu_hotplug)
{
	char path[128], buf[256], name[OFFCTL_NAME_LEN], *p;
	int nid = self->nodes[1], cpu, ret;

	snprintf(path, sizeof(path), NODE_SYSFS "/node%d/cpulist", nid);
	if (mig_read_file(path, buf, sizeof(buf)) || buf[0] == '\n')
		SKIP(return, "node %d has no CPU", nid);
	snprintf(name, sizeof(name), "mtcopy%d", nid);
	ASSERT_TRUE(engine_present_within(name, true, ENGINE_WAIT_US));

	/* "2-3" or "2,3": take each CPU down. */
	for (p = buf; *p && *p != '\n';) {
		int first = strtol(p, &p, 10), last = first;

		if (*p == '-')
			last = strtol(p + 1, &p, 10);
		for (cpu = first; cpu <= last; cpu++) {
			snprintf(path, sizeof(path), CPU_SYSFS "/cpu%d/online",
				 cpu);
			if (access(path, W_OK))
				SKIP(return, "CPU %d cannot go offline", cpu);
			ret = offctl_write(path, "0");
			ASSERT_EQ(0, ret) {
				TH_LOG("offline CPU %d: %s", cpu,
				       strerror(-ret));
			}
			self->offline[self->nr_offline++] = cpu;
		}
		if (*p == ',')
			p++;
	}
	ASSERT_TRUE(engine_present_within(name, false, ENGINE_WAIT_US)) {
		TH_LOG("%s still registered with node %d's CPUs offline",
		       name, nid);
	}
	for (; self->nr_offline; self->nr_offline--) {
		cpu = self->offline[self->nr_offline - 1];
		snprintf(path, sizeof(path), CPU_SYSFS "/cpu%d/online", cpu);
		ASSERT_EQ(0, offctl_write(path, "1"));
	}
	ASSERT_TRUE(engine_present_within(name, true, ENGINE_WAIT_US)) {
		TH_LOG("%s not back with node %d's CPUs online", name, nid);
	}
}

TEST_HARNESS_MAIN
