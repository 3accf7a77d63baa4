// SPDX-License-Identifier: GPL-2.0
/*
 * mirvolctl: the commands that change volumes, and op and version.
 *
 * Each command parses its options, checks its arguments (usage errors
 * before any device or the module is touched), resolves VOL and PLEX,
 * issues one ioctl and prints its result.  Argument structs are zeroed
 * before use: the kernel rejects nonzero reserved fields.
 *
 * Copyright (C) 2026 The mirvol authors
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <linux/fs.h>

#include <sys/wait.h>
#include "mirvolctl.h"
#include "mirvol_sb_codec.h"

/* ---- helpers ---------------------------------------------------------- */

/* open() a device the kernel will get as an fd.  Return: fd or -1. */
int open_device(const char *path, int flags)
{
	int fd = open(path, flags | O_CLOEXEC);

	if (fd < 0)
		mv_err_errno(mv_errno_reason(errno), errno, "%s", path);
	return fd;
}

/* A volume name the kernel would accept.  Return: 0 or -1 (printed). */
int check_name(const char *name)
{
	if (mirvol_name_new_valid(name, strlen(name) + 1))
		return 0;
	if (mirvol_name_valid(name, strlen(name) + 1))
		mv_err(MIRVOL_R_INVALID_ARGUMENT,
		       "invalid name '%s': a name ending in -part and a number is a partition's (/dev/mirvol/NAME-partN)",
		       name);
	else
		mv_err(MIRVOL_R_INVALID_ARGUMENT,
		       "invalid name '%s': use 1 to %d characters of A-Z a-z 0-9 . _ -",
		       name, MIRVOL_NAME_LEN - 1);
	return -1;
}

static void copy_name(char dst[MIRVOL_NAME_LEN], const char *src)
{
	memset(dst, 0, MIRVOL_NAME_LEN);
	if (src)
		memcpy(dst, src, strnlen(src, MIRVOL_NAME_LEN - 1));
}

static void print_op_id(u64 id)
{
	printf("%" PRIu64 "\n", (uint64_t)id);
}

/* The device node of a volume by UUID, printed on stdout. */
static int print_volume_device(int fd, const u8 uuid[MIRVOL_UUID_LEN])
{
	struct mirvol_info info;
	char dev[300];

	if (resolve_vol_uuid(fd, uuid, &info))
		return MV_EXIT_FAIL;
	vol_device(&info, dev, sizeof(dev));
	if (*dev)
		printf("%s\n", dev);
	else
		mv_warn("volume %s has no block device (it is %s)", info.name,
			mv_vol_state_name(info.state).s);
	return MV_EXIT_OK;
}

/*
 * An asynchronous command's result: the op id, or with --wait the
 * operation's outcome; with --json the operation object (null for op 0).
 */
int async_result(int fd, u64 op_id, bool wait, bool json,
		 struct mirvol_op_info *info)
{
	memset(info, 0, sizeof(*info));
	if (json)
		return op_json_result(fd, op_id, wait);
	if (!wait) {
		print_op_id(op_id);
		return MV_EXIT_OK;
	}
	fflush(stdout);
	return op_wait_cmd(fd, op_id, info);
}

/* ---- option parsing ---------------------------------------------------- */

enum {
	OPT_NAME = 'n',
	OPT_ASSUME_CLEAN = 'a',
	OPT_WAIT = 'w',
	OPT_YES = 'y',
	OPT_JSON = 'j',
	OPT_TIMEOUT = 't',
	OPT_BOOT = 'b',
	OPT_NO_BOOT = 'B',
	OPT_FROM_VOLUME = 'f',
	OPT_HELP = 'h',
	OPT_BITMAP = 0x100,
	OPT_REGION_SIZE,
	OPT_TRACK_CHANGES,
	OPT_FORCE,
	OPT_WRITE_MOSTLY,
	OPT_NO_WRITE_MOSTLY,
};

#define OPT(n, a, v)	{ n, a, NULL, v }
#define OPT_END		{ NULL, 0, NULL, 0 }

struct opts {
	const char *name;
	const char *from_volume;
	const char *bitmap, *region_size;
	bool assume_clean, wait, yes, json, boot, no_boot;
	bool track_changes, merge, force;
	bool write_mostly, no_write_mostly;
	bool has_timeout;
	double timeout;
};

/*
 * Parse the options of the current command.  Return: -1 to go on, else
 * the exit status (help printed, or a usage error).
 */
static int parse_opts(int argc, char **argv, const char *shortopts,
		      const struct option *longopts, struct opts *o)
{
	int c, r;

	memset(o, 0, sizeof(*o));
	optind = 0;
	while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		switch (c) {
		case OPT_NAME:
			o->name = optarg;
			break;
		case OPT_ASSUME_CLEAN:
			o->assume_clean = true;
			break;
		case OPT_WAIT:
			o->wait = true;
			break;
		case OPT_YES:
			o->yes = true;
			break;
		case OPT_JSON:
			o->json = true;
			break;
		case OPT_BOOT:
			o->boot = true;
			break;
		case OPT_NO_BOOT:
			o->no_boot = true;
			break;
		case OPT_WRITE_MOSTLY:
			o->write_mostly = true;
			break;
		case OPT_NO_WRITE_MOSTLY:
			o->no_write_mostly = true;
			break;
		case OPT_FROM_VOLUME:
			o->from_volume = optarg;
			break;
		case OPT_BITMAP:
			o->bitmap = optarg;
			break;
		case OPT_REGION_SIZE:
			o->region_size = optarg;
			break;
		case OPT_TRACK_CHANGES:
			o->track_changes = true;
			break;
		case OPT_FORCE:
			o->force = true;
			break;
		case OPT_TIMEOUT:
			if (mv_parse_seconds(optarg, &o->timeout))
				return mv_usage("invalid --timeout '%s'",
						optarg);
			o->has_timeout = true;
			break;
		default:
			r = mv_common_opt(c, argv);
			if (r >= 0)
				return r;
		}
	}
	return -1;
}

/* Exactly @n positional arguments.  Return: -1 when so, else status. */
static int want_args(int argc, int n, char **argv, const char *what)
{
	if (argc - optind < n)
		return mv_usage("missing %s", what);
	if (argc - optind > n)
		return mv_usage("unexpected argument '%s'", argv[optind + n]);
	return -1;
}

/**
 * bitmap_opts - check --bitmap and --region-size (create, set)
 * @bitmap: the argument of --bitmap, or NULL
 * @region: the argument of --region-size, or NULL
 * @on: receives 1 for an internal bitmap (also without --bitmap), 0 none
 * @bytes: receives the region size in bytes, 0 for the kernel's default
 *
 * Return: -1 when they are valid, else the exit status (usage error).
 */
