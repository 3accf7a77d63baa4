/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mirvolctl: declarations shared by the tool's source files.
 *
 * Conventions: functions that can fail print exactly one error line
 * (mv_err() and friends) and return -1; their callers only pass the
 * failure up.  Commands return the process exit status (MV_EXIT_*).
 *
 * Copyright (C) 2026 The mirvol authors
 */
#ifndef _MIRVOLCTL_H
#define _MIRVOLCTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <stdio.h>

#include "mirvol_user_compat.h"
#include <linux/mirvol.h>

#define MIRVOLCTL_VERSION	"1.0.0"

enum {
	MV_EXIT_OK	= 0,
	MV_EXIT_FAIL	= 1,
	MV_EXIT_USAGE	= 2,
	MV_EXIT_INTR	= 130,
};

#define MV_UUID_STR_LEN	37	/* 36 characters and a NUL */

/* The largest bitmap region: 2^31 sectors in mirvol_sb.bitmap_region. */
#define MV_BITMAP_MAX_REGION	(1ULL << 40)

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#endif

#define __printf(a, b)	__attribute__((format(printf, a, b)))

/* A short name produced on the fly, e.g. "REASON_99"; use as .s. */
struct mv_name {
	char s[32];
};

/* ---- mirvolctl.c: commands and usage ---------------------------------- */

struct mv_command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *synopsis;	/* after "mirvolctl NAME " */
	const char *summary;
	const char *options;	/* option help, may be NULL */
};

/* The command being run: its name prefixes every error line. */
extern const struct mv_command *mv_cmd;

int mv_usage(const char *fmt, ...) __printf(1, 2);
int mv_help(void);

/*
 * Parse one option of the current command's getopt_long() loop that is
 * common to every command (--help, unknown options, missing arguments).
 * Return: -1 when @c is not such an option, else the exit status to
 * return at once.
 */
int mv_common_opt(int c, char **argv);

/* ---- util.c: errors, names, parsing, formatting ------------------------ */

void mv_err(unsigned int reason, const char *fmt, ...) __printf(2, 3);
void mv_err_errno(unsigned int reason, int errnum, const char *fmt, ...)
	__printf(3, 4);
void mv_err_reason(unsigned int reason, const char *fmt, ...) __printf(2, 3);
void mv_warn(const char *fmt, ...) __printf(1, 2);

struct mv_name mv_reason_name(unsigned int reason);
const char *mv_reason_text(unsigned int reason);
unsigned int mv_errno_reason(int errnum);

struct mv_name mv_vol_state_name(u32 state);
struct mv_name mv_plex_state_name(u32 state);
struct mv_name mv_op_type_name(u32 type);
struct mv_name mv_op_state_name(u32 state);
void mv_plex_flags_str(u32 flags, char *buf, size_t len);

int mv_uuid_parse(const char *s, u8 uuid[MIRVOL_UUID_LEN]);
void mv_uuid_format(const u8 uuid[MIRVOL_UUID_LEN], char out[MV_UUID_STR_LEN]);
bool mv_uuid_is_zero(const u8 uuid[MIRVOL_UUID_LEN]);

int mv_parse_u64(const char *s, u64 *val);
int mv_parse_seconds(const char *s, double *val);
int mv_parse_size(const char *s, u64 *val);
bool mv_region_size_valid(u64 bytes);
int mv_parse_speed(const char *s, u32 *kib);
int mv_parse_volume_node(const char *s, u32 *index);

void mv_human_size(u64 bytes, char *buf, size_t len);
unsigned int mv_percent(u64 part, u64 whole);

int mv_sysfs_devnum(const char *path, unsigned int *major, unsigned int *minor);
int mv_blkdev_path(u32 major, u32 minor, char *buf, size_t len);
bool mv_stacked_on(unsigned int maj, unsigned int min,
		   unsigned int dmajor, unsigned int dminor, int depth);
double mv_now(void);

/* ---- json.c: a small streaming JSON writer ----------------------------- */

#define JSON_MAX_DEPTH	16

struct json {
	FILE *f;
	int depth;
	bool has_items[JSON_MAX_DEPTH];
	bool after_key;
	bool compact;
};

void json_init(struct json *j, FILE *f);
void json_init_line(struct json *j, FILE *f);
void json_finish(struct json *j);
void json_obj_begin(struct json *j);
void json_obj_end(struct json *j);
void json_arr_begin(struct json *j);
void json_arr_end(struct json *j);
void json_key(struct json *j, const char *key);
void json_str(struct json *j, const char *s);
void json_strn(struct json *j, const char *s, size_t len);
void json_u64(struct json *j, u64 v);
void json_i64(struct json *j, int64_t v);
void json_double(struct json *j, double v);
void json_bool(struct json *j, bool v);
void json_null(struct json *j);
void json_uuid(struct json *j, const u8 uuid[MIRVOL_UUID_LEN]);
void json_escape(FILE *f, const char *s, size_t len);

/* ---- ctl.c: the control device and its ioctls -------------------------- */

/* How an ioctl failed: the kernel's reason, or one derived from errno. */
struct mv_status {
	unsigned int reason;
	int err;		/* errno of the failed ioctl */
	bool from_errno;	/* the kernel gave no reason code */
};

int ctl_open(void);
bool ctl_present(void);
void ctl_close(int fd);
int ctl_call(int fd, unsigned long req, void *arg, struct mv_status *st);
void ctl_report(const struct mv_status *st, const char *fmt, ...)
	__printf(2, 3);
bool ctl_has(u64 feature);
int ctl_need(u64 feature, const char *what);
int ctl_version(int fd, struct mirvol_version *v);
int ctl_list(int fd, u8 (**uuids)[MIRVOL_UUID_LEN], size_t *count);
int ctl_op_list(int fd, u64 **ids, size_t *count);
int ctl_info(int fd, const u8 uuid[MIRVOL_UUID_LEN], struct mirvol_info *info,
	     struct mv_status *st);
