// SPDX-License-Identifier: GPL-2.0
/*
 * mirvol resync: copy the volume's data from an in-sync plex onto
 * syncing or stale plexes, in the background, as an operation.
 *
 * The copy proceeds in chunks of MIRVOL_RESYNC_CHUNK; a batch of up to
 * MIRVOL_RESYNC_BATCH chunks is read from the source in parallel, then
 * written to every target in parallel.  While a batch is copied its
 * barrier bucket is raised (mirvol_barrier.h): writes to that region wait,
 * writes in flight there drain first, so no foreground write can be
 * overwritten by older data.  Writes elsewhere go on, and they reach the
 * targets too, so the region behind the cursor stays in sync.
 *
 * Speed is throttled like md's: never above sync_speed_max; above
 * sync_speed_min only while the volume sees no foreground I/O.  The
 * position is checkpointed in the superblocks every few seconds, so an
 * interrupted resync resumes instead of restarting.
 *
 * Copyright (C) 2026 The mirvol authors
 */
#include <linux/blkdev.h>
#include <linux/delay.h>
#include <linux/jiffies.h>
#include <linux/part_stat.h>
#include <linux/slab.h>

#include "mirvol_core.h"

#define MIRVOL_RESYNC_CHUNK	2048U		/* sectors: 1 MiB */
#define MIRVOL_RESYNC_BATCH	4U		/* chunks copied together */
#define MIRVOL_RESYNC_PAGES	(MIRVOL_RESYNC_CHUNK >> (PAGE_SHIFT - 9))
#define MIRVOL_CHECKPOINT_SECS	3

/**
 * struct mirvol_resync - one resync pass
 * @op: the operation it runs for
 * @vol: the volume
 * @source: preferred source slot, or -1 for any in-sync plex
 * @pages: MIRVOL_RESYNC_BATCH * MIRVOL_RESYNC_PAGES pages of buffer
 * @speed: the copy rate's sliding window
 * @done: sectors copied in this pass
 * @fg_sectors: foreground sectors seen by the last throttle check
 * @repair: read repair: the plexes to rewrite (bit per slot), else 0
 */
struct mirvol_resync {
	struct mirvol_operation *op;
	struct mirvol_volume *vol;
	int source;
	u8 repair;
	struct page **pages;
	struct mirvol_speed speed;
	u64 done;
	unsigned long fg_sectors;
};

static unsigned long mirvol_fg_sectors(struct mirvol_volume *vol)
{
	struct block_device *part0 = vol->disk->part0;

	return part_stat_read(part0, sectors[STAT_READ]) +
	       part_stat_read(part0, sectors[STAT_WRITE]);
}

/*
 * Throttle: sleep while above the ceiling, and while above the floor if
 * the volume served foreground I/O since the last check.  The speed is
 * measured over a window sliding by MIRVOL_MARK_SECS (3 to 6 seconds
 * long once running, as md's marks), so that a new window does not
 * forget the batch just copied and let the next one through at once.
 */
static void mirvol_resync_throttle(struct mirvol_resync *rs)
{
	struct mirvol_volume *vol = rs->vol;
	unsigned long fg;

	for (;;) {
		unsigned long now = jiffies, delay;
		unsigned int speed, min;

		if (mirvol_op_should_stop(rs->op))
			return;
		speed = mirvol_speed_kibs(&rs->speed, now, rs->done);
		WRITE_ONCE(vol->sync_speed, speed);
		delay = mirvol_speed_delay(&rs->speed, now, rs->done,
					   READ_ONCE(vol->sync_speed_max));
		if (delay) {
			/* Until the window's average is back at max. */
			delay = min_t(unsigned long, delay, HZ / 10);
			mirvol_op_sleep(rs->op, jiffies_to_msecs(delay) + 1);
			continue;
		}
		min = READ_ONCE(vol->sync_speed_min);
		fg = mirvol_fg_sectors(vol);
		if (speed > min && fg != rs->fg_sectors) {
			rs->fg_sectors = fg;
			mirvol_op_sleep(rs->op, 20);
			continue;
		}
		rs->fg_sectors = fg;
		return;
	}
}