int bitmap_opts(const char *bitmap, const char *region, u32 *on, u64 *bytes)
{
	*on = 1;
	*bytes = 0;
	if (bitmap && !strcmp(bitmap, "none"))
		*on = 0;
	else if (bitmap && strcmp(bitmap, "internal"))
		return mv_usage("invalid --bitmap '%s': use none or internal",
				bitmap);
	if (!region)
		return -1;
	if (!*on)
		return mv_usage("--region-size needs an internal bitmap, not --bitmap none");
	if (mv_parse_size(region, bytes) || !mv_region_size_valid(*bytes))
		return mv_usage("invalid --region-size '%s': use a power of two from 64K to 1T",
				region);
	return -1;
}

/* ---- create ------------------------------------------------------------- */

static void close_fds(const int *fds, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

/*
 * The kernel's CREATE reasons do not say which device is to blame; when
 * the reason is about one device, find it after the fact (the tool itself
 * never filters devices: the kernel decides).  Return: @buf, or NULL.
 */
static const char *blame(unsigned int reason, const int *fds, int n,
			 char **devs, char *buf, size_t len)
{
	struct stat st[MIRVOL_MAX_PLEXES];
	u64 size, smallest = UINT64_MAX;
	int i, k, r = -1;

	for (i = 0; i < n; i++)
		if (fstat(fds[i], &st[i]))
			return NULL;
	for (i = 0; i < n; i++) {
		bool blk = S_ISBLK(st[i].st_mode);

		if (reason == MIRVOL_R_NOT_BLOCK_DEVICE && !blk) {
			snprintf(buf, len, "%s", devs[i]);
			return buf;
		}
		if (reason == MIRVOL_R_DUPLICATE_DEVICE) {
			for (k = i + 1; k < n; k++) {
				if (blk && S_ISBLK(st[k].st_mode) &&
				    st[i].st_rdev == st[k].st_rdev) {
					snprintf(buf, len, "%s and %s",
						 devs[i], devs[k]);
					return buf;
				}
			}
		}
		if (reason == MIRVOL_R_DEVICE_TOO_SMALL && blk &&
		    !ioctl(fds[i], BLKGETSIZE64, &size) && size < smallest) {
			smallest = size;
			r = i;
		}
	}
	if (r < 0)
		return NULL;
	snprintf(buf, len, "%s", devs[r]);
	return buf;
}

/*
 * The first of @fds that a mirvol volume holds (as a plex, or as a member
 * an offline volume waits with), described in @buf; -1 for none.
 */
static int held_by_volume(int ctl, const int *fds, int n, char *buf,
			  size_t len)
{
	struct stat sb;
	int i;

	for (i = 0; i < n; i++)
		if (fds[i] >= 0 && !fstat(fds[i], &sb) &&
		    S_ISBLK(sb.st_mode) && holder_of(ctl, sb.st_rdev, buf, len))
			return i;
	return -1;
}

/*
 * DEVICE_BUSY: name the device in use and, when a mirvol volume holds it
 * (an offline volume udev assembled from an old member, say), the volume.
 */
bool busy_report(int ctl, const struct mv_status *st, const int *fds, int n,
		 char **devs)
{
	char holder[300];
	struct stat sb;
	int i, fd;

	i = held_by_volume(ctl, fds, n, holder, sizeof(holder));
	if (i >= 0) {
		ctl_report(st, "%s is %s", devs[i], holder);
		return true;
	}
	for (i = 0; i < n; i++) {
		if (fstat(fds[i], &sb) || !S_ISBLK(sb.st_mode))
			continue;
		fd = open(devs[i], O_RDONLY | O_EXCL | O_CLOEXEC);
		if (fd < 0 && errno == EBUSY) {
			ctl_report(st, "%s is in use", devs[i]);
			return true;
		}
		if (fd >= 0)
			close(fd);
	}
	return false;
}

static void create_report(int ctl, const struct mv_status *st,
			  const struct opts *o, const int *fds, int n,
			  char **devs)
{
	const char *who;
	char buf[600];

	if (st->reason == MIRVOL_R_NAME_EXISTS) {
		ctl_report(st, "name '%s'", o->name ? o->name : "");
		return;
	}
	if (st->reason == MIRVOL_R_DEVICE_BUSY &&
	    busy_report(ctl, st, fds, n, devs))
		return;
	who = n == 1 ? devs[0] : blame(st->reason, fds, n, devs, buf,
					sizeof(buf));
	if (who)
		ctl_report(st, "%s", who);
	else
		ctl_report(st, "creating a volume over %d devices", n);
}

/*
 * udev probes a volume (blkid) after every uevent, holding it open for a
 * moment: let it finish, as mdadm --stop does.
 */
static void udev_settle(void)
{
	pid_t pid;

	if (access("/run/udev/control", F_OK))
		return;
	pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		if (null >= 0) {
			dup2(null, STDOUT_FILENO);
			dup2(null, STDERR_FILENO);
		}
		execlp("udevadm", "udevadm", "settle", "--timeout=5",
		       (char *)NULL);
		_exit(127);
	}
	if (pid > 0)
		waitpid(pid, NULL, 0);
}

/*
 * A device or volume that is busy for a moment (udev probing it, or
 * running "mirvolctl assemble --incremental" on a member) is worth a few
 * more tries; one busy for good (mounted, held) fails after them.
 */
bool busy_retry(const struct mv_status *st, int *tries)
{
	if (st->reason != MIRVOL_R_DEVICE_BUSY || ++*tries > 10)
		return false;
	udev_settle();
	usleep(200000);
	return true;
}

/*
 * busy_retry() for a request that names devices: one that a volume has
 * as a plex (of this volume or another, or a member an offline volume
 * holds) is busy for good, and is reported at once.
 */
bool busy_retry_devs(int ctl, const struct mv_status *st, int *tries,
		     const int *fds, int n)
{
	char holder[300];

	if (st->reason != MIRVOL_R_DEVICE_BUSY ||
	    held_by_volume(ctl, fds, n, holder, sizeof(holder)) >= 0)
		return false;
	return busy_retry(st, tries);
}

/*
 * create --json: the new volume as show --json prints it, and its initial
 * resync (as it is now, or as it ended with --wait), or null.
 */
