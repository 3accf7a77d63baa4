// SPDX-License-Identifier: GPL-2.0
/*
 * mirvol scrub: the check and repair operations (md's sync_action
 * "check" and "repair").
 *
 * A pass reads every chunk of the volume from every in-sync plex under
 * the chunk's barrier, so that no write can race the comparison, and
 * compares each plex with the reference: the source plex of a repair,
 * else the lowest-index in-sync plex that read the chunk.  It counts the
 * sectors where any plex differs (mismatch_sectors, md's mismatch_cnt)
 * and logs the differing ranges; repair then rewrites them from the
 * reference.  A plex that fails to read a chunk reads it again unit by
 * unit (mirvol_scrub_units()), and what it reads is compared as above,
 * run by run: a check does not take its readable sectors as consistent,
 * nor overwrite them.  The units it failed get their data through read
 * repair, as a normal read would, queued once the differences are
 * rewritten: it copies the reference's data (a check rewrites those
 * only).  When no plex reads the whole chunk, each reads it unit by unit,
 * and the reference of a run is the lowest-index plex that read it; what
 * none reads is data lost.  It is counted (unreadable_sectors),
 * logged once per chunk, its first range reported, and the read errors
 * count as uncorrected; the pass goes on, to find every such range, then
 * fails with DATA_UNREADABLE (md's check stops at the first, "unrecoverable
 * I/O read error"; ZFS's scrub counts them too).  Throttled and cancellable
 * like a resync; it needs two in-sync plexes, and stops with
 * TOO_FEW_IN_SYNC when fewer than two of those it started with are left
 * (a plex failed or went away): what it did not compare is not reported
 * as consistent.
 *
 * A repair from a named source (mirvolctl repair --from; md's repair has
 * none) trusts no other plex: the administrator chose the source because
 * another copy is bad.  A chunk the source cannot read is neither compared
 * nor rewritten, and no plex gets it through read repair (from whom?); the
 * plexes that failed it count an uncorrected read error, the range is
 * logged, and the repair goes on, then fails with SOURCE_READ_ERROR naming
 * the first such range.  A source that leaves the in-sync set (failed,
 * missing, offline) stops the repair with PLEX_NOT_IN_SYNC.
 *
 * A repair's rewrites change what in-sync plexes hold: as a write, they
 * set their regions' write-intent bits first, so that a plex out of sync
 * meanwhile (offline, missing, a split's peer) copies them when it comes
 * back (mirvol_scrub_compare()).
 *
 * Unlike a resync it has no point of no return (mirvol_op_enter_final()):
 * it changes no plex's state and no superblock, and a repair's rewrites
 * stand each on its own, the last as any other.  A cancel is honoured
 * until the operation ends, even after its last chunk: cancelled, it
 * says only that it may not have covered the whole volume (its count, a
 * repair's rewrites), which stays true.
 *
 * Copyright (C) 2026 The mirvol authors
 */
#include <linux/blkdev.h>
#include <linux/slab.h>

#include "mirvol_sync.h"

/**
 * struct mirvol_scrub - a check or repair pass
 * @sy: buffer (a chunk per plex slot that was in sync at the start),
 *	bios, throttle
 * @repair: rewrite mismatches
 * @slots: the plexes in sync at the start (bit per slot)
 * @chunk_of: per slot, its chunk in the buffer
 * @bad_start: the first range left uncompared: of a repair from a named
 *	source, one the source could not read, else one no plex could read;
 *	its first sector
 * @bad_end: its end; 0 while there is none
 * @skipped: sectors of all ranges the named source could not read
 * @unreadable: sectors of all ranges no plex could read
 * @unit_ok: mirvol_scrub_units(): per unit of the chunk, the plexes that
 *	read it
 */
struct mirvol_scrub {
	struct mirvol_sync sy;
	bool repair;
	u8 slots;
	unsigned int chunk_of[MIRVOL_MAX_PLEXES];
	sector_t bad_start;
	sector_t bad_end;
	u64 skipped;
	u64 unreadable;
	u8 unit_ok[MIRVOL_SYNC_CHUNK / MIRVOL_SYNC_MIN_UNIT];
};

static struct page **mirvol_scrub_buf(struct mirvol_scrub *sc,
				      unsigned int slot)
{
	return sc->sy.pages + sc->chunk_of[slot] * MIRVOL_SYNC_CHUNK_PAGES;
}

static void *mirvol_scrub_sector(struct mirvol_scrub *sc, unsigned int slot,
				 unsigned int s)
{
	struct page **pages = mirvol_scrub_buf(sc, slot);

	return page_address(pages[s >> (PAGE_SHIFT - SECTOR_SHIFT)]) +
	       ((s << SECTOR_SHIFT) & ~PAGE_MASK);
}

