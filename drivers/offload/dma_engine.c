// SPDX-License-Identifier: GPL-2.0
/*
 * offload_dma: every DMAEngine device that copies memory (DMA_MEMCPY) as a
 * copy engine of mm/offload.
 *
 * One engine per DMA device, named after it ("dma0", ...), on the device's
 * NUMA node; the device's channels are the engine's capacity, used least
 * loaded first.  The engine is a DMAEngine client like any other:
 *
 * Channels.  dma_request_channel(DMA_MEMCPY) with a filter hands out, one
 * at a time, the free channels of memcpy devices on the PCI or platform
 * bus that are not slave controllers (whose channels peripherals need):
 * those of DMA_PRIVATE devices (ptdma), and those of public devices (ioat)
 * that no public client uses, which makes such a device private: async_tx
 * and other dma_find_channel() users lose it while this module holds it.
 * The module takes such channels at load and whenever a driver binds to a
 * PCI or platform device (a bus notifier), and gives a device's channels
 * back when a driver is about to unbind from it or from a parent (the same
 * notifier, before the driver's remove, and so before a remove's
 * dma_async_device_unregister()).  Devices on other buses (idxd's work
 * queues live on the dsa bus) are not used yet.  A channel pins its
 * provider's module: to unload a provider, unbind its devices first, or
 * unload this module.
 *
 * Descriptors.  Each segment of a chunk is one memcpy descriptor with its
 * own result (callback_result): a chunk completes in parts, one per
 * descriptor, in whatever order the device completes them.  Segments are
 * mapped one by one with dma_map_page() on the channel's DMA device and
 * unmapped before the part is reported.  What a descriptor needs lives in
 * a slot of its channel, preallocated with the engine: nothing is
 * allocated per chunk; a channel without enough free slots refuses with
 * -EBUSY and the broker tries the next engine.  A slot's state says who
 * reports it: whoever moves it from in flight to free (the callback, which
 * some providers run from inside prep or submit; a reset; a failed
 * submit), exactly once.
 *
 * Abort.  dmaengine_terminate_async() and dmaengine_synchronize() on the
 * chunk's channel, after the submissions under way have ended; every
 * descriptor the reset dropped is unmapped and its part reported
 * -ECANCELED (other chunks on the channel are collateral, and go
 * elsewhere).  A provider without terminate and synchronize (ioat and
 * idxd have neither in 6.12), or whose terminate fails, is not reset: the
 * broker abandons late chunks instead, keeping their pages (and here their
 * slots and mappings) until the device lets go.
 *
 * Removal (an unbind, module exit).  Each channel is closed: no new
 * submission or kick, none under way, terminated and synchronized where
 * the provider can, then released.  Every descriptor left is then
 * unmapped and reported -ENODEV (the broker copies it elsewhere, or frees
 * what it had abandoned), and only then is the engine unregistered, which
 * so never waits for a stuck device.  Where the provider cannot stop its
 * descriptors, nothing guarantees they are done with the pages until the
 * driver's remove has quiesced the device: those are reported at the
 * unbound notification.  An unbind kills the engine first (its errors
 * are no faults).  At module exit no request holds the engine (each pins
 * this module), so nothing is in flight; exit holds the scan lock, which
 * unbinds wait for, so that no device goes while exit uses its channels.
 * Scans wait while any driver of the two buses is unbinding, so that
 * none takes the channels of a device between the notification and the
 * driver's remove.  Engine names follow the DMA device ids, which are not
 * stable across provider reloads.
 *
 * Locking: odma_chan.lock (IRQ-safe) protects a channel's slot bitmap and
 * marks; it is never held while calling the provider, which may call back
 * from inside prep or submit.  odma_chan.reset_lock: one reset at a time.
 * odma_scan_lock orders scans, unbinds and exit; odma_lock protects the
 * list of engines (taken under dma_list_mutex by the scan's filter).
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitmap.h>
#include <linux/device.h>
#include <linux/dma-mapping.h>
#include <linux/dmaengine.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/offload_copy.h>
#include <linux/pci.h>
#include <linux/platform_device.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/swiotlb.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

/* Descriptors one channel holds at once. */
#define ODMA_SLOTS		256

