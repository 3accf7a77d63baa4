// SPDX-License-Identifier: GPL-2.0
/*
 * mirvol add-plex: a block device, or every plex of another volume
 * (--from-volume), joins a volume as new syncing plexes, and a resync
 * copies the data onto them (VDS's IVdsLun::AddPlex).
 *
 * Prepare (both volumes locked, in mirvol_lock_two() order): the rules
 * are checked, the source volume is killed in the same hold (it must not
 * be open; from here on it cannot be opened), the operation is reserved
 * on the target.  Unlocked: the device is opened, or the source volume is
 * dissolved and its plexes taken.  Commit (target locked): the operation
 * must not have been asked to stop, the rules are checked again with the
 * plexes as they are now, each plex must fit (mirvol_check_member()),
 * then they are attached with I/O suspended and the resync is queued.
 * If anything fails before the resync is queued, the plexes are given
 * back: a device as it was (erased if it got the target's superblock), a
 * source volume's plexes with its metadata, which is saved before the
 * join writes over it and written back, so that it can be assembled
 * again.
 *
 * Copyright (C) 2026 The mirvol authors
 */
#include <linux/blkdev.h>
#include <linux/fs.h>
#include <linux/slab.h>

#include "mirvol_core.h"

/**
 * struct mirvol_add - an add-plex operation
 * @op: the operation
 * @src: --from-volume: the source volume during mirvol_add_plex() (the
 *	caller's reference), else NULL: an ended operation in the table
 *	must pin no volume (each pins the module)
 * @plexes: the plexes to add, each referenced
 * @nr: entries in @plexes
 * @inited: per entry of @plexes (bit), it got the target's superblock
 * @saved: --from-volume and merge: per entry of @plexes, the source's
 *	metadata the join writes over, until the add is committed: a
 *	failed attach writes it back
 * @displaced: per entry of @plexes, the missing plex whose slot it took
 *	(mirvol_free_slot()), referenced, until the operation cannot be
 *	undone any more: an undo puts it back
 * @old: replace: the plex that leaves once the new one is in sync,
 *	referenced; else NULL
 * @merge: merge-plex: the source's change map since the split, to be set
 *	in the target's bitmap; the source's plexes join as partial targets.
 *	Allocated by the rule check, filled once the source is killed
 */
struct mirvol_add {
	struct mirvol_operation op;
	struct mirvol_volume *src;
	struct mirvol_plex *plexes[MIRVOL_MAX_PLEXES];
	unsigned int nr;
	u8 inited;
	struct mirvol_meta_copy saved[MIRVOL_MAX_PLEXES];
	struct mirvol_plex *displaced[MIRVOL_MAX_PLEXES];
	struct mirvol_plex *old;
	unsigned long *merge;
};

static struct mirvol_add *to_add(struct mirvol_operation *op)
{
	return container_of(op, struct mirvol_add, op);
}

/*
 * Drop the operation's references on its plexes (an ended operation stays
 * in the table a while: it must not keep a device claimed).
 */
static void mirvol_add_drop(struct mirvol_add *a)
{
	unsigned int i;

	for (i = 0; i < a->nr; i++) {
		if (a->displaced[i]) {
			mirvol_plex_put(a->displaced[i]);
			a->displaced[i] = NULL;
		}
		mirvol_sb_free_meta(&a->saved[i]);
	}
	while (a->nr)
		mirvol_plex_put(a->plexes[--a->nr]);
	if (a->old) {
		mirvol_plex_put(a->old);
		a->old = NULL;
	}
}

static void mirvol_add_release(struct mirvol_operation *op)
{
	struct mirvol_add *a = to_add(op);

	mirvol_add_drop(a);
	bitmap_free(a->merge);
	kfree(a);
}

/*
 * Take the plexes out of the target again (cancel, failed attach) and
 * give the missing plexes they displaced their slots back.  Returns
 * those given back (bit per entry), for mirvol_add_give_back(); @cur
 * receives the plexes taken out, each with a reference for it.
 * vol->lock and sb_mutex held, I/O suspended if started.
 *
 * Each is looked up by UUID: a device that went away during the add and
 * came back (re-add, incremental assembly) rejoined as a new plex object
 * in its slot (mirvol_rejoin()), which holds the device now.
 */
