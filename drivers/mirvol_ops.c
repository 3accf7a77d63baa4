// SPDX-License-Identifier: GPL-2.0
/*
 * mirvol asynchronous operations (VDS's IVdsAsync) and the configuration
 * operations that run as such: add-plex, break-plex, remove-plex.
 *
 * Every operation has a 64-bit id and stays in a table until
 * MIRVOL_OPS_KEPT newer ones have ended.  A volume runs at most one
 * operation (volume->op); the refusal rules of mirvol_logic.c are checked
 * in the ioctl, so that refusals come back at once, and again in the
 * operation, which may run after the volume changed.
 *
 * Copyright (C) 2026 The mirvol authors
 */
#include <linux/blkdev.h>
#include <linux/fs.h>
#include <linux/file.h>
#include <linux/ktime.h>
#include <linux/slab.h>

#include "mirvol_core.h"

/* Protects mirvol_ops, mirvol_ops_ended, ids and every op's state. */
static DEFINE_SPINLOCK(mirvol_ops_lock);
static LIST_HEAD(mirvol_ops);
static unsigned int mirvol_ops_ended;
static u64 mirvol_next_op_id = 1;
static DECLARE_WAIT_QUEUE_HEAD(mirvol_op_waitq);

static void mirvol_op_release(struct kref *ref)
{
	kfree(container_of(ref, struct mirvol_operation, ref));
}

void mirvol_op_put(struct mirvol_operation *op)
{
	kref_put(&op->ref, mirvol_op_release);
}

static void mirvol_op_work(struct work_struct *work)
{
	struct mirvol_operation *op = container_of(work, struct mirvol_operation, work);

	op->fn(op);
	mirvol_op_put(op);		/* the work's reference */
}

/**
 * mirvol_op_new - a new operation on a volume, not started
 * @vol: the volume; a reference is taken
 * @type: enum mirvol_op_type
 * @fn: the work; it ends by calling mirvol_op_finish()
 *
 * Return: the operation or NULL.
 */
struct mirvol_operation *mirvol_op_new(struct mirvol_volume *vol, unsigned int type,
				void (*fn)(struct mirvol_operation *op))
{
	struct mirvol_operation *op = kzalloc(sizeof(*op), GFP_KERNEL);

	if (!op)
		return NULL;
	kref_init(&op->ref);
	INIT_LIST_HEAD(&op->node);
	INIT_WORK(&op->work, mirvol_op_work);
	op->type = type;
	op->state = MIRVOL_OPS_RUNNING;
	op->fn = fn;
	op->source = -1;
	op->vol = vol;
	uuid_copy(&op->vol_uuid, &vol->uuid);
	mirvol_volume_get(vol);
	return op;
}

/* Drop an operation that was never started. */
static void mirvol_op_discard(struct mirvol_operation *op)
{
	mirvol_volume_put(op->vol);
	mirvol_op_put(op);
}

/**
 * mirvol_op_start - make an operation the volume's and run it
 * @op: from mirvol_op_new()
 *
 * Context: vol->lock held, vol->op NULL.
 */
void mirvol_op_start(struct mirvol_operation *op)
{
	struct mirvol_volume *vol = op->vol;
	char ev[48];

	lockdep_assert_held(&vol->lock);
	WARN_ON_ONCE(vol->op);
	spin_lock(&mirvol_ops_lock);
	op->id = mirvol_next_op_id++;
	op->start = ktime_get();
	list_add_tail(&op->node, &mirvol_ops);	/* the table's reference */
	spin_unlock(&mirvol_ops_lock);
	vol->op = op;
	WRITE_ONCE(vol->op_id, op->id);
	snprintf(ev, sizeof(ev), "MIRVOL_OP=%llu:%s", op->id,
		 mirvol_op_type_name(op->type));
	mirvol_uevent(vol, "operation-started", ev, NULL);
	kref_get(&op->ref);
	queue_work(mirvol_op_wq, &op->work);
}

/* Forget the oldest ended operations beyond MIRVOL_OPS_KEPT. */
static void mirvol_ops_trim(void)
{
	struct mirvol_operation *op, *next;

	lockdep_assert_held(&mirvol_ops_lock);
	list_for_each_entry_safe(op, next, &mirvol_ops, node) {
		if (mirvol_ops_ended <= MIRVOL_OPS_KEPT)
			break;
		if (op->state == MIRVOL_OPS_RUNNING)
			continue;
		list_del_init(&op->node);
		mirvol_ops_ended--;
		mirvol_op_put(op);
	}
}

