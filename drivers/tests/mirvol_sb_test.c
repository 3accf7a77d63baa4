// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the mirvol superblock codec: encode/decode round trips,
 * the checksum, slot selection, field validation, and fuzzing with random
 * and mutated superblocks (which must never be accepted wrongly, nor crash
 * or hang the parser).
 *
 * Copyright (C) 2026 The mirvol authors
 */
#include <kunit/test.h>
#include <linux/crc32c.h>
#include <linux/prandom.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "mirvol_sb_codec.h"

#define DEV_SECTORS	((1ULL << 21) + 2048)	/* 1 GiB + 1 MiB */

static void md_sample(struct mirvol_md *md)
{
	unsigned int i;

	memset(md, 0, sizeof(*md));
	for (i = 0; i < MIRVOL_UUID_LEN; i++) {
		md->volume_uuid[i] = 0xa0 + i;
		md->plex_uuid[i] = 0x21 + i;
	}
	strscpy(md->name, "db-mirror.1", sizeof(md->name));
	md->plex_index = 1;
	md->nr_plexes = 3;
	md->flags = MIRVOL_SB_F_DIRTY;
	md->generation = 0x123456789ULL;
	md->data_offset = 2048;
	md->data_size = 1ULL << 21;
	md->dev_size = DEV_SECTORS;
	md->ctime = 1700000000;
	md->utime = 1700000999;
	md->bitmap_offset = 128;
	md->bitmap_size = 2048 - 128;
	md->resync_offset = 4096;
	for (i = 0; i < 3; i++) {
		memset(md->plexes[i].uuid, 0x20 + i, MIRVOL_UUID_LEN);
		md->plexes[i].state = MIRVOL_PLEX_ACTIVE;
		md->plexes[i].sync_offset = md->data_size;
	}
	memcpy(md->plexes[1].uuid, md->plex_uuid, MIRVOL_UUID_LEN);
	md->plexes[2].state = MIRVOL_PLEX_SYNCING;
	md->plexes[2].sync_offset = 4096;
	md->plexes[2].flags = MIRVOL_PLEX_F_BITMAP_SYNC;
	md->plexes[0].flags = MIRVOL_PLEX_F_BOOT;
	/* Version 2: a 64 KiB-region bitmap, stored speeds, a split. */
	md->version = MIRVOL_SB_VERSION;
	md->bitmap_region = 128;
	md->bitmap_cleared_gen = 2;
	md->sync_speed_min = 1000;
	md->sync_speed_max = 200000;
	memset(md->split_peer, 0x77, MIRVOL_UUID_LEN);
	md->split_generation = 3;
}

/* Re-checksum a slot after a deliberate change. */
static void resum(void *slot)
{
	struct mirvol_sb *sb = slot;

	sb->csum = cpu_to_le32(mirvol_sb_csum(sb));
}

static void mirvol_test_round_trip(struct kunit *test)
{
	struct mirvol_md in, out;
	u8 *slot = kunit_kzalloc(test, MIRVOL_SB_SLOT_SIZE, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, slot);
	md_sample(&in);
	mirvol_sb_encode(&in, slot);
	KUNIT_ASSERT_EQ(test, mirvol_sb_decode(slot, DEV_SECTORS, &out),
			MIRVOL_SB_OK);
	KUNIT_EXPECT_EQ(test, memcmp(&in, &out, sizeof(in)), 0);
	/* On-disk layout: little endian at the documented offsets. */
	KUNIT_EXPECT_EQ(test, le64_to_cpu(((struct mirvol_sb *)slot)->magic),
			MIRVOL_SB_MAGIC);
	KUNIT_EXPECT_EQ(test, memcmp(slot, "MIRVOLSB", 8), 0);
	KUNIT_EXPECT_EQ(test, slot[offsetof(struct mirvol_sb, generation)],
			0x89);
	KUNIT_EXPECT_EQ(test, offsetof(struct mirvol_sb, plexes), 256UL);
	KUNIT_EXPECT_EQ(test, sizeof(struct mirvol_sb), 1024UL);
	KUNIT_EXPECT_EQ(test, sizeof(struct mirvol_sb_plex), 48UL);
}

