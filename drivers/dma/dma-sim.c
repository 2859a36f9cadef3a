// SPDX-License-Identifier: GPL-2.0
/*
 * Simulated DMAEngine memcpy provider (test driver).
 *
 * No copy hardware is involved: the module creates platform devices
 * "dma_sim.<i>" (node set with set_dev_node(), 64-bit DMA mask), binds them
 * to its own platform driver and registers one dma_device with DMA_MEMCPY
 * channels per device through the ordinary provider API, on virt-dma, so
 * that DMAEngine clients (dmatest, the mm/offload copy engine) can run on
 * machines without a DMA engine.
 *
 * Addresses: clients map buffers on dmaengine_get_dma_device(chan), i.e.
 * the platform device.  The driver ASSUMES that device uses dma-direct (no
 * IOMMU; true for a platform device in an x86_64 guest without a virtual
 * IOMMU, and probe refuses an IOMMU-mapped device), so a copy is
 * memcpy(phys_to_virt(dma_to_phys(dev, dst)),
 *        phys_to_virt(dma_to_phys(dev, src)), len).
 * A range not backed by valid page frames is never dereferenced: the
 * descriptor fails with DMA_TRANS_READ_FAILED (source) or
 * DMA_TRANS_WRITE_FAILED (destination).
 *
 * Execution: issue_pending queues the channel's work item on an unbound
 * workqueue, near the device's node.  The worker takes everything issued
 * as one batch, copies each descriptor in process context, holds it until
 * its simulated transfer time is over and completes it with
 * vchan_cookie_complete(); callback_result then runs from the virt-dma
 * tasklet with vd->tx_result, as with an interrupt-driven driver.
 *
 * Debugfs, per device: /sys/kernel/debug/dma_sim/dma<N>/, N being the
 * dma_device's dev_id as in the channel names dma<N>chan<M>, and a symlink
 * /sys/kernel/debug/dma_sim/dma_sim.<i> to it that is stable across reloads.
 *   bandwidth   u64 bytes/s for the whole device (0: unlimited): channels
 *               reserve back-to-back slots of len / bandwidth seconds
 *   latency_us  u32, added to every descriptor
 *   ooo         each batch completes in reverse order
 *   stuck       descriptors taken while set are never completed (terminate
 *               and channel release still drop them)
 *   terminate   default 1; 0: device_terminate_all returns -EOPNOTSUPP
 *   fail/       fault_attr: an injected failure completes the descriptor
 *               with DMA_TRANS_WRITE_FAILED, nothing copied (residue = len)
 *   stats       per channel and per device: submitted, completed (no
 *               error), failed, terminated (submitted, then dropped by
 *               terminate or release), stuck, bytes copied
 *
 * tx_status is the cookie watermark, except that a cookie still queued, in
 * flight or stuck reads DMA_IN_PROGRESS; in ooo mode the watermark moves
 * once a whole batch is done, so it may lag callbacks but never leads them.
 *
 * With terminate off, the submitted descriptors still belong to the engine
 * (as with hardware that cannot abort): a client must keep their buffers
 * and callback context until the callback has run, which for a stuck
 * descriptor is never.  Releasing the channel is the way out:
 * free_chan_resources drops everything whatever the knob says, and once it
 * returns nothing of it is touched any more.
 *
 * Locking: vc.lock (virt-dma, IRQ-safe) protects the virt-dma lists, the
 * cookies and the members marked [L] in struct dma_sim_chan; nothing sleeps
 * or copies under it.  dma_sim_dev.bw_lock protects the bandwidth timeline,
 * is taken by workers only and never nests with vc.lock.  Knobs are plain
 * variables read with READ_ONCE(); counters are atomic64_t.
 *
 * Lifetime: the dma_device is freed by its device_release callback, when
 * unregistering drops the last reference.  A device can be unbound through
 * sysfs (/sys/bus/platform/drivers/dma_sim/unbind), for testing clients
 * that let go of their channels when the driver is about to unbind
 * (BUS_NOTIFY_UNBIND_DRIVER), as mm/offload's DMA engine does; a client
 * still holding a channel at remove is warned about, and must not use it
 * again.  At module exit no client can hold one (each holds a module
 * reference).
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/dma-direct.h>
#include <linux/dma-mapping.h>
#include <linux/dmaengine.h>
#include <linux/fault-inject.h>
#include <linux/io.h>
#include <linux/ktime.h>
#include <linux/list.h>
#include <linux/math64.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/nodemask.h>
#include <linux/platform_device.h>
#include <linux/ratelimit.h>
#include <linux/seq_file.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>

#include "virt-dma.h"

#define DMA_SIM_NAME		"dma_sim"
#define DMA_SIM_MAX_DEVICES	16
#define DMA_SIM_MAX_CHANNELS	32
/* bytes copied between two looks at the termination generation */
#define DMA_SIM_CHUNK		SZ_64K
/* longest single sleep, so that a terminate cuts a slow transfer short */
#define DMA_SIM_SLICE_US	10000
#define DMA_SIM_SLACK_US	50
/* cap on the simulated time of one descriptor */
#define DMA_SIM_MAX_NS		(3600ULL * NSEC_PER_SEC)

