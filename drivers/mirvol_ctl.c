// SPDX-License-Identifier: GPL-2.0
/*
 * mirvol control device: /dev/mirvol-control.
 *
 * One handler per command, as ublk's control plane: copy the argument
 * in, validate every field (flags, padding, reserved, strings, counts)
 * before doing anything, call the volume operation, copy the result out.
 * Everything below returns a reason code; the errno is derived from it
 * here, once (mirvol_reason_errno()), and the reason is written back
 * whenever the argument could be read.  An argument that cannot be
 * written back fails before anything is done (mirvol_copy_in()); a
 * buffer it points to that cannot be read or written fails with EFAULT
 * and INVALID_ARGUMENT (mirvol_fault()).  CAP_SYS_ADMIN only.
 *
 * Copyright (C) 2026 The mirvol authors
 */
#include <linux/capability.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "mirvol_core.h"

#define MIRVOL_FEATURES	(MIRVOL_FEAT_CREATE | MIRVOL_FEAT_OPS | \
			 MIRVOL_FEAT_BREAK_PLEX | MIRVOL_FEAT_ADD_PLEX | \
			 MIRVOL_FEAT_METADATA | MIRVOL_FEAT_ASSEMBLE | \
			 MIRVOL_FEAT_RENAME | MIRVOL_FEAT_SYNC_ACTION | \
			 MIRVOL_FEAT_BITMAP | MIRVOL_FEAT_PLEX_ACTION | \
			 MIRVOL_FEAT_WRITE_MOSTLY | \
			 MIRVOL_FEAT_MERGE | MIRVOL_FEAT_OP_LIST | \
			 MIRVOL_FEAT_CHECK)

/*
 * Copy a reply back; every argument struct starts with the header, whose
 * reason is set from @reason.  Returns the errno of @reason, or -EFAULT.
 */
static int mirvol_reply(void __user *argp, void *karg, size_t size,
			enum mirvol_reason reason)
{
	struct mirvol_ioc_header *hdr = karg;

	hdr->reason = reason;
	if (copy_to_user(argp, karg, size))
		return -EFAULT;
	return mirvol_reason_errno(reason);
}

#define MIRVOL_REPLY(argp, karg, reason) \
	mirvol_reply(argp, &(karg), sizeof(karg), reason)

/*
 * Copy the argument in, and back out as it is, before anything is done:
 * an argument that can be read but not written (a read-only mapping)
 * fails here with -EFAULT, not after the change it asks for (a reply
 * that cannot be written would tell the caller it failed).  When only
 * its header can be written, INVALID_ARGUMENT goes there.
 */
static int mirvol_copy_in(void *karg, void __user *argp, size_t size)
{
	struct mirvol_ioc_header __user *hdr = argp;

	if (copy_from_user(karg, argp, size))
		return -EFAULT;
	if (copy_to_user(argp, karg, size)) {
		put_user(MIRVOL_R_INVALID_ARGUMENT, &hdr->reason);
		return -EFAULT;
	}
	return 0;
}

#define MIRVOL_COPY_IN(karg, argp) mirvol_copy_in(&(karg), argp, sizeof(karg))

/*
 * A buffer the argument points to cannot be read or written: -EFAULT,
 * and INVALID_ARGUMENT in the reply, as for any field that is wrong.
 */
static int mirvol_fault(void __user *argp, void *karg, size_t size)
{
	mirvol_reply(argp, karg, size, MIRVOL_R_INVALID_ARGUMENT);
	return -EFAULT;
}

#define MIRVOL_FAULT(argp, karg) mirvol_fault(argp, &(karg), sizeof(karg))

#define MIRVOL_ZERO(field) mirvol_mem_is_zero(&(field), sizeof(field))

static int mirvol_ctl_version(void __user *argp)
{
	struct mirvol_version v;

	if (MIRVOL_COPY_IN(v, argp))
		return -EFAULT;
	if (v.hdr.flags || !MIRVOL_ZERO(v.reserved))
		return MIRVOL_REPLY(argp, v, MIRVOL_R_INVALID_ARGUMENT);
	v.abi_major = MIRVOL_ABI_MAJOR;
	v.abi_minor = MIRVOL_ABI_MINOR;
	v.features = MIRVOL_FEATURES;
	v.max_plexes = MIRVOL_MAX_PLEXES;
	v.nr_volumes = mirvol_list(NULL, 0);
	return MIRVOL_REPLY(argp, v, MIRVOL_R_NONE);
}

