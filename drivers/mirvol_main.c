// SPDX-License-Identifier: GPL-2.0
/*
 * mirvol: mirrored block volumes.
 *
 * A volume (/dev/mirvolN) mirrors its data over 1 to MIRVOL_MAX_PLEXES
 * plexes, other block devices that each carry a superblock and a full
 * copy.  Volumes are created, assembled, reshaped (add-plex, break-plex,
 * remove-plex) and removed through /dev/mirvol-control; see
 * Documentation/ for the administrator's and the developer's view.
 *
 * This file holds the module's global state and parameters.
 *
 * Copyright (C) 2026 The mirvol authors
 */
#include <linux/delay.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/reboot.h>
#include <linux/slab.h>
#include <linux/wait_bit.h>

#include "mirvol_core.h"

/*
 * The registry: mirvol_mutex protects mirvol_volumes, the uniqueness of
 * names and UUIDs, and (with the volume's state_lock) every name.  It is
 * never held across I/O, a device open or add_disk(): every section
 * below is a list walk.
 */
static DEFINE_MUTEX(mirvol_mutex);
static LIST_HEAD(mirvol_volumes);
/* Superblock updates, retries, releases: in the I/O completion path. */
/*
 * Two reclaim queues, because works on one depend on works on the other
 * and a WQ_MEM_RECLAIM queue under memory pressure runs one item at a
 * time on its rescuer (Documentation/core-api/workqueue.rst):
 * mirvol_io_wq runs what I/O in flight needs in order to end (a volume's
 * worker, the bitmap's set and clear works, read retries), mirvol_wq what
 * waits for I/O to drain or for a volume's lock (releasing gone devices,
 * safe mode, read repair).  Nothing on mirvol_io_wq waits for either.
 */
struct workqueue_struct *mirvol_wq;
struct workqueue_struct *mirvol_io_wq;
/* Long-running configuration operations (resync, break, ...). */
struct workqueue_struct *mirvol_op_wq;
int mirvol_major;

unsigned int mirvol_sync_speed_min = 1000;
module_param_named(sync_speed_min, mirvol_sync_speed_min, uint, 0644);
MODULE_PARM_DESC(sync_speed_min,
		 "Default resync speed floor in KiB/s, kept even under foreground I/O (1000)");

unsigned int mirvol_sync_speed_max = 200000;
module_param_named(sync_speed_max, mirvol_sync_speed_max, uint, 0644);
MODULE_PARM_DESC(sync_speed_max,
		 "Default resync speed ceiling in KiB/s (200000)");

unsigned int mirvol_safe_mode_delay_ms = 1000;
module_param_named(safe_mode_delay_ms, mirvol_safe_mode_delay_ms, uint, 0644);
MODULE_PARM_DESC(safe_mode_delay_ms,
		 "Idle time after the last write before a volume is marked clean on disk (1000)");

unsigned int mirvol_bitmap_dirty_max = MIRVOL_BM_DIRTY_MAX_DEFAULT;
module_param_named(bitmap_dirty_max, mirvol_bitmap_dirty_max, uint, 0644);
MODULE_PARM_DESC(bitmap_dirty_max,
		 "Default bitmap budget: while writes go on, idle regions are cleared only when more than this many are dirty; 0 clears every idle region (4096)");

static unsigned int mirvol_race_delay_ms;
module_param_named(race_delay_ms, mirvol_race_delay_ms, uint, 0644);
MODULE_PARM_DESC(race_delay_ms,
		 "Testing aid: sleep this long where operations run with their locks dropped, so that races with them can be tested (0)");

/**
 * mirvol_race_window - widen a window where an operation holds no lock
 *
 * Does nothing unless the race_delay_ms parameter is set (race tests).
 */
void mirvol_race_window(void)
{
	unsigned int ms = READ_ONCE(mirvol_race_delay_ms);

	if (ms)
		msleep(ms);
}

unsigned int mirvol_max_read_errors = 20;
module_param_named(max_read_errors, mirvol_max_read_errors, uint, 0644);
MODULE_PARM_DESC(max_read_errors,
		 "Read errors after which a plex is failed (20)");

