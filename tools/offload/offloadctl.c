// SPDX-License-Identifier: GPL-2.0
/*
 * offloadctl - show and set the configuration of the mm/offload copy broker
 *
 * Everything goes through the configfs tree described in
 * Documentation/ABI/testing/configfs-offload.  The tool keeps no state: a
 * command reads the tree, makes each change with one open/write/close of
 * one attribute (or one symlink or unlink), and stops at the first error.
 * See offloadctl(8).
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#define DEFAULT_ROOT	"/sys/kernel/config/offload"
#define NAME_LEN	32	/* ABI: names are at most 31 characters */
#define NAME_CHARS	"ABCDEFGHIJKLMNOPQRSTUVWXYZ" \
			"abcdefghijklmnopqrstuvwxyz0123456789_.-"
#define VAL_LEN		4096	/* a configfs attribute is at most a page */
#define MAX_STATS	32
#define MAX_LINKS	8	/* ABI: engines a route may link */
#define DIR_LEN		64	/* "routes/<name>/engines" and less */
/* An engine's group follows its registration: wait for it this long. */
#define GROUP_WAIT_TRIES	10
#define GROUP_WAIT_US	100000

#define __noreturn	__attribute__((noreturn))
#define __printf(a, b)	__attribute__((format(printf, a, b)))

static bool json, verbose;
static const char *root = DEFAULT_ROOT;
static int root_fd = -1;

static const char *const modes[] = { "off", "cpu", "prefer", "require", NULL };
static const char *const engine_keys[] = {
	"enabled", "weight", "min_batch", "max_inflight", "timeout_ms", NULL
};

/* Stats that are levels, not counters: shown as is, never as deltas. */
static const char *const gauges[] = { "inflight", NULL };

struct stat_val {
	char name[NAME_LEN];
	unsigned long long val;
};

struct stats {
	int n;
	struct stat_val v[MAX_STATS];
};

struct engine {
	char name[NAME_LEN], kind[NAME_LEN], state[NAME_LEN];
	long node, enabled, weight, min_batch, max_inflight, timeout_ms;
	struct stats stats;
};

struct route {
	char reason[NAME_LEN], mode[NAME_LEN];
	long min_batch, async_ms;
	int n;				/* engines in order[] */
	char order[MAX_LINKS][NAME_LEN];
	struct stats stats;
};

struct snapshot {
	bool locked;
	char default_mode[NAME_LEN];
	int ne, nr;
	struct engine *e;
	struct route *r;
};

static const char usage_text[] =
"Usage: offloadctl [OPTIONS] COMMAND [ARGS]\n"
"\n"
"Show and set the mm/offload copy broker configuration.\n"
"\n"
"Commands:\n"
"  status              engines by NUMA node, then the route of every reason\n"
"  stats [--watch [SECONDS]] [--count N]\n"
"                      engine and route counters; --watch shows the change\n"
"                      every SECONDS (default 1), --count stops after N\n"
"  route [--min-batch N] [--async-ms N] REASON MODE [ENGINE...]\n"
"                      set the route of REASON: MODE is off, cpu, prefer or\n"
"                      require; its engines become exactly ENGINE..., tried\n"
"                      in that order (none: every engine in prefer mode)\n"
"  engine NAME KEY=VALUE...\n"
"                      set engine tunables: enabled, weight, min_batch,\n"
"                      max_inflight, timeout_ms\n"
"  lock                lock the configuration until reboot\n"
"  help                show this help\n"
"\n"
"Options:\n"
"  -j, --json          JSON output (status, stats)\n"
"  -v, --verbose       log every change to stderr\n"
"  -h, --help          show this help\n"
"\n"
"Reasons: compaction memory_failure memory_hotplug syscall_or_cpuset\n"
"  mempolicy_mbind numa_misplaced contig_range longterm_pin demotion damon\n"
"  generic\n"
"\n"
"OFFLOAD_CONFIGFS overrides the directory (" DEFAULT_ROOT ").\n";

static void usage(FILE *f)
{
	fputs(usage_text, f);
}

static void vmsg(const char *fmt, va_list ap)
{
	fflush(stdout);
	fputs("offloadctl: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

/* An error of the system: exit 1. */
static void __noreturn __printf(1, 2) die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(fmt, ap);
	va_end(ap);
	exit(1);
}

/* An error of the command line: exit 2. */
static void __noreturn __printf(1, 2) usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	usage(stderr);
	exit(2);
}

static void *xrealloc(void *p, size_t size)
{
	p = realloc(p, size);
	if (!p)
		die("out of memory");
	return p;
}

static bool in_list(const char *const *list, const char *s)
{
	for (; *list; list++)
		if (!strcmp(*list, s))
			return true;
	return false;
}

