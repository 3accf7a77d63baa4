// SPDX-License-Identifier: GPL-2.0
/*
 * mirvolctl: waiting for asynchronous operations, with progress.
 *
 * op_wait() calls OP_WAIT with a short timeout in a loop; after each
 * timeout it reads the progress with OP_STATUS and shows it on stderr: a
 * bar redrawn in place when stderr is a terminal, else a plain line at
 * most every few seconds.  SIGINT and SIGTERM end the wait (not the
 * operation); other signals that interrupt OP_WAIT are ignored.
 *
 * Copyright (C) 2026 The mirvol authors
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mirvolctl.h"

#define WAIT_SLICE_MS		500	/* one OP_WAIT */
#define PLAIN_INTERVAL_S	5.0	/* between plain progress lines */
#define BAR_WIDTH		24
#define MIB			(1024.0 * 1024.0)

static volatile sig_atomic_t stop_signal;

static void on_stop_signal(int sig)
{
	stop_signal = sig;
}

struct progress {
	bool tty;
	bool drawn;		/* a bar is on the terminal's last line */
	double t0;		/* first sample */
	u64 done0;
	double last_line;	/* plain mode: time of the last line */
	u32 last_percent;
};

static void progress_init(struct progress *pg)
{
	memset(pg, 0, sizeof(*pg));
	pg->tty = isatty(STDERR_FILENO);
	pg->t0 = mv_now();
	pg->last_line = pg->t0;
	pg->done0 = UINT64_MAX;
}

/* Bytes per second: from our own samples once we have a second's worth. */
static double progress_speed(struct progress *pg,
			     const struct mirvol_op_info *op, double now)
{
	if (pg->done0 == UINT64_MAX) {
		pg->done0 = op->done_bytes;
		pg->t0 = now;
	}
	if (now - pg->t0 >= 1.0 && op->done_bytes >= pg->done0)
		return (double)(op->done_bytes - pg->done0) / (now - pg->t0);
	if (op->elapsed_ms)
		return (double)op->done_bytes * 1000.0 /
		       (double)op->elapsed_ms;
	return 0;
}

static void format_eta(const struct mirvol_op_info *op, double speed,
		       char *buf, size_t len)
{
	u64 left, s;

	if (speed <= 0 || op->total_bytes <= op->done_bytes) {
		snprintf(buf, len, "--:--");
		return;
	}
	left = op->total_bytes - op->done_bytes;
	s = (u64)((double)left / speed + 0.5);
	if (s >= 100 * 3600)
		snprintf(buf, len, ">99h");
	else if (s >= 3600)
		snprintf(buf, len, "%u:%02u:%02u", (unsigned int)(s / 3600),
			 (unsigned int)(s / 60 % 60), (unsigned int)(s % 60));
	else
		snprintf(buf, len, "%u:%02u", (unsigned int)(s / 60),
			 (unsigned int)(s % 60));
}

static u32 op_percent(const struct mirvol_op_info *op)
{
	return op->percent > 100 ? 100 : op->percent;
}

static void draw_bar(struct progress *pg, const struct mirvol_op_info *op,
		     double speed)
{
	char bar[BAR_WIDTH + 1], eta[16];
	u32 pct = op_percent(op);
	int i, full = (int)(pct * BAR_WIDTH / 100);

	for (i = 0; i < BAR_WIDTH; i++)
		bar[i] = i < full ? '#' : '.';
	bar[BAR_WIDTH] = '\0';
	format_eta(op, speed, eta, sizeof(eta));
	if (op->total_bytes)
		fprintf(stderr, "\r%s %" PRIu64 " [%s] %3u%%  %7.1f MiB/s  ETA %s\033[K",
			mv_op_type_name(op->type).s, (uint64_t)op->id, bar,
			pct, speed / MIB, eta);
	else
		fprintf(stderr, "\r%s %" PRIu64 " [%s] %3u%%\033[K",
			mv_op_type_name(op->type).s, (uint64_t)op->id, bar,
			pct);
	fflush(stderr);
	pg->drawn = true;
}

