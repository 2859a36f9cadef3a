// SPDX-License-Identifier: GPL-2.0
/*
 * Helpers for the mm/offload debugfs and configfs interfaces.  See
 * offload_ctl.h.
 */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "offload_ctl.h"

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#endif

/* Longest command written: a route naming OFFLOAD_ROUTE_MAX_ENGINES. */
#define CMD_MAX		512

static int vwrite_cmd(const char *path, const char *fmt, va_list ap)
{
	char buf[CMD_MAX];
	ssize_t n;
	int fd, len, ret = 0;

	len = vsnprintf(buf, sizeof(buf), fmt, ap);
	if (len < 0 || len >= (int)sizeof(buf))
		return -E2BIG;
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, buf, len);
	if (n < 0)
		ret = -errno;
	else if (n != len)
		ret = -EIO;
	close(fd);
	return ret;
}

/**
 * offctl_write() - write one command to a debugfs, sysfs or procfs file, in
 *	one write(2)
 * @path: the file
 * @fmt: printf format of the command
 *
 * Return: 0, -E2BIG for a command longer than 511 bytes, or -errno of
 * open(2) or write(2) (e.g. -EINVAL, -EEXIST or -ENOENT for a command the
 * kernel refused).
 */
int offctl_write(const char *path, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = vwrite_cmd(path, fmt, ap);
	va_end(ap);
	return ret;
}

/**
 * offctl_write2() - offctl_write() to file @name of directory @dir
 * @dir: the directory
 * @name: the file
 * @fmt: printf format of the value
 *
 * Return: as offctl_write().
 */
int offctl_write2(const char *dir, const char *name, const char *fmt, ...)
{
	char path[512];
	va_list ap;
	int ret;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	va_start(ap, fmt);
	ret = vwrite_cmd(path, fmt, ap);
	va_end(ap);
	return ret;
}

/**
 * offctl_te_cmd() - write one command to the test engines' control file
 * @fmt: printf format of the command, e.g. "add %s kind=ooo node=%d"
 *
 * Return: as offctl_write().
 */
int offctl_te_cmd(const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = vwrite_cmd(OFFCTL_TE_CONTROL, fmt, ap);
	va_end(ap);
	return ret;
}

/**
 * offctl_te_available() - make sure the test engines can be created
 *
 * Loads module offload_test_engine with modprobe if its control file is
 * not there yet.
 *
 * Return: 0 if the control file is writable, else -errno (-ENOENT: no
 * mm/offload debugfs, or the module is missing or failed to load).
 */
int offctl_te_available(void)
{
	if (!access(OFFCTL_TE_CONTROL, W_OK))
		return 0;
	if (access(OFFCTL_DEBUGFS, F_OK))
		return -errno;
	/* A failure shows as a missing control file. */
	if (system("modprobe " OFFCTL_TE_MODULE " >/dev/null 2>&1") == -1)
		return -errno;
	return access(OFFCTL_TE_CONTROL, W_OK) ? -errno : 0;
}

/*
 * Link @engine into the route directory @route.  A work item makes an
 * engine's configfs group after the engine registered, and configfs
 * refuses links to it (-ENOENT) until the group is complete: retry for
 * up to 5 s.
 */
static int link_engine(const char *route, const char *engine)
{
	char target[256], link[512];
	int i;

	snprintf(target, sizeof(target), OFFCTL_CONFIGFS "/engines/%s", engine);
	snprintf(link, sizeof(link), "%s/engines/%s", route, engine);
	for (i = 0; i < 50; i++) {
		if (!symlink(target, link))
			return 0;
		if (errno != ENOENT)
			return -errno;
		usleep(100000);
	}
	return -ENOENT;
}

/* Remove every link of the route of @class. */
static int route_unlink_all(const char *class)
{
	char dir[256], path[512];
	struct dirent *de;
	int ret = 0;
	DIR *d;

	snprintf(dir, sizeof(dir), OFFCTL_CONFIGFS "/routes/%s/engines", class);
	d = opendir(dir);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (unlink(path) && !ret)
			ret = -errno;
	}
	closedir(d);
	return ret;
}