static bool in_array(char *const *v, int n, const char *s)
{
	while (n--)
		if (!strcmp(v[n], s))
			return true;
	return false;
}

static bool valid_name(const char *s)
{
	size_t len = strlen(s);

	return len && len < NAME_LEN && strspn(s, NAME_CHARS) == len &&
	       strcmp(s, ".") && strcmp(s, "..");
}

static bool is_dir(const char *path)
{
	struct stat st;

	return !stat(path, &st) && S_ISDIR(st.st_mode);
}

static unsigned long parse_num(const char *s, const char *what)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (!isdigit((unsigned char)*s) || *end || errno)
		usage_error("%s: not a number: \"%s\"", what, s);
	return v;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted names in @dir, without "." and "..", NULL-terminated. */
static char **list_dir(const char *dir, int *count)
{
	struct dirent *de;
	char **names = NULL;
	int n = 0;
	DIR *d;

	d = opendir(dir);
	if (!d)
		die("%s: %s", dir, strerror(errno));
	for (;;) {
		de = readdir(d);
		names = xrealloc(names, (n + 1) * sizeof(*names));
		if (!de)
			break;
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		names[n] = strdup(de->d_name);
		if (!names[n++])
			die("out of memory");
	}
	closedir(d);
	names[n] = NULL;
	qsort(names, n, sizeof(*names), cmp_str);
	if (count)
		*count = n;
	return names;
}

static void free_list(char **names)
{
	char **p;

	for (p = names; *p; p++)
		free(*p);
	free(names);
}

/*
 * Attribute layer.  The current directory is the root of the tree, so
 * every path is relative to it and error messages name it that way.
 */

/* Read attribute @path without its trailing newline; -errno on error. */
static int attr_read(const char *path, char *buf, size_t size)
{
	size_t len = 0;
	ssize_t n;
	int fd, err = 0;

	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -errno;
	while (len < size - 1) {
		n = read(fd, buf + len, size - 1 - len);
		if (n <= 0) {
			err = n ? -errno : 0;
			break;
		}
		len += n;
	}
	close(fd);
	while (len && buf[len - 1] == '\n')
		len--;
	buf[len] = '\0';
	return err;
}

/* Why a write or link operation may have failed. */
static const char *hint(int err)
{
	char locked[8];

	switch (err) {
	case EPERM:
		if (attr_read("locked", locked, sizeof(locked)))
			return " (configuration locked? not root?)";
		if (!strcmp(locked, "1"))
			return " (configuration locked)";
		return " (not root?)";
	case EACCES:
		return " (not root?)";
	case E2BIG:
		return " (too many engines on the route)";
	}
	return "";
}

/* Write @val and a newline to @path with one write(). */
static void attr_write(const char *path, const char *val)
{
	char buf[VAL_LEN];
	int len, fd, err = 0;
	ssize_t n;

	if (verbose)
		fprintf(stderr, "write %s \"%s\"\n", path, val);
	len = snprintf(buf, sizeof(buf), "%s\n", val);
	if (len >= (int)sizeof(buf))
		die("%s: value too long", path);
	fd = open(path, O_WRONLY | O_TRUNC);
	if (fd < 0) {
		err = errno;
	} else {
		n = write(fd, buf, len);
		if (n < 0)
			err = errno;
		else if (n != len)
			err = EIO;
		if (close(fd) && !err)
			err = errno;
	}
	if (err)
		die("%s: write \"%s\": %s%s", path, val, strerror(err),
		    hint(err));
}

/*
 * Read @dir/@attr.  Only -ENOENT is returned, for an engine group that
 * went away while being read; other errors end the program.
 */
static int get_str(const char *dir, const char *attr, char *buf, size_t size)
{
	char path[PATH_MAX];
	int err;

	snprintf(path, sizeof(path), "%s%s%s", dir, *dir ? "/" : "", attr);
	err = attr_read(path, buf, size);
	if (err && err != -ENOENT)
		die("%s: read: %s", path, strerror(-err));
	return err;
}

static int get_num(const char *dir, const char *attr, long *val)
{
	char buf[32], *end;
	int err;

	err = get_str(dir, attr, buf, sizeof(buf));
	if (err)
		return err;
	errno = 0;
	*val = strtol(buf, &end, 10);
	if (end == buf || *end || errno)
		die("%s/%s: unexpected value \"%s\"", dir, attr, buf);
	return 0;
}

