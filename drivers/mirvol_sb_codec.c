// SPDX-License-Identifier: GPL-2.0
/*
 * mirvol superblock codec.
 *
 * The on-disk superblock (struct mirvol_sb, <linux/mirvol.h>) is decoded
 * into struct mirvol_md only after every field has been checked: no byte
 * pattern, however crafted, may make the kernel trust a member.  This file
 * is also compiled into mirvolctl; keep it free of kernel-only calls other
 * than those mirvol_user_compat.h provides.
 *
 * Copyright (C) 2026 The mirvol authors
 */
#ifdef __KERNEL__
#include <linux/crc32c.h>
#include <linux/kernel.h>
#include <linux/stddef.h>
#include <linux/string.h>
#include <asm/byteorder.h>
#endif

#include "mirvol_sb_codec.h"

/**
 * mirvol_name_valid - check a volume name
 * @name: buffer holding the name
 * @buflen: size of @name in bytes
 *
 * A name is 1 to MIRVOL_NAME_LEN - 1 characters of [A-Za-z0-9._-],
 * NUL-terminated within @buflen, and not "." or "..".
 *
 * Return: true when valid.
 */
bool mirvol_name_valid(const char *name, size_t buflen)
{
	size_t i;

	for (i = 0; i < buflen && i < MIRVOL_NAME_LEN; i++) {
		char c = name[i];

		if (!c)
			break;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		      c == '-'))
			return false;
	}
	if (i == 0 || i >= buflen || i >= MIRVOL_NAME_LEN)
		return false;
	if (!strcmp(name, ".") || !strcmp(name, ".."))
		return false;
	return true;
}

/**
 * mirvol_name_new_valid - check a name a volume is to be given
 * @name: buffer holding the name
 * @buflen: size of @name in bytes
 *
 * mirvol_name_valid(), and not ending in "-part" and digits: udev links
 * partition N of volume NAME as /dev/mirvol/NAME-partN, which a volume
 * named so would take or lose.  CREATE, RENAME and BREAK_PLEX's new name
 * ask this; a superblock's name is checked by mirvol_name_valid() only,
 * so that a volume named so before still assembles.
 *
 * Return: true when valid.
 */
bool mirvol_name_new_valid(const char *name, size_t buflen)
{
	static const char part[] = "-part";
	size_t len, i;

	if (!mirvol_name_valid(name, buflen))
		return false;
	len = strlen(name);
	for (i = len; i > 0 && name[i - 1] >= '0' && name[i - 1] <= '9'; i--)
		;
	return i == len || i < sizeof(part) - 1 ||
	       memcmp(name + i - (sizeof(part) - 1), part, sizeof(part) - 1);
}

/**
 * mirvol_sb_csum - checksum of a superblock
 * @sb: the superblock; sb_size must already be within the slot
 *
 * Return: CRC-32C of the first sb_size bytes with the csum field as zero.
 */
u32 mirvol_sb_csum(const struct mirvol_sb *sb)
{
	static const u8 zero[4];
	size_t off = offsetof(struct mirvol_sb, csum);
	u32 len = le32_to_cpu(sb->sb_size);
	u32 crc;

	crc = crc32c(~0U, sb, off);
	crc = crc32c(crc, zero, sizeof(zero));
	crc = crc32c(crc, (const u8 *)sb + off + 4, len - off - 4);
	return ~crc;
}

/**
 * mirvol_sb_encode - write a superblock slot
 * @md: the metadata to encode
 * @slot: MIRVOL_SB_SLOT_SIZE bytes; fully overwritten
 */
