// SPDX-License-Identifier: GPL-2.0
/*
 * Helpers shared by the mm_offload migration selftests and migrate_report.
 * See migrate_util.h for an overview.
 */

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <linux/mempolicy.h>

#include "migrate_util.h"

#define NODE_SYSFS		"/sys/devices/system/node"
#define THP_SYSFS		"/sys/kernel/mm/transparent_hugepage"

#define BITS_PER_LONG		(8 * sizeof(unsigned long))
#define NODE_MASK_LONGS		(MIG_MAX_NODES / BITS_PER_LONG)

/* 64-bit FNV-1a parameters. */
#define FNV64_OFFSET		0xcbf29ce484222325ULL
#define FNV64_PRIME		0x00000100000001b3ULL

/* 2^64 / golden ratio, the splitmix64 increment. */
#define GOLDEN64		0x9e3779b97f4a7c15ULL

static void mask_set(unsigned long *mask, unsigned int bit)
{
	mask[bit / BITS_PER_LONG] |= 1UL << (bit % BITS_PER_LONG);
}

static bool mask_test(const unsigned long *mask, unsigned int bit)
{
	return mask[bit / BITS_PER_LONG] & (1UL << (bit % BITS_PER_LONG));
}

/**
 * mig_read_file() - read a small sysfs or procfs file
 * @path: the file
 * @buf: receives its contents (up to @size - 1 bytes), NUL-terminated
 * @size: size of @buf
 *
 * Return: 0, -errno of fopen(3), or -EIO.
 */
int mig_read_file(const char *path, char *buf, size_t size)
{
	FILE *f;
	size_t n;

	f = fopen(path, "r");
	if (!f)
		return -errno;
	n = fread(buf, 1, size - 1, f);
	if (ferror(f)) {
		fclose(f);
		return -EIO;
	}
	fclose(f);
	buf[n] = '\0';
	return 0;
}

/* Parse a node list such as "0-1,3\n" into @mask. */
static int parse_node_list(const char *s, unsigned long *mask)
{
	while (*s && !isspace((unsigned char)*s)) {
		unsigned long first, last;
		char *end;

		errno = 0;
		first = strtoul(s, &end, 10);
		if (errno || end == s)
			return -EINVAL;
		last = first;
		s = end;
		if (*s == '-') {
			s++;
			last = strtoul(s, &end, 10);
			if (errno || end == s || last < first)
				return -EINVAL;
			s = end;
		}
		if (last >= MIG_MAX_NODES)
			return -ERANGE;
		while (first <= last)
			mask_set(mask, first++);
		if (*s == ',')
			s++;
	}
	return 0;
}

/* Does node<nid>/meminfo report a non-zero MemTotal? */
static bool node_has_memory(unsigned int nid)
{
	char path[64], buf[4096], *p;

	snprintf(path, sizeof(path), NODE_SYSFS "/node%u/meminfo", nid);
	if (mig_read_file(path, buf, sizeof(buf)))
		return false;
	/* "Node 0 MemTotal:       1234 kB" */
	p = strstr(buf, "MemTotal:");
	return p && strtoul(p + strlen("MemTotal:"), NULL, 10) > 0;
}

/* Fallback when has_memory is missing: scan the node<N> directories. */
static int scan_node_dirs(unsigned long *mask)
{
	struct dirent *de;
	DIR *dir;

	dir = opendir(NODE_SYSFS);
	if (!dir)
		return -errno;
	while ((de = readdir(dir))) {
		unsigned int nid;
		char tail;

		if (sscanf(de->d_name, "node%u%c", &nid, &tail) != 1)
			continue;
		if (nid < MIG_MAX_NODES && node_has_memory(nid))
			mask_set(mask, nid);
	}
	closedir(dir);
	return 0;
}

/**
 * mig_memory_nodes() - list the online NUMA nodes that have memory
 * @nodes: receives up to @max node ids, in ascending order
 * @max: capacity of @nodes
 *
 * Nodes this task may not allocate from (cpuset mems_allowed) are left out,
 * since move_pages() to them would fail with -EACCES.
 *
 * Return: the number of such nodes (which may exceed @max), or -errno.
 * A kernel without NUMA support counts as a single node 0.
 */
