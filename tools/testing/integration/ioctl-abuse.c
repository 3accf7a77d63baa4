// SPDX-License-Identifier: GPL-2.0
/*
 * ioctl-abuse: feed /dev/mirvol-control bad arguments and check that each
 * gets the right errno and reason code and leaves nothing behind.
 *
 * Usage: ioctl-abuse DEV0 DEV1 TINYDEV
 *   DEV0, DEV1  two free block devices of at least 8 MiB
 *   TINYDEV     a free block device of less than 2 MiB
 * Prints "ok ..." / "not ok ..." per check and exits 1 if any failed.
 *
 * Copyright (C) 2026 The mirvol authors
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/blkpg.h>
#include <linux/fs.h>
#include <linux/mirvol.h>

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif

static int ctl;
static int failures;
static const char *dev0, *dev1, *tiny;

#define CHECK(cond, ...) do {					\
	if (cond) {						\
		printf("ok - ");				\
	} else {						\
		printf("not ok - ");				\
		failures++;					\
	}							\
	printf(__VA_ARGS__);					\
	putchar('\n');						\
} while (0)

/* Run an ioctl; return 0 or the errno. */
static int ioc(unsigned long cmd, void *arg)
{
	return ioctl(ctl, cmd, arg) ? errno : 0;
}

static unsigned int nr_volumes(void)
{
	struct mirvol_list l = { 0 };

	if (ioc(MIRVOL_IOC_LIST, &l))
		return ~0U;
	return l.count;
}

static int open_dev(const char *path, int flags)
{
	int fd = open(path, flags | O_CLOEXEC);

	if (fd < 0) {
		perror(path);
		exit(2);
	}
	return fd;
}

/* A device node udev is about to make: opened once it is there, or -1. */
static int open_when_there(const char *path)
{
	int fd = -1, i;

	for (i = 0; i < 50 && fd < 0; i++) {
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			usleep(100000);
	}
	return fd;
}

/* The device is not held: it can be opened exclusively. */
static int dev_free(const char *path)
{
	int fd = open(path, O_RDWR | O_EXCL | O_CLOEXEC);

	if (fd < 0)
		return 0;
	close(fd);
	return 1;
}

static void create_init(struct mirvol_create *c, const char *name,
			int fd0, int fd1)
{
	int i;

	memset(c, 0, sizeof(*c));
	snprintf(c->name, sizeof(c->name), "%s", name);
	c->nr_plexes = fd1 >= 0 ? 2 : 1;
	for (i = 0; i < MIRVOL_MAX_PLEXES; i++)
		c->plex_fds[i] = -1;
	c->plex_fds[0] = fd0;
	c->plex_fds[1] = fd1;
}

/* A CREATE that must fail with @err / @reason and change nothing. */
static void create_fails(const char *what, struct mirvol_create *c, int err,
			 unsigned int reason)
{
	unsigned int before = nr_volumes();
	int got = ioc(MIRVOL_IOC_CREATE, c);

	CHECK(got == err && c->hdr.reason == reason,
	      "create with %s: errno %d (want %d), reason %u (want %u)",
	      what, got, err, c->hdr.reason, reason);
	CHECK(nr_volumes() == before, "create with %s left no volume", what);
	CHECK(dev_free(dev0) && dev_free(dev1),
	      "create with %s left the devices free", what);
}

static void test_version(void)
{
	struct mirvol_version v = { 0 };

	CHECK(ioc(MIRVOL_IOC_VERSION, &v) == 0 &&
	      v.abi_major == MIRVOL_ABI_MAJOR &&
	      v.max_plexes == MIRVOL_MAX_PLEXES &&
	      (v.features & MIRVOL_FEAT_CREATE), "version");
	memset(&v, 0, sizeof(v));
	v.hdr.flags = 1;
	CHECK(ioc(MIRVOL_IOC_VERSION, &v) == EINVAL &&
	      v.hdr.reason == MIRVOL_R_INVALID_ARGUMENT, "version with flags");
	memset(&v, 0, sizeof(v));
	v.reserved[3] = 1;
	CHECK(ioc(MIRVOL_IOC_VERSION, &v) == EINVAL &&
	      v.hdr.reason == MIRVOL_R_INVALID_ARGUMENT,
	      "version with reserved bits");
	CHECK(ioc(_IOWR(MIRVOL_IOC_MAGIC, 0x7f, struct mirvol_version), &v) ==
	      ENOTTY, "unknown command: ENOTTY");
	CHECK(ioc(_IOWR(MIRVOL_IOC_MAGIC, 0x00, struct mirvol_list), &v) ==
	      ENOTTY, "known number with the wrong size: ENOTTY");
	CHECK(ioc(MIRVOL_IOC_VERSION, (void *)8) == EFAULT,
	      "bad argument pointer: EFAULT");
}

/*
 * A disk and a partition of it in one CREATE: the same storage given
 * twice, DUPLICATE_DEVICE whichever comes first (not DEVICE_BUSY, the
 * volume's own claim of the other).
 */
static void test_create_partition(int fd1)
{
	struct blkpg_partition part = {
		.pno = 1, .start = 8 << 20, .length = 4 << 20,
	};
	struct blkpg_ioctl_arg arg = {
		.op = BLKPG_ADD_PARTITION,
		.datalen = sizeof(part), .data = &part,
	};
	struct mirvol_create c;
	char node[64];
	int pfd;

	CHECK(ioctl(fd1, BLKPG, &arg) == 0, "partition 1 of %s", dev1);
	snprintf(node, sizeof(node), "%sp1", dev1);
	pfd = open_when_there(node);
	CHECK(pfd >= 0, "open %s", node);
	if (pfd >= 0) {
		create_init(&c, "abuse", fd1, pfd);
		create_fails("a disk and its partition", &c, EINVAL,
			     MIRVOL_R_DUPLICATE_DEVICE);
		create_init(&c, "abuse", pfd, fd1);
		create_fails("a partition and its disk", &c, EINVAL,
			     MIRVOL_R_DUPLICATE_DEVICE);
		close(pfd);
	}
	arg.op = BLKPG_DEL_PARTITION;
	CHECK(ioctl(fd1, BLKPG, &arg) == 0, "partition 1 of %s deleted", dev1);
}

