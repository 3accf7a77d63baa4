// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of mirvolctl's pure helpers: CRC-32C, the JSON writer, UUID
 * and number parsing, size formatting, reason names, and the shared codec
 * as mirvolctl builds it.  Prints "PASS name" / "FAIL name" per test;
 * exits 1 if any failed.
 *
 * Copyright (C) 2026 The mirvol authors
 */
#include <stdlib.h>
#include <string.h>

#include "mirvolctl.h"
#include "mirvol_sb_codec.h"

const struct mv_command *mv_cmd;

static int failures;

static void check(bool ok, const char *name)
{
	printf("%s %s\n", ok ? "PASS" : "FAIL", name);
	if (!ok)
		failures++;
}

/* ---- CRC-32C ----------------------------------------------------------- */

static void test_crc32c(void)
{
	static const char check_str[] = "123456789";
	u32 whole, split;

	check(~crc32c(~0U, check_str, 9) == 0xE3069283U, "crc32c-check-value");
	check(crc32c(0, "", 0) == 0 && crc32c(~0U, "", 0) == ~0U,
	      "crc32c-empty-no-inversion");
	whole = crc32c(~0U, check_str, 9);
	split = crc32c(crc32c(~0U, check_str, 4), check_str + 4, 5);
	check(whole == split, "crc32c-incremental");
	/* RFC 3720 B.4: 32 bytes of zeros -> 0x8A9136AA */
	{
		u8 zeros[32] = { 0 };

		check(~crc32c(~0U, zeros, sizeof(zeros)) == 0x8A9136AAU,
		      "crc32c-rfc3720-zeros");
	}
}

/* ---- JSON ------------------------------------------------------------- */

/* Escape @len bytes of @in and compare with @want (quotes included). */
static bool escapes_to(const char *in, size_t len, const char *want)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);
	bool ok;

	if (!f)
		return false;
	json_escape(f, in, len);
	fclose(f);
	ok = buf && !strcmp(buf, want);
	if (!ok)
		fprintf(stderr, "  got %s want %s\n", buf ? buf : "(null)",
			want);
	free(buf);
	return ok;
}

static void test_json_escape(void)
{
	check(escapes_to("abc", 3, "\"abc\""), "json-escape-plain");
	check(escapes_to("a\"b\\c", 5, "\"a\\\"b\\\\c\""),
	      "json-escape-quote-backslash");
	check(escapes_to("\b\f\n\r\t", 5, "\"\\b\\f\\n\\r\\t\""),
	      "json-escape-short-forms");
	check(escapes_to("\x01\x1f\x7f", 3, "\"\\u0001\\u001f\\u007f\""),
	      "json-escape-control");
	check(escapes_to("a\0b", 3, "\"a\\u0000b\""), "json-escape-nul");
	check(escapes_to("/", 1, "\"/\""), "json-escape-slash-kept");
	check(escapes_to("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 9,
			 "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\""),
	      "json-escape-utf8-kept");
	check(escapes_to("\xff", 1, "\"\\ufffd\""), "json-escape-invalid-byte");
	check(escapes_to("\xc3", 1, "\"\\ufffd\""), "json-escape-truncated");
	check(escapes_to("\xc0\xaf", 2, "\"\\ufffd\\ufffd\""),
	      "json-escape-overlong");
	check(escapes_to("\xed\xa0\x80", 3, "\"\\ufffd\\ufffd\\ufffd\""),
	      "json-escape-surrogate");
	check(escapes_to("\xf4\x90\x80\x80", 4,
			 "\"\\ufffd\\ufffd\\ufffd\\ufffd\""),
	      "json-escape-above-max");
}