int mig_memory_nodes(int *nodes, int max)
{
	unsigned long mask[NODE_MASK_LONGS] = { 0 };
	unsigned long allowed[NODE_MASK_LONGS] = { 0 };
	char buf[4096];
	unsigned int nid, i;
	int ret, count = 0;

	ret = mig_read_file(NODE_SYSFS "/has_memory", buf, sizeof(buf));
	if (!ret)
		ret = parse_node_list(buf, mask);
	else if (ret == -ENOENT)
		ret = scan_node_dirs(mask);
	if (ret == -ENOENT) {
		/* No node directory at all: CONFIG_NUMA=n. */
		mask_set(mask, 0);
		ret = 0;
	}
	if (ret)
		return ret;

	/* maxnode counts one bit more than the mask holds, cf. get_nodes(). */
	if (!syscall(SYS_get_mempolicy, NULL, allowed, MIG_MAX_NODES + 1,
		     NULL, MPOL_F_MEMS_ALLOWED)) {
		for (i = 0; i < NODE_MASK_LONGS; i++)
			mask[i] &= allowed[i];
	}

	for (nid = 0; nid < MIG_MAX_NODES; nid++) {
		if (!mask_test(mask, nid))
			continue;
		if (count < max)
			nodes[count] = nid;
		count++;
	}
	return count;
}

/**
 * mig_thp_size() - size of a PMD-mapped transparent huge page
 *
 * Return: hpage_pmd_size from sysfs, or %MIG_THP_SIZE_DEFAULT.
 */
size_t mig_thp_size(void)
{
	char buf[64];
	unsigned long size;

	if (mig_read_file(THP_SYSFS "/hpage_pmd_size", buf, sizeof(buf)))
		return MIG_THP_SIZE_DEFAULT;
	size = strtoul(buf, NULL, 10);
	return size ? size : MIG_THP_SIZE_DEFAULT;
}

/*
 * Return the selected word of a sysfs choice list such as
 * "always [madvise] never", or an empty string.
 */
static const char *selected_choice(char *buf)
{
	char *open, *close;

	open = strchr(buf, '[');
	if (!open)
		return "";
	close = strchr(open, ']');
	if (!close)
		return "";
	*close = '\0';
	return open + 1;
}

/**
 * mig_thp_mode() - effective THP mode for PMD-sized anonymous pages
 *
 * Honours the per-size control (hugepages-<size>kB/enabled) when present and
 * not set to "inherit", the top-level "enabled" knob otherwise.  A task that
 * inherited PR_SET_THP_DISABLE gets no THPs whatever sysfs says.
 */
enum mig_thp_mode mig_thp_mode(void)
{
	char path[128], buf[256];
	const char *mode = "";

	snprintf(path, sizeof(path), THP_SYSFS "/hugepages-%zukB/enabled",
		 mig_thp_size() >> 10);
	if (!mig_read_file(path, buf, sizeof(buf)))
		mode = selected_choice(buf);

	if (!*mode || !strcmp(mode, "inherit")) {
		if (mig_read_file(THP_SYSFS "/enabled", buf, sizeof(buf)))
			return MIG_THP_UNSUPPORTED;
		mode = selected_choice(buf);
	}

	if (strcmp(mode, "always") && strcmp(mode, "madvise"))
		return MIG_THP_NEVER;
	if (prctl(PR_GET_THP_DISABLE, 0, 0, 0, 0) > 0)
		return MIG_THP_TASK_DISABLED;
	return strcmp(mode, "always") ? MIG_THP_MADVISE : MIG_THP_ALWAYS;
}