static u8 mirvol_add_detach(struct mirvol_add *a, struct mirvol_plex **cur)
{
	struct mirvol_volume *vol = a->op.vol;
	unsigned int i;
	u8 back = 0;

	lockdep_assert_held(&vol->sb_mutex);
	for (i = 0; i < a->nr; i++) {
		cur[i] = mirvol_plex_find(vol, a->plexes[i]->uuid.b);
		if (cur[i]) {
			mirvol_plex_get(cur[i]);
			mirvol_detach_plex_held(vol, cur[i]);
		}
	}
	for (i = 0; i < a->nr; i++) {
		struct mirvol_plex *missing = a->displaced[i];

		if (missing && !vol->plexes[missing->index]) {
			mirvol_attach_plex(vol, missing);
			back |= BIT(i);
		}
	}
	/*
	 * Of the generation the joined plexes may hold (an attach whose
	 * update failed): assembly prefers an in-sync plex's superblock to
	 * theirs at the same generation (mirvol_assemble_plan()).
	 */
	mirvol_sb_update_locked(vol);
	return back;
}

/*
 * After mirvol_add_detach(), I/O running again: the plexes taken out
 * lose their holder links and plexN/, the displaced plexes @back get
 * their plexN/ back (the same name: after), and the devices are given
 * back: a source volume's plexes with its metadata written back, a
 * device that got the target's superblock erased (a plex that rejoined
 * had it: it rejoined by it).  Puts the references in @cur.  vol->lock
 * held.
 */
static void mirvol_add_give_back(struct mirvol_add *a, u8 back,
				 struct mirvol_plex **cur)
{
	struct mirvol_volume *vol = a->op.vol;
	unsigned int i;
	int err;

	lockdep_assert_held(&vol->lock);
	/* Not while I/O is held: see mirvol_attach_plex_finish(). */
	for (i = 0; i < a->nr; i++)
		if (cur[i])
			mirvol_detach_plex_finish(vol, cur[i]);
	for (i = 0; i < a->nr; i++) {
		if (back & BIT(i))
			mirvol_attach_plex_finish(vol, a->displaced[i]);
		else if (a->displaced[i])
			mirvol_detach_plex_finish(vol, a->displaced[i]);
	}
	for (i = 0; i < a->nr; i++) {
		struct mirvol_plex *plex = cur[i] ?: a->plexes[i];

		if (a->saved[i].pages) {
			/*
			 * Written back whether the join got to it or not
			 * (--from-volume, merge: a->src is set until the
			 * commit, and the copies go at the commit).
			 */
			err = mirvol_sb_restore_meta(plex, &a->saved[i]);
			if (!err) {
				pr_info("mirvol: plex %pUb of %s given back with its metadata\n",
					&plex->uuid, a->src->name);
				continue;
			}
			pr_err("mirvol: plex %pUb of %s: cannot write its metadata back: %d\n",
			       &plex->uuid, a->src->name, err);
		}
		/*
		 * Only what got the target's superblock is ours: a source's
		 * plex the join never wrote keeps its own superblock.  An
		 * unwinding: the add already fails with its own reason,
		 * which a failed erase does not replace.
		 */
		if (a->inited & BIT(i))
			mirvol_sb_wipe(plex);
	}
	for (i = 0; i < a->nr; i++)
		if (cur[i])
			mirvol_plex_put(cur[i]);
	a->inited = 0;
	mirvol_add_drop(a);
}

/*
 * Are the add's plexes the only ones in sync, one of them at least?  A
 * resync promotes a target before its point of no return when another
 * plex still has to be copied (one that came back during the add), and
 * the volume's own in-sync plexes may have left since.  sb_mutex held,
 * I/O suspended if started.
 */
static bool mirvol_add_holds_data(struct mirvol_add *a)
{
	struct mirvol_volume *vol = a->op.vol;
	bool ours_in_sync = false;
	unsigned int i, j;

	lockdep_assert_held(&vol->sb_mutex);
	for (i = 0; i < MIRVOL_MAX_PLEXES; i++) {
		struct mirvol_plex *plex = vol->plexes[i];
		bool ours = false;

		if (!plex || !mirvol_state_readable(plex->state))
			continue;
		for (j = 0; j < a->nr && !ours; j++)
			ours = uuid_equal(&plex->uuid, &a->plexes[j]->uuid);
		if (!ours)
			return false;
		ours_in_sync = true;
	}
	return ours_in_sync;
}

/*
 * Undo an add whose plexes are attached (a cancel).  Not when its plexes
 * are the only in-sync ones (mirvol_add_holds_data()): taking them out
 * and erasing them would fail the volume and throw away the only whole
 * copy of its data.  Returns whether it was undone.  vol->lock held.
 */