/* The plex to copy from: the preferred one if in sync, else the first. */
static struct mirvol_plex *mirvol_resync_source(struct mirvol_resync *rs,
						unsigned int tried)
{
	struct mirvol_volume *vol = rs->vol;
	unsigned int i;

	if (rs->source >= 0 && !(tried & BIT(rs->source))) {
		struct mirvol_plex *plex = vol->plexes[rs->source];

		if (plex && plex->bdev &&
		    mirvol_state_readable(READ_ONCE(plex->state)))
			return plex;
	}
	for (i = 0; i < MIRVOL_MAX_PLEXES; i++) {
		struct mirvol_plex *plex = vol->plexes[i];

		if (plex && plex->bdev && !(tried & BIT(i)) &&
		    mirvol_state_readable(READ_ONCE(plex->state)))
			return plex;
	}
	return NULL;
}

static struct bio *mirvol_resync_bio(struct mirvol_resync *rs,
				     struct mirvol_plex *plex, blk_opf_t opf,
				     sector_t sector, unsigned int chunk,
				     unsigned int sectors)
{
	unsigned int i, nr = DIV_ROUND_UP(sectors, PAGE_SIZE >> 9);
	struct page **pages = rs->pages + chunk * MIRVOL_RESYNC_PAGES;
	struct bio *bio;

	bio = bio_alloc_bioset(plex->bdev, nr, opf, GFP_NOIO,
			       &rs->vol->sync_bs);
	bio->bi_iter.bi_sector = plex->data_offset + sector;
	for (i = 0; i < nr; i++) {
		unsigned int len = min_t(unsigned int, PAGE_SIZE,
					 (sectors << 9) - i * PAGE_SIZE);

		__bio_add_page(bio, pages[i], len, 0);
	}
	return bio;
}

/*
 * Read [sector, sector + sectors) from an in-sync plex into the buffer,
 * trying every in-sync plex before giving up.
 */
static int mirvol_resync_read(struct mirvol_resync *rs, sector_t sector,
			      unsigned int sectors)
{
	struct bio *bios[MIRVOL_RESYNC_BATCH];
	unsigned int tried = rs->repair;
	struct mirvol_plex *src;

	while ((src = mirvol_resync_source(rs, tried))) {
		struct mirvol_batch batch;
		unsigned int i, n = 0;
		bool failed = false;

		tried |= BIT(src->index);
		mirvol_batch_init(&batch);
		for (i = 0; i * MIRVOL_RESYNC_CHUNK < sectors; i++) {
			unsigned int len = min(MIRVOL_RESYNC_CHUNK,
					       sectors - i * MIRVOL_RESYNC_CHUNK);

			bios[n] = mirvol_resync_bio(rs, src, REQ_OP_READ,
						    sector + i * MIRVOL_RESYNC_CHUNK,
						    i, len);
			mirvol_batch_submit(&batch, bios[n++], src);
		}
		mirvol_batch_wait(&batch);
		for (i = 0; i < n; i++) {
			if (bios[i]->bi_status)
				failed = true;
			bio_put(bios[i]);
		}
		if (!failed)
			return 0;
		mirvol_plex_error(src, false);
		pr_warn("mirvol: %s: resync read from plex %u failed at %llu\n",
			rs->vol->name, src->index, (unsigned long long)sector);
	}
	return -EIO;
}

/* Is @plex a target of this pass at @sector? */
static bool mirvol_resync_target(struct mirvol_plex *plex, sector_t sector)
{
	return plex && plex->bdev &&
	       READ_ONCE(plex->state) == MIRVOL_PLEX_SYNCING &&
	       READ_ONCE(plex->sync_offset) <= sector;
}

static bool mirvol_repair_target(struct mirvol_resync *rs,
				 struct mirvol_plex *plex)
{
	return plex && plex->bdev && (rs->repair & BIT(plex->index)) &&
	       READ_ONCE(plex->state) == MIRVOL_PLEX_ACTIVE;
}

