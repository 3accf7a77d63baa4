// SPDX-License-Identifier: GPL-2.0
/*
 * mirvol maintenance of a running volume: PLEX_ACTION (fail, offline,
 * online, re-add), SET_VOLUME (the write-intent bitmap, stored resync
 * speeds), SET_PLEX (a plex's flags) and RENAME.  Each checks its rules
 * and acts under one hold of volume->lock, with I/O suspended while the
 * plex array or the bitmap changes.
 *
 * Copyright (C) 2026 The mirvol authors
 */
#include <linux/blkdev.h>
#include <linux/file.h>
#include <linux/sched/mm.h>

#include "mirvol_core.h"

/*
 * An offline or failed plex, its device held, comes back: syncing only
 * the regions written since it left when the bitmap covers that time,
 * else stale (everything); one that left while copying everything has
 * no gone_generation (mirvol_sb_targets()).  Its metadata head gets the volume's bitmap
 * image and the superblock of the update that follows
 * (mirvol_sb_join_plex()); when that write fails the plex is failed
 * again, which the caller sees in its state after the update.  Locks
 * held, I/O suspended.
 */
static void mirvol_plex_return(struct mirvol_volume *vol,
			       struct mirvol_plex *plex)
{
	struct mirvol_bitmap *bm = vol->bitmap;
	bool partial = bm && mirvol_bitmap_gone_covered(plex->gone_generation,
							bm->cleared_gen) &&
		       !mirvol_bitmap_resync_begin(bm);

	plex->sync_offset = 0;
	plex->partial = partial;
	mirvol_set_plex_state(plex, partial ? MIRVOL_PLEX_SYNCING :
					      MIRVOL_PLEX_STALE);
	if (mirvol_sb_join_plex(vol, plex)) {
		mirvol_plex_error(plex, true);
		pr_warn("mirvol: %s: plex %u cannot come back: its superblock write failed\n",
			vol->name, plex->index);
		return;
	}
	pr_info("mirvol: %s: plex %u back, %s\n", vol->name, plex->index,
		partial ? "copying the regions written without it" :
			  "copying everything");
}

/* REPLACE: the new device by its fd. */
static enum mirvol_reason mirvol_plex_replace_fd(struct mirvol_volume *vol,
						 const u8 *plex_uuid, int fd,
						 u64 *op_id)
{
	enum mirvol_reason reason;
	struct file *file;

	if (fd < 0)
		return MIRVOL_R_INVALID_ARGUMENT;
	file = fget(fd);
	if (!file)
		return MIRVOL_R_BAD_FD;
	reason = mirvol_replace_plex(vol, plex_uuid, file, op_id);
	fput(file);
	return reason;
}

/**
 * mirvol_plex_action - PLEX_ACTION: fail, offline, online or re-add a plex
 * @vol: the volume, referenced by the caller
 * @plex_uuid: the plex
 * @action: enum mirvol_plex_action_type
 * @fd: READD of a plex without its device (missing, or failed and gone
 *	since): the device; else -1
 * @op_id: out: the resync started (ONLINE, READD), 0 if none; always 0
 *	when the call fails
 *
 * Context: no lock held.
 * Return: MIRVOL_R_NONE or why not; nothing changed then, but for a FAIL
 * or OFFLINE whose superblock update failed (IO_ERROR): the plex stays
 * failed or offline, not recorded yet, and for an ONLINE or READD whose
 * plex could not take its superblock, or that no update records back
 * (IO_ERROR): it is failed again, and no resync starts.
 */
