// SPDX-License-Identifier: GPL-2.0
/*
 * fakectl.so: a stand-in for the mirvol module, for testing mirvolctl's
 * ioctl paths without a kernel.  LD_PRELOAD it and point
 * MIRVOLCTL_CONTROL at /dev/null; every ioctl of type MIRVOL_IOC_MAGIC is
 * answered here, all others go to libc.
 *
 * It is strict where the real module is: every reserved and padding field
 * must be zero, unknown flags are refused, plex_fds past nr_plexes must be
 * -1, fds must be open; a violation fails with EINVAL / INVALID_ARGUMENT
 * and a line on stderr naming the field, which the tests look for.
 *
 * The world is fixed (nothing persists between processes):
 *   volume "data"   aaaaaaaa-...-aa, /dev/mirvol0 (250:0), degraded,
 *                   plex 0 boot on 7:0 (active), plex 1 on 7:1 (syncing,
 *                   bitmap-sync), running op 7, 16 mismatched sectors,
 *                   64 KiB bitmap regions, 12 dirty, split from
 *                   "backup" (tracked)
 *   volume "backup" bbbbbbbb-...-bb, offline, plex 0 missing (last in
 *                   sync), no bitmap, split from "data" (tracked)
 *   volume cccccccc-...-cc, once CREATE made it in this process: its
 *                   name, /dev/mirvol2 (250:2), online, its plexes on
 *                   N:10.. (active, or syncing with op 10 running)
 * Operations: 7 add-plex running 42%; 8 break-plex succeeded (output:
 * "data"); 9 add-plex cancelled; 10 resync that ends after three
 * OP_WAIT timeouts of this process; 12 check and 13 repair that found
 * 8 KiB to differ; 14 resync and 16 add-plex that failed with
 * SOURCE_READ_ERROR on 4 KiB at 4 MiB; 15 forced resync that lost those
 * 4 KiB; 17 replace running 50%; 18 merge-plex succeeded; 19 check and
 * 20 repair that found 8 KiB to differ and failed with DATA_UNREADABLE:
 * 1 MiB at 2 MiB no plex could read; anything else OBJECT_NOT_FOUND.
 * SYNC_ACTION starts CHECK as op 12, REPAIR as 13 (19 and 20 with
 * MIRVOL_FAKE_UNREADABLE=1), RESYNC as 14, RESYNC with FORCE as 15.
 * CREATE and ADD_PLEX with their CHECK flag refuse as the call would, or
 * succeed changing nothing.
 *
 * Environment:
 *   MIRVOL_FAKE_FAIL=NR:ERRNO:REASON  make ioctl number NR fail
 *   MIRVOL_FAKE_ABI=N                 report ABI major N
 *   MIRVOL_FAKE_SPLIT=1               ASSEMBLE reports a split brain
 *   MIRVOL_FAKE_PENDING=1             ASSEMBLE hands the members to
 *                                     "backup", which keeps waiting (use
 *                                     with MIRVOL_FAKE_WAITING=1): call
 *                                     fails VOLUME_INCOMPLETE, except with
 *                                     INCREMENTAL
 *   MIRVOL_FAKE_REFUSE=R              ASSEMBLE refuses member 0 as
 *                                     NOT_A_MEMBER (no volume), the others
 *                                     with reason R as members of
 *                                     dddddddd-..., a volume INFO does not
 *                                     know; the call fails with R
 *   MIRVOL_FAKE_SLOW=1                op 10 never ends
 *   MIRVOL_FAKE_NOTBLK=1              CREATE: NOT_BLOCK_DEVICE
 *   MIRVOL_FAKE_ADD_OP=N              ADD_PLEX returns op N (not 10)
 *   MIRVOL_FAKE_ACTION_OP=N           PLEX_ACTION ONLINE, READD, REPLACE
 *                                     return op N (not 10)
 *   MIRVOL_FAKE_DEV_MAJOR=N           plexes on N:0 and N:1 (not 7:x),
 *                                     for host-independent outputs
 *   MIRVOL_FAKE_OFFLINE=1             plex 1 of "data" is offline
 *   MIRVOL_FAKE_WAITING=1             "backup" waits in assembly: it holds
 *                                     its plex 0 (on N:0, state none) and
 *                                     expects plex 1 (missing)
 *   MIRVOL_FAKE_HEALTH=W              another world: "healthy" (LIST: only
 *                                     "data", online, both plexes active, no
 *                                     op), "failed" (only "data", failed:
 *                                     plex 0 failed, plex 1 stale, no op),
 *                                     "empty" (LIST: no volume)
 *   MIRVOL_FAKE_BUSY=PATH             open(PATH) with O_EXCL fails with
 *                                     EBUSY, as for a member the kernel holds
 *   MIRVOL_FAKE_UNREADABLE=1          SYNC_ACTION CHECK and REPAIR start
 *                                     ops 19 and 20
 *   MIRVOL_FAKE_FEATURES=MASK         VERSION reports these feature bits
 *                                     (default: bits 0-10 and CHECK)
 *   MIRVOL_FAKE_SMALL=1               CREATE and ADD_PLEX: DEVICE_TOO_SMALL
 *                                     (with CHECK too)
 *   MIRVOL_FAKE_LOG=FILE              append one line per CREATE,
 *                                     ADD_PLEX, BREAK_PLEX, PLEX_ACTION,
 *                                     SET_PLEX and SET_VOLUME with the
 *                                     fields the tool
 *                                     filled in, for the tests to compare
 *
 * Copyright (C) 2026 The mirvol authors
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "mirvol_user_compat.h"
#include <linux/mirvol.h>

#define FAKE_MAJOR	250

static int fail(struct mirvol_ioc_header *hdr, int err, u32 reason,
		const char *why)
{
	if (why)
		fprintf(stderr, "fakectl: %s\n", why);
	hdr->reason = reason;
	errno = err;
	return -1;
}

#define BAD(hdr, why)	fail(hdr, EINVAL, MIRVOL_R_INVALID_ARGUMENT, why)

/* One line to MIRVOL_FAKE_LOG, if set. */
static void fake_log(const char *fmt, ...)
{
	const char *path = getenv("MIRVOL_FAKE_LOG");
	va_list ap;
	FILE *f;

	if (!path)
		return;
	f = fopen(path, "a");
	if (!f)
		return;
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fputc('\n', f);
	fclose(f);
}

