// SPDX-License-Identifier: GPL-2.0
/*
 * mirvolctl monitor: follow the volumes and report what happens to them,
 * one line (or JSON object) per event, as mdadm --monitor does for md.
 *
 * The module sends a "change" uevent on a volume's disk for every state
 * change, resync start and end and operation start and end, and one on
 * the control device when assembly refuses a member (split brain, corrupt
 * or unknown metadata).  The monitor listens to the kernel's uevents
 * (netlink, no udev needed) and on each one of a volume reloads every
 * volume's INFO and compares it with what it saw before: the plex and
 * volume events come from that comparison, so an event is never reported
 * from a stale view; resync, operation and assembly events come from the
 * uevents themselves.  Every 5 s without a uevent it compares anyway
 * (lost uevents: the socket's buffer overflowed).
 *
 * Copyright (C) 2026 The mirvol authors
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/netlink.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "mirvolctl.h"

enum {
	MON_JSON = 'j',
	MON_HELP = 'h',
	MON_PROGRAM = 0x100,
	MON_ONESHOT,
};

/* What one event says; unset fields are NULL or -1. */
struct mon_event {
	const char *event;
	const char *volume;
	const u8 *uuid;
	char vol_state[32];	/* "" when unknown */
	int plex;
	const u8 *plex_uuid;
	char plex_state[32];	/* "" when not about a plex */
	const char *device;
	const char *op;		/* "ID:TYPE[:STATE]" from the uevent */
	const char *reason;
};

struct mon {
	bool json;
	const char *program;
	struct mv_vols vols;	/* the view the last comparison left */
	bool have_vols;
};

static volatile sig_atomic_t mon_stop;

static void mon_signal(int sig)
{
	(void)sig;
	mon_stop = 1;
}

