// SPDX-License-Identifier: GPL-2.0
/*
 * mirvol pure logic.  See include/mirvol_logic.h.
 *
 * Copyright (C) 2026 The mirvol authors
 */
#include <linux/bitmap.h>
#include <linux/bits.h>
#include <linux/compiler.h>
#include <linux/errno.h>
#include <linux/jiffies.h>
#include <linux/kernel.h>
#include <linux/limits.h>
#include <linux/math64.h>
#include <linux/string.h>

#include "mirvol_logic.h"
#include "mirvol_sb_codec.h"

/**
 * mirvol_plex_transition_valid - may a plex go from one state to another
 * @from: current enum mirvol_plex_state
 * @to: wanted enum mirvol_plex_state
 *
 * ACTIVE, SYNCING and STALE plexes can fail, go missing or be taken
 * offline; a STALE plex starts SYNCING, a SYNCING plex becomes ACTIVE when
 * its resync ends.  OFFLINE and FAILED plexes keep their device (an
 * OFFLINE one assembled without it stays so, its device held when it
 * comes: mirvol_assemble_plan(), mirvol_rejoin_check()): they come
 * back (online, re-add) as SYNCING (only what the bitmap recorded) or
 * STALE, or go missing (a FAILED or OFFLINE plex whose device goes stays
 * as it is, see __mirvol_plex_gone()).  MISSING is final for the plex object: a device
 * that comes back rejoins as a new plex (assembly, re-add) or through
 * add-plex.
 *
 * Return: true when the transition is allowed.
 */
bool mirvol_plex_transition_valid(unsigned int from, unsigned int to)
{
	switch (from) {
	case MIRVOL_PLEX_ACTIVE:
		return to == MIRVOL_PLEX_FAILED || to == MIRVOL_PLEX_MISSING ||
		       to == MIRVOL_PLEX_SYNCING || to == MIRVOL_PLEX_OFFLINE;
	case MIRVOL_PLEX_STALE:
		return to == MIRVOL_PLEX_SYNCING || to == MIRVOL_PLEX_FAILED ||
		       to == MIRVOL_PLEX_MISSING || to == MIRVOL_PLEX_OFFLINE;
	case MIRVOL_PLEX_SYNCING:
		return to == MIRVOL_PLEX_ACTIVE || to == MIRVOL_PLEX_FAILED ||
		       to == MIRVOL_PLEX_MISSING || to == MIRVOL_PLEX_OFFLINE;
	case MIRVOL_PLEX_FAILED:
	case MIRVOL_PLEX_OFFLINE:
		return to == MIRVOL_PLEX_MISSING || to == MIRVOL_PLEX_SYNCING ||
		       to == MIRVOL_PLEX_STALE;
	default:
		return false;
	}
}

/**
 * mirvol_volume_state_of - the state of a started volume from its plexes
 * @states: enum mirvol_plex_state of every plex in the volume
 * @n: number of entries
 *
 * Return: ONLINE when every plex is in sync, DEGRADED when at least one
 * is, FAILED when none is.
 */
unsigned int mirvol_volume_state_of(const unsigned int *states,
				    unsigned int n)
{
	unsigned int i, active = 0;

	for (i = 0; i < n; i++)
		if (states[i] == MIRVOL_PLEX_ACTIVE)
			active++;
	if (!active)
		return MIRVOL_VOLUME_FAILED;
	return active == n ? MIRVOL_VOLUME_ONLINE : MIRVOL_VOLUME_DEGRADED;
}

/**
 * mirvol_speed_start - start measuring a copy rate
 * @sp: the window
 * @now: jiffies
 * @done: sectors done so far
 */
void mirvol_speed_start(struct mirvol_speed *sp, unsigned long now, u64 done)
{
	sp->mark_time = now;
	sp->mark_done = done;
	sp->next_time = now;
	sp->next_done = done;
}

/**
 * mirvol_speed_batch - how much a resync copies at once under a limit
 * @max_kibs: sync_speed_max in KiB/s, 0 for none
 * @chunk: sectors of one chunk (a batch is a whole number of them)
 * @max_batch: sectors of the largest batch
 *
 * A batch is copied in one go and the throttle can only pause between
 * batches, so a low limit needs small batches: at most a quarter second
 * of the limit, between one chunk and a full batch.
 *
 * Return: the batch size in sectors.
 */
u64 mirvol_speed_batch(unsigned int max_kibs, u64 chunk, u64 max_batch)
{
	u64 quarter = (u64)max_kibs * 2 / 4;	/* sectors in 1/4 s */

	if (!max_kibs)
		return max_batch;
	return clamp(div64_u64(quarter, chunk) * chunk, chunk, max_batch);
}

/**
 * mirvol_speed_kibs - the rate over the window, sliding it when due
 * @sp: the window
 * @now: jiffies, not before the last call
 * @done: sectors done so far, not fewer than at the last call
 *
 * Return: KiB/s from the window's start to @now.
 */
unsigned int mirvol_speed_kibs(struct mirvol_speed *sp, unsigned long now,
			       u64 done)
{
	if (time_after(now, sp->next_time + MIRVOL_MARK_SECS * HZ)) {
		sp->mark_time = sp->next_time;
		sp->mark_done = sp->next_done;
		sp->next_time = now;
		sp->next_done = done;
	}
	return min_t(u64, div64_u64(((done - sp->mark_done) >> 1) * HZ,
				    now - sp->mark_time + 1), UINT_MAX);
}

/**
 * mirvol_speed_delay - how long to pause to keep a rate limit
 * @sp: the window
 * @now: jiffies
 * @done: sectors done so far
 * @max_kibs: the limit in KiB/s, 0 for none
 *
 * Return: jiffies from @now until the window's average is back at
 * @max_kibs with nothing more copied; 0 when it is not above it.
 */
