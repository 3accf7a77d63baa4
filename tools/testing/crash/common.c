// SPDX-License-Identifier: GPL-2.0
/*
 * mirvol crash-consistency harness: helpers shared by crash-record,
 * crash-load and crash-replay.
 *
 * Copyright (C) 2026 The mirvol authors
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "crash.h"
#include "mirvol_names.h"

const char *prog = "crash";

void die(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		die("out of memory (%zu bytes)", n);
	return p;
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p)
		die("out of memory (%zu x %zu bytes)", n, size);
	return p;
}

void *xaligned(size_t n)
{
	void *p;

	if (posix_memalign(&p, 4096, n ? n : 4096))
		die("out of memory (%zu aligned bytes)", n);
	memset(p, 0, n);
	return p;
}

void full_pwrite(int fd, const void *buf, size_t len, off_t off,
		 const char *what)
{
	while (len) {
		ssize_t n = pwrite(fd, buf, len, off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			die("writing %s at %lld: %s", what, (long long)off,
			    n < 0 ? strerror(errno) : "short write");
		buf = (const char *)buf + n;
		len -= (size_t)n;
		off += n;
	}
}

void full_pread(int fd, void *buf, size_t len, off_t off, const char *what)
{
	while (len) {
		ssize_t n = pread(fd, buf, len, off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			die("reading %s at %lld: %s", what, (long long)off,
			    n < 0 ? strerror(errno) : "end of device");
		buf = (char *)buf + n;
		len -= (size_t)n;
		off += n;
	}
}

uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

uint64_t rnd_next(uint64_t *state)
{
	uint64_t x = *state ? *state : 0x9e3779b97f4a7c15ULL;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * 0x2545f4914f6cdd1dULL;
}

/* ---- CRC-32C (Castagnoli), reflected, as the kernel's crc32c() ------- */

static uint32_t crc_table[256];

/*
 * Filled before main(): filled on first use, a second thread could see
 * the table half done and stamp its first records with a wrong CRC,
 * which the verifier then finds "not a record" (131-power-cut failed so).
 */
__attribute__((constructor)) static void crc32c_init(void)
{
	uint32_t i, j, c;

	for (i = 0; i < 256; i++) {
		c = i;
		for (j = 0; j < 8; j++)
			c = c & 1 ? (c >> 1) ^ 0x82f63b78U : c >> 1;
		crc_table[i] = c;
	}
}

uint32_t crc32c(uint32_t crc, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len--)
		crc = crc_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return crc;
}

/* ---- records ------------------------------------------------------------ */

void rec_make(void *buf, uint64_t block, uint64_t seq, uint32_t thread)
{
	struct rec *r = buf;
	uint64_t st = block * 0x100000001b3ULL ^ seq;
	size_t i;

	r->magic = REC_MAGIC;
	r->block = block;
	r->seq = seq;
	r->thread = thread;
	r->csum = 0;
	for (i = 0; i + 8 <= sizeof(r->fill); i += 8) {
		uint64_t v = rnd_next(&st);

		memcpy(r->fill + i, &v, 8);
	}
	r->csum = ~crc32c(~0U, buf, REC_SIZE);
}

enum rec_kind rec_check(const void *buf, uint64_t block, uint64_t *seq)
{
	const struct rec *r = buf;
	struct rec copy;
	size_t i;

	*seq = 0;
	if (r->magic != REC_MAGIC) {
		const uint64_t *w = buf;

		for (i = 0; i < REC_SIZE / 8; i++)
			if (w[i])
				return REC_BAD;
		return REC_ZERO;
	}
	memcpy(&copy, r, sizeof(copy));
	copy.csum = 0;
	if (r->block != block || r->seq == 0 ||
	    ~crc32c(~0U, &copy, REC_SIZE) != r->csum)
		return REC_BAD;
	*seq = r->seq;
	return REC_VALID;
}

/* ---- the recorder's control socket ------------------------------------- */