/* Read "name value" lines; lines of another form are skipped. */
static int get_stats(const char *dir, struct stats *st)
{
	char buf[VAL_LEN], *line, *save;
	struct stat_val *v;
	int err;

	st->n = 0;
	err = get_str(dir, "stats", buf, sizeof(buf));
	if (err)
		return err;
	for (line = strtok_r(buf, "\n", &save); line && st->n < MAX_STATS;
	     line = strtok_r(NULL, "\n", &save)) {
		v = &st->v[st->n];
		if (sscanf(line, "%31s %llu", v->name, &v->val) == 2)
			st->n++;
	}
	return 0;
}

static const struct stat_val *stat_find(const struct stats *st,
					const char *name)
{
	int i;

	for (i = 0; i < st->n; i++)
		if (!strcmp(st->v[i].name, name))
			return &st->v[i];
	return NULL;
}

/*
 * Value of @name in @cur, less its value in @prev if there is one.  A
 * counter that went back was reset (the engine registered again).
 */
static bool stat_get(const struct stats *cur, const struct stats *prev,
		     const char *name, unsigned long long *val)
{
	const struct stat_val *c = stat_find(cur, name), *p;

	if (!c)
		return false;
	*val = c->val;
	p = prev ? stat_find(prev, name) : NULL;
	if (p && p->val <= c->val && !in_list(gauges, name))
		*val -= p->val;
	return true;
}

/* Snapshot of the whole tree. */

static bool engine_load(struct engine *e, const char *name)
{
	char dir[DIR_LEN];

	snprintf(dir, sizeof(dir), "engines/%s", name);
	snprintf(e->name, sizeof(e->name), "%s", name);
	return !(get_num(dir, "node", &e->node) ||
		 get_str(dir, "kind", e->kind, sizeof(e->kind)) ||
		 get_str(dir, "state", e->state, sizeof(e->state)) ||
		 get_num(dir, "enabled", &e->enabled) ||
		 get_num(dir, "weight", &e->weight) ||
		 get_num(dir, "min_batch", &e->min_batch) ||
		 get_num(dir, "max_inflight", &e->max_inflight) ||
		 get_num(dir, "timeout_ms", &e->timeout_ms) ||
		 get_stats(dir, &e->stats));
}

static void route_load(struct route *r, const char *reason)
{
	char dir[DIR_LEN], order[VAL_LEN], *tok, *save;

	snprintf(dir, sizeof(dir), "routes/%s", reason);
	snprintf(r->reason, sizeof(r->reason), "%s", reason);
	if (get_str(dir, "mode", r->mode, sizeof(r->mode)) ||
	    get_num(dir, "min_batch", &r->min_batch) ||
	    get_num(dir, "async_ms", &r->async_ms) ||
	    get_str(dir, "order", order, sizeof(order)) ||
	    get_stats(dir, &r->stats))
		die("%s: incomplete route group", dir);
	r->n = 0;
	for (tok = strtok_r(order, " \t", &save); tok;
	     tok = strtok_r(NULL, " \t", &save)) {
		if (r->n == MAX_LINKS)
			die("%s/order: more than %d engines", dir, MAX_LINKS);
		snprintf(r->order[r->n++], NAME_LEN, "%s", tok);
	}
}

/* By node, engines of no node (-1) last, then by name. */
static int cmp_engine(const void *a, const void *b)
{
	const struct engine *x = a, *y = b;

	if (x->node != y->node)
		return (unsigned long)x->node < (unsigned long)y->node ? -1 : 1;
	return strcmp(x->name, y->name);
}

static void snap_load(struct snapshot *s)
{
	long locked;
	char **names;
	int i, n;

	memset(s, 0, sizeof(*s));
	if (get_num("", "locked", &locked) ||
	    get_str("", "default_mode", s->default_mode,
		    sizeof(s->default_mode)))
		die("%s: incomplete offload configfs tree", root);
	s->locked = locked;

	names = list_dir("engines", &n);
	s->e = xrealloc(NULL, (n + 1) * sizeof(*s->e));
	for (i = 0; i < n; i++)
		if (engine_load(&s->e[s->ne], names[i]))
			s->ne++;
	free_list(names);
	qsort(s->e, s->ne, sizeof(*s->e), cmp_engine);

	names = list_dir("routes", &n);
	s->r = xrealloc(NULL, (n + 1) * sizeof(*s->r));
	for (s->nr = 0; s->nr < n; s->nr++)
		route_load(&s->r[s->nr], names[s->nr]);
	free_list(names);
}

static void snap_free(struct snapshot *s)
{
	free(s->e);
	free(s->r);
}

static const struct stats *engine_stats(const struct snapshot *s,
					const char *name)
{
	int i;

	for (i = 0; s && i < s->ne; i++)
		if (!strcmp(s->e[i].name, name))
			return &s->e[i].stats;
	return NULL;
}

