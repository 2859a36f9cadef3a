// SPDX-License-Identifier: GPL-2.0
/*
 * mm/offload routes from the kernel command line, in force from the first
 * migration of the boot, before any userspace runs (a confidential
 * computing host mandates its engine from the start):
 *
 *	offload.route=REASON:MODE[:ENGINE[,ENGINE...]]
 *		REASON is a migration reason, "generic" or "all"; may be
 *		given several times, a later one overriding an earlier one.
 *		The engines need not have registered yet: a require route
 *		fails the copies of its reason until one has, and never lets
 *		the CPU copy meanwhile.
 *	offload.default_mode=off|cpu|prefer
 *		the mode of the reasons no offload.route= names.
 *	offload.lock[=BOOL]
 *		the routes cannot be changed until reboot.
 *
 * A malformed offload.route= (unknown mode, bad or repeated engine names)
 * fails closed: if its reason can be read, that reason gets a require
 * route without engines (its copies fail, visibly counted), so that a
 * typo cannot let the CPU, or an engine not meant, copy what was meant
 * to be mandated.  A malformed offload.lock locks.  Parsing happens
 * while the command line is, before the allocators exist: routes go
 * straight into the static default table.
 */

#define pr_fmt(fmt) "mm/offload: " fmt

#include <linux/bitmap.h>
#include <linux/init.h>
#include <linux/kstrtox.h>
#include <linux/string.h>

#include "internal.h"

/* Longest offload.route= value considered. */
#define OFFLOAD_BOOT_ROUTE_MAX	512

static DECLARE_BITMAP(offload_boot_classes, OFFLOAD_NR_CLASSES) __initdata;
static bool offload_boot_lock __initdata;

/* Set @class (or all classes, for -1) to @route. */
static void __init offload_boot_set(int class, const struct offload_route *route)
{
	unsigned int c;

	for (c = 0; c < OFFLOAD_NR_CLASSES; c++) {
		if (class >= 0 && c != class)
			continue;
		offload_route_set_early(c, route);
		__set_bit(c, offload_boot_classes);
	}
}

/* Parse "MODE[:ENGINES]" into @route; false if malformed. */
static bool __init offload_boot_parse(char *spec, struct offload_route *route)
{
	char *mode = strsep(&spec, ":");
	int ret;

	ret = match_string(offload_mode_names, OFFLOAD_NR_MODES, mode);
	if (ret < 0)
		return false;
	route->mode = ret;
	if (spec && offload_route_add_engines(route, spec))
		return false;
	return !offload_route_check(route);
}

static int __init offload_boot_route(char *str)
{
	static char buf[OFFLOAD_BOOT_ROUTE_MAX] __initdata;
	static struct offload_route route __initdata;
	char *spec = buf, *reason;
	int class;

	if (*str != '=' || strscpy(buf, str + 1, sizeof(buf)) < 0) {
		pr_err("offload.route%s: malformed or too long, ignored\n",
		       str);
		return 1;
	}
	str++;
	reason = strsep(&spec, ":");
	class = strcmp(reason, "all") ? offload_class_parse(reason) : -1;
	if (class == -EINVAL) {
		pr_err("offload.route=%s: unknown reason, ignored\n", str);
		return 1;
	}

	memset(&route, 0, sizeof(route));
	route.min_batch = OFFLOAD_ROUTE_MIN_BATCH_DEFAULT;
	route.async_ms = OFFLOAD_ROUTE_ASYNC_MS_DEFAULT;
	if (!spec || !offload_boot_parse(spec, &route)) {
		pr_err("offload.route=%s: malformed: %s requires engines it cannot have\n",
		       str, reason);
		memset(&route, 0, sizeof(route));
		route.mode = OFFLOAD_MODE_REQUIRE;
	}
	offload_boot_set(class, &route);
	return 1;
}
__setup("offload.route", offload_boot_route);

static int __init offload_boot_default_mode(char *str)
{
	int mode = -EINVAL;

	if (*str++ == '=')
		mode = match_string(offload_mode_names, OFFLOAD_NR_MODES, str);
	if (mode < 0 || mode == OFFLOAD_MODE_REQUIRE) {
		pr_err("offload.default_mode%s: not off, cpu or prefer, ignored\n",
		       str);
		return 1;
	}
	offload_route_set_default_mode(mode, offload_boot_classes);
	return 1;
}
__setup("offload.default_mode", offload_boot_default_mode);

static int __init offload_boot_lock_param(char *str)
{
	bool lock = true;

	/* "offload.lock", or "offload.lock=" and a boolean. */
	if ((*str && *str != '=') || (*str && kstrtobool(str + 1, &lock))) {
		pr_err("offload.lock%s: not a boolean, locking anyway\n", str);
		lock = true;
	}
	offload_boot_lock = lock;
	return 1;
}
__setup("offload.lock", offload_boot_lock_param);

static int __init offload_boot_init(void)
{
	if (offload_boot_lock)
		offload_routes_lock_down();
	return 0;
}
early_initcall(offload_boot_init);
