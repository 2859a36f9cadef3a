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

#include <linux/atomic.h>
#include <linux/completion.h>
#include <linux/errno.h>
#include <linux/jump_label.h>
#include <linux/kref.h>
#include <linux/refcount.h>
#include <linux/list.h>
#include <linux/llist.h>
#include <linux/migrate_mode.h>
#include <linux/types.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

struct device;
struct folio;
struct module;
struct page;
struct offload_chunk;
struct offload_engine;
struct offload_req;

/* Longest engine name, including the terminating NUL. */
#define OFFLOAD_ENGINE_NAME_LEN		32

/*
 * Throughput assumed for an engine that leaves @weight at 0 until the
 * broker has measured it: a weight of 100 stands for 1 GB/s.
 */
#define OFFLOAD_ENGINE_WEIGHT_DEFAULT	100

/* Time a chunk may take on an engine that leaves @timeout_ms at 0. */
#define OFFLOAD_ENGINE_TIMEOUT_DEFAULT_MS	1000

/* Consecutive faults (errors or timeouts) that quarantine an engine. */
#define OFFLOAD_ENGINE_MAX_FAULTS	3

/* Largest per-chunk private area an engine may ask for, in bytes. */
#define OFFLOAD_CHUNK_PRIV_MAX		128

/*
 * Time an engine has, once asked to abort a chunk, to complete it.  Past it
 * the broker abandons the chunk, see Documentation/mm/offload/design.rst.
 */
#define OFFLOAD_ABORT_GRACE_MS		100

/*
 * Bits of offload_engine::flags.
 * QUARANTINED: no new work (faults, or abandoned); cleared by enable or a probe.
 * ABANDONED: a chunk was abandoned on it: no probes, only an admin's enable.
 * DYING: offload_engine_unregister() has begun.
 * DEAD: the driver said the device is gone, see offload_engine_kill().
 * DISABLED: an admin took it out of every route (configfs "enabled").
 */
#define OFFLOAD_ENGINE_QUARANTINED	0
#define OFFLOAD_ENGINE_ABANDONED	1
#define OFFLOAD_ENGINE_DYING		2
#define OFFLOAD_ENGINE_DEAD		3
#define OFFLOAD_ENGINE_DISABLED		4

/**
 * enum offload_engine_cap - capability flags of a copy engine
 * @OFFLOAD_CAP_LARGE_FOLIO: the engine copies a large folio in one piece
 *	(or in segments of at most @max_seg_bytes).  Without it the broker
 *	splits large folios into base pages before handing them to the
 *	engine.
 * @OFFLOAD_CAP_CPU: the engine copies with CPUs (a multi-threaded copier).
 *	Such an engine never serves a route in %OFFLOAD_MODE_REQUIRE, whose
 *	data only a trusted device may copy.
 * @OFFLOAD_CAP_MERGE_SEGS: physically contiguous neighbours (whole folios
 *	whose sources and destinations both follow on) are merged into one
 *	segment, up to @max_seg_bytes.  Needs %OFFLOAD_CAP_LARGE_FOLIO.
 * @OFFLOAD_CAP_ALL: every capability this header knows about.
 */
enum offload_engine_cap {
	OFFLOAD_CAP_LARGE_FOLIO	= 1U << 0,
	OFFLOAD_CAP_CPU		= 1U << 1,
	OFFLOAD_CAP_MERGE_SEGS	= 1U << 2,
	OFFLOAD_CAP_ALL		= OFFLOAD_CAP_LARGE_FOLIO | OFFLOAD_CAP_CPU |
				  OFFLOAD_CAP_MERGE_SEGS,
};

/**
 * struct offload_engine_group - capacity shared by several engines
 * @max_inflight: most chunks the engines of the group hold at once;
 *	0 means no limit.
 * @max_bytes: most bytes they hold at once; 0 means no limit.  A chunk is
 *	always accepted by an idle group, however large.
 * @inflight: chunks held, private to mm/offload.
 * @outstanding: bytes held, private to mm/offload.
 *
 * Several work queues of one device (the WQs of a DSA, the channels of
 * one DMA controller) share its bandwidth: pointing their engines at one
 * group makes the broker count their work together, for limits and for
 * balancing.  The driver zeroes the group and keeps it alive as long as
 * any of its engines is registered.
 */
