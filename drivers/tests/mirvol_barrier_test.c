// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for mirvol's resync region locking (mirvol_barrier.c):
 * a raised barrier holds writes of its bucket back and waits for the
 * writes in flight there; other buckets are not affected.
 *
 * Copyright (C) 2026 The mirvol authors
 */
#include <kunit/test.h>
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/kthread.h>

#include "mirvol_barrier.h"

struct barrier_ctx {
	struct mirvol_barrier *b;
	unsigned int idx;
	struct completion started;
	struct completion done;
	atomic_t passed;
};

static void ctx_init(struct barrier_ctx *ctx, struct mirvol_barrier *b,
		     unsigned int idx)
{
	ctx->b = b;
	ctx->idx = idx;
	init_completion(&ctx->started);
	init_completion(&ctx->done);
	atomic_set(&ctx->passed, 0);
}

static int writer_fn(void *data)
{
	struct barrier_ctx *ctx = data;

	complete(&ctx->started);
	mirvol_barrier_enter(ctx->b, ctx->idx);
	atomic_set(&ctx->passed, 1);
	complete(&ctx->done);
	return 0;
}

static int raiser_fn(void *data)
{
	struct barrier_ctx *ctx = data;

	complete(&ctx->started);
	mirvol_barrier_raise(ctx->b, ctx->idx);
	atomic_set(&ctx->passed, 1);
	complete(&ctx->done);
	return 0;
}

static void mirvol_test_unit_math(struct kunit *test)
{
	const sector_t unit = MIRVOL_BARRIER_UNIT_SECTORS;

	KUNIT_EXPECT_EQ(test, mirvol_barrier_unit_end(0), unit);
	KUNIT_EXPECT_EQ(test, mirvol_barrier_unit_end(unit - 1), unit);
	KUNIT_EXPECT_EQ(test, mirvol_barrier_unit_end(unit), 2 * unit);
	KUNIT_EXPECT_EQ(test, mirvol_barrier_idx(0),
			mirvol_barrier_idx(unit - 1));
	KUNIT_EXPECT_LT(test, mirvol_barrier_idx(~(sector_t)0),
			MIRVOL_BARRIER_BUCKETS);
}

static void mirvol_test_raise_blocks_writes(struct kunit *test)
{
	struct mirvol_barrier b;
	struct barrier_ctx ctx;
	struct task_struct *t;
	unsigned int other = 7;

	KUNIT_ASSERT_EQ(test, mirvol_barrier_init(&b), 0);
	ctx_init(&ctx, &b, 3);
	mirvol_barrier_raise(&b, 3);	/* nothing pending: immediate */
	KUNIT_EXPECT_FALSE(test, mirvol_barrier_try_enter(&b, 3));
	/* Another bucket is not locked. */
	KUNIT_EXPECT_TRUE(test, mirvol_barrier_try_enter(&b, other));
	mirvol_barrier_exit_io(&b, other);

	t = kthread_run(writer_fn, &ctx, "mirvol-test-writer");
	KUNIT_ASSERT_FALSE(test, IS_ERR(t));
	wait_for_completion(&ctx.started);
	msleep(100);
	KUNIT_EXPECT_EQ(test, atomic_read(&ctx.passed), 0);
	mirvol_barrier_lower(&b, 3);
	KUNIT_EXPECT_GT(test, wait_for_completion_timeout(&ctx.done, 5 * HZ),
			0UL);
	KUNIT_EXPECT_EQ(test, atomic_read(&ctx.passed), 1);
	mirvol_barrier_exit_io(&b, 3);
	KUNIT_EXPECT_EQ(test, atomic_read(&b.nr_pending[3]), 0);
	mirvol_barrier_exit(&b);
}

static void mirvol_test_raise_waits_for_pending(struct kunit *test)
{
	struct mirvol_barrier b;
	struct barrier_ctx ctx;
	struct task_struct *t;

	KUNIT_ASSERT_EQ(test, mirvol_barrier_init(&b), 0);
	ctx_init(&ctx, &b, 5);
	mirvol_barrier_enter(&b, 5);	/* a write in flight */
	t = kthread_run(raiser_fn, &ctx, "mirvol-test-raiser");
	KUNIT_ASSERT_FALSE(test, IS_ERR(t));
	wait_for_completion(&ctx.started);
	msleep(100);
	/* The copy may not start while the write is in flight... */
	KUNIT_EXPECT_EQ(test, atomic_read(&ctx.passed), 0);
	/* ...and new writes to the bucket are already held back. */
	KUNIT_EXPECT_FALSE(test, mirvol_barrier_try_enter(&b, 5));
	mirvol_barrier_exit_io(&b, 5);
	KUNIT_EXPECT_GT(test, wait_for_completion_timeout(&ctx.done, 5 * HZ),
			0UL);
	KUNIT_EXPECT_EQ(test, atomic_read(&ctx.passed), 1);
	mirvol_barrier_lower(&b, 5);
	KUNIT_EXPECT_TRUE(test, mirvol_barrier_try_enter(&b, 5));
	mirvol_barrier_exit_io(&b, 5);
	mirvol_barrier_exit(&b);
}