/*
 * CREATE over the devices @files, its argument @c checked: makes the
 * volume and fills @c's outputs.  MIRVOL_CREATE_F_CHECK: makes nothing,
 * fills only bitmap_region_bytes.
 */
MIRVOL_VISIBLE_IF_KUNIT enum mirvol_reason
mirvol_ctl_create_files(struct mirvol_create *c, struct file **files)
{
	enum mirvol_reason reason;
	struct mirvol_volume *vol;
	u64 op_id = 0;

	/*
	 * The name comes back before the volume can be found: a RENAME
	 * of it may run from then on, and vol->name is not read here.
	 */
	reason = mirvol_volume_create(c->name, files, c->nr_plexes,
				      c->hdr.flags, &c->bitmap_region_bytes,
				      &op_id, c->name, &vol);
	if (reason || (c->hdr.flags & MIRVOL_CREATE_F_CHECK))
		return reason;
	MIRVOL_KUNIT_HOOK(mirvol_kunit_created_hook, vol);
	memcpy(c->volume_uuid, &vol->uuid, MIRVOL_UUID_LEN);
	c->dev_major = mirvol_major;
	c->dev_minor = vol->id * MIRVOL_MINORS;
	c->index = vol->id;
	c->op_id = op_id;
	mirvol_volume_put(vol);
	return MIRVOL_R_NONE;
}

static int mirvol_ctl_create(void __user *argp)
{
	struct file *files[MIRVOL_MAX_PLEXES] = {};
	enum mirvol_reason reason;
	struct mirvol_create c;
	unsigned int i;

	if (MIRVOL_COPY_IN(c, argp))
		return -EFAULT;
	reason = mirvol_check_create(&c);
	if (reason)
		return MIRVOL_REPLY(argp, c, reason);
	for (i = 0; i < c.nr_plexes && !reason; i++) {
		files[i] = fget(c.plex_fds[i]);
		if (!files[i])
			reason = MIRVOL_R_BAD_FD;
	}
	if (!reason)
		reason = mirvol_ctl_create_files(&c, files);
	for (i = 0; i < c.nr_plexes; i++)
		if (files[i])
			fput(files[i]);
	return MIRVOL_REPLY(argp, c, reason);
}

static int mirvol_ctl_remove(void __user *argp, bool stop)
{
	struct mirvol_volume_ref r;
	struct mirvol_volume *vol;
	enum mirvol_reason reason;
	u32 allowed = stop ? 0 : MIRVOL_REMOVE_F_KEEP_METADATA;

	if (MIRVOL_COPY_IN(r, argp))
		return -EFAULT;
	if ((r.hdr.flags & ~allowed) || !MIRVOL_ZERO(r.reserved))
		return MIRVOL_REPLY(argp, r, MIRVOL_R_INVALID_ARGUMENT);
	vol = mirvol_lookup(r.volume_uuid);
	if (!vol)
		return MIRVOL_REPLY(argp, r, MIRVOL_R_OBJECT_NOT_FOUND);
	reason = mirvol_volume_teardown(vol, !stop &&
					!(r.hdr.flags &
					  MIRVOL_REMOVE_F_KEEP_METADATA));
	mirvol_volume_put(vol);
	return MIRVOL_REPLY(argp, r, reason);
}

static int mirvol_ctl_list(void __user *argp)
{
	struct mirvol_list l;
	u8 *uuids = NULL;
	unsigned int cap;

	if (MIRVOL_COPY_IN(l, argp))
		return -EFAULT;
	if (l.hdr.flags || !MIRVOL_ZERO(l.reserved) ||
	    (l.capacity && !l.uuids_ptr))
		return MIRVOL_REPLY(argp, l, MIRVOL_R_INVALID_ARGUMENT);
	/* No more than can exist: volumes hold minors. */
	cap = min_t(u32, l.capacity, (MINORMASK + 1) / MIRVOL_MINORS);
	if (cap) {
		uuids = kcalloc(cap, MIRVOL_UUID_LEN, GFP_KERNEL);
		if (!uuids)
			return MIRVOL_REPLY(argp, l, MIRVOL_R_NO_MEMORY);
	}
	l.count = mirvol_list(uuids, cap);
	if (uuids && copy_to_user(u64_to_user_ptr(l.uuids_ptr), uuids,
				  (size_t)min(l.count, cap) * MIRVOL_UUID_LEN)) {
		kfree(uuids);
		return MIRVOL_FAULT(argp, l);
	}
	kfree(uuids);
	return MIRVOL_REPLY(argp, l, MIRVOL_R_NONE);
}

