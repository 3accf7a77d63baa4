// SPDX-License-Identifier: GPL-2.0
/*
 * mirvolctl: error lines, names of the ABI's enums, argument parsing and
 * formatting helpers.
 *
 * Copyright (C) 2026 The mirvol authors
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "mirvolctl.h"
#include "mirvol_names.h"

/* ---- reason codes --------------------------------------------------- */

struct reason_desc {
	const char *name;
	const char *text;
};

#define R(code, msg) [MIRVOL_R_##code] = { #code, msg }

static const struct reason_desc reasons[MIRVOL_R_MAX] = {
	R(NONE, "success"),
	R(INVALID_ARGUMENT, "invalid argument"),
	R(OBJECT_NOT_FOUND, "no such volume, plex, device or operation"),
	R(DEVICE_BUSY, "device or volume is busy (open, mounted or in use)"),
	R(NAME_EXISTS, "a volume with this name already exists"),
	R(TOO_MANY_PLEXES, "too many plexes (a volume has at most 8)"),
	R(ACCESS_DENIED, "permission denied (CAP_SYS_ADMIN is required)"),
	R(NO_MEMORY, "out of memory"),
	R(IO_ERROR, "an I/O to a plex failed"),
	R(BAD_FD, "not an open file descriptor"),
	R(NOT_BLOCK_DEVICE, "not a block device"),
	R(DUPLICATE_DEVICE, "the same device was given more than once"),
	R(DEVICE_TOO_SMALL,
	  "device too small (1 MiB of metadata plus at least 1 MiB of data)"),
	R(INVALID_OPERATION, "not valid in the current state"),
	R(VOLUME_NOT_ONLINE, "the volume is not online"),
	R(VOLUME_NOT_A_MIRROR, "the volume has only one plex"),
	R(PLEX_IS_BOOT,
	  "the plex is the boot plex (clear it with set-plex --no-boot)"),
	R(REMAINING_PLEX_STALE, "no in-sync plex would remain"),
	R(PLEX_NOT_IN_SYNC, "the plex is not in sync"),
	R(SOURCE_TOO_SMALL, "the source is smaller than the volume"),
	R(OBJECT_STATUS_FAILED, "the volume has failed"),
	R(ANOTHER_CALL_IN_PROGRESS,
	  "another operation is running on the volume"),
	R(OBJECT_DELETED, "the volume was removed while the operation ran"),
	R(CANCEL_TOO_LATE,
	  "the operation has ended or can no longer be cancelled"),
	R(OPERATION_CANCELED, "the operation was cancelled"),
	R(TIMEOUT, "timed out; the operation is still running"),
	R(INTERRUPTED, "interrupted by a signal"),
	R(METADATA_CORRUPT, "no valid superblock (metadata corrupt)"),
	R(SPLIT_BRAIN, "the members have diverged (split brain)"),
	R(NOT_A_MEMBER, "no mirvol superblock on the device"),
	R(VOLUME_INCOMPLETE,
	  "not all members are present (--run starts it degraded)"),
	R(METADATA_VERSION, "superblock of an unknown version"),
	R(INCOMPATIBLE_DEVICE,
	  "incompatible device (e.g. a larger logical block size)"),
	R(NO_IN_SYNC_MEMBER, "no member of the newest generation is present"),
	R(NOT_SUPPORTED, "not supported by the mirvol module"),
	R(SOURCE_READ_ERROR,
	  "no in-sync plex could read a range (resync --force copies around it)"),
	R(FREEZE_FAILED, "a file system on the volume could not be frozen"),
	R(NOTHING_TO_SYNC, "no plex needs a resync"),
	R(TOO_FEW_IN_SYNC, "check and repair need two in-sync plexes, from start to end"),
	R(NO_BITMAP, "the volume has no write-intent bitmap"),
	R(NOT_SPLIT_PAIR,
	  "not split from each other with --track-changes, or a change map was lost"),
	R(PLEX_FAILED,
	  "the plex failed a write and is not re-added by itself (use re-add)"),
	R(SPLIT_TRACKED,
	  "a split is tracked already: merge it back or 'set --forget-split' first"),
	R(DATA_UNREADABLE,
	  "no in-sync plex could read a range: its data is lost (the kernel log names every range)"),
	R(PLEX_OFFLINE,
	  "a plex the operation copied onto was taken offline before it was in sync (online copies it)"),
	R(WIPE_FAILED,
	  "removed, but a device keeps its mirvol metadata: the write erasing it failed (the kernel log names it; erase it with 'mirvolctl wipe DEV' once it works)"),
	R(READ_ONLY_DEVICE,
	  "a device is read-only (blockdev --setro, or write-protected): mirvol writes its metadata there"),
	R(RESYNC_PENDING,
	  "a plex is stale or syncing: let its resync finish first ('mirvolctl resync VOL'), a repair would not reach it"),
};