/**
 * mirvol_op_finish - end an operation
 * @op: the operation, run by its work
 * @error: 0 or a negative errno
 * @reason: MIRVOL_R_NONE, or why it failed; OPERATION_CANCELED makes
 *	it cancelled
 *
 * Context: called by the operation's work, holding no volume lock.
 */
void mirvol_op_finish(struct mirvol_operation *op, int error,
		      enum mirvol_reason reason)
{
	struct mirvol_volume *vol = op->vol;
	char ev[64];

	if (error && !reason)
		reason = MIRVOL_R_IO_ERROR;
	if (!error && reason)
		error = mirvol_reason_errno(reason);

	mutex_lock(&vol->lock);
	spin_lock(&mirvol_ops_lock);
	op->end = ktime_get();
	op->error = error;
	op->reason = reason;
	if (!error) {
		op->state = MIRVOL_OPS_SUCCEEDED;
		op->done = op->total;
	} else if (reason == MIRVOL_R_OPERATION_CANCELED) {
		op->state = MIRVOL_OPS_CANCELLED;
	} else {
		op->state = MIRVOL_OPS_FAILED;
	}
	mirvol_ops_ended++;
	mirvol_ops_trim();
	spin_unlock(&mirvol_ops_lock);
	if (vol->op == op) {
		vol->op = NULL;
		WRITE_ONCE(vol->op_id, 0);
	}
	snprintf(ev, sizeof(ev), "MIRVOL_OP=%llu:%s:%s", op->id,
		 mirvol_op_type_name(op->type),
		 mirvol_op_state_name(op->state));
	if (!test_bit(MIRVOL_VOL_DEAD, &vol->flags)) {
		mirvol_uevent(vol, "operation-ended", ev, NULL);
		/* Plexes left stale (e.g. rejoined meanwhile) resync now. */
		if (reason != MIRVOL_R_OPERATION_CANCELED)
			mirvol_resync_if_needed(vol);
	}
	mutex_unlock(&vol->lock);
	wake_up_all(&mirvol_op_waitq);
	pr_info("mirvol: %s: operation %llu (%s) %s\n", vol->name, op->id,
		mirvol_op_type_name(op->type), mirvol_op_state_name(op->state));
	op->vol = NULL;
	mirvol_volume_put(vol);
}

/**
 * mirvol_op_should_stop - has the operation been asked to stop
 * @op: the operation
 *
 * Return: true when it must end (with op->stop as its reason).
 */
bool mirvol_op_should_stop(struct mirvol_operation *op)
{
	return READ_ONCE(op->stop) != MIRVOL_R_NONE;
}

/**
 * mirvol_op_stop_reason - why the operation was asked to stop
 * @op: the operation
 *
 * Return: OPERATION_CANCELED, OBJECT_DELETED, or MIRVOL_R_NONE.
 */
enum mirvol_reason mirvol_op_stop_reason(struct mirvol_operation *op)
{
	return READ_ONCE(op->stop);
}

void mirvol_op_set_progress(struct mirvol_operation *op, u64 done, u64 total)
{
	WRITE_ONCE(op->done, done);
	WRITE_ONCE(op->total, total);
}

void mirvol_op_add_output(struct mirvol_operation *op, const uuid_t *uuid)
{
	if (op->nr_outputs < MIRVOL_MAX_PLEXES)
		uuid_copy(&op->outputs[op->nr_outputs++], uuid);
}

/**
 * mirvol_op_get_by_id - find an operation and take a reference
 * @id: the id
 *
 * Return: the operation or NULL.
 */
struct mirvol_operation *mirvol_op_get_by_id(u64 id)
{
	struct mirvol_operation *op;

	spin_lock(&mirvol_ops_lock);
	list_for_each_entry(op, &mirvol_ops, node) {
		if (op->id == id) {
			kref_get(&op->ref);
			spin_unlock(&mirvol_ops_lock);
			return op;
		}
	}
	spin_unlock(&mirvol_ops_lock);
	return NULL;
}

/**
 * mirvol_op_fill - report an operation to user space
 * @op: the operation
 * @info: out
 */
