// SPDX-License-Identifier: GPL-2.0
/*
 * mirvol resync: copy the volume's data from an in-sync plex onto
 * syncing or stale plexes, in the background, as an operation; and read
 * repair, which rewrites ranges some plex failed to read.  Also the copy
 * machinery both share with scrub (mirvol_sync.h).
 *
 * A pass copies in batches (mirvol_sync_next_step()): each starts at the
 * lowest checkpoint among the targets and writes every target only from
 * its own checkpoint on, so every sector of every target is copied
 * exactly once per pass, wherever the checkpoints stand and whatever the
 * batch size.  While a batch is copied its barrier bucket is raised
 * (mirvol_barrier.h): writes to that region wait, writes in flight there
 * drain first, so no foreground write can be overwritten by older data.
 * Writes elsewhere go on and reach the targets too, so the region behind
 * a target's checkpoint stays in sync.
 *
 * A batch that the preferred source cannot read is read from the other
 * in-sync plexes; when none reads all of it, unit by unit (a logical
 * block, at least 4 KiB) from whichever plex reads each unit, and the
 * plexes that failed a unit another could read get it rewritten (read
 * repair).  A unit that no plex can read stops the pass with
 * SOURCE_READ_ERROR, after copying what lies before it; the in-sync
 * plexes are never failed for it (mirvol_plex_error()).  With FORCE such
 * a unit is written as zeros on every plex, sources included, and
 * counted as lost: the integrated ddrescue.
 *
 * Checkpoints and the promotion to active reach the superblocks through
 * mirvol_sb_update_locked(), which flushes every plex before it writes
 * any superblock: a superblock never speaks for copied data still in a
 * volatile cache.
 *
 * A cancel stops a pass between batches; the promotion that leaves no
 * plex to copy is the point of no return (mirvol_op_enter_final()): a
 * cancel before it leaves the targets syncing, one after it is too late.
 *
 * Speed is throttled like md's: never above sync_speed_max; above
 * sync_speed_min only while the volume sees no foreground I/O.
 *
 * Copyright (C) 2026 The mirvol authors
 */
#include <linux/blkdev.h>
#include <linux/delay.h>
#include <linux/jiffies.h>
#include <linux/part_stat.h>
#include <linux/slab.h>

#include "mirvol_sync.h"

#define MIRVOL_CHECKPOINT_SECS	3

static unsigned long mirvol_fg_sectors(struct mirvol_volume *vol)
{
	struct block_device *part0 = vol->disk->part0;

	return part_stat_read(part0, sectors[STAT_READ]) +
	       part_stat_read(part0, sectors[STAT_WRITE]);
}

/**
 * mirvol_sync_throttle - wait until the pass may copy the next batch
 * @sy: a pass of an operation
 *
 * Sleeps while the pass runs above sync_speed_max, and while above
 * sync_speed_min if the volume served foreground I/O since the last
 * check.  The speed is measured over a window sliding by
 * MIRVOL_MARK_SECS (3 to 6 seconds long once running, as md's marks), so
 * that a new window does not forget the batch just copied.  Returns early
 * when the operation is asked to stop.
 */
void mirvol_sync_throttle(struct mirvol_sync *sy)
{
	struct mirvol_volume *vol = sy->vol;
	unsigned long fg;

	for (;;) {
		unsigned long now = jiffies, delay;
		unsigned int speed, min;

		if (mirvol_op_should_stop(sy->op))
			return;
		speed = mirvol_speed_kibs(&sy->speed, now, sy->done);
		WRITE_ONCE(vol->sync_speed, speed);
		delay = mirvol_speed_delay(&sy->speed, now, sy->done,
					   READ_ONCE(vol->sync_speed_max));
		if (delay) {
			/* Until the window's average is back at max. */
			delay = min_t(unsigned long, delay, HZ / 10);
			mirvol_op_sleep(sy->op, jiffies_to_msecs(delay) + 1);
			continue;
		}
		min = READ_ONCE(vol->sync_speed_min);
		fg = mirvol_fg_sectors(vol);
		if (speed > min && fg != sy->fg_sectors) {
			sy->fg_sectors = fg;
			mirvol_op_sleep(sy->op, 20);
			continue;
		}
		sy->fg_sectors = fg;
		return;
	}
}

/**
 * mirvol_sync_exit - free a pass's buffer
 * @sy: the pass
 */
void mirvol_sync_exit(struct mirvol_sync *sy)
{
	unsigned int i;

	if (!sy->pages)
		return;
	for (i = 0; i < sy->nr_pages; i++)
		if (sy->pages[i])
			__free_page(sy->pages[i]);
	kfree(sy->pages);
	sy->pages = NULL;
}

/**
 * mirvol_sync_unit - sectors the fallback of a pass reads apart
 * @vol: the volume, started
 *
 * Its logical block size as vol->io_mask has it, not from vol->disk: a
 * start that fails after add_disk() takes the disk away while a read
 * repair that a read of it queued may still be to run.
 *
 * Return: its logical block size, at least MIRVOL_SYNC_MIN_UNIT.
 */
unsigned int mirvol_sync_unit(struct mirvol_volume *vol)
{
	return max(MIRVOL_SYNC_MIN_UNIT,
		   (READ_ONCE(vol->io_mask) + 1) >> SECTOR_SHIFT);
}

/**
 * mirvol_sync_init_pages - set up a pass with a buffer of @nr pages
 * @sy: the pass; everything not set here starts zero
 * @vol: the volume
 * @bs: the bio_set for its bios
 * @nr: pages of buffer
 * @gfp: GFP_KERNEL in an operation, GFP_NOIO in the I/O error path
 *
 * Return: 0 or -ENOMEM.
 */
int mirvol_sync_init_pages(struct mirvol_sync *sy, struct mirvol_volume *vol,
			   struct bio_set *bs, unsigned int nr, gfp_t gfp)
{
	unsigned int i;

	memset(sy, 0, sizeof(*sy));
	sy->vol = vol;
	sy->bs = bs;
	sy->source = -1;
	sy->nr_pages = nr;
	sy->unit = mirvol_sync_unit(vol);
	sy->pages = kcalloc(nr, sizeof(*sy->pages), gfp);
	if (!sy->pages)
		return -ENOMEM;
	for (i = 0; i < nr; i++) {
		sy->pages[i] = alloc_page(gfp);
		if (!sy->pages[i]) {
			mirvol_sync_exit(sy);
			return -ENOMEM;
		}
	}
	return 0;
}

/**
 * mirvol_sync_init - set up a pass over a started volume
 * @sy: the pass; everything not set here starts zero
 * @vol: the volume
 * @bs: the bio_set for its bios
 * @chunks: chunks of buffer
 * @gfp: GFP_KERNEL in an operation, GFP_NOIO in the I/O error path
 *
 * Return: 0 or -ENOMEM.
 */