unsigned long mirvol_speed_delay(const struct mirvol_speed *sp,
				 unsigned long now, u64 done,
				 unsigned int max_kibs)
{
	unsigned long elapsed = now - sp->mark_time;
	u64 need;

	if (!max_kibs)
		return 0;
	/* The window length at which the KiB done average @max_kibs. */
	need = div64_u64(((done - sp->mark_done) >> 1) * HZ, max_kibs);
	return need > elapsed ? min_t(u64, need - elapsed, ULONG_MAX) : 0;
}

/**
 * mirvol_sync_next_step - the next batch of a resync pass
 * @offsets: per slot, the target's checkpoint (sectors in sync from 0)
 * @mask: the slots that are targets (bit per slot)
 * @size: the volume's size, sectors
 * @max_sectors: the most a batch copies (a multiple of @align)
 * @align: a power of two: batch ends fall on its multiples (but the
 *	unit's and the volume's end)
 * @unit: barrier unit, a power of two: a batch stays within one
 * @st: out: the batch
 *
 * The batch starts at the lowest checkpoint below @size and ends at the
 * next @align boundary @max_sectors on (or at the unit's or the volume's
 * end); it writes each target whose checkpoint lies inside it from that
 * checkpoint on.  See struct mirvol_sync_step.
 *
 * Return: false when no target is left below @size.
 */
bool mirvol_sync_next_step(const u64 *offsets, u8 mask, u64 size,
			   u64 max_sectors, u64 align, u64 unit,
			   struct mirvol_sync_step *st)
{
	u64 start = U64_MAX, end;
	unsigned int i;

	memset(st, 0, sizeof(*st));
	for (i = 0; i < MIRVOL_MAX_PLEXES; i++)
		if ((mask & BIT(i)) && offsets[i] < size)
			start = min(start, offsets[i]);
	if (start == U64_MAX)
		return false;
	end = round_down(start, align) + max_sectors;
	end = min3(end, size, (start | (unit - 1)) + 1);
	st->start = start;
	st->end = end;
	for (i = 0; i < MIRVOL_MAX_PLEXES; i++) {
		if ((mask & BIT(i)) && offsets[i] < end) {
			st->targets |= BIT(i);
			st->from[i] = offsets[i];
		}
	}
	return true;
}

/**
 * mirvol_sync_skip_clean - move partial targets to their next region to copy
 * @offsets: per slot, the targets' checkpoints; those in @partial move
 * @partial: slots that copy only the regions set in @bits
 * @bits: the regions to copy (a snapshot of the write-intent bitmap)
 * @nr: regions in @bits
 * @shift: log2 of the region size, in sectors
 * @size: the volume's size, sectors
 *
 * A partial target differs from the source only in the regions set: its
 * checkpoint may jump over a region that is not, to the start of the next
 * one that is, or to @size when none is left.
 */
void mirvol_sync_skip_clean(u64 *offsets, u8 partial, const unsigned long *bits,
			    unsigned long nr, unsigned int shift, u64 size)
{
	unsigned long r, next;
	unsigned int i;

	for (i = 0; i < MIRVOL_MAX_PLEXES; i++) {
		if (!(partial & BIT(i)) || offsets[i] >= size)
			continue;
		r = offsets[i] >> shift;
		next = find_next_bit(bits, nr, r);
		if (next >= nr)
			offsets[i] = size;
		else if (next > r)
			offsets[i] = min_t(u64, (u64)next << shift, size);
	}
}

/**
 * mirvol_sync_cap_step - keep a batch inside its partial targets' runs
 * @st: the batch of mirvol_sync_next_step(), over checkpoints that
 *	mirvol_sync_skip_clean() moved
 * @partial: slots that copy only the regions set in @bits
 * @bits: the regions to copy
 * @nr: regions in @bits
 * @shift: log2 of the region size, in sectors
 *
 * The batch ends where the run of set regions of any partial target in it
 * ends; targets whose checkpoint lies past the new end leave the batch
 * (the next one starts there).
 */
void mirvol_sync_cap_step(struct mirvol_sync_step *st, u8 partial,
			  const unsigned long *bits, unsigned long nr,
			  unsigned int shift)
{
	unsigned int i;
	u64 end;

	for (i = 0; i < MIRVOL_MAX_PLEXES; i++) {
		if (!(st->targets & partial & BIT(i)))
			continue;
		end = (u64)find_next_zero_bit(bits, nr, st->from[i] >> shift) <<
		      shift;
		if (end < st->end)
			st->end = end;
	}
	for (i = 0; i < MIRVOL_MAX_PLEXES; i++) {
		if ((st->targets & BIT(i)) && st->from[i] >= st->end) {
			st->targets &= ~BIT(i);
			st->from[i] = 0;
		}
	}
}

/**
 * mirvol_read_errors_decay - an uncorrected read error count, decayed
 * @count: the count when the last error was counted
 * @last: when that was, seconds
 * @now: now, seconds
 *
 * As md's check_decay_read_errors(): the count halves for every full
 * hour without a new error, so that a plex is failed for errors that
 * come often, not for a few over months.
 *
 * Return: the count as it stands at @now.
 */
unsigned int mirvol_read_errors_decay(unsigned int count, s64 last, s64 now)
{
	s64 hours;

	if (now <= last)
		return count;
	hours = div_s64(now - last, 3600);
	return hours >= 32 ? 0 : count >> hours;
}

/**
 * mirvol_reason_errno - the errno that goes with a reason code
 * @reason: enum mirvol_reason
 *
 * Return: a negative errno, 0 for MIRVOL_R_NONE.
 */
