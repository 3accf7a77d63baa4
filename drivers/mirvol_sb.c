// SPDX-License-Identifier: GPL-2.0
/*
 * mirvol superblock I/O: read a member's superblock, write a volume's
 * superblocks to all its plexes, initialise and erase members.
 *
 * Every update increases the generation and goes to slot generation % 2
 * with REQ_PREFLUSH | REQ_FUA on every writable plex in parallel, so a
 * crash leaves the previous slot intact.  A plex that fails the write is
 * failed and the update is repeated, so that the survivors record it.
 *
 * Copyright (C) 2026 The mirvol authors
 */
#include <linux/bio.h>
#include <linux/blkdev.h>
#include <linux/completion.h>
#include <linux/highmem.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>

#include "mirvol_core.h"

#define MIRVOL_SB_SECTOR_OF(slot) \
	MIRVOL_SB_SECTOR(MIRVOL_SB_OFFSET + (slot) * MIRVOL_SB_SLOT_SIZE)
#define MIRVOL_META_OPF	(REQ_SYNC | REQ_META | REQ_PRIO)

static void mirvol_batch_endio(struct bio *bio)
{
	struct mirvol_batch *b = bio->bi_private;

	if (atomic_dec_and_test(&b->pending))
		complete(&b->done);
}

/**
 * mirvol_batch_init - start a set of bios waited for together
 * @b: the batch
 */
void mirvol_batch_init(struct mirvol_batch *b)
{
	atomic_set(&b->pending, 1);
	init_completion(&b->done);
}

/**
 * mirvol_batch_submit - submit a bio as part of a batch
 * @b: the batch
 * @bio: the bio; it is not freed on completion (see mirvol_batch_wait())
 * @plex: the plex it goes to
 */
void mirvol_batch_submit(struct mirvol_batch *b, struct bio *bio,
			 struct mirvol_plex *plex)
{
	bio->bi_private = b;
	bio->bi_end_io = mirvol_batch_endio;
	atomic_inc(&b->pending);
	bio->bi_status = mirvol_inject(plex, bio);
	if (bio->bi_status == BLK_STS_AGAIN)
		bio->bi_status = BLK_STS_OK;	/* held back (KUnit) */
	else if (bio->bi_status)
		bio_endio(bio);
	else
		submit_bio(bio);
}

/**
 * mirvol_batch_wait - wait for every bio of a batch
 * @b: the batch
 *
 * The caller then reads each bio's bi_status and puts it.
 */
void mirvol_batch_wait(struct mirvol_batch *b)
{
	if (!atomic_dec_and_test(&b->pending))
		wait_for_completion_io(&b->done);
}

/**
 * mirvol_sync_rw - synchronous I/O of whole slots
 * @bdev: the device
 * @opf: operation and flags
 * @sector: first sector
 * @pages: MIRVOL_SB_SLOT_SIZE bytes from each page
 * @nr_pages: number of pages
 *
 * Context: process context outside the volume's submit_bio.
 * Return: 0 or a negative errno.
 */
int mirvol_sync_rw(struct block_device *bdev, blk_opf_t opf, sector_t sector,
		   struct page **pages, unsigned int nr_pages)
{
	struct bio *bio;
	unsigned int i;
	int ret;

	bio = bio_alloc(bdev, nr_pages, opf, GFP_NOIO);
	bio->bi_iter.bi_sector = sector;
	for (i = 0; i < nr_pages; i++)
		__bio_add_page(bio, pages[i], MIRVOL_SB_SLOT_SIZE, 0);
	ret = submit_bio_wait(bio);
	bio_put(bio);
	return ret;
}

/**
 * mirvol_sb_read_dev - read and validate a member's superblock
 * @bdev: the device
 * @md: out: its current superblock
 * @reason: out: NOT_A_MEMBER, METADATA_CORRUPT, METADATA_VERSION or
 *	IO_ERROR when no slot is valid
 *
 * Return: the current slot, or a negative errno.
 */
int mirvol_sb_read_dev(struct block_device *bdev, struct mirvol_md *md,
		       enum mirvol_reason *reason)
{
	enum mirvol_sb_defect defects[2];
	struct page *pages[2];
	int ret = -ENOMEM;

	*reason = MIRVOL_R_NO_MEMORY;
	pages[0] = alloc_page(GFP_KERNEL);
	pages[1] = alloc_page(GFP_KERNEL);
	if (!pages[0] || !pages[1])
		goto out;
	ret = mirvol_sync_rw(bdev, REQ_OP_READ | MIRVOL_META_OPF,
			     MIRVOL_SB_SECTOR_OF(0), pages, 2);
	if (ret) {
		*reason = MIRVOL_R_IO_ERROR;
		goto out;
	}
	ret = mirvol_sb_select(page_address(pages[0]), page_address(pages[1]),
			       bdev_nr_sectors(bdev), md, defects, reason);
	if (ret < 0) {
		pr_info("mirvol: %pg: superblock slots: %s, %s\n", bdev,
			mirvol_sb_defect_str(defects[0]),
			mirvol_sb_defect_str(defects[1]));
		ret = mirvol_reason_errno(*reason);
	}
out:
	if (pages[0])
		__free_page(pages[0]);
	if (pages[1])
		__free_page(pages[1]);
	return ret;
}