int mirvol_sync_init(struct mirvol_sync *sy, struct mirvol_volume *vol,
		     struct bio_set *bs, unsigned int chunks, gfp_t gfp)
{
	return mirvol_sync_init_pages(sy, vol, bs,
				      chunks * MIRVOL_SYNC_CHUNK_PAGES, gfp);
}

/**
 * mirvol_sync_start - start a set of bios waited for together
 * @sy: the pass
 */
void mirvol_sync_start(struct mirvol_sync *sy)
{
	sy->nr_bios = 0;
	mirvol_batch_init(&sy->batch);
}

/* A bio for [@sector, +@sectors) on @plex; the data within one chunk. */
static struct bio *mirvol_sync_bio(struct mirvol_sync *sy,
				   struct mirvol_plex *plex, blk_opf_t opf,
				   struct page **pages, sector_t base,
				   sector_t sector, unsigned int sectors)
{
	size_t off = (size_t)(sector - base) << SECTOR_SHIFT;
	size_t len = (size_t)sectors << SECTOR_SHIFT;
	struct bio *bio;

	bio = bio_alloc_bioset(plex->bdev,
			       DIV_ROUND_UP(offset_in_page(off) + len,
					    PAGE_SIZE),
			       opf, GFP_NOIO, sy->bs);
	bio->bi_iter.bi_sector = plex->data_offset + sector;
	while (len) {
		unsigned int poff = offset_in_page(off);
		unsigned int n = min_t(size_t, len, PAGE_SIZE - poff);

		__bio_add_page(bio, pages[off >> PAGE_SHIFT], n, poff);
		off += n;
		len -= n;
	}
	return bio;
}

/**
 * mirvol_sync_submit - move part of a buffer to or from a plex
 * @sy: the pass, between mirvol_sync_start() and mirvol_sync_wait()
 * @plex: the plex
 * @opf: REQ_OP_READ or REQ_OP_WRITE
 * @pages: the buffer
 * @base: the volume sector @pages[0] stands for (chunk aligned)
 * @start: first volume sector
 * @end: sector after the last
 *
 * One bio per chunk of the buffer the range touches.
 */
void mirvol_sync_submit(struct mirvol_sync *sy, struct mirvol_plex *plex,
			blk_opf_t opf, struct page **pages, sector_t base,
			sector_t start, sector_t end)
{
	while (start < end) {
		sector_t chunk_end = base + round_down(start - base,
						      MIRVOL_SYNC_CHUNK) +
				     MIRVOL_SYNC_CHUNK;
		unsigned int len = min(end, chunk_end) - start;
		struct bio *bio;

		if (WARN_ON_ONCE(sy->nr_bios == MIRVOL_SYNC_MAX_BIOS))
			return;
		bio = mirvol_sync_bio(sy, plex, opf, pages, base, start, len);
		sy->owner[sy->nr_bios] = plex;
		sy->bio[sy->nr_bios++] = bio;
		mirvol_batch_submit(&sy->batch, bio, plex);
		start += len;
	}
}

/**
 * mirvol_sync_wait - wait for the bios since mirvol_sync_start()
 * @sy: the pass
 *
 * Return: the slots of the plexes one of whose bios failed.
 */
u8 mirvol_sync_wait(struct mirvol_sync *sy)
{
	unsigned int i;
	u8 failed = 0;

	mirvol_batch_wait(&sy->batch);
	for (i = 0; i < sy->nr_bios; i++) {
		if (sy->bio[i]->bi_status)
			failed |= BIT(sy->owner[i]->index);
		bio_put(sy->bio[i]);
	}
	sy->nr_bios = 0;
	return failed;
}

/* Read [start, end) of @plex into the pass's buffer. */
static int mirvol_sync_read_from(struct mirvol_sync *sy,
				 struct mirvol_plex *plex, sector_t start,
				 sector_t end)
{
	mirvol_sync_start(sy);
	mirvol_sync_submit(sy, plex, REQ_OP_READ, sy->pages, sy->base, start,
			   end);
	return mirvol_sync_wait(sy) ? -EIO : 0;
}

/**
 * mirvol_in_sync_slots - the plexes that can be read
 * @vol: the volume, I/O reference held
 *
 * Return: a bit per slot of the in-sync plexes with a device.
 */
u8 mirvol_in_sync_slots(struct mirvol_volume *vol)
{
	unsigned int i;
	u8 slots = 0;

	for (i = 0; i < MIRVOL_MAX_PLEXES; i++) {
		struct mirvol_plex *plex = vol->plexes[i];

		if (plex && READ_ONCE(plex->bdev) &&
		    mirvol_state_readable(READ_ONCE(plex->state)))
			slots |= BIT(i);
	}
	return slots;
}

/* The plex to read from: @prefer if in sync and untried, else the first. */
static struct mirvol_plex *mirvol_sync_source_from(struct mirvol_sync *sy,
						   u8 tried, int prefer)
{
	u8 slots = mirvol_in_sync_slots(sy->vol) & ~tried;

	if (!slots)
		return NULL;
	if (prefer >= 0 && (slots & BIT(prefer)))
		return sy->vol->plexes[prefer];
	return sy->vol->plexes[__ffs(slots)];
}

/* The plex to read from: the preferred one if in sync, else the first. */
static struct mirvol_plex *mirvol_sync_source(struct mirvol_sync *sy,
					      u8 tried)
{
	return mirvol_sync_source_from(sy, tried, sy->source);
}

/* Fail the plexes of @slots for a write error. */
static void mirvol_fail_writes(struct mirvol_volume *vol, u8 slots)
{
	unsigned int i;

	for (i = 0; i < MIRVOL_MAX_PLEXES; i++)
		if (slots & BIT(i))
			mirvol_plex_error(vol->plexes[i], true);
}

/* Zero [@s, +@n) of the buffer. */
static void mirvol_sync_zero(struct mirvol_sync *sy, sector_t s,
			     unsigned int n)
{
	size_t off = (size_t)(s - sy->base) << SECTOR_SHIFT;
	size_t len = (size_t)n << SECTOR_SHIFT;

	while (len) {
		unsigned int poff = offset_in_page(off);
		unsigned int k = min_t(size_t, len, PAGE_SIZE - poff);

		memset(page_address(sy->pages[off >> PAGE_SHIFT]) + poff, 0,
		       k);
		off += k;
		len -= k;
	}
}

/*
 * A unit no plex could read.  Each plex that failed it counts an
 * uncorrected read error once per unreadable range (the targets of a
 * probing repair once per range, by mirvol_repair_work()); the first
 * range is remembered for the operation's report.
 */