static void test_json_doc(void)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);
	struct json j;
	static const char want[] =
		"{\n"
		"  \"a\": 1,\n"
		"  \"b\": [],\n"
		"  \"c\": {},\n"
		"  \"d\": [\n"
		"    true,\n"
		"    null,\n"
		"    \"x\",\n"
		"    -5\n"
		"  ],\n"
		"  \"e\": \"11111111-1111-1111-1111-111111111111\"\n"
		"}\n";
	u8 uuid[MIRVOL_UUID_LEN];

	if (!f) {
		check(false, "json-document");
		return;
	}
	memset(uuid, 0x11, sizeof(uuid));
	json_init(&j, f);
	json_obj_begin(&j);
	json_key(&j, "a");
	json_u64(&j, 1);
	json_key(&j, "b");
	json_arr_begin(&j);
	json_arr_end(&j);
	json_key(&j, "c");
	json_obj_begin(&j);
	json_obj_end(&j);
	json_key(&j, "d");
	json_arr_begin(&j);
	json_bool(&j, true);
	json_str(&j, NULL);
	json_str(&j, "x");
	json_i64(&j, -5);
	json_arr_end(&j);
	json_key(&j, "e");
	json_uuid(&j, uuid);
	json_obj_end(&j);
	json_finish(&j);
	fclose(f);
	check(buf && !strcmp(buf, want), "json-document");
	free(buf);

	buf = NULL;
	f = open_memstream(&buf, &size);
	if (!f)
		return;
	json_init(&j, f);
	json_arr_begin(&j);
	json_arr_end(&j);
	json_finish(&j);
	fclose(f);
	check(buf && !strcmp(buf, "[]\n"), "json-empty-array");
	free(buf);
}

/* ---- parsing ----------------------------------------------------------- */

static void test_uuid(void)
{
	static const char s[] = "0123abcd-EF01-4567-89ab-cdef01234567";
	char out[MV_UUID_STR_LEN];
	u8 u[MIRVOL_UUID_LEN];

	check(!mv_uuid_parse(s, u) && u[0] == 0x01 && u[15] == 0x67,
	      "uuid-parse");
	mv_uuid_format(u, out);
	check(!strcmp(out, "0123abcd-ef01-4567-89ab-cdef01234567"),
	      "uuid-format-lowercase");
	check(mv_uuid_parse("0123abcd-ef01-4567-89ab-cdef0123456", u) &&
	      mv_uuid_parse("0123abcd-ef01-4567-89ab-cdef012345678", u) &&
	      mv_uuid_parse("0123abcdef01-4567-89ab-cdef012345678", u) &&
	      mv_uuid_parse("0123abcd-ef01-4567-89ab_cdef01234567", u) &&
	      mv_uuid_parse("0123abcg-ef01-4567-89ab-cdef01234567", u) &&
	      mv_uuid_parse("0123abcdef0145678 9abcdef01234567 xx", u) &&
	      mv_uuid_parse("", u) && mv_uuid_parse("data", u),
	      "uuid-parse-rejects");
	memset(u, 0, sizeof(u));
	check(mv_uuid_is_zero(u), "uuid-zero");
}

static void test_numbers(void)
{
	u64 v = 0;
	u32 idx = 0;
	double d = 0;

	check(!mv_parse_u64("0", &v) && v == 0 &&
	      !mv_parse_u64("18446744073709551615", &v) && v == UINT64_MAX,
	      "u64-parse");
	check(mv_parse_u64("18446744073709551616", &v) &&
	      mv_parse_u64("", &v) && mv_parse_u64("-1", &v) &&
	      mv_parse_u64("1x", &v) && mv_parse_u64(" 1", &v) &&
	      mv_parse_u64("+1", &v), "u64-parse-rejects");
	check(!mv_parse_volume_node("mirvol0", &idx) && idx == 0 &&
	      !mv_parse_volume_node("/dev/mirvol12", &idx) && idx == 12,
	      "volume-node-parse");
	check(mv_parse_volume_node("mirvol", &idx) &&
	      mv_parse_volume_node("mirvol01", &idx) &&
	      mv_parse_volume_node("mirvolx", &idx) &&
	      mv_parse_volume_node("/dev/mirvol/data", &idx) &&
	      mv_parse_volume_node("md0", &idx) &&
	      mv_parse_volume_node("mirvol4294967295", &idx),
	      "volume-node-rejects");
	check(!mv_parse_seconds("2", &d) && d == 2 &&
	      !mv_parse_seconds("0.5", &d) && d == 0.5 &&
	      mv_parse_seconds("-1", &d) && mv_parse_seconds("x", &d) &&
	      mv_parse_seconds("", &d) && mv_parse_seconds("nan", &d) &&
	      mv_parse_seconds("inf", &d), "seconds-parse");
}

