// SPDX-License-Identifier: GPL-2.0
/*
 * mirvol assembly: bring volumes back from their members' superblocks.
 *
 * ASSEMBLE takes fds of member devices.  Each is opened exclusively and
 * its superblock read and validated (mirvol_sb_codec.c).  Members are
 * grouped by volume UUID and each group is assembled:
 *
 *  - into a running volume, a member rejoins as stale (and is resynced;
 *    only the regions the write-intent bitmap recorded while it was
 *    missing) if its slot is missing and it did not run on its own
 *    (split brain);
 *  - otherwise into an offline volume that collects members until every
 *    member its newest superblock expects is present (or RUN is given),
 *    then starts following mirvol_assemble_plan(): the newest generation
 *    is the truth, older members are stale, absent ones missing, and after
 *    an unclean shutdown one in-sync plex is the source of a resync of the
 *    others.
 *
 * An offline volume holds its members' devices (like an inactive md
 * array), so that udev can feed members one at a time (INCREMENTAL).
 *
 * Devices are opened and superblocks read with no lock held; the registry
 * lock is taken only to find or list a volume.  A member whose device
 * cannot hold the volume's data (it shrank) is refused, and so is one
 * stacked on the volume it would rejoin.
 *
 * Copyright (C) 2026 The mirvol authors
 */
#include <linux/blkdev.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/slab.h>

#include "mirvol_core.h"

/**
 * struct mirvol_member - one device given to ASSEMBLE
 * @um: the user's entry; results are written back into it
 * @devt: its device number, 0 when refused before it was known
 * @whole: the number of its whole disk (@devt for a disk), 0 with @devt
 * @plex: the opened device, referenced, until the end of the call
 * @joined: @plex was handed to a volume (which holds its own reference)
 * @md: its current superblock
 * @known: it was already a plex of a volume before this call
 * @refused: refused; @um->reason says why
 * @have_md: @md was read
 */
struct mirvol_member {
	struct mirvol_assemble_member *um;
	dev_t devt;
	dev_t whole;
	struct mirvol_plex *plex;
	bool joined;
	struct mirvol_md md;
	bool known;
	bool refused;
	bool have_md;
};

/*
 * Tell user space (mirvolctl monitor) that assembly refused the member
 * @devt, its superblock @md (NULL if unread), for a reason that needs an
 * administrator: diverged, unreadable or failed, a former member (its
 * superblock names a volume that no longer lists it: a power cut before
 * remove-plex or replace erased it), or a volume whose name another one
 * has.
 */
static void mirvol_refused_event(dev_t devt, const struct mirvol_md *md,
				 enum mirvol_reason reason)
{
	char ev[] = "MIRVOL_EVENT=assembly-refused";
	char why[sizeof("MIRVOL_REASON=") + 32];
	char dev[sizeof("MIRVOL_DEVNUM=") + 24];
	char name[sizeof("MIRVOL_NAME=") + MIRVOL_NAME_LEN];
	char uuid[sizeof("MIRVOL_UUID=") + UUID_STRING_LEN];
	char *envp[6];
	int n = 0;

	if (reason != MIRVOL_R_SPLIT_BRAIN &&
	    reason != MIRVOL_R_METADATA_CORRUPT &&
	    reason != MIRVOL_R_METADATA_VERSION &&
	    reason != MIRVOL_R_PLEX_FAILED &&
	    reason != MIRVOL_R_NO_IN_SYNC_MEMBER &&
	    reason != MIRVOL_R_NAME_EXISTS &&
	    !(reason == MIRVOL_R_NOT_A_MEMBER && md))
		return;
	snprintf(why, sizeof(why), "MIRVOL_REASON=%s",
		 mirvol_reason_str(reason));
	snprintf(dev, sizeof(dev), "MIRVOL_DEVNUM=%u:%u", MAJOR(devt),
		 MINOR(devt));
	envp[n++] = ev;
	envp[n++] = why;
	envp[n++] = dev;
	if (md) {
		snprintf(name, sizeof(name), "MIRVOL_NAME=%s", md->name);
		snprintf(uuid, sizeof(uuid), "MIRVOL_UUID=%pUb",
			 md->volume_uuid);
		envp[n++] = name;
		envp[n++] = uuid;
	}
	envp[n] = NULL;
	mirvol_ctl_uevent(envp);
}

static void mirvol_member_refuse(struct mirvol_member *m,
				 enum mirvol_reason reason)
{
	mirvol_refused_event(m->devt, m->have_md ? &m->md : NULL, reason);
	m->um->result = MIRVOL_MEMBER_REFUSED;
	m->um->reason = reason;
	m->refused = true;
	m->joined = false;
	if (m->plex) {
		mirvol_plex_put(m->plex);
		m->plex = NULL;
	}
}

/* Open a member and read its superblock, unless a volume has it. */
static void mirvol_member_open(struct mirvol_member *members, unsigned int idx)
{
	struct mirvol_member *m = &members[idx];
	enum mirvol_reason reason;
	struct mirvol_volume *vol;
	struct mirvol_plex *plex;
	struct file *file;
	unsigned int j;

	file = fget(m->um->fd);
	if (!file) {
		mirvol_member_refuse(m, MIRVOL_R_BAD_FD);
		return;
	}
	reason = mirvol_check_device(file, &m->devt);
	if (!reason)
		m->whole = bdev_whole(file_bdev(file))->bd_dev;
	fput(file);
	if (reason) {
		m->devt = 0;
		mirvol_member_refuse(m, reason);
		return;
	}
	/*
	 * The same storage given twice, as CREATE refuses it: one device,
	 * or a disk and a partition of it (whose claims exclude each other:
	 * the later would be DEVICE_BUSY, as if someone else held it).
	 */
	for (j = 0; j < idx; j++) {
		const struct mirvol_member *o = &members[j];

		if (o->devt && (o->devt == m->devt || o->devt == m->whole ||
				o->whole == m->devt)) {
			mirvol_member_refuse(m, MIRVOL_R_DUPLICATE_DEVICE);
			m->devt = 0;
			m->whole = 0;
			return;
		}
	}

	plex = mirvol_find_devt(m->devt, &vol);
	if (plex) {
		m->known = true;
		mirvol_plex_put(plex);
		mirvol_volume_put(vol);
		return;
	}

	mirvol_race_window();
	m->plex = mirvol_plex_alloc();
	if (!m->plex) {
		mirvol_member_refuse(m, MIRVOL_R_NO_MEMORY);
		return;
	}
	reason = mirvol_plex_open(m->plex, m->devt);
	if (!reason && mirvol_sb_read_dev(m->plex->bdev, &m->md, &reason) >= 0)
		reason = MIRVOL_R_NONE;
	if (reason) {
		mirvol_member_refuse(m, reason);
		return;
	}
	m->have_md = true;
	/* The plex keeps the identity recorded on disk. */
	import_uuid(&m->plex->uuid, m->md.plex_uuid);
	m->plex->index = m->md.plex_index;
	m->plex->data_offset = m->md.data_offset;
}