/* An fd as the log shows it: -1, "open" or "closed". */
static const char *fd_str(int fd)
{
	if (fd == -1)
		return "-1";
	return fcntl(fd, F_GETFD) >= 0 ? "open" : "closed";
}

static bool zero(const void *p, size_t n)
{
	const u8 *b = p;

	while (n--)
		if (*b++)
			return false;
	return true;
}

static void uuid_fill(u8 *u, u8 v)
{
	memset(u, v, MIRVOL_UUID_LEN);
}

static bool is_vol(const u8 *u, u8 v)
{
	u8 x[MIRVOL_UUID_LEN];

	uuid_fill(x, v);
	return !memcmp(u, x, MIRVOL_UUID_LEN);
}

static bool fd_open(int fd)
{
	return fd >= 0 && fcntl(fd, F_GETFD) >= 0;
}

/* ---- the fixed world ------------------------------------------------------ */

static u32 dev_major(void)
{
	const char *m = getenv("MIRVOL_FAKE_DEV_MAJOR");

	return m ? (u32)atoi(m) : 7;
}

static void plex(struct mirvol_plex_info *p, u32 index, u32 state, u32 maj,
		 u32 min, u64 size)
{
	uuid_fill(p->uuid, (u8)(0xc0 + index));
	p->index = index;
	p->state = state;
	p->dev_major = maj;
	p->dev_minor = min;
	p->dev_size_bytes = size + MIRVOL_DATA_OFFSET;
	p->data_offset_bytes = MIRVOL_DATA_OFFSET;
	p->sync_bytes = state == MIRVOL_PLEX_ACTIVE ? size : size / 4;
}

/* The volume CREATE made in this process, if any. */
static struct mirvol_create created;

/* MIRVOL_FAKE_HEALTH is @world. */
static bool health(const char *world)
{
	const char *h = getenv("MIRVOL_FAKE_HEALTH");

	return h && !strcmp(h, world);
}

static int fill_info(struct mirvol_info *i)
{
	u64 size = 64ULL << 20;

	if (is_vol(i->volume_uuid, 0xaa)) {
		snprintf(i->name, sizeof(i->name), "%s", "data");
		i->state = MIRVOL_VOLUME_DEGRADED;
		i->dev_major = FAKE_MAJOR;
		i->dev_minor = 0;
		i->index = 0;
		i->nr_plexes = 2;
		i->op_id = 7;
		i->mismatch_sectors = 16;
		plex(&i->plexes[0], 0, MIRVOL_PLEX_ACTIVE, dev_major(), 0,
		     size);
		i->plexes[0].flags = MIRVOL_PLEX_F_BOOT;
		i->plexes[0].corrected_read_errors = 2;
		plex(&i->plexes[1], 1, MIRVOL_PLEX_SYNCING, dev_major(), 1,
		     size);
		i->plexes[1].read_errors = 3;
		i->plexes[1].flags = MIRVOL_PLEX_F_BITMAP_SYNC;
		if (getenv("MIRVOL_FAKE_OFFLINE"))
			i->plexes[1].state = MIRVOL_PLEX_OFFLINE;
		i->bitmap_region_bytes = 65536;
		i->bitmap_dirty_regions = 12;
		uuid_fill(i->split_peer_uuid, 0xbb);
		if (health("healthy") || health("failed")) {
			bool ok = health("healthy");

			i->state = ok ? MIRVOL_VOLUME_ONLINE :
					MIRVOL_VOLUME_FAILED;
			i->op_id = 0;
			i->plexes[0].state = ok ? MIRVOL_PLEX_ACTIVE :
						  MIRVOL_PLEX_FAILED;
			i->plexes[1].state = ok ? MIRVOL_PLEX_ACTIVE :
						  MIRVOL_PLEX_STALE;
			i->plexes[1].flags = 0;
		}
	} else if (is_vol(i->volume_uuid, 0xcc) && created.nr_plexes) {
		u32 k;

		snprintf(i->name, sizeof(i->name), "%s", created.name);
		i->state = MIRVOL_VOLUME_ONLINE;
		i->dev_major = created.dev_major;
		i->dev_minor = created.dev_minor;
		i->index = created.index;
		i->nr_plexes = created.nr_plexes;
		i->op_id = created.op_id;
		for (k = 0; k < created.nr_plexes; k++)
			plex(&i->plexes[k], k, k && created.op_id ?
			     MIRVOL_PLEX_SYNCING : MIRVOL_PLEX_ACTIVE,
			     dev_major(), 10 + k, size);
		i->bitmap_region_bytes = created.bitmap_region_bytes;
	} else if (is_vol(i->volume_uuid, 0xbb)) {
		snprintf(i->name, sizeof(i->name), "%s", "backup");
		i->state = MIRVOL_VOLUME_OFFLINE;
		i->index = 0xffffffff;
		i->nr_plexes = 1;
		plex(&i->plexes[0], 0, MIRVOL_PLEX_MISSING, 0, 0, size);
		i->plexes[0].flags = MIRVOL_PLEX_F_LAST_IN_SYNC;
		i->flags = MIRVOL_VOLUME_F_DIRTY;
		if (getenv("MIRVOL_FAKE_WAITING")) {
			i->nr_plexes = 2;
			plex(&i->plexes[0], 0, MIRVOL_PLEX_NONE, dev_major(),
			     0, size);
			plex(&i->plexes[1], 1, MIRVOL_PLEX_MISSING, 0, 0,
			     size);
		}
		uuid_fill(i->split_peer_uuid, 0xaa);
	} else {
		return -1;
	}
	i->size_bytes = size;
	i->generation = 12;
	i->sync_speed_min = 1000;
	i->sync_speed_max = 200000;
	return 0;
}

