// SPDX-License-Identifier: GPL-2.0
/*
 * mirvolctl: assemble, bringing volumes back from their members.
 *
 *   assemble [--run] DEV...           the given devices, in one call
 *   assemble --scan [--run]           every block device with a mirvol
 *                                     superblock that nobody holds
 *   assemble --incremental [--run] DEV  one device (udev): the kernel
 *                                     holds it until its volume is complete
 *   assemble --run VOL                a volume waiting for members (by
 *                                     name or UUID), started degraded
 *
 * With --run, a volume that waits for members (it holds the ones that
 * came, offline) is started degraded: --scan --run starts every waiting
 * volume, --incremental --run DEV the one DEV waits in.  The kernel
 * refuses (and the volume keeps waiting) when no present member is in
 * sync; a split brain is refused and the members released.
 *
 * The kernel groups members by volume and decides; this file only opens
 * the devices, reports per-member results and prints the device node of
 * every volume that runs afterwards.  With --json it gathers what every
 * call did instead and prints one document at the end: the volumes that
 * run, those that wait for members, those refused and why, and every
 * member's result.
 *
 * Copyright (C) 2026 The mirvol authors
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "mirvolctl.h"
#include "mirvol_sb_codec.h"

/* A device to assemble. */
struct cand {
	char *path;
	int fd;
	u8 volume_uuid[MIRVOL_UUID_LEN];	/* zero when unknown/corrupt */
};

struct cand_list {
	struct cand *c;
	size_t n, cap;
};

static void cands_free(struct cand_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		if (l->c[i].fd >= 0)
			close(l->c[i].fd);
		free(l->c[i].path);
	}
	free(l->c);
	memset(l, 0, sizeof(*l));
}

/* Take over @fd.  Return: 0 or -1 (printed; @fd closed). */
static int cands_add(struct cand_list *l, const char *path, int fd,
		     const u8 *uuid)
{
	struct cand *c;
	char *copy;

	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		struct cand *nc = realloc(l->c, cap * sizeof(*nc));

		if (!nc)
			goto nomem;
		l->c = nc;
		l->cap = cap;
	}
	copy = strdup(path);
	if (!copy)
		goto nomem;
	c = &l->c[l->n];
	memset(c, 0, sizeof(*c));
	c->path = copy;		/* owned by the list now */
	c->fd = fd;
	if (uuid)
		memcpy(c->volume_uuid, uuid, MIRVOL_UUID_LEN);
	l->n++;
	return 0;
nomem:
	close(fd);
	mv_err_errno(MIRVOL_R_NO_MEMORY, ENOMEM, "%s", path);
	return -1;
}

/* ---- results ------------------------------------------------------- */

static const char *result_name(u32 result)
{
	switch (result) {
	case MIRVOL_MEMBER_REFUSED:	return "refused";
	case MIRVOL_MEMBER_ACTIVE:	return "active";
	case MIRVOL_MEMBER_STALE:	return "stale";
	case MIRVOL_MEMBER_PENDING:	return "pending";
	}
	return "unknown";
}

/* "data (uuid)" when the kernel knows the volume, else just the UUID. */
static void volume_label(int fd, const u8 uuid[MIRVOL_UUID_LEN], char *buf,
			 size_t len)
{
	char us[MV_UUID_STR_LEN];
	struct mirvol_info info;
	struct mv_status st;

	mv_uuid_format(uuid, us);
	if (!ctl_info(fd, uuid, &info, &st))
		snprintf(buf, len, "%.*s (%s)", MIRVOL_NAME_LEN, info.name, us);
	else
		snprintf(buf, len, "%s", us);
}

/* One line per member on stderr, for people. */
static void print_members(int fd, const struct cand *c,
			  const struct mirvol_assemble_member *m, size_t n)
{
	char label[128];
	size_t i;

	fflush(stdout);
	for (i = 0; i < n; i++) {
		fprintf(stderr, "  %s: %s", c[i].path,
			result_name(m[i].result));
		if (m[i].reason)
			fprintf(stderr, ", %s", mv_reason_name(m[i].reason).s);
		if (!mv_uuid_is_zero(m[i].volume_uuid)) {
			volume_label(fd, m[i].volume_uuid, label,
				     sizeof(label));
			fprintf(stderr, "; volume %s, plex %u, generation %"
				PRIu64, label, m[i].plex_index,
				(uint64_t)m[i].generation);
		}
		fputc('\n', stderr);
	}
}

static bool all_active(const struct mirvol_assemble_member *m, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (m[i].result != MIRVOL_MEMBER_ACTIVE)
			return false;
	return true;
}

