// SPDX-License-Identifier: GPL-2.0
/*
 * mirvolctl: refuse devices that hold something (create, add-plex), or
 * wipe what they hold (--force).
 *
 * libblkid probes a device for file systems, RAID and LVM members,
 * encrypted volumes, swap and partition tables, as wipefs does; create
 * and add-plex refuse a device where it finds one unless --force, since
 * the new plex's metadata and resync overwrite it.  With --force they
 * erase every signature libblkid finds, as wipefs -a does: the kernel
 * rewrites only the first 12 KiB of a member, and a signature it leaves
 * (md's 1.0 superblock 8 KiB before the end, a GPT backup header, a
 * file system's backup superblock) would make udev hand the member to
 * md, LVM or a mounter at the next boot.  A mirvol superblock is no
 * libblkid type (udev learns it from "mirvolctl examine --export"): a
 * former member is left to the kernel, as before.
 *
 * Copyright (C) 2026 The mirvol authors
 */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <blkid/blkid.h>

#include "mirvolctl.h"

/* A probed value, or NULL. */
static const char *value(blkid_probe pr, const char *name)
{
	const char *v = NULL;

	if (blkid_probe_lookup_value(pr, name, &v, NULL))
		return NULL;
	return v && *v ? v : NULL;
}

/* "an ext4 file system", "a gpt partition table", ... */
static void describe(blkid_probe pr, char *buf, size_t len)
{
	const char *type = value(pr, "TYPE"), *usage = value(pr, "USAGE");
	const char *pttype = value(pr, "PTTYPE");
	const char *uuid = value(pr, "UUID"), *label = value(pr, "LABEL");
	size_t n;

	if (!type && pttype) {
		snprintf(buf, len, "a %s partition table", pttype);
		uuid = value(pr, "PTUUID");
		label = NULL;
	} else if (!type) {
		snprintf(buf, len, "an unknown signature");
	} else if (usage && !strcmp(usage, "filesystem")) {
		snprintf(buf, len, "%s %s file system",
			 strchr("aeiou", type[0]) ? "an" : "a", type);
	} else if (usage && !strcmp(usage, "raid")) {
		snprintf(buf, len, "a %s signature (a RAID or LVM member)",
			 type);
	} else if (usage && !strcmp(usage, "crypto")) {
		snprintf(buf, len, "a %s signature (encrypted data)", type);
	} else {
		snprintf(buf, len, "a %s signature", type);
	}
	n = strlen(buf);
	if (uuid && label)
		snprintf(buf + n, len - n, " (UUID %s, label %s)", uuid, label);
	else if (uuid)
		snprintf(buf + n, len - n, " (UUID %s)", uuid);
	else if (label)
		snprintf(buf + n, len - n, " (label %s)", label);
}

/*
 * A probe of @fd, or NULL: nothing to probe (neither a block device nor
 * a file: *@err 0) or an error, printed (*@err -1; @hint ends the
 * message of a device that cannot be probed).
 */
static blkid_probe probe_open(int fd, const char *path, const char *hint,
			      int *err)
{
	blkid_probe pr;
	struct stat st;

	*err = 0;
	if (fstat(fd, &st) || (!S_ISBLK(st.st_mode) && !S_ISREG(st.st_mode)))
		return NULL;
	*err = -1;
	pr = blkid_new_probe();
	if (!pr) {
		mv_err(MIRVOL_R_NO_MEMORY, "%s: probing for signatures", path);
		return NULL;
	}
	if (blkid_probe_set_device(pr, fd, 0, 0)) {
		blkid_free_probe(pr);
		mv_err(MIRVOL_R_IO_ERROR, "%s: cannot probe it for signatures%s",
		       path, hint);
		return NULL;
	}
	*err = 0;
	return pr;
}

/**
 * refuse_signatures - refuse a device holding data others know
 * @fd: the device, open
 * @path: its name, for the message
 *
 * Neither a block device nor a file (the kernel refuses it): nothing
 * to probe.
 *
 * Return: 0 when libblkid finds nothing, else -1 (printed:
 * INVALID_OPERATION for a signature, IO_ERROR when the probe fails).
 */
int refuse_signatures(int fd, const char *path)
{
	char what[400];
	blkid_probe pr;
	int r;

	pr = probe_open(fd, path, "; --force to use it anyway", &r);
	if (!pr)
		return r;
	blkid_probe_enable_superblocks(pr, 1);
	blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_TYPE |
					  BLKID_SUBLKS_USAGE |
					  BLKID_SUBLKS_UUID |
					  BLKID_SUBLKS_LABEL);
	blkid_probe_enable_partitions(pr, 1);
	blkid_probe_set_partitions_flags(pr, BLKID_PARTS_MAGIC);
	r = blkid_do_safeprobe(pr);
	if (r == 1) {
		blkid_free_probe(pr);
		return 0;
	}
	if (r == 0) {
		describe(pr, what, sizeof(what));
		mv_err(MIRVOL_R_INVALID_OPERATION,
		       "%s holds %s; --force to use it anyway", path, what);
	} else if (r == -2) {
		mv_err(MIRVOL_R_INVALID_OPERATION,
		       "%s holds signatures of more than one kind (see wipefs %s); --force to use it anyway",
		       path, path);
	} else {
		mv_err(MIRVOL_R_IO_ERROR,
		       "%s: probing it for signatures failed; --force to use it anyway",
		       path);
	}
	blkid_free_probe(pr);
	return -1;
}

/* The metadata reserve create and add-plex --force zero: 0 to 1 MiB. */
#define WIPE_RESERVE	(1024 * 1024)