enum mirvol_reason mirvol_plex_action(struct mirvol_volume *vol,
				      const u8 *plex_uuid, unsigned int action,
				      int fd, u64 *op_id)
{
	struct mirvol_rule_vol rv;
	enum mirvol_reason reason;
	struct mirvol_plex *plex;
	unsigned int state;
	bool devless;

	*op_id = 0;
	if (action == MIRVOL_PLEX_REPLACE)
		return mirvol_plex_replace_fd(vol, plex_uuid, fd, op_id);
	mutex_lock(&vol->lock);
	if (test_bit(MIRVOL_VOL_DEAD, &vol->flags)) {
		mutex_unlock(&vol->lock);
		return MIRVOL_R_OBJECT_NOT_FOUND;
	}
	plex = mirvol_plex_find(vol, plex_uuid);
	mirvol_rules_snapshot(vol, &rv);
	reason = mirvol_check_plex_action(&rv, plex ? (int)plex->index : -1,
					  action,
					  plex && (plex->bdev || fd >= 0));
	state = plex ? plex->state : MIRVOL_PLEX_NONE;
	/*
	 * A device is given for a plex without one only: missing, or
	 * failed and gone since; such a plex rejoins from its device.
	 */
	devless = state == MIRVOL_PLEX_MISSING ||
		  (state == MIRVOL_PLEX_FAILED && !plex->bdev);
	if (!reason && (fd >= 0) != devless)
		reason = MIRVOL_R_INVALID_ARGUMENT;
	if (reason || devless) {
		mutex_unlock(&vol->lock);
		if (!reason)
			reason = mirvol_readd_missing(vol, plex_uuid, fd, op_id);
		return reason;
	}

	mirvol_suspend_io(vol);
	mutex_lock(&vol->sb_mutex);
	/* An I/O error may have changed the states meanwhile: again. */
	mirvol_rules_snapshot(vol, &rv);
	reason = mirvol_check_plex_action(&rv, plex->index, action,
					  plex->bdev);
	if (reason) {
		mutex_unlock(&vol->sb_mutex);
		mirvol_resume_io(vol);
		mutex_unlock(&vol->lock);
		return reason;
	}
	switch (action) {
	case MIRVOL_PLEX_FAIL:
	case MIRVOL_PLEX_TAKE_OFFLINE:
		plex->partial = false;
		mirvol_set_plex_state(plex, action == MIRVOL_PLEX_FAIL ?
					    MIRVOL_PLEX_FAILED :
					    MIRVOL_PLEX_OFFLINE);
		pr_warn("mirvol: %s: plex %u %s by request\n", vol->name,
			plex->index, action == MIRVOL_PLEX_FAIL ? "failed" :
			"taken offline");
		break;
	default:
		/* While it is not writable: see mirvol_sb_join_plex(). */
		mirvol_sb_catch_up(vol);
		mirvol_plex_return(vol, plex);
		break;
	}
	/*
	 * A plex failed or taken offline stays so when no superblock
	 * records it, as after a write error: it is out of the I/O, and no
	 * write it misses is acknowledged until an update that does not
	 * list it in sync is on disk (vol->sb_plexes).  Put back in sync it
	 * would serve reads and writes the user wanted away from it.
	 */
	if (mirvol_sb_update_locked(vol)) {
		reason = MIRVOL_R_IO_ERROR;
		if (action == MIRVOL_PLEX_FAIL ||
		    action == MIRVOL_PLEX_TAKE_OFFLINE)
			pr_warn("mirvol: %s: plex %u stays %s, though no superblock records it yet: writes wait for that\n",
				vol->name, plex->index,
				action == MIRVOL_PLEX_FAIL ? "failed" :
				"offline");
	}
	/*
	 * Back, unless its join or the update's superblock write failed
	 * on it: then it is failed again.  And when its join went through
	 * but no update records it back (the last in-sync plex failed the
	 * write): failed again too, as the uapi promises, rather than
	 * syncing in memory only, and recorded so if the plexes take it
	 * now.  No resync starts for a call that failed: IO_ERROR carries
	 * no operation.
	 */
	state = READ_ONCE(plex->state);
	if (reason && (action == MIRVOL_PLEX_TAKE_ONLINE ||
		       action == MIRVOL_PLEX_READD) &&
	    (state == MIRVOL_PLEX_SYNCING || state == MIRVOL_PLEX_STALE)) {
		mirvol_set_plex_state(plex, MIRVOL_PLEX_FAILED);
		pr_warn("mirvol: %s: plex %u failed again: no superblock records its return\n",
			vol->name, plex->index);
		mirvol_sb_update_locked(vol);
	}
	if (!reason && (action == MIRVOL_PLEX_TAKE_ONLINE ||
			action == MIRVOL_PLEX_READD) &&
	    state != MIRVOL_PLEX_SYNCING && state != MIRVOL_PLEX_STALE)
		reason = MIRVOL_R_IO_ERROR;
	mutex_unlock(&vol->sb_mutex);
	mirvol_resume_io(vol);
	/* And on its own device: alone at a boot, it is not run. */
	if (!reason && action == MIRVOL_PLEX_TAKE_OFFLINE)
		mirvol_sb_mark_offline(vol, plex);
	if (!reason && (action == MIRVOL_PLEX_TAKE_ONLINE ||
			action == MIRVOL_PLEX_READD))
		*op_id = mirvol_resync_if_needed(vol);
	mutex_unlock(&vol->lock);
	mirvol_uevent(vol, "state-changed", NULL, NULL);
	return reason;
}

