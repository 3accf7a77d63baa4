// SPDX-License-Identifier: GPL-2.0
/*
 * crash-replay: rebuild the plexes of a crash-record log as a power cut
 * at many moments would have left them, assemble them with mirvol and
 * check that nothing acknowledged was lost and the in-sync plexes agree.
 *
 *   crash-replay [-n STATES] [-S SEED] [-x STATE]... [-m NAME] [-b NAME]
 *                [-D] [-L] [-v] [-w FROM:TO] [-I] [-O FROM:TO[:PLEX]]...
 *                LOG DEV...
 *   crash-replay compare [-C] NAME
 *   crash-replay dump LOG [FROM [TO]]
 *
 * DEV... are scratch devices, one per plex of the log (RAM disks), at
 * least as large as the recorded plexes.  See README for the crash model;
 * in short, a crash state is a crash point c (a position in the log) and
 * a choice of volatile writes:
 *
 *   durable at c   a FUA write at or before c, or a write followed on its
 *                  plex by a FLUSH at or before c: on the medium
 *   volatile at c  any other write at or before c: in a cache, which may
 *                  have written back any subset of them
 *
 * The crash points are every position right before and right after a
 * FLUSH or FUA write; the volatile writes kept are, for every subset S of
 * the plexes with volatile writes, "all of those of the plexes in S, none
 * of the others" (one disk lost its cache, another did not), plus random
 * subsets.  A budget of -n states (default 300) goes first to states
 * after and before FUA writes (superblock updates), then to FLUSH points,
 * each once with every cache lost, then with some lost, then to random
 * subsets (see choose_states()); -S seeds the choice.  The workload's own
 * FUA writes (RWF_DSYNC) are crash points of the FLUSH kind.
 *
 * Each state: every plex image is written to its DEV, the devices that
 * carry a superblock are assembled (ASSEMBLE with RUN: all are there),
 * every started volume is read at once, its resync held back until then
 * (the module's sync_speed_max at EARLY_KIBS), and must pass the data
 * checks below (a read served from a plex not yet resynced fails them);
 * then every started volume's resync runs to its end, and then:
 *
 *   - the volume named by -m (the workload's, default "cv") is started
 *     once the "mark created" of the log lies before c, and the volume
 *     named by -b (the broken-off plex, default "cvb") once "mark
 *     break-done" does, until "mark merge-start" (it merges back); after
 *     "mark merge-done" it is gone; no other volume appears; from the
 *     merge's start on, every device that carries a superblock is a plex
 *     of one of them;
 *   - no started volume is failed, every resync succeeds and leaves every
 *     plex active (once "mark created" lies before c: a crash in the
 *     middle of create may leave a plex out), and the active plexes hold
 *     the same data, read here with O_DIRECT; when the module has a CHECK
 *     operation (SYNC_ACTION), its mismatch count must agree (-D: only
 *     read);
 *   - every block of the main volume holds its last write acknowledged
 *     ("ack" marks) before c, or a later write made before c; the broken
 *     off volume likewise with the acknowledgements before "mark
 *     break-start" and the writes before "mark break-done".
 *
 * -w FROM:TO tries only crash points between "mark FROM" and "mark TO"
 * (the merge's, say), the budget all theirs.
 *
 * -I assembles as udev does, one member at a time (INCREMENTAL), older
 * superblocks first, before the ASSEMBLE with RUN.
 *
 * -O FROM:TO:PLEX (up to 4): at crash points between "mark FROM" and
 * "mark TO" the plex of the main volume with index PLEX may be left
 * offline, failed or missing after recovery: the scenario took it out
 * there (offline, fail) and brought it back (online, re-add) by TO.  The
 * others must be active, and the data checks are the same.  Without
 * :PLEX any one plex may be out.
 *
 * -L is the control run: a device that loses every write but FUA ones,
 * flushed or not.  It must fail, or the checks cannot see lost data.
 *
 * A failed state prints its "-x C:mask=M" or "-x C:random=S": -x tries
 * just the states given (on the same log), to see a fix work.
 *
 * It prints one line per failed state and ends with
 *   crash states: N tried, M failed
 * Exit status 1 if a state failed, 2 on errors of the harness itself.
 *
 * Copyright (C) 2026 The mirvol authors
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crash.h"

#define NONE		UINT64_MAX
#define SLOTS_END	(MIRVOL_SB_OFFSET + MIRVOL_SB_SLOTS * MIRVOL_SB_SLOT_SIZE)
#define OP_TIMEOUT_MS	300000

struct ent {
	uint32_t type, plex, flags, len;
	uint64_t offset;
	const uint8_t *data;
	uint64_t durable_at;	/* WRITE: first crash point it is durable at */
};

#define NR_TIERS	4

/* A crash state: the crash point and which volatile writes survive. */
enum keep { KEEP_MASK, KEEP_RANDOM };

struct state {
	uint64_t c;		/* after entry c */
	enum keep keep;
	uint32_t mask;		/* KEEP_MASK: plexes whose cache survives */
	uint64_t seed;		/* KEEP_RANDOM */
	int tier;
};

static struct ent *ents;
static uint64_t nr_ents;
static unsigned int nr_plexes;
static uint64_t plex_bytes;
static const char *devs[MAX_PLEXES];
static int dev_fds[MAX_PLEXES];
static uint64_t *plex_writes[MAX_PLEXES], nr_plex_writes[MAX_PLEXES];

/* Workload writes: where each sequence number first appears in the log. */
static uint64_t *seq_first, max_seq;
/* Acknowledgements, and the phase marks. */
static uint64_t created_at = NONE, break_start_at = NONE, break_done_at = NONE;
static uint64_t merge_start_at = NONE, merge_done_at = NONE;
/* -w FROM:TO: crash points only between "mark FROM" and "mark TO". */
static char win_from_name[64], win_to_name[64];
static uint64_t win_from = NONE, win_to = NONE;
/*
 * -O FROM:TO[:PLEX]: between these marks plex PLEX (-1: any one) may stay
 * out (offline, failed).
 */
#define MAX_OUT_WINDOWS	4
static struct {
	char from_name[64], to_name[64];
	uint64_t from, to;
	int plex;
} outw[MAX_OUT_WINDOWS];
static unsigned int nr_outw;

static const char *main_name = "cv", *break_name = "cvb";
static bool scrub, no_scrub, verbose, lose_flushed, incremental;
/* The module's sync_speed_max, restored after every early read. */
static unsigned int speed_max;
static int ctl = -1;

/* ---- the log -------------------------------------------------------- */

