// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for mirvol's pure logic: names and arguments, plex and
 * volume states, the refusal rules of break/remove/add-plex, read
 * balancing and assembly planning.
 *
 * Copyright (C) 2026 The mirvol authors
 */
#include <kunit/test.h>
#include <linux/bitmap.h>
#include <linux/string.h>

#include "mirvol_logic.h"
#include "mirvol_sb_codec.h"

/* ---- names ---- */

struct name_case {
	const char *name;
	bool valid;
};

static const struct name_case name_cases[] = {
	{ "a", true },
	{ "data", true },
	{ "Vol_1.backup-2", true },
	{ "0123456789012345678901234567890123456789012345678901234567890ab",
	  true },		/* 63 characters */
	{ "0123456789012345678901234567890123456789012345678901234567890abc",
	  false },		/* 64 characters */
	{ "", false },
	{ ".", false },
	{ "..", false },
	{ "with space", false },
	{ "slash/name", false },
	{ "tab\tname", false },
	{ "ümlaut", false },
	{ "semi;colon", false },
};

static void name_case_desc(const struct name_case *c, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "\"%.40s\" %s", c->name,
		 c->valid ? "valid" : "invalid");
}

KUNIT_ARRAY_PARAM(name, name_cases, name_case_desc);

static void mirvol_test_name(struct kunit *test)
{
	const struct name_case *c = test->param_value;
	char buf[MIRVOL_NAME_LEN + 8] = {};

	strscpy(buf, c->name, sizeof(buf));
	KUNIT_EXPECT_EQ(test, mirvol_name_valid(buf, MIRVOL_NAME_LEN), c->valid);
}

/*
 * A name a volume is given must not end in "-part<digits>": udev links
 * partition N of volume NAME as /dev/mirvol/NAME-partN.  A superblock's
 * name is only mirvol_name_valid(): a volume named so already assembles.
 */
static const struct name_case new_name_cases[] = {
	{ "data", true },
	{ "data-part", true },
	{ "data-partx", true },
	{ "data-part1x", true },
	{ "data-parts1", true },
	{ "data_part1", true },
	{ "part1", true },
	{ "data-part1", false },
	{ "data-part007", false },
	{ "a-part-part42", false },
	{ "-part1", false },
	{ "bad name", false },
	{ "", false },
};

KUNIT_ARRAY_PARAM(new_name, new_name_cases, name_case_desc);

static void mirvol_test_new_name(struct kunit *test)
{
	const struct name_case *c = test->param_value;
	char buf[MIRVOL_NAME_LEN] = {};

	strscpy(buf, c->name, sizeof(buf));
	KUNIT_EXPECT_EQ(test, mirvol_name_new_valid(buf, sizeof(buf)),
			c->valid);
	/* The other rules stay: a reserved name is a valid stored one. */
	if (!c->valid && c->name[0] && !strchr(c->name, ' '))
		KUNIT_EXPECT_TRUE(test, mirvol_name_valid(buf, sizeof(buf)));
}

static void mirvol_test_name_unterminated(struct kunit *test)
{
	char buf[MIRVOL_NAME_LEN];

	memset(buf, 'a', sizeof(buf));
	KUNIT_EXPECT_FALSE(test, mirvol_name_valid(buf, sizeof(buf)));
	/* Shorter buffers are bounded by their own length. */
	KUNIT_EXPECT_FALSE(test, mirvol_name_valid(buf, 5));
	buf[4] = '\0';
	KUNIT_EXPECT_TRUE(test, mirvol_name_valid(buf, 5));
}

static void mirvol_test_break_name(struct kunit *test)
{
	char out[MIRVOL_NAME_LEN];
	char longname[MIRVOL_NAME_LEN];

	mirvol_break_name(out, "data", 1);
	KUNIT_EXPECT_STREQ(test, out, "data-plex1");
	memset(longname, 'x', MIRVOL_NAME_LEN - 1);
	longname[MIRVOL_NAME_LEN - 1] = '\0';
	mirvol_break_name(out, longname, 7);
	KUNIT_EXPECT_EQ(test, strlen(out), (size_t)MIRVOL_NAME_LEN - 1);
	KUNIT_EXPECT_TRUE(test, mirvol_name_valid(out, sizeof(out)));
	KUNIT_EXPECT_STREQ(test, out + strlen(out) - 6, "-plex7");
}

/* ---- CREATE arguments ---- */

static void create_ok(struct mirvol_create *c, unsigned int n)
{
	unsigned int i;

	memset(c, 0, sizeof(*c));
	strscpy(c->name, "vol", sizeof(c->name));
	c->nr_plexes = n;
	for (i = 0; i < MIRVOL_MAX_PLEXES; i++)
		c->plex_fds[i] = i < n ? 3 + i : -1;
}

static void mirvol_test_create_args(struct kunit *test)
{
	struct mirvol_create c;

	create_ok(&c, 2);
	KUNIT_EXPECT_EQ(test, mirvol_check_create(&c), MIRVOL_R_NONE);
	create_ok(&c, MIRVOL_MAX_PLEXES);
	KUNIT_EXPECT_EQ(test, mirvol_check_create(&c), MIRVOL_R_NONE);

	create_ok(&c, 2);
	c.name[0] = '\0';	/* the kernel picks a name */
	KUNIT_EXPECT_EQ(test, mirvol_check_create(&c), MIRVOL_R_NONE);
	create_ok(&c, 2);
	strscpy(c.name, "data-part2", sizeof(c.name));
	KUNIT_EXPECT_EQ_MSG(test, mirvol_check_create(&c),
			    MIRVOL_R_INVALID_ARGUMENT,
			    "a name /dev/mirvol/data-part2 would share with a partition");

	create_ok(&c, 0);
	KUNIT_EXPECT_EQ(test, mirvol_check_create(&c),
			MIRVOL_R_INVALID_ARGUMENT);
	create_ok(&c, 2);
	c.nr_plexes = MIRVOL_MAX_PLEXES + 1;
	KUNIT_EXPECT_EQ(test, mirvol_check_create(&c),
			MIRVOL_R_TOO_MANY_PLEXES);
	create_ok(&c, 2);
	c.nr_plexes = 0xffffffff;
	KUNIT_EXPECT_EQ(test, mirvol_check_create(&c),
			MIRVOL_R_TOO_MANY_PLEXES);
	create_ok(&c, 2);
	c.hdr.flags = 1U << 7;
	KUNIT_EXPECT_EQ(test, mirvol_check_create(&c),
			MIRVOL_R_INVALID_ARGUMENT);
	create_ok(&c, 2);
	c.hdr.flags = MIRVOL_CREATE_F_CHECK | MIRVOL_CREATE_F_ASSUME_CLEAN;
	KUNIT_EXPECT_EQ(test, mirvol_check_create(&c), MIRVOL_R_NONE);
	create_ok(&c, 2);
	c.hdr.flags = MIRVOL_CREATE_F_NO_BITMAP;
	KUNIT_EXPECT_EQ(test, mirvol_check_create(&c), MIRVOL_R_NONE);
	c.bitmap_region_bytes = 1 << 20;	/* no bitmap, but a region */
	KUNIT_EXPECT_EQ(test, mirvol_check_create(&c),
			MIRVOL_R_INVALID_ARGUMENT);
	create_ok(&c, 2);
	c.bitmap_region_bytes = 1 << 20;
	KUNIT_EXPECT_EQ(test, mirvol_check_create(&c), MIRVOL_R_NONE);
	c.bitmap_region_bytes = 3 << 20;
	KUNIT_EXPECT_EQ(test, mirvol_check_create(&c),
			MIRVOL_R_INVALID_ARGUMENT);
	c.bitmap_region_bytes = 32768;
	KUNIT_EXPECT_EQ(test, mirvol_check_create(&c),
			MIRVOL_R_INVALID_ARGUMENT);
	c.bitmap_region_bytes = 1ULL << 41;
	KUNIT_EXPECT_EQ(test, mirvol_check_create(&c),
			MIRVOL_R_INVALID_ARGUMENT);
	create_ok(&c, 2);
	c.pad = 1;
	KUNIT_EXPECT_EQ(test, mirvol_check_create(&c),
			MIRVOL_R_INVALID_ARGUMENT);
	create_ok(&c, 2);
	c.reserved[2] = 1;
	KUNIT_EXPECT_EQ(test, mirvol_check_create(&c),
			MIRVOL_R_INVALID_ARGUMENT);
	create_ok(&c, 2);
	c.plex_fds[5] = 4;	/* beyond nr_plexes: must be -1 */
	KUNIT_EXPECT_EQ(test, mirvol_check_create(&c),
			MIRVOL_R_INVALID_ARGUMENT);
	create_ok(&c, 2);
	c.plex_fds[1] = -5;
	KUNIT_EXPECT_EQ(test, mirvol_check_create(&c), MIRVOL_R_BAD_FD);
	create_ok(&c, 2);
	memset(c.name, 'n', sizeof(c.name));	/* unterminated */
	KUNIT_EXPECT_EQ(test, mirvol_check_create(&c),
			MIRVOL_R_INVALID_ARGUMENT);
	create_ok(&c, 2);
	strscpy(c.name, "bad name", sizeof(c.name));
	KUNIT_EXPECT_EQ(test, mirvol_check_create(&c),
			MIRVOL_R_INVALID_ARGUMENT);
}

static void mirvol_test_reason_errno(struct kunit *test)
{
	int r;

	KUNIT_EXPECT_EQ(test, mirvol_reason_errno(MIRVOL_R_NONE), 0);
	KUNIT_EXPECT_EQ(test, mirvol_reason_errno(MIRVOL_R_OBJECT_NOT_FOUND),
			-ENOENT);
	KUNIT_EXPECT_EQ(test, mirvol_reason_errno(MIRVOL_R_DEVICE_BUSY),
			-EBUSY);
	KUNIT_EXPECT_EQ(test, mirvol_reason_errno(MIRVOL_R_NAME_EXISTS),
			-EEXIST);
	KUNIT_EXPECT_EQ(test,
			mirvol_reason_errno(MIRVOL_R_ANOTHER_CALL_IN_PROGRESS),
			-EBUSY);
	KUNIT_EXPECT_EQ(test, mirvol_reason_errno(MIRVOL_R_CANCEL_TOO_LATE),
			-EALREADY);
	KUNIT_EXPECT_EQ(test, mirvol_reason_errno(MIRVOL_R_WIPE_FAILED), -EIO);
	KUNIT_EXPECT_EQ(test, mirvol_reason_errno(MIRVOL_R_READ_ONLY_DEVICE),
			-EROFS);
	/* Every reason but NONE is an error. */
	for (r = 1; r < MIRVOL_R_MAX; r++)
		KUNIT_EXPECT_LT(test, mirvol_reason_errno(r), 0);
}

/* ---- states ---- */

static void mirvol_test_transitions(struct kunit *test)
{
	static const unsigned int A = MIRVOL_PLEX_ACTIVE, S = MIRVOL_PLEX_STALE,
		Y = MIRVOL_PLEX_SYNCING, F = MIRVOL_PLEX_FAILED,
		M = MIRVOL_PLEX_MISSING, O = MIRVOL_PLEX_OFFLINE;
	/* allowed[from][to] */
	static const bool allowed[7][7] = {
		[1] = { [F] = true, [M] = true, [Y] = true, [O] = true },
		[2] = { [Y] = true, [F] = true, [M] = true, [O] = true },
		[3] = { [A] = true, [F] = true, [M] = true, [O] = true },
		[4] = { [M] = true, [Y] = true, [S] = true },
		[6] = { [M] = true, [Y] = true, [S] = true },
	};
	unsigned int from, to;

	for (from = 0; from <= MIRVOL_PLEX_OFFLINE; from++)
		for (to = 0; to <= MIRVOL_PLEX_OFFLINE; to++)
			KUNIT_EXPECT_EQ_MSG(test,
				mirvol_plex_transition_valid(from, to),
				allowed[from][to], "%s -> %s",
				mirvol_plex_state_name(from),
				mirvol_plex_state_name(to));
	KUNIT_EXPECT_FALSE(test, mirvol_plex_transition_valid(A, 99));
	KUNIT_EXPECT_FALSE(test, mirvol_plex_transition_valid(99, A));
	KUNIT_EXPECT_FALSE(test, mirvol_plex_transition_valid(S, A));
}

static void mirvol_test_state_predicates(struct kunit *test)
{
	KUNIT_EXPECT_TRUE(test, mirvol_state_readable(MIRVOL_PLEX_ACTIVE));
	KUNIT_EXPECT_FALSE(test, mirvol_state_readable(MIRVOL_PLEX_SYNCING));
	KUNIT_EXPECT_FALSE(test, mirvol_state_readable(MIRVOL_PLEX_STALE));
	KUNIT_EXPECT_TRUE(test, mirvol_state_writable(MIRVOL_PLEX_SYNCING));
	KUNIT_EXPECT_TRUE(test, mirvol_state_writable(MIRVOL_PLEX_STALE));
	KUNIT_EXPECT_FALSE(test, mirvol_state_writable(MIRVOL_PLEX_FAILED));
	KUNIT_EXPECT_FALSE(test, mirvol_state_writable(MIRVOL_PLEX_MISSING));
}

static void mirvol_test_volume_state(struct kunit *test)
{
	unsigned int all[] = { MIRVOL_PLEX_ACTIVE, MIRVOL_PLEX_ACTIVE };
	unsigned int one[] = { MIRVOL_PLEX_ACTIVE, MIRVOL_PLEX_FAILED };
	unsigned int sync[] = { MIRVOL_PLEX_SYNCING, MIRVOL_PLEX_ACTIVE };
	unsigned int none[] = { MIRVOL_PLEX_SYNCING, MIRVOL_PLEX_MISSING };

	KUNIT_EXPECT_EQ(test, mirvol_volume_state_of(all, 2),
			MIRVOL_VOLUME_ONLINE);
	KUNIT_EXPECT_EQ(test, mirvol_volume_state_of(all, 1),
			MIRVOL_VOLUME_ONLINE);
	KUNIT_EXPECT_EQ(test, mirvol_volume_state_of(one, 2),
			MIRVOL_VOLUME_DEGRADED);
	KUNIT_EXPECT_EQ(test, mirvol_volume_state_of(sync, 2),
			MIRVOL_VOLUME_DEGRADED);
	KUNIT_EXPECT_EQ(test, mirvol_volume_state_of(none, 2),
			MIRVOL_VOLUME_FAILED);
	KUNIT_EXPECT_EQ(test, mirvol_volume_state_of(none, 0),
			MIRVOL_VOLUME_FAILED);
}

/* ---- refusal rules ---- */

static void rule_vol(struct mirvol_rule_vol *v, const unsigned int *states,
		     unsigned int n)
{
	unsigned int i;

	memset(v, 0, sizeof(*v));
	for (i = 0; i < n; i++) {
		v->present[i] = true;
		v->states[i] = states[i];
	}
	v->nr_plexes = n;
	v->size = 1 << 20;
	v->state = mirvol_volume_state_of(states, n);
}

