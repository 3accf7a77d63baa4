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
 * Copyright (C) 2026 The mirvol authors
 */
#ifndef _MIRVOL_BARRIER_H
#define _MIRVOL_BARRIER_H

#include <linux/atomic.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/wait.h>

#define MIRVOL_BARRIER_UNIT_SHIFT	17	/* sectors: 64 MiB units */
#define MIRVOL_BARRIER_UNIT_SECTORS	(1ULL << MIRVOL_BARRIER_UNIT_SHIFT)
#define MIRVOL_BARRIER_BUCKET_BITS	9
#define MIRVOL_BARRIER_BUCKETS		(1U << MIRVOL_BARRIER_BUCKET_BITS)

/**
 * struct mirvol_barrier - region locks of one volume
 * @lock: serialises raising a barrier against writes that must wait
 * @wait: writers waiting for a barrier, resync waiting for writers
 * @nr_pending: per bucket, writes in flight
 * @nr_waiting: per bucket, writes waiting for the barrier to drop
 * @barrier: per bucket, raised barriers
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
unsigned int mirvol_barrier_idx(sector_t sector);
sector_t mirvol_barrier_unit_end(sector_t sector);
void mirvol_barrier_enter(struct mirvol_barrier *b, unsigned int idx);
bool mirvol_barrier_try_enter(struct mirvol_barrier *b, unsigned int idx);
void mirvol_barrier_exit_io(struct mirvol_barrier *b, unsigned int idx);
void mirvol_barrier_raise(struct mirvol_barrier *b, unsigned int idx);
void mirvol_barrier_lower(struct mirvol_barrier *b, unsigned int idx);

#endif /* _MIRVOL_BARRIER_H */