void mirvol_op_fill(struct mirvol_operation *op, struct mirvol_op_info *info)
{
	ktime_t end;
	u64 done, total;
	unsigned int i;

	memset(info, 0, sizeof(*info));
	spin_lock(&mirvol_ops_lock);
	info->id = op->id;
	info->type = op->type;
	info->state = op->state;
	info->error = -op->error;
	info->reason = op->reason;
	end = op->state == MIRVOL_OPS_RUNNING ? ktime_get() : op->end;
	info->elapsed_ms = ktime_ms_delta(end, op->start);
	memcpy(info->volume_uuid, &op->vol_uuid, MIRVOL_UUID_LEN);
	info->nr_outputs = op->nr_outputs;
	for (i = 0; i < op->nr_outputs; i++)
		memcpy(info->outputs[i], &op->outputs[i], MIRVOL_UUID_LEN);
	done = READ_ONCE(op->done);
	total = READ_ONCE(op->total);
	spin_unlock(&mirvol_ops_lock);
	info->done_bytes = done;
	info->total_bytes = total;
	info->bad_offset_bytes = READ_ONCE(op->bad_offset) << SECTOR_SHIFT;
	info->bad_bytes = READ_ONCE(op->bad_sectors) << SECTOR_SHIFT;
	info->lost_bytes = READ_ONCE(op->lost_sectors) << SECTOR_SHIFT;
	info->mismatch_bytes = READ_ONCE(op->mismatch_sectors) << SECTOR_SHIFT;
	if (info->state == MIRVOL_OPS_SUCCEEDED)
		info->percent = 100;
	else if (total)
		info->percent = div64_u64(min(done, total) * 100, total);
}

static bool mirvol_op_ended(struct mirvol_operation *op)
{
	return READ_ONCE(op->state) != MIRVOL_OPS_RUNNING;
}

/**
 * mirvol_op_wait - wait for an operation to end
 * @id: the operation
 * @timeout_ms: 0 for no limit
 * @info: out: its state, also on timeout
 * @reason: out: OBJECT_NOT_FOUND, TIMEOUT or INTERRUPTED on failure
 *
 * Return: 0 once ended, or a negative errno.
 */
int mirvol_op_wait(u64 id, unsigned int timeout_ms,
		   struct mirvol_op_info *info, enum mirvol_reason *reason)
{
	struct mirvol_operation *op = mirvol_op_get_by_id(id);
	long ret;

	if (!op) {
		*reason = MIRVOL_R_OBJECT_NOT_FOUND;
		return -ENOENT;
	}
	if (timeout_ms)
		ret = wait_event_interruptible_timeout(mirvol_op_waitq,
						       mirvol_op_ended(op),
						       msecs_to_jiffies(timeout_ms));
	else
		ret = wait_event_interruptible(mirvol_op_waitq,
					       mirvol_op_ended(op)) ?: 1;
	mirvol_op_fill(op, info);
	mirvol_op_put(op);
	if (ret > 0)
		return 0;
	*reason = ret ? MIRVOL_R_INTERRUPTED : MIRVOL_R_TIMEOUT;
	return ret ? -EINTR : -ETIMEDOUT;
}

/**
 * mirvol_op_cancel - stop a running operation and wait for its end
 * @id: the operation
 * @info: out: its state
 * @reason: out: why it could not be cancelled
 *
 * Only add-plex and resync operations can be cancelled; break-plex and
 * remove-plex complete in moments and cannot be undone half-way.
 *
 * Return: 0 when cancelled, or a negative errno.
 */
int mirvol_op_cancel(u64 id, struct mirvol_op_info *info,
		     enum mirvol_reason *reason)
{
	struct mirvol_operation *op = mirvol_op_get_by_id(id);
	int ret = 0;

	if (!op) {
		*reason = MIRVOL_R_OBJECT_NOT_FOUND;
		return -ENOENT;
	}
	spin_lock(&mirvol_ops_lock);
	if (op->state != MIRVOL_OPS_RUNNING) {
		*reason = MIRVOL_R_CANCEL_TOO_LATE;
		ret = -EALREADY;
	} else if (!op->cancellable) {
		*reason = MIRVOL_R_CANCEL_TOO_LATE;
		ret = -EBUSY;
	} else if (!op->stop) {
		WRITE_ONCE(op->stop, MIRVOL_R_OPERATION_CANCELED);
	}
	spin_unlock(&mirvol_ops_lock);
	if (!ret) {
		wake_up_all(&mirvol_op_waitq);
		wait_event(mirvol_op_waitq, mirvol_op_ended(op));
	}
	mirvol_op_fill(op, info);
	mirvol_op_put(op);
	return ret;
}

/**
 * mirvol_op_abort - end a volume's running operation, if any
 * @vol: the volume
 * @reason: the reason it ends with (OBJECT_DELETED)
 *
 * Waits for the end.  Context: no volume lock held.
 */
