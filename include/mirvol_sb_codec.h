/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mirvol superblock codec: encode, decode and validate the on-disk
 * superblock described in <linux/mirvol.h>.
 *
 * Pure functions on memory buffers, no I/O and no allocation, so the same
 * source is built into the module and into mirvolctl (examine), and KUnit
 * can feed it arbitrary bytes.  User space provides the few kernel types
 * and helpers it needs through mirvol_user_compat.h.
 */
#ifndef _MIRVOL_SB_CODEC_H
#define _MIRVOL_SB_CODEC_H

#ifdef __KERNEL__
#include <linux/types.h>
#else
#include "mirvol_user_compat.h"
#endif
#include <linux/mirvol.h>

/* Sectors of 512 bytes, as everywhere in the block layer. */
#define MIRVOL_SB_SECTOR(bytes)		((bytes) >> 9)
/* Smallest volume mirvol creates: 1 MiB of data. */
#define MIRVOL_MIN_DATA_SECTORS		2048ULL
/* Data may not start before the end of the reserved area. */
#define MIRVOL_MIN_DATA_OFFSET		MIRVOL_SB_SECTOR(MIRVOL_BITMAP_OFFSET)

/**
 * struct mirvol_md_plex - one plex table entry, in CPU byte order
 * @uuid: plex UUID (all zero for an empty slot)
 * @state: enum mirvol_plex_state
 * @flags: MIRVOL_PLEX_F_*
 * @sync_offset: sectors known in sync (resync checkpoint)
 * @gone_generation: generation at which it left the in-sync set, or 0
 *	(in sync, or copying everything: not covered by the bitmap)
 */
struct mirvol_md_plex {
	u8 uuid[MIRVOL_UUID_LEN];
	u32 state;
	u32 flags;
	u64 sync_offset;
	u64 gone_generation;
};

/**
 * struct mirvol_md - a decoded superblock, in CPU byte order
 *
 * Field meanings are those of struct mirvol_sb.  A version 1 superblock
 * decodes with the version 2 fields zero (no bitmap, default speeds, no
 * split); encoding always writes version 2.
 */
struct mirvol_md {
	u8 volume_uuid[MIRVOL_UUID_LEN];
	char name[MIRVOL_NAME_LEN];
	u8 plex_uuid[MIRVOL_UUID_LEN];
	u32 plex_index;
	u32 nr_plexes;
	u32 flags;
	u64 generation;
	u64 data_offset;
	u64 data_size;
	u64 dev_size;
	u64 ctime;
	u64 utime;
	u64 bitmap_offset;
	u64 bitmap_size;
	u64 resync_offset;
	u32 version;
	u32 bitmap_region;
	u64 bitmap_cleared_gen;
	u32 sync_speed_min;
	u32 sync_speed_max;
	u8 split_peer[MIRVOL_UUID_LEN];
	u64 split_generation;
	struct mirvol_md_plex plexes[MIRVOL_MAX_PLEXES];
};

/* What mirvol_sb_decode() found wrong, for messages and tests. */
enum mirvol_sb_defect {
	MIRVOL_SB_OK = 0,
	MIRVOL_SB_NO_MAGIC,		/* not a mirvol superblock */
	MIRVOL_SB_BAD_SIZE,		/* sb_size out of range */
	MIRVOL_SB_BAD_CSUM,		/* checksum mismatch */
	MIRVOL_SB_BAD_VERSION,		/* unknown format version */
	MIRVOL_SB_BAD_NAME,		/* name empty, unterminated, bad chars */
	MIRVOL_SB_BAD_UUID,		/* zero or duplicate UUIDs */
	MIRVOL_SB_BAD_PLEX_TABLE,	/* index, count or states inconsistent */
	MIRVOL_SB_BAD_GEOMETRY,		/* offsets overlap or exceed the device */
	MIRVOL_SB_BAD_FLAGS,		/* unknown flag bits */
	MIRVOL_SB_BAD_RESERVED,		/* reserved bytes not zero */
	MIRVOL_SB_BAD_GENERATION,	/* generation 0 */
	MIRVOL_SB_BAD_BITMAP,		/* bitmap or split fields insane */
};

bool mirvol_name_valid(const char *name, size_t buflen);
bool mirvol_name_new_valid(const char *name, size_t buflen);
u32 mirvol_sb_csum(const struct mirvol_sb *sb);
void mirvol_sb_encode(const struct mirvol_md *md, void *slot);
enum mirvol_sb_defect mirvol_sb_decode(const void *slot, u64 dev_sectors,
				       struct mirvol_md *md);
const char *mirvol_sb_defect_str(enum mirvol_sb_defect defect);
int mirvol_sb_select(const void *slot0, const void *slot1, u64 dev_sectors,
		     struct mirvol_md *md, enum mirvol_sb_defect defects[2],
		     enum mirvol_reason *reason);

#endif /* _MIRVOL_SB_CODEC_H */