/*
 * Compare [s + off, s + off + n) of every plex in @ok with @ref, @s the
 * chunk's start; rewrite what differs when repairing.  Returns the
 * sectors where any plex differs.
 */
static unsigned int mirvol_scrub_compare(struct mirvol_scrub *sc,
					 unsigned int ref, u8 ok, sector_t s,
					 unsigned int off, unsigned int n)
{
	struct mirvol_sync *sy = &sc->sy;
	struct mirvol_volume *vol = sy->vol;
	unsigned int first[MIRVOL_MAX_PLEXES], last[MIRVOL_MAX_PLEXES];
	unsigned int count[MIRVOL_MAX_PLEXES] = {};
	unsigned int i, k, differ = 0, lo = off + n, hi = 0;
	struct mirvol_bitmap *bm = vol->bitmap;
	bool fix = sc->repair;
	u8 rewrite = 0, failed;

	for (k = off; k < off + n; k++) {
		void *r = mirvol_scrub_sector(sc, ref, k);
		bool any = false;

		for (i = 0; i < MIRVOL_MAX_PLEXES; i++) {
			if (i == ref || !(ok & BIT(i)) ||
			    !memcmp(r, mirvol_scrub_sector(sc, i, k),
				    SECTOR_SIZE))
				continue;
			if (!count[i]++)
				first[i] = k;
			last[i] = k;
			any = true;
		}
		differ += any;
	}
	if (!differ)
		return 0;
	for (i = 0; i < MIRVOL_MAX_PLEXES; i++) {
		if (!count[i])
			continue;
		lo = min(lo, first[i]);
		hi = max(hi, last[i] + 1);
	}
	/*
	 * A rewrite changes what the in-sync plexes hold, as a write does:
	 * its regions' bits on disk first, or a plex out of sync meanwhile
	 * (offline, missing, a split's peer) would come back copying only
	 * the other regions (write-intent bitmap rule 1).  Without them
	 * (rule 4), the differences are reported, not repaired.
	 */
	if (fix && bm && mirvol_bitmap_startwrite(bm, s + lo, s + hi)) {
		pr_warn_ratelimited("mirvol: %s: repair: the write-intent bits of %llu-%llu could not be written: not repaired\n",
				    vol->name, (unsigned long long)s + lo,
				    (unsigned long long)s + hi - 1);
		fix = false;
	}
	mirvol_sync_start(sy);
	for (i = 0; i < MIRVOL_MAX_PLEXES; i++) {
		if (!count[i])
			continue;
		pr_warn_ratelimited("mirvol: %s: %s: plex %u differs from plex %u in %u sectors of %llu-%llu\n",
				    vol->name, sc->repair ? "repair" : "check",
				    i, ref, count[i],
				    (unsigned long long)s + first[i],
				    (unsigned long long)s + last[i]);
		if (!fix)
			continue;
		/* From the first to the last difference: one bio. */
		mirvol_sync_submit(sy, vol->plexes[i], REQ_OP_WRITE,
				   mirvol_scrub_buf(sc, ref), s, s + first[i],
				   s + last[i] + 1);
		rewrite |= BIT(i);
	}
	failed = mirvol_sync_wait(sy);
	if (fix && bm)
		mirvol_bitmap_endwrite(bm, s + lo, s + hi);
	for (i = 0; i < MIRVOL_MAX_PLEXES; i++)
		if (failed & BIT(i))
			mirvol_plex_error(vol->plexes[i], true);
	return differ;
}

/* [s, s + n) is left uncompared: remember the first such range. */
static void mirvol_scrub_bad(struct mirvol_scrub *sc, sector_t s,
			     unsigned int n)
{
	if (!sc->bad_end) {
		sc->bad_start = s;
		sc->bad_end = s + n;
	} else if (sc->bad_end == s) {
		sc->bad_end = s + n;	/* the first range goes on */
	}
}

/*
 * Repair from a named source that failed to read [s, s + n): the chunk is
 * left as it is on every plex.  Nothing corrects the read errors of the
 * plexes that failed it: they count as uncorrected.
 */
static void mirvol_scrub_skip(struct mirvol_scrub *sc, sector_t s,
			      unsigned int n, u8 failed)
{
	struct mirvol_volume *vol = sc->sy.vol;
	unsigned int i;

	mirvol_scrub_bad(sc, s, n);
	sc->skipped += n;
	pr_warn_ratelimited("mirvol: %s: repair: source plex %d cannot read sectors %llu-%llu: not compared, nothing rewritten\n",
			    vol->name, sc->sy.source, (unsigned long long)s,
			    (unsigned long long)s + n - 1);
	for (i = 0; i < MIRVOL_MAX_PLEXES; i++)
		if (failed & BIT(i))
			mirvol_plex_error(vol->plexes[i], false);
}