/* The plex-specific fields of a superblock. */
static void mirvol_md_set_plex(struct mirvol_md *md, struct mirvol_plex *me)
{
	memcpy(md->plex_uuid, &me->uuid, MIRVOL_UUID_LEN);
	md->plex_index = me->index;
	md->data_offset = me->data_offset;
	md->dev_size = me->dev_sectors;
	md->bitmap_offset = MIRVOL_SB_SECTOR(MIRVOL_BITMAP_OFFSET);
	md->bitmap_size = me->data_offset - md->bitmap_offset;
}

/*
 * The superblock of @me as the volume stands, of generation @gen (the
 * volume's, or the next one for a joining device); sb_mutex held.
 */
static void mirvol_md_fill(struct mirvol_volume *vol, struct mirvol_plex *me,
			   u64 gen, struct mirvol_md *md)
{
	unsigned long flags;
	unsigned int i;

	memset(md, 0, sizeof(*md));
	memcpy(md->volume_uuid, &vol->uuid, MIRVOL_UUID_LEN);
	if (test_bit(MIRVOL_VOL_DIRTY, &vol->flags) ||
	    test_bit(MIRVOL_VOL_DIRTY_REQ, &vol->flags))
		md->flags |= MIRVOL_SB_F_DIRTY;
	md->generation = gen;
	md->data_size = vol->size;
	md->ctime = vol->ctime;
	md->utime = ktime_get_real_seconds();
	mirvol_md_set_plex(md, me);
	if (vol->bitmap) {
		md->bitmap_region = mirvol_bitmap_region_sectors(vol->bitmap);
		md->bitmap_cleared_gen = min(vol->bitmap->cleared_gen, gen);
	}
	md->sync_speed_min = vol->speed_min_stored;
	md->sync_speed_max = vol->speed_max_stored;
	if (vol->split_generation) {
		memcpy(md->split_peer, &vol->split_peer, MIRVOL_UUID_LEN);
		md->split_generation = vol->split_generation;
	}

	spin_lock_irqsave(&vol->state_lock, flags);
	memcpy(md->name, vol->name, MIRVOL_NAME_LEN);
	for (i = 0; i < MIRVOL_MAX_PLEXES; i++) {
		struct mirvol_plex *plex = vol->plexes[i];
		struct mirvol_md_plex *p = &md->plexes[i];

		if (!plex)
			continue;
		md->nr_plexes++;
		memcpy(p->uuid, &plex->uuid, MIRVOL_UUID_LEN);
		p->state = plex->state;
		p->flags = plex->boot ? MIRVOL_PLEX_F_BOOT : 0;
		if (plex->write_mostly)
			p->flags |= MIRVOL_PLEX_F_WRITE_MOSTLY;
		p->sync_offset = plex->state == MIRVOL_PLEX_ACTIVE ? vol->size :
				 plex->state == MIRVOL_PLEX_SYNCING ?
				 min(READ_ONCE(plex->sync_offset), vol->size) :
				 0;
		p->gone_generation = plex->gone_generation;
		if (plex->state == MIRVOL_PLEX_SYNCING && plex->partial &&
		    vol->bitmap)
			p->flags |= MIRVOL_PLEX_F_BITMAP_SYNC;
		if (plex->last_in_sync) {
			/* It holds every acknowledged write: the truth. */
			p->state = MIRVOL_PLEX_ACTIVE;
			p->flags &= ~MIRVOL_PLEX_F_BITMAP_SYNC;
			p->flags |= MIRVOL_PLEX_F_LAST_IN_SYNC;
			p->sync_offset = vol->size;
			p->gone_generation = 0;
		}
		if (plex->state == MIRVOL_PLEX_SYNCING &&
		    (!md->resync_offset || p->sync_offset < md->resync_offset))
			md->resync_offset = p->sync_offset;
	}
	spin_unlock_irqrestore(&vol->state_lock, flags);
}

/* The slots @md lists as holding the volume's data (in sync or syncing). */
static unsigned long mirvol_md_live(const struct mirvol_md *md)
{
	unsigned long live = 0;
	unsigned int i;

	for (i = 0; i < MIRVOL_MAX_PLEXES; i++)
		if (md->plexes[i].state == MIRVOL_PLEX_ACTIVE ||
		    md->plexes[i].state == MIRVOL_PLEX_SYNCING)
			live |= BIT(i);
	return live;
}