static void load_log(const char *path)
{
	const struct log_hdr *hdr;
	uint64_t off, cap = 1 << 16, i;
	const uint8_t *map;
	struct stat st;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st))
		die("%s: %s", path, strerror(errno));
	if ((size_t)st.st_size < sizeof(*hdr))
		die("%s: too short", path);
	map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (map == MAP_FAILED)
		die("%s: mmap: %s", path, strerror(errno));
	close(fd);
	hdr = (const void *)map;
	if (memcmp(hdr->magic, LOG_MAGIC, sizeof(hdr->magic)) ||
	    hdr->version != 1 || !hdr->nr_plexes ||
	    hdr->nr_plexes > MAX_PLEXES || !hdr->plex_bytes)
		die("%s: not a crash-record log", path);
	nr_plexes = hdr->nr_plexes;
	plex_bytes = hdr->plex_bytes;
	ents = xcalloc(cap, sizeof(*ents));
	for (off = sizeof(*hdr); off < (uint64_t)st.st_size; ) {
		struct log_ent e;
		struct ent *x;

		if ((uint64_t)st.st_size - off < sizeof(e))
			die("%s: truncated at byte %llu", path,
			    (unsigned long long)off);
		memcpy(&e, map + off, sizeof(e));
		off += sizeof(e);
		if ((uint64_t)st.st_size - off < e.len)
			die("%s: truncated at byte %llu", path,
			    (unsigned long long)off);
		if (nr_ents == cap) {
			cap *= 2;
			ents = realloc(ents, cap * sizeof(*ents));
			if (!ents)
				die("out of memory");
		}
		x = &ents[nr_ents];
		*x = (struct ent){ .type = e.type, .plex = e.plex,
				   .flags = e.flags, .len = e.len,
				   .offset = e.offset, .data = map + off,
				   .durable_at = NONE };
		if ((e.type != LOG_WRITE && e.type != LOG_FLUSH &&
		     e.type != LOG_MARK) || e.plex >= nr_plexes ||
		    (e.type == LOG_WRITE &&
		     (e.offset > plex_bytes || e.len > plex_bytes - e.offset ||
		      e.offset % 512 || e.len % 512 || !e.len)))
			die("%s: bad entry %llu", path,
			    (unsigned long long)nr_ents);
		off += e.len;
		nr_ents++;
	}
	if (!nr_ents)
		die("%s: no entries", path);

	/* When each write is durable: FUA at once, else at the next FLUSH. */
	for (i = 0; i < nr_plexes; i++)
		plex_writes[i] = xcalloc(nr_ents, sizeof(uint64_t));
	{
		uint64_t next_flush[MAX_PLEXES];

		for (i = 0; i < nr_plexes; i++)
			next_flush[i] = NONE;
		for (i = nr_ents; i--; ) {
			struct ent *x = &ents[i];

			if (x->type == LOG_FLUSH)
				next_flush[x->plex] = i;
			else if (x->type == LOG_WRITE)
				x->durable_at = x->flags & LOG_F_FUA ? i :
						next_flush[x->plex];
		}
	}
	for (i = 0; i < nr_ents; i++)
		if (ents[i].type == LOG_WRITE)
			plex_writes[ents[i].plex][nr_plex_writes[ents[i].plex]++] = i;
}

static bool is_mark(const struct ent *x, const char *text)
{
	size_t n = strlen(text);

	return x->type == LOG_MARK && x->len == n && !memcmp(x->data, text, n);
}

static bool is_ack(const struct ent *x)
{
	return x->type == LOG_MARK && x->len > 4 && !memcmp(x->data, "ack ", 4);
}

static void note_seq(uint64_t seq, uint64_t idx)
{
	static uint64_t cap;

	if (seq >= cap) {
		uint64_t old = cap;

		cap = seq * 2 + 1024;
		seq_first = realloc(seq_first, cap * sizeof(*seq_first));
		if (!seq_first)
			die("out of memory");
		while (old < cap)
			seq_first[old++] = NONE;
	}
	if (seq_first[seq] == NONE)
		seq_first[seq] = idx;
	if (seq > max_seq)
		max_seq = seq;
}

/* Index the workload's records in the data areas, and the marks. */
static void index_log(void)
{
	uint64_t i, data_off = MIRVOL_DATA_OFFSET;
	unsigned int w;

	for (i = 0; i < nr_ents; i++) {
		const struct ent *x = &ents[i];
		uint64_t o, seq;

		if (is_mark(x, "mark created") && created_at == NONE)
			created_at = i;
		else if (is_mark(x, "mark break-start"))
			break_start_at = i;
		else if (is_mark(x, "mark break-done"))
			break_done_at = i;
		else if (is_mark(x, "mark merge-start"))
			merge_start_at = i;
		else if (is_mark(x, "mark merge-done"))
			merge_done_at = i;
		if (*win_from_name && is_mark(x, win_from_name) &&
		    win_from == NONE)
			win_from = i;
		if (*win_to_name && is_mark(x, win_to_name) && win_to == NONE)
			win_to = i;
		for (w = 0; w < nr_outw; w++) {
			if (is_mark(x, outw[w].from_name) &&
			    outw[w].from == NONE)
				outw[w].from = i;
			if (is_mark(x, outw[w].to_name) && outw[w].to == NONE)
				outw[w].to = i;
		}
		if (x->type != LOG_WRITE || x->offset + x->len <= data_off)
			continue;
		o = x->offset < data_off ? data_off : x->offset;
		o = data_off + ((o - data_off + REC_SIZE - 1) / REC_SIZE) *
			       REC_SIZE;
		for (; o + REC_SIZE <= x->offset + x->len; o += REC_SIZE) {
			const uint8_t *d = x->data + (o - x->offset);

			if (rec_check(d, (o - data_off) / REC_SIZE, &seq) ==
			    REC_VALID)
				note_seq(seq, i);
		}
	}
	if (created_at == NONE)
		die("the log has no 'mark created'");
	if ((break_start_at == NONE) != (break_done_at == NONE))
		die("the log has only one of the break marks");
	if ((merge_start_at == NONE) != (merge_done_at == NONE) ||
	    (merge_start_at != NONE && merge_start_at < break_done_at))
		die("the log has only one of the merge marks, or a merge before the break");
	if (*win_from_name && (win_from == NONE || win_to == NONE ||
			       win_to < win_from))
		die("-w: the log has no '%s' followed by '%s'", win_from_name,
		    win_to_name);
	if (!*win_from_name)
		win_from = 0;
	for (w = 0; w < nr_outw; w++)
		if (outw[w].from == NONE || outw[w].to == NONE ||
		    outw[w].to < outw[w].from)
			die("-O: the log has no '%s' followed by '%s'",
			    outw[w].from_name, outw[w].to_name);
}

/*
 * Which plexes may a crash at @c leave out of the main volume (offline,
 * failed or missing), by index (a bit each, all for any): those of the -O
 * windows it lies in, an operation that takes the plex out until the one
 * that brings it back is done.  One of them at the most.
 */
static uint32_t plexes_may_be_out(uint64_t c)
{
	uint32_t mask = 0;
	unsigned int w;

	for (w = 0; w < nr_outw; w++)
		if (c >= outw[w].from && c < outw[w].to)
			mask |= outw[w].plex < 0 ? UINT32_MAX :
				UINT32_C(1) << outw[w].plex;
	return mask;
}

/* ---- superblocks, for the reports ---------------------------------------- */

static uint64_t get64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return le64toh(v);
}

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return le32toh(v);
}

/* "gen G dirty|clean [0 active, 1 syncing@S, ...]" of a superblock. */
static int describe_sb(const uint8_t *sb, char *buf, size_t len)
{
	size_t n;
	unsigned int i;

	if (get64(sb) != MIRVOL_SB_MAGIC)
		return -1;
	n = (size_t)snprintf(buf, len, "gen %llu %s [",
			     (unsigned long long)get64(sb + 128),
			     get32(sb + 20) & MIRVOL_SB_F_DIRTY ?
			     "dirty" : "clean");
	for (i = 0; i < MIRVOL_MAX_PLEXES && n < len; i++) {
		const uint8_t *p = sb + 256 + 48 * i;
		uint32_t state = get32(p + 16);

		if (!state)
			continue;
		n += (size_t)snprintf(buf + n, len - n, "%s%u %s", n > 1 &&
				      buf[n - 1] != '[' ? ", " : "", i,
				      mv_plex_state_str(state));
		if (state == MIRVOL_PLEX_SYNCING && n < len)
			n += (size_t)snprintf(buf + n, len - n, "@%llu",
					      (unsigned long long)get64(p + 24));
	}
	if (n < len)
		snprintf(buf + n, len - n, "] %.20s", (const char *)sb + 40);
	return 0;
}

