// SPDX-License-Identifier: GPL-2.0
/*
 * crash-load: the workload of the crash tests, and its verifier.
 *
 *   crash-load write -d DEV -b BLOCKS [-t THREADS] [-c SOCKET | -a FILE]
 *                    [-s FIRST_SEQ] [-k SYNC_EVERY] [-B BURST] [-i IDLE_MS]
 *                    [-n MAX_OPS] [-x STOPFILE] [-p PAUSEFILE] [-S SEED] [-e]
 *                    [-D DSYNC_EVERY]
 *   crash-load verify -d DEV -b BLOCKS -a FILE [-o OFFSET]
 *
 * write: THREADS threads (default 2) write 4 KiB records (crash.h) with
 * O_DIRECT to blocks 0..BLOCKS-1 of DEV, thread t owning the blocks
 * b % THREADS == t, so that writes to one block never race.  Each
 * thread runs bursts of BURST writes, all threads starting a burst
 * together (so that the first writes after an idle volume was marked
 * clean come from several threads at once), with an fdatasync() after
 * every 1..SYNC_EVERY writes; a burst ends with one more fdatasync()
 * or, one time in two, without (writes left in the caches), then the
 * threads sleep IDLE_MS so that the volume marks itself clean.
 *
 * One write in DSYNC_EVERY (default 8, 0 for none) is a RWF_DSYNC write
 * instead, acknowledged alone as soon as it completes, the others staying
 * pending: half of them with pwritev2(), which the block layer sends as a
 * FUA write followed by a cache flush, half as asynchronous (Linux AIO)
 * writes, which it sends as a FUA write alone: only the volume's FUA
 * makes those durable.
 *
 * After an fdatasync() returned, the thread acknowledges the writes it
 * had completed before calling it: "ack BLOCK:SEQ ..." on the recorder's
 * control socket (-c), which logs it, or "BLOCK SEQ" lines appended to
 * FILE (-a).  Between bursts, it waits while PAUSEFILE exists.  It stops
 * at STOPFILE, after MAX_OPS writes, or, with -e, at the first I/O error
 * (the devices lost power).
 *
 * verify: every block must hold the last acknowledged write of FILE or a
 * later write of the workload, and only valid records or zeros.  The
 * blocks start OFFSET bytes into DEV (default 0: a volume; a plex's data
 * offset to read a plex).  A bad block is described sector by sector:
 * which write each 512-byte sector comes from, if it is one of the
 * block's writes near the ones the block names (a torn or misplaced
 * write), or zeros.
 *
 * Copyright (C) 2026 The mirvol authors
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/aio_abi.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "crash.h"

static const char *dev, *ctl_path, *ack_path, *stop_path, *pause_path;
static uint64_t nr_blocks, max_ops, seed, dev_offset;
static unsigned int nr_threads = 2, sync_every = 4, burst = 24,
		    idle_ms = 600, dsync_every = 8;
static bool stop_on_error;
static atomic_uint_fast64_t next_seq = 1, ops_done;
static atomic_bool stopping;
static pthread_barrier_t burst_barrier;
static int ack_fd = -1;

struct worker {
	pthread_t thread;
	unsigned int id;
	int fd, ctl;
	uint64_t rnd;
	aio_context_t aio;	/* for the asynchronous RWF_DSYNC writes */
	uint64_t *pending;	/* block, seq pairs written since the last ack */
	size_t nr_pending, max_pending;
	bool io_error;
};

static bool should_stop(void)
{
	if (atomic_load(&stopping))
		return true;
	if ((max_ops && atomic_load(&ops_done) >= max_ops) ||
	    (stop_path && access(stop_path, F_OK) == 0))
		atomic_store(&stopping, true);
	return atomic_load(&stopping);
}

static void io_failed(struct worker *w, const char *what)
{
	if (!stop_on_error)
		die("%s: %s: %s", dev, what, strerror(errno));
	w->io_error = true;
	atomic_store(&stopping, true);
}