static void mirvol_test_csum(struct kunit *test)
{
	static const char check[] = "123456789";
	struct mirvol_md md;
	u8 *slot = kunit_kzalloc(test, MIRVOL_SB_SLOT_SIZE, GFP_KERNEL);
	struct mirvol_sb *sb = (struct mirvol_sb *)slot;
	u32 want;

	KUNIT_ASSERT_NOT_NULL(test, slot);
	/* The standard CRC-32C check value, as user space computes it. */
	KUNIT_EXPECT_EQ(test, ~crc32c(~0U, check, 9), 0xe3069283U);

	md_sample(&md);
	mirvol_sb_encode(&md, slot);
	want = le32_to_cpu(sb->csum);
	sb->csum = 0;
	KUNIT_EXPECT_EQ(test, ~crc32c(~0U, sb, sizeof(*sb)), want);
	sb->csum = cpu_to_le32(want);
	/* The checksum does not depend on the csum field's content. */
	KUNIT_EXPECT_EQ(test, mirvol_sb_csum(sb), want);
}

/* Every single-bit flip of the covered bytes is caught. */
static void mirvol_test_bit_flips(struct kunit *test)
{
	struct mirvol_md md, out;
	u8 *slot = kunit_kzalloc(test, MIRVOL_SB_SLOT_SIZE, GFP_KERNEL);
	unsigned int byte, bit, accepted = 0;

	KUNIT_ASSERT_NOT_NULL(test, slot);
	md_sample(&md);
	mirvol_sb_encode(&md, slot);
	for (byte = 0; byte < MIRVOL_SB_SLOT_SIZE; byte++) {
		for (bit = 0; bit < 8; bit++) {
			slot[byte] ^= 1 << bit;
			if (mirvol_sb_decode(slot, DEV_SECTORS, &out) ==
			    MIRVOL_SB_OK)
				accepted++;
			slot[byte] ^= 1 << bit;
		}
	}
	KUNIT_EXPECT_EQ(test, accepted, 0U);
	KUNIT_EXPECT_EQ(test, mirvol_sb_decode(slot, DEV_SECTORS, &out),
			MIRVOL_SB_OK);
}

struct defect_case {
	const char *what;
	void (*mutate)(struct mirvol_sb *sb);
	enum mirvol_sb_defect defect;
};

