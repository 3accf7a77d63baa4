// SPDX-License-Identifier: GPL-2.0
/*
 * mirvol volumes and plexes: life cycle, gendisk, queue limits, states,
 * suspend/resume and the per-volume worker.
 *
 * A volume's creation reads like brd's: queue limits (stacked from the
 * plexes) -> blk_alloc_disk -> fill the disk -> set_capacity -> add_disk,
 * unwinding in reverse order on error.  Its teardown reverses it.
 *
 * Copyright (C) 2026 The mirvol authors
 */
#include <linux/blkdev.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/idr.h>
#include <linux/module.h>
#include <linux/part_stat.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>

#include "mirvol_core.h"

static DEFINE_IDA(mirvol_ida);
/* Creation order of volumes: the order of their locks. */
static atomic64_t mirvol_seq = ATOMIC64_INIT(0);

static void mirvol_dead_work_fn(struct work_struct *work);
/* Gives back the devices that went away (mirvol_plex_mark_dead()). */
static DECLARE_WORK(mirvol_dead_work, mirvol_dead_work_fn);

static void mirvol_io_ref_release(struct percpu_ref *ref)
{
	struct mirvol_volume *vol = container_of(ref, struct mirvol_volume,
						 io_ref);

	wake_up_all(&vol->wait);
}

static void mirvol_safe_mode_work(struct work_struct *work);

/**
 * mirvol_volume_alloc - allocate a volume with no plexes and no disk
 * @name: a valid name
 * @uuid: the volume's UUID, or NULL to generate one
 *
 * Return: the volume with one reference, or NULL.
 */
struct mirvol_volume *mirvol_volume_alloc(const char *name, const uuid_t *uuid)
{
	struct mirvol_volume *vol;

	vol = kzalloc(sizeof(*vol), GFP_KERNEL);
	if (!vol)
		return NULL;
	kref_init(&vol->ref);
	INIT_LIST_HEAD(&vol->node);
	vol->seq = atomic64_inc_return(&mirvol_seq);
	if (uuid)
		uuid_copy(&vol->uuid, uuid);
	else
		uuid_gen(&vol->uuid);
	strscpy(vol->name, name, sizeof(vol->name));
	vol->id = -1;
	vol->resync_source = -1;
	vol->sb_plexes = GENMASK(MIRVOL_MAX_PLEXES - 1, 0);
	vol->ctime = ktime_get_real_seconds();
	mutex_init(&vol->lock);
	mutex_init(&vol->sb_mutex);
	spin_lock_init(&vol->state_lock);
	spin_lock_init(&vol->speed_lock);
	vol->state = MIRVOL_VOLUME_OFFLINE;
	init_waitqueue_head(&vol->wait);
	INIT_LIST_HEAD(&vol->deferred);
	INIT_WORK(&vol->worker, mirvol_volume_worker);
	INIT_WORK(&vol->retry_work, mirvol_read_retry_work);
	INIT_WORK(&vol->repair_work, mirvol_repair_work);
	INIT_LIST_HEAD(&vol->repairs);
	INIT_DELAYED_WORK(&vol->safe_mode_work, mirvol_safe_mode_work);
	bio_list_init(&vol->retry_list);
	vol->safe_mode_delay_ms = mirvol_safe_mode_delay_ms;
	vol->sync_speed_min = mirvol_sync_speed_min;
	vol->sync_speed_max = mirvol_sync_speed_max;
	vol->bitmap_dirty_max = mirvol_bitmap_dirty_max;

	/* Killed and resurrected by every suspend/resume. */
	if (percpu_ref_init(&vol->io_ref, mirvol_io_ref_release,
			    PERCPU_REF_ALLOW_REINIT, GFP_KERNEL))
		goto out_free;
	if (mirvol_barrier_init(&vol->barrier))
		goto out_ref;
	/*
	 * Reserves (see mirvol_core.h): a write holds a clone per plex and
	 * one mirvol_io, a split one split bio; 64 lets several writers
	 * make progress together.
	 */
	if (bioset_init(&vol->bs, 64, offsetof(struct mirvol_clone, bio),
			BIOSET_NEED_RESCUER | BIOSET_PERCPU_CACHE))
		goto out_barrier;
	if (bioset_init(&vol->split_bs, 16, 0, BIOSET_NEED_RESCUER))
		goto out_bs;
	if (bioset_init(&vol->sync_bs, MIRVOL_SYNC_MAX_BIOS, 0,
			BIOSET_NEED_BVECS))
		goto out_split;
	if (bioset_init(&vol->repair_bs, MIRVOL_REPAIR_MAX_BIOS, 0,
			BIOSET_NEED_BVECS))
		goto out_sync;
	if (bioset_init(&vol->meta_bs, MIRVOL_META_MAX_BIOS, 0,
			BIOSET_NEED_BVECS))
		goto out_repair;
	if (mempool_init_kmalloc_pool(&vol->io_pool, 64,
				      sizeof(struct mirvol_io)))
		goto out_meta;
	__module_get(THIS_MODULE);
	return vol;

out_meta:
	bioset_exit(&vol->meta_bs);
out_repair:
	bioset_exit(&vol->repair_bs);
out_sync:
	bioset_exit(&vol->sync_bs);
out_split:
	bioset_exit(&vol->split_bs);
out_bs:
	bioset_exit(&vol->bs);
out_barrier:
	mirvol_barrier_exit(&vol->barrier);
out_ref:
	percpu_ref_exit(&vol->io_ref);
out_free:
	kfree(vol);
	return NULL;
}

static void mirvol_volume_quiesce(struct mirvol_volume *vol);

static void mirvol_volume_release(struct kref *ref)
{
	struct mirvol_volume *vol = container_of(ref, struct mirvol_volume,
						 ref);
	unsigned int i;

	/*
	 * Teardown quiesced it already; a volume that never got that far
	 * (creation failed) may still have a state uevent queued.  Never
	 * called from the volume's own works: they hold no reference.
	 */
	mirvol_volume_quiesce(vol);
	/* Plexes of a volume that never started (creation, assembly). */
	for (i = 0; i < MIRVOL_MAX_PLEXES; i++) {
		struct mirvol_plex *plex = vol->plexes[i];

		if (!plex)
			continue;
		vol->plexes[i] = NULL;
		plex->vol = NULL;
		mirvol_sysfs_del_plex(plex);
		mirvol_plex_put(plex);
	}
	vol->nr_slots = 0;
	mirvol_bitmap_destroy(vol->bitmap);
	mempool_exit(&vol->io_pool);
	bioset_exit(&vol->meta_bs);
	bioset_exit(&vol->repair_bs);
	bioset_exit(&vol->sync_bs);
	bioset_exit(&vol->split_bs);
	bioset_exit(&vol->bs);
	mirvol_barrier_exit(&vol->barrier);
	percpu_ref_exit(&vol->io_ref);
	kfree(vol);
	/*
	 * Last: what runs of this module after it are the returns to the
	 * caller, and every caller that may put the last reference runs
	 * where the module stays loaded all the same: an ioctl or an open
	 * file of the control device (whose .owner pins it), a work on
	 * one of the module's workqueues (mirvol_exit() destroys them, which
	 * waits for a running work), the reboot notifier (unregistered
	 * first), sysfs (the volume's directory goes, waiting for its
	 * readers, before its last reference).  But for free_disk: the
	 * block layer calls it once it dropped the reference it took at
	 * open (bdev_release()), so there only the two returns run unpinned;
	 * no deferral here would close that window.
	 */
	module_put(THIS_MODULE);
}

void mirvol_volume_get(struct mirvol_volume *vol)
{
	kref_get(&vol->ref);
}

void mirvol_volume_put(struct mirvol_volume *vol)
{
	kref_put(&vol->ref, mirvol_volume_release);
}

/**
 * mirvol_lock_two - lock two volumes (or one, if @b is NULL or @a)
 * @a: a volume
 * @b: another, or NULL
 *
 * In creation order, whichever comes first, so that two callers locking
 * the same pair never deadlock.
 */
void mirvol_lock_two(struct mirvol_volume *a, struct mirvol_volume *b)
{
	if (!b || b == a) {
		mutex_lock(&a->lock);
		return;
	}
	if (a->seq > b->seq)
		swap(a, b);
	mutex_lock(&a->lock);
	mutex_lock_nested(&b->lock, SINGLE_DEPTH_NESTING);
}

void mirvol_unlock_two(struct mirvol_volume *a, struct mirvol_volume *b)
{
	if (b && b != a)
		mutex_unlock(&b->lock);
	mutex_unlock(&a->lock);
}

static const struct block_device_operations mirvol_fops;

/**
 * mirvol_check_device - is this file a block device that can be a plex
 * @file: a file passed by user space
 * @devt: out: its device number
 *
 * Return: MIRVOL_R_NONE, NOT_BLOCK_DEVICE, or INVALID_OPERATION for a
 * mirvol volume or a partition of one (add-plex --from-volume takes a
 * volume's plexes).
 */
enum mirvol_reason mirvol_check_device(struct file *file, dev_t *devt)
{
	struct inode *inode = file_inode(file);

	if (!S_ISBLK(inode->i_mode))
		return MIRVOL_R_NOT_BLOCK_DEVICE;
	*devt = inode->i_rdev;
	/*
	 * The volume or a partition of it: by its disk, for partitions
	 * 16 and up have the kernel's extended major, not mirvol's.
	 */
	if (file_bdev(file)->bd_disk->fops == &mirvol_fops)
		return MIRVOL_R_INVALID_OPERATION;
	return MIRVOL_R_NONE;
}

/**
 * mirvol_check_member - may this opened plex hold the volume's data
 * @vol: the volume, its size set
 * @plex: the plex, its device open and data offset set
 *
 * Its device must hold the metadata and at least the volume's size after
 * it (a device smaller than the metadata area must not wrap around), room
 * for the volume's bitmap before its data (a member made by another tool
 * may start its data earlier than mirvol does), its logical blocks must
 * be no larger than the volume's, and it must not be stacked on the
 * volume itself (writes would loop).
 *
 * Context: vol->lock held.
 * Return: MIRVOL_R_NONE or why not.
 */
