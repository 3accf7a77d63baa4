// SPDX-License-Identifier: GPL-2.0
/*
 * mirvolctl: examine, reading a member's superblocks in user space.
 *
 * Both slots are read and judged by the codec the kernel uses
 * (drivers/mirvol_sb_codec.c), so examine agrees with the kernel about
 * which superblock is current and why a member is refused.  It needs no
 * module and works on image files as well as block devices.
 *
 * Block devices are read with O_DIRECT: the kernel writes superblocks
 * with bios that bypass the page cache, so a buffered read could return
 * what an earlier examine cached.
 *
 * Copyright (C) 2026 The mirvol authors
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <linux/fs.h>

#include "mirvolctl.h"
#include "mirvol_sb_codec.h"

#define SLOTS_BYTES	(MIRVOL_SB_SLOTS * MIRVOL_SB_SLOT_SIZE)
#define SECTOR		512ULL

enum out_format { OUT_TEXT, OUT_JSON, OUT_EXPORT };

static const struct mirvol_sb *slot_sb(const struct mv_member *m, int slot)
{
	return (const struct mirvol_sb *)((const u8 *)m->slots +
					  slot * MIRVOL_SB_SLOT_SIZE);
}

static bool slot_has_magic(const struct mv_member *m, int slot)
{
	return m->defects[slot] != MIRVOL_SB_NO_MAGIC;
}

/* Size of what @fd refers to.  Return: 0 or -1 (printed unless quiet). */
static int member_size(int fd, const char *path, u64 *bytes, bool quiet)
{
	struct stat st;

	if (fstat(fd, &st)) {
		mv_err_errno(mv_errno_reason(errno), errno, "%s", path);
		return -1;
	}
	if (S_ISREG(st.st_mode)) {
		*bytes = (u64)st.st_size;
		return 0;
	}
	if (!S_ISBLK(st.st_mode)) {
		if (!quiet)
			mv_err(MIRVOL_R_NOT_BLOCK_DEVICE,
			       "%s: not a block device or image file", path);
		return -1;
	}
	if (ioctl(fd, BLKGETSIZE64, bytes)) {
		if (!quiet || (errno != ENOMEDIUM && errno != ENXIO))
			mv_err_errno(mv_errno_reason(errno), errno,
				     "%s: device size", path);
		return -1;
	}
	return 0;
}

/* Read both slots; bytes past the end of a small device read as zero. */
static int read_slots(int fd, const char *path, void *buf)
{
	size_t done = 0;

	memset(buf, 0, SLOTS_BYTES);
	while (done < SLOTS_BYTES) {
		ssize_t n = pread(fd, (u8 *)buf + done, SLOTS_BYTES - done,
				  (off_t)(MIRVOL_SB_OFFSET + done));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			mv_err_errno(mv_errno_reason(errno), errno,
				     "%s: reading the superblocks", path);
			return -1;
		}
		if (n == 0)
			break;
		done += (size_t)n;
	}
	return 0;
}

/**
 * member_read - read and judge a member's superblock slots
 * @fd: the device or image file, open for reading
 * @path: its name, for messages
 * @m: receives the slots and the verdict; member_free() it
 * @quiet: say nothing when @fd cannot carry a superblock at all (not a
 *	block device or file, no medium)
 *
 * Return: 0 (see @m->slot and @m->reason) or -1 (printed unless quiet).
 */
int member_read(int fd, const char *path, struct mv_member *m, bool quiet)
{
	enum mirvol_sb_defect defects[MIRVOL_SB_SLOTS];
	enum mirvol_reason reason;
	struct mirvol_md md;

	memset(m, 0, sizeof(*m));
	m->slot = -1;
	if (member_size(fd, path, &m->dev_bytes, quiet))
		return -1;
	if (posix_memalign(&m->slots, 4096, SLOTS_BYTES)) {
		m->slots = NULL;
		mv_err_errno(MIRVOL_R_NO_MEMORY, ENOMEM, "%s", path);
		return -1;
	}
	if (read_slots(fd, path, m->slots)) {
		member_free(m);
		return -1;
	}
	m->slot = mirvol_sb_select(m->slots,
				   (u8 *)m->slots + MIRVOL_SB_SLOT_SIZE,
				   m->dev_bytes / SECTOR, &md, defects,
				   &reason);
	m->reason = reason;
	m->defects[0] = defects[0];
	m->defects[1] = defects[1];
	return 0;
}

void member_free(struct mv_member *m)
{
	free(m->slots);
	m->slots = NULL;
}

