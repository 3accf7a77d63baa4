# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2034 # TEST_* are read by run.sh
#
# Two assemblies of one stopped volume at once: a plain `assemble A`,
# refused because B is missing (VOLUME_INCOMPLETE), and udev's
# `assemble --incremental B`.  The refused assembly gives its volume up;
# the incremental one must never lose B to that: whatever the order, B
# ends held by a volume (waiting, or started with A), the incremental
# command succeeds, and a later `assemble --incremental A` brings the
# volume online with its data.  The landed code decided to give the
# volume up, dropped the lock, and then tore down whatever the volume had
# become meanwhile: a volume the incremental assembly had just started
# (it reported success), or it refused B with DEVICE_BUSY while the
# volume was being torn down.  race_delay_ms widens the window.

TEST_TIMEOUT=600
# The test assembles by itself.
TEST_UDEV=0

run_test() {
	local vol uuid offset x_rc y_rc state
	require jq cmp timeout
	mk_brd 2 64
	load_mirvol
	vol=$(mirvolctl create --name ra --wait /dev/ram0 /dev/ram1)
	uuid=$(mirvolctl show ra --json | jq -r .uuid)
	head -c 8M /dev/urandom >"$TEST_TMP/data"
	dd if="$TEST_TMP/data" of="$vol" bs=1M oflag=direct status=none
	mirvolctl stop ra
	# Both commands sleep race_delay_ms before they open their device,
	# the refused one again before it gives the volume up.  The
	# incremental one starts OFFSET s after the plain one (before it when
	# negative): it meets the volume waiting, dying (killed, not yet
	# torn down), or gone.
	for offset in -0.5 0.2 0.6 1.1 1.5 1.9 2.6; do
		echo 1000 >/sys/module/mirvol/parameters/race_delay_ms
		if [ "${offset#-}" != "$offset" ]; then
			bg_mirvolctl y assemble --incremental /dev/ram1
			sleep "${offset#-}"
			bg_mirvolctl x assemble /dev/ram0
		else
			bg_mirvolctl x assemble /dev/ram0
			sleep "$offset"
			bg_mirvolctl y assemble --incremental /dev/ram1
		fi
		wait
		echo 0 >/sys/module/mirvol/parameters/race_delay_ms
		x_rc=$(cat "$TEST_TMP/x.rc")
		y_rc=$(cat "$TEST_TMP/y.rc")
		log "at $offset s: assemble ram0: status $x_rc $(tail -n 1 "$TEST_TMP/x.err"); --incremental ram1: status $y_rc $(tail -n 1 "$TEST_TMP/y.err")"
		[ "$x_rc" -ne 124 ] && [ "$y_rc" -ne 124 ] ||
			fail "at $offset s: an assembly hung"
		[ "$y_rc" -eq 0 ] ||
			fail "at $offset s: assemble --incremental ram1 failed: $(tail -n 1 "$TEST_TMP/y.err")"
		# ram0's assembly either completed the volume ram1 waited in, or
		# was refused for want of ram1.
		[ "$x_rc" -eq 0 ] || grep -q '(VOLUME_INCOMPLETE)$' "$TEST_TMP/x.err" ||
			fail "at $offset s: assemble ram0: $(tail -n 1 "$TEST_TMP/x.err")"
		state=$(mirvolctl list --json | jq -r ".[] | select(.uuid == \"$uuid\") | .state")
		[ -n "$state" ] ||
			fail "at $offset s: the volume is gone, ram1 with it, after both assemblies succeeded or were refused"
		mirvolctl assemble --incremental /dev/ram0 >/dev/null ||
			fail "at $offset s: assemble --incremental ram0 failed"
		assert_eq online "$(mirvolctl show ra --json | jq -r .state)" "at $offset s: state"
		assert_eq 2 "$(mirvolctl show ra --json | jq '[.plexes[] | select(.state == "active")] | length')" \
			"at $offset s: active plexes"
		cmp -n 8M "$TEST_TMP/data" "$vol" || fail "at $offset s: data differ"
		mirvolctl stop ra
	done
	check_released /dev/ram0 /dev/ram1
}