static void plain_line(struct progress *pg, const struct mirvol_op_info *op,
		       double speed, double now)
{
	char done[16], total[16], eta[16];
	u32 pct = op_percent(op);

	if (now - pg->last_line < PLAIN_INTERVAL_S || pct == pg->last_percent)
		return;
	pg->last_line = now;
	pg->last_percent = pct;
	if (!op->total_bytes) {
		mv_warn("operation %" PRIu64 ": %u%% done", (uint64_t)op->id,
			pct);
		return;
	}
	mv_human_size(op->done_bytes, done, sizeof(done));
	mv_human_size(op->total_bytes, total, sizeof(total));
	format_eta(op, speed, eta, sizeof(eta));
	mv_warn("operation %" PRIu64 ": %u%% done (%s of %s, %.1f MiB/s, ETA %s)",
		(uint64_t)op->id, pct, done, total, speed / MIB, eta);
}

static void progress_update(struct progress *pg,
			    const struct mirvol_op_info *op)
{
	double now = mv_now();
	double speed = progress_speed(pg, op, now);

	if (pg->tty)
		draw_bar(pg, op, speed);
	else
		plain_line(pg, op, speed, now);
}

/* Leave the terminal's line with the final state drawn. */
static void progress_end(struct progress *pg, const struct mirvol_op_info *op,
			 bool ended)
{
	if (!pg->drawn)
		return;
	if (ended)
		draw_bar(pg, op, progress_speed(pg, op, mv_now()));
	fputc('\n', stderr);
	fflush(stderr);
}

static void signals_catch(struct sigaction old[2])
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop_signal;	/* no SA_RESTART: OP_WAIT -> EINTR */
	sigemptyset(&sa.sa_mask);
	stop_signal = 0;
	sigaction(SIGINT, &sa, &old[0]);
	sigaction(SIGTERM, &sa, &old[1]);
}

static void signals_restore(const struct sigaction old[2])
{
	sigaction(SIGINT, &old[0], NULL);
	sigaction(SIGTERM, &old[1], NULL);
}

/* One OP_WAIT of at most @slice_ms.  Return: a result, or -1 to go on. */
static int wait_slice(int fd, u64 id, u32 slice_ms,
		      struct mirvol_op_info *info, struct progress *pg)
{
	struct mv_status st;

	if (!ctl_op(fd, MIRVOL_IOC_OP_WAIT, id, slice_ms, info, &st)) {
		if (info->state != MIRVOL_OPS_RUNNING)
			return MV_WAIT_ENDED;
		/*
		 * Ended says the kernel, running says the info: ask again,
		 * without spinning.
		 */
		nanosleep(&(struct timespec){ 0, 100 * 1000000L }, NULL);
		return -1;
	}
	if (st.err == EINTR || st.reason == MIRVOL_R_INTERRUPTED)
		return stop_signal ? MV_WAIT_INTERRUPTED : -1;
	if (st.err != ETIMEDOUT && st.reason != MIRVOL_R_TIMEOUT) {
		ctl_report(&st, "waiting for operation %" PRIu64,
			   (uint64_t)id);
		return MV_WAIT_ERROR;
	}
	if (ctl_op(fd, MIRVOL_IOC_OP_STATUS, id, 0, info, &st)) {
		ctl_report(&st, "operation %" PRIu64, (uint64_t)id);
		return MV_WAIT_ERROR;
	}
	if (info->state != MIRVOL_OPS_RUNNING)
		return MV_WAIT_ENDED;
	progress_update(pg, info);
	return -1;
}

/**
 * op_wait - wait for an operation to end
 * @fd: the control device
 * @id: the operation
 * @timeout_s: give up after this many seconds; 0 = no limit
 * @info: receives the operation's last known state
 *
 * Shows progress on stderr as it goes.
 *
 * Return: how the wait ended; MV_WAIT_ERROR has been printed.
 */