int ctl_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		close(fd);
		return -1;
	}
	return fd;
}

int ctl_send(int fd, const char *line)
{
	size_t len = strlen(line), off = 0;
	char reply[4];

	while (off < len) {
		ssize_t n = write(fd, line + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		off += (size_t)n;
	}
	if (write(fd, "\n", 1) != 1)
		return -1;
	for (off = 0; off < 3; ) {
		ssize_t n = read(fd, reply + off, 3 - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		off += (size_t)n;
	}
	return memcmp(reply, "ok\n", 3) ? -1 : 0;
}

/* ---- the mirvol control device ---------------------------------------- */

int mv_open(void)
{
	int fd = open(MIRVOL_CONTROL_PATH, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		die("%s: %s", MIRVOL_CONTROL_PATH, strerror(errno));
	return fd;
}

/* The ioctl; on failure a message to stderr, -1. */
int mv_ioctl(int fd, unsigned long cmd, void *arg, const char *what)
{
	struct mirvol_ioc_header *hdr = arg;

	if (ioctl(fd, cmd, arg) == 0)
		return 0;
	fprintf(stderr, "%s: %s: %s (%s)\n", prog, what, strerror(errno),
		mv_reason_str(hdr->reason));
	return -1;
}

int mv_info(int fd, const uint8_t *uuid, struct mirvol_info *info)
{
	memset(info, 0, sizeof(*info));
	memcpy(info->volume_uuid, uuid, MIRVOL_UUID_LEN);
	return mv_ioctl(fd, MIRVOL_IOC_INFO, info, "INFO");
}

int mv_list(int fd, uint8_t (*uuids)[MIRVOL_UUID_LEN], unsigned int max)
{
	struct mirvol_list l = {
		.capacity = max,
		.uuids_ptr = (uint64_t)(uintptr_t)uuids,
	};

	if (mv_ioctl(fd, MIRVOL_IOC_LIST, &l, "LIST"))
		return -1;
	if (l.count > max)
		die("more than %u volumes", max);
	return (int)l.count;
}

/* The names come from drivers/mirvol_names.c, the module's and the tool's. */
const char *mv_reason_str(uint32_t reason)
{
	const char *name = mirvol_reason_str(reason);

	return name ? name : "unknown reason";
}

const char *mv_plex_state_str(uint32_t state)
{
	const char *name = mirvol_plex_state_str(state);

	return name ? name : "unknown";
}

/* ---- comparing plexes -------------------------------------------------- */

int devnode(uint32_t major, uint32_t minor, char *path, size_t len)
{
	char buf[512], *p, *e;
	ssize_t n;
	int fd;

	snprintf(buf, sizeof(buf), "/sys/dev/block/%u:%u/uevent", major,
		 minor);
	fd = open(buf, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	p = strstr(buf, "DEVNAME=");
	if (!p)
		return -1;
	p += 8;
	e = strchr(p, '\n');
	if (e)
		*e = 0;
	snprintf(path, len, "/dev/%s", p);
	return 0;
}

#define CMP_CHUNK	(1U << 20)

static int compare_direct(const struct mirvol_info *info, char *msg,
			  size_t len)
{
	unsigned int i, n = 0, idx[MAX_PLEXES];
	char path[MAX_PLEXES][300];
	int fds[MAX_PLEXES], ret = 0;
	uint64_t off, diff = 0, first = 0;
	void *ref, *buf;

	for (i = 0; i < info->nr_plexes && i < MIRVOL_MAX_PLEXES; i++) {
		const struct mirvol_plex_info *p = &info->plexes[i];

		if (p->state != MIRVOL_PLEX_ACTIVE)
			continue;
		if (devnode(p->dev_major, p->dev_minor, path[n],
			    sizeof(path[n]))) {
			snprintf(msg, len, "no device node for plex %u (%u:%u)",
				 p->index, p->dev_major, p->dev_minor);
			return -1;
		}
		idx[n++] = i;
	}
	if (n < 2)
		return 0;
	for (i = 0; i < n; i++) {
		fds[i] = open(path[i], O_RDONLY | O_DIRECT | O_CLOEXEC);
		if (fds[i] < 0) {
			snprintf(msg, len, "%s: %s", path[i], strerror(errno));
			while (i--)
				close(fds[i]);
			return -1;
		}
	}
	ref = xaligned(CMP_CHUNK);
	buf = xaligned(CMP_CHUNK);
	for (off = 0; off < info->size_bytes; off += CMP_CHUNK) {
		size_t chunk = info->size_bytes - off < CMP_CHUNK ?
			       info->size_bytes - off : CMP_CHUNK;

		full_pread(fds[0], ref, chunk,
			   info->plexes[idx[0]].data_offset_bytes + off,
			   path[0]);
		for (i = 1; i < n; i++) {
			size_t b;

			full_pread(fds[i], buf, chunk,
				   info->plexes[idx[i]].data_offset_bytes + off,
				   path[i]);
			for (b = 0; b < chunk; b += 4096) {
				if (!memcmp((char *)ref + b, (char *)buf + b,
					    4096))
					continue;
				if (!diff++)
					first = off + b;
				if (!ret)
					snprintf(msg, len,
						 "plexes %u (%s) and %u (%s)",
						 info->plexes[idx[0]].index,
						 path[0],
						 info->plexes[idx[i]].index,
						 path[i]);
				ret = 1;
			}
		}
	}
	if (ret) {
		size_t l = strlen(msg);

		snprintf(msg + l, len - l,
			 " differ in %llu 4 KiB blocks, the first at volume offset %llu",
			 (unsigned long long)diff, (unsigned long long)first);
	}
	for (i = 0; i < n; i++)
		close(fds[i]);
	free(ref);
	free(buf);
	return ret;
}

/* The module's own comparison: a CHECK operation, then mismatch_sectors. */
static int compare_scrub(int ctl, const struct mirvol_info *info, char *msg,
			 size_t len)
{
	struct mirvol_sync_action sa;
	struct mirvol_info after;
	struct mirvol_op op;
	unsigned int i, active = 0;

	for (i = 0; i < info->nr_plexes && i < MIRVOL_MAX_PLEXES; i++)
		active += info->plexes[i].state == MIRVOL_PLEX_ACTIVE;
	if (active < 2)
		return 0;
	memset(&sa, 0, sizeof(sa));
	memcpy(sa.volume_uuid, info->volume_uuid, MIRVOL_UUID_LEN);
	sa.action = MIRVOL_SYNC_CHECK;
	if (mv_ioctl(ctl, MIRVOL_IOC_SYNC_ACTION, &sa, "SYNC_ACTION check")) {
		snprintf(msg, len, "cannot start a check (%s)",
			 mv_reason_str(sa.hdr.reason));
		return -1;
	}
	memset(&op, 0, sizeof(op));
	op.op_id = sa.op_id;
	if (mv_ioctl(ctl, MIRVOL_IOC_OP_WAIT, &op, "OP_WAIT check") ||
	    op.info.state != MIRVOL_OPS_SUCCEEDED) {
		snprintf(msg, len, "check operation %llu did not succeed (%s)",
			 (unsigned long long)sa.op_id,
			 mv_reason_str(op.info.reason));
		return -1;
	}
	if (mv_info(ctl, info->volume_uuid, &after)) {
		snprintf(msg, len, "INFO after the check failed");
		return -1;
	}
	if (!after.mismatch_sectors)
		return 0;
	snprintf(msg, len, "check: %llu mismatched sectors",
		 (unsigned long long)after.mismatch_sectors);
	return 1;
}

int compare_plexes(int ctl, const struct mirvol_info *info, bool scrub,
		   char *msg, size_t len)
{
	*msg = 0;
	return scrub ? compare_scrub(ctl, info, msg, len) :
		       compare_direct(info, msg, len);
}