static void test_create(void)
{
	struct mirvol_create c;
	int fd0 = open_dev(dev0, O_RDWR), fd1 = open_dev(dev1, O_RDWR);
	int fdt = open_dev(tiny, O_RDWR);
	int null = open_dev("/dev/null", O_RDWR);
	char file[] = "/tmp/mirvol-abuse-XXXXXX";
	int reg = mkstemp(file), i, excl;

	create_init(&c, "abuse", fd0, fd1);
	c.nr_plexes = 0;
	create_fails("zero plexes", &c, EINVAL, MIRVOL_R_INVALID_ARGUMENT);
	create_init(&c, "abuse", fd0, fd1);
	c.nr_plexes = 9;
	for (i = 0; i < MIRVOL_MAX_PLEXES; i++)
		c.plex_fds[i] = fd0;
	create_fails("nine plexes", &c, EINVAL, MIRVOL_R_TOO_MANY_PLEXES);
	create_init(&c, "abuse", fd0, fd1);
	c.nr_plexes = 0x80000000u;
	create_fails("a huge plex count", &c, EINVAL,
		     MIRVOL_R_TOO_MANY_PLEXES);
	create_init(&c, "abuse", 4000, fd1);
	create_fails("a closed fd", &c, EBADF, MIRVOL_R_BAD_FD);
	create_init(&c, "abuse", -7, fd1);
	create_fails("a negative fd", &c, EBADF, MIRVOL_R_BAD_FD);
	create_init(&c, "abuse", null, fd1);
	create_fails("a character device", &c, ENOTBLK,
		     MIRVOL_R_NOT_BLOCK_DEVICE);
	create_init(&c, "abuse", reg, fd1);
	create_fails("a regular file", &c, ENOTBLK,
		     MIRVOL_R_NOT_BLOCK_DEVICE);
	create_init(&c, "abuse", fd0, fd0);
	create_fails("the same device twice", &c, EINVAL,
		     MIRVOL_R_DUPLICATE_DEVICE);
	create_init(&c, "abuse", fd0, fdt);
	create_fails("a device below the minimum", &c, ENOSPC,
		     MIRVOL_R_DEVICE_TOO_SMALL);
	test_create_partition(fd1);

	excl = open_dev(dev1, O_RDWR | O_EXCL);
	create_init(&c, "abuse", fd0, fd1);
	{
		unsigned int before = nr_volumes();
		int got = ioc(MIRVOL_IOC_CREATE, &c);

		CHECK(got == EBUSY && c.hdr.reason == MIRVOL_R_DEVICE_BUSY,
		      "create with a device in use: errno %d reason %u",
		      got, c.hdr.reason);
		CHECK(nr_volumes() == before && dev_free(dev0),
		      "create with a device in use left nothing behind");
	}
	close(excl);

	create_init(&c, "abuse", fd0, fd1);
	memset(c.name, 'n', sizeof(c.name));
	create_fails("an unterminated name", &c, EINVAL,
		     MIRVOL_R_INVALID_ARGUMENT);
	create_init(&c, "bad/name", fd0, fd1);
	create_fails("a name with '/'", &c, EINVAL, MIRVOL_R_INVALID_ARGUMENT);
	create_init(&c, "..", fd0, fd1);
	create_fails("the name '..'", &c, EINVAL, MIRVOL_R_INVALID_ARGUMENT);
	/* /dev/mirvol/NAME-partN is partition N of volume NAME. */
	create_init(&c, "abuse-part1", fd0, fd1);
	create_fails("the name 'abuse-part1'", &c, EINVAL,
		     MIRVOL_R_INVALID_ARGUMENT);
	create_init(&c, "abuse", fd0, fd1);
	c.plex_fds[5] = fd0;
	create_fails("an fd past nr_plexes", &c, EINVAL,
		     MIRVOL_R_INVALID_ARGUMENT);
	create_init(&c, "abuse", fd0, fd1);
	c.hdr.flags = 0x100;
	create_fails("unknown flags", &c, EINVAL, MIRVOL_R_INVALID_ARGUMENT);
	create_init(&c, "abuse", fd0, fd1);
	c.pad = 1;
	create_fails("padding set", &c, EINVAL, MIRVOL_R_INVALID_ARGUMENT);
	create_init(&c, "abuse", fd0, fd1);
	c.reserved[2] = 5;
	create_fails("reserved set", &c, EINVAL, MIRVOL_R_INVALID_ARGUMENT);
	{
		/* Marked read-only (blockdev --setro): never written. */
		int one = 1, zero = 0;

		CHECK(ioctl(fd1, BLKROSET, &one) == 0, "%s read-only", dev1);
		create_init(&c, "abuse", fd0, fd1);
		create_fails("a read-only device", &c, EROFS,
			     MIRVOL_R_READ_ONLY_DEVICE);
		CHECK(ioctl(fd1, BLKROSET, &zero) == 0, "%s writable", dev1);
		if (!c.hdr.reason) {
			struct mirvol_volume_ref r = { 0 };

			memcpy(r.volume_uuid, c.volume_uuid, MIRVOL_UUID_LEN);
			ioc(MIRVOL_IOC_REMOVE, &r);
		}
	}

	/* A volume, then the duplicates and stacking refusals. */
	create_init(&c, "abuse", fd0, -1);
	c.hdr.flags = MIRVOL_CREATE_F_ASSUME_CLEAN;
	CHECK(ioc(MIRVOL_IOC_CREATE, &c) == 0, "create abuse over %s", dev0);
	{
		struct mirvol_create d;
		struct mirvol_volume_ref r = { 0 };
		char node[64];
		int vfd;

		create_init(&d, "abuse", fd1, -1);
		{
			unsigned int before = nr_volumes();
			int got = ioc(MIRVOL_IOC_CREATE, &d);

			CHECK(got == EEXIST && d.hdr.reason ==
			      MIRVOL_R_NAME_EXISTS,
			      "create with a duplicate name: errno %d reason %u",
			      got, d.hdr.reason);
			CHECK(nr_volumes() == before && dev_free(dev1),
			      "duplicate name left nothing behind");
		}
		snprintf(node, sizeof(node), "/dev/mirvol%u", c.index);
		vfd = open(node, O_RDWR | O_CLOEXEC);
		CHECK(vfd >= 0, "open %s", node);
		create_init(&d, "stack", vfd, fd1);
		{
			unsigned int before = nr_volumes();
			int got = ioc(MIRVOL_IOC_CREATE, &d);

			CHECK(got == EINVAL &&
			      d.hdr.reason == MIRVOL_R_INVALID_OPERATION,
			      "create with a mirvol volume as a plex: errno %d reason %u",
			      got, d.hdr.reason);
			CHECK(nr_volumes() == before && dev_free(dev1),
			      "a volume as a plex left nothing behind");
		}
		{
			/*
			 * A partition of the volume numbered past its
			 * minors (16 on): under the kernel's extended
			 * major, a mirvol volume's all the same.
			 */
			struct blkpg_partition part = {
				.pno = 16, .length = 4 << 20,
			};
			struct blkpg_ioctl_arg arg = {
				.op = BLKPG_ADD_PARTITION,
				.datalen = sizeof(part), .data = &part,
			};
			unsigned int before = nr_volumes();
			struct stat st;
			int pfd, got = -1;

			CHECK(ioctl(vfd, BLKPG, &arg) == 0,
			      "partition 16 of %s", node);
			snprintf(node, sizeof(node), "/dev/mirvol%up16",
				 c.index);
			pfd = open_when_there(node);
			CHECK(pfd >= 0 && fstat(pfd, &st) == 0,
			      "open %s", node);
			if (pfd >= 0) {
				create_init(&d, "stack16", pfd, fd1);
				got = ioc(MIRVOL_IOC_CREATE, &d);
				CHECK(got == EINVAL &&
				      d.hdr.reason ==
				      MIRVOL_R_INVALID_OPERATION,
				      "create over %s (%u:%u): errno %d reason %u",
				      node, major(st.st_rdev),
				      minor(st.st_rdev), got, d.hdr.reason);
				CHECK(nr_volumes() == before || !got,
				      "%s as a plex left nothing behind", node);
				if (!got) {
					struct mirvol_volume_ref r = { 0 };

					memcpy(r.volume_uuid, d.volume_uuid,
					       MIRVOL_UUID_LEN);
					ioc(MIRVOL_IOC_REMOVE, &r);
				}
				close(pfd);
			}
			arg.op = BLKPG_DEL_PARTITION;
			CHECK(ioctl(vfd, BLKPG, &arg) == 0,
			      "partition 16 deleted");
		}
		close(vfd);
		create_init(&d, "again", fd0, -1);
		{
			int got = ioc(MIRVOL_IOC_CREATE, &d);

			CHECK(got == EBUSY && d.hdr.reason ==
			      MIRVOL_R_DEVICE_BUSY,
			      "create over a plex of another volume: errno %d reason %u",
			      got, d.hdr.reason);
		}
		memcpy(r.volume_uuid, c.volume_uuid, MIRVOL_UUID_LEN);
		r.hdr.flags = 0x80;
		CHECK(ioc(MIRVOL_IOC_REMOVE, &r) == EINVAL &&
		      r.hdr.reason == MIRVOL_R_INVALID_ARGUMENT,
		      "remove with unknown flags");
		r.hdr.flags = 0;
		/* udev may be probing the new volume for a moment. */
		for (i = 0; i < 50 && ioc(MIRVOL_IOC_REMOVE, &r) == EBUSY; i++)
			usleep(100000);
		CHECK(i < 50 && !r.hdr.reason, "remove abuse (after %d tries)",
		      i + 1);
		r.hdr.reason = 0;
		CHECK(ioc(MIRVOL_IOC_REMOVE, &r) == ENOENT &&
		      r.hdr.reason == MIRVOL_R_OBJECT_NOT_FOUND,
		      "remove of a removed volume: OBJECT_NOT_FOUND");
	}
	close(fd0);
	close(fd1);
	close(fdt);
	close(null);
	close(reg);
	unlink(file);
}

