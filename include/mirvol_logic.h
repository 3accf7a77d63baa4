/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mirvol pure logic: argument validation, plex and volume state rules,
 * refusal rules of the configuration operations, read-plex selection and
 * assembly planning.  Functions here take plain structs and touch no
 * device, so KUnit tests call them directly (drivers/tests/).
 *
 * Copyright (C) 2026 The mirvol authors
 */
#ifndef _MIRVOL_LOGIC_H
#define _MIRVOL_LOGIC_H

#include <linux/bitops.h>
#include <linux/jiffies.h>
#include <linux/limits.h>
#include <linux/minmax.h>
#include <linux/time64.h>
#include <linux/types.h>
#include <linux/mirvol.h>

#include "mirvol_names.h"

struct mirvol_md;

static inline bool mirvol_state_readable(unsigned int state)
{
	return state == MIRVOL_PLEX_ACTIVE;
}

static inline bool mirvol_state_writable(unsigned int state)
{
	return state == MIRVOL_PLEX_ACTIVE || state == MIRVOL_PLEX_SYNCING ||
	       state == MIRVOL_PLEX_STALE;
}

/*
 * Does a write-intent bitmap whose coverage began at generation
 * @cleared_gen hold every write a plex missed that left the in-sync set
 * at generation @gone (its gone_generation: that of the first superblock
 * update without it; 0: none, it was copying everything)?  Only if it
 * left strictly after: the update that begins the coverage can be the
 * first without the plex (a lost bitmap page's, mirvol_bitmap.c rule 4,
 * or a bitmap's creation), and the plex then missed writes the bitmap
 * does not hold, those the set work let go after that update.
 */
static inline bool mirvol_bitmap_gone_covered(u64 gone, u64 cleared_gen)
{
	return gone && gone > cleared_gen;
}

/*
 * Is the image a device holds, its superblock of generation @own, the one
 * its plex left the in-sync set with at generation @gone?  The bitmap
 * holds what the plex missed since then, never what it lacked before: an
 * older image (a dd clone, a restored backup, a reverted VM disk) lacks
 * writes made before it left whose bits were cleared (as md refuses a
 * bitmap-based re-add of a device older than the bitmap).  The plex took
 * every update before @gone, the first without it; at most one more
 * generation behind when assembly after a crash in the middle of an
 * update counted it current, and the update recording it gone was that
 * assembly's (mirvol_assemble_plan()), or when the superblock write of
 * the update before @gone failed on it and was repeated without it.  When
 * the last in-sync plex failed that write too, the update used up two
 * generations (mirvol_sb_update_locked()): the plex is three behind and
 * copies everything, which is safe, only slower.
 */
static inline bool mirvol_bitmap_image_left(u64 own, u64 gone)
{
	return own + 2 >= gone;
}

bool mirvol_plex_transition_valid(unsigned int from, unsigned int to);
unsigned int mirvol_volume_state_of(const unsigned int *states,
				    unsigned int n);

/* The names of include/mirvol_names.h, "unknown" for a bad value. */
static inline const char *mirvol_plex_state_name(unsigned int state)
{
	return mirvol_plex_state_str(state) ?: "unknown";
}

static inline const char *mirvol_volume_state_name(unsigned int state)
{
	return mirvol_volume_state_str(state) ?: "unknown";
}

static inline const char *mirvol_op_type_name(unsigned int type)
{
	return mirvol_op_type_str(type) ?: "unknown";
}

static inline const char *mirvol_op_state_name(unsigned int state)
{
	return mirvol_op_state_str(state) ?: "unknown";
}

int mirvol_reason_errno(enum mirvol_reason reason);
bool mirvol_mem_is_zero(const void *p, size_t len);

/**
 * struct mirvol_rb_stat - a plex's learned read service time
 * @last_finish: when its last read completed, ns (wrapping)
 * @service: average service time of its reads, ns; 0 while unknown
 * @probe_at: when an idle plex is due for one read to refresh @service,
 *	ns (wrapping)
 *
 * Times are the low bits of ktime_get_ns(), compared with time_after():
 * every interval involved is far below a wrap, even on 32 bits.
 */
struct mirvol_rb_stat {
	unsigned long last_finish;
	unsigned long service;
	unsigned long probe_at;
};

/* EWMA weight of a new service time sample: 1 / 2^MIRVOL_RB_EWMA_SHIFT */
#define MIRVOL_RB_EWMA_SHIFT	3
/* An idle plex is probed after MIRVOL_RB_PROBE_MULT times its service
 * time, clamped to [MIRVOL_RB_PROBE_MIN_NS, MIRVOL_RB_PROBE_MAX_NS].
 */
