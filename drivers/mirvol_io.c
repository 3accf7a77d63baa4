// SPDX-License-Identifier: GPL-2.0
/*
 * mirvol I/O path.
 *
 * Writes (and flushes, discards, write-zeroes) are cloned to every
 * writable plex; the caller's bio completes when every clone has, and
 * succeeds when a clone to an in-sync plex did.  A plex that fails a
 * write is failed, and the write's completion waits until that failure is
 * recorded in the superblocks of the other plexes: otherwise a crash could
 * bring the failed plex back as in sync.  Reads go to one in-sync plex
 * chosen by mirvol_read_balance() and are retried on the others when they
 * fail, and as the last resort on a syncing plex that holds the range.
 *
 * Nothing here takes a mutex: plex states are read with READ_ONCE() and
 * the plex array only changes while I/O is suspended (volume->io_ref).
 * Allocations use GFP_NOIO from mempools.  With a write-intent bitmap a
 * write first waits until its regions are marked on disk
 * (mirvol_bitmap.c); the bitmap's works, not this context, write them.
 *
 * Copyright (C) 2026 The mirvol authors
 */
#include <linux/bio.h>
#include <linux/blkdev.h>
#include <linux/ktime.h>
#include <linux/percpu.h>
#include <linux/slab.h>

#include "mirvol_core.h"

/* Rotates read tie-breaks; per cpu so it costs no shared cache line. */
static DEFINE_PER_CPU(unsigned int, mirvol_rr);

#if IS_ENABLED(CONFIG_MIRVOL_KUNIT_TEST)
bool mirvol_kunit_rb_equal;
/* The KUnit hooks, described in mirvol_core.h. */
void (*mirvol_kunit_replace_hook)(struct mirvol_plex *new);
void (*mirvol_kunit_add_done_hook)(struct mirvol_operation *op);
void (*mirvol_kunit_resync_end_hook)(struct mirvol_volume *vol);
void (*mirvol_kunit_resync_step_hook)(struct mirvol_volume *vol);
void (*mirvol_kunit_salvage_hook)(struct mirvol_volume *vol, u32 block);
void (*mirvol_kunit_assemble_group_hook)(struct mirvol_volume *vol,
					 bool created);
void (*mirvol_kunit_member_final_hook)(struct mirvol_volume *vol);
void (*mirvol_kunit_skip_clean_hook)(struct mirvol_volume *vol);
void (*mirvol_kunit_resync_promoted_hook)(struct mirvol_volume *vol);
void (*mirvol_kunit_promote_hook)(struct mirvol_plex *plex);
void (*mirvol_kunit_dirty_hook)(struct mirvol_volume *vol, bool ok);
void (*mirvol_kunit_wait_dirty_hook)(struct mirvol_volume *vol);
void (*mirvol_kunit_finish_hook)(struct mirvol_operation *op);
void (*mirvol_kunit_uevent_hook)(struct mirvol_volume *vol);
bool mirvol_kunit_start_fail;
bool mirvol_kunit_repair_nomem;
bool mirvol_kunit_repair_queue_nomem;
void (*mirvol_kunit_repair_work_hook)(struct mirvol_volume *vol);
void (*mirvol_kunit_split_hook)(struct mirvol_volume *vol);
void (*mirvol_kunit_merge_kill_hook)(struct mirvol_volume *src);
void (*mirvol_kunit_replaced_hook)(struct mirvol_plex *old);
void (*mirvol_kunit_break_hook)(struct mirvol_volume *new);
void (*mirvol_kunit_created_hook)(struct mirvol_volume *vol);
void (*mirvol_kunit_freeze_hook)(dev_t *devts, unsigned int nr);
int (*mirvol_kunit_init_hook)(struct mirvol_plex *plex);
int (*mirvol_kunit_join_hook)(struct mirvol_plex *plex);
void (*mirvol_kunit_reboot_hook)(struct mirvol_volume *vol);
void (*mirvol_kunit_safe_mode_hook)(struct mirvol_volume *vol);
void (*mirvol_kunit_safe_mode_disk_hook)(struct mirvol_volume *vol);
void (*mirvol_kunit_suspend_hook)(struct mirvol_volume *vol);
void (*mirvol_kunit_rejoin_hook)(struct mirvol_plex *plex);
void (*mirvol_kunit_readd_hook)(struct mirvol_volume *vol);
void (*mirvol_kunit_sb_update_hook)(struct mirvol_volume *vol);
void (*mirvol_kunit_worker_hook)(struct mirvol_volume *vol,
				 struct list_head *deferred);
void (*mirvol_kunit_sb_write_hook)(struct mirvol_volume *vol, bool page);
void (*mirvol_kunit_bitmap_lost_hook)(struct mirvol_volume *vol);
void (*mirvol_kunit_bitmap_page_hook)(struct mirvol_plex *plex);
void (*mirvol_kunit_clear_flush_hook)(struct mirvol_volume *vol);
void (*mirvol_kunit_assemble_hook)(struct mirvol_volume *vol);
void (*mirvol_kunit_start_hook)(struct mirvol_volume *vol);
int (*mirvol_kunit_restack_hook)(struct mirvol_volume *vol);
void (*mirvol_kunit_alloc_hook)(struct mirvol_volume *vol, const char *site);
unsigned int mirvol_kunit_lbs;
#endif

#if IS_ENABLED(CONFIG_MIRVOL_KUNIT_TEST)
/* Data writes held back by MIRVOL_INJECT_HOLD, and how many. */
static DEFINE_SPINLOCK(mirvol_kunit_held_lock);
static struct bio_list mirvol_kunit_held = BIO_EMPTY_LIST;
static unsigned int mirvol_kunit_held_nr;

unsigned int mirvol_kunit_nr_held(void)
{
	return READ_ONCE(mirvol_kunit_held_nr);
}

/**
 * mirvol_kunit_end_held - end the writes MIRVOL_INJECT_HOLD held back
 * @status: BLK_STS_OK sends them to their plexes, else they end with it
 *
 * Return: how many there were.
 */
unsigned int mirvol_kunit_end_held(blk_status_t status)
{
	struct bio_list list;
	unsigned int n = 0;
	struct bio *bio;

	spin_lock_irq(&mirvol_kunit_held_lock);
	list = mirvol_kunit_held;
	bio_list_init(&mirvol_kunit_held);
	WRITE_ONCE(mirvol_kunit_held_nr, 0);
	spin_unlock_irq(&mirvol_kunit_held_lock);
	while ((bio = bio_list_pop(&list))) {
		n++;
		if (status) {
			bio->bi_status = status;
			bio_endio(bio);
		} else {
			submit_bio_noacct(bio);
		}
	}
	return n;
}

/**
 * mirvol_inject - KUnit fault injection: how an I/O to a plex must end
 * @plex: the plex
 * @bio: the I/O, its sector on the plex's device
 *
 * Return: BLK_STS_OK to submit it, BLK_STS_AGAIN when it was held back
 * (MIRVOL_INJECT_HOLD) or ended already (MIRVOL_INJECT_LOSE_WRITE), else
 * the status to end it with.
 */
