/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mirvol internal definitions: volumes, plexes, I/O contexts, operations.
 *
 * Objects and their locks (outermost first):
 *
 *   mirvol_mutex        the registry: the volume list, names, UUIDs
 *                       (mirvol_main.c).  Never held across I/O, a device
 *                       open or add_disk().
 *   volume->lock        a volume's configuration: the plex array, the
 *                       running operation, suspend/resume, gendisk life.
 *                       Two at once only in volume->seq order
 *                       (mirvol_lock_two()).  While its holder keeps the
 *                       volume's I/O suspended it allocates without I/O
 *                       reclaim (mirvol_suspend_io()).
 *   volume->sb_mutex    superblock generation and writes; also taken to
 *                       change the plex array, so that a superblock write
 *                       sees a stable array without volume->lock (the
 *                       I/O error path writes superblocks and must never
 *                       wait for volume->lock, whose holder may be
 *                       draining that very I/O)
 *   volume->state_lock  spinlock, irq-safe: plex and volume states, the
 *                       plex array's slots (also readable under it), name
 *                       for readers, error and deferred-completion lists
 *   volume->speed_lock  spinlock: the running resync speeds and their
 *                       sysfs write counts; taken alone, or inside
 *                       sb_mutex (SET_VOLUME)
 *   mirvol_ops_lock     the operation table (mirvol_ops.c)
 *
 * The I/O path takes none of the mutexes: it reads plex states with
 * READ_ONCE() and the plex array, which only changes while I/O is
 * suspended (volume->io_ref drained).
 *
 * Lifetimes: volumes and plexes are reference counted.  A volume is held
 * by the registry, its gendisk, running operations and lookups; a plex by
 * its volume's slot, the operations and assembly members that point at
 * it, and its sysfs directory.  Nobody keeps a pointer to either without
 * a reference.
 *
 * Copyright (C) 2026 The mirvol authors
 */
#ifndef _MIRVOL_CORE_H
#define _MIRVOL_CORE_H

#include <linux/bio.h>
#include <linux/blkdev.h>
#include <linux/completion.h>
#include <linux/kobject.h>
#include <linux/mempool.h>
#include <linux/mutex.h>
#include <linux/percpu-refcount.h>
#include <linux/spinlock.h>
#include <linux/uuid.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <linux/mirvol.h>

#include "mirvol_barrier.h"
#include "mirvol_bitmap.h"
#include "mirvol_logic.h"
#include "mirvol_sb_codec.h"

#define MIRVOL_MINORS		16	/* partitions per volume */
#define MIRVOL_DATA_OFFSET_SECTORS	MIRVOL_SB_SECTOR(MIRVOL_DATA_OFFSET)

/*
 * Copy passes (mirvol_sync.h) move data in chunks of one bio; a resync
 * batch is up to MIRVOL_SYNC_BATCH chunks.  Each bio_set's reserve covers
 * the most bios its one user holds at once, so that under memory
 * pressure every user can finish what it started:
 *   sync_bs    the running resync/check/repair: a batch to every plex
 *   repair_bs  read repair: a chunk to every plex
 *   meta_bs    a superblock update: a flush, then a superblock, per plex
 */
#define MIRVOL_SYNC_CHUNK	2048U	/* sectors: 1 MiB */
#define MIRVOL_SYNC_CHUNK_PAGES	(MIRVOL_SYNC_CHUNK >> (PAGE_SHIFT - SECTOR_SHIFT))
#define MIRVOL_SYNC_BATCH	4U
#define MIRVOL_SYNC_BATCH_SECTORS (MIRVOL_SYNC_CHUNK * MIRVOL_SYNC_BATCH)
#define MIRVOL_SYNC_MAX_BIOS	(MIRVOL_SYNC_BATCH * MIRVOL_MAX_PLEXES)
#define MIRVOL_REPAIR_MAX_BIOS	MIRVOL_MAX_PLEXES
#define MIRVOL_META_MAX_BIOS	MIRVOL_MAX_PLEXES

struct mirvol_operation;
struct mirvol_volume;

/* plex->flags: atomic bits */
enum {
	MIRVOL_PLEX_RELEASE,	/* device gone: release it from the worker */
	/*
	 * Opened by a create that has not written its metadata yet: a
	 * refused create leaves the device as it found it (no erasing).
	 */
	MIRVOL_PLEX_UNWRITTEN,
};

/**
 * struct mirvol_plex - one leg of a volume
 * @ref: references: the volume's slot, operations, assembly, sysfs
 * @vol: the volume whose slot holds it, else NULL; written under that
 *	volume's state_lock (mirvol_attach_plex(), mirvol_detach_plex())
 * @linked: holder links to @vol's gendisk exist (volume->lock)
 * @last_in_sync: it was the last in-sync plex when its device went away:
 *	recorded active on disk (MIRVOL_PLEX_F_LAST_IN_SYNC), vol->state_lock
 * @partial: syncing, it differs from the in-sync plexes only in the
 *	regions set in the bitmap: a resync copies only those
 *	(MIRVOL_PLEX_F_BITMAP_SYNC on disk); vol->sb_mutex
 * @bdev_file: the exclusively opened device (holder: this plex), NULL
 *	once released (missing)
 * @bdev: file_bdev(@bdev_file), NULL once released
 * @devt: the device number, kept after release for reporting
 * @uuid: plex UUID
 * @index: slot in the volume's plex table
 * @state: enum mirvol_plex_state; written under vol->state_lock, read
 *	locklessly by the I/O path
 * @boot: MIRVOL_PLEX_F_BOOT; under vol->sb_mutex
 * @data_offset: sectors before the volume's data on the device
 * @dev_sectors: size of the device
 * @sync_offset: sectors of the volume known in sync (resync checkpoint);
 *	written by the resync worker, read with READ_ONCE()
 * @gone_generation: generation at which it left the in-sync set (that
 *	of the first superblock update without it), kept while it is a
 *	partial resync target; 0 while in sync, and for a plex that was
 *	copying everything when it left (@full_copy): the bitmap covers
 *	what it missed since then only (mirvol_sb_targets()); vol->sb_mutex
 * @full_copy: at the last superblock update it was, or it left as, a
 *	resync target copying everything (stale, or syncing not partial):
 *	it holds the volume's data only below its checkpoint, which the
 *	bitmap says nothing of, so it gets no @gone_generation and comes
 *	back copying everything; vol->sb_mutex
 * @nr_pending: I/O in flight on this plex (read balancing)
 * @head: sector after the last I/O issued (read balancing)
 * @rb: learned read service time; updated locklessly by read
 *	completions (mirvol_rb_complete()), read so by read balancing
 * @write_mostly: MIRVOL_PLEX_F_WRITE_MOSTLY: reads only when no other
 *	plex can serve them; written under vol->sb_mutex, read locklessly
 * @read_errors: uncorrected read errors, halved for every hour since
 *	@read_error_time (vol->state_lock)
 * @read_error_time: when the last one was counted, seconds
 *	(ktime_get_seconds(); vol->state_lock)
 * @corrected_read_errors: read errors repaired from another plex
 * @write_errors: write errors seen
 * @read_ios: reads sent to the plex
 * @write_ios: writes sent to the plex
 * @flags: MIRVOL_PLEX_* atomic bits
 * @sb_page: buffer for this plex's superblock writes (under sb_mutex)
 * @md: while held by an offline volume: its superblock, else NULL
 * @kobj: sysfs directory plexN, NULL when not shown
 * @inject: KUnit builds only: MIRVOL_INJECT_* I/O to fail
 * @inject_bad: KUnit builds only: device sectors [0] to [1] fail reads
 *	until a write covers them all, as a disk's pending sector does
 * @inject_bad_reads: KUnit builds only: reads @inject_bad failed
 */
