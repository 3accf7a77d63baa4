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

static void mirvol_test_nested_raise(struct kunit *test)
{
	struct mirvol_barrier b;

	KUNIT_ASSERT_EQ(test, mirvol_barrier_init(&b), 0);
	/* Two raisers (resync and a repair) stack; writes wait for both. */
	mirvol_barrier_raise(&b, 9);
	mirvol_barrier_raise(&b, 9);
	mirvol_barrier_lower(&b, 9);
	KUNIT_EXPECT_FALSE(test, mirvol_barrier_try_enter(&b, 9));
	mirvol_barrier_lower(&b, 9);
	KUNIT_EXPECT_TRUE(test, mirvol_barrier_try_enter(&b, 9));
	mirvol_barrier_exit_io(&b, 9);
	mirvol_barrier_exit(&b);
}

static struct kunit_case mirvol_barrier_cases[] = {
	KUNIT_CASE(mirvol_test_unit_math),
	KUNIT_CASE(mirvol_test_raise_blocks_writes),
	KUNIT_CASE(mirvol_test_raise_waits_for_pending),
	KUNIT_CASE(mirvol_test_nested_raise),
	{}
};

static struct kunit_suite mirvol_barrier_suite = {
	.name = "mirvol-barrier",
	.test_cases = mirvol_barrier_cases,
};

kunit_test_suite(mirvol_barrier_suite);
