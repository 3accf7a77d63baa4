/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mirvol resync region locking, after md raid1's barrier buckets.
 *
 * The volume is cut into units of MIRVOL_BARRIER_UNIT_SECTORS; units hash
 * into MIRVOL_BARRIER_BUCKETS buckets.  A write holds its bucket's pending
 * count from before it is fanned out until every clone has completed; a
 * resync (or read repair) raises its bucket's barrier, which waits for the
 * pending writes to drain and holds new ones back until it is lowered.  So
 * no write can race the copy of a region and leave a stale block behind.
 * Writes never span two units: the I/O path splits them at unit borders.
 *
 * The raisers (a resync batch, the end of a resync pass, which raises
 * every bucket, a scrub chunk, a read repair chunk) also exclude each
 * other, bucket by bucket: each reads some plexes and writes others, and
 * two at once could each overwrite what the other had just read.  A
 * raiser holds one bucket at a time, or all of them taken in order, and
 * never raises a bucket it holds.
 *
 * Why a raiser cannot wait forever: it waits for the writes in flight in
 * its bucket, and for the raiser holding it.  Writes end through
 * mirvol_io_wq, whose works wait for no raiser and nothing on mirvol_wq
 * (where read repair runs); the resync's end takes sb_mutex (which the
 * worker needs) only once it has raised.  While it holds a bucket, a
 * raiser does its own I/O to the plexes' devices and error handling that
 * does not sleep (the resync's end also updates the superblocks under
 * sb_mutex, whose holders never wait for a bucket), then lowers it.  It
 * waits for no other bucket (raising all, only for the next in order),
 * for no read repair (it only queues one) and not for suspend (the I/O
 * reference it may hold, mirvol_io_enter(), is what suspend waits for).
 * Reads take no bucket: the read whose error queued a repair completed
 * before the repair raises.  So a read repair waiting behind a scrub or
 * a resync holds up only what is queued behind it on mirvol_wq, which
 * nothing holding a bucket waits for.
 *
 * Copyright (C) 2026 The mirvol authors
 */
#ifndef _MIRVOL_BARRIER_H
#define _MIRVOL_BARRIER_H

#include <linux/atomic.h>
#include <linux/hash.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/wait.h>

#define MIRVOL_BARRIER_UNIT_SHIFT	17	/* sectors: 64 MiB units */
#define MIRVOL_BARRIER_UNIT_SECTORS	(1ULL << MIRVOL_BARRIER_UNIT_SHIFT)
#define MIRVOL_BARRIER_BUCKET_BITS	9
#define MIRVOL_BARRIER_BUCKETS		(1U << MIRVOL_BARRIER_BUCKET_BITS)

/**
 * struct mirvol_barrier - region locks of one volume
 * @lock: serialises raising a barrier against writes that must wait and
 *	against other raisers
 * @wait: writers waiting for a barrier, raisers waiting for writers or
 *	for another raiser
 * @nr_pending: per bucket, writes in flight
 * @nr_waiting: per bucket, writes waiting for the barrier to drop
 * @barrier: per bucket, raised barriers (0 or 1)
 */
struct mirvol_barrier {
	spinlock_t lock;
	wait_queue_head_t wait;
	atomic_t *nr_pending;
	atomic_t *nr_waiting;
	atomic_t *barrier;
};

int mirvol_barrier_init(struct mirvol_barrier *b);
void mirvol_barrier_exit(struct mirvol_barrier *b);
void mirvol_barrier_enter_wait(struct mirvol_barrier *b, unsigned int idx);
void mirvol_barrier_raise(struct mirvol_barrier *b, unsigned int idx);
void mirvol_barrier_lower(struct mirvol_barrier *b, unsigned int idx);
void mirvol_barrier_raise_all(struct mirvol_barrier *b);
void mirvol_barrier_lower_all(struct mirvol_barrier *b);

/* The write path's part, inline: it runs for every write. */

/**
 * mirvol_barrier_idx - the bucket of a sector
 * @sector: a volume sector
 *
 * Return: the bucket index.
 */
static inline unsigned int mirvol_barrier_idx(sector_t sector)
{
	return hash_64(sector >> MIRVOL_BARRIER_UNIT_SHIFT,
		       MIRVOL_BARRIER_BUCKET_BITS);
}

/**
 * mirvol_barrier_unit_end - first sector after the unit of @sector
 * @sector: a volume sector
 *
 * Return: the end of the barrier unit holding @sector.
 */
static inline sector_t mirvol_barrier_unit_end(sector_t sector)
{
	return (sector | (MIRVOL_BARRIER_UNIT_SECTORS - 1)) + 1;
}

static inline void mirvol_barrier_wake(struct mirvol_barrier *b)
{
	if (wq_has_sleeper(&b->wait))
		wake_up(&b->wait);
}

/**
 * mirvol_barrier_try_enter - enter a bucket unless a barrier is up
 * @b: the volume's barrier
 * @idx: the bucket
 *
 * Return: true when the write may go on (it must call
 * mirvol_barrier_exit_io() when done), false when it must wait.
 */
static inline bool mirvol_barrier_try_enter(struct mirvol_barrier *b,
					    unsigned int idx)
{
	atomic_inc(&b->nr_pending[idx]);
	/* Pairs with mirvol_barrier_raise(): pending before barrier. */
	smp_mb__after_atomic();
	if (likely(!atomic_read(&b->barrier[idx])))
		return true;
	atomic_dec(&b->nr_pending[idx]);
	mirvol_barrier_wake(b);
	return false;
}

/**
 * mirvol_barrier_enter - a write enters a bucket, waiting for its barrier
 * @b: the volume's barrier
 * @idx: the bucket
 *
 * May sleep; called from the submitting context only.
 */
static inline void mirvol_barrier_enter(struct mirvol_barrier *b,
					unsigned int idx)
{
	if (likely(mirvol_barrier_try_enter(b, idx)))
		return;
	mirvol_barrier_enter_wait(b, idx);
}

/**
 * mirvol_barrier_exit_io - a write leaves its bucket
 * @b: the volume's barrier
 * @idx: the bucket
 *
 * Any context.
 */
static inline void mirvol_barrier_exit_io(struct mirvol_barrier *b,
					  unsigned int idx)
{
	atomic_dec(&b->nr_pending[idx]);
	mirvol_barrier_wake(b);
}

#endif /* _MIRVOL_BARRIER_H */