static void mirvol_test_plex_action_rules(struct kunit *test)
{
	static const unsigned int aa[] = { MIRVOL_PLEX_ACTIVE,
					   MIRVOL_PLEX_ACTIVE };
	static const unsigned int ay[] = { MIRVOL_PLEX_ACTIVE,
					   MIRVOL_PLEX_SYNCING };
	static const unsigned int ao[] = { MIRVOL_PLEX_ACTIVE,
					   MIRVOL_PLEX_OFFLINE };
	static const unsigned int af[] = { MIRVOL_PLEX_ACTIVE,
					   MIRVOL_PLEX_FAILED };
	static const unsigned int am[] = { MIRVOL_PLEX_ACTIVE,
					   MIRVOL_PLEX_MISSING };
	static const unsigned int fy[] = { MIRVOL_PLEX_FAILED,
					   MIRVOL_PLEX_OFFLINE };
	struct mirvol_rule_vol v;
	unsigned int act;

	/* Fail or offline: any plex taking writes, but the last in sync. */
	for (act = MIRVOL_PLEX_FAIL; act <= MIRVOL_PLEX_TAKE_OFFLINE; act++) {
		rule_vol(&v, aa, 2);
		KUNIT_EXPECT_EQ(test, mirvol_check_plex_action(&v, 1, act,
							       true),
				MIRVOL_R_NONE);
		rule_vol(&v, ay, 2);
		KUNIT_EXPECT_EQ(test, mirvol_check_plex_action(&v, 1, act,
							       true),
				MIRVOL_R_NONE);
		KUNIT_EXPECT_EQ(test, mirvol_check_plex_action(&v, 0, act,
							       true),
				MIRVOL_R_REMAINING_PLEX_STALE);
		rule_vol(&v, af, 2);
		KUNIT_EXPECT_EQ(test, mirvol_check_plex_action(&v, 1, act,
							       true),
				MIRVOL_R_INVALID_OPERATION);
		KUNIT_EXPECT_EQ(test, mirvol_check_plex_action(&v, 2, act,
							       true),
				MIRVOL_R_OBJECT_NOT_FOUND);
	}
	/* Online: an offline plex, with an in-sync one to copy from. */
	rule_vol(&v, ao, 2);
	KUNIT_EXPECT_EQ(test, mirvol_check_plex_action(&v, 1,
			MIRVOL_PLEX_TAKE_ONLINE, true), MIRVOL_R_NONE);
	KUNIT_EXPECT_EQ(test, mirvol_check_plex_action(&v, 0,
			MIRVOL_PLEX_TAKE_ONLINE, true),
			MIRVOL_R_INVALID_OPERATION);
	KUNIT_EXPECT_EQ(test, mirvol_check_plex_action(&v, 1,
			MIRVOL_PLEX_READD, true), MIRVOL_R_INVALID_OPERATION);
	/* Offline, its device absent (assembled without it). */
	KUNIT_EXPECT_EQ(test, mirvol_check_plex_action(&v, 1,
			MIRVOL_PLEX_TAKE_ONLINE, false),
			MIRVOL_R_OBJECT_NOT_FOUND);
	rule_vol(&v, fy, 2);
	KUNIT_EXPECT_EQ(test, mirvol_check_plex_action(&v, 1,
			MIRVOL_PLEX_TAKE_ONLINE, true),
			MIRVOL_R_OBJECT_STATUS_FAILED);
	/* Re-add: failed (own device) or missing (a device given). */
	rule_vol(&v, af, 2);
	KUNIT_EXPECT_EQ(test, mirvol_check_plex_action(&v, 1,
			MIRVOL_PLEX_READD, true), MIRVOL_R_NONE);
	rule_vol(&v, am, 2);
	KUNIT_EXPECT_EQ(test, mirvol_check_plex_action(&v, 1,
			MIRVOL_PLEX_READD, true), MIRVOL_R_NONE);
	KUNIT_EXPECT_EQ(test, mirvol_check_plex_action(&v, 1,
			MIRVOL_PLEX_READD, false),
			MIRVOL_R_INVALID_ARGUMENT);
	KUNIT_EXPECT_EQ(test, mirvol_check_plex_action(&v, 0,
			MIRVOL_PLEX_READD, true), MIRVOL_R_INVALID_OPERATION);
	/* Unknown actions; replace wants a device, any plex. */
	KUNIT_EXPECT_EQ(test, mirvol_check_plex_action(&v, 1, 0, true),
			MIRVOL_R_INVALID_ARGUMENT);
	KUNIT_EXPECT_EQ(test, mirvol_check_plex_action(&v, 1, 99, true),
			MIRVOL_R_INVALID_ARGUMENT);
	KUNIT_EXPECT_EQ(test, mirvol_check_plex_action(&v, 1,
			MIRVOL_PLEX_REPLACE, true), MIRVOL_R_NONE);
	KUNIT_EXPECT_EQ(test, mirvol_check_plex_action(&v, 0,
			MIRVOL_PLEX_REPLACE, true), MIRVOL_R_NONE);
	KUNIT_EXPECT_EQ(test, mirvol_check_plex_action(&v, 1,
			MIRVOL_PLEX_REPLACE, false), MIRVOL_R_INVALID_ARGUMENT);
	/* An offline volume has no plex to act on. */
	rule_vol(&v, aa, 2);
	v.state = MIRVOL_VOLUME_OFFLINE;
	KUNIT_EXPECT_EQ(test, mirvol_check_plex_action(&v, 1,
			MIRVOL_PLEX_FAIL, true), MIRVOL_R_VOLUME_NOT_ONLINE);
}

static void mirvol_test_set_volume_args(struct kunit *test)
{
	struct mirvol_set_volume sv;

	memset(&sv, 0, sizeof(sv));
	KUNIT_EXPECT_EQ(test, mirvol_check_set_volume(&sv),
			MIRVOL_R_INVALID_ARGUMENT);	/* nothing to set */
	sv.hdr.flags = MIRVOL_SET_F_BITMAP;
	KUNIT_EXPECT_EQ(test, mirvol_check_set_volume(&sv), MIRVOL_R_NONE);
	sv.bitmap = 1;
	KUNIT_EXPECT_EQ(test, mirvol_check_set_volume(&sv), MIRVOL_R_NONE);
	sv.bitmap_region_bytes = 1 << 20;
	KUNIT_EXPECT_EQ(test, mirvol_check_set_volume(&sv), MIRVOL_R_NONE);
	sv.bitmap_region_bytes = 100000;
	KUNIT_EXPECT_EQ(test, mirvol_check_set_volume(&sv),
			MIRVOL_R_INVALID_ARGUMENT);
	sv.bitmap_region_bytes = 1 << 20;
	sv.bitmap = 0;			/* a region for no bitmap */
	KUNIT_EXPECT_EQ(test, mirvol_check_set_volume(&sv),
			MIRVOL_R_INVALID_ARGUMENT);
	sv.bitmap = 2;
	sv.bitmap_region_bytes = 0;
	KUNIT_EXPECT_EQ(test, mirvol_check_set_volume(&sv),
			MIRVOL_R_INVALID_ARGUMENT);
	memset(&sv, 0, sizeof(sv));
	sv.hdr.flags = MIRVOL_SET_F_SPEED;
	sv.sync_speed_min = 1000;
	sv.sync_speed_max = 50000;
	KUNIT_EXPECT_EQ(test, mirvol_check_set_volume(&sv), MIRVOL_R_NONE);
	sv.sync_speed_min = 60000;	/* above the maximum */
	KUNIT_EXPECT_EQ(test, mirvol_check_set_volume(&sv),
			MIRVOL_R_INVALID_ARGUMENT);
	sv.sync_speed_max = 0;		/* the default: any floor */
	KUNIT_EXPECT_EQ(test, mirvol_check_set_volume(&sv), MIRVOL_R_NONE);
	sv.bitmap = 1;			/* without SET_F_BITMAP */
	KUNIT_EXPECT_EQ(test, mirvol_check_set_volume(&sv),
			MIRVOL_R_INVALID_ARGUMENT);
	sv.bitmap = 0;
	sv.hdr.flags |= 1U << 5;
	KUNIT_EXPECT_EQ(test, mirvol_check_set_volume(&sv),
			MIRVOL_R_INVALID_ARGUMENT);
	sv.hdr.flags = MIRVOL_SET_F_SPEED;
	sv.reserved[3] = 1;
	KUNIT_EXPECT_EQ(test, mirvol_check_set_volume(&sv),
			MIRVOL_R_INVALID_ARGUMENT);
}

static void mirvol_test_break_rules(struct kunit *test)
{
	static const unsigned int aa[] = { MIRVOL_PLEX_ACTIVE,
					   MIRVOL_PLEX_ACTIVE };
	static const unsigned int af[] = { MIRVOL_PLEX_ACTIVE,
					   MIRVOL_PLEX_FAILED };
	static const unsigned int as[] = { MIRVOL_PLEX_ACTIVE,
					   MIRVOL_PLEX_SYNCING };
	static const unsigned int aaf[] = { MIRVOL_PLEX_ACTIVE,
					    MIRVOL_PLEX_ACTIVE,
					    MIRVOL_PLEX_FAILED };
	static const unsigned int ff[] = { MIRVOL_PLEX_FAILED,
					   MIRVOL_PLEX_FAILED };
	static const unsigned int a[] = { MIRVOL_PLEX_ACTIVE };
	struct mirvol_rule_vol v;

	rule_vol(&v, aa, 2);
	KUNIT_EXPECT_EQ(test, mirvol_check_break(&v, 0), MIRVOL_R_NONE);
	KUNIT_EXPECT_EQ(test, mirvol_check_break(&v, 1), MIRVOL_R_NONE);
	KUNIT_EXPECT_EQ(test, mirvol_check_break(&v, -1),
			MIRVOL_R_OBJECT_NOT_FOUND);
	KUNIT_EXPECT_EQ(test, mirvol_check_break(&v, 5),
			MIRVOL_R_OBJECT_NOT_FOUND);
	KUNIT_EXPECT_EQ(test, mirvol_check_break(&v, 99),
			MIRVOL_R_OBJECT_NOT_FOUND);
	v.busy = true;
	KUNIT_EXPECT_EQ(test, mirvol_check_break(&v, 0),
			MIRVOL_R_ANOTHER_CALL_IN_PROGRESS);
	rule_vol(&v, aa, 2);
	v.boot[1] = true;
	KUNIT_EXPECT_EQ(test, mirvol_check_break(&v, 1), MIRVOL_R_PLEX_IS_BOOT);
	KUNIT_EXPECT_EQ(test, mirvol_check_break(&v, 0), MIRVOL_R_NONE);

	rule_vol(&v, a, 1);
	KUNIT_EXPECT_EQ(test, mirvol_check_break(&v, 0),
			MIRVOL_R_VOLUME_NOT_A_MIRROR);

	/* Degraded volumes are online; the remaining plex must be in sync. */
	rule_vol(&v, af, 2);
	KUNIT_EXPECT_EQ(test, v.state, MIRVOL_VOLUME_DEGRADED);
	KUNIT_EXPECT_EQ(test, mirvol_check_break(&v, 0),
			MIRVOL_R_REMAINING_PLEX_STALE);
	KUNIT_EXPECT_EQ(test, mirvol_check_break(&v, 1),
			MIRVOL_R_PLEX_NOT_IN_SYNC);
	rule_vol(&v, as, 2);
	KUNIT_EXPECT_EQ(test, mirvol_check_break(&v, 0),
			MIRVOL_R_REMAINING_PLEX_STALE);
	KUNIT_EXPECT_EQ(test, mirvol_check_break(&v, 1),
			MIRVOL_R_PLEX_NOT_IN_SYNC);
	rule_vol(&v, aaf, 3);
	KUNIT_EXPECT_EQ(test, mirvol_check_break(&v, 0), MIRVOL_R_NONE);

	rule_vol(&v, ff, 2);
	KUNIT_EXPECT_EQ(test, mirvol_check_break(&v, 0),
			MIRVOL_R_VOLUME_NOT_ONLINE);
	rule_vol(&v, aa, 2);
	v.state = MIRVOL_VOLUME_OFFLINE;
	KUNIT_EXPECT_EQ(test, mirvol_check_break(&v, 0),
			MIRVOL_R_VOLUME_NOT_ONLINE);
}

static void mirvol_test_remove_rules(struct kunit *test)
{
	static const unsigned int af[] = { MIRVOL_PLEX_ACTIVE,
					   MIRVOL_PLEX_FAILED };
	static const unsigned int as[] = { MIRVOL_PLEX_ACTIVE,
					   MIRVOL_PLEX_SYNCING };
	static const unsigned int am[] = { MIRVOL_PLEX_ACTIVE,
					   MIRVOL_PLEX_MISSING };
	static const unsigned int ast[] = { MIRVOL_PLEX_ACTIVE,
					    MIRVOL_PLEX_STALE };
	static const unsigned int a[] = { MIRVOL_PLEX_ACTIVE };
	struct mirvol_rule_vol v;

	/* Any non-in-sync plex may go while an in-sync one remains. */
	rule_vol(&v, af, 2);
	KUNIT_EXPECT_EQ(test, mirvol_check_remove_plex(&v, 1), MIRVOL_R_NONE);
	KUNIT_EXPECT_EQ(test, mirvol_check_remove_plex(&v, 0),
			MIRVOL_R_REMAINING_PLEX_STALE);
	rule_vol(&v, as, 2);
	KUNIT_EXPECT_EQ(test, mirvol_check_remove_plex(&v, 1), MIRVOL_R_NONE);
	rule_vol(&v, am, 2);
	KUNIT_EXPECT_EQ(test, mirvol_check_remove_plex(&v, 1), MIRVOL_R_NONE);
	rule_vol(&v, ast, 2);
	KUNIT_EXPECT_EQ(test, mirvol_check_remove_plex(&v, 1), MIRVOL_R_NONE);
	KUNIT_EXPECT_EQ(test, mirvol_check_remove_plex(&v, 0),
			MIRVOL_R_REMAINING_PLEX_STALE);
	rule_vol(&v, a, 1);
	KUNIT_EXPECT_EQ(test, mirvol_check_remove_plex(&v, 0),
			MIRVOL_R_VOLUME_NOT_A_MIRROR);
	rule_vol(&v, af, 2);
	v.boot[1] = true;
	KUNIT_EXPECT_EQ(test, mirvol_check_remove_plex(&v, 1),
			MIRVOL_R_PLEX_IS_BOOT);
	v.busy = true;
	KUNIT_EXPECT_EQ(test, mirvol_check_remove_plex(&v, 1),
			MIRVOL_R_ANOTHER_CALL_IN_PROGRESS);
}

static void mirvol_test_add_rules(struct kunit *test)
{
	static const unsigned int aa[] = { MIRVOL_PLEX_ACTIVE,
					   MIRVOL_PLEX_ACTIVE };
	static const unsigned int ff[] = { MIRVOL_PLEX_FAILED,
					   MIRVOL_PLEX_FAILED };
	struct mirvol_rule_add a = { .nr_new = 1, .min_size = 1 << 20 };
	struct mirvol_rule_vol v;

	rule_vol(&v, aa, 2);
	KUNIT_EXPECT_EQ(test, mirvol_check_add(&v, &a), MIRVOL_R_NONE);
	a.min_size = (1 << 20) - 8;
	KUNIT_EXPECT_EQ(test, mirvol_check_add(&v, &a),
			MIRVOL_R_SOURCE_TOO_SMALL);
	a.min_size = 1 << 30;	/* larger: accepted, size unchanged */
	KUNIT_EXPECT_EQ(test, mirvol_check_add(&v, &a), MIRVOL_R_NONE);
	a.nr_new = 6;
	KUNIT_EXPECT_EQ(test, mirvol_check_add(&v, &a), MIRVOL_R_NONE);
	a.nr_new = 7;
	KUNIT_EXPECT_EQ(test, mirvol_check_add(&v, &a),
			MIRVOL_R_TOO_MANY_PLEXES);
	/* A missing plex's slot is taken over by a new plex. */
	v.nr_missing = 1;
	KUNIT_EXPECT_EQ(test, mirvol_check_add(&v, &a), MIRVOL_R_NONE);
	v.nr_missing = 0;
	a.nr_new = 1;
	a.is_target = true;
	KUNIT_EXPECT_EQ(test, mirvol_check_add(&v, &a),
			MIRVOL_R_INVALID_OPERATION);
	a.is_target = false;
	a.is_mirvol_dev = true;
	KUNIT_EXPECT_EQ(test, mirvol_check_add(&v, &a),
			MIRVOL_R_INVALID_OPERATION);
	a.is_mirvol_dev = false;
	a.src_open = true;
	KUNIT_EXPECT_EQ(test, mirvol_check_add(&v, &a), MIRVOL_R_DEVICE_BUSY);
	a.src_open = false;
	a.src_busy = true;
	KUNIT_EXPECT_EQ(test, mirvol_check_add(&v, &a),
			MIRVOL_R_ANOTHER_CALL_IN_PROGRESS);
	a.src_busy = false;
	a.lbs_larger = true;
	KUNIT_EXPECT_EQ(test, mirvol_check_add(&v, &a),
			MIRVOL_R_INCOMPATIBLE_DEVICE);
	a.lbs_larger = false;
	a.nr_new = 0;
	KUNIT_EXPECT_EQ(test, mirvol_check_add(&v, &a),
			MIRVOL_R_INVALID_ARGUMENT);
	a.nr_new = 1;
	v.busy = true;
	KUNIT_EXPECT_EQ(test, mirvol_check_add(&v, &a),
			MIRVOL_R_ANOTHER_CALL_IN_PROGRESS);
	rule_vol(&v, ff, 2);
	KUNIT_EXPECT_EQ(test, mirvol_check_add(&v, &a),
			MIRVOL_R_OBJECT_STATUS_FAILED);
	rule_vol(&v, aa, 2);
	v.state = MIRVOL_VOLUME_OFFLINE;
	KUNIT_EXPECT_EQ(test, mirvol_check_add(&v, &a),
			MIRVOL_R_VOLUME_NOT_ONLINE);
}

