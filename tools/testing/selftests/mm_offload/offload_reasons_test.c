// SPDX-License-Identifier: GPL-2.0
/*
 * mm/offload: the folio copies of page migration for reasons other than
 * move_pages(2).
 *
 * Each case registers copy engines, routes one migration reason's copy class
 * to them with a minimum batch of one page, makes the kernel migrate pages
 * of a test region for that reason and then asserts that
 *
 *  - the kernel did migrate (the reason's /proc/vmstat counter grew),
 *  - the broker copied for that reason (the class's "offloaded" counter in
 *    /sys/kernel/debug/offload/classes grew), and
 *  - every page of the region still holds its data.
 *
 * Every case runs twice: with test engines (offload_test_engine, one per
 * memory node) and with mtcopy, the multi-threaded CPU copy engine (module
 * mtcopy, one engine per node with CPUs), whose counters must grow too.
 *
 * compaction:      write /proc/sys/vm/compact_memory over a region with
 *                  holes, while a second thread keeps checking the region.
 * numa_balancing:  memory placed on one node, read by a task running on
 *                  another one with automatic NUMA balancing enabled; every
 *                  read pass is checked.
 * memory_hotplug:  offline ZONE_MOVABLE memory blocks that hold the region
 *                  (needs movablecore= on the kernel command line).
 * demotion:        a task bound to a top tier node touches more memory than
 *                  the node has free, so reclaim demotes it to a slower
 *                  CPU-less node (needs a memory tiering layout).
 *
 * A case whose layout is missing SKIPs with the reason.  Settings a case
 * changes (routes, sysctls, offlined blocks, engines) are restored by its
 * teardown, and once more at exit in case a test was killed by its timeout.
 */

#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/mempolicy.h>

#include "../kselftest_harness.h"
#include "migrate_util.h"
#include "offload_ctl.h"

#define ENGINE_PREFIX		"orr_n"
#define MTCOPY_PREFIX		"mtcopy"

#define NODE_SYSFS		"/sys/devices/system/node"
#define MEMORY_SYSFS		"/sys/devices/system/memory"
#define TIERING_SYSFS		"/sys/devices/virtual/memory_tiering"
#define DEMOTION_PATH		"/sys/kernel/mm/numa/demotion_enabled"
#define NUMA_BALANCING_PATH	"/proc/sys/kernel/numa_balancing"
#define COMPACT_PATH		"/proc/sys/vm/compact_memory"

#define CASE_TIMEOUT		180	/* seconds per case, under TCG */

/* Route of the class under test; the default route is "prefer 32". */
#define TEST_MODE		"prefer"
#define TEST_MIN_BATCH		1

#define MAX_TEST_NODES		64
#define MAX_LIST		1024	/* highest CPU/node id + 1 parsed */
#define MAX_BLOCKS		4096	/* memory blocks handled */

/* compaction */
#define COMPACT_PAGES		150000UL
#define COMPACT_ROUNDS		3

/* numa_balancing */
#define NUMA_REGION_SIZE	(64UL << 20)
#define NUMA_WAIT_NS		(30ULL * 1000000000ULL)
#define NUMA_DONE_PERCENT	90

/* memory_hotplug */
#define HOTPLUG_REGION_SIZE	(256UL << 20)
#define HOTPLUG_WANT_OFFLINE	2	/* blocks to offline */
#define HOTPLUG_MAX_OFFLINE	4	/* if the first held none of our pages */
#define HOTPLUG_OFFLINE_S	45	/* give up on one block after this */
#define HOTPLUG_WAIT_S		100	/* for all the offlining */

/* demotion */
#define DEMOTE_EXTRA		(300UL << 20)	/* beyond the node's MemFree */
#define DEMOTE_SLOW_RESERVE	(256UL << 20)	/* left free on slow nodes */
#define DEMOTE_MIN_EXTRA	(64UL << 20)
#define DEMOTE_WAIT_NS		(150ULL * 1000000000ULL)

#define NSEC_PER_SEC		1000000000ULL
#define PFN_MASK		((1ULL << 55) - 1)
#define PM_PRESENT		(1ULL << 63)

/* What the demotion child found; shared with the test process. */
struct demote_result {
	int stage;		/* last step reached, see demote_child() */
	int error;		/* -errno of the step that failed */
	bool done;
	size_t npages;
	size_t bad;
	size_t first_bad;
	size_t on_src;
	size_t on_slow;
	size_t elsewhere;
	uint64_t fill_ns;
	uint64_t verify_ns;
};

/* Reader thread of the compaction case. */
struct reader {
	const struct mig_region *region;
	uint64_t seed;
	atomic_bool stop;
	unsigned long checked;	/* page checks done */
	unsigned long bad;	/* page checks that failed */
	size_t first_bad;
	unsigned long passes;	/* complete passes over the region */
};

static const char * const class_names[] = {
	"compaction", "memory_failure", "memory_hotplug", "syscall_or_cpuset",
	"mempolicy_mbind", "numa_misplaced", "contig_range", "longterm_pin",
	"demotion", "damon", "generic",
};

#define NR_CLASSES	ARRAY_SIZE(class_names)

/* ---- small file helpers ---------------------------------------------- */

