// SPDX-License-Identifier: GPL-2.0
/*
 * mirvol break-plex and remove-plex: a plex leaves its volume, to become
 * a volume of its own holding a point-in-time copy (VDS's
 * IVdsVolume::BreakPlex), or to be given back erased.
 *
 * The ioctl checks the rules and reserves the operation under the
 * volume's lock (break also takes the new volume's name and UUID in the
 * registry).  The work then freezes the file systems (break), takes the
 * lock again, suspends I/O, flushes every plex, looks the plex up again by
 * UUID (a returning member may have replaced a missing one) and checks
 * the same rules once more before it detaches the plex and writes the
 * remaining plexes' superblocks.  The operation holds a reference on the
 * plex from the detach on; the plex is never reached through a pointer
 * kept across a lock drop.
 *
 * Break prepares, then commits, as LVM makes its devices before it
 * suspends the origin: what of the new volume can fail, or waits for
 * other tasks, comes before the split: its bitmap at the reservation, its
 * block device (add_disk(), empty: capacity 0, mirvol_volume_start_empty())
 * before the freeze.  In the volume's I/O suspension the plex only moves
 * into the new volume, gives it its queue limits (a failure there would
 * leave it without the plex's write cache and FUA) and gets its
 * superblock (GFP_NOIO, no sysfs, no
 * waiting for another task: the swap or the writeback reclaim needs may be
 * on this volume); when that fails the split is undone exactly, for the
 * plex missed no write.  The new volume gets its size, sysfs, links and
 * partitions once the volume's I/O is resumed (mirvol_volume_fill()); a
 * disk not used is deleted then too.
 *
 * Copyright (C) 2026 The mirvol authors
 */
#include <linux/blkdev.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>

#include "mirvol_core.h"

/**
 * struct mirvol_split - a break-plex or remove-plex operation
 * @op: the operation
 * @plex_uuid: the plex, looked up again under the lock
 * @new: break: the new volume, listed hidden, referenced; its size, bitmap
 *	and split fields are set at the reservation (mirvol_break_prepare()),
 *	its block device (empty) before the split (mirvol_break_add_disk())
 * @track: break --track-changes: both volumes keep a change map
 * @tracking: the volume records the split (undone if the break fails)
 */
struct mirvol_split {
	struct mirvol_operation op;
	uuid_t plex_uuid;
	struct mirvol_volume *new;
	bool track;
	bool tracking;
};

static struct mirvol_split *to_split(struct mirvol_operation *op)
{
	return container_of(op, struct mirvol_split, op);
}

/* What a plex was in the volume it leaves, to put it back so. */
struct mirvol_plex_was {
	unsigned int index;
	unsigned int state;
	unsigned int boot;
	sector_t sync_offset;
	u64 gone_generation;
	bool write_mostly;
	bool partial;
	bool full_copy;
	unsigned int sync_rewinds;
};

static void mirvol_split_release(struct mirvol_operation *op)
{
	struct mirvol_split *sp = to_split(op);

	if (sp->new)
		mirvol_volume_put(sp->new);
	kfree(sp);
}

/**
 * struct mirvol_freeze - the block devices of a volume frozen for a split
 * @files: the whole disk and each partition, opened (not exclusively)
 * @nr: entries in @files
 */
struct mirvol_freeze {
	struct file *files[MIRVOL_MINORS];
	unsigned int nr;
};

static void mirvol_thaw_all(struct mirvol_freeze *fz)
{
	while (fz->nr) {
		struct file *file = fz->files[--fz->nr];

		bdev_thaw(file_bdev(file));
		fput(file);
	}
	/* A kernel thread's fput() is deferred: no opener may linger. */
	flush_delayed_fput();
}

/*
 * Freeze every file system on the volume, on the whole disk or on any
 * partition, so that the split-off copy is clean, not only crash
 * consistent; devices without one are synced.  Each is held open so it
 * cannot go away meanwhile.  On failure nothing stays frozen.
 *
 * The devices are found by number under RCU, then opened by number (no
 * exported call takes a reference on a block_device found so): a
 * partition deleted meanwhile may have given its number to another
 * disk's device.  What was opened is used only if it is a device of the
 * volume's disk, which the volume holds.
 */