/* What entry @i is, with the superblock it writes if any. */
static void describe_ent(uint64_t i, char *buf, size_t len)
{
	const struct ent *x = &ents[i];
	char sb[256];
	uint64_t s;

	if (x->type == LOG_FLUSH) {
		snprintf(buf, len, "FLUSH plex %u", x->plex);
		return;
	}
	if (x->type == LOG_MARK) {
		snprintf(buf, len, "%.*s", x->len > 60 ? 60 : (int)x->len,
			 (const char *)x->data);
		return;
	}
	for (s = MIRVOL_SB_OFFSET; s < SLOTS_END; s += MIRVOL_SB_SLOT_SIZE) {
		if (x->offset <= s && x->offset + x->len >= s + 4096 &&
		    !describe_sb(x->data + (s - x->offset), sb, sizeof(sb))) {
			snprintf(buf, len, "%s plex %u superblock slot %llu: %s",
				 x->flags & LOG_F_FUA ? "FUA write" : "write",
				 x->plex,
				 (unsigned long long)((s - MIRVOL_SB_OFFSET) /
						      MIRVOL_SB_SLOT_SIZE), sb);
			return;
		}
	}
	snprintf(buf, len, "%s plex %u bytes %llu+%u",
		 x->flags & LOG_F_FUA ? "FUA write" : "write", x->plex,
		 (unsigned long long)x->offset, x->len);
}

/* The last mark (other than an ack) at or before @c. */
static const char *phase_at(uint64_t c, char *buf, size_t len)
{
	uint64_t i;

	for (i = c + 1; i--; ) {
		if (ents[i].type == LOG_MARK && !is_ack(&ents[i])) {
			snprintf(buf, len, "%.*s", (int)ents[i].len - 5,
				 (const char *)ents[i].data + 5);
			return buf;
		}
	}
	return "start";
}

/*
 * What the recording went through, for the test to check that the
 * scenario happened: superblock writes, and the clean/dirty transitions
 * plex 0's superblocks show.
 */
static void summarize_log(void)
{
	uint64_t i, s, nr_sb = 0, nr_fua = 0, nr_flush = 0, nr_acks = 0;
	uint64_t nr_data_fua = 0;
	uint64_t to_dirty = 0, to_clean = 0;
	int dirty = -1;

	for (i = 0; i < nr_ents; i++) {
		const struct ent *x = &ents[i];

		nr_flush += x->type == LOG_FLUSH;
		nr_acks += is_ack(x);
		if (x->type != LOG_WRITE)
			continue;
		nr_fua += !!(x->flags & LOG_F_FUA);
		nr_data_fua += (x->flags & LOG_F_FUA) &&
			       x->offset >= MIRVOL_DATA_OFFSET;
		for (s = MIRVOL_SB_OFFSET; s < SLOTS_END;
		     s += MIRVOL_SB_SLOT_SIZE) {
			const uint8_t *sb = x->data + (s - x->offset);
			int d;

			if (x->offset > s || x->offset + x->len < s + 4096 ||
			    get64(sb) != MIRVOL_SB_MAGIC)
				continue;
			nr_sb++;
			if (x->plex)
				continue;
			d = !!(get32(sb + 20) & MIRVOL_SB_F_DIRTY);
			to_dirty += dirty == 0 && d;
			to_clean += dirty == 1 && !d;
			dirty = d;
		}
	}
	printf("log: %llu entries, %u plexes of %llu bytes; %llu flushes, %llu FUA writes (%llu of data), %llu superblock writes; plex 0 went clean->dirty %llu times, dirty->clean %llu times; %llu acks of %llu workload writes\n",
	       (unsigned long long)nr_ents, nr_plexes,
	       (unsigned long long)plex_bytes, (unsigned long long)nr_flush,
	       (unsigned long long)nr_fua, (unsigned long long)nr_data_fua,
	       (unsigned long long)nr_sb,
	       (unsigned long long)to_dirty, (unsigned long long)to_clean,
	       (unsigned long long)nr_acks, (unsigned long long)max_seq);
}

/* ---- choosing the states -------------------------------------------------- */

static bool volatile_at(const struct ent *x, uint64_t idx, uint64_t c)
{
	return x->type == LOG_WRITE && idx <= c && x->durable_at > c;
}

/* Plexes with volatile writes at @c (bit mask). */
static uint32_t volatile_plexes(uint64_t c)
{
	uint32_t m = 0;
	unsigned int p;

	for (p = 0; p < nr_plexes; p++) {
		uint64_t k;

		for (k = nr_plex_writes[p]; k--; ) {
			uint64_t i = plex_writes[p][k];

			if (i > c)
				continue;
			if (ents[i].durable_at > c)
				m |= 1U << p;
			/* Once the plex flushed, all before is durable. */
			if (ents[i].durable_at <= c &&
			    !(ents[i].flags & LOG_F_FUA))
				break;
		}
	}
	return m;
}

struct statelist {
	struct state *s;
	size_t n, cap;
};

static void add_state(struct statelist *l, struct state st)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 1024;
		l->s = realloc(l->s, l->cap * sizeof(*l->s));
		if (!l->s)
			die("out of memory");
	}
	l->s[l->n++] = st;
}

/*
 * Every subset of @m, as masks: the empty one (every cache lost) into
 * tier @first, the others into tier @rest.
 */
static void add_masks(struct statelist *tiers, int first, int rest,
		      uint64_t c, uint32_t m)
{
	uint32_t sub = 0;

	do {
		int t = sub ? rest : first;

		add_state(&tiers[t], (struct state){ .c = c, .keep = KEEP_MASK,
						     .mask = sub, .tier = t });
		sub = (sub - m) & m;
	} while (sub);
}

static void shuffle(struct state *s, size_t n, uint64_t *rnd)
{
	size_t i;

	for (i = n; i > 1; i--) {
		size_t j = rnd_next(rnd) % i;
		struct state t = s[i - 1];

		s[i - 1] = s[j];
		s[j] = t;
	}
}

static int by_point(const void *a, const void *b)
{
	const struct state *x = a, *y = b;

	if (x->c != y->c)
		return x->c < y->c ? -1 : 1;
	return x->tier - y->tier;
}

/*
 * Tier 0: before and after every FUA write (superblock updates), every
 * choice of caches lost; tier 1: before and after every FLUSH, every
 * cache lost; tier 2: the same points, some caches lost; tier 3: random
 * subsets at such points, as many as it takes to fill the budget.  A
 * first pass gives the tiers 50, 30, 10 and 10 % of the budget, a second
 * what the others left, in tier order; each takes its share in random
 * order.  So a large budget covers every crash point.
 */
