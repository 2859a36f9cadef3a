/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Declarations private to mm/offload.
 */
#ifndef _MM_OFFLOAD_INTERNAL_H
#define _MM_OFFLOAD_INTERNAL_H

#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/offload_copy.h>

/* The registry: see the locking rules at the top of core.c. */
extern struct list_head offload_engines;
extern struct mutex offload_engines_lock;

bool offload_engine_tryget(struct offload_engine *eng);

#endif /* _MM_OFFLOAD_INTERNAL_H */