int mirvol_reason_errno(enum mirvol_reason reason)
{
	switch (reason) {
	case MIRVOL_R_NONE:			return 0;
	case MIRVOL_R_OBJECT_NOT_FOUND:		return -ENOENT;
	case MIRVOL_R_DEVICE_BUSY:		return -EBUSY;
	case MIRVOL_R_NAME_EXISTS:		return -EEXIST;
	case MIRVOL_R_ACCESS_DENIED:		return -EPERM;
	case MIRVOL_R_NO_MEMORY:		return -ENOMEM;
	case MIRVOL_R_IO_ERROR:			return -EIO;
	case MIRVOL_R_BAD_FD:			return -EBADF;
	case MIRVOL_R_NOT_BLOCK_DEVICE:		return -ENOTBLK;
	case MIRVOL_R_DEVICE_TOO_SMALL:		return -ENOSPC;
	case MIRVOL_R_VOLUME_NOT_ONLINE:	return -ENXIO;
	case MIRVOL_R_PLEX_IS_BOOT:		return -EPERM;
	case MIRVOL_R_REMAINING_PLEX_STALE:	return -EBUSY;
	case MIRVOL_R_PLEX_NOT_IN_SYNC:		return -EBUSY;
	case MIRVOL_R_SOURCE_TOO_SMALL:		return -ENOSPC;
	case MIRVOL_R_OBJECT_STATUS_FAILED:	return -EIO;
	case MIRVOL_R_ANOTHER_CALL_IN_PROGRESS:	return -EBUSY;
	case MIRVOL_R_OBJECT_DELETED:		return -ENODEV;
	case MIRVOL_R_CANCEL_TOO_LATE:		return -EALREADY;
	case MIRVOL_R_OPERATION_CANCELED:	return -ECANCELED;
	case MIRVOL_R_TIMEOUT:			return -ETIMEDOUT;
	case MIRVOL_R_INTERRUPTED:		return -EINTR;
	case MIRVOL_R_METADATA_CORRUPT:		return -EUCLEAN;
	case MIRVOL_R_SPLIT_BRAIN:		return -EUCLEAN;
	case MIRVOL_R_VOLUME_INCOMPLETE:	return -EAGAIN;
	case MIRVOL_R_NO_IN_SYNC_MEMBER:	return -EIO;
	case MIRVOL_R_NOT_SUPPORTED:		return -ENOTTY;
	case MIRVOL_R_SOURCE_READ_ERROR:	return -EIO;
	case MIRVOL_R_DATA_UNREADABLE:		return -EIO;
	case MIRVOL_R_PLEX_OFFLINE:		return -ENXIO;
	case MIRVOL_R_WIPE_FAILED:		return -EIO;
	case MIRVOL_R_READ_ONLY_DEVICE:		return -EROFS;
	case MIRVOL_R_RESYNC_PENDING:		return -EBUSY;
	case MIRVOL_R_FREEZE_FAILED:		return -EBUSY;
	case MIRVOL_R_NOTHING_TO_SYNC:		return -EALREADY;
	case MIRVOL_R_TOO_FEW_IN_SYNC:		return -ENXIO;
	/* Stable since they came: the reason code tells them apart. */
	case MIRVOL_R_NO_BITMAP:		return -EINVAL;
	case MIRVOL_R_NOT_SPLIT_PAIR:		return -EINVAL;
	case MIRVOL_R_PLEX_FAILED:		return -EINVAL;
	case MIRVOL_R_SPLIT_TRACKED:		return -EINVAL;
	default:				return -EINVAL;
	}
}

bool mirvol_mem_is_zero(const void *p, size_t len)
{
	const u8 *b = p;

	while (len--)
		if (*b++)
			return false;
	return true;
}

static unsigned int count_active(const struct mirvol_rule_vol *v, int except)
{
	unsigned int i, n = 0;

	for (i = 0; i < MIRVOL_MAX_PLEXES; i++)
		if (v->present[i] && (int)i != except &&
		    v->states[i] == MIRVOL_PLEX_ACTIVE)
			n++;
	return n;
}

/* Refusals common to break-plex and remove-plex, in VDS order. */
static enum mirvol_reason check_plex_op(const struct mirvol_rule_vol *v,
					int slot)
{
	if (v->state == MIRVOL_VOLUME_FAILED ||
	    v->state == MIRVOL_VOLUME_OFFLINE)
		return MIRVOL_R_VOLUME_NOT_ONLINE;
	if (v->busy)
		return MIRVOL_R_ANOTHER_CALL_IN_PROGRESS;
	if (slot < 0 || slot >= MIRVOL_MAX_PLEXES || !v->present[slot])
		return MIRVOL_R_OBJECT_NOT_FOUND;
	if (v->nr_plexes < 2)
		return MIRVOL_R_VOLUME_NOT_A_MIRROR;
	if (v->boot[slot])
		return MIRVOL_R_PLEX_IS_BOOT;
	return MIRVOL_R_NONE;
}

/**
 * mirvol_check_break - may this plex be broken off into a new volume
 * @v: the volume
 * @slot: the plex's slot, or -1 when no such plex exists
 *
 * The volume must be online (degraded counts: VDS's "online" means
 * available), idle, a mirror; the plex must exist, not be the boot plex
 * and be in sync itself; and an in-sync plex must remain.
 *
 * Return: MIRVOL_R_NONE or the reason for refusing.
 */
enum mirvol_reason mirvol_check_break(const struct mirvol_rule_vol *v,
				      int slot)
{
	enum mirvol_reason r = check_plex_op(v, slot);

	if (r)
		return r;
	if (v->states[slot] != MIRVOL_PLEX_ACTIVE)
		return MIRVOL_R_PLEX_NOT_IN_SYNC;
	if (!count_active(v, slot))
		return MIRVOL_R_REMAINING_PLEX_STALE;
	return MIRVOL_R_NONE;
}

/**
 * mirvol_check_remove_plex - may this plex be removed from the volume
 * @v: the volume
 * @slot: the plex's slot, or -1 when no such plex exists
 *
 * As mirvol_check_break(), except that the plex may be in any state:
 * removing a stale, syncing, failed or missing plex is allowed while an
 * in-sync plex remains.
 *
 * Return: MIRVOL_R_NONE or the reason for refusing.
 */
enum mirvol_reason mirvol_check_remove_plex(const struct mirvol_rule_vol *v,
					    int slot)
{
	enum mirvol_reason r = check_plex_op(v, slot);

	if (r)
		return r;
	if (!count_active(v, slot))
		return MIRVOL_R_REMAINING_PLEX_STALE;
	return MIRVOL_R_NONE;
}