static struct state *choose_states(size_t budget, uint64_t seed, size_t *nr,
				   size_t tier_size[NR_TIERS])
{
	static const unsigned int share[NR_TIERS] = { 50, 30, 10, 10 };
	struct statelist tiers[NR_TIERS] = { { 0 } }, out = { 0 };
	uint64_t rnd = seed, i, last = NONE;
	uint64_t *points = xcalloc(2 * nr_ents + 1, sizeof(*points));
	size_t nr_points = 0, t, used[NR_TIERS] = { 0 }, left = budget, per;

	for (i = 0; i < nr_ents; i++) {
		const struct ent *x = &ents[i];
		uint64_t c;
		int tier;

		if (i < win_from || i > win_to)
			continue;
		/*
		 * The workload's FUA writes (RWF_DSYNC) are data: with the
		 * flushes, so that the superblocks keep their share.
		 */
		if (x->type == LOG_WRITE && (x->flags & LOG_F_FUA))
			tier = x->offset < MIRVOL_DATA_OFFSET ? 0 : 1;
		else if (x->type == LOG_FLUSH)
			tier = 1;
		else
			continue;
		for (c = i ? i - 1 : i; c <= i; c++) {
			if (c == last)
				continue;	/* after the previous one */
			last = c;
			if (volatile_plexes(c))
				points[nr_points++] = c;
			if (tier)
				add_masks(tiers, 1, 2, c, volatile_plexes(c));
			else
				add_masks(tiers, 0, 0, c, volatile_plexes(c));
		}
	}
	if (last != nr_ents - 1 && win_to == NONE) {
		if (volatile_plexes(nr_ents - 1))
			points[nr_points++] = nr_ents - 1;
		add_masks(tiers, 1, 2, nr_ents - 1,
			  volatile_plexes(nr_ents - 1));
	}
	/* Random subsets where there is something to choose from. */
	per = nr_points ? (budget + nr_points - 1) / nr_points : 0;
	for (t = 0; t < nr_points; t++) {
		size_t r;

		for (r = 0; r < per; r++)
			add_state(&tiers[3], (struct state){
				.c = points[t], .keep = KEEP_RANDOM,
				.tier = 3, .seed = rnd_next(&rnd) | 1 });
	}
	free(points);
	for (t = 0; t < NR_TIERS; t++) {
		tier_size[t] = tiers[t].n;
		shuffle(tiers[t].s, tiers[t].n, &rnd);
	}
	for (i = 0; i < 2; i++) {
		for (t = 0; t < NR_TIERS; t++) {
			size_t want = i ? left : budget * share[t] / 100;
			size_t take = tiers[t].n - used[t];

			if (take > want)
				take = want;
			if (take > left)
				take = left;
			while (take--)
				add_state(&out, tiers[t].s[used[t]++]);
			left = budget - out.n;
		}
	}
	for (t = 0; t < NR_TIERS; t++)
		free(tiers[t].s);
	qsort(out.s, out.n, sizeof(*out.s), by_point);
	*nr = out.n;
	return out.s;
}

/* ---- building the plexes ------------------------------------------------- */

/*
 * base[p] holds plex p's writes up to its first one not durable at the
 * current crash point (settled[p] counts them): they are in every later
 * state.  States are built in crash point order.  work[p] is the state's
 * image of plex p.
 */
static uint8_t *base[MAX_PLEXES], *work[MAX_PLEXES];
static uint64_t settled[MAX_PLEXES];

static bool keeps(const struct state *st, const struct ent *x, uint64_t i)
{
	uint64_t h;

	if (lose_flushed && !(x->flags & LOG_F_FUA))
		return false;
	if (x->durable_at <= st->c)
		return true;
	if (st->keep == KEEP_MASK)
		return st->mask & (1U << x->plex);
	h = (st->seed ^ i) * 0x9e3779b97f4a7c15ULL;
	return (h >> 63) & 1;
}

/*
 * Build the state's plexes in work[] and write them to the devices;
 * count the volatile writes kept and in all per plex.
 */
static void build_state(const struct state *st, uint64_t kept[],
			uint64_t total[])
{
	unsigned int p;

	for (p = 0; p < nr_plexes; p++) {
		uint64_t k;

		while (settled[p] < nr_plex_writes[p]) {
			const struct ent *x = &ents[plex_writes[p][settled[p]]];

			if (x->durable_at > st->c)
				break;
			if (!lose_flushed || (x->flags & LOG_F_FUA))
				memcpy(base[p] + x->offset, x->data, x->len);
			settled[p]++;
		}
		memcpy(work[p], base[p], plex_bytes);
		kept[p] = total[p] = 0;
		for (k = settled[p]; k < nr_plex_writes[p]; k++) {
			uint64_t i = plex_writes[p][k];
			const struct ent *x = &ents[i];

			if (i > st->c)
				break;
			if (volatile_at(x, i, st->c))
				total[p]++;
			if (!keeps(st, x, i))
				continue;
			if (volatile_at(x, i, st->c))
				kept[p]++;
			memcpy(work[p] + x->offset, x->data, x->len);
		}
		full_pwrite(dev_fds[p], work[p], plex_bytes, 0, devs[p]);
	}
}

/*
 * The superblock slot plex @p of the state will be assembled from: of
 * the two with the magic, the higher generation; NULL if neither has it.
 */
static const uint8_t *current_sb(unsigned int p)
{
	const uint8_t *s0 = work[p] + MIRVOL_SB_OFFSET;
	const uint8_t *s1 = s0 + MIRVOL_SB_SLOT_SIZE;
	const uint8_t *cur = NULL;

	if (get64(s0) == MIRVOL_SB_MAGIC)
		cur = s0;
	if (get64(s1) == MIRVOL_SB_MAGIC &&
	    (!cur || get64(s1 + 128) > get64(cur + 128)))
		cur = s1;
	return cur;
}

/* ---- checking a state ------------------------------------------------------ */

struct check {
	char why[1024];
	size_t len;
	bool failed;
};

static void fail(struct check *ck, const char *fmt, ...) __printf(2, 3);

static void fail(struct check *ck, const char *fmt, ...)
{
	va_list ap;

	if (ck->len >= sizeof(ck->why) - 1)
		return;
	if (ck->failed)
		ck->len += (size_t)snprintf(ck->why + ck->len,
					    sizeof(ck->why) - ck->len, "; ");
	if (ck->len >= sizeof(ck->why) - 1)
		return;
	va_start(ap, fmt);
	ck->len += (size_t)vsnprintf(ck->why + ck->len,
				     sizeof(ck->why) - ck->len, fmt, ap);
	va_end(ap);
	ck->failed = true;
}

/* The acknowledged sequence of every block at a crash point. */
static uint64_t *acked, *acked_break, nr_blocks_acked;
static uint64_t acks_upto;	/* marks before this entry are counted */

static void ack_one(uint64_t block, uint64_t seq)
{
	if (block >= nr_blocks_acked) {
		uint64_t n = block * 2 + 1024, i;

		acked = realloc(acked, n * sizeof(*acked));
		acked_break = realloc(acked_break, n * sizeof(*acked_break));
		if (!acked || !acked_break)
			die("out of memory");
		for (i = nr_blocks_acked; i < n; i++)
			acked[i] = acked_break[i] = 0;
		nr_blocks_acked = n;
	}
	if (seq > acked[block])
		acked[block] = seq;
}