/**
 * offctl_route_set() - set the route of a copy class, through configfs
 * @class: class name (a migration reason, or "generic")
 * @mode: "off", "cpu", "prefer" or "require"
 * @min_batch: smallest request the route takes
 * @engines: comma-separated engine names, or NULL, "" or "all" (as
 *	offctl_class_read() reports it) for every engine
 *
 * The route's links become exactly @engines, in order; its async_ms goes
 * back to the default; the mode is written last.
 *
 * Return: 0, or -errno of the first step that failed (-ENOENT: an engine
 * has no configfs group).
 */
int offctl_route_set(const char *class, const char *mode,
		     unsigned int min_batch, const char *engines)
{
	char route[256], list[OFFCTL_ENGINES_LEN];
	char *name, *save = NULL;
	int ret;

	snprintf(route, sizeof(route), OFFCTL_CONFIGFS "/routes/%s", class);
	ret = route_unlink_all(class);
	if (ret)
		return ret;
	if (engines && *engines && strcmp(engines, "all")) {
		snprintf(list, sizeof(list), "%s", engines);
		for (name = strtok_r(list, ",", &save); name;
		     name = strtok_r(NULL, ",", &save)) {
			ret = link_engine(route, name);
			if (ret)
				return ret;
		}
	}
	ret = offctl_write2(route, "min_batch", "%u", min_batch);
	if (!ret)
		ret = offctl_write2(route, "async_ms", "%u",
				    OFFCTL_DEFAULT_ASYNC_MS);
	if (!ret)
		ret = offctl_write2(route, "mode", "%s", mode);
	return ret;
}

/**
 * offctl_route_reset() - give a class its boot-time route back
 * @class: class name
 *
 * Return: as offctl_write().
 */
int offctl_route_reset(const char *class)
{
	return offctl_route_set(class, OFFCTL_DEFAULT_MODE,
				OFFCTL_DEFAULT_MIN_BATCH, NULL);
}

/**
 * offctl_enable() - take an engine out of quarantine, through configfs
 * @engine: its name
 *
 * Return: as offctl_write(); -ENOENT for an unknown engine.
 */
int offctl_enable(const char *engine)
{
	char dir[256];

	snprintf(dir, sizeof(dir), OFFCTL_CONFIGFS "/engines/%s", engine);
	return offctl_write2(dir, "enabled", "1");
}

/*
 * Find the line of @path whose first word is @name.  On success *@line is
 * the line, to be freed by the caller.
 */
static int find_line(const char *path, const char *name, char **line)
{
	size_t len = strlen(name), size = 0;
	char *buf = NULL;
	FILE *f;

	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (getline(&buf, &size, f) > 0) {
		if (!strncmp(buf, name, len) &&
		    (buf[len] == ' ' || buf[len] == '\n' || !buf[len])) {
			fclose(f);
			*line = buf;
			return 0;
		}
	}
	free(buf);
	fclose(f);
	return -ENOENT;
}

/* Point at the value of field @key in @line, or return NULL. */
static const char *field(const char *line, const char *key)
{
	size_t len = strlen(key);
	const char *p = line;

	/* Fields follow a space, so that "inflight" is not "max_inflight". */
	while ((p = strchr(p, ' '))) {
		p++;
		if (!strncmp(p, key, len) && p[len] == '=')
			return p + len + 1;
	}
	return NULL;
}

static int field_int(const char *line, const char *key, int64_t *val)
{
	const char *p = field(line, key);
	char *end;

	if (!p)
		return -EPROTO;
	errno = 0;
	*val = strtoll(p, &end, 10);
	if (errno || end == p)
		return -EPROTO;
	return 0;
}