static unsigned int dma_sim_nr_devices = 2;
module_param_named(devices, dma_sim_nr_devices, uint, 0444);
MODULE_PARM_DESC(devices, "Number of simulated DMA devices (default 2, max 16)");

static int dma_sim_nodes[DMA_SIM_MAX_DEVICES];
static unsigned int dma_sim_nr_nodes;
module_param_array_named(nodes, dma_sim_nodes, int, &dma_sim_nr_nodes, 0444);
MODULE_PARM_DESC(nodes,
		 "NUMA node of device i (default: the nodes with CPUs in turn)");

static unsigned int dma_sim_channels = 2;
module_param_named(channels, dma_sim_channels, uint, 0444);
MODULE_PARM_DESC(channels, "Channels per device (default 2, max 32)");

static bool dma_sim_private;
module_param_named(private, dma_sim_private, bool, 0444);
MODULE_PARM_DESC(private, "Set DMA_PRIVATE on the devices (default false)");

static unsigned int dma_sim_max_seg = SZ_2M;
module_param_named(max_seg, dma_sim_max_seg, uint, 0444);
MODULE_PARM_DESC(max_seg, "Maximum bytes per descriptor (default 2 MiB)");

/* Counters; the order matches dma_sim_stat_names[]. */
enum dma_sim_stat {
	DMA_SIM_SUBMITTED,
	DMA_SIM_COMPLETED,
	DMA_SIM_FAILED,
	DMA_SIM_TERMINATED,
	DMA_SIM_STUCK,
	DMA_SIM_BYTES,
	DMA_SIM_NR_STATS,
};

static const char * const dma_sim_stat_names[DMA_SIM_NR_STATS] = {
	"submitted", "completed", "failed", "terminated", "stuck", "bytes",
};

static struct workqueue_struct *dma_sim_wq;
static struct dentry *dma_sim_dbg_root;
static struct platform_device *dma_sim_pdevs[DMA_SIM_MAX_DEVICES];

/**
 * struct dma_sim_desc - one memcpy descriptor
 * @vd: virt-dma descriptor; its list linkage is protected by vc.lock
 * @dst: destination DMA address
 * @src: source DMA address
 * @len: number of bytes to copy
 */
struct dma_sim_desc {
	struct virt_dma_desc vd;
	dma_addr_t dst;
	dma_addr_t src;
	size_t len;
};

/**
 * struct dma_sim_xfer - the worker's private copy of a descriptor in flight
 * @dst: destination DMA address
 * @src: source DMA address
 * @len: number of bytes to copy
 * @copied: number of bytes copied so far
 * @gen: value of the channel's termination generation when it started
 * @result: outcome, stored into vd->tx_result on completion
 *
 * Once the worker drops vc.lock, a terminate may free the descriptor, so
 * the worker only works from this copy and compares pointers afterwards.
 */
struct dma_sim_xfer {
	dma_addr_t dst;
	dma_addr_t src;
	size_t len;
	size_t copied;
	unsigned long gen;
	enum dmaengine_tx_result result;
};

struct dma_sim_dev;

/**
 * struct dma_sim_chan - one simulated channel
 * @vc: virt-dma channel; vc.lock protects the members marked [L]
 * @sd: device this channel belongs to
 * @work: the channel's worker, queued by issue_pending
 * @active: [L] current batch: issued descriptors taken by the worker and
 *	not started yet
 * @stuck: [L] descriptors swallowed while the stuck knob was set
 * @cur: [L] descriptor the worker is copying; a terminate moves it to the
 *	virt-dma terminated list and clears @cur, which tells the worker not
 *	to complete it
 * @gen: [L] termination generation, bumped by every terminate; the worker
 *	also reads it with READ_ONCE() to stop copying and sleeping early
 * @terminated: [L] a terminate ran since the last synchronize
 * @batch_ooo: [L] the current batch completes in reverse order
 * @batch_last: [L] highest cookie of the current batch
 * @batch_gen: [L] @gen when the current batch was taken
 * @stats: counters, indexed by enum dma_sim_stat
 */
