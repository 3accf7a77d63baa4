// SPDX-License-Identifier: GPL-2.0
/*
 * mirvolctl: turning VOL and PLEX arguments into volumes and plexes.
 *
 * VOL, tried in this order against every volume (LIST + INFO):
 *   a canonical UUID                 the volume's UUID
 *   a path (contains '/')            stat(); a block device matches the
 *                                    volume with that dev_t; a path that
 *                                    does not exist falls back to the
 *                                    name in /dev/mirvol/NAME or the N of
 *                                    /dev/mirvolN
 *   anything else                    the volume's name, then "mirvolN"
 *
 * PLEX, within one volume:
 *   a canonical UUID                 the plex's UUID
 *   decimal digits                   the plex's slot (its index)
 *   anything else                    a path: stat(), matched on dev_t
 *
 * Copyright (C) 2026 The mirvol authors
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "mirvolctl.h"

#define BYNAME_DIR	"/dev/mirvol/"
#define NO_INDEX	0xffffffffU

/**
 * vols_load - every volume's INFO
 * @fd: the control device
 * @vols: receives the volumes, in creation order; vols_free() them
 *
 * Volumes that disappear between LIST and INFO are left out.
 *
 * Return: 0 or -1 (printed).
 */
int vols_load(int fd, struct mv_vols *vols)
{
	u8 (*uuids)[MIRVOL_UUID_LEN] = NULL;
	struct mv_status st;
	size_t n, i;

	vols->n = 0;
	vols->v = NULL;
	if (ctl_list(fd, &uuids, &n))
		return -1;
	if (!n)
		return 0;
	vols->v = calloc(n, sizeof(*vols->v));
	if (!vols->v) {
		free(uuids);
		mv_err_errno(MIRVOL_R_NO_MEMORY, ENOMEM, "listing volumes");
		return -1;
	}
	for (i = 0; i < n; i++) {
		struct mirvol_info *info = &vols->v[vols->n];
		char us[MV_UUID_STR_LEN];

		if (!ctl_info(fd, uuids[i], info, &st)) {
			vols->n++;
			continue;
		}
		if (st.reason == MIRVOL_R_OBJECT_NOT_FOUND)
			continue;
		mv_uuid_format(uuids[i], us);
		ctl_report(&st, "volume %s", us);
		free(uuids);
		vols_free(vols);
		return -1;
	}
	free(uuids);
	return 0;
}

void vols_free(struct mv_vols *vols)
{
	free(vols->v);
	vols->v = NULL;
	vols->n = 0;
}

static bool vol_has_dev(const struct mirvol_info *info, dev_t dev)
{
	return (info->dev_major || info->dev_minor) &&
	       info->dev_major == major(dev) && info->dev_minor == minor(dev);
}

static int find_by_name(const struct mv_vols *vols, const char *name)
{
	size_t i;

	for (i = 0; i < vols->n; i++)
		if (!strncmp(vols->v[i].name, name, MIRVOL_NAME_LEN))
			return (int)i;
	return -1;
}

static int find_by_index(const struct mv_vols *vols, const char *arg)
{
	u32 index;
	size_t i;

	if (mv_parse_volume_node(arg, &index))
		return -1;
	for (i = 0; i < vols->n; i++)
		if (vol_has_device(&vols->v[i]) && vols->v[i].index == index)
			return (int)i;
	return -1;
}

static int find_by_path(const struct mv_vols *vols, const char *arg)
{
	struct stat sb;
	size_t i;

	if (!stat(arg, &sb)) {
		if (!S_ISBLK(sb.st_mode))
			return -1;
		for (i = 0; i < vols->n; i++)
			if (vol_has_dev(&vols->v[i], sb.st_rdev))
				return (int)i;
		return -1;
	}
	/* No such node (no udev?): fall back to what the path says. */
	if (!strncmp(arg, BYNAME_DIR, strlen(BYNAME_DIR)))
		return find_by_name(vols, arg + strlen(BYNAME_DIR));
	if (!strncmp(arg, "/dev/mirvol", 11))
		return find_by_index(vols, arg);
	return -1;
}