enum mirvol_reason mirvol_check_member(struct mirvol_volume *vol,
				       struct mirvol_plex *plex)
{
	if (plex->dev_sectors < plex->data_offset + MIRVOL_MIN_DATA_SECTORS)
		return MIRVOL_R_DEVICE_TOO_SMALL;
	if (plex->dev_sectors - plex->data_offset < vol->size)
		return MIRVOL_R_SOURCE_TOO_SMALL;
	if (vol->bitmap && !mirvol_bitmap_fits(vol->bitmap, plex->data_offset)) {
		pr_warn("mirvol: %s: %pg: its data starts at sector %llu, in the place of the volume's bitmap\n",
			vol->name, plex->bdev,
			(unsigned long long)plex->data_offset);
		return MIRVOL_R_INCOMPATIBLE_DEVICE;
	}
	if (!vol->disk)
		return MIRVOL_R_NONE;
	if (bdev_logical_block_size(plex->bdev) >
	    queue_logical_block_size(vol->disk->queue))
		return MIRVOL_R_INCOMPATIBLE_DEVICE;
	if (mirvol_stacked_on(plex->bdev->bd_disk, vol->disk))
		return MIRVOL_R_INVALID_OPERATION;
	return MIRVOL_R_NONE;
}

/**
 * mirvol_plex_find - a volume's plex by UUID
 * @vol: the volume
 * @uuid: MIRVOL_UUID_LEN bytes
 *
 * Context: vol->lock or vol->sb_mutex held.
 * Return: the plex or NULL.
 */
struct mirvol_plex *mirvol_plex_find(struct mirvol_volume *vol, const u8 *uuid)
{
	unsigned int i;

	for (i = 0; i < MIRVOL_MAX_PLEXES; i++)
		if (vol->plexes[i] &&
		    !memcmp(&vol->plexes[i]->uuid, uuid, MIRVOL_UUID_LEN))
			return vol->plexes[i];
	return NULL;
}

/**
 * mirvol_free_slot - a slot for a new plex
 * @vol: the volume; vol->lock and sb_mutex held, I/O suspended
 * @displaced: out: the missing plex taken out of the slot, with a
 *	reference for the caller (who may put it back: an add undone), or
 *	NULL; its plexN/ stays until mirvol_detach_plex_finish()
 *
 * The lowest slot of a missing plex, which is taken out: the new plex
 * takes its role, as md recovers into a missing member's slot and the
 * volume is whole again once it is in sync.  Else the lowest empty slot.
 *
 * Return: the slot, or -1 when the volume is full.
 */
int mirvol_free_slot(struct mirvol_volume *vol,
		     struct mirvol_plex **displaced)
{
	unsigned int i;

	*displaced = NULL;
	for (i = 0; i < MIRVOL_MAX_PLEXES; i++) {
		struct mirvol_plex *plex = vol->plexes[i];

		if (plex && plex->state == MIRVOL_PLEX_MISSING && !plex->bdev) {
			mirvol_plex_get(plex);
			mirvol_detach_plex_held(vol, plex);
			*displaced = plex;
			return i;
		}
	}
	for (i = 0; i < MIRVOL_MAX_PLEXES; i++)
		if (!vol->plexes[i])
			return i;
	return -1;
}

/* Recompute the volume state; state_lock held. */
static void __mirvol_update_state(struct mirvol_volume *vol)
{
	unsigned int states[MIRVOL_MAX_PLEXES];
	unsigned int i, n = 0;

	lockdep_assert_held(&vol->state_lock);
	if (!test_bit(MIRVOL_VOL_STARTED, &vol->flags)) {
		vol->state = MIRVOL_VOLUME_OFFLINE;
		return;
	}
	for (i = 0; i < MIRVOL_MAX_PLEXES; i++)
		if (vol->plexes[i])
			states[n++] = vol->plexes[i]->state;
	vol->state = mirvol_volume_state_of(states, n);
}

/**
 * mirvol_update_state - recompute the volume state from its plexes
 * @vol: the volume
 *
 * Queues a state uevent when it changed.
 */
void mirvol_update_state(struct mirvol_volume *vol)
{
	unsigned long flags;
	unsigned int old;

	spin_lock_irqsave(&vol->state_lock, flags);
	old = vol->state;
	__mirvol_update_state(vol);
	if (old != vol->state)
		set_bit(MIRVOL_EV_STATE, &vol->event_pending);
	spin_unlock_irqrestore(&vol->state_lock, flags);
	if (old != vol->state)
		queue_work(mirvol_io_wq, &vol->worker);
}

/* Change a plex's state; state_lock held.  An active plex has it all. */
static void __mirvol_set_plex_state(struct mirvol_plex *plex,
				    unsigned int state)
{
	lockdep_assert_held(&plex->vol->state_lock);
	WRITE_ONCE(plex->state, state);
	if (state == MIRVOL_PLEX_ACTIVE)
		WRITE_ONCE(plex->sync_offset, plex->vol->size);
}

/**
 * mirvol_set_plex_state - change a plex's state (process context)
 * @plex: the plex
 * @state: the new enum mirvol_plex_state
 *
 * Records that a superblock write is due; the caller writes it or
 * kicks the worker.
 */
void mirvol_set_plex_state(struct mirvol_plex *plex, unsigned int state)
{
	struct mirvol_volume *vol = plex->vol;
	unsigned long flags;

	spin_lock_irqsave(&vol->state_lock, flags);
	__mirvol_set_plex_state(plex, state);
	spin_unlock_irqrestore(&vol->state_lock, flags);
	mirvol_update_state(vol);
}

/**
 * mirvol_promote_plex - a resync target that reached the end is in sync
 * @plex: the plex
 *
 * Only if it is still syncing, with its checkpoint at the end, checked
 * under state_lock with the change: a write error may fail it at any
 * moment (mirvol_plex_error()), and a failed plex missed a write.
 *
 * Return: whether it was promoted.
 */
bool mirvol_promote_plex(struct mirvol_plex *plex)
{
	struct mirvol_volume *vol = plex->vol;
	unsigned long flags;
	bool promote;

	MIRVOL_KUNIT_HOOK(mirvol_kunit_promote_hook, plex);
	spin_lock_irqsave(&vol->state_lock, flags);
	promote = plex->state == MIRVOL_PLEX_SYNCING &&
		  READ_ONCE(plex->sync_offset) >= vol->size;
	if (promote)
		__mirvol_set_plex_state(plex, MIRVOL_PLEX_ACTIVE);
	spin_unlock_irqrestore(&vol->state_lock, flags);
	if (promote)
		mirvol_update_state(vol);
	return promote;
}

static bool mirvol_other_readable(struct mirvol_plex *plex);

/* Change a plex's state if allowed; state_lock held.  Returns whether. */
static bool __mirvol_plex_gone(struct mirvol_plex *plex, unsigned int state)
{
	struct mirvol_volume *vol = plex->vol;

	lockdep_assert_held(&vol->state_lock);
	/*
	 * Its device is going away (mirvol_plex_mark_dead()): the block
	 * layer fails the I/O to it from then on, a superblock write of
	 * the assembly starting the volume, a data write.  That is not a
	 * failed plex but a missing one, as when the device goes first.
	 */
	if (state == MIRVOL_PLEX_FAILED &&
	    test_bit(MIRVOL_PLEX_RELEASE, &plex->flags))
		state = MIRVOL_PLEX_MISSING;
	if (!mirvol_plex_transition_valid(plex->state, state))
		return false;
	/*
	 * A failed plex whose device goes stays failed (the device is
	 * released all the same): when it comes back, it is not taken
	 * back by itself, only by re-add.  An offline one stays offline
	 * likewise, until online: its device, when it comes back, is held
	 * offline, not resynced (mirvol_rejoin()).
	 */
	if ((plex->state == MIRVOL_PLEX_FAILED ||
	     plex->state == MIRVOL_PLEX_OFFLINE) &&
	    state == MIRVOL_PLEX_MISSING)
		return false;
	/* The superblocks keep calling the last in-sync plex in sync. */
	if (mirvol_state_readable(plex->state) && !mirvol_other_readable(plex))
		plex->last_in_sync = true;
	WRITE_ONCE(plex->state, state);
	__mirvol_update_state(vol);
	set_bit(MIRVOL_EV_STATE, &vol->event_pending);
	set_bit(MIRVOL_VOL_SB_REQ, &vol->flags);
	return true;
}

/* Report a change made by __mirvol_plex_gone() and have it recorded. */
static void mirvol_plex_gone_report(struct mirvol_plex *plex)
{
	struct mirvol_volume *vol = plex->vol;

	pr_warn("mirvol: %s: plex %u (%u:%u) %s, volume %s\n",
		vol->name, plex->index, MAJOR(plex->devt),
		MINOR(plex->devt),
		mirvol_plex_state_name(READ_ONCE(plex->state)),
		mirvol_volume_state_name(READ_ONCE(vol->state)));
	queue_work(mirvol_io_wq, &vol->worker);
}

/*
 * A plex stops taking I/O: it failed a write or its device went away.
 * Any context.  The worker records it on the other plexes and reports it.
 */
static void mirvol_plex_gone(struct mirvol_plex *plex, unsigned int state)
{
	struct mirvol_volume *vol = READ_ONCE(plex->vol);
	unsigned long flags;
	bool changed = false;

	if (!vol)
		return;
	spin_lock_irqsave(&vol->state_lock, flags);
	if (plex->vol == vol)
		changed = __mirvol_plex_gone(plex, state);
	spin_unlock_irqrestore(&vol->state_lock, flags);
	if (changed)
		mirvol_plex_gone_report(plex);
}

/* Another in-sync plex with a device than @plex?  state_lock held. */
static bool mirvol_other_readable(struct mirvol_plex *plex)
{
	struct mirvol_volume *vol = plex->vol;
	unsigned int i;

	for (i = 0; i < MIRVOL_MAX_PLEXES; i++) {
		struct mirvol_plex *other = vol->plexes[i];

		if (other && other != plex && READ_ONCE(other->bdev) &&
		    mirvol_state_readable(other->state))
			return true;
	}
	return false;
}

/*
 * An uncorrected read error: count it (decayed, as md does) and fail the
 * plex at mirvol_max_read_errors, unless it is the last in-sync plex:
 * failing that one would turn an unreadable sector into an unreadable
 * volume, so the affected reads get the error and the plex stays.
 */
