// SPDX-License-Identifier: GPL-2.0
/*
 * mm/offload segments: a chunk as the pieces its engine copies.
 *
 * A segment is a run of physically contiguous pages: a base page for
 * engines without %OFFLOAD_CAP_LARGE_FOLIO, otherwise a whole folio, cut
 * into pieces of at most the engine's @max_seg_bytes.  For engines with
 * %OFFLOAD_CAP_MERGE_SEGS, whole folios whose sources and destinations
 * both follow the previous segment's physically join it, up to the same
 * limit: one descriptor for a run of neighbouring base pages.
 *
 * When a chunk is placed, the broker counts its segments for the engine
 * (@nr_segs).  Engines then either walk them in order with
 * offload_chunk_next_seg(), or fetch segment i with offload_chunk_seg(),
 * so that several workers or descriptors can share one chunk, a single
 * 2 MiB folio included.  Fetching by index costs O(1) when the chunk's
 * folios are all of one size and not merged (the usual case: a batch of
 * base pages, or of THPs), a walk from the chunk's start otherwise.
 */

#include <linux/mm.h>

#include "internal.h"

static size_t offload_seg_limit(const struct offload_engine *eng)
{
	if (!(eng->caps & OFFLOAD_CAP_LARGE_FOLIO))
		return PAGE_SIZE;
	return eng->max_seg_bytes ?: SIZE_MAX;
}

static unsigned int offload_folio_segs(size_t folio_bytes, size_t limit)
{
	return folio_bytes <= limit ? 1 : DIV_ROUND_UP(folio_bytes, limit);
}

/* Segment @piece of pair @idx of @chunk. */
static void offload_pair_seg(const struct offload_chunk *chunk,
			     unsigned int idx, unsigned int piece,
			     struct offload_seg *seg)
{
	struct folio *src = chunk->req->src[idx], *dst = chunk->req->dst[idx];
	size_t off = piece * chunk->seg_bytes;
	unsigned long page = off >> PAGE_SHIFT;

	seg->src = folio_page(src, page);
	seg->dst = folio_page(dst, page);
	seg->len = min(chunk->seg_bytes, folio_size(src) - off);
}

/* Whether pair @idx of @chunk continues @seg physically, within the limit. */
static bool offload_seg_extends(const struct offload_chunk *chunk,
				const struct offload_seg *seg, unsigned int idx)
{
	struct folio *src = chunk->req->src[idx], *dst = chunk->req->dst[idx];
	unsigned long pages = seg->len >> PAGE_SHIFT;

	return seg->len + folio_size(src) <= chunk->seg_bytes &&
	       folio_pfn(src) == page_to_pfn(seg->src) + pages &&
	       folio_pfn(dst) == page_to_pfn(seg->dst) + pages;
}

/**
 * offload_chunk_next_seg - the next segment of a chunk, in order
 * @chunk: a chunk handed to the engine
 * @pos: iteration cursor, 0 before the first call
 * @seg: filled with the segment
 *
 * Context: any context.
 * Return: false once every segment has been returned.
 */
bool offload_chunk_next_seg(const struct offload_chunk *chunk,
			    unsigned long *pos, struct offload_seg *seg)
{
	/* @pos: index of the pair in the chunk, then segment in the folio. */
	unsigned int idx = *pos >> 32, piece = (u32)*pos;
	size_t size;

	if (idx >= chunk->nr)
		return false;
	offload_pair_seg(chunk, chunk->first + idx, piece, seg);
	size = folio_size(chunk->req->src[chunk->first + idx]);
	if (++piece < offload_folio_segs(size, chunk->seg_bytes)) {
		*pos = ((unsigned long)idx << 32) | piece;
		return true;
	}
	idx++;
	if (piece == 1 && (chunk->eng->caps & OFFLOAD_CAP_MERGE_SEGS)) {
		while (idx < chunk->nr &&
		       offload_seg_extends(chunk, seg, chunk->first + idx))
			seg->len += folio_size(chunk->req->src[chunk->first + idx++]);
	}
	*pos = (unsigned long)idx << 32;
	return true;
}
EXPORT_SYMBOL_GPL(offload_chunk_next_seg);

/**
 * offload_chunk_count_segs - count a chunk's segments for its engine
 * @chunk: a chunk with @eng set
 *
 * Context: any context.
 */
void offload_chunk_count_segs(struct offload_chunk *chunk)
{
	const struct offload_req *req = chunk->req;
	struct offload_seg seg;
	unsigned long pos = 0;
	unsigned int i;

	chunk->seg_bytes = offload_seg_limit(chunk->eng);
	chunk->nr_segs = 0;
	/*
	 * Index arithmetic needs folios of one size, none merged: known at
	 * once for a request of one folio size, else looked for.
	 */
	chunk->folio_bytes = 0;
	if (!(chunk->eng->caps & OFFLOAD_CAP_MERGE_SEGS)) {
		chunk->folio_bytes = folio_size(req->src[chunk->first]);
		for (i = chunk->first; !req->folio_bytes &&
		     i < chunk->first + chunk->nr; i++)
			if (folio_size(req->src[i]) != chunk->folio_bytes)
				chunk->folio_bytes = 0;
	}
	if (chunk->folio_bytes) {
		chunk->nr_segs = chunk->nr *
				 offload_folio_segs(chunk->folio_bytes,
						    chunk->seg_bytes);
		return;
	}
	while (offload_chunk_next_seg(chunk, &pos, &seg))
		chunk->nr_segs++;
}

/**
 * offload_chunk_seg - segment @i of a chunk
 * @chunk: a chunk handed to the engine
 * @i: index, below @chunk->nr_segs
 * @seg: filled with the segment
 *
 * Context: any context.
 */
void offload_chunk_seg(const struct offload_chunk *chunk, unsigned int i,
		       struct offload_seg *seg)
{
	unsigned long pos = 0;
	unsigned int per;

	if (WARN_ON_ONCE(i >= chunk->nr_segs))
		i = 0;
	if (chunk->folio_bytes) {
		per = offload_folio_segs(chunk->folio_bytes, chunk->seg_bytes);
		offload_pair_seg(chunk, chunk->first + i / per, i % per, seg);
		return;
	}
	do
		offload_chunk_next_seg(chunk, &pos, seg);
	while (i--);
}
EXPORT_SYMBOL_GPL(offload_chunk_seg);