/**
 * vols_match - find the volume VOL names
 * @vols: from vols_load()
 * @arg: VOL
 *
 * Return: its position in @vols, or -1.
 */
int vols_match(const struct mv_vols *vols, const char *arg)
{
	u8 uuid[MIRVOL_UUID_LEN];
	size_t i;
	int r;

	if (!mv_uuid_parse(arg, uuid)) {
		for (i = 0; i < vols->n; i++)
			if (!memcmp(vols->v[i].volume_uuid, uuid,
				    MIRVOL_UUID_LEN))
				return (int)i;
	}
	if (strchr(arg, '/'))
		return find_by_path(vols, arg);
	r = find_by_name(vols, arg);
	if (r < 0)
		r = find_by_index(vols, arg);
	return r;
}

/**
 * resolve_vol - the INFO of the volume VOL names
 * @fd: the control device
 * @arg: VOL
 * @info: receives the volume
 *
 * Return: 0 or -1 (printed; OBJECT_NOT_FOUND when no volume matches).
 */
int resolve_vol(int fd, const char *arg, struct mirvol_info *info)
{
	struct mv_vols vols;
	int i;

	if (vols_load(fd, &vols))
		return -1;
	i = vols_match(&vols, arg);
	if (i >= 0)
		*info = vols.v[i];
	vols_free(&vols);
	if (i < 0) {
		mv_err(MIRVOL_R_OBJECT_NOT_FOUND, "%s: no such volume", arg);
		return -1;
	}
	return 0;
}

/* INFO by UUID.  Return: 0 or -1 (printed). */
int resolve_vol_uuid(int fd, const u8 uuid[MIRVOL_UUID_LEN],
		     struct mirvol_info *info)
{
	char us[MV_UUID_STR_LEN];
	struct mv_status st;

	if (!ctl_info(fd, uuid, info, &st))
		return 0;
	mv_uuid_format(uuid, us);
	ctl_report(&st, "volume %s", us);
	return -1;
}

/**
 * plex_match - find the plex PLEX names in a volume
 * @info: the volume
 * @arg: PLEX
 *
 * Return: its position in @info->plexes, -1 when none matches, or -2 when
 * @arg is a path that cannot be stat()ed (errno set).
 */
int plex_match(const struct mirvol_info *info, const char *arg)
{
	u32 n = info->nr_plexes < MIRVOL_MAX_PLEXES ?
		info->nr_plexes : MIRVOL_MAX_PLEXES;
	u8 uuid[MIRVOL_UUID_LEN];
	struct stat sb;
	u64 index;
	u32 i;

	if (!mv_uuid_parse(arg, uuid)) {
		for (i = 0; i < n; i++)
			if (!memcmp(info->plexes[i].uuid, uuid,
				    MIRVOL_UUID_LEN))
				return (int)i;
		return -1;
	}
	if (!mv_parse_u64(arg, &index)) {
		for (i = 0; i < n; i++)
			if (info->plexes[i].index == index)
				return (int)i;
		return -1;
	}
	if (stat(arg, &sb))
		return -2;
	if (!S_ISBLK(sb.st_mode))
		return -1;
	for (i = 0; i < n; i++) {
		const struct mirvol_plex_info *p = &info->plexes[i];

		if ((p->dev_major || p->dev_minor) &&
		    p->dev_major == major(sb.st_rdev) &&
		    p->dev_minor == minor(sb.st_rdev))
			return (int)i;
	}
	return -1;
}

/* plex_match(), printing OBJECT_NOT_FOUND when nothing matches. */
int resolve_plex(const struct mirvol_info *info, const char *arg)
{
	int i = plex_match(info, arg);

	if (i == -2)
		mv_err(MIRVOL_R_OBJECT_NOT_FOUND, "%s: no such plex in %s: %s",
		       arg, info->name, strerror(errno));
	else if (i < 0)
		mv_err(MIRVOL_R_OBJECT_NOT_FOUND, "%s: no such plex in %s",
		       arg, info->name);
	return i < 0 ? -1 : i;
}