struct offload_engine_group {
	unsigned int	max_inflight;
	u64		max_bytes;
	atomic_t	inflight;
	atomic64_t	outstanding;
};

/**
 * struct offload_engine_ops - callbacks a copy engine provides
 * @submit: queue @chunk for copying.  Called with no locks of the caller
 *	held, but possibly in atomic context: it must not sleep.  Returns 0
 *	once the chunk is queued (the engine then owns it until it reports
 *	completion), or a negative errno if it cannot take the chunk now
 *	(-EBUSY: its queue is full, try elsewhere or later; any other errno
 *	counts as a fault).  A refused chunk must be left untouched: nothing
 *	of it may reach the hardware.  Required.
 * @issue_pending: start the work queued by earlier @submit calls, so that
 *	an engine may batch descriptors (cf. dma_async_issue_pending()).
 *	Same context rules as @submit.  Required.
 * @abort: @chunk is late.  The engine stops writing to its destination and
 *	completes it with an error; it may do so by resetting itself, as
 *	dmaengine_terminate_async() plus dmaengine_synchronize() do, and then
 *	completes every other chunk the reset cancelled with -ECANCELED
 *	("retry elsewhere", not a fault).  Called in process context by the
 *	submitter, which may hold the folio locks of a migration batch: it
 *	may sleep, briefly.  Every chunk concerned must be completed within
 *	%OFFLOAD_ABORT_GRACE_MS of the call, or it is abandoned.  The chunk
 *	may be completing at the same moment: then abort need do nothing.
 *	Required.
 *
 * The engine reports each chunk it accepted with offload_chunk_complete(),
 * from any context, once per part (see offload_chunk_set_parts()).  It
 * copies the chunk's segments, see offload_chunk_seg().  Documentation/mm/
 * offload/design.rst describes the whole contract.
 */
struct offload_engine_ops {
	int (*submit)(struct offload_engine *eng, struct offload_chunk *chunk);
	void (*issue_pending)(struct offload_engine *eng);
	void (*abort)(struct offload_engine *eng, struct offload_chunk *chunk);
};

/**
 * struct offload_engine_stats - counters of one engine, since registration
 * @submitted: chunks handed to the engine.
 * @folios: folios it copied successfully.
 * @bytes: bytes it copied successfully.
 * @errors: chunks it completed with an error (timeouts included).
 * @timeouts: chunks aborted because they took longer than @timeout_ms.
 * @fallbacks: failed chunks that went on to another engine or the CPU.
 * @refused: submissions the engine refused.
 * @cancelled: chunks a reset of the engine cancelled (-ECANCELED), retried.
 * @abandoned: chunks abandoned after the engine missed its abort grace.
 * @stale: completions ignored because they did not match a placement
 *	(completed twice, or late, after an abort or an abandon).
 * @probes: probe copies run while the engine was quarantined.
 * @probe_failures: probe copies that failed.
 * @busy_ns: time chunks spent on the engine, summed over chunks.
 */
struct offload_engine_stats {
	atomic64_t	submitted;
	atomic64_t	folios;
	atomic64_t	bytes;
	atomic64_t	errors;
	atomic64_t	timeouts;
	atomic64_t	fallbacks;
	atomic64_t	refused;
	atomic64_t	cancelled;
	atomic64_t	abandoned;
	atomic64_t	stale;
	atomic64_t	probes;
	atomic64_t	probe_failures;
	atomic64_t	busy_ns;
};

