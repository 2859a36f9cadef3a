// SPDX-License-Identifier: GPL-2.0
/*
 * mtcopy: a copy engine for mm/offload that copies with several CPUs.
 *
 * One engine per NUMA node with CPUs.  A chunk the broker hands to it is
 * cut into pieces of about equal bytes, page aligned, a single 2 MiB folio
 * included: the submitting CPU copies the first piece itself, helpers copy
 * the others.  A helper is a work item on an idle CPU of the engine's node
 * (or, see the "where" parameter, of the destination's or the source's
 * node, or anywhere), chosen one per last-level cache before a second one
 * in the same cache: copies are bound by memory bandwidth, which the CPUs
 * of one cache share.  With no idle CPU, or for a chunk too small to be
 * worth it, the submitter copies the whole chunk.
 *
 * Nothing is allocated per chunk.  The chunk's state lives in its private
 * area, which the broker preallocates (&struct mtcopy_chunk).  Pieces are
 * offered to helpers in slots of per-CPU lanes that belong to the module:
 * every CPU has a lane and a work item that takes its pieces, on an
 * unbound workqueue with a rescuer, since the submitter may be kswapd
 * demoting pages.  Once the submitter has copied its own piece it takes
 * back every piece no helper has started, so that a chunk never waits for
 * a helper that a busy or short-of-memory system runs late: a migration
 * costs at most the stock copy plus the cost of asking.  The thread that
 * copies the last piece reports the chunk.
 *
 * Lifetime: the broker does not unregister an engine before every chunk
 * it holds is reported; a thread touches neither the chunk nor the engine
 * after counting its piece copied, except the last one, which reports the
 * chunk.  Module unload unregisters the engines, then destroys the
 * workqueue, which waits for the lanes to return.  Engines follow CPU
 * hotplug from a work item: the hotplug callbacks only queue it, because
 * registering an engine flips a static key, which takes the hotplug lock.
 */

#include <linux/cpu.h>
#include <linux/cpuhotplug.h>
#include <linux/debugfs.h>
#include <linux/ktime.h>
#include <linux/math64.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/nodemask.h>
#include <linux/percpu.h>
#include <linux/seq_file.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/topology.h>
#include <linux/workqueue.h>
#include <kunit/visibility.h>

#include "mtcopy.h"

/**
 * struct mtcopy_chunk - mtcopy's state of a chunk, in its private area
 * @chunk: the chunk.
 * @ticket: see offload_chunk_ticket().
 * @left: pieces not copied yet.
 * @status: the first error a piece met, or 0.
 * @nr_pieces: pieces the chunk is cut into, one per thread.
 */
struct mtcopy_chunk {
	struct offload_chunk	*chunk;
	u32			ticket;
	atomic_t		left;
	int			status;
	unsigned int		nr_pieces;
};

/* Slots of a lane: a CPU normally helps one chunk at a time. */
#define MTCOPY_LANE_SLOTS	4

/*
 * A slot holds a piece offered to a helper: the address of the chunk's
 * &struct mtcopy_chunk with the piece's number in its low bits, or 0.
 */
#define MTCOPY_PIECE_MASK	7UL

/**
 * struct mtcopy_lane - pieces offered to one CPU, and the work item taking them
 * @slot: the pieces, see %MTCOPY_PIECE_MASK.  Whoever exchanges a piece
 *	for 0 copies it: the lane's work item, or the submitter taking back a
 *	piece no helper has started.
 * @work: takes the pieces, on a worker of the CPU's last-level cache.
 *
 * The slots belong to the module, not to the chunks: a chunk need not wait
 * for a helper that never started.
 */
struct mtcopy_lane {
	atomic_long_t		slot[MTCOPY_LANE_SLOTS];
	struct work_struct	work;
};

static DEFINE_PER_CPU(struct mtcopy_lane, mtcopy_lanes);
static struct workqueue_struct *mtcopy_wq;
static struct dentry *mtcopy_debugfs;

/* Engines of the nodes, under mtcopy_lock. */
static DEFINE_MUTEX(mtcopy_lock);
static struct mtcopy_engine *mtcopy_nodes[MAX_NUMNODES];
static bool mtcopy_stopping;
static enum cpuhp_state mtcopy_cpuhp_online, mtcopy_cpuhp_dead;

/*
 * Pieces below this are not worth a helper.  Measured with the KUnit case
 * piece_size_crossover in the TCG test guest, where waking a helper is
 * emulated and dear: two threads first beat one on a 1 MiB folio (1.33x;
 * 0.92x at 512 KiB).  Hardware wakes helpers far cheaper: measure there.
 */