static int mirvol_ctl_op_list(void __user *argp)
{
	struct mirvol_op_list l;
	u64 *ids = NULL;
	unsigned int cap;

	if (MIRVOL_COPY_IN(l, argp))
		return -EFAULT;
	if (l.hdr.flags || !MIRVOL_ZERO(l.reserved) ||
	    (l.capacity && !l.ids_ptr))
		return MIRVOL_REPLY(argp, l, MIRVOL_R_INVALID_ARGUMENT);
	/* Running ones hold a volume each; ended ones are few. */
	cap = min_t(u32, l.capacity, 4096);
	if (cap) {
		ids = kcalloc(cap, sizeof(*ids), GFP_KERNEL);
		if (!ids)
			return MIRVOL_REPLY(argp, l, MIRVOL_R_NO_MEMORY);
	}
	l.count = mirvol_op_list(ids, cap);
	if (ids && copy_to_user(u64_to_user_ptr(l.ids_ptr), ids,
				(size_t)min(l.count, cap) * sizeof(*ids))) {
		kfree(ids);
		return MIRVOL_FAULT(argp, l);
	}
	kfree(ids);
	return MIRVOL_REPLY(argp, l, MIRVOL_R_NONE);
}

static void mirvol_fill_plex_info(struct mirvol_volume *vol,
				  struct mirvol_plex *plex,
				  struct mirvol_plex_info *pi)
{
	unsigned int state = READ_ONCE(plex->state);

	memcpy(pi->uuid, &plex->uuid, MIRVOL_UUID_LEN);
	pi->index = plex->index;
	pi->state = state;
	pi->flags = plex->boot ? MIRVOL_PLEX_F_BOOT : 0;
	if (READ_ONCE(plex->write_mostly))
		pi->flags |= MIRVOL_PLEX_F_WRITE_MOSTLY;
	if (state == MIRVOL_PLEX_SYNCING && READ_ONCE(plex->partial))
		pi->flags |= MIRVOL_PLEX_F_BITMAP_SYNC;
	if (plex->bdev) {
		pi->dev_major = MAJOR(plex->devt);
		pi->dev_minor = MINOR(plex->devt);
	}
	pi->dev_size_bytes = (u64)plex->dev_sectors << SECTOR_SHIFT;
	pi->data_offset_bytes = (u64)plex->data_offset << SECTOR_SHIFT;
	pi->sync_bytes = (u64)(state == MIRVOL_PLEX_ACTIVE ? vol->size :
			       state == MIRVOL_PLEX_SYNCING ?
			       min(READ_ONCE(plex->sync_offset), vol->size) :
			       0) << SECTOR_SHIFT;
	pi->read_errors = mirvol_plex_read_errors(plex);
	pi->corrected_read_errors = atomic64_read(&plex->corrected_read_errors);
	pi->write_errors = atomic64_read(&plex->write_errors);
	pi->read_ios = atomic64_read(&plex->read_ios);
	pi->write_ios = atomic64_read(&plex->write_ios);
}

/*
 * The newest superblock among the members a volume waiting in assembly
 * holds (not started), or NULL.  vol->lock held.
 */
static const struct mirvol_md *mirvol_waiting_md(struct mirvol_volume *vol)
{
	const struct mirvol_md *newest = NULL;
	unsigned int i;

	if (test_bit(MIRVOL_VOL_STARTED, &vol->flags))
		return NULL;
	for (i = 0; i < MIRVOL_MAX_PLEXES; i++) {
		const struct mirvol_plex *plex = vol->plexes[i];

		if (plex && plex->md &&
		    (!newest || plex->md->generation > newest->generation))
			newest = plex->md;
	}
	return newest;
}

/*
 * A plex a waiting volume expects (its newest member's superblock lists
 * it) but does not hold: reported missing, without a device; or offline,
 * as it will start (mirvol_assemble_plan()).
 */
