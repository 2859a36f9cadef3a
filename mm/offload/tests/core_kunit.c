// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the mm/offload engine registry.
 *
 * Fake engines never copy anything here: these cases check what
 * registration accepts and refuses, and the lifetime rules (references,
 * module pinning, unregister waiting for its users).
 */

#include <kunit/test.h>
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/module.h>
#include <linux/numa.h>
#include <linux/offload_copy.h>
#include <linux/workqueue.h>

#include "fake_engine.h"

static int fake_submit(struct offload_engine *eng, struct offload_chunk *chunk)
{
	return -EBUSY;
}

static void fake_issue_pending(struct offload_engine *eng)
{
}

static void fake_abort(struct offload_engine *eng, struct offload_chunk *chunk)
{
}

static const struct offload_engine_ops fake_ops = {
	.submit		= fake_submit,
	.issue_pending	= fake_issue_pending,
	.abort		= fake_abort,
};

static const struct offload_engine_ops no_submit_ops = {
	.issue_pending	= fake_issue_pending,
	.abort		= fake_abort,
};

static const struct offload_engine_ops no_issue_pending_ops = {
	.submit		= fake_submit,
	.abort		= fake_abort,
};

static const struct offload_engine_ops no_abort_ops = {
	.submit		= fake_submit,
	.issue_pending	= fake_issue_pending,
};

static struct offload_engine *fake_engine(struct kunit *test, const char *name)
{
	struct offload_engine *eng = kunit_kzalloc(test, sizeof(*eng),
						   GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, eng);
	strscpy(eng->name, name, sizeof(eng->name));
	eng->ops = &fake_ops;
	eng->nid = NUMA_NO_NODE;
	return eng;
}

static void unregister_action(void *eng)
{
	offload_engine_unregister(eng);
}

/* Register @eng for the rest of the test; it is unregistered at the end. */
static void register_for_test(struct kunit *test, struct offload_engine *eng)
{
	KUNIT_ASSERT_EQ(test, offload_engine_register(eng), 0);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, unregister_action,
							eng), 0);
}

/* Number of users holding @eng, the registry's own reference aside. */
static unsigned int users(struct offload_engine *eng)
{
	return kref_read(&eng->ref) - 1;
}

static void many_engines_at_once(struct kunit *test)
{
	struct offload_engine *engs[16];
	char name[OFFLOAD_ENGINE_NAME_LEN];
	int i;

	for (i = 0; i < ARRAY_SIZE(engs); i++) {
		snprintf(name, sizeof(name), "fake%d", i);
		engs[i] = fake_engine(test, name);
		engs[i]->nid = i % 2 ? first_online_node : NUMA_NO_NODE;
		register_for_test(test, engs[i]);
	}

	for (i = 0; i < ARRAY_SIZE(engs); i++) {
		struct offload_engine *got;

		got = offload_engine_get(engs[i]->name);
		KUNIT_EXPECT_PTR_EQ(test, got, engs[i]);
		KUNIT_EXPECT_EQ(test, users(engs[i]), 1);
		if (got)
			offload_engine_put(got);
		KUNIT_EXPECT_EQ(test, users(engs[i]), 0);
	}
	KUNIT_EXPECT_NULL(test, offload_engine_get("fake16"));

	/* Withdrawing one engine leaves the others in place. */
	kunit_release_action(test, unregister_action, engs[3]);
	KUNIT_EXPECT_NULL(test, offload_engine_get("fake3"));
	KUNIT_EXPECT_PTR_EQ(test, offload_engine_get("fake4"), engs[4]);
	offload_engine_put(engs[4]);
}

static void defaults_filled_in(struct kunit *test)
{
	struct offload_engine *eng = fake_engine(test, "defaults");
	struct offload_engine *set = fake_engine(test, "explicit");

	register_for_test(test, eng);
	KUNIT_EXPECT_EQ(test, eng->min_batch, 1);
	KUNIT_EXPECT_EQ(test, eng->max_inflight, UINT_MAX);
	/* Weight 0: the rate is measured, the default assumed until then. */
	KUNIT_EXPECT_EQ(test, eng->weight, 0);

	set->min_batch = 8;
	set->max_inflight = 4;
	set->weight = 250;
	set->caps = OFFLOAD_CAP_LARGE_FOLIO;
	register_for_test(test, set);
	KUNIT_EXPECT_EQ(test, set->min_batch, 8);
	KUNIT_EXPECT_EQ(test, set->max_inflight, 4);
	KUNIT_EXPECT_EQ(test, set->weight, 250);
	KUNIT_EXPECT_EQ(test, set->caps, OFFLOAD_CAP_LARGE_FOLIO);
}