static bool mirvol_add_undo(struct mirvol_add *a)
{
	struct mirvol_volume *vol = a->op.vol;
	bool started = test_bit(MIRVOL_VOL_STARTED, &vol->flags);
	struct mirvol_plex *cur[MIRVOL_MAX_PLEXES] = {};
	u8 back = 0;
	bool undo;

	lockdep_assert_held(&vol->lock);
	if (started)
		mirvol_suspend_io(vol);
	mutex_lock(&vol->sb_mutex);
	undo = !mirvol_add_holds_data(a);
	if (undo)
		back = mirvol_add_detach(a, cur);
	mutex_unlock(&vol->sb_mutex);
	if (started)
		mirvol_resume_io(vol);
	if (!undo)
		return false;
	mirvol_add_give_back(a, back, cur);
	return true;
}

/*
 * Replace: the new plex is in sync; the old one leaves, its metadata
 * erased and its device given back.  Returns why not (the old plex then
 * stays: redundancy never drops).
 *
 * Judged with I/O drained and the plexes flushed, as break-plex does: a
 * write in flight may still fail the new plex.  Both plexes are looked
 * up by UUID (a device that went and came back, re-added or assembled
 * incrementally, is a new plex object in its slot: mirvol_rejoin()),
 * and the old one comes back if the update that records its leaving
 * fails or the new plex fails on the way.
 */
static enum mirvol_reason mirvol_replace_finish(struct mirvol_add *a)
{
	struct mirvol_volume *vol = a->op.vol;
	unsigned int new_index = a->plexes[0]->index;
	enum mirvol_reason reason = MIRVOL_R_NONE;
	struct mirvol_plex *new, *old;

	MIRVOL_KUNIT_HOOK(mirvol_kunit_replace_hook, a->plexes[0]);
	mutex_lock(&vol->lock);
	if (test_bit(MIRVOL_VOL_DEAD, &vol->flags)) {
		mutex_unlock(&vol->lock);
		return MIRVOL_R_OBJECT_DELETED;
	}
	mirvol_suspend_io(vol);
	mutex_lock(&vol->sb_mutex);
	mirvol_flush_plexes(vol);
	old = mirvol_plex_find(vol, a->old->uuid.b);
	new = mirvol_plex_find(vol, a->plexes[0]->uuid.b);
	if (!new || READ_ONCE(new->state) != MIRVOL_PLEX_ACTIVE) {
		reason = MIRVOL_R_PLEX_NOT_IN_SYNC;
		old = NULL;
	} else if (old) {
		bool boot = new->boot, write_mostly = new->write_mostly;

		/* Gone already (its slot taken by the new plex) if not. */
		mirvol_plex_get(old);
		new->boot = old->boot;
		WRITE_ONCE(new->write_mostly, old->write_mostly);
		/* Its holder link and plexN/ go after the resume. */
		mirvol_detach_plex_held(vol, old);
		if (mirvol_sb_update_locked(vol))
			reason = MIRVOL_R_IO_ERROR;
		else if (READ_ONCE(new->state) != MIRVOL_PLEX_ACTIVE)
			reason = MIRVOL_R_PLEX_NOT_IN_SYNC;
		if (reason) {
			/* I/O is still drained: it missed nothing. */
			new->boot = boot;
			WRITE_ONCE(new->write_mostly, write_mostly);
			mirvol_attach_plex_held(vol, old);
			mirvol_sb_update_locked(vol);
		}
	}
	mutex_unlock(&vol->sb_mutex);
	mirvol_resume_io(vol);
	if (old && !reason)
		mirvol_detach_plex_finish(vol, old);
	mutex_unlock(&vol->lock);
	if (!old)
		return reason;
	if (!reason) {
		pr_info("mirvol: %s: plex %u replaced by plex %u\n", vol->name,
			old->index, new_index);
		/* Not an unwinding: the replace is done, past return. */
		MIRVOL_KUNIT_HOOK(mirvol_kunit_replaced_hook, old);
		reason = mirvol_sb_erase(vol, old, "replaced plex ");
	} else {
		pr_warn("mirvol: %s: plex %u stays: its replacement, plex %u, is not in sync\n",
			vol->name, old->index, new_index);
	}
	mirvol_plex_put(old);
	return reason;
}

