# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2034 # TEST_* are read by run.sh
#
# break-plex, then reboot: the old volume and the broken-off one assemble
# as two separate volumes, each with its own data.

TEST_STAGES="stage_break stage_check"
TEST_DISKS="a:64M b:64M c:64M"
TEST_TIMEOUT=300

stage_break() {
	require jq
	mirvolctl create --name orig --wait "$(disk a)" "$(disk b)" "$(disk c)" >/dev/null
	head -c 8M /dev/urandom >"$TEST_SCRATCH/before"
	dd if="$TEST_SCRATCH/before" of=/dev/mirvol0 bs=1M oflag=direct conv=fsync status=none
	mirvolctl break-plex orig "$(disk c)" --name copy --wait >/dev/null
	head -c 8M /dev/urandom >"$TEST_SCRATCH/after"
	dd if="$TEST_SCRATCH/after" of=/dev/mirvol0 bs=1M oflag=direct conv=fsync status=none
	mirvolctl show orig --json | jq -r .uuid >"$TEST_SCRATCH/orig"
	mirvolctl show copy --json | jq -r .uuid >"$TEST_SCRATCH/copy"
}

stage_check() {
	local json
	require jq cmp
	settle
	wait_for 30 test -L /dev/mirvol/orig
	wait_for 30 test -L /dev/mirvol/copy
	json=$(mirvolctl show orig --json)
	assert_eq "$(cat "$TEST_SCRATCH/orig")" "$(jq -r .uuid <<<"$json")" "orig's uuid"
	assert_eq '["active","active"]' "$(jq -c '[.plexes[].state]' <<<"$json")" "orig's plexes"
	json=$(mirvolctl show copy --json)
	assert_eq "$(cat "$TEST_SCRATCH/copy")" "$(jq -r .uuid <<<"$json")" "copy's uuid"
	assert_eq 1 "$(jq '.plexes | length' <<<"$json")" "copy's plexes"
	assert_eq "$(disk c)" "$(jq -r '.plexes[0].device' <<<"$json")" "copy's device"
	cmp -n 8M "$TEST_SCRATCH/after" /dev/mirvol/orig || fail "orig lost its data"
	cmp -n 8M "$TEST_SCRATCH/before" /dev/mirvol/copy || fail "copy is not the point-in-time copy"
}