static int create_json(int fd, const struct opts *o,
		       const struct mirvol_create *c)
{
	struct mirvol_op_info op;
	struct vol_view vv;
	bool have = false;
	struct json j;
	int r = MV_EXIT_OK;

	if (c->op_id) {
		r = op_fetch(fd, c->op_id, o->wait, &op, &have);
		if (!have)
			return r;
	}
	if (view_load(fd, c->volume_uuid, &vv))
		return MV_EXIT_FAIL;
	json_init(&j, stdout);
	json_obj_begin(&j);
	json_key(&j, "volume");
	vol_json(&j, &vv);
	json_key(&j, "operation");
	if (have)
		op_print_json(&j, &op);
	else
		json_null(&j);
	json_obj_end(&j);
	json_finish(&j);
	return r;
}

/*
 * MIRVOL_IOC_CREATE (@flags: MIRVOL_CREATE_F_CHECK or 0), retried while a
 * device is busy for a moment; a refusal is reported.  Return: 0 or -1.
 */
static int create_call(int fd, const struct opts *o, u32 bitmap, u64 region,
		       u32 flags, int *fds, int n, char **devs,
		       struct mirvol_create *c)
{
	struct mv_status st;
	int i, tries = 0;

	for (;;) {
		memset(c, 0, sizeof(*c));
		c->hdr.flags = flags;
		if (o->assume_clean)
			c->hdr.flags |= MIRVOL_CREATE_F_ASSUME_CLEAN;
		if (!bitmap && ctl_has(MIRVOL_FEAT_BITMAP))
			c->hdr.flags |= MIRVOL_CREATE_F_NO_BITMAP;
		c->bitmap_region_bytes = region;
		copy_name(c->name, o->name);
		c->nr_plexes = (u32)n;
		for (i = 0; i < MIRVOL_MAX_PLEXES; i++)
			c->plex_fds[i] = i < n ? fds[i] : -1;
		if (!ctl_call(fd, MIRVOL_IOC_CREATE, c, &st))
			return 0;
		if (!busy_retry_devs(fd, &st, &tries, fds, n)) {
			create_report(fd, &st, o, fds, n, devs);
			return -1;
		}
	}
}

/* Does a volume have the name @name?  Return: 1, 0, or -1 (printed). */
static int name_taken(int fd, const char *name)
{
	struct mv_vols vols;
	size_t i;
	int r = 0;

	if (vols_load(fd, &vols))
		return -1;
	for (i = 0; i < vols.n && !r; i++)
		r = !strncmp(vols.v[i].name, name, MIRVOL_NAME_LEN);
	vols_free(&vols);
	return r;
}

/*
 * create --force: would the kernel create the volume?  Asked before the
 * devices are erased, so that a refused create (a name taken, a device
 * too small or named twice) erases nothing.  A module without
 * MIRVOL_FEAT_CHECK cannot be asked: the name is checked here.
 * Return: 0, or -1 (printed: the reason the create would give).
 */
static int create_check(int fd, const struct opts *o, u32 bitmap, u64 region,
			int *fds, int n, char **devs)
{
	struct mirvol_create c;
	struct mv_status st = {
		.reason = MIRVOL_R_NAME_EXISTS, .err = EEXIST,
	};
	int r;

	if (ctl_has(MIRVOL_FEAT_CHECK))
		return create_call(fd, o, bitmap, region,
				   MIRVOL_CREATE_F_CHECK, fds, n, devs, &c);
	if (!o->name)
		return 0;
	r = name_taken(fd, o->name);
	if (r > 0)
		create_report(fd, &st, o, fds, n, devs);
	return r ? -1 : 0;
}

/**
 * do_create - MIRVOL_IOC_CREATE
 * @fd: the control device
 * @o: the options
 * @bitmap: 1 internal bitmap (the default), 0 none
 * @region: bytes per bitmap bit, 0 for the kernel's default
 * @fds: @n: the devices
 * @devs: their names
 *
 * With --force the devices are erased (wipe_devices()) once the kernel
 * said it would take them (create_check()).
 *
 * Return: the exit status.
 */
static int do_create(int fd, const struct opts *o, u32 bitmap, u64 region,
		     int *fds, int n, char **devs)
{
	struct mirvol_info info;
	struct mirvol_create c;
	char dev[300];

	/* A module without bitmaps creates none: "none" needs no flag. */
	if (bitmap && (o->bitmap || region) &&
	    ctl_need(MIRVOL_FEAT_BITMAP, "write-intent bitmap"))
		return MV_EXIT_FAIL;
	if (o->force &&
	    (create_check(fd, o, bitmap, region, fds, n, devs) ||
	     wipe_devices((const char *const *)devs, n)))
		return MV_EXIT_FAIL;
	if (create_call(fd, o, bitmap, region, 0, fds, n, devs, &c))
		return MV_EXIT_FAIL;
	if (o->json)
		return create_json(fd, o, &c);
	memset(&info, 0, sizeof(info));
	info.dev_major = c.dev_major;
	info.dev_minor = c.dev_minor;
	info.index = c.index;
	info.state = MIRVOL_VOLUME_ONLINE;
	vol_device(&info, dev, sizeof(dev));
	printf("%s\n", dev);
	if (!c.op_id)
		return MV_EXIT_OK;
	if (!o->wait) {
		mv_warn("initial resync running as operation %" PRIu64,
			(uint64_t)c.op_id);
		return MV_EXIT_OK;
	}
	fflush(stdout);
	return op_wait_cmd(fd, c.op_id, &(struct mirvol_op_info){ 0 });
}

int cmd_create(int argc, char **argv)
{
	static const struct option lo[] = {
		OPT("name", required_argument, OPT_NAME),
		OPT("assume-clean", no_argument, OPT_ASSUME_CLEAN),
		OPT("bitmap", required_argument, OPT_BITMAP),
		OPT("region-size", required_argument, OPT_REGION_SIZE),
		OPT("wait", no_argument, OPT_WAIT),
		OPT("force", no_argument, OPT_FORCE),
		OPT("json", no_argument, OPT_JSON),
		OPT("help", no_argument, OPT_HELP),
		OPT_END,
	};
	int fds[MIRVOL_MAX_PLEXES];
	int i, n, fd, r;
	struct opts o;
	u64 region;
	u32 bitmap;

	r = parse_opts(argc, argv, ":n:awjh", lo, &o);
	if (r >= 0)
		return r;
	r = bitmap_opts(o.bitmap, o.region_size, &bitmap, &region);
	if (r >= 0)
		return r;
	n = argc - optind;
	if (n < 1)
		return mv_usage("missing DEV");
	if (n > MIRVOL_MAX_PLEXES) {
		mv_err(MIRVOL_R_TOO_MANY_PLEXES,
		       "%d devices given: a volume has at most %d plexes", n,
		       MIRVOL_MAX_PLEXES);
		return MV_EXIT_FAIL;
	}
	if (o.name && check_name(o.name))
		return MV_EXIT_FAIL;
	for (i = 0; i < n; i++) {
		fds[i] = open_device(argv[optind + i], O_RDWR);
		if (fds[i] < 0) {
			close_fds(fds, i);
			return MV_EXIT_FAIL;
		}
	}
	for (i = 0; i < n && !o.force; i++) {
		if (refuse_signatures(fds[i], argv[optind + i])) {
			close_fds(fds, n);
			return MV_EXIT_FAIL;
		}
	}
	fd = ctl_open();
	r = MV_EXIT_FAIL;
	if (fd >= 0)
		r = do_create(fd, &o, bitmap, region, fds, n, argv + optind);
	close_fds(fds, n);
	ctl_close(fd);
	return r;
}