static void mirvol_sync_bad_unit(struct mirvol_sync *sy, sector_t u,
				 unsigned int n, u8 failed)
{
	struct mirvol_volume *vol = sy->vol;
	bool run = u > sy->base &&
		   test_bit((u - sy->base) / sy->unit - 1, sy->bad);
	unsigned int i;

	set_bit((u - sy->base) / sy->unit, sy->bad);
	if (!sy->bad_end) {
		sy->bad_start = u;
		sy->bad_end = u + n;
	} else if (!sy->bad_closed && sy->bad_end == u) {
		sy->bad_end = u + n;
	}
	if (sy->force) {
		mirvol_sync_zero(sy, u, n);
		sy->lost += n;
	}
	if (run)
		return;
	pr_err_ratelimited("mirvol: %s: no plex can read sectors %llu+...%s\n",
			   vol->name, (unsigned long long)u,
			   sy->force ? ": written as zeros" : "");
	if (sy->probe)
		failed &= ~sy->repair;
	for (i = 0; i < MIRVOL_MAX_PLEXES; i++)
		if (failed & BIT(i))
			mirvol_plex_error(vol->plexes[i], false);
}

/**
 * mirvol_sync_read - read a range from the in-sync plexes into the buffer
 * @sy: the pass, its base set; @start to @end lie in its buffer
 * @start: first volume sector
 * @end: sector after the last
 * @good_end: out: the end of what was read (@end, unless a unit no plex
 *	could read stopped it without FORCE)
 *
 * Tries each in-sync plex (the preferred first) for the whole range,
 * then unit by unit.  Plexes that failed a part another plex read get
 * that part queued for read repair.  With FORCE, units no plex can read
 * are zero-filled and marked in @sy->bad.  A probing repair has read the
 * range from its targets already: the whole range is tried on the other
 * plexes only, the units on any plex, the one that read the unit before
 * first (a plex failing unit after unit is asked again only when that
 * one fails too), and nothing is queued for repair (the caller rewrites
 * what its targets fail).  What no in-sync plex reads is read from a
 * syncing plex that holds it (mirvol_syncing_covers()), as the last
 * resort: a unit, or a repair's whole range when its targets are the
 * only in-sync plexes.
 *
 * Return: 0; -EIO when a unit could not be read (without FORCE), the
 * first unreadable range in @sy->bad_start..bad_end; -ENODEV when no
 * plex is in sync.
 */
int mirvol_sync_read(struct mirvol_sync *sy, sector_t start, sector_t end,
		     sector_t *good_end)
{
	u8 tried = sy->repair, failed = 0;
	int prefer = sy->source;
	struct mirvol_plex *src;
	sector_t u;

	*good_end = end;
	bitmap_zero(sy->bad, MIRVOL_SYNC_MAX_UNITS);
	while ((src = mirvol_sync_source(sy, tried))) {
		tried |= BIT(src->index);
		if (!mirvol_sync_read_from(sy, src, start, end)) {
			if (failed && !sy->probe)
				mirvol_queue_repair(sy->vol, start, end - start,
						    failed, false, GFP_NOIO);
			return 0;
		}
		failed |= BIT(src->index);
	}
	if (!failed && !sy->probe) {
		/*
		 * A repair whose targets are the only in-sync plexes: from a
		 * syncing plex that holds the range (mirvol_syncing_covers()),
		 * as the read it repairs was served.  Not a resync: with no
		 * plex in sync, there is nothing to copy from.
		 */
		src = sy->repair ? mirvol_syncing_covers(sy->vol, end, 0) :
		      NULL;
		if (src && !mirvol_sync_read_from(sy, src, start, end))
			return 0;
		return -ENODEV;
	}

	/* No plex read all of it: unit by unit, from any plex. */
	for (u = start; u < end; u += sy->unit) {
		unsigned int n = min_t(sector_t, sy->unit, end - u);
		u8 t = sy->probe ? 0 : sy->repair, f = 0;
		bool ok = false;

		while (!ok && (src = mirvol_sync_source_from(sy, t, prefer))) {
			t |= BIT(src->index);
			if (!mirvol_sync_read_from(sy, src, u, u + n))
				ok = true;
			else
				f |= BIT(src->index);
		}
		/*
		 * No in-sync plex reads the unit: a syncing plex that holds
		 * it, as the last resort (mirvol_syncing_covers()).  Not
		 * preferred after, not counted when it fails too.
		 */
		if (!ok && f) {
			src = mirvol_syncing_covers(sy->vol, u + n, 0);
			if (src && !mirvol_sync_read_from(sy, src, u, u + n)) {
				ok = true;
				src = NULL;
			}
		}
		if (ok && sy->probe && src)
			prefer = src->index;
		if (ok) {
			if (sy->bad_end)
				sy->bad_closed = true;
			if (f && !sy->probe)
				mirvol_queue_repair(sy->vol, u, n, f, false,
						    GFP_NOIO);
			if (*good_end < end && !sy->force)
				break;	/* the first bad range is complete */
			continue;
		}
		if (!f)
			return -ENODEV;
		mirvol_sync_bad_unit(sy, u, n, f);
		if (!sy->force && *good_end == end)
			*good_end = u;
	}
	return *good_end < end ? -EIO : 0;
}

/* Write [from[i], end) of the buffer to every syncing target. */
static void mirvol_resync_write(struct mirvol_sync *sy,
				const struct mirvol_sync_step *st,
				sector_t end)
{
	struct mirvol_volume *vol = sy->vol;
	u8 written = 0, failed;
	unsigned int i;

	mirvol_sync_start(sy);
	for (i = 0; i < MIRVOL_MAX_PLEXES; i++) {
		struct mirvol_plex *plex = vol->plexes[i];

		if (!(st->targets & BIT(i)) || st->from[i] >= end || !plex ||
		    !plex->bdev ||
		    READ_ONCE(plex->state) != MIRVOL_PLEX_SYNCING)
			continue;
		mirvol_sync_submit(sy, plex, REQ_OP_WRITE, sy->pages, sy->base,
				   st->from[i], end);
		written |= BIT(i);
	}
	failed = mirvol_sync_wait(sy);
	mirvol_fail_writes(vol, failed);
	/* Not over a rewind since the batch began (mirvol_rewind_unsynced()). */
	spin_lock_irq(&vol->state_lock);
	for (i = 0; i < MIRVOL_MAX_PLEXES; i++)
		if ((written & ~failed & ~vol->sync_rewound) & BIT(i))
			WRITE_ONCE(vol->plexes[i]->sync_offset, end);
	spin_unlock_irq(&vol->state_lock);
}

/*
 * FORCE: write the zeros of the units nobody could read on the sources.
 * That changes what the in-sync plexes hold, as a write does: the
 * batch's write-intent bits go on disk first, so that a plex out of sync
 * meanwhile (offline, missing, a split's peer) copies the zeros when it
 * comes back (write-intent bitmap rule 1).  Without them (rule 4),
 * nothing is zeroed: -EIO.  A syncing plex whose checkpoint is past a
 * unit copied it already, and the batch does not write it there (its
 * copy starts at the checkpoint): it gets the zeros too, below its
 * checkpoint, or it would come in sync holding other data than the rest.
 */