#define MIRVOL_RB_PROBE_MULT	64
#define MIRVOL_RB_PROBE_MIN_NS	(10 * NSEC_PER_MSEC)
#define MIRVOL_RB_PROBE_MAX_NS	(200 * NSEC_PER_MSEC)

/**
 * mirvol_rb_complete - learn from a read that completed
 * @st: the plex's statistics
 * @issued: when the read was sent, ns
 * @now: when it completed, ns
 *
 * The sample is the read's service time as dm's historical-service-time
 * path selector measures it: from its issue, or from the previous
 * completion if that came later.  On an idle device this is the latency;
 * on a busy one it is the interval between completions, the device's
 * cost per read at its queue depth.  So (in flight + 1) x average
 * estimates when a new read would complete, whatever the depth.
 *
 * Lockless: completions on several CPUs at once may each lose the
 * other's update (a sample, or a last_finish going back by less than one
 * read's time).  That costs one sample's weight, as losing a sample to
 * sampling would; every field is one word, read and written whole.
 */
static inline void mirvol_rb_complete(struct mirvol_rb_stat *st,
				      unsigned long issued, unsigned long now)
{
	unsigned long from = issued, sample, service, wait, last;

	last = READ_ONCE(st->last_finish);
	if (time_after(last, from))
		from = last;
	WRITE_ONCE(st->last_finish, now);
	sample = time_after(now, from) ? now - from : 1;
	service = READ_ONCE(st->service);
	if (!service)
		service = sample;
	else
		service = service - (service >> MIRVOL_RB_EWMA_SHIFT) +
			  (sample >> MIRVOL_RB_EWMA_SHIFT);
	service = max(service, 1UL);
	wait = clamp_t(unsigned long,
		       min(service, ULONG_MAX / MIRVOL_RB_PROBE_MULT) *
		       MIRVOL_RB_PROBE_MULT,
		       MIRVOL_RB_PROBE_MIN_NS, MIRVOL_RB_PROBE_MAX_NS);
	/* Read locklessly by read balancing. */
	WRITE_ONCE(st->service, service);
	WRITE_ONCE(st->probe_at, now + wait);
}

/**
 * struct mirvol_rb_plex - what read balancing knows of one plex
 * @readable: in sync and present
 * @write_mostly: serves reads only when no other plex can
 * @probe: idle long enough to be due for a probe read
 * @full: as much I/O in flight as its queue takes: one more would make
 *	the submitter wait for a request tag
 * @pending: I/O in flight on it
 * @service: its average read service time (ns), 0 while unknown
 * @head: sector following its last I/O
 */
struct mirvol_rb_plex {
	bool readable;
	bool write_mostly;
	bool probe;
	bool full;
	unsigned int pending;
	unsigned long service;
	u64 head;
};

/* The service time read balancing uses for a plex; see below. */
static inline u64 mirvol_rb_service(unsigned long s, unsigned long fastest)
{
	if (fastest == ULONG_MAX)
		return 1;		/* none known: in-flight counts alone */
	if (!s || (u64)s * 4 <= (u64)fastest * 5)
		return fastest;		/* unknown or within 25 %: equal */
	return s;
}

/**
 * mirvol_read_balance - choose the plex a read goes to
 * @plexes: the candidates, by slot
 * @n: number of slots
 * @sector: first sector of the read
 * @tried: slots already tried for this read (bit per slot)
 * @hint: a rotating number that breaks ties
 *
 * Write-mostly plexes are left out while another can serve the read,
 * and so are full plexes: a read sent to a device out of request tags
 * holds up its submitter, and every read behind it, until one frees, as
 * long as a device's latency, while another device idles.  A read
 * continuing a sequential stream goes where the stream is, so the
 * device's read-ahead and merging keep working.  An idle plex due for a
 * probe gets the read, so that a plex too slow to be chosen (or one that
 * became fast again) keeps a current service time.  Otherwise the read
 * goes where it is expected to complete first: the least (in flight + 1)
 * x service time.  Service times within 25 % of the fastest count as
 * equal, so that equal devices are balanced by I/O in flight alone, as
 * md raid1 does, without chasing noise.  Ties are broken by @hint over
 * the tied plexes only, so that independent reads spread evenly
 * whatever the slots in use.
 *
 * Return: the slot, or -1 when no untried plex is readable.
 */