static void duplicate_name_refused(struct kunit *test)
{
	struct offload_engine *first = fake_engine(test, "dup");
	struct offload_engine *second = fake_engine(test, "dup");
	struct offload_engine *got;

	register_for_test(test, first);
	KUNIT_EXPECT_EQ(test, offload_engine_register(second), -EEXIST);

	/* The first registration is untouched. */
	got = offload_engine_get("dup");
	KUNIT_EXPECT_PTR_EQ(test, got, first);
	if (got)
		offload_engine_put(got);
}

/* Each case must be refused with -EINVAL and leave no trace. */
static void invalid_engine_refused(struct kunit *test)
{
	struct offload_engine *eng;

	eng = fake_engine(test, "no_ops");
	eng->ops = NULL;
	KUNIT_EXPECT_EQ(test, offload_engine_register(eng), -EINVAL);
	KUNIT_EXPECT_NULL(test, offload_engine_get("no_ops"));

	eng = fake_engine(test, "no_submit");
	eng->ops = &no_submit_ops;
	KUNIT_EXPECT_EQ(test, offload_engine_register(eng), -EINVAL);
	KUNIT_EXPECT_NULL(test, offload_engine_get("no_submit"));

	eng = fake_engine(test, "no_issue_pending");
	eng->ops = &no_issue_pending_ops;
	KUNIT_EXPECT_EQ(test, offload_engine_register(eng), -EINVAL);
	KUNIT_EXPECT_NULL(test, offload_engine_get("no_issue_pending"));

	eng = fake_engine(test, "no_abort");
	eng->ops = &no_abort_ops;
	KUNIT_EXPECT_EQ(test, offload_engine_register(eng), -EINVAL);
	KUNIT_EXPECT_NULL(test, offload_engine_get("no_abort"));

	eng = fake_engine(test, "bad_node");
	eng->nid = MAX_NUMNODES;
	KUNIT_EXPECT_EQ(test, offload_engine_register(eng), -EINVAL);
	eng->nid = -2;
	KUNIT_EXPECT_EQ(test, offload_engine_register(eng), -EINVAL);
	KUNIT_EXPECT_NULL(test, offload_engine_get("bad_node"));

	eng = fake_engine(test, "bad_caps");
	eng->caps = OFFLOAD_CAP_ALL + 1;
	KUNIT_EXPECT_EQ(test, offload_engine_register(eng), -EINVAL);
	KUNIT_EXPECT_NULL(test, offload_engine_get("bad_caps"));

	eng = fake_engine(test, "merge_pages");
	eng->caps = OFFLOAD_CAP_MERGE_SEGS;
	KUNIT_EXPECT_EQ(test, offload_engine_register(eng), -EINVAL);
	KUNIT_EXPECT_NULL(test, offload_engine_get("merge_pages"));

	eng = fake_engine(test, "big_priv");
	eng->chunk_priv_size = OFFLOAD_CHUNK_PRIV_MAX + 1;
	KUNIT_EXPECT_EQ(test, offload_engine_register(eng), -EINVAL);
	KUNIT_EXPECT_NULL(test, offload_engine_get("big_priv"));

	eng = fake_engine(test, "odd_seg");
	eng->caps = OFFLOAD_CAP_LARGE_FOLIO;
	eng->max_seg_bytes = PAGE_SIZE + 512;
	KUNIT_EXPECT_EQ(test, offload_engine_register(eng), -EINVAL);
	KUNIT_EXPECT_NULL(test, offload_engine_get("odd_seg"));

	eng = fake_engine(test, "max_below_min");
	eng->min_batch = 8;
	eng->max_chunk_bytes = 4 * PAGE_SIZE;
	KUNIT_EXPECT_EQ(test, offload_engine_register(eng), -EINVAL);
	KUNIT_EXPECT_NULL(test, offload_engine_get("max_below_min"));

	eng = fake_engine(test, "");
	KUNIT_EXPECT_EQ(test, offload_engine_register(eng), -EINVAL);

	eng = fake_engine(test, "a/b");
	KUNIT_EXPECT_EQ(test, offload_engine_register(eng), -EINVAL);
	KUNIT_EXPECT_NULL(test, offload_engine_get("a/b"));

	eng = fake_engine(test, "a b");
	KUNIT_EXPECT_EQ(test, offload_engine_register(eng), -EINVAL);

	eng = fake_engine(test, "..");
	KUNIT_EXPECT_EQ(test, offload_engine_register(eng), -EINVAL);

	/* A name filling the whole array has no terminating NUL. */
	eng = fake_engine(test, "");
	memset(eng->name, 'x', sizeof(eng->name));
	KUNIT_EXPECT_EQ(test, offload_engine_register(eng), -EINVAL);
}

