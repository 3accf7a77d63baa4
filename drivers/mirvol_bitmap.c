// SPDX-License-Identifier: GPL-2.0
/*
 * mirvol write-intent bitmap.
 *
 * One bit per region of the volume, in the bitmap area of every writable
 * plex.  The rules (Documentation/design.rst, "Write-intent bitmap"):
 *
 *  1. A region's bit is on disk, on every writable plex, before the first
 *     write into the region is issued.  The writer increments the
 *     region's pending count; if the region is not ONDISK (or is being
 *     cleared) it asks the set work and waits, else it goes on at once:
 *     a busy region costs one atomic per write.  The set work writes the
 *     pages with FUA, then makes the regions ONDISK and wakes the writers.
 *     ONDISK means on disk: a page no in-sync plex took leaves its
 *     regions as they were (rule 4).
 *  2. A bit is cleared only once every write into its region is durable
 *     on every plex: the clear work takes regions idle for a whole period
 *     (no write started, none in flight), marks them CLEARING by a
 *     compare-and-exchange from "ONDISK, nothing pending", flushes every
 *     plex, and then, if every plex is still in sync (one that left
 *     meanwhile may have been skipped, rule 3), clears those no writer
 *     came to meanwhile.  A writer that finds CLEARING waits; the
 *     clearer lets it have the region.
 *     Which idle regions it takes (mirvol_bitmap_pick()): all of them
 *     after a period in which no write started at all; while writes go
 *     on, none until more than the budget (bitmap_dirty_max) are set,
 *     then the longest idle, down to 7/8 of the budget.  A hot set that
 *     fits the budget stays set and its writes never wait for a mark.
 *  3. Nothing is cleared while a plex is not in sync (missing, failed,
 *     offline, stale, syncing), while a resync or a check runs, or while a
 *     split is tracked: the bits then cover what such a plex missed, and
 *     a returning plex copies only those regions.
 *  4. A page no in-sync plex took (the last one is kept through write
 *     errors; in sync once the page write's failures are handled: one
 *     that took it may fail meanwhile) stays dirty, and its regions that
 *     were not ONDISK stay so.
 *     The set work first ends the bitmap's coverage of earlier writes
 *     (cleared_gen, in a superblock update) and then lets the writers
 *     waiting for that pass go, as md never holds a write on its bitmap.
 *     That update may be the first without a plex (one this pass failed,
 *     or one whose departure no update recorded yet), which then missed
 *     those writes: only a plex that left strictly after it is covered
 *     (mirvol_bitmap_gone_covered()).  A plex that leaves later, while
 *     such a page is lost (lost_pages), may have missed those writes
 *     too (one promoted meanwhile): the update recording its departure
 *     raises cleared_gen to its own generation (mirvol_sb_targets()).
 *     When no in-sync plex took the update raising cleared_gen either,
 *     the writers fail instead, their write sent nowhere
 *     (cleared_unrecorded): acknowledged, a power cut would bring back
 *     a plex that left before as covered by the old cleared_gen, stale
 *     in their regions.
 *     The next writer into such a region asks the set work again, which
 *     writes the page again.  The clear work also writes such pages every
 *     period.  Once one goes out, its set regions are ONDISK.
 *
 * Page writes, set or clear, are one at a time in order (io_mutex) from
 * stable copies, under the volume's sb_mutex, which keeps the plex array
 * still and orders them with plexes joining (they get the whole image)
 * and leaving.
 *
 * Copyright (C) 2026 The mirvol authors
 */
#include <linux/bitmap.h>
#include <linux/blkdev.h>
#include <linux/log2.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "mirvol_bitmap.h"
#include "mirvol_core.h"

#define MIRVOL_BM_SECTOR	MIRVOL_SB_SECTOR(MIRVOL_BITMAP_OFFSET)

static void mirvol_bitmap_set_work(struct work_struct *work);
static void mirvol_bitmap_clear_work(struct work_struct *work);

/**
 * mirvol_bitmap_default_region - the default region size of a volume
 * @size_bytes: the volume's size
 *
 * The smallest power of two from 64 KiB up that keeps the bitmap under
 * MIRVOL_BITMAP_DEFAULT_REGIONS bits, at most 4 MiB, then at least what
 * keeps it under MIRVOL_BITMAP_MAX_REGIONS bits.
 *
 * Return: the region size in bytes.
 */
u64 mirvol_bitmap_default_region(u64 size_bytes)
{
	u64 region = MIRVOL_BITMAP_MIN_REGION;
	u64 min = DIV_ROUND_UP_ULL(size_bytes, MIRVOL_BITMAP_MAX_REGIONS);

	while (region < MIRVOL_BITMAP_DEFAULT_MAX_REGION &&
	       DIV_ROUND_UP_ULL(size_bytes, region) >
	       MIRVOL_BITMAP_DEFAULT_REGIONS)
		region <<= 1;
	while (region < min)
		region <<= 1;
	return region;
}

