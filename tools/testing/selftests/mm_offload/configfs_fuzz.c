// SPDX-License-Identifier: GPL-2.0
/*
 * configfs_fuzz - malformed writes and link operations on mm/offload's
 * configfs tree must fail and change nothing.
 *
 *   configfs_fuzz [-n OPS] [-s SEED]
 *
 * Sets up a known configuration (two test engines, routes with links,
 * tunables), snapshots every attribute an admin can change and every
 * route link, then runs OPS (default 10000) random operations, each of
 * which must fail: malformed values (binary bytes, overlong strings,
 * numbers out of range or not numbers, unknown modes, orders that are not
 * a permutation of the route's engines), links to things that are not
 * engines, duplicate links, links into the wrong place, mkdir, rmdir and
 * unlink where nothing may be made or removed.  The snapshot afterwards
 * must be byte for byte the same.  Kernel splats are caught by the guest's
 * log check.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../kselftest.h"

#define CFS		"/sys/kernel/config/offload"
#define CONTROL		"/sys/kernel/debug/offload_test_engine/control"
#define SNAP_MAX	(1 << 20)

static const char *const reasons[] = {
	"compaction", "memory_failure", "memory_hotplug", "syscall_or_cpuset",
	"mempolicy_mbind", "numa_misplaced", "contig_range", "longterm_pin",
	"demotion", "damon", "generic",
};

#define NR_REASONS	ARRAY_SIZE(reasons)

static const char *const engines[] = { "fuzza", "fuzzb" };

/* Writable attributes, with the largest value each accepts (or 0). */
static const struct {
	const char *name;
	unsigned long max;
} route_attrs[] = {
	{ "mode", 0 }, { "min_batch", 1048576 }, { "async_ms", 60000 },
	{ "order", 0 },
}, engine_attrs[] = {
	{ "enabled", 0 }, { "weight", 1000000 }, { "min_batch", 1048576 },
	{ "max_inflight", 1000000 }, { "timeout_ms", 600000 },
};

static unsigned int seed = 1;

static unsigned int rnd(unsigned int n)
{
	seed = seed * 1103515245 + 12345;
	return (seed >> 8) % n;
}

/*
 * Write @len bytes of @val to @path: 0, -errno, or the bytes the kernel
 * took of a write it cut short (which it also accepted).
 */
static int put(const char *path, const void *val, size_t len)
{
	int fd = open(path, O_WRONLY);
	ssize_t n;
	int err = 0;

	if (fd < 0)
		return -errno;
	n = write(fd, val, len);
	if (n < 0)
		err = -errno;
	else if ((size_t)n != len)
		err = n;
	if (close(fd) && !err)
		err = -errno;
	return err;
}