static void test_sizes(void)
{
	u32 kib = 7;
	u64 v = 0;

	check(!mv_parse_size("65536", &v) && v == 65536 &&
	      !mv_parse_size("64K", &v) && v == 65536 &&
	      !mv_parse_size("64k", &v) && v == 65536 &&
	      !mv_parse_size("1M", &v) && v == 1048576 &&
	      !mv_parse_size("4MiB", &v) && v == 4194304 &&
	      !mv_parse_size("2GB", &v) && v == 2147483648ULL &&
	      !mv_parse_size("1T", &v) && v == 1ULL << 40, "size-parse");
	check(mv_parse_size("", &v) && mv_parse_size("K", &v) &&
	      mv_parse_size("-1K", &v) && mv_parse_size("1.5M", &v) &&
	      mv_parse_size("64KX", &v) && mv_parse_size("64P", &v) &&
	      mv_parse_size("64 K", &v) && mv_parse_size("64Ki", &v) &&
	      mv_parse_size("16777216T", &v) &&
	      mv_parse_size("18446744073709551616", &v), "size-parse-rejects");
	check(mv_region_size_valid(MIRVOL_BITMAP_MIN_REGION) &&
	      mv_region_size_valid(4ULL << 20) &&
	      mv_region_size_valid(MV_BITMAP_MAX_REGION) &&
	      (MV_BITMAP_MAX_REGION >> 9) - 1 == INT32_MAX,
	      "region-size-valid");
	check(!mv_region_size_valid(0) && !mv_region_size_valid(32768) &&
	      !mv_region_size_valid(65535) && !mv_region_size_valid(98304) &&
	      !mv_region_size_valid(MV_BITMAP_MAX_REGION * 2) &&
	      !mv_region_size_valid(UINT64_MAX), "region-size-rejects");
	check(!mv_parse_speed("0", &kib) && kib == 0 &&
	      !mv_parse_speed("200000", &kib) && kib == 200000 &&
	      !mv_parse_speed("4294967295", &kib) && kib == UINT32_MAX &&
	      !mv_parse_speed("default", &kib) && kib == 0 &&
	      mv_parse_speed("4294967296", &kib) && mv_parse_speed("", &kib) &&
	      mv_parse_speed("1M", &kib) && mv_parse_speed("-1", &kib),
	      "speed-parse");
}

static bool plex_flags_are(u32 flags, size_t len, const char *want)
{
	char buf[64];

	mv_plex_flags_str(flags, buf, len);
	if (!strcmp(buf, want))
		return true;
	fprintf(stderr, "  flags %#x: got %s want %s\n", flags, buf, want);
	return false;
}

static void test_plex_flags(void)
{
	check(plex_flags_are(0, 64, "-") &&
	      plex_flags_are(MIRVOL_PLEX_F_BOOT, 64, "-") &&
	      plex_flags_are(MIRVOL_PLEX_F_BITMAP_SYNC, 64, "bitmap-sync") &&
	      plex_flags_are(MIRVOL_PLEX_F_LAST_IN_SYNC, 64, "last-in-sync") &&
	      plex_flags_are(MIRVOL_PLEX_F_BOOT | MIRVOL_PLEX_F_LAST_IN_SYNC |
			     MIRVOL_PLEX_F_BITMAP_SYNC, 64,
			     "last-in-sync,bitmap-sync") &&
	      plex_flags_are(MIRVOL_PLEX_F_BITMAP_SYNC | 0x100, 64,
			     "bitmap-sync,0x100") &&
	      plex_flags_are(MIRVOL_PLEX_F_LAST_IN_SYNC |
			     MIRVOL_PLEX_F_BITMAP_SYNC, 8, "last-in"),
	      "plex-flags");
	check(!strcmp(mv_plex_state_name(MIRVOL_PLEX_OFFLINE).s, "offline") &&
	      !strcmp(mv_op_type_name(MIRVOL_OP_REPLACE).s, "replace") &&
	      !strcmp(mv_op_type_name(MIRVOL_OP_MERGE).s, "merge-plex") &&
	      !strcmp(mv_plex_state_name(7).s, "unknown-7") &&
	      !strcmp(mv_op_type_name(9).s, "unknown-9"), "names-2-1");
}