/* Write the buffer to every target; failed targets are failed. */
static unsigned int mirvol_resync_write(struct mirvol_resync *rs,
					sector_t sector, unsigned int sectors)
{
	struct bio *bios[MIRVOL_MAX_PLEXES * MIRVOL_RESYNC_BATCH];
	struct mirvol_plex *owner[MIRVOL_MAX_PLEXES * MIRVOL_RESYNC_BATCH];
	struct mirvol_volume *vol = rs->vol;
	unsigned int i, c, n = 0, written = 0, bad = 0;
	struct mirvol_batch batch;

	mirvol_batch_init(&batch);
	for (i = 0; i < MIRVOL_MAX_PLEXES; i++) {
		struct mirvol_plex *plex = vol->plexes[i];

		if (rs->repair ? !mirvol_repair_target(rs, plex) :
				 !mirvol_resync_target(plex, sector))
			continue;
		for (c = 0; c * MIRVOL_RESYNC_CHUNK < sectors; c++) {
			unsigned int len = min(MIRVOL_RESYNC_CHUNK,
					       sectors - c * MIRVOL_RESYNC_CHUNK);

			owner[n] = plex;
			bios[n] = mirvol_resync_bio(rs, plex, REQ_OP_WRITE,
						    sector + c * MIRVOL_RESYNC_CHUNK,
						    c, len);
			mirvol_batch_submit(&batch, bios[n++], plex);
		}
	}
	mirvol_batch_wait(&batch);
	for (i = 0; i < n; i++) {
		if (bios[i]->bi_status)
			bad |= BIT(owner[i]->index);
		bio_put(bios[i]);
	}
	for (i = 0; i < n; i++) {
		struct mirvol_plex *plex = owner[i];

		if (bad & BIT(plex->index)) {
			mirvol_plex_error(plex, true);
		} else if (!rs->repair &&
			   READ_ONCE(plex->sync_offset) <= sector) {
			WRITE_ONCE(plex->sync_offset, sector + sectors);
			written++;
		}
	}
	return written;
}

/* Any syncing target left at or behind @sector? */
static bool mirvol_resync_has_targets(struct mirvol_volume *vol,
				      sector_t sector)
{
	unsigned int i;

	for (i = 0; i < MIRVOL_MAX_PLEXES; i++)
		if (mirvol_resync_target(vol->plexes[i], sector))
			return true;
	return false;
}

/* Where the pass starts: the lowest checkpoint among the targets. */
static sector_t mirvol_resync_begin(struct mirvol_volume *vol)
{
	sector_t begin = vol->size;
	unsigned int i;

	mutex_lock(&vol->sb_mutex);
	for (i = 0; i < MIRVOL_MAX_PLEXES; i++) {
		struct mirvol_plex *plex = vol->plexes[i];

		if (!plex || !plex->bdev)
			continue;
		if (plex->state == MIRVOL_PLEX_STALE) {
			plex->sync_offset = 0;
			mirvol_set_plex_state(plex, MIRVOL_PLEX_SYNCING);
		}
		if (plex->state == MIRVOL_PLEX_SYNCING)
			begin = min(begin, plex->sync_offset);
	}
	mirvol_sb_update_locked(vol);
	mutex_unlock(&vol->sb_mutex);
	return begin;
}

/*
 * Targets that reached the end are in sync now.  Returns whether some
 * target was left behind.
 */
static bool mirvol_resync_end(struct mirvol_volume *vol)
{
	unsigned int i;
	bool left;

	mutex_lock(&vol->sb_mutex);
	for (i = 0; i < MIRVOL_MAX_PLEXES; i++) {
		struct mirvol_plex *plex = vol->plexes[i];

		if (plex && plex->state == MIRVOL_PLEX_SYNCING &&
		    READ_ONCE(plex->sync_offset) >= vol->size)
			mirvol_set_plex_state(plex, MIRVOL_PLEX_ACTIVE);
	}
	mirvol_sb_update_locked(vol);
	left = mirvol_resync_has_targets(vol, vol->size);
	mutex_unlock(&vol->sb_mutex);
	return left;
}

/* Copy one batch under its barrier; I/O reference held meanwhile. */
static int mirvol_resync_batch(struct mirvol_resync *rs, sector_t sector,
			       unsigned int sectors)
{
	struct mirvol_volume *vol = rs->vol;
	unsigned int idx = mirvol_barrier_idx(sector);
	int err;

	mirvol_barrier_raise(&vol->barrier, idx);
	err = mirvol_resync_read(rs, sector, sectors);
	if (!err)
		mirvol_resync_write(rs, sector, sectors);
	mirvol_barrier_lower(&vol->barrier, idx);
	return err;
}

static void mirvol_resync_free_pages(struct page **pages)
{
	unsigned int i;

	for (i = 0; i < MIRVOL_RESYNC_BATCH * MIRVOL_RESYNC_PAGES; i++)
		if (pages[i])
			__free_page(pages[i]);
	kfree(pages);
}