static void mirvol_plex_read_error(struct mirvol_plex *plex)
{
	struct mirvol_volume *vol = READ_ONCE(plex->vol);
	time64_t now = ktime_get_seconds();
	bool changed = false, kept = false;
	unsigned long flags;
	unsigned int n;

	if (!vol)
		return;
	spin_lock_irqsave(&vol->state_lock, flags);
	n = mirvol_read_errors_decay(plex->read_errors,
				     plex->read_error_time, now) + 1;
	plex->read_errors = n;
	plex->read_error_time = now;
	if (n >= READ_ONCE(mirvol_max_read_errors) && plex->vol == vol &&
	    mirvol_state_readable(plex->state)) {
		if (mirvol_other_readable(plex))
			changed = __mirvol_plex_gone(plex, MIRVOL_PLEX_FAILED);
		else
			kept = true;
	}
	spin_unlock_irqrestore(&vol->state_lock, flags);
	if (changed)
		mirvol_plex_gone_report(plex);
	if (kept)
		pr_warn_ratelimited("mirvol: %s: plex %u has %u uncorrected read errors; kept: it is the last in-sync plex\n",
				    vol->name, plex->index, n);
}

/**
 * mirvol_plex_error - an I/O to a plex failed
 * @plex: the plex
 * @write: it was a write (or flush, discard, write-zeroes)
 *
 * A failed write fails the plex at once: it no longer holds the data.  A
 * read error counts only once it is known uncorrected (no other plex
 * could serve the read, or rewriting the good copy did not fix it); see
 * mirvol_plex_read_error().  Any context.
 */
void mirvol_plex_error(struct mirvol_plex *plex, bool write)
{
	struct mirvol_volume *vol = READ_ONCE(plex->vol);
	unsigned long flags;
	bool changed = false;

	if (!write) {
		mirvol_plex_read_error(plex);
		return;
	}
	atomic64_inc(&plex->write_errors);
	if (!vol)
		return;
	/*
	 * As md: never the last in-sync plex.  A data write that failed
	 * gets the error (no in-sync plex took it); a superblock or bitmap
	 * write has its own rules (design.rst); reads go on.
	 */
	spin_lock_irqsave(&vol->state_lock, flags);
	if (plex->vol == vol && (!mirvol_state_readable(plex->state) ||
				 mirvol_other_readable(plex)))
		changed = __mirvol_plex_gone(plex, MIRVOL_PLEX_FAILED);
	spin_unlock_irqrestore(&vol->state_lock, flags);
	if (changed)
		mirvol_plex_gone_report(plex);
	else if (mirvol_state_readable(READ_ONCE(plex->state)))
		pr_warn_ratelimited("mirvol: %s: write error on plex %u, the last in-sync plex: kept\n",
				    vol->name, plex->index);
}

/**
 * mirvol_plex_read_corrected - a read error of the plex was repaired
 * @plex: the plex; the good copy was rewritten over it and read back
 */
void mirvol_plex_read_corrected(struct mirvol_plex *plex)
{
	atomic64_inc(&plex->corrected_read_errors);
}

/**
 * mirvol_plex_read_errors - a plex's uncorrected read errors, decayed
 * @plex: the plex
 *
 * Return: the count as it stands now.
 */
unsigned int mirvol_plex_read_errors(struct mirvol_plex *plex)
{
	struct mirvol_volume *vol = READ_ONCE(plex->vol);
	time64_t now = ktime_get_seconds();
	unsigned long flags;
	unsigned int n;

	/* A plex in no volume is not counting errors any more. */
	if (!vol)
		return mirvol_read_errors_decay(plex->read_errors,
						plex->read_error_time, now);
	spin_lock_irqsave(&vol->state_lock, flags);
	n = mirvol_read_errors_decay(plex->read_errors, plex->read_error_time,
				     now);
	spin_unlock_irqrestore(&vol->state_lock, flags);
	return n;
}

/**
 * mirvol_plex_mark_dead - a plex's device is going away (unplugged, deleted)
 * @bdev: the device, claimed by a plex
 * @surprise: it is already gone
 *
 * Called by the block layer with bd_holder_lock held, which we must drop.
 * The claim, and so the plex, cannot go away while we hold it; its
 * volume can (a plex moving between volumes), so we touch only the plex
 * and leave the rest to mirvol_dead_work, which finds it through the
 * registry.  A plex in no volume is seen when it is attached.
 */
void mirvol_plex_mark_dead(struct block_device *bdev, bool surprise)
{
	struct mirvol_plex *plex = bdev->bd_holder;

	set_bit(MIRVOL_PLEX_RELEASE, &plex->flags);
	queue_work(mirvol_wq, &mirvol_dead_work);
	mutex_unlock(&bdev->bd_holder_lock);
}

/* Plexes of @vol whose device went away: missing now, devices given back. */
static void mirvol_release_dead(struct mirvol_volume *vol)
{
	struct mirvol_plex *gone[MIRVOL_MAX_PLEXES];
	unsigned int i, n = 0;

	mutex_lock(&vol->lock);
	for (i = 0; i < MIRVOL_MAX_PLEXES; i++) {
		struct mirvol_plex *plex = vol->plexes[i];

		if (plex && plex->bdev &&
		    test_bit(MIRVOL_PLEX_RELEASE, &plex->flags))
			gone[n++] = plex;
	}
	if (!n || test_bit(MIRVOL_VOL_DEAD, &vol->flags))
		goto out;	/* teardown gives every device back */
	/*
	 * A break's new volume, its plex moved in, not filled yet: not an
	 * offline volume; mirvol_volume_fill() queues us again once it
	 * started.
	 */
	if (test_bit(MIRVOL_VOL_UNFILLED, &vol->flags))
		goto out;
	if (!test_bit(MIRVOL_VOL_STARTED, &vol->flags)) {
		/* An offline volume simply forgets a member that went. */
		mutex_lock(&vol->sb_mutex);
		for (i = 0; i < n; i++)
			mirvol_detach_plex(vol, gone[i]);
		mutex_unlock(&vol->sb_mutex);
		goto out;
	}
	for (i = 0; i < n; i++) {
		mirvol_plex_gone(gone[i], MIRVOL_PLEX_MISSING);
		if (READ_ONCE(gone[i]->state) == MIRVOL_PLEX_OFFLINE)
			pr_warn("mirvol: %s: plex %u's device went away: it stays offline\n",
				vol->name, gone[i]->index);
	}
	/*
	 * Their holder links go first, with I/O flowing: the unlink takes
	 * blk_holder_mutex, under which another driver's
	 * bd_link_disk_holder() allocates with I/O reclaim, which may wait
	 * for this volume's I/O.
	 */
	for (i = 0; i < n; i++)
		mirvol_plex_unlink(gone[i], vol->disk);
	/*
	 * No clone may still point at a device we give up, and no
	 * superblock or bitmap writer: they hold sb_mutex, not an I/O
	 * reference, and may have chosen their targets already.
	 */
	mirvol_suspend_io(vol);
	mutex_lock(&vol->sb_mutex);
	for (i = 0; i < n; i++)
		mirvol_plex_close(gone[i]);
	mutex_unlock(&vol->sb_mutex);
	mirvol_resume_io(vol);
out:
	mutex_unlock(&vol->lock);
}

static void mirvol_dead_work_fn(struct work_struct *work)
{
	mirvol_visit_volumes(mirvol_release_dead);
}

/* Hold new I/O back and wait for the I/O in flight.  vol->lock held. */
static void __mirvol_suspend_io(struct mirvol_volume *vol)
{
	lockdep_assert_held(&vol->lock);
	set_bit(MIRVOL_VOL_SUSPENDED, &vol->flags);
	percpu_ref_kill(&vol->io_ref);
	wait_event(vol->wait, percpu_ref_is_zero(&vol->io_ref));
}

/**
 * mirvol_suspend_io - hold new I/O back and wait for I/O in flight
 * @vol: the volume
 *
 * Until mirvol_resume_io() the task allocates without I/O reclaim (as
 * md's mddev_suspend() does): reclaim may write back pages of this very
 * volume (a file system on it) and wait for the resume this task is to
 * do.  That covers every allocation of the window, the superblock and
 * bitmap pages, kernfs nodes of plexN/ and holder links, those inside
 * the block layer.  The same task resumes, with vol->lock held all the
 * while, and windows nest last-in first-out (break-plex holds the new
 * volume's I/O around the old one's).
 *
 * Context: vol->lock held; sleeps.
 */
void mirvol_suspend_io(struct mirvol_volume *vol)
{
	__mirvol_suspend_io(vol);
	vol->noio_flags = memalloc_noio_save();
	MIRVOL_KUNIT_HOOK(mirvol_kunit_suspend_hook, vol);
}

/**
 * mirvol_resume_io - let I/O through again after mirvol_suspend_io()
 * @vol: the volume
 *
 * Context: vol->lock held, by the task that suspended.
 */
void mirvol_resume_io(struct mirvol_volume *vol)
{
	lockdep_assert_held(&vol->lock);
	memalloc_noio_restore(vol->noio_flags);
	percpu_ref_resurrect(&vol->io_ref);
	clear_bit(MIRVOL_VOL_SUSPENDED, &vol->flags);
	/* Waiters in mirvol_io_enter() must see the bit cleared. */
	smp_mb__after_atomic();
	wake_up_all(&vol->wait);
}

/**
 * mirvol_uevent - send a KOBJ_CHANGE uevent for the volume
 * @vol: a started volume
 * @event: MIRVOL_EVENT value
 * @extra1: an extra KEY=value, or NULL
 * @extra2: an extra KEY=value, or NULL
 *
 * Every uevent carries MIRVOL_NAME, MIRVOL_UUID, MIRVOL_STATE and
 * MIRVOL_EVENT.  Process context.
 */
