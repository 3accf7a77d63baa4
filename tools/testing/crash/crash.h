/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mirvol crash-consistency harness: what the recorder, the workload and
 * the replay tool share.  See README in this directory for the model.
 *
 * Copyright (C) 2026 The mirvol authors
 */
#ifndef MVCRASH_H
#define MVCRASH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <linux/mirvol.h>

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define __printf(a, b)	__attribute__((format(printf, a, b)))
#define __noreturn	__attribute__((noreturn))
#define MAX_PLEXES	8

/* ---- the workload's blocks ------------------------------------------ */

/*
 * Every block the workload writes is one 4 KiB record that says which
 * volume block it belongs to and which write (a sequence number unique
 * in the run) produced it, under a CRC-32C of the whole block.  A block
 * that was never written reads as zeros.
 */
#define REC_SIZE	4096
#define REC_MAGIC	0x3143455252434d56ULL	/* "VMCRREC1" */

struct rec {
	uint64_t magic;
	uint64_t block;		/* volume offset / REC_SIZE */
	uint64_t seq;		/* 1, 2, ...: unique in the run */
	uint32_t thread;
	uint32_t csum;		/* crc32c of the block, this field zero */
	uint8_t fill[REC_SIZE - 32];
};

enum rec_kind { REC_ZERO, REC_VALID, REC_BAD };

void rec_make(void *buf, uint64_t block, uint64_t seq, uint32_t thread);
/* Judge @buf as the content of volume block @block; *seq: its write. */
enum rec_kind rec_check(const void *buf, uint64_t block, uint64_t *seq);
uint32_t crc32c(uint32_t crc, const void *buf, size_t len);

/* ---- the recorder's log ------------------------------------------------ */

/*
 * The log is the sequence of steps of the recording device server, in
 * the order it performed them (see record.c): the header, then entries,
 * each followed by @len bytes of payload (written data, mark text).
 * Native endianness: it is written and read on the same machine.
 */
#define LOG_MAGIC	"MVCRLOG1"

struct log_hdr {
	char magic[8];
	uint32_t version;	/* 1 */
	uint32_t nr_plexes;
	uint64_t plex_bytes;	/* size of every plex device */
	uint64_t reserved[4];
};

enum log_type {
	LOG_WRITE = 1,		/* data reached the plex's (volatile) cache */
	LOG_FLUSH = 2,		/* the plex's cache reached its medium */
	LOG_MARK = 3,		/* text from the control socket */
};

#define LOG_F_FUA	(1U << 0)	/* WRITE: on the medium at once */

struct log_ent {
	uint32_t type;
	uint32_t plex;
	uint64_t offset;	/* bytes; WRITE */
	uint32_t len;		/* payload bytes */
	uint32_t flags;
};

/* ---- helpers (common.c) --------------------------------------------- */

extern const char *prog;

void die(const char *fmt, ...) __printf(1, 2) __noreturn;
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xaligned(size_t n);		/* 4 KiB aligned, zeroed */
void full_pwrite(int fd, const void *buf, size_t len, off_t off,
		 const char *what);
void full_pread(int fd, void *buf, size_t len, off_t off, const char *what);
uint64_t now_ms(void);
void sleep_ms(unsigned int ms);
uint64_t rnd_next(uint64_t *state);	/* xorshift64* */

/* Connect to the recorder's control socket; -1 on error. */
int ctl_connect(const char *path);
/* Send one line ("mark TEXT", "ack ...") and wait for "ok". */
int ctl_send(int fd, const char *line);

/* The mirvol control device. */
int mv_open(void);
int mv_ioctl(int fd, unsigned long cmd, void *arg, const char *what);
int mv_info(int fd, const uint8_t *uuid, struct mirvol_info *info);
/* Volumes, up to @max UUIDs into @uuids; returns the count or -1. */
int mv_list(int fd, uint8_t (*uuids)[MIRVOL_UUID_LEN], unsigned int max_nr);
const char *mv_reason_str(uint32_t reason);
const char *mv_plex_state_str(uint32_t state);

/* /dev/NAME of a block device number (from sysfs: no udev needed). */
int devnode(uint32_t major, uint32_t minor, char *path, size_t len);

/*
 * Do the active plexes of a volume hold the same data?  With @scrub, ask
 * the module (a CHECK operation, then mismatch_sectors); otherwise read
 * the plexes' data areas with O_DIRECT and compare them here.  Fills
 * @msg on a difference or an error.
 * Return: 0 identical, 1 different, -1 error.
 */
int compare_plexes(int ctl, const struct mirvol_info *info, bool scrub,
		   char *msg, size_t len);

#endif /* MVCRASH_H */