static void mirvol_add_run(struct mirvol_operation *op)
{
	struct mirvol_add *a = to_add(op);
	struct mirvol_volume *vol = op->vol;
	enum mirvol_reason reason;
	unsigned int i;
	u8 own = 0;
	int err;

	/*
	 * Its plexes are the copy's targets from the start, by their slots
	 * (one that rejoins takes its slot again: mirvol_rejoin()): one
	 * that leaves before the first pass looks (taken offline, failed,
	 * unplugged) fails the add as during the copy.
	 */
	for (i = 0; i < a->nr; i++)
		own |= BIT(a->plexes[i]->index);
	err = mirvol_resync_run(op, vol, -1, false, &own, &reason);
	/*
	 * Undone if cancelled before this point; a cancel after it is too
	 * late: the plexes stay (and replace's old plex leaves).  A copy
	 * that promoted its last plexes passed it already
	 * (mirvol_resync_end()).  One cancelled before may have promoted
	 * some (another plex was still to copy): if they are the only
	 * plexes in sync now, the cancel is refused and the add goes on,
	 * unless the volume's removal came meanwhile: it ends with that.
	 */
	if (!mirvol_op_enter_final(op)) {
		bool undone = true, go_on;

		if (mirvol_op_stop_reason(op) == MIRVOL_R_OPERATION_CANCELED) {
			mutex_lock(&vol->lock);
			undone = mirvol_add_undo(a);
			mutex_unlock(&vol->lock);
		}
		if (undone)
			goto out;
		go_on = mirvol_op_refuse_cancel(op);
		pr_warn("mirvol: %s: operation %llu (%s) not cancelled: its plexes are the only ones in sync; %s\n",
			vol->name, op->id, mirvol_op_type_name(op->kind->type),
			go_on ? "it goes on" : "the volume goes away");
		if (!go_on)
			goto out;
		err = mirvol_resync_run(op, vol, -1, false, &own, &reason);
		/*
		 * Final now, so mirvol_op_finish() keeps the reason given:
		 * a copy the volume's removal stopped (-ECANCELED, no
		 * reason) must not end as a success.
		 */
		if (err && !reason)
			reason = mirvol_op_stop_reason(op);
	}
	if (!err && a->old) {
		reason = mirvol_replace_finish(a);
		err = reason ? -EIO : 0;
	}
out:
	/*
	 * The volume holds the plexes now.  SOURCE_READ_ERROR leaves them
	 * syncing: 'mirvolctl resync --force' copies around the range.  A
	 * plex that left before it was in sync (IO_ERROR: failed or gone;
	 * PLEX_OFFLINE: taken offline) stays so, and replace's old plex
	 * stays in the mirror.
	 */
	mirvol_add_drop(a);
	MIRVOL_KUNIT_HOOK(mirvol_kunit_add_done_hook, op);
	mirvol_op_finish(op, err ? reason : MIRVOL_R_NONE);
}

static const struct mirvol_op_kind mirvol_add_type = {
	.type		= MIRVOL_OP_ADD_PLEX,
	.cancellable	= true,
	.run		= mirvol_add_run,
	.release	= mirvol_add_release,
};

static const struct mirvol_op_kind mirvol_merge_type = {
	.type		= MIRVOL_OP_MERGE,
	.cancellable	= true,
	.run		= mirvol_add_run,
	.release	= mirvol_add_release,
};

static const struct mirvol_op_kind mirvol_replace_type = {
	.type		= MIRVOL_OP_REPLACE,
	.cancellable	= true,
	.run		= mirvol_add_run,
	.release	= mirvol_add_release,
};

/*
 * The data a plex can hold, or 0: from the default metadata area's end,
 * where an add puts its data, or (@merge) from its own data offset, which
 * a merge keeps (the data outside the changed regions is there).
 */
static u64 mirvol_plex_capacity(struct mirvol_plex *plex, bool merge)
{
	sector_t off = merge ? plex->data_offset : MIRVOL_DATA_OFFSET_SECTORS;

	if (plex->dev_sectors < off)
		return 0;
	return plex->dev_sectors - off;
}

/* The add rule's view of plexes to add (@merge: merge-plex's). */
static void mirvol_add_rule_plexes(struct mirvol_volume *vol,
				   struct mirvol_plex **plexes, unsigned int n,
				   bool merge, struct mirvol_rule_add *ra)
{
	unsigned int i;

	ra->nr_new = n;
	ra->min_size = U64_MAX;
	for (i = 0; i < n; i++) {
		ra->min_size = min(ra->min_size,
				   mirvol_plex_capacity(plexes[i], merge));
		if (vol->disk && plexes[i]->bdev &&
		    bdev_logical_block_size(plexes[i]->bdev) >
		    queue_logical_block_size(vol->disk->queue))
			ra->lbs_larger = true;
	}
}

