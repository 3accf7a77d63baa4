// SPDX-License-Identifier: GPL-2.0
/*
 * crash-record: serve N nbd devices from memory and log, in one global
 * order, every step that changes what a power cut would leave on them.
 *
 *   crash-record -l LOG -c SOCKET -s BYTES [-S SEED] [-H PCT] [-M MS]
 *                /dev/nbdX...
 *   crash-record mark SOCKET TEXT     add a mark to the log
 *   crash-record quit SOCKET          disconnect the devices, write the
 *                                     log and exit
 *
 * Each device is one plex: a disk with a volatile write cache (the
 * devices advertise FLUSH and FUA).  One thread serves them all and
 * performs one request at a time; that order *is* the devices' history:
 *
 *   WRITE      the data is in the plex's cache (logged with its data)
 *   WRITE+FUA  the data is on the plex's medium
 *   FLUSH      everything the plex performed before is on its medium
 *
 * A request is replied to right after it is performed, so anything the
 * kernel learns of (a completion) precedes, in the log, whatever it does
 * next because of it, on any plex: a prefix of the log is a moment the
 * machine could have lost power at.  Marks sent on the control socket
 * ("mark TEXT", "ack BLOCK:SEQ ...") are logged when read, after every
 * request their sender waited for.
 *
 * To explore more interleavings, a FLUSH or FUA request is held back,
 * with probability PCT % (default 30), for up to MS ms (default 40)
 * while other plexes' requests go on: a slow cache flush on one disk.
 * A plex performs its own requests in order.
 *
 * Copyright (C) 2026 The mirvol authors
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <endian.h>
#include <linux/nbd.h>

#include "crash.h"

#define MAX_CLIENTS	16
#define LINE_MAX_LEN	65536

struct req {
	struct req *next;
	uint64_t arrival;
	uint64_t hold_until;	/* ms, 0: not held */
	uint32_t cmd;		/* NBD_CMD_* */
	uint32_t flags;		/* NBD_CMD_FLAG_* */
	uint64_t cookie;
	uint64_t from;
	uint32_t len;
	void *data;		/* WRITE payload */
};

struct plex {
	const char *dev;
	int sock;		/* our end of the socketpair, -1 when gone */
	pid_t child;		/* runs NBD_DO_IT */
	uint8_t *image;
	struct req *head, *tail;
};

struct client {
	int fd;
	size_t used;
	char buf[LINE_MAX_LEN];
};

static struct plex plexes[MAX_PLEXES];
static unsigned int nr_plexes;
static uint64_t plex_bytes;
static FILE *logf;
static const char *log_path;
static uint64_t arrivals, nr_entries, rnd_state;
static unsigned int hold_pct = 30, hold_max_ms = 40;
static struct client *clients[MAX_CLIENTS];
static int quit_fd = -1;

static void log_entry(uint32_t type, uint32_t plex, uint64_t offset,
		      const void *data, uint32_t len, uint32_t flags)
{
	struct log_ent e = {
		.type = type, .plex = plex, .offset = offset, .len = len,
		.flags = flags,
	};

	if (fwrite(&e, sizeof(e), 1, logf) != 1 ||
	    (len && fwrite(data, len, 1, logf) != 1))
		die("writing %s: %s", log_path, strerror(errno));
	nr_entries++;
}

static void read_full(int fd, void *buf, size_t len, const char *what)
{
	while (len) {
		ssize_t n = read(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			die("reading %s: %s", what,
			    n ? strerror(errno) : "connection closed");
		buf = (char *)buf + n;
		len -= (size_t)n;
	}
}

static void write_full(int fd, const void *buf, size_t len, const char *what)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			die("writing %s: %s", what, strerror(errno));
		buf = (const char *)buf + n;
		len -= (size_t)n;
	}
}

/* ---- the devices ---------------------------------------------------- */

/* The child that lends the kernel its socket and waits in NBD_DO_IT. */
static void run_child(struct plex *p, int sock)
{
	unsigned long flags = NBD_FLAG_HAS_FLAGS | NBD_FLAG_SEND_FLUSH |
			      NBD_FLAG_SEND_FUA;
	int fd = open(p->dev, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		die("%s: %s", p->dev, strerror(errno));
	if (ioctl(fd, NBD_CLEAR_SOCK) ||
	    ioctl(fd, NBD_SET_BLKSIZE, 512UL) ||
	    ioctl(fd, NBD_SET_SIZE, (unsigned long)plex_bytes) ||
	    ioctl(fd, NBD_SET_FLAGS, flags) ||
	    ioctl(fd, NBD_SET_SOCK, (unsigned long)sock))
		die("%s: setting up nbd: %s", p->dev, strerror(errno));
	if (ioctl(fd, NBD_DO_IT) && errno != EPIPE)
		fprintf(stderr, "%s: %s: NBD_DO_IT: %s\n", prog, p->dev,
			strerror(errno));
	ioctl(fd, NBD_CLEAR_SOCK);
	_exit(0);
}

static void start_plex(struct plex *p)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
		die("socketpair: %s", strerror(errno));
	fflush(NULL);
	p->child = fork();
	if (p->child < 0)
		die("fork: %s", strerror(errno));
	if (!p->child) {
		close(sv[0]);
		run_child(p, sv[1]);
	}
	close(sv[1]);
	p->sock = sv[0];
	p->image = xcalloc(1, plex_bytes);
}