/* The current superblock, decoded.  Return: 0, or -1 when none. */
int member_md(const struct mv_member *m, struct mirvol_md *md)
{
	if (m->slot < 0)
		return -1;
	if (mirvol_sb_decode(slot_sb(m, m->slot), m->dev_bytes / SECTOR, md))
		return -1;
	return 0;
}

/*
 * Open for examine: O_DIRECT for block devices (see the top of the file),
 * falling back to a buffered read with the cached pages dropped first.
 */
static int open_member(const char *path)
{
	struct stat st;
	int fd;

	if (!stat(path, &st) && S_ISBLK(st.st_mode)) {
		fd = open(path, O_RDONLY | O_CLOEXEC | O_DIRECT);
		if (fd >= 0 || errno != EINVAL)
			return fd;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0)
		posix_fadvise(fd, MIRVOL_SB_OFFSET, SLOTS_BYTES,
			      POSIX_FADV_DONTNEED);
	return fd;
}

/* ---- raw fields (also of invalid slots: fixed size, bounded) ----------- */

static size_t sb_name_len(const struct mirvol_sb *sb)
{
	return strnlen(sb->name, sizeof(sb->name));
}

/* Whether the stored checksum is right; only asked when sb_size is sane. */
static bool sb_csum_ok(const struct mirvol_sb *sb)
{
	u32 size = le32_to_cpu(sb->sb_size);

	if (size < sizeof(*sb) || size > MIRVOL_SB_SLOT_SIZE)
		return false;
	return le32_to_cpu(sb->csum) == mirvol_sb_csum(sb);
}

static void format_time(u64 t, char *buf, size_t len)
{
	struct tm tm;
	time_t tt;

	if (t > (u64)INT32_MAX * 64) {	/* beyond year 10000 */
		snprintf(buf, len, "%" PRIu64, (uint64_t)t);
		return;
	}
	tt = (time_t)t;
	if (!gmtime_r(&tt, &tm) ||
	    !strftime(buf, len, "%Y-%m-%d %H:%M:%S UTC", &tm))
		snprintf(buf, len, "%" PRIu64, (uint64_t)t);
}

/* Print @len bytes of a name, bytes outside printable ASCII as \xNN. */
static void print_name(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 0x20 && c < 0x7f && c != '\\')
			putchar(c);
		else
			printf("\\x%02x", c);
	}
}

/* ---- JSON ------------------------------------------------------------ */

static void sb_plex_json(struct json *j, const struct mirvol_sb *sb,
			 unsigned int i)
{
	const struct mirvol_sb_plex *p = &sb->plexes[i];
	u32 flags = le32_to_cpu(p->flags);

	json_obj_begin(j);
	json_key(j, "index");
	json_u64(j, i);
	json_key(j, "uuid");
	json_uuid(j, p->uuid);
	json_key(j, "state");
	json_str(j, mv_plex_state_name(le32_to_cpu(p->state)).s);
	json_key(j, "flags");
	json_u64(j, flags);
	json_key(j, "boot");
	json_bool(j, flags & MIRVOL_PLEX_F_BOOT);
	json_key(j, "last_in_sync");
	json_bool(j, flags & MIRVOL_PLEX_F_LAST_IN_SYNC);
	json_key(j, "bitmap_sync");
	json_bool(j, flags & MIRVOL_PLEX_F_BITMAP_SYNC);
	json_key(j, "write_mostly");
	json_bool(j, flags & MIRVOL_PLEX_F_WRITE_MOSTLY);
	json_key(j, "sync_offset");
	json_u64(j, le64_to_cpu(p->sync_offset));
	json_key(j, "gone_generation");
	json_u64(j, le64_to_cpu(p->gone_generation));
	json_obj_end(j);
}

