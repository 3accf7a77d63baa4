// SPDX-License-Identifier: GPL-2.0
/*
 * mirvolctl: fail, offline, online, re-add and replace, the plex actions,
 * and set, which changes a volume's stored settings.
 *
 * A plex action is one MIRVOL_IOC_PLEX_ACTION on VOL PLEX, with a device
 * for replace (and re-add of a missing plex).  online, re-add and replace
 * start an operation that copies data: like add-plex they print its id or,
 * with --wait, follow it with the progress display; with --json they
 * print the operation object (op status --json).  They print nothing (with
 * --json: null) when the kernel found nothing to copy (op id 0).  fail and
 * offline act at once and print nothing.
 *
 * Copyright (C) 2026 The mirvol authors
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <string.h>
#include <unistd.h>

#include "mirvolctl.h"

enum {
	MOPT_WAIT = 'w',
	MOPT_JSON = 'j',
	MOPT_HELP = 'h',
	MOPT_BITMAP = 0x100,
	MOPT_REGION_SIZE,
	MOPT_SPEED_MIN,
	MOPT_SPEED_MAX,
	MOPT_FORGET_SPLIT,
};

#define MOPT(n, a, v)	{ n, a, NULL, v }
#define MOPT_END	{ NULL, 0, NULL, 0 }

struct manage_opts {
	bool wait, json, forget_split;
	const char *bitmap, *region_size, *speed_min, *speed_max;
};

/*
 * The short options of @lo: each long option whose value is a letter (a
 * command takes -w only if it takes --wait).
 */
static void short_opts(const struct option *lo, char *buf, size_t len)
{
	size_t n = 0;

	buf[n++] = ':';
	for (; lo->name && n + 1 < len; lo++)
		if (lo->val < 0x80 && isalpha(lo->val) && !lo->has_arg)
			buf[n++] = (char)lo->val;
	buf[n] = '\0';
}

/* Return: -1 to go on, else the exit status (help, usage error). */
static int manage_parse(int argc, char **argv, const struct option *lo,
			struct manage_opts *o)
{
	char shortopts[16];
	int c, r;

	memset(o, 0, sizeof(*o));
	short_opts(lo, shortopts, sizeof(shortopts));
	optind = 0;
	while ((c = getopt_long(argc, argv, shortopts, lo, NULL)) != -1) {
		switch (c) {
		case MOPT_WAIT:
			o->wait = true;
			break;
		case MOPT_JSON:
			o->json = true;
			break;
		case MOPT_BITMAP:
			o->bitmap = optarg;
			break;
		case MOPT_REGION_SIZE:
			o->region_size = optarg;
			break;
		case MOPT_SPEED_MIN:
			o->speed_min = optarg;
			break;
		case MOPT_SPEED_MAX:
			o->speed_max = optarg;
			break;
		case MOPT_FORGET_SPLIT:
			o->forget_split = true;
			break;
		default:
			r = mv_common_opt(c, argv);
			if (r >= 0)
				return r;
		}
	}
	return -1;
}

/* ---- plex actions -------------------------------------------------------- */

enum action_dev { DEV_NONE, DEV_OPTIONAL, DEV_REQUIRED };

/**
 * struct action_cmd - one plex action
 * @action: MIRVOL_PLEX_*
 * @lo: its options
 * @dev: whether a device follows VOL PLEX
 * @args: the positional arguments, for "missing ..."
 * @copies: it may start an operation (prints its id, --wait)
 * @doing: what the error line says was being done, "... %s ... %s" with
 *	the PLEX argument and the volume's name
 */
struct action_cmd {
	u32 action;
	const struct option *lo;
	enum action_dev dev;
	const char *args;
	bool copies;
	const char *doing;
};

static int action_args(int argc, char **argv, const struct action_cmd *ac)
{
	int min = 2 + (ac->dev == DEV_REQUIRED);
	int max = 2 + (ac->dev != DEV_NONE);

	if (argc - optind < min)
		return mv_usage("missing %s", ac->args);
	if (argc - optind > max)
		return mv_usage("unexpected argument '%s'", argv[optind + max]);
	return -1;
}

