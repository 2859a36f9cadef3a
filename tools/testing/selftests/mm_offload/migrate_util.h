/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the mm_offload page migration selftests and the
 * migrate_report demo tool: reading small sysfs and procfs files, NUMA node
 * discovery, test regions made of base pages and/or transparent huge pages
 * (private anonymous, or a shared mapping of a file such as a memfd), a
 * per-page data pattern with a checksum, raw move_pages(2), mbind(2) and
 * migrate_pages(2) wrappers and a monotonic clock.
 *
 * Only raw system calls are used (no libnuma), so the programs can be linked
 * statically and run from a minimal initramfs.
 */
#ifndef __MIGRATE_UTIL_H
#define __MIGRATE_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Highest node count the helpers handle (kernel MAX_NUMNODES limit). */
#define MIG_MAX_NODES		1024

/* Huge page size assumed when sysfs does not tell (x86-64 PMD size). */
#define MIG_THP_SIZE_DEFAULT	(2UL << 20)

/* Extra move_pages() passes for pages that reported -EBUSY. */
#define MIG_MOVE_RETRIES	3

/* How a test region is backed. */
enum mig_backing {
	MIG_BASE_PAGES,		/* base pages only (MADV_NOHUGEPAGE) */
	MIG_THP,		/* PMD-sized THPs (MADV_HUGEPAGE) */
	MIG_MIXED,		/* first half THP, second half base pages */
};

/* State of PMD-sized transparent huge pages for anonymous memory. */
enum mig_thp_mode {
	MIG_THP_UNSUPPORTED,	/* no sysfs knob: kernel built without THP */
	MIG_THP_NEVER,
	MIG_THP_TASK_DISABLED,	/* prctl(PR_SET_THP_DISABLE) on this task */
	MIG_THP_MADVISE,
	MIG_THP_ALWAYS,
};

/*
 * struct mig_region - a test mapping: anonymous private, or a shared
 *	mapping of a file (mig_region_map_fd())
 * @addr: start of the usable range, aligned to @align.
 * @len: length of the usable range in bytes.
 * @page_size: base page size.
 * @align: alignment of @addr (the THP size).
 * @backing: how the range was advised.
 * @map: start of the whole reservation, including the PROT_NONE guards that
 *	keep the usable range a VMA of its own (so smaps accounting for it is
 *	exact and it never merges with a neighbouring mapping).
 * @map_len: length of the whole reservation.
 */
struct mig_region {
	char *addr;
	size_t len;
	size_t page_size;
	size_t align;
	enum mig_backing backing;
	void *map;
	size_t map_len;
};

/* Per-call statistics of mig_move_region(). */
struct mig_move_stats {
	size_t retried;		/* page statuses that were -EBUSY and retried */
	unsigned int passes;	/* move_pages() calls made */
};

/* Small sysfs and procfs files */
int mig_read_file(const char *path, char *buf, size_t size);

/* NUMA topology */
int mig_memory_nodes(int *nodes, int max);

/* Transparent huge pages */
size_t mig_thp_size(void);
enum mig_thp_mode mig_thp_mode(void);
const char *mig_thp_mode_name(enum mig_thp_mode mode);
const char *mig_thp_unavailable(void);
long mig_thp_kb(const void *addr, size_t len);

/* Test regions */
int mig_region_alloc(struct mig_region *r, size_t len, enum mig_backing backing);
int mig_region_map_fd(struct mig_region *r, int fd, size_t len);
void mig_region_free(struct mig_region *r);
size_t mig_region_pages(const struct mig_region *r);
int mig_region_fill(struct mig_region *r, uint64_t seed, int node);
uint64_t mig_region_checksum(const struct mig_region *r);
size_t mig_region_verify(const struct mig_region *r, uint64_t seed,
			 size_t *first_bad);
const char *mig_backing_name(enum mig_backing backing);

/* Page migration */
long mig_move_pages(unsigned long count, void **pages, const int *nodes,
		    int *status, int flags);
long mig_move_region(const struct mig_region *r, int node, int *status,
		     struct mig_move_stats *stats);
long mig_move_region_flags(const struct mig_region *r, int node, int flags,
			   int *status, struct mig_move_stats *stats);
long mig_query_region(const struct mig_region *r, int *status);
size_t mig_count_misplaced(const int *status, size_t n, int node,
			   size_t *first_bad);
void mig_describe_status(char *buf, size_t size, int status);
const char *mig_describe_move(char *buf, size_t size, long ret, int from,
			      int to);
int mig_mbind(void *addr, size_t len, int mode, int node, unsigned int flags);
long mig_migrate_pages(pid_t pid, int from, int to);

/* Time */
uint64_t mig_now_ns(void);

#endif /* __MIGRATE_UTIL_H */