enum mv_wait_result op_wait(int fd, u64 id, double timeout_s,
			    struct mirvol_op_info *info)
{
	double deadline = timeout_s > 0 ? mv_now() + timeout_s : 0;
	struct sigaction old[2];
	struct progress pg;
	int r = -1;

	memset(info, 0, sizeof(*info));
	progress_init(&pg);
	signals_catch(old);
	while (r < 0) {
		u32 slice = WAIT_SLICE_MS;

		if (stop_signal) {
			r = MV_WAIT_INTERRUPTED;
			break;
		}
		if (deadline) {
			double left = deadline - mv_now();

			if (left <= 0) {
				r = MV_WAIT_TIMEOUT;
				break;
			}
			if (left * 1000 < slice)
				slice = (u32)(left * 1000) + 1;
		}
		r = wait_slice(fd, id, slice, info, &pg);
	}
	signals_restore(old);
	progress_end(&pg, info, r == MV_WAIT_ENDED);
	return (enum mv_wait_result)r;
}

/* A forced resync wrote zeros where no plex could be read: say so. */
static void op_warn_lost(const struct mirvol_op_info *op)
{
	if (!op->lost_bytes)
		return;
	mv_warn("operation %" PRIu64 " (%s): %" PRIu64
		" bytes no plex could read were written as zeros, the first %"
		PRIu64 " at offset %" PRIu64 "; the kernel log names every range",
		(uint64_t)op->id, mv_op_type_name(op->type).s,
		(uint64_t)op->lost_bytes, (uint64_t)op->bad_bytes,
		(uint64_t)op->bad_offset_bytes);
}

/**
 * op_result - the exit status an ended operation stands for
 * @op: its final state
 *
 * Prints the error line when the operation did not succeed, and a warning
 * when it succeeded but lost data (resync --force).  A copy that stopped
 * on a range no plex could read (SOURCE_READ_ERROR) names the range, as
 * does a repair whose source could not read one, and a check or repair
 * that found data no plex could read (DATA_UNREADABLE) the first range
 * and the total.
 *
 * Return: MV_EXIT_OK or MV_EXIT_FAIL.
 */
int op_result(const struct mirvol_op_info *op)
{
	unsigned int reason = op->reason;
	char ctx[128];

	if (op->state == MIRVOL_OPS_SUCCEEDED) {
		op_warn_lost(op);
		return MV_EXIT_OK;
	}
	if (!reason)
		reason = op->state == MIRVOL_OPS_CANCELLED ?
			 MIRVOL_R_OPERATION_CANCELED :
			 mv_errno_reason(op->error ? op->error : EIO);
	snprintf(ctx, sizeof(ctx), "operation %" PRIu64 " (%s) %s",
		 (uint64_t)op->id, mv_op_type_name(op->type).s,
		 mv_op_state_name(op->state).s);
	if (reason == MIRVOL_R_SOURCE_READ_ERROR && op->bad_bytes &&
	    op->type == MIRVOL_OP_REPAIR)
		mv_err(reason, "%s: the source plex could not read %" PRIu64
		       " bytes at offset %" PRIu64
		       " of the volume: not compared, not rewritten; the kernel log names every such range",
		       ctx, (uint64_t)op->bad_bytes,
		       (uint64_t)op->bad_offset_bytes);
	else if (reason == MIRVOL_R_DATA_UNREADABLE && op->bad_bytes)
		mv_err(reason, "%s: no in-sync plex could read %" PRIu64
		       " bytes of the volume, the first %" PRIu64
		       " at offset %" PRIu64
		       ": their data is lost; the kernel log names every range",
		       ctx, (uint64_t)op->unreadable_bytes,
		       (uint64_t)op->bad_bytes,
		       (uint64_t)op->bad_offset_bytes);
	else if (reason == MIRVOL_R_SOURCE_READ_ERROR && op->bad_bytes)
		mv_err(reason, "%s: no in-sync plex could read %" PRIu64
		       " bytes at offset %" PRIu64
		       " of the volume; resync --force copies around them",
		       ctx, (uint64_t)op->bad_bytes,
		       (uint64_t)op->bad_offset_bytes);
	else if (op->error > 0)
		mv_err(reason, "%s: %s: %s", ctx, mv_reason_text(reason),
		       strerror(op->error));
	else
		mv_err_reason(reason, "%s", ctx);
	return MV_EXIT_FAIL;
}