static enum mirvol_reason mirvol_freeze_all(struct mirvol_volume *vol,
					    struct mirvol_freeze *fz)
{
	dev_t devts[MIRVOL_MINORS];
	struct block_device *part;
	unsigned int i, nr = 0;
	struct gendisk *disk;
	unsigned long idx;
	int err = 0;

	fz->nr = 0;
	mutex_lock(&vol->lock);
	if (!test_bit(MIRVOL_VOL_STARTED, &vol->flags) ||
	    test_bit(MIRVOL_VOL_DEAD, &vol->flags)) {
		mutex_unlock(&vol->lock);
		return MIRVOL_R_NONE;	/* the split finds out */
	}
	/* Compared with below: it must not be freed, and another made there. */
	disk = vol->disk;
	get_device(disk_to_dev(disk));
	rcu_read_lock();
	xa_for_each(&disk->part_tbl, idx, part)
		if (nr < MIRVOL_MINORS)
			devts[nr++] = part->bd_dev;
	rcu_read_unlock();
	mutex_unlock(&vol->lock);
	MIRVOL_KUNIT_HOOK(mirvol_kunit_freeze_hook, devts, nr);
	for (i = 0; i < nr; i++) {
		struct file *file = bdev_file_open_by_dev(devts[i], BLK_OPEN_READ,
							  NULL, NULL);

		if (IS_ERR(file))
			continue;	/* a partition deleted meanwhile */
		if (file_bdev(file)->bd_disk != disk) {
			/* Deleted, and its number another disk's now. */
			fput(file);
			continue;
		}
		err = bdev_freeze(file_bdev(file));
		if (err) {
			pr_err("mirvol: %s: cannot freeze %pg: %d\n", vol->name,
			       file_bdev(file), err);
			fput(file);
			mirvol_thaw_all(fz);
			break;
		}
		fz->files[fz->nr++] = file;
	}
	put_device(disk_to_dev(disk));
	return err ? MIRVOL_R_FREEZE_FAILED : MIRVOL_R_NONE;
}

/*
 * The commit of break-plex's new volume, the split's last step: the plex,
 * out of the volume's superblocks now, becomes the new volume's only
 * plex, in sync (checked, and flushed), gives the new volume's disk its
 * queue limits, and gets the new volume's bitmap image (empty) and
 * superblock.  The new volume is not started (its disk, empty, has its
 * I/O suspended: mirvol_break_add_disk()), so nothing is linked and the
 * limits change under no I/O.  The volume's I/O is still held and its file
 * systems frozen, so that a failure here is undone exactly
 * (mirvol_split_undo()).  *@written: the plex's metadata may have been
 * written over.  The caller's scope makes allocations GFP_NOIO.
 * vol->lock held (the new volume's is taken in creation order, as
 * mirvol_lock_two() does: the volume came first).
 */
static enum mirvol_reason mirvol_break_commit(struct mirvol_split *sp,
					      struct mirvol_plex *plex,
					      bool *written)
{
	struct mirvol_volume *new = sp->new;
	enum mirvol_reason reason;

	mutex_lock_nested(&new->lock, SINGLE_DEPTH_NESTING);
	mutex_lock(&new->sb_mutex);
	plex->index = 0;
	WRITE_ONCE(plex->state, MIRVOL_PLEX_ACTIVE);
	plex->sync_offset = new->size;
	plex->boot = 0;
	WRITE_ONCE(plex->write_mostly, false);
	plex->gone_generation = 0;
	plex->partial = false;
	plex->full_copy = false;
	/* Not started: nothing restacked, linked or shown in sysfs. */
	reason = mirvol_attach_plex_held(new, plex);
	/*
	 * Its queue limits now, where a failure is undone: without the
	 * plex's write cache and FUA it would strip the flushes it is sent.
	 */
	if (!reason)
		reason = mirvol_errno_reason(mirvol_volume_restack(new));
	if (!reason) {
		*written = true;
		if (mirvol_sb_init_plex(new, plex))
			reason = MIRVOL_R_IO_ERROR;
	}
	if (reason)
		mirvol_detach_plex_held(new, plex);
	mutex_unlock(&new->sb_mutex);
	mutex_unlock(&new->lock);
	return reason;
}

