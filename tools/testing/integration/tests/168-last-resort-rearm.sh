# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2034 # TEST_* are read by run.sh
#
# The last-resort timer arms again once it has fired.  Under systemd, with
# the project's units and udev rule: a volume on two loop devices comes
# whole (udev assembles it and wants mirvol-last-resort@UUID.timer, which
# fires 30 s later and finds it running), is stopped, and its members come
# back with one missing.  udev wants the timer again, and 30 s later its
# service starts the volume degraded.  The timer stayed "elapsed" (active)
# after its first firing: the second want was a no-op, the volume waited
# for ever.

TEST_SYSTEMD=1
TEST_TIMEOUT=300

units=/run/systemd/system

cleanup() {
	local l
	for l in $(losetup -j "$TEST_TMP/a.img" -O NAME -n) \
		 $(losetup -j "$TEST_TMP/b.img" -O NAME -n); do
		losetup -d "$l" 2>/dev/null
	done
	rm -f "$units"/mirvol-last-resort@.timer "$units"/mirvol-last-resort@.service
	systemctl daemon-reload
}

# running UUID: the volume runs.
running() {
	"$MIRVOLCTL" show "$1" --json 2>/dev/null |
		jq -e '.state == "online" or .state == "degraded"' >/dev/null
}

run_test() {
	local u la lb uuid
	require jq losetup systemctl
	[ "$(cat /proc/1/comm)" = systemd ] || fail "PID 1 is $(cat /proc/1/comm), not systemd"
	mkdir -p "$units"
	for u in mirvol-last-resort@.timer mirvol-last-resort@.service; do
		sed "s|@SBINDIR@|$MIRVOL_SRC/tools/mirvolctl|g" \
			"$MIRVOL_SRC/tools/systemd/$u" >"$units/$u"
	done
	systemctl daemon-reload
	load_mirvol
	truncate -s 64M "$TEST_TMP/a.img" "$TEST_TMP/b.img"
	la=$(losetup -f --show "$TEST_TMP/a.img")
	lb=$(losetup -f --show "$TEST_TMP/b.img")
	mirvolctl create --name rearm --wait "$la" "$lb" >/dev/null
	uuid=$(mirvolctl show rearm --json | jq -r .uuid)
	settle
	mirvolctl stop rearm
	losetup -d "$la" "$lb"
	settle

	# Both members back: udev assembles the volume whole.
	la=$(losetup -f --show "$TEST_TMP/a.img")
	lb=$(losetup -f --show "$TEST_TMP/b.img")
	settle
	wait_for 10 running rearm
	assert_eq online "$(mirvolctl show rearm --json | jq -r .state)" "state, whole"
	# Its timer fires and finds it running.
	sleep 35
	log "timer after its first firing: $(systemctl show -P ActiveState "mirvol-last-resort@$uuid.timer")/$(systemctl show -P SubState "mirvol-last-resort@$uuid.timer")"

	# Stopped; the members come back, b missing.
	mirvolctl stop rearm
	losetup -d "$la" "$lb"
	settle
	la=$(losetup -f --show "$TEST_TMP/a.img")
	settle
	running rearm && fail "the volume started with b missing before the timer"
	log "timer after a's return: $(systemctl show -P ActiveState "mirvol-last-resort@$uuid.timer")/$(systemctl show -P SubState "mirvol-last-resort@$uuid.timer")"
	wait_for 45 running rearm
	assert_eq degraded "$(mirvolctl show rearm --json | jq -r .state)" "state, b missing"
	mirvolctl stop rearm
}