/* States of a slot, see struct odma_slot. */
enum {
	ODMA_SLOT_FREE,
	ODMA_SLOT_RESERVED,
	ODMA_SLOT_INFLIGHT,
};

/**
 * struct odma_slot - one descriptor
 * @oc: its channel.
 * @state: FREE, RESERVED by a submitter, or INFLIGHT once its descriptor
 *	may call back.  Whoever exchanges INFLIGHT for FREE (the callback,
 *	a reset's sweep, a submitter whose submit failed) unmaps it and
 *	reports its part, exactly once.
 * @chunk: the chunk the descriptor copies a segment of.
 * @ticket: the chunk's ticket, see offload_chunk_ticket().
 * @src: mapped source.
 * @dst: mapped destination.
 * @len: bytes.
 */
struct odma_slot {
	struct odma_chan	*oc;
	atomic_t		state;
	struct offload_chunk	*chunk;
	u32			ticket;
	dma_addr_t		src;
	dma_addr_t		dst;
	size_t			len;
};

/**
 * struct odma_chan - a channel of an engine
 * @chan: the DMAEngine channel.
 * @map_dev: the device to map for, dmaengine_get_dma_device().
 * @lock: protects @used, @nr_used, @aborting, @closed and @submitting;
 *	never held
 *	while calling the provider, whose prep and submit may call back.
 * @used: slots not FREE.
 * @nr_used: bits set in @used.
 * @aborting: a reset is under way: no new submissions.
 * @closed: the channel is being released: no new submissions, no kicks.
 * @submitting: submitters between reserving slots and their last submit,
 *	and kickers in issue_pending.
 * @kicked: descriptors submitted since the last issue_pending.
 * @reset_lock: one reset at a time.
 * @slots: the slots.
 */
struct odma_chan {
	struct dma_chan		*chan;
	struct device		*map_dev;
	spinlock_t		lock;	/* see above */
	unsigned long		used[BITS_TO_LONGS(ODMA_SLOTS)];
	unsigned int		nr_used;
	bool			aborting;
	bool			closed;
	unsigned int		submitting;
	bool			kicked;
	struct mutex		reset_lock;	/* one reset at a time */
	struct odma_slot	slots[ODMA_SLOTS];
};

/**
 * struct odma_engine - the engine of one DMA device
 * @eng: the engine the broker knows.
 * @node: entry in odma_engines.
 * @dma_dev: the DMA device.
 * @no_terminate: the provider cannot terminate and synchronize: abort
 *	does nothing, late chunks are abandoned.
 * @unbinding: the device being unbound, while on odma_departing.
 * @nr_chans: channels in @chans.
 * @chans: the channels.
 */
struct odma_engine {
	struct offload_engine	eng;
	struct list_head	node;
	struct dma_device	*dma_dev;
	bool			no_terminate;
	struct device		*unbinding;
	unsigned int		nr_chans;
	struct odma_chan	*chans[];
};

/* What a chunk keeps in its private area: the channel it went to. */
struct odma_chunk {
	struct odma_chan	*oc;
};

static LIST_HEAD(odma_engines);
/* Engines of devices being unbound, waiting for the driver's remove. */
static LIST_HEAD(odma_departing);
static DECLARE_WAIT_QUEUE_HEAD(odma_departed);
static DEFINE_MUTEX(odma_lock);	/* protects odma_engines, odma_departing */
/*
 * One scan at a time, so that a device's channels go to one engine; also
 * orders scans against unbinds and module exit.  Protects odma_exiting,
 * odma_unbinding (drivers between their unbind and unbound notifications:
 * scans wait for none) and odma_rescan (a scan waited).
 */
static DEFINE_MUTEX(odma_scan_lock);
static bool odma_exiting;
static unsigned int odma_unbinding;
static bool odma_rescan;

static struct odma_engine *to_odma(struct offload_engine *eng)
{
	return container_of(eng, struct odma_engine, eng);
}

static void odma_unmap(struct odma_slot *slot)
{
	struct device *dev = slot->oc->map_dev;

	dma_unmap_page(dev, slot->src, slot->len, DMA_TO_DEVICE);
	dma_unmap_page(dev, slot->dst, slot->len, DMA_FROM_DEVICE);
}

