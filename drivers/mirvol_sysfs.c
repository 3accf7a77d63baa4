// SPDX-License-Identifier: GPL-2.0
/*
 * mirvol sysfs: /sys/block/mirvolN/mirvol/ and its plexN/ directories.
 *
 * Show functions take no mutex: teardown removes these files while
 * holding volume->lock, and removal waits for running show calls.  They
 * read states with READ_ONCE() or under state_lock.  Stores never take
 * volume->lock for the same reason, nor sb_mutex, held across superblock
 * I/O; those of the resync speeds take speed_lock (speed_store()).
 *
 * Copyright (C) 2026 The mirvol authors
 */
#include <linux/blkdev.h>
#include <linux/kobject.h>
#include <linux/slab.h>
#include <linux/sysfs.h>

#include "mirvol_core.h"

static struct mirvol_volume *kobj_to_vol(struct kobject *kobj)
{
	return dev_to_disk(kobj_to_dev(kobj->parent))->private_data;
}

static ssize_t name_show(struct kobject *kobj, struct kobj_attribute *attr,
			 char *buf)
{
	struct mirvol_volume *vol = kobj_to_vol(kobj);
	unsigned long flags;
	ssize_t ret;

	spin_lock_irqsave(&vol->state_lock, flags);
	ret = sysfs_emit(buf, "%s\n", vol->name);
	spin_unlock_irqrestore(&vol->state_lock, flags);
	return ret;
}

static ssize_t uuid_show(struct kobject *kobj, struct kobj_attribute *attr,
			 char *buf)
{
	return sysfs_emit(buf, "%pUb\n", &kobj_to_vol(kobj)->uuid);
}

static ssize_t state_show(struct kobject *kobj, struct kobj_attribute *attr,
			  char *buf)
{
	struct mirvol_volume *vol = kobj_to_vol(kobj);

	return sysfs_emit(buf, "%s\n",
			  mirvol_volume_state_name(READ_ONCE(vol->state)));
}

static ssize_t generation_show(struct kobject *kobj,
			       struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%llu\n",
			  READ_ONCE(kobj_to_vol(kobj)->generation));
}

static ssize_t array_state_show(struct kobject *kobj,
				struct kobj_attribute *attr, char *buf)
{
	struct mirvol_volume *vol = kobj_to_vol(kobj);

	return sysfs_emit(buf, "%s\n",
			  test_bit(MIRVOL_VOL_DIRTY, &vol->flags) ?
			  "dirty" : "clean");
}

/* A number, or "system": the module parameter @dflt. */
static int tunable_parse(const char *buf, unsigned int dflt,
			 unsigned int *val)
{
	if (sysfs_streq(buf, "system")) {
		*val = dflt;
		return 0;
	}
	return kstrtouint(buf, 10, val) ? -EINVAL : 0;
}

static ssize_t tunable_store(unsigned int *field, unsigned int dflt,
			     const char *buf, size_t len)
{
	unsigned int val;

	if (tunable_parse(buf, dflt, &val))
		return -EINVAL;
	WRITE_ONCE(*field, val);
	return len;
}

/*
 * The resync speeds: SET_VOLUME sets them too, and one whose superblock
 * update fails puts back what it replaced (mirvol_volume_restore_speeds())
 * but a speed written here since: such a write is never undone though it
 * returned success.  Counted under speed_lock, which nobody holds across
 * I/O: a slow or dead device's superblock update (sb_mutex) does not hold
 * this write up.
 */
static ssize_t speed_store(struct mirvol_volume *vol, unsigned int *field,
			   unsigned int *writes, unsigned int dflt,
			   const char *buf, size_t len)
{
	unsigned int val;

	/* A number as SET_VOLUME takes it; "system" is the parameter's. */
	if (tunable_parse(buf, dflt, &val) ||
	    (!sysfs_streq(buf, "system") && !mirvol_speed_valid(val)))
		return -EINVAL;
	spin_lock(&vol->speed_lock);
	WRITE_ONCE(*field, val);
	(*writes)++;
	spin_unlock(&vol->speed_lock);
	return len;
}

/*
 * A tunable of the volume, an unsigned int field of the same name: reads
 * print it, writes take a number or "system" (back to the module
 * parameter @_dflt, as md's sync_speed_min/max do).
 */
