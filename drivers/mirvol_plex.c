// SPDX-License-Identifier: GPL-2.0
/*
 * mirvol plexes as objects: reference counting, the exclusive claim of
 * the device, holder links, and the check that a device does not sit on
 * the volume it would join.
 *
 * A plex is freed when its last reference goes: its volume's slot, an
 * operation, an assembly member or its sysfs directory may hold one.  The
 * device claim is separate: a plex whose device went away keeps its
 * object (state missing) and gives the device back (mirvol_plex_close()).
 * The plex is the holder of its claim, so that it can move between
 * volumes (break-plex, add-plex --from-volume) without giving it up.
 *
 * Copyright (C) 2026 The mirvol authors
 */
#include <linux/blkdev.h>
#include <linux/kernfs.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>

#include "mirvol_core.h"

static const struct blk_holder_ops mirvol_holder_ops = {
	.mark_dead = mirvol_plex_mark_dead,
};

/**
 * mirvol_errno_reason - the reason code that best says what an errno does
 * @err: a negative errno from the kernel
 *
 * Return: the reason code.
 */
enum mirvol_reason mirvol_errno_reason(int err)
{
	switch (err) {
	case 0:		return MIRVOL_R_NONE;
	case -ENOMEM:	return MIRVOL_R_NO_MEMORY;
	case -EBUSY:	return MIRVOL_R_DEVICE_BUSY;
	case -ENXIO:
	case -ENODEV:
	case -ENOENT:	return MIRVOL_R_OBJECT_NOT_FOUND;
	case -EACCES:
	case -EPERM:	return MIRVOL_R_ACCESS_DENIED;
	case -EIO:	return MIRVOL_R_IO_ERROR;
	default:	return MIRVOL_R_INVALID_ARGUMENT;
	}
}

/**
 * mirvol_plex_alloc - a plex without a device, state NONE, no slot
 *
 * Return: the plex with one reference, or NULL.
 */
struct mirvol_plex *mirvol_plex_alloc(void)
{
	struct mirvol_plex *plex = kzalloc(sizeof(*plex), GFP_KERNEL);

	if (!plex)
		return NULL;
	plex->sb_page = alloc_page(GFP_KERNEL);
	if (!plex->sb_page) {
		kfree(plex);
		return NULL;
	}
	kref_init(&plex->ref);
	plex->data_offset = MIRVOL_DATA_OFFSET_SECTORS;
	plex->state = MIRVOL_PLEX_NONE;
	atomic_set(&plex->nr_pending, 0);
	atomic64_set(&plex->corrected_read_errors, 0);
	atomic64_set(&plex->write_errors, 0);
	return plex;
}

/**
 * mirvol_plex_open - claim a device for a plex
 * @plex: a plex without a device
 * @devt: the device
 *
 * Return: MIRVOL_R_NONE, or why not (DEVICE_BUSY when another holder has
 * it, INCOMPATIBLE_DEVICE for a zoned device, READ_ONLY_DEVICE for one
 * marked read-only, ...).
 */
enum mirvol_reason mirvol_plex_open(struct mirvol_plex *plex, dev_t devt)
{
	struct file *file;

	file = bdev_file_open_by_dev(devt, BLK_OPEN_READ | BLK_OPEN_WRITE,
				     plex, &mirvol_holder_ops);
	if (IS_ERR(file))
		return mirvol_errno_reason(PTR_ERR(file));
	if (bdev_is_zoned(file_bdev(file))) {
		bdev_fput(file);
		return MIRVOL_R_INCOMPATIBLE_DEVICE;
	}
	/*
	 * Opening by number does not check it (opening by path does):
	 * a device marked read-only would get superblocks and data.
	 */
	if (bdev_read_only(file_bdev(file))) {
		bdev_fput(file);
		return MIRVOL_R_READ_ONLY_DEVICE;
	}
	plex->bdev_file = file;
	plex->bdev = file_bdev(file);
	plex->devt = devt;
	plex->dev_sectors = bdev_nr_sectors(plex->bdev);
	/*
	 * From here on the device is written by bios that bypass its page
	 * cache.  Dirty pages of an earlier buffered write would be written
	 * back over the plex's data later, and clean ones (a probe by blkid
	 * or mirvolctl) would show its old contents to readers: write the
	 * first back now and drop both.
	 */
	sync_blockdev(plex->bdev);
	invalidate_bdev(plex->bdev);
	return MIRVOL_R_NONE;
}