/**
 * mirvol_check_plex_action - may a PLEX_ACTION go ahead
 * @v: the volume
 * @slot: the plex's slot, or -1 when no such plex exists
 * @action: enum mirvol_plex_action_type
 * @has_dev: a device for the plex: its own (failed, offline) or one given
 *	to re-add a missing plex
 *
 * FAIL and TAKE_OFFLINE take a plex that takes writes out of the mirror,
 * never the last in-sync one; TAKE_ONLINE brings an offline plex back
 * (its device held: OBJECT_NOT_FOUND while it is absent), READD a failed
 * or missing one: both need an in-sync plex to copy from.
 * REPLACE needs a new device; add-plex's rules (mirvol_check_add())
 * decide the rest.
 *
 * Return: MIRVOL_R_NONE or the reason for refusing.
 */
enum mirvol_reason mirvol_check_plex_action(const struct mirvol_rule_vol *v,
					    int slot, unsigned int action,
					    bool has_dev)
{
	unsigned int st;

	if (action < MIRVOL_PLEX_FAIL || action > MIRVOL_PLEX_REPLACE)
		return MIRVOL_R_INVALID_ARGUMENT;
	if (v->state == MIRVOL_VOLUME_OFFLINE)
		return MIRVOL_R_VOLUME_NOT_ONLINE;
	if (slot < 0 || slot >= MIRVOL_MAX_PLEXES || !v->present[slot])
		return MIRVOL_R_OBJECT_NOT_FOUND;
	st = v->states[slot];
	switch (action) {
	case MIRVOL_PLEX_FAIL:
	case MIRVOL_PLEX_TAKE_OFFLINE:
		if (!mirvol_state_writable(st))
			return MIRVOL_R_INVALID_OPERATION;
		if (st == MIRVOL_PLEX_ACTIVE && !count_active(v, slot))
			return MIRVOL_R_REMAINING_PLEX_STALE;
		return MIRVOL_R_NONE;
	case MIRVOL_PLEX_TAKE_ONLINE:
		if (st != MIRVOL_PLEX_OFFLINE)
			return MIRVOL_R_INVALID_OPERATION;
		/* Offline, its device absent (assembled without it). */
		if (!has_dev)
			return MIRVOL_R_OBJECT_NOT_FOUND;
		break;
	case MIRVOL_PLEX_REPLACE:
		/* Any plex; add-plex's rules decide the rest. */
		return has_dev ? MIRVOL_R_NONE : MIRVOL_R_INVALID_ARGUMENT;
	default:
		if (st != MIRVOL_PLEX_FAILED && st != MIRVOL_PLEX_MISSING)
			return MIRVOL_R_INVALID_OPERATION;
		if (!has_dev)
			return MIRVOL_R_INVALID_ARGUMENT;
		break;
	}
	if (!count_active(v, -1))
		return MIRVOL_R_OBJECT_STATUS_FAILED;
	return MIRVOL_R_NONE;
}

/**
 * mirvol_speed_valid - may a volume's resync speed be set to this
 * @kibs: KiB/s, as SET_VOLUME or the sysfs files sync_speed_min/max give it
 *
 * One bound for both, so that neither takes what the other refuses.
 *
 * Return: whether @kibs is at most MIRVOL_SPEED_MAX_KIBS.
 */
bool mirvol_speed_valid(u32 kibs)
{
	return kibs <= MIRVOL_SPEED_MAX_KIBS;
}

/**
 * mirvol_check_set_volume - validate a SET_VOLUME argument
 * @sv: the argument as copied from user space
 *
 * Return: MIRVOL_R_NONE or INVALID_ARGUMENT.
 */
enum mirvol_reason mirvol_check_set_volume(const struct mirvol_set_volume *sv)
{
	u32 what = MIRVOL_SET_F_BITMAP | MIRVOL_SET_F_SPEED |
		   MIRVOL_SET_F_FORGET_SPLIT;
	u64 region = sv->bitmap_region_bytes;

	if (!sv->hdr.flags || (sv->hdr.flags & ~what) || sv->pad ||
	    !mirvol_mem_is_zero(sv->reserved, sizeof(sv->reserved)))
		return MIRVOL_R_INVALID_ARGUMENT;
	if (sv->hdr.flags & MIRVOL_SET_F_BITMAP) {
		if (sv->bitmap > 1 || (region && !sv->bitmap))
			return MIRVOL_R_INVALID_ARGUMENT;
		if (region && ((region & (region - 1)) ||
			       region < MIRVOL_BITMAP_MIN_REGION ||
			       region > (1ULL << 40)))
			return MIRVOL_R_INVALID_ARGUMENT;
	} else if (sv->bitmap || region) {
		return MIRVOL_R_INVALID_ARGUMENT;
	}
	if (sv->hdr.flags & MIRVOL_SET_F_SPEED) {
		if (!mirvol_speed_valid(sv->sync_speed_min) ||
		    !mirvol_speed_valid(sv->sync_speed_max) ||
		    (sv->sync_speed_max &&
		     sv->sync_speed_min > sv->sync_speed_max))
			return MIRVOL_R_INVALID_ARGUMENT;
	} else if (sv->sync_speed_min || sv->sync_speed_max) {
		return MIRVOL_R_INVALID_ARGUMENT;
	}
	return MIRVOL_R_NONE;
}

/**
 * mirvol_check_add - may these plexes join the volume
 * @v: the target volume
 * @a: the source
 *
 * New plexes take the slots of missing plexes first (as md recovers into a
 * missing member's role), so those do not count against the maximum.
 *
 * Return: MIRVOL_R_NONE or the reason for refusing.
 */