static int op_info(u64 id, struct mirvol_op_info *o)
{
	static int waits;

	memset(o, 0, sizeof(*o));
	o->id = id;
	uuid_fill(o->volume_uuid, 0xaa);
	o->total_bytes = 64ULL << 20;
	o->elapsed_ms = 1500;
	switch (id) {
	case 7:
		o->type = MIRVOL_OP_ADD_PLEX;
		o->state = MIRVOL_OPS_RUNNING;
		o->percent = 42;
		o->done_bytes = o->total_bytes * 42 / 100;
		o->nr_outputs = 1;
		uuid_fill(o->outputs[0], 0xc1);
		return 0;
	case 8:
		o->type = MIRVOL_OP_BREAK_PLEX;
		o->state = MIRVOL_OPS_SUCCEEDED;
		o->percent = 100;
		o->nr_outputs = 1;
		uuid_fill(o->outputs[0], 0xaa);
		return 0;
	case 9:
		o->type = MIRVOL_OP_ADD_PLEX;
		o->state = MIRVOL_OPS_CANCELLED;
		o->error = ECANCELED;
		o->reason = MIRVOL_R_OPERATION_CANCELED;
		o->percent = 10;
		return 0;
	case 10:
		o->type = MIRVOL_OP_RESYNC;
		if (getenv("MIRVOL_FAKE_SLOW"))
			waits = 1;	/* never ends */
		o->percent = waits >= 3 ? 100 : (u32)waits * 30;
		o->state = waits >= 3 ? MIRVOL_OPS_SUCCEEDED :
					MIRVOL_OPS_RUNNING;
		o->done_bytes = o->total_bytes * o->percent / 100;
		o->nr_outputs = 1;
		uuid_fill(o->outputs[0], 0xaa);
		return 0;
	case 11:	/* counts OP_WAITs of op 10 */
		waits++;
		return 0;
	case 12:
	case 13:
	case 19:
	case 20:
		o->type = id == 12 || id == 19 ? MIRVOL_OP_CHECK :
						 MIRVOL_OP_REPAIR;
		o->state = MIRVOL_OPS_SUCCEEDED;
		o->percent = 100;
		o->done_bytes = o->total_bytes;
		o->mismatch_bytes = 8192;
		o->nr_outputs = 2;
		uuid_fill(o->outputs[0], 0xc0);
		uuid_fill(o->outputs[1], 0xc1);
		if (id >= 19) {
			o->state = MIRVOL_OPS_FAILED;
			o->error = EIO;
			o->reason = MIRVOL_R_DATA_UNREADABLE;
			o->bad_offset_bytes = 2ULL << 20;
			o->bad_bytes = 1ULL << 20;
			o->unreadable_bytes = 1ULL << 20;
		}
		return 0;
	case 17:
	case 18:
		o->type = id == 17 ? MIRVOL_OP_REPLACE : MIRVOL_OP_MERGE;
		o->state = id == 17 ? MIRVOL_OPS_RUNNING : MIRVOL_OPS_SUCCEEDED;
		o->percent = id == 17 ? 50 : 100;
		o->done_bytes = o->total_bytes * o->percent / 100;
		o->nr_outputs = 1;
		uuid_fill(o->outputs[0], 0xc1);
		return 0;
	case 14:
	case 15:
	case 16:
		o->type = id == 16 ? MIRVOL_OP_ADD_PLEX : MIRVOL_OP_RESYNC;
		o->nr_outputs = 1;
		uuid_fill(o->outputs[0], 0xc1);
		o->bad_offset_bytes = 4ULL << 20;
		o->bad_bytes = 4096;
		if (id == 15) {
			o->state = MIRVOL_OPS_SUCCEEDED;
			o->percent = 100;
			o->done_bytes = o->total_bytes;
			o->lost_bytes = 4096;
			return 0;
		}
		o->state = MIRVOL_OPS_FAILED;
		o->error = EIO;
		o->reason = MIRVOL_R_SOURCE_READ_ERROR;
		o->percent = 6;
		o->done_bytes = 4ULL << 20;
		return 0;
	}
	return -1;
}

/* ---- commands ------------------------------------------------------------- */

static int do_version(struct mirvol_version *v)
{
	const char *abi = getenv("MIRVOL_FAKE_ABI");

	if (v->hdr.flags || !zero(v->reserved, sizeof(v->reserved)))
		return BAD(&v->hdr, "VERSION: flags or reserved not zero");
	v->abi_major = abi ? (u32)atoi(abi) : MIRVOL_ABI_MAJOR;
	v->abi_minor = MIRVOL_ABI_MINOR;
	v->features = getenv("MIRVOL_FAKE_FEATURES") ?
		      strtoull(getenv("MIRVOL_FAKE_FEATURES"), NULL, 0) :
		      ((1ULL << 11) - 1) | MIRVOL_FEAT_CHECK;
	v->max_plexes = MIRVOL_MAX_PLEXES;
	v->nr_volumes = 2;
	return 0;
}