static struct page **mirvol_resync_alloc_pages(unsigned int chunks, gfp_t gfp)
{
	unsigned int i, nr = chunks * MIRVOL_RESYNC_PAGES;
	struct page **pages;

	pages = kcalloc(MIRVOL_RESYNC_BATCH * MIRVOL_RESYNC_PAGES,
			sizeof(*pages), gfp);
	if (!pages)
		return NULL;
	for (i = 0; i < nr; i++) {
		pages[i] = alloc_page(gfp);
		if (!pages[i]) {
			mirvol_resync_free_pages(pages);
			return NULL;
		}
	}
	return pages;
}

/**
 * mirvol_resync_run - bring every syncing or stale plex in sync
 * @op: the operation (progress, cancellation)
 * @vol: the volume, started
 * @source: preferred source slot, or -1
 *
 * Context: the operation's work; no volume lock held.
 * Return: 0 when every target reached the end (or none was left),
 * -ECANCELED when stopped, -EIO when no source could be read or every
 * target failed.
 */
int mirvol_resync_run(struct mirvol_operation *op, struct mirvol_volume *vol,
		      int source)
{
	struct mirvol_resync rs = { .op = op, .vol = vol, .source = source };
	unsigned long checkpoint = jiffies;
	sector_t sector, begin;
	int err = 0;

	rs.pages = mirvol_resync_alloc_pages(MIRVOL_RESYNC_BATCH, GFP_KERNEL);
	if (!rs.pages)
		return -ENOMEM;
	begin = mirvol_resync_begin(vol);
	mirvol_speed_start(&rs.speed, jiffies, 0);
	rs.fg_sectors = mirvol_fg_sectors(vol);
	mirvol_op_set_progress(op, (u64)begin << SECTOR_SHIFT,
			       (u64)vol->size << SECTOR_SHIFT);
	mirvol_uevent(vol, "resync-started", NULL, NULL);
	pr_info("mirvol: %s: resync from sector %llu\n", vol->name,
		(unsigned long long)begin);

	for (sector = begin; sector < vol->size; ) {
		unsigned int sectors;

		mirvol_resync_throttle(&rs);
		if (mirvol_op_should_stop(op)) {
			err = -ECANCELED;
			break;
		}
		/* Below 16 MiB/s, one chunk at a time: smaller bursts. */
		sectors = MIRVOL_RESYNC_CHUNK * MIRVOL_RESYNC_BATCH;
		if (READ_ONCE(vol->sync_speed_max) &&
		    READ_ONCE(vol->sync_speed_max) < 16384)
			sectors = MIRVOL_RESYNC_CHUNK;
		sectors = min_t(sector_t, sectors, vol->size - sector);
		sectors = min_t(sector_t, sectors,
				mirvol_barrier_unit_end(sector) - sector);

		/* Drained by suspend: the plex array is stable inside. */
		mirvol_io_enter(vol);
		if (!mirvol_resync_has_targets(vol, sector)) {
			mirvol_io_exit(vol);
			break;
		}
		err = mirvol_resync_batch(&rs, sector, sectors);
		mirvol_io_exit(vol);
		if (err)
			break;
		sector += sectors;
		rs.done += sectors;
		mirvol_op_set_progress(op, (u64)sector << SECTOR_SHIFT,
				       (u64)vol->size << SECTOR_SHIFT);
		if (time_after(jiffies, checkpoint +
			       MIRVOL_CHECKPOINT_SECS * HZ)) {
			mirvol_sb_update(vol);
			checkpoint = jiffies;
		}
	}
	WRITE_ONCE(vol->sync_speed, 0);
	mirvol_resync_free_pages(rs.pages);
	if (mirvol_resync_end(vol) && !err)
		err = -EIO;	/* targets left behind: their source failed */
	mirvol_uevent(vol, "resync-finished", NULL, NULL);
	pr_info("mirvol: %s: resync %s at sector %llu\n", vol->name,
		err ? "stopped" : "finished", (unsigned long long)sector);
	return err;
}

/**
 * mirvol_repair_work - rewrite ranges that failed to read on some plexes
 * @work: vol->repair_work
 *
 * Each range is copied, in chunks under their barrier, from an in-sync
 * plex that did not fail it onto those that did and are still in sync.
 * A plex that fails the rewrite is failed.
 */