/* ---- split brain ----------------------------------------------------- */

/*
 * Which side a member is on: members whose current superblocks were
 * written together (same generation, same view of every plex) are on one
 * side.  Return: 0 with @md filled in, or -1 when it cannot be read.
 */
static int side_key(int fd, const char *path, struct mirvol_md *md)
{
	struct mv_member m;
	int r;

	if (member_read(fd, path, &m, true))
		return -1;
	r = member_md(&m, md);
	member_free(&m);
	return r;
}

static bool same_side(const struct mirvol_md *a, const struct mirvol_md *b)
{
	unsigned int i;

	if (a->generation != b->generation)
		return false;
	for (i = 0; i < MIRVOL_MAX_PLEXES; i++)
		if (a->plexes[i].state != b->plexes[i].state ||
		    memcmp(a->plexes[i].uuid, b->plexes[i].uuid,
			   MIRVOL_UUID_LEN))
			return false;
	return true;
}

static bool in_split(const struct mirvol_assemble *a,
		     const struct mirvol_assemble_member *m, bool any)
{
	if (any)
		return m->reason == MIRVOL_R_SPLIT_BRAIN;
	return !memcmp(m->volume_uuid, a->volume_uuid, MIRVOL_UUID_LEN);
}

/* Append "side N: DEV (plex I, generation G), ..." for every side. */
static void describe_sides(const struct mirvol_assemble *a,
			   const struct cand *c,
			   const struct mirvol_assemble_member *m, size_t n,
			   char *buf, size_t len)
{
	struct mirvol_md *md = calloc(n, sizeof(*md));
	bool *ok = calloc(n, sizeof(*ok)), *done = calloc(n, sizeof(*done));
	bool any = false;
	size_t i, k, pos = strlen(buf);
	int side = 0;

	for (i = 0; i < n; i++)
		any |= m[i].reason == MIRVOL_R_SPLIT_BRAIN;
	for (i = 0; md && ok && i < n; i++)
		ok[i] = in_split(a, &m[i], any) &&
			!side_key(c[i].fd, c[i].path, &md[i]);
	for (i = 0; done && i < n && pos < len; i++) {
		if (done[i] || !in_split(a, &m[i], any))
			continue;
		pos += (size_t)snprintf(buf + pos, len - pos, "%s side %d:",
					side ? ";" : "", side + 1);
		side++;
		for (k = i; k < n && pos < len; k++) {
			if (done[k] || !in_split(a, &m[k], any))
				continue;
			if (k != i && !(ok && ok[i] && ok[k] &&
					same_side(&md[i], &md[k])))
				continue;
			done[k] = true;
			pos += (size_t)snprintf(buf + pos, len - pos,
				"%s %s (plex %u, generation %" PRIu64 ")",
				k == i ? "" : ",", c[k].path,
				m[k].plex_index, (uint64_t)m[k].generation);
		}
	}
	free(md);
	free(ok);
	free(done);
}

static void report_failure(int fd, const struct mv_status *st,
			   const struct mirvol_assemble *a,
			   const struct cand *c,
			   const struct mirvol_assemble_member *m, size_t n)
{
	char label[128], msg[1024];

	if (st->from_errno || mv_uuid_is_zero(a->volume_uuid)) {
		if (n == 1)
			ctl_report(st, "%s", c[0].path);
		else
			ctl_report(st, "assembling %zu devices", n);
		return;
	}
	volume_label(fd, a->volume_uuid, label, sizeof(label));
	if (st->reason != MIRVOL_R_SPLIT_BRAIN) {
		ctl_report(st, "volume %s", label);
		return;
	}
	snprintf(msg, sizeof(msg), "volume %s: %s:", label,
		 mv_reason_text(st->reason));
	describe_sides(a, c, m, n, msg, sizeof(msg));
	mv_err(st->reason, "%s", msg);
}

/* ---- --json ------------------------------------------------------------ */

/* A device given to ASSEMBLE and what the kernel said of it. */
struct asm_member {
	char *path;
	char name[MIRVOL_NAME_LEN];	/* refused: its superblock's volume */
	struct mirvol_assemble_member m;
};

/* A failed ASSEMBLE call: the volume it names (may be zero) and why. */
struct asm_refusal {
	u8 uuid[MIRVOL_UUID_LEN];
	u32 reason;
};

/* What this run's calls did, for --json; printed by report_print(). */
static struct {
	bool on;
	bool nomem;
	struct asm_member *m;
	size_t nm;
	struct asm_refusal *r;
	size_t nr;
	u8 (*vols)[MIRVOL_UUID_LEN];	/* named by --run VOL */
	size_t nv;
} report;

