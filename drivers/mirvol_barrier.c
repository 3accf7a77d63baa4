// SPDX-License-Identifier: GPL-2.0
/*
 * mirvol resync region locking.  See include/mirvol_barrier.h.
 *
 * The fast path of a write is one atomic increment, a full barrier and
 * one read: the lock is only taken when a barrier is up in the bucket.
 * The pairing (writer: increment pending, then read barrier; resync:
 * increment barrier, then read pending) guarantees that at least one of
 * them sees the other, as in md raid1.
 *
 * Copyright (C) 2026 The mirvol authors
 */
#include <linux/hash.h>
#include <linux/slab.h>

#include "mirvol_barrier.h"

int mirvol_barrier_init(struct mirvol_barrier *b)
{
	spin_lock_init(&b->lock);
	init_waitqueue_head(&b->wait);
	b->nr_pending = kcalloc(MIRVOL_BARRIER_BUCKETS, sizeof(atomic_t),
				GFP_KERNEL);
	b->nr_waiting = kcalloc(MIRVOL_BARRIER_BUCKETS, sizeof(atomic_t),
				GFP_KERNEL);
	b->barrier = kcalloc(MIRVOL_BARRIER_BUCKETS, sizeof(atomic_t),
			     GFP_KERNEL);
	if (!b->nr_pending || !b->nr_waiting || !b->barrier) {
		mirvol_barrier_exit(b);
		return -ENOMEM;
	}
	return 0;
}

void mirvol_barrier_exit(struct mirvol_barrier *b)
{
	kfree(b->nr_pending);
	kfree(b->nr_waiting);
	kfree(b->barrier);
	b->nr_pending = NULL;
	b->nr_waiting = NULL;
	b->barrier = NULL;
}

/**
 * mirvol_barrier_idx - the bucket of a sector
 * @sector: a volume sector
 *
 * Return: the bucket index.
 */
unsigned int mirvol_barrier_idx(sector_t sector)
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
sector_t mirvol_barrier_unit_end(sector_t sector)
{
	return (sector | (MIRVOL_BARRIER_UNIT_SECTORS - 1)) + 1;
}

static void wake_up_barrier(struct mirvol_barrier *b)
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
bool mirvol_barrier_try_enter(struct mirvol_barrier *b, unsigned int idx)
{
	atomic_inc(&b->nr_pending[idx]);
	/* Pairs with mirvol_barrier_raise(): pending before barrier. */
	smp_mb__after_atomic();
	if (likely(!atomic_read(&b->barrier[idx])))
		return true;
	atomic_dec(&b->nr_pending[idx]);
	wake_up_barrier(b);
	return false;
}

/**
 * mirvol_barrier_enter - a write enters a bucket, waiting for its barrier
 * @b: the volume's barrier
 * @idx: the bucket
 *
 * May sleep; called from the submitting context only.
 */
void mirvol_barrier_enter(struct mirvol_barrier *b, unsigned int idx)
{
	if (mirvol_barrier_try_enter(b, idx))
		return;
	spin_lock_irq(&b->lock);
	atomic_inc(&b->nr_waiting[idx]);
	wait_event_lock_irq(b->wait, !atomic_read(&b->barrier[idx]), b->lock);
	atomic_inc(&b->nr_pending[idx]);
	atomic_dec(&b->nr_waiting[idx]);
	spin_unlock_irq(&b->lock);
}

/**
 * mirvol_barrier_exit_io - a write leaves its bucket
 * @b: the volume's barrier
 * @idx: the bucket
 *
 * Any context.
 */
void mirvol_barrier_exit_io(struct mirvol_barrier *b, unsigned int idx)
{
	atomic_dec(&b->nr_pending[idx]);
	wake_up_barrier(b);
}

/**
 * mirvol_barrier_raise - lock a bucket against writes
 * @b: the volume's barrier
 * @idx: the bucket
 *
 * Lets writes already waiting for the bucket go first, then holds new
 * ones back and waits until the writes in flight have completed.  Sleeps.
 */
void mirvol_barrier_raise(struct mirvol_barrier *b, unsigned int idx)
{
	spin_lock_irq(&b->lock);
	wait_event_lock_irq(b->wait, !atomic_read(&b->nr_waiting[idx]),
			    b->lock);
	atomic_inc(&b->barrier[idx]);
	/* Pairs with mirvol_barrier_try_enter(): barrier before pending. */
	smp_mb__after_atomic();
	wait_event_lock_irq(b->wait, !atomic_read(&b->nr_pending[idx]),
			    b->lock);
	spin_unlock_irq(&b->lock);
}

/**
 * mirvol_barrier_lower - unlock a bucket raised by mirvol_barrier_raise()
 * @b: the volume's barrier
 * @idx: the bucket
 */
void mirvol_barrier_lower(struct mirvol_barrier *b, unsigned int idx)
{
	atomic_dec(&b->barrier[idx]);
	wake_up(&b->wait);
}