const char *mig_thp_mode_name(enum mig_thp_mode mode)
{
	switch (mode) {
	case MIG_THP_ALWAYS:
		return "always";
	case MIG_THP_MADVISE:
		return "madvise";
	case MIG_THP_NEVER:
		return "never";
	case MIG_THP_TASK_DISABLED:
		return "disabled for this task by prctl(PR_SET_THP_DISABLE)";
	default:
		return "unsupported";
	}
}

/**
 * mig_thp_unavailable() - why PMD-sized THPs cannot be tested here
 *
 * Return: a reason for a skip message, or NULL if THPs can be had (with
 * MADV_HUGEPAGE, see mig_region_alloc()).
 */
const char *mig_thp_unavailable(void)
{
	switch (mig_thp_mode()) {
	case MIG_THP_UNSUPPORTED:
		return "THP not supported (no /sys/kernel/mm/transparent_hugepage/enabled)";
	case MIG_THP_NEVER:
		return "THP disabled (transparent_hugepage/enabled is never)";
	case MIG_THP_TASK_DISABLED:
		return "THP disabled for this task by prctl(PR_SET_THP_DISABLE)";
	default:
		return NULL;
	}
}

/**
 * mig_thp_kb() - anonymous THP backing of a range
 * @addr: start of the range
 * @len: length of the range
 *
 * Sums the AnonHugePages fields of all /proc/self/smaps entries that overlap
 * [@addr, @addr + @len).  The count is exact when the range consists of whole
 * VMAs, which mig_region_alloc() guarantees for its regions.
 *
 * Return: kB backed by THPs, or -errno.
 */
long mig_thp_kb(const void *addr, size_t len)
{
	unsigned long start = (unsigned long)addr, end = start + len;
	unsigned long vm_start, vm_end, kb;
	bool overlaps = false;
	char *line = NULL;
	size_t line_len = 0;
	long total = 0;
	char perms[8];
	FILE *f;

	f = fopen("/proc/self/smaps", "r");
	if (!f)
		return -errno;
	while (getline(&line, &line_len, f) > 0) {
		/* A VMA header: "7f0000000000-7f0000200000 rw-p ..." */
		if (sscanf(line, "%lx-%lx %7s", &vm_start, &vm_end, perms) == 3) {
			overlaps = vm_start < end && vm_end > start;
			continue;
		}
		if (overlaps && sscanf(line, "AnonHugePages: %lu kB", &kb) == 1)
			total += kb;
	}
	free(line);
	fclose(f);
	return total;
}

/*
 * Reserve an inaccessible range for a region of @len bytes backed as
 * @backing, aligned to the THP size with a guard page on each side, and
 * fill in @r; the caller then maps or unprotects [@r->addr, + @len).
 */
static int region_reserve(struct mig_region *r, size_t len,
			  enum mig_backing backing)
{
	size_t page_size = sysconf(_SC_PAGESIZE);
	size_t align = mig_thp_size();
	size_t granule;
	uintptr_t start;

	memset(r, 0, sizeof(*r));
	if (align < page_size)
		align = page_size;

	switch (backing) {
	case MIG_BASE_PAGES:
		granule = page_size;
		break;
	case MIG_THP:
		granule = align;
		break;
	case MIG_MIXED:
		granule = 2 * align;
		break;
	default:
		return -EINVAL;
	}
	if (!len || len % granule)
		return -EINVAL;