void mirvol_uevent(struct mirvol_volume *vol, const char *event,
		   const char *extra1, const char *extra2)
{
	char name[sizeof("MIRVOL_NAME=") + MIRVOL_NAME_LEN];
	char uuid[sizeof("MIRVOL_UUID=") + UUID_STRING_LEN];
	char state[32], ev[48];
	struct gendisk *disk;
	char *envp[7];
	unsigned long flags;
	int n = 0;

	/* Not for a volume without a device, or one being torn down. */
	if (!READ_ONCE(vol->disk) ||
	    !test_bit(MIRVOL_VOL_STARTED, &vol->flags) ||
	    test_bit(MIRVOL_VOL_DEAD, &vol->flags))
		return;
	/*
	 * The disk with a reference: a start that fails clears vol->disk
	 * (under state_lock) and puts the disk while the worker may be
	 * sending the start's state change.
	 */
	spin_lock_irqsave(&vol->state_lock, flags);
	disk = vol->disk;
	if (!disk) {
		spin_unlock_irqrestore(&vol->state_lock, flags);
		return;
	}
	get_device(disk_to_dev(disk));
	snprintf(name, sizeof(name), "MIRVOL_NAME=%s", vol->name);
	snprintf(state, sizeof(state), "MIRVOL_STATE=%s",
		 mirvol_volume_state_name(vol->state));
	spin_unlock_irqrestore(&vol->state_lock, flags);
	snprintf(uuid, sizeof(uuid), "MIRVOL_UUID=%pUb", &vol->uuid);
	snprintf(ev, sizeof(ev), "MIRVOL_EVENT=%s", event);
	envp[n++] = name;
	envp[n++] = uuid;
	envp[n++] = state;
	envp[n++] = ev;
	if (extra1)
		envp[n++] = (char *)extra1;
	if (extra2)
		envp[n++] = (char *)extra2;
	envp[n] = NULL;
	MIRVOL_KUNIT_HOOK(mirvol_kunit_uevent_hook, vol);
	kobject_uevent_env(&disk_to_dev(disk)->kobj, KOBJ_CHANGE, envp);
	put_device(disk_to_dev(disk));
}

/**
 * mirvol_volume_worker - superblock updates, deferred writes, uevents
 * @work: vol->worker
 *
 * Runs after a plex failed or went missing, when a writer waits for the
 * volume to be marked dirty, and when a state change must be reported.
 * It takes only sb_mutex: whoever holds vol->lock may be draining the
 * very writes this worker has to complete.
 */
void mirvol_volume_worker(struct work_struct *work)
{
	struct mirvol_volume *vol = container_of(work, struct mirvol_volume,
						 worker);
	bool dirty_req = test_bit(MIRVOL_VOL_DIRTY_REQ, &vol->flags);
	bool sb_ok = true, failed = false, unrecorded = false;
	LIST_HEAD(deferred);
	struct mirvol_io *io;

	spin_lock_irq(&vol->state_lock);
	list_splice_init(&vol->deferred, &deferred);
	spin_unlock_irq(&vol->state_lock);
	MIRVOL_KUNIT_HOOK(mirvol_kunit_worker_hook, vol, &deferred);

	/* Zero what plexes without write-zeroes did not; may fail them. */
	list_for_each_entry(io, &deferred, list)
		if (io->no_wz)
			mirvol_write_zero_fill(io);
	/*
	 * Rule 3 from the writes themselves: a plex the superblocks list
	 * did not take one.  The request its leaving made (MIRVOL_VOL_SB_REQ)
	 * may have been answered, by an update that failed, before the
	 * write was listed.
	 */
	list_for_each_entry(io, &deferred, list) {
		failed |= io->failed;
		unrecorded |= !!(READ_ONCE(vol->sb_plexes) & ~io->done);
	}

	if (test_and_clear_bit(MIRVOL_VOL_SB_REQ, &vol->flags) || dirty_req ||
	    failed || unrecorded) {
		mutex_lock(&vol->sb_mutex);
		list_for_each_entry(io, &deferred, list)
			mirvol_rewind_unsynced(io);
		/*
		 * DIRTY_REQ makes this update say dirty; DIRTY, which lets
		 * writers through, is set only once it is on every plex.
		 * When the last in-sync plex could not take it, the waiting
		 * writers fail instead (mirvol_wait_dirty()).
		 */
		sb_ok = !mirvol_sb_update_locked(vol);
		if (dirty_req) {
			/*
			 * The request is answered: cleared before the answer
			 * is published, so that a writer who sees a failure
			 * it did not wait for and asks again (after reading
			 * the count: mirvol_wait_dirty()) is not cleared away
			 * and left waiting for a mark nobody writes.
			 */
			clear_bit(MIRVOL_VOL_DIRTY_REQ, &vol->flags);
			/* The clear before the outcome; pairs with the
			 * writer's read of the count before its set_bit().
			 */
			smp_mb__after_atomic();
			if (sb_ok)
				set_bit(MIRVOL_VOL_DIRTY, &vol->flags);
			else
				WRITE_ONCE(vol->dirty_failures,
					   vol->dirty_failures + 1);
		}
		mutex_unlock(&vol->sb_mutex);
		if (dirty_req) {
			MIRVOL_KUNIT_HOOK(mirvol_kunit_dirty_hook, vol, sb_ok);
			wake_up_all(&vol->wait);
			if (vol->safe_mode_delay_ms)
				mod_delayed_work(mirvol_wq,
						 &vol->safe_mode_work,
						 msecs_to_jiffies(vol->safe_mode_delay_ms));
		}
	}
	mirvol_complete_deferred(vol, &deferred, sb_ok);

	if (test_and_clear_bit(MIRVOL_EV_STATE, &vol->event_pending))
		mirvol_uevent(vol, "state-changed", NULL, NULL);
}

static unsigned long mirvol_write_count(struct gendisk *disk)
{
	struct block_device *part0 = disk->part0;

	return part_stat_read(part0, ios[STAT_WRITE]) +
	       part_stat_read(part0, ios[STAT_DISCARD]);
}

/*
 * Safe mode, as md's: once writes have stopped for safe_mode_delay_ms,
 * mark the volume clean on disk, so that a crash while idle needs no
 * resync.  I/O is drained first: no write may be in flight on a volume
 * that says clean.
 *
 * Until it has something to do the work takes no vol->lock, and a start
 * that fails after add_disk() clears vol->disk (under state_lock) and
 * puts the disk meanwhile: it reads vol->disk once, under state_lock,
 * and holds the disk.  Its put is never the volume's last reference:
 * whoever tears the volume down holds one, and cancels this work first.
 */
static void mirvol_safe_mode_work(struct work_struct *work)
{
	struct mirvol_volume *vol = container_of(to_delayed_work(work),
						 struct mirvol_volume,
						 safe_mode_work);
	unsigned long writes, flags;
	struct gendisk *disk;

	MIRVOL_KUNIT_HOOK(mirvol_kunit_safe_mode_hook, vol);
	if (!test_bit(MIRVOL_VOL_DIRTY, &vol->flags))
		return;
	spin_lock_irqsave(&vol->state_lock, flags);
	disk = vol->disk;
	if (disk)
		get_device(disk_to_dev(disk));
	spin_unlock_irqrestore(&vol->state_lock, flags);
	if (!disk)
		return;
	MIRVOL_KUNIT_HOOK(mirvol_kunit_safe_mode_disk_hook, vol);
	writes = mirvol_write_count(disk);
	if (writes != vol->safe_mode_writes) {
		vol->safe_mode_writes = writes;
		goto rearm;
	}
	mutex_lock(&vol->lock);
	/*
	 * vol->disk does not change under vol->lock: a failed start took
	 * this one away; a volume not started (break-plex's new one, its
	 * I/O held by the break) has nothing to mark clean.
	 */
	if (test_bit(MIRVOL_VOL_DEAD, &vol->flags) || vol->disk != disk ||
	    !test_bit(MIRVOL_VOL_STARTED, &vol->flags)) {
		mutex_unlock(&vol->lock);
		goto out;
	}
	mirvol_suspend_io(vol);
	writes = mirvol_write_count(disk);
	if (writes == vol->safe_mode_writes &&
	    !test_bit(MIRVOL_VOL_DIRTY_REQ, &vol->flags)) {
		mutex_lock(&vol->sb_mutex);
		clear_bit(MIRVOL_VOL_DIRTY, &vol->flags);
		mirvol_sb_update_locked(vol);
		mutex_unlock(&vol->sb_mutex);
	}
	vol->safe_mode_writes = writes;
	mirvol_resume_io(vol);
	mutex_unlock(&vol->lock);
	if (!test_bit(MIRVOL_VOL_DIRTY, &vol->flags))
		goto out;
rearm:
	if (vol->safe_mode_delay_ms)
		mod_delayed_work(mirvol_wq, &vol->safe_mode_work,
				 msecs_to_jiffies(vol->safe_mode_delay_ms));
out:
	put_device(disk_to_dev(disk));
}

/*
 * Queue limits stacked from every present plex.  Discard is advertised
 * only when every plex supports it (the stacking helper would keep the
 * limit of the plexes that do); write-zeroes is already the minimum, and
 * off for good once a plex that claimed it refused it (mirvol_io.c).
 * Stable pages: a page changing under a write could otherwise reach two
 * plexes with different contents.
 */
static void mirvol_stack_limits(struct mirvol_volume *vol,
				struct queue_limits *lim)
{
	bool discard = true;
	unsigned int i;

	blk_set_stacking_limits(lim);
	lim->features |= BLK_FEAT_IO_STAT | BLK_FEAT_STABLE_WRITES;
	for (i = 0; i < MIRVOL_MAX_PLEXES; i++) {
		struct mirvol_plex *plex = vol->plexes[i];

		if (!plex || !plex->bdev)
			continue;
		queue_limits_stack_bdev(lim, plex->bdev, plex->data_offset,
					"mirvol");
		if (!bdev_max_discard_sectors(plex->bdev))
			discard = false;
	}
	if (!discard) {
		lim->max_hw_discard_sectors = 0;
		lim->max_user_discard_sectors = 0;
		lim->discard_granularity = 0;
	}
	lim->max_secure_erase_sectors = 0;
	/* A plex refused write-zeroes: callers zero with writes instead. */
	if (test_bit(MIRVOL_VOL_NO_WZ, &vol->flags))
		lim->max_write_zeroes_sectors = 0;
	lim->features &= ~(BLK_FEAT_ZONED | BLK_FEAT_NOWAIT | BLK_FEAT_POLL);
	lim->max_zone_append_sectors = 0;
#if IS_ENABLED(CONFIG_MIRVOL_KUNIT_TEST)
	/* blk_validate_limits() raises the physical block size with it. */
	lim->logical_block_size = max(lim->logical_block_size,
				      READ_ONCE(mirvol_kunit_lbs));
#endif
}