blk_status_t mirvol_inject(struct mirvol_plex *plex, struct bio *bio)
{
	unsigned long inject = READ_ONCE(plex->inject);
	sector_t s = bio->bi_iter.bi_sector, e = bio_end_sector(bio);
	sector_t bad_s = READ_ONCE(plex->inject_bad[0]);
	sector_t bad_e = READ_ONCE(plex->inject_bad[1]);

	/* A disk of 4096-byte logical blocks: sd fails it so. */
	if ((inject & MIRVOL_INJECT_4K) && e > s && ((s | e) & 7))
		return BLK_STS_IOERR;
	if ((inject & MIRVOL_INJECT_HOLD) && bio_op(bio) == REQ_OP_WRITE &&
	    s >= plex->data_offset && e > s) {
		spin_lock_irq(&mirvol_kunit_held_lock);
		bio_list_add(&mirvol_kunit_held, bio);
		WRITE_ONCE(mirvol_kunit_held_nr, mirvol_kunit_held_nr + 1);
		spin_unlock_irq(&mirvol_kunit_held_lock);
		return BLK_STS_AGAIN;
	}

	if (bio_op(bio) == REQ_OP_WRITE_ZEROES && (inject & MIRVOL_INJECT_NO_WZ))
		return BLK_STS_NOTSUPP;
	if (bio_op(bio) == REQ_OP_WRITE_ZEROES &&
	    (inject & MIRVOL_INJECT_WZ_DISCARD))
		bio->bi_opf = (bio->bi_opf & ~REQ_OP_MASK) | REQ_OP_DISCARD;
	if (op_is_write(bio_op(bio))) {
		if (inject & MIRVOL_INJECT_WRITE)
			return BLK_STS_IOERR;
		if ((inject & MIRVOL_INJECT_D_NOTSUPP) &&
		    bio_op(bio) == REQ_OP_DISCARD)
			return BLK_STS_NOTSUPP;
		if ((inject & MIRVOL_INJECT_W_NOTSUPP) &&
		    bio_op(bio) == REQ_OP_WRITE && s >= plex->data_offset &&
		    e > s)
			return BLK_STS_NOTSUPP;
		if ((inject & MIRVOL_INJECT_FLUSH) &&
		    (bio->bi_opf & REQ_PREFLUSH) && !bio_sectors(bio))
			return BLK_STS_IOERR;
		if ((inject & MIRVOL_INJECT_SB) && e > s &&
		    s < MIRVOL_SB_SECTOR(MIRVOL_SB_OFFSET + MIRVOL_SB_SLOTS *
					 MIRVOL_SB_SLOT_SIZE) &&
		    e > MIRVOL_SB_SECTOR(MIRVOL_SB_OFFSET))
			return BLK_STS_IOERR;
		if ((inject & MIRVOL_INJECT_BITMAP) &&
		    s < plex->data_offset &&
		    e > MIRVOL_SB_SECTOR(MIRVOL_BITMAP_OFFSET))
			return BLK_STS_IOERR;
		/* A write over the whole bad range remaps it. */
		if (bad_s < bad_e && s <= bad_s && e >= bad_e)
			WRITE_ONCE(plex->inject_bad[1], bad_s);
		if ((inject & MIRVOL_INJECT_LOSE_WRITE) &&
		    bio_op(bio) == REQ_OP_WRITE && s >= plex->data_offset &&
		    e > s) {
			/* Ended here, as if written: taken care of. */
			bio->bi_status = BLK_STS_OK;
			bio_endio(bio);
			return BLK_STS_AGAIN;
		}
		return BLK_STS_OK;
	}
	if (inject & MIRVOL_INJECT_READ)
		return BLK_STS_IOERR;
	/* Empty once remapped: [0] == [1] fails nothing. */
	if (bad_s < bad_e && s < bad_e && e > bad_s) {
		atomic_inc(&plex->inject_bad_reads);
		return BLK_STS_MEDIUM;
	}
	return BLK_STS_OK;
}
#endif

/*
 * Is @bio's start or size not a whole number of the volume's logical
 * blocks?  The block layer does not check that for a bio-based disk
 * (6.12: not in submit_bio_noacct(), and mirvol does not split to its
 * limits; blk-lib checks the discards and write-zeroes it builds, but a
 * driver stacked above passes its bios on as they are), and a driver
 * above with stale limits may send one.  A plex would fail it (sd:
 * "request not aligned to the logical block size"), or round a discard
 * or write-zeroes to its own blocks, and the error would count against
 * a plex that is fine.  A flush without data has no size: its sector
 * does not matter.  One test on the hot path.  vol->io_mask changes with
 * the limits, while I/O is suspended (and may go down and up again in
 * one suspension: a break-plex undone), so the test that counts is the
 * one made holding an I/O reference; writes make one before too, so as
 * not to mark the volume dirty for nothing.
 */
static __always_inline bool mirvol_bio_misaligned(struct mirvol_volume *vol,
						  struct bio *bio)
{
	return unlikely((((u32)bio->bi_iter.bi_sector << SECTOR_SHIFT) |
			 bio->bi_iter.bi_size) & READ_ONCE(vol->io_mask)) &&
	       bio->bi_iter.bi_size;
}

/*
 * End a misaligned bio, having touched no plex, counter or state.
 * BLK_STS_IOERR (EIO), as dm's targets end such bios (DM_MAPIO_KILL).
 */
static void __cold mirvol_fail_misaligned(struct mirvol_volume *vol,
					  struct bio *bio)
{
	pr_err_ratelimited("mirvol: %s: %s of %u bytes at sector %llu not aligned to the logical block size %u: failed\n",
			   vol->name, blk_op_str(bio_op(bio)),
			   bio->bi_iter.bi_size,
			   (unsigned long long)bio->bi_iter.bi_sector,
			   READ_ONCE(vol->io_mask) + 1);
	bio->bi_status = BLK_STS_IOERR;
	bio_endio(bio);
}

/*
 * A clone of @orig for @plex.  It comes from the bio_set's per-cpu cache:
 * its completion (often in the leg's hard interrupt, before the leg's
 * request and tag are freed) then puts it back on a per-cpu list instead
 * of freeing it to the slab, and the next clone takes it from there.
 * bio_alloc_clone() takes the flags that ask for the cache from @orig:
 * set them there for the call only.
 */
static struct bio *mirvol_alloc_clone(struct mirvol_volume *vol,
				      struct mirvol_plex *plex,
				      struct bio *orig)
{
	blk_opf_t opf = orig->bi_opf;
	struct bio *clone;

	orig->bi_opf |= REQ_ALLOC_CACHE;
	/*
	 * Cloned without a device, then given the plex's and @orig's cgroup
	 * (as dm does): with the device, bio_alloc_clone() would associate
	 * the clone with the submitter's cgroup first, only to replace that
	 * with @orig's.
	 */
	clone = bio_alloc_clone(NULL, orig, GFP_NOIO, &vol->bs);
	orig->bi_opf = opf;
	clone->bi_bdev = plex->bdev;
	bio_clone_blkg_association(clone, orig);
	return clone;
}

/* Send a clone to its plex; KUnit builds can make it fail instead. */
static void mirvol_submit_clone(struct mirvol_plex *plex, struct bio *clone)
{
	blk_status_t status = mirvol_inject(plex, clone);

	if (unlikely(status)) {
		if (status == BLK_STS_AGAIN)
			return;		/* held back (KUnit) */
		clone->bi_status = status;
		bio_endio(clone);
		return;
	}
	submit_bio_noacct(clone);
}

/* Does this bio change data (and so need the volume marked dirty)? */
static bool mirvol_bio_modifies(struct bio *bio)
{
	return bio_op(bio) != REQ_OP_WRITE || bio_sectors(bio);
}

/*
 * The first write after the volume was marked clean waits until the
 * superblocks say dirty (md's md_write_start()).  The worker writes them:
 * this context may not wait for its own bios (current->bio_list).
 * Returns false when the mark did not reach the in-sync plexes (or the
 * volume failed): the write must then reach no plex, since superblocks
 * that say clean would not have it resynced after a crash.
 *
 * The writer holds nothing while it waits, so safe mode (or the reboot
 * notifier) may mark the volume clean again between the worker's answer
 * and the writer's look: the request answered (DIRTY_REQ clear), the
 * volume clean, it asks again rather than wait for a mark nobody writes.
 */
