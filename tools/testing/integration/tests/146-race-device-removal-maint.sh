# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2034 # TEST_* are read by run.sh
#
# 141's device removal, through the other commands: a plex's device goes
# away (null_blk powered off: the block layer calls mark_dead) while
# replace (the new device or the old one), merge-plex, re-add, online,
# remove-plex, adding the bitmap or check runs, at 3 offsets, with
# the operations' unlocked windows widened (race_delay_ms).  Every
# command returns within its bound, the kernel logs no oops or warning
# (the harness fails the test on one), the volume keeps serving reads
# from the plex that stayed, and afterwards every device is free again:
# recreated devices can be used and the module unloads.  A check that
# loses its second plex fails (TOO_FEW_IN_SYNC) instead of reporting a
# volume it could not compare as consistent, and re-add or online of a
# plex whose device fails every I/O fails instead of succeeding with the
# plex failed again.

TEST_TIMEOUT=1500

# write DEV: 1 MiB of new data at the start of DEV.
write_mib() {
	dd if=/dev/urandom of="$1" bs=1M count=1 oflag=direct status=none ||
		fail "writing to $1 failed"
}

run_test() {
	local op round cmd pid rc delay gone dev sz
	require jq timeout dmsetup blockdev
	mk_nullb na 8
	mk_nullb nb 8
	mk_nullb nc 8
	load_mirvol

	# A failed or offline plex's device fails every I/O (dm-error): its
	# return cannot write its superblock, and must say so.
	sz=$(blockdev --getsz /dev/nb)
	for cmd in re-add online; do
		dmsetup create mv146 --table "0 $sz linear /dev/nb 0"
		bounded create --name v --assume-clean /dev/na /dev/mapper/mv146 ||
			fail "$cmd: create: $(cat "$TEST_TMP/err")"
		if [ $cmd = re-add ]; then
			mirvolctl fail v 1
		else
			mirvolctl offline v 1
		fi
		dmsetup suspend mv146
		dmsetup load mv146 --table "0 $sz error"
		dmsetup resume mv146
		expect_fail_reason IO_ERROR mirvolctl $cmd v 1 --wait
		assert_eq failed "$(mirvolctl show v --json | jq -r '.plexes[1].state')" \
			"plex 1 after $cmd on a device that fails"
		clean_volumes
		# remove could not erase the superblock there.
		dmsetup remove mv146
		dd if=/dev/zero of=/dev/nb bs=1M count=1 oflag=direct status=none
	done

	for op in check replace-new replace-old merge re-add online remove-plex bitmap; do
		for round in $(seq 3); do
			echo 0 >/sys/module/mirvol/parameters/race_delay_ms
			bounded create --name v --assume-clean /dev/na /dev/nb ||
				fail "$op $round: create: $(cat "$TEST_TMP/err")"
			dev=$(mirvolctl show v --json | jq -r .device)
			echo 1000 >"/sys/block/${dev#/dev/}/mirvol/sync_speed_max"
			gone=nb
			case $op in
			replace-new)
				cmd=(replace v 1 /dev/nc --wait)
				gone=nc ;;
			replace-old)
				cmd=(replace v 1 /dev/nc --wait) ;;
			merge)
				mirvolctl break-plex v 1 --name b --track-changes --wait >/dev/null
				write_mib "$dev"
				write_mib "$(mirvolctl show b --json | jq -r .device)"
				cmd=(merge-plex v b --wait) ;;
			re-add)
				mirvolctl fail v 1
				write_mib "$dev"
				cmd=(re-add v 1 --wait) ;;
			online)
				mirvolctl offline v 1
				write_mib "$dev"
				cmd=(online v 1 --wait) ;;
			remove-plex)
				cmd=(remove-plex v 1 --wait) ;;
			bitmap)
				mirvolctl set v --bitmap none
				cmd=(set v --bitmap internal) ;;
			check)
				cmd=(check v --wait) ;;
			esac
			echo 150 >/sys/module/mirvol/parameters/race_delay_ms
			( rc=0; timeout 60 "$MIRVOLCTL" "${cmd[@]}" >/dev/null \
				2>"$TEST_TMP/op.err" || rc=$?; echo $rc >"$TEST_TMP/op.rc" ) &
			pid=$!
			delay=$(( (round * 71) % 300 ))
			sleep "0.$(printf %03d $delay)"
			nullb_power "$gone" 0
			wait $pid
			rc=$(cat "$TEST_TMP/op.rc")
			[ "$rc" -ne 124 ] || fail "$op $round: mirvolctl ${cmd[*]} hung"
			log "$op $round (+${delay} ms, $gone gone): status $rc $(tail -n 1 "$TEST_TMP/op.err")"
			# The check (7 s) lost its second plex: it compared nothing since.
			[ "$op" != check ] || { [ "$rc" -ne 0 ] && grep -q TOO_FEW_IN_SYNC "$TEST_TMP/op.err"; } ||
				fail "check $round ended with status $rc after plex 1 went: $(cat "$TEST_TMP/op.err")"
			# The plex on na stayed: the volume still reads.
			dd if="$dev" of=/dev/null bs=1M count=4 iflag=direct status=none ||
				fail "$op $round: $dev does not read after $gone went: $(mirvolctl show v 2>&1)"
			nullb_power "$gone" 1
			clean_volumes
			assert_mod_unused "$op $round"
		done
	done
	check_released /dev/na /dev/nb /dev/nc
}