static void odma_slot_put(struct odma_chan *oc, struct odma_slot *slot)
{
	unsigned long flags;

	spin_lock_irqsave(&oc->lock, flags);
	__clear_bit(slot - oc->slots, oc->used);
	oc->nr_used--;
	spin_unlock_irqrestore(&oc->lock, flags);
}

/*
 * Finish an in-flight slot: unmap, free, report its part.  False if
 * somebody else did already.
 */
static bool odma_finish(struct odma_slot *slot, int status)
{
	struct offload_chunk *chunk;
	u32 ticket;

	if (atomic_xchg(&slot->state, ODMA_SLOT_FREE) != ODMA_SLOT_INFLIGHT)
		return false;
	/* Not reused before odma_slot_put(). */
	chunk = slot->chunk;
	ticket = slot->ticket;
	odma_unmap(slot);
	odma_slot_put(slot->oc, slot);
	offload_chunk_complete(chunk, ticket, status);
	return true;
}

/*
 * The descriptor's callback: from the provider's tasklet, its interrupt
 * or thread, or from inside prep or submit.
 */
static void odma_done(void *param, const struct dmaengine_result *res)
{
	struct odma_slot *slot = param;
	int status = 0;

	if (res->result == DMA_TRANS_ABORTED &&
	    (READ_ONCE(slot->oc->aborting) || READ_ONCE(slot->oc->closed)))
		status = -ECANCELED;	/* a reset's or a removal's */
	else if (res->result != DMA_TRANS_NOERROR)
		status = -EIO;
	odma_finish(slot, status);
}

/* The channel with the fewest descriptors in flight. */
static struct odma_chan *odma_pick(struct odma_engine *oe)
{
	struct odma_chan *best = oe->chans[0];
	unsigned int i;

	for (i = 1; i < oe->nr_chans; i++)
		if (READ_ONCE(oe->chans[i]->nr_used) < READ_ONCE(best->nr_used))
			best = oe->chans[i];
	return best;
}

/* Map @seg into @slot; false if the mapping failed. */
static bool odma_map(struct odma_slot *slot, const struct offload_seg *seg)
{
	struct device *dev = slot->oc->map_dev;

	slot->len = seg->len;
	slot->src = dma_map_page(dev, seg->src, 0, seg->len, DMA_TO_DEVICE);
	if (dma_mapping_error(dev, slot->src))
		return false;
	slot->dst = dma_map_page(dev, seg->dst, 0, seg->len, DMA_FROM_DEVICE);
	if (dma_mapping_error(dev, slot->dst)) {
		dma_unmap_page(dev, slot->src, seg->len, DMA_TO_DEVICE);
		return false;
	}
	return true;
}

/*
 * Prepare and submit the mapped @slot.  Returns 0 once the descriptor is
 * submitted; -EAGAIN if nothing reached the provider (@slot is still
 * RESERVED and mapped); -EIO if the submit failed after the provider
 * finished the slot itself (its callback ran from inside submit).
 */
static int odma_submit_slot(struct odma_chan *oc, struct odma_slot *slot)
{
	struct dma_async_tx_descriptor *tx;

	tx = dmaengine_prep_dma_memcpy(oc->chan, slot->dst, slot->src,
				       slot->len,
				       DMA_PREP_INTERRUPT | DMA_CTRL_ACK);
	if (!tx)
		return -EAGAIN;
	tx->callback_result = odma_done;
	tx->callback_param = slot;
	atomic_set(&slot->state, ODMA_SLOT_INFLIGHT);
	if (!dma_submit_error(dmaengine_submit(tx)))
		return 0;
	/* Some providers call back with an error before failing submit. */
	if (atomic_cmpxchg(&slot->state, ODMA_SLOT_INFLIGHT,
			   ODMA_SLOT_RESERVED) == ODMA_SLOT_INFLIGHT)
		return -EAGAIN;
	return -EIO;
}