/**
 * mirvol_plex_close - give the plex's device back
 * @plex: the plex; no I/O in flight on it, no holder links left
 */
void mirvol_plex_close(struct mirvol_plex *plex)
{
	struct file *file = plex->bdev_file;

	if (!file)
		return;
	WARN_ON_ONCE(plex->linked);
	/* Pages read while it was a plex may be stale: not for the next user. */
	invalidate_bdev(file_bdev(file));
	plex->bdev_file = NULL;
	WRITE_ONCE(plex->bdev, NULL);
	bdev_fput(file);
}

void mirvol_plex_get(struct mirvol_plex *plex)
{
	kref_get(&plex->ref);
}

static void mirvol_plex_release(struct kref *ref)
{
	struct mirvol_plex *plex = container_of(ref, struct mirvol_plex, ref);

	WARN_ON_ONCE(plex->vol || plex->kobj);
	mirvol_plex_close(plex);
	__free_page(plex->sb_page);
	kfree(plex->md);
	kfree(plex);
}

/**
 * mirvol_plex_put - drop a reference; the last one frees the plex
 * @plex: the plex, in no slot any more when this is the last reference
 *
 * Context: process context (the device may be given back).
 */
void mirvol_plex_put(struct mirvol_plex *plex)
{
	kref_put(&plex->ref, mirvol_plex_release);
}

/**
 * mirvol_plex_link - show the plex under the volume's slaves/ and the
 *	volume under the device's holders/
 * @plex: a plex with a device, in a slot of the volume
 * @disk: the volume's gendisk, added
 *
 * Best effort: lsblk and udev read these links, I/O does not.  Its
 * allocations (the holder record, kernfs nodes) are made without I/O
 * reclaim all the same.  Never with the volume's I/O suspended: it takes
 * locks under which other tasks reclaim (mirvol_attach_plex_finish()).
 * Context: vol->lock held.
 */
void mirvol_plex_link(struct mirvol_plex *plex, struct gendisk *disk)
{
	unsigned int noio;
	int err;

	if (plex->linked || !plex->bdev)
		return;
	MIRVOL_KUNIT_HOOK(mirvol_kunit_alloc_hook, disk->private_data,
			  "holder link");
	noio = memalloc_noio_save();
	err = bd_link_disk_holder(plex->bdev, disk);
	memalloc_noio_restore(noio);
	if (err)
		pr_warn("mirvol: %s: no holder link to %pg: %d\n",
			disk->disk_name, plex->bdev, err);
	else
		plex->linked = true;
}

/**
 * mirvol_plex_unlink - undo mirvol_plex_link()
 * @plex: the plex
 * @disk: the gendisk it was linked to
 *
 * Frees, allocates nothing, but takes blk_holder_mutex, under which
 * other drivers allocate with I/O reclaim: best called with the
 * volume's I/O flowing (mirvol_release_dead()).
 * Context: vol->lock held.
 */
void mirvol_plex_unlink(struct mirvol_plex *plex, struct gendisk *disk)
{
	if (!plex->linked)
		return;
	MIRVOL_KUNIT_HOOK(mirvol_kunit_alloc_hook, disk->private_data,
			  "holder unlink");
	bd_unlink_disk_holder(plex->bdev, disk);
	plex->linked = false;
}

/*
 * A block device's holders/ directory, referenced, if its disk is live:
 * as bd_link_disk_holder() does, so that del_gendisk() cannot free it
 * under us.
 */
static struct kobject *mirvol_holder_dir(struct block_device *bdev)
{
	struct gendisk *disk = bdev->bd_disk;
	struct kobject *dir = NULL;

	mutex_lock(&disk->open_mutex);
	if (disk_live(disk) && bdev->bd_holder_dir)
		dir = kobject_get(bdev->bd_holder_dir);
	mutex_unlock(&disk->open_mutex);
	return dir;
}