static __always_inline int
mirvol_read_balance(const struct mirvol_rb_plex *plexes, unsigned int n,
		    u64 sector, unsigned int tried, unsigned int hint)
{
	unsigned long fastest = ULONG_MAX;
	unsigned int i, cand = 0, wm = 0, full = 0, ties = 0, left;
	int stream = -1, probe = -1, first = -1;
	u64 cost[MIRVOL_MAX_PLEXES] __uninitialized, best = U64_MAX;

	for (i = 0; i < n; i++) {
		if (!plexes[i].readable || (tried & BIT(i)))
			continue;
		if (plexes[i].write_mostly)
			wm |= BIT(i);
		else
			cand |= BIT(i);
		if (plexes[i].full)
			full |= BIT(i);
	}
	if (!cand)
		cand = wm;
	if (!cand)
		return -1;
	full &= cand;
	if (full != cand)
		cand &= ~full;
	/* A stream's next read first, then a probe, else the cheapest. */
	for (left = cand; left; left &= left - 1) {
		i = __ffs(left);
		if (plexes[i].head == sector && stream < 0)
			stream = i;
		if (plexes[i].probe && !plexes[i].pending && probe < 0)
			probe = i;
		if (plexes[i].service && plexes[i].service < fastest)
			fastest = plexes[i].service;
	}
	if (stream >= 0)
		return stream;
	if (probe >= 0)
		return probe;
	for (left = cand; left; left &= left - 1) {
		i = __ffs(left);
		cost[i] = ((u64)plexes[i].pending + 1) *
			  mirvol_rb_service(plexes[i].service, fastest);
		if (cost[i] < best) {
			best = cost[i];
			first = i;
			ties = 0;
		}
		if (cost[i] == best)
			ties++;
	}
	/* One cheapest: it is the tie @hint would pick. */
	if (ties == 1)
		return first;
	hint %= ties;
	for (left = cand; left; left &= left - 1) {
		i = __ffs(left);
		if (cost[i] == best && !hint--)
			return i;
	}
	return -1;
}

/**
 * struct mirvol_rule_vol - a volume as the refusal rules see it
 * @state: enum mirvol_volume_state
 * @busy: a configuration operation is running
 * @nr_plexes: plexes in the volume
 * @nr_missing: of those, missing ones (no device): add-plex replaces them
 * @present: per slot: a plex occupies it
 * @states: per slot: enum mirvol_plex_state
 * @boot: per slot: boot plex
 * @size: volume size, sectors
 */
struct mirvol_rule_vol {
	unsigned int state;
	bool busy;
	unsigned int nr_plexes;
	unsigned int nr_missing;
	bool present[MIRVOL_MAX_PLEXES];
	unsigned int states[MIRVOL_MAX_PLEXES];
	bool boot[MIRVOL_MAX_PLEXES];
	u64 size;
};

/**
 * struct mirvol_rule_add - the source of an add-plex
 * @nr_new: plexes that would join
 * @min_size: smallest data size among them, sectors
 * @is_target: the source is the target volume itself
 * @is_mirvol_dev: the device is a mirvol volume (use FROM_VOLUME)
 * @src_open: the source volume's block device is open
 * @src_busy: the source volume runs an operation
 * @src_not_online: the source volume is failed or offline
 * @lbs_larger: a new plex has a larger logical block size than the volume
 */
struct mirvol_rule_add {
	unsigned int nr_new;
	u64 min_size;
	bool is_target;
	bool is_mirvol_dev;
	bool src_open;
	bool src_busy;
	bool src_not_online;
	bool lbs_larger;
};

enum mirvol_reason mirvol_check_break(const struct mirvol_rule_vol *v,
				      int slot);
enum mirvol_reason mirvol_check_remove_plex(const struct mirvol_rule_vol *v,
					    int slot);
enum mirvol_reason mirvol_check_add(const struct mirvol_rule_vol *v,
				    const struct mirvol_rule_add *a);
enum mirvol_reason mirvol_check_create(const struct mirvol_create *c);
enum mirvol_reason mirvol_check_resync(const struct mirvol_rule_vol *v);
enum mirvol_reason mirvol_check_scrub(const struct mirvol_rule_vol *v,
				      int source, bool repair);
void mirvol_break_name(char *out, const char *name, unsigned int index);

/* A resync's speed window slides by this many seconds (md's marks). */
#define MIRVOL_MARK_SECS	3

/**
 * struct mirvol_speed - a copy rate measured over a sliding window
 * @mark_time: start of the window (jiffies)
 * @mark_done: sectors done at @mark_time
 * @next_time: start of the next window, taken once the window is
 *	MIRVOL_MARK_SECS old
 * @next_done: sectors done at @next_time
 *
 * Once running, the window is 3 to 6 seconds long: a new window starts
 * where the previous one was 3 seconds ago, never empty, so the batch
 * just copied still counts against the limit.
 */