static int do_create(struct mirvol_create *c)
{
	u32 i;

	fake_log("CREATE flags=%#x region=%llu nr=%u fd0=%s name=%s",
		 c->hdr.flags, (unsigned long long)c->bitmap_region_bytes,
		 c->nr_plexes, fd_str(c->plex_fds[0]), c->name);
	if (c->hdr.flags & ~(MIRVOL_CREATE_F_ASSUME_CLEAN |
			     MIRVOL_CREATE_F_NO_BITMAP | MIRVOL_CREATE_F_CHECK))
		return BAD(&c->hdr, "CREATE: unknown flags");
	if ((c->hdr.flags & MIRVOL_CREATE_F_NO_BITMAP) &&
	    c->bitmap_region_bytes)
		return BAD(&c->hdr, "CREATE: a region size without a bitmap");
	if (c->bitmap_region_bytes &&
	    (c->bitmap_region_bytes < MIRVOL_BITMAP_MIN_REGION ||
	     (c->bitmap_region_bytes & (c->bitmap_region_bytes - 1))))
		return BAD(&c->hdr, "CREATE: bad region size");
	if (c->pad || c->pad2 || !zero(c->reserved, sizeof(c->reserved)) ||
	    !zero(c->volume_uuid, sizeof(c->volume_uuid)) || c->op_id ||
	    c->dev_major || c->dev_minor || c->index)
		return BAD(&c->hdr, "CREATE: pad, reserved or out fields not zero");
	if (c->nr_plexes < 1 || c->nr_plexes > MIRVOL_MAX_PLEXES)
		return fail(&c->hdr, EINVAL, MIRVOL_R_TOO_MANY_PLEXES, NULL);
	for (i = 0; i < MIRVOL_MAX_PLEXES; i++) {
		if (i >= c->nr_plexes && c->plex_fds[i] != -1)
			return BAD(&c->hdr, "CREATE: plex_fds past nr_plexes not -1");
		if (i < c->nr_plexes && !fd_open(c->plex_fds[i]))
			return fail(&c->hdr, EBADF, MIRVOL_R_BAD_FD,
				    "CREATE: fd not open");
	}
	if (getenv("MIRVOL_FAKE_NOTBLK"))
		return fail(&c->hdr, ENOTBLK, MIRVOL_R_NOT_BLOCK_DEVICE, NULL);
	if (c->name[0] && !strcmp(c->name, "data"))
		return fail(&c->hdr, EEXIST, MIRVOL_R_NAME_EXISTS, NULL);
	if (!zero(c->name + strnlen(c->name, MIRVOL_NAME_LEN),
		  MIRVOL_NAME_LEN - strnlen(c->name, MIRVOL_NAME_LEN)))
		return BAD(&c->hdr, "CREATE: bytes after the name's NUL");
	if (getenv("MIRVOL_FAKE_SMALL"))
		return fail(&c->hdr, ENOSPC, MIRVOL_R_DEVICE_TOO_SMALL, NULL);
	if (c->hdr.flags & MIRVOL_CREATE_F_CHECK)
		return 0;
	if (!c->name[0])
		snprintf(c->name, sizeof(c->name), "%s", "mirvol2");
	uuid_fill(c->volume_uuid, 0xcc);
	c->dev_major = FAKE_MAJOR;
	c->dev_minor = 2;
	c->index = 2;
	c->op_id = c->hdr.flags & MIRVOL_CREATE_F_ASSUME_CLEAN ? 0 : 10;
	c->bitmap_region_bytes = c->hdr.flags & MIRVOL_CREATE_F_NO_BITMAP ? 0 :
				 c->bitmap_region_bytes ?: 65536;
	created = *c;
	return 0;
}

static int do_volume_ref(struct mirvol_volume_ref *r, bool stop)
{
	if ((stop && r->hdr.flags) ||
	    (r->hdr.flags & ~MIRVOL_REMOVE_F_KEEP_METADATA) ||
	    !zero(r->reserved, sizeof(r->reserved)))
		return BAD(&r->hdr, "REMOVE/STOP: flags or reserved");
	if (!is_vol(r->volume_uuid, 0xaa) && !is_vol(r->volume_uuid, 0xbb))
		return fail(&r->hdr, ENOENT, MIRVOL_R_OBJECT_NOT_FOUND, NULL);
	if (is_vol(r->volume_uuid, 0xaa))
		return fail(&r->hdr, EBUSY, MIRVOL_R_DEVICE_BUSY, NULL);
	return 0;
}

static int do_list(struct mirvol_list *l)
{
	u8 (*out)[MIRVOL_UUID_LEN] = (void *)(uintptr_t)l->uuids_ptr;

	if (l->hdr.flags || !zero(l->reserved, sizeof(l->reserved)) ||
	    l->count)
		return BAD(&l->hdr, "LIST: flags, count or reserved not zero");
	if (l->capacity && !out)
		return fail(&l->hdr, EFAULT, MIRVOL_R_INVALID_ARGUMENT, NULL);
	l->count = health("empty") ? 0 :
		   health("healthy") || health("failed") ? 1 : 2;
	if (l->capacity >= 1 && l->count >= 1)
		uuid_fill(out[0], 0xaa);
	if (l->capacity >= 2 && l->count >= 2)
		uuid_fill(out[1], 0xbb);
	return 0;
}