static int mirvol_resync_zero_sources(struct mirvol_sync *sy,
				      sector_t start, sector_t end)
{
	struct mirvol_volume *vol = sy->vol;
	unsigned int u, i, nr = DIV_ROUND_UP(end - start, sy->unit);
	u8 slots = mirvol_in_sync_slots(vol), failed;
	struct mirvol_bitmap *bm = vol->bitmap;
	sector_t ahead[MIRVOL_MAX_PLEXES] = {};

	for (i = 0; i < MIRVOL_MAX_PLEXES; i++) {
		struct mirvol_plex *plex = vol->plexes[i];

		if (plex && plex->bdev &&
		    READ_ONCE(plex->state) == MIRVOL_PLEX_SYNCING)
			ahead[i] = READ_ONCE(plex->sync_offset);
	}

	if (bm && mirvol_bitmap_startwrite(bm, start, end))
		return -EIO;
	mirvol_sync_start(sy);
	for_each_set_bit(u, sy->bad, nr) {
		sector_t s = start + (sector_t)u * sy->unit;
		sector_t e = min_t(sector_t, s + sy->unit, end);

		for (i = 0; i < MIRVOL_MAX_PLEXES; i++) {
			sector_t to = slots & BIT(i) ? e : min(e, ahead[i]);

			if (to <= s)
				continue;
			/* Few bios: bad units are rare; flush if full. */
			if (sy->nr_bios + 1 > MIRVOL_SYNC_MAX_BIOS) {
				failed = mirvol_sync_wait(sy);
				mirvol_fail_writes(vol, failed);
				mirvol_sync_start(sy);
			}
			mirvol_sync_submit(sy, vol->plexes[i], REQ_OP_WRITE,
					   sy->pages, sy->base, s, to);
		}
	}
	failed = mirvol_sync_wait(sy);
	mirvol_fail_writes(vol, failed);
	if (bm)
		mirvol_bitmap_endwrite(bm, start, end);
	return 0;
}

/*
 * Copy one batch under its barrier; I/O reference held meanwhile.  A
 * unit no plex can read ends the copy before it (SOURCE_READ_ERROR).
 */
static int mirvol_resync_batch(struct mirvol_sync *sy,
			       const struct mirvol_sync_step *st,
			       enum mirvol_reason *reason)
{
	struct mirvol_volume *vol = sy->vol;
	unsigned int idx = mirvol_barrier_idx(st->start);
	sector_t good_end;
	int err;

	sy->base = st->start;
	mirvol_barrier_raise(&vol->barrier, idx);
	err = mirvol_sync_read(sy, st->start, st->end, &good_end);
	if (err != -ENODEV) {
		mirvol_resync_write(sy, st, good_end);
		if (sy->force && !bitmap_empty(sy->bad, MIRVOL_SYNC_MAX_UNITS) &&
		    mirvol_resync_zero_sources(sy, st->start, st->end))
			err = -EIO;
	}
	mirvol_barrier_lower(&vol->barrier, idx);
	if (err == -ENODEV)
		*reason = MIRVOL_R_OBJECT_STATUS_FAILED;
	else if (err)
		*reason = MIRVOL_R_SOURCE_READ_ERROR;
	sy->done += good_end - st->start;
	return err;
}

/*
 * The syncing plexes and their checkpoints, and in @partial those that
 * copy only the regions set in the bitmap's snapshot; I/O reference held.
 */
static u8 mirvol_resync_targets(struct mirvol_volume *vol, u64 *offsets,
				u8 *partial)
{
	struct mirvol_bitmap *bm = vol->bitmap;
	unsigned int i;
	u8 mask = 0;

	*partial = 0;
	spin_lock_irq(&vol->state_lock);
	vol->sync_rewound = 0;
	for (i = 0; i < MIRVOL_MAX_PLEXES; i++) {
		struct mirvol_plex *plex = vol->plexes[i];

		offsets[i] = 0;
		if (!plex || !plex->bdev ||
		    READ_ONCE(plex->state) != MIRVOL_PLEX_SYNCING)
			continue;
		offsets[i] = READ_ONCE(plex->sync_offset);
		mask |= BIT(i);
		if (READ_ONCE(plex->partial) && bm && bm->resync)
			*partial |= BIT(i);
	}
	spin_unlock_irq(&vol->state_lock);
	if (!*partial)
		return mask;
	/* Over the regions a partial target need not copy at once. */
	mirvol_sync_skip_clean(offsets, *partial, bm->resync, bm->nr,
			       bm->shift, vol->size);
	MIRVOL_KUNIT_HOOK(mirvol_kunit_skip_clean_hook, vol);
	spin_lock_irq(&vol->state_lock);
	for (i = 0; i < MIRVOL_MAX_PLEXES; i++)
		if ((*partial & BIT(i) & ~vol->sync_rewound) &&
		    offsets[i] > READ_ONCE(vol->plexes[i]->sync_offset))
			WRITE_ONCE(vol->plexes[i]->sync_offset, offsets[i]);
	spin_unlock_irq(&vol->state_lock);
	return mask;
}

/* Sectors a pass over partial targets only copies at most. */
static u64 mirvol_resync_partial_total(struct mirvol_volume *vol)
{
	struct mirvol_bitmap *bm = vol->bitmap;

	return min_t(u64, (u64)bitmap_weight(bm->resync, bm->nr) << bm->shift,
		     vol->size);
}

/* Copy until no syncing plex is left behind the end, or an error. */
static int mirvol_resync_pass(struct mirvol_sync *sy,
			      enum mirvol_reason *reason)
{
	struct mirvol_volume *vol = sy->vol;
	struct mirvol_operation *op = sy->op;

	u64 pass_start = sy->done, total = 0;
	bool first = true;

	for (;;) {
		u64 offsets[MIRVOL_MAX_PLEXES], max;
		struct mirvol_sync_step st;
		u8 mask, partial;
		int err;

		mirvol_sync_throttle(sy);
		MIRVOL_KUNIT_HOOK(mirvol_kunit_resync_step_hook, vol);
		if (mirvol_op_should_stop(op))
			return -ECANCELED;
		max = mirvol_speed_batch(READ_ONCE(vol->sync_speed_max),
					 MIRVOL_SYNC_CHUNK,
					 MIRVOL_SYNC_BATCH_SECTORS);

		/* Drained by suspend: the plex array is stable inside. */
		mirvol_io_enter(vol);
		mask = mirvol_resync_targets(vol, offsets, &partial);
		if (!mirvol_sync_next_step(offsets, mask, vol->size, max,
					   MIRVOL_SYNC_CHUNK,
					   MIRVOL_BARRIER_UNIT_SECTORS, &st)) {
			mirvol_io_exit(vol);
			/*
			 * Nothing at all to copy (partial targets whose
			 * regions are all clean): the work was 0 bytes, not
			 * the volume's size set when the run began.
			 */
			if (first && !sy->done)
				mirvol_op_set_progress(op, 0, 0);
			return 0;
		}
		first = false;
		if (partial) {
			mirvol_sync_cap_step(&st, partial, vol->bitmap->resync,
					     vol->bitmap->nr,
					     vol->bitmap->shift);
			if (!total && partial == mask)
				total = mirvol_resync_partial_total(vol);
		}
		err = mirvol_resync_batch(sy, &st, reason);
		mirvol_io_exit(vol);
		/* Only the regions set are copied: their bytes are the work. */
		if (total)
			mirvol_op_set_progress(op, (sy->done - pass_start) <<
					       SECTOR_SHIFT,
					       max(total, sy->done - pass_start) <<
					       SECTOR_SHIFT);
		else
			mirvol_op_set_progress(op, (u64)st.end << SECTOR_SHIFT,
					       (u64)vol->size << SECTOR_SHIFT);
		WRITE_ONCE(op->lost_sectors, sy->lost);
		if (err)
			return err;
		if (time_after(jiffies, sy->checkpoint +
			       MIRVOL_CHECKPOINT_SECS * HZ)) {
			mirvol_sb_update(vol);
			sy->checkpoint = jiffies;
		}
	}
}