static bool mirvol_wait_dirty(struct mirvol_volume *vol)
{
	unsigned int failures;

	do {
		failures = READ_ONCE(vol->dirty_failures);
		/* Pairs with the worker's clear before it counts a failure. */
		smp_mb__before_atomic();
		set_bit(MIRVOL_VOL_DIRTY_REQ, &vol->flags);
		queue_work(mirvol_io_wq, &vol->worker);
		MIRVOL_KUNIT_HOOK(mirvol_kunit_wait_dirty_hook, vol);
		wait_event(vol->wait,
			   test_bit(MIRVOL_VOL_DIRTY, &vol->flags) ||
			   !test_bit(MIRVOL_VOL_DIRTY_REQ, &vol->flags) ||
			   READ_ONCE(vol->state) == MIRVOL_VOLUME_FAILED ||
			   READ_ONCE(vol->dirty_failures) != failures);
	} while (!test_bit(MIRVOL_VOL_DIRTY, &vol->flags) &&
		 READ_ONCE(vol->state) != MIRVOL_VOLUME_FAILED &&
		 READ_ONCE(vol->dirty_failures) == failures);
	return test_bit(MIRVOL_VOL_DIRTY, &vol->flags);
}

/*
 * Did a plex in sync when @io was sent take it, and is it in sync still?
 * One that failed since (another write's error) holds it, but is never
 * read again: then no in-sync plex does.
 */
static bool mirvol_write_in_sync(struct mirvol_io *io)
{
	unsigned long ok = READ_ONCE(io->ok_in_sync);

	/* Inline: every write asks, and the first plex is nearly always it. */
	for (; ok; ok &= ok - 1)
		if (READ_ONCE(io->vol->plexes[__ffs(ok)]->state) ==
		    MIRVOL_PLEX_ACTIVE)
			return true;
	return false;
}

/*
 * Take the loss the last in-sync plex's cache may have left, a flush of
 * it failed or its device back (mirvol_cache_lost()): the caller's flush
 * or FUA write reports it.  Tested first: every flush asks.
 */
static bool mirvol_take_flush_lost(struct mirvol_volume *vol)
{
	return unlikely(test_bit(MIRVOL_VOL_FLUSH_LOST, &vol->flags)) &&
	       test_and_clear_bit(MIRVOL_VOL_FLUSH_LOST, &vol->flags);
}

/* Complete a write: the io's references are dropped here. */
static void mirvol_write_done(struct mirvol_io *io, bool sb_ok)
{
	struct mirvol_volume *vol = io->vol;
	struct bio *bio = io->bio;

	/*
	 * Only ever an error is written: bi_status may already hold the
	 * error of a chained child (blk-lib's zeroout and discard, our own
	 * split at a unit border), which a success here must not clear.
	 * md raid1 does the same.
	 */
	if (io->status == BLK_STS_NOTSUPP) {
		if (!bio->bi_status)
			bio->bi_status = BLK_STS_NOTSUPP;
	} else if (!sb_ok || !mirvol_write_in_sync(io)) {
		bio->bi_status = io->status ?: BLK_STS_IOERR;
	}
	/* Durability was lost since the last flush: this one says so. */
	if (unlikely(bio->bi_opf & (REQ_PREFLUSH | REQ_FUA)) &&
	    mirvol_take_flush_lost(vol)) {
		pr_err_ratelimited("mirvol: %s: %s failed: writes completed before it may have been lost\n",
				   vol->name, bio_sectors(bio) ?
				   "flush or FUA write" : "flush");
		bio->bi_status = BLK_STS_IOERR;
	}
	if (io->barrier >= 0)
		mirvol_barrier_exit_io(&vol->barrier, io->barrier);
	if (io->bm_end > io->bm_start)
		mirvol_bitmap_endwrite(vol->bitmap, io->bm_start, io->bm_end);
	bio_end_io_acct(bio, io->start);
	bio_endio(bio);
	mempool_free(io, &vol->io_pool);
	mirvol_io_exit(vol);
}

/**
 * mirvol_complete_deferred - complete writes that waited for a superblock
 * @vol: the volume
 * @list: struct mirvol_io entries taken off vol->deferred
 * @sb_ok: the superblock recording their plex failures was written
 */
void mirvol_complete_deferred(struct mirvol_volume *vol,
			      struct list_head *list, bool sb_ok)
{
	struct mirvol_io *io, *next;

	list_for_each_entry_safe(io, next, list, list) {
		list_del(&io->list);
		mirvol_write_done(io, sb_ok);
	}
}

/**
 * mirvol_rewind_unsynced - copy again what a failed write left on syncing
 *	plexes
 * @io: a failed write, taken off vol->deferred by the worker
 *
 * A write that no in-sync plex took (the last one is kept through write
 * errors, mirvol_plex_error()) may still have reached syncing plexes; one
 * whose checkpoint lies beyond the write's start would now hold data no
 * in-sync plex holds, below its checkpoint, and be promoted so.  Its
 * checkpoint goes back to the write's start (a partial one copies all from
 * there), recorded by the superblock update that follows; the write holds
 * its barrier bucket until it completes, so the copy comes after it.  A
 * partial plex whose checkpoint is not beyond the write copies all from
 * its checkpoint on: the write's region may be clean in the snapshot its
 * pass skips by.
 *
 * A flush (or write with a preflush) no in-sync plex took failed on the
 * last in-sync plex, which was kept: its cache may have lost writes it
 * had completed, as when an internal flush fails (mirvol_plex_flush_failed()),
 * and the syncing plexes copy everything again.  The caller's flush fails
 * already: it reports the loss.
 *
 * Context: the volume's worker, vol->sb_mutex held.
 */
void mirvol_rewind_unsynced(struct mirvol_io *io)
{
	struct mirvol_volume *vol = io->vol;
	sector_t start = io->bio->bi_iter.bi_sector;
	unsigned int i;
	u8 rewound;

	lockdep_assert_held(&vol->sb_mutex);
	if (mirvol_write_in_sync(io))
		return;
	if (io->bio->bi_opf & REQ_PREFLUSH) {
		rewound = mirvol_rewind_syncing(vol);
		if (rewound)
			pr_err_ratelimited("mirvol: %s: a flush failed on the last in-sync plex: writes it completed may be lost; syncing plexes %#x copy everything again\n",
					   vol->name, rewound);
		return;
	}
	if (!bio_sectors(io->bio))
		return;
	spin_lock_irq(&vol->state_lock);
	for (i = 0; i < MIRVOL_MAX_PLEXES; i++) {
		struct mirvol_plex *plex = vol->plexes[i];

		if (!(io->sent & BIT(i)) || !plex ||
		    plex->state != MIRVOL_PLEX_SYNCING)
			continue;
		/*
		 * Ahead of its checkpoint, a partial plex could still skip
		 * the write's region: clean in the snapshot its pass copies
		 * by.  It copies everything from its checkpoint instead; and
		 * a step that has already moved its offset over clean
		 * regions must neither store that offset nor advance past
		 * it (sync_rewound: mirvol_resync_targets()).
		 */
		if (plex->partial) {
			plex->partial = false;
			vol->sync_rewound |= BIT(i);
		}
		if (READ_ONCE(plex->sync_offset) <= start)
			continue;
		WRITE_ONCE(plex->sync_offset, start);
		vol->sync_rewound |= BIT(i);
	}
	spin_unlock_irq(&vol->state_lock);
}