static void mon_time(char *buf, size_t len, double *now)
{
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	*now = ts.tv_sec + ts.tv_nsec / 1e9;
	localtime_r(&ts.tv_sec, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
}

/* The op field "ID:TYPE[:STATE]" split; missing parts are "". */
static void mon_op_split(const char *op, char *id, char *type, char *state,
			 size_t len)
{
	const char *c1 = strchr(op, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;

	snprintf(id, len, "%.*s", c1 ? (int)(c1 - op) : (int)strlen(op), op);
	if (c1)
		snprintf(type, len, "%.*s", c2 ? (int)(c2 - c1 - 1) :
			 (int)strlen(c1 + 1), c1 + 1);
	else
		type[0] = 0;
	snprintf(state, len, "%s", c2 ? c2 + 1 : "");
}

static void mon_setenv(const char *key, const char *val)
{
	if (val && *val)
		setenv(key, val, 1);
	else
		unsetenv(key);
}

/* --program PROG EVENT VOLUME [PLEX]: run it, wait for it. */
static void mon_run_program(const struct mon *m, const struct mon_event *e)
{
	char plex[16] = "", us[MV_UUID_STR_LEN] = "", ps[MV_UUID_STR_LEN] = "";
	char id[32], type[32], state[32];
	pid_t pid;

	if (e->plex >= 0)
		snprintf(plex, sizeof(plex), "%d", e->plex);
	if (e->uuid)
		mv_uuid_format(e->uuid, us);
	if (e->plex_uuid)
		mv_uuid_format(e->plex_uuid, ps);
	mon_op_split(e->op ? e->op : "", id, type, state, sizeof(id));
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		mv_warn("monitor: cannot run %s: %s", m->program,
			strerror(errno));
		return;
	}
	if (pid == 0) {
		mon_setenv("MIRVOL_EVENT", e->event);
		mon_setenv("MIRVOL_VOLUME", e->volume);
		mon_setenv("MIRVOL_UUID", us);
		mon_setenv("MIRVOL_STATE", e->vol_state);
		mon_setenv("MIRVOL_PLEX", plex);
		mon_setenv("MIRVOL_PLEX_UUID", ps);
		mon_setenv("MIRVOL_PLEX_STATE", e->plex_state);
		mon_setenv("MIRVOL_DEVICE", e->device);
		mon_setenv("MIRVOL_OP_ID", id);
		mon_setenv("MIRVOL_OP_TYPE", type);
		mon_setenv("MIRVOL_OP_STATE", state);
		mon_setenv("MIRVOL_REASON", e->reason);
		execlp(m->program, m->program, e->event,
		       e->volume ? e->volume : "", plex[0] ? plex : NULL,
		       (char *)NULL);
		fprintf(stderr, "mirvolctl: monitor: cannot run %s: %s\n",
			m->program, strerror(errno));
		_exit(127);
	}
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

static void mon_emit(const struct mon *m, const struct mon_event *e)
{
	char when[32], id[32], type[32], state[32];
	double now;

	mon_time(when, sizeof(when), &now);
	mon_op_split(e->op ? e->op : "", id, type, state, sizeof(id));
	if (m->json) {
		struct json j;

		json_init_line(&j, stdout);
		json_obj_begin(&j);
		json_key(&j, "time");
		json_double(&j, now);
		json_key(&j, "event");
		json_str(&j, e->event);
		json_key(&j, "volume");
		e->volume ? json_str(&j, e->volume) : json_null(&j);
		json_key(&j, "uuid");
		e->uuid ? json_uuid(&j, e->uuid) : json_null(&j);
		json_key(&j, "state");
		e->vol_state[0] ? json_str(&j, e->vol_state) : json_null(&j);
		json_key(&j, "plex");
		e->plex >= 0 ? json_u64(&j, e->plex) : json_null(&j);
		json_key(&j, "plex_uuid");
		e->plex_uuid ? json_uuid(&j, e->plex_uuid) : json_null(&j);
		json_key(&j, "plex_state");
		e->plex_state[0] ? json_str(&j, e->plex_state) : json_null(&j);
		json_key(&j, "device");
		e->device ? json_str(&j, e->device) : json_null(&j);
		json_key(&j, "operation");
		if (id[0]) {
			json_obj_begin(&j);
			json_key(&j, "id");
			json_u64(&j, strtoull(id, NULL, 10));
			json_key(&j, "type");
			json_str(&j, type);
			json_key(&j, "state");
			state[0] ? json_str(&j, state) : json_null(&j);
			json_obj_end(&j);
		} else {
			json_null(&j);
		}
		json_key(&j, "reason");
		e->reason ? json_str(&j, e->reason) : json_null(&j);
		json_obj_end(&j);
		json_finish(&j);
	} else {
		printf("%s %s %s", when, e->event, e->volume ? e->volume : "-");
		if (e->plex >= 0)
			printf(" plex %d", e->plex);
		if (e->device)
			printf(" (%s)", e->device);
		if (e->plex_state[0])
			printf(": %s", e->plex_state);
		if (id[0])
			printf(" operation %s %s%s%s", id, type,
			       state[0] ? " " : "", state);
		if (e->reason)
			printf(" %s", e->reason);
		if (e->vol_state[0])
			printf("; volume %s", e->vol_state);
		putchar('\n');
	}
	fflush(stdout);
	if (m->program)
		mon_run_program(m, e);
}

static const struct mirvol_info *mon_find(const struct mv_vols *vols,
					  const u8 *uuid)
{
	size_t i;

	for (i = 0; i < vols->n; i++)
		if (!memcmp(vols->v[i].volume_uuid, uuid, MIRVOL_UUID_LEN))
			return &vols->v[i];
	return NULL;
}

static const struct mirvol_plex_info *
mon_find_plex(const struct mirvol_info *info, const u8 *uuid)
{
	u32 i;

	for (i = 0; info && i < info->nr_plexes && i < MIRVOL_MAX_PLEXES; i++)
		if (!memcmp(info->plexes[i].uuid, uuid, MIRVOL_UUID_LEN))
			return &info->plexes[i];
	return NULL;
}

static bool gone(u32 state)
{
	return state == MIRVOL_PLEX_FAILED || state == MIRVOL_PLEX_MISSING ||
	       state == MIRVOL_PLEX_OFFLINE;
}

/* The event of a plex going from @old (0: not there) to @now. */
static const char *mon_plex_event(u32 old, u32 now)
{
	if (old == now)
		return NULL;
	switch (now) {
	case MIRVOL_PLEX_FAILED:
		return "plex-failed";
	case MIRVOL_PLEX_MISSING:
		return "plex-missing";
	case MIRVOL_PLEX_OFFLINE:
		return "plex-offline";
	case MIRVOL_PLEX_ACTIVE:
		return old == MIRVOL_PLEX_SYNCING || old == MIRVOL_PLEX_STALE ?
		       "plex-in-sync" : gone(old) ? "plex-returned" :
		       old ? NULL : "plex-added";
	default:	/* stale, syncing */
		return gone(old) ? "plex-returned" : old ? NULL : "plex-added";
	}
}

static const char *mon_vol_event(u32 old, u32 now)
{
	if (old == now)
		return NULL;
	switch (now) {
	case MIRVOL_VOLUME_DEGRADED:
		return "volume-degraded";
	case MIRVOL_VOLUME_FAILED:
		return "volume-failed";
	case MIRVOL_VOLUME_ONLINE:
		return "volume-online";
	default:
		return NULL;
	}
}

/* A volume's event: no plex. */
static void mon_vol_fill(struct mon_event *e, const struct mirvol_info *info)
{
	memset(e, 0, sizeof(*e));
	e->plex = -1;
	e->volume = info->name;
	e->uuid = info->volume_uuid;
	snprintf(e->vol_state, sizeof(e->vol_state), "%s",
		 mv_vol_state_name(info->state).s);
}

static void mon_plex_fill(struct mon_event *e, const struct mirvol_info *info,
			  const struct mirvol_plex_info *pi, char *dev,
			  size_t len)
{
	mon_vol_fill(e, info);
	e->plex = pi->index;
	e->plex_uuid = pi->uuid;
	snprintf(e->plex_state, sizeof(e->plex_state), "%s",
		 mv_plex_state_name(pi->state).s);
	e->device = NULL;
	if ((pi->dev_major || pi->dev_minor) &&
	    !mv_blkdev_path(pi->dev_major, pi->dev_minor, dev, len))
		e->device = dev;
}

/*
 * Compare @now with @old (NULL: report the problems of @now, as at start)
 * and report what changed.  A volume that starts (new, or offline before:
 * it waited for members) has its problems reported as at start, after
 * "volume-new": one started degraded (assemble --run, the last-resort
 * timer) gives plex-missing and volume-degraded, as mdadm --monitor
 * reports NewArray then DegradedArray.  One still offline (waiting for
 * members) gives "volume-new" only.
 */
static void mon_compare(const struct mon *m, const struct mv_vols *old,
			const struct mv_vols *now)
{
	char dev[64];
	size_t i;
	u32 k;

	for (i = 0; i < now->n; i++) {
		const struct mirvol_info *vi = &now->v[i];
		const struct mirvol_info *vo = old ? mon_find(old, vi->volume_uuid) : NULL;
		bool starts = vi->state != MIRVOL_VOLUME_OFFLINE &&
			      (!vo || vo->state == MIRVOL_VOLUME_OFFLINE);
		struct mon_event e;
		const char *ev;

		mon_vol_fill(&e, vi);
		if (old && !vo) {
			e.event = "volume-new";
			mon_emit(m, &e);
		}
		for (k = 0; k < vi->nr_plexes && k < MIRVOL_MAX_PLEXES; k++) {
			const struct mirvol_plex_info *pi = &vi->plexes[k];
			const struct mirvol_plex_info *po = mon_find_plex(vo, pi->uuid);

			if (!old || starts)
				ev = gone(pi->state) ? mon_plex_event(0, pi->state) : NULL;
			else if (!vo)
				ev = NULL;	/* waits for members: not news yet */
			else
				ev = mon_plex_event(po ? po->state : 0, pi->state);
			if (!ev)
				continue;
			mon_plex_fill(&e, vi, pi, dev, sizeof(dev));
			e.event = ev;
			mon_emit(m, &e);
		}
		for (k = 0; vo && k < vo->nr_plexes && k < MIRVOL_MAX_PLEXES; k++) {
			const struct mirvol_plex_info *po = &vo->plexes[k];

			if (mon_find_plex(vi, po->uuid))
				continue;
			mon_plex_fill(&e, vi, po, dev, sizeof(dev));
			e.plex_state[0] = 0;
			e.event = "plex-removed";
			mon_emit(m, &e);
		}
		mon_vol_fill(&e, vi);
		if (!old || starts)
			ev = vi->state != MIRVOL_VOLUME_ONLINE ?
			     mon_vol_event(0, vi->state) : NULL;
		else
			ev = vo ? mon_vol_event(vo->state, vi->state) : NULL;
		if (ev) {
			e.event = ev;
			mon_emit(m, &e);
		}
	}
	for (i = 0; old && i < old->n; i++) {
		struct mon_event e;

		if (mon_find(now, old->v[i].volume_uuid))
			continue;
		mon_vol_fill(&e, &old->v[i]);
		e.vol_state[0] = 0;
		e.event = "volume-removed";
		mon_emit(m, &e);
	}
}

/* Reload every volume and report the differences. */
static void mon_refresh(struct mon *m, int fd)
{
	struct mv_vols now;

	if (vols_load(fd, &now))
		return;		/* printed; the next event tries again */
	mon_compare(m, m->have_vols ? &m->vols : NULL, &now);
	if (m->have_vols)
		vols_free(&m->vols);
	m->vols = now;
	m->have_vols = true;
}

/* The value of KEY in a uevent's "KEY=value" strings, or NULL. */
static const char *uev_get(const char *buf, size_t len, const char *key)
{
	size_t kl = strlen(key);
	const char *p = buf, *end = buf + len;

	while (p < end) {
		size_t l = strnlen(p, end - p);

		if (l > kl && !strncmp(p, key, kl) && p[kl] == '=')
			return p + kl + 1;
		p += l + 1;
	}
	return NULL;
}

/* One uevent: refresh on a volume's, report resync/op/assembly ones. */
static void mon_uevent(struct mon *m, int fd, const char *buf, size_t len)
{
	const char *sub = uev_get(buf, len, "SUBSYSTEM");
	const char *devname = uev_get(buf, len, "DEVNAME");
	const char *ev = uev_get(buf, len, "MIRVOL_EVENT");
	struct mon_event e = { .plex = -1 };
	u8 uuid[MIRVOL_UUID_LEN];
	unsigned int maj, min;
	const char *us;
	char dev[64];
	bool started;

	if (!sub || !devname)
		return;
	if (!strcmp(sub, "misc") && !strcmp(devname, "mirvol-control") && ev) {
		/* Assembly refused a member: no volume to compare. */
		e.event = ev;
		e.volume = uev_get(buf, len, "MIRVOL_NAME");
		us = uev_get(buf, len, "MIRVOL_UUID");
		if (us && !mv_uuid_parse(us, uuid))
			e.uuid = uuid;
		us = uev_get(buf, len, "MIRVOL_DEVNUM");
		if (us && sscanf(us, "%u:%u", &maj, &min) == 2 &&
		    !mv_blkdev_path(maj, min, dev, sizeof(dev)))
			e.device = dev;
		e.reason = uev_get(buf, len, "MIRVOL_REASON");
		mon_emit(m, &e);
		return;
	}
	if (strcmp(sub, "block") || strncmp(devname, "mirvol", 6) ||
	    uev_get(buf, len, "PARTN"))
		return;
	/*
	 * A start before what the refresh finds (the resync may be over by
	 * then), an end after (the plexes it made active come first).
	 */
	started = ev && !strcmp(ev, "resync-started");
	if (!started)
		mon_refresh(m, fd);
	if (!ev || (!started && strcmp(ev, "resync-finished") &&
		    strcmp(ev, "operation-ended")))
		return;
	e.event = ev;
	e.volume = uev_get(buf, len, "MIRVOL_NAME");
	us = uev_get(buf, len, "MIRVOL_UUID");
	if (us && !mv_uuid_parse(us, uuid))
		e.uuid = uuid;
	us = uev_get(buf, len, "MIRVOL_STATE");
	snprintf(e.vol_state, sizeof(e.vol_state), "%s", us ? us : "");
	e.op = uev_get(buf, len, "MIRVOL_OP");
	mon_emit(m, &e);
	if (started)
		mon_refresh(m, fd);
	if (!strcmp(ev, "operation-ended") && e.op) {
		char id[32], type[32], state[32];

		mon_op_split(e.op, id, type, state, sizeof(id));
		if (!strcmp(state, "failed") &&
		    (!strcmp(type, "resync") || !strcmp(type, "add-plex") ||
		     !strcmp(type, "replace") || !strcmp(type, "merge-plex"))) {
			e.event = "resync-failed";
			mon_emit(m, &e);
		}
	}
}

static int mon_socket(void)
{
	struct sockaddr_nl sa = {
		.nl_family = AF_NETLINK,
		.nl_groups = 1,		/* the kernel's uevents */
	};
	int s, size = 4 << 20;

	s = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_KOBJECT_UEVENT);
	if (s < 0) {
		mv_err_errno(0, errno, "monitor: uevent socket");
		return -1;
	}
	/* Bursts of events (a resync of many volumes): room for them. */
	if (setsockopt(s, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)))
		setsockopt(s, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	if (bind(s, (struct sockaddr *)&sa, sizeof(sa))) {
		mv_err_errno(0, errno, "monitor: binding the uevent socket");
		close(s);
		return -1;
	}
	return s;
}

static int mon_loop(struct mon *m, int fd, int s)
{
	char buf[8192];

	while (!mon_stop) {
		struct pollfd p = { .fd = s, .events = POLLIN };
		ssize_t n;
		int r = poll(&p, 1, 5000);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			mv_err_errno(0, errno, "monitor: poll");
			return MV_EXIT_FAIL;
		}
		if (!r) {
			mon_refresh(m, fd);	/* lost uevents */
			continue;
		}
		n = recv(s, buf, sizeof(buf) - 1, MSG_DONTWAIT);
		if (n < 0) {
			if (errno == ENOBUFS)	/* overflowed: look again */
				mon_refresh(m, fd);
			continue;
		}
		buf[n] = 0;
		mon_uevent(m, fd, buf, n);
	}
	return MV_EXIT_OK;
}