/*
 * Not every plex of @slots read the whole chunk [s, s + n), only those of
 * @whole (maybe none): the others read it again unit by unit, into their
 * own buffers, so that what they can read is compared too, neither taken
 * as consistent unseen nor overwritten by read repair.  A run of units
 * read by the same plexes is then handled as a chunk is: compared among
 * them, with @ref when it read them (else the lowest-index plex that
 * did), rewritten by repair; read-repaired on the plexes that failed it,
 * and only there.  A run no plex read is data lost: counted, its first
 * range remembered, logged once per chunk, and an uncorrected read error
 * of every plex.  Returns the sectors that differ.
 */
static unsigned int mirvol_scrub_units(struct mirvol_scrub *sc, u8 slots,
				       u8 whole, int ref, sector_t s,
				       unsigned int n)
{
	struct mirvol_sync *sy = &sc->sy;
	struct mirvol_volume *vol = sy->vol;
	unsigned int unit = sy->unit, k, end, i, differ = 0;
	unsigned int lost = 0, first = 0, last = 0;
	u8 retry = slots & ~whole;

	for (k = 0; k < n; k += unit) {
		mirvol_sync_start(sy);
		for (i = 0; i < MIRVOL_MAX_PLEXES; i++)
			if (retry & BIT(i))
				mirvol_sync_submit(sy, vol->plexes[i],
						   REQ_OP_READ,
						   mirvol_scrub_buf(sc, i), s,
						   s + k, s + min(k + unit, n));
		sc->unit_ok[k / unit] = slots & ~mirvol_sync_wait(sy);
	}
	for (k = 0; k < n; k = end) {
		u8 ok = sc->unit_ok[k / unit];
		unsigned int r;

		for (end = k + unit; end < n && sc->unit_ok[end / unit] == ok;
		     end += unit)
			;
		end = min(end, n);
		if (!ok) {
			if (!lost)
				first = k;
			last = end - 1;
			lost += end - k;
			mirvol_scrub_bad(sc, s + k, end - k);
			continue;
		}
		r = ref >= 0 && (ok & BIT(ref)) ? ref : __ffs(ok);
		if (hweight8(ok) >= 2)
			differ += mirvol_scrub_compare(sc, r, ok, s, k,
						       end - k);
		/* Queued after the rewrite: what it copies is the reference's. */
		if (slots & ~ok)
			mirvol_queue_repair(vol, s + k, end - k, slots & ~ok,
					    false, GFP_NOIO);
	}
	if (!lost)
		return differ;
	sc->unreadable += lost;
	pr_err_ratelimited("mirvol: %s: %s: no plex can read %u sectors of %llu-%llu: not compared, nothing rewritten\n",
			   vol->name, sc->repair ? "repair" : "check", lost,
			   (unsigned long long)s + first,
			   (unsigned long long)s + last);
	for (i = 0; i < MIRVOL_MAX_PLEXES; i++)
		if (slots & BIT(i))
			mirvol_plex_error(vol->plexes[i], false);
	return differ;
}

/*
 * Check (and repair) one chunk under its barrier, adding the sectors that
 * differ to @differ.  Return: 0, -ENODEV when fewer than two of the
 * plexes the check started with are still in sync: nothing is compared
 * any more, and the check must not go on as if it were; -ENXIO when a
 * repair's named source is no longer in sync.
 */
static int mirvol_scrub_chunk(struct mirvol_scrub *sc, sector_t s,
			      unsigned int n, u64 *differ)
{
	struct mirvol_sync *sy = &sc->sy;
	struct mirvol_volume *vol = sy->vol;
	unsigned int idx = mirvol_barrier_idx(s), i;
	u8 slots, failed, ok;
	int ref = sy->source;

	mirvol_barrier_raise(&vol->barrier, idx);
	slots = mirvol_in_sync_slots(vol) & sc->slots;
	if (ref >= 0 && !(slots & BIT(ref))) {
		mirvol_barrier_lower(&vol->barrier, idx);
		return -ENXIO;
	}
	if (hweight8(slots) < 2) {
		mirvol_barrier_lower(&vol->barrier, idx);
		return -ENODEV;
	}
	mirvol_sync_start(sy);
	for (i = 0; i < MIRVOL_MAX_PLEXES; i++)
		if (slots & BIT(i))
			mirvol_sync_submit(sy, vol->plexes[i], REQ_OP_READ,
					   mirvol_scrub_buf(sc, i), s, s,
					   s + n);
	failed = mirvol_sync_wait(sy);
	ok = slots & ~failed;
	if (ref < 0 && ok)
		ref = __ffs(ok);	/* the lowest-index plex that read it */
	if (ref >= 0 && !(ok & BIT(ref))) {
		mirvol_scrub_skip(sc, s, n, failed);
	} else if (failed) {
		/*
		 * Some plexes failed the chunk, maybe all (never a named
		 * source: it read it): what they read of it is compared too.
		 */
		*differ += mirvol_scrub_units(sc, slots, ok, ref, s, n);
	} else {
		*differ += mirvol_scrub_compare(sc, ref, ok, s, 0, n);
	}
	mirvol_barrier_lower(&vol->barrier, idx);
	return 0;
}