void mirvol_repair_work(struct work_struct *work)
{
	struct mirvol_volume *vol = container_of(work, struct mirvol_volume,
						 repair_work);
	struct mirvol_resync rs = { .vol = vol, .source = -1 };
	struct mirvol_repair *r, *next;
	LIST_HEAD(list);

	spin_lock_irq(&vol->state_lock);
	list_splice_init(&vol->repairs, &list);
	spin_unlock_irq(&vol->state_lock);
	if (list_empty(&list))
		return;
	rs.pages = mirvol_resync_alloc_pages(1, GFP_NOIO);
	list_for_each_entry_safe(r, next, &list, list) {
		sector_t s = r->sector, end = r->sector + r->sectors;
		int err = 0;

		while (rs.pages && s < end && !err) {
			unsigned int len = min_t(sector_t, MIRVOL_RESYNC_CHUNK,
						 end - s);

			len = min_t(sector_t, len,
				    mirvol_barrier_unit_end(s) - s);
			rs.repair = r->targets;
			mirvol_io_enter(vol);
			err = mirvol_resync_batch(&rs, s, len);
			mirvol_io_exit(vol);
			s += len;
		}
		pr_info_ratelimited("mirvol: %s: %s sectors %llu+%u on plexes %#x\n",
				    vol->name, rs.pages && !err ?
				    "rewrote" : "could not rewrite",
				    (unsigned long long)r->sector, r->sectors,
				    r->targets);
		list_del(&r->list);
		kfree(r);
	}
	if (rs.pages)
		mirvol_resync_free_pages(rs.pages);
}

static void mirvol_resync_work(struct mirvol_operation *op)
{
	struct mirvol_volume *vol = op->vol;
	enum mirvol_reason stop;
	int err;

	err = mirvol_resync_run(op, vol, op->source);
	stop = mirvol_op_stop_reason(op);
	if (stop) {
		mirvol_op_finish(op, mirvol_reason_errno(stop), stop);
		return;
	}
	if (!err) {
		mutex_lock(&vol->lock);
		vol->resync_source = -1;
		mutex_unlock(&vol->lock);
	}
	mirvol_op_finish(op, err, MIRVOL_R_NONE);
}

/**
 * mirvol_resync_if_needed - start a resync if a plex needs one
 * @vol: the volume
 *
 * Starts a RESYNC operation when the volume is started, idle, has an
 * in-sync plex and a stale or syncing one.
 *
 * Context: vol->lock held.
 * Return: the operation's id, or 0 when none was started.
 */
u64 mirvol_resync_if_needed(struct mirvol_volume *vol)
{
	bool target = false, source = false;
	struct mirvol_operation *op;
	unsigned int i;

	lockdep_assert_held(&vol->lock);
	if (vol->op || test_bit(MIRVOL_VOL_DEAD, &vol->flags) ||
	    !test_bit(MIRVOL_VOL_STARTED, &vol->flags))
		return 0;
	for (i = 0; i < MIRVOL_MAX_PLEXES; i++) {
		struct mirvol_plex *plex = vol->plexes[i];
		unsigned int state;

		if (!plex || !plex->bdev)
			continue;
		state = READ_ONCE(plex->state);
		if (state == MIRVOL_PLEX_STALE || state == MIRVOL_PLEX_SYNCING)
			target = true;
		if (state == MIRVOL_PLEX_ACTIVE)
			source = true;
	}
	if (!target || !source)
		return 0;
	op = mirvol_op_new(vol, MIRVOL_OP_RESYNC, mirvol_resync_work);
	if (!op)
		return 0;
	op->cancellable = true;
	op->source = vol->resync_source;
	for (i = 0; i < MIRVOL_MAX_PLEXES; i++) {
		struct mirvol_plex *plex = vol->plexes[i];

		if (plex && plex->bdev &&
		    (plex->state == MIRVOL_PLEX_STALE ||
		     plex->state == MIRVOL_PLEX_SYNCING))
			mirvol_op_add_output(op, &plex->uuid);
	}
	mirvol_op_set_progress(op, 0, (u64)vol->size << SECTOR_SHIFT);
	mirvol_op_start(op);
	return op->id;
}