/* Count the BLOCK:SEQ pairs of an ack mark. */
static void apply_ack_mark(const struct ent *x)
{
	char *text = xmalloc(x->len + 1), *p, *save = NULL;

	memcpy(text, x->data, x->len);
	text[x->len] = 0;
	for (p = strtok_r(text + 4, " ", &save); p;
	     p = strtok_r(NULL, " ", &save)) {
		unsigned long long b, s;

		if (sscanf(p, "%llu:%llu", &b, &s) != 2)
			die("malformed ack mark '%.60s'", text);
		ack_one(b, s);
	}
	free(text);
}

static void advance_acks(uint64_t c)
{
	for (; acks_upto <= c; acks_upto++) {
		const struct ent *x = &ents[acks_upto];

		if (is_ack(x))
			apply_ack_mark(x);
		if (acks_upto == break_start_at && nr_blocks_acked)
			memcpy(acked_break, acked,
			       nr_blocks_acked * sizeof(*acked));
	}
}

/*
 * Every block of the volume: a valid record or zeros, at least the
 * acknowledged write, and a write made before @written_by.
 */
static void check_data(struct check *ck, const struct mirvol_info *info,
		       const uint64_t *ack, uint64_t written_by,
		       const char *when)
{
	uint64_t b, nr = info->size_bytes / REC_SIZE, seq, bad = 0;
	char path[300], first[200] = "";
	uint8_t *buf;
	int fd;

	if (devnode(info->dev_major, info->dev_minor, path, sizeof(path))) {
		fail(ck, "volume %s: no device node", info->name);
		return;
	}
	fd = open(path, O_RDONLY | O_DIRECT | O_CLOEXEC);
	if (fd < 0) {
		fail(ck, "volume %s: %s: %s", info->name, path,
		     strerror(errno));
		return;
	}
	buf = xaligned(info->size_bytes);
	for (b = 0; b < info->size_bytes; ) {
		ssize_t r = pread(fd, buf + b, info->size_bytes - b, (off_t)b);

		if (r < 0 && errno == EINTR)
			continue;
		if (r > 0) {
			b += (uint64_t)r;
			continue;
		}
		fail(ck, "volume %s%s: reading %s at %llu: %s", info->name,
		     when, path, (unsigned long long)b,
		     r < 0 ? strerror(errno) : "end of device");
		close(fd);
		free(buf);
		return;
	}
	close(fd);
	for (b = 0; b < nr; b++) {
		uint64_t a = b < nr_blocks_acked ? ack[b] : 0;
		enum rec_kind k = rec_check(buf + b * REC_SIZE, b, &seq);
		const char *what = NULL;

		if (k == REC_BAD)
			what = "holds neither a record of the block nor zeros";
		else if (seq < a)
			what = "lost an acknowledged write";
		else if (seq && (seq > max_seq || seq_first[seq] == NONE ||
				 seq_first[seq] > written_by))
			what = "holds a write not made before the crash point";
		if (!what)
			continue;
		if (!bad++)
			snprintf(first, sizeof(first),
				 "block %llu %s (holds write %llu, acknowledged %llu)",
				 (unsigned long long)b, what,
				 (unsigned long long)seq,
				 (unsigned long long)a);
	}
	free(buf);
	if (bad)
		fail(ck, "volume %s%s: %llu bad blocks, first: %s", info->name,
		     when, (unsigned long long)bad, first);
}

/* The data checks of volume @info at crash point @c. */
static void check_vol_data(struct check *ck, const struct mirvol_info *info,
			   uint64_t c, const char *when)
{
	if (!strcmp(info->name, main_name))
		check_data(ck, info, acked, c, when);
	else if (!strcmp(info->name, break_name))
		check_data(ck, info, acked_break,
			   c < break_done_at ? c : break_done_at, when);
}

/* Wait for the volume's operations to end; false if one failed. */
static bool wait_ops(struct check *ck, struct mirvol_info *info)
{
	int rounds;

	for (rounds = 0; rounds < 8; rounds++) {
		struct mirvol_op op = { .op_id = info->op_id,
					.timeout_ms = OP_TIMEOUT_MS };
		uint8_t uuid[MIRVOL_UUID_LEN];

		if (!info->op_id)
			return true;
		if (mv_ioctl(ctl, MIRVOL_IOC_OP_WAIT, &op, "OP_WAIT")) {
			fail(ck, "volume %s: operation %llu did not end (%s)",
			     info->name, (unsigned long long)info->op_id,
			     mv_reason_str(op.hdr.reason));
			return false;
		}
		if (op.info.state != MIRVOL_OPS_SUCCEEDED) {
			fail(ck, "volume %s: operation %llu (type %u) ended %u: errno %d, %s",
			     info->name, (unsigned long long)info->op_id,
			     op.info.type, op.info.state, op.info.error,
			     mv_reason_str(op.info.reason));
			return false;
		}
		memcpy(uuid, info->volume_uuid, sizeof(uuid));
		if (mv_info(ctl, uuid, info))
			die("INFO failed");
	}
	fail(ck, "volume %s: operations keep starting", info->name);
	return false;
}

static void check_volume(struct check *ck, struct mirvol_info *info,
			 uint64_t c)
{
	char msg[512];
	unsigned int i;
	uint32_t out;
	int r;

	if (info->state == MIRVOL_VOLUME_OFFLINE) {
		fail(ck, "volume %s: not started", info->name);
		return;
	}
	if (!wait_ops(ck, info))
		return;
	if (info->state == MIRVOL_VOLUME_FAILED) {
		fail(ck, "volume %s: failed", info->name);
		return;
	}
	/*
	 * A crash in the middle of create may leave a plex out; one in a -O
	 * window one offline, failed or missing plex of the main volume,
	 * the window's.
	 */
	out = !strcmp(info->name, main_name) ? plexes_may_be_out(c) : 0;
	for (i = 0; c >= created_at && i < info->nr_plexes; i++) {
		unsigned int st = info->plexes[i].state;
		unsigned int idx = info->plexes[i].index;

		if (st == MIRVOL_PLEX_ACTIVE)
			continue;
		if (idx < 32 && (out & UINT32_C(1) << idx) &&
		    (st == MIRVOL_PLEX_OFFLINE || st == MIRVOL_PLEX_FAILED ||
		     st == MIRVOL_PLEX_MISSING)) {
			out = 0;
			continue;
		}
		fail(ck, "volume %s: plex %u %s after recovery",
		     info->name, info->plexes[i].index,
		     mv_plex_state_str(st));
	}
	r = compare_plexes(ctl, info, false, msg, sizeof(msg));
	if (r)
		fail(ck, "volume %s: %s%s", info->name,
		     r < 0 ? "comparing the plexes: " : "", msg);
	/* The module's own check must see the same. */
	if (scrub && r >= 0) {
		int rs = compare_plexes(ctl, info, true, msg, sizeof(msg));

		if (rs < 0)
			fail(ck, "volume %s: %s", info->name, msg);
		else if (rs != r)
			fail(ck, "volume %s: the module's check found %s, reading the plexes %s",
			     info->name, rs ? msg : "no mismatch",
			     r ? "a difference" : "none");
	}
	check_vol_data(ck, info, c, "");
}