static void m_magic(struct mirvol_sb *sb)
{
	sb->magic = 0;
}
static void m_version(struct mirvol_sb *sb)
{
	sb->version = cpu_to_le32(3);
}
static void m_size_small(struct mirvol_sb *sb)
{
	sb->sb_size = cpu_to_le32(8);
}
static void m_size_big(struct mirvol_sb *sb)
{
	sb->sb_size = cpu_to_le32(8192);
}
static void m_size_other(struct mirvol_sb *sb)
{
	sb->sb_size = cpu_to_le32(2048);
}
static void m_flags(struct mirvol_sb *sb)
{
	sb->flags = cpu_to_le32(0x80);
}
static void m_gen0(struct mirvol_sb *sb)
{
	sb->generation = 0;
}
static void m_name_empty(struct mirvol_sb *sb)
{
	sb->name[0] = 0;
}
static void m_name_chars(struct mirvol_sb *sb)
{
	sb->name[2] = '/';
}
static void m_name_unterm(struct mirvol_sb *sb)
{
	memset(sb->name, 'x', sizeof(sb->name));
}
static void m_name_trailing(struct mirvol_sb *sb)
{
	sb->name[60] = 'q';
}
static void m_vol_uuid(struct mirvol_sb *sb)
{
	memset(sb->volume_uuid, 0, sizeof(sb->volume_uuid));
}
static void m_index(struct mirvol_sb *sb)
{
	sb->plex_index = cpu_to_le32(8);
}
static void m_index_huge(struct mirvol_sb *sb)
{
	sb->plex_index = cpu_to_le32(0xffffffff);
}
static void m_index_empty(struct mirvol_sb *sb)
{
	sb->plex_index = cpu_to_le32(5);
}
static void m_nr(struct mirvol_sb *sb)
{
	sb->nr_plexes = cpu_to_le32(2);
}
static void m_plex_state(struct mirvol_sb *sb)
{
	sb->plexes[0].state = cpu_to_le32(9);
}
static void m_plex_dup(struct mirvol_sb *sb)
{
	memcpy(sb->plexes[0].uuid, sb->plexes[2].uuid, MIRVOL_UUID_LEN);
}
static void m_plex_self(struct mirvol_sb *sb)
{
	sb->plex_uuid[3] ^= 1;
}
static void m_plex_sync(struct mirvol_sb *sb)
{
	sb->plexes[2].sync_offset = cpu_to_le64((1ULL << 21) + 8);
}
static void m_empty_slot(struct mirvol_sb *sb)
{
	sb->plexes[6].flags = 1;
}
static void m_plex_flags(struct mirvol_sb *sb)
{
	sb->plexes[0].flags = cpu_to_le32(6);
}
static void m_gone_future(struct mirvol_sb *sb)
{
	sb->plexes[0].gone_generation = cpu_to_le64(0x123456790ULL);
}
static void m_beyond(struct mirvol_sb *sb)
{
	sb->data_size = cpu_to_le64(DEV_SECTORS);
}
static void m_wrap(struct mirvol_sb *sb)
{
	sb->data_offset = cpu_to_le64(0xfffffffffffff000ULL);
}
static void m_wrap_size(struct mirvol_sb *sb)
{
	sb->data_size = cpu_to_le64(0xfffffffffffff000ULL);
}
static void m_overlap(struct mirvol_sb *sb)
{
	sb->data_offset = cpu_to_le64(16);	/* over the superblocks */
}
static void m_bitmap(struct mirvol_sb *sb)
{
	sb->bitmap_size = cpu_to_le64(4096);	/* into the data */
}
static void m_bitmap_moved(struct mirvol_sb *sb)
{
	/* Within the reserved area, but not where mirvol writes it. */
	sb->bitmap_offset = cpu_to_le64(136);
	sb->bitmap_size = cpu_to_le64(le64_to_cpu(sb->bitmap_size) - 8);
}
static void m_unaligned(struct mirvol_sb *sb)
{
	sb->data_offset = cpu_to_le64(2049);
}
static void m_tiny(struct mirvol_sb *sb)
{
	sb->data_size = cpu_to_le64(8);
}
static void m_devsize(struct mirvol_sb *sb)
{
	sb->dev_size = cpu_to_le64(100);
}
static void m_resync(struct mirvol_sb *sb)
{
	sb->resync_offset = cpu_to_le64(1ULL << 40);
}
static void m_reserved(struct mirvol_sb *sb)
{
	sb->reserved[0] = 1;
}
static void m_v1_fields(struct mirvol_sb *sb)
{
	sb->version = cpu_to_le32(1);	/* with version 2 fields set */
}
static void m_bm_region_odd(struct mirvol_sb *sb)
{
	sb->bitmap_region = cpu_to_le32(192);
}
static void m_bm_region_small(struct mirvol_sb *sb)
{
	sb->bitmap_region = cpu_to_le32(64);
}
static void m_bm_area_small(struct mirvol_sb *sb)
{
	sb->bitmap_size = cpu_to_le64(1);	/* 4096 bits for 16384 */
}
static void m_bm_cleared_ahead(struct mirvol_sb *sb)
{
	sb->bitmap_cleared_gen = cpu_to_le64(le64_to_cpu(sb->generation) + 1);
}
static void m_bm_flags(struct mirvol_sb *sb)
{
	sb->bitmap_flags = cpu_to_le32(1);
}
static void m_split_no_gen(struct mirvol_sb *sb)
{
	sb->split_generation = 0;
}
static void m_bm_sync_active(struct mirvol_sb *sb)
{
	sb->plexes[0].flags |= cpu_to_le32(MIRVOL_PLEX_F_BITMAP_SYNC);
}
static void m_bm_sync_no_bitmap(struct mirvol_sb *sb)
{
	sb->bitmap_region = 0;
	sb->bitmap_cleared_gen = 0;
}
static void m_reserved2(struct mirvol_sb *sb)
{
	sb->reserved2[40] = 1;
}
static void m_tail(struct mirvol_sb *sb)
{
	((u8 *)sb)[4000] = 1;
}
static void m_plex_reserved(struct mirvol_sb *sb)
{
	sb->plexes[1].reserved = 1;
}