/* One more element of @size at *@p (count *@n).  Return: it, or NULL. */
static void *report_grow(void *p, size_t *n, size_t size)
{
	char *np = realloc(*(void **)p, (*n + 1) * size);

	if (!np) {
		report.nomem = true;
		return NULL;
	}
	*(void **)p = np;
	memset(np + *n * size, 0, size);
	return np + (*n)++ * size;
}

static void report_volume(const u8 uuid[MIRVOL_UUID_LEN])
{
	u8 *v = report_grow(&report.vols, &report.nv, sizeof(*report.vols));

	if (v)
		memcpy(v, uuid, MIRVOL_UUID_LEN);
}

/* Record one call: its members and, when it failed, its reason. */
static void report_call(const struct cand *c,
			const struct mirvol_assemble_member *m, size_t n,
			const struct mirvol_assemble *a,
			const struct mv_status *st)
{
	struct asm_refusal *rf;
	struct asm_member *am;
	struct mirvol_md md;
	size_t i;

	for (i = 0; i < n; i++) {
		am = report_grow(&report.m, &report.nm, sizeof(*am));
		if (!am)
			return;
		am->m = m[i];
		am->path = strdup(c[i].path);
		if (!am->path)
			report.nomem = true;
		if (m[i].result == MIRVOL_MEMBER_REFUSED &&
		    !side_key(c[i].fd, c[i].path, &md))
			memcpy(am->name, md.name, MIRVOL_NAME_LEN - 1);
	}
	if (!st)
		return;
	rf = report_grow(&report.r, &report.nr, sizeof(*rf));
	if (!rf)
		return;
	memcpy(rf->uuid, a->volume_uuid, MIRVOL_UUID_LEN);
	rf->reason = st->reason;
}

static void report_free(void)
{
	size_t i;

	for (i = 0; i < report.nm; i++)
		free(report.m[i].path);
	free(report.m);
	free(report.r);
	free(report.vols);
	memset(&report, 0, sizeof(report));
}

/* Every volume the report mentions, once, in the order it came. */
static size_t report_uuids(u8 (*out)[MIRVOL_UUID_LEN], size_t max)
{
	size_t i, k, n = 0;
	const u8 *u;

	for (i = 0; i < report.nm + report.nr + report.nv; i++) {
		if (i < report.nm)
			u = report.m[i].m.volume_uuid;
		else if (i < report.nm + report.nr)
			u = report.r[i - report.nm].uuid;
		else
			u = report.vols[i - report.nm - report.nr];
		if (mv_uuid_is_zero(u))
			continue;
		for (k = 0; k < n; k++)
			if (!memcmp(out[k], u, MIRVOL_UUID_LEN))
				break;
		if (k == n && n < max)
			memcpy(out[n++], u, MIRVOL_UUID_LEN);
	}
	return n;
}

/*
 * Why the volume @uuid did not start: a failed call's reason, else a
 * member's (@refused: a refused member's).  Return: 0 when none.
 */
static u32 report_reason(const u8 *uuid, bool refused)
{
	size_t i;

	for (i = 0; i < report.nr; i++)
		if (!memcmp(report.r[i].uuid, uuid, MIRVOL_UUID_LEN) &&
		    report.r[i].reason)
			return report.r[i].reason;
	for (i = 0; i < report.nm; i++)
		if (!memcmp(report.m[i].m.volume_uuid, uuid, MIRVOL_UUID_LEN) &&
		    report.m[i].m.reason &&
		    (!refused ||
		     report.m[i].m.result == MIRVOL_MEMBER_REFUSED))
			return report.m[i].m.reason;
	return 0;
}

static void json_reason(struct json *j, u32 reason)
{
	json_key(j, "reason");
	if (reason)
		json_str(j, mv_reason_name(reason).s);
	else
		json_null(j);
}

static void json_name(struct json *j, const char *name)
{
	json_key(j, "name");
	if (*name)
		json_strn(j, name, strnlen(name, MIRVOL_NAME_LEN));
	else
		json_null(j);
}