/*
 * The split failed after the plex left the volume: it comes back into its
 * slot, in its state, as replace's old plex does, and the call changes
 * nothing.  It missed no write: I/O has been held since before the flush
 * that preceded the split (and sb_plexes, only set by an update that
 * succeeded, still has it).  When the new volume's metadata may be on it
 * (@written), it first gets the volume's again as a joining device does
 * (mirvol_sb_join_plex(): the bitmap image, then a superblock one
 * generation ahead, a tracked split forgotten before it): a power cut
 * before the update below finds it in the new volume alone, or in this
 * one, never in both.  One that cannot take that is failed, and the
 * update records it failed.  The update records it all, and what the
 * failed update failed meanwhile (a plex that cannot flush is failed now
 * that it is not the last in-sync plex).  Its holder
 * link and plexN/ directory never left (mirvol_detach_plex_held()).
 * vol->lock held, I/O suspended, allocations GFP_NOIO.
 */
static void mirvol_split_undo(struct mirvol_split *sp,
			      struct mirvol_plex *plex,
			      const struct mirvol_plex_was *was, bool written)
{
	struct mirvol_volume *vol = sp->op.vol;
	u64 split_generation = vol->split_generation;
	bool tracked = sp->tracking;

	mutex_lock(&vol->sb_mutex);
	/*
	 * The split ends with the update, and first with the join: the
	 * join's superblock, the newest after a power cut before that
	 * update, must not track it either (its bits would never clear).
	 */
	if (tracked) {
		memset(&vol->split_peer, 0, sizeof(vol->split_peer));
		vol->split_generation = 0;
		sp->tracking = false;
	}
	plex->index = was->index;
	WRITE_ONCE(plex->state, was->state);
	plex->boot = was->boot;
	plex->sync_offset = was->sync_offset;
	plex->gone_generation = was->gone_generation;
	WRITE_ONCE(plex->write_mostly, was->write_mostly);
	plex->partial = was->partial;
	plex->full_copy = was->full_copy;
	mirvol_attach_plex_held(vol, plex);
	/* The syncing plexes were rewound meanwhile: so is this one. */
	if (was->state == MIRVOL_PLEX_SYNCING &&
	    vol->sync_rewinds != was->sync_rewinds)
		mirvol_rewind_syncing(vol);
	if (written && mirvol_sb_join_plex(vol, plex)) {
		pr_err("mirvol: %s: plex %u cannot take the volume's superblock back\n",
		       vol->name, plex->index);
		mirvol_plex_error(plex, true);
	}
	if (mirvol_sb_update_locked(vol) && tracked) {
		/*
		 * The superblocks still track the split: so does the volume
		 * (forgotten in memory only, its bits would be cleared while
		 * they count on them, bitmap rule 3); set --forget-split
		 * ends it.
		 */
		uuid_copy(&vol->split_peer, &sp->new->uuid);
		vol->split_generation = split_generation;
		mirvol_sb_update_locked(vol);
		pr_warn("mirvol: %s: still tracks its split from %pUb: the superblocks could not record its end (set --forget-split ends it)\n",
			vol->name, &sp->new->uuid);
	}
	mutex_unlock(&vol->sb_mutex);
}

/*
 * Check the rules again and take the plex out of the volume: I/O is
 * drained, every plex flushed so that all completed writes are durable
 * on it (a plex that fails the flush is failed, and the rules see it),
 * the superblocks of the others record that it left, and (break) the
 * plex becomes the new volume's (mirvol_break_commit()); only then do
 * writes resume without it.  Nothing in the suspension waits for another
 * task: the plex's plexN/ directory and holder link go after the resume.
 * Returns the plex, referenced, in *plexp.  When a step after the detach
 * fails, the plex comes back (mirvol_split_undo()): nothing changed.
 * vol->lock held.
 */
static enum mirvol_reason mirvol_split_off(struct mirvol_split *sp,
					   struct mirvol_plex **plexp)
{
	struct mirvol_volume *vol = sp->op.vol;
	unsigned int type = sp->op.kind->type;
	struct mirvol_plex_was was;
	struct mirvol_rule_vol rv;
	enum mirvol_reason reason;
	struct mirvol_plex *plex;
	bool written = false;
	unsigned int noio;