/**
 * mirvol_volume_md - the volume's superblock as it would write it now
 * @vol: the volume
 * @md: out; the plex-specific fields are those of no plex (zero)
 *
 * Context: sb_mutex held.
 */
void mirvol_volume_md(struct mirvol_volume *vol, struct mirvol_md *md)
{
	struct mirvol_plex none = { .data_offset = MIRVOL_DATA_OFFSET_SECTORS };

	mirvol_md_fill(vol, &none, vol->generation, md);
	memset(md->plex_uuid, 0, sizeof(md->plex_uuid));
}

/*
 * The plexes a superblock update goes to (writable, with a device), the
 * in-sync ones first, their number in *@in_sync.
 *
 * And what the bitmap covers of each plex (gone_generation): a plex that
 * left the in-sync set gets the generation of this update, the first
 * without it, and keeps it while it is a partial resync target: rule 3
 * keeps every bit set since then while it is out of sync, the regions
 * it still has to copy as well as those written while it was away.  A
 * plex copying everything (stale, or syncing not partial: an add-plex's
 * new plex, a return the bitmap did not cover) holds the volume's data
 * only below its checkpoint; the bitmap says nothing of the regions it
 * never got.  It gets none (full_copy), and if it leaves so, comes back
 * copying everything (mirvol_plex_return(), mirvol_bitmap_covers(),
 * bitmap_covers()).
 *
 * While a bitmap page is lost (no in-sync plex took its last write,
 * mirvol_bitmap.c rule 4), writes went out whose bit is on no disk, and
 * a plex that leaves now may have missed some (one promoted after the
 * update that raised cleared_gen, then failing such a write): this
 * update, which gives it its gone_generation, raises cleared_gen to its
 * own generation, so that it is not covered (mirvol_bitmap_gone_covered()).
 */
static unsigned int mirvol_sb_targets(struct mirvol_volume *vol,
				      struct mirvol_plex **targets,
				      unsigned int *in_sync)
{
	struct mirvol_plex *others[MIRVOL_MAX_PLEXES];
	struct mirvol_bitmap *bm = vol->bitmap;
	unsigned int i, n = 0, k = 0;
	bool lost = false, gone = false;

	if (bm) {
		spin_lock_irq(&bm->lock);
		lost = bm->lost_pages;
		spin_unlock_irq(&bm->lock);
	}

	for (i = 0; i < MIRVOL_MAX_PLEXES; i++) {
		struct mirvol_plex *plex = vol->plexes[i];
		unsigned int state;

		if (!plex)
			continue;
		state = READ_ONCE(plex->state);
		if (!mirvol_state_writable(state)) {
			if (!plex->gone_generation && !plex->full_copy) {
				plex->gone_generation = vol->generation;
				gone = true;
			}
			continue;
		}
		if (mirvol_state_readable(state)) {
			plex->full_copy = false;
			plex->gone_generation = 0;
		} else if (state == MIRVOL_PLEX_SYNCING && plex->partial) {
			/* A dirty or merge target: since it became one. */
			plex->full_copy = false;
			if (!plex->gone_generation) {
				plex->gone_generation = vol->generation;
				gone = true;
			}
		} else {
			plex->full_copy = true;
			plex->gone_generation = 0;
		}
		if (!plex->bdev)
			continue;
		if (mirvol_state_readable(state))
			targets[n++] = plex;
		else
			others[k++] = plex;
	}
	if (lost && gone && bm->cleared_gen < vol->generation)
		bm->cleared_gen = vol->generation;
	*in_sync = n;
	for (i = 0; i < k; i++)
		targets[n++] = others[i];
	return n;
}

/*
 * Send one bio per target, flushes (@page false) or each target's
 * superblock, and wait.  Targets that fail are failed, but for the last
 * in-sync plex (mirvol_plex_error()), whose failed flush is reported
 * (mirvol_plex_flush_failed()).  Returns 0 when all succeeded, 1
 * when some failed (and were failed: repeat without them), -EIO when the
 * last in-sync plex failed (repeating would fail again).
 */