struct dma_sim_chan {
	struct virt_dma_chan vc;
	struct dma_sim_dev *sd;
	struct work_struct work;
	struct list_head active;
	struct list_head stuck;
	struct virt_dma_desc *cur;
	unsigned long gen;
	bool terminated;
	bool batch_ooo;
	dma_cookie_t batch_last;
	unsigned long batch_gen;
	atomic64_t stats[DMA_SIM_NR_STATS];
};

/**
 * struct dma_sim_dev - one simulated device
 * @dma: the DMAEngine device; freed through its device_release callback
 * @name: "dma<dev_id>", name of the debugfs directory
 * @node: NUMA node of the device
 * @dbg_dir: debugfs directory of the device
 * @dbg_link: debugfs symlink named after the platform device
 * @bw_lock: protects @next_free
 * @next_free: end of the last time slot reserved on the device
 * @bandwidth: knob, bytes per second (0: unlimited)
 * @latency_us: knob, microseconds added to every descriptor
 * @ooo: knob, complete each batch in reverse order
 * @stuck: knob, swallow descriptors
 * @terminate: knob, terminate_all is supported
 * @fail: fault injection attributes
 * @nr_chans: number of entries in @chans
 * @chans: the channels
 */
struct dma_sim_dev {
	struct dma_device dma;
	char name[16];
	int node;
	struct dentry *dbg_dir;
	struct dentry *dbg_link;
	spinlock_t bw_lock;	/* protects next_free */
	ktime_t next_free;
	u64 bandwidth;
	u32 latency_us;
	bool ooo;
	bool stuck;
	bool terminate;
	struct fault_attr fail;
	unsigned int nr_chans;
	struct dma_sim_chan chans[] __counted_by(nr_chans);
};

static struct dma_sim_chan *to_sim_chan(struct dma_chan *chan)
{
	return container_of(chan, struct dma_sim_chan, vc.chan);
}

static struct dma_sim_desc *to_sim_desc(struct virt_dma_desc *vd)
{
	return container_of(vd, struct dma_sim_desc, vd);
}

static void dma_sim_desc_free(struct virt_dma_desc *vd)
{
	kfree(to_sim_desc(vd));
}

/* Kernel virtual address of [addr, addr + len) or NULL if not plain RAM. */
static void *dma_sim_virt(struct device *dev, dma_addr_t addr, size_t len)
{
	phys_addr_t phys = dma_to_phys(dev, addr);
	phys_addr_t last = phys + len - 1;

	if (last < phys || !pfn_valid(PHYS_PFN(phys)) ||
	    !pfn_valid(PHYS_PFN(last)))
		return NULL;
	return phys_to_virt(phys);
}

/*
 * Reserve @bytes on the device's timeline and return when the descriptor
 * may complete.  Slots are handed out back to back, so all channels of a
 * device together move at most "bandwidth" bytes per second.
 */
static ktime_t dma_sim_reserve(struct dma_sim_dev *sd, size_t bytes)
{
	u64 bw = READ_ONCE(sd->bandwidth);
	ktime_t now = ktime_get();
	ktime_t end = now;
	u64 ns;

	if (bw && bytes) {
		/* bytes <= UINT_MAX (max_seg), so this cannot overflow */
		ns = div64_u64((u64)bytes * NSEC_PER_SEC, bw);
		ns = min_t(u64, ns, DMA_SIM_MAX_NS);
		spin_lock(&sd->bw_lock);
		if (ktime_after(sd->next_free, now))
			end = sd->next_free;
		end = ktime_add_ns(end, ns);
		sd->next_free = end;
		spin_unlock(&sd->bw_lock);
	}
	return ktime_add_us(end, READ_ONCE(sd->latency_us));
}

/* Sleep until @deadline, or until the channel is terminated. */
static void dma_sim_wait(struct dma_sim_chan *sc, ktime_t deadline,
			 unsigned long gen)
{
	s64 left;

	while (READ_ONCE(sc->gen) == gen) {
		left = ktime_us_delta(deadline, ktime_get());
		if (left <= 0)
			break;
		left = min_t(s64, left, DMA_SIM_SLICE_US);
		usleep_range(left, left + DMA_SIM_SLACK_US);
	}
}

