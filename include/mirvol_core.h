/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mirvol internal definitions: volumes, plexes, I/O contexts, operations.
 *
 * Objects and their locks (outermost first):
 *
 *   mirvol_mutex        the volume list, names, ids (mirvol_main.c)
 *   volume->lock        a volume's configuration: the plex array, the
 *                       running operation, suspend/resume, gendisk life
 *   volume->sb_mutex    superblock generation and writes; also taken to
 *                       change the plex array, so that a superblock write
 *                       sees a stable array without volume->lock (the
 *                       I/O error path writes superblocks and must never
 *                       wait for volume->lock, whose holder may be
 *                       draining that very I/O)
 *   volume->state_lock  spinlock, irq-safe: plex and volume states, name
 *                       for readers, error and deferred-completion lists
 *   mirvol_ops_lock     the operation table (mirvol_ops.c)
 *
 * The I/O path takes none of the mutexes: it reads plex states with
 * READ_ONCE() and the plex array, which only changes while I/O is
 * suspended (volume->io_ref drained).
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
};

/**
 * struct mirvol_plex - one leg of a volume
 * @vol: the owning volume; changes only when the plex moves between
 *	volumes (break-plex, add-plex --from-volume), under both volumes'
 *	sb_mutex with I/O suspended
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
 * @gone_generation: generation at which it left the in-sync set
 * @nr_pending: I/O in flight on this plex (read balancing)
 * @head: sector after the last I/O issued (read balancing)
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
 */
struct mirvol_plex {
	struct mirvol_volume *vol;
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
#endif
};

/* plex->inject bits (KUnit fault injection) */
#define MIRVOL_INJECT_READ	BIT(0)	/* every read fails */
#define MIRVOL_INJECT_WRITE	BIT(1)	/* every write and flush fails */
#define MIRVOL_INJECT_NO_WZ	BIT(2)	/* write-zeroes: BLK_STS_NOTSUPP */

/* volume->flags: atomic bits */
enum {
	MIRVOL_VOL_SUSPENDED,	/* new I/O waits in mirvol_io_enter() */
	MIRVOL_VOL_DEAD,	/* being removed/stopped: no opens, no ops */
	MIRVOL_VOL_DIRTY,	/* marked dirty on disk */
	MIRVOL_VOL_DIRTY_REQ,	/* a writer waits for the dirty mark */
	MIRVOL_VOL_SB_REQ,	/* the worker must write the superblock */
	MIRVOL_VOL_STARTED,	/* has a gendisk (not offline) */
	MIRVOL_VOL_SB_FAILED,	/* no plex accepted the last superblock */
	/* A resync stopped on SOURCE_READ_ERROR: none starts by itself. */
	MIRVOL_VOL_SYNC_STOPPED,
	MIRVOL_VOL_NO_WZ,	/* a plex refused write-zeroes: not offered */
};

/**
 * struct mirvol_volume - a mirrored volume
 * @node: entry in mirvol_volumes (mirvol_mutex)
 * @ref: references: the list, the gendisk, lookups in flight
 * @uuid: volume UUID
 * @name: volume name; written under mirvol_mutex and state_lock
 * @id: N of /dev/mirvolN, -1 while offline (mirvol_mutex)
 * @disk: the gendisk, NULL while offline
 * @size: sectors
 * @ctime: creation time, seconds
 * @lock: configuration lock, see the top of this file
 * @sb_mutex: superblock lock, see the top of this file
 * @state_lock: plex/volume states, @name, @deferred
 * @state: enum mirvol_volume_state (state_lock)
 * @plexes: plex table by slot; changes only with I/O suspended, under
 *	@lock and @sb_mutex
 * @nr_plexes: non-NULL entries in @plexes
 * @generation: current metadata generation (sb_mutex)
 * @resync_offset: volume-wide checkpoint of a dirty resync (sb_mutex)
 * @io_ref: I/O in flight through the volume; killed to suspend
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
 * @safe_mode_work: marks the volume clean after writes stop
 * @safe_mode_writes: write count seen at the last safe-mode check
 * @safe_mode_delay_ms: idle time before marking clean (sysfs)
 * @op: the running configuration operation, or NULL (@lock)
 * @op_id: its id, 0 if none; readable without @lock
 * @resync_source: slot the next resync copies from (after an unclean
 *	shutdown), or -1 for any in-sync plex (@lock)
 * @sync_speed_min: resync floor, KiB/s (sysfs)
 * @sync_speed_max: resync ceiling, KiB/s (sysfs)
 * @sync_speed: current resync speed, KiB/s
 * @mismatch_sectors: sectors the last check or repair found differing
 * @kobj: sysfs "mirvol" directory under the disk, NULL while offline
 * @event_pending: uevent reasons waiting for the worker (state_lock)
 */