static int mirvol_sb_write_all(struct mirvol_volume *vol,
			       struct mirvol_plex **targets, unsigned int n,
			       bool page)
{
	struct bio *bios[MIRVOL_MAX_PLEXES];
	struct mirvol_batch batch;
	unsigned int i;
	int ret = 0;

	MIRVOL_KUNIT_HOOK(mirvol_kunit_sb_write_hook, vol, page);
	mirvol_batch_init(&batch);
	for (i = 0; i < n; i++) {
		struct mirvol_plex *plex = targets[i];

		if (page) {
			bios[i] = bio_alloc_bioset(plex->bdev, 1, REQ_OP_WRITE |
						   MIRVOL_META_OPF | REQ_FUA,
						   GFP_NOIO, &vol->meta_bs);
			bios[i]->bi_iter.bi_sector =
				MIRVOL_SB_SECTOR_OF(vol->generation & 1);
			__bio_add_page(bios[i], plex->sb_page,
				       MIRVOL_SB_SLOT_SIZE, 0);
		} else {
			bios[i] = bio_alloc_bioset(plex->bdev, 0, REQ_OP_WRITE |
						   REQ_PREFLUSH, GFP_NOIO,
						   &vol->meta_bs);
		}
		mirvol_batch_submit(&batch, bios[i], plex);
	}
	mirvol_batch_wait(&batch);
	for (i = 0; i < n; i++) {
		if (bios[i]->bi_status) {
			pr_err_ratelimited("mirvol: %s: %s of plex %u failed\n",
					   vol->name,
					   page ? "superblock write" : "flush",
					   targets[i]->index);
			if (page)
				mirvol_plex_error(targets[i], true);
			else
				mirvol_plex_flush_failed(vol, targets[i]);
			if (mirvol_state_writable(READ_ONCE(targets[i]->state)))
				ret = -EIO;
			else if (!ret)
				ret = 1;
		}
		bio_put(bios[i]);
	}
	return ret;
}

/**
 * mirvol_sb_flush_syncing - make what resync targets were copied durable
 * @vol: the volume
 * @slots: syncing plexes (bit per slot)
 *
 * Flushes those of @slots that have a device, all at once.  One whose
 * flush fails is failed (it is not in sync: mirvol_plex_error()), so
 * that only plexes whose copies are on their media can be promoted.
 *
 * Context: sb_mutex held; process context outside submit_bio.
 */
void mirvol_sb_flush_syncing(struct mirvol_volume *vol, u8 slots)
{
	struct mirvol_plex *targets[MIRVOL_MAX_PLEXES];
	unsigned int i, n = 0;

	lockdep_assert_held(&vol->sb_mutex);
	for (i = 0; i < MIRVOL_MAX_PLEXES; i++) {
		struct mirvol_plex *plex = vol->plexes[i];

		if ((slots & BIT(i)) && plex && plex->bdev &&
		    READ_ONCE(plex->state) == MIRVOL_PLEX_SYNCING)
			targets[n++] = plex;
	}
	if (n)
		mirvol_sb_write_all(vol, targets, n, false);
}

/*
 * The in-sync plexes took @md: every one still in sync has it on its
 * media (one that failed its write was failed, or the update returns
 * -EIO, mirvol_sb_write_all()), whatever the next attempt of the same
 * update does.  The bitmap's coverage start it records is durable: the
 * writers of a lost set may go (mirvol_bitmap.c rule 4).  No in-sync
 * target (the last one went away): no write goes to an in-sync plex
 * either, each fails.  sb_mutex held.
 */
static void mirvol_sb_recorded(struct mirvol_volume *vol,
			       const struct mirvol_md *md)
{
	struct mirvol_bitmap *bm = vol->bitmap;

	if (!bm)
		return;
	if (md->bitmap_cleared_gen > bm->cleared_recorded)
		bm->cleared_recorded = md->bitmap_cleared_gen;
	if (bm->cleared_unrecorded &&
	    md->bitmap_cleared_gen >= bm->cleared_gen)
		WRITE_ONCE(bm->cleared_unrecorded, false);
}

/**
 * mirvol_sb_update_locked - write a new generation to every writable plex
 * @vol: the volume
 *
 * First the new superblock is composed for each plex, then every plex is
 * flushed and waited for, and only then are the superblocks written (FUA),
 * so that none can speak for data still in a volatile cache of any plex:
 * a syncing plex's checkpoint or promotion to active, the clean mark,
 * always follow the durability of what they vouch for (see "Ordering" in
 * Documentation/design.rst).  The in-sync plexes' superblocks are written
 * before the others': when the last in-sync plex cannot take the update,
 * no plex gets it, since a newer superblock on a syncing plex would make
 * assembly take the in-sync plex for stale.  Plexes that fail either step
 * are failed and the update is repeated on the others; an attempt that
 * wrote no superblock (its flush failed) gives its generation back, and
 * one whose superblock write the last in-sync plex failed uses up the
 * generation after it too, so that no slot holding a plex's current
 * superblock is ever written over.
 * Marks plexes that left the in-sync set with the generation at which
 * they did.  An attempt the in-sync plexes took stays on their media when
 * a later one fails: the bitmap's coverage start it records counts as
 * recorded (mirvol_sb_recorded()).
 *
 * Context: sb_mutex held; process context outside submit_bio.
 * Return: 0, or -EIO when no plex took the update (the volume is failed)
 * or the last in-sync plex, which is never failed, could not take it;
 * MIRVOL_VOL_SB_FAILED is set then, and cleared on success.
 */