/* Tell the world that the @n BLOCK, SEQ pairs of @pairs are durable. */
static void send_ack(struct worker *w, const uint64_t *pairs, size_t n)
{
	size_t i, len = 0, cap = 16 + n * 44;
	char *line;

	if (!n)
		return;
	line = xmalloc(cap);
	if (ack_fd >= 0) {
		for (i = 0; i < n; i++)
			len += (size_t)snprintf(line + len, cap - len,
						"%llu %llu\n",
						(unsigned long long)pairs[2 * i],
						(unsigned long long)pairs[2 * i + 1]);
		if (write(ack_fd, line, len) != (ssize_t)len)
			die("%s: %s", ack_path, strerror(errno));
	} else {
		len = (size_t)snprintf(line, cap, "ack");
		for (i = 0; i < n; i++)
			len += (size_t)snprintf(line + len, cap - len,
						" %llu:%llu",
						(unsigned long long)pairs[2 * i],
						(unsigned long long)pairs[2 * i + 1]);
		if (ctl_send(w->ctl, line))
			die("%s: no reply from the recorder", ctl_path);
	}
	free(line);
}

/* Tell the world the pending writes are durable. */
static void ack(struct worker *w)
{
	send_ack(w, w->pending, w->nr_pending);
	w->nr_pending = 0;
}

static bool sync_and_ack(struct worker *w)
{
	if (fdatasync(w->fd)) {
		io_failed(w, "fdatasync");
		return false;
	}
	ack(w);
	return true;
}

/*
 * A RWF_DSYNC write through Linux AIO: the block layer sends it as a FUA
 * write and, unlike a synchronous one, issues no flush after it.
 */
static ssize_t aio_dsync_pwrite(struct worker *w, void *buf, size_t len,
				off_t off)
{
	struct iocb cb, *cbs[1] = { &cb };
	struct io_event ev;

	memset(&cb, 0, sizeof(cb));
	cb.aio_lio_opcode = IOCB_CMD_PWRITE;
	cb.aio_fildes = (uint32_t)w->fd;
	cb.aio_buf = (uint64_t)(uintptr_t)buf;
	cb.aio_nbytes = len;
	cb.aio_offset = off;
	cb.aio_rw_flags = RWF_DSYNC;
	if (syscall(SYS_io_submit, w->aio, 1L, cbs) != 1)
		return -1;
	while (syscall(SYS_io_getevents, w->aio, 1L, 1L, &ev, NULL) != 1)
		if (errno != EINTR)
			die("io_getevents: %s", strerror(errno));
	if (ev.res < 0) {
		errno = (int)-ev.res;
		return -1;
	}
	return (ssize_t)ev.res;
}

