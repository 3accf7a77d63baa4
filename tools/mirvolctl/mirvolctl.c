// SPDX-License-Identifier: GPL-2.0
/*
 * mirvolctl: control mirvol mirrored block volumes.
 *
 * This file holds the command table, help and usage errors, and main().
 * Exit status: 0 success, 1 failure (one error line on stderr), 2 usage
 * error, 130 interrupted while waiting for an operation.
 *
 * Copyright (C) 2026 The mirvol authors
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mirvolctl.h"

const struct mv_command *mv_cmd;

static const struct mv_command commands[] = {
	{ "create", cmd_create,
	  "[--name NAME] [--assume-clean] [--bitmap none|internal] [--region-size SIZE] [--force] [--wait] [--json] DEV...",
	  "create a volume over block devices; prints its device node",
	  "  -n, --name NAME     the volume's name (default: chosen by the kernel)\n"
	  "  -a, --assume-clean  skip the initial resync\n"
	  "      --bitmap none|internal  a write-intent bitmap (default: internal)\n"
	  "      --region-size SIZE  bytes per bitmap bit, a power of two from 64K\n"
	  "                      (default: chosen by the module from the size)\n"
	  "      --force         use devices that hold a file system, partition\n"
	  "                      table or other signature (erased once the\n"
	  "                      module would create the volume)\n"
	  "  -w, --wait          wait for the initial resync to finish\n"
	  "  -j, --json          print the volume and its resync as JSON\n" },
	{ "remove", cmd_remove, "VOL [--yes] [--json]",
	  "stop a volume and erase its metadata from every plex",
	  "  -y, --yes           do not ask for confirmation\n"
	  "  -j, --json          print the volume removed as JSON\n" },
	{ "stop", cmd_stop, "VOL [--json]",
	  "deactivate a volume, keeping its metadata",
	  "  -j, --json          print the volume stopped as JSON\n" },
	{ "list", cmd_list, "[--json|--names]", "list the volumes",
	  "  -j, --json          print a JSON array\n"
	  "      --names         print only their names, one a line\n" },
	{ "status", cmd_status, "[--json]",
	  "report the volumes that need attention, and what to do (exit 1)",
	  "  -j, --json          print a JSON object\n" },
	{ "show", cmd_show, "VOL [--json|--export]",
	  "show a volume and its plexes",
	  "  -j, --json          print a JSON object\n"
	  "      --export        print udev-style KEY=value lines\n" },
	{ "rename", cmd_rename, "VOL NEWNAME", "rename a volume", NULL },
	{ "set", cmd_set,
	  "VOL [--bitmap none|internal [--region-size SIZE]] [--sync-speed-min N] [--sync-speed-max N] [--forget-split]",
	  "add or drop the write-intent bitmap, store resync speeds",
	  "      --bitmap none|internal  drop the bitmap, or add one\n"
	  "      --region-size SIZE  with --bitmap internal: bytes per bitmap bit\n"
	  "      --sync-speed-min N  resync floor, KiB/s (default: the module's)\n"
	  "      --sync-speed-max N  resync ceiling, KiB/s (default: the module's)\n"
	  "      --forget-split      stop tracking a break-plex --track-changes split\n" },
	{ "break-plex", cmd_break_plex,
	  "VOL PLEX [--name NEWNAME] [--track-changes] [--wait] [--json]",
	  "split a plex off into a new volume",
	  "  -n, --name NEWNAME  the new volume's name (default: NAME-plexINDEX)\n"
	  "      --track-changes both volumes keep a change map (for merge-plex)\n"
	  "  -w, --wait          wait, then print the new volume's device node\n"
	  "  -j, --json          print the new volume and the operation as JSON\n" },
	{ "merge-plex", cmd_merge_plex, "VOL BROKENVOL [--wait] [--json]",
	  "merge back a volume split off with --track-changes (changes only)",
	  "  -w, --wait          wait for the copy to finish\n"
	  "  -j, --json          print the operation as a JSON object\n" },
	{ "remove-plex", cmd_remove_plex, "VOL PLEX [--wait] [--json]",
	  "remove a plex from a volume",
	  "  -w, --wait          wait for the operation to finish\n"
	  "  -j, --json          print the operation as a JSON object\n" },
	{ "add-plex", cmd_add_plex,
	  "VOL DEV [--force] [--wait] [--json] | VOL --from-volume SRCVOL [--wait] [--json]",
	  "add a device, or every plex of another volume, as new plexes",
	  "  -f, --from-volume SRCVOL  add the plexes of SRCVOL (it disappears)\n"
	  "      --force         use a device that holds a file system, partition\n"
	  "                      table or other signature (erased once the\n"
	  "                      module would add it)\n"
	  "  -w, --wait          wait for the resync to finish\n"
	  "  -j, --json          print the operation as a JSON object\n" },
	{ "check", cmd_check, "VOL [--wait] [--json]",
	  "compare the in-sync plexes and count the sectors that differ",
	  "  -w, --wait          wait, then print the mismatched sectors\n"
	  "  -j, --json          print the operation as a JSON object\n" },
	{ "repair", cmd_repair, "VOL [--from PLEX] [--wait] [--json]",
	  "compare the in-sync plexes and rewrite the sectors that differ",
	  "      --from PLEX     the plex whose data wins (default: the first in sync)\n"
	  "  -w, --wait          wait, then print the repaired sectors\n"
	  "  -j, --json          print the operation as a JSON object\n" },
	{ "resync", cmd_resync, "VOL [--force] [--wait] [--json]",
	  "restart the resync of the stale and syncing plexes",
	  "      --force         copy around ranges no plex can read, writing\n"
	  "                      zeros there on every plex (data is lost)\n"
	  "  -w, --wait          wait for the resync to finish\n"
	  "  -j, --json          print the operation as a JSON object\n" },
	{ "fail", cmd_fail, "VOL PLEX",
	  "fail a plex, as a write error would", NULL },
	{ "offline", cmd_offline, "VOL PLEX",
	  "take a plex offline: no I/O, what it misses is tracked", NULL },
	{ "online", cmd_online, "VOL PLEX [--wait] [--json]",
	  "bring an offline plex back, copying what it missed",
	  "  -w, --wait          wait for the copy to finish\n"
	  "  -j, --json          print the operation as a JSON object (or null)\n" },
	{ "re-add", cmd_readd, "VOL PLEX [DEV] [--wait] [--json]",
	  "bring a failed or missing plex back, copying what it missed",
	  "  -w, --wait          wait for the copy to finish\n"
	  "  -j, --json          print the operation as a JSON object (or null)\n" },
	{ "replace", cmd_replace, "VOL PLEX NEWDEV [--wait] [--json]",
	  "sync a new device, then drop the plex: redundancy never drops",
	  "  -w, --wait          wait until the plex is replaced\n"
	  "  -j, --json          print the operation as a JSON object\n" },
	{ "set-plex", cmd_set_plex,
	  "VOL PLEX [--boot|--no-boot] [--write-mostly|--no-write-mostly]",
	  "set or clear a plex's boot or write-mostly flag",
	  "      --boot          flag the plex as boot plex\n"
	  "      --no-boot       clear the flag\n"
	  "      --write-mostly  the plex serves reads only when no other can\n"
	  "      --no-write-mostly  it serves reads again\n" },
	{ "op", cmd_op,
	  "list [--json] | status|wait|cancel OPID [--json] [--timeout SECONDS]",
	  "list, query, wait for or cancel operations",
	  "  -j, --json          print a JSON object (list: an array)\n"
	  "  -t, --timeout SECONDS  wait: give up after this long (TIMEOUT)\n" },
	{ "assemble", cmd_assemble,
	  "[--run] [--json] DEV... | --run [--if-waiting] VOL... | --scan [--run] | --incremental [--run] DEV",
	  "bring volumes back from their members",
	  "  -r, --run           start volumes even if members are missing;\n"
	  "                      with VOL: start that waiting volume degraded\n"
	  "      --if-waiting    with --run VOL: a VOL not listed is no error\n"
	  "  -s, --scan          assemble every block device with mirvol metadata\n"
	  "  -i, --incremental   add one member (udev); start when complete\n"
	  "  -j, --json          print the volumes started, waiting and refused\n" },
	{ "examine", cmd_examine, "DEV [--json|--export]",
	  "print a member's superblocks (no module needed)",
	  "  -j, --json          print a JSON object\n"
	  "      --export        print udev properties (exit 1: not a member)\n" },
	{ "monitor", cmd_monitor, "[--json] [--program PROG] [--oneshot]",
	  "follow the volumes and print their events",
	  "  -j, --json          one JSON object per line\n"
	  "      --program PROG  run PROG EVENT VOLUME [PLEX] for every event\n"
	  "      --oneshot       report what is wrong now and exit\n" },
	{ "wipe", cmd_wipe, "DEV [--force]",
	  "erase mirvol metadata from a device that is no longer a member",
	  "      --force         erase the metadata area even without a mirvol\n"
	  "                      superblock (whatever is there is lost)\n" },
	{ "version", cmd_version, "[--json]",
	  "print the tool's and the module's version and features",
	  "  -j, --json          print a JSON object\n" },
};

static const struct mv_command help_cmd = { "help", NULL, "[COMMAND]",
					    "show help", NULL };

static const struct mv_command *find_command(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(commands); i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

static void print_overview(FILE *f)
{
	size_t i;

	fprintf(f, "usage: mirvolctl COMMAND [OPTIONS] [ARGS]\n\n"
		"Control mirvol mirrored block volumes.\n\ncommands:\n");
	for (i = 0; i < ARRAY_SIZE(commands); i++)
		fprintf(f, "  %-12s %s\n", commands[i].name,
			commands[i].summary);
	fprintf(f, "\nVOL: a volume name, /dev/mirvolN, mirvolN, /dev/mirvol/NAME or a UUID.\n"
		"PLEX: a plex UUID, a plex index or the plex's device path.\n"
		"Run 'mirvolctl COMMAND --help' for a command's options; see mirvolctl(8).\n");
}

static void print_command_help(const struct mv_command *c)
{
	printf("usage: mirvolctl %s %s\n\n%s.\n", c->name, c->synopsis,
	       c->summary);
	printf("\noptions:\n%s", c->options ? c->options : "");
	printf("  -h, --help          show this help\n");
}

/* Help of the current command on stdout.  Return: MV_EXIT_OK. */
int mv_help(void)
{
	if (mv_cmd && mv_cmd->fn)
		print_command_help(mv_cmd);
	else
		print_overview(stdout);
	return MV_EXIT_OK;
}