/* ---- read balancing ---- */

static void mirvol_test_read_sequential(struct kunit *test)
{
	struct mirvol_rb_plex p[3] = {
		{ .readable = true, .pending = 5, .head = 100 },
		{ .readable = true, .pending = 0, .head = 800 },
		{ .readable = true, .pending = 0, .head = 0 },
	};
	unsigned int hint;

	/* A stream continues on its plex, however busy. */
	for (hint = 0; hint < 8; hint++)
		KUNIT_EXPECT_EQ(test, mirvol_read_balance(p, 3, 100, 0, hint),
				0);
	/* Unless that plex was tried already or cannot be read. */
	KUNIT_EXPECT_NE(test, mirvol_read_balance(p, 3, 100, BIT(0), 0), 0);
	p[0].readable = false;
	KUNIT_EXPECT_NE(test, mirvol_read_balance(p, 3, 100, 0, 0), 0);
}

static void mirvol_test_read_least_pending(struct kunit *test)
{
	struct mirvol_rb_plex p[3] = {
		{ .readable = true, .pending = 4, .head = 1 },
		{ .readable = true, .pending = 1, .head = 2 },
		{ .readable = true, .pending = 3, .head = 3 },
	};
	unsigned int hint;

	for (hint = 0; hint < 6; hint++)
		KUNIT_EXPECT_EQ(test, mirvol_read_balance(p, 3, 5000, 0, hint),
				1);
	KUNIT_EXPECT_EQ(test, mirvol_read_balance(p, 3, 5000, BIT(1), 0), 2);
	KUNIT_EXPECT_EQ(test, mirvol_read_balance(p, 3, 5000,
						  BIT(1) | BIT(2), 0), 0);
	KUNIT_EXPECT_EQ(test, mirvol_read_balance(p, 3, 5000, 7, 0), -1);
}

static void mirvol_test_read_spread(struct kunit *test)
{
	/* Slots 2 and 6 in use, idle: ties must alternate evenly. */
	struct mirvol_rb_plex p[MIRVOL_MAX_PLEXES] = {
		[2] = { .readable = true, .head = 1 },
		[6] = { .readable = true, .head = 2 },
	};
	unsigned int hint, count[MIRVOL_MAX_PLEXES] = {};

	for (hint = 0; hint < 1000; hint++) {
		int slot = mirvol_read_balance(p, MIRVOL_MAX_PLEXES,
					       10000 + hint * 8, 0, hint);

		KUNIT_ASSERT_TRUE(test, slot == 2 || slot == 6);
		count[slot]++;
	}
	KUNIT_EXPECT_EQ(test, count[2], 500U);
	KUNIT_EXPECT_EQ(test, count[6], 500U);
}

static void mirvol_test_read_none(struct kunit *test)
{
	struct mirvol_rb_plex p[2] = {
		{ .readable = false }, { .readable = false },
	};

	KUNIT_EXPECT_EQ(test, mirvol_read_balance(p, 2, 0, 0, 0), -1);
	KUNIT_EXPECT_EQ(test, mirvol_read_balance(p, 0, 0, 0, 0), -1);
}

/*
 * A closed-loop simulation of read balancing: @qd reads always in
 * flight on plexes that each serve @depth reads at a time, each taking
 * the plex's latency (a disk, or null_blk with irqmode=2).  Reads are
 * random (no sequential stream); mirvol_rb_complete() learns as the
 * driver does.  Virtual time in ns.
 */
#define RB_SIM_PLEXES	3
#define RB_SIM_QD	32

struct rb_sim {
	unsigned int n, depth, qd;
	unsigned long lat[RB_SIM_PLEXES];	/* per plex, ns */
	bool write_mostly[RB_SIM_PLEXES];
	struct mirvol_rb_stat st[RB_SIM_PLEXES];
	/* in service: completion time and issue time; waiting: issue time */
	unsigned long done_at[RB_SIM_PLEXES][RB_SIM_QD];
	unsigned long done_issued[RB_SIM_PLEXES][RB_SIM_QD];
	unsigned int busy[RB_SIM_PLEXES];
	unsigned long queue[RB_SIM_PLEXES][RB_SIM_QD];
	unsigned int queued[RB_SIM_PLEXES];
	unsigned long now;
	unsigned long reads[RB_SIM_PLEXES];
	unsigned long issued;
	unsigned int hint;
};

static void rb_sim_start(struct rb_sim *sim, unsigned int p,
			 unsigned long issued)
{
	unsigned int k = sim->busy[p]++;

	sim->done_at[p][k] = sim->now + sim->lat[p];
	sim->done_issued[p][k] = issued;
}

static int rb_sim_issue(struct kunit *test, struct rb_sim *sim)
{
	struct mirvol_rb_plex rb[RB_SIM_PLEXES] = {};
	unsigned int i;
	int p;

	for (i = 0; i < sim->n; i++) {
		rb[i].readable = true;
		rb[i].write_mostly = sim->write_mostly[i];
		rb[i].pending = sim->busy[i] + sim->queued[i];
		rb[i].service = sim->st[i].service;
		rb[i].probe = !time_before(sim->now, sim->st[i].probe_at);
		rb[i].full = rb[i].pending >= sim->depth;
		rb[i].head = 1;		/* random reads: never a stream */
	}
	p = mirvol_read_balance(rb, sim->n, 8 + 16 * (u64)sim->issued++, 0,
				sim->hint++);
	KUNIT_ASSERT_GE(test, p, 0);
	if (sim->busy[p] < sim->depth)
		rb_sim_start(sim, p, sim->now);
	else
		sim->queue[p][sim->queued[p]++] = sim->now;
	return p;
}

/* Run until @count more reads completed; returns the virtual time taken. */
static unsigned long rb_sim_run(struct kunit *test, struct rb_sim *sim,
				unsigned long count)
{
	unsigned long start = sim->now;
	unsigned int i, k, p, best_k;

	while (sim->issued < sim->qd)
		rb_sim_issue(test, sim);
	while (count--) {
		unsigned long t = ULONG_MAX;

		p = 0;
		best_k = 0;
		for (i = 0; i < sim->n; i++)
			for (k = 0; k < sim->busy[i]; k++)
				if (sim->done_at[i][k] < t) {
					t = sim->done_at[i][k];
					p = i;
					best_k = k;
				}
		KUNIT_ASSERT_NE(test, t, ULONG_MAX);
		sim->now = t;
		mirvol_rb_complete(&sim->st[p], sim->done_issued[p][best_k],
				   sim->now);
		sim->reads[p]++;
		sim->busy[p]--;
		sim->done_at[p][best_k] = sim->done_at[p][sim->busy[p]];
		sim->done_issued[p][best_k] = sim->done_issued[p][sim->busy[p]];
		if (sim->queued[p]) {
			rb_sim_start(sim, p, sim->queue[p][0]);
			sim->queued[p]--;
			memmove(sim->queue[p], sim->queue[p] + 1,
				sim->queued[p] * sizeof(sim->queue[p][0]));
		}
		rb_sim_issue(test, sim);
	}
	return sim->now - start;
}

static struct rb_sim *rb_sim_new(struct kunit *test, unsigned int qd,
				 unsigned long lat0, unsigned long lat1)
{
	struct rb_sim *sim = kunit_kzalloc(test, sizeof(*sim), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, sim);
	sim->n = 2;
	sim->depth = 4;
	sim->qd = qd;
	sim->lat[0] = lat0;
	sim->lat[1] = lat1;
	sim->now = 1000;
	return sim;
}

/* reads per second, from @count reads in @ns */
static unsigned long rb_iops(unsigned long count, unsigned long ns)
{
	return count * NSEC_PER_SEC / ns;
}

/*
 * A slow plex (1 ms) next to a fast one (100 us): at queue depth 1 the
 * slow one gets almost no reads, so the volume is as fast as its fast
 * plex (balancing by I/O in flight alone sent it every other read).
 */
static void mirvol_test_read_slow_leg_qd1(struct kunit *test)
{
	struct rb_sim *sim = rb_sim_new(test, 1, 1000 * 1000, 100 * 1000);
	unsigned long ns, fast_alone = NSEC_PER_SEC / (100 * 1000);

	rb_sim_run(test, sim, 200);		/* learn */
	sim->reads[0] = sim->reads[1] = 0;
	ns = rb_sim_run(test, sim, 20000);
	kunit_info(test, "qd1: slow %lu fast %lu reads, %lu/s (fast alone %lu/s)\n",
		   sim->reads[0], sim->reads[1], rb_iops(20000, ns), fast_alone);
	KUNIT_EXPECT_LE(test, sim->reads[0] * 100, 20000UL);	/* <= 1 % */
	KUNIT_EXPECT_GE(test, rb_iops(20000, ns) * 100, fast_alone * 95);
}

/*
 * At queue depth 32 the slow plex adds what it can (it serves 4 reads
 * per ms) without holding reads up: more than the fast plex alone.
 */
static void mirvol_test_read_slow_leg_qd32(struct kunit *test)
{
	struct rb_sim *sim = rb_sim_new(test, 32, 1000 * 1000, 100 * 1000);
	unsigned long ns, fast_alone = 4 * NSEC_PER_SEC / (100 * 1000);

	rb_sim_run(test, sim, 2000);
	sim->reads[0] = sim->reads[1] = 0;
	ns = rb_sim_run(test, sim, 50000);
	kunit_info(test, "qd32: slow %lu fast %lu reads, %lu/s (fast alone %lu/s)\n",
		   sim->reads[0], sim->reads[1], rb_iops(50000, ns), fast_alone);
	/* The slow plex's share is small, but it has one. */
	KUNIT_EXPECT_GT(test, sim->reads[0], 0UL);
	KUNIT_EXPECT_LE(test, sim->reads[0] * 100, 50000UL * 15);
	KUNIT_EXPECT_GE(test, rb_iops(50000, ns) * 100, fast_alone * 108);
}

/* Equal plexes share evenly, at qd1 and qd32, and reach 2 x one plex. */
static void mirvol_test_read_equal_legs(struct kunit *test)
{
	static const unsigned int qds[] = { 1, 32 };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(qds); i++) {
		struct rb_sim *sim = rb_sim_new(test, qds[i], 1000 * 1000,
						1000 * 1000);
		unsigned long ns, one = min(qds[i], 4U) * NSEC_PER_SEC /
					 (1000 * 1000);

		rb_sim_run(test, sim, 1000);
		sim->reads[0] = sim->reads[1] = 0;
		ns = rb_sim_run(test, sim, 20000);
		kunit_info(test, "qd%u: %lu / %lu reads, %lu/s (one plex %lu/s)\n",
			   qds[i], sim->reads[0], sim->reads[1],
			   rb_iops(20000, ns), one);
		KUNIT_EXPECT_GE(test, sim->reads[0] * 100, 20000UL * 45);
		KUNIT_EXPECT_GE(test, sim->reads[1] * 100, 20000UL * 45);
		if (qds[i] > 4)
			KUNIT_EXPECT_GE(test, rb_iops(20000, ns) * 100,
					one * 195);
	}
}

/*
 * A plex that was slow and becomes fast again gets its share back: the
 * probes of an idle plex see it, at qd1 within a second.
 */
static void mirvol_test_read_leg_recovers(struct kunit *test)
{
	static const unsigned int qds[] = { 1, 32 };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(qds); i++) {
		struct rb_sim *sim = rb_sim_new(test, qds[i], 1000 * 1000,
						100 * 1000);
		unsigned long ns = 0;

		rb_sim_run(test, sim, 5000);
		sim->lat[0] = 100 * 1000;	/* plex 0 recovers */
		while (ns < NSEC_PER_SEC)
			ns += rb_sim_run(test, sim, 100);
		sim->reads[0] = sim->reads[1] = 0;
		rb_sim_run(test, sim, 20000);
		kunit_info(test, "qd%u, a second after: %lu / %lu reads\n",
			   qds[i], sim->reads[0], sim->reads[1]);
		KUNIT_EXPECT_GE(test, sim->reads[0] * 100, 20000UL * 40);
		KUNIT_EXPECT_GE(test, sim->reads[1] * 100, 20000UL * 40);
	}
}

/* Three equal plexes at qd32: about 3 x one plex. */
static void mirvol_test_read_three_legs(struct kunit *test)
{
	struct rb_sim *sim = rb_sim_new(test, 32, 1000 * 1000, 1000 * 1000);
	unsigned long ns, one = 4 * NSEC_PER_SEC / (1000 * 1000);

	sim->n = 3;
	sim->lat[2] = 1000 * 1000;
	rb_sim_run(test, sim, 1000);
	sim->reads[0] = sim->reads[1] = sim->reads[2] = 0;
	ns = rb_sim_run(test, sim, 30000);
	kunit_info(test, "%lu / %lu / %lu reads, %lu/s (one plex %lu/s)\n",
		   sim->reads[0], sim->reads[1], sim->reads[2],
		   rb_iops(30000, ns), one);
	KUNIT_EXPECT_GE(test, rb_iops(30000, ns) * 100, one * 290);
}

/* A write-mostly plex serves no read while another plex can. */
static void mirvol_test_read_write_mostly(struct kunit *test)
{
	struct rb_sim *sim = rb_sim_new(test, 32, 100 * 1000, 1000 * 1000);
	struct mirvol_rb_plex p[2] = {
		{ .readable = true, .write_mostly = true, .head = 64,
		  .probe = true },
		{ .readable = true, .pending = 100, .head = 1 },
	};

	/* Faster, idle, due for a probe, even continuing a stream: no. */
	sim->write_mostly[0] = true;
	rb_sim_run(test, sim, 5000);
	KUNIT_EXPECT_EQ(test, sim->reads[0], 0UL);
	KUNIT_EXPECT_EQ(test, mirvol_read_balance(p, 2, 64, 0, 0), 1);
	/* The last readable plex, or the other one tried: yes. */
	KUNIT_EXPECT_EQ(test, mirvol_read_balance(p, 2, 64, BIT(1), 0), 0);
	p[1].readable = false;
	KUNIT_EXPECT_EQ(test, mirvol_read_balance(p, 2, 64, 0, 0), 0);
}

/*
 * Two sequential streams on equal plexes each keep their plex, although
 * the other one is as idle, and they do not share one.
 */
static void mirvol_test_read_streams_keep_plex(struct kunit *test)
{
	struct mirvol_rb_plex p[2] = {
		{ .readable = true, .service = 1000 * 1000, .head = 1 },
		{ .readable = true, .service = 1100 * 1000, .head = 2 },
	};
	u64 pos[2] = { 0, 1 << 20 };
	unsigned int k, s, count[2][2] = {};
	int slot;

	for (k = 0; k < 2000; k++) {
		s = k & 1;
		slot = mirvol_read_balance(p, 2, pos[s], 0, k);
		KUNIT_ASSERT_GE(test, slot, 0);
		count[s][slot]++;
		p[slot].pending++;	/* as the driver counts them */
		pos[s] += 256;
		p[slot].head = pos[s];
		if (p[slot].pending > 2)
			p[slot].pending = 2;
	}
	/* Each stream stayed on the plex its first read chose. */
	KUNIT_EXPECT_TRUE(test, !count[0][0] || !count[0][1]);
	KUNIT_EXPECT_TRUE(test, !count[1][0] || !count[1][1]);
	/* And they did not share one: both plexes work. */
	KUNIT_EXPECT_NE(test, !!count[0][0], !!count[1][0]);
}