/* A plex for a member that is not there. */
static struct mirvol_plex *
mirvol_plex_placeholder(const struct mirvol_md_plex *p, unsigned int index)
{
	struct mirvol_plex *plex = mirvol_plex_alloc();

	if (!plex)
		return NULL;
	import_uuid(&plex->uuid, p->uuid);
	plex->index = index;
	plex->state = MIRVOL_PLEX_MISSING;
	return plex;
}

/*
 * Does the bitmap hold every write that @old, a missing plex (or a failed
 * one being re-added), missed?  As bitmap_covers() in mirvol_logic.c: a
 * plex that left while copying everything has no gone_generation
 * (mirvol_sb_targets()), and the device back, its superblock of
 * generation @own, must hold the image the plex left with, not an older
 * one (mirvol_bitmap_image_left()).  sb_mutex held.
 */
static bool mirvol_bitmap_covers(struct mirvol_volume *vol,
				 struct mirvol_plex *old, u64 own, bool readd)
{
	return vol->bitmap && (old->state == MIRVOL_PLEX_MISSING ||
			       (readd && old->state == MIRVOL_PLEX_FAILED)) &&
	       mirvol_bitmap_gone_covered(old->gone_generation,
					  vol->bitmap->cleared_gen) &&
	       mirvol_bitmap_image_left(own, old->gone_generation);
}

/*
 * A member whose plex is offline, its device absent (it was so when the
 * volume started: mirvol_assemble_plan()): the device is held as the
 * offline plex, as if it had come with the others, not rejoined.  An
 * offline plex stays so until online (it is often kept as a
 * point-in-time image): it takes no write, not even a superblock
 * (mirvol_sb_targets()), and keeps what the bitmap covers of it.  A slot
 * whose offline plex holds a device already refuses another (DEVICE_BUSY).
 * vol->lock held, dropped.
 */
static void mirvol_hold_offline(struct mirvol_volume *vol,
				struct mirvol_member *m)
{
	struct mirvol_plex *old, *plex = m->plex;

	mirvol_suspend_io(vol);
	mutex_lock(&vol->sb_mutex);
	old = vol->plexes[plex->index];
	if (!old || old->state != MIRVOL_PLEX_OFFLINE || old->bdev) {
		mutex_unlock(&vol->sb_mutex);
		mirvol_resume_io(vol);
		mutex_unlock(&vol->lock);
		mirvol_member_refuse(m, MIRVOL_R_DEVICE_BUSY);
		return;
	}
	plex->state = MIRVOL_PLEX_OFFLINE;
	plex->gone_generation = old->gone_generation;
	plex->full_copy = old->full_copy;
	/* An older image than it left with: back online, everything. */
	if (!mirvol_bitmap_image_left(m->md.generation, old->gone_generation)) {
		plex->gone_generation = 0;
		plex->full_copy = true;
	}
	plex->boot = old->boot;
	plex->write_mostly = old->write_mostly;
	mirvol_plex_get(old);
	mirvol_detach_plex_held(vol, old);
	mirvol_attach_plex(vol, plex);
	mutex_unlock(&vol->sb_mutex);
	mirvol_resume_io(vol);
	mirvol_detach_plex_finish(vol, old);
	mirvol_plex_put(old);
	mirvol_attach_plex_finish(vol, plex);
	m->joined = true;
	pr_info("mirvol: %s: plex %u's device is back, held offline until online\n",
		vol->name, plex->index);
	mirvol_sb_mark_offline(vol, plex);
	mutex_unlock(&vol->lock);
}

/*
 * Rejoin a member to its running volume as stale: it replaces the
 * placeholder of its slot and the resync brings it up to date.  A device
 * whose add-plex or merge-plex a power cut interrupted, and which the
 * volume started without, takes its empty slot likewise
 * (mirvol_late_join_check()).  The
 * checks and the swap happen under one hold of vol->lock.  A failed
 * member rejoins only with @readd (mirvol_readd_missing()).
 *
 * A member whose superblock cannot be written as it joins (its join, or
 * the update after it) is not back: it is failed in its slot, holding its
 * device, as md keeps a member whose superblock write failed faulty in
 * the array (re-add it once the device is sound, or remove-plex), the
 * update records it so, and the member is refused with IO_ERROR.  But
 * for the last in-sync plex, which is never failed (mirvol_plex_error()):
 * it comes back as what it is, the only copy of the data.
 */