/**
 * mirvol_rewind_syncing - the syncing plexes copy everything again
 * @vol: the volume
 *
 * The last in-sync plex may have lost writes it had completed into its
 * volatile cache, never flushed: its device went away and came back, or
 * a flush of it failed and it was kept (mirvol_cache_lost()); or a flush
 * of the caller's failed on it (mirvol_rewind_unsynced()).  The syncing
 * plexes took those writes below their checkpoints, where no pass copies
 * again: the plexes would differ there.  Assembly after an unclean
 * shutdown resyncs a syncing plex from the start likewise
 * (mirvol_assemble_plan()).  Everything, not only the regions set in the
 * bitmap: a pass that ran before may have taken its snapshot before those
 * writes (mirvol_rewind_unsynced()).
 * A pass running meanwhile takes the checkpoints again at its next step
 * and never advances one over the rewind (vol->sync_rewound); its end
 * judges them with sb_mutex held.  The update that follows records them.
 * The undo of a change that failed meanwhile (a failed SET_VOLUME's,
 * remove-plex's) does not put a plex back as it was before the rewind
 * (vol->sync_rewinds).
 *
 * Context: vol->sb_mutex held.
 * Return: the slots rewound.
 */
u8 mirvol_rewind_syncing(struct mirvol_volume *vol)
{
	unsigned int i;
	u8 slots = 0;

	lockdep_assert_held(&vol->sb_mutex);
	vol->sync_rewinds++;
	spin_lock_irq(&vol->state_lock);
	for (i = 0; i < MIRVOL_MAX_PLEXES; i++) {
		struct mirvol_plex *plex = vol->plexes[i];

		if (!plex || plex->state != MIRVOL_PLEX_SYNCING)
			continue;
		plex->partial = false;
		WRITE_ONCE(plex->sync_offset, 0);
		vol->sync_rewound |= BIT(i);
		slots |= BIT(i);
	}
	spin_unlock_irq(&vol->state_lock);
	return slots;
}

/**
 * mirvol_cache_lost - the last in-sync plex may have lost writes it had
 *	completed
 * @vol: the volume
 * @plex: the last in-sync plex; the one of its slot coming back for @back
 * @back: its device went away and came back (mirvol_rejoin()); else a
 *	flush of it failed and it was kept (mirvol_plex_flush_failed())
 *
 * Its volatile cache may have dropped writes acknowledged to their
 * callers, and nothing says which: the next flush or FUA write of the
 * volume to complete fails, once (MIRVOL_VOL_FLUSH_LOST, taken in
 * mirvol_write_done()), and the syncing plexes, which may hold those
 * writes below their checkpoints, copy everything again
 * (mirvol_rewind_syncing()).
 *
 * Context: vol->sb_mutex held.
 */
void mirvol_cache_lost(struct mirvol_volume *vol, struct mirvol_plex *plex,
		       bool back)
{
	u8 rewound;

	lockdep_assert_held(&vol->sb_mutex);
	set_bit(MIRVOL_VOL_FLUSH_LOST, &vol->flags);
	rewound = mirvol_rewind_syncing(vol);
	pr_err_ratelimited("mirvol: %s: %s of plex %u, the last in-sync plex, %s: writes it completed may be lost; the next flush of the volume fails, syncing plexes %#x copy everything again\n",
			   vol->name, back ? "device" : "flush", plex->index,
			   back ? "went away and came back" : "failed",
			   rewound);
}

/**
 * mirvol_plex_flush_failed - an internal flush of a plex failed
 * @vol: the volume
 * @plex: the plex, in @vol
 *
 * A flush mirvol sends itself: a superblock update's
 * (mirvol_sb_update_locked()), the bitmap clearer's or a configuration
 * change's (mirvol_flush_plexes()).  The plex is failed
 * (mirvol_plex_error()), but for the last in-sync plex, which is kept.
 * Its cache may then have lost writes it had completed, acknowledged to
 * their callers (a link reset drops a volatile cache), and nothing says
 * which; a flush of the caller's that reaches the plex afterwards
 * succeeds all the same.  So, as md fails the writes of an array whose
 * last device erred (MD_BROKEN), and as errseq reports a writeback
 * error to the next fsync: the next flush or FUA write of the volume to
 * complete fails, once; and the syncing plexes, which may hold those
 * writes below their checkpoints, copy everything again
 * (mirvol_cache_lost(), as when its device comes back).  The
 * superblocks need not say dirty for it: the update whose flush failed
 * writes none, and every later one records the rewound checkpoints,
 * which is what assembly does with a syncing plex after an unclean
 * shutdown; the lost writes are on no in-sync plex for a dirty resync
 * to copy.
 *
 * Context: vol->sb_mutex held; process context.
 */
void mirvol_plex_flush_failed(struct mirvol_volume *vol,
			      struct mirvol_plex *plex)
{
	lockdep_assert_held(&vol->sb_mutex);
	mirvol_plex_error(plex, true);
	if (READ_ONCE(plex->vol) != vol ||
	    !mirvol_state_readable(READ_ONCE(plex->state)))
		return;
	mirvol_cache_lost(vol, plex, false);
}

/**
 * mirvol_write_zero_fill - zero the range of a write-zeroes on the plexes
 *	that refused it
 * @io: the write, taken off vol->deferred by the worker
 *
 * Other plexes zeroed the range: these must hold zeros too, or the plexes
 * differ.  blkdev_issue_zeroout() writes zero pages where the device has
 * no (working) write-zeroes.  A plex that fails that is failed.
 *
 * Context: the volume's worker; sleeps.
 */
void mirvol_write_zero_fill(struct mirvol_io *io)
{
	struct mirvol_volume *vol = io->vol;
	sector_t sector = io->bio->bi_iter.bi_sector;
	sector_t nr = bio_sectors(io->bio);
	unsigned int i;

	for (i = 0; i < MIRVOL_MAX_PLEXES; i++) {
		struct mirvol_plex *plex = vol->plexes[i];
		unsigned int state;

		if (!test_bit(i, &io->no_wz) || !plex)
			continue;
		state = READ_ONCE(plex->state);
		if (!plex->bdev || !mirvol_state_writable(state))
			continue;
		if (blkdev_issue_zeroout(plex->bdev, plex->data_offset + sector,
					 nr, GFP_NOIO,
					 (io->bio->bi_opf & REQ_NOUNMAP) ?
					 BLKDEV_ZERO_NOUNMAP : 0)) {
			mirvol_plex_error(plex, true);
			io->failed = true;
			WRITE_ONCE(io->status, BLK_STS_IOERR);
		} else if (state == MIRVOL_PLEX_ACTIVE) {
			set_bit(i, &io->ok_in_sync);
		}
	}
}

static void mirvol_write_defer(struct mirvol_io *io)
{
	struct mirvol_volume *vol = io->vol;
	unsigned long flags;

	spin_lock_irqsave(&vol->state_lock, flags);
	list_add_tail(&io->list, &vol->deferred);
	spin_unlock_irqrestore(&vol->state_lock, flags);
	queue_work(mirvol_io_wq, &vol->worker);
}

/*
 * A write-zeroes that some plexes refused.  Stop offering write-zeroes
 * (callers then zero with writes, which every plex takes), as dm does.
 * Refused by every plex: nothing changed anywhere, the caller gets
 * EOPNOTSUPP.  Else the plexes that refused get zeros written by the
 * worker before the caller hears of it.  Returns whether to defer.
 */
static bool mirvol_write_no_wz(struct mirvol_io *io)
{
	struct mirvol_volume *vol = io->vol;

	if (!test_and_set_bit(MIRVOL_VOL_NO_WZ, &vol->flags)) {
		blk_queue_disable_write_zeroes(vol->disk->queue);
		pr_info("mirvol: %s: plexes %#lx refused write-zeroes: no longer offered\n",
			vol->name, io->no_wz);
	}
	if (io->no_wz == io->sent) {
		io->status = BLK_STS_NOTSUPP;
		io->no_wz = 0;
		return false;
	}
	return true;
}