/* Reserve @n slots of @oc into @idx; false if it is full or resetting. */
static bool odma_reserve(struct odma_chan *oc, struct offload_chunk *chunk,
			 unsigned int n, u16 *idx)
{
	u32 ticket = offload_chunk_ticket(chunk);
	unsigned long flags;
	unsigned int i, bit = 0;

	spin_lock_irqsave(&oc->lock, flags);
	if (oc->aborting || oc->closed || ODMA_SLOTS - oc->nr_used < n) {
		spin_unlock_irqrestore(&oc->lock, flags);
		return false;
	}
	for (i = 0; i < n; i++) {
		struct odma_slot *slot;

		bit = find_next_zero_bit(oc->used, ODMA_SLOTS, bit);
		__set_bit(bit, oc->used);
		idx[i] = bit;
		slot = &oc->slots[bit];
		slot->oc = oc;
		slot->chunk = chunk;
		slot->ticket = ticket;
		atomic_set(&slot->state, ODMA_SLOT_RESERVED);
	}
	oc->nr_used += n;
	oc->submitting++;
	spin_unlock_irqrestore(&oc->lock, flags);
	return true;
}

/* Release the reserved slots @idx[@from..@n), and end the submission. */
static void odma_unreserve(struct odma_chan *oc, const u16 *idx,
			   unsigned int from, unsigned int n, bool kicked)
{
	unsigned long flags;
	unsigned int i;

	spin_lock_irqsave(&oc->lock, flags);
	for (i = from; i < n; i++) {
		atomic_set(&oc->slots[idx[i]].state, ODMA_SLOT_FREE);
		__clear_bit(idx[i], oc->used);
	}
	oc->nr_used -= n - from;
	oc->submitting--;
	if (kicked)
		oc->kicked = true;
	spin_unlock_irqrestore(&oc->lock, flags);
}

static int odma_submit(struct offload_engine *eng, struct offload_chunk *chunk)
{
	struct odma_engine *oe = to_odma(eng);
	struct odma_chunk *oh = offload_chunk_priv(chunk);
	struct odma_chan *oc = odma_pick(oe);
	unsigned int i, n = chunk->nr_segs, reported;
	u32 ticket = offload_chunk_ticket(chunk);
	u16 idx[ODMA_SLOTS];
	struct offload_seg seg;
	unsigned long pos = 0;
	int ret = 0;

	if (n > ODMA_SLOTS || !odma_reserve(oc, chunk, n, idx))
		return -EBUSY;
	oh->oc = oc;
	offload_chunk_set_parts(chunk, n);
	for (i = 0; i < n && offload_chunk_next_seg(chunk, &pos, &seg); i++) {
		struct odma_slot *slot = &oc->slots[idx[i]];

		if (!odma_map(slot, &seg))
			break;
		ret = odma_submit_slot(oc, slot);
		if (ret == -EAGAIN)
			odma_unmap(slot);
		if (ret)
			break;
	}
	/* With -EIO the provider reported slot i itself. */
	reported = i + (ret == -EIO);
	odma_unreserve(oc, idx, reported, n, i > 0);

	/* Nothing reached the device: the chunk is untouched. */
	if (!reported)
		return -EBUSY;
	/* The ring filled up midway: the rest goes elsewhere. */
	for (i = reported; i < n; i++)
		offload_chunk_complete(chunk, ticket, -ECANCELED);
	return 0;
}

/* Start what was submitted to @oc, unless it is being released. */
static void odma_kick(struct odma_chan *oc)
{
	unsigned long flags;
	bool kick;

	spin_lock_irqsave(&oc->lock, flags);
	kick = oc->kicked && !oc->closed;
	oc->kicked = false;
	if (kick)
		oc->submitting++;
	spin_unlock_irqrestore(&oc->lock, flags);
	if (!kick)
		return;
	dma_async_issue_pending(oc->chan);
	spin_lock_irqsave(&oc->lock, flags);
	oc->submitting--;
	spin_unlock_irqrestore(&oc->lock, flags);
}

static void odma_issue_pending(struct offload_engine *eng)
{
	struct odma_engine *oe = to_odma(eng);
	unsigned int i;

	for (i = 0; i < oe->nr_chans; i++)
		if (READ_ONCE(oe->chans[i]->kicked))
			odma_kick(oe->chans[i]);
}