static int mirvol_scrub_run(struct mirvol_scrub *sc)
{
	struct mirvol_sync *sy = &sc->sy;
	struct mirvol_operation *op = sy->op;
	struct mirvol_volume *vol = sy->vol;
	u64 mismatch = 0;
	sector_t s;
	int err;

	for (s = 0; s < vol->size; ) {
		unsigned int n;

		mirvol_sync_throttle(sy);
		if (mirvol_op_should_stop(op))
			return -ECANCELED;
		n = min3((sector_t)MIRVOL_SYNC_CHUNK, vol->size - s,
			 (sector_t)mirvol_barrier_unit_end(s) - s);
		mirvol_io_enter(vol);
		err = mirvol_scrub_chunk(sc, s, n, &mismatch);
		mirvol_io_exit(vol);
		if (err)
			return err;
		s += n;
		sy->done += n;
		WRITE_ONCE(op->mismatch_sectors, mismatch);
		WRITE_ONCE(vol->mismatch_sectors, mismatch);
		WRITE_ONCE(op->unreadable_sectors, sc->unreadable);
		mirvol_op_set_progress(op, (u64)s << SECTOR_SHIFT,
				       (u64)vol->size << SECTOR_SHIFT);
	}
	return 0;
}

/**
 * struct mirvol_scrub_op - a CHECK or REPAIR operation
 * @op: the operation
 * @source: repair: the slot whose data wins, or -1
 */
struct mirvol_scrub_op {
	struct mirvol_operation op;
	int source;
};

static void mirvol_scrub_work(struct mirvol_operation *op)
{
	struct mirvol_scrub_op *so = container_of(op, struct mirvol_scrub_op,
						  op);
	struct mirvol_volume *vol = op->vol;
	enum mirvol_reason reason;
	struct mirvol_scrub *sc;
	unsigned int i, n = 0;
	bool lost = false;
	int err = -ENOMEM;

	sc = kzalloc(sizeof(*sc), GFP_KERNEL);
	if (!sc)
		goto out;
	mirvol_io_enter(vol);
	sc->slots = mirvol_in_sync_slots(vol);
	mirvol_io_exit(vol);
	for (i = 0; i < MIRVOL_MAX_PLEXES; i++)
		if (sc->slots & BIT(i))
			sc->chunk_of[i] = n++;
	if (!n || mirvol_sync_init(&sc->sy, vol, &vol->sync_bs, n, GFP_KERNEL))
		goto out;
	sc->sy.op = op;
	sc->sy.source = so->source;
	sc->repair = op->kind->type == MIRVOL_OP_REPAIR;
	mirvol_speed_start(&sc->sy.speed, jiffies, 0);
	pr_info("mirvol: %s: %s started over plexes %#x\n", vol->name,
		mirvol_op_type_name(op->kind->type), sc->slots);
	err = mirvol_scrub_run(sc);
	WRITE_ONCE(vol->sync_speed, 0);
	pr_info("mirvol: %s: %s %s: %llu sectors differ\n", vol->name,
		mirvol_op_type_name(op->kind->type), err ? "stopped" : "finished",
		READ_ONCE(op->mismatch_sectors));
	if (sc->bad_end) {
		/* What was not compared is not reported as repaired. */
		WRITE_ONCE(op->bad_offset, sc->bad_start);
		WRITE_ONCE(op->bad_sectors, sc->bad_end - sc->bad_start);
	}
	if (sc->skipped) {
		pr_warn("mirvol: %s: repair: source plex %d could not read %llu sectors, the first at %llu-%llu; they were neither compared nor rewritten\n",
			vol->name, so->source, sc->skipped,
			(unsigned long long)sc->bad_start,
			(unsigned long long)sc->bad_end - 1);
		if (!err)
			err = -EIO;
	}
	if (sc->unreadable) {
		/* Data lost: the pass went on to find it all, then fails. */
		WRITE_ONCE(op->unreadable_sectors, sc->unreadable);
		pr_err("mirvol: %s: %s: no plex could read %llu sectors, the first at %llu-%llu; their data is lost\n",
		       vol->name, mirvol_op_type_name(op->kind->type),
		       sc->unreadable, (unsigned long long)sc->bad_start,
		       (unsigned long long)sc->bad_end - 1);
		lost = true;
	}
	if (err == -ENXIO)
		pr_warn("mirvol: %s: repair stopped: source plex %d is no longer in sync\n",
			vol->name, so->source);
	mirvol_sync_exit(&sc->sy);
out:
	kfree(sc);
	switch (err) {
	case 0:
		reason = lost ? MIRVOL_R_DATA_UNREADABLE : MIRVOL_R_NONE;
		break;
	case -ENODEV:		/* fewer than two of its plexes in sync */
		reason = MIRVOL_R_TOO_FEW_IN_SYNC;
		break;
	case -ENXIO:		/* a repair's source left the in-sync set */
		reason = MIRVOL_R_PLEX_NOT_IN_SYNC;
		break;
	case -EIO:		/* ranges its source could not read */
		reason = MIRVOL_R_SOURCE_READ_ERROR;
		break;
	case -ECANCELED:	/* cancelled, or the volume is going */
		reason = mirvol_op_stop_reason(op);
		break;
	case -ENOMEM:
	default:
		reason = MIRVOL_R_NO_MEMORY;
		break;
	}
	mirvol_op_finish(op, reason);
}