enum mirvol_reason mirvol_check_add(const struct mirvol_rule_vol *v,
				    const struct mirvol_rule_add *a)
{
	if (v->state == MIRVOL_VOLUME_FAILED)
		return MIRVOL_R_OBJECT_STATUS_FAILED;
	if (v->state == MIRVOL_VOLUME_OFFLINE)
		return MIRVOL_R_VOLUME_NOT_ONLINE;
	if (v->busy)
		return MIRVOL_R_ANOTHER_CALL_IN_PROGRESS;
	if (a->is_target || a->is_mirvol_dev)
		return MIRVOL_R_INVALID_OPERATION;
	if (a->src_open)
		return MIRVOL_R_DEVICE_BUSY;
	if (a->src_not_online)
		return MIRVOL_R_VOLUME_NOT_ONLINE;
	if (a->src_busy)
		return MIRVOL_R_ANOTHER_CALL_IN_PROGRESS;
	if (!a->nr_new)
		return MIRVOL_R_INVALID_ARGUMENT;
	if (v->nr_plexes - v->nr_missing + a->nr_new > MIRVOL_MAX_PLEXES)
		return MIRVOL_R_TOO_MANY_PLEXES;
	if (a->min_size < v->size)
		return MIRVOL_R_SOURCE_TOO_SMALL;
	if (a->lbs_larger)
		return MIRVOL_R_INCOMPATIBLE_DEVICE;
	return MIRVOL_R_NONE;
}

/* A started volume that can serve I/O: the reason when it is not. */
static enum mirvol_reason check_serving(const struct mirvol_rule_vol *v)
{
	if (v->state == MIRVOL_VOLUME_OFFLINE)
		return MIRVOL_R_VOLUME_NOT_ONLINE;
	if (v->state == MIRVOL_VOLUME_FAILED)
		return MIRVOL_R_OBJECT_STATUS_FAILED;
	if (v->busy)
		return MIRVOL_R_ANOTHER_CALL_IN_PROGRESS;
	return MIRVOL_R_NONE;
}

/**
 * mirvol_check_resync - may a resync start (SYNC_ACTION RESYNC)
 * @v: the volume
 *
 * It must be started, not failed (a source must remain), idle, and have a
 * stale or syncing plex.
 *
 * Return: MIRVOL_R_NONE or the reason for refusing.
 */
enum mirvol_reason mirvol_check_resync(const struct mirvol_rule_vol *v)
{
	enum mirvol_reason r = check_serving(v);
	unsigned int i;

	if (r)
		return r;
	for (i = 0; i < MIRVOL_MAX_PLEXES; i++)
		if (v->present[i] && (v->states[i] == MIRVOL_PLEX_STALE ||
				      v->states[i] == MIRVOL_PLEX_SYNCING))
			return MIRVOL_R_NONE;
	return MIRVOL_R_NOTHING_TO_SYNC;
}

/**
 * mirvol_check_scrub - may a check or repair start
 * @v: the volume
 * @source: repair's source: its slot, -1 when none was given, -2 when
 *	the one given is not a plex of the volume
 * @repair: a repair, which rewrites plexes; else a check
 *
 * It must be started, not failed, idle, with two in-sync plexes; a source
 * must be one of them.  A repair also waits for every stale or syncing
 * plex to be in sync, as md runs no repair while a recovery is pending:
 * it rewrites only the in-sync plexes, and a resync going on from its
 * checkpoint would not copy a rewrite below it, leaving the plex it
 * promotes with the data the repair replaced.  A check only compares the
 * in-sync plexes.
 *
 * Return: MIRVOL_R_NONE or the reason for refusing.
 */
enum mirvol_reason mirvol_check_scrub(const struct mirvol_rule_vol *v,
				      int source, bool repair)
{
	enum mirvol_reason r = check_serving(v);
	unsigned int i;

	if (r)
		return r;
	if (source == -2 || source >= MIRVOL_MAX_PLEXES ||
	    (source >= 0 && !v->present[source]))
		return MIRVOL_R_OBJECT_NOT_FOUND;
	if (source >= 0 && v->states[source] != MIRVOL_PLEX_ACTIVE)
		return MIRVOL_R_PLEX_NOT_IN_SYNC;
	if (count_active(v, -1) < 2)
		return MIRVOL_R_TOO_FEW_IN_SYNC;
	for (i = 0; repair && i < MIRVOL_MAX_PLEXES; i++)
		if (v->present[i] && (v->states[i] == MIRVOL_PLEX_STALE ||
				      v->states[i] == MIRVOL_PLEX_SYNCING))
			return MIRVOL_R_RESYNC_PENDING;
	return MIRVOL_R_NONE;
}

/**
 * mirvol_check_create - validate a CREATE argument before any work
 * @c: the argument as copied from user space
 *
 * Return: MIRVOL_R_NONE or the reason for refusing.
 */
enum mirvol_reason mirvol_check_create(const struct mirvol_create *c)
{
	u64 region = c->bitmap_region_bytes;
	unsigned int i;

	if (c->hdr.flags &
	    ~(MIRVOL_CREATE_F_ASSUME_CLEAN | MIRVOL_CREATE_F_NO_BITMAP |
	      MIRVOL_CREATE_F_CHECK))
		return MIRVOL_R_INVALID_ARGUMENT;
	/* A power of two from 64 KiB whose sectors fit the superblock's u32. */
	if (region && ((region & (region - 1)) ||
		       region < MIRVOL_BITMAP_MIN_REGION ||
		       region > (1ULL << 40) ||
		       (c->hdr.flags & MIRVOL_CREATE_F_NO_BITMAP)))
		return MIRVOL_R_INVALID_ARGUMENT;
	if (c->pad || c->pad2 ||
	    !mirvol_mem_is_zero(c->reserved, sizeof(c->reserved)))
		return MIRVOL_R_INVALID_ARGUMENT;
	if (c->name[0] && !mirvol_name_new_valid(c->name, sizeof(c->name)))
		return MIRVOL_R_INVALID_ARGUMENT;
	if (!c->nr_plexes)
		return MIRVOL_R_INVALID_ARGUMENT;
	if (c->nr_plexes > MIRVOL_MAX_PLEXES)
		return MIRVOL_R_TOO_MANY_PLEXES;
	for (i = c->nr_plexes; i < MIRVOL_MAX_PLEXES; i++)
		if (c->plex_fds[i] != -1)
			return MIRVOL_R_INVALID_ARGUMENT;
	for (i = 0; i < c->nr_plexes; i++)
		if (c->plex_fds[i] < 0)
			return MIRVOL_R_BAD_FD;
	return MIRVOL_R_NONE;
}