/* A volume that runs, or waits (with its members present/expected). */
static void volume_entry(struct json *j, const struct mirvol_info *info)
{
	char dev[300];

	json_obj_begin(j);
	json_name(j, info->name);
	json_key(j, "uuid");
	json_uuid(j, info->volume_uuid);
	json_key(j, "device");
	vol_device(info, dev, sizeof(dev));
	json_str(j, *dev ? dev : NULL);
	json_key(j, "state");
	json_str(j, mv_vol_state_name(info->state).s);
	if (vol_waiting(info)) {
		json_key(j, "members_present");
		json_u64(j, present_plexes(info));
		json_key(j, "members_expected");
		json_u64(j, nr_plexes(info));
		json_reason(j, report_reason(info->volume_uuid, false));
	} else {
		json_key(j, "operation");
		if (info->op_id)
			json_u64(j, info->op_id);
		else
			json_null(j);
	}
	json_obj_end(j);
}

/*
 * A refused volume (@uuid, its members' devices) or, @uuid NULL, a
 * refused device whose volume is unknown (@am).
 */
static void refused_entry(struct json *j, const u8 *uuid,
			  const struct asm_member *am)
{
	const char *name = "";
	size_t i;

	for (i = 0; uuid && i < report.nm && !*name; i++)
		if (!memcmp(report.m[i].m.volume_uuid, uuid, MIRVOL_UUID_LEN))
			name = report.m[i].name;
	json_obj_begin(j);
	json_name(j, name);
	json_key(j, "uuid");
	if (uuid)
		json_uuid(j, uuid);
	else
		json_null(j);
	json_reason(j, uuid ? report_reason(uuid, true) : am->m.reason);
	json_key(j, "devices");
	json_arr_begin(j);
	for (i = 0; i < report.nm; i++)
		if (uuid ? !memcmp(report.m[i].m.volume_uuid, uuid,
				   MIRVOL_UUID_LEN) : &report.m[i] == am)
			json_str(j, report.m[i].path);
	json_arr_end(j);
	json_obj_end(j);
}

static void member_entry(struct json *j, const struct asm_member *am)
{
	const struct mirvol_assemble_member *m = &am->m;
	bool known = !mv_uuid_is_zero(m->volume_uuid);

	json_obj_begin(j);
	json_key(j, "device");
	json_str(j, am->path);
	json_key(j, "result");
	json_str(j, result_name(m->result));
	json_reason(j, m->reason);
	json_key(j, "volume");
	if (known)
		json_uuid(j, m->volume_uuid);
	else
		json_null(j);
	json_key(j, "plex");
	if (known)
		json_u64(j, m->plex_index);
	else
		json_null(j);
	json_key(j, "generation");
	if (known)
		json_u64(j, m->generation);
	else
		json_null(j);
	json_obj_end(j);
}

enum asm_class { ASM_STARTED, ASM_WAITING, ASM_REFUSED };

/*
 * Print the report: where every volume it mentions is now.  Return: 0,
 * or -1 (printed, nothing on stdout).
 */
static int report_print(void)
{
	static const char *const keys[] = { "started", "waiting", "refused" };
	size_t max = report.nm + report.nr + report.nv + 1, n, i, k;
	u8 (*uuids)[MIRVOL_UUID_LEN] = calloc(max, sizeof(*uuids));
	struct mirvol_info *info = calloc(max, sizeof(*info));
	enum asm_class *cls = calloc(max, sizeof(*cls));
	struct mv_status st;
	struct json j;
	int fd = -1;

	if (report.nomem || !uuids || !info || !cls) {
		free(uuids);
		free(info);
		free(cls);
		mv_err_errno(MIRVOL_R_NO_MEMORY, ENOMEM, "--json");
		return -1;
	}
	n = report_uuids(uuids, max);
	if (n)
		fd = ctl_open();
	for (i = 0; i < n && fd >= 0; i++) {
		cls[i] = ASM_REFUSED;
		if (ctl_info(fd, uuids[i], &info[i], &st))
			continue;
		info[i].name[MIRVOL_NAME_LEN - 1] = '\0';
		if (vol_has_device(&info[i]))
			cls[i] = ASM_STARTED;
		else if (vol_waiting(&info[i]))
			cls[i] = ASM_WAITING;
	}
	ctl_close(fd);
	if (n && fd < 0) {
		free(uuids);
		free(info);
		free(cls);
		return -1;
	}
	json_init(&j, stdout);
	json_obj_begin(&j);
	for (k = 0; k < ARRAY_SIZE(keys); k++) {
		json_key(&j, keys[k]);
		json_arr_begin(&j);
		for (i = 0; i < n; i++) {
			if (cls[i] != k)
				continue;
			if (k == ASM_REFUSED)
				refused_entry(&j, uuids[i], NULL);
			else
				volume_entry(&j, &info[i]);
		}
		/* refused devices of no known volume */
		for (i = 0; k == ASM_REFUSED && i < report.nm; i++)
			if (mv_uuid_is_zero(report.m[i].m.volume_uuid))
				refused_entry(&j, NULL, &report.m[i]);
		json_arr_end(&j);
	}
	json_key(&j, "members");
	json_arr_begin(&j);
	for (i = 0; i < report.nm; i++)
		member_entry(&j, &report.m[i]);
	json_arr_end(&j);
	json_obj_end(&j);
	json_finish(&j);
	free(uuids);
	free(info);
	free(cls);
	return 0;
}

