// SPDX-License-Identifier: GPL-2.0
/*
 * mkimage: write an image file carrying mirvol superblocks, encoded with
 * the shared codec, for the examine tests.
 *
 * usage: mkimage FILE [options]
 *   --size MIB         file size (default 8)
 *   --name NAME        volume name (default "testvol"; not validated)
 *   --gen N            generation of the newest slot (default 5)
 *   --slots WHICH      "cur": only the newest slot (slot gen % 2),
 *                      "both" (default): the other slot gets gen - 1
 *   --plexes N         plexes in the table (default 2)
 *   --index I          this device's slot (default 0)
 *   --dirty            set the dirty flag
 *   --state I:S        plex I's state (a number), default active
 *   --corrupt SLOT     flip a byte of SLOT (2: of both) after encoding
 *   --version SLOT:V   store version V in SLOT, with a correct checksum
 *   --raw-name SLOT    put bytes 0xff 0x01 '"' into SLOT's name, csum fixed
 *   --region SECTORS   bitmap region (version 2; default 0: no bitmap)
 *   --cleared-gen N    bitmap cleared generation
 *   --speeds MIN:MAX   stored resync speeds, KiB/s
 *   --split GEN        a tracked split at generation GEN, peer
 *                      33333333-3333-3333-3333-333333333333
 *   --plex-flags I:F   plex I's flags (a number)
 *
 * UUIDs are fixed: volume 11111111-1111-1111-1111-111111111111, plex i
 * 22222222-2222-2222-2222-2222222222ii (ii = i in hex).
 *
 * Copyright (C) 2026 The mirvol authors
 */
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mirvol_sb_codec.h"

struct cfg {
	unsigned long long size_mib, gen;
	const char *name;
	bool both, dirty;
	unsigned int plexes, index;
	u32 states[MIRVOL_MAX_PLEXES];
	u32 plex_flags[MIRVOL_MAX_PLEXES];
	u32 region, speed_min, speed_max;
	unsigned long long cleared_gen, split_gen;
	int corrupt, version_slot, raw_name;
	u32 version;
};

static void fill_md(const struct cfg *c, u64 gen, struct mirvol_md *md)
{
	u64 dev = c->size_mib * 2048;
	unsigned int i;

	memset(md, 0, sizeof(*md));
	memset(md->volume_uuid, 0x11, MIRVOL_UUID_LEN);
	snprintf(md->name, MIRVOL_NAME_LEN, "%s", c->name);
	md->plex_index = c->index;
	md->nr_plexes = c->plexes;
	md->flags = c->dirty ? MIRVOL_SB_F_DIRTY : 0;
	md->generation = gen;
	md->data_offset = MIRVOL_DATA_OFFSET / 512;
	md->data_size = (dev - md->data_offset) & ~7ULL;
	md->dev_size = dev;
	md->ctime = 1700000000;
	md->utime = 1700000000 + gen;
	md->bitmap_offset = MIRVOL_BITMAP_OFFSET / 512;
	md->bitmap_size = md->data_offset - md->bitmap_offset;
	for (i = 0; i < c->plexes && i < MIRVOL_MAX_PLEXES; i++) {
		struct mirvol_md_plex *p = &md->plexes[i];

		memset(p->uuid, 0x22, MIRVOL_UUID_LEN);
		p->uuid[15] = (u8)i;
		p->state = c->states[i];
		p->flags = c->plex_flags[i];
		p->sync_offset = p->state == MIRVOL_PLEX_ACTIVE ?
				 md->data_size : 0;
	}
	memcpy(md->plex_uuid, md->plexes[c->index].uuid, MIRVOL_UUID_LEN);
	md->bitmap_region = c->region;
	md->bitmap_cleared_gen = c->cleared_gen;
	md->sync_speed_min = c->speed_min;
	md->sync_speed_max = c->speed_max;
	if (c->split_gen) {
		memset(md->split_peer, 0x33, MIRVOL_UUID_LEN);
		md->split_generation = c->split_gen;
	}
}

static void fix_csum(u8 *slot)
{
	struct mirvol_sb *sb = (struct mirvol_sb *)slot;

	sb->csum = cpu_to_le32(mirvol_sb_csum(sb));
}

static int write_slot(int fd, int slot, const u8 *buf)
{
	off_t off = MIRVOL_SB_OFFSET + (off_t)slot * MIRVOL_SB_SLOT_SIZE;

	if (pwrite(fd, buf, MIRVOL_SB_SLOT_SIZE, off) != MIRVOL_SB_SLOT_SIZE) {
		perror("mkimage: pwrite");
		return -1;
	}
	return 0;
}