static void mirvol_rejoin(struct mirvol_volume *vol, struct mirvol_member *m,
			  bool readd, u64 *op_id)
{
	struct mirvol_plex *old, *plex = m->plex;
	enum mirvol_reason reason;
	struct mirvol_md vol_md;
	bool failed;
	u64 start_gen;

	mutex_lock(&vol->lock);
	if (test_bit(MIRVOL_VOL_DEAD, &vol->flags)) {
		mutex_unlock(&vol->lock);
		/* A re-add's volume was stopped or removed under it. */
		mirvol_member_refuse(m, readd ? MIRVOL_R_OBJECT_DELETED :
					      MIRVOL_R_DEVICE_BUSY);
		return;
	}
	mutex_lock(&vol->sb_mutex);
	mirvol_volume_md(vol, &vol_md);
	start_gen = vol->start_generation;
	mutex_unlock(&vol->sb_mutex);
	reason = mirvol_rejoin_check(&vol_md, &m->md, readd);
	if (reason == MIRVOL_R_NOT_A_MEMBER)
		reason = mirvol_late_join_check(&vol_md, &m->md, start_gen);
	if (!reason)
		reason = mirvol_check_member(vol, plex);
	if (reason) {
		mutex_unlock(&vol->lock);
		pr_warn("mirvol: %s: %pg cannot rejoin: %s\n", vol->name,
			plex->bdev, reason == MIRVOL_R_SPLIT_BRAIN ?
			"split brain, it ran without the volume" :
			mirvol_reason_str(reason));
		mirvol_member_refuse(m, reason);
		return;
	}
	if (vol_md.plexes[plex->index].state == MIRVOL_PLEX_OFFLINE) {
		mirvol_hold_offline(vol, m);
		return;
	}
	mirvol_suspend_io(vol);
	mutex_lock(&vol->sb_mutex);
	mirvol_sb_catch_up(vol);	/* before it is in the table */
	old = vol->plexes[plex->index];
	/*
	 * The last in-sync plex comes back as what it is: in sync.  One
	 * that was missing while the bitmap recorded every write copies
	 * only the regions set; any other, everything.
	 */
	plex->sync_offset = 0;
	if (!old) {
		/* A join the in-sync plexes never recorded: everything. */
		plex->state = MIRVOL_PLEX_STALE;
		plex->partial = false;
		pr_warn("mirvol: %s: %pg joins late: the volume started without it (power cut in add-plex or merge-plex)\n",
			vol->name, plex->bdev);
	} else if (old->last_in_sync) {
		plex->state = MIRVOL_PLEX_ACTIVE;
		plex->sync_offset = vol->size;
		/*
		 * Its device went away, maybe with writes it had completed
		 * into its volatile cache, never flushed, now lost: as when
		 * a flush of it fails, the next flush of the volume says so.
		 * One without a cache completes a write once it is on its
		 * media: nothing is lost, a failed flush would be spurious.
		 * The syncing plexes copy everything again all the same: a
		 * write it failed as it went may be on them, below their
		 * checkpoints.
		 */
		if (bdev_write_cache(plex->bdev))
			mirvol_cache_lost(vol, plex, true);
		else
			mirvol_rewind_syncing(vol);
	} else if (mirvol_bitmap_covers(vol, old, m->md.generation, readd) &&
		   !mirvol_bitmap_resync_begin(vol->bitmap)) {
		/*
		 * Covered even if it joins a pass that runs, and since it
		 * left, should it leave again (mirvol_sb_targets()).
		 */
		plex->state = MIRVOL_PLEX_SYNCING;
		plex->partial = true;
		plex->gone_generation = old->gone_generation;
	} else {
		plex->state = MIRVOL_PLEX_STALE;
	}
	/*
	 * Failed before an update saw it copying everything, it must not
	 * be taken for a plex that left in sync (mirvol_sb_targets()).
	 */
	plex->full_copy = plex->state == MIRVOL_PLEX_STALE;
	plex->boot = old ? old->boot : 0;
	/*
	 * An operation holding the old plex finds it gone, by UUID too.
	 * Its plexN/ goes, and the plex's holder link and plexN/ come,
	 * once I/O is resumed.
	 */
	if (old) {
		mirvol_plex_get(old);
		mirvol_detach_plex_held(vol, old);
	}
	mirvol_attach_plex(vol, plex);
	MIRVOL_KUNIT_HOOK(mirvol_kunit_rejoin_hook, plex);
	/* A failed join write fails it, as a failed update write does. */
	if (mirvol_sb_join_plex(vol, plex))
		mirvol_plex_error(plex, true);
	mirvol_sb_update_locked(vol);
	/* Or its device went meanwhile: missing (__mirvol_plex_gone()). */
	failed = READ_ONCE(plex->state) == MIRVOL_PLEX_FAILED ||
		 READ_ONCE(plex->state) == MIRVOL_PLEX_MISSING;
	mutex_unlock(&vol->sb_mutex);
	mirvol_resume_io(vol);
	if (old) {
		mirvol_detach_plex_finish(vol, old);
		mirvol_plex_put(old);
	}
	mirvol_attach_plex_finish(vol, plex);
	if (failed) {
		pr_warn("mirvol: %s: plex %u cannot rejoin: its superblock write failed; it stays %s\n",
			vol->name, plex->index,
			mirvol_plex_state_name(READ_ONCE(plex->state)));
	} else {
		m->joined = true;
		pr_info("mirvol: %s: plex %u rejoins as %s\n", vol->name,
			plex->index, mirvol_plex_state_name(plex->state));
		*op_id = mirvol_resync_if_needed(vol) ?: *op_id;
	}
	mutex_unlock(&vol->lock);
	/* The volume holds the plex: this drops the member's reference. */
	if (failed)
		mirvol_member_refuse(m, MIRVOL_R_IO_ERROR);
}

/*
 * The write-intent bitmap of a volume being assembled: the union of the
 * bitmaps of its present members (a bit any of them has may cover a write
 * that reached some plexes only).  A member whose bitmap cannot be read
 * makes every bit set.  Only the bits every member has are on every disk
 * (rule 1): the others' pages are written before a write goes into their
 * regions (mirvol_bitmap_mark_loaded()).  sb_mutex held.
 */