/*
 * Did a plex of @slots, targets the resync did not promote, leave the
 * mirror instead of getting in sync?  IO_ERROR when one failed or went
 * away, else PLEX_OFFLINE when one was taken offline (by request: no
 * device erred, and 'online' copies it), else NONE.
 */
static enum mirvol_reason mirvol_resync_lost(struct mirvol_volume *vol,
					     u8 slots)
{
	enum mirvol_reason reason = MIRVOL_R_NONE;
	unsigned int i;

	mutex_lock(&vol->sb_mutex);
	for (i = 0; i < MIRVOL_MAX_PLEXES; i++) {
		struct mirvol_plex *plex = vol->plexes[i];

		if (!(slots & BIT(i)) || !plex)
			continue;
		if (plex->state == MIRVOL_PLEX_FAILED ||
		    plex->state == MIRVOL_PLEX_MISSING)
			reason = MIRVOL_R_IO_ERROR;
		else if (plex->state == MIRVOL_PLEX_OFFLINE && !reason)
			reason = MIRVOL_R_PLEX_OFFLINE;
	}
	mutex_unlock(&vol->sb_mutex);
	return reason;
}

/*
 * Start a pass: stale plexes become syncing from 0, and the superblocks
 * say so.  Returns whether any plex needs copying; adds the targets to
 * @targets.
 */
static bool mirvol_resync_begin(struct mirvol_volume *vol, u8 *targets)
{
	bool any = false, partial = false;
	unsigned int i;

	mutex_lock(&vol->sb_mutex);
	for (i = 0; i < MIRVOL_MAX_PLEXES; i++) {
		struct mirvol_plex *plex = vol->plexes[i];

		if (!plex || !plex->bdev)
			continue;
		if (plex->state == MIRVOL_PLEX_STALE) {
			plex->sync_offset = 0;
			plex->partial = false;
			mirvol_set_plex_state(plex, MIRVOL_PLEX_SYNCING);
		}
		if (plex->state == MIRVOL_PLEX_SYNCING) {
			any = true;
			*targets |= BIT(i);
			partial |= plex->partial;
		}
	}
	/*
	 * The regions partial targets copy: every bit set now (bits are
	 * not cleared while a plex syncs), and those of earlier passes.
	 */
	if (partial && mirvol_bitmap_resync_begin(vol->bitmap))
		for (i = 0; i < MIRVOL_MAX_PLEXES; i++)
			if (vol->plexes[i])
				vol->plexes[i]->partial = false;
	if (any)
		mirvol_sb_update_locked(vol);
	mutex_unlock(&vol->sb_mutex);
	return any;
}

/*
 * End a pass: targets that reached the end are in sync, and every
 * checkpoint is recorded (after the flush of mirvol_sb_update_locked()).
 *
 * A promotion after which no plex is left to copy is the resync's point
 * of no return (mirvol_op_enter_final()): past it a cancel is too late
 * and the operation ends with its own result, for the targets are active
 * and the superblocks say so.  Asked to stop first, the pass promotes
 * nothing: it records the checkpoints, at the end, and the targets stay
 * syncing, as the cancelled operation reports; the next resync promotes
 * them without copying.  A promotion that leaves a plex to copy (one
 * that became stale during the pass) is no such point: the resync is not
 * done, and a cancel still stops it before that plex is copied (what was
 * promoted stays active, as a cancelled resync keeps its checkpoints).
 *
 * The targets seen (to copy, or at the end) are added to @targets; those
 * promoted to @promoted, from which those still to copy are taken out
 * (a plex that left after its promotion and came back).
 *
 * Returns 1 when a plex still needs copying, 0 when none does, or
 * -ECANCELED when the operation was asked to stop before its last
 * promotion, which it then left undone.
 */
static int mirvol_resync_end(struct mirvol_sync *sy, u8 *targets,
			     u8 *promoted)
{
	struct mirvol_volume *vol = sy->vol;
	bool left = false, plex_partial_left = false, stopped = false;
	unsigned int i;
	u8 done = 0, rest = 0;

	MIRVOL_KUNIT_HOOK(mirvol_kunit_resync_end_hook, vol);
	/*
	 * Writes in flight first: one that no in-sync plex took but a
	 * target did moves the target's checkpoint back as it completes
	 * (rule 4, the worker); judged before, the target would be promoted
	 * holding it.  New writes wait until the promotion is recorded.
	 * Before sb_mutex: a deferred write's completion needs it.
	 */
	mirvol_barrier_raise_all(&vol->barrier);
	mutex_lock(&vol->sb_mutex);
	for (i = 0; i < MIRVOL_MAX_PLEXES; i++) {
		struct mirvol_plex *plex = vol->plexes[i];

		if (plex && plex->state == MIRVOL_PLEX_SYNCING &&
		    READ_ONCE(plex->sync_offset) >= vol->size)
			done |= BIT(i);
		else if (plex && plex->bdev &&
			 (plex->state == MIRVOL_PLEX_STALE ||
			  plex->state == MIRVOL_PLEX_SYNCING))
			rest |= BIT(i);
	}
	/*
	 * The last promotion, decided with sb_mutex held and writes held
	 * back: no plex becomes stale nor has its checkpoint moved back
	 * meanwhile (both take sb_mutex), so none is left after it.
	 * mirvol_ops_lock (a spinlock, taken inside) decides it against
	 * OP_CANCEL.
	 */
	if (done && !rest && !mirvol_op_enter_final(sy->op)) {
		done = 0;
		stopped = true;
	}
	/*
	 * In sync once the copies are durable, not before: a target whose
	 * flush fails is failed here while it is still syncing.  Promoted
	 * first, it would count as in sync when the source fails too, and
	 * be kept as the last in-sync plex in the source's place.
	 */
	mirvol_sb_flush_syncing(vol, done);
	*targets |= done | rest;
	*promoted &= ~rest;
	for (i = 0; i < MIRVOL_MAX_PLEXES; i++) {
		struct mirvol_plex *plex = vol->plexes[i];

		if ((done & BIT(i)) && mirvol_promote_plex(plex)) {
			plex->partial = false;
			*promoted |= BIT(i);
		}
	}
	mirvol_sb_update_locked(vol);
	for (i = 0; i < MIRVOL_MAX_PLEXES; i++) {
		struct mirvol_plex *plex = vol->plexes[i];

		if (plex && plex->state == MIRVOL_PLEX_SYNCING &&
		    plex->partial)
			plex_partial_left = true;
		if (plex && plex->bdev &&
		    (plex->state == MIRVOL_PLEX_STALE ||
		     plex->state == MIRVOL_PLEX_SYNCING))
			left = true;
	}
	/* The snapshot stays while a partial target waits for a pass. */
	if (vol->bitmap && !plex_partial_left)
		mirvol_bitmap_resync_end(vol->bitmap);
	mutex_unlock(&vol->sb_mutex);
	mirvol_barrier_lower_all(&vol->barrier);
	if (stopped)
		return -ECANCELED;
	if (!left)
		MIRVOL_KUNIT_HOOK(mirvol_kunit_resync_promoted_hook, vol);
	return left;
}