/*
 * Set or clear @oc's aborting (or, with @close, closed) mark; returns its
 * submitters.
 */
static unsigned int odma_mark(struct odma_chan *oc, bool on, bool close)
{
	unsigned long flags;
	unsigned int submitting;

	spin_lock_irqsave(&oc->lock, flags);
	if (close)
		oc->closed = on;
	else
		oc->aborting = on;
	submitting = oc->submitting;
	spin_unlock_irqrestore(&oc->lock, flags);
	return submitting;
}

/*
 * Reset @oc: no new submissions, wait for those under way, terminate,
 * synchronize (no callback runs after it), then report every descriptor
 * the reset dropped as cancelled.  A reset already under way covers
 * every descriptor submitted before it began: then nothing to do.
 */
static void odma_reset(struct odma_engine *oe, struct odma_chan *oc)
{
	unsigned int idx;
	int ret;

	if (!mutex_trylock(&oc->reset_lock))
		return;
	/* A closed channel may be released already: odma_close(). */
	if (READ_ONCE(oc->closed))
		goto unlock;
	/* Submitters do not sleep: they are gone in a moment. */
	while (odma_mark(oc, true, false))
		cond_resched();

	ret = dmaengine_terminate_async(oc->chan);
	if (ret) {
		dev_info(oe->dma_dev->dev,
			 "%s: cannot terminate (%pe): late chunks are abandoned\n",
			 dma_chan_name(oc->chan), ERR_PTR(ret));
		WRITE_ONCE(oe->no_terminate, true);
		goto out;
	}
	dmaengine_synchronize(oc->chan);
	for (idx = 0; idx < ODMA_SLOTS; idx++)
		odma_finish(&oc->slots[idx], -ECANCELED);
out:
	odma_mark(oc, false, false);
unlock:
	mutex_unlock(&oc->reset_lock);
}

/*
 * Close @oc for good and give it back: no submission or kick from now on
 * and none under way, terminate and synchronize where the provider can,
 * release.  Returns true if the provider stopped the channel's
 * descriptors (terminate and synchronize): only then may what is left be
 * unmapped and reported at once.
 */
static bool odma_close(struct odma_engine *oe, struct odma_chan *oc)
{
	bool stopped = false;

	while (odma_mark(oc, true, true))
		cond_resched();
	/* Waits for a reset under way; later ones see @closed. */
	mutex_lock(&oc->reset_lock);
	if (!READ_ONCE(oe->no_terminate) &&
	    !dmaengine_terminate_async(oc->chan)) {
		dmaengine_synchronize(oc->chan);
		stopped = true;
	}
	dma_release_channel(oc->chan);
	mutex_unlock(&oc->reset_lock);
	return stopped;
}

static void odma_abort(struct offload_engine *eng, struct offload_chunk *chunk)
{
	struct odma_engine *oe = to_odma(eng);
	struct odma_chunk *oh = offload_chunk_priv(chunk);

	if (!READ_ONCE(oe->no_terminate))
		odma_reset(oe, oh->oc);
}

static const struct offload_engine_ops odma_ops = {
	.submit		= odma_submit,
	.issue_pending	= odma_issue_pending,
	.abort		= odma_abort,
};

/* Free the channels of @oe as far as @nr, releasing them if @release. */
static void odma_free_chans(struct odma_engine *oe, unsigned int nr,
			    bool release)
{
	while (nr--) {
		if (release)
			dma_release_channel(oe->chans[nr]->chan);
		kfree(oe->chans[nr]);
	}
}

/*
 * The largest segment all of @chans map without bouncing, a multiple of
 * PAGE_SIZE; 0 if one of them would bounce.
 */
static size_t odma_max_seg(struct dma_chan **chans, unsigned int nr)
{
	size_t max_seg = SIZE_MAX;
	unsigned int i;

	for (i = 0; i < nr; i++) {
		struct device *dev = dmaengine_get_dma_device(chans[i]);

		if (dma_addressing_limited(dev) ||
		    is_swiotlb_force_bounce(dev))
			return 0;
		max_seg = min3(max_seg, (size_t)dma_get_max_seg_size(dev),
			       dma_max_mapping_size(dev));
	}
	return rounddown(max_seg, PAGE_SIZE);
}

