// SPDX-License-Identifier: GPL-2.0
/*
 * mirvolctl: list, show, and the output of operations.
 *
 * Everything a command prints is gathered first (INFO, OP_STATUS), so
 * that a failing ioctl never leaves half a JSON document on stdout.
 *
 * Copyright (C) 2026 The mirvol authors
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "mirvolctl.h"

enum out_format { OUT_TEXT, OUT_JSON, OUT_EXPORT, OUT_NAMES };

/* ---- operations -------------------------------------------------- */

/* It copies data onto plexes: unreadable ranges and lost bytes apply. */
static bool op_copies(const struct mirvol_op_info *op)
{
	return op->type == MIRVOL_OP_ADD_PLEX ||
	       op->type == MIRVOL_OP_RESYNC ||
	       op->type == MIRVOL_OP_REPLACE || op->type == MIRVOL_OP_MERGE;
}

/* It compares the in-sync plexes: mismatches, unreadable data apply. */
static bool op_compares(const struct mirvol_op_info *op)
{
	return op->type == MIRVOL_OP_CHECK || op->type == MIRVOL_OP_REPAIR;
}

/*
 * A counter: its value where it has a meaning (the operation's type, the
 * volume's bitmap), or the kernel set it anyway, else null.
 */
static void json_op_counter(struct json *j, const char *key, bool meaningful,
			    u64 v)
{
	json_key(j, key);
	if (meaningful || v)
		json_u64(j, v);
	else
		json_null(j);
}

void op_print_json(struct json *j, const struct mirvol_op_info *op)
{
	u32 n = op->nr_outputs < MIRVOL_MAX_PLEXES ?
		op->nr_outputs : MIRVOL_MAX_PLEXES;
	u32 i;

	json_obj_begin(j);
	json_key(j, "id");
	json_u64(j, op->id);
	json_key(j, "type");
	json_str(j, mv_op_type_name(op->type).s);
	json_key(j, "state");
	json_str(j, mv_op_state_name(op->state).s);
	json_key(j, "percent");
	json_u64(j, op->percent);
	json_key(j, "errno");
	json_i64(j, op->error);
	json_key(j, "reason");
	if (op->reason)
		json_str(j, mv_reason_name(op->reason).s);
	else
		json_null(j);
	json_key(j, "volume");
	json_uuid(j, op->volume_uuid);
	json_key(j, "outputs");
	json_arr_begin(j);
	for (i = 0; i < n; i++)
		json_uuid(j, op->outputs[i]);
	json_arr_end(j);
	json_key(j, "done_bytes");
	json_u64(j, op->done_bytes);
	json_key(j, "total_bytes");
	json_u64(j, op->total_bytes);
	json_key(j, "elapsed_ms");
	json_u64(j, op->elapsed_ms);
	json_op_counter(j, "bad_offset_bytes", op->bad_bytes,
			op->bad_offset_bytes);
	json_op_counter(j, "bad_bytes", op_copies(op) || op_compares(op),
			op->bad_bytes);
	json_op_counter(j, "lost_bytes", op_copies(op), op->lost_bytes);
	json_op_counter(j, "mismatch_bytes", op_compares(op),
			op->mismatch_bytes);
	json_op_counter(j, "unreadable_bytes", op_compares(op),
			op->unreadable_bytes);
	json_obj_end(j);
}

/* An operation as a JSON document of its own (op status --json). */
void op_print_doc(const struct mirvol_op_info *op)
{
	struct json j;

	json_init(&j, stdout);
	op_print_json(&j, op);
	json_finish(&j);
}

void op_print_text(const struct mirvol_op_info *op)
{
	u32 n = op->nr_outputs < MIRVOL_MAX_PLEXES ?
		op->nr_outputs : MIRVOL_MAX_PLEXES;
	char us[MV_UUID_STR_LEN];
	u32 i;

	printf("id: %" PRIu64 "\n", (uint64_t)op->id);
	printf("type: %s\n", mv_op_type_name(op->type).s);
	printf("state: %s\n", mv_op_state_name(op->state).s);
	printf("percent: %u\n", op->percent);
	printf("done_bytes: %" PRIu64 "\n", (uint64_t)op->done_bytes);
	printf("total_bytes: %" PRIu64 "\n", (uint64_t)op->total_bytes);
	printf("elapsed_ms: %" PRIu64 "\n", (uint64_t)op->elapsed_ms);
	if (op->bad_bytes) {
		printf("bad_offset_bytes: %" PRIu64 "\n",
		       (uint64_t)op->bad_offset_bytes);
		printf("bad_bytes: %" PRIu64 "\n", (uint64_t)op->bad_bytes);
	}
	if (op_copies(op) || op->lost_bytes)
		printf("lost_bytes: %" PRIu64 "\n", (uint64_t)op->lost_bytes);
	if (op_compares(op) || op->mismatch_bytes)
		printf("mismatch_bytes: %" PRIu64 "\n",
		       (uint64_t)op->mismatch_bytes);
	if (op_compares(op) || op->unreadable_bytes)
		printf("unreadable_bytes: %" PRIu64 "\n",
		       (uint64_t)op->unreadable_bytes);
	printf("errno: %d\n", op->error);
	printf("reason: %s\n",
	       op->reason ? mv_reason_name(op->reason).s : "none");
	mv_uuid_format(op->volume_uuid, us);
	printf("volume: %s\n", us);
	printf("outputs:");
	for (i = 0; i < n; i++) {
		mv_uuid_format(op->outputs[i], us);
		printf(" %s", us);
	}
	printf("\n");
}