static const struct stats *route_stats(const struct snapshot *s,
				       const char *reason)
{
	int i;

	for (i = 0; s && i < s->nr; i++)
		if (!strcmp(s->r[i].reason, reason))
			return &s->r[i].stats;
	return NULL;
}

/* What the engines of a route are, for people. */
static const char *route_engines(const struct route *r, char *buf,
				 size_t size)
{
	size_t len = 0;
	int i;

	if (!r->n)
		return !strcmp(r->mode, "require") ? "none" :
		       !strcmp(r->mode, "prefer") ? "all" : "-";
	buf[0] = '\0';
	for (i = 0; i < r->n; i++)
		len += snprintf(buf + len, size - len, "%s%s", i ? " " : "",
				r->order[i]);
	return buf;
}

/*
 * Table printer: cells are added row by row, the first row is the
 * header.  Columns are as wide as their widest cell; columns of numbers
 * are aligned right.
 */
struct table {
	int ncols, n;
	char **cell;
};

static void __printf(2, 3) tcell(struct table *t, const char *fmt, ...)
{
	va_list ap;
	int ret;

	t->cell = xrealloc(t->cell, (t->n + 1) * sizeof(*t->cell));
	va_start(ap, fmt);
	ret = vasprintf(&t->cell[t->n++], fmt, ap);
	va_end(ap);
	if (ret < 0)
		die("out of memory");
}

static void theader(struct table *t, const char *name)
{
	char *p;

	tcell(t, "%s", name);
	for (p = t->cell[t->n - 1]; *p; p++)
		*p = toupper((unsigned char)*p);
}

/* Start table @t with the columns named, NULL-terminated. */
static void tstart(struct table *t, ...)
{
	const char *name;
	va_list ap;

	t->ncols = 0;
	va_start(ap, t);
	while ((name = va_arg(ap, const char *))) {
		theader(t, name);
		t->ncols++;
	}
	va_end(ap);
}

static bool numeric(const char *s)
{
	return *s && !s[strspn(s, "0123456789-")];
}

static void tprint(struct table *t)
{
	int *width, *right, rows, r, c;
	const char *s;

	width = calloc(t->ncols, sizeof(*width));
	right = calloc(t->ncols, sizeof(*right));
	if (!width || !right)
		die("out of memory");
	rows = t->n / t->ncols;
	for (c = 0; c < t->ncols; c++) {
		right[c] = rows > 1;
		for (r = 0; r < rows; r++) {
			s = t->cell[r * t->ncols + c];
			if ((int)strlen(s) > width[c])
				width[c] = strlen(s);
			if (r && !numeric(s))
				right[c] = 0;
		}
	}
	for (r = 0; r < rows; r++) {
		for (c = 0; c < t->ncols; c++) {
			s = t->cell[r * t->ncols + c];
			if (right[c])
				printf("%*s", width[c], s);
			else if (c == t->ncols - 1)
				fputs(s, stdout);
			else
				printf("%-*s", width[c], s);
			fputs(c == t->ncols - 1 ? "\n" : "  ", stdout);
		}
	}
	for (c = 0; c < t->n; c++)
		free(t->cell[c]);
	free(t->cell);
	free(width);
	free(right);
	t->cell = NULL;
	t->n = 0;
}

/*
 * JSON emitter: compact, one document per line.  Keys are given for
 * members of objects and NULL for elements of arrays.
 */
static int jdepth;
static bool jfirst[8] = { true };

static void jstr(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c == '\n')
			fputs("\\n", stdout);
		else if (c == '\t')
			fputs("\\t", stdout);
		else if (c < 0x20 || c == 0x7f)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

static void jkey(const char *key)
{
	if (!jfirst[jdepth])
		putchar(',');
	jfirst[jdepth] = false;
	if (key) {
		jstr(key);
		putchar(':');
	}
}

static void jopen(const char *key, char c)
{
	jkey(key);
	putchar(c);
	jfirst[++jdepth] = true;
}

static void jclose(char c)
{
	putchar(c);
	if (!--jdepth) {
		putchar('\n');
		jfirst[0] = true;
	}
}

static void jkstr(const char *key, const char *val)
{
	jkey(key);
	jstr(val);
}

static void jkint(const char *key, long long val)
{
	jkey(key);
	printf("%lld", val);
}

static void jkbool(const char *key, bool val)
{
	jkey(key);
	fputs(val ? "true" : "false", stdout);
}

static void jstats(const struct stats *cur, const struct stats *prev)
{
	unsigned long long val;
	int i;

	jopen("stats", '{');
	for (i = 0; i < cur->n; i++) {
		stat_get(cur, prev, cur->v[i].name, &val);
		jkey(cur->v[i].name);
		printf("%llu", val);
	}
	jclose('}');
}