static int do_action(int fd, const struct action_cmd *ac,
		     const struct manage_opts *o, char **args, int dev_fd)
{
	struct mirvol_plex_action pa;
	struct mirvol_info info;
	struct mirvol_op_info op;
	struct mv_status st;
	int i, tries = 0;

	if (ctl_need(MIRVOL_FEAT_PLEX_ACTION,
		     "plex actions (fail, offline, online, re-add, replace)"))
		return MV_EXIT_FAIL;
	if (resolve_vol(fd, args[0], &info))
		return MV_EXIT_FAIL;
	i = resolve_plex(&info, args[1]);
	if (i < 0)
		return MV_EXIT_FAIL;
	if (ac->action == MIRVOL_PLEX_REPLACE &&
	    stacked_on_volume(&info, dev_fd, args[2], "replacing a plex with"))
		return MV_EXIT_FAIL;
	for (;;) {
		memset(&pa, 0, sizeof(pa));
		memcpy(pa.volume_uuid, info.volume_uuid, MIRVOL_UUID_LEN);
		memcpy(pa.plex_uuid, info.plexes[i].uuid, MIRVOL_UUID_LEN);
		pa.action = ac->action;
		pa.fd = dev_fd;
		if (!ctl_call(fd, MIRVOL_IOC_PLEX_ACTION, &pa, &st))
			break;
		/* udev may probe the new device for a moment */
		if (dev_fd >= 0 &&
		    busy_retry_devs(fd, &st, &tries, &dev_fd, 1))
			continue;
		if (dev_fd < 0 || st.reason != MIRVOL_R_DEVICE_BUSY ||
		    !busy_report(fd, &st, &dev_fd, 1, args + 2))
			ctl_report(&st, ac->doing, args[1], info.name);
		/* Not undone: the kernel keeps a plex out it was told to. */
		if (st.reason == MIRVOL_R_IO_ERROR &&
		    (ac->action == MIRVOL_PLEX_FAIL ||
		     ac->action == MIRVOL_PLEX_TAKE_OFFLINE))
			mv_warn("plex %s is %s all the same, not recorded in the superblocks yet: writes wait until it is",
				args[1], ac->action == MIRVOL_PLEX_FAIL ?
				"failed" : "offline");
		return MV_EXIT_FAIL;
	}
	if (!ac->copies || (!pa.op_id && !o->json))
		return MV_EXIT_OK;
	return async_result(fd, pa.op_id, o->wait, o->json, &op);
}

static int run_action(const struct action_cmd *ac, int argc, char **argv)
{
	struct manage_opts o;
	int fd, dev_fd = -1, r;
	char **args;

	r = manage_parse(argc, argv, ac->lo, &o);
	if (r >= 0)
		return r;
	r = action_args(argc, argv, ac);
	if (r >= 0)
		return r;
	args = argv + optind;
	if (argc - optind > 2) {
		dev_fd = open_device(args[2], O_RDWR);
		if (dev_fd < 0)
			return MV_EXIT_FAIL;
	}
	fd = ctl_open();
	r = MV_EXIT_FAIL;
	if (fd >= 0)
		r = do_action(fd, ac, &o, args, dev_fd);
	if (dev_fd >= 0)
		close(dev_fd);
	ctl_close(fd);
	return r;
}

static const struct option no_opts[] = {
	MOPT("help", no_argument, MOPT_HELP),
	MOPT_END,
};

static const struct option wait_opts[] = {
	MOPT("wait", no_argument, MOPT_WAIT),
	MOPT("json", no_argument, MOPT_JSON),
	MOPT("help", no_argument, MOPT_HELP),
	MOPT_END,
};

int cmd_fail(int argc, char **argv)
{
	static const struct action_cmd ac = {
		.action = MIRVOL_PLEX_FAIL, .lo = no_opts,
		.args = "VOL and PLEX", .doing = "failing plex %s of %s",
	};

	return run_action(&ac, argc, argv);
}

int cmd_offline(int argc, char **argv)
{
	static const struct action_cmd ac = {
		.action = MIRVOL_PLEX_TAKE_OFFLINE, .lo = no_opts,
		.args = "VOL and PLEX",
		.doing = "taking plex %s of %s offline",
	};

	return run_action(&ac, argc, argv);
}

int cmd_online(int argc, char **argv)
{
	static const struct action_cmd ac = {
		.action = MIRVOL_PLEX_TAKE_ONLINE, .lo = wait_opts,
		.args = "VOL and PLEX", .copies = true,
		.doing = "bringing plex %s of %s online",
	};

	return run_action(&ac, argc, argv);
}

int cmd_readd(int argc, char **argv)
{
	static const struct action_cmd ac = {
		.action = MIRVOL_PLEX_READD, .lo = wait_opts,
		.dev = DEV_OPTIONAL, .args = "VOL and PLEX", .copies = true,
		.doing = "re-adding plex %s to %s",
	};

	return run_action(&ac, argc, argv);
}