/*
 * Make an engine of the channels @chans[0..@nr) of one device; they are
 * the engine's from then on, or released if it cannot be registered.
 */
static void odma_engine_add(struct dma_chan **chans, unsigned int nr)
{
	struct dma_device *dma_dev = chans[0]->device;
	struct device *map_dev = dmaengine_get_dma_device(chans[0]);
	struct odma_engine *oe;
	unsigned int i, got = 0;
	int ret = -ENOMEM;
	size_t max_seg;

	max_seg = odma_max_seg(chans, nr);
	if (!max_seg) {
		/* Bounce buffers: the CPU would copy anyway, twice. */
		dev_info(dma_dev->dev, "not used for mm/offload: its DMA mapping is limited\n");
		ret = -EOPNOTSUPP;
		goto release;
	}
	oe = kzalloc(struct_size(oe, chans, nr), GFP_KERNEL);
	if (!oe)
		goto release;
	for (; got < nr; got++) {
		struct odma_chan *oc = kzalloc_node(sizeof(*oc), GFP_KERNEL,
						    dev_to_node(map_dev));

		if (!oc)
			goto free;
		oc->chan = chans[got];
		oc->map_dev = dmaengine_get_dma_device(chans[got]);
		spin_lock_init(&oc->lock);
		mutex_init(&oc->reset_lock);
		oe->chans[got] = oc;
	}
	oe->nr_chans = nr;
	oe->dma_dev = dma_dev;
	/* Without both, a reset cannot tell which descriptors it dropped. */
	oe->no_terminate = !dma_dev->device_terminate_all ||
			   !dma_dev->device_synchronize;
	/* "dma0chan1" names the channel: the device is "dma0". */
	snprintf(oe->eng.name, sizeof(oe->eng.name), "dma%d", dma_dev->dev_id);
	oe->eng.ops = &odma_ops;
	oe->eng.owner = THIS_MODULE;
	oe->eng.dev = dma_dev->dev;
	oe->eng.nid = dev_to_node(map_dev);
	oe->eng.caps = OFFLOAD_CAP_LARGE_FOLIO | OFFLOAD_CAP_MERGE_SEGS;
	oe->eng.max_seg_bytes = max_seg;
	/* Every segment may be one page: a chunk must fit the slots. */
	oe->eng.max_chunk_bytes = ODMA_SLOTS * PAGE_SIZE;
	oe->eng.chunk_priv_size = sizeof(struct odma_chunk);
	ret = offload_engine_register(&oe->eng);
	if (ret)
		goto free;
	mutex_lock(&odma_lock);
	list_add_tail(&oe->node, &odma_engines);
	mutex_unlock(&odma_lock);
	return;

free:
	pr_warn("%s: no engine: %pe\n", dev_name(dma_dev->dev), ERR_PTR(ret));
	odma_free_chans(oe, got, true);
	kfree(oe);
	chans += got;
	nr -= got;
release:
	for (i = 0; i < nr; i++)
		dma_release_channel(chans[i]);
}

/*
 * Report what is left on @oe's closed channels with @status, unregister
 * the engine, which then waits for nothing but the broker's users, and
 * free it.
 */
static void odma_engine_finish(struct odma_engine *oe, int status)
{
	unsigned int i, idx;

	for (i = 0; i < oe->nr_chans; i++)
		for (idx = 0; idx < ODMA_SLOTS; idx++)
			odma_finish(&oe->chans[i]->slots[idx], status);
	offload_engine_unregister(&oe->eng);
	odma_free_chans(oe, oe->nr_chans, false);
	kfree(oe);
}

/*
 * Remove @oe, whose device @dev is being unbound (NULL at module exit:
 * then no request holds the engine, so nothing is in flight).  Its
 * channels are closed at once; if the provider could not stop their
 * descriptors, what is left is reported only once the driver's remove has
 * quiesced the device, at the unbound notification.
 */