/*
 * The plexes' identities and states (their I/O counters move with udev's
 * probes of the volume, which may read it meanwhile).
 */
static int same_plexes(const struct mirvol_info *a, const struct mirvol_info *b)
{
	unsigned int i;

	for (i = 0; i < MIRVOL_MAX_PLEXES; i++) {
		const struct mirvol_plex_info *x = &a->plexes[i], *y = &b->plexes[i];

		if (memcmp(x->uuid, y->uuid, MIRVOL_UUID_LEN) ||
		    x->index != y->index || x->state != y->state ||
		    x->flags != y->flags || x->dev_major != y->dev_major ||
		    x->dev_minor != y->dev_minor)
			return 0;
	}
	return 1;
}

/* A plex command on @vol's unknown plex: ENOENT, and @vol unchanged. */
static void plex_ref_unknown(unsigned long cmd, const char *what,
			     const struct mirvol_create *vol, __u32 flags)
{
	struct mirvol_info *before = calloc(1, sizeof(*before));
	struct mirvol_info *after = calloc(1, sizeof(*after));
	struct mirvol_plex_ref p = { 0 };
	int got;

	memcpy(before->volume_uuid, vol->volume_uuid, MIRVOL_UUID_LEN);
	memcpy(after->volume_uuid, vol->volume_uuid, MIRVOL_UUID_LEN);
	memcpy(p.volume_uuid, vol->volume_uuid, MIRVOL_UUID_LEN);
	memset(p.plex_uuid, 0xcd, MIRVOL_UUID_LEN);
	p.hdr.flags = flags;
	ioc(MIRVOL_IOC_INFO, before);
	got = ioc(cmd, &p);
	CHECK(got == ENOENT && p.hdr.reason == MIRVOL_R_OBJECT_NOT_FOUND,
	      "%s of a plex the volume does not have: errno %d reason %u",
	      what, got, p.hdr.reason);
	CHECK(ioc(MIRVOL_IOC_INFO, after) == 0 &&
	      after->nr_plexes == before->nr_plexes &&
	      same_plexes(before, after),
	      "%s of an unknown plex left the volume as it was", what);
	free(before);
	free(after);
}