/**
 * mirvol_bitmap_create - an empty bitmap for a volume of known size
 * @vol: the volume, its size set
 * @region_sectors: a power of two, at least 64 KiB
 *
 * Return: the bitmap, or NULL (no memory, or too many regions).
 */
struct mirvol_bitmap *mirvol_bitmap_create(struct mirvol_volume *vol,
					   unsigned int region_sectors)
{
	struct mirvol_bitmap *bm;
	unsigned int i;

	if (!is_power_of_2(region_sectors) ||
	    region_sectors < MIRVOL_SB_SECTOR(MIRVOL_BITMAP_MIN_REGION))
		return NULL;
	bm = kzalloc(sizeof(*bm), GFP_KERNEL);
	if (!bm)
		return NULL;
	bm->vol = vol;
	bm->shift = ilog2(region_sectors);
	bm->nr = DIV_ROUND_UP_ULL(vol->size, region_sectors);
	if (!bm->nr || bm->nr > MIRVOL_BITMAP_MAX_REGIONS)
		goto out_free;
	bm->nr_pages = DIV_ROUND_UP(BITS_TO_LONGS(bm->nr) * sizeof(long),
				    PAGE_SIZE);
	bm->state = kvcalloc(bm->nr, sizeof(*bm->state), GFP_KERNEL);
	bm->disk = kvzalloc(bm->nr_pages * PAGE_SIZE, GFP_KERNEL);
	bm->to_set = bitmap_zalloc(bm->nr, GFP_KERNEL);
	bm->touched = bitmap_zalloc(bm->nr, GFP_KERNEL);
	bm->idle = kvzalloc(bm->nr, GFP_KERNEL);
	bm->marking = bitmap_zalloc(bm->nr, GFP_KERNEL);
	bm->clearing = bitmap_zalloc(bm->nr, GFP_KERNEL);
	if (!bm->state || !bm->disk || !bm->to_set || !bm->touched ||
	    !bm->idle || !bm->marking || !bm->clearing)
		goto out_free;
	for (i = 0; i < bm->nr_pages; i++) {
		bm->bounce[i] = alloc_page(GFP_KERNEL);
		if (!bm->bounce[i])
			goto out_free;
	}
	/* A page to every plex at a time. */
	if (bioset_init(&bm->bs, MIRVOL_MAX_PLEXES, 0, BIOSET_NEED_BVECS))
		goto out_free;
	spin_lock_init(&bm->lock);
	mutex_init(&bm->io_mutex);
	init_waitqueue_head(&bm->wait);
	INIT_WORK(&bm->set_work, mirvol_bitmap_set_work);
	INIT_DELAYED_WORK(&bm->clear_work, mirvol_bitmap_clear_work);
	bm->clear_ms = MIRVOL_BM_CLEAR_MS_DEFAULT;
	return bm;

out_free:
	mirvol_bitmap_destroy(bm);
	return NULL;
}

/**
 * mirvol_bitmap_fits - is there room for @bm before a plex's data
 * @bm: the bitmap
 * @data_offset: where the plex's data starts, in sectors
 *
 * Every plex holds the bitmap's pages from the bitmap area's start on
 * (mirvol_bitmap_write_plex()), and its superblock says the area ends
 * where its data begins; the format lets a plex's data begin anywhere
 * from there (MIRVOL_MIN_DATA_OFFSET), as another tool may have made it.
 *
 * Return: whether @bm's pages end at or before @data_offset.
 */
bool mirvol_bitmap_fits(const struct mirvol_bitmap *bm, sector_t data_offset)
{
	return data_offset >= MIRVOL_BM_SECTOR +
			      (sector_t)bm->nr_pages *
			      (PAGE_SIZE >> SECTOR_SHIFT);
}

/**
 * mirvol_bitmap_destroy - free a stopped bitmap
 * @bm: the bitmap, or NULL; also one mirvol_bitmap_create() did not finish
 */
void mirvol_bitmap_destroy(struct mirvol_bitmap *bm)
{
	unsigned int i;

	if (!bm)
		return;
	bioset_exit(&bm->bs);	/* a zeroed bio_set too */
	for (i = 0; i < bm->nr_pages; i++)
		if (bm->bounce[i])
			__free_page(bm->bounce[i]);
	bitmap_free(bm->resync);
	bitmap_free(bm->clearing);
	bitmap_free(bm->marking);
	kvfree(bm->idle);
	bitmap_free(bm->touched);
	bitmap_free(bm->to_set);
	kvfree(bm->disk);
	kvfree(bm->state);
	kfree(bm);
}

/*
 * Write page @i of @image (a stable copy) to every writable plex, FUA.
 * Plexes that fail are failed.  Returns false when no plex in sync once
 * those are failed took it.  sb_mutex held: the plex array is still.
 */
static bool mirvol_bitmap_write_page(struct mirvol_bitmap *bm,
				     struct page *page, unsigned int i)
{
	struct mirvol_volume *vol = bm->vol;
	struct mirvol_plex *targets[MIRVOL_MAX_PLEXES];
	struct bio *bios[MIRVOL_MAX_PLEXES];
	struct mirvol_batch batch;
	unsigned int n = 0, k;
	bool in_sync = false;