/**
 * mv_usage - report a usage error of the current command
 * @fmt: what is wrong
 *
 * Return: MV_EXIT_USAGE.
 */
int mv_usage(const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	mv_err(MIRVOL_R_INVALID_ARGUMENT, "%s", msg);
	if (mv_cmd && mv_cmd->fn)
		fprintf(stderr, "usage: mirvolctl %s %s\n"
			"Try 'mirvolctl %s --help'.\n", mv_cmd->name,
			mv_cmd->synopsis, mv_cmd->name);
	else
		fprintf(stderr, "Try 'mirvolctl --help'.\n");
	return MV_EXIT_USAGE;
}

int mv_common_opt(int c, char **argv)
{
	switch (c) {
	case 'h':
		return mv_help();
	case ':':
		return mv_usage("option '%s' needs an argument",
				argv[optind - 1]);
	case '?':
		if (optopt)
			return mv_usage("unknown option '-%c'", optopt);
		return mv_usage("unknown option '%s'", argv[optind - 1]);
	}
	return mv_usage("unhandled option");
}

/* Like coreutils' close_stdout: a failed write must not exit 0. */
static int finish_stdout(int status)
{
	if (fflush(stdout) || ferror(stdout) || fclose(stdout)) {
		if (errno == EPIPE)
			return status ? status : MV_EXIT_FAIL;
		mv_err_errno(mv_errno_reason(errno), errno,
			     "writing the output");
		return status ? status : MV_EXIT_FAIL;
	}
	return status;
}