#undef R

struct mv_name mv_reason_name(unsigned int reason)
{
	struct mv_name n;

	if (reason < MIRVOL_R_MAX && reasons[reason].name)
		snprintf(n.s, sizeof(n.s), "%s", reasons[reason].name);
	else
		snprintf(n.s, sizeof(n.s), "REASON_%u", reason);
	return n;
}

const char *mv_reason_text(unsigned int reason)
{
	if (reason < MIRVOL_R_MAX && reasons[reason].text)
		return reasons[reason].text;
	return "unknown reason";
}

/* The reason a failed system call stands for when nobody gave one. */
unsigned int mv_errno_reason(int errnum)
{
	switch (errnum) {
	case ENOTTY:
	case EOPNOTSUPP:
	case ENOSYS:
		return MIRVOL_R_NOT_SUPPORTED;
	case EPERM:
	case EACCES:
	case EROFS:
		return MIRVOL_R_ACCESS_DENIED;
	case ENOMEM:
		return MIRVOL_R_NO_MEMORY;
	case EBUSY:
		return MIRVOL_R_DEVICE_BUSY;
	case EIO:
		return MIRVOL_R_IO_ERROR;
	case ETIMEDOUT:
		return MIRVOL_R_TIMEOUT;
	case EINTR:
		return MIRVOL_R_INTERRUPTED;
	default:
		return MIRVOL_R_INVALID_ARGUMENT;
	}
}

/* ---- error lines -------------------------------------------------- */

static void verr(unsigned int reason, const char *fmt, va_list ap)
{
	fflush(stdout);
	fprintf(stderr, "mirvolctl: %s: ", mv_cmd ? mv_cmd->name : "error");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, " (%s)\n", mv_reason_name(reason).s);
}

/**
 * mv_err - print the error line "mirvolctl: CMD: MESSAGE (REASON)"
 * @reason: enum mirvol_reason
 * @fmt: the message
 */
void mv_err(unsigned int reason, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verr(reason, fmt, ap);
	va_end(ap);
}

/* "CONTEXT: strerror(errnum) (REASON)" */
void mv_err_errno(unsigned int reason, int errnum, const char *fmt, ...)
{
	char ctx[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ctx, sizeof(ctx), fmt, ap);
	va_end(ap);
	mv_err(reason, "%s%s%s", ctx, *ctx ? ": " : "", strerror(errnum));
}

/* "CONTEXT: <text of the reason> (REASON)" */
void mv_err_reason(unsigned int reason, const char *fmt, ...)
{
	char ctx[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ctx, sizeof(ctx), fmt, ap);
	va_end(ap);
	mv_err(reason, "%s%s%s", ctx, *ctx ? ": " : "",
	       mv_reason_text(reason));
}

/* An informational line on stderr that is not an error. */
void mv_warn(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "mirvolctl: %s: ", mv_cmd ? mv_cmd->name : "note");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* ---- names of states and types ---------------------------------- */

/* The shared name of @value (mirvol_names.c), or "unknown-N". */
static struct mv_name enum_name(const char *name, u32 value)
{
	struct mv_name r;

	if (name)
		snprintf(r.s, sizeof(r.s), "%s", name);
	else
		snprintf(r.s, sizeof(r.s), "unknown-%u", value);
	return r;
}

struct mv_name mv_vol_state_name(u32 state)
{
	return enum_name(mirvol_volume_state_str(state), state);
}

struct mv_name mv_plex_state_name(u32 state)
{
	return enum_name(mirvol_plex_state_str(state), state);
}

struct mv_name mv_op_type_name(u32 type)
{
	return enum_name(mirvol_op_type_str(type), type);
}