/* ---- remove, stop, rename ------------------------------------------------ */

/* Ask on the terminal.  Return: true when the answer is yes. */
static bool confirm_remove(const struct mirvol_info *info)
{
	char dev[300], line[64];
	size_t i;

	vol_device(info, dev, sizeof(dev));
	fprintf(stderr,
		"Remove volume %s%s%s%s and erase the mirvol metadata on its %u plex device(s)? [y/N] ",
		info->name, *dev ? " (" : "", dev, *dev ? ")" : "",
		info->nr_plexes);
	fflush(stderr);
	if (!fgets(line, sizeof(line), stdin))
		return false;
	for (i = 0; line[i]; i++)
		line[i] = (char)tolower((unsigned char)line[i]);
	line[strcspn(line, "\r\n")] = '\0';
	return !strcmp(line, "y") || !strcmp(line, "yes");
}

/*
 * stop, remove --json: the volume that went (its device node, null when
 * it had none) and the member devices it let go.
 */
static void gone_json(const struct mirvol_info *info)
{
	char dev[300];
	struct json j;
	u32 i;

	json_init(&j, stdout);
	json_obj_begin(&j);
	json_key(&j, "name");
	json_strn(&j, info->name, strnlen(info->name, MIRVOL_NAME_LEN));
	json_key(&j, "uuid");
	json_uuid(&j, info->volume_uuid);
	json_key(&j, "device");
	vol_device(info, dev, sizeof(dev));
	json_str(&j, *dev ? dev : NULL);
	json_key(&j, "devices");
	json_arr_begin(&j);
	for (i = 0; i < nr_plexes(info); i++) {
		const struct mirvol_plex_info *p = &info->plexes[i];

		if (p->state == MIRVOL_PLEX_MISSING ||
		    !(p->dev_major || p->dev_minor))
			continue;
		mv_blkdev_path(p->dev_major, p->dev_minor, dev, sizeof(dev));
		json_str(&j, dev);
	}
	json_arr_end(&j);
	json_obj_end(&j);
	json_finish(&j);
}

static int volume_ref_cmd(int fd, unsigned long req, u32 flags,
			  const struct mirvol_info *info, const char *what,
			  bool json)
{
	struct mirvol_volume_ref ref;
	struct mv_status st;
	int tries = 0;

	for (;;) {
		memset(&ref, 0, sizeof(ref));
		ref.hdr.flags = flags;
		memcpy(ref.volume_uuid, info->volume_uuid, MIRVOL_UUID_LEN);
		if (!ctl_call(fd, req, &ref, &st)) {
			if (json)
				gone_json(info);
			return MV_EXIT_OK;
		}
		if (!busy_retry(&st, &tries))
			break;
	}
	/*
	 * The volume is gone all the same, but not every device was erased:
	 * no JSON, which would list them as erased.
	 */
	if (st.reason == MIRVOL_R_WIPE_FAILED && !st.from_errno) {
		mv_err(st.reason,
		       "volume %s removed, but a device keeps its mirvol metadata (the write erasing it failed; the kernel log names it): erase it with 'mirvolctl wipe DEV' once it works",
		       info->name);
		return MV_EXIT_FAIL;
	}
	ctl_report(&st, "%s %s", what, info->name);
	return MV_EXIT_FAIL;
}

int cmd_remove(int argc, char **argv)
{
	static const struct option lo[] = {
		OPT("yes", no_argument, OPT_YES),
		OPT("json", no_argument, OPT_JSON),
		OPT("help", no_argument, OPT_HELP),
		OPT_END,
	};
	struct mirvol_info info;
	struct opts o;
	int fd, r;

	r = parse_opts(argc, argv, ":yjh", lo, &o);
	if (r >= 0)
		return r;
	r = want_args(argc, 1, argv, "VOL");
	if (r >= 0)
		return r;
	fd = ctl_open();
	if (fd < 0)
		return MV_EXIT_FAIL;
	r = MV_EXIT_FAIL;
	if (resolve_vol(fd, argv[optind], &info))
		goto out;
	if (!o.yes && isatty(STDIN_FILENO) && !confirm_remove(&info)) {
		mv_err(MIRVOL_R_OPERATION_CANCELED,
		       "%s: not confirmed, nothing removed", info.name);
		goto out;
	}
	r = volume_ref_cmd(fd, MIRVOL_IOC_REMOVE, 0, &info, "removing",
			   o.json);
out:
	ctl_close(fd);
	return r;
}

int cmd_stop(int argc, char **argv)
{
	static const struct option lo[] = {
		OPT("json", no_argument, OPT_JSON),
		OPT("help", no_argument, OPT_HELP),
		OPT_END,
	};
	struct mirvol_info info;
	struct opts o;
	int fd, r;

	r = parse_opts(argc, argv, ":jh", lo, &o);
	if (r >= 0)
		return r;
	r = want_args(argc, 1, argv, "VOL");
	if (r >= 0)
		return r;
	fd = ctl_open();
	if (fd < 0)
		return MV_EXIT_FAIL;
	r = MV_EXIT_FAIL;
	/*
	 * Events udev still has queued for the members (create's, whose
	 * fds closed just now) are handled while the volume runs: handled
	 * after the stop, a member's first event as one would start
	 * assembling the volume again and leave it waiting.
	 */
	udev_settle();
	if (!resolve_vol(fd, argv[optind], &info))
		r = volume_ref_cmd(fd, MIRVOL_IOC_STOP, 0, &info, "stopping",
				   o.json);
	ctl_close(fd);
	return r;
}