int mirvol_sb_update_locked(struct mirvol_volume *vol)
{
	struct mirvol_plex *targets[MIRVOL_MAX_PLEXES];
	unsigned int i, n, in_sync, first;
	struct mirvol_md md;
	int ret;

	lockdep_assert_held(&vol->sb_mutex);
	MIRVOL_KUNIT_HOOK(mirvol_kunit_sb_update_hook, vol);
	for (;;) {
		vol->generation++;
		n = mirvol_sb_targets(vol, targets, &in_sync);
		if (!n) {
			vol->generation--;
			ret = -EIO;
			break;
		}
		/* What it records was done before the flush below. */
		mirvol_md_fill(vol, targets[0], vol->generation, &md);
		for (i = 0; i < n; i++) {
			mirvol_md_set_plex(&md, targets[i]);
			mirvol_sb_encode(&md, page_address(targets[i]->sb_page));
		}
		/*
		 * The in-sync plexes first, the others once they took it; in
		 * one batch when all are in sync (or none is: the last
		 * in-sync plex went away and is recorded so).
		 */
		first = (in_sync && in_sync < n) ? in_sync : n;
		ret = mirvol_sb_write_all(vol, targets, n, false);
		if (ret) {
			/*
			 * No superblock written: the generation is unused.
			 * The next attempt (or update) takes it, rather
			 * than the one after, whose slot holds the current
			 * superblock (design.rst, rule 5).
			 */
			vol->generation--;
		} else {
			ret = mirvol_sb_write_all(vol, targets, first, true);
			if (ret >= 0 && in_sync)
				mirvol_sb_recorded(vol, &md);
			/*
			 * The last in-sync plex failed the write: its slot
			 * of this generation may be torn, and its current
			 * superblock is in the other.  The generation after
			 * is used up too, so that the next update takes
			 * this slot again, with a generation above anything
			 * this attempt left (design.rst, rule 5).
			 */
			if (ret < 0)
				vol->generation++;
		}
		if (!ret && first < n)
			ret = mirvol_sb_write_all(vol, targets + first,
						  n - first, true);
		if (!ret)
			WRITE_ONCE(vol->sb_plexes, mirvol_md_live(&md));
		if (ret <= 0)
			break;
	}
	/* Behind vol->generation on the in-sync plexes: no join (below). */
	if (ret)
		set_bit(MIRVOL_VOL_SB_FAILED, &vol->flags);
	else
		clear_bit(MIRVOL_VOL_SB_FAILED, &vol->flags);
	return ret;
}

/**
 * mirvol_sb_update - mirvol_sb_update_locked() taking sb_mutex
 * @vol: the volume
 *
 * Return: 0 or -EIO.
 */
int mirvol_sb_update(struct mirvol_volume *vol)
{
	int ret;

	mutex_lock(&vol->sb_mutex);
	ret = mirvol_sb_update_locked(vol);
	mutex_unlock(&vol->sb_mutex);
	return ret;
}

/*
 * Write the metadata head of a device, @pages (MIRVOL_META_HEAD_PAGES),
 * and tell udev: the device became, or stopped being, a member, and udev
 * only notices writes through device nodes it watches, so it re-examines
 * the device (member properties, UDISKS_IGNORE).
 */
static int mirvol_write_head_pages(struct block_device *bdev,
				   struct page **pages)
{
	int ret;

	ret = mirvol_sync_rw(bdev, REQ_OP_WRITE | MIRVOL_META_OPF |
			     REQ_PREFLUSH | REQ_FUA, 0, pages,
			     MIRVOL_META_HEAD_PAGES);
	if (!ret)
		kobject_uevent(bdev_kobj(bdev), KOBJ_CHANGE);
	return ret;
}

/*
 * Write the whole metadata head of a device: 4 KiB of zeros (wiping
 * signatures of what the device held before), then both slots, @page in
 * slot @slot and zeros in the other (a stale superblock of a former life
 * must never win the slot selection).
 */
static int mirvol_write_head(struct block_device *bdev, struct page *page,
			     int slot)
{
	struct page *pages[MIRVOL_META_HEAD_PAGES] = {
		ZERO_PAGE(0), ZERO_PAGE(0), ZERO_PAGE(0)
	};

	if (slot >= 0)
		pages[1 + slot] = page;
	return mirvol_write_head_pages(bdev, pages);
}

/* The bitmap area's page @i, as mirvol_bitmap_write_plex() writes it. */
static sector_t mirvol_meta_bitmap_sector(unsigned int i)
{
	return MIRVOL_SB_SECTOR(MIRVOL_BITMAP_OFFSET) +
	       i * (PAGE_SIZE >> SECTOR_SHIFT);
}