/**
 * mirvol_resync_run - bring every syncing or stale plex in sync
 * @op: the operation (progress, cancellation)
 * @vol: the volume, started
 * @source: preferred source slot, or -1
 * @force: write zeros where no plex can read instead of stopping
 * @own: NULL, or in: the slots of plexes it must bring in sync besides
 *	those it finds syncing or stale (add-plex's own, which may have
 *	left before the first pass looked); out: its targets it did not
 *	promote
 * @reason: out: why it failed
 *
 * The last promotion is the operation's point of no return
 * (mirvol_resync_end()): once past it, @op is final.
 *
 * A target that leaves the mirror before it is promoted was not brought
 * in sync: the resync then fails, with IO_ERROR when it failed or its
 * device went away, with PLEX_OFFLINE when it was taken offline (and
 * none of the others failed); the plex stays as it is.  That holds for
 * a plex of @own that left before any pass saw it too.  One that
 * leaves after its promotion was in sync: its leaving is its own event.
 *
 * Context: the operation's work; no volume lock held.
 * Return: 0 when every target reached the end (or none was left),
 * -ECANCELED when stopped (before the last promotion: its targets stay
 * syncing), -EIO with SOURCE_READ_ERROR when no plex could read a range
 * (reported in the operation), -EIO with IO_ERROR or PLEX_OFFLINE when a
 * target left before it was in sync, or another negative errno.
 */
int mirvol_resync_run(struct mirvol_operation *op, struct mirvol_volume *vol,
		      int source, bool force, u8 *own,
		      enum mirvol_reason *reason)
{
	u8 targets = own ? *own : 0, promoted = 0, pass;
	struct mirvol_sync *sy;
	int err = 0, left;

	*reason = MIRVOL_R_NONE;
	sy = kmalloc(sizeof(*sy), GFP_KERNEL);
	if (!sy || mirvol_sync_init(sy, vol, &vol->sync_bs, MIRVOL_SYNC_BATCH,
				    GFP_KERNEL)) {
		kfree(sy);
		*reason = MIRVOL_R_NO_MEMORY;
		return -ENOMEM;
	}
	sy->op = op;
	sy->source = source;
	sy->force = force;
	sy->checkpoint = jiffies;
	mirvol_speed_start(&sy->speed, jiffies, 0);
	sy->fg_sectors = mirvol_fg_sectors(vol);
	mirvol_op_set_progress(op, 0, (u64)vol->size << SECTOR_SHIFT);
	mirvol_uevent(vol, "resync-started", NULL, NULL);
	pr_info("mirvol: %s: resync started%s\n", vol->name,
		sy->force ? " (force: unreadable ranges become zeros)" : "");

	for (;;) {
		pass = 0;
		if (!mirvol_resync_begin(vol, &pass))
			break;
		/* Promoted before, it left and came back: a target again. */
		targets |= pass;
		promoted &= ~pass;
		err = mirvol_resync_pass(sy, reason);
		left = mirvol_resync_end(sy, &targets, &promoted);
		if (left <= 0 || err) {
			err = err ?: left;
			break;
		}
	}
	/*
	 * A target that failed, went away or was taken offline before its
	 * promotion was not brought in sync.
	 */
	if (!err) {
		*reason = mirvol_resync_lost(vol, targets & ~promoted);
		if (*reason)
			err = -EIO;
	}
	if (own)
		*own = targets & ~promoted;
	WRITE_ONCE(vol->sync_speed, 0);
	if (sy->bad_end) {
		WRITE_ONCE(op->bad_offset, sy->bad_start);
		WRITE_ONCE(op->bad_sectors, sy->bad_end - sy->bad_start);
	}
	WRITE_ONCE(op->lost_sectors, sy->lost);
	if (*reason == MIRVOL_R_SOURCE_READ_ERROR) {
		/* Every later pass would stop there too: wait to be told. */
		set_bit(MIRVOL_VOL_SYNC_STOPPED, &vol->flags);
		pr_err("mirvol: %s: resync stopped: no plex can read sectors %llu-%llu; 'mirvolctl resync --force' copies around them\n",
		       vol->name, (unsigned long long)sy->bad_start,
		       (unsigned long long)sy->bad_end - 1);
	} else if (sy->lost) {
		pr_warn("mirvol: %s: resync wrote %llu unreadable sectors as zeros, the first at %llu: check the file system\n",
			vol->name, sy->lost,
			(unsigned long long)sy->bad_start);
	}
	mirvol_uevent(vol, "resync-finished", NULL, NULL);
	pr_info("mirvol: %s: resync %s\n", vol->name,
		err ? "stopped" : "finished");
	mirvol_sync_exit(sy);
	kfree(sy);
	return err;
}

/*
 * Read back [s, e) of @slots into @check and compare with the buffer.
 * Returns the slots that failed the read or read other data; adds to
 * *@differ those that read other data.
 */
static u8 mirvol_repair_verify(struct mirvol_sync *sy, struct page **check,
			       u8 slots, sector_t s, sector_t e, u8 *differ)
{
	struct mirvol_volume *vol = sy->vol;
	size_t len = (size_t)(e - s) << SECTOR_SHIFT, off;
	unsigned int i;
	u8 bad = 0;

	for (i = 0; i < MIRVOL_MAX_PLEXES; i++) {
		if (!(slots & BIT(i)))
			continue;
		mirvol_sync_start(sy);
		mirvol_sync_submit(sy, vol->plexes[i], REQ_OP_READ, check,
				   sy->base, s, e);
		if (mirvol_sync_wait(sy)) {
			bad |= BIT(i);
			continue;
		}
		for (off = 0; off < len; off += PAGE_SIZE)
			if (memcmp(page_address(check[off >> PAGE_SHIFT]),
				   page_address(sy->pages[off >> PAGE_SHIFT]),
				   min_t(size_t, PAGE_SIZE, len - off)))
				bad |= BIT(i);
		if (bad & BIT(i))
			*differ |= BIT(i);
	}
	return bad;
}