/**
 * struct offload_engine - a copy engine known to mm/offload
 * @name: unique name, e.g. "dma0chan1" or "mtcopy".
 * @ops: callbacks, see &struct offload_engine_ops.
 * @owner: module providing @ops; pinned while the broker uses the engine.
 * @dev: backing device, if any (NULL for CPU engines).
 * @nid: NUMA node the engine is closest to, or NUMA_NO_NODE.
 * @caps: mask of &enum offload_engine_cap.
 * @min_batch: smallest chunk worth handing to the engine, in base pages;
 *	smaller chunks go elsewhere, and requests are cut into chunks at
 *	least this large where they can be.  0 means 1.
 * @max_chunk_bytes: largest chunk the engine takes, in bytes; 0 means no
 *	limit.  A chunk holds whole folios: one larger folio is still taken.
 * @max_seg_bytes: largest segment the engine copies at once (a
 *	descriptor's transfer limit, a worker's share), a multiple of
 *	PAGE_SIZE; 0 means a whole folio with %OFFLOAD_CAP_LARGE_FOLIO, a
 *	base page without.
 * @max_inflight: most chunks the engine accepts at once; 0 means no limit.
 * @max_inflight_bytes: most bytes it holds at once; 0 means no limit.
 * @group: capacity shared with other engines, or NULL.
 * @chunk_priv_size: bytes of per-chunk private state the engine needs
 *	(see offload_chunk_priv()), at most %OFFLOAD_CHUNK_PRIV_MAX.
 * @weight: throughput used to balance work between engines, 100 standing
 *	for 1 GB/s; 0 means the broker measures it (see balance.c), assuming
 *	%OFFLOAD_ENGINE_WEIGHT_DEFAULT until it has.
 * @timeout_ms: time a chunk may take once the engine can start it (the
 *	clock runs longer for a chunk queued behind others) before the
 *	broker aborts it; 0 means %OFFLOAD_ENGINE_TIMEOUT_DEFAULT_MS.
 *
 * The engine's driver fills in the fields above and keeps the structure
 * alive from offload_engine_register() until offload_engine_unregister()
 * returns.  The fields below are private to mm/offload.
 *
 * @list: entry in the registry, RCU-protected.
 * @ref: references: one for the registry, one per user.
 * @released: completed when the last reference is dropped.
 * @inflight: chunks the engine holds.
 * @outstanding: bytes of those chunks.
 * @rate: measured throughput in bytes per millisecond; 0 until measured.
 * @meas_bytes: bytes copied since @rate was last computed.
 * @meas_ns: time the engine was busy copying them.
 * @last_done: time of its last successful completion, in ns.
 * @faults: consecutive errors and timeouts.
 * @flags: %OFFLOAD_ENGINE_QUARANTINED and the other bits above.
 * @probe: retries a quarantined engine with a probe copy.
 * @probe_delay: current delay between probes, in jiffies.
 * @stats: counters, see &struct offload_engine_stats.
 */
struct offload_engine {
	char				name[OFFLOAD_ENGINE_NAME_LEN];
	const struct offload_engine_ops	*ops;
	struct module			*owner;
	struct device			*dev;
	int				nid;
	unsigned int			caps;
	unsigned int			min_batch;
	size_t				max_chunk_bytes;
	size_t				max_seg_bytes;
	unsigned int			max_inflight;
	u64				max_inflight_bytes;
	struct offload_engine_group	*group;
	unsigned int			chunk_priv_size;
	unsigned int			weight;
	unsigned int			timeout_ms;

	struct list_head		list;
	struct kref			ref;
	struct completion		released;
	atomic_t			inflight;
	atomic64_t			outstanding;
	atomic64_t			rate;
	atomic64_t			meas_bytes;
	atomic64_t			meas_ns;
	atomic64_t			last_done;
	atomic_t			faults;
	unsigned long			flags;
	struct delayed_work		probe;
	unsigned long			probe_delay;
	struct offload_engine_stats	stats;
};

/**
 * enum offload_mode - how the broker serves a class of copies
 * @OFFLOAD_MODE_OFF: the broker declines every request; the caller copies
 *	as it always did.
 * @OFFLOAD_MODE_CPU: the CPU copies, with the stock per-folio copy: callers
 *	with a copy path of their own (page migration) use it, the broker
 *	copies on the calling CPU for the others.
 * @OFFLOAD_MODE_PREFER: the route's engines copy; a chunk they cannot
 *	take or fail is copied by the calling CPU.
 * @OFFLOAD_MODE_REQUIRE: only the route's engines may copy: a folio they
 *	cannot copy fails, the CPU never copies it (e.g. confidential
 *	computing, where only a trusted engine may touch the data).
 * @OFFLOAD_NR_MODES: number of modes.
 */
enum offload_mode {
	OFFLOAD_MODE_OFF,
	OFFLOAD_MODE_CPU,
	OFFLOAD_MODE_PREFER,
	OFFLOAD_MODE_REQUIRE,
	OFFLOAD_NR_MODES,
};

/*
 * Copy classes: the migration reasons (enum migrate_reason), then one for
 * every other kernel user.
 */
#define OFFLOAD_CLASS_GENERIC		MR_TYPES
#define OFFLOAD_NR_CLASSES		(MR_TYPES + 1)

/* Most engines a route lists by name. */
#define OFFLOAD_ROUTE_MAX_ENGINES	8