/* mirvol_write_put()'s last reference, when the write cannot end at once. */
static void __cold mirvol_write_put_slow(struct mirvol_io *io)
{
	/* Refused by some plexes: the worker zeroes them first. */
	bool zero_fill = io->no_wz && mirvol_write_no_wz(io);

	if (!io->failed && !zero_fill &&
	    !(READ_ONCE(io->vol->sb_plexes) & ~READ_ONCE(io->done))) {
		mirvol_write_done(io, true);
		return;
	}
	/*
	 * The worker completes it, after a superblock update if it needs
	 * one, which the worker sees from the write itself: a request flag
	 * set before the write is listed could be answered by a run that
	 * took the list before, and whose update failed.
	 */
	mirvol_write_defer(io);
}

/*
 * Drop a reference to @io; the last ends it.  Every plex the superblocks
 * list took it (or did not have to): acknowledged now.  Else one left
 * since: only once they say so, or a crash before would bring that plex
 * back as holding it.  Refused by some plexes (write-zeroes): the worker
 * zeroes them first.  Inline, the slow cases apart: every clone's
 * completion and every submission drop one.
 */
static __always_inline void mirvol_write_put(struct mirvol_io *io)
{
	if (!atomic_dec_and_test(&io->remaining))
		return;
	if (likely(!io->no_wz && !io->failed &&
		   !(READ_ONCE(io->vol->sb_plexes) & ~READ_ONCE(io->done)))) {
		mirvol_write_done(io, true);
		return;
	}
	mirvol_write_put_slow(io);
}

/* Did @plex refuse a write-zeroes (as opposed to failing it)? */
static bool mirvol_wz_refused(struct mirvol_plex *plex, blk_status_t status)
{
	/* SCSI says TARGET, and turns write-zeroes off on the device. */
	return status == BLK_STS_NOTSUPP ||
	       (status == BLK_STS_TARGET && !bdev_write_zeroes_sectors(plex->bdev));
}

/*
 * Did @plex refuse a discard: it has none (any more; SCSI says TARGET and
 * turns discard off on the device)?
 */
static bool mirvol_discard_refused(struct mirvol_plex *plex,
				   blk_status_t status)
{
	return status == BLK_STS_NOTSUPP ||
	       (status == BLK_STS_TARGET && !bdev_max_discard_sectors(plex->bdev));
}

static void mirvol_write_endio(struct bio *clone)
{
	struct mirvol_clone *c = mirvol_clone_of(clone);
	struct mirvol_io *io = c->io;
	blk_status_t status = clone->bi_status;

	atomic_dec(&c->plex->nr_pending);
	if (unlikely(status)) {
		if (bio_op(clone) == REQ_OP_WRITE_ZEROES &&
		    mirvol_wz_refused(c->plex, status)) {
			/* Not the plex's failure: it is zeroed another way. */
			set_bit(c->plex->index, &io->no_wz);
			set_bit(c->plex->index, &io->done);
		} else if (bio_op(clone) == REQ_OP_DISCARD) {
			/*
			 * md raid1's rule: a discard error never fails a
			 * plex, which holds what it held; the caller gets
			 * it if no in-sync plex took the discard.  One that
			 * refused it is not asked again: the volume stops
			 * offering discard (dm's rule; a restack would
			 * find it off on the device too).
			 */
			if (mirvol_discard_refused(c->plex, status)) {
				blk_queue_disable_discard(io->vol->disk->queue);
				status = BLK_STS_NOTSUPP;
			}
			WRITE_ONCE(io->status, status);
			set_bit(c->plex->index, &io->done);
		} else {
			mirvol_plex_error(c->plex, true);
			io->failed = true;
			/* NOTSUPP in io->status: refused as a whole. */
			WRITE_ONCE(io->status, status == BLK_STS_NOTSUPP ?
				   BLK_STS_IOERR : status);
		}
	} else {
		set_bit(c->plex->index, &io->done);
		if (c->in_sync)
			set_bit(c->plex->index, &io->ok_in_sync);
	}
	bio_put(clone);
	mirvol_write_put(io);
}

static void mirvol_write(struct mirvol_volume *vol, struct bio *bio)
{
	bool modifies = mirvol_bio_modifies(bio);
	struct mirvol_io *io;
	unsigned int i;

	/* Early, so that it does not mark the volume dirty either. */
	if (mirvol_bio_misaligned(vol, bio)) {
		mirvol_fail_misaligned(vol, bio);
		return;
	}
	if (modifies && unlikely(!test_bit(MIRVOL_VOL_DIRTY, &vol->flags)) &&
	    !mirvol_wait_dirty(vol)) {
		bio_io_error(bio);
		return;
	}

	/* A write holds one barrier bucket: split at unit borders. */
	if (bio_sectors(bio)) {
		sector_t end = mirvol_barrier_unit_end(bio->bi_iter.bi_sector);

		if (unlikely(bio_end_sector(bio) > end)) {
			struct bio *split;

			split = bio_split(bio, end - bio->bi_iter.bi_sector,
					  GFP_NOIO, &vol->split_bs);
			bio_chain(split, bio);
			submit_bio_noacct(bio);
			bio = split;
		}
	}

	for (;;) {
		mirvol_io_enter(vol);
		/* Safe mode may have marked the volume clean meanwhile. */
		if (likely(!modifies ||
			   test_bit(MIRVOL_VOL_DIRTY, &vol->flags)))
			break;
		mirvol_io_exit(vol);
		if (!mirvol_wait_dirty(vol)) {
			bio_io_error(bio);
			return;
		}
	}
	/* Again under the reference: the limits may have changed. */
	if (mirvol_bio_misaligned(vol, bio)) {
		mirvol_io_exit(vol);
		mirvol_fail_misaligned(vol, bio);
		return;
	}
	/*
	 * No in-sync plex: the write fails, and reaches no syncing plex,
	 * which would otherwise hold it below its checkpoint when the last
	 * in-sync plex comes back (mirvol_rewind_unsynced()).
	 */
	if (unlikely(READ_ONCE(vol->state) == MIRVOL_VOLUME_FAILED)) {
		mirvol_io_exit(vol);
		bio_io_error(bio);
		return;
	}

	io = mempool_alloc(&vol->io_pool, GFP_NOIO);
	io->vol = vol;
	io->bio = bio;
	io->ok_in_sync = 0;
	io->done = 0;
	io->failed = false;
	io->sent = 0;
	io->no_wz = 0;
	io->status = BLK_STS_OK;
	io->barrier = -1;
	io->bm_start = 0;
	io->bm_end = 0;
	atomic_set(&io->remaining, 1);
	if (bio_sectors(bio)) {
		/*
		 * Its regions' bits on disk first, before the barrier: the
		 * wait for the bitmap write must not hold a resync off.
		 */
		if (vol->bitmap) {
			if (mirvol_bitmap_startwrite(vol->bitmap,
						     bio->bi_iter.bi_sector,
						     bio_end_sector(bio))) {
				/* Bit lost, and that unrecorded: sent nowhere. */
				mempool_free(io, &vol->io_pool);
				mirvol_io_exit(vol);
				bio_io_error(bio);
				return;
			}
			io->bm_start = bio->bi_iter.bi_sector;
			io->bm_end = bio_end_sector(bio);
		}
		io->barrier = mirvol_barrier_idx(bio->bi_iter.bi_sector);
		mirvol_barrier_enter(&vol->barrier, io->barrier);
	}
	io->start = bio_start_io_acct(bio);

	for (i = 0; i < vol->nr_slots; i++) {
		struct mirvol_plex *plex = vol->plexes[i];
		struct mirvol_clone *c;
		unsigned int state;
		struct bio *clone;

		if (!plex)
			continue;
		state = READ_ONCE(plex->state);
		if (!mirvol_state_writable(state))
			continue;
		clone = mirvol_alloc_clone(vol, plex, bio);
		c = mirvol_clone_of(clone);
		c->io = io;
		c->plex = plex;
		c->in_sync = state == MIRVOL_PLEX_ACTIVE;
		clone->bi_iter.bi_sector += plex->data_offset;
		clone->bi_end_io = mirvol_write_endio;
		io->sent |= BIT(i);
		atomic_inc(&io->remaining);
		atomic_inc(&plex->nr_pending);
		atomic64_inc(&plex->write_ios);
		WRITE_ONCE(plex->head, bio_end_sector(bio));
		mirvol_submit_clone(plex, clone);
	}
	mirvol_write_put(io);
}