/*
 * The early read (check_state()): when a superblock lists a plex still
 * syncing, the resyncs are held back to EARLY_KIBS until every volume
 * was read once, so that the read meets them running, and a read served
 * from a plex not yet resynced shows.  (Other states are not held back:
 * the speed comes back only at the resync's next throttle step, up to
 * 100 ms later, and the resync of the write-intent bitmap's regions
 * copies between plexes that are all readable.)
 */
#define SPEED_PARAM	"/sys/module/mirvol/parameters/sync_speed_max"
#define EARLY_KIBS	100

static unsigned int read_uint(const char *path)
{
	unsigned int v = 0;
	FILE *f = fopen(path, "r");

	if (!f || fscanf(f, "%u", &v) != 1)
		die("%s: cannot read it", path);
	fclose(f);
	return v;
}

static void write_uint(const char *path, unsigned int v)
{
	FILE *f = fopen(path, "w");

	if (!f || fprintf(f, "%u\n", v) < 0 || fclose(f))
		die("%s: cannot write %u", path, v);
}

/* The volume's sysfs tunable @name, as /sys/block/DEV/mirvol/NAME. */
static int vol_attr(const struct mirvol_info *info, const char *name,
		    char *path, size_t len)
{
	char node[300];

	if (devnode(info->dev_major, info->dev_minor, node, sizeof(node)))
		return -1;
	snprintf(path, len, "/sys/block/%s/mirvol/%s",
		 strrchr(node, '/') + 1, name);
	return 0;
}

/*
 * -I: as udev would, one member per INCREMENTAL call, and in the order
 * that is worst for a device taken in by the last update: older
 * superblocks first (a volume its members' superblocks find complete
 * starts before the newer one comes).  The ASSEMBLE with RUN that
 * follows starts what is still waiting, as a timeout would.
 */
static void assemble_incremental(struct check *ck,
				 const struct mirvol_assemble_member *m,
				 const uint64_t *gens, unsigned int n)
{
	unsigned int order[MAX_PLEXES], i, j;

	for (i = 0; i < n; i++) {
		for (j = i; j > 0 && gens[order[j - 1]] > gens[i]; j--)
			order[j] = order[j - 1];
		order[j] = i;
	}
	for (i = 0; i < n; i++) {
		struct mirvol_assemble_member one = { .fd = m[order[i]].fd };
		struct mirvol_assemble a;

		memset(&a, 0, sizeof(a));
		a.hdr.flags = MIRVOL_ASSEMBLE_F_INCREMENTAL;
		a.nr_members = 1;
		a.members_ptr = (uint64_t)(uintptr_t)&one;
		if (ioctl(ctl, MIRVOL_IOC_ASSEMBLE, &a))
			fail(ck, "incremental assembly of member %u (generation %llu) failed: %s (%s)",
			     order[i], (unsigned long long)gens[order[i]],
			     strerror(errno), mv_reason_str(a.hdr.reason));
	}
}

/* Does superblock @sb list a plex as syncing? */
static bool sb_syncing(const uint8_t *sb)
{
	unsigned int i;

	for (i = 0; i < MIRVOL_MAX_PLEXES; i++)
		if (get32(sb + 256 + 48 * i + 16) == MIRVOL_PLEX_SYNCING)
			return true;
	return false;
}

static void check_state(const struct state *st, struct check *ck)
{
	struct mirvol_assemble_member m[MAX_PLEXES];
	uint8_t uuids[16][MIRVOL_UUID_LEN];
	struct mirvol_assemble a;
	bool seen_main = false, seen_break = false, hold = false;
	unsigned int p, n = 0, vol_plexes = 0;
	int fds[MAX_PLEXES], nr_vols, v;
	uint64_t gens[MAX_PLEXES];
	const uint8_t *sb;

	memset(m, 0, sizeof(m));
	for (p = 0; p < nr_plexes; p++) {
		sb = current_sb(p);
		if (!sb)
			continue;
		fds[n] = open(devs[p], O_RDWR | O_CLOEXEC);
		if (fds[n] < 0)
			die("%s: %s", devs[p], strerror(errno));
		m[n].fd = fds[n];
		gens[n] = get64(sb + 128);
		hold |= sb_syncing(sb);
		n++;
	}
	/* Resyncs crawl until the early read below is done. */
	if (hold) {
		if (!speed_max)
			speed_max = read_uint(SPEED_PARAM);
		write_uint(SPEED_PARAM, EARLY_KIBS);
	}
	if (n && incremental)
		assemble_incremental(ck, m, gens, n);
	if (n) {
		memset(&a, 0, sizeof(a));
		a.hdr.flags = MIRVOL_ASSEMBLE_F_RUN;
		a.nr_members = n;
		a.members_ptr = (uint64_t)(uintptr_t)m;
		if (ioctl(ctl, MIRVOL_IOC_ASSEMBLE, &a))
			fail(ck, "assemble failed: %s (%s)", strerror(errno),
			     mv_reason_str(a.hdr.reason));
		for (p = 0; p < n; p++)
			close(fds[p]);
	}

	nr_vols = mv_list(ctl, uuids, 16);
	if (nr_vols < 0)
		die("LIST failed");
	/*
	 * Read every started volume right away, its resync (if any) still
	 * running: what it returns must pass the same checks as after it.
	 * A read error fails the state (a plex that errs is failed, and
	 * the data then come from another).
	 */
	for (v = 0; v < nr_vols; v++) {
		struct mirvol_info info;

		if (mv_info(ctl, uuids[v], &info))
			die("INFO failed");
		if (info.state != MIRVOL_VOLUME_OFFLINE &&
		    info.state != MIRVOL_VOLUME_FAILED)
			check_vol_data(ck, &info, st->c,
				       " (read right after assembly)");
	}
	/* Then full speed again, for the volumes that started slow too. */
	if (hold)
		write_uint(SPEED_PARAM, speed_max);
	for (v = 0; hold && v < nr_vols; v++) {
		struct mirvol_info info;
		char path[400];

		if (mv_info(ctl, uuids[v], &info))
			die("INFO failed");
		if (info.state != MIRVOL_VOLUME_OFFLINE &&
		    !vol_attr(&info, "sync_speed_max", path, sizeof(path)) &&
		    read_uint(path) == EARLY_KIBS)
			write_uint(path, speed_max);
	}
	for (v = 0; v < nr_vols; v++) {
		struct mirvol_info info;

		if (mv_info(ctl, uuids[v], &info))
			die("INFO failed");
		if (!strcmp(info.name, main_name))
			seen_main = true;
		else if (!strcmp(info.name, break_name))
			seen_break = true;
		else
			fail(ck, "unexpected volume %s", info.name);
		vol_plexes += info.nr_plexes;
		check_volume(ck, &info, st->c);
	}
	if (!seen_main && st->c >= created_at)
		fail(ck, "no volume %s", main_name);
	/* Between the merge marks either; after them it is gone. */
	if (!seen_break && break_done_at != NONE && st->c >= break_done_at &&
	    st->c < merge_start_at)
		fail(ck, "no volume %s", break_name);
	if (seen_break && st->c >= merge_done_at)
		fail(ck, "volume %s is still there after the merge",
		     break_name);
	/* Each device of the merge is a plex of one of them, never none. */
	if (st->c >= merge_start_at && vol_plexes != n)
		fail(ck, "%u devices carry a superblock, the volumes have %u plexes",
		     n, vol_plexes);
	if (ck->failed && n)
		for (p = 0; p < n; p++)
			if (m[p].result != MIRVOL_MEMBER_ACTIVE)
				fail(ck, "member %u: %s%s%s", p,
				     m[p].result == MIRVOL_MEMBER_STALE ?
				     "stale" : m[p].result ==
				     MIRVOL_MEMBER_PENDING ? "pending" :
				     "refused", m[p].reason ? " " : "",
				     m[p].reason ? mv_reason_str(m[p].reason) :
				     "");

	/* Leave nothing behind for the next state. */
	for (v = 0; v < nr_vols; v++) {
		struct mirvol_volume_ref ref;

		memset(&ref, 0, sizeof(ref));
		memcpy(ref.volume_uuid, uuids[v], MIRVOL_UUID_LEN);
		if (mv_ioctl(ctl, MIRVOL_IOC_STOP, &ref, "STOP"))
			die("cannot stop a volume: the next states would not be independent");
	}
}