#define MTCOPY_MIN_PIECE_KB_DEFAULT	512

struct mtcopy_params mtcopy_params = {
	.max_threads	= MTCOPY_MAX_HELPERS + 1,
	.min_piece_kb	= MTCOPY_MIN_PIECE_KB_DEFAULT,
	.where		= MTCOPY_ON_ENGINE,
};
EXPORT_SYMBOL_IF_KUNIT(mtcopy_params);

static bool mtcopy_autoregister = true;
module_param_named(autoregister, mtcopy_autoregister, bool, 0444);
MODULE_PARM_DESC(autoregister,
		 "Register an engine per NUMA node with CPUs at load (default: Y)");

static int mtcopy_set_max_threads(const char *val,
				  const struct kernel_param *kp)
{
	return param_set_uint_minmax(val, kp, 1, MTCOPY_MAX_HELPERS + 1);
}

static const struct kernel_param_ops mtcopy_max_threads_ops = {
	.set	= mtcopy_set_max_threads,
	.get	= param_get_uint,
};
module_param_cb(max_threads, &mtcopy_max_threads_ops,
		&mtcopy_params.max_threads, 0644);
MODULE_PARM_DESC(max_threads,
		 "Most threads copying one chunk, its submitter included (1-7, default: 7)");

static int mtcopy_set_min_piece_kb(const char *val,
				   const struct kernel_param *kp)
{
	return param_set_uint_minmax(val, kp, PAGE_SIZE / SZ_1K, SZ_1M);
}

static const struct kernel_param_ops mtcopy_min_piece_kb_ops = {
	.set	= mtcopy_set_min_piece_kb,
	.get	= param_get_uint,
};
module_param_cb(min_piece_kb, &mtcopy_min_piece_kb_ops,
		&mtcopy_params.min_piece_kb, 0644);
MODULE_PARM_DESC(min_piece_kb,
		 "Smallest piece handed to a helper, in KiB (default: 512)");

static const char * const mtcopy_where_names[MTCOPY_NR_WHERE] = {
	[MTCOPY_ON_ENGINE]	= "engine",
	[MTCOPY_ON_DST]		= "dst",
	[MTCOPY_ON_SRC]		= "src",
	[MTCOPY_ON_ANY]		= "any",
};

static int mtcopy_set_where(const char *val, const struct kernel_param *kp)
{
	int i = sysfs_match_string(mtcopy_where_names, val);

	if (i < 0)
		return i;
	WRITE_ONCE(*(enum mtcopy_where *)kp->arg, i);
	return 0;
}

static int mtcopy_get_where(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%s\n",
			  mtcopy_where_names[*(enum mtcopy_where *)kp->arg]);
}

static const struct kernel_param_ops mtcopy_where_ops = {
	.set	= mtcopy_set_where,
	.get	= mtcopy_get_where,
};
module_param_cb(where, &mtcopy_where_ops, &mtcopy_params.where, 0644);
MODULE_PARM_DESC(where,
		 "Whose CPUs help: engine, dst, src or any (default: engine)");

static struct mtcopy_engine *to_mtcopy(struct offload_engine *eng)
{
	return container_of(eng, struct mtcopy_engine, eng);
}

static unsigned long mtcopy_piece_val(struct mtcopy_chunk *mcc,
				      unsigned int piece)
{
	return (unsigned long)mcc | piece;
}

/* Byte offset in the chunk where piece @piece starts, page aligned. */
static size_t mtcopy_piece_start(const struct mtcopy_chunk *mcc,
				 unsigned int piece)
{
	u64 bytes = mcc->chunk->bytes;

	if (piece == mcc->nr_pieces)
		return bytes;
	return round_down(div_u64(bytes * piece, mcc->nr_pieces), PAGE_SIZE);
}

/*
 * Copy bytes [@start, @end) of @chunk, segment by segment; a helper
 * (@may_sleep) reschedules between segments.
 */
static int mtcopy_copy_range(const struct offload_chunk *chunk, size_t start,
			     size_t end, bool may_sleep)
{
	struct offload_seg seg;
	unsigned long pos = 0, first;
	size_t off = 0, from, to;
	int ret;

	while (off < end && offload_chunk_next_seg(chunk, &pos, &seg)) {
		if (off + seg.len > start) {
			from = max(start, off) - off;
			to = min(end, off + seg.len) - off;
			first = from >> PAGE_SHIFT;
			ret = offload_copy_pages_mc(nth_page(seg.dst, first),
						    nth_page(seg.src, first),
						    (to - from) >> PAGE_SHIFT);
			if (ret)
				return ret;
			if (may_sleep)
				cond_resched();
		}
		off += seg.len;
	}
	return 0;
}