	lockdep_assert_held(&vol->sb_mutex);
	mirvol_batch_init(&batch);
	for (k = 0; k < MIRVOL_MAX_PLEXES; k++) {
		struct mirvol_plex *plex = vol->plexes[k];
		struct bio *bio;

		if (!plex || !plex->bdev ||
		    !mirvol_state_writable(READ_ONCE(plex->state)))
			continue;
		bio = bio_alloc_bioset(plex->bdev, 1, REQ_OP_WRITE | REQ_SYNC |
				       REQ_META | REQ_FUA, GFP_NOIO, &bm->bs);
		bio->bi_iter.bi_sector = MIRVOL_BM_SECTOR +
					 i * (PAGE_SIZE >> SECTOR_SHIFT);
		__bio_add_page(bio, page, PAGE_SIZE, 0);
		targets[n] = plex;
		bios[n++] = bio;
		mirvol_batch_submit(&batch, bio, plex);
	}
	mirvol_batch_wait(&batch);
	for (k = 0; k < n; k++) {
		if (bios[k]->bi_status)
			mirvol_plex_error(targets[k], true);
		MIRVOL_KUNIT_HOOK(mirvol_kunit_bitmap_page_hook, targets[k]);
	}
	/*
	 * Judged once every failure is handled: a plex that took the page
	 * may have failed meanwhile, and a later target that failed the page
	 * then been kept as the last in-sync plex, without it.
	 */
	for (k = 0; k < n; k++) {
		if (!bios[k]->bi_status &&
		    mirvol_state_readable(READ_ONCE(targets[k]->state)))
			in_sync = true;
		bio_put(bios[k]);
	}
	return in_sync;
}

/*
 * Page @i of the image as it goes to disk: little-endian 64-bit words,
 * bit n of word w for region 64w + n (the on-disk format).
 */
static void mirvol_bitmap_page_out(struct mirvol_bitmap *bm, unsigned int i,
				   void *dst)
{
	unsigned int k, bits = PAGE_SIZE * BITS_PER_BYTE;
	u64 *w = dst;

	bitmap_to_arr64(w, bm->disk + i * BITS_TO_LONGS(bits), bits);
	for (k = 0; k < PAGE_SIZE / sizeof(u64); k++)
		w[k] = (__force u64)cpu_to_le64(w[k]);
}

/* OR an on-disk page (@src, clobbered) into page @i of @image. */
static void mirvol_bitmap_page_in(unsigned long *image, unsigned int i,
				  void *src, unsigned long *tmp)
{
	unsigned int k, bits = PAGE_SIZE * BITS_PER_BYTE;
	unsigned long *dst = image + i * BITS_TO_LONGS(bits);
	u64 *w = src;

	for (k = 0; k < PAGE_SIZE / sizeof(u64); k++)
		w[k] = le64_to_cpu((__force __le64)w[k]);
	bitmap_from_arr64(tmp, w, bits);
	bitmap_or(dst, dst, tmp, bits);
}

/*
 * The pages of @dirty were written, but those of @failed, which no
 * in-sync plex took (rule 4).  These stay dirty, written again with the
 * next ones; their set regions that were not ONDISK stay so.  A page that
 * failed before and went out now makes those ONDISK: every bit set in the
 * image was in it, and the image does not change under io_mutex.  io_mutex
 * and sb_mutex held, as for the page writes: the next superblock update
 * sees their outcome in lost_pages (mirvol_sb_targets()).
 */
static void mirvol_bitmap_written(struct mirvol_bitmap *bm,
				  unsigned long dirty, unsigned long failed)
{
	unsigned long r, end, found;
	unsigned int i;

	lockdep_assert_held(&bm->io_mutex);
	lockdep_assert_held(&bm->vol->sb_mutex);
	spin_lock_irq(&bm->lock);
	bm->dirty_pages |= failed;
	found = (bm->lost_pages | bm->loaded_pages) & dirty & ~failed;
	bm->lost_pages = (bm->lost_pages & ~dirty) | failed;
	bm->loaded_pages &= ~found;
	spin_unlock_irq(&bm->lock);
	for_each_set_bit(i, &found, bm->nr_pages) {
		r = (unsigned long)i * PAGE_SIZE * 8;
		end = min_t(unsigned long, bm->nr, r + PAGE_SIZE * 8);
		for_each_set_bit_from(r, bm->disk, end)
			atomic_or(MIRVOL_BM_ONDISK, &bm->state[r]);
	}
}

/*
 * Write the dirty pages of the image; returns those no in-sync plex took
 * (the last one is kept through write errors), which stay dirty
 * (mirvol_bitmap_written()).  @waited: the pages holding regions whose
 * writers wait for this pass.  When such a page is not taken, the
 * on-disk bitmap does not hold the writes about to go out: from the
 * superblock update below on it covers only later ones, so a missing plex
 * that returns copies everything (bitmap_covers()), instead of skipping a
 * region written while it was away.  A plex that update records as gone
 * (it failed this page, or left unrecorded) gets its generation, equal to
 * cleared_gen, and misses these writes too: not covered either
 * (mirvol_bitmap_gone_covered()).  When no in-sync plex takes that
 * update, @cleared_unrecorded makes the writers fail (rule 4), until an
 * update records cleared_gen.  The page writes' outcome is in lost_pages
 * before sb_mutex is released: an update recording a plex's departure
 * from then on raises cleared_gen (mirvol_sb_targets()).  io_mutex held.
 */
