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

struct offload_engine *offload_engine_find(const char *name);
bool offload_engine_tryget(struct offload_engine *eng);
void offload_engine_hold(struct offload_engine *eng);

/* The class of probe copies (health.c): counted apart from real users. */
#define OFFLOAD_CLASS_PROBE		OFFLOAD_NR_CLASSES

/**
 * struct offload_class_stats - counters of one copy class
 * @submitted: folios in requests the broker took.
 * @offloaded: folios copied by engines.
 * @cpu: folios copied by the calling CPU for the broker.
 * @failed: folios that could not be copied (abandoned ones included).
 * @declined: requests the broker declined.
 * @nomem: requests that could not be allocated.
 * @refused: require-mode requests that found no usable engine of the
 *	route (all gone, disabled or quarantined): their folios fail.
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
	atomic64_t	nomem;
	atomic64_t	refused;
};

extern struct offload_class_stats offload_class_stats[OFFLOAD_NR_CLASSES + 1];

/*
 * offload_chunk::state, one atomic word so that a completion checks its
 * placement and counts its part in a single cmpxchg:
 *
 *	bits  0-1	state, below
 *	bits  2-31	generation: placements of the chunk so far
 *	bits 32-47	parts still to complete
 *	bits 48-59	first error a part reported, negated
 *
 * A ticket is the low 32 bits a placement starts with: its generation and
 * ON_ENGINE.
 */
#define OFFLOAD_CHUNK_IDLE		0	/* pending, handled, late-done */
#define OFFLOAD_CHUNK_ON_ENGINE		1	/* the engine owns it */
#define OFFLOAD_CHUNK_DONE		2	/* completed, on the done list */
#define OFFLOAD_CHUNK_ABANDONED		3	/* given up, engine may write */
#define OFFLOAD_CHUNK_STATE_MASK	3
#define OFFLOAD_CHUNK_GEN_ONE		4
#define OFFLOAD_CHUNK_PARTS_SHIFT	32
#define OFFLOAD_CHUNK_PARTS_MAX		0xffff
#define OFFLOAD_CHUNK_ERR_SHIFT		48
#define OFFLOAD_CHUNK_ERR_MAX		0xfff

static inline unsigned int offload_state_bits(u64 state)
{
	return state & OFFLOAD_CHUNK_STATE_MASK;
}

/* The generation: the ticket without its state. */
static inline u32 offload_state_gen(u64 state)
{
	return (u32)state & ~OFFLOAD_CHUNK_STATE_MASK;
}

static inline unsigned int offload_state_parts(u64 state)
{
	return (state >> OFFLOAD_CHUNK_PARTS_SHIFT) & OFFLOAD_CHUNK_PARTS_MAX;
}

static inline int offload_state_error(u64 state)
{
	return -(int)((state >> OFFLOAD_CHUNK_ERR_SHIFT) &
		      OFFLOAD_CHUNK_ERR_MAX);
}

/* -ECANCELED completions after which a chunk's engine is at fault. */
#define OFFLOAD_CHUNK_CANCELS_MAX	3

/* Why a chunk was aborted: offload_chunk::abort. */
#define OFFLOAD_ABORT_TIMEOUT		1	/* its engine was too slow */
#define OFFLOAD_ABORT_DEADLINE		2	/* the caller's deadline */
#define OFFLOAD_ABORT_ABANDONED		3	/* abort grace missed too */

/* balance.c */
bool offload_engine_usable(const struct offload_engine *eng,
			   const struct offload_req *req);
int offload_place(struct offload_req *req, struct offload_chunk *chunk,
		  u64 skip);
void offload_unplace(struct offload_engine *eng, struct offload_chunk *chunk);
void offload_unplace_group(struct offload_engine *eng,
			   struct offload_chunk *chunk);
void offload_unplace_engine(struct offload_engine *eng,
			    struct offload_chunk *chunk);
u64 offload_queued_bytes(const struct offload_engine *eng);
u64 offload_engine_rate(const struct offload_engine *eng);
void offload_engine_measure(struct offload_engine *eng,
			    const struct offload_chunk *chunk, u64 now);

/* configfs.c */
#if IS_ENABLED(CONFIG_MIGRATION_OFFLOAD_CONFIGFS)
int offload_cfs_engine_add(struct offload_engine *eng);
void offload_cfs_engine_remove(struct offload_engine *eng);
#else
static inline int offload_cfs_engine_add(struct offload_engine *eng)
{
	return 0;
}

static inline void offload_cfs_engine_remove(struct offload_engine *eng)
{
}
#endif

/* health.c */
void offload_engine_health_init(struct offload_engine *eng);
void offload_engine_health_stop(struct offload_engine *eng);
void offload_engine_fault(struct offload_engine *eng);
void offload_engine_success(struct offload_engine *eng);
void offload_engine_abandoned(struct offload_engine *eng);

/* route.c */

/**
 * struct offload_class_route - the route of a class as published
 * @route: the route.
 * @engines: the registered engine each of @route.engines names, or NULL.
 */
struct offload_class_route {
	struct offload_route	route;
	struct offload_engine	*engines[OFFLOAD_ROUTE_MAX_ENGINES];
};

extern const char * const offload_mode_names[OFFLOAD_NR_MODES];
const char *offload_class_name(unsigned int class);
int offload_class_parse(const char *name);
int offload_route_add_engines(struct offload_route *route, char *list);
int offload_route_check(const struct offload_route *route);
const struct offload_class_route *offload_route_rcu(unsigned int class);
void offload_routes_engine_changed(struct offload_engine *eng, bool added);
extern enum offload_mode offload_default_mode;
void offload_route_set_early(unsigned int class,
			     const struct offload_route *route);
void offload_route_set_default_mode(enum offload_mode mode,
				    const unsigned long *configured);

/* seg.c */
void offload_chunk_count_segs(struct offload_chunk *chunk);

/* req_alloc.c */
void offload_req_note_priv(unsigned int size);
void offload_req_park(struct offload_req *req, struct offload_chunk *chunk);
void offload_req_unpark_chunk(struct offload_req *req,
			      struct offload_chunk *chunk);
void offload_req_unpark(struct offload_chunk *chunk);
unsigned int offload_req_parked_count(void);
#if IS_ENABLED(CONFIG_KUNIT)
struct offload_req *offload_req_create(unsigned int max,
				       unsigned int priv_size, gfp_t gfp);
#endif

/* request.c */
void offload_req_submit_to(struct offload_req *req, struct offload_engine *eng);

#endif /* _MM_OFFLOAD_INTERNAL_H */
