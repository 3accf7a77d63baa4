// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests that drive real bios through mirvol volumes built on RAM
 * disks (brd, /dev/ram0..3 in the UML test kernel): the write fan-out,
 * read retry, write errors and their superblock record, resync, discard,
 * and the superblocks written by create and erased by remove.
 *
 * Faults are injected per plex (plex->inject, KUnit builds only).
 *
 * Copyright (C) 2026 The mirvol authors
 */
#include <kunit/test.h>
#include <kunit/test-bug.h>
#include <linux/blkdev.h>
#include <linux/completion.h>
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/fdtable.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/kernfs.h>
#include <linux/major.h>
#include <linux/random.h>
#include <linux/sched.h>
#include <linux/slab.h>

#include "mirvol_core.h"

#define IO_PAGES	16		/* 64 KiB per test I/O */
#define NR_RAM		3

struct io_ctx {
	struct mirvol_volume *vol;
	struct file *vfile;
	struct file *ram[NR_RAM];
	struct page *pages[IO_PAGES];
	struct page *check[IO_PAGES];
};

static struct file *open_dev(dev_t devt)
{
	return bdev_file_open_by_dev(devt, BLK_OPEN_READ | BLK_OPEN_WRITE,
				     NULL, NULL);
}

/* Synchronous I/O of IO_PAGES pages (or none for a flush). */
static int do_io(struct block_device *bdev, blk_opf_t opf, sector_t sector,
		 struct page **pages, unsigned int nr)
{
	struct bio *bio = bio_alloc(bdev, nr, opf, GFP_KERNEL);
	unsigned int i;
	int ret;

	bio->bi_iter.bi_sector = sector;
	for (i = 0; i < nr; i++)
		__bio_add_page(bio, pages[i], PAGE_SIZE, 0);
	ret = submit_bio_wait(bio);
	bio_put(bio);
	return ret;
}

/*
 * Run every queued mirvol work to its end: those on mirvol_wq (a gone
 * device's release) may queue the worker on mirvol_io_wq.
 */
static void flush_mirvol_works(void)
{
	flush_workqueue(mirvol_wq);
	flush_workqueue(mirvol_io_wq);
}

/*
 * The block layer's call when @bdev is deleted (@surprise) or its disk
 * goes offline: ->mark_dead() with the holder lock held, which the
 * holder's callback drops.
 */
static void device_gone(struct block_device *bdev, bool surprise)
{
	mutex_lock(&bdev->bd_holder_lock);
	mirvol_plex_mark_dead(bdev, surprise);
}

/* @plex's device goes, and every write to it fails from then on. */
static void device_gone_failing_writes(struct mirvol_plex *plex)
{
	device_gone(plex->bdev, false);
	WRITE_ONCE(plex->inject, MIRVOL_INJECT_WRITE);
}

static void fill(struct page **pages, u32 seed)
{
	unsigned int i, j;

	for (i = 0; i < IO_PAGES; i++) {
		u32 *p = page_address(pages[i]);

		for (j = 0; j < PAGE_SIZE / 4; j++)
			p[j] = seed ^ (i << 16) ^ j;
	}
}

static bool same(struct page **a, struct page **b)
{
	unsigned int i;

	for (i = 0; i < IO_PAGES; i++)
		if (memcmp(page_address(a[i]), page_address(b[i]), PAGE_SIZE))
			return false;
	return true;
}

static struct block_device *vbdev(struct io_ctx *ctx)
{
	return file_bdev(ctx->vfile);
}

static struct block_device *rbdev(struct io_ctx *ctx, unsigned int i)
{
	return file_bdev(ctx->ram[i]);
}

/* Read @sector of the volume's data straight from plex @i's device. */
static int read_plex(struct io_ctx *ctx, unsigned int i, sector_t sector)
{
	return do_io(rbdev(ctx, i), REQ_OP_READ,
		     MIRVOL_DATA_OFFSET_SECTORS + sector, ctx->check, IO_PAGES);
}

/* Plex @i's metadata head (its superblocks) into @buf. */
static void head_save(struct kunit *test, struct io_ctx *ctx, unsigned int i,
		      u8 *buf)
{
	unsigned int p;

	KUNIT_ASSERT_EQ(test, do_io(rbdev(ctx, i), REQ_OP_READ, 0, ctx->check,
				    MIRVOL_META_HEAD_PAGES), 0);
	for (p = 0; p < MIRVOL_META_HEAD_PAGES; p++)
		memcpy(buf + p * PAGE_SIZE, page_address(ctx->check[p]),
		       PAGE_SIZE);
}

/* Write @buf, saved by head_save(), back as plex @i's metadata head. */
static void head_restore(struct kunit *test, struct io_ctx *ctx,
			 unsigned int i, const u8 *buf)
{
	unsigned int p;

	for (p = 0; p < MIRVOL_META_HEAD_PAGES; p++)
		memcpy(page_address(ctx->check[p]), buf + p * PAGE_SIZE,
		       PAGE_SIZE);
	KUNIT_ASSERT_EQ(test, do_io(rbdev(ctx, i), REQ_OP_WRITE, 0, ctx->check,
				    MIRVOL_META_HEAD_PAGES), 0);
}

/*
 * Every test checks the suspension windows: a holder link, a plexN/
 * directory made or removed, a join's superblock write, reached with a
 * volume's I/O suspended by a task that allows I/O reclaim, is a
 * deadlock waiting to happen (reclaim may write back pages of that
 * volume, which wait for the resume).  Recorded by
 * mirvol_kunit_alloc_hook, failed at the test's end.  A holder link or
 * a plexN/ directory made or removed with the I/O suspended is one too,
 * noio or not (sysfs_made_site()).  A volume being torn down (dead, its
 * disk deleted) has no page left to write back.
 */
static struct {
	atomic_t n;
	const char *site;
} noio_miss;

/*
 * A holder link or a plexN/ directory made or removed:
 * bd_link_disk_holder() takes the device's open_mutex, it and
 * bd_unlink_disk_holder() blk_holder_mutex, kernfs its root's
 * kernfs_rwsem, which other tasks hold as they allocate with I/O
 * reclaim (kernfs_rename_ns(), any driver's bd_link_disk_holder()):
 * that reclaim may wait for the suspended volume.  Being noio ourselves
 * does not help: never with the volume's I/O suspended.
 */
static bool sysfs_made_site(const char *site)
{
	return !strcmp(site, "holder link") || !strcmp(site, "plexN/ add");
}

static bool sysfs_gone_site(const char *site)
{
	return !strcmp(site, "holder unlink") || !strcmp(site, "plexN/ del");
}

static void noio_check_hook(struct mirvol_volume *vol, const char *site)
{
	bool sysfs = sysfs_made_site(site) || sysfs_gone_site(site);

	if (!vol || !test_bit(MIRVOL_VOL_SUSPENDED, &vol->flags) ||
	    test_bit(MIRVOL_VOL_DEAD, &vol->flags))
		return;
	/*
	 * A sysfs site counts noio or not, but for a volume not started: a
	 * break's new volume, held empty until filled, has no page to write
	 * back (it is plex->vol of its plex as the plex's plexN/ in the
	 * volume broken from goes).
	 */
	if ((current->flags & PF_MEMALLOC_NOIO) &&
	    (!sysfs || !test_bit(MIRVOL_VOL_STARTED, &vol->flags)))
		return;
	if (atomic_inc_return(&noio_miss.n) == 1)
		WRITE_ONCE(noio_miss.site, site);
}

static void noio_check_begin(void)
{
	atomic_set(&noio_miss.n, 0);
	WRITE_ONCE(noio_miss.site, NULL);
	WRITE_ONCE(mirvol_kunit_alloc_hook, noio_check_hook);
}

static void noio_check_end(struct kunit *test)
{
	WRITE_ONCE(mirvol_kunit_alloc_hook, NULL);
	KUNIT_EXPECT_EQ_MSG(test, atomic_read(&noio_miss.n), 0,
			    "%s with the volume's I/O suspended, and I/O reclaim allowed or a sysfs entry made or removed (%d times)",
			    READ_ONCE(noio_miss.site) ?: "?",
			    atomic_read(&noio_miss.n));
}

static int mirvol_io_init_test(struct kunit *test)
{
	struct io_ctx *ctx = kunit_kzalloc(test, sizeof(*ctx), GFP_KERNEL);
	unsigned int i;

	if (!ctx)
		return -ENOMEM;
	for (i = 0; i < IO_PAGES; i++) {
		ctx->pages[i] = alloc_page(GFP_KERNEL);
		ctx->check[i] = alloc_page(GFP_KERNEL);
		if (!ctx->pages[i] || !ctx->check[i])
			return -ENOMEM;
	}
	for (i = 0; i < NR_RAM; i++) {
		ctx->ram[i] = open_dev(MKDEV(RAMDISK_MAJOR, i));
		if (IS_ERR(ctx->ram[i])) {
			kunit_err(test, "no /dev/ram%u: CONFIG_BLK_DEV_RAM?", i);
			ctx->ram[i] = NULL;
			return -ENODEV;
		}
	}
	test->priv = ctx;
	mirvol_kunit_rb_equal = true;
	noio_check_begin();
	return 0;
}

static void io_remove(struct kunit *test, struct io_ctx *ctx)
{
	enum mirvol_reason reason;
	unsigned int i;

	if (ctx->vfile) {
		__fput_sync(ctx->vfile);
		ctx->vfile = NULL;
	}
	if (ctx->vol) {
		/*
		 * The faults a test injected end with it: the erase of the
		 * superblocks honours them (mirvol_sb_wipe()).
		 */
		mutex_lock(&ctx->vol->lock);
		for (i = 0; i < MIRVOL_MAX_PLEXES; i++)
			if (ctx->vol->plexes[i])
				WRITE_ONCE(ctx->vol->plexes[i]->inject, 0);
		mutex_unlock(&ctx->vol->lock);
		reason = mirvol_volume_teardown(ctx->vol, true);
		KUNIT_EXPECT_EQ_MSG(test, reason, MIRVOL_R_NONE,
				    "remove: reason %d", reason);
		mirvol_volume_put(ctx->vol);
		ctx->vol = NULL;
	}
}

static void closer_stop(void);

/* A write sent to a volume whose start then fails (start_io_hook()). */
static struct {
	struct file *file;
	struct bio *bio;
	struct completion done;
	unsigned int held;
} start_io;

static void start_io_release(struct work_struct *work);
static DECLARE_DELAYED_WORK(start_io_release_work, start_io_release);

static void mirvol_io_exit_test(struct kunit *test)
{
	struct io_ctx *ctx = test->priv;
	unsigned int i;

	noio_check_end(test);
	WRITE_ONCE(mirvol_kunit_resync_end_hook, NULL);
	WRITE_ONCE(mirvol_kunit_dirty_hook, NULL);
	WRITE_ONCE(mirvol_kunit_wait_dirty_hook, NULL);
	WRITE_ONCE(mirvol_kunit_promote_hook, NULL);
	WRITE_ONCE(mirvol_kunit_add_done_hook, NULL);
	WRITE_ONCE(mirvol_kunit_resync_step_hook, NULL);
	WRITE_ONCE(mirvol_kunit_salvage_hook, NULL);
	WRITE_ONCE(mirvol_kunit_assemble_group_hook, NULL);
	WRITE_ONCE(mirvol_kunit_replace_hook, NULL);
	WRITE_ONCE(mirvol_kunit_finish_hook, NULL);
	WRITE_ONCE(mirvol_kunit_resync_promoted_hook, NULL);
	WRITE_ONCE(mirvol_kunit_uevent_hook, NULL);
	WRITE_ONCE(mirvol_kunit_start_fail, false);
	WRITE_ONCE(mirvol_kunit_repair_nomem, false);
	WRITE_ONCE(mirvol_kunit_repair_queue_nomem, false);
	WRITE_ONCE(mirvol_kunit_repair_work_hook, NULL);
	WRITE_ONCE(mirvol_kunit_reboot_hook, NULL);
	WRITE_ONCE(mirvol_kunit_safe_mode_hook, NULL);
	WRITE_ONCE(mirvol_kunit_safe_mode_disk_hook, NULL);
	WRITE_ONCE(mirvol_kunit_rejoin_hook, NULL);
	WRITE_ONCE(mirvol_kunit_split_hook, NULL);
	WRITE_ONCE(mirvol_kunit_merge_kill_hook, NULL);
	WRITE_ONCE(mirvol_kunit_break_hook, NULL);
	WRITE_ONCE(mirvol_kunit_created_hook, NULL);
	WRITE_ONCE(mirvol_kunit_freeze_hook, NULL);
	WRITE_ONCE(mirvol_kunit_init_hook, NULL);
	WRITE_ONCE(mirvol_kunit_join_hook, NULL);
	closer_stop();
	WRITE_ONCE(mirvol_kunit_readd_hook, NULL);
	WRITE_ONCE(mirvol_kunit_sb_update_hook, NULL);
	WRITE_ONCE(mirvol_kunit_worker_hook, NULL);
	WRITE_ONCE(mirvol_kunit_sb_write_hook, NULL);
	WRITE_ONCE(mirvol_kunit_bitmap_lost_hook, NULL);
	WRITE_ONCE(mirvol_kunit_bitmap_page_hook, NULL);
	WRITE_ONCE(mirvol_kunit_clear_flush_hook, NULL);
	WRITE_ONCE(mirvol_kunit_assemble_hook, NULL);
	WRITE_ONCE(mirvol_kunit_member_final_hook, NULL);
	WRITE_ONCE(mirvol_kunit_skip_clean_hook, NULL);
	WRITE_ONCE(mirvol_kunit_start_hook, NULL);
	WRITE_ONCE(mirvol_kunit_restack_hook, NULL);
	WRITE_ONCE(mirvol_kunit_lbs, 0);
	cancel_delayed_work_sync(&start_io_release_work);
	/* Writes a failed test left held back. */
	mirvol_kunit_end_held(BLK_STS_IOERR);
	if (!ctx)
		return;
	io_remove(test, ctx);
	for (i = 0; i < NR_RAM; i++)
		if (ctx->ram[i])
			__fput_sync(ctx->ram[i]);
	for (i = 0; i < IO_PAGES; i++) {
		if (ctx->pages[i])
			__free_page(ctx->pages[i]);
		if (ctx->check[i])
			__free_page(ctx->check[i]);
	}
}

/* A volume named @name over the first @n RAM disks, opened. */
static void io_create_flags(struct kunit *test, const char *name,
			    unsigned int n, u32 flags, u64 *op_id)
{
	struct io_ctx *ctx = test->priv;
	enum mirvol_reason reason;
	struct mirvol_volume *vol;
	u64 id = 0, region = 0;

	/* The caller's reference is ctx's, put by io_remove(). */
	reason = mirvol_volume_create(name, ctx->ram, n, flags, &region, &id,
				      NULL, &vol);
	KUNIT_ASSERT_EQ_MSG(test, reason, MIRVOL_R_NONE, "create: reason %d",
			    reason);
	ctx->vol = vol;
	if (op_id)
		*op_id = id;
	ctx->vfile = open_dev(disk_devt(vol->disk));
	KUNIT_ASSERT_FALSE(test, IS_ERR(ctx->vfile));
}

static void io_create(struct kunit *test, const char *name, unsigned int n,
		      bool assume_clean, u64 *op_id)
{
	io_create_flags(test, name, n,
			assume_clean ? MIRVOL_CREATE_F_ASSUME_CLEAN : 0, op_id);
}

static void mirvol_test_write_fan_out(struct kunit *test)
{
	struct io_ctx *ctx = test->priv;
	unsigned int i;

	io_create(test, "kunit-fanout", 3, true, NULL);
	KUNIT_EXPECT_EQ(test, ctx->vol->state, MIRVOL_VOLUME_ONLINE);
	KUNIT_EXPECT_EQ(test, get_capacity(ctx->vol->disk), ctx->vol->size);
	fill(ctx->pages, 0x1234);
	KUNIT_ASSERT_EQ(test, do_io(vbdev(ctx), REQ_OP_WRITE, 1000,
				    ctx->pages, IO_PAGES), 0);
	KUNIT_ASSERT_EQ(test, do_io(vbdev(ctx), REQ_OP_READ, 1000,
				    ctx->check, IO_PAGES), 0);
	KUNIT_EXPECT_TRUE(test, same(ctx->pages, ctx->check));
	for (i = 0; i < 3; i++) {
		KUNIT_ASSERT_EQ(test, read_plex(ctx, i, 1000), 0);
		KUNIT_EXPECT_TRUE_MSG(test, same(ctx->pages, ctx->check),
				      "plex %u differs", i);
	}
	/* FUA and an empty flush complete too. */
	KUNIT_EXPECT_EQ(test, do_io(vbdev(ctx), REQ_OP_WRITE | REQ_FUA |
				    REQ_PREFLUSH, 2000, ctx->pages, IO_PAGES),
			0);
	KUNIT_EXPECT_EQ(test, do_io(vbdev(ctx), REQ_OP_WRITE | REQ_PREFLUSH,
				    0, NULL, 0), 0);
	/* A write beyond the end is refused by the block layer. */
	KUNIT_EXPECT_NE(test, do_io(vbdev(ctx), REQ_OP_WRITE,
				    ctx->vol->size - 8, ctx->pages, IO_PAGES),
			0);
}

/* Is region @r's bit set in plex @i's on-disk bitmap? */
static bool disk_bit(struct kunit *test, struct io_ctx *ctx, unsigned int i,
		     unsigned long r)
{
	struct page *page = ctx->check[0];
	sector_t sector = MIRVOL_SB_SECTOR(MIRVOL_BITMAP_OFFSET) +
			  (r / (PAGE_SIZE * 8)) * (PAGE_SIZE >> SECTOR_SHIFT);
	u64 *w = page_address(page);

	KUNIT_ASSERT_EQ(test, do_io(rbdev(ctx, i), REQ_OP_READ, sector,
				    &page, 1), 0);
	r %= PAGE_SIZE * 8;
	return le64_to_cpu((__force __le64)w[r / 64]) & BIT_ULL(r % 64);
}

/* Wait up to @ms for region @r's bit on every plex to become @set. */
static bool disk_bit_becomes(struct kunit *test, struct io_ctx *ctx,
			     unsigned int nr, unsigned long r, bool set,
			     unsigned int ms)
{
	unsigned int i, t;

	for (t = 0; t <= ms; t += 20) {
		for (i = 0; i < nr; i++)
			if (disk_bit(test, ctx, i, r) != set)
				break;
		if (i == nr)
			return true;
		msleep(20);
	}
	return false;
}

/* Let the bitmap's clearer run every @ms from now on. */
static void bitmap_fast_clear(struct mirvol_bitmap *bm, unsigned int ms)
{
	bm->clear_ms = ms;
	mod_delayed_work(mirvol_io_wq, &bm->clear_work, msecs_to_jiffies(ms));
}

static void mirvol_test_bitmap_default_region(struct kunit *test)
{
	/* 64 KiB up to 1 GiB (16384 regions), then larger, 4 MiB at most... */
	KUNIT_EXPECT_EQ(test, mirvol_bitmap_default_region(1ULL << 20),
			65536ULL);
	KUNIT_EXPECT_EQ(test, mirvol_bitmap_default_region(1ULL << 30),
			65536ULL);
	KUNIT_EXPECT_EQ(test, mirvol_bitmap_default_region((1ULL << 30) + 1),
			131072ULL);
	KUNIT_EXPECT_EQ(test, mirvol_bitmap_default_region(64ULL << 30),
			4ULL << 20);
	KUNIT_EXPECT_EQ(test, mirvol_bitmap_default_region(1ULL << 40),
			4ULL << 20);
	/* ...but never more than MIRVOL_BITMAP_MAX_REGIONS bits. */
	KUNIT_EXPECT_EQ(test, mirvol_bitmap_default_region(2ULL << 40),
			8ULL << 20);
	KUNIT_EXPECT_LE(test, DIV_ROUND_UP_ULL(3ULL << 40,
			mirvol_bitmap_default_region(3ULL << 40)),
			MIRVOL_BITMAP_MAX_REGIONS);
}

/*
 * Rule 1: a written region's bit is on every plex's disk once the write
 * completes.  Rule 2: it is cleared once idle, never while a write into
 * it is pending or keeps coming.
 */
static void mirvol_test_bitmap_mark_clear(struct kunit *test)
{
	struct io_ctx *ctx = test->priv;
	struct mirvol_bitmap *bm;
	unsigned long r, other;
	unsigned int i;

	io_create(test, "kunit-bitmap", 2, true, NULL);
	bm = ctx->vol->bitmap;
	KUNIT_ASSERT_NOT_NULL(test, bm);
	/* A write of IO_PAGES that fills one region (64 KiB). */
	KUNIT_ASSERT_EQ(test, bm->shift, 7U);
	r = 24;
	other = r + 2;
	for (i = 0; i < 2; i++)
		KUNIT_EXPECT_FALSE(test, disk_bit(test, ctx, i, r));
	fill(ctx->pages, 0xb17);
	KUNIT_ASSERT_EQ(test, do_io(vbdev(ctx), REQ_OP_WRITE, r << bm->shift,
				    ctx->pages, IO_PAGES), 0);
	for (i = 0; i < 2; i++)
		KUNIT_EXPECT_TRUE_MSG(test, disk_bit(test, ctx, i, r),
				      "plex %u: bit not on disk", i);
	KUNIT_EXPECT_EQ(test, mirvol_bitmap_weight(bm), 1UL);

	/* A write pending in @other keeps it; idle @r is cleared. */
	mirvol_bitmap_startwrite(bm, other << bm->shift,
				 (other << bm->shift) + 8);
	KUNIT_EXPECT_TRUE(test, disk_bit(test, ctx, 0, other));
	bitmap_fast_clear(bm, 50);
	KUNIT_EXPECT_TRUE(test, disk_bit_becomes(test, ctx, 2, r, false,
						 2000));
	msleep(300);
	for (i = 0; i < 2; i++)
		KUNIT_EXPECT_TRUE_MSG(test, disk_bit(test, ctx, i, other),
				      "plex %u: pending region cleared", i);
	mirvol_bitmap_endwrite(bm, other << bm->shift,
			       (other << bm->shift) + 8);
	KUNIT_EXPECT_TRUE(test, disk_bit_becomes(test, ctx, 2, other, false,
						 2000));
	KUNIT_EXPECT_EQ(test, mirvol_bitmap_weight(bm), 0UL);

	/* Writes that keep coming keep their region set. */
	for (i = 0; i < 20; i++) {
		KUNIT_ASSERT_EQ(test, do_io(vbdev(ctx), REQ_OP_WRITE,
					    r << bm->shift, ctx->pages,
					    IO_PAGES), 0);
		KUNIT_EXPECT_TRUE(test, disk_bit(test, ctx, 1, r));
		msleep(20);
	}
	bitmap_fast_clear(bm, MIRVOL_BM_CLEAR_MS_DEFAULT);
}

struct async_write {
	struct work_struct work;
	struct completion done;
	struct block_device *bdev;
	sector_t sector;
	struct page **pages;
	int ret;
};

static void async_write_fn(struct work_struct *work)
{
	struct async_write *aw = container_of(work, struct async_write, work);

	aw->ret = do_io(aw->bdev, REQ_OP_WRITE, aw->sector, aw->pages,
			IO_PAGES);
	complete(&aw->done);
}

/* Start a write of @pages at @sector of @bdev from a worker. */
static void async_write_start(struct async_write *aw,
			      struct block_device *bdev, sector_t sector,
			      struct page **pages)
{
	aw->bdev = bdev;
	aw->sector = sector;
	aw->pages = pages;
	aw->ret = -EINPROGRESS;
	init_completion(&aw->done);
	INIT_WORK_ONSTACK(&aw->work, async_write_fn);
	queue_work(system_unbound_wq, &aw->work);
}

/* Wait for it (at most 10 s, then an error); aw->ret is its result. */
static void async_write_finish(struct kunit *test, struct async_write *aw)
{
	KUNIT_EXPECT_TRUE_MSG(test, wait_for_completion_timeout(&aw->done,
								msecs_to_jiffies(10000)),
			      "a write at sector %llu did not complete",
			      (unsigned long long)aw->sector);
	flush_work(&aw->work);
	destroy_work_on_stack(&aw->work);
}

/* Poll (up to 5 s) until @cond holds; returns whether it does. */
#define wait_until(cond)						\
({									\
	unsigned int __i;						\
									\
	for (__i = 0; __i < 250 && !(cond); __i++)			\
		msleep(20);						\
	(cond);								\
})

/*
 * A write into a region the clearer has taken (CLEARING: its plexes are
 * being flushed before the bit goes) waits until the clearer gives it
 * back: otherwise it could complete into a volatile cache after the flush
 * and lose its bit.  The test plays the clearer.
 */
static void mirvol_test_bitmap_write_waits_clear(struct kunit *test)
{
	struct io_ctx *ctx = test->priv;
	struct async_write aw;
	struct mirvol_bitmap *bm;
	unsigned long r = 40;

	io_create(test, "kunit-bmwait", 2, true, NULL);
	bm = ctx->vol->bitmap;
	KUNIT_ASSERT_NOT_NULL(test, bm);
	fill(ctx->pages, 0xc1ea);
	KUNIT_ASSERT_EQ(test, do_io(vbdev(ctx), REQ_OP_WRITE, r << bm->shift,
				    ctx->pages, IO_PAGES), 0);
	/* The real clearer out of the way, the region taken. */
	cancel_delayed_work_sync(&bm->clear_work);
	mutex_lock(&bm->io_mutex);
	KUNIT_ASSERT_EQ(test, atomic_cmpxchg(&bm->state[r], MIRVOL_BM_ONDISK,
					     MIRVOL_BM_ONDISK |
					     MIRVOL_BM_CLEARING),
			(int)MIRVOL_BM_ONDISK);
	async_write_start(&aw, vbdev(ctx), r << bm->shift, ctx->pages);
	KUNIT_EXPECT_FALSE_MSG(test, wait_for_completion_timeout(&aw.done,
								  msecs_to_jiffies(300)),
			       "a write went on into a region being cleared");
	/* Given back, as mirvol_bitmap_unpick() does when a writer came. */
	atomic_andnot(MIRVOL_BM_CLEARING, &bm->state[r]);
	mutex_unlock(&bm->io_mutex);
	wake_up_all(&bm->wait);
	async_write_finish(test, &aw);
	KUNIT_EXPECT_EQ(test, aw.ret, 0);
	KUNIT_EXPECT_TRUE(test, disk_bit(test, ctx, 0, r));
	mirvol_bitmap_start(bm);
}

/*
 * Bring @plex back by @action (online, re-add) and wait for its resync,
 * which must succeed and leave the plex active; @info gets the
 * operation's end.
 */
static void plex_back_op(struct kunit *test, struct mirvol_volume *vol,
			 struct mirvol_plex *plex, u32 action,
			 struct mirvol_op_info *info)
{
	u64 op_id = 0;

	KUNIT_ASSERT_EQ(test, mirvol_plex_action(vol, plex->uuid.b, action, -1,
						 &op_id), MIRVOL_R_NONE);
	KUNIT_ASSERT_NE(test, op_id, 0ULL);
	KUNIT_ASSERT_EQ(test, mirvol_op_wait(op_id, 60000, info),
			MIRVOL_R_NONE);
	KUNIT_EXPECT_EQ(test, info->state, (u32)MIRVOL_OPS_SUCCEEDED);
	KUNIT_EXPECT_EQ(test, READ_ONCE(plex->state),
			(unsigned int)MIRVOL_PLEX_ACTIVE);
}

static void take_online_op(struct kunit *test, struct mirvol_volume *vol,
			   struct mirvol_plex *plex, struct mirvol_op_info *info)
{
	plex_back_op(test, vol, plex, MIRVOL_PLEX_TAKE_ONLINE, info);
}

/* The same, and the resync copied @total bytes. */
static void take_online_wait(struct kunit *test, struct mirvol_volume *vol,
			     struct mirvol_plex *plex, u64 total)
{
	struct mirvol_op_info info;

	take_online_op(test, vol, plex, &info);
	KUNIT_EXPECT_EQ(test, info.total_bytes, total);
}

/*
 * Two plexes with a bitmap, dirty (written in region 2, with @seed), plex
 * 1 offline.  No clean mark (safe mode off): no superblock update but the
 * test's.
 */
static void io_create_p1_offline(struct kunit *test, const char *name,
				 u32 seed)
{
	struct io_ctx *ctx = test->priv;
	struct mirvol_volume *vol;
	struct mirvol_plex *p1;
	u64 op_id = 0;

	io_create(test, name, 2, true, NULL);
	vol = ctx->vol;
	KUNIT_ASSERT_NOT_NULL(test, vol->bitmap);
	p1 = vol->plexes[1];
	vol->safe_mode_delay_ms = 0;
	fill(ctx->pages, seed);
	KUNIT_ASSERT_EQ(test, do_io(vbdev(ctx), REQ_OP_WRITE,
				    2 << vol->bitmap->shift, ctx->pages,
				    IO_PAGES), 0);
	KUNIT_ASSERT_EQ(test, mirvol_plex_action(vol, p1->uuid.b,
						 MIRVOL_PLEX_TAKE_OFFLINE, -1,
						 &op_id), MIRVOL_R_NONE);
	KUNIT_ASSERT_EQ(test, p1->state, MIRVOL_PLEX_OFFLINE);
}

/*
 * Bitmap rule 4: a bit no in-sync plex took ends the bitmap's coverage.
 * Plex 1 is offline (covered by the bitmap: it would copy only the
 * regions set); plex 0, the last in-sync plex, fails every write into
 * its bitmap area.  A write into a clean region still goes out, but its
 * bit is on no plex: the set work must raise cleared_gen past the
 * generation and record that in a superblock update (io_mutex, then
 * sb_mutex, then superblock I/O, from the set work: lockdep sees that
 * order here), so that plex 1, back online, copies everything.
 */
static void mirvol_test_bitmap_set_lost(struct kunit *test)
{
	struct io_ctx *ctx = test->priv;
	enum mirvol_reason reason;
	struct mirvol_volume *vol;
	struct mirvol_bitmap *bm;
	struct mirvol_plex *p0, *p1;
	struct mirvol_md md;
	unsigned long r = 30;
	u64 gen;
	s64 errors;

	io_create_p1_offline(test, "kunit-bmlost", 0x1057);
	vol = ctx->vol;
	bm = vol->bitmap;
	p0 = vol->plexes[0];
	p1 = vol->plexes[1];
	/* As it stands, the bitmap covers what plex 1 misses. */
	KUNIT_ASSERT_GT(test, p1->gone_generation, bm->cleared_gen);

	mutex_lock(&vol->sb_mutex);
	gen = vol->generation;
	mutex_unlock(&vol->sb_mutex);
	errors = atomic64_read(&p0->write_errors);
	WRITE_ONCE(p0->inject, MIRVOL_INJECT_BITMAP);
	fill(ctx->pages, 0x1057 + 1);
	/* The write still goes out: plex 0 takes the data. */
	KUNIT_EXPECT_EQ(test, do_io(vbdev(ctx), REQ_OP_WRITE, r << bm->shift,
				    ctx->pages, IO_PAGES), 0);
	KUNIT_ASSERT_EQ(test, read_plex(ctx, 0, r << bm->shift), 0);
	KUNIT_EXPECT_TRUE(test, same(ctx->pages, ctx->check));
	/*
	 * Its bit is not on disk: the page write did fail (the clear work
	 * writes the page again each period: plex 0 keeps failing).
	 */
	KUNIT_EXPECT_FALSE(test, disk_bit(test, ctx, 0, r));
	KUNIT_EXPECT_GT(test, atomic64_read(&p0->write_errors), errors);
	/* Plex 0 is kept; plex 1 is still out of sync. */
	KUNIT_EXPECT_EQ(test, p0->state, MIRVOL_PLEX_ACTIVE);
	KUNIT_EXPECT_EQ(test, p1->state, MIRVOL_PLEX_OFFLINE);
	KUNIT_EXPECT_EQ(test, vol->state, MIRVOL_VOLUME_DEGRADED);

	/* The coverage starts again at the set work's update... */
	KUNIT_EXPECT_EQ(test, bm->cleared_gen, gen + 1);
	KUNIT_EXPECT_GE(test, vol->generation, gen + 1);
	KUNIT_EXPECT_LE(test, p1->gone_generation, bm->cleared_gen);
	/* ...which plex 0's superblock records. */
	KUNIT_ASSERT_GE(test, mirvol_sb_read_dev(rbdev(ctx, 0), &md, &reason),
			0);
	KUNIT_EXPECT_GE(test, md.generation, gen + 1);
	KUNIT_EXPECT_EQ(test, md.bitmap_cleared_gen, gen + 1);
	KUNIT_EXPECT_EQ(test, md.plexes[0].state, (u32)MIRVOL_PLEX_ACTIVE);
	KUNIT_EXPECT_EQ(test, md.plexes[1].state, (u32)MIRVOL_PLEX_OFFLINE);

	/* Back online, plex 1 copies everything, not the regions set. */
	WRITE_ONCE(p0->inject, 0);
	take_online_wait(test, vol, p1, (u64)vol->size << SECTOR_SHIFT);
	KUNIT_ASSERT_EQ(test, read_plex(ctx, 1, r << bm->shift), 0);
	KUNIT_EXPECT_TRUE(test, same(ctx->pages, ctx->check));
}

/*
 * Bitmap rules 1 and 4, after the loss: a region whose bit no in-sync
 * plex took is not ONDISK, and its page stays dirty.  Its writers go on
 * (the coverage ends, mirvol_test_bitmap_set_lost()), but the next write
 * into the region asks the set work again: once plex 0 takes its bitmap
 * area again, the bit is on its disk before that write goes out.  Made
 * ONDISK anyway, the region never got its bit written: a crash, or a
 * plex leaving after the loss and back after a reboot, would copy the
 * regions of plex 0's bitmap and skip this one.  While plex 0 keeps
 * failing, each write still completes (md never holds a write on its
 * bitmap either), after one more attempt that records the loss again.
 */
static void mirvol_test_bitmap_lost_retried(struct kunit *test)
{
	struct io_ctx *ctx = test->priv;
	struct mirvol_volume *vol;
	struct mirvol_bitmap *bm;
	struct async_write aw;
	struct mirvol_plex *p0;
	unsigned long r = 30;
	s64 writes;
	u64 cleared;

	io_create_p1_offline(test, "kunit-bmretry", 0x4e7);
	vol = ctx->vol;
	bm = vol->bitmap;
	p0 = vol->plexes[0];
	WRITE_ONCE(p0->inject, MIRVOL_INJECT_BITMAP);
	fill(ctx->pages, 0x4e7 + 1);
	async_write_start(&aw, vbdev(ctx), r << bm->shift, ctx->pages);
	async_write_finish(test, &aw);
	KUNIT_EXPECT_EQ(test, aw.ret, 0);
	KUNIT_EXPECT_FALSE(test, disk_bit(test, ctx, 0, r));
	KUNIT_EXPECT_FALSE_MSG(test, atomic_read(&bm->state[r]) &
			       MIRVOL_BM_ONDISK,
			       "region %lu is ONDISK, its bit on no disk", r);
	cleared = bm->cleared_gen;

	/* Still failing: the next write tries again, and goes out too. */
	writes = atomic64_read(&vol->bitmap_writes);
	async_write_start(&aw, vbdev(ctx), r << bm->shift, ctx->pages);
	async_write_finish(test, &aw);
	KUNIT_EXPECT_EQ(test, aw.ret, 0);
	KUNIT_EXPECT_GT_MSG(test, atomic64_read(&vol->bitmap_writes), writes,
			    "a write into a region whose bit is on no disk wrote no bitmap page");
	KUNIT_EXPECT_GT(test, bm->cleared_gen, cleared);
	KUNIT_EXPECT_FALSE(test, disk_bit(test, ctx, 0, r));

	/* Plex 0 takes it again: the bit is on its disk, ONDISK. */
	WRITE_ONCE(p0->inject, 0);
	KUNIT_ASSERT_EQ(test, do_io(vbdev(ctx), REQ_OP_WRITE, r << bm->shift,
				    ctx->pages, IO_PAGES), 0);
	KUNIT_EXPECT_TRUE_MSG(test, disk_bit(test, ctx, 0, r),
			      "a write went out into region %lu, its bit on no disk",
			      r);
	KUNIT_EXPECT_TRUE(test, atomic_read(&bm->state[r]) & MIRVOL_BM_ONDISK);
	KUNIT_EXPECT_EQ(test, p0->state, MIRVOL_PLEX_ACTIVE);
	KUNIT_ASSERT_EQ(test, read_plex(ctx, 0, r << bm->shift), 0);
	KUNIT_EXPECT_TRUE(test, same(ctx->pages, ctx->check));
}

/*
 * Bitmap rule 4 against a plex whose departure the loss's own update
 * records.  Both plexes fail every write into their bitmap area: the set
 * pass fails plex 0 (plex 1 is still in sync) and keeps plex 1, the last
 * in-sync plex, so the page is lost.  The set work raises cleared_gen to
 * the generation of its update, and that same update is the first
 * without plex 0: it gets that generation as gone_generation.  Then the
 * write goes out to plex 1 alone.  Plex 0 missed that write, and its bit
 * is on no disk: plex 0 is covered only if it left strictly after the
 * coverage began.  Counted as covered (gone_generation equal to
 * cleared_gen), after a reboot (stopped before any page went out,
 * assembled again) its re-add copied the regions of the on-disk bitmaps
 * and skipped this one: plex 0 was active with its old data there.
 */
static void mirvol_test_bitmap_lost_gone_same_update(struct kunit *test)
{
	struct mirvol_assemble_member um[2] = {};
	struct io_ctx *ctx = test->priv;
	struct mirvol_assemble reply = {};
	u8 uuid0[MIRVOL_UUID_LEN];
	enum mirvol_reason reason;
	struct mirvol_op_info info;
	struct mirvol_volume *vol;
	struct mirvol_bitmap *bm;
	struct mirvol_plex *p0, *p1;
	unsigned long r = 30;
	unsigned int i, shift;
	u64 gen, op_id = 0;
	int fd;

	io_create(test, "kunit-bmgone", 2, true, NULL);
	vol = ctx->vol;
	bm = vol->bitmap;
	KUNIT_ASSERT_NOT_NULL(test, bm);
	shift = bm->shift;
	p0 = vol->plexes[0];
	p1 = vol->plexes[1];
	memcpy(uuid0, &p0->uuid, MIRVOL_UUID_LEN);
	/* No clean mark: no superblock update but the set work's. */
	vol->safe_mode_delay_ms = 0;
	fill(ctx->pages, 0x90e);
	KUNIT_ASSERT_EQ(test, do_io(vbdev(ctx), REQ_OP_WRITE, r << shift,
				    ctx->pages, IO_PAGES), 0);
	/* The region clean again, its bit off every disk. */
	bitmap_fast_clear(bm, 50);
	KUNIT_ASSERT_TRUE(test, disk_bit_becomes(test, ctx, 2, r, false,
						 3000));
	bitmap_fast_clear(bm, MIRVOL_BM_CLEAR_MS_DEFAULT);

	mutex_lock(&vol->sb_mutex);
	gen = vol->generation;
	mutex_unlock(&vol->sb_mutex);
	WRITE_ONCE(p0->inject, MIRVOL_INJECT_BITMAP);
	WRITE_ONCE(p1->inject, MIRVOL_INJECT_BITMAP);
	fill(ctx->pages, 0x90e + 1);
	KUNIT_EXPECT_EQ(test, do_io(vbdev(ctx), REQ_OP_WRITE, r << shift,
				    ctx->pages, IO_PAGES), 0);
	KUNIT_EXPECT_EQ(test, READ_ONCE(p0->state),
			(unsigned int)MIRVOL_PLEX_FAILED);
	KUNIT_EXPECT_EQ(test, READ_ONCE(p1->state),
			(unsigned int)MIRVOL_PLEX_ACTIVE);
	for (i = 0; i < 2; i++)
		KUNIT_EXPECT_FALSE(test, disk_bit(test, ctx, i, r));
	/* The ordering: one update ends the coverage and records plex 0. */
	mutex_lock(&vol->sb_mutex);
	KUNIT_EXPECT_EQ(test, bm->cleared_gen, gen + 1);
	KUNIT_EXPECT_EQ(test, p0->gone_generation, gen + 1);
	mutex_unlock(&vol->sb_mutex);

	/* Stopped before the page goes out (plex 1 still fails it). */
	__fput_sync(ctx->vfile);
	ctx->vfile = NULL;
	KUNIT_ASSERT_EQ(test, mirvol_volume_teardown(vol, false),
			MIRVOL_R_NONE);
	mirvol_volume_put(vol);
	ctx->vol = NULL;
	KUNIT_ASSERT_FALSE(test, disk_bit(test, ctx, 1, r));

	/* Assembled again: plex 0 stays failed, its device held. */
	for (i = 0; i < 2; i++) {
		fd = get_unused_fd_flags(O_CLOEXEC);
		KUNIT_ASSERT_GE(test, fd, 0);
		fd_install(fd, get_file(ctx->ram[i]));
		um[i].fd = fd;
	}
	reason = mirvol_assemble(um, 2, 0, &reply);
	for (i = 0; i < 2; i++)
		close_fd(um[i].fd);
	KUNIT_ASSERT_EQ_MSG(test, reason, MIRVOL_R_NONE,
			    "assemble: reason %d, members: %u/%u %u/%u",
			    reason, um[0].result, um[0].reason, um[1].result,
			    um[1].reason);
	ctx->vol = mirvol_lookup(reply.volume_uuid);
	KUNIT_ASSERT_NOT_NULL(test, ctx->vol);
	vol = ctx->vol;
	mutex_lock(&vol->lock);
	p0 = mirvol_plex_find(vol, uuid0);
	KUNIT_ASSERT_NOT_NULL(test, p0);
	mirvol_plex_get(p0);
	mutex_unlock(&vol->lock);
	KUNIT_EXPECT_EQ(test, READ_ONCE(p0->state),
			(unsigned int)MIRVOL_PLEX_FAILED);

	/* Re-added, it must copy everything, the lost region with it. */
	reason = mirvol_plex_action(vol, uuid0, MIRVOL_PLEX_READD, -1, &op_id);
	KUNIT_EXPECT_EQ_MSG(test, reason, MIRVOL_R_NONE, "re-add: reason %d",
			    reason);
	if (op_id) {
		KUNIT_EXPECT_EQ(test, mirvol_op_wait(op_id, 60000, &info),
				MIRVOL_R_NONE);
		KUNIT_EXPECT_EQ(test, info.state, (u32)MIRVOL_OPS_SUCCEEDED);
		KUNIT_EXPECT_EQ_MSG(test, info.total_bytes,
				    (u64)vol->size << SECTOR_SHIFT,
				    "plex 0 copied %llu bytes, not the volume",
				    info.total_bytes);
	}
	KUNIT_EXPECT_TRUE(test, wait_until(READ_ONCE(p0->state) ==
					   MIRVOL_PLEX_ACTIVE));
	mirvol_plex_put(p0);
	KUNIT_ASSERT_EQ(test, read_plex(ctx, 0, r << shift), 0);
	KUNIT_EXPECT_TRUE_MSG(test, same(ctx->pages, ctx->check),
			      "plex 0, active, holds stale data in region %lu, whose bit was lost",
			      r);
}

/*
 * Stop the volume of @ctx (its plexes failing what the test injects, as
 * a power cut would find them), assemble it again from the first @n RAM
 * disks and make it ctx's; *@op_id gets the assembly's resync, if any.
 */
/* Stop @ctx's volume (its superblocks kept), the device closed. */
static void io_stop(struct kunit *test, struct io_ctx *ctx)
{
	if (ctx->vfile) {
		__fput_sync(ctx->vfile);
		ctx->vfile = NULL;
	}
	KUNIT_ASSERT_EQ(test, mirvol_volume_teardown(ctx->vol, false),
			MIRVOL_R_NONE);
	mirvol_volume_put(ctx->vol);
	ctx->vol = NULL;
}

static struct mirvol_volume *stop_assemble(struct kunit *test,
					   struct io_ctx *ctx, unsigned int n,
					   u64 *op_id)
{
	struct mirvol_assemble_member um[NR_RAM] = {};
	struct mirvol_assemble reply = {};
	enum mirvol_reason reason;
	unsigned int i;
	int fd;

	io_stop(test, ctx);
	for (i = 0; i < n; i++) {
		fd = get_unused_fd_flags(O_CLOEXEC);
		KUNIT_ASSERT_GE(test, fd, 0);
		fd_install(fd, get_file(ctx->ram[i]));
		um[i].fd = fd;
	}
	reason = mirvol_assemble(um, n, 0, &reply);
	for (i = 0; i < n; i++)
		close_fd(um[i].fd);
	KUNIT_ASSERT_EQ_MSG(test, reason, MIRVOL_R_NONE,
			    "assemble: reason %d, members: %u/%u %u/%u",
			    reason, um[0].result, um[0].reason, um[1].result,
			    um[1].reason);
	ctx->vol = mirvol_lookup(reply.volume_uuid);
	KUNIT_ASSERT_NOT_NULL(test, ctx->vol);
	*op_id = reply.op_id;
	return ctx->vol;
}

/*
 * Rule 1 at assembly: the image is the union of the members' bitmaps, and
 * a bit only one member holds is not on the other's disk.  Region @r's
 * bit is on plex 1's disk only (as after a bitmap read error or a page
 * one member took); assembled, a write into @r must not go out before
 * the bit is on every plex: it was taken as on disk (loaded) and went at
 * once, plex 0's bitmap never written, so a plex leaving now would miss
 * a write no bitmap covers.
 */
static void mirvol_test_bitmap_loaded_not_everywhere(struct kunit *test)
{
	struct io_ctx *ctx = test->priv;
	struct mirvol_volume *vol;
	struct page *page = ctx->check[0];
	sector_t sector = MIRVOL_SB_SECTOR(MIRVOL_BITMAP_OFFSET);
	unsigned long r = 40;
	u64 *w = page_address(page);
	u64 op_id = 0;
	unsigned int shift;

	io_create(test, "kunit-bmload", 2, true, NULL);
	KUNIT_ASSERT_NOT_NULL(test, ctx->vol->bitmap);
	shift = ctx->vol->bitmap->shift;
	KUNIT_ASSERT_FALSE(test, disk_bit(test, ctx, 0, r));
	/* Plex 1's bitmap gets region @r's bit; plex 0's does not. */
	KUNIT_ASSERT_EQ(test, do_io(rbdev(ctx, 1), REQ_OP_READ, sector, &page,
				    1), 0);
	w[r / 64] |= (__force u64)cpu_to_le64(BIT_ULL(r % 64));
	KUNIT_ASSERT_EQ(test, do_io(rbdev(ctx, 1), REQ_OP_WRITE, sector,
				    &page, 1), 0);
	vol = stop_assemble(test, ctx, 2, &op_id);
	KUNIT_ASSERT_EQ(test, op_id, 0ULL);
	KUNIT_ASSERT_TRUE(test, disk_bit(test, ctx, 1, r));
	KUNIT_ASSERT_FALSE(test, disk_bit(test, ctx, 0, r));
	ctx->vfile = open_dev(disk_devt(vol->disk));
	KUNIT_ASSERT_FALSE(test, IS_ERR(ctx->vfile));
	fill(ctx->pages, 0xb1d);
	KUNIT_ASSERT_EQ(test, do_io(vbdev(ctx), REQ_OP_WRITE, r << shift,
				    ctx->pages, IO_PAGES), 0);
	KUNIT_EXPECT_TRUE_MSG(test, disk_bit(test, ctx, 0, r),
			      "a write into region %lu went out, its bit not on plex 0",
			      r);
	KUNIT_EXPECT_TRUE(test, disk_bit(test, ctx, 1, r));
}

/*
 * The missing-plex form of mirvol_test_bitmap_lost_gone_same_update():
 * plex 1's device went away (missing) and no update recorded that yet
 * when plex 0, the last in-sync plex, loses a bitmap page.  The set work's
 * update raising cleared_gen is the first without plex 1: it records it
 * missing with that generation as gone_generation, and the write goes
 * out to plex 0 alone, its bit on no disk.  Stopped before the page goes
 * out and assembled again, plex 1 comes back as a missing member: counted
 * as covered (gone_generation equal to cleared_gen), it copied the
 * regions of the on-disk bitmaps, skipped this one, and was promoted
 * with its old data there.  It must copy everything.
 */
static void mirvol_test_bitmap_lost_missing_same_update(struct kunit *test)
{
	struct io_ctx *ctx = test->priv;
	struct mirvol_op_info info;
	struct mirvol_volume *vol;
	struct mirvol_bitmap *bm;
	struct mirvol_plex *p0, *p1;
	unsigned long r = 30;
	unsigned int shift;
	u64 gen, op_id = 0;

	io_create(test, "kunit-bmmiss", 2, true, NULL);
	vol = ctx->vol;
	bm = vol->bitmap;
	KUNIT_ASSERT_NOT_NULL(test, bm);
	shift = bm->shift;
	p0 = vol->plexes[0];
	p1 = vol->plexes[1];
	/* No clean mark: no superblock update but the set work's. */
	vol->safe_mode_delay_ms = 0;
	fill(ctx->pages, 0x315);
	KUNIT_ASSERT_EQ(test, do_io(vbdev(ctx), REQ_OP_WRITE, r << shift,
				    ctx->pages, IO_PAGES), 0);
	/* The region clean again, its bit off every disk. */
	bitmap_fast_clear(bm, 50);
	KUNIT_ASSERT_TRUE(test, disk_bit_becomes(test, ctx, 2, r, false,
						 3000));
	bitmap_fast_clear(bm, MIRVOL_BM_CLEAR_MS_DEFAULT);

	/*
	 * Plex 1 missing, as its device going away makes it, the worker's
	 * update that would record it not run yet (the device itself stays
	 * attached: only the state counts for I/O and superblocks).
	 */
	mutex_lock(&vol->sb_mutex);
	gen = vol->generation;
	mirvol_set_plex_state(p1, MIRVOL_PLEX_MISSING);
	KUNIT_ASSERT_EQ(test, p1->gone_generation, 0ULL);
	mutex_unlock(&vol->sb_mutex);
	WRITE_ONCE(p0->inject, MIRVOL_INJECT_BITMAP);
	fill(ctx->pages, 0x315 + 1);
	KUNIT_EXPECT_EQ(test, do_io(vbdev(ctx), REQ_OP_WRITE, r << shift,
				    ctx->pages, IO_PAGES), 0);
	KUNIT_EXPECT_EQ(test, READ_ONCE(p0->state),
			(unsigned int)MIRVOL_PLEX_ACTIVE);
	KUNIT_EXPECT_FALSE(test, disk_bit(test, ctx, 0, r));
	/* One update ends the coverage and records plex 1 missing. */
	mutex_lock(&vol->sb_mutex);
	KUNIT_EXPECT_EQ(test, bm->cleared_gen, gen + 1);
	KUNIT_EXPECT_EQ(test, p1->gone_generation, gen + 1);
	mutex_unlock(&vol->sb_mutex);

	/* Stopped before the page goes out (plex 0 still fails it). */
	vol = stop_assemble(test, ctx, 2, &op_id);
	KUNIT_ASSERT_FALSE(test, disk_bit(test, ctx, 0, r));
	mutex_lock(&vol->lock);
	p1 = vol->plexes[1];
	KUNIT_ASSERT_NOT_NULL(test, p1);
	mirvol_plex_get(p1);
	mutex_unlock(&vol->lock);
	if (op_id) {
		KUNIT_EXPECT_EQ(test, mirvol_op_wait(op_id, 60000, &info),
				MIRVOL_R_NONE);
		KUNIT_EXPECT_EQ(test, info.state, (u32)MIRVOL_OPS_SUCCEEDED);
		KUNIT_EXPECT_EQ_MSG(test, info.total_bytes,
				    (u64)vol->size << SECTOR_SHIFT,
				    "plex 1 copied %llu bytes, not the volume",
				    info.total_bytes);
	}
	KUNIT_EXPECT_TRUE(test, wait_until(READ_ONCE(p1->state) ==
					   MIRVOL_PLEX_ACTIVE));
	mirvol_plex_put(p1);
	KUNIT_ASSERT_EQ(test, read_plex(ctx, 1, r << shift), 0);
	KUNIT_EXPECT_TRUE_MSG(test, same(ctx->pages, ctx->check),
			      "plex 1, active, holds stale data in region %lu, whose bit was lost",
			      r);
}

/*
 * Bitmap rule 4 when the update that ends the coverage fails as well.
 * Plex 1 is offline, gone after the coverage began: covered.  Plex 0, the
 * last in-sync plex, fails every write into its bitmap area and every
 * flush: the page is lost, and so is the superblock update that would
 * raise cleared_gen (it flushes first).  Plex 0's superblocks keep the
 * old cleared_gen, by which plex 1 still counts as covered: after a power
 * cut it comes back copying the regions of the on-disk bitmaps, which
 * lack this one.  Acknowledged, the write would be silently lost on plex
 * 1 (stale there, plex 0 holding the write).  It must fail instead, and
 * nothing may hang: a second one fails too, a write into a region whose
 * bit is on disk still goes, and once plex 0 takes its metadata again a
 * write into the region goes with its bit on disk.
 */
static void mirvol_test_bitmap_lost_unrecorded(struct kunit *test)
{
	struct io_ctx *ctx = test->priv;
	enum mirvol_reason reason;
	struct mirvol_volume *vol;
	struct mirvol_bitmap *bm;
	struct mirvol_plex *p0, *p1;
	struct mirvol_md md;
	unsigned long r = 30;
	bool covered;
	int ret;

	io_create_p1_offline(test, "kunit-bmunrec", 0x3c0);
	vol = ctx->vol;
	bm = vol->bitmap;
	p0 = vol->plexes[0];
	p1 = vol->plexes[1];
	KUNIT_ASSERT_TRUE(test, mirvol_bitmap_gone_covered(p1->gone_generation,
							   bm->cleared_gen));

	WRITE_ONCE(p0->inject, MIRVOL_INJECT_BITMAP | MIRVOL_INJECT_FLUSH);
	fill(ctx->pages, 0x3c0 + 1);
	ret = do_io(vbdev(ctx), REQ_OP_WRITE, r << bm->shift, ctx->pages,
		    IO_PAGES);
	/* What a power cut leaves now: plex 0's superblock and bitmap. */
	KUNIT_ASSERT_GE(test, mirvol_sb_read_dev(rbdev(ctx, 0), &md, &reason),
			0);
	covered = mirvol_bitmap_gone_covered(md.plexes[1].gone_generation,
					     md.bitmap_cleared_gen);
	KUNIT_EXPECT_FALSE(test, disk_bit(test, ctx, 0, r));
	KUNIT_EXPECT_FALSE_MSG(test, !ret && covered,
			       "write acknowledged, its bit on no disk, and plex 1 covered on disk (gone %llu, cleared_gen %llu): stale after a power cut",
			       md.plexes[1].gone_generation,
			       md.bitmap_cleared_gen);
	KUNIT_EXPECT_NE(test, ret, 0);
	KUNIT_EXPECT_EQ(test, READ_ONCE(p0->state),
			(unsigned int)MIRVOL_PLEX_ACTIVE);
	/* Failed, it reached no plex. */
	KUNIT_ASSERT_EQ(test, read_plex(ctx, 0, r << bm->shift), 0);
	KUNIT_EXPECT_FALSE_MSG(test, same(ctx->pages, ctx->check),
			       "a failed write reached plex 0");

	/* Still failing: the next one fails as well, and does not hang. */
	KUNIT_EXPECT_NE(test, do_io(vbdev(ctx), REQ_OP_WRITE, r << bm->shift,
				    ctx->pages, IO_PAGES), 0);
	/* A region whose bit is on disk (region 2) takes writes still. */
	KUNIT_EXPECT_EQ(test, do_io(vbdev(ctx), REQ_OP_WRITE, 2 << bm->shift,
				    ctx->pages, IO_PAGES), 0);

	/* Plex 0 takes its metadata again: the write goes, its bit first. */
	WRITE_ONCE(p0->inject, 0);
	KUNIT_EXPECT_EQ(test, do_io(vbdev(ctx), REQ_OP_WRITE, r << bm->shift,
				    ctx->pages, IO_PAGES), 0);
	KUNIT_EXPECT_TRUE(test, disk_bit(test, ctx, 0, r));
	KUNIT_ASSERT_EQ(test, read_plex(ctx, 0, r << bm->shift), 0);
	KUNIT_EXPECT_TRUE(test, same(ctx->pages, ctx->check));
	KUNIT_EXPECT_EQ(test, READ_ONCE(p0->state),
			(unsigned int)MIRVOL_PLEX_ACTIVE);
}

static DECLARE_COMPLETION(lp_at_end);
static DECLARE_COMPLETION(lp_go);
static DECLARE_COMPLETION(lp_promoted);
static struct mirvol_plex *lp_plex;

/* The resync copied everything: wait there until a set pass lost a page. */
static void lp_hold_resync_end(struct mirvol_volume *vol)
{
	WRITE_ONCE(mirvol_kunit_resync_end_hook, NULL);
	complete(&lp_at_end);
	wait_for_completion_timeout(&lp_go, msecs_to_jiffies(10000));
}

/* Plex 1 promoted and recorded so: from now on it fails every write. */
static void lp_fail_promoted(struct mirvol_volume *vol)
{
	WRITE_ONCE(mirvol_kunit_resync_promoted_hook, NULL);
	WRITE_ONCE(lp_plex->inject, MIRVOL_INJECT_WRITE);
	complete(&lp_promoted);
}

/* The lost set's update is done: let the resync promote plex 1 first. */
static void lp_promote_before_writers(struct mirvol_volume *vol)
{
	WRITE_ONCE(mirvol_kunit_bitmap_lost_hook, NULL);
	complete(&lp_go);
	wait_for_completion_timeout(&lp_promoted, msecs_to_jiffies(10000));
}

/*
 * Bitmap rule 4 against a plex promoted between the lost set's update and
 * its writers.  Plex 1 is a resync target at the end of its pass; plex 0,
 * the last in-sync plex, fails every write into its bitmap area.  A write
 * into a clean region: its page is lost, the set work raises cleared_gen
 * and records it, and before the writer goes on the resync promotes plex
 * 1 (recorded by a later update).  The write goes to both; plex 1 fails
 * it, and the update recording that gives plex 1 a gone_generation after
 * cleared_gen: covered, although it missed a write whose bit is on no
 * disk.  After a power cut (the page never went out) its re-add would
 * copy the regions of plex 0's bitmap and skip this one.
 */
static void mirvol_test_bitmap_lost_promoted(struct kunit *test)
{
	struct io_ctx *ctx = test->priv;
	struct mirvol_op_info info;
	enum mirvol_reason reason;
	struct mirvol_volume *vol;
	struct mirvol_bitmap *bm;
	struct mirvol_plex *p0, *p1;
	struct async_write aw;
	struct mirvol_md md;
	unsigned long r = 30;
	u64 cleared, op_id = 0;

	io_create_p1_offline(test, "kunit-bmpromo", 0x970);
	vol = ctx->vol;
	bm = vol->bitmap;
	p0 = vol->plexes[0];
	p1 = vol->plexes[1];
	lp_plex = p1;
	reinit_completion(&lp_at_end);
	reinit_completion(&lp_go);
	reinit_completion(&lp_promoted);
	WRITE_ONCE(mirvol_kunit_resync_end_hook, lp_hold_resync_end);
	WRITE_ONCE(mirvol_kunit_resync_promoted_hook, lp_fail_promoted);
	KUNIT_ASSERT_EQ(test, mirvol_plex_action(vol, p1->uuid.b,
						 MIRVOL_PLEX_TAKE_ONLINE, -1,
						 &op_id), MIRVOL_R_NONE);
	KUNIT_ASSERT_NE(test, op_id, 0ULL);
	KUNIT_ASSERT_TRUE(test, wait_for_completion_timeout(&lp_at_end,
							    msecs_to_jiffies(60000)));
	KUNIT_ASSERT_EQ(test, READ_ONCE(p1->state),
			(unsigned int)MIRVOL_PLEX_SYNCING);

	cleared = bm->cleared_gen;
	WRITE_ONCE(mirvol_kunit_bitmap_lost_hook, lp_promote_before_writers);
	WRITE_ONCE(p0->inject, MIRVOL_INJECT_BITMAP);
	fill(ctx->pages, 0x970 + 1);
	async_write_start(&aw, vbdev(ctx), r << bm->shift, ctx->pages);
	async_write_finish(test, &aw);
	KUNIT_EXPECT_EQ(test, aw.ret, 0);
	KUNIT_ASSERT_EQ(test, mirvol_op_wait(op_id, 60000, &info),
			MIRVOL_R_NONE);
	/* The hooks ran, in that order. */
	KUNIT_EXPECT_NULL(test, READ_ONCE(mirvol_kunit_bitmap_lost_hook));
	KUNIT_EXPECT_NULL(test, READ_ONCE(mirvol_kunit_resync_promoted_hook));
	KUNIT_EXPECT_GT(test, bm->cleared_gen, cleared);
	KUNIT_EXPECT_EQ(test, READ_ONCE(p0->state),
			(unsigned int)MIRVOL_PLEX_ACTIVE);
	KUNIT_EXPECT_EQ(test, READ_ONCE(p1->state),
			(unsigned int)MIRVOL_PLEX_FAILED);
	KUNIT_EXPECT_FALSE(test, disk_bit(test, ctx, 0, r));

	/* Plex 1 missed the write: not covered, in memory nor on disk. */
	mutex_lock(&vol->sb_mutex);
	KUNIT_EXPECT_FALSE_MSG(test,
			       mirvol_bitmap_gone_covered(p1->gone_generation,
							  bm->cleared_gen),
			       "plex 1 covered (gone %llu, cleared_gen %llu), missed a write whose bit is on no disk",
			       p1->gone_generation, bm->cleared_gen);
	mutex_unlock(&vol->sb_mutex);
	KUNIT_ASSERT_GE(test, mirvol_sb_read_dev(rbdev(ctx, 0), &md, &reason),
			0);
	KUNIT_EXPECT_EQ(test, md.plexes[1].state, (u32)MIRVOL_PLEX_FAILED);
	KUNIT_EXPECT_FALSE_MSG(test,
			       mirvol_bitmap_gone_covered(md.plexes[1].gone_generation,
							  md.bitmap_cleared_gen),
			       "on disk: plex 1 covered (gone %llu, cleared_gen %llu)",
			       md.plexes[1].gone_generation,
			       md.bitmap_cleared_gen);
	WRITE_ONCE(p0->inject, 0);
	WRITE_ONCE(p1->inject, 0);
}

/* The lost set's update: its first attempt on plex 0, its next failing. */
static struct {
	struct mirvol_volume *vol;
	struct mirvol_plex *p0, *p1;
	unsigned int step;
} lr;

static void lr_sb_write_hook(struct mirvol_volume *vol, bool page)
{
	/* Only the set work's update, plex 0 failing its bitmap area. */
	if (vol != lr.vol || current_work() != &vol->bitmap->set_work ||
	    !(READ_ONCE(lr.p0->inject) & MIRVOL_INJECT_BITMAP))
		return;
	if (lr.step == 0 && page) {
		/* Plex 0's superblock goes first; plex 1 fails its own. */
		WRITE_ONCE(lr.p1->inject, MIRVOL_INJECT_WRITE);
		lr.step = 1;
	} else if (lr.step == 1 && !page) {
		/* The next attempt, without plex 1: plex 0 fails it. */
		WRITE_ONCE(lr.p0->inject,
			   READ_ONCE(lr.p0->inject) | MIRVOL_INJECT_FLUSH);
		lr.step = 2;
		WRITE_ONCE(mirvol_kunit_sb_write_hook, NULL);
	}
}

/*
 * Bitmap rule 4 when the update raising cleared_gen reaches plex 0, the
 * last in-sync plex, and then fails.  Plex 1 is a resync target at the
 * end of its pass; plex 0 fails every write into its bitmap area: a write
 * into a clean region loses its page, and the set work raises
 * cleared_gen.  Its update's first attempt is on plex 0's media (plex 1
 * fails its superblock write and is failed); the next attempt, which
 * records that, fails on plex 0.  What is durable ends the coverage:
 * plex 0's superblock records the raised cleared_gen.  The writer must
 * go, not fail as though no in-sync plex had recorded it.  Its data write
 * is held back until plex 0 takes its metadata again, so that the
 * worker's update recording plex 1's failure, which it waits for, works.
 */
static void mirvol_test_bitmap_lost_recorded_then_failed(struct kunit *test)
{
	struct io_ctx *ctx = test->priv;
	enum mirvol_reason reason;
	struct mirvol_op_info info;
	struct mirvol_volume *vol;
	struct mirvol_bitmap *bm;
	struct mirvol_plex *p0, *p1;
	struct async_write aw;
	struct mirvol_md md;
	unsigned long r = 30;
	u64 gen, op_id = 0;
	unsigned int held;
	int ret;

	io_create_p1_offline(test, "kunit-bmrecfail", 0x7ec);
	vol = ctx->vol;
	bm = vol->bitmap;
	p0 = vol->plexes[0];
	p1 = vol->plexes[1];
	reinit_completion(&lp_at_end);
	reinit_completion(&lp_go);
	WRITE_ONCE(mirvol_kunit_resync_end_hook, lp_hold_resync_end);
	KUNIT_ASSERT_EQ(test, mirvol_plex_action(vol, p1->uuid.b,
						 MIRVOL_PLEX_TAKE_ONLINE, -1,
						 &op_id), MIRVOL_R_NONE);
	KUNIT_ASSERT_NE(test, op_id, 0ULL);
	KUNIT_ASSERT_TRUE(test, wait_for_completion_timeout(&lp_at_end,
							    msecs_to_jiffies(60000)));
	KUNIT_ASSERT_EQ(test, READ_ONCE(p1->state),
			(unsigned int)MIRVOL_PLEX_SYNCING);

	mutex_lock(&vol->sb_mutex);
	gen = vol->generation;
	mutex_unlock(&vol->sb_mutex);
	lr.vol = vol;
	lr.p0 = p0;
	lr.p1 = p1;
	lr.step = 0;
	WRITE_ONCE(p0->inject, MIRVOL_INJECT_BITMAP | MIRVOL_INJECT_HOLD);
	WRITE_ONCE(mirvol_kunit_sb_write_hook, lr_sb_write_hook);
	fill(ctx->pages, 0x7ec + 1);
	async_write_start(&aw, vbdev(ctx), r << bm->shift, ctx->pages);
	wait_until(mirvol_kunit_nr_held() || completion_done(&aw.done));
	held = mirvol_kunit_nr_held();
	WRITE_ONCE(mirvol_kunit_sb_write_hook, NULL);
	WRITE_ONCE(p0->inject, 0);
	mirvol_kunit_end_held(BLK_STS_OK);
	async_write_finish(test, &aw);
	ret = aw.ret;
	complete(&lp_go);
	KUNIT_EXPECT_EQ(test, mirvol_op_wait(op_id, 60000, &info),
			MIRVOL_R_NONE);
	KUNIT_ASSERT_EQ(test, lr.step, 2U);
	KUNIT_EXPECT_EQ(test, READ_ONCE(p0->state),
			(unsigned int)MIRVOL_PLEX_ACTIVE);
	KUNIT_EXPECT_EQ(test, READ_ONCE(p1->state),
			(unsigned int)MIRVOL_PLEX_FAILED);
	KUNIT_EXPECT_FALSE(test, disk_bit(test, ctx, 0, r));

	/* Plex 0's media: the raise is recorded, plex 1 not covered. */
	KUNIT_ASSERT_GE(test, mirvol_sb_read_dev(rbdev(ctx, 0), &md, &reason),
			0);
	KUNIT_EXPECT_GE(test, md.generation, gen + 1);
	KUNIT_ASSERT_EQ(test, md.bitmap_cleared_gen, gen + 1);
	KUNIT_EXPECT_FALSE(test,
			   md.plexes[1].state == MIRVOL_PLEX_MISSING &&
			   mirvol_bitmap_gone_covered(md.plexes[1].gone_generation,
						      md.bitmap_cleared_gen));
	KUNIT_EXPECT_EQ_MSG(test, held, 1U,
			    "the write was not sent, though plex 0 recorded cleared_gen %llu",
			    md.bitmap_cleared_gen);
	KUNIT_EXPECT_EQ(test, ret, 0);
	KUNIT_ASSERT_EQ(test, read_plex(ctx, 0, r << bm->shift), 0);
	KUNIT_EXPECT_EQ(test, same(ctx->pages, ctx->check), !ret);
}

/* Set passes of mirvol_test_bitmap_lost_taker_failed() that lost a page. */
static atomic_t bp_lost;

/* Plex 0 took the page: a data write error (another context) fails it. */
static void bp_fail_p0(struct mirvol_plex *plex)
{
	if (plex->index != 0)
		return;
	WRITE_ONCE(mirvol_kunit_bitmap_page_hook, NULL);
	mirvol_plex_error(plex, true);
}

static void bp_count_lost(struct mirvol_volume *vol)
{
	atomic_inc(&bp_lost);
}

/*
 * Bitmap rule 4 when a plex that took a page fails before the page write
 * has judged every target.  Plex 0 takes the page of a clean region, and
 * is then failed by a write error elsewhere; plex 1, now the last in-sync
 * plex, fails the page and is kept.  No plex in sync holds the bit: the
 * page is lost.  Counted as taken (plex 0 was in sync when it took it),
 * the region would be ONDISK with its bit on plex 0 alone, and a re-add
 * of plex 0 after a reboot would copy by plex 1's bitmap and skip it.
 */
static void mirvol_test_bitmap_lost_taker_failed(struct kunit *test)
{
	struct io_ctx *ctx = test->priv;
	struct mirvol_plex *p0, *p1;
	struct mirvol_bitmap *bm;
	unsigned long r = 30;

	io_create(test, "kunit-bmtaker", 2, true, NULL);
	bm = ctx->vol->bitmap;
	KUNIT_ASSERT_NOT_NULL(test, bm);
	p0 = ctx->vol->plexes[0];
	p1 = ctx->vol->plexes[1];
	atomic_set(&bp_lost, 0);
	WRITE_ONCE(p1->inject, MIRVOL_INJECT_BITMAP);
	WRITE_ONCE(mirvol_kunit_bitmap_lost_hook, bp_count_lost);
	WRITE_ONCE(mirvol_kunit_bitmap_page_hook, bp_fail_p0);
	fill(ctx->pages, 0x7a4e);
	KUNIT_EXPECT_EQ(test, do_io(vbdev(ctx), REQ_OP_WRITE, r << bm->shift,
				    ctx->pages, IO_PAGES), 0);
	KUNIT_EXPECT_NULL(test, READ_ONCE(mirvol_kunit_bitmap_page_hook));
	WRITE_ONCE(mirvol_kunit_bitmap_page_hook, NULL);
	WRITE_ONCE(mirvol_kunit_bitmap_lost_hook, NULL);
	KUNIT_EXPECT_EQ(test, READ_ONCE(p0->state),
			(unsigned int)MIRVOL_PLEX_FAILED);
	KUNIT_EXPECT_EQ(test, READ_ONCE(p1->state),
			(unsigned int)MIRVOL_PLEX_ACTIVE);
	KUNIT_EXPECT_FALSE(test, disk_bit(test, ctx, 1, r));
	KUNIT_EXPECT_GT_MSG(test, atomic_read(&bp_lost), 0,
			    "the page counted as taken by plex 0, failed since");
	KUNIT_EXPECT_FALSE_MSG(test, atomic_read(&bm->state[r]) &
			       MIRVOL_BM_ONDISK,
			       "region ONDISK, its bit on no in-sync plex");
	WRITE_ONCE(p1->inject, 0);
}

/*
 * The clear work keeps a page no in-sync plex took too: a bit cleared in
 * memory whose page write failed is still set on disk (a larger resync,
 * never a skipped region), and the page must be written again, not
 * forgotten.  Both plexes fail their bitmap area: the clear fails plex 0
 * and keeps plex 1, the last in-sync plex.  Once plex 1 takes its bitmap
 * area again, its bit goes within a period, with no write into the
 * region.
 */
static void mirvol_test_bitmap_clear_lost(struct kunit *test)
{
	struct io_ctx *ctx = test->priv;
	struct mirvol_bitmap *bm;
	struct mirvol_plex *p0, *p1;
	unsigned long r = 20;
	unsigned int i;

	io_create(test, "kunit-bmclrlost", 2, true, NULL);
	bm = ctx->vol->bitmap;
	KUNIT_ASSERT_NOT_NULL(test, bm);
	p0 = ctx->vol->plexes[0];
	p1 = ctx->vol->plexes[1];
	fill(ctx->pages, 0xc1057);
	KUNIT_ASSERT_EQ(test, do_io(vbdev(ctx), REQ_OP_WRITE, r << bm->shift,
				    ctx->pages, IO_PAGES), 0);
	for (i = 0; i < 2; i++)
		KUNIT_EXPECT_TRUE(test, disk_bit(test, ctx, i, r));
	WRITE_ONCE(p0->inject, MIRVOL_INJECT_BITMAP);
	WRITE_ONCE(p1->inject, MIRVOL_INJECT_BITMAP);
	bitmap_fast_clear(bm, 50);
	KUNIT_EXPECT_TRUE(test, wait_until(READ_ONCE(p0->state) ==
					   MIRVOL_PLEX_FAILED));
	KUNIT_EXPECT_EQ(test, mirvol_bitmap_weight(bm), 0UL);
	KUNIT_EXPECT_EQ(test, READ_ONCE(p1->state),
			(unsigned int)MIRVOL_PLEX_ACTIVE);
	KUNIT_EXPECT_TRUE(test, disk_bit(test, ctx, 1, r));
	WRITE_ONCE(p1->inject, 0);
	KUNIT_EXPECT_TRUE_MSG(test, wait_until(!disk_bit(test, ctx, 1, r)),
			      "the clear whose page write failed was never written again");
	WRITE_ONCE(p0->inject, 0);
	bitmap_fast_clear(bm, MIRVOL_BM_CLEAR_MS_DEFAULT);
}

/*
 * A plex taken offline misses writes; brought online it copies only the
 * regions written meanwhile (their bytes are the resync's total), and
 * holds them after.  Without a bitmap it would copy the whole volume.
 */
static void mirvol_test_offline_online(struct kunit *test)
{
	struct io_ctx *ctx = test->priv;
	struct mirvol_op_info info;
	struct mirvol_bitmap *bm;
	struct mirvol_plex *p1;
	u8 uuid[MIRVOL_UUID_LEN];
	u64 op_id = 0;
	sector_t s;

	io_create(test, "kunit-offline", 2, true, NULL);
	bm = ctx->vol->bitmap;
	KUNIT_ASSERT_NOT_NULL(test, bm);
	p1 = ctx->vol->plexes[1];
	memcpy(uuid, &p1->uuid, MIRVOL_UUID_LEN);
	/* Not the last in-sync plex. */
	KUNIT_EXPECT_EQ(test, mirvol_plex_action(ctx->vol, uuid,
						 MIRVOL_PLEX_TAKE_OFFLINE, -1,
						 &op_id), MIRVOL_R_NONE);
	KUNIT_EXPECT_EQ(test, p1->state, MIRVOL_PLEX_OFFLINE);
	KUNIT_EXPECT_EQ(test, mirvol_plex_action(ctx->vol,
						 ctx->vol->plexes[0]->uuid.b,
						 MIRVOL_PLEX_TAKE_OFFLINE, -1,
						 &op_id),
			MIRVOL_R_REMAINING_PLEX_STALE);
	/* Two regions written while it is away. */
	s = (sector_t)50 << bm->shift;
	fill(ctx->pages, 0x0ff1);
	KUNIT_ASSERT_EQ(test, do_io(vbdev(ctx), REQ_OP_WRITE, s, ctx->pages,
				    IO_PAGES), 0);
	KUNIT_ASSERT_EQ(test, do_io(vbdev(ctx), REQ_OP_WRITE,
				    s + 3 * (IO_PAGES << 3), ctx->pages,
				    IO_PAGES), 0);
	KUNIT_ASSERT_EQ(test, read_plex(ctx, 1, s), 0);
	KUNIT_EXPECT_FALSE(test, same(ctx->pages, ctx->check));
	take_online_wait(test, ctx->vol, p1,
			 2ULL << (bm->shift + SECTOR_SHIFT));
	KUNIT_ASSERT_EQ(test, read_plex(ctx, 1, s), 0);
	KUNIT_EXPECT_TRUE(test, same(ctx->pages, ctx->check));
	KUNIT_ASSERT_EQ(test, read_plex(ctx, 1, s + 3 * (IO_PAGES << 3)), 0);
	KUNIT_EXPECT_TRUE(test, same(ctx->pages, ctx->check));

	/* Failed by request, re-added: the same. */
	KUNIT_EXPECT_EQ(test, mirvol_plex_action(ctx->vol, uuid,
						 MIRVOL_PLEX_FAIL, -1, &op_id),
			MIRVOL_R_NONE);
	KUNIT_EXPECT_EQ(test, p1->state, MIRVOL_PLEX_FAILED);
	fill(ctx->pages, 0xfa11);
	KUNIT_ASSERT_EQ(test, do_io(vbdev(ctx), REQ_OP_WRITE, s, ctx->pages,
				    IO_PAGES), 0);
	KUNIT_EXPECT_EQ(test, mirvol_plex_action(ctx->vol, uuid,
						 MIRVOL_PLEX_TAKE_ONLINE, -1,
						 &op_id),
			MIRVOL_R_INVALID_OPERATION);
	KUNIT_EXPECT_EQ(test, mirvol_plex_action(ctx->vol, uuid,
						 MIRVOL_PLEX_READD, -1, &op_id),
			MIRVOL_R_NONE);
	KUNIT_ASSERT_NE(test, op_id, 0ULL);
	KUNIT_ASSERT_EQ(test, mirvol_op_wait(op_id, 60000, &info),
			MIRVOL_R_NONE);
	KUNIT_EXPECT_LE(test, info.total_bytes,
			2ULL << (bm->shift + SECTOR_SHIFT));
	KUNIT_ASSERT_EQ(test, read_plex(ctx, 1, s), 0);
	KUNIT_EXPECT_TRUE(test, same(ctx->pages, ctx->check));
}

/*
 * A plex coming back whose join write reaches it but whose update write
 * does not (its device failing between the two): the update fails it
 * again, and online or re-add must say so (IO_ERROR, no operation), not
 * succeed.  The join goes through mirvol_sync_rw() (no injection), the
 * update through mirvol_batch_submit(): MIRVOL_INJECT_WRITE fails the
 * update only.  Once the device is well, re-add works.
 */
static void mirvol_test_return_update_fails(struct kunit *test)
{
	static const unsigned int actions[] = {
		MIRVOL_PLEX_TAKE_OFFLINE, MIRVOL_PLEX_FAIL,
	};
	struct io_ctx *ctx = test->priv;
	struct mirvol_op_info info;
	struct mirvol_plex *p1;
	u8 uuid[MIRVOL_UUID_LEN];
	unsigned int i;
	u64 op_id;
	u64 gen;

	io_create(test, "kunit-retfail", 2, true, NULL);
	p1 = ctx->vol->plexes[1];
	memcpy(uuid, &p1->uuid, MIRVOL_UUID_LEN);
	for (i = 0; i < ARRAY_SIZE(actions); i++) {
		unsigned int back = actions[i] == MIRVOL_PLEX_FAIL ?
				    MIRVOL_PLEX_READD :
				    MIRVOL_PLEX_TAKE_ONLINE;

		KUNIT_ASSERT_EQ(test, mirvol_plex_action(ctx->vol, uuid,
							 actions[i], -1,
							 &op_id),
				MIRVOL_R_NONE);
		fill(ctx->pages, 0x7e70 + i);
		KUNIT_ASSERT_EQ(test, do_io(vbdev(ctx), REQ_OP_WRITE, 64,
					    ctx->pages, IO_PAGES), 0);
		gen = ctx->vol->generation;
		WRITE_ONCE(p1->inject, MIRVOL_INJECT_WRITE);
		op_id = 1;
		KUNIT_EXPECT_EQ(test, mirvol_plex_action(ctx->vol, uuid, back,
							 -1, &op_id),
				MIRVOL_R_IO_ERROR);
		KUNIT_EXPECT_EQ(test, op_id, 0ULL);
		KUNIT_EXPECT_EQ(test, READ_ONCE(p1->state),
				(unsigned int)MIRVOL_PLEX_FAILED);
		/* The update was written, recording the failure, on plex 0. */
		KUNIT_EXPECT_GT(test, ctx->vol->generation, gen);
		WRITE_ONCE(p1->inject, 0);

		/* Well again: re-add copies what it missed. */
		KUNIT_ASSERT_EQ(test, mirvol_plex_action(ctx->vol, uuid,
							 MIRVOL_PLEX_READD, -1,
							 &op_id),
				MIRVOL_R_NONE);
		KUNIT_ASSERT_NE(test, op_id, 0ULL);
		KUNIT_ASSERT_EQ(test, mirvol_op_wait(op_id, 60000, &info),
				MIRVOL_R_NONE);
		KUNIT_EXPECT_EQ(test, READ_ONCE(p1->state),
				(unsigned int)MIRVOL_PLEX_ACTIVE);
		KUNIT_ASSERT_EQ(test, read_plex(ctx, 1, 64), 0);
		KUNIT_EXPECT_TRUE(test, same(ctx->pages, ctx->check));
	}
}

/*
 * The plex @uuid was replaced by ram2: gone, the two plexes left in sync,
 * ram2 holding what was written at sector 2048.
 */
static void expect_replaced(struct kunit *test, const u8 *uuid)
{
	struct io_ctx *ctx = test->priv;
	int i, n = 0;

	KUNIT_EXPECT_NULL(test, mirvol_plex_find(ctx->vol, uuid));
	for (i = 0; i < MIRVOL_MAX_PLEXES; i++)
		if (ctx->vol->plexes[i]) {
			n++;
			KUNIT_EXPECT_EQ(test, ctx->vol->plexes[i]->state,
					MIRVOL_PLEX_ACTIVE);
		}
	KUNIT_EXPECT_EQ(test, n, 2);
	KUNIT_EXPECT_EQ(test, ctx->vol->state, MIRVOL_VOLUME_ONLINE);
	KUNIT_ASSERT_EQ(test, read_plex(ctx, 2, 2048), 0);
	KUNIT_EXPECT_TRUE(test, same(ctx->pages, ctx->check));
}

/*
 * Replace: the new device syncs while the old plex stays in the mirror,
 * then the old one leaves with its metadata erased; the data is on the
 * new one.
 */
static void mirvol_test_replace(struct kunit *test)
{
	struct io_ctx *ctx = test->priv;
	struct mirvol_op_info info;
	u8 uuid[MIRVOL_UUID_LEN];
	struct mirvol_plex *p1;
	struct mirvol_md md;
	enum mirvol_reason reason;
	u64 op_id = 0;

	io_create(test, "kunit-replace", 2, true, NULL);
	fill(ctx->pages, 0x4e91);
	KUNIT_ASSERT_EQ(test, do_io(vbdev(ctx), REQ_OP_WRITE, 2048,
				    ctx->pages, IO_PAGES), 0);
	p1 = ctx->vol->plexes[1];
	memcpy(uuid, &p1->uuid, MIRVOL_UUID_LEN);
	/* Not the device of a plex, not without a device. */
	KUNIT_EXPECT_EQ(test, mirvol_replace_plex(ctx->vol, uuid, ctx->ram[0],
						  &op_id),
			MIRVOL_R_DEVICE_BUSY);
	reason = mirvol_replace_plex(ctx->vol, uuid, ctx->ram[2], &op_id);
	KUNIT_ASSERT_EQ(test, reason, MIRVOL_R_NONE);
	KUNIT_ASSERT_EQ(test, mirvol_op_wait(op_id, 60000, &info),
			MIRVOL_R_NONE);
	KUNIT_EXPECT_EQ(test, info.type, (u32)MIRVOL_OP_REPLACE);
	KUNIT_EXPECT_EQ(test, info.state, (u32)MIRVOL_OPS_SUCCEEDED);
	expect_replaced(test, uuid);
	/* The old device is free: no superblock left. */
	KUNIT_EXPECT_LT(test, mirvol_sb_read_dev(rbdev(ctx, 1), &md, &reason),
			0);
}

/*
 * The last close of a volume holds its gendisk's open_mutex while it
 * writes the dirty pages back (bdev_release()).  A change that suspends
 * I/O must not wait for that mutex before it resumes, or neither goes
 * on.  The closer plays that close at the next suspension of its volume:
 * open_mutex taken, then I/O to the volume, held back until the resume
 * (a read: an empty flush never reaches a volume without a write cache).  It gives the mutex up after 3 s if its I/O is still held
 * (and says so), so that a test of the old code fails instead of hanging.
 */
static void closer_lock_fn(struct work_struct *work);
static void closer_io_fn(struct work_struct *work);

static struct {
	struct mirvol_volume *vol;
	struct block_device *bdev;
	struct page *page;
	struct completion locked;
	struct completion done;
	bool armed;
	bool ran;
	bool stuck;
} closer;
static DECLARE_WORK(closer_lock_work, closer_lock_fn);
static DECLARE_WORK(closer_io_work, closer_io_fn);

static void closer_io_fn(struct work_struct *work)
{
	do_io(closer.bdev, REQ_OP_READ, 0, &closer.page, 1);
	complete(&closer.done);
}

static void closer_lock_fn(struct work_struct *work)
{
	struct gendisk *disk = closer.vol->disk;

	mutex_lock(&disk->open_mutex);
	complete(&closer.locked);
	queue_work(system_unbound_wq, &closer_io_work);
	if (!wait_for_completion_timeout(&closer.done, 3 * HZ)) {
		closer.stuck = true;
		mutex_unlock(&disk->open_mutex);
		wait_for_completion(&closer.done);
		return;
	}
	mutex_unlock(&disk->open_mutex);
}

static void closer_hook(struct mirvol_volume *vol)
{
	if (vol != closer.vol || !closer.armed)
		return;
	closer.armed = false;
	closer.ran = true;
	queue_work(system_unbound_wq, &closer_lock_work);
	wait_for_completion(&closer.locked);
}

/* Play the close at the next suspension of @vol. */
static void closer_arm(struct mirvol_volume *vol, struct block_device *bdev,
		       struct page *page)
{
	closer.vol = vol;
	closer.bdev = bdev;
	closer.page = page;
	closer.ran = false;
	closer.stuck = false;
	init_completion(&closer.locked);
	init_completion(&closer.done);
	closer.armed = true;
	WRITE_ONCE(mirvol_kunit_suspend_hook, closer_hook);
}

static void closer_stop(void)
{
	WRITE_ONCE(mirvol_kunit_suspend_hook, NULL);
	flush_work(&closer_lock_work);
	flush_work(&closer_io_work);
	closer.armed = false;
}

/* Does the plex array match the holder links? */
static void expect_links(struct kunit *test, struct mirvol_volume *vol)
{
	unsigned int i;

	for (i = 0; i < MIRVOL_MAX_PLEXES; i++)
		if (vol->plexes[i])
			KUNIT_EXPECT_TRUE_MSG(test, vol->plexes[i]->linked,
					      "plex %u not linked", i);
}

/*
 * Add-plex attaches and remove-plex detaches a plex with I/O suspended:
 * the holder links (made and removed under open_mutex) follow once I/O
 * goes again, and end up as the plex array says.
 */
static void mirvol_test_suspend_vs_last_close(struct kunit *test)
{
	struct io_ctx *ctx = test->priv;
	struct mirvol_op_info info;
	struct mirvol_plex *added;
	u8 uuid[MIRVOL_UUID_LEN];
	u64 op_id = 0;

	io_create(test, "kunit-close", 2, true, NULL);
	/* No safe-mode suspension in between. */
	ctx->vol->safe_mode_delay_ms = 0;

	closer_arm(ctx->vol, vbdev(ctx), ctx->check[0]);
	KUNIT_ASSERT_EQ(test, mirvol_add_plex(ctx->vol, ctx->ram[2], NULL,
					      false, &op_id), MIRVOL_R_NONE);
	KUNIT_EXPECT_EQ(test, mirvol_op_wait(op_id, 60000, &info),
			MIRVOL_R_NONE);
	closer_stop();
	KUNIT_EXPECT_EQ(test, info.state, (u32)MIRVOL_OPS_SUCCEEDED);
	KUNIT_EXPECT_TRUE(test, closer.ran);
	KUNIT_EXPECT_FALSE_MSG(test, closer.stuck,
			       "add-plex waited for open_mutex with I/O suspended");
	expect_links(test, ctx->vol);
	added = ctx->vol->plexes[2];
	KUNIT_ASSERT_NOT_NULL(test, added);
	mirvol_plex_get(added);
	memcpy(uuid, &added->uuid, MIRVOL_UUID_LEN);

	closer_arm(ctx->vol, vbdev(ctx), ctx->check[0]);
	op_id = 0;
	KUNIT_EXPECT_EQ(test, mirvol_remove_plex(ctx->vol, uuid, &op_id),
			MIRVOL_R_NONE);
	if (op_id)
		KUNIT_EXPECT_EQ(test, mirvol_op_wait(op_id, 60000, &info),
				MIRVOL_R_NONE);
	closer_stop();
	KUNIT_EXPECT_TRUE(test, closer.ran);
	KUNIT_EXPECT_FALSE_MSG(test, closer.stuck,
			       "remove-plex waited for open_mutex with I/O suspended");
	expect_links(test, ctx->vol);
	KUNIT_EXPECT_NULL(test, added->vol);
	KUNIT_EXPECT_FALSE(test, added->linked);
	mirvol_plex_put(added);
}

/* SET_VOLUME drops and adds the bitmap, and stores the speeds. */
static void mirvol_test_set_volume(struct kunit *test)
{
	struct io_ctx *ctx = test->priv;
	struct mirvol_set_volume sv = {};
	struct mirvol_op_info info;
	u8 uuid[MIRVOL_UUID_LEN];
	struct mirvol_plex *p1;
	u64 op_id = 0;

	io_create(test, "kunit-setvol", 2, true, NULL);
	KUNIT_ASSERT_NOT_NULL(test, ctx->vol->bitmap);
	sv.hdr.flags = MIRVOL_SET_F_BITMAP;
	KUNIT_EXPECT_EQ(test, mirvol_set_volume(ctx->vol, &sv),
			MIRVOL_R_NONE);
	KUNIT_EXPECT_NULL(test, ctx->vol->bitmap);
	KUNIT_EXPECT_EQ(test, mirvol_set_volume(ctx->vol, &sv),
			MIRVOL_R_NO_BITMAP);
	/* Without a bitmap an offline plex copies everything. */
	p1 = ctx->vol->plexes[1];
	memcpy(uuid, &p1->uuid, MIRVOL_UUID_LEN);
	KUNIT_ASSERT_EQ(test, mirvol_plex_action(ctx->vol, uuid,
						 MIRVOL_PLEX_TAKE_OFFLINE, -1,
						 &op_id), MIRVOL_R_NONE);
	KUNIT_ASSERT_EQ(test, mirvol_plex_action(ctx->vol, uuid,
						 MIRVOL_PLEX_TAKE_ONLINE, -1,
						 &op_id), MIRVOL_R_NONE);
	KUNIT_ASSERT_EQ(test, mirvol_op_wait(op_id, 60000, &info),
			MIRVOL_R_NONE);
	KUNIT_EXPECT_EQ(test, info.total_bytes,
			(u64)ctx->vol->size << SECTOR_SHIFT);
	/* Added back with 1 MiB regions, and speeds stored. */
	sv.hdr.flags = MIRVOL_SET_F_BITMAP | MIRVOL_SET_F_SPEED;
	sv.bitmap = 1;
	sv.bitmap_region_bytes = 1 << 20;
	sv.sync_speed_min = 2000;
	sv.sync_speed_max = 90000;
	KUNIT_EXPECT_EQ(test, mirvol_set_volume(ctx->vol, &sv),
			MIRVOL_R_NONE);
	KUNIT_ASSERT_NOT_NULL(test, ctx->vol->bitmap);
	KUNIT_EXPECT_EQ(test, ctx->vol->bitmap->shift, 11U);
	KUNIT_EXPECT_EQ(test, ctx->vol->sync_speed_max, 90000U);
	KUNIT_EXPECT_EQ(test, ctx->vol->speed_min_stored, 2000U);
	KUNIT_EXPECT_EQ(test, mirvol_set_volume(ctx->vol, &sv),
			MIRVOL_R_INVALID_OPERATION);
	/* Writes mark it. */
	fill(ctx->pages, 0x5e7);
	KUNIT_ASSERT_EQ(test, do_io(vbdev(ctx), REQ_OP_WRITE, 4096,
				    ctx->pages, IO_PAGES), 0);
	KUNIT_EXPECT_TRUE(test, disk_bit(test, ctx, 1, 4096 >> 11));
}

static bool plexes_same(struct kunit *test, struct io_ctx *ctx,
			unsigned int a, unsigned int b, sector_t *where);

/*
 * A bitmap added by SET_VOLUME to a running volume covers what a plex
 * taken away afterwards misses: written, offline, written again in two
 * regions, back online, the plex copies those two regions only, and then
 * holds the same data as the other.
 */
static void mirvol_test_bitmap_set_volume_added_readd(struct kunit *test)
{
	struct io_ctx *ctx = test->priv;
	struct mirvol_set_volume sv = {};
	struct mirvol_volume *vol;
	struct mirvol_bitmap *bm;
	struct mirvol_plex *p1;
	sector_t where = 0;
	u64 op_id = 0;

	io_create(test, "kunit-setbmadd", 2, true, NULL);
	vol = ctx->vol;
	p1 = vol->plexes[1];
	/* Without a bitmap, written; then one added while it runs. */
	sv.hdr.flags = MIRVOL_SET_F_BITMAP;
	KUNIT_ASSERT_EQ(test, mirvol_set_volume(vol, &sv), MIRVOL_R_NONE);
	KUNIT_ASSERT_NULL(test, vol->bitmap);
	fill(ctx->pages, 0xadd0);
	KUNIT_ASSERT_EQ(test, do_io(vbdev(ctx), REQ_OP_WRITE, 4096,
				    ctx->pages, IO_PAGES), 0);
	sv.bitmap = 1;
	sv.bitmap_region_bytes = 1 << 20;
	KUNIT_ASSERT_EQ(test, mirvol_set_volume(vol, &sv), MIRVOL_R_NONE);
	bm = vol->bitmap;
	KUNIT_ASSERT_NOT_NULL(test, bm);
	KUNIT_ASSERT_EQ(test, bm->shift, 11U);
	/* A write marks region 3; idle, it is clean again. */
	fill(ctx->pages, 0xadd1);
	KUNIT_ASSERT_EQ(test, do_io(vbdev(ctx), REQ_OP_WRITE, 3 << bm->shift,
				    ctx->pages, IO_PAGES), 0);
	KUNIT_EXPECT_TRUE(test, disk_bit(test, ctx, 0, 3));
	bitmap_fast_clear(bm, 50);
	KUNIT_ASSERT_TRUE(test, disk_bit_becomes(test, ctx, 2, 3, false,
						 3000));
	bitmap_fast_clear(bm, MIRVOL_BM_CLEAR_MS_DEFAULT);

	/* Plex 1 away; regions 5 and 6 written (one write across both). */
	KUNIT_ASSERT_EQ(test, mirvol_plex_action(vol, p1->uuid.b,
						 MIRVOL_PLEX_TAKE_OFFLINE, -1,
						 &op_id), MIRVOL_R_NONE);
	KUNIT_ASSERT_EQ(test, p1->state, MIRVOL_PLEX_OFFLINE);
	fill(ctx->pages, 0xadd2);
	KUNIT_ASSERT_EQ(test, do_io(vbdev(ctx), REQ_OP_WRITE,
				    (6 << bm->shift) - 64, ctx->pages,
				    IO_PAGES), 0);
	KUNIT_EXPECT_TRUE(test, disk_bit(test, ctx, 0, 5));
	KUNIT_EXPECT_TRUE(test, disk_bit(test, ctx, 0, 6));
	KUNIT_ASSERT_EQ(test, read_plex(ctx, 1, (6 << bm->shift) - 64), 0);
	KUNIT_EXPECT_FALSE(test, same(ctx->pages, ctx->check));

	/* Back: the two dirty regions only, and then both alike. */
	take_online_wait(test, vol, p1, 2ULL << 20);
	KUNIT_ASSERT_EQ(test, read_plex(ctx, 1, (6 << bm->shift) - 64), 0);
	KUNIT_EXPECT_TRUE(test, same(ctx->pages, ctx->check));
	KUNIT_EXPECT_TRUE_MSG(test, plexes_same(test, ctx, 0, 1, &where),
			      "plexes 0 and 1 differ at sector %llu",
			      (unsigned long long)where);
}

/*
 * A SET_VOLUME whose superblock update fails changes nothing.  Plex 1 is
 * offline (the bitmap covers what it misses), a split is tracked, and
 * plex 0, the last in-sync plex, fails every flush: the update reaches no
 * plex.  Dropping the bitmap, forgetting the split, storing speeds: each
 * gets IO_ERROR and leaves the volume as it was, as the superblocks still
 * describe it.  A bitmap dropped in memory only would record no more
 * writes while the superblock still names it: after a crash, plex 1
 * would come back copying only the regions set, not those written since.
 */
static void mirvol_test_set_volume_io_error(struct kunit *test)
{
	struct io_ctx *ctx = test->priv;
	struct mirvol_set_volume sv = {};
	struct mirvol_md *before, *after;
	struct mirvol_op_info info;
	enum mirvol_reason reason;
	struct mirvol_volume *vol;
	struct mirvol_bitmap *bm;
	struct mirvol_plex *p0, *p1;
	unsigned long r = 40;
	unsigned int smin, smax;
	u64 split_gen;
	uuid_t peer;

	before = kunit_kzalloc(test, sizeof(*before), GFP_KERNEL);
	after = kunit_kzalloc(test, sizeof(*after), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, before);
	KUNIT_ASSERT_NOT_NULL(test, after);
	io_create_p1_offline(test, "kunit-setfail", 0x5e7f);
	vol = ctx->vol;
	bm = vol->bitmap;
	p0 = vol->plexes[0];
	p1 = vol->plexes[1];
	/* A tracked split and stored speeds, on disk. */
	mutex_lock(&vol->lock);
	mutex_lock(&vol->sb_mutex);
	uuid_gen(&vol->split_peer);
	vol->split_generation = vol->generation;
	vol->speed_min_stored = 1000;
	vol->speed_max_stored = 50000;
	mirvol_volume_apply_speeds(vol, NULL);
	KUNIT_EXPECT_EQ(test, mirvol_sb_update_locked(vol), 0);
	mutex_unlock(&vol->sb_mutex);
	mutex_unlock(&vol->lock);
	peer = vol->split_peer;
	split_gen = vol->split_generation;
	smin = vol->sync_speed_min;
	smax = vol->sync_speed_max;
	KUNIT_ASSERT_GE(test, mirvol_sb_read_dev(rbdev(ctx, 0), before,
						 &reason), 0);
	KUNIT_ASSERT_NE(test, before->bitmap_region, 0U);
	KUNIT_ASSERT_EQ(test, before->split_generation, split_gen);

	WRITE_ONCE(p0->inject, MIRVOL_INJECT_FLUSH);
	sv.hdr.flags = MIRVOL_SET_F_BITMAP;
	KUNIT_EXPECT_EQ(test, mirvol_set_volume(vol, &sv), MIRVOL_R_IO_ERROR);
	KUNIT_EXPECT_PTR_EQ_MSG(test, vol->bitmap, bm,
				"the bitmap is gone though the update failed");
	sv.hdr.flags = MIRVOL_SET_F_FORGET_SPLIT;
	KUNIT_EXPECT_EQ(test, mirvol_set_volume(vol, &sv), MIRVOL_R_IO_ERROR);
	sv.hdr.flags = MIRVOL_SET_F_SPEED;
	sv.sync_speed_min = 3000;
	sv.sync_speed_max = 70000;
	KUNIT_EXPECT_EQ(test, mirvol_set_volume(vol, &sv), MIRVOL_R_IO_ERROR);
	WRITE_ONCE(p0->inject, 0);
	KUNIT_EXPECT_EQ(test, p0->state, MIRVOL_PLEX_ACTIVE);
	KUNIT_EXPECT_EQ(test, vol->split_generation, split_gen);
	KUNIT_EXPECT_TRUE(test, uuid_equal(&vol->split_peer, &peer));
	KUNIT_EXPECT_EQ(test, vol->speed_min_stored, 1000U);
	KUNIT_EXPECT_EQ(test, vol->speed_max_stored, 50000U);
	KUNIT_EXPECT_EQ(test, vol->sync_speed_min, smin);
	KUNIT_EXPECT_EQ(test, vol->sync_speed_max, smax);
	/* The disk never heard of it. */
	KUNIT_ASSERT_GE(test, mirvol_sb_read_dev(rbdev(ctx, 0), after,
						 &reason), 0);
	KUNIT_EXPECT_EQ(test, after->generation, before->generation);
	KUNIT_EXPECT_EQ(test, after->bitmap_region, before->bitmap_region);
	KUNIT_EXPECT_EQ(test, after->bitmap_cleared_gen,
			before->bitmap_cleared_gen);
	KUNIT_EXPECT_EQ(test, after->split_generation, split_gen);
	KUNIT_EXPECT_EQ(test, after->sync_speed_min, 1000U);
	KUNIT_ASSERT_PTR_EQ(test, vol->bitmap, bm);

	/* The bitmap still records writes: on disk before they go. */
	fill(ctx->pages, 0x5e7f + 1);
	KUNIT_EXPECT_FALSE(test, disk_bit(test, ctx, 0, r));
	KUNIT_ASSERT_EQ(test, do_io(vbdev(ctx), REQ_OP_WRITE, r << bm->shift,
				    ctx->pages, IO_PAGES), 0);
	KUNIT_EXPECT_TRUE_MSG(test, disk_bit(test, ctx, 0, r),
			      "a write went out with its bit on no disk");
	/* Plex 1 back copies the regions set, with @r. */
	take_online_op(test, vol, p1, &info);
	KUNIT_EXPECT_LT(test, info.total_bytes,
			(u64)vol->size << SECTOR_SHIFT);
	KUNIT_ASSERT_EQ(test, read_plex(ctx, 1, r << bm->shift), 0);
	KUNIT_EXPECT_TRUE(test, same(ctx->pages, ctx->check));
}

/*
 * A 2-plex volume whose plex 1 is a partial resync target: offline, then
 * online, the resync stopped by a read error on plex 0 in region 5, which
 * was written (@seed + 5) while plex 1 was away.
 */
static void io_create_partial_target(struct kunit *test, const char *name,
				     u32 seed)
{
	struct io_ctx *ctx = test->priv;
	struct mirvol_op_info info;
	struct mirvol_volume *vol;
	struct mirvol_plex *p0, *p1;
	unsigned int shift;
	u64 op_id = 0;
	sector_t bad;

	io_create_p1_offline(test, name, seed);
	vol = ctx->vol;
	shift = vol->bitmap->shift;
	p0 = vol->plexes[0];
	p1 = vol->plexes[1];
	fill(ctx->pages, seed + 5);
	KUNIT_ASSERT_EQ(test, do_io(vbdev(ctx), REQ_OP_WRITE, 5 << shift,
				    ctx->pages, IO_PAGES), 0);
	bad = MIRVOL_DATA_OFFSET_SECTORS + (5 << shift);
	WRITE_ONCE(p0->inject_bad[0], bad);
	WRITE_ONCE(p0->inject_bad[1], bad + 8);
	KUNIT_ASSERT_EQ(test, mirvol_plex_action(vol, p1->uuid.b,
						 MIRVOL_PLEX_TAKE_ONLINE, -1,
						 &op_id), MIRVOL_R_NONE);
	KUNIT_ASSERT_NE(test, op_id, 0ULL);
	KUNIT_ASSERT_EQ(test, mirvol_op_wait(op_id, 60000, &info),
			MIRVOL_R_NONE);
	KUNIT_ASSERT_EQ(test, info.reason, (u32)MIRVOL_R_SOURCE_READ_ERROR);
	WRITE_ONCE(p0->inject_bad[1], bad);
	KUNIT_ASSERT_EQ(test, p1->state, MIRVOL_PLEX_SYNCING);
	KUNIT_ASSERT_TRUE(test, p1->partial);
	KUNIT_ASSERT_FALSE(test, p1->full_copy);
}

/*
 * A SET_VOLUME whose update fails leaves what the bitmap covers of each
 * plex as it was.  Plex 1 is a partial resync target (offline, online,
 * the resync stopped by a read error on plex 0 in a region to copy),
 * and a lost bitmap set (rule 4) has since moved cleared_gen past the
 * generation it left at: the bitmap no longer covers what it misses.
 * Dropping the bitmap fails (plex 0, the last in-sync plex, fails every
 * superblock write; a failed flush would rightly rewind plex 1 for a full
 * copy, mirvol_test_set_volume_flush_lost): the failed update took plex 1
 * for a full copy (its partial flag cleared), gave it no gone_generation,
 * and the restore's update a new one, past cleared_gen.  Failed and
 * re-added later, plex 1 then came back copying only the regions set, and
 * a superblock recorded it so for assembly: it must copy everything.
 */
static void mirvol_test_set_volume_io_error_partial(struct kunit *test)
{
	struct io_ctx *ctx = test->priv;
	struct mirvol_set_volume sv = {};
	struct mirvol_op_info info;
	enum mirvol_reason reason;
	struct mirvol_volume *vol;
	struct mirvol_bitmap *bm;
	struct mirvol_plex *p0, *p1;
	unsigned long r = 30;
	u64 gone, op_id = 0;
	struct mirvol_md *md;

	md = kunit_kzalloc(test, sizeof(*md), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, md);
	io_create_partial_target(test, "kunit-setpart", 0x5e70);
	vol = ctx->vol;
	bm = vol->bitmap;
	p0 = vol->plexes[0];
	p1 = vol->plexes[1];
	gone = p1->gone_generation;
	KUNIT_ASSERT_NE(test, gone, 0ULL);

	/* A lost set: the coverage starts again past @gone. */
	WRITE_ONCE(p0->inject, MIRVOL_INJECT_BITMAP);
	fill(ctx->pages, 0x5e71);
	KUNIT_EXPECT_EQ(test, do_io(vbdev(ctx), REQ_OP_WRITE, r << bm->shift,
				    ctx->pages, IO_PAGES), 0);
	WRITE_ONCE(p0->inject, 0);
	KUNIT_ASSERT_GT(test, bm->cleared_gen, gone);
	KUNIT_ASSERT_EQ(test, p1->gone_generation, gone);

	WRITE_ONCE(p0->inject, MIRVOL_INJECT_SB);
	sv.hdr.flags = MIRVOL_SET_F_BITMAP;
	KUNIT_EXPECT_EQ(test, mirvol_set_volume(vol, &sv), MIRVOL_R_IO_ERROR);
	WRITE_ONCE(p0->inject, 0);
	KUNIT_ASSERT_PTR_EQ(test, vol->bitmap, bm);
	KUNIT_EXPECT_EQ(test, p0->state, MIRVOL_PLEX_ACTIVE);
	KUNIT_EXPECT_EQ(test, p1->state, MIRVOL_PLEX_SYNCING);
	KUNIT_EXPECT_TRUE(test, p1->partial);
	KUNIT_EXPECT_FALSE(test, p1->full_copy);
	KUNIT_EXPECT_EQ_MSG(test, p1->gone_generation, gone,
			    "the failed SET_VOLUME moved plex 1's gone_generation (cleared_gen %llu)",
			    (unsigned long long)bm->cleared_gen);

	/* Failed: recorded with what the bitmap covers of it. */
	KUNIT_ASSERT_EQ(test, mirvol_plex_action(vol, p1->uuid.b,
						 MIRVOL_PLEX_FAIL, -1, &op_id),
			MIRVOL_R_NONE);
	KUNIT_ASSERT_GE(test, mirvol_sb_read_dev(rbdev(ctx, 0), md, &reason),
			0);
	KUNIT_EXPECT_LT_MSG(test, md->plexes[1].gone_generation,
			    md->bitmap_cleared_gen,
			    "assembly would take plex 1 back as covered by the bitmap");
	/* Re-added, it copies everything. */
	op_id = 0;
	KUNIT_ASSERT_EQ(test, mirvol_plex_action(vol, p1->uuid.b,
						 MIRVOL_PLEX_READD, -1, &op_id),
			MIRVOL_R_NONE);
	KUNIT_EXPECT_EQ_MSG(test, p1->state, MIRVOL_PLEX_STALE,
			    "plex 1 came back as a partial target (partial %d)",
			    p1->partial);
	/* No resync by itself since the one stopped on the bad range. */
	if (!op_id)
		KUNIT_ASSERT_EQ(test, mirvol_resync_start(vol, false, &op_id),
				MIRVOL_R_NONE);
	KUNIT_ASSERT_NE(test, op_id, 0ULL);
	KUNIT_ASSERT_EQ(test, mirvol_op_wait(op_id, 60000, &info),
			MIRVOL_R_NONE);
	KUNIT_EXPECT_EQ(test, info.state, (u32)MIRVOL_OPS_SUCCEEDED);
	KUNIT_EXPECT_EQ_MSG(test, info.total_bytes,
			    (u64)vol->size << SECTOR_SHIFT,
			    "plex 1 came back copying only the regions set");
	KUNIT_ASSERT_EQ(test, read_plex(ctx, 1, r << bm->shift), 0);
	KUNIT_EXPECT_TRUE(test, same(ctx->pages, ctx->check));
}

static struct mirvol_plex *flush_once_plex;

/* The second update of a SET_VOLUME (the put-back's) goes through. */
static void flush_once_update(struct mirvol_volume *vol)
{
	static unsigned int calls;

	if (!flush_once_plex) {
		calls = 0;
		return;
	}
	if (++calls == 2)
		WRITE_ONCE(flush_once_plex->inject, 0);
}

/*
 * A SET_VOLUME whose update fails on a flush of the last in-sync plex
 * rewinds the syncing plexes (mirvol_plex_flush_failed()): its put-back
 * must not make a partial target of one again, though it was one before;
 * partial, it could skip what plex 0 lost.  The put-back's update goes
 * through here, so that nothing rewinds it again.
 */
static void mirvol_test_set_volume_flush_lost(struct kunit *test)
{
	struct io_ctx *ctx = test->priv;
	struct mirvol_set_volume sv = {};
	struct mirvol_volume *vol;
	struct mirvol_bitmap *bm;
	struct mirvol_plex *p0, *p1;

	io_create_partial_target(test, "kunit-setlost", 0x5e80);
	vol = ctx->vol;
	bm = vol->bitmap;
	p0 = vol->plexes[0];
	p1 = vol->plexes[1];

	flush_once_plex = NULL;
	flush_once_update(vol);
	flush_once_plex = p0;
	WRITE_ONCE(mirvol_kunit_sb_update_hook, flush_once_update);
	WRITE_ONCE(p0->inject, MIRVOL_INJECT_FLUSH);
	sv.hdr.flags = MIRVOL_SET_F_BITMAP;
	KUNIT_EXPECT_EQ(test, mirvol_set_volume(vol, &sv), MIRVOL_R_IO_ERROR);
	WRITE_ONCE(mirvol_kunit_sb_update_hook, NULL);
	flush_once_plex = NULL;
	WRITE_ONCE(p0->inject, 0);
	KUNIT_ASSERT_PTR_EQ(test, vol->bitmap, bm);
	KUNIT_EXPECT_FALSE(test, test_bit(MIRVOL_VOL_SB_FAILED, &vol->flags));
	KUNIT_EXPECT_EQ(test, p0->state, MIRVOL_PLEX_ACTIVE);
	KUNIT_EXPECT_EQ(test, p1->state, MIRVOL_PLEX_SYNCING);
	KUNIT_EXPECT_FALSE_MSG(test, p1->partial,
			       "the put-back made plex 1 partial again after its rewind");
	KUNIT_EXPECT_EQ(test, READ_ONCE(p1->sync_offset), (sector_t)0);
}

/*
 * A sysfs write of sync_speed_min during a SET_VOLUME whose update fails
 * is kept.  SET_VOLUME saves the speeds, stores new ones, and its failed
 * update puts the saved ones back (mirvol_set_restore()): a sysfs write
 * that took no lock, done in between, returned success and was undone.
 * It must win: it lands during the update (it waits for no superblock
 * I/O) and the put-back leaves a speed written since alone.  The test's
 * write goes through the attribute's store from a worker, started as
 * the SET_VOLUME's update begins (mirvol_kunit_sb_update_hook), which
 * waits up to 500 ms for it.
 */
static struct {
	struct mirvol_volume *vol;
	struct work_struct work;
	struct completion done;
	bool armed;
	bool during;
	ssize_t ret;
} speed_writer;

/* Write @val to the volume's sysfs file @name, as a write(2) would. */
static ssize_t vol_sysfs_store(struct mirvol_volume *vol, const char *name,
			       const char *val)
{
	struct kobj_attribute *ka;
	struct kernfs_node *kn;
	ssize_t ret;

	if (!vol->kobj)
		return -ENOENT;
	kn = kernfs_find_and_get(vol->kobj->sd, name);
	if (!kn)
		return -ENOENT;
	/* sysfs files keep their attribute in kn->priv */
	ka = container_of((struct attribute *)kn->priv, struct kobj_attribute,
			  attr);
	ret = ka->store(vol->kobj, ka, val, strlen(val));
	kernfs_put(kn);
	return ret;
}

static void speed_writer_fn(struct work_struct *work)
{
	speed_writer.ret = vol_sysfs_store(speed_writer.vol, "sync_speed_min",
					   "4321");
	complete(&speed_writer.done);
}

static void speed_writer_hook(struct mirvol_volume *vol)
{
	/* The SET_VOLUME's update: it stored 3000. */
	if (vol != speed_writer.vol || !speed_writer.armed ||
	    vol->speed_min_stored != 3000)
		return;
	speed_writer.armed = false;
	queue_work(system_unbound_wq, &speed_writer.work);
	speed_writer.during = wait_for_completion_timeout(&speed_writer.done,
							  HZ / 2);
}

static void mirvol_test_ctl_sysfs_speed_vs_set_volume(struct kunit *test)
{
	struct io_ctx *ctx = test->priv;
	struct mirvol_set_volume sv = {};
	struct mirvol_volume *vol;
	unsigned int smax;

	io_create_p1_offline(test, "kunit-speedrace", 0x5eed);
	vol = ctx->vol;
	smax = READ_ONCE(vol->sync_speed_max);
	speed_writer.vol = vol;
	speed_writer.during = false;
	speed_writer.ret = 0;
	init_completion(&speed_writer.done);
	INIT_WORK(&speed_writer.work, speed_writer_fn);
	speed_writer.armed = true;
	WRITE_ONCE(mirvol_kunit_sb_update_hook, speed_writer_hook);

	/* Plex 0, the last in-sync plex, fails every flush. */
	WRITE_ONCE(vol->plexes[0]->inject, MIRVOL_INJECT_FLUSH);
	sv.hdr.flags = MIRVOL_SET_F_SPEED;
	sv.sync_speed_min = 3000;
	sv.sync_speed_max = 70000;
	KUNIT_EXPECT_EQ(test, mirvol_set_volume(vol, &sv), MIRVOL_R_IO_ERROR);
	WRITE_ONCE(vol->plexes[0]->inject, 0);
	flush_work(&speed_writer.work);
	WRITE_ONCE(mirvol_kunit_sb_update_hook, NULL);
	KUNIT_ASSERT_FALSE_MSG(test, speed_writer.armed,
			       "the SET_VOLUME's update never began");
	KUNIT_EXPECT_EQ(test, speed_writer.ret, (ssize_t)4);
	KUNIT_EXPECT_EQ_MSG(test, READ_ONCE(vol->sync_speed_min), 4321U,
			    "a sysfs write that returned success was undone by the failed SET_VOLUME (written %s its update)",
			    speed_writer.during ? "during" : "after");
	KUNIT_EXPECT_EQ(test, READ_ONCE(vol->sync_speed_max), smax);
}

/*
 * A sysfs write of a speed does not wait for superblock I/O: sb_mutex,
 * held across it (by a slow or dead device's update), must not block
 * it, nor sysfs with it.  The test holds sb_mutex as an update would
 * and writes sync_speed_max from a worker; it must end within a second.
 */
static void speed_max_writer_fn(struct work_struct *work)
{
	speed_writer.ret = vol_sysfs_store(speed_writer.vol, "sync_speed_max",
					   "54321");
	complete(&speed_writer.done);
}

static void mirvol_test_ctl_sysfs_speed_no_sb_mutex(struct kunit *test)
{
	struct io_ctx *ctx = test->priv;
	struct mirvol_volume *vol;
	bool done;

	io_create(test, "kunit-speedlock", 2, true, NULL);
	vol = ctx->vol;
	speed_writer.vol = vol;
	speed_writer.ret = 0;
	init_completion(&speed_writer.done);
	INIT_WORK(&speed_writer.work, speed_max_writer_fn);
	mutex_lock(&vol->sb_mutex);
	queue_work(system_unbound_wq, &speed_writer.work);
	done = wait_for_completion_timeout(&speed_writer.done, HZ);
	mutex_unlock(&vol->sb_mutex);
	flush_work(&speed_writer.work);
	KUNIT_EXPECT_TRUE_MSG(test, done,
			      "a sysfs speed write waited for sb_mutex (superblock I/O)");
	KUNIT_EXPECT_EQ(test, speed_writer.ret, (ssize_t)5);
	KUNIT_EXPECT_EQ(test, READ_ONCE(vol->sync_speed_max), 54321U);
	/* Not stored: the superblocks keep what SET_VOLUME gave them. */
	KUNIT_EXPECT_EQ(test, vol->speed_max_stored, 0U);
}

/*
 * sysfs and SET_VOLUME take the same speeds: up to MIRVOL_SPEED_MAX_KIBS
 * each, what one refuses the other refuses too.
 */
static void mirvol_test_ctl_sysfs_speed_bounds(struct kunit *test)
{
	static const char * const files[] = {
		"sync_speed_min", "sync_speed_max",
	};
	struct io_ctx *ctx = test->priv;
	struct mirvol_set_volume sv = {};
	struct mirvol_volume *vol;
	unsigned int i, smin, smax;
	char big[16];

	io_create(test, "kunit-speedbounds", 2, true, NULL);
	vol = ctx->vol;
	snprintf(big, sizeof(big), "%u", MIRVOL_SPEED_MAX_KIBS + 1);
	smin = vol->sync_speed_min;
	smax = vol->sync_speed_max;
	sv.hdr.flags = MIRVOL_SET_F_SPEED;
	sv.sync_speed_max = MIRVOL_SPEED_MAX_KIBS + 1;
	KUNIT_EXPECT_EQ(test, mirvol_check_set_volume(&sv),
			MIRVOL_R_INVALID_ARGUMENT);
	sv.sync_speed_max = 0;
	sv.sync_speed_min = MIRVOL_SPEED_MAX_KIBS + 1;
	KUNIT_EXPECT_EQ(test, mirvol_check_set_volume(&sv),
			MIRVOL_R_INVALID_ARGUMENT);
	for (i = 0; i < ARRAY_SIZE(files); i++) {
		KUNIT_EXPECT_EQ_MSG(test, vol_sysfs_store(vol, files[i], big),
				    (ssize_t)-EINVAL,
				    "%s took %s, which SET_VOLUME refuses",
				    files[i], big);
		KUNIT_EXPECT_EQ_MSG(test,
				    vol_sysfs_store(vol, files[i], "4294967295"),
				    (ssize_t)-EINVAL,
				    "%s took 4294967295, which SET_VOLUME refuses",
				    files[i]);
	}
	KUNIT_EXPECT_EQ(test, vol->sync_speed_min, smin);
	KUNIT_EXPECT_EQ(test, vol->sync_speed_max, smax);
	/* The bound itself both take. */
	snprintf(big, sizeof(big), "%u", MIRVOL_SPEED_MAX_KIBS);
	KUNIT_EXPECT_EQ(test, vol_sysfs_store(vol, "sync_speed_max", big),
			(ssize_t)strlen(big));
	KUNIT_EXPECT_EQ(test, vol->sync_speed_max, MIRVOL_SPEED_MAX_KIBS);
	sv.sync_speed_min = 0;
	sv.sync_speed_max = MIRVOL_SPEED_MAX_KIBS;
	KUNIT_EXPECT_EQ(test, mirvol_check_set_volume(&sv), MIRVOL_R_NONE);
}

/*
 * Plex 1 offline, plex 0, the last in-sync plex, failing every flush:
 * no superblock update reaches a plex.  Returns plex 0's superblock as
 * it was in @md.
 */
static void update_fails_setup(struct kunit *test, const char *name,
			       struct mirvol_md *md)
{
	struct io_ctx *ctx = test->priv;
	enum mirvol_reason reason;

	io_create_p1_offline(test, name, 0x0dd1);
	KUNIT_ASSERT_GE(test, mirvol_sb_read_dev(rbdev(ctx, 0), md, &reason),
			0);
	WRITE_ONCE(ctx->vol->plexes[0]->inject, MIRVOL_INJECT_FLUSH);
}

/*
 * A SET_PLEX whose superblock update fails changes nothing: the flags are
 * as the superblocks still have them.
 */
static void mirvol_test_set_plex_io_error(struct kunit *test)
{
	struct io_ctx *ctx = test->priv;
	struct mirvol_md *before, *after;
	enum mirvol_reason reason;
	struct mirvol_plex *p0, *p1;

	before = kunit_kzalloc(test, sizeof(*before), GFP_KERNEL);
	after = kunit_kzalloc(test, sizeof(*after), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, before);
	KUNIT_ASSERT_NOT_NULL(test, after);
	update_fails_setup(test, "kunit-setplexfail", before);
	p0 = ctx->vol->plexes[0];
	p1 = ctx->vol->plexes[1];
	KUNIT_ASSERT_FALSE(test, p0->write_mostly);
	KUNIT_ASSERT_FALSE(test, p1->boot);
	KUNIT_EXPECT_EQ(test, mirvol_set_plex(ctx->vol, p0->uuid.b,
					      MIRVOL_SET_PLEX_F_WRITE_MOSTLY),
			MIRVOL_R_IO_ERROR);
	KUNIT_EXPECT_EQ(test, mirvol_set_plex(ctx->vol, p1->uuid.b,
					      MIRVOL_SET_PLEX_F_BOOT |
					      MIRVOL_SET_PLEX_F_WRITE_MOSTLY),
			MIRVOL_R_IO_ERROR);
	WRITE_ONCE(p0->inject, 0);
	KUNIT_EXPECT_FALSE_MSG(test, p0->write_mostly,
			       "write-mostly set though the update failed");
	KUNIT_EXPECT_FALSE_MSG(test, p1->boot,
			       "boot set though the update failed");
	KUNIT_EXPECT_FALSE(test, p1->write_mostly);
	KUNIT_EXPECT_EQ(test, p0->state, MIRVOL_PLEX_ACTIVE);
	KUNIT_ASSERT_GE(test, mirvol_sb_read_dev(rbdev(ctx, 0), after,
						 &reason), 0);
	KUNIT_EXPECT_EQ(test, after->generation, before->generation);
	KUNIT_EXPECT_EQ(test, after->plexes[0].flags, before->plexes[0].flags);
	KUNIT_EXPECT_EQ(test, after->plexes[1].flags, before->plexes[1].flags);

	/* Once the plexes take it, it is set. */
	KUNIT_EXPECT_EQ(test, mirvol_set_plex(ctx->vol, p1->uuid.b,
					      MIRVOL_SET_PLEX_F_BOOT),
			MIRVOL_R_NONE);
	KUNIT_EXPECT_TRUE(test, p1->boot);
	KUNIT_ASSERT_GE(test, mirvol_sb_read_dev(rbdev(ctx, 0), after,
						 &reason), 0);
	KUNIT_EXPECT_TRUE(test, after->plexes[1].flags & MIRVOL_PLEX_F_BOOT);
}

/*
 * A RENAME whose superblock update fails keeps the old name, which the
 * superblocks still have; the new one stays free.
 */
static void mirvol_test_rename_io_error(struct kunit *test)
{
	struct io_ctx *ctx = test->priv;
	struct mirvol_md *before, *after;
	enum mirvol_reason reason;

	before = kunit_kzalloc(test, sizeof(*before), GFP_KERNEL);
	after = kunit_kzalloc(test, sizeof(*after), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, before);
	KUNIT_ASSERT_NOT_NULL(test, after);
	update_fails_setup(test, "kunit-renfail", before);
	KUNIT_EXPECT_EQ(test, mirvol_volume_rename(ctx->vol, "kunit-renamed"),
			MIRVOL_R_IO_ERROR);
	WRITE_ONCE(ctx->vol->plexes[0]->inject, 0);
	KUNIT_EXPECT_STREQ_MSG(test, ctx->vol->name, "kunit-renfail",
			       "renamed though the update failed");
	KUNIT_ASSERT_GE(test, mirvol_sb_read_dev(rbdev(ctx, 0), after,
						 &reason), 0);
	KUNIT_EXPECT_EQ(test, after->generation, before->generation);
	KUNIT_EXPECT_STREQ(test, after->name, "kunit-renfail");

	/* Once the plexes take it, it is renamed. */
	KUNIT_EXPECT_EQ(test, mirvol_volume_rename(ctx->vol, "kunit-renamed"),
			MIRVOL_R_NONE);
	KUNIT_EXPECT_STREQ(test, ctx->vol->name, "kunit-renamed");
	KUNIT_ASSERT_GE(test, mirvol_sb_read_dev(rbdev(ctx, 0), after,
						 &reason), 0);
	KUNIT_EXPECT_STREQ(test, after->name, "kunit-renamed");
}

/*
 * A RENAME whose update fails while another volume takes the old name
 * meanwhile (it is free once this volume has the new one): the volume
 * keeps the new name, since it cannot have the old one back.  Taken at
 * the start of the failed update (mirvol_kunit_sb_update_hook), from a
 * worker.  While the plexes still refuse every update: IO_ERROR, the new
 * name, the superblocks with the old one until an update records it.
 * Once they take it (the put-back's update): the new name recorded, so
 * the RENAME did what it was asked: MIRVOL_R_NONE.
 */
static struct {
	struct mirvol_volume *vol;
	struct mirvol_volume *other;
	struct work_struct work;
	struct completion done;
	const char *take;
	const char *renamed;
	bool armed;
	bool heal;
	bool healing;
	enum mirvol_reason reason;
} name_taker;

static void name_taker_fn(struct work_struct *work)
{
	name_taker.reason = mirvol_volume_rename(name_taker.other,
						 name_taker.take);
	complete(&name_taker.done);
}

static void name_taker_hook(struct mirvol_volume *vol)
{
	if (vol != name_taker.vol)
		return;
	/* The put-back's update, after the RENAME's failed. */
	if (name_taker.healing) {
		name_taker.healing = false;
		WRITE_ONCE(vol->plexes[0]->inject, 0);
		return;
	}
	/* The RENAME's update: the volume has the new name. */
	if (!name_taker.armed || strcmp(vol->name, name_taker.renamed))
		return;
	name_taker.armed = false;
	queue_work(system_unbound_wq, &name_taker.work);
	wait_for_completion(&name_taker.done);
	name_taker.healing = name_taker.heal;
}

static void name_taker_arm(struct mirvol_volume *vol, const char *take,
			   const char *renamed, bool heal)
{
	name_taker.vol = vol;
	name_taker.renamed = renamed;
	name_taker.take = take;
	name_taker.heal = heal;
	name_taker.healing = false;
	name_taker.reason = MIRVOL_R_INVALID_OPERATION;
	init_completion(&name_taker.done);
	INIT_WORK(&name_taker.work, name_taker_fn);
	name_taker.armed = true;
	WRITE_ONCE(mirvol_kunit_sb_update_hook, name_taker_hook);
}

static void mirvol_test_ctl_rename_name_taken(struct kunit *test)
{
	struct io_ctx *ctx = test->priv;
	struct mirvol_md *before, *after;
	enum mirvol_reason reason;
	struct mirvol_volume *other;
	u64 id = 0, region = 0;

	before = kunit_kzalloc(test, sizeof(*before), GFP_KERNEL);
	after = kunit_kzalloc(test, sizeof(*after), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, before);
	KUNIT_ASSERT_NOT_NULL(test, after);
	update_fails_setup(test, "kunit-rntaken", before);
	reason = mirvol_volume_create("kunit-rnother", &ctx->ram[2], 1,
				      MIRVOL_CREATE_F_ASSUME_CLEAN, &region,
				      &id, NULL, &other);
	KUNIT_ASSERT_EQ(test, reason, MIRVOL_R_NONE);
	name_taker.other = other;

	/* The plexes refuse the put-back's update too. */
	name_taker_arm(ctx->vol, "kunit-rntaken", "kunit-rnnew", false);
	reason = mirvol_volume_rename(ctx->vol, "kunit-rnnew");
	WRITE_ONCE(mirvol_kunit_sb_update_hook, NULL);
	KUNIT_ASSERT_FALSE(test, name_taker.armed);
	KUNIT_EXPECT_EQ(test, name_taker.reason, MIRVOL_R_NONE);
	KUNIT_EXPECT_STREQ(test, other->name, "kunit-rntaken");
	KUNIT_EXPECT_EQ(test, reason, MIRVOL_R_IO_ERROR);
	KUNIT_EXPECT_STREQ_MSG(test, ctx->vol->name, "kunit-rnnew",
			       "took the name another volume has");
	KUNIT_ASSERT_GE(test, mirvol_sb_read_dev(rbdev(ctx, 0), after,
						 &reason), 0);
	KUNIT_EXPECT_EQ(test, after->generation, before->generation);
	KUNIT_EXPECT_STREQ(test, after->name, "kunit-rntaken");
	/* The next update records the name it has. */
	WRITE_ONCE(ctx->vol->plexes[0]->inject, 0);
	KUNIT_EXPECT_EQ(test, mirvol_sb_update(ctx->vol), 0);
	KUNIT_ASSERT_GE(test, mirvol_sb_read_dev(rbdev(ctx, 0), after,
						 &reason), 0);
	KUNIT_EXPECT_STREQ_MSG(test, after->name, "kunit-rnnew",
			       "the update wrote no valid superblock (a shorter name, not zero-padded?)");

	/* Again, the plexes healed for the put-back's update. */
	WRITE_ONCE(ctx->vol->plexes[0]->inject, MIRVOL_INJECT_FLUSH);
	name_taker_arm(ctx->vol, "kunit-rnnew", "kunit-rnthird", true);
	reason = mirvol_volume_rename(ctx->vol, "kunit-rnthird");
	WRITE_ONCE(mirvol_kunit_sb_update_hook, NULL);
	KUNIT_ASSERT_FALSE(test, name_taker.armed);
	WRITE_ONCE(ctx->vol->plexes[0]->inject, 0);
	KUNIT_EXPECT_EQ(test, name_taker.reason, MIRVOL_R_NONE);
	KUNIT_EXPECT_EQ_MSG(test, reason, MIRVOL_R_NONE,
			    "the new name is recorded, yet the RENAME failed");
	KUNIT_EXPECT_STREQ(test, ctx->vol->name, "kunit-rnthird");
	KUNIT_EXPECT_STREQ(test, other->name, "kunit-rnnew");
	KUNIT_ASSERT_GE(test, mirvol_sb_read_dev(rbdev(ctx, 0), after,
						 &reason), 0);
	KUNIT_EXPECT_STREQ(test, after->name, "kunit-rnthird");

	KUNIT_EXPECT_EQ(test, mirvol_volume_teardown(other, true),
			MIRVOL_R_NONE);
	mirvol_volume_put(other);
}

/*
 * CREATE's reply names the volume the CREATE made.  The volume can be
 * found, and renamed, from the moment it is unhidden: a reply that copies
 * the name after that tells a later RENAME's name, or a torn mix of both
 * names.  The hook renames each new volume just after the create, before
 * the reply is filled; the reply must keep the name given, or generated.
 */
static enum mirvol_reason created_rename_reason;
static const char *created_rename_to;

static void created_rename_hook(struct mirvol_volume *vol)
{
	created_rename_reason = mirvol_volume_rename(vol, created_rename_to);
}

static void mirvol_test_ctl_create_reply_name(struct kunit *test)
{
	struct io_ctx *ctx = test->priv;
	struct mirvol_volume *vol, *other;
	enum mirvol_reason reason;
	struct mirvol_create *c;
	char want[MIRVOL_NAME_LEN];

	c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, c);
	strscpy(c->name, "kunit-crname", sizeof(c->name));
	c->nr_plexes = 2;
	c->hdr.flags = MIRVOL_CREATE_F_ASSUME_CLEAN;
	created_rename_reason = MIRVOL_R_INVALID_OPERATION;
	created_rename_to = "kunit-crrenamed";
	WRITE_ONCE(mirvol_kunit_created_hook, created_rename_hook);
	reason = mirvol_ctl_create_files(c, ctx->ram);
	WRITE_ONCE(mirvol_kunit_created_hook, NULL);
	KUNIT_ASSERT_EQ(test, reason, MIRVOL_R_NONE);
	vol = mirvol_lookup(c->volume_uuid);
	KUNIT_ASSERT_NOT_NULL(test, vol);
	ctx->vol = vol;		/* torn down by io_remove() */
	KUNIT_EXPECT_EQ(test, created_rename_reason, MIRVOL_R_NONE);
	KUNIT_EXPECT_STREQ(test, vol->name, "kunit-crrenamed");
	KUNIT_EXPECT_STREQ_MSG(test, c->name, "kunit-crname",
			       "CREATE's reply tells the name a later RENAME gave");

	/* A generated name, the same. */
	memset(c, 0, sizeof(*c));
	c->nr_plexes = 1;
	c->hdr.flags = MIRVOL_CREATE_F_ASSUME_CLEAN;
	WRITE_ONCE(mirvol_kunit_created_hook, created_rename_hook);
	created_rename_reason = MIRVOL_R_INVALID_OPERATION;
	created_rename_to = "kunit-crrenamed2";
	reason = mirvol_ctl_create_files(c, &ctx->ram[2]);
	WRITE_ONCE(mirvol_kunit_created_hook, NULL);
	KUNIT_ASSERT_EQ(test, reason, MIRVOL_R_NONE);
	other = mirvol_lookup(c->volume_uuid);
	KUNIT_ASSERT_NOT_NULL(test, other);
	KUNIT_EXPECT_EQ(test, created_rename_reason, MIRVOL_R_NONE);
	snprintf(want, sizeof(want), "vol-%*phN", 4, c->volume_uuid);
	KUNIT_EXPECT_STREQ(test, c->name, want);
	KUNIT_EXPECT_EQ(test, mirvol_volume_teardown(other, true),
			MIRVOL_R_NONE);
	mirvol_volume_put(other);
}

/*
 * An ONLINE whose superblock update fails (plex 0, the last in-sync
 * plex, fails every flush) fails with IO_ERROR, and as the uapi says, the
 * plex is failed again and no operation started: the result carries no
 * operation id.  The landed code left the plex syncing in memory (its
 * own join write went through), started a resync for it and returned
 * that resync's id with the error, an operation of a call that failed.
 */
static void mirvol_test_ctl_online_io_error_op_id(struct kunit *test)
{
	struct io_ctx *ctx = test->priv;
	struct mirvol_op_info info;
	struct mirvol_volume *vol;
	struct mirvol_plex *p1;
	u64 op_id = 0, running;

	io_create_p1_offline(test, "kunit-onlerr", 0x0e1d);
	vol = ctx->vol;
	p1 = vol->plexes[1];
	WRITE_ONCE(vol->plexes[0]->inject, MIRVOL_INJECT_FLUSH);
	KUNIT_EXPECT_EQ(test, mirvol_plex_action(vol, p1->uuid.b,
						 MIRVOL_PLEX_TAKE_ONLINE, -1,
						 &op_id), MIRVOL_R_IO_ERROR);
	running = READ_ONCE(vol->op_id);
	WRITE_ONCE(vol->plexes[0]->inject, 0);
	KUNIT_EXPECT_EQ_MSG(test, op_id, 0ULL,
			    "IO_ERROR with the id of operation %llu",
			    (unsigned long long)op_id);
	KUNIT_EXPECT_EQ_MSG(test, running, 0ULL,
			    "an operation started by a call that failed");
	KUNIT_EXPECT_EQ(test, READ_ONCE(p1->state), MIRVOL_PLEX_FAILED);
	if (running)
		mirvol_op_wait(running, 60000, &info);
	/* Re-added once the superblocks can be written. */
	KUNIT_ASSERT_EQ(test, mirvol_plex_action(vol, p1->uuid.b,
						 MIRVOL_PLEX_READD, -1,
						 &op_id), MIRVOL_R_NONE);
	KUNIT_ASSERT_NE(test, op_id, 0ULL);
	KUNIT_ASSERT_EQ(test, mirvol_op_wait(op_id, 60000, &info),
			MIRVOL_R_NONE);
	KUNIT_EXPECT_EQ(test, info.state, (u32)MIRVOL_OPS_SUCCEEDED);
	KUNIT_EXPECT_EQ(test, READ_ONCE(p1->state), MIRVOL_PLEX_ACTIVE);
}

/*
 * After a join that a failed update refused: plex 1's device carries a
 * superblock at most one generation ahead of plex 0's @gen0, so that
 * plex 0 stays current to assembly.
 */
static void expect_join_gen(struct kunit *test, struct io_ctx *ctx,
			    u64 gen0, struct mirvol_md *md)
{
	enum mirvol_reason reason;

	KUNIT_ASSERT_GE(test, mirvol_sb_read_dev(rbdev(ctx, 1), md, &reason),
			0);
	KUNIT_EXPECT_LE_MSG(test, md->generation, gen0 + 1,
			    "plex 1's superblock is generation %llu, plex 0's %llu",
			    (unsigned long long)md->generation,
			    (unsigned long long)gen0);
}

/*
 * Then a power cut, plex 0 sound again: both devices assemble, plex 1
 * catches up from plex 0, and both hold region 2's data (pattern @seed).
 */
static void expect_reassembled(struct kunit *test, struct io_ctx *ctx,
			       u32 seed)
{
	struct mirvol_op_info info;
	struct mirvol_volume *vol;
	u64 op_id = 0;
	unsigned int i;

	vol = stop_assemble(test, ctx, 2, &op_id);
	op_id = op_id ?: READ_ONCE(vol->op_id);
	if (op_id)
		KUNIT_EXPECT_EQ(test, mirvol_op_wait(op_id, 60000, &info),
				MIRVOL_R_NONE);
	fill(ctx->pages, seed);
	for (i = 0; i < 2; i++) {
		KUNIT_EXPECT_EQ(test, READ_ONCE(vol->plexes[i]->state),
				MIRVOL_PLEX_ACTIVE);
		KUNIT_ASSERT_EQ(test, read_plex(ctx, i,
						2 << vol->bitmap->shift), 0);
		KUNIT_EXPECT_TRUE(test, same(ctx->pages, ctx->check));
	}
}

/*
 * A join after an update that failed.  Plex 0, the last in-sync plex,
 * fails every flush: the ONLINE of plex 1 fails (its join went through,
 * the updates did not), and so does the re-add the user tries next.
 * Each failed update still used up a generation, and a join writes the
 * generation after the volume's: the re-add's join gave plex 1 one three
 * ahead of plex 0's.  After a power cut, with plex 0 sound again, that
 * made plex 0 stale to assembly (more than one generation behind the
 * newest), and with no member in sync the volume did not assemble.
 */
static void mirvol_test_join_after_failed_update(struct kunit *test)
{
	struct io_ctx *ctx = test->priv;
	enum mirvol_reason reason;
	struct mirvol_volume *vol;
	struct mirvol_plex *p1;
	struct mirvol_md *md;
	u64 gen0, op_id = 0;

	md = kunit_kzalloc(test, sizeof(*md), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, md);
	io_create_p1_offline(test, "kunit-joinfail", 0x10f1);
	vol = ctx->vol;
	p1 = vol->plexes[1];
	KUNIT_ASSERT_GE(test, mirvol_sb_read_dev(rbdev(ctx, 0), md, &reason),
			0);
	gen0 = md->generation;
	WRITE_ONCE(vol->plexes[0]->inject, MIRVOL_INJECT_FLUSH);
	KUNIT_EXPECT_EQ(test, mirvol_plex_action(vol, p1->uuid.b,
						 MIRVOL_PLEX_TAKE_ONLINE, -1,
						 &op_id), MIRVOL_R_IO_ERROR);
	KUNIT_EXPECT_EQ(test, READ_ONCE(p1->state), MIRVOL_PLEX_FAILED);
	KUNIT_EXPECT_EQ(test, mirvol_plex_action(vol, p1->uuid.b,
						 MIRVOL_PLEX_READD, -1,
						 &op_id), MIRVOL_R_IO_ERROR);
	KUNIT_EXPECT_EQ(test, READ_ONCE(p1->state), MIRVOL_PLEX_FAILED);
	KUNIT_ASSERT_GE(test, mirvol_sb_read_dev(rbdev(ctx, 0), md, &reason),
			0);
	KUNIT_EXPECT_EQ(test, md->generation, gen0);
	expect_join_gen(test, ctx, gen0, md);
	/* Power cut; plex 0 sound again. */
	expect_reassembled(test, ctx, 0x10f1);
}

/*
 * FAIL and OFFLINE whose superblock update fails (plex 0, then the last
 * in-sync plex, fails every flush) keep the plex out of the mirror, as
 * a write error would: IO_ERROR, and the plex failed (offline), taking
 * no more I/O.  It is not in sync any more as the superblocks still say:
 * no write may be acknowledged until one that does not list it is on
 * disk, so a write meanwhile fails, and once plex 0 flushes again the
 * next write records it.
 */
static void mirvol_test_fail_offline_io_error(struct kunit *test)
{
	static const unsigned int actions[] = {
		MIRVOL_PLEX_FAIL, MIRVOL_PLEX_TAKE_OFFLINE,
	};
	static const unsigned int states[] = {
		MIRVOL_PLEX_FAILED, MIRVOL_PLEX_OFFLINE,
	};
	struct io_ctx *ctx = test->priv;
	struct mirvol_op_info info;
	enum mirvol_reason reason;
	struct mirvol_plex *p0, *p1;
	struct mirvol_md *md;
	unsigned int i;
	u64 op_id = 0;

	md = kunit_kzalloc(test, sizeof(*md), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, md);
	io_create(test, "kunit-failfail", 2, true, NULL);
	/* Marked dirty now, and never clean again: no update but ours. */
	ctx->vol->safe_mode_delay_ms = 0;
	fill(ctx->pages, 0xfa10);
	KUNIT_ASSERT_EQ(test, do_io(vbdev(ctx), REQ_OP_WRITE, 64, ctx->pages,
				    IO_PAGES), 0);
	p0 = ctx->vol->plexes[0];
	p1 = ctx->vol->plexes[1];
	for (i = 0; i < ARRAY_SIZE(actions); i++) {
		s64 writes = atomic64_read(&p1->write_ios);

		WRITE_ONCE(p0->inject, MIRVOL_INJECT_FLUSH);
		KUNIT_EXPECT_EQ(test, mirvol_plex_action(ctx->vol, p1->uuid.b,
							 actions[i], -1,
							 &op_id),
				MIRVOL_R_IO_ERROR);
		KUNIT_EXPECT_EQ(test, READ_ONCE(p1->state), states[i]);
		KUNIT_EXPECT_EQ(test, p0->state, MIRVOL_PLEX_ACTIVE);
		KUNIT_EXPECT_EQ(test, ctx->vol->state, MIRVOL_VOLUME_DEGRADED);
		/* On disk it is still in sync. */
		KUNIT_ASSERT_GE(test, mirvol_sb_read_dev(rbdev(ctx, 0), md,
							 &reason), 0);
		KUNIT_EXPECT_EQ(test, md->plexes[1].state,
				(u32)MIRVOL_PLEX_ACTIVE);
		fill(ctx->pages, 0xfa17 + i);
		KUNIT_EXPECT_NE_MSG(test, do_io(vbdev(ctx), REQ_OP_WRITE, 64,
						ctx->pages, IO_PAGES), 0,
				    "a write plex 1 missed was acknowledged, plex 1 in sync on disk");
		WRITE_ONCE(p0->inject, 0);
		KUNIT_EXPECT_EQ(test, do_io(vbdev(ctx), REQ_OP_WRITE, 64,
					    ctx->pages, IO_PAGES), 0);
		KUNIT_EXPECT_EQ(test, atomic64_read(&p1->write_ios), writes);
		KUNIT_ASSERT_GE(test, mirvol_sb_read_dev(rbdev(ctx, 0), md,
							 &reason), 0);
		KUNIT_EXPECT_EQ(test, md->plexes[1].state, (u32)states[i]);

		/* Back, with what it missed. */
		op_id = 0;
		KUNIT_ASSERT_EQ(test, mirvol_plex_action(ctx->vol, p1->uuid.b,
							 i ? MIRVOL_PLEX_TAKE_ONLINE :
							 MIRVOL_PLEX_READD,
							 -1, &op_id),
				MIRVOL_R_NONE);
		KUNIT_ASSERT_NE(test, op_id, 0ULL);
		KUNIT_ASSERT_EQ(test, mirvol_op_wait(op_id, 60000, &info),
				MIRVOL_R_NONE);
		KUNIT_EXPECT_EQ(test, READ_ONCE(p1->state),
				(unsigned int)MIRVOL_PLEX_ACTIVE);
		KUNIT_ASSERT_EQ(test, read_plex(ctx, 1, 64), 0);
		KUNIT_EXPECT_TRUE(test, same(ctx->pages, ctx->check));
	}
}

/*
 * Clears racing writes: writers hammer a few regions while the clearer
 * runs every few milliseconds; whenever a write has completed and none
 * has been cleared since... the bit of a region with a write pending is
 * on disk (checked by a writer holding one pending while it looks).
 * Twice: with the default budget the clears come in the idle gaps (a
 * period without writes), with a budget of 2 of the 4 regions they come
 * while writes go on (the longest idle).
 */
static void mirvol_test_bitmap_clear_race(struct kunit *test)
{
	static const unsigned int budgets[] = { MIRVOL_BM_DIRTY_MAX_DEFAULT, 2 };
	struct io_ctx *ctx = test->priv;
	struct mirvol_bitmap *bm;
	unsigned int b, n, bad = 0;
	s64 writes;

	io_create(test, "kunit-bmrace", 2, true, NULL);
	bm = ctx->vol->bitmap;
	KUNIT_ASSERT_NOT_NULL(test, bm);
	fill(ctx->pages, 0x7ace);
	for (b = 0; b < ARRAY_SIZE(budgets); b++) {
		WRITE_ONCE(ctx->vol->bitmap_dirty_max, budgets[b]);
		writes = atomic64_read(&ctx->vol->bitmap_writes);
		bitmap_fast_clear(bm, 1);
		for (n = 0; n < 300; n++) {
			/*
			 * With the default budget, the regions in turn and
			 * idle gaps (clears) between writes (sets); a gap
			 * must hold two scans (the clearer's period is a
			 * jiffy, 10 ms in UML, and its timer and the sleep
			 * both end on ticks).  With a budget of 2, runs of
			 * 6 writes into each region in turn, so that two of
			 * them stay idle for a period while the others are
			 * written.
			 */
			unsigned long r = b ? (n / 6) % 4 : n % 4;
			sector_t s = (sector_t)r << bm->shift;

			if (n % 10 == 0 && !b)
				usleep_range(40000, 60000);
			else if (n % 3 == 0 && b)
				usleep_range(2000, 4000);
			mirvol_bitmap_startwrite(bm, s, s + 8);
			if (!disk_bit(test, ctx, n & 1, r))
				bad++;
			mirvol_bitmap_endwrite(bm, s, s + 8);
		}
		bitmap_fast_clear(bm, MIRVOL_BM_CLEAR_MS_DEFAULT);
		/* Not a race if nothing was cleared and set again. */
		KUNIT_EXPECT_GT_MSG(test,
				    atomic64_read(&ctx->vol->bitmap_writes),
				    writes + 10, "budget %u: few clears",
				    budgets[b]);
	}
	KUNIT_EXPECT_EQ_MSG(test, bad, 0U,
			    "%u writes went on with their bit not on disk", bad);
}

/*
 * The clearing policy, period by period: the clearer is kept from running
 * by itself (a period of an hour) and each "period" below ends with one
 * scan run by hand, so that no timing decides what is cleared.
 */
static void bitmap_manual_clear(struct mirvol_bitmap *bm)
{
	bitmap_fast_clear(bm, 3600 * 1000);
}

/* End a clearing period: run the clear work once and wait for it. */
static void bitmap_scan(struct mirvol_bitmap *bm)
{
	mod_delayed_work(mirvol_io_wq, &bm->clear_work, 0);
	flush_delayed_work(&bm->clear_work);
}

/* One 4 KiB write's worth of start and end in each of @n regions. */
static void bitmap_touch(struct mirvol_bitmap *bm, unsigned long first,
			 unsigned long n)
{
	unsigned long r;

	for (r = first; r < first + n; r++) {
		sector_t s = (sector_t)r << bm->shift;

		mirvol_bitmap_startwrite(bm, s, s + 8);
		mirvol_bitmap_endwrite(bm, s, s + 8);
	}
}

/* How many of regions [@first, @first + @n) have their bit set in memory. */
static unsigned long bitmap_set_in(struct mirvol_bitmap *bm,
				   unsigned long first, unsigned long n)
{
	unsigned long r, set = 0;

	for (r = first; r < first + n; r++)
		set += !!(atomic_read(&bm->state[r]) & MIRVOL_BM_ONDISK);
	return set;
}

#define HOT_REGIONS	64

/*
 * Steady writes over more regions than one period touches, but fewer
 * than the budget: a quarter of them written in each period, every one
 * of them every fourth period.  None is cleared, so none is marked again:
 * after the first marks the bitmap is not written at all.  (Clearing
 * every region idle for a period, 48 would go in each period and be
 * marked again when their turn came.)
 */
static void mirvol_test_bitmap_keeps_hot_set(struct kunit *test)
{
	struct io_ctx *ctx = test->priv;
	struct mirvol_bitmap *bm;
	unsigned int p;
	s64 writes;

	io_create(test, "kunit-bmhot", 2, true, NULL);
	bm = ctx->vol->bitmap;
	KUNIT_ASSERT_NOT_NULL(test, bm);
	KUNIT_ASSERT_GE(test, bm->nr, (unsigned long)HOT_REGIONS);
	KUNIT_ASSERT_GT(test, READ_ONCE(ctx->vol->bitmap_dirty_max),
			(unsigned int)HOT_REGIONS);
	bitmap_manual_clear(bm);
	bitmap_touch(bm, 0, HOT_REGIONS);
	bitmap_scan(bm);
	KUNIT_ASSERT_EQ(test, mirvol_bitmap_weight(bm),
			(unsigned long)HOT_REGIONS);
	writes = atomic64_read(&ctx->vol->bitmap_writes);
	KUNIT_EXPECT_GT(test, writes, 0LL);
	for (p = 0; p < 12; p++) {
		bitmap_touch(bm, (p % 4) * (HOT_REGIONS / 4), HOT_REGIONS / 4);
		bitmap_scan(bm);
		KUNIT_EXPECT_EQ_MSG(test, mirvol_bitmap_weight(bm),
				    (unsigned long)HOT_REGIONS,
				    "period %u: regions of the hot set cleared",
				    p);
	}
	KUNIT_EXPECT_EQ_MSG(test, atomic64_read(&ctx->vol->bitmap_writes),
			    writes, "the hot set was marked again");
	KUNIT_EXPECT_TRUE(test, disk_bit(test, ctx, 0, HOT_REGIONS - 1));
	KUNIT_EXPECT_TRUE(test, disk_bit(test, ctx, 1, HOT_REGIONS - 1));
	bitmap_fast_clear(bm, MIRVOL_BM_CLEAR_MS_DEFAULT);
}

/*
 * Over the budget, the longest idle regions go, down to 7/8 of it, and
 * the regions being written stay; then, under the budget again, nothing
 * goes while writes go on (hysteresis).
 */
static void mirvol_test_bitmap_budget(struct kunit *test)
{
	struct io_ctx *ctx = test->priv;
	struct mirvol_bitmap *bm;
	unsigned long r, low;
	const unsigned int max = 40;

	io_create(test, "kunit-bmbudget", 2, true, NULL);
	bm = ctx->vol->bitmap;
	KUNIT_ASSERT_NOT_NULL(test, bm);
	KUNIT_ASSERT_GE(test, bm->nr, 80UL);
	bitmap_manual_clear(bm);
	/*
	 * Ages after these: 0-15 written in every period, 16-47 idle for
	 * one period, 48-63 for two.
	 */
	bitmap_touch(bm, 0, 64);
	bitmap_scan(bm);
	bitmap_touch(bm, 0, 48);
	bitmap_scan(bm);
	bitmap_touch(bm, 0, 16);
	bitmap_scan(bm);
	KUNIT_ASSERT_EQ(test, mirvol_bitmap_weight(bm), 64UL);

	/* 64 set, a budget of 40: 29 go, 48-63 first (idle longest). */
	WRITE_ONCE(ctx->vol->bitmap_dirty_max, max);
	low = max - max / 8;
	bitmap_touch(bm, 0, 16);
	bitmap_scan(bm);
	KUNIT_EXPECT_EQ(test, mirvol_bitmap_weight(bm), low);
	KUNIT_EXPECT_EQ(test, bitmap_set_in(bm, 0, 16), 16UL);
	KUNIT_EXPECT_EQ(test, bitmap_set_in(bm, 16, 32), low - 16);
	KUNIT_EXPECT_EQ(test, bitmap_set_in(bm, 48, 16), 0UL);
	for (r = 48; r < 64; r++)
		if (!(r % 5))
			KUNIT_EXPECT_FALSE(test, disk_bit(test, ctx, 1, r));
	KUNIT_EXPECT_TRUE(test, disk_bit(test, ctx, 0, 15));
	KUNIT_EXPECT_TRUE(test, disk_bit(test, ctx, 1, 15));

	/* Under the budget, with writes: nothing more goes. */
	bitmap_touch(bm, 0, 16);
	bitmap_scan(bm);
	KUNIT_EXPECT_EQ(test, mirvol_bitmap_weight(bm), low);

	/*
	 * 10 new regions written with the hot ones: over the budget again,
	 * back to 7/8 at the end of the period, by clearing 10 of the
	 * oldest (16-47); the new and the hot regions stay.
	 */
	bitmap_touch(bm, 0, 16);
	bitmap_touch(bm, 64, 10);
	KUNIT_EXPECT_EQ(test, mirvol_bitmap_weight(bm), low + 10);
	bitmap_scan(bm);
	KUNIT_EXPECT_EQ(test, mirvol_bitmap_weight(bm), low);
	KUNIT_EXPECT_EQ(test, bitmap_set_in(bm, 0, 16), 16UL);
	KUNIT_EXPECT_EQ(test, bitmap_set_in(bm, 64, 10), 10UL);
	KUNIT_EXPECT_EQ(test, bitmap_set_in(bm, 16, 32), low - 26);
	bitmap_fast_clear(bm, MIRVOL_BM_CLEAR_MS_DEFAULT);
}

/*
 * A period in which no write started at all clears every region idle for
 * it, however few are set: a quiet volume ends clean, so a crash then
 * resyncs nothing.  A write still in flight keeps its region.
 */
static void mirvol_test_bitmap_idle_clears_all(struct kunit *test)
{
	struct io_ctx *ctx = test->priv;
	struct mirvol_bitmap *bm;
	sector_t s;

	io_create(test, "kunit-bmidle", 2, true, NULL);
	bm = ctx->vol->bitmap;
	KUNIT_ASSERT_NOT_NULL(test, bm);
	bitmap_manual_clear(bm);
	bitmap_touch(bm, 0, HOT_REGIONS);
	s = (sector_t)HOT_REGIONS << bm->shift;
	mirvol_bitmap_startwrite(bm, s, s + 8);
	/* Written in this period: nothing is idle yet. */
	bitmap_scan(bm);
	KUNIT_EXPECT_EQ(test, mirvol_bitmap_weight(bm), HOT_REGIONS + 1UL);
	/* A period without a write: all go but the one in flight. */
	bitmap_scan(bm);
	KUNIT_EXPECT_EQ(test, mirvol_bitmap_weight(bm), 1UL);
	KUNIT_EXPECT_FALSE(test, disk_bit(test, ctx, 0, 0));
	KUNIT_EXPECT_FALSE(test, disk_bit(test, ctx, 1, HOT_REGIONS - 1));
	KUNIT_EXPECT_TRUE(test, disk_bit(test, ctx, 1, HOT_REGIONS));
	mirvol_bitmap_endwrite(bm, s, s + 8);
	bitmap_scan(bm);
	KUNIT_EXPECT_EQ(test, mirvol_bitmap_weight(bm), 0UL);
	KUNIT_EXPECT_FALSE(test, disk_bit(test, ctx, 0, HOT_REGIONS));
	KUNIT_EXPECT_FALSE(test, disk_bit(test, ctx, 1, HOT_REGIONS));
	bitmap_fast_clear(bm, MIRVOL_BM_CLEAR_MS_DEFAULT);
}

/* Plex 1 fails a write elsewhere as the clearer is about to flush. */
static void clear_flush_fail_hook(struct mirvol_volume *vol)
{
	mirvol_plex_error(vol->plexes[1], true);
}

/*
 * Rule 2 with a plex leaving mid-clear.  The clearer found both plexes in
 * sync and took an idle region; plex 1 then fails (an error elsewhere,
 * with I/O flowing: state_lock only) before the flush reaches it, its
 * cache lost with the write into the region it had completed.  The flush
 * skips it, no longer writable; the bit must stay, for it now covers what
 * plex 1 missed: re-added, plex 1 copies the region by the bitmap.
 * Cleared, the partial resync skipped the region and plex 1 was promoted
 * without the write.
 */
static void mirvol_test_bitmap_clear_plex_leaves(struct kunit *test)
{
	struct io_ctx *ctx = test->priv;
	struct mirvol_op_info info;
	struct mirvol_bitmap *bm;
	struct mirvol_plex *p1;
	unsigned long r = 30;
	sector_t s;

	io_create(test, "kunit-bmclrgone", 2, true, NULL);
	bm = ctx->vol->bitmap;
	KUNIT_ASSERT_NOT_NULL(test, bm);
	KUNIT_ASSERT_EQ(test, bm->shift, 7U);
	p1 = ctx->vol->plexes[1];
	bitmap_manual_clear(bm);
	s = (sector_t)r << bm->shift;
	fill(ctx->pages, 0xc1ea);
	KUNIT_ASSERT_EQ(test, do_io(vbdev(ctx), REQ_OP_WRITE, s, ctx->pages,
				    IO_PAGES), 0);
	/* Written in this period: it stays. */
	bitmap_scan(bm);
	KUNIT_ASSERT_EQ(test, mirvol_bitmap_weight(bm), 1UL);

	WRITE_ONCE(mirvol_kunit_clear_flush_hook, clear_flush_fail_hook);
	bitmap_scan(bm);
	WRITE_ONCE(mirvol_kunit_clear_flush_hook, NULL);
	KUNIT_ASSERT_EQ(test, READ_ONCE(p1->state),
			(unsigned int)MIRVOL_PLEX_FAILED);
	KUNIT_EXPECT_EQ_MSG(test, mirvol_bitmap_weight(bm), 1UL,
			    "region cleared though plex 1 left before its flush");
	KUNIT_EXPECT_TRUE(test, disk_bit(test, ctx, 0, r));
	flush_mirvol_works();

	/* Its volatile cache went with it: plex 1 holds older data. */
	fill(ctx->check, 0x01d);
	KUNIT_ASSERT_EQ(test, do_io(rbdev(ctx, 1), REQ_OP_WRITE,
				    MIRVOL_DATA_OFFSET_SECTORS + s, ctx->check,
				    IO_PAGES), 0);
	plex_back_op(test, ctx->vol, p1, MIRVOL_PLEX_READD, &info);
	KUNIT_ASSERT_EQ(test, read_plex(ctx, 1, s), 0);
	KUNIT_EXPECT_TRUE_MSG(test, same(ctx->pages, ctx->check),
			      "plex 1 promoted without the write into region %lu",
			      r);
	bitmap_fast_clear(bm, MIRVOL_BM_CLEAR_MS_DEFAULT);
}

/*
 * merge-plex's part of the bitmap: the peer's change map is set on every
 * plex's disk and its regions are ONDISK (a write into them goes on at
 * once); and while a split is tracked nothing is cleared (rule 3), so
 * the map keeps every region written since the split.
 */
static void mirvol_test_bitmap_merge_split(struct kunit *test)
{
	struct io_ctx *ctx = test->priv;
	struct mirvol_volume *vol;
	struct mirvol_bitmap *bm;
	unsigned long *bits;
	unsigned int i;

	io_create(test, "kunit-bmmerge", 2, true, NULL);
	vol = ctx->vol;
	bm = vol->bitmap;
	KUNIT_ASSERT_NOT_NULL(test, bm);
	bits = bitmap_zalloc(bm->nr, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, bits);
	/* A split is tracked: a written region stays however idle. */
	mutex_lock(&vol->lock);
	uuid_gen(&vol->split_peer);
	vol->split_generation = vol->generation;
	mutex_unlock(&vol->lock);
	fill(ctx->pages, 0x5e17);
	KUNIT_ASSERT_EQ(test, do_io(vbdev(ctx), REQ_OP_WRITE, 5 << bm->shift,
				    ctx->pages, IO_PAGES), 0);
	bitmap_fast_clear(bm, 20);
	msleep(400);
	for (i = 0; i < 2; i++)
		KUNIT_EXPECT_TRUE_MSG(test, disk_bit(test, ctx, i, 5),
				      "plex %u: cleared while a split is tracked",
				      i);

	/* The peer's map: regions 9 and 40 (and 5, already set). */
	__set_bit(5, bits);
	__set_bit(9, bits);
	__set_bit(40, bits);
	mutex_lock(&vol->lock);
	mirvol_suspend_io(vol);
	KUNIT_EXPECT_EQ(test, mirvol_bitmap_merge(bm, bits), 0);
	mirvol_resume_io(vol);
	mutex_unlock(&vol->lock);
	for (i = 0; i < 2; i++) {
		KUNIT_EXPECT_TRUE(test, disk_bit(test, ctx, i, 9));
		KUNIT_EXPECT_TRUE(test, disk_bit(test, ctx, i, 40));
		KUNIT_EXPECT_FALSE(test, disk_bit(test, ctx, i, 10));
	}
	KUNIT_EXPECT_EQ(test, mirvol_bitmap_weight(bm), 3UL);
	KUNIT_EXPECT_TRUE(test, atomic_read(&bm->state[9]) & MIRVOL_BM_ONDISK);
	KUNIT_EXPECT_EQ(test, atomic_read(&bm->state[40]), MIRVOL_BM_ONDISK);
	msleep(200);
	KUNIT_EXPECT_EQ(test, mirvol_bitmap_weight(bm), 3UL);

	/* No longer tracked: idle regions are cleared again. */
	mutex_lock(&vol->lock);
	memset(&vol->split_peer, 0, sizeof(vol->split_peer));
	vol->split_generation = 0;
	mutex_unlock(&vol->lock);
	KUNIT_EXPECT_TRUE(test, disk_bit_becomes(test, ctx, 2, 40, false,
						 2000));
	KUNIT_EXPECT_TRUE(test, disk_bit_becomes(test, ctx, 2, 5, false,
						 2000));
	bitmap_free(bits);
	bitmap_fast_clear(bm, MIRVOL_BM_CLEAR_MS_DEFAULT);
}

/*
 * A merge whose bits reach no in-sync plex is undone, and the image must
 * not keep them: a bit set in memory and not on disk is never written by
 * the next write into its region (the set work finds it set), which then
 * goes out with its bit on no disk.  Plex 2 is broken off with
 * --track-changes and region @r written on it; the merge back fails on
 * the bitmap area of both remaining plexes (one is failed, the last
 * in-sync one kept).  A write into @r on the target afterwards must put
 * its bit on the in-sync plex's disk, or the failed plex, re-added after
 * an assembly, would copy the regions of that disk's bitmap and not @r.
 */
static void mirvol_test_bitmap_merge_fails(struct kunit *test)
{
	struct io_ctx *ctx = test->priv;
	char name[MIRVOL_NAME_LEN];
	struct mirvol_op_info info;
	enum mirvol_reason reason;
	struct mirvol_volume *vol, *src;
	struct mirvol_bitmap *bm;
	struct file *sfile;
	unsigned long r = 12;
	unsigned int i, in_sync = MIRVOL_MAX_PLEXES;
	uuid_t new_uuid;
	u64 op_id = 0;

	io_create(test, "kunit-bmmfail", 3, true, NULL);
	vol = ctx->vol;
	bm = vol->bitmap;
	KUNIT_ASSERT_NOT_NULL(test, bm);
	reason = mirvol_break_plex(vol, vol->plexes[2]->uuid.b, "", true,
				   &new_uuid, name, &op_id);
	KUNIT_ASSERT_EQ(test, reason, MIRVOL_R_NONE);
	KUNIT_ASSERT_EQ(test, mirvol_op_wait(op_id, 60000, &info),
			MIRVOL_R_NONE);
	KUNIT_ASSERT_EQ(test, info.state, (u32)MIRVOL_OPS_SUCCEEDED);
	KUNIT_ASSERT_NE(test, vol->split_generation, 0ULL);
	src = mirvol_lookup(new_uuid.b);
	KUNIT_ASSERT_NOT_NULL(test, src);
	/* Region @r changes on the broken-off volume only. */
	sfile = open_dev(disk_devt(src->disk));
	KUNIT_EXPECT_FALSE(test, IS_ERR(sfile));
	if (!IS_ERR(sfile)) {
		fill(ctx->pages, 0x3e76);
		KUNIT_EXPECT_EQ(test, do_io(file_bdev(sfile), REQ_OP_WRITE,
					    r << bm->shift, ctx->pages,
					    IO_PAGES), 0);
		__fput_sync(sfile);
	}
	KUNIT_EXPECT_FALSE(test, test_bit(r, bm->disk));

	for (i = 0; i < 2; i++)
		WRITE_ONCE(vol->plexes[i]->inject, MIRVOL_INJECT_BITMAP);
	op_id = 0;
	reason = mirvol_add_plex(vol, NULL, src, true, &op_id);
	for (i = 0; i < 2; i++)
		WRITE_ONCE(vol->plexes[i]->inject, 0);
	mirvol_volume_put(src);
	KUNIT_ASSERT_EQ(test, reason, MIRVOL_R_IO_ERROR);
	KUNIT_EXPECT_EQ(test, op_id, 0ULL);
	/* Undone: the split is still tracked, one plex is still in sync. */
	KUNIT_EXPECT_NE(test, vol->split_generation, 0ULL);
	KUNIT_EXPECT_NULL(test, vol->plexes[2]);
	for (i = 0; i < 2; i++)
		if (vol->plexes[i]->state == MIRVOL_PLEX_ACTIVE)
			in_sync = i;
	KUNIT_ASSERT_LT(test, in_sync, 2U);
	KUNIT_EXPECT_FALSE(test, disk_bit(test, ctx, in_sync, r));

	/* A write into @r on the target: its bit on disk first. */
	fill(ctx->pages, 0x3e77);
	KUNIT_ASSERT_EQ(test, do_io(vbdev(ctx), REQ_OP_WRITE, r << bm->shift,
				    ctx->pages, IO_PAGES), 0);
	KUNIT_EXPECT_TRUE(test, atomic_read(&bm->state[r]) & MIRVOL_BM_ONDISK);
	KUNIT_EXPECT_TRUE_MSG(test, disk_bit(test, ctx, in_sync, r),
			      "region %lu written with its bit on no disk", r);
}

static void mirvol_test_read_balance_uses_all(struct kunit *test)
{
	struct io_ctx *ctx = test->priv;
	s64 reads[2], base[2];
	unsigned int i;

	io_create(test, "kunit-balance", 2, true, NULL);
	/* The partition scan read already: count from here. */
	for (i = 0; i < 2; i++)
		base[i] = atomic64_read(&ctx->vol->plexes[i]->read_ios);
	/*
	 * Independent (non-sequential) reads spread over equal plexes
	 * (mirvol_kunit_rb_equal: equal whatever UML's timing).
	 */
	for (i = 0; i < 64; i++)
		KUNIT_ASSERT_EQ(test, do_io(vbdev(ctx), REQ_OP_READ,
					    8 + (i * 7919) % 20000,
					    ctx->check, 1), 0);
	for (i = 0; i < 2; i++)
		reads[i] = atomic64_read(&ctx->vol->plexes[i]->read_ios);
	KUNIT_EXPECT_EQ(test, reads[0] - base[0] + reads[1] - base[1], 64LL);
	KUNIT_EXPECT_GT(test, reads[0] - base[0], 16LL);
	KUNIT_EXPECT_GT(test, reads[1] - base[1], 16LL);
	/* A sequential stream stays on one plex. */
	for (i = 0; i < 32; i++)
		KUNIT_ASSERT_EQ(test, do_io(vbdev(ctx), REQ_OP_READ,
					    30000 + i * 8, ctx->check, 1), 0);
	KUNIT_EXPECT_TRUE(test,
		atomic64_read(&ctx->vol->plexes[0]->read_ios) == reads[0] ||
		atomic64_read(&ctx->vol->plexes[1]->read_ios) == reads[1]);
}

/*
 * The driver learns each plex's read service time, and honours the
 * write-mostly flag: such a plex serves no read while another can, and
 * every read when it is the only one.
 */
static void mirvol_test_read_learn_write_mostly(struct kunit *test)
{
	struct io_ctx *ctx = test->priv;
	struct mirvol_plex *p0, *p1;
	s64 base0, base1;
	unsigned int i;

	mirvol_kunit_rb_equal = false;	/* the learning is tested */
	io_create(test, "kunit-wm", 2, true, NULL);
	p0 = ctx->vol->plexes[0];
	p1 = ctx->vol->plexes[1];
	for (i = 0; i < 32; i++)
		KUNIT_ASSERT_EQ(test, do_io(vbdev(ctx), REQ_OP_READ,
					    8 + (i * 7919) % 20000,
					    ctx->check, 1), 0);
	/* Every plex that served a read has a service time. */
	for (i = 0; i < 2; i++)
		if (atomic64_read(&ctx->vol->plexes[i]->read_ios))
			KUNIT_EXPECT_NE(test,
					READ_ONCE(ctx->vol->plexes[i]->rb.service),
					0UL);

	/* Plex 0 write-mostly, and the faster one, due for a probe: no reads. */
	WRITE_ONCE(p0->write_mostly, true);
	base0 = atomic64_read(&p0->read_ios);
	base1 = atomic64_read(&p1->read_ios);
	for (i = 0; i < 32; i++) {
		WRITE_ONCE(p0->rb.service, 1);
		WRITE_ONCE(p0->rb.probe_at, 0);
		KUNIT_ASSERT_EQ(test, do_io(vbdev(ctx), REQ_OP_READ,
					    8 + (i * 7919) % 20000,
					    ctx->check, 1), 0);
	}
	KUNIT_EXPECT_EQ(test, atomic64_read(&p0->read_ios), base0);
	KUNIT_EXPECT_EQ(test, atomic64_read(&p1->read_ios), base1 + 32);

	/* Plex 1 fails: the write-mostly plex serves the reads. */
	mirvol_plex_error(p1, true);
	for (i = 0; i < 8; i++)
		KUNIT_ASSERT_EQ(test, do_io(vbdev(ctx), REQ_OP_READ, 8 + i * 64,
					    ctx->check, 1), 0);
	KUNIT_EXPECT_EQ(test, atomic64_read(&p0->read_ios), base0 + 8);
}

static void mirvol_test_read_retry(struct kunit *test)
{
	struct io_ctx *ctx = test->priv;
	unsigned int saved = mirvol_max_read_errors;
	struct mirvol_plex *p0;
	unsigned int i;

	io_create(test, "kunit-retry", 2, true, NULL);
	p0 = ctx->vol->plexes[0];
	fill(ctx->pages, 0xbeef);
	KUNIT_ASSERT_EQ(test, do_io(vbdev(ctx), REQ_OP_WRITE, 4096,
				    ctx->pages, IO_PAGES), 0);
	KUNIT_ASSERT_EQ(test, mirvol_plex_read_errors(p0), 0U);
	mirvol_max_read_errors = 1000;
	WRITE_ONCE(p0->inject, MIRVOL_INJECT_READ);
	for (i = 0; i < 16; i++) {
		memset(page_address(ctx->check[0]), 0, PAGE_SIZE);
		KUNIT_ASSERT_EQ(test, do_io(vbdev(ctx), REQ_OP_READ, 4096,
					    ctx->check, IO_PAGES), 0);
		KUNIT_EXPECT_TRUE(test, same(ctx->pages, ctx->check));
	}
	/*
	 * Some reads went to plex 0 first and were retried; the repair
	 * rewrote them on plex 0, which took the rewrite but still cannot
	 * read it back: uncorrected errors (0 until a repair ran; see
	 * mirvol_test_corrected_reads_keep_plex for the rewrite itself).
	 */
	flush_work(&ctx->vol->repair_work);
	KUNIT_EXPECT_GT(test, mirvol_plex_read_errors(p0), 0U);
	KUNIT_EXPECT_EQ(test, atomic64_read(&p0->corrected_read_errors), 0LL);
	KUNIT_EXPECT_EQ(test, p0->state, MIRVOL_PLEX_ACTIVE);
	/* No plex can serve it: the caller sees the error. */
	WRITE_ONCE(ctx->vol->plexes[1]->inject, MIRVOL_INJECT_READ);
	KUNIT_EXPECT_NE(test, do_io(vbdev(ctx), REQ_OP_READ, 4096,
				    ctx->check, IO_PAGES), 0);
	WRITE_ONCE(ctx->vol->plexes[1]->inject, 0);
	WRITE_ONCE(p0->inject, 0);
	mirvol_max_read_errors = saved;
}

static void mirvol_test_read_errors_fail_plex(struct kunit *test)
{
	struct io_ctx *ctx = test->priv;
	unsigned int saved = mirvol_max_read_errors;
	struct mirvol_plex *p1;
	unsigned int i;

	io_create(test, "kunit-readfail", 2, true, NULL);
	p1 = ctx->vol->plexes[1];
	mirvol_max_read_errors = 3;
	WRITE_ONCE(p1->inject, MIRVOL_INJECT_READ);
	/* Repairs rewrite plex 1, which still cannot read: uncorrected. */
	for (i = 0; i < 32 && READ_ONCE(p1->state) == MIRVOL_PLEX_ACTIVE; i++) {
		KUNIT_ASSERT_EQ(test, do_io(vbdev(ctx), REQ_OP_READ,
					    i * 64, ctx->check, 1), 0);
		flush_work(&ctx->vol->repair_work);
	}
	mirvol_max_read_errors = saved;
	KUNIT_EXPECT_EQ(test, p1->state, MIRVOL_PLEX_FAILED);
	KUNIT_EXPECT_GE(test, mirvol_plex_read_errors(p1), 3U);
	WRITE_ONCE(p1->inject, 0);
}

static void mirvol_test_read_repair_fails_plex(struct kunit *test)
{
	struct io_ctx *ctx = test->priv;
	unsigned int saved = mirvol_max_read_errors;
	struct mirvol_plex *p1;
	unsigned int i;

	io_create(test, "kunit-repair", 2, true, NULL);
	p1 = ctx->vol->plexes[1];
	mirvol_max_read_errors = 1000;
	/* Plex 1 can neither read nor take the rewrite of the good data. */
	WRITE_ONCE(p1->inject, MIRVOL_INJECT_READ | MIRVOL_INJECT_WRITE);
	for (i = 0; i < 8; i++)
		KUNIT_ASSERT_EQ(test, do_io(vbdev(ctx), REQ_OP_READ,
					    100 + i * 64, ctx->check, 1), 0);
	flush_work(&ctx->vol->repair_work);
	flush_work(&ctx->vol->worker);
	mirvol_max_read_errors = saved;
	/* The failed rewrite failed the plex: its read errors are moot. */
	KUNIT_EXPECT_EQ(test, p1->state, MIRVOL_PLEX_FAILED);
	KUNIT_EXPECT_GT(test, atomic64_read(&p1->write_errors), 0LL);
	KUNIT_EXPECT_EQ(test, atomic64_read(&p1->corrected_read_errors), 0LL);
	KUNIT_EXPECT_EQ(test, ctx->vol->state, MIRVOL_VOLUME_DEGRADED);
	WRITE_ONCE(p1->inject, 0);
}

static void mirvol_test_write_error(struct kunit *test)
{
	struct io_ctx *ctx = test->priv;
	enum mirvol_reason reason;
	struct mirvol_plex *p1;
	struct mirvol_md md;

	io_create(test, "kunit-wfail", 2, true, NULL);
	p1 = ctx->vol->plexes[1];
	fill(ctx->pages, 0x5555);
	WRITE_ONCE(p1->inject, MIRVOL_INJECT_WRITE);
	/* The write succeeds on the other in-sync plex. */
	KUNIT_EXPECT_EQ(test, do_io(vbdev(ctx), REQ_OP_WRITE, 512,
				    ctx->pages, IO_PAGES), 0);
	KUNIT_EXPECT_EQ(test, p1->state, MIRVOL_PLEX_FAILED);
	KUNIT_EXPECT_EQ(test, ctx->vol->state, MIRVOL_VOLUME_DEGRADED);
	KUNIT_EXPECT_EQ(test, atomic64_read(&p1->write_errors), 1LL);
	/*
	 * Its completion waited for the surviving plex's superblock to
	 * record the failure.
	 */
	KUNIT_ASSERT_GE(test, mirvol_sb_read_dev(rbdev(ctx, 0), &md,
						 &reason), 0);
	KUNIT_EXPECT_EQ(test, md.plexes[1].state, (u32)MIRVOL_PLEX_FAILED);
	KUNIT_EXPECT_EQ(test, md.plexes[0].state, (u32)MIRVOL_PLEX_ACTIVE);
	KUNIT_EXPECT_TRUE(test, md.flags & MIRVOL_SB_F_DIRTY);
	KUNIT_ASSERT_EQ(test, do_io(vbdev(ctx), REQ_OP_READ, 512,
				    ctx->check, IO_PAGES), 0);
	KUNIT_EXPECT_TRUE(test, same(ctx->pages, ctx->check));

	/*
	 * The last in-sync plex fails a write: the write is an error, but
	 * the plex is not failed (md's rule): what it holds stays readable.
	 */
	WRITE_ONCE(ctx->vol->plexes[0]->inject, MIRVOL_INJECT_WRITE);
	fill(ctx->pages, 0x6666);
	KUNIT_EXPECT_NE(test, do_io(vbdev(ctx), REQ_OP_WRITE, 8192,
				    ctx->pages, IO_PAGES), 0);
	WRITE_ONCE(ctx->vol->plexes[0]->inject, 0);
	KUNIT_EXPECT_EQ(test, ctx->vol->plexes[0]->state, MIRVOL_PLEX_ACTIVE);
	KUNIT_EXPECT_EQ(test, ctx->vol->state, MIRVOL_VOLUME_DEGRADED);
	/* The write, and the superblock update it asked for. */
	KUNIT_EXPECT_GE(test, atomic64_read(&ctx->vol->plexes[0]->write_errors),
			1LL);
	fill(ctx->pages, 0x5555);
	KUNIT_EXPECT_EQ(test, do_io(vbdev(ctx), REQ_OP_READ, 512,
				    ctx->check, IO_PAGES), 0);
	KUNIT_EXPECT_TRUE(test, same(ctx->pages, ctx->check));
	WRITE_ONCE(p1->inject, 0);
}

/*
 * A write whose chained child failed ends failed.  blk-lib (zeroout,
 * discard) and mirvol's own split at a unit border chain bios: a child's
 * error is copied into the parent only while the parent's status is
 * zero, so the parent's completion must never write BLK_STS_OK over it.
 */
static void mirvol_test_chained_write_error(struct kunit *test)
{
	struct io_ctx *ctx = test->priv;
	struct mirvol_plex *p0, *p1;
	struct bio *parent, *child;
	unsigned int i;
	int ret;

	io_create(test, "kunit-chain", 2, true, NULL);
	p0 = ctx->vol->plexes[0];
	p1 = ctx->vol->plexes[1];
	fill(ctx->pages, 0x7171);
	parent = bio_alloc(vbdev(ctx), IO_PAGES, REQ_OP_WRITE, GFP_KERNEL);
	parent->bi_iter.bi_sector = 1024;
	child = bio_alloc(vbdev(ctx), IO_PAGES, REQ_OP_WRITE, GFP_KERNEL);
	child->bi_iter.bi_sector = 512;
	for (i = 0; i < IO_PAGES; i++) {
		__bio_add_page(parent, ctx->pages[i], PAGE_SIZE, 0);
		__bio_add_page(child, ctx->pages[i], PAGE_SIZE, 0);
	}
	bio_chain(child, parent);

	/* The child fails on both plexes: one is failed, the last kept. */
	WRITE_ONCE(p0->inject, MIRVOL_INJECT_WRITE);
	WRITE_ONCE(p1->inject, MIRVOL_INJECT_WRITE);
	submit_bio(child);
	KUNIT_ASSERT_TRUE_MSG(test, wait_until(READ_ONCE(parent->bi_status)),
			      "the child's error never reached its parent");
	KUNIT_EXPECT_EQ(test, ctx->vol->state, MIRVOL_VOLUME_DEGRADED);

	/* The parent itself succeeds on the kept plex. */
	WRITE_ONCE(p0->inject, 0);
	WRITE_ONCE(p1->inject, 0);
	ret = submit_bio_wait(parent);
	bio_put(parent);
	KUNIT_EXPECT_EQ_MSG(test, ret, -EIO,
			    "a write whose chained part failed ended %d", ret);
	/* The parent did reach the kept plex. */
	KUNIT_ASSERT_EQ(test, read_plex(ctx, p0->state == MIRVOL_PLEX_ACTIVE ?
					0 : 1, 1024), 0);
	KUNIT_EXPECT_TRUE(test, same(ctx->pages, ctx->check));
}

/*
 * A write that finds no writable plex as it fans out (its plexes failed
 * after it read the volume's state) fails, as any write no in-sync plex
 * took, and gives back its barrier bucket and bitmap region; its context
 * then lives in a bio sent nowhere, freed with it.  The plex's state is
 * set alone, without the volume's, to stand for that window.
 */
static void mirvol_test_write_no_writable_plex(struct kunit *test)
{
	struct io_ctx *ctx = test->priv;
	struct mirvol_volume *vol;
	struct mirvol_plex *p0;
	unsigned int state;
	atomic_t *bucket;
	s64 writes;

	io_create(test, "kunit-nowplex", 1, true, NULL);
	vol = ctx->vol;
	p0 = vol->plexes[0];
	fill(ctx->pages, 0x0b1e);
	KUNIT_ASSERT_EQ(test, do_io(vbdev(ctx), REQ_OP_WRITE, 0, ctx->pages,
				    IO_PAGES), 0);
	flush_mirvol_works();
	writes = atomic64_read(&p0->write_ios);

	spin_lock_irq(&vol->state_lock);
	WRITE_ONCE(p0->state, MIRVOL_PLEX_FAILED);
	spin_unlock_irq(&vol->state_lock);
	state = READ_ONCE(vol->state);
	KUNIT_ASSERT_NE(test, state, MIRVOL_VOLUME_FAILED);
	KUNIT_EXPECT_EQ(test, do_io(vbdev(ctx), REQ_OP_WRITE, 0, ctx->pages,
				    IO_PAGES), -EIO);
	flush_mirvol_works();
	KUNIT_EXPECT_EQ(test, atomic64_read(&p0->write_ios), writes);
	bucket = &vol->barrier.nr_pending[mirvol_barrier_idx(0)];
	KUNIT_EXPECT_EQ(test, atomic_read(bucket), 0);
	if (vol->bitmap)
		KUNIT_EXPECT_EQ(test, atomic_read(&vol->bitmap->state[0]) &
				MIRVOL_BM_PENDING, 0);

	spin_lock_irq(&vol->state_lock);
	WRITE_ONCE(p0->state, MIRVOL_PLEX_ACTIVE);
	spin_unlock_irq(&vol->state_lock);
	flush_mirvol_works();
}

/* The slab under the volume's bio_set, as under memory pressure. */
static void *no_slab_alloc(gfp_t gfp, void *data)
{
	return NULL;
}

/*
 * The bio_set's reserve is what a write needs to progress when the slab
 * has nothing (bio_alloc_bioset()'s rule: a bio that was sent gives its
 * bio back when it ends, so a writer waiting in mempool_alloc() for its
 * next clone gets it).  With the slab failing and one bio left in the
 * reserve, a write to two plexes takes it for its first clone; for the
 * second the first goes out through the rescuer, ends, and must come back
 * to the reserve, or the writer waits for as long as the slab fails.
 */
static void mirvol_test_write_reserve_progress(struct kunit *test)
{
	struct io_ctx *ctx = test->priv;
	mempool_t *pool;
	struct bio_list held;
	void **elems;
	int n = 0;
	struct async_write aw;
	struct bio *b;
	bool ended;

	io_create(test, "kunit-wreserve", 2, true, NULL);
	pool = &ctx->vol->bs.bio_pool;
	fill(ctx->pages, 0x7e5e);
	KUNIT_ASSERT_EQ(test, do_io(vbdev(ctx), REQ_OP_WRITE, 0, ctx->pages,
				    IO_PAGES), 0);
	flush_mirvol_works();

	/*
	 * No slab; this CPU's cache and the reserve emptied, one given back.
	 * KASAN poisons a reserve's elements only while ->alloc is the slab's:
	 * they go in again under the stand-in, so that none is poisoned.
	 */
	bio_list_init(&held);
	elems = kunit_kcalloc(test, pool->min_nr + 1, sizeof(*elems),
			      GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, elems);
	while ((elems[n] = mempool_alloc_preallocated(pool)))
		n++;
	pool->alloc = no_slab_alloc;
	while (n)
		mempool_free(elems[--n], pool);
	while ((b = bio_alloc_bioset(NULL, 0, REQ_OP_WRITE | REQ_ALLOC_CACHE,
				     GFP_NOWAIT, &ctx->vol->bs)))
		bio_list_add(&held, b);
	b = bio_list_pop(&held);
	KUNIT_ASSERT_NOT_NULL(test, b);
	b->bi_opf &= ~REQ_ALLOC_CACHE;
	bio_put(b);
	KUNIT_ASSERT_EQ(test, READ_ONCE(pool->curr_nr), 1);

	async_write_start(&aw, vbdev(ctx), 0, ctx->pages);
	ended = wait_until(completion_done(&aw.done));
	KUNIT_EXPECT_TRUE_MSG(test, ended,
			      "a write waits for a bio its own clones hold");
	if (ended)
		KUNIT_EXPECT_EQ(test, READ_ONCE(pool->curr_nr), 1);

	/* The slab back: a stuck writer retries it within 5 s. */
	pool->alloc = mempool_alloc_slab;
	async_write_finish(test, &aw);
	KUNIT_EXPECT_EQ(test, aw.ret, 0);
	while ((b = bio_list_pop(&held))) {
		b->bi_opf &= ~REQ_ALLOC_CACHE;
		bio_put(b);
	}
	flush_mirvol_works();
}

/*
 * Only a discard may be refused without failing the plex (md raid1's
 * rule): a plex that refuses a data write does not hold it, so it is
 * failed like any plex whose write failed, and no read comes from it.
 */
static void mirvol_test_write_notsupp_fails_plex(struct kunit *test)
{
	struct io_ctx *ctx = test->priv;
	struct mirvol_plex *p1;
	unsigned int i;

	io_create(test, "kunit-wnotsupp", 2, true, NULL);
	p1 = ctx->vol->plexes[1];
	fill(ctx->pages, 0x0101);
	KUNIT_ASSERT_EQ(test, do_io(vbdev(ctx), REQ_OP_WRITE, 512,
				    ctx->pages, IO_PAGES), 0);
	fill(ctx->pages, 0x0202);
	WRITE_ONCE(p1->inject, MIRVOL_INJECT_W_NOTSUPP);
	KUNIT_EXPECT_EQ(test, do_io(vbdev(ctx), REQ_OP_WRITE, 512,
				    ctx->pages, IO_PAGES), 0);
	WRITE_ONCE(p1->inject, 0);
	KUNIT_EXPECT_EQ_MSG(test, p1->state, MIRVOL_PLEX_FAILED,
			    "plex 1 refused a write and stays in sync");
	/* Every read returns the new data, whichever plex it is sent to. */
	for (i = 0; i < 8; i++) {
		KUNIT_ASSERT_EQ(test, do_io(vbdev(ctx), REQ_OP_READ, 512,
					    ctx->check, IO_PAGES), 0);
		KUNIT_EXPECT_TRUE_MSG(test, same(ctx->pages, ctx->check),
				      "read %u returned the data before the write",
				      i);
	}
}

static void mirvol_test_sb_write_error(struct kunit *test)
{
	struct io_ctx *ctx = test->priv;
	enum mirvol_reason reason;
	struct mirvol_plex *p1;
	struct mirvol_md md;
	u64 gen;

	io_create(test, "kunit-sbfail", 2, true, NULL);
	p1 = ctx->vol->plexes[1];
	gen = ctx->vol->generation;
	KUNIT_ASSERT_FALSE(test, test_bit(MIRVOL_VOL_DIRTY, &ctx->vol->flags));
	/* The first write marks the volume dirty: plex 1 fails that update. */
	WRITE_ONCE(p1->inject, MIRVOL_INJECT_WRITE);
	fill(ctx->pages, 0x4242);
	KUNIT_EXPECT_EQ(test, do_io(vbdev(ctx), REQ_OP_WRITE, 64, ctx->pages,
				    IO_PAGES), 0);
	KUNIT_EXPECT_EQ(test, p1->state, MIRVOL_PLEX_FAILED);
	/* The update was repeated on plex 0, recording the failure. */
	KUNIT_ASSERT_GE(test, mirvol_sb_read_dev(rbdev(ctx, 0), &md, &reason),
			0);
	KUNIT_EXPECT_GE(test, md.generation, gen + 1);
	KUNIT_EXPECT_EQ(test, md.plexes[1].state, (u32)MIRVOL_PLEX_FAILED);
	/*
	 * gen + 1 (the dirty mark) failed on plex 1 at its flush, before
	 * any superblock was written: the repeat takes gen + 1 again (no
	 * slot written over) and is the first generation recording it gone.
	 * The worker may or may not have written another generation since.
	 */
	KUNIT_EXPECT_EQ(test, md.plexes[1].gone_generation, gen + 1);
	KUNIT_EXPECT_TRUE(test, md.flags & MIRVOL_SB_F_DIRTY);
	WRITE_ONCE(p1->inject, 0);
}

/*
 * Guard (passes on the code before MIRVOL_VOL_SB_FAILED was used): a
 * superblock update that fails on plex 1 only (at its flush: no
 * superblock written) is repeated on plex 0 at the same generation, and
 * plex 0 takes the later ones: plex 0 is ahead of plex 1, which records
 * itself in sync.  Assembly of both takes plex 0's as the
 * truth: plex 0 in sync with the data written, plex 1 failed, not stale
 * or syncing by its own older account.
 */
static void mirvol_test_sb_write_error_assemble(struct kunit *test)
{
	struct io_ctx *ctx = test->priv;
	enum mirvol_reason reason;
	struct mirvol_volume *vol;
	struct mirvol_md *md;
	u64 gen, op_id = 0;

	md = kunit_kzalloc(test, 2 * sizeof(*md), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, md);
	io_create(test, "kunit-sbfailasm", 2, true, NULL);
	WRITE_ONCE(ctx->vol->plexes[1]->inject, MIRVOL_INJECT_WRITE);
	fill(ctx->pages, 0x5b2a);
	KUNIT_EXPECT_EQ(test, do_io(vbdev(ctx), REQ_OP_WRITE, 64, ctx->pages,
				    IO_PAGES), 0);
	KUNIT_ASSERT_GE(test, mirvol_sb_read_dev(rbdev(ctx, 0), &md[0],
						 &reason), 0);
	KUNIT_ASSERT_GE(test, mirvol_sb_read_dev(rbdev(ctx, 1), &md[1],
						 &reason), 0);
	gen = md[0].generation;
	KUNIT_EXPECT_GE(test, gen, md[1].generation + 1);

	vol = stop_assemble(test, ctx, 2, &op_id);
	KUNIT_EXPECT_EQ(test, READ_ONCE(vol->plexes[0]->state),
			MIRVOL_PLEX_ACTIVE);
	KUNIT_EXPECT_EQ(test, READ_ONCE(vol->plexes[1]->state),
			MIRVOL_PLEX_FAILED);
	KUNIT_ASSERT_EQ(test, read_plex(ctx, 0, 64), 0);
	KUNIT_EXPECT_TRUE(test, same(ctx->pages, ctx->check));
}

static void mirvol_test_resync(struct kunit *test)
{
	struct io_ctx *ctx = test->priv;
	struct mirvol_op_info info;
	sector_t s;
	u64 op_id;

	/* Different data on the two devices before the volume exists. */
	fill(ctx->pages, 0x1111);
	KUNIT_ASSERT_EQ(test, do_io(rbdev(ctx, 0), REQ_OP_WRITE,
				    MIRVOL_DATA_OFFSET_SECTORS + 8192,
				    ctx->pages, IO_PAGES), 0);
	fill(ctx->pages, 0x2222);
	KUNIT_ASSERT_EQ(test, do_io(rbdev(ctx, 1), REQ_OP_WRITE,
				    MIRVOL_DATA_OFFSET_SECTORS + 8192,
				    ctx->pages, IO_PAGES), 0);

	io_create(test, "kunit-resync", 2, false, &op_id);
	KUNIT_ASSERT_NE(test, op_id, 0ULL);
	KUNIT_ASSERT_EQ(test, mirvol_op_wait(op_id, 60000, &info), MIRVOL_R_NONE);
	KUNIT_EXPECT_EQ(test, info.type, (u32)MIRVOL_OP_RESYNC);
	KUNIT_EXPECT_EQ(test, info.state, (u32)MIRVOL_OPS_SUCCEEDED);
	KUNIT_EXPECT_EQ(test, info.percent, 100U);
	KUNIT_EXPECT_EQ(test, ctx->vol->plexes[1]->state, MIRVOL_PLEX_ACTIVE);
	KUNIT_EXPECT_EQ(test, ctx->vol->state, MIRVOL_VOLUME_ONLINE);
	/* Plex 1 now holds plex 0's data everywhere. */
	for (s = 0; s < ctx->vol->size; s += 512 * IO_PAGES) {
		KUNIT_ASSERT_EQ(test, read_plex(ctx, 0, s), 0);
		memcpy(page_address(ctx->pages[0]),
		       page_address(ctx->check[0]), PAGE_SIZE);
		KUNIT_ASSERT_EQ(test, read_plex(ctx, 1, s), 0);
		KUNIT_ASSERT_EQ_MSG(test, memcmp(page_address(ctx->pages[0]),
						 page_address(ctx->check[0]),
						 PAGE_SIZE), 0,
				    "sector %llu", (unsigned long long)s);
	}
	/* A finished operation cannot be cancelled. */
	KUNIT_EXPECT_EQ(test, mirvol_op_cancel(op_id, &info),
			MIRVOL_R_CANCEL_TOO_LATE);
}

/* Both plexes' flushes fail from the end of the resync pass on. */
static void flush_fails_at_resync_end(struct mirvol_volume *vol)
{
	WRITE_ONCE(vol->plexes[0]->inject, MIRVOL_INJECT_FLUSH);
	WRITE_ONCE(vol->plexes[1]->inject, MIRVOL_INJECT_FLUSH);
}

/* The generation each slot of @bdev holds, 0 for an invalid slot. */
static void sb_slot_gens(struct kunit *test, struct io_ctx *ctx,
			 struct block_device *bdev, u64 gen[2])
{
	struct mirvol_md *md = kunit_kzalloc(test, sizeof(*md), GFP_KERNEL);
	unsigned int k;

	KUNIT_ASSERT_NOT_NULL(test, md);
	for (k = 0; k < 2; k++) {
		KUNIT_ASSERT_EQ(test, do_io(bdev, REQ_OP_READ,
					    MIRVOL_SB_SECTOR(MIRVOL_SB_OFFSET +
							     k * MIRVOL_SB_SLOT_SIZE),
					    ctx->check, 1), 0);
		gen[k] = mirvol_sb_decode(page_address(ctx->check[0]),
					  bdev_nr_sectors(bdev), md) ==
			 MIRVOL_SB_OK ? md->generation : 0;
	}
}

/*
 * A superblock slot is never overwritten in place (design.rst, rule 5):
 * an update writes the slot of the other parity, so that a write torn by
 * a power cut leaves the previous superblock whole.  An attempt whose
 * flush fails on a plex (failed, then the update repeated without it)
 * writes no superblock: the repeat must not take another generation,
 * whose slot is the one holding the current superblock.  Likewise an
 * update that fails at its flush (the last in-sync plex) leaves the next
 * one the generation it did not use.  The landed code took one per
 * attempt: the repeat wrote g + 2 over g, and the other slot held g - 1.
 */
static void mirvol_test_sb_retry_keeps_slot(struct kunit *test)
{
	struct io_ctx *ctx = test->priv;
	struct mirvol_volume *vol;
	u64 g0, gen[2];
	int ret;

	io_create(test, "kunit-sbslot", 3, true, NULL);
	vol = ctx->vol;
	mutex_lock(&vol->lock);
	mutex_lock(&vol->sb_mutex);
	g0 = vol->generation;
	WRITE_ONCE(vol->plexes[2]->inject, MIRVOL_INJECT_FLUSH);
	ret = mirvol_sb_update_locked(vol);
	mutex_unlock(&vol->sb_mutex);
	mutex_unlock(&vol->lock);
	KUNIT_EXPECT_EQ(test, ret, 0);
	KUNIT_EXPECT_EQ(test, READ_ONCE(vol->plexes[2]->state),
			MIRVOL_PLEX_FAILED);
	KUNIT_EXPECT_EQ(test, vol->generation, g0 + 1);
	sb_slot_gens(test, ctx, rbdev(ctx, 0), gen);
	KUNIT_EXPECT_TRUE_MSG(test, (gen[0] == g0 && gen[1] == g0 + 1) ||
			      (gen[1] == g0 && gen[0] == g0 + 1),
			      "after g %llu: slots hold %llu, %llu", g0,
			      gen[0], gen[1]);

	/* The last in-sync plex fails the flush: no generation used. */
	g0 = vol->generation;
	WRITE_ONCE(vol->plexes[1]->inject, MIRVOL_INJECT_FLUSH);
	mutex_lock(&vol->lock);
	mutex_lock(&vol->sb_mutex);
	KUNIT_EXPECT_EQ(test, mirvol_sb_update_locked(vol), 0);
	KUNIT_EXPECT_EQ(test, vol->generation, g0 + 1);
	g0 = vol->generation;
	WRITE_ONCE(vol->plexes[0]->inject, MIRVOL_INJECT_FLUSH);
	KUNIT_EXPECT_EQ(test, mirvol_sb_update_locked(vol), -EIO);
	KUNIT_EXPECT_EQ(test, vol->generation, g0);
	WRITE_ONCE(vol->plexes[0]->inject, 0);
	KUNIT_EXPECT_EQ(test, mirvol_sb_update_locked(vol), 0);
	mutex_unlock(&vol->sb_mutex);
	mutex_unlock(&vol->lock);
	KUNIT_EXPECT_EQ(test, vol->generation, g0 + 1);
	sb_slot_gens(test, ctx, rbdev(ctx, 0), gen);
	KUNIT_EXPECT_TRUE_MSG(test, (gen[0] == g0 && gen[1] == g0 + 1) ||
			      (gen[1] == g0 && gen[0] == g0 + 1),
			      "after g %llu: slots hold %llu, %llu", g0,
			      gen[0], gen[1]);
}

/*
 * As mirvol_test_sb_retry_keeps_slot, for an update whose superblock
 * write the last in-sync plex fails: the write went to slot g + 1 and
 * may have torn it, so the plex's only valid superblock is g, in the
 * other slot.  The next update must not write that one: it takes the
 * failed attempt's slot again, with a generation above the failed one.
 * The landed code wrote g + 2 over g, and a cut during that write left
 * the plex without a valid superblock (METADATA_CORRUPT).
 */
static void mirvol_test_sb_retry_last_keeps_slot(struct kunit *test)
{
	struct io_ctx *ctx = test->priv;
	struct mirvol_volume *vol;
	u64 g0, g, gen[2], op_id = 0;
	int ret;

	io_create(test, "kunit-sblast", 2, true, NULL);
	vol = ctx->vol;
	KUNIT_ASSERT_EQ(test, mirvol_plex_action(vol, vol->plexes[1]->uuid.b,
						 MIRVOL_PLEX_FAIL, -1, &op_id),
			MIRVOL_R_NONE);
	mutex_lock(&vol->lock);
	mutex_lock(&vol->sb_mutex);
	g0 = vol->generation;
	WRITE_ONCE(vol->plexes[0]->inject, MIRVOL_INJECT_SB);
	ret = mirvol_sb_update_locked(vol);
	WRITE_ONCE(vol->plexes[0]->inject, 0);
	KUNIT_EXPECT_EQ(test, ret, -EIO);
	KUNIT_EXPECT_EQ(test, READ_ONCE(vol->plexes[0]->state),
			MIRVOL_PLEX_ACTIVE);
	ret = mirvol_sb_update_locked(vol);
	g = vol->generation;
	mutex_unlock(&vol->sb_mutex);
	mutex_unlock(&vol->lock);
	KUNIT_EXPECT_EQ(test, ret, 0);
	/* Above anything the failed attempt may have left on disk. */
	KUNIT_EXPECT_GT(test, g, g0 + 1);
	sb_slot_gens(test, ctx, rbdev(ctx, 0), gen);
	KUNIT_EXPECT_TRUE_MSG(test, (gen[0] == g0 && gen[1] == g) ||
			      (gen[1] == g0 && gen[0] == g),
			      "after g %llu, a failed attempt and g %llu: slots hold %llu, %llu",
			      g0, g, gen[0], gen[1]);
}

/*
 * A target that reached the end of its resync is in sync only once its
 * copies are durable.  When its flush fails, it failed: the source, its
 * flush failing too, stays the last in-sync plex.  Promoted first, the
 * target would have been kept as the last in-sync plex and the source
 * failed, on a target whose copies may be lost.
 */
static void mirvol_test_resync_end_flush_fails(struct kunit *test)
{
	struct io_ctx *ctx = test->priv;
	struct mirvol_op_info info;
	u64 op_id;

	WRITE_ONCE(mirvol_kunit_resync_end_hook, flush_fails_at_resync_end);
	io_create(test, "kunit-endflush", 2, false, &op_id);
	KUNIT_EXPECT_EQ(test, mirvol_op_wait(op_id, 60000, &info),
			MIRVOL_R_NONE);
	WRITE_ONCE(mirvol_kunit_resync_end_hook, NULL);
	KUNIT_EXPECT_EQ(test, info.state, (u32)MIRVOL_OPS_FAILED);
	KUNIT_EXPECT_EQ(test, ctx->vol->plexes[0]->state, MIRVOL_PLEX_ACTIVE);
	KUNIT_EXPECT_EQ(test, ctx->vol->plexes[1]->state, MIRVOL_PLEX_FAILED);
	KUNIT_EXPECT_EQ(test, ctx->vol->state, MIRVOL_VOLUME_DEGRADED);
	WRITE_ONCE(ctx->vol->plexes[0]->inject, 0);
	WRITE_ONCE(ctx->vol->plexes[1]->inject, 0);
}

static void mirvol_test_discard(struct kunit *test)
{
	struct io_ctx *ctx = test->priv;
	unsigned int i;

	io_create(test, "kunit-discard", 2, true, NULL);
	KUNIT_ASSERT_GT(test, bdev_max_discard_sectors(vbdev(ctx)), 0U);
	fill(ctx->pages, 0x7777);
	KUNIT_ASSERT_EQ(test, do_io(vbdev(ctx), REQ_OP_WRITE, 2048,
				    ctx->pages, IO_PAGES), 0);
	KUNIT_ASSERT_EQ(test, blkdev_issue_discard(vbdev(ctx), 2048,
						   IO_PAGES * 8, GFP_KERNEL),
			0);
	/* brd returns zeros for discarded pages: on every plex. */
	for (i = 0; i < 2; i++) {
		KUNIT_ASSERT_EQ(test, read_plex(ctx, i, 2048), 0);
		KUNIT_EXPECT_TRUE(test,
				  mirvol_mem_is_zero(page_address(ctx->check[3]),
						     PAGE_SIZE));
	}
}

/*
 * A bio of @op without data (discard, write-zeroes) of @nr sectors at
 * @sector of @bdev, waited for: its own status (blkdev_issue_discard()
 * turns EOPNOTSUPP into success).
 */
static int nodata_wait(struct block_device *bdev, blk_opf_t op,
		       sector_t sector, sector_t nr)
{
	struct bio *bio = bio_alloc(bdev, 0, op, GFP_KERNEL);
	int ret;

	bio->bi_iter.bi_sector = sector;
	bio->bi_iter.bi_size = nr << SECTOR_SHIFT;
	ret = submit_bio_wait(bio);
	bio_put(bio);
	return ret;
}

/*
 * A discard error never fails a plex (md raid1's rule): a discard only
 * says the blocks are unused, and a plex that did not discard still
 * holds what it held.  The caller gets success when an in-sync plex took
 * it, the error when none did.  A plex that refused it (NOTSUPP, or SCSI
 * turning discard off on the device) is not asked again: the volume stops
 * offering discard (dm's rule).  The landed code failed a plex on any
 * discard error but NOTSUPP (the volume degraded by fstrim), and kept
 * offering discard after a refusal.
 */
static void mirvol_test_discard_error_keeps_plex(struct kunit *test)
{
	struct io_ctx *ctx = test->priv;
	struct mirvol_plex *p0, *p1;
	int ret;

	io_create(test, "kunit-discerr", 2, true, NULL);
	p0 = ctx->vol->plexes[0];
	p1 = ctx->vol->plexes[1];
	KUNIT_ASSERT_GT(test, bdev_max_discard_sectors(vbdev(ctx)), 0U);
	fill(ctx->pages, 0x0d15);
	KUNIT_ASSERT_EQ(test, do_io(vbdev(ctx), REQ_OP_WRITE, 2048,
				    ctx->pages, IO_PAGES), 0);

	/* Plex 1 fails it: plex 0 took it, the caller is told so. */
	WRITE_ONCE(p1->inject, MIRVOL_INJECT_WRITE);
	ret = nodata_wait(vbdev(ctx), REQ_OP_DISCARD, 2048, 8);
	WRITE_ONCE(p1->inject, 0);
	KUNIT_EXPECT_EQ(test, ret, 0);
	KUNIT_EXPECT_EQ_MSG(test, p1->state, MIRVOL_PLEX_ACTIVE,
			    "a failed discard failed plex 1: %s",
			    mirvol_plex_state_name(p1->state));

	/* Both fail it: the error, and both stay. */
	WRITE_ONCE(p0->inject, MIRVOL_INJECT_WRITE);
	WRITE_ONCE(p1->inject, MIRVOL_INJECT_WRITE);
	ret = nodata_wait(vbdev(ctx), REQ_OP_DISCARD, 2056, 8);
	WRITE_ONCE(p0->inject, 0);
	WRITE_ONCE(p1->inject, 0);
	KUNIT_EXPECT_EQ(test, ret, -EIO);
	KUNIT_EXPECT_EQ(test, p0->state, MIRVOL_PLEX_ACTIVE);
	KUNIT_EXPECT_EQ(test, p1->state, MIRVOL_PLEX_ACTIVE);
	KUNIT_EXPECT_EQ(test, ctx->vol->state,
			(unsigned int)MIRVOL_VOLUME_ONLINE);

	/* Plex 1 refuses it: no more discard offered. */
	WRITE_ONCE(p1->inject, MIRVOL_INJECT_D_NOTSUPP);
	ret = nodata_wait(vbdev(ctx), REQ_OP_DISCARD, 2064, 8);
	WRITE_ONCE(p1->inject, 0);
	KUNIT_EXPECT_EQ(test, ret, -EOPNOTSUPP);
	KUNIT_EXPECT_EQ(test, p1->state, MIRVOL_PLEX_ACTIVE);
	KUNIT_EXPECT_EQ_MSG(test, bdev_max_discard_sectors(vbdev(ctx)), 0U,
			    "discard still offered after plex 1 refused it");
	/* What plex 1 failed or refused, it still holds. */
	KUNIT_ASSERT_EQ(test, read_plex(ctx, 1, 2048), 0);
	KUNIT_EXPECT_EQ(test, memcmp(page_address(ctx->check[1]),
				     page_address(ctx->pages[1]), PAGE_SIZE), 0);
	KUNIT_EXPECT_EQ(test, memcmp(page_address(ctx->check[2]),
				     page_address(ctx->pages[2]), PAGE_SIZE), 0);
}

/* Holds the resync of mirvol_test_wz_refused_records_gone() at its start. */
static DECLARE_COMPLETION(wz_resync_held);
static DECLARE_COMPLETION(wz_resync_go);

static void wz_hold_resync(struct mirvol_volume *vol)
{
	WRITE_ONCE(mirvol_kunit_resync_step_hook, NULL);
	complete(&wz_resync_held);
	wait_for_completion_timeout(&wz_resync_go, msecs_to_jiffies(30000));
}

/* A write-zeroes of @nr sectors at @sector of @bdev, waited for. */
static int write_zeroes(struct block_device *bdev, sector_t sector,
			sector_t nr)
{
	return nodata_wait(bdev, REQ_OP_WRITE_ZEROES, sector, nr);
}

/*
 * A write-zeroes that a plex refused waits for the worker, which zeroes
 * that plex another way.  Like any write, it is acknowledged only once the
 * superblocks record every plex that missed it.  Plex 2 failed a write
 * whose superblock update failed (plex 0, the last in-sync plex, could not
 * flush): the superblocks still list plex 2.  Then plex 0 takes a
 * write-zeroes and plex 1, a resync target, refuses it.
 */
static void mirvol_test_wz_refused_records_gone(struct kunit *test)
{
	struct io_ctx *ctx = test->priv;
	struct mirvol_plex *p0, *p1, *p2;
	struct mirvol_op_info info;
	enum mirvol_reason reason;
	struct queue_limits lim;
	struct request_queue *q;
	struct mirvol_md md;
	u64 op_id = 0;
	unsigned int i;
	int ret;

	io_create_flags(test, "kunit-wzgone", 3, MIRVOL_CREATE_F_ASSUME_CLEAN |
			MIRVOL_CREATE_F_NO_BITMAP, NULL);
	p0 = ctx->vol->plexes[0];
	p1 = ctx->vol->plexes[1];
	p2 = ctx->vol->plexes[2];
	ctx->vol->safe_mode_delay_ms = 0;
	fill(ctx->pages, 0x7047);
	KUNIT_ASSERT_EQ(test, do_io(vbdev(ctx), REQ_OP_WRITE, 4096, ctx->pages,
				    IO_PAGES), 0);
	KUNIT_ASSERT_EQ(test, mirvol_plex_action(ctx->vol, p1->uuid.b,
						 MIRVOL_PLEX_TAKE_OFFLINE, -1,
						 &op_id), MIRVOL_R_NONE);
	reinit_completion(&wz_resync_held);
	reinit_completion(&wz_resync_go);
	WRITE_ONCE(mirvol_kunit_resync_step_hook, wz_hold_resync);
	op_id = 0;
	KUNIT_ASSERT_EQ(test, mirvol_plex_action(ctx->vol, p1->uuid.b,
						 MIRVOL_PLEX_TAKE_ONLINE, -1,
						 &op_id), MIRVOL_R_NONE);
	KUNIT_ASSERT_TRUE(test, wait_for_completion_timeout(&wz_resync_held,
							    msecs_to_jiffies(60000)));
	KUNIT_EXPECT_EQ(test, READ_ONCE(p1->state), MIRVOL_PLEX_SYNCING);

	/* Plex 2 fails a write, and plex 0 cannot record that. */
	WRITE_ONCE(p2->inject, MIRVOL_INJECT_WRITE);
	WRITE_ONCE(p0->inject, MIRVOL_INJECT_FLUSH);
	KUNIT_EXPECT_NE(test, do_io(vbdev(ctx), REQ_OP_WRITE, 2048,
				    ctx->pages, IO_PAGES), 0);
	WRITE_ONCE(p0->inject, 0);
	WRITE_ONCE(p2->inject, 0);
	flush_mirvol_works();
	KUNIT_EXPECT_EQ(test, READ_ONCE(p0->state), MIRVOL_PLEX_ACTIVE);
	KUNIT_EXPECT_EQ(test, READ_ONCE(p2->state), MIRVOL_PLEX_FAILED);
	KUNIT_EXPECT_GE(test, mirvol_sb_read_dev(rbdev(ctx, 0), &md, &reason),
			0);
	KUNIT_EXPECT_EQ(test, md.plexes[2].state, (u32)MIRVOL_PLEX_ACTIVE);

	/* Write-zeroes offered (brd has none): plex 0 discards instead. */
	q = ctx->vol->disk->queue;
	lim = queue_limits_start_update(q);
	lim.max_write_zeroes_sectors = UINT_MAX;
	KUNIT_EXPECT_EQ(test, queue_limits_commit_update(q, &lim), 0);
	WRITE_ONCE(p0->inject, MIRVOL_INJECT_WZ_DISCARD);
	WRITE_ONCE(p1->inject, MIRVOL_INJECT_NO_WZ);
	ret = write_zeroes(vbdev(ctx), 4096, IO_PAGES * 8);
	WRITE_ONCE(p0->inject, 0);
	WRITE_ONCE(p1->inject, 0);
	KUNIT_EXPECT_EQ(test, ret, 0);
	KUNIT_EXPECT_GE(test, mirvol_sb_read_dev(rbdev(ctx, 0), &md, &reason),
			0);
	KUNIT_EXPECT_EQ_MSG(test, md.plexes[2].state, (u32)MIRVOL_PLEX_FAILED,
			    "write-zeroes ended %d, the superblocks listing plex 2",
			    ret);
	/* Zeros on both plexes that hold the data. */
	for (i = 0; i < 2; i++) {
		KUNIT_EXPECT_EQ(test, read_plex(ctx, i, 4096), 0);
		KUNIT_EXPECT_TRUE_MSG(test,
				      mirvol_mem_is_zero(page_address(ctx->check[3]),
							 PAGE_SIZE),
				      "plex %u not zeroed", i);
	}

	complete(&wz_resync_go);
	KUNIT_EXPECT_EQ(test, mirvol_op_wait(op_id, 60000, &info),
			MIRVOL_R_NONE);
	KUNIT_EXPECT_EQ(test, info.state, (u32)MIRVOL_OPS_SUCCEEDED);
}

/*
 * One bio of @bytes at @sector, the data (if any) in @page: no pages for a
 * discard or write-zeroes, a flush without data when @bytes is 0.
 */
static int do_io_bytes(struct block_device *bdev, blk_opf_t opf,
		       sector_t sector, struct page *page, unsigned int bytes)
{
	bool data = (opf & REQ_OP_MASK) == REQ_OP_READ ||
		    (opf & REQ_OP_MASK) == REQ_OP_WRITE;
	struct bio *bio = bio_alloc(bdev, 1, opf, GFP_KERNEL);
	int ret;

	bio->bi_iter.bi_sector = sector;
	if (data && bytes)
		__bio_add_page(bio, page, bytes, 0);
	else
		bio->bi_iter.bi_size = bytes;
	ret = submit_bio_wait(bio);
	bio_put(bio);
	return ret;
}

/* The I/O and error counts of a plex. */
struct plex_counts {
	s64 read_ios, write_ios, write_errors, corrected;
	unsigned int read_errors;
};

static void read_counts(struct mirvol_plex *plex, struct plex_counts *c)
{
	c->read_ios = atomic64_read(&plex->read_ios);
	c->write_ios = atomic64_read(&plex->write_ios);
	c->write_errors = atomic64_read(&plex->write_errors);
	c->corrected = atomic64_read(&plex->corrected_read_errors);
	c->read_errors = mirvol_plex_read_errors(plex);
}

/*
 * Bios not aligned to the volume's logical block size (@lbs) fail at
 * entry with BLK_STS_IOERR (-EIO), as dm fails them: no plex sees them
 * (their devices, MIRVOL_INJECT_4K, fail them as sd does), no counter
 * moves, no repair is queued, every plex stays in sync.  A flush without
 * data passes whatever its sector.
 */
static void expect_misaligned_refused(struct kunit *test, struct io_ctx *ctx,
				      unsigned int lbs)
{
	static const struct {
		blk_opf_t opf;
		sector_t sector;
		unsigned int bytes;
	} bad[] = {
		{ REQ_OP_READ, 1, 512 },
		{ REQ_OP_READ, 1, 4096 },
		{ REQ_OP_READ, 8, 512 },
		{ REQ_OP_WRITE, 1, 512 },
		{ REQ_OP_WRITE, 1, 4096 },
		{ REQ_OP_WRITE | REQ_FUA, 8, 1024 },
		{ REQ_OP_WRITE | REQ_PREFLUSH, 3, 4096 },
		{ REQ_OP_DISCARD, 1, 8192 },
		{ REQ_OP_DISCARD, 8, 4608 },
		{ REQ_OP_WRITE_ZEROES, 1, 4096 },
		{ REQ_OP_WRITE_ZEROES, 16, 512 },
	};
	struct mirvol_volume *vol = ctx->vol;
	struct plex_counts before[2], after[2];
	struct request_queue *q = vol->disk->queue;
	struct queue_limits lim;
	unsigned int i, j, state;
	bool repairs;

	KUNIT_ASSERT_EQ(test, bdev_logical_block_size(vbdev(ctx)), lbs);
	/* Write-zeroes offered (brd has none): the bio must reach mirvol. */
	lim = queue_limits_start_update(q);
	lim.max_write_zeroes_sectors = UINT_MAX;
	KUNIT_ASSERT_EQ(test, queue_limits_commit_update(q, &lim), 0);
	KUNIT_ASSERT_GT(test, bdev_max_discard_sectors(vbdev(ctx)), 0U);
	for (j = 0; j < 2; j++)
		WRITE_ONCE(vol->plexes[j]->inject, MIRVOL_INJECT_4K);

	/* Aligned I/O goes through the 4K model. */
	fill(ctx->pages, 0xa119);
	KUNIT_ASSERT_EQ(test, do_io(vbdev(ctx), REQ_OP_WRITE, 0, ctx->pages,
				    IO_PAGES), 0);
	flush_mirvol_works();
	for (j = 0; j < 2; j++)
		read_counts(vol->plexes[j], &before[j]);

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		int ret = do_io_bytes(vbdev(ctx), bad[i].opf, bad[i].sector,
				      ctx->check[0], bad[i].bytes);

		KUNIT_EXPECT_EQ_MSG(test, ret, -EIO,
				    "bio %u (op %#x) of %u bytes at sector %llu",
				    i, (__force u32)bad[i].opf, bad[i].bytes,
				    (unsigned long long)bad[i].sector);
	}
	/* A flush without data has no alignment. */
	KUNIT_EXPECT_EQ(test, do_io_bytes(vbdev(ctx),
					  REQ_OP_WRITE | REQ_PREFLUSH, 3,
					  NULL, 0), 0);
	flush_mirvol_works();
	flush_work(&vol->repair_work);
	flush_mirvol_works();

	spin_lock_irq(&vol->state_lock);
	repairs = !list_empty(&vol->repairs);
	spin_unlock_irq(&vol->state_lock);
	KUNIT_EXPECT_FALSE_MSG(test, repairs, "a repair was queued");
	state = READ_ONCE(vol->state);
	KUNIT_EXPECT_EQ(test, state, MIRVOL_VOLUME_ONLINE);
	for (j = 0; j < 2; j++) {
		struct mirvol_plex *p = vol->plexes[j];

		read_counts(p, &after[j]);
		state = READ_ONCE(p->state);
		KUNIT_EXPECT_EQ_MSG(test, state, MIRVOL_PLEX_ACTIVE,
				    "plex %u", j);
		KUNIT_EXPECT_EQ_MSG(test, after[j].read_errors, 0U,
				    "plex %u", j);
		KUNIT_EXPECT_EQ_MSG(test, after[j].write_errors, 0LL,
				    "plex %u", j);
		KUNIT_EXPECT_EQ_MSG(test, after[j].corrected, 0LL,
				    "plex %u", j);
		/* Nothing reached it. */
		KUNIT_EXPECT_EQ_MSG(test, after[j].read_ios,
				    before[j].read_ios, "plex %u", j);
		KUNIT_EXPECT_EQ_MSG(test, after[j].write_ios,
				    before[j].write_ios, "plex %u", j);
	}

	/* What the aligned write put there is intact, on both plexes. */
	for (j = 0; j < 2; j++) {
		KUNIT_EXPECT_EQ(test, read_plex(ctx, j, 0), 0);
		KUNIT_EXPECT_TRUE_MSG(test, same(ctx->pages, ctx->check),
				      "plex %u", j);
	}
	KUNIT_EXPECT_EQ(test, do_io(vbdev(ctx), REQ_OP_READ, 0, ctx->check,
				    IO_PAGES), 0);
	KUNIT_EXPECT_TRUE(test, same(ctx->pages, ctx->check));
	for (j = 0; j < 2; j++)
		WRITE_ONCE(vol->plexes[j]->inject, 0);
}

/* A volume of 4096-byte logical blocks refuses bios that are not. */
static void mirvol_test_misaligned_refused(struct kunit *test)
{
	struct io_ctx *ctx = test->priv;

	WRITE_ONCE(mirvol_kunit_lbs, 4096);
	io_create(test, "kunit-align", 2, true, NULL);
	expect_misaligned_refused(test, ctx, 4096);
}

/*
 * A restack that raises the logical block size (from the RAM disks' 512
 * to 4096 here) raises what the I/O path refuses with it: a driver
 * stacked above may still send 512-byte bios.
 */
static void mirvol_test_misaligned_after_restack(struct kunit *test)
{
	struct io_ctx *ctx = test->priv;
	struct mirvol_volume *vol;
	int err;

	io_create(test, "kunit-align-rs", 2, true, NULL);
	vol = ctx->vol;
	KUNIT_ASSERT_EQ(test, bdev_logical_block_size(vbdev(ctx)), 512U);
	/* Aligned to 512 bytes: fine until the restack. */
	fill(ctx->pages, 0x512);
	KUNIT_ASSERT_EQ(test, do_io_bytes(vbdev(ctx), REQ_OP_WRITE, 1,
					  ctx->pages[0], 512), 0);

	WRITE_ONCE(mirvol_kunit_lbs, 4096);
	mutex_lock(&vol->lock);
	mirvol_suspend_io(vol);
	err = mirvol_volume_restack(vol);
	mirvol_resume_io(vol);
	mutex_unlock(&vol->lock);
	KUNIT_ASSERT_EQ(test, err, 0);
	expect_misaligned_refused(test, ctx, 4096);
}

static void mirvol_test_superblocks(struct kunit *test)
{
	struct io_ctx *ctx = test->priv;
	enum mirvol_reason reason;
	struct mirvol_md md;
	unsigned int i;

	io_create(test, "kunit-sb", 3, true, NULL);
	for (i = 0; i < 3; i++) {
		KUNIT_ASSERT_GE(test, mirvol_sb_read_dev(rbdev(ctx, i), &md,
							 &reason), 0);
		KUNIT_EXPECT_EQ(test, memcmp(md.volume_uuid, &ctx->vol->uuid,
					     MIRVOL_UUID_LEN), 0);
		KUNIT_EXPECT_STREQ(test, md.name, "kunit-sb");
		KUNIT_EXPECT_EQ(test, md.plex_index, i);
		KUNIT_EXPECT_EQ(test, md.nr_plexes, 3U);
		KUNIT_EXPECT_EQ(test, md.data_offset,
				(u64)MIRVOL_DATA_OFFSET_SECTORS);
		KUNIT_EXPECT_EQ(test, md.data_size, (u64)ctx->vol->size);
		KUNIT_EXPECT_EQ(test, md.generation, ctx->vol->generation);
	}
	io_remove(test, ctx);
	/* remove erased them: the devices are free. */
	for (i = 0; i < 3; i++)
		KUNIT_EXPECT_EQ(test, mirvol_sb_read_dev(rbdev(ctx, i), &md,
							 &reason),
				-EINVAL);
	KUNIT_EXPECT_EQ(test, reason, MIRVOL_R_NOT_A_MEMBER);
}

static void mirvol_test_busy_remove(struct kunit *test)
{
	struct io_ctx *ctx = test->priv;

	io_create(test, "kunit-busy", 1, true, NULL);
	/* Open: refused, and nothing changed. */
	KUNIT_EXPECT_EQ(test, mirvol_volume_teardown(ctx->vol, true),
			MIRVOL_R_DEVICE_BUSY);
	KUNIT_EXPECT_FALSE(test, test_bit(MIRVOL_VOL_DEAD, &ctx->vol->flags));
	KUNIT_EXPECT_EQ(test, do_io(vbdev(ctx), REQ_OP_READ, 0, ctx->check,
				    IO_PAGES), 0);
}

static int dev_free_holder;

/*
 * Device @i is free: no volume holds it, it opens exclusively; @erased:
 * and it carries no mirvol superblock (else it still carries one).  Each
 * failure message begins with @what.
 */
static void expect_dev_free_as(struct kunit *test, struct io_ctx *ctx,
			       unsigned int i, bool erased, const char *what)
{
	dev_t devt = rbdev(ctx, i)->bd_dev;
	struct mirvol_volume *vol;
	enum mirvol_reason reason;
	struct mirvol_plex *plex;
	struct mirvol_md md;
	struct file *f;
	int ret;

	plex = mirvol_find_devt(devt, &vol);
	KUNIT_EXPECT_NULL_MSG(test, plex, "%sram%u left a plex of %s", what, i,
			      plex ? vol->name : "");
	if (plex) {
		mirvol_plex_put(plex);
		mirvol_volume_put(vol);
	}
	f = bdev_file_open_by_dev(devt, BLK_OPEN_READ | BLK_OPEN_WRITE,
				  &dev_free_holder, NULL);
	KUNIT_EXPECT_FALSE_MSG(test, IS_ERR(f), "%sram%u still claimed (%d)",
			       what, i, PTR_ERR_OR_ZERO(f));
	if (!IS_ERR(f))
		__fput_sync(f);
	ret = mirvol_sb_read_dev(rbdev(ctx, i), &md, &reason);
	if (erased)
		KUNIT_EXPECT_EQ_MSG(test, ret, -EINVAL,
				    "%sram%u keeps a superblock", what, i);
	else
		KUNIT_EXPECT_GE_MSG(test, ret, 0, "%sram%u lost its superblock",
				    what, i);
}

static void expect_dev_free(struct kunit *test, struct io_ctx *ctx,
			    unsigned int i, bool erased)
{
	expect_dev_free_as(test, ctx, i, erased, "");
}

/* Erase what a failed wipe left on device @i: no later test sees it. */
static void erase_head(struct kunit *test, struct io_ctx *ctx, unsigned int i)
{
	unsigned int p;

	for (p = 0; p < IO_PAGES; p++)
		memset(page_address(ctx->pages[p]), 0, PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, do_io(rbdev(ctx, i), REQ_OP_WRITE, 0, ctx->pages,
				    IO_PAGES), 0);
}

/*
 * remove whose erasing write fails on one plex: the volume goes all the
 * same (its disk is deleted: past return), both devices are released,
 * plex 0's superblock is erased; plex 1 keeps its own, and the removal
 * says so (WIPE_FAILED), for that device would assemble again.
 */
static void mirvol_test_remove_wipe_fails(struct kunit *test)
{
	struct io_ctx *ctx = test->priv;
	enum mirvol_reason reason;
	u8 uuid[MIRVOL_UUID_LEN];
	struct mirvol_volume *vol;

	io_create(test, "kunit-rmwipe", 2, true, NULL);
	memcpy(uuid, &ctx->vol->uuid, MIRVOL_UUID_LEN);
	__fput_sync(ctx->vfile);
	ctx->vfile = NULL;
	WRITE_ONCE(ctx->vol->plexes[1]->inject, MIRVOL_INJECT_WRITE);
	reason = mirvol_volume_teardown(ctx->vol, true);
	mirvol_volume_put(ctx->vol);
	ctx->vol = NULL;
	KUNIT_EXPECT_EQ_MSG(test, reason, MIRVOL_R_WIPE_FAILED,
			    "remove: reason %d", reason);
	vol = mirvol_lookup(uuid);
	KUNIT_EXPECT_NULL(test, vol);
	if (vol)
		mirvol_volume_put(vol);
	expect_dev_free(test, ctx, 0, true);
	expect_dev_free(test, ctx, 1, false);
	erase_head(test, ctx, 1);
}

/*
 * remove of a volume whose plex 1 failed (a write error): its device
 * fails the erasing write as well.  The user was told the plex failed,
 * and its superblock is older than the volume's: the kernel log says it
 * kept it, the removal succeeds (as remove of a degraded md array does).
 */
static void mirvol_test_remove_failed_plex_wipe_fails(struct kunit *test)
{
	struct io_ctx *ctx = test->priv;
	enum mirvol_reason reason;

	io_create(test, "kunit-rmfailed", 2, true, NULL);
	__fput_sync(ctx->vfile);
	ctx->vfile = NULL;
	mirvol_plex_error(ctx->vol->plexes[1], true);
	KUNIT_ASSERT_EQ(test, ctx->vol->plexes[1]->state, MIRVOL_PLEX_FAILED);
	flush_work(&ctx->vol->worker);
	WRITE_ONCE(ctx->vol->plexes[1]->inject, MIRVOL_INJECT_WRITE);
	reason = mirvol_volume_teardown(ctx->vol, true);
	mirvol_volume_put(ctx->vol);
	ctx->vol = NULL;
	KUNIT_EXPECT_EQ_MSG(test, reason, MIRVOL_R_NONE, "remove: reason %d",
			    reason);
	expect_dev_free(test, ctx, 0, true);
	expect_dev_free(test, ctx, 1, false);
	erase_head(test, ctx, 1);
}

static struct mirvol_plex *wipe_fail_plex;

/* Operation @op_id ends failed with WIPE_FAILED (EIO). */
static void expect_wipe_failed_op(struct kunit *test, u64 op_id,
				  const char *what)
{
	struct mirvol_op_info info;

	KUNIT_EXPECT_EQ(test, mirvol_op_wait(op_id, 60000, &info),
			MIRVOL_R_NONE);
	KUNIT_EXPECT_EQ(test, info.state, (u32)MIRVOL_OPS_FAILED);
	KUNIT_EXPECT_EQ_MSG(test, info.reason, (u32)MIRVOL_R_WIPE_FAILED,
			    "%s: reason %u", what, info.reason);
	KUNIT_EXPECT_EQ(test, info.error, EIO);
}

/* The plex left the volume: its erasing write, next, fails. */
static void wipe_fail_split_hook(struct mirvol_volume *vol)
{
	WRITE_ONCE(wipe_fail_plex->inject, MIRVOL_INJECT_WRITE);
}

/*
 * remove-plex whose erasing write fails: the plex has left the volume
 * (recorded on the others) and its device is released, but it keeps its
 * superblock: the operation fails with WIPE_FAILED (EIO).
 */
static void mirvol_test_remove_plex_wipe_fails(struct kunit *test)
{
	struct io_ctx *ctx = test->priv;
	u8 uuid[MIRVOL_UUID_LEN];
	struct mirvol_plex *p1;
	u64 op_id = 0;

	io_create(test, "kunit-rmpwipe", 2, true, NULL);
	p1 = ctx->vol->plexes[1];
	memcpy(uuid, &p1->uuid, MIRVOL_UUID_LEN);
	wipe_fail_plex = p1;
	WRITE_ONCE(mirvol_kunit_split_hook, wipe_fail_split_hook);
	KUNIT_ASSERT_EQ(test, mirvol_remove_plex(ctx->vol, uuid, &op_id),
			MIRVOL_R_NONE);
	/* p1 may be freed from here on. */
	expect_wipe_failed_op(test, op_id, "remove-plex");
	WRITE_ONCE(mirvol_kunit_split_hook, NULL);
	wipe_fail_plex = NULL;
	KUNIT_EXPECT_NULL(test, ctx->vol->plexes[1]);
	KUNIT_EXPECT_EQ(test, ctx->vol->state, MIRVOL_VOLUME_ONLINE);
	expect_dev_free(test, ctx, 1, false);
	erase_head(test, ctx, 1);
}

/* The replace is done: the old plex's erasing write, next, fails. */
static void wipe_fail_replaced_hook(struct mirvol_plex *old)
{
	WRITE_ONCE(old->inject, MIRVOL_INJECT_WRITE);
}

/*
 * replace whose erasing write of the old plex fails: the new plex is in
 * the mirror and the old one gone (recorded on the others), but the old
 * device keeps its superblock: the operation fails with WIPE_FAILED
 * (EIO), as remove-plex does.
 */
static void mirvol_test_replace_wipe_fails(struct kunit *test)
{
	struct io_ctx *ctx = test->priv;
	u8 uuid[MIRVOL_UUID_LEN];
	enum mirvol_reason reason;
	struct mirvol_md md;
	u64 op_id = 0;

	io_create(test, "kunit-replwipe", 2, true, NULL);
	fill(ctx->pages, 0x4e92);
	KUNIT_ASSERT_EQ(test, do_io(vbdev(ctx), REQ_OP_WRITE, 2048,
				    ctx->pages, IO_PAGES), 0);
	memcpy(uuid, &ctx->vol->plexes[1]->uuid, MIRVOL_UUID_LEN);
	WRITE_ONCE(mirvol_kunit_replaced_hook, wipe_fail_replaced_hook);
	reason = mirvol_replace_plex(ctx->vol, uuid, ctx->ram[2], &op_id);
	KUNIT_ASSERT_EQ(test, reason, MIRVOL_R_NONE);
	expect_wipe_failed_op(test, op_id, "replace");
	WRITE_ONCE(mirvol_kunit_replaced_hook, NULL);
	/* Replaced all the same. */
	expect_replaced(test, uuid);
	/* The old device is free, and kept its superblock. */
	KUNIT_EXPECT_GE(test, mirvol_sb_read_dev(rbdev(ctx, 1), &md, &reason),
			0);
	expect_dev_free(test, ctx, 1, false);
	erase_head(test, ctx, 1);
}

/* Write a pattern (seeded by the sector) over the whole volume. */
static void write_pattern(struct kunit *test, struct io_ctx *ctx, u32 seed)
{
	sector_t s;

	for (s = 0; s + IO_PAGES * 8 <= ctx->vol->size; s += IO_PAGES * 8) {
		fill(ctx->pages, seed ^ (u32)s);
		KUNIT_ASSERT_EQ(test, do_io(vbdev(ctx), REQ_OP_WRITE, s,
					    ctx->pages, IO_PAGES), 0);
	}
}

/* Overwrite plex @i's data from @from on with garbage. */
static void spoil_plex(struct kunit *test, struct io_ctx *ctx, unsigned int i,
		       sector_t from)
{
	sector_t s;

	for (s = from; s + IO_PAGES * 8 <= ctx->vol->size; s += IO_PAGES * 8) {
		fill(ctx->pages, 0xdead0000 ^ (u32)s);
		KUNIT_ASSERT_EQ(test, do_io(rbdev(ctx, i), REQ_OP_WRITE,
					    MIRVOL_DATA_OFFSET_SECTORS + s,
					    ctx->pages, IO_PAGES), 0);
	}
}

/* Every plex of the first @n holds write_pattern(@seed) everywhere. */
static void expect_pattern(struct kunit *test, struct io_ctx *ctx,
			   unsigned int n, u32 seed)
{
	unsigned int i, bad = 0;
	sector_t s, first = 0;

	for (i = 0; i < n; i++) {
		for (s = 0; s + IO_PAGES * 8 <= ctx->vol->size;
		     s += IO_PAGES * 8) {
			fill(ctx->pages, seed ^ (u32)s);
			KUNIT_ASSERT_EQ(test, read_plex(ctx, i, s), 0);
			if (!same(ctx->pages, ctx->check) && !bad++)
				first = s;
		}
		KUNIT_EXPECT_EQ_MSG(test, bad, 0U,
				    "plex %u: %u windows differ, first at sector %llu",
				    i, bad, (unsigned long long)first);
		bad = 0;
	}
}

/* Make plexes syncing at the given checkpoints and run a resync. */
static void resync_from(struct kunit *test, struct io_ctx *ctx,
			const sector_t *offsets, unsigned int n,
			struct mirvol_op_info *info)
{
	struct mirvol_volume *vol = ctx->vol;
	unsigned int i;
	u64 op_id;

	mutex_lock(&vol->lock);
	mutex_lock(&vol->sb_mutex);
	for (i = 0; i < n; i++) {
		struct mirvol_plex *plex = vol->plexes[i];

		if (offsets[i] == (sector_t)-1)
			continue;
		mirvol_set_plex_state(plex, MIRVOL_PLEX_SYNCING);
		WRITE_ONCE(plex->sync_offset, offsets[i]);
	}
	mirvol_sb_update_locked(vol);
	mutex_unlock(&vol->sb_mutex);
	op_id = mirvol_resync_if_needed(vol);
	mutex_unlock(&vol->lock);
	KUNIT_ASSERT_NE(test, op_id, 0ULL);
	KUNIT_ASSERT_EQ(test, mirvol_op_wait(op_id, 120000, info), MIRVOL_R_NONE);
}

/*
 * Two targets whose checkpoints are off each other's batch grid: the
 * pass must copy every sector of each exactly from its own checkpoint on
 * (issue 9: a plex at 5 chunks was skipped up to 8 chunks).
 */
static void mirvol_test_resync_mixed_checkpoints(struct kunit *test)
{
	const sector_t offsets[] = { (sector_t)-1, 5 * 2048, 0 };
	struct io_ctx *ctx = test->priv;
	struct mirvol_op_info info;
	unsigned int i;

	io_create(test, "kunit-holes", 3, true, NULL);
	write_pattern(test, ctx, 0x3c3c);
	spoil_plex(test, ctx, 1, 5 * 2048);
	spoil_plex(test, ctx, 2, 0);
	resync_from(test, ctx, offsets, 3, &info);
	KUNIT_EXPECT_EQ(test, info.state, (u32)MIRVOL_OPS_SUCCEEDED);
	for (i = 0; i < 3; i++)
		KUNIT_EXPECT_EQ(test, ctx->vol->plexes[i]->state,
				MIRVOL_PLEX_ACTIVE);
	expect_pattern(test, ctx, 3, 0x3c3c);
}

/*
 * The only readable plex has an unreadable range: the reads of that
 * range fail, every other read works, and the plex is never failed.
 */
static void mirvol_test_last_plex_kept_on_read_errors(struct kunit *test)
{
	struct io_ctx *ctx = test->priv;
	unsigned int saved = mirvol_max_read_errors;
	struct mirvol_plex *p0;
	unsigned int i;

	io_create(test, "kunit-lastread", 1, true, NULL);
	p0 = ctx->vol->plexes[0];
	fill(ctx->pages, 0x600d);
	KUNIT_ASSERT_EQ(test, do_io(vbdev(ctx), REQ_OP_WRITE, 4096,
				    ctx->pages, IO_PAGES), 0);
	mirvol_max_read_errors = 3;
	WRITE_ONCE(p0->inject_bad[0], MIRVOL_DATA_OFFSET_SECTORS + 1000);
	WRITE_ONCE(p0->inject_bad[1], MIRVOL_DATA_OFFSET_SECTORS + 1008);
	for (i = 0; i < 6; i++)
		KUNIT_EXPECT_NE(test, do_io(vbdev(ctx), REQ_OP_READ, 1000,
					    ctx->check, 1), 0);
	mirvol_max_read_errors = saved;
	KUNIT_EXPECT_EQ(test, p0->state, MIRVOL_PLEX_ACTIVE);
	KUNIT_EXPECT_EQ(test, ctx->vol->state, MIRVOL_VOLUME_ONLINE);
	KUNIT_EXPECT_EQ(test, do_io(vbdev(ctx), REQ_OP_READ, 4096,
				    ctx->check, IO_PAGES), 0);
	KUNIT_EXPECT_TRUE(test, same(ctx->pages, ctx->check));
	WRITE_ONCE(p0->inject_bad[1], 0);
}

/*
 * Plex 0, the only one in sync, cannot read a range; plex 1 is syncing,
 * its checkpoint at @offset.  Make that so over the pattern @seed.
 */
static void syncing_fallback_setup(struct kunit *test, struct io_ctx *ctx,
				   const char *name, sector_t offset)
{
	struct mirvol_volume *vol;
	struct mirvol_plex *p1;

	io_create(test, name, 2, true, NULL);
	vol = ctx->vol;
	p1 = vol->plexes[1];
	fill(ctx->pages, 0x5f5f);
	KUNIT_ASSERT_EQ(test, do_io(vbdev(ctx), REQ_OP_WRITE, 0, ctx->pages,
				    IO_PAGES), 0);
	mutex_lock(&vol->lock);
	mutex_lock(&vol->sb_mutex);
	mirvol_set_plex_state(p1, MIRVOL_PLEX_SYNCING);
	WRITE_ONCE(p1->sync_offset, offset);
	mirvol_sb_update_locked(vol);
	mutex_unlock(&vol->sb_mutex);
	mutex_unlock(&vol->lock);
	WRITE_ONCE(vol->plexes[0]->inject_bad[0],
		   MIRVOL_DATA_OFFSET_SECTORS + 64);
	WRITE_ONCE(vol->plexes[0]->inject_bad[1],
		   MIRVOL_DATA_OFFSET_SECTORS + 72);
}

/*
 * A read no in-sync plex can serve is served by a syncing plex whose
 * checkpoint lies past its end: that plex took every write there, and
 * the resync copied the rest (md's recovery_offset rule).
 */
static void mirvol_test_read_syncing_fallback(struct kunit *test)
{
	struct io_ctx *ctx = test->priv;
	struct mirvol_plex *p0;

	syncing_fallback_setup(test, ctx, "kunit-rdsync", IO_PAGES * 8);
	p0 = ctx->vol->plexes[0];
	KUNIT_EXPECT_EQ(test, do_io(vbdev(ctx), REQ_OP_READ, 0, ctx->check,
				    IO_PAGES), 0);
	KUNIT_EXPECT_TRUE(test, same(ctx->pages, ctx->check));
	KUNIT_EXPECT_EQ(test, p0->state, MIRVOL_PLEX_ACTIVE);
	KUNIT_EXPECT_EQ(test, ctx->vol->plexes[1]->state,
			MIRVOL_PLEX_SYNCING);
	/* Plex 0 got the range rewritten from plex 1: remapped, counted. */
	flush_work(&ctx->vol->repair_work);
	KUNIT_EXPECT_EQ(test, READ_ONCE(p0->inject_bad[1]),
			READ_ONCE(p0->inject_bad[0]));
	KUNIT_EXPECT_EQ(test, atomic64_read(&p0->corrected_read_errors), 1LL);
	KUNIT_EXPECT_EQ(test, mirvol_plex_read_errors(p0), 0U);
	WRITE_ONCE(p0->inject_bad[1], 0);
}

/*
 * A 3-plex volume @name written with @seed: plex 0 in sync and unable to
 * read [@bad, +8), plex 1 syncing with its checkpoint half way, plex 2
 * syncing from the start.
 */
static struct mirvol_volume *ahead_target_setup(struct kunit *test,
						struct io_ctx *ctx,
						const char *name, u32 seed,
						sector_t bad)
{
	struct mirvol_volume *vol;

	io_create(test, name, 3, true, NULL);
	vol = ctx->vol;
	write_pattern(test, ctx, seed);
	mutex_lock(&vol->lock);
	mutex_lock(&vol->sb_mutex);
	mirvol_set_plex_state(vol->plexes[1], MIRVOL_PLEX_SYNCING);
	WRITE_ONCE(vol->plexes[1]->sync_offset, vol->size / 2);
	mirvol_set_plex_state(vol->plexes[2], MIRVOL_PLEX_SYNCING);
	WRITE_ONCE(vol->plexes[2]->sync_offset, 0);
	mirvol_sb_update_locked(vol);
	mutex_unlock(&vol->sb_mutex);
	mutex_unlock(&vol->lock);
	WRITE_ONCE(vol->plexes[0]->inject_bad[0],
		   MIRVOL_DATA_OFFSET_SECTORS + bad);
	WRITE_ONCE(vol->plexes[0]->inject_bad[1],
		   MIRVOL_DATA_OFFSET_SECTORS + bad + 8);
	return vol;
}

/*
 * A resync whose only in-sync plex cannot read a unit copies it from a
 * syncing plex whose checkpoint is past it, rather than stopping with
 * SOURCE_READ_ERROR; the source gets the unit rewritten.
 */
static void mirvol_test_read_syncing_resync(struct kunit *test)
{
	struct io_ctx *ctx = test->priv;
	const sector_t bad = 2 * 2048 + 16;
	struct mirvol_op_info info;
	struct mirvol_volume *vol;
	struct mirvol_plex *p0;
	unsigned int i;
	u64 op_id;

	vol = ahead_target_setup(test, ctx, "kunit-rsync-sy", 0x4c4c, bad);
	p0 = vol->plexes[0];
	KUNIT_ASSERT_EQ(test, mirvol_resync_start(vol, false, &op_id),
			MIRVOL_R_NONE);
	KUNIT_ASSERT_EQ(test, mirvol_op_wait(op_id, 120000, &info),
			MIRVOL_R_NONE);
	KUNIT_EXPECT_EQ(test, info.state, (u32)MIRVOL_OPS_SUCCEEDED);
	KUNIT_EXPECT_EQ(test, info.reason, (u32)MIRVOL_R_NONE);
	KUNIT_EXPECT_EQ(test, info.lost_bytes, 0ULL);
	KUNIT_EXPECT_EQ(test, vol->plexes[1]->state, MIRVOL_PLEX_ACTIVE);
	KUNIT_EXPECT_EQ(test, vol->plexes[2]->state, MIRVOL_PLEX_ACTIVE);
	flush_work(&vol->repair_work);
	KUNIT_EXPECT_EQ(test, READ_ONCE(p0->inject_bad[1]),
			READ_ONCE(p0->inject_bad[0]));
	WRITE_ONCE(p0->inject_bad[1], 0);
	/* Every plex holds the data written there. */
	fill(ctx->pages, 0x4c4c ^ (u32)(bad & ~127ULL));
	for (i = 0; i < 3; i++) {
		KUNIT_ASSERT_EQ(test, read_plex(ctx, i, bad & ~127ULL), 0);
		KUNIT_EXPECT_TRUE_MSG(test, same(ctx->pages, ctx->check),
				      "plex %u differs at sector %llu", i,
				      (unsigned long long)bad);
	}
}

/*
 * After a read served in part by syncing plex 1: plex 0, in sync, got its
 * bad range rewritten (counted corrected); plex 1, not in sync, was
 * neither repaired nor counted.
 */
static void expect_repaired_from_syncing(struct kunit *test,
					 struct mirvol_volume *vol)
{
	struct mirvol_plex *p0 = vol->plexes[0], *p1 = vol->plexes[1];

	flush_work(&vol->repair_work);
	KUNIT_EXPECT_EQ(test, READ_ONCE(p0->inject_bad[1]),
			READ_ONCE(p0->inject_bad[0]));
	KUNIT_EXPECT_EQ(test, atomic64_read(&p0->corrected_read_errors), 1LL);
	KUNIT_EXPECT_EQ(test, mirvol_plex_read_errors(p0), 0U);
	KUNIT_EXPECT_EQ(test, p0->state, MIRVOL_PLEX_ACTIVE);
	KUNIT_EXPECT_EQ(test, atomic64_read(&p1->corrected_read_errors), 0LL);
	KUNIT_EXPECT_EQ(test, mirvol_plex_read_errors(p1), 0U);
	KUNIT_EXPECT_EQ(test, p1->state, MIRVOL_PLEX_SYNCING);
}

/*
 * A read the only in-sync plex fails, and no syncing plex holds whole, is
 * salvaged when a syncing plex holds part of it: plex 0 fails block 8 of
 * the read, syncing plex 1's checkpoint is past it but not past the end.
 * Each block comes from plex 0 or, the one plex 0 fails, from plex 1; plex
 * 0 gets block 8 rewritten from plex 1 (counted corrected), and plex 1, not
 * in sync, is neither repaired nor counted.
 */
static void mirvol_test_read_syncing_short(struct kunit *test)
{
	struct io_ctx *ctx = test->priv;
	struct mirvol_plex *p0, *p1;

	syncing_fallback_setup(test, ctx, "kunit-rdshort", IO_PAGES * 8 - 8);
	p0 = ctx->vol->plexes[0];
	p1 = ctx->vol->plexes[1];
	fill(ctx->check, 0xbad0);
	KUNIT_EXPECT_EQ(test, do_io(vbdev(ctx), REQ_OP_READ, 0, ctx->check,
				    IO_PAGES), 0);
	KUNIT_EXPECT_TRUE(test, same(ctx->pages, ctx->check));
	KUNIT_EXPECT_GE(test, atomic64_read(&p1->read_ios), 1LL);
	expect_repaired_from_syncing(test, ctx->vol);
	WRITE_ONCE(p0->inject_bad[1], 0);
}

/*
 * Not a block past a syncing plex's checkpoint: what lies there may be
 * old.  Plex 0 fails block 8, syncing plex 1 holds blocks 0-3 only: the
 * read fails, plex 0 counts one uncorrected read error, as without a
 * salvage, and plex 1 is not read.
 */
static void mirvol_test_read_syncing_behind(struct kunit *test)
{
	struct io_ctx *ctx = test->priv;
	struct mirvol_plex *p0, *p1;

	syncing_fallback_setup(test, ctx, "kunit-rdbehind", 32);
	p0 = ctx->vol->plexes[0];
	p1 = ctx->vol->plexes[1];
	KUNIT_EXPECT_EQ(test, do_io(vbdev(ctx), REQ_OP_READ, 0, ctx->check,
				    IO_PAGES), -EIO);
	KUNIT_EXPECT_EQ(test, atomic64_read(&p1->read_ios), 0LL);
	flush_work(&ctx->vol->repair_work);
	KUNIT_EXPECT_EQ(test, mirvol_plex_read_errors(p0), 1U);
	KUNIT_EXPECT_EQ(test, atomic64_read(&p0->corrected_read_errors), 0LL);
	KUNIT_EXPECT_EQ(test, p0->state, MIRVOL_PLEX_ACTIVE);
	KUNIT_EXPECT_NE(test, READ_ONCE(p0->inject_bad[1]),
			READ_ONCE(p0->inject_bad[0]));
	KUNIT_EXPECT_EQ(test, mirvol_plex_read_errors(p1), 0U);
	KUNIT_EXPECT_EQ(test, p1->state, MIRVOL_PLEX_SYNCING);
	WRITE_ONCE(p0->inject_bad[1], 0);
}

/*
 * Nor from a plex no longer syncing (stale, failed): it may have missed
 * writes.
 */
static void mirvol_test_read_syncing_gone(struct kunit *test)
{
	static const unsigned int states[] = {
		MIRVOL_PLEX_STALE, MIRVOL_PLEX_FAILED,
	};
	struct io_ctx *ctx = test->priv;
	struct mirvol_volume *vol;
	struct mirvol_plex *p1;
	unsigned int i;

	syncing_fallback_setup(test, ctx, "kunit-rdgone", IO_PAGES * 8);
	vol = ctx->vol;
	p1 = vol->plexes[1];
	for (i = 0; i < ARRAY_SIZE(states); i++) {
		mutex_lock(&vol->lock);
		mutex_lock(&vol->sb_mutex);
		mirvol_set_plex_state(p1, states[i]);
		mutex_unlock(&vol->sb_mutex);
		mutex_unlock(&vol->lock);
		KUNIT_EXPECT_NE(test, do_io(vbdev(ctx), REQ_OP_READ, 0,
					    ctx->check, IO_PAGES), 0);
		KUNIT_EXPECT_EQ(test, atomic64_read(&p1->read_ios), 0LL);
	}
	WRITE_ONCE(vol->plexes[0]->inject_bad[1], 0);
}

/*
 * A salvage's block no in-sync plex reads is read from a syncing plex
 * that holds it, even one that failed the read whole: plex 0, the only
 * one in sync, fails block 8 of the read, syncing plex 1 block 2.  The
 * read is served, plex 0 gets block 8 rewritten from plex 1 (counted
 * corrected), and plex 1, not in sync, is neither repaired nor counted.
 */
static void mirvol_test_read_syncing_salvage(struct kunit *test)
{
	struct io_ctx *ctx = test->priv;
	struct mirvol_plex *p0, *p1;

	syncing_fallback_setup(test, ctx, "kunit-rdsyslv", IO_PAGES * 8);
	p0 = ctx->vol->plexes[0];
	p1 = ctx->vol->plexes[1];
	WRITE_ONCE(p1->inject_bad[0], MIRVOL_DATA_OFFSET_SECTORS + 16);
	WRITE_ONCE(p1->inject_bad[1], MIRVOL_DATA_OFFSET_SECTORS + 24);
	fill(ctx->check, 0xbad0);
	KUNIT_EXPECT_EQ(test, do_io(vbdev(ctx), REQ_OP_READ, 0, ctx->check,
				    IO_PAGES), 0);
	KUNIT_EXPECT_TRUE(test, same(ctx->pages, ctx->check));
	expect_repaired_from_syncing(test, ctx->vol);
	KUNIT_EXPECT_NE(test, READ_ONCE(p1->inject_bad[1]),
			READ_ONCE(p1->inject_bad[0]));
	WRITE_ONCE(p0->inject_bad[1], 0);
	WRITE_ONCE(p1->inject_bad[1], 0);
}

/*
 * The fault injection's bad range, once a write covered it (as a disk
 * remaps a pending sector), fails no read: not even one that spans the
 * point where the now empty range starts.
 */
static void mirvol_test_inject_remapped(struct kunit *test)
{
	struct io_ctx *ctx = test->priv;
	struct mirvol_plex *p0;

	io_create(test, "kunit-remap", 1, true, NULL);
	p0 = ctx->vol->plexes[0];
	WRITE_ONCE(p0->inject_bad[0], MIRVOL_DATA_OFFSET_SECTORS + 1000);
	WRITE_ONCE(p0->inject_bad[1], MIRVOL_DATA_OFFSET_SECTORS + 1008);
	KUNIT_EXPECT_NE(test, do_io(vbdev(ctx), REQ_OP_READ, 960, ctx->check,
				    IO_PAGES), 0);
	fill(ctx->pages, 0x3e3e);
	KUNIT_ASSERT_EQ(test, do_io(vbdev(ctx), REQ_OP_WRITE, 960, ctx->pages,
				    IO_PAGES), 0);
	KUNIT_EXPECT_EQ(test, p0->inject_bad[1], p0->inject_bad[0]);
	KUNIT_EXPECT_EQ(test, do_io(vbdev(ctx), REQ_OP_READ, 960, ctx->check,
				    IO_PAGES), 0);
	KUNIT_EXPECT_TRUE(test, same(ctx->pages, ctx->check));
	KUNIT_EXPECT_EQ(test, do_io(vbdev(ctx), REQ_OP_READ, 1000, ctx->check,
				    1), 0);
	WRITE_ONCE(p0->inject_bad[1], 0);
}

/*
 * A resync whose only source cannot read a range stops there with
 * SOURCE_READ_ERROR naming it; the source stays in sync, the target
 * is synced up to the range and no further.
 */
static void mirvol_test_resync_source_read_error(struct kunit *test)
{
	const sector_t offsets[] = { (sector_t)-1, 0 };
	const sector_t bad = 3 * 2048 + 16;
	struct io_ctx *ctx = test->priv;
	struct mirvol_op_info info;
	struct mirvol_plex *p0;
	u64 op_id;

	io_create(test, "kunit-srcbad", 2, true, NULL);
	p0 = ctx->vol->plexes[0];
	write_pattern(test, ctx, 0x5a5a);
	WRITE_ONCE(p0->inject_bad[0], MIRVOL_DATA_OFFSET_SECTORS + bad);
	WRITE_ONCE(p0->inject_bad[1], MIRVOL_DATA_OFFSET_SECTORS + bad + 8);
	resync_from(test, ctx, offsets, 2, &info);
	KUNIT_EXPECT_EQ(test, info.state, (u32)MIRVOL_OPS_FAILED);
	KUNIT_EXPECT_EQ(test, info.reason, (u32)MIRVOL_R_SOURCE_READ_ERROR);
	KUNIT_EXPECT_EQ(test, info.bad_offset_bytes, (u64)bad << 9);
	KUNIT_EXPECT_EQ(test, info.bad_bytes, 4096ULL);
	KUNIT_EXPECT_EQ(test, p0->state, MIRVOL_PLEX_ACTIVE);
	KUNIT_EXPECT_EQ(test, ctx->vol->plexes[1]->state, MIRVOL_PLEX_SYNCING);
	KUNIT_EXPECT_EQ(test, ctx->vol->plexes[1]->sync_offset, bad);
	KUNIT_EXPECT_EQ(test, ctx->vol->state, MIRVOL_VOLUME_DEGRADED);
	/* What can be read still is. */
	KUNIT_EXPECT_EQ(test, do_io(vbdev(ctx), REQ_OP_READ, 8 * 2048,
				    ctx->check, IO_PAGES), 0);
	KUNIT_EXPECT_NE(test, do_io(vbdev(ctx), REQ_OP_READ, bad, ctx->check,
				    1), 0);
	/* No resync starts by itself: it would stop there again. */
	mutex_lock(&ctx->vol->lock);
	KUNIT_EXPECT_EQ(test, mirvol_resync_if_needed(ctx->vol), 0ULL);
	mutex_unlock(&ctx->vol->lock);

	/* FORCE: the range becomes zeros everywhere, the rest is copied. */
	KUNIT_ASSERT_EQ(test, mirvol_resync_start(ctx->vol, true, &op_id),
			MIRVOL_R_NONE);
	KUNIT_ASSERT_EQ(test, mirvol_op_wait(op_id, 120000, &info),
			MIRVOL_R_NONE);
	KUNIT_EXPECT_EQ(test, info.state, (u32)MIRVOL_OPS_SUCCEEDED);
	KUNIT_EXPECT_EQ(test, info.lost_bytes, 4096ULL);
	KUNIT_EXPECT_EQ(test, info.bad_offset_bytes, (u64)bad << 9);
	KUNIT_EXPECT_EQ(test, ctx->vol->plexes[1]->state, MIRVOL_PLEX_ACTIVE);
	KUNIT_EXPECT_EQ(test, ctx->vol->state, MIRVOL_VOLUME_ONLINE);
	/* The source's bad sectors were rewritten (a disk remaps them). */
	KUNIT_EXPECT_EQ(test, p0->inject_bad[1], p0->inject_bad[0]);
	KUNIT_ASSERT_EQ(test, do_io(vbdev(ctx), REQ_OP_READ, bad, ctx->check,
				    1), 0);
	KUNIT_EXPECT_TRUE(test, mirvol_mem_is_zero(page_address(ctx->check[0]),
						   PAGE_SIZE));
	/* Everything else is the pattern, on both plexes. */
	fill(ctx->pages, 0x5a5a ^ (u32)(bad & ~127ULL));
	memset(page_address(ctx->pages[(bad & 127) / 8]), 0, PAGE_SIZE);
	KUNIT_ASSERT_EQ(test, read_plex(ctx, 1, bad & ~127ULL), 0);
	KUNIT_EXPECT_TRUE(test, same(ctx->pages, ctx->check));
	WRITE_ONCE(p0->inject_bad[1], 0);
	KUNIT_EXPECT_EQ(test, mirvol_resync_start(ctx->vol, false, &op_id),
			MIRVOL_R_NOTHING_TO_SYNC);
}

/*
 * FORCE over a range no in-sync plex reads: plex 1 is syncing and copied
 * the range already (its checkpoint is past it), plex 2 is syncing from
 * the start.  The zeros written to the sources and to plex 2 must reach
 * plex 1 too: else, once in sync, it differs from the others there, and
 * a later repair or read serves either.
 */
static void mirvol_test_resync_force_ahead_target(struct kunit *test)
{
	struct io_ctx *ctx = test->priv;
	const sector_t bad = 2 * 2048 + 16;
	struct mirvol_op_info info;
	struct mirvol_volume *vol;
	struct mirvol_plex *p0;
	u64 op_id;

	vol = ahead_target_setup(test, ctx, "kunit-fahead", 0x4b4b, bad);
	p0 = vol->plexes[0];
	/* Bad on plex 1 too: else it serves the unit (read_syncing_resync). */
	WRITE_ONCE(vol->plexes[1]->inject_bad[0],
		   MIRVOL_DATA_OFFSET_SECTORS + bad);
	WRITE_ONCE(vol->plexes[1]->inject_bad[1],
		   MIRVOL_DATA_OFFSET_SECTORS + bad + 8);
	KUNIT_ASSERT_EQ(test, mirvol_resync_start(vol, true, &op_id),
			MIRVOL_R_NONE);
	KUNIT_ASSERT_EQ(test, mirvol_op_wait(op_id, 120000, &info),
			MIRVOL_R_NONE);
	KUNIT_EXPECT_EQ(test, info.state, (u32)MIRVOL_OPS_SUCCEEDED);
	KUNIT_EXPECT_EQ(test, info.lost_bytes, 4096ULL);
	KUNIT_EXPECT_EQ(test, vol->plexes[1]->state, MIRVOL_PLEX_ACTIVE);
	KUNIT_EXPECT_EQ(test, vol->plexes[2]->state, MIRVOL_PLEX_ACTIVE);
	WRITE_ONCE(p0->inject_bad[1], 0);
	WRITE_ONCE(vol->plexes[1]->inject_bad[1], 0);
	/* Every plex holds the same data there. */
	KUNIT_ASSERT_EQ(test, read_plex(ctx, 0, bad & ~127ULL), 0);
	memcpy(page_address(ctx->pages[0]),
	       page_address(ctx->check[(bad & 127) / 8]), PAGE_SIZE);
	KUNIT_ASSERT_EQ(test, read_plex(ctx, 1, bad & ~127ULL), 0);
	KUNIT_EXPECT_EQ_MSG(test, memcmp(page_address(ctx->pages[0]),
					 page_address(ctx->check[(bad & 127) / 8]),
					 PAGE_SIZE), 0,
			    "plexes 0 and 1 differ at sector %llu",
			    (unsigned long long)bad);
	KUNIT_ASSERT_EQ(test, read_plex(ctx, 2, bad & ~127ULL), 0);
	KUNIT_EXPECT_EQ_MSG(test, memcmp(page_address(ctx->pages[0]),
					 page_address(ctx->check[(bad & 127) / 8]),
					 PAGE_SIZE), 0,
			    "plexes 0 and 2 differ at sector %llu",
			    (unsigned long long)bad);
}

/*
 * A 3-plex volume @name written with @seed, its bitmap cleared, plex 2
 * then taken offline: it comes back copying only what is set since.
 * Returns plex 2.
 */
static struct mirvol_plex *p2_offline_clean(struct kunit *test,
					    const char *name, u32 seed)
{
	struct io_ctx *ctx = test->priv;
	struct mirvol_bitmap *bm;
	struct mirvol_plex *p2;
	unsigned int t;
	u64 op_id = 0;

	io_create(test, name, 3, true, NULL);
	bm = ctx->vol->bitmap;
	KUNIT_ASSERT_NOT_NULL(test, bm);
	p2 = ctx->vol->plexes[2];
	write_pattern(test, ctx, seed);
	bitmap_fast_clear(bm, 50);
	for (t = 0; t < 200 && mirvol_bitmap_weight(bm); t++)
		msleep(50);
	KUNIT_ASSERT_EQ(test, mirvol_bitmap_weight(bm), 0UL);
	KUNIT_ASSERT_EQ(test, mirvol_plex_action(ctx->vol, p2->uuid.b,
						 MIRVOL_PLEX_TAKE_OFFLINE, -1,
						 &op_id), MIRVOL_R_NONE);
	return p2;
}

/*
 * A FORCE resync writes zeros over a range no source reads, on the
 * in-sync plexes too: a change of what they hold, whose bitmap bit must
 * be set as a write's.  Plex 2, offline meanwhile and covered by the
 * bitmap, comes back partial: without the bit it skipped the range and
 * kept its old data where the others hold zeros.
 */
static void mirvol_test_force_zero_offline(struct kunit *test)
{
	const sector_t offsets[] = { (sector_t)-1, 0, (sector_t)-1 };
	const sector_t bad = 3 * 2048 + 16;
	struct io_ctx *ctx = test->priv;
	struct mirvol_op_info info;
	struct mirvol_plex *p0, *p2;
	struct mirvol_bitmap *bm;
	u64 op_id = 0;

	p2 = p2_offline_clean(test, "kunit-forcezero", 0x5a5a);
	bm = ctx->vol->bitmap;
	p0 = ctx->vol->plexes[0];
	WRITE_ONCE(p0->inject_bad[0], MIRVOL_DATA_OFFSET_SECTORS + bad);
	WRITE_ONCE(p0->inject_bad[1], MIRVOL_DATA_OFFSET_SECTORS + bad + 8);
	resync_from(test, ctx, offsets, 3, &info);
	KUNIT_EXPECT_EQ(test, info.reason, (u32)MIRVOL_R_SOURCE_READ_ERROR);
	KUNIT_ASSERT_EQ(test, mirvol_resync_start(ctx->vol, true, &op_id),
			MIRVOL_R_NONE);
	KUNIT_ASSERT_EQ(test, mirvol_op_wait(op_id, 120000, &info),
			MIRVOL_R_NONE);
	KUNIT_EXPECT_EQ(test, info.lost_bytes, 4096ULL);
	WRITE_ONCE(p0->inject_bad[1], 0);
	kunit_info(test, "bitmap weight after force: %lu\n",
		   mirvol_bitmap_weight(bm));
	take_online_op(test, ctx->vol, p2, &info);
	kunit_info(test, "online copied %llu bytes\n", info.total_bytes);
	KUNIT_ASSERT_EQ(test, read_plex(ctx, 0, bad & ~127ULL), 0);
	KUNIT_EXPECT_TRUE(test, mirvol_mem_is_zero(
		page_address(ctx->check[(bad & 127) / 8]), PAGE_SIZE));
	KUNIT_ASSERT_EQ(test, read_plex(ctx, 2, bad & ~127ULL), 0);
	KUNIT_EXPECT_TRUE_MSG(test, mirvol_mem_is_zero(
		page_address(ctx->check[(bad & 127) / 8]), PAGE_SIZE),
		"plex 2 keeps its old data where the FORCE resync wrote zeros");
}

/*
 * Read errors that are repaired (the good copy rewritten over the bad
 * sector, which a disk remaps) never add up to failing the plex.
 */
static void mirvol_test_corrected_reads_keep_plex(struct kunit *test)
{
	struct io_ctx *ctx = test->priv;
	unsigned int saved = mirvol_max_read_errors;
	struct mirvol_plex *p0, *p1;
	unsigned int i;
	sector_t s;

	io_create(test, "kunit-corrected", 2, true, NULL);
	p0 = ctx->vol->plexes[0];
	p1 = ctx->vol->plexes[1];
	write_pattern(test, ctx, 0x7e7e);
	mirvol_max_read_errors = 3;
	for (i = 0; i < 10; i++) {
		s = 512 + i * 256;
		WRITE_ONCE(p1->inject_bad[0], MIRVOL_DATA_OFFSET_SECTORS + s);
		WRITE_ONCE(p1->inject_bad[1],
			   MIRVOL_DATA_OFFSET_SECTORS + s + 8);
		/* Read balancing sends a read continuing a stream there. */
		WRITE_ONCE(p0->head, 1);
		WRITE_ONCE(p1->head, s);
		KUNIT_EXPECT_EQ(test, do_io(vbdev(ctx), REQ_OP_READ, s,
					    ctx->check, 1), 0);
		flush_work(&ctx->vol->repair_work);
		KUNIT_EXPECT_EQ_MSG(test, p1->inject_bad[1], p1->inject_bad[0],
				    "read %u was not repaired", i);
	}
	flush_work(&ctx->vol->worker);
	mirvol_max_read_errors = saved;
	KUNIT_EXPECT_EQ(test, p1->state, MIRVOL_PLEX_ACTIVE);
	KUNIT_EXPECT_EQ(test, ctx->vol->state, MIRVOL_VOLUME_ONLINE);
	KUNIT_EXPECT_EQ(test, atomic64_read(&p1->corrected_read_errors), 10LL);
	KUNIT_EXPECT_EQ(test, mirvol_plex_read_errors(p1), 0U);
	KUNIT_EXPECT_EQ(test, mirvol_plex_read_errors(p0), 0U);
	WRITE_ONCE(p1->inject_bad[1], 0);
}

/* Where the salvage tests read: 64 KiB, 16 blocks. */
#define SALVAGE_AT	4096

/* Plex @plex unable to read from SALVAGE_AT + @s to SALVAGE_AT + @e. */
static void salvage_bad(struct mirvol_plex *plex, sector_t s, sector_t e)
{
	WRITE_ONCE(plex->inject_bad[0],
		   MIRVOL_DATA_OFFSET_SECTORS + SALVAGE_AT + s);
	WRITE_ONCE(plex->inject_bad[1],
		   MIRVOL_DATA_OFFSET_SECTORS + SALVAGE_AT + e);
}

/*
 * The salvage tests' volume: @n plexes holding fill(@seed) at SALVAGE_AT,
 * plex i unable to read the sectors from SALVAGE_AT + bad[i][0] to
 * SALVAGE_AT + bad[i][1] (a disk's pending sectors, until written over),
 * read errors never failing a plex.  Returns mirvol_max_read_errors for
 * salvage_end().
 */
static unsigned int salvage_setup(struct kunit *test, const char *name,
				  u32 seed, unsigned int n,
				  const sector_t bad[][2])
{
	struct io_ctx *ctx = test->priv;
	unsigned int saved = mirvol_max_read_errors, i;

	io_create(test, name, n, true, NULL);
	fill(ctx->pages, seed);
	KUNIT_ASSERT_EQ(test, do_io(vbdev(ctx), REQ_OP_WRITE, SALVAGE_AT,
				    ctx->pages, IO_PAGES), 0);
	mirvol_max_read_errors = 1000;
	for (i = 0; i < n; i++)
		salvage_bad(ctx->vol->plexes[i], bad[i][0], bad[i][1]);
	return saved;
}

/* A salvage read of the 16 blocks: -errno, the data checked if read. */
static int salvage_read(struct kunit *test, blk_opf_t flags)
{
	struct io_ctx *ctx = test->priv;
	int ret;

	/* No block left from before can pass for a block read. */
	fill(ctx->check, 0xbad0);
	ret = do_io(vbdev(ctx), REQ_OP_READ | flags, SALVAGE_AT, ctx->check,
		    IO_PAGES);
	if (!ret)
		KUNIT_EXPECT_TRUE(test, same(ctx->pages, ctx->check));
	return ret;
}

/* The repairs and state changes done; the limit back to @saved. */
static void salvage_end(struct io_ctx *ctx, unsigned int saved)
{
	flush_work(&ctx->vol->repair_work);
	flush_work(&ctx->vol->worker);
	mirvol_max_read_errors = saved;
}

/* Plex @i: @corrected repaired errors, @errors uncorrected, in @state. */
static void salvage_expect_plex(struct kunit *test, unsigned int i,
				long long corrected, unsigned int errors,
				unsigned int state)
{
	struct io_ctx *ctx = test->priv;
	struct mirvol_plex *p = ctx->vol->plexes[i];

	KUNIT_EXPECT_EQ_MSG(test, atomic64_read(&p->corrected_read_errors),
			    corrected, "plex %u", i);
	KUNIT_EXPECT_EQ_MSG(test, mirvol_plex_read_errors(p), errors,
			    "plex %u", i);
	KUNIT_EXPECT_EQ_MSG(test, p->state, state, "plex %u", i);
	/* Whatever is left of the bad ranges fails no later test. */
	WRITE_ONCE(p->inject_bad[1], 0);
}

/* Every plex: @corrected repaired errors, @errors uncorrected, active. */
static void salvage_expect(struct kunit *test, long long corrected,
			   unsigned int errors)
{
	struct io_ctx *ctx = test->priv;
	unsigned int i;

	for (i = 0; i < ctx->vol->nr_slots; i++)
		salvage_expect_plex(test, i, corrected, errors,
				    MIRVOL_PLEX_ACTIVE);
}

/*
 * Plex @i's bad range rewritten (@done) or not, and its device holding
 * the data all the same (read past the fault injection).
 */
static void salvage_rewritten(struct kunit *test, unsigned int i, bool done)
{
	struct io_ctx *ctx = test->priv;
	struct mirvol_plex *p = ctx->vol->plexes[i];

	KUNIT_EXPECT_EQ_MSG(test, p->inject_bad[1] == p->inject_bad[0], done,
			    "plex %u's bad range rewritten", i);
	fill(ctx->check, 0xbad1);
	KUNIT_ASSERT_EQ(test, read_plex(ctx, i, SALVAGE_AT), 0);
	KUNIT_EXPECT_TRUE_MSG(test, same(ctx->pages, ctx->check),
			      "plex %u does not hold the data", i);
}

/*
 * Plex @a fails block 1 of a 16-block read and plex @b block 8: every
 * sector is readable on one of them, and the mirror serves the read (md
 * raid1 does, through fix_read_error()).  Then each plex's bad block is
 * rewritten from the other, whichever plex each block was served from.
 * A readahead first may fail: it is not salvaged, and counts no error
 * (mirvol_test_readahead_errors_keep_plexes).
 */
static void read_disjoint_bad(struct kunit *test, unsigned int a,
			      unsigned int b)
{
	struct io_ctx *ctx = test->priv;
	sector_t bad[2][2] = {};
	unsigned int saved, i;

	bad[a][0] = 8;
	bad[a][1] = 16;
	bad[b][0] = 64;
	bad[b][1] = 72;
	saved = salvage_setup(test, "kunit-disjoint", 0x6d6d, 2, bad);
	KUNIT_EXPECT_EQ(test, salvage_read(test, REQ_RAHEAD), -EIO);
	KUNIT_EXPECT_EQ_MSG(test, salvage_read(test, 0), 0,
			    "every sector is readable on one plex");
	salvage_end(ctx, saved);
	for (i = 0; i < 2; i++)
		salvage_rewritten(test, i, true);
	/* Nothing uncorrected. */
	salvage_expect(test, 1, 0);
}

static void mirvol_test_read_disjoint_bad(struct kunit *test)
{
	read_disjoint_bad(test, 0, 1);
}

/* The same with the roles swapped: nothing depends on slot order. */
static void mirvol_test_read_disjoint_bad_swapped(struct kunit *test)
{
	read_disjoint_bad(test, 1, 0);
}

/*
 * A block no plex reads fails the read, as before, and each plex counts
 * an uncorrected read error.
 */
static void mirvol_test_read_bad_everywhere(struct kunit *test)
{
	static const sector_t bad[2][2] = { { 8, 24 }, { 16, 32 } };
	struct io_ctx *ctx = test->priv;
	struct mirvol_plex *p0, *p1;
	unsigned int saved;

	saved = salvage_setup(test, "kunit-allbad", 0x6e6e, 2, bad);
	p0 = ctx->vol->plexes[0];
	p1 = ctx->vol->plexes[1];
	KUNIT_EXPECT_EQ(test, salvage_read(test, 0), -EIO);
	salvage_end(ctx, saved);
	/*
	 * One uncorrected error each for block 2; the blocks before it
	 * were probed too: plex 0 fails block 1, which is not rewritten
	 * (its bad range goes on into block 2), so it counts a second.
	 */
	KUNIT_EXPECT_EQ(test, mirvol_plex_read_errors(p0), 2U);
	KUNIT_EXPECT_EQ(test, mirvol_plex_read_errors(p1), 1U);
	KUNIT_EXPECT_EQ(test, p0->state, MIRVOL_PLEX_ACTIVE);
	KUNIT_EXPECT_EQ(test, p1->state, MIRVOL_PLEX_ACTIVE);
	/* Around the lost block, the rest still reads. */
	KUNIT_EXPECT_EQ(test, do_io(vbdev(ctx), REQ_OP_READ, SALVAGE_AT,
				    ctx->check, 2), 0);
	KUNIT_EXPECT_EQ(test, do_io(vbdev(ctx), REQ_OP_READ, SALVAGE_AT + 24,
				    ctx->check, 2), 0);
	flush_work(&ctx->vol->repair_work);
	WRITE_ONCE(p0->inject_bad[1], 0);
	WRITE_ONCE(p1->inject_bad[1], 0);
}

/*
 * Plex 0 fails every block of a read but the last, which only it reads:
 * the read is served, and plex 0, failing block after block (a dying
 * disk: each failure may be a timeout), is not asked for each block
 * again: after it failed one, the plex that read the block before is
 * asked first.  Then both plexes get their bad blocks rewritten.
 */
static void mirvol_test_read_salvage_sticky(struct kunit *test)
{
	static const sector_t bad[2][2] = {
		{ 0, (IO_PAGES - 1) * 8 }, { (IO_PAGES - 1) * 8, IO_PAGES * 8 }
	};
	struct io_ctx *ctx = test->priv;
	struct mirvol_plex *p0;
	unsigned int saved;
	s64 reads0;

	saved = salvage_setup(test, "kunit-sticky", 0x6f6f, 2, bad);
	p0 = ctx->vol->plexes[0];
	reads0 = atomic64_read(&p0->read_ios);
	atomic_set(&p0->inject_bad_reads, 0);
	KUNIT_EXPECT_EQ(test, salvage_read(test, 0), 0);
	/* The whole read, block 0 (failed), the last block. */
	KUNIT_EXPECT_EQ(test, atomic64_read(&p0->read_ios) - reads0, 3LL);
	salvage_end(ctx, saved);
	/*
	 * Failed on plex 0: the whole read and block 0; in the repair (its
	 * barrier held), the chunk and unit 0: the units after come from
	 * plex 1, which read unit 0.
	 */
	KUNIT_EXPECT_EQ(test, atomic_read(&p0->inject_bad_reads), 4);
	KUNIT_EXPECT_EQ(test, p0->inject_bad[1], p0->inject_bad[0]);
	KUNIT_EXPECT_EQ(test, ctx->vol->plexes[1]->inject_bad[1],
			ctx->vol->plexes[1]->inject_bad[0]);
	salvage_expect(test, 1, 0);
}

/*
 * A probing repair that finds a block no plex reads any more (it went
 * bad on both after the salvage read it): each plex counts one
 * uncorrected read error for it, not one as a source and one as a
 * target.  The test holds the barrier while it spoils the block, so the
 * repair runs after.
 */
static void mirvol_test_read_salvage_repair_counts_once(struct kunit *test)
{
	static const sector_t bad[2][2] = { { 8, 16 }, { 64, 72 } };
	unsigned int idx = mirvol_barrier_idx(SALVAGE_AT), saved;
	struct io_ctx *ctx = test->priv;

	saved = salvage_setup(test, "kunit-once", 0x7070, 2, bad);
	mirvol_barrier_raise(&ctx->vol->barrier, idx);
	KUNIT_EXPECT_EQ(test, salvage_read(test, 0), 0);
	/* Block 8 goes bad on plex 0 as well. */
	salvage_bad(ctx->vol->plexes[0], 8, 72);
	mirvol_barrier_lower(&ctx->vol->barrier, idx);
	salvage_end(ctx, saved);
	salvage_expect(test, 0, 1);
}

/*
 * Readaheads over blocks that each plex fails in other places fail (they
 * are not salvaged) but count no uncorrected error: no plex was shown
 * unable to serve a block the others could not.  Counted, enough of them
 * failed plex 0, and the block plex 1 cannot read was lost with it.
 */
static void mirvol_test_readahead_errors_keep_plexes(struct kunit *test)
{
	static const sector_t bad[2][2] = { { 8, 16 }, { 64, 72 } };
	struct io_ctx *ctx = test->priv;
	unsigned int saved, i;

	saved = salvage_setup(test, "kunit-rahead", 0x7272, 2, bad);
	mirvol_max_read_errors = 3;
	for (i = 0; i < 4; i++)
		KUNIT_EXPECT_EQ(test, salvage_read(test, REQ_RAHEAD), -EIO);
	flush_work(&ctx->vol->worker);
	KUNIT_EXPECT_EQ_MSG(test, salvage_read(test, 0), 0,
			    "every sector is readable on one plex");
	salvage_end(ctx, saved);
	salvage_expect(test, 1, 0);
}

/*
 * Three plexes, each failing another block of a read: plex 0 block 2,
 * plex 1 block 5 (@two: block 2 as plex 0 does, which only plex 2 then
 * reads), plex 2 block 9.  The read is served, and the probing repair
 * rewrites each plex's bad block, each counting one corrected error.
 */
static void read_salvage_three(struct kunit *test, bool two)
{
	sector_t bad[3][2] = { { 16, 24 }, { 40, 48 }, { 72, 80 } };
	struct io_ctx *ctx = test->priv;
	unsigned int saved, i;

	if (two) {
		bad[1][0] = 16;
		bad[1][1] = 24;
	}
	saved = salvage_setup(test, "kunit-three", 0x7171, 3, bad);
	KUNIT_EXPECT_EQ(test, salvage_read(test, 0), 0);
	salvage_end(ctx, saved);
	for (i = 0; i < 3; i++)
		salvage_rewritten(test, i, true);
	salvage_expect(test, 1, 0);
}

static void mirvol_test_read_salvage_three(struct kunit *test)
{
	read_salvage_three(test, false);
}

static void mirvol_test_read_salvage_three_bad_on_two(struct kunit *test)
{
	read_salvage_three(test, true);
}

/* What salvage_hook() does, once, as a salvage comes to @block. */
static struct {
	u32 block;
	unsigned int plex;
	void (*fn)(struct mirvol_volume *vol, unsigned int plex);
	atomic_t runs;
	s64 reads;
	bool seen;
	struct completion reached;
	struct kunit *test;
	int ret;
} salvage_at;

static void salvage_hook(struct mirvol_volume *vol, u32 block)
{
	unsigned int i = salvage_at.plex;

	if (block != salvage_at.block ||
	    atomic_inc_return(&salvage_at.runs) != 1)
		return;
	salvage_at.reads = atomic64_read(&vol->plexes[i]->read_ios);
	salvage_at.fn(vol, i);
}

/* Have @fn(vol, @plex) run as the next salvage comes to @block. */
static void salvage_at_set(u32 block, unsigned int plex,
			   void (*fn)(struct mirvol_volume *vol,
				      unsigned int plex))
{
	salvage_at.block = block;
	salvage_at.plex = plex;
	salvage_at.fn = fn;
	salvage_at.seen = false;
	atomic_set(&salvage_at.runs, 0);
	init_completion(&salvage_at.reached);
	WRITE_ONCE(mirvol_kunit_salvage_hook, salvage_hook);
}

/* Plex @i fails a write (another bio's): FAILED at once. */
static void salvage_fail_plex(struct mirvol_volume *vol, unsigned int i)
{
	mirvol_plex_error(vol->plexes[i], true);
	salvage_at.seen = READ_ONCE(vol->plexes[i]->state) ==
			  MIRVOL_PLEX_FAILED;
}

/*
 * Plex @i's device is deleted: the block layer's call.  The dead work
 * makes it missing, then waits for the read's I/O reference to close the
 * device; the salvage goes on once the plex is missing.
 */
static void salvage_lose_plex(struct mirvol_volume *vol, unsigned int i)
{
	struct block_device *bdev = vol->plexes[i]->bdev;

	device_gone(bdev, true);
	salvage_at.seen = wait_until(READ_ONCE(vol->plexes[i]->state) ==
				     MIRVOL_PLEX_MISSING);
}

/*
 * Plex @lost lost (@gone: its device deleted, else failed) as a salvage
 * comes to block 3.  Three plexes failing blocks 2, 5 and 9 (@n 3): plex 0
 * read blocks 0 and 1, plex 1 block 2; the two left read every block, and
 * the read is served, and each of them repaired.  Two (@n 2): plex 0
 * fails block 1, plex 1 block 8; plex 1 reads blocks 1 and 2.  Plex 1
 * lost, plex 0 reads the rest and the read is served; plex 0 lost, block
 * 8 is lost, and the read fails.  Either way the plex left has a bad
 * block no plex in sync reads: not repaired, one uncorrected error.  The
 * lost plex gets no read after, by the salvage or the repair (only for
 * the plexes in sync), is not rewritten and counts nothing.
 */
static void read_salvage_lose(struct kunit *test, unsigned int n,
			      unsigned int lost, bool gone)
{
	static const sector_t bad3[3][2] = { { 16, 24 }, { 40, 48 },
					     { 72, 80 } };
	static const sector_t bad2[2][2] = { { 8, 16 }, { 64, 72 } };
	unsigned int state = gone ? MIRVOL_PLEX_MISSING : MIRVOL_PLEX_FAILED;
	struct io_ctx *ctx = test->priv;
	bool served = n == 3 || lost == 1, repaired = n == 3;
	struct mirvol_plex *p;
	unsigned int saved, i;

	saved = salvage_setup(test, "kunit-salvlose", 0x7272, n,
			      n == 3 ? bad3 : bad2);
	p = ctx->vol->plexes[lost];
	salvage_at_set(3, lost, gone ? salvage_lose_plex : salvage_fail_plex);
	KUNIT_EXPECT_EQ(test, salvage_read(test, 0), served ? 0 : -EIO);
	KUNIT_EXPECT_EQ(test, atomic_read(&salvage_at.runs), 1);
	KUNIT_EXPECT_TRUE(test, salvage_at.seen);
	/* The device given back, the repair done. */
	flush_mirvol_works();
	salvage_end(ctx, saved);
	/* Its bad block failed by the whole read, and by block 2 or 1. */
	KUNIT_EXPECT_EQ(test, atomic_read(&p->inject_bad_reads),
			lost ? 1 : 2);
	KUNIT_EXPECT_EQ(test, atomic64_read(&p->read_ios), salvage_at.reads);
	salvage_rewritten(test, lost, false);
	salvage_expect_plex(test, lost, 0, 0, state);
	for (i = 0; i < n; i++) {
		if (i == lost)
			continue;
		salvage_rewritten(test, i, repaired);
		salvage_expect_plex(test, i, repaired, !repaired,
				    MIRVOL_PLEX_ACTIVE);
	}
	if (gone)
		KUNIT_EXPECT_NULL(test, p->bdev);
}

static void mirvol_test_read_salvage_plex_fails(struct kunit *test)
{
	read_salvage_lose(test, 3, 0, false);
}

static void mirvol_test_read_salvage_plex_gone(struct kunit *test)
{
	read_salvage_lose(test, 3, 0, true);
}

/* The plex that read the block before (tried first) is the one lost. */
static void mirvol_test_read_salvage_reader_fails(struct kunit *test)
{
	read_salvage_lose(test, 3, 1, false);
}

static void mirvol_test_read_salvage_reader_gone(struct kunit *test)
{
	read_salvage_lose(test, 2, 1, true);
}

static void mirvol_test_read_salvage_lost_fails(struct kunit *test)
{
	read_salvage_lose(test, 2, 0, false);
}

static void mirvol_test_read_salvage_lost_gone(struct kunit *test)
{
	read_salvage_lose(test, 2, 0, true);
}

/*
 * Syncing plex @i reaches the end of its resync: promoted, in sync, as
 * mirvol_resync_end() does it (the I/O goes on meanwhile).
 */
static void salvage_promote_plex(struct mirvol_volume *vol, unsigned int i)
{
	struct mirvol_plex *plex = vol->plexes[i];

	WRITE_ONCE(plex->sync_offset, vol->size);
	salvage_at.seen = mirvol_promote_plex(plex);
}

/*
 * A plex that comes in sync while a salvage runs reads the blocks the
 * others fail: plexes 0 and 1 fail block 5, plex 2 is syncing (from 0,
 * so it serves no part of the read) until the salvage comes to block 5,
 * where its resync ends.  The read is served; plexes 0 and 1 get block
 * 5 rewritten from plex 2 and count it corrected, no uncorrected error.
 */
static void mirvol_test_read_salvage_promoted(struct kunit *test)
{
	static const sector_t bad[3][2] = { { 40, 48 }, { 40, 48 },
					    { 0, 0 } };
	struct io_ctx *ctx = test->priv;
	struct mirvol_volume *vol;
	struct mirvol_plex *p2;
	unsigned int saved;

	saved = salvage_setup(test, "kunit-salvprom", 0x7373, 3, bad);
	vol = ctx->vol;
	p2 = vol->plexes[2];
	mutex_lock(&vol->lock);
	mutex_lock(&vol->sb_mutex);
	mirvol_set_plex_state(p2, MIRVOL_PLEX_SYNCING);
	WRITE_ONCE(p2->sync_offset, 0);
	mirvol_sb_update_locked(vol);
	mutex_unlock(&vol->sb_mutex);
	mutex_unlock(&vol->lock);
	salvage_at_set(5, 2, salvage_promote_plex);
	KUNIT_EXPECT_EQ(test, salvage_read(test, 0), 0);
	/* Block 5 asked of plexes 0 and 1, then of plex 2. */
	KUNIT_EXPECT_EQ(test, atomic_read(&salvage_at.runs), 3);
	KUNIT_EXPECT_TRUE(test, salvage_at.seen);
	/* Plex 2 read no block before its promotion. */
	KUNIT_EXPECT_EQ(test, salvage_at.reads, 0LL);
	salvage_end(ctx, saved);
	salvage_rewritten(test, 0, true);
	salvage_rewritten(test, 1, true);
	salvage_expect_plex(test, 0, 1, 0, MIRVOL_PLEX_ACTIVE);
	salvage_expect_plex(test, 1, 1, 0, MIRVOL_PLEX_ACTIVE);
	salvage_expect_plex(test, 2, 0, 0, MIRVOL_PLEX_ACTIVE);
}

/*
 * Read repair without the memory for its full-size buffer: a plex whose
 * read error could be repaired is repaired with a smaller one, not
 * counted as holding an uncorrected error (which fails it in the end).
 */
static void mirvol_test_repair_small_buffer(struct kunit *test)
{
	struct io_ctx *ctx = test->priv;
	struct mirvol_plex *p0, *p1;
	const sector_t s = 1024;

	io_create(test, "kunit-repnomem", 2, true, NULL);
	p0 = ctx->vol->plexes[0];
	p1 = ctx->vol->plexes[1];
	write_pattern(test, ctx, 0x7e7d);
	WRITE_ONCE(mirvol_kunit_repair_nomem, true);
	WRITE_ONCE(p1->inject_bad[0], MIRVOL_DATA_OFFSET_SECTORS + s + 64);
	WRITE_ONCE(p1->inject_bad[1], MIRVOL_DATA_OFFSET_SECTORS + s + 72);
	/* Read balancing sends a read continuing a stream there. */
	WRITE_ONCE(p0->head, 1);
	WRITE_ONCE(p1->head, s);
	KUNIT_EXPECT_EQ(test, do_io(vbdev(ctx), REQ_OP_READ, s, ctx->check,
				    IO_PAGES), 0);
	flush_work(&ctx->vol->repair_work);
	WRITE_ONCE(mirvol_kunit_repair_nomem, false);
	KUNIT_EXPECT_EQ_MSG(test, p1->inject_bad[1], p1->inject_bad[0],
			    "the read error was not repaired");
	KUNIT_EXPECT_EQ(test, atomic64_read(&p1->corrected_read_errors), 1LL);
	KUNIT_EXPECT_EQ(test, mirvol_plex_read_errors(p1), 0U);
	KUNIT_EXPECT_EQ(test, mirvol_plex_read_errors(p0), 0U);
	WRITE_ONCE(p1->inject_bad[1], 0);
}

/*
 * A resync batch holds up to MIRVOL_RESYNC_BATCH bios per target at
 * once: the bio_set's reserve must cover them, or the copy can block in
 * mempool_alloc() under memory pressure with its barrier raised.
 */
static void mirvol_test_sync_bioset_reserve(struct kunit *test)
{
	struct io_ctx *ctx = test->priv;

	io_create(test, "kunit-reserve", 1, true, NULL);
	KUNIT_EXPECT_GE(test, ctx->vol->sync_bs.bio_pool.min_nr,
			MIRVOL_MAX_PLEXES * MIRVOL_SYNC_BATCH);
	KUNIT_EXPECT_GE(test, ctx->vol->sync_bs.bio_pool.min_nr,
			MIRVOL_SYNC_MAX_BIOS);
	KUNIT_EXPECT_GE(test, ctx->vol->repair_bs.bio_pool.min_nr,
			MIRVOL_REPAIR_MAX_BIOS);
	KUNIT_EXPECT_GE(test, ctx->vol->meta_bs.bio_pool.min_nr,
			MIRVOL_META_MAX_BIOS);
	KUNIT_EXPECT_GE(test, ctx->vol->bs.bio_pool.min_nr, MIRVOL_MAX_PLEXES);
}


/* Run a check (or repair from @source, -1: default) and wait for it. */
static void scrub(struct kunit *test, struct io_ctx *ctx, bool repair,
		  int source, struct mirvol_op_info *info)
{
	u64 op_id = 0;

	KUNIT_ASSERT_EQ(test, mirvol_scrub_start(ctx->vol, repair, source < 0 ?
						 NULL :
						 ctx->vol->plexes[source]->uuid.b,
						 &op_id), MIRVOL_R_NONE);
	KUNIT_ASSERT_EQ(test, mirvol_op_wait(op_id, 120000, info), MIRVOL_R_NONE);
	KUNIT_EXPECT_EQ(test, info->state, (u32)MIRVOL_OPS_SUCCEEDED);
	KUNIT_EXPECT_EQ(test, info->type, repair ? (u32)MIRVOL_OP_REPAIR :
						   (u32)MIRVOL_OP_CHECK);
}

/* Overwrite [s, s + 8 * pages) of plex @i's data with garbage. */
static void spoil_range(struct kunit *test, struct io_ctx *ctx,
			unsigned int i, sector_t s, unsigned int pages)
{
	fill(ctx->pages, 0xbad00000 ^ (u32)s);
	KUNIT_ASSERT_EQ(test, do_io(rbdev(ctx, i), REQ_OP_WRITE,
				    MIRVOL_DATA_OFFSET_SECTORS + s,
				    ctx->pages, pages), 0);
}

static void mirvol_test_check_repair(struct kunit *test)
{
	struct io_ctx *ctx = test->priv;
	struct mirvol_op_info info;
	u64 op_id;

	io_create(test, "kunit-scrub", 3, true, NULL);
	write_pattern(test, ctx, 0x1357);
	scrub(test, ctx, false, -1, &info);
	KUNIT_EXPECT_EQ(test, info.mismatch_bytes, 0ULL);
	KUNIT_EXPECT_EQ(test, info.percent, 100U);

	/* 24 sectors differ on plex 2, 16 on plex 1, 8 of them the same. */
	spoil_range(test, ctx, 2, 4096, 3);
	spoil_range(test, ctx, 1, 4096 + 16, 2);
	spoil_range(test, ctx, 2, 3 * 2048 + 200, 1);	/* another chunk */
	scrub(test, ctx, false, -1, &info);
	KUNIT_EXPECT_EQ(test, info.mismatch_bytes, (24ULL + 8 + 8) << 9);
	KUNIT_EXPECT_EQ(test, ctx->vol->mismatch_sectors, 40ULL);
	KUNIT_EXPECT_EQ(test, info.nr_outputs, 3U);
	/* A check changes nothing. */
	scrub(test, ctx, false, -1, &info);
	KUNIT_EXPECT_EQ(test, info.mismatch_bytes, 40ULL << 9);

	/* Repair from plex 0 (the default), then a check finds nothing. */
	scrub(test, ctx, true, -1, &info);
	KUNIT_EXPECT_EQ(test, info.mismatch_bytes, 40ULL << 9);
	scrub(test, ctx, false, -1, &info);
	KUNIT_EXPECT_EQ(test, info.mismatch_bytes, 0ULL);
	KUNIT_EXPECT_EQ(test, ctx->vol->mismatch_sectors, 0ULL);
	expect_pattern(test, ctx, 3, 0x1357);

	/* Repair from plex 2: its data wins everywhere. */
	spoil_range(test, ctx, 2, 8192, 1);
	scrub(test, ctx, true, 2, &info);
	KUNIT_EXPECT_EQ(test, info.mismatch_bytes, 8ULL << 9);
	KUNIT_ASSERT_EQ(test, read_plex(ctx, 0, 8192), 0);
	fill(ctx->pages, 0xbad00000 ^ 8192);
	KUNIT_EXPECT_EQ(test, memcmp(page_address(ctx->pages[0]),
				     page_address(ctx->check[0]), PAGE_SIZE),
			0);

	/* Refusals: a stale plex as source, a volume with one in sync. */
	mutex_lock(&ctx->vol->lock);
	mutex_lock(&ctx->vol->sb_mutex);
	mirvol_set_plex_state(ctx->vol->plexes[1], MIRVOL_PLEX_SYNCING);
	mirvol_set_plex_state(ctx->vol->plexes[2], MIRVOL_PLEX_SYNCING);
	mutex_unlock(&ctx->vol->sb_mutex);
	mutex_unlock(&ctx->vol->lock);
	KUNIT_EXPECT_EQ(test, mirvol_scrub_start(ctx->vol, true,
						 ctx->vol->plexes[1]->uuid.b,
						 &op_id),
			MIRVOL_R_PLEX_NOT_IN_SYNC);
	KUNIT_EXPECT_EQ(test, mirvol_scrub_start(ctx->vol, false, NULL,
						 &op_id),
			MIRVOL_R_TOO_FEW_IN_SYNC);
}

/*
 * Plex 2's resync stopped at its checkpoint, half the volume (on a range
 * it could not read): what it copied is plex 0's data, corruption
 * included, and the resync goes on from there.  A repair rewrites only
 * the in-sync plexes: one from plex 1 would fix plex 0 and leave plex 2,
 * once promoted, with the corrupt copy.  As md (recovery first), a
 * repair is refused while a plex is syncing or stale; a check compares
 * the in-sync plexes and runs.
 */
static void mirvol_test_repair_refused_while_syncing(struct kunit *test)
{
	struct io_ctx *ctx = test->priv;
	struct mirvol_op_info info;
	enum mirvol_reason reason;
	struct mirvol_volume *vol;
	u64 op_id = 0;

	io_create(test, "kunit-rpsync", 3, true, NULL);
	vol = ctx->vol;
	write_pattern(test, ctx, 0x2468);
	/* The same garbage on plex 0 and on plex 2, which copied it. */
	spoil_range(test, ctx, 0, 4096, 1);
	spoil_range(test, ctx, 2, 4096, 1);
	mutex_lock(&vol->lock);
	mutex_lock(&vol->sb_mutex);
	mirvol_set_plex_state(vol->plexes[2], MIRVOL_PLEX_SYNCING);
	WRITE_ONCE(vol->plexes[2]->sync_offset, vol->size / 2);
	mirvol_sb_update_locked(vol);
	mutex_unlock(&vol->sb_mutex);
	/* As a resync stopped on an unreadable range: none starts alone. */
	set_bit(MIRVOL_VOL_SYNC_STOPPED, &vol->flags);
	mutex_unlock(&vol->lock);

	scrub(test, ctx, false, -1, &info);
	KUNIT_EXPECT_EQ(test, info.mismatch_bytes, 8ULL << 9);
	reason = mirvol_scrub_start(vol, true, vol->plexes[1]->uuid.b, &op_id);
	if (reason == MIRVOL_R_NONE)
		mirvol_op_wait(op_id, 120000, &info);
	KUNIT_EXPECT_EQ(test, reason, MIRVOL_R_RESYNC_PENDING);
	reason = mirvol_scrub_start(vol, true, NULL, &op_id);
	if (reason == MIRVOL_R_NONE)
		mirvol_op_wait(op_id, 120000, &info);
	KUNIT_EXPECT_EQ(test, reason, MIRVOL_R_RESYNC_PENDING);

	/* Stale (waiting for its resync): refused too. */
	mutex_lock(&vol->lock);
	mutex_lock(&vol->sb_mutex);
	mirvol_set_plex_state(vol->plexes[2], MIRVOL_PLEX_STALE);
	mirvol_sb_update_locked(vol);
	mutex_unlock(&vol->sb_mutex);
	mutex_unlock(&vol->lock);
	reason = mirvol_scrub_start(vol, true, vol->plexes[1]->uuid.b, &op_id);
	if (reason == MIRVOL_R_NONE)
		mirvol_op_wait(op_id, 120000, &info);
	KUNIT_EXPECT_EQ(test, reason, MIRVOL_R_RESYNC_PENDING);

	/* Once the resync is done, the repair reaches every plex. */
	KUNIT_ASSERT_EQ(test, mirvol_resync_start(vol, false, &op_id),
			MIRVOL_R_NONE);
	KUNIT_ASSERT_EQ(test, mirvol_op_wait(op_id, 120000, &info),
			MIRVOL_R_NONE);
	KUNIT_ASSERT_EQ(test, vol->plexes[2]->state, MIRVOL_PLEX_ACTIVE);
	scrub(test, ctx, true, 1, &info);
	expect_pattern(test, ctx, 3, 0x2468);
}

/*
 * Plex 1 fails a read, which plex 0 serves; the read repair's rewrite
 * of plex 1 is lost (the disk says it wrote it), and the read-back
 * returns the old, wrong data without an error.  Plex 1 does not hold
 * what was written: it is failed, as by a failed write, not left in
 * sync with a read error counted.
 */
static void mirvol_test_read_repair_lost_write(struct kunit *test)
{
	struct io_ctx *ctx = test->priv;
	unsigned int saved = mirvol_max_read_errors;
	struct mirvol_plex *p0, *p1;
	const sector_t s = 2048;

	io_create(test, "kunit-lostw", 2, true, NULL);
	p0 = ctx->vol->plexes[0];
	p1 = ctx->vol->plexes[1];
	fill(ctx->pages, 0x7777);
	KUNIT_ASSERT_EQ(test, do_io(vbdev(ctx), REQ_OP_WRITE, s, ctx->pages,
				    IO_PAGES), 0);
	spoil_range(test, ctx, 1, s, 1);
	mirvol_max_read_errors = 1000;
	WRITE_ONCE(p1->inject_bad[0], MIRVOL_DATA_OFFSET_SECTORS + s);
	WRITE_ONCE(p1->inject_bad[1], MIRVOL_DATA_OFFSET_SECTORS + s + 8);
	WRITE_ONCE(p1->inject, MIRVOL_INJECT_LOSE_WRITE);
	/* Plex 1 is nearer: it gets the read. */
	WRITE_ONCE(p0->head, 1);
	WRITE_ONCE(p1->head, s);
	KUNIT_ASSERT_EQ(test, do_io(vbdev(ctx), REQ_OP_READ, s, ctx->check, 1),
			0);
	KUNIT_ASSERT_EQ(test, atomic_read(&p1->inject_bad_reads), 1);
	flush_work(&ctx->vol->repair_work);
	flush_work(&ctx->vol->worker);
	mirvol_max_read_errors = saved;
	KUNIT_EXPECT_EQ(test, p1->state, MIRVOL_PLEX_FAILED);
	KUNIT_EXPECT_EQ(test, atomic64_read(&p1->corrected_read_errors), 0LL);
	KUNIT_EXPECT_EQ(test, ctx->vol->state, MIRVOL_VOLUME_DEGRADED);
	/* What is read is what was written. */
	WRITE_ONCE(p1->inject, 0);
	fill(ctx->pages, 0x7777);
	KUNIT_ASSERT_EQ(test, do_io(vbdev(ctx), REQ_OP_READ, s, ctx->check,
				    IO_PAGES), 0);
	KUNIT_EXPECT_TRUE(test, same(ctx->pages, ctx->check));
	WRITE_ONCE(p1->inject_bad[1], 0);
}

/*
 * Plex 1 fails a read that plex 0 serves, and the read repair cannot
 * be queued (no memory in the completion).  Plex 1's error is neither
 * corrected nor known uncorrected: nothing is counted against it (under
 * memory pressure, counting would fail a plex whose data may be good).
 */
static void mirvol_test_read_repair_nomem_counts_nothing(struct kunit *test)
{
	struct io_ctx *ctx = test->priv;
	struct mirvol_plex *p0, *p1;
	const sector_t s = 2048;

	io_create(test, "kunit-rqnomem", 2, true, NULL);
	p0 = ctx->vol->plexes[0];
	p1 = ctx->vol->plexes[1];
	fill(ctx->pages, 0x8888);
	KUNIT_ASSERT_EQ(test, do_io(vbdev(ctx), REQ_OP_WRITE, s, ctx->pages,
				    IO_PAGES), 0);
	WRITE_ONCE(p1->inject_bad[0], MIRVOL_DATA_OFFSET_SECTORS + s);
	WRITE_ONCE(p1->inject_bad[1], MIRVOL_DATA_OFFSET_SECTORS + s + 8);
	WRITE_ONCE(mirvol_kunit_repair_queue_nomem, true);
	WRITE_ONCE(p0->head, 1);
	WRITE_ONCE(p1->head, s);
	KUNIT_ASSERT_EQ(test, do_io(vbdev(ctx), REQ_OP_READ, s, ctx->check, 1),
			0);
	KUNIT_ASSERT_EQ(test, atomic_read(&p1->inject_bad_reads), 1);
	flush_work(&ctx->vol->repair_work);
	WRITE_ONCE(mirvol_kunit_repair_queue_nomem, false);
	KUNIT_EXPECT_EQ(test, mirvol_plex_read_errors(p1), 0U);
	KUNIT_EXPECT_EQ(test, p1->state, MIRVOL_PLEX_ACTIVE);
	KUNIT_EXPECT_TRUE(test, !memcmp(page_address(ctx->pages[0]),
					page_address(ctx->check[0]),
					PAGE_SIZE));
	WRITE_ONCE(p1->inject_bad[1], 0);
}

/* The read repair work, held as it starts (rs_repair_hook()). */
static struct {
	struct completion entered;
	struct completion go;
} rs;

static void rs_repair_hook(struct mirvol_volume *vol)
{
	WRITE_ONCE(mirvol_kunit_repair_work_hook, NULL);
	complete(&rs.entered);
	wait_for_completion_timeout(&rs.go, 60 * HZ);
}

/*
 * A read repair is queued for plex 1, which then leaves the volume; a
 * new plex takes its slot before the repair runs.  The repair was meant
 * for the plex that failed the read: the new one is neither rewritten
 * nor counted a corrected (or uncorrected) read error.
 */
static void mirvol_test_read_repair_slot_refilled(struct kunit *test)
{
	struct io_ctx *ctx = test->priv;
	struct mirvol_plex *p0, *p1, *added;
	struct mirvol_op_info info;
	u8 uuid[MIRVOL_UUID_LEN];
	const sector_t s = 2048;
	u64 op_id = 0;

	io_create(test, "kunit-rslot", 2, true, NULL);
	p0 = ctx->vol->plexes[0];
	p1 = ctx->vol->plexes[1];
	fill(ctx->pages, 0x9999);
	KUNIT_ASSERT_EQ(test, do_io(vbdev(ctx), REQ_OP_WRITE, s, ctx->pages,
				    IO_PAGES), 0);
	init_completion(&rs.entered);
	init_completion(&rs.go);
	WRITE_ONCE(mirvol_kunit_repair_work_hook, rs_repair_hook);
	WRITE_ONCE(p1->inject_bad[0], MIRVOL_DATA_OFFSET_SECTORS + s);
	WRITE_ONCE(p1->inject_bad[1], MIRVOL_DATA_OFFSET_SECTORS + s + 8);
	WRITE_ONCE(p0->head, 1);
	WRITE_ONCE(p1->head, s);
	KUNIT_EXPECT_EQ(test, do_io(vbdev(ctx), REQ_OP_READ, s, ctx->check, 1),
			0);
	KUNIT_EXPECT_EQ(test, atomic_read(&p1->inject_bad_reads), 1);
	if (!wait_for_completion_timeout(&rs.entered, 10 * HZ)) {
		WRITE_ONCE(mirvol_kunit_repair_work_hook, NULL);
		KUNIT_FAIL(test, "no read repair queued");
		return;
	}
	/* Plex 1 goes, a new plex takes slot 1 (synced by add-plex). */
	memcpy(uuid, &p1->uuid, MIRVOL_UUID_LEN);
	KUNIT_EXPECT_EQ(test, mirvol_remove_plex(ctx->vol, uuid, &op_id),
			MIRVOL_R_NONE);
	if (op_id)
		KUNIT_EXPECT_EQ(test, mirvol_op_wait(op_id, 60000, &info),
				MIRVOL_R_NONE);
	op_id = 0;
	KUNIT_EXPECT_EQ(test, mirvol_add_plex(ctx->vol, ctx->ram[2], NULL,
					      false, &op_id), MIRVOL_R_NONE);
	if (op_id)
		KUNIT_EXPECT_EQ(test, mirvol_op_wait(op_id, 60000, &info),
				MIRVOL_R_NONE);
	added = ctx->vol->plexes[1];
	complete(&rs.go);
	flush_work(&ctx->vol->repair_work);
	KUNIT_ASSERT_NOT_NULL(test, added);
	KUNIT_ASSERT_NE(test, memcmp(&added->uuid, uuid, MIRVOL_UUID_LEN), 0);
	KUNIT_EXPECT_EQ(test, added->state, MIRVOL_PLEX_ACTIVE);
	KUNIT_EXPECT_EQ(test, atomic64_read(&added->corrected_read_errors),
			0LL);
	KUNIT_EXPECT_EQ(test, mirvol_plex_read_errors(added), 0U);
}

/* Plex @i's 64 KiB of data at @s hold fill(@seed ^ @s). */
static bool plex_holds(struct kunit *test, struct io_ctx *ctx, unsigned int i,
		       sector_t s, u32 seed)
{
	fill(ctx->pages, seed ^ (u32)s);
	KUNIT_EXPECT_EQ(test, read_plex(ctx, i, s), 0);
	return same(ctx->pages, ctx->check);
}

/*
 * A repair from a named source rewrites plex 0 from plex 1: a change of
 * what an in-sync plex holds, whose bitmap bit must be set as a write's.
 * Plex 2, offline meanwhile and covered, comes back partial: without the
 * bit it kept the content the others no longer hold.
 */
static void mirvol_test_repair_offline(struct kunit *test)
{
	const sector_t s = 4096;
	struct io_ctx *ctx = test->priv;
	struct mirvol_op_info info;
	struct mirvol_plex *p2;

	p2 = p2_offline_clean(test, "kunit-repairoff", 0x6b6b);
	spoil_range(test, ctx, 1, s, 1);
	scrub(test, ctx, true, 1, &info);
	take_online_op(test, ctx->vol, p2, &info);
	kunit_info(test, "online copied %llu bytes\n", info.total_bytes);
	KUNIT_ASSERT_EQ(test, read_plex(ctx, 1, s), 0);
	memcpy(page_address(ctx->pages[0]), page_address(ctx->check[0]),
	       PAGE_SIZE);
	KUNIT_ASSERT_EQ(test, read_plex(ctx, 0, s), 0);
	KUNIT_EXPECT_EQ(test, memcmp(page_address(ctx->pages[0]),
				     page_address(ctx->check[0]), PAGE_SIZE), 0);
	KUNIT_ASSERT_EQ(test, read_plex(ctx, 2, s), 0);
	KUNIT_EXPECT_EQ_MSG(test, memcmp(page_address(ctx->pages[0]),
					 page_address(ctx->check[0]),
					 PAGE_SIZE), 0,
			    "plex 2 differs from the repaired plexes");
}

/* Repair from plex 0 and wait for it, and for the read repairs it queued. */
static void repair_from_0(struct kunit *test, struct io_ctx *ctx,
			  struct mirvol_op_info *info)
{
	u64 op_id = 0;

	KUNIT_ASSERT_EQ(test, mirvol_scrub_start(ctx->vol, true,
						 ctx->vol->plexes[0]->uuid.b,
						 &op_id), MIRVOL_R_NONE);
	KUNIT_ASSERT_EQ(test, mirvol_op_wait(op_id, 120000, info),
			MIRVOL_R_NONE);
	flush_work(&ctx->vol->repair_work);
}

/*
 * repair --from a source that cannot read a chunk: the administrator
 * named it because another plex is corrupt, so that chunk is neither
 * compared nor rewritten from another plex, and the source is not
 * read-repaired from one either.  The rest is repaired; the operation
 * fails with SOURCE_READ_ERROR naming the chunk.  A source that leaves
 * the in-sync set stops the repair with PLEX_NOT_IN_SYNC.
 */
static void mirvol_test_repair_source_unreadable(struct kunit *test)
{
	const sector_t w = 2 * MIRVOL_SYNC_CHUNK, w2 = 3 * MIRVOL_SYNC_CHUNK;
	const sector_t bad = w + 64;
	struct io_ctx *ctx = test->priv;
	unsigned int saved = mirvol_max_read_errors;
	struct mirvol_op_info info;
	struct mirvol_plex *p0;

	io_create(test, "kunit-repsrc", 3, true, NULL);
	p0 = ctx->vol->plexes[0];
	write_pattern(test, ctx, 0x2468);
	/* Plex 1 is corrupt in two chunks; plex 0 cannot read the first. */
	spoil_range(test, ctx, 1, w, IO_PAGES);
	spoil_range(test, ctx, 1, w2, IO_PAGES);
	WRITE_ONCE(p0->inject_bad[0], MIRVOL_DATA_OFFSET_SECTORS + bad);
	WRITE_ONCE(p0->inject_bad[1], MIRVOL_DATA_OFFSET_SECTORS + bad + 8);
	repair_from_0(test, ctx, &info);

	/* Where the source could not read, nothing got plex 1's data. */
	KUNIT_EXPECT_TRUE_MSG(test, plex_holds(test, ctx, 2, w, 0x2468),
			      "plex 2 rewritten where the source could not read");
	KUNIT_EXPECT_TRUE_MSG(test, plex_holds(test, ctx, 0, w, 0x2468),
			      "the source rewritten where it could not read");
	KUNIT_EXPECT_NE_MSG(test, p0->inject_bad[1], p0->inject_bad[0],
			    "the source's unreadable sectors were rewritten");
	KUNIT_EXPECT_TRUE(test, plex_holds(test, ctx, 1, w, 0xbad00000));
	/* Where it could, plex 1 was repaired from it. */
	KUNIT_EXPECT_TRUE(test, plex_holds(test, ctx, 1, w2, 0x2468));
	/* No success: the chunk not compared is named. */
	KUNIT_EXPECT_EQ(test, info.state, (u32)MIRVOL_OPS_FAILED);
	KUNIT_EXPECT_EQ(test, info.reason, (u32)MIRVOL_R_SOURCE_READ_ERROR);
	KUNIT_EXPECT_EQ(test, info.bad_offset_bytes, (u64)w << 9);
	KUNIT_EXPECT_EQ(test, info.bad_bytes, (u64)MIRVOL_SYNC_CHUNK << 9);
	KUNIT_EXPECT_EQ(test, info.mismatch_bytes, (u64)IO_PAGES * 8 << 9);
	KUNIT_EXPECT_EQ(test, p0->state, MIRVOL_PLEX_ACTIVE);
	/* Its read error was not corrected. */
	KUNIT_EXPECT_EQ(test, mirvol_plex_read_errors(p0), 1U);
	KUNIT_EXPECT_EQ(test, atomic64_read(&p0->corrected_read_errors), 0LL);

	/* The source fails (too many read errors) on the way: it stops. */
	mirvol_max_read_errors = 1;
	WRITE_ONCE(p0->inject_bad[0], MIRVOL_DATA_OFFSET_SECTORS);
	WRITE_ONCE(p0->inject_bad[1],
		   MIRVOL_DATA_OFFSET_SECTORS + ctx->vol->size);
	repair_from_0(test, ctx, &info);
	mirvol_max_read_errors = saved;
	KUNIT_EXPECT_EQ(test, info.state, (u32)MIRVOL_OPS_FAILED);
	KUNIT_EXPECT_EQ(test, info.reason, (u32)MIRVOL_R_PLEX_NOT_IN_SYNC);
	KUNIT_EXPECT_EQ(test, info.bad_offset_bytes, 0ULL);
	KUNIT_EXPECT_EQ(test, info.bad_bytes, (u64)MIRVOL_SYNC_CHUNK << 9);
	KUNIT_EXPECT_EQ(test, p0->state, MIRVOL_PLEX_FAILED);
	KUNIT_EXPECT_TRUE(test, plex_holds(test, ctx, 2, w, 0x2468));
	KUNIT_EXPECT_TRUE(test, plex_holds(test, ctx, 1, w, 0xbad00000));
	WRITE_ONCE(p0->inject_bad[1], 0);
}

/* A check or repair (no named source), however it ends; its read repairs. */
static void scrub_end(struct kunit *test, struct io_ctx *ctx, bool repair,
		      struct mirvol_op_info *info)
{
	u64 op_id = 0;

	KUNIT_ASSERT_EQ(test, mirvol_scrub_start(ctx->vol, repair, NULL,
						 &op_id), MIRVOL_R_NONE);
	KUNIT_ASSERT_EQ(test, mirvol_op_wait(op_id, 120000, info),
			MIRVOL_R_NONE);
	flush_work(&ctx->vol->repair_work);
}

/* Device sectors [@s, @e) of the volume's data on plex @i fail reads. */
static void unreadable(struct io_ctx *ctx, unsigned int i, sector_t s,
		       sector_t e)
{
	struct mirvol_plex *plex = ctx->vol->plexes[i];

	WRITE_ONCE(plex->inject_bad[0], MIRVOL_DATA_OFFSET_SECTORS + s);
	WRITE_ONCE(plex->inject_bad[1], MIRVOL_DATA_OFFSET_SECTORS + e);
}

/*
 * A chunk no plex can read is data lost: a check (or a repair without a
 * named source) counts it in unreadable_bytes, names the first such range
 * and goes on, so that a mismatch after it is still found (and repaired);
 * then it fails with DATA_UNREADABLE.  Nothing is rewritten there (there
 * is no copy to take) and no plex leaves the in-sync set for it.
 */
static void mirvol_test_check_unreadable(struct kunit *test)
{
	const sector_t w = 2 * MIRVOL_SYNC_CHUNK, w2 = 4 * MIRVOL_SYNC_CHUNK;
	struct io_ctx *ctx = test->priv;
	struct mirvol_op_info info;
	unsigned int i, pass;

	io_create(test, "kunit-unread", 2, true, NULL);
	write_pattern(test, ctx, 0x1b1b);
	spoil_range(test, ctx, 1, w2, IO_PAGES);
	unreadable(ctx, 0, w, w + MIRVOL_SYNC_CHUNK);
	unreadable(ctx, 1, w, w + MIRVOL_SYNC_CHUNK);
	for (pass = 0; pass < 2; pass++) {
		bool repair = pass;

		scrub_end(test, ctx, repair, &info);
		KUNIT_EXPECT_EQ_MSG(test, info.state, (u32)MIRVOL_OPS_FAILED,
				    "%s", repair ? "repair" : "check");
		KUNIT_EXPECT_EQ(test, info.reason,
				(u32)MIRVOL_R_DATA_UNREADABLE);
		KUNIT_EXPECT_EQ(test, info.error, EIO);
		KUNIT_EXPECT_EQ(test, info.unreadable_bytes,
				(u64)MIRVOL_SYNC_CHUNK << 9);
		KUNIT_EXPECT_EQ(test, info.bad_offset_bytes, (u64)w << 9);
		KUNIT_EXPECT_EQ(test, info.bad_bytes,
				(u64)MIRVOL_SYNC_CHUNK << 9);
		/* It went on: the mismatch after the chunk is counted. */
		KUNIT_EXPECT_EQ(test, info.mismatch_bytes,
				(u64)IO_PAGES * 8 << 9);
		KUNIT_EXPECT_EQ(test, ctx->vol->mismatch_sectors,
				(u64)IO_PAGES * 8);
		KUNIT_EXPECT_EQ(test, info.done_bytes, info.total_bytes);
		for (i = 0; i < 2; i++) {
			struct mirvol_plex *plex = ctx->vol->plexes[i];

			KUNIT_EXPECT_EQ(test, plex->state, MIRVOL_PLEX_ACTIVE);
			KUNIT_EXPECT_NE_MSG(test, plex->inject_bad[1],
					    plex->inject_bad[0],
					    "plex %u rewritten where no plex could read",
					    i);
			/* Uncorrected, once per range and pass. */
			KUNIT_EXPECT_EQ(test, mirvol_plex_read_errors(plex),
					pass + 1);
			KUNIT_EXPECT_EQ(test,
					atomic64_read(&plex->corrected_read_errors),
					0LL);
		}
	}
	/* The repair rewrote the mismatch after the chunk. */
	KUNIT_EXPECT_TRUE(test, plex_holds(test, ctx, 1, w2, 0x1b1b));
	KUNIT_EXPECT_EQ(test, ctx->vol->state, MIRVOL_VOLUME_ONLINE);

	/* Readable again (a disk remaps what is written): all is well. */
	for (i = 0; i < 2; i++)
		unreadable(ctx, i, w, w);
	scrub(test, ctx, false, -1, &info);
	KUNIT_EXPECT_EQ(test, info.unreadable_bytes, 0ULL);
	KUNIT_EXPECT_EQ(test, info.bad_bytes, 0ULL);
	KUNIT_EXPECT_EQ(test, info.mismatch_bytes, 0ULL);
}

/*
 * Read errors in a chunk that another plex can read lose nothing.  One
 * plex fails: it is repaired from the other (the check succeeds, as md's
 * does).  Each plex fails a different part of the chunk: no plex reads
 * all of it, yet every sector has a copy; each plex is repaired from the
 * other, what both read is compared, and the check succeeds.
 */
static void mirvol_test_check_read_errors_covered(struct kunit *test)
{
	const sector_t w = 2 * MIRVOL_SYNC_CHUNK;
	struct io_ctx *ctx = test->priv;
	struct mirvol_op_info info;
	struct mirvol_plex *p0, *p1;

	io_create(test, "kunit-covered", 2, true, NULL);
	p0 = ctx->vol->plexes[0];
	p1 = ctx->vol->plexes[1];
	write_pattern(test, ctx, 0x4d4d);

	unreadable(ctx, 0, w + 64, w + 72);
	scrub_end(test, ctx, false, &info);
	KUNIT_EXPECT_EQ(test, info.state, (u32)MIRVOL_OPS_SUCCEEDED);
	KUNIT_EXPECT_EQ(test, info.unreadable_bytes, 0ULL);
	KUNIT_EXPECT_EQ(test, info.bad_bytes, 0ULL);
	KUNIT_EXPECT_EQ(test, p0->inject_bad[1], p0->inject_bad[0]);
	KUNIT_EXPECT_EQ(test, atomic64_read(&p0->corrected_read_errors), 1LL);

	/* 8 sectors differ in the chunk, where both plexes read. */
	spoil_range(test, ctx, 1, w + 1024, 1);
	unreadable(ctx, 0, w + 64, w + 72);
	unreadable(ctx, 1, w + 256, w + 264);
	scrub_end(test, ctx, false, &info);
	KUNIT_EXPECT_EQ(test, info.state, (u32)MIRVOL_OPS_SUCCEEDED);
	KUNIT_EXPECT_EQ(test, info.reason, (u32)MIRVOL_R_NONE);
	KUNIT_EXPECT_EQ(test, info.unreadable_bytes, 0ULL);
	KUNIT_EXPECT_EQ(test, info.bad_bytes, 0ULL);
	KUNIT_EXPECT_EQ(test, info.mismatch_bytes, 8ULL << 9);
	KUNIT_EXPECT_EQ_MSG(test, p0->inject_bad[1], p0->inject_bad[0],
			    "plex 0 not repaired from plex 1");
	KUNIT_EXPECT_EQ_MSG(test, p1->inject_bad[1], p1->inject_bad[0],
			    "plex 1 not repaired from plex 0");
	KUNIT_EXPECT_EQ(test, atomic64_read(&p0->corrected_read_errors), 2LL);
	KUNIT_EXPECT_EQ(test, atomic64_read(&p1->corrected_read_errors), 1LL);
	KUNIT_EXPECT_EQ(test, mirvol_plex_read_errors(p0), 0U);
	KUNIT_EXPECT_EQ(test, mirvol_plex_read_errors(p1), 0U);
	KUNIT_EXPECT_TRUE(test, plex_holds(test, ctx, 0, w, 0x4d4d));
	KUNIT_EXPECT_TRUE(test, plex_holds(test, ctx, 1, w + 256, 0x4d4d));
	/* A check rewrites read errors only: the mismatch stays. */
	KUNIT_EXPECT_FALSE(test, plex_holds(test, ctx, 1, w + 1024, 0x4d4d));
}

/*
 * A plex that fails part of a chunk another plex reads whole is still
 * compared where it reads.  A check counts its mismatch and leaves it,
 * rewriting only the sectors the plex could not read; a repair, with or
 * without a named source, counts the mismatch once and rewrites it.
 */
static void mirvol_test_check_read_errors_partial(struct kunit *test)
{
	const sector_t w = 2 * MIRVOL_SYNC_CHUNK;
	struct io_ctx *ctx = test->priv;
	struct mirvol_op_info info;
	struct mirvol_plex *p1;
	unsigned int pass;

	io_create(test, "kunit-cov1", 2, true, NULL);
	p1 = ctx->vol->plexes[1];
	write_pattern(test, ctx, 0x4d4d);
	for (pass = 0; pass < 3; pass++) {
		static const char * const name[] = {
			"check", "repair", "repair --from"
		};

		/* 8 sectors differ, 8 others plex 1 cannot read. */
		spoil_range(test, ctx, 1, w + 1024, 1);
		unreadable(ctx, 1, w + 256, w + 264);
		if (pass < 2)
			scrub_end(test, ctx, pass, &info);
		else
			repair_from_0(test, ctx, &info);
		KUNIT_EXPECT_EQ_MSG(test, info.state, (u32)MIRVOL_OPS_SUCCEEDED,
				    "%s", name[pass]);
		KUNIT_EXPECT_EQ(test, info.unreadable_bytes, 0ULL);
		KUNIT_EXPECT_EQ(test, info.bad_bytes, 0ULL);
		KUNIT_EXPECT_EQ_MSG(test, info.mismatch_bytes, 8ULL << 9,
				    "%s: the mismatch not counted",
				    name[pass]);
		KUNIT_EXPECT_EQ(test, ctx->vol->mismatch_sectors, 8ULL);
		/* The unreadable sectors were rewritten, and read again. */
		KUNIT_EXPECT_EQ_MSG(test, p1->inject_bad[1], p1->inject_bad[0],
				    "%s: plex 1 not repaired from plex 0",
				    name[pass]);
		KUNIT_EXPECT_EQ(test, atomic64_read(&p1->corrected_read_errors),
				(s64)pass + 1);
		KUNIT_EXPECT_EQ(test, mirvol_plex_read_errors(p1), 0U);
		KUNIT_EXPECT_TRUE(test, plex_holds(test, ctx, 1, w + 256,
						   0x4d4d));
		/* A check leaves the mismatch; a repair rewrites it. */
		KUNIT_EXPECT_EQ_MSG(test,
				    plex_holds(test, ctx, 1, w + 1024, 0x4d4d),
				    pass > 0, "%s: plex 1's mismatch %s",
				    name[pass], pass ? "left" : "overwritten");
		KUNIT_EXPECT_TRUE(test, plex_holds(test, ctx, 0, w + 1024,
						   0x4d4d));
	}
	KUNIT_EXPECT_EQ(test, p1->state, MIRVOL_PLEX_ACTIVE);
	scrub(test, ctx, false, -1, &info);
	KUNIT_EXPECT_EQ(test, info.mismatch_bytes, 0ULL);
}

struct teardown_ctx {
	struct work_struct work;
	struct mirvol_volume *vol;
	enum mirvol_reason reason;
	struct completion done;
};

static void teardown_fn(struct work_struct *work)
{
	struct teardown_ctx *tc = container_of(work, struct teardown_ctx,
					       work);

	tc->reason = mirvol_volume_teardown(tc->vol, false);
	complete(&tc->done);
}

/* Stop @vol from a worker (its file closed): teardown_fn(). */
static void teardown_start(struct teardown_ctx *tc, struct mirvol_volume *vol)
{
	INIT_WORK_ONSTACK(&tc->work, teardown_fn);
	init_completion(&tc->done);
	tc->vol = vol;
	queue_work(system_unbound_wq, &tc->work);
}

/* The stop ended: it succeeded, and ctx's reference to the volume goes. */
static void teardown_finish(struct kunit *test, struct teardown_ctx *tc)
{
	struct io_ctx *ctx = test->priv;

	flush_work(&tc->work);
	destroy_work_on_stack(&tc->work);
	KUNIT_EXPECT_EQ(test, tc->reason, MIRVOL_R_NONE);
	mirvol_volume_put(tc->vol);
	ctx->vol = NULL;
}

/*
 * A volume stopped while its read repair runs.  The repair takes an I/O
 * reference for each chunk and again to count the outcome; the stop holds
 * the volume's I/O for good (the disk is deleted) and then flushes the
 * repair work.  A repair that waits for the I/O to resume after the stop
 * drained it waits forever, and so does the stop.
 */
static void mirvol_test_stop_during_read_repair(struct kunit *test)
{
	struct io_ctx *ctx = test->priv;
	struct mirvol_volume *vol;
	struct teardown_ctx tc;
	struct mirvol_plex *p0, *p1;
	const sector_t s = 1024;
	bool ended;

	io_create(test, "kunit-stoprep", 2, true, NULL);
	vol = ctx->vol;
	p0 = vol->plexes[0];
	p1 = vol->plexes[1];
	write_pattern(test, ctx, 0x57e9);
	/* The read fails on plex 1, plex 0 serves it: plex 1 is repaired. */
	unreadable(ctx, 1, s, s + 8);
	WRITE_ONCE(p1->inject, MIRVOL_INJECT_HOLD);
	WRITE_ONCE(p0->head, 1);
	WRITE_ONCE(p1->head, s);
	KUNIT_ASSERT_EQ(test, do_io(vbdev(ctx), REQ_OP_READ, s, ctx->check, 1),
			0);
	/* The repair's rewrite of plex 1 is held: it holds an I/O reference. */
	KUNIT_ASSERT_TRUE(test, wait_until(mirvol_kunit_nr_held() == 1));

	__fput_sync(ctx->vfile);
	ctx->vfile = NULL;
	teardown_start(&tc, vol);
	/* The stop drains the volume's I/O: it waits for the repair. */
	KUNIT_EXPECT_TRUE(test,
			  wait_until(test_bit(MIRVOL_VOL_SUSPENDED, &vol->flags)));
	KUNIT_EXPECT_FALSE(test, wait_for_completion_timeout(&tc.done,
							    HZ / 5));
	WRITE_ONCE(p1->inject, 0);
	WRITE_ONCE(p1->inject_bad[1], p1->inject_bad[0]);
	KUNIT_EXPECT_EQ(test, mirvol_kunit_end_held(BLK_STS_OK), 1U);
	ended = wait_for_completion_timeout(&tc.done, 10 * HZ);
	KUNIT_EXPECT_TRUE_MSG(test, ended,
			      "the stop hangs: the read repair waits for I/O that never resumes");
	if (!ended) {
		/* Let the repair (and so the stop) go on, as a resume would. */
		percpu_ref_resurrect(&vol->io_ref);
		clear_bit(MIRVOL_VOL_SUSPENDED, &vol->flags);
		wake_up_all(&vol->wait);
		wait_for_completion(&tc.done);
	}
	teardown_finish(test, &tc);
}

/* The salvage goes on once a stop holds the volume's I/O. */
static void salvage_stop_hook(struct mirvol_volume *vol, unsigned int i)
{
	complete(&salvage_at.reached);
	salvage_at.seen = wait_until(test_bit(MIRVOL_VOL_SUSPENDED,
					      &vol->flags));
}

static void salvage_read_fn(struct work_struct *work)
{
	salvage_at.ret = salvage_read(salvage_at.test, 0);
}

/*
 * A volume stopped while a salvage runs (plex 0 failing block 1, plex 1
 * block 8; the stop comes as it reaches block 4).  The read holds an I/O
 * reference: the stop waits for it, and the read is served whole; then
 * the stop ends cleanly, the repair the read queued dropped.
 */
static void mirvol_test_stop_during_salvage(struct kunit *test)
{
	static const sector_t bad[2][2] = { { 8, 16 }, { 64, 72 } };
	struct io_ctx *ctx = test->priv;
	struct work_struct rw;
	struct teardown_ctx tc;
	unsigned int saved;

	saved = salvage_setup(test, "kunit-stopsalv", 0x7373, 2, bad);
	salvage_at_set(4, 0, salvage_stop_hook);
	salvage_at.test = test;
	salvage_at.ret = -EINPROGRESS;
	INIT_WORK_ONSTACK(&rw, salvage_read_fn);
	queue_work(system_unbound_wq, &rw);
	KUNIT_EXPECT_TRUE(test,
			  wait_for_completion_timeout(&salvage_at.reached,
						      10 * HZ));
	/* The read is in flight: the file is not needed to end it. */
	__fput_sync(ctx->vfile);
	ctx->vfile = NULL;
	teardown_start(&tc, ctx->vol);
	KUNIT_EXPECT_TRUE_MSG(test, wait_for_completion_timeout(&tc.done,
								30 * HZ),
			      "the stop hangs");
	teardown_finish(test, &tc);
	flush_work(&rw);
	destroy_work_on_stack(&rw);
	mirvol_max_read_errors = saved;
	KUNIT_EXPECT_TRUE_MSG(test, salvage_at.seen,
			      "the stop did not hold the I/O during the salvage");
	KUNIT_EXPECT_EQ(test, salvage_at.ret, 0);
}

/* Read repairs queued by a volume's start that then fails. */
static struct {
	struct page **pages;
	int r1, r2;
	bool held;
	bool stop;
} fsr;

/* Let held repair writes go, every half second until told to stop. */
static void fsr_release_fn(struct work_struct *work);
static DECLARE_DELAYED_WORK(fsr_release_work, fsr_release_fn);

static void fsr_release_fn(struct work_struct *work)
{
	mirvol_kunit_end_held(BLK_STS_OK);
	if (!READ_ONCE(fsr.stop))
		schedule_delayed_work(&fsr_release_work, HZ / 2);
}

/*
 * Once the disk is added (udev's probe): two reads fail on plex 1, plex
 * 0 serves them.  The first one's repair runs, a unit at a time (no
 * memory for 2 MiB), its rewrites held; the second is queued behind it.
 */
static void fsr_start_hook(struct mirvol_volume *vol)
{
	struct mirvol_plex *p0 = vol->plexes[0], *p1 = vol->plexes[1];
	const sector_t s = 2048;
	struct file *file;

	WRITE_ONCE(mirvol_kunit_start_hook, NULL);
	file = open_dev(disk_devt(vol->disk));
	if (IS_ERR(file))
		return;
	WRITE_ONCE(mirvol_kunit_repair_nomem, true);
	WRITE_ONCE(p1->inject_bad[0], MIRVOL_DATA_OFFSET_SECTORS + s);
	WRITE_ONCE(p1->inject_bad[1], MIRVOL_DATA_OFFSET_SECTORS + s + 16);
	WRITE_ONCE(p1->inject, MIRVOL_INJECT_HOLD);
	WRITE_ONCE(p0->head, 1);
	WRITE_ONCE(p1->head, s);
	fsr.r1 = do_io(file_bdev(file), REQ_OP_READ, s, fsr.pages, 2);
	fsr.held = wait_until(mirvol_kunit_nr_held() == 1);
	WRITE_ONCE(p0->head, 1);
	WRITE_ONCE(p1->head, s);
	fsr.r2 = do_io(file_bdev(file), REQ_OP_READ, s, fsr.pages, 2);
	__fput_sync(file);
	schedule_delayed_work(&fsr_release_work, HZ);
}

/*
 * A start that fails after add_disk() takes the disk away (vol->disk
 * NULL) once it drained the I/O; read repairs that reads of its disk
 * queued may still be running or queued then, and a repair sizes its
 * buffer from the disk's logical block size.  The failed create must
 * return with every such repair done, none of them touching a NULL disk.
 */
static void mirvol_test_start_fails_repair_queued(struct kunit *test)
{
	struct io_ctx *ctx = test->priv;
	struct mirvol_volume *vol = NULL;
	enum mirvol_reason reason;
	u64 id = 0, region = 0;

	memset(&fsr, 0, sizeof(fsr));
	fsr.pages = ctx->check;
	WRITE_ONCE(mirvol_kunit_start_fail, true);
	WRITE_ONCE(mirvol_kunit_start_hook, fsr_start_hook);
	reason = mirvol_volume_create("kunit-fsrep", ctx->ram, 2,
				      MIRVOL_CREATE_F_ASSUME_CLEAN, &region,
				      &id, NULL, &vol);
	WRITE_ONCE(fsr.stop, true);
	cancel_delayed_work_sync(&fsr_release_work);
	mirvol_kunit_end_held(BLK_STS_OK);
	WRITE_ONCE(mirvol_kunit_repair_nomem, false);
	flush_mirvol_works();
	KUNIT_EXPECT_NE(test, reason, MIRVOL_R_NONE);
	KUNIT_EXPECT_FALSE(test, READ_ONCE(mirvol_kunit_start_fail));
	KUNIT_ASSERT_NULL_MSG(test, READ_ONCE(mirvol_kunit_start_hook),
			      "the start did not add its disk");
	KUNIT_EXPECT_EQ(test, fsr.r1, 0);
	KUNIT_EXPECT_EQ(test, fsr.r2, 0);
	KUNIT_EXPECT_TRUE_MSG(test, fsr.held,
			      "the first repair's rewrite was not held");
}

/*
 * A read repair and a repair pass in the same region take turns.  Plex 1
 * differs from plex 0 in 8 sectors; the repair pass (from plex 0) has read
 * both and its rewrite of plex 1 is in flight (held) when a read of those
 * sectors fails on plex 0 and plex 1 serves it.  The read repair of plex
 * 0 copies plex 1: inside the pass's barrier it would read plex 1's old
 * data and write it over plex 0 while the pass writes plex 0's over plex 1,
 * swapping the two copies, both still in sync, still differing.  It must
 * wait until the pass lowers the barrier, then copy what the pass wrote.
 */
static void mirvol_test_read_repair_waits_scrub(struct kunit *test)
{
	const sector_t w = 2 * MIRVOL_SYNC_CHUNK;
	struct io_ctx *ctx = test->priv;
	struct mirvol_op_info info;
	struct mirvol_plex *p0, *p1;
	u64 op_id = 0;
	unsigned int i;

	io_create(test, "kunit-swap", 2, true, NULL);
	p0 = ctx->vol->plexes[0];
	p1 = ctx->vol->plexes[1];
	write_pattern(test, ctx, 0x5a5a);
	spoil_range(test, ctx, 1, w, 1);
	WRITE_ONCE(p1->inject, MIRVOL_INJECT_HOLD);
	KUNIT_ASSERT_EQ(test, mirvol_scrub_start(ctx->vol, true, NULL, &op_id),
			MIRVOL_R_NONE);
	/* The pass compared the chunk; its rewrite of plex 1 is held. */
	KUNIT_EXPECT_TRUE(test, wait_until(mirvol_kunit_nr_held() == 1));

	/* A read there fails on plex 0, plex 1 serves it: read repair. */
	unreadable(ctx, 0, w, w + 8);
	WRITE_ONCE(p0->head, w);
	WRITE_ONCE(p1->head, 1);
	KUNIT_EXPECT_EQ(test, do_io(vbdev(ctx), REQ_OP_READ, w, ctx->check, 1),
			0);
	/* Time for the repair to run, were it let in (it is not). */
	for (i = 0; i < 50 && !atomic64_read(&p0->corrected_read_errors); i++)
		msleep(20);

	WRITE_ONCE(p1->inject, 0);
	KUNIT_EXPECT_EQ(test, mirvol_kunit_end_held(BLK_STS_OK), 1U);
	KUNIT_ASSERT_EQ(test, mirvol_op_wait(op_id, 120000, &info),
			MIRVOL_R_NONE);
	flush_work(&ctx->vol->repair_work);
	KUNIT_EXPECT_EQ(test, info.state, (u32)MIRVOL_OPS_SUCCEEDED);
	KUNIT_EXPECT_EQ(test, info.mismatch_bytes, 8ULL << 9);
	/* The read repair ran, and rewrote plex 0's bad sectors. */
	KUNIT_EXPECT_EQ(test, atomic64_read(&p0->corrected_read_errors), 1LL);
	KUNIT_EXPECT_EQ(test, p0->inject_bad[1], p0->inject_bad[0]);
	KUNIT_EXPECT_EQ(test, p0->state, MIRVOL_PLEX_ACTIVE);
	KUNIT_EXPECT_EQ(test, p1->state, MIRVOL_PLEX_ACTIVE);
	/* Both hold plex 0's data: nothing was swapped. */
	KUNIT_EXPECT_TRUE_MSG(test, plex_holds(test, ctx, 0, w, 0x5a5a),
			      "plex 0 got plex 1's old data from the read repair");
	KUNIT_EXPECT_TRUE_MSG(test, plex_holds(test, ctx, 1, w, 0x5a5a),
			      "plex 1 not repaired from plex 0");
	scrub(test, ctx, false, -1, &info);
	KUNIT_EXPECT_EQ_MSG(test, info.mismatch_bytes, 0ULL,
			    "the plexes still differ after the repair");
}

/* An operation kind for framework tests: reserved, never committed. */
static void test_op_release(struct mirvol_operation *op)
{
	kfree(op);
}

static const struct mirvol_op_kind test_op_kind = {
	.type		= MIRVOL_OP_ADD_PLEX,
	.cancellable	= true,
	.release	= test_op_release,
};

struct abort_ctx {
	struct work_struct work;
	struct mirvol_volume *vol;
	struct completion done;
};

static void abort_fn(struct work_struct *work)
{
	struct abort_ctx *ac = container_of(work, struct abort_ctx, work);

	mirvol_op_abort(ac->vol, MIRVOL_R_OBJECT_DELETED);
	complete(&ac->done);
}

/*
 * A reserved operation whose preparer has dropped the locks (add-plex
 * opening its device) is a real state: volume removal asks it to stop
 * and waits until the preparer ends it, and is woken then.  The landed
 * code dropped such an operation without ending it, and the remover
 * slept forever.
 */
static void mirvol_test_op_abort_reserved(struct kunit *test)
{
	struct io_ctx *ctx = test->priv;
	struct mirvol_operation *op;
	struct mirvol_op_info info;
	struct abort_ctx ac;
	u64 id;

	io_create(test, "kunit-reserved", 1, true, NULL);
	op = kzalloc(sizeof(*op), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, op);
	mirvol_op_init(op, &test_op_kind, ctx->vol);
	mutex_lock(&ctx->vol->lock);
	KUNIT_ASSERT_EQ(test, mirvol_op_reserve(op), MIRVOL_R_NONE);
	mutex_unlock(&ctx->vol->lock);
	id = op->id;
	/* Reserved: a second operation is refused. */
	KUNIT_EXPECT_EQ(test, mirvol_resync_start(ctx->vol, false, &id),
			MIRVOL_R_ANOTHER_CALL_IN_PROGRESS);
	id = op->id;

	INIT_WORK_ONSTACK(&ac.work, abort_fn);
	init_completion(&ac.done);
	ac.vol = ctx->vol;
	queue_work(system_unbound_wq, &ac.work);
	/* The remover waits for the preparer, having told it to stop. */
	KUNIT_EXPECT_FALSE(test, wait_for_completion_timeout(&ac.done,
							    HZ / 5));
	KUNIT_EXPECT_EQ(test, mirvol_op_stop_reason(op),
			MIRVOL_R_OBJECT_DELETED);
	/* The preparer takes the lock again, sees it, ends the operation. */
	mutex_lock(&ctx->vol->lock);
	mirvol_op_end(op, mirvol_op_stop_reason(op));
	mutex_unlock(&ctx->vol->lock);
	KUNIT_EXPECT_TRUE(test, wait_for_completion_timeout(&ac.done, 5 * HZ));
	flush_work(&ac.work);
	destroy_work_on_stack(&ac.work);
	KUNIT_EXPECT_NULL(test, ctx->vol->op);
	KUNIT_ASSERT_EQ(test, mirvol_op_wait(id, 1000, &info), MIRVOL_R_NONE);
	KUNIT_EXPECT_EQ(test, info.state, (u32)MIRVOL_OPS_FAILED);
	KUNIT_EXPECT_EQ(test, info.reason, (u32)MIRVOL_R_OBJECT_DELETED);
	mirvol_op_put(op);
}

/* OP_CANCEL reaches a reserved operation too: it ends cancelled. */
static void mirvol_test_op_cancel_reserved(struct kunit *test)
{
	struct io_ctx *ctx = test->priv;
	struct mirvol_operation *op;
	struct mirvol_op_info info;

	io_create(test, "kunit-cancelres", 1, true, NULL);
	op = kzalloc(sizeof(*op), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, op);
	mirvol_op_init(op, &test_op_kind, ctx->vol);
	mutex_lock(&ctx->vol->lock);
	KUNIT_ASSERT_EQ(test, mirvol_op_reserve(op), MIRVOL_R_NONE);
	mutex_unlock(&ctx->vol->lock);
	/* A canceller waits for the end: end it from the test first. */
	WRITE_ONCE(op->stop, MIRVOL_R_OPERATION_CANCELED);
	mutex_lock(&ctx->vol->lock);
	mirvol_op_end(op, mirvol_op_stop_reason(op));
	mutex_unlock(&ctx->vol->lock);
	KUNIT_EXPECT_EQ(test, mirvol_op_cancel(op->id, &info),
			MIRVOL_R_CANCEL_TOO_LATE);
	KUNIT_EXPECT_EQ(test, info.state, (u32)MIRVOL_OPS_CANCELLED);
	/* The ended operation pins no volume: it can go. */
	KUNIT_EXPECT_NULL(test, op->vol);
	mirvol_op_put(op);
}

/*
 * A request refused before its operation ran (add-plex finding its device
 * busy when it opens it) leaves nothing: the ioctl returns the reason,
 * and the table, whose 64 ended operations are the volume's history,
 * keeps no failed operation nobody was given the id of.  A waiter that
 * found it while it was reserved still learns how it ended.  The landed
 * code kept it as failed, and mirvolctl monitor reported a failed
 * resync for every refused add-plex.
 */
static void mirvol_test_op_refused_not_kept(struct kunit *test)
{
	struct io_ctx *ctx = test->priv;
	struct mirvol_operation *op;
	struct mirvol_op_info info;
	unsigned int before;

	io_create(test, "kunit-refused", 1, true, NULL);
	op = kzalloc(sizeof(*op), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, op);
	mirvol_op_init(op, &test_op_kind, ctx->vol);
	before = mirvol_op_list(NULL, 0);
	mutex_lock(&ctx->vol->lock);
	KUNIT_ASSERT_EQ(test, mirvol_op_reserve(op), MIRVOL_R_NONE);
	mutex_unlock(&ctx->vol->lock);
	KUNIT_EXPECT_EQ(test, mirvol_op_list(NULL, 0), before + 1);
	mutex_lock(&ctx->vol->lock);
	mirvol_op_end(op, MIRVOL_R_DEVICE_BUSY);
	mutex_unlock(&ctx->vol->lock);
	KUNIT_EXPECT_NULL(test, ctx->vol->op);
	KUNIT_EXPECT_EQ(test, mirvol_op_list(NULL, 0), before);
	KUNIT_EXPECT_EQ(test, mirvol_op_wait(op->id, 1000, &info),
			MIRVOL_R_OBJECT_NOT_FOUND);
	/* What a waiter holding it reads. */
	mirvol_op_fill(op, &info);
	KUNIT_EXPECT_EQ(test, info.state, (u32)MIRVOL_OPS_FAILED);
	KUNIT_EXPECT_EQ(test, info.reason, (u32)MIRVOL_R_DEVICE_BUSY);
	KUNIT_EXPECT_NULL(test, op->vol);
	mirvol_op_put(op);
}

/*
 * Ended operations stay queryable until MIRVOL_OPS_KEPT newer ones ended
 * (uapi): the table forgets by end, not by start.  The landed code
 * trimmed the oldest reserved ended operation, so a long resync that
 * ended after 64 short operations ended elsewhere was forgotten at its
 * own end, and its waiter read OBJECT_NOT_FOUND.
 */
static void mirvol_test_op_kept_by_end(struct kunit *test)
{
	struct io_ctx *ctx = test->priv;
	struct mirvol_operation *lng, *op;
	struct mirvol_op_info info = {};
	struct mirvol_volume *other;
	enum mirvol_reason reason;
	u64 id = 0, region = 0;
	unsigned int i;

	io_create(test, "kunit-oplong", 1, true, NULL);
	reason = mirvol_volume_create("kunit-opshort", &ctx->ram[1], 1,
				      MIRVOL_CREATE_F_ASSUME_CLEAN, &region,
				      &id, NULL, &other);
	KUNIT_ASSERT_EQ(test, reason, MIRVOL_R_NONE);
	lng = kzalloc(sizeof(*lng), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, lng);
	mirvol_op_init(lng, &test_op_kind, ctx->vol);
	mutex_lock(&ctx->vol->lock);
	KUNIT_ASSERT_EQ(test, mirvol_op_reserve(lng), MIRVOL_R_NONE);
	mutex_unlock(&ctx->vol->lock);
	/* MIRVOL_OPS_KEPT + 1 operations start and end meanwhile. */
	for (i = 0; i <= MIRVOL_OPS_KEPT; i++) {
		op = kzalloc(sizeof(*op), GFP_KERNEL);
		if (!op)
			break;
		mirvol_op_init(op, &test_op_kind, other);
		mutex_lock(&other->lock);
		reason = mirvol_op_reserve(op);
		if (!reason) {
			WRITE_ONCE(op->stop, MIRVOL_R_OPERATION_CANCELED);
			mirvol_op_end(op, MIRVOL_R_OPERATION_CANCELED);
		}
		mutex_unlock(&other->lock);
		mirvol_op_put(op);
		if (reason)
			break;
	}
	KUNIT_EXPECT_EQ(test, i, MIRVOL_OPS_KEPT + 1);
	WRITE_ONCE(lng->stop, MIRVOL_R_OPERATION_CANCELED);
	mutex_lock(&ctx->vol->lock);
	mirvol_op_end(lng, MIRVOL_R_OPERATION_CANCELED);
	mutex_unlock(&ctx->vol->lock);
	KUNIT_EXPECT_EQ_MSG(test, mirvol_op_wait(lng->id, 1000, &info),
			    MIRVOL_R_NONE,
			    "the table forgot the operation as it ended");
	KUNIT_EXPECT_EQ(test, info.state, (u32)MIRVOL_OPS_CANCELLED);
	KUNIT_EXPECT_EQ(test, mirvol_op_list(NULL, 0),
			(unsigned int)MIRVOL_OPS_KEPT);
	mirvol_op_put(lng);
	KUNIT_EXPECT_EQ(test, mirvol_volume_teardown(other, true),
			MIRVOL_R_NONE);
	mirvol_volume_put(other);
}

/* The volume worker's event: held until the failed start let its disk go. */
static void uevent_outlives_disk(struct mirvol_volume *vol)
{
	unsigned int i;

	if (current_work() != &vol->worker)
		return;
	WRITE_ONCE(mirvol_kunit_uevent_hook, NULL);
	for (i = 0; i < 50 && READ_ONCE(vol->disk); i++)
		msleep(20);
}

/*
 * A start that fails after its state change was queued (add_disk() or the
 * sysfs directory failing) gives its disk up while the volume worker may
 * be sending that change's uevent: the worker must not read the disk
 * pointer again, nor may the disk be freed under it.  The landed code
 * cleared vol->disk and put the disk without waiting for the worker,
 * which then dereferenced NULL (or the freed disk).
 */
static void mirvol_test_failed_start_uevent(struct kunit *test)
{
	struct io_ctx *ctx = test->priv;
	struct mirvol_volume *vol = NULL;
	enum mirvol_reason reason;
	u64 id = 0, region = 0;

	WRITE_ONCE(mirvol_kunit_uevent_hook, uevent_outlives_disk);
	WRITE_ONCE(mirvol_kunit_start_fail, true);
	reason = mirvol_volume_create("kunit-nostart", ctx->ram, 2,
				      MIRVOL_CREATE_F_ASSUME_CLEAN, &region,
				      &id, NULL, &vol);
	KUNIT_EXPECT_EQ(test, reason, MIRVOL_R_NO_MEMORY);
	KUNIT_EXPECT_FALSE(test, READ_ONCE(mirvol_kunit_start_fail));
	/* The worker's event was reached and sent, or never queued. */
	flush_mirvol_works();
	KUNIT_EXPECT_NULL(test, READ_ONCE(mirvol_kunit_uevent_hook));
	if (!reason && vol)
		mirvol_volume_put(vol);
	/* The devices were given back: a new volume takes them. */
	io_create(test, "kunit-afterfail", 2, true, NULL);
}

/* A plex lives as long as anybody holds it, in a slot or not. */
static void mirvol_test_plex_refs(struct kunit *test)
{
	struct io_ctx *ctx = test->priv;
	struct mirvol_volume *vol;
	struct mirvol_plex *plex;

	io_create(test, "kunit-refs", 2, true, NULL);
	vol = ctx->vol;
	plex = vol->plexes[1];
	/* The slot and the sysfs directory. */
	KUNIT_EXPECT_EQ(test, kref_read(&plex->ref), 2U);
	mirvol_plex_get(plex);
	mutex_lock(&vol->lock);
	mirvol_suspend_io(vol);
	mutex_lock(&vol->sb_mutex);
	mirvol_detach_plex_held(vol, plex);
	mutex_unlock(&vol->sb_mutex);
	mirvol_resume_io(vol);
	/* Its holder link and plexN/ go with I/O flowing. */
	mirvol_detach_plex_finish(vol, plex);
	mutex_unlock(&vol->lock);
	/* Out of the volume, still ours, its device still claimed. */
	KUNIT_EXPECT_NULL(test, plex->vol);
	KUNIT_EXPECT_NOT_NULL(test, plex->bdev);
	KUNIT_EXPECT_EQ(test, vol->nr_plexes, 1U);
	KUNIT_EXPECT_EQ(test, vol->state, MIRVOL_VOLUME_ONLINE);
	KUNIT_EXPECT_EQ(test, kref_read(&plex->ref), 1U);
	/* The last reference gives the device back: it can be opened. */
	mirvol_plex_put(plex);
	plex = mirvol_plex_alloc();
	KUNIT_ASSERT_NOT_NULL(test, plex);
	KUNIT_EXPECT_EQ(test, mirvol_plex_open(plex, MKDEV(RAMDISK_MAJOR, 1)),
			MIRVOL_R_NONE);
	mirvol_plex_put(plex);
}

/*
 * The device of the last in-sync plex goes away while another plex is
 * syncing: in memory it is missing, but the superblocks keep it in sync
 * (MIRVOL_PLEX_F_LAST_IN_SYNC), so that it is the source when it returns.
 */
static void mirvol_test_last_in_sync_gone(struct kunit *test)
{
	const sector_t offsets[] = { (sector_t)-1, 0 };
	struct io_ctx *ctx = test->priv;
	struct mirvol_plex *p0, *p1;
	struct block_device *bdev;
	struct mirvol_op_info info;
	enum mirvol_reason reason;
	struct mirvol_md md;

	io_create(test, "kunit-lastgone", 2, true, NULL);
	p0 = ctx->vol->plexes[0];
	p1 = ctx->vol->plexes[1];
	/* Plex 1 syncing from 0; slow, so that it is still syncing. */
	WRITE_ONCE(ctx->vol->sync_speed_max, 1000);
	mutex_lock(&ctx->vol->lock);
	mutex_lock(&ctx->vol->sb_mutex);
	mirvol_set_plex_state(p1, MIRVOL_PLEX_SYNCING);
	WRITE_ONCE(p1->sync_offset, offsets[1]);
	mirvol_sb_update_locked(ctx->vol);
	mutex_unlock(&ctx->vol->sb_mutex);
	mutex_unlock(&ctx->vol->lock);
	/* Marked dirty (and kept so), so that a write gets past the mark. */
	ctx->vol->safe_mode_delay_ms = 0;
	fill(ctx->pages, 0x1234);
	KUNIT_ASSERT_EQ(test, do_io(vbdev(ctx), REQ_OP_WRITE, 0, ctx->pages,
				    IO_PAGES), 0);
	KUNIT_ASSERT_TRUE(test, test_bit(MIRVOL_VOL_DIRTY, &ctx->vol->flags));
	/* The block layer's call when the device is deleted. */
	bdev = p0->bdev;
	device_gone(bdev, true);
	flush_mirvol_works();
	KUNIT_EXPECT_EQ(test, p0->state, MIRVOL_PLEX_MISSING);
	KUNIT_EXPECT_TRUE(test, p0->last_in_sync);
	KUNIT_EXPECT_EQ(test, ctx->vol->state, MIRVOL_VOLUME_FAILED);
	/*
	 * A write now fails and reaches no plex, the syncing one included:
	 * it would hold data no in-sync plex holds when plex 0 comes back.
	 */
	fill(ctx->pages, 0x5a5a);
	KUNIT_EXPECT_NE(test, do_io(vbdev(ctx), REQ_OP_WRITE, 2048, ctx->pages,
				    IO_PAGES), 0);
	KUNIT_ASSERT_EQ(test, read_plex(ctx, 1, 2048), 0);
	KUNIT_EXPECT_FALSE(test, same(ctx->pages, ctx->check));
	/* What plex 1's superblock says of plex 0. */
	mutex_lock(&ctx->vol->sb_mutex);
	mirvol_sb_update_locked(ctx->vol);
	mutex_unlock(&ctx->vol->sb_mutex);
	KUNIT_ASSERT_GE(test, mirvol_sb_read_dev(rbdev(ctx, 1), &md, &reason),
			0);
	KUNIT_EXPECT_EQ(test, md.plexes[0].state, (u32)MIRVOL_PLEX_ACTIVE);
	KUNIT_EXPECT_TRUE(test, md.plexes[0].flags &
			  MIRVOL_PLEX_F_LAST_IN_SYNC);
	KUNIT_EXPECT_EQ(test, md.plexes[1].state, (u32)MIRVOL_PLEX_SYNCING);
	if (ctx->vol->op_id)
		mirvol_op_wait(ctx->vol->op_id, 60000, &info);
}

/* What the resync-end hook of mirvol_test_rewind_partial() works on. */
static struct io_ctx *rewind_ctx;
static sector_t rewind_sector;
static int rewind_err;

/*
 * Once, at the end of a pass: plex 0, the last in-sync plex, fails a
 * write into a region whose bit is set; plex 1, syncing and past that
 * region, takes it.
 */
static void failed_write_at_resync_end(struct mirvol_volume *vol)
{
	struct io_ctx *ctx = rewind_ctx;

	WRITE_ONCE(mirvol_kunit_resync_end_hook, NULL);
	WRITE_ONCE(vol->plexes[0]->inject, MIRVOL_INJECT_WRITE);
	fill(ctx->pages, 0xbad0);
	rewind_err = do_io(vbdev(ctx), REQ_OP_WRITE, rewind_sector, ctx->pages,
			   IO_PAGES);
	WRITE_ONCE(vol->plexes[0]->inject, 0);
}

/*
 * Ordering rule 4 for a partial target (one that copies only the regions
 * set in the bitmap): a write that no in-sync plex took but the target
 * did, behind its checkpoint, sends the checkpoint back, and the target is
 * promoted only once it holds the in-sync plex's data there again.
 * Promoted at once, plex 1 would hold data plex 0 does not: reads would
 * depend on the plex chosen.  (The rewind also makes the target copy all
 * from there, not the regions set; this case passes without that too:
 * the write's bit is set, so the next pass's snapshot holds its region.)
 */
/*
 * A volume @name (with a bitmap) whose plex 1, returned, copies only
 * region 40: it was written, with @seed, while plex 1 was offline.  Dirty
 * from the first write on, and kept so.  Returns plex 1.
 */
static struct mirvol_plex *region_40_written_away(struct kunit *test,
						  const char *name, u32 seed)
{
	struct io_ctx *ctx = test->priv;
	struct mirvol_plex *p1;
	u64 op_id = 0;

	io_create(test, name, 2, true, NULL);
	KUNIT_ASSERT_NOT_NULL(test, ctx->vol->bitmap);
	p1 = ctx->vol->plexes[1];
	ctx->vol->safe_mode_delay_ms = 0;
	KUNIT_ASSERT_EQ(test, mirvol_plex_action(ctx->vol, p1->uuid.b,
						 MIRVOL_PLEX_TAKE_OFFLINE, -1,
						 &op_id), MIRVOL_R_NONE);
	fill(ctx->pages, seed);
	KUNIT_ASSERT_EQ(test, do_io(vbdev(ctx), REQ_OP_WRITE,
				    (sector_t)40 << ctx->vol->bitmap->shift,
				    ctx->pages, IO_PAGES), 0);
	return p1;
}

/* A transient fault: the worker's own superblock update goes through. */
static void p0_sound_again(struct mirvol_volume *vol,
			   struct list_head *deferred)
{
	WRITE_ONCE(vol->plexes[0]->inject, 0);
}

/* Plexes 0 and 1 both hold what @seed fills at @s. */
static void expect_both_hold(struct kunit *test, struct io_ctx *ctx,
			     sector_t s, u32 seed)
{
	fill(ctx->pages, seed);
	KUNIT_ASSERT_EQ(test, read_plex(ctx, 0, s), 0);
	KUNIT_EXPECT_TRUE(test, same(ctx->pages, ctx->check));
	KUNIT_ASSERT_EQ(test, read_plex(ctx, 1, s), 0);
	KUNIT_EXPECT_TRUE_MSG(test, same(ctx->pages, ctx->check),
			      "plex 1 holds data plex 0 does not");
}

/*
 * A write of @good at @s that both plexes take, then one of @bad that
 * plex 0 fails (with @transient, only once: the worker's superblock
 * update goes through).  Their results in @err.
 */
static void good_then_failed_write(struct io_ctx *ctx, sector_t s, u32 good,
				   u32 bad, bool transient, int *err)
{
	struct mirvol_plex *p0 = ctx->vol->plexes[0];

	fill(ctx->pages, good);
	err[0] = do_io(vbdev(ctx), REQ_OP_WRITE, s, ctx->pages, IO_PAGES);
	if (err[0])
		return;
	if (transient)
		WRITE_ONCE(mirvol_kunit_worker_hook, p0_sound_again);
	WRITE_ONCE(p0->inject, MIRVOL_INJECT_WRITE);
	fill(ctx->pages, bad);
	err[1] = do_io(vbdev(ctx), REQ_OP_WRITE, s, ctx->pages, IO_PAGES);
	WRITE_ONCE(mirvol_kunit_worker_hook, NULL);
	WRITE_ONCE(p0->inject, 0);
}

/*
 * Once, as the resync's step has moved plex 1's offset over the clean
 * regions to region 40: a write into region 10 (clean in the pass's
 * snapshot) reaches both plexes, then one that plex 0, the last in-sync
 * plex, fails; plex 1, syncing below region 10, takes it too.
 */
static void failed_write_as_skipping(struct mirvol_volume *vol)
{
	struct io_ctx *ctx = rewind_ctx;
	int err[2] = { 0, -EINVAL };

	WRITE_ONCE(mirvol_kunit_skip_clean_hook, NULL);
	good_then_failed_write(ctx, rewind_sector, 0x600d, 0xbad1, true, err);
	rewind_err = err[0] ?: err[1] ?: -EINVAL;
}

/*
 * The write plex 0 failed makes plex 1 copy everything from its
 * checkpoint (mirvol_rewind_unsynced()), below region 10: the step that
 * had already moved its offset over region 10, clean in the snapshot,
 * must not store it, nor advance it after its batch.  Stored, plex 1 was
 * promoted holding data plex 0 does not.
 */
static void mirvol_test_rewind_partial_skipping(struct kunit *test)
{
	struct io_ctx *ctx = test->priv;
	struct mirvol_op_info info;
	struct mirvol_plex *p1;

	p1 = region_40_written_away(test, "kunit-rewskip", 0x0ff2);
	rewind_sector = (sector_t)10 << ctx->vol->bitmap->shift;
	rewind_ctx = ctx;
	rewind_err = 0;
	WRITE_ONCE(mirvol_kunit_skip_clean_hook, failed_write_as_skipping);
	take_online_op(test, ctx->vol, p1, &info);
	KUNIT_EXPECT_NULL(test, READ_ONCE(mirvol_kunit_skip_clean_hook));
	KUNIT_EXPECT_EQ(test, rewind_err, -EIO);
	KUNIT_EXPECT_EQ(test, ctx->vol->plexes[0]->state, MIRVOL_PLEX_ACTIVE);
	KUNIT_EXPECT_EQ(test, p1->state, MIRVOL_PLEX_ACTIVE);
	expect_both_hold(test, ctx, rewind_sector, 0x600d);
}

static void mirvol_test_rewind_partial(struct kunit *test)
{
	struct io_ctx *ctx = test->priv;
	struct mirvol_op_info info;
	struct mirvol_plex *p1;

	p1 = region_40_written_away(test, "kunit-rewind", 0x0ff1);
	rewind_sector = (sector_t)40 << ctx->vol->bitmap->shift;
	rewind_ctx = ctx;
	rewind_err = 0;
	WRITE_ONCE(mirvol_kunit_resync_end_hook, failed_write_at_resync_end);
	take_online_op(test, ctx->vol, p1, &info);
	/* The hook ran: its write failed (no in-sync plex took it). */
	KUNIT_EXPECT_NULL(test, READ_ONCE(mirvol_kunit_resync_end_hook));
	KUNIT_EXPECT_NE(test, rewind_err, 0);
	KUNIT_EXPECT_EQ(test, ctx->vol->plexes[0]->state, MIRVOL_PLEX_ACTIVE);
	/* Both plexes hold what plex 0 held: the write before, not it. */
	expect_both_hold(test, ctx, rewind_sector, 0x0ff1);
}

/*
 * A write is acknowledged only once every plex the superblocks list as
 * holding the data (in sync or syncing) took it, or the superblocks no
 * longer list those that did not.  Plex 0 fails a write and is failed; a
 * later write goes to plex 1 alone.  Acknowledged while both superblocks
 * still listed plex 0 in sync and the volume dirty, it would be lost to
 * a crash: assembly may take plex 0 as the source and copy it over plex
 * 1.  The test holds sb_mutex, so that no superblock update can run.
 */
static void mirvol_test_write_waits_failure_recorded(struct kunit *test)
{
	struct io_ctx *ctx = test->priv;
	struct async_write aw1, aw2;
	enum mirvol_reason reason;
	struct mirvol_plex *p0;
	struct mirvol_md md;

	/* No bitmap: its writes, which take sb_mutex, would hold writes up. */
	io_create_flags(test, "kunit-wrec", 2, MIRVOL_CREATE_F_ASSUME_CLEAN |
			MIRVOL_CREATE_F_NO_BITMAP, NULL);
	p0 = ctx->vol->plexes[0];
	ctx->vol->safe_mode_delay_ms = 0;
	fill(ctx->pages, 0x7001);
	KUNIT_ASSERT_EQ(test, do_io(vbdev(ctx), REQ_OP_WRITE, 0, ctx->pages,
				    IO_PAGES), 0);
	mutex_lock(&ctx->vol->sb_mutex);
	WRITE_ONCE(p0->inject, MIRVOL_INJECT_WRITE);
	async_write_start(&aw1, vbdev(ctx), 2048, ctx->pages);
	KUNIT_EXPECT_TRUE(test, wait_until(READ_ONCE(p0->state) ==
					   MIRVOL_PLEX_FAILED));
	WRITE_ONCE(p0->inject, 0);
	async_write_start(&aw2, vbdev(ctx), 4096, ctx->pages);
	msleep(500);
	KUNIT_EXPECT_FALSE_MSG(test, completion_done(&aw2.done),
			       "acknowledged while the superblocks listed plex 0 in sync");
	mutex_unlock(&ctx->vol->sb_mutex);
	async_write_finish(test, &aw1);
	async_write_finish(test, &aw2);
	KUNIT_EXPECT_EQ(test, aw1.ret, 0);
	KUNIT_EXPECT_EQ(test, aw2.ret, 0);
	KUNIT_ASSERT_GE(test, mirvol_sb_read_dev(rbdev(ctx, 1), &md, &reason),
			0);
	KUNIT_EXPECT_EQ(test, md.plexes[0].state, (u32)MIRVOL_PLEX_FAILED);
}

/*
 * A write counts as taken in sync by the plexes still in sync when it
 * completes.  W goes to plexes 0 and 1: plex 0 takes it, plex 1 holds it
 * back.  Plex 0 then fails another write and is failed; plex 1, now the
 * last in-sync plex, fails W and is kept.  W is on a failed plex only:
 * it must fail.
 */
static void mirvol_test_write_ok_when_completed(struct kunit *test)
{
	struct io_ctx *ctx = test->priv;
	struct async_write aw1, aw2;
	struct mirvol_plex *p0, *p1;

	io_create(test, "kunit-wlate", 2, true, NULL);
	p0 = ctx->vol->plexes[0];
	p1 = ctx->vol->plexes[1];
	ctx->vol->safe_mode_delay_ms = 0;
	fill(ctx->pages, 0x7002);
	KUNIT_ASSERT_EQ(test, do_io(vbdev(ctx), REQ_OP_WRITE, 0, ctx->pages,
				    IO_PAGES), 0);
	WRITE_ONCE(p1->inject, MIRVOL_INJECT_HOLD);
	async_write_start(&aw2, vbdev(ctx), 4096, ctx->pages);
	KUNIT_EXPECT_TRUE(test, wait_until(mirvol_kunit_nr_held() == 1));
	WRITE_ONCE(p0->inject, MIRVOL_INJECT_WRITE);
	async_write_start(&aw1, vbdev(ctx), 8192, ctx->pages);
	KUNIT_EXPECT_TRUE(test, wait_until(mirvol_kunit_nr_held() == 2));
	KUNIT_EXPECT_EQ(test, READ_ONCE(p0->state), MIRVOL_PLEX_FAILED);
	WRITE_ONCE(p0->inject, 0);
	WRITE_ONCE(p1->inject, 0);
	KUNIT_EXPECT_EQ(test, mirvol_kunit_end_held(BLK_STS_IOERR), 2U);
	async_write_finish(test, &aw1);
	async_write_finish(test, &aw2);
	KUNIT_EXPECT_EQ(test, READ_ONCE(p1->state), MIRVOL_PLEX_ACTIVE);
	KUNIT_EXPECT_NE(test, aw1.ret, 0);
	KUNIT_EXPECT_NE_MSG(test, aw2.ret, 0,
			    "acknowledged: only plex 0, failed, holds it");
}

/* Let each of mirvol's reclaim queues run @n items at a time. */
static void mirvol_wqs_max_active(int n)
{
	workqueue_set_max_active(mirvol_wq, n);
	workqueue_set_max_active(mirvol_io_wq, n);
}

/*
 * The works that wait for a volume's I/O to drain (releasing a gone
 * device, safe mode, read repair) must not share a WQ_MEM_RECLAIM queue
 * with the works that I/O needs to end (the volume's worker, the bitmap's
 * works, read retries): under memory pressure a queue's rescuer runs one
 * item at a time (workqueue.rst).  One active item per queue plays it.
 */
static void mirvol_test_wq_release_vs_worker(struct kunit *test)
{
	struct io_ctx *ctx = test->priv;
	struct mirvol_plex *p1, *p2;
	struct block_device *bdev;
	struct async_write aw;
	bool ended;

	io_create(test, "kunit-wqdep", 3, true, NULL);
	p1 = ctx->vol->plexes[1];
	p2 = ctx->vol->plexes[2];
	ctx->vol->safe_mode_delay_ms = 0;
	fill(ctx->pages, 0x3c3c);
	KUNIT_ASSERT_EQ(test, do_io(vbdev(ctx), REQ_OP_WRITE, 0, ctx->pages,
				    IO_PAGES), 0);

	mirvol_wqs_max_active(1);
	/* A write held on plex 1: in flight. */
	WRITE_ONCE(p1->inject, MIRVOL_INJECT_HOLD);
	async_write_start(&aw, vbdev(ctx), 4096, ctx->pages);
	KUNIT_EXPECT_TRUE(test, wait_until(mirvol_kunit_nr_held() == 1));
	/* Plex 2's device goes: its release waits for that write. */
	bdev = p2->bdev;
	device_gone(bdev, true);
	KUNIT_EXPECT_TRUE(test, wait_until(test_bit(MIRVOL_VOL_SUSPENDED,
						    &ctx->vol->flags)));
	/* Plex 1 fails the write: it ends after the worker's update. */
	WRITE_ONCE(p1->inject, 0);
	KUNIT_EXPECT_EQ(test, mirvol_kunit_end_held(BLK_STS_IOERR), 1U);
	ended = wait_until(completion_done(&aw.done));
	mirvol_wqs_max_active(WQ_DFL_ACTIVE);
	KUNIT_EXPECT_TRUE_MSG(test, ended,
			      "the write waited for a worker queued behind the release that waited for it");
	async_write_finish(test, &aw);
	flush_mirvol_works();
	KUNIT_EXPECT_EQ(test, aw.ret, 0);
	KUNIT_EXPECT_EQ(test, p1->state, MIRVOL_PLEX_FAILED);
	KUNIT_EXPECT_EQ(test, p2->state, MIRVOL_PLEX_MISSING);
	KUNIT_EXPECT_FALSE(test, test_bit(MIRVOL_VOL_SUSPENDED,
					  &ctx->vol->flags));
}

/* What the dirty-mark hook of mirvol_test_dirty_retry_after_failure() uses. */
static struct io_ctx *dirty_ctx;
static struct async_write dirty_aw;
static bool dirty_aw_started;

/*
 * After a failed attempt at the dirty mark: the device works again, and
 * a new writer comes, which asks for the mark again and waits for it.
 */
static void writer_after_failed_mark(struct mirvol_volume *vol, bool ok)
{
	struct io_ctx *ctx = dirty_ctx;

	if (ok)
		return;
	WRITE_ONCE(mirvol_kunit_dirty_hook, NULL);
	WRITE_ONCE(vol->plexes[0]->inject, 0);
	WRITE_ONCE(vol->plexes[1]->inject, 0);
	fill(ctx->pages, 0x7003);
	async_write_start(&dirty_aw, vbdev(ctx), 0, ctx->pages);
	dirty_aw_started = true;
	/* Long enough for it to ask and wait. */
	msleep(300);
}

/*
 * A writer that asks for the dirty mark just as an attempt at it failed
 * gets a new attempt: it must not wait for a mark nobody will write.
 */
static void mirvol_test_dirty_retry_after_failure(struct kunit *test)
{
	struct io_ctx *ctx = test->priv;
	struct mirvol_volume *vol;
	int ret;

	io_create_flags(test, "kunit-dirty", 2, MIRVOL_CREATE_F_ASSUME_CLEAN |
			MIRVOL_CREATE_F_NO_BITMAP, NULL);
	vol = ctx->vol;
	vol->safe_mode_delay_ms = 0;
	KUNIT_ASSERT_FALSE(test, test_bit(MIRVOL_VOL_DIRTY, &vol->flags));
	/* Every flush fails: the mark cannot be written. */
	WRITE_ONCE(vol->plexes[0]->inject, MIRVOL_INJECT_FLUSH);
	WRITE_ONCE(vol->plexes[1]->inject, MIRVOL_INJECT_FLUSH);
	dirty_ctx = ctx;
	dirty_aw_started = false;
	WRITE_ONCE(mirvol_kunit_dirty_hook, writer_after_failed_mark);
	fill(ctx->pages, 0x7004);
	ret = do_io(vbdev(ctx), REQ_OP_WRITE, 0, ctx->pages, IO_PAGES);
	/*
	 * Its attempt at the mark failed, so it fails; unless the second
	 * writer's attempt, the devices working again, marked the volume
	 * dirty before it woke up to look: then it rightly went on.
	 */
	if (!ret)
		KUNIT_EXPECT_TRUE_MSG(test,
				      test_bit(MIRVOL_VOL_DIRTY, &vol->flags),
				      "a write went on, the volume clean");
	WRITE_ONCE(mirvol_kunit_dirty_hook, NULL);
	KUNIT_ASSERT_TRUE(test, dirty_aw_started);
	if (!wait_until(completion_done(&dirty_aw.done))) {
		KUNIT_FAIL(test, "a writer waits for a dirty mark nobody writes");
		/* Unstick it. */
		set_bit(MIRVOL_VOL_DIRTY_REQ, &vol->flags);
		queue_work(mirvol_io_wq, &vol->worker);
	}
	async_write_finish(test, &dirty_aw);
	KUNIT_EXPECT_EQ(test, dirty_aw.ret, 0);
	KUNIT_EXPECT_TRUE(test, test_bit(MIRVOL_VOL_DIRTY, &vol->flags));
}

/*
 * The writer, having asked for the dirty mark, is preempted until the
 * worker has written it and safe mode has taken it back.
 */
static void clean_before_writer_waits(struct mirvol_volume *vol)
{
	WRITE_ONCE(mirvol_kunit_wait_dirty_hook, NULL);
	if (wait_until(test_bit(MIRVOL_VOL_DIRTY, &vol->flags)))
		mirvol_reboot_one(vol);
}

/*
 * A writer that asked for the dirty mark may not run before safe mode
 * (or the reboot notifier) marks the volume clean again: it wakes to a
 * clean volume, its request answered.  It must ask again, not wait for
 * a mark nobody will write (md's writers hold writes_pending instead).
 */
static void mirvol_test_dirty_wait_after_clean(struct kunit *test)
{
	struct io_ctx *ctx = test->priv;
	struct mirvol_volume *vol;
	struct async_write aw;

	io_create_flags(test, "kunit-dirtyclean", 2,
			MIRVOL_CREATE_F_ASSUME_CLEAN | MIRVOL_CREATE_F_NO_BITMAP,
			NULL);
	vol = ctx->vol;
	vol->safe_mode_delay_ms = 0;
	KUNIT_ASSERT_FALSE(test, test_bit(MIRVOL_VOL_DIRTY, &vol->flags));
	WRITE_ONCE(mirvol_kunit_wait_dirty_hook, clean_before_writer_waits);
	fill(ctx->pages, 0x7005);
	async_write_start(&aw, vbdev(ctx), 0, ctx->pages);
	if (!wait_until(completion_done(&aw.done))) {
		KUNIT_FAIL(test, "a writer waits for a dirty mark safe mode took back");
		/* Unstick it. */
		set_bit(MIRVOL_VOL_DIRTY_REQ, &vol->flags);
		queue_work(mirvol_io_wq, &vol->worker);
	}
	async_write_finish(test, &aw);
	KUNIT_EXPECT_EQ(test, aw.ret, 0);
	KUNIT_EXPECT_TRUE(test, test_bit(MIRVOL_VOL_DIRTY, &vol->flags));
}

static DECLARE_COMPLETION(add_done_reached);

/* The replace is done: hold it there while the test cancels it. */
static void hold_add_done(struct mirvol_operation *op)
{
	WRITE_ONCE(mirvol_kunit_add_done_hook, NULL);
	complete(&add_done_reached);
	msleep(500);
}

/*
 * A cancel that comes once a replace has done its change (the old plex
 * gone, its metadata erased) is too late: it must not be reported as
 * cancelled, which says the old plex is still in the volume.
 */
static void mirvol_test_cancel_after_change(struct kunit *test)
{
	struct io_ctx *ctx = test->priv;
	struct mirvol_op_info info;
	enum mirvol_reason reason;
	u8 uuid[MIRVOL_UUID_LEN];
	u64 op_id = 0;

	io_create(test, "kunit-late", 2, true, NULL);
	memcpy(uuid, &ctx->vol->plexes[1]->uuid, MIRVOL_UUID_LEN);
	reinit_completion(&add_done_reached);
	WRITE_ONCE(mirvol_kunit_add_done_hook, hold_add_done);
	KUNIT_ASSERT_EQ(test, mirvol_replace_plex(ctx->vol, uuid, ctx->ram[2],
						  &op_id), MIRVOL_R_NONE);
	KUNIT_ASSERT_TRUE(test, wait_for_completion_timeout(&add_done_reached,
							    msecs_to_jiffies(60000)));
	reason = mirvol_op_cancel(op_id, &info);
	KUNIT_EXPECT_NULL(test, mirvol_plex_find(ctx->vol, uuid));
	KUNIT_EXPECT_EQ_MSG(test, reason, MIRVOL_R_CANCEL_TOO_LATE,
			    "cancelled after the old plex was replaced");
	KUNIT_ASSERT_EQ(test, mirvol_op_wait(op_id, 60000, &info),
			MIRVOL_R_NONE);
	KUNIT_EXPECT_EQ(test, info.state, (u32)MIRVOL_OPS_SUCCEEDED);
}

static DECLARE_COMPLETION(promoted_reached);

/* The resync's last promotion is recorded: hold it while the test cancels. */
static void hold_after_promotion(struct mirvol_volume *vol)
{
	WRITE_ONCE(mirvol_kunit_resync_promoted_hook, NULL);
	complete(&promoted_reached);
	msleep(500);
}

/*
 * A cancel that comes once a resync has promoted its targets (active,
 * and the superblocks say so) is too late: reported cancelled, the
 * resync would tell the admin that the plex is not in sync while it is,
 * and a 'mirvolctl resync' would be refused NOTHING_TO_SYNC.
 */
static void mirvol_test_cancel_after_promotion(struct kunit *test)
{
	struct io_ctx *ctx = test->priv;
	struct mirvol_op_info info;
	enum mirvol_reason reason;
	struct mirvol_md md;
	u64 op_id = 0;

	reinit_completion(&promoted_reached);
	WRITE_ONCE(mirvol_kunit_resync_promoted_hook, hold_after_promotion);
	io_create(test, "kunit-lateres", 2, false, &op_id);
	KUNIT_ASSERT_NE(test, op_id, 0ULL);
	KUNIT_ASSERT_TRUE(test, wait_for_completion_timeout(&promoted_reached,
							    msecs_to_jiffies(60000)));
	reason = mirvol_op_cancel(op_id, &info);
	KUNIT_EXPECT_EQ_MSG(test, reason, MIRVOL_R_CANCEL_TOO_LATE,
			    "cancelled after the resync promoted its target");
	KUNIT_ASSERT_EQ(test, mirvol_op_wait(op_id, 60000, &info),
			MIRVOL_R_NONE);
	KUNIT_EXPECT_EQ_MSG(test, info.state, (u32)MIRVOL_OPS_SUCCEEDED,
			    "ended %u (reason %u) with its target active",
			    info.state, info.reason);
	KUNIT_EXPECT_EQ(test, info.reason, (u32)MIRVOL_R_NONE);
	KUNIT_EXPECT_EQ(test, ctx->vol->plexes[1]->state, MIRVOL_PLEX_ACTIVE);
	KUNIT_EXPECT_EQ(test, ctx->vol->state, MIRVOL_VOLUME_ONLINE);
	KUNIT_ASSERT_GE(test, mirvol_sb_read_dev(rbdev(ctx, 0), &md, &reason),
			0);
	KUNIT_EXPECT_EQ(test, md.plexes[1].state, (u32)MIRVOL_PLEX_ACTIVE);
}

static DECLARE_COMPLETION(end_reached);

/*
 * The pass has copied everything, its target not promoted yet: wait
 * there until the test's cancel has asked the operation to stop.
 */
static void wait_cancel_at_resync_end(struct mirvol_volume *vol)
{
	struct mirvol_operation *op = READ_ONCE(vol->op);

	WRITE_ONCE(mirvol_kunit_resync_end_hook, NULL);
	complete(&end_reached);
	wait_until(op && mirvol_op_should_stop(op));
}

/*
 * A cancel that comes before the resync's last promotion wins: the
 * operation ends cancelled, and then its target must not be promoted,
 * even though its copy is complete: cancelled says it is not in sync.
 * It stays syncing, its checkpoint at the end recorded, and the next
 * resync promotes it without copying.
 */
static void mirvol_test_cancel_before_promotion(struct kunit *test)
{
	struct io_ctx *ctx = test->priv;
	struct mirvol_op_info info;
	enum mirvol_reason reason;
	struct mirvol_md md;
	u64 op_id = 0;

	reinit_completion(&end_reached);
	WRITE_ONCE(mirvol_kunit_resync_end_hook, wait_cancel_at_resync_end);
	io_create(test, "kunit-earlyres", 2, false, &op_id);
	KUNIT_ASSERT_NE(test, op_id, 0ULL);
	KUNIT_ASSERT_TRUE(test, wait_for_completion_timeout(&end_reached,
							    msecs_to_jiffies(60000)));
	reason = mirvol_op_cancel(op_id, &info);
	KUNIT_EXPECT_EQ(test, reason, MIRVOL_R_NONE);
	KUNIT_EXPECT_EQ(test, info.state, (u32)MIRVOL_OPS_CANCELLED);
	KUNIT_EXPECT_EQ_MSG(test, ctx->vol->plexes[1]->state,
			    MIRVOL_PLEX_SYNCING,
			    "a resync cancelled first promoted its target");
	KUNIT_EXPECT_EQ(test, ctx->vol->state, MIRVOL_VOLUME_DEGRADED);
	KUNIT_ASSERT_GE(test, mirvol_sb_read_dev(rbdev(ctx, 0), &md, &reason),
			0);
	KUNIT_EXPECT_EQ(test, md.plexes[1].state, (u32)MIRVOL_PLEX_SYNCING);
	KUNIT_EXPECT_EQ(test, md.plexes[1].sync_offset, (u64)ctx->vol->size);

	/* The next resync has nothing to copy: it promotes the target. */
	op_id = 0;
	KUNIT_ASSERT_EQ(test, mirvol_resync_start(ctx->vol, false, &op_id),
			MIRVOL_R_NONE);
	KUNIT_ASSERT_EQ(test, mirvol_op_wait(op_id, 60000, &info),
			MIRVOL_R_NONE);
	KUNIT_EXPECT_EQ(test, info.state, (u32)MIRVOL_OPS_SUCCEEDED);
	KUNIT_EXPECT_EQ(test, info.total_bytes, 0ULL);
	KUNIT_EXPECT_EQ(test, ctx->vol->plexes[1]->state, MIRVOL_PLEX_ACTIVE);
	KUNIT_EXPECT_EQ(test, ctx->vol->state, MIRVOL_VOLUME_ONLINE);
}

/* A write error on the plex about to be promoted (the hook runs once). */
static void fail_before_promotion(struct mirvol_plex *plex)
{
	WRITE_ONCE(mirvol_kunit_promote_hook, NULL);
	mirvol_plex_error(plex, true);
}

/*
 * A resync target that fails a write as the pass ends, after the pass
 * found it at the end and before its promotion, stays failed: it missed
 * that write, and promoted it would serve reads without it.
 */
static void mirvol_test_promotion_keeps_failure(struct kunit *test)
{
	struct io_ctx *ctx = test->priv;
	struct mirvol_op_info info;
	struct mirvol_plex *p1;
	u64 op_id = 0;

	io_create(test, "kunit-promo", 2, true, NULL);
	p1 = ctx->vol->plexes[1];
	KUNIT_ASSERT_EQ(test, mirvol_plex_action(ctx->vol, p1->uuid.b,
						 MIRVOL_PLEX_TAKE_OFFLINE, -1,
						 &op_id), MIRVOL_R_NONE);
	WRITE_ONCE(mirvol_kunit_promote_hook, fail_before_promotion);
	op_id = 0;
	KUNIT_ASSERT_EQ(test, mirvol_plex_action(ctx->vol, p1->uuid.b,
						 MIRVOL_PLEX_TAKE_ONLINE, -1,
						 &op_id), MIRVOL_R_NONE);
	KUNIT_ASSERT_NE(test, op_id, 0ULL);
	KUNIT_ASSERT_EQ(test, mirvol_op_wait(op_id, 60000, &info),
			MIRVOL_R_NONE);
	/* The hook ran. */
	KUNIT_EXPECT_NULL(test, READ_ONCE(mirvol_kunit_promote_hook));
	KUNIT_EXPECT_EQ_MSG(test, p1->state, MIRVOL_PLEX_FAILED,
			    "a plex failed during its promotion was promoted");
	KUNIT_EXPECT_EQ(test, ctx->vol->state, MIRVOL_VOLUME_DEGRADED);
}

/*
 * A plex whose device went away keeps it open until superblock writers
 * are done: they hold sb_mutex, not an I/O reference, and may be between
 * the flush and the superblock write of an update, their targets chosen
 * (mirvol_sb_update_locked()).  The test holds sb_mutex.
 */
static void mirvol_test_dead_waits_sb_writer(struct kunit *test)
{
	struct io_ctx *ctx = test->priv;
	struct block_device *bdev;
	struct mirvol_plex *p1;

	io_create(test, "kunit-deadsb", 2, true, NULL);
	p1 = ctx->vol->plexes[1];
	mutex_lock(&ctx->vol->sb_mutex);
	/* The block layer's call when the device is deleted. */
	bdev = p1->bdev;
	device_gone(bdev, true);
	KUNIT_EXPECT_TRUE(test, wait_until(READ_ONCE(p1->state) ==
					   MIRVOL_PLEX_MISSING));
	msleep(300);
	KUNIT_EXPECT_NOT_NULL_MSG(test, READ_ONCE(p1->bdev),
				  "the device was closed under a superblock writer");
	mutex_unlock(&ctx->vol->sb_mutex);
	flush_mirvol_works();
	KUNIT_EXPECT_NULL(test, READ_ONCE(p1->bdev));
}

/* Holder unlinks seen by unlink_count_hook(), with I/O suspended. */
static struct {
	atomic_t all;
	atomic_t suspended;
} unlinks;

static void unlink_count_hook(struct mirvol_volume *vol, const char *site)
{
	noio_check_hook(vol, site);
	if (strcmp(site, "holder unlink"))
		return;
	atomic_inc(&unlinks.all);
	if (vol && test_bit(MIRVOL_VOL_SUSPENDED, &vol->flags))
		atomic_inc(&unlinks.suspended);
}

/*
 * The release of a gone device removes its holder link before the
 * volume's I/O is suspended: bd_unlink_disk_holder() takes
 * blk_holder_mutex, under which another driver's bd_link_disk_holder()
 * allocates with I/O reclaim, which may wait for this volume's I/O.
 */
static void mirvol_test_dead_unlinks_before_suspend(struct kunit *test)
{
	struct io_ctx *ctx = test->priv;
	struct block_device *bdev;
	struct mirvol_plex *p1;

	io_create(test, "kunit-deadlink", 2, true, NULL);
	p1 = ctx->vol->plexes[1];
	KUNIT_ASSERT_TRUE_MSG(test, p1->linked, "no holder link to remove");
	atomic_set(&unlinks.all, 0);
	atomic_set(&unlinks.suspended, 0);
	WRITE_ONCE(mirvol_kunit_alloc_hook, unlink_count_hook);
	/* The block layer's call when the device is deleted. */
	bdev = p1->bdev;
	device_gone(bdev, true);
	flush_mirvol_works();
	WRITE_ONCE(mirvol_kunit_alloc_hook, noio_check_hook);
	KUNIT_EXPECT_NULL(test, READ_ONCE(p1->bdev));
	KUNIT_EXPECT_FALSE(test, p1->linked);
	KUNIT_EXPECT_EQ(test, atomic_read(&unlinks.all), 1);
	KUNIT_EXPECT_EQ_MSG(test, atomic_read(&unlinks.suspended), 0,
			    "the holder link was removed with the volume's I/O suspended");
}

/*
 * Rule 3's other half: a write that plex 1 failed completes only once
 * the superblocks record the failure; when the last in-sync plex cannot
 * take that update, the write fails too (it would be lost to a crash
 * that brings plex 1 back in sync without it).
 */
static void mirvol_test_write_fails_without_record(struct kunit *test)
{
	struct io_ctx *ctx = test->priv;
	struct mirvol_plex *p0, *p1;

	io_create_flags(test, "kunit-norec", 2, MIRVOL_CREATE_F_ASSUME_CLEAN |
			MIRVOL_CREATE_F_NO_BITMAP, NULL);
	p0 = ctx->vol->plexes[0];
	p1 = ctx->vol->plexes[1];
	ctx->vol->safe_mode_delay_ms = 0;
	fill(ctx->pages, 0x7005);
	KUNIT_ASSERT_EQ(test, do_io(vbdev(ctx), REQ_OP_WRITE, 0, ctx->pages,
				    IO_PAGES), 0);
	WRITE_ONCE(p1->inject, MIRVOL_INJECT_WRITE);
	WRITE_ONCE(p0->inject, MIRVOL_INJECT_FLUSH);
	KUNIT_EXPECT_NE_MSG(test, do_io(vbdev(ctx), REQ_OP_WRITE, 2048,
					ctx->pages, IO_PAGES), 0,
			    "acknowledged, its plex 1 failure not on disk");
	WRITE_ONCE(p0->inject, 0);
	WRITE_ONCE(p1->inject, 0);
	KUNIT_EXPECT_EQ(test, p1->state, MIRVOL_PLEX_FAILED);
	KUNIT_EXPECT_EQ(test, p0->state, MIRVOL_PLEX_ACTIVE);
}

/* What the worker hook of mirvol_test_write_deferred_after_splice() uses. */
static struct {
	struct io_ctx *ctx;
	struct async_write aw;
	bool started;
	bool listed;
} splice_x;

static bool deferred_listed(struct mirvol_volume *vol)
{
	bool listed;

	spin_lock_irq(&vol->state_lock);
	listed = !list_empty(&vol->deferred);
	spin_unlock_irq(&vol->state_lock);
	return listed;
}

/*
 * In the worker run that took the failed write off vol->deferred: write X
 * goes to plex 0 alone and completes, asks for a superblock update and
 * is listed for the next run.  Bounded: with X held up the test fails.
 */
static void write_after_splice(struct mirvol_volume *vol,
			       struct list_head *deferred)
{
	if (list_empty(deferred))
		return;
	WRITE_ONCE(mirvol_kunit_worker_hook, NULL);
	async_write_start(&splice_x.aw, vbdev(splice_x.ctx), 4096,
			  splice_x.ctx->pages);
	splice_x.started = true;
	splice_x.listed = wait_until(deferred_listed(vol));
}

/*
 * Rule 3 when a write's completion comes in between a worker run's take
 * of the deferred list and its look at the update request.  Plex 1 fails
 * W; the run that took W off the list lets X (to plex 0 alone, the
 * superblocks still listing plex 1) complete and ask for an update
 * before it looks.  That run's update, which plex 0 cannot take, fails
 * W; X, in the next run, must not be acknowledged without one either.
 */
static void mirvol_test_write_deferred_after_splice(struct kunit *test)
{
	struct io_ctx *ctx = test->priv;
	struct mirvol_plex *p0, *p1;

	io_create_flags(test, "kunit-splice", 2, MIRVOL_CREATE_F_ASSUME_CLEAN |
			MIRVOL_CREATE_F_NO_BITMAP, NULL);
	p0 = ctx->vol->plexes[0];
	p1 = ctx->vol->plexes[1];
	ctx->vol->safe_mode_delay_ms = 0;
	fill(ctx->pages, 0x7006);
	KUNIT_ASSERT_EQ(test, do_io(vbdev(ctx), REQ_OP_WRITE, 0, ctx->pages,
				    IO_PAGES), 0);
	splice_x.ctx = ctx;
	splice_x.started = false;
	splice_x.listed = false;
	WRITE_ONCE(p1->inject, MIRVOL_INJECT_WRITE);
	WRITE_ONCE(p0->inject, MIRVOL_INJECT_FLUSH);
	WRITE_ONCE(mirvol_kunit_worker_hook, write_after_splice);
	KUNIT_EXPECT_NE(test, do_io(vbdev(ctx), REQ_OP_WRITE, 2048,
				    ctx->pages, IO_PAGES), 0);
	WRITE_ONCE(mirvol_kunit_worker_hook, NULL);
	KUNIT_ASSERT_TRUE_MSG(test, splice_x.started, "the hook did not run");
	async_write_finish(test, &splice_x.aw);
	KUNIT_EXPECT_TRUE_MSG(test, splice_x.listed, "X was not deferred");
	KUNIT_EXPECT_NE_MSG(test, splice_x.aw.ret, 0,
			    "X acknowledged, the plex 1 failure not on disk");
	WRITE_ONCE(p0->inject, 0);
	WRITE_ONCE(p1->inject, 0);
	KUNIT_EXPECT_EQ(test, p1->state, MIRVOL_PLEX_FAILED);
	KUNIT_EXPECT_EQ(test, p0->state, MIRVOL_PLEX_ACTIVE);
}

/* What the resync-end hook of mirvol_test_rewind_in_flight() uses. */
static struct async_write end_aw;
static DECLARE_COMPLETION(end_hook_ran);

/*
 * As a pass ends: a write that plex 0, the last in-sync plex, fails, and
 * that plex 1 takes, but whose completion is held back.
 */
static void failed_write_in_flight_at_end(struct mirvol_volume *vol)
{
	struct io_ctx *ctx = rewind_ctx;

	WRITE_ONCE(mirvol_kunit_resync_end_hook, NULL);
	WRITE_ONCE(vol->plexes[1]->inject, MIRVOL_INJECT_HOLD);
	WRITE_ONCE(vol->plexes[0]->inject, MIRVOL_INJECT_WRITE);
	fill(ctx->pages, 0xbad1);
	async_write_start(&end_aw, vbdev(ctx), rewind_sector, ctx->pages);
	wait_until(mirvol_kunit_nr_held() >= 1);
	WRITE_ONCE(vol->plexes[0]->inject, 0);
	WRITE_ONCE(vol->plexes[1]->inject, 0);
	complete(&end_hook_ran);
}

/*
 * Rule 4 for a write still in flight as a pass ends: it must rewind the
 * target before the target is judged in sync.  Promoted meanwhile, the
 * target would be in sync holding the failed write, which plex 0 does
 * not hold.
 */
static void mirvol_test_rewind_in_flight(struct kunit *test)
{
	struct io_ctx *ctx = test->priv;
	struct mirvol_op_info info;
	struct mirvol_plex *p1;
	u64 op_id = 0;

	io_create_flags(test, "kunit-inflight", 2, MIRVOL_CREATE_F_ASSUME_CLEAN |
			MIRVOL_CREATE_F_NO_BITMAP, NULL);
	p1 = ctx->vol->plexes[1];
	ctx->vol->safe_mode_delay_ms = 0;
	rewind_sector = 4096;
	fill(ctx->pages, 0x600d);
	KUNIT_ASSERT_EQ(test, do_io(vbdev(ctx), REQ_OP_WRITE, rewind_sector,
				    ctx->pages, IO_PAGES), 0);
	KUNIT_ASSERT_EQ(test, mirvol_plex_action(ctx->vol, p1->uuid.b,
						 MIRVOL_PLEX_TAKE_OFFLINE, -1,
						 &op_id), MIRVOL_R_NONE);
	rewind_ctx = ctx;
	reinit_completion(&end_hook_ran);
	WRITE_ONCE(mirvol_kunit_resync_end_hook, failed_write_in_flight_at_end);
	op_id = 0;
	KUNIT_ASSERT_EQ(test, mirvol_plex_action(ctx->vol, p1->uuid.b,
						 MIRVOL_PLEX_TAKE_ONLINE, -1,
						 &op_id), MIRVOL_R_NONE);
	KUNIT_ASSERT_TRUE(test, wait_for_completion_timeout(&end_hook_ran,
							    msecs_to_jiffies(60000)));
	/* Time for the pass to end, and promote plex 1 if it does not wait. */
	msleep(300);
	KUNIT_EXPECT_EQ(test, mirvol_kunit_end_held(BLK_STS_OK), 1U);
	async_write_finish(test, &end_aw);
	KUNIT_EXPECT_NE(test, end_aw.ret, 0);
	KUNIT_ASSERT_EQ(test, mirvol_op_wait(op_id, 60000, &info),
			MIRVOL_R_NONE);
	KUNIT_EXPECT_EQ(test, info.state, (u32)MIRVOL_OPS_SUCCEEDED);
	KUNIT_EXPECT_EQ(test, p1->state, MIRVOL_PLEX_ACTIVE);
	/* Both hold what plex 0 holds: the write before, not the failed one. */
	expect_both_hold(test, ctx, rewind_sector, 0x600d);
}

/* What the step hook of mirvol_test_rewind_ahead_partial() uses. */
static sector_t ahead_sector;
static int ahead_err[2];

/*
 * Once the pass copied something (the target's checkpoint moved): a
 * write into a region clean when the pass began, ahead of the
 * checkpoint, first taken by both plexes, then by plex 1 only: plex 0,
 * the last in-sync plex, fails it.
 */
static void writes_ahead(struct mirvol_volume *vol)
{
	struct io_ctx *ctx = rewind_ctx;

	if (!READ_ONCE(vol->plexes[1]->sync_offset))
		return;
	WRITE_ONCE(mirvol_kunit_resync_step_hook, NULL);
	good_then_failed_write(ctx, ahead_sector, 0x0b00, 0x0bad, false,
			       ahead_err);
}

/*
 * Rule 4 ahead of the checkpoint: a partial target (it copies only the
 * regions set when its pass began) takes a write that no in-sync plex
 * took, into a region clean in that snapshot, ahead of its checkpoint.
 * The pass would skip the region and promote the target holding data
 * plex 0 does not: it must copy it.
 */
static void mirvol_test_rewind_ahead_partial(struct kunit *test)
{
	struct io_ctx *ctx = test->priv;
	struct mirvol_op_info info;
	struct mirvol_plex *p1;

	p1 = region_40_written_away(test, "kunit-ahead", 0x0a40);
	ahead_sector = (sector_t)100 << ctx->vol->bitmap->shift;
	KUNIT_ASSERT_LT(test, ahead_sector + (IO_PAGES << (PAGE_SHIFT - 9)),
			ctx->vol->size);
	rewind_ctx = ctx;
	ahead_err[0] = ahead_err[1] = -EINPROGRESS;
	WRITE_ONCE(mirvol_kunit_resync_step_hook, writes_ahead);
	take_online_op(test, ctx->vol, p1, &info);
	/* The hook ran: the first write succeeded, the second failed. */
	KUNIT_EXPECT_NULL(test, READ_ONCE(mirvol_kunit_resync_step_hook));
	KUNIT_EXPECT_EQ(test, ahead_err[0], 0);
	KUNIT_EXPECT_NE(test, ahead_err[1], 0);
	KUNIT_EXPECT_NE(test, ahead_err[1], -EINPROGRESS);
	KUNIT_EXPECT_EQ(test, ctx->vol->plexes[0]->state, MIRVOL_PLEX_ACTIVE);
	/* Both hold what plex 0 holds: the first write, not the failed one. */
	fill(ctx->pages, 0x0b00);
	KUNIT_ASSERT_EQ(test, read_plex(ctx, 0, ahead_sector), 0);
	KUNIT_EXPECT_TRUE(test, same(ctx->pages, ctx->check));
	KUNIT_ASSERT_EQ(test, read_plex(ctx, 1, ahead_sector), 0);
	KUNIT_EXPECT_TRUE_MSG(test, same(ctx->pages, ctx->check),
			      "plex 1 holds data plex 0 does not");
}

/*
 * An add-plex takes the slot of a missing plex (as md recovers into a
 * missing member's slot).  Cancelled before its resync ends, it must give
 * the slot back: the missing plex stays a member, recorded on disk, so
 * that its device is taken back when it returns (re-add, assembly).
 */
static void mirvol_test_cancel_add_keeps_missing(struct kunit *test)
{
	struct io_ctx *ctx = test->priv;
	struct mirvol_op_info info;
	enum mirvol_reason reason;
	u8 uuid[MIRVOL_UUID_LEN];
	struct block_device *bdev;
	struct mirvol_plex *p1;
	struct mirvol_md md;
	u64 op_id = 0;

	io_create(test, "kunit-addmiss", 2, true, NULL);
	p1 = ctx->vol->plexes[1];
	memcpy(uuid, &p1->uuid, MIRVOL_UUID_LEN);
	/* The block layer's call when the device is deleted. */
	bdev = p1->bdev;
	device_gone(bdev, true);
	KUNIT_ASSERT_TRUE(test, wait_until(READ_ONCE(p1->state) ==
					   MIRVOL_PLEX_MISSING &&
					   !READ_ONCE(p1->bdev)));
	flush_mirvol_works();
	/* Slow, so that the cancel comes while it copies. */
	WRITE_ONCE(ctx->vol->sync_speed_max, 1000);
	KUNIT_ASSERT_EQ(test, mirvol_add_plex(ctx->vol, ctx->ram[2], NULL,
					      false, &op_id), MIRVOL_R_NONE);
	KUNIT_ASSERT_NE(test, op_id, 0ULL);
	KUNIT_EXPECT_EQ(test, mirvol_op_cancel(op_id, &info), MIRVOL_R_NONE);
	KUNIT_ASSERT_EQ(test, mirvol_op_wait(op_id, 60000, &info),
			MIRVOL_R_NONE);
	KUNIT_EXPECT_EQ(test, info.state, (u32)MIRVOL_OPS_CANCELLED);

	mutex_lock(&ctx->vol->lock);
	p1 = mirvol_plex_find(ctx->vol, uuid);
	KUNIT_EXPECT_NOT_NULL_MSG(test, p1,
				  "the cancelled add dropped the missing plex");
	if (p1) {
		KUNIT_EXPECT_EQ(test, p1->index, 1U);
		KUNIT_EXPECT_EQ(test, p1->state, MIRVOL_PLEX_MISSING);
	}
	mutex_unlock(&ctx->vol->lock);
	KUNIT_ASSERT_GE(test, mirvol_sb_read_dev(rbdev(ctx, 0), &md, &reason),
			0);
	KUNIT_EXPECT_EQ_MSG(test, memcmp(md.plexes[1].uuid, uuid,
					 MIRVOL_UUID_LEN), 0,
			    "plex 0's superblock no longer lists the missing plex");
	KUNIT_EXPECT_EQ(test, md.plexes[1].state, (u32)MIRVOL_PLEX_MISSING);
}

/*
 * An fd for @file in the test thread's table, as PLEX_ACTION and ASSEMBLE
 * get their devices from user space.  Closed with close_fd().
 */
static int install_fd(struct file *file)
{
	int fd = get_unused_fd_flags(O_CLOEXEC);

	if (fd >= 0)
		fd_install(fd, get_file(file));
	return fd;
}

/*
 * The block layer's call when @plex's device is deleted; waits until the
 * plex is missing, its device closed.  Returns whether it is.
 */
static bool unplug_plex(struct mirvol_plex *plex)
{
	struct block_device *bdev = plex->bdev;

	device_gone(bdev, true);
	if (!wait_until(READ_ONCE(plex->state) == MIRVOL_PLEX_MISSING &&
			!READ_ONCE(plex->bdev)))
		return false;
	flush_mirvol_works();
	return true;
}

/* 'mirvolctl re-add' of plex @uuid, its device @file back; the reason. */
static enum mirvol_reason readd_plex(struct kunit *test,
				     struct mirvol_volume *vol, const u8 *uuid,
				     struct file *file)
{
	enum mirvol_reason reason;
	u64 op_id = 0;
	int fd;

	fd = install_fd(file);
	KUNIT_EXPECT_GE(test, fd, 0);
	if (fd < 0)
		return MIRVOL_R_BAD_FD;
	reason = mirvol_plex_action(vol, uuid, MIRVOL_PLEX_READD, fd, &op_id);
	close_fd(fd);
	return reason;
}

/*
 * ASSEMBLE of RAM disks @idx (@n of them) with @flags: the reason, the
 * members' results in @um and the reply in @reply.
 */
static enum mirvol_reason assemble_rams(struct kunit *test,
					struct io_ctx *ctx,
					const unsigned int *idx, unsigned int n,
					u32 flags,
					struct mirvol_assemble_member *um,
					struct mirvol_assemble *reply)
{
	enum mirvol_reason reason;
	unsigned int i;

	for (i = 0; i < n; i++) {
		memset(&um[i], 0, sizeof(um[i]));
		um[i].fd = install_fd(ctx->ram[idx[i]]);
		KUNIT_ASSERT_GE(test, um[i].fd, 0);
	}
	memset(reply, 0, sizeof(*reply));
	reason = mirvol_assemble(um, n, flags, reply);
	for (i = 0; i < n; i++)
		close_fd(um[i].fd);
	return reason;
}

/* What assemble_meanwhile() uses. */
static struct kunit *asm_test;
static enum mirvol_reason asm_meanwhile_reason;

/* Once: plex 1's device is handed by udev (incremental) meanwhile. */
static void assemble_meanwhile(struct mirvol_volume *vol, bool created)
{
	static const unsigned int one = 1;
	struct mirvol_assemble_member um[1];
	struct mirvol_assemble reply;

	if (!created)
		return;
	WRITE_ONCE(mirvol_kunit_assemble_group_hook, NULL);
	asm_meanwhile_reason = assemble_rams(asm_test, asm_test->priv, &one,
					     1, MIRVOL_ASSEMBLE_F_INCREMENTAL,
					     um, &reply);
}

/* Once: plex 1's device is handed (udev, incremental), the volume starts. */
static void member_final_meanwhile(struct mirvol_volume *vol)
{
	WRITE_ONCE(mirvol_kunit_member_final_hook, NULL);
	assemble_meanwhile(vol, true);
}

/*
 * udev assembles each device in its own call.  The call that handed plex
 * 0 to the waiting volume writes its member's result as the call that
 * hands plex 1 starts the volume, which frees every member's superblock
 * copy (plex->md): the result read its generation from it without a lock,
 * freed memory (KASAN: slab-use-after-free in mirvol_member_final()).
 */
static void mirvol_test_assemble_member_final_vs_start(struct kunit *test)
{
	static const unsigned int zero;
	struct mirvol_assemble_member um[1];
	struct io_ctx *ctx = test->priv;
	struct mirvol_assemble reply;
	enum mirvol_reason reason;
	u64 gen;

	io_create(test, "kunit-asmfinal", 2, true, NULL);
	gen = ctx->vol->generation;
	io_stop(test, ctx);

	asm_test = test;
	asm_meanwhile_reason = MIRVOL_R_INVALID_ARGUMENT;
	WRITE_ONCE(mirvol_kunit_member_final_hook, member_final_meanwhile);
	reason = assemble_rams(test, ctx, &zero, 1,
			       MIRVOL_ASSEMBLE_F_INCREMENTAL, um, &reply);
	WRITE_ONCE(mirvol_kunit_member_final_hook, NULL);
	ctx->vol = mirvol_lookup(reply.volume_uuid);
	KUNIT_ASSERT_NOT_NULL(test, ctx->vol);
	KUNIT_EXPECT_EQ(test, asm_meanwhile_reason, MIRVOL_R_NONE);
	KUNIT_EXPECT_EQ(test, reason, MIRVOL_R_NONE);
	KUNIT_EXPECT_TRUE(test, test_bit(MIRVOL_VOL_STARTED, &ctx->vol->flags));
	KUNIT_EXPECT_EQ(test, um[0].result, (u32)MIRVOL_MEMBER_ACTIVE);
	KUNIT_EXPECT_GE(test, um[0].generation, gen);
	KUNIT_EXPECT_LE(test, um[0].generation, ctx->vol->generation);
}

/*
 * A plain assembly (not incremental) of plex 0 of a 3-plex volume lists
 * the offline volume; before it takes the volume's lock, udev's
 * incremental assembly of plex 1 finds it and hands plex 1 over: waiting
 * for more.  The plain call then finds the volume incomplete: it killed
 * the volume it created, and gave plex 1 back too, whose udev event was
 * spent: nothing assembled it again, and plex 2's arrival started a new
 * volume without it.  The volume must stay waiting, with both members.
 */
static void mirvol_test_assemble_plain_keeps_others(struct kunit *test)
{
	static const unsigned int zero, two = 2;
	struct mirvol_assemble_member um[1];
	struct io_ctx *ctx = test->priv;
	struct mirvol_assemble reply;
	struct mirvol_volume *vol;
	enum mirvol_reason reason;
	u8 uuid[MIRVOL_UUID_LEN];

	io_create(test, "kunit-asmrace", 3, true, NULL);
	memcpy(uuid, &ctx->vol->uuid, MIRVOL_UUID_LEN);
	io_stop(test, ctx);

	asm_test = test;
	asm_meanwhile_reason = MIRVOL_R_INVALID_ARGUMENT;
	WRITE_ONCE(mirvol_kunit_assemble_group_hook, assemble_meanwhile);
	reason = assemble_rams(test, ctx, &zero, 1, 0, um, &reply);
	WRITE_ONCE(mirvol_kunit_assemble_group_hook, NULL);
	KUNIT_EXPECT_EQ(test, reason, MIRVOL_R_VOLUME_INCOMPLETE);
	KUNIT_EXPECT_EQ(test, asm_meanwhile_reason, MIRVOL_R_NONE);
	vol = mirvol_lookup(uuid);
	KUNIT_ASSERT_NOT_NULL_MSG(test, vol,
				  "the volume udev handed plex 1 to is gone");
	mutex_lock(&vol->lock);
	KUNIT_EXPECT_TRUE_MSG(test, vol->plexes[1] && vol->plexes[1]->bdev,
			      "plex 1's device was given back");
	mutex_unlock(&vol->lock);
	mirvol_volume_put(vol);

	/* Plex 2 arrives: the volume starts with all three. */
	reason = assemble_rams(test, ctx, &two, 1,
			       MIRVOL_ASSEMBLE_F_INCREMENTAL, um, &reply);
	KUNIT_EXPECT_EQ(test, reason, MIRVOL_R_NONE);
	KUNIT_EXPECT_EQ(test, reply.nr_started, 1U);
	ctx->vol = mirvol_lookup(uuid);
	KUNIT_ASSERT_NOT_NULL(test, ctx->vol);
	KUNIT_EXPECT_EQ(test, READ_ONCE(ctx->vol->state),
			MIRVOL_VOLUME_ONLINE);
	KUNIT_EXPECT_EQ(test, ctx->vol->nr_plexes, 3U);
}

/*
 * A 2-plex volume without a bitmap, safe mode off, holding @old at
 * @sector on both plexes; then plex 1 syncing, its checkpoint at
 * @checkpoint, past @sector, and the resync slow so that it stays so.
 * Returns the resync ceiling it had.
 */
static unsigned int io_create_syncing_past(struct kunit *test,
					   const char *name, sector_t sector,
					   sector_t checkpoint, u32 old)
{
	struct io_ctx *ctx = test->priv;
	struct mirvol_plex *p1;
	unsigned int speed;

	io_create_flags(test, name, 2, MIRVOL_CREATE_F_ASSUME_CLEAN |
			MIRVOL_CREATE_F_NO_BITMAP, NULL);
	p1 = ctx->vol->plexes[1];
	ctx->vol->safe_mode_delay_ms = 0;
	fill(ctx->pages, old);
	KUNIT_ASSERT_EQ(test, do_io(vbdev(ctx), REQ_OP_WRITE, sector,
				    ctx->pages, IO_PAGES), 0);
	speed = READ_ONCE(ctx->vol->sync_speed_max);
	WRITE_ONCE(ctx->vol->sync_speed_max, 1000);
	mutex_lock(&ctx->vol->lock);
	mutex_lock(&ctx->vol->sb_mutex);
	mirvol_set_plex_state(p1, MIRVOL_PLEX_SYNCING);
	WRITE_ONCE(p1->sync_offset, checkpoint);
	mirvol_sb_update_locked(ctx->vol);
	mutex_unlock(&ctx->vol->sb_mutex);
	mutex_unlock(&ctx->vol->lock);
	return speed;
}

/*
 * An empty flush reaches mirvol only when its queue has a write cache,
 * which it stacks from the plexes: RAM disks have none.  Restacked as a
 * plex joins, so after that.
 */
static void io_write_cache(struct kunit *test, struct io_ctx *ctx)
{
	struct request_queue *q = ctx->vol->disk->queue;
	struct queue_limits lim;

	lim = queue_limits_start_update(q);
	lim.features |= BLK_FEAT_WRITE_CACHE;
	KUNIT_ASSERT_EQ(test, queue_limits_commit_update(q, &lim), 0);
}

/* RAM disk @data loses the write cache io_ram_write_cache() gave it. */
static void io_ram_no_write_cache(void *data)
{
	struct request_queue *q = bdev_get_queue(file_bdev(data));
	struct queue_limits lim;

	lim = queue_limits_start_update(q);
	lim.features &= ~BLK_FEAT_WRITE_CACHE;
	WARN_ON(queue_limits_commit_update(q, &lim));
	__fput_sync(data);
}

/*
 * RAM disk @i gets a volatile write cache until the test ends: the RAM
 * disks outlive it, shared by the tests that follow.
 */
static void io_ram_write_cache(struct kunit *test, struct io_ctx *ctx,
			       unsigned int i)
{
	struct request_queue *q = bdev_get_queue(rbdev(ctx, i));
	struct queue_limits lim;

	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test,
							io_ram_no_write_cache,
							get_file(ctx->ram[i])),
			0);
	lim = queue_limits_start_update(q);
	lim.features |= BLK_FEAT_WRITE_CACHE;
	KUNIT_ASSERT_EQ(test, queue_limits_commit_update(q, &lim), 0);
}

/*
 * The last in-sync plex takes a write, and so does plex 1, syncing and
 * past it; then plex 0's device goes away and comes back (incremental
 * assembly: the volume failed without it, re-add is refused): plex 0 is
 * in sync again, the source.  With a write cache (@cache), plex 0's lost
 * the write (it was never flushed), so the first flush of the volume
 * after the rejoin must fail; without one the write was on its media
 * when it completed, and the flush must succeed.  Plex 1 must hold what
 * plex 0 does either way.
 */
static void last_in_sync_back(struct kunit *test, const char *name,
			      bool cache)
{
	const sector_t sector = 2048, checkpoint = 8192;
	struct mirvol_assemble_member um[1];
	static const unsigned int zero;
	struct io_ctx *ctx = test->priv;
	struct mirvol_assemble reply;
	struct mirvol_op_info info;
	enum mirvol_reason reason;
	struct mirvol_plex *p0, *p1;
	unsigned int speed;
	u64 op_id;
	int ret;

	speed = io_create_syncing_past(test, name, sector, checkpoint, 0x01d0);
	if (cache)
		io_ram_write_cache(test, ctx, 0);
	p0 = ctx->vol->plexes[0];
	p1 = ctx->vol->plexes[1];
	fill(ctx->pages, 0x0e3e);
	KUNIT_ASSERT_EQ(test, do_io(vbdev(ctx), REQ_OP_WRITE, sector,
				    ctx->pages, IO_PAGES), 0);
	KUNIT_ASSERT_TRUE(test, unplug_plex(p0));
	KUNIT_EXPECT_EQ(test, ctx->vol->state, MIRVOL_VOLUME_FAILED);
	if (ctx->vol->op_id)
		mirvol_op_wait(ctx->vol->op_id, 60000, &info);
	if (cache) {
		/* Plex 0's cache lost the write: its media hold the old data. */
		fill(ctx->pages, 0x01d0);
		KUNIT_ASSERT_EQ(test, do_io(rbdev(ctx, 0), REQ_OP_WRITE,
					    MIRVOL_DATA_OFFSET_SECTORS + sector,
					    ctx->pages, IO_PAGES), 0);
	}

	WRITE_ONCE(ctx->vol->sync_speed_max, speed);
	reason = assemble_rams(test, ctx, &zero, 1, 0, um, &reply);
	KUNIT_ASSERT_EQ_MSG(test, reason, MIRVOL_R_NONE,
			    "assemble: reason %d, member %u/%u", reason,
			    um[0].result, um[0].reason);
	op_id = reply.op_id ?: READ_ONCE(ctx->vol->op_id);
	if (op_id)
		KUNIT_EXPECT_EQ(test, mirvol_op_wait(op_id, 60000, &info),
				MIRVOL_R_NONE);
	p0 = ctx->vol->plexes[0];
	KUNIT_EXPECT_EQ(test, READ_ONCE(p0->state), MIRVOL_PLEX_ACTIVE);
	KUNIT_EXPECT_EQ(test, READ_ONCE(p1->state), MIRVOL_PLEX_ACTIVE);
	io_write_cache(test, ctx);
	ret = blkdev_issue_flush(vbdev(ctx));
	KUNIT_EXPECT_EQ_MSG(test, ret, cache ? -EIO : 0,
			    "the flush after plex 0 came back returned %d", ret);
	KUNIT_EXPECT_EQ(test, blkdev_issue_flush(vbdev(ctx)), 0);
	KUNIT_ASSERT_EQ(test, read_plex(ctx, 0, sector), 0);
	KUNIT_EXPECT_TRUE(test, same(ctx->pages, ctx->check));
	KUNIT_ASSERT_EQ(test, read_plex(ctx, 1, sector), 0);
	KUNIT_EXPECT_TRUE_MSG(test, same(ctx->pages, ctx->check),
			      "in sync, plex 1 holds data plex 0 does not");
}

/*
 * Plex 0's device has a write cache, which loses the write while it is
 * away.  Plex 1 must copy the written range from plex 0 again, or it
 * keeps data plex 0 does not hold, and reads of the range differ by the
 * plex they go to.  Assembly resyncs a syncing plex from 0 after an
 * unclean shutdown; the rejoin must too.  And the write was
 * acknowledged: the next flush of the volume must fail, once, as after a
 * failed internal flush of plex 0 (mirvol_test_last_in_sync_flush_lost),
 * or an fsync returns 0 over it.
 */
static void mirvol_test_last_in_sync_back_rewinds(struct kunit *test)
{
	last_in_sync_back(test, "kunit-lastback", true);
}

/*
 * Plex 0's device has no write cache (power-loss protection): going away
 * lost nothing it had completed, and a failed flush would be a spurious
 * error (ext4 aborts its journal on one).  The volume has a cache of its
 * own, as with another plex that has one, so flushes reach mirvol.
 */
static void mirvol_test_last_in_sync_back_no_write_cache(struct kunit *test)
{
	last_in_sync_back(test, "kunit-lastback-nc", false);
}

/*
 * As mirvol_test_last_in_sync_back_rewinds, but plex 0 comes back at
 * boot: the volume is stopped (clean) while plex 0 is away, and both
 * members are assembled together afterwards.  The newest superblock,
 * plex 1's, is clean and records plex 0 as the last in-sync plex: plex 1
 * must copy everything from it again, not resume from its checkpoint
 * keeping the write plex 0 lost below it.
 */
static void mirvol_test_last_in_sync_back_after_stop(struct kunit *test)
{
	const sector_t sector = 2048, checkpoint = 8192;
	static const unsigned int both[] = { 0, 1 };
	struct mirvol_assemble_member um[2];
	struct io_ctx *ctx = test->priv;
	struct mirvol_assemble reply;
	struct mirvol_op_info info;
	enum mirvol_reason reason;
	u8 uuid[MIRVOL_UUID_LEN];
	struct mirvol_plex *p0;
	u64 op_id;

	io_create_syncing_past(test, "kunit-laststop", sector, checkpoint,
			       0x01d0);
	memcpy(uuid, &ctx->vol->uuid, MIRVOL_UUID_LEN);
	p0 = ctx->vol->plexes[0];
	fill(ctx->pages, 0x0e3e);
	KUNIT_ASSERT_EQ(test, do_io(vbdev(ctx), REQ_OP_WRITE, sector,
				    ctx->pages, IO_PAGES), 0);
	KUNIT_ASSERT_TRUE(test, unplug_plex(p0));
	if (ctx->vol->op_id)
		mirvol_op_wait(ctx->vol->op_id, 60000, &info);
	/* Plex 0's cache lost the write: its media hold the old data. */
	fill(ctx->pages, 0x01d0);
	KUNIT_ASSERT_EQ(test, do_io(rbdev(ctx, 0), REQ_OP_WRITE,
				    MIRVOL_DATA_OFFSET_SECTORS + sector,
				    ctx->pages, IO_PAGES), 0);
	/* A clean stop without plex 0. */
	__fput_sync(ctx->vfile);
	ctx->vfile = NULL;
	KUNIT_ASSERT_EQ(test, mirvol_volume_teardown(ctx->vol, false),
			MIRVOL_R_NONE);
	mirvol_volume_put(ctx->vol);
	ctx->vol = NULL;

	reason = assemble_rams(test, ctx, both, 2, 0, um, &reply);
	KUNIT_ASSERT_EQ_MSG(test, reason, MIRVOL_R_NONE,
			    "assemble: reason %d, members %u/%u %u/%u", reason,
			    um[0].result, um[0].reason, um[1].result,
			    um[1].reason);
	ctx->vol = mirvol_lookup(uuid);
	KUNIT_ASSERT_NOT_NULL(test, ctx->vol);
	op_id = reply.op_id ?: READ_ONCE(ctx->vol->op_id);
	if (op_id)
		KUNIT_EXPECT_EQ(test, mirvol_op_wait(op_id, 60000, &info),
				MIRVOL_R_NONE);
	KUNIT_ASSERT_EQ(test, read_plex(ctx, 0, sector), 0);
	KUNIT_EXPECT_TRUE(test, same(ctx->pages, ctx->check));
	KUNIT_ASSERT_EQ(test, read_plex(ctx, 1, sector), 0);
	KUNIT_EXPECT_TRUE_MSG(test, same(ctx->pages, ctx->check),
			      "in sync, plex 1 holds data plex 0 does not");
}

/*
 * Plex 0, the last in-sync plex, fails every flush, and a superblock
 * update fails: plex 0's superblock stays behind the volume's generation,
 * which each attempt raised.
 */
static void fail_update_p0(struct kunit *test, struct mirvol_volume *vol)
{
	WRITE_ONCE(vol->plexes[0]->inject, MIRVOL_INJECT_FLUSH);
	mutex_lock(&vol->lock);
	mutex_lock(&vol->sb_mutex);
	KUNIT_EXPECT_EQ(test, mirvol_sb_update_locked(vol), -EIO);
	mutex_unlock(&vol->sb_mutex);
	mutex_unlock(&vol->lock);
}

/*
 * Plex 0, the last in-sync plex, takes a write into its volatile cache,
 * and so does plex 1, syncing and past it; then a flush fails on plex 0
 * (a link reset: the cache, and the write, are lost), which keeps it as
 * the last in-sync plex.  Plex 1 must copy the written range from plex 0
 * again, as when plex 0's device went and came back
 * (mirvol_test_last_in_sync_back_rewinds), or the resync goes on from its
 * checkpoint and the plexes differ for good.  The flush is an internal
 * one (mirvol_test_last_in_sync_flush_lost): then the next flush of the
 * volume must fail, once, for an fsync after the loss must not say that
 * the write is durable; or the caller's own, once, transient
 * (mirvol_test_last_in_sync_user_flush_fails): it fails itself, and the
 * update the worker writes for it goes through.
 */
static void last_in_sync_flush_fails(struct kunit *test, bool user)
{
	const sector_t sector = 2048, checkpoint = 8192;
	struct io_ctx *ctx = test->priv;
	struct mirvol_op_info info;
	struct mirvol_plex *p0, *p1;
	unsigned int speed;
	u64 op_id = 0;
	int ret;

	speed = io_create_syncing_past(test, "kunit-flushlost", sector,
				       checkpoint, 0x01d1);
	p0 = ctx->vol->plexes[0];
	p1 = ctx->vol->plexes[1];
	KUNIT_ASSERT_EQ(test, mirvol_resync_start(ctx->vol, false, &op_id),
			MIRVOL_R_NONE);
	fill(ctx->pages, 0x0e3f);
	KUNIT_ASSERT_EQ(test, do_io(vbdev(ctx), REQ_OP_WRITE, sector,
				    ctx->pages, IO_PAGES), 0);
	io_write_cache(test, ctx);

	if (user) {
		/* The write lost under plex 0, then the flush fails. */
		fill(ctx->pages, 0x01d1);
		KUNIT_ASSERT_EQ(test, do_io(rbdev(ctx, 0), REQ_OP_WRITE,
					    MIRVOL_DATA_OFFSET_SECTORS + sector,
					    ctx->pages, IO_PAGES), 0);
		WRITE_ONCE(mirvol_kunit_worker_hook, p0_sound_again);
		WRITE_ONCE(p0->inject, MIRVOL_INJECT_FLUSH);
		ret = blkdev_issue_flush(vbdev(ctx));
		WRITE_ONCE(mirvol_kunit_worker_hook, NULL);
	} else {
		fail_update_p0(test, ctx->vol);
		fill(ctx->pages, 0x01d1);
		KUNIT_ASSERT_EQ(test, do_io(rbdev(ctx, 0), REQ_OP_WRITE,
					    MIRVOL_DATA_OFFSET_SECTORS + sector,
					    ctx->pages, IO_PAGES), 0);
		WRITE_ONCE(p0->inject, 0);
		ret = blkdev_issue_flush(vbdev(ctx));
	}
	WRITE_ONCE(p0->inject, 0);
	KUNIT_EXPECT_EQ(test, READ_ONCE(p0->state), MIRVOL_PLEX_ACTIVE);
	KUNIT_EXPECT_EQ_MSG(test, ret, -EIO,
			    "the flush after the loss returned %d", ret);
	KUNIT_EXPECT_EQ(test, blkdev_issue_flush(vbdev(ctx)), 0);

	/* Plex 0 sound again; the resync ends. */
	WRITE_ONCE(ctx->vol->sync_speed_max, speed);
	KUNIT_ASSERT_EQ(test, mirvol_op_wait(op_id, 60000, &info),
			MIRVOL_R_NONE);
	KUNIT_EXPECT_EQ(test, info.state, (u32)MIRVOL_OPS_SUCCEEDED);
	KUNIT_EXPECT_EQ(test, READ_ONCE(p0->state), MIRVOL_PLEX_ACTIVE);
	KUNIT_EXPECT_EQ(test, READ_ONCE(p1->state), MIRVOL_PLEX_ACTIVE);
	KUNIT_ASSERT_EQ(test, read_plex(ctx, 0, sector), 0);
	KUNIT_EXPECT_TRUE(test, same(ctx->pages, ctx->check));
	KUNIT_ASSERT_EQ(test, read_plex(ctx, 1, sector), 0);
	KUNIT_EXPECT_TRUE_MSG(test, same(ctx->pages, ctx->check),
			      "in sync, plex 1 holds data plex 0 does not");
}

static void mirvol_test_last_in_sync_flush_lost(struct kunit *test)
{
	last_in_sync_flush_fails(test, false);
}

static void mirvol_test_last_in_sync_user_flush_fails(struct kunit *test)
{
	last_in_sync_flush_fails(test, true);
}

/* What the device being added holds as each update of the add begins. */
static struct {
	struct block_device *bdev;
	struct page **head;	/* its metadata head then, if it was ours */
	bool saved;
	u64 gen;		/* the generation of its superblock then */
	struct mirvol_md md;
} add_watch;

static void add_watch_update(struct mirvol_volume *vol)
{
	enum mirvol_reason reason;

	if (mirvol_sb_read_dev(add_watch.bdev, &add_watch.md, &reason) < 0 ||
	    memcmp(add_watch.md.volume_uuid, &vol->uuid, MIRVOL_UUID_LEN))
		return;
	add_watch.gen = max(add_watch.gen, add_watch.md.generation);
	if (!do_io(add_watch.bdev, REQ_OP_READ, 0, add_watch.head,
		   MIRVOL_META_HEAD_PAGES))
		add_watch.saved = true;
}

/*
 * The add-plex form of mirvol_test_join_after_failed_update(): after an
 * update that failed, the join of an add-plex wrote the device the
 * generation after the volume's, two ahead of plex 0's, and the update
 * after it failed too; the failed add wiped the device again, but a power
 * cut before the wipe left plex 0 stale to assembly, none in sync, and
 * the volume did not assemble.  The add must fail without claiming the
 * device, and the volume assemble by plex 0 with its data; once plex 0
 * takes flushes again, the add goes through (the update caught up first)
 * and the new plex assembles with the others.
 */
static void mirvol_test_add_after_failed_update(struct kunit *test)
{
	static const unsigned int all[] = { 0, 1, 2 };
	struct mirvol_assemble_member um[NR_RAM];
	struct io_ctx *ctx = test->priv;
	struct mirvol_assemble reply;
	struct mirvol_op_info info;
	enum mirvol_reason reason;
	struct mirvol_volume *vol;
	struct mirvol_md *md;
	u64 gen0, op_id = 0;
	unsigned int i;
	uuid_t vuuid;

	md = kunit_kzalloc(test, sizeof(*md), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, md);
	io_create_p1_offline(test, "kunit-addjoinfail", 0x10f2);
	vol = ctx->vol;
	uuid_copy(&vuuid, &vol->uuid);
	/* RAM disk 2 blank, a new device. */
	for (i = 0; i < MIRVOL_META_HEAD_PAGES; i++)
		clear_highpage(ctx->check[i]);
	KUNIT_ASSERT_EQ(test, do_io(rbdev(ctx, 2), REQ_OP_WRITE, 0, ctx->check,
				    MIRVOL_META_HEAD_PAGES), 0);
	KUNIT_ASSERT_GE(test, mirvol_sb_read_dev(rbdev(ctx, 0), md, &reason),
			0);
	gen0 = md->generation;
	fail_update_p0(test, vol);

	add_watch.bdev = rbdev(ctx, 2);
	add_watch.head = ctx->check;
	add_watch.saved = false;
	add_watch.gen = 0;
	WRITE_ONCE(mirvol_kunit_sb_update_hook, add_watch_update);
	reason = mirvol_add_plex(vol, ctx->ram[2], NULL, false, &op_id);
	WRITE_ONCE(mirvol_kunit_sb_update_hook, NULL);
	KUNIT_EXPECT_EQ(test, reason, MIRVOL_R_IO_ERROR);
	KUNIT_EXPECT_NULL(test, READ_ONCE(vol->plexes[2]));
	KUNIT_EXPECT_LT(test, mirvol_sb_read_dev(rbdev(ctx, 2), md, &reason),
			0);
	KUNIT_EXPECT_LE_MSG(test, add_watch.gen, gen0 + 1,
			    "the added device's superblock was generation %llu, plex 0's %llu",
			    (unsigned long long)add_watch.gen,
			    (unsigned long long)gen0);
	/* A power cut before the failed add wiped the device. */
	if (add_watch.saved)
		KUNIT_ASSERT_EQ(test, do_io(rbdev(ctx, 2), REQ_OP_WRITE, 0,
					    ctx->check,
					    MIRVOL_META_HEAD_PAGES), 0);

	/* Plex 0 sound again; the device, not claimed, is refused. */
	__fput_sync(ctx->vfile);
	ctx->vfile = NULL;
	KUNIT_ASSERT_EQ(test, mirvol_volume_teardown(vol, false),
			MIRVOL_R_NONE);
	mirvol_volume_put(vol);
	ctx->vol = NULL;
	reason = assemble_rams(test, ctx, all, 3, 0, um, &reply);
	ctx->vol = mirvol_lookup(vuuid.b);
	KUNIT_ASSERT_NOT_NULL_MSG(test, ctx->vol,
				  "assemble: reason %d, members: %u/%u %u/%u %u/%u",
				  reason, um[0].result, um[0].reason,
				  um[1].result, um[1].reason, um[2].result,
				  um[2].reason);
	KUNIT_EXPECT_EQ(test, um[2].reason, (u32)MIRVOL_R_NOT_A_MEMBER);
	vol = ctx->vol;
	if (reply.op_id)
		KUNIT_EXPECT_EQ(test, mirvol_op_wait(reply.op_id, 60000,
						     &info), MIRVOL_R_NONE);
	KUNIT_EXPECT_EQ(test, READ_ONCE(vol->plexes[0]->state),
			MIRVOL_PLEX_ACTIVE);
	fill(ctx->pages, 0x10f2);
	KUNIT_ASSERT_EQ(test, read_plex(ctx, 0, 2 << vol->bitmap->shift), 0);
	KUNIT_EXPECT_TRUE(test, same(ctx->pages, ctx->check));
	ctx->vfile = open_dev(disk_devt(vol->disk));
	KUNIT_ASSERT_FALSE(test, IS_ERR(ctx->vfile));

	/* An update fails again, then plex 0 takes flushes: the add goes. */
	fail_update_p0(test, vol);
	WRITE_ONCE(vol->plexes[0]->inject, 0);
	op_id = 0;
	KUNIT_ASSERT_EQ(test, mirvol_add_plex(vol, ctx->ram[2], NULL, false,
					      &op_id), MIRVOL_R_NONE);
	KUNIT_ASSERT_EQ(test, mirvol_op_wait(op_id, 60000, &info),
			MIRVOL_R_NONE);
	KUNIT_EXPECT_EQ(test, info.state, (u32)MIRVOL_OPS_SUCCEEDED);
	vol = stop_assemble(test, ctx, 3, &op_id);
	if (op_id)
		KUNIT_EXPECT_EQ(test, mirvol_op_wait(op_id, 60000, &info),
				MIRVOL_R_NONE);
	KUNIT_EXPECT_EQ(test, READ_ONCE(vol->plexes[0]->state),
			MIRVOL_PLEX_ACTIVE);
	KUNIT_ASSERT_NOT_NULL(test, vol->plexes[2]);
	KUNIT_EXPECT_EQ(test, READ_ONCE(vol->plexes[2]->state),
			MIRVOL_PLEX_ACTIVE);
	KUNIT_ASSERT_EQ(test, read_plex(ctx, 2, 2 << vol->bitmap->shift), 0);
	KUNIT_EXPECT_TRUE(test, same(ctx->pages, ctx->check));
}

/*
 * The incremental-assembly form: plex 1's device went away and an update
 * failed (plex 0, the last in-sync plex, fails every flush) when the
 * device comes back.  The rejoin's join wrote plex 1 the generation after
 * the volume's, two ahead of plex 0's, and after a power cut plex 0 was
 * stale to assembly, none in sync: the volume did not assemble.  The
 * rejoin must be refused (plex 1 failed in its slot), and after a power
 * cut both assemble, plex 1 resynced from plex 0.
 */
static void mirvol_test_rejoin_after_failed_update(struct kunit *test)
{
	struct mirvol_assemble_member um[1];
	static const unsigned int one = 1;
	struct io_ctx *ctx = test->priv;
	struct mirvol_assemble reply;
	enum mirvol_reason reason;
	struct mirvol_volume *vol;
	struct mirvol_md *md;
	u64 gen0;

	md = kunit_kzalloc(test, sizeof(*md), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, md);
	io_create(test, "kunit-rejoinfail", 2, true, NULL);
	vol = ctx->vol;
	KUNIT_ASSERT_NOT_NULL(test, vol->bitmap);
	vol->safe_mode_delay_ms = 0;
	KUNIT_ASSERT_TRUE(test, unplug_plex(vol->plexes[1]));
	fill(ctx->pages, 0x10f3);
	KUNIT_ASSERT_EQ(test, do_io(vbdev(ctx), REQ_OP_WRITE,
				    2 << vol->bitmap->shift, ctx->pages,
				    IO_PAGES), 0);
	flush_mirvol_works();
	KUNIT_ASSERT_GE(test, mirvol_sb_read_dev(rbdev(ctx, 0), md, &reason),
			0);
	gen0 = md->generation;
	fail_update_p0(test, vol);

	reason = assemble_rams(test, ctx, &one, 1, 0, um, &reply);
	KUNIT_EXPECT_EQ_MSG(test, um[0].reason, (u32)MIRVOL_R_IO_ERROR,
			    "rejoin: reason %d, member %u/%u", reason,
			    um[0].result, um[0].reason);
	expect_join_gen(test, ctx, gen0, md);
	/* Power cut; plex 0 sound again. */
	expect_reassembled(test, ctx, 0x10f3);
}

/*
 * An assembly whose volume does not start (add_disk(), the sysfs
 * directory) leaves its members as it found them: here a RUN of a
 * two-plex volume with only plex 0 present.  Had it written its
 * superblocks before the start, plex 0 would carry a generation no
 * running volume ever had that records plex 1 missing, and the next
 * assembly of both would demote plex 1 (stale, resynced) for writes
 * that never happened.
 */
static void mirvol_test_assemble_start_fails(struct kunit *test)
{
	static const unsigned int both[] = { 0, 1 };
	struct mirvol_assemble_member um[2];
	struct io_ctx *ctx = test->priv;
	struct mirvol_assemble reply;
	struct mirvol_md *md0, *md1, *md;
	struct mirvol_volume *vol;
	enum mirvol_reason reason;
	uuid_t uuid;
	unsigned int i;

	/* Three superblocks: too big for the stack together. */
	md0 = kunit_kzalloc(test, 3 * sizeof(*md0), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, md0);
	md1 = md0 + 1;
	md = md0 + 2;
	io_create(test, "kunit-asmfail", 2, true, NULL);
	uuid_copy(&uuid, &ctx->vol->uuid);
	io_stop(test, ctx);
	KUNIT_ASSERT_GE(test, mirvol_sb_read_dev(rbdev(ctx, 0), md0, &reason),
			0);
	KUNIT_ASSERT_GE(test, mirvol_sb_read_dev(rbdev(ctx, 1), md1, &reason),
			0);

	WRITE_ONCE(mirvol_kunit_start_fail, true);
	reason = assemble_rams(test, ctx, both, 1, MIRVOL_ASSEMBLE_F_RUN, um,
			       &reply);
	KUNIT_EXPECT_NE(test, reason, MIRVOL_R_NONE);
	KUNIT_EXPECT_FALSE_MSG(test, READ_ONCE(mirvol_kunit_start_fail),
			       "the assembly did not get as far as the start");
	KUNIT_EXPECT_EQ(test, reply.nr_started, 0U);
	KUNIT_EXPECT_EQ(test, um[0].result, (u32)MIRVOL_MEMBER_REFUSED);
	vol = mirvol_lookup(uuid.b);
	KUNIT_EXPECT_NULL_MSG(test, vol, "an offline volume was left behind");
	if (vol)
		mirvol_volume_put(vol);

	/* The members are as they were. */
	KUNIT_ASSERT_GE(test, mirvol_sb_read_dev(rbdev(ctx, 0), md, &reason),
			0);
	KUNIT_EXPECT_EQ_MSG(test, md->generation, md0->generation,
			    "the failed start wrote plex 0's superblock");
	KUNIT_EXPECT_EQ(test, md->plexes[1].state, md0->plexes[1].state);
	KUNIT_ASSERT_GE(test, mirvol_sb_read_dev(rbdev(ctx, 1), md, &reason),
			0);
	KUNIT_EXPECT_EQ(test, md->generation, md1->generation);

	/* And assemble as before: both in sync, nothing to copy. */
	reason = assemble_rams(test, ctx, both, 2, 0, um, &reply);
	KUNIT_ASSERT_EQ_MSG(test, reason, MIRVOL_R_NONE,
			    "assemble: reason %d, members %u/%u %u/%u", reason,
			    um[0].result, um[0].reason, um[1].result,
			    um[1].reason);
	KUNIT_EXPECT_EQ(test, reply.nr_started, 1U);
	KUNIT_EXPECT_EQ(test, reply.op_id, 0ULL);
	for (i = 0; i < 2; i++)
		KUNIT_EXPECT_EQ_MSG(test, um[i].result,
				    (u32)MIRVOL_MEMBER_ACTIVE,
				    "plex %u was demoted", i);
	ctx->vol = mirvol_lookup(uuid.b);
	KUNIT_ASSERT_NOT_NULL(test, ctx->vol);
	mutex_lock(&ctx->vol->lock);
	KUNIT_EXPECT_EQ(test, ctx->vol->state,
			(unsigned int)MIRVOL_VOLUME_ONLINE);
	for (i = 0; i < 2; i++)
		KUNIT_EXPECT_EQ(test, ctx->vol->plexes[i]->state,
				MIRVOL_PLEX_ACTIVE);
	mutex_unlock(&ctx->vol->lock);
}

/*
 * SET_PLEX on a volume waiting in assembly (incremental, one of its two
 * members given) is refused as SET_VOLUME refuses it: VOLUME_NOT_ONLINE,
 * nothing changed.  The landed code went on: the waiting members have no
 * state, so the superblock update found no plex to write and failed
 * (twice, with the put-back), raised the generation, set SB_FAILED and
 * said IO_ERROR.  The volume still starts once its last member comes,
 * the flag not set.
 */
static void mirvol_test_set_plex_waiting(struct kunit *test)
{
	static const unsigned int zero, one = 1;
	struct mirvol_set_volume sv = { .hdr.flags = MIRVOL_SET_F_SPEED };
	struct mirvol_assemble_member um[1];
	struct io_ctx *ctx = test->priv;
	struct mirvol_assemble reply;
	enum mirvol_reason reason;
	u8 puuid[2][MIRVOL_UUID_LEN];
	struct mirvol_volume *vol;
	bool sb_failed;
	uuid_t vuuid;
	u64 gen;

	io_create(test, "kunit-setplexwait", 2, true, NULL);
	uuid_copy(&vuuid, &ctx->vol->uuid);
	memcpy(puuid[0], &ctx->vol->plexes[0]->uuid, MIRVOL_UUID_LEN);
	memcpy(puuid[1], &ctx->vol->plexes[1]->uuid, MIRVOL_UUID_LEN);
	io_stop(test, ctx);

	/* Plex 0 alone, incremental: the volume waits for plex 1. */
	reason = assemble_rams(test, ctx, &zero, 1,
			       MIRVOL_ASSEMBLE_F_INCREMENTAL, um, &reply);
	KUNIT_EXPECT_EQ_MSG(test, um[0].result, (u32)MIRVOL_MEMBER_PENDING,
			    "assemble: reason %d, member %u/%u", reason,
			    um[0].result, um[0].reason);
	vol = mirvol_lookup(vuuid.b);
	ctx->vol = vol;
	KUNIT_ASSERT_NOT_NULL(test, vol);
	KUNIT_ASSERT_FALSE(test, test_bit(MIRVOL_VOL_STARTED, &vol->flags));
	gen = vol->generation;	/* nothing else runs on it */

	reason = mirvol_set_plex(vol, puuid[0], MIRVOL_SET_PLEX_F_WRITE_MOSTLY);
	KUNIT_EXPECT_EQ_MSG(test, reason, MIRVOL_R_VOLUME_NOT_ONLINE,
			    "set-plex on a waiting volume: reason %d", reason);
	/* Plex 1, not there yet, is no different. */
	KUNIT_EXPECT_EQ(test, mirvol_set_plex(vol, puuid[1],
					      MIRVOL_SET_PLEX_F_BOOT),
			MIRVOL_R_VOLUME_NOT_ONLINE);
	/* SET_VOLUME's reason for it. */
	KUNIT_EXPECT_EQ(test, mirvol_set_volume(vol, &sv),
			MIRVOL_R_VOLUME_NOT_ONLINE);
	KUNIT_EXPECT_EQ_MSG(test, vol->generation, gen,
			    "the refused set-plex raised the generation");
	sb_failed = test_bit(MIRVOL_VOL_SB_FAILED, &vol->flags);
	KUNIT_EXPECT_FALSE_MSG(test, sb_failed,
			       "the refused set-plex set SB_FAILED");
	KUNIT_EXPECT_FALSE(test, test_bit(MIRVOL_VOL_STARTED, &vol->flags));

	/* Plex 1 comes: the volume starts, plex 0 not write-mostly. */
	reason = assemble_rams(test, ctx, &one, 1,
			       MIRVOL_ASSEMBLE_F_INCREMENTAL, um, &reply);
	KUNIT_EXPECT_EQ_MSG(test, reason, MIRVOL_R_NONE,
			    "assemble: reason %d, member %u/%u", reason,
			    um[0].result, um[0].reason);
	KUNIT_EXPECT_EQ(test, reply.nr_started, 1U);
	KUNIT_EXPECT_EQ(test, um[0].result, (u32)MIRVOL_MEMBER_ACTIVE);
	KUNIT_ASSERT_TRUE(test, test_bit(MIRVOL_VOL_STARTED, &vol->flags));
	mutex_lock(&vol->lock);
	KUNIT_EXPECT_EQ(test, vol->state, (unsigned int)MIRVOL_VOLUME_ONLINE);
	KUNIT_EXPECT_FALSE(test, test_bit(MIRVOL_VOL_SB_FAILED, &vol->flags));
	KUNIT_EXPECT_FALSE_MSG(test, vol->plexes[0]->write_mostly,
			       "the refused set-plex set write-mostly");
	KUNIT_EXPECT_FALSE(test, vol->plexes[1]->boot);
	KUNIT_EXPECT_EQ(test, vol->plexes[0]->state, MIRVOL_PLEX_ACTIVE);
	KUNIT_EXPECT_EQ(test, vol->plexes[1]->state, MIRVOL_PLEX_ACTIVE);
	mutex_unlock(&vol->lock);
}

/*
 * Plex 1's device is handed (incremental assembly) to @vol, whose plex 1
 * is offline without it: held offline, no resync, its image (IO_PAGES at
 * @s, filled with @seed) untouched.  Returns plex 1, referenced.
 */
static struct mirvol_plex *hand_back_offline(struct kunit *test,
					     struct io_ctx *ctx,
					     struct mirvol_volume *vol,
					     sector_t s, unsigned int seed)
{
	static const unsigned int one = 1;
	struct mirvol_assemble_member um[1];
	struct mirvol_assemble reply;
	struct mirvol_op_info info;
	enum mirvol_reason reason;
	struct mirvol_plex *p1;
	unsigned int state;
	bool has_dev;

	reason = assemble_rams(test, ctx, &one, 1,
			       MIRVOL_ASSEMBLE_F_INCREMENTAL, um, &reply);
	KUNIT_EXPECT_EQ_MSG(test, reason, MIRVOL_R_NONE,
			    "assemble: reason %d, member %u/%u", reason,
			    um[0].result, um[0].reason);
	KUNIT_EXPECT_EQ_MSG(test, reply.op_id, 0ULL,
			    "plex 1's device started a resync");
	if (reply.op_id)
		mirvol_op_wait(reply.op_id, 60000, &info);
	flush_mirvol_works();
	mutex_lock(&vol->lock);
	p1 = vol->plexes[1];
	state = p1 ? p1->state : MIRVOL_PLEX_NONE;
	has_dev = p1 && p1->bdev == rbdev(ctx, 1);
	if (p1)
		mirvol_plex_get(p1);
	mutex_unlock(&vol->lock);
	KUNIT_ASSERT_NOT_NULL(test, p1);
	KUNIT_EXPECT_EQ_MSG(test, state, (unsigned int)MIRVOL_PLEX_OFFLINE,
			    "plex 1's device came back %s",
			    mirvol_plex_state_name(state));
	KUNIT_EXPECT_TRUE(test, has_dev);
	KUNIT_EXPECT_EQ(test, read_plex(ctx, 1, s), 0);
	fill(ctx->pages, seed);
	KUNIT_EXPECT_TRUE_MSG(test, same(ctx->pages, ctx->check),
			      "plex 1's image was written over");
	return p1;
}

/*
 * Online brings plex 1 (@p1, held offline, referenced: put here) back: it
 * copies what it missed, not the whole volume, and then holds the
 * volume's data at @s (IO_PAGES filled with @seed).
 */
static void online_held_back(struct kunit *test, struct io_ctx *ctx,
			     struct mirvol_volume *vol, struct mirvol_plex *p1,
			     sector_t s, unsigned int seed)
{
	struct mirvol_op_info info;

	if (READ_ONCE(p1->state) == MIRVOL_PLEX_OFFLINE) {
		take_online_op(test, vol, p1, &info);
		KUNIT_EXPECT_GT(test, info.total_bytes, 0ULL);
		KUNIT_EXPECT_LT(test, info.total_bytes,
				(u64)vol->size << SECTOR_SHIFT);
		KUNIT_EXPECT_EQ(test, read_plex(ctx, 1, s), 0);
		fill(ctx->pages, seed);
		KUNIT_EXPECT_TRUE(test, same(ctx->pages, ctx->check));
	}
	mirvol_plex_put(p1);
}

/*
 * A plex taken offline stays offline across a stop, however the volume
 * is assembled, until online (admin-guide.rst).  udev hands the members
 * one at a time: plex 0 alone starts the volume degraded (an offline plex
 * is not awaited), which must record plex 1 offline, not missing, in
 * memory and in plex 0's superblock (the next boot reads it there).
 * Online is refused while its device is absent.  Plex 1's device, handed
 * next, is held as the offline plex: not rejoined and resynced over (an
 * offline plex is often kept as a point-in-time image), the writes made
 * without it not copied.  Online then brings it back.  The landed code
 * started the absent offline plex missing, recorded it so, and its device
 * rejoined, the bitmap's regions copied onto it.
 */
static void mirvol_test_offline_incremental(struct kunit *test)
{
	static const unsigned int zero;
	struct mirvol_assemble_member um[1];
	struct io_ctx *ctx = test->priv;
	struct mirvol_assemble reply;
	enum mirvol_reason reason;
	struct mirvol_volume *vol;
	struct mirvol_plex *p1;
	u8 uuid[MIRVOL_UUID_LEN];
	unsigned int state;
	struct mirvol_md md;
	bool has_dev;
	uuid_t vuuid;
	u64 op_id = 0;
	sector_t s;

	io_create(test, "kunit-offincr", 2, true, NULL);
	KUNIT_ASSERT_NOT_NULL(test, ctx->vol->bitmap);
	s = (sector_t)50 << ctx->vol->bitmap->shift;
	uuid_copy(&vuuid, &ctx->vol->uuid);
	memcpy(uuid, &ctx->vol->plexes[1]->uuid, MIRVOL_UUID_LEN);
	/* The image plex 1 keeps. */
	fill(ctx->pages, 0x1a6e);
	KUNIT_ASSERT_EQ(test, do_io(vbdev(ctx), REQ_OP_WRITE, s, ctx->pages,
				    IO_PAGES), 0);
	KUNIT_ASSERT_EQ(test, mirvol_plex_action(ctx->vol, uuid,
						 MIRVOL_PLEX_TAKE_OFFLINE, -1,
						 &op_id), MIRVOL_R_NONE);
	io_stop(test, ctx);

	/* Plex 0 alone, incremental: the offline plex is not awaited. */
	reason = assemble_rams(test, ctx, &zero, 1,
			       MIRVOL_ASSEMBLE_F_INCREMENTAL, um, &reply);
	KUNIT_EXPECT_EQ_MSG(test, reason, MIRVOL_R_NONE,
			    "assemble: reason %d, member %u/%u", reason,
			    um[0].result, um[0].reason);
	KUNIT_EXPECT_EQ(test, reply.nr_started, 1U);
	vol = mirvol_lookup(vuuid.b);
	ctx->vol = vol;
	KUNIT_ASSERT_NOT_NULL(test, vol);
	KUNIT_ASSERT_TRUE(test, test_bit(MIRVOL_VOL_STARTED, &vol->flags));
	mutex_lock(&vol->lock);
	p1 = vol->plexes[1];
	state = p1 ? p1->state : MIRVOL_PLEX_NONE;
	has_dev = p1 && p1->bdev;
	mutex_unlock(&vol->lock);
	KUNIT_EXPECT_EQ_MSG(test, state, (unsigned int)MIRVOL_PLEX_OFFLINE,
			    "plex 1, offline and absent, started %s",
			    mirvol_plex_state_name(state));
	KUNIT_EXPECT_FALSE(test, has_dev);
	KUNIT_EXPECT_EQ(test, vol->state, (unsigned int)MIRVOL_VOLUME_DEGRADED);
	KUNIT_ASSERT_GE(test, mirvol_sb_read_dev(rbdev(ctx, 0), &md, &reason),
			0);
	KUNIT_EXPECT_EQ_MSG(test, md.plexes[1].state,
			    (u32)MIRVOL_PLEX_OFFLINE,
			    "plex 0's superblock records plex 1 %s",
			    mirvol_plex_state_name(md.plexes[1].state));
	/* Nothing to bring back: its device is not there. */
	KUNIT_EXPECT_EQ(test, mirvol_plex_action(vol, uuid,
						 MIRVOL_PLEX_TAKE_ONLINE, -1,
						 &op_id),
			MIRVOL_R_OBJECT_NOT_FOUND);
	KUNIT_EXPECT_EQ(test, op_id, 0ULL);

	/* Written while plex 1 is away: it must not get it. */
	ctx->vfile = open_dev(disk_devt(vol->disk));
	KUNIT_ASSERT_FALSE(test, IS_ERR(ctx->vfile));
	fill(ctx->pages, 0x2b7f);
	KUNIT_ASSERT_EQ(test, do_io(vbdev(ctx), REQ_OP_WRITE, s, ctx->pages,
				    IO_PAGES), 0);

	/* Plex 1's device comes: held offline, not resynced. */
	p1 = hand_back_offline(test, ctx, vol, s, 0x1a6e);
	KUNIT_EXPECT_EQ(test, vol->state, (unsigned int)MIRVOL_VOLUME_DEGRADED);
	KUNIT_EXPECT_GE(test, mirvol_sb_read_dev(rbdev(ctx, 0), &md, &reason),
			0);
	KUNIT_EXPECT_EQ(test, md.plexes[1].state, (u32)MIRVOL_PLEX_OFFLINE);

	/* Online: back, copying what it missed. */
	online_held_back(test, ctx, vol, p1, s, 0x2b7f);
}

/*
 * The device of an offline plex goes away (its disk pulled, to be kept
 * as an image): the plex stays offline, without a device, recorded so,
 * not missing, as a failed plex stays failed; when the device comes back
 * it is held offline, not rejoined and resynced over with what was
 * written meanwhile.  Online then brings it back.  The landed code made
 * it missing, and its device rejoined, resynced.
 */
static void mirvol_test_offline_unplugged(struct kunit *test)
{
	struct io_ctx *ctx = test->priv;
	enum mirvol_reason reason;
	struct block_device *bdev;
	struct mirvol_volume *vol;
	struct mirvol_plex *p1;
	u8 uuid[MIRVOL_UUID_LEN];
	unsigned int state;
	struct mirvol_md md;
	u64 op_id = 0;
	sector_t s;

	io_create(test, "kunit-offunplug", 2, true, NULL);
	vol = ctx->vol;
	KUNIT_ASSERT_NOT_NULL(test, vol->bitmap);
	s = (sector_t)50 << vol->bitmap->shift;
	p1 = vol->plexes[1];
	memcpy(uuid, &p1->uuid, MIRVOL_UUID_LEN);
	fill(ctx->pages, 0x3c8d);
	KUNIT_ASSERT_EQ(test, do_io(vbdev(ctx), REQ_OP_WRITE, s, ctx->pages,
				    IO_PAGES), 0);
	KUNIT_ASSERT_EQ(test, mirvol_plex_action(vol, uuid,
						 MIRVOL_PLEX_TAKE_OFFLINE, -1,
						 &op_id), MIRVOL_R_NONE);
	bdev = p1->bdev;
	device_gone(bdev, true);
	KUNIT_ASSERT_TRUE(test, wait_until(!READ_ONCE(p1->bdev)));
	flush_mirvol_works();
	state = READ_ONCE(p1->state);
	KUNIT_EXPECT_EQ_MSG(test, state, (unsigned int)MIRVOL_PLEX_OFFLINE,
			    "offline plex whose device went: %s",
			    mirvol_plex_state_name(state));
	KUNIT_ASSERT_GE(test, mirvol_sb_read_dev(rbdev(ctx, 0), &md, &reason),
			0);
	KUNIT_EXPECT_EQ_MSG(test, md.plexes[1].state,
			    (u32)MIRVOL_PLEX_OFFLINE,
			    "plex 0's superblock records plex 1 %s",
			    mirvol_plex_state_name(md.plexes[1].state));
	KUNIT_EXPECT_EQ(test, mirvol_plex_action(vol, uuid,
						 MIRVOL_PLEX_TAKE_ONLINE, -1,
						 &op_id),
			MIRVOL_R_OBJECT_NOT_FOUND);
	fill(ctx->pages, 0x4d9e);
	KUNIT_ASSERT_EQ(test, do_io(vbdev(ctx), REQ_OP_WRITE, s, ctx->pages,
				    IO_PAGES), 0);

	/* Its device is back: held offline, not resynced. */
	p1 = hand_back_offline(test, ctx, vol, s, 0x3c8d);
	online_held_back(test, ctx, vol, p1, s, 0x4d9e);
}

/*
 * As mirvol_test_bitmap_old_image_rejoin, for an offline plex: its device
 * goes, and what comes back is an old image of it, from generations
 * before it was taken offline; a region written and cleared in between
 * is old on it.  It is held offline all the same (an image to keep), but
 * online must copy everything, not only the regions written while it was
 * offline.
 */
static void mirvol_test_offline_old_image_back(struct kunit *test)
{
	struct io_ctx *ctx = test->priv;
	struct mirvol_op_info info;
	struct mirvol_volume *vol;
	struct block_device *bdev;
	struct mirvol_plex *p1;
	sector_t s, where = 0;
	u64 op_id = 0;
	unsigned int i;
	u8 *head;

	head = kunit_kzalloc(test, MIRVOL_META_HEAD_PAGES * PAGE_SIZE,
			     GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, head);
	io_create(test, "kunit-offold", 2, true, NULL);
	vol = ctx->vol;
	KUNIT_ASSERT_NOT_NULL(test, vol->bitmap);
	s = (sector_t)50 << vol->bitmap->shift;
	p1 = vol->plexes[1];
	fill(ctx->pages, 0x01d2);
	KUNIT_ASSERT_EQ(test, do_io(vbdev(ctx), REQ_OP_WRITE, s, ctx->pages,
				    IO_PAGES), 0);
	/* The image: plex 1 as it is now. */
	head_save(test, ctx, 1, head);
	/* Written since, and clean again: the bitmap no longer holds it. */
	fill(ctx->pages, 0x0e40);
	KUNIT_ASSERT_EQ(test, do_io(vbdev(ctx), REQ_OP_WRITE, s, ctx->pages,
				    IO_PAGES), 0);
	bitmap_fast_clear(vol->bitmap, 50);
	KUNIT_ASSERT_TRUE(test, disk_bit_becomes(test, ctx, 2, 50, false,
						 3000));
	bitmap_fast_clear(vol->bitmap, MIRVOL_BM_CLEAR_MS_DEFAULT);
	mutex_lock(&vol->lock);
	for (i = 0; i < 3; i++)
		KUNIT_EXPECT_EQ(test, mirvol_sb_update(vol), 0);
	mutex_unlock(&vol->lock);
	KUNIT_ASSERT_EQ(test, mirvol_plex_action(vol, p1->uuid.b,
						 MIRVOL_PLEX_TAKE_OFFLINE, -1,
						 &op_id), MIRVOL_R_NONE);
	bdev = p1->bdev;
	device_gone(bdev, true);
	KUNIT_ASSERT_TRUE(test, wait_until(!READ_ONCE(p1->bdev)));
	flush_mirvol_works();

	/* The old image comes back: held offline, then online. */
	fill(ctx->pages, 0x01d2);
	KUNIT_ASSERT_EQ(test, do_io(rbdev(ctx, 1), REQ_OP_WRITE,
				    MIRVOL_DATA_OFFSET_SECTORS + s,
				    ctx->pages, IO_PAGES), 0);
	head_restore(test, ctx, 1, head);
	p1 = hand_back_offline(test, ctx, vol, s, 0x01d2);
	if (READ_ONCE(p1->state) == MIRVOL_PLEX_OFFLINE)
		take_online_op(test, vol, p1, &info);
	mirvol_plex_put(p1);
	KUNIT_EXPECT_TRUE_MSG(test, plexes_same(test, ctx, 0, 1, &where),
			      "in sync, plex 1 differs from plex 0 at sector %llu",
			      (unsigned long long)where);
	/* Whatever happened, the next test's RAM disks agree. */
	fill(ctx->pages, 0x0e40);
	KUNIT_ASSERT_EQ(test, do_io(rbdev(ctx, 1), REQ_OP_WRITE,
				    MIRVOL_DATA_OFFSET_SECTORS + s,
				    ctx->pages, IO_PAGES), 0);
}

/*
 * A plex taken offline records it on its own device too, so that a boot
 * that finds only that device (the others dead or unplugged) never runs
 * its image as the volume: it misses every write made since.  Alone it
 * is refused (NO_IN_SYNC_MEMBER), even with RUN (the last-resort timer);
 * with plex 0 the volume starts with the writes, plex 1 held offline,
 * its image kept.  The landed code wrote nothing on the offline plex: its
 * superblock, from before, recorded it in sync, and RUN started it alone
 * with the old data.
 */
static void mirvol_test_offline_alone(struct kunit *test)
{
	static const unsigned int one = 1, both[] = { 0, 1 };
	struct mirvol_assemble_member um[2];
	struct io_ctx *ctx = test->priv;
	struct mirvol_assemble reply;
	enum mirvol_reason reason;
	struct mirvol_volume *vol;
	struct mirvol_plex *p1;
	struct mirvol_md md;
	uuid_t vuuid;
	u64 op_id = 0;
	sector_t s;

	io_create(test, "kunit-offalone", 2, true, NULL);
	vol = ctx->vol;
	KUNIT_ASSERT_NOT_NULL(test, vol->bitmap);
	s = (sector_t)40 << vol->bitmap->shift;
	uuid_copy(&vuuid, &vol->uuid);
	fill(ctx->pages, 0x0ff1);
	KUNIT_ASSERT_EQ(test, do_io(vbdev(ctx), REQ_OP_WRITE, s, ctx->pages,
				    IO_PAGES), 0);
	KUNIT_ASSERT_EQ(test, mirvol_plex_action(vol, vol->plexes[1]->uuid.b,
						 MIRVOL_PLEX_TAKE_OFFLINE, -1,
						 &op_id), MIRVOL_R_NONE);
	KUNIT_ASSERT_GE(test, mirvol_sb_read_dev(rbdev(ctx, 1), &md, &reason),
			0);
	KUNIT_EXPECT_EQ_MSG(test, md.plexes[1].state,
			    (u32)MIRVOL_PLEX_OFFLINE,
			    "plex 1's own superblock records it %s",
			    mirvol_plex_state_name(md.plexes[1].state));
	/* Acknowledged with plex 1 offline: only plex 0 has it. */
	fill(ctx->pages, 0x0ff2);
	KUNIT_ASSERT_EQ(test, do_io(vbdev(ctx), REQ_OP_WRITE, s, ctx->pages,
				    IO_PAGES), 0);
	__fput_sync(ctx->vfile);
	ctx->vfile = NULL;
	KUNIT_ASSERT_EQ(test, mirvol_volume_teardown(vol, false),
			MIRVOL_R_NONE);
	mirvol_volume_put(vol);
	ctx->vol = NULL;

	/* Plex 1 alone, RUN: refused, not started with the old data. */
	reason = assemble_rams(test, ctx, &one, 1, MIRVOL_ASSEMBLE_F_RUN, um,
			       &reply);
	KUNIT_EXPECT_EQ_MSG(test, reason, MIRVOL_R_NO_IN_SYNC_MEMBER,
			    "plex 1 alone: reason %d, member %u/%u", reason,
			    um[0].result, um[0].reason);
	KUNIT_EXPECT_EQ(test, reply.nr_started, 0U);
	vol = mirvol_lookup(vuuid.b);
	KUNIT_EXPECT_NULL_MSG(test, vol, "plex 1 alone left a volume");
	if (vol) {
		ctx->vol = vol;
		return;		/* the test's exit stops it */
	}

	/* Both: the volume has the last write, plex 1 held offline. */
	reason = assemble_rams(test, ctx, both, 2, 0, um, &reply);
	KUNIT_ASSERT_EQ_MSG(test, reason, MIRVOL_R_NONE,
			    "assemble: reason %d, members %u/%u %u/%u", reason,
			    um[0].result, um[0].reason, um[1].result,
			    um[1].reason);
	KUNIT_EXPECT_EQ(test, reply.op_id, 0ULL);
	vol = mirvol_lookup(vuuid.b);
	ctx->vol = vol;
	KUNIT_ASSERT_NOT_NULL(test, vol);
	mutex_lock(&vol->lock);
	p1 = vol->plexes[1];
	KUNIT_EXPECT_EQ(test, p1 ? p1->state : MIRVOL_PLEX_NONE,
			(unsigned int)MIRVOL_PLEX_OFFLINE);
	KUNIT_EXPECT_TRUE(test, p1 && p1->bdev == rbdev(ctx, 1));
	mutex_unlock(&vol->lock);
	ctx->vfile = open_dev(disk_devt(vol->disk));
	KUNIT_ASSERT_FALSE(test, IS_ERR(ctx->vfile));
	KUNIT_ASSERT_EQ(test, do_io(vbdev(ctx), REQ_OP_READ, s, ctx->check,
				    IO_PAGES), 0);
	fill(ctx->pages, 0x0ff2);
	KUNIT_EXPECT_TRUE(test, same(ctx->pages, ctx->check));
	KUNIT_EXPECT_EQ(test, read_plex(ctx, 1, s), 0);
	fill(ctx->pages, 0x0ff1);
	KUNIT_EXPECT_TRUE_MSG(test, same(ctx->pages, ctx->check),
			      "plex 1's image was written over");
}

/*
 * The superblock an offline plex kept from before mirvol_sb_mark_offline()
 * (an older module, or a mark that failed) records it in sync.  Whenever
 * its device is held as the offline plex, at a full assembly or late
 * (mirvol_hold_offline()), it is marked: stopped and then found alone, it
 * is refused rather than started with the data of before it went offline.
 */
static void mirvol_test_offline_held_marks(struct kunit *test)
{
	static const unsigned int zero, one = 1, both[] = { 0, 1 };
	struct mirvol_assemble_member um[2];
	struct io_ctx *ctx = test->priv;
	struct page **head = &ctx->check[IO_PAGES - 2];
	sector_t head_sector = MIRVOL_SB_SECTOR(MIRVOL_SB_OFFSET);
	struct mirvol_assemble reply;
	enum mirvol_reason reason;
	struct mirvol_md md;
	unsigned int late;
	uuid_t vuuid;
	u64 op_id = 0;

	io_create(test, "kunit-offheld", 2, true, NULL);
	uuid_copy(&vuuid, &ctx->vol->uuid);
	/* Plex 1's superblocks as they were in sync. */
	KUNIT_ASSERT_EQ(test, do_io(rbdev(ctx, 1), REQ_OP_READ, head_sector,
				    head, 2), 0);
	KUNIT_ASSERT_EQ(test, mirvol_plex_action(ctx->vol,
						 ctx->vol->plexes[1]->uuid.b,
						 MIRVOL_PLEX_TAKE_OFFLINE, -1,
						 &op_id), MIRVOL_R_NONE);
	io_stop(test, ctx);

	for (late = 0; late < 2; late++) {
		/* As an older module left it: no offline mark. */
		KUNIT_ASSERT_EQ(test, do_io(rbdev(ctx, 1), REQ_OP_WRITE,
					    head_sector, head, 2), 0);
		KUNIT_ASSERT_GE(test, mirvol_sb_read_dev(rbdev(ctx, 1), &md,
							 &reason), 0);
		KUNIT_ASSERT_EQ(test, md.plexes[1].state,
				(u32)MIRVOL_PLEX_ACTIVE);
		if (late) {
			/* Plex 0 runs alone; plex 1's device comes later. */
			reason = assemble_rams(test, ctx, &zero, 1,
					       MIRVOL_ASSEMBLE_F_RUN, um,
					       &reply);
			KUNIT_ASSERT_EQ(test, reason, MIRVOL_R_NONE);
			reason = assemble_rams(test, ctx, &one, 1, 0, um,
					       &reply);
		} else {
			reason = assemble_rams(test, ctx, both, 2, 0, um,
					       &reply);
		}
		KUNIT_ASSERT_EQ_MSG(test, reason, MIRVOL_R_NONE,
				    "assemble %u: reason %d, member %u/%u",
				    late, reason, um[0].result, um[0].reason);
		ctx->vol = mirvol_lookup(vuuid.b);
		KUNIT_ASSERT_NOT_NULL(test, ctx->vol);
		mutex_lock(&ctx->vol->lock);
		KUNIT_EXPECT_TRUE(test, ctx->vol->plexes[1] &&
				  ctx->vol->plexes[1]->bdev == rbdev(ctx, 1) &&
				  ctx->vol->plexes[1]->state ==
				  MIRVOL_PLEX_OFFLINE);
		mutex_unlock(&ctx->vol->lock);
		io_stop(test, ctx);

		reason = assemble_rams(test, ctx, &one, 1,
				       MIRVOL_ASSEMBLE_F_RUN, um, &reply);
		KUNIT_EXPECT_EQ_MSG(test, reason, MIRVOL_R_NO_IN_SYNC_MEMBER,
				    "held offline %s, then alone: reason %d",
				    late ? "late" : "at assembly", reason);
		ctx->vol = mirvol_lookup(vuuid.b);
		if (ctx->vol)
			return;		/* the test's exit stops it */
	}
}

/*
 * Check that every valid slot of plex 1's device records plex 1 offline:
 * a power cut during the next write to either slot must leave an offline
 * mark.  Returns the newest generation found.
 */
static u64 offline_mark_slots(struct kunit *test, struct io_ctx *ctx,
			      const char *when)
{
	struct mirvol_md *md = kunit_kzalloc(test, sizeof(*md), GFP_KERNEL);
	struct block_device *bdev = rbdev(ctx, 1);
	u64 newest = 0;
	unsigned int k;

	KUNIT_ASSERT_NOT_NULL(test, md);
	for (k = 0; k < 2; k++) {
		KUNIT_ASSERT_EQ(test, do_io(bdev, REQ_OP_READ,
					    MIRVOL_SB_SECTOR(MIRVOL_SB_OFFSET +
							     k * MIRVOL_SB_SLOT_SIZE),
					    ctx->check, 1), 0);
		if (mirvol_sb_decode(page_address(ctx->check[0]),
				     bdev_nr_sectors(bdev), md) != MIRVOL_SB_OK)
			continue;
		KUNIT_EXPECT_EQ_MSG(test, md->plexes[1].state,
				    (u32)MIRVOL_PLEX_OFFLINE,
				    "%s: slot %u (generation %llu) records plex 1 %s",
				    when, k, md->generation,
				    mirvol_plex_state_name(md->plexes[1].state));
		newest = max(newest, md->generation);
	}
	return newest;
}

/*
 * The offline mark is written again whenever the device is held offline
 * (assembly, late join): never over the device's only superblock that
 * records it offline.  After the first mark at g, the other slot held
 * g - 1 (in sync); the landed code wrote a mark of the same parity as g
 * over g, and a torn write left only the "in sync" superblock: alone at
 * a boot, the device started as the volume with the data of before.
 */
static void mirvol_test_offline_remark_keeps_mark(struct kunit *test)
{
	struct io_ctx *ctx = test->priv;
	struct mirvol_volume *vol;
	struct mirvol_plex *p1;
	unsigned int i;
	u64 op_id = 0;

	io_create(test, "kunit-offremark", 2, true, NULL);
	vol = ctx->vol;
	p1 = vol->plexes[1];
	KUNIT_ASSERT_EQ(test, mirvol_plex_action(vol, p1->uuid.b,
						 MIRVOL_PLEX_TAKE_OFFLINE, -1,
						 &op_id), MIRVOL_R_NONE);
	KUNIT_EXPECT_EQ(test, offline_mark_slots(test, ctx, "marked"),
			vol->generation);
	mutex_lock(&vol->lock);
	for (i = 0; i < 2; i++)
		KUNIT_EXPECT_EQ(test, mirvol_sb_update(vol), 0);
	/* As an assembly holding the device offline does. */
	mirvol_sb_mark_offline(vol, p1);
	mutex_unlock(&vol->lock);
	KUNIT_EXPECT_EQ(test, offline_mark_slots(test, ctx, "marked again"),
			vol->generation);
	mutex_lock(&vol->lock);
	KUNIT_EXPECT_EQ(test, mirvol_sb_update(vol), 0);
	mirvol_sb_mark_offline(vol, p1);
	mutex_unlock(&vol->lock);
	KUNIT_EXPECT_EQ(test, offline_mark_slots(test, ctx, "a third time"),
			vol->generation);
}

/* What the assembly hook does: open the started volume, inject faults. */
static struct {
	struct file *file;
	unsigned long inject[2];
} asm_open;

static void open_in_assembly(struct mirvol_volume *vol)
{
	unsigned int i;

	WRITE_ONCE(mirvol_kunit_assemble_hook, NULL);
	/* As udev's probe (or a user) may, once the disk is added. */
	asm_open.file = open_dev(disk_devt(vol->disk));
	for (i = 0; i < 2; i++)
		WRITE_ONCE(vol->plexes[i]->inject, asm_open.inject[i]);
}

/*
 * Make a clean two-plex volume @name, stop it, and assemble both members;
 * once the volume started, before the superblock update of the new
 * generation, it is opened (ctx->vfile) and plex i gets @inject0/1.  Plex
 * 1's superblock before the assembly goes to @md1, ctx->vol is the volume
 * listed afterwards, if any.  Returns the assembly's reason.
 */
static enum mirvol_reason assemble_opened(struct kunit *test, const char *name,
					  unsigned long inject0,
					  unsigned long inject1,
					  struct mirvol_assemble_member *um,
					  struct mirvol_assemble *reply,
					  struct mirvol_md *md1)
{
	static const unsigned int both[] = { 0, 1 };
	struct io_ctx *ctx = test->priv;
	enum mirvol_reason reason;
	uuid_t uuid;

	io_create(test, name, 2, true, NULL);
	uuid_copy(&uuid, &ctx->vol->uuid);
	io_stop(test, ctx);
	KUNIT_ASSERT_GE(test, mirvol_sb_read_dev(rbdev(ctx, 1), md1, &reason),
			0);

	asm_open.file = NULL;
	asm_open.inject[0] = inject0;
	asm_open.inject[1] = inject1;
	WRITE_ONCE(mirvol_kunit_assemble_hook, open_in_assembly);
	reason = assemble_rams(test, ctx, both, 2, 0, um, reply);
	KUNIT_ASSERT_NULL_MSG(test, READ_ONCE(mirvol_kunit_assemble_hook),
			      "the assembly did not start the volume");
	KUNIT_ASSERT_FALSE(test, IS_ERR_OR_NULL(asm_open.file));
	ctx->vfile = asm_open.file;	/* closed by the exit */
	ctx->vol = mirvol_lookup(uuid.b);
	return reason;
}

/*
 * The superblock update after an assembly started its volume fails on
 * every plex: plex 0 is failed, plex 1, the last in-sync plex, is kept
 * and did not take it.  The volume may be open already (udev's probe
 * after add_disk()): it must keep running, as md keeps an array whose
 * superblock write failed, never be torn down under its opener.  The
 * assembly says IO_ERROR, plex 0's member is refused with IO_ERROR, reads
 * go on, writes fail while the dirty mark cannot be written and go
 * through once it can.  The landed code tore the volume down.
 */
static void mirvol_test_assemble_update_fails_opened(struct kunit *test)
{
	struct mirvol_assemble_member um[2];
	struct io_ctx *ctx = test->priv;
	struct mirvol_assemble reply;
	struct mirvol_md *md1, *md;
	struct mirvol_volume *vol;
	enum mirvol_reason reason;

	md1 = kunit_kzalloc(test, 2 * sizeof(*md1), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, md1);
	md = md1 + 1;
	reason = assemble_opened(test, "kunit-asmupd", MIRVOL_INJECT_WRITE,
				 MIRVOL_INJECT_WRITE, um, &reply, md1);
	KUNIT_EXPECT_EQ(test, reason, MIRVOL_R_IO_ERROR);
	KUNIT_ASSERT_NOT_NULL_MSG(test, ctx->vol,
				  "the volume was torn down under its opener");
	vol = ctx->vol;
	KUNIT_EXPECT_TRUE(test, test_bit(MIRVOL_VOL_STARTED, &vol->flags));
	KUNIT_EXPECT_FALSE(test, test_bit(MIRVOL_VOL_DEAD, &vol->flags));
	KUNIT_EXPECT_EQ(test, reply.nr_started, 1U);
	KUNIT_EXPECT_EQ(test, um[0].result, (u32)MIRVOL_MEMBER_REFUSED);
	KUNIT_EXPECT_EQ(test, um[0].reason, (u32)MIRVOL_R_IO_ERROR);
	KUNIT_EXPECT_EQ(test, um[1].result, (u32)MIRVOL_MEMBER_ACTIVE);
	KUNIT_EXPECT_EQ(test, READ_ONCE(vol->plexes[0]->state),
			MIRVOL_PLEX_FAILED);
	KUNIT_EXPECT_EQ(test, READ_ONCE(vol->plexes[1]->state),
			MIRVOL_PLEX_ACTIVE);
	/* The kept plex did not take the new generation. */
	KUNIT_ASSERT_GE(test, mirvol_sb_read_dev(rbdev(ctx, 1), md, &reason),
			0);
	KUNIT_EXPECT_EQ(test, md->generation, md1->generation);

	/* The opener reads on. */
	KUNIT_EXPECT_EQ(test, do_io(vbdev(ctx), REQ_OP_READ, 0, ctx->check,
				    IO_PAGES), 0);
	/* Writes fail while plex 1 cannot take the dirty mark... */
	fill(ctx->pages, 0xa55e);
	KUNIT_EXPECT_NE(test, do_io(vbdev(ctx), REQ_OP_WRITE, 0, ctx->pages,
				    IO_PAGES), 0);
	/* ...and go through once it can, which records plex 0 failed. */
	WRITE_ONCE(vol->plexes[1]->inject, 0);
	KUNIT_EXPECT_EQ(test, do_io(vbdev(ctx), REQ_OP_WRITE, 0, ctx->pages,
				    IO_PAGES), 0);
	KUNIT_ASSERT_GE(test, mirvol_sb_read_dev(rbdev(ctx, 1), md, &reason),
			0);
	KUNIT_EXPECT_GT(test, md->generation, md1->generation);
	KUNIT_EXPECT_EQ(test, md->plexes[0].state, MIRVOL_PLEX_FAILED);
	KUNIT_EXPECT_EQ(test, md->plexes[1].state, MIRVOL_PLEX_ACTIVE);
}

/*
 * The superblock update after an assembly started its volume fails on
 * plex 0 only: plex 0 is failed and the update, repeated, reaches plex 1.
 * The volume runs degraded; the member that did not take its superblock
 * is not back, as for a rejoin: refused with IO_ERROR, and the assembly
 * says so (the landed code reported it stale, and success).
 */
static void mirvol_test_assemble_update_fails_member(struct kunit *test)
{
	struct mirvol_assemble_member um[2];
	struct io_ctx *ctx = test->priv;
	struct mirvol_assemble reply;
	struct mirvol_md *md1, *md;
	struct mirvol_volume *vol;
	enum mirvol_reason reason;

	md1 = kunit_kzalloc(test, 2 * sizeof(*md1), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, md1);
	md = md1 + 1;
	reason = assemble_opened(test, "kunit-asmupd1", MIRVOL_INJECT_WRITE, 0,
				 um, &reply, md1);
	KUNIT_EXPECT_EQ_MSG(test, reason, MIRVOL_R_IO_ERROR,
			    "a member that did not take its superblock passed");
	KUNIT_ASSERT_NOT_NULL(test, ctx->vol);
	vol = ctx->vol;
	KUNIT_EXPECT_EQ(test, reply.nr_started, 1U);
	KUNIT_EXPECT_EQ(test, um[0].result, (u32)MIRVOL_MEMBER_REFUSED);
	KUNIT_EXPECT_EQ(test, um[0].reason, (u32)MIRVOL_R_IO_ERROR);
	KUNIT_EXPECT_EQ(test, um[1].result, (u32)MIRVOL_MEMBER_ACTIVE);
	KUNIT_EXPECT_EQ(test, READ_ONCE(vol->plexes[0]->state),
			MIRVOL_PLEX_FAILED);
	KUNIT_EXPECT_EQ(test, vol->state, (unsigned int)MIRVOL_VOLUME_DEGRADED);
	KUNIT_ASSERT_GE(test, mirvol_sb_read_dev(rbdev(ctx, 1), md, &reason),
			0);
	KUNIT_EXPECT_GT(test, md->generation, md1->generation);
	KUNIT_EXPECT_EQ(test, md->plexes[0].state, MIRVOL_PLEX_FAILED);
	fill(ctx->pages, 0xa55f);
	KUNIT_EXPECT_EQ(test, do_io(vbdev(ctx), REQ_OP_WRITE, 0, ctx->pages,
				    IO_PAGES), 0);
}

static void start_io_endio(struct bio *bio)
{
	complete(&start_io.done);
}

/* Send the held writes on, should the start wait for them. */
static void start_io_release(struct work_struct *work)
{
	mirvol_kunit_end_held(BLK_STS_OK);
}

/*
 * Once the disk is added: open it (udev's probe, a user) and send a write
 * that the plexes hold back, in flight as the start fails.
 */
static void start_io_hook(struct mirvol_volume *vol)
{
	unsigned int i;

	WRITE_ONCE(mirvol_kunit_start_hook, NULL);
	start_io.file = open_dev(disk_devt(vol->disk));
	if (IS_ERR(start_io.file))
		return;
	for (i = 0; i < vol->nr_slots; i++)
		WRITE_ONCE(vol->plexes[i]->inject, MIRVOL_INJECT_HOLD);
	bio_set_dev(start_io.bio, file_bdev(start_io.file));
	submit_bio(start_io.bio);
	start_io.held = mirvol_kunit_nr_held();
	schedule_delayed_work(&start_io_release_work, 2 * HZ);
}

/*
 * A start that fails after add_disk() must drain the I/O its disk took
 * before it gives the plexes up: a bio-based disk's del_gendisk() does
 * not wait for bios in flight, and the plexes are closed and freed by
 * the teardown that follows while their clones are still out.  Here a
 * write sent once the disk is added is held on both plexes as the start
 * fails (create; assembly takes the same path); the failed create must
 * return only once it completed.  On the landed code it is still held
 * when create returns, and ending it then touches the freed plexes.
 */
static void mirvol_test_start_fails_io_in_flight(struct kunit *test)
{
	struct io_ctx *ctx = test->priv;
	struct mirvol_volume *vol = NULL;
	enum mirvol_reason reason;
	u64 id = 0, region = 0;
	unsigned int held;

	start_io.file = NULL;
	start_io.held = 0;
	init_completion(&start_io.done);
	fill(ctx->pages, 0x57a7);
	start_io.bio = bio_alloc(rbdev(ctx, 0), IO_PAGES, REQ_OP_WRITE,
				 GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, start_io.bio);
	for (held = 0; held < IO_PAGES; held++)
		__bio_add_page(start_io.bio, ctx->pages[held], PAGE_SIZE, 0);
	start_io.bio->bi_iter.bi_sector = 0;
	start_io.bio->bi_end_io = start_io_endio;

	WRITE_ONCE(mirvol_kunit_start_fail, true);
	WRITE_ONCE(mirvol_kunit_start_hook, start_io_hook);
	/* The bio goes to the volume: set once its disk exists (hook). */
	reason = mirvol_volume_create("kunit-startio", ctx->ram, 2,
				      MIRVOL_CREATE_F_ASSUME_CLEAN, &region,
				      &id, NULL, &vol);
	held = mirvol_kunit_nr_held();
	KUNIT_EXPECT_NE(test, reason, MIRVOL_R_NONE);
	KUNIT_EXPECT_FALSE(test, READ_ONCE(mirvol_kunit_start_fail));
	KUNIT_ASSERT_NULL_MSG(test, READ_ONCE(mirvol_kunit_start_hook),
			      "the start did not add its disk");
	KUNIT_ASSERT_FALSE(test, IS_ERR_OR_NULL(start_io.file));
	KUNIT_EXPECT_EQ_MSG(test, start_io.held, 2U,
			    "the write was not held on both plexes");
	KUNIT_EXPECT_EQ_MSG(test, held, 0U,
			    "the failed start returned with writes in flight on its plexes");
	/* (On the landed code this ends them on freed plexes.) */
	mirvol_kunit_end_held(BLK_STS_OK);
	KUNIT_EXPECT_TRUE(test, wait_for_completion_timeout(&start_io.done,
							    10 * HZ));
	cancel_delayed_work_sync(&start_io_release_work);
	bio_put(start_io.bio);
	__fput_sync(start_io.file);
}

/* The safe mode work of a volume whose start then fails. */
static struct {
	struct mirvol_volume *vol;
	bool waited;
} sm_start;

/* The work saw the disk: let the failed start take it away first. */
static void sm_start_disk_hook(struct mirvol_volume *vol)
{
	if (vol != sm_start.vol)
		return;
	WRITE_ONCE(mirvol_kunit_safe_mode_disk_hook, NULL);
	sm_start.waited = wait_until(!READ_ONCE(vol->disk));
}

/* Once the disk is added: the volume is dirty, its safe mode work runs. */
static void sm_start_hook(struct mirvol_volume *vol)
{
	WRITE_ONCE(mirvol_kunit_start_hook, NULL);
	sm_start.vol = vol;
	set_bit(MIRVOL_VOL_DIRTY, &vol->flags);
	WRITE_ONCE(mirvol_kunit_safe_mode_disk_hook, sm_start_disk_hook);
	mod_delayed_work(mirvol_wq, &vol->safe_mode_work, 0);
}

/*
 * The safe mode work runs without vol->lock until it has something to
 * do, and a start that fails after add_disk() clears vol->disk and puts
 * the disk meanwhile.  The work looked at vol->disk twice: non-NULL,
 * then to read its statistics.  Here it sees the disk, and waits (hook)
 * until the failed start took it away: on the landed code it then reads
 * the statistics of a NULL disk.  It must use the disk it saw, held,
 * and find the volume not started.
 */
static void mirvol_test_safe_mode_vs_failed_start(struct kunit *test)
{
	struct io_ctx *ctx = test->priv;
	struct mirvol_volume *vol = NULL;
	enum mirvol_reason reason;
	u64 id = 0, region = 0;

	sm_start.vol = NULL;
	sm_start.waited = false;
	WRITE_ONCE(mirvol_kunit_start_fail, true);
	WRITE_ONCE(mirvol_kunit_start_hook, sm_start_hook);
	reason = mirvol_volume_create("kunit-smstart", ctx->ram, 2,
				      MIRVOL_CREATE_F_ASSUME_CLEAN, &region,
				      &id, NULL, &vol);
	flush_mirvol_works();
	KUNIT_EXPECT_NE(test, reason, MIRVOL_R_NONE);
	KUNIT_EXPECT_FALSE(test, READ_ONCE(mirvol_kunit_start_fail));
	KUNIT_ASSERT_NULL_MSG(test, READ_ONCE(mirvol_kunit_start_hook),
			      "the start did not add its disk");
	KUNIT_EXPECT_NULL_MSG(test, READ_ONCE(mirvol_kunit_safe_mode_disk_hook),
			      "the safe mode work did not run during the start");
	KUNIT_EXPECT_TRUE_MSG(test, sm_start.waited,
			      "the failed start did not clear the disk while the work ran");
}

/* The stop that the re-add races, and what it returned. */
static enum mirvol_reason readd_stop_reason;

/* Once: the volume is stopped under the re-add, its device checked. */
static void stop_in_readd(struct mirvol_volume *vol)
{
	WRITE_ONCE(mirvol_kunit_readd_hook, NULL);
	readd_stop_reason = mirvol_volume_teardown(vol, false);
}

/*
 * A re-add of a missing plex racing a stop of its volume: the stop comes
 * once the re-add checked the device and let vol->lock go, before the
 * device is handed to assembly.  The re-add must fail (OBJECT_DELETED)
 * and give the device back: the landed code looked the volume up again
 * by UUID, found none and made a new offline volume (INCREMENTAL) that
 * kept the device, so that the next assembly found it busy.
 */
static void mirvol_test_readd_races_stop(struct kunit *test)
{
	static const unsigned int both[] = { 0, 1 };
	struct mirvol_assemble_member um[2];
	struct io_ctx *ctx = test->priv;
	struct mirvol_assemble reply;
	struct mirvol_volume *vol, *owner;
	enum mirvol_reason reason;
	u8 uuid[MIRVOL_UUID_LEN];
	struct mirvol_plex *plex;
	uuid_t vuuid;

	io_create(test, "kunit-readdstop", 2, true, NULL);
	vol = ctx->vol;
	uuid_copy(&vuuid, &vol->uuid);
	memcpy(uuid, &vol->plexes[1]->uuid, MIRVOL_UUID_LEN);
	KUNIT_ASSERT_TRUE(test, unplug_plex(vol->plexes[1]));
	/* The stop needs the volume closed. */
	__fput_sync(ctx->vfile);
	ctx->vfile = NULL;

	readd_stop_reason = MIRVOL_R_INVALID_OPERATION;
	WRITE_ONCE(mirvol_kunit_readd_hook, stop_in_readd);
	reason = readd_plex(test, vol, uuid, ctx->ram[1]);
	KUNIT_ASSERT_NULL_MSG(test, READ_ONCE(mirvol_kunit_readd_hook),
			      "the re-add did not get as far as the hook");
	KUNIT_EXPECT_EQ(test, readd_stop_reason, MIRVOL_R_NONE);
	KUNIT_EXPECT_EQ_MSG(test, reason, MIRVOL_R_OBJECT_DELETED,
			    "re-add: reason %d", reason);
	/* The volume is gone, and only it. */
	mirvol_volume_put(ctx->vol);
	ctx->vol = NULL;
	owner = mirvol_lookup(vuuid.b);
	KUNIT_EXPECT_NULL_MSG(test, owner,
			      "the re-add left an offline volume behind");
	if (owner)
		mirvol_volume_put(owner);
	plex = mirvol_find_devt(file_bdev(ctx->ram[1])->bd_dev, &owner);
	KUNIT_EXPECT_NULL_MSG(test, plex, "the device was not given back");
	if (plex) {
		mirvol_plex_put(plex);
		if (!test_bit(MIRVOL_VOL_STARTED, &owner->flags)) {
			mutex_lock(&owner->lock);
			reason = mirvol_volume_kill(owner, false);
			mutex_unlock(&owner->lock);
			if (!reason)
				mirvol_volume_destroy(owner, false);
		}
		mirvol_volume_put(owner);
	}

	/* Both assemble: plex 1, recorded missing, comes back stale. */
	reason = assemble_rams(test, ctx, both, 2, 0, um, &reply);
	KUNIT_EXPECT_EQ_MSG(test, reason, MIRVOL_R_NONE,
			    "assemble: reason %d, members %u/%u %u/%u", reason,
			    um[0].result, um[0].reason, um[1].result,
			    um[1].reason);
	KUNIT_EXPECT_EQ(test, reply.nr_started, 1U);
	KUNIT_EXPECT_EQ(test, um[0].result, (u32)MIRVOL_MEMBER_ACTIVE);
	KUNIT_EXPECT_EQ(test, um[1].result, (u32)MIRVOL_MEMBER_STALE);
	ctx->vol = mirvol_lookup(vuuid.b);
	if (ctx->vol && reply.op_id) {
		struct mirvol_op_info info;

		KUNIT_EXPECT_EQ(test, mirvol_op_wait(reply.op_id, 60000,
						     &info), MIRVOL_R_NONE);
	}
}

/* What the step hook of the flap tests uses. */
static DECLARE_COMPLETION(step_held);
static DECLARE_COMPLETION(step_go);

/* Once: the resync waits before its first batch until told. */
static void hold_resync_step(struct mirvol_volume *vol)
{
	WRITE_ONCE(mirvol_kunit_resync_step_hook, NULL);
	complete(&step_held);
	wait_for_completion_timeout(&step_go, msecs_to_jiffies(60000));
}

/* The next resync waits before its first batch until step_go. */
static void hold_next_resync_step(void)
{
	reinit_completion(&step_held);
	reinit_completion(&step_go);
	WRITE_ONCE(mirvol_kunit_resync_step_hook, hold_resync_step);
}

/*
 * Once the resync is held: the plex in @slot (the operation's new plex),
 * referenced, its UUID in @uuid; or NULL, the resync let go.
 */
static struct mirvol_plex *held_new_plex(struct kunit *test,
					 struct mirvol_volume *vol,
					 unsigned int slot, u8 *uuid)
{
	struct mirvol_plex *plex;

	if (!wait_for_completion_timeout(&step_held,
					 msecs_to_jiffies(60000))) {
		KUNIT_FAIL(test, "the resync did not reach its first step");
		return NULL;
	}
	mutex_lock(&vol->lock);
	plex = vol->plexes[slot];
	if (plex) {
		mirvol_plex_get(plex);
		memcpy(uuid, &plex->uuid, MIRVOL_UUID_LEN);
	}
	mutex_unlock(&vol->lock);
	if (!plex)
		complete(&step_go);
	return plex;
}

/*
 * The device an add-plex brings in goes away while the add copies, and
 * comes back ('mirvolctl re-add', or udev's incremental assembly) before
 * the resync sees it gone (it waits in its throttle): it rejoins as a new
 * plex object in its slot (mirvol_rejoin()), and the add goes on copying
 * onto it.  Cancelled then, the add must still take it out and erase its
 * metadata, as for any cancel: it is the plex the user cancelled.
 */
static void mirvol_test_cancel_add_flapped(struct kunit *test)
{
	struct io_ctx *ctx = test->priv;
	struct mirvol_plex *p2, *back;
	struct mirvol_op_info info;
	enum mirvol_reason reason;
	u8 uuid[MIRVOL_UUID_LEN];
	u64 op_id = 0;
	struct mirvol_md md;

	/*
	 * No bitmap: the device comes back stale and the add copies it
	 * all, slowly, so that the cancel comes while it copies.
	 */
	io_create_flags(test, "kunit-addflap", 2, MIRVOL_CREATE_F_ASSUME_CLEAN |
			MIRVOL_CREATE_F_NO_BITMAP, NULL);
	WRITE_ONCE(ctx->vol->sync_speed_max, 1000);
	hold_next_resync_step();
	KUNIT_ASSERT_EQ(test, mirvol_add_plex(ctx->vol, ctx->ram[2], NULL,
					      false, &op_id), MIRVOL_R_NONE);
	/* The add is held: no assertion until it is let go. */
	p2 = held_new_plex(test, ctx->vol, 2, uuid);
	if (!p2) {
		KUNIT_FAIL(test, "the add did not take slot 2");
		return;
	}
	/* Its device is deleted. */
	KUNIT_EXPECT_TRUE(test, unplug_plex(p2));
	/* It is back: re-add gives its device (mirvolctl re-add). */
	reason = readd_plex(test, ctx->vol, uuid, ctx->ram[2]);
	KUNIT_EXPECT_EQ_MSG(test, reason, MIRVOL_R_NONE, "re-add: reason %d",
			    reason);
	mutex_lock(&ctx->vol->lock);
	back = ctx->vol->plexes[2];
	KUNIT_EXPECT_TRUE_MSG(test, back && back != p2 &&
			      !memcmp(&back->uuid, uuid, MIRVOL_UUID_LEN) &&
			      back->bdev, "the device did not rejoin");
	mutex_unlock(&ctx->vol->lock);
	mirvol_plex_put(p2);
	/* A cancel waits for the operation's end: let it go first. */
	complete(&step_go);
	KUNIT_EXPECT_EQ(test, mirvol_op_cancel(op_id, &info), MIRVOL_R_NONE);
	KUNIT_ASSERT_EQ(test, mirvol_op_wait(op_id, 60000, &info),
			MIRVOL_R_NONE);
	KUNIT_EXPECT_EQ(test, info.state, (u32)MIRVOL_OPS_CANCELLED);

	mutex_lock(&ctx->vol->lock);
	KUNIT_EXPECT_NULL_MSG(test, mirvol_plex_find(ctx->vol, uuid),
			      "the cancelled add left its device in the volume");
	KUNIT_EXPECT_EQ(test, ctx->vol->nr_plexes, 2U);
	mutex_unlock(&ctx->vol->lock);
	KUNIT_ASSERT_GE(test, mirvol_sb_read_dev(rbdev(ctx, 0), &md, &reason),
			0);
	KUNIT_EXPECT_EQ_MSG(test, md.plexes[2].state, (u32)MIRVOL_PLEX_NONE,
			    "plex 0's superblock still lists the cancelled plex");
	KUNIT_EXPECT_LT_MSG(test, mirvol_sb_read_dev(rbdev(ctx, 2), &md,
						     &reason), 0,
			    "the cancelled plex's metadata was not erased");
}

/* The add's new plex (slot 2) is promoted: hold the next pass. */
static void hold_pass_after_slot2(struct mirvol_plex *plex)
{
	if (plex->index != 2)
		return;
	WRITE_ONCE(mirvol_kunit_promote_hook, NULL);
	hold_next_resync_step();
}

/*
 * An add-plex whose new plex was promoted while another plex still had
 * to be copied (plex 1 came back online during the add: no point of no
 * return yet), cancelled once plex 0, the volume's other in-sync plex,
 * was taken offline: the new plex holds the only in-sync copy.  Undoing
 * the add took it out and erased it, and the volume failed.  The cancel
 * must be refused (CANCEL_TOO_LATE) and the add go on to its end.
 */
/* How cancel_add_only_in_sync() ends. */
enum only_in_sync_end {
	OIS_GOES_ON,		/* the cancel refused, the add goes on */
	OIS_REMOVED_AFTER,	/* the volume removed once it was refused */
	OIS_REMOVED_DURING,	/* removed while the cancel is pending */
};

static void removed_while_cancelling(struct kunit *test,
				     struct mirvol_volume *vol, u64 op_id);

static void cancel_add_only_in_sync(struct kunit *test,
				    enum only_in_sync_end end)
{
	struct io_ctx *ctx = test->priv;
	u8 uuid[MIRVOL_UUID_LEN], uuid0[MIRVOL_UUID_LEN];
	u8 uuid1[MIRVOL_UUID_LEN];
	struct mirvol_op_info info;
	struct mirvol_volume *vol;
	enum mirvol_reason reason;
	u64 op_id = 0, id = 0;
	struct mirvol_plex *p2;
	struct mirvol_md md;
	unsigned int smax;

	io_create_flags(test, "kunit-addonly", 2, MIRVOL_CREATE_F_ASSUME_CLEAN |
			MIRVOL_CREATE_F_NO_BITMAP, NULL);
	vol = ctx->vol;
	smax = vol->sync_speed_max;
	fill(ctx->pages, 0xadd1);
	KUNIT_ASSERT_EQ(test, do_io(vbdev(ctx), REQ_OP_WRITE, 2048, ctx->pages,
				    IO_PAGES), 0);
	memcpy(uuid0, &vol->plexes[0]->uuid, MIRVOL_UUID_LEN);
	memcpy(uuid1, &vol->plexes[1]->uuid, MIRVOL_UUID_LEN);
	KUNIT_ASSERT_EQ(test, mirvol_plex_action(vol, uuid1,
						 MIRVOL_PLEX_TAKE_OFFLINE, -1,
						 &id), MIRVOL_R_NONE);
	WRITE_ONCE(vol->sync_speed_max, 1000);
	hold_next_resync_step();
	KUNIT_ASSERT_EQ(test, mirvol_add_plex(vol, ctx->ram[2], NULL, false,
					      &op_id), MIRVOL_R_NONE);
	p2 = held_new_plex(test, vol, 2, uuid);
	if (!p2) {
		KUNIT_FAIL(test, "the add did not take slot 2");
		return;
	}
	mirvol_plex_put(p2);
	/* Plex 1 back: stale, to copy after the add's plex. */
	KUNIT_EXPECT_EQ(test, mirvol_plex_action(vol, uuid1,
						 MIRVOL_PLEX_TAKE_ONLINE, -1,
						 &id), MIRVOL_R_NONE);
	WRITE_ONCE(mirvol_kunit_promote_hook, hold_pass_after_slot2);
	WRITE_ONCE(vol->sync_speed_max, smax);
	complete(&step_go);
	/* Held again: the new plex promoted, plex 1 still to copy. */
	if (!wait_for_completion_timeout(&step_held, msecs_to_jiffies(60000))) {
		KUNIT_FAIL(test, "the add's plex was not promoted before plex 1");
		WRITE_ONCE(mirvol_kunit_promote_hook, NULL);
		return;
	}
	KUNIT_EXPECT_EQ(test, READ_ONCE(vol->plexes[2]->state),
			(unsigned int)MIRVOL_PLEX_ACTIVE);
	KUNIT_EXPECT_EQ(test, mirvol_plex_action(vol, uuid0,
						 MIRVOL_PLEX_TAKE_OFFLINE, -1,
						 &id), MIRVOL_R_NONE);
	WRITE_ONCE(vol->sync_speed_max, 1000);
	if (end == OIS_REMOVED_DURING) {
		removed_while_cancelling(test, vol, op_id);
		return;
	}
	complete(&step_go);
	KUNIT_EXPECT_EQ(test, mirvol_op_cancel(op_id, &info),
			MIRVOL_R_CANCEL_TOO_LATE);
	if (end == OIS_REMOVED_AFTER) {
		/*
		 * Removed while the add goes on copying plex 1 (16 MiB at
		 * 1000 KiB/s): its copy stops, and it did not succeed.
		 */
		__fput_sync(ctx->vfile);
		ctx->vfile = NULL;
		KUNIT_EXPECT_EQ(test, mirvol_volume_teardown(vol, true),
				MIRVOL_R_NONE);
		mirvol_volume_put(vol);
		ctx->vol = NULL;
		KUNIT_ASSERT_EQ(test, mirvol_op_wait(op_id, 60000, &info),
				MIRVOL_R_NONE);
		KUNIT_EXPECT_EQ_MSG(test, info.state, (u32)MIRVOL_OPS_FAILED,
				    "ended %s (reason %u)",
				    mirvol_op_state_name(info.state),
				    info.reason);
		KUNIT_EXPECT_EQ(test, info.reason,
				(u32)MIRVOL_R_OBJECT_DELETED);
		return;
	}
	WRITE_ONCE(vol->sync_speed_max, smax);
	KUNIT_ASSERT_EQ(test, mirvol_op_wait(op_id, 60000, &info),
			MIRVOL_R_NONE);
	KUNIT_EXPECT_EQ_MSG(test, info.state, (u32)MIRVOL_OPS_SUCCEEDED,
			    "ended %s (reason %u)",
			    mirvol_op_state_name(info.state), info.reason);
	KUNIT_EXPECT_NE(test, READ_ONCE(vol->state), MIRVOL_VOLUME_FAILED);
	mutex_lock(&vol->lock);
	p2 = mirvol_plex_find(vol, uuid);
	KUNIT_EXPECT_TRUE_MSG(test, p2 && p2->state == MIRVOL_PLEX_ACTIVE,
			      "the only in-sync plex was taken out");
	mutex_unlock(&vol->lock);
	KUNIT_EXPECT_GE_MSG(test, mirvol_sb_read_dev(rbdev(ctx, 2), &md,
						     &reason), 0,
			    "the only in-sync plex's metadata was erased");
	fill(ctx->check, 0xbad2);
	KUNIT_EXPECT_EQ(test, do_io(vbdev(ctx), REQ_OP_READ, 2048, ctx->check,
				    IO_PAGES), 0);
	KUNIT_EXPECT_TRUE(test, same(ctx->pages, ctx->check));
}

static void mirvol_test_cancel_add_only_in_sync(struct kunit *test)
{
	cancel_add_only_in_sync(test, OIS_GOES_ON);
}

/*
 * The add above, its cancel refused, goes on copying; the volume is
 * removed meanwhile.  The copy stopped, so the add did not do what it
 * was asked: it ends FAILED with OBJECT_DELETED, as any operation the
 * volume's removal stops, not SUCCEEDED.
 */
static void mirvol_test_cancel_add_refused_then_removed(struct kunit *test)
{
	cancel_add_only_in_sync(test, OIS_REMOVED_AFTER);
}

/* OP_CANCEL from a worker: it waits for the operation's answer. */
struct cancel_ctx {
	struct work_struct work;
	u64 op_id;
	enum mirvol_reason reason;
	struct mirvol_op_info info;
	struct completion done;
};

static void cancel_fn(struct work_struct *work)
{
	struct cancel_ctx *cc = container_of(work, struct cancel_ctx, work);

	cc->reason = mirvol_op_cancel(cc->op_id, &cc->info);
	complete(&cc->done);
}

/*
 * The add of cancel_add_only_in_sync(), held before its copy of plex 1
 * (16 MiB at 1000 KiB/s), is cancelled; before its work sees the cancel
 * the volume is stopped.  The cancel is refused as before (the add's
 * plex is the only one in sync), but the stop must still stop the copy
 * and end the add with OBJECT_DELETED.  It was lost: taking the cancel
 * back let the add copy everything, the stop waiting for it (~16 s),
 * and the add ended SUCCEEDED.
 */
static void removed_while_cancelling(struct kunit *test,
				     struct mirvol_volume *vol, u64 op_id)
{
	struct io_ctx *ctx = test->priv;
	struct mirvol_operation *op;
	struct mirvol_op_info info;
	struct teardown_ctx tc;
	struct cancel_ctx cc;
	unsigned long start;
	unsigned int ms;

	op = mirvol_op_get_by_id(op_id);
	if (!op) {
		KUNIT_FAIL(test, "the add is not in the table");
		complete(&step_go);
		return;
	}
	INIT_WORK_ONSTACK(&cc.work, cancel_fn);
	init_completion(&cc.done);
	cc.op_id = op_id;
	queue_work(system_unbound_wq, &cc.work);
	KUNIT_EXPECT_TRUE(test, wait_until(READ_ONCE(op->stop) ==
					   MIRVOL_R_OPERATION_CANCELED));
	__fput_sync(ctx->vfile);
	ctx->vfile = NULL;
	teardown_start(&tc, vol);
	KUNIT_EXPECT_TRUE(test, wait_until(test_bit(MIRVOL_VOL_DEAD,
						    &vol->flags)));
	/* The stop asks the operation to end, and waits for it. */
	msleep(100);
	start = jiffies;
	complete(&step_go);
	wait_for_completion_timeout(&tc.done, msecs_to_jiffies(60000));
	ms = jiffies_to_msecs(jiffies - start);
	KUNIT_EXPECT_LT_MSG(test, ms, 2000U,
			    "the stop waited %u ms: the add copied on", ms);
	teardown_finish(test, &tc);
	KUNIT_EXPECT_TRUE(test, wait_for_completion_timeout(&cc.done,
							   10 * HZ));
	flush_work(&cc.work);
	destroy_work_on_stack(&cc.work);
	/* Not undone: the add's plex is the only one in sync. */
	KUNIT_EXPECT_EQ(test, cc.reason, MIRVOL_R_CANCEL_TOO_LATE);
	KUNIT_ASSERT_EQ(test, mirvol_op_wait(op_id, 60000, &info),
			MIRVOL_R_NONE);
	KUNIT_EXPECT_EQ_MSG(test, info.state, (u32)MIRVOL_OPS_FAILED,
			    "ended %s (reason %u)",
			    mirvol_op_state_name(info.state), info.reason);
	KUNIT_EXPECT_EQ(test, info.reason, (u32)MIRVOL_R_OBJECT_DELETED);
	mirvol_op_put(op);
}

static void mirvol_test_cancel_add_removed_while_cancelling(struct kunit *test)
{
	cancel_add_only_in_sync(test, OIS_REMOVED_DURING);
}

/* What the replace hook of mirvol_test_replace_new_fails_at_end() uses. */
static struct io_ctx *replace_ctx;
static struct async_write replace_aw;
static DECLARE_COMPLETION(replace_write_held);

/* Once: a write is in flight, held back on the new plex. */
static void write_held_on_new(struct mirvol_plex *new)
{
	WRITE_ONCE(mirvol_kunit_replace_hook, NULL);
	WRITE_ONCE(new->inject, MIRVOL_INJECT_HOLD);
	async_write_start(&replace_aw, vbdev(replace_ctx), 2048,
			  replace_ctx->pages);
	if (wait_until(mirvol_kunit_nr_held() == 1))
		complete(&replace_write_held);
}

/*
 * A replace's new plex fails a write that was in flight as the replace
 * ends: the old plex, which holds that write, must stay, with its
 * metadata.  Checked before the drain of I/O, the new plex looked in
 * sync, and the old one was thrown out and erased for a plex that had
 * just failed: redundancy dropped to one.
 */
static void mirvol_test_replace_new_fails_at_end(struct kunit *test)
{
	struct io_ctx *ctx = test->priv;
	struct mirvol_op_info info;
	enum mirvol_reason reason;
	u8 uuid[MIRVOL_UUID_LEN];
	struct mirvol_plex *old;
	struct mirvol_md md;
	u64 op_id = 0;

	io_create(test, "kunit-replfail", 2, true, NULL);
	memcpy(uuid, &ctx->vol->plexes[1]->uuid, MIRVOL_UUID_LEN);
	ctx->vol->safe_mode_delay_ms = 0;
	fill(ctx->pages, 0x7e11);
	KUNIT_ASSERT_EQ(test, do_io(vbdev(ctx), REQ_OP_WRITE, 0, ctx->pages,
				    IO_PAGES), 0);
	replace_ctx = ctx;
	reinit_completion(&replace_write_held);
	WRITE_ONCE(mirvol_kunit_replace_hook, write_held_on_new);
	KUNIT_ASSERT_EQ(test, mirvol_replace_plex(ctx->vol, uuid, ctx->ram[2],
						  &op_id), MIRVOL_R_NONE);
	KUNIT_ASSERT_TRUE(test, wait_for_completion_timeout(&replace_write_held,
							    msecs_to_jiffies(60000)));
	/* The replace drains I/O: the held write is what it waits for. */
	KUNIT_EXPECT_TRUE(test, wait_until(test_bit(MIRVOL_VOL_SUSPENDED,
						    &ctx->vol->flags)));
	msleep(100);
	KUNIT_EXPECT_EQ(test, mirvol_kunit_end_held(BLK_STS_IOERR), 1U);
	async_write_finish(test, &replace_aw);
	KUNIT_EXPECT_EQ(test, replace_aw.ret, 0);
	KUNIT_ASSERT_EQ(test, mirvol_op_wait(op_id, 60000, &info),
			MIRVOL_R_NONE);
	KUNIT_EXPECT_NE_MSG(test, info.state, (u32)MIRVOL_OPS_SUCCEEDED,
			    "the replace succeeded with its new plex failed");

	mutex_lock(&ctx->vol->lock);
	old = mirvol_plex_find(ctx->vol, uuid);
	KUNIT_EXPECT_NOT_NULL_MSG(test, old,
				  "the old plex left for a failed new plex");
	if (old)
		KUNIT_EXPECT_EQ(test, old->state, MIRVOL_PLEX_ACTIVE);
	mutex_unlock(&ctx->vol->lock);
	KUNIT_EXPECT_GE_MSG(test, mirvol_sb_read_dev(rbdev(ctx, 1), &md,
						     &reason), 0,
			    "the old plex's metadata was erased");
}

static DECLARE_COMPLETION(finish_reached);

/* Once: the operation is ending; a cancel comes in meanwhile. */
static void hold_finish(struct mirvol_operation *op)
{
	WRITE_ONCE(mirvol_kunit_finish_hook, NULL);
	complete(&finish_reached);
	msleep(300);
}

/*
 * A cancel that comes as an operation ends, its result decided, is too
 * late: answered as done ("cancelled") it says the check did not run to
 * its end, while the operation ends succeeded.
 */
static void mirvol_test_cancel_as_it_ends(struct kunit *test)
{
	struct io_ctx *ctx = test->priv;
	struct mirvol_op_info info;
	enum mirvol_reason reason;
	u64 op_id = 0;

	io_create(test, "kunit-endcancel", 2, true, NULL);
	reinit_completion(&finish_reached);
	WRITE_ONCE(mirvol_kunit_finish_hook, hold_finish);
	KUNIT_ASSERT_EQ(test, mirvol_scrub_start(ctx->vol, false, NULL, &op_id),
			MIRVOL_R_NONE);
	KUNIT_ASSERT_TRUE(test, wait_for_completion_timeout(&finish_reached,
							    msecs_to_jiffies(60000)));
	reason = mirvol_op_cancel(op_id, &info);
	KUNIT_ASSERT_EQ(test, mirvol_op_wait(op_id, 60000, &info),
			MIRVOL_R_NONE);
	KUNIT_EXPECT_EQ_MSG(test, info.state, reason ?
			    (u32)MIRVOL_OPS_SUCCEEDED :
			    (u32)MIRVOL_OPS_CANCELLED,
			    "cancel answered %d, the operation ended %u",
			    reason, info.state);
	KUNIT_EXPECT_EQ(test, reason, MIRVOL_R_CANCEL_TOO_LATE);
}

/* Is the volume marked dirty in plex @i's superblock? */
static bool sb_dirty(struct kunit *test, struct io_ctx *ctx, unsigned int i)
{
	enum mirvol_reason reason;
	struct mirvol_md md;

	KUNIT_EXPECT_GE(test, mirvol_sb_read_dev(rbdev(ctx, i), &md, &reason),
			0);
	return md.flags & MIRVOL_SB_F_DIRTY;
}

/*
 * A reboot marks a dirty volume clean on disk at once, even when it was
 * written since the safe mode work last looked (the work then only takes
 * the new write count and re-arms: the reboot path runs it twice).
 */
static void reboot_marks_clean(struct kunit *test, unsigned int delay_ms)
{
	struct io_ctx *ctx = test->priv;
	unsigned int i;

	io_create(test, "kunit-rebootcl", 2, true, NULL);
	/* Safe mode alone does not mark it clean during the test. */
	ctx->vol->safe_mode_delay_ms = delay_ms;
	fill(ctx->pages, 0x4eb0);
	KUNIT_ASSERT_EQ(test, do_io(vbdev(ctx), REQ_OP_WRITE, 0, ctx->pages,
				    IO_PAGES), 0);
	KUNIT_ASSERT_TRUE(test, test_bit(MIRVOL_VOL_DIRTY, &ctx->vol->flags));
	KUNIT_ASSERT_TRUE(test, sb_dirty(test, ctx, 0));
	mirvol_reboot_one(ctx->vol);
	KUNIT_EXPECT_FALSE(test, test_bit(MIRVOL_VOL_DIRTY, &ctx->vol->flags));
	for (i = 0; i < 2; i++)
		KUNIT_EXPECT_FALSE_MSG(test, sb_dirty(test, ctx, i),
				       "plex %u: still dirty after the reboot",
				       i);
}

static void mirvol_test_reboot_marks_clean(struct kunit *test)
{
	reboot_marks_clean(test, 60000);
}

/*
 * Without safe mode (safe_mode_delay_ms 0: stays dirty until stopped) a
 * reboot marks the volume clean all the same, as md's reboot notifier
 * stops writes whatever its safe mode delay.  The landed code ran the
 * safe mode work once, which only took the write count.
 */
static void mirvol_test_reboot_marks_clean_no_safe_mode(struct kunit *test)
{
	reboot_marks_clean(test, 0);
}

/* The REMOVE that mirvol_test_reboot_vs_remove() runs in the reboot path. */
static struct {
	struct mirvol_volume *vol;
	struct work_struct work;
	struct completion done;
	enum mirvol_reason reason;
	bool torn_down;		/* mirvol_volume_teardown() returned */
	bool done_in_hook;	/* ...while the reboot path waited for it */
	atomic_t ran_after;	/* safe mode work runs after that */
} reboot_rm;

static void reboot_rm_fn(struct work_struct *work)
{
	reboot_rm.reason = mirvol_volume_teardown(reboot_rm.vol, true);
	/* Whoever sees the flag sees all the teardown did. */
	smp_store_release(&reboot_rm.torn_down, true);
	complete_all(&reboot_rm.done);
	mirvol_volume_put(reboot_rm.vol);
}

/* Once: the reboot path decided to act; a REMOVE comes in meanwhile. */
static void reboot_starts_remove(struct mirvol_volume *vol)
{
	WRITE_ONCE(mirvol_kunit_reboot_hook, NULL);
	/* The remove's own reference, as a control request holds one. */
	mirvol_volume_get(vol);
	queue_work(system_unbound_wq, &reboot_rm.work);
	/* Done in time unless the reboot path holds it off. */
	reboot_rm.done_in_hook =
		wait_for_completion_timeout(&reboot_rm.done,
					    msecs_to_jiffies(1000));
}

static void safe_mode_after_remove(struct mirvol_volume *vol)
{
	/* Pairs with the release in reboot_rm_fn(). */
	if (vol != reboot_rm.vol || !smp_load_acquire(&reboot_rm.torn_down))
		return;
	atomic_inc(&reboot_rm.ran_after);
	/*
	 * Stop the work before it reads the statistics of the gendisk the
	 * teardown put: the test reports the bug, not a use after free.
	 */
	clear_bit(MIRVOL_VOL_DIRTY, &vol->flags);
}

/*
 * A REMOVE that runs while the reboot notifier works on the volume, after
 * it decided the volume is started: the notifier must not run the safe
 * mode work once the teardown has finished (the work would read the
 * statistics of the gendisk the teardown put).
 */
static void mirvol_test_reboot_vs_remove(struct kunit *test)
{
	struct io_ctx *ctx = test->priv;
	struct mirvol_volume *vol;

	io_create(test, "kunit-rebootrm", 2, true, NULL);
	vol = ctx->vol;
	vol->safe_mode_delay_ms = 60000;
	fill(ctx->pages, 0x4eb1);
	KUNIT_ASSERT_EQ(test, do_io(vbdev(ctx), REQ_OP_WRITE, 0, ctx->pages,
				    IO_PAGES), 0);
	KUNIT_ASSERT_TRUE(test, test_bit(MIRVOL_VOL_DIRTY, &vol->flags));
	/* Closed, so that REMOVE is not refused as busy. */
	__fput_sync(ctx->vfile);
	ctx->vfile = NULL;

	memset(&reboot_rm, 0, sizeof(reboot_rm));
	reboot_rm.vol = vol;
	INIT_WORK(&reboot_rm.work, reboot_rm_fn);
	init_completion(&reboot_rm.done);
	WRITE_ONCE(mirvol_kunit_safe_mode_hook, safe_mode_after_remove);
	WRITE_ONCE(mirvol_kunit_reboot_hook, reboot_starts_remove);
	mirvol_reboot_one(vol);
	KUNIT_EXPECT_NULL_MSG(test, READ_ONCE(mirvol_kunit_reboot_hook),
			      "the reboot path did not act on a started volume");
	/* The remove waited for the reboot path, or it is done. */
	KUNIT_ASSERT_TRUE_MSG(test,
			      wait_for_completion_timeout(&reboot_rm.done,
							  msecs_to_jiffies(60000)),
			      "the remove did not complete");
	flush_work(&reboot_rm.work);
	KUNIT_EXPECT_EQ(test, reboot_rm.reason, MIRVOL_R_NONE);
	KUNIT_EXPECT_TRUE(test, test_bit(MIRVOL_VOL_DEAD, &vol->flags));
	KUNIT_EXPECT_TRUE(test, list_empty_careful(&vol->node));
	KUNIT_EXPECT_FALSE_MSG(test, delayed_work_pending(&vol->safe_mode_work),
			       "safe mode work armed on a removed volume");
	flush_mirvol_works();
	KUNIT_EXPECT_EQ_MSG(test, atomic_read(&reboot_rm.ran_after), 0,
			    "the safe mode work ran %d time(s) after the remove's teardown (which ended %s)",
			    atomic_read(&reboot_rm.ran_after),
			    reboot_rm.done_in_hook ?
			    "while the reboot path had decided to act" :
			    "after the reboot path");
	WRITE_ONCE(mirvol_kunit_safe_mode_hook, NULL);
	/* Removed here: ctx's reference only. */
	mirvol_volume_put(vol);
	ctx->vol = NULL;
}

/*
 * Do plexes @a and @b hold the same data in every region of the volume?
 * If not, *@where is the first sector where they differ.
 */
static bool plexes_same(struct kunit *test, struct io_ctx *ctx,
			unsigned int a, unsigned int b, sector_t *where)
{
	sector_t s, step = IO_PAGES << (PAGE_SHIFT - SECTOR_SHIFT);

	for (s = 0; s + step <= ctx->vol->size; s += step) {
		KUNIT_ASSERT_EQ(test, do_io(rbdev(ctx, a), REQ_OP_READ,
					    MIRVOL_DATA_OFFSET_SECTORS + s,
					    ctx->pages, IO_PAGES), 0);
		KUNIT_ASSERT_EQ(test, do_io(rbdev(ctx, b), REQ_OP_READ,
					    MIRVOL_DATA_OFFSET_SECTORS + s,
					    ctx->check, IO_PAGES), 0);
		if (!same(ctx->pages, ctx->check)) {
			*where = s;
			return false;
		}
	}
	return true;
}

#define FLAP_SECTOR	4096

/*
 * A volume of two plexes with a bitmap, in sync everywhere, whose region
 * at FLAP_SECTOR holds data its bit no longer records (written, then
 * cleared), and ram2 added, the add held before its first batch: plex 2
 * is syncing and holds nothing of the volume yet (ram2 holds other data
 * at FLAP_SECTOR).  Returns the add's id; plex 2's UUID in @uuid.
 */
static u64 flap_setup(struct kunit *test, u8 *uuid)
{
	struct io_ctx *ctx = test->priv;
	struct mirvol_op_info info;
	struct mirvol_plex *p2;
	u64 op_id = 0;
	unsigned long r;

	fill(ctx->pages, 0xdead);
	KUNIT_ASSERT_EQ(test, do_io(rbdev(ctx, 2), REQ_OP_WRITE,
				    MIRVOL_DATA_OFFSET_SECTORS + FLAP_SECTOR,
				    ctx->pages, IO_PAGES), 0);
	/* Not assumed clean: plexes 0 and 1 the same everywhere. */
	io_create(test, "kunit-flap", 2, false, &op_id);
	KUNIT_ASSERT_NE(test, op_id, 0ULL);
	KUNIT_ASSERT_EQ(test, mirvol_op_wait(op_id, 60000, &info),
			MIRVOL_R_NONE);
	KUNIT_ASSERT_EQ(test, info.state, (u32)MIRVOL_OPS_SUCCEEDED);
	KUNIT_ASSERT_NOT_NULL(test, ctx->vol->bitmap);
	fill(ctx->pages, 0x5a5a);
	KUNIT_ASSERT_EQ(test, do_io(vbdev(ctx), REQ_OP_WRITE, FLAP_SECTOR,
				    ctx->pages, IO_PAGES), 0);
	r = FLAP_SECTOR >> ctx->vol->bitmap->shift;
	bitmap_fast_clear(ctx->vol->bitmap, 50);
	KUNIT_ASSERT_TRUE(test, disk_bit_becomes(test, ctx, 2, r, false,
						 3000));
	hold_next_resync_step();
	op_id = 0;
	KUNIT_ASSERT_EQ(test, mirvol_add_plex(ctx->vol, ctx->ram[2], NULL,
					      false, &op_id), MIRVOL_R_NONE);
	KUNIT_ASSERT_NE(test, op_id, 0ULL);
	p2 = held_new_plex(test, ctx->vol, 2, uuid);
	if (p2)
		mirvol_plex_put(p2);
	else
		KUNIT_FAIL(test, "the add did not take slot 2");
	return op_id;
}

/* Plex 2 ends active, with the volume's data in every region. */
static void flap_check_data(struct kunit *test, const u8 *uuid)
{
	struct io_ctx *ctx = test->priv;
	struct mirvol_plex *p2;
	sector_t where = 0;

	mutex_lock(&ctx->vol->lock);
	p2 = mirvol_plex_find(ctx->vol, uuid);
	KUNIT_EXPECT_TRUE_MSG(test, p2 && p2->state == MIRVOL_PLEX_ACTIVE,
			      "plex 2 is not active");
	mutex_unlock(&ctx->vol->lock);
	KUNIT_EXPECT_TRUE_MSG(test, plexes_same(test, ctx, 0, 2, &where),
			      "plex 2, active, differs from plex 0 at sector %llu",
			      (unsigned long long)where);
}

/*
 * A plex that leaves while syncing (an add's new device, unplugged) and
 * comes back (re-add, udev's incremental assembly) held the volume's data
 * only below its checkpoint: the bitmap records what it missed while
 * away, not what it never got.  It must come back copying everything,
 * not as a partial target copying only the regions set, and assembly
 * must not take it for one either (its gone_generation on disk).  It was
 * taken back partial, promoted, and held its old data in every region
 * written and cleared before the add.
 */
static void mirvol_test_bitmap_syncing_flap_readd(struct kunit *test)
{
	struct io_ctx *ctx = test->priv;
	const struct mirvol_md *mds[2];
	unsigned int classes[2];
	struct mirvol_asm_plan plan;
	struct mirvol_op_info info;
	enum mirvol_reason reason;
	u8 uuid[MIRVOL_UUID_LEN];
	struct mirvol_plex *p2;
	struct mirvol_md *md;
	u64 op_id;

	md = kunit_kcalloc(test, 2, sizeof(*md), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, md);
	op_id = flap_setup(test, uuid);
	mutex_lock(&ctx->vol->lock);
	p2 = mirvol_plex_find(ctx->vol, uuid);
	mirvol_plex_get(p2);
	mutex_unlock(&ctx->vol->lock);
	/* Its device is deleted. */
	KUNIT_EXPECT_TRUE(test, unplug_plex(p2));
	mirvol_plex_put(p2);

	/* What assembly (after a reboot) would make of plex 2 now. */
	KUNIT_EXPECT_GE(test, mirvol_sb_read_dev(rbdev(ctx, 0), &md[0],
						 &reason), 0);
	KUNIT_EXPECT_GE(test, mirvol_sb_read_dev(rbdev(ctx, 2), &md[1],
						 &reason), 0);
	mds[0] = &md[0];
	mds[1] = &md[1];
	mirvol_assemble_plan(mds, 2, classes, &plan);
	KUNIT_EXPECT_EQ_MSG(test, plan.slot_state[2], MIRVOL_PLEX_STALE,
			    "assembly: plex 2 state %u partial %d (gone_generation %llu)",
			    plan.slot_state[2], plan.slot_partial[2],
			    (unsigned long long)md[0].plexes[2].gone_generation);

	/* Its device is back: re-add gives it (mirvolctl re-add). */
	reason = readd_plex(test, ctx->vol, uuid, ctx->ram[2]);
	KUNIT_EXPECT_EQ_MSG(test, reason, MIRVOL_R_NONE, "re-add: reason %d",
			    reason);
	mutex_lock(&ctx->vol->lock);
	p2 = mirvol_plex_find(ctx->vol, uuid);
	KUNIT_EXPECT_TRUE_MSG(test, p2 && p2->bdev, "plex 2 did not rejoin");
	if (p2)
		KUNIT_EXPECT_FALSE_MSG(test, p2->state == MIRVOL_PLEX_SYNCING &&
				       p2->partial,
				       "plex 2 rejoins as a partial target");
	mutex_unlock(&ctx->vol->lock);
	complete(&step_go);
	KUNIT_ASSERT_EQ(test, mirvol_op_wait(op_id, 60000, &info),
			MIRVOL_R_NONE);
	KUNIT_EXPECT_EQ(test, info.state, (u32)MIRVOL_OPS_SUCCEEDED);
	flap_check_data(test, uuid);
}

/*
 * The same for a syncing plex taken offline and back online: it copies
 * everything, not only the regions written while it was offline.
 */
static void mirvol_test_bitmap_syncing_offline_online(struct kunit *test)
{
	struct io_ctx *ctx = test->priv;
	struct mirvol_op_info info;
	u8 uuid[MIRVOL_UUID_LEN];
	struct mirvol_plex *p2;
	u64 op_id, id = 0;

	op_id = flap_setup(test, uuid);
	KUNIT_EXPECT_EQ(test, mirvol_plex_action(ctx->vol, uuid,
						 MIRVOL_PLEX_TAKE_OFFLINE, -1,
						 &id), MIRVOL_R_NONE);
	complete(&step_go);
	/* The add ends without it, whichever way. */
	KUNIT_ASSERT_EQ(test, mirvol_op_wait(op_id, 60000, &info),
			MIRVOL_R_NONE);
	mutex_lock(&ctx->vol->lock);
	p2 = mirvol_plex_find(ctx->vol, uuid);
	if (p2)
		mirvol_plex_get(p2);
	mutex_unlock(&ctx->vol->lock);
	KUNIT_ASSERT_NOT_NULL(test, p2);
	KUNIT_EXPECT_EQ(test, p2->state, MIRVOL_PLEX_OFFLINE);
	take_online_op(test, ctx->vol, p2, &info);
	mirvol_plex_put(p2);
	flap_check_data(test, uuid);
}

/*
 * Plex 1's device goes away, and comes back holding an old image of
 * itself (a dd clone, a restored backup, a reverted VM disk), from
 * generations before it left: a region written and cleared in between,
 * which the bitmap no longer holds, is old on it.  The bitmap covers its
 * departure, not its image: it must copy everything as it rejoins, or it
 * keeps the old data there, in sync.
 */
static void mirvol_test_bitmap_old_image_rejoin(struct kunit *test)
{
	static const unsigned int one = 1;
	struct mirvol_assemble_member um[1];
	struct io_ctx *ctx = test->priv;
	struct mirvol_assemble reply;
	struct mirvol_op_info info;
	enum mirvol_reason reason;
	struct mirvol_bitmap *bm;
	sector_t sector, where = 0;
	unsigned int i;
	u64 op_id;
	u8 *head;

	head = kunit_kzalloc(test, MIRVOL_META_HEAD_PAGES * PAGE_SIZE,
			     GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, head);
	io_create(test, "kunit-oldimage", 2, true, NULL);
	bm = ctx->vol->bitmap;
	KUNIT_ASSERT_NOT_NULL(test, bm);
	sector = 24 << bm->shift;
	fill(ctx->pages, 0x01d1);
	KUNIT_ASSERT_EQ(test, do_io(vbdev(ctx), REQ_OP_WRITE, sector,
				    ctx->pages, IO_PAGES), 0);
	/* The image: plex 1 as it is now. */
	head_save(test, ctx, 1, head);
	/* Written since, and clean again: the bitmap no longer holds it. */
	fill(ctx->pages, 0x0e3f);
	KUNIT_ASSERT_EQ(test, do_io(vbdev(ctx), REQ_OP_WRITE, sector,
				    ctx->pages, IO_PAGES), 0);
	bitmap_fast_clear(bm, 50);
	KUNIT_ASSERT_TRUE(test, disk_bit_becomes(test, ctx, 2, 24, false,
						 3000));
	bitmap_fast_clear(bm, MIRVOL_BM_CLEAR_MS_DEFAULT);
	mutex_lock(&ctx->vol->lock);
	for (i = 0; i < 3; i++)
		KUNIT_EXPECT_EQ(test, mirvol_sb_update(ctx->vol), 0);
	mutex_unlock(&ctx->vol->lock);

	/* Plex 1 goes, and its old image comes back. */
	KUNIT_ASSERT_TRUE(test, unplug_plex(ctx->vol->plexes[1]));
	fill(ctx->pages, 0x01d1);
	KUNIT_ASSERT_EQ(test, do_io(rbdev(ctx, 1), REQ_OP_WRITE,
				    MIRVOL_DATA_OFFSET_SECTORS + sector,
				    ctx->pages, IO_PAGES), 0);
	head_restore(test, ctx, 1, head);
	reason = assemble_rams(test, ctx, &one, 1, 0, um, &reply);
	KUNIT_ASSERT_EQ_MSG(test, reason, MIRVOL_R_NONE,
			    "rejoin: reason %d, member %u/%u", reason,
			    um[0].result, um[0].reason);
	op_id = reply.op_id ?: READ_ONCE(ctx->vol->op_id);
	if (op_id)
		KUNIT_EXPECT_EQ(test, mirvol_op_wait(op_id, 60000, &info),
				MIRVOL_R_NONE);
	KUNIT_EXPECT_EQ(test, READ_ONCE(ctx->vol->plexes[1]->state),
			MIRVOL_PLEX_ACTIVE);
	KUNIT_EXPECT_TRUE_MSG(test, plexes_same(test, ctx, 0, 1, &where),
			      "in sync, plex 1 differs from plex 0 at sector %llu",
			      (unsigned long long)where);
	/* Whatever happened, the next test's RAM disks agree. */
	fill(ctx->pages, 0x0e3f);
	KUNIT_ASSERT_EQ(test, do_io(rbdev(ctx, 1), REQ_OP_WRITE,
				    MIRVOL_DATA_OFFSET_SECTORS + sector,
				    ctx->pages, IO_PAGES), 0);
}

/*
 * A replace's new device goes away during the copy and comes back
 * (re-add, udev's incremental assembly): it rejoins as a new plex object
 * in its slot, and the copy goes on onto it.  In sync at the end, the
 * replace must end as one: the old plex out, the new one in with the
 * volume's data.  It failed with PLEX_NOT_IN_SYNC, the old plex kept: it
 * recognised its new plex by pointer.
 */
static void mirvol_test_replace_new_flapped(struct kunit *test)
{
	u8 uuid[MIRVOL_UUID_LEN], old_uuid[MIRVOL_UUID_LEN];
	struct io_ctx *ctx = test->priv;
	struct mirvol_op_info info;
	enum mirvol_reason reason;
	struct mirvol_plex *p2;
	u64 op_id = 0;
	sector_t where = 0;

	/* No bitmap: the device comes back stale and is copied in full. */
	io_create_flags(test, "kunit-flaprepl", 2, MIRVOL_CREATE_F_NO_BITMAP,
			&op_id);
	KUNIT_ASSERT_NE(test, op_id, 0ULL);
	KUNIT_ASSERT_EQ(test, mirvol_op_wait(op_id, 60000, &info),
			MIRVOL_R_NONE);
	memcpy(old_uuid, &ctx->vol->plexes[1]->uuid, MIRVOL_UUID_LEN);
	fill(ctx->pages, 0x7e9f);
	KUNIT_ASSERT_EQ(test, do_io(vbdev(ctx), REQ_OP_WRITE, 2048, ctx->pages,
				    IO_PAGES), 0);
	hold_next_resync_step();
	op_id = 0;
	KUNIT_ASSERT_EQ(test, mirvol_replace_plex(ctx->vol, old_uuid,
						  ctx->ram[2], &op_id),
			MIRVOL_R_NONE);
	p2 = held_new_plex(test, ctx->vol, 2, uuid);
	if (!p2) {
		KUNIT_FAIL(test, "the replace did not take slot 2");
		return;
	}
	/* Its device is deleted. */
	KUNIT_EXPECT_TRUE(test, unplug_plex(p2));
	mirvol_plex_put(p2);
	reason = readd_plex(test, ctx->vol, uuid, ctx->ram[2]);
	KUNIT_EXPECT_EQ_MSG(test, reason, MIRVOL_R_NONE, "re-add: reason %d",
			    reason);
	complete(&step_go);
	KUNIT_ASSERT_EQ(test, mirvol_op_wait(op_id, 60000, &info),
			MIRVOL_R_NONE);
	KUNIT_EXPECT_EQ_MSG(test, info.state, (u32)MIRVOL_OPS_SUCCEEDED,
			    "the replace ended %u, reason %u", info.state,
			    info.reason);

	mutex_lock(&ctx->vol->lock);
	KUNIT_EXPECT_NULL_MSG(test, mirvol_plex_find(ctx->vol, old_uuid),
			      "the old plex stays");
	p2 = mirvol_plex_find(ctx->vol, uuid);
	KUNIT_EXPECT_TRUE_MSG(test, p2 && p2->state == MIRVOL_PLEX_ACTIVE,
			      "the new plex is not active");
	mutex_unlock(&ctx->vol->lock);
	KUNIT_EXPECT_TRUE_MSG(test, plexes_same(test, ctx, 0, 2, &where),
			      "the new plex differs from plex 0 at sector %llu",
			      (unsigned long long)where);
}

/*
 * Assemble the volume whose only member is RAM disk @i, as 'mirvolctl
 * assemble' does (ASSEMBLE takes its devices as fds).  Returns it,
 * referenced, or NULL.
 */
static struct mirvol_volume *assemble_ram(struct kunit *test,
					  struct io_ctx *ctx, unsigned int i)
{
	struct mirvol_assemble_member um = {};
	struct mirvol_assemble reply = {};
	enum mirvol_reason reason;
	int fd;

	fd = get_unused_fd_flags(O_CLOEXEC);
	KUNIT_ASSERT_GE(test, fd, 0);
	fd_install(fd, get_file(ctx->ram[i]));
	um.fd = fd;
	reason = mirvol_assemble(&um, 1, 0, &reply);
	close_fd(fd);
	KUNIT_EXPECT_EQ_MSG(test, reason, MIRVOL_R_NONE,
			    "assemble: reason %d, member: result %u reason %u",
			    reason, um.result, um.reason);
	if (reason)
		return NULL;
	KUNIT_EXPECT_EQ(test, um.result, (u32)MIRVOL_MEMBER_ACTIVE);
	KUNIT_EXPECT_EQ(test, reply.nr_started, 1U);
	return mirvol_lookup(reply.volume_uuid);
}

/*
 * RAM disk @i holds the superblock of volume @uuid, of generation @gen,
 * and the volume assembles from it again (then it is removed).
 */
static void expect_source_back(struct kunit *test, struct io_ctx *ctx,
			       unsigned int i, const uuid_t *uuid, u64 gen)
{
	struct mirvol_volume *back;
	enum mirvol_reason reason;
	struct mirvol_md md;

	KUNIT_ASSERT_GE_MSG(test, mirvol_sb_read_dev(rbdev(ctx, i), &md,
						     &reason), 0,
			    "the source's plex lost its metadata: reason %d",
			    reason);
	KUNIT_EXPECT_EQ_MSG(test, memcmp(md.volume_uuid, uuid,
					 MIRVOL_UUID_LEN), 0,
			    "the source's plex holds another volume's superblock");
	KUNIT_EXPECT_EQ(test, md.generation, gen);
	back = assemble_ram(test, ctx, i);
	KUNIT_ASSERT_NOT_NULL(test, back);
	KUNIT_EXPECT_TRUE(test, uuid_equal(&back->uuid, uuid));
	KUNIT_EXPECT_EQ(test, READ_ONCE(back->state),
			(unsigned int)MIRVOL_VOLUME_ONLINE);
	KUNIT_EXPECT_EQ(test, mirvol_volume_teardown(back, true),
			MIRVOL_R_NONE);
	mirvol_volume_put(back);
}

/*
 * add-plex --from-volume whose superblock update fails (the target's
 * only in-sync plex cannot flush): the add is undone.  The source was
 * dissolved, and the join had written the target's superblock over its
 * plex: the plex must carry the source's metadata again, so that the
 * source can be assembled (on failure nothing changed but that the
 * source is stopped).
 */
static void mirvol_test_add_from_volume_update_fails(struct kunit *test)
{
	struct io_ctx *ctx = test->priv;
	u64 id = 0, region = 0, op_id = 0;
	enum mirvol_reason reason;
	struct mirvol_volume *src;
	struct mirvol_md md;
	uuid_t src_uuid;

	io_create(test, "kunit-addsrc", 1, true, NULL);
	reason = mirvol_volume_create("kunit-addsrc-s", &ctx->ram[1], 1,
				      MIRVOL_CREATE_F_ASSUME_CLEAN, &region,
				      &id, NULL, &src);
	KUNIT_ASSERT_EQ_MSG(test, reason, MIRVOL_R_NONE, "create: reason %d",
			    reason);
	uuid_copy(&src_uuid, &src->uuid);
	KUNIT_ASSERT_GE(test, mirvol_sb_read_dev(rbdev(ctx, 1), &md, &reason),
			0);

	WRITE_ONCE(ctx->vol->plexes[0]->inject, MIRVOL_INJECT_FLUSH);
	reason = mirvol_add_plex(ctx->vol, NULL, src, false, &op_id);
	WRITE_ONCE(ctx->vol->plexes[0]->inject, 0);
	mirvol_volume_put(src);
	KUNIT_EXPECT_EQ(test, reason, MIRVOL_R_IO_ERROR);
	KUNIT_EXPECT_EQ(test, ctx->vol->nr_plexes, 1U);
	expect_source_back(test, ctx, 1, &src_uuid, md.generation);
}

/*
 * A volume @name over two RAM disks with a bitmap, its plex 1 broken off
 * with --track-changes as @bname, and region 7 of the copy written with
 * @seed (ctx->pages): a merge has a region to copy.  @plex_uuid, if not
 * NULL, receives the UUID of the plex broken off.  Returns the copy,
 * referenced, or NULL (the test failed).
 */
static struct mirvol_volume *tracked_copy(struct kunit *test,
					  const char *name, const char *bname,
					  u32 seed, u8 *plex_uuid)
{
	struct io_ctx *ctx = test->priv;
	char new_name[MIRVOL_NAME_LEN];
	struct mirvol_op_info info;
	enum mirvol_reason reason;
	u8 uuid[MIRVOL_UUID_LEN];
	struct mirvol_volume *peer;
	struct file *file;
	uuid_t peer_uuid;
	u64 op_id = 0;

	io_create(test, name, 2, true, NULL);
	KUNIT_ASSERT_NOT_NULL(test, ctx->vol->bitmap);
	memcpy(uuid, &ctx->vol->plexes[1]->uuid, MIRVOL_UUID_LEN);
	if (plex_uuid)
		memcpy(plex_uuid, uuid, MIRVOL_UUID_LEN);
	reason = mirvol_break_plex(ctx->vol, uuid, bname, true, &peer_uuid,
				   new_name, &op_id);
	KUNIT_ASSERT_EQ(test, reason, MIRVOL_R_NONE);
	KUNIT_ASSERT_EQ(test, mirvol_op_wait(op_id, 60000, &info),
			MIRVOL_R_NONE);
	KUNIT_ASSERT_EQ(test, info.state, (u32)MIRVOL_OPS_SUCCEEDED);
	peer = mirvol_lookup(peer_uuid.b);
	KUNIT_ASSERT_NOT_NULL(test, peer);
	file = open_dev(disk_devt(peer->disk));
	if (IS_ERR(file)) {
		mirvol_volume_put(peer);
		KUNIT_FAIL(test, "cannot open the broken-off copy");
		return NULL;
	}
	fill(ctx->pages, seed);
	KUNIT_EXPECT_EQ(test, do_io(file_bdev(file), REQ_OP_WRITE,
				    (sector_t)7 << ctx->vol->bitmap->shift,
				    ctx->pages, IO_PAGES), 0);
	__fput_sync(file);
	return peer;
}

/*
 * merge-plex whose superblock update fails: the copy broken off with
 * --track-changes must come back as it was, its change map included
 * (region 7 written on it, region 9 on the volume since the split), so
 * that the merge can be tried again.
 */
static void mirvol_test_merge_update_fails(struct kunit *test)
{
	struct io_ctx *ctx = test->priv;
	enum mirvol_reason reason;
	struct mirvol_volume *peer;
	unsigned int shift;
	struct mirvol_md md;
	uuid_t peer_uuid;
	u64 op_id = 0;

	peer = tracked_copy(test, "kunit-mrgfail", "kunit-mrgfail-b", 0x3e7,
			    NULL);
	if (!peer)
		return;
	uuid_copy(&peer_uuid, &peer->uuid);
	shift = ctx->vol->bitmap->shift;
	KUNIT_EXPECT_EQ(test, do_io(vbdev(ctx), REQ_OP_WRITE,
				    (sector_t)9 << shift, ctx->pages,
				    IO_PAGES), 0);
	KUNIT_EXPECT_TRUE(test, disk_bit(test, ctx, 1, 7));
	KUNIT_EXPECT_FALSE(test, disk_bit(test, ctx, 1, 9));
	/* Marked clean (safe mode): its superblock stays as read now. */
	KUNIT_EXPECT_TRUE(test, wait_until(!test_bit(MIRVOL_VOL_DIRTY,
						     &peer->flags)));
	KUNIT_EXPECT_GE(test, mirvol_sb_read_dev(rbdev(ctx, 1), &md, &reason),
			0);

	WRITE_ONCE(ctx->vol->plexes[0]->inject, MIRVOL_INJECT_FLUSH);
	reason = mirvol_add_plex(ctx->vol, NULL, peer, true, &op_id);
	WRITE_ONCE(ctx->vol->plexes[0]->inject, 0);
	mirvol_volume_put(peer);
	KUNIT_EXPECT_EQ(test, reason, MIRVOL_R_IO_ERROR);
	KUNIT_EXPECT_EQ(test, ctx->vol->nr_plexes, 1U);
	/* Still tracked on the volume: the merge can be tried again. */
	KUNIT_EXPECT_TRUE(test, uuid_equal(&ctx->vol->split_peer, &peer_uuid));
	KUNIT_EXPECT_TRUE_MSG(test, disk_bit(test, ctx, 1, 7),
			      "the copy's change map lost region 7");
	KUNIT_EXPECT_FALSE_MSG(test, disk_bit(test, ctx, 1, 9),
			       "the copy's change map holds the volume's");
	expect_source_back(test, ctx, 1, &peer_uuid, md.generation);
}

/*
 * A merge-plex that fails before it joins anything (the bitmap merge
 * finds no in-sync plex to take it) gives the copy back as it was, even
 * when writing its saved bitmap area back fails: its superblock was never
 * written over.  The landed code fell through to the erase of a joined
 * plex, and the copy's superblock, intact, was wiped.
 */
static void mirvol_test_merge_restore_fails(struct kunit *test)
{
	struct io_ctx *ctx = test->priv;
	enum mirvol_reason reason;
	struct mirvol_volume *peer;
	struct mirvol_plex *q0;
	struct mirvol_md md;
	uuid_t peer_uuid;
	u64 op_id = 0;

	peer = tracked_copy(test, "kunit-mrgrst", "kunit-mrgrst-b", 0x3e8,
			    NULL);
	if (!peer)
		return;
	uuid_copy(&peer_uuid, &peer->uuid);
	KUNIT_EXPECT_TRUE(test, wait_until(!test_bit(MIRVOL_VOL_DIRTY,
						     &peer->flags)));
	KUNIT_EXPECT_GE(test, mirvol_sb_read_dev(rbdev(ctx, 1), &md, &reason),
			0);
	/*
	 * The target's bitmap takes nothing (the merge fails), nor does the
	 * copy's bitmap area (its restore fails).
	 */
	q0 = peer->plexes[0];
	mirvol_plex_get(q0);
	WRITE_ONCE(q0->inject, MIRVOL_INJECT_BITMAP);
	WRITE_ONCE(ctx->vol->plexes[0]->inject, MIRVOL_INJECT_BITMAP);
	reason = mirvol_add_plex(ctx->vol, NULL, peer, true, &op_id);
	WRITE_ONCE(ctx->vol->plexes[0]->inject, 0);
	WRITE_ONCE(q0->inject, 0);
	mirvol_plex_put(q0);
	mirvol_volume_put(peer);
	KUNIT_EXPECT_EQ(test, reason, MIRVOL_R_IO_ERROR);
	KUNIT_EXPECT_EQ(test, ctx->vol->nr_plexes, 1U);
	expect_source_back(test, ctx, 1, &peer_uuid, md.generation);
}

/*
 * break-plex or remove-plex whose superblock update fails (the plex that
 * stays cannot flush): the call fails, and the plex must still be in the
 * volume, in its slot, in sync, with its device, and take writes.
 */
static void split_update_fails(struct kunit *test, bool brk)
{
	struct io_ctx *ctx = test->priv;
	char name[MIRVOL_NAME_LEN];
	struct mirvol_op_info info;
	enum mirvol_reason reason;
	u8 uuid[MIRVOL_UUID_LEN];
	struct mirvol_volume *nv;
	struct mirvol_plex *p1;
	struct mirvol_md md;
	uuid_t new_uuid;
	u64 op_id = 0;

	io_create(test, brk ? "kunit-brkfail" : "kunit-rmfail", 2, true,
		  NULL);
	memcpy(uuid, &ctx->vol->plexes[1]->uuid, MIRVOL_UUID_LEN);
	WRITE_ONCE(ctx->vol->plexes[0]->inject, MIRVOL_INJECT_FLUSH);
	if (brk)
		reason = mirvol_break_plex(ctx->vol, uuid, "", false,
					   &new_uuid, name, &op_id);
	else
		reason = mirvol_remove_plex(ctx->vol, uuid, &op_id);
	KUNIT_ASSERT_EQ(test, reason, MIRVOL_R_NONE);
	KUNIT_ASSERT_EQ(test, mirvol_op_wait(op_id, 60000, &info),
			MIRVOL_R_NONE);
	WRITE_ONCE(ctx->vol->plexes[0]->inject, 0);
	KUNIT_EXPECT_EQ(test, info.state, (u32)MIRVOL_OPS_FAILED);
	KUNIT_EXPECT_EQ(test, info.reason, (u32)MIRVOL_R_IO_ERROR);

	mutex_lock(&ctx->vol->lock);
	p1 = mirvol_plex_find(ctx->vol, uuid);
	KUNIT_EXPECT_NOT_NULL_MSG(test, p1,
				  "the plex left though the %s failed",
				  brk ? "break" : "remove");
	if (p1) {
		KUNIT_EXPECT_EQ(test, p1->index, 1U);
		KUNIT_EXPECT_NOT_NULL(test, p1->bdev);
		KUNIT_EXPECT_EQ(test, READ_ONCE(p1->state),
				(unsigned int)MIRVOL_PLEX_ACTIVE);
	}
	mutex_unlock(&ctx->vol->lock);
	if (brk) {
		nv = mirvol_lookup(new_uuid.b);
		KUNIT_EXPECT_NULL(test, nv);
		if (nv)
			mirvol_volume_put(nv);
	}
	KUNIT_ASSERT_NOT_NULL(test, p1);
	/* Its device says so, and it takes the writes. */
	KUNIT_ASSERT_GE(test, mirvol_sb_read_dev(rbdev(ctx, 1), &md, &reason),
			0);
	KUNIT_EXPECT_EQ(test, memcmp(md.volume_uuid, &ctx->vol->uuid,
				     MIRVOL_UUID_LEN), 0);
	KUNIT_EXPECT_EQ(test, memcmp(md.plexes[1].uuid, uuid,
				     MIRVOL_UUID_LEN), 0);
	fill(ctx->pages, brk ? 0xb4e : 0x4e3);
	KUNIT_ASSERT_EQ(test, do_io(vbdev(ctx), REQ_OP_WRITE, 64, ctx->pages,
				    IO_PAGES), 0);
	KUNIT_ASSERT_EQ(test, read_plex(ctx, 1, 64), 0);
	KUNIT_EXPECT_TRUE(test, same(ctx->pages, ctx->check));
}

/*
 * Break-plex freezes the file systems on the volume's block devices,
 * which it finds by device number.  A number may name another device by
 * the time it is opened (a partition deleted meanwhile, its number given
 * to another disk's new partition): that device is not the volume's, and
 * must not be frozen.  The freeze hook gives the whole disk's number to
 * RAM disk 2, in no volume; the split hook, called while the file systems
 * are frozen, sees whether RAM disk 2 is.
 */
static dev_t freeze_swap_devt;
static struct block_device *freeze_watch;
static int freeze_seen;

static void freeze_swap_hook(dev_t *devts, unsigned int nr)
{
	if (nr)
		devts[0] = freeze_swap_devt;
}

static void freeze_seen_hook(struct mirvol_volume *vol)
{
	freeze_seen = atomic_read(&freeze_watch->bd_fsfreeze_count);
}

static void mirvol_test_break_freeze_other_device(struct kunit *test)
{
	struct io_ctx *ctx = test->priv;
	char name[MIRVOL_NAME_LEN];
	struct mirvol_op_info info;
	enum mirvol_reason reason;
	u8 uuid[MIRVOL_UUID_LEN];
	struct mirvol_volume *nv;
	uuid_t new_uuid;
	u64 op_id = 0;

	io_create(test, "kunit-brkfreeze", 2, true, NULL);
	memcpy(uuid, &ctx->vol->plexes[1]->uuid, MIRVOL_UUID_LEN);
	freeze_watch = file_bdev(ctx->ram[2]);
	freeze_swap_devt = freeze_watch->bd_dev;
	freeze_seen = -1;
	WRITE_ONCE(mirvol_kunit_freeze_hook, freeze_swap_hook);
	WRITE_ONCE(mirvol_kunit_split_hook, freeze_seen_hook);
	reason = mirvol_break_plex(ctx->vol, uuid, "", false, &new_uuid, name,
				   &op_id);
	KUNIT_ASSERT_EQ(test, reason, MIRVOL_R_NONE);
	KUNIT_ASSERT_EQ(test, mirvol_op_wait(op_id, 60000, &info),
			MIRVOL_R_NONE);
	WRITE_ONCE(mirvol_kunit_freeze_hook, NULL);
	WRITE_ONCE(mirvol_kunit_split_hook, NULL);
	KUNIT_EXPECT_EQ(test, info.state, (u32)MIRVOL_OPS_SUCCEEDED);
	KUNIT_EXPECT_EQ_MSG(test, freeze_seen, 0,
			    "break-plex froze a device not the volume's, which had its old number");
	KUNIT_EXPECT_EQ(test, atomic_read(&freeze_watch->bd_fsfreeze_count),
			0);
	nv = mirvol_lookup(new_uuid.b);
	KUNIT_ASSERT_NOT_NULL(test, nv);
	KUNIT_EXPECT_EQ(test, mirvol_volume_teardown(nv, true), MIRVOL_R_NONE);
	mirvol_volume_put(nv);
}

static void mirvol_test_break_update_fails(struct kunit *test)
{
	split_update_fails(test, true);
}

static void mirvol_test_remove_plex_update_fails(struct kunit *test)
{
	split_update_fails(test, false);
}

static struct mirvol_plex *split_plex;

/* The new volume's superblock is written, but reported failed (once). */
static int init_fails(struct mirvol_plex *plex)
{
	WRITE_ONCE(mirvol_kunit_init_hook, NULL);
	return -EIO;
}

static int init_fails_then_dies(struct mirvol_plex *plex);

/*
 * The split is recorded: no plex can flush any more, and the new
 * volume's superblock, written, fails; the one split off then takes no
 * write (init_fails_then_dies()): it keeps the new volume's superblock,
 * which tracks the split too.
 */
static void split_recorded(struct mirvol_volume *vol)
{
	WRITE_ONCE(vol->plexes[0]->inject, MIRVOL_INJECT_FLUSH);
	WRITE_ONCE(split_plex->inject, MIRVOL_INJECT_FLUSH);
	WRITE_ONCE(mirvol_kunit_init_hook, init_fails_then_dies);
	WRITE_ONCE(mirvol_kunit_split_hook, NULL);
}

/*
 * A break --track-changes whose new volume cannot be made after the split
 * is undone, the split with it.  When the superblock update that records
 * that fails (neither plex can flush), the superblocks still track the
 * split, and so must the volume: forgotten in memory only, it clears bits
 * (rule 3) that the superblocks count on.  set --forget-split then
 * records the end.
 */
static void mirvol_test_break_forget_update_fails(struct kunit *test)
{
	struct io_ctx *ctx = test->priv;
	struct mirvol_set_volume sv = {};
	char name[MIRVOL_NAME_LEN];
	struct mirvol_op_info info;
	enum mirvol_reason reason;
	u8 uuid[MIRVOL_UUID_LEN];
	struct mirvol_volume *vol;
	struct mirvol_bitmap *bm;
	struct mirvol_md md;
	unsigned long r = 12;
	unsigned int i, k = 2;
	uuid_t new_uuid;
	u64 op_id = 0;

	io_create(test, "kunit-forgetfail", 2, true, NULL);
	vol = ctx->vol;
	bm = vol->bitmap;
	KUNIT_ASSERT_NOT_NULL(test, bm);
	split_plex = vol->plexes[1];
	memcpy(uuid, &split_plex->uuid, MIRVOL_UUID_LEN);
	WRITE_ONCE(mirvol_kunit_split_hook, split_recorded);
	reason = mirvol_break_plex(vol, uuid, "", true, &new_uuid, name,
				   &op_id);
	KUNIT_ASSERT_EQ(test, reason, MIRVOL_R_NONE);
	KUNIT_ASSERT_EQ(test, mirvol_op_wait(op_id, 60000, &info),
			MIRVOL_R_NONE);
	KUNIT_EXPECT_EQ(test, info.state, (u32)MIRVOL_OPS_FAILED);
	KUNIT_ASSERT_NULL_MSG(test, READ_ONCE(mirvol_kunit_split_hook),
			      "the break did not get as far as the split");
	KUNIT_EXPECT_NULL(test, READ_ONCE(mirvol_kunit_init_hook));
	/* Back in its slot; one of the two stays in sync (the last). */
	KUNIT_ASSERT_PTR_EQ(test, vol->plexes[1], split_plex);
	for (i = 0; i < 2; i++) {
		WRITE_ONCE(vol->plexes[i]->inject, 0);
		if (vol->plexes[i]->state == MIRVOL_PLEX_ACTIVE)
			k = i;
	}
	KUNIT_ASSERT_LT(test, k, 2U);

	/* Its superblock tracks the split still; so does the volume. */
	KUNIT_ASSERT_GE(test, mirvol_sb_read_dev(rbdev(ctx, k), &md, &reason),
			0);
	KUNIT_EXPECT_NE(test, md.split_generation, 0ULL);
	KUNIT_EXPECT_EQ(test, memcmp(md.split_peer, &new_uuid,
				     MIRVOL_UUID_LEN), 0);
	mutex_lock(&vol->lock);
	KUNIT_EXPECT_EQ_MSG(test, vol->split_generation, md.split_generation,
			    "the volume forgot a split its superblock tracks");
	KUNIT_EXPECT_TRUE(test, uuid_equal(&vol->split_peer, &new_uuid));
	mutex_unlock(&vol->lock);
	/* Rule 3: a written region stays set however idle. */
	fill(ctx->pages, 0xf9e7);
	KUNIT_ASSERT_EQ(test, do_io(vbdev(ctx), REQ_OP_WRITE, r << bm->shift,
				    ctx->pages, IO_PAGES), 0);
	bitmap_fast_clear(bm, 20);
	msleep(400);
	KUNIT_EXPECT_TRUE_MSG(test, disk_bit(test, ctx, k, r),
			      "cleared while the superblock tracks a split");

	/* set --forget-split records the end; then bits clear again. */
	sv.hdr.flags = MIRVOL_SET_F_FORGET_SPLIT;
	KUNIT_EXPECT_EQ(test, mirvol_set_volume(vol, &sv), MIRVOL_R_NONE);
	KUNIT_ASSERT_GE(test, mirvol_sb_read_dev(rbdev(ctx, k), &md, &reason),
			0);
	KUNIT_EXPECT_EQ(test, md.split_generation, 0ULL);
	KUNIT_EXPECT_EQ(test, vol->split_generation, 0ULL);
	/* The other plex failed: its return needs the bits (rule 3). */
	bitmap_fast_clear(bm, MIRVOL_BM_CLEAR_MS_DEFAULT);
}

/*
 * 'mirvolctl offline' of the plex @uuid, the target of the copy of
 * @op_id, which is held before its first batch (hold_next_resync_step()),
 * and the copy let go.  The plex never got the data: the operation must
 * end failed with PLEX_OFFLINE (ENXIO), as an unplugged target ends it
 * with IO_ERROR, not succeed; the plex stays in the volume, offline, its
 * device held, for 'mirvolctl online' to copy it.  Without the check the
 * operation succeeded with its plex offline and empty.
 */
static void offline_held_target(struct kunit *test, u64 op_id,
				const u8 *uuid, const char *what)
{
	struct io_ctx *ctx = test->priv;
	struct mirvol_op_info info;
	struct mirvol_plex *plex;
	u64 id = 0;

	KUNIT_EXPECT_EQ(test, mirvol_plex_action(ctx->vol, uuid,
						 MIRVOL_PLEX_TAKE_OFFLINE, -1,
						 &id), MIRVOL_R_NONE);
	complete(&step_go);
	KUNIT_ASSERT_EQ(test, mirvol_op_wait(op_id, 60000, &info),
			MIRVOL_R_NONE);
	KUNIT_EXPECT_EQ_MSG(test, info.state, (u32)MIRVOL_OPS_FAILED,
			    "the %s ended %s (reason %u) with its plex offline",
			    what, mirvol_op_state_name(info.state), info.reason);
	KUNIT_EXPECT_EQ_MSG(test, info.reason, (u32)MIRVOL_R_PLEX_OFFLINE,
			    "the %s: reason %u", what, info.reason);
	KUNIT_EXPECT_EQ(test, info.error, ENXIO);
	mutex_lock(&ctx->vol->lock);
	plex = mirvol_plex_find(ctx->vol, uuid);
	KUNIT_EXPECT_TRUE_MSG(test, plex && plex->bdev &&
			      READ_ONCE(plex->state) == MIRVOL_PLEX_OFFLINE,
			      "the %s's plex is not offline with its device",
			      what);
	mutex_unlock(&ctx->vol->lock);
}

/*
 * add-plex whose new plex is taken offline during the copy: the add
 * fails (PLEX_OFFLINE), the plex stays offline; online copies it all.
 */
static void mirvol_test_add_target_offline(struct kunit *test)
{
	struct io_ctx *ctx = test->priv;
	struct mirvol_op_info info;
	u8 uuid[MIRVOL_UUID_LEN];
	struct mirvol_plex *p2;
	sector_t where = 0;
	u64 op_id = 0;

	io_create(test, "kunit-addoff", 2, true, NULL);
	fill(ctx->pages, 0xadd0);
	KUNIT_ASSERT_EQ(test, do_io(vbdev(ctx), REQ_OP_WRITE, 2048, ctx->pages,
				    IO_PAGES), 0);
	hold_next_resync_step();
	KUNIT_ASSERT_EQ(test, mirvol_add_plex(ctx->vol, ctx->ram[2], NULL,
					      false, &op_id), MIRVOL_R_NONE);
	KUNIT_ASSERT_NE(test, op_id, 0ULL);
	p2 = held_new_plex(test, ctx->vol, 2, uuid);
	if (!p2) {
		KUNIT_FAIL(test, "the add did not take slot 2");
		return;
	}
	offline_held_target(test, op_id, uuid, "add-plex");
	/* The remedy the reason names. */
	if (READ_ONCE(p2->state) == MIRVOL_PLEX_OFFLINE)
		take_online_op(test, ctx->vol, p2, &info);
	mirvol_plex_put(p2);
	KUNIT_EXPECT_TRUE_MSG(test, plexes_same(test, ctx, 0, 2, &where),
			      "plex 2, online, differs from plex 0 at sector %llu",
			      (unsigned long long)where);
}

/*
 * replace whose new plex is taken offline during the copy: it fails
 * (PLEX_OFFLINE), not PLEX_NOT_IN_SYNC as a new plex that is merely
 * behind; the old plex stays, in sync.
 */
static void mirvol_test_replace_target_offline(struct kunit *test)
{
	u8 uuid[MIRVOL_UUID_LEN], old_uuid[MIRVOL_UUID_LEN];
	struct io_ctx *ctx = test->priv;
	struct mirvol_plex *p2, *old;
	u64 op_id = 0;

	io_create(test, "kunit-repoff", 2, true, NULL);
	memcpy(old_uuid, &ctx->vol->plexes[1]->uuid, MIRVOL_UUID_LEN);
	hold_next_resync_step();
	KUNIT_ASSERT_EQ(test, mirvol_replace_plex(ctx->vol, old_uuid,
						  ctx->ram[2], &op_id),
			MIRVOL_R_NONE);
	p2 = held_new_plex(test, ctx->vol, 2, uuid);
	if (!p2) {
		KUNIT_FAIL(test, "the replace did not take slot 2");
		return;
	}
	mirvol_plex_put(p2);
	offline_held_target(test, op_id, uuid, "replace");
	mutex_lock(&ctx->vol->lock);
	old = mirvol_plex_find(ctx->vol, old_uuid);
	KUNIT_EXPECT_TRUE_MSG(test, old && old->state == MIRVOL_PLEX_ACTIVE,
			      "the replaced plex left, or is not in sync");
	mutex_unlock(&ctx->vol->lock);
}

/*
 * merge-plex whose rejoining plex is taken offline during the copy of
 * the changed regions: the merge fails (PLEX_OFFLINE).
 */
static void mirvol_test_merge_target_offline(struct kunit *test)
{
	struct io_ctx *ctx = test->priv;
	enum mirvol_reason reason;
	u8 uuid[MIRVOL_UUID_LEN];
	struct mirvol_volume *peer;
	struct mirvol_plex *p1;
	u64 op_id = 0;

	peer = tracked_copy(test, "kunit-mrgoff", "kunit-mrgoff-b", 0x3e9,
			    uuid);
	if (!peer)
		return;
	hold_next_resync_step();
	op_id = 0;
	reason = mirvol_add_plex(ctx->vol, NULL, peer, true, &op_id);
	mirvol_volume_put(peer);
	KUNIT_ASSERT_EQ(test, reason, MIRVOL_R_NONE);
	p1 = held_new_plex(test, ctx->vol, 1, uuid);
	if (!p1) {
		KUNIT_FAIL(test, "the merge did not take slot 1");
		return;
	}
	mirvol_plex_put(p1);
	offline_held_target(test, op_id, uuid, "merge-plex");
}

/* What leave_before_copy() uses. */
static struct {
	struct mirvol_volume *vol;
	unsigned int slot;
	unsigned int action;
	atomic_t fired;
	enum mirvol_reason reason;
} leave_first;

/*
 * Once: the plex in leave_first.slot leaves by leave_first.action where
 * the operation's work sends resync-started, no lock held, before its
 * copy looks for targets.
 */
static void leave_before_copy(struct mirvol_volume *vol)
{
	u8 uuid[MIRVOL_UUID_LEN];
	struct mirvol_plex *plex;
	u64 id = 0;

	if (vol != leave_first.vol || !current_work() ||
	    current_work() == &vol->worker)
		return;
	/* First: the action sends an event of its own. */
	if (atomic_xchg(&leave_first.fired, 1))
		return;
	mutex_lock(&vol->lock);
	plex = vol->plexes[leave_first.slot];
	if (plex)
		memcpy(uuid, &plex->uuid, MIRVOL_UUID_LEN);
	mutex_unlock(&vol->lock);
	leave_first.reason = plex ? mirvol_plex_action(vol, uuid,
						       leave_first.action, -1,
						       &id) :
				    MIRVOL_R_OBJECT_NOT_FOUND;
}

/*
 * The operation @op_id, whose plex in @slot left by @action (PLEX_ACTION)
 * before its copy began (leave_before_copy()), must end failed with
 * @expect, the plex left @state: it never got the data.  The copy, which
 * found no target, ended it SUCCEEDED.
 */
static void left_before_copy(struct kunit *test, u64 op_id, unsigned int slot,
			     unsigned int state, enum mirvol_reason expect,
			     const char *what)
{
	struct io_ctx *ctx = test->priv;
	struct mirvol_op_info info;
	struct mirvol_plex *plex;

	KUNIT_ASSERT_EQ(test, mirvol_op_wait(op_id, 60000, &info),
			MIRVOL_R_NONE);
	WRITE_ONCE(mirvol_kunit_uevent_hook, NULL);
	KUNIT_EXPECT_EQ_MSG(test, atomic_read(&leave_first.fired), 1,
			    "the %s's copy sent no resync-started", what);
	KUNIT_EXPECT_EQ(test, leave_first.reason, MIRVOL_R_NONE);
	KUNIT_EXPECT_EQ_MSG(test, info.state, (u32)MIRVOL_OPS_FAILED,
			    "the %s ended %s (reason %u), its plex gone before its copy",
			    what, mirvol_op_state_name(info.state), info.reason);
	KUNIT_EXPECT_EQ_MSG(test, info.reason, (u32)expect,
			    "the %s: reason %u", what, info.reason);
	mutex_lock(&ctx->vol->lock);
	plex = ctx->vol->plexes[slot];
	KUNIT_EXPECT_TRUE_MSG(test, plex && plex->bdev &&
			      READ_ONCE(plex->state) == state,
			      "the %s's plex is not %s with its device", what,
			      mirvol_plex_state_name(state));
	mutex_unlock(&ctx->vol->lock);
}

/* add-plex whose new plex leaves by @action before its copy began. */
static void add_target_leaves_first(struct kunit *test, unsigned int action,
				    unsigned int state,
				    enum mirvol_reason expect)
{
	struct io_ctx *ctx = test->priv;
	u64 op_id = 0;

	io_create(test, "kunit-addfirst", 2, true, NULL);
	leave_first.vol = ctx->vol;
	leave_first.slot = 2;
	leave_first.action = action;
	leave_first.reason = MIRVOL_R_NONE;
	atomic_set(&leave_first.fired, 0);
	WRITE_ONCE(mirvol_kunit_uevent_hook, leave_before_copy);
	KUNIT_ASSERT_EQ(test, mirvol_add_plex(ctx->vol, ctx->ram[2], NULL,
					      false, &op_id), MIRVOL_R_NONE);
	left_before_copy(test, op_id, 2, state, expect, "add-plex");
}

/* Taken offline first: PLEX_OFFLINE, as during the copy. */
static void mirvol_test_add_target_offline_first(struct kunit *test)
{
	add_target_leaves_first(test, MIRVOL_PLEX_TAKE_OFFLINE,
				MIRVOL_PLEX_OFFLINE, MIRVOL_R_PLEX_OFFLINE);
}

/* Failed first: IO_ERROR, as during the copy. */
static void mirvol_test_add_target_failed_first(struct kunit *test)
{
	add_target_leaves_first(test, MIRVOL_PLEX_FAIL, MIRVOL_PLEX_FAILED,
				MIRVOL_R_IO_ERROR);
}

/* merge-plex whose rejoining plex is taken offline before its copy. */
static void mirvol_test_merge_target_offline_first(struct kunit *test)
{
	struct io_ctx *ctx = test->priv;
	struct mirvol_volume *peer;
	enum mirvol_reason reason;
	u64 op_id = 0;

	peer = tracked_copy(test, "kunit-mrgfirst", "kunit-mrgfirst-b", 0x3ea,
			    NULL);
	if (!peer)
		return;
	leave_first.vol = ctx->vol;
	leave_first.slot = 1;
	leave_first.action = MIRVOL_PLEX_TAKE_OFFLINE;
	leave_first.reason = MIRVOL_R_NONE;
	atomic_set(&leave_first.fired, 0);
	WRITE_ONCE(mirvol_kunit_uevent_hook, leave_before_copy);
	reason = mirvol_add_plex(ctx->vol, NULL, peer, true, &op_id);
	mirvol_volume_put(peer);
	KUNIT_ASSERT_EQ(test, reason, MIRVOL_R_NONE);
	left_before_copy(test, op_id, 1, MIRVOL_PLEX_OFFLINE,
			 MIRVOL_R_PLEX_OFFLINE, "merge-plex");
}

/*
 * A writer's turn in mirvol_test_merge_write_before_kill(): the copy,
 * closed when the merge checked it, opened, region 8 written, closed
 * again before the merge kills it.
 */
static void merge_write_before_kill(struct mirvol_volume *src)
{
	struct kunit *test = kunit_get_current_test();
	struct io_ctx *ctx = test->priv;
	struct file *file;

	WRITE_ONCE(mirvol_kunit_merge_kill_hook, NULL);
	file = open_dev(disk_devt(src->disk));
	if (IS_ERR(file)) {
		KUNIT_FAIL(test, "cannot open the copy: %ld", PTR_ERR(file));
		return;
	}
	fill(ctx->pages, 0x8b8);
	KUNIT_EXPECT_EQ(test, do_io(file_bdev(file), REQ_OP_WRITE,
				    (sector_t)8 << src->bitmap->shift,
				    ctx->pages, IO_PAGES), 0);
	__fput_sync(file);
}

/*
 * merge-plex checks that the copy broken off with --track-changes is
 * closed, but holding its lock keeps nobody from opening it: a writer
 * may open it, write a region and close it again before the merge kills
 * it.  That region must be copied back too: the plex merged back holds
 * the volume's data there.  The landed code copied the change map before
 * the kill, without the writer's region.
 */
static void mirvol_test_merge_write_before_kill(struct kunit *test)
{
	struct io_ctx *ctx = test->priv;
	struct mirvol_op_info info;
	enum mirvol_reason reason;
	struct mirvol_volume *peer;
	u64 op_id = 0;
	sector_t s;

	peer = tracked_copy(test, "kunit-mrgkill", "kunit-mrgkill-b", 0x3e9,
			    NULL);
	if (!peer)
		return;
	WRITE_ONCE(mirvol_kunit_merge_kill_hook, merge_write_before_kill);
	reason = mirvol_add_plex(ctx->vol, NULL, peer, true, &op_id);
	mirvol_volume_put(peer);
	KUNIT_ASSERT_NULL_MSG(test, READ_ONCE(mirvol_kunit_merge_kill_hook),
			      "the merge did not get as far as the kill");
	KUNIT_ASSERT_EQ(test, reason, MIRVOL_R_NONE);
	KUNIT_ASSERT_EQ(test, mirvol_op_wait(op_id, 60000, &info),
			MIRVOL_R_NONE);
	KUNIT_ASSERT_EQ(test, info.state, (u32)MIRVOL_OPS_SUCCEEDED);
	/* Region 8 of the merged plex holds the volume's data. */
	s = MIRVOL_DATA_OFFSET_SECTORS + ((sector_t)8 << ctx->vol->bitmap->shift);
	KUNIT_ASSERT_EQ(test, do_io(rbdev(ctx, 0), REQ_OP_READ, s, ctx->pages,
				    IO_PAGES), 0);
	KUNIT_ASSERT_EQ(test, do_io(rbdev(ctx, 1), REQ_OP_READ, s, ctx->check,
				    IO_PAGES), 0);
	KUNIT_EXPECT_TRUE_MSG(test, same(ctx->pages, ctx->check),
			      "the merged plex kept the write on the copy");
}

/* The volume's data at sector @s in mirvol_test_merge_keeps_data_offset. */
static void fill_moved(struct page **pages, sector_t s)
{
	fill(pages, 0x0ff5e7 ^ (u32)s);
}

/*
 * Move the members of a stopped two-plex volume on ram0 and ram1 to data
 * offset @off, as another tool may have made them (the format allows any
 * 8-aligned offset from MIRVOL_MIN_DATA_OFFSET): the superblocks' current
 * slots rewritten (the data shrunk or grown by what the offset grew or
 * shrank), the data (fill_moved()) written at @off.  Returns the new data
 * size, or 0.
 */
static sector_t move_data_offset(struct kunit *test, struct io_ctx *ctx,
				 sector_t off)
{
	const sector_t step = IO_PAGES << (PAGE_SHIFT - SECTOR_SHIFT);
	enum mirvol_reason reason;
	struct mirvol_md *md;
	sector_t s, size = 0;
	unsigned int i, j;
	int cur;

	md = kunit_kzalloc(test, sizeof(*md), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, md);
	for (i = 0; i < 2; i++) {
		cur = mirvol_sb_read_dev(rbdev(ctx, i), md, &reason);
		KUNIT_ASSERT_GE(test, cur, 0);
		KUNIT_ASSERT_NE(test, off, md->data_offset);
		size = round_down(md->data_offset + md->data_size - off, step);
		md->data_offset = off;
		md->data_size = size;
		md->bitmap_size = off - md->bitmap_offset;
		md->resync_offset = min_t(u64, md->resync_offset, size);
		for (j = 0; j < MIRVOL_MAX_PLEXES; j++)
			md->plexes[j].sync_offset =
				min_t(u64, md->plexes[j].sync_offset, size);
		memset(page_address(ctx->check[0]), 0, PAGE_SIZE);
		mirvol_sb_encode(md, page_address(ctx->check[0]));
		KUNIT_ASSERT_EQ(test, do_io(rbdev(ctx, i), REQ_OP_WRITE,
					    MIRVOL_SB_SECTOR(MIRVOL_SB_OFFSET +
							     cur * MIRVOL_SB_SLOT_SIZE),
					    ctx->check, 1), 0);
		KUNIT_ASSERT_GE(test, mirvol_sb_read_dev(rbdev(ctx, i), md,
							 &reason), 0);
		KUNIT_ASSERT_EQ(test, md->data_offset, (u64)off);
		for (s = 0; s < size; s += step) {
			fill_moved(ctx->pages, s);
			KUNIT_ASSERT_EQ(test, do_io(rbdev(ctx, i), REQ_OP_WRITE,
						    off + s, ctx->pages,
						    IO_PAGES), 0);
		}
	}
	return size;
}

/*
 * merge-plex copies only the regions changed since the split: the plex
 * merged back must keep its data offset, where the rest of the volume's
 * data is.  A volume whose members start their data at @off, its plex 1
 * broken off with --track-changes (region 7 written on the copy, region 9
 * on the volume), merged back: every plex holds the volume's data at its
 * own offset, everywhere (read balancing reads any of them).
 */
static void merge_at_data_offset(struct kunit *test, const char *name,
				 const char *bname, sector_t off)
{
	const sector_t step = IO_PAGES << (PAGE_SHIFT - SECTOR_SHIFT);
	static const unsigned int both[2] = { 0, 1 };
	struct mirvol_assemble_member um[2];
	struct io_ctx *ctx = test->priv;
	char new_name[MIRVOL_NAME_LEN];
	struct mirvol_assemble reply;
	struct mirvol_op_info info;
	enum mirvol_reason reason;
	struct mirvol_volume *peer;
	sector_t s, size, r7, r9;
	u8 uuid[MIRVOL_UUID_LEN];
	uuid_t vol_uuid, peer_uuid;
	sector_t plex_off[2];
	struct mirvol_md md;
	struct file *file;
	unsigned int i;
	u64 op_id = 0;

	io_create(test, name, 2, true, NULL);
	uuid_copy(&vol_uuid, &ctx->vol->uuid);
	io_stop(test, ctx);
	size = move_data_offset(test, ctx, off);
	reason = assemble_rams(test, ctx, both, 2, 0, um, &reply);
	KUNIT_ASSERT_EQ_MSG(test, reason, MIRVOL_R_NONE,
			    "assemble: reason %d, members %u/%u %u/%u", reason,
			    um[0].result, um[0].reason, um[1].result,
			    um[1].reason);
	ctx->vol = mirvol_lookup(vol_uuid.b);
	KUNIT_ASSERT_NOT_NULL(test, ctx->vol);
	ctx->vfile = open_dev(disk_devt(ctx->vol->disk));
	KUNIT_ASSERT_FALSE(test, IS_ERR(ctx->vfile));
	KUNIT_ASSERT_EQ(test, ctx->vol->size, size);
	KUNIT_ASSERT_NOT_NULL(test, ctx->vol->bitmap);
	for (i = 0; i < 2; i++)
		KUNIT_ASSERT_EQ(test, ctx->vol->plexes[i]->data_offset, off);
	r7 = (sector_t)7 << ctx->vol->bitmap->shift;
	r9 = (sector_t)9 << ctx->vol->bitmap->shift;
	KUNIT_ASSERT_EQ(test, r9 % step, 0);
	KUNIT_ASSERT_LE(test, r9 + step, size);
	/* The volume reads its data. */
	KUNIT_ASSERT_EQ(test, do_io(vbdev(ctx), REQ_OP_READ, r9, ctx->check,
				    IO_PAGES), 0);
	fill_moved(ctx->pages, r9);
	KUNIT_ASSERT_TRUE(test, same(ctx->pages, ctx->check));

	/* Broken off with --track-changes, region 7 written on the copy. */
	memcpy(uuid, &ctx->vol->plexes[1]->uuid, MIRVOL_UUID_LEN);
	reason = mirvol_break_plex(ctx->vol, uuid, bname, true, &peer_uuid,
				   new_name, &op_id);
	KUNIT_ASSERT_EQ(test, reason, MIRVOL_R_NONE);
	KUNIT_ASSERT_EQ(test, mirvol_op_wait(op_id, 60000, &info),
			MIRVOL_R_NONE);
	KUNIT_ASSERT_EQ(test, info.state, (u32)MIRVOL_OPS_SUCCEEDED);
	peer = mirvol_lookup(peer_uuid.b);
	KUNIT_ASSERT_NOT_NULL(test, peer);
	file = open_dev(disk_devt(peer->disk));
	if (IS_ERR(file)) {
		mirvol_volume_put(peer);
		KUNIT_FAIL(test, "cannot open the broken-off copy");
		return;
	}
	fill(ctx->pages, 0x7c7);
	KUNIT_EXPECT_EQ(test, do_io(file_bdev(file), REQ_OP_WRITE, r7,
				    ctx->pages, IO_PAGES), 0);
	__fput_sync(file);
	/* Region 9 written on the volume. */
	fill(ctx->pages, 0x9e9);
	KUNIT_EXPECT_EQ(test, do_io(vbdev(ctx), REQ_OP_WRITE, r9, ctx->pages,
				    IO_PAGES), 0);

	op_id = 0;
	reason = mirvol_add_plex(ctx->vol, NULL, peer, true, &op_id);
	/* Refused: the copy is left running, on ram1. */
	if (reason && !test_bit(MIRVOL_VOL_DEAD, &peer->flags))
		mirvol_volume_teardown(peer, true);
	mirvol_volume_put(peer);
	KUNIT_ASSERT_EQ(test, reason, MIRVOL_R_NONE);
	KUNIT_ASSERT_EQ(test, mirvol_op_wait(op_id, 60000, &info),
			MIRVOL_R_NONE);
	KUNIT_ASSERT_EQ(test, info.state, (u32)MIRVOL_OPS_SUCCEEDED);

	mutex_lock(&ctx->vol->lock);
	for (i = 0; i < 2; i++) {
		struct mirvol_plex *p = ctx->vol->plexes[i];

		plex_off[i] = 0;
		if (!p || p->bdev != rbdev(ctx, i)) {
			KUNIT_FAIL(test, "plex %u is not on ram%u", i, i);
			continue;
		}
		plex_off[i] = p->data_offset;
		KUNIT_EXPECT_EQ(test, p->state, MIRVOL_PLEX_ACTIVE);
		KUNIT_EXPECT_EQ_MSG(test, plex_off[i], off,
				    "plex %u's data offset changed", i);
	}
	mutex_unlock(&ctx->vol->lock);
	KUNIT_ASSERT_GE(test, mirvol_sb_read_dev(rbdev(ctx, 1), &md, &reason),
			0);
	KUNIT_EXPECT_EQ_MSG(test, md.data_offset, (u64)off,
			    "the merged plex's superblock moved its data");

	/* Each plex, read at its own offset, holds the volume's data. */
	for (i = 0; i < 2; i++) {
		if (!plex_off[i])
			continue;
		for (s = 0; s < size; s += step) {
			if (s == r9)
				fill(ctx->pages, 0x9e9);
			else
				fill_moved(ctx->pages, s);
			KUNIT_ASSERT_EQ(test, do_io(rbdev(ctx, i), REQ_OP_READ,
						    plex_off[i] + s,
						    ctx->check, IO_PAGES), 0);
			if (!same(ctx->pages, ctx->check)) {
				KUNIT_FAIL(test,
					   "plex %u (data offset %llu) differs from the volume's data at sector %llu",
					   i, (unsigned long long)plex_off[i],
					   (unsigned long long)s);
				break;
			}
		}
	}
}

/* merge_at_data_offset() at 4 MiB, not at mirvol's 1 MiB. */
static void mirvol_test_merge_keeps_data_offset(struct kunit *test)
{
	merge_at_data_offset(test, "kunit-mrgoff4", "kunit-mrgoff4-b",
			     4 * MIRVOL_DATA_OFFSET_SECTORS);
}

/*
 * merge_at_data_offset() at 512 KiB, below mirvol's 1 MiB, the data
 * grown by the difference: the merged plexes hold the volume's size from
 * their own offset.  The landed code counted their room from 1 MiB, as
 * an add's, and refused the merge with SOURCE_TOO_SMALL.
 */
static void mirvol_test_merge_low_data_offset(struct kunit *test)
{
	merge_at_data_offset(test, "kunit-mrgofflo", "kunit-mrgofflo-b",
			     MIRVOL_DATA_OFFSET_SECTORS / 2);
}

/*
 * merge-plex of a volume that is no split peer of the target answers
 * NOT_SPLIT_PAIR whatever else it is: not DEVICE_BUSY while it is open
 * (the tool retries that), not NO_BITMAP when it has no bitmap.  Nothing
 * changes: the volume stays as it is.
 */
static void mirvol_test_merge_not_pair_first(struct kunit *test)
{
	struct io_ctx *ctx = test->priv;
	u64 id = 0, region = 0, op_id = 0;
	enum mirvol_reason reason;
	struct mirvol_volume *src;
	struct file *file;

	io_create(test, "kunit-mrgnp", 1, true, NULL);
	reason = mirvol_volume_create("kunit-mrgnp-s", &ctx->ram[1], 1,
				      MIRVOL_CREATE_F_ASSUME_CLEAN |
				      MIRVOL_CREATE_F_NO_BITMAP, &region,
				      &id, NULL, &src);
	KUNIT_ASSERT_EQ_MSG(test, reason, MIRVOL_R_NONE, "create: reason %d",
			    reason);
	file = open_dev(disk_devt(src->disk));
	if (IS_ERR(file)) {
		KUNIT_FAIL(test, "cannot open the source");
	} else {
		reason = mirvol_add_plex(ctx->vol, NULL, src, true, &op_id);
		KUNIT_EXPECT_EQ_MSG(test, reason, MIRVOL_R_NOT_SPLIT_PAIR,
				    "open: reason %d", reason);
		__fput_sync(file);
	}
	reason = mirvol_add_plex(ctx->vol, NULL, src, true, &op_id);
	KUNIT_EXPECT_EQ_MSG(test, reason, MIRVOL_R_NOT_SPLIT_PAIR,
			    "closed: reason %d", reason);
	KUNIT_EXPECT_EQ(test, ctx->vol->nr_plexes, 1U);
	KUNIT_EXPECT_FALSE(test, test_bit(MIRVOL_VOL_DEAD, &src->flags));
	KUNIT_EXPECT_EQ(test, mirvol_volume_teardown(src, true),
			MIRVOL_R_NONE);
	mirvol_volume_put(src);
}

/*
 * A copy broken off with --track-changes that is removed (remove --yes)
 * can never be merged back: the volume it was split from must stop
 * tracking it, in memory and on disk, or it keeps every bit set for good
 * (rule 3) and refuses the next break --track-changes (SPLIT_TRACKED).
 */
static void mirvol_test_split_peer_removed(struct kunit *test)
{
	struct io_ctx *ctx = test->priv;
	struct mirvol_volume *peer;
	enum mirvol_reason reason;
	struct mirvol_md md;

	peer = tracked_copy(test, "kunit-peerrm", "kunit-peerrm-b", 0x3ea,
			    NULL);
	if (!peer)
		return;
	KUNIT_EXPECT_TRUE(test, uuid_equal(&ctx->vol->split_peer,
					   &peer->uuid));
	reason = mirvol_volume_teardown(peer, true);
	mirvol_volume_put(peer);
	KUNIT_ASSERT_EQ(test, reason, MIRVOL_R_NONE);
	KUNIT_EXPECT_EQ_MSG(test, ctx->vol->split_generation, 0ULL,
			    "the volume still tracks its removed split peer");
	KUNIT_EXPECT_TRUE(test, uuid_is_null(&ctx->vol->split_peer));
	KUNIT_ASSERT_GE(test, mirvol_sb_read_dev(rbdev(ctx, 0), &md, &reason),
			0);
	KUNIT_EXPECT_EQ_MSG(test, md.split_generation, 0ULL,
			    "the superblock still tracks the removed peer");
}

/*
 * The same when the copy's plexes join another volume (add-plex
 * --from-volume: a full copy, the copy dissolved): here the very volume
 * it was split from.
 */
static void mirvol_test_split_peer_dissolved(struct kunit *test)
{
	struct io_ctx *ctx = test->priv;
	struct mirvol_op_info info;
	struct mirvol_volume *peer;
	enum mirvol_reason reason;
	struct mirvol_md md;
	u64 op_id = 0;

	peer = tracked_copy(test, "kunit-peerdis", "kunit-peerdis-b", 0x3eb,
			    NULL);
	if (!peer)
		return;
	reason = mirvol_add_plex(ctx->vol, NULL, peer, false, &op_id);
	mirvol_volume_put(peer);
	KUNIT_ASSERT_EQ(test, reason, MIRVOL_R_NONE);
	KUNIT_ASSERT_EQ(test, mirvol_op_wait(op_id, 60000, &info),
			MIRVOL_R_NONE);
	KUNIT_ASSERT_EQ(test, info.state, (u32)MIRVOL_OPS_SUCCEEDED);
	KUNIT_EXPECT_EQ_MSG(test, ctx->vol->split_generation, 0ULL,
			    "the volume still tracks its dissolved split peer");
	KUNIT_EXPECT_TRUE(test, uuid_is_null(&ctx->vol->split_peer));
	KUNIT_ASSERT_GE(test, mirvol_sb_read_dev(rbdev(ctx, 0), &md, &reason),
			0);
	KUNIT_EXPECT_EQ_MSG(test, md.split_generation, 0ULL,
			    "the superblock still tracks the dissolved peer");
}

/*
 * Move the members on the RAM disks in @mask of a stopped volume down to
 * data offset @off, below mirvol's own (the format allows any 8-aligned
 * offset from MIRVOL_MIN_DATA_OFFSET, as another tool may make them): the
 * superblocks' current slots rewritten, the data size kept, the data
 * moved with it.
 */
static void lower_data_offset(struct kunit *test, struct io_ctx *ctx,
			      unsigned int mask, sector_t off)
{
	const sector_t spp = PAGE_SIZE >> SECTOR_SHIFT;
	enum mirvol_reason reason;
	struct mirvol_md *md;
	sector_t s, old, n;
	unsigned int i;
	int cur;

	md = kunit_kzalloc(test, sizeof(*md), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, md);
	for (i = 0; i < 2; i++) {
		if (!(mask & BIT(i)))
			continue;
		cur = mirvol_sb_read_dev(rbdev(ctx, i), md, &reason);
		KUNIT_ASSERT_GE(test, cur, 0);
		old = md->data_offset;
		KUNIT_ASSERT_LT(test, off, old);
		/* Downwards, front to back: no chunk is read once overwritten. */
		for (s = 0; s < md->data_size; s += n * spp) {
			n = min_t(sector_t, IO_PAGES, (md->data_size - s) / spp);
			KUNIT_ASSERT_EQ(test, do_io(rbdev(ctx, i), REQ_OP_READ,
						    old + s, ctx->pages, n), 0);
			KUNIT_ASSERT_EQ(test, do_io(rbdev(ctx, i), REQ_OP_WRITE,
						    off + s, ctx->pages, n), 0);
		}
		md->data_offset = off;
		md->bitmap_size = off - md->bitmap_offset;
		memset(page_address(ctx->check[0]), 0, PAGE_SIZE);
		mirvol_sb_encode(md, page_address(ctx->check[0]));
		KUNIT_ASSERT_EQ(test, do_io(rbdev(ctx, i), REQ_OP_WRITE,
					    MIRVOL_SB_SECTOR(MIRVOL_SB_OFFSET +
							     cur * MIRVOL_SB_SLOT_SIZE),
					    ctx->check, 1), 0);
		KUNIT_ASSERT_GE(test, mirvol_sb_read_dev(rbdev(ctx, i), md,
							 &reason), 0);
		KUNIT_ASSERT_EQ(test, md->data_offset, (u64)off);
	}
}

/* Stop the volume of ctx, keeping its UUID in @uuid. */
static void stop_keep_uuid(struct kunit *test, struct io_ctx *ctx,
			   uuid_t *uuid)
{
	uuid_copy(uuid, &ctx->vol->uuid);
	io_stop(test, ctx);
}

/* Assemble RAM disks @idx (@n) with @flags into ctx's volume @uuid. */
static void assemble_into_ctx(struct kunit *test, struct io_ctx *ctx,
			      const unsigned int *idx, unsigned int n,
			      u32 flags, const uuid_t *uuid)
{
	struct mirvol_assemble_member um[2];
	struct mirvol_assemble reply;
	enum mirvol_reason reason;

	reason = assemble_rams(test, ctx, idx, n, flags, um, &reply);
	KUNIT_ASSERT_EQ_MSG(test, reason, MIRVOL_R_NONE,
			    "assemble: reason %d, members %u/%u %u/%u", reason,
			    um[0].result, um[0].reason, um[1].result,
			    um[1].reason);
	ctx->vol = mirvol_lookup(uuid->b);
	KUNIT_ASSERT_NOT_NULL(test, ctx->vol);
	ctx->vfile = open_dev(disk_devt(ctx->vol->disk));
	KUNIT_ASSERT_FALSE(test, IS_ERR(ctx->vfile));
}

/* Plex 1 fails between the volume's start and the update after it. */
static void fail_p1_at_start(struct mirvol_volume *vol)
{
	WRITE_ONCE(mirvol_kunit_assemble_hook, NULL);
	mirvol_plex_error(vol->plexes[1], true);
}

/*
 * A member the newest superblock records in sync, two generations behind
 * it, is assembled stale: it copies everything.  Should it fail (a write
 * error; its device going away is the same) between the volume's start
 * and the update after it, that update must record it as a plex that
 * left copying everything (no gone_generation), as it would had it failed
 * after the update, not as one that left in sync, which the bitmap
 * covers: re-added, it would copy only the regions set.
 */
static void mirvol_test_assemble_stale_fails_at_start(struct kunit *test)
{
	static const unsigned int both[] = { 0, 1 };
	struct mirvol_assemble_member um[2];
	struct io_ctx *ctx = test->priv;
	struct mirvol_assemble reply;
	struct mirvol_op_info info;
	u64 op_id = 0;
	enum mirvol_reason reason;
	struct mirvol_md *md;
	unsigned int i;
	uuid_t uuid;
	u8 *head;

	md = kunit_kzalloc(test, sizeof(*md), GFP_KERNEL);
	head = kunit_kzalloc(test, MIRVOL_META_HEAD_PAGES * PAGE_SIZE,
			     GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, md);
	KUNIT_ASSERT_NOT_NULL(test, head);
	io_create(test, "kunit-stalestart", 2, true, NULL);
	KUNIT_ASSERT_NOT_NULL(test, ctx->vol->bitmap);
	head_save(test, ctx, 1, head);
	mutex_lock(&ctx->vol->lock);
	for (i = 0; i < 2; i++)
		KUNIT_EXPECT_EQ(test, mirvol_sb_update(ctx->vol), 0);
	mutex_unlock(&ctx->vol->lock);
	stop_keep_uuid(test, ctx, &uuid);
	/* Plex 1's superblock two generations behind. */
	head_restore(test, ctx, 1, head);

	WRITE_ONCE(mirvol_kunit_assemble_hook, fail_p1_at_start);
	reason = assemble_rams(test, ctx, both, 2, 0, um, &reply);
	WRITE_ONCE(mirvol_kunit_assemble_hook, NULL);
	KUNIT_EXPECT_EQ_MSG(test, reason, MIRVOL_R_IO_ERROR,
			    "assemble: reason %d, members %u/%u %u/%u", reason,
			    um[0].result, um[0].reason, um[1].result,
			    um[1].reason);
	ctx->vol = mirvol_lookup(uuid.b);
	KUNIT_ASSERT_NOT_NULL(test, ctx->vol);
	KUNIT_EXPECT_EQ(test, READ_ONCE(ctx->vol->plexes[1]->state),
			MIRVOL_PLEX_FAILED);
	KUNIT_ASSERT_GE(test, mirvol_sb_read_dev(rbdev(ctx, 0), md, &reason),
			0);
	KUNIT_EXPECT_EQ(test, md->plexes[1].state, MIRVOL_PLEX_FAILED);
	KUNIT_EXPECT_EQ_MSG(test, md->plexes[1].gone_generation, 0ULL,
			    "recorded as a plex that left in sync (bitmap from %llu)",
			    (unsigned long long)md->bitmap_cleared_gen);
	/* Re-added, its device held: it copies everything. */
	KUNIT_ASSERT_EQ(test, mirvol_plex_action(ctx->vol,
						 ctx->vol->plexes[1]->uuid.b,
						 MIRVOL_PLEX_READD, -1, &op_id),
			MIRVOL_R_NONE);
	KUNIT_ASSERT_NE(test, op_id, 0ULL);
	KUNIT_ASSERT_EQ(test, mirvol_op_wait(op_id, 60000, &info),
			MIRVOL_R_NONE);
	KUNIT_EXPECT_EQ_MSG(test, info.total_bytes,
			    (u64)ctx->vol->size << SECTOR_SHIFT,
			    "re-added, plex 1 copies the regions set only");
}

/*
 * Plex 1's device is deleted between the volume's start and the update
 * after it: the block layer calls mark_dead, then fails every I/O to it.
 */
static void lose_p1_at_start(struct mirvol_volume *vol)
{
	WRITE_ONCE(mirvol_kunit_assemble_hook, NULL);
	device_gone_failing_writes(vol->plexes[1]);
}

/*
 * A member whose device goes away while the assembly starts the volume
 * is missing, as it is when its device goes from a running volume: not
 * failed (the superblock write to the dead device fails first), which
 * only re-add would take back, copying everything.  The member is
 * refused, the volume runs degraded and records it missing.
 */
static void mirvol_test_assemble_member_vanishes(struct kunit *test)
{
	static const unsigned int both[] = { 0, 1 };
	struct mirvol_assemble_member um[2];
	struct io_ctx *ctx = test->priv;
	struct mirvol_assemble reply;
	enum mirvol_reason reason;
	struct mirvol_md *md;
	unsigned int state;
	uuid_t uuid;

	md = kunit_kzalloc(test, sizeof(*md), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, md);
	io_create(test, "kunit-asmgone", 2, true, NULL);
	stop_keep_uuid(test, ctx, &uuid);

	WRITE_ONCE(mirvol_kunit_assemble_hook, lose_p1_at_start);
	reason = assemble_rams(test, ctx, both, 2, 0, um, &reply);
	WRITE_ONCE(mirvol_kunit_assemble_hook, NULL);
	ctx->vol = mirvol_lookup(uuid.b);
	KUNIT_ASSERT_NOT_NULL(test, ctx->vol);
	KUNIT_ASSERT_TRUE(test, test_bit(MIRVOL_VOL_STARTED,
					 &ctx->vol->flags));
	flush_mirvol_works();
	KUNIT_EXPECT_EQ_MSG(test, reason, MIRVOL_R_IO_ERROR,
			    "assemble: members %u/%u %u/%u", um[0].result,
			    um[0].reason, um[1].result, um[1].reason);
	KUNIT_EXPECT_EQ(test, um[1].result, MIRVOL_MEMBER_REFUSED);
	state = READ_ONCE(ctx->vol->plexes[1]->state);
	KUNIT_EXPECT_EQ(test, state, (unsigned int)MIRVOL_PLEX_MISSING);
	KUNIT_EXPECT_NULL(test, READ_ONCE(ctx->vol->plexes[1]->bdev));
	KUNIT_EXPECT_EQ(test, READ_ONCE(ctx->vol->state),
			MIRVOL_VOLUME_DEGRADED);
	KUNIT_ASSERT_GE(test, mirvol_sb_read_dev(rbdev(ctx, 0), md, &reason),
			0);
	KUNIT_EXPECT_EQ(test, md->plexes[1].state, (u32)MIRVOL_PLEX_MISSING);
	KUNIT_EXPECT_NE(test, md->plexes[1].gone_generation, 0ULL);
}

/*
 * The bitmap is written at the bitmap area's start on every plex: a
 * plex whose data starts there (data offset MIRVOL_MIN_DATA_OFFSET, as
 * another tool may make it) has no room for it.  Adding one to such a
 * volume is refused, and nothing changes: the volume's data stays, and
 * the volume assembles again.
 */
static void mirvol_test_bitmap_add_no_room(struct kunit *test)
{
	static const unsigned int both[2] = { 0, 1 };
	struct io_ctx *ctx = test->priv;
	struct mirvol_set_volume sv = {};
	enum mirvol_reason reason;
	struct mirvol_bitmap *bm;
	sector_t end;
	uuid_t vol_uuid;
	unsigned int i;

	io_create_flags(test, "kunit-bmroom", 2, MIRVOL_CREATE_F_ASSUME_CLEAN |
			MIRVOL_CREATE_F_NO_BITMAP, NULL);
	stop_keep_uuid(test, ctx, &vol_uuid);
	lower_data_offset(test, ctx, 3, MIRVOL_MIN_DATA_OFFSET);
	assemble_into_ctx(test, ctx, both, 2, 0, &vol_uuid);
	KUNIT_ASSERT_NULL(test, ctx->vol->bitmap);
	for (i = 0; i < 2; i++)
		KUNIT_ASSERT_EQ(test, ctx->vol->plexes[i]->data_offset,
				(sector_t)MIRVOL_MIN_DATA_OFFSET);
	/* Room is the bitmap's pages, from the bitmap area's start. */
	bm = mirvol_bitmap_create(ctx->vol, 128);
	KUNIT_ASSERT_NOT_NULL(test, bm);
	end = MIRVOL_MIN_DATA_OFFSET +
	      (sector_t)bm->nr_pages * (PAGE_SIZE >> SECTOR_SHIFT);
	KUNIT_EXPECT_TRUE(test, mirvol_bitmap_fits(bm, end));
	KUNIT_EXPECT_FALSE(test, mirvol_bitmap_fits(bm, end - 8));
	KUNIT_EXPECT_TRUE(test, mirvol_bitmap_fits(bm,
						   MIRVOL_DATA_OFFSET_SECTORS));
	mirvol_bitmap_destroy(bm);
	fill(ctx->pages, 0xb3a0);
	KUNIT_ASSERT_EQ(test, do_io(vbdev(ctx), REQ_OP_WRITE, 0, ctx->pages,
				    IO_PAGES), 0);

	sv.hdr.flags = MIRVOL_SET_F_BITMAP;
	sv.bitmap = 1;
	reason = mirvol_set_volume(ctx->vol, &sv);
	KUNIT_EXPECT_EQ_MSG(test, reason, MIRVOL_R_INCOMPATIBLE_DEVICE,
			    "a bitmap added over the data: reason %d", reason);
	KUNIT_EXPECT_NULL(test, ctx->vol->bitmap);
	for (i = 0; i < 2; i++) {
		KUNIT_ASSERT_EQ(test, do_io(rbdev(ctx, i), REQ_OP_READ,
					    MIRVOL_MIN_DATA_OFFSET, ctx->check,
					    IO_PAGES), 0);
		KUNIT_EXPECT_TRUE_MSG(test, same(ctx->pages, ctx->check),
				      "plex %u: the volume's sector 0 overwritten",
				      i);
	}

	/* Stopped, it assembles again, its data intact. */
	stop_keep_uuid(test, ctx, &vol_uuid);
	assemble_into_ctx(test, ctx, both, 2, 0, &vol_uuid);
	KUNIT_ASSERT_EQ(test, do_io(vbdev(ctx), REQ_OP_READ, 0, ctx->check,
				    IO_PAGES), 0);
	KUNIT_EXPECT_TRUE(test, same(ctx->pages, ctx->check));
}

/*
 * A member whose data starts at the bitmap area (data offset
 * MIRVOL_MIN_DATA_OFFSET) rejoining a volume that got a bitmap while it
 * was away is refused: the bitmap would be written over its data, and its
 * superblock would say a bitmap of no size.
 */
static void mirvol_test_bitmap_no_room_rejoin(struct kunit *test)
{
	static const unsigned int zero, one = 1;
	struct mirvol_assemble_member um[1];
	struct io_ctx *ctx = test->priv;
	struct mirvol_set_volume sv = {};
	struct mirvol_assemble reply;
	struct mirvol_op_info info;
	enum mirvol_reason reason;
	struct mirvol_md *md;
	uuid_t vol_uuid;
	u64 op_id;

	md = kunit_kzalloc(test, sizeof(*md), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, md);
	io_create_flags(test, "kunit-bmrejoin", 2,
			MIRVOL_CREATE_F_ASSUME_CLEAN |
			MIRVOL_CREATE_F_NO_BITMAP, NULL);
	stop_keep_uuid(test, ctx, &vol_uuid);
	lower_data_offset(test, ctx, BIT(1), MIRVOL_MIN_DATA_OFFSET);
	/* Without plex 1, a bitmap added: plex 0 has room. */
	assemble_into_ctx(test, ctx, &zero, 1, MIRVOL_ASSEMBLE_F_RUN,
			  &vol_uuid);
	sv.hdr.flags = MIRVOL_SET_F_BITMAP;
	sv.bitmap = 1;
	KUNIT_ASSERT_EQ(test, mirvol_set_volume(ctx->vol, &sv), MIRVOL_R_NONE);
	KUNIT_ASSERT_NOT_NULL(test, ctx->vol->bitmap);

	reason = assemble_rams(test, ctx, &one, 1, 0, um, &reply);
	op_id = reply.op_id ?: READ_ONCE(ctx->vol->op_id);
	if (op_id)
		mirvol_op_wait(op_id, 60000, &info);
	KUNIT_EXPECT_EQ_MSG(test, um[0].reason,
			    (u32)MIRVOL_R_INCOMPATIBLE_DEVICE,
			    "rejoin: reason %d, member %u/%u", reason,
			    um[0].result, um[0].reason);
	KUNIT_EXPECT_GE_MSG(test, mirvol_sb_read_dev(rbdev(ctx, 1), md,
						     &reason), 0,
			    "plex 1's superblock unreadable: reason %d",
			    reason);
}

/*
 * The resync of a plex back online, which is taken offline again during
 * the copy: the resync fails (PLEX_OFFLINE).  It is no cancel: nobody
 * cancelled it, and a cancelled resync promises its targets stay syncing.
 */
static void mirvol_test_resync_target_offline(struct kunit *test)
{
	struct io_ctx *ctx = test->priv;
	u8 uuid[MIRVOL_UUID_LEN];
	struct mirvol_plex *p1;
	u64 op_id = 0;

	io_create_p1_offline(test, "kunit-resoff", 0x0ff2);
	memcpy(uuid, &ctx->vol->plexes[1]->uuid, MIRVOL_UUID_LEN);
	hold_next_resync_step();
	KUNIT_ASSERT_EQ(test, mirvol_plex_action(ctx->vol, uuid,
						 MIRVOL_PLEX_TAKE_ONLINE, -1,
						 &op_id), MIRVOL_R_NONE);
	KUNIT_ASSERT_NE(test, op_id, 0ULL);
	p1 = held_new_plex(test, ctx->vol, 1, uuid);
	if (!p1) {
		KUNIT_FAIL(test, "no plex in slot 1");
		return;
	}
	mirvol_plex_put(p1);
	offline_held_target(test, op_id, uuid, "resync");
}

static DECLARE_COMPLETION(offline_promoted);
static DECLARE_COMPLETION(offline_taken);

/* The resync's last promotion is recorded: wait for the test's offline. */
static void offline_after_promotion(struct mirvol_volume *vol)
{
	WRITE_ONCE(mirvol_kunit_resync_promoted_hook, NULL);
	complete(&offline_promoted);
	wait_for_completion_timeout(&offline_taken, msecs_to_jiffies(60000));
}

/*
 * A target taken offline once the resync promoted it (past the point of
 * no return: in sync, and the superblocks say so) was brought in sync:
 * the resync succeeds.  Its leaving after is the admin's own change, and
 * a failure would say the copy did not reach it.
 */
static void mirvol_test_offline_after_promotion(struct kunit *test)
{
	struct io_ctx *ctx = test->priv;
	struct mirvol_op_info info;
	u8 uuid[MIRVOL_UUID_LEN];
	u64 op_id = 0, id = 0;

	io_create_p1_offline(test, "kunit-promoff", 0x0ff3);
	memcpy(uuid, &ctx->vol->plexes[1]->uuid, MIRVOL_UUID_LEN);
	reinit_completion(&offline_promoted);
	reinit_completion(&offline_taken);
	WRITE_ONCE(mirvol_kunit_resync_promoted_hook, offline_after_promotion);
	KUNIT_ASSERT_EQ(test, mirvol_plex_action(ctx->vol, uuid,
						 MIRVOL_PLEX_TAKE_ONLINE, -1,
						 &op_id), MIRVOL_R_NONE);
	KUNIT_ASSERT_NE(test, op_id, 0ULL);
	if (!wait_for_completion_timeout(&offline_promoted,
					 msecs_to_jiffies(60000)))
		KUNIT_FAIL(test, "the resync did not promote its target");
	KUNIT_EXPECT_EQ(test, mirvol_plex_action(ctx->vol, uuid,
						 MIRVOL_PLEX_TAKE_OFFLINE, -1,
						 &id), MIRVOL_R_NONE);
	complete(&offline_taken);
	KUNIT_ASSERT_EQ(test, mirvol_op_wait(op_id, 60000, &info),
			MIRVOL_R_NONE);
	KUNIT_EXPECT_EQ_MSG(test, info.state, (u32)MIRVOL_OPS_SUCCEEDED,
			    "ended %s (reason %u), its target promoted first",
			    mirvol_op_state_name(info.state), info.reason);
}

/* The rejoining plex's superblock writes fail (the hook runs once). */
static void rejoin_writes_fail(struct mirvol_plex *plex)
{
	WRITE_ONCE(mirvol_kunit_rejoin_hook, NULL);
	WRITE_ONCE(plex->inject, MIRVOL_INJECT_WRITE);
}

/* The rejoining plex's device is deleted (the hook runs once). */
static void rejoin_dev_goes(struct mirvol_plex *plex)
{
	WRITE_ONCE(mirvol_kunit_rejoin_hook, NULL);
	device_gone_failing_writes(plex);
}

/*
 * Re-add of a missing plex whose device goes away as it rejoins: its
 * join write fails, and it is missing again (not failed: its device went),
 * its device given back.  The re-add says so, IO_ERROR, rather than
 * succeeding with the plex missing behind the caller's back.
 */
static void mirvol_test_readd_missing_dev_goes(struct kunit *test)
{
	struct io_ctx *ctx = test->priv;
	enum mirvol_reason reason;
	u8 uuid[MIRVOL_UUID_LEN];
	struct mirvol_plex *p1;
	unsigned int state;
	struct mirvol_md md;

	io_create(test, "kunit-readdgone", 2, true, NULL);
	p1 = ctx->vol->plexes[1];
	memcpy(uuid, &p1->uuid, MIRVOL_UUID_LEN);
	KUNIT_ASSERT_TRUE(test, unplug_plex(p1));
	WRITE_ONCE(mirvol_kunit_rejoin_hook, rejoin_dev_goes);
	reason = readd_plex(test, ctx->vol, uuid, ctx->ram[1]);
	KUNIT_EXPECT_NULL_MSG(test, READ_ONCE(mirvol_kunit_rejoin_hook),
			      "the plex did not rejoin");
	WRITE_ONCE(mirvol_kunit_rejoin_hook, NULL);
	flush_mirvol_works();
	KUNIT_EXPECT_EQ_MSG(test, reason, MIRVOL_R_IO_ERROR,
			    "re-add whose device went: reason %d", reason);
	p1 = ctx->vol->plexes[1];
	KUNIT_ASSERT_NOT_NULL(test, p1);
	state = READ_ONCE(p1->state);
	KUNIT_EXPECT_EQ(test, state, (unsigned int)MIRVOL_PLEX_MISSING);
	KUNIT_EXPECT_NULL(test, READ_ONCE(p1->bdev));
	KUNIT_EXPECT_GE(test, mirvol_sb_read_dev(rbdev(ctx, 0), &md, &reason),
			0);
	KUNIT_EXPECT_EQ(test, md.plexes[1].state, (u32)MIRVOL_PLEX_MISSING);
}

/*
 * Re-add of a missing plex, its device given back, whose superblock write
 * fails as it rejoins (the update's, on it: it is failed): the re-add
 * must say so, IO_ERROR, not succeed with the plex failed behind the
 * caller's back.  The plex stays in its slot, failed, holding the device,
 * and plex 0's superblock records it failed; once the device is sound,
 * re-add (no device to give: the plex holds it) copies what it missed.
 * It returned success, "rejoins as failed" in the kernel log only.
 */
static void mirvol_test_readd_missing_sb_fails(struct kunit *test)
{
	struct io_ctx *ctx = test->priv;
	struct mirvol_op_info info;
	enum mirvol_reason reason;
	u8 uuid[MIRVOL_UUID_LEN];
	struct mirvol_plex *p1;
	struct mirvol_md md;
	u64 op_id = 0;

	io_create(test, "kunit-readdsb", 2, true, NULL);
	p1 = ctx->vol->plexes[1];
	memcpy(uuid, &p1->uuid, MIRVOL_UUID_LEN);
	KUNIT_ASSERT_TRUE(test, unplug_plex(p1));
	fill(ctx->pages, 0x7ead);
	KUNIT_ASSERT_EQ(test, do_io(vbdev(ctx), REQ_OP_WRITE, 64, ctx->pages,
				    IO_PAGES), 0);
	WRITE_ONCE(mirvol_kunit_rejoin_hook, rejoin_writes_fail);
	reason = readd_plex(test, ctx->vol, uuid, ctx->ram[1]);
	KUNIT_EXPECT_NULL_MSG(test, READ_ONCE(mirvol_kunit_rejoin_hook),
			      "the plex did not rejoin");
	KUNIT_EXPECT_EQ_MSG(test, reason, MIRVOL_R_IO_ERROR,
			    "re-add whose superblock write failed: reason %d",
			    reason);

	mutex_lock(&ctx->vol->lock);
	p1 = mirvol_plex_find(ctx->vol, uuid);
	if (p1) {
		mirvol_plex_get(p1);
		WRITE_ONCE(p1->inject, 0);
	}
	mutex_unlock(&ctx->vol->lock);
	KUNIT_ASSERT_NOT_NULL(test, p1);
	KUNIT_EXPECT_EQ(test, p1->index, 1U);
	KUNIT_EXPECT_NOT_NULL(test, p1->bdev);
	KUNIT_EXPECT_EQ(test, READ_ONCE(p1->state),
			(unsigned int)MIRVOL_PLEX_FAILED);
	KUNIT_EXPECT_EQ(test, ctx->vol->state, MIRVOL_VOLUME_DEGRADED);
	KUNIT_EXPECT_GE(test, mirvol_sb_read_dev(rbdev(ctx, 0), &md, &reason),
			0);
	KUNIT_EXPECT_EQ(test, md.plexes[1].state, (u32)MIRVOL_PLEX_FAILED);

	/* Sound again: re-add copies what it missed. */
	KUNIT_EXPECT_EQ(test, mirvol_plex_action(ctx->vol, uuid,
						 MIRVOL_PLEX_READD, -1,
						 &op_id), MIRVOL_R_NONE);
	if (op_id) {
		KUNIT_EXPECT_EQ(test, mirvol_op_wait(op_id, 60000, &info),
				MIRVOL_R_NONE);
		KUNIT_EXPECT_EQ(test, info.state, (u32)MIRVOL_OPS_SUCCEEDED);
	} else {
		KUNIT_FAIL(test, "re-add started no resync");
	}
	KUNIT_EXPECT_EQ(test, READ_ONCE(p1->state),
			(unsigned int)MIRVOL_PLEX_ACTIVE);
	mirvol_plex_put(p1);
	KUNIT_ASSERT_EQ(test, read_plex(ctx, 1, 64), 0);
	KUNIT_EXPECT_TRUE(test, same(ctx->pages, ctx->check));
}

/*
 * break-plex that fails as it makes the new volume: the new superblock on
 * the plex reports a failure (@start false: the device took it all the
 * same; the plex has left the volume's superblocks by then), or the new
 * volume's block device cannot be made (@start true).  The break must
 * change nothing: the plex in its slot, in sync, taking writes, its
 * device holding the volume's newest superblock (not the new volume's:
 * no device may be claimed by two volumes), the new name and UUID free,
 * a tracked split forgotten; and a break tried again makes the copy.
 */
static void break_commit_fails(struct kunit *test, bool start)
{
	const char *bname = start ? "kunit-brkstart-b" : "kunit-brkinit-b";
	struct io_ctx *ctx = test->priv;
	char name[MIRVOL_NAME_LEN];
	struct mirvol_op_info info;
	enum mirvol_reason reason;
	u8 uuid[MIRVOL_UUID_LEN];
	struct mirvol_volume *nv;
	struct mirvol_plex *p1;
	struct mirvol_md md;
	struct file *file;
	uuid_t new_uuid;
	u64 op_id = 0;

	io_create(test, start ? "kunit-brkstart" : "kunit-brkinit", 2, true,
		  NULL);
	KUNIT_ASSERT_NOT_NULL(test, ctx->vol->bitmap);
	fill(ctx->pages, 0xb5a);
	KUNIT_ASSERT_EQ(test, do_io(vbdev(ctx), REQ_OP_WRITE, 64, ctx->pages,
				    IO_PAGES), 0);
	memcpy(uuid, &ctx->vol->plexes[1]->uuid, MIRVOL_UUID_LEN);
	if (start)
		WRITE_ONCE(mirvol_kunit_start_fail, true);
	else
		WRITE_ONCE(mirvol_kunit_init_hook, init_fails);
	/* Tracked (init): the split recorded must be taken back too. */
	reason = mirvol_break_plex(ctx->vol, uuid, bname, !start, &new_uuid,
				   name, &op_id);
	KUNIT_ASSERT_EQ(test, reason, MIRVOL_R_NONE);
	KUNIT_ASSERT_EQ(test, mirvol_op_wait(op_id, 60000, &info),
			MIRVOL_R_NONE);
	/* The injection was reached. */
	KUNIT_EXPECT_FALSE(test, READ_ONCE(mirvol_kunit_start_fail));
	KUNIT_EXPECT_NULL(test, READ_ONCE(mirvol_kunit_init_hook));
	KUNIT_EXPECT_EQ(test, info.state, (u32)MIRVOL_OPS_FAILED);
	KUNIT_EXPECT_EQ(test, info.reason,
			(u32)(start ? MIRVOL_R_NO_MEMORY : MIRVOL_R_IO_ERROR));
	nv = mirvol_lookup(new_uuid.b);
	KUNIT_EXPECT_NULL(test, nv);
	if (nv)
		mirvol_volume_put(nv);

	mutex_lock(&ctx->vol->lock);
	p1 = mirvol_plex_find(ctx->vol, uuid);
	KUNIT_EXPECT_NOT_NULL_MSG(test, p1,
				  "the plex is in no volume, though the break failed");
	if (p1) {
		KUNIT_EXPECT_EQ(test, p1->index, 1U);
		KUNIT_EXPECT_NOT_NULL(test, p1->bdev);
		KUNIT_EXPECT_EQ(test, READ_ONCE(p1->state),
				(unsigned int)MIRVOL_PLEX_ACTIVE);
	}
	KUNIT_EXPECT_EQ(test, ctx->vol->split_generation, 0ULL);
	mutex_unlock(&ctx->vol->lock);
	KUNIT_ASSERT_NOT_NULL(test, p1);
	KUNIT_ASSERT_GE(test, mirvol_sb_read_dev(rbdev(ctx, 1), &md, &reason),
			0);
	KUNIT_EXPECT_EQ_MSG(test, memcmp(md.volume_uuid, &ctx->vol->uuid,
					 MIRVOL_UUID_LEN), 0,
			    "the plex's device holds another volume's superblock");
	KUNIT_EXPECT_EQ(test, md.generation, READ_ONCE(ctx->vol->generation));
	KUNIT_EXPECT_EQ(test, memcmp(md.plexes[1].uuid, uuid,
				     MIRVOL_UUID_LEN), 0);
	KUNIT_EXPECT_EQ(test, md.plexes[1].state, (u32)MIRVOL_PLEX_ACTIVE);
	KUNIT_EXPECT_EQ(test, md.split_generation, 0ULL);
	/* It holds the data, and takes the writes. */
	KUNIT_ASSERT_EQ(test, read_plex(ctx, 1, 64), 0);
	KUNIT_EXPECT_TRUE(test, same(ctx->pages, ctx->check));
	fill(ctx->pages, 0xb5b);
	KUNIT_ASSERT_EQ(test, do_io(vbdev(ctx), REQ_OP_WRITE, 64, ctx->pages,
				    IO_PAGES), 0);
	KUNIT_ASSERT_EQ(test, read_plex(ctx, 1, 64), 0);
	KUNIT_EXPECT_TRUE(test, same(ctx->pages, ctx->check));

	/* The name is free again, and the break, tried again, succeeds. */
	reason = mirvol_break_plex(ctx->vol, uuid, bname, false, &new_uuid,
				   name, &op_id);
	KUNIT_ASSERT_EQ(test, reason, MIRVOL_R_NONE);
	KUNIT_ASSERT_EQ(test, mirvol_op_wait(op_id, 60000, &info),
			MIRVOL_R_NONE);
	KUNIT_EXPECT_EQ(test, info.state, (u32)MIRVOL_OPS_SUCCEEDED);
	nv = mirvol_lookup(new_uuid.b);
	KUNIT_ASSERT_NOT_NULL(test, nv);
	KUNIT_EXPECT_EQ(test, get_capacity(nv->disk), nv->size);
	file = open_dev(disk_devt(nv->disk));
	if (IS_ERR(file)) {
		KUNIT_FAIL(test, "cannot open the broken-off copy");
	} else {
		KUNIT_EXPECT_EQ(test, do_io(file_bdev(file), REQ_OP_READ, 64,
					    ctx->check, IO_PAGES), 0);
		KUNIT_EXPECT_TRUE(test, same(ctx->pages, ctx->check));
		__fput_sync(file);
	}
	KUNIT_EXPECT_EQ(test, mirvol_volume_teardown(nv, true), MIRVOL_R_NONE);
	mirvol_volume_put(nv);
}

static void mirvol_test_break_new_sb_fails(struct kunit *test)
{
	break_commit_fails(test, false);
}

static void mirvol_test_break_start_fails(struct kunit *test)
{
	break_commit_fails(test, true);
}

static void put_plex(void *plex)
{
	mirvol_plex_put(plex);
}

/* The plex can take no write any more: its superblock neither. */
static int join_fails(struct mirvol_plex *plex)
{
	WRITE_ONCE(mirvol_kunit_join_hook, NULL);
	WRITE_ONCE(plex->inject, MIRVOL_INJECT_WRITE);
	return -EIO;
}

/* The new superblock is written, then the plex can take no write. */
static int init_fails_then_dies(struct mirvol_plex *plex)
{
	WRITE_ONCE(mirvol_kunit_join_hook, join_fails);
	return init_fails(plex);
}

/*
 * A double fault: the new volume's superblock is on the plex but reported
 * failed, and the undo cannot write the volume's superblock back onto it.
 * The plex must end failed in its slot, and the superblocks of the others
 * say so: after a power cut it is claimed by the new volume's superblock
 * alone (the volume's record it failed), never by two volumes in sync.
 */
static void mirvol_test_break_undo_rewrite_fails(struct kunit *test)
{
	struct io_ctx *ctx = test->priv;
	char name[MIRVOL_NAME_LEN];
	struct mirvol_op_info info;
	enum mirvol_reason reason;
	u8 uuid[MIRVOL_UUID_LEN];
	struct mirvol_volume *nv;
	struct mirvol_plex *p1;
	struct mirvol_md md;
	uuid_t new_uuid;
	u64 op_id = 0;

	io_create(test, "kunit-brkdouble", 2, true, NULL);
	p1 = ctx->vol->plexes[1];
	mirvol_plex_get(p1);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, put_plex, p1),
			0);
	memcpy(uuid, &p1->uuid, MIRVOL_UUID_LEN);
	WRITE_ONCE(mirvol_kunit_init_hook, init_fails_then_dies);
	reason = mirvol_break_plex(ctx->vol, uuid, "kunit-brkdouble-b", false,
				   &new_uuid, name, &op_id);
	KUNIT_ASSERT_EQ(test, reason, MIRVOL_R_NONE);
	KUNIT_ASSERT_EQ(test, mirvol_op_wait(op_id, 60000, &info),
			MIRVOL_R_NONE);
	KUNIT_EXPECT_NULL(test, READ_ONCE(mirvol_kunit_init_hook));
	KUNIT_EXPECT_EQ(test, info.state, (u32)MIRVOL_OPS_FAILED);
	nv = mirvol_lookup(new_uuid.b);
	KUNIT_EXPECT_NULL(test, nv);
	if (nv)
		mirvol_volume_put(nv);
	KUNIT_EXPECT_NULL_MSG(test, READ_ONCE(mirvol_kunit_join_hook),
			      "the volume's superblock was not written back");

	mutex_lock(&ctx->vol->lock);
	KUNIT_EXPECT_PTR_EQ_MSG(test, ctx->vol->plexes[1], p1,
				"the plex is in no volume, though the break failed");
	KUNIT_EXPECT_EQ(test, READ_ONCE(p1->state),
			(unsigned int)MIRVOL_PLEX_FAILED);
	mutex_unlock(&ctx->vol->lock);
	WRITE_ONCE(p1->inject, 0);
	/* The in-sync plex's superblock records it failed. */
	KUNIT_ASSERT_GE(test, mirvol_sb_read_dev(rbdev(ctx, 0), &md, &reason),
			0);
	KUNIT_EXPECT_EQ(test, md.generation, READ_ONCE(ctx->vol->generation));
	KUNIT_EXPECT_EQ(test, memcmp(md.plexes[1].uuid, uuid,
				     MIRVOL_UUID_LEN), 0);
	KUNIT_EXPECT_EQ_MSG(test, md.plexes[1].state, (u32)MIRVOL_PLEX_FAILED,
			    "the volume's superblocks claim the plex in sync");
	/*
	 * Its device: the new volume's superblock (that volume's only
	 * plex), or the volume's, superseded by the others' (newer, they
	 * record it failed): never a member in sync of both.
	 */
	KUNIT_ASSERT_GE(test, mirvol_sb_read_dev(rbdev(ctx, 1), &md, &reason),
			0);
	if (memcmp(md.volume_uuid, &new_uuid, MIRVOL_UUID_LEN)) {
		KUNIT_EXPECT_EQ(test, memcmp(md.volume_uuid, &ctx->vol->uuid,
					     MIRVOL_UUID_LEN), 0);
		KUNIT_EXPECT_LT_MSG(test, md.generation,
				    READ_ONCE(ctx->vol->generation),
				    "the plex's own superblock is current");
	}
	/* The volume goes on with its other plex. */
	fill(ctx->pages, 0xdb1);
	KUNIT_EXPECT_EQ(test, do_io(vbdev(ctx), REQ_OP_WRITE, 64, ctx->pages,
				    IO_PAGES), 0);
}

/*
 * What runs while a volume's I/O is suspended must not wait for another
 * task: add_disk() and del_gendisk() wait for kdevtmpfs, whose reclaim may
 * write to swap on that very volume and sleep until the resume.  A class
 * interface on block devices sees every device_add() and device_del() of
 * a disk or partition, in the task that makes it.
 */
static struct mirvol_volume *pause_vol;
static atomic_t pause_adds, pause_dels, pause_bad;
static char pause_what[80];

static void pause_check(struct device *dev, const char *what)
{
	struct mirvol_volume *vol = READ_ONCE(pause_vol);

	if (!vol || strncmp(dev_name(dev), "mirvol", 6))
		return;
	if (!test_bit(MIRVOL_VOL_SUSPENDED, &vol->flags))
		return;
	if (atomic_inc_return(&pause_bad) == 1)
		snprintf(pause_what, sizeof(pause_what), "%s(%s)", what,
			 dev_name(dev));
}

static int pause_add_dev(struct device *dev)
{
	if (READ_ONCE(pause_vol))
		atomic_inc(&pause_adds);
	pause_check(dev, "add_disk");
	return 0;
}

static void pause_remove_dev(struct device *dev)
{
	if (READ_ONCE(pause_vol))
		atomic_inc(&pause_dels);
	pause_check(dev, "del_gendisk");
}

static struct class_interface pause_iface = {
	.class		= &block_class,
	.add_dev	= pause_add_dev,
	.remove_dev	= pause_remove_dev,
};

static bool pause_registered;

static void pause_unwatch(void *data)
{
	struct mirvol_volume *vol = xchg(&pause_vol, NULL);

	if (pause_registered)
		class_interface_unregister(&pause_iface);
	pause_registered = false;
	if (vol)
		mirvol_volume_put(vol);
}

enum { PAUSE_OK, PAUSE_START_FAILS, PAUSE_SB_FAILS };

static const char * const pause_cases[] = {
	"the break succeeds", "the new disk fails", "the new superblock fails",
};

static void pause_case_desc(const int *c, char *desc)
{
	strscpy(desc, pause_cases[*c], KUNIT_PARAM_DESC_SIZE);
}

static const int pause_params[] = {
	PAUSE_OK, PAUSE_START_FAILS, PAUSE_SB_FAILS,
};
KUNIT_ARRAY_PARAM(pause, pause_params, pause_case_desc);

static void mirvol_test_break_pause_adds_no_disk(struct kunit *test)
{
	const int c = *(const int *)test->param_value;
	struct io_ctx *ctx = test->priv;
	char name[MIRVOL_NAME_LEN];
	struct mirvol_op_info info;
	enum mirvol_reason reason;
	u8 uuid[MIRVOL_UUID_LEN];
	struct mirvol_volume *nv;
	uuid_t new_uuid;
	u64 op_id = 0;

	io_create(test, "kunit-brkpause", 2, true, NULL);
	memcpy(uuid, &ctx->vol->plexes[1]->uuid, MIRVOL_UUID_LEN);
	atomic_set(&pause_adds, 0);
	atomic_set(&pause_dels, 0);
	atomic_set(&pause_bad, 0);
	pause_what[0] = 0;
	KUNIT_ASSERT_EQ(test, class_interface_register(&pause_iface), 0);
	pause_registered = true;
	mirvol_volume_get(ctx->vol);
	WRITE_ONCE(pause_vol, ctx->vol);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, pause_unwatch,
							NULL), 0);
	if (c == PAUSE_START_FAILS)
		WRITE_ONCE(mirvol_kunit_start_fail, true);
	else if (c == PAUSE_SB_FAILS)
		WRITE_ONCE(mirvol_kunit_init_hook, init_fails);
	reason = mirvol_break_plex(ctx->vol, uuid, "kunit-brkpause-b", false,
				   &new_uuid, name, &op_id);
	KUNIT_ASSERT_EQ(test, reason, MIRVOL_R_NONE);
	KUNIT_ASSERT_EQ(test, mirvol_op_wait(op_id, 60000, &info),
			MIRVOL_R_NONE);
	KUNIT_EXPECT_FALSE(test, READ_ONCE(mirvol_kunit_start_fail));
	KUNIT_EXPECT_NULL(test, READ_ONCE(mirvol_kunit_init_hook));
	KUNIT_EXPECT_EQ(test, info.state,
			(u32)(c == PAUSE_OK ? MIRVOL_OPS_SUCCEEDED :
					      MIRVOL_OPS_FAILED));
	/* The interface saw the new disk come (and go, when it failed). */
	if (c != PAUSE_SB_FAILS)
		KUNIT_EXPECT_GE(test, atomic_read(&pause_adds), 1);
	if (c == PAUSE_START_FAILS)
		KUNIT_EXPECT_GE(test, atomic_read(&pause_dels), 1);
	KUNIT_EXPECT_EQ_MSG(test, atomic_read(&pause_bad), 0,
			    "%s ran with %s's I/O suspended", pause_what,
			    ctx->vol->name);
	pause_unwatch(NULL);
	nv = mirvol_lookup(new_uuid.b);
	if (c == PAUSE_OK) {
		KUNIT_ASSERT_NOT_NULL(test, nv);
		KUNIT_EXPECT_EQ(test, get_capacity(nv->disk), nv->size);
		KUNIT_EXPECT_EQ(test, mirvol_volume_teardown(nv, true),
				MIRVOL_R_NONE);
	} else {
		KUNIT_EXPECT_NULL(test, nv);
	}
	if (nv)
		mirvol_volume_put(nv);
}

/* The broken-off plex's device goes before its new volume is filled. */
static void break_device_goes(struct mirvol_volume *new)
{
	struct block_device *bdev = new->plexes[0]->bdev;

	WRITE_ONCE(mirvol_kunit_break_hook, NULL);
	device_gone(bdev, true);
	flush_mirvol_works();
}

/*
 * Between the split and the start of the new volume, the release of gone
 * devices sees a volume with a disk, not started: it must not take that
 * volume's only plex as an offline volume's member.  The break ends with
 * the volume started and its plex in its slot, missing.
 */
static void mirvol_test_break_device_goes_before_fill(struct kunit *test)
{
	struct io_ctx *ctx = test->priv;
	char name[MIRVOL_NAME_LEN];
	struct mirvol_op_info info;
	enum mirvol_reason reason;
	u8 uuid[MIRVOL_UUID_LEN];
	struct mirvol_volume *nv;
	uuid_t new_uuid;
	u64 op_id = 0;

	io_create(test, "kunit-brkgone", 2, true, NULL);
	memcpy(uuid, &ctx->vol->plexes[1]->uuid, MIRVOL_UUID_LEN);
	WRITE_ONCE(mirvol_kunit_break_hook, break_device_goes);
	reason = mirvol_break_plex(ctx->vol, uuid, "kunit-brkgone-b", false,
				   &new_uuid, name, &op_id);
	KUNIT_ASSERT_EQ(test, reason, MIRVOL_R_NONE);
	KUNIT_ASSERT_EQ(test, mirvol_op_wait(op_id, 60000, &info),
			MIRVOL_R_NONE);
	KUNIT_EXPECT_NULL(test, READ_ONCE(mirvol_kunit_break_hook));
	flush_mirvol_works();
	nv = mirvol_lookup(new_uuid.b);
	KUNIT_ASSERT_NOT_NULL(test, nv);
	mutex_lock(&nv->lock);
	KUNIT_EXPECT_TRUE(test, test_bit(MIRVOL_VOL_STARTED, &nv->flags));
	KUNIT_EXPECT_EQ_MSG(test, nv->nr_plexes, 1U,
			    "the new volume lost its plex before it started");
	if (nv->plexes[0]) {
		KUNIT_EXPECT_EQ(test, READ_ONCE(nv->plexes[0]->state),
				(unsigned int)MIRVOL_PLEX_MISSING);
		KUNIT_EXPECT_NULL_MSG(test, nv->plexes[0]->bdev,
				      "the gone device was not given back");
	}
	mutex_unlock(&nv->lock);
	KUNIT_EXPECT_EQ(test, mirvol_volume_teardown(nv, true),
			MIRVOL_R_NONE);
	mirvol_volume_put(nv);
}

/* The restack of the break's new volume ("kunit-brkstack-b") fails, once. */
static int restack_fails(struct mirvol_volume *vol)
{
	if (strcmp(vol->name, "kunit-brkstack-b"))
		return 0;
	WRITE_ONCE(mirvol_kunit_restack_hook, NULL);
	return -EINVAL;
}

/*
 * The new volume of a break-plex cannot take its plex's queue limits
 * (write cache, FUA, block sizes).  Started without them it would strip
 * the flushes its file systems send: data lost at a power cut.  The break
 * must fail as the other failures of the new volume do, and change
 * nothing: the plex back in its slot, in sync, its device the volume's,
 * taking writes; the new name and UUID free.
 */
static void mirvol_test_break_restack_fails(struct kunit *test)
{
	struct io_ctx *ctx = test->priv;
	char name[MIRVOL_NAME_LEN];
	struct mirvol_op_info info;
	enum mirvol_reason reason;
	u8 uuid[MIRVOL_UUID_LEN];
	struct mirvol_volume *nv;
	struct mirvol_plex *p1;
	struct mirvol_md md;
	uuid_t new_uuid;
	u64 op_id = 0;

	io_create(test, "kunit-brkstack", 2, true, NULL);
	fill(ctx->pages, 0x5ac);
	KUNIT_ASSERT_EQ(test, do_io(vbdev(ctx), REQ_OP_WRITE, 64, ctx->pages,
				    IO_PAGES), 0);
	memcpy(uuid, &ctx->vol->plexes[1]->uuid, MIRVOL_UUID_LEN);
	WRITE_ONCE(mirvol_kunit_restack_hook, restack_fails);
	reason = mirvol_break_plex(ctx->vol, uuid, "kunit-brkstack-b", false,
				   &new_uuid, name, &op_id);
	KUNIT_ASSERT_EQ(test, reason, MIRVOL_R_NONE);
	KUNIT_ASSERT_EQ(test, mirvol_op_wait(op_id, 60000, &info),
			MIRVOL_R_NONE);
	KUNIT_EXPECT_NULL_MSG(test, READ_ONCE(mirvol_kunit_restack_hook),
			      "the new volume was never restacked");
	KUNIT_EXPECT_EQ_MSG(test, info.state, (u32)MIRVOL_OPS_FAILED,
			    "the break succeeded without its queue limits");
	KUNIT_EXPECT_EQ(test, info.reason, (u32)MIRVOL_R_INVALID_ARGUMENT);
	nv = mirvol_lookup(new_uuid.b);
	KUNIT_EXPECT_NULL(test, nv);
	if (nv) {
		mirvol_volume_teardown(nv, false);
		mirvol_volume_put(nv);
		return;
	}
	mutex_lock(&ctx->vol->lock);
	p1 = mirvol_plex_find(ctx->vol, uuid);
	KUNIT_EXPECT_NOT_NULL_MSG(test, p1,
				  "the plex is in no volume, though the break failed");
	if (p1) {
		KUNIT_EXPECT_EQ(test, p1->index, 1U);
		KUNIT_EXPECT_NOT_NULL(test, p1->bdev);
		KUNIT_EXPECT_EQ(test, READ_ONCE(p1->state),
				(unsigned int)MIRVOL_PLEX_ACTIVE);
	}
	mutex_unlock(&ctx->vol->lock);
	KUNIT_ASSERT_NOT_NULL(test, p1);
	KUNIT_ASSERT_GE(test, mirvol_sb_read_dev(rbdev(ctx, 1), &md, &reason),
			0);
	KUNIT_EXPECT_EQ(test, memcmp(md.volume_uuid, &ctx->vol->uuid,
				     MIRVOL_UUID_LEN), 0);
	KUNIT_EXPECT_EQ(test, md.generation, READ_ONCE(ctx->vol->generation));
	KUNIT_EXPECT_EQ(test, md.plexes[1].state, (u32)MIRVOL_PLEX_ACTIVE);
	KUNIT_ASSERT_EQ(test, read_plex(ctx, 1, 64), 0);
	KUNIT_EXPECT_TRUE(test, same(ctx->pages, ctx->check));
	fill(ctx->pages, 0x5ad);
	KUNIT_ASSERT_EQ(test, do_io(vbdev(ctx), REQ_OP_WRITE, 64, ctx->pages,
				    IO_PAGES), 0);
	KUNIT_ASSERT_EQ(test, read_plex(ctx, 1, 64), 0);
	KUNIT_EXPECT_TRUE(test, same(ctx->pages, ctx->check));
}

/* What a power cut after the undo's join would leave on the plex. */
static struct mirvol_md join_md;
static int join_md_ret;

static void sb_after_join(struct mirvol_volume *vol)
{
	enum mirvol_reason reason;

	WRITE_ONCE(mirvol_kunit_sb_update_hook, NULL);
	join_md_ret = mirvol_sb_read_dev(split_plex->bdev, &join_md, &reason);
}

static int join_then_watch(struct mirvol_plex *plex)
{
	WRITE_ONCE(mirvol_kunit_join_hook, NULL);
	WRITE_ONCE(mirvol_kunit_sb_update_hook, sb_after_join);
	return 0;
}

static int init_fails_then_watch(struct mirvol_plex *plex)
{
	WRITE_ONCE(mirvol_kunit_join_hook, join_then_watch);
	return init_fails(plex);
}

/*
 * A break --track-changes that fails once the new superblock is on the
 * plex takes the plex back with the volume's superblock (the join), then
 * records in the others that the split ended.  The join's superblock is
 * the newest: after a power cut before that update, assembly goes by it.
 * It must not track the split (no volume is split off): tracked, the
 * bitmap would never be cleared again until set --forget-split.
 */
static void mirvol_test_break_undo_join_untracked(struct kunit *test)
{
	struct io_ctx *ctx = test->priv;
	char name[MIRVOL_NAME_LEN];
	struct mirvol_op_info info;
	enum mirvol_reason reason;
	u8 uuid[MIRVOL_UUID_LEN];
	struct mirvol_volume *nv;
	u64 gen, op_id = 0;
	uuid_t new_uuid;

	io_create(test, "kunit-brkjoin", 2, true, NULL);
	KUNIT_ASSERT_NOT_NULL(test, ctx->vol->bitmap);
	split_plex = ctx->vol->plexes[1];
	memcpy(uuid, &split_plex->uuid, MIRVOL_UUID_LEN);
	join_md_ret = -ENODATA;
	gen = READ_ONCE(ctx->vol->generation);
	WRITE_ONCE(mirvol_kunit_init_hook, init_fails_then_watch);
	reason = mirvol_break_plex(ctx->vol, uuid, "kunit-brkjoin-b", true,
				   &new_uuid, name, &op_id);
	KUNIT_ASSERT_EQ(test, reason, MIRVOL_R_NONE);
	KUNIT_ASSERT_EQ(test, mirvol_op_wait(op_id, 60000, &info),
			MIRVOL_R_NONE);
	KUNIT_EXPECT_EQ(test, info.state, (u32)MIRVOL_OPS_FAILED);
	KUNIT_EXPECT_NULL(test, READ_ONCE(mirvol_kunit_init_hook));
	KUNIT_EXPECT_NULL(test, READ_ONCE(mirvol_kunit_join_hook));
	KUNIT_EXPECT_NULL(test, READ_ONCE(mirvol_kunit_sb_update_hook));
	nv = mirvol_lookup(new_uuid.b);
	KUNIT_EXPECT_NULL(test, nv);
	if (nv)
		mirvol_volume_put(nv);
	KUNIT_ASSERT_GE_MSG(test, join_md_ret, 0,
			    "the plex's superblock was not read after the join");
	/* The join's: the volume's, newer than the split's update. */
	KUNIT_EXPECT_EQ(test, memcmp(join_md.volume_uuid, &ctx->vol->uuid,
				     MIRVOL_UUID_LEN), 0);
	KUNIT_EXPECT_GT(test, join_md.generation, gen + 1);
	KUNIT_EXPECT_EQ_MSG(test, join_md.split_generation, 0ULL,
			    "the join's superblock tracks a split that failed");
	KUNIT_EXPECT_NULL(test, memchr_inv(join_md.split_peer, 0,
					   MIRVOL_UUID_LEN));
	mutex_lock(&ctx->vol->lock);
	KUNIT_EXPECT_PTR_EQ(test, ctx->vol->plexes[1], split_plex);
	KUNIT_EXPECT_EQ(test, READ_ONCE(split_plex->state),
			(unsigned int)MIRVOL_PLEX_ACTIVE);
	KUNIT_EXPECT_EQ(test, ctx->vol->split_generation, 0ULL);
	mutex_unlock(&ctx->vol->lock);
}

static int unfilled_open;

/* The new volume, its plex moved in, not filled yet: an opener comes. */
static void break_open_unfilled(struct mirvol_volume *new)
{
	struct file *file;

	WRITE_ONCE(mirvol_kunit_break_hook, NULL);
	file = open_dev(disk_devt(new->disk));
	if (IS_ERR(file)) {
		unfilled_open = PTR_ERR(file);
		return;
	}
	unfilled_open = 0;
	__fput_sync(file);
}

/*
 * The new volume's disk cannot be opened before it is filled: an opener
 * could set the block device's block size to the empty disk's logical
 * block size (512 bytes) and, holding it open, keep it over a plex of
 * 4096 (VM test 165).  Once filled it opens.
 */
static void mirvol_test_break_no_open_unfilled(struct kunit *test)
{
	struct io_ctx *ctx = test->priv;
	char name[MIRVOL_NAME_LEN];
	struct mirvol_op_info info;
	enum mirvol_reason reason;
	u8 uuid[MIRVOL_UUID_LEN];
	struct mirvol_volume *nv;
	struct file *file;
	uuid_t new_uuid;
	u64 op_id = 0;

	io_create(test, "kunit-brkopen", 2, true, NULL);
	memcpy(uuid, &ctx->vol->plexes[1]->uuid, MIRVOL_UUID_LEN);
	unfilled_open = 1;
	WRITE_ONCE(mirvol_kunit_break_hook, break_open_unfilled);
	reason = mirvol_break_plex(ctx->vol, uuid, "kunit-brkopen-b", false,
				   &new_uuid, name, &op_id);
	KUNIT_ASSERT_EQ(test, reason, MIRVOL_R_NONE);
	KUNIT_ASSERT_EQ(test, mirvol_op_wait(op_id, 60000, &info),
			MIRVOL_R_NONE);
	KUNIT_EXPECT_EQ(test, info.state, (u32)MIRVOL_OPS_SUCCEEDED);
	KUNIT_EXPECT_NULL(test, READ_ONCE(mirvol_kunit_break_hook));
	KUNIT_EXPECT_EQ_MSG(test, unfilled_open, -ENXIO,
			    "the new volume's empty disk could be opened");
	nv = mirvol_lookup(new_uuid.b);
	KUNIT_ASSERT_NOT_NULL(test, nv);
	file = open_dev(disk_devt(nv->disk));
	if (IS_ERR(file)) {
		KUNIT_FAIL(test, "cannot open the filled volume: %ld",
			   PTR_ERR(file));
	} else {
		KUNIT_EXPECT_EQ(test, bdev_logical_block_size(file_bdev(file)),
				bdev_logical_block_size(rbdev(ctx, 1)));
		__fput_sync(file);
	}
	KUNIT_EXPECT_EQ(test, mirvol_volume_teardown(nv, true),
			MIRVOL_R_NONE);
	mirvol_volume_put(nv);
}

/*
 * Holder links and plexN/ directories made (made) and removed (gone),
 * and those of them with the volume's I/O suspended (_held): see
 * sysfs_made_site().
 */
static struct {
	atomic_t made;
	atomic_t made_held;
	atomic_t gone;
	atomic_t gone_held;
} sysfs_seen;

static void sysfs_seen_hook(struct mirvol_volume *vol, const char *site)
{
	bool held = vol && test_bit(MIRVOL_VOL_SUSPENDED, &vol->flags);

	noio_check_hook(vol, site);
	if (sysfs_made_site(site)) {
		atomic_inc(&sysfs_seen.made);
		if (held)
			atomic_inc(&sysfs_seen.made_held);
	} else if (sysfs_gone_site(site)) {
		atomic_inc(&sysfs_seen.gone);
		if (held)
			atomic_inc(&sysfs_seen.gone_held);
	}
}

static void sysfs_seen_begin(void)
{
	atomic_set(&sysfs_seen.made, 0);
	atomic_set(&sysfs_seen.made_held, 0);
	atomic_set(&sysfs_seen.gone, 0);
	atomic_set(&sysfs_seen.gone_held, 0);
	WRITE_ONCE(mirvol_kunit_alloc_hook, sysfs_seen_hook);
}

/* Stop counting; @made, @gone: what the change makes and removes. */
static void sysfs_seen_end(struct kunit *test, int made, int gone)
{
	WRITE_ONCE(mirvol_kunit_alloc_hook, noio_check_hook);
	KUNIT_EXPECT_EQ_MSG(test, atomic_read(&sysfs_seen.made_held), 0,
			    "%d of %d holder links or plexN/ directories made with the volume's I/O suspended",
			    atomic_read(&sysfs_seen.made_held),
			    atomic_read(&sysfs_seen.made));
	KUNIT_EXPECT_EQ_MSG(test, atomic_read(&sysfs_seen.gone_held), 0,
			    "%d of %d holder links or plexN/ directories removed with the volume's I/O suspended",
			    atomic_read(&sysfs_seen.gone_held),
			    atomic_read(&sysfs_seen.gone));
	KUNIT_EXPECT_EQ(test, atomic_read(&sysfs_seen.made), made);
	KUNIT_EXPECT_EQ(test, atomic_read(&sysfs_seen.gone), gone);
}

/* Is @plex linked and shown in plexN/, as a plex of a started volume is? */
static void expect_shown(struct kunit *test, struct mirvol_plex *plex)
{
	KUNIT_EXPECT_TRUE_MSG(test, plex->linked, "plex %u not linked",
			      plex->index);
	KUNIT_EXPECT_NOT_NULL_MSG(test, plex->kobj, "plex %u has no plexN/",
				  plex->index);
}

/*
 * Add-plex attaches its plex with the volume's I/O suspended; its holder
 * link and plexN/ directory come once I/O flows again, and so only for
 * a plex whose attach went through.
 */
static void mirvol_test_add_plex_shown_after_resume(struct kunit *test)
{
	struct io_ctx *ctx = test->priv;
	struct mirvol_op_info info;
	u64 op_id = 0;

	io_create(test, "kunit-addshow", 2, true, NULL);
	ctx->vol->safe_mode_delay_ms = 0;
	sysfs_seen_begin();
	KUNIT_ASSERT_EQ(test, mirvol_add_plex(ctx->vol, ctx->ram[2], NULL,
					      false, &op_id), MIRVOL_R_NONE);
	KUNIT_EXPECT_EQ(test, mirvol_op_wait(op_id, 60000, &info),
			MIRVOL_R_NONE);
	sysfs_seen_end(test, 2, 0);
	KUNIT_EXPECT_EQ(test, info.state, (u32)MIRVOL_OPS_SUCCEEDED);
	KUNIT_ASSERT_NOT_NULL(test, ctx->vol->plexes[2]);
	expect_shown(test, ctx->vol->plexes[2]);
}

/*
 * Add-plex into a missing plex's slot, then cancelled: the missing plex
 * leaves and comes back, the new plex comes and leaves, each with the
 * volume's I/O suspended; their holder links and plexN/ directories are
 * made and removed with I/O flowing, the slot's directory always that
 * of the plex in it.
 */
static void mirvol_test_cancel_add_shown_after_resume(struct kunit *test)
{
	struct io_ctx *ctx = test->priv;
	struct mirvol_op_info info;
	struct mirvol_plex *p1;
	u64 op_id = 0;

	io_create(test, "kunit-addcshow", 2, true, NULL);
	ctx->vol->safe_mode_delay_ms = 0;
	p1 = ctx->vol->plexes[1];
	mirvol_plex_get(p1);
	KUNIT_ASSERT_TRUE(test, unplug_plex(p1));
	/* Slow, so that the cancel comes while it copies. */
	WRITE_ONCE(ctx->vol->sync_speed_max, 1000);
	sysfs_seen_begin();
	KUNIT_ASSERT_EQ(test, mirvol_add_plex(ctx->vol, ctx->ram[2], NULL,
					      false, &op_id), MIRVOL_R_NONE);
	KUNIT_EXPECT_PTR_EQ(test, ctx->vol->plexes[1]->bdev, rbdev(ctx, 2));
	KUNIT_EXPECT_NULL(test, p1->kobj);
	expect_shown(test, ctx->vol->plexes[1]);
	KUNIT_EXPECT_EQ(test, mirvol_op_cancel(op_id, &info), MIRVOL_R_NONE);
	KUNIT_ASSERT_EQ(test, mirvol_op_wait(op_id, 60000, &info),
			MIRVOL_R_NONE);
	sysfs_seen_end(test, 3, 3);
	KUNIT_EXPECT_EQ(test, info.state, (u32)MIRVOL_OPS_CANCELLED);
	KUNIT_EXPECT_PTR_EQ(test, ctx->vol->plexes[1], p1);
	KUNIT_EXPECT_NOT_NULL(test, p1->kobj);
	mirvol_plex_put(p1);
}

/*
 * Replace: the new plex is attached and the old one leaves, each with
 * the volume's I/O suspended; their holder links and plexN/ directories
 * are made and removed with I/O flowing.
 */
static void mirvol_test_replace_shown_after_resume(struct kunit *test)
{
	struct io_ctx *ctx = test->priv;
	struct mirvol_op_info info;
	u8 uuid[MIRVOL_UUID_LEN];
	struct mirvol_plex *old;
	u64 op_id = 0;
	int i;

	io_create(test, "kunit-replshow", 2, true, NULL);
	ctx->vol->safe_mode_delay_ms = 0;
	old = ctx->vol->plexes[1];
	mirvol_plex_get(old);
	memcpy(uuid, &old->uuid, MIRVOL_UUID_LEN);
	sysfs_seen_begin();
	KUNIT_ASSERT_EQ(test, mirvol_replace_plex(ctx->vol, uuid, ctx->ram[2],
						  &op_id), MIRVOL_R_NONE);
	KUNIT_EXPECT_EQ(test, mirvol_op_wait(op_id, 60000, &info),
			MIRVOL_R_NONE);
	sysfs_seen_end(test, 2, 2);
	KUNIT_EXPECT_EQ(test, info.state, (u32)MIRVOL_OPS_SUCCEEDED);
	KUNIT_EXPECT_FALSE(test, old->linked);
	KUNIT_EXPECT_NULL(test, old->kobj);
	mirvol_plex_put(old);
	for (i = 0; i < MIRVOL_MAX_PLEXES; i++)
		if (ctx->vol->plexes[i])
			expect_shown(test, ctx->vol->plexes[i]);
}

/*
 * Re-add of a missing plex: its device rejoins in the slot of the
 * placeholder left (mirvol_rejoin()), with the volume's I/O suspended;
 * the placeholder's plexN/ goes, and the plex's holder link and plexN/
 * come, with I/O flowing.
 */
static void mirvol_test_rejoin_shown_after_resume(struct kunit *test)
{
	struct io_ctx *ctx = test->priv;
	u8 uuid[MIRVOL_UUID_LEN];
	struct mirvol_plex *p1;

	io_create(test, "kunit-rejoinshow", 2, true, NULL);
	ctx->vol->safe_mode_delay_ms = 0;
	p1 = ctx->vol->plexes[1];
	memcpy(uuid, &p1->uuid, MIRVOL_UUID_LEN);
	KUNIT_ASSERT_TRUE(test, unplug_plex(p1));
	KUNIT_ASSERT_NOT_NULL(test, READ_ONCE(p1->kobj));
	sysfs_seen_begin();
	KUNIT_EXPECT_EQ(test, readd_plex(test, ctx->vol, uuid, ctx->ram[1]),
			MIRVOL_R_NONE);
	sysfs_seen_end(test, 2, 1);
	mutex_lock(&ctx->vol->lock);
	p1 = ctx->vol->plexes[1];
	KUNIT_EXPECT_NOT_NULL(test, p1);
	if (p1) {
		KUNIT_EXPECT_NOT_NULL(test, p1->bdev);
		expect_shown(test, p1);
	}
	mutex_unlock(&ctx->vol->lock);
}

/* The volume's suspensions; those entered by a task with I/O reclaim. */
static struct {
	struct mirvol_volume *vol;
	atomic_t seen;
	atomic_t reclaim;
} freeze_noio;

static void freeze_noio_hook(struct mirvol_volume *vol)
{
	if (vol != READ_ONCE(freeze_noio.vol))
		return;
	atomic_inc(&freeze_noio.seen);
	/*
	 * memalloc_noio_save() returns the flags it set (6.10 on): none
	 * when the task was noio already, just before this suspension.
	 */
	if (vol->noio_flags & PF_MEMALLOC_NOIO)
		atomic_inc(&freeze_noio.reclaim);
}

/*
 * Break-plex freezes the volume's file systems (bdev_freeze()), then
 * suspends its I/O.  The freeze holds no I/O, but its window opens the
 * volume's partitions and takes vol->lock: it runs without I/O reclaim
 * all the same, from the new volume's suspension on
 * (mirvol_break_add_disk()), which comes before the freeze.  Seen at
 * the volume's suspension: the task was noio before it.
 */
static void mirvol_test_break_freeze_noio(struct kunit *test)
{
	struct io_ctx *ctx = test->priv;
	char name[MIRVOL_NAME_LEN];
	struct mirvol_op_info info;
	struct mirvol_volume *nv;
	u8 uuid[MIRVOL_UUID_LEN];
	uuid_t new_uuid;
	u64 op_id = 0;

	io_create(test, "kunit-brkfrz", 2, true, NULL);
	ctx->vol->safe_mode_delay_ms = 0;
	memcpy(uuid, &ctx->vol->plexes[1]->uuid, MIRVOL_UUID_LEN);
	atomic_set(&freeze_noio.seen, 0);
	atomic_set(&freeze_noio.reclaim, 0);
	WRITE_ONCE(freeze_noio.vol, ctx->vol);
	WRITE_ONCE(mirvol_kunit_suspend_hook, freeze_noio_hook);
	KUNIT_ASSERT_EQ(test, mirvol_break_plex(ctx->vol, uuid, "", false,
						&new_uuid, name, &op_id),
			MIRVOL_R_NONE);
	KUNIT_EXPECT_EQ(test, mirvol_op_wait(op_id, 60000, &info),
			MIRVOL_R_NONE);
	WRITE_ONCE(mirvol_kunit_suspend_hook, NULL);
	WRITE_ONCE(freeze_noio.vol, NULL);
	KUNIT_EXPECT_EQ(test, info.state, (u32)MIRVOL_OPS_SUCCEEDED);
	KUNIT_EXPECT_GE(test, atomic_read(&freeze_noio.seen), 1);
	KUNIT_EXPECT_EQ_MSG(test, atomic_read(&freeze_noio.reclaim), 0,
			    "the break's freeze window allowed I/O reclaim");
	nv = mirvol_lookup(new_uuid.b);
	KUNIT_ASSERT_NOT_NULL(test, nv);
	KUNIT_EXPECT_EQ(test, mirvol_volume_teardown(nv, true),
			MIRVOL_R_NONE);
	mirvol_volume_put(nv);
}

/*
 * Allocation-failure sweeps, fail-nth style (syzkaller's): with
 * current->fail_nth = N the Nth allocation-like call of this task fails
 * (should_fail_ex(): slab, page allocator), for N = 1, 2, ... until the
 * operation succeeds with the count not used up.  After each failure the
 * operation must have unwound: a reason returned, no plex left on the
 * devices, each device free for an exclusive open, no superblock left on
 * it, and the next round (the same operation, failing one call later)
 * must work.  A failure that the operation rides out (best effort: sysfs,
 * partition scan) is undone and the sweep goes on.
 *
 * fail_nth counts the caller's task only: the work an operation hands to
 * a workqueue (an add's resync, remove-plex's run, a volume's worker) is
 * not swept.  failslab and fail_page_alloc ignore allocations that may
 * reclaim (GFP_KERNEL, which the control path uses) unless told through
 * debugfs; the sweep turns that off, and their own messages and stack
 * dumps, for its duration.  The kernel still dumps the stack where an
 * allocation fails in kmem_cache_create() (a bioset's slab) or vmalloc()
 * (the partition scan of add_disk()): run-kunit.sh excuses those "Call
 * Trace"s between this test's "mirvol-failnth: injecting" and "done".
 */
#if IS_ENABLED(CONFIG_FAULT_INJECTION_DEBUG_FS) && \
	IS_ENABLED(CONFIG_FAILSLAB) && IS_ENABLED(CONFIG_FAIL_PAGE_ALLOC)
#define FAILNTH_MAX	1000

static struct {
	bool *ignore[2];
	unsigned long *verbose[2];
	u32 *min_order;
	bool old_ignore[2];
	unsigned long old_verbose[2];
	u32 old_min_order;
} failnth;

/* The variable behind debugfs file @dir/@name (its inode's i_private). */
static void *failnth_knob(const char *dir, const char *name)
{
	struct dentry *d = debugfs_lookup(dir, NULL);
	struct dentry *f;
	void *p = NULL;

	if (IS_ERR_OR_NULL(d))
		return NULL;
	f = debugfs_lookup(name, d);
	if (!IS_ERR_OR_NULL(f)) {
		if (d_really_is_positive(f))
			p = d_inode(f)->i_private;
		dput(f);
	}
	dput(d);
	return p;
}

static void failnth_restore(void *unused)
{
	unsigned int i;

	current->fail_nth = 0;
	pr_info("mirvol-failnth: done\n");
	for (i = 0; i < 2; i++) {
		WRITE_ONCE(*failnth.ignore[i], failnth.old_ignore[i]);
		WRITE_ONCE(*failnth.verbose[i], failnth.old_verbose[i]);
	}
	WRITE_ONCE(*failnth.min_order, failnth.old_min_order);
}

/* Make every slab and page allocation of this task count; undone at exit. */
static void failnth_setup(struct kunit *test)
{
	static const char * const dirs[] = { "failslab", "fail_page_alloc" };
	unsigned int i;

	for (i = 0; i < 2; i++) {
		failnth.ignore[i] = failnth_knob(dirs[i], "ignore-gfp-wait");
		failnth.verbose[i] = failnth_knob(dirs[i], "verbose");
		KUNIT_ASSERT_NOT_NULL(test, failnth.ignore[i]);
		KUNIT_ASSERT_NOT_NULL(test, failnth.verbose[i]);
	}
	failnth.min_order = failnth_knob("fail_page_alloc", "min-order");
	KUNIT_ASSERT_NOT_NULL(test, failnth.min_order);
	for (i = 0; i < 2; i++) {
		failnth.old_ignore[i] = *failnth.ignore[i];
		failnth.old_verbose[i] = *failnth.verbose[i];
		WRITE_ONCE(*failnth.ignore[i], false);
		WRITE_ONCE(*failnth.verbose[i], 0);
	}
	failnth.old_min_order = *failnth.min_order;
	WRITE_ONCE(*failnth.min_order, 0);
	/* From here to "done", run-kunit.sh excuses allocation-failure dumps. */
	pr_info("mirvol-failnth: injecting\n");
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, failnth_restore,
							NULL), 0);
}

static void failnth_arm(unsigned int n)
{
	WRITE_ONCE(current->fail_nth, n);
}

/* Disarm; returns whether the Nth call came (and failed). */
static bool failnth_disarm(void)
{
	unsigned int left = READ_ONCE(current->fail_nth);

	WRITE_ONCE(current->fail_nth, 0);
	return !left;
}

/*
 * RAM disk @i is no plex of any volume, free for an exclusive open (no
 * claim left) and holds no superblock.
 */
static void failnth_expect_free(struct kunit *test, struct io_ctx *ctx,
				unsigned int i, const char *op, unsigned int n)
{
	char what[48];

	snprintf(what, sizeof(what), "%s, N=%u: ", op, n);
	expect_dev_free_as(test, ctx, i, true, what);
}

/* create, 2 plexes, with an initial resync */
static void mirvol_test_failnth_create(struct kunit *test)
{
	struct io_ctx *ctx = test->priv;
	unsigned int n, i, failed = 0, ridden = 0;
	bool consumed = true;

	failnth_setup(test);
	for (i = 0; i < 2; i++)
		failnth_expect_free(test, ctx, i, "before create", 0);
	for (n = 1; n <= FAILNTH_MAX && consumed; n++) {
		struct mirvol_volume *vol = NULL;
		enum mirvol_reason reason;
		u64 region = 0, id = 0;

		failnth_arm(n);
		reason = mirvol_volume_create("kunit-fncreate", ctx->ram, 2, 0,
					      &region, &id, NULL, &vol);
		consumed = failnth_disarm();
		if (!reason) {
			if (consumed)
				ridden++;
			KUNIT_EXPECT_EQ_MSG(test,
					    mirvol_volume_teardown(vol, true),
					    MIRVOL_R_NONE, "N=%u: remove", n);
			mirvol_volume_put(vol);
			continue;
		}
		failed++;
		KUNIT_ASSERT_TRUE_MSG(test, consumed,
				      "create failed (reason %d) at N=%u with no failure injected",
				      reason, n);
		for (i = 0; i < 2; i++)
			failnth_expect_free(test, ctx, i, "create", n);
		if (test->status == KUNIT_FAILURE)
			return;
	}
	KUNIT_EXPECT_FALSE_MSG(test, consumed, "no success in %u rounds",
			       FAILNTH_MAX);
	KUNIT_EXPECT_GT(test, failed, 0U);
	kunit_info(test, "create: %u rounds, %u failed, %u ridden out\n",
		   n - 1, failed, ridden);
}

/* Wait for operation @id; it ended without error. */
static void failnth_op_wait(struct kunit *test, u64 id, const char *what,
			    unsigned int n)
{
	struct mirvol_op_info info;

	if (!id)
		return;
	KUNIT_EXPECT_EQ_MSG(test, mirvol_op_wait(id, 60000, &info),
			    MIRVOL_R_NONE, "N=%u: %s: wait", n, what);
	KUNIT_EXPECT_EQ_MSG(test, info.state, (u32)MIRVOL_OPS_SUCCEEDED,
			    "N=%u: %s: reason %u", n, what, info.reason);
}

/* add-plex of ram2 to a volume on ram0 and ram1 */
static void mirvol_test_failnth_add_plex(struct kunit *test)
{
	struct io_ctx *ctx = test->priv;
	unsigned int n, failed = 0, ridden = 0;
	bool consumed = true;

	failnth_setup(test);
	io_create(test, "kunit-fnadd", 2, true, NULL);
	failnth_expect_free(test, ctx, 2, "before add-plex", 0);
	for (n = 1; n <= FAILNTH_MAX && consumed; n++) {
		struct mirvol_volume *vol = ctx->vol;
		u8 uuid[MIRVOL_UUID_LEN];
		enum mirvol_reason reason;
		u64 id = 0;

		failnth_arm(n);
		reason = mirvol_add_plex(vol, ctx->ram[2], NULL, false, &id);
		consumed = failnth_disarm();
		if (!reason) {
			if (consumed)
				ridden++;
			failnth_op_wait(test, id, "add-plex", n);
			KUNIT_ASSERT_NOT_NULL(test, vol->plexes[2]);
			memcpy(uuid, &vol->plexes[2]->uuid, MIRVOL_UUID_LEN);
			id = 0;
			KUNIT_ASSERT_EQ(test, mirvol_remove_plex(vol, uuid, &id),
					MIRVOL_R_NONE);
			failnth_op_wait(test, id, "remove-plex", n);
			continue;
		}
		failed++;
		KUNIT_ASSERT_TRUE_MSG(test, consumed,
				      "add-plex failed (reason %d) at N=%u with no failure injected",
				      reason, n);
		/* The volume as it was: two plexes in sync, no operation. */
		mutex_lock(&vol->lock);
		KUNIT_EXPECT_EQ_MSG(test, vol->nr_plexes, 2U, "N=%u", n);
		KUNIT_EXPECT_NULL_MSG(test, vol->plexes[2], "N=%u", n);
		KUNIT_EXPECT_NULL_MSG(test, vol->op, "N=%u", n);
		KUNIT_EXPECT_EQ_MSG(test, vol->plexes[0]->state,
				    (unsigned int)MIRVOL_PLEX_ACTIVE, "N=%u", n);
		KUNIT_EXPECT_EQ_MSG(test, vol->plexes[1]->state,
				    (unsigned int)MIRVOL_PLEX_ACTIVE, "N=%u", n);
		mutex_unlock(&vol->lock);
		failnth_expect_free(test, ctx, 2, "add-plex", n);
		KUNIT_EXPECT_EQ_MSG(test, do_io(vbdev(ctx), REQ_OP_WRITE, 0,
						ctx->pages, IO_PAGES), 0,
				    "N=%u: write after add-plex failed", n);
		if (test->status == KUNIT_FAILURE)
			return;
	}
	KUNIT_EXPECT_FALSE_MSG(test, consumed, "no success in %u rounds",
			       FAILNTH_MAX);
	KUNIT_EXPECT_GT(test, failed, 0U);
	kunit_info(test, "add-plex: %u rounds, %u failed, %u ridden out\n",
		   n - 1, failed, ridden);
}
/*
 * remove of a volume on ram0 and ram1: it cannot fail once the volume is
 * killed, so each round must end with the devices free and erased.
 */
static void mirvol_test_failnth_remove(struct kunit *test)
{
	struct io_ctx *ctx = test->priv;
	unsigned int n, i, ridden = 0;
	bool consumed = true;

	failnth_setup(test);
	for (n = 1; n <= FAILNTH_MAX && consumed; n++) {
		struct mirvol_volume *vol = NULL;
		enum mirvol_reason reason;
		u64 region = 0, id = 0;

		KUNIT_ASSERT_EQ_MSG(test,
				    mirvol_volume_create("kunit-fnremove",
							 ctx->ram, 2, 0,
							 &region, &id, NULL,
							 &vol),
				    MIRVOL_R_NONE, "N=%u: create", n);
		failnth_arm(n);
		reason = mirvol_volume_teardown(vol, true);
		consumed = failnth_disarm();
		mirvol_volume_put(vol);
		KUNIT_EXPECT_EQ_MSG(test, reason, MIRVOL_R_NONE,
				    "N=%u: remove", n);
		ridden += consumed;
		for (i = 0; i < 2; i++)
			failnth_expect_free(test, ctx, i, "remove", n);
		if (test->status == KUNIT_FAILURE)
			return;
	}
	KUNIT_EXPECT_FALSE_MSG(test, consumed, "no end in %u rounds",
			       FAILNTH_MAX);
	kunit_info(test, "remove: %u rounds, %u ridden out\n", n - 1, ridden);
}
#else
static void mirvol_test_failnth_create(struct kunit *test)
{
	kunit_skip(test, "needs CONFIG_FAULT_INJECTION_DEBUG_FS, FAILSLAB, FAIL_PAGE_ALLOC");
}

static void mirvol_test_failnth_add_plex(struct kunit *test)
{
	kunit_skip(test, "needs CONFIG_FAULT_INJECTION_DEBUG_FS, FAILSLAB, FAIL_PAGE_ALLOC");
}

static void mirvol_test_failnth_remove(struct kunit *test)
{
	kunit_skip(test, "needs CONFIG_FAULT_INJECTION_DEBUG_FS, FAILSLAB, FAIL_PAGE_ALLOC");
}
#endif

/*
 * CREATE_F_CHECK and ADD_F_CHECK (mirvolctl --force asks before it
 * erases a device): the reason the real call gives, NONE for a call the
 * kernel would take, and no trace either way.
 */
static unsigned int check_uevents;
static struct mirvol_volume *check_uevents_other;	/* not counted */

static void check_uevent_hook(struct mirvol_volume *vol)
{
	if (vol != READ_ONCE(check_uevents_other))
		check_uevents++;
}

/* Put a pattern on device @i's first 64 KiB (no superblock there). */
static void check_head_fill(struct kunit *test, struct io_ctx *ctx,
			    unsigned int i, u32 seed)
{
	fill(ctx->pages, seed);
	KUNIT_ASSERT_EQ(test, do_io(rbdev(ctx, i), REQ_OP_WRITE, 0, ctx->pages,
				    IO_PAGES), 0);
}

/* Device @i still holds check_head_fill()'s pattern, and nobody holds it. */
static void check_head_kept(struct kunit *test, struct io_ctx *ctx,
			    unsigned int i, u32 seed, const char *what)
{
	char msg[64];

	fill(ctx->pages, seed);
	KUNIT_ASSERT_EQ(test, do_io(rbdev(ctx, i), REQ_OP_READ, 0, ctx->check,
				    IO_PAGES), 0);
	KUNIT_EXPECT_TRUE_MSG(test, same(ctx->pages, ctx->check),
			      "%s: ram%u was written", what, i);
	snprintf(msg, sizeof(msg), "%s: ", what);
	expect_dev_free_as(test, ctx, i, true, msg);
}

static void mirvol_test_create_check(struct kunit *test)
{
	struct io_ctx *ctx = test->priv;
	struct file *dup[2] = { ctx->ram[0], ctx->ram[0] };
	struct mirvol_volume *vol = NULL;
	u32 check = MIRVOL_CREATE_F_CHECK;
	enum mirvol_reason reason;
	unsigned int nr, ops;
	u64 region, id;

	check_head_fill(test, ctx, 0, 0xc0c0);
	check_head_fill(test, ctx, 1, 0xc1c1);
	nr = mirvol_list(NULL, 0);
	ops = mirvol_op_list(NULL, 0);
	check_uevents = 0;
	WRITE_ONCE(mirvol_kunit_uevent_hook, check_uevent_hook);

	/* A create the kernel takes: NONE, and nothing made or written. */
	region = 0;
	id = 0;
	reason = mirvol_volume_create("kunit-chk", ctx->ram, 2, check, &region,
				      &id, NULL, &vol);
	KUNIT_EXPECT_EQ(test, reason, MIRVOL_R_NONE);
	KUNIT_EXPECT_NULL(test, vol);
	KUNIT_EXPECT_EQ(test, id, 0ULL);
	KUNIT_EXPECT_EQ(test, region, mirvol_bitmap_default_region(
			(u64)(bdev_nr_sectors(rbdev(ctx, 0)) -
			      MIRVOL_DATA_OFFSET_SECTORS) << SECTOR_SHIFT));
	KUNIT_EXPECT_EQ(test, mirvol_list(NULL, 0), nr);
	KUNIT_EXPECT_EQ(test, mirvol_op_list(NULL, 0), ops);
	KUNIT_EXPECT_EQ(test, check_uevents, 0U);
	check_head_kept(test, ctx, 0, 0xc0c0, "create check");
	check_head_kept(test, ctx, 1, 0xc1c1, "create check");

	/* Refusals: the real call's reason, before and after the claim. */
	region = 0;
	KUNIT_EXPECT_EQ(test, mirvol_volume_create("kunit-chk", dup, 2, check,
						   &region, &id, NULL, &vol),
			MIRVOL_R_DUPLICATE_DEVICE);
	reason = mirvol_volume_create("kunit-chkexist", &ctx->ram[2], 1,
				      MIRVOL_CREATE_F_ASSUME_CLEAN, &region,
				      &id, NULL, &vol);
	KUNIT_ASSERT_EQ(test, reason, MIRVOL_R_NONE);
	ctx->vol = vol;		/* torn down by io_remove() */
	/* Its own (its state, from its worker) may come meanwhile. */
	WRITE_ONCE(check_uevents_other, vol);
	nr = mirvol_list(NULL, 0);
	check_uevents = 0;
	region = 0;
	KUNIT_EXPECT_EQ(test, mirvol_volume_create("kunit-chkexist", ctx->ram,
						   1, check, &region, &id,
						   NULL, &vol),
			MIRVOL_R_NAME_EXISTS);
	KUNIT_EXPECT_EQ(test, mirvol_volume_create("kunit-chkexist", ctx->ram,
						   1, 0, &region, &id, NULL,
						   &vol), MIRVOL_R_NAME_EXISTS);
	/* ram2 is the volume's plex: busy. */
	KUNIT_EXPECT_EQ(test, mirvol_volume_create("kunit-chk", &ctx->ram[1],
						   2, check, &region, &id,
						   NULL, &vol),
			MIRVOL_R_DEVICE_BUSY);
	KUNIT_EXPECT_EQ(test, mirvol_volume_create("kunit-chk", &ctx->ram[1],
						   2, 0, &region, &id, NULL,
						   &vol), MIRVOL_R_DEVICE_BUSY);
	KUNIT_EXPECT_TRUE(test, ctx->vol == vol);
	WRITE_ONCE(mirvol_kunit_uevent_hook, NULL);
	WRITE_ONCE(check_uevents_other, NULL);
	KUNIT_EXPECT_EQ(test, mirvol_list(NULL, 0), nr);
	KUNIT_EXPECT_EQ(test, check_uevents, 0U);
	check_head_kept(test, ctx, 0, 0xc0c0, "create refused");
	check_head_kept(test, ctx, 1, 0xc1c1, "create refused");

	/* The check left nothing behind that the real call trips over. */
	vol = NULL;
	region = 0;
	reason = mirvol_volume_create("kunit-chk", ctx->ram, 1,
				      MIRVOL_CREATE_F_ASSUME_CLEAN, &region,
				      &id, NULL, &vol);
	KUNIT_EXPECT_EQ(test, reason, MIRVOL_R_NONE);
	if (!reason) {
		KUNIT_EXPECT_EQ(test, mirvol_volume_teardown(vol, true),
				MIRVOL_R_NONE);
		mirvol_volume_put(vol);
	}
	erase_head(test, ctx, 0);
	erase_head(test, ctx, 1);
}

static void mirvol_test_add_check(struct kunit *test)
{
	struct io_ctx *ctx = test->priv;
	struct mirvol_op_info info;
	struct mirvol_volume *vol;
	enum mirvol_reason reason;
	unsigned int ops;
	u64 op_id = 0;
	sector_t size;

	io_create(test, "kunit-addchk", 1, true, NULL);
	vol = ctx->vol;
	check_head_fill(test, ctx, 1, 0xadd1);
	ops = mirvol_op_list(NULL, 0);
	flush_mirvol_works();	/* the volume's own uevents sent */
	check_uevents = 0;
	WRITE_ONCE(mirvol_kunit_uevent_hook, check_uevent_hook);

	/* One the kernel takes: NONE, the volume and the device untouched. */
	KUNIT_EXPECT_EQ(test, mirvol_add_plex_check(vol, ctx->ram[1]),
			MIRVOL_R_NONE);
	mutex_lock(&vol->lock);
	KUNIT_EXPECT_EQ(test, vol->nr_plexes, 1U);
	KUNIT_EXPECT_NULL(test, vol->plexes[1]);
	KUNIT_EXPECT_NULL(test, vol->op);
	mutex_unlock(&vol->lock);
	KUNIT_EXPECT_EQ(test, READ_ONCE(vol->op_id), 0ULL);
	KUNIT_EXPECT_EQ(test, mirvol_op_list(NULL, 0), ops);
	KUNIT_EXPECT_EQ(test, check_uevents, 0U);
	check_head_kept(test, ctx, 1, 0xadd1, "add check");

	/* Refusals: the real call's reason, and nothing changed. */
	KUNIT_EXPECT_EQ(test, mirvol_add_plex_check(vol, ctx->ram[0]),
			MIRVOL_R_DEVICE_BUSY);
	KUNIT_EXPECT_EQ(test, mirvol_add_plex(vol, ctx->ram[0], NULL, false,
					      &op_id), MIRVOL_R_DEVICE_BUSY);
	KUNIT_EXPECT_EQ(test, mirvol_add_plex_check(vol, ctx->vfile),
			MIRVOL_R_INVALID_OPERATION);
	KUNIT_EXPECT_EQ(test, mirvol_add_plex(vol, ctx->vfile, NULL, false,
					      &op_id), MIRVOL_R_INVALID_OPERATION);
	KUNIT_EXPECT_EQ(test, op_id, 0ULL);
	/*
	 * Found once the device is open (the commit's check): too small
	 * for a volume made to look larger than the device.
	 */
	mutex_lock(&vol->lock);
	size = vol->size;
	vol->size = bdev_nr_sectors(rbdev(ctx, 1));
	mutex_unlock(&vol->lock);
	KUNIT_EXPECT_EQ(test, mirvol_add_plex_check(vol, ctx->ram[1]),
			MIRVOL_R_SOURCE_TOO_SMALL);
	KUNIT_EXPECT_EQ(test, mirvol_add_plex(vol, ctx->ram[1], NULL, false,
					      &op_id),
			MIRVOL_R_SOURCE_TOO_SMALL);
	mutex_lock(&vol->lock);
	vol->size = size;
	mutex_unlock(&vol->lock);
	WRITE_ONCE(mirvol_kunit_uevent_hook, NULL);
	KUNIT_EXPECT_EQ(test, check_uevents, 0U);
	mutex_lock(&vol->lock);
	KUNIT_EXPECT_EQ(test, vol->nr_plexes, 1U);
	KUNIT_EXPECT_NULL(test, vol->op);
	mutex_unlock(&vol->lock);
	KUNIT_EXPECT_EQ(test, mirvol_op_list(NULL, 0), ops);
	check_head_kept(test, ctx, 1, 0xadd1, "add check refused");

	/* The real add of what the check took goes through. */
	reason = mirvol_add_plex(vol, ctx->ram[1], NULL, false, &op_id);
	KUNIT_ASSERT_EQ(test, reason, MIRVOL_R_NONE);
	KUNIT_ASSERT_EQ(test, mirvol_op_wait(op_id, 60000, &info),
			MIRVOL_R_NONE);
	KUNIT_EXPECT_EQ(test, info.state, (u32)MIRVOL_OPS_SUCCEEDED);
	KUNIT_EXPECT_EQ(test, vol->nr_plexes, 2U);
}

static struct kunit_case mirvol_io_cases[] = {
	KUNIT_CASE(mirvol_test_bitmap_default_region),
	KUNIT_CASE(mirvol_test_bitmap_mark_clear),
	KUNIT_CASE(mirvol_test_bitmap_loaded_not_everywhere),
	KUNIT_CASE(mirvol_test_bitmap_clear_race),
	KUNIT_CASE(mirvol_test_bitmap_write_waits_clear),
	KUNIT_CASE(mirvol_test_bitmap_set_lost),
	KUNIT_CASE(mirvol_test_bitmap_lost_retried),
	KUNIT_CASE(mirvol_test_bitmap_lost_gone_same_update),
	KUNIT_CASE(mirvol_test_bitmap_lost_missing_same_update),
	KUNIT_CASE(mirvol_test_bitmap_lost_unrecorded),
	KUNIT_CASE(mirvol_test_bitmap_lost_promoted),
	KUNIT_CASE(mirvol_test_bitmap_lost_recorded_then_failed),
	KUNIT_CASE(mirvol_test_bitmap_lost_taker_failed),
	KUNIT_CASE(mirvol_test_bitmap_clear_lost),
	KUNIT_CASE(mirvol_test_bitmap_merge_split),
	KUNIT_CASE(mirvol_test_bitmap_merge_fails),
	KUNIT_CASE(mirvol_test_bitmap_keeps_hot_set),
	KUNIT_CASE(mirvol_test_bitmap_budget),
	KUNIT_CASE(mirvol_test_bitmap_idle_clears_all),
	KUNIT_CASE(mirvol_test_bitmap_clear_plex_leaves),
	KUNIT_CASE(mirvol_test_bitmap_syncing_flap_readd),
	KUNIT_CASE(mirvol_test_bitmap_syncing_offline_online),
	KUNIT_CASE(mirvol_test_bitmap_old_image_rejoin),
	KUNIT_CASE(mirvol_test_bitmap_set_volume_added_readd),
	KUNIT_CASE(mirvol_test_offline_online),
	KUNIT_CASE(mirvol_test_return_update_fails),
	KUNIT_CASE(mirvol_test_set_volume),
	KUNIT_CASE(mirvol_test_set_volume_io_error),
	KUNIT_CASE(mirvol_test_set_volume_io_error_partial),
	KUNIT_CASE(mirvol_test_set_volume_flush_lost),
	KUNIT_CASE(mirvol_test_set_plex_io_error),
	KUNIT_CASE(mirvol_test_rename_io_error),
	KUNIT_CASE(mirvol_test_fail_offline_io_error),
	KUNIT_CASE(mirvol_test_replace),
	KUNIT_CASE(mirvol_test_suspend_vs_last_close),

	KUNIT_CASE(mirvol_test_write_fan_out),
	KUNIT_CASE(mirvol_test_read_balance_uses_all),
	KUNIT_CASE(mirvol_test_read_learn_write_mostly),
	KUNIT_CASE(mirvol_test_read_retry),
	KUNIT_CASE(mirvol_test_read_errors_fail_plex),
	KUNIT_CASE(mirvol_test_read_repair_fails_plex),
	KUNIT_CASE(mirvol_test_write_error),
	KUNIT_CASE(mirvol_test_write_no_writable_plex),
	KUNIT_CASE(mirvol_test_write_reserve_progress),
	KUNIT_CASE(mirvol_test_chained_write_error),
	KUNIT_CASE(mirvol_test_write_notsupp_fails_plex),
	KUNIT_CASE(mirvol_test_sb_write_error),
	KUNIT_CASE(mirvol_test_sb_write_error_assemble),
	KUNIT_CASE(mirvol_test_resync),
	KUNIT_CASE(mirvol_test_resync_end_flush_fails),
	KUNIT_CASE(mirvol_test_sb_retry_keeps_slot),
	KUNIT_CASE(mirvol_test_sb_retry_last_keeps_slot),
	KUNIT_CASE(mirvol_test_discard),
	KUNIT_CASE(mirvol_test_discard_error_keeps_plex),
	KUNIT_CASE(mirvol_test_wz_refused_records_gone),
	KUNIT_CASE(mirvol_test_misaligned_refused),
	KUNIT_CASE(mirvol_test_misaligned_after_restack),
	KUNIT_CASE(mirvol_test_superblocks),
	KUNIT_CASE(mirvol_test_busy_remove),
	KUNIT_CASE(mirvol_test_remove_wipe_fails),
	KUNIT_CASE(mirvol_test_remove_failed_plex_wipe_fails),
	KUNIT_CASE(mirvol_test_remove_plex_wipe_fails),
	KUNIT_CASE(mirvol_test_replace_wipe_fails),
	KUNIT_CASE(mirvol_test_resync_mixed_checkpoints),
	KUNIT_CASE(mirvol_test_last_plex_kept_on_read_errors),
	KUNIT_CASE(mirvol_test_read_syncing_fallback),
	KUNIT_CASE(mirvol_test_read_syncing_short),
	KUNIT_CASE(mirvol_test_read_syncing_behind),
	KUNIT_CASE(mirvol_test_read_syncing_gone),
	KUNIT_CASE(mirvol_test_read_syncing_resync),
	KUNIT_CASE(mirvol_test_read_syncing_salvage),
	KUNIT_CASE(mirvol_test_inject_remapped),
	KUNIT_CASE(mirvol_test_resync_source_read_error),
	KUNIT_CASE(mirvol_test_resync_force_ahead_target),
	KUNIT_CASE(mirvol_test_force_zero_offline),
	KUNIT_CASE(mirvol_test_repair_offline),
	KUNIT_CASE(mirvol_test_corrected_reads_keep_plex),
	KUNIT_CASE(mirvol_test_read_disjoint_bad),
	KUNIT_CASE(mirvol_test_read_disjoint_bad_swapped),
	KUNIT_CASE(mirvol_test_read_bad_everywhere),
	KUNIT_CASE(mirvol_test_read_salvage_sticky),
	KUNIT_CASE(mirvol_test_read_salvage_repair_counts_once),
	KUNIT_CASE(mirvol_test_readahead_errors_keep_plexes),
	KUNIT_CASE(mirvol_test_read_salvage_three),
	KUNIT_CASE(mirvol_test_read_salvage_three_bad_on_two),
	KUNIT_CASE(mirvol_test_read_salvage_plex_fails),
	KUNIT_CASE(mirvol_test_read_salvage_plex_gone),
	KUNIT_CASE(mirvol_test_read_salvage_reader_fails),
	KUNIT_CASE(mirvol_test_read_salvage_reader_gone),
	KUNIT_CASE(mirvol_test_read_salvage_lost_fails),
	KUNIT_CASE(mirvol_test_read_salvage_lost_gone),
	KUNIT_CASE(mirvol_test_read_salvage_promoted),
	KUNIT_CASE(mirvol_test_repair_small_buffer),
	KUNIT_CASE(mirvol_test_stop_during_read_repair),
	KUNIT_CASE(mirvol_test_stop_during_salvage),
	KUNIT_CASE(mirvol_test_start_fails_repair_queued),
	KUNIT_CASE(mirvol_test_sync_bioset_reserve),
	KUNIT_CASE(mirvol_test_check_repair),
	KUNIT_CASE(mirvol_test_repair_refused_while_syncing),
	KUNIT_CASE(mirvol_test_read_repair_lost_write),
	KUNIT_CASE(mirvol_test_read_repair_nomem_counts_nothing),
	KUNIT_CASE(mirvol_test_read_repair_slot_refilled),
	KUNIT_CASE(mirvol_test_repair_source_unreadable),
	KUNIT_CASE(mirvol_test_check_unreadable),
	KUNIT_CASE(mirvol_test_check_read_errors_covered),
	KUNIT_CASE(mirvol_test_check_read_errors_partial),
	KUNIT_CASE(mirvol_test_read_repair_waits_scrub),
	KUNIT_CASE(mirvol_test_op_abort_reserved),
	KUNIT_CASE(mirvol_test_op_cancel_reserved),
	KUNIT_CASE(mirvol_test_op_refused_not_kept),
	KUNIT_CASE(mirvol_test_op_kept_by_end),
	KUNIT_CASE(mirvol_test_failed_start_uevent),
	KUNIT_CASE(mirvol_test_assemble_start_fails),
	KUNIT_CASE(mirvol_test_assemble_stale_fails_at_start),
	KUNIT_CASE(mirvol_test_assemble_member_vanishes),
	KUNIT_CASE(mirvol_test_set_plex_waiting),
	KUNIT_CASE(mirvol_test_offline_incremental),
	KUNIT_CASE(mirvol_test_offline_unplugged),
	KUNIT_CASE(mirvol_test_offline_old_image_back),
	KUNIT_CASE(mirvol_test_offline_alone),
	KUNIT_CASE(mirvol_test_offline_held_marks),
	KUNIT_CASE(mirvol_test_offline_remark_keeps_mark),
	KUNIT_CASE(mirvol_test_assemble_update_fails_opened),
	KUNIT_CASE(mirvol_test_assemble_update_fails_member),
	KUNIT_CASE(mirvol_test_start_fails_io_in_flight),
	KUNIT_CASE(mirvol_test_safe_mode_vs_failed_start),
	KUNIT_CASE(mirvol_test_readd_races_stop),
	KUNIT_CASE(mirvol_test_plex_refs),
	KUNIT_CASE(mirvol_test_last_in_sync_gone),
	KUNIT_CASE(mirvol_test_last_in_sync_back_rewinds),
	KUNIT_CASE(mirvol_test_last_in_sync_back_no_write_cache),
	KUNIT_CASE(mirvol_test_last_in_sync_back_after_stop),
	KUNIT_CASE(mirvol_test_last_in_sync_flush_lost),
	KUNIT_CASE(mirvol_test_last_in_sync_user_flush_fails),
	KUNIT_CASE(mirvol_test_assemble_plain_keeps_others),
	KUNIT_CASE(mirvol_test_assemble_member_final_vs_start),
	KUNIT_CASE(mirvol_test_add_after_failed_update),
	KUNIT_CASE(mirvol_test_rejoin_after_failed_update),
	KUNIT_CASE(mirvol_test_rewind_partial),
	KUNIT_CASE(mirvol_test_rewind_partial_skipping),
	KUNIT_CASE(mirvol_test_write_waits_failure_recorded),
	KUNIT_CASE(mirvol_test_write_ok_when_completed),
	KUNIT_CASE(mirvol_test_wq_release_vs_worker),
	KUNIT_CASE(mirvol_test_dead_waits_sb_writer),
	KUNIT_CASE(mirvol_test_dead_unlinks_before_suspend),
	KUNIT_CASE(mirvol_test_dirty_retry_after_failure),
	KUNIT_CASE(mirvol_test_dirty_wait_after_clean),
	KUNIT_CASE(mirvol_test_promotion_keeps_failure),
	KUNIT_CASE(mirvol_test_cancel_after_change),
	KUNIT_CASE(mirvol_test_cancel_after_promotion),
	KUNIT_CASE(mirvol_test_cancel_before_promotion),
	KUNIT_CASE(mirvol_test_rewind_ahead_partial),
	KUNIT_CASE(mirvol_test_rewind_in_flight),
	KUNIT_CASE(mirvol_test_write_fails_without_record),
	KUNIT_CASE(mirvol_test_write_deferred_after_splice),
	KUNIT_CASE(mirvol_test_cancel_add_keeps_missing),
	KUNIT_CASE(mirvol_test_cancel_add_flapped),
	KUNIT_CASE(mirvol_test_cancel_add_only_in_sync),
	KUNIT_CASE(mirvol_test_cancel_add_refused_then_removed),
	KUNIT_CASE(mirvol_test_cancel_add_removed_while_cancelling),
	KUNIT_CASE(mirvol_test_replace_new_fails_at_end),
	KUNIT_CASE(mirvol_test_replace_new_flapped),
	KUNIT_CASE(mirvol_test_cancel_as_it_ends),
	KUNIT_CASE(mirvol_test_reboot_marks_clean),
	KUNIT_CASE(mirvol_test_reboot_marks_clean_no_safe_mode),
	KUNIT_CASE(mirvol_test_reboot_vs_remove),
	KUNIT_CASE(mirvol_test_add_from_volume_update_fails),
	KUNIT_CASE(mirvol_test_merge_update_fails),
	KUNIT_CASE(mirvol_test_merge_restore_fails),
	KUNIT_CASE(mirvol_test_break_update_fails),
	KUNIT_CASE(mirvol_test_remove_plex_update_fails),
	KUNIT_CASE(mirvol_test_break_forget_update_fails),
	KUNIT_CASE(mirvol_test_break_new_sb_fails),
	KUNIT_CASE(mirvol_test_break_start_fails),
	KUNIT_CASE(mirvol_test_break_device_goes_before_fill),
	KUNIT_CASE(mirvol_test_break_undo_rewrite_fails),
	KUNIT_CASE(mirvol_test_break_restack_fails),
	KUNIT_CASE(mirvol_test_break_undo_join_untracked),
	KUNIT_CASE(mirvol_test_break_no_open_unfilled),
	KUNIT_CASE_PARAM(mirvol_test_break_pause_adds_no_disk, pause_gen_params),
	KUNIT_CASE(mirvol_test_add_target_offline),
	KUNIT_CASE(mirvol_test_replace_target_offline),
	KUNIT_CASE(mirvol_test_merge_target_offline),
	KUNIT_CASE(mirvol_test_add_target_offline_first),
	KUNIT_CASE(mirvol_test_add_target_failed_first),
	KUNIT_CASE(mirvol_test_merge_target_offline_first),
	KUNIT_CASE(mirvol_test_merge_keeps_data_offset),
	KUNIT_CASE(mirvol_test_merge_write_before_kill),
	KUNIT_CASE(mirvol_test_merge_low_data_offset),
	KUNIT_CASE(mirvol_test_merge_not_pair_first),
	KUNIT_CASE(mirvol_test_split_peer_removed),
	KUNIT_CASE(mirvol_test_split_peer_dissolved),
	KUNIT_CASE(mirvol_test_bitmap_add_no_room),
	KUNIT_CASE(mirvol_test_bitmap_no_room_rejoin),
	KUNIT_CASE(mirvol_test_resync_target_offline),
	KUNIT_CASE(mirvol_test_offline_after_promotion),
	KUNIT_CASE(mirvol_test_readd_missing_sb_fails),
	KUNIT_CASE(mirvol_test_readd_missing_dev_goes),
	KUNIT_CASE(mirvol_test_ctl_sysfs_speed_vs_set_volume),
	KUNIT_CASE(mirvol_test_ctl_sysfs_speed_no_sb_mutex),
	KUNIT_CASE(mirvol_test_ctl_sysfs_speed_bounds),
	KUNIT_CASE(mirvol_test_ctl_create_reply_name),
	KUNIT_CASE(mirvol_test_break_freeze_other_device),
	KUNIT_CASE(mirvol_test_ctl_rename_name_taken),
	KUNIT_CASE(mirvol_test_ctl_online_io_error_op_id),
	KUNIT_CASE(mirvol_test_join_after_failed_update),
	KUNIT_CASE(mirvol_test_add_plex_shown_after_resume),
	KUNIT_CASE(mirvol_test_cancel_add_shown_after_resume),
	KUNIT_CASE(mirvol_test_replace_shown_after_resume),
	KUNIT_CASE(mirvol_test_rejoin_shown_after_resume),
	KUNIT_CASE(mirvol_test_break_freeze_noio),
	KUNIT_CASE(mirvol_test_failnth_create),
	KUNIT_CASE(mirvol_test_failnth_add_plex),
	KUNIT_CASE(mirvol_test_failnth_remove),
	KUNIT_CASE(mirvol_test_create_check),
	KUNIT_CASE(mirvol_test_add_check),
	{}
};

static struct kunit_suite mirvol_io_suite = {
	.name = "mirvol-io",
	.init = mirvol_io_init_test,
	.exit = mirvol_io_exit_test,
	.test_cases = mirvol_io_cases,
};

kunit_test_suite(mirvol_io_suite);