void mirvol_op_abort(struct mirvol_volume *vol, enum mirvol_reason reason)
{
	struct mirvol_operation *op;

	mutex_lock(&vol->lock);
	op = vol->op;
	if (op) {
		kref_get(&op->ref);
		spin_lock(&mirvol_ops_lock);
		if (!op->stop)
			WRITE_ONCE(op->stop, reason);
		spin_unlock(&mirvol_ops_lock);
	}
	mutex_unlock(&vol->lock);
	if (!op)
		return;
	wake_up_all(&mirvol_op_waitq);
	wait_event(mirvol_op_waitq, mirvol_op_ended(op));
	mirvol_op_put(op);
}

/**
 * mirvol_op_sleep - sleep unless the operation is asked to stop
 * @op: the operation
 * @ms: how long
 */
void mirvol_op_sleep(struct mirvol_operation *op, unsigned int ms)
{
	wait_event_timeout(mirvol_op_waitq, mirvol_op_should_stop(op),
			   msecs_to_jiffies(ms));
}

void mirvol_ops_exit(void)
{
	struct mirvol_operation *op, *next;

	list_for_each_entry_safe(op, next, &mirvol_ops, node) {
		list_del(&op->node);
		mirvol_op_put(op);
	}
}

/* ------------------------------------------------------------------ */
/* add-plex                                                            */

/* Take the plexes an add-plex attached out again (cancel, failure). */
static void mirvol_add_undo(struct mirvol_operation *op)
{
	struct mirvol_volume *vol = op->vol;
	unsigned int i;

	mutex_lock(&vol->lock);
	if (vol->disk)
		mirvol_suspend_io(vol);
	mutex_lock(&vol->sb_mutex);
	for (i = 0; i < op->nr_new; i++)
		if (vol->plexes[op->new_plexes[i]->index] == op->new_plexes[i])
			mirvol_detach_plex(vol, op->new_plexes[i]);
	mirvol_sb_update_locked(vol);
	mutex_unlock(&vol->sb_mutex);
	if (vol->disk)
		mirvol_resume_io(vol);
	mutex_unlock(&vol->lock);
	for (i = 0; i < op->nr_new; i++) {
		mirvol_sb_wipe(op->new_plexes[i]);
		mirvol_plex_free(op->new_plexes[i]);
		op->new_plexes[i] = NULL;
	}
}

static void mirvol_add_work(struct mirvol_operation *op)
{
	struct mirvol_volume *vol = op->vol;
	enum mirvol_reason stop, reason;
	int err;

	err = mirvol_resync_run(op, vol, -1, &reason);
	stop = mirvol_op_stop_reason(op);
	if (stop == MIRVOL_R_OPERATION_CANCELED) {
		mirvol_add_undo(op);
		mirvol_op_finish(op, -ECANCELED, stop);
		return;
	}
	if (stop) {
		/* The volume is being removed: it releases the plexes. */
		mirvol_op_finish(op, mirvol_reason_errno(stop), stop);
		return;
	}
	/* SOURCE_READ_ERROR leaves the new plexes syncing: resync --force. */
	mirvol_op_finish(op, err, reason);
}

/*
 * Attach the new plexes as syncing members: I/O suspended so that no
 * write misses them once they are in the array.
 */
static int mirvol_add_attach(struct mirvol_volume *vol, struct mirvol_operation *op)
{
	unsigned int i;
	int err = 0;

	mirvol_suspend_io(vol);
	mutex_lock(&vol->sb_mutex);
	for (i = 0; i < op->nr_new && !err; i++) {
		struct mirvol_plex *plex = op->new_plexes[i];

		plex->index = mirvol_free_slot(vol);
		plex->state = MIRVOL_PLEX_SYNCING;
		plex->sync_offset = 0;
		plex->boot = 0;
		plex->data_offset = MIRVOL_DATA_OFFSET_SECTORS;
		err = mirvol_attach_plex(vol, plex);
		if (!err)
			err = mirvol_sb_init_plex(vol, plex);
	}
	if (!err)
		err = mirvol_sb_update_locked(vol);
	mutex_unlock(&vol->sb_mutex);
	mirvol_resume_io(vol);
	for (i = 0; i < op->nr_new; i++)
		mirvol_sysfs_add_plex(vol, op->new_plexes[i]);
	return err;
}