int cmd_replace(int argc, char **argv)
{
	static const struct action_cmd ac = {
		.action = MIRVOL_PLEX_REPLACE, .lo = wait_opts,
		.dev = DEV_REQUIRED, .args = "VOL, PLEX and NEWDEV",
		.copies = true, .doing = "replacing plex %s of %s",
	};

	return run_action(&ac, argc, argv);
}

/* ---- set ------------------------------------------------------------------- */

/*
 * The settings to send.  SET_F_SPEED sets both limits: one not given
 * keeps the value INFO reports (the stored one, or the module's default
 * in force, which is then stored).
 */
static int set_fill(const struct manage_opts *o, struct mirvol_set_volume *sv,
		    bool *speed_min, bool *speed_max)
{
	u32 bitmap;
	u64 region;
	int r;

	memset(sv, 0, sizeof(*sv));
	*speed_min = false;
	*speed_max = false;
	if (!o->bitmap && !o->region_size && !o->speed_min && !o->speed_max &&
	    !o->forget_split)
		return mv_usage("nothing to set: give --bitmap, --sync-speed-min/--sync-speed-max or --forget-split");
	if (o->forget_split)
		sv->hdr.flags |= MIRVOL_SET_F_FORGET_SPLIT;
	if (o->region_size && !o->bitmap)
		return mv_usage("--region-size needs --bitmap internal");
	if (o->bitmap) {
		r = bitmap_opts(o->bitmap, o->region_size, &bitmap, &region);
		if (r >= 0)
			return r;
		sv->hdr.flags |= MIRVOL_SET_F_BITMAP;
		sv->bitmap = bitmap;
		sv->bitmap_region_bytes = region;
	}
	if (o->speed_min) {
		if (mv_parse_speed(o->speed_min, &sv->sync_speed_min))
			return mv_usage("invalid --sync-speed-min '%s': KiB/s or default",
					o->speed_min);
		*speed_min = true;
	}
	if (o->speed_max) {
		if (mv_parse_speed(o->speed_max, &sv->sync_speed_max))
			return mv_usage("invalid --sync-speed-max '%s': KiB/s or default",
					o->speed_max);
		*speed_max = true;
	}
	if (*speed_min && *speed_max && sv->sync_speed_min &&
	    sv->sync_speed_max && sv->sync_speed_min > sv->sync_speed_max)
		return mv_usage("--sync-speed-min %u is above --sync-speed-max %u",
				sv->sync_speed_min, sv->sync_speed_max);
	if (*speed_min || *speed_max)
		sv->hdr.flags |= MIRVOL_SET_F_SPEED;
	return -1;
}

int cmd_set(int argc, char **argv)
{
	static const struct option lo[] = {
		MOPT("bitmap", required_argument, MOPT_BITMAP),
		MOPT("region-size", required_argument, MOPT_REGION_SIZE),
		MOPT("sync-speed-min", required_argument, MOPT_SPEED_MIN),
		MOPT("sync-speed-max", required_argument, MOPT_SPEED_MAX),
		MOPT("forget-split", no_argument, MOPT_FORGET_SPLIT),
		MOPT("help", no_argument, MOPT_HELP),
		MOPT_END,
	};
	struct mirvol_set_volume sv;
	struct mirvol_info info;
	struct manage_opts o;
	bool smin, smax;
	struct mv_status st;
	int fd, r;

	r = manage_parse(argc, argv, lo, &o);
	if (r >= 0)
		return r;
	if (argc - optind < 1)
		return mv_usage("missing VOL");
	if (argc - optind > 1)
		return mv_usage("unexpected argument '%s'", argv[optind + 1]);
	r = set_fill(&o, &sv, &smin, &smax);
	if (r >= 0)
		return r;
	fd = ctl_open();
	if (fd < 0)
		return MV_EXIT_FAIL;
	r = MV_EXIT_FAIL;
	if (ctl_need(MIRVOL_FEAT_BITMAP, "set (bitmap, stored resync speeds)") ||
	    resolve_vol(fd, argv[optind], &info))
		goto out;
	memcpy(sv.volume_uuid, info.volume_uuid, MIRVOL_UUID_LEN);
	if (smin && !smax)
		sv.sync_speed_max = info.sync_speed_max;
	if (smax && !smin)
		sv.sync_speed_min = info.sync_speed_min;
	if (ctl_call(fd, MIRVOL_IOC_SET_VOLUME, &sv, &st)) {
		ctl_report(&st, "setting %s", info.name);
		goto out;
	}
	r = MV_EXIT_OK;
out:
	ctl_close(fd);
	return r;
}