/* ---- gathering --------------------------------------------------- */

/* The volume's running operation, if any.  Return: 0 or -1 (printed). */
static int view_load_op(int fd, struct vol_view *vv)
{
	struct mv_status st;

	vv->has_op = false;
	if (!vv->info.op_id)
		return 0;
	if (!ctl_op(fd, MIRVOL_IOC_OP_STATUS, vv->info.op_id, 0, &vv->op,
		    &st)) {
		vv->has_op = true;
		return 0;
	}
	/* It ended and was forgotten since INFO: no operation. */
	if (st.reason == MIRVOL_R_OBJECT_NOT_FOUND)
		return 0;
	ctl_report(&st, "operation %" PRIu64 " of %s",
		   (uint64_t)vv->info.op_id, vv->info.name);
	return -1;
}

/**
 * view_load - a volume and its running operation, for vol_json()
 * @fd: the control device
 * @uuid: the volume
 * @vv: receives them
 *
 * Return: 0 or -1 (printed).
 */
int view_load(int fd, const u8 uuid[MIRVOL_UUID_LEN], struct vol_view *vv)
{
	memset(vv, 0, sizeof(*vv));
	if (resolve_vol_uuid(fd, uuid, &vv->info))
		return -1;
	return view_load_op(fd, vv);
}

/* The name of the volume split from or into this one, if it is known. */
static void view_load_peer(int fd, struct vol_view *vv)
{
	struct mirvol_info peer;
	struct mv_status st;

	if (mv_uuid_is_zero(vv->info.split_peer_uuid) ||
	    ctl_info(fd, vv->info.split_peer_uuid, &peer, &st))
		return;
	memcpy(vv->peer_name, peer.name, MIRVOL_NAME_LEN);
	vv->peer_name[MIRVOL_NAME_LEN - 1] = '\0';
}

/* ---- JSON ---------------------------------------------------------- */

static unsigned int plex_sync_percent(const struct mirvol_info *v,
				      const struct mirvol_plex_info *p)
{
	if (p->state == MIRVOL_PLEX_ACTIVE)
		return 100;
	return mv_percent(p->sync_bytes, v->size_bytes);
}

static bool plex_has_device(const struct mirvol_plex_info *p)
{
	return (p->dev_major || p->dev_minor) &&
	       p->state != MIRVOL_PLEX_MISSING;
}

static void plex_json(struct json *j, const struct mirvol_info *v,
		      const struct mirvol_plex_info *p)
{
	char dev[300];

	json_obj_begin(j);
	json_key(j, "index");
	json_u64(j, p->index);
	json_key(j, "uuid");
	json_uuid(j, p->uuid);
	json_key(j, "device");
	if (plex_has_device(p)) {
		mv_blkdev_path(p->dev_major, p->dev_minor, dev, sizeof(dev));
		json_str(j, dev);
	} else {
		json_null(j);
	}
	json_key(j, "state");
	json_str(j, mv_plex_state_name(p->state).s);
	json_key(j, "boot");
	json_bool(j, p->flags & MIRVOL_PLEX_F_BOOT);
	json_key(j, "last_in_sync");
	json_bool(j, p->flags & MIRVOL_PLEX_F_LAST_IN_SYNC);
	json_key(j, "bitmap_sync");
	json_bool(j, p->flags & MIRVOL_PLEX_F_BITMAP_SYNC);
	json_key(j, "write_mostly");
	json_bool(j, p->flags & MIRVOL_PLEX_F_WRITE_MOSTLY);
	json_key(j, "data_offset_bytes");
	json_u64(j, p->data_offset_bytes);
	json_key(j, "size_bytes");
	json_u64(j, p->dev_size_bytes);
	json_key(j, "sync_bytes");
	json_u64(j, p->sync_bytes);
	json_key(j, "sync_percent");
	json_u64(j, plex_sync_percent(v, p));
	json_key(j, "read_errors");
	json_u64(j, p->read_errors);
	json_key(j, "corrected_read_errors");
	json_u64(j, p->corrected_read_errors);
	json_key(j, "write_errors");
	json_u64(j, p->write_errors);
	json_obj_end(j);
}