/*
 * The end of assemble: with --json, print the report (exit 1 when it
 * cannot be).  Return: the exit status.
 */
static int report_end(int status)
{
	if (report.on && report_print())
		status = MV_EXIT_FAIL;
	report_free();
	return status;
}

/* ---- the call ---------------------------------------------------------- */

static bool seen_before(const struct mirvol_assemble_member *m, size_t i)
{
	size_t k;

	for (k = 0; k < i; k++)
		if (m[k].result != MIRVOL_MEMBER_REFUSED &&
		    !memcmp(m[k].volume_uuid, m[i].volume_uuid,
			    MIRVOL_UUID_LEN))
			return true;
	return false;
}

/* The device of every volume a member joined that now runs. */
static void print_started(int fd, const struct mirvol_assemble_member *m,
			  size_t n)
{
	struct mirvol_info info;
	struct mv_status st;
	char dev[300];
	size_t i;

	for (i = 0; i < n; i++) {
		if (m[i].result == MIRVOL_MEMBER_REFUSED ||
		    mv_uuid_is_zero(m[i].volume_uuid) || seen_before(m, i))
			continue;
		if (ctl_info(fd, m[i].volume_uuid, &info, &st))
			continue;
		vol_device(&info, dev, sizeof(dev));
		if (*dev)
			printf("%s\n", dev);
	}
}

/* One ASSEMBLE call.  Return: exit status (errors printed). */
static int assemble_batch(int fd, const struct cand *c, size_t n, u32 flags)
{
	struct mirvol_assemble_member m[MIRVOL_ASSEMBLE_MAX];
	bool incremental = flags & MIRVOL_ASSEMBLE_F_INCREMENTAL;
	struct mirvol_assemble a;
	struct mv_status st;
	size_t i;
	int r;

	memset(m, 0, sizeof(m));
	for (i = 0; i < n; i++)
		m[i].fd = c[i].fd;
	memset(&a, 0, sizeof(a));
	a.hdr.flags = flags;
	a.nr_members = (u32)n;
	a.members_ptr = (u64)(uintptr_t)m;
	r = ctl_call(fd, MIRVOL_IOC_ASSEMBLE, &a, &st);
	if (!incremental && !all_active(m, n))
		print_members(fd, c, m, n);
	if (report.on)
		report_call(c, m, n, &a, r ? &st : NULL);
	else
		print_started(fd, m, n);
	if (r) {
		report_failure(fd, &st, &a, c, m, n);
		/* The kernel keeps a volume running once it started. */
		if (a.nr_started && st.reason == MIRVOL_R_IO_ERROR)
			mv_warn("the volume started all the same, but its superblocks could not all be written: refused members are failed in it (re-add them once sound); writes fail until its in-sync plex takes a superblock");
		return MV_EXIT_FAIL;
	}
	if (a.op_id && !incremental)
		mv_warn("resync running as operation %" PRIu64,
			(uint64_t)a.op_id);
	return MV_EXIT_OK;
}

/* ---- waiting volumes -------------------------------------------------- */

/*
 * RUN the waiting volume @info: hand the kernel the members it holds (not
 * exclusively: it holds them), which it finds by device and starts their
 * volume degraded, or says why not.  Return: exit status (printed).
 */
static int run_waiting(int fd, const struct mirvol_info *info)
{
	struct cand_list l = { 0 };
	char path[300];
	u32 i, n;
	int r;

	n = info->nr_plexes < MIRVOL_MAX_PLEXES ?
	    info->nr_plexes : MIRVOL_MAX_PLEXES;
	for (i = 0; i < n; i++) {
		const struct mirvol_plex_info *p = &info->plexes[i];
		int dfd;

		if (p->state == MIRVOL_PLEX_MISSING ||
		    !(p->dev_major || p->dev_minor))
			continue;
		if (mv_blkdev_path(p->dev_major, p->dev_minor, path,
				   sizeof(path)))
			snprintf(path, sizeof(path), "%u:%u", p->dev_major,
				 p->dev_minor);
		dfd = open_device(path, O_RDWR);
		if (dfd < 0 || cands_add(&l, path, dfd, info->volume_uuid)) {
			cands_free(&l);
			return MV_EXIT_FAIL;
		}
	}
	if (!l.n) {
		/* Its last member went away meanwhile. */
		mv_err(MIRVOL_R_OBJECT_NOT_FOUND, "volume %.*s: holds no member",
		       MIRVOL_NAME_LEN, info->name);
		return MV_EXIT_FAIL;
	}
	r = assemble_batch(fd, l.c, l.n, MIRVOL_ASSEMBLE_F_RUN);
	cands_free(&l);
	return r;
}

