/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mirvol write-intent bitmap: one bit per region of the volume, kept on
 * every writable plex in the bitmap area, set before the first write
 * into a region and cleared lazily.  See mirvol_bitmap.c.
 *
 * Copyright (C) 2026 The mirvol authors
 */
#ifndef _MIRVOL_BITMAP_H
#define _MIRVOL_BITMAP_H

#include <linux/atomic.h>
#include <linux/bio.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <linux/mirvol.h>

struct mirvol_volume;

/*
 * A region's state: one atomic, so that a writer and the clearer
 * serialise on it without a lock (the writer's increment and the
 * clearer's compare-and-exchange see each other, whichever comes first).
 */
#define MIRVOL_BM_ONDISK	BIT(30)	/* set on every writable plex */
#define MIRVOL_BM_CLEARING	BIT(29)	/* the clearer is taking it away */
#define MIRVOL_BM_PENDING	(BIT(24) - 1)	/* writes in flight */

/* A region must stay idle this long (ms) before its bit is cleared. */
#define MIRVOL_BM_CLEAR_MS_DEFAULT	2000

/*
 * The default budget of dirty regions kept while writes go on (the
 * bitmap_dirty_max module parameter and sysfs file); see
 * Documentation/design.rst, "Write-intent bitmap".
 */
#define MIRVOL_BM_DIRTY_MAX_DEFAULT	4096

/* A region's idle age saturates here (clearing periods). */
#define MIRVOL_BM_IDLE_MAX	63

/* @flags: a write started since the last clear scan */
#define MIRVOL_BM_WRITTEN	0

#define MIRVOL_BM_MAX_PAGES	DIV_ROUND_UP(MIRVOL_BITMAP_MAX_REGIONS / 8, \
					     PAGE_SIZE)

/**
 * struct mirvol_bitmap - the write-intent bitmap of a volume
 * @vol: the volume
 * @shift: log2 of the region size in sectors
 * @nr: regions
 * @nr_pages: pages of the on-disk image
 * @state: per region, MIRVOL_BM_* flags and pending writes
 * @disk: the on-disk image, @nr_pages pages (@lock)
 * @to_set: regions writers wait to see set on disk (atomic bits)
 * @touched: regions written since the last clear scan (atomic bits)
 * @idle: per region, the clearing periods in a row it went unwritten, up
 *	to MIRVOL_BM_IDLE_MAX; meaningful while its bit is set (@io_mutex)
 * @idle_count: regions set on disk by idle age, filled by each clear
 *	scan (@io_mutex)
 * @flags: MIRVOL_BM_WRITTEN (atomic bits)
 * @marking: regions the running set write makes ONDISK (@io_mutex)
 * @clearing: regions the running clear takes away (@io_mutex)
 * @dirty_pages: pages of @disk to write (@lock)
 * @lost_pages: pages whose last write no in-sync plex took: their set
 *	regions may not be ONDISK, and a superblock update that records a
 *	plex's departure meanwhile raises @cleared_gen (@lock)
 * @loaded_pages: pages holding bits the assembly loaded from some members
 *	only (a member's bitmap lacked them, or could not be read): their
 *	set regions are not ONDISK until the page is written (@lock)
 * @bounce: stable copies of the pages being written (@io_mutex)
 * @bs: bio_set of the page writes: a page to every plex at a time
 * @lock: @disk, @dirty_pages, @lost_pages, @loaded_pages and @set_seq
 * @io_mutex: one page write (set or clear) at a time, in order
 * @set_work: writes what writers wait for, at once
 * @clear_work: clears idle regions every @clear_ms
 * @wait: writers waiting for their regions
 * @set_seq: set work passes started, counted as each takes @to_set (@lock)
 * @set_done: the last set work pass that ended: its writers may go, their
 *	regions ONDISK or lost (store-release, under @io_mutex)
 * @clear_ms: a region must stay idle this long to be cleared
 * @cleared_gen: the generation of the superblock update that began the
 *	bits' coverage: the bitmap's creation, or a set whose page no
 *	in-sync plex took (rule 4), whose writers went after that update.
 *	A plex that left the in-sync set strictly after it (a greater
 *	gone_generation, mirvol_bitmap_gone_covered()) missed only writes
 *	into regions whose bit is set; one that update records as gone
 *	may have missed such a write, as may one whose departure an update
 *	records while @lost_pages is not empty: that update raises it to its
 *	own generation (set by the creator, the assembly, the set work or
 *	mirvol_sb_targets(), under sb_mutex)
 * @cleared_recorded: the greatest @cleared_gen a superblock update put
 *	on the in-sync plexes, an attempt of an update that then failed
 *	too (the volume's sb_mutex)
 * @cleared_unrecorded: the update of a set pass raising @cleared_gen
 *	reached no in-sync plex, in none of its attempts: writers whose
 *	regions are not ONDISK fail (rule 4); cleared by an update that
 *	records @cleared_gen on the in-sync plexes (the volume's sb_mutex;
 *	writers read it once their pass ended)
 * @resync: the regions partial resync targets copy, or NULL; changes
 *	under the volume's sb_mutex, outside the resync's batches
 */