static enum mirvol_reason mirvol_assemble_bitmap(struct mirvol_volume *vol,
						 const struct mirvol_md *md)
{
	unsigned long *bits = NULL, *common = NULL;
	struct mirvol_bitmap *bm;
	bool first = true;
	unsigned int i;

	/* Of an earlier attempt that did not start the volume. */
	mirvol_bitmap_destroy(vol->bitmap);
	vol->bitmap = NULL;
	bm = mirvol_bitmap_create(vol, md->bitmap_region);
	if (bm) {
		bits = mirvol_bitmap_alloc_image(bm);
		common = mirvol_bitmap_alloc_image(bm);
	}
	if (!bm || !bits || !common) {
		kvfree(bits);
		kvfree(common);
		mirvol_bitmap_destroy(bm);
		return MIRVOL_R_NO_MEMORY;
	}
	bm->cleared_gen = md->bitmap_cleared_gen;
	for (i = 0; i < MIRVOL_MAX_PLEXES; i++) {
		struct mirvol_plex *plex = vol->plexes[i];

		if (!plex || !plex->bdev)
			continue;
		if (mirvol_bitmap_load(bm, plex->bdev, md->bitmap_offset,
				       bits)) {
			pr_warn("mirvol: %s: cannot read the bitmap of plex %u: resyncing everything\n",
				md->name, i);
			bitmap_fill(bm->disk, bm->nr);
			bitmap_zero(common, bm->nr);
			first = false;
			continue;
		}
		bitmap_or(bm->disk, bm->disk, bits, bm->nr);
		if (first)
			bitmap_copy(common, bits, bm->nr);
		else
			bitmap_and(common, common, bits, bm->nr);
		first = false;
	}
	mirvol_bitmap_mark_loaded(bm, common);
	kvfree(bits);
	kvfree(common);
	vol->bitmap = bm;
	return MIRVOL_R_NONE;
}

/*
 * Start an offline volume from its pending members following @plan.
 *
 * Once the volume started it stays started, whatever the superblock
 * update that follows does: its disk is added, and udev's probe (or a
 * user) may hold it open.  As md keeps an array running when a member's
 * superblock write fails, the update fails the plexes that cannot take
 * it (mirvol_sb_update_locked()), and when the last in-sync plex cannot
 * (it is kept), the volume runs as a running one whose update failed:
 * reads go on, writes fail until a dirty mark reaches it (design.rst,
 * rule 2).  IO_ERROR then tells the caller, with the volume started.
 *
 * Context: vol->lock held.
 * Return: MIRVOL_R_NONE; why the volume did not start (it did not when
 * MIRVOL_VOL_STARTED is clear); or IO_ERROR, started, when the update
 * could not be written.
 */
static enum mirvol_reason mirvol_assemble_start(struct mirvol_volume *vol,
						const struct mirvol_asm_plan *plan,
						const struct mirvol_md *newest)
{
	struct mirvol_md copy = *newest;	/* freed with the plexes' md */
	enum mirvol_reason reason;
	unsigned int i;

	/* The members' name, unless the volume was renamed while waiting. */
	if (!test_bit(MIRVOL_VOL_RENAMED, &vol->flags)) {
		reason = mirvol_rename(vol, copy.name);
		if (reason)
			return reason;
	}
	mutex_lock(&vol->sb_mutex);
	for (i = 0; i < MIRVOL_MAX_PLEXES; i++) {
		const struct mirvol_md_plex *p = &copy.plexes[i];
		struct mirvol_plex *plex = vol->plexes[i];

		if (p->state == MIRVOL_PLEX_NONE)
			continue;
		if (!plex) {
			plex = mirvol_plex_placeholder(p, i);
			if (!plex) {
				mutex_unlock(&vol->sb_mutex);
				return MIRVOL_R_NO_MEMORY;
			}
			mirvol_attach_plex(vol, plex);
			mirvol_plex_put(plex);	/* the slot holds it */
		}
		plex->state = plan->slot_state[i];
		plex->sync_offset = plan->slot_sync[i];
		plex->partial = plan->slot_partial[i];
		/*
		 * When it left the in-sync set, present or not: the update
		 * below records a gone plex's as the current generation only
		 * if it has none (mirvol_sb_targets()), which would make a
		 * plex that left before the bitmap covered every write look
		 * covered (mirvol_plex_return(), mirvol_bitmap_covers()).
		 * None recorded for a plex out of sync, not a partial
		 * target: it was copying everything, and stays uncovered.
		 * A present one is as the plan has it, as a rejoin's
		 * (mirvol_rejoin()): one recorded in sync may be stale, and
		 * leaving before the update, it must not look covered.
		 */
		plex->gone_generation = p->gone_generation;
		if (mirvol_state_writable(plex->state))
			plex->full_copy = plex->state == MIRVOL_PLEX_STALE ||
					  (plex->state == MIRVOL_PLEX_SYNCING &&
					   !plex->partial);
		else
			plex->full_copy = !p->gone_generation &&
					  p->state != MIRVOL_PLEX_ACTIVE &&
					  !(p->flags & MIRVOL_PLEX_F_BITMAP_SYNC);
		/* Its device (held offline, failed) older than it left. */
		if (plex->md && !mirvol_bitmap_image_left(plex->md->generation,
							  p->gone_generation))
			plex->full_copy = true;
		if (plex->full_copy)
			plex->gone_generation = 0;
		plex->boot = !!(p->flags & MIRVOL_PLEX_F_BOOT);
		plex->write_mostly = !!(p->flags & MIRVOL_PLEX_F_WRITE_MOSTLY);
		kfree(plex->md);
		plex->md = NULL;
	}
	vol->size = copy.data_size;
	vol->generation = copy.generation;
	vol->start_generation = copy.generation;
	vol->ctime = copy.ctime;
	vol->speed_min_stored = copy.sync_speed_min;
	vol->speed_max_stored = copy.sync_speed_max;
	mirvol_volume_apply_speeds(vol, NULL);
	if (copy.split_generation) {
		import_uuid(&vol->split_peer, copy.split_peer);
		vol->split_generation = copy.split_generation;
	}
	if (copy.bitmap_region) {
		reason = mirvol_assemble_bitmap(vol, &copy);
		if (reason) {
			mutex_unlock(&vol->sb_mutex);
			return reason;
		}
	}
	vol->resync_source = plan->dirty_source;
	mutex_unlock(&vol->sb_mutex);
	/*
	 * The new generation is written only once the start can no longer
	 * fail (as md writes its superblocks once the array runs): a start
	 * that fails leaves the members as they were, to assemble as they
	 * would have.  Until then sb_plexes lists every slot, so that a
	 * write a missing plex did not take waits for the update below
	 * (mirvol_write_put()).
	 */
	reason = mirvol_volume_start(vol);
	if (reason)
		return reason;
	MIRVOL_KUNIT_HOOK(mirvol_kunit_assemble_hook, vol);
	if (plan->dirty_source >= 0)
		pr_warn("mirvol: %s: assembled dirty (unclean shutdown): resyncing from plex %d\n",
			vol->name, plan->dirty_source);
	if (!mirvol_sb_update(vol)) {
		/* An offline plex's own superblock may say in sync. */
		for (i = 0; i < MIRVOL_MAX_PLEXES; i++)
			if (vol->plexes[i])
				mirvol_sb_mark_offline(vol, vol->plexes[i]);
		return MIRVOL_R_NONE;
	}
	pr_err("mirvol: %s: the superblocks of the assembly could not be written: running, writes fail until they can be\n",
	       vol->name);
	return MIRVOL_R_IO_ERROR;
}

