// SPDX-License-Identifier: GPL-2.0
/*
 * mirvolctl: the control device /dev/mirvol-control and its ioctls.
 *
 * Every ioctl argument starts with struct mirvol_ioc_header; the kernel
 * writes a reason code into it on failure whenever it could read the
 * argument.  When it did not (EFAULT, or ENOTTY from something that is not
 * mirvol), the reason is derived from errno and the error line says so.
 *
 * Copyright (C) 2026 The mirvol authors
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "mirvolctl.h"

#define MODULE_WAIT_S		5.0	/* for the node after modprobe */
#define MKNOD_AFTER_S		1.0	/* then create it ourselves */
#define SYSFS_CONTROL_DEV	"/sys/class/misc/" MIRVOL_CONTROL_NAME "/dev"

/* MIRVOLCTL_CONTROL overrides the path (tests, unusual /dev layouts). */
static const char *control_path(void)
{
	const char *p = getenv("MIRVOLCTL_CONTROL");

	return p && *p ? p : MIRVOL_CONTROL_PATH;
}

/* Whether the control device is there (the module is loaded). */
bool ctl_present(void)
{
	return !access(control_path(), F_OK);
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* Run "modprobe mirvol" with its output discarded.  Return: its status. */
static int run_modprobe(void)
{
	static const char *const paths[] = {
		"/sbin/modprobe", "/usr/sbin/modprobe", "/bin/modprobe",
		"/usr/bin/modprobe",
	};
	int status;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);
		size_t i;

		if (null >= 0) {
			dup2(null, STDIN_FILENO);
			dup2(null, STDOUT_FILENO);
			dup2(null, STDERR_FILENO);
			if (null > STDERR_FILENO)
				close(null);
		}
		for (i = 0; i < ARRAY_SIZE(paths); i++)
			execl(paths[i], "modprobe", "-q", "mirvol",
			      (char *)NULL);
		execlp("modprobe", "modprobe", "-q", "mirvol", (char *)NULL);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* The misc device's number from sysfs.  Return: 0 when known. */
static int sysfs_control_dev(dev_t *dev)
{
	unsigned int maj, min;

	if (mv_sysfs_devnum(SYSFS_CONTROL_DEV, &maj, &min))
		return -1;
	*dev = makedev(maj, min);
	return 0;
}

/*
 * After modprobe: wait for udev (or devtmpfs) to create the node; if it
 * does not, but the module registered the misc device, create the node.
 */
static int wait_for_node(const char *path)
{
	double start = mv_now();
	bool tried_mknod = false;
	dev_t dev;

	for (;;) {
		int fd = open(path, O_RDWR | O_CLOEXEC);

		if (fd >= 0 || errno != ENOENT)
			return fd;
		if (mv_now() - start >= MODULE_WAIT_S)
			return -1;
		if (!tried_mknod && mv_now() - start >= MKNOD_AFTER_S &&
		    !sysfs_control_dev(&dev)) {
			tried_mknod = true;
			if (mknod(path, S_IFCHR | 0600, dev) && errno != EEXIST)
				return -1;
			continue;
		}
		sleep_ms(50);
	}
}

/* The module's feature bits, as the last ctl_open() read them. */
static u64 module_features;

/*
 * Refuse to talk to a module of another ABI major version: its structs may
 * differ.  Minor versions only add features.
 */
static int check_abi(int fd, const char *path)
{
	struct mirvol_version v;
	struct mv_status st;

	memset(&v, 0, sizeof(v));
	if (ctl_call(fd, MIRVOL_IOC_VERSION, &v, &st)) {
		ctl_report(&st, "%s: version query", path);
		close(fd);
		return -1;
	}
	if (v.abi_major != MIRVOL_ABI_MAJOR) {
		mv_err(MIRVOL_R_NOT_SUPPORTED,
		       "the mirvol module speaks ABI %u.%u, this mirvolctl %u.%u",
		       v.abi_major, v.abi_minor, MIRVOL_ABI_MAJOR,
		       MIRVOL_ABI_MINOR);
		close(fd);
		return -1;
	}
	module_features = v.features;
	return fd;
}

/* Whether the open module has a feature (MIRVOL_FEAT_*). */
bool ctl_has(u64 feature)
{
	return (module_features & feature) == feature;
}

/**
 * ctl_need - check that the module has a feature before using it
 * @feature: MIRVOL_FEAT_*
 * @what: what the feature is, for the error line
 *
 * An older module would refuse the new fields and flags as reserved bits
 * (INVALID_ARGUMENT) or not know the ioctl (ENOTTY): say why instead.
 *
 * Return: 0, or -1 (printed) when the open module lacks @feature.
 */
int ctl_need(u64 feature, const char *what)
{
	if (ctl_has(feature))
		return 0;
	mv_err(MIRVOL_R_NOT_SUPPORTED,
	       "the mirvol module has no %s; it is older than this mirvolctl (ABI %u.%u)",
	       what, MIRVOL_ABI_MAJOR, MIRVOL_ABI_MINOR);
	return -1;
}

/**
 * ctl_open - open the control device, loading the module if needed
 *
 * Return: the fd, or -1 with the error printed.
 */
int ctl_open(void)
{
	const char *path = control_path();
	int fd, err;
	dev_t dev;

	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		bool loaded = run_modprobe() == 0;

		if (loaded || !sysfs_control_dev(&dev))
			fd = wait_for_node(path);
		else
			errno = ENOENT;
	}
	if (fd >= 0)
		return check_abi(fd, path);
	err = errno;
	if (err == ENOENT)
		mv_err(MIRVOL_R_NOT_SUPPORTED,
		       "%s: %s; is the mirvol module available?", path,
		       strerror(err));
	else
		mv_err_errno(mv_errno_reason(err), err, "%s", path);
	return -1;
}