/* Commands */

static void status_json(const struct snapshot *s)
{
	const struct engine *e;
	const struct route *r;
	int i;

	jopen(NULL, '{');
	jkbool("locked", s->locked);
	jkstr("default_mode", s->default_mode);
	jopen("engines", '[');
	for (e = s->e; e < s->e + s->ne; e++) {
		jopen(NULL, '{');
		jkstr("name", e->name);
		jkint("node", e->node);
		jkstr("kind", e->kind);
		jkstr("state", e->state);
		jkbool("enabled", e->enabled);
		jkint("weight", e->weight);
		jkint("min_batch", e->min_batch);
		jkint("max_inflight", e->max_inflight);
		jkint("timeout_ms", e->timeout_ms);
		jstats(&e->stats, NULL);
		jclose('}');
	}
	jclose(']');
	jopen("routes", '[');
	for (r = s->r; r < s->r + s->nr; r++) {
		jopen(NULL, '{');
		jkstr("reason", r->reason);
		jkstr("mode", r->mode);
		jkint("min_batch", r->min_batch);
		jkint("async_ms", r->async_ms);
		jopen("engines", '[');
		for (i = 0; i < r->n; i++)
			jkstr(NULL, r->order[i]);
		jclose(']');
		jstats(&r->stats, NULL);
		jclose('}');
	}
	jclose(']');
	jclose('}');
}

static void tstat(struct table *t, const struct stats *st, const char *name)
{
	unsigned long long val;

	if (stat_get(st, NULL, name, &val))
		tcell(t, "%llu", val);
	else
		tcell(t, "-");
}

static void status_text(const struct snapshot *s)
{
	struct table t = { 0 };
	const struct engine *e;
	const struct route *r;
	char buf[VAL_LEN];

	printf("locked: %s  default_mode: %s\n\n", s->locked ? "yes" : "no",
	       s->default_mode);
	tstart(&t, "node", "engine", "kind", "state", "enabled", "folios",
	       "bytes", "errors", NULL);
	for (e = s->e; e < s->e + s->ne; e++) {
		if (e->node < 0)
			tcell(&t, "-");
		else
			tcell(&t, "%ld", e->node);
		tcell(&t, "%s", e->name);
		tcell(&t, "%s", e->kind);
		tcell(&t, "%s", e->state);
		tcell(&t, "%s", e->enabled ? "yes" : "no");
		tstat(&t, &e->stats, "folios");
		tstat(&t, &e->stats, "bytes");
		tstat(&t, &e->stats, "errors");
	}
	tprint(&t);
	putchar('\n');

	tstart(&t, "reason", "mode", "min_batch", "async_ms", "engines",
	       NULL);
	for (r = s->r; r < s->r + s->nr; r++) {
		tcell(&t, "%s", r->reason);
		tcell(&t, "%s", r->mode);
		tcell(&t, "%ld", r->min_batch);
		tcell(&t, "%ld", r->async_ms);
		tcell(&t, "%s", route_engines(r, buf, sizeof(buf)));
	}
	tprint(&t);
}

static int cmd_status(int argc, char **argv)
{
	struct snapshot s;
	int i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-j") || !strcmp(argv[i], "--json"))
			json = true;
		else
			usage_error("status: unknown argument \"%s\"", argv[i]);
	}
	snap_load(&s);
	if (json)
		status_json(&s);
	else
		status_text(&s);
	snap_free(&s);
	return 0;
}

/* One table row of stats; the columns are the stats of @cols. */
static void stats_row(struct table *t, const char *name,
		      const struct stats *cols, const struct stats *cur,
		      const struct stats *prev)
{
	unsigned long long val;
	int i;

	tcell(t, "%s", name);
	for (i = 0; i < cols->n; i++) {
		if (stat_get(cur, prev, cols->v[i].name, &val))
			tcell(t, "%llu", val);
		else
			tcell(t, "-");
	}
}