int cmd_rename(int argc, char **argv)
{
	static const struct option lo[] = {
		OPT("help", no_argument, OPT_HELP),
		OPT_END,
	};
	struct mirvol_info info;
	struct mirvol_rename rn;
	struct mv_status st;
	const char *name;
	struct opts o;
	int fd, r;

	r = parse_opts(argc, argv, ":h", lo, &o);
	if (r >= 0)
		return r;
	r = want_args(argc, 2, argv, "VOL and NEWNAME");
	if (r >= 0)
		return r;
	name = argv[optind + 1];
	if (check_name(name))
		return MV_EXIT_FAIL;
	fd = ctl_open();
	if (fd < 0)
		return MV_EXIT_FAIL;
	r = MV_EXIT_FAIL;
	if (resolve_vol(fd, argv[optind], &info))
		goto out;
	memset(&rn, 0, sizeof(rn));
	memcpy(rn.volume_uuid, info.volume_uuid, MIRVOL_UUID_LEN);
	copy_name(rn.name, name);
	if (ctl_call(fd, MIRVOL_IOC_RENAME, &rn, &st)) {
		if (st.reason == MIRVOL_R_NAME_EXISTS)
			ctl_report(&st, "renaming %s to %s", info.name, name);
		else
			ctl_report(&st, "renaming %s", info.name);
		goto out;
	}
	r = MV_EXIT_OK;
out:
	ctl_close(fd);
	return r;
}

/* ---- plexes -------------------------------------------------------------- */

/*
 * Resolve VOL and PLEX and prepare a struct mirvol_plex_ref.
 * Return: 0 or -1 (printed).
 */
static int plex_ref(int fd, const char *vol, const char *plex,
		    struct mirvol_info *info, struct mirvol_plex_ref *ref)
{
	int i;

	if (resolve_vol(fd, vol, info))
		return -1;
	i = resolve_plex(info, plex);
	if (i < 0)
		return -1;
	memset(ref, 0, sizeof(*ref));
	memcpy(ref->volume_uuid, info->volume_uuid, MIRVOL_UUID_LEN);
	memcpy(ref->plex_uuid, info->plexes[i].uuid, MIRVOL_UUID_LEN);
	return 0;
}

/**
 * struct plex_cmd - a command on one plex: VOL PLEX and options
 * @shortopts: @lo: its options, for parse_opts()
 * @req: the ioctl, which takes a struct mirvol_plex_ref
 * @what: what failed, "... %s ... %s" with the plex and the volume name
 * @check: optional, rules on the options: an exit code, or -1 if fine
 * @need: optional, after the module was opened: 0 if it can do what the
 *	options ask, else -1 (printed)
 * @fill: optional, the command's fields of the reference
 * @done: optional, after the call succeeded: report, wait; returns the
 *	exit code (without it: success)
 */
struct plex_cmd {
	const char *shortopts;
	const struct option *lo;
	unsigned long req;
	const char *what;
	int (*check)(const struct opts *o);
	int (*need)(const struct opts *o);
	void (*fill)(const struct opts *o, struct mirvol_plex_ref *ref);
	int (*done)(int fd, const struct opts *o,
		    const struct mirvol_plex_ref *ref);
};

static int run_plex_cmd(const struct plex_cmd *pc, int argc, char **argv)
{
	struct mirvol_plex_ref ref;
	struct mirvol_info info;
	struct mv_status st;
	struct opts o;
	int fd, r;

	r = parse_opts(argc, argv, pc->shortopts, pc->lo, &o);
	if (r >= 0)
		return r;
	r = want_args(argc, 2, argv, "VOL and PLEX");
	if (r >= 0)
		return r;
	if (pc->check) {
		r = pc->check(&o);
		if (r >= 0)
			return r;
	}
	fd = ctl_open();
	if (fd < 0)
		return MV_EXIT_FAIL;
	r = MV_EXIT_FAIL;
	if (pc->need && pc->need(&o))
		goto out;
	if (plex_ref(fd, argv[optind], argv[optind + 1], &info, &ref))
		goto out;
	if (pc->fill)
		pc->fill(&o, &ref);
	if (ctl_call(fd, pc->req, &ref, &st)) {
		ctl_report(&st, pc->what, argv[optind + 1], info.name);
		goto out;
	}
	r = pc->done ? pc->done(fd, &o, &ref) : MV_EXIT_OK;
out:
	ctl_close(fd);
	return r;
}

/* The operation's id, or its outcome with --wait. */
static int op_done(int fd, const struct opts *o,
		   const struct mirvol_plex_ref *ref)
{
	struct mirvol_op_info op;

	return async_result(fd, ref->op_id, o->wait, o->json, &op);
}

static int break_check(const struct opts *o)
{
	return o->name && check_name(o->name) ? MV_EXIT_FAIL : -1;
}

static int break_need(const struct opts *o)
{
	if (!o->track_changes)
		return 0;
	return ctl_need(MIRVOL_FEAT_MERGE, "break-plex --track-changes");
}

static void break_fill(const struct opts *o, struct mirvol_plex_ref *ref)
{
	copy_name(ref->new_name, o->name);
	if (o->track_changes)
		ref->hdr.flags |= MIRVOL_BREAK_F_TRACK_CHANGES;
}

/*
 * break-plex --json: the new volume as show --json prints it once it
 * exists (after --wait), else null; the UUID it gets; the operation.
 */
static int break_json(int fd, const struct opts *o,
		      const struct mirvol_plex_ref *ref)
{
	const u8 *uuid = ref->new_volume_uuid;
	struct mirvol_op_info op;
	struct mirvol_info info;
	struct mv_status st;
	struct vol_view vv;
	bool have, vol;
	struct json j;
	int r;

	r = op_fetch(fd, ref->op_id, o->wait, &op, &have);
	if (!have)
		return r;
	if (op.state == MIRVOL_OPS_SUCCEEDED && op.nr_outputs)
		uuid = op.outputs[0];
	vol = !ctl_info(fd, uuid, &info, &st);
	if (vol && view_load(fd, uuid, &vv))
		return MV_EXIT_FAIL;
	json_init(&j, stdout);
	json_obj_begin(&j);
	json_key(&j, "volume");
	if (vol)
		vol_json(&j, &vv);
	else
		json_null(&j);
	json_key(&j, "new_volume_uuid");
	json_uuid(&j, uuid);
	json_key(&j, "operation");
	op_print_json(&j, &op);
	json_obj_end(&j);
	json_finish(&j);
	return r;
}

/* As op_done(), and with --wait the new volume's device. */
static int break_done(int fd, const struct opts *o,
		      const struct mirvol_plex_ref *ref)
{
	struct mirvol_op_info op;
	const u8 *uuid;
	int r;

	if (o->json)
		return break_json(fd, o, ref);
	r = async_result(fd, ref->op_id, o->wait, false, &op);
	if (r || !o->wait)
		return r;
	uuid = op.nr_outputs ? op.outputs[0] : ref->new_volume_uuid;
	return print_volume_device(fd, uuid);
}