/*
 * assemble --run VOL...: start each waiting volume; one that runs already
 * has its device printed.  With @if_listed (--if-waiting, the last-resort
 * service), a VOL no volume matches is skipped: stopped or refused since
 * its member appeared, there is nothing to start.  Return: exit status.
 */
static int run_volumes(int fd, char **args, int n, bool if_listed)
{
	struct mirvol_info info;
	struct mv_vols vols;
	char dev[300];
	int i, k, ret = MV_EXIT_OK;

	for (i = 0; i < n; i++) {
		if (if_listed) {
			if (vols_load(fd, &vols)) {
				ret = MV_EXIT_FAIL;
				continue;
			}
			k = vols_match(&vols, args[i]);
			if (k >= 0)
				info = vols.v[k];
			vols_free(&vols);
			if (k < 0)
				continue;
		} else if (resolve_vol(fd, args[i], &info)) {
			ret = MV_EXIT_FAIL;
			continue;
		}
		if (report.on)
			report_volume(info.volume_uuid);
		if (vol_waiting(&info)) {
			if (run_waiting(fd, &info))
				ret = MV_EXIT_FAIL;
			continue;
		}
		vol_device(&info, dev, sizeof(dev));
		if (*dev && !report.on)
			printf("%s\n", dev);
	}
	return ret;
}

/*
 * assemble --scan --run: start every volume still waiting after the scan
 * (except those the scan just handed members to: that call had RUN).
 */
static int run_all_waiting(int fd, const struct cand_list *scanned)
{
	struct mv_vols vols;
	size_t i, k;
	int ret = MV_EXIT_OK;

	if (vols_load(fd, &vols))
		return MV_EXIT_FAIL;
	for (i = 0; i < vols.n; i++) {
		bool done = false;

		if (!vol_waiting(&vols.v[i]))
			continue;
		for (k = 0; k < scanned->n && !done; k++)
			done = !memcmp(scanned->c[k].volume_uuid,
				       vols.v[i].volume_uuid, MIRVOL_UUID_LEN);
		if (!done && run_waiting(fd, &vols.v[i]))
			ret = MV_EXIT_FAIL;
	}
	vols_free(&vols);
	return ret;
}

/*
 * assemble --incremental --run DEV with DEV held: if a waiting volume
 * holds it, start that volume.  Return: exit status.
 */
static int run_holder(const char *path)
{
	struct mv_vols vols;
	struct stat sb;
	size_t i;
	u32 k, n;
	int fd, ret = MV_EXIT_OK;

	if (stat(path, &sb) || !S_ISBLK(sb.st_mode))
		return MV_EXIT_OK;
	fd = ctl_open();
	if (fd < 0)
		return MV_EXIT_FAIL;
	if (vols_load(fd, &vols)) {
		ctl_close(fd);
		return MV_EXIT_FAIL;
	}
	for (i = 0; i < vols.n; i++) {
		const struct mirvol_info *v = &vols.v[i];

		if (!vol_waiting(v))
			continue;
		n = v->nr_plexes < MIRVOL_MAX_PLEXES ?
		    v->nr_plexes : MIRVOL_MAX_PLEXES;
		for (k = 0; k < n; k++)
			if (v->plexes[k].state != MIRVOL_PLEX_MISSING &&
			    v->plexes[k].dev_major == major(sb.st_rdev) &&
			    v->plexes[k].dev_minor == minor(sb.st_rdev))
				break;
		if (k < n) {
			ret = run_waiting(fd, v);
			break;
		}
	}
	vols_free(&vols);
	ctl_close(fd);
	return ret;
}

/* ---- scan -------------------------------------------------------------- */

static int read_sysfs_u64(const char *name, const char *attr, u64 *v)
{
	char path[512], buf[32];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/sys/class/block/%s/%s", name, attr);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return mv_parse_u64(buf, v);
}

