/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mirvol copy passes: resync, read repair and scrub (check, repair).
 *
 * They share a buffer of 1 MiB chunks, the bios that move parts of it
 * to and from plexes, the choice of a source among the in-sync plexes,
 * the fallback that reads a range unit by unit from whichever plex can
 * read each unit, and the throttle.  The pass itself (mirvol_resync.c,
 * mirvol_scrub.c) decides what to copy or compare.
 *
 * Copyright (C) 2026 The mirvol authors
 */
#ifndef _MIRVOL_SYNC_H
#define _MIRVOL_SYNC_H

#include <linux/bitmap.h>

#include "mirvol_core.h"

/* The smallest range read apart when no plex reads a whole batch. */
#define MIRVOL_SYNC_MIN_UNIT	8U	/* sectors: 4 KiB */
#define MIRVOL_SYNC_MAX_UNITS	(MIRVOL_SYNC_BATCH_SECTORS / MIRVOL_SYNC_MIN_UNIT)

/**
 * struct mirvol_sync - a copy pass and its buffer
 * @op: the operation it runs for (progress, cancellation, throttle);
 *	NULL for read repair
 * @vol: the volume, started
 * @bs: the bio_set its bios come from (a pass holds at most the bios
 *	that set's reserve was sized for, see mirvol_core.h)
 * @source: preferred source slot, or -1 for any in-sync plex
 * @repair: read repair: the slots being repaired, never a source
 *	(unless @probe)
 * @probe: read repair that probes each of @repair for the blocks it
 *	fails (a read every plex failed in places, mirvol_queue_repair()):
 *	any in-sync plex is a source, and reads queue no repair of their own
 * @force: a unit no plex can read is zero-filled instead of stopping
 * @pages: @nr_pages pages of buffer: chunks of MIRVOL_SYNC_CHUNK_PAGES
 *	(mirvol_sync_init()), or fewer (mirvol_sync_init_pages())
 * @nr_pages: pages in @pages
 * @base: the volume sector the start of @pages stands for
 * @unit: sectors read apart by the fallback: the volume's logical
 *	block size, at least MIRVOL_SYNC_MIN_UNIT
 * @speed: the copy rate's sliding window
 * @done: sectors read so far (the throttle's count)
 * @fg_sectors: foreground sectors seen by the last throttle check
 * @checkpoint: jiffies of the last checkpoint written
 * @bad_start: the first range no plex could read: its first sector
 * @bad_end: its end; 0 while none was found
 * @bad_closed: the first range is complete (a readable unit followed)
 * @lost: sectors written as zeros because no plex could read them
 * @bad: per unit of the current batch, no plex could read it
 * @bio: bios of the current batch
 * @owner: the plex of each bio
 * @nr_bios: entries in @bio
 * @batch: their completion
 */
struct mirvol_sync {
	struct mirvol_operation *op;
	struct mirvol_volume *vol;
	struct bio_set *bs;
	int source;
	u8 repair;
	bool probe;
	bool force;
	struct page **pages;
	unsigned int nr_pages;
	sector_t base;
	unsigned int unit;
	struct mirvol_speed speed;
	u64 done;
	unsigned long fg_sectors;
	unsigned long checkpoint;
	sector_t bad_start;
	sector_t bad_end;
	bool bad_closed;
	u64 lost;
	DECLARE_BITMAP(bad, MIRVOL_SYNC_MAX_UNITS);
	struct bio *bio[MIRVOL_SYNC_MAX_BIOS];
	struct mirvol_plex *owner[MIRVOL_SYNC_MAX_BIOS];
	unsigned int nr_bios;
	struct mirvol_batch batch;
};

unsigned int mirvol_sync_unit(struct mirvol_volume *vol);
int mirvol_sync_init_pages(struct mirvol_sync *sy, struct mirvol_volume *vol,
			   struct bio_set *bs, unsigned int nr, gfp_t gfp);
int mirvol_sync_init(struct mirvol_sync *sy, struct mirvol_volume *vol,
		     struct bio_set *bs, unsigned int chunks, gfp_t gfp);
void mirvol_sync_exit(struct mirvol_sync *sy);
void mirvol_sync_throttle(struct mirvol_sync *sy);
void mirvol_sync_start(struct mirvol_sync *sy);
void mirvol_sync_submit(struct mirvol_sync *sy, struct mirvol_plex *plex,
			blk_opf_t opf, struct page **pages, sector_t base,
			sector_t start, sector_t end);
u8 mirvol_sync_wait(struct mirvol_sync *sy);
int mirvol_sync_read(struct mirvol_sync *sy, sector_t start, sector_t end,
		     sector_t *good_end);
u8 mirvol_in_sync_slots(struct mirvol_volume *vol);

#endif /* _MIRVOL_SYNC_H */