static unsigned long mirvol_bitmap_flush_pages(struct mirvol_bitmap *bm,
					       unsigned long waited)
{
	struct mirvol_volume *vol = bm->vol;
	unsigned long dirty, failed = 0;
	unsigned int i;
	u64 need;

	lockdep_assert_held(&bm->io_mutex);
	spin_lock_irq(&bm->lock);
	dirty = bm->dirty_pages;
	bm->dirty_pages = 0;
	for_each_set_bit(i, &dirty, bm->nr_pages)
		mirvol_bitmap_page_out(bm, i, page_address(bm->bounce[i]));
	spin_unlock_irq(&bm->lock);
	if (!dirty)
		return 0;
	mutex_lock(&vol->sb_mutex);
	for_each_set_bit(i, &dirty, bm->nr_pages) {
		if (!mirvol_bitmap_write_page(bm, bm->bounce[i], i)) {
			pr_err_ratelimited("mirvol: %s: no in-sync plex took bitmap page %u\n",
					   vol->name, i);
			__set_bit(i, &failed);
		}
		atomic64_inc(&vol->bitmap_writes);
	}
	mirvol_bitmap_written(bm, dirty, failed);
	if (failed & waited) {
		need = vol->generation + 1;
		bm->cleared_gen = need;
		/*
		 * An attempt the in-sync plexes took records it, though a
		 * later one of the same update failed (mirvol_sb.c).
		 */
		if (mirvol_sb_update_locked(vol) &&
		    bm->cleared_recorded < need) {
			/* Until an update records it (mirvol_sb.c). */
			WRITE_ONCE(bm->cleared_unrecorded, true);
			pr_err_ratelimited("mirvol: %s: the bitmap no longer covers every write, and no in-sync plex recorded that: writes into its lost regions fail\n",
					   vol->name);
		} else {
			pr_warn_ratelimited("mirvol: %s: the bitmap no longer covers earlier writes: a returning plex copies everything\n",
					    vol->name);
		}
	}
	mutex_unlock(&vol->sb_mutex);
	return failed;
}

static void mirvol_bitmap_set_work(struct work_struct *work)
{
	struct mirvol_bitmap *bm = container_of(work, struct mirvol_bitmap,
						set_work);
	unsigned long r, seq, failed, waited = 0;

	mutex_lock(&bm->io_mutex);
	spin_lock_irq(&bm->lock);
	/* The writers that asked before this answer to this pass. */
	seq = ++bm->set_seq;
	for_each_set_bit(r, bm->to_set, bm->nr) {
		clear_bit(r, bm->to_set);
		set_bit(r, bm->marking);
		__set_bit(r / (PAGE_SIZE * 8), &waited);
		if (!__test_and_set_bit(r, bm->disk))
			__set_bit(r / (PAGE_SIZE * 8), &bm->dirty_pages);
	}
	spin_unlock_irq(&bm->lock);
	failed = mirvol_bitmap_flush_pages(bm, waited);
	if (failed & waited)
		MIRVOL_KUNIT_HOOK(mirvol_kunit_bitmap_lost_hook, bm->vol);
	/*
	 * On disk: ONDISK.  On no in-sync plex: not, and the writers go on
	 * all the same once cleared_gen is recorded, else fail (rule 4); the
	 * next one asks again.
	 */
	for_each_set_bit(r, bm->marking, bm->nr) {
		clear_bit(r, bm->marking);
		if (!test_bit(r / (PAGE_SIZE * 8), &failed))
			atomic_or(MIRVOL_BM_ONDISK, &bm->state[r]);
	}
	/* Pairs with mirvol_bitmap_ready(): the page writes came first. */
	smp_store_release(&bm->set_done, seq);
	mutex_unlock(&bm->io_mutex);
	wake_up_all(&bm->wait);
}

/* May bits be cleared now (rule 3)? */
static bool mirvol_bitmap_may_clear(struct mirvol_volume *vol)
{
	unsigned int i;

	if (!test_bit(MIRVOL_VOL_STARTED, &vol->flags) ||
	    test_bit(MIRVOL_VOL_DEAD, &vol->flags) || vol->split_generation ||
	    READ_ONCE(vol->op_id))
		return false;
	for (i = 0; i < MIRVOL_MAX_PLEXES; i++) {
		struct mirvol_plex *plex = vol->plexes[i];

		if (plex && (READ_ONCE(plex->state) != MIRVOL_PLEX_ACTIVE ||
			     !READ_ONCE(plex->bdev)))
			return false;
	}
	return true;
}

/*
 * Age the regions set on disk by one period, those written during it back
 * to 0, and fill @bm->idle_count.  Returns how many are set.
 */