int cmd_monitor(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "json", no_argument, NULL, MON_JSON },
		{ "program", required_argument, NULL, MON_PROGRAM },
		{ "oneshot", no_argument, NULL, MON_ONESHOT },
		{ "help", no_argument, NULL, MON_HELP },
		{ NULL, 0, NULL, 0 },
	};
	struct sigaction sa = { .sa_handler = mon_signal };
	struct mon m = { 0 };
	bool oneshot = false;
	int c, r, fd, s = -1;

	optind = 0;
	while ((c = getopt_long(argc, argv, ":jh", lo, NULL)) != -1) {
		switch (c) {
		case MON_JSON:
			m.json = true;
			break;
		case MON_PROGRAM:
			m.program = optarg;
			break;
		case MON_ONESHOT:
			oneshot = true;
			break;
		default:
			r = mv_common_opt(c, argv);
			if (r >= 0)
				return r;
		}
	}
	if (optind < argc)
		return mv_usage("unexpected argument '%s'", argv[optind]);
	/* The socket first: no event between the first look and it. */
	if (!oneshot) {
		s = mon_socket();
		if (s < 0)
			return MV_EXIT_FAIL;
	}
	fd = ctl_open();
	if (fd < 0) {
		if (s >= 0)
			close(s);
		return MV_EXIT_FAIL;
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGCHLD, SIG_DFL);
	/* What is wrong now, as mdadm --monitor reports degraded arrays. */
	mon_refresh(&m, fd);
	r = oneshot ? MV_EXIT_OK : mon_loop(&m, fd, s);
	if (m.have_vols)
		vols_free(&m.vols);
	ctl_close(fd);
	if (s >= 0)
		close(s);
	return r;
}