/* Volumes with the same name as @name, other than @except; mutex held. */
static struct mirvol_volume *mirvol_find_name(const char *name,
					      const struct mirvol_volume *except)
{
	struct mirvol_volume *vol;

	lockdep_assert_held(&mirvol_mutex);
	list_for_each_entry(vol, &mirvol_volumes, node)
		if (vol != except && !strcmp(vol->name, name))
			return vol;
	return NULL;
}

static struct mirvol_volume *mirvol_find_uuid(const u8 *uuid)
{
	struct mirvol_volume *vol;

	lockdep_assert_held(&mirvol_mutex);
	list_for_each_entry(vol, &mirvol_volumes, node)
		if (!memcmp(&vol->uuid, uuid, MIRVOL_UUID_LEN))
			return vol;
	return NULL;
}

/**
 * mirvol_register - list a volume, its name and UUID unique
 * @vol: the volume, not listed
 * @hidden: not seen by lookups and LIST until mirvol_unhide() (being
 *	created), but its name and UUID are taken
 * @existing: if not NULL and a volume with @vol's UUID is listed, it is
 *	returned here with a reference, and @vol is not listed
 *
 * The registry takes its own reference on @vol.
 *
 * Return: MIRVOL_R_NONE, NAME_EXISTS, or OBJECT_DELETED when a volume
 * with the UUID exists and @existing is NULL.
 */
enum mirvol_reason mirvol_register(struct mirvol_volume *vol, bool hidden,
				   struct mirvol_volume **existing)
{
	struct mirvol_volume *old;
	enum mirvol_reason reason = MIRVOL_R_NONE;

	mutex_lock(&mirvol_mutex);
	old = mirvol_find_uuid(vol->uuid.b);
	if (old) {
		if (existing) {
			mirvol_volume_get(old);
			*existing = old;
		} else {
			reason = MIRVOL_R_OBJECT_DELETED;
		}
	} else if (mirvol_find_name(vol->name, NULL)) {
		reason = MIRVOL_R_NAME_EXISTS;
	} else {
		if (hidden)
			set_bit(MIRVOL_VOL_HIDDEN, &vol->flags);
		mirvol_volume_get(vol);
		list_add_tail(&vol->node, &mirvol_volumes);
	}
	mutex_unlock(&mirvol_mutex);
	return reason;
}

/**
 * mirvol_unregister - unlist a volume; its name and UUID are free again
 * @vol: the volume, listed
 *
 * Drops the registry's reference.
 */
void mirvol_unregister(struct mirvol_volume *vol)
{
	mutex_lock(&mirvol_mutex);
	list_del_init(&vol->node);
	mutex_unlock(&mirvol_mutex);
	/* Pairs with the barrier in wait_var_event()'s prepare_to_wait. */
	smp_mb();
	wake_up_var(&vol->node);
	mirvol_volume_put(vol);
}

/**
 * mirvol_wait_unlisted - wait until a dying volume is unlisted
 * @vol: the volume, MIRVOL_VOL_DEAD set; the caller holds a reference
 *
 * Once it returns 0, a lookup of @vol's UUID no longer finds @vol and
 * its devices are given back (mirvol_volume_destroy()).
 *
 * Context: no lock held; sleeps.
 * Return: 0, or -EINTR on a fatal signal.
 */
int mirvol_wait_unlisted(struct mirvol_volume *vol)
{
	return wait_var_event_killable(&vol->node,
				       list_empty_careful(&vol->node)) ?
	       -EINTR : 0;
}

/**
 * mirvol_unhide - let lookups and LIST see a volume created hidden
 * @vol: the volume
 */
void mirvol_unhide(struct mirvol_volume *vol)
{
	clear_bit(MIRVOL_VOL_HIDDEN, &vol->flags);
}

/**
 * mirvol_rename - give a listed volume a new name, unique
 * @vol: the volume
 * @name: a valid name
 *
 * Return: MIRVOL_R_NONE or NAME_EXISTS.
 */
enum mirvol_reason mirvol_rename(struct mirvol_volume *vol, const char *name)
{
	enum mirvol_reason reason = MIRVOL_R_NONE;
	unsigned long flags;