void ctl_close(int fd)
{
	if (fd >= 0)
		close(fd);
}

/**
 * ctl_call - issue one command
 * @fd: the control device
 * @req: MIRVOL_IOC_*
 * @arg: its argument, starting with struct mirvol_ioc_header
 * @st: on failure, why
 *
 * Return: 0, or -1 with @st filled in (nothing printed).
 */
int ctl_call(int fd, unsigned long req, void *arg, struct mv_status *st)
{
	struct mirvol_ioc_header *hdr = arg;

	hdr->reason = MIRVOL_R_NONE;
	memset(st, 0, sizeof(*st));
	if (ioctl(fd, req, arg) == 0)
		return 0;
	st->err = errno;
	st->reason = hdr->reason;
	if (st->reason == MIRVOL_R_NONE) {
		st->reason = mv_errno_reason(st->err);
		st->from_errno = true;
	}
	return -1;
}

/**
 * ctl_report - print the error line of a failed command
 * @st: as filled in by ctl_call()
 * @fmt: context: what was being done to what
 */
void ctl_report(const struct mv_status *st, const char *fmt, ...)
{
	char ctx[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ctx, sizeof(ctx), fmt, ap);
	va_end(ap);
	if (st->from_errno)
		mv_err(st->reason, "%s%s%s (the module gave no reason code)",
		       ctx, *ctx ? ": " : "", strerror(st->err));
	else if (st->reason == MIRVOL_R_IO_ERROR)
		mv_err(st->reason, "%s%s%s: %s", ctx, *ctx ? ": " : "",
		       mv_reason_text(st->reason), strerror(st->err));
	else
		mv_err_reason(st->reason, "%s", ctx);
}

/* MIRVOL_IOC_VERSION.  Return: 0 or -1 (printed). */
int ctl_version(int fd, struct mirvol_version *v)
{
	struct mv_status st;

	memset(v, 0, sizeof(*v));
	if (ctl_call(fd, MIRVOL_IOC_VERSION, v, &st)) {
		ctl_report(&st, "version query");
		return -1;
	}
	return 0;
}

/**
 * ctl_list - the UUIDs of all volumes
 * @fd: the control device
 * @uuids: receives a malloc()ed array (NULL when there are none)
 * @count: receives its length
 *
 * Return: 0 or -1 (printed).
 */