/* The I/O path's alignment mask, from the limits just set on @q. */
static void mirvol_set_io_mask(struct mirvol_volume *vol,
			       struct request_queue *q)
{
	WRITE_ONCE(vol->io_mask, queue_logical_block_size(q) - 1);
}

/**
 * mirvol_volume_restack - restack the queue limits after a plex change
 * @vol: a started volume, I/O suspended
 *
 * Return: 0 or a negative errno.
 */
int mirvol_volume_restack(struct mirvol_volume *vol)
{
	struct request_queue *q = vol->disk->queue;
	struct queue_limits lim;
	unsigned int max_user;
	blk_flags_t flags;
	int err;

#if IS_ENABLED(CONFIG_MIRVOL_KUNIT_TEST)
	{
		int (*hook)(struct mirvol_volume *vol) =
			READ_ONCE(mirvol_kunit_restack_hook);

		err = hook ? hook(vol) : 0;
		if (err)
			return err;
	}
#endif
	lim = queue_limits_start_update(q);
	max_user = lim.max_user_sectors;
	flags = lim.flags;
	mirvol_stack_limits(vol, &lim);
	lim.max_user_sectors = max_user;
	lim.flags |= flags & BLK_FLAG_WRITE_CACHE_DISABLED;
	err = queue_limits_commit_update(q, &lim);
	if (!err)
		mirvol_set_io_mask(vol, q);
	return err;
}

static int mirvol_open(struct gendisk *disk, blk_mode_t mode)
{
	struct mirvol_volume *vol = disk->private_data;

	/* disk->open_mutex is held: this orders against teardown. */
	if (test_bit(MIRVOL_VOL_DEAD, &vol->flags))
		return -ENXIO;
	/*
	 * Not before the fill: an opener may set the page cache's block
	 * size (BLKBSZSET) down to the empty disk's logical block size, 512
	 * bytes, which the plex's replaces at the commit; held open, the
	 * device would keep it over a plex of 4096, its page cache I/O
	 * failing on the plex.
	 */
	if (test_bit(MIRVOL_VOL_UNFILLED, &vol->flags))
		return -ENXIO;
	return 0;
}

static void mirvol_free_disk(struct gendisk *disk)
{
	mirvol_volume_put(disk->private_data);
}

static const struct block_device_operations mirvol_fops = {
	.owner		= THIS_MODULE,
	.submit_bio	= mirvol_submit_bio,
	.open		= mirvol_open,
	.free_disk	= mirvol_free_disk,
};

/*
 * The block device of a volume.  @empty (break-plex's new volume): with
 * capacity 0, the volume not started, no sysfs directory, no uevent:
 * mirvol_volume_fill() does the rest once it has its plex.
 */
static enum mirvol_reason __mirvol_volume_start(struct mirvol_volume *vol,
						bool empty)
{
	struct queue_limits lim;
	struct gendisk *disk;
	unsigned long flags;
	unsigned int i;
	bool added;
	int err;

	lockdep_assert_held(&vol->lock);
	mirvol_stack_limits(vol, &lim);
	err = ida_alloc_max(&mirvol_ida, (MINORMASK + 1) / MIRVOL_MINORS - 1,
			    GFP_KERNEL);
	if (err < 0)
		return mirvol_errno_reason(err);
	vol->id = err;

	disk = blk_alloc_disk(&lim, NUMA_NO_NODE);
	if (IS_ERR(disk)) {
		err = PTR_ERR(disk);
		goto out_ida;
	}
	disk->major = mirvol_major;
	disk->first_minor = vol->id * MIRVOL_MINORS;
	disk->minors = MIRVOL_MINORS;
	disk->fops = &mirvol_fops;
	disk->private_data = vol;
	snprintf(disk->disk_name, DISK_NAME_LEN, "mirvol%d", vol->id);
	/* Empty: no partition scan, and every read or write fails (EOD). */
	set_capacity(disk, empty ? 0 : vol->size);

	vol->disk = disk;
	mirvol_set_io_mask(vol, disk->queue);
	mirvol_volume_get(vol);		/* the disk's, put by free_disk */
	if (empty) {
		set_bit(MIRVOL_VOL_UNFILLED, &vol->flags);
	} else {
		set_bit(MIRVOL_VOL_STARTED, &vol->flags);
		mirvol_update_state(vol);
		if (vol->bitmap)
			mirvol_bitmap_start(vol->bitmap);
	}
	err = add_disk(disk);
	if (err)
		goto out_disk;
	/*
	 * In a kernel thread (break-plex) the partition scan's close is
	 * deferred; finish it so the new volume is not seen as open.
	 */
	if (current->flags & PF_KTHREAD)
		flush_delayed_fput();
	MIRVOL_KUNIT_HOOK(mirvol_kunit_start_hook, vol);
#if IS_ENABLED(CONFIG_MIRVOL_KUNIT_TEST)
	if (READ_ONCE(mirvol_kunit_start_fail)) {
		WRITE_ONCE(mirvol_kunit_start_fail, false);
		err = -ENOMEM;
		goto out_del;
	}
#endif
	if (empty)
		return MIRVOL_R_NONE;
	err = mirvol_sysfs_add(vol);
	if (err)
		goto out_del;
	for (i = 0; i < MIRVOL_MAX_PLEXES; i++) {
		if (!vol->plexes[i])
			continue;
		mirvol_plex_link(vol->plexes[i], disk);
		mirvol_sysfs_add_plex(vol, vol->plexes[i]);
	}
	mirvol_uevent(vol, "created", NULL, NULL);
	pr_info("mirvol: %s: started as %s, %u plexes, %llu sectors, %s\n",
		vol->name, disk->disk_name, vol->nr_plexes,
		(unsigned long long)vol->size,
		mirvol_volume_state_name(vol->state));
	return MIRVOL_R_NONE;

out_del:
	del_gendisk(disk);
	/*
	 * From add_disk() on, udev's probe (or a user) may have sent I/O,
	 * and a bio-based disk's del_gendisk() waits for no bio in flight:
	 * drained here, before the caller gives the plexes their clones
	 * point at up, and before the bitmap's works stop (no write may be
	 * in flight then).  No new I/O comes: the disk is dead.
	 */
	mirvol_suspend_io(vol);
	mirvol_resume_io(vol);
out_disk:
	if (!empty && vol->bitmap)
		mirvol_bitmap_stop(vol->bitmap);
	clear_bit(MIRVOL_VOL_STARTED, &vol->flags);
	clear_bit(MIRVOL_VOL_UNFILLED, &vol->flags);
	mirvol_update_state(vol);
	/* The worker may be sending the start's state change: see there. */
	spin_lock_irqsave(&vol->state_lock, flags);
	vol->disk = NULL;
	spin_unlock_irqrestore(&vol->state_lock, flags);
	/* free_disk is called only for a disk that was added. */
	added = test_bit(GD_ADDED, &disk->state);
	put_disk(disk);
	if (!added)
		mirvol_volume_put(vol);
out_ida:
	ida_free(&mirvol_ida, vol->id);
	vol->id = -1;
	return mirvol_errno_reason(err);
}

/**
 * mirvol_volume_start - give a volume its block device
 * @vol: a volume with its plexes and size set, listed, offline
 *
 * Context: vol->lock held (not mirvol_mutex: add_disk() scans partitions,
 * which reads the volume).
 * Return: MIRVOL_R_NONE, or why not (the volume stays offline).
 */
enum mirvol_reason mirvol_volume_start(struct mirvol_volume *vol)
{
	return __mirvol_volume_start(vol, false);
}

/**
 * mirvol_volume_start_empty - give a volume a block device of size 0
 * @vol: a volume being made (break-plex's new volume), listed hidden,
 *	offline, its plexes not given yet
 *
 * The disk is added (add_disk(), devtmpfs, its "add" uevent) with capacity
 * 0: nothing to scan or probe, and every read or write fails at the end
 * of the device.  The volume stays offline (not started), without its
 * mirvol/ sysfs directory (udev finds no name: no link yet), until
 * mirvol_volume_fill(), and cannot be opened (ENXIO: an opener could
 * keep a block size the plex does not take); a failure before that takes
 * the disk away with the volume (mirvol_volume_kill(),
 * mirvol_volume_destroy()).  So that
 * break-plex need not wait for another task while another volume's I/O
 * is held, as add_disk() and del_gendisk() do (kdevtmpfs).
 *
 * Context: vol->lock held.
 * Return: MIRVOL_R_NONE, or why not (the volume has no disk).
 */
enum mirvol_reason mirvol_volume_start_empty(struct mirvol_volume *vol)
{
	return __mirvol_volume_start(vol, true);
}

/**
 * mirvol_volume_fill - start a volume given its block device empty
 * @vol: the volume (mirvol_volume_start_empty()), its plexes and size
 *	set, its queue limits stacked on them (a failure there fails the
 *	break: mirvol_break_commit()), its superblocks written; I/O
 *	suspended, resumed here
 *
 * Gives the disk the volume's size, its mirvol/ directory, holder links
 * and plexN/ directories, sends "created" (udev makes the links and
 * probes the device), then scans the partitions (their "add" events come
 * after, so udev finds the volume's name on the disk for their links).
 * What fails here is only logged: the volume works without it (sysfs,
 * partitions), its data safe.
 *
 * Context: vol->lock held; no volume's I/O suspended by the caller
 * (add_disk() of the partitions, sysfs).
 */