/* ---- assembly planning ---- */

static void md_member(struct mirvol_md *md, unsigned int nr,
		      unsigned int index, u64 gen)
{
	unsigned int i;

	memset(md, 0, sizeof(*md));
	md->volume_uuid[0] = 0x77;
	strscpy(md->name, "vol", sizeof(md->name));
	md->plex_index = index;
	md->plex_uuid[0] = 0x10 + index;
	md->nr_plexes = nr;
	md->generation = gen;
	md->data_offset = 2048;
	md->data_size = 1 << 20;
	md->dev_size = md->data_offset + md->data_size;
	for (i = 0; i < nr; i++) {
		md->plexes[i].uuid[0] = 0x10 + i;
		md->plexes[i].state = MIRVOL_PLEX_ACTIVE;
		md->plexes[i].sync_offset = md->data_size;
	}
}

static void mirvol_test_plan_complete(struct kunit *test)
{
	struct mirvol_md a, b;
	const struct mirvol_md *mds[] = { &a, &b };
	unsigned int classes[2];
	struct mirvol_asm_plan plan;

	md_member(&a, 2, 0, 10);
	md_member(&b, 2, 1, 10);
	mirvol_assemble_plan(mds, 2, classes, &plan);
	KUNIT_EXPECT_EQ(test, plan.reason, MIRVOL_R_NONE);
	KUNIT_EXPECT_TRUE(test, plan.complete);
	KUNIT_EXPECT_EQ(test, plan.slot_state[0], MIRVOL_PLEX_ACTIVE);
	KUNIT_EXPECT_EQ(test, plan.slot_state[1], MIRVOL_PLEX_ACTIVE);
	KUNIT_EXPECT_EQ(test, plan.slot_member[0], 0);
	KUNIT_EXPECT_EQ(test, plan.slot_member[1], 1);
	KUNIT_EXPECT_EQ(test, plan.dirty_source, -1);
	KUNIT_EXPECT_EQ(test, classes[0], MIRVOL_ASM_CURRENT);
	KUNIT_EXPECT_EQ(test, classes[1], MIRVOL_ASM_CURRENT);

	/* A crash between superblock writes: one generation apart is ok. */
	b.generation = 9;
	mirvol_assemble_plan(mds, 2, classes, &plan);
	KUNIT_EXPECT_EQ(test, plan.slot_state[1], MIRVOL_PLEX_ACTIVE);
	KUNIT_EXPECT_EQ(test, plan.newest, 0);
	/* Two apart: it missed an update, stale. */
	b.generation = 8;
	mirvol_assemble_plan(mds, 2, classes, &plan);
	KUNIT_EXPECT_EQ(test, plan.slot_state[1], MIRVOL_PLEX_STALE);
	KUNIT_EXPECT_EQ(test, classes[1], MIRVOL_ASM_STALE);
}

static void mirvol_test_plan_degraded(struct kunit *test)
{
	struct mirvol_md a, b;
	const struct mirvol_md *mds[] = { &a, &b };
	unsigned int classes[2];
	struct mirvol_asm_plan plan;

	/* b absent: incomplete, b missing, a can run. */
	md_member(&a, 2, 0, 10);
	mirvol_assemble_plan(mds, 1, classes, &plan);
	KUNIT_EXPECT_EQ(test, plan.reason, MIRVOL_R_NONE);
	KUNIT_EXPECT_FALSE(test, plan.complete);
	KUNIT_EXPECT_EQ(test, plan.slot_state[1], MIRVOL_PLEX_MISSING);

	/* a ran alone and recorded b missing: complete without b. */
	a.plexes[1].state = MIRVOL_PLEX_MISSING;
	a.generation = 12;
	mirvol_assemble_plan(mds, 1, classes, &plan);
	KUNIT_EXPECT_TRUE(test, plan.complete);

	/* b returns: it is stale, whatever its generation says. */
	md_member(&b, 2, 1, 10);
	mirvol_assemble_plan(mds, 2, classes, &plan);
	KUNIT_EXPECT_EQ(test, plan.reason, MIRVOL_R_NONE);
	KUNIT_EXPECT_EQ(test, plan.newest, 0);
	KUNIT_EXPECT_EQ(test, plan.slot_state[0], MIRVOL_PLEX_ACTIVE);
	KUNIT_EXPECT_EQ(test, plan.slot_state[1], MIRVOL_PLEX_STALE);
	KUNIT_EXPECT_EQ(test, classes[1], MIRVOL_ASM_STALE);
	/* Same when b's generation is close: a recorded it gone. */
	b.generation = 12;
	mirvol_assemble_plan(mds, 2, classes, &plan);
	KUNIT_EXPECT_EQ(test, plan.slot_state[1], MIRVOL_PLEX_STALE);
}

static void mirvol_test_plan_split_brain(struct kunit *test)
{
	struct mirvol_md a, b;
	const struct mirvol_md *mds[] = { &a, &b };
	unsigned int classes[2];
	struct mirvol_asm_plan plan;

	md_member(&a, 2, 0, 12);
	a.plexes[1].state = MIRVOL_PLEX_MISSING;
	md_member(&b, 2, 1, 11);
	b.plexes[0].state = MIRVOL_PLEX_MISSING;
	mirvol_assemble_plan(mds, 2, classes, &plan);
	KUNIT_EXPECT_EQ(test, plan.reason, MIRVOL_R_SPLIT_BRAIN);
	KUNIT_EXPECT_EQ(test, classes[0], MIRVOL_ASM_SPLIT);
	/* Failed counts like missing. */
	b.plexes[0].state = MIRVOL_PLEX_FAILED;
	mirvol_assemble_plan(mds, 2, classes, &plan);
	KUNIT_EXPECT_EQ(test, plan.reason, MIRVOL_R_SPLIT_BRAIN);
	/* Only one side recorded the other gone: no split brain. */
	b.plexes[0].state = MIRVOL_PLEX_ACTIVE;
	mirvol_assemble_plan(mds, 2, classes, &plan);
	KUNIT_EXPECT_EQ(test, plan.reason, MIRVOL_R_NONE);
}

static void mirvol_test_plan_dirty(struct kunit *test)
{
	/* Static: three superblocks are too much for a KASAN stack frame. */
	static struct mirvol_md a, b, c;
	const struct mirvol_md *mds[] = { &c, &b, &a };
	unsigned int classes[3];
	struct mirvol_asm_plan plan;

	md_member(&a, 3, 0, 20);
	md_member(&b, 3, 1, 20);
	md_member(&c, 3, 2, 20);
	a.flags = b.flags = c.flags = MIRVOL_SB_F_DIRTY;
	a.plexes[2].state = b.plexes[2].state = c.plexes[2].state =
		MIRVOL_PLEX_SYNCING;
	a.plexes[2].sync_offset = b.plexes[2].sync_offset =
		c.plexes[2].sync_offset = 4096;
	mirvol_assemble_plan(mds, 3, classes, &plan);
	KUNIT_EXPECT_EQ(test, plan.reason, MIRVOL_R_NONE);
	/* The lowest in-sync slot is the source, whatever the order. */
	KUNIT_EXPECT_EQ(test, plan.dirty_source, 0);
	KUNIT_EXPECT_EQ(test, plan.slot_state[0], MIRVOL_PLEX_ACTIVE);
	KUNIT_EXPECT_EQ(test, plan.slot_state[1], MIRVOL_PLEX_SYNCING);
	KUNIT_EXPECT_EQ(test, plan.slot_sync[1], 0ULL);
	/* A checkpoint is worthless after an unclean shutdown. */
	KUNIT_EXPECT_EQ(test, plan.slot_state[2], MIRVOL_PLEX_SYNCING);
	KUNIT_EXPECT_EQ(test, plan.slot_sync[2], 0ULL);

	/* Clean: the checkpoint is kept, nothing else resyncs. */
	a.flags = b.flags = c.flags = 0;
	mirvol_assemble_plan(mds, 3, classes, &plan);
	KUNIT_EXPECT_EQ(test, plan.dirty_source, -1);
	KUNIT_EXPECT_EQ(test, plan.slot_state[1], MIRVOL_PLEX_ACTIVE);
	KUNIT_EXPECT_EQ(test, plan.slot_sync[2], 4096ULL);
}

static void md_bitmap(struct mirvol_md *md, u64 cleared_gen)
{
	md->version = MIRVOL_SB_VERSION;
	md->bitmap_region = 128;
	md->bitmap_cleared_gen = cleared_gen;
}

/* With a write-intent bitmap, who copies only the regions set. */
static void mirvol_test_plan_bitmap(struct kunit *test)
{
	/* Static: three superblocks are too much for a KASAN stack frame. */
	static struct mirvol_md a, b, c;
	const struct mirvol_md *mds[] = { &a, &b, &c };
	unsigned int classes[3];
	struct mirvol_asm_plan plan;

	/* Unclean shutdown: the in-sync plexes but the source, partial. */
	md_member(&a, 3, 0, 20);
	md_member(&b, 3, 1, 20);
	md_member(&c, 3, 2, 20);
	md_bitmap(&a, 1);
	md_bitmap(&b, 1);
	md_bitmap(&c, 1);
	a.flags = b.flags = c.flags = MIRVOL_SB_F_DIRTY;
	mirvol_assemble_plan(mds, 3, classes, &plan);
	KUNIT_EXPECT_EQ(test, plan.reason, MIRVOL_R_NONE);
	KUNIT_EXPECT_EQ(test, plan.dirty_source, 0);
	KUNIT_EXPECT_EQ(test, plan.slot_state[0], MIRVOL_PLEX_ACTIVE);
	KUNIT_EXPECT_FALSE(test, plan.slot_partial[0]);
	KUNIT_EXPECT_EQ(test, plan.slot_state[1], MIRVOL_PLEX_SYNCING);
	KUNIT_EXPECT_TRUE(test, plan.slot_partial[1]);
	KUNIT_EXPECT_EQ(test, plan.slot_sync[1], 0ULL);
	KUNIT_EXPECT_TRUE(test, plan.slot_partial[2]);

	/* Without a bitmap: everything. */
	a.bitmap_region = 0;
	a.bitmap_cleared_gen = 0;
	mirvol_assemble_plan(mds, 3, classes, &plan);
	KUNIT_EXPECT_EQ(test, plan.slot_state[1], MIRVOL_PLEX_SYNCING);
	KUNIT_EXPECT_FALSE(test, plan.slot_partial[1]);
	md_bitmap(&a, 1);

	/* A full resync stays full (from 0); a partial one partial. */
	a.plexes[2].state = MIRVOL_PLEX_SYNCING;
	a.plexes[2].sync_offset = 4096;
	mirvol_assemble_plan(mds, 3, classes, &plan);
	KUNIT_EXPECT_EQ(test, plan.slot_state[2], MIRVOL_PLEX_SYNCING);
	KUNIT_EXPECT_FALSE(test, plan.slot_partial[2]);
	KUNIT_EXPECT_EQ(test, plan.slot_sync[2], 0ULL);
	a.plexes[2].flags = MIRVOL_PLEX_F_BITMAP_SYNC;
	mirvol_assemble_plan(mds, 3, classes, &plan);
	KUNIT_EXPECT_TRUE(test, plan.slot_partial[2]);
	KUNIT_EXPECT_EQ(test, plan.slot_sync[2], 0ULL);
	/* Clean: a partial resync goes on from its checkpoint. */
	a.flags = b.flags = c.flags = 0;
	mirvol_assemble_plan(mds, 3, classes, &plan);
	KUNIT_EXPECT_EQ(test, plan.slot_state[1], MIRVOL_PLEX_ACTIVE);
	KUNIT_EXPECT_FALSE(test, plan.slot_partial[1]);
	KUNIT_EXPECT_EQ(test, plan.slot_state[2], MIRVOL_PLEX_SYNCING);
	KUNIT_EXPECT_TRUE(test, plan.slot_partial[2]);
	KUNIT_EXPECT_EQ(test, plan.slot_sync[2], 4096ULL);

	/* A member back from missing: only what the bitmap recorded. */
	md_member(&a, 2, 0, 30);
	md_bitmap(&a, 1);
	a.plexes[1].state = MIRVOL_PLEX_MISSING;
	a.plexes[1].gone_generation = 25;
	md_member(&b, 2, 1, 24);
	md_bitmap(&b, 1);
	mirvol_assemble_plan(mds, 2, classes, &plan);
	KUNIT_EXPECT_EQ(test, plan.reason, MIRVOL_R_NONE);
	KUNIT_EXPECT_EQ(test, plan.slot_state[1], MIRVOL_PLEX_SYNCING);
	KUNIT_EXPECT_TRUE(test, plan.slot_partial[1]);
	KUNIT_EXPECT_EQ(test, plan.slot_sync[1], 0ULL);
	KUNIT_EXPECT_EQ(test, classes[1], MIRVOL_ASM_STALE);
	/* Gone before the bitmap covered every write: everything. */
	a.bitmap_cleared_gen = 26;
	mirvol_assemble_plan(mds, 2, classes, &plan);
	KUNIT_EXPECT_EQ(test, plan.slot_state[1], MIRVOL_PLEX_STALE);
	KUNIT_EXPECT_FALSE(test, plan.slot_partial[1]);
	/*
	 * Gone in the update that began the coverage (a lost bitmap page's
	 * update, the first without it): it missed the writes let go after
	 * that update, whose bits are on no disk.  Everything.
	 */
	a.bitmap_cleared_gen = 25;
	mirvol_assemble_plan(mds, 2, classes, &plan);
	KUNIT_EXPECT_EQ(test, plan.slot_state[1], MIRVOL_PLEX_STALE);
	KUNIT_EXPECT_FALSE(test, plan.slot_partial[1]);
	a.bitmap_cleared_gen = 24;
	mirvol_assemble_plan(mds, 2, classes, &plan);
	KUNIT_EXPECT_TRUE(test, plan.slot_partial[1]);
	/*
	 * Failed (a write error, or by request): not taken back by
	 * itself; it stays failed, its device held, until re-add; absent,
	 * it stays failed too and the volume is complete.
	 */
	a.plexes[1].state = MIRVOL_PLEX_FAILED;
	mirvol_assemble_plan(mds, 2, classes, &plan);
	KUNIT_EXPECT_EQ(test, plan.reason, MIRVOL_R_NONE);
	KUNIT_EXPECT_EQ(test, plan.slot_state[1], MIRVOL_PLEX_FAILED);
	KUNIT_EXPECT_FALSE(test, plan.slot_partial[1]);
	mirvol_assemble_plan(mds, 1, classes, &plan);
	KUNIT_EXPECT_TRUE(test, plan.complete);
	KUNIT_EXPECT_EQ(test, plan.slot_state[1], MIRVOL_PLEX_FAILED);
	/* Missing with no generation recorded: unknown, everything. */
	a.plexes[1].state = MIRVOL_PLEX_MISSING;
	a.plexes[1].gone_generation = 0;
	mirvol_assemble_plan(mds, 2, classes, &plan);
	KUNIT_EXPECT_EQ(test, plan.slot_state[1], MIRVOL_PLEX_STALE);
	/*
	 * Taken offline: it stays so, until online; absent, the volume is
	 * complete, and it stays offline too (not missing: its device,
	 * should it come, is held, not resynced over).
	 */
	a.plexes[1].state = MIRVOL_PLEX_OFFLINE;
	a.plexes[1].gone_generation = 25;
	mirvol_assemble_plan(mds, 2, classes, &plan);
	KUNIT_EXPECT_EQ(test, plan.slot_state[1], MIRVOL_PLEX_OFFLINE);
	mirvol_assemble_plan(mds, 1, classes, &plan);
	KUNIT_EXPECT_TRUE(test, plan.complete);
	KUNIT_EXPECT_EQ(test, plan.slot_state[1], MIRVOL_PLEX_OFFLINE);
	KUNIT_EXPECT_FALSE(test, plan.slot_partial[1]);
}