int ctl_list(int fd, u8 (**uuids)[MIRVOL_UUID_LEN], size_t *count)
{
	u8 (*buf)[MIRVOL_UUID_LEN] = NULL;
	struct mirvol_list l;
	struct mv_status st;
	u32 cap = 0;
	int tries;

	for (tries = 0; tries < 8; tries++) {
		memset(&l, 0, sizeof(l));
		l.capacity = cap;
		l.uuids_ptr = (u64)(uintptr_t)buf;
		if (ctl_call(fd, MIRVOL_IOC_LIST, &l, &st)) {
			ctl_report(&st, "listing volumes");
			free(buf);
			return -1;
		}
		if (l.count <= cap) {
			*uuids = l.count ? buf : NULL;
			if (!l.count)
				free(buf);
			*count = l.count;
			return 0;
		}
		/* Room for a few more, in case volumes appear meanwhile. */
		free(buf);
		cap = l.count + 8;
		buf = calloc(cap, MIRVOL_UUID_LEN);
		if (!buf) {
			mv_err_errno(MIRVOL_R_NO_MEMORY, ENOMEM,
				     "listing volumes");
			return -1;
		}
	}
	free(buf);
	mv_err(MIRVOL_R_INVALID_ARGUMENT,
	       "listing volumes: the number of volumes keeps changing");
	return -1;
}

/**
 * ctl_op_list - the ids of the operations the module keeps, oldest first
 * @fd: the control device
 * @ids: receives a malloc()ed array, NULL when there are none
 * @count: receives its length
 *
 * Return: 0 or -1 (printed).
 */
int ctl_op_list(int fd, u64 **ids, size_t *count)
{
	struct mirvol_op_list l;
	struct mv_status st;
	u64 *buf = NULL;
	u32 cap = 0;
	int tries;

	for (tries = 0; tries < 8; tries++) {
		memset(&l, 0, sizeof(l));
		l.capacity = cap;
		l.ids_ptr = (u64)(uintptr_t)buf;
		if (ctl_call(fd, MIRVOL_IOC_OP_LIST, &l, &st)) {
			ctl_report(&st, "listing operations");
			free(buf);
			return -1;
		}
		if (l.count <= cap) {
			*ids = l.count ? buf : NULL;
			if (!l.count)
				free(buf);
			*count = l.count;
			return 0;
		}
		free(buf);
		cap = l.count + 8;
		buf = calloc(cap, sizeof(*buf));
		if (!buf) {
			mv_err_errno(MIRVOL_R_NO_MEMORY, ENOMEM,
				     "listing operations");
			return -1;
		}
	}
	free(buf);
	mv_err(MIRVOL_R_INVALID_ARGUMENT,
	       "listing operations: the number keeps changing");
	return -1;
}

/* MIRVOL_IOC_INFO.  Return: 0 or -1 with @st filled in (not printed). */
int ctl_info(int fd, const u8 uuid[MIRVOL_UUID_LEN], struct mirvol_info *info,
	     struct mv_status *st)
{
	memset(info, 0, sizeof(*info));
	memcpy(info->volume_uuid, uuid, MIRVOL_UUID_LEN);
	return ctl_call(fd, MIRVOL_IOC_INFO, info, st);
}

/**
 * ctl_op - MIRVOL_IOC_OP_STATUS, OP_WAIT or OP_CANCEL
 * @fd: the control device
 * @req: which
 * @id: the operation
 * @timeout_ms: OP_WAIT only, 0 = no limit
 * @info: receives the operation's state (also on OP_WAIT timeout)
 * @st: on failure, why
 *
 * Return: 0 or -1 with @st filled in (not printed).
 */
int ctl_op(int fd, unsigned long req, u64 id, u32 timeout_ms,
	   struct mirvol_op_info *info, struct mv_status *st)
{
	struct mirvol_op op;
	int ret;

	memset(&op, 0, sizeof(op));
	op.op_id = id;
	op.timeout_ms = req == MIRVOL_IOC_OP_WAIT ? timeout_ms : 0;
	ret = ctl_call(fd, req, &op, st);
	*info = op.info;
	return ret;
}
