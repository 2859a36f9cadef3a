/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mm/offload: a broker that hands folio copies to copy engines.
 *
 * Copy engines (DMA channels, a multi-threaded CPU copier, ...) register
 * here; users such as page migration submit copy requests and the broker
 * decides which engine copies what.  See Documentation/mm/offload/.
 */
#ifndef _LINUX_OFFLOAD_COPY_H
#define _LINUX_OFFLOAD_COPY_H

#include <linux/completion.h>
#include <linux/errno.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/types.h>

struct device;
struct module;
struct offload_chunk;
struct offload_engine;

/* Longest engine name, including the terminating NUL. */
#define OFFLOAD_ENGINE_NAME_LEN		32

/* Relative throughput assumed for an engine that leaves @weight at 0. */
#define OFFLOAD_ENGINE_WEIGHT_DEFAULT	100

/**
 * enum offload_engine_cap - capability flags of a copy engine
 * @OFFLOAD_CAP_LARGE_FOLIO: the engine copies a large folio in one piece.
 *	Without it the broker splits large folios into base pages before
 *	handing them to the engine.
 * @OFFLOAD_CAP_ALL: every capability this header knows about.
 */
enum offload_engine_cap {
	OFFLOAD_CAP_LARGE_FOLIO	= 1U << 0,
	OFFLOAD_CAP_ALL		= OFFLOAD_CAP_LARGE_FOLIO,
};

/**
 * struct offload_engine_ops - callbacks a copy engine provides
 * @submit: queue @chunk for copying.  Called with no locks of the caller
 *	held, but possibly in atomic context: it must not sleep.  Returns 0
 *	once the chunk is queued (the engine then owns it until it reports
 *	completion), or a negative errno if it cannot take the chunk now
 *	(-EBUSY: try later or elsewhere).  Required.
 * @issue_pending: start the work queued by earlier @submit calls, so that
 *	an engine may batch descriptors (cf. dma_async_issue_pending()).
 *	Same context rules as @submit.  Required.
 * @abort: best-effort cancellation of a chunk that did not complete in
 *	time; the engine must still report the chunk complete, with an error,
 *	exactly once.  May sleep.  Optional.
 */
struct offload_engine_ops {
	int (*submit)(struct offload_engine *eng, struct offload_chunk *chunk);
	void (*issue_pending)(struct offload_engine *eng);
	void (*abort)(struct offload_engine *eng, struct offload_chunk *chunk);
};

/**
 * struct offload_engine - a copy engine known to mm/offload
 * @name: unique name, e.g. "dma0chan1" or "mtcopy".
 * @ops: callbacks, see &struct offload_engine_ops.
 * @owner: module providing @ops; pinned while the broker uses the engine.
 * @dev: backing device, if any (NULL for CPU engines).
 * @nid: NUMA node the engine is closest to, or NUMA_NO_NODE.
 * @caps: mask of &enum offload_engine_cap.
 * @min_batch: smallest number of folios worth a submission; below it the
 *	engine is not used.  0 means 1.
 * @max_inflight: most chunks the engine accepts at once; 0 means no limit.
 * @weight: relative throughput used to balance work between engines;
 *	0 means %OFFLOAD_ENGINE_WEIGHT_DEFAULT.
 *
 * The engine's driver fills in the fields above and keeps the structure
 * alive from offload_engine_register() until offload_engine_unregister()
 * returns.  The fields below are private to mm/offload.
 *
 * @list: entry in the registry, RCU-protected.
 * @ref: references: one for the registry, one per user.
 * @released: completed when the last reference is dropped.
 */
struct offload_engine {
	char				name[OFFLOAD_ENGINE_NAME_LEN];
	const struct offload_engine_ops	*ops;
	struct module			*owner;
	struct device			*dev;
	int				nid;
	unsigned int			caps;
	unsigned int			min_batch;
	unsigned int			max_inflight;
	unsigned int			weight;

	struct list_head		list;
	struct kref			ref;
	struct completion		released;
};

#ifdef CONFIG_MIGRATION_OFFLOAD

int offload_engine_register(struct offload_engine *eng);
void offload_engine_unregister(struct offload_engine *eng);
int devm_offload_engine_register(struct device *dev,
				 struct offload_engine *eng);
struct offload_engine *offload_engine_get(const char *name);
void offload_engine_put(struct offload_engine *eng);

#else /* !CONFIG_MIGRATION_OFFLOAD */

static inline int offload_engine_register(struct offload_engine *eng)
{
	return -EOPNOTSUPP;
}

static inline void offload_engine_unregister(struct offload_engine *eng)
{
}

static inline int devm_offload_engine_register(struct device *dev,
					       struct offload_engine *eng)
{
	return -EOPNOTSUPP;
}

static inline struct offload_engine *offload_engine_get(const char *name)
{
	return NULL;
}

static inline void offload_engine_put(struct offload_engine *eng)
{
}

#endif /* CONFIG_MIGRATION_OFFLOAD */

#endif /* _LINUX_OFFLOAD_COPY_H */