/* Run one descriptor: called by the worker without any lock held. */
static void dma_sim_transfer(struct dma_sim_chan *sc, struct dma_sim_xfer *x)
{
	struct dma_sim_dev *sd = sc->sd;
	struct device *dev = sd->dma.dev;
	void *from = dma_sim_virt(dev, x->src, x->len);
	void *to = dma_sim_virt(dev, x->dst, x->len);
	ktime_t deadline;
	size_t n;
	bool ok;

	x->copied = 0;
	x->result = DMA_TRANS_NOERROR;
	if (!from)
		x->result = DMA_TRANS_READ_FAILED;
	else if (!to || should_fail(&sd->fail, x->len))
		x->result = DMA_TRANS_WRITE_FAILED;

	ok = x->result == DMA_TRANS_NOERROR;
	deadline = dma_sim_reserve(sd, ok ? x->len : 0);

	while (ok && x->copied < x->len) {
		if (READ_ONCE(sc->gen) != x->gen)
			return;
		n = min_t(size_t, x->len - x->copied, DMA_SIM_CHUNK);
		memcpy(to + x->copied, from + x->copied, n);
		x->copied += n;
		cond_resched();
	}
	dma_sim_wait(sc, deadline, x->gen);
}

/* Report @vd done; the tasklet then runs its callback with the result. */
static void dma_sim_complete(struct dma_sim_chan *sc, struct virt_dma_desc *vd,
			     const struct dma_sim_xfer *x)
{
	lockdep_assert_held(&sc->vc.lock);

	vd->tx_result.result = x->result;
	vd->tx_result.residue = x->len - x->copied;
	atomic64_add(x->copied, &sc->stats[DMA_SIM_BYTES]);
	if (x->result == DMA_TRANS_NOERROR)
		atomic64_inc(&sc->stats[DMA_SIM_COMPLETED]);
	else
		atomic64_inc(&sc->stats[DMA_SIM_FAILED]);

	if (!sc->batch_ooo) {
		vchan_cookie_complete(vd);
		return;
	}
	/*
	 * Out of order: queue the callback but leave the cookie watermark
	 * alone; dma_sim_end_batch() moves it once the whole batch is done,
	 * so tx_status never calls a pending descriptor complete.
	 */
	list_add_tail(&vd->node, &sc->vc.desc_completed);
	tasklet_schedule(&sc->vc.task);
}

static bool dma_sim_start_batch(struct dma_sim_chan *sc)
{
	struct virt_dma_desc *vd;

	lockdep_assert_held(&sc->vc.lock);

	while ((vd = vchan_next_desc(&sc->vc)))
		list_move_tail(&vd->node, &sc->active);
	if (list_empty(&sc->active))
		return false;

	vd = list_last_entry(&sc->active, struct virt_dma_desc, node);
	sc->batch_last = vd->tx.cookie;
	sc->batch_gen = sc->gen;
	sc->batch_ooo = READ_ONCE(sc->sd->ooo);
	return true;
}

static void dma_sim_end_batch(struct dma_sim_chan *sc)
{
	lockdep_assert_held(&sc->vc.lock);

	if (sc->batch_ooo && sc->batch_gen == sc->gen)
		sc->vc.chan.completed_cookie = sc->batch_last;
	sc->batch_ooo = false;
}

/* The channel's worker: runs until nothing is left on the issued list. */
static void dma_sim_work(struct work_struct *work)
{
	struct dma_sim_chan *sc = container_of(work, struct dma_sim_chan, work);
	struct virt_dma_chan *vc = &sc->vc;
	struct virt_dma_desc *vd;
	struct dma_sim_desc *d;
	struct dma_sim_xfer x;

	spin_lock_irq(&vc->lock);
	for (;;) {
		if (list_empty(&sc->active)) {
			dma_sim_end_batch(sc);
			if (!dma_sim_start_batch(sc))
				break;
		}
		if (sc->batch_ooo)
			vd = list_last_entry(&sc->active, struct virt_dma_desc,
					     node);
		else
			vd = list_first_entry(&sc->active, struct virt_dma_desc,
					      node);
		list_del(&vd->node);

		if (READ_ONCE(sc->sd->stuck)) {
			list_add_tail(&vd->node, &sc->stuck);
			atomic64_inc(&sc->stats[DMA_SIM_STUCK]);
			continue;
		}

		d = to_sim_desc(vd);
		x.dst = d->dst;
		x.src = d->src;
		x.len = d->len;
		x.gen = sc->gen;
		sc->cur = vd;
		spin_unlock_irq(&vc->lock);

		dma_sim_transfer(sc, &x);
		cond_resched();

		spin_lock_irq(&vc->lock);
		if (sc->cur != vd)
			continue;	/* terminated while in flight */
		sc->cur = NULL;
		dma_sim_complete(sc, vd, &x);
	}
	spin_unlock_irq(&vc->lock);
}