/**
 * wipe_open - open a device for wipe_signatures()
 * @path: the device
 *
 * A block device is opened O_EXCL: one that is mounted, an md or LVM
 * member in use or a running volume's plex is refused, and nothing on
 * it is touched.  The caller closes the fd before the kernel gets the
 * device.
 *
 * Return: fd, or -1 (printed: DEVICE_BUSY when in use).
 */
static int wipe_open(const char *path)
{
	struct stat st;
	int fd, flags = O_RDWR | O_CLOEXEC;

	if (!stat(path, &st) && S_ISBLK(st.st_mode))
		flags |= O_EXCL;
	fd = open(path, flags);
	if (fd >= 0)
		return fd;
	if (errno == EBUSY)
		mv_err(MIRVOL_R_DEVICE_BUSY,
		       "%s is in use (mounted, or held by md, LVM or a volume): nothing wiped",
		       path);
	else
		mv_err_errno(mv_errno_reason(errno), errno, "%s", path);
	return -1;
}

/* Zero the metadata reserve's bytes from 0 to WIPE_RESERVE (or the end). */
static int zero_reserve(int fd, const char *path, off_t size)
{
	static const char zero[64 * 1024];
	off_t off, end = size < WIPE_RESERVE ? size : WIPE_RESERVE;

	for (off = 0; off < end; ) {
		size_t n = end - off < (off_t)sizeof(zero) ?
			   (size_t)(end - off) : sizeof(zero);
		ssize_t w = pwrite(fd, zero, n, off);

		if (w <= 0) {
			mv_err_errno(MIRVOL_R_IO_ERROR, w < 0 ? errno : EIO,
				     "%s: zeroing its metadata area", path);
			return -1;
		}
		off += w;
	}
	return 0;
}

/**
 * wipe_signatures - erase what libblkid finds on a device (--force)
 * @fd: from wipe_open()
 * @path: its name, for the messages
 *
 * Erases the magic of every file system, RAID, LVM, crypto and swap
 * signature and partition table libblkid finds, wherever on the device
 * it is, as wipefs -a does, and tells on stderr what it erased; then
 * zeroes the first MiB (the member's metadata and bitmap area) and
 * syncs.  Neither a block device nor a file: nothing to do.
 *
 * Return: 0, or -1 (printed: IO_ERROR).
 */
static int wipe_signatures(int fd, const char *path)
{
	char what[400];
	blkid_probe pr;
	off_t size;
	int r;

	pr = probe_open(fd, path, "", &r);
	if (!pr)
		return r;
	size = blkid_probe_get_size(pr);
	blkid_probe_enable_superblocks(pr, 1);
	blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_TYPE |
					  BLKID_SUBLKS_USAGE |
					  BLKID_SUBLKS_UUID |
					  BLKID_SUBLKS_LABEL |
					  BLKID_SUBLKS_MAGIC |
					  BLKID_SUBLKS_BADCSUM);
	blkid_probe_enable_partitions(pr, 1);
	blkid_probe_set_partitions_flags(pr, BLKID_PARTS_MAGIC |
					 BLKID_PARTS_FORCE_GPT);
	while (blkid_do_probe(pr) == 0) {
		const char *off = value(pr, "SBMAGIC_OFFSET");

		if (!off)
			off = value(pr, "PTMAGIC_OFFSET");
		describe(pr, what, sizeof(what));
		if (blkid_do_wipe(pr, 0)) {
			blkid_free_probe(pr);
			mv_err(MIRVOL_R_IO_ERROR, "%s: erasing %s failed",
			       path, what);
			return -1;
		}
		fprintf(stderr, "%s: erased %s at byte offset %s\n", path, what,
			off ? off : "?");
	}
	blkid_free_probe(pr);
	if (size > 0 && zero_reserve(fd, path, size))
		return -1;
	if (fsync(fd)) {
		mv_err_errno(MIRVOL_R_IO_ERROR, errno, "%s: syncing the wipe",
			     path);
		return -1;
	}
	return 0;
}

/* Is @path a block device one of @fds[0..n) already has open? */
static bool opened_already(const char *path, const int *fds, int n)
{
	struct stat st, o;
	int i;

	if (stat(path, &st) || !S_ISBLK(st.st_mode))
		return false;
	for (i = 0; i < n; i++)
		if (fds[i] >= 0 && !fstat(fds[i], &o) &&
		    S_ISBLK(o.st_mode) && o.st_rdev == st.st_rdev)
			return true;
	return false;
}

/**
 * wipe_devices - create's and add-plex's --force: wipe the devices
 * @paths: the devices
 * @n: how many, at most MIRVOL_MAX_PLEXES
 *
 * Opens them all first (wipe_open()), so that when one is in use none
 * is touched; then wipe_signatures() on each.  A device named twice is
 * wiped once (the kernel refuses the duplicate).
 *
 * Return: 0, or -1 (printed).
 */
int wipe_devices(const char *const *paths, int n)
{
	int fds[MIRVOL_MAX_PLEXES];
	int i, r = 0;

	for (i = 0; i < n; i++) {
		fds[i] = -1;
		if (opened_already(paths[i], fds, i))
			continue;
		fds[i] = wipe_open(paths[i]);
		if (fds[i] < 0) {
			r = -1;
			break;
		}
	}
	n = i;
	for (i = 0; i < n && !r; i++)
		if (fds[i] >= 0)
			r = wipe_signatures(fds[i], paths[i]);
	for (i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	return r;
}