/* Lock two volumes: mirvol_mutex held, so any order is deadlock free. */
static void mirvol_lock_two(struct mirvol_volume *a, struct mirvol_volume *b)
{
	lockdep_assert_held(&mirvol_mutex);
	mutex_lock(&a->lock);
	if (b && b != a)
		mutex_lock_nested(&b->lock, SINGLE_DEPTH_NESTING);
}

static void mirvol_unlock_two(struct mirvol_volume *a, struct mirvol_volume *b)
{
	if (b && b != a)
		mutex_unlock(&b->lock);
	mutex_unlock(&a->lock);
}

/* Fill the add rule from a source volume; both locks held. */
static void mirvol_add_rule_src(struct mirvol_volume *vol,
				struct mirvol_volume *src,
				struct mirvol_rule_add *ra)
{
	unsigned int i;

	ra->is_target = src == vol;
	ra->src_busy = src->op != NULL;
	ra->min_size = U64_MAX;
	if (src->disk) {
		mutex_lock(&src->disk->open_mutex);
		ra->src_open = disk_openers(src->disk) > 0;
		mutex_unlock(&src->disk->open_mutex);
	}
	for (i = 0; i < MIRVOL_MAX_PLEXES; i++) {
		struct mirvol_plex *p = src->plexes[i];

		if (!p || !p->bdev || p->state == MIRVOL_PLEX_FAILED)
			continue;
		ra->nr_new++;
		ra->min_size = min_t(u64, ra->min_size,
				     p->dev_sectors - MIRVOL_DATA_OFFSET_SECTORS);
		if (vol->disk && bdev_logical_block_size(p->bdev) >
				 queue_logical_block_size(vol->disk->queue))
			ra->lbs_larger = true;
	}
}

/*
 * Dissolve the source volume of add-plex --from-volume: it disappears
 * (its block device goes away) and its usable plexes are handed over.
 */
static void mirvol_take_source(struct mirvol_volume *src, struct mirvol_operation *op)
{
	unsigned int i;

	mirvol_volume_teardown_take(src, op->new_plexes, &op->nr_new);
	for (i = 0; i < op->nr_new; i++)
		pr_info("mirvol: plex %pUb of %s joins %s\n",
			&op->new_plexes[i]->uuid, src->name, op->vol->name);
}

/**
 * mirvol_add_plex - add-plex: a device or every plex of a volume joins
 * @vol: the target, referenced by the caller
 * @file: the device, or NULL with @src
 * @src: the source volume, referenced by the caller, or NULL
 * @op_id: out: the operation
 * @reason: out: why it was refused
 *
 * Return: 0 or a negative errno.
 */
int mirvol_add_plex(struct mirvol_volume *vol, struct file *file,
		    struct mirvol_volume *src, u64 *op_id,
		    enum mirvol_reason *reason)
{
	struct mirvol_rule_add ra = {};
	struct mirvol_rule_vol rv;
	struct mirvol_plex *plex = NULL;
	struct mirvol_operation *op;
	unsigned int i;
	dev_t devt = 0;
	int err;

	if (file) {
		err = mirvol_check_device(file, &devt, reason);
		if (err == -EINVAL && *reason == MIRVOL_R_INVALID_OPERATION) {
			ra.is_mirvol_dev = true;
			ra.is_target = vol->disk &&
				       MINOR(devt) / MIRVOL_MINORS == vol->id;
		} else if (err) {
			return err;
		}
	}

	mutex_lock(&mirvol_mutex);
	mirvol_lock_two(vol, src);
	if (test_bit(MIRVOL_VOL_DEAD, &vol->flags) ||
	    (src && test_bit(MIRVOL_VOL_DEAD, &src->flags))) {
		*reason = MIRVOL_R_OBJECT_NOT_FOUND;
		err = -ENOENT;
		goto out_unlock;
	}
	mirvol_rules_snapshot(vol, &rv);
	if (src) {
		mirvol_add_rule_src(vol, src, &ra);
	} else {
		/* Refuse what needs no device first, then open it. */
		ra.nr_new = 1;
		ra.min_size = U64_MAX;
		*reason = mirvol_check_add(&rv, &ra);
		if (*reason) {
			err = mirvol_reason_errno(*reason);
			goto out_unlock;
		}
		plex = mirvol_plex_open(vol, devt, reason);
		if (IS_ERR(plex)) {
			err = PTR_ERR(plex);
			plex = NULL;
			goto out_unlock;
		}
		ra.min_size = plex->dev_sectors - MIRVOL_DATA_OFFSET_SECTORS;
		ra.lbs_larger = vol->disk &&
			bdev_logical_block_size(plex->bdev) >
			queue_logical_block_size(vol->disk->queue);
	}
	*reason = mirvol_check_add(&rv, &ra);
	if (*reason) {
		err = mirvol_reason_errno(*reason);
		goto out_close;
	}
	op = mirvol_op_new(vol, MIRVOL_OP_ADD_PLEX, mirvol_add_work);
	if (!op) {
		*reason = MIRVOL_R_NO_MEMORY;
		err = -ENOMEM;
		goto out_close;
	}
	op->cancellable = true;
	/* Reserve the target: other operations now get ANOTHER_CALL. */
	vol->op = op;
	if (src) {
		mutex_lock(&src->disk->open_mutex);
		set_bit(MIRVOL_VOL_DEAD, &src->flags);
		mutex_unlock(&src->disk->open_mutex);
	} else {
		op->new_plexes[0] = plex;
		op->nr_new = 1;
	}
	mirvol_unlock_two(vol, src);
	mutex_unlock(&mirvol_mutex);

