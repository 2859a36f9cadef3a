// SPDX-License-Identifier: GPL-2.0
/*
 * Control of the mm/offload test engines, for tests in a guest.
 *
 * /sys/kernel/debug/offload_test_engine/control takes one command per
 * write:
 *
 *	add NAME [kind=instant|delayed|ooo|never|null|hardirq|softirq|stuck]
 *		 [node=N] [delay_ms=N] [fail_every=N] [large=0|1]
 *		 [min_batch=N] [max_inflight=N] [weight=N] [timeout_ms=N]
 *	set NAME fail_every=N
 *	release NAME		(complete what a stuck engine holds)
 *	kill NAME		(the engine's device is gone)
 *	del NAME
 *
 * and reads back one line per engine with what it saw.  Unloading the
 * module removes every engine.  Errors: -EINVAL for a malformed command,
 * -EEXIST for a taken name, -ENOENT for an unknown one; a failed command
 * changes nothing.
 */

#include <linux/debugfs.h>
#include <linux/module.h>
#include <linux/numa.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "test_engine.h"

struct test_engine_entry {
	struct list_head		list;
	struct offload_test_engine	te;
};

static LIST_HEAD(test_engines);
/* Serialises commands and protects test_engines. */
static DEFINE_MUTEX(test_engines_lock);
static struct dentry *test_engine_dir;

static const char * const kind_names[] = {
	[OFFLOAD_TEST_INSTANT]		= "instant",
	[OFFLOAD_TEST_DELAYED]		= "delayed",
	[OFFLOAD_TEST_OUT_OF_ORDER]	= "ooo",
	[OFFLOAD_TEST_NEVER]		= "never",
	[OFFLOAD_TEST_NULL]		= "null",
	[OFFLOAD_TEST_HARDIRQ]		= "hardirq",
	[OFFLOAD_TEST_SOFTIRQ]		= "softirq",
	[OFFLOAD_TEST_STUCK]		= "stuck",
};

static_assert(ARRAY_SIZE(kind_names) == OFFLOAD_TEST_NR_KINDS);

static struct test_engine_entry *test_engine_find(const char *name)
{
	struct test_engine_entry *e;

	list_for_each_entry(e, &test_engines, list)
		if (!strcmp(e->te.eng.name, name))
			return e;
	return NULL;
}

/* Apply one "key=value" option to @te. */
static int test_engine_option(struct offload_test_engine *te, char *opt)
{
	struct offload_engine *eng = &te->eng;
	char *val = strchr(opt, '=');
	unsigned int n;
	int ret;

	if (!val)
		return -EINVAL;
	*val++ = '\0';
	if (!strcmp(opt, "kind")) {
		ret = match_string(kind_names, ARRAY_SIZE(kind_names), val);
		if (ret < 0)
			return ret;
		te->kind = ret;
		return 0;
	}
	if (!strcmp(opt, "node"))
		return kstrtoint(val, 0, &eng->nid);

	ret = kstrtouint(val, 0, &n);
	if (ret)
		return ret;
	if (!strcmp(opt, "delay_ms"))
		te->delay_ms = n;
	else if (!strcmp(opt, "fail_every"))
		WRITE_ONCE(te->fail_every, n);
	else if (!strcmp(opt, "large"))
		eng->caps = n ? OFFLOAD_CAP_LARGE_FOLIO : 0;
	else if (!strcmp(opt, "min_batch"))
		eng->min_batch = n;
	else if (!strcmp(opt, "max_inflight"))
		eng->max_inflight = n;
	else if (!strcmp(opt, "weight"))
		eng->weight = n;
	else if (!strcmp(opt, "timeout_ms"))
		eng->timeout_ms = n;
	else
		return -EINVAL;
	return 0;
}

static int test_engine_add(const char *name, char *opts)
{
	struct test_engine_entry *e;
	char *opt;
	int ret;

	if (test_engine_find(name))
		return -EEXIST;
	e = kzalloc(sizeof(*e), GFP_KERNEL);
	if (!e)
		return -ENOMEM;
	offload_test_engine_init(&e->te, name, OFFLOAD_TEST_INSTANT,
				 NUMA_NO_NODE);
	e->te.eng.owner = THIS_MODULE;
	while ((opt = strsep(&opts, " \t"))) {
		if (!*opt)
			continue;
		ret = test_engine_option(&e->te, opt);
		if (ret)
			goto free;
	}
	ret = offload_engine_register(&e->te.eng);
	if (ret)
		goto free;
	list_add_tail(&e->list, &test_engines);
	return 0;
free:
	kfree(e);
	return ret;
}