u32 nr_plexes(const struct mirvol_info *v)
{
	return v->nr_plexes < MIRVOL_MAX_PLEXES ?
	       v->nr_plexes : MIRVOL_MAX_PLEXES;
}

/* A volume as show --json prints it (list --json: one per element). */
void vol_json(struct json *j, const struct vol_view *vv)
{
	const struct mirvol_info *v = &vv->info;
	char dev[300];
	u32 i;

	json_obj_begin(j);
	json_key(j, "name");
	json_strn(j, v->name, strnlen(v->name, sizeof(v->name)));
	json_key(j, "uuid");
	json_uuid(j, v->volume_uuid);
	json_key(j, "device");
	vol_device(v, dev, sizeof(dev));
	json_str(j, *dev ? dev : NULL);
	json_key(j, "index");
	if (vol_has_device(v))
		json_u64(j, v->index);
	else
		json_null(j);
	json_key(j, "size_bytes");
	json_u64(j, v->size_bytes);
	json_key(j, "state");
	json_str(j, mv_vol_state_name(v->state).s);
	json_key(j, "generation");
	json_u64(j, v->generation);
	json_key(j, "dirty");
	json_bool(j, v->flags & MIRVOL_VOLUME_F_DIRTY);
	json_key(j, "sync_speed_min_kib");
	json_u64(j, v->sync_speed_min);
	json_key(j, "sync_speed_max_kib");
	json_u64(j, v->sync_speed_max);
	json_key(j, "mismatch_sectors");
	json_u64(j, v->mismatch_sectors);
	json_key(j, "bitmap");
	json_str(j, v->bitmap_region_bytes ? "internal" : "none");
	json_op_counter(j, "bitmap_region_bytes", v->bitmap_region_bytes,
			v->bitmap_region_bytes);
	json_op_counter(j, "bitmap_dirty_regions", v->bitmap_region_bytes,
			v->bitmap_dirty_regions);
	json_key(j, "split_peer");
	if (mv_uuid_is_zero(v->split_peer_uuid))
		json_null(j);
	else
		json_uuid(j, v->split_peer_uuid);
	json_key(j, "operation");
	if (vv->has_op)
		op_print_json(j, &vv->op);
	else
		json_null(j);
	json_key(j, "plexes");
	json_arr_begin(j);
	for (i = 0; i < nr_plexes(v); i++)
		plex_json(j, v, &v->plexes[i]);
	json_arr_end(j);
	json_obj_end(j);
}

/* ---- text ---------------------------------------------------------- */

static void op_short(const struct vol_view *vv, char *buf, size_t len)
{
	if (!vv->has_op)
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%s %u%% (op %" PRIu64 ")",
			 mv_op_type_name(vv->op.type).s, vv->op.percent,
			 (uint64_t)vv->op.id);
}

static u32 active_plexes(const struct mirvol_info *v)
{
	u32 i, n = 0;

	for (i = 0; i < nr_plexes(v); i++)
		if (v->plexes[i].state == MIRVOL_PLEX_ACTIVE)
			n++;
	return n;
}

/* The members a waiting volume holds. */
u32 present_plexes(const struct mirvol_info *v)
{
	u32 i, n = 0;

	for (i = 0; i < nr_plexes(v); i++)
		if (plex_has_device(&v->plexes[i]))
			n++;
	return n;
}

/* "active/all" of a running volume, "present/expected" of a waiting one. */
static void plex_count(const struct mirvol_info *v, char *buf, size_t len)
{
	snprintf(buf, len, "%u/%u", vol_waiting(v) ? present_plexes(v) :
		 active_plexes(v), nr_plexes(v));
}