/* The /dev path of /sys/class/block/NAME.  Return: 0 or -1. */
static int sysfs_devnode(const char *name, char *buf, size_t len)
{
	unsigned int maj, min;
	char path[512];

	snprintf(path, sizeof(path), "/sys/class/block/%s/dev", name);
	if (mv_sysfs_devnum(path, &maj, &min))
		return -1;
	if (mv_blkdev_path(maj, min, buf, len))
		snprintf(buf, len, "/dev/%s", name);
	return 0;
}

/*
 * Whether a block device should be assembled: it carries a mirvol
 * superblock (valid or not) and nobody holds it exclusively (the kernel
 * holds the members of running and held-offline volumes).
 * Return: an fd open for the kernel, or -1 to skip it.
 */
static int scan_probe(const char *path, u8 uuid[MIRVOL_UUID_LEN])
{
	struct mirvol_md md;
	struct mv_member m;
	int fd, r;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_DIRECT);
	if (fd < 0)
		fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	r = member_read(fd, path, &m, true);
	close(fd);
	if (r)
		return -1;
	memset(uuid, 0, MIRVOL_UUID_LEN);
	if (!member_md(&m, &md))
		memcpy(uuid, md.volume_uuid, MIRVOL_UUID_LEN);
	r = m.reason == MIRVOL_R_NOT_A_MEMBER;
	member_free(&m);
	if (r)
		return -1;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_EXCL);
	if (fd < 0)
		return -1;	/* EBUSY: held by someone */
	close(fd);
	return open(path, O_RDWR | O_CLOEXEC);
}

static int scan(struct cand_list *l)
{
	struct dirent *de;
	DIR *d;
	int ret = 0;

	d = opendir("/sys/class/block");
	if (!d) {
		mv_err_errno(mv_errno_reason(errno), errno,
			     "/sys/class/block");
		return -1;
	}
	while (!ret && (de = readdir(d))) {
		u8 uuid[MIRVOL_UUID_LEN];
		char path[300];
		u64 size;
		int fd;

		if (de->d_name[0] == '.' ||
		    !strncmp(de->d_name, "mirvol", 6))
			continue;
		if (read_sysfs_u64(de->d_name, "size", &size) || !size)
			continue;
		if (sysfs_devnode(de->d_name, path, sizeof(path)))
			continue;
		fd = scan_probe(path, uuid);
		if (fd >= 0)
			ret = cands_add(l, path, fd, uuid);
	}
	closedir(d);
	return ret;
}

static int cand_cmp(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;
	int r = memcmp(x->volume_uuid, y->volume_uuid, MIRVOL_UUID_LEN);

	return r ? r : strcmp(x->path, y->path);
}

/* Length of the run of members of one volume starting at @i. */
static size_t group_len(const struct cand_list *l, size_t i)
{
	size_t k = i + 1;

	while (k < l->n && !memcmp(l->c[k].volume_uuid, l->c[i].volume_uuid,
				   MIRVOL_UUID_LEN))
		k++;
	return k - i;
}

/*
 * Assemble everything found, in calls of at most MIRVOL_ASSEMBLE_MAX
 * members that never split a volume's members (with --run a split group
 * would start degraded).
 */
static int assemble_scanned(int fd, struct cand_list *l, u32 flags)
{
	size_t start = 0, end = 0;
	int ret = MV_EXIT_OK;

	qsort(l->c, l->n, sizeof(*l->c), cand_cmp);
	while (start < l->n) {
		end = start;
		while (end < l->n) {
			size_t g = group_len(l, end);

			if (end > start &&
			    end - start + g > MIRVOL_ASSEMBLE_MAX)
				break;
			end += g;
		}
		if (end - start > MIRVOL_ASSEMBLE_MAX)
			end = start + MIRVOL_ASSEMBLE_MAX;
		if (assemble_batch(fd, l->c + start, end - start, flags))
			ret = MV_EXIT_FAIL;
		start = end;
	}
	return ret;
}

/* ---- command ----------------------------------------------------------- */

/*
 * An assemble argument that names a volume (a name or UUID: no '/') rather
 * than a device.
 */
static bool is_vol_arg(const char *arg)
{
	struct stat sb;

	return !strchr(arg, '/') && (stat(arg, &sb) || !S_ISBLK(sb.st_mode));
}

/*
 * Whether someone holds the device exclusively: the kernel holds every
 * member of a running or held-offline volume.  udev sends events for such
 * members too (a watch, a trigger); for them there is nothing to do.  Who
 * holds it is said on stderr (as mdadm -I says a device is busy).
 */