/* The add rule's view of a source volume; both locks held. */
static void mirvol_add_rule_src(struct mirvol_volume *vol,
				struct mirvol_volume *src, bool merge,
				struct mirvol_rule_add *ra)
{
	struct mirvol_plex *plexes[MIRVOL_MAX_PLEXES];
	unsigned int i, n = 0;

	ra->is_target = src == vol;
	ra->src_busy = src->op != NULL;
	ra->src_not_online = !test_bit(MIRVOL_VOL_STARTED, &src->flags) ||
			     READ_ONCE(src->state) == MIRVOL_VOLUME_FAILED;
	if (src->disk) {
		mutex_lock(&src->disk->open_mutex);
		ra->src_open = disk_openers(src->disk) > 0;
		mutex_unlock(&src->disk->open_mutex);
	}
	for (i = 0; i < MIRVOL_MAX_PLEXES; i++) {
		struct mirvol_plex *p = src->plexes[i];

		if (p && p->bdev && p->state != MIRVOL_PLEX_FAILED)
			plexes[n++] = p;
	}
	mirvol_add_rule_plexes(vol, plexes, n, merge, ra);
}

/*
 * merge-plex: @src must be @vol's split peer and @vol @src's.  Checked
 * before anything else: whatever else @src is (open, busy, without a
 * bitmap), a volume that is no split peer cannot be merged.  Both locks
 * held.
 */
static enum mirvol_reason mirvol_merge_check_pair(struct mirvol_volume *vol,
						  struct mirvol_volume *src)
{
	if (!vol->split_generation || !src->split_generation ||
	    !uuid_equal(&vol->split_peer, &src->uuid) ||
	    !uuid_equal(&src->split_peer, &vol->uuid))
		return MIRVOL_R_NOT_SPLIT_PAIR;
	return MIRVOL_R_NONE;
}

/*
 * merge-plex, the pair checked: both with bitmaps of one region size over
 * one size, and every plex of @src in sync; then room for @src's change
 * map is allocated.  The map is copied only once @src is killed
 * (mirvol_add_prepare()): holding its lock stops no writer, who may open
 * it, write and close it again until then.  Both locks held.
 */
static enum mirvol_reason mirvol_merge_prepare(struct mirvol_add *a,
					       struct mirvol_volume *src)
{
	struct mirvol_volume *vol = a->op.vol;
	unsigned int i;

	if (!vol->bitmap || !src->bitmap)
		return MIRVOL_R_NO_BITMAP;
	if (vol->size != src->size ||
	    vol->bitmap->shift != src->bitmap->shift ||
	    vol->bitmap->cleared_gen > vol->split_generation ||
	    src->bitmap->cleared_gen > src->split_generation)
		return MIRVOL_R_NOT_SPLIT_PAIR;
	for (i = 0; i < MIRVOL_MAX_PLEXES; i++) {
		struct mirvol_plex *p = src->plexes[i];

		/* A missing plex stays behind; any other must be in sync. */
		if (p && p->bdev && READ_ONCE(p->state) != MIRVOL_PLEX_ACTIVE)
			return MIRVOL_R_PLEX_NOT_IN_SYNC;
	}
	a->merge = bitmap_alloc(src->bitmap->nr, GFP_KERNEL);
	return a->merge ? MIRVOL_R_NONE : MIRVOL_R_NO_MEMORY;
}

/*
 * Check the rules and reserve the target (not for a @check: a device's
 * add that only checks); with a source, kill it in the same hold of both
 * locks (it must not be open) and, merging, copy its change map then.
 * Locks held.
 */
static enum mirvol_reason mirvol_add_prepare(struct mirvol_add *a,
					     struct mirvol_volume *src,
					     const u8 *old_uuid, bool check,
					     struct mirvol_rule_add *ra)
{
	bool merge = a->op.kind == &mirvol_merge_type;
	struct mirvol_volume *vol = a->op.vol;
	struct mirvol_rule_vol rv;
	enum mirvol_reason reason;