/* A PLEX_ACTION with a bad field, on an unknown volume: EINVAL first. */
static void plex_action_invalid(const char *what, __u32 action, int fd)
{
	struct mirvol_plex_action pa = { 0 };
	int got;

	memset(pa.volume_uuid, 0xab, MIRVOL_UUID_LEN);
	pa.action = action;
	pa.fd = fd;
	got = ioc(MIRVOL_IOC_PLEX_ACTION, &pa);
	CHECK(got == EINVAL && pa.hdr.reason == MIRVOL_R_INVALID_ARGUMENT,
	      "plex action with %s (%u): errno %d (want %d), reason %u",
	      what, action, got, EINVAL, pa.hdr.reason);
}

static void test_lookups(void)
{
	struct mirvol_info *info = calloc(1, sizeof(*info));
	struct mirvol_op o = { 0 };
	struct mirvol_list l = { 0 };
	struct mirvol_plex_ref p = { 0 };
	struct mirvol_add_plex a = { 0 };
	struct mirvol_assemble as = { 0 };
	struct mirvol_assemble_member m = { 0 };
	struct mirvol_rename rn = { 0 };
	struct mirvol_volume_ref r = { 0 };
	struct mirvol_create c;
	int fd0 = open_dev(dev0, O_RDWR), i;

	/* A volume, so that lookups have something to miss and LIST a UUID. */
	create_init(&c, "lookups", fd0, -1);
	c.hdr.flags = MIRVOL_CREATE_F_ASSUME_CLEAN;
	CHECK(ioc(MIRVOL_IOC_CREATE, &c) == 0, "create lookups over %s", dev0);
	close(fd0);

	memset(info->volume_uuid, 0xab, MIRVOL_UUID_LEN);
	CHECK(ioc(MIRVOL_IOC_INFO, info) == ENOENT &&
	      info->hdr.reason == MIRVOL_R_OBJECT_NOT_FOUND,
	      "info of an unknown uuid");
	info->reserved[0] = 1;
	CHECK(ioc(MIRVOL_IOC_INFO, info) == EINVAL, "info with reserved set");
	free(info);

	o.op_id = 0xdeadbeef;
	CHECK(ioc(MIRVOL_IOC_OP_STATUS, &o) == ENOENT &&
	      o.hdr.reason == MIRVOL_R_OBJECT_NOT_FOUND,
	      "status of an unknown operation");
	CHECK(ioc(MIRVOL_IOC_OP_CANCEL, &o) == ENOENT, "cancel unknown op");
	o.timeout_ms = 5;
	CHECK(ioc(MIRVOL_IOC_OP_STATUS, &o) == EINVAL,
	      "timeout outside OP_WAIT");
	CHECK(ioc(MIRVOL_IOC_OP_WAIT, &o) == ENOENT, "wait for unknown op");

	CHECK(nr_volumes() == 1, "one volume to list");
	l.capacity = 1000;
	l.uuids_ptr = 16;
	l.hdr.reason = ~0U;
	CHECK(ioc(MIRVOL_IOC_LIST, &l) == EFAULT &&
	      l.hdr.reason == MIRVOL_R_INVALID_ARGUMENT,
	      "list into a bad pointer: EFAULT, reason %u", l.hdr.reason);
	memset(&l, 0, sizeof(l));
	l.capacity = 1000;
	CHECK(ioc(MIRVOL_IOC_LIST, &l) == EINVAL,
	      "list with capacity and no buffer");
	{
		struct mirvol_op_list ol = { .capacity = 4 };
		__u64 ids[4];

		CHECK(ioc(MIRVOL_IOC_OP_LIST, &ol) == EINVAL,
		      "op list with capacity and no buffer");
		ol.ids_ptr = (uintptr_t)ids;
		ol.reserved[1] = 1;
		CHECK(ioc(MIRVOL_IOC_OP_LIST, &ol) == EINVAL,
		      "op list with reserved set");
		ol.reserved[1] = 0;
		CHECK(ioc(MIRVOL_IOC_OP_LIST, &ol) == 0, "op list");
	}

	plex_ref_unknown(MIRVOL_IOC_BREAK_PLEX, "break-plex", &c, 0);
	plex_ref_unknown(MIRVOL_IOC_REMOVE_PLEX, "remove-plex", &c, 0);
	plex_ref_unknown(MIRVOL_IOC_SET_PLEX, "set-plex", &c,
			 MIRVOL_SET_PLEX_F_BOOT);
	memcpy(r.volume_uuid, c.volume_uuid, MIRVOL_UUID_LEN);
	/* udev may be probing the volume for a moment. */
	for (i = 0; i < 50 && ioc(MIRVOL_IOC_REMOVE, &r) == EBUSY; i++)
		usleep(100000);
	CHECK(i < 50 && !r.hdr.reason && nr_volumes() == 0,
	      "remove lookups (after %d tries)", i + 1);

	memset(p.volume_uuid, 0xab, MIRVOL_UUID_LEN);
	CHECK(ioc(MIRVOL_IOC_BREAK_PLEX, &p) == ENOENT &&
	      p.hdr.reason == MIRVOL_R_OBJECT_NOT_FOUND,
	      "break-plex of an unknown volume");
	snprintf(p.new_name, sizeof(p.new_name), "%s", "bad name");
	CHECK(ioc(MIRVOL_IOC_BREAK_PLEX, &p) == EINVAL,
	      "break-plex with a bad new name");
	snprintf(p.new_name, sizeof(p.new_name), "%s", "snap-part12");
	CHECK(ioc(MIRVOL_IOC_BREAK_PLEX, &p) == EINVAL &&
	      p.hdr.reason == MIRVOL_R_INVALID_ARGUMENT,
	      "break-plex with a partition's link name: reason %u",
	      p.hdr.reason);
	snprintf(p.new_name, sizeof(p.new_name), "%s", "bad name");
	CHECK(ioc(MIRVOL_IOC_REMOVE_PLEX, &p) == EINVAL,
	      "remove-plex with a name set");
	memset(p.new_name, 0, sizeof(p.new_name));
	p.hdr.flags = MIRVOL_SET_PLEX_F_BOOT | MIRVOL_SET_PLEX_F_NO_BOOT;
	CHECK(ioc(MIRVOL_IOC_SET_PLEX, &p) == EINVAL,
	      "set-plex with both flags");
	p.hdr.flags = MIRVOL_SET_PLEX_F_WRITE_MOSTLY |
		      MIRVOL_SET_PLEX_F_NO_WRITE_MOSTLY;
	CHECK(ioc(MIRVOL_IOC_SET_PLEX, &p) == EINVAL,
	      "set-plex with both write-mostly flags");
	p.hdr.flags = 0;
	CHECK(ioc(MIRVOL_IOC_SET_PLEX, &p) == EINVAL,
	      "set-plex without a flag");
	p.hdr.flags = MIRVOL_SET_PLEX_F_NO_WRITE_MOSTLY << 1;
	CHECK(ioc(MIRVOL_IOC_SET_PLEX, &p) == EINVAL,
	      "set-plex with an unknown flag");
	p.hdr.flags = MIRVOL_BREAK_F_TRACK_CHANGES << 1;
	CHECK(ioc(MIRVOL_IOC_BREAK_PLEX, &p) == EINVAL,
	      "break-plex with an unknown flag");
	p.hdr.flags = MIRVOL_BREAK_F_TRACK_CHANGES;
	CHECK(ioc(MIRVOL_IOC_REMOVE_PLEX, &p) == EINVAL,
	      "remove-plex with break's flag");

	memset(a.volume_uuid, 0xab, MIRVOL_UUID_LEN);
	a.fd = -1;
	CHECK(ioc(MIRVOL_IOC_ADD_PLEX, &a) == EBADF &&
	      a.hdr.reason == MIRVOL_R_BAD_FD, "add-plex without an fd");
	a.hdr.flags = MIRVOL_ADD_F_FROM_VOLUME;
	CHECK(ioc(MIRVOL_IOC_ADD_PLEX, &a) == EINVAL,
	      "add-plex from a volume without a source");
	a.fd = 0;
	memset(a.source_uuid, 1, MIRVOL_UUID_LEN);
	CHECK(ioc(MIRVOL_IOC_ADD_PLEX, &a) == EINVAL,
	      "add-plex from a volume with an fd");
	a.hdr.flags = MIRVOL_ADD_F_MERGE;
	a.fd = -1;
	memset(a.source_uuid, 0, MIRVOL_UUID_LEN);
	CHECK(ioc(MIRVOL_IOC_ADD_PLEX, &a) == EINVAL,
	      "merge without FROM_VOLUME");
	a.hdr.flags = MIRVOL_ADD_F_FROM_VOLUME | MIRVOL_ADD_F_MERGE | (1U << 5);
	memset(a.source_uuid, 1, MIRVOL_UUID_LEN);
	CHECK(ioc(MIRVOL_IOC_ADD_PLEX, &a) == EINVAL, "add-plex unknown flag");
	a.hdr.flags = MIRVOL_ADD_F_FROM_VOLUME | MIRVOL_ADD_F_CHECK;
	CHECK(ioc(MIRVOL_IOC_ADD_PLEX, &a) == EINVAL &&
	      a.hdr.reason == MIRVOL_R_INVALID_ARGUMENT,
	      "add-plex's check of a volume's plexes");

	CHECK(ioc(MIRVOL_IOC_ASSEMBLE, &as) == EINVAL, "assemble of nothing");
	as.nr_members = MIRVOL_ASSEMBLE_MAX + 1;
	as.members_ptr = (uintptr_t)&m;
	CHECK(ioc(MIRVOL_IOC_ASSEMBLE, &as) == EINVAL,
	      "assemble of too many members");
	as.nr_members = 2;
	as.hdr.flags = MIRVOL_ASSEMBLE_F_INCREMENTAL;
	CHECK(ioc(MIRVOL_IOC_ASSEMBLE, &as) == EINVAL,
	      "incremental assemble of two members");
	as.hdr.flags = 0;
	as.nr_members = 1;
	as.members_ptr = 24;
	CHECK(ioc(MIRVOL_IOC_ASSEMBLE, &as) == EFAULT,
	      "assemble from a bad pointer");
	as.members_ptr = (uintptr_t)&m;
	/* A refused member's outputs are written, not left as they came. */
	memset(&m, 0xa5, sizeof(m));
	m.fd = open_dev("/dev/null", O_RDONLY);
	CHECK(ioc(MIRVOL_IOC_ASSEMBLE, &as) == ENOTBLK &&
	      m.result == MIRVOL_MEMBER_REFUSED &&
	      m.reason == MIRVOL_R_NOT_BLOCK_DEVICE,
	      "assemble of /dev/null: errno %d result %u reason %u", errno,
	      m.result, m.reason);
	{
		static const __u8 zero[MIRVOL_UUID_LEN];

		CHECK(!m.plex_index && !m.generation &&
		      !memcmp(m.volume_uuid, zero, MIRVOL_UUID_LEN) &&
		      !memcmp(m.plex_uuid, zero, MIRVOL_UUID_LEN),
		      "a refused member's outputs are zero: index %#x generation %#llx",
		      m.plex_index, (unsigned long long)m.generation);
	}
	close(m.fd);
	m.fd = open_dev(dev0, O_RDWR);
	CHECK(ioc(MIRVOL_IOC_ASSEMBLE, &as) == EINVAL &&
	      m.reason == MIRVOL_R_NOT_A_MEMBER && dev_free(dev0),
	      "assemble of a device without a superblock: reason %u",
	      m.reason);
	close(m.fd);

	memset(rn.volume_uuid, 0xab, MIRVOL_UUID_LEN);
	snprintf(rn.name, sizeof(rn.name), "%s", "x");
	CHECK(ioc(MIRVOL_IOC_RENAME, &rn) == ENOENT, "rename unknown volume");
	rn.name[0] = '\0';
	CHECK(ioc(MIRVOL_IOC_RENAME, &rn) == EINVAL, "rename to ''");
	snprintf(rn.name, sizeof(rn.name), "%s", "x-part3");
	CHECK(ioc(MIRVOL_IOC_RENAME, &rn) == EINVAL &&
	      rn.hdr.reason == MIRVOL_R_INVALID_ARGUMENT,
	      "rename to a partition's link name: reason %u", rn.hdr.reason);

	/* Every field is checked before the lookup, as elsewhere. */
	plex_action_invalid("an unknown action", 0, -1);
	plex_action_invalid("an unknown action", MIRVOL_PLEX_REPLACE + 1, -1);
	plex_action_invalid("replace without a device", MIRVOL_PLEX_REPLACE,
			    -1);
	plex_action_invalid("fail with a device", MIRVOL_PLEX_FAIL, 0);
	{
		struct mirvol_plex_action pa = { 0 };

		memset(pa.volume_uuid, 0xab, MIRVOL_UUID_LEN);
		pa.action = MIRVOL_PLEX_FAIL;
		pa.fd = -1;
		CHECK(ioc(MIRVOL_IOC_PLEX_ACTION, &pa) == ENOENT &&
		      pa.hdr.reason == MIRVOL_R_OBJECT_NOT_FOUND,
		      "plex action on an unknown volume: reason %u",
		      pa.hdr.reason);
	}
}