int cmd_break_plex(int argc, char **argv)
{
	static const struct option lo[] = {
		OPT("name", required_argument, OPT_NAME),
		OPT("track-changes", no_argument, OPT_TRACK_CHANGES),
		OPT("wait", no_argument, OPT_WAIT),
		OPT("json", no_argument, OPT_JSON),
		OPT("help", no_argument, OPT_HELP),
		OPT_END,
	};
	static const struct plex_cmd pc = {
		.shortopts = ":n:wjh", .lo = lo, .req = MIRVOL_IOC_BREAK_PLEX,
		.what = "breaking plex %s off %s", .check = break_check,
		.need = break_need, .fill = break_fill, .done = break_done,
	};

	return run_plex_cmd(&pc, argc, argv);
}

int cmd_remove_plex(int argc, char **argv)
{
	static const struct option lo[] = {
		OPT("wait", no_argument, OPT_WAIT),
		OPT("json", no_argument, OPT_JSON),
		OPT("help", no_argument, OPT_HELP),
		OPT_END,
	};
	static const struct plex_cmd pc = {
		.shortopts = ":wjh", .lo = lo, .req = MIRVOL_IOC_REMOVE_PLEX,
		.what = "removing plex %s from %s", .done = op_done,
	};

	return run_plex_cmd(&pc, argc, argv);
}

/**
 * stacked_on_volume - refuse a device built on the volume itself
 * @info: the volume
 * @dev_fd: @dev: the device to add
 * @doing: "adding", "replacing a plex with": the start of the error line
 *
 * A device built on the volume would send its writes back into it.  The
 * kernel follows holder links (dm, md); a loop device has none.
 *
 * Return: true (printed) when @dev is built on the volume.
 */
bool stacked_on_volume(const struct mirvol_info *info, int dev_fd,
		       const char *dev, const char *doing)
{
	struct stat sb;

	if (fstat(dev_fd, &sb) || !S_ISBLK(sb.st_mode) ||
	    info->state == MIRVOL_VOLUME_OFFLINE ||
	    !mv_stacked_on(major(sb.st_rdev), minor(sb.st_rdev),
			   info->dev_major, info->dev_minor, 0))
		return false;
	mv_err(MIRVOL_R_INVALID_OPERATION,
	       "%s %s to %s: it is built on %s itself (writes would loop)",
	       doing, dev, info->name, info->name);
	return true;
}

/*
 * MIRVOL_IOC_ADD_PLEX @a, retried while the device is busy for a moment;
 * a refusal is reported.  @src: the source volume with --from-volume.
 * Return: 0 or -1.
 */
static int add_call(int fd, const struct opts *o, struct mirvol_add_plex *a,
		    const struct mirvol_info *info,
		    const struct mirvol_info *src, const char *dev, int dev_fd)
{
	struct mv_status st;
	int tries = 0;

	while (ctl_call(fd, MIRVOL_IOC_ADD_PLEX, a, &st)) {
		char *devs[1] = { (char *)dev };

		if (busy_retry_devs(fd, &st, &tries, &dev_fd, 1)) {
			a->hdr.reason = MIRVOL_R_NONE;
			a->op_id = 0;
			continue;
		}

		if (o->merge)
			ctl_report(&st, "merging %s into %s", src->name,
				   info->name);
		else if (o->from_volume)
			ctl_report(&st, "adding the plexes of %s to %s",
				   src->name, info->name);
		else if (st.reason != MIRVOL_R_DEVICE_BUSY ||
			 !busy_report(fd, &st, &dev_fd, 1, devs))
			ctl_report(&st, "adding %s to %s", dev, info->name);
		return -1;
	}
	return 0;
}

/*
 * add-plex --force: the device is erased once the volume was found and
 * the kernel said it would take the device (MIRVOL_ADD_F_CHECK), so that
 * a refused add (a volume failed or busy, a device too small) erases
 * nothing.  A module without MIRVOL_FEAT_CHECK cannot be asked: the
 * volume was found, the device is not built on it; that must do.
 * Return: 0, or -1 (printed).
 */
static int add_force(int fd, const struct opts *o,
		     const struct mirvol_add_plex *a,
		     const struct mirvol_info *info, const char *dev,
		     int dev_fd)
{
	struct mirvol_add_plex check = *a;

	check.hdr.flags |= MIRVOL_ADD_F_CHECK;
	if (ctl_has(MIRVOL_FEAT_CHECK) &&
	    add_call(fd, o, &check, info, NULL, dev, dev_fd))
		return -1;
	return wipe_devices(&dev, 1);
}

static int do_add_plex(int fd, const struct opts *o, const char *vol,
		       const char *dev, int dev_fd)
{
	struct mirvol_info info, src;
	struct mirvol_add_plex a;
	struct mirvol_op_info op;

	if (resolve_vol(fd, vol, &info))
		return MV_EXIT_FAIL;
	if (!o->from_volume && stacked_on_volume(&info, dev_fd, dev, "adding"))
		return MV_EXIT_FAIL;
	if (o->merge && ctl_need(MIRVOL_FEAT_MERGE, "merge-plex"))
		return MV_EXIT_FAIL;
	memset(&a, 0, sizeof(a));
	memcpy(a.volume_uuid, info.volume_uuid, MIRVOL_UUID_LEN);
	a.fd = dev_fd;
	if (o->from_volume) {
		if (resolve_vol(fd, o->from_volume, &src))
			return MV_EXIT_FAIL;
		a.hdr.flags = MIRVOL_ADD_F_FROM_VOLUME;
		if (o->merge)
			a.hdr.flags |= MIRVOL_ADD_F_MERGE;
		a.fd = -1;
		memcpy(a.source_uuid, src.volume_uuid, MIRVOL_UUID_LEN);
	} else if (o->force && add_force(fd, o, &a, &info, dev, dev_fd)) {
		return MV_EXIT_FAIL;
	}
	if (add_call(fd, o, &a, &info, &src, dev, dev_fd))
		return MV_EXIT_FAIL;
	return async_result(fd, a.op_id, o->wait, o->json, &op);
}