static int do_info(struct mirvol_info *i)
{
	struct mirvol_info in = *i;

	memset(in.volume_uuid, 0, sizeof(in.volume_uuid));
	in.hdr.reason = 0;
	if (!zero(&in, sizeof(in)))
		return BAD(&i->hdr, "INFO: fields other than volume_uuid set");
	if (fill_info(i))
		return fail(&i->hdr, ENOENT, MIRVOL_R_OBJECT_NOT_FOUND, NULL);
	return 0;
}

static int do_add(struct mirvol_add_plex *a)
{
	bool from = a->hdr.flags & MIRVOL_ADD_F_FROM_VOLUME;
	bool merge = a->hdr.flags & MIRVOL_ADD_F_MERGE;

	fake_log("ADD_PLEX flags=%#x fd=%s source=%02x", a->hdr.flags,
		 fd_str(a->fd), a->source_uuid[0]);
	if (a->hdr.flags & ~(MIRVOL_ADD_F_FROM_VOLUME | MIRVOL_ADD_F_MERGE |
			     MIRVOL_ADD_F_CHECK) ||
	    a->pad || a->op_id || !zero(a->reserved, sizeof(a->reserved)))
		return BAD(&a->hdr, "ADD_PLEX: flags, pad or reserved");
	if (merge && !from)
		return BAD(&a->hdr, "ADD_PLEX: MERGE without FROM_VOLUME");
	if (from && (a->hdr.flags & MIRVOL_ADD_F_CHECK))
		return BAD(&a->hdr, "ADD_PLEX: CHECK with FROM_VOLUME");
	/* "data" was split from "backup" only */
	if (merge && is_vol(a->source_uuid, 0xaa))
		return fail(&a->hdr, EINVAL, MIRVOL_R_NOT_SPLIT_PAIR, NULL);
	if (from && (a->fd != -1 || zero(a->source_uuid, MIRVOL_UUID_LEN)))
		return BAD(&a->hdr, "ADD_PLEX: FROM_VOLUME needs fd -1 and a source");
	if (!from && (!zero(a->source_uuid, MIRVOL_UUID_LEN) ||
		      !fd_open(a->fd)))
		return BAD(&a->hdr, "ADD_PLEX: source_uuid set or fd not open");
	if (!is_vol(a->volume_uuid, 0xaa))
		return fail(&a->hdr, EINVAL, MIRVOL_R_VOLUME_NOT_ONLINE, NULL);
	if (!from && getenv("MIRVOL_FAKE_SMALL"))
		return fail(&a->hdr, ENOSPC, MIRVOL_R_DEVICE_TOO_SMALL, NULL);
	if (a->hdr.flags & MIRVOL_ADD_F_CHECK)
		return 0;
	a->op_id = getenv("MIRVOL_FAKE_ADD_OP") ?
		   (u64)atoi(getenv("MIRVOL_FAKE_ADD_OP")) : 10;
	return 0;
}

static int do_sync_action(struct mirvol_sync_action *sa)
{
	bool force = sa->hdr.flags & MIRVOL_SYNC_F_FORCE;
	bool source = !zero(sa->source_uuid, MIRVOL_UUID_LEN);

	if (sa->hdr.flags & ~MIRVOL_SYNC_F_FORCE || sa->pad || sa->op_id ||
	    !zero(sa->reserved, sizeof(sa->reserved)))
		return BAD(&sa->hdr, "SYNC_ACTION: flags, pad, op_id or reserved");
	if (sa->action < MIRVOL_SYNC_RESYNC || sa->action > MIRVOL_SYNC_REPAIR)
		return BAD(&sa->hdr, "SYNC_ACTION: unknown action");
	if (force && sa->action != MIRVOL_SYNC_RESYNC)
		return BAD(&sa->hdr, "SYNC_ACTION: FORCE without RESYNC");
	if (source && sa->action != MIRVOL_SYNC_REPAIR)
		return BAD(&sa->hdr, "SYNC_ACTION: source_uuid without REPAIR");
	if (is_vol(sa->volume_uuid, 0xbb))
		return fail(&sa->hdr, EINVAL, MIRVOL_R_VOLUME_NOT_ONLINE, NULL);
	if (!is_vol(sa->volume_uuid, 0xaa))
		return fail(&sa->hdr, ENOENT, MIRVOL_R_OBJECT_NOT_FOUND, NULL);
	if (source && sa->source_uuid[0] == 0xc1)
		return fail(&sa->hdr, EINVAL, MIRVOL_R_PLEX_NOT_IN_SYNC, NULL);
	if (source && sa->source_uuid[0] != 0xc0)
		return fail(&sa->hdr, ENOENT, MIRVOL_R_OBJECT_NOT_FOUND, NULL);
	switch (sa->action) {
	case MIRVOL_SYNC_CHECK:
		sa->op_id = getenv("MIRVOL_FAKE_UNREADABLE") ? 19 : 12;
		break;
	case MIRVOL_SYNC_REPAIR:
		sa->op_id = getenv("MIRVOL_FAKE_UNREADABLE") ? 20 : 13;
		break;
	default:
		sa->op_id = force ? 15 : 14;
	}
	return 0;
}

