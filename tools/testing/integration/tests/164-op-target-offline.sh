# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2034 # TEST_* are read by run.sh
#
# An operation whose target the admin takes offline during the copy does
# not succeed: 'add-plex --wait' and 'replace --wait' fail with
# PLEX_OFFLINE (exit 1), as an unplugged target fails them with IO_ERROR;
# the plex stays offline, holding its device, replace's old plex stays in
# the mirror, and 'online' copies the plex, after which the plexes hold
# the same data.

TEST_TIMEOUT=300

# offline_during VOL PLEX CMD...: start 'mirvolctl CMD', slowed down, and
# take plex PLEX of VOL offline while it copies: the operation must fail
# with PLEX_OFFLINE, the plex stay offline.
offline_during() {
	local vol=$1 plex=$2 op
	shift 2
	echo 2000 >/sys/block/mirvol0/mirvol/sync_speed_max
	op=$(mirvolctl "$@")
	[ -n "$op" ] || fail "$*: no operation"
	wait_for 20 sh -c "$MIRVOLCTL show $vol --json |
		jq -e '.plexes[] | select(.index == $plex) | .state == \"syncing\"'"
	mirvolctl offline "$vol" "$plex"
	expect_fail_reason PLEX_OFFLINE mirvolctl op wait "$op"
	assert_eq failed "$(mirvolctl op status "$op" --json | jq -r .state)" "$* after its plex went offline"
	echo system >/sys/block/mirvol0/mirvol/sync_speed_max
	assert_eq offline "$(mirvolctl show "$vol" --json |
		jq -r ".plexes[] | select(.index == $plex) | .state")" "plex $plex after $*"
}

run_test() {
	local op json
	require jq
	mk_brd 3 64
	load_mirvol
	mirvolctl create --name ot --assume-clean /dev/ram0 /dev/ram1 >/dev/null
	dd if=/dev/urandom of=/dev/mirvol0 bs=1M count=8 oflag=direct status=none

	# add-plex: the new plex stays, offline; online copies it all.
	offline_during ot 2 add-plex ot /dev/ram2
	op=$(mirvolctl online ot 2)
	[ -n "$op" ] || fail "online started no resync"
	json=$(mirvolctl op wait "$op" --json) || fail "online's resync failed"
	assert_eq succeeded "$(jq -r .state <<<"$json")" "online's resync"
	plexes_identical ot
	mirvolctl remove-plex ot 2 --wait >/dev/null

	# replace: the old plex stays in the mirror, in sync.
	offline_during ot 2 replace ot 1 /dev/ram2
	json=$(mirvolctl show ot --json)
	assert_eq '["active","active","offline"]' "$(jq -c '[.plexes[].state]' <<<"$json")" "after a replace whose new plex went offline"
	assert_eq "/dev/ram0 /dev/ram1 /dev/ram2" "$(jq -r '[.plexes[].device] | join(" ")' <<<"$json")" "devices"
	mirvolctl remove --yes ot
}