/* Counters of @cur, less those of @prev unless it is NULL. */
static void stats_print(const struct snapshot *cur,
			const struct snapshot *prev, long long interval_ms)
{
	const struct engine *e;
	const struct route *r;
	struct table t = { 0 };
	int i;

	if (json) {
		jopen(NULL, '{');
		jkint("interval_ms", interval_ms);
		jopen("engines", '[');
		for (e = cur->e; e < cur->e + cur->ne; e++) {
			jopen(NULL, '{');
			jkstr("name", e->name);
			jstats(&e->stats, engine_stats(prev, e->name));
			jclose('}');
		}
		jclose(']');
		jopen("routes", '[');
		for (r = cur->r; r < cur->r + cur->nr; r++) {
			jopen(NULL, '{');
			jkstr("reason", r->reason);
			jstats(&r->stats, route_stats(prev, r->reason));
			jclose('}');
		}
		jclose(']');
		jclose('}');
		fflush(stdout);
		return;
	}

	if (prev)
		printf("interval: %lld ms\n\n", interval_ms);
	if (cur->ne) {
		t.ncols = cur->e[0].stats.n + 1;
		theader(&t, "engine");
		for (i = 0; i < cur->e[0].stats.n; i++)
			theader(&t, cur->e[0].stats.v[i].name);
		for (e = cur->e; e < cur->e + cur->ne; e++)
			stats_row(&t, e->name, &cur->e[0].stats, &e->stats,
				  engine_stats(prev, e->name));
		tprint(&t);
		putchar('\n');
	}
	if (cur->nr) {
		t.ncols = cur->r[0].stats.n + 1;
		theader(&t, "reason");
		for (i = 0; i < cur->r[0].stats.n; i++)
			theader(&t, cur->r[0].stats.v[i].name);
		for (r = cur->r; r < cur->r + cur->nr; r++)
			stats_row(&t, r->reason, &cur->r[0].stats, &r->stats,
				  route_stats(prev, r->reason));
		tprint(&t);
	}
	fflush(stdout);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void sleep_until(double t)
{
	struct timespec ts = {
		.tv_sec = (time_t)t,
		.tv_nsec = (long)((t - (time_t)t) * 1e9),
	};

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts,
			       NULL) == EINTR)
		;
}

static bool is_seconds(const char *s)
{
	return isdigit((unsigned char)*s) || *s == '.';
}

static int cmd_stats(int argc, char **argv)
{
	struct snapshot cur, prev;
	double interval = 1, start, t0, t1;
	unsigned long count = 0, i;
	bool watch = false;
	char *end;
	int a;

	for (a = 1; a < argc; a++) {
		if (!strcmp(argv[a], "-j") || !strcmp(argv[a], "--json")) {
			json = true;
		} else if (!strcmp(argv[a], "--watch")) {
			watch = true;
			/* SECONDS is optional */
			if (a + 1 == argc || !is_seconds(argv[a + 1]))
				continue;
			interval = strtod(argv[++a], &end);
			if (*end || !(interval > 0 && interval <= 86400))
				usage_error("stats: bad interval \"%s\"",
					    argv[a]);
		} else if (!strcmp(argv[a], "--count")) {
			if (a + 1 == argc)
				usage_error("stats: --count needs a value");
			count = parse_num(argv[++a], "--count");
			if (!count)
				usage_error("stats: --count 0");
			watch = true;
		} else {
			usage_error("stats: unknown argument \"%s\"", argv[a]);
		}
	}

	snap_load(&prev);
	if (!watch) {
		stats_print(&prev, NULL, 0);
		snap_free(&prev);
		return 0;
	}
	start = now();
	t0 = start;
	for (i = 1; !count || i <= count; i++) {
		sleep_until(start + i * interval);
		snap_load(&cur);
		t1 = now();
		if (!json && i > 1)
			putchar('\n');
		stats_print(&cur, &prev, (long long)((t1 - t0) * 1000 + 0.5));
		snap_free(&prev);
		prev = cur;
		t0 = t1;
	}
	snap_free(&prev);
	return 0;
}

/*
 * Die unless engine @name has a group.  The kernel makes it just after
 * the engine registers (a module load that returned): give it a second.
 */
static void check_engine(const char *name)
{
	char path[DIR_LEN];
	int tries;

	snprintf(path, sizeof(path), "engines/%s", name);
	for (tries = 0; valid_name(name) && !is_dir(path) &&
	     tries < GROUP_WAIT_TRIES; tries++)
		usleep(GROUP_WAIT_US);
	if (!valid_name(name) || !is_dir(path))
		die("no engine \"%s\" in %s/engines (engines appear when they register)",
		    name, root);
}

static void route_link(const char *dir, const char *engine)
{
	char target[PATH_MAX];
	int err = 0, tries;

	snprintf(target, sizeof(target), "../../../engines/%s", engine);
	if (verbose)
		fprintf(stderr, "link %s/%s -> %s\n", dir, engine, target);
	/*
	 * configfs resolves a relative target from the current directory,
	 * not from the directory of the link: make them the same.
	 */
	if (chdir(dir))
		err = errno;
	/*
	 * The kernel makes an engine's directory just after the engine
	 * registers, and refuses links to it (ENOENT) until it is complete:
	 * give it a second.
	 */
	for (tries = 0; !err && symlink(target, engine); tries++) {
		err = errno;
		if (err != ENOENT || tries == GROUP_WAIT_TRIES)
			break;
		err = 0;
		usleep(GROUP_WAIT_US);
	}
	if (fchdir(root_fd))
		die("%s: %s", root, strerror(errno));
	if (err)
		die("%s/%s: symlink to %s: %s%s", dir, engine, target,
		    strerror(err), hint(err));
}