struct mirvol_volume {
	struct list_head node;
	struct kref ref;
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

	struct mirvol_plex *plexes[MIRVOL_MAX_PLEXES];
	unsigned int nr_plexes;
	u64 generation;
	sector_t resync_offset;

	struct percpu_ref io_ref;
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

	struct mirvol_operation *op;
	u64 op_id;
	int resync_source;
	unsigned int sync_speed_min;
	unsigned int sync_speed_max;
	unsigned int sync_speed;
	u64 mismatch_sectors;

	struct kobject *kobj;
	unsigned long event_pending;
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
 */
struct mirvol_repair {
	struct list_head list;
	sector_t sector;
	sector_t sectors;
	u8 targets;
};

/**
 * struct mirvol_io - a write in flight, fanned out to every writable plex
 * @vol: the volume
 * @bio: the caller's bio
 * @start: bio_start_io_acct() time
 * @remaining: clones in flight, plus one while submitting
 * @ok_in_sync: a clone to an in-sync plex succeeded
 * @failed: a clone failed (its plex is now failed)
 * @sent: the plexes it was sent to (bit per slot)
 * @no_wz: write-zeroes: the plexes that refused it (atomic bits)
 * @status: the first error status seen
 * @barrier: the barrier bucket held, or -1
 * @list: on volume->deferred
 */
struct mirvol_io {
	struct mirvol_volume *vol;
	struct bio *bio;
	unsigned long start;
	atomic_t remaining;
	bool ok_in_sync;
	bool failed;
	u8 sent;
	unsigned long no_wz;
	blk_status_t status;
	int barrier;
	struct list_head list;
};

/**
 * struct mirvol_clone - per-clone context, the front pad of volume->bs
 * @io: the write this clone belongs to (writes)
 * @orig: the caller's bio (reads)
 * @plex: the plex the clone goes to
 * @start: bio_start_io_acct() time (reads)
 * @tried: plex slots tried so far (reads)
 * @in_sync: the plex was in sync at submission (writes)
 * @bio: the clone; must be last
 */
struct mirvol_clone {
	struct mirvol_io *io;
	struct bio *orig;
	struct mirvol_plex *plex;
	unsigned long start;
	u8 tried;
	bool in_sync;
	struct bio bio;
};

/**
 * struct mirvol_operation - an asynchronous operation
 * @ref: references: the table, the running work, lookups
 * @node: entry in mirvol_ops
 * @id: operation id
 * @type: enum mirvol_op_type
 * @state: enum mirvol_op_state (mirvol_ops_lock)
 * @error: negative errno once failed or cancelled
 * @reason: enum mirvol_reason once failed or cancelled
 * @stop: reason asked to stop (OPERATION_CANCELED, OBJECT_DELETED), or 0
 * @cancellable: OP_CANCEL may stop it
 * @vol: the volume, referenced while running
 * @vol_uuid: the volume's UUID, kept after the end
 * @fn: the work
 * @work: runs @fn on mirvol_op_wq
 * @start: start time
 * @end: end time
 * @done: progress, bytes
 * @total: progress, bytes in all
 * @nr_outputs: entries in @outputs
 * @outputs: UUIDs produced
 * @plex: break-plex, remove-plex: the plex
 * @new_plexes: add-plex: the plexes added
 * @nr_new: add-plex: how many
 * @source: resync: slot to copy from, or -1 for any in-sync plex;
 *	repair: the slot whose data wins, or -1 for the lowest in-sync one
 * @force: resync: write zeros where no plex can read (SYNC_F_FORCE)
 * @bad_offset: SOURCE_READ_ERROR or force: first unreadable sector
 * @bad_sectors: its length, 0 for none
 * @lost_sectors: force: sectors written as zeros
 * @mismatch_sectors: check, repair: sectors found differing
 * @new_name: break-plex: the new volume's name
 * @new_uuid: break-plex: the new volume's UUID
 */
struct mirvol_operation {
	struct kref ref;
	struct list_head node;
	u64 id;
	unsigned int type;
	unsigned int state;
	int error;
	enum mirvol_reason reason;
	enum mirvol_reason stop;
	bool cancellable;
	struct mirvol_volume *vol;
	uuid_t vol_uuid;
	void (*fn)(struct mirvol_operation *op);
	struct work_struct work;
	ktime_t start;
	ktime_t end;
	u64 done;
	u64 total;
	unsigned int nr_outputs;
	uuid_t outputs[MIRVOL_MAX_PLEXES];
	struct mirvol_plex *plex;
	struct mirvol_plex *new_plexes[MIRVOL_MAX_PLEXES];
	unsigned int nr_new;
	int source;
	bool force;
	u64 bad_offset;
	u64 bad_sectors;
	u64 lost_sectors;
	u64 mismatch_sectors;
	char new_name[MIRVOL_NAME_LEN];
	uuid_t new_uuid;
};

/* Module-wide state (mirvol_main.c). */
extern struct mutex mirvol_mutex;
extern struct list_head mirvol_volumes;
extern struct workqueue_struct *mirvol_wq;
extern struct workqueue_struct *mirvol_op_wq;
extern int mirvol_major;
extern unsigned int mirvol_sync_speed_min;
extern unsigned int mirvol_sync_speed_max;
extern unsigned int mirvol_safe_mode_delay_ms;
extern unsigned int mirvol_max_read_errors;

/* mirvol_volume.c */
struct mirvol_volume *mirvol_volume_alloc(const char *name, const uuid_t *uuid);
void mirvol_volume_get(struct mirvol_volume *vol);
void mirvol_volume_put(struct mirvol_volume *vol);
struct mirvol_volume *mirvol_volume_find(const u8 *uuid);
struct mirvol_volume *mirvol_volume_find_name(const char *name);
struct mirvol_volume *mirvol_volume_lookup(const u8 *uuid);
bool mirvol_name_taken(const char *name, const struct mirvol_volume *except);
struct mirvol_plex *mirvol_plex_open(struct mirvol_volume *vol, dev_t devt,
				     enum mirvol_reason *reason);
void mirvol_plex_release(struct mirvol_plex *plex);
void mirvol_plex_free(struct mirvol_plex *plex);
struct mirvol_plex *mirvol_plex_find(struct mirvol_volume *vol,
				     const u8 *uuid);
int mirvol_volume_start(struct mirvol_volume *vol);
int mirvol_volume_teardown(struct mirvol_volume *vol, bool erase,
			   enum mirvol_reason *reason);
void mirvol_volume_teardown_take(struct mirvol_volume *vol,
				 struct mirvol_plex **taken, unsigned int *nr);
int mirvol_volume_restack(struct mirvol_volume *vol);
void mirvol_suspend_io(struct mirvol_volume *vol);
void mirvol_resume_io(struct mirvol_volume *vol);
void mirvol_set_plex_state(struct mirvol_plex *plex, unsigned int state);
void mirvol_update_state(struct mirvol_volume *vol);
void mirvol_plex_error(struct mirvol_plex *plex, bool write);
void mirvol_plex_read_corrected(struct mirvol_plex *plex);
unsigned int mirvol_plex_read_errors(struct mirvol_plex *plex);
void mirvol_uevent(struct mirvol_volume *vol, const char *event,
		   const char *extra1, const char *extra2);
void mirvol_volume_worker(struct work_struct *work);
int mirvol_volume_create(const char *name, struct file **files,
			 unsigned int nr, bool assume_clean, u64 *op_id,
			 struct mirvol_volume **out,
			 enum mirvol_reason *reason);
int mirvol_attach_plex(struct mirvol_volume *vol, struct mirvol_plex *plex);
void mirvol_detach_plex(struct mirvol_volume *vol, struct mirvol_plex *plex);
int mirvol_check_device(struct file *file, dev_t *devt,
			enum mirvol_reason *reason);
unsigned int mirvol_free_slot(struct mirvol_volume *vol);
void mirvol_rules_snapshot(struct mirvol_volume *vol,
			   struct mirvol_rule_vol *rv);

/* mirvol_io.c */
void mirvol_submit_bio(struct bio *bio);
void mirvol_io_enter(struct mirvol_volume *vol);
void mirvol_io_exit(struct mirvol_volume *vol);
void mirvol_read_retry_work(struct work_struct *work);
void mirvol_write_zero_fill(struct mirvol_io *io);
void mirvol_complete_deferred(struct mirvol_volume *vol,
			      struct list_head *list, bool sb_ok);
int mirvol_flush_plexes(struct mirvol_volume *vol);
void mirvol_queue_repair(struct mirvol_volume *vol, sector_t sector,
			 sector_t sectors, u8 targets, gfp_t gfp);

/**
 * struct mirvol_batch - bios submitted together and waited for together
 * @pending: bios in flight, plus one until mirvol_batch_wait()
 * @done: completed when the last one ends
 */
struct mirvol_batch {
	atomic_t pending;
	struct completion done;
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
int mirvol_sb_wipe(struct mirvol_plex *plex);
int mirvol_sb_init_plex(struct mirvol_volume *vol, struct mirvol_plex *plex);
int mirvol_sync_rw(struct block_device *bdev, blk_opf_t opf, sector_t sector,
		   struct page **pages, unsigned int nr_pages);

/* mirvol_ops.c */
struct mirvol_operation *mirvol_op_new(struct mirvol_volume *vol, unsigned int type,
				void (*fn)(struct mirvol_operation *op));
void mirvol_op_start(struct mirvol_operation *op);
void mirvol_op_finish(struct mirvol_operation *op, int error,
		      enum mirvol_reason reason);
void mirvol_op_put(struct mirvol_operation *op);
struct mirvol_operation *mirvol_op_get_by_id(u64 id);
void mirvol_op_fill(struct mirvol_operation *op, struct mirvol_op_info *info);
int mirvol_op_wait(u64 id, unsigned int timeout_ms,
		   struct mirvol_op_info *info, enum mirvol_reason *reason);
int mirvol_op_cancel(u64 id, struct mirvol_op_info *info,
		     enum mirvol_reason *reason);
void mirvol_op_abort(struct mirvol_volume *vol, enum mirvol_reason reason);
bool mirvol_op_should_stop(struct mirvol_operation *op);
enum mirvol_reason mirvol_op_stop_reason(struct mirvol_operation *op);
void mirvol_op_sleep(struct mirvol_operation *op, unsigned int ms);
void mirvol_op_set_progress(struct mirvol_operation *op, u64 done, u64 total);
void mirvol_op_add_output(struct mirvol_operation *op, const uuid_t *uuid);
void mirvol_ops_exit(void);
int mirvol_add_plex(struct mirvol_volume *vol, struct file *file,
		    struct mirvol_volume *src, u64 *op_id,
		    enum mirvol_reason *reason);
int mirvol_break_plex(struct mirvol_volume *vol, struct mirvol_plex *plex,
		      const char *new_name, uuid_t *new_uuid,
		      char *name_out, u64 *op_id, enum mirvol_reason *reason);
int mirvol_remove_plex(struct mirvol_volume *vol, struct mirvol_plex *plex,
		       u64 *op_id, enum mirvol_reason *reason);

/* mirvol_resync.c */
u64 mirvol_resync_if_needed(struct mirvol_volume *vol);
int mirvol_resync_start(struct mirvol_volume *vol, bool force, u64 *op_id,
			enum mirvol_reason *reason);
int mirvol_resync_run(struct mirvol_operation *op, struct mirvol_volume *vol,
		      int source, enum mirvol_reason *reason);
void mirvol_repair_work(struct work_struct *work);

/* mirvol_scrub.c */
int mirvol_scrub_start(struct mirvol_volume *vol, bool repair,
		       const u8 *source_uuid, u64 *op_id,
		       enum mirvol_reason *reason);

/* mirvol_assemble.c */
int mirvol_assemble(struct mirvol_assemble_member *members, unsigned int nr,
		    u32 flags, struct mirvol_assemble *reply);

/* mirvol_sysfs.c */
int mirvol_sysfs_add(struct mirvol_volume *vol);
void mirvol_sysfs_del(struct mirvol_volume *vol);
int mirvol_sysfs_add_plex(struct mirvol_volume *vol, struct mirvol_plex *plex);
void mirvol_sysfs_del_plex(struct mirvol_plex *plex);

/* mirvol_ctl.c */
int mirvol_ctl_init(void);
void mirvol_ctl_exit(void);

#if IS_ENABLED(CONFIG_MIRVOL_KUNIT_TEST)
blk_status_t mirvol_inject(struct mirvol_plex *plex, struct bio *bio);
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