static void patch(const struct cfg *c, int slot, u8 *buf)
{
	struct mirvol_sb *sb = (struct mirvol_sb *)buf;

	if (c->version_slot == slot) {
		sb->version = cpu_to_le32(c->version);
		fix_csum(buf);
	}
	if (c->raw_name == slot) {
		memset(sb->name, 0, sizeof(sb->name));
		memcpy(sb->name, "\xff\x01\"", 3);
		fix_csum(buf);
	}
	if (c->corrupt == slot || c->corrupt == 2)
		buf[200] ^= 0x5a;
}

static int make(const char *file, const struct cfg *c)
{
	static u8 buf[MIRVOL_SB_SLOT_SIZE];
	struct mirvol_md md;
	int cur = (int)(c->gen % 2), fd, r = 0;

	fd = open(file, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || ftruncate(fd, (off_t)(c->size_mib << 20))) {
		perror("mkimage");
		return 1;
	}
	fill_md(c, c->gen, &md);
	mirvol_sb_encode(&md, buf);
	patch(c, cur, buf);
	r |= write_slot(fd, cur, buf);
	if (c->both && c->gen > 1) {
		fill_md(c, c->gen - 1, &md);
		mirvol_sb_encode(&md, buf);
		patch(c, !cur, buf);
		r |= write_slot(fd, !cur, buf);
	}
	if (close(fd))
		r = -1;
	return r ? 1 : 0;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "size", required_argument, NULL, 's' },
		{ "name", required_argument, NULL, 'n' },
		{ "gen", required_argument, NULL, 'g' },
		{ "slots", required_argument, NULL, 'S' },
		{ "plexes", required_argument, NULL, 'p' },
		{ "index", required_argument, NULL, 'i' },
		{ "dirty", no_argument, NULL, 'd' },
		{ "state", required_argument, NULL, 't' },
		{ "corrupt", required_argument, NULL, 'c' },
		{ "version", required_argument, NULL, 'v' },
		{ "raw-name", required_argument, NULL, 'r' },
		{ "region", required_argument, NULL, 'R' },
		{ "cleared-gen", required_argument, NULL, 'C' },
		{ "speeds", required_argument, NULL, 'P' },
		{ "split", required_argument, NULL, 'L' },
		{ "plex-flags", required_argument, NULL, 'F' },
		{ NULL, 0, NULL, 0 },
	};
	struct cfg c = {
		.size_mib = 8, .gen = 5, .name = "testvol", .both = true,
		.plexes = 2, .corrupt = -1, .version_slot = -1,
		.raw_name = -1,
	};
	unsigned int i, s;
	int opt;

	for (i = 0; i < MIRVOL_MAX_PLEXES; i++)
		c.states[i] = MIRVOL_PLEX_ACTIVE;
	while ((opt = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (opt) {
		case 's':
			c.size_mib = strtoull(optarg, NULL, 10);
			break;
		case 'n':
			c.name = optarg;
			break;
		case 'g':
			c.gen = strtoull(optarg, NULL, 10);
			break;
		case 'S':
			c.both = !strcmp(optarg, "both");
			break;
		case 'p':
			c.plexes = (unsigned int)atoi(optarg);
			break;
		case 'i':
			c.index = (unsigned int)atoi(optarg);
			break;
		case 'd':
			c.dirty = true;
			break;
		case 'c':
			c.corrupt = atoi(optarg);
			break;
		case 'r':
			c.raw_name = atoi(optarg);
			break;
		case 't':
			if (sscanf(optarg, "%u:%u", &i, &s) != 2 ||
			    i >= MIRVOL_MAX_PLEXES)
				return 2;
			c.states[i] = s;
			break;
		case 'R':
			c.region = (u32)strtoul(optarg, NULL, 10);
			break;
		case 'C':
			c.cleared_gen = strtoull(optarg, NULL, 10);
			break;
		case 'P':
			if (sscanf(optarg, "%u:%u", &c.speed_min,
				   &c.speed_max) != 2)
				return 2;
			break;
		case 'L':
			c.split_gen = strtoull(optarg, NULL, 10);
			break;
		case 'F':
			if (sscanf(optarg, "%u:%u", &i, &s) != 2 ||
			    i >= MIRVOL_MAX_PLEXES)
				return 2;
			c.plex_flags[i] = s;
			break;
		case 'v':
			if (sscanf(optarg, "%d:%u", &c.version_slot,
				   &c.version) != 2)
				return 2;
			break;
		default:
			return 2;
		}
	}
	if (optind != argc - 1 || c.plexes < 1 ||
	    c.plexes > MIRVOL_MAX_PLEXES || c.index >= c.plexes) {
		fprintf(stderr, "usage: mkimage FILE [options]\n");
		return 2;
	}
	return make(argv[optind], &c);
}