static void mirvol_fill_expected(const struct mirvol_md *md, unsigned int i,
				 struct mirvol_plex_info *pi)
{
	memcpy(pi->uuid, md->plexes[i].uuid, MIRVOL_UUID_LEN);
	pi->index = i;
	pi->state = md->plexes[i].state == MIRVOL_PLEX_OFFLINE ?
		    MIRVOL_PLEX_OFFLINE : MIRVOL_PLEX_MISSING;
	pi->data_offset_bytes = md->data_offset << SECTOR_SHIFT;
}

/*
 * Every plex of @vol.  A volume waiting in assembly holds only the members
 * that came; the plexes the newest of them lists and that did not come
 * are reported missing, so that present/expected can be counted.
 */
static void mirvol_fill_info(struct mirvol_volume *vol,
			     struct mirvol_info *info)
{
	const struct mirvol_md *waiting;
	unsigned long flags;
	unsigned int i, n = 0;

	memset(info, 0, sizeof(*info));
	memcpy(info->volume_uuid, &vol->uuid, MIRVOL_UUID_LEN);
	mutex_lock(&vol->lock);
	spin_lock_irqsave(&vol->state_lock, flags);
	strscpy(info->name, vol->name, sizeof(info->name));
	info->state = vol->state;
	spin_unlock_irqrestore(&vol->state_lock, flags);
	if (test_bit(MIRVOL_VOL_DIRTY, &vol->flags))
		info->flags |= MIRVOL_VOLUME_F_DIRTY;
	info->index = (u32)-1;
	if (test_bit(MIRVOL_VOL_STARTED, &vol->flags)) {
		info->dev_major = mirvol_major;
		info->dev_minor = vol->id * MIRVOL_MINORS;
		info->index = vol->id;
	}
	info->size_bytes = (u64)vol->size << SECTOR_SHIFT;
	info->generation = vol->generation;
	info->op_id = READ_ONCE(vol->op_id);
	info->sync_speed_min = READ_ONCE(vol->sync_speed_min);
	info->sync_speed_max = READ_ONCE(vol->sync_speed_max);
	info->mismatch_sectors = READ_ONCE(vol->mismatch_sectors);
	if (vol->bitmap) {
		info->bitmap_region_bytes =
			(u64)mirvol_bitmap_region_sectors(vol->bitmap) <<
			SECTOR_SHIFT;
		info->bitmap_dirty_regions = mirvol_bitmap_weight(vol->bitmap);
	}
	if (vol->split_generation)
		memcpy(info->split_peer_uuid, &vol->split_peer,
		       MIRVOL_UUID_LEN);
	waiting = mirvol_waiting_md(vol);
	for (i = 0; i < MIRVOL_MAX_PLEXES; i++) {
		if (vol->plexes[i])
			mirvol_fill_plex_info(vol, vol->plexes[i],
					      &info->plexes[n++]);
		else if (waiting &&
			 waiting->plexes[i].state != MIRVOL_PLEX_NONE)
			mirvol_fill_expected(waiting, i, &info->plexes[n++]);
	}
	info->nr_plexes = n;
	mutex_unlock(&vol->lock);
}

static int mirvol_ctl_info(void __user *argp)
{
	enum mirvol_reason reason = MIRVOL_R_NONE;
	struct mirvol_volume *vol;
	struct mirvol_info *info;
	int ret;

	info = kmalloc(sizeof(*info), GFP_KERNEL);
	if (!info)
		return -ENOMEM;
	if (mirvol_copy_in(info, argp, sizeof(*info))) {
		kfree(info);
		return -EFAULT;
	}
	if (info->hdr.flags || !MIRVOL_ZERO(info->reserved)) {
		reason = MIRVOL_R_INVALID_ARGUMENT;
	} else {
		vol = mirvol_lookup(info->volume_uuid);
		if (vol) {
			/* Everything but the volume asked for is output. */
			mirvol_fill_info(vol, info);
			mirvol_volume_put(vol);
		} else {
			reason = MIRVOL_R_OBJECT_NOT_FOUND;
		}
	}
	ret = mirvol_reply(argp, info, sizeof(*info), reason);
	kfree(info);
	return ret;
}