static void test_format(void)
{
	char b[16];
	bool ok = true;

	mv_human_size(0, b, sizeof(b));
	ok &= !strcmp(b, "0B");
	mv_human_size(1023, b, sizeof(b));
	ok &= !strcmp(b, "1023B");
	mv_human_size(1536, b, sizeof(b));
	ok &= !strcmp(b, "1.5K");
	mv_human_size(64ULL << 20, b, sizeof(b));
	ok &= !strcmp(b, "64.0M");
	mv_human_size((1ULL << 20) - 1, b, sizeof(b));
	ok &= !strcmp(b, "1.0M");
	mv_human_size(3ULL << 40, b, sizeof(b));
	ok &= !strcmp(b, "3.0T");
	mv_human_size(UINT64_MAX, b, sizeof(b));
	ok &= !strcmp(b, "16.0E");
	check(ok, "human-size");
	check(mv_percent(0, 0) == 0 && mv_percent(50, 100) == 50 &&
	      mv_percent(200, 100) == 100 && mv_percent(1, 3) == 33 &&
	      mv_percent(UINT64_MAX - 1, UINT64_MAX) == 99, "percent");
}

static void test_names(void)
{
	bool ok = true;
	unsigned int r;

	for (r = 0; r < MIRVOL_R_MAX; r++) {
		struct mv_name n = mv_reason_name(r);

		ok &= strncmp(n.s, "REASON_", 7) != 0;
		ok &= strcmp(mv_reason_text(r), "unknown reason") != 0;
	}
	check(ok, "reason-table-complete");
	check(!strcmp(mv_reason_name(MIRVOL_R_ANOTHER_CALL_IN_PROGRESS).s,
		      "ANOTHER_CALL_IN_PROGRESS") &&
	      !strcmp(mv_reason_name(MIRVOL_R_OBJECT_NOT_FOUND).s,
		      "OBJECT_NOT_FOUND") &&
	      !strcmp(mv_reason_name(MIRVOL_R_NOT_SUPPORTED).s,
		      "NOT_SUPPORTED"), "reason-names");
	{
		char want[32];

		snprintf(want, sizeof(want), "REASON_%u", MIRVOL_R_MAX);
		check(!strcmp(mv_reason_name(99).s, "REASON_99") &&
		      !strcmp(mv_reason_name(MIRVOL_R_MAX).s, want),
		      "reason-unknown");
	}
	check(!strcmp(mv_reason_name(MIRVOL_R_NO_BITMAP).s, "NO_BITMAP") &&
	      !strcmp(mv_reason_name(MIRVOL_R_NOT_SPLIT_PAIR).s,
		      "NOT_SPLIT_PAIR") &&
	      !strcmp(mv_reason_name(MIRVOL_R_PLEX_FAILED).s, "PLEX_FAILED"),
	      "reason-names-bitmap");
	check(!strcmp(mv_vol_state_name(MIRVOL_VOLUME_DEGRADED).s,
		      "degraded") &&
	      !strcmp(mv_plex_state_name(MIRVOL_PLEX_SYNCING).s, "syncing") &&
	      !strcmp(mv_op_type_name(MIRVOL_OP_RESYNC).s, "resync") &&
	      !strcmp(mv_op_state_name(MIRVOL_OPS_CANCELLED).s, "cancelled") &&
	      !strcmp(mv_op_state_name(9).s, "unknown-9"), "state-names");
	check(!strcmp(mv_plex_state_name(MIRVOL_PLEX_OFFLINE).s, "offline") &&
	      !strcmp(mv_op_type_name(MIRVOL_OP_REPLACE).s, "replace") &&
	      !strcmp(mv_op_type_name(MIRVOL_OP_MERGE).s, "merge-plex"),
	      "state-names-bitmap");
}

/* ---- the shared codec as built here ------------------------------------- */

/* A valid version 2 superblock of a 2 MiB volume on a 4 MiB device. */
static void codec_md(struct mirvol_md *md)
{
	memset(md, 0, sizeof(*md));
	memset(md->volume_uuid, 0x11, MIRVOL_UUID_LEN);
	snprintf(md->name, sizeof(md->name), "%s", "vol-1.a_b");
	memset(md->plex_uuid, 0x22, MIRVOL_UUID_LEN);
	md->version = MIRVOL_SB_VERSION;
	md->nr_plexes = 1;
	md->generation = 3;
	md->data_offset = 2048;
	md->data_size = 4096;
	md->dev_size = 8192;
	md->bitmap_offset = MIRVOL_BITMAP_OFFSET / 512;
	md->bitmap_size = md->data_offset - md->bitmap_offset;
	memcpy(md->plexes[0].uuid, md->plex_uuid, MIRVOL_UUID_LEN);
	md->plexes[0].state = MIRVOL_PLEX_ACTIVE;
	md->plexes[0].sync_offset = 4096;
}