static void route_unlink(const char *dir, const char *link)
{
	char path[PATH_MAX];
	int err;

	snprintf(path, sizeof(path), "%s/%s", dir, link);
	if (verbose)
		fprintf(stderr, "unlink %s\n", path);
	if (unlink(path)) {
		err = errno;
		die("%s: unlink: %s%s", path, strerror(err), hint(err));
	}
}

/* Make the engines of route @reason be exactly @want[@n], in that order. */
static void route_set_engines(const char *reason, char **want, int n)
{
	char dir[DIR_LEN], path[PATH_MAX], target[PATH_MAX];
	char order[VAL_LEN], cur[VAL_LEN], **links, **linked, *tok, *save;
	int nl, missing = 0, unlink_first, pass, i;
	size_t len;
	ssize_t ret;

	snprintf(dir, sizeof(dir), "routes/%s/engines", reason);
	links = list_dir(dir, &nl);
	linked = xrealloc(NULL, (nl + 1) * sizeof(*linked));
	for (i = 0; i < nl; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, links[i]);
		ret = readlink(path, target, sizeof(target) - 1);
		if (ret < 0)
			die("%s: readlink: %s", path, strerror(errno));
		target[ret] = '\0';
		tok = strrchr(target, '/');
		linked[i] = strdup(tok ? tok + 1 : target);
		if (!linked[i])
			die("out of memory");
	}
	linked[nl] = NULL;
	for (i = 0; i < n; i++)
		missing += !in_array(linked, nl, want[i]);

	/*
	 * Link the missing engines before unlinking the others, so that the
	 * route never has fewer engines than both before and after; unlink
	 * first only when the route has no room for both.
	 */
	unlink_first = nl + missing > MAX_LINKS;
	for (pass = 0; pass < 2; pass++) {
		if (pass == unlink_first) {
			for (i = 0; i < n; i++)
				if (!in_array(linked, nl, want[i]))
					route_link(dir, want[i]);
		} else {
			for (i = 0; i < nl; i++)
				if (!in_array(want, n, linked[i]))
					route_unlink(dir, links[i]);
		}
	}
	free_list(links);
	free_list(linked);

	if (!n)
		return;
	for (i = 0, len = 0; i < n; i++)
		len += snprintf(order + len, sizeof(order) - len, "%s%s",
				i ? " " : "", want[i]);
	snprintf(dir, sizeof(dir), "routes/%s", reason);
	if (get_str(dir, "order", cur, sizeof(cur)))
		die("%s/order: %s", dir, strerror(ENOENT));
	for (tok = strtok_r(cur, " \t", &save), i = 0; tok && i < n;
	     tok = strtok_r(NULL, " \t", &save), i++)
		if (strcmp(tok, want[i]))
			break;
	if (tok || i < n) {
		snprintf(path, sizeof(path), "%s/order", dir);
		attr_write(path, order);
	}
}