/* Whether the volume has a block device (it is not offline). */
bool vol_has_device(const struct mirvol_info *info)
{
	return (info->dev_major || info->dev_minor) &&
	       info->state != MIRVOL_VOLUME_OFFLINE;
}

/*
 * A volume waiting in assembly (offline, not started): its plexes are the
 * members it holds and, missing, those the newest of them expects.
 */
bool vol_waiting(const struct mirvol_info *info)
{
	return info->state == MIRVOL_VOLUME_OFFLINE && !vol_has_device(info);
}

/* The volume's block device, e.g. "/dev/mirvol0"; "" when it has none. */
void vol_device(const struct mirvol_info *info, char *buf, size_t len)
{
	if (!vol_has_device(info)) {
		snprintf(buf, len, "%s", "");
		return;
	}
	if (mv_blkdev_path(info->dev_major, info->dev_minor, buf, len) &&
	    info->index != NO_INDEX)
		snprintf(buf, len, "/dev/mirvol%u", info->index);
}

/**
 * holder_of - describe who holds a busy device
 * @fd: the control device
 * @dev: the device number
 * @buf: receives e.g. "plex 1 of volume data (offline)"
 * @len: size of @buf
 *
 * Return: true when a volume has the device as a plex.
 */
bool holder_of(int fd, dev_t dev, char *buf, size_t len)
{
	struct mv_vols vols;
	bool found = false;
	size_t i, k;

	if (vols_load(fd, &vols))
		return false;
	for (i = 0; i < vols.n && !found; i++) {
		const struct mirvol_info *info = &vols.v[i];

		for (k = 0; k < info->nr_plexes; k++) {
			const struct mirvol_plex_info *p = &info->plexes[k];

			if ((p->dev_major || p->dev_minor) &&
			    p->dev_major == major(dev) &&
			    p->dev_minor == minor(dev)) {
				snprintf(buf, len, "plex %u of volume %s (%s)",
					 p->index, info->name,
					 mv_vol_state_name(info->state).s);
				found = true;
				break;
			}
		}
	}
	vols_free(&vols);
	return found;
}

/* The kernel objects stacked on @dev (sysfs holders), e.g. "dm-0". */
static bool sysfs_holders(dev_t dev, char *buf, size_t len)
{
	char path[128];
	struct dirent *de;
	size_t used = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/holders",
		 major(dev), minor(dev));
	d = opendir(path);
	if (!d)
		return false;
	*buf = '\0';
	while ((de = readdir(d)) && used + 2 < len) {
		int n;

		if (de->d_name[0] == '.')
			continue;
		n = snprintf(buf + used, len - used, "%s%s",
			     used ? ", " : "", de->d_name);
		if (n < 0)
			break;
		used += (size_t)n;
	}
	closedir(d);
	return used > 0;
}

/**
 * who_holds - describe who holds the busy device @path
 * @path: a device someone opened exclusively
 * @buf: receives e.g. "plex 1 of volume data (offline)" or "dm-0"
 * @len: size of @buf
 *
 * The volumes are asked only when the module is loaded (this never loads
 * it).
 *
 * Return: MV_HOLDER_VOLUME (a volume's plex), MV_HOLDER_SYSFS (the kernel
 * objects stacked on it), or MV_HOLDER_UNKNOWN (@buf "").
 */
enum mv_holder who_holds(const char *path, char *buf, size_t len)
{
	struct stat sb;
	int ctl;

	*buf = '\0';
	if (stat(path, &sb) || !S_ISBLK(sb.st_mode))
		return MV_HOLDER_UNKNOWN;
	if (ctl_present()) {
		ctl = ctl_open();
		if (ctl >= 0) {
			bool found = holder_of(ctl, sb.st_rdev, buf, len);

			ctl_close(ctl);
			if (found)
				return MV_HOLDER_VOLUME;
		}
	}
	if (sysfs_holders(sb.st_rdev, buf, len))
		return MV_HOLDER_SYSFS;
	*buf = '\0';
	return MV_HOLDER_UNKNOWN;
}