static void mirvol_test_plan_no_in_sync(struct kunit *test)
{
	struct mirvol_md b;
	const struct mirvol_md *mds[] = { &b };
	unsigned int classes[1];
	struct mirvol_asm_plan plan;

	/* Only a half-synced member is present: nothing to start from. */
	md_member(&b, 2, 1, 10);
	b.plexes[1].state = MIRVOL_PLEX_SYNCING;
	b.plexes[1].sync_offset = 100;
	mirvol_assemble_plan(mds, 1, classes, &plan);
	KUNIT_EXPECT_EQ(test, plan.reason, MIRVOL_R_NO_IN_SYNC_MEMBER);
	mirvol_assemble_plan(mds, 0, classes, &plan);
	KUNIT_EXPECT_EQ(test, plan.reason, MIRVOL_R_NO_IN_SYNC_MEMBER);
}

static void mirvol_test_plan_superseded(struct kunit *test)
{
	/* Static: three superblocks are too much for a KASAN stack frame. */
	static struct mirvol_md a, b, old;
	const struct mirvol_md *mds[] = { &a, &b, &old };
	unsigned int classes[3];
	struct mirvol_asm_plan plan;

	/* Slot 1 was removed and reused by another plex since. */
	md_member(&a, 2, 0, 30);
	a.plexes[1].uuid[0] = 0x99;
	md_member(&b, 2, 1, 30);
	b.plex_uuid[0] = 0x99;
	b.plexes[1].uuid[0] = 0x99;
	md_member(&old, 2, 1, 12);
	mirvol_assemble_plan(mds, 3, classes, &plan);
	KUNIT_EXPECT_EQ(test, plan.reason, MIRVOL_R_NONE);
	KUNIT_EXPECT_EQ(test, classes[2], MIRVOL_ASM_SUPERSEDED);
	KUNIT_EXPECT_EQ(test, plan.slot_member[1], 1);
	KUNIT_EXPECT_TRUE(test, plan.complete);
}

/*
 * A member whose superblock gives the volume another size (a crafted or
 * foreign superblock: mirvol never resizes a volume) is no member: the
 * volume's size is the newest superblock's, and that member's device may
 * end before it.  Refused at assembly and at a rejoin, whichever of the
 * two superblocks is the newer.  The landed code took it in.
 */
static void mirvol_test_plan_size_mismatch(struct kunit *test)
{
	struct mirvol_md a, b;
	const struct mirvol_md *mds[] = { &a, &b };
	unsigned int classes[2];
	struct mirvol_asm_plan plan;

	md_member(&a, 2, 0, 30);
	md_member(&b, 2, 1, 29);
	b.data_size = a.data_size / 2;
	b.dev_size = b.data_offset + b.data_size;
	b.plexes[0].sync_offset = b.data_size;
	b.plexes[1].sync_offset = b.data_size;
	mirvol_assemble_plan(mds, 2, classes, &plan);
	KUNIT_EXPECT_EQ(test, classes[0], MIRVOL_ASM_CURRENT);
	KUNIT_EXPECT_EQ_MSG(test, classes[1], MIRVOL_ASM_SUPERSEDED,
			    "a member of another size: class %u", classes[1]);
	KUNIT_EXPECT_EQ(test, plan.slot_member[1], -1);
	KUNIT_EXPECT_FALSE(test, plan.complete);
	KUNIT_EXPECT_EQ(test, mirvol_rejoin_check(&a, &b, true),
			MIRVOL_R_NOT_A_MEMBER);
	/* The newer one of another size: the older is refused. */
	b.generation = 31;
	mirvol_assemble_plan(mds, 2, classes, &plan);
	KUNIT_EXPECT_EQ(test, plan.newest, 1);
	KUNIT_EXPECT_EQ(test, classes[0], MIRVOL_ASM_SUPERSEDED);
	KUNIT_EXPECT_EQ(test, classes[1], MIRVOL_ASM_CURRENT);
}

/*
 * A power cut while a device joins (add-plex, merge-plex, online,
 * rejoin), after it took its superblock and before the update recorded it
 * on the in-sync plexes.  It takes the superblock of that update, one
 * generation ahead (mirvol_sb_join_plex()): assembly takes it in, in
 * whatever order the members come.  At the same generation (the joining
 * device failed, and the update that followed records the volume
 * without it) the in-sync plexes' superblock is the truth, again in any
 * order.
 */
static void mirvol_test_plan_join_cut(struct kunit *test)
{
	/* Static: three superblocks are too much for a KASAN stack frame. */
	static struct mirvol_md a, b, c;
	static const u8 orders[][3] = {
		{ 0, 1, 2 }, { 2, 0, 1 }, { 1, 2, 0 }, { 2, 1, 0 },
	};
	const struct mirvol_md *all[] = { &a, &b, &c };
	const struct mirvol_md *mds[3];
	unsigned int classes[3], o, k;
	struct mirvol_asm_plan plan;
	int pos_c = -1;

	md_member(&a, 2, 0, 10);
	md_member(&b, 2, 1, 10);
	md_member(&c, 3, 2, 11);
	c.plexes[2].state = MIRVOL_PLEX_SYNCING;
	c.plexes[2].sync_offset = 0;
	for (o = 0; o < ARRAY_SIZE(orders); o++) {
		for (k = 0; k < 3; k++) {
			mds[k] = all[orders[o][k]];
			if (mds[k] == &c)
				pos_c = k;
		}
		c.generation = 11;
		mirvol_assemble_plan(mds, 3, classes, &plan);
		KUNIT_EXPECT_EQ(test, plan.reason, MIRVOL_R_NONE);
		KUNIT_EXPECT_TRUE(test, plan.complete);
		KUNIT_EXPECT_EQ(test, plan.newest, pos_c);
		KUNIT_EXPECT_EQ(test, plan.slot_state[0], MIRVOL_PLEX_ACTIVE);
		KUNIT_EXPECT_EQ(test, plan.slot_state[1], MIRVOL_PLEX_ACTIVE);
		KUNIT_EXPECT_EQ(test, plan.slot_state[2], MIRVOL_PLEX_SYNCING);
		KUNIT_EXPECT_EQ(test, plan.slot_sync[2], 0ULL);
		KUNIT_EXPECT_EQ(test, plan.slot_member[2], pos_c);
		for (k = 0; k < 3; k++)
			KUNIT_EXPECT_EQ(test, classes[k], MIRVOL_ASM_CURRENT);

		c.generation = 10;
		mirvol_assemble_plan(mds, 3, classes, &plan);
		KUNIT_EXPECT_EQ(test, plan.reason, MIRVOL_R_NONE);
		KUNIT_EXPECT_TRUE(test, plan.complete);
		KUNIT_EXPECT_NE(test, plan.newest, pos_c);
		KUNIT_EXPECT_EQ(test, plan.slot_state[2], MIRVOL_PLEX_NONE);
		KUNIT_EXPECT_EQ(test, plan.slot_member[2], -1);
		KUNIT_EXPECT_EQ(test, classes[pos_c], MIRVOL_ASM_SUPERSEDED);
	}
}

static void mirvol_test_plan_duplicate(struct kunit *test)
{
	/* Static: three superblocks are too much for a KASAN stack frame. */
	static struct mirvol_md a, b, b2;
	const struct mirvol_md *mds[] = { &a, &b2, &b };
	unsigned int classes[3];
	struct mirvol_asm_plan plan;

	/* A copy of a member (dd): the newer copy holds the slot. */
	md_member(&a, 2, 0, 10);
	md_member(&b, 2, 1, 10);
	md_member(&b2, 2, 1, 9);
	mirvol_assemble_plan(mds, 3, classes, &plan);
	KUNIT_EXPECT_EQ(test, plan.slot_member[1], 2);
	KUNIT_EXPECT_EQ(test, classes[1], MIRVOL_ASM_DUPLICATE);
	KUNIT_EXPECT_EQ(test, classes[2], MIRVOL_ASM_CURRENT);
}

static void mirvol_test_rejoin(struct kunit *test)
{
	struct mirvol_md vol, b;

	md_member(&vol, 2, 0, 20);
	vol.plexes[1].state = MIRVOL_PLEX_MISSING;
	md_member(&b, 2, 1, 10);
	KUNIT_EXPECT_EQ(test, mirvol_rejoin_check(&vol, &b, false), MIRVOL_R_NONE);
	/* b ran alone: it recorded plex 0 missing. */
	b.plexes[0].state = MIRVOL_PLEX_MISSING;
	KUNIT_EXPECT_EQ(test, mirvol_rejoin_check(&vol, &b, false),
			MIRVOL_R_SPLIT_BRAIN);
	b.plexes[0].state = MIRVOL_PLEX_ACTIVE;
	b.generation = 21;
	KUNIT_EXPECT_EQ(test, mirvol_rejoin_check(&vol, &b, false),
			MIRVOL_R_SPLIT_BRAIN);
	b.generation = 10;
	vol.plexes[1].state = MIRVOL_PLEX_ACTIVE;
	KUNIT_EXPECT_EQ(test, mirvol_rejoin_check(&vol, &b, false),
			MIRVOL_R_DEVICE_BUSY);
	/* Offline: its device is held as the offline plex (not in sync). */
	vol.plexes[1].state = MIRVOL_PLEX_OFFLINE;
	KUNIT_EXPECT_EQ(test, mirvol_rejoin_check(&vol, &b, false),
			MIRVOL_R_NONE);
	b.generation = 21;
	KUNIT_EXPECT_EQ(test, mirvol_rejoin_check(&vol, &b, false),
			MIRVOL_R_SPLIT_BRAIN);
	b.generation = 10;
	/* Failed: only an explicit re-add takes it back. */
	vol.plexes[1].state = MIRVOL_PLEX_FAILED;
	KUNIT_EXPECT_EQ(test, mirvol_rejoin_check(&vol, &b, false),
			MIRVOL_R_PLEX_FAILED);
	KUNIT_EXPECT_EQ(test, mirvol_rejoin_check(&vol, &b, true),
			MIRVOL_R_NONE);
	vol.plexes[1].state = MIRVOL_PLEX_MISSING;
	vol.plexes[1].uuid[0] = 0x55;
	KUNIT_EXPECT_EQ(test, mirvol_rejoin_check(&vol, &b, false),
			MIRVOL_R_NOT_A_MEMBER);
}

/* mirvol_late_join_check() of @c for a volume assembled at 10 */
#define EXPECT_LATE_JOIN(r) \
	KUNIT_EXPECT_EQ(test, mirvol_late_join_check(&vol, &c, 10), r)

/*
 * A device whose join a power cut interrupted, met after the volume
 * started without it from in-sync plexes of generation 10: it holds the
 * superblock of generation 11 listing it syncing in slot 2.
 */
static void mirvol_test_late_join(struct kunit *test)
{
	struct mirvol_md vol, c;

	md_member(&vol, 2, 0, 11);	/* started at 10, wrote 11 */
	md_member(&c, 3, 2, 11);
	c.plexes[2].state = MIRVOL_PLEX_SYNCING;
	c.plexes[2].sync_offset = 0;
	KUNIT_EXPECT_EQ(test, mirvol_rejoin_check(&vol, &c, false),
			MIRVOL_R_NOT_A_MEMBER);
	EXPECT_LATE_JOIN(MIRVOL_R_NONE);
	/* A created volume, or one started from another generation. */
	KUNIT_EXPECT_EQ(test, mirvol_late_join_check(&vol, &c, 0),
			MIRVOL_R_NOT_A_MEMBER);
	KUNIT_EXPECT_EQ(test, mirvol_late_join_check(&vol, &c, 11),
			MIRVOL_R_NOT_A_MEMBER);
	KUNIT_EXPECT_EQ(test, mirvol_late_join_check(&vol, &c, 9),
			MIRVOL_R_NOT_A_MEMBER);
	/* It says it is in sync: not a device being taken in. */
	c.plexes[2].state = MIRVOL_PLEX_ACTIVE;
	EXPECT_LATE_JOIN(MIRVOL_R_NOT_A_MEMBER);
	c.plexes[2].state = MIRVOL_PLEX_STALE;
	EXPECT_LATE_JOIN(MIRVOL_R_NONE);
	/* Its slot was taken meanwhile. */
	vol.plexes[2].state = MIRVOL_PLEX_SYNCING;
	vol.plexes[2].uuid[0] = 0x66;
	EXPECT_LATE_JOIN(MIRVOL_R_NOT_A_MEMBER);
	vol.plexes[2].state = MIRVOL_PLEX_NONE;
	memset(vol.plexes[2].uuid, 0, MIRVOL_UUID_LEN);
	/* The volume has its UUID in another slot. */
	vol.plexes[1].uuid[0] = c.plex_uuid[0];
	EXPECT_LATE_JOIN(MIRVOL_R_NOT_A_MEMBER);
	vol.plexes[1].uuid[0] = 0x11;
	/* It ran without an in-sync plex of the volume: split brain. */
	c.plexes[1].state = MIRVOL_PLEX_MISSING;
	EXPECT_LATE_JOIN(MIRVOL_R_NOT_A_MEMBER);
	c.plexes[1].state = MIRVOL_PLEX_ACTIVE;
	/* Its table does not list it where it says it is. */
	c.plexes[2].uuid[0] = 0x67;
	EXPECT_LATE_JOIN(MIRVOL_R_NOT_A_MEMBER);
	c.plexes[2].uuid[0] = 0x12;
	EXPECT_LATE_JOIN(MIRVOL_R_NONE);
}

/* Start a few seconds before jiffies wrap, as the kernel's own do. */
#define SPEED_T0	((unsigned long)-2 * HZ)
#define MIB_SECTORS	2048ULL

static void mirvol_test_speed_window(struct kunit *test)
{
	struct mirvol_speed sp;
	unsigned int kibs;

	mirvol_speed_start(&sp, SPEED_T0, 0);
	KUNIT_EXPECT_EQ(test, mirvol_speed_kibs(&sp, SPEED_T0, 0), 0U);
	/* 1 MiB in the first second: about 1024 KiB/s. */
	kibs = mirvol_speed_kibs(&sp, SPEED_T0 + HZ, MIB_SECTORS);
	KUNIT_EXPECT_GE(test, kibs, 1024U * HZ / (HZ + 1));
	KUNIT_EXPECT_LE(test, kibs, 1024U);
	/* Past 3 s the next window starts; this one still runs from T0. */
	kibs = mirvol_speed_kibs(&sp, SPEED_T0 + 4 * HZ, 4 * MIB_SECTORS);
	KUNIT_EXPECT_EQ(test, sp.mark_time, SPEED_T0);
	KUNIT_EXPECT_EQ(test, sp.next_time, SPEED_T0 + 4 * HZ);
	KUNIT_EXPECT_EQ(test, kibs, (unsigned int)(4096ULL * HZ / (4 * HZ + 1)));
	/*
	 * 4 MiB more at 7.5 s: the window slides to start at 4 s and still
	 * holds that batch (a window restarted from zero would show it as
	 * copied in no time, or not at all).
	 */
	kibs = mirvol_speed_kibs(&sp, SPEED_T0 + 15 * HZ / 2, 8 * MIB_SECTORS);
	KUNIT_EXPECT_EQ(test, sp.mark_time, SPEED_T0 + 4 * HZ);
	KUNIT_EXPECT_EQ(test, sp.mark_done, 4 * MIB_SECTORS);
	KUNIT_EXPECT_EQ(test, kibs,
			(unsigned int)(4096ULL * HZ / (7 * HZ / 2 + 1)));
}

static void mirvol_test_speed_delay(struct kunit *test)
{
	struct mirvol_speed sp;
	unsigned long d;

	mirvol_speed_start(&sp, SPEED_T0, 0);
	/* No limit, or under it: no pause. */
	KUNIT_EXPECT_EQ(test, mirvol_speed_delay(&sp, SPEED_T0 + HZ / 10,
						 4 * MIB_SECTORS, 0), 0UL);
	KUNIT_EXPECT_EQ(test, mirvol_speed_delay(&sp, SPEED_T0 + 3 * HZ,
						 4 * MIB_SECTORS, 2000), 0UL);
	/* 4096 KiB at 2000 KiB/s take 2.048 s; 0.1 s have passed. */
	d = mirvol_speed_delay(&sp, SPEED_T0 + HZ / 10, 4 * MIB_SECTORS, 2000);
	KUNIT_EXPECT_EQ(test, d, 4096UL * HZ / 2000 - HZ / 10);
	/* Exactly at the limit: no pause. */
	KUNIT_EXPECT_EQ(test, mirvol_speed_delay(&sp, SPEED_T0 + 2 * HZ,
						 4000, 1000), 0UL);
}