void mirvol_sb_encode(const struct mirvol_md *md, void *slot)
{
	struct mirvol_sb *sb = slot;
	unsigned int i;

	memset(slot, 0, MIRVOL_SB_SLOT_SIZE);
	sb->magic = cpu_to_le64(MIRVOL_SB_MAGIC);
	sb->version = cpu_to_le32(MIRVOL_SB_VERSION);
	sb->sb_size = cpu_to_le32(sizeof(*sb));
	sb->flags = cpu_to_le32(md->flags);
	memcpy(sb->volume_uuid, md->volume_uuid, MIRVOL_UUID_LEN);
	memcpy(sb->name, md->name, MIRVOL_NAME_LEN);
	sb->name[MIRVOL_NAME_LEN - 1] = '\0';
	memcpy(sb->plex_uuid, md->plex_uuid, MIRVOL_UUID_LEN);
	sb->plex_index = cpu_to_le32(md->plex_index);
	sb->nr_plexes = cpu_to_le32(md->nr_plexes);
	sb->generation = cpu_to_le64(md->generation);
	sb->data_offset = cpu_to_le64(md->data_offset);
	sb->data_size = cpu_to_le64(md->data_size);
	sb->dev_size = cpu_to_le64(md->dev_size);
	sb->ctime = cpu_to_le64(md->ctime);
	sb->utime = cpu_to_le64(md->utime);
	sb->bitmap_offset = cpu_to_le64(md->bitmap_offset);
	sb->bitmap_size = cpu_to_le64(md->bitmap_size);
	sb->resync_offset = cpu_to_le64(md->resync_offset);
	sb->bitmap_region = cpu_to_le32(md->bitmap_region);
	sb->bitmap_cleared_gen = cpu_to_le64(md->bitmap_cleared_gen);
	sb->sync_speed_min = cpu_to_le32(md->sync_speed_min);
	sb->sync_speed_max = cpu_to_le32(md->sync_speed_max);
	memcpy(sb->split_peer, md->split_peer, MIRVOL_UUID_LEN);
	sb->split_generation = cpu_to_le64(md->split_generation);
	for (i = 0; i < MIRVOL_MAX_PLEXES; i++) {
		const struct mirvol_md_plex *p = &md->plexes[i];
		struct mirvol_sb_plex *d = &sb->plexes[i];

		memcpy(d->uuid, p->uuid, MIRVOL_UUID_LEN);
		d->state = cpu_to_le32(p->state);
		d->flags = cpu_to_le32(p->flags);
		d->sync_offset = cpu_to_le64(p->sync_offset);
		d->gone_generation = cpu_to_le64(p->gone_generation);
	}
	sb->csum = cpu_to_le32(mirvol_sb_csum(sb));
}

static bool sb_mem_is_zero(const void *p, size_t len)
{
	const u8 *b = p;
	size_t i;

	for (i = 0; i < len; i++)
		if (b[i])
			return false;
	return true;
}

static bool uuid_is_zero(const u8 *uuid)
{
	return sb_mem_is_zero(uuid, MIRVOL_UUID_LEN);
}

/* Plex table: states in range, used slots with unique nonzero UUIDs. */
static enum mirvol_sb_defect check_plexes(const struct mirvol_sb *sb,
					  u64 data_size)
{
	u32 index = le32_to_cpu(sb->plex_index);
	u32 used = 0;
	unsigned int i, j;

	if (index >= MIRVOL_MAX_PLEXES)
		return MIRVOL_SB_BAD_PLEX_TABLE;
	for (i = 0; i < MIRVOL_MAX_PLEXES; i++) {
		const struct mirvol_sb_plex *p = &sb->plexes[i];
		u32 state = le32_to_cpu(p->state);

		if (p->reserved)
			return MIRVOL_SB_BAD_RESERVED;
		if (state == MIRVOL_PLEX_NONE) {
			if (!sb_mem_is_zero(p, sizeof(*p)))
				return MIRVOL_SB_BAD_PLEX_TABLE;
			continue;
		}
		if (state > MIRVOL_PLEX_OFFLINE)
			return MIRVOL_SB_BAD_PLEX_TABLE;
		if (le32_to_cpu(p->flags) &
		    ~(MIRVOL_PLEX_F_BOOT | MIRVOL_PLEX_F_LAST_IN_SYNC |
		      MIRVOL_PLEX_F_BITMAP_SYNC | MIRVOL_PLEX_F_WRITE_MOSTLY))
			return MIRVOL_SB_BAD_FLAGS;
		/* A bitmap-driven resync needs a bitmap. */
		if ((le32_to_cpu(p->flags) & MIRVOL_PLEX_F_BITMAP_SYNC) &&
		    (!sb->bitmap_region || state != MIRVOL_PLEX_SYNCING))
			return MIRVOL_SB_BAD_FLAGS;
		if (le64_to_cpu(p->sync_offset) > data_size)
			return MIRVOL_SB_BAD_PLEX_TABLE;
		if (le64_to_cpu(p->gone_generation) >
		    le64_to_cpu(sb->generation))
			return MIRVOL_SB_BAD_PLEX_TABLE;
		if (uuid_is_zero(p->uuid))
			return MIRVOL_SB_BAD_UUID;
		for (j = 0; j < i; j++)
			if (!memcmp(sb->plexes[j].uuid, p->uuid,
				    MIRVOL_UUID_LEN))
				return MIRVOL_SB_BAD_UUID;
		used++;
	}
	if (used != le32_to_cpu(sb->nr_plexes))
		return MIRVOL_SB_BAD_PLEX_TABLE;
	if (le32_to_cpu(sb->plexes[index].state) == MIRVOL_PLEX_NONE)
		return MIRVOL_SB_BAD_PLEX_TABLE;
	if (memcmp(sb->plexes[index].uuid, sb->plex_uuid, MIRVOL_UUID_LEN))
		return MIRVOL_SB_BAD_UUID;
	return MIRVOL_SB_OK;
}