/*
 * @cmd with its argument in a read-only page: the kernel reads the
 * request but cannot write the reply.  Returns the errno.
 */
static int ioc_readonly(unsigned long cmd, const void *arg, size_t size)
{
	long pg = sysconf(_SC_PAGESIZE);
	void *p = mmap(NULL, pg, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int got;

	if (p == MAP_FAILED || (size_t)pg < size) {
		perror("mmap");
		exit(2);
	}
	memcpy(p, arg, size);
	if (mprotect(p, pg, PROT_READ)) {
		perror("mprotect");
		exit(2);
	}
	got = ioc(cmd, p);
	munmap(p, pg);
	return got;
}

static unsigned int nr_ops(void)
{
	struct mirvol_op_list l = { 0 };

	if (ioc(MIRVOL_IOC_OP_LIST, &l))
		return ~0U;
	return l.count;
}

/* INFO of @uuid into @info; 0 or the errno. */
static int info_of(const __u8 *uuid, struct mirvol_info *info)
{
	memset(info, 0, sizeof(*info));
	memcpy(info->volume_uuid, uuid, MIRVOL_UUID_LEN);
	return ioc(MIRVOL_IOC_INFO, info);
}

/* REMOVE or STOP @uuid, while udev may be probing it; 0 or the errno. */
static int remove_volume(unsigned long cmd, const __u8 *uuid)
{
	struct mirvol_volume_ref r = { 0 };
	int i, got = EBUSY;

	memcpy(r.volume_uuid, uuid, MIRVOL_UUID_LEN);
	for (i = 0; i < 50 && got == EBUSY; i++) {
		got = ioc(cmd, &r);
		if (got == EBUSY)
			usleep(100000);
	}
	return got;
}

/* What a command may change of volume @uuid (not its I/O counters). */
static int same_volume(const struct mirvol_info *a, const struct mirvol_info *b)
{
	return a->nr_plexes == b->nr_plexes && same_plexes(a, b) &&
	       !strcmp(a->name, b->name) && a->state == b->state &&
	       a->generation == b->generation &&
	       a->sync_speed_min == b->sync_speed_min &&
	       a->sync_speed_max == b->sync_speed_max;
}

/*
 * A command whose reply cannot be written fails with EFAULT, and then
 * it did nothing: the caller is never told "failed" of a change made.
 * Volume @uuid, if not NULL, stays as it was; no volume and no
 * operation comes or goes.
 */
static void ro_fails(unsigned long cmd, const void *arg, size_t size,
		     const char *what, const __u8 *uuid)
{
	static struct mirvol_info before, after;
	unsigned int vols = nr_volumes(), ops = nr_ops();
	int had = uuid ? info_of(uuid, &before) : 0;
	int got = ioc_readonly(cmd, arg, size);

	CHECK(got == EFAULT, "%s into a read-only argument: errno %d", what,
	      got);
	CHECK(nr_volumes() == vols && nr_ops() == ops &&
	      (!uuid || (info_of(uuid, &after) == had &&
			 (had || same_volume(&before, &after)))),
	      "%s that could not reply changed nothing (%u volumes, were %u; %u ops, were %u)",
	      what, nr_volumes(), vols, nr_ops(), ops);
}

#define RO_FAILS(cmd, arg, what, uuid) \
	ro_fails(cmd, &(arg), sizeof(arg), what, uuid)

/* Remove every volume named @name (what a failed check left behind). */
static void remove_named(const char *name)
{
	__u8 uuids[64][MIRVOL_UUID_LEN];
	struct mirvol_list l = { .capacity = 64 };
	struct mirvol_info *info = calloc(1, sizeof(*info));
	unsigned int i;

	l.uuids_ptr = (uintptr_t)uuids;
	if (!ioc(MIRVOL_IOC_LIST, &l))
		for (i = 0; i < l.count && i < 64; i++)
			if (!info_of(uuids[i], info) && !strcmp(info->name, name))
				remove_volume(MIRVOL_IOC_REMOVE, uuids[i]);
	free(info);
}

static void test_readonly(void)
{
	struct mirvol_info *before = calloc(1, sizeof(*before));
	int fd0 = open_dev(dev0, O_RDWR), fd1 = open_dev(dev1, O_RDWR);
	unsigned int vols;
	struct mirvol_assemble_member *m;
	struct mirvol_sync_action sa = { 0 };
	struct mirvol_plex_action pa = { 0 };
	struct mirvol_set_volume sv = { 0 };
	struct mirvol_volume_ref vr = { 0 };
	struct mirvol_assemble as = { 0 };
	struct mirvol_add_plex ap = { 0 };
	struct mirvol_plex_ref pr = { 0 };
	struct mirvol_rename rn = { 0 };
	struct mirvol_create c;
	long pg = sysconf(_SC_PAGESIZE);

	create_init(&c, "ro", fd0, fd1);
	c.hdr.flags = MIRVOL_CREATE_F_ASSUME_CLEAN;
	RO_FAILS(MIRVOL_IOC_CREATE, c, "create", NULL);
	CHECK(dev_free(dev0) && dev_free(dev1),
	      "a create that could not reply left the devices free");
	remove_named("ro");

	/* A two-plex volume (its resync an operation to list). */
	create_init(&c, "ro", fd0, fd1);
	CHECK(ioc(MIRVOL_IOC_CREATE, &c) == 0, "create ro over %s %s", dev0,
	      dev1);
	{
		struct mirvol_op o = { .op_id = c.op_id };

		CHECK(c.op_id && ioc(MIRVOL_IOC_OP_WAIT, &o) == 0 &&
		      o.info.state == MIRVOL_OPS_SUCCEEDED, "ro's resync");
	}
	{
		struct mirvol_op_list ol = { .capacity = 4, .ids_ptr = 16 };

		ol.hdr.reason = ~0U;
		CHECK(ioc(MIRVOL_IOC_OP_LIST, &ol) == EFAULT &&
		      ol.hdr.reason == MIRVOL_R_INVALID_ARGUMENT,
		      "op list into a bad pointer: EFAULT, reason %u",
		      ol.hdr.reason);
	}
	info_of(c.volume_uuid, before);

	memcpy(pr.volume_uuid, c.volume_uuid, MIRVOL_UUID_LEN);
	memcpy(pr.plex_uuid, before->plexes[1].uuid, MIRVOL_UUID_LEN);
	RO_FAILS(MIRVOL_IOC_BREAK_PLEX, pr, "break-plex", c.volume_uuid);
	RO_FAILS(MIRVOL_IOC_REMOVE_PLEX, pr, "remove-plex", c.volume_uuid);
	pr.hdr.flags = MIRVOL_SET_PLEX_F_BOOT;
	RO_FAILS(MIRVOL_IOC_SET_PLEX, pr, "set-plex", c.volume_uuid);

	memcpy(pa.volume_uuid, c.volume_uuid, MIRVOL_UUID_LEN);
	memcpy(pa.plex_uuid, before->plexes[1].uuid, MIRVOL_UUID_LEN);
	pa.action = MIRVOL_PLEX_TAKE_OFFLINE;
	pa.fd = -1;
	RO_FAILS(MIRVOL_IOC_PLEX_ACTION, pa, "plex action offline",
		 c.volume_uuid);

	memcpy(rn.volume_uuid, c.volume_uuid, MIRVOL_UUID_LEN);
	snprintf(rn.name, sizeof(rn.name), "%s", "ro-renamed");
	RO_FAILS(MIRVOL_IOC_RENAME, rn, "rename", c.volume_uuid);

	memcpy(sv.volume_uuid, c.volume_uuid, MIRVOL_UUID_LEN);
	sv.hdr.flags = MIRVOL_SET_F_SPEED;
	sv.sync_speed_min = 7;
	sv.sync_speed_max = 77;
	RO_FAILS(MIRVOL_IOC_SET_VOLUME, sv, "set-volume", c.volume_uuid);

	memcpy(sa.volume_uuid, c.volume_uuid, MIRVOL_UUID_LEN);
	sa.action = MIRVOL_SYNC_CHECK;
	RO_FAILS(MIRVOL_IOC_SYNC_ACTION, sa, "check", c.volume_uuid);

	memcpy(vr.volume_uuid, c.volume_uuid, MIRVOL_UUID_LEN);
	RO_FAILS(MIRVOL_IOC_STOP, vr, "stop", c.volume_uuid);
	RO_FAILS(MIRVOL_IOC_REMOVE, vr, "remove", c.volume_uuid);


	/* One plex, and the other device to add. */
	CHECK(remove_volume(MIRVOL_IOC_REMOVE, c.volume_uuid) == 0,
	      "remove ro");
	create_init(&c, "ro", fd0, -1);
	c.hdr.flags = MIRVOL_CREATE_F_ASSUME_CLEAN;
	CHECK(ioc(MIRVOL_IOC_CREATE, &c) == 0, "create ro over %s", dev0);
	memcpy(ap.volume_uuid, c.volume_uuid, MIRVOL_UUID_LEN);
	ap.fd = fd1;
	RO_FAILS(MIRVOL_IOC_ADD_PLEX, ap, "add-plex", c.volume_uuid);
	CHECK(dev_free(dev1), "an add-plex that could not reply left %s free",
	      dev1);

	/* Stopped: its member, assembled from read-only memory. */
	CHECK(remove_volume(MIRVOL_IOC_STOP, c.volume_uuid) == 0, "stop ro");
	vols = nr_volumes();
	m = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		 -1, 0);
	if (m == MAP_FAILED) {
		perror("mmap");
		exit(2);
	}
	memset(m, 0, sizeof(*m));
	m->fd = fd0;
	as.nr_members = 1;
	as.members_ptr = (uintptr_t)m;
	RO_FAILS(MIRVOL_IOC_ASSEMBLE, as, "assemble", NULL);
	CHECK(nr_volumes() == vols && dev_free(dev0),
	      "an assemble that could not reply assembled nothing");
	CHECK(mprotect(m, pg, PROT_READ) == 0, "members read-only");
	as.hdr.reason = ~0U;
	{
		int got = ioc(MIRVOL_IOC_ASSEMBLE, &as);

		CHECK(got == EFAULT && as.hdr.reason ==
		      MIRVOL_R_INVALID_ARGUMENT,
		      "assemble of read-only members: errno %d reason %u", got,
		      as.hdr.reason);
	}
	CHECK(nr_volumes() == vols && dev_free(dev0),
	      "an assemble that could not write its members assembled nothing");
	CHECK(mprotect(m, pg, PROT_READ | PROT_WRITE) == 0, "members writable");
	CHECK(ioc(MIRVOL_IOC_ASSEMBLE, &as) == 0 &&
	      m->result == MIRVOL_MEMBER_ACTIVE, "assemble ro");
	CHECK(remove_volume(MIRVOL_IOC_REMOVE, c.volume_uuid) == 0 &&
	      dev_free(dev0) && dev_free(dev1), "remove ro");
	munmap(m, pg);
	close(fd0);
	close(fd1);
	free(before);
}