/*
 * A probing repair's look at chunk [s, e): read it from each target, into
 * the buffer until one reads it, then into @check.  Returns the targets
 * that fail to read it; *@read says whether the buffer holds the chunk.
 */
static u8 mirvol_repair_probe(struct mirvol_sync *sy, struct page **check,
			      u8 targets, sector_t s, sector_t e, bool *read)
{
	struct mirvol_volume *vol = sy->vol;
	unsigned int i;
	u8 bad = 0;

	*read = false;
	for (i = 0; i < MIRVOL_MAX_PLEXES; i++) {
		if (!(targets & BIT(i)))
			continue;
		mirvol_sync_start(sy);
		mirvol_sync_submit(sy, vol->plexes[i], REQ_OP_READ,
				   *read ? check : sy->pages, s, s, e);
		if (mirvol_sync_wait(sy))
			bad |= BIT(i);
		else
			*read = true;
	}
	return bad;
}

/*
 * Repair one chunk [s, e) on the repair targets that are still in sync:
 * read it from another plex, write it over them, read it back.  A
 * probing repair first reads the chunk from each target: only those
 * that fail to get it rewritten, and when none reads all of it the good
 * copy is put together unit by unit from any plex (mirvol_sync_read()).
 * Returns the targets it could not repair; adds to *@hit the targets
 * found with a read error.
 */
static u8 mirvol_repair_chunk(struct mirvol_sync *sy, struct page **check,
			      sector_t s, sector_t e, u8 *hit)
{
	struct mirvol_volume *vol = sy->vol;
	unsigned int idx = mirvol_barrier_idx(s);
	u8 targets, failed, differ = 0, bad = sy->repair;
	sector_t good_end;
	bool read = false;
	int err = 0;

	sy->base = s;
	mirvol_barrier_raise(&vol->barrier, idx);
	targets = mirvol_in_sync_slots(vol) & sy->repair;
	if (sy->probe) {
		targets = mirvol_repair_probe(sy, check, targets, s, e, &read);
		bad = targets;
	}
	/* No target left (none in sync, none failing a probe): no copy. */
	if (targets && (!sy->probe || !read))
		err = mirvol_sync_read(sy, s, e, &good_end);
	*hit |= bad;
	if (!err && targets) {
		unsigned int i;

		mirvol_sync_start(sy);
		for (i = 0; i < MIRVOL_MAX_PLEXES; i++)
			if (targets & BIT(i))
				mirvol_sync_submit(sy, vol->plexes[i],
						   REQ_OP_WRITE, sy->pages,
						   s, s, e);
		failed = mirvol_sync_wait(sy);
		mirvol_fail_writes(vol, failed);
		/* Not written (no longer in sync) is not repaired either. */
		bad = (sy->probe ? 0 : sy->repair & ~targets) | failed |
		      mirvol_repair_verify(sy, check, targets & ~failed, s, e,
					   &differ);
		/*
		 * Took the rewrite, then read back other data without an
		 * error: the device lost the write (or lies).  It does not
		 * hold what the volume wrote, nor can it be trusted to: as a
		 * failed write, that fails it (never the last in-sync plex).
		 */
		if (differ) {
			pr_err_ratelimited("mirvol: %s: read repair: plexes %#x read back other data than they took at sectors %llu-%llu: lost write\n",
					   vol->name, differ,
					   (unsigned long long)s,
					   (unsigned long long)e - 1);
			mirvol_fail_writes(vol, differ);
		}
	}
	mirvol_barrier_lower(&vol->barrier, idx);
	return bad;
}

/*
 * The buffer of read repair: a chunk to copy through, and one to read
 * back into.  It runs in the I/O error path (GFP_NOIO): without memory
 * for 2 MiB, it repairs a unit at a time (md's fix_read_error() does a
 * sector at a time) rather than count repairable errors as uncorrected.
 * The 2 MiB are 512 order-0 pages, which plain GFP_NOIO would retry and
 * reclaim for about forever under memory pressure, stalling every repair
 * (and what waits on the barrier it holds next): asked for once, without
 * retries (__GFP_NORETRY), the unit-sized buffer is the fallback.
 * Sets *@step to the sectors repaired at a time.
 */
static int mirvol_repair_init(struct mirvol_sync *sy,
			      struct mirvol_volume *vol, unsigned int *step)
{
	unsigned int pages;
	bool nomem = false;

#if IS_ENABLED(CONFIG_MIRVOL_KUNIT_TEST)
	nomem = READ_ONCE(mirvol_kunit_repair_nomem);
#endif
	*step = MIRVOL_SYNC_CHUNK;
	if (!nomem &&
	    !mirvol_sync_init(sy, vol, &vol->repair_bs, 2,
			      GFP_NOIO | __GFP_NORETRY | __GFP_NOWARN))
		return 0;
	*step = mirvol_sync_unit(vol);
	pages = DIV_ROUND_UP(*step, PAGE_SIZE >> SECTOR_SHIFT);
	return mirvol_sync_init_pages(sy, vol, &vol->repair_bs, 2 * pages,
				      GFP_NOIO);
}

/**
 * mirvol_repair_work - rewrite ranges that failed to read on some plexes
 * @work: vol->repair_work
 *
 * Each range is copied, a chunk at a time under its barrier, from an
 * in-sync plex that did not fail it onto those that did and are still in
 * sync, and read back (md's fix_read_error()).  A probing range (a read
 * that each of its targets failed in places) is read from any plex that
 * reads it, and each target that fails to read a chunk gets that chunk
 * rewritten.  A plex where that worked counts a corrected read error;
 * one where it did not, an uncorrected one (mirvol_plex_error()); one
 * that fails the rewrite, or takes it and reads back other data (a lost
 * write), is failed; a probed plex that read its ranges well, nothing.
 */