/**
 * mirvol_break_name - the default name of a broken-off plex's volume
 * @out: MIRVOL_NAME_LEN bytes
 * @name: the old volume's name
 * @index: the plex's slot
 *
 * "<name>-plex<index>", the old name shortened so that the result fits.
 */
void mirvol_break_name(char *out, const char *name, unsigned int index)
{
	char suffix[16];
	int room;

	snprintf(suffix, sizeof(suffix), "-plex%u", index);
	room = MIRVOL_NAME_LEN - 1 - (int)strlen(suffix);
	snprintf(out, MIRVOL_NAME_LEN, "%.*s%s", room, name, suffix);
}

static bool gone_state(unsigned int state)
{
	return state == MIRVOL_PLEX_FAILED || state == MIRVOL_PLEX_MISSING;
}

/*
 * Did the bitmap of the volume whose newest superblock is @newest record
 * every write that plex @p missed?  It must have been missing, not failed
 * (a plex that failed a write is not trusted back without a full copy),
 * and have left strictly after the bitmap began to cover every write
 * (mirvol_bitmap_gone_covered()).  Bits are
 * never cleared while a plex is out of sync (mirvol_bitmap.c, rule 3).
 * A plex that left while copying everything has no gone_generation: the
 * bitmap says nothing of the regions it never got (mirvol_sb_targets()).
 * Its device, of generation @own, must hold the image it left with, not
 * an older one (mirvol_bitmap_image_left()).
 */
static bool bitmap_covers(const struct mirvol_md *newest,
			  const struct mirvol_md_plex *p, u64 own)
{
	return newest->bitmap_region && p->state == MIRVOL_PLEX_MISSING &&
	       mirvol_bitmap_gone_covered(p->gone_generation,
					  newest->bitmap_cleared_gen) &&
	       mirvol_bitmap_image_left(own, p->gone_generation);
}

/* Does @a's superblock record @b as failed or missing? */
static bool records_gone(const struct mirvol_md *a, const struct mirvol_md *b)
{
	const struct mirvol_md_plex *p = &a->plexes[b->plex_index];

	return !memcmp(p->uuid, b->plex_uuid, MIRVOL_UUID_LEN) &&
	       gone_state(p->state);
}

/*
 * Does @a's superblock outrank @b's as the truth?  The newer generation
 * does.  Two of the same generation differ only when a device joined
 * (mirvol_sb_join_plex(): one generation ahead) and the update that
 * followed did not reach it: then the in-sync plexes' superblock, the
 * one that update wrote, is the truth, not the joining device's own
 * account.  Last, the lower slot: never the order members come in.
 */
static bool md_outranks(const struct mirvol_md *a, const struct mirvol_md *b)
{
	bool a_in = a->plexes[a->plex_index].state == MIRVOL_PLEX_ACTIVE;
	bool b_in = b->plexes[b->plex_index].state == MIRVOL_PLEX_ACTIVE;

	if (a->generation != b->generation)
		return a->generation > b->generation;
	if (a_in != b_in)
		return a_in;
	return a->plex_index < b->plex_index;
}

/*
 * Did @m run without the volume whose superblock is @vol_md, and write?
 * @vol_md records @m's slot failed, missing or offline since the update
 * at gone_generation, which @m did not take: its own last superblock is
 * older (marked offline, of that one, saying offline:
 * mirvol_sb_mark_offline()), by up to two generations when the bitmap
 * still covers it (mirvol_bitmap_image_left()).  Run alone it took
 * updates of its own, its start and its dirty mark, saying it is in
 * sync: from two behind, the dirty mark is of gone_generation itself, so
 * any generation from gone_generation on says so.  Its table need not
 * list a plex the volume has (one replaced meanwhile), nor its
 * generation pass the volume's.
 * A join cut short (mirvol_sb_join_plex(): one generation ahead of the
 * volume then) and a partial target that took updates after it left say
 * they are syncing.  A slot without gone_generation is copied in full.
 */
static bool ran_apart(const struct mirvol_md *vol_md,
		      const struct mirvol_md *m)
{
	const struct mirvol_md_plex *p = &vol_md->plexes[m->plex_index];

	return (gone_state(p->state) || p->state == MIRVOL_PLEX_OFFLINE) &&
	       p->gone_generation && m->generation >= p->gone_generation &&
	       m->plexes[m->plex_index].state == MIRVOL_PLEX_ACTIVE;
}

/**
 * mirvol_assemble_plan - decide how to assemble a volume from its members
 * @mds: the members' current superblocks, all of the same volume UUID
 * @n: number of members
 * @classes: out: per member, MIRVOL_ASM_*
 * @plan: out: the plan
 *
 * The member with the newest generation holds the truth (at the same
 * generation, an in-sync one's; see md_outranks()).  A member is
 * current when the newest superblock records it active and it saw every
 * update but possibly the last (a crash in the middle of writing the
 * superblocks to all plexes leaves them one generation apart); otherwise
 * it is stale.  Two members that each record the other as failed or
 * missing both ran without the other, as did one that ran alone since the
 * newest recorded it gone (ran_apart()): split brain, nothing is assembled.
 * After an unclean shutdown (dirty) the lowest current active plex is the
 * resync source and the other in-sync plexes resync from it.  With a
 * write-intent bitmap those, and a member back from missing that the
 * bitmap covers (bitmap_covers()), copy only the regions whose bit is set
 * (@plan->slot_partial).  The last in-sync plex back (recorded
 * MIRVOL_PLEX_F_LAST_IN_SYNC) makes the syncing plexes copy everything
 * from 0, clean or not.
 */