/*
 * Most engines one request uses: a route listing no engine ("all") takes
 * the first this many usable engines, in registration order.
 */
#define OFFLOAD_REQ_MAX_ENGINES		64

/* Default smallest request, in base pages, that a prefer route takes. */
#define OFFLOAD_ROUTE_MIN_BATCH_DEFAULT	32

/* Default time MIGRATE_ASYNC-like callers give engines, in ms. */
#define OFFLOAD_ROUTE_ASYNC_MS_DEFAULT	10

/**
 * struct offload_route - which engines copy a class, and how
 * @mode: see &enum offload_mode.
 * @min_batch: requests of fewer base pages are declined (the caller
 *	copies them as it always did; a 2 MiB THP counts 512); ignored in
 *	%OFFLOAD_MODE_REQUIRE, where declining would let the CPU copy.
 * @async_ms: time engines get for an asynchronous request (see
 *	&offload_req.async: NUMA hinting faults, kswapd) before what is left
 *	goes to the CPU (prefer) or fails (require); 0 means no limit.
 * @nr_engines: entries used in @engines; 0 means every registered engine
 *	in the other modes, and none in %OFFLOAD_MODE_REQUIRE (a mandate
 *	names its engines: without one, every copy of the class fails).
 * @engines: engine names in order of preference.  Names need not be
 *	registered: an absent engine is skipped.
 */
struct offload_route {
	enum offload_mode	mode;
	unsigned int		min_batch;
	unsigned int		async_ms;
	unsigned int		nr_engines;
	char			engines[OFFLOAD_ROUTE_MAX_ENGINES][OFFLOAD_ENGINE_NAME_LEN];
};

/**
 * struct offload_seg - one piece of a chunk to copy, as an engine sees it
 * @src: first source page.
 * @dst: first destination page.
 * @len: bytes to copy, from the start of both pages: a base page, or for
 *	engines with %OFFLOAD_CAP_LARGE_FOLIO a whole folio or a run of it
 *	of at most @max_seg_bytes (or, with %OFFLOAD_CAP_MERGE_SEGS, several
 *	neighbouring folios).  The pages of a segment are physically
 *	contiguous; walk them with nth_page().
 */
struct offload_seg {
	struct page	*src;
	struct page	*dst;
	size_t		len;
};

/**
 * struct offload_chunk - a run of folio pairs of a request on one engine
 * @req: the request.
 * @eng: the engine copying it (once back, the last one it was on).
 * @first: index of the first pair in @req.
 * @nr: number of pairs.
 * @bytes: bytes to copy.
 * @nr_segs: segments of the chunk, as @eng copies them, see
 *	offload_chunk_seg().
 *
 * Private to mm/offload:
 * @node: entry in one of @req's lists.
 * @state: placement generation and state, parts still to complete and
 *	the first error a part reported, in one word (see request.c).
 * @seg_bytes: longest segment for @eng.
 * @folio_bytes: size of every folio of the chunk, 0 if they differ.
 * @status: result reported by the engine; while pending, why no engine
 *	took it (-EBUSY: all saturated or refusing, -ENODEV: none will).
 * @error: the last error an engine reported for it, or 0.
 * @last_failed: the engine that failed it last, or NULL.
 * @tried: engines of the request (by index) that failed it.
 * @submitted: time of submission, in ns.
 * @deadline: jiffies after which the chunk is aborted.
 * @abort: why it was aborted, see request.c, or 0.
 * @cancels: times a reset cancelled it (-ECANCELED) on this request.
 * @poisoned: an engine found a poisoned source in it.
 * @late: entry in the list of abandoned chunks their engines completed.
 * @priv: the engine's private area, see offload_chunk_priv().
 */
struct offload_chunk {
	struct offload_req	*req;
	struct offload_engine	*eng;
	unsigned int		first;
	unsigned int		nr;
	size_t			bytes;
	unsigned int		nr_segs;

	struct list_head	node;
	atomic64_t		state;
	size_t			seg_bytes;
	size_t			folio_bytes;
	int			status;
	int			error;
	struct offload_engine	*last_failed;
	u64			tried;
	u64			submitted;
	unsigned long		deadline;
	u8			abort;
	u8			cancels;
	bool			poisoned;
	struct llist_node	late;
	void			*priv;
};

/* Most chunks a request is split into. */
#define OFFLOAD_REQ_MAX_CHUNKS		32