/*
 * Is @name in the holders/ directory of a block device of @disk: the
 * whole disk or any of its partitions (up to 255 of them, numbers past
 * the disk's minors included), each pinned in turn?
 */
static bool mirvol_held_by_name(struct gendisk *disk, const char *name)
{
	struct block_device *part;
	struct kernfs_node *kn;
	struct kobject *dir;
	unsigned long idx = 0;
	bool found = false;

	while (!found) {
		rcu_read_lock();
		part = xa_find(&disk->part_tbl, &idx, ULONG_MAX, XA_PRESENT);
		while (part && !kobject_get_unless_zero(&part->bd_device.kobj))
			part = xa_find_after(&disk->part_tbl, &idx, ULONG_MAX,
					     XA_PRESENT);
		rcu_read_unlock();
		if (!part)
			break;
		dir = mirvol_holder_dir(part);
		if (dir) {
			kn = kernfs_find_and_get(dir->sd, name);
			found = kn != NULL;
			kernfs_put(kn);
			kobject_put(dir);
		}
		put_device(&part->bd_device);
		if (idx == ULONG_MAX)
			break;
		idx++;
	}
	return found;
}

/**
 * struct mirvol_stack_walk - state of mirvol_stacked_on()
 * @disks: disks found stacked on the bottom, referenced
 * @nr: entries in @disks
 * @added: a disk was added in this round
 * @top: the disk looked for
 * @found: @top is stacked on the bottom
 */
struct mirvol_stack_walk {
	struct gendisk *disks[32];
	unsigned int nr;
	bool added;
	struct gendisk *top;
	bool found;
};

static int mirvol_stack_visit(struct device *dev, void *data)
{
	struct mirvol_stack_walk *w = data;
	struct block_device *bdev = dev_to_bdev(dev);
	struct gendisk *disk = bdev->bd_disk;
	unsigned int i;

	if (bdev_is_partition(bdev))
		return 0;
	for (i = 0; i < w->nr; i++)
		if (w->disks[i] == disk)
			return 0;
	for (i = 0; i < w->nr; i++) {
		if (!mirvol_held_by_name(w->disks[i], disk->disk_name))
			continue;
		if (w->nr == ARRAY_SIZE(w->disks)) {
			/* Too many to follow: taken as stacked. */
			w->found = true;
			return 1;
		}
		get_device(disk_to_dev(disk));
		w->disks[w->nr++] = disk;
		w->added = true;
		if (disk == w->top) {
			w->found = true;
			return 1;
		}
		return 0;
	}
	return 0;
}

/**
 * mirvol_stacked_on - does a disk sit, through holder links, on another
 * @top: a candidate plex's disk
 * @bottom: the volume's disk
 *
 * Follows the holders/ links that stacking drivers (dm, md, mirvol)
 * create, from @bottom up, over every block device of the system, until
 * nothing new is found.  A device that is stacked on the volume would
 * send the volume's writes back into the volume.  (A loop device creates
 * no such link; mirvolctl checks loop devices' backing files.)
 *
 * Context: process context, no volume lock of another volume held.
 * Return: true when @top is @bottom or stacked on it, or when that
 * cannot be told (no memory, more than 32 disks stacked on @bottom): a
 * device is refused rather than let a loop be built.
 */
bool mirvol_stacked_on(struct gendisk *top, struct gendisk *bottom)
{
	struct mirvol_stack_walk *w;
	bool found;
	unsigned int i;

	if (top == bottom)
		return true;
	w = kzalloc(sizeof(*w), GFP_KERNEL);
	if (!w)
		return true;	/* not known: refused, never looped */
	get_device(disk_to_dev(bottom));
	w->disks[w->nr++] = bottom;
	w->top = top;
	do {
		w->added = false;
		class_for_each_device(disk_to_dev(bottom)->class, NULL, w,
				      mirvol_stack_visit);
	} while (w->added && !w->found);
	found = w->found;
	for (i = 0; i < w->nr; i++)
		put_device(disk_to_dev(w->disks[i]));
	kfree(w);
	return found;
}