/*
 * Add a bitmap of @region bytes per bit (0: default); locks held, I/O
 * suspended: its allocations go without I/O reclaim, which could write
 * back pages of this very volume and wait for our resume.
 */
static enum mirvol_reason mirvol_bitmap_add(struct mirvol_volume *vol,
					    u64 region)
{
	struct mirvol_bitmap *bm;
	unsigned int i, noio;

	if (!region)
		region = mirvol_bitmap_default_region((u64)vol->size <<
						      SECTOR_SHIFT);
	if (DIV_ROUND_UP_ULL((u64)vol->size << SECTOR_SHIFT, region) >
	    MIRVOL_BITMAP_MAX_REGIONS)
		return MIRVOL_R_INVALID_ARGUMENT;
	noio = memalloc_noio_save();
	bm = mirvol_bitmap_create(vol, region >> SECTOR_SHIFT);
	if (!bm) {
		memalloc_noio_restore(noio);
		return MIRVOL_R_NO_MEMORY;
	}
	/*
	 * Every plex, also one not here, must hold it before its data:
	 * the superblocks could not say otherwise.
	 */
	for (i = 0; i < MIRVOL_MAX_PLEXES; i++) {
		struct mirvol_plex *plex = vol->plexes[i];

		if (plex && !mirvol_bitmap_fits(bm, plex->data_offset)) {
			pr_warn("mirvol: %s: no bitmap added: plex %u's data starts at sector %llu, in the bitmap's place\n",
				vol->name, i,
				(unsigned long long)plex->data_offset);
			memalloc_noio_restore(noio);
			mirvol_bitmap_destroy(bm);
			return MIRVOL_R_INCOMPATIBLE_DEVICE;
		}
	}
	/* It covers writes from the update below on. */
	bm->cleared_gen = vol->generation + 1;
	for (i = 0; i < MIRVOL_MAX_PLEXES; i++) {
		struct mirvol_plex *plex = vol->plexes[i];

		if (!plex || !plex->bdev ||
		    !mirvol_state_writable(READ_ONCE(plex->state)))
			continue;
		if (mirvol_bitmap_write_plex(bm, plex->bdev,
					     MIRVOL_SB_SECTOR(MIRVOL_BITMAP_OFFSET)))
			mirvol_plex_error(plex, true);
	}
	memalloc_noio_restore(noio);
	vol->bitmap = bm;
	return MIRVOL_R_NONE;
}

/*
 * What SET_VOLUME, SET_PLEX and RENAME change, as it was, and what the
 * superblock update they run changes besides (mirvol_sb_targets(): what
 * the bitmap covers of each plex, which follows the partial flags): a
 * call whose update fails puts it back (mirvol_set_put_back(),
 * mirvol_set_restore()).  The generation is not: a failed update's may be
 * on some plex, and must never be reused; nor is a plex the update failed
 * for its own write error.
 */
struct mirvol_set_undo {
	struct mirvol_bitmap *bitmap;
	uuid_t split_peer;
	u64 split_generation;
	unsigned int speed_min_stored;
	unsigned int speed_max_stored;
	struct mirvol_speeds speeds;
	bool speeds_applied;
	unsigned int sync_rewinds;
	struct {
		struct mirvol_plex *plex;
		u64 gone_generation;
		unsigned int boot;
		bool partial;
		bool full_copy;
		bool write_mostly;
	} plexes[MIRVOL_MAX_PLEXES];
};

/* vol->lock and sb_mutex held, from here until the update's end. */
static void mirvol_set_save(struct mirvol_volume *vol,
			    struct mirvol_set_undo *u)
{
	unsigned int i;

	u->bitmap = vol->bitmap;
	u->split_peer = vol->split_peer;
	u->split_generation = vol->split_generation;
	u->speed_min_stored = vol->speed_min_stored;
	u->speed_max_stored = vol->speed_max_stored;
	u->speeds_applied = false;
	u->sync_rewinds = vol->sync_rewinds;
	for (i = 0; i < MIRVOL_MAX_PLEXES; i++) {
		struct mirvol_plex *plex = vol->plexes[i];

		u->plexes[i].plex = plex;
		if (!plex)
			continue;
		u->plexes[i].gone_generation = plex->gone_generation;
		u->plexes[i].boot = plex->boot;
		u->plexes[i].partial = plex->partial;
		u->plexes[i].full_copy = plex->full_copy;
		u->plexes[i].write_mostly = plex->write_mostly;
	}
}