static void list_text(const struct vol_view *vvs, size_t n)
{
	int wname = 4, wdev = 6;
	char dev[300], size[16], op[64], plexes[16];
	size_t i;

	if (!n)
		return;
	for (i = 0; i < n; i++) {
		int l = (int)strnlen(vvs[i].info.name, MIRVOL_NAME_LEN);

		vol_device(&vvs[i].info, dev, sizeof(dev));
		if (l > wname)
			wname = l;
		if ((int)strlen(dev) > wdev)
			wdev = (int)strlen(dev);
	}
	printf("%-*s  %-*s  %7s  %-8s  %-6s  %s\n", wname, "NAME", wdev,
	       "DEVICE", "SIZE", "STATE", "PLEXES", "OP");
	for (i = 0; i < n; i++) {
		const struct mirvol_info *v = &vvs[i].info;

		vol_device(v, dev, sizeof(dev));
		mv_human_size(v->size_bytes, size, sizeof(size));
		op_short(&vvs[i], op, sizeof(op));
		plex_count(v, plexes, sizeof(plexes));
		printf("%-*.*s  %-*s  %7s  %-8s  %-6s  %s\n", wname,
		       MIRVOL_NAME_LEN, v->name, wdev, *dev ? dev : "-",
		       size, mv_vol_state_name(v->state).s, plexes, op);
	}
}

static void show_plex_table(const struct mirvol_info *v)
{
	char dev[300], size[16];
	int wdev = 6;
	u32 i;

	for (i = 0; i < nr_plexes(v); i++) {
		const struct mirvol_plex_info *p = &v->plexes[i];

		if (plex_has_device(p)) {
			mv_blkdev_path(p->dev_major, p->dev_minor, dev,
				       sizeof(dev));
			if ((int)strlen(dev) > wdev)
				wdev = (int)strlen(dev);
		}
	}
	printf("\n%-5s  %-36s  %-*s  %7s  %-8s  %-4s  %4s  %6s  %6s  %6s  %s\n",
	       "INDEX", "UUID", wdev, "DEVICE", "SIZE", "STATE", "BOOT",
	       "SYNC", "RD-ERR", "CR-ERR", "WR-ERR", "FLAGS");
	for (i = 0; i < nr_plexes(v); i++) {
		const struct mirvol_plex_info *p = &v->plexes[i];
		char us[MV_UUID_STR_LEN], pct[8], flags[32];

		mv_uuid_format(p->uuid, us);
		if (plex_has_device(p))
			mv_blkdev_path(p->dev_major, p->dev_minor, dev,
				       sizeof(dev));
		else
			snprintf(dev, sizeof(dev), "-");
		mv_human_size(p->dev_size_bytes, size, sizeof(size));
		snprintf(pct, sizeof(pct), "%u%%", plex_sync_percent(v, p));
		mv_plex_flags_str(p->flags, flags, sizeof(flags));
		printf("%-5u  %-36s  %-*s  %7s  %-8s  %-4s  %4s  %6" PRIu64
		       "  %6" PRIu64 "  %6" PRIu64 "  %s\n", p->index, us, wdev,
		       dev, size, mv_plex_state_name(p->state).s,
		       p->flags & MIRVOL_PLEX_F_BOOT ? "yes" : "no", pct,
		       (uint64_t)p->read_errors,
		       (uint64_t)p->corrected_read_errors,
		       (uint64_t)p->write_errors, flags);
	}
}

static void show_text(const struct vol_view *vv)
{
	const struct mirvol_info *v = &vv->info;
	char dev[300], size[16], region[16], us[MV_UUID_STR_LEN];

	vol_device(v, dev, sizeof(dev));
	mv_human_size(v->size_bytes, size, sizeof(size));
	mv_uuid_format(v->volume_uuid, us);
	printf("Name        : %.*s\n", MIRVOL_NAME_LEN, v->name);
	printf("UUID        : %s\n", us);
	printf("Device      : %s\n", *dev ? dev : "- (offline)");
	printf("Size        : %s (%" PRIu64 " bytes)\n", size,
	       (uint64_t)v->size_bytes);
	printf("State       : %s\n", mv_vol_state_name(v->state).s);
	printf("Generation  : %" PRIu64 "\n", (uint64_t)v->generation);
	printf("Dirty       : %s\n",
	       v->flags & MIRVOL_VOLUME_F_DIRTY ? "yes" : "no");
	printf("Sync speed  : %u - %u KiB/s\n", v->sync_speed_min,
	       v->sync_speed_max);
	if (v->bitmap_region_bytes) {
		mv_human_size(v->bitmap_region_bytes, region, sizeof(region));
		printf("Bitmap      : internal, %s regions, %" PRIu64 " dirty\n",
		       region, (uint64_t)v->bitmap_dirty_regions);
	} else {
		printf("Bitmap      : none\n");
	}
	if (!mv_uuid_is_zero(v->split_peer_uuid)) {
		mv_uuid_format(v->split_peer_uuid, us);
		printf("Split peer  : %s (%.*s), changes tracked\n", us,
		       MIRVOL_NAME_LEN,
		       *vv->peer_name ? vv->peer_name : "not running");
	}
	if (vv->has_op)
		printf("Operation   : %" PRIu64 " %s %s %u%%\n",
		       (uint64_t)vv->op.id, mv_op_type_name(vv->op.type).s,
		       mv_op_state_name(vv->op.state).s, vv->op.percent);
	else
		printf("Operation   : none\n");
	printf("Mismatches  : %" PRIu64 " sectors (last check or repair)\n",
	       (uint64_t)v->mismatch_sectors);
	if (vol_waiting(v))
		printf("Plexes      : %u (%u present, waiting for the others)\n",
		       nr_plexes(v), present_plexes(v));
	else
		printf("Plexes      : %u (%u active)\n", nr_plexes(v),
		       active_plexes(v));
	show_plex_table(v);
}

