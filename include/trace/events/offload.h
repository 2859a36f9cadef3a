/* SPDX-License-Identifier: GPL-2.0 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM offload

#if !defined(_TRACE_OFFLOAD_H) || defined(TRACE_HEADER_MULTI_READ)
#define _TRACE_OFFLOAD_H

#include <linux/offload_copy.h>
#include <linux/tracepoint.h>

TRACE_DEFINE_ENUM(OFFLOAD_MODE_OFF);
TRACE_DEFINE_ENUM(OFFLOAD_MODE_CPU);
TRACE_DEFINE_ENUM(OFFLOAD_MODE_PREFER);
TRACE_DEFINE_ENUM(OFFLOAD_MODE_REQUIRE);

#define show_offload_mode(mode)						\
	__print_symbolic(mode,						\
			 { OFFLOAD_MODE_OFF,		"off" },	\
			 { OFFLOAD_MODE_CPU,		"cpu" },	\
			 { OFFLOAD_MODE_PREFER,		"prefer" },	\
			 { OFFLOAD_MODE_REQUIRE,	"require" })

TRACE_EVENT(offload_submit,

	TP_PROTO(const struct offload_req *req),

	TP_ARGS(req),

	TP_STRUCT__entry(
		__field(unsigned int,	class)
		__field(unsigned int,	mode)
		__field(unsigned int,	nr)
		__field(unsigned int,	nr_chunks)
		__field(unsigned int,	nr_engines)
		__field(int,		src_nid)
		__field(int,		dst_nid)
	),

	TP_fast_assign(
		__entry->class		= req->class;
		__entry->mode		= req->mode;
		__entry->nr		= req->nr;
		__entry->nr_chunks	= req->nr_chunks;
		__entry->nr_engines	= req->nr_engines;
		__entry->src_nid	= req->src_nid;
		__entry->dst_nid	= req->dst_nid;
	),

	TP_printk("class=%u mode=%s folios=%u chunks=%u engines=%u nodes=%d->%d",
		  __entry->class, show_offload_mode(__entry->mode),
		  __entry->nr, __entry->nr_chunks, __entry->nr_engines,
		  __entry->src_nid, __entry->dst_nid)
);

TRACE_EVENT(offload_chunk_place,

	TP_PROTO(const struct offload_chunk *chunk),

	TP_ARGS(chunk),

	TP_STRUCT__entry(
		__string(engine,	chunk->eng->name)
		__field(int,		engine_nid)
		__field(int,		dst_nid)
		__field(unsigned int,	first)
		__field(unsigned int,	nr)
		__field(size_t,		bytes)
	),

	TP_fast_assign(
		__assign_str(engine);
		__entry->engine_nid	= chunk->eng->nid;
		__entry->dst_nid	= chunk->req->dst_nid;
		__entry->first		= chunk->first;
		__entry->nr		= chunk->nr;
		__entry->bytes		= chunk->bytes;
	),

	TP_printk("engine=%s node=%d dst_node=%d first=%u folios=%u bytes=%zu",
		  __get_str(engine), __entry->engine_nid, __entry->dst_nid,
		  __entry->first, __entry->nr, __entry->bytes)
);

TRACE_EVENT(offload_chunk_complete,

	TP_PROTO(const struct offload_chunk *chunk, int status, u64 latency_ns),

	TP_ARGS(chunk, status, latency_ns),

	TP_STRUCT__entry(
		__string(engine,	chunk->eng->name)
		__field(unsigned int,	first)
		__field(unsigned int,	nr)
		__field(int,		status)
		__field(u64,		latency_ns)
	),

	TP_fast_assign(
		__assign_str(engine);
		__entry->first		= chunk->first;
		__entry->nr		= chunk->nr;
		__entry->status		= status;
		__entry->latency_ns	= latency_ns;
	),

	TP_printk("engine=%s first=%u folios=%u status=%d latency_ns=%llu",
		  __get_str(engine), __entry->first, __entry->nr,
		  __entry->status, __entry->latency_ns)
);

/*
 * A chunk leaves the engines: @to is "cpu" when the calling CPU copies it,
 * "fail" when no allowed engine could copy it.  @engine is the engine
 * that failed it last, or "none" if no engine could take it.
 */
TRACE_EVENT(offload_fallback,

	TP_PROTO(const struct offload_chunk *chunk, const char *engine,
		 const char *to, int status),

	TP_ARGS(chunk, engine, to, status),

	TP_STRUCT__entry(
		__string(engine,	engine)
		__string(to,		to)
		__field(unsigned int,	class)
		__field(unsigned int,	first)
		__field(unsigned int,	nr)
		__field(int,		status)
	),

	TP_fast_assign(
		__assign_str(engine);
		__assign_str(to);
		__entry->class		= chunk->req->class;
		__entry->first		= chunk->first;
		__entry->nr		= chunk->nr;
		__entry->status		= status;
	),

	TP_printk("class=%u first=%u folios=%u from=%s to=%s status=%d",
		  __entry->class, __entry->first, __entry->nr,
		  __get_str(engine), __get_str(to), __entry->status)
);

/* A chunk whose engine missed its abort grace is given up. */
TRACE_EVENT(offload_chunk_abandon,

	TP_PROTO(const struct offload_chunk *chunk),

	TP_ARGS(chunk),

	TP_STRUCT__entry(
		__string(engine,	chunk->eng->name)
		__field(unsigned int,	class)
		__field(unsigned int,	first)
		__field(unsigned int,	nr)
		__field(size_t,		bytes)
	),

	TP_fast_assign(
		__assign_str(engine);
		__entry->class		= chunk->req->class;
		__entry->first		= chunk->first;
		__entry->nr		= chunk->nr;
		__entry->bytes		= chunk->bytes;
	),

	TP_printk("engine=%s class=%u first=%u folios=%u bytes=%zu",
		  __get_str(engine), __entry->class, __entry->first,
		  __entry->nr, __entry->bytes)
);

TRACE_EVENT(offload_quarantine,

	TP_PROTO(const struct offload_engine *eng, bool quarantined),

	TP_ARGS(eng, quarantined),

	TP_STRUCT__entry(
		__string(engine,	eng->name)
		__field(bool,		quarantined)
		__field(int,		faults)
	),

	TP_fast_assign(
		__assign_str(engine);
		__entry->quarantined	= quarantined;
		__entry->faults		= atomic_read(&eng->faults);
	),

	TP_printk("engine=%s %s faults=%d", __get_str(engine),
		  __entry->quarantined ? "quarantined" : "enabled",
		  __entry->faults)
);

#endif /* _TRACE_OFFLOAD_H */

/* This part must be outside protection */
#include <trace/define_trace.h>