static void describe_state(const struct state *st, const uint64_t kept[],
			   const uint64_t total[], char *buf, size_t len)
{
	char what[300], phase[100], sb[256];
	size_t n;
	unsigned int p;

	describe_ent(st->c, what, sizeof(what));
	n = (size_t)snprintf(buf, len, "after entry %llu (%s) [phase %s]; volatile writes kept:",
			     (unsigned long long)st->c, what,
			     phase_at(st->c, phase, sizeof(phase)));
	for (p = 0; p < nr_plexes && n < len; p++)
		n += (size_t)snprintf(buf + n, len - n, " plex %u %llu/%llu",
				      p, (unsigned long long)kept[p],
				      (unsigned long long)total[p]);
	/* The superblock each plex will be assembled from. */
	for (p = 0; p < nr_plexes && n < len; p++) {
		const uint8_t *cur = current_sb(p);

		if (cur && !describe_sb(cur, sb, sizeof(sb)))
			n += (size_t)snprintf(buf + n, len - n,
					      "\n    plex %u superblock: %s", p,
					      sb);
		else
			n += (size_t)snprintf(buf + n, len - n,
					      "\n    plex %u: no superblock", p);
	}
}

/*
 * A guess at why a state failed, for whoever reads the report:
 *
 *   "write before the dirty mark": the newest superblock of the state
 *   says clean, yet the workload wrote to a plex after it was written (a
 *   writer went ahead before the dirty mark was on disk);
 *   "superblock before the data": a plex lost cached writes made before
 *   the newest superblock was written (it vouches for data that was not
 *   durable on every plex: a clean mark, checkpoint or promotion).
 */
static const char *guess_cause(const struct state *st)
{
	uint64_t i, gen = 0, newest = NONE, slot_off = 0;
	unsigned int p, newest_plex = 0;
	bool clean = false;

	for (p = 0; p < nr_plexes; p++) {
		for (i = 0; i < MIRVOL_SB_SLOTS; i++) {
			const uint8_t *sb = work[p] + MIRVOL_SB_OFFSET +
					    i * MIRVOL_SB_SLOT_SIZE;

			if (get64(sb) != MIRVOL_SB_MAGIC ||
			    get64(sb + 128) <= gen)
				continue;
			gen = get64(sb + 128);
			clean = !(get32(sb + 20) & MIRVOL_SB_F_DIRTY);
			newest_plex = p;
			slot_off = MIRVOL_SB_OFFSET + i * MIRVOL_SB_SLOT_SIZE;
		}
	}
	if (!gen)
		return "";
	/* The write that put the newest superblock there. */
	for (i = st->c + 1; i--; ) {
		const struct ent *x = &ents[i];

		if (x->type == LOG_WRITE && x->plex == newest_plex &&
		    x->offset <= slot_off &&
		    x->offset + x->len >= slot_off + 4096 &&
		    get64(x->data + (slot_off - x->offset) + 128) == gen) {
			newest = i;
			break;
		}
	}
	if (newest == NONE)
		return "";
	for (i = newest + 1; clean && i <= st->c; i++) {
		const struct ent *x = &ents[i];
		uint64_t seq;

		if (x->type == LOG_WRITE && x->len == REC_SIZE &&
		    x->offset >= MIRVOL_DATA_OFFSET &&
		    rec_check(x->data, (x->offset - MIRVOL_DATA_OFFSET) /
				       REC_SIZE, &seq) == REC_VALID)
			return "\n  hint: write before the dirty mark (the newest superblock says clean; the workload wrote after it)";
	}
	for (i = 0; i < newest; i++)
		if (volatile_at(&ents[i], i, st->c) && !keeps(st, &ents[i], i))
			return "\n  hint: superblock before the data (a plex lost cached writes made before the newest superblock)";
	return "";
}

/* ---- main --------------------------------------------------------------------- */

static int compare_main(int argc, char **argv)
{
	uint8_t uuids[16][MIRVOL_UUID_LEN];
	struct mirvol_info info;
	char msg[512];
	int opt, nr, v, r;

	optind = 2;
	while ((opt = getopt(argc, argv, "C")) != -1) {
		if (opt != 'C')
			die("usage: crash-replay compare [-C] NAME");
		scrub = true;
	}
	if (optind != argc - 1)
		die("usage: crash-replay compare [-C] NAME");
	ctl = mv_open();
	nr = mv_list(ctl, uuids, 16);
	for (v = 0; v < nr; v++) {
		if (mv_info(ctl, uuids[v], &info))
			die("INFO failed");
		if (strcmp(info.name, argv[optind]))
			continue;
		r = compare_plexes(ctl, &info, scrub, msg, sizeof(msg));
		if (r < 0)
			die("%s", msg);
		if (r) {
			printf("volume %s: %s\n", info.name, msg);
			return 1;
		}
		printf("volume %s: the active plexes are identical\n",
		       info.name);
		return 0;
	}
	die("no volume %s", argv[optind]);
}

/* The log, one entry a line, from FROM to TO (diagnosis). */
static int dump_main(int argc, char **argv)
{
	uint64_t i, from = 0, to = NONE;
	char what[400];

	if (argc < 3 || argc > 5)
		die("usage: crash-replay dump LOG [FROM [TO]]");
	load_log(argv[2]);
	if (argc > 3)
		from = strtoull(argv[3], NULL, 0);
	if (argc > 4)
		to = strtoull(argv[4], NULL, 0);
	for (i = from; i < nr_ents && i <= to; i++) {
		describe_ent(i, what, sizeof(what));
		if (ents[i].type == LOG_WRITE && !(ents[i].flags & LOG_F_FUA))
			printf("%llu: %s, durable at %lld\n",
			       (unsigned long long)i, what,
			       ents[i].durable_at == NONE ? -1LL :
			       (long long)ents[i].durable_at);
		else
			printf("%llu: %s\n", (unsigned long long)i, what);
	}
	return 0;
}

/* "C:mask=HEX" or "C:random=HEX", as a failed state prints itself. */
static int parse_state(const char *spec, struct state *st)
{
	unsigned long long c, v;
	char kind[8];

	memset(st, 0, sizeof(*st));
	if (sscanf(spec, "%llu:%7[a-z]=%llx", &c, kind, &v) != 3)
		return -1;
	st->c = c;
	if (!strcmp(kind, "mask")) {
		st->keep = KEEP_MASK;
		st->mask = (uint32_t)v;
	} else if (!strcmp(kind, "random")) {
		st->keep = KEEP_RANDOM;
		st->seed = v;
	} else {
		return -1;
	}
	return 0;
}