void mirvol_assemble_plan(const struct mirvol_md *const *mds, unsigned int n,
			  unsigned int *classes, struct mirvol_asm_plan *plan)
{
	const struct mirvol_md *newest;
	unsigned int i, j, active = 0;
	bool split = false, rewind = false;

	memset(plan, 0, sizeof(*plan));
	plan->newest = -1;
	plan->dirty_source = -1;
	for (i = 0; i < MIRVOL_MAX_PLEXES; i++)
		plan->slot_member[i] = -1;
	if (!n) {
		plan->reason = MIRVOL_R_NO_IN_SYNC_MEMBER;
		return;
	}
	for (i = 0; i < n; i++)
		if (plan->newest < 0 || md_outranks(mds[i], mds[plan->newest]))
			plan->newest = i;
	newest = mds[plan->newest];

	for (i = 0; i < n; i++) {
		const struct mirvol_md_plex *p;
		unsigned int slot = mds[i]->plex_index;
		int other;

		classes[i] = MIRVOL_ASM_CURRENT;
		p = &newest->plexes[slot];
		/* Another size: not of this volume's life (never resized). */
		if (p->state == MIRVOL_PLEX_NONE ||
		    mds[i]->data_size != newest->data_size ||
		    memcmp(p->uuid, mds[i]->plex_uuid, MIRVOL_UUID_LEN)) {
			classes[i] = MIRVOL_ASM_SUPERSEDED;
			continue;
		}
		other = plan->slot_member[slot];
		if (other >= 0) {
			/* Keep the newer copy of the slot. */
			if (mds[other]->generation >= mds[i]->generation) {
				classes[i] = MIRVOL_ASM_DUPLICATE;
				continue;
			}
			classes[other] = MIRVOL_ASM_DUPLICATE;
		}
		plan->slot_member[slot] = i;
	}

	for (i = 0; i < n; i++) {
		if (classes[i] != MIRVOL_ASM_CURRENT)
			continue;
		for (j = i + 1; j < n; j++) {
			if (classes[j] != MIRVOL_ASM_CURRENT &&
			    classes[j] != MIRVOL_ASM_SPLIT)
				continue;
			if (records_gone(mds[i], mds[j]) &&
			    records_gone(mds[j], mds[i])) {
				classes[i] = MIRVOL_ASM_SPLIT;
				classes[j] = MIRVOL_ASM_SPLIT;
				split = true;
			}
		}
	}
	/* One that ran without the newest, which has none of its table. */
	for (i = 0; i < n; i++) {
		if (classes[i] == MIRVOL_ASM_CURRENT &&
		    ran_apart(newest, mds[i])) {
			classes[i] = MIRVOL_ASM_SPLIT;
			split = true;
		}
	}
	if (split) {
		plan->reason = MIRVOL_R_SPLIT_BRAIN;
		return;
	}

	plan->complete = true;
	for (i = 0; i < MIRVOL_MAX_PLEXES; i++) {
		const struct mirvol_md_plex *p = &newest->plexes[i];
		int m = plan->slot_member[i];

		if (p->state == MIRVOL_PLEX_NONE)
			continue;
		if (m < 0) {
			/*
			 * A failed one stays failed: only re-add brings it.
			 * An offline one stays offline, recorded so, until
			 * online: its device, should it come, is held, not
			 * resynced (mirvol_rejoin()).
			 */
			plan->slot_state[i] = p->state == MIRVOL_PLEX_FAILED ||
					      p->state == MIRVOL_PLEX_OFFLINE ?
					      p->state : MIRVOL_PLEX_MISSING;
			if (!gone_state(p->state) &&
			    p->state != MIRVOL_PLEX_OFFLINE)
				plan->complete = false;
			continue;
		}
		/*
		 * Taken offline: it stays so, its device held, until online.
		 * Failed (a write error, or by request): likewise until
		 * re-add; it is not trusted back by itself.
		 */
		if (p->state == MIRVOL_PLEX_OFFLINE ||
		    p->state == MIRVOL_PLEX_FAILED) {
			plan->slot_state[i] = p->state;
			continue;
		}
		/*
		 * The last in-sync plex went away: the others were written
		 * without it, but nothing was acknowledged without it.  Its
		 * cache may have lost writes it had completed, never
		 * flushed, that the syncing plexes took below their
		 * checkpoints: they copy everything again (below), as when
		 * it comes back to a running volume (mirvol_rejoin()).
		 */
		if (p->state == MIRVOL_PLEX_ACTIVE &&
		    (p->flags & MIRVOL_PLEX_F_LAST_IN_SYNC)) {
			plan->slot_state[i] = MIRVOL_PLEX_ACTIVE;
			plan->slot_sync[i] = newest->data_size;
			active++;
			rewind = true;
		} else if (mds[m]->generation + 1 < newest->generation ||
		    gone_state(p->state) || p->state == MIRVOL_PLEX_STALE) {
			classes[m] = MIRVOL_ASM_STALE;
			if (bitmap_covers(newest, p, mds[m]->generation)) {
				plan->slot_state[i] = MIRVOL_PLEX_SYNCING;
				plan->slot_partial[i] = true;
			} else {
				plan->slot_state[i] = MIRVOL_PLEX_STALE;
			}
		} else if (p->state == MIRVOL_PLEX_SYNCING) {
			plan->slot_state[i] = MIRVOL_PLEX_SYNCING;
			plan->slot_sync[i] = p->sync_offset;
			plan->slot_partial[i] = newest->bitmap_region &&
				(p->flags & MIRVOL_PLEX_F_BITMAP_SYNC);
		} else {
			plan->slot_state[i] = MIRVOL_PLEX_ACTIVE;
			plan->slot_sync[i] = newest->data_size;
			active++;
		}
	}
	if (!active) {
		plan->reason = MIRVOL_R_NO_IN_SYNC_MEMBER;
		return;
	}
	for (i = 0; rewind && i < MIRVOL_MAX_PLEXES; i++) {
		if (plan->slot_state[i] != MIRVOL_PLEX_SYNCING)
			continue;
		plan->slot_sync[i] = 0;
		plan->slot_partial[i] = false;
	}
	if (!(newest->flags & MIRVOL_SB_F_DIRTY))
		return;
	/*
	 * Unclean shutdown: writes may have reached some plexes and not
	 * others, anywhere, including below a syncing plex's checkpoint;
	 * with a bitmap, only in the regions whose bit is set.
	 */
	for (i = 0; i < MIRVOL_MAX_PLEXES; i++) {
		if (plan->slot_state[i] == MIRVOL_PLEX_ACTIVE &&
		    plan->dirty_source < 0) {
			plan->dirty_source = i;
			continue;
		}
		if (plan->slot_state[i] == MIRVOL_PLEX_ACTIVE)
			plan->slot_partial[i] = !!newest->bitmap_region;
		else if (plan->slot_state[i] != MIRVOL_PLEX_SYNCING)
			continue;
		plan->slot_state[i] = MIRVOL_PLEX_SYNCING;
		plan->slot_sync[i] = 0;
	}
}