	if (src)
		mirvol_take_source(src, op);

	mutex_lock(&vol->lock);
	vol->op = NULL;
	if (test_bit(MIRVOL_VOL_DEAD, &vol->flags)) {
		mutex_unlock(&vol->lock);
		*reason = MIRVOL_R_OBJECT_DELETED;
		err = -ENODEV;
		goto out_plexes;
	}
	err = mirvol_add_attach(vol, op);
	if (err) {
		mutex_unlock(&vol->lock);
		mirvol_add_undo(op);
		*reason = MIRVOL_R_IO_ERROR;
		goto out_op;
	}
	for (i = 0; i < op->nr_new; i++)
		mirvol_op_add_output(op, &op->new_plexes[i]->uuid);
	mirvol_op_set_progress(op, 0, (u64)vol->size << SECTOR_SHIFT);
	mirvol_op_start(op);
	*op_id = op->id;
	mutex_unlock(&vol->lock);
	return 0;

out_plexes:
	for (i = 0; i < op->nr_new; i++) {
		mirvol_sb_wipe(op->new_plexes[i]);
		mirvol_plex_free(op->new_plexes[i]);
	}
out_op:
	mirvol_op_discard(op);
	return err;

out_close:
	if (plex)
		mirvol_plex_free(plex);
out_unlock:
	mirvol_unlock_two(vol, src);
	mutex_unlock(&mirvol_mutex);
	return err;
}

/* ------------------------------------------------------------------ */
/* break-plex and remove-plex                                          */

/*
 * Take @plex out of @vol: I/O is drained, every plex flushed so that all
 * completed writes are durable on it, the superblocks of the others record
 * that it left, and only then can writes resume without it.
 */
static int mirvol_split_off(struct mirvol_volume *vol, struct mirvol_plex *plex,
			    enum mirvol_reason *reason)
{
	struct mirvol_rule_vol rv;
	int err;

	mirvol_suspend_io(vol);
	if (mirvol_flush_plexes(vol))
		pr_warn("mirvol: %s: flush before split failed\n", vol->name);
	mirvol_rules_snapshot(vol, &rv);
	rv.busy = false;
	*reason = mirvol_check_remove_plex(&rv, plex->index);
	if (*reason) {
		mirvol_resume_io(vol);
		return mirvol_reason_errno(*reason);
	}
	mutex_lock(&vol->sb_mutex);
	mirvol_detach_plex(vol, plex);
	err = mirvol_sb_update_locked(vol);
	mutex_unlock(&vol->sb_mutex);
	mirvol_resume_io(vol);
	if (err)
		*reason = MIRVOL_R_IO_ERROR;
	return err;
}

/* The broken-off plex becomes a volume of its own. */
static int mirvol_break_new_volume(struct mirvol_operation *op, sector_t size,
				   enum mirvol_reason *reason)
{
	struct mirvol_plex *plex = op->plex;
	struct mirvol_volume *new;
	int err;