struct mirvol_plex {
	struct kref ref;
	struct mirvol_volume *vol;
	bool linked;
	bool last_in_sync;
	bool partial;
	bool full_copy;
	struct file *bdev_file;
	struct block_device *bdev;
	dev_t devt;
	uuid_t uuid;
	unsigned int index;
	unsigned int state;
	unsigned int boot;
	sector_t data_offset;
	sector_t dev_sectors;
	sector_t sync_offset;
	u64 gone_generation;
	atomic_t nr_pending;
	sector_t head;
	struct mirvol_rb_stat rb;
	bool write_mostly;
	unsigned int read_errors;
	time64_t read_error_time;
	atomic64_t corrected_read_errors;
	atomic64_t write_errors;
	atomic64_t read_ios;
	atomic64_t write_ios;
	unsigned long flags;
	struct page *sb_page;
	struct mirvol_md *md;
	struct kobject *kobj;
#if IS_ENABLED(CONFIG_MIRVOL_KUNIT_TEST)
	unsigned long inject;
	sector_t inject_bad[2];
	atomic_t inject_bad_reads;
#endif
};

#if IS_ENABLED(CONFIG_MIRVOL_KUNIT_TEST)
/*
 * KUnit: read balancing ignores the learned service times (every plex
 * counts as equally fast), so that tests of retries and repairs see reads
 * alternate over RAM disks whatever UML's timing noise.
 */
extern bool mirvol_kunit_rb_equal;
/* KUnit: called as a resync pass ends, before its targets are promoted. */
extern void (*mirvol_kunit_resync_end_hook)(struct mirvol_volume *vol);
/*
 * KUnit: called by the volume worker after an attempt at the dirty mark,
 * once sb_mutex is dropped; @ok: the mark is on disk.
 */
extern void (*mirvol_kunit_dirty_hook)(struct mirvol_volume *vol, bool ok);
/*
 * KUnit: called by a writer that asked for the dirty mark, before it
 * waits for it; no lock held.
 */
extern void (*mirvol_kunit_wait_dirty_hook)(struct mirvol_volume *vol);
/* KUnit: called as a resync target is promoted, before state_lock. */
extern void (*mirvol_kunit_promote_hook)(struct mirvol_plex *plex);
/* KUnit: called by an add-plex or replace once it has done its change. */
extern void (*mirvol_kunit_add_done_hook)(struct mirvol_operation *op);
/* KUnit: called before each step of a resync pass, no lock held. */
extern void (*mirvol_kunit_resync_step_hook)(struct mirvol_volume *vol);
/*
 * KUnit: called by each step of a read salvage, before it chooses the
 * plex for @block (the block of the read it is at); the retry work, no
 * lock held, the read's I/O reference held.
 */
extern void (*mirvol_kunit_salvage_hook)(struct mirvol_volume *vol,
					 u32 block);
/*
 * KUnit: called by an assembly once it has the volume of a group of
 * members (@created: listed by this call), before it takes its lock.
 */
extern void (*mirvol_kunit_assemble_group_hook)(struct mirvol_volume *vol,
						bool created);
/*
 * KUnit: called as an assembly writes a member's result, with the
 * member's volume and plex referenced, no lock held.
 */
extern void (*mirvol_kunit_member_final_hook)(struct mirvol_volume *vol);
/*
 * KUnit: called as a resync step has moved partial targets' offsets over
 * clean regions, before it stores them; I/O reference held.
 */
extern void (*mirvol_kunit_skip_clean_hook)(struct mirvol_volume *vol);
/* KUnit: called as a replace's new plex is in sync, no lock held. */
extern void (*mirvol_kunit_replace_hook)(struct mirvol_plex *new);
/*
 * KUnit: called once a resync pass has promoted its targets and recorded
 * it, when no plex is left to copy (the resync's last promotion); no lock
 * held.
 */
extern void (*mirvol_kunit_resync_promoted_hook)(struct mirvol_volume *vol);
/* KUnit: called as an operation ends, its result decided; no lock held. */
extern void (*mirvol_kunit_finish_hook)(struct mirvol_operation *op);
/*
 * KUnit: called by mirvol_uevent() once it decided to send the event, the
 * disk in hand; no lock held.
 */
extern void (*mirvol_kunit_uevent_hook)(struct mirvol_volume *vol);
/* KUnit: the next volume start fails once its disk is added. */
extern bool mirvol_kunit_start_fail;
/* KUnit: read repair gets no memory for its full-size buffer. */
extern bool mirvol_kunit_repair_nomem;
/* KUnit: mirvol_queue_repair() gets no memory for its request. */
extern bool mirvol_kunit_repair_queue_nomem;
/* KUnit: called as the read repair work starts; no lock held. */
extern void (*mirvol_kunit_repair_work_hook)(struct mirvol_volume *vol);
/*
 * KUnit: called by a break-plex once its plex left the volume (the split
 * recorded, if tracked), before the plex gets the new volume's
 * superblock; vol->lock held, I/O suspended.
 */
extern void (*mirvol_kunit_split_hook)(struct mirvol_volume *vol);
/*
 * KUnit: called by a merge-plex about to kill its source @src, the rules
 * checked and the target reserved; both volumes' locks held.
 */
extern void (*mirvol_kunit_merge_kill_hook)(struct mirvol_volume *src);
/* KUnit: called by a replace done, before it erases the old plex. */
extern void (*mirvol_kunit_replaced_hook)(struct mirvol_plex *old);
/*
 * KUnit: called by a break-plex whose split succeeded, before its new
 * volume @new is filled (started); no lock held.
 */
extern void (*mirvol_kunit_break_hook)(struct mirvol_volume *new);
/*
 * KUnit: called by a CREATE whose volume was made, before the reply is
 * filled; the volume can be found; no lock held.
 */
extern void (*mirvol_kunit_created_hook)(struct mirvol_volume *vol);
/*
 * KUnit: called by a break-plex's freeze with the numbers of the volume's
 * block devices it found, before it opens them; no lock held.
 */