void mirvol_repair_work(struct work_struct *work)
{
	struct mirvol_volume *vol = container_of(work, struct mirvol_volume,
						 repair_work);
	struct mirvol_repair *r, *next;
	struct mirvol_sync *sy;
	unsigned int step;
	bool live = true;
	LIST_HEAD(list);

	MIRVOL_KUNIT_HOOK(mirvol_kunit_repair_work_hook, vol);
	spin_lock_irq(&vol->state_lock);
	list_splice_init(&vol->repairs, &list);
	spin_unlock_irq(&vol->state_lock);
	if (list_empty(&list))
		return;
	sy = kmalloc(sizeof(*sy), GFP_NOIO);
	if (sy && mirvol_repair_init(sy, vol, &step)) {
		kfree(sy);
		sy = NULL;
	}
	list_for_each_entry_safe(r, next, &list, list) {
		sector_t s = r->sector, end = r->sector + r->sectors;
		u8 bad = sy ? 0 : r->targets, hit = bad;
		unsigned int i;

		while (sy && s < end && live) {
			sector_t e = min3(end, s + step,
					  (sector_t)mirvol_barrier_unit_end(s));

			live = mirvol_io_enter_live(vol);
			if (!live)
				break;
			/* Not a plex that took a slot of a target since. */
			sy->repair = mirvol_repair_targets(vol, r);
			sy->probe = r->probe;
			bad |= mirvol_repair_chunk(sy, sy->pages +
						   sy->nr_pages / 2, s, e,
						   &hit);
			mirvol_io_exit(vol);
			s = e;
		}
		/* Being torn down: nothing more to repair or count. */
		if (!live || !mirvol_io_enter_live(vol)) {
			live = false;
			list_del(&r->list);
			kfree(r);
			continue;
		}
		/*
		 * Counted also on a plex the rewrite failed (it is failed
		 * now), or one that left the in-sync set meanwhile (not
		 * probed: only the plexes a probe found failing count); not
		 * on another plex in its slot since.
		 */
		hit &= mirvol_repair_targets(vol, r);
		for (i = 0; i < MIRVOL_MAX_PLEXES; i++) {
			struct mirvol_plex *plex = vol->plexes[i];

			if (!(hit & BIT(i)) || !plex)
				continue;
			if (bad & BIT(i))
				mirvol_plex_error(plex, false);
			else
				mirvol_plex_read_corrected(plex);
		}
		mirvol_io_exit(vol);
		if (r->probe && (r->targets & ~hit))
			pr_warn_ratelimited("mirvol: %s: plexes %#x failed a read of sectors %llu+%llu but none of the repair's: not counted\n",
					    vol->name, r->targets & ~hit,
					    (unsigned long long)r->sector,
					    (unsigned long long)r->sectors);
		if (hit)
			pr_info_ratelimited("mirvol: %s: read error at sectors %llu+%llu %s on plexes %#x\n",
					    vol->name,
					    (unsigned long long)r->sector,
					    (unsigned long long)r->sectors,
					    bad ? "not corrected" : "corrected",
					    bad ? bad : hit);
		list_del(&r->list);
		kfree(r);
	}
	if (sy) {
		mirvol_sync_exit(sy);
		kfree(sy);
	}
}

/**
 * struct mirvol_resync_op - a RESYNC operation
 * @op: the operation
 * @source: preferred source slot (after an unclean shutdown), or -1
 * @force: SYNC_F_FORCE
 */
struct mirvol_resync_op {
	struct mirvol_operation op;
	int source;
	bool force;
};

static struct mirvol_resync_op *to_resync(struct mirvol_operation *op)
{
	return container_of(op, struct mirvol_resync_op, op);
}

static void mirvol_resync_work(struct mirvol_operation *op)
{
	struct mirvol_resync_op *ro = to_resync(op);
	struct mirvol_volume *vol = op->vol;
	enum mirvol_reason reason;
	int err;

	err = mirvol_resync_run(op, vol, ro->source, ro->force, NULL,
				&reason);
	if (!err) {
		mutex_lock(&vol->lock);
		vol->resync_source = -1;
		mutex_unlock(&vol->lock);
	}
	mirvol_op_finish(op, err ? reason : MIRVOL_R_NONE);
}

static void mirvol_resync_release(struct mirvol_operation *op)
{
	kfree(to_resync(op));
}

static const struct mirvol_op_kind mirvol_resync_type = {
	.type		= MIRVOL_OP_RESYNC,
	.cancellable	= true,
	.run		= mirvol_resync_work,
	.release	= mirvol_resync_release,
};

/* Start a RESYNC operation; vol->lock held, the rules checked. */
static enum mirvol_reason mirvol_resync_op(struct mirvol_volume *vol,
					   bool force, u64 *op_id)
{
	struct mirvol_resync_op *ro;
	enum mirvol_reason reason;
	unsigned int i;

	ro = kzalloc(sizeof(*ro), GFP_KERNEL);
	if (!ro)
		return MIRVOL_R_NO_MEMORY;
	mirvol_op_init(&ro->op, &mirvol_resync_type, vol);
	ro->force = force;
	ro->source = vol->resync_source;
	reason = mirvol_op_reserve(&ro->op);
	if (!reason) {
		for (i = 0; i < MIRVOL_MAX_PLEXES; i++) {
			struct mirvol_plex *plex = vol->plexes[i];

			if (plex && plex->bdev &&
			    (plex->state == MIRVOL_PLEX_STALE ||
			     plex->state == MIRVOL_PLEX_SYNCING))
				mirvol_op_add_output(&ro->op, &plex->uuid);
		}
		mirvol_op_set_progress(&ro->op, 0,
				       (u64)vol->size << SECTOR_SHIFT);
		mirvol_op_commit(&ro->op);
		*op_id = ro->op.id;
	}
	mirvol_op_put(&ro->op);
	return reason;
}

/**
 * mirvol_resync_if_needed - start a resync if a plex needs one
 * @vol: the volume
 *
 * Starts a RESYNC operation when the volume is started, idle, has an
 * in-sync plex and a stale or syncing one, and no resync stopped on an
 * unreadable range since the last SYNC_ACTION.
 *
 * Context: vol->lock held.
 * Return: the operation's id, or 0 when none was started.
 */
u64 mirvol_resync_if_needed(struct mirvol_volume *vol)
{
	struct mirvol_rule_vol rv;
	u64 op_id = 0;

	lockdep_assert_held(&vol->lock);
	if (test_bit(MIRVOL_VOL_DEAD, &vol->flags) ||
	    !test_bit(MIRVOL_VOL_STARTED, &vol->flags) ||
	    test_bit(MIRVOL_VOL_SYNC_STOPPED, &vol->flags))
		return 0;
	mirvol_rules_snapshot(vol, &rv);
	if (mirvol_check_resync(&rv))
		return 0;
	mirvol_resync_op(vol, false, &op_id);
	return op_id;
}

/**
 * mirvol_resync_start - SYNC_ACTION RESYNC: (re)start the resync
 * @vol: the volume, referenced by the caller
 * @force: write zeros where no plex can read instead of stopping
 * @op_id: out: the operation
 *
 * Return: MIRVOL_R_NONE or why not.
 */
enum mirvol_reason mirvol_resync_start(struct mirvol_volume *vol, bool force,
				       u64 *op_id)
{
	struct mirvol_rule_vol rv;
	enum mirvol_reason reason;

	mutex_lock(&vol->lock);
	if (test_bit(MIRVOL_VOL_DEAD, &vol->flags)) {
		reason = MIRVOL_R_OBJECT_NOT_FOUND;
		goto out;
	}
	mirvol_rules_snapshot(vol, &rv);
	reason = mirvol_check_resync(&rv);
	if (reason)
		goto out;
	clear_bit(MIRVOL_VOL_SYNC_STOPPED, &vol->flags);
	reason = mirvol_resync_op(vol, force, op_id);
out:
	mutex_unlock(&vol->lock);
	return reason;
}