#define MIRVOL_TUNABLE_SHOW(_name)					\
static ssize_t _name##_show(struct kobject *kobj,			\
			    struct kobj_attribute *attr, char *buf)	\
{									\
	return sysfs_emit(buf, "%u\n", READ_ONCE(kobj_to_vol(kobj)->_name)); \
}

#define MIRVOL_TUNABLE(_name, _dflt)					\
MIRVOL_TUNABLE_SHOW(_name)						\
									\
static ssize_t _name##_store(struct kobject *kobj,			\
			     struct kobj_attribute *attr,		\
			     const char *buf, size_t len)		\
{									\
	return tunable_store(&kobj_to_vol(kobj)->_name, _dflt, buf, len); \
}

/* The same, for a speed: the store takes speed_lock (speed_store()). */
#define MIRVOL_SPEED(_name, _dflt)					\
MIRVOL_TUNABLE_SHOW(_name)						\
									\
static ssize_t _name##_store(struct kobject *kobj,			\
			     struct kobj_attribute *attr,		\
			     const char *buf, size_t len)		\
{									\
	struct mirvol_volume *vol = kobj_to_vol(kobj);			\
									\
	return speed_store(vol, &vol->_name, &vol->_name##_writes, _dflt, \
			   buf, len);					\
}

MIRVOL_SPEED(sync_speed_min, mirvol_sync_speed_min)
MIRVOL_SPEED(sync_speed_max, mirvol_sync_speed_max)
MIRVOL_TUNABLE(safe_mode_delay_ms, mirvol_safe_mode_delay_ms)
MIRVOL_TUNABLE(bitmap_dirty_max, mirvol_bitmap_dirty_max)

/* bitmap page writes of the set and clear works (mirvol_bitmap.c) */
static ssize_t bitmap_writes_show(struct kobject *kobj,
				  struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%lld\n",
			  atomic64_read(&kobj_to_vol(kobj)->bitmap_writes));
}

static ssize_t sync_speed_show(struct kobject *kobj,
			       struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n",
			  READ_ONCE(kobj_to_vol(kobj)->sync_speed));
}

/* md's mismatch_cnt: sectors the last check or repair found differing */
static ssize_t mismatch_sectors_show(struct kobject *kobj,
				     struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%llu\n",
			  READ_ONCE(kobj_to_vol(kobj)->mismatch_sectors));
}

/* Fill @info from the volume's running operation; false if none. */
static bool vol_op_info(struct mirvol_volume *vol, struct mirvol_op_info *info)
{
	struct mirvol_operation *op;
	u64 id = READ_ONCE(vol->op_id);

	op = id ? mirvol_op_get_by_id(id) : NULL;
	if (!op)
		return false;
	mirvol_op_fill(op, info);
	mirvol_op_put(op);
	return true;
}

/* "none", or "<id> <type> <state> <percent>" of the running operation */
static ssize_t operation_show(struct kobject *kobj,
			      struct kobj_attribute *attr, char *buf)
{
	struct mirvol_op_info info;

	if (!vol_op_info(kobj_to_vol(kobj), &info))
		return sysfs_emit(buf, "none\n");
	return sysfs_emit(buf, "%llu %s %s %u\n", info.id,
			  mirvol_op_type_name(info.type),
			  mirvol_op_state_name(info.state), info.percent);
}

/* md's sync_completed: "<done> / <total>" sectors, or "none" */
static ssize_t sync_completed_show(struct kobject *kobj,
				   struct kobj_attribute *attr, char *buf)
{
	struct mirvol_op_info info;

	if (!vol_op_info(kobj_to_vol(kobj), &info) ||
	    info.type == MIRVOL_OP_BREAK_PLEX ||
	    info.type == MIRVOL_OP_REMOVE_PLEX)
		return sysfs_emit(buf, "none\n");
	return sysfs_emit(buf, "%llu / %llu\n", info.done_bytes >> 9,
			  info.total_bytes >> 9);
}

#define MIRVOL_RO(_name) \
	static struct kobj_attribute mirvol_attr_##_name = __ATTR_RO(_name)
#define MIRVOL_RW(_name) \
	static struct kobj_attribute mirvol_attr_##_name = __ATTR_RW(_name)