void mirvol_volume_fill(struct mirvol_volume *vol)
{
	struct gendisk *disk = vol->disk;
	unsigned int i;
	int err;

	lockdep_assert_held(&vol->lock);
	set_bit(MIRVOL_VOL_STARTED, &vol->flags);
	clear_bit(MIRVOL_VOL_UNFILLED, &vol->flags);
	mirvol_update_state(vol);
	if (vol->bitmap)
		mirvol_bitmap_start(vol->bitmap);
	set_capacity_and_notify(disk, vol->size);
	mirvol_resume_io(vol);
	err = mirvol_sysfs_add(vol);
	if (err)
		pr_warn("mirvol: %s: no sysfs directory: %d\n", vol->name,
			err);
	for (i = 0; i < MIRVOL_MAX_PLEXES; i++) {
		if (!vol->plexes[i])
			continue;
		mirvol_plex_link(vol->plexes[i], disk);
		mirvol_sysfs_add_plex(vol, vol->plexes[i]);
		/* Its device went before the start (mirvol_release_dead()). */
		if (test_bit(MIRVOL_PLEX_RELEASE, &vol->plexes[i]->flags))
			queue_work(mirvol_wq, &mirvol_dead_work);
	}
	mirvol_uevent(vol, "created", NULL, NULL);
	mutex_lock(&disk->open_mutex);
	err = bdev_disk_changed(disk, false);
	mutex_unlock(&disk->open_mutex);
	if (err)
		pr_warn("mirvol: %s: partitions not scanned: %d\n", vol->name,
			err);
	pr_info("mirvol: %s: started as %s, %u plexes, %llu sectors, %s\n",
		vol->name, disk->disk_name, vol->nr_plexes,
		(unsigned long long)vol->size,
		mirvol_volume_state_name(vol->state));
}

/* Recount vol->nr_slots after a change of vol->plexes (state_lock held). */
static void mirvol_count_slots(struct mirvol_volume *vol)
{
	unsigned int n = MIRVOL_MAX_PLEXES;

	while (n && !vol->plexes[n - 1])
		n--;
	vol->nr_slots = n;
}

static enum mirvol_reason __mirvol_attach_plex(struct mirvol_volume *vol,
						struct mirvol_plex *plex)
{
	unsigned long flags;

	lockdep_assert_held(&vol->sb_mutex);
	mirvol_plex_get(plex);
	spin_lock_irqsave(&vol->state_lock, flags);
	plex->vol = vol;
	vol->plexes[plex->index] = plex;
	vol->nr_plexes++;
	mirvol_count_slots(vol);
	spin_unlock_irqrestore(&vol->state_lock, flags);
	/* The device may have died while the plex was in no volume. */
	if (test_bit(MIRVOL_PLEX_RELEASE, &plex->flags)) {
		mirvol_plex_gone(plex, MIRVOL_PLEX_MISSING);
		queue_work(mirvol_wq, &mirvol_dead_work);
	}
	mirvol_update_state(vol);
	if (!test_bit(MIRVOL_VOL_STARTED, &vol->flags))
		return MIRVOL_R_NONE;
	return mirvol_errno_reason(mirvol_volume_restack(vol));
}

/**
 * mirvol_attach_plex - put a plex into its slot of a volume
 * @vol: the volume; vol->lock and sb_mutex held, I/O suspended if started
 * @plex: the plex, its index set to a free slot; the slot takes a
 *	reference of its own
 *
 * Touches no sysfs: a started volume's plex gets its holder link and
 * plexN/ directory once I/O is resumed (mirvol_attach_plex_finish()).
 *
 * Return: MIRVOL_R_NONE or why the limits could not be restacked.
 */
enum mirvol_reason mirvol_attach_plex(struct mirvol_volume *vol,
				      struct mirvol_plex *plex)
{
	return __mirvol_attach_plex(vol, plex);
}

/**
 * mirvol_attach_plex_finish - show a plex that joined a started volume
 * @vol: the volume; vol->lock held since the attach, I/O not suspended
 * @plex: the plex, attached
 *
 * Its holder link and plexN/ directory, best effort as at the start:
 * bd_link_disk_holder() takes the device's open_mutex and
 * blk_holder_mutex, kernfs its root's kernfs_rwsem, which other tasks
 * hold while they allocate with I/O reclaim (another driver's
 * bd_link_disk_holder(), kernfs_rename_ns()).  That reclaim may wait
 * for this volume's I/O: never made with it suspended, noio or not.
 * Shown once attached, so a failed attach has nothing to take back.
 */
void mirvol_attach_plex_finish(struct mirvol_volume *vol,
			       struct mirvol_plex *plex)
{
	lockdep_assert_held(&vol->lock);
	if (plex->vol != vol || !test_bit(MIRVOL_VOL_STARTED, &vol->flags))
		return;
	mirvol_plex_link(plex, vol->disk);
	mirvol_sysfs_add_plex(vol, plex);
}

/**
 * mirvol_attach_plex_held - mirvol_attach_plex() of a plex that left
 *	with mirvol_detach_plex_held() in the same I/O suspension
 * @vol: as for mirvol_attach_plex()
 * @plex: as for mirvol_attach_plex(); its holder link and plexN/
 *	directory are still those it had in @vol
 *
 * Touches no sysfs, and needs no mirvol_attach_plex_finish() (break-plex's
 * undo, replace's old plex kept).
 *
 * Return: as mirvol_attach_plex().
 */
enum mirvol_reason mirvol_attach_plex_held(struct mirvol_volume *vol,
					   struct mirvol_plex *plex)
{
	return __mirvol_attach_plex(vol, plex);
}

static void __mirvol_detach_plex(struct mirvol_volume *vol,
				 struct mirvol_plex *plex, bool held)
{
	unsigned long flags;

	lockdep_assert_held(&vol->sb_mutex);
	if (!held) {
		mirvol_sysfs_del_plex(plex);
		if (test_bit(MIRVOL_VOL_STARTED, &vol->flags))
			mirvol_plex_unlink(plex, vol->disk);
	}
	spin_lock_irqsave(&vol->state_lock, flags);
	vol->plexes[plex->index] = NULL;
	vol->nr_plexes--;
	mirvol_count_slots(vol);
	plex->vol = NULL;
	spin_unlock_irqrestore(&vol->state_lock, flags);
	mirvol_update_state(vol);
	/*
	 * Cannot fail but in KUnit: blk_validate_limits() refuses only what
	 * no stack of valid, unzoned plexes (or none) yields.  Were it to,
	 * the disk would keep the limits of a superset of its plexes: the
	 * stricter ones, a flush or FUA at most too many.
	 */
	if (test_bit(MIRVOL_VOL_STARTED, &vol->flags))
		mirvol_volume_restack(vol);
	mirvol_plex_put(plex);
}

/**
 * mirvol_detach_plex - take a plex out of its volume
 * @vol: the volume; vol->lock and sb_mutex held, I/O suspended if started
 * @plex: the plex; the slot's reference is dropped, so a caller that
 *	goes on using it holds one of its own
 *
 * Removes its plexN/ and holder link: for a volume offline or being torn
 * down.  A started volume's plex leaves with mirvol_detach_plex_held(),
 * then mirvol_detach_plex_finish() once I/O is resumed (see
 * mirvol_attach_plex_finish()).
 */
void mirvol_detach_plex(struct mirvol_volume *vol, struct mirvol_plex *plex)
{
	__mirvol_detach_plex(vol, plex, false);
}

/**
 * mirvol_detach_plex_held - mirvol_detach_plex() that touches no sysfs
 * @vol: as for mirvol_detach_plex()
 * @plex: as for mirvol_detach_plex()
 *
 * The plex keeps its plexN/ directory in @vol and its holder link to
 * @vol's disk (removing them may wait for another task: not while I/O is
 * held): mirvol_detach_plex_finish() removes them once the plex is gone
 * for good, or mirvol_attach_plex_held() takes it back with them.
 */
void mirvol_detach_plex_held(struct mirvol_volume *vol,
			     struct mirvol_plex *plex)
{
	__mirvol_detach_plex(vol, plex, true);
}

/**
 * mirvol_detach_plex_finish - what mirvol_detach_plex_held() left
 * @vol: the volume the plex left; vol->lock held, I/O not suspended
 * @plex: the plex, referenced by the caller
 */
void mirvol_detach_plex_finish(struct mirvol_volume *vol,
			       struct mirvol_plex *plex)
{
	lockdep_assert_held(&vol->lock);
	mirvol_sysfs_del_plex(plex);
	if (vol->disk)
		mirvol_plex_unlink(plex, vol->disk);
}

/**
 * mirvol_rules_snapshot - the volume as the refusal rules see it
 * @vol: the volume; vol->lock held
 * @rv: out
 */
void mirvol_rules_snapshot(struct mirvol_volume *vol,
			   struct mirvol_rule_vol *rv)
{
	unsigned long flags;
	unsigned int i;

	memset(rv, 0, sizeof(*rv));
	spin_lock_irqsave(&vol->state_lock, flags);
	rv->state = vol->state;
	rv->busy = vol->op != NULL;
	rv->nr_plexes = vol->nr_plexes;
	rv->size = vol->size;
	for (i = 0; i < MIRVOL_MAX_PLEXES; i++) {
		struct mirvol_plex *plex = vol->plexes[i];

		if (!plex)
			continue;
		rv->present[i] = true;
		rv->states[i] = plex->state;
		rv->boot[i] = plex->boot;
		if (plex->state == MIRVOL_PLEX_MISSING && !plex->bdev)
			rv->nr_missing++;
	}
	spin_unlock_irqrestore(&vol->state_lock, flags);
}

/* Smallest data size over the plexes, rounded to 4 KiB and the lbs. */
static sector_t mirvol_data_size(struct mirvol_volume *vol)
{
	sector_t size = ~(sector_t)0;
	unsigned int i, align = 8;

	for (i = 0; i < MIRVOL_MAX_PLEXES; i++) {
		struct mirvol_plex *plex = vol->plexes[i];

		if (!plex)
			continue;
		size = min(size, plex->dev_sectors - plex->data_offset);
		align = max(align, bdev_logical_block_size(plex->bdev) >> 9);
	}
	return round_down(size, align);
}

static void mirvol_default_name(char *name, const uuid_t *uuid)
{
	snprintf(name, MIRVOL_NAME_LEN, "vol-%*phN", 4, uuid->b);
}

/*
 * The write-intent bitmap of a new volume, its size known: @region bytes
 * per bit, 0 for the default.  Returns the region size used.
 */
