// SPDX-License-Identifier: GPL-2.0
/*
 * mirvol asynchronous operations (VDS's IVdsAsync): ids, the table,
 * wait, cancel, progress and uevents.  The framework knows no operation
 * type: each type (mirvol_add.c, mirvol_break.c, mirvol_resync.c,
 * mirvol_scrub.c) embeds a struct mirvol_operation in its own struct and
 * describes itself with a struct mirvol_op_kind.
 *
 * Life of an operation:
 *
 *   init      mirvol_op_init(): the type's struct, a volume reference
 *   reserve   mirvol_op_reserve(), vol->lock held: the rules were checked
 *             under that same hold; the operation gets its id, enters the
 *             table and becomes the volume's (volume->op), so that every
 *             other operation is refused from here on.  It is RUNNING for
 *             OP_STATUS, OP_WAIT and OP_CANCEL.
 *   prepare   (optional) the type works with the locks dropped: opens a
 *             device, dissolves a source volume.  Cancel and volume
 *             removal set op->stop; the type re-takes vol->lock, re-checks
 *             its rules and op->stop, and either
 *   commit    mirvol_op_commit(): the work is queued, or
 *   end       mirvol_op_end(): the operation ends without running.
 *   run       the work ends with mirvol_op_finish().
 *
 * Every end goes through mirvol_op_end(), which wakes mirvol_op_abort()
 * and OP_WAIT: no path leaves a reserved operation behind.  Ended
 * operations stay in the table until MIRVOL_OPS_KEPT newer ones ended,
 * except one that ends before its commit unasked: its request was
 * refused (add-plex finding its device busy), the caller has the reason
 * and no id, and nothing is kept of it: no entry pushing an older one
 * out, no uevent (operation-started is sent at the commit), no log line.
 * One asked to stop before its commit (OP_CANCEL, volume removal) is
 * kept: somebody else acted on it.
 *
 * Copyright (C) 2026 The mirvol authors
 */
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
	struct mirvol_operation *op = container_of(ref,
						   struct mirvol_operation,
						   ref);

	if (op->vol)
		mirvol_volume_put(op->vol);
	op->kind->release(op);
}

void mirvol_op_get(struct mirvol_operation *op)
{
	kref_get(&op->ref);
}

void mirvol_op_put(struct mirvol_operation *op)
{
	kref_put(&op->ref, mirvol_op_release);
}

static void mirvol_op_work(struct work_struct *work)
{
	struct mirvol_operation *op = container_of(work,
						   struct mirvol_operation,
						   work);

	op->kind->run(op);
	mirvol_op_put(op);		/* the work's reference */
}

/**
 * mirvol_op_init - initialise an operation embedded in a type's struct
 * @op: the operation
 * @kind: its type
 * @vol: the volume; a reference is taken until the operation ends
 *
 * The caller holds the one reference; mirvol_op_put() it when done.
 */
void mirvol_op_init(struct mirvol_operation *op,
		    const struct mirvol_op_kind *kind, struct mirvol_volume *vol)
{
	kref_init(&op->ref);
	INIT_LIST_HEAD(&op->node);
	INIT_WORK(&op->work, mirvol_op_work);
	op->kind = kind;
	op->state = MIRVOL_OPS_RUNNING;
	op->vol = vol;
	uuid_copy(&op->vol_uuid, &vol->uuid);
	mirvol_volume_get(vol);
}

/**
 * mirvol_op_reserve - make an operation the volume's
 * @op: from mirvol_op_init()
 *
 * Context: vol->lock held, under which the caller checked its rules.
 * Return: MIRVOL_R_NONE, or why not (the volume is going away, or runs
 * another operation).
 */
enum mirvol_reason mirvol_op_reserve(struct mirvol_operation *op)
{
	struct mirvol_volume *vol = op->vol;

	lockdep_assert_held(&vol->lock);
	if (test_bit(MIRVOL_VOL_DEAD, &vol->flags))
		return MIRVOL_R_OBJECT_NOT_FOUND;
	if (vol->op)
		return MIRVOL_R_ANOTHER_CALL_IN_PROGRESS;
	spin_lock(&mirvol_ops_lock);
	op->id = mirvol_next_op_id++;
	op->start = ktime_get();
	list_add_tail(&op->node, &mirvol_ops);
	mirvol_op_get(op);		/* the table's reference */
	spin_unlock(&mirvol_ops_lock);
	vol->op = op;
	WRITE_ONCE(vol->op_id, op->id);
	return MIRVOL_R_NONE;
}