/* Hand a new member to the offline volume @vol; locks held. */
static void mirvol_member_hand(struct mirvol_volume *vol,
			       struct mirvol_member *m)
{
	struct mirvol_plex *plex = m->plex;
	struct mirvol_plex *other = vol->plexes[plex->index];

	/* A device too small for the data it claims to hold (it shrank). */
	if (plex->dev_sectors < m->md.data_offset + m->md.data_size) {
		mirvol_member_refuse(m, MIRVOL_R_DEVICE_TOO_SMALL);
		return;
	}
	if (other) {
		/* Two devices claim one slot: keep the newer. */
		if (other->md->generation >= m->md.generation) {
			mirvol_member_refuse(m, MIRVOL_R_DUPLICATE_DEVICE);
			return;
		}
		mirvol_detach_plex(vol, other);
	}
	plex->md = kmemdup(&m->md, sizeof(m->md), GFP_KERNEL);
	if (!plex->md) {
		mirvol_member_refuse(m, MIRVOL_R_NO_MEMORY);
		return;
	}
	mirvol_attach_plex(vol, plex);
	m->joined = true;
}

/* Reasons for which an offline volume may wait for more members. */
static bool mirvol_may_wait(enum mirvol_reason reason)
{
	return reason == MIRVOL_R_VOLUME_INCOMPLETE ||
	       reason == MIRVOL_R_NO_IN_SYNC_MEMBER;
}

/* What became of the volume a group was handed to. */
enum mirvol_asm_end {
	MIRVOL_ASM_STARTED,	/* started from its members */
	MIRVOL_ASM_WAITING,	/* held offline until more members come */
	MIRVOL_ASM_KILLED,	/* refused and killed: the caller destroys it */
	MIRVOL_ASM_RUNNING,	/* another assembly started it: rejoin */
	MIRVOL_ASM_DYING,	/* being torn down: members untouched */
};

/* The member of this call's @ms that handed @plex over, or NULL. */
static struct mirvol_member *mirvol_handed_by(struct mirvol_member **ms,
					      unsigned int n,
					      const struct mirvol_plex *plex)
{
	unsigned int j;

	for (j = 0; j < n; j++)
		if (ms[j]->joined && ms[j]->plex == plex)
			return ms[j];
	return NULL;
}

/*
 * Does @vol hold a member another call handed over (udev's incremental
 * assembly, between this call's listing of the volume and its lock)?
 * Then this call may not kill it: that member's event is spent, and
 * nothing would assemble it again.  The volume waits instead, holding
 * this call's members too (as an incremental call would have left it).
 * vol->lock held.
 */
static bool mirvol_holds_others(struct mirvol_volume *vol,
				struct mirvol_member **ms, unsigned int n)
{
	unsigned int i;

	lockdep_assert_held(&vol->lock);
	for (i = 0; i < MIRVOL_MAX_PLEXES; i++) {
		struct mirvol_plex *plex = vol->plexes[i];

		if (plex && plex->md && !mirvol_handed_by(ms, n, plex))
			return true;
	}
	return false;
}

/*
 * @vol, refused, is killed: the devices it holds go back.  This call's
 * members among them are refused with @reason; one an earlier call handed
 * over (udev's incremental assembly), whose call has returned, is said
 * refused to user space all the same.  vol->lock held.
 */
static void mirvol_refuse_held(struct mirvol_volume *vol,
			       struct mirvol_member **ms, unsigned int n,
			       enum mirvol_reason reason)
{
	unsigned int i;

	lockdep_assert_held(&vol->lock);
	for (i = 0; i < MIRVOL_MAX_PLEXES; i++) {
		struct mirvol_plex *plex = vol->plexes[i];
		struct mirvol_member *m;

		if (!plex || !plex->bdev)
			continue;
		m = mirvol_handed_by(ms, n, plex);
		if (m)
			mirvol_member_refuse(m, reason);
		else
			mirvol_refused_event(plex->bdev->bd_dev, plex->md,
					     reason);
	}
}

/*
 * Hand the group's new members to the offline volume @vol, plan, drop
 * members that are not current, and start it when complete or asked to
 * RUN.  A volume that is not started is kept waiting for more members
 * (if the reason allows it and the call is incremental, did not create
 * it, or finds members another call handed it) or killed, in the same hold of vol->lock: once the lock is dropped
 * a concurrent assembly may hand it the missing members and start it,
 * and a volume whose start failed half-way (placeholders without a
 * superblock) must never be seen by one.  Returns why it was not
 * started (MIRVOL_R_NONE when it was, IO_ERROR when it was but its
 * superblocks, or a member's, could not be written); @end says what
 * became of it.
 */
static enum mirvol_reason
mirvol_assemble_offline(struct mirvol_volume *vol, struct mirvol_member **ms,
			unsigned int n, u32 flags, bool created, u64 *op_id,
			enum mirvol_asm_end *end)
{
	const struct mirvol_md *mds[MIRVOL_MAX_PLEXES];
	struct mirvol_plex *pending[MIRVOL_MAX_PLEXES];
	unsigned int classes[MIRVOL_MAX_PLEXES];
	enum mirvol_reason reason;
	struct mirvol_asm_plan plan;
	unsigned int i, j, nr = 0;

	mutex_lock(&vol->lock);
	if (test_bit(MIRVOL_VOL_DEAD, &vol->flags)) {
		mutex_unlock(&vol->lock);
		*end = MIRVOL_ASM_DYING;
		return MIRVOL_R_NONE;
	}
	/* Another assembly started it meanwhile: rejoin instead. */
	if (test_bit(MIRVOL_VOL_STARTED, &vol->flags)) {
		mutex_unlock(&vol->lock);
		*end = MIRVOL_ASM_RUNNING;
		return MIRVOL_R_NONE;
	}
	mutex_lock(&vol->sb_mutex);
	for (i = 0; i < n; i++)
		mirvol_member_hand(vol, ms[i]);