static enum mirvol_reason mirvol_create_bitmap(struct mirvol_volume *vol,
					       u64 *region)
{
	u64 bytes = (u64)vol->size << SECTOR_SHIFT;

	if (!*region)
		*region = mirvol_bitmap_default_region(bytes);
	if (DIV_ROUND_UP_ULL(bytes, *region) > MIRVOL_BITMAP_MAX_REGIONS)
		return MIRVOL_R_INVALID_ARGUMENT;
	vol->bitmap = mirvol_bitmap_create(vol, *region >> SECTOR_SHIFT);
	if (!vol->bitmap)
		return MIRVOL_R_NO_MEMORY;
	/* It covers every write from the first generation on. */
	vol->generation = 1;
	vol->bitmap->cleared_gen = 1;
	return MIRVOL_R_NONE;
}

/* Open the devices of a new volume into its slots; locks held. */
static enum mirvol_reason mirvol_create_plexes(struct mirvol_volume *vol,
					       const dev_t *devts,
					       unsigned int nr, u32 flags,
					       u64 *region)
{
	bool assume_clean = flags & MIRVOL_CREATE_F_ASSUME_CLEAN;
	enum mirvol_reason reason;
	unsigned int i;

	for (i = 0; i < nr; i++) {
		struct mirvol_plex *plex = mirvol_plex_alloc();

		if (!plex)
			return MIRVOL_R_NO_MEMORY;
		uuid_gen(&plex->uuid);
		plex->index = i;
		plex->state = assume_clean || !i ? MIRVOL_PLEX_ACTIVE :
						   MIRVOL_PLEX_SYNCING;
		plex->vol = vol;
		set_bit(MIRVOL_PLEX_UNWRITTEN, &plex->flags);
		vol->plexes[i] = plex;		/* the slot takes the reference */
		vol->nr_plexes++;
		vol->nr_slots = i + 1;
		reason = mirvol_plex_open(plex, devts[i]);
		if (reason)
			return reason;
		if (plex->dev_sectors < plex->data_offset +
					MIRVOL_MIN_DATA_SECTORS)
			return MIRVOL_R_DEVICE_TOO_SMALL;
	}
	vol->size = mirvol_data_size(vol);
	if (!(flags & MIRVOL_CREATE_F_NO_BITMAP)) {
		reason = mirvol_create_bitmap(vol, region);
		if (reason)
			return reason;
	}
	/* Checked: a check only writes nothing (every plex unwritten). */
	if (flags & MIRVOL_CREATE_F_CHECK)
		return MIRVOL_R_NONE;
	for (i = 0; i < nr; i++) {
		struct mirvol_plex *plex = vol->plexes[i];

		plex->sync_offset = plex->state == MIRVOL_PLEX_ACTIVE ?
				    vol->size : 0;
		/* Written from here on, if only in part: erased on failure. */
		clear_bit(MIRVOL_PLEX_UNWRITTEN, &plex->flags);
		if (mirvol_sb_init_plex(vol, plex))
			return MIRVOL_R_IO_ERROR;
	}
	/* Each superblock lists them all. */
	vol->sb_plexes = GENMASK(nr - 1, 0);
	return MIRVOL_R_NONE;
}

enum mirvol_teardown {
	MIRVOL_TD_STOP,		/* mark clean, release the devices */
	MIRVOL_TD_REMOVE,	/* erase the superblocks, release the devices */
	MIRVOL_TD_TAKE,		/* hand the usable plexes over */
	MIRVOL_TD_DISCARD,	/* a create's check: release the devices, quietly */
};

static enum mirvol_reason __mirvol_volume_destroy(struct mirvol_volume *vol,
						  enum mirvol_teardown mode,
						  struct mirvol_plex **taken,
						  unsigned int *nr);

/*
 * Two block device files (mirvol_check_device()) that name the same
 * storage: one device, or a disk and a partition of it.  One volume
 * could never claim both; two partitions of a disk do not overlap.
 */
static bool mirvol_same_storage(struct file *a, struct file *b)
{
	struct block_device *x = file_bdev(a), *y = file_bdev(b);

	return x == y || bdev_whole(x) == y || x == bdev_whole(y);
}

/**
 * mirvol_volume_create - create and start a volume over opened devices
 * @name: the name, or "" to generate one
 * @files: the devices, as passed by user space
 * @nr: how many
 * @flags: MIRVOL_CREATE_F_ASSUME_CLEAN (all plexes are in sync already:
 *	no initial resync), MIRVOL_CREATE_F_NO_BITMAP, MIRVOL_CREATE_F_CHECK
 *	(check only: every check runs, the name taken and the devices
 *	claimed for it, then all is given back; nothing is written, no
 *	volume made, no uevent sent, @op_id, @name_out and @out untouched)
 * @region: in: bytes per bitmap bit, a power of two from 64 KiB, or 0
 *	for the default; out: the size used, 0 without a bitmap
 * @op_id: out: the initial resync operation, or 0
 * @name_out: out: the name given (MIRVOL_NAME_LEN bytes), or NULL; written
 *	before the volume can be found: a RENAME may follow at once
 * @out: out: the volume, with a reference for the caller
 *
 * The name is taken in the registry first (the volume listed hidden);
 * devices are opened, superblocks written and the disk added without the
 * registry's lock.
 *
 * Context: no lock held.
 * Return: MIRVOL_R_NONE or why not (with MIRVOL_CREATE_F_CHECK: why the
 * call without it would be refused); nothing is left behind on failure.
 */
enum mirvol_reason mirvol_volume_create(const char *name, struct file **files,
					unsigned int nr, u32 flags, u64 *region,
					u64 *op_id, char *name_out,
					struct mirvol_volume **out)
{
	char autoname[MIRVOL_NAME_LEN];
	dev_t devts[MIRVOL_MAX_PLEXES];
	enum mirvol_reason reason;
	struct mirvol_volume *vol;
	unsigned int i, j;

	for (i = 0; i < nr; i++) {
		reason = mirvol_check_device(files[i], &devts[i]);
		if (reason)
			return reason;
		for (j = 0; j < i; j++)
			if (mirvol_same_storage(files[j], files[i]))
				return MIRVOL_R_DUPLICATE_DEVICE;
	}
	vol = mirvol_volume_alloc(name[0] ? name : "-", NULL);
	if (!vol)
		return MIRVOL_R_NO_MEMORY;
	if (!name[0]) {
		mirvol_default_name(autoname, &vol->uuid);
		strscpy(vol->name, autoname, sizeof(vol->name));
	}
	reason = mirvol_register(vol, true, NULL);
	if (reason)
		goto out_put;

	mutex_lock(&vol->lock);
	mutex_lock(&vol->sb_mutex);
	if (flags & MIRVOL_CREATE_F_NO_BITMAP)
		*region = 0;
	reason = mirvol_create_plexes(vol, devts, nr, flags, region);
	mutex_unlock(&vol->sb_mutex);
	if (flags & MIRVOL_CREATE_F_CHECK) {
		/* Checked: nothing was written, nothing is announced. */
		mirvol_volume_kill(vol, false);
		mutex_unlock(&vol->lock);
		__mirvol_volume_destroy(vol, MIRVOL_TD_DISCARD, NULL, NULL);
		goto out_put;
	}
	if (!reason)
		reason = mirvol_volume_start(vol);
	if (reason) {
		/*
		 * Erase what was written (devices never written are left
		 * alone), give the devices back, unlist.
		 */
		mirvol_volume_kill(vol, false);
		mutex_unlock(&vol->lock);
		mirvol_volume_destroy(vol, true);
		goto out_put;
	}
	/* Found from here on, renamed perhaps: its name before that. */
	if (name_out)
		strscpy(name_out, vol->name, MIRVOL_NAME_LEN);
	mirvol_unhide(vol);
	*op_id = mirvol_resync_if_needed(vol);
	mutex_unlock(&vol->lock);
	*out = vol;
	return MIRVOL_R_NONE;

out_put:
	mirvol_volume_put(vol);
	return reason;
}

/**
 * mirvol_volume_apply_speeds - use the resync speeds stored on disk
 * @vol: the volume
 * @old: out, or NULL: the running speeds replaced, for
 *	mirvol_volume_restore_speeds()
 *
 * A stored speed of 0 means the module parameter's.  sysfs may change
 * the running values afterwards (not stored).  sb_mutex held (the
 * stored values).
 */
void mirvol_volume_apply_speeds(struct mirvol_volume *vol,
				struct mirvol_speeds *old)
{
	lockdep_assert_held(&vol->sb_mutex);
	spin_lock(&vol->speed_lock);
	if (old) {
		old->min = vol->sync_speed_min;
		old->max = vol->sync_speed_max;
		old->min_writes = vol->sync_speed_min_writes;
		old->max_writes = vol->sync_speed_max_writes;
	}
	WRITE_ONCE(vol->sync_speed_min,
		   vol->speed_min_stored ?: mirvol_sync_speed_min);
	WRITE_ONCE(vol->sync_speed_max,
		   vol->speed_max_stored ?: mirvol_sync_speed_max);
	spin_unlock(&vol->speed_lock);
}

/**
 * mirvol_volume_restore_speeds - undo mirvol_volume_apply_speeds()
 * @vol: the volume
 * @old: what it replaced
 *
 * A speed written through sysfs since stays: that write came after the
 * apply, and returned success.
 */
void mirvol_volume_restore_speeds(struct mirvol_volume *vol,
				  const struct mirvol_speeds *old)
{
	spin_lock(&vol->speed_lock);
	if (vol->sync_speed_min_writes == old->min_writes)
		WRITE_ONCE(vol->sync_speed_min, old->min);
	if (vol->sync_speed_max_writes == old->max_writes)
		WRITE_ONCE(vol->sync_speed_max, old->max);
	spin_unlock(&vol->speed_lock);
}

/**
 * mirvol_volume_idle - the volume's operation ended
 * @vol: the volume
 *
 * Plexes left stale (rejoined meanwhile, or an operation's left-overs)
 * resync now.
 *
 * Context: vol->lock held.
 */
void mirvol_volume_idle(struct mirvol_volume *vol)
{
	lockdep_assert_held(&vol->lock);
	mirvol_resync_if_needed(vol);
}

/**
 * mirvol_volume_kill - take a volume out of service for good
 * @vol: the volume
 * @need_closed: refuse while its block device is open
 *
 * From here on it cannot be opened and no operation can start on it.
 *
 * Context: vol->lock held.
 * Return: MIRVOL_R_NONE, OBJECT_NOT_FOUND (already killed) or
 * DEVICE_BUSY (open).
 */