static unsigned long mirvol_bitmap_age(struct mirvol_bitmap *bm)
{
	unsigned long r, dirty = 0;

	memset(bm->idle_count, 0, sizeof(bm->idle_count));
	for_each_set_bit(r, bm->disk, bm->nr) {
		if (test_and_clear_bit(r, bm->touched))
			bm->idle[r] = 0;
		else if (bm->idle[r] < MIRVOL_BM_IDLE_MAX)
			bm->idle[r]++;
		bm->idle_count[bm->idle[r]]++;
		dirty++;
	}
	return dirty;
}

/*
 * Take idle regions into CLEARING.  Returns how many.
 *
 * Only regions idle for a whole period (age 1 or more) are candidates.
 * After a period in which no write started, or with a budget of 0, every
 * one of them goes: a quiet volume ends clean.  While writes go on,
 * none goes until more than bitmap_dirty_max regions are set; then the
 * longest idle go until 7/8 of the budget is left, so that the next
 * periods do not clear again at once.  A region written in every
 * period, or often enough to stay among the youngest, stays set: its
 * writes do not wait for a new mark.  Clearing fewer regions is always
 * safe; the safety of those cleared is the compare-and-exchange's and
 * the flush's (rule 2).
 */
static unsigned long mirvol_bitmap_pick(struct mirvol_bitmap *bm)
{
	unsigned int max = READ_ONCE(bm->vol->bitmap_dirty_max);
	bool quiet = !test_and_clear_bit(MIRVOL_BM_WRITTEN, &bm->flags);
	unsigned long r, dirty, left, n = 0;
	unsigned int age, min_age;

	dirty = mirvol_bitmap_age(bm);
	if (quiet || !max)
		left = dirty;
	else if (dirty > max)
		left = dirty - (max - max / 8);
	else
		return 0;
	/* Every region older than @min_age, and @left of that age. */
	for (min_age = MIRVOL_BM_IDLE_MAX;
	     min_age > 1 && bm->idle_count[min_age] < left; min_age--)
		left -= bm->idle_count[min_age];
	for_each_set_bit(r, bm->disk, bm->nr) {
		age = bm->idle[r];
		if (age < min_age || (age == min_age && !left))
			continue;
		if (atomic_cmpxchg(&bm->state[r], MIRVOL_BM_ONDISK,
				   MIRVOL_BM_ONDISK | MIRVOL_BM_CLEARING) !=
		    MIRVOL_BM_ONDISK)
			continue;
		if (age == min_age)
			left--;
		set_bit(r, bm->clearing);
		n++;
	}
	return n;
}

/* Give the regions taken by mirvol_bitmap_pick() back, or clear them. */
static void mirvol_bitmap_unpick(struct mirvol_bitmap *bm, bool clear)
{
	unsigned long r;

	spin_lock_irq(&bm->lock);
	for_each_set_bit(r, bm->clearing, bm->nr) {
		clear_bit(r, bm->clearing);
		if (clear &&
		    atomic_cmpxchg(&bm->state[r],
				   MIRVOL_BM_ONDISK | MIRVOL_BM_CLEARING, 0) ==
		    (MIRVOL_BM_ONDISK | MIRVOL_BM_CLEARING)) {
			__clear_bit(r, bm->disk);
			__set_bit(r / (PAGE_SIZE * 8), &bm->dirty_pages);
			bm->idle[r] = 0;
		} else {
			/* A writer came: it keeps the region. */
			atomic_andnot(MIRVOL_BM_CLEARING, &bm->state[r]);
		}
	}
	spin_unlock_irq(&bm->lock);
}

static void mirvol_bitmap_clear_work(struct work_struct *work)
{
	struct mirvol_bitmap *bm = container_of(to_delayed_work(work),
						struct mirvol_bitmap,
						clear_work);
	struct mirvol_volume *vol = bm->vol;
	bool flushed;

	mutex_lock(&bm->io_mutex);
	if (!mirvol_bitmap_may_clear(vol) || !mirvol_bitmap_pick(bm))
		goto out;
	/* Every write into them durable on every plex first (rule 2). */
	mutex_lock(&vol->sb_mutex);
	flushed = mirvol_bitmap_may_clear(vol);
	if (flushed) {
		MIRVOL_KUNIT_HOOK(mirvol_kunit_clear_flush_hook, vol);
		/*
		 * A plex may leave meanwhile (a write error, its device
		 * gone: state_lock only, with I/O flowing), and the flush
		 * skips it, writes into the regions maybe still in its
		 * volatile cache: the bits must stay, they cover what it
		 * missed.  So every plex must still be in sync after the
		 * flush.  Under sb_mutex none comes back in sync and no
		 * plex takes a slot (a promotion, a rejoin, an attach all
		 * hold it): one in sync now was so, and flushed, all along.
		 */
		flushed = !mirvol_flush_plexes(vol) &&
			  mirvol_bitmap_may_clear(vol);
	}
	mutex_unlock(&vol->sb_mutex);
	mirvol_bitmap_unpick(bm, flushed);
	wake_up_all(&bm->wait);
out:
	/* The cleared pages, and those a failed write left dirty (rule 4). */
	if (test_bit(MIRVOL_VOL_STARTED, &vol->flags) &&
	    !test_bit(MIRVOL_VOL_DEAD, &vol->flags))
		mirvol_bitmap_flush_pages(bm, 0);
	mutex_unlock(&bm->io_mutex);
	queue_delayed_work(mirvol_io_wq, &bm->clear_work,
			   msecs_to_jiffies(bm->clear_ms));
}

