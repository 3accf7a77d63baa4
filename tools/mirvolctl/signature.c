// SPDX-License-Identifier: GPL-2.0
/*
 * mirvolctl: refuse devices that hold something (create, add-plex).
 *
 * libblkid probes a device for file systems, RAID and LVM members,
 * encrypted volumes, swap and partition tables, as wipefs does; create
 * and add-plex refuse a device where it finds one unless --force, since
 * the new plex's metadata and resync overwrite it.  A mirvol superblock
 * is no libblkid type (udev learns it from "mirvolctl examine --export"):
 * a former member is left to the kernel, as before.
 *
 * Copyright (C) 2026 The mirvol authors
 */
#include <stdio.h>
#include <string.h>
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
	struct stat st;
	int r;

	if (fstat(fd, &st) || (!S_ISBLK(st.st_mode) && !S_ISREG(st.st_mode)))
		return 0;
	pr = blkid_new_probe();
	if (!pr) {
		mv_err(MIRVOL_R_NO_MEMORY, "%s: probing for signatures", path);
		return -1;
	}
	if (blkid_probe_set_device(pr, fd, 0, 0)) {
		blkid_free_probe(pr);
		mv_err(MIRVOL_R_IO_ERROR,
		       "%s: cannot probe it for signatures; --force to use it anyway",
		       path);
		return -1;
	}
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