/**
 * mirvol_op_commit - run a reserved operation
 * @op: the operation, still the volume's and not asked to stop
 *
 * Context: vol->lock held, under which the caller re-checked its rules.
 */
void mirvol_op_commit(struct mirvol_operation *op)
{
	char ev[48];

	lockdep_assert_held(&op->vol->lock);
	WARN_ON_ONCE(op->vol->op != op || op->committed);
	op->committed = true;
	snprintf(ev, sizeof(ev), "MIRVOL_OP=%llu:%s", op->id,
		 mirvol_op_type_name(op->kind->type));
	mirvol_uevent(op->vol, "operation-started", ev, NULL);
	mirvol_op_get(op);		/* the work's */
	queue_work(mirvol_op_wq, &op->work);
}

/**
 * mirvol_op_list - the ids of the operations in the table, oldest first
 * @ids: receives up to @cap ids (may be NULL when @cap is 0)
 * @cap: entries in @ids
 *
 * Return: the number of operations in the table.
 */
unsigned int mirvol_op_list(u64 *ids, unsigned int cap)
{
	struct mirvol_operation *op;
	unsigned int n = 0;

	spin_lock(&mirvol_ops_lock);
	list_for_each_entry(op, &mirvol_ops, node) {
		if (n < cap)
			ids[n] = op->id;
		n++;
	}
	spin_unlock(&mirvol_ops_lock);
	return n;
}

/*
 * Forget the ended operations beyond MIRVOL_OPS_KEPT, those that ended
 * first: the table is in start order (mirvol_op_list()), and a long
 * operation that started first but just ended is the one its waiters
 * still ask for.
 */
static void mirvol_ops_trim(struct list_head *drop)
{
	struct mirvol_operation *op, *first;

	lockdep_assert_held(&mirvol_ops_lock);
	while (mirvol_ops_ended > MIRVOL_OPS_KEPT) {
		first = NULL;
		list_for_each_entry(op, &mirvol_ops, node)
			if (op->state != MIRVOL_OPS_RUNNING &&
			    (!first || ktime_before(op->end, first->end)))
				first = op;
		if (!first)	/* cannot be: the count is of these */
			break;
		list_move_tail(&first->node, drop);
		mirvol_ops_ended--;
	}
}

/**
 * mirvol_op_end - end an operation, run or not
 * @op: the operation, reserved
 * @reason: MIRVOL_R_NONE on success; OPERATION_CANCELED makes it
 *	cancelled; else it failed
 *
 * Records the result, gives the volume back, wakes every waiter and
 * drops the operation's reference on the volume (an ended operation in
 * the table does not keep the volume's memory).  Ended before its commit
 * and not asked to stop, it was refused: it leaves the table, with no
 * uevent and no log line (see the top of this file).
 *
 * Context: vol->lock held, and a reference on the volume of the caller's
 * own.
 */
void mirvol_op_end(struct mirvol_operation *op, enum mirvol_reason reason)
{
	struct mirvol_volume *vol = op->vol;
	struct mirvol_operation *old, *next;
	LIST_HEAD(drop);
	bool keep;
	char ev[64];

	lockdep_assert_held(&vol->lock);
	spin_lock(&mirvol_ops_lock);
	keep = op->committed || op->stop;
	op->end = ktime_get();
	op->reason = reason;
	if (!reason) {
		op->state = MIRVOL_OPS_SUCCEEDED;
		op->done = op->total;
	} else if (reason == MIRVOL_R_OPERATION_CANCELED) {
		op->state = MIRVOL_OPS_CANCELLED;
	} else {
		op->state = MIRVOL_OPS_FAILED;
	}
	if (keep) {
		mirvol_ops_ended++;
		mirvol_ops_trim(&drop);
	} else {
		/* Its creator holds a reference: the table's goes below. */
		list_move_tail(&op->node, &drop);
	}
	spin_unlock(&mirvol_ops_lock);
	if (vol->op == op) {
		vol->op = NULL;
		WRITE_ONCE(vol->op_id, 0);
	}
	if (keep) {
		snprintf(ev, sizeof(ev), "MIRVOL_OP=%llu:%s:%s", op->id,
			 mirvol_op_type_name(op->kind->type),
			 mirvol_op_state_name(op->state));
		mirvol_uevent(vol, "operation-ended", ev, NULL);
		pr_info("mirvol: %s: operation %llu (%s) %s%s%s\n", vol->name,
			op->id, mirvol_op_type_name(op->kind->type),
			mirvol_op_state_name(op->state), reason ? ": " : "",
			reason ? mirvol_reason_str(reason) : "");
	}
	wake_up_all(&mirvol_op_waitq);
	list_for_each_entry_safe(old, next, &drop, node) {
		list_del_init(&old->node);
		mirvol_op_put(old);	/* the table's reference */
	}
	op->vol = NULL;
	mirvol_volume_put(vol);
}

