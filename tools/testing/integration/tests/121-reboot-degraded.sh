# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2034 # TEST_* are read by run.sh
#
# A reboot with one plex absent: the volume is not started on its own
# (a member is expected), --run starts it degraded with the plex missing,
# and it is written.  A reboot with both disks: the returning plex is
# stale, resynced automatically, and all plexes end up identical, holding
# the data written while it was away.

TEST_STAGES="stage_create stage_alone stage_both"
TEST_DISKS="a:96M b:96M"
TEST_STAGE_DISKS="stage_alone:a"
TEST_TIMEOUT=300

stage_create() {
	mirvolctl create --name deg --wait "$(disk a)" "$(disk b)" >/dev/null
	head -c 16M /dev/urandom >"$TEST_SCRATCH/data1"
	dd if="$TEST_SCRATCH/data1" of=/dev/mirvol0 bs=1M oflag=direct conv=fsync status=none
}

stage_alone() {
	local json
	require jq cmp
	settle
	# udev found the member; the volume waits for the other one.
	json=$(mirvolctl list --json)
	assert_eq offline "$(jq -r '.[] | select(.name == "deg") | .state' <<<"$json")" "state while incomplete"
	[ ! -e /dev/mirvol/deg ] || fail "an incomplete volume was started"
	mirvolctl assemble --run "$(disk a)" >/dev/null
	settle
	json=$(mirvolctl show deg --json)
	assert_eq degraded "$(jq -r .state <<<"$json")" "state with one plex"
	assert_eq '["active","missing"]' "$(jq -c '[.plexes[].state]' <<<"$json")" "plex states"
	head -c 16M /dev/urandom >"$TEST_SCRATCH/data2"
	dd if="$TEST_SCRATCH/data2" of=/dev/mirvol/deg bs=1M seek=32 oflag=direct conv=fsync status=none
	cmp -n 16M "$TEST_SCRATCH/data1" /dev/mirvol/deg || fail "old data lost"
}

stage_both() {
	local json op off size
	require jq cmp
	settle
	wait_for 30 test -L /dev/mirvol/deg
	json=$(mirvolctl show deg --json)
	op=$(jq .operation.id <<<"$json")
	if [ "$op" != null ]; then
		assert_eq resync "$(jq -r .operation.type <<<"$json")" "operation type"
		mirvolctl op wait "$op" >/dev/null
	fi
	json=$(mirvolctl show deg --json)
	assert_eq online "$(jq -r .state <<<"$json")" "state after the resync"
	assert_eq '["active","active"]' "$(jq -c '[.plexes[].state]' <<<"$json")" "plex states"
	cmp -n 16M "$TEST_SCRATCH/data1" /dev/mirvol/deg || fail "data 1 lost"
	cmp -n 16M "$TEST_SCRATCH/data2" /dev/mirvol/deg 0 32M || fail "data 2 lost"
	off=$(jq '.plexes[0].data_offset_bytes' <<<"$json")
	size=$(jq .size_bytes <<<"$json")
	cmp -n "$size" -i "$off:$off" "$(disk a)" "$(disk b)" || fail "the plexes differ after the resync"
}