/*
 * Geometry: the metadata area, the reserved bitmap area and the data must
 * not overlap, and everything must lie inside the device.  Values are
 * bounded before any addition so that no sum can wrap.
 */
static enum mirvol_sb_defect check_geometry(const struct mirvol_sb *sb,
					    u64 dev_sectors)
{
	u64 data_offset = le64_to_cpu(sb->data_offset);
	u64 data_size = le64_to_cpu(sb->data_size);
	u64 bm_offset = le64_to_cpu(sb->bitmap_offset);
	u64 bm_size = le64_to_cpu(sb->bitmap_size);

	if (data_offset < MIRVOL_MIN_DATA_OFFSET || data_offset % 8 ||
	    data_offset > dev_sectors)
		return MIRVOL_SB_BAD_GEOMETRY;
	if (data_size < MIRVOL_MIN_DATA_SECTORS || data_size % 8 ||
	    data_size > dev_sectors - data_offset)
		return MIRVOL_SB_BAD_GEOMETRY;
	if (le64_to_cpu(sb->dev_size) < data_offset + data_size)
		return MIRVOL_SB_BAD_GEOMETRY;
	/*
	 * The bitmap area starts at MIRVOL_BITMAP_OFFSET: mirvol writes it
	 * there, and assembly reads it where the superblock says.
	 */
	if (bm_offset || bm_size) {
		if (bm_offset != MIRVOL_SB_SECTOR(MIRVOL_BITMAP_OFFSET) ||
		    bm_offset > data_offset ||
		    bm_size > data_offset - bm_offset)
			return MIRVOL_SB_BAD_GEOMETRY;
	}
	if (le64_to_cpu(sb->resync_offset) > data_size)
		return MIRVOL_SB_BAD_GEOMETRY;
	return MIRVOL_SB_OK;
}

/*
 * Version 2 fields: a bitmap region is a power of two from 64 KiB, and
 * its bits fit in the bitmap area and under MIRVOL_BITMAP_MAX_REGIONS;
 * generations are not ahead of the superblock's.
 */
static enum mirvol_sb_defect check_bitmap(const struct mirvol_sb *sb)
{
	u32 region = le32_to_cpu(sb->bitmap_region);
	u64 gen = le64_to_cpu(sb->generation);
	u64 regions;

	if (sb->bitmap_flags)
		return MIRVOL_SB_BAD_FLAGS;
	if (le64_to_cpu(sb->bitmap_cleared_gen) > gen ||
	    le64_to_cpu(sb->split_generation) > gen)
		return MIRVOL_SB_BAD_BITMAP;
	if (uuid_is_zero(sb->split_peer) != !sb->split_generation)
		return MIRVOL_SB_BAD_BITMAP;
	if (!region)
		return sb->bitmap_cleared_gen ? MIRVOL_SB_BAD_BITMAP :
						MIRVOL_SB_OK;
	if (region & (region - 1) ||
	    region < MIRVOL_SB_SECTOR(MIRVOL_BITMAP_MIN_REGION))
		return MIRVOL_SB_BAD_BITMAP;
	regions = (le64_to_cpu(sb->data_size) + region - 1) / region;
	if (regions > MIRVOL_BITMAP_MAX_REGIONS ||
	    regions > le64_to_cpu(sb->bitmap_size) * 512 * 8)
		return MIRVOL_SB_BAD_BITMAP;
	return MIRVOL_SB_OK;
}