struct mv_name mv_op_state_name(u32 state)
{
	return enum_name(mirvol_op_state_str(state), state);
}

/*
 * A plex's flags other than boot (which has a column of its own), e.g.
 * "last-in-sync,bitmap-sync", or "-" when there are none; unknown bits as
 * "0x..." at the end.
 */
void mv_plex_flags_str(u32 flags, char *buf, size_t len)
{
	static const struct {
		u32 bit;
		const char *name;
	} names[] = {
		{ MIRVOL_PLEX_F_LAST_IN_SYNC, "last-in-sync" },
		{ MIRVOL_PLEX_F_BITMAP_SYNC, "bitmap-sync" },
		{ MIRVOL_PLEX_F_WRITE_MOSTLY, "write-mostly" },
	};
	size_t i, n = 0;

	buf[0] = '\0';
	flags &= ~MIRVOL_PLEX_F_BOOT;
	for (i = 0; i < ARRAY_SIZE(names) && n < len; i++) {
		if (!(flags & names[i].bit))
			continue;
		n += (size_t)snprintf(buf + n, len - n, "%s%s", n ? "," : "",
				      names[i].name);
		flags &= ~names[i].bit;
	}
	if (flags && n < len)
		n += (size_t)snprintf(buf + n, len - n, "%s0x%x", n ? "," : "",
				      flags);
	if (!n)
		snprintf(buf, len, "-");
}

/* ---- UUIDs ------------------------------------------------------- */

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/**
 * mv_uuid_parse - parse a canonical UUID, 8-4-4-4-12 hex digits
 * @s: the string (either case)
 * @uuid: the 16 bytes, written only on success
 *
 * Return: 0, or -1 when @s is not exactly a canonical UUID.
 */
int mv_uuid_parse(const char *s, u8 uuid[MIRVOL_UUID_LEN])
{
	u8 tmp[MIRVOL_UUID_LEN];
	size_t i, b = 0;

	if (strlen(s) != MV_UUID_STR_LEN - 1)
		return -1;
	for (i = 0; i < MV_UUID_STR_LEN - 1; ) {
		int hi, lo;

		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i++] != '-')
				return -1;
			continue;
		}
		hi = hexval((unsigned char)s[i]);
		lo = hexval((unsigned char)s[i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		tmp[b++] = (u8)(hi << 4 | lo);
		i += 2;
	}
	memcpy(uuid, tmp, sizeof(tmp));
	return 0;
}

void mv_uuid_format(const u8 uuid[MIRVOL_UUID_LEN], char out[MV_UUID_STR_LEN])
{
	snprintf(out, MV_UUID_STR_LEN,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 uuid[0], uuid[1], uuid[2], uuid[3], uuid[4], uuid[5],
		 uuid[6], uuid[7], uuid[8], uuid[9], uuid[10], uuid[11],
		 uuid[12], uuid[13], uuid[14], uuid[15]);
}

bool mv_uuid_is_zero(const u8 uuid[MIRVOL_UUID_LEN])
{
	size_t i;

	for (i = 0; i < MIRVOL_UUID_LEN; i++)
		if (uuid[i])
			return false;
	return true;
}

/* ---- numbers ------------------------------------------------------ */