static int cmd_route(int argc, char **argv)
{
	const char *reason, *mode, *min_batch = NULL, *async_ms = NULL;
	char dir[DIR_LEN], path[PATH_MAX], old[NAME_LEN], **engines;
	bool mode_last;
	int a, n, i;

	for (a = 1; a < argc && argv[a][0] == '-'; a++) {
		if (!strcmp(argv[a], "--")) {
			a++;
			break;
		}
		if (strcmp(argv[a], "--min-batch") &&
		    strcmp(argv[a], "--async-ms"))
			usage_error("route: unknown option \"%s\"", argv[a]);
		if (a + 1 == argc)
			usage_error("route: %s needs a value", argv[a]);
		parse_num(argv[a + 1], argv[a]);
		if (!strcmp(argv[a++], "--min-batch"))
			min_batch = argv[a];
		else
			async_ms = argv[a];
	}
	if (argc - a < 2)
		usage_error("route: REASON and MODE needed");
	reason = argv[a];
	mode = argv[a + 1];
	engines = argv + a + 2;
	n = argc - a - 2;

	if (!in_list(modes, mode))
		usage_error("route: unknown mode \"%s\"", mode);
	for (i = 0; i < n; i++)
		if (in_array(engines, i, engines[i]))
			usage_error("route: engine \"%s\" given twice",
				    engines[i]);
	snprintf(dir, sizeof(dir), "routes/%s", reason);
	if (!valid_name(reason) || !is_dir(dir))
		die("unknown reason \"%s\" (no %s/%s)", reason, root, dir);
	if (n > MAX_LINKS)
		die("a route has at most %d engines", MAX_LINKS);
	for (i = 0; i < n; i++)
		check_engine(engines[i]);
	if (!n && !strcmp(mode, "require"))
		fputs("offloadctl: require without engines fails every copy\n",
		      stderr);

	/*
	 * Never be less strict than both the old and the new route: going
	 * to require (or from off or cpu to prefer), set the engines first;
	 * leaving require (or going to off or cpu), set the mode first.
	 */
	if (get_str(dir, "mode", old, sizeof(old)))
		die("%s/mode: %s", dir, strerror(ENOENT));
	mode_last = !strcmp(mode, "require") ||
		    (!strcmp(mode, "prefer") && strcmp(old, "require"));
	snprintf(path, sizeof(path), "%s/mode", dir);
	if (!mode_last)
		attr_write(path, mode);
	if (min_batch) {
		snprintf(path, sizeof(path), "%s/min_batch", dir);
		attr_write(path, min_batch);
	}
	if (async_ms) {
		snprintf(path, sizeof(path), "%s/async_ms", dir);
		attr_write(path, async_ms);
	}
	route_set_engines(reason, engines, n);
	if (mode_last) {
		snprintf(path, sizeof(path), "%s/mode", dir);
		attr_write(path, mode);
	}
	return 0;
}

static int cmd_engine(int argc, char **argv)
{
	char path[PATH_MAX], *eq;
	int i;

	if (argc < 3)
		usage_error("engine: NAME and KEY=VALUE needed");
	for (i = 2; i < argc; i++) {
		eq = strchr(argv[i], '=');
		if (!eq)
			usage_error("engine: \"%s\" is not KEY=VALUE", argv[i]);
		*eq = '\0';
		if (!in_list(engine_keys, argv[i]))
			usage_error("engine: unknown key \"%s\"", argv[i]);
		parse_num(eq + 1, argv[i]);
	}
	check_engine(argv[1]);
	for (i = 2; i < argc; i++) {
		snprintf(path, sizeof(path), "engines/%s/%s", argv[1],
			 argv[i]);
		attr_write(path, argv[i] + strlen(argv[i]) + 1);
	}
	return 0;
}

static int cmd_lock(int argc, char **argv)
{
	long locked;

	if (argc > 1)
		usage_error("lock: unknown argument \"%s\"", argv[1]);
	if (get_num("", "locked", &locked))
		die("locked: %s", strerror(ENOENT));
	if (!locked)
		attr_write("locked", "1");
	return 0;
}

static const struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
} commands[] = {
	{ "status", cmd_status },
	{ "stats", cmd_stats },
	{ "route", cmd_route },
	{ "engine", cmd_engine },
	{ "lock", cmd_lock },
	{ NULL, NULL }
};

static bool is_help(const char *arg)
{
	return !strcmp(arg, "-h") || !strcmp(arg, "--help");
}

int main(int argc, char **argv)
{
	const struct command *cmd;
	const char *env;
	int a;

	for (a = 1; a < argc && argv[a][0] == '-'; a++) {
		if (!strcmp(argv[a], "--")) {
			a++;
			break;
		}
		if (is_help(argv[a])) {
			usage(stdout);
			return 0;
		}
		if (!strcmp(argv[a], "-j") || !strcmp(argv[a], "--json"))
			json = true;
		else if (!strcmp(argv[a], "-v") ||
			 !strcmp(argv[a], "--verbose"))
			verbose = true;
		else
			usage_error("unknown option \"%s\"", argv[a]);
	}
	if (a == argc)
		usage_error("no command");
	if (!strcmp(argv[a], "help") ||
	    (a + 1 < argc && is_help(argv[a + 1]))) {
		usage(stdout);
		return 0;
	}
	for (cmd = commands; cmd->name; cmd++)
		if (!strcmp(cmd->name, argv[a]))
			break;
	if (!cmd->name)
		usage_error("unknown command \"%s\"", argv[a]);

	env = getenv("OFFLOAD_CONFIGFS");
	if (env && *env)
		root = env;
	root_fd = open(root, O_RDONLY | O_DIRECTORY);
	if (root_fd < 0 && (errno == ENOENT || errno == ENOTDIR))
		die("offload configfs not found at %s (is configfs mounted and %s set?)",
		    root, "CONFIG_OFFLOAD_CONFIGFS");
	if (root_fd < 0 || fchdir(root_fd))
		die("%s: %s", root, strerror(errno));
	return cmd->fn(argc - a, argv + a);
}