/**
 * mirvol_bitmap_start - start clearing idle regions
 * @bm: the bitmap of a started volume
 */
void mirvol_bitmap_start(struct mirvol_bitmap *bm)
{
	queue_delayed_work(mirvol_io_wq, &bm->clear_work,
			   msecs_to_jiffies(bm->clear_ms));
}

/**
 * mirvol_bitmap_stop - stop the bitmap's works
 * @bm: the bitmap; no write may be in flight or come
 *
 * Also for a bitmap that was never started.
 */
void mirvol_bitmap_stop(struct mirvol_bitmap *bm)
{
	cancel_delayed_work_sync(&bm->clear_work);
	flush_work(&bm->set_work);
}

/*
 * May a writer that asked the set pass @seq go: its regions ONDISK and not
 * being cleared, or that pass ended (some of its pages may have reached
 * no in-sync plex, rule 4)?
 */
static bool mirvol_bitmap_ready(struct mirvol_bitmap *bm, unsigned long r0,
				unsigned long r1, unsigned long seq)
{
	unsigned long r;

	/* Pairs with the set work's release: its writes are done. */
	if ((long)(smp_load_acquire(&bm->set_done) - seq) >= 0)
		return true;
	for (r = r0; r <= r1; r++) {
		int v = atomic_read(&bm->state[r]);

		if (!(v & MIRVOL_BM_ONDISK) || (v & MIRVOL_BM_CLEARING))
			return false;
	}
	return true;
}

/*
 * mirvol_bitmap_startwrite() once a region of [@r0, @r1] is not on disk
 * (or is being cleared): wait for the set work.  Out of line, so that
 * the writers that need no wait pay for none of it.
 */
static noinline int __cold
mirvol_bitmap_startwrite_wait(struct mirvol_bitmap *bm, sector_t start,
			      sector_t end, unsigned long r0, unsigned long r1)
{
	unsigned long r, seq;

	/* The first pass to take @to_set from now on takes ours. */
	spin_lock_irq(&bm->lock);
	seq = bm->set_seq + 1;
	spin_unlock_irq(&bm->lock);
	queue_work(mirvol_io_wq, &bm->set_work);
	wait_event(bm->wait, mirvol_bitmap_ready(bm, r0, r1, seq));
	/*
	 * After the pass (the acquire in mirvol_bitmap_ready()): set before
	 * its end when its update failed, or that of an earlier pass whose
	 * page this one did not take again, and no update recorded
	 * cleared_gen since.  A region ONDISK has its bit on disk, CLEARING
	 * or not: the clearer gives it back to our pending write.
	 */
	if (!READ_ONCE(bm->cleared_unrecorded))
		return 0;
	for (r = r0; r <= r1; r++)
		if (!(atomic_read(&bm->state[r]) & MIRVOL_BM_ONDISK))
			break;
	if (r > r1)
		return 0;
	mirvol_bitmap_endwrite(bm, start, end);
	return -EIO;
}

/**
 * mirvol_bitmap_startwrite - a write into [@start, @end) is about to go
 * @bm: the bitmap
 * @start: first volume sector
 * @end: sector after the last
 *
 * Returns once the regions' bits are on disk (rule 1), or the set work's
 * attempt at it reached no in-sync plex and the bitmap's coverage ended
 * (rule 4).  On success the caller ends with mirvol_bitmap_endwrite()
 * over the same range.  When that end of the coverage is recorded on no
 * in-sync plex, the write must not go: acknowledged, it could be lost
 * silently on a plex that returns after a power cut (rule 4).
 *
 * Context: the write's submitter; may sleep.
 * Return: 0, or -EIO (the write fails; nothing to end).
 */
int mirvol_bitmap_startwrite(struct mirvol_bitmap *bm, sector_t start,
			     sector_t end)
{
	unsigned long r, r0 = start >> bm->shift, r1 = (end - 1) >> bm->shift;
	bool wait = false;

	if (!test_bit(MIRVOL_BM_WRITTEN, &bm->flags))
		set_bit(MIRVOL_BM_WRITTEN, &bm->flags);
	for (r = r0; r <= r1; r++) {
		int v = atomic_inc_return(&bm->state[r]);

		if (!test_bit(r, bm->touched))
			set_bit(r, bm->touched);
		if ((v & MIRVOL_BM_ONDISK) && !(v & MIRVOL_BM_CLEARING))
			continue;
		set_bit(r, bm->to_set);
		wait = true;
	}
	if (likely(!wait))
		return 0;
	return mirvol_bitmap_startwrite_wait(bm, start, end, r0, r1);
}