/*
 * Drop every descriptor of the channel without completing it and make the
 * worker stop at once.  Never sleeps.  The descriptor in flight goes to the
 * virt-dma terminated list and is freed by vchan_synchronize(), after the
 * worker has been flushed.
 */
static void dma_sim_chan_drop(struct dma_sim_chan *sc)
{
	struct virt_dma_chan *vc = &sc->vc;
	unsigned long flags;
	LIST_HEAD(head);
	size_t n;

	spin_lock_irqsave(&vc->lock, flags);
	n = list_count_nodes(&vc->desc_submitted) +
	    list_count_nodes(&vc->desc_issued) +
	    list_count_nodes(&sc->active) + list_count_nodes(&sc->stuck);
	vchan_get_all_descriptors(vc, &head);
	list_splice_tail_init(&sc->active, &head);
	list_splice_tail_init(&sc->stuck, &head);
	if (sc->cur) {
		vchan_terminate_vdesc(sc->cur);
		sc->cur = NULL;
		n++;
	}
	WRITE_ONCE(sc->gen, sc->gen + 1);
	sc->terminated = true;
	spin_unlock_irqrestore(&vc->lock, flags);

	vchan_dma_desc_free_list(vc, &head);
	atomic64_add(n, &sc->stats[DMA_SIM_TERMINATED]);
}

/* Wait for the worker and the callbacks after a terminate. */
static void dma_sim_chan_sync(struct dma_sim_chan *sc)
{
	unsigned long flags;
	bool flush;

	spin_lock_irqsave(&sc->vc.lock, flags);
	flush = sc->terminated;
	sc->terminated = false;
	spin_unlock_irqrestore(&sc->vc.lock, flags);

	/* the worker stops touching the dropped buffers ... */
	if (flush)
		flush_work(&sc->work);
	/* ... and cannot schedule the tasklet for them any more */
	vchan_synchronize(&sc->vc);
}

static int dma_sim_alloc_chan_resources(struct dma_chan *chan)
{
	dev_dbg(chan->device->dev, "%s allocated\n", dma_chan_name(chan));
	return 0;
}

static void dma_sim_free_chan_resources(struct dma_chan *chan)
{
	struct dma_sim_chan *sc = to_sim_chan(chan);

	/* regardless of the terminate knob: the client is gone */
	dma_sim_chan_drop(sc);
	dma_sim_chan_sync(sc);
	vchan_free_chan_resources(&sc->vc);
}

static dma_cookie_t dma_sim_tx_submit(struct dma_async_tx_descriptor *tx)
{
	struct dma_sim_chan *sc = to_sim_chan(tx->chan);
	dma_cookie_t cookie = vchan_tx_submit(tx);

	atomic64_inc(&sc->stats[DMA_SIM_SUBMITTED]);
	return cookie;
}

static struct dma_async_tx_descriptor *
dma_sim_prep_dma_memcpy(struct dma_chan *chan, dma_addr_t dst, dma_addr_t src,
			size_t len, unsigned long flags)
{
	struct dma_sim_chan *sc = to_sim_chan(chan);
	struct dma_async_tx_descriptor *tx;
	struct dma_sim_desc *d;

	if (!len || len > dma_get_max_seg_size(chan->device->dev))
		return NULL;

	d = kzalloc(sizeof(*d), GFP_NOWAIT);
	if (!d)
		return NULL;
	d->dst = dst;
	d->src = src;
	d->len = len;

	tx = vchan_tx_prep(&sc->vc, &d->vd, flags);
	tx->tx_submit = dma_sim_tx_submit;
	return tx;
}