extern void (*mirvol_kunit_freeze_hook)(dev_t *devts, unsigned int nr);
/*
 * KUnit: called by mirvol_sb_init_plex() once its writes are done; a
 * negative errno makes it report that failure (the device holds the new
 * superblock all the same).
 */
extern int (*mirvol_kunit_init_hook)(struct mirvol_plex *plex);
/*
 * KUnit: called by mirvol_sb_join_plex() before it writes; a negative
 * errno makes it fail so, having written nothing.
 */
extern int (*mirvol_kunit_join_hook)(struct mirvol_plex *plex);
/*
 * KUnit: called by the reboot notifier once it has decided to mark @vol
 * clean, before it queues the safe mode work; vol->lock held.
 */
extern void (*mirvol_kunit_reboot_hook)(struct mirvol_volume *vol);
/* KUnit: called as the safe mode work starts, before it looks at @vol. */
extern void (*mirvol_kunit_safe_mode_hook)(struct mirvol_volume *vol);
/*
 * KUnit: called by the safe mode work once it found the volume with a
 * disk, before it reads the disk's statistics; no lock held.
 */
extern void (*mirvol_kunit_safe_mode_disk_hook)(struct mirvol_volume *vol);
/*
 * KUnit: called by mirvol_suspend_io() once the I/O in flight drained;
 * vol->lock held.
 */
extern void (*mirvol_kunit_suspend_hook)(struct mirvol_volume *vol);
/*
 * KUnit: called as a member rejoins a running volume (re-add of a missing
 * plex, incremental assembly), attached in its slot, before its superblock
 * writes; vol->lock and sb_mutex held, I/O suspended.
 */
extern void (*mirvol_kunit_rejoin_hook)(struct mirvol_plex *plex);
/*
 * KUnit: called by a re-add of a plex without its device once the device
 * is checked, before it is handed to assembly; no lock held.
 */
extern void (*mirvol_kunit_readd_hook)(struct mirvol_volume *vol);
/*
 * KUnit: called as a superblock update of @vol begins, sb_mutex held,
 * before the first generation is composed.
 */
extern void (*mirvol_kunit_sb_update_hook)(struct mirvol_volume *vol);
/*
 * KUnit: called by the volume worker once it took @deferred off
 * vol->deferred, before it looks at them; no lock held.
 */
extern void (*mirvol_kunit_worker_hook)(struct mirvol_volume *vol,
					struct list_head *deferred);
/*
 * KUnit: called as each step of each attempt of a superblock update
 * begins (@page: the superblock writes, else the flushes), sb_mutex held,
 * before its bios are sent.
 */
extern void (*mirvol_kunit_sb_write_hook)(struct mirvol_volume *vol,
					  bool page);
/*
 * KUnit: called by a bitmap set pass some of whose pages no in-sync plex
 * took, after its superblock update and before its writers go; the
 * bitmap's io_mutex held, not sb_mutex.
 */
extern void (*mirvol_kunit_bitmap_lost_hook)(struct mirvol_volume *vol);
/*
 * KUnit: called by a bitmap page write once it handled @plex's outcome
 * of the page, before the next target's; sb_mutex held.
 */
extern void (*mirvol_kunit_bitmap_page_hook)(struct mirvol_plex *plex);
/*
 * KUnit: called by the bitmap's clear work once it found every plex in
 * sync and before it flushes them; io_mutex and sb_mutex held.
 */
extern void (*mirvol_kunit_clear_flush_hook)(struct mirvol_volume *vol);
/*
 * KUnit: called by an assembly once its volume started, before the
 * superblock update that writes the new generation; vol->lock held.
 */
extern void (*mirvol_kunit_assemble_hook)(struct mirvol_volume *vol);
/*
 * KUnit: called by mirvol_volume_start() once the disk is added, before
 * the rest of the start (which mirvol_kunit_start_fail fails); vol->lock
 * held.
 */
extern void (*mirvol_kunit_start_hook)(struct mirvol_volume *vol);
/*
 * KUnit: called by mirvol_volume_restack() before it updates @vol's queue
 * limits; a negative errno makes it fail so, having changed nothing.
 */
extern int (*mirvol_kunit_restack_hook)(struct mirvol_volume *vol);
/*
 * KUnit: when not 0, the queue limits stacked for a volume have at least
 * this logical block size, as if a plex had it (the RAM disks have 512).
 */
extern unsigned int mirvol_kunit_lbs;
/*
 * KUnit: called where the control plane allocates in a way that may hold
 * a volume's I/O (holder links, plexN/ directories, a join's superblock
 * pages), @site naming it; @vol is the volume, any lock held.
 */
extern void (*mirvol_kunit_alloc_hook)(struct mirvol_volume *vol,
				       const char *site);

/*
 * MIRVOL_KUNIT_HOOK(hook, args...) - call a KUnit hook, if a test set it.
 * Outside KUnit builds it is nothing, arguments included: the hooks do
 * not exist there.
 */
#define MIRVOL_KUNIT_HOOK(hook, ...)					\
	do {								\
		typeof(hook) __hook = READ_ONCE(hook);			\
									\
		if (__hook)						\
			__hook(__VA_ARGS__);				\
	} while (0)
/* Static, but for the KUnit tests that call it (declared below). */
#define MIRVOL_VISIBLE_IF_KUNIT
#else
#define MIRVOL_KUNIT_HOOK(...) do { } while (0)
#define MIRVOL_VISIBLE_IF_KUNIT static
#endif

/* plex->inject bits (KUnit fault injection) */
#define MIRVOL_INJECT_READ	BIT(0)	/* every read fails */
#define MIRVOL_INJECT_WRITE	BIT(1)	/* every write and flush fails */
#define MIRVOL_INJECT_NO_WZ	BIT(2)	/* write-zeroes: BLK_STS_NOTSUPP */
#define MIRVOL_INJECT_BITMAP	BIT(3)	/* writes into the bitmap area fail */
#define MIRVOL_INJECT_FLUSH	BIT(4)	/* flushes (empty PREFLUSH writes) fail */
/* data writes are held back until mirvol_kunit_end_held() */
#define MIRVOL_INJECT_HOLD	BIT(5)
/* data writes (not write-zeroes, not discards): BLK_STS_NOTSUPP */
#define MIRVOL_INJECT_W_NOTSUPP	BIT(6)
/*
 * write-zeroes are sent as discards: brd, which has no write-zeroes,
 * reads back zeros where it discarded (whole pages)
 */
#define MIRVOL_INJECT_WZ_DISCARD	BIT(7)
/*
 * I/O with data (reads, writes, discards, write-zeroes) not aligned to
 * 4096 bytes fails with BLK_STS_IOERR, as sd fails a read or write not
 * aligned to a 4096-byte logical block
 */