/**
 * struct offload_req - a copy request: pairs of (source, destination) folios
 * @class: migration reason or %OFFLOAD_CLASS_GENERIC.
 * @src_nid: node of the sources, or NUMA_NO_NODE.
 * @dst_nid: node of the destinations, or NUMA_NO_NODE.
 * @async: the caller may not wait long (MIGRATE_ASYNC: NUMA hinting faults,
 *	kswapd): engines get the route's @async_ms.  Set before submitting;
 *	offload_req_init() clears it.
 * @nr: pairs added.
 * @bytes: bytes of the sources added.
 * @folio_bytes: size of every folio added, 0 if they differ.
 * @max: pairs the request can hold.
 * @src: source folios.
 * @dst: destination folios, each the size of its source.
 * @status: per pair: -EINPROGRESS until its copy has finished, then 0 or
 *	a negative errno.  -EHWPOISON: the pair's source is poisoned (the
 *	broker's own machine-check safe copy found it); -EOWNERDEAD: the
 *	pair was abandoned on a stuck engine, which may still write the
 *	destination: the broker keeps a reference on it, the caller must not
 *	use or recycle it (it may drop its own reference), the source is
 *	intact and pinned too while the engine may read it; in require mode
 *	-EIO (the allowed engines failed it, or found poison) or -ENODEV
 *	(none could take it).
 *
 * Private to mm/offload:
 * @mode: mode of the route at submission.
 * @probe: a probe of a quarantined engine, see health.c.
 * @reserve: taken from the reserve of preallocated requests.
 * @nr_engines: entries used in @engines.
 * @engines: the route's engines at submission, with references held.
 * @lock: protects @done; engines complete chunks under it.
 * @wait: woken when a chunk completes.
 * @done: chunks completed by their engine, not yet handled.
 * @pending: chunks waiting for an engine or for the calling CPU.
 * @remaining: pairs whose copy has not finished.
 * @stalled: since when (jiffies) a require request waits for a slot.
 * @deadline: see offload_req_set_deadline(), valid if @has_deadline.
 * @has_deadline: a deadline is set.
 * @timed_out: the deadline aborted chunks.
 * @refs: the owner's reference and one per abandoned chunk.
 * @parked: entry in the list of requests with abandoned chunks.
 * @priv_size: bytes of each chunk's private area.
 * @max_chunks: chunks in @chunks.
 * @nr_chunks: chunks in use in @chunks.
 * @chunks: the chunks.
 */
struct offload_req {
	unsigned int		class;
	int			src_nid;
	int			dst_nid;
	bool			async;
	unsigned int		nr;
	size_t			bytes;
	size_t			folio_bytes;
	unsigned int		max;
	struct folio		**src;
	struct folio		**dst;
	int			*status;

	enum offload_mode	mode;
	bool			probe;
	bool			reserve;
	unsigned int		nr_engines;
	struct offload_engine	*engines[OFFLOAD_REQ_MAX_ENGINES];
	spinlock_t		lock;	/* protects done */
	wait_queue_head_t	wait;
	struct list_head	done;
	struct list_head	pending;
	unsigned int		remaining;
	unsigned long		stalled;
	unsigned long		deadline;
	bool			has_deadline;
	bool			timed_out;
	refcount_t		refs;
	struct list_head	parked;
	unsigned int		priv_size;
	unsigned int		max_chunks;
	unsigned int		nr_chunks;
	struct offload_chunk	*chunks;
};

/**
 * offload_chunk_priv - the engine's private area of a chunk
 * @chunk: a chunk handed to the engine
 *
 * @eng->chunk_priv_size bytes, preallocated with the request, valid from
 * submit until the chunk completes; not zeroed.
 *
 * Context: any context.
 * Return: the area.
 */
static inline void *offload_chunk_priv(const struct offload_chunk *chunk)
{
	return chunk->priv;
}

/**
 * offload_chunk_ticket - the placement a completion refers to
 * @chunk: a chunk handed to the engine
 *
 * Read in submit and passed back to offload_chunk_complete(), so that a
 * completion that outlives its placement (a callback running after an
 * abort, a chunk completed twice) is recognised and ignored.
 *
 * Context: any context.
 * Return: the ticket.
 */
static inline u32 offload_chunk_ticket(const struct offload_chunk *chunk)
{
	return (u32)atomic64_read(&chunk->state);
}

