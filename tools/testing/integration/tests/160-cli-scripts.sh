# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2034 # TEST_* are read by run.sh
#
# Issue 12, a CLI scripts can rely on: create and add-plex refuse a device
# holding an ext4 file system unless --force; status says "all volumes
# healthy" (exit 0) or what to do (exit 1), in text and JSON; wipe refuses
# a member the module holds and erases a stopped one; the bash completion
# offers the volume names in an interactive bash.

TEST_TIMEOUT=300

run_test() {
	local out err rc
	require jq mkfs.ext4 bash
	mk_brd 3 32
	load_mirvol

	out=$(mirvolctl status) || fail "status without volumes exits $?"
	assert_eq "no volumes" "$out" "status without volumes"

	# A device with a file system is refused, saying what it holds.
	mkfs.ext4 -q -F /dev/ram0
	expect_fail_reason INVALID_OPERATION mirvolctl create --name cli /dev/ram0 /dev/ram1
	err=$(mirvolctl create --name cli /dev/ram0 /dev/ram1 2>&1) || true
	grep -q "^mirvolctl: create: /dev/ram0 holds an ext4 file system (UUID [0-9a-f-]*); --force to use it anyway (INVALID_OPERATION)$" <<<"$err" ||
		fail "create over ext4: $err"
	mirvolctl list --json | jq -e 'length == 0' >/dev/null || fail "a volume was created"
	mirvolctl create --name cli --force --wait /dev/ram0 /dev/ram1 >/dev/null
	mkfs.ext4 -q -F /dev/ram2
	expect_fail_reason INVALID_OPERATION mirvolctl add-plex cli /dev/ram2

	out=$(mirvolctl status) || fail "status of a healthy volume exits $?"
	assert_eq "all volumes healthy" "$out" "status, healthy"
	mirvolctl status --json | jq -e '.healthy and .volumes[0].name == "cli" and
		.volumes[0].problems == []' >/dev/null || fail "status --json, healthy"

	# A failed plex: exit 1 and the command that brings it back.
	mirvolctl fail cli 1
	rc=0
	out=$(mirvolctl status) || rc=$?
	assert_eq 1 "$rc" "status exit with a failed plex"
	grep -qx "volume cli (/dev/mirvol0): degraded, 1 of 2 plexes in sync" <<<"$out" ||
		fail "status: $out"
	grep -qx "    re-add it: mirvolctl re-add cli 1" <<<"$out" || fail "status: $out"
	rc=0
	out=$(mirvolctl status --json) || rc=$?
	assert_eq 1 "$rc" "status --json exit with a failed plex"
	jq -e '(.healthy | not) and .volumes[0].state == "degraded" and
		.volumes[0].problems[1].state == "failed" and
		.volumes[0].problems[1].command == "mirvolctl re-add cli 1"' <<<"$out" >/dev/null ||
		fail "status --json: $out"

	# The module holds its members: wipe refuses, naming the volume.
	expect_fail_reason DEVICE_BUSY mirvolctl wipe /dev/ram1
	err=$(mirvolctl wipe /dev/ram1 2>&1) || true
	grep -q "/dev/ram1 is plex 1 of volume cli" <<<"$err" || fail "wipe of a member: $err"

	mirvolctl re-add cli 1 --wait >/dev/null
	out=$(mirvolctl status) || fail "status after re-add exits $?: $out"

	# Completion in an interactive bash offers the volume names.
	out=$(HOME=$TEST_TMP PATH=$(dirname "$MIRVOLCTL"):$PATH bash -i -c \
		". $MIRVOL_SRC/tools/bash-completion/mirvolctl
		COMP_WORDS=(mirvolctl show ''); COMP_CWORD=2; _mirvolctl
		echo \"\${COMPREPLY[*]}\"" 2>/dev/null </dev/null)
	assert_eq cli "$out" "completion of show's VOL"

	# A stopped volume's member: wipe erases its metadata.
	mirvolctl stop cli
	settle
	mirvolctl wipe /dev/ram0
	expect_fail_reason NOT_A_MEMBER mirvolctl examine /dev/ram0
	expect_fail_reason NOT_A_MEMBER mirvolctl wipe /dev/ram0
	mirvolctl wipe --force /dev/ram0
	mirvolctl examine /dev/ram1 >/dev/null || fail "wipe of ram0 touched ram1"
	mirvolctl wipe /dev/ram1
}