static bool write_one(struct worker *w, void *buf)
{
	uint64_t per = (nr_blocks - w->id + nr_threads - 1) / nr_threads;
	uint64_t block = w->id + nr_threads * (rnd_next(&w->rnd) % per);
	uint64_t seq = atomic_fetch_add(&next_seq, 1);
	uint64_t kind = dsync_every ? rnd_next(&w->rnd) % (2 * dsync_every) : 2;
	off_t off = (off_t)(block * REC_SIZE);
	struct iovec iov = { .iov_base = buf, .iov_len = REC_SIZE };
	ssize_t n;

	rec_make(buf, block, seq, w->id);
	/* kind 0: pwritev2(RWF_DSYNC); 1: the same by AIO; else: pwrite. */
	if (kind == 0)
		n = pwritev2(w->fd, &iov, 1, off, RWF_DSYNC);
	else if (kind == 1)
		n = aio_dsync_pwrite(w, buf, REC_SIZE, off);
	else
		n = pwrite(w->fd, buf, REC_SIZE, off);
	if (n != REC_SIZE) {
		io_failed(w, kind == 0 ? "pwritev2(RWF_DSYNC)" :
			  kind == 1 ? "AIO write with RWF_DSYNC" : "write");
		return false;
	}
	atomic_fetch_add(&ops_done, 1);
	if (kind < 2) {
		uint64_t pair[2] = { block, seq };

		/* Durable on completion: acknowledged now, alone. */
		send_ack(w, pair, 1);
		return true;
	}
	if (w->nr_pending == w->max_pending) {
		w->max_pending = 2 * w->max_pending + 16;
		w->pending = realloc(w->pending,
				     2 * w->max_pending * sizeof(uint64_t));
		if (!w->pending)
			die("out of memory");
	}
	w->pending[2 * w->nr_pending] = block;
	w->pending[2 * w->nr_pending + 1] = seq;
	w->nr_pending++;
	return true;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	void *buf = xaligned(REC_SIZE);

	for (;;) {
		unsigned int i, until_sync;
		bool stop;

		/* Everyone decides together whether to go on. */
		stop = should_stop();
		pthread_barrier_wait(&burst_barrier);
		if (stop || atomic_load(&stopping))
			break;
		pthread_barrier_wait(&burst_barrier);
		until_sync = 1 + (unsigned int)(rnd_next(&w->rnd) % sync_every);
		for (i = 0; i < burst && !atomic_load(&stopping); i++) {
			if (!write_one(w, buf))
				break;
			if (--until_sync)
				continue;
			if (!sync_and_ack(w))
				break;
			until_sync = 1 + (unsigned int)(rnd_next(&w->rnd) %
							sync_every);
		}
		if (!atomic_load(&stopping) && rnd_next(&w->rnd) % 2)
			sync_and_ack(w);
		if (!atomic_load(&stopping))
			sleep_ms(idle_ms);
		/* Writes acknowledged, the volume idle: clean on disk soon. */
		while (pause_path && access(pause_path, F_OK) == 0 &&
		       !should_stop())
			sleep_ms(50);
	}
	/* A clean end leaves nothing unacknowledged. */
	if (!w->io_error && !stop_on_error)
		sync_and_ack(w);
	free(buf);
	return NULL;
}

static int do_write(void)
{
	struct worker *w = xcalloc(nr_threads, sizeof(*w));
	unsigned int i;
	bool io_error = false;

	if (nr_blocks < nr_threads)
		die("fewer blocks than threads");
	if (ack_path) {
		ack_fd = open(ack_path, O_WRONLY | O_APPEND | O_CREAT |
			      O_CLOEXEC, 0644);
		if (ack_fd < 0)
			die("%s: %s", ack_path, strerror(errno));
	}
	if (pthread_barrier_init(&burst_barrier, NULL, nr_threads))
		die("pthread_barrier_init failed");
	for (i = 0; i < nr_threads; i++) {
		w[i].id = i;
		w[i].rnd = seed * 0x9e3779b97f4a7c15ULL + i + 1;
		w[i].ctl = -1;
		w[i].fd = open(dev, O_RDWR | O_DIRECT | O_CLOEXEC);
		if (w[i].fd < 0)
			die("%s: %s", dev, strerror(errno));
		if (dsync_every && syscall(SYS_io_setup, 1L, &w[i].aio))
			die("io_setup: %s", strerror(errno));
		if (ctl_path) {
			w[i].ctl = ctl_connect(ctl_path);
			if (w[i].ctl < 0)
				die("%s: %s", ctl_path, strerror(errno));
		}
	}
	for (i = 0; i < nr_threads; i++)
		if (pthread_create(&w[i].thread, NULL, worker_main, &w[i]))
			die("pthread_create failed");
	for (i = 0; i < nr_threads; i++) {
		pthread_join(w[i].thread, NULL);
		io_error |= w[i].io_error;
		close(w[i].fd);
		if (dsync_every)
			syscall(SYS_io_destroy, w[i].aio);
		if (w[i].ctl >= 0)
			close(w[i].ctl);
		free(w[i].pending);
	}
	printf("%s: %llu writes, last seq %llu%s\n", prog,
	       (unsigned long long)atomic_load(&ops_done),
	       (unsigned long long)atomic_load(&next_seq) - 1,
	       io_error ? ", stopped by an I/O error" : "");
	free(w);
	return 0;
}