static bool claimed(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_EXCL);
	char who[300];

	if (fd >= 0) {
		close(fd);
		return false;
	}
	if (errno != EBUSY)
		return false;
	switch (who_holds(path, who, sizeof(who))) {
	case MV_HOLDER_VOLUME:
		mv_warn("%s is %s: already assembled", path, who);
		break;
	case MV_HOLDER_SYSFS:
		mv_warn("%s is held by %s: not assembled", path, who);
		break;
	default:
		mv_warn("%s is in use (mounted, or held by another driver): not assembled",
			path);
	}
	return true;
}

int cmd_assemble(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "run", no_argument, NULL, 'r' },
		{ "scan", no_argument, NULL, 's' },
		{ "incremental", no_argument, NULL, 'i' },
		{ "if-waiting", no_argument, NULL, 'W' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool run = false, do_scan = false, incremental = false;
	bool if_waiting = false;
	struct cand_list l = { 0 };
	char *vols[MIRVOL_ASSEMBLE_MAX], *devs[MIRVOL_ASSEMBLE_MAX];
	int c, i, n, fd, r, nvol = 0, ndev = 0;
	u32 flags = 0;

	optind = 0;
	report.on = false;
	while ((c = getopt_long(argc, argv, ":rsijh", lo, NULL)) != -1) {
		if (c == 'j') {
			report.on = true;
		} else if (c == 'r') {
			run = true;
		} else if (c == 's') {
			do_scan = true;
		} else if (c == 'i') {
			incremental = true;
		} else if (c == 'W') {
			if_waiting = true;
		} else {
			r = mv_common_opt(c, argv);
			if (r >= 0)
				return r;
		}
	}
	n = argc - optind;
	if (do_scan && incremental)
		return mv_usage("--scan and --incremental exclude each other");
	if (do_scan && n)
		return mv_usage("--scan takes no DEV");
	if (!do_scan && n < 1)
		return mv_usage("missing DEV");
	if (incremental && n != 1)
		return mv_usage("--incremental takes exactly one DEV");
	if (if_waiting && (!run || do_scan || incremental))
		return mv_usage("--if-waiting is for --run VOL");
	if (n > MIRVOL_ASSEMBLE_MAX) {
		mv_err(MIRVOL_R_INVALID_ARGUMENT,
		       "%d devices given, at most %d per call", n,
		       MIRVOL_ASSEMBLE_MAX);
		return MV_EXIT_FAIL;
	}
	if (run)
		flags |= MIRVOL_ASSEMBLE_F_RUN;
	if (incremental)
		flags |= MIRVOL_ASSEMBLE_F_INCREMENTAL;

	/* Held: by a running volume (nothing to do) or a waiting one. */
	if (incremental && claimed(argv[optind]))
		return report_end(run ? run_holder(argv[optind]) : MV_EXIT_OK);
	/* VOLs: waiting volumes to start (--run); the others are DEVs. */
	for (i = 0; i < n; i++) {
		char *a = argv[optind + i];

		if (do_scan || incremental || !is_vol_arg(a)) {
			devs[ndev++] = a;
			continue;
		}
		if (!run) {
			mv_err(MIRVOL_R_INVALID_ARGUMENT,
			       "%s: not a block device (a waiting volume is started with --run)",
			       a);
			return MV_EXIT_FAIL;
		}
		vols[nvol++] = a;
	}
	for (i = 0; i < ndev; i++) {
		int dfd = open_device(devs[i], O_RDWR);

		if (dfd < 0 || cands_add(&l, devs[i], dfd, NULL)) {
			cands_free(&l);
			return MV_EXIT_FAIL;
		}
	}
	if (do_scan && scan(&l)) {
		cands_free(&l);
		return MV_EXIT_FAIL;
	}
	/*
	 * --scan found nothing, and nothing waits to be run (without the
	 * module, nothing can wait: do not load it for nothing).
	 */
	if (!l.n && !nvol && !(do_scan && run && ctl_present())) {
		cands_free(&l);
		return report_end(MV_EXIT_OK);
	}
	fd = ctl_open();
	r = MV_EXIT_FAIL;
	if (fd >= 0) {
		r = nvol ? run_volumes(fd, vols, nvol, if_waiting) :
			   MV_EXIT_OK;
		if (l.n && (do_scan ? assemble_scanned(fd, &l, flags) :
				      assemble_batch(fd, l.c, l.n, flags)))
			r = MV_EXIT_FAIL;
		if (do_scan && run && run_all_waiting(fd, &l))
			r = MV_EXIT_FAIL;
	}
	ctl_close(fd);
	cands_free(&l);
	return fd >= 0 ? report_end(r) : r;
}