/**
 * mirvol_sb_decode - validate and decode one superblock slot
 * @slot: MIRVOL_SB_SLOT_SIZE bytes read from the device
 * @dev_sectors: size of the device the slot was read from, in sectors
 * @md: filled in when the slot is valid; untouched otherwise
 *
 * Return: MIRVOL_SB_OK, or the first defect found.
 */
enum mirvol_sb_defect mirvol_sb_decode(const void *slot, u64 dev_sectors,
				       struct mirvol_md *md)
{
	const struct mirvol_sb *sb = slot;
	enum mirvol_sb_defect defect;
	unsigned int i;
	u64 data_size;
	u32 version;

	if (le64_to_cpu(sb->magic) != MIRVOL_SB_MAGIC)
		return MIRVOL_SB_NO_MAGIC;
	if (le32_to_cpu(sb->sb_size) < sizeof(*sb) ||
	    le32_to_cpu(sb->sb_size) > MIRVOL_SB_SLOT_SIZE)
		return MIRVOL_SB_BAD_SIZE;
	if (le32_to_cpu(sb->csum) != mirvol_sb_csum(sb))
		return MIRVOL_SB_BAD_CSUM;
	version = le32_to_cpu(sb->version);
	if (version != 1 && version != MIRVOL_SB_VERSION)
		return MIRVOL_SB_BAD_VERSION;
	if (le32_to_cpu(sb->sb_size) != sizeof(*sb))
		return MIRVOL_SB_BAD_SIZE;
	/* Version 1 had reserved zeros where version 2 has its fields. */
	if ((version == 1 &&
	     !sb_mem_is_zero(&sb->bitmap_region,
			     offsetof(struct mirvol_sb, plexes) -
			     offsetof(struct mirvol_sb, bitmap_region))) ||
	    !sb_mem_is_zero(sb->reserved, sizeof(sb->reserved)) ||
	    !sb_mem_is_zero(sb->reserved2, sizeof(sb->reserved2)) ||
	    !sb_mem_is_zero((const u8 *)slot + sizeof(*sb),
			 MIRVOL_SB_SLOT_SIZE - sizeof(*sb)))
		return MIRVOL_SB_BAD_RESERVED;
	if (le32_to_cpu(sb->flags) & ~MIRVOL_SB_F_DIRTY)
		return MIRVOL_SB_BAD_FLAGS;
	if (!le64_to_cpu(sb->generation))
		return MIRVOL_SB_BAD_GENERATION;
	if (!mirvol_name_valid(sb->name, sizeof(sb->name)) ||
	    !sb_mem_is_zero(sb->name + strlen(sb->name),
			 MIRVOL_NAME_LEN - strlen(sb->name)))
		return MIRVOL_SB_BAD_NAME;
	if (uuid_is_zero(sb->volume_uuid) || uuid_is_zero(sb->plex_uuid))
		return MIRVOL_SB_BAD_UUID;
	defect = check_geometry(sb, dev_sectors);
	if (!defect)
		defect = check_bitmap(sb);
	if (defect)
		return defect;
	data_size = le64_to_cpu(sb->data_size);
	defect = check_plexes(sb, data_size);
	if (defect)
		return defect;

	memcpy(md->volume_uuid, sb->volume_uuid, MIRVOL_UUID_LEN);
	memcpy(md->name, sb->name, MIRVOL_NAME_LEN);
	memcpy(md->plex_uuid, sb->plex_uuid, MIRVOL_UUID_LEN);
	md->plex_index = le32_to_cpu(sb->plex_index);
	md->nr_plexes = le32_to_cpu(sb->nr_plexes);
	md->flags = le32_to_cpu(sb->flags);
	md->generation = le64_to_cpu(sb->generation);
	md->data_offset = le64_to_cpu(sb->data_offset);
	md->data_size = data_size;
	md->dev_size = le64_to_cpu(sb->dev_size);
	md->ctime = le64_to_cpu(sb->ctime);
	md->utime = le64_to_cpu(sb->utime);
	md->bitmap_offset = le64_to_cpu(sb->bitmap_offset);
	md->bitmap_size = le64_to_cpu(sb->bitmap_size);
	md->resync_offset = le64_to_cpu(sb->resync_offset);
	md->version = version;
	md->bitmap_region = le32_to_cpu(sb->bitmap_region);
	md->bitmap_cleared_gen = le64_to_cpu(sb->bitmap_cleared_gen);
	md->sync_speed_min = le32_to_cpu(sb->sync_speed_min);
	md->sync_speed_max = le32_to_cpu(sb->sync_speed_max);
	memcpy(md->split_peer, sb->split_peer, MIRVOL_UUID_LEN);
	md->split_generation = le64_to_cpu(sb->split_generation);
	for (i = 0; i < MIRVOL_MAX_PLEXES; i++) {
		const struct mirvol_sb_plex *s = &sb->plexes[i];
		struct mirvol_md_plex *p = &md->plexes[i];

		memcpy(p->uuid, s->uuid, MIRVOL_UUID_LEN);
		p->state = le32_to_cpu(s->state);
		p->flags = le32_to_cpu(s->flags);
		p->sync_offset = le64_to_cpu(s->sync_offset);
		p->gone_generation = le64_to_cpu(s->gone_generation);
	}
	return MIRVOL_SB_OK;
}

