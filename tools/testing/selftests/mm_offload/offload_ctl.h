/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers for the mm/offload debugfs and configfs interfaces, for the
 * mm_offload selftests: the test engines' control file (module
 * offload_test_engine), the routes of the copy classes, and the counters
 * of classes, engines and test engines.
 *
 *   /sys/kernel/debug/offload_test_engine/control   add/set/del test engines
 *   /sys/kernel/config/offload/routes/<class>/      mode, min_batch, links
 *   /sys/kernel/config/offload/engines/<engine>/    enabled
 *   /sys/kernel/debug/offload/classes               one line per class
 *   /sys/kernel/debug/offload/engines               one line per engine
 *   /sys/kernel/debug/mtcopy/<engine>               "key value" lines
 *
 * Every command is one write(2); every counter file holds one line per
 * object, its name first and then "key=value" fields.  offctl_write() also
 * serves for sysfs and procfs files.
 */
#ifndef __OFFLOAD_CTL_H
#define __OFFLOAD_CTL_H

#include <stdbool.h>
#include <stdint.h>

#define OFFCTL_DEBUGFS		"/sys/kernel/debug/offload"
#define OFFCTL_CONFIGFS		"/sys/kernel/config/offload"
#define OFFCTL_CLASSES		OFFCTL_DEBUGFS "/classes"
#define OFFCTL_ENGINES		OFFCTL_DEBUGFS "/engines"
#define OFFCTL_TE_MODULE	"offload_test_engine"
#define OFFCTL_TE_CONTROL	"/sys/kernel/debug/offload_test_engine/control"
#define OFFCTL_MTCOPY_MODULE	"mtcopy"
#define OFFCTL_MTCOPY_DEBUGFS	"/sys/kernel/debug/mtcopy"

/* Longest engine name, including the NUL (OFFLOAD_ENGINE_NAME_LEN). */
#define OFFCTL_NAME_LEN		32

/* Longest engine list of a route: OFFLOAD_ROUTE_MAX_ENGINES names. */
#define OFFCTL_ENGINES_LEN	(8 * OFFCTL_NAME_LEN)

/* The route every class has at boot, which tests restore. */
#define OFFCTL_DEFAULT_MODE	"prefer"
#define OFFCTL_DEFAULT_MIN_BATCH 32
#define OFFCTL_DEFAULT_ASYNC_MS	10

/*
 * Route and counters of a copy class: folios, except @declined and @nomem
 * (requests; @nomem counts those the broker could not allocate at all).
 * @engines is "all" for a route to every engine.
 */
struct offctl_class {
	char mode[16];
	int64_t min_batch;
	char engines[OFFCTL_ENGINES_LEN];
	int64_t submitted;
	int64_t offloaded;
	int64_t cpu;
	int64_t failed;
	int64_t declined;
	int64_t nomem;
};

/* State and counters of a registered engine. */
struct offctl_engine {
	int64_t node;
	bool quarantined;
	int64_t users;
	int64_t inflight;
	int64_t submitted;
	int64_t folios;
	int64_t bytes;
	int64_t errors;
	int64_t timeouts;
	int64_t fallbacks;
};

/* What a test engine saw, from its control file. */
struct offctl_te {
	int64_t chunks;
	int64_t folios;
	int64_t failed;
	int64_t aborted;
	int64_t rejected;
	int64_t segs;
};

/* What an mtcopy engine did, see drivers/offload/mtcopy.h. */
struct offctl_mtcopy {
	int64_t chunks;
	int64_t alone;
	int64_t busy;
	int64_t helpers;
	int64_t pieces;
	int64_t bytes;
	int64_t helper_bytes;
};

#ifndef __printf
#define __printf(a, b)	__attribute__((format(printf, a, b)))
#endif

__printf(2, 3) int offctl_write(const char *path, const char *fmt, ...);
__printf(3, 4) int offctl_write2(const char *dir, const char *name,
				 const char *fmt, ...);
int offctl_te_available(void);
__printf(1, 2) int offctl_te_cmd(const char *fmt, ...);
int offctl_route_set(const char *class, const char *mode,
		     unsigned int min_batch, const char *engines);
int offctl_route_reset(const char *class);
int offctl_enable(const char *engine);
int offctl_class_read(const char *class, struct offctl_class *c);
int offctl_engine_read(const char *engine, struct offctl_engine *e);
int offctl_te_read(const char *engine, struct offctl_te *t);
int offctl_te_list(const char *prefix, char names[][OFFCTL_NAME_LEN],
		   int max);
int offctl_engine_list(const char *prefix, char names[][OFFCTL_NAME_LEN],
		       int max);
int offctl_module_load(const char *name);
int offctl_module_unload(const char *name);
int offctl_mtcopy_read(const char *engine, struct offctl_mtcopy *m);

#endif /* __OFFLOAD_CTL_H */