/* Wait until every device has its size (NBD_DO_IT is running). */
static void wait_ready(void)
{
	unsigned int i, tries;

	for (i = 0; i < nr_plexes; i++) {
		const char *name = strrchr(plexes[i].dev, '/');
		char path[256], buf[32] = "";
		int fd;

		name = name ? name + 1 : plexes[i].dev;
		snprintf(path, sizeof(path), "/sys/block/%s/size", name);
		for (tries = 0; tries < 300; tries++) {
			fd = open(path, O_RDONLY);
			if (fd >= 0) {
				ssize_t n = read(fd, buf, sizeof(buf) - 1);

				close(fd);
				buf[n > 0 ? n : 0] = 0;
				if (strtoull(buf, NULL, 10) ==
				    plex_bytes >> 9)
					break;
			}
			sleep_ms(100);
		}
		if (tries == 300)
			die("%s did not come up", plexes[i].dev);
	}
}

static void reply(struct plex *p, const struct req *r, uint32_t error,
		  const void *data, uint32_t len)
{
	struct nbd_reply rp;

	rp.magic = htonl(NBD_REPLY_MAGIC);
	rp.error = htonl(error);
	/* The handle is opaque: sent back as received. */
	memcpy(rp.handle, &r->cookie, sizeof(rp.handle));

	write_full(p->sock, &rp, sizeof(rp), p->dev);
	if (len)
		write_full(p->sock, data, len, p->dev);
}

/* Read one request of @p into its queue.  Return: false on DISC. */
static bool receive(struct plex *p)
{
	struct nbd_request rq;
	struct req *r;
	uint32_t type;

	read_full(p->sock, &rq, sizeof(rq), p->dev);
	if (ntohl(rq.magic) != NBD_REQUEST_MAGIC)
		die("%s: bad request magic %#x", p->dev, ntohl(rq.magic));
	type = ntohl(rq.type);
	r = xcalloc(1, sizeof(*r));
	r->arrival = ++arrivals;
	r->cmd = type & 0xffff;
	r->flags = type & ~0xffffU;
	memcpy(&r->cookie, rq.handle, sizeof(r->cookie));
	r->from = be64toh(rq.from);
	r->len = ntohl(rq.len);
	if (r->cmd == NBD_CMD_DISC) {
		free(r);
		return false;
	}
	if (r->cmd == NBD_CMD_WRITE) {
		r->data = xmalloc(r->len);
		read_full(p->sock, r->data, r->len, p->dev);
	}
	if ((r->cmd == NBD_CMD_FLUSH ||
	     (r->cmd == NBD_CMD_WRITE && (r->flags & NBD_CMD_FLAG_FUA))) &&
	    rnd_next(&rnd_state) % 100 < hold_pct)
		r->hold_until = now_ms() + 1 +
				rnd_next(&rnd_state) % hold_max_ms;
	if (p->tail)
		p->tail->next = r;
	else
		p->head = r;
	p->tail = r;
	return true;
}

/* Perform a request and answer it: this is the moment it happened. */
static void perform(struct plex *p, struct req *r)
{
	uint32_t idx = (uint32_t)(p - plexes);
	bool in_range = r->from <= plex_bytes &&
			r->len <= plex_bytes - r->from;

	switch (r->cmd) {
	case NBD_CMD_READ:
		if (!in_range)
			goto bad;
		reply(p, r, 0, p->image + r->from, r->len);
		break;
	case NBD_CMD_WRITE:
		if (!in_range || (r->flags & ~NBD_CMD_FLAG_FUA))
			goto bad;
		memcpy(p->image + r->from, r->data, r->len);
		log_entry(LOG_WRITE, idx, r->from, r->data, r->len,
			  r->flags & NBD_CMD_FLAG_FUA ? LOG_F_FUA : 0);
		reply(p, r, 0, NULL, 0);
		break;
	case NBD_CMD_FLUSH:
		log_entry(LOG_FLUSH, idx, 0, NULL, 0, 0);
		reply(p, r, 0, NULL, 0);
		break;
	default:
		goto bad;
	}
	return;
bad:
	/* Never expected: fail loudly, the log would be incomplete. */
	die("%s: unexpected request: command %u flags %#x offset %llu length %u",
	    p->dev, r->cmd, r->flags, (unsigned long long)r->from, r->len);
}