/*
 * The throttle loop of mirvol_resync_throttle() against a simulated
 * clock: copy a chunk whenever no pause is due, a jiffy per chunk.  Over
 * a minute the average stays within 5 % of the limit, and no 3 s stretch
 * goes above it by more than two chunks, for small and large chunks.
 * (The check comes before a chunk, so each window can end up to a chunk
 * over; md's marks behave the same.)
 */
static void mirvol_test_speed_throttle(struct kunit *test)
{
	static const struct {
		unsigned int max_kibs;
		u64 chunk;
	} cases[] = {
		{ 2000, MIB_SECTORS },
		{ 2000, 4 * MIB_SECTORS },
		{ 50000, 4 * MIB_SECTORS },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		unsigned int max = cases[i].max_kibs;
		u64 chunk = cases[i].chunk, done = 0, kib;
		u64 *at;	/* done at each quarter second */
		unsigned long t = SPEED_T0, d;
		struct mirvol_speed sp;
		unsigned int q, worst = 0;

		at = kunit_kcalloc(test, 60 * 4, sizeof(*at), GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, at);
		mirvol_speed_start(&sp, t, 0);
		while (t - SPEED_T0 < 60 * HZ) {
			mirvol_speed_kibs(&sp, t, done);
			d = mirvol_speed_delay(&sp, t, done, max);
			if (d) {
				t += min_t(unsigned long, d, HZ / 10) + 1;
				continue;
			}
			done += chunk;
			t++;
			q = (t - SPEED_T0) * 4 / HZ;
			if (q < 60 * 4)
				at[q] = done;
		}
		/* Fill the quarters in which nothing was copied. */
		for (q = 1; q < 60 * 4; q++)
			at[q] = max(at[q], at[q - 1]);
		for (q = 12; q < 60 * 4; q++)
			worst = max_t(unsigned int, worst,
				      ((at[q] - at[q - 12]) >> 1) / 3);
		kib = done >> 1;
		KUNIT_EXPECT_LE_MSG(test, kib, 60ULL * max * 105 / 100,
				    "max %u KiB/s, chunk %llu", max, chunk);
		KUNIT_EXPECT_GE_MSG(test, kib, 60ULL * max * 9 / 10,
				    "max %u KiB/s, chunk %llu", max, chunk);
		/* Any 3 s: at most the limit and two chunks. */
		KUNIT_EXPECT_LE_MSG(test, worst,
				    max + (unsigned int)(chunk >> 1) * 2 / 3,
				    "max %u KiB/s, chunk %llu", max, chunk);
	}
}


#define T_CHUNK		2048ULL
#define T_BATCH		(4 * T_CHUNK)
#define T_UNIT		(1ULL << 17)

/*
 * A resync pass simulated with mirvol_sync_next_step(): count how often
 * each sector is written to each target, so that a test can check that
 * every target got every sector from its checkpoint on exactly once.
 * @batch(step) gives the batch size of each step (throttled or not);
 * after the step that ends past @join_at, slot @join_slot (if >= 0)
 * joins at checkpoint 0, as a stale plex converted mid-pass.
 */
struct sync_sim {
	u64 offsets[MIRVOL_MAX_PLEXES];
	u8 mask;
	u64 size;
	u16 *count[MIRVOL_MAX_PLEXES];	/* writes per sector */
	unsigned int steps;
};

static void sync_sim_run(struct kunit *test, struct sync_sim *sim,
			 u64 (*batch)(unsigned int step), u64 join_at,
			 int join_slot)
{
	struct mirvol_sync_step st;
	unsigned int i;
	u64 s;

	while (mirvol_sync_next_step(sim->offsets, sim->mask, sim->size,
				     batch(sim->steps), T_CHUNK, T_UNIT, &st)) {
		KUNIT_ASSERT_LT(test, sim->steps++, 100000U);
		KUNIT_ASSERT_LT(test, st.start, st.end);
		KUNIT_ASSERT_LE(test, st.end - st.start, batch(sim->steps - 1));
		/* A batch never crosses a barrier unit. */
		KUNIT_ASSERT_EQ(test, st.start / T_UNIT, (st.end - 1) / T_UNIT);
		for (i = 0; i < MIRVOL_MAX_PLEXES; i++) {
			if (!(st.targets & BIT(i)))
				continue;
			KUNIT_ASSERT_EQ(test, st.from[i], sim->offsets[i]);
			KUNIT_ASSERT_GE(test, st.from[i], st.start);
			for (s = st.from[i]; s < st.end; s++)
				sim->count[i][s]++;
			sim->offsets[i] = st.end;
		}
		if (join_slot >= 0 && st.end > join_at) {
			sim->mask |= BIT(join_slot);
			sim->offsets[join_slot] = 0;
			join_slot = -1;
		}
	}
}

static void sync_sim_expect(struct kunit *test, struct sync_sim *sim,
			    const u64 *from)
{
	unsigned int i, bad;
	u64 s;

	for (i = 0; i < MIRVOL_MAX_PLEXES; i++) {
		if (!(sim->mask & BIT(i)))
			continue;
		bad = 0;
		for (s = 0; s < sim->size; s++)
			bad += sim->count[i][s] != (s >= from[i] ? 1 : 0);
		KUNIT_EXPECT_EQ_MSG(test, bad, 0U,
				    "slot %u: %u sectors not copied exactly once from %llu",
				    i, bad, from[i]);
		KUNIT_EXPECT_EQ(test, sim->offsets[i], sim->size);
	}
}

static void sync_sim_init(struct kunit *test, struct sync_sim *sim, u64 size,
			  const u64 *offsets, u8 mask)
{
	unsigned int i;

	memset(sim, 0, sizeof(*sim));
	sim->size = size;
	sim->mask = mask;
	for (i = 0; i < MIRVOL_MAX_PLEXES; i++) {
		sim->offsets[i] = offsets[i];
		sim->count[i] = kunit_kcalloc(test, size, sizeof(u16),
					      GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, sim->count[i]);
	}
}

static u64 batch_full(unsigned int step)
{
	return T_BATCH;
}

static u64 batch_throttled(unsigned int step)
{
	return T_CHUNK;
}

/* The speed limit moves between batches: 1 chunk, 4, 2, 3, ... */
static u64 batch_mixed(unsigned int step)
{
	return T_CHUNK * (1 + (step * 7) % 4);
}

static void mirvol_test_sync_steps(struct kunit *test)
{
	static u64 (*const batches[])(unsigned int) = {
		batch_full, batch_throttled, batch_mixed,
	};
	/* Size not a multiple of anything; more than one barrier unit. */
	const u64 size = T_UNIT + 37 * T_CHUNK + 24;
	/*
	 * Mixed checkpoints: the landed code skipped a target whose
	 * checkpoint (5 chunks) lay off the grid of 4-chunk batches from 0.
	 */
	const u64 offsets[MIRVOL_MAX_PLEXES] = {
		0, 5 * T_CHUNK, 3 * T_CHUNK, T_UNIT - T_CHUNK, size, 0, 0,
		T_UNIT + 9 * T_CHUNK,
	};
	struct sync_sim sim;
	unsigned int b;

	for (b = 0; b < ARRAY_SIZE(batches); b++) {
		sync_sim_init(test, &sim, size, offsets, 0x9f);
		sync_sim_run(test, &sim, batches[b], 0, -1);
		sync_sim_expect(test, &sim, offsets);
	}
}

static void mirvol_test_sync_steps_join(struct kunit *test)
{
	const u64 size = 3 * T_UNIT / 2;
	const u64 offsets[MIRVOL_MAX_PLEXES] = { 0, 6 * T_CHUNK };
	const u64 from[MIRVOL_MAX_PLEXES] = { 0, 6 * T_CHUNK, 0 };
	struct sync_sim sim;

	/* Slot 2 becomes a target from 0 while the pass is past it. */
	sync_sim_init(test, &sim, size, offsets, 0x3);
	sync_sim_run(test, &sim, batch_mixed, T_UNIT + 3 * T_CHUNK, 2);
	sync_sim_expect(test, &sim, from);
	/* ...and no target: no step. */
	sync_sim_init(test, &sim, size, offsets, 0);
	sync_sim_run(test, &sim, batch_full, 0, -1);
	KUNIT_EXPECT_EQ(test, sim.steps, 0U);
}

/*
 * Partial targets copy only the regions set in the bitmap, full ones
 * everything from their checkpoint, in the same pass, whatever the batch
 * sizes: each sector they need exactly once, none they do not.
 */
static void mirvol_test_sync_steps_partial(struct kunit *test)
{
	static u64 (*const batches[])(unsigned int) = {
		batch_full, batch_throttled, batch_mixed,
	};
	const unsigned int shift = ilog2(2 * T_CHUNK);	/* 2 chunks a region */
	const u64 size = T_UNIT + 37 * T_CHUNK + 24;
	const unsigned long nr = DIV_ROUND_UP(size, 2 * T_CHUNK);
	/* Slot 0 full; 1, 2 and 3 partial, 2 in a clean region, 3 mid-run. */
	const u64 offsets[MIRVOL_MAX_PLEXES] = {
		0, 0, 5 * T_CHUNK, 9 * T_CHUNK + 100,
	};
	const u8 partial = 0xe;
	unsigned long *bits = kunit_kzalloc(test, BITS_TO_LONGS(nr) *
					    sizeof(long), GFP_KERNEL);
	struct mirvol_sync_step st;
	struct sync_sim sim;
	unsigned int b, i, bad;
	u64 s;

	KUNIT_ASSERT_NOT_NULL(test, bits);
	/* Runs of set regions, one across the barrier unit, and the last. */
	bitmap_set(bits, 0, 1);
	bitmap_set(bits, 3, 3);
	bitmap_set(bits, 30, 5);
	set_bit(nr - 1, bits);
	for (b = 0; b < ARRAY_SIZE(batches); b++) {
		sync_sim_init(test, &sim, size, offsets, 0xf);
		for (;;) {
			u64 moved[MIRVOL_MAX_PLEXES];

			memcpy(moved, sim.offsets, sizeof(moved));
			mirvol_sync_skip_clean(moved, partial, bits, nr, shift,
					       size);
			for (i = 0; i < MIRVOL_MAX_PLEXES; i++) {
				/* Only forward, only over clean regions. */
				KUNIT_ASSERT_GE(test, moved[i], sim.offsets[i]);
				for (s = sim.offsets[i]; s < moved[i]; s++)
					KUNIT_ASSERT_FALSE(test,
						test_bit(s >> shift, bits));
				sim.offsets[i] = moved[i];
			}
			if (!mirvol_sync_next_step(sim.offsets, sim.mask, size,
						   batches[b](sim.steps),
						   T_CHUNK, T_UNIT, &st))
				break;
			mirvol_sync_cap_step(&st, partial, bits, nr, shift);
			KUNIT_ASSERT_LT(test, sim.steps++, 100000U);
			KUNIT_ASSERT_LT(test, st.start, st.end);
			KUNIT_ASSERT_NE(test, st.targets, 0);
			KUNIT_ASSERT_EQ(test, st.start / T_UNIT,
					(st.end - 1) / T_UNIT);
			for (i = 0; i < MIRVOL_MAX_PLEXES; i++) {
				if (!(st.targets & BIT(i)))
					continue;
				KUNIT_ASSERT_EQ(test, st.from[i],
						sim.offsets[i]);
				for (s = st.from[i]; s < st.end; s++)
					sim.count[i][s]++;
				sim.offsets[i] = st.end;
			}
		}
		for (i = 0; i < 4; i++) {
			bad = 0;
			for (s = 0; s < size; s++)
				bad += sim.count[i][s] !=
				       (s >= offsets[i] &&
					(!(partial & BIT(i)) ||
					 test_bit(s >> shift, bits)));
			KUNIT_EXPECT_EQ_MSG(test, bad, 0U,
					    "batches %u, slot %u: %u sectors wrong",
					    b, i, bad);
			KUNIT_EXPECT_EQ(test, sim.offsets[i], size);
		}
	}
	/* Nothing set: partial targets go to the end at once. */
	bitmap_zero(bits, nr);
	sync_sim_init(test, &sim, size, offsets, 0xe);
	mirvol_sync_skip_clean(sim.offsets, partial, bits, nr, shift, size);
	KUNIT_EXPECT_FALSE(test, mirvol_sync_next_step(sim.offsets, sim.mask,
						       size, T_BATCH, T_CHUNK,
						       T_UNIT, &st));
}

static void mirvol_test_speed_batch(struct kunit *test)
{
	/* No limit: full batches. */
	KUNIT_EXPECT_EQ(test, mirvol_speed_batch(0, T_CHUNK, T_BATCH), T_BATCH);
	/* 2000 KiB/s: a quarter second is under a chunk: one chunk. */
	KUNIT_EXPECT_EQ(test, mirvol_speed_batch(2000, T_CHUNK, T_BATCH),
			T_CHUNK);
	/* 12 MiB/s: 3 MiB per quarter second: 3 chunks. */
	KUNIT_EXPECT_EQ(test, mirvol_speed_batch(12288, T_CHUNK, T_BATCH),
			3 * T_CHUNK);
	KUNIT_EXPECT_EQ(test, mirvol_speed_batch(200000, T_CHUNK, T_BATCH),
			T_BATCH);
}

static void mirvol_test_read_errors_decay(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, mirvol_read_errors_decay(20, 1000, 1000), 20U);
	KUNIT_EXPECT_EQ(test, mirvol_read_errors_decay(20, 1000, 1000 + 3599),
			20U);
	KUNIT_EXPECT_EQ(test, mirvol_read_errors_decay(20, 1000, 1000 + 3600),
			10U);
	KUNIT_EXPECT_EQ(test, mirvol_read_errors_decay(20, 0, 3 * 3600), 2U);
	KUNIT_EXPECT_EQ(test, mirvol_read_errors_decay(~0U, 0, 40 * 3600), 0U);
	/* A clock going back does not decay nor grow. */
	KUNIT_EXPECT_EQ(test, mirvol_read_errors_decay(7, 5000, 10), 7U);
}