	if (test_bit(MIRVOL_VOL_DEAD, &vol->flags) ||
	    (src && test_bit(MIRVOL_VOL_DEAD, &src->flags)))
		return MIRVOL_R_OBJECT_NOT_FOUND;
	if (old_uuid) {
		a->old = mirvol_plex_find(vol, old_uuid);
		if (!a->old)
			return MIRVOL_R_OBJECT_NOT_FOUND;
		mirvol_plex_get(a->old);
	}
	mirvol_rules_snapshot(vol, &rv);
	if (src)
		mirvol_add_rule_src(vol, src, merge, ra);
	reason = merge ? mirvol_merge_check_pair(vol, src) : MIRVOL_R_NONE;
	if (!reason)
		reason = mirvol_check_add(&rv, ra);
	if (!reason && merge)
		reason = mirvol_merge_prepare(a, src);
	/* A check reserves nothing: the rules saw the volume idle. */
	if (!reason && !check)
		reason = mirvol_op_reserve(&a->op);
	if (reason || !src)
		return reason;
	if (merge)
		MIRVOL_KUNIT_HOOK(mirvol_kunit_merge_kill_hook, src);
	/* In the same hold: nobody can open the source from here on. */
	reason = mirvol_volume_kill(src, true);
	if (reason) {
		mirvol_op_end(&a->op, reason);
		return reason;
	}
	/*
	 * Merge: killed closed, the source takes no write any more (each one
	 * completed before its last opener closed it, its bit set on disk
	 * first): its change map is final only now.
	 */
	if (merge)
		mirvol_bitmap_copy_bits(src->bitmap, a->merge);
	a->src = src;
	return MIRVOL_R_NONE;
}

/*
 * Attach the plexes as syncing members, I/O suspended.  On failure they
 * are taken out again before I/O resumes (a write the target took with
 * them attached would have reached a source's plexes), and given back.
 * vol->lock held.
 */
static enum mirvol_reason mirvol_add_attach(struct mirvol_add *a)
{
	struct mirvol_volume *vol = a->op.vol;
	enum mirvol_reason reason = MIRVOL_R_NONE;
	bool started = test_bit(MIRVOL_VOL_STARTED, &vol->flags);
	uuid_t peer = vol->split_peer;
	u64 split_generation = vol->split_generation;
	unsigned int i;
	struct mirvol_plex *cur[MIRVOL_MAX_PLEXES] = {};
	u8 back = 0;

	if (started)
		mirvol_suspend_io(vol);
	/* Merge: the changed regions on disk first, then the plexes. */
	if (a->merge && mirvol_bitmap_merge(vol->bitmap, a->merge))
		reason = MIRVOL_R_IO_ERROR;
	mutex_lock(&vol->sb_mutex);
	if (!reason)
		mirvol_sb_catch_up(vol);	/* before they are in the table */
	for (i = 0; i < a->nr && !reason; i++) {
		struct mirvol_plex *plex = a->plexes[i];
		int slot = mirvol_free_slot(vol, &a->displaced[i]);

		if (slot < 0) {
			reason = MIRVOL_R_TOO_MANY_PLEXES;
			break;
		}
		plex->index = slot;
		plex->state = MIRVOL_PLEX_SYNCING;
		plex->sync_offset = 0;
		/* Merge: it differs only in the regions set now. */
		plex->partial = !!a->merge;
		plex->boot = 0;
		plex->gone_generation = 0;
		reason = mirvol_attach_plex(vol, plex);
	}
	if (!reason && a->merge) {
		/*
		 * The peer is dissolved: the split is no longer tracked.  The
		 * bits stay while the plexes sync (rule 3).
		 */
		memset(&vol->split_peer, 0, sizeof(vol->split_peer));
		vol->split_generation = 0;
	}
	/*
	 * All attached first: each device gets the superblock of the update
	 * below, and all the same one (mirvol_sb_join_plex()).
	 */
	for (i = 0; i < a->nr && !reason; i++) {
		if (mirvol_sb_join_plex(vol, a->plexes[i]))
			reason = MIRVOL_R_IO_ERROR;
		else
			a->inited |= BIT(i);
	}
	if (!reason && mirvol_sb_update_locked(vol))
		reason = MIRVOL_R_IO_ERROR;
	if (reason) {
		/* Still tracked: the undo records it so. */
		vol->split_peer = peer;
		vol->split_generation = split_generation;
		back = mirvol_add_detach(a, cur);
	}
	mutex_unlock(&vol->sb_mutex);
	if (started)
		mirvol_resume_io(vol);
	if (reason) {
		mirvol_add_give_back(a, back, cur);
		return reason;
	}
	/* The plexN/ of a displaced plex first: the slot's name. */
	for (i = 0; i < a->nr; i++) {
		if (a->displaced[i])
			mirvol_detach_plex_finish(vol, a->displaced[i]);
		mirvol_attach_plex_finish(vol, a->plexes[i]);
	}
	return MIRVOL_R_NONE;
}