	for (i = 0; i < MIRVOL_MAX_PLEXES; i++) {
		if (vol->plexes[i] && vol->plexes[i]->md) {
			pending[nr] = vol->plexes[i];
			mds[nr++] = vol->plexes[i]->md;
		}
	}
	mirvol_assemble_plan(mds, nr, classes, &plan);
	for (i = 0; i < nr; i++) {
		if (classes[i] != MIRVOL_ASM_SUPERSEDED &&
		    classes[i] != MIRVOL_ASM_DUPLICATE)
			continue;
		pr_warn("mirvol: %pg is no longer a member of %s, refused\n",
			pending[i]->bdev, vol->name);
		for (j = 0; j < n; j++)
			if (ms[j]->joined && ms[j]->plex == pending[i])
				mirvol_member_refuse(ms[j],
						     MIRVOL_R_NOT_A_MEMBER);
		mirvol_detach_plex(vol, pending[i]);
	}
	mutex_unlock(&vol->sb_mutex);

	reason = plan.reason;
	if (!reason && !plan.complete && !(flags & MIRVOL_ASSEMBLE_F_RUN))
		reason = MIRVOL_R_VOLUME_INCOMPLETE;
	if (reason == MIRVOL_R_SPLIT_BRAIN)
		pr_err("mirvol: %pUb: split brain: its members ran apart; assemble one side and add the other back as a new plex\n",
		       &vol->uuid);
	if (!reason) {
		/*
		 * A failed start leaves it half-built: never waiting.  A
		 * started one stays so, even if its update failed.
		 */
		reason = mirvol_assemble_start(vol, &plan, mds[plan.newest]);
		*end = test_bit(MIRVOL_VOL_STARTED, &vol->flags) ?
		       MIRVOL_ASM_STARTED : MIRVOL_ASM_KILLED;
	} else if (mirvol_may_wait(reason) &&
		   (!created || (flags & MIRVOL_ASSEMBLE_F_INCREMENTAL) ||
		    mirvol_holds_others(vol, ms, n))) {
		*end = MIRVOL_ASM_WAITING;
	} else {
		*end = MIRVOL_ASM_KILLED;
	}
	if (*end == MIRVOL_ASM_STARTED) {
		/*
		 * A member whose plex failed the update (or a write since
		 * the start; not one the plan started failed) is not back:
		 * as for a rejoin, it stays failed in its slot, holding its
		 * device, and is refused.  So is one whose device went away
		 * meanwhile: missing (__mirvol_plex_gone()), its device given
		 * back.
		 */
		for (i = 0; i < n; i++) {
			struct mirvol_plex *plex = ms[i]->plex;
			unsigned int state;

			if (!ms[i]->joined)
				continue;
			state = READ_ONCE(plex->state);
			if ((state != MIRVOL_PLEX_FAILED &&
			     state != MIRVOL_PLEX_MISSING) ||
			    plan.slot_state[plex->index] == state)
				continue;
			pr_warn("mirvol: %s: plex %u %s as the volume started: its superblock write failed\n",
				vol->name, plex->index,
				state == MIRVOL_PLEX_FAILED ? "failed" :
				"went missing");
			mirvol_member_refuse(ms[i], MIRVOL_R_IO_ERROR);
			reason = MIRVOL_R_IO_ERROR;
		}
		*op_id = mirvol_resync_if_needed(vol) ?: *op_id;
	} else if (*end == MIRVOL_ASM_KILLED) {
		mirvol_refuse_held(vol, ms, n, reason);
		mirvol_volume_kill(vol, false);	/* not DEAD: checked above */
	}
	mutex_unlock(&vol->lock);
	return reason;
}

/*
 * The offline volume of @uuid, created for @ms if none is listed; with
 * @target (a re-add), @target only: once it is unlisted (stopped or
 * removed under the re-add) the group is refused with OBJECT_DELETED,
 * never handed to a new offline volume of the same UUID.
 */
static struct mirvol_volume *mirvol_assemble_volume(const u8 *uuid,
						    struct mirvol_member **ms,
						    unsigned int n,
						    struct mirvol_volume *target,
						    bool *created,
						    enum mirvol_reason *reason)
{
	const struct mirvol_md *md;
	struct mirvol_volume *vol, *existing = NULL;
	unsigned int i;

	*created = false;
	vol = mirvol_lookup(uuid);
	if (target && vol != target) {
		if (vol)
			mirvol_volume_put(vol);
		*reason = MIRVOL_R_OBJECT_DELETED;
		return NULL;
	}
	if (vol || !n) {
		*reason = vol ? MIRVOL_R_NONE : MIRVOL_R_OBJECT_NOT_FOUND;
		return vol;
	}
	md = &ms[0]->md;
	for (i = 1; i < n; i++)
		if (ms[i]->md.generation > md->generation)
			md = &ms[i]->md;
	vol = mirvol_volume_alloc(md->name, (const uuid_t *)uuid);
	if (!vol) {
		*reason = MIRVOL_R_NO_MEMORY;
		return NULL;
	}
	vol->size = md->data_size;
	/* Another assembly of the same volume may have been first. */
	*reason = mirvol_register(vol, false, &existing);
	if (*reason || existing) {
		mirvol_volume_put(vol);
		return existing;
	}
	*created = true;
	return vol;
}

/*
 * Assemble the new members @ms (possibly none: RUN of an offline volume)
 * of the volume @uuid, into @target only if not NULL (a re-add).  Returns
 * the group's reason, MIRVOL_R_NONE when assembled (or pending, with
 * INCREMENTAL).
 *
 * A volume found dying (a refused assembly, or a stop, tears it down) is
 * waited for until it is unlisted, and the group starts over: with a new
 * offline volume if no other assembly listed one meanwhile (but for a
 * re-add, refused then: mirvol_assemble_volume()).
 */