/*
 * Raisers exclude each other: a resync batch, a scrub chunk and a read
 * repair each read some plexes and write others, so two in one bucket at
 * once could each overwrite what the other had just read (a read repair
 * and a scrub repair swapping two differing plexes' data).  A second
 * raiser waits until the first lowers; writes wait for both.
 */
static void mirvol_test_raise_exclusive(struct kunit *test)
{
	struct mirvol_barrier b;
	struct barrier_ctx ctx;
	struct task_struct *t;

	KUNIT_ASSERT_EQ(test, mirvol_barrier_init(&b), 0);
	ctx_init(&ctx, &b, 9);
	mirvol_barrier_raise(&b, 9);
	t = kthread_run(raiser_fn, &ctx, "mirvol-test-raiser");
	KUNIT_ASSERT_FALSE(test, IS_ERR(t));
	wait_for_completion(&ctx.started);
	msleep(100);
	KUNIT_EXPECT_EQ_MSG(test, atomic_read(&ctx.passed), 0,
			    "a second raiser got in while the first held the bucket");
	/* Another bucket is not held by it. */
	mirvol_barrier_raise(&b, 10);
	mirvol_barrier_lower(&b, 10);
	mirvol_barrier_lower(&b, 9);
	KUNIT_EXPECT_GT(test, wait_for_completion_timeout(&ctx.done, 5 * HZ),
			0UL);
	KUNIT_EXPECT_EQ(test, atomic_read(&ctx.passed), 1);
	/* The second raiser holds the bucket now: writes still wait. */
	KUNIT_EXPECT_FALSE(test, mirvol_barrier_try_enter(&b, 9));
	mirvol_barrier_lower(&b, 9);
	KUNIT_EXPECT_TRUE(test, mirvol_barrier_try_enter(&b, 9));
	mirvol_barrier_exit_io(&b, 9);
	mirvol_barrier_exit(&b);
}

/*
 * Writes that waited for a raiser go before the next raiser, which then
 * waits for them to complete.
 */
static void mirvol_test_raise_after_waiting_writes(struct kunit *test)
{
	struct barrier_ctx wctx, rctx;
	struct mirvol_barrier b;
	struct task_struct *t;
	unsigned long went;

	KUNIT_ASSERT_EQ(test, mirvol_barrier_init(&b), 0);
	ctx_init(&wctx, &b, 11);
	ctx_init(&rctx, &b, 11);
	mirvol_barrier_raise(&b, 11);
	t = kthread_run(writer_fn, &wctx, "mirvol-test-writer");
	KUNIT_ASSERT_FALSE(test, IS_ERR(t));
	wait_for_completion(&wctx.started);
	msleep(100);
	t = kthread_run(raiser_fn, &rctx, "mirvol-test-raiser");
	KUNIT_ASSERT_FALSE(test, IS_ERR(t));
	wait_for_completion(&rctx.started);
	msleep(100);
	KUNIT_EXPECT_EQ(test, atomic_read(&wctx.passed), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&rctx.passed), 0);
	mirvol_barrier_lower(&b, 11);
	/* The waiting write goes on; the raiser waits for it. */
	went = wait_for_completion_timeout(&wctx.done, 5 * HZ);
	KUNIT_EXPECT_GT(test, went, 0UL);
	if (went) {
		msleep(100);
		KUNIT_EXPECT_EQ(test, atomic_read(&rctx.passed), 0);
		mirvol_barrier_exit_io(&b, 11);
	}
	KUNIT_EXPECT_GT(test, wait_for_completion_timeout(&rctx.done, 5 * HZ),
			0UL);
	KUNIT_EXPECT_FALSE(test, mirvol_barrier_try_enter(&b, 11));
	mirvol_barrier_lower(&b, 11);
	if (!went) {
		/* Not to leave the writer on a freed stack. */
		wait_for_completion(&wctx.done);
		mirvol_barrier_exit_io(&b, 11);
	}
	KUNIT_EXPECT_TRUE(test, mirvol_barrier_try_enter(&b, 11));
	mirvol_barrier_exit_io(&b, 11);
	mirvol_barrier_exit(&b);
}

static struct kunit_case mirvol_barrier_cases[] = {
	KUNIT_CASE(mirvol_test_unit_math),
	KUNIT_CASE(mirvol_test_raise_blocks_writes),
	KUNIT_CASE(mirvol_test_raise_waits_for_pending),
	KUNIT_CASE(mirvol_test_raise_exclusive),
	KUNIT_CASE(mirvol_test_raise_after_waiting_writes),
	{}
};

static struct kunit_suite mirvol_barrier_suite = {
	.name = "mirvol-barrier",
	.test_cases = mirvol_barrier_cases,
};

kunit_test_suite(mirvol_barrier_suite);