int cmd_add_plex(int argc, char **argv)
{
	static const struct option lo[] = {
		OPT("from-volume", required_argument, OPT_FROM_VOLUME),
		OPT("wait", no_argument, OPT_WAIT),
		OPT("force", no_argument, OPT_FORCE),
		OPT("json", no_argument, OPT_JSON),
		OPT("help", no_argument, OPT_HELP),
		OPT_END,
	};
	const char *dev = NULL;
	int fd, dev_fd = -1, r;
	struct opts o;

	r = parse_opts(argc, argv, ":f:wjh", lo, &o);
	if (r >= 0)
		return r;
	if (o.from_volume) {
		if (o.force)
			return mv_usage("--force is for a device, not --from-volume");
		r = want_args(argc, 1, argv, "VOL");
		if (r >= 0)
			return r;
	} else {
		r = want_args(argc, 2, argv, "VOL and DEV (or --from-volume)");
		if (r >= 0)
			return r;
		dev = argv[optind + 1];
		dev_fd = open_device(dev, O_RDWR);
		if (dev_fd < 0)
			return MV_EXIT_FAIL;
		/* --force erases it once the kernel would take it. */
		if (!o.force && refuse_signatures(dev_fd, dev)) {
			close(dev_fd);
			return MV_EXIT_FAIL;
		}
	}
	fd = ctl_open();
	r = MV_EXIT_FAIL;
	if (fd >= 0)
		r = do_add_plex(fd, &o, argv[optind], dev, dev_fd);
	if (dev_fd >= 0)
		close(dev_fd);
	ctl_close(fd);
	return r;
}

int cmd_merge_plex(int argc, char **argv)
{
	static const struct option lo[] = {
		OPT("wait", no_argument, OPT_WAIT),
		OPT("json", no_argument, OPT_JSON),
		OPT("help", no_argument, OPT_HELP),
		OPT_END,
	};
	struct opts o;
	int fd, r;

	r = parse_opts(argc, argv, ":wjh", lo, &o);
	if (r >= 0)
		return r;
	r = want_args(argc, 2, argv, "VOL and BROKENVOL");
	if (r >= 0)
		return r;
	o.from_volume = argv[optind + 1];
	o.merge = true;
	fd = ctl_open();
	if (fd < 0)
		return MV_EXIT_FAIL;
	r = do_add_plex(fd, &o, argv[optind], NULL, -1);
	ctl_close(fd);
	return r;
}

static int set_plex_check(const struct opts *o)
{
	if (o->boot && o->no_boot)
		return mv_usage("--boot and --no-boot: give one");
	if (o->write_mostly && o->no_write_mostly)
		return mv_usage("--write-mostly and --no-write-mostly: give one");
	if (!o->boot && !o->no_boot && !o->write_mostly && !o->no_write_mostly)
		return mv_usage("give --boot, --no-boot, --write-mostly or --no-write-mostly");
	return -1;
}

static int set_plex_need(const struct opts *o)
{
	if (!o->write_mostly && !o->no_write_mostly)
		return 0;
	return ctl_need(MIRVOL_FEAT_WRITE_MOSTLY, "write-mostly plexes");
}

static void set_plex_fill(const struct opts *o, struct mirvol_plex_ref *ref)
{
	ref->hdr.flags = (o->boot ? MIRVOL_SET_PLEX_F_BOOT : 0) |
			 (o->no_boot ? MIRVOL_SET_PLEX_F_NO_BOOT : 0) |
			 (o->write_mostly ? MIRVOL_SET_PLEX_F_WRITE_MOSTLY : 0) |
			 (o->no_write_mostly ?
			  MIRVOL_SET_PLEX_F_NO_WRITE_MOSTLY : 0);
}

int cmd_set_plex(int argc, char **argv)
{
	static const struct option lo[] = {
		OPT("boot", no_argument, OPT_BOOT),
		OPT("no-boot", no_argument, OPT_NO_BOOT),
		OPT("write-mostly", no_argument, OPT_WRITE_MOSTLY),
		OPT("no-write-mostly", no_argument, OPT_NO_WRITE_MOSTLY),
		OPT("help", no_argument, OPT_HELP),
		OPT_END,
	};
	static const struct plex_cmd pc = {
		.shortopts = ":h", .lo = lo, .req = MIRVOL_IOC_SET_PLEX,
		.what = "setting plex %s of %s", .check = set_plex_check,
		.need = set_plex_need, .fill = set_plex_fill,
	};

	return run_plex_cmd(&pc, argc, argv);
}

/* ---- op ----------------------------------------------------------------- */

static void op_print(const struct mirvol_op_info *op, bool json)
{
	if (json)
		op_print_doc(op);
	else
		op_print_text(op);
}

static int op_status(int fd, u64 id, bool json)
{
	struct mirvol_op_info op;
	struct mv_status st;

	if (ctl_op(fd, MIRVOL_IOC_OP_STATUS, id, 0, &op, &st)) {
		ctl_report(&st, "operation %" PRIu64, (uint64_t)id);
		return MV_EXIT_FAIL;
	}
	op_print(&op, json);
	return MV_EXIT_OK;
}

/* The name of the volume with @uuid, or its UUID when it is gone. */
static void op_volume_name(int fd, const u8 *uuid, char *buf, size_t len)
{
	struct mirvol_info *info = malloc(sizeof(*info));
	struct mv_status st;

	if (info && !ctl_info(fd, uuid, info, &st)) {
		snprintf(buf, len, "%s", info->name);
	} else {
		char us[MV_UUID_STR_LEN];

		mv_uuid_format(uuid, us);
		snprintf(buf, len, "%s", us);
	}
	free(info);
}

/* op list: every operation the module keeps, oldest first. */
static int op_list(int fd, bool json)
{
	struct mirvol_op_info op;
	struct mv_status st;
	struct json j;
	size_t n, i;
	u64 *ids;

	if (ctl_need(MIRVOL_FEAT_OP_LIST, "op list") ||
	    ctl_op_list(fd, &ids, &n))
		return MV_EXIT_FAIL;
	if (json) {
		json_init(&j, stdout);
		json_arr_begin(&j);
	} else if (n) {
		printf("%-6s %-12s %-10s %-16s %8s %10s\n", "ID", "TYPE",
		       "STATE", "VOLUME", "PROGRESS", "ELAPSED");
	}
	for (i = 0; i < n; i++) {
		char name[MIRVOL_NAME_LEN + MV_UUID_STR_LEN];

		/* Forgotten since the list: skip it. */
		if (ctl_op(fd, MIRVOL_IOC_OP_STATUS, ids[i], 0, &op, &st))
			continue;
		op_volume_name(fd, op.volume_uuid, name, sizeof(name));
		if (json) {
			op_print_json(&j, &op);
			continue;
		}
		printf("%-6" PRIu64 " %-12s %-10s %-16s %7u%% %9.1fs\n",
		       (uint64_t)op.id, mv_op_type_name(op.type).s,
		       mv_op_state_name(op.state).s, name, op.percent,
		       op.elapsed_ms / 1000.0);
	}
	if (json) {
		json_arr_end(&j);
		json_finish(&j);
	}
	free(ids);
	return MV_EXIT_OK;
}