/* Strip trailing white space in place. */
static char *rstrip(char *s)
{
	size_t n = strlen(s);

	while (n && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	return s;
}

/* Parse a list such as "0-3,8\n" into @bits[0..@max); return the count. */
static int parse_list(const char *s, bool *bits, int max)
{
	int count = 0;

	memset(bits, 0, max * sizeof(*bits));
	while (*s && !isspace((unsigned char)*s)) {
		long first, last;
		char *end;

		first = strtol(s, &end, 10);
		if (end == s || first < 0)
			return -EINVAL;
		last = first;
		s = end;
		if (*s == '-') {
			last = strtol(s + 1, &end, 10);
			if (end == s + 1 || last < first)
				return -EINVAL;
			s = end;
		}
		for (; first <= last && first < max; first++) {
			if (!bits[first])
				count++;
			bits[first] = true;
		}
		if (*s == ',')
			s++;
	}
	return count;
}

/*
 * The /proc/vmstat counter @name, or with @prefix the sum of all counters
 * whose name starts with @name; -1 if the kernel has none.
 */
static long long vmstat_sum(const char *name, bool prefix)
{
	size_t n = strlen(name);
	char line[256];
	long long sum = -1;
	FILE *f;

	f = fopen("/proc/vmstat", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char *sp = strchr(line, ' ');

		if (!sp || strncmp(line, name, n) ||
		    (!prefix && sp != line + n))
			continue;
		sum = (sum < 0 ? 0 : sum) + strtoll(sp + 1, NULL, 10);
		if (!prefix)
			break;
	}
	fclose(f);
	return sum;
}

/* A /proc/vmstat counter, or -1 if the kernel does not have it. */
static long long vmstat_read(const char *name)
{
	return vmstat_sum(name, false);
}

/* Sum of all pgdemote_* counters (kswapd, direct, khugepaged...). */
static long long vmstat_pgdemote(void)
{
	return vmstat_sum("pgdemote_", true);
}

/* "Node N FIELD: V kB" from node<nid>/meminfo, in bytes, or -1. */
static long long node_meminfo(int nid, const char *field)
{
	char path[128], buf[4096], key[64], *p;

	snprintf(path, sizeof(path), NODE_SYSFS "/node%d/meminfo", nid);
	if (mig_read_file(path, buf, sizeof(buf)))
		return -1;
	snprintf(key, sizeof(key), " %s:", field);
	p = strstr(buf, key);
	if (!p)
		return -1;
	return strtoll(p + strlen(key), NULL, 10) << 10;
}

/* "FIELD: V kB" from /proc/meminfo, in bytes, or -1. */
static long long meminfo_read(const char *field)
{
	char buf[8192], key[64], *p;

	if (mig_read_file("/proc/meminfo", buf, sizeof(buf)))
		return -1;
	snprintf(key, sizeof(key), "\n%s:", field);
	p = strstr(buf, key);
	if (!p)
		return -1;
	return strtoll(p + strlen(key), NULL, 10) << 10;
}

/* CPUs of node @nid that this task may run on; return their count. */
static int node_cpus(int nid, cpu_set_t *set)
{
	static bool bits[MAX_LIST];
	char path[128], buf[4096];
	cpu_set_t allowed;
	int cpu, count = 0;

	CPU_ZERO(set);
	snprintf(path, sizeof(path), NODE_SYSFS "/node%d/cpulist", nid);
	if (mig_read_file(path, buf, sizeof(buf)) ||
	    parse_list(buf, bits, MAX_LIST) <= 0)
		return 0;
	if (sched_getaffinity(0, sizeof(allowed), &allowed))
		CPU_ZERO(&allowed);
	for (cpu = 0; cpu < MAX_LIST && cpu < CPU_SETSIZE; cpu++) {
		if (bits[cpu] && CPU_ISSET(cpu, &allowed)) {
			CPU_SET(cpu, set);
			count++;
		}
	}
	return count;
}

static bool node_is(const int *nodes, int nr, int nid)
{
	int i;

	for (i = 0; i < nr; i++)
		if (nodes[i] == nid)
			return true;
	return false;
}

/* Does the kernel command line have a parameter starting with @prefix? */
static bool cmdline_has(const char *prefix)
{
	char buf[4096], *tok, *save;

	if (mig_read_file("/proc/cmdline", buf, sizeof(buf)))
		return false;
	for (tok = strtok_r(buf, " \t\n", &save); tok;
	     tok = strtok_r(NULL, " \t\n", &save))
		if (!strncmp(tok, prefix, strlen(prefix)))
			return true;
	return false;
}

/* Physical frame of every base page of @r (0: not present or hidden). */
static int region_pfns(const struct mig_region *r, uint64_t *pfn)
{
	size_t i, n = mig_region_pages(r), done = 0;
	off_t off = (uintptr_t)r->addr / r->page_size * sizeof(uint64_t);
	ssize_t got;
	int fd;

	fd = open("/proc/self/pagemap", O_RDONLY);
	if (fd < 0)
		return -errno;
	while (done < n * sizeof(uint64_t)) {
		got = pread(fd, (char *)pfn + done, n * sizeof(uint64_t) - done,
			    off + done);
		if (got <= 0) {
			got = got ? -errno : -EIO;
			close(fd);
			return got;
		}
		done += got;
	}
	close(fd);
	for (i = 0; i < n; i++)
		pfn[i] = (pfn[i] & PM_PRESENT) ? pfn[i] & PFN_MASK : 0;
	return 0;
}

/* ---- broker interfaces ----------------------------------------------- */

static bool route_same(const struct offctl_class *a,
		       const struct offctl_class *b)
{
	return !strcmp(a->mode, b->mode) && a->min_batch == b->min_batch &&
	       !strcmp(a->engines, b->engines);
}

static void engine_name(char *buf, size_t size, int nid)
{
	snprintf(buf, size, ENGINE_PREFIX "%d", nid);
}

/* Add up the counters of the mtcopy engines. */
static int mtcopy_totals(struct offctl_te *t)
{
	char names[MAX_TEST_NODES][OFFCTL_NAME_LEN];
	struct offctl_engine one;
	int i, n, ret;

	memset(t, 0, sizeof(*t));
	n = offctl_engine_list(MTCOPY_PREFIX, names, MAX_TEST_NODES);
	if (n < 0)
		return n;
	for (i = 0; i < n; i++) {
		ret = offctl_engine_read(names[i], &one);
		if (ret)
			return ret;
		t->chunks += one.submitted;
		t->folios += one.folios;
		t->failed += one.errors;
	}
	return 0;
}

/* Add up the counters of this program's engines. */
static int engine_totals(bool mtcopy, struct offctl_te *t)
{
	char names[MAX_TEST_NODES][OFFCTL_NAME_LEN];
	struct offctl_te one;
	int i, n, ret;

	if (mtcopy)
		return mtcopy_totals(t);
	memset(t, 0, sizeof(*t));
	n = offctl_te_list(ENGINE_PREFIX, names, MAX_TEST_NODES);
	if (n < 0)
		return n;
	for (i = 0; i < n; i++) {
		ret = offctl_te_read(names[i], &one);
		if (ret)
			return ret;
		t->chunks += one.chunks;
		t->folios += one.folios;
		t->failed += one.failed;
		t->aborted += one.aborted;
		t->rejected += one.rejected;
	}
	return 0;
}

/* Remove every engine of this program, e.g. left by a killed run. */
static void engines_del_all(void)
{
	char names[MAX_TEST_NODES][OFFCTL_NAME_LEN];
	int i, n;

	n = offctl_te_list(ENGINE_PREFIX, names, MAX_TEST_NODES);
	for (i = 0; i < n; i++)
		offctl_te_cmd("del %s", names[i]);
}

/* Why no case can run, or NULL.  Loads the test engine module. */
static const char *broker_unavailable(void)
{
	static char why[128];
	int ret;

	if (geteuid())
		return "must run as root";
	if (access(OFFCTL_CLASSES, R_OK) || access(OFFCTL_CONFIGFS, W_OK))
		return "no " OFFCTL_CLASSES " or " OFFCTL_CONFIGFS " (no debugfs, configfs or CONFIG_MIGRATION_OFFLOAD)";
	ret = offctl_te_available();
	if (ret) {
		snprintf(why, sizeof(why), "no %s after modprobe %s: %s",
			 OFFCTL_TE_CONTROL, OFFCTL_TE_MODULE, strerror(-ret));
		return why;
	}
	return NULL;
}

/* ---- memory blocks --------------------------------------------------- */

static int block_attr(int id, const char *attr, char *buf, size_t size)
{
	char path[128];
	int ret;

	snprintf(path, sizeof(path), MEMORY_SYSFS "/memory%d/%s", id, attr);
	ret = mig_read_file(path, buf, size);
	if (!ret)
		rstrip(buf);
	return ret;
}

static int block_set_state(int id, const char *state)
{
	char path[128];

	snprintf(path, sizeof(path), MEMORY_SYSFS "/memory%d/state", id);
	return offctl_write(path, "%s", state);
}

/* Online a block we took offline: into ZONE_MOVABLE where it came from. */
static int block_online(int id)
{
	int ret = block_set_state(id, "online_movable");

	if (ret == -EINVAL)
		ret = block_set_state(id, "online");
	return ret;
}

/* Ids of all memory blocks, ascending; return their count. */
static int list_blocks(int *ids, int max)
{
	struct dirent *de;
	int n = 0, id, i, j;
	char tail;
	DIR *dir;

	dir = opendir(MEMORY_SYSFS);
	if (!dir)
		return -errno;
	while ((de = readdir(dir)) && n < max) {
		if (sscanf(de->d_name, "memory%d%c", &id, &tail) == 1)
			ids[n++] = id;
	}
	closedir(dir);
	for (i = 1; i < n; i++) {
		for (j = i; j > 0 && ids[j - 1] > ids[j]; j--) {
			id = ids[j];
			ids[j] = ids[j - 1];
			ids[j - 1] = id;
		}
	}
	return n;
}

static bool block_movable_online(int id)
{
	char state[64], zones[128];

	return !block_attr(id, "state", state, sizeof(state)) &&
	       !block_attr(id, "valid_zones", zones, sizeof(zones)) &&
	       !strcmp(state, "online") && !strcmp(zones, "Movable");
}

static void on_alarm(int sig)
{
	/* Only interrupts a blocking write(2). */
}

/* ---- state saved at start, restored at exit ------------------------- */

static struct {
	bool saved;
	char numa_balancing[32];
	char demotion[32];
	struct offctl_class route[NR_CLASSES];
	bool have_route[NR_CLASSES];
	int nr_blocks;
	int blocks[MAX_BLOCKS];
	bool block_offline[MAX_BLOCKS];
} orig;

static void save_orig_state(void)
{
	char state[64];
	unsigned int i;
	int n;

	if (mig_read_file(NUMA_BALANCING_PATH, orig.numa_balancing,
			  sizeof(orig.numa_balancing)))
		orig.numa_balancing[0] = '\0';
	rstrip(orig.numa_balancing);
	if (mig_read_file(DEMOTION_PATH, orig.demotion, sizeof(orig.demotion)))
		orig.demotion[0] = '\0';
	rstrip(orig.demotion);
	for (i = 0; i < NR_CLASSES; i++)
		orig.have_route[i] = !offctl_class_read(class_names[i],
							&orig.route[i]);
	n = list_blocks(orig.blocks, MAX_BLOCKS);
	orig.nr_blocks = n > 0 ? n : 0;
	for (n = 0; n < orig.nr_blocks; n++)
		orig.block_offline[n] =
			!block_attr(orig.blocks[n], "state", state, sizeof(state)) &&
			!strcmp(state, "offline");
	orig.saved = true;
}

/*
 * atexit() handler of the main process.  Teardown normally restores
 * everything; this catches a test the harness killed on timeout (the kill
 * skips teardown).  Children leave with _exit() and never run it.
 */
static void restore_orig_state(void)
{
	struct offctl_class now;
	char buf[64];
	unsigned int i;
	int n, ret;

	if (!orig.saved)
		return;
	for (n = 0; n < orig.nr_blocks; n++) {
		if (orig.block_offline[n] ||
		    block_attr(orig.blocks[n], "state", buf, sizeof(buf)) ||
		    strcmp(buf, "offline"))
			continue;
		ret = block_online(orig.blocks[n]);
		ksft_print_msg("memory%d was left offline by a test; online: %s\n",
			       orig.blocks[n], ret ? strerror(-ret) : "done");
	}
	if (orig.numa_balancing[0] &&
	    !mig_read_file(NUMA_BALANCING_PATH, buf, sizeof(buf)) &&
	    strcmp(rstrip(buf), orig.numa_balancing)) {
		ksft_print_msg("restoring numa_balancing %s\n",
			       orig.numa_balancing);
		offctl_write(NUMA_BALANCING_PATH, "%s", orig.numa_balancing);
	}
	if (orig.demotion[0] &&
	    !mig_read_file(DEMOTION_PATH, buf, sizeof(buf)) &&
	    strcmp(rstrip(buf), orig.demotion)) {
		ksft_print_msg("restoring demotion_enabled %s\n", orig.demotion);
		offctl_write(DEMOTION_PATH, "%s", orig.demotion);
	}
	for (i = 0; i < NR_CLASSES; i++) {
		const struct offctl_class *r = &orig.route[i];

		if (!orig.have_route[i] ||
		    offctl_class_read(class_names[i], &now) ||
		    route_same(&now, r))
			continue;
		ksft_print_msg("restoring route %s %s %lld\n", class_names[i],
			       r->mode, (long long)r->min_batch);
		offctl_route_set(class_names[i], r->mode, r->min_batch,
				 r->engines);
	}
	engines_del_all();
}

/* ---- fixture --------------------------------------------------------- */

FIXTURE(reasons)
{
	int nodes[MAX_TEST_NODES];
	int nr_nodes;
	int engines[MAX_TEST_NODES];	/* nodes of the engines we added */
	int nr_engines;
	const char *class;		/* class whose route we changed */
	struct offctl_class saved_route;
	struct offctl_class before;
	struct offctl_te eng_before;
	struct mig_region region;
	int *status;
	uint64_t *pfn;
	char old_numa_balancing[32];
	char old_demotion[32];
	int offlined[MAX_BLOCKS];
	int nr_offlined;
	pid_t child;
	struct demote_result *result;
	bool mtcopy;			/* the variant's engines are mtcopy's */
	bool mtcopy_loaded;		/* we loaded module mtcopy */
};

FIXTURE_VARIANT(reasons)
{
	bool mtcopy;
};

FIXTURE_VARIANT_ADD(reasons, test_engines)
{
	.mtcopy = false,
};

FIXTURE_VARIANT_ADD(reasons, mtcopy)
{
	.mtcopy = true,
};

FIXTURE_SETUP(reasons)
{
	const char *why = broker_unavailable();
	int nr;

	if (why)
		SKIP(return, "%s", why);
	nr = mig_memory_nodes(self->nodes, MAX_TEST_NODES);
	ASSERT_LE(1, nr) {
		TH_LOG("cannot list NUMA nodes with memory: %s",
		       nr < 0 ? strerror(-nr) : "none");
	}
	self->nr_nodes = nr < MAX_TEST_NODES ? nr : MAX_TEST_NODES;
	self->mtcopy = variant->mtcopy;
	/* Engines a killed earlier run may have left behind. */
	engines_del_all();
}

FIXTURE_TEARDOWN(reasons)
{
	char name[OFFCTL_NAME_LEN];
	int i, ret;

	if (self->child > 0) {
		kill(self->child, SIGKILL);
		waitpid(self->child, NULL, 0);
	}
	if (self->result)
		munmap(self->result, sizeof(*self->result));

	for (i = 0; i < self->nr_offlined; i++) {
		ret = block_online(self->offlined[i]);
		if (ret)
			TH_LOG("cannot online memory%d again: %s",
			       self->offlined[i], strerror(-ret));
	}
	if (self->old_numa_balancing[0])
		offctl_write(NUMA_BALANCING_PATH, "%s",
			     self->old_numa_balancing);
	if (self->old_demotion[0])
		offctl_write(DEMOTION_PATH, "%s", self->old_demotion);
	if (self->class) {
		const struct offctl_class *r = &self->saved_route;

		ret = offctl_route_set(self->class, r->mode, r->min_batch,
				       r->engines);
		if (ret)
			TH_LOG("cannot restore route %s %s %lld: %s",
			       self->class, r->mode, (long long)r->min_batch,
			       strerror(-ret));
	}
	for (i = 0; i < self->nr_engines; i++) {
		engine_name(name, sizeof(name), self->engines[i]);
		offctl_te_cmd("del %s", name);
	}
	/* The broker holds the module while a copy is in flight. */
	for (i = 0; self->mtcopy_loaded && i < 100; i++) {
		if (offctl_module_unload(OFFCTL_MTCOPY_MODULE) != -EWOULDBLOCK)
			break;
		usleep(10000);
	}
	mig_region_free(&self->region);
	free(self->status);
	free(self->pfn);
}

/* Load mtcopy and list its engines, comma-separated, in @list. */
static void mtcopy_engines(struct __test_metadata *_metadata,
			   FIXTURE_DATA(reasons) *self, char *list,
			   size_t size)
{
	char names[MAX_TEST_NODES][OFFCTL_NAME_LEN];
	int i, n, ret;

	self->mtcopy_loaded = access("/sys/module/" OFFCTL_MTCOPY_MODULE,
				     F_OK) != 0;
	ret = offctl_module_load(OFFCTL_MTCOPY_MODULE);
	ASSERT_EQ(0, ret) {
		TH_LOG("cannot load module %s: %s", OFFCTL_MTCOPY_MODULE,
		       strerror(-ret));
	}
	n = offctl_engine_list(MTCOPY_PREFIX, names, MAX_TEST_NODES);
	ASSERT_LT(0, n) {
		TH_LOG("module %s registered no engine", OFFCTL_MTCOPY_MODULE);
	}
	list[0] = '\0';
	for (i = 0; i < n && i < 8; i++)
		snprintf(list + strlen(list), size - strlen(list), "%s%s",
			 i ? "," : "", names[i]);
}

/*
 * Register one test engine per memory node (kind @kind, large folios in one
 * segment), or load mtcopy, and route @class to those engines with a
 * minimum batch of one page.
 */
static void prepare(struct __test_metadata *_metadata,
		    FIXTURE_DATA(reasons) *self, const char *class,
		    const char *kind)
{
	char name[OFFCTL_NAME_LEN], engines[OFFCTL_ENGINES_LEN] = "";
	struct offctl_class cs;
	int i, ret;

	if (self->mtcopy) {
		mtcopy_engines(_metadata, self, engines, sizeof(engines));
		kind = MTCOPY_PREFIX;
	}
	for (i = 0; !self->mtcopy && i < self->nr_nodes; i++) {
		engine_name(name, sizeof(name), self->nodes[i]);
		ret = offctl_te_cmd("add %s kind=%s node=%d delay_ms=0 large=1",
				    name, kind, self->nodes[i]);
		ASSERT_EQ(0, ret) {
			TH_LOG("cannot add test engine %s: %s", name,
			       strerror(-ret));
		}
		self->engines[self->nr_engines++] = self->nodes[i];
	}

	ret = offctl_class_read(class, &self->saved_route);
	ASSERT_EQ(0, ret) {
		TH_LOG("no class %s in " OFFCTL_CLASSES ": %s", class,
		       strerror(-ret));
	}
	ret = offctl_route_set(class, TEST_MODE, TEST_MIN_BATCH, engines);
	ASSERT_EQ(0, ret) {
		TH_LOG("cannot set route \"%s %s %d\": %s", class, TEST_MODE,
		       TEST_MIN_BATCH, strerror(-ret));
	}
	self->class = class;
	ASSERT_EQ(0, offctl_class_read(class, &cs));
	ASSERT_STREQ(TEST_MODE, cs.mode);
	ASSERT_EQ(TEST_MIN_BATCH, cs.min_batch);
	TH_LOG("%s engines, route %s %s %lld engines=%s (was %s %lld)",
	       kind, class, cs.mode,
	       (long long)cs.min_batch, cs.engines, self->saved_route.mode,
	       (long long)self->saved_route.min_batch);
}

/* Snapshot the class and engine counters before the migration. */
static void counters_begin(struct __test_metadata *_metadata,
			   FIXTURE_DATA(reasons) *self)
{
	ASSERT_EQ(0, offctl_class_read(self->class, &self->before));
	ASSERT_EQ(0, engine_totals(self->mtcopy, &self->eng_before));
}

/* Log what the broker did since counters_begin(); return the offloads. */
static long long counters_report(struct __test_metadata *_metadata,
				 FIXTURE_DATA(reasons) *self)
{
	const struct offctl_class *b = &self->before;
	const struct offctl_te *eb = &self->eng_before;
	struct offctl_te e;
	struct offctl_class a;

	if (offctl_class_read(self->class, &a) ||
	    engine_totals(self->mtcopy, &e)) {
		TH_LOG("cannot read the broker counters");
		return -1;
	}
	TH_LOG("class %s: submitted +%lld offloaded +%lld cpu +%lld failed +%lld declined +%lld",
	       self->class, (long long)(a.submitted - b->submitted),
	       (long long)(a.offloaded - b->offloaded),
	       (long long)(a.cpu - b->cpu), (long long)(a.failed - b->failed),
	       (long long)(a.declined - b->declined));
	TH_LOG("engines: chunks +%lld folios +%lld failed +%lld aborted +%lld rejected +%lld",
	       (long long)(e.chunks - eb->chunks),
	       (long long)(e.folios - eb->folios),
	       (long long)(e.failed - eb->failed),
	       (long long)(e.aborted - eb->aborted),
	       (long long)(e.rejected - eb->rejected));
	/* What the class says the engines copied, they must have counted. */
	if (e.folios - eb->folios < a.offloaded - b->offloaded)
		return e.folios - eb->folios;
	return a.offloaded - b->offloaded;
}

static long long class_offloaded(const char *class)
{
	struct offctl_class cs;

	return offctl_class_read(class, &cs) ? -1 : cs.offloaded;
}

/* ---- compaction ------------------------------------------------------ */

/* One base page of @r as a region of its own, for the pattern helpers. */
static struct mig_region page_of(const struct mig_region *r, size_t idx)
{
	struct mig_region p = *r;

	p.addr = r->addr + idx * r->page_size;
	p.len = r->page_size;
	p.map = NULL;
	p.map_len = 0;
	return p;
}

/* Pages 0, 2, 4, ... keep their data; each page has its own seed. */
static uint64_t page_seed(uint64_t seed, size_t idx)
{
	return seed + idx;
}

static void *reader_fn(void *arg)
{
	struct reader *rd = arg;
	size_t i, n = mig_region_pages(rd->region);
	struct mig_region p;

	while (!atomic_load(&rd->stop)) {
		for (i = 0; i < n && !atomic_load(&rd->stop); i += 2) {
			p = page_of(rd->region, i);
			if (mig_region_verify(&p, page_seed(rd->seed, i), NULL)) {
				if (!rd->bad)
					rd->first_bad = i;
				rd->bad++;
			}
			rd->checked++;
		}
		if (i >= n)
			rd->passes++;
	}
	return NULL;
}

/*
 * Fill ~150,000 base pages, free every other one so that memory is
 * fragmented, and compact all zones while a second thread keeps checking
 * the pages that are left.  Then every kept page must hold its data, every
 * freed page must read as zeroes, the compaction class must have been
 * offloaded, and some of the kept pages must have moved (if their frame
 * numbers cannot be read, the case skips).
 */
TEST_F_TIMEOUT(reasons, compaction, CASE_TIMEOUT)
{
	long long migrated, scanned, avail, offloaded = 0;
	size_t i, npages, kept = 0, moved = 0, bad = 0, first_bad = 0;
	uint64_t seed = 0x636f6d7061637400ULL, t0;
	struct reader rd = { 0 };
	struct mig_region p;
	uint64_t *pfn_after;
	pthread_t thread;
	int round, ret;
	char *zero;

	if (access(COMPACT_PATH, W_OK))
		SKIP(return, "no %s (CONFIG_COMPACTION=n)", COMPACT_PATH);
	if (vmstat_read("pgmigrate_success") < 0)
		SKIP(return, "no pgmigrate_success in /proc/vmstat");

	npages = COMPACT_PAGES;
	avail = meminfo_read("MemAvailable");
	if (avail > 0 && (size_t)(avail / 2 / getpagesize()) < npages)
		npages = avail / 2 / getpagesize();
	if (npages < 1024)
		SKIP(return, "only %lld MiB available", avail >> 20);

	prepare(_metadata, self, "compaction", "delayed");

	ret = mig_region_alloc(&self->region, npages * getpagesize(),
			       MIG_BASE_PAGES);
	ASSERT_EQ(0, ret) {
		TH_LOG("cannot map %zu pages: %s", npages, strerror(-ret));
	}
	for (i = 0; i < npages; i++) {
		p = page_of(&self->region, i);
		ASSERT_EQ(0, mig_region_fill(&p, page_seed(seed, i), -1));
	}
	/* Free the odd pages: holes the migration scanner must fill. */
	for (i = 1; i < npages; i += 2)
		ASSERT_EQ(0, madvise(self->region.addr + i * getpagesize(),
				     getpagesize(), MADV_DONTNEED));

	self->pfn = calloc(npages, sizeof(*self->pfn));
	pfn_after = calloc(npages, sizeof(*pfn_after));
	ASSERT_NE(NULL, self->pfn);
	ASSERT_NE(NULL, pfn_after);
	ret = region_pfns(&self->region, self->pfn);
	if (ret)
		TH_LOG("cannot read /proc/self/pagemap: %s", strerror(-ret));

	migrated = vmstat_read("pgmigrate_success");
	scanned = vmstat_read("compact_migrate_scanned");
	counters_begin(_metadata, self);

	rd.region = &self->region;
	rd.seed = seed;
	ASSERT_EQ(0, pthread_create(&thread, NULL, reader_fn, &rd));

	t0 = mig_now_ns();
	for (round = 1; round <= COMPACT_ROUNDS; round++) {
		ret = offctl_write(COMPACT_PATH, "1");
		if (ret)
			break;
		offloaded = class_offloaded("compaction") -
			    self->before.offloaded;
		moved = 0;
		if (!region_pfns(&self->region, pfn_after)) {
			for (i = 0; i < npages; i += 2)
				moved += self->pfn[i] && pfn_after[i] &&
					 self->pfn[i] != pfn_after[i];
		}
		if (offloaded > 0 && (moved || !self->pfn[0]))
			break;
		TH_LOG("compaction round %d: +%lld offloaded, %zu of our pages moved; again",
		       round, offloaded, moved);
	}
	atomic_store(&rd.stop, true);
	pthread_join(thread, NULL);
	free(pfn_after);
	ASSERT_EQ(0, ret) {
		TH_LOG("write 1 to %s: %s", COMPACT_PATH, strerror(-ret));
	}

	migrated = vmstat_read("pgmigrate_success") - migrated;
	scanned = vmstat_read("compact_migrate_scanned") - scanned;
	TH_LOG("compact_memory x%d, %.1f s: pgmigrate_success +%lld compact_migrate_scanned +%lld",
	       round > COMPACT_ROUNDS ? COMPACT_ROUNDS : round,
	       (mig_now_ns() - t0) / 1e9, migrated, scanned);
	TH_LOG("%zu of our %zu kept pages moved; reader: %lu checks, %lu passes, %lu bad",
	       moved, (npages + 1) / 2, rd.checked, rd.passes, rd.bad);
	offloaded = counters_report(_metadata, self);

	ASSERT_EQ(0UL, rd.bad) {
		TH_LOG("reader saw page %zu differ from its pattern during compaction",
		       rd.first_bad);
	}
	ASSERT_LT(0UL, rd.checked);

	zero = calloc(1, getpagesize());
	ASSERT_NE(NULL, zero);
	for (i = 0; i < npages; i++) {
		p = page_of(&self->region, i);
		if (i % 2 ? memcmp(p.addr, zero, p.len) :
		    mig_region_verify(&p, page_seed(seed, i), NULL)) {
			if (!bad)
				first_bad = i;
			bad++;
		}
		kept += !(i % 2);
	}
	free(zero);
	ASSERT_EQ(0UL, bad) {
		TH_LOG("%zu of %zu pages wrong after compaction, first is page %zu (%s)",
		       bad, npages, first_bad,
		       first_bad % 2 ? "freed, not zero" : "kept, pattern differs");
	}
	ASSERT_LT(0, migrated) {
		TH_LOG("compaction migrated nothing");
	}
	ASSERT_LT(0, offloaded) {
		TH_LOG("the broker copied no folio for class compaction");
	}
	/* Without frame numbers the checks above may not involve our pages. */
	if (!self->pfn[0])
		SKIP(return, "no PFNs in /proc/self/pagemap: did our pages move?");
	ASSERT_LT(0UL, moved) {
		TH_LOG("none of our %zu kept pages was migrated", kept);
	}
}

/* ---- NUMA balancing -------------------------------------------------- */

static long mbind_default(void *addr, size_t len)
{
	return syscall(SYS_mbind, addr, len, MPOL_DEFAULT, NULL, 0, 0) ?
	       -errno : 0;
}

/*
 * Fill 64 MiB on node A, drop the binding and keep reading the memory from
 * a CPU of node B with NUMA balancing on, until most pages moved to B or
 * 30 s passed.  Every read pass must see the data unchanged; pages must
 * have moved to B, numa_pages_migrated must have grown, and the
 * numa_misplaced class must have been offloaded.
 */
TEST_F_TIMEOUT(reasons, numa_balancing, CASE_TIMEOUT)
{
	size_t npages, on_b = 0, first = 0, bad_pages = 0;
	long long migrated, offloaded;
	unsigned long passes = 0, bad_passes = 0;
	uint64_t seed = 0x6e756d615f6d6900ULL, sum, checksum, t0;
	int i, a = -1, b = -1, ret;
	char buf[32];
	cpu_set_t cpus;

	if (mig_read_file(NUMA_BALANCING_PATH, buf, sizeof(buf)))
		SKIP(return, "no %s (CONFIG_NUMA_BALANCING=n)",
		     NUMA_BALANCING_PATH);
	if (vmstat_read("numa_pages_migrated") < 0)
		SKIP(return, "no numa_pages_migrated in /proc/vmstat");
	if (self->nr_nodes < 2)
		SKIP(return, "need 2 NUMA nodes with memory, found %d",
		     self->nr_nodes);
	a = self->nodes[0];
	for (i = 1; i < self->nr_nodes && b < 0; i++)
		if (node_cpus(self->nodes[i], &cpus) > 0)
			b = self->nodes[i];
	if (b < 0)
		SKIP(return, "no memory node besides node %d has a CPU this task may use",
		     a);
	node_cpus(b, &cpus);

	prepare(_metadata, self, "numa_misplaced", "delayed");

	snprintf(self->old_numa_balancing, sizeof(self->old_numa_balancing),
		 "%s", rstrip(buf));
	ret = offctl_write(NUMA_BALANCING_PATH, "1");
	ASSERT_EQ(0, ret) {
		TH_LOG("cannot enable NUMA balancing: %s", strerror(-ret));
	}

	ret = mig_region_alloc(&self->region, NUMA_REGION_SIZE, MIG_BASE_PAGES);
	ASSERT_EQ(0, ret) {
		TH_LOG("cannot map %lu MiB: %s", NUMA_REGION_SIZE >> 20,
		       strerror(-ret));
	}
	npages = mig_region_pages(&self->region);
	self->status = calloc(npages, sizeof(*self->status));
	ASSERT_NE(NULL, self->status);
	ret = mig_region_fill(&self->region, seed, a);
	ASSERT_EQ(0, ret) {
		TH_LOG("cannot bind memory to node %d: %s", a, strerror(-ret));
	}
	checksum = mig_region_checksum(&self->region);
	/* A VMA policy opts the range out of NUMA balancing: drop it. */
	ret = mbind_default(self->region.addr, self->region.len);
	ASSERT_EQ(0, ret) {
		TH_LOG("mbind(MPOL_DEFAULT): %s", strerror(-ret));
	}
	ASSERT_EQ(0, mig_query_region(&self->region, self->status));
	ASSERT_EQ(0UL, mig_count_misplaced(self->status, npages, a, &first)) {
		TH_LOG("page %zu is not on node %d after filling (status %d)",
		       first, a, self->status[first]);
	}

	ASSERT_EQ(0, sched_setaffinity(0, sizeof(cpus), &cpus)) {
		TH_LOG("cannot move to the CPUs of node %d: %s", b,
		       strerror(errno));
	}

	migrated = vmstat_read("numa_pages_migrated");
	counters_begin(_metadata, self);
	t0 = mig_now_ns();
	do {
		/* The reads that fault the pages over, checked every pass. */
		sum = mig_region_checksum(&self->region);
		passes++;
		if (sum != checksum && !bad_passes++)
			bad_pages = mig_region_verify(&self->region, seed, &first);
		if (mig_query_region(&self->region, self->status))
			continue;
		on_b = npages - mig_count_misplaced(self->status, npages, b,
						    NULL);
		if (on_b * 100 >= npages * NUMA_DONE_PERCENT)
			break;
	} while (mig_now_ns() - t0 < NUMA_WAIT_NS);
	migrated = vmstat_read("numa_pages_migrated") - migrated;

	TH_LOG("%.1f s, %lu read passes: %zu of %zu pages on node %d, numa_pages_migrated +%lld",
	       (mig_now_ns() - t0) / 1e9, passes, on_b, npages, b, migrated);
	offloaded = counters_report(_metadata, self);

	ASSERT_EQ(0UL, bad_passes) {
		TH_LOG("%lu of %lu read passes saw bad data; first: %zu bad pages from page %zu",
		       bad_passes, passes, bad_pages, first);
	}
	bad_pages = mig_region_verify(&self->region, seed, &first);
	ASSERT_EQ(0UL, bad_pages) {
		TH_LOG("%zu pages differ at the end, first is page %zu",
		       bad_pages, first);
	}
	ASSERT_LT(0, migrated) {
		TH_LOG("NUMA balancing migrated no page");
	}
	ASSERT_LT(0UL, on_b) {
		TH_LOG("no page of the region reached node %d", b);
	}
	ASSERT_LT(0, offloaded) {
		TH_LOG("the broker copied no folio for class numa_misplaced");
	}
}

/* ---- memory hotplug -------------------------------------------------- */

/*
 * Pick the online Movable block, not tried yet, that holds most pages of
 * the region; blocks holding none come last.  Return its index in @ids, or
 * -1 when none is left.
 */
static int pick_block(const struct mig_region *r, uint64_t *pfn,
		      unsigned long block_pages, const int *ids, int nr,
		      bool *tried, size_t *ours)
{
	size_t i, npages = mig_region_pages(r);
	size_t *count;
	int k, best = -1;

	count = calloc(nr, sizeof(*count));
	if (count && block_pages && !region_pfns(r, pfn)) {
		for (i = 0; i < npages; i++) {
			uint64_t id = pfn[i] / block_pages;

			for (k = 0; k < nr && pfn[i]; k++) {
				if (ids[k] == (int)id) {
					count[k]++;
					break;
				}
			}
		}
	}
	for (k = 0; k < nr; k++) {
		if (tried[k] || !block_movable_online(ids[k]))
			continue;
		if (best < 0 || (count && count[k] > count[best]))
			best = k;
	}
	*ours = best >= 0 && count ? count[best] : 0;
	free(count);
	return best;
}

/*
 * Fill 256 MiB, much of it in ZONE_MOVABLE, and offline two online Movable
 * memory blocks, those holding most of the region first (up to four if the
 * first ones held none of it).  If no block holding pages of the region
 * goes offline, the case skips.  Otherwise the region's data must be
 * intact, pages must have migrated and the memory_hotplug class must have
 * been offloaded.
 */
TEST_F_TIMEOUT(reasons, memory_hotplug, CASE_TIMEOUT)
{
	static int ids[MAX_BLOCKS];
	static bool tried[MAX_BLOCKS];
	struct sigaction sa = { .sa_handler = on_alarm };
	size_t npages, ours, ours_total = 0, bad, first = 0;
	uint64_t seed = 0x686f74706c756700ULL, checksum, t0;
	unsigned long block_size, block_pages;
	int i, nr, k, candidates = 0, busy = 0, ret;
	long long migrated, offloaded;
	long left;
	char buf[64];

	if (!cmdline_has("movablecore="))
		SKIP(return, "no movablecore= on the kernel command line");
	nr = list_blocks(ids, MAX_BLOCKS);
	if (nr <= 0)
		SKIP(return, "no memory blocks in %s (CONFIG_MEMORY_HOTPLUG=n)",
		     MEMORY_SYSFS);
	for (i = 0; i < nr; i++)
		candidates += block_movable_online(ids[i]);
	if (!candidates)
		SKIP(return, "no online memory block with valid_zones Movable");
	if (mig_read_file(MEMORY_SYSFS "/block_size_bytes", buf, sizeof(buf)))
		SKIP(return, "no %s/block_size_bytes", MEMORY_SYSFS);
	block_size = strtoul(buf, NULL, 16);
	block_pages = block_size / getpagesize();

	prepare(_metadata, self, "memory_hotplug", "delayed");

	ret = mig_region_alloc(&self->region, HOTPLUG_REGION_SIZE,
			       MIG_BASE_PAGES);
	ASSERT_EQ(0, ret) {
		TH_LOG("cannot map %lu MiB: %s", HOTPLUG_REGION_SIZE >> 20,
		       strerror(-ret));
	}
	npages = mig_region_pages(&self->region);
	self->pfn = calloc(npages, sizeof(*self->pfn));
	ASSERT_NE(NULL, self->pfn);
	ASSERT_EQ(0, mig_region_fill(&self->region, seed, -1));
	checksum = mig_region_checksum(&self->region);

	/* No SA_RESTART: the alarm makes a stuck offline fail with EINTR. */
	ASSERT_EQ(0, sigaction(SIGALRM, &sa, NULL));

	migrated = vmstat_read("pgmigrate_success");
	counters_begin(_metadata, self);
	t0 = mig_now_ns();
	while (self->nr_offlined < HOTPLUG_MAX_OFFLINE &&
	       (self->nr_offlined < HOTPLUG_WANT_OFFLINE || !ours_total)) {
		left = HOTPLUG_WAIT_S - (long)((mig_now_ns() - t0) / NSEC_PER_SEC);
		if (left <= 0)
			break;
		k = pick_block(&self->region, self->pfn, block_pages, ids, nr,
			       tried, &ours);
		if (k < 0)
			break;
		tried[k] = true;
		alarm(left < HOTPLUG_OFFLINE_S ? left : HOTPLUG_OFFLINE_S);
		ret = block_set_state(ids[k], "offline");
		alarm(0);
		if (ret) {
			TH_LOG("offline memory%d (%zu of our pages): %s",
			       ids[k], ours, strerror(-ret));
			busy++;
			continue;
		}
		self->offlined[self->nr_offlined++] = ids[k];
		ours_total += ours;
		TH_LOG("memory%d offline, it held %zu of our %zu pages",
		       ids[k], ours, npages);
	}
	migrated = vmstat_read("pgmigrate_success") - migrated;
	TH_LOG("%.1f s: %d block(s) offlined, %d failed; pgmigrate_success +%lld",
	       (mig_now_ns() - t0) / 1e9, self->nr_offlined, busy, migrated);
	offloaded = counters_report(_metadata, self);

	if (!self->nr_offlined)
		SKIP(return, "none of %d online Movable memory blocks could be offlined",
		     candidates);
	/* Nothing of ours migrated: the checks below would prove nothing. */
	if (!ours_total)
		SKIP(return, "%d block(s) offline, none held our pages (pgmigrate_success +%lld)",
		     self->nr_offlined, migrated);

	bad = mig_region_verify(&self->region, seed, &first);
	ASSERT_EQ(0UL, bad) {
		TH_LOG("%zu of %zu pages differ after offlining, first is page %zu",
		       bad, npages, first);
	}
	ASSERT_EQ(checksum, mig_region_checksum(&self->region));
	ASSERT_LT(0, migrated) {
		TH_LOG("offlining migrated no page");
	}
	ASSERT_LT(0, offloaded) {
		TH_LOG("the broker copied no folio for class memory_hotplug");
	}
}

/* ---- demotion -------------------------------------------------------- */

/*
 * Find the demotion layout: @src, a node of the fastest memory tier with
 * CPUs, and the memory nodes of slower tiers in @slow.  Return the number
 * of slow nodes, or 0 with @why set.
 */
static int tiering_layout(FIXTURE_DATA(reasons) *self, int *src, int *slow,
			  char *why, size_t why_len)
{
	static bool bits[MAX_LIST];
	int tier, top = -1, tiers = 0, nr_slow = 0, nid;
	char path[512], buf[4096];
	struct dirent *de;
	cpu_set_t cpus;
	char tail;
	DIR *dir;

	*src = -1;
	dir = opendir(TIERING_SYSFS);
	if (!dir) {
		snprintf(why, why_len, "no %s", TIERING_SYSFS);
		return 0;
	}
	/* Tier ids grow with abstract distance: the lowest is the fastest. */
	while ((de = readdir(dir))) {
		if (sscanf(de->d_name, "memory_tier%d%c", &tier, &tail) != 1)
			continue;
		tiers++;
		if (top < 0 || tier < top)
			top = tier;
	}
	rewinddir(dir);
	while ((de = readdir(dir))) {
		if (sscanf(de->d_name, "memory_tier%d%c", &tier, &tail) != 1)
			continue;
		snprintf(path, sizeof(path), TIERING_SYSFS "/%s/nodelist",
			 de->d_name);
		if (mig_read_file(path, buf, sizeof(buf)) ||
		    parse_list(buf, bits, MAX_LIST) < 0)
			continue;
		for (nid = 0; nid < MAX_LIST; nid++) {
			if (!bits[nid] || !node_is(self->nodes, self->nr_nodes, nid))
				continue;
			if (tier != top && nr_slow < MAX_TEST_NODES)
				slow[nr_slow++] = nid;
			else if (tier == top && *src < 0 && node_cpus(nid, &cpus))
				*src = nid;
		}
	}
	closedir(dir);
	if (tiers < 2)
		snprintf(why, why_len, "%d memory tier(s) in %s, need 2",
			 tiers, TIERING_SYSFS);
	else if (*src < 0)
		snprintf(why, why_len, "no top tier memory node with a CPU");
	else if (!nr_slow)
		snprintf(why, why_len, "no memory node in a lower tier");
	else
		return nr_slow;
	return 0;
}

/*
 * The child of the demotion case: bind a region of @len bytes to @src and
 * fill it, so that reclaim has to demote; then check every page and where
 * it ended up.  Dies by the OOM killer if demotion does not make room.
 */
static void demote_child(size_t len, int src, const int *slow, int nr_slow,
			 uint64_t seed, struct demote_result *res)
{
	struct mig_region r;
	size_t i, n;
	uint64_t t0;
	int *status;
	int ret;

	res->stage = 1;
	ret = mig_region_alloc(&r, len, MIG_BASE_PAGES);
	if (ret)
		goto fail;
	n = mig_region_pages(&r);
	res->npages = n;
	status = calloc(n, sizeof(*status));
	ret = -ENOMEM;
	if (!status)
		goto fail;

	res->stage = 2;
	t0 = mig_now_ns();
	ret = mig_region_fill(&r, seed, src);
	if (ret)
		goto fail;
	res->fill_ns = mig_now_ns() - t0;

	res->stage = 3;
	t0 = mig_now_ns();
	res->bad = mig_region_verify(&r, seed, &res->first_bad);
	res->verify_ns = mig_now_ns() - t0;

	res->stage = 4;
	ret = mig_query_region(&r, status);
	if (ret)
		goto fail;
	for (i = 0; i < n; i++) {
		if (status[i] == src)
			res->on_src++;
		else if (node_is(slow, nr_slow, status[i]))
			res->on_slow++;
		else
			res->elsewhere++;
	}
	res->done = true;
	_exit(0);
fail:
	res->error = ret;
	_exit(1);
}

/*
 * With demotion enabled, a child bound to a top tier node fills more
 * memory than the node has free (MemFree + 300 MiB, so that it fits in the
 * node plus the slow nodes), then checks every page.  The child must not be
 * OOM killed, all pages must hold their data, some must be on a slow node,
 * pgdemote_* must have grown and the demotion class must have been
 * offloaded.
 */
TEST_F_TIMEOUT(reasons, demotion, CASE_TIMEOUT)
{
	static const char * const stage_names[] = {
		"start", "map", "fill", "verify", "query",
	};
	uint64_t seed = 0x64656d6f74650000ULL, t0;
	long long free_src, free_slow = 0, demoted, offloaded, m;
	int slow[MAX_TEST_NODES], nr_slow, src, i, status = 0;
	struct demote_result *res;
	size_t len, cap, page = getpagesize();
	char why[128], buf[32];
	bool timed_out = false;
	pid_t pid;

	if (access(DEMOTION_PATH, W_OK) ||
	    mig_read_file(DEMOTION_PATH, buf, sizeof(buf)))
		SKIP(return, "no %s (no memory tiering)", DEMOTION_PATH);
	nr_slow = tiering_layout(self, &src, slow, why, sizeof(why));
	if (!nr_slow)
		SKIP(return, "not a memory tiering layout: %s", why);
	if (vmstat_pgdemote() < 0)
		SKIP(return, "no pgdemote_* in /proc/vmstat");

	free_src = node_meminfo(src, "MemFree");
	for (i = 0; i < nr_slow; i++) {
		m = node_meminfo(slow[i], "MemFree");
		free_slow += m > 0 ? m : 0;
	}
	if (free_src <= 0)
		SKIP(return, "cannot read MemFree of node %d", src);
	len = free_src + DEMOTE_EXTRA;
	cap = free_src + free_slow > DEMOTE_SLOW_RESERVE ?
	      free_src + free_slow - DEMOTE_SLOW_RESERVE : 0;
	if (len > cap)
		len = cap;
	len &= ~(page - 1);
	if (len < free_src + DEMOTE_MIN_EXTRA)
		SKIP(return, "slow node(s) have only %lld MiB free", free_slow >> 20);

	prepare(_metadata, self, "demotion", "instant");

	snprintf(self->old_demotion, sizeof(self->old_demotion), "%s",
		 rstrip(buf));
	ASSERT_EQ(0, offctl_write(DEMOTION_PATH, "true"));

	res = mmap(NULL, sizeof(*res), PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, res);
	self->result = res;
	memset(res, 0, sizeof(*res));

	TH_LOG("node %d: %lld MiB free; %d slow node(s), first %d: %lld MiB free",
	       src, free_src >> 20, nr_slow, slow[0], free_slow >> 20);
	TH_LOG("filling %zu MiB bound to node %d", len >> 20, src);

	demoted = vmstat_pgdemote();
	counters_begin(_metadata, self);
	t0 = mig_now_ns();
	fflush(NULL);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		demote_child(len, src, slow, nr_slow, seed, res);
	self->child = pid;

	while (waitpid(pid, &status, WNOHANG) == 0) {
		if (mig_now_ns() - t0 > DEMOTE_WAIT_NS) {
			timed_out = true;
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			break;
		}
		usleep(100000);
	}
	self->child = 0;
	ASSERT_FALSE(timed_out) {
		TH_LOG("child killed, still at step %s after %llu s",
		       stage_names[res->stage], DEMOTE_WAIT_NS / NSEC_PER_SEC);
	}
	demoted = vmstat_pgdemote() - demoted;

	TH_LOG("%.1f s (fill %.1f s, verify %.1f s): pgdemote_* +%lld",
	       (mig_now_ns() - t0) / 1e9, res->fill_ns / 1e9,
	       res->verify_ns / 1e9, demoted);
	TH_LOG("pages on node %d: %zu, on slow nodes: %zu, elsewhere: %zu",
	       src, res->on_src, res->on_slow, res->elsewhere);
	offloaded = counters_report(_metadata, self);

	ASSERT_TRUE(WIFEXITED(status) && res->done) {
		if (WIFSIGNALED(status))
			TH_LOG("child killed by signal %d at step %s%s",
			       WTERMSIG(status), stage_names[res->stage],
			       WTERMSIG(status) == SIGKILL ?
			       " (OOM killer: demotion did not make room?)" : "");
		else
			TH_LOG("child failed at step %s: %s",
			       stage_names[res->stage], strerror(-res->error));
	}
	ASSERT_EQ(0UL, res->bad) {
		TH_LOG("%zu of %zu pages differ, first is page %zu",
		       res->bad, res->npages, res->first_bad);
	}
	ASSERT_LT(0, demoted) {
		TH_LOG("reclaim demoted no page");
	}
	ASSERT_LT(0UL, res->on_slow) {
		TH_LOG("no page of the region is on a slow node");
	}
	ASSERT_LT(0, offloaded) {
		TH_LOG("the broker copied no folio for class demotion");
	}
}

int main(int argc, char **argv)
{
	const char *why;

	/*
	 * The harness counts skipped tests as passed and exits 0 even if all
	 * of them skipped.  Run without arguments, as the kselftest runner
	 * does, a kernel without the broker or its test engines skips the
	 * whole program instead.
	 */
	why = broker_unavailable();
	if (argc == 1 && why) {
		ksft_print_header();
		ksft_exit_skip("%s\n", why);
	}
	if (!why) {
		save_orig_state();
		atexit(restore_orig_state);
	}
	return test_harness_run(argc, argv);
}
