// SPDX-License-Identifier: GPL-2.0
/*
 * mirvolctl: wipe, erasing mirvol metadata from a former member.
 *
 * What is erased is the metadata area of the on-disk format
 * (<linux/mirvol.h>): both superblock slots (4 KiB .. 12 KiB), the
 * reserved space after them and the write-intent bitmap, up to 1 MiB.
 * The first 4 KiB and the data from MIRVOL_DATA_OFFSET on are left alone.
 *
 * The device is opened with O_EXCL: the kernel holds every member of a
 * running volume, and of one waiting in assembly, exclusively, so a
 * member in use can never be wiped (DEVICE_BUSY).
 *
 * Copyright (C) 2026 The mirvol authors
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mirvolctl.h"

#define WIPE_START	MIRVOL_SB_OFFSET
#define WIPE_END	MIRVOL_DATA_OFFSET

/* DEVICE_BUSY, naming who holds @path when we can tell. */
static void busy(const char *path)
{
	char who[300];

	switch (who_holds(path, who, sizeof(who))) {
	case MV_HOLDER_VOLUME:
		mv_err(MIRVOL_R_DEVICE_BUSY,
		       "%s is %s; stop or remove the volume, or remove the plex, first",
		       path, who);
		break;
	case MV_HOLDER_SYSFS:
		mv_err(MIRVOL_R_DEVICE_BUSY, "%s is held by %s", path, who);
		break;
	default:
		mv_err(MIRVOL_R_DEVICE_BUSY,
		       "%s is in use (mounted, or held by another driver)", path);
	}
}

static int zero_range(int fd, const char *path, u64 start, u64 end)
{
	static const u8 zeros[65536];
	u64 off = start;

	while (off < end) {
		size_t n = end - off < sizeof(zeros) ?
			   (size_t)(end - off) : sizeof(zeros);
		ssize_t w = pwrite(fd, zeros, n, (off_t)off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			mv_err_errno(w < 0 ? mv_errno_reason(errno) :
				     MIRVOL_R_IO_ERROR, w < 0 ? errno : EIO,
				     "%s: writing at offset %llu", path,
				     (unsigned long long)off);
			return -1;
		}
		off += (u64)w;
	}
	if (fsync(fd)) {
		mv_err_errno(mv_errno_reason(errno), errno, "%s: flushing",
			     path);
		return -1;
	}
	return 0;
}

int cmd_wipe(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "force", no_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct mv_member m;
	bool force = false;
	const char *path;
	struct stat sb;
	int c, r, fd, ret = MV_EXIT_FAIL;
	u64 end;

	optind = 0;
	while ((c = getopt_long(argc, argv, ":h", lo, NULL)) != -1) {
		if (c == 'F') {
			force = true;
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

	if (stat(path, &sb)) {
		mv_err_errno(mv_errno_reason(errno), errno, "%s", path);
		return MV_EXIT_FAIL;
	}
	if (!S_ISBLK(sb.st_mode) && !S_ISREG(sb.st_mode)) {
		mv_err(MIRVOL_R_NOT_BLOCK_DEVICE,
		       "%s: not a block device or image file", path);
		return MV_EXIT_FAIL;
	}
	fd = open(path, O_RDWR | O_EXCL | O_CLOEXEC);
	if (fd < 0) {
		if (errno == EBUSY)
			busy(path);
		else
			mv_err_errno(mv_errno_reason(errno), errno, "%s", path);
		return MV_EXIT_FAIL;
	}
	/* the module writes around the page cache: read what is on disk */
	posix_fadvise(fd, 0, WIPE_END, POSIX_FADV_DONTNEED);
	if (member_read(fd, path, &m, false))
		goto out;
	if (m.reason == MIRVOL_R_NOT_A_MEMBER && !force) {
		mv_err(MIRVOL_R_NOT_A_MEMBER,
		       "%s: no mirvol superblock; --force to erase the metadata area anyway",
		       path);
		goto out_free;
	}
	end = m.dev_bytes < WIPE_END ? m.dev_bytes : WIPE_END;
	if (end > WIPE_START && zero_range(fd, path, WIPE_START, end))
		goto out_free;
	ret = MV_EXIT_OK;
out_free:
	member_free(&m);
out:
	close(fd);
	return ret;
}