	mutex_lock(&mirvol_mutex);
	if (mirvol_find_name(name, vol)) {
		reason = MIRVOL_R_NAME_EXISTS;
	} else {
		/*
		 * Padded: superblocks carry the whole field, and one whose
		 * name has bytes after its NUL is invalid (a shorter name
		 * over a longer one would leave some).
		 */
		spin_lock_irqsave(&vol->state_lock, flags);
		strscpy_pad(vol->name, name, sizeof(vol->name));
		spin_unlock_irqrestore(&vol->state_lock, flags);
	}
	mutex_unlock(&mirvol_mutex);
	return reason;
}

/**
 * mirvol_lookup - find a volume by UUID and take a reference
 * @uuid: MIRVOL_UUID_LEN bytes
 *
 * Volumes being created are not found; volumes being removed are (the
 * caller checks MIRVOL_VOL_DEAD under volume->lock).
 *
 * Return: the volume with a reference the caller must put, or NULL.
 */
struct mirvol_volume *mirvol_lookup(const u8 *uuid)
{
	struct mirvol_volume *vol;

	mutex_lock(&mirvol_mutex);
	vol = mirvol_find_uuid(uuid);
	if (vol && test_bit(MIRVOL_VOL_HIDDEN, &vol->flags))
		vol = NULL;
	if (vol)
		mirvol_volume_get(vol);
	mutex_unlock(&mirvol_mutex);
	return vol;
}

/**
 * mirvol_list - the UUIDs of the listed volumes, in registration order
 * @uuids: room for @capacity UUIDs, or NULL
 * @capacity: how many fit
 *
 * Return: how many volumes there are (may exceed @capacity).
 */
unsigned int mirvol_list(u8 *uuids, unsigned int capacity)
{
	struct mirvol_volume *vol;
	unsigned int n = 0;

	mutex_lock(&mirvol_mutex);
	list_for_each_entry(vol, &mirvol_volumes, node) {
		if (test_bit(MIRVOL_VOL_HIDDEN, &vol->flags))
			continue;
		if (uuids && n < capacity)
			memcpy(uuids + n * MIRVOL_UUID_LEN, &vol->uuid,
			       MIRVOL_UUID_LEN);
		n++;
	}
	mutex_unlock(&mirvol_mutex);
	return n;
}

/**
 * mirvol_find_devt - the plex of any listed volume that holds a device
 * @devt: the device
 * @volp: out: its volume, with a reference
 *
 * Each volume's plex array is read under its state_lock.
 *
 * Return: the plex with a reference, or NULL.
 */
struct mirvol_plex *mirvol_find_devt(dev_t devt, struct mirvol_volume **volp)
{
	struct mirvol_plex *found = NULL;
	struct mirvol_volume *vol;
	unsigned long flags;
	unsigned int i;

	mutex_lock(&mirvol_mutex);
	list_for_each_entry(vol, &mirvol_volumes, node) {
		spin_lock_irqsave(&vol->state_lock, flags);
		for (i = 0; i < MIRVOL_MAX_PLEXES && !found; i++) {
			struct mirvol_plex *plex = vol->plexes[i];

			if (plex && READ_ONCE(plex->bdev) && plex->devt == devt) {
				mirvol_plex_get(plex);
				mirvol_volume_get(vol);
				*volp = vol;
				found = plex;
			}
		}
		spin_unlock_irqrestore(&vol->state_lock, flags);
		if (found)
			break;
	}
	mutex_unlock(&mirvol_mutex);
	return found;
}

/**
 * mirvol_visit_volumes - call a function for every listed volume
 * @fn: called with a reference held and no lock
 *
 * In vol->seq order, one at a time, the next found again
 * under mirvol_mutex: the list may change while @fn runs, and nothing is
 * allocated, so that no volume is skipped for want of memory (the
 * release of a dead device, the clean mark at reboot).  A volume listed
 * meanwhile is visited too.
 */
void mirvol_visit_volumes(mirvol_volume_fn fn)
{
	struct mirvol_volume *vol, *next;
	u64 last = 0;

	for (;;) {
		next = NULL;
		mutex_lock(&mirvol_mutex);
		list_for_each_entry(vol, &mirvol_volumes, node)
			if (vol->seq > last && (!next || vol->seq < next->seq))
				next = vol;
		if (next)
			mirvol_volume_get(next);
		mutex_unlock(&mirvol_mutex);
		if (!next)
			return;
		last = next->seq;
		fn(next);
		mirvol_volume_put(next);
	}
}