/**
 * mirvol_sb_save_meta - save what a join will write over on a device
 * @vol: the volume it joins; its bitmap, if any, says how much of the
 *	bitmap area the join writes
 * @plex: the plex, with its device, not in a volume
 * @mc: out: the copy; mirvol_sb_free_meta() frees it, also on failure
 *
 * A source volume's plex joining another volume (add-plex --from-volume,
 * merge-plex) keeps its metadata in this copy until the add cannot be
 * undone any more: mirvol_sb_restore_meta() writes it back if the add
 * fails, so that the source can be assembled again.
 *
 * Context: vol->lock held, as for the join; not while its I/O is held.
 * Return: 0 or a negative errno.
 */
int mirvol_sb_save_meta(struct mirvol_volume *vol, struct mirvol_plex *plex,
			struct mirvol_meta_copy *mc)
{
	unsigned int i, nr = MIRVOL_META_HEAD_PAGES;
	int ret = 0;

	lockdep_assert_held(&vol->lock);
	if (vol->bitmap)
		nr += vol->bitmap->nr_pages;
	mc->pages = kcalloc(nr, sizeof(*mc->pages), GFP_KERNEL);
	if (!mc->pages)
		return -ENOMEM;
	mc->nr = nr;
	for (i = 0; i < nr; i++) {
		mc->pages[i] = alloc_page(GFP_KERNEL);
		if (!mc->pages[i])
			return -ENOMEM;
	}
	ret = mirvol_sync_rw(plex->bdev, REQ_OP_READ | MIRVOL_META_OPF, 0,
			     mc->pages, MIRVOL_META_HEAD_PAGES);
	for (i = MIRVOL_META_HEAD_PAGES; i < nr && !ret; i++)
		ret = mirvol_sync_rw(plex->bdev, REQ_OP_READ | MIRVOL_META_OPF,
				     mirvol_meta_bitmap_sector(i -
						MIRVOL_META_HEAD_PAGES),
				     &mc->pages[i], 1);
	return ret;
}

/**
 * mirvol_sb_restore_meta - write a copy of mirvol_sb_save_meta() back
 * @plex: the plex it was saved from, with its device
 * @mc: the copy
 *
 * The bitmap area first, then the metadata head, as a join writes them.
 *
 * Return: 0 or a negative errno.
 */
int mirvol_sb_restore_meta(struct mirvol_plex *plex,
			   struct mirvol_meta_copy *mc)
{
	unsigned int i;
	int ret = 0;

	if (!plex->bdev)
		return -ENODEV;
#if IS_ENABLED(CONFIG_MIRVOL_KUNIT_TEST)
	/* mirvol_sync_rw() bypasses mirvol_inject(): the same rule here. */
	if (mc->nr > MIRVOL_META_HEAD_PAGES &&
	    (READ_ONCE(plex->inject) & MIRVOL_INJECT_BITMAP))
		return -EIO;
#endif
	for (i = MIRVOL_META_HEAD_PAGES; i < mc->nr && !ret; i++)
		ret = mirvol_sync_rw(plex->bdev, REQ_OP_WRITE | REQ_META |
				     REQ_FUA,
				     mirvol_meta_bitmap_sector(i -
						MIRVOL_META_HEAD_PAGES),
				     &mc->pages[i], 1);
	if (!ret)
		ret = mirvol_write_head_pages(plex->bdev, mc->pages);
	return ret;
}

/**
 * mirvol_sb_free_meta - free a copy of mirvol_sb_save_meta()
 * @mc: the copy; empty afterwards (freeing an empty one does nothing)
 */
void mirvol_sb_free_meta(struct mirvol_meta_copy *mc)
{
	unsigned int i;

	if (!mc->pages)
		return;
	for (i = 0; i < mc->nr; i++)
		if (mc->pages[i])
			__free_page(mc->pages[i]);
	kfree(mc->pages);
	mc->pages = NULL;
	mc->nr = 0;
}

/* The bitmap image, then the metadata head with the superblock of @gen. */
static int mirvol_sb_write_member(struct mirvol_volume *vol,
				  struct mirvol_plex *plex, u64 gen)
{
	struct mirvol_md md;

	mirvol_md_fill(vol, plex, gen, &md);
	mirvol_sb_encode(&md, page_address(plex->sb_page));
	/* The bitmap first: the superblock says there is one. */
	if (vol->bitmap) {
		int ret = mirvol_bitmap_write_plex(vol->bitmap, plex->bdev,
						   md.bitmap_offset);

		if (ret)
			return ret;
	}
	return mirvol_write_head(plex->bdev, plex->sb_page, gen & 1);
}

/**
 * mirvol_sb_init_plex - make a device a member of a new volume
 * @vol: the volume, not started, its generation current
 * @plex: the plex, in its slot
 *
 * Writes the bitmap image, if the volume has a bitmap, then the
 * superblock.  No other device holds a superblock of @vol yet; a device
 * that joins a volume whose plexes hold one takes mirvol_sb_join_plex().
 *
 * Context: sb_mutex held.
 * Return: 0 or a negative errno.
 */