	lockdep_assert_held(&vol->lock);
	reason = mirvol_op_stop_reason(&sp->op);
	if (reason)
		return reason;
	if (test_bit(MIRVOL_VOL_DEAD, &vol->flags))
		return MIRVOL_R_OBJECT_DELETED;
	mirvol_suspend_io(vol);
	mutex_lock(&vol->sb_mutex);
	mirvol_flush_plexes(vol);
	mutex_unlock(&vol->sb_mutex);
	plex = mirvol_plex_find(vol, sp->plex_uuid.b);
	mirvol_rules_snapshot(vol, &rv);
	rv.busy = false;		/* the volume's operation is this one */
	reason = type == MIRVOL_OP_BREAK_PLEX ?
		 mirvol_check_break(&rv, plex ? (int)plex->index : -1) :
		 mirvol_check_remove_plex(&rv, plex ? (int)plex->index : -1);
	if (reason) {
		mirvol_resume_io(vol);
		return reason;
	}
	/*
	 * The point of no return: a stop asked from here on (the volume's
	 * removal) is too late, and the operation ends with its own result,
	 * for the plex has left (and break-plex makes its volume).
	 */
	if (!mirvol_op_enter_final(&sp->op)) {
		mirvol_resume_io(vol);
		return mirvol_op_stop_reason(&sp->op);
	}
	mirvol_plex_get(plex);
	/* A writeback into this volume, held, would never end. */
	noio = memalloc_noio_save();
	mutex_lock(&vol->sb_mutex);
	/* Under sb_mutex: a failed flush may rewind its checkpoint. */
	was = (struct mirvol_plex_was) {
		.index = plex->index,
		.state = plex->state,
		.boot = plex->boot,
		.sync_offset = plex->sync_offset,
		.gone_generation = plex->gone_generation,
		.write_mostly = plex->write_mostly,
		.partial = plex->partial,
		.full_copy = plex->full_copy,
		.sync_rewinds = vol->sync_rewinds,
	};
	mirvol_detach_plex_held(vol, plex);
	if (sp->track) {
		/*
		 * From here the bitmap keeps every region written after the
		 * split (rule 3: nothing is cleared while a split is tracked);
		 * what it holds already only adds to what a merge copies.
		 */
		uuid_copy(&vol->split_peer, &sp->new->uuid);
		vol->split_generation = vol->generation;
		sp->tracking = true;
	}
	/* The in-sync plexes could not record that it left: it stays. */
	if (mirvol_sb_update_locked(vol))
		reason = MIRVOL_R_IO_ERROR;
	mutex_unlock(&vol->sb_mutex);
	if (!reason)
		MIRVOL_KUNIT_HOOK(mirvol_kunit_split_hook, vol);
	if (!reason && sp->new)
		reason = mirvol_break_commit(sp, plex, &written);
	if (reason)
		mirvol_split_undo(sp, plex, &was, written);
	memalloc_noio_restore(noio);
	mirvol_resume_io(vol);
	if (reason) {
		pr_warn("mirvol: %s: plex %u stays: its %s failed (%s)\n",
			vol->name, plex->index,
			type == MIRVOL_OP_BREAK_PLEX ? "break" : "removal",
			mirvol_reason_str(reason));
		mirvol_plex_put(plex);
		return reason;
	}
	/* What the detach left, now that I/O flows again. */
	mirvol_detach_plex_finish(vol, plex);
	*plexp = plex;
	return MIRVOL_R_NONE;
}

/*
 * Everything of the new volume that can fail without a disk is done at
 * the reservation (prepare, then commit): its size and its bitmap, empty,
 * of the volume's region size (the plex is in sync at the split, and
 * flushed).  With --track-changes it records the volume as its split
 * peer, its empty bitmap mapping what changes on it.  vol->lock held: the
 * size and the bitmap do not change until the operation ends.
 */
static enum mirvol_reason mirvol_break_prepare(struct mirvol_split *sp)
{
	struct mirvol_volume *vol = sp->op.vol;
	struct mirvol_volume *new = sp->new;

	lockdep_assert_held(&vol->lock);
	new->size = vol->size;
	new->generation = 1;
	if (vol->bitmap) {
		new->bitmap = mirvol_bitmap_create(new,
				mirvol_bitmap_region_sectors(vol->bitmap));
		if (!new->bitmap)
			return MIRVOL_R_NO_MEMORY;
		new->bitmap->cleared_gen = 1;
	}
	if (sp->track) {
		uuid_copy(&new->split_peer, &vol->uuid);
		new->split_generation = new->generation;
	}
	return MIRVOL_R_NONE;
}

