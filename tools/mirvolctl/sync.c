// SPDX-License-Identifier: GPL-2.0
/*
 * mirvolctl: check, repair and resync, the sync actions.
 *
 * Each starts an operation with MIRVOL_IOC_SYNC_ACTION and, like
 * add-plex, prints its id or, with --wait, follows it with the progress
 * display and reports its outcome: check and repair print the sectors
 * they found to differ (and those no plex could read, if any), resync
 * --force the bytes no plex could read; also when the operation failed,
 * before its error line: what it found stays true.
 * --json prints the operation as "op status --json" does: as it is right
 * after the start, or as it ended with --wait.
 *
 * Copyright (C) 2026 The mirvol authors
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <string.h>

#include "mirvolctl.h"

enum {
	SOPT_WAIT = 'w',
	SOPT_JSON = 'j',
	SOPT_HELP = 'h',
	SOPT_FORCE = 0x100,
	SOPT_FROM,
};

struct sync_opts {
	bool wait, json, force;
	const char *from;
};

/**
 * struct sync_cmd - one sync action
 * @action: MIRVOL_SYNC_*
 * @lo: its options (--wait, --json and its own)
 * @doing: what the error line says was being done, "... %s" with the
 *	volume's name
 */
struct sync_cmd {
	u32 action;
	const struct option *lo;
	const char *doing;
};

/* Return: -1 to go on, else the exit status (help, usage error). */
static int sync_parse(int argc, char **argv, const struct sync_cmd *sc,
		      struct sync_opts *o)
{
	int c, r;

	memset(o, 0, sizeof(*o));
	optind = 0;
	while ((c = getopt_long(argc, argv, ":wjh", sc->lo, NULL)) != -1) {
		switch (c) {
		case SOPT_WAIT:
			o->wait = true;
			break;
		case SOPT_JSON:
			o->json = true;
			break;
		case SOPT_FORCE:
			o->force = true;
			break;
		case SOPT_FROM:
			o->from = optarg;
			break;
		default:
			r = mv_common_opt(c, argv);
			if (r >= 0)
				return r;
		}
	}
	if (argc - optind < 1)
		return mv_usage("missing VOL");
	if (argc - optind > 1)
		return mv_usage("unexpected argument '%s'", argv[optind + 1]);
	return -1;
}

/* What a finished sync action found, on stdout (text output). */
static void sync_print_summary(const struct sync_cmd *sc,
			       const struct sync_opts *o,
			       const struct mirvol_op_info *op)
{
	if (sc->action == MIRVOL_SYNC_CHECK ||
	    sc->action == MIRVOL_SYNC_REPAIR) {
		printf("mismatch_sectors: %" PRIu64 "\n",
		       (uint64_t)(op->mismatch_bytes >> 9));
		if (op->unreadable_bytes)
			printf("unreadable_sectors: %" PRIu64 "\n",
			       (uint64_t)(op->unreadable_bytes >> 9));
	} else if (o->force)
		printf("lost_bytes: %" PRIu64 "\n", (uint64_t)op->lost_bytes);
}

/* The started operation: its id, its state, or its outcome. */
static int sync_result(int fd, const struct sync_cmd *sc,
		       const struct sync_opts *o, u64 id)
{
	struct mirvol_op_info op;

	if (o->json)
		return op_json_result(fd, id, o->wait);
	if (!o->wait) {
		printf("%" PRIu64 "\n", (uint64_t)id);
		return MV_EXIT_OK;
	}
	fflush(stdout);
	switch (op_wait(fd, id, 0, &op)) {
	case MV_WAIT_ENDED:
		break;
	case MV_WAIT_INTERRUPTED:
		return op_interrupted(id, false);
	case MV_WAIT_TIMEOUT:	/* cannot happen without a limit */
	case MV_WAIT_ERROR:
		return MV_EXIT_FAIL;
	}
	/* Not of a cancelled one: it did not cover the volume. */
	if (op.state == MIRVOL_OPS_SUCCEEDED || op.state == MIRVOL_OPS_FAILED)
		sync_print_summary(sc, o, &op);
	return op_result(&op);
}