#define MIRVOL_INJECT_4K	BIT(8)
/* discards: BLK_STS_NOTSUPP, as a device that does not discard */
#define MIRVOL_INJECT_D_NOTSUPP	BIT(9)
/* superblock writes fail (not the flushes before them) */
#define MIRVOL_INJECT_SB	BIT(10)
/*
 * data writes complete successfully without reaching the device (a disk
 * that lies, a lost write); one over the whole inject_bad range still
 * remaps it, so the old data reads back
 */
#define MIRVOL_INJECT_LOSE_WRITE	BIT(11)

/* volume->flags: atomic bits */
enum {
	MIRVOL_VOL_SUSPENDED,	/* new I/O waits in mirvol_io_enter() */
	MIRVOL_VOL_DEAD,	/* being removed/stopped: no opens, no ops */
	MIRVOL_VOL_DIRTY,	/* marked dirty on disk */
	MIRVOL_VOL_DIRTY_REQ,	/* a writer waits for the dirty mark */
	MIRVOL_VOL_SB_REQ,	/* the worker must write the superblock */
	MIRVOL_VOL_STARTED,	/* has a gendisk (not offline) */
	/*
	 * The last superblock update failed (sb_mutex): the in-sync plexes'
	 * superblocks may be behind @generation (mirvol_sb_join_plex()).
	 */
	MIRVOL_VOL_SB_FAILED,
	/* A resync stopped on SOURCE_READ_ERROR: none starts by itself. */
	MIRVOL_VOL_SYNC_STOPPED,
	MIRVOL_VOL_NO_WZ,	/* a plex refused write-zeroes: not offered */
	/*
	 * An internal flush failed on the last in-sync plex, which was kept,
	 * or its device went away and came back: writes acknowledged before
	 * may be lost.  The next user flush or FUA write to complete fails,
	 * and takes the bit (mirvol_cache_lost()).
	 */
	MIRVOL_VOL_FLUSH_LOST,
	/* Being created: name and UUID taken, unseen by lookups and LIST. */
	MIRVOL_VOL_HIDDEN,
	/* Renamed while offline: its start keeps that name (vol->lock). */
	MIRVOL_VOL_RENAMED,
	/*
	 * break-plex's new volume: its disk added empty, its plex moved in
	 * or coming, not started.  Set by mirvol_volume_start_empty(),
	 * cleared by mirvol_volume_fill() or as the disk goes; under
	 * vol->lock, which mirvol_release_dead() holds; mirvol_open()
	 * reads it without (an open racing the fill fails, or finds the
	 * plex's queue limits: they are set before).
	 */
	MIRVOL_VOL_UNFILLED,
};

/**
 * struct mirvol_volume - a mirrored volume
 * @node: entry in mirvol_volumes (mirvol_mutex)
 * @ref: references: the registry, the gendisk, operations, lookups
 * @seq: registration order: two volume locks are taken lower @seq first
 * @uuid: volume UUID
 * @name: volume name; written under mirvol_mutex and state_lock
 * @id: N of /dev/mirvolN, -1 while offline (mirvol_mutex)
 * @disk: the gendisk, NULL while offline; cleared under state_lock by a
 *	start that fails (mirvol_uevent() takes it under state_lock)
 * @size: sectors
 * @ctime: creation time, seconds
 * @lock: configuration lock, see the top of this file
 * @sb_mutex: superblock lock, see the top of this file
 * @state_lock: plex/volume states, @name, @deferred
 * @state: enum mirvol_volume_state (state_lock)
 * @io_mask: the disk's logical block size - 1, bytes: a data bio whose
 *	start or size has one of these bits set fails, sent to no plex
 *	(mirvol_bio_misaligned()).  Written with the limits (the disk's
 *	creation, mirvol_volume_restack(), I/O suspended); read locklessly
 *	by the I/O path, which checks again once it holds @io_ref
 * @plexes: plex table by slot; changes only with I/O suspended, under
 *	@lock and @sb_mutex
 * @nr_plexes: non-NULL entries in @plexes
 * @nr_slots: 1 + the highest slot in use in @plexes, 0 if none: the I/O
 *	path's loops over @plexes stop there; changes with @plexes
 * @generation: current metadata generation (sb_mutex)
 * @sb_plexes: the slots the newest superblock on disk lists as holding
 *	the data (active or syncing); all until the first update.  A write
 *	that one of them did not take is acknowledged only once one that
 *	does not list it is on disk.  Written after that update, under
 *	@sb_mutex; read locklessly by write completions
 * @resync_offset: volume-wide checkpoint of a dirty resync (sb_mutex)
 * @io_ref: I/O in flight through the volume; killed to suspend
 * @noio_flags: what memalloc_noio_save() returned when mirvol_suspend_io()
 *	held the volume's I/O, for mirvol_resume_io() to restore (@lock)
 * @wait: suspend/resume, dirty mark, io_ref release
 * @flags: MIRVOL_VOL_* atomic bits
 * @barrier: region locking between resync and writes
 * @bs: bio_set for clones, with struct mirvol_clone as front pad
 * @split_bs: bio_set for splitting writes at barrier unit boundaries
 * @sync_bs: bio_set of the running resync, check or repair operation
 * @repair_bs: bio_set of @repair_work
 * @meta_bs: bio_set of superblock updates (sb_mutex)
 * @io_pool: struct mirvol_io for writes
 * @deferred: write contexts whose completion waits for a superblock
 *	write recording a plex failure (state_lock)
 * @worker: superblock updates, uevents, deferred completions
 * @release_work: releases devices of plexes that went away
 * @retry_work: resubmits failed reads to another plex
 * @retry_list: failed read clones (state_lock)
 * @repair_work: rewrites good data over plexes that failed a read
 * @repairs: struct mirvol_repair waiting for @repair_work (state_lock)
 * @safe_mode_work: marks the volume clean after writes stop; queued by
 *	the volume's own works, or under @lock while not MIRVOL_VOL_DEAD
 *	(the teardown cancels it once dead, before it puts the gendisk)
 * @safe_mode_writes: write count seen at the last safe-mode check; only
 *	@safe_mode_work touches it, and a work item never runs concurrently
 *	with itself: no lock
 * @safe_mode_delay_ms: idle time before marking clean (sysfs)
 * @sync_rewound: slots whose checkpoint mirvol_rewind_unsynced() or
 *	mirvol_rewind_syncing() moved back since the resync last read it:
 *	the resync must not advance it over the rewind (state_lock)
 * @sync_rewinds: calls of mirvol_rewind_syncing(), so that the undo of a
 *	failed change does not put a plex back as it was before one
 *	(@sb_mutex)
 * @dirty_failures: dirty marks that did not reach the in-sync plexes;
 *	written by the worker under @sb_mutex, read by the writers that
 *	wait for the mark (mirvol_wait_dirty())
 * @op: the running configuration operation, or NULL (@lock)
 * @op_id: its id, 0 if none; readable without @lock
 * @resync_source: slot the next resync copies from (after an unclean
 *	shutdown), or -1 for any in-sync plex (@lock)
 * @sync_speed_min: resync floor, KiB/s (sysfs); written under
 *	@speed_lock, read locklessly
 * @sync_speed_max: resync ceiling, KiB/s (sysfs); likewise
 * @sync_speed_min_writes: sysfs writes of @sync_speed_min (@speed_lock):
 *	a failed SET_VOLUME puts back only a speed nobody wrote since it
 *	applied its own (mirvol_volume_restore_speeds())
 * @sync_speed_max_writes: the same for @sync_speed_max
 * @speed_lock: the running speeds' writers; innermost, never held across
 *	I/O (a sysfs write must not wait for a superblock update)
 * @sync_speed: current resync speed, KiB/s
 * @mismatch_sectors: sectors the last check or repair found differing
 * @kobj: sysfs "mirvol" directory under the disk, NULL while offline
 * @event_pending: uevent reasons waiting for the worker (state_lock)
 * @bitmap: the write-intent bitmap, or NULL; changes only with I/O
 *	suspended, under @lock and @sb_mutex, its works stopped
 * @bitmap_dirty_max: the bitmap's budget: while writes go on, idle
 *	regions are cleared only when more than this many are set; 0
 *	clears every idle region every period (sysfs)
 * @bitmap_writes: bitmap pages the set and clear works wrote (each page
 *	write to every writable plex counts once), for every bitmap of
 *	the volume since it was created (sysfs)
 * @split_peer: break-plex --track-changes: the volume split from or into
 *	this one, else zero (@sb_mutex)
 * @split_generation: this volume's generation at that split, 0 if none
 *	(@sb_mutex; read locklessly by the bitmap's clearer)
 * @speed_min_stored: resync floor recorded in the superblocks, KiB/s, 0
 *	for the module default (@sb_mutex)
 * @speed_max_stored: resync ceiling recorded likewise
 * @start_generation: the generation of the superblock the volume was
 *	assembled from, 0 if it was created (@sb_mutex)
 */