static int field_str(const char *line, const char *key, char *buf,
		     size_t size)
{
	const char *p = field(line, key);
	size_t len;

	if (!p)
		return -EPROTO;
	len = strcspn(p, "\n ");
	if (len >= size)
		return -EPROTO;
	memcpy(buf, p, len);
	buf[len] = '\0';
	return 0;
}

struct int_field {
	const char *key;
	int64_t *val;
};

struct str_field {
	const char *key;
	char *buf;
	size_t size;
};

/* Parse the fields @ints and @strs of line @name of @path. */
static int read_fields(const char *path, const char *name,
		       const struct int_field *ints, size_t nr_ints,
		       const struct str_field *strs, size_t nr_strs)
{
	char *line = NULL;
	size_t i;
	int ret;

	ret = find_line(path, name, &line);
	if (ret)
		return ret;
	for (i = 0; i < nr_ints && !ret; i++)
		ret = field_int(line, ints[i].key, ints[i].val);
	for (i = 0; i < nr_strs && !ret; i++)
		ret = field_str(line, strs[i].key, strs[i].buf, strs[i].size);
	free(line);
	return ret;
}

/**
 * offctl_class_read() - read the route and counters of a copy class
 * @class: class name
 * @c: receives them
 *
 * Return: 0, -ENOENT for an unknown class, -EPROTO for a line that does
 * not have the expected fields, or -errno of fopen(3).
 */
int offctl_class_read(const char *class, struct offctl_class *c)
{
	const struct int_field fields[] = {
		{ "min_batch", &c->min_batch },
		{ "submitted", &c->submitted },
		{ "offloaded", &c->offloaded },
		{ "cpu", &c->cpu },
		{ "failed", &c->failed },
		{ "declined", &c->declined },
		{ "nomem", &c->nomem },
	};
	const struct str_field strs[] = {
		{ "mode", c->mode, sizeof(c->mode) },
		{ "engines", c->engines, sizeof(c->engines) },
	};

	memset(c, 0, sizeof(*c));
	return read_fields(OFFCTL_CLASSES, class, fields, ARRAY_SIZE(fields),
			   strs, ARRAY_SIZE(strs));
}

/**
 * offctl_engine_read() - read the state and counters of an engine
 * @engine: engine name
 * @e: receives them
 *
 * Return: as offctl_class_read(); -ENOENT for an engine not registered.
 */
int offctl_engine_read(const char *engine, struct offctl_engine *e)
{
	const struct int_field fields[] = {
		{ "node", &e->node },
		{ "users", &e->users },
		{ "inflight", &e->inflight },
		{ "submitted", &e->submitted },
		{ "folios", &e->folios },
		{ "bytes", &e->bytes },
		{ "errors", &e->errors },
		{ "timeouts", &e->timeouts },
		{ "fallbacks", &e->fallbacks },
	};
	char state[16];
	const struct str_field strs[] = {
		{ "state", state, sizeof(state) },
	};
	int ret;

	memset(e, 0, sizeof(*e));
	ret = read_fields(OFFCTL_ENGINES, engine, fields, ARRAY_SIZE(fields),
			  strs, ARRAY_SIZE(strs));
	if (!ret)
		e->quarantined = !strcmp(state, "quarantined");
	return ret;
}

/**
 * offctl_te_read() - read what a test engine saw
 * @engine: test engine name
 * @t: receives its counters
 *
 * Return: as offctl_class_read(); -ENOENT for an unknown test engine.
 */
int offctl_te_read(const char *engine, struct offctl_te *t)
{
	const struct int_field fields[] = {
		{ "chunks", &t->chunks },
		{ "folios", &t->folios },
		{ "failed", &t->failed },
		{ "aborted", &t->aborted },
		{ "rejected", &t->rejected },
		{ "segs", &t->segs },
	};

	memset(t, 0, sizeof(*t));
	return read_fields(OFFCTL_TE_CONTROL, engine, fields,
			   ARRAY_SIZE(fields), NULL, 0);
}