int mirvol_sb_init_plex(struct mirvol_volume *vol, struct mirvol_plex *plex)
{
	int ret;

	lockdep_assert_held(&vol->sb_mutex);
	if (!vol->generation)
		vol->generation = 1;
	ret = mirvol_sb_write_member(vol, plex, vol->generation);
#if IS_ENABLED(CONFIG_MIRVOL_KUNIT_TEST)
	{
		int (*hook)(struct mirvol_plex *plex) =
			READ_ONCE(mirvol_kunit_init_hook);

		if (!ret && hook)
			ret = hook(plex);
	}
#endif
	return ret;
}

/**
 * mirvol_sb_join_plex - make a device a member of a volume that has some
 * @vol: the volume
 * @plex: the plex, in its slot, in the state it joins in
 *
 * Like mirvol_sb_init_plex(), but the superblock is the one the update
 * that follows will write: of the next generation, with the plex table as
 * it stands (every device joining with this update already in it).  A
 * power cut before that update reaches the in-sync plexes leaves this
 * device's superblock the newest and theirs one generation behind, still
 * current: assembly takes the device in, as it was being taken in.  At
 * the volume's own generation its superblock would tie with theirs, which
 * do not list it, and the device would end up in no volume, or in one
 * depending on the order in which assembly met the members.
 *
 * Not while the last update failed (MIRVOL_VOL_SB_FAILED): an attempt
 * that wrote superblocks used up a generation no in-sync plex took, and
 * the device's superblock would be two or more ahead of theirs, which
 * makes them stale to assembly (none in sync: the volume would not
 * assemble).  Callers try the update again first (mirvol_sb_catch_up()).
 * A plex in sync coming back (the last in-sync plex, a split undone) is
 * exempt: it holds every acknowledged write, and the others would copy
 * from it.
 *
 * Context: sb_mutex held; the caller calls mirvol_sb_update_locked()
 * next, in the same hold.
 * Return: 0 or a negative errno.
 */
int mirvol_sb_join_plex(struct mirvol_volume *vol, struct mirvol_plex *plex)
{
	lockdep_assert_held(&vol->sb_mutex);
	MIRVOL_KUNIT_HOOK(mirvol_kunit_alloc_hook, vol, "join");
#if IS_ENABLED(CONFIG_MIRVOL_KUNIT_TEST)
	{
		int (*hook)(struct mirvol_plex *plex) =
			READ_ONCE(mirvol_kunit_join_hook);
		int ret = hook ? hook(plex) : 0;

		if (ret)
			return ret;
	}
#endif
	if (test_bit(MIRVOL_VOL_SB_FAILED, &vol->flags) &&
	    READ_ONCE(plex->state) != MIRVOL_PLEX_ACTIVE)
		return -EIO;
	return mirvol_sb_write_member(vol, plex, vol->generation + 1);
}

/* Write @page to slot @slot of @bdev, FUA. */
static int mirvol_sb_write_slot(struct block_device *bdev, struct page *page,
				int slot)
{
	return mirvol_sync_rw(bdev, REQ_OP_WRITE | MIRVOL_META_OPF | REQ_FUA,
			      MIRVOL_SB_SECTOR_OF(slot), &page, 1);
}

/**
 * mirvol_sb_mark_offline - record on an offline plex's device that it is
 * @vol: the volume, whose last superblock update recorded @plex offline
 * @plex: the plex taken offline, with its device
 *
 * An offline plex is not written, superblocks included: its own one,
 * from before, would record it in sync, and a boot that finds its device
 * alone would run its image as the volume, without every write made
 * since.  Its superblock is therefore written as it goes offline: the
 * update the in-sync plexes just took (same generation, same table),
 * which records it offline.  Alone, it then has no in-sync member
 * (NO_IN_SYNC_MEMBER); with the others, it ties with or is older than
 * theirs, which record it offline too.  Written again whenever its
 * device is held as the offline plex (assembly, late join): a superblock
 * from before, or from an older module, that records it in sync is so
 * replaced.
 *
 * Never over the device's current superblock (read back first): torn,
 * that write would leave the other slot, which may record the plex in
 * sync.  The other slot is written, and then, when the current one does
 * not record the plex offline, the current one too, so that both slots
 * record it offline: a torn write later, of a mark again or of the
 * metadata head as it comes back (mirvol_sb_join_plex()), leaves an
 * offline mark.  The two slots then hold the same superblock, of one
 * generation (mirvol_sb_select() takes slot 0).  A failure is logged and
 * changes nothing else: the plex stays offline.
 *
 * Not after a failed update (MIRVOL_VOL_SB_FAILED): its generation, which
 * no in-sync plex took, would make this superblock the newest.  Any
 * successful one records @plex offline as long as it is.
 *
 * Context: vol->lock held (the plex stays in its slot); takes sb_mutex.
 */