/*
 * On shutdown or reboot, mark every started volume clean so the next boot
 * does not resync it, as md does.  I/O still in flight after this point
 * marks the volume dirty again.
 *
 * The safe mode work runs twice, at once: the first run takes the write
 * count (and re-arms when safe mode is on), the second marks the volume
 * clean when no write came in between, whatever the safe mode delay (0
 * included, as md's reboot notifier stops writes whatever its delay).
 * The work is queued only under vol->lock, with the volume started and
 * not dead: a teardown sets MIRVOL_VOL_DEAD under vol->lock before it
 * cancels the work, so the work cannot run after the teardown put the
 * gendisk.
 */
MIRVOL_VISIBLE_IF_KUNIT void mirvol_reboot_one(struct mirvol_volume *vol)
{
	unsigned int i;

	for (i = 0; i < 2; i++) {
		mutex_lock(&vol->lock);
		if (!test_bit(MIRVOL_VOL_STARTED, &vol->flags) ||
		    test_bit(MIRVOL_VOL_DEAD, &vol->flags)) {
			mutex_unlock(&vol->lock);
			return;
		}
		if (!i)
			MIRVOL_KUNIT_HOOK(mirvol_kunit_reboot_hook, vol);
		mod_delayed_work(mirvol_wq, &vol->safe_mode_work, 0);
		mutex_unlock(&vol->lock);
		flush_delayed_work(&vol->safe_mode_work);
	}
}

static int mirvol_reboot(struct notifier_block *nb, unsigned long code,
			 void *unused)
{
	mirvol_visit_volumes(mirvol_reboot_one);
	return NOTIFY_DONE;
}

static struct notifier_block mirvol_reboot_nb = {
	.notifier_call = mirvol_reboot,
};

static int __init mirvol_init(void)
{
	int err;

	mirvol_wq = alloc_workqueue("mirvol", WQ_MEM_RECLAIM | WQ_UNBOUND, 0);
	if (!mirvol_wq)
		return -ENOMEM;
	mirvol_io_wq = alloc_workqueue("mirvol_io",
				       WQ_MEM_RECLAIM | WQ_UNBOUND, 0);
	if (!mirvol_io_wq) {
		err = -ENOMEM;
		goto out_wq;
	}
	mirvol_op_wq = alloc_workqueue("mirvol_op", WQ_UNBOUND, 0);
	if (!mirvol_op_wq) {
		err = -ENOMEM;
		goto out_io_wq;
	}
	mirvol_major = register_blkdev(0, "mirvol");
	if (mirvol_major < 0) {
		err = mirvol_major;
		goto out_io;
	}
	err = mirvol_ctl_init();
	if (err)
		goto out_blkdev;
	register_reboot_notifier(&mirvol_reboot_nb);
	pr_info("mirvol: mirrored block volumes, ABI %u.%u, major %d\n",
		MIRVOL_ABI_MAJOR, MIRVOL_ABI_MINOR, mirvol_major);
	return 0;

out_blkdev:
	unregister_blkdev(mirvol_major, "mirvol");
out_io:
	destroy_workqueue(mirvol_op_wq);
out_io_wq:
	destroy_workqueue(mirvol_io_wq);
out_wq:
	destroy_workqueue(mirvol_wq);
	return err;
}

/*
 * Every volume holds a reference on the module, so no volume exists here.
 */
static void __exit mirvol_exit(void)
{
	unregister_reboot_notifier(&mirvol_reboot_nb);
	mirvol_ctl_exit();
	flush_workqueue(mirvol_wq);
	flush_workqueue(mirvol_io_wq);
	mirvol_ops_exit();
	unregister_blkdev(mirvol_major, "mirvol");
	destroy_workqueue(mirvol_op_wq);
	destroy_workqueue(mirvol_io_wq);
	destroy_workqueue(mirvol_wq);
}

module_init(mirvol_init);
module_exit(mirvol_exit);

MODULE_DESCRIPTION("mirvol: mirrored block volumes");
MODULE_AUTHOR("The mirvol authors");
MODULE_LICENSE("GPL");
MODULE_SOFTDEP("pre: crc32c");