/*
 * After SIGINT/SIGTERM: the operation goes on; say which it is (its id on
 * stdout, unless the caller prints it as JSON).
 */
int op_interrupted(u64 id, bool json)
{
	if (!json)
		printf("%" PRIu64 "\n", (uint64_t)id);
	mv_warn("interrupted; operation %" PRIu64
		" continues in the background (mirvolctl op wait %" PRIu64 ")",
		(uint64_t)id, (uint64_t)id);
	return MV_EXIT_INTR;
}

/**
 * op_wait_cmd - a command's --wait: wait without limit, then its result
 * @fd: the control device
 * @id: the operation
 * @info: receives the final state
 *
 * Return: the exit status; errors printed.
 */
int op_wait_cmd(int fd, u64 id, struct mirvol_op_info *info)
{
	switch (op_wait(fd, id, 0, info)) {
	case MV_WAIT_ENDED:
		return op_result(info);
	case MV_WAIT_INTERRUPTED:
		return op_interrupted(id, false);
	case MV_WAIT_TIMEOUT:	/* cannot happen without a limit */
	case MV_WAIT_ERROR:
		break;
	}
	return MV_EXIT_FAIL;
}

/**
 * op_fetch - a started operation for --json: as it is now, or as it ended
 * @fd: the control device
 * @id: the operation
 * @wait: first wait for it to end (with the progress display)
 * @info: receives its state
 * @have: set when @info holds the operation, to be printed even when the
 *	exit status is not 0 (it failed, or the wait was interrupted)
 *
 * Return: the exit status: with @wait the operation's outcome (its error
 * printed), MV_EXIT_INTR when interrupted (@info as it is then).
 */
int op_fetch(int fd, u64 id, bool wait, struct mirvol_op_info *info,
	     bool *have)
{
	struct mv_status st;

	*have = false;
	if (wait) {
		fflush(stdout);
		switch (op_wait(fd, id, 0, info)) {
		case MV_WAIT_ENDED:
			*have = true;
			return op_result(info);
		case MV_WAIT_INTERRUPTED:
			*have = !ctl_op(fd, MIRVOL_IOC_OP_STATUS, id, 0, info,
					&st);
			return op_interrupted(id, true);
		case MV_WAIT_TIMEOUT:	/* cannot happen without a limit */
		case MV_WAIT_ERROR:
			return MV_EXIT_FAIL;
		}
	}
	if (ctl_op(fd, MIRVOL_IOC_OP_STATUS, id, 0, info, &st)) {
		ctl_report(&st, "operation %" PRIu64, (uint64_t)id);
		return MV_EXIT_FAIL;
	}
	*have = true;
	return MV_EXIT_OK;
}

/**
 * op_json_result - --json of a command that started an operation
 * @fd: the control device
 * @id: the operation, 0 if the command started none (prints null)
 * @wait: --wait
 *
 * Prints the operation as "op status --json" does: as it is right after
 * the start, or as it ended with --wait (also when it failed).
 *
 * Return: the exit status, as op_fetch().
 */
int op_json_result(int fd, u64 id, bool wait)
{
	struct mirvol_op_info op;
	bool have;
	int r;

	if (!id) {
		printf("null\n");
		return MV_EXIT_OK;
	}
	r = op_fetch(fd, id, wait, &op, &have);
	if (have)
		op_print_doc(&op);
	return r;
}