struct mirvol_volume {
	struct list_head node;
	struct kref ref;
	u64 seq;
	uuid_t uuid;
	char name[MIRVOL_NAME_LEN];
	int id;
	struct gendisk *disk;
	sector_t size;
	u64 ctime;

	struct mutex lock;
	struct mutex sb_mutex;
	spinlock_t state_lock;
	unsigned int state;
	unsigned int io_mask;

	struct mirvol_plex *plexes[MIRVOL_MAX_PLEXES];
	unsigned int nr_plexes;
	unsigned int nr_slots;
	u64 generation;
	unsigned long sb_plexes;
	sector_t resync_offset;

	struct percpu_ref io_ref;
	unsigned int noio_flags;
	wait_queue_head_t wait;
	unsigned long flags;
	struct mirvol_barrier barrier;

	struct bio_set bs;
	struct bio_set split_bs;
	struct bio_set sync_bs;
	struct bio_set repair_bs;
	struct bio_set meta_bs;
	mempool_t io_pool;

	struct list_head deferred;
	struct work_struct worker;
	struct work_struct release_work;
	struct work_struct retry_work;
	struct bio_list retry_list;
	struct work_struct repair_work;
	struct list_head repairs;
	struct delayed_work safe_mode_work;
	unsigned long safe_mode_writes;
	unsigned int safe_mode_delay_ms;
	unsigned int dirty_failures;
	unsigned int sync_rewinds;
	u8 sync_rewound;

	struct mirvol_operation *op;
	u64 op_id;
	int resync_source;
	unsigned int sync_speed_min;
	unsigned int sync_speed_max;
	unsigned int sync_speed_min_writes;
	unsigned int sync_speed_max_writes;
	spinlock_t speed_lock;
	unsigned int sync_speed;
	u64 mismatch_sectors;

	struct kobject *kobj;
	unsigned long event_pending;

	struct mirvol_bitmap *bitmap;
	unsigned int bitmap_dirty_max;
	atomic64_t bitmap_writes;
	uuid_t split_peer;
	u64 split_generation;
	unsigned int speed_min_stored;
	unsigned int speed_max_stored;
	u64 start_generation;
};

/* event_pending bits: what the worker reports in a KOBJ_CHANGE uevent */
enum {
	MIRVOL_EV_STATE,	/* volume or plex state changed */
};

/**
 * struct mirvol_repair - a range to rewrite on plexes that failed to read it
 * @list: on volume->repairs
 * @sector: first sector
 * @sectors: length
 * @targets: the plexes (bit per slot)
 * @probe: each target failed the range in places only: find which
 *	(mirvol_repair_work())
 * @uuid: per target slot, the plex it was queued for: a slot emptied and
 *	filled again before the repair runs holds another plex, which the
 *	repair leaves alone (mirvol_repair_targets())
 */
struct mirvol_repair {
	struct list_head list;
	sector_t sector;
	sector_t sectors;
	u8 targets;
	bool probe;
	uuid_t uuid[MIRVOL_MAX_PLEXES];
};

/**
 * struct mirvol_io - a write in flight, fanned out to every writable plex
 * @vol: the volume
 * @bio: the caller's bio
 * @start: bio_start_io_acct() time
 * @remaining: clones in flight, plus one while submitting
 * @ok_in_sync: the plexes in sync when it was sent that took it (atomic
 *	bits per slot); it succeeds if one of them is still in sync when it
 *	completes (mirvol_write_in_sync())
 * @done: the plexes that took it, or refused it without failing
 *	(discard, write-zeroes) (atomic bits per slot)
 * @failed: a clone failed (its plex is now failed)
 * @sent: the plexes it was sent to (bit per slot)
 * @no_wz: write-zeroes: the plexes that refused it (atomic bits)
 * @status: the first error status seen
 * @barrier: the barrier bucket held, or -1
 * @bm_start: first sector it marked in the write-intent bitmap
 * @bm_end: sector after the last; equal to @bm_start when none
 * @list: on volume->deferred
 */
struct mirvol_io {
	struct mirvol_volume *vol;
	struct bio *bio;
	unsigned long start;
	atomic_t remaining;
	unsigned long ok_in_sync;
	unsigned long done;
	bool failed;
	u8 sent;
	unsigned long no_wz;
	blk_status_t status;
	int barrier;
	sector_t bm_start;
	sector_t bm_end;
	struct list_head list;
};

/**
 * struct mirvol_clone - per-clone context, the front pad of volume->bs
 * @io: the write this clone belongs to (writes)
 * @orig: the caller's bio (reads)
 * @plex: the plex the clone goes to
 * @start: bio_start_io_acct() time (reads)
 * @issued: when it was sent, ns (reads: read balancing's service time);
 *	0 when there was no plex to choose from (not timed)
 * @tried: plex slots tried so far (reads; a salvage: on this block)
 * @in_sync: the plex was in sync at submission (writes)
 * @cand: a salvage's candidates: the plexes that failed the whole read
 * @last: a salvage's slot to try first: the last that read a block
 * @block: a salvage's block of @orig (mirvol_salvage_step())
 * @bio: the clone; must be last
 */