	lockdep_assert_held(&mirvol_mutex);
	*reason = MIRVOL_R_NO_MEMORY;
	new = mirvol_volume_alloc(op->new_name, &op->new_uuid);
	if (!new)
		return -ENOMEM;
	mutex_lock(&new->lock);
	mutex_lock(&new->sb_mutex);
	new->size = size;
	plex->index = 0;
	plex->state = MIRVOL_PLEX_ACTIVE;
	plex->sync_offset = size;
	plex->boot = 0;
	plex->gone_generation = 0;
	mirvol_attach_plex(new, plex);
	new->generation = 1;
	err = mirvol_sb_init_plex(new, plex);
	mutex_unlock(&new->sb_mutex);
	if (err) {
		*reason = MIRVOL_R_IO_ERROR;
		goto out;
	}
	list_add_tail(&new->node, &mirvol_volumes);
	err = mirvol_volume_start(new);
	if (err) {
		list_del_init(&new->node);
		*reason = MIRVOL_R_NO_MEMORY;
		goto out;
	}
	mutex_unlock(&new->lock);
	*reason = MIRVOL_R_NONE;
	return 0;
out:
	mutex_unlock(&new->lock);
	mirvol_volume_put(new);		/* frees the plex */
	op->plex = NULL;
	return err;
}

/**
 * struct mirvol_freeze - the block devices of a volume frozen for a split
 * @files: the whole disk and each partition, opened (not exclusively)
 * @nr: entries in @files
 */
struct mirvol_freeze {
	struct file *files[MIRVOL_MINORS];
	unsigned int nr;
};

static void mirvol_thaw_all(struct mirvol_freeze *fz)
{
	while (fz->nr) {
		struct file *file = fz->files[--fz->nr];

		bdev_thaw(file_bdev(file));
		fput(file);
	}
	/* A kernel thread's fput() is deferred: no opener may linger. */
	flush_delayed_fput();
}

/*
 * Freeze every file system on the volume, on the whole disk or on any
 * partition, so that the split-off copy is clean, not only crash
 * consistent; devices without one are synced.  Each is held open so it
 * cannot go away meanwhile.  On failure nothing stays frozen.
 */
static int mirvol_freeze_all(struct mirvol_volume *vol,
			     struct mirvol_freeze *fz)
{
	dev_t devts[MIRVOL_MINORS];
	struct block_device *part;
	unsigned int i, nr = 0;
	unsigned long idx;
	int err;

	fz->nr = 0;
	if (!vol->disk)
		return 0;
	rcu_read_lock();
	xa_for_each(&vol->disk->part_tbl, idx, part)
		if (nr < MIRVOL_MINORS)
			devts[nr++] = part->bd_dev;
	rcu_read_unlock();
	for (i = 0; i < nr; i++) {
		struct file *file = bdev_file_open_by_dev(devts[i], BLK_OPEN_READ,
							  NULL, NULL);

		if (IS_ERR(file))
			continue;	/* a partition deleted meanwhile */
		err = bdev_freeze(file_bdev(file));
		if (err) {
			pr_err("mirvol: %s: cannot freeze %pg: %d\n", vol->name,
			       file_bdev(file), err);
			fput(file);
			mirvol_thaw_all(fz);
			return err;
		}
		fz->files[fz->nr++] = file;
	}
	return 0;
}

static void mirvol_break_work(struct mirvol_operation *op)
{
	struct mirvol_volume *vol = op->vol;
	enum mirvol_reason reason = MIRVOL_R_NONE;
	struct mirvol_freeze fz;
	sector_t size;
	int err;

	/* Mounted file systems are frozen for the instant of the split. */
	err = mirvol_freeze_all(vol, &fz);
	if (err) {
		mirvol_op_finish(op, err, MIRVOL_R_FREEZE_FAILED);
		return;
	}

	mutex_lock(&mirvol_mutex);
	mutex_lock(&vol->lock);
	if (test_bit(MIRVOL_VOL_DEAD, &vol->flags)) {
		reason = MIRVOL_R_OBJECT_DELETED;
		err = -ENODEV;
	} else if (mirvol_name_taken(op->new_name, NULL)) {
		reason = MIRVOL_R_NAME_EXISTS;
		err = -EEXIST;
	} else {
		err = mirvol_split_off(vol, op->plex, &reason);
	}
	size = vol->size;
	mutex_unlock(&vol->lock);
	mirvol_thaw_all(&fz);
	if (!err) {
		err = mirvol_break_new_volume(op, size, &reason);
		if (!err)
			mirvol_op_add_output(op, &op->new_uuid);
	}
	mutex_unlock(&mirvol_mutex);
	mirvol_op_finish(op, err, reason);
}