/* Does sector @s of @buf hold sector @s of record @rec? */
static bool sector_of(const uint8_t *buf, unsigned int s, const uint8_t *rec)
{
	/* Sector 0 holds the header: thread and CRC depend on more. */
	if (!s)
		return !memcmp(buf, rec, 24) &&
		       !memcmp(buf + 32, rec + 32, 512 - 32);
	return !memcmp(buf + s * 512, rec + s * 512, 512);
}

/*
 * Print where each sector of bad block @block comes from: the write its
 * header names, the acknowledged one, a write of the block with a
 * sequence number near either, zeros, or unknown.  Each candidate record
 * is made once and matched against every sector still unknown.
 */
static void describe_bad(const uint8_t *buf, uint64_t block, uint64_t acked)
{
	const struct rec *r = (const void *)buf;
	uint64_t near[2] = { acked, 0 }, label[REC_SIZE / 512], seq;
	uint8_t *tmp = xaligned(REC_SIZE);
	unsigned int s, k, n = REC_SIZE / 512, unknown = 0, sign;
	uint64_t d;

	if (r->magic == REC_MAGIC)
		near[1] = r->seq;
	printf("  header: magic %s, block %llu, write %llu, thread %u\n",
	       r->magic == REC_MAGIC ? "ok" : "bad",
	       (unsigned long long)r->block, (unsigned long long)r->seq,
	       r->thread);
	for (s = 0; s < n; s++) {
		const uint64_t *w = (const void *)(buf + s * 512);

		for (k = 0; k < 512 / 8 && !w[k]; k++)
			;
		label[s] = k == 512 / 8 ? 0 : UINT64_MAX;  /* zeros, unknown */
		unknown += label[s] == UINT64_MAX;
	}
	for (k = 0; k < 2 && unknown; k++) {
		for (d = 0; d <= 4000 && unknown && near[k]; d++) {
			for (sign = 0; sign < 2 && unknown; sign++) {
				if ((sign && !d) || (sign && near[k] <= d))
					continue;
				seq = sign ? near[k] - d : near[k] + d;
				rec_make(tmp, block, seq, 0);
				for (s = 0; s < n; s++) {
					if (label[s] != UINT64_MAX ||
					    !sector_of(buf, s, tmp))
						continue;
					label[s] = seq;
					unknown--;
				}
			}
		}
	}
	for (s = 0; s < n; s = k) {
		for (k = s + 1; k < n && label[k] == label[s]; k++)
			;
		if (label[s] == UINT64_MAX)
			printf("  sectors %u-%u: unknown\n", s, k - 1);
		else if (!label[s])
			printf("  sectors %u-%u: zeros\n", s, k - 1);
		else
			printf("  sectors %u-%u: write %llu\n", s, k - 1,
			       (unsigned long long)label[s]);
	}
	free(tmp);
}