/**
 * mirvol_op_finish - end a committed operation from its work
 * @op: the operation
 * @reason: as for mirvol_op_end(); an operation asked to stop ends with
 *	the reason it was asked with
 *
 * After the end the volume may start what waited for it (a resync of
 * plexes left stale), unless the operation was cancelled.
 *
 * Context: the operation's work, holding no volume lock.
 */
void mirvol_op_finish(struct mirvol_operation *op, enum mirvol_reason reason)
{
	struct mirvol_volume *vol = op->vol;

	/*
	 * Past its point of no return, it ends with what it did; else with
	 * the reason it was asked to stop with.  Decided under
	 * mirvol_ops_lock, and final from here: a cancel that comes now is
	 * too late, as the result it would change is decided.
	 */
	spin_lock(&mirvol_ops_lock);
	if (op->stop && !op->final)
		reason = op->stop;
	WRITE_ONCE(op->final, true);
	spin_unlock(&mirvol_ops_lock);
	MIRVOL_KUNIT_HOOK(mirvol_kunit_finish_hook, op);
	mirvol_volume_get(vol);		/* mirvol_op_end() drops the op's */
	mutex_lock(&vol->lock);
	mirvol_op_end(op, reason);
	if (reason != MIRVOL_R_OPERATION_CANCELED)
		mirvol_volume_idle(vol);
	mutex_unlock(&vol->lock);
	mirvol_volume_put(vol);
}

/**
 * mirvol_op_enter_final - pass the operation's point of no return
 * @op: the operation
 *
 * From here on its change is made whatever comes: a cancel is answered
 * CANCEL_TOO_LATE, and the operation ends with its own result.  Decided
 * under mirvol_ops_lock, as mirvol_op_cancel() decides.  Passed once, it
 * stays passed: a later call (add-plex, whose resync passed it at its
 * last promotion) returns true, even when the volume's removal has asked
 * the operation to stop since.
 *
 * Return: false when it was asked to stop first: it must not go on.
 */
bool mirvol_op_enter_final(struct mirvol_operation *op)
{
	bool final;

	spin_lock(&mirvol_ops_lock);
	final = op->final || !op->stop;
	if (final)
		WRITE_ONCE(op->final, true);
	spin_unlock(&mirvol_ops_lock);
	return final;
}

/**
 * mirvol_op_refuse_cancel - take back a cancel the operation cannot obey
 * @op: the operation, asked to stop by OP_CANCEL, not past its point of
 *	no return
 *
 * Undoing it would lose data (add-plex whose plexes became the only
 * in-sync ones): it passes its point of no return now and goes on to
 * its own end; the waiting OP_CANCEL is answered CANCEL_TOO_LATE.  Only
 * a cancel is taken back; op->stop, once set, changes only here.
 *
 * The volume's removal may have come while the cancel was pending: it
 * killed the volume, then found op->stop set and recorded nothing
 * (mirvol_op_abort()).  The operation then does not go on: it is to stop
 * with OBJECT_DELETED, which replaces the cancel here.  Decided under
 * mirvol_ops_lock: a removal that comes after it finds op->stop clear
 * and sets it itself.
 *
 * Return: whether it was a cancel, taken back: the operation goes on.
 */