/*
 * The new volume's block device, before anything is frozen or held:
 * add_disk() waits for kdevtmpfs, whose reclaim may write to the volume
 * broken from.  Empty (capacity 0, not started, no plex), its I/O
 * suspended until mirvol_volume_fill(): the plex moves in under that.
 */
static enum mirvol_reason mirvol_break_add_disk(struct mirvol_split *sp)
{
	struct mirvol_volume *new = sp->new;
	enum mirvol_reason reason;

	mutex_lock(&new->lock);
	reason = mirvol_volume_start_empty(new);
	if (!reason)
		mirvol_suspend_io(new);
	mutex_unlock(&new->lock);
	return reason;
}

static void mirvol_break_run(struct mirvol_operation *op)
{
	struct mirvol_split *sp = to_split(op);
	struct mirvol_volume *vol = op->vol;
	struct mirvol_plex *plex = NULL;
	enum mirvol_reason reason;
	struct mirvol_freeze fz;

	reason = mirvol_break_add_disk(sp);
	/* Mounted file systems are frozen for the instant of the split. */
	if (!reason)
		reason = mirvol_freeze_all(vol, &fz);
	if (!reason) {
		mirvol_race_window();
		mutex_lock(&vol->lock);
		reason = mirvol_split_off(sp, &plex);
		mutex_unlock(&vol->lock);
		mirvol_thaw_all(&fz);
	}
	if (!reason)
		MIRVOL_KUNIT_HOOK(mirvol_kunit_break_hook, sp->new);
	mutex_lock(&sp->new->lock);
	if (reason) {
		/*
		 * Nothing changed: the name and UUID are free again, the
		 * disk, unused, goes (del_gendisk(): no I/O held any more).
		 */
		if (sp->new->disk)
			mirvol_resume_io(sp->new);
		mirvol_volume_kill(sp->new, false);
		mutex_unlock(&sp->new->lock);
		mirvol_volume_destroy(sp->new, false);
	} else {
		/* Its size, sysfs, links and partitions; I/O resumed. */
		mirvol_volume_fill(sp->new);
		mirvol_unhide(sp->new);
		mutex_unlock(&sp->new->lock);
		mirvol_plex_put(plex);
		mirvol_op_add_output(op, &sp->new->uuid);
	}
	mirvol_volume_put(sp->new);
	sp->new = NULL;
	mirvol_op_finish(op, reason);
}

static void mirvol_remove_plex_run(struct mirvol_operation *op)
{
	struct mirvol_split *sp = to_split(op);
	struct mirvol_volume *vol = op->vol;
	struct mirvol_plex *plex = NULL;
	enum mirvol_reason reason;

	mutex_lock(&vol->lock);
	reason = mirvol_split_off(sp, &plex);
	mutex_unlock(&vol->lock);
	if (reason)
		goto out;
	/* The plex has left (the others recorded it): past return. */
	reason = mirvol_sb_erase(vol, plex, "removed plex ");
	mirvol_plex_put(plex);	/* gives the device back */
out:
	mirvol_op_finish(op, reason);
}

static const struct mirvol_op_kind mirvol_break_type = {
	.type		= MIRVOL_OP_BREAK_PLEX,
	.run		= mirvol_break_run,
	.release	= mirvol_split_release,
};

static const struct mirvol_op_kind mirvol_remove_plex_type = {
	.type		= MIRVOL_OP_REMOVE_PLEX,
	.run		= mirvol_remove_plex_run,
	.release	= mirvol_split_release,
};

/* Check the rules, reserve and commit; vol->lock held. */
static enum mirvol_reason mirvol_split_start(struct mirvol_split *sp,
					     struct mirvol_plex **plexp)
{
	struct mirvol_volume *vol = sp->op.vol;
	struct mirvol_rule_vol rv;
	struct mirvol_plex *plex;
	enum mirvol_reason reason;
	int slot;

	if (test_bit(MIRVOL_VOL_DEAD, &vol->flags))
		return MIRVOL_R_OBJECT_NOT_FOUND;
	plex = mirvol_plex_find(vol, sp->plex_uuid.b);
	slot = plex ? (int)plex->index : -1;
	mirvol_rules_snapshot(vol, &rv);
	reason = sp->op.kind->type == MIRVOL_OP_BREAK_PLEX ?
		 mirvol_check_break(&rv, slot) :
		 mirvol_check_remove_plex(&rv, slot);
	if (reason)
		return reason;
	/*
	 * The volume's bitmap and split fields change only under its lock
	 * and with no operation running: this one holds both from the
	 * reservation on.
	 */
	if (sp->track && !vol->bitmap)
		return MIRVOL_R_NO_BITMAP;
	if (sp->track && vol->split_generation)
		return MIRVOL_R_SPLIT_TRACKED;
	*plexp = plex;
	return MIRVOL_R_NONE;
}