static void mirvol_remove_plex_work(struct mirvol_operation *op)
{
	struct mirvol_volume *vol = op->vol;
	enum mirvol_reason reason = MIRVOL_R_NONE;
	int err;

	mutex_lock(&vol->lock);
	if (test_bit(MIRVOL_VOL_DEAD, &vol->flags)) {
		reason = MIRVOL_R_OBJECT_DELETED;
		err = -ENODEV;
	} else {
		err = mirvol_split_off(vol, op->plex, &reason);
	}
	mutex_unlock(&vol->lock);
	if (!err) {
		mirvol_sb_wipe(op->plex);
		mirvol_plex_free(op->plex);
		op->plex = NULL;
	}
	mirvol_op_finish(op, err, reason);
}

/* Common part of break-plex and remove-plex; vol->lock held. */
static struct mirvol_operation *mirvol_plex_op(struct mirvol_volume *vol,
					struct mirvol_plex *plex,
					unsigned int type,
					enum mirvol_reason *reason)
{
	struct mirvol_rule_vol rv;
	struct mirvol_operation *op;

	if (test_bit(MIRVOL_VOL_DEAD, &vol->flags)) {
		*reason = MIRVOL_R_OBJECT_NOT_FOUND;
		return NULL;
	}
	mirvol_rules_snapshot(vol, &rv);
	if (type == MIRVOL_OP_BREAK_PLEX)
		*reason = mirvol_check_break(&rv, plex ? plex->index : -1);
	else
		*reason = mirvol_check_remove_plex(&rv, plex ? plex->index : -1);
	if (*reason)
		return NULL;
	op = mirvol_op_new(vol, type, type == MIRVOL_OP_BREAK_PLEX ?
			   mirvol_break_work : mirvol_remove_plex_work);
	if (!op) {
		*reason = MIRVOL_R_NO_MEMORY;
		return NULL;
	}
	op->plex = plex;
	return op;
}

/**
 * mirvol_break_plex - break-plex: a plex becomes a volume of its own
 * @vol: the volume, referenced by the caller
 * @plex: the plex, or NULL when none matched (OBJECT_NOT_FOUND)
 * @new_name: the new volume's name, "" for the default
 * @new_uuid: out: the new volume's UUID
 * @name_out: out: the name used (MIRVOL_NAME_LEN bytes)
 * @op_id: out: the operation
 * @reason: out: why it was refused
 *
 * Context: mirvol_mutex and vol->lock held by the caller (it looked
 * @plex up).
 * Return: 0 or a negative errno.
 */
int mirvol_break_plex(struct mirvol_volume *vol, struct mirvol_plex *plex,
		      const char *new_name, uuid_t *new_uuid,
		      char *name_out, u64 *op_id, enum mirvol_reason *reason)
{
	struct mirvol_operation *op;

	lockdep_assert_held(&mirvol_mutex);
	lockdep_assert_held(&vol->lock);
	op = mirvol_plex_op(vol, plex, MIRVOL_OP_BREAK_PLEX, reason);
	if (!op)
		return mirvol_reason_errno(*reason);
	if (new_name[0])
		strscpy(op->new_name, new_name, sizeof(op->new_name));
	else
		mirvol_break_name(op->new_name, vol->name, plex->index);
	if (mirvol_name_taken(op->new_name, NULL)) {
		mirvol_op_discard(op);
		*reason = MIRVOL_R_NAME_EXISTS;
		return -EEXIST;
	}
	uuid_gen(&op->new_uuid);
	uuid_copy(new_uuid, &op->new_uuid);
	strscpy(name_out, op->new_name, MIRVOL_NAME_LEN);
	mirvol_op_set_progress(op, 0, 1);
	mirvol_op_start(op);
	*op_id = op->id;
	return 0;
}

/**
 * mirvol_remove_plex - remove-plex: drop a plex and release its device
 * @vol: the volume, referenced by the caller
 * @plex: the plex, or NULL when none matched (OBJECT_NOT_FOUND)
 * @op_id: out: the operation
 * @reason: out: why it was refused
 *
 * Context: vol->lock held by the caller.
 * Return: 0 or a negative errno.
 */
int mirvol_remove_plex(struct mirvol_volume *vol, struct mirvol_plex *plex,
		       u64 *op_id, enum mirvol_reason *reason)
{
	struct mirvol_operation *op;

	lockdep_assert_held(&vol->lock);
	op = mirvol_plex_op(vol, plex, MIRVOL_OP_REMOVE_PLEX, reason);
	if (!op)
		return mirvol_reason_errno(*reason);
	mirvol_op_add_output(op, &plex->uuid);
	mirvol_op_set_progress(op, 0, 1);
	mirvol_op_start(op);
	*op_id = op->id;
	return 0;
}