static int op_wait_timeout(int fd, u64 id, const struct opts *o)
{
	struct mirvol_op_info op;

	switch (op_wait(fd, id, o->has_timeout ? o->timeout : 0, &op)) {
	case MV_WAIT_ENDED:
		op_print(&op, o->json);
		return op_result(&op);
	case MV_WAIT_TIMEOUT:
		if (op_status(fd, id, o->json))
			return MV_EXIT_FAIL;
		mv_err_reason(MIRVOL_R_TIMEOUT, "operation %" PRIu64
			      " after %g s", (uint64_t)id, o->timeout);
		return MV_EXIT_FAIL;
	case MV_WAIT_INTERRUPTED:
		mv_warn("interrupted; operation %" PRIu64 " continues",
			(uint64_t)id);
		return MV_EXIT_INTR;
	case MV_WAIT_ERROR:
		break;
	}
	return MV_EXIT_FAIL;
}

static int op_cancel(int fd, u64 id, bool json)
{
	struct mirvol_op_info op;
	struct mv_status st;

	if (ctl_op(fd, MIRVOL_IOC_OP_CANCEL, id, 0, &op, &st)) {
		ctl_report(&st, "cancelling operation %" PRIu64,
			   (uint64_t)id);
		return MV_EXIT_FAIL;
	}
	op_print(&op, json);
	return MV_EXIT_OK;
}

int cmd_op(int argc, char **argv)
{
	static const struct option lo[] = {
		OPT("json", no_argument, OPT_JSON),
		OPT("timeout", required_argument, OPT_TIMEOUT),
		OPT("help", no_argument, OPT_HELP),
		OPT_END,
	};
	const char *sub;
	struct opts o;
	int fd, r;
	u64 id;

	r = parse_opts(argc, argv, ":jt:h", lo, &o);
	if (r >= 0)
		return r;
	if (argc - optind == 1 && !strcmp(argv[optind], "list")) {
		if (o.has_timeout)
			return mv_usage("--timeout is only for op wait");
		fd = ctl_open();
		if (fd < 0)
			return MV_EXIT_FAIL;
		r = op_list(fd, o.json);
		ctl_close(fd);
		return r;
	}
	r = want_args(argc, 2, argv, "list, or status|wait|cancel and OPID");
	if (r >= 0)
		return r;
	sub = argv[optind];
	if (strcmp(sub, "status") && strcmp(sub, "wait") &&
	    strcmp(sub, "cancel"))
		return mv_usage("unknown op subcommand '%s'", sub);
	if (mv_parse_u64(argv[optind + 1], &id) || !id)
		return mv_usage("invalid OPID '%s'", argv[optind + 1]);
	if (o.has_timeout && strcmp(sub, "wait"))
		return mv_usage("--timeout is only for op wait");
	fd = ctl_open();
	if (fd < 0)
		return MV_EXIT_FAIL;
	if (!strcmp(sub, "status"))
		r = op_status(fd, id, o.json);
	else if (!strcmp(sub, "wait"))
		r = op_wait_timeout(fd, id, &o);
	else
		r = op_cancel(fd, id, o.json);
	ctl_close(fd);
	return r;
}

/* ---- version ------------------------------------------------------------ */

static const char *const feature_names[] = {
	"create", "ops", "break-plex", "add-plex", "metadata", "assemble",
	"rename", "sync-action", "bitmap", "plex-action", "merge", "op-list",
	"write-mostly", "check",
};

static void version_json(const struct mirvol_version *v)
{
	struct json j;
	char abi[32];
	unsigned int i;

	json_init(&j, stdout);
	json_obj_begin(&j);
	json_key(&j, "tool_version");
	json_str(&j, MIRVOLCTL_VERSION);
	snprintf(abi, sizeof(abi), "%u.%u", MIRVOL_ABI_MAJOR, MIRVOL_ABI_MINOR);
	json_key(&j, "tool_abi");
	json_str(&j, abi);
	json_key(&j, "abi_major");
	json_u64(&j, v->abi_major);
	json_key(&j, "abi_minor");
	json_u64(&j, v->abi_minor);
	json_key(&j, "features_mask");
	json_u64(&j, v->features);
	json_key(&j, "features");
	json_arr_begin(&j);
	for (i = 0; i < 64; i++) {
		char bit[16];

		if (!(v->features & (1ULL << i)))
			continue;
		if (i < ARRAY_SIZE(feature_names)) {
			json_str(&j, feature_names[i]);
		} else {
			snprintf(bit, sizeof(bit), "bit-%u", i);
			json_str(&j, bit);
		}
	}
	json_arr_end(&j);
	json_key(&j, "max_plexes");
	json_u64(&j, v->max_plexes);
	json_key(&j, "nr_volumes");
	json_u64(&j, v->nr_volumes);
	json_obj_end(&j);
	json_finish(&j);
}

static void version_text(const struct mirvol_version *v)
{
	unsigned int i;

	printf("module ABI %u.%u\n", v->abi_major, v->abi_minor);
	printf("features:");
	for (i = 0; i < 64; i++) {
		if (!(v->features & (1ULL << i)))
			continue;
		if (i < ARRAY_SIZE(feature_names))
			printf(" %s", feature_names[i]);
		else
			printf(" bit-%u", i);
	}
	printf("\nmax plexes: %u\nvolumes: %u\n", v->max_plexes,
	       v->nr_volumes);
}

int cmd_version(int argc, char **argv)
{
	static const struct option lo[] = {
		OPT("json", no_argument, OPT_JSON),
		OPT("help", no_argument, OPT_HELP),
		OPT_END,
	};
	struct mirvol_version v;
	struct opts o;
	int fd, r;

	r = parse_opts(argc, argv, ":jh", lo, &o);
	if (r >= 0)
		return r;
	r = want_args(argc, 0, argv, "");
	if (r >= 0)
		return r;
	if (!o.json)
		printf("mirvolctl %s (ABI %u.%u)\n", MIRVOLCTL_VERSION,
		       MIRVOL_ABI_MAJOR, MIRVOL_ABI_MINOR);
	fd = ctl_open();
	if (fd < 0)
		return MV_EXIT_FAIL;
	r = ctl_version(fd, &v);
	ctl_close(fd);
	if (r)
		return MV_EXIT_FAIL;
	if (o.json)
		version_json(&v);
	else
		version_text(&v);
	return MV_EXIT_OK;
}