static const struct defect_case defect_cases[] = {
	{ "no magic", m_magic, MIRVOL_SB_NO_MAGIC },
	{ "version 3", m_version, MIRVOL_SB_BAD_VERSION },
	{ "version 1 with version 2 fields", m_v1_fields,
	  MIRVOL_SB_BAD_RESERVED },
	{ "bitmap region not a power of two", m_bm_region_odd,
	  MIRVOL_SB_BAD_BITMAP },
	{ "bitmap region below 64 KiB", m_bm_region_small,
	  MIRVOL_SB_BAD_BITMAP },
	{ "bitmap larger than its area", m_bm_area_small,
	  MIRVOL_SB_BAD_BITMAP },
	{ "bitmap cleared in the future", m_bm_cleared_ahead,
	  MIRVOL_SB_BAD_BITMAP },
	{ "bitmap flags", m_bm_flags, MIRVOL_SB_BAD_FLAGS },
	{ "split peer without generation", m_split_no_gen,
	  MIRVOL_SB_BAD_BITMAP },
	{ "bitmap sync on an active plex", m_bm_sync_active,
	  MIRVOL_SB_BAD_FLAGS },
	{ "bitmap sync without a bitmap", m_bm_sync_no_bitmap,
	  MIRVOL_SB_BAD_FLAGS },
	{ "size too small", m_size_small, MIRVOL_SB_BAD_SIZE },
	{ "size beyond slot", m_size_big, MIRVOL_SB_BAD_SIZE },
	{ "size of no version", m_size_other, MIRVOL_SB_BAD_SIZE },
	{ "unknown flags", m_flags, MIRVOL_SB_BAD_FLAGS },
	{ "generation 0", m_gen0, MIRVOL_SB_BAD_GENERATION },
	{ "empty name", m_name_empty, MIRVOL_SB_BAD_NAME },
	{ "name chars", m_name_chars, MIRVOL_SB_BAD_NAME },
	{ "unterminated name", m_name_unterm, MIRVOL_SB_BAD_NAME },
	{ "bytes after name", m_name_trailing, MIRVOL_SB_BAD_NAME },
	{ "zero volume uuid", m_vol_uuid, MIRVOL_SB_BAD_UUID },
	{ "index 8", m_index, MIRVOL_SB_BAD_PLEX_TABLE },
	{ "index huge", m_index_huge, MIRVOL_SB_BAD_PLEX_TABLE },
	{ "index of empty slot", m_index_empty, MIRVOL_SB_BAD_PLEX_TABLE },
	{ "plex count", m_nr, MIRVOL_SB_BAD_PLEX_TABLE },
	{ "plex state", m_plex_state, MIRVOL_SB_BAD_PLEX_TABLE },
	{ "duplicate plex uuid", m_plex_dup, MIRVOL_SB_BAD_UUID },
	{ "own uuid mismatch", m_plex_self, MIRVOL_SB_BAD_UUID },
	{ "sync beyond size", m_plex_sync, MIRVOL_SB_BAD_PLEX_TABLE },
	{ "dirty empty slot", m_empty_slot, MIRVOL_SB_BAD_PLEX_TABLE },
	{ "plex flags", m_plex_flags, MIRVOL_SB_BAD_FLAGS },
	{ "gone in the future", m_gone_future, MIRVOL_SB_BAD_PLEX_TABLE },
	{ "data beyond device", m_beyond, MIRVOL_SB_BAD_GEOMETRY },
	{ "offset wraps", m_wrap, MIRVOL_SB_BAD_GEOMETRY },
	{ "size wraps", m_wrap_size, MIRVOL_SB_BAD_GEOMETRY },
	{ "data over metadata", m_overlap, MIRVOL_SB_BAD_GEOMETRY },
	{ "bitmap over data", m_bitmap, MIRVOL_SB_BAD_GEOMETRY },
	{ "bitmap moved", m_bitmap_moved, MIRVOL_SB_BAD_GEOMETRY },
	{ "unaligned offset", m_unaligned, MIRVOL_SB_BAD_GEOMETRY },
	{ "tiny volume", m_tiny, MIRVOL_SB_BAD_GEOMETRY },
	{ "device size", m_devsize, MIRVOL_SB_BAD_GEOMETRY },
	{ "resync offset", m_resync, MIRVOL_SB_BAD_GEOMETRY },
	{ "reserved", m_reserved, MIRVOL_SB_BAD_RESERVED },
	{ "reserved2", m_reserved2, MIRVOL_SB_BAD_RESERVED },
	{ "slot tail", m_tail, MIRVOL_SB_BAD_RESERVED },
	{ "plex reserved", m_plex_reserved, MIRVOL_SB_BAD_RESERVED },
};