/**
 * mirvol_break_plex - break-plex: a plex becomes a volume of its own
 * @vol: the volume, referenced by the caller
 * @plex_uuid: the plex
 * @new_name: the new volume's name, "" for the default
 * @track: --track-changes: both volumes keep a change map for merge-plex
 * @new_uuid: out: the new volume's UUID
 * @name_out: out: the name used (MIRVOL_NAME_LEN bytes)
 * @op_id: out: the operation
 *
 * Context: no lock held.
 * Return: MIRVOL_R_NONE or why not.
 */
enum mirvol_reason mirvol_break_plex(struct mirvol_volume *vol,
				     const u8 *plex_uuid,
				     const char *new_name, bool track,
				     uuid_t *new_uuid, char *name_out,
				     u64 *op_id)
{
	char name[MIRVOL_NAME_LEN];
	enum mirvol_reason reason;
	struct mirvol_split *sp;
	struct mirvol_plex *plex;

	sp = kzalloc(sizeof(*sp), GFP_KERNEL);
	if (!sp)
		return MIRVOL_R_NO_MEMORY;
	mirvol_op_init(&sp->op, &mirvol_break_type, vol);
	import_uuid(&sp->plex_uuid, plex_uuid);
	sp->track = track;

	mutex_lock(&vol->lock);
	reason = mirvol_split_start(sp, &plex);
	if (reason)
		goto out_unlock;
	if (new_name[0])
		strscpy(name, new_name, sizeof(name));
	else
		mirvol_break_name(name, vol->name, plex->index);
	sp->new = mirvol_volume_alloc(name, NULL);
	if (!sp->new) {
		reason = MIRVOL_R_NO_MEMORY;
		goto out_unlock;
	}
	reason = mirvol_break_prepare(sp);
	if (reason)
		goto out_unlock;
	/* The name and UUID are the new volume's from here on. */
	reason = mirvol_register(sp->new, true, NULL);
	if (reason)
		goto out_unlock;
	reason = mirvol_op_reserve(&sp->op);
	if (reason) {
		mirvol_unregister(sp->new);
		goto out_unlock;
	}
	uuid_copy(new_uuid, &sp->new->uuid);
	strscpy(name_out, name, MIRVOL_NAME_LEN);
	mirvol_op_set_progress(&sp->op, 0, 1);
	mirvol_op_commit(&sp->op);
	*op_id = sp->op.id;
out_unlock:
	mutex_unlock(&vol->lock);
	mirvol_op_put(&sp->op);
	return reason;
}

/**
 * mirvol_remove_plex - remove-plex: drop a plex and give its device back
 * @vol: the volume, referenced by the caller
 * @plex_uuid: the plex
 * @op_id: out: the operation
 *
 * Context: no lock held.
 * Return: MIRVOL_R_NONE or why not.
 */
enum mirvol_reason mirvol_remove_plex(struct mirvol_volume *vol,
				      const u8 *plex_uuid, u64 *op_id)
{
	enum mirvol_reason reason;
	struct mirvol_split *sp;
	struct mirvol_plex *plex;

	sp = kzalloc(sizeof(*sp), GFP_KERNEL);
	if (!sp)
		return MIRVOL_R_NO_MEMORY;
	mirvol_op_init(&sp->op, &mirvol_remove_plex_type, vol);
	import_uuid(&sp->plex_uuid, plex_uuid);

	mutex_lock(&vol->lock);
	reason = mirvol_split_start(sp, &plex);
	if (!reason)
		reason = mirvol_op_reserve(&sp->op);
	if (!reason) {
		mirvol_op_add_output(&sp->op, &plex->uuid);
		mirvol_op_set_progress(&sp->op, 0, 1);
		mirvol_op_commit(&sp->op);
		*op_id = sp->op.id;
	}
	mutex_unlock(&vol->lock);
	mirvol_op_put(&sp->op);
	return reason;
}