static int do_verify(void)
{
	uint64_t *acked = xcalloc(nr_blocks, sizeof(*acked));
	unsigned long long b, s;
	uint64_t i, seq, bad = 0, nr_acked = 0;
	void *buf = xaligned(REC_SIZE);
	FILE *f = fopen(ack_path, "r");
	int fd;

	if (!f)
		die("%s: %s", ack_path, strerror(errno));
	while (fscanf(f, "%llu %llu", &b, &s) == 2) {
		if (b >= nr_blocks)
			die("%s: block %llu out of range", ack_path, b);
		if (s > acked[b])
			acked[b] = s;
		nr_acked++;
	}
	if (!feof(f))
		die("%s: malformed", ack_path);
	fclose(f);
	fd = open(dev, O_RDONLY | O_DIRECT | O_CLOEXEC);
	if (fd < 0)
		die("%s: %s", dev, strerror(errno));
	for (i = 0; i < nr_blocks; i++) {
		enum rec_kind k;

		full_pread(fd, buf, REC_SIZE,
			   (off_t)(dev_offset + i * REC_SIZE), dev);
		k = rec_check(buf, i, &seq);
		if (k == REC_BAD) {
			if (bad++ < 10) {
				printf("block %llu: not a record of this block and not zeros (write %llu was acknowledged)\n",
				       (unsigned long long)i,
				       (unsigned long long)acked[i]);
				describe_bad(buf, i, acked[i]);
			}
		} else if (seq < acked[i]) {
			if (bad++ < 10)
				printf("block %llu: holds write %llu, but write %llu was acknowledged\n",
				       (unsigned long long)i,
				       (unsigned long long)seq,
				       (unsigned long long)acked[i]);
		}
	}
	close(fd);
	printf("%s: %llu blocks checked against %llu acknowledged writes: %llu bad\n",
	       prog, (unsigned long long)nr_blocks,
	       (unsigned long long)nr_acked, (unsigned long long)bad);
	free(buf);
	free(acked);
	return bad ? 1 : 0;
}

static void print_usage(void)
{
	fprintf(stderr,
		"usage: crash-load write -d DEV -b BLOCKS [-t THREADS] [-c SOCKET | -a FILE]\n"
		"                  [-s FIRST_SEQ] [-k SYNC_EVERY] [-B BURST] [-i IDLE_MS]\n"
		"                  [-n MAX_OPS] [-x STOPFILE] [-p PAUSEFILE] [-S SEED] [-e]\n"
		"                  [-D DSYNC_EVERY]\n"
		"       crash-load verify -d DEV -b BLOCKS -a FILE [-o OFFSET]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *mode;
	int opt;

	prog = "crash-load";
	if (argc < 2)
		print_usage();
	mode = argv[1];
	optind = 2;
	seed = now_ms();
	while ((opt = getopt(argc, argv, "d:b:t:c:a:s:k:B:i:n:x:p:S:eo:D:")) != -1) {
		switch (opt) {
		case 'd':
			dev = optarg;
			break;
		case 'b':
			nr_blocks = strtoull(optarg, NULL, 0);
			break;
		case 't':
			nr_threads = (unsigned int)atoi(optarg);
			break;
		case 'c':
			ctl_path = optarg;
			break;
		case 'a':
			ack_path = optarg;
			break;
		case 's':
			atomic_store(&next_seq, strtoull(optarg, NULL, 0));
			break;
		case 'k':
			sync_every = (unsigned int)atoi(optarg);
			break;
		case 'B':
			burst = (unsigned int)atoi(optarg);
			break;
		case 'i':
			idle_ms = (unsigned int)atoi(optarg);
			break;
		case 'n':
			max_ops = strtoull(optarg, NULL, 0);
			break;
		case 'x':
			stop_path = optarg;
			break;
		case 'p':
			pause_path = optarg;
			break;
		case 'S':
			seed = strtoull(optarg, NULL, 0);
			break;
		case 'e':
			stop_on_error = true;
			break;
		case 'D':
			dsync_every = (unsigned int)atoi(optarg);
			break;
		case 'o':
			dev_offset = strtoull(optarg, NULL, 0);
			break;
		default:
			print_usage();
		}
	}
	if (!dev || !nr_blocks || optind != argc)
		print_usage();
	if (!strcmp(mode, "write")) {
		if (!nr_threads || !sync_every || !burst ||
		    !!ctl_path == !!ack_path || !atomic_load(&next_seq))
			print_usage();
		return do_write();
	}
	if (!strcmp(mode, "verify")) {
		if (!ack_path)
			print_usage();
		return do_verify();
	}
	print_usage();
}