	/* Reserve room for the alignment plus a guard page on each side. */
	r->map_len = len + 2 * align;
	r->map = mmap(NULL, r->map_len, PROT_NONE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (r->map == MAP_FAILED) {
		r->map = NULL;
		return -errno;
	}
	start = ((uintptr_t)r->map + page_size + align - 1) & ~(align - 1);
	r->addr = (char *)start;
	r->len = len;
	r->page_size = page_size;
	r->align = align;
	r->backing = backing;
	return 0;
}

/**
 * mig_region_alloc() - map an anonymous test region
 * @r: region to set up
 * @len: usable length; a multiple of the base page size for
 *	%MIG_BASE_PAGES, of the THP size for %MIG_THP and of twice the THP
 *	size for %MIG_MIXED
 * @backing: how to advise the region
 *
 * The region is aligned to the THP size and surrounded by PROT_NONE guard
 * pages.  It is not populated; see mig_region_fill().
 *
 * Return: 0 or -errno.
 */
int mig_region_alloc(struct mig_region *r, size_t len, enum mig_backing backing)
{
	size_t half = len / 2;
	int ret;

	ret = region_reserve(r, len, backing);
	if (ret)
		return ret;

	if (mprotect(r->addr, len, PROT_READ | PROT_WRITE)) {
		ret = -errno;
		goto fail;
	}

	/*
	 * MADV_NOHUGEPAGE keeps base page regions free of THPs even with THP
	 * "always"; it fails with EINVAL on kernels without THP, which is
	 * fine.  MADV_HUGEPAGE must succeed, the caller asked for THPs.
	 */
	switch (backing) {
	case MIG_BASE_PAGES:
		if (madvise(r->addr, len, MADV_NOHUGEPAGE) && errno != EINVAL)
			ret = -errno;
		break;
	case MIG_THP:
		if (madvise(r->addr, len, MADV_HUGEPAGE))
			ret = -errno;
		break;
	case MIG_MIXED:
		if (madvise(r->addr, half, MADV_HUGEPAGE) ||
		    madvise(r->addr + half, half, MADV_NOHUGEPAGE))
			ret = -errno;
		break;
	}
	if (!ret)
		return 0;
fail:
	mig_region_free(r);
	return ret;
}

/**
 * mig_region_map_fd() - map a file as a shared test region
 * @r: region to set up
 * @fd: file to map, e.g. a memfd, at least @len bytes long
 * @len: length of the mapping, a multiple of the base page size
 *
 * Maps [0, @len) of @fd MAP_SHARED, aligned and guarded as
 * mig_region_alloc() does, and advises it MADV_NOHUGEPAGE: the region is
 * made of base pages (%MIG_BASE_PAGES).  Every mapping of the same file
 * made this way, in this process or another one, shows the same pages.
 * The region is not populated; see mig_region_fill().
 *
 * Return: 0 or -errno.
 */
int mig_region_map_fd(struct mig_region *r, int fd, size_t len)
{
	int ret;

	ret = region_reserve(r, len, MIG_BASE_PAGES);
	if (ret)
		return ret;

	if (mmap(r->addr, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
		 fd, 0) == MAP_FAILED) {
		ret = -errno;
		goto fail;
	}
	if (madvise(r->addr, len, MADV_NOHUGEPAGE) && errno != EINVAL) {
		ret = -errno;
		goto fail;
	}
	return 0;
fail:
	mig_region_free(r);
	return ret;
}

void mig_region_free(struct mig_region *r)
{
	if (r->map)
		munmap(r->map, r->map_len);
	memset(r, 0, sizeof(*r));
}

size_t mig_region_pages(const struct mig_region *r)
{
	return r->page_size ? r->len / r->page_size : 0;
}

const char *mig_backing_name(enum mig_backing backing)
{
	switch (backing) {
	case MIG_BASE_PAGES:
		return sysconf(_SC_PAGESIZE) == 4096 ? "4k" : "base";
	case MIG_THP:
		return "thp";
	case MIG_MIXED:
		return "mixed";
	default:
		return "?";
	}
}

/* splitmix64 finaliser: a cheap bijective 64-bit mixer. */
static inline uint64_t mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/*
 * Expected value of 64-bit word @w of page @idx.  Word 0 is the mixed seed
 * XOR the page index, so no two pages of a region can be equal; the other
 * words are pseudo-random so that misplaced or partially copied data shows.
 */
static inline uint64_t pattern_word(uint64_t seed_key, uint64_t page_key,
				    size_t idx, size_t w)
{
	if (!w)
		return seed_key ^ idx;
	return mix64(page_key + w * GOLDEN64);
}

static inline uint64_t pattern_page_key(uint64_t seed_key, size_t idx)
{
	return mix64(seed_key + (idx + 1) * GOLDEN64);
}

/**
 * mig_region_fill() - populate a region with its data pattern
 * @r: region
 * @seed: pattern seed
 * @node: node to allocate the pages on, or -1 for the task's policy
 *
 * Every base page gets contents derived from (@seed, page index), so pages
 * are all different and mig_region_verify() can tell which one is wrong.
 *
 * With @node >= 0 the region is first bound to @node with mbind(MPOL_BIND).
 * The binding stays: it does not restrict move_pages(), which names its
 * target node explicitly, but it keeps automatic NUMA balancing from
 * migrating the pages behind the caller's back (a VMA policy without
 * MPOL_F_NUMA_BALANCING opts the range out of it).
 *
 * Return: 0 or -errno (the memory policy could not be set).
 */
int mig_region_fill(struct mig_region *r, uint64_t seed, int node)
{
	size_t words = r->page_size / sizeof(uint64_t);
	size_t i, w, npages = mig_region_pages(r);
	uint64_t seed_key = mix64(seed);
	int ret;

	if (node >= 0) {
		ret = mig_mbind(r->addr, r->len, MPOL_BIND, node, 0);
		if (ret)
			return ret;
	}

	for (i = 0; i < npages; i++) {
		uint64_t *p = (uint64_t *)(r->addr + i * r->page_size);
		uint64_t page_key = pattern_page_key(seed_key, i);

		for (w = 0; w < words; w++)
			p[w] = pattern_word(seed_key, page_key, i, w);
	}
	return 0;
}

/**
 * mig_region_checksum() - checksum of a region's contents
 *
 * FNV-1a over 64-bit words, each word first run through the splitmix64
 * mixer so that every bit of it affects the whole hash (plain word-wise
 * FNV-1a only propagates changes towards the high bits).
 */
uint64_t mig_region_checksum(const struct mig_region *r)
{
	const uint64_t *p = (const uint64_t *)r->addr;
	size_t i, n = r->len / sizeof(*p);
	uint64_t h = FNV64_OFFSET;

	for (i = 0; i < n; i++) {
		h ^= mix64(p[i]);
		h *= FNV64_PRIME;
	}
	return h;
}

/**
 * mig_region_verify() - compare a region against its data pattern
 * @r: region
 * @seed: seed the region was filled with
 * @first_bad: if not NULL, receives the index of the first bad page
 *
 * Return: the number of pages whose contents differ from the pattern.
 */
size_t mig_region_verify(const struct mig_region *r, uint64_t seed,
			 size_t *first_bad)
{
	size_t words = r->page_size / sizeof(uint64_t);
	size_t i, w, npages = mig_region_pages(r);
	uint64_t seed_key = mix64(seed);
	size_t bad = 0;

	for (i = 0; i < npages; i++) {
		const uint64_t *p = (const uint64_t *)(r->addr + i * r->page_size);
		uint64_t page_key = pattern_page_key(seed_key, i);

		for (w = 0; w < words; w++) {
			if (p[w] != pattern_word(seed_key, page_key, i, w))
				break;
		}
		if (w == words)
			continue;
		if (!bad && first_bad)
			*first_bad = i;
		bad++;
	}
	return bad;
}

/**
 * mig_move_pages() - move_pages(2) on the calling process, errors as -errno
 * @count: number of addresses
 * @pages: addresses, one per base page (any address of a folio moves all
 *	of it)
 * @nodes: target node per address, or NULL to query where pages are
 * @status: receives a node or a negative errno per address
 * @flags: %MPOL_MF_MOVE or %MPOL_MF_MOVE_ALL (0 for a query)
 *
 * Return: 0, the positive number of pages not migrated, or -errno.
 */
long mig_move_pages(unsigned long count, void **pages, const int *nodes,
		    int *status, int flags)
{
	long ret = syscall(SYS_move_pages, 0, count, pages, nodes, status,
			   flags);

	return ret < 0 ? -errno : ret;
}

/* Addresses of all base pages of @r, or NULL. */
static void **region_page_array(const struct mig_region *r)
{
	size_t i, n = mig_region_pages(r);
	void **pages = calloc(n, sizeof(*pages));

	if (!pages)
		return NULL;
	for (i = 0; i < n; i++)
		pages[i] = r->addr + i * r->page_size;
	return pages;
}

/**
 * mig_move_region() - move every base page of a region to a node
 * @r: region
 * @node: target node
 * @status: receives mig_region_pages(@r) per-page results: the node a page
 *	is on, or a negative errno
 * @stats: if not NULL, receives retry statistics
 *
 * Same as mig_move_region_flags() with %MPOL_MF_MOVE: pages that other
 * processes map too are left alone (their status is -EACCES).
 */
long mig_move_region(const struct mig_region *r, int node, int *status,
		     struct mig_move_stats *stats)
{
	return mig_move_region_flags(r, node, MPOL_MF_MOVE, status, stats);
}

/**
 * mig_move_region_flags() - move every base page of a region to a node
 * @r: region
 * @node: target node
 * @flags: move_pages(2) flags, %MPOL_MF_MOVE or %MPOL_MF_MOVE_ALL (which
 *	also moves pages other processes map, and needs CAP_SYS_NICE)
 * @status: receives mig_region_pages(@r) per-page results: the node a page
 *	is on, or a negative errno.  When move_pages(2) fails to migrate
 *	some pages (a positive return value) it leaves the entries of the
 *	pages it had queued as they were: fill @status beforehand to tell.
 * @stats: if not NULL, receives retry statistics
 *
 * All base page addresses are passed in one move_pages(2) call.  Pages that
 * come back with -EBUSY are passed again, up to %MIG_MOVE_RETRIES times, as
 * move_pages(2) documents -EBUSY as transient.  The common case is a THP:
 * its first base page queues the whole folio for migration and isolates it
 * from the LRU, so the kernel fails to isolate it again for the next base
 * page and reports -EBUSY for that one, although the folio does get moved.
 *
 * Return: 0 when the kernel processed all pages (see @status), the positive
 * number of pages the kernel could not migrate, or -errno.
 */
long mig_move_region_flags(const struct mig_region *r, int node, int flags,
			   int *status, struct mig_move_stats *stats)
{
	size_t i, k, n = mig_region_pages(r);
	void **pages, **retry_pages = NULL;
	int *nodes = NULL, *retry_status = NULL;
	size_t *retry_idx = NULL;
	unsigned int pass;
	long ret = -ENOMEM;

	if (stats)
		memset(stats, 0, sizeof(*stats));

	pages = region_page_array(r);
	nodes = calloc(n, sizeof(*nodes));
	retry_pages = calloc(n, sizeof(*retry_pages));
	retry_status = calloc(n, sizeof(*retry_status));
	retry_idx = calloc(n, sizeof(*retry_idx));
	if (!pages || !nodes || !retry_pages || !retry_status || !retry_idx)
		goto out;
	for (i = 0; i < n; i++)
		nodes[i] = node;

	ret = mig_move_pages(n, pages, nodes, status, flags);
	if (stats)
		stats->passes = 1;

	for (pass = 0; !ret && pass < MIG_MOVE_RETRIES; pass++) {
		for (i = 0, k = 0; i < n; i++) {
			if (status[i] != -EBUSY)
				continue;
			retry_pages[k] = pages[i];
			retry_idx[k++] = i;
		}
		if (!k)
			break;

		ret = mig_move_pages(k, retry_pages, nodes, retry_status,
				     flags);
		if (stats) {
			stats->passes++;
			stats->retried += k;
		}
		if (ret)
			break;
		for (i = 0; i < k; i++)
			status[retry_idx[i]] = retry_status[i];
	}
out:
	free(retry_idx);
	free(retry_status);
	free(retry_pages);
	free(nodes);
	free(pages);
	return ret;
}

/**
 * mig_query_region() - report where every base page of a region lives
 * @r: region
 * @status: receives mig_region_pages(@r) node ids or negative errnos
 *
 * Return: 0 or -errno.
 */
long mig_query_region(const struct mig_region *r, int *status)
{
	void **pages = region_page_array(r);
	long ret;

	if (!pages)
		return -ENOMEM;
	ret = mig_move_pages(mig_region_pages(r), pages, NULL, status, 0);
	free(pages);
	return ret;
}

/**
 * mig_count_misplaced() - count status entries that are not @node
 * @status: per-page status array
 * @n: number of entries
 * @node: expected node
 * @first_bad: if not NULL, receives the index of the first mismatch
 */
size_t mig_count_misplaced(const int *status, size_t n, int node,
			   size_t *first_bad)
{
	size_t i, bad = 0;

	for (i = 0; i < n; i++) {
		if (status[i] == node)
			continue;
		if (!bad && first_bad)
			*first_bad = i;
		bad++;
	}
	return bad;
}

/**
 * mig_describe_status() - describe a move_pages(2) status entry
 * @buf: receives e.g. "node 1" or "error -14 (Bad address)"
 * @size: size of @buf
 * @status: the entry: a node id or a negative errno
 */
void mig_describe_status(char *buf, size_t size, int status)
{
	if (status >= 0)
		snprintf(buf, size, "node %d", status);
	else
		snprintf(buf, size, "error %d (%s)", status, strerror(-status));
}

/**
 * mig_describe_move() - describe a failed move of a whole region
 * @buf: receives e.g. "move_pages() node 0 -> 1: 3 pages not migrated"
 * @size: size of @buf
 * @ret: what mig_move_region() or mig_move_region_flags() returned
 * @from: node the region was on
 * @to: node it was moved to
 *
 * Return: @buf, for a log message.
 */
const char *mig_describe_move(char *buf, size_t size, long ret, int from,
			      int to)
{
	if (ret < 0)
		snprintf(buf, size, "move_pages() node %d -> %d failed: %s",
			 from, to, strerror(-ret));
	else
		snprintf(buf, size,
			 "move_pages() node %d -> %d: %ld pages not migrated",
			 from, to, ret);
	return buf;
}

/**
 * mig_mbind() - set the memory policy of a range to one node
 * @addr: start of the range, page aligned
 * @len: length of the range
 * @mode: policy mode, e.g. %MPOL_BIND or %MPOL_PREFERRED
 * @node: the policy's only node
 * @flags: mbind(2) flags, e.g. 0 or %MPOL_MF_MOVE to also move the pages
 *	already there that do not follow the new policy
 *
 * Return: 0 or -errno.
 */
int mig_mbind(void *addr, size_t len, int mode, int node, unsigned int flags)
{
	unsigned long mask[NODE_MASK_LONGS] = { 0 };

	if (node < 0 || node >= MIG_MAX_NODES)
		return -EINVAL;
	mask_set(mask, node);
	/* maxnode counts one bit more than the mask holds, cf. get_nodes(). */
	if (syscall(SYS_mbind, addr, len, mode, mask, MIG_MAX_NODES + 1,
		    flags))
		return -errno;
	return 0;
}

/**
 * mig_migrate_pages() - move a process's pages from one node to another
 * @pid: the process, 0 for the caller
 * @from: node to move pages off
 * @to: node to move them to
 *
 * migrate_pages(2) moves every page of @pid that is on @from; with
 * CAP_SYS_NICE also the pages other processes map too.
 *
 * Return: the number of pages that could not be moved, or -errno.
 */
long mig_migrate_pages(pid_t pid, int from, int to)
{
	unsigned long old[NODE_MASK_LONGS] = { 0 };
	unsigned long new[NODE_MASK_LONGS] = { 0 };
	long ret;

	if (from < 0 || from >= MIG_MAX_NODES || to < 0 || to >= MIG_MAX_NODES)
		return -EINVAL;
	mask_set(old, from);
	mask_set(new, to);
	ret = syscall(SYS_migrate_pages, pid, MIG_MAX_NODES + 1, old, new);
	return ret < 0 ? -errno : ret;
}

/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t mig_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}
