/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Declarations private to mm/offload.
 */
#ifndef _MM_OFFLOAD_INTERNAL_H
#define _MM_OFFLOAD_INTERNAL_H

#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/offload_copy.h>

/* The registry: see the locking rules at the top of core.c. */
extern struct list_head offload_engines;
extern struct mutex offload_engines_lock;

bool offload_engine_tryget(struct offload_engine *eng);

/**
 * struct offload_class_stats - counters of one copy class
 * @submitted: folios in requests the broker took.
 * @offloaded: folios copied by engines.
 * @cpu: folios copied by the calling CPU for the broker.
 * @failed: folios that could not be copied.
 * @declined: requests the broker declined.
 *
 * Once a request has been reported in full its folios are counted in
 * exactly one of @offloaded, @cpu and @failed.
 */
struct offload_class_stats {
	atomic64_t	submitted;
	atomic64_t	offloaded;
	atomic64_t	cpu;
	atomic64_t	failed;
	atomic64_t	declined;
};

extern struct offload_class_stats offload_class_stats[OFFLOAD_NR_CLASSES];

/* balance.c */
int offload_place(struct offload_req *req, struct offload_chunk *chunk);
void offload_unplace(struct offload_engine *eng, struct offload_chunk *chunk);

/* health.c */
void offload_engine_health_init(struct offload_engine *eng);
void offload_engine_health_stop(struct offload_engine *eng);
void offload_engine_fault(struct offload_engine *eng);
void offload_engine_success(struct offload_engine *eng);

/* route.c */
extern const char * const offload_mode_names[OFFLOAD_NR_MODES];

/* request.c */
void offload_req_submit_to(struct offload_req *req, struct offload_engine *eng);

#endif /* _MM_OFFLOAD_INTERNAL_H */