/**
 * mirvol_sb_defect_str - describe a defect
 * @defect: as returned by mirvol_sb_decode()
 *
 * Return: a short static string.
 */
const char *mirvol_sb_defect_str(enum mirvol_sb_defect defect)
{
	switch (defect) {
	case MIRVOL_SB_OK:		return "valid";
	case MIRVOL_SB_NO_MAGIC:	return "no superblock";
	case MIRVOL_SB_BAD_SIZE:	return "bad size";
	case MIRVOL_SB_BAD_CSUM:	return "checksum mismatch";
	case MIRVOL_SB_BAD_VERSION:	return "unknown version";
	case MIRVOL_SB_BAD_NAME:	return "bad name";
	case MIRVOL_SB_BAD_UUID:	return "bad uuid";
	case MIRVOL_SB_BAD_PLEX_TABLE:	return "bad plex table";
	case MIRVOL_SB_BAD_GEOMETRY:	return "bad geometry";
	case MIRVOL_SB_BAD_FLAGS:	return "unknown flags";
	case MIRVOL_SB_BAD_RESERVED:	return "reserved bytes set";
	case MIRVOL_SB_BAD_GENERATION:	return "bad generation";
	case MIRVOL_SB_BAD_BITMAP:	return "bad bitmap";
	}
	return "unknown defect";
}

/**
 * mirvol_sb_select - pick the current superblock of a member
 * @slot0: slot 0 as read from the device
 * @slot1: slot 1 as read from the device
 * @dev_sectors: the device's size in sectors
 * @md: the current superblock, decoded, when one slot is valid
 * @defects: per slot, what mirvol_sb_decode() found
 * @reason: when no slot is valid, NOT_A_MEMBER (no magic in either slot),
 *	METADATA_VERSION (a slot of an unknown version, none valid) or
 *	METADATA_CORRUPT; MIRVOL_R_NONE otherwise
 *
 * The valid slot with the higher generation is current.  Two valid slots
 * with the same generation hold the same superblock, an offline plex's
 * mark written to both (mirvol_sb_mark_offline()); else the slot is the
 * generation's parity.  Slot 0 is taken then.
 *
 * Return: the current slot (0 or 1), or -1 when none is valid.
 */
int mirvol_sb_select(const void *slot0, const void *slot1, u64 dev_sectors,
		     struct mirvol_md *md, enum mirvol_sb_defect defects[2],
		     enum mirvol_reason *reason)
{
	struct mirvol_md md1;
	int cur = -1;

	defects[0] = mirvol_sb_decode(slot0, dev_sectors, md);
	defects[1] = mirvol_sb_decode(slot1, dev_sectors, &md1);
	if (defects[0] == MIRVOL_SB_OK)
		cur = 0;
	if (defects[1] == MIRVOL_SB_OK &&
	    (cur < 0 || md1.generation > md->generation)) {
		*md = md1;
		cur = 1;
	}
	if (cur >= 0)
		*reason = MIRVOL_R_NONE;
	else if (defects[0] == MIRVOL_SB_NO_MAGIC &&
		 defects[1] == MIRVOL_SB_NO_MAGIC)
		*reason = MIRVOL_R_NOT_A_MEMBER;
	else if (defects[0] == MIRVOL_SB_BAD_VERSION ||
		 defects[1] == MIRVOL_SB_BAD_VERSION)
		*reason = MIRVOL_R_METADATA_VERSION;
	else
		*reason = MIRVOL_R_METADATA_CORRUPT;
	return cur;
}