static void test_engine_del(struct test_engine_entry *e)
{
	list_del(&e->list);
	/* A stuck engine would hold its abandoned chunks, and us, forever. */
	if (e->te.kind == OFFLOAD_TEST_STUCK) {
		offload_engine_kill(&e->te.eng);
		offload_test_engine_release(&e->te, -ENODEV);
	}
	offload_engine_unregister(&e->te.eng);
	offload_test_engine_flush(&e->te);
	kfree(e);
}

static int test_engine_command(char *cmd)
{
	struct test_engine_entry *e;
	char *verb, *name, *opt;
	int ret = 0;

	verb = strsep(&cmd, " \t");
	name = strsep(&cmd, " \t");
	if (!verb || !name || !*name)
		return -EINVAL;

	if (!strcmp(verb, "add"))
		return test_engine_add(name, cmd);

	e = test_engine_find(name);
	if (!e)
		return -ENOENT;
	if (!strcmp(verb, "del")) {
		test_engine_del(e);
	} else if (!strcmp(verb, "release")) {
		offload_test_engine_release(&e->te, 0);
	} else if (!strcmp(verb, "kill")) {
		offload_engine_kill(&e->te.eng);
		offload_test_engine_release(&e->te, -ENODEV);
	} else if (!strcmp(verb, "set")) {
		/* Only a knob that may change while registered. */
		opt = strsep(&cmd, " \t");
		if (!opt || strncmp(opt, "fail_every=", 11))
			return -EINVAL;
		ret = test_engine_option(&e->te, opt);
	} else {
		ret = -EINVAL;
	}
	return ret;
}

static ssize_t control_write(struct file *file, const char __user *ubuf,
			     size_t count, loff_t *ppos)
{
	char *buf;
	int ret;

	if (count > PAGE_SIZE)
		return -EINVAL;
	buf = memdup_user_nul(ubuf, count);
	if (IS_ERR(buf))
		return PTR_ERR(buf);

	mutex_lock(&test_engines_lock);
	ret = test_engine_command(strim(buf));
	mutex_unlock(&test_engines_lock);
	kfree(buf);
	return ret ? ret : count;
}

static int control_show(struct seq_file *m, void *v)
{
	struct test_engine_entry *e;

	mutex_lock(&test_engines_lock);
	list_for_each_entry(e, &test_engines, list) {
		struct offload_test_engine *te = &e->te;

		seq_printf(m, "%s kind=%s node=%d chunks=%d folios=%d failed=%d aborted=%d rejected=%d segs=%d\n",
			   te->eng.name, kind_names[te->kind], te->eng.nid,
			   atomic_read(&te->chunks), atomic_read(&te->folios),
			   atomic_read(&te->failed), atomic_read(&te->aborted),
			   atomic_read(&te->rejected), atomic_read(&te->segs));
	}
	mutex_unlock(&test_engines_lock);
	return 0;
}

static int control_open(struct inode *inode, struct file *file)
{
	return single_open(file, control_show, NULL);
}

static const struct file_operations control_fops = {
	.owner		= THIS_MODULE,
	.open		= control_open,
	.read		= seq_read,
	.llseek		= seq_lseek,
	.release	= single_release,
	.write		= control_write,
};

static int __init test_engine_ctl_init(void)
{
	test_engine_dir = debugfs_create_dir("offload_test_engine", NULL);
	debugfs_create_file("control", 0600, test_engine_dir, NULL,
			    &control_fops);
	return 0;
}

static void __exit test_engine_ctl_exit(void)
{
	struct test_engine_entry *e, *tmp;

	debugfs_remove_recursive(test_engine_dir);
	mutex_lock(&test_engines_lock);
	list_for_each_entry_safe(e, tmp, &test_engines, list)
		test_engine_del(e);
	mutex_unlock(&test_engines_lock);
}

module_init(test_engine_ctl_init);
module_exit(test_engine_ctl_exit);

MODULE_DESCRIPTION("Test copy engines for mm/offload (tests only)");
MODULE_LICENSE("GPL");