/**
 * mirvol_bitmap_endwrite - the write started over [@start, @end) ended
 * @bm: the bitmap
 * @start: first volume sector
 * @end: sector after the last
 *
 * Context: any.
 */
void mirvol_bitmap_endwrite(struct mirvol_bitmap *bm, sector_t start,
			    sector_t end)
{
	unsigned long r, r0 = start >> bm->shift, r1 = (end - 1) >> bm->shift;

	for (r = r0; r <= r1; r++)
		atomic_dec(&bm->state[r]);
}

/**
 * mirvol_bitmap_alloc_image - a zeroed image the size of the bitmap's
 * @bm: the bitmap
 *
 * Return: the image (kvfree() it), or NULL.
 */
unsigned long *mirvol_bitmap_alloc_image(struct mirvol_bitmap *bm)
{
	return kvzalloc(bm->nr_pages * PAGE_SIZE, GFP_KERNEL);
}

/**
 * mirvol_bitmap_load - read a member's on-disk bitmap
 * @bm: the bitmap, not started
 * @bdev: the member's device
 * @offset: its bitmap area, sectors
 * @bits: out: the member's bits (mirvol_bitmap_alloc_image())
 *
 * Return: 0 or a negative errno (@bits then incomplete).
 */
int mirvol_bitmap_load(struct mirvol_bitmap *bm, struct block_device *bdev,
		       sector_t offset, unsigned long *bits)
{
	struct page *page = alloc_page(GFP_KERNEL);
	unsigned long *tmp = bitmap_alloc(PAGE_SIZE * BITS_PER_BYTE,
					  GFP_KERNEL);
	unsigned int i;
	int ret = 0;

	memset(bits, 0, bm->nr_pages * PAGE_SIZE);
	if (!page || !tmp) {
		ret = -ENOMEM;
		goto out;
	}
	for (i = 0; i < bm->nr_pages && !ret; i++) {
		ret = mirvol_sync_rw(bdev, REQ_OP_READ | REQ_META, offset +
				     i * (PAGE_SIZE >> SECTOR_SHIFT), &page, 1);
		if (!ret)
			mirvol_bitmap_page_in(bits, i, page_address(page), tmp);
	}
out:
	bitmap_free(tmp);
	if (page)
		__free_page(page);
	/* Bits past the last region are noise. */
	bitmap_clear(bits, bm->nr, bm->nr_pages * PAGE_SIZE * 8 - bm->nr);
	return ret;
}

/**
 * mirvol_bitmap_mark_loaded - the loaded bits every member has: ONDISK
 * @bm: the bitmap, not started, its image the union of the members'
 * @common: the bits every present member's bitmap holds
 *
 * A bit some member lacks (or whose bitmap could not be read) is not on
 * every plex: a write into its region would go out with its bit on no
 * disk of that plex (rule 1).  Its page is written, by the first set
 * pass or clear period, before such a region is ONDISK
 * (mirvol_bitmap_written()).
 */
void mirvol_bitmap_mark_loaded(struct mirvol_bitmap *bm,
			       const unsigned long *common)
{
	unsigned long r;

	for_each_set_bit(r, bm->disk, bm->nr) {
		if (test_bit(r, common))
			atomic_set(&bm->state[r], MIRVOL_BM_ONDISK);
		else
			__set_bit(r / (PAGE_SIZE * 8), &bm->loaded_pages);
	}
	bm->dirty_pages |= bm->loaded_pages;
}

/**
 * mirvol_bitmap_write_plex - write the whole image to one plex
 * @bm: the bitmap
 * @bdev: a device joining the volume (or being created)
 * @offset: its bitmap area, sectors
 *
 * Context: sb_mutex held (the image is written to joining plexes in order
 * with page writes to the others).
 * Return: 0 or a negative errno.
 */
int mirvol_bitmap_write_plex(struct mirvol_bitmap *bm,
			     struct block_device *bdev, sector_t offset)
{
	unsigned int i;
	int ret = 0;

	for (i = 0; i < bm->nr_pages && !ret; i++) {
		struct page *page = alloc_page(GFP_NOIO);

		if (!page)
			return -ENOMEM;
		spin_lock_irq(&bm->lock);
		mirvol_bitmap_page_out(bm, i, page_address(page));
		spin_unlock_irq(&bm->lock);
		ret = mirvol_sync_rw(bdev, REQ_OP_WRITE | REQ_META | REQ_FUA,
				     offset + i * (PAGE_SIZE >> SECTOR_SHIFT),
				     &page, 1);
		__free_page(page);
	}
	return ret;
}

/**
 * mirvol_bitmap_weight - regions whose bit is set
 * @bm: the bitmap
 *
 * Return: how many.
 */
unsigned long mirvol_bitmap_weight(struct mirvol_bitmap *bm)
{
	unsigned long n;

	spin_lock_irq(&bm->lock);
	n = bitmap_weight(bm->disk, bm->nr);
	spin_unlock_irq(&bm->lock);
	return n;
}