/*
 * Choose the plex for a read; NULL when no untried plex is readable.
 * When there is a choice, *@now is set to the time (ns) the choice was
 * made at, which the read's completion measures from; with one plex to
 * read from it stays 0 and the read is not timed.  The statistics are
 * read without their lock: a stale value only sends one read to a worse
 * plex.  Inline, as the read path's other steps: one stack frame a read.
 */
static __always_inline struct mirvol_plex *
mirvol_read_plex(struct mirvol_volume *vol, sector_t sector,
		 unsigned int tried, unsigned long *now)
{
	/* Every field read is written first: no zeroing on each read. */
	struct mirvol_rb_plex rb[MIRVOL_MAX_PLEXES] __uninitialized;
	struct mirvol_plex *only = NULL;
	unsigned int i, n = 0, slots = 0;
	int slot;

	for (i = 0; i < vol->nr_slots; i++) {
		struct mirvol_plex *plex = vol->plexes[i];

		rb[i].readable = plex &&
			mirvol_state_readable(READ_ONCE(plex->state));
		if (rb[i].readable && !(tried & BIT(i))) {
			only = plex;
			n++;
			slots = i + 1;
		}
	}
	if (n <= 1)
		return only;
	*now = ktime_get_ns();
	/* Slots from @slots on hold no candidate: balancing stops there. */
	for (i = 0; i < slots; i++) {
		struct mirvol_plex *plex = vol->plexes[i];
		struct request_queue *q;

		if (!rb[i].readable)
			continue;
		q = bdev_get_queue(plex->bdev);
		rb[i].write_mostly = READ_ONCE(plex->write_mostly);
		rb[i].pending = atomic_read(&plex->nr_pending);
		rb[i].full = queue_is_mq(q) &&
			     rb[i].pending >= READ_ONCE(q->nr_requests);
		rb[i].service = READ_ONCE(plex->rb.service);
		rb[i].probe = !time_before(*now, READ_ONCE(plex->rb.probe_at));
		rb[i].head = READ_ONCE(plex->head);
#if IS_ENABLED(CONFIG_MIRVOL_KUNIT_TEST)
		if (READ_ONCE(mirvol_kunit_rb_equal)) {
			rb[i].service = 0;
			rb[i].probe = false;
		}
#endif
	}
	slot = mirvol_read_balance(rb, slots, sector, tried,
				   this_cpu_inc_return(mirvol_rr));
	return slot < 0 ? NULL : vol->plexes[slot];
}

static void mirvol_read_endio(struct bio *clone);

/* Hand a read clone to the retry work.  Any context. */
static void mirvol_queue_retry(struct mirvol_volume *vol, struct bio *clone)
{
	unsigned long flags;

	spin_lock_irqsave(&vol->state_lock, flags);
	bio_list_add(&vol->retry_list, clone);
	spin_unlock_irqrestore(&vol->state_lock, flags);
	queue_work(mirvol_io_wq, &vol->retry_work);
}

/* No plex served a read: each of @tried has an uncorrected read error. */
static void mirvol_read_failed(struct mirvol_volume *vol, unsigned int tried)
{
	unsigned int i;

	for (i = 0; i < MIRVOL_MAX_PLEXES; i++)
		if ((tried & BIT(i)) && vol->plexes[i])
			mirvol_plex_error(vol->plexes[i], false);
}

/**
 * mirvol_syncing_covers - a syncing plex that holds a range, if any
 * @vol: the volume, I/O reference held (its slots stay as they are)
 * @end: the sector after the range
 * @skip: slots not to choose (tried already)
 *
 * The last resort of a read no in-sync plex serves (md's recovery_offset
 * rule, read_balance()): a syncing plex with a device whose checkpoint
 * lies at or past @end.  It took every write there (a write goes to each
 * syncing plex, and a write error fails the plex), and below its checkpoint
 * the resync copied the rest: a checkpoint moves only once the copy's
 * writes completed (mirvol_resync_write()), and over clean regions of a
 * partial resync only (mirvol_resync_targets()), which the plex missed no
 * write in.  Anything that leaves it behind takes the checkpoint back
 * first (mirvol_rewind_unsynced(), mirvol_rewind_syncing()), or takes the
 * plex out of SYNCING (a failure, an offline; a cancelled resync leaves
 * its targets syncing, taking every write).  Read
 * while that happens, the read sees the plex as a read racing a write
 * sees any plex: before or after.
 *
 * Return: the plex, or NULL.
 */
struct mirvol_plex *mirvol_syncing_covers(struct mirvol_volume *vol,
					  sector_t end, u8 skip)
{
	unsigned int i;

	for (i = 0; i < MIRVOL_MAX_PLEXES; i++) {
		struct mirvol_plex *plex = vol->plexes[i];

		if (plex && !(skip & BIT(i)) && READ_ONCE(plex->bdev) &&
		    READ_ONCE(plex->state) == MIRVOL_PLEX_SYNCING &&
		    READ_ONCE(plex->sync_offset) >= end)
			return plex;
	}
	return NULL;
}

/* A salvage's block: a page (as md's fix_read_error()), or larger. */
static unsigned int mirvol_salvage_unit(struct mirvol_volume *vol)
{
	return max_t(unsigned int, READ_ONCE(vol->io_mask) + 1, PAGE_SIZE) >>
	       SECTOR_SHIFT;
}

static void mirvol_salvage_endio(struct bio *clone)
{
	struct mirvol_clone *c = mirvol_clone_of(clone);

	atomic_dec(&c->plex->nr_pending);
	mirvol_queue_retry(c->plex->vol, clone);
}

/**
 * mirvol_salvage_step - serve a read every plex failed, a block at a time
 * @vol: the volume; @orig holds an I/O reference on it
 * @orig: the read
 * @start: its bio_start_io_acct() time
 * @cand: the candidates: the plexes that failed it whole, the probing
 *	repair's targets
 * @last: the plex to try first: the one that read the last block
 * @block: the block of @orig to read, in mirvol_salvage_unit()s
 * @tried: the plexes that failed @block
 *
 * A read that more than one plex failed may have its bad sectors in
 * different places on each: two disks with different bad sectors under
 * one read.  One that the only plex in sync failed may have its bad
 * sectors where a syncing plex holds the data, though it does not hold
 * the whole read (mirvol_read_salvaged()).  md raid1 serves both
 * (fix_read_error()); so does a salvage: it reads the read again a block
 * at a time, each block from the plexes in sync in turn (the candidates,
 * and any that came in sync since: a resync may end meanwhile), the one
 * that read the block before first, so a plex failing block after block
 * (a dying disk, each failure maybe a timeout) is asked again only when
 * that one fails too.  Each step sends one block; its completion hands
 * it to the retry work, which calls the next step: nothing waits on
 * mirvol_io_wq but for a tag, as any retry.  Once every block was read,
 * the read ends and its range is queued for a probing repair, which
 * finds each candidate's bad blocks and rewrites them under the barrier
 * (from a syncing plex that holds them, if no plex in sync reads them:
 * mirvol_sync_read()).  A block no plex in sync reads is
 * read from a syncing plex that holds it (mirvol_syncing_covers()), as
 * the last resort, even one that failed the whole read: it may have
 * failed it in another block.  A block no plex reads fails the read, and
 * each plex that failed it counts an uncorrected read error, as before;
 * the blocks before it are still queued for the probing repair.
 *
 * Context: the retry work.
 */