/* Look @cookie up among the descriptors not completed yet. */
static struct dma_sim_desc *dma_sim_find(struct dma_sim_chan *sc,
					 dma_cookie_t cookie)
{
	struct list_head *lists[] = {
		&sc->vc.desc_submitted, &sc->vc.desc_issued,
		&sc->active, &sc->stuck,
	};
	struct virt_dma_desc *vd;
	unsigned int i;

	lockdep_assert_held(&sc->vc.lock);

	if (sc->cur && sc->cur->tx.cookie == cookie)
		return to_sim_desc(sc->cur);
	for (i = 0; i < ARRAY_SIZE(lists); i++)
		list_for_each_entry(vd, lists[i], node)
			if (vd->tx.cookie == cookie)
				return to_sim_desc(vd);
	return NULL;
}

static enum dma_status dma_sim_tx_status(struct dma_chan *chan,
					 dma_cookie_t cookie,
					 struct dma_tx_state *txstate)
{
	struct dma_sim_chan *sc = to_sim_chan(chan);
	struct dma_sim_desc *d;
	enum dma_status ret;
	unsigned long flags;

	ret = dma_cookie_status(chan, cookie, txstate);

	spin_lock_irqsave(&sc->vc.lock, flags);
	d = dma_sim_find(sc, cookie);
	if (d) {
		/* e.g. stuck below the watermark: not done after all */
		ret = DMA_IN_PROGRESS;
		dma_set_residue(txstate, d->len);
	}
	spin_unlock_irqrestore(&sc->vc.lock, flags);
	return ret;
}

static void dma_sim_issue_pending(struct dma_chan *chan)
{
	struct dma_sim_chan *sc = to_sim_chan(chan);
	unsigned long flags;

	spin_lock_irqsave(&sc->vc.lock, flags);
	if (vchan_issue_pending(&sc->vc))
		queue_work_node(sc->sd->node, dma_sim_wq, &sc->work);
	spin_unlock_irqrestore(&sc->vc.lock, flags);
}

static int dma_sim_terminate_all(struct dma_chan *chan)
{
	struct dma_sim_chan *sc = to_sim_chan(chan);

	if (!READ_ONCE(sc->sd->terminate))
		return -EOPNOTSUPP;
	dma_sim_chan_drop(sc);
	return 0;
}

static void dma_sim_synchronize(struct dma_chan *chan)
{
	dma_sim_chan_sync(to_sim_chan(chan));
}

/* Called by the core when the last reference to the device is dropped. */
static void dma_sim_release(struct dma_device *dma)
{
	kfree(container_of(dma, struct dma_sim_dev, dma));
}

