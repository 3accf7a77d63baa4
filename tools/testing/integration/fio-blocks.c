// SPDX-License-Identifier: GPL-2.0
/*
 * fio-blocks: is every block of a device either all zeros or a whole
 * block as fio's --verify=crc32c wrote it at that offset?
 *
 * A consistent copy of a device that fio was writing (a plex broken off
 * during the writes, say) holds, in every block, what one of fio's writes
 * left there or what was there before fio wrote (zeros, on a device
 * that started zeroed).  A torn block, a block from the wrong place or
 * garbage fails the check.
 *
 * Usage: fio-blocks DEV BLOCKSIZE
 *   Reads DEV with O_DIRECT.  Prints the counts of zero and fio blocks
 *   and the first bad blocks; exits 0 when every block is good, 1 when
 *   some are not, 2 on a usage or I/O error.
 *
 * The block format is fio's (verify.h, fio 3.x): a struct verify_header
 * (magic 0xacca, verify type, length, seed, offset of the block in the
 * file, time, thread, number of the write, crc32c of the header so far),
 * a crc32c of the rest of the block, then the data.  fio's crc32c starts
 * from ~0 and is not inverted at the end.
 *
 * Copyright (C) 2026 The mirvol authors
 */
#define _GNU_SOURCE
#include <endian.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FIO_HDR_MAGIC	0xacca
#define HDR_LEN		40	/* struct verify_header */
#define HDR_CRC_AT	36	/* its crc32, over the bytes before it */
#define VHDR_LEN	4	/* struct vhdr_crc32 */
#define CHUNK		(1 << 20)
#define MAX_REPORTED	5

static uint32_t crc_table[256];

static void crc_init(void)
{
	uint32_t i, k, c;

	for (i = 0; i < 256; i++) {
		c = i;
		for (k = 0; k < 8; k++)
			c = c & 1 ? (c >> 1) ^ 0x82f63b78 : c >> 1;
		crc_table[i] = c;
	}
}

static uint32_t fio_crc32c(const unsigned char *p, size_t len)
{
	uint32_t crc = ~0U;

	while (len--)
		crc = crc_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return crc;
}

static uint16_t get16(const unsigned char *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return le16toh(v);
}

static uint32_t get32(const unsigned char *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return le32toh(v);
}

static uint64_t get64(const unsigned char *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return le64toh(v);
}

static int all_zero(const unsigned char *p, size_t len)
{
	return !p[0] && !memcmp(p, p + 1, len - 1);
}

/* Why the block at @off is not one of fio's, or NULL if it is. */
static const char *fio_block_defect(const unsigned char *b, size_t bs,
				    uint64_t off)
{
	if (get16(b) != FIO_HDR_MAGIC)
		return "no fio header";
	if (get32(b + 4) != bs)
		return "wrong length in the header";
	if (get64(b + 16) != off)
		return "written for another offset";
	if (fio_crc32c(b, HDR_CRC_AT) != get32(b + HDR_CRC_AT))
		return "header checksum";
	if (fio_crc32c(b + HDR_LEN + VHDR_LEN, bs - HDR_LEN - VHDR_LEN) !=
	    get32(b + HDR_LEN))
		return "data checksum (torn or damaged block)";
	return NULL;
}

int main(int argc, char **argv)
{
	uint64_t off = 0, zero = 0, fio = 0, bad = 0;
	unsigned char *buf;
	size_t bs, i;
	ssize_t n;
	int fd;

	bs = argc == 3 ? strtoul(argv[2], NULL, 0) : 0;
	if (argc != 3 || bs < 512 || bs % 512 || CHUNK % bs) {
		fprintf(stderr, "usage: %s DEV BLOCKSIZE (512..1M, a power of 2)\n",
			argv[0]);
		return 2;
	}
	crc_init();
	fd = open(argv[1], O_RDONLY | O_DIRECT);
	if (fd < 0 || posix_memalign((void **)&buf, 4096, CHUNK)) {
		perror(argv[1]);
		return 2;
	}
	while ((n = read(fd, buf, CHUNK)) > 0) {
		for (i = 0; i + bs <= (size_t)n; i += bs, off += bs) {
			const char *why;

			if (all_zero(buf + i, bs)) {
				zero++;
				continue;
			}
			why = fio_block_defect(buf + i, bs, off);
			if (!why) {
				fio++;
				continue;
			}
			if (bad++ < MAX_REPORTED)
				printf("bad block at byte %" PRIu64 ": %s\n", off,
				       why);
		}
	}
	if (n < 0) {
		perror(argv[1]);
		return 2;
	}
	printf("%s: %" PRIu64 " zero blocks, %" PRIu64 " fio blocks, %" PRIu64
	       " bad blocks\n", argv[1], zero, fio, bad);
	return bad ? 1 : 0;
}