static void odma_engine_remove(struct odma_engine *oe, struct device *dev)
{
	bool stopped = true;
	unsigned int i;

	if (dev)
		offload_engine_kill(&oe->eng);
	for (i = 0; i < oe->nr_chans; i++)
		stopped &= odma_close(oe, oe->chans[i]);
	if (dev && !stopped) {
		oe->unbinding = dev;
		mutex_lock(&odma_lock);
		list_add_tail(&oe->node, &odma_departing);
		mutex_unlock(&odma_lock);
		return;
	}
	odma_engine_finish(oe, dev ? -ENODEV : -ECANCELED);
}

/* The driver of @dev is unbound: finish the engines that waited for it. */
static void odma_engines_unbound(struct device *dev)
{
	struct odma_engine *oe, *tmp;
	LIST_HEAD(gone);

	mutex_lock(&odma_lock);
	list_for_each_entry_safe(oe, tmp, &odma_departing, node)
		if (oe->unbinding == dev)
			list_move_tail(&oe->node, &gone);
	mutex_unlock(&odma_lock);
	list_for_each_entry_safe(oe, tmp, &gone, node)
		odma_engine_finish(oe, -ENODEV);
	wake_up_all(&odma_departed);
}

static bool odma_has_engine(struct dma_device *dma_dev)
{
	struct odma_engine *oe;

	lockdep_assert_held(&odma_lock);
	list_for_each_entry(oe, &odma_engines, node)
		if (oe->dma_dev == dma_dev)
			return true;
	return false;
}

/*
 * Which channels a scan takes: those of memcpy engines on the PCI or
 * platform bus (whose unbinds the notifier sees) that have no engine yet;
 * not those of slave controllers, whose channels peripherals need.
 */
static bool odma_filter(struct dma_chan *chan, void *param)
{
	struct dma_device *dma_dev = chan->device;
	struct device *dev = dma_dev->dev;
	bool known;

	if (dma_has_cap(DMA_SLAVE, dma_dev->cap_mask) ||
	    dma_has_cap(DMA_CYCLIC, dma_dev->cap_mask))
		return false;
	if (dev->bus != &platform_bus_type && !dev_is_pci(dev))
		return false;
	mutex_lock(&odma_lock);
	known = odma_has_engine(dma_dev);
	mutex_unlock(&odma_lock);
	return !known;
}

/* Most channels taken in one scan. */
#define ODMA_SCAN_MAX		256

/*
 * Take every free memcpy channel; make an engine of those of each device
 * that has none yet, give the others back.
 */
static void odma_scan(void)
{
	struct dma_chan **chans, *chan;
	unsigned int nr = 0, i, j, k;
	dma_cap_mask_t mask;
	bool known;

	chans = kcalloc(ODMA_SCAN_MAX, sizeof(*chans), GFP_KERNEL);
	if (!chans)
		return;
	mutex_lock(&odma_scan_lock);
	if (odma_unbinding) {
		odma_rescan = true;
		goto out;
	}
	dma_cap_zero(mask);
	dma_cap_set(DMA_MEMCPY, mask);
	while (!odma_exiting && nr < ODMA_SCAN_MAX) {
		chan = dma_request_channel(mask, odma_filter, NULL);
		if (!chan)
			break;
		chans[nr++] = chan;
	}
	/* Group by device, in the order found. */
	for (i = 0; i < nr; i = j) {
		for (j = i + 1, k = i + 1; j < nr; j++) {
			if (chans[j]->device != chans[i]->device)
				continue;
			swap(chans[j], chans[k]);
			k++;
		}
		j = k;
		mutex_lock(&odma_lock);
		known = odma_has_engine(chans[i]->device);
		mutex_unlock(&odma_lock);
		if (known) {
			for (k = i; k < j; k++)
				dma_release_channel(chans[k]);
			continue;
		}
		odma_engine_add(chans + i, j - i);
	}
out:
	mutex_unlock(&odma_scan_lock);
	kfree(chans);
}

static void odma_scan_work_fn(struct work_struct *work)
{
	odma_scan();
}

static DECLARE_WORK(odma_scan_work, odma_scan_work_fn);