/* A decimal u64: digits only, no sign, no blanks, no overflow. */
int mv_parse_u64(const char *s, u64 *val)
{
	u64 v = 0;

	if (!*s)
		return -1;
	for (; *s; s++) {
		unsigned int d;

		if (*s < '0' || *s > '9')
			return -1;
		d = (unsigned int)(*s - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*val = v;
	return 0;
}

/* A non-negative number of seconds, fractions allowed ("2", "0.5"). */
int mv_parse_seconds(const char *s, double *val)
{
	char *end;
	double v;

	if (!*s || isspace((unsigned char)*s) || *s == '-' || *s == '+')
		return -1;
	errno = 0;
	v = strtod(s, &end);
	if (errno || *end || !isfinite(v) || v < 0 || v > 1e9)
		return -1;
	*val = v;
	return 0;
}

/**
 * mv_parse_size - a size in bytes: digits and an optional binary suffix
 * @s: e.g. "65536", "64K", "1M", "2GiB" (K, M, G, T in either case,
 *	optionally followed by "iB" or "B")
 * @val: the bytes, written only on success
 *
 * Return: 0, or -1 when @s is not such a size or it overflows.
 */
int mv_parse_size(const char *s, u64 *val)
{
	static const char units[] = "KMGT";
	char digits[32];
	const char *u;
	size_t n = strspn(s, "0123456789");
	unsigned int shift = 0;
	u64 v;

	if (!n || n >= sizeof(digits))
		return -1;
	memcpy(digits, s, n);
	digits[n] = '\0';
	if (mv_parse_u64(digits, &v))
		return -1;
	s += n;
	if (*s) {
		u = strchr(units, toupper((unsigned char)*s));
		if (!u)
			return -1;
		shift = 10 * (unsigned int)(u - units + 1);
		s++;
		if (!strcmp(s, "iB") || !strcmp(s, "B"))
			s += strlen(s);
		if (*s)
			return -1;
	}
	if (v > (UINT64_MAX >> shift))
		return -1;
	*val = v << shift;
	return 0;
}

/*
 * A write-intent bitmap region size as the kernel takes it: a power of
 * two from MIRVOL_BITMAP_MIN_REGION up to MV_BITMAP_MAX_REGION, the
 * largest whose sectors fit the superblock's 32-bit bitmap_region.
 * Whether the volume's regions then fit MIRVOL_BITMAP_MAX_REGIONS depends
 * on its size: the kernel decides.
 */
bool mv_region_size_valid(u64 bytes)
{
	return bytes >= MIRVOL_BITMAP_MIN_REGION &&
	       bytes <= MV_BITMAP_MAX_REGION && !(bytes & (bytes - 1));
}

/*
 * A resync speed limit in KiB/s: decimal below 2^32, or "default" for
 * the module's default (0).
 */
int mv_parse_speed(const char *s, u32 *kib)
{
	u64 v;

	if (!strcmp(s, "default")) {
		*kib = 0;
		return 0;
	}
	if (mv_parse_u64(s, &v) || v > UINT32_MAX)
		return -1;
	*kib = (u32)v;
	return 0;
}

/*
 * "mirvolN" or "/dev/mirvolN": the index N.  N is decimal without
 * leading zeros (the kernel's names), below 2^32 - 1.
 */
int mv_parse_volume_node(const char *s, u32 *index)
{
	u64 v;

	if (!strncmp(s, "/dev/", 5))
		s += 5;
	if (strncmp(s, "mirvol", 6))
		return -1;
	s += 6;
	if ((s[0] == '0' && s[1]) || mv_parse_u64(s, &v) || v >= UINT32_MAX)
		return -1;
	*index = (u32)v;
	return 0;
}

/* 1536 -> "1.5K", 67108864 -> "64.0M"; below 1 KiB: "512B". */
void mv_human_size(u64 bytes, char *buf, size_t len)
{
	static const char units[] = "KMGTPE";
	double v = (double)bytes;
	int u = -1;

	if (bytes < 1024) {
		snprintf(buf, len, "%uB", (unsigned int)bytes);
		return;
	}
	while (v >= 1024 && u < (int)sizeof(units) - 2) {
		v /= 1024;
		u++;
	}
	/* Round as printf would, then step up if that reached 1024. */
	if (v >= 1023.95 && u < (int)sizeof(units) - 2) {
		v /= 1024;
		u++;
	}
	snprintf(buf, len, "%.1f%c", v, units[u]);
}

/* 100 * part / whole, rounded down, without overflow; 0 when whole is 0. */
unsigned int mv_percent(u64 part, u64 whole)
{
	unsigned __int128 p;

	if (!whole)
		return 0;
	if (part >= whole)
		return 100;
	p = (unsigned __int128)part * 100 / whole;
	return (unsigned int)p;
}

/* ---- devices and time --------------------------------------------- */

/**
 * mv_sysfs_devnum - read a sysfs "dev" file ("MAJOR:MINOR")
 * @path: the file
 * @major: @minor: the numbers
 *
 * Return: 0, or -1 when it cannot be read or parsed.
 */
int mv_sysfs_devnum(const char *path, unsigned int *major, unsigned int *minor)
{
	FILE *f = fopen(path, "re");
	int n;

	if (!f)
		return -1;
	n = fscanf(f, "%u:%u", major, minor);
	fclose(f);
	return n == 2 ? 0 : -1;
}

/**
 * mv_blkdev_path - the /dev path of a block device number
 * @major: major number
 * @minor: minor number
 * @buf: receives "/dev/DEVNAME" from sysfs, or "/dev/block/M:m" when sysfs
 *	does not know the device
 * @len: size of @buf
 *
 * Return: 0 when sysfs named the device, -1 when the fallback was used.
 */
int mv_blkdev_path(u32 major, u32 minor, char *buf, size_t len)
{
	char path[64], line[256];
	int ret = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/uevent", major,
		 minor);
	f = fopen(path, "re");
	if (f) {
		while (fgets(line, sizeof(line), f)) {
			if (strncmp(line, "DEVNAME=", 8))
				continue;
			line[strcspn(line, "\n")] = '\0';
			if (line[8]) {
				snprintf(buf, len, "/dev/%s", line + 8);
				ret = 0;
			}
			break;
		}
		fclose(f);
	}
	if (ret)
		snprintf(buf, len, "/dev/block/%u:%u", major, minor);
	return ret;
}

/* The whole disk of a block device: itself, or a partition's parent. */
static void mv_whole_disk(unsigned int *maj, unsigned int *min)
{
	char path[96];

	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/partition", *maj,
		 *min);
	if (access(path, F_OK))
		return;
	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/../dev", *maj,
		 *min);
	mv_sysfs_devnum(path, maj, min);
}