MIRVOL_RO(name);
MIRVOL_RO(uuid);
MIRVOL_RO(state);
MIRVOL_RO(generation);
MIRVOL_RO(array_state);
MIRVOL_RW(sync_speed_min);
MIRVOL_RW(sync_speed_max);
MIRVOL_RO(sync_speed);
MIRVOL_RO(sync_completed);
MIRVOL_RO(mismatch_sectors);
MIRVOL_RO(operation);
MIRVOL_RW(safe_mode_delay_ms);
MIRVOL_RW(bitmap_dirty_max);
MIRVOL_RO(bitmap_writes);

static struct attribute *mirvol_attr_list[] = {
	&mirvol_attr_name.attr,
	&mirvol_attr_uuid.attr,
	&mirvol_attr_state.attr,
	&mirvol_attr_generation.attr,
	&mirvol_attr_array_state.attr,
	&mirvol_attr_sync_speed_min.attr,
	&mirvol_attr_sync_speed_max.attr,
	&mirvol_attr_sync_speed.attr,
	&mirvol_attr_sync_completed.attr,
	&mirvol_attr_mismatch_sectors.attr,
	&mirvol_attr_operation.attr,
	&mirvol_attr_safe_mode_delay_ms.attr,
	&mirvol_attr_bitmap_dirty_max.attr,
	&mirvol_attr_bitmap_writes.attr,
	NULL,
};

static const struct attribute_group mirvol_attr_group = {
	.attrs = mirvol_attr_list,
};

/**
 * mirvol_sysfs_add - create /sys/block/mirvolN/mirvol
 * @vol: a volume with its gendisk added
 *
 * Return: 0 or a negative errno.
 */
int mirvol_sysfs_add(struct mirvol_volume *vol)
{
	struct kobject *kobj;
	int err;

	kobj = kobject_create_and_add("mirvol",
				      &disk_to_dev(vol->disk)->kobj);
	if (!kobj)
		return -ENOMEM;
	err = sysfs_create_group(kobj, &mirvol_attr_group);
	if (err) {
		kobject_put(kobj);
		return err;
	}
	vol->kobj = kobj;
	return 0;
}

/**
 * mirvol_sysfs_del - remove /sys/block/mirvolN/mirvol and its plexes
 * @vol: the volume
 */
void mirvol_sysfs_del(struct mirvol_volume *vol)
{
	unsigned int i;

	if (!vol->kobj)
		return;
	for (i = 0; i < MIRVOL_MAX_PLEXES; i++)
		if (vol->plexes[i])
			mirvol_sysfs_del_plex(vol->plexes[i]);
	sysfs_remove_group(vol->kobj, &mirvol_attr_group);
	kobject_del(vol->kobj);
	kobject_put(vol->kobj);
	vol->kobj = NULL;
}

/* plexN/ */

struct mirvol_plex_kobj {
	struct kobject kobj;
	struct mirvol_plex *plex;
};

static struct mirvol_plex *kobj_to_plex(struct kobject *kobj)
{
	return container_of(kobj, struct mirvol_plex_kobj, kobj)->plex;
}

static ssize_t plex_uuid_show(struct kobject *kobj,
			      struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%pUb\n", &kobj_to_plex(kobj)->uuid);
}

static ssize_t plex_state_show(struct kobject *kobj,
			       struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%s\n", mirvol_plex_state_name(
				  READ_ONCE(kobj_to_plex(kobj)->state)));
}

static ssize_t plex_dev_show(struct kobject *kobj,
			     struct kobj_attribute *attr, char *buf)
{
	struct mirvol_plex *plex = kobj_to_plex(kobj);

	return sysfs_emit(buf, "%u:%u\n", MAJOR(plex->devt),
			  MINOR(plex->devt));
}

static ssize_t plex_boot_show(struct kobject *kobj,
			      struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n", READ_ONCE(kobj_to_plex(kobj)->boot));
}

static ssize_t plex_data_offset_show(struct kobject *kobj,
				     struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%llu\n",
			  (u64)kobj_to_plex(kobj)->data_offset);
}

static ssize_t plex_sync_offset_show(struct kobject *kobj,
				     struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%llu\n",
			  (u64)READ_ONCE(kobj_to_plex(kobj)->sync_offset));
}

/* uncorrected, decayed: see mirvol_plex_read_errors() */
static ssize_t plex_read_errors_show(struct kobject *kobj,
				     struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n",
			  mirvol_plex_read_errors(kobj_to_plex(kobj)));
}