/*
 * The update failed: the plexes as @u saved them (their flags, and what
 * the failed update changed of them), for the caller to record again.
 * sb_mutex held.
 *
 * That includes a plex the failed update itself failed (a flush or
 * superblock write error): harmless.  Its state stays failed (not saved
 * here); partial only counts for a syncing plex (mirvol_md_fill(),
 * BITMAP_SYNC), and a return recomputes it (mirvol_plex_return()); boot
 * and write-mostly are put back as for any plex, as the superblocks have
 * them.  Its gone_generation, reset to what it was (0 for a plex that
 * was in sync), is given again by the next update, the put-back's or a
 * later one (mirvol_sb_targets()), a later generation than the failed
 * update's: never one past a cleared_gen its true departure was not past,
 * since cleared_gen only moves by an update of its own under sb_mutex
 * (mirvol_bitmap.c rule 4), which gives the plex that generation first,
 * and mirvol_bitmap_gone_covered() wants strictly greater.  full_copy is
 * what that update would give it again.  A syncing plex the failed
 * update rewound (its flush failed on the last in-sync plex,
 * mirvol_rewind_syncing()) stays a full copy: partial, it could skip
 * what that plex lost.
 */
static void mirvol_set_put_back(struct mirvol_volume *vol,
				const struct mirvol_set_undo *u)
{
	unsigned int i;

	for (i = 0; i < MIRVOL_MAX_PLEXES; i++) {
		struct mirvol_plex *plex = u->plexes[i].plex;

		/* The plex table does not change under vol->lock. */
		if (!plex || plex != vol->plexes[i])
			continue;
		plex->gone_generation = u->plexes[i].gone_generation;
		plex->boot = u->plexes[i].boot;
		plex->partial = u->plexes[i].partial &&
				vol->sync_rewinds == u->sync_rewinds;
		plex->full_copy = u->plexes[i].full_copy;
		/* Read balancing reads it locklessly. */
		WRITE_ONCE(plex->write_mostly, u->plexes[i].write_mostly);
	}
}

/*
 * The update failed: the volume as it was, and that recorded again if the
 * plexes take it now.  A bitmap is given up only once a superblock update
 * without it succeeded: before, a superblock may name it, and a named
 * bitmap must record every write (a returning plex copies only what it
 * holds).  Returns a bitmap this call added that no superblock names, for
 * the caller to destroy, or NULL.  sb_mutex held, I/O suspended.
 */
static struct mirvol_bitmap *mirvol_set_restore(struct mirvol_volume *vol,
						const struct mirvol_set_undo *u)
{
	struct mirvol_bitmap *added = vol->bitmap != u->bitmap ?
				      vol->bitmap : NULL;

	vol->bitmap = u->bitmap;
	mirvol_set_put_back(vol, u);
	vol->split_peer = u->split_peer;
	vol->split_generation = u->split_generation;
	vol->speed_min_stored = u->speed_min_stored;
	vol->speed_max_stored = u->speed_max_stored;
	if (u->speeds_applied)
		mirvol_volume_restore_speeds(vol, &u->speeds);
	if (mirvol_sb_update_locked(vol) && added) {
		vol->bitmap = added;
		added = NULL;
	}
	return added;
}

/**
 * mirvol_set_volume - SET_VOLUME: the bitmap and the stored resync speeds
 * @vol: the volume, referenced by the caller
 * @sv: the argument, checked by mirvol_check_set_volume()
 *
 * The bitmap is added or dropped with I/O suspended and no operation
 * running (a resync may be copying by it); speeds take effect at once
 * and are recorded in the superblocks.  When the superblock update fails
 * the volume is left as it was (a bitmap dropped only in memory would
 * record no write the superblocks still count on it for), but for a
 * bitmap added that a superblock may name: it stays.
 *
 * Context: no lock held.
 * Return: MIRVOL_R_NONE or why not.
 */