static enum mirvol_reason mirvol_assemble_group(const u8 *uuid,
						struct mirvol_member **ms,
						unsigned int n, u32 flags,
						struct mirvol_volume *target,
						u64 *op_id, bool *started)
{
	enum mirvol_reason reason;
	enum mirvol_asm_end end;
	struct mirvol_volume *vol;
	bool created;
	unsigned int i;

	do {
		vol = mirvol_assemble_volume(uuid, ms, n, target, &created,
					     &reason);
		if (!vol) {
			for (i = 0; i < n; i++)
				mirvol_member_refuse(ms[i], reason);
			return reason;
		}
		MIRVOL_KUNIT_HOOK(mirvol_kunit_assemble_group_hook, vol,
				  created);
		reason = mirvol_assemble_offline(vol, ms, n, flags, created,
						 op_id, &end);
		if (end == MIRVOL_ASM_DYING) {
			if (mirvol_wait_unlisted(vol)) {
				/* A fatal signal. */
				mirvol_volume_put(vol);
				for (i = 0; i < n; i++)
					mirvol_member_refuse(ms[i],
							     MIRVOL_R_DEVICE_BUSY);
				return MIRVOL_R_DEVICE_BUSY;
			}
			mirvol_volume_put(vol);
		}
	} while (end == MIRVOL_ASM_DYING);

	switch (end) {
	case MIRVOL_ASM_RUNNING:
		for (i = 0; i < n; i++) {
			mirvol_rejoin(vol, ms[i],
				      flags & MIRVOL_ASSEMBLE_F_READD, op_id);
			if (ms[i]->refused)
				reason = ms[i]->um->reason;
		}
		break;
	case MIRVOL_ASM_STARTED:
		*started = true;
		break;
	case MIRVOL_ASM_WAITING:
		if (flags & MIRVOL_ASSEMBLE_F_INCREMENTAL)
			reason = MIRVOL_R_NONE;
		break;
	default:
		/* Refused and killed: every device of the group goes back. */
		mirvol_race_window();
		mirvol_volume_destroy(vol, false);
		break;
	}
	mirvol_volume_put(vol);
	return reason;
}

/* Write the final result of a member from where its device ended up. */
static void mirvol_member_final(struct mirvol_member *m,
				enum mirvol_reason group_reason)
{
	struct mirvol_assemble_member *um = m->um;
	struct mirvol_volume *vol;
	struct mirvol_plex *plex;

	if (m->refused)
		return;
	plex = m->devt ? mirvol_find_devt(m->devt, &vol) : NULL;
	if (!plex) {
		um->result = MIRVOL_MEMBER_REFUSED;
		um->reason = group_reason ?: MIRVOL_R_OBJECT_DELETED;
		return;
	}
	memcpy(um->volume_uuid, &vol->uuid, MIRVOL_UUID_LEN);
	memcpy(um->plex_uuid, &plex->uuid, MIRVOL_UUID_LEN);
	um->plex_index = plex->index;
	MIRVOL_KUNIT_HOOK(mirvol_kunit_member_final_hook, vol);
	/*
	 * Under the lock: another member's call may start the volume
	 * meanwhile, which frees plex->md (mirvol_assemble_start()).
	 */
	mutex_lock(&vol->lock);
	um->generation = plex->md ? plex->md->generation : vol->generation;
	if (!test_bit(MIRVOL_VOL_STARTED, &vol->flags))
		um->result = MIRVOL_MEMBER_PENDING;
	else if (READ_ONCE(plex->state) == MIRVOL_PLEX_ACTIVE)
		um->result = MIRVOL_MEMBER_ACTIVE;
	else
		um->result = MIRVOL_MEMBER_STALE;
	mutex_unlock(&vol->lock);
	um->reason = group_reason;
	mirvol_plex_put(plex);
	mirvol_volume_put(vol);
}

static void mirvol_member_report_sb(struct mirvol_member *m)
{
	memcpy(m->um->volume_uuid, m->md.volume_uuid, MIRVOL_UUID_LEN);
	memcpy(m->um->plex_uuid, m->md.plex_uuid, MIRVOL_UUID_LEN);
	m->um->plex_index = m->md.plex_index;
	m->um->generation = m->md.generation;
}

/* RUN: start the offline volumes that hold known members. */
static enum mirvol_reason mirvol_assemble_run_known(struct mirvol_member *ms,
						    unsigned int nr,
						    struct mirvol_assemble *reply)
{
	enum mirvol_reason reason, last = MIRVOL_R_NONE;
	unsigned int i;

	for (i = 0; i < nr; i++) {
		struct mirvol_volume *vol;
		struct mirvol_plex *plex;
		bool started = false;
		uuid_t uuid;

		if (!ms[i].known)
			continue;
		plex = mirvol_find_devt(ms[i].devt, &vol);
		if (!plex)
			continue;
		uuid_copy(&uuid, &vol->uuid);
		started = test_bit(MIRVOL_VOL_STARTED, &vol->flags);
		mirvol_plex_put(plex);
		mirvol_volume_put(vol);
		if (started)
			continue;
		reason = mirvol_assemble_group(uuid.b, NULL, 0,
					       MIRVOL_ASSEMBLE_F_RUN, NULL,
					       &reply->op_id, &started);
		if (started)
			reply->nr_started++;
		if (reason) {
			last = reason;
			ms[i].um->reason = reason;
		}
	}
	return last;
}

/*
 * ASSEMBLE, into @target only if not NULL (a re-add: mirvol_readd_missing()).
 * As mirvol_assemble().
 */
static enum mirvol_reason __mirvol_assemble(struct mirvol_assemble_member *um,
					    unsigned int nr, u32 flags,
					    struct mirvol_volume *target,
					    struct mirvol_assemble *reply)
{
	enum mirvol_reason reason, last = MIRVOL_R_NONE;
	struct mirvol_member *members, **group;
	enum mirvol_reason *group_reason;
	unsigned int i, j, n;