static ssize_t plex_corrected_read_errors_show(struct kobject *kobj,
					       struct kobj_attribute *attr,
					       char *buf)
{
	return sysfs_emit(buf, "%lld\n",
			  atomic64_read(&kobj_to_plex(kobj)->corrected_read_errors));
}

static ssize_t plex_write_errors_show(struct kobject *kobj,
				      struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%lld\n",
			  atomic64_read(&kobj_to_plex(kobj)->write_errors));
}

static ssize_t plex_read_ios_show(struct kobject *kobj,
				  struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%lld\n",
			  atomic64_read(&kobj_to_plex(kobj)->read_ios));
}

static ssize_t plex_write_ios_show(struct kobject *kobj,
				   struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%lld\n",
			  atomic64_read(&kobj_to_plex(kobj)->write_ios));
}

#define MIRVOL_PLEX_ATTR(_name) \
	static struct kobj_attribute mirvol_plex_attr_##_name = \
		__ATTR(_name, 0444, plex_##_name##_show, NULL)

MIRVOL_PLEX_ATTR(uuid);
MIRVOL_PLEX_ATTR(state);
MIRVOL_PLEX_ATTR(dev);
MIRVOL_PLEX_ATTR(boot);
MIRVOL_PLEX_ATTR(data_offset);
MIRVOL_PLEX_ATTR(sync_offset);
MIRVOL_PLEX_ATTR(read_errors);
MIRVOL_PLEX_ATTR(corrected_read_errors);
MIRVOL_PLEX_ATTR(write_errors);
MIRVOL_PLEX_ATTR(read_ios);
MIRVOL_PLEX_ATTR(write_ios);

static struct attribute *mirvol_plex_attr_list_attrs[] = {
	&mirvol_plex_attr_uuid.attr,
	&mirvol_plex_attr_state.attr,
	&mirvol_plex_attr_dev.attr,
	&mirvol_plex_attr_boot.attr,
	&mirvol_plex_attr_data_offset.attr,
	&mirvol_plex_attr_sync_offset.attr,
	&mirvol_plex_attr_read_errors.attr,
	&mirvol_plex_attr_corrected_read_errors.attr,
	&mirvol_plex_attr_write_errors.attr,
	&mirvol_plex_attr_read_ios.attr,
	&mirvol_plex_attr_write_ios.attr,
	NULL,
};
ATTRIBUTE_GROUPS(mirvol_plex_attr_list);

static void mirvol_plex_kobj_release(struct kobject *kobj)
{
	struct mirvol_plex_kobj *pk = container_of(kobj,
						   struct mirvol_plex_kobj,
						   kobj);

	mirvol_plex_put(pk->plex);
	kfree(pk);
}

static const struct kobj_type mirvol_plex_ktype = {
	.release	= mirvol_plex_kobj_release,
	.sysfs_ops	= &kobj_sysfs_ops,
	.default_groups	= mirvol_plex_attr_list_groups,
};

/**
 * mirvol_sysfs_add_plex - create plexN/ for a plex of a started volume
 * @vol: the volume
 * @plex: the plex
 *
 * Return: 0 or a negative errno (the plex just has no directory).
 */
int mirvol_sysfs_add_plex(struct mirvol_volume *vol, struct mirvol_plex *plex)
{
	struct mirvol_plex_kobj *pk;
	int err;

	if (!vol->kobj || plex->kobj)
		return 0;
	MIRVOL_KUNIT_HOOK(mirvol_kunit_alloc_hook, vol, "plexN/ add");
	pk = kzalloc(sizeof(*pk), GFP_KERNEL);
	if (!pk)
		return -ENOMEM;
	/* The directory holds the plex until its last reader is gone. */
	mirvol_plex_get(plex);
	pk->plex = plex;
	err = kobject_init_and_add(&pk->kobj, &mirvol_plex_ktype, vol->kobj,
				   "plex%u", plex->index);
	if (err) {
		kobject_put(&pk->kobj);
		return err;
	}
	plex->kobj = &pk->kobj;
	return 0;
}

/**
 * mirvol_sysfs_del_plex - remove plexN/ of a plex
 * @plex: the plex
 */
void mirvol_sysfs_del_plex(struct mirvol_plex *plex)
{
	if (!plex->kobj)
		return;
	MIRVOL_KUNIT_HOOK(mirvol_kunit_alloc_hook, plex->vol, "plexN/ del");
	kobject_del(plex->kobj);
	kobject_put(plex->kobj);
	plex->kobj = NULL;
}