static int do_sync(int fd, const struct sync_cmd *sc,
		   const struct sync_opts *o, const char *vol)
{
	struct mirvol_sync_action sa;
	struct mirvol_info info;
	struct mv_status st;
	int i;

	if (resolve_vol(fd, vol, &info))
		return MV_EXIT_FAIL;
	memset(&sa, 0, sizeof(sa));
	memcpy(sa.volume_uuid, info.volume_uuid, MIRVOL_UUID_LEN);
	sa.action = sc->action;
	if (o->force)
		sa.hdr.flags |= MIRVOL_SYNC_F_FORCE;
	if (o->from) {
		i = resolve_plex(&info, o->from);
		if (i < 0)
			return MV_EXIT_FAIL;
		memcpy(sa.source_uuid, info.plexes[i].uuid, MIRVOL_UUID_LEN);
	}
	if (ctl_call(fd, MIRVOL_IOC_SYNC_ACTION, &sa, &st)) {
		if (st.from_errno && st.err == ENOTTY)
			mv_err(MIRVOL_R_NOT_SUPPORTED,
			       "%s: the mirvol module has no sync actions (check, repair, resync); it is older than this mirvolctl",
			       info.name);
		else
			ctl_report(&st, sc->doing, info.name);
		return MV_EXIT_FAIL;
	}
	return sync_result(fd, sc, o, sa.op_id);
}

static int run_sync(const struct sync_cmd *sc, int argc, char **argv)
{
	struct sync_opts o;
	int fd, r;

	r = sync_parse(argc, argv, sc, &o);
	if (r >= 0)
		return r;
	fd = ctl_open();
	if (fd < 0)
		return MV_EXIT_FAIL;
	r = do_sync(fd, sc, &o, argv[optind]);
	ctl_close(fd);
	return r;
}

#define SYNC_OPT(n, a, v)	{ n, a, NULL, v }

int cmd_check(int argc, char **argv)
{
	static const struct option lo[] = {
		SYNC_OPT("wait", no_argument, SOPT_WAIT),
		SYNC_OPT("json", no_argument, SOPT_JSON),
		SYNC_OPT("help", no_argument, SOPT_HELP),
		SYNC_OPT(NULL, 0, 0),
	};
	static const struct sync_cmd sc = {
		.action = MIRVOL_SYNC_CHECK, .lo = lo,
		.doing = "checking %s",
	};

	return run_sync(&sc, argc, argv);
}

int cmd_repair(int argc, char **argv)
{
	static const struct option lo[] = {
		SYNC_OPT("from", required_argument, SOPT_FROM),
		SYNC_OPT("wait", no_argument, SOPT_WAIT),
		SYNC_OPT("json", no_argument, SOPT_JSON),
		SYNC_OPT("help", no_argument, SOPT_HELP),
		SYNC_OPT(NULL, 0, 0),
	};
	static const struct sync_cmd sc = {
		.action = MIRVOL_SYNC_REPAIR, .lo = lo,
		.doing = "repairing %s",
	};

	return run_sync(&sc, argc, argv);
}

int cmd_resync(int argc, char **argv)
{
	static const struct option lo[] = {
		SYNC_OPT("force", no_argument, SOPT_FORCE),
		SYNC_OPT("wait", no_argument, SOPT_WAIT),
		SYNC_OPT("json", no_argument, SOPT_JSON),
		SYNC_OPT("help", no_argument, SOPT_HELP),
		SYNC_OPT(NULL, 0, 0),
	};
	static const struct sync_cmd sc = {
		.action = MIRVOL_SYNC_RESYNC, .lo = lo,
		.doing = "resyncing %s",
	};

	return run_sync(&sc, argc, argv);
}