/* Random bytes into every command: errors only, nothing left behind. */
/*
 * A disk and a partition of it in one ASSEMBLE: the same storage given
 * twice, DUPLICATE_DEVICE for the later one as CREATE says (not
 * DEVICE_BUSY, the claim of the first member failing the second's).  The
 * disk, given first, is a stopped volume's member and is assembled.
 */
static void test_assemble_partition(void)
{
	struct blkpg_partition part = {
		.pno = 1, .start = 8 << 20, .length = 4 << 20,
	};
	struct blkpg_ioctl_arg arg = {
		.op = BLKPG_ADD_PARTITION,
		.datalen = sizeof(part), .data = &part,
	};
	struct mirvol_assemble_member m[2];
	struct mirvol_assemble as = { 0 };
	int fd1 = open_dev(dev1, O_RDWR), pfd, got;
	struct mirvol_create c;
	char node[64];

	create_init(&c, "abuse-asmpart", fd1, -1);
	c.hdr.flags = MIRVOL_CREATE_F_ASSUME_CLEAN;
	CHECK(ioc(MIRVOL_IOC_CREATE, &c) == 0, "create abuse-asmpart over %s",
	      dev1);
	CHECK(remove_volume(MIRVOL_IOC_STOP, c.volume_uuid) == 0,
	      "stop abuse-asmpart");
	CHECK(ioctl(fd1, BLKPG, &arg) == 0, "partition 1 of %s", dev1);
	snprintf(node, sizeof(node), "%sp1", dev1);
	pfd = open_when_there(node);
	CHECK(pfd >= 0, "open %s", node);
	memset(m, 0, sizeof(m));
	m[0].fd = fd1;
	m[1].fd = pfd;
	as.nr_members = 2;
	as.members_ptr = (uintptr_t)m;
	got = ioc(MIRVOL_IOC_ASSEMBLE, &as);
	CHECK(m[0].result == MIRVOL_MEMBER_ACTIVE,
	      "assemble of a disk and its partition: the disk's result %u reason %u",
	      m[0].result, m[0].reason);
	CHECK(m[1].result == MIRVOL_MEMBER_REFUSED &&
	      m[1].reason == MIRVOL_R_DUPLICATE_DEVICE,
	      "assemble of a disk and its partition: the partition's result %u reason %u (want %u), errno %d",
	      m[1].result, m[1].reason, MIRVOL_R_DUPLICATE_DEVICE, got);
	CHECK(remove_volume(MIRVOL_IOC_REMOVE, c.volume_uuid) == 0,
	      "remove abuse-asmpart");
	if (pfd >= 0)
		close(pfd);
	arg.op = BLKPG_DEL_PARTITION;
	CHECK(ioctl(fd1, BLKPG, &arg) == 0, "partition 1 of %s deleted", dev1);
	CHECK(dev_free(dev1), "%s free after abuse-asmpart", dev1);
	close(fd1);
}