static int mirvol_ctl_add_plex(void __user *argp)
{
	enum mirvol_reason reason = MIRVOL_R_NONE;
	struct mirvol_volume *vol, *src = NULL;
	struct file *file = NULL;
	struct mirvol_add_plex a;
	bool from_volume, merge, check;
	u64 op_id = 0;

	if (MIRVOL_COPY_IN(a, argp))
		return -EFAULT;
	from_volume = a.hdr.flags & MIRVOL_ADD_F_FROM_VOLUME;
	merge = a.hdr.flags & MIRVOL_ADD_F_MERGE;
	check = a.hdr.flags & MIRVOL_ADD_F_CHECK;
	if ((a.hdr.flags & ~(MIRVOL_ADD_F_FROM_VOLUME | MIRVOL_ADD_F_MERGE |
			     MIRVOL_ADD_F_CHECK)) ||
	    (merge && !from_volume) || (check && from_volume) || a.pad ||
	    !MIRVOL_ZERO(a.reserved) ||
	    (from_volume && (a.fd != -1 || MIRVOL_ZERO(a.source_uuid))) ||
	    (!from_volume && !MIRVOL_ZERO(a.source_uuid)))
		return MIRVOL_REPLY(argp, a, MIRVOL_R_INVALID_ARGUMENT);
	if (!from_volume && a.fd < 0)
		return MIRVOL_REPLY(argp, a, MIRVOL_R_BAD_FD);

	vol = mirvol_lookup(a.volume_uuid);
	if (!vol)
		return MIRVOL_REPLY(argp, a, MIRVOL_R_OBJECT_NOT_FOUND);
	if (from_volume) {
		src = mirvol_lookup(a.source_uuid);
		if (!src)
			reason = MIRVOL_R_OBJECT_NOT_FOUND;
	} else {
		file = fget(a.fd);
		if (!file)
			reason = MIRVOL_R_BAD_FD;
	}
	if (!reason && check)
		reason = mirvol_add_plex_check(vol, file);
	else if (!reason)
		reason = mirvol_add_plex(vol, file, src, merge, &op_id);
	a.op_id = op_id;
	if (file)
		fput(file);
	if (src)
		mirvol_volume_put(src);
	mirvol_volume_put(vol);
	return MIRVOL_REPLY(argp, a, reason);
}

/* SET_PLEX flags: at least one, never both of a pair. */
static bool mirvol_set_plex_flags_ok(u32 flags)
{
	u32 boot = MIRVOL_SET_PLEX_F_BOOT | MIRVOL_SET_PLEX_F_NO_BOOT;
	u32 wm = MIRVOL_SET_PLEX_F_WRITE_MOSTLY |
		 MIRVOL_SET_PLEX_F_NO_WRITE_MOSTLY;

	return flags && (flags & boot) != boot && (flags & wm) != wm;
}

static int mirvol_ctl_plex(void __user *argp, unsigned int cmd)
{
	enum mirvol_reason reason;
	struct mirvol_volume *vol;
	struct mirvol_plex_ref r;
	u32 allowed = 0;
	uuid_t new_uuid;
	u64 op_id = 0;

	if (MIRVOL_COPY_IN(r, argp))
		return -EFAULT;
	if (cmd == MIRVOL_IOC_SET_PLEX)
		allowed = MIRVOL_SET_PLEX_F_BOOT | MIRVOL_SET_PLEX_F_NO_BOOT |
			  MIRVOL_SET_PLEX_F_WRITE_MOSTLY |
			  MIRVOL_SET_PLEX_F_NO_WRITE_MOSTLY;
	else if (cmd == MIRVOL_IOC_BREAK_PLEX)
		allowed = MIRVOL_BREAK_F_TRACK_CHANGES;
	if ((r.hdr.flags & ~allowed) || !MIRVOL_ZERO(r.reserved) ||
	    (cmd == MIRVOL_IOC_SET_PLEX && !mirvol_set_plex_flags_ok(r.hdr.flags)) ||
	    (cmd != MIRVOL_IOC_BREAK_PLEX && !MIRVOL_ZERO(r.new_name)) ||
	    (cmd == MIRVOL_IOC_BREAK_PLEX && r.new_name[0] &&
	     !mirvol_name_new_valid(r.new_name, sizeof(r.new_name))))
		return MIRVOL_REPLY(argp, r, MIRVOL_R_INVALID_ARGUMENT);
	vol = mirvol_lookup(r.volume_uuid);
	if (!vol)
		return MIRVOL_REPLY(argp, r, MIRVOL_R_OBJECT_NOT_FOUND);

	switch (cmd) {
	case MIRVOL_IOC_BREAK_PLEX:
		reason = mirvol_break_plex(vol, r.plex_uuid, r.new_name,
					   r.hdr.flags &
					   MIRVOL_BREAK_F_TRACK_CHANGES,
					   &new_uuid, r.new_name, &op_id);
		if (!reason)
			memcpy(r.new_volume_uuid, &new_uuid, MIRVOL_UUID_LEN);
		break;
	case MIRVOL_IOC_REMOVE_PLEX:
		reason = mirvol_remove_plex(vol, r.plex_uuid, &op_id);
		break;
	default:
		reason = mirvol_set_plex(vol, r.plex_uuid, r.hdr.flags);
		break;
	}
	mirvol_volume_put(vol);
	r.op_id = op_id;
	return MIRVOL_REPLY(argp, r, reason);
}