#ifdef CONFIG_MIGRATION_OFFLOAD

DECLARE_STATIC_KEY_FALSE(offload_copy_key);

/**
 * offload_copy_enabled - whether the broker may take any copy at all
 *
 * True while an engine is registered or a route requires engines.  While
 * it is false, callers skip the broker entirely, at the cost of a patched
 * jump.
 *
 * Context: any context.
 * Return: true if callers should ask the broker.
 */
static inline bool offload_copy_enabled(void)
{
	return static_branch_unlikely(&offload_copy_key);
}

/**
 * offload_req_cpu_may_copy - whether the caller may copy a failed pair
 * @req: a request the broker took
 *
 * False for requests of a route in %OFFLOAD_MODE_REQUIRE: their failed
 * pairs must fail, the CPU must not copy them.
 *
 * Context: any context.
 * Return: true if the CPU may copy them.
 */
static inline bool offload_req_cpu_may_copy(const struct offload_req *req)
{
	return req->mode != OFFLOAD_MODE_REQUIRE;
}

bool offload_class_wants(unsigned int class, unsigned long nr_pages);
bool offload_class_cpu_allowed(unsigned int class);

int offload_engine_register(struct offload_engine *eng);
void offload_engine_unregister(struct offload_engine *eng);
int devm_offload_engine_register(struct device *dev,
				 struct offload_engine *eng);
struct offload_engine *offload_engine_get(const char *name);
void offload_engine_put(struct offload_engine *eng);
void offload_engine_enable(struct offload_engine *eng);

void offload_engine_kill(struct offload_engine *eng);

int offload_copy_pages_mc(struct page *dst, struct page *src, unsigned long nr);
bool offload_cpu_idle(int cpu);
bool offload_cpus_share_cache(int a, int b);

void offload_chunk_seg(const struct offload_chunk *chunk, unsigned int i,
		       struct offload_seg *seg);
bool offload_chunk_next_seg(const struct offload_chunk *chunk,
			    unsigned long *pos, struct offload_seg *seg);
void offload_chunk_set_parts(struct offload_chunk *chunk, unsigned int nr);
void offload_chunk_complete(struct offload_chunk *chunk, u32 ticket,
			    int status);

int offload_route_set(unsigned int class, const struct offload_route *route);
int offload_route_update(unsigned int class,
			 int (*update)(struct offload_route *route, void *arg),
			 void *arg, gfp_t gfp);
int offload_route_get(unsigned int class, struct offload_route *route);
void offload_routes_lock_down(void);
bool offload_routes_are_locked(void);

struct offload_req *offload_req_alloc(unsigned int class, unsigned int max,
				      gfp_t gfp);
void offload_req_free(struct offload_req *req);
void offload_req_init(struct offload_req *req, unsigned int class,
		      int src_nid, int dst_nid);
int offload_req_add(struct offload_req *req, struct folio *src,
		    struct folio *dst);
int offload_req_submit(struct offload_req *req);
int offload_req_next(struct offload_req *req, unsigned int *first,
		     unsigned int *nr);
void offload_req_set_deadline(struct offload_req *req, unsigned long timeout);
int offload_req_wait(struct offload_req *req, unsigned long timeout);

#else /* !CONFIG_MIGRATION_OFFLOAD */

static inline bool offload_copy_enabled(void)
{
	return false;
}

static inline bool offload_req_cpu_may_copy(const struct offload_req *req)
{
	return true;
}

static inline bool offload_class_wants(unsigned int class,
				       unsigned long nr_pages)
{
	return false;
}

static inline bool offload_class_cpu_allowed(unsigned int class)
{
	return true;
}

static inline struct offload_req *offload_req_alloc(unsigned int class,
						    unsigned int max,
						    gfp_t gfp)
{
	return NULL;
}

static inline void offload_req_free(struct offload_req *req)
{
}

static inline void offload_req_init(struct offload_req *req,
				    unsigned int class, int src_nid,
				    int dst_nid)
{
}

static inline int offload_req_add(struct offload_req *req, struct folio *src,
				  struct folio *dst)
{
	return -EOPNOTSUPP;
}

static inline int offload_req_submit(struct offload_req *req)
{
	return -EOPNOTSUPP;
}

static inline int offload_req_next(struct offload_req *req,
				   unsigned int *first, unsigned int *nr)
{
	return 0;
}

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