struct mirvol_speed {
	unsigned long mark_time;
	u64 mark_done;
	unsigned long next_time;
	u64 next_done;
};

void mirvol_speed_start(struct mirvol_speed *sp, unsigned long now, u64 done);
u64 mirvol_speed_batch(unsigned int max_kibs, u64 chunk, u64 max_batch);
unsigned int mirvol_speed_kibs(struct mirvol_speed *sp, unsigned long now,
			       u64 done);
unsigned long mirvol_speed_delay(const struct mirvol_speed *sp,
				 unsigned long now, u64 done,
				 unsigned int max_kibs);

/**
 * struct mirvol_sync_step - one batch of a resync pass
 * @start: first volume sector of the batch
 * @end: sector after its last
 * @targets: the slots written in this batch
 * @from: per slot in @targets, the first sector written to it: its
 *	checkpoint, at or after @start
 *
 * A pass always continues at the lowest checkpoint of its targets, and
 * writes a target only from its own checkpoint on: every sector of every
 * target is copied exactly once per pass, whatever the checkpoints, the
 * batch sizes, and targets that join (at checkpoint 0) mid-pass.
 */
struct mirvol_sync_step {
	u64 start;
	u64 end;
	u8 targets;
	u64 from[MIRVOL_MAX_PLEXES];
};

bool mirvol_sync_next_step(const u64 *offsets, u8 mask, u64 size,
			   u64 max_sectors, u64 align, u64 unit,
			   struct mirvol_sync_step *st);

void mirvol_sync_skip_clean(u64 *offsets, u8 partial, const unsigned long *bits,
			    unsigned long nr, unsigned int shift, u64 size);
void mirvol_sync_cap_step(struct mirvol_sync_step *st, u8 partial,
			  const unsigned long *bits, unsigned long nr,
			  unsigned int shift);

unsigned int mirvol_read_errors_decay(unsigned int count, s64 last, s64 now);

/* Classes of assembly members (mirvol_assemble_plan()). */
enum {
	MIRVOL_ASM_CURRENT = 0,	/* up to date */
	MIRVOL_ASM_STALE,	/* missed updates: resync */
	MIRVOL_ASM_SUPERSEDED,	/* no longer in the volume's plex table */
	MIRVOL_ASM_DUPLICATE,	/* another member holds the same slot */
	MIRVOL_ASM_SPLIT,	/* on one side of a split brain */
};

/**
 * struct mirvol_asm_plan - how to assemble one volume
 * @newest: index of the member whose superblock is the truth
 * @reason: NONE, SPLIT_BRAIN or NO_IN_SYNC_MEMBER
 * @complete: every member the newest superblock expects is present
 * @slot_member: per slot, the member index filling it, or -1
 * @slot_state: per slot, the resulting plex state (NONE: empty slot)
 * @slot_sync: per slot, the resulting sync offset
 * @slot_partial: per slot, a syncing plex that copies only the regions
 *	set in the write-intent bitmap
 * @dirty_source: slot to resync the others from (unclean shutdown), or -1
 */
struct mirvol_asm_plan {
	int newest;
	enum mirvol_reason reason;
	bool complete;
	int slot_member[MIRVOL_MAX_PLEXES];
	unsigned int slot_state[MIRVOL_MAX_PLEXES];
	u64 slot_sync[MIRVOL_MAX_PLEXES];
	bool slot_partial[MIRVOL_MAX_PLEXES];
	int dirty_source;
};

enum mirvol_reason mirvol_check_plex_action(const struct mirvol_rule_vol *v,
					    int slot, unsigned int action,
					    bool has_dev);
enum mirvol_reason mirvol_check_set_volume(const struct mirvol_set_volume *sv);

/* SET_VOLUME, sysfs: the highest sync speed accepted, KiB/s (about 2 TiB/s). */
#define MIRVOL_SPEED_MAX_KIBS	(1U << 31)
bool mirvol_speed_valid(u32 kibs);

enum mirvol_reason mirvol_rejoin_check(const struct mirvol_md *vol_md,
				       const struct mirvol_md *m, bool readd);
enum mirvol_reason mirvol_late_join_check(const struct mirvol_md *vol_md,
					  const struct mirvol_md *m,
					  u64 start_gen);
void mirvol_assemble_plan(const struct mirvol_md *const *mds, unsigned int n,
			  unsigned int *classes, struct mirvol_asm_plan *plan);

#endif /* _MIRVOL_LOGIC_H */