int ctl_op(int fd, unsigned long req, u64 id, u32 timeout_ms,
	   struct mirvol_op_info *info, struct mv_status *st);

/* ---- resolve.c: VOL and PLEX arguments ---------------------------------- */

struct mv_vols {
	size_t n;
	struct mirvol_info *v;
};

int vols_load(int fd, struct mv_vols *vols);
void vols_free(struct mv_vols *vols);
int vols_match(const struct mv_vols *vols, const char *arg);
int resolve_vol(int fd, const char *arg, struct mirvol_info *info);
int resolve_vol_uuid(int fd, const u8 uuid[MIRVOL_UUID_LEN],
		     struct mirvol_info *info);
int plex_match(const struct mirvol_info *info, const char *arg);
int resolve_plex(const struct mirvol_info *info, const char *arg);
void vol_device(const struct mirvol_info *info, char *buf, size_t len);
bool holder_of(int fd, dev_t dev, char *buf, size_t len);
enum mv_holder {
	MV_HOLDER_UNKNOWN,
	MV_HOLDER_VOLUME,
	MV_HOLDER_SYSFS,
};
enum mv_holder who_holds(const char *path, char *buf, size_t len);
bool vol_has_device(const struct mirvol_info *info);
bool vol_waiting(const struct mirvol_info *info);

/* ---- show.c: list, show, op output -------------------------------------- */

/* A volume and its running operation, as printed. */
struct vol_view {
	struct mirvol_info info;
	bool has_op;
	struct mirvol_op_info op;
	char peer_name[MIRVOL_NAME_LEN];	/* show: the split peer's */
};

void op_print_text(const struct mirvol_op_info *op);
void op_print_json(struct json *j, const struct mirvol_op_info *op);
void op_print_doc(const struct mirvol_op_info *op);
int view_load(int fd, const u8 uuid[MIRVOL_UUID_LEN], struct vol_view *vv);
void vol_json(struct json *j, const struct vol_view *vv);
u32 nr_plexes(const struct mirvol_info *v);
u32 present_plexes(const struct mirvol_info *v);
int cmd_list(int argc, char **argv);
int cmd_show(int argc, char **argv);
int cmd_status(int argc, char **argv);

/* ---- progress.c: waiting for operations ---------------------------------- */

enum mv_wait_result {
	MV_WAIT_ENDED,		/* the operation ended, @info is final */
	MV_WAIT_TIMEOUT,	/* the caller's time limit passed */
	MV_WAIT_INTERRUPTED,	/* SIGINT or SIGTERM */
	MV_WAIT_ERROR,		/* an ioctl failed, error printed */
};

enum mv_wait_result op_wait(int fd, u64 id, double timeout_s,
			    struct mirvol_op_info *info);
int op_result(const struct mirvol_op_info *op);
int op_wait_cmd(int fd, u64 id, struct mirvol_op_info *info);
int op_interrupted(u64 id, bool json);
int op_fetch(int fd, u64 id, bool wait, struct mirvol_op_info *info,
	     bool *have);
int op_json_result(int fd, u64 id, bool wait);

/* ---- examine.c, assemble.c, cmds.c, sync.c, manage.c: commands --------- */

struct mirvol_md;
enum mirvol_sb_defect;

struct mv_member {
	int slot;			/* current slot, -1 if none */
	unsigned int reason;		/* MIRVOL_R_NONE when valid */
	int defects[MIRVOL_SB_SLOTS];	/* enum mirvol_sb_defect */
	u64 dev_bytes;
	void *slots;			/* both raw slots (aligned) */
};

int member_read(int fd, const char *path, struct mv_member *m, bool quiet);
void member_free(struct mv_member *m);
int member_md(const struct mv_member *m, struct mirvol_md *md);

int cmd_examine(int argc, char **argv);
int cmd_assemble(int argc, char **argv);

/* ---- monitor.c ----------------------------------------------------------- */

int cmd_monitor(int argc, char **argv);
int cmd_create(int argc, char **argv);
int cmd_remove(int argc, char **argv);
int cmd_stop(int argc, char **argv);
int cmd_rename(int argc, char **argv);
int cmd_break_plex(int argc, char **argv);
int cmd_remove_plex(int argc, char **argv);
int cmd_add_plex(int argc, char **argv);
int cmd_merge_plex(int argc, char **argv);
int cmd_set_plex(int argc, char **argv);
int cmd_fail(int argc, char **argv);
int cmd_offline(int argc, char **argv);
int cmd_online(int argc, char **argv);
int cmd_readd(int argc, char **argv);
int cmd_replace(int argc, char **argv);
int cmd_set(int argc, char **argv);
int cmd_op(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_repair(int argc, char **argv);
int cmd_resync(int argc, char **argv);
int cmd_version(int argc, char **argv);
int cmd_wipe(int argc, char **argv);

int bitmap_opts(const char *bitmap, const char *region, u32 *on, u64 *bytes);
int async_result(int fd, u64 op_id, bool wait, bool json,
		 struct mirvol_op_info *info);
bool busy_retry(const struct mv_status *st, int *tries);
bool busy_retry_devs(int ctl, const struct mv_status *st, int *tries,
		     const int *fds, int n);
bool busy_report(int ctl, const struct mv_status *st, const int *fds, int n,
		 char **devs);
bool stacked_on_volume(const struct mirvol_info *info, int dev_fd,
		       const char *dev, const char *doing);
int open_device(const char *path, int flags);
int check_name(const char *name);
int refuse_signatures(int fd, const char *path);
int wipe_devices(const char *const *paths, int n);

#endif /* _MIRVOLCTL_H */