#define JSON_LE32(j, sb, f)				\
	do {						\
		json_key(j, #f);			\
		json_u64(j, le32_to_cpu((sb)->f));	\
	} while (0)
#define JSON_LE64(j, sb, f)				\
	do {						\
		json_key(j, #f);			\
		json_u64(j, le64_to_cpu((sb)->f));	\
	} while (0)

static void sb_json(struct json *j, const struct mirvol_sb *sb)
{
	char magic[24];
	unsigned int i;

	json_obj_begin(j);
	snprintf(magic, sizeof(magic), "0x%016" PRIx64,
		 (uint64_t)le64_to_cpu(sb->magic));
	json_key(j, "magic");
	json_str(j, magic);
	JSON_LE32(j, sb, version);
	JSON_LE32(j, sb, sb_size);
	JSON_LE32(j, sb, csum);
	json_key(j, "csum_ok");
	json_bool(j, sb_csum_ok(sb));
	JSON_LE32(j, sb, flags);
	json_key(j, "dirty");
	json_bool(j, le32_to_cpu(sb->flags) & MIRVOL_SB_F_DIRTY);
	json_key(j, "volume_uuid");
	json_uuid(j, sb->volume_uuid);
	json_key(j, "name");
	json_strn(j, sb->name, sb_name_len(sb));
	json_key(j, "plex_uuid");
	json_uuid(j, sb->plex_uuid);
	JSON_LE32(j, sb, plex_index);
	JSON_LE32(j, sb, nr_plexes);
	JSON_LE64(j, sb, generation);
	JSON_LE64(j, sb, data_offset);
	JSON_LE64(j, sb, data_size);
	JSON_LE64(j, sb, dev_size);
	JSON_LE64(j, sb, ctime);
	JSON_LE64(j, sb, utime);
	JSON_LE64(j, sb, bitmap_offset);
	JSON_LE64(j, sb, bitmap_size);
	JSON_LE64(j, sb, resync_offset);
	JSON_LE32(j, sb, bitmap_region);
	JSON_LE32(j, sb, bitmap_flags);
	JSON_LE64(j, sb, bitmap_cleared_gen);
	JSON_LE32(j, sb, sync_speed_min);
	JSON_LE32(j, sb, sync_speed_max);
	json_key(j, "split_peer");
	json_uuid(j, sb->split_peer);
	JSON_LE64(j, sb, split_generation);
	json_key(j, "plexes");
	json_arr_begin(j);
	for (i = 0; i < MIRVOL_MAX_PLEXES; i++)
		if (le32_to_cpu(sb->plexes[i].state) != MIRVOL_PLEX_NONE)
			sb_plex_json(j, sb, i);
	json_arr_end(j);
	json_obj_end(j);
}

static void examine_json(const char *path, const struct mv_member *m)
{
	struct json j;
	int s;

	json_init(&j, stdout);
	json_obj_begin(&j);
	json_key(&j, "device");
	json_str(&j, path);
	json_key(&j, "size_bytes");
	json_u64(&j, m->dev_bytes);
	json_key(&j, "current_slot");
	if (m->slot >= 0)
		json_u64(&j, (u64)m->slot);
	else
		json_null(&j);
	json_key(&j, "reason");
	if (m->reason)
		json_str(&j, mv_reason_name(m->reason).s);
	else
		json_null(&j);
	json_key(&j, "slots");
	json_arr_begin(&j);
	for (s = 0; s < MIRVOL_SB_SLOTS; s++) {
		json_obj_begin(&j);
		json_key(&j, "slot");
		json_u64(&j, (u64)s);
		json_key(&j, "valid");
		json_bool(&j, m->defects[s] == MIRVOL_SB_OK);
		json_key(&j, "defect");
		json_str(&j, mirvol_sb_defect_str(m->defects[s]));
		if (slot_has_magic(m, s)) {
			json_key(&j, "superblock");
			sb_json(&j, slot_sb(m, s));
		}
		json_obj_end(&j);
	}
	json_arr_end(&j);
	json_obj_end(&j);
	json_finish(&j);
}

/* ---- text ------------------------------------------------------------ */

static void print_sectors(const char *label, u64 sectors)
{
	char h[16];

	mv_human_size(sectors * SECTOR, h, sizeof(h));
	printf("%16s : %" PRIu64 " sectors (%s)\n", label, (uint64_t)sectors,
	       h);
}

static void print_plex_table(const struct mirvol_sb *sb)
{
	u64 data_size = le64_to_cpu(sb->data_size);
	u32 me = le32_to_cpu(sb->plex_index);
	unsigned int i;

	printf("\n  %-5s  %-36s  %-8s  %-4s  %5s  %8s  %s\n", "INDEX", "UUID",
	       "STATE", "BOOT", "SYNC", "GONE-GEN", "FLAGS");
	for (i = 0; i < MIRVOL_MAX_PLEXES; i++) {
		const struct mirvol_sb_plex *p = &sb->plexes[i];
		u32 state = le32_to_cpu(p->state);
		char us[MV_UUID_STR_LEN], pct[8], flags[48];

		if (state == MIRVOL_PLEX_NONE)
			continue;
		mv_uuid_format(p->uuid, us);
		snprintf(pct, sizeof(pct), "%u%%",
			 mv_percent(le64_to_cpu(p->sync_offset), data_size));
		mv_plex_flags_str(le32_to_cpu(p->flags), flags, sizeof(flags));
		printf("%c %-5u  %-36s  %-8s  %-4s  %5s  %8" PRIu64 "  %s\n",
		       i == me ? '*' : ' ', i, us,
		       mv_plex_state_name(state).s,
		       le32_to_cpu(p->flags) & MIRVOL_PLEX_F_BOOT ?
		       "yes" : "no", pct,
		       (uint64_t)le64_to_cpu(p->gone_generation), flags);
	}
	printf("  (* = this device)\n");
}

/* A resync speed limit: KiB/s, or the module's default. */
static void format_speed(u32 kib, char *buf, size_t len)
{
	if (kib)
		snprintf(buf, len, "%u", kib);
	else
		snprintf(buf, len, "default");
}

/* Version 2: the bitmap, stored speeds, a tracked split (zero in v1). */
static void print_v2(const struct mirvol_sb *sb)
{
	char smin[16], smax[16], us[MV_UUID_STR_LEN];

	if (sb->bitmap_region) {
		print_sectors("Bitmap Region", le32_to_cpu(sb->bitmap_region));
		printf("%16s : 0x%08x\n", "Bitmap Flags",
		       le32_to_cpu(sb->bitmap_flags));
		printf("%16s : %" PRIu64 "\n", "Cleared Gen",
		       (uint64_t)le64_to_cpu(sb->bitmap_cleared_gen));
	} else {
		printf("%16s : none\n", "Bitmap");
	}
	format_speed(le32_to_cpu(sb->sync_speed_min), smin, sizeof(smin));
	format_speed(le32_to_cpu(sb->sync_speed_max), smax, sizeof(smax));
	printf("%16s : %s - %s KiB/s\n", "Sync Speed", smin, smax);
	if (!mv_uuid_is_zero(sb->split_peer)) {
		mv_uuid_format(sb->split_peer, us);
		printf("%16s : %s\n", "Split Peer", us);
		printf("%16s : %" PRIu64 "\n", "Split Gen",
		       (uint64_t)le64_to_cpu(sb->split_generation));
	}
}

static void print_sb(const struct mirvol_sb *sb, int slot)
{
	char us[MV_UUID_STR_LEN], t[64];

	printf("%16s : 0x%016" PRIx64 "\n", "Magic",
	       (uint64_t)le64_to_cpu(sb->magic));
	printf("%16s : %u\n", "Version", le32_to_cpu(sb->version));
	printf("%16s : %u\n", "Current Slot", (unsigned int)slot);
	mv_uuid_format(sb->volume_uuid, us);
	printf("%16s : %s\n", "Volume UUID", us);
	printf("%16s : ", "Volume Name");
	print_name(sb->name, sb_name_len(sb));
	printf("\n");
	mv_uuid_format(sb->plex_uuid, us);
	printf("%16s : %s\n", "Plex UUID", us);
	printf("%16s : %u\n", "Plex Index", le32_to_cpu(sb->plex_index));
	printf("%16s : %u\n", "Plexes", le32_to_cpu(sb->nr_plexes));
	printf("%16s : %" PRIu64 "\n", "Generation",
	       (uint64_t)le64_to_cpu(sb->generation));
	printf("%16s : %s\n", "State",
	       le32_to_cpu(sb->flags) & MIRVOL_SB_F_DIRTY ? "dirty" : "clean");
	print_sectors("Data Offset", le64_to_cpu(sb->data_offset));
	print_sectors("Data Size", le64_to_cpu(sb->data_size));
	print_sectors("Device Size", le64_to_cpu(sb->dev_size));
	if (sb->bitmap_offset || sb->bitmap_size) {
		print_sectors("Bitmap Offset", le64_to_cpu(sb->bitmap_offset));
		print_sectors("Bitmap Size", le64_to_cpu(sb->bitmap_size));
	}
	if (sb->resync_offset)
		print_sectors("Resync Offset", le64_to_cpu(sb->resync_offset));
	print_v2(sb);
	format_time(le64_to_cpu(sb->ctime), t, sizeof(t));
	printf("%16s : %s\n", "Creation Time", t);
	format_time(le64_to_cpu(sb->utime), t, sizeof(t));
	printf("%16s : %s\n", "Update Time", t);
	printf("%16s : 0x%08x (correct)\n", "Checksum", le32_to_cpu(sb->csum));
	print_plex_table(sb);
}

static void print_slot_status(const struct mv_member *m)
{
	int s;

	printf("\n");
	for (s = 0; s < MIRVOL_SB_SLOTS; s++) {
		const struct mirvol_sb *sb = slot_sb(m, s);

		printf("%14s %d : %s", "Slot", s,
		       mirvol_sb_defect_str(m->defects[s]));
		if (slot_has_magic(m, s))
			printf(", generation %" PRIu64,
			       (uint64_t)le64_to_cpu(sb->generation));
		printf("%s\n", s == m->slot ? " (current)" : "");
	}
}

static void examine_text(const char *path, const struct mv_member *m)
{
	if (m->slot < 0 && m->reason == MIRVOL_R_NOT_A_MEMBER)
		return;
	printf("%s:\n", path);
	if (m->slot >= 0)
		print_sb(slot_sb(m, m->slot), m->slot);
	print_slot_status(m);
}

/* ---- udev ------------------------------------------------------------ */

static int examine_export(const struct mv_member *m)
{
	const struct mirvol_sb *sb;
	char us[MV_UUID_STR_LEN];

	if (m->reason == MIRVOL_R_NOT_A_MEMBER)
		return MV_EXIT_FAIL;
	printf("ID_FS_TYPE=mirvol_member\n");
	printf("ID_FS_USAGE=raid\n");
	if (m->slot < 0) {
		printf("MIRVOL_METADATA=%s\n",
		       m->reason == MIRVOL_R_METADATA_VERSION ?
		       "unsupported-version" : "corrupt");
		return MV_EXIT_OK;
	}
	sb = slot_sb(m, m->slot);
	mv_uuid_format(sb->volume_uuid, us);
	printf("MIRVOL_UUID=%s\n", us);
	printf("MIRVOL_NAME=%.*s\n", (int)sb_name_len(sb), sb->name);
	mv_uuid_format(sb->plex_uuid, us);
	printf("MIRVOL_PLEX_UUID=%s\n", us);
	printf("MIRVOL_PLEX_INDEX=%u\n", le32_to_cpu(sb->plex_index));
	printf("MIRVOL_GENERATION=%" PRIu64 "\n",
	       (uint64_t)le64_to_cpu(sb->generation));
	return MV_EXIT_OK;
}

/* ---- command ----------------------------------------------------------- */

static const struct option examine_opts[] = {
	{ "json", no_argument, NULL, 'j' },
	{ "export", no_argument, NULL, 'e' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int examine_verdict(const char *path, const struct mv_member *m)
{
	if (m->slot >= 0)
		return MV_EXIT_OK;
	if (m->reason == MIRVOL_R_NOT_A_MEMBER)
		mv_err(m->reason, "%s: no mirvol superblock", path);
	else if (m->reason == MIRVOL_R_METADATA_VERSION)
		mv_err(m->reason,
		       "%s: superblock of an unknown version (this mirvolctl knows version %u)",
		       path, MIRVOL_SB_VERSION);
	else
		mv_err(m->reason,
		       "%s: no valid superblock: slot 0: %s, slot 1: %s",
		       path, mirvol_sb_defect_str(m->defects[0]),
		       mirvol_sb_defect_str(m->defects[1]));
	return MV_EXIT_FAIL;
}

int cmd_examine(int argc, char **argv)
{
	enum out_format fmt = OUT_TEXT;
	struct mv_member m;
	const char *path;
	int c, fd, r;

	optind = 0;
	while ((c = getopt_long(argc, argv, ":jh", examine_opts, NULL)) != -1) {
		if (c == 'j') {
			fmt = OUT_JSON;
		} else if (c == 'e') {
			fmt = OUT_EXPORT;
		} else {
			r = mv_common_opt(c, argv);
			if (r >= 0)
				return r;
		}
	}
	if (optind >= argc)
		return mv_usage("missing DEV");
	if (optind + 1 < argc)
		return mv_usage("unexpected argument '%s'", argv[optind + 1]);
	path = argv[optind];

	fd = open_member(path);
	if (fd < 0) {
		/* udev asks about every device, drives without media too */
		if (fmt != OUT_EXPORT || (errno != ENOMEDIUM && errno != ENXIO))
			mv_err_errno(mv_errno_reason(errno), errno, "%s",
				     path);
		return MV_EXIT_FAIL;
	}
	r = member_read(fd, path, &m, fmt == OUT_EXPORT);
	close(fd);
	if (r)
		return MV_EXIT_FAIL;
	if (fmt == OUT_EXPORT) {
		r = examine_export(&m);
	} else {
		if (fmt == OUT_JSON)
			examine_json(path, &m);
		else
			examine_text(path, &m);
		r = examine_verdict(path, &m);
	}
	member_free(&m);
	return r;
}