/* Report @mcc's chunk: the last thing done with it. */
static void mtcopy_chunk_done(struct mtcopy_engine *mc,
			      struct mtcopy_chunk *mcc)
{
	struct offload_chunk *chunk = mcc->chunk;
	int status = READ_ONCE(mcc->status);

	atomic64_inc(&mc->stats.chunks);
	if (!status)
		atomic64_add(chunk->bytes, &mc->stats.bytes);
	else if (status == -EHWPOISON)
		atomic64_inc(&mc->stats.poisoned);
	offload_chunk_complete(chunk, mcc->ticket, status);
}

/*
 * Copy piece @piece of @mcc's chunk, as a @helper or not; the thread that
 * copies the last piece reports the chunk.
 */
static void mtcopy_piece(struct mtcopy_chunk *mcc, unsigned int piece,
			 bool helper)
{
	struct mtcopy_engine *mc = to_mtcopy(mcc->chunk->eng);
	size_t start = mtcopy_piece_start(mcc, piece);
	size_t end = mtcopy_piece_start(mcc, piece + 1);
	u64 t0 = ktime_get_ns();
	int ret;

	ret = mtcopy_copy_range(mcc->chunk, start, end, helper);
	if (ret)
		cmpxchg(&mcc->status, 0, ret);
	atomic64_inc(&mc->stats.pieces);
	if (helper)
		atomic64_add(end - start, &mc->stats.helper_bytes);
	atomic64_add(ktime_get_ns() - t0, &mc->stats.copy_ns);
	/* Past this, the chunk and the engine may be gone. */
	if (atomic_dec_and_test(&mcc->left))
		mtcopy_chunk_done(mc, mcc);
}

static void mtcopy_lane_work(struct work_struct *work)
{
	struct mtcopy_lane *lane = container_of(work, struct mtcopy_lane,
						work);
	unsigned long val;
	unsigned int i;

	for (i = 0; i < MTCOPY_LANE_SLOTS; i++) {
		val = atomic_long_xchg(&lane->slot[i], 0);
		if (!val)
			continue;
		mtcopy_piece((struct mtcopy_chunk *)(val & ~MTCOPY_PIECE_MASK),
			     val & MTCOPY_PIECE_MASK, true);
		cond_resched();
	}
}

/* Offer a piece in a free slot of @lane; NULL if none is free. */
static atomic_long_t *mtcopy_lane_offer(struct mtcopy_lane *lane,
					unsigned long val)
{
	unsigned int i;

	for (i = 0; i < MTCOPY_LANE_SLOTS; i++)
		if (!atomic_long_cmpxchg(&lane->slot[i], 0, val))
			return &lane->slot[i];
	return NULL;
}

/* Whether the lane of @cpu has work offered or queued. */
static bool mtcopy_lane_busy(int cpu)
{
	struct mtcopy_lane *lane = per_cpu_ptr(&mtcopy_lanes, cpu);
	unsigned int i;

	for (i = 0; i < MTCOPY_LANE_SLOTS; i++)
		if (atomic_long_read(&lane->slot[i]))
			return true;
	return work_pending(&lane->work);
}

/* Whether a CPU of @cpus[0..@nr) shares a last-level cache with @cpu. */
static bool mtcopy_cache_taken(const int *cpus, unsigned int nr, int cpu)
{
	while (nr--)
		if (offload_cpus_share_cache(cpus[nr], cpu))
			return true;
	return false;
}

static bool mtcopy_picked(const int *cpus, unsigned int nr, int cpu)
{
	while (nr--)
		if (cpus[nr] == cpu)
			return true;
	return false;
}

/**
 * mtcopy_pick_cpus - choose idle CPUs to help, spread over caches
 * @from: CPUs that may help
 * @self: the submitting CPU, which copies anyway
 * @want: most helpers wanted, at most %MTCOPY_MAX_HELPERS
 * @cpus: filled with the helpers chosen
 *
 * Round by round, at most one idle CPU per last-level cache, the cache of
 * @self counting as taken in the first round.  CPUs whose lane is busy
 * with another chunk are skipped; the search starts after @self, so that
 * concurrent submitters spread out.
 *
 * Context: any context.
 * Return: the number of helpers chosen, 0 if no CPU of @from is idle.
 */