/*
 * Perform every request that is not held, oldest first.  Return: the
 * earliest time a held one becomes due, 0 if none.
 */
static uint64_t run_queues(void)
{
	for (;;) {
		struct plex *best = NULL;
		uint64_t now = now_ms(), due = 0;
		unsigned int i;
		struct req *r;

		for (i = 0; i < nr_plexes; i++) {
			r = plexes[i].head;
			if (!r)
				continue;
			if (r->hold_until > now) {
				if (!due || r->hold_until < due)
					due = r->hold_until;
				continue;
			}
			if (!best || r->arrival < best->head->arrival)
				best = &plexes[i];
		}
		if (!best)
			return due;
		r = best->head;
		best->head = r->next;
		if (!best->head)
			best->tail = NULL;
		perform(best, r);
		free(r->data);
		free(r);
	}
}

/* ---- the control socket ------------------------------------------------ */

static void disconnect_all(void)
{
	unsigned int i;

	for (i = 0; i < nr_plexes; i++) {
		int fd = open(plexes[i].dev, O_RDWR | O_CLOEXEC);

		if (fd < 0 || ioctl(fd, NBD_DISCONNECT))
			die("%s: NBD_DISCONNECT: %s", plexes[i].dev,
			    strerror(errno));
		close(fd);
	}
}

static void client_line(struct client *c, char *line)
{
	if (!strncmp(line, "mark ", 5) || !strncmp(line, "ack ", 4)) {
		log_entry(LOG_MARK, 0, 0, line, (uint32_t)strlen(line), 0);
		write_full(c->fd, "ok\n", 3, "control socket");
	} else if (!strcmp(line, "quit")) {
		if (quit_fd < 0) {
			quit_fd = c->fd;
			disconnect_all();
		}
	} else {
		die("control socket: unknown command '%.40s'", line);
	}
}

/* Return: false when the client went away. */
static bool client_read(struct client *c)
{
	ssize_t n = read(c->fd, c->buf + c->used, sizeof(c->buf) - c->used);
	char *nl;

	if (n < 0 && errno == EINTR)
		return true;
	if (n <= 0)
		return false;
	c->used += (size_t)n;
	while ((nl = memchr(c->buf, '\n', c->used))) {
		size_t len = (size_t)(nl - c->buf) + 1;

		*nl = 0;
		client_line(c, c->buf);
		memmove(c->buf, c->buf + len, c->used - len);
		c->used -= len;
	}
	if (c->used == sizeof(c->buf))
		die("control socket: line too long");
	return true;
}

static int listen_on(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		die("%s: path too long", path);
	memcpy(sa.sun_path, path, strlen(path) + 1);
	unlink(path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    listen(fd, 8))
		die("%s: %s", path, strerror(errno));
	return fd;
}

static void serve(int lfd)
{
	struct pollfd pfd[1 + MAX_PLEXES + MAX_CLIENTS];
	unsigned int i, open_plexes = nr_plexes;

	while (open_plexes) {
		uint64_t due = run_queues();
		int timeout = -1, n = 0;

		if (due) {
			uint64_t now = now_ms();

			timeout = due > now ? (int)(due - now) : 0;
		}
		pfd[n++] = (struct pollfd){ .fd = lfd, .events = POLLIN };
		for (i = 0; i < nr_plexes; i++)
			pfd[n++] = (struct pollfd){ .fd = plexes[i].sock,
						    .events = POLLIN };
		for (i = 0; i < MAX_CLIENTS; i++)
			pfd[n++] = (struct pollfd){
				.fd = clients[i] ? clients[i]->fd : -1,
				.events = POLLIN };
		if (poll(pfd, (nfds_t)n, timeout) < 0) {
			if (errno == EINTR)
				continue;
			die("poll: %s", strerror(errno));
		}
		if (pfd[0].revents & POLLIN) {
			int cfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

			for (i = 0; cfd >= 0 && i < MAX_CLIENTS; i++) {
				if (!clients[i]) {
					clients[i] = xcalloc(1,
							     sizeof(*clients[i]));
					clients[i]->fd = cfd;
					break;
				}
			}
			if (cfd >= 0 && i == MAX_CLIENTS)
				die("too many control clients");
		}
		for (i = 0; i < nr_plexes; i++) {
			struct plex *p = &plexes[i];

			if (p->sock < 0 || !pfd[1 + i].revents)
				continue;
			if (!receive(p)) {
				/* Perform what came before the disconnect. */
				while (p->head) {
					struct req *r = p->head;

					p->head = r->next;
					perform(p, r);
					free(r->data);
					free(r);
				}
				p->tail = NULL;
				close(p->sock);
				p->sock = -1;
				open_plexes--;
			}
		}
		for (i = 0; i < MAX_CLIENTS; i++) {
			struct client *c = clients[i];

			if (!c || !pfd[1 + nr_plexes + i].revents)
				continue;
			if (!client_read(c)) {
				if (c->fd == quit_fd)
					die("the quit client went away");
				close(c->fd);
				free(c);
				clients[i] = NULL;
			}
		}
	}
}