static void mirvol_scrub_release(struct mirvol_operation *op)
{
	kfree(container_of(op, struct mirvol_scrub_op, op));
}

static const struct mirvol_op_kind mirvol_check_type = {
	.type		= MIRVOL_OP_CHECK,
	.cancellable	= true,
	.run		= mirvol_scrub_work,
	.release	= mirvol_scrub_release,
};

static const struct mirvol_op_kind mirvol_repair_type = {
	.type		= MIRVOL_OP_REPAIR,
	.cancellable	= true,
	.run		= mirvol_scrub_work,
	.release	= mirvol_scrub_release,
};

/**
 * mirvol_scrub_start - SYNC_ACTION CHECK or REPAIR
 * @vol: the volume, referenced by the caller
 * @repair: rewrite mismatches (REPAIR), else only count them
 * @source_uuid: REPAIR: the plex whose data wins, NULL for the
 *	lowest-index in-sync plex
 * @op_id: out: the operation
 *
 * Return: MIRVOL_R_NONE or why not.
 */
enum mirvol_reason mirvol_scrub_start(struct mirvol_volume *vol, bool repair,
				      const u8 *source_uuid, u64 *op_id)
{
	struct mirvol_plex *source = NULL;
	struct mirvol_scrub_op *so;
	enum mirvol_reason reason;
	struct mirvol_rule_vol rv;
	unsigned int i;

	so = kzalloc(sizeof(*so), GFP_KERNEL);
	if (!so)
		return MIRVOL_R_NO_MEMORY;
	mirvol_op_init(&so->op, repair ? &mirvol_repair_type :
			&mirvol_check_type, vol);
	mutex_lock(&vol->lock);
	if (test_bit(MIRVOL_VOL_DEAD, &vol->flags)) {
		reason = MIRVOL_R_OBJECT_NOT_FOUND;
		goto out;
	}
	if (source_uuid)
		source = mirvol_plex_find(vol, source_uuid);
	mirvol_rules_snapshot(vol, &rv);
	reason = mirvol_check_scrub(&rv, !source_uuid ? -1 :
				    source ? (int)source->index : -2, repair);
	if (!reason)
		reason = mirvol_op_reserve(&so->op);
	if (reason)
		goto out;
	so->source = source ? (int)source->index : -1;
	for (i = 0; i < MIRVOL_MAX_PLEXES; i++)
		if (rv.present[i] && rv.states[i] == MIRVOL_PLEX_ACTIVE)
			mirvol_op_add_output(&so->op, &vol->plexes[i]->uuid);
	WRITE_ONCE(vol->mismatch_sectors, 0);
	mirvol_op_set_progress(&so->op, 0, (u64)vol->size << SECTOR_SHIFT);
	mirvol_op_commit(&so->op);
	*op_id = so->op.id;
out:
	mutex_unlock(&vol->lock);
	mirvol_op_put(&so->op);
	return reason;
}
