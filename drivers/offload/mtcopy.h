/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mtcopy, the multi-threaded CPU copy engine: what its KUnit suite sees.
 */
#ifndef _DRIVERS_OFFLOAD_MTCOPY_H
#define _DRIVERS_OFFLOAD_MTCOPY_H

#include <linux/atomic.h>
#include <linux/offload_copy.h>

struct dentry;

/* Most helpers one chunk borrows, besides the CPU that submits it. */
#define MTCOPY_MAX_HELPERS	6

/**
 * enum mtcopy_where - whose CPUs help copy a chunk
 * @MTCOPY_ON_ENGINE: those of the engine's node (the default).
 * @MTCOPY_ON_DST: those of the destination's node.
 * @MTCOPY_ON_SRC: those of the source's node.
 * @MTCOPY_ON_ANY: any online CPU.
 * @MTCOPY_NR_WHERE: number of choices.
 */
enum mtcopy_where {
	MTCOPY_ON_ENGINE,
	MTCOPY_ON_DST,
	MTCOPY_ON_SRC,
	MTCOPY_ON_ANY,
	MTCOPY_NR_WHERE,
};

/**
 * struct mtcopy_params - the knobs, module parameters of the same names
 * @max_threads: most threads copying one chunk, the submitter included,
 *	1 to %MTCOPY_MAX_HELPERS + 1.
 * @min_piece_kb: smallest piece worth a helper, in KiB: a chunk is cut
 *	into at most one piece per this many KiB, so that a chunk below
 *	twice this size is copied by its submitter alone.
 * @where: see &enum mtcopy_where.
 */
struct mtcopy_params {
	unsigned int		max_threads;
	unsigned int		min_piece_kb;
	enum mtcopy_where	where;
};

extern struct mtcopy_params mtcopy_params;

/**
 * struct mtcopy_stats - what one engine did, since it registered
 * @chunks: chunks copied (or failed).
 * @alone: chunks their submitter copied alone: small, or no idle CPU.
 * @busy: chunks that could use helpers but found no idle CPU.
 * @helpers: pieces offered to helpers.
 * @taken_back: of those, pieces their submitter copied after all, no
 *	helper having started them in the meantime.
 * @pieces: pieces copied, the submitters' included.
 * @bytes: bytes copied.
 * @helper_bytes: bytes of those that helpers copied.
 * @copy_ns: time spent copying, summed over every thread.
 * @poisoned: chunks with a poisoned source.
 */
struct mtcopy_stats {
	atomic64_t	chunks;
	atomic64_t	alone;
	atomic64_t	busy;
	atomic64_t	helpers;
	atomic64_t	taken_back;
	atomic64_t	pieces;
	atomic64_t	bytes;
	atomic64_t	helper_bytes;
	atomic64_t	copy_ns;
	atomic64_t	poisoned;
};

/**
 * struct mtcopy_engine - one mtcopy engine
 * @eng: the engine the broker knows.
 * @stats: see &struct mtcopy_stats.
 * @debugfs: its file in /sys/kernel/debug/mtcopy/.
 */
struct mtcopy_engine {
	struct offload_engine	eng;
	struct mtcopy_stats	stats;
	struct dentry		*debugfs;
};

#if IS_ENABLED(CONFIG_KUNIT)
struct mtcopy_engine *mtcopy_engine_create(const char *name, int nid);
void mtcopy_engine_destroy(struct mtcopy_engine *mc);
unsigned int mtcopy_pick_cpus(const struct cpumask *from, int self,
			      unsigned int want, int *cpus);
#endif

#endif /* _DRIVERS_OFFLOAD_MTCOPY_H */