static void test_random(void)
{
	static const unsigned long cmds[] = {
		MIRVOL_IOC_VERSION, MIRVOL_IOC_CREATE, MIRVOL_IOC_REMOVE,
		MIRVOL_IOC_LIST, MIRVOL_IOC_INFO, MIRVOL_IOC_ADD_PLEX,
		MIRVOL_IOC_BREAK_PLEX, MIRVOL_IOC_REMOVE_PLEX,
		MIRVOL_IOC_SET_PLEX, MIRVOL_IOC_OP_STATUS, MIRVOL_IOC_OP_WAIT,
		MIRVOL_IOC_OP_CANCEL, MIRVOL_IOC_ASSEMBLE, MIRVOL_IOC_STOP,
		MIRVOL_IOC_RENAME, MIRVOL_IOC_OP_LIST,
	};
	unsigned int before = nr_volumes(), i, ok = 0;
	unsigned char buf[4096];

	srandom(1234);
	for (i = 0; i < 30000; i++) {
		unsigned long cmd = cmds[i % ARRAY_SIZE(cmds)];
		size_t k;

		for (k = 0; k < sizeof(buf); k++)
			buf[k] = random();
		if (i & 1)	/* mostly zero, a few random bytes */
			for (k = 0; k < sizeof(buf); k++)
				if (random() % 16)
					buf[k] = 0;
		if (cmd == MIRVOL_IOC_OP_WAIT)
			((struct mirvol_op *)buf)->timeout_ms = 1;
		if (!ioc(cmd, buf))
			ok++;
	}
	CHECK(nr_volumes() == before,
	      "30000 random commands created no volume (%u accepted)", ok);
	CHECK(dev_free(dev0) && dev_free(dev1),
	      "random commands left the devices free");
}