/* Whether @dev is @ancestor or below it. */
static bool odma_dev_below(struct device *dev, struct device *ancestor)
{
	for (; dev; dev = dev->parent)
		if (dev == ancestor)
			return true;
	return false;
}

/*
 * A driver bound: the device may offer channels.  A driver is about to
 * unbind: give back the channels of the DMA devices it provides, before
 * its remove unregisters them, and hold scans off until it is unbound.
 */
static int odma_bus_event(struct notifier_block *nb, unsigned long action,
			  void *data)
{
	struct device *dev = data;
	struct odma_engine *oe, *tmp;
	LIST_HEAD(going);

	switch (action) {
	case BUS_NOTIFY_BOUND_DRIVER:
		queue_work(system_unbound_wq, &odma_scan_work);
		break;
	case BUS_NOTIFY_UNBIND_DRIVER:
		/* No scan holds channels of @dev without an engine now. */
		mutex_lock(&odma_scan_lock);
		odma_unbinding++;
		mutex_lock(&odma_lock);
		list_for_each_entry_safe(oe, tmp, &odma_engines, node)
			if (odma_dev_below(oe->dma_dev->dev, dev))
				list_move(&oe->node, &going);
		mutex_unlock(&odma_lock);
		mutex_unlock(&odma_scan_lock);
		list_for_each_entry_safe(oe, tmp, &going, node)
			odma_engine_remove(oe, dev);
		break;
	case BUS_NOTIFY_UNBOUND_DRIVER:
		odma_engines_unbound(dev);
		mutex_lock(&odma_scan_lock);
		/* Unbinds under way when the notifier came are not counted. */
		if (odma_unbinding && !--odma_unbinding && odma_rescan) {
			odma_rescan = false;
			queue_work(system_unbound_wq, &odma_scan_work);
		}
		mutex_unlock(&odma_scan_lock);
		break;
	}
	return NOTIFY_DONE;
}

static struct notifier_block odma_platform_nb = {
	.notifier_call = odma_bus_event,
};

#ifdef CONFIG_PCI
static struct notifier_block odma_pci_nb = {
	.notifier_call = odma_bus_event,
};
#endif

/* Module exit, under odma_scan_lock, which unbinds wait for. */
static void odma_remove_all(void)
{
	struct odma_engine *oe, *tmp;
	LIST_HEAD(going);

	lockdep_assert_held(&odma_scan_lock);
	mutex_lock(&odma_lock);
	list_splice_init(&odma_engines, &going);
	mutex_unlock(&odma_lock);
	list_for_each_entry_safe(oe, tmp, &going, node)
		odma_engine_remove(oe, NULL);
}

static bool odma_none_departing(void)
{
	bool none;

	mutex_lock(&odma_lock);
	none = list_empty(&odma_departing);
	mutex_unlock(&odma_lock);
	return none;
}

static int __init odma_init(void)
{
	int ret;

	ret = bus_register_notifier(&platform_bus_type, &odma_platform_nb);
	if (ret)
		return ret;
#ifdef CONFIG_PCI
	ret = bus_register_notifier(&pci_bus_type, &odma_pci_nb);
	if (ret) {
		bus_unregister_notifier(&platform_bus_type, &odma_platform_nb);
		return ret;
	}
#endif
	odma_scan();
	return 0;
}
module_init(odma_init);

static void __exit odma_exit(void)
{
	mutex_lock(&odma_scan_lock);
	odma_exiting = true;
	/* An unbind waits: its device keeps its channels until they are back. */
	odma_remove_all();
	mutex_unlock(&odma_scan_lock);
	cancel_work_sync(&odma_scan_work);
	/* Unbinds under way finish their engines at their unbound notice. */
	wait_event(odma_departed, odma_none_departing());
#ifdef CONFIG_PCI
	bus_unregister_notifier(&pci_bus_type, &odma_pci_nb);
#endif
	bus_unregister_notifier(&platform_bus_type, &odma_platform_nb);
	/* Queued by a notification meanwhile; finds odma_exiting set. */
	cancel_work_sync(&odma_scan_work);
}
module_exit(odma_exit);

MODULE_DESCRIPTION("mm/offload copy engines on DMAEngine memcpy devices");
MODULE_LICENSE("GPL");