/* Encode @md, apply @patch to the raw superblock, fix the checksum. */
static enum mirvol_sb_defect codec_try(const struct mirvol_md *md,
				       void (*patch)(struct mirvol_sb *sb),
				       struct mirvol_md *out)
{
	static u8 slot[MIRVOL_SB_SLOT_SIZE];
	struct mirvol_sb *sb = (struct mirvol_sb *)slot;

	memset(slot, 0, sizeof(slot));
	mirvol_sb_encode(md, slot);
	if (patch) {
		patch(sb);
		sb->csum = cpu_to_le32(mirvol_sb_csum(sb));
	}
	memset(out, 0, sizeof(*out));
	return mirvol_sb_decode(slot, md->dev_size, out);
}

static void patch_v1(struct mirvol_sb *sb)
{
	sb->version = cpu_to_le32(1);
}

static void patch_v3(struct mirvol_sb *sb)
{
	sb->version = cpu_to_le32(3);
}

static void patch_bitmap_flags(struct mirvol_sb *sb)
{
	sb->bitmap_flags = cpu_to_le32(1);
}

static void test_codec(void)
{
	static u8 slot[MIRVOL_SB_SLOT_SIZE];
	struct mirvol_md md, out;

	codec_md(&md);
	mirvol_sb_encode(&md, slot);
	memset(&out, 0, sizeof(out));	/* padding compares equal too */
	check(mirvol_sb_decode(slot, 8192, &out) == MIRVOL_SB_OK &&
	      !memcmp(&md, &out, sizeof(md)), "codec-roundtrip");
	check(le32_to_cpu(((struct mirvol_sb *)slot)->version) == 2,
	      "codec-writes-version-2");

	/* every version 2 field survives the round trip */
	md.bitmap_region = 128;
	md.bitmap_cleared_gen = 2;
	md.sync_speed_min = 5000;
	md.sync_speed_max = 90000;
	memset(md.split_peer, 0x33, MIRVOL_UUID_LEN);
	md.split_generation = 3;
	check(codec_try(&md, NULL, &out) == MIRVOL_SB_OK &&
	      !memcmp(&md, &out, sizeof(md)), "codec-roundtrip-v2-fields");

	check(sizeof(struct mirvol_sb) == 1024 &&
	      sizeof(struct mirvol_sb_plex) == 48, "codec-struct-sizes");
	mirvol_sb_encode(&md, slot);
	slot[100] ^= 1;
	check(mirvol_sb_decode(slot, 8192, &out) == MIRVOL_SB_BAD_CSUM,
	      "codec-detects-bitflip");
	check(mirvol_name_valid("a", 2) && !mirvol_name_valid("", 1) &&
	      !mirvol_name_valid("a b", 4) && !mirvol_name_valid("..", 3) &&
	      !mirvol_name_valid("x/y", 4), "codec-name-rules");
	check(mirvol_name_new_valid("a-part", 7) &&
	      mirvol_name_new_valid("a-partx", 8) &&
	      !mirvol_name_new_valid("a-part1", 8) &&
	      !mirvol_name_new_valid("a b", 4) &&
	      mirvol_name_valid("a-part1", 8), "codec-new-name-rules");
}

/*
 * Version 1: still read, decoded with the version 2 fields zero; those
 * words were reserved in version 1, so one with any of them set is not a
 * version 1 superblock.  Version 3 is unknown.
 */
static void test_codec_versions(void)
{
	struct mirvol_md md, out;

	codec_md(&md);
	check(codec_try(&md, patch_v1, &out) == MIRVOL_SB_OK &&
	      out.version == 1 && !out.bitmap_region &&
	      !out.bitmap_cleared_gen && !out.sync_speed_min &&
	      !out.sync_speed_max && !out.split_generation &&
	      mv_uuid_is_zero(out.split_peer), "codec-reads-version-1");
	md.bitmap_region = 128;
	check(codec_try(&md, patch_v1, &out) == MIRVOL_SB_BAD_RESERVED,
	      "codec-version-1-with-v2-field");
	codec_md(&md);
	md.sync_speed_max = 1;
	check(codec_try(&md, patch_v1, &out) == MIRVOL_SB_BAD_RESERVED,
	      "codec-version-1-with-speed");
	codec_md(&md);
	check(codec_try(&md, patch_v3, &out) == MIRVOL_SB_BAD_VERSION,
	      "codec-version-3-unknown");
}