/* Without CAP_SYS_ADMIN: EPERM and ACCESS_DENIED. */
static void test_unprivileged(void)
{
	pid_t pid = fork();
	int status;

	if (!pid) {
		struct mirvol_version v = { 0 };

		if (setgid(65534) || setuid(65534))
			_exit(3);
		if (ioctl(ctl, MIRVOL_IOC_VERSION, &v) == 0)
			_exit(1);
		_exit(errno == EPERM && v.hdr.reason ==
		      MIRVOL_R_ACCESS_DENIED ? 0 : 2);
	}
	waitpid(pid, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "an unprivileged caller gets EPERM / ACCESS_DENIED (status %d)",
	      WEXITSTATUS(status));
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: %s DEV0 DEV1 TINYDEV\n", argv[0]);
		return 2;
	}
	dev0 = argv[1];
	dev1 = argv[2];
	tiny = argv[3];
	ctl = open(MIRVOL_CONTROL_PATH, O_RDWR | O_CLOEXEC);
	if (ctl < 0) {
		perror(MIRVOL_CONTROL_PATH);
		return 2;
	}
	test_version();
	test_create();
	test_lookups();
	test_readonly();
	test_assemble_partition();
	test_random();
	test_unprivileged();
	printf("%s: %d failed\n", argv[0], failures);
	return failures ? 1 : 0;
}