static int cmd_help(int argc, char **argv)
{
	const struct mv_command *c;

	if (argc < 2)
		return mv_help();
	if (argc > 2)
		return mv_usage("unexpected argument '%s'", argv[2]);
	c = find_command(argv[1]);
	if (!c)
		return mv_usage("unknown command '%s'", argv[1]);
	print_command_help(c);
	return MV_EXIT_OK;
}

static int run(int argc, char **argv)
{
	const char *name;

	if (argc < 2) {
		fprintf(stderr, "mirvolctl: no command given (%s)\n"
			"Try 'mirvolctl --help'.\n",
			mv_reason_name(MIRVOL_R_INVALID_ARGUMENT).s);
		return MV_EXIT_USAGE;
	}
	name = argv[1];
	if (!strcmp(name, "--help") || !strcmp(name, "-h"))
		return mv_help();
	if (!strcmp(name, "--version") || !strcmp(name, "-V")) {
		printf("mirvolctl %s\n", MIRVOLCTL_VERSION);
		return MV_EXIT_OK;
	}
	if (!strcmp(name, "help")) {
		mv_cmd = &help_cmd;
		return cmd_help(argc - 1, argv + 1);
	}
	mv_cmd = find_command(name);
	if (!mv_cmd) {
		struct mv_command unknown = { name, NULL, "", "", NULL };

		mv_cmd = &unknown;
		mv_usage("unknown command");
		mv_cmd = NULL;
		return MV_EXIT_USAGE;
	}
	opterr = 0;
	return mv_cmd->fn(argc - 1, argv + 1);
}

int main(int argc, char **argv)
{
	return finish_stdout(run(argc, argv));
}