bool mirvol_op_refuse_cancel(struct mirvol_operation *op)
{
	bool go_on;

	spin_lock(&mirvol_ops_lock);
	go_on = op->stop == MIRVOL_R_OPERATION_CANCELED && !op->final;
	if (go_on && test_bit(MIRVOL_VOL_DEAD, &op->vol->flags)) {
		WRITE_ONCE(op->stop, MIRVOL_R_OBJECT_DELETED);
		go_on = false;
	} else if (go_on) {
		WRITE_ONCE(op->stop, MIRVOL_R_NONE);
		WRITE_ONCE(op->final, true);
	}
	spin_unlock(&mirvol_ops_lock);
	if (go_on)
		wake_up_all(&mirvol_op_waitq);
	return go_on;
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
	spin_lock(&mirvol_ops_lock);
	if (op->nr_outputs < MIRVOL_MAX_PLEXES)
		uuid_copy(&op->outputs[op->nr_outputs++], uuid);
	spin_unlock(&mirvol_ops_lock);
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
			mirvol_op_get(op);
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
	info->type = op->kind->type;
	info->state = op->state;
	info->reason = op->reason;
	info->error = -mirvol_reason_errno(op->reason);
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
	info->unreadable_bytes = READ_ONCE(op->unreadable_sectors) <<
				 SECTOR_SHIFT;
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
 *
 * Return: MIRVOL_R_NONE once ended, else OBJECT_NOT_FOUND, TIMEOUT or
 * INTERRUPTED.
 */
enum mirvol_reason mirvol_op_wait(u64 id, unsigned int timeout_ms,
				  struct mirvol_op_info *info)
{
	struct mirvol_operation *op = mirvol_op_get_by_id(id);
	long ret;

	if (!op)
		return MIRVOL_R_OBJECT_NOT_FOUND;
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
		return MIRVOL_R_NONE;
	return ret ? MIRVOL_R_INTERRUPTED : MIRVOL_R_TIMEOUT;
}

/**
 * mirvol_op_cancel - stop a running operation and wait for its end
 * @id: the operation
 * @info: out: its state
 *
 * Operations whose type is not cancellable (break-plex, remove-plex:
 * they complete in moments and cannot be undone half-way) are refused.
 *
 * Return: MIRVOL_R_NONE when cancelled, else OBJECT_NOT_FOUND or
 * CANCEL_TOO_LATE.
 */
enum mirvol_reason mirvol_op_cancel(u64 id, struct mirvol_op_info *info)
{
	struct mirvol_operation *op = mirvol_op_get_by_id(id);
	enum mirvol_reason reason = MIRVOL_R_NONE;

	if (!op)
		return MIRVOL_R_OBJECT_NOT_FOUND;
	spin_lock(&mirvol_ops_lock);
	if (op->state != MIRVOL_OPS_RUNNING || !op->kind->cancellable ||
	    op->final)
		reason = MIRVOL_R_CANCEL_TOO_LATE;
	else if (!op->stop)
		WRITE_ONCE(op->stop, MIRVOL_R_OPERATION_CANCELED);
	spin_unlock(&mirvol_ops_lock);
	if (!reason) {
		wake_up_all(&mirvol_op_waitq);
		/*
		 * Or until it refuses: mirvol_op_refuse_cancel() clears it,
		 * or replaces it with the volume's removal.  Cancelled only
		 * when it ended with the cancel still its reason to stop.
		 */
		wait_event(mirvol_op_waitq, mirvol_op_ended(op) ||
			   !READ_ONCE(op->stop));
		if (READ_ONCE(op->stop) != MIRVOL_R_OPERATION_CANCELED)
			reason = MIRVOL_R_CANCEL_TOO_LATE;
	}
	mirvol_op_fill(op, info);
	mirvol_op_put(op);
	return reason;
}

/**
 * mirvol_op_abort - end a volume's operation, if any, and wait for it
 * @vol: the volume
 * @reason: the reason it ends with (OBJECT_DELETED)
 *
 * Works for an operation being prepared (reserved, locks dropped) as for
 * a running one: whoever holds it sees op->stop the next time it checks.
 * One asked to stop already keeps that reason: a pending cancel ends it
 * cancelled, unless the operation refuses the cancel, which then finds
 * the volume dead and stops with OBJECT_DELETED all the same
 * (mirvol_op_refuse_cancel()).
 *
 * Context: no volume lock held.  The teardown killed the volume first
 * (MIRVOL_VOL_DEAD), which mirvol_op_refuse_cancel() relies on.
 */
void mirvol_op_abort(struct mirvol_volume *vol, enum mirvol_reason reason)
{
	struct mirvol_operation *op;

	mutex_lock(&vol->lock);
	op = vol->op;
	if (op) {
		mirvol_op_get(op);
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