VISIBLE_IF_KUNIT unsigned int mtcopy_pick_cpus(const struct cpumask *from,
					       int self, unsigned int want,
					       int *cpus)
{
	/* taken[0] is @self, the helpers follow. */
	int taken[MTCOPY_MAX_HELPERS + 1] = { self };
	unsigned int nr = 1, round;
	int cpu;

	want = min(want, MTCOPY_MAX_HELPERS);
	for (round = 0; nr <= want; round = nr) {
		/* The caches taken in this round: @self's in the first. */
		unsigned int start = nr;

		for_each_cpu_wrap(cpu, from, self + 1) {
			if (nr > want)
				break;
			if (mtcopy_picked(taken, nr, cpu) ||
			    mtcopy_cache_taken(taken + round, nr - round, cpu) ||
			    !offload_cpu_idle(cpu) || mtcopy_lane_busy(cpu))
				continue;
			taken[nr++] = cpu;
		}
		if (nr == start)
			break;
	}
	memcpy(cpus, taken + 1, (nr - 1) * sizeof(*cpus));
	return nr - 1;
}
EXPORT_SYMBOL_IF_KUNIT(mtcopy_pick_cpus);

/* Helpers worth having for @bytes, by size and the knob. */
static unsigned int mtcopy_helpers_wanted(size_t bytes)
{
	size_t piece = (size_t)READ_ONCE(mtcopy_params.min_piece_kb) * SZ_1K;
	size_t pieces = bytes / max_t(size_t, piece, PAGE_SIZE);
	unsigned int threads = READ_ONCE(mtcopy_params.max_threads);

	threads = clamp(threads, 1U, MTCOPY_MAX_HELPERS + 1);
	return pieces > 1 ? min_t(size_t, threads, pieces) - 1 : 0;
}

/* The CPUs that may help copy @chunk on @mc. */
static const struct cpumask *mtcopy_helper_cpus(const struct mtcopy_engine *mc,
						const struct offload_chunk *chunk)
{
	int nid;

	switch (READ_ONCE(mtcopy_params.where)) {
	case MTCOPY_ON_DST:
		nid = chunk->req->dst_nid;
		break;
	case MTCOPY_ON_SRC:
		nid = chunk->req->src_nid;
		break;
	case MTCOPY_ON_ANY:
		nid = NUMA_NO_NODE;
		break;
	default:
		nid = mc->eng.nid;
		break;
	}
	if (nid == NUMA_NO_NODE)
		return cpu_online_mask;
	/* A CPU-less node (a memory tier): the engine's CPUs help. */
	if (cpumask_empty(cpumask_of_node(nid)) && mc->eng.nid != NUMA_NO_NODE)
		nid = mc->eng.nid;
	return cpumask_of_node(nid);
}

static int mtcopy_submit(struct offload_engine *eng,
			 struct offload_chunk *chunk)
{
	struct mtcopy_engine *mc = to_mtcopy(eng);
	struct mtcopy_chunk *mcc = offload_chunk_priv(chunk);
	atomic_long_t *offered[MTCOPY_MAX_HELPERS] = {};
	unsigned int i, want, nr = 0;
	int cpus[MTCOPY_MAX_HELPERS];

	want = mtcopy_helpers_wanted(chunk->bytes);
	/* The piece number lives in the low bits of the address. */
	if (want && !((unsigned long)mcc & MTCOPY_PIECE_MASK)) {
		nr = mtcopy_pick_cpus(mtcopy_helper_cpus(mc, chunk),
				      raw_smp_processor_id(), want, cpus);
		if (!nr)
			atomic64_inc(&mc->stats.busy);
	}
	if (!nr)
		atomic64_inc(&mc->stats.alone);

	mcc->chunk = chunk;
	mcc->ticket = offload_chunk_ticket(chunk);
	mcc->status = 0;
	mcc->nr_pieces = nr + 1;
	atomic_set(&mcc->left, nr + 1);
	/* The cmpxchg of an offer publishes @mcc to the helper. */
	for (i = 0; i < nr; i++) {
		struct mtcopy_lane *lane = per_cpu_ptr(&mtcopy_lanes, cpus[i]);

		offered[i] = mtcopy_lane_offer(lane,
					       mtcopy_piece_val(mcc, i + 1));
		if (offered[i]) {
			atomic64_inc(&mc->stats.helpers);
			queue_work_on(cpus[i], mtcopy_wq, &lane->work);
		}
	}
	mtcopy_piece(mcc, 0, false);
	/*
	 * Take back the pieces no helper has started, so that the chunk never
	 * waits for a helper: what is left is being copied.  Only the slots
	 * are touched until a piece is taken back: the chunk may be complete.
	 */
	for (i = 0; i < nr; i++) {
		unsigned long val = mtcopy_piece_val(mcc, i + 1);

		if (offered[i] &&
		    atomic_long_cmpxchg(offered[i], val, 0) != val)
			continue;
		if (offered[i])
			atomic64_inc(&mc->stats.taken_back);
		mtcopy_piece(mcc, i + 1, false);
	}
	return 0;
}