static void references_counted(struct kunit *test)
{
	struct offload_engine *eng = fake_engine(test, "counted");
	struct offload_engine *a, *b;

	register_for_test(test, eng);
	KUNIT_EXPECT_EQ(test, users(eng), 0);

	a = offload_engine_get("counted");
	b = offload_engine_get("counted");
	KUNIT_ASSERT_PTR_EQ(test, a, eng);
	KUNIT_ASSERT_PTR_EQ(test, b, eng);
	KUNIT_EXPECT_EQ(test, users(eng), 2);

	offload_engine_put(a);
	KUNIT_EXPECT_EQ(test, users(eng), 1);
	offload_engine_put(b);
	KUNIT_EXPECT_EQ(test, users(eng), 0);
}

#ifdef CONFIG_MODULE_UNLOAD
/*
 * A stand-in for the module that provides an engine, so that the pinning
 * can be observed with module_refcount() whether these tests are built in
 * or not.  refcnt starts at 1, the module loader's base reference.
 */
static struct module fake_owner;

static void module_pinned_by_users(struct kunit *test)
{
	struct offload_engine *eng = fake_engine(test, "owned");
	struct offload_engine *got;

	strscpy(fake_owner.name, "offload_fake_owner", sizeof(fake_owner.name));
	fake_owner.state = MODULE_STATE_LIVE;
	atomic_set(&fake_owner.refcnt, 1);
	eng->owner = &fake_owner;

	/* Being registered does not pin the module: it could never unload. */
	register_for_test(test, eng);
	KUNIT_EXPECT_EQ(test, module_refcount(&fake_owner), 0);

	got = offload_engine_get("owned");
	KUNIT_ASSERT_PTR_EQ(test, got, eng);
	KUNIT_EXPECT_EQ(test, module_refcount(&fake_owner), 1);
	offload_engine_put(got);
	KUNIT_EXPECT_EQ(test, module_refcount(&fake_owner), 0);

	/* A module on its way out lends its engine to nobody. */
	fake_owner.state = MODULE_STATE_GOING;
	KUNIT_EXPECT_NULL(test, offload_engine_get("owned"));
	KUNIT_EXPECT_EQ(test, module_refcount(&fake_owner), 0);
	KUNIT_EXPECT_EQ(test, users(eng), 0);
	fake_owner.state = MODULE_STATE_LIVE;
}
#else
static void module_pinned_by_users(struct kunit *test)
{
	kunit_skip(test, "needs CONFIG_MODULE_UNLOAD");
}
#endif

/* Wait until @name has left the registry, at most about two seconds. */
static bool wait_unlisted(const char *name)
{
	struct offload_engine *eng;
	int i;

	for (i = 0; i < 100; i++) {
		eng = offload_engine_get(name);
		if (!eng)
			return true;
		offload_engine_put(eng);
		msleep(20);
	}
	return false;
}

static void unregister_waits_for_users(struct kunit *test)
{
	struct offload_engine *eng = fake_engine(test, "busy");
	struct offload_engine *user;
	struct fake_async fa;

	KUNIT_ASSERT_EQ(test, offload_engine_register(eng), 0);
	user = offload_engine_get("busy");
	KUNIT_ASSERT_PTR_EQ(test, user, eng);

	fake_async_start(&fa, unregister_action, eng);

	/* New users cannot find it, but unregister waits for the old one. */
	KUNIT_EXPECT_TRUE(test, wait_unlisted("busy"));
	KUNIT_EXPECT_FALSE(test, fake_async_wait(&fa, 100));
	/* The registry's reference is gone; the user's one remains. */
	KUNIT_EXPECT_EQ(test, kref_read(&eng->ref), 1);

	offload_engine_put(user);
	KUNIT_EXPECT_TRUE(test, fake_async_wait(&fa, 10000));
	fake_async_finish(&fa);
}

static struct kunit_case offload_registry_cases[] = {
	KUNIT_CASE(many_engines_at_once),
	KUNIT_CASE(defaults_filled_in),
	KUNIT_CASE(duplicate_name_refused),
	KUNIT_CASE(invalid_engine_refused),
	KUNIT_CASE(references_counted),
	KUNIT_CASE(module_pinned_by_users),
	KUNIT_CASE(unregister_waits_for_users),
	{}
};

static struct kunit_suite offload_registry_suite = {
	.name = "offload_registry",
	.test_cases = offload_registry_cases,
};

kunit_test_suite(offload_registry_suite);

MODULE_DESCRIPTION("KUnit tests for the mm/offload engine registry");
MODULE_LICENSE("GPL");
/* The broker's internals and the fake engines are exported for KUnit only. */
MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