static int mirvol_ctl_op(void __user *argp, unsigned int cmd)
{
	enum mirvol_reason reason = MIRVOL_R_NONE;
	struct mirvol_operation *op;
	struct mirvol_op o;

	if (MIRVOL_COPY_IN(o, argp))
		return -EFAULT;
	if (o.hdr.flags || o.pad ||
	    (cmd != MIRVOL_IOC_OP_WAIT && o.timeout_ms))
		return MIRVOL_REPLY(argp, o, MIRVOL_R_INVALID_ARGUMENT);
	switch (cmd) {
	case MIRVOL_IOC_OP_STATUS:
		op = mirvol_op_get_by_id(o.op_id);
		if (!op) {
			reason = MIRVOL_R_OBJECT_NOT_FOUND;
			memset(&o.info, 0, sizeof(o.info));
			break;
		}
		mirvol_op_fill(op, &o.info);
		mirvol_op_put(op);
		break;
	case MIRVOL_IOC_OP_WAIT:
		memset(&o.info, 0, sizeof(o.info));
		reason = mirvol_op_wait(o.op_id, o.timeout_ms, &o.info);
		break;
	default:
		memset(&o.info, 0, sizeof(o.info));
		reason = mirvol_op_cancel(o.op_id, &o.info);
		break;
	}
	return MIRVOL_REPLY(argp, o, reason);
}

static int mirvol_ctl_assemble(void __user *argp)
{
	struct mirvol_assemble_member *members;
	u32 allowed = MIRVOL_ASSEMBLE_F_RUN | MIRVOL_ASSEMBLE_F_INCREMENTAL;
	enum mirvol_reason reason;
	struct mirvol_assemble a;
	size_t size;

	if (MIRVOL_COPY_IN(a, argp))
		return -EFAULT;
	if ((a.hdr.flags & ~allowed) || a.pad || !MIRVOL_ZERO(a.reserved) ||
	    !a.nr_members || a.nr_members > MIRVOL_ASSEMBLE_MAX ||
	    ((a.hdr.flags & MIRVOL_ASSEMBLE_F_INCREMENTAL) &&
	     a.nr_members != 1) || !a.members_ptr)
		return MIRVOL_REPLY(argp, a, MIRVOL_R_INVALID_ARGUMENT);
	size = a.nr_members * sizeof(*members);
	members = memdup_user(u64_to_user_ptr(a.members_ptr), size);
	if (IS_ERR(members)) {
		if (PTR_ERR(members) == -ENOMEM)
			return MIRVOL_REPLY(argp, a, MIRVOL_R_NO_MEMORY);
		/* A bad pointer is EFAULT, as for the argument itself. */
		return MIRVOL_FAULT(argp, a);
	}
	/* Where the results go must take them, before any member is used. */
	if (copy_to_user(u64_to_user_ptr(a.members_ptr), members, size)) {
		kfree(members);
		return MIRVOL_FAULT(argp, a);
	}
	memset(a.volume_uuid, 0, sizeof(a.volume_uuid));
	a.volume_state = 0;
	a.nr_started = 0;
	a.op_id = 0;
	reason = mirvol_assemble(members, a.nr_members, a.hdr.flags, &a);
	/*
	 * Writable a moment ago: only a caller changing its mapping meanwhile
	 * gets here, told what was done all the same.
	 */
	if (copy_to_user(u64_to_user_ptr(a.members_ptr), members, size)) {
		kfree(members);
		MIRVOL_REPLY(argp, a, reason);
		return -EFAULT;
	}
	kfree(members);
	return MIRVOL_REPLY(argp, a, reason);
}