enum mirvol_reason mirvol_volume_kill(struct mirvol_volume *vol,
				      bool need_closed)
{
	struct gendisk *disk = vol->disk;
	enum mirvol_reason reason = MIRVOL_R_NONE;

	lockdep_assert_held(&vol->lock);
	if (test_bit(MIRVOL_VOL_DEAD, &vol->flags))
		return MIRVOL_R_OBJECT_NOT_FOUND;
	if (!disk) {
		set_bit(MIRVOL_VOL_DEAD, &vol->flags);
		return MIRVOL_R_NONE;
	}
	/* disk->open_mutex orders this against mirvol_open(). */
	mutex_lock(&disk->open_mutex);
	if (need_closed && disk_openers(disk))
		reason = MIRVOL_R_DEVICE_BUSY;
	else
		set_bit(MIRVOL_VOL_DEAD, &vol->flags);
	mutex_unlock(&disk->open_mutex);
	return reason;
}

/* Flush every per-volume work; nothing may queue them any more. */
static void mirvol_volume_quiesce(struct mirvol_volume *vol)
{
	cancel_delayed_work_sync(&vol->safe_mode_work);
	if (vol->bitmap)
		mirvol_bitmap_stop(vol->bitmap);
	flush_work(&vol->worker);
	flush_work(&vol->retry_work);
	flush_work(&vol->repair_work);
	cancel_delayed_work_sync(&vol->safe_mode_work);
}

/*
 * Tear a killed volume down: end its operation, delete its block device,
 * drain its I/O, deal with its plexes as @mode says, give their devices
 * back, unlist it.  With MIRVOL_TD_TAKE the plexes that still have a
 * working device are stored in @taken (count in @nr), out of the volume
 * and still open, each with a reference for the taker.
 *
 * The devices are given back before the last flush of the volume's works:
 * once a device is closed no mark_dead callback can come for it, so
 * nothing can queue work on a volume about to be freed.
 *
 * Return: MIRVOL_R_NONE, or with MIRVOL_TD_REMOVE, WIPE_FAILED: a device
 * kept its superblock (the kernel log names it) and would assemble
 * again.  The volume is gone all the same: past its disk's deletion
 * there is no way back.
 */
static enum mirvol_reason __mirvol_volume_destroy(struct mirvol_volume *vol,
						  enum mirvol_teardown mode,
						  struct mirvol_plex **taken,
						  unsigned int *nr)
{
	enum mirvol_reason reason = MIRVOL_R_NONE;
	struct gendisk *disk = vol->disk;
	bool started;
	unsigned int i;

	mirvol_op_abort(vol, MIRVOL_R_OBJECT_DELETED);
	cancel_delayed_work_sync(&vol->safe_mode_work);

	mutex_lock(&vol->lock);
	started = test_bit(MIRVOL_VOL_STARTED, &vol->flags);
	if (disk) {
		/* Holder links live in directories del_gendisk() removes. */
		for (i = 0; i < MIRVOL_MAX_PLEXES; i++)
			if (vol->plexes[i])
				mirvol_plex_unlink(vol->plexes[i], disk);
		mirvol_sysfs_del(vol);
		del_gendisk(disk);
	}
	/*
	 * No bio left in flight (bio-based: del_gendisk does not wait).
	 * Held for good, and not as a window: the disk is deleted, so
	 * reclaim has no page of it to write back.
	 */
	if (started)
		__mirvol_suspend_io(vol);
	mutex_unlock(&vol->lock);
	mirvol_volume_quiesce(vol);

	mutex_lock(&vol->lock);
	mutex_lock(&vol->sb_mutex);
	if (mode == MIRVOL_TD_REMOVE) {
		for (i = 0; i < MIRVOL_MAX_PLEXES; i++) {
			struct mirvol_plex *plex = vol->plexes[i];

			if (plex &&
			    !test_bit(MIRVOL_PLEX_UNWRITTEN, &plex->flags) &&
			    mirvol_sb_erase(vol, plex, ""))
				reason = MIRVOL_R_WIPE_FAILED;
		}
	} else if (mode == MIRVOL_TD_STOP && started) {
		/* A clean stop: the next assembly needs no resync. */
		clear_bit(MIRVOL_VOL_DIRTY, &vol->flags);
		mirvol_sb_update_locked(vol);
	}
	clear_bit(MIRVOL_VOL_STARTED, &vol->flags);
	clear_bit(MIRVOL_VOL_UNFILLED, &vol->flags);
	if (nr)
		*nr = 0;
	for (i = 0; i < MIRVOL_MAX_PLEXES; i++) {
		struct mirvol_plex *plex = vol->plexes[i];

		if (!plex)
			continue;
		if (mode == MIRVOL_TD_TAKE && plex->bdev &&
		    plex->state != MIRVOL_PLEX_FAILED) {
			mirvol_plex_get(plex);
			taken[(*nr)++] = plex;
		} else {
			mirvol_plex_close(plex);
		}
		mirvol_detach_plex(vol, plex);
	}
	mutex_unlock(&vol->sb_mutex);
	mutex_unlock(&vol->lock);

	mirvol_unregister(vol);
	if (vol->id >= 0)
		ida_free(&mirvol_ida, vol->id);
	if (mode != MIRVOL_TD_DISCARD)
		pr_info("mirvol: %s: %s\n", vol->name,
			mode == MIRVOL_TD_STOP ? "stopped" :
			mode == MIRVOL_TD_REMOVE ? "removed" : "dissolved");
	mirvol_volume_quiesce(vol);
	if (disk)
		put_disk(disk);
	return reason;
}

/**
 * mirvol_split_peer_gone - a split peer is gone for good: stop tracking it
 * @gone: the UUID of a volume removed (its plexes erased) or dissolved
 *	(its plexes joined another volume)
 * @peer_uuid: its split peer (break-plex --track-changes)
 *
 * @gone can never be merged back.  Its peer, if running and still naming
 * it, forgets the split as set --forget-split does and records that:
 * tracked, it would keep its bits for good (rule 3) and refuse the next
 * break --track-changes.  When that update fails the peer stays tracked
 * (as the superblocks have it; set --forget-split ends it then), and a
 * peer not running keeps its superblocks' split.
 *
 * Context: no lock held.
 */
void mirvol_split_peer_gone(const uuid_t *gone, const uuid_t *peer_uuid)
{
	struct mirvol_volume *peer = mirvol_lookup(peer_uuid->b);
	u64 split_generation;

	if (!peer)
		return;
	mutex_lock(&peer->lock);
	if (test_bit(MIRVOL_VOL_DEAD, &peer->flags) ||
	    !test_bit(MIRVOL_VOL_STARTED, &peer->flags) ||
	    !peer->split_generation || !uuid_equal(&peer->split_peer, gone))
		goto out;
	mutex_lock(&peer->sb_mutex);
	split_generation = peer->split_generation;
	memset(&peer->split_peer, 0, sizeof(peer->split_peer));
	peer->split_generation = 0;
	if (mirvol_sb_update_locked(peer)) {
		uuid_copy(&peer->split_peer, gone);
		peer->split_generation = split_generation;
		pr_warn("mirvol: %s: still tracks its split from %pUb, which is gone: 'mirvolctl set --forget-split' ends it\n",
			peer->name, gone);
	} else {
		pr_info("mirvol: %s: no longer tracks its split from %pUb (gone)\n",
			peer->name, gone);
	}
	mutex_unlock(&peer->sb_mutex);
out:
	mutex_unlock(&peer->lock);
	mirvol_volume_put(peer);
}

/**
 * mirvol_volume_teardown - stop or remove a volume
 * @vol: the volume; the caller holds a reference
 * @erase: erase the superblocks (remove) rather than mark clean (stop)
 *
 * Refuses with DEVICE_BUSY while the block device is open.  A running
 * operation, or one being prepared, ends with OBJECT_DELETED first.  A
 * volume removed that was split with --track-changes is forgotten by its
 * peer (mirvol_split_peer_gone()).
 *
 * Context: no lock held.
 * Return: MIRVOL_R_NONE or why not; WIPE_FAILED (@erase): the volume is
 * gone, but a device kept its superblock.
 */
enum mirvol_reason mirvol_volume_teardown(struct mirvol_volume *vol,
					  bool erase)
{
	enum mirvol_reason reason;
	bool tracked;
	uuid_t peer;

	mutex_lock(&vol->lock);
	reason = mirvol_volume_kill(vol, true);
	/* Killed: its split does not change any more. */
	tracked = vol->split_generation;
	peer = vol->split_peer;
	mutex_unlock(&vol->lock);
	if (reason)
		return reason;
	reason = __mirvol_volume_destroy(vol, erase ? MIRVOL_TD_REMOVE :
					 MIRVOL_TD_STOP, NULL, NULL);
	/* A plex that kept its superblock would assemble it again. */
	if (erase && tracked && !reason)
		mirvol_split_peer_gone(&vol->uuid, &peer);
	return reason;
}

/**
 * mirvol_volume_destroy - tear down a volume killed by the caller
 * @vol: the volume, MIRVOL_VOL_DEAD set (mirvol_volume_kill())
 * @erase: erase the plexes' superblocks (a creation that failed), else
 *	keep them (an assembly refused, a break-plex that failed)
 */
void mirvol_volume_destroy(struct mirvol_volume *vol, bool erase)
{
	/*
	 * An unwinding: the caller reports its own failure, and a device
	 * left with a superblock is named in the kernel log.
	 */
	__mirvol_volume_destroy(vol, erase ? MIRVOL_TD_REMOVE : MIRVOL_TD_STOP,
				NULL, NULL);
}

/**
 * mirvol_volume_destroy_take - dissolve a volume, keeping its plexes
 * @vol: the volume, killed by the caller
 * @taken: out: its plexes with a working device, still open, each with a
 *	reference for the caller
 * @nr: out: how many
 *
 * Context: no lock held.
 */
void mirvol_volume_destroy_take(struct mirvol_volume *vol,
				struct mirvol_plex **taken, unsigned int *nr)
{
	__mirvol_volume_destroy(vol, MIRVOL_TD_TAKE, taken, nr);
}