/* udev-style KEY=value lines; names and states need no quoting. */
static void show_export(const struct vol_view *vv)
{
	const struct mirvol_info *v = &vv->info;
	char dev[300], us[MV_UUID_STR_LEN];

	mv_uuid_format(v->volume_uuid, us);
	vol_device(v, dev, sizeof(dev));
	printf("MIRVOL_NAME=%.*s\n", MIRVOL_NAME_LEN, v->name);
	printf("MIRVOL_UUID=%s\n", us);
	printf("MIRVOL_STATE=%s\n", mv_vol_state_name(v->state).s);
	if (*dev)
		printf("MIRVOL_DEVICE=%s\n", dev);
}

/* ---- commands ------------------------------------------------------ */

static const struct option fmt_opts[] = {
	{ "json", no_argument, NULL, 'j' },
	{ "export", no_argument, NULL, 'e' },
	{ "names", no_argument, NULL, 'N' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/*
 * --json / --export (when @export_ok) / --names (when @names_ok) /
 * --help.  Return: -1 to go on.
 */
static int parse_format(int argc, char **argv, bool export_ok, bool names_ok,
			enum out_format *fmt)
{
	int c, r;

	*fmt = OUT_TEXT;
	optind = 0;
	while ((c = getopt_long(argc, argv, ":jh", fmt_opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			*fmt = OUT_JSON;
			break;
		case 'e':
			if (!export_ok)
				return mv_usage("unknown option '--export'");
			*fmt = OUT_EXPORT;
			break;
		case 'N':
			if (!names_ok)
				return mv_usage("unknown option '--names'");
			*fmt = OUT_NAMES;
			break;
		default:
			r = mv_common_opt(c, argv);
			if (r >= 0)
				return r;
		}
	}
	return -1;
}

int cmd_list(int argc, char **argv)
{
	struct vol_view *vvs = NULL;
	enum out_format fmt;
	struct mv_vols vols;
	int fd, r, ret = MV_EXIT_FAIL;
	size_t i;

	r = parse_format(argc, argv, false, true, &fmt);
	if (r >= 0)
		return r;
	if (optind != argc)
		return mv_usage("unexpected argument '%s'", argv[optind]);
	fd = ctl_open();
	if (fd < 0)
		return MV_EXIT_FAIL;
	if (vols_load(fd, &vols))
		goto out_close;
	if (fmt == OUT_NAMES) {
		/* one name a line, for shell completion and scripts */
		for (i = 0; i < vols.n; i++)
			printf("%.*s\n", MIRVOL_NAME_LEN, vols.v[i].name);
		ret = MV_EXIT_OK;
		goto out;
	}
	vvs = calloc(vols.n ? vols.n : 1, sizeof(*vvs));
	if (!vvs) {
		mv_err_errno(MIRVOL_R_NO_MEMORY, ENOMEM, "list");
		goto out;
	}
	for (i = 0; i < vols.n; i++) {
		vvs[i].info = vols.v[i];
		if (view_load_op(fd, &vvs[i]))
			goto out;
	}
	if (fmt == OUT_JSON) {
		struct json j;

		json_init(&j, stdout);
		json_arr_begin(&j);
		for (i = 0; i < vols.n; i++)
			vol_json(&j, &vvs[i]);
		json_arr_end(&j);
		json_finish(&j);
	} else {
		list_text(vvs, vols.n);
	}
	ret = MV_EXIT_OK;
out:
	free(vvs);
	vols_free(&vols);
out_close:
	ctl_close(fd);
	return ret;
}

int cmd_show(int argc, char **argv)
{
	enum out_format fmt;
	struct vol_view vv;
	int fd, r;

	r = parse_format(argc, argv, true, false, &fmt);
	if (r >= 0)
		return r;
	if (optind >= argc)
		return mv_usage("missing VOL");
	if (optind + 1 < argc)
		return mv_usage("unexpected argument '%s'", argv[optind + 1]);
	/*
	 * udev's import for a volume's events: without the module there is
	 * no volume, and loading it (ctl_open()) for an event handled after
	 * an rmmod would bring it back.  Nothing to import, nothing to say.
	 */
	if (fmt == OUT_EXPORT && !ctl_present())
		return MV_EXIT_FAIL;
	fd = ctl_open();
	if (fd < 0)
		return MV_EXIT_FAIL;
	memset(&vv, 0, sizeof(vv));
	r = resolve_vol(fd, argv[optind], &vv.info);
	if (!r)
		r = view_load_op(fd, &vv);
	if (!r && fmt == OUT_TEXT)
		view_load_peer(fd, &vv);
	ctl_close(fd);
	if (r)
		return MV_EXIT_FAIL;
	if (fmt == OUT_JSON) {
		struct json j;

		json_init(&j, stdout);
		vol_json(&j, &vv);
		json_finish(&j);
	} else if (fmt == OUT_EXPORT) {
		show_export(&vv);
	} else {
		show_text(&vv);
	}
	return MV_EXIT_OK;
}

/* ---- status -------------------------------------------------------- */

/*
 * One thing wrong with a volume or one of its plexes, and what to do:
 * @advice says it in words, @command (may be empty) is the command to
 * run.  Text output joins them as "ADVICE: COMMAND".
 */
struct problem {
	int plex;		/* plex index, -1: the volume itself */
	char what[160];
	char advice[160];
	char command[160];
};

struct vol_health {
	struct vol_view vv;
	size_t n;
	struct problem p[MIRVOL_MAX_PLEXES + 1];
};

static struct problem *problem_add(struct vol_health *h, int plex)
{
	struct problem *p = &h->p[h->n++];

	memset(p, 0, sizeof(*p));
	p->plex = plex;
	return p;
}

/* The running operation, in words: "add-plex is running (op 7, 42%)". */
static void op_running(const struct vol_view *vv, char *buf, size_t len)
{
	snprintf(buf, len, "%s is running (op %" PRIu64 ", %u%%)",
		 mv_op_type_name(vv->op.type).s, (uint64_t)vv->op.id,
		 vv->op.percent);
}

static bool op_is_running(const struct vol_view *vv)
{
	return vv->has_op && vv->op.state == MIRVOL_OPS_RUNNING;
}

/* What a plex that is not in sync needs; false when nothing is wrong. */
static bool plex_problem(struct vol_health *h, const struct mirvol_plex_info *pl)
{
	const struct vol_view *vv = &h->vv;
	const char *vol = vv->info.name;
	bool waiting = vol_waiting(&vv->info);
	struct problem *p;

	switch (pl->state) {
	case MIRVOL_PLEX_ACTIVE:
		return false;
	case MIRVOL_PLEX_NONE:
		/* a member a waiting volume holds */
		if (waiting && plex_has_device(pl))
			return false;
		break;
	}
	p = problem_add(h, (int)pl->index);
	switch (pl->state) {
	case MIRVOL_PLEX_SYNCING:
	case MIRVOL_PLEX_STALE:
		if (pl->state == MIRVOL_PLEX_SYNCING)
			snprintf(p->what, sizeof(p->what), "syncing, %u%% in sync",
				 plex_sync_percent(&vv->info, pl));
		else
			snprintf(p->what, sizeof(p->what),
				 "stale: it missed writes");
		if (op_is_running(vv)) {
			op_running(vv, p->advice, sizeof(p->advice));
			snprintf(p->command, sizeof(p->command),
				 "mirvolctl op wait %" PRIu64,
				 (uint64_t)vv->op.id);
		} else if (vv->info.state == MIRVOL_VOLUME_FAILED ||
			   waiting) {
			snprintf(p->advice, sizeof(p->advice),
				 "it is copied once the volume has a plex in sync");
		} else {
			snprintf(p->advice, sizeof(p->advice),
				 "no copy is running, start one");
			snprintf(p->command, sizeof(p->command),
				 "mirvolctl resync %s", vol);
		}
		break;
	case MIRVOL_PLEX_FAILED:
		snprintf(p->what, sizeof(p->what), "failed");
		snprintf(p->advice, sizeof(p->advice), "re-add it");
		snprintf(p->command, sizeof(p->command),
			 "mirvolctl re-add %s %u", vol, pl->index);
		break;
	case MIRVOL_PLEX_MISSING:
		snprintf(p->what, sizeof(p->what), "missing%s",
			 pl->flags & MIRVOL_PLEX_F_LAST_IN_SYNC ?
			 " (it was the last plex in sync)" : "");
		if (waiting) {
			snprintf(p->advice, sizeof(p->advice),
				 "attach its device: the volume assembles when it appears");
		} else {
			snprintf(p->advice, sizeof(p->advice),
				 "re-add it when its device is back, or replace it");
			snprintf(p->command, sizeof(p->command),
				 "mirvolctl re-add %s %u DEV", vol, pl->index);
		}
		break;
	case MIRVOL_PLEX_OFFLINE:
		if (!plex_has_device(pl)) {
			/* Assembled without it: online needs its device. */
			snprintf(p->what, sizeof(p->what),
				 "offline, its device absent");
			snprintf(p->advice, sizeof(p->advice),
				 "attach its device (it is held offline), then bring it back, or replace it");
			snprintf(p->command, sizeof(p->command),
				 "mirvolctl online %s %u", vol, pl->index);
			break;
		}
		snprintf(p->what, sizeof(p->what), "offline");
		snprintf(p->advice, sizeof(p->advice), "bring it back");
		snprintf(p->command, sizeof(p->command),
			 "mirvolctl online %s %u", vol, pl->index);
		break;
	default:
		snprintf(p->what, sizeof(p->what), "%s",
			 mv_plex_state_name(pl->state).s);
		snprintf(p->advice, sizeof(p->advice), "see its details");
		snprintf(p->command, sizeof(p->command), "mirvolctl show %s",
			 vol);
	}
	return true;
}

/* Fill @h's problems from its volume view.  Return: healthy. */
static bool vol_check(struct vol_health *h)
{
	const struct mirvol_info *v = &h->vv.info;
	struct problem *p;
	u32 i;

	h->n = 0;
	switch (v->state) {
	case MIRVOL_VOLUME_ONLINE:
		break;
	case MIRVOL_VOLUME_DEGRADED:
		p = problem_add(h, -1);
		snprintf(p->what, sizeof(p->what),
			 "degraded, %u of %u plexes in sync", active_plexes(v),
			 nr_plexes(v));
		break;
	case MIRVOL_VOLUME_FAILED:
		p = problem_add(h, -1);
		snprintf(p->what, sizeof(p->what),
			 "failed, no plex in sync: all I/O fails");
		snprintf(p->advice, sizeof(p->advice),
			 "bring back the plex that failed last (re-add), or restore from a backup");
		break;
	case MIRVOL_VOLUME_OFFLINE:
		p = problem_add(h, -1);
		if (vol_waiting(v)) {
			snprintf(p->what, sizeof(p->what),
				 "offline, waiting for its members (%u of %u present)",
				 present_plexes(v), nr_plexes(v));
			snprintf(p->advice, sizeof(p->advice),
				 "attach the missing members, or start it without them");
			snprintf(p->command, sizeof(p->command),
				 "mirvolctl assemble --run %s", v->name);
		} else {
			snprintf(p->what, sizeof(p->what), "offline");
		}
		break;
	default:
		p = problem_add(h, -1);
		snprintf(p->what, sizeof(p->what), "%s",
			 mv_vol_state_name(v->state).s);
	}
	for (i = 0; i < nr_plexes(v); i++)
		plex_problem(h, &v->plexes[i]);
	return !h->n;
}

static void status_text(const struct vol_health *hs, size_t n)
{
	char dev[300];
	size_t i, k;
	bool first = true;

	for (i = 0; i < n; i++) {
		const struct vol_health *h = &hs[i];
		const struct mirvol_info *v = &h->vv.info;

		if (!h->n)
			continue;
		if (!first)
			printf("\n");
		first = false;
		vol_device(v, dev, sizeof(dev));
		printf("volume %.*s%s%s%s:", MIRVOL_NAME_LEN, v->name,
		       *dev ? " (" : "", dev, *dev ? ")" : "");
		/* the volume's own problem, if any, on its line */
		if (h->p[0].plex >= 0)
			printf(" %s\n", mv_vol_state_name(v->state).s);
		for (k = 0; k < h->n; k++) {
			const struct problem *p = &h->p[k];
			const char *ind = "  ";

			if (p->plex < 0) {
				printf(" %s\n", p->what);
			} else {
				const struct mirvol_plex_info *pl =
					&v->plexes[p->plex];

				printf("  plex %d", p->plex);
				if (plex_has_device(pl)) {
					mv_blkdev_path(pl->dev_major,
						       pl->dev_minor, dev,
						       sizeof(dev));
					printf(" (%s)", dev);
				}
				printf(": %s\n", p->what);
				ind = "    ";
			}
			if (*p->advice && *p->command)
				printf("%s%s: %s\n", ind, p->advice, p->command);
			else if (*p->advice || *p->command)
				printf("%s%s%s\n", ind, p->advice, p->command);
		}
	}
	if (first)
		printf(n ? "all volumes healthy\n" : "no volumes\n");
}

static void status_json(const struct vol_health *hs, size_t n, bool healthy)
{
	struct json j;
	size_t i, k;

	json_init(&j, stdout);
	json_obj_begin(&j);
	json_key(&j, "healthy");
	json_bool(&j, healthy);
	json_key(&j, "volumes");
	json_arr_begin(&j);
	for (i = 0; i < n; i++) {
		const struct vol_health *h = &hs[i];
		const struct mirvol_info *v = &h->vv.info;
		char dev[300];

		json_obj_begin(&j);
		json_key(&j, "name");
		json_strn(&j, v->name, strnlen(v->name, sizeof(v->name)));
		json_key(&j, "uuid");
		json_uuid(&j, v->volume_uuid);
		json_key(&j, "device");
		vol_device(v, dev, sizeof(dev));
		json_str(&j, *dev ? dev : NULL);
		json_key(&j, "state");
		json_str(&j, mv_vol_state_name(v->state).s);
		json_key(&j, "healthy");
		json_bool(&j, !h->n);
		json_key(&j, "operation");
		if (h->vv.has_op) {
			json_obj_begin(&j);
			json_key(&j, "id");
			json_u64(&j, h->vv.op.id);
			json_key(&j, "type");
			json_str(&j, mv_op_type_name(h->vv.op.type).s);
			json_key(&j, "state");
			json_str(&j, mv_op_state_name(h->vv.op.state).s);
			json_key(&j, "percent");
			json_u64(&j, h->vv.op.percent);
			json_obj_end(&j);
		} else {
			json_null(&j);
		}
		json_key(&j, "problems");
		json_arr_begin(&j);
		for (k = 0; k < h->n; k++) {
			const struct problem *p = &h->p[k];

			json_obj_begin(&j);
			json_key(&j, "plex");
			if (p->plex < 0)
				json_null(&j);
			else
				json_u64(&j, (u64)p->plex);
			json_key(&j, "state");
			json_str(&j, p->plex < 0 ?
				 mv_vol_state_name(v->state).s :
				 mv_plex_state_name(v->plexes[p->plex].state).s);
			json_key(&j, "problem");
			json_str(&j, p->what);
			json_key(&j, "advice");
			json_str(&j, *p->advice ? p->advice : NULL);
			json_key(&j, "command");
			json_str(&j, *p->command ? p->command : NULL);
			json_obj_end(&j);
		}
		json_arr_end(&j);
		json_obj_end(&j);
	}
	json_arr_end(&j);
	json_obj_end(&j);
	json_finish(&j);
}

int cmd_status(int argc, char **argv)
{
	struct vol_health *hs = NULL;
	enum out_format fmt;
	struct mv_vols vols;
	int fd, r, ret = MV_EXIT_FAIL;
	bool healthy = true;
	size_t i;

	r = parse_format(argc, argv, false, false, &fmt);
	if (r >= 0)
		return r;
	if (optind != argc)
		return mv_usage("unexpected argument '%s'", argv[optind]);
	fd = ctl_open();
	if (fd < 0)
		return MV_EXIT_FAIL;
	if (vols_load(fd, &vols))
		goto out_close;
	hs = calloc(vols.n ? vols.n : 1, sizeof(*hs));
	if (!hs) {
		mv_err_errno(MIRVOL_R_NO_MEMORY, ENOMEM, "status");
		goto out;
	}
	for (i = 0; i < vols.n; i++) {
		hs[i].vv.info = vols.v[i];
		/* names are NUL-terminated from here on */
		hs[i].vv.info.name[MIRVOL_NAME_LEN - 1] = '\0';
		if (view_load_op(fd, &hs[i].vv))
			goto out;
		if (!vol_check(&hs[i]))
			healthy = false;
	}
	if (fmt == OUT_JSON)
		status_json(hs, vols.n, healthy);
	else
		status_text(hs, vols.n);
	ret = healthy ? MV_EXIT_OK : MV_EXIT_FAIL;
out:
	free(hs);
	vols_free(&vols);
out_close:
	ctl_close(fd);
	return ret;
}