/* The pieces were queued by submit, which started them. */
static void mtcopy_issue_pending(struct offload_engine *eng)
{
}

/*
 * When submit returns, every piece of the chunk is copied or being copied
 * by a running helper (submit took back the others): a late chunk
 * completes on its own once those copies end.  A CPU copy cannot be
 * stopped midway.
 */
static void mtcopy_abort(struct offload_engine *eng,
			 struct offload_chunk *chunk)
{
}

static const struct offload_engine_ops mtcopy_ops = {
	.submit		= mtcopy_submit,
	.issue_pending	= mtcopy_issue_pending,
	.abort		= mtcopy_abort,
};

static int mtcopy_stats_show(struct seq_file *m, void *data)
{
	struct mtcopy_engine *mc = m->private;
	struct mtcopy_stats *s = &mc->stats;

	seq_printf(m, "node %d\n", mc->eng.nid);
	if (mc->eng.nid != NUMA_NO_NODE)
		seq_printf(m, "cpus %*pbl\n",
			   cpumask_pr_args(cpumask_of_node(mc->eng.nid)));
	seq_printf(m, "chunks %lld\nalone %lld\nbusy %lld\nhelpers %lld\n",
		   atomic64_read(&s->chunks), atomic64_read(&s->alone),
		   atomic64_read(&s->busy), atomic64_read(&s->helpers));
	seq_printf(m, "pieces %lld\nbytes %lld\nhelper_bytes %lld\n",
		   atomic64_read(&s->pieces), atomic64_read(&s->bytes),
		   atomic64_read(&s->helper_bytes));
	seq_printf(m, "taken_back %lld\ncopy_ns %lld\npoisoned %lld\n",
		   atomic64_read(&s->taken_back), atomic64_read(&s->copy_ns),
		   atomic64_read(&s->poisoned));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(mtcopy_stats);

/**
 * mtcopy_engine_create - register an mtcopy engine
 * @name: its name
 * @nid: its node, or NUMA_NO_NODE
 *
 * Context: process context, sleeps.
 * Return: the engine, or an ERR_PTR(): -ENOMEM, or what
 * offload_engine_register() refused.
 */
VISIBLE_IF_KUNIT struct mtcopy_engine *mtcopy_engine_create(const char *name,
							    int nid)
{
	struct mtcopy_engine *mc;
	int ret;

	BUILD_BUG_ON(sizeof(struct mtcopy_chunk) > OFFLOAD_CHUNK_PRIV_MAX);
	mc = kzalloc_node(sizeof(*mc), GFP_KERNEL, nid);
	if (!mc)
		return ERR_PTR(-ENOMEM);
	strscpy(mc->eng.name, name, sizeof(mc->eng.name));
	mc->eng.ops = &mtcopy_ops;
	mc->eng.owner = THIS_MODULE;
	mc->eng.nid = nid;
	mc->eng.caps = OFFLOAD_CAP_LARGE_FOLIO | OFFLOAD_CAP_CPU;
	mc->eng.chunk_priv_size = sizeof(struct mtcopy_chunk);
	ret = offload_engine_register(&mc->eng);
	if (ret) {
		kfree(mc);
		return ERR_PTR(ret);
	}
	mc->debugfs = debugfs_create_file(name, 0444, mtcopy_debugfs, mc,
					  &mtcopy_stats_fops);
	return mc;
}
EXPORT_SYMBOL_IF_KUNIT(mtcopy_engine_create);

/**
 * mtcopy_engine_destroy - unregister and free an mtcopy engine
 * @mc: an engine from mtcopy_engine_create()
 *
 * Waits for the chunks the engine holds.
 *
 * Context: process context, sleeps.
 */
VISIBLE_IF_KUNIT void mtcopy_engine_destroy(struct mtcopy_engine *mc)
{
	debugfs_remove(mc->debugfs);
	offload_engine_unregister(&mc->eng);
	kfree(mc);
}
EXPORT_SYMBOL_IF_KUNIT(mtcopy_engine_destroy);

static bool mtcopy_node_has_cpus(int nid)
{
	return cpumask_intersects(cpumask_of_node(nid), cpu_online_mask);
}

/* One engine per node with online CPUs, none once the module stops. */
static void mtcopy_sync_nodes(void)
{
	char name[OFFLOAD_ENGINE_NAME_LEN];
	struct mtcopy_engine *mc;
	bool want;
	int nid;

	mutex_lock(&mtcopy_lock);
	for_each_node(nid) {
		want = !mtcopy_stopping && mtcopy_node_has_cpus(nid);
		if (want && !mtcopy_nodes[nid]) {
			snprintf(name, sizeof(name), "mtcopy%d", nid);
			mc = mtcopy_engine_create(name, nid);
			if (IS_ERR(mc)) {
				pr_warn("cannot register %s: %pe\n", name, mc);
				continue;
			}
			mtcopy_nodes[nid] = mc;
		} else if (!want && mtcopy_nodes[nid]) {
			mtcopy_engine_destroy(mtcopy_nodes[nid]);
			mtcopy_nodes[nid] = NULL;
		}
	}
	mutex_unlock(&mtcopy_lock);
}

static void mtcopy_sync_work_fn(struct work_struct *work)
{
	mtcopy_sync_nodes();
}

static DECLARE_WORK(mtcopy_sync_work, mtcopy_sync_work_fn);

/* CPU came online, or died: the node's engine may come or go. */
static int mtcopy_cpu_changed(unsigned int cpu)
{
	queue_work(system_unbound_wq, &mtcopy_sync_work);
	return 0;
}

/* Stop following CPU hotplug and unregister every engine. */
static void mtcopy_stop(void)
{
	if (mtcopy_cpuhp_online > 0)
		cpuhp_remove_state_nocalls(mtcopy_cpuhp_online);
	if (mtcopy_cpuhp_dead > 0)
		cpuhp_remove_state_nocalls(mtcopy_cpuhp_dead);
	cancel_work_sync(&mtcopy_sync_work);
	mutex_lock(&mtcopy_lock);
	mtcopy_stopping = true;
	mutex_unlock(&mtcopy_lock);
	mtcopy_sync_nodes();
}

static int __init mtcopy_init(void)
{
	int cpu, ret;

	BUILD_BUG_ON(MTCOPY_MAX_HELPERS > MTCOPY_PIECE_MASK);
	for_each_possible_cpu(cpu) {
		struct mtcopy_lane *lane = per_cpu_ptr(&mtcopy_lanes, cpu);

		INIT_WORK(&lane->work, mtcopy_lane_work);
	}
	/* Unbound workers, per cache by default; tunable in sysfs. */
	mtcopy_wq = alloc_workqueue("mtcopy", WQ_UNBOUND | WQ_MEM_RECLAIM |
				   WQ_SYSFS, 0);
	if (!mtcopy_wq)
		return -ENOMEM;
	mtcopy_debugfs = debugfs_create_dir("mtcopy", NULL);
	if (!mtcopy_autoregister)
		return 0;

	/*
	 * Online: once the CPU runs.  Dead: once it is out of its node's
	 * mask.  Both only queue the work that adds and removes engines.
	 */
	ret = cpuhp_setup_state_nocalls(CPUHP_AP_ONLINE_DYN,
					"offload/mtcopy:online",
					mtcopy_cpu_changed, NULL);
	if (ret < 0)
		goto fail;
	mtcopy_cpuhp_online = ret;
	ret = cpuhp_setup_state_nocalls(CPUHP_BP_PREPARE_DYN,
					"offload/mtcopy:dead",
					NULL, mtcopy_cpu_changed);
	if (ret < 0)
		goto fail;
	mtcopy_cpuhp_dead = ret;
	mtcopy_sync_nodes();
	return 0;

fail:
	/* The sync work may have registered engines meanwhile. */
	mtcopy_stop();
	debugfs_remove(mtcopy_debugfs);
	destroy_workqueue(mtcopy_wq);
	return ret;
}
module_init(mtcopy_init);

static void __exit mtcopy_exit(void)
{
	mtcopy_stop();
	/* Waits for the lanes, which may still be returning. */
	destroy_workqueue(mtcopy_wq);
	debugfs_remove(mtcopy_debugfs);
}
module_exit(mtcopy_exit);

MODULE_DESCRIPTION("mm/offload multi-threaded CPU copy engine");
MODULE_LICENSE("GPL");