/* FROM:TO (-w, -O) into the two marks' texts, 64 bytes each. */
static int parse_window(const char *arg, char *from, char *to)
{
	const char *colon = strchr(arg, ':');
	int n = colon ? (int)(colon - arg) : 0;

	if (!n || !colon[1] || n > 48 || strlen(colon + 1) > 48)
		return -1;
	snprintf(from, 64, "mark %.*s", n, arg);
	snprintf(to, 64, "mark %s", colon + 1);
	return 0;
}

/* -O FROM:TO[:PLEX]: the marks as for -w, and the plex (-1 without). */
static int parse_out_window(const char *arg, char *from, char *to,
			    int *plex)
{
	const char *colon = strchr(arg, ':'), *last = strrchr(arg, ':');
	char window[128], *end;
	unsigned long n;

	*plex = -1;
	if (!colon || colon == last)
		return parse_window(arg, from, to);
	errno = 0;
	n = strtoul(last + 1, &end, 10);
	if (last[1] < '0' || last[1] > '9' || *end || errno ||
	    n >= MIRVOL_MAX_PLEXES ||
	    (size_t)(last - arg) >= sizeof(window))
		return -1;
	snprintf(window, sizeof(window), "%.*s", (int)(last - arg), arg);
	*plex = (int)n;
	return parse_window(window, from, to);
}

static void print_usage(void)
{
	fprintf(stderr,
		"usage: crash-replay [-n STATES] [-S SEED] [-x STATE]... [-m NAME] [-b NAME] [-D] [-L] [-v]\n"
		"                    [-w FROM:TO] [-I] [-O FROM:TO[:PLEX]]...\n"
		"                    LOG DEV...\n"
		"       crash-replay compare [-C] NAME\n"
		"       crash-replay dump LOG [FROM [TO]]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	size_t budget = 300, nr_states, i, tier_size[NR_TIERS], nr_failed = 0;
	size_t failed_tier[NR_TIERS] = { 0 }, nr_only = 0;
	struct state only[64];
	uint64_t seed = now_ms() ^ (uint64_t)getpid() << 32;
	struct state *states;
	unsigned int p;
	uint64_t t0;
	int opt;

	prog = "crash-replay";
	if (argc > 1 && !strcmp(argv[1], "compare"))
		return compare_main(argc, argv);
	if (argc > 1 && !strcmp(argv[1], "dump"))
		return dump_main(argc, argv);
	while ((opt = getopt(argc, argv, "n:S:m:b:DILvw:x:O:")) != -1) {
		switch (opt) {
		case 'n':
			budget = strtoull(optarg, NULL, 0);
			break;
		case 'S':
			seed = strtoull(optarg, NULL, 0);
			break;
		case 'm':
			main_name = optarg;
			break;
		case 'b':
			break_name = optarg;
			break;
		case 'D':
			no_scrub = true;
			break;
		case 'I':
			incremental = true;
			break;
		case 'L':
			lose_flushed = true;
			break;
		case 'w':
			if (parse_window(optarg, win_from_name, win_to_name))
				print_usage();
			break;
		case 'O':
			if (nr_outw == MAX_OUT_WINDOWS ||
			    parse_out_window(optarg, outw[nr_outw].from_name,
					     outw[nr_outw].to_name,
					     &outw[nr_outw].plex))
				print_usage();
			outw[nr_outw].from = NONE;
			outw[nr_outw++].to = NONE;
			break;
		case 'v':
			verbose = true;
			break;
		case 'x':
			if (nr_only == ARRAY_SIZE(only) ||
			    parse_state(optarg, &only[nr_only++]))
				print_usage();
			break;
		default:
			print_usage();
		}
	}
	if (optind >= argc - 1 || !budget)
		print_usage();
	load_log(argv[optind]);
	if ((unsigned int)(argc - optind - 1) != nr_plexes)
		die("the log has %u plexes, %d devices given", nr_plexes,
		    argc - optind - 1);
	for (p = 0; p < nr_plexes; p++) {
		devs[p] = argv[optind + 1 + p];
		dev_fds[p] = open(devs[p], O_RDWR | O_DIRECT | O_CLOEXEC);
		if (dev_fds[p] < 0)
			die("%s: %s", devs[p], strerror(errno));
		if ((uint64_t)lseek(dev_fds[p], 0, SEEK_END) < plex_bytes)
			die("%s is smaller than the recorded plexes (%llu bytes)",
			    devs[p], (unsigned long long)plex_bytes);
		base[p] = xaligned(plex_bytes);
		work[p] = xaligned(plex_bytes);
	}
	index_log();
	ctl = mv_open();
	/* The module's CHECK operation, when it has one, must agree. */
	if (!no_scrub) {
		struct mirvol_version ver;

		memset(&ver, 0, sizeof(ver));
		if (mv_ioctl(ctl, MIRVOL_IOC_VERSION, &ver, "VERSION"))
			die("the control device does not answer");
		scrub = ver.features & MIRVOL_FEAT_SYNC_ACTION;
	}

	for (i = 0; i < nr_only; i++)
		if (only[i].c >= nr_ents)
			die("-x %llu: the log has %llu entries",
			    (unsigned long long)only[i].c,
			    (unsigned long long)nr_ents);
	if (nr_only) {
		states = only;
		nr_states = nr_only;
		memset(tier_size, 0, sizeof(tier_size));
		qsort(states, nr_states, sizeof(*states), by_point);
	} else {
		states = choose_states(budget, seed, &nr_states, tier_size);
	}
	summarize_log();
	printf("crash states: %zu after/before FUA writes, %zu after/before flushes with every cache lost, %zu with some, %zu random subsets; trying %zu (seed %llu); plexes compared by reading them%s\n",
	       tier_size[0], tier_size[1], tier_size[2], tier_size[3],
	       nr_states,
	       (unsigned long long)seed,
	       scrub ? " and by the module's check" : "");
	fflush(stdout);

	t0 = now_ms();
	for (i = 0; i < nr_states; i++) {
		const struct state *st = &states[i];
		uint64_t kept[MAX_PLEXES], total[MAX_PLEXES];
		struct check ck = { .len = 0 };
		char desc[2048];

		advance_acks(st->c);
		build_state(st, kept, total);
		describe_state(st, kept, total, desc, sizeof(desc));
		if (verbose)
			printf("state %zu: %s\n", i + 1, desc);
		check_state(st, &ck);
		if (ck.failed) {
			nr_failed++;
			failed_tier[st->tier]++;
			printf("FAIL state %zu (-x %llu:%s%llx): %s\n  => %s%s\n",
			       i + 1, (unsigned long long)st->c,
			       st->keep == KEEP_MASK ? "mask=" : "random=",
			       (unsigned long long)(st->keep == KEEP_MASK ?
						    st->mask : st->seed),
			       desc, ck.why, guess_cause(st));
		}
		fflush(stdout);
	}
	printf("failed by kind: FUA points %zu, flush points %zu + %zu, random subsets %zu\n",
	       failed_tier[0], failed_tier[1], failed_tier[2],
	       failed_tier[3]);
	printf("crash states: %zu tried, %zu failed (%llu s)\n", nr_states,
	       nr_failed, (unsigned long long)(now_ms() - t0) / 1000);
	return nr_failed ? 1 : 0;
}
