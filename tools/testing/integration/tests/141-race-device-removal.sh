# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2034 # TEST_* are read by run.sh
#
# Issue 10: a plex's device goes away (null_blk powered off: the block
# layer calls mark_dead) while break-plex, add-plex, stop or remove runs,
# at varying offsets.  Every command returns within its bound, the kernel
# logs no oops or warning (the harness fails the test on one), and
# afterwards every device is free again: recreated devices can be used
# and the module unloads.  The landed code could queue work on a volume
# being freed (devices released after its last flush) and dereference a
# released plex in break-plex.

TEST_TIMEOUT=1500

run_test() {
	local op round cmd pid rc delay
	require jq timeout
	mk_nullb na 24
	mk_nullb nb 24
	mk_nullb nc 24
	load_mirvol
	# The device vanishes inside the operations' unlocked windows too.
	echo 150 >/sys/module/mirvol/parameters/race_delay_ms
	for op in break add stop remove; do
		for round in $(seq 8); do
			bounded create --name v --assume-clean /dev/na /dev/nb ||
				fail "$op $round: create: $(cat "$TEST_TMP/err")"
			echo 1000 >/sys/block/mirvol0/mirvol/sync_speed_max
			case $op in
			break) cmd=(break-plex v 1 --name b --wait) ;;
			add) cmd=(add-plex v /dev/nc --wait) ;;
			stop) cmd=(stop v) ;;
			remove) cmd=(remove --yes v) ;;
			esac
			( rc=0; timeout 60 "$MIRVOLCTL" "${cmd[@]}" >/dev/null \
				2>"$TEST_TMP/op.err" || rc=$?; echo $rc >"$TEST_TMP/op.rc" ) &
			pid=$!
			delay=$(( (round * 53) % 300 ))
			sleep "0.$(printf %03d $delay)"
			# The plex being broken off, or an original one.
			nullb_power nb 0
			[ "$op" != add ] || nullb_power nc 0
			wait $pid
			rc=$(cat "$TEST_TMP/op.rc")
			[ "$rc" -ne 124 ] || fail "$op $round: mirvolctl ${cmd[*]} hung"
			log "$op $round (+${delay} ms): status $rc $(tail -n 1 "$TEST_TMP/op.err")"
			nullb_power nb 1
			[ "$op" != add ] || nullb_power nc 1
			clean_volumes
		done
	done
	check_released /dev/na /dev/nb /dev/nc
}