static int mirvol_ctl_rename(void __user *argp)
{
	enum mirvol_reason reason;
	struct mirvol_volume *vol;
	struct mirvol_rename r;

	if (MIRVOL_COPY_IN(r, argp))
		return -EFAULT;
	if (r.hdr.flags || !MIRVOL_ZERO(r.reserved) ||
	    !mirvol_name_new_valid(r.name, sizeof(r.name)))
		return MIRVOL_REPLY(argp, r, MIRVOL_R_INVALID_ARGUMENT);
	vol = mirvol_lookup(r.volume_uuid);
	if (!vol)
		return MIRVOL_REPLY(argp, r, MIRVOL_R_OBJECT_NOT_FOUND);
	reason = mirvol_volume_rename(vol, r.name);
	mirvol_volume_put(vol);
	return MIRVOL_REPLY(argp, r, reason);
}

static int mirvol_ctl_sync_action(void __user *argp)
{
	enum mirvol_reason reason;
	struct mirvol_sync_action a;
	struct mirvol_volume *vol;
	bool repair_source;
	u64 op_id = 0;

	if (MIRVOL_COPY_IN(a, argp))
		return -EFAULT;
	repair_source = a.action == MIRVOL_SYNC_REPAIR &&
			!MIRVOL_ZERO(a.source_uuid);
	if ((a.hdr.flags & ~MIRVOL_SYNC_F_FORCE) || a.pad ||
	    !MIRVOL_ZERO(a.reserved) ||
	    a.action < MIRVOL_SYNC_RESYNC || a.action > MIRVOL_SYNC_REPAIR ||
	    (a.hdr.flags && a.action != MIRVOL_SYNC_RESYNC) ||
	    (!repair_source && !MIRVOL_ZERO(a.source_uuid)))
		return MIRVOL_REPLY(argp, a, MIRVOL_R_INVALID_ARGUMENT);
	vol = mirvol_lookup(a.volume_uuid);
	if (!vol)
		return MIRVOL_REPLY(argp, a, MIRVOL_R_OBJECT_NOT_FOUND);
	if (a.action == MIRVOL_SYNC_RESYNC)
		reason = mirvol_resync_start(vol, a.hdr.flags &
					     MIRVOL_SYNC_F_FORCE, &op_id);
	else
		reason = mirvol_scrub_start(vol, a.action == MIRVOL_SYNC_REPAIR,
					    repair_source ? a.source_uuid : NULL,
					    &op_id);
	mirvol_volume_put(vol);
	a.op_id = op_id;
	return MIRVOL_REPLY(argp, a, reason);
}

static int mirvol_ctl_plex_action(void __user *argp)
{
	struct mirvol_plex_action a;
	enum mirvol_reason reason;
	struct mirvol_volume *vol;
	u64 op_id = 0;

	if (MIRVOL_COPY_IN(a, argp))
		return -EFAULT;
	a.op_id = 0;
	if (a.hdr.flags || !MIRVOL_ZERO(a.reserved) || a.fd < -1 ||
	    a.action < MIRVOL_PLEX_FAIL || a.action > MIRVOL_PLEX_REPLACE ||
	    (a.fd >= 0 && a.action != MIRVOL_PLEX_READD &&
	     a.action != MIRVOL_PLEX_REPLACE) ||
	    (a.fd < 0 && a.action == MIRVOL_PLEX_REPLACE))
		return MIRVOL_REPLY(argp, a, MIRVOL_R_INVALID_ARGUMENT);
	vol = mirvol_lookup(a.volume_uuid);
	if (!vol)
		return MIRVOL_REPLY(argp, a, MIRVOL_R_OBJECT_NOT_FOUND);
	reason = mirvol_plex_action(vol, a.plex_uuid, a.action, a.fd, &op_id);
	mirvol_volume_put(vol);
	a.op_id = op_id;
	return MIRVOL_REPLY(argp, a, reason);
}