static int check_plex_ref(struct mirvol_plex_ref *r, u32 flags_ok,
			  bool name_ok)
{
	if (r->hdr.flags & ~flags_ok || r->op_id ||
	    !zero(r->reserved, sizeof(r->reserved)) ||
	    !zero(r->new_volume_uuid, MIRVOL_UUID_LEN))
		return BAD(&r->hdr, "plex ref: flags, out or reserved fields");
	if (!name_ok && !zero(r->new_name, MIRVOL_NAME_LEN))
		return BAD(&r->hdr, "plex ref: new_name must be zero");
	if (!is_vol(r->volume_uuid, 0xaa))
		return fail(&r->hdr, ENOENT, MIRVOL_R_OBJECT_NOT_FOUND, NULL);
	if (r->plex_uuid[0] != 0xc0 && r->plex_uuid[0] != 0xc1)
		return fail(&r->hdr, ENOENT, MIRVOL_R_OBJECT_NOT_FOUND, NULL);
	return 0;
}

static int do_plex_cmd(unsigned int nr, struct mirvol_plex_ref *r)
{
	u32 f;

	switch (nr) {
	case 6:		/* BREAK_PLEX */
		fake_log("BREAK_PLEX flags=%#x plex=%02x name=%s", r->hdr.flags,
			 r->plex_uuid[0], r->new_name);
		if (check_plex_ref(r, MIRVOL_BREAK_F_TRACK_CHANGES, true))
			return -1;
		if (r->plex_uuid[0] == 0xc0)
			return fail(&r->hdr, EBUSY, MIRVOL_R_PLEX_IS_BOOT, NULL);
		if (!r->new_name[0])
			snprintf(r->new_name, sizeof(r->new_name), "%s", "data-plex1");
		uuid_fill(r->new_volume_uuid, 0xaa);
		r->op_id = 8;
		return 0;
	case 7:		/* REMOVE_PLEX */
		if (check_plex_ref(r, 0, false))
			return -1;
		r->op_id = 10;
		return 0;
	default:	/* SET_PLEX */
		if (check_plex_ref(r, MIRVOL_SET_PLEX_F_BOOT |
				   MIRVOL_SET_PLEX_F_NO_BOOT |
				   MIRVOL_SET_PLEX_F_WRITE_MOSTLY |
				   MIRVOL_SET_PLEX_F_NO_WRITE_MOSTLY, false))
			return -1;
		f = r->hdr.flags;
		if (!f || (f & 3) == 3 || (f & 12) == 12)
			return BAD(&r->hdr, "SET_PLEX: no flag, or both of a pair");
		fake_log("SET_PLEX flags=%#x plex=%02x", f, r->plex_uuid[0]);
		return 0;
	}
}

/*
 * PLEX_ACTION on "data": FAIL and OFFLINE refuse plex 0 (the only one in
 * sync), READD refuses it too (it is active); ONLINE, READD and REPLACE
 * start op 10, or MIRVOL_FAKE_ACTION_OP.
 */
static int do_plex_action(struct mirvol_plex_action *pa)
{
	const char *op = getenv("MIRVOL_FAKE_ACTION_OP");
	bool fd_ok;

	fake_log("PLEX_ACTION action=%u plex=%02x fd=%s", pa->action,
		 pa->plex_uuid[0], fd_str(pa->fd));
	if (pa->hdr.flags || pa->op_id || !zero(pa->reserved, sizeof(pa->reserved)))
		return BAD(&pa->hdr, "PLEX_ACTION: flags, op_id or reserved");
	switch (pa->action) {
	case MIRVOL_PLEX_FAIL:
	case MIRVOL_PLEX_TAKE_OFFLINE:
	case MIRVOL_PLEX_TAKE_ONLINE:
		fd_ok = pa->fd == -1;
		break;
	case MIRVOL_PLEX_READD:
		fd_ok = pa->fd == -1 || fd_open(pa->fd);
		break;
	case MIRVOL_PLEX_REPLACE:
		fd_ok = fd_open(pa->fd);
		break;
	default:
		return BAD(&pa->hdr, "PLEX_ACTION: unknown action");
	}
	if (!fd_ok)
		return BAD(&pa->hdr, "PLEX_ACTION: fd");
	if (!is_vol(pa->volume_uuid, 0xaa))
		return fail(&pa->hdr, ENOENT, MIRVOL_R_OBJECT_NOT_FOUND, NULL);
	if (pa->plex_uuid[0] != 0xc0 && pa->plex_uuid[0] != 0xc1)
		return fail(&pa->hdr, ENOENT, MIRVOL_R_OBJECT_NOT_FOUND, NULL);
	if (pa->plex_uuid[0] == 0xc0 &&
	    (pa->action == MIRVOL_PLEX_FAIL ||
	     pa->action == MIRVOL_PLEX_TAKE_OFFLINE))
		return fail(&pa->hdr, EBUSY, MIRVOL_R_REMAINING_PLEX_STALE, NULL);
	if (pa->plex_uuid[0] == 0xc0 && pa->action == MIRVOL_PLEX_READD)
		return fail(&pa->hdr, EINVAL, MIRVOL_R_INVALID_OPERATION, NULL);
	if (pa->action >= MIRVOL_PLEX_TAKE_ONLINE)
		pa->op_id = op ? strtoull(op, NULL, 10) : 10;
	return 0;
}

