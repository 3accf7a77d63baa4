// SPDX-License-Identifier: GPL-2.0
/*
 * plex-ioctl: send one plex command to /dev/mirvol-control as it is,
 * without mirvolctl's resolution of names, indexes and paths, so that the
 * kernel's own answer can be checked (an unknown plex, an unknown volume).
 *
 * Usage: plex-ioctl break-plex|remove-plex|set-plex VOLUME_UUID PLEX_UUID
 *        plex-ioctl add-plex VOLUME_UUID DEV
 *   set-plex sets the boot flag; add-plex opens DEV and adds it (the
 *   kernel's own checks, without mirvolctl's stacking checks).  Prints
 *   "ok", or the errno's name and the reason code's number, e.g.
 *   "ENOENT 2"; exits 0 either way, 2 on a usage error or when the
 *   control device cannot be opened.
 *
 * Copyright (C) 2026 The mirvol authors
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/mirvol.h>

/* A canonical UUID, 8-4-4-4-12 hex digits.  Return: 0 or -1. */
static int parse_uuid(const char *s, __u8 *uuid)
{
	unsigned int i, b = 0, v;

	if (strlen(s) != 36)
		return -1;
	for (i = 0; i < 36; ) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i++] != '-')
				return -1;
			continue;
		}
		if (sscanf(s + i, "%2x", &v) != 1)
			return -1;
		uuid[b++] = (__u8)v;
		i += 2;
	}
	return 0;
}

/* ADD_PLEX of the device @path to the volume @uuid. */
static int add_plex(const char *uuid, const char *path)
{
	struct mirvol_add_plex a;
	int ctl, fd;

	memset(&a, 0, sizeof(a));
	if (parse_uuid(uuid, a.volume_uuid))
		return 2;
	fd = open(path, O_RDWR | O_CLOEXEC);
	ctl = open(MIRVOL_CONTROL_PATH, O_RDWR | O_CLOEXEC);
	if (fd < 0 || ctl < 0) {
		perror(fd < 0 ? path : MIRVOL_CONTROL_PATH);
		return 2;
	}
	a.fd = fd;
	if (ioctl(ctl, MIRVOL_IOC_ADD_PLEX, &a))
		printf("%s %u\n", strerrorname_np(errno), a.hdr.reason);
	else
		printf("ok\n");
	close(ctl);
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	struct mirvol_plex_ref p;
	unsigned long cmd;
	int ctl;

	if (argc == 4 && !strcmp(argv[1], "add-plex")) {
		if (add_plex(argv[2], argv[3]) == 2)
			goto usage;
		return 0;
	}
	memset(&p, 0, sizeof(p));
	if (argc != 4 || parse_uuid(argv[2], p.volume_uuid) ||
	    parse_uuid(argv[3], p.plex_uuid))
		goto usage;
	if (!strcmp(argv[1], "break-plex")) {
		cmd = MIRVOL_IOC_BREAK_PLEX;
	} else if (!strcmp(argv[1], "remove-plex")) {
		cmd = MIRVOL_IOC_REMOVE_PLEX;
	} else if (!strcmp(argv[1], "set-plex")) {
		cmd = MIRVOL_IOC_SET_PLEX;
		p.hdr.flags = MIRVOL_SET_PLEX_F_BOOT;
	} else {
		goto usage;
	}
	ctl = open(MIRVOL_CONTROL_PATH, O_RDWR | O_CLOEXEC);
	if (ctl < 0) {
		perror(MIRVOL_CONTROL_PATH);
		return 2;
	}
	if (ioctl(ctl, cmd, &p))
		printf("%s %u\n", strerrorname_np(errno), p.hdr.reason);
	else
		printf("ok\n");
	close(ctl);
	return 0;
usage:
	fprintf(stderr, "usage: %s break-plex|remove-plex|set-plex VOLUME_UUID PLEX_UUID\n"
		"       %s add-plex VOLUME_UUID DEV\n", argv[0], argv[0]);
	return 2;
}