/* The rules of check_bitmap(), one broken at a time. */
static void test_codec_bitmap(void)
{
	struct mirvol_md md, out;
	bool ok = true;

	codec_md(&md);
	md.bitmap_region = 128;			/* 64 KiB: the minimum */
	ok &= codec_try(&md, NULL, &out) == MIRVOL_SB_OK;
	md.bitmap_region = 64;			/* 32 KiB: too small */
	ok &= codec_try(&md, NULL, &out) == MIRVOL_SB_BAD_BITMAP;
	md.bitmap_region = 384;			/* not a power of two */
	ok &= codec_try(&md, NULL, &out) == MIRVOL_SB_BAD_BITMAP;
	check(ok, "codec-bitmap-region");

	codec_md(&md);
	md.bitmap_region = 128;
	md.bitmap_cleared_gen = 4;		/* ahead of generation 3 */
	ok = codec_try(&md, NULL, &out) == MIRVOL_SB_BAD_BITMAP;
	md.bitmap_cleared_gen = 0;
	md.bitmap_region = 0;
	md.bitmap_cleared_gen = 1;		/* no bitmap, a cleared gen */
	ok &= codec_try(&md, NULL, &out) == MIRVOL_SB_BAD_BITMAP;
	check(ok, "codec-bitmap-cleared-gen");

	codec_md(&md);
	memset(md.split_peer, 0x33, MIRVOL_UUID_LEN);	/* peer, no gen */
	ok = codec_try(&md, NULL, &out) == MIRVOL_SB_BAD_BITMAP;
	memset(md.split_peer, 0, MIRVOL_UUID_LEN);
	md.split_generation = 2;			/* gen, no peer */
	ok &= codec_try(&md, NULL, &out) == MIRVOL_SB_BAD_BITMAP;
	memset(md.split_peer, 0x33, MIRVOL_UUID_LEN);
	md.split_generation = 4;			/* ahead */
	ok &= codec_try(&md, NULL, &out) == MIRVOL_SB_BAD_BITMAP;
	check(ok, "codec-split");

	codec_md(&md);
	check(codec_try(&md, patch_bitmap_flags, &out) == MIRVOL_SB_BAD_FLAGS,
	      "codec-bitmap-flags");

	/* more regions than bits in the area (8 sectors: 32768 bits) */
	codec_md(&md);
	md.dev_size = 2048 + 32769ULL * 128;
	md.data_size = 32769ULL * 128;
	md.bitmap_size = 8;
	md.bitmap_region = 128;
	md.plexes[0].sync_offset = md.data_size;
	ok = codec_try(&md, NULL, &out) == MIRVOL_SB_BAD_BITMAP;
	md.bitmap_region = 256;
	ok &= codec_try(&md, NULL, &out) == MIRVOL_SB_OK;
	check(ok, "codec-bitmap-fits-area");
}

/* ---- ABI struct layout (every struct a multiple of 8 bytes) ------------- */

static void test_abi(void)
{
	check(sizeof(struct mirvol_create) % 8 == 0 &&
	      sizeof(struct mirvol_info) % 8 == 0 &&
	      sizeof(struct mirvol_op) % 8 == 0 &&
	      sizeof(struct mirvol_assemble) % 8 == 0 &&
	      sizeof(struct mirvol_assemble_member) % 8 == 0 &&
	      sizeof(struct mirvol_plex_ref) % 8 == 0 &&
	      sizeof(struct mirvol_rename) % 8 == 0 &&
	      sizeof(struct mirvol_plex_action) % 8 == 0 &&
	      sizeof(struct mirvol_set_volume) % 8 == 0 &&
	      sizeof(struct mirvol_version) % 8 == 0, "abi-struct-padding");
}

int main(void)
{
	test_crc32c();
	test_json_escape();
	test_json_doc();
	test_uuid();
	test_numbers();
	test_sizes();
	test_plex_flags();
	test_format();
	test_names();
	test_codec();
	test_codec_versions();
	test_codec_bitmap();
	test_abi();
	return failures ? 1 : 0;
}