struct mirvol_clone {
	struct mirvol_io *io;
	struct bio *orig;
	struct mirvol_plex *plex;
	unsigned long start;
	unsigned long issued;
	u8 tried;
	bool in_sync;
	u8 cand;
	u8 last;
	u32 block;
	struct bio bio;
};

/**
 * struct mirvol_op_kind - an operation type, as the framework sees it
 * @type: enum mirvol_op_type
 * @cancellable: OP_CANCEL may stop it
 * @run: its work, on mirvol_op_wq; ends with mirvol_op_finish()
 * @release: frees the type's struct and what it holds
 */
struct mirvol_op_kind {
	unsigned int type;
	bool cancellable;
	void (*run)(struct mirvol_operation *op);
	void (*release)(struct mirvol_operation *op);
};

/**
 * struct mirvol_operation - an asynchronous operation (mirvol_ops.c)
 * @ref: references: the creator, the table, the work, lookups
 * @kind: its type
 * @node: entry in the operation table (mirvol_ops_lock)
 * @id: operation id, set when reserved
 * @state: enum mirvol_op_state (mirvol_ops_lock)
 * @reason: enum mirvol_reason once ended
 * @stop: reason asked to stop (OPERATION_CANCELED, OBJECT_DELETED), or 0
 * @committed: its work was queued (vol->lock)
 * @final: past its point of no return (mirvol_op_enter_final()): too late
 *	to cancel (mirvol_ops_lock)
 * @vol: the volume, referenced until the operation ends (NULL after)
 * @vol_uuid: the volume's UUID, kept after the end
 * @work: runs @kind->run on mirvol_op_wq
 * @start: start time
 * @end: end time
 * @done: progress, bytes
 * @total: progress, bytes in all
 * @nr_outputs: entries in @outputs
 * @outputs: UUIDs produced
 * @bad_offset: resync, check, repair: first sector no plex could read
 * @bad_sectors: its length, 0 for none
 * @lost_sectors: resync --force: sectors written as zeros
 * @mismatch_sectors: check, repair: sectors found differing
 * @unreadable_sectors: check, repair: sectors no plex could read
 */
struct mirvol_operation {
	struct kref ref;
	const struct mirvol_op_kind *kind;
	struct list_head node;
	u64 id;
	unsigned int state;
	enum mirvol_reason reason;
	enum mirvol_reason stop;
	bool committed;
	bool final;
	struct mirvol_volume *vol;
	uuid_t vol_uuid;
	struct work_struct work;
	ktime_t start;
	ktime_t end;
	u64 done;
	u64 total;
	unsigned int nr_outputs;
	uuid_t outputs[MIRVOL_MAX_PLEXES];
	u64 bad_offset;
	u64 bad_sectors;
	u64 lost_sectors;
	u64 mismatch_sectors;
	u64 unreadable_sectors;
};

/* Module-wide state and the registry (mirvol_main.c). */
extern struct workqueue_struct *mirvol_wq;
extern struct workqueue_struct *mirvol_io_wq;
extern struct workqueue_struct *mirvol_op_wq;
extern int mirvol_major;
extern unsigned int mirvol_sync_speed_min;
extern unsigned int mirvol_sync_speed_max;
extern unsigned int mirvol_safe_mode_delay_ms;
extern unsigned int mirvol_bitmap_dirty_max;
extern unsigned int mirvol_max_read_errors;
void mirvol_race_window(void);

enum mirvol_reason mirvol_register(struct mirvol_volume *vol, bool hidden,
				   struct mirvol_volume **existing);
void mirvol_unregister(struct mirvol_volume *vol);
int mirvol_wait_unlisted(struct mirvol_volume *vol);
void mirvol_unhide(struct mirvol_volume *vol);
enum mirvol_reason mirvol_rename(struct mirvol_volume *vol,
				 const char *name);
struct mirvol_volume *mirvol_lookup(const u8 *uuid);
unsigned int mirvol_list(u8 *uuids, unsigned int capacity);
struct mirvol_plex *mirvol_find_devt(dev_t devt,
				     struct mirvol_volume **volp);
typedef void (*mirvol_volume_fn)(struct mirvol_volume *vol);
void mirvol_visit_volumes(mirvol_volume_fn fn);

/* mirvol_plex.c */
struct mirvol_plex *mirvol_plex_alloc(void);
enum mirvol_reason mirvol_plex_open(struct mirvol_plex *plex, dev_t devt);
void mirvol_plex_close(struct mirvol_plex *plex);
void mirvol_plex_get(struct mirvol_plex *plex);
void mirvol_plex_put(struct mirvol_plex *plex);
void mirvol_plex_link(struct mirvol_plex *plex, struct gendisk *disk);
void mirvol_plex_unlink(struct mirvol_plex *plex, struct gendisk *disk);
bool mirvol_stacked_on(struct gendisk *top, struct gendisk *bottom);
enum mirvol_reason mirvol_errno_reason(int err);

/* mirvol_volume.c */
struct mirvol_volume *mirvol_volume_alloc(const char *name, const uuid_t *uuid);
void mirvol_volume_get(struct mirvol_volume *vol);
void mirvol_volume_put(struct mirvol_volume *vol);
void mirvol_lock_two(struct mirvol_volume *a, struct mirvol_volume *b);
void mirvol_unlock_two(struct mirvol_volume *a, struct mirvol_volume *b);
struct mirvol_plex *mirvol_plex_find(struct mirvol_volume *vol,
				     const u8 *uuid);
enum mirvol_reason mirvol_volume_start(struct mirvol_volume *vol);
enum mirvol_reason mirvol_volume_start_empty(struct mirvol_volume *vol);
void mirvol_volume_fill(struct mirvol_volume *vol);
void mirvol_split_peer_gone(const uuid_t *gone, const uuid_t *peer_uuid);
enum mirvol_reason mirvol_volume_teardown(struct mirvol_volume *vol,
					  bool erase);
enum mirvol_reason mirvol_volume_kill(struct mirvol_volume *vol,
				      bool need_closed);
void mirvol_volume_destroy_take(struct mirvol_volume *vol,
				struct mirvol_plex **taken, unsigned int *nr);
void mirvol_volume_destroy(struct mirvol_volume *vol, bool erase);
int mirvol_volume_restack(struct mirvol_volume *vol);
void mirvol_suspend_io(struct mirvol_volume *vol);
void mirvol_resume_io(struct mirvol_volume *vol);
void mirvol_set_plex_state(struct mirvol_plex *plex, unsigned int state);
bool mirvol_promote_plex(struct mirvol_plex *plex);
void mirvol_update_state(struct mirvol_volume *vol);
void mirvol_plex_error(struct mirvol_plex *plex, bool write);
void mirvol_plex_read_corrected(struct mirvol_plex *plex);
unsigned int mirvol_plex_read_errors(struct mirvol_plex *plex);
void mirvol_plex_mark_dead(struct block_device *bdev, bool surprise);
void mirvol_uevent(struct mirvol_volume *vol, const char *event,
		   const char *extra1, const char *extra2);