/**
 * mirvol_bitmap_resync_begin - add the set bits to what partial targets copy
 * @bm: the bitmap
 *
 * The snapshot (@bm->resync) gains every bit set now; a plex joining as a
 * partial target while a pass runs is covered from then on.
 *
 * Context: sb_mutex held, and the resync not inside a batch (I/O
 * suspended, or the resync's own thread).
 * Return: 0 or -ENOMEM (the partial targets must then copy everything).
 */
int mirvol_bitmap_resync_begin(struct mirvol_bitmap *bm)
{
	if (!bm->resync) {
		bm->resync = bitmap_zalloc(bm->nr, GFP_NOIO);
		if (!bm->resync)
			return -ENOMEM;
	}
	spin_lock_irq(&bm->lock);
	bitmap_or(bm->resync, bm->resync, bm->disk, bm->nr);
	spin_unlock_irq(&bm->lock);
	return 0;
}

/**
 * mirvol_bitmap_resync_end - no partial target left: drop the snapshot
 * @bm: the bitmap
 *
 * Context: as mirvol_bitmap_resync_begin().
 */
void mirvol_bitmap_resync_end(struct mirvol_bitmap *bm)
{
	bitmap_free(bm->resync);
	bm->resync = NULL;
}

/**
 * mirvol_bitmap_merge - set the bits of another volume's map, on disk
 * @bm: the bitmap of a volume whose I/O is suspended
 * @bits: @bm->nr bits (merge-plex: the split peer's change map)
 *
 * The regions either side changed since a split are then set on every
 * writable plex of @bm's volume before the peer's plexes join it as
 * partial targets, so that a crash during the merge still finds them.
 *
 * When no in-sync plex takes a page, the merge is undone (the peer's
 * plexes do not join) and so is the image: the bits it set go again,
 * and the pages whose write failed are written again with the next ones.
 * A bit left set in the image but on no disk would never be written: the
 * next write into its region finds it set, dirties no page and goes out
 * with its bit on no disk (rule 1).  The bitmap's coverage is intact, no
 * write of the volume went out meanwhile (I/O is suspended): unlike a
 * lost set, nothing to record in cleared_gen.  A plex that took a page
 * holds a few more bits than the image, which only adds to what a
 * returning plex copies.
 *
 * Context: vol->lock held, I/O suspended (no writer waits for the set
 * work); takes io_mutex, then sb_mutex, as the works do.
 * Return: 0, or -EIO when no in-sync plex took a page.
 */
int mirvol_bitmap_merge(struct mirvol_bitmap *bm, const unsigned long *bits)
{
	struct mirvol_volume *vol = bm->vol;
	unsigned long r, dirty, failed = 0;
	unsigned int i;

	mutex_lock(&bm->io_mutex);
	spin_lock_irq(&bm->lock);
	/* @marking: the regions this merge sets (empty under io_mutex). */
	for_each_set_bit(r, bits, bm->nr) {
		if (!__test_and_set_bit(r, bm->disk)) {
			__set_bit(r / (PAGE_SIZE * 8), &bm->dirty_pages);
			__set_bit(r, bm->marking);
		}
	}
	dirty = bm->dirty_pages;
	bm->dirty_pages = 0;
	for_each_set_bit(i, &dirty, bm->nr_pages)
		mirvol_bitmap_page_out(bm, i, page_address(bm->bounce[i]));
	spin_unlock_irq(&bm->lock);
	mutex_lock(&vol->sb_mutex);
	for_each_set_bit(i, &dirty, bm->nr_pages)
		if (!mirvol_bitmap_write_page(bm, bm->bounce[i], i))
			__set_bit(i, &failed);
	spin_lock_irq(&bm->lock);
	for_each_set_bit(r, bm->marking, bm->nr) {
		__clear_bit(r, bm->marking);
		if (failed)
			__clear_bit(r, bm->disk);
	}
	spin_unlock_irq(&bm->lock);
	/*
	 * Their outcome in lost_pages before sb_mutex goes, as the works
	 * do: the worker's update recording a plex a page write failed may
	 * come next (mirvol_sb_targets()).
	 */
	mirvol_bitmap_written(bm, dirty, failed);
	mutex_unlock(&vol->sb_mutex);
	if (failed) {
		pr_err_ratelimited("mirvol: %s: no in-sync plex took the merged bitmap\n",
				   vol->name);
	} else {
		for_each_set_bit(r, bits, bm->nr)
			atomic_or(MIRVOL_BM_ONDISK, &bm->state[r]);
	}
	mutex_unlock(&bm->io_mutex);
	return failed ? -EIO : 0;
}

/**
 * mirvol_bitmap_copy_bits - copy the set bits
 * @bm: the bitmap
 * @bits: out: room for @bm->nr bits (bitmap_alloc()), allocated
 *	beforehand so that the copy cannot fail
 */
void mirvol_bitmap_copy_bits(struct mirvol_bitmap *bm, unsigned long *bits)
{
	spin_lock_irq(&bm->lock);
	bitmap_copy(bits, bm->disk, bm->nr);
	spin_unlock_irq(&bm->lock);
}