/* ---- main ------------------------------------------------------------------- */

static int client_main(int argc, char **argv)
{
	char line[1024];
	int fd;

	if (argc < 3 || (strcmp(argv[1], "mark") && strcmp(argv[1], "quit")) ||
	    (!strcmp(argv[1], "mark") && argc != 4) ||
	    (!strcmp(argv[1], "quit") && argc != 3))
		die("usage: crash-record mark SOCKET TEXT | quit SOCKET");
	fd = ctl_connect(argv[2]);
	if (fd < 0)
		die("%s: %s", argv[2], strerror(errno));
	if (!strcmp(argv[1], "mark")) {
		if (strchr(argv[3], '\n') || strlen(argv[3]) > 900)
			die("bad mark text");
		snprintf(line, sizeof(line), "mark %s", argv[3]);
	} else {
		snprintf(line, sizeof(line), "quit");
	}
	if (ctl_send(fd, line))
		die("%s: no reply from the recorder", argv[2]);
	return 0;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: crash-record -l LOG -c SOCKET -s BYTES [-S SEED] [-H PCT] [-M MS] NBDDEV...\n"
		"       crash-record mark SOCKET TEXT\n"
		"       crash-record quit SOCKET\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *ctl_path = NULL;
	struct log_hdr hdr;
	unsigned int i;
	int opt, lfd;

	prog = "crash-record";
	if (argc > 1 && (!strcmp(argv[1], "mark") || !strcmp(argv[1], "quit")))
		return client_main(argc, argv);
	rnd_state = (uint64_t)getpid() * 0x9e3779b97f4a7c15ULL ^ now_ms();
	while ((opt = getopt(argc, argv, "l:c:s:S:H:M:")) != -1) {
		switch (opt) {
		case 'l':
			log_path = optarg;
			break;
		case 'c':
			ctl_path = optarg;
			break;
		case 's':
			plex_bytes = strtoull(optarg, NULL, 0);
			break;
		case 'S':
			rnd_state = strtoull(optarg, NULL, 0);
			break;
		case 'H':
			hold_pct = (unsigned int)atoi(optarg);
			break;
		case 'M':
			hold_max_ms = (unsigned int)atoi(optarg);
			break;
		default:
			usage();
		}
	}
	if (!log_path || !ctl_path || !plex_bytes || plex_bytes % 4096 ||
	    optind == argc || argc - optind > MAX_PLEXES || hold_pct > 100 ||
	    !hold_max_ms)
		usage();
	signal(SIGPIPE, SIG_IGN);
	logf = fopen(log_path, "w");
	if (!logf)
		die("%s: %s", log_path, strerror(errno));
	nr_plexes = (unsigned int)(argc - optind);
	memset(&hdr, 0, sizeof(hdr));
	memcpy(hdr.magic, LOG_MAGIC, sizeof(hdr.magic));
	hdr.version = 1;
	hdr.nr_plexes = nr_plexes;
	hdr.plex_bytes = plex_bytes;
	if (fwrite(&hdr, sizeof(hdr), 1, logf) != 1)
		die("writing %s: %s", log_path, strerror(errno));

	lfd = listen_on(ctl_path);
	for (i = 0; i < nr_plexes; i++) {
		plexes[i].dev = argv[optind + i];
		start_plex(&plexes[i]);
	}
	/* Serve the kernel's first requests (partition scan) meanwhile. */
	if (fork() == 0) {
		wait_ready();
		printf("ready\n");
		fflush(stdout);
		_exit(0);
	}
	serve(lfd);

	for (i = 0; i < nr_plexes; i++) {
		int status;

		waitpid(plexes[i].child, &status, 0);
		free(plexes[i].image);
	}
	if (fclose(logf))
		die("writing %s: %s", log_path, strerror(errno));
	fprintf(stderr, "%s: %llu log entries in %s\n", prog,
		(unsigned long long)nr_entries, log_path);
	if (quit_fd >= 0)
		write_full(quit_fd, "ok\n", 3, "control socket");
	unlink(ctl_path);
	return 0;
}