static noinline __cold void mirvol_salvage_step(struct mirvol_volume *vol,
						struct bio *orig,
						unsigned long start, u8 cand,
						u8 last, u32 block, u8 tried)
{
	unsigned int unit = mirvol_salvage_unit(vol), i, n;
	sector_t off = (sector_t)block * unit;
	struct mirvol_plex *plex = NULL;
	struct mirvol_clone *c;
	struct bio *clone;

	MIRVOL_KUNIT_HOOK(mirvol_kunit_salvage_hook, vol, block);
	if (off >= bio_sectors(orig)) {
		mirvol_queue_repair(vol, orig->bi_iter.bi_sector,
				    bio_sectors(orig), cand, true, GFP_NOIO);
		goto end;
	}
	n = min_t(sector_t, unit, bio_sectors(orig) - off);
	/*
	 * @last first, then by slot: any plex in sync, not only a candidate
	 * (a syncing plex promoted since holds what the candidates fail).
	 */
	for (i = 0; i <= MIRVOL_MAX_PLEXES && !plex; i++) {
		unsigned int slot = i ? i - 1 : last;
		struct mirvol_plex *p = vol->plexes[slot];

		if (!(tried & BIT(slot)) && p &&
		    mirvol_state_readable(READ_ONCE(p->state)))
			plex = p;
	}
	/*
	 * No plex in sync reads the block: a syncing plex that holds it, even
	 * one that failed the read whole (in another block, maybe).
	 */
	if (!plex)
		plex = mirvol_syncing_covers(vol, orig->bi_iter.bi_sector +
					     off + n, tried);
	if (!plex) {
		pr_err_ratelimited("mirvol: %s: no plex reads sectors %llu+%u: read failed\n",
				   vol->name,
				   (unsigned long long)orig->bi_iter.bi_sector +
				   off, n);
		mirvol_read_failed(vol, tried);
		if (off)
			mirvol_queue_repair(vol, orig->bi_iter.bi_sector, off,
					    cand, true, GFP_NOIO);
		orig->bi_status = BLK_STS_IOERR;
		goto end;
	}
	clone = mirvol_alloc_clone(vol, plex, orig);
	bio_trim(clone, off, n);
	c = mirvol_clone_of(clone);
	c->orig = orig;
	c->plex = plex;
	c->start = start;
	c->tried = tried | BIT(plex->index);
	c->cand = cand;
	c->last = last;
	c->block = block;
	clone->bi_iter.bi_sector += plex->data_offset;
	clone->bi_end_io = mirvol_salvage_endio;
	atomic_inc(&plex->nr_pending);
	atomic64_inc(&plex->read_ios);
	mirvol_submit_clone(plex, clone);
	return;
end:
	bio_end_io_acct(orig, start);
	bio_endio(orig);
	mirvol_io_exit(vol);
}

/* A salvage's block ended: on to the next, or to the next candidate. */
static void mirvol_salvage_next(struct mirvol_volume *vol, struct bio *clone)
{
	struct mirvol_clone *c = mirvol_clone_of(clone);
	u8 tried = c->tried, last = c->last, cand = c->cand;
	unsigned long start = c->start;
	struct bio *orig = c->orig;
	u32 block = c->block;

	if (!clone->bi_status) {
		/*
		 * First for the next block, if in sync then: a syncing
		 * plex is asked again only as the last resort.
		 */
		last = c->plex->index;
		block++;
		tried = 0;
	}
	/* @c is part of the clone: read before, and the bio back first. */
	bio_put(clone);
	mirvol_salvage_step(vol, orig, start, cand, last, block, tried);
}

/**
 * mirvol_read_salvaged - whether a read no plex served is salvaged
 * @vol: the volume, I/O reference held
 * @orig: the read
 * @tried: the plexes that failed it whole
 *
 * Not a readahead, which may fail (as dm-raid1 lets it), nor a read that
 * fits in one block (mirvol_salvage_unit()): a salvage would only ask the
 * same plexes again.  Failed by several plexes: maybe each in other
 * blocks.  Failed by one, with no syncing plex holding it whole: a
 * syncing plex whose checkpoint lies at or past the end of its first
 * block may hold the blocks the one fails (md raid1's fix_read_error()
 * reads a sector from any disk whose recovery_offset is past it).  A
 * block neither holds still fails the read, counted as without a
 * salvage.
 *
 * Return: true to salvage @orig (mirvol_salvage_step()).
 */
static noinline __cold bool mirvol_read_salvaged(struct mirvol_volume *vol,
						 struct bio *orig,
						 unsigned int tried)
{
	unsigned int unit = mirvol_salvage_unit(vol);

	if (!tried || (orig->bi_opf & REQ_RAHEAD) || bio_sectors(orig) <= unit)
		return false;
	return (tried & (tried - 1)) ||
	       mirvol_syncing_covers(vol, orig->bi_iter.bi_sector + unit,
				     tried);
}

/* Send @orig to a plex it has not been tried on, or fail it. */
static __always_inline void mirvol_read_submit(struct mirvol_volume *vol,
						struct bio *orig,
						unsigned int tried,
						unsigned long start)
{
	unsigned long now = 0;
	struct mirvol_plex *plex;
	struct mirvol_clone *c;
	struct bio *clone;

	plex = mirvol_read_plex(vol, orig->bi_iter.bi_sector, tried, &now);
	if (unlikely(!plex) && tried && !(orig->bi_opf & REQ_RAHEAD) &&
	    !(tried & (tried - 1) &&
	      bio_sectors(orig) > mirvol_salvage_unit(vol)))
		plex = mirvol_syncing_covers(vol, bio_end_sector(orig), tried);
	if (unlikely(!plex)) {
		/*
		 * Each plex may have failed it in other blocks, or a syncing
		 * plex hold the blocks the one failed.
		 */
		if (mirvol_read_salvaged(vol, orig, tried)) {
			mirvol_salvage_step(vol, orig, start, tried,
					    __ffs(tried), 0, 0);
			return;
		}
		/*
		 * Every plex that failed it has an uncorrected error, but
		 * for a readahead: its plexes may each have failed it in
		 * other blocks, all readable, and readaheads counted so
		 * could fail a plex holding the only good copy of a block.
		 * The read that follows finds out what is unreadable.
		 */
		if (!(orig->bi_opf & REQ_RAHEAD))
			mirvol_read_failed(vol, tried);
		orig->bi_status = BLK_STS_IOERR;
		bio_end_io_acct(orig, start);
		bio_endio(orig);
		mirvol_io_exit(vol);
		return;
	}
	clone = mirvol_alloc_clone(vol, plex, orig);
	c = mirvol_clone_of(clone);
	c->orig = orig;
	c->plex = plex;
	c->start = start;
	c->issued = now;
	c->tried = tried | BIT(plex->index);
	clone->bi_iter.bi_sector += plex->data_offset;
	clone->bi_end_io = mirvol_read_endio;
	atomic_inc(&plex->nr_pending);
	atomic64_inc(&plex->read_ios);
	WRITE_ONCE(plex->head, bio_end_sector(orig));
	mirvol_submit_clone(plex, clone);
}

/**
 * mirvol_repair_targets - the targets of a repair still in their slots
 * @vol: the volume, I/O reference held (its slots stay as they are)
 * @r: the repair
 *
 * Return: the slots of @r->targets that hold the plex the repair was
 * queued for.
 */