static int mirvol_ctl_set_volume(void __user *argp)
{
	struct mirvol_set_volume sv;
	enum mirvol_reason reason;
	struct mirvol_volume *vol;

	if (MIRVOL_COPY_IN(sv, argp))
		return -EFAULT;
	reason = mirvol_check_set_volume(&sv);
	if (reason)
		return MIRVOL_REPLY(argp, sv, reason);
	vol = mirvol_lookup(sv.volume_uuid);
	if (!vol)
		return MIRVOL_REPLY(argp, sv, MIRVOL_R_OBJECT_NOT_FOUND);
	reason = mirvol_set_volume(vol, &sv);
	mirvol_volume_put(vol);
	return MIRVOL_REPLY(argp, sv, reason);
}

static long mirvol_ctl_ioctl(struct file *file, unsigned int cmd,
			     unsigned long arg)
{
	void __user *argp = (void __user *)arg;

	if (!capable(CAP_SYS_ADMIN)) {
		if (_IOC_TYPE(cmd) == MIRVOL_IOC_MAGIC &&
		    _IOC_SIZE(cmd) >= sizeof(struct mirvol_ioc_header))
			put_user(MIRVOL_R_ACCESS_DENIED,
				 &((struct mirvol_ioc_header __user *)argp)->reason);
		return -EPERM;
	}
	switch (cmd) {
	case MIRVOL_IOC_VERSION:
		return mirvol_ctl_version(argp);
	case MIRVOL_IOC_CREATE:
		return mirvol_ctl_create(argp);
	case MIRVOL_IOC_REMOVE:
		return mirvol_ctl_remove(argp, false);
	case MIRVOL_IOC_STOP:
		return mirvol_ctl_remove(argp, true);
	case MIRVOL_IOC_LIST:
		return mirvol_ctl_list(argp);
	case MIRVOL_IOC_INFO:
		return mirvol_ctl_info(argp);
	case MIRVOL_IOC_ADD_PLEX:
		return mirvol_ctl_add_plex(argp);
	case MIRVOL_IOC_BREAK_PLEX:
	case MIRVOL_IOC_REMOVE_PLEX:
	case MIRVOL_IOC_SET_PLEX:
		return mirvol_ctl_plex(argp, cmd);
	case MIRVOL_IOC_OP_STATUS:
	case MIRVOL_IOC_OP_WAIT:
	case MIRVOL_IOC_OP_CANCEL:
		return mirvol_ctl_op(argp, cmd);
	case MIRVOL_IOC_ASSEMBLE:
		return mirvol_ctl_assemble(argp);
	case MIRVOL_IOC_RENAME:
		return mirvol_ctl_rename(argp);
	case MIRVOL_IOC_SYNC_ACTION:
		return mirvol_ctl_sync_action(argp);
	case MIRVOL_IOC_PLEX_ACTION:
		return mirvol_ctl_plex_action(argp);
	case MIRVOL_IOC_SET_VOLUME:
		return mirvol_ctl_set_volume(argp);
	case MIRVOL_IOC_OP_LIST:
		return mirvol_ctl_op_list(argp);
	default:
		return -ENOTTY;
	}
}

static const struct file_operations mirvol_ctl_fops = {
	.owner		= THIS_MODULE,
	.open		= nonseekable_open,
	.unlocked_ioctl	= mirvol_ctl_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
};

static struct miscdevice mirvol_misc = {
	.minor		= MISC_DYNAMIC_MINOR,
	.name		= MIRVOL_CONTROL_NAME,
	.fops		= &mirvol_ctl_fops,
	.mode		= 0600,
};

/**
 * mirvol_ctl_uevent - a "change" uevent on the control device
 * @envp: its KEY=value strings, NULL-terminated
 *
 * For events without a volume device: assembly refusing a member
 * (mirvolctl monitor reports them).
 *
 * Context: process context, may sleep.
 */
void mirvol_ctl_uevent(char **envp)
{
	kobject_uevent_env(&mirvol_misc.this_device->kobj, KOBJ_CHANGE, envp);
}

int mirvol_ctl_init(void)
{
	return misc_register(&mirvol_misc);
}

void mirvol_ctl_exit(void)
{
	misc_deregister(&mirvol_misc);
}