enum mirvol_reason mirvol_set_volume(struct mirvol_volume *vol,
				     const struct mirvol_set_volume *sv)
{
	bool bitmap = sv->hdr.flags & MIRVOL_SET_F_BITMAP;
	bool forget = sv->hdr.flags & MIRVOL_SET_F_FORGET_SPLIT;
	struct mirvol_bitmap *old = NULL, *added = NULL;
	enum mirvol_reason reason = MIRVOL_R_NONE;
	struct mirvol_set_undo undo;
	unsigned int i;

	mutex_lock(&vol->lock);
	if (test_bit(MIRVOL_VOL_DEAD, &vol->flags)) {
		reason = MIRVOL_R_OBJECT_NOT_FOUND;
		goto out;
	}
	if (!test_bit(MIRVOL_VOL_STARTED, &vol->flags)) {
		reason = MIRVOL_R_VOLUME_NOT_ONLINE;
		goto out;
	}
	if ((bitmap || forget) && vol->op) {
		reason = MIRVOL_R_ANOTHER_CALL_IN_PROGRESS;
		goto out;
	}
	if (forget && !vol->split_generation) {
		reason = MIRVOL_R_NOT_SPLIT_PAIR;
		goto out;
	}
	if (bitmap && !sv->bitmap && !vol->bitmap) {
		reason = MIRVOL_R_NO_BITMAP;
		goto out;
	}
	if (bitmap && sv->bitmap && vol->bitmap) {
		reason = MIRVOL_R_INVALID_OPERATION;	/* has one */
		goto out;
	}
	mirvol_suspend_io(vol);
	mutex_lock(&vol->sb_mutex);
	mirvol_set_save(vol, &undo);
	if (bitmap && sv->bitmap) {
		reason = mirvol_bitmap_add(vol, sv->bitmap_region_bytes);
	} else if (bitmap) {
		old = vol->bitmap;
		vol->bitmap = NULL;
		/* What they skipped is in sync; the rest they copy. */
		for (i = 0; i < MIRVOL_MAX_PLEXES; i++)
			if (vol->plexes[i])
				vol->plexes[i]->partial = false;
		memset(&vol->split_peer, 0, sizeof(vol->split_peer));
		vol->split_generation = 0;
	}
	if (!reason && forget) {
		memset(&vol->split_peer, 0, sizeof(vol->split_peer));
		vol->split_generation = 0;
	}
	if (!reason && (sv->hdr.flags & MIRVOL_SET_F_SPEED)) {
		vol->speed_min_stored = sv->sync_speed_min;
		vol->speed_max_stored = sv->sync_speed_max;
		mirvol_volume_apply_speeds(vol, &undo.speeds);
		undo.speeds_applied = true;
	}
	if (!reason && mirvol_sb_update_locked(vol)) {
		reason = MIRVOL_R_IO_ERROR;
		added = mirvol_set_restore(vol, &undo);
		old = NULL;	/* it is the volume's again */
	} else if (!reason && forget) {
		pr_info("mirvol: %s: no longer tracks its split from %pUb\n",
			vol->name, &undo.split_peer);
	}
	mutex_unlock(&vol->sb_mutex);
	if (old)
		mirvol_bitmap_stop(old);
	else if (bitmap && sv->bitmap && vol->bitmap)
		mirvol_bitmap_start(vol->bitmap);
	mirvol_resume_io(vol);
out:
	mutex_unlock(&vol->lock);
	mirvol_bitmap_destroy(old);
	mirvol_bitmap_destroy(added);	/* never started */
	return reason;
}

/**
 * mirvol_set_plex - SET_PLEX: the boot and write-mostly flags
 * @vol: the volume, referenced by the caller
 * @plex_uuid: the plex
 * @flags: MIRVOL_SET_PLEX_F_*, checked by the caller
 *
 * Recorded in the superblocks; when that update fails, the flags are put
 * back as they were (mirvol_set_put_back()), as the superblocks have them.
 * A volume not started (waiting in assembly) is refused, as SET_VOLUME
 * refuses it.
 *
 * Context: no lock held.
 * Return: MIRVOL_R_NONE or why not; nothing changed then.
 */