/*
 * Commit: re-check what the locks did not cover meanwhile, attach, run.
 * A @check stops before the first change (nothing written, attached or
 * queued).  vol->lock held.
 */
static enum mirvol_reason mirvol_add_commit(struct mirvol_add *a, bool check)
{
	struct mirvol_volume *vol = a->op.vol;
	struct mirvol_rule_add ra = {};
	struct mirvol_rule_vol rv;
	enum mirvol_reason reason;
	unsigned int i;

	reason = mirvol_op_stop_reason(&a->op);
	if (reason)
		return reason;
	if (test_bit(MIRVOL_VOL_DEAD, &vol->flags))
		return MIRVOL_R_OBJECT_DELETED;
	mirvol_rules_snapshot(vol, &rv);
	if (!check)
		rv.busy = false;	/* the volume's operation is this one */
	mirvol_add_rule_plexes(vol, a->plexes, a->nr, !!a->merge, &ra);
	reason = mirvol_check_add(&rv, &ra);
	/* A device too small for even the metadata says so first. */
	for (i = 0; i < a->nr && reason != MIRVOL_R_DEVICE_TOO_SMALL; i++) {
		enum mirvol_reason r;

		/*
		 * An add copies everything: mirvol's own offset.  A merge
		 * copies only the changed regions: the rest of the data is
		 * where the plex's superblock put it (checked with it).
		 */
		if (!a->merge)
			a->plexes[i]->data_offset = MIRVOL_DATA_OFFSET_SECTORS;
		r = mirvol_check_member(vol, a->plexes[i]);
		if (r == MIRVOL_R_DEVICE_TOO_SMALL || (r && !reason))
			reason = r;
	}
	if (check)
		return reason;
	/*
	 * A source's plexes: their metadata, saved before the join writes
	 * over it, goes back on them if the attach fails.
	 */
	for (i = 0; i < a->nr && a->src && !reason; i++) {
		int err = mirvol_sb_save_meta(vol, a->plexes[i], &a->saved[i]);

		if (err)
			reason = mirvol_errno_reason(err);
	}
	if (reason)
		return reason;
	reason = mirvol_add_attach(a);
	if (reason)
		return reason;
	/* Committed: a cancel from here on erases them (the copy began). */
	for (i = 0; i < a->nr; i++)
		mirvol_sb_free_meta(&a->saved[i]);
	for (i = 0; i < a->nr; i++) {
		mirvol_op_add_output(&a->op, &a->plexes[i]->uuid);
		if (a->src)
			pr_info("mirvol: plex %pUb of %s %s %s\n",
				&a->plexes[i]->uuid, a->src->name,
				a->merge ? "merges back into" : "joins",
				vol->name);
	}
	mirvol_op_set_progress(&a->op, 0, (u64)vol->size << SECTOR_SHIFT);
	mirvol_op_commit(&a->op);
	return MIRVOL_R_NONE;
}

/*
 * add-plex, or replace with @old_uuid; see mirvol_add_plex().  @check: a
 * device's add checked only (mirvol_add_plex_check()).
 */