/* Names of the lines of @path that start with @prefix, see below. */
static int list_names(const char *path, const char *prefix,
		      char names[][OFFCTL_NAME_LEN], int max)
{
	size_t len = strlen(prefix), size = 0, n;
	char *buf = NULL;
	int count = 0;
	FILE *f;

	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (count < max && getline(&buf, &size, f) > 0) {
		n = strcspn(buf, "\n ");
		if (strncmp(buf, prefix, len) || n >= OFFCTL_NAME_LEN)
			continue;
		memcpy(names[count], buf, n);
		names[count++][n] = '\0';
	}
	free(buf);
	fclose(f);
	return count;
}

/**
 * offctl_te_list() - list the test engines whose name starts with @prefix
 * @prefix: start of the names
 * @names: receives up to @max names
 * @max: capacity of @names
 *
 * Return: the number of names stored, or -errno of fopen(3).
 */
int offctl_te_list(const char *prefix, char names[][OFFCTL_NAME_LEN],
		   int max)
{
	return list_names(OFFCTL_TE_CONTROL, prefix, names, max);
}

/**
 * offctl_engine_list() - list the registered engines named @prefix...
 * @prefix: start of the names
 * @names: receives up to @max names, in registration order
 * @max: capacity of @names
 *
 * Return: the number of names stored, or -errno of fopen(3).
 */
int offctl_engine_list(const char *prefix, char names[][OFFCTL_NAME_LEN],
		       int max)
{
	return list_names(OFFCTL_ENGINES, prefix, names, max);
}

/**
 * offctl_module_load() - load a module with modprobe
 * @name: module name
 *
 * Return: 0 once /sys/module/@name exists, else -ENOENT.
 */
int offctl_module_load(const char *name)
{
	char cmd[128], path[128];

	snprintf(cmd, sizeof(cmd), "modprobe %s >/dev/null 2>&1", name);
	snprintf(path, sizeof(path), "/sys/module/%s", name);
	if (system(cmd) == -1)
		return -errno;
	return access(path, F_OK) ? -ENOENT : 0;
}

/**
 * offctl_module_unload() - unload a module, without waiting for its users
 * @name: module name
 *
 * Return: 0, or -errno of delete_module(2): -EWOULDBLOCK while the module
 * is in use (e.g. by the broker, for a copy in flight), -ENOENT if it is
 * not loaded.
 */
int offctl_module_unload(const char *name)
{
	return syscall(SYS_delete_module, name, O_NONBLOCK) ? -errno : 0;
}

/**
 * offctl_mtcopy_read() - read the counters of an mtcopy engine
 * @engine: engine name, e.g. "mtcopy0"
 * @m: receives them
 *
 * Return: 0, or -errno of fopen(3) (-ENOENT: no such mtcopy engine), or
 * -EINVAL if a counter is missing.
 */
int offctl_mtcopy_read(const char *engine, struct offctl_mtcopy *m)
{
	struct {
		const char *key;
		int64_t *val;
	} fields[] = {
		{ "chunks", &m->chunks }, { "alone", &m->alone },
		{ "busy", &m->busy }, { "helpers", &m->helpers },
		{ "pieces", &m->pieces }, { "bytes", &m->bytes },
		{ "helper_bytes", &m->helper_bytes },
	};
	char path[128], key[32], line[256];
	unsigned int found = 0, i;
	long long val;
	FILE *f;

	memset(m, 0, sizeof(*m));
	snprintf(path, sizeof(path), OFFCTL_MTCOPY_DEBUGFS "/%s", engine);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	/* One "key value" per line; some values are not numbers ("cpus"). */
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%31s %lld", key, &val) != 2)
			continue;
		for (i = 0; i < ARRAY_SIZE(fields); i++) {
			if (!strcmp(key, fields[i].key)) {
				*fields[i].val = val;
				found++;
			}
		}
	}
	fclose(f);
	return found == ARRAY_SIZE(fields) ? 0 : -EINVAL;
}