void mirvol_volume_worker(struct work_struct *work);
void mirvol_volume_idle(struct mirvol_volume *vol);
/**
 * struct mirvol_speeds - running resync speeds a SET_VOLUME replaced
 * @min: sync_speed_min then
 * @max: sync_speed_max then
 * @min_writes: sync_speed_min_writes then
 * @max_writes: sync_speed_max_writes then
 */
struct mirvol_speeds {
	unsigned int min;
	unsigned int max;
	unsigned int min_writes;
	unsigned int max_writes;
};

void mirvol_volume_apply_speeds(struct mirvol_volume *vol,
				struct mirvol_speeds *old);
void mirvol_volume_restore_speeds(struct mirvol_volume *vol,
				  const struct mirvol_speeds *old);
enum mirvol_reason mirvol_volume_create(const char *name, struct file **files,
					unsigned int nr, u32 flags, u64 *region,
					u64 *op_id, char *name_out,
					struct mirvol_volume **out);
enum mirvol_reason mirvol_attach_plex(struct mirvol_volume *vol,
				      struct mirvol_plex *plex);
void mirvol_attach_plex_finish(struct mirvol_volume *vol,
			       struct mirvol_plex *plex);
void mirvol_detach_plex(struct mirvol_volume *vol, struct mirvol_plex *plex);
enum mirvol_reason mirvol_attach_plex_held(struct mirvol_volume *vol,
					   struct mirvol_plex *plex);
void mirvol_detach_plex_held(struct mirvol_volume *vol,
			     struct mirvol_plex *plex);
void mirvol_detach_plex_finish(struct mirvol_volume *vol,
			       struct mirvol_plex *plex);
enum mirvol_reason mirvol_check_device(struct file *file, dev_t *devt);
enum mirvol_reason mirvol_check_member(struct mirvol_volume *vol,
				       struct mirvol_plex *plex);
int mirvol_free_slot(struct mirvol_volume *vol,
		     struct mirvol_plex **displaced);
void mirvol_rules_snapshot(struct mirvol_volume *vol,
			   struct mirvol_rule_vol *rv);

/* mirvol_io.c */
void mirvol_submit_bio(struct bio *bio);
/**
 * mirvol_io_enter - take a reference on the volume's I/O
 * @vol: the volume
 *
 * Waits while I/O is suspended (configuration changes, safe mode).
 * Inline: every read and write takes one.
 * Context: may sleep.
 */
static inline void mirvol_io_enter(struct mirvol_volume *vol)
{
	while (!percpu_ref_tryget_live(&vol->io_ref))
		wait_event(vol->wait,
			   !test_bit(MIRVOL_VOL_SUSPENDED, &vol->flags));
}

/**
 * mirvol_io_enter_live - mirvol_io_enter() unless the volume is torn down
 * @vol: the volume
 *
 * For the volume's own works, which its teardown flushes after holding
 * its I/O for good (__mirvol_volume_destroy()): one waiting there for a
 * resume would wait forever, and the teardown with it.  MIRVOL_VOL_DEAD
 * is set before that hold, and never inside a suspension window (both
 * under vol->lock).
 * Context: may sleep.
 * Return: true with a reference; false when the volume is being torn
 * down and its I/O no longer flows.
 */
static inline bool mirvol_io_enter_live(struct mirvol_volume *vol)
{
	while (!percpu_ref_tryget_live(&vol->io_ref)) {
		if (test_bit(MIRVOL_VOL_DEAD, &vol->flags))
			return false;
		wait_event(vol->wait,
			   !test_bit(MIRVOL_VOL_SUSPENDED, &vol->flags) ||
			   test_bit(MIRVOL_VOL_DEAD, &vol->flags));
	}
	return true;
}

static inline void mirvol_io_exit(struct mirvol_volume *vol)
{
	percpu_ref_put(&vol->io_ref);
}

void mirvol_read_retry_work(struct work_struct *work);
void mirvol_write_zero_fill(struct mirvol_io *io);
void mirvol_rewind_unsynced(struct mirvol_io *io);
u8 mirvol_rewind_syncing(struct mirvol_volume *vol);
void mirvol_cache_lost(struct mirvol_volume *vol, struct mirvol_plex *plex,
		       bool back);
void mirvol_plex_flush_failed(struct mirvol_volume *vol,
			      struct mirvol_plex *plex);
void mirvol_complete_deferred(struct mirvol_volume *vol,
			      struct list_head *list, bool sb_ok);
int mirvol_flush_plexes(struct mirvol_volume *vol);
u8 mirvol_repair_targets(struct mirvol_volume *vol,
			 const struct mirvol_repair *r);
struct mirvol_plex *mirvol_syncing_covers(struct mirvol_volume *vol,
					  sector_t end, u8 skip);
void mirvol_queue_repair(struct mirvol_volume *vol, sector_t sector,
			 sector_t sectors, u8 targets, bool probe, gfp_t gfp);

/**
 * struct mirvol_batch - bios submitted together and waited for together
 * @pending: bios in flight, plus one until mirvol_batch_wait()
 * @done: completed when the last one ends
 */
struct mirvol_batch {
	atomic_t pending;
	struct completion done;
};

/* The metadata head: 4 KiB of signature space, then the two slots. */
#define MIRVOL_META_HEAD_PAGES	(1 + MIRVOL_SB_SLOTS)

/**
 * struct mirvol_meta_copy - a device's metadata that a join writes over
 * @pages: the head's MIRVOL_META_HEAD_PAGES pages, then the pages of the
 *	bitmap area the join writes (MIRVOL_SB_SLOT_SIZE bytes of each)
 * @nr: entries in @pages
 */
struct mirvol_meta_copy {
	struct page **pages;
	unsigned int nr;
};

/* mirvol_sb.c */
void mirvol_batch_init(struct mirvol_batch *b);
void mirvol_batch_submit(struct mirvol_batch *b, struct bio *bio,
			 struct mirvol_plex *plex);
void mirvol_batch_wait(struct mirvol_batch *b);
int mirvol_sb_read_dev(struct block_device *bdev, struct mirvol_md *md,
		       enum mirvol_reason *reason);
int mirvol_sb_update(struct mirvol_volume *vol);
void mirvol_volume_md(struct mirvol_volume *vol, struct mirvol_md *md);
int mirvol_sb_update_locked(struct mirvol_volume *vol);
void mirvol_sb_flush_syncing(struct mirvol_volume *vol, u8 slots);
int mirvol_sb_wipe(struct mirvol_plex *plex);
enum mirvol_reason mirvol_sb_erase(struct mirvol_volume *vol,
				   struct mirvol_plex *plex, const char *what);
