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
 * fail.
 *
 * Nothing here takes a mutex: plex states are read with READ_ONCE() and
 * the plex array only changes while I/O is suspended (volume->io_ref).
 * Allocations use GFP_NOIO from mempools.
 *
 * Copyright (C) 2026 The mirvol authors
 */
#include <linux/bio.h>
#include <linux/blkdev.h>
#include <linux/percpu.h>
#include <linux/slab.h>

#include "mirvol_core.h"

/* Rotates read tie-breaks; per cpu so it costs no shared cache line. */
static DEFINE_PER_CPU(unsigned int, mirvol_rr);

/**
 * mirvol_io_enter - take a reference on the volume's I/O
 * @vol: the volume
 *
 * Waits while I/O is suspended (configuration changes, safe mode).
 * Context: may sleep.
 */
void mirvol_io_enter(struct mirvol_volume *vol)
{
	while (!percpu_ref_tryget_live(&vol->io_ref))
		wait_event(vol->wait,
			   !test_bit(MIRVOL_VOL_SUSPENDED, &vol->flags));
}

void mirvol_io_exit(struct mirvol_volume *vol)
{
	percpu_ref_put(&vol->io_ref);
}

/* Send a clone to its plex; KUnit builds can make it fail instead. */
static void mirvol_submit_clone(struct mirvol_plex *plex, struct bio *clone)
{
#if IS_ENABLED(CONFIG_MIRVOL_KUNIT_TEST)
	unsigned long fail = op_is_write(bio_op(clone)) ?
			     MIRVOL_INJECT_WRITE : MIRVOL_INJECT_READ;

	if (READ_ONCE(plex->inject) & fail) {
		clone->bi_status = BLK_STS_IOERR;
		bio_endio(clone);
		return;
	}
#endif
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
 */
static void mirvol_wait_dirty(struct mirvol_volume *vol)
{
	set_bit(MIRVOL_VOL_DIRTY_REQ, &vol->flags);
	queue_work(mirvol_wq, &vol->worker);
	wait_event(vol->wait, test_bit(MIRVOL_VOL_DIRTY, &vol->flags) ||
		   READ_ONCE(vol->state) == MIRVOL_VOLUME_FAILED);
}

/* Complete a write: the io's references are dropped here. */
static void mirvol_write_done(struct mirvol_io *io, bool sb_ok)
{
	struct mirvol_volume *vol = io->vol;
	struct bio *bio = io->bio;

	if (io->status == BLK_STS_NOTSUPP)
		bio->bi_status = BLK_STS_NOTSUPP;
	else if (io->ok_in_sync && sb_ok)
		bio->bi_status = BLK_STS_OK;
	else
		bio->bi_status = io->status ?: BLK_STS_IOERR;
	if (io->barrier >= 0)
		mirvol_barrier_exit_io(&vol->barrier, io->barrier);
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

static void mirvol_write_put(struct mirvol_io *io)
{
	struct mirvol_volume *vol = io->vol;
	unsigned long flags;

	if (!atomic_dec_and_test(&io->remaining))
		return;
	if (likely(!io->failed)) {
		mirvol_write_done(io, true);
		return;
	}
	spin_lock_irqsave(&vol->state_lock, flags);
	list_add_tail(&io->list, &vol->deferred);
	spin_unlock_irqrestore(&vol->state_lock, flags);
	queue_work(mirvol_wq, &vol->worker);
}

static void mirvol_write_endio(struct bio *clone)
{
	struct mirvol_clone *c = mirvol_clone_of(clone);
	struct mirvol_io *io = c->io;
	blk_status_t status = clone->bi_status;

	atomic_dec(&c->plex->nr_pending);
	if (unlikely(status)) {
		/* A plex without discard/write-zeroes did not fail. */
		if (status == BLK_STS_NOTSUPP) {
			io->status = BLK_STS_NOTSUPP;
		} else {
			mirvol_plex_error(c->plex, true);
			io->failed = true;
			WRITE_ONCE(io->status, status);
		}
	} else if (c->in_sync) {
		WRITE_ONCE(io->ok_in_sync, true);
	}
	bio_put(clone);
	mirvol_write_put(io);
}

static void mirvol_write(struct mirvol_volume *vol, struct bio *bio)
{
	bool modifies = mirvol_bio_modifies(bio);
	struct mirvol_io *io;
	unsigned int i;

	if (modifies && unlikely(!test_bit(MIRVOL_VOL_DIRTY, &vol->flags)))
		mirvol_wait_dirty(vol);

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
		mirvol_wait_dirty(vol);
	}

	io = mempool_alloc(&vol->io_pool, GFP_NOIO);
	io->vol = vol;
	io->bio = bio;
	io->ok_in_sync = false;
	io->failed = false;
	io->status = BLK_STS_OK;
	io->barrier = -1;
	atomic_set(&io->remaining, 1);
	if (bio_sectors(bio)) {
		io->barrier = mirvol_barrier_idx(bio->bi_iter.bi_sector);
		mirvol_barrier_enter(&vol->barrier, io->barrier);
	}
	io->start = bio_start_io_acct(bio);

	for (i = 0; i < MIRVOL_MAX_PLEXES; i++) {
		struct mirvol_plex *plex = vol->plexes[i];
		struct mirvol_clone *c;
		unsigned int state;
		struct bio *clone;

		if (!plex)
			continue;
		state = READ_ONCE(plex->state);
		if (!mirvol_state_writable(state))
			continue;
		clone = bio_alloc_clone(plex->bdev, bio, GFP_NOIO, &vol->bs);
		c = mirvol_clone_of(clone);
		c->io = io;
		c->plex = plex;
		c->in_sync = state == MIRVOL_PLEX_ACTIVE;
		clone->bi_iter.bi_sector += plex->data_offset;
		clone->bi_end_io = mirvol_write_endio;
		atomic_inc(&io->remaining);
		atomic_inc(&plex->nr_pending);
		atomic64_inc(&plex->write_ios);
		WRITE_ONCE(plex->head, bio_end_sector(bio));
		mirvol_submit_clone(plex, clone);
	}
	mirvol_write_put(io);
}

/* Choose the plex for a read; NULL when no untried plex is readable. */
static struct mirvol_plex *mirvol_read_plex(struct mirvol_volume *vol,
					    sector_t sector,
					    unsigned int tried)
{
	struct mirvol_rb_plex rb[MIRVOL_MAX_PLEXES];
	unsigned int i;
	int slot;

	for (i = 0; i < MIRVOL_MAX_PLEXES; i++) {
		struct mirvol_plex *plex = vol->plexes[i];

		rb[i].readable = plex &&
			mirvol_state_readable(READ_ONCE(plex->state));
		if (!rb[i].readable)
			continue;
		rb[i].pending = atomic_read(&plex->nr_pending);
		rb[i].head = READ_ONCE(plex->head);
	}
	slot = mirvol_read_balance(rb, MIRVOL_MAX_PLEXES, sector, tried,
				   this_cpu_inc_return(mirvol_rr));
	return slot < 0 ? NULL : vol->plexes[slot];
}

static void mirvol_read_endio(struct bio *clone);

/* Send @orig to a plex it has not been tried on, or fail it. */
static void mirvol_read_submit(struct mirvol_volume *vol, struct bio *orig,
			       unsigned int tried, unsigned long start)
{
	struct mirvol_plex *plex;
	struct mirvol_clone *c;
	struct bio *clone;

	plex = mirvol_read_plex(vol, orig->bi_iter.bi_sector, tried);
	if (unlikely(!plex)) {
		orig->bi_status = BLK_STS_IOERR;
		bio_end_io_acct(orig, start);
		bio_endio(orig);
		mirvol_io_exit(vol);
		return;
	}
	clone = bio_alloc_clone(plex->bdev, orig, GFP_NOIO, &vol->bs);
	c = mirvol_clone_of(clone);
	c->orig = orig;
	c->plex = plex;
	c->start = start;
	c->tried = tried | BIT(plex->index);
	clone->bi_iter.bi_sector += plex->data_offset;
	clone->bi_end_io = mirvol_read_endio;
	atomic_inc(&plex->nr_pending);
	atomic64_inc(&plex->read_ios);
	WRITE_ONCE(plex->head, bio_end_sector(orig));
	mirvol_submit_clone(plex, clone);
}

/*
 * A read succeeded after failing on other plexes: have the repair worker
 * rewrite the range on them, as md's fix_read_error() does (a disk remaps
 * a bad sector when it is written).  Best effort: without memory, no
 * repair, and the next read error counts again.
 */
static void mirvol_queue_repair(struct mirvol_volume *vol, struct bio *orig,
				u8 targets)
{
	struct mirvol_repair *r = kmalloc(sizeof(*r), GFP_ATOMIC);
	unsigned long flags;

	if (!r)
		return;
	r->sector = orig->bi_iter.bi_sector;
	r->sectors = bio_sectors(orig);
	r->targets = targets;
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
	unsigned long flags;

	atomic_dec(&c->plex->nr_pending);
	if (unlikely(clone->bi_status)) {
		mirvol_plex_error(c->plex, false);
		spin_lock_irqsave(&vol->state_lock, flags);
		bio_list_add(&vol->retry_list, clone);
		spin_unlock_irqrestore(&vol->state_lock, flags);
		queue_work(mirvol_wq, &vol->retry_work);
		return;
	}
	if (unlikely(c->tried != BIT(c->plex->index)))
		mirvol_queue_repair(vol, orig, c->tried & ~BIT(c->plex->index));
	bio_end_io_acct(orig, c->start);
	bio_endio(orig);
	bio_put(clone);
	mirvol_io_exit(vol);
}

/**
 * mirvol_read_retry_work - resubmit failed reads to another plex
 * @work: vol->retry_work
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

		pr_info_ratelimited("mirvol: %s: read error on plex %u at sector %llu, retrying\n",
				    vol->name, c->plex->index,
				    (unsigned long long)orig->bi_iter.bi_sector);
		bio_put(clone);
		mirvol_read_submit(vol, orig, tried, start);
	}
}

static void mirvol_read(struct mirvol_volume *vol, struct bio *bio)
{
	mirvol_io_enter(vol);
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
 * Return: 0, or the error of the first plex that failed (it is failed).
 */
int mirvol_flush_plexes(struct mirvol_volume *vol)
{
	unsigned int i;
	int ret = 0;

	for (i = 0; i < MIRVOL_MAX_PLEXES; i++) {
		struct mirvol_plex *plex = vol->plexes[i];
		int err;

		if (!plex || !plex->bdev ||
		    !mirvol_state_writable(READ_ONCE(plex->state)))
			continue;
		err = blkdev_issue_flush(plex->bdev);
		if (err) {
			mirvol_plex_error(plex, true);
			if (!ret)
				ret = err;
		}
	}
	return ret;
}