static void defect_desc(const struct defect_case *c, char *desc)
{
	strscpy(desc, c->what, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(defect, defect_cases, defect_desc);

/* A well-checksummed superblock with absurd fields is refused. */
static void mirvol_test_defect(struct kunit *test)
{
	const struct defect_case *c = test->param_value;
	struct mirvol_md md, out;
	u8 *slot = kunit_kzalloc(test, MIRVOL_SB_SLOT_SIZE, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, slot);
	md_sample(&md);
	mirvol_sb_encode(&md, slot);
	c->mutate((struct mirvol_sb *)slot);
	/* Fix the checksum, unless the size it covers is out of range. */
	if (le32_to_cpu(((struct mirvol_sb *)slot)->sb_size) >=
	    sizeof(struct mirvol_sb) &&
	    le32_to_cpu(((struct mirvol_sb *)slot)->sb_size) <=
	    MIRVOL_SB_SLOT_SIZE)
		resum(slot);
	memset(&out, 0x5a, sizeof(out));
	KUNIT_EXPECT_EQ(test, mirvol_sb_decode(slot, DEV_SECTORS, &out),
			c->defect);
	/* A refused slot leaves the output untouched. */
	KUNIT_EXPECT_EQ(test, out.generation, 0x5a5a5a5a5a5a5a5aULL);
}

/* A version 1 superblock (no bitmap) is still read, its new fields zero. */
static void mirvol_test_version1(struct kunit *test)
{
	struct mirvol_md md, out;
	u8 *slot = kunit_kzalloc(test, MIRVOL_SB_SLOT_SIZE, GFP_KERNEL);
	struct mirvol_sb *sb = (struct mirvol_sb *)slot;

	KUNIT_ASSERT_NOT_NULL(test, slot);
	md_sample(&md);
	md.bitmap_region = 0;
	md.bitmap_cleared_gen = 0;
	md.sync_speed_min = 0;
	md.sync_speed_max = 0;
	memset(md.split_peer, 0, MIRVOL_UUID_LEN);
	md.split_generation = 0;
	md.plexes[2].flags = 0;
	mirvol_sb_encode(&md, slot);
	KUNIT_EXPECT_EQ(test, le32_to_cpu(sb->version), MIRVOL_SB_VERSION);
	sb->version = cpu_to_le32(1);
	resum(slot);
	memset(&out, 0x5a, sizeof(out));
	KUNIT_ASSERT_EQ(test, mirvol_sb_decode(slot, DEV_SECTORS, &out),
			MIRVOL_SB_OK);
	KUNIT_EXPECT_EQ(test, out.version, 1U);
	KUNIT_EXPECT_EQ(test, out.bitmap_region, 0U);
	KUNIT_EXPECT_EQ(test, out.split_generation, 0ULL);
	KUNIT_EXPECT_EQ(test, out.generation, md.generation);
	/* Written back, it becomes version 2. */
	mirvol_sb_encode(&out, slot);
	KUNIT_EXPECT_EQ(test, le32_to_cpu(sb->version), MIRVOL_SB_VERSION);
}

static void mirvol_test_small_device(struct kunit *test)
{
	struct mirvol_md md, out;
	u8 *slot = kunit_kzalloc(test, MIRVOL_SB_SLOT_SIZE, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, slot);
	md_sample(&md);
	mirvol_sb_encode(&md, slot);
	/* The device shrank below what the superblock claims. */
	KUNIT_EXPECT_EQ(test, mirvol_sb_decode(slot, DEV_SECTORS - 8, &out),
			MIRVOL_SB_BAD_GEOMETRY);
	KUNIT_EXPECT_EQ(test, mirvol_sb_decode(slot, 0, &out),
			MIRVOL_SB_BAD_GEOMETRY);
	KUNIT_EXPECT_EQ(test, mirvol_sb_decode(slot, DEV_SECTORS * 2, &out),
			MIRVOL_SB_OK);
}

static void mirvol_test_select(struct kunit *test)
{
	enum mirvol_sb_defect defects[2];
	enum mirvol_reason reason;
	struct mirvol_md md, out;
	u8 *s0 = kunit_kzalloc(test, MIRVOL_SB_SLOT_SIZE, GFP_KERNEL);
	u8 *s1 = kunit_kzalloc(test, MIRVOL_SB_SLOT_SIZE, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, s0);
	KUNIT_ASSERT_NOT_NULL(test, s1);
	/* Nothing there: not a member. */
	KUNIT_EXPECT_EQ(test, mirvol_sb_select(s0, s1, DEV_SECTORS, &out,
					       defects, &reason), -1);
	KUNIT_EXPECT_EQ(test, reason, MIRVOL_R_NOT_A_MEMBER);

	md_sample(&md);
	md.generation = 6;
	mirvol_sb_encode(&md, s0);
	md.generation = 7;
	mirvol_sb_encode(&md, s1);
	KUNIT_EXPECT_EQ(test, mirvol_sb_select(s0, s1, DEV_SECTORS, &out,
					       defects, &reason), 1);
	KUNIT_EXPECT_EQ(test, out.generation, 7ULL);
	KUNIT_EXPECT_EQ(test, reason, MIRVOL_R_NONE);

	/* A torn write of the newer slot: the older one is current. */
	s1[300] ^= 0xff;
	KUNIT_EXPECT_EQ(test, mirvol_sb_select(s0, s1, DEV_SECTORS, &out,
					       defects, &reason), 0);
	KUNIT_EXPECT_EQ(test, out.generation, 6ULL);
	KUNIT_EXPECT_EQ(test, defects[1], MIRVOL_SB_BAD_CSUM);

	/* Both damaged: corrupt. */
	s0[100] ^= 0xff;
	KUNIT_EXPECT_EQ(test, mirvol_sb_select(s0, s1, DEV_SECTORS, &out,
					       defects, &reason), -1);
	KUNIT_EXPECT_EQ(test, reason, MIRVOL_R_METADATA_CORRUPT);

	/* A newer format in one slot, nothing in the other. */
	mirvol_sb_encode(&md, s0);
	((struct mirvol_sb *)s0)->version = cpu_to_le32(9);
	resum(s0);
	memset(s1, 0, MIRVOL_SB_SLOT_SIZE);
	KUNIT_EXPECT_EQ(test, mirvol_sb_select(s0, s1, DEV_SECTORS, &out,
					       defects, &reason), -1);
	KUNIT_EXPECT_EQ(test, reason, MIRVOL_R_METADATA_VERSION);

	/* Slot 0 newer than slot 1 works too. */
	md.generation = 9;
	mirvol_sb_encode(&md, s0);
	md.generation = 8;
	mirvol_sb_encode(&md, s1);
	KUNIT_EXPECT_EQ(test, mirvol_sb_select(s0, s1, DEV_SECTORS, &out,
					       defects, &reason), 0);
	KUNIT_EXPECT_EQ(test, out.generation, 9ULL);
}

/* Decoded superblocks always satisfy the invariants the kernel uses. */
static void check_invariants(struct kunit *test, const struct mirvol_md *md,
			     u64 dev)
{
	unsigned int i, used = 0;

	KUNIT_EXPECT_LT(test, md->plex_index, (u32)MIRVOL_MAX_PLEXES);
	KUNIT_EXPECT_LE(test, md->data_offset + md->data_size, dev);
	KUNIT_EXPECT_GE(test, md->data_offset, MIRVOL_MIN_DATA_OFFSET);
	KUNIT_EXPECT_TRUE(test, mirvol_name_valid(md->name, sizeof(md->name)));
	for (i = 0; i < MIRVOL_MAX_PLEXES; i++) {
		if (md->plexes[i].state == MIRVOL_PLEX_NONE)
			continue;
		used++;
		KUNIT_EXPECT_LE(test, md->plexes[i].state,
				(u32)MIRVOL_PLEX_MISSING);
		KUNIT_EXPECT_LE(test, md->plexes[i].sync_offset,
				md->data_size);
	}
	KUNIT_EXPECT_EQ(test, used, md->nr_plexes);
	KUNIT_EXPECT_NE(test, md->plexes[md->plex_index].state,
			(u32)MIRVOL_PLEX_NONE);
}

/* Random slots, with and without a valid header, never pass. */
static void mirvol_test_fuzz_random(struct kunit *test)
{
	u8 *slot = kunit_kzalloc(test, MIRVOL_SB_SLOT_SIZE, GFP_KERNEL);
	struct rnd_state rnd;
	struct mirvol_md out;
	unsigned int i, accepted = 0;

	KUNIT_ASSERT_NOT_NULL(test, slot);
	prandom_seed_state(&rnd, 0x6d697276);
	for (i = 0; i < 2000; i++) {
		struct mirvol_sb *sb = (struct mirvol_sb *)slot;

		prandom_bytes_state(&rnd, slot, MIRVOL_SB_SLOT_SIZE);
		if (i & 1) {
			/* Get past the magic, size and checksum checks. */
			sb->magic = cpu_to_le64(MIRVOL_SB_MAGIC);
			sb->version = cpu_to_le32(MIRVOL_SB_VERSION);
			sb->sb_size = cpu_to_le32(sizeof(*sb));
			resum(slot);
		}
		if (mirvol_sb_decode(slot, DEV_SECTORS, &out) == MIRVOL_SB_OK)
			accepted++;
	}
	KUNIT_EXPECT_EQ(test, accepted, 0U);
}

/*
 * Valid superblocks with random fields overwritten and the checksum
 * fixed: whatever passes must satisfy every invariant.
 */
static void mirvol_test_fuzz_mutate(struct kunit *test)
{
	u8 *slot = kunit_kzalloc(test, MIRVOL_SB_SLOT_SIZE, GFP_KERNEL);
	struct mirvol_md md, out;
	struct rnd_state rnd;
	unsigned int i, k, accepted = 0, refused = 0;

	KUNIT_ASSERT_NOT_NULL(test, slot);
	prandom_seed_state(&rnd, 42);
	md_sample(&md);
	for (i = 0; i < 20000; i++) {
		mirvol_sb_encode(&md, slot);
		for (k = 0; k < 1 + prandom_u32_state(&rnd) % 4; k++) {
			u32 off = prandom_u32_state(&rnd) % sizeof(struct mirvol_sb);
			u32 len = 1 + prandom_u32_state(&rnd) % 8;

			len = min_t(u32, len, sizeof(struct mirvol_sb) - off);
			prandom_bytes_state(&rnd, slot + off, len);
		}
		((struct mirvol_sb *)slot)->magic = cpu_to_le64(MIRVOL_SB_MAGIC);
		((struct mirvol_sb *)slot)->sb_size =
			cpu_to_le32(sizeof(struct mirvol_sb));
		resum(slot);
		if (mirvol_sb_decode(slot, DEV_SECTORS, &out) == MIRVOL_SB_OK) {
			accepted++;
			check_invariants(test, &out, DEV_SECTORS);
		} else {
			refused++;
		}
	}
	/* Both outcomes happen: the fuzzer reaches past the checks. */
	KUNIT_EXPECT_GT(test, accepted, 0U);
	KUNIT_EXPECT_GT(test, refused, 0U);
}

static struct kunit_case mirvol_sb_cases[] = {
	KUNIT_CASE(mirvol_test_round_trip),
	KUNIT_CASE(mirvol_test_csum),
	KUNIT_CASE(mirvol_test_bit_flips),
	KUNIT_CASE_PARAM(mirvol_test_defect, defect_gen_params),
	KUNIT_CASE(mirvol_test_version1),
	KUNIT_CASE(mirvol_test_small_device),
	KUNIT_CASE(mirvol_test_select),
	KUNIT_CASE(mirvol_test_fuzz_random),
	KUNIT_CASE(mirvol_test_fuzz_mutate),
	{}
};

static struct kunit_suite mirvol_sb_suite = {
	.name = "mirvol-superblock",
	.test_cases = mirvol_sb_cases,
};

kunit_test_suite(mirvol_sb_suite);