struct mirvol_bitmap {
	struct mirvol_volume *vol;
	unsigned int shift;
	unsigned long nr;
	unsigned int nr_pages;
	atomic_t *state;
	unsigned long *disk;
	unsigned long *to_set;
	unsigned long *touched;
	u8 *idle;
	unsigned long idle_count[MIRVOL_BM_IDLE_MAX + 1];
	unsigned long flags;
	unsigned long *marking;
	unsigned long *clearing;
	unsigned long dirty_pages;
	unsigned long lost_pages;
	unsigned long loaded_pages;
	struct page *bounce[MIRVOL_BM_MAX_PAGES];
	struct bio_set bs;
	spinlock_t lock;
	struct mutex io_mutex;
	struct work_struct set_work;
	struct delayed_work clear_work;
	wait_queue_head_t wait;
	unsigned long set_seq;
	unsigned long set_done;
	unsigned int clear_ms;
	u64 cleared_gen;
	u64 cleared_recorded;
	bool cleared_unrecorded;
	unsigned long *resync;
};

u64 mirvol_bitmap_default_region(u64 size_bytes);
struct mirvol_bitmap *mirvol_bitmap_create(struct mirvol_volume *vol,
					   unsigned int region_sectors);
bool mirvol_bitmap_fits(const struct mirvol_bitmap *bm, sector_t data_offset);
void mirvol_bitmap_destroy(struct mirvol_bitmap *bm);
void mirvol_bitmap_start(struct mirvol_bitmap *bm);
void mirvol_bitmap_stop(struct mirvol_bitmap *bm);
int mirvol_bitmap_startwrite(struct mirvol_bitmap *bm, sector_t start,
			     sector_t end);
void mirvol_bitmap_endwrite(struct mirvol_bitmap *bm, sector_t start,
			    sector_t end);
int mirvol_bitmap_load(struct mirvol_bitmap *bm, struct block_device *bdev,
		       sector_t offset, unsigned long *bits);
int mirvol_bitmap_write_plex(struct mirvol_bitmap *bm,
			     struct block_device *bdev, sector_t offset);
void mirvol_bitmap_mark_loaded(struct mirvol_bitmap *bm,
				const unsigned long *common);
unsigned long *mirvol_bitmap_alloc_image(struct mirvol_bitmap *bm);
unsigned long mirvol_bitmap_weight(struct mirvol_bitmap *bm);
int mirvol_bitmap_resync_begin(struct mirvol_bitmap *bm);
int mirvol_bitmap_merge(struct mirvol_bitmap *bm, const unsigned long *bits);
void mirvol_bitmap_copy_bits(struct mirvol_bitmap *bm, unsigned long *bits);
void mirvol_bitmap_resync_end(struct mirvol_bitmap *bm);
static inline sector_t mirvol_bitmap_region_sectors(struct mirvol_bitmap *bm)
{
	return (sector_t)1 << bm->shift;
}

#endif /* _MIRVOL_BITMAP_H */