/* SET_VOLUME: "data" takes anything sane, "backup" is offline. */
static int do_set_volume(struct mirvol_set_volume *sv)
{
	u32 f = sv->hdr.flags;

	fake_log("SET_VOLUME flags=%#x bitmap=%u region=%llu min=%u max=%u",
		 f, sv->bitmap, (unsigned long long)sv->bitmap_region_bytes,
		 sv->sync_speed_min, sv->sync_speed_max);
	if (!f || f & ~(MIRVOL_SET_F_BITMAP | MIRVOL_SET_F_SPEED |
		       MIRVOL_SET_F_FORGET_SPLIT) || sv->pad ||
	    !zero(sv->reserved, sizeof(sv->reserved)))
		return BAD(&sv->hdr, "SET_VOLUME: flags, pad or reserved");
	if (sv->bitmap > 1 ||
	    (!(f & MIRVOL_SET_F_BITMAP) && sv->bitmap) ||
	    ((!(f & MIRVOL_SET_F_BITMAP) || !sv->bitmap) &&
	     sv->bitmap_region_bytes))
		return BAD(&sv->hdr, "SET_VOLUME: bitmap fields");
	if (!(f & MIRVOL_SET_F_SPEED) &&
	    (sv->sync_speed_min || sv->sync_speed_max))
		return BAD(&sv->hdr, "SET_VOLUME: speeds without SET_F_SPEED");
	if (is_vol(sv->volume_uuid, 0xbb))
		return fail(&sv->hdr, EINVAL, MIRVOL_R_VOLUME_NOT_ONLINE, NULL);
	if (!is_vol(sv->volume_uuid, 0xaa))
		return fail(&sv->hdr, ENOENT, MIRVOL_R_OBJECT_NOT_FOUND, NULL);
	return 0;
}