/*
 * Does @m record one of the plexes @vol_md has active (@m's own slot
 * aside) as failed or missing: did it run without them?
 */
static bool records_active_gone(const struct mirvol_md *vol_md,
				const struct mirvol_md *m)
{
	unsigned int i;

	for (i = 0; i < MIRVOL_MAX_PLEXES; i++) {
		const struct mirvol_md_plex *v = &vol_md->plexes[i];

		if (i == m->plex_index || v->state != MIRVOL_PLEX_ACTIVE)
			continue;
		if (!memcmp(m->plexes[i].uuid, v->uuid, MIRVOL_UUID_LEN) &&
		    gone_state(m->plexes[i].state))
			return true;
	}
	return false;
}

/**
 * mirvol_rejoin_check - may a member rejoin a running volume
 * @vol_md: the running volume's superblock, as it would write it now
 * @m: the member's current superblock (same volume UUID)
 *
 * @readd: an explicit re-add: a failed member may come back too
 *
 * The member's slot must hold it missing, offline (its device is then
 * held as the offline plex, not rejoined: mirvol_rejoin()), or failed
 * with @readd: a plex that failed (a write error, or 'mirvolctl fail')
 * is not trusted back by itself (PLEX_FAILED).  A member that ran without
 * the volume (it records one of the volume's in-sync plexes as failed or
 * missing, it is newer than the volume, or it ran alone since it left:
 * ran_apart()) has diverged: split brain.
 *
 * Return: MIRVOL_R_NONE, NOT_A_MEMBER, DEVICE_BUSY, PLEX_FAILED or
 * SPLIT_BRAIN.
 */
enum mirvol_reason mirvol_rejoin_check(const struct mirvol_md *vol_md,
				       const struct mirvol_md *m, bool readd)
{
	const struct mirvol_md_plex *p = &vol_md->plexes[m->plex_index];

	if (p->state == MIRVOL_PLEX_NONE || m->data_size != vol_md->data_size ||
	    memcmp(p->uuid, m->plex_uuid, MIRVOL_UUID_LEN))
		return MIRVOL_R_NOT_A_MEMBER;
	if (!gone_state(p->state) && p->state != MIRVOL_PLEX_OFFLINE &&
	    !(p->flags & MIRVOL_PLEX_F_LAST_IN_SYNC))
		return MIRVOL_R_DEVICE_BUSY;
	if (m->generation > vol_md->generation)
		return MIRVOL_R_SPLIT_BRAIN;
	if (p->state == MIRVOL_PLEX_FAILED && !readd)
		return MIRVOL_R_PLEX_FAILED;
	if (records_active_gone(vol_md, m))
		return MIRVOL_R_SPLIT_BRAIN;
	if (ran_apart(vol_md, m))
		return MIRVOL_R_SPLIT_BRAIN;
	return MIRVOL_R_NONE;
}

/**
 * mirvol_late_join_check - may a device a running volume does not list join
 * @vol_md: the running volume's superblock, as it would write it now
 * @m: the device's current superblock (same volume UUID)
 * @start_gen: the generation the volume was assembled at, 0 if it was
 *	created
 *
 * A power cut while add-plex or merge-plex took the device in, after it
 * took the superblock of the update recording it (mirvol_sb_join_plex():
 * one generation ahead) and before the in-sync plexes took that update.
 * Assembly meeting all the members takes the device in; one meeting the
 * in-sync plexes first (udev, one device at a time) finds them complete
 * without it and starts the volume from their superblocks.  The device
 * then comes in as a new plex that copies everything, when its
 * superblock is exactly that one: of the generation after the one the
 * volume started at, listing the device, not in sync, in a slot the
 * volume leaves empty, under a UUID the volume does not have, and
 * recording none of the volume's in-sync plexes as failed or missing.
 *
 * Return: MIRVOL_R_NONE if it may, else MIRVOL_R_NOT_A_MEMBER.
 */
enum mirvol_reason mirvol_late_join_check(const struct mirvol_md *vol_md,
					  const struct mirvol_md *m,
					  u64 start_gen)
{
	const struct mirvol_md_plex *self = &m->plexes[m->plex_index];
	unsigned int i;

	if (!start_gen || m->generation != start_gen + 1 ||
	    m->data_size != vol_md->data_size ||
	    vol_md->plexes[m->plex_index].state != MIRVOL_PLEX_NONE ||
	    memcmp(self->uuid, m->plex_uuid, MIRVOL_UUID_LEN) ||
	    (self->state != MIRVOL_PLEX_SYNCING &&
	     self->state != MIRVOL_PLEX_STALE))
		return MIRVOL_R_NOT_A_MEMBER;
	for (i = 0; i < MIRVOL_MAX_PLEXES; i++)
		if (vol_md->plexes[i].state != MIRVOL_PLEX_NONE &&
		    !memcmp(vol_md->plexes[i].uuid, m->plex_uuid,
			    MIRVOL_UUID_LEN))
			return MIRVOL_R_NOT_A_MEMBER;
	if (records_active_gone(vol_md, m))
		return MIRVOL_R_NOT_A_MEMBER;
	return MIRVOL_R_NONE;
}