u8 mirvol_repair_targets(struct mirvol_volume *vol,
			 const struct mirvol_repair *r)
{
	unsigned int i;
	u8 t = 0;

	for (i = 0; i < MIRVOL_MAX_PLEXES; i++)
		if ((r->targets & BIT(i)) && vol->plexes[i] &&
		    uuid_equal(&vol->plexes[i]->uuid, &r->uuid[i]))
			t |= BIT(i);
	return t;
}

/**
 * mirvol_queue_repair - have a range rewritten on plexes that failed it
 * @vol: the volume
 * @sector: first volume sector
 * @sectors: length
 * @targets: the plexes that failed to read it (bit per slot)
 * @probe: each of them failed it in places only (mirvol_salvage_step()):
 *	the repair finds where, and reads from them too
 * @gfp: GFP_ATOMIC in completion context, else GFP_NOIO
 *
 * Context: an I/O reference held (the targets are in their slots).
 * Another plex read the range: the repair worker rewrites it on the
 * targets, as md's fix_read_error() does (a disk remaps a bad sector
 * when it is written), and counts the outcome.  Adjacent ranges of the
 * same targets are merged.  Without memory there is no repair, and
 * nothing is counted: the error is not known uncorrected (another plex
 * read the range), and counting it against each target as such, a
 * GFP_ATOMIC failure at a time under memory pressure, could fail a plex
 * whose data is good.  The next read of the range finds it again.  Any
 * context.
 */
void mirvol_queue_repair(struct mirvol_volume *vol, sector_t sector,
			 sector_t sectors, u8 targets, bool probe, gfp_t gfp)
{
	struct mirvol_repair *r, *last;
	unsigned long flags;
	unsigned int i;

	spin_lock_irqsave(&vol->state_lock, flags);
	last = list_empty(&vol->repairs) ? NULL :
	       list_last_entry(&vol->repairs, struct mirvol_repair, list);
	if (last && last->targets == targets && last->probe == probe &&
	    last->sector + last->sectors == sector &&
	    mirvol_repair_targets(vol, last) == targets) {
		last->sectors += sectors;
		spin_unlock_irqrestore(&vol->state_lock, flags);
		return;
	}
	spin_unlock_irqrestore(&vol->state_lock, flags);

	r = NULL;
#if IS_ENABLED(CONFIG_MIRVOL_KUNIT_TEST)
	if (!READ_ONCE(mirvol_kunit_repair_queue_nomem))
#endif
		r = kmalloc(sizeof(*r), gfp);
	if (!r)
		return;		/* not repaired, not counted */
	r->sector = sector;
	r->sectors = sectors;
	r->targets = 0;
	r->probe = probe;
	for (i = 0; i < MIRVOL_MAX_PLEXES; i++) {
		if (!(targets & BIT(i)) || !vol->plexes[i])
			continue;
		r->targets |= BIT(i);
		uuid_copy(&r->uuid[i], &vol->plexes[i]->uuid);
	}
	spin_lock_irqsave(&vol->state_lock, flags);
	list_add_tail(&r->list, &vol->repairs);
	spin_unlock_irqrestore(&vol->state_lock, flags);
	queue_work(mirvol_wq, &vol->repair_work);
}

static void mirvol_read_endio(struct bio *clone)
{
	struct mirvol_clone *c = mirvol_clone_of(clone);
	struct mirvol_volume *vol = c->plex->vol;
	struct bio *orig = c->orig;

	atomic_dec(&c->plex->nr_pending);
	if (unlikely(clone->bi_status)) {
		/* Counted once known corrected or not; retried elsewhere. */
		mirvol_queue_retry(vol, clone);
		return;
	}
	if (c->issued)
		mirvol_rb_complete(&c->plex->rb, c->issued, ktime_get_ns());
	if (unlikely(c->tried != BIT(c->plex->index)))
		mirvol_queue_repair(vol, orig->bi_iter.bi_sector,
				    bio_sectors(orig),
				    c->tried & ~BIT(c->plex->index), false,
				    GFP_ATOMIC);
	bio_end_io_acct(orig, c->start);
	bio_endio(orig);
	bio_put(clone);
	mirvol_io_exit(vol);
}

/**
 * mirvol_read_retry_work - resubmit failed reads to another plex
 * @work: vol->retry_work
 *
 * Also runs each step of a salvage (mirvol_salvage_step()).
 */
void mirvol_read_retry_work(struct work_struct *work)
{
	struct mirvol_volume *vol = container_of(work, struct mirvol_volume,
						 retry_work);
	struct bio_list list;
	struct bio *clone;

	spin_lock_irq(&vol->state_lock);
	list = vol->retry_list;
	bio_list_init(&vol->retry_list);
	spin_unlock_irq(&vol->state_lock);

	while ((clone = bio_list_pop(&list))) {
		struct mirvol_clone *c = mirvol_clone_of(clone);
		struct bio *orig = c->orig;
		unsigned long start = c->start;
		unsigned int tried = c->tried;

		if (clone->bi_end_io == mirvol_salvage_endio) {
			mirvol_salvage_next(vol, clone);
			continue;
		}
		pr_info_ratelimited("mirvol: %s: read error on plex %u at sector %llu, retrying\n",
				    vol->name, c->plex->index,
				    (unsigned long long)orig->bi_iter.bi_sector);
		bio_put(clone);
		mirvol_read_submit(vol, orig, tried, start);
	}
}

static __always_inline void mirvol_read(struct mirvol_volume *vol,
					struct bio *bio)
{
	mirvol_io_enter(vol);
	if (mirvol_bio_misaligned(vol, bio)) {
		mirvol_io_exit(vol);
		mirvol_fail_misaligned(vol, bio);
		return;
	}
	mirvol_read_submit(vol, bio, 0, bio_start_io_acct(bio));
}

/**
 * mirvol_submit_bio - the volume's submit_bio
 * @bio: a bio for the volume
 */
void mirvol_submit_bio(struct bio *bio)
{
	struct mirvol_volume *vol = bio->bi_bdev->bd_disk->private_data;

	switch (bio_op(bio)) {
	case REQ_OP_READ:
		mirvol_read(vol, bio);
		break;
	case REQ_OP_WRITE:
	case REQ_OP_DISCARD:
	case REQ_OP_WRITE_ZEROES:
		mirvol_write(vol, bio);
		break;
	default:
		bio->bi_status = BLK_STS_NOTSUPP;
		bio_endio(bio);
		break;
	}
}

/**
 * mirvol_flush_plexes - flush the write cache of every writable plex
 * @vol: the volume
 *
 * A plex whose flush fails is failed, but for the last in-sync plex,
 * kept with its loss reported (mirvol_plex_flush_failed()).  One that is
 * not writable when its turn comes is skipped, and one may leave as the
 * others are flushed (a write error, its device gone: state_lock only):
 * a caller that needs a plex flushed checks its state afterwards, still
 * under sb_mutex (no plex comes back in sync without it).
 *
 * Context: vol->sb_mutex held; process context.
 * Return: 0, or the error of the first plex that failed; 0 says nothing
 * of the plexes skipped.
 */
int mirvol_flush_plexes(struct mirvol_volume *vol)
{
	unsigned int i;
	int ret = 0;

	lockdep_assert_held(&vol->sb_mutex);
	for (i = 0; i < MIRVOL_MAX_PLEXES; i++) {
		struct mirvol_plex *plex = vol->plexes[i];
		int err;

		if (!plex || !plex->bdev ||
		    !mirvol_state_writable(READ_ONCE(plex->state)))
			continue;
		err = blkdev_issue_flush(plex->bdev);
		if (err) {
			mirvol_plex_flush_failed(vol, plex);
			if (!ret)
				ret = err;
		}
	}
	return ret;
}