/* A loop device's backing file's device (the file's, or the node's). */
static int mv_loop_backing(unsigned int maj, unsigned int min,
			   unsigned int *bmajor, unsigned int *bminor)
{
	char path[96], file[PATH_MAX];
	struct stat st;
	FILE *f;
	int ok;

	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/loop/backing_file",
		 maj, min);
	f = fopen(path, "re");
	if (!f)
		return -1;
	ok = fgets(file, sizeof(file), f) != NULL;
	fclose(f);
	if (!ok)
		return -1;
	file[strcspn(file, "\n")] = '\0';
	/* " (deleted)": the file is gone, it cannot be the volume's node. */
	if (stat(file, &st))
		return -1;
	*bmajor = major(S_ISBLK(st.st_mode) ? st.st_rdev : st.st_dev);
	*bminor = minor(S_ISBLK(st.st_mode) ? st.st_rdev : st.st_dev);
	return 0;
}

/**
 * mv_stacked_on - does a block device sit on a disk
 * @maj: @min: the device
 * @dmajor: @dminor: the disk (a volume's /dev/mirvolN)
 * @depth: recursion depth so far (0)
 *
 * Follows what the device is built on, as sysfs tells it: the "slaves"
 * of dm and md devices, and loop devices' backing files (a node, or a
 * file on a file system on the disk or one of its partitions), whose
 * stacking the kernel cannot see.
 *
 * Return: true when the device is the disk, a partition of it, or built
 * on it at any depth.
 */
bool mv_stacked_on(unsigned int maj, unsigned int min,
		   unsigned int dmajor, unsigned int dminor, int depth)
{
	unsigned int smajor, sminor;
	char path[PATH_MAX];
	struct dirent *e;
	bool found = false;
	DIR *d;

	mv_whole_disk(&maj, &min);
	if (maj == dmajor && min == dminor)
		return true;
	if (depth >= 16)
		return false;
	if (!mv_loop_backing(maj, min, &smajor, &sminor) &&
	    mv_stacked_on(smajor, sminor, dmajor, dminor, depth + 1))
		return true;
	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/slaves", maj,
		 min);
	d = opendir(path);
	if (!d)
		return false;
	while (!found && (e = readdir(d))) {
		char dev[PATH_MAX + 300];

		if (e->d_name[0] == '.')
			continue;
		snprintf(dev, sizeof(dev), "%s/%s/dev", path, e->d_name);
		if (!mv_sysfs_devnum(dev, &smajor, &sminor))
			found = mv_stacked_on(smajor, sminor, dmajor, dminor,
					      depth + 1);
	}
	closedir(d);
	return found;
}

/* Seconds on the monotonic clock. */
double mv_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