static void mirvol_test_sync_action_rules(struct kunit *test)
{
	static const unsigned int synced[] = {
		MIRVOL_PLEX_ACTIVE, MIRVOL_PLEX_ACTIVE,
	};
	static const unsigned int stale[] = {
		MIRVOL_PLEX_ACTIVE, MIRVOL_PLEX_STALE, MIRVOL_PLEX_ACTIVE,
	};
	static const unsigned int one[] = {
		MIRVOL_PLEX_ACTIVE, MIRVOL_PLEX_SYNCING,
	};
	struct mirvol_rule_vol v;

	rule_vol(&v, synced, 2);
	KUNIT_EXPECT_EQ(test, mirvol_check_resync(&v),
			MIRVOL_R_NOTHING_TO_SYNC);
	KUNIT_EXPECT_EQ(test, mirvol_check_scrub(&v, -1, false), MIRVOL_R_NONE);
	KUNIT_EXPECT_EQ(test, mirvol_check_scrub(&v, -1, true), MIRVOL_R_NONE);
	KUNIT_EXPECT_EQ(test, mirvol_check_scrub(&v, 1, false), MIRVOL_R_NONE);
	KUNIT_EXPECT_EQ(test, mirvol_check_scrub(&v, 5, false),
			MIRVOL_R_OBJECT_NOT_FOUND);
	KUNIT_EXPECT_EQ(test, mirvol_check_scrub(&v, -2, false),
			MIRVOL_R_OBJECT_NOT_FOUND);
	v.busy = true;
	KUNIT_EXPECT_EQ(test, mirvol_check_scrub(&v, -1, false),
			MIRVOL_R_ANOTHER_CALL_IN_PROGRESS);

	rule_vol(&v, stale, 3);
	KUNIT_EXPECT_EQ(test, mirvol_check_resync(&v), MIRVOL_R_NONE);
	KUNIT_EXPECT_EQ(test, mirvol_check_scrub(&v, 1, false),
			MIRVOL_R_PLEX_NOT_IN_SYNC);
	KUNIT_EXPECT_EQ(test, mirvol_check_scrub(&v, 2, false), MIRVOL_R_NONE);
	/* A repair waits for the stale plex's resync. */
	KUNIT_EXPECT_EQ(test, mirvol_check_scrub(&v, 2, true),
			MIRVOL_R_RESYNC_PENDING);
	KUNIT_EXPECT_EQ(test, mirvol_check_scrub(&v, -1, true),
			MIRVOL_R_RESYNC_PENDING);
	KUNIT_EXPECT_EQ(test, mirvol_check_scrub(&v, 1, true),
			MIRVOL_R_PLEX_NOT_IN_SYNC);
	v.states[1] = MIRVOL_PLEX_SYNCING;
	KUNIT_EXPECT_EQ(test, mirvol_check_scrub(&v, -1, true),
			MIRVOL_R_RESYNC_PENDING);
	KUNIT_EXPECT_EQ(test, mirvol_check_scrub(&v, -1, false),
			MIRVOL_R_NONE);
	v.state = MIRVOL_VOLUME_OFFLINE;
	KUNIT_EXPECT_EQ(test, mirvol_check_resync(&v),
			MIRVOL_R_VOLUME_NOT_ONLINE);

	rule_vol(&v, one, 2);
	KUNIT_EXPECT_EQ(test, mirvol_check_resync(&v), MIRVOL_R_NONE);
	KUNIT_EXPECT_EQ(test, mirvol_check_scrub(&v, -1, false),
			MIRVOL_R_TOO_FEW_IN_SYNC);
	v.state = MIRVOL_VOLUME_FAILED;
	KUNIT_EXPECT_EQ(test, mirvol_check_resync(&v),
			MIRVOL_R_OBJECT_STATUS_FAILED);
}

/*
 * The last in-sync plex went away during a resync (a power cut reaching
 * it first): the syncing plex wrote on without it and recorded it with
 * MIRVOL_PLEX_F_LAST_IN_SYNC.  When both come back it is the source,
 * whatever generations it missed; the landed code called it stale and
 * refused the volume (NO_IN_SYNC_MEMBER).
 */
static void mirvol_test_plan_last_in_sync(struct kunit *test)
{
	struct mirvol_md a, b;
	const struct mirvol_md *mds[] = { &a, &b };
	unsigned int classes[2];
	struct mirvol_asm_plan plan;
	enum mirvol_reason r;

	md_member(&a, 2, 0, 100);
	a.plexes[1].state = MIRVOL_PLEX_SYNCING;
	a.plexes[1].sync_offset = 4096;
	md_member(&b, 2, 1, 107);
	b.plexes[0].flags = MIRVOL_PLEX_F_LAST_IN_SYNC;
	b.plexes[1].state = MIRVOL_PLEX_SYNCING;
	b.plexes[1].sync_offset = 8192;
	b.flags = MIRVOL_SB_F_DIRTY;
	mirvol_assemble_plan(mds, 2, classes, &plan);
	KUNIT_EXPECT_EQ(test, plan.reason, MIRVOL_R_NONE);
	KUNIT_EXPECT_EQ(test, plan.newest, 1);
	KUNIT_EXPECT_EQ(test, plan.slot_state[0], MIRVOL_PLEX_ACTIVE);
	KUNIT_EXPECT_EQ(test, plan.slot_state[1], MIRVOL_PLEX_SYNCING);
	KUNIT_EXPECT_EQ(test, plan.dirty_source, 0);
	/* Alone it is enough to run the volume. */
	mds[0] = &a;
	mirvol_assemble_plan(mds, 1, classes, &plan);
	KUNIT_EXPECT_EQ(test, plan.reason, MIRVOL_R_NONE);
	/* Without the flag: stale, and nothing in sync (the old outcome). */
	b.plexes[0].flags = 0;
	b.plexes[0].state = MIRVOL_PLEX_MISSING;
	mds[1] = &b;
	mirvol_assemble_plan(mds, 2, classes, &plan);
	KUNIT_EXPECT_EQ(test, plan.reason, MIRVOL_R_NO_IN_SYNC_MEMBER);
	/* A running volume takes it back as in sync, too. */
	b.plexes[0].state = MIRVOL_PLEX_ACTIVE;
	b.plexes[0].flags = MIRVOL_PLEX_F_LAST_IN_SYNC;
	r = mirvol_rejoin_check(&b, &a, false);
	KUNIT_EXPECT_EQ(test, r, MIRVOL_R_NONE);
}

/*
 * The volume {A, P}: P (slot 1) went missing at generation 11, then the
 * volume replaced A (slot 0, 0x10) by C (0x30) and went on to 40.  P's
 * own superblock, of generation @gen, says it is in sync.
 */
static void md_replaced_pair(struct mirvol_md *c, struct mirvol_md *p,
			     u64 gen)
{
	md_member(c, 2, 0, 40);
	c->plex_uuid[0] = 0x30;
	c->plexes[0].uuid[0] = 0x30;
	c->plexes[1].state = MIRVOL_PLEX_MISSING;
	c->plexes[1].sync_offset = 0;
	c->plexes[1].gone_generation = 11;
	c->bitmap_region = 128;
	c->bitmap_cleared_gen = 1;
	md_member(p, 2, 1, gen);
	p->bitmap_region = 128;
	p->bitmap_cleared_gen = 1;
}

/*
 * P ran alone meanwhile (F_RUN) and was written: its start and its dirty
 * mark took it past the generation the volume recorded it gone at, and
 * its superblock records A missing.  It ran without the volume, though
 * no plex the volume has is in its table, and its generation is below
 * the volume's: split brain, not a return copying the bitmap's regions
 * (it would keep its own writes everywhere else).
 */
static void mirvol_test_rejoin_after_replace(struct kunit *test)
{
	static struct mirvol_md c, p;
	const struct mirvol_md *mds[] = { &c, &p };
	unsigned int classes[2];
	struct mirvol_asm_plan plan;

	md_replaced_pair(&c, &p, 13);
	p.plexes[0].state = MIRVOL_PLEX_MISSING;	/* it ran alone */
	p.plexes[0].sync_offset = 0;
	p.plexes[0].gone_generation = 11;
	KUNIT_EXPECT_EQ(test, mirvol_rejoin_check(&c, &p, false),
			MIRVOL_R_SPLIT_BRAIN);
	mirvol_assemble_plan(mds, 2, classes, &plan);
	KUNIT_EXPECT_EQ(test, plan.reason, MIRVOL_R_SPLIT_BRAIN);
	KUNIT_EXPECT_EQ(test, classes[1], (unsigned int)MIRVOL_ASM_SPLIT);
	KUNIT_EXPECT_FALSE(test, plan.reason == MIRVOL_R_NONE &&
			   plan.slot_partial[1]);
	/* Failed, and re-added: the same. */
	c.plexes[1].state = MIRVOL_PLEX_FAILED;
	KUNIT_EXPECT_EQ(test, mirvol_rejoin_check(&c, &p, true),
			MIRVOL_R_SPLIT_BRAIN);
	/* Offline, its mark lost, then run alone: the same. */
	c.plexes[1].state = MIRVOL_PLEX_OFFLINE;
	KUNIT_EXPECT_EQ(test, mirvol_rejoin_check(&c, &p, false),
			MIRVOL_R_SPLIT_BRAIN);
	mirvol_assemble_plan(mds, 2, classes, &plan);
	KUNIT_EXPECT_EQ(test, plan.reason, MIRVOL_R_SPLIT_BRAIN);
}

/*
 * P's last superblock is two generations behind the update that recorded
 * it gone (11): its own is 9 (the write of update 10 failed on it, the
 * repeat 11 recorded it failed; or assembly took it current one behind
 * and failed it in its own update).  The bitmap covers such an image
 * (mirvol_bitmap_image_left()).  Started alone it took 10 (its start)
 * and 11 (its first dirty mark): a generation equal to gone_generation,
 * not past it, which no superblock of P may carry saying it in sync.
 * It ran without the volume: split brain, not a partial return that
 * keeps its own writes outside the bitmap's regions.
 */
/*
 * The volume's verdict on member @m returning, @vol its superblock: by
 * rejoin (@readd: an explicit re-add) and by the plan of an assembly of
 * both.  Returns the plan's class of @m.
 */
static unsigned int expect_return(struct kunit *test,
				  const struct mirvol_md *vol,
				  const struct mirvol_md *m, bool readd,
				  enum mirvol_reason reason)
{
	const struct mirvol_md *mds[] = { vol, m };
	struct mirvol_asm_plan plan;
	unsigned int classes[2];

	KUNIT_EXPECT_EQ(test, mirvol_rejoin_check(vol, m, readd), reason);
	mirvol_assemble_plan(mds, 2, classes, &plan);
	KUNIT_EXPECT_EQ(test, plan.reason, reason);
	if (reason == MIRVOL_R_NONE && vol->plexes[m->plex_index].state ==
	    MIRVOL_PLEX_MISSING)
		KUNIT_EXPECT_TRUE(test, plan.slot_partial[m->plex_index]);
	return classes[1];
}

static void mirvol_test_ran_alone_to_gone(struct kunit *test)
{
	static struct mirvol_md c, p;

	/* Not run: its superblock of 9 comes back by the bitmap. */
	md_replaced_pair(&c, &p, 9);
	expect_return(test, &c, &p, false, MIRVOL_R_NONE);

	/* Run alone: start 10 (A missing), dirty mark 11. */
	p.generation = 11;
	p.plexes[0].state = MIRVOL_PLEX_MISSING;
	p.plexes[0].sync_offset = 0;
	p.plexes[0].gone_generation = 10;
	KUNIT_EXPECT_EQ(test, expect_return(test, &c, &p, false,
					    MIRVOL_R_SPLIT_BRAIN),
			(unsigned int)MIRVOL_ASM_SPLIT);
	/* Recorded failed, re-added: the same. */
	c.plexes[1].state = MIRVOL_PLEX_FAILED;
	expect_return(test, &c, &p, true, MIRVOL_R_SPLIT_BRAIN);
	/* Offline at 11, its mark lost, its image of 9: the same. */
	c.plexes[1].state = MIRVOL_PLEX_OFFLINE;
	expect_return(test, &c, &p, false, MIRVOL_R_SPLIT_BRAIN);
	/* Its offline mark of 11 is no run: held offline. */
	p.plexes[0].state = MIRVOL_PLEX_ACTIVE;
	p.plexes[0].sync_offset = p.data_size;
	p.plexes[0].gone_generation = 0;
	p.plexes[1].state = MIRVOL_PLEX_OFFLINE;
	p.plexes[1].gone_generation = 11;
	expect_return(test, &c, &p, false, MIRVOL_R_NONE);
}

/*
 * Volume {A, B, S}, S a partial resync target since 11 (its
 * gone_generation kept while it syncs).  B and S leave at 31 (their last
 * superblock 30) and are started together elsewhere (--run): B in sync,
 * S resuming its resync from B, A recorded missing at 31; written, 33.
 * S still says it is syncing, so ran_apart() does not see it; what does
 * is that its table records A missing while the volume has A in sync:
 * S returning alone (a rejoin, or an assembly with A) and the three
 * together are split brain.  S that left without running comes back by
 * the bitmap.
 */
static void mirvol_test_syncing_ran_elsewhere(struct kunit *test)
{
	static struct mirvol_md a, b, sy;
	const struct mirvol_md *mds[] = { &a, &b, &sy };
	unsigned int classes[3];
	struct mirvol_asm_plan plan;
	unsigned int i;

	md_member(&a, 3, 0, 40);
	md_member(&b, 3, 1, 33);
	md_member(&sy, 3, 2, 30);
	for (i = 0; i < 3; i++) {
		struct mirvol_md *md = i ? (i == 1 ? &b : &sy) : &a;

		md->bitmap_region = 128;
		md->bitmap_cleared_gen = 1;
		md->plexes[2].state = MIRVOL_PLEX_SYNCING;
		md->plexes[2].flags = MIRVOL_PLEX_F_BITMAP_SYNC;
		md->plexes[2].sync_offset = 512;
		md->plexes[2].gone_generation = 11;
	}
	/* The volume: B and S missing since 31, S's coverage from 11. */
	a.plexes[1].state = MIRVOL_PLEX_MISSING;
	a.plexes[1].sync_offset = 0;
	a.plexes[1].gone_generation = 31;
	a.plexes[2].state = MIRVOL_PLEX_MISSING;
	a.plexes[2].flags = 0;
	a.plexes[2].sync_offset = 0;

	/* S left without running: it comes back by the bitmap. */
	expect_return(test, &a, &sy, false, MIRVOL_R_NONE);

	/* B and S ran elsewhere: A missing since their start, 31. */
	b.plexes[0].state = MIRVOL_PLEX_MISSING;
	b.plexes[0].sync_offset = 0;
	b.plexes[0].gone_generation = 31;
	sy.plexes[0] = b.plexes[0];
	sy.generation = 33;
	KUNIT_EXPECT_EQ(test, sy.plexes[2].state,
			(u32)MIRVOL_PLEX_SYNCING);
	KUNIT_EXPECT_EQ(test, expect_return(test, &a, &sy, false,
					    MIRVOL_R_SPLIT_BRAIN),
			(unsigned int)MIRVOL_ASM_SPLIT);
	mirvol_assemble_plan(mds, 3, classes, &plan);
	KUNIT_EXPECT_EQ(test, plan.reason, MIRVOL_R_SPLIT_BRAIN);
	KUNIT_EXPECT_EQ(test, mirvol_rejoin_check(&a, &b, false),
			MIRVOL_R_SPLIT_BRAIN);
	/* Its resync done elsewhere, S says active: the same. */
	sy.plexes[2].state = MIRVOL_PLEX_ACTIVE;
	sy.plexes[2].flags = 0;
	sy.plexes[2].sync_offset = sy.data_size;
	sy.plexes[2].gone_generation = 0;
	KUNIT_EXPECT_EQ(test, mirvol_rejoin_check(&a, &sy, false),
			MIRVOL_R_SPLIT_BRAIN);
}

/*
 * Two sides that share no plex any more (admin-guide.rst, "Assembly"):
 * P left {A, P} at 11 and ran alone to 100; the volume replaced P by D
 * (slot 1) and A by C (slot 0), 40.  Nothing tells that from a former
 * member: F, removed from the volume at 20 (its erase failed) before C
 * and D came.  The higher generation is the truth, as md's highest
 * event count; the other side is refused, untouched (NOT_A_MEMBER).
 * This pins the documented behaviour, a known limit.
 */
static void mirvol_test_disjoint_sides(struct kunit *test)
{
	static struct mirvol_md c, d, p;
	const struct mirvol_md *mds[] = { &c, &d, &p };
	unsigned int classes[3];
	struct mirvol_asm_plan plan;

	md_member(&c, 2, 0, 40);
	md_member(&d, 2, 1, 40);
	c.plex_uuid[0] = 0x30;
	c.plexes[0].uuid[0] = 0x30;
	c.plexes[1].uuid[0] = 0x31;
	d.plex_uuid[0] = 0x31;
	memcpy(d.plexes, c.plexes, sizeof(c.plexes));
	md_member(&p, 2, 1, 100);
	p.plexes[0].state = MIRVOL_PLEX_MISSING;
	p.plexes[0].sync_offset = 0;
	p.plexes[0].gone_generation = 11;
	mirvol_assemble_plan(mds, 3, classes, &plan);
	KUNIT_EXPECT_EQ(test, plan.reason, MIRVOL_R_NONE);
	KUNIT_EXPECT_EQ(test, plan.newest, 2);
	KUNIT_EXPECT_EQ(test, classes[0], (unsigned int)MIRVOL_ASM_SUPERSEDED);
	KUNIT_EXPECT_EQ(test, classes[1], (unsigned int)MIRVOL_ASM_SUPERSEDED);
	/* The volume's side newer: it wins, P is the one refused. */
	p.generation = 30;
	mirvol_assemble_plan(mds, 3, classes, &plan);
	KUNIT_EXPECT_EQ(test, plan.reason, MIRVOL_R_NONE);
	KUNIT_EXPECT_EQ(test, plan.newest, 0);
	KUNIT_EXPECT_EQ(test, classes[2], (unsigned int)MIRVOL_ASM_SUPERSEDED);
	/* A former member, never run: the same tables, the same result. */
	md_member(&p, 2, 1, 19);
	mirvol_assemble_plan(mds, 3, classes, &plan);
	KUNIT_EXPECT_EQ(test, plan.reason, MIRVOL_R_NONE);
	KUNIT_EXPECT_EQ(test, classes[2], (unsigned int)MIRVOL_ASM_SUPERSEDED);
}