int mirvol_sb_init_plex(struct mirvol_volume *vol, struct mirvol_plex *plex);
int mirvol_sb_join_plex(struct mirvol_volume *vol, struct mirvol_plex *plex);
int mirvol_sb_catch_up(struct mirvol_volume *vol);
void mirvol_sb_mark_offline(struct mirvol_volume *vol,
			    struct mirvol_plex *plex);
int mirvol_sb_save_meta(struct mirvol_volume *vol, struct mirvol_plex *plex,
			struct mirvol_meta_copy *mc);
int mirvol_sb_restore_meta(struct mirvol_plex *plex,
			   struct mirvol_meta_copy *mc);
void mirvol_sb_free_meta(struct mirvol_meta_copy *mc);
int mirvol_sync_rw(struct block_device *bdev, blk_opf_t opf, sector_t sector,
		   struct page **pages, unsigned int nr_pages);

/* mirvol_ops.c: the framework */
void mirvol_op_init(struct mirvol_operation *op,
		    const struct mirvol_op_kind *kind, struct mirvol_volume *vol);
enum mirvol_reason mirvol_op_reserve(struct mirvol_operation *op);
void mirvol_op_commit(struct mirvol_operation *op);
void mirvol_op_end(struct mirvol_operation *op, enum mirvol_reason reason);
void mirvol_op_finish(struct mirvol_operation *op, enum mirvol_reason reason);
void mirvol_op_get(struct mirvol_operation *op);
void mirvol_op_put(struct mirvol_operation *op);
struct mirvol_operation *mirvol_op_get_by_id(u64 id);
void mirvol_op_fill(struct mirvol_operation *op, struct mirvol_op_info *info);
enum mirvol_reason mirvol_op_wait(u64 id, unsigned int timeout_ms,
				  struct mirvol_op_info *info);
enum mirvol_reason mirvol_op_cancel(u64 id, struct mirvol_op_info *info);
void mirvol_op_abort(struct mirvol_volume *vol, enum mirvol_reason reason);
bool mirvol_op_enter_final(struct mirvol_operation *op);
bool mirvol_op_refuse_cancel(struct mirvol_operation *op);
bool mirvol_op_should_stop(struct mirvol_operation *op);
enum mirvol_reason mirvol_op_stop_reason(struct mirvol_operation *op);
void mirvol_op_sleep(struct mirvol_operation *op, unsigned int ms);
void mirvol_op_set_progress(struct mirvol_operation *op, u64 done, u64 total);
void mirvol_op_add_output(struct mirvol_operation *op, const uuid_t *uuid);
unsigned int mirvol_op_list(u64 *ids, unsigned int cap);
void mirvol_ops_exit(void);

/* mirvol_add.c */
enum mirvol_reason mirvol_replace_plex(struct mirvol_volume *vol,
				       const u8 *old_uuid, struct file *file,
				       u64 *op_id);
enum mirvol_reason mirvol_add_plex(struct mirvol_volume *vol,
				   struct file *file,
				   struct mirvol_volume *src, bool merge,
				   u64 *op_id);
enum mirvol_reason mirvol_add_plex_check(struct mirvol_volume *vol,
					 struct file *file);

/* mirvol_break.c */
enum mirvol_reason mirvol_break_plex(struct mirvol_volume *vol,
				     const u8 *plex_uuid,
				     const char *new_name, bool track,
				     uuid_t *new_uuid, char *name_out,
				     u64 *op_id);
enum mirvol_reason mirvol_remove_plex(struct mirvol_volume *vol,
				      const u8 *plex_uuid, u64 *op_id);

/* mirvol_resync.c */
u64 mirvol_resync_if_needed(struct mirvol_volume *vol);
enum mirvol_reason mirvol_resync_start(struct mirvol_volume *vol, bool force,
				       u64 *op_id);
int mirvol_resync_run(struct mirvol_operation *op, struct mirvol_volume *vol,
		      int source, bool force, u8 *own,
		      enum mirvol_reason *reason);
void mirvol_repair_work(struct work_struct *work);

/* mirvol_scrub.c */
enum mirvol_reason mirvol_scrub_start(struct mirvol_volume *vol, bool repair,
				      const u8 *source_uuid, u64 *op_id);

/* mirvol_assemble.c */
enum mirvol_reason mirvol_readd_missing(struct mirvol_volume *vol,
					const u8 *plex_uuid, int fd,
					u64 *op_id);

/* mirvol_maint.c */
enum mirvol_reason mirvol_plex_action(struct mirvol_volume *vol,
				      const u8 *plex_uuid, unsigned int action,
				      int fd, u64 *op_id);
enum mirvol_reason mirvol_set_volume(struct mirvol_volume *vol,
				     const struct mirvol_set_volume *sv);
enum mirvol_reason mirvol_set_plex(struct mirvol_volume *vol,
				   const u8 *plex_uuid, u32 flags);
enum mirvol_reason mirvol_volume_rename(struct mirvol_volume *vol,
					const char *name);

/*
 * Internal ASSEMBLE flag (the ioctl refuses it): re-add, a failed member
 * may rejoin its running volume.
 */
#define MIRVOL_ASSEMBLE_F_READD		(1U << 31)

enum mirvol_reason mirvol_assemble(struct mirvol_assemble_member *members,
				   unsigned int nr, u32 flags,
				   struct mirvol_assemble *reply);

/* mirvol_sysfs.c */
int mirvol_sysfs_add(struct mirvol_volume *vol);
void mirvol_sysfs_del(struct mirvol_volume *vol);
int mirvol_sysfs_add_plex(struct mirvol_volume *vol, struct mirvol_plex *plex);
void mirvol_sysfs_del_plex(struct mirvol_plex *plex);

/* mirvol_ctl.c */
int mirvol_ctl_init(void);
void mirvol_ctl_uevent(char **envp);
void mirvol_ctl_exit(void);

#if IS_ENABLED(CONFIG_MIRVOL_KUNIT_TEST)
void mirvol_reboot_one(struct mirvol_volume *vol);
enum mirvol_reason mirvol_ctl_create_files(struct mirvol_create *c,
					   struct file **files);
blk_status_t mirvol_inject(struct mirvol_plex *plex, struct bio *bio);
unsigned int mirvol_kunit_nr_held(void);
unsigned int mirvol_kunit_end_held(blk_status_t status);
#else
/* KUnit fault injection: the status this I/O to @plex must fail with. */
static inline blk_status_t mirvol_inject(struct mirvol_plex *plex,
					 struct bio *bio)
{
	return BLK_STS_OK;
}
#endif

static inline struct mirvol_clone *mirvol_clone_of(struct bio *bio)
{
	return container_of(bio, struct mirvol_clone, bio);
}

#endif /* _MIRVOL_CORE_H */