static int dma_sim_stats_show(struct seq_file *s, void *unused)
{
	struct dma_sim_dev *sd = s->private;
	u64 total[DMA_SIM_NR_STATS] = {};
	unsigned int c, i;
	u64 v;

	seq_printf(s, "device %s (%s) node %d channels %u\n", sd->name,
		   dev_name(sd->dma.dev), sd->node, sd->nr_chans);
	seq_printf(s, "%-16s", "name");
	for (i = 0; i < DMA_SIM_NR_STATS; i++)
		seq_printf(s, " %12s", dma_sim_stat_names[i]);
	seq_putc(s, '\n');

	for (c = 0; c < sd->nr_chans; c++) {
		struct dma_sim_chan *sc = &sd->chans[c];

		seq_printf(s, "%-16s", dma_chan_name(&sc->vc.chan));
		for (i = 0; i < DMA_SIM_NR_STATS; i++) {
			v = atomic64_read(&sc->stats[i]);
			total[i] += v;
			seq_printf(s, " %12llu", v);
		}
		seq_putc(s, '\n');
	}

	seq_printf(s, "%-16s", sd->name);
	for (i = 0; i < DMA_SIM_NR_STATS; i++)
		seq_printf(s, " %12llu", total[i]);
	seq_putc(s, '\n');
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(dma_sim_stats);

static void dma_sim_debugfs_init(struct dma_sim_dev *sd)
{
	struct dentry *dir;

	snprintf(sd->name, sizeof(sd->name), "dma%d", sd->dma.dev_id);
	dir = debugfs_create_dir(sd->name, dma_sim_dbg_root);
	sd->dbg_dir = dir;

	debugfs_create_u64("bandwidth", 0644, dir, &sd->bandwidth);
	debugfs_create_u32("latency_us", 0644, dir, &sd->latency_us);
	debugfs_create_bool("ooo", 0644, dir, &sd->ooo);
	debugfs_create_bool("stuck", 0644, dir, &sd->stuck);
	debugfs_create_bool("terminate", 0644, dir, &sd->terminate);
	/* an error only means no fault injection support in this kernel */
	fault_create_debugfs_attr("fail", dir, &sd->fail);
	debugfs_create_file("stats", 0444, dir, sd, &dma_sim_stats_fops);

	sd->dbg_link = debugfs_create_symlink(dev_name(sd->dma.dev),
					      dma_sim_dbg_root, sd->name);
}

static void dma_sim_fail_init(struct fault_attr *attr)
{
	static DECLARE_FAULT_ATTR(dma_sim_fail_default);

	*attr = dma_sim_fail_default;
#ifdef CONFIG_FAULT_INJECTION
	/* a copied static lock would have no lockdep key: make a new one */
	ratelimit_state_init(&attr->ratelimit_state, 0,
			     DEFAULT_RATELIMIT_BURST);
#endif
}

static int dma_sim_probe(struct platform_device *pdev)
{
	struct device *dev = &pdev->dev;
	struct dma_sim_dev *sd;
	struct dma_device *dma;
	unsigned int i;
	int ret;

	if (device_iommu_mapped(dev))
		return dev_err_probe(dev, -ENODEV,
				     "needs dma-direct, but is behind an IOMMU\n");
	ret = dma_coerce_mask_and_coherent(dev, DMA_BIT_MASK(64));
	if (ret)
		return ret;
	dma_set_max_seg_size(dev, dma_sim_max_seg);

	sd = kzalloc_node(struct_size(sd, chans, dma_sim_channels), GFP_KERNEL,
			  dev_to_node(dev));
	if (!sd)
		return -ENOMEM;
	sd->nr_chans = dma_sim_channels;
	sd->node = dev_to_node(dev);
	sd->terminate = true;
	spin_lock_init(&sd->bw_lock);
	dma_sim_fail_init(&sd->fail);

	dma = &sd->dma;
	dma->dev = dev;
	INIT_LIST_HEAD(&dma->channels);
	dma_cap_set(DMA_MEMCPY, dma->cap_mask);
	if (dma_sim_private)
		dma_cap_set(DMA_PRIVATE, dma->cap_mask);
	dma->copy_align = DMAENGINE_ALIGN_1_BYTE;
	dma->directions = BIT(DMA_MEM_TO_MEM);
	dma->residue_granularity = DMA_RESIDUE_GRANULARITY_DESCRIPTOR;
	dma->device_alloc_chan_resources = dma_sim_alloc_chan_resources;
	dma->device_free_chan_resources = dma_sim_free_chan_resources;
	dma->device_prep_dma_memcpy = dma_sim_prep_dma_memcpy;
	dma->device_tx_status = dma_sim_tx_status;
	dma->device_issue_pending = dma_sim_issue_pending;
	dma->device_terminate_all = dma_sim_terminate_all;
	dma->device_synchronize = dma_sim_synchronize;
	dma->device_release = dma_sim_release;

	for (i = 0; i < sd->nr_chans; i++) {
		struct dma_sim_chan *sc = &sd->chans[i];

		sc->sd = sd;
		INIT_WORK(&sc->work, dma_sim_work);
		INIT_LIST_HEAD(&sc->active);
		INIT_LIST_HEAD(&sc->stuck);
		sc->vc.desc_free = dma_sim_desc_free;
		vchan_init(&sc->vc, dma);
	}

	ret = dma_async_device_register(dma);
	if (ret) {
		/* the core took no reference we would have to drop */
		kfree(sd);
		return dev_err_probe(dev, ret, "cannot register\n");
	}
	platform_set_drvdata(pdev, sd);
	dma_sim_debugfs_init(sd);

	dev_info(dev, "%s: %u channels, node %d, max_seg %u%s\n", sd->name,
		 sd->nr_chans, sd->node, dma_sim_max_seg,
		 dma_sim_private ? ", private" : "");
	return 0;
}

static void dma_sim_remove(struct platform_device *pdev)
{
	struct dma_sim_dev *sd = platform_get_drvdata(pdev);
	unsigned int i;

	debugfs_remove(sd->dbg_link);
	debugfs_remove_recursive(sd->dbg_dir);

	/* no client should hold a channel (see "Lifetime") */
	for (i = 0; i < sd->nr_chans; i++) {
		struct dma_sim_chan *sc = &sd->chans[i];

		if (sc->vc.chan.client_count)
			dev_warn(&pdev->dev, "%s still held by a client\n",
				 dma_chan_name(&sc->vc.chan));
		dma_sim_chan_drop(sc);
		dma_sim_chan_sync(sc);
	}

	/* drops the last reference: dma_sim_release() frees @sd */
	dma_async_device_unregister(&sd->dma);
}

static struct platform_driver dma_sim_driver = {
	.probe = dma_sim_probe,
	.remove = dma_sim_remove,
	.driver = {
		.name = DMA_SIM_NAME,
		.probe_type = PROBE_FORCE_SYNCHRONOUS,
	},
};

/* Node of device @i: the "nodes" parameter, else the nodes with CPUs. */
static int dma_sim_node_of(unsigned int i)
{
	int nr = num_node_state(N_CPU);
	unsigned int k;
	int node;

	if (i < dma_sim_nr_nodes)
		return dma_sim_nodes[i];
	if (nr <= 0)
		return NUMA_NO_NODE;
	k = i % nr;
	for_each_node_state(node, N_CPU)
		if (!k--)
			return node;
	return NUMA_NO_NODE;
}

static int __init dma_sim_check_params(void)
{
	unsigned int i;
	int node;

	if (!dma_sim_nr_devices || dma_sim_nr_devices > DMA_SIM_MAX_DEVICES ||
	    !dma_sim_channels || dma_sim_channels > DMA_SIM_MAX_CHANNELS ||
	    !dma_sim_max_seg) {
		pr_err("invalid devices, channels or max_seg\n");
		return -EINVAL;
	}
	for (i = 0; i < dma_sim_nr_nodes; i++) {
		node = dma_sim_nodes[i];
		if (node == NUMA_NO_NODE)
			continue;
		if (node < 0 || node >= MAX_NUMNODES || !node_online(node)) {
			pr_err("nodes[%u] = %d is not an online node\n", i, node);
			return -EINVAL;
		}
	}
	return 0;
}

static int __init dma_sim_add_device(unsigned int i)
{
	struct platform_device *pdev;
	int ret;

	pdev = platform_device_alloc(DMA_SIM_NAME, i);
	if (!pdev)
		return -ENOMEM;
	set_dev_node(&pdev->dev, dma_sim_node_of(i));

	ret = platform_device_add(pdev);
	if (ret) {
		platform_device_put(pdev);
		return ret;
	}
	dma_sim_pdevs[i] = pdev;

	/* probing is synchronous; the core clears drvdata if it failed */
	return platform_get_drvdata(pdev) ? 0 : -ENODEV;
}

static void dma_sim_del_devices(void)
{
	int i;

	for (i = DMA_SIM_MAX_DEVICES - 1; i >= 0; i--) {
		platform_device_unregister(dma_sim_pdevs[i]);
		dma_sim_pdevs[i] = NULL;
	}
}

static int __init dma_sim_init(void)
{
	unsigned int i;
	int ret;

	ret = dma_sim_check_params();
	if (ret)
		return ret;

	dma_sim_wq = alloc_workqueue(DMA_SIM_NAME, WQ_UNBOUND | WQ_MEM_RECLAIM,
				     0);
	if (!dma_sim_wq)
		return -ENOMEM;
	dma_sim_dbg_root = debugfs_create_dir(DMA_SIM_NAME, NULL);

	ret = platform_driver_register(&dma_sim_driver);
	if (ret)
		goto err_wq;

	for (i = 0; i < dma_sim_nr_devices; i++) {
		ret = dma_sim_add_device(i);
		if (ret) {
			pr_err("device %u: %d\n", i, ret);
			goto err_devices;
		}
	}
	return 0;

err_devices:
	dma_sim_del_devices();
	platform_driver_unregister(&dma_sim_driver);
err_wq:
	debugfs_remove_recursive(dma_sim_dbg_root);
	destroy_workqueue(dma_sim_wq);
	return ret;
}
module_init(dma_sim_init);

static void __exit dma_sim_exit(void)
{
	/* unregisters the DMA devices (dma_sim_remove()) */
	dma_sim_del_devices();
	platform_driver_unregister(&dma_sim_driver);
	debugfs_remove_recursive(dma_sim_dbg_root);
	destroy_workqueue(dma_sim_wq);
}
module_exit(dma_sim_exit);

MODULE_DESCRIPTION("Simulated DMAEngine memcpy provider for testing");
MODULE_LICENSE("GPL");