enum mirvol_reason mirvol_set_plex(struct mirvol_volume *vol,
				   const u8 *plex_uuid, u32 flags)
{
	enum mirvol_reason reason = MIRVOL_R_NONE;
	struct mirvol_set_undo undo;
	struct mirvol_plex *plex;

	mutex_lock(&vol->lock);
	plex = mirvol_plex_find(vol, plex_uuid);
	if (test_bit(MIRVOL_VOL_DEAD, &vol->flags)) {
		reason = MIRVOL_R_OBJECT_NOT_FOUND;
	} else if (!test_bit(MIRVOL_VOL_STARTED, &vol->flags)) {
		/*
		 * Waiting in assembly (its plexes maybe not all there yet):
		 * its members have no state to record, no update would go.
		 */
		reason = MIRVOL_R_VOLUME_NOT_ONLINE;
	} else if (!plex) {
		reason = MIRVOL_R_OBJECT_NOT_FOUND;
	} else {
		mutex_lock(&vol->sb_mutex);
		mirvol_set_save(vol, &undo);
		if (flags & (MIRVOL_SET_PLEX_F_BOOT | MIRVOL_SET_PLEX_F_NO_BOOT))
			WRITE_ONCE(plex->boot,
				   !!(flags & MIRVOL_SET_PLEX_F_BOOT));
		/* Read balancing reads it locklessly. */
		if (flags & (MIRVOL_SET_PLEX_F_WRITE_MOSTLY |
			     MIRVOL_SET_PLEX_F_NO_WRITE_MOSTLY))
			WRITE_ONCE(plex->write_mostly,
				   !!(flags & MIRVOL_SET_PLEX_F_WRITE_MOSTLY));
		if (mirvol_sb_update_locked(vol)) {
			reason = MIRVOL_R_IO_ERROR;
			/* As it was, and that recorded if the plexes take it. */
			mirvol_set_put_back(vol, &undo);
			mirvol_sb_update_locked(vol);
		}
		mutex_unlock(&vol->sb_mutex);
	}
	mutex_unlock(&vol->lock);
	return reason;
}

/**
 * mirvol_volume_rename - RENAME: a new name, recorded in the superblocks
 * @vol: the volume, referenced by the caller
 * @name: a valid name
 *
 * A volume waiting for members keeps it for its start, which records it.
 * When the superblock update fails, the old name comes back, and that is
 * recorded again if the plexes take it now.  But another volume may have
 * taken the old name meanwhile (it was free once this volume had the new
 * one): then the volume keeps the new name, which that second update, or
 * a later one, records.
 *
 * Context: no lock held.
 * Return: MIRVOL_R_NONE when the volume has the new name and a superblock
 * update recorded it (also when the old name was taken meanwhile and the
 * second update went through).  Else why not: the volume has its old
 * name, but for IO_ERROR with the old name taken meanwhile, where it
 * keeps the new one, not recorded yet.  After IO_ERROR the generation
 * has moved on, and a plex the failed update failed may hold a
 * superblock with the new name.
 */
enum mirvol_reason mirvol_volume_rename(struct mirvol_volume *vol,
					const char *name)
{
	char old[MIRVOL_NAME_LEN];
	enum mirvol_reason reason;
	struct mirvol_set_undo undo;
	unsigned long flags;
	bool renamed = true;

	mutex_lock(&vol->lock);
	spin_lock_irqsave(&vol->state_lock, flags);
	memcpy(old, vol->name, sizeof(old));
	spin_unlock_irqrestore(&vol->state_lock, flags);
	if (test_bit(MIRVOL_VOL_DEAD, &vol->flags))
		reason = MIRVOL_R_OBJECT_NOT_FOUND;
	else
		reason = mirvol_rename(vol, name);
	if (!reason && test_bit(MIRVOL_VOL_STARTED, &vol->flags)) {
		mutex_lock(&vol->sb_mutex);
		mirvol_set_save(vol, &undo);
		if (mirvol_sb_update_locked(vol)) {
			reason = MIRVOL_R_IO_ERROR;
			mirvol_set_put_back(vol, &undo);
		}
		mutex_unlock(&vol->sb_mutex);
		if (reason) {
			/* Not under sb_mutex: never nested in it. */
			if (!mirvol_rename(vol, old))
				renamed = false;
			else
				pr_warn("mirvol: %s: keeps its new name though its superblock update failed: another volume took %s meanwhile\n",
					name, old);
			/* What it has now, recorded if the plexes take it now. */
			if (!mirvol_sb_update(vol) && renamed)
				reason = MIRVOL_R_NONE;
		}
		if (renamed)
			mirvol_uevent(vol, "renamed", NULL, NULL);
	} else if (!reason) {
		/* Waiting for members: the start writes it. */
		set_bit(MIRVOL_VOL_RENAMED, &vol->flags);
	}
	mutex_unlock(&vol->lock);
	return reason;
}