/*
 * The returns of P that did not run without the volume, in the same
 * volume: each is taken back as before.
 */
static void mirvol_test_rejoin_after_replace_legit(struct kunit *test)
{
	static struct mirvol_md c, p;
	const struct mirvol_md *mds[] = { &c, &p };
	unsigned int classes[2];
	struct mirvol_asm_plan plan;

	/* It missed the updates from 11 on: its last one is 10. */
	md_replaced_pair(&c, &p, 10);
	KUNIT_EXPECT_EQ(test, mirvol_rejoin_check(&c, &p, false),
			MIRVOL_R_NONE);
	mirvol_assemble_plan(mds, 2, classes, &plan);
	KUNIT_EXPECT_EQ(test, plan.reason, MIRVOL_R_NONE);
	KUNIT_EXPECT_EQ(test, plan.slot_state[1],
			(unsigned int)MIRVOL_PLEX_SYNCING);
	KUNIT_EXPECT_TRUE(test, plan.slot_partial[1]);
	/* Failed at 11, re-added. */
	c.plexes[1].state = MIRVOL_PLEX_FAILED;
	KUNIT_EXPECT_EQ(test, mirvol_rejoin_check(&c, &p, true),
			MIRVOL_R_NONE);
	/*
	 * Taken offline at 11, its own superblock marked so at 11
	 * (mirvol_sb_mark_offline()); or that mark lost: 10.
	 */
	c.plexes[1].state = MIRVOL_PLEX_OFFLINE;
	KUNIT_EXPECT_EQ(test, mirvol_rejoin_check(&c, &p, false),
			MIRVOL_R_NONE);
	p.generation = 11;
	p.plexes[1].state = MIRVOL_PLEX_OFFLINE;
	p.plexes[1].gone_generation = 11;
	KUNIT_EXPECT_EQ(test, mirvol_rejoin_check(&c, &p, false),
			MIRVOL_R_NONE);
	mirvol_assemble_plan(mds, 2, classes, &plan);
	KUNIT_EXPECT_EQ(test, plan.reason, MIRVOL_R_NONE);
	KUNIT_EXPECT_EQ(test, plan.slot_state[1],
			(unsigned int)MIRVOL_PLEX_OFFLINE);
	/*
	 * Its rejoin at 30 cut short by a power cut: its superblock is the
	 * join's, of 31, listing it syncing by the bitmap since 11
	 * (mirvol_sb_join_plex()); the volume started without it.  Or a
	 * partial target (dirty, merge) that took updates after 11.
	 */
	c.plexes[1].state = MIRVOL_PLEX_MISSING;
	p.generation = 31;
	p.plexes[1].state = MIRVOL_PLEX_SYNCING;
	p.plexes[1].flags = MIRVOL_PLEX_F_BITMAP_SYNC;
	p.plexes[1].sync_offset = 0;
	p.plexes[1].gone_generation = 11;
	p.plexes[0].uuid[0] = 0x30;
	KUNIT_EXPECT_EQ(test, mirvol_rejoin_check(&c, &p, false),
			MIRVOL_R_NONE);
	mirvol_assemble_plan(mds, 2, classes, &plan);
	KUNIT_EXPECT_EQ(test, plan.reason, MIRVOL_R_NONE);
	KUNIT_EXPECT_TRUE(test, plan.slot_partial[1]);
	/* Left copying everything: no gone_generation, copies it all. */
	c.plexes[1].gone_generation = 0;
	p.plexes[1].state = MIRVOL_PLEX_ACTIVE;
	p.plexes[1].flags = 0;
	p.plexes[1].gone_generation = 0;
	KUNIT_EXPECT_EQ(test, mirvol_rejoin_check(&c, &p, false),
			MIRVOL_R_NONE);
	mirvol_assemble_plan(mds, 2, classes, &plan);
	KUNIT_EXPECT_EQ(test, plan.reason, MIRVOL_R_NONE);
	KUNIT_EXPECT_EQ(test, plan.slot_state[1],
			(unsigned int)MIRVOL_PLEX_STALE);
}

/*
 * B taken offline by A's side at generation 100, A running on; B's own
 * superblock of 100 (an old image, or its offline mark failed) records
 * both in sync, and B is started alone (--run), recording A missing.
 * Each side ran without the other: split brain, whichever is newer.
 */
static void mirvol_test_plan_offline_ran_alone(struct kunit *test)
{
	struct mirvol_md a, b;
	const struct mirvol_md *mds[] = { &a, &b };
	unsigned int classes[2];
	struct mirvol_asm_plan plan;

	/* A ran on after taking B offline at generation 100. */
	md_member(&a, 2, 0, 120);
	a.plexes[1].state = MIRVOL_PLEX_OFFLINE;
	a.plexes[1].gone_generation = 100;
	/* B, its superblock of 100, started alone at 101: A missing. */
	md_member(&b, 2, 1, 103);
	b.plexes[0].state = MIRVOL_PLEX_MISSING;
	b.plexes[0].gone_generation = 101;
	KUNIT_EXPECT_EQ(test, mirvol_rejoin_check(&a, &b, false),
			MIRVOL_R_SPLIT_BRAIN);
	mirvol_assemble_plan(mds, 2, classes, &plan);
	KUNIT_EXPECT_EQ(test, plan.reason, MIRVOL_R_SPLIT_BRAIN);
	/* B ran longer: A would be resynced from B, its writes lost. */
	b.generation = 130;
	mirvol_assemble_plan(mds, 2, classes, &plan);
	KUNIT_EXPECT_EQ(test, plan.reason, MIRVOL_R_SPLIT_BRAIN);
	KUNIT_EXPECT_EQ(test, classes[0], MIRVOL_ASM_SPLIT);
	/*
	 * B never ran alone: held offline, no split brain.  Its own last
	 * superblock is of 99: the update of 100 is the first without it.
	 */
	md_member(&b, 2, 1, 99);
	mirvol_assemble_plan(mds, 2, classes, &plan);
	KUNIT_EXPECT_EQ(test, plan.reason, MIRVOL_R_NONE);
	KUNIT_EXPECT_EQ(test, plan.slot_state[1], MIRVOL_PLEX_OFFLINE);
	/* Likewise with its offline mark of 100 (mirvol_sb_mark_offline()). */
	b.generation = 100;
	b.plexes[1].state = MIRVOL_PLEX_OFFLINE;
	b.plexes[1].gone_generation = 100;
	mirvol_assemble_plan(mds, 2, classes, &plan);
	KUNIT_EXPECT_EQ(test, plan.reason, MIRVOL_R_NONE);
	KUNIT_EXPECT_EQ(test, plan.slot_state[1], MIRVOL_PLEX_OFFLINE);
}

/*
 * The last in-sync plex back at assembly, the newest superblock (a
 * syncing plex's) clean: its cache may have lost writes the syncing plex
 * took below its checkpoint, as in a running volume (mirvol_rejoin()).
 * The syncing plex copies everything again, from 0, not by the bitmap.
 */
static void mirvol_test_plan_last_in_sync_clean(struct kunit *test)
{
	struct mirvol_md a, b;
	const struct mirvol_md *mds[] = { &a, &b };
	unsigned int classes[2];
	struct mirvol_asm_plan plan;

	md_member(&a, 2, 0, 100);
	a.plexes[1].state = MIRVOL_PLEX_SYNCING;
	a.plexes[1].sync_offset = 4096;
	md_member(&b, 2, 1, 107);
	b.plexes[0].flags = MIRVOL_PLEX_F_LAST_IN_SYNC;
	b.plexes[1].state = MIRVOL_PLEX_SYNCING;
	b.plexes[1].sync_offset = 8192;
	mirvol_assemble_plan(mds, 2, classes, &plan);
	KUNIT_EXPECT_EQ(test, plan.reason, MIRVOL_R_NONE);
	KUNIT_EXPECT_EQ(test, plan.slot_state[0], MIRVOL_PLEX_ACTIVE);
	KUNIT_EXPECT_EQ(test, plan.slot_state[1], MIRVOL_PLEX_SYNCING);
	KUNIT_EXPECT_EQ(test, plan.slot_sync[1], 0ULL);
	KUNIT_EXPECT_FALSE(test, plan.slot_partial[1]);
	/* A partial target likewise: everything. */
	md_bitmap(&a, 1);
	md_bitmap(&b, 1);
	b.plexes[1].flags = MIRVOL_PLEX_F_BITMAP_SYNC;
	mirvol_assemble_plan(mds, 2, classes, &plan);
	KUNIT_EXPECT_EQ(test, plan.slot_state[1], MIRVOL_PLEX_SYNCING);
	KUNIT_EXPECT_EQ(test, plan.slot_sync[1], 0ULL);
	KUNIT_EXPECT_FALSE(test, plan.slot_partial[1]);
	/*
	 * Plex 0 was run alone meanwhile (--run), a few updates only: plex
	 * 1's superblock still outranks its own, and plex 1 lacks the
	 * writes plex 0 took alone, below its checkpoint too.
	 */
	a.generation = 103;
	a.plexes[1].state = MIRVOL_PLEX_MISSING;
	a.plexes[1].sync_offset = 0;
	mirvol_assemble_plan(mds, 2, classes, &plan);
	KUNIT_EXPECT_EQ(test, plan.reason, MIRVOL_R_NONE);
	KUNIT_EXPECT_EQ(test, plan.newest, 1);
	KUNIT_EXPECT_EQ(test, plan.slot_state[0], MIRVOL_PLEX_ACTIVE);
	KUNIT_EXPECT_EQ(test, plan.slot_sync[1], 0ULL);
	KUNIT_EXPECT_FALSE(test, plan.slot_partial[1]);
}

/*
 * The device of missing plex 1 comes back holding an old image of it (a
 * dd clone, a restored backup, a reverted VM disk) of generation 10,
 * while the volume recorded it gone at 90 and its bitmap covers every
 * write since 50: writes before 90 whose bits were cleared are not on
 * the image.  It copies everything.  The device as it left (the update
 * before the first without it, or the one before that after a crash in
 * the middle of an update) is covered.
 */
static void mirvol_test_plan_old_image_partial(struct kunit *test)
{
	struct mirvol_md a, b;
	const struct mirvol_md *mds[] = { &a, &b };
	unsigned int classes[2];
	struct mirvol_asm_plan plan;

	md_member(&a, 2, 0, 100);
	md_bitmap(&a, 50);
	a.plexes[1].state = MIRVOL_PLEX_MISSING;
	a.plexes[1].gone_generation = 90;
	md_member(&b, 2, 1, 10);
	md_bitmap(&b, 1);
	mirvol_assemble_plan(mds, 2, classes, &plan);
	KUNIT_EXPECT_EQ(test, plan.reason, MIRVOL_R_NONE);
	KUNIT_EXPECT_EQ(test, plan.slot_state[1], MIRVOL_PLEX_STALE);
	KUNIT_EXPECT_FALSE(test, plan.slot_partial[1]);
	/* Older than the update before the one it missed: everything. */
	b.generation = 87;
	mirvol_assemble_plan(mds, 2, classes, &plan);
	KUNIT_EXPECT_FALSE(test, plan.slot_partial[1]);
	b.generation = 88;
	mirvol_assemble_plan(mds, 2, classes, &plan);
	KUNIT_EXPECT_EQ(test, plan.slot_state[1], MIRVOL_PLEX_SYNCING);
	KUNIT_EXPECT_TRUE(test, plan.slot_partial[1]);
	b.generation = 89;
	mirvol_assemble_plan(mds, 2, classes, &plan);
	KUNIT_EXPECT_TRUE(test, plan.slot_partial[1]);
}

static struct kunit_case mirvol_logic_cases[] = {
	KUNIT_CASE_PARAM(mirvol_test_name, name_gen_params),
	KUNIT_CASE_PARAM(mirvol_test_new_name, new_name_gen_params),
	KUNIT_CASE(mirvol_test_name_unterminated),
	KUNIT_CASE(mirvol_test_break_name),
	KUNIT_CASE(mirvol_test_create_args),
	KUNIT_CASE(mirvol_test_reason_errno),
	KUNIT_CASE(mirvol_test_transitions),
	KUNIT_CASE(mirvol_test_state_predicates),
	KUNIT_CASE(mirvol_test_volume_state),
	KUNIT_CASE(mirvol_test_plex_action_rules),
	KUNIT_CASE(mirvol_test_set_volume_args),
	KUNIT_CASE(mirvol_test_break_rules),
	KUNIT_CASE(mirvol_test_remove_rules),
	KUNIT_CASE(mirvol_test_add_rules),
	KUNIT_CASE(mirvol_test_read_sequential),
	KUNIT_CASE(mirvol_test_read_least_pending),
	KUNIT_CASE(mirvol_test_read_spread),
	KUNIT_CASE(mirvol_test_read_none),
	KUNIT_CASE(mirvol_test_read_slow_leg_qd1),
	KUNIT_CASE(mirvol_test_read_slow_leg_qd32),
	KUNIT_CASE(mirvol_test_read_equal_legs),
	KUNIT_CASE(mirvol_test_read_leg_recovers),
	KUNIT_CASE(mirvol_test_read_three_legs),
	KUNIT_CASE(mirvol_test_read_write_mostly),
	KUNIT_CASE(mirvol_test_read_streams_keep_plex),
	KUNIT_CASE(mirvol_test_speed_window),
	KUNIT_CASE(mirvol_test_speed_delay),
	KUNIT_CASE(mirvol_test_speed_throttle),
	KUNIT_CASE(mirvol_test_speed_batch),
	KUNIT_CASE(mirvol_test_sync_steps),
	KUNIT_CASE(mirvol_test_sync_steps_join),
	KUNIT_CASE(mirvol_test_sync_steps_partial),
	KUNIT_CASE(mirvol_test_read_errors_decay),
	KUNIT_CASE(mirvol_test_sync_action_rules),
	KUNIT_CASE(mirvol_test_plan_complete),
	KUNIT_CASE(mirvol_test_plan_degraded),
	KUNIT_CASE(mirvol_test_plan_split_brain),
	KUNIT_CASE(mirvol_test_plan_dirty),
	KUNIT_CASE(mirvol_test_plan_bitmap),
	KUNIT_CASE(mirvol_test_plan_no_in_sync),
	KUNIT_CASE(mirvol_test_plan_superseded),
	KUNIT_CASE(mirvol_test_plan_size_mismatch),
	KUNIT_CASE(mirvol_test_plan_join_cut),
	KUNIT_CASE(mirvol_test_plan_duplicate),
	KUNIT_CASE(mirvol_test_plan_last_in_sync),
	KUNIT_CASE(mirvol_test_plan_offline_ran_alone),
	KUNIT_CASE(mirvol_test_plan_old_image_partial),
	KUNIT_CASE(mirvol_test_plan_last_in_sync_clean),
	KUNIT_CASE(mirvol_test_rejoin),
	KUNIT_CASE(mirvol_test_late_join),
	KUNIT_CASE(mirvol_test_rejoin_after_replace),
	KUNIT_CASE(mirvol_test_ran_alone_to_gone),
	KUNIT_CASE(mirvol_test_syncing_ran_elsewhere),
	KUNIT_CASE(mirvol_test_disjoint_sides),
	KUNIT_CASE(mirvol_test_rejoin_after_replace_legit),
	{}
};

static struct kunit_suite mirvol_logic_suite = {
	.name = "mirvol-logic",
	.test_cases = mirvol_logic_cases,
};

kunit_test_suite(mirvol_logic_suite);