static enum mirvol_reason __mirvol_add_plex(struct mirvol_volume *vol,
					    struct file *file,
					    struct mirvol_volume *src,
					    bool merge, const u8 *old_uuid,
					    bool check, u64 *op_id)
{
	struct mirvol_rule_add ra = {};
	enum mirvol_reason reason;
	struct mirvol_add *a;
	dev_t devt = 0;

	if (file) {
		reason = mirvol_check_device(file, &devt);
		if (reason == MIRVOL_R_INVALID_OPERATION) {
			/* A volume: add-plex --from-volume takes its plexes. */
			ra.is_mirvol_dev = true;
			ra.is_target = vol->disk &&
				       MINOR(devt) / MIRVOL_MINORS == vol->id;
		} else if (reason) {
			return reason;
		}
		ra.nr_new = 1;
		ra.min_size = U64_MAX;
	}
	a = kzalloc(sizeof(*a), GFP_KERNEL);
	if (!a)
		return MIRVOL_R_NO_MEMORY;
	mirvol_op_init(&a->op, old_uuid ? &mirvol_replace_type :
		       merge ? &mirvol_merge_type : &mirvol_add_type, vol);

	mirvol_lock_two(vol, src);
	reason = mirvol_add_prepare(a, src, old_uuid, check, &ra);
	mirvol_unlock_two(vol, src);
	if (reason)
		goto out;

	/* Reserved: open the device or dissolve the source, unlocked. */
	mirvol_race_window();
	if (src) {
		mirvol_volume_destroy_take(src, a->plexes, &a->nr);
	} else {
		struct mirvol_plex *plex = mirvol_plex_alloc();

		if (!plex) {
			reason = MIRVOL_R_NO_MEMORY;
		} else {
			uuid_gen(&plex->uuid);
			a->plexes[a->nr++] = plex;
			reason = mirvol_plex_open(plex, devt);
		}
	}

	mirvol_race_window();
	mutex_lock(&vol->lock);
	if (!reason)
		reason = mirvol_add_commit(a, check);
	if (check) {
		/* Never reserved: the device given back, nothing else. */
		mirvol_add_drop(a);
	} else if (reason) {
		mirvol_op_end(&a->op, reason);
		mirvol_add_drop(a);	/* devices given back now */
	} else {
		*op_id = a->op.id;
	}
	a->src = NULL;
	mutex_unlock(&vol->lock);
	/*
	 * add-plex --from-volume: the source is dissolved for good (a merge
	 * ended its split with the join).  Killed, its split is fixed.
	 */
	if (!reason && src && !merge && src->split_generation)
		mirvol_split_peer_gone(&src->uuid, &src->split_peer);
out:
	mirvol_op_put(&a->op);
	return reason;
}

/**
 * mirvol_add_plex - add-plex: a device or every plex of a volume joins
 * @vol: the target, referenced by the caller
 * @file: the device, or NULL with @src
 * @src: the source volume, referenced by the caller, or NULL
 * @merge: merge-plex: @src was split from @vol with --track-changes (or
 *	@vol from @src); only the regions changed on either side are copied
 * @op_id: out: the operation
 *
 * Context: no lock held.
 * Return: MIRVOL_R_NONE or why not; on failure nothing changed but that a
 * source volume may be stopped (its members keep its metadata).
 */
enum mirvol_reason mirvol_add_plex(struct mirvol_volume *vol,
				   struct file *file,
				   struct mirvol_volume *src, bool merge,
				   u64 *op_id)
{
	return __mirvol_add_plex(vol, file, src, merge, NULL, false, op_id);
}

/**
 * mirvol_add_plex_check - would add-plex of this device be accepted
 * @vol: the target, referenced by the caller
 * @file: the device
 *
 * ADD_PLEX with MIRVOL_ADD_F_CHECK: the checks mirvol_add_plex() makes,
 * the rules, the device opened exclusively and measured against the
 * volume, and nothing else: no operation reserved or started, nothing
 * written, the device given back.  mirvolctl add-plex --force asks
 * before it erases the device.
 *
 * Context: no lock held.
 * Return: MIRVOL_R_NONE, or the reason mirvol_add_plex() would refuse.
 */
enum mirvol_reason mirvol_add_plex_check(struct mirvol_volume *vol,
					 struct file *file)
{
	u64 op_id = 0;

	return __mirvol_add_plex(vol, file, NULL, false, NULL, true, &op_id);
}

/**
 * mirvol_replace_plex - replace: a device joins, then a plex leaves
 * @vol: the volume, referenced by the caller
 * @old_uuid: the plex to replace, in any state
 * @file: the new device
 * @op_id: out: the operation (MIRVOL_OP_REPLACE)
 *
 * The device is added as add-plex adds it and synced while the old plex
 * stays in the mirror (mdadm --replace, zpool replace); once the new plex
 * is in sync the old one leaves, its metadata erased.  Cancelled or
 * failed, the new plex goes (cancel) or stays syncing (as add-plex's) and
 * the old one stays.
 *
 * Context: no lock held.
 * Return: MIRVOL_R_NONE or why not.
 */
enum mirvol_reason mirvol_replace_plex(struct mirvol_volume *vol,
				       const u8 *old_uuid, struct file *file,
				       u64 *op_id)
{
	return __mirvol_add_plex(vol, file, NULL, false, old_uuid, false,
				 op_id);
}