void mirvol_sb_mark_offline(struct mirvol_volume *vol,
			    struct mirvol_plex *plex)
{
	struct page *page = plex->sb_page;
	enum mirvol_reason reason;
	unsigned int noio;
	struct mirvol_md md;
	bool marked;
	int cur, slot, ret;

	lockdep_assert_held(&vol->lock);
	mutex_lock(&vol->sb_mutex);
	if (!plex->bdev || READ_ONCE(plex->state) != MIRVOL_PLEX_OFFLINE ||
	    test_bit(MIRVOL_VOL_SB_FAILED, &vol->flags)) {
		mutex_unlock(&vol->sb_mutex);
		return;
	}
	/* sb_mutex: no reclaim writing back to this volume. */
	noio = memalloc_noio_save();
	cur = mirvol_sb_read_dev(plex->bdev, &md, &reason);
	memalloc_noio_restore(noio);
	if (cur < 0 && (reason == MIRVOL_R_IO_ERROR ||
			reason == MIRVOL_R_NO_MEMORY)) {
		/* Which slot is current is unknown: write neither. */
		ret = cur;
		goto out;
	}
	marked = cur >= 0 && md.plex_index == plex->index &&
		 md.plexes[plex->index].state == MIRVOL_PLEX_OFFLINE;
	slot = cur >= 0 ? !cur : vol->generation & 1;
	mirvol_md_fill(vol, plex, vol->generation, &md);
	mirvol_sb_encode(&md, page_address(page));
	ret = mirvol_sb_write_slot(plex->bdev, page, slot);
	if (!ret && !marked)
		ret = mirvol_sb_write_slot(plex->bdev, page, !slot);
out:
	mutex_unlock(&vol->sb_mutex);
	if (ret)
		pr_warn("mirvol: %s: plex %u's superblock could not record it offline (%d): alone at a boot, it would start as in sync\n",
			vol->name, plex->index, ret);
}

/**
 * mirvol_sb_catch_up - retry a superblock update that failed
 * @vol: the volume
 *
 * Before a device joins (mirvol_sb_join_plex()), with the device not in
 * the plex table yet, or not writable in it: once the plexes take
 * superblocks again, the join goes through.
 *
 * Context: sb_mutex held; process context outside submit_bio.
 * Return: 0 when the last update went through, or this one did; -EIO.
 */
int mirvol_sb_catch_up(struct mirvol_volume *vol)
{
	lockdep_assert_held(&vol->sb_mutex);
	if (!test_bit(MIRVOL_VOL_SB_FAILED, &vol->flags))
		return 0;
	return mirvol_sb_update_locked(vol);
}

/**
 * mirvol_sb_wipe - erase a plex's metadata so the device is free
 * @plex: the plex, with its device
 *
 * Return: 0 or a negative errno.
 */
int mirvol_sb_wipe(struct mirvol_plex *plex)
{
	if (!plex->bdev)
		return 0;
#if IS_ENABLED(CONFIG_MIRVOL_KUNIT_TEST)
	/* mirvol_sync_rw() bypasses mirvol_inject(): the same rule here. */
	if (READ_ONCE(plex->inject) & MIRVOL_INJECT_WRITE)
		return -EIO;
#endif
	return mirvol_write_head(plex->bdev, NULL, -1);
}

/**
 * mirvol_sb_erase - erase the metadata of a plex that leaves for good
 * @vol: the volume it leaves (named in the log)
 * @plex: the plex, with its device or without
 * @what: how the log names it before its device ("", "removed plex ")
 *
 * A device that keeps its superblock would assemble again, as a stale
 * volume of its own: that is an error the caller reports (remove,
 * remove-plex, replace), past its point of no return.  Not for a failed
 * plex: its device failed a write already (reported then), and its
 * superblock is older than the volume's; only the log says it kept it.
 *
 * Return: MIRVOL_R_NONE, or MIRVOL_R_WIPE_FAILED.
 */
enum mirvol_reason mirvol_sb_erase(struct mirvol_volume *vol,
				   struct mirvol_plex *plex, const char *what)
{
	bool failed = READ_ONCE(plex->state) == MIRVOL_PLEX_FAILED;
	int err = mirvol_sb_wipe(plex);

	if (!err)
		return MIRVOL_R_NONE;
	if (failed) {
		pr_warn("mirvol: %s: %sfailed plex %pg keeps its (stale) superblock: erasing it failed too (%d); erase it if it works again\n",
			vol->name, what, plex->bdev, err);
		return MIRVOL_R_NONE;
	}
	pr_err("mirvol: %s: %s%pg keeps its superblock: erasing it failed (%d); erase it before reusing it\n",
	       vol->name, what, plex->bdev, err);
	return MIRVOL_R_WIPE_FAILED;
}
