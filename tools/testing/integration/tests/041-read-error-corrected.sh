# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2034 # TEST_* are read by run.sh
#
# A read error that another plex repairs is a corrected read error, not
# a read error: two in-sync plexes, 8 sectors of plex 1 unreadable;
# reading them through the volume returns the right data, plex 1 counts
# corrected_read_errors > 0 and read_errors 0 (show, JSON and sysfs),
# stays active, and the range reads right on plex 1 itself afterwards.
#
# Plex 1 is a dm-integrity device with a damaged block (mk_remap): the
# rewrite from plex 0 really makes it readable again, as a disk remaps a
# sector on write.  (null_blk's bad blocks fail the rewrite too, and
# scsi_debug's medium errors stay after it: neither can be corrected.)

TEST_TIMEOUT=300

# plex1_reads: plex 1's device reads the damaged block, with its data.
plex1_reads() {
	cmp -s "$TEST_TMP/block" <(dd if="$leg" bs=4096 skip=$(((off + bad) / 4096)) \
				     count=1 iflag=direct status=none 2>/dev/null)
}

run_test() {
	local vol json i sysfs=/sys/block/mirvol0/mirvol/plex1 ios
	require jq cmp
	mk_brd 2 64
	load_mirvol
	leg=$(mk_remap /dev/ram1 leg1)
	vol=$(mirvolctl create --name rc --wait /dev/ram0 "$leg")
	json=$(mirvolctl show rc --json)
	head -c "$(jq .size_bytes <<<"$json")" /dev/urandom >"$TEST_TMP/data"
	dd if="$TEST_TMP/data" of="$vol" bs=1M oflag=direct status=none
	off=$(jq '.plexes[1].data_offset_bytes' <<<"$json")
	bad=$((20 * 1048576))
	remap_damage leg1 $((off + bad)) 4096
	dd if="$TEST_TMP/data" of="$TEST_TMP/block" bs=4096 skip=$((bad / 4096)) count=1 status=none

	# Read the block until a read went to plex 1 first: every read
	# returns the data.  Plex 0 is write-mostly meanwhile, so that reads
	# go to plex 1 first (read balancing would pick the faster plex);
	# plex 0 still serves the retry.
	mirvolctl set-plex rc 0 --write-mostly
	ios=$(cat "$sysfs/read_ios")
	for i in $(seq 40); do
		cmp "$TEST_TMP/block" <(dd if="$vol" bs=4096 skip=$((bad / 4096)) count=1 iflag=direct status=none) ||
			fail "read $i of the damaged range through the volume failed or returned wrong data"
		[ "$(cat "$sysfs/read_ios")" -eq "$ios" ] || break
	done
	[ "$(cat "$sysfs/read_ios")" -gt "$ios" ] || fail "40 reads of the range never went to plex 1"
	log "read $i went to plex 1"
	mirvolctl set-plex rc 0 --no-write-mostly
	# The repair runs after the read has returned: wait for its count,
	# and for plex 1 to read the range itself.
	for i in $(seq 100); do
		[ "$(mirvolctl show rc --json | jq '.plexes[1] | .read_errors + .corrected_read_errors')" -eq 0 ] || break
		sleep 0.1
	done
	wait_for 10 plex1_reads
	json=$(mirvolctl show rc --json)
	log "plex 1: $(jq -c '.plexes[1] | {state, read_errors, corrected_read_errors, write_errors}' <<<"$json")"
	assert_eq "0 1" "$(jq -r '.plexes[1] | "\(.read_errors) \(.corrected_read_errors > 0 | if . then 1 else 0 end)"' <<<"$json")" \
		"plex 1: read_errors and whether corrected_read_errors > 0"
	assert_eq active "$(jq -r '.plexes[1].state' <<<"$json")" "plex 1 state"
	assert_eq 0 "$(jq -r '.plexes[1].write_errors' <<<"$json")" "plex 1 write errors"
	assert_eq "0 0" "$(jq -r '.plexes[0] | "\(.read_errors) \(.corrected_read_errors)"' <<<"$json")" "plex 0 errors"
	assert_eq "$(jq '.plexes[1].corrected_read_errors' <<<"$json")" "$(cat "$sysfs/corrected_read_errors")" "sysfs corrected_read_errors"
	assert_eq 0 "$(cat "$sysfs/read_errors")" "sysfs read_errors"
	# ... RD-ERR CR-ERR WR-ERR FLAGS
	grep -Eq "^1 +[0-9a-f-]{36} .* active .* +0 +[1-9][0-9]* +0 +[^ ]+$" <(mirvolctl show rc) ||
		fail "show: plex 1 is not active with RD-ERR 0, CR-ERR > 0: $(mirvolctl show rc | grep '^1 ')"
	# The correction is real: plex 1 itself reads the range again.
	plex1_reads || fail "plex 1 still cannot read the range: it was not rewritten"
	plexes_identical rc
	mirvolctl remove --yes rc
}