static void sleep_ms(u32 ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static int do_op(unsigned int nr, struct mirvol_op *op)
{
	struct mirvol_op_info scratch;

	if (op->hdr.flags || op->pad || (nr != 10 && op->timeout_ms) ||
	    !zero(&op->info, sizeof(op->info)))
		return BAD(&op->hdr, "OP: flags, pad, timeout or info not zero");
	if (op_info(op->op_id, &op->info))
		return fail(&op->hdr, ENOENT, MIRVOL_R_OBJECT_NOT_FOUND, NULL);
	if (nr == 10) {		/* OP_WAIT */
		if (op->info.state != MIRVOL_OPS_RUNNING)
			return 0;
		if (op->op_id == 10)
			op_info(11, &scratch);
		sleep_ms(op->timeout_ms < 50 ? op->timeout_ms : 50);
		op_info(op->op_id, &op->info);
		if (op->info.state != MIRVOL_OPS_RUNNING)
			return 0;
		return fail(&op->hdr, ETIMEDOUT, MIRVOL_R_TIMEOUT, NULL);
	}
	if (nr == 11) {		/* OP_CANCEL */
		if (op->info.state != MIRVOL_OPS_RUNNING)
			return fail(&op->hdr, EALREADY,
				    MIRVOL_R_CANCEL_TOO_LATE, NULL);
		op->info.state = MIRVOL_OPS_CANCELLED;
		op->info.reason = MIRVOL_R_OPERATION_CANCELED;
		op->info.error = ECANCELED;
	}
	return 0;
}

static int do_assemble(struct mirvol_assemble *a)
{
	struct mirvol_assemble_member *m = (void *)(uintptr_t)a->members_ptr;
	bool split = getenv("MIRVOL_FAKE_SPLIT") != NULL;
	bool pending = getenv("MIRVOL_FAKE_PENDING") != NULL;
	const char *refuse = getenv("MIRVOL_FAKE_REFUSE");
	u32 i, reason = refuse ? (u32)atoi(refuse) : 0;

	if (a->hdr.flags & ~(MIRVOL_ASSEMBLE_F_RUN |
			     MIRVOL_ASSEMBLE_F_INCREMENTAL) ||
	    a->pad || a->op_id || a->nr_started ||
	    !zero(a->reserved, sizeof(a->reserved)) ||
	    !zero(a->volume_uuid, MIRVOL_UUID_LEN) || a->volume_state)
		return BAD(&a->hdr, "ASSEMBLE: flags, pad, out or reserved");
	if (!a->nr_members || a->nr_members > MIRVOL_ASSEMBLE_MAX || !m ||
	    ((a->hdr.flags & MIRVOL_ASSEMBLE_F_INCREMENTAL) &&
	     a->nr_members != 1))
		return BAD(&a->hdr, "ASSEMBLE: nr_members");
	for (i = 0; i < a->nr_members; i++) {
		if (!fd_open(m[i].fd) || m[i].result || m[i].reason ||
		    m[i].plex_index || m[i].generation ||
		    !zero(m[i].volume_uuid, MIRVOL_UUID_LEN) ||
		    !zero(m[i].plex_uuid, MIRVOL_UUID_LEN))
			return BAD(&a->hdr, "ASSEMBLE: member fields");
		m[i].result = split ? MIRVOL_MEMBER_REFUSED :
				      MIRVOL_MEMBER_ACTIVE;
		m[i].reason = split ? MIRVOL_R_SPLIT_BRAIN : 0;
		m[i].plex_index = i;
		m[i].generation = split ? 5 + i : 12;
		uuid_fill(m[i].volume_uuid, 0xaa);
		uuid_fill(m[i].plex_uuid, (u8)(0xc0 + i));
		if (pending) {
			m[i].result = MIRVOL_MEMBER_PENDING;
			m[i].reason = a->hdr.flags &
				      MIRVOL_ASSEMBLE_F_INCREMENTAL ? 0 :
				      MIRVOL_R_VOLUME_INCOMPLETE;
			uuid_fill(m[i].volume_uuid, 0xbb);
		} else if (refuse) {
			m[i].result = MIRVOL_MEMBER_REFUSED;
			m[i].reason = i ? reason : MIRVOL_R_NOT_A_MEMBER;
			uuid_fill(m[i].volume_uuid, i ? 0xdd : 0);
			if (!i) {
				m[i].plex_index = 0;
				m[i].generation = 0;
				uuid_fill(m[i].plex_uuid, 0);
			}
		}
	}
	uuid_fill(a->volume_uuid, pending ? 0xbb : refuse ? 0xdd : 0xaa);
	if (split)
		return fail(&a->hdr, EINVAL, MIRVOL_R_SPLIT_BRAIN, NULL);
	if (refuse)
		return fail(&a->hdr, EINVAL, reason, NULL);
	if (pending) {
		a->volume_state = MIRVOL_VOLUME_OFFLINE;
		if (a->hdr.flags & MIRVOL_ASSEMBLE_F_INCREMENTAL)
			return 0;
		return fail(&a->hdr, EINVAL, MIRVOL_R_VOLUME_INCOMPLETE, NULL);
	}
	a->nr_started = 1;
	a->volume_state = MIRVOL_VOLUME_ONLINE;
	return 0;
}

static int do_rename(struct mirvol_rename *r)
{
	if (r->hdr.flags || !zero(r->reserved, sizeof(r->reserved)))
		return BAD(&r->hdr, "RENAME: flags or reserved");
	if (!is_vol(r->volume_uuid, 0xaa) && !is_vol(r->volume_uuid, 0xbb))
		return fail(&r->hdr, ENOENT, MIRVOL_R_OBJECT_NOT_FOUND, NULL);
	if (!strcmp(r->name, "backup") || !strcmp(r->name, "data"))
		return fail(&r->hdr, EEXIST, MIRVOL_R_NAME_EXISTS, NULL);
	return 0;
}

/* MIRVOL_FAKE_FAIL=NR:ERRNO:REASON */
static int forced_failure(unsigned int nr, struct mirvol_ioc_header *hdr)
{
	const char *f = getenv("MIRVOL_FAKE_FAIL");
	unsigned int n, e, r;

	if (!f || sscanf(f, "%u:%u:%u", &n, &e, &r) != 3 || n != nr)
		return 0;
	return fail(hdr, (int)e, r, NULL);
}

static int fake(unsigned long req, void *arg)
{
	unsigned int nr = _IOC_NR(req);

	if (forced_failure(nr, arg))
		return -1;
	switch (req) {
	case MIRVOL_IOC_VERSION:	return do_version(arg);
	case MIRVOL_IOC_CREATE:		return do_create(arg);
	case MIRVOL_IOC_REMOVE:		return do_volume_ref(arg, false);
	case MIRVOL_IOC_STOP:		return do_volume_ref(arg, true);
	case MIRVOL_IOC_LIST:		return do_list(arg);
	case MIRVOL_IOC_INFO:		return do_info(arg);
	case MIRVOL_IOC_ADD_PLEX:	return do_add(arg);
	case MIRVOL_IOC_BREAK_PLEX:
	case MIRVOL_IOC_REMOVE_PLEX:
	case MIRVOL_IOC_SET_PLEX:	return do_plex_cmd(nr, arg);
	case MIRVOL_IOC_OP_STATUS:
	case MIRVOL_IOC_OP_WAIT:
	case MIRVOL_IOC_OP_CANCEL:	return do_op(nr, arg);
	case MIRVOL_IOC_ASSEMBLE:	return do_assemble(arg);
	case MIRVOL_IOC_RENAME:		return do_rename(arg);
	case MIRVOL_IOC_SYNC_ACTION:	return do_sync_action(arg);
	case MIRVOL_IOC_PLEX_ACTION:	return do_plex_action(arg);
	case MIRVOL_IOC_SET_VOLUME:	return do_set_volume(arg);
	}
	errno = ENOTTY;
	return -1;
}

int ioctl(int fd, unsigned long req, ...)
{
	static int (*real)(int, unsigned long, ...);
	va_list ap;
	void *arg;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (_IOC_TYPE(req) == MIRVOL_IOC_MAGIC)
		return fake(req, arg);
	if (!real)
		real = (int (*)(int, unsigned long, ...))dlsym(RTLD_NEXT,
							       "ioctl");
	if (!real) {
		errno = ENOSYS;
		return -1;
	}
	return real(fd, req, arg);
}

/* MIRVOL_FAKE_BUSY=PATH: an exclusive open of PATH finds it held. */
static int busy_open(const char *path, int flags)
{
	const char *busy = getenv("MIRVOL_FAKE_BUSY");

	if (busy && (flags & O_EXCL) && !(flags & O_CREAT) &&
	    !strcmp(path, busy)) {
		errno = EBUSY;
		return -1;
	}
	return 0;
}

int open(const char *path, int flags, ...)
{
	static int (*real)(const char *, int, ...);
	mode_t mode = 0;
	va_list ap;

	if (busy_open(path, flags))
		return -1;
	if (flags & (O_CREAT | O_TMPFILE)) {
		va_start(ap, flags);
		mode = va_arg(ap, mode_t);
		va_end(ap);
	}
	if (!real)
		real = (int (*)(const char *, int, ...))dlsym(RTLD_NEXT, "open");
	return real(path, flags, mode);
}

int open64(const char *path, int flags, ...)
{
	static int (*real)(const char *, int, ...);
	mode_t mode = 0;
	va_list ap;

	if (busy_open(path, flags))
		return -1;
	if (flags & (O_CREAT | O_TMPFILE)) {
		va_start(ap, flags);
		mode = va_arg(ap, mode_t);
		va_end(ap);
	}
	if (!real)
		real = (int (*)(const char *, int, ...))dlsym(RTLD_NEXT, "open64");
	return real(path, flags, mode);
}