static int puts_path(const char *val, const char *fmt, ...)
{
	char path[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	return put(path, val, strlen(val));
}

/* Append the contents of @path to the snapshot. */
static void snap_file(char *snap, size_t *len, const char *path)
{
	char buf[4096];
	ssize_t n;
	int fd;

	*len += snprintf(snap + *len, SNAP_MAX - *len, "%s=", path);
	fd = open(path, O_RDONLY);
	n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
	if (fd >= 0)
		close(fd);
	if (n < 0)
		n = snprintf(buf, sizeof(buf), "<%s>\n", strerror(errno));
	buf[n] = '\0';
	*len += snprintf(snap + *len, SNAP_MAX - *len, "%s", buf);
}

/* Every admin-settable value and every route link, as one string. */
static char *snapshot(void)
{
	char *snap = calloc(1, SNAP_MAX), path[512], target[512];
	size_t len = 0, i, j;
	ssize_t n;

	if (!snap)
		ksft_exit_fail_msg("out of memory\n");
	snap_file(snap, &len, CFS "/locked");
	for (i = 0; i < NR_REASONS; i++) {
		for (j = 0; j < 4; j++) {
			snprintf(path, sizeof(path), CFS "/routes/%s/%s",
				 reasons[i], route_attrs[j].name);
			snap_file(snap, &len, path);
		}
		for (j = 0; j < 2; j++) {
			snprintf(path, sizeof(path),
				 CFS "/routes/%s/engines/%s", reasons[i],
				 engines[j]);
			n = readlink(path, target, sizeof(target) - 1);
			target[n < 0 ? 0 : n] = '\0';
			len += snprintf(snap + len, SNAP_MAX - len, "%s->%s\n",
					path, target);
		}
	}
	for (i = 0; i < 2; i++) {
		for (j = 0; j < 5; j++) {
			snprintf(path, sizeof(path), CFS "/engines/%s/%s",
				 engines[i], engine_attrs[j].name);
			snap_file(snap, &len, path);
		}
	}
	return snap;
}

/* A value @attr must refuse, into @buf; returns its length. */
static size_t bad_value(const char *attr, unsigned long max, char *buf,
			size_t size)
{
	static const char *const junk[] = {
		"\n", "-1", "4294967296", "99999999999999999999", "1e3",
		"0x", "12abc", " ", "prefered", "REQUIRE", "off;", "cpu cpu",
		"nosuch", "fuzza fuzza", "fuzza nosuch", "y", "maybe", "2",
	};
	size_t len, i;

	switch (rnd(4)) {
	case 0:		/* binary bytes, starting with a non-digit */
		len = 1 + rnd(64);
		for (i = 0; i < len; i++)
			buf[i] = rnd(256);
		buf[0] = 0x80 | rnd(128);
		return len;
	case 1:		/* overlong: its first page alone may be valid */
		len = 300 + rnd(8000);
		if (len > size)
			len = size;
		memset(buf, "0123456789ynft"[rnd(14)], len);
		return len;
	case 2:		/* out of range */
		if (max)
			return snprintf(buf, size, "%lu", max + 1 + rnd(1000));
		break;		/* no range: junk */
	default:
		break;
	}
	for (;;) {
		const char *j = junk[rnd(ARRAY_SIZE(junk))];

		/*
		 * Some junk is a valid boolean (kstrtobool() looks at the
		 * first characters only), a number in range, or an order
		 * for a route without engines.
		 */
		if (!strcmp(attr, "enabled") &&
		    strchr("yYtTnNfF01oO\n", j[0]))
			continue;
		if (max && !strcmp(j, "2"))
			continue;
		if (!strcmp(attr, "order") &&
		    (!strcmp(j, "\n") || !strcmp(j, " ")))
			continue;
		return snprintf(buf, size, "%s", j);
	}
}

static unsigned int unexpected;

static void expect_fail(int ret, const char *what)
{
	if (ret >= 0) {
		unexpected++;
		ksft_print_msg("accepted: %s\n", what);
	}
}

/* One operation that must fail. */
static void fuzz_one(void)
{
	static char buf[8192];
	const char *reason = reasons[rnd(NR_REASONS)];
	const char *eng = engines[rnd(2)];
	char path[512], what[600];
	size_t len;
	unsigned int a;

	switch (rnd(8)) {
	case 0: case 1: case 2:
		a = rnd(4);
		len = bad_value(route_attrs[a].name, route_attrs[a].max, buf,
				sizeof(buf));
		snprintf(path, sizeof(path), CFS "/routes/%s/%s", reason,
			 route_attrs[a].name);
		snprintf(what, sizeof(what), "%zu bytes to %s", len, path);
		expect_fail(put(path, buf, len), what);
		break;
	case 3: case 4:
		a = rnd(5);
		len = bad_value(engine_attrs[a].name, engine_attrs[a].max, buf,
				sizeof(buf));
		snprintf(path, sizeof(path), CFS "/engines/%s/%s", eng,
			 engine_attrs[a].name);
		snprintf(what, sizeof(what), "%zu bytes to %s", len, path);
		expect_fail(put(path, buf, len), what);
		break;
	case 5: {
		static const char *const targets[] = {
			CFS "/routes/demotion", CFS "/engines", CFS "/routes",
			CFS "/routes/compaction/engines", "/tmp",
			CFS "/engines/nosuch", CFS, CFS "/locked",
			CFS "/engines/fuzza",	/* linked: a duplicate */
		};
		const char *t = targets[rnd(ARRAY_SIZE(targets))];

		snprintf(path, sizeof(path), CFS "/routes/%s/engines/fz%u",
			 rnd(2) ? "syscall_or_cpuset" : "demotion", rnd(100));
		snprintf(what, sizeof(what), "link %s -> %s", path, t);
		expect_fail(symlink(t, path), what);
		break;
	}
	case 6:
		snprintf(path, sizeof(path), "%s/%s/fz%u", CFS,
			 rnd(2) ? "engines" : "routes", rnd(100));
		snprintf(what, sizeof(what), "mkdir %s", path);
		expect_fail(mkdir(path, 0755), what);
		break;
	default:
		snprintf(path, sizeof(path), rnd(2) ? CFS "/engines/%s" :
			 CFS "/routes/%s", rnd(2) ? eng : reason);
		snprintf(what, sizeof(what), "rmdir %s", path);
		expect_fail(rmdir(path), what);
		snprintf(path, sizeof(path), CFS "/routes/%s/mode", reason);
		snprintf(what, sizeof(what), "unlink %s", path);
		expect_fail(unlink(path), what);
		break;
	}
}

/* The known configuration the fuzz must leave alone. */
static void setup(void)
{
	char path[512];
	int i;

	for (i = 0; i < 2; i++) {
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "add %s kind=instant node=%d large=1",
			 engines[i], i);
		if (puts_path(cmd, CONTROL))
			ksft_exit_skip("cannot add test engines (%s)\n",
				       CONTROL);
	}
	/* The groups come from a work item. */
	for (i = 0; i < 100; i++) {
		if (!access(CFS "/engines/fuzzb/state", R_OK))
			break;
		usleep(100000);
	}
	if (symlink(CFS "/engines/fuzza",
		    CFS "/routes/syscall_or_cpuset/engines/fuzza") ||
	    symlink(CFS "/engines/fuzzb",
		    CFS "/routes/syscall_or_cpuset/engines/fuzzb") ||
	    symlink(CFS "/engines/fuzza",
		    CFS "/routes/demotion/engines/fuzza"))
		ksft_exit_fail_msg("cannot link test engines: %s\n",
				   strerror(errno));
	if (puts_path("fuzzb fuzza", CFS "/routes/syscall_or_cpuset/order") ||
	    puts_path("require", CFS "/routes/demotion/mode") ||
	    puts_path("7", CFS "/routes/demotion/min_batch") ||
	    puts_path("250", CFS "/engines/fuzzb/weight") ||
	    puts_path("0", CFS "/engines/fuzza/enabled"))
		ksft_exit_fail_msg("cannot set up the routes\n");
	snprintf(path, sizeof(path), CFS "/routes/demotion/engines/fuzza");
	if (access(path, F_OK))
		ksft_exit_fail_msg("%s missing\n", path);
}

