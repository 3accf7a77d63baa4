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
 * mirvol_barrier_enter_wait - mirvol_barrier_enter() when a barrier is up
 * @b: the volume's barrier
 * @idx: the bucket
 *
 * May sleep; called from the submitting context only.
 */
void mirvol_barrier_enter_wait(struct mirvol_barrier *b, unsigned int idx)
{
	spin_lock_irq(&b->lock);
	atomic_inc(&b->nr_waiting[idx]);
	wait_event_lock_irq(b->wait, !atomic_read(&b->barrier[idx]), b->lock);
	atomic_inc(&b->nr_pending[idx]);
	atomic_dec(&b->nr_waiting[idx]);
	spin_unlock_irq(&b->lock);
}

/**
 * mirvol_barrier_raise - lock a bucket against writes and other raisers
 * @b: the volume's barrier
 * @idx: the bucket
 *
 * Lets writes already waiting for the bucket go first, then waits until
 * no other raiser holds it, then holds new writes back and waits until
 * the writes in flight have completed.  Raisers exclude each other (a
 * resync batch, a scrub chunk, a read repair, a resync's end): each reads
 * some plexes and writes others, so two at once could each overwrite
 * what the other had just read (a read repair and a repair pass would
 * swap two differing copies).  Checking for another raiser and raising
 * both happen under @b->lock, so only one of two can win.  Not nested:
 * the caller holds no bucket (mirvol_barrier_raise_all() takes them in
 * order, one raiser at a time).  Sleeps.
 */
void mirvol_barrier_raise(struct mirvol_barrier *b, unsigned int idx)
{
	spin_lock_irq(&b->lock);
	wait_event_lock_irq(b->wait, !atomic_read(&b->nr_waiting[idx]) &&
			    !atomic_read(&b->barrier[idx]), b->lock);
	atomic_inc(&b->barrier[idx]);
	/* Pairs with mirvol_barrier_try_enter(): barrier before pending. */
	smp_mb__after_atomic();
	wait_event_lock_irq(b->wait, !atomic_read(&b->nr_pending[idx]),
			    b->lock);
	spin_unlock_irq(&b->lock);
}

/**
 * mirvol_barrier_raise_all - lock every bucket against writes
 * @b: the volume's barrier
 *
 * Waits until every write in flight has completed (a deferred one once
 * the volume's worker completed it) and holds new ones back until
 * mirvol_barrier_lower_all().  Sleeps; the caller holds no bucket and
 * no lock the worker takes.  Buckets are raised in order, each once its
 * other raiser lowered it: two raise_all callers cannot hold each other
 * up, and a single-bucket raiser never waits for a second bucket.
 */
void mirvol_barrier_raise_all(struct mirvol_barrier *b)
{
	unsigned int i;

	for (i = 0; i < MIRVOL_BARRIER_BUCKETS; i++)
		mirvol_barrier_raise(b, i);
}

/**
 * mirvol_barrier_lower_all - undo mirvol_barrier_raise_all()
 * @b: the volume's barrier
 */
void mirvol_barrier_lower_all(struct mirvol_barrier *b)
{
	unsigned int i;

	for (i = 0; i < MIRVOL_BARRIER_BUCKETS; i++)
		atomic_dec(&b->barrier[i]);
	wake_up_all(&b->wait);
}

/**
 * mirvol_barrier_lower - unlock a bucket raised by mirvol_barrier_raise()
 * @b: the volume's barrier
 * @idx: the bucket
 *
 * Wakes the writes and the next raiser waiting for it.
 */
void mirvol_barrier_lower(struct mirvol_barrier *b, unsigned int idx)
{
	atomic_dec(&b->barrier[idx]);
	wake_up(&b->wait);
}