	/* Every output is written: zero where no superblock tells. */
	for (i = 0; i < nr; i++) {
		s32 fd = um[i].fd;

		memset(&um[i], 0, sizeof(um[i]));
		um[i].fd = fd;
	}
	members = kcalloc(nr, sizeof(*members), GFP_KERNEL);
	group = kcalloc(nr, sizeof(*group), GFP_KERNEL);
	group_reason = kcalloc(nr, sizeof(*group_reason), GFP_KERNEL);
	if (!members || !group || !group_reason) {
		last = MIRVOL_R_NO_MEMORY;
		goto out;
	}
	for (i = 0; i < nr; i++) {
		members[i].um = &um[i];
		mirvol_member_open(members, i);
		if (members[i].refused)
			last = um[i].reason;
		else if (members[i].plex)
			mirvol_member_report_sb(&members[i]);
	}

	for (i = 0; i < nr; i++) {
		bool started = false;

		/* Each member is joined or refused by its group's call. */
		if (!members[i].plex || members[i].joined ||
		    members[i].refused)
			continue;
		n = 0;
		for (j = i; j < nr; j++)
			if (members[j].plex && !members[j].joined &&
			    !members[j].refused &&
			    !memcmp(members[j].md.volume_uuid,
				    members[i].md.volume_uuid,
				    MIRVOL_UUID_LEN))
				group[n++] = &members[j];
		reason = mirvol_assemble_group(members[i].md.volume_uuid,
					       group, n, flags, target,
					       &reply->op_id, &started);
		for (j = 0; j < n; j++)
			group_reason[group[j] - members] = reason;
		if (started)
			reply->nr_started++;
		if (reason)
			last = reason;
	}
	if (flags & MIRVOL_ASSEMBLE_F_RUN) {
		reason = mirvol_assemble_run_known(members, nr, reply);
		if (reason)
			last = reason;
	}

	for (i = 0; i < nr; i++) {
		struct mirvol_volume *vol;
		struct mirvol_plex *plex;

		mirvol_member_final(&members[i], group_reason[i]);
		if (members[i].plex) {
			mirvol_plex_put(members[i].plex);
			members[i].plex = NULL;
		}
		if (members[i].refused || !members[i].devt)
			continue;
		plex = mirvol_find_devt(members[i].devt, &vol);
		if (plex) {
			memcpy(reply->volume_uuid, &vol->uuid,
			       MIRVOL_UUID_LEN);
			reply->volume_state = READ_ONCE(vol->state);
			mirvol_plex_put(plex);
			mirvol_volume_put(vol);
		}
	}
out:
	kfree(group_reason);
	kfree(group);
	kfree(members);
	return last;
}

/**
 * mirvol_assemble - the ASSEMBLE command
 * @um: the members; results are written back
 * @nr: how many (1..MIRVOL_ASSEMBLE_MAX)
 * @flags: MIRVOL_ASSEMBLE_F_*
 * @reply: out: volume, state, started count, resync operation
 *
 * Return: MIRVOL_R_NONE when every group was assembled (with
 * INCREMENTAL: or is waiting for more members), else the reason of the
 * last refused group.
 */
enum mirvol_reason mirvol_assemble(struct mirvol_assemble_member *um,
				   unsigned int nr, u32 flags,
				   struct mirvol_assemble *reply)
{
	return __mirvol_assemble(um, nr, flags, NULL, reply);
}

/**
 * mirvol_readd_missing - PLEX_ACTION READD of a plex without its device
 * @vol: the volume, referenced by the caller
 * @plex_uuid: the plex, missing (or failed, its device gone since)
 * @fd: its device, which must carry that plex's superblock of @vol
 * @op_id: out: the resync started, 0 if none
 *
 * The device is checked first (a wrong fd must not start assembling some
 * other volume), then it rejoins as an incremental member would: only
 * what the bitmap recorded while it was missing is copied, if it covers
 * that time (mirvol_rejoin()).  It rejoins @vol or nothing: @vol stopped
 * or removed meanwhile (vol->lock is not held), the re-add fails with
 * OBJECT_DELETED and the device is given back, never kept by a new
 * offline volume of the same UUID.
 *
 * Context: no lock held.
 * Return: MIRVOL_R_NONE or why not; IO_ERROR when the plex's superblock
 * could not be written as it rejoined: it is then failed, holding the
 * device.
 */
enum mirvol_reason mirvol_readd_missing(struct mirvol_volume *vol,
					const u8 *plex_uuid, int fd,
					u64 *op_id)
{
	struct mirvol_assemble_member um = { .fd = fd };
	struct mirvol_assemble *reply;
	enum mirvol_reason reason;
	struct mirvol_plex *probe;
	struct mirvol_md *md;
	struct file *file;
	dev_t devt;

	file = fget(fd);
	if (!file)
		return MIRVOL_R_BAD_FD;
	reason = mirvol_check_device(file, &devt);
	fput(file);
	if (reason)
		return reason;
	md = kmalloc(sizeof(*md), GFP_KERNEL);
	reply = kzalloc(sizeof(*reply), GFP_KERNEL);
	probe = mirvol_plex_alloc();
	if (!md || !reply || !probe) {
		reason = MIRVOL_R_NO_MEMORY;
		goto out;
	}
	reason = mirvol_plex_open(probe, devt);
	if (!reason && mirvol_sb_read_dev(probe->bdev, md, &reason) >= 0)
		reason = MIRVOL_R_NONE;
	mirvol_plex_put(probe);		/* closes the device */
	probe = NULL;
	if (!reason && (memcmp(md->volume_uuid, &vol->uuid, MIRVOL_UUID_LEN) ||
			memcmp(md->plex_uuid, plex_uuid, MIRVOL_UUID_LEN)))
		reason = MIRVOL_R_NOT_A_MEMBER;
	if (reason)
		goto out;
	MIRVOL_KUNIT_HOOK(mirvol_kunit_readd_hook, vol);
	reason = __mirvol_assemble(&um, 1, MIRVOL_ASSEMBLE_F_INCREMENTAL |
				   MIRVOL_ASSEMBLE_F_READD, vol, reply);
	if (!reason && um.result != MIRVOL_MEMBER_STALE &&
	    um.result != MIRVOL_MEMBER_ACTIVE)
		reason = um.reason ?: MIRVOL_R_INVALID_OPERATION;
	if (!reason)
		*op_id = reply->op_id;
out:
	if (probe)
		mirvol_plex_put(probe);
	kfree(reply);
	kfree(md);
	return reason;
}