static void teardown(void)
{
	unlink(CFS "/routes/syscall_or_cpuset/engines/fuzza");
	unlink(CFS "/routes/syscall_or_cpuset/engines/fuzzb");
	unlink(CFS "/routes/demotion/engines/fuzza");
	puts_path("prefer", CFS "/routes/demotion/mode");
	puts_path("32", CFS "/routes/demotion/min_batch");
	puts_path("del fuzza", CONTROL);
	puts_path("del fuzzb", CONTROL);
}

int main(int argc, char **argv)
{
	unsigned long ops = 10000, i;
	char *before, *after;
	int opt;

	while ((opt = getopt(argc, argv, "n:s:")) != -1) {
		if (opt == 'n')
			ops = strtoul(optarg, NULL, 0);
		else if (opt == 's')
			seed = strtoul(optarg, NULL, 0);
		else
			return 2;
	}
	ksft_print_header();
	if (access(CFS, F_OK))
		ksft_exit_skip("no %s\n", CFS);
	if (system("modprobe offload_test_engine 2>/dev/null"))
		ksft_exit_skip("no offload_test_engine module\n");
	ksft_set_plan(2);
	setup();
	before = snapshot();
	for (i = 0; i < ops; i++)
		fuzz_one();
	after = snapshot();
	ksft_test_result(!unexpected, "%lu malformed operations all refused\n",
			 ops);
	if (strcmp(before, after))
		ksft_print_msg("before:\n%s\nafter:\n%s\n", before, after);
	ksft_test_result(!strcmp(before, after),
			 "configuration unchanged, byte for byte\n");
	teardown();
	ksft_finished();
}
