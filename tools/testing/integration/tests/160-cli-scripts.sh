# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2034 # TEST_* are read by run.sh
#
# Issue 12, a CLI scripts can rely on: create and add-plex refuse a device
# holding an ext4 file system unless --force; status says "all volumes
# healthy" (exit 0) or what to do (exit 1), in text and JSON; wipe refuses
# a member the module holds and erases a stopped one; the bash completion
# offers the volume names in an interactive bash.  Every command that
# reports something prints JSON with --json: create, add-plex, break-plex,
# replace, re-add, online, merge-plex, remove-plex, stop, remove and
# assemble (a volume started, one waiting for a member, one refused), each
# document parsed and its values checked against show and op status.

TEST_TIMEOUT=300

run_test() {
	local out err rc
	require jq mkfs.ext4 bash
	mk_brd 6 32
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

	json_outputs
}

# jq_is WHAT JSON FILTER: FILTER holds for JSON (jq -e).
jq_is() {
	jq -e "$3" <<<"$2" >/dev/null || fail "$1: '$3' does not hold for $(jq -c . <<<"$2" 2>&1)"
}

# dirty_zero VOL: wait until VOL's bitmap is clean (bits clear a while
# after the writes), so that a copy covers only what is written next.
dirty_zero() {
	wait_for 30 sh -c "$MIRVOLCTL show $1 --json | jq -e '.bitmap_dirty_regions == 0'"
}

# The --json of every command that changes volumes, and of assemble.
json_outputs() {
	local j show uuid op region want rc err snap
	head -c 1M /dev/urandom >"$TEST_TMP/1m"
	# ram0 keeps ext4's superblock (wipe leaves the first 4 KiB), ram2
	# holds a file system: start from zeros
	dd if=/dev/zero of=/dev/ram0 bs=1M count=2 status=none
	dd if=/dev/zero of=/dev/ram2 bs=1M count=2 status=none

	# create --wait: the volume as show prints it, the finished resync
	j=$(mirvolctl create --json --name js --wait /dev/ram3 /dev/ram4)
	show=$(mirvolctl show js --json)
	uuid=$(jq -r .uuid <<<"$show")
	jq_is "create --json" "$j" '.volume.name == "js" and
		.volume.uuid == "'"$uuid"'" and
		.volume.device == "'"$(jq -r .device <<<"$show")"'" and
		([.volume.plexes[].device] == ["/dev/ram3", "/dev/ram4"]) and
		.operation.type == "resync" and .operation.state == "succeeded" and
		.operation.volume == "'"$uuid"'" and .operation.percent == 100'
	[ -b "$(jq -r .volume.device <<<"$j")" ] || fail "create --json: no device node"
	op=$(jq .operation.id <<<"$j")
	jq_is "op status of create's resync" "$(mirvolctl op status "$op" --json)" \
		'.id == '"$op"' and .type == "resync"'
	region=$(jq .bitmap_region_bytes <<<"$show")
	want=$((region > 1048576 ? region : 1048576))

	# add-plex: the operation, which op status knows
	j=$(mirvolctl add-plex --json js /dev/ram5)
	op=$(jq -e .id <<<"$j") || fail "add-plex --json: $j"
	jq_is "add-plex --json" "$j" '.type == "add-plex" and
		.volume == "'"$uuid"'" and (.state == "running" or .state == "succeeded")'
	jq_is "op status of add-plex" "$(mirvolctl op status "$op" --json)" \
		'.id == '"$op"' and .type == "add-plex" and .volume == "'"$uuid"'"'
	jq_is "op wait of add-plex" "$(mirvolctl op wait "$op" --json)" '.state == "succeeded"'

	# break-plex --track-changes --wait: the new volume and the operation
	dirty_zero js
	j=$(mirvolctl break-plex --json --track-changes --wait --name jsnap js /dev/ram5)
	show=$(mirvolctl show jsnap --json)
	snap=$(jq -r .uuid <<<"$show")
	jq_is "break-plex --json" "$j" '.volume.name == "jsnap" and
		.volume.uuid == "'"$snap"'" and .new_volume_uuid == "'"$snap"'" and
		.volume.device == "'"$(jq -r .device <<<"$show")"'" and
		([.volume.plexes[].device] == ["/dev/ram5"]) and
		.volume.split_peer == "'"$uuid"'" and
		.operation.type == "break-plex" and .operation.state == "succeeded" and
		.operation.outputs == ["'"$snap"'"]'

	# merge-plex: the 1 MiB written on js since the split goes back
	# onto ram5
	dd if="$TEST_TMP/1m" of="$(mirvolctl show js --json | jq -r .device)" bs=1M oflag=direct status=none
	j=$(mirvolctl merge-plex --json --wait js jsnap)
	jq_is "merge-plex --json" "$j" '.type == "merge-plex" and .state == "succeeded" and
		.volume == "'"$uuid"'" and .total_bytes == '"$want"' and .done_bytes == '"$want"
	mirvolctl show jsnap >/dev/null 2>&1 && fail "jsnap still exists after merge-plex"
	# remove-plex --wait: ram5 leaves again
	j=$(mirvolctl remove-plex --json --wait js /dev/ram5)
	jq_is "remove-plex --json" "$j" '.type == "remove-plex" and .state == "succeeded" and
		.volume == "'"$uuid"'"'
	assert_eq "/dev/ram3 /dev/ram4" \
		"$(mirvolctl show js --json | jq -r '[.plexes[].device] | join(" ")')" "devices after remove-plex"

	# replace --wait: the finished replace; ram0 took ram4's place
	j=$(mirvolctl replace --json --wait js /dev/ram4 /dev/ram0)
	jq_is "replace --json" "$j" '.type == "replace" and .state == "succeeded" and
		.volume == "'"$uuid"'" and .reason == null and .errno == 0'
	assert_eq "/dev/ram3 /dev/ram0" \
		"$(mirvolctl show js --json | jq -r '[.plexes[].device] | join(" ")')" "devices after replace"

	# fail, a write, re-add: a resync of what it missed
	dirty_zero js
	mirvolctl fail js /dev/ram0
	dd if="$TEST_TMP/1m" of="$(mirvolctl show js --json | jq -r .device)" bs=1M oflag=direct status=none
	j=$(mirvolctl re-add --json --wait js /dev/ram0)
	jq_is "re-add --json" "$j" '.type == "resync" and .state == "succeeded" and
		.volume == "'"$uuid"'" and .total_bytes == '"$want"' and .done_bytes == '"$want"
	# offline, a write, online without --wait: the operation started
	dirty_zero js
	mirvolctl offline js /dev/ram0
	dd if="$TEST_TMP/1m" of="$(mirvolctl show js --json | jq -r .device)" bs=1M seek=4 oflag=direct status=none
	j=$(mirvolctl online --json js /dev/ram0)
	op=$(jq -e .id <<<"$j") || fail "online --json: $j"
	jq_is "online --json" "$j" '.type == "resync" and .volume == "'"$uuid"'"'
	jq_is "op wait of online" "$(mirvolctl op wait "$op" --json)" \
		'.state == "succeeded" and .total_bytes == '"$want"
	# online of a plex that is not offline: the error, nothing on stdout
	rc=0
	j=$(mirvolctl online --json js /dev/ram0 2>"$TEST_TMP/err") || rc=$?
	assert_eq 1 "$rc" "online --json of an active plex"
	assert_eq "" "$j" "stdout of a failed online --json"
	grep -q "^mirvolctl: online: .* (INVALID_OPERATION)$" "$TEST_TMP/err" ||
		fail "online --json error: $(cat "$TEST_TMP/err")"

	# stop: the volume and the devices it let go
	show=$(mirvolctl show js --json)
	j=$(mirvolctl stop --json js)
	settle
	jq_is "stop --json" "$j" '.name == "js" and .uuid == "'"$uuid"'" and
		.device == "'"$(jq -r .device <<<"$show")"'" and
		.devices == ["/dev/ram3", "/dev/ram0"]'

	# assemble --incremental of one member: js waits, 1 of 2 present
	j=$(mirvolctl assemble --json --incremental /dev/ram3)
	jq_is "assemble --incremental --json" "$j" '.started == [] and .refused == [] and
		.waiting == [{"name": "js", "uuid": "'"$uuid"'", "device": null,
			"state": "offline", "members_present": 1,
			"members_expected": 2, "reason": null}] and
		.members == [{"device": "/dev/ram3", "result": "pending", "reason": null,
			"volume": "'"$uuid"'", "plex": 0,
			"generation": .members[0].generation}]'
	# --run VOL: started degraded
	j=$(mirvolctl assemble --json --run js)
	show=$(mirvolctl show js --json)
	jq_is "assemble --run --json" "$j" '.waiting == [] and .refused == [] and
		(.started | length) == 1 and .started[0].name == "js" and
		.started[0].uuid == "'"$uuid"'" and .started[0].state == "degraded" and
		.started[0].device == "'"$(jq -r .device <<<"$show")"'"'
	[ -b "$(jq -r .started[0].device <<<"$j")" ] || fail "assemble --run --json: no device node"

	# A script that creates a volume and stops it at once: create's
	# change events for the members (their first as members) are still
	# queued; stop lets udev handle them first, while the volume runs.
	# Handled after the stop, they would start assembling it again and
	# leave it waiting.  Three rounds: the race is the timing's.
	for i in 1 2 3; do
		mirvolctl create --name quick --assume-clean /dev/ram1 /dev/ram2 >/dev/null
		mirvolctl stop quick >/dev/null
		settle
		mirvolctl show quick >/dev/null 2>&1 &&
			fail "round $i: quick is back after its stop: $(mirvolctl list | tr '\n' '|')"
		mirvolctl wipe /dev/ram1 >/dev/null
		mirvolctl wipe /dev/ram2 >/dev/null
		settle
	done

	# A new 2-plex volume assembled from one member without --run:
	# refused (VOLUME_INCOMPLETE), its name read from the member
	mirvolctl create --json --name jr --assume-clean /dev/ram1 /dev/ram2 >"$TEST_TMP/jr"
	jq_is "create --json --assume-clean" "$(cat "$TEST_TMP/jr")" \
		'.operation == null and .volume.name == "jr" and .volume.state == "online"'
	uuid=$(jq -r .volume.uuid "$TEST_TMP/jr")
	# udev handles the change events of create (the members' new heads)
	# while jr runs: handled after the stop, ram2's first event as a member
	# would start assembling jr, and the assembly below would complete it.
	settle
	mirvolctl stop jr >/dev/null
	settle
	rc=0
	j=$(mirvolctl assemble --json /dev/ram1 2>"$TEST_TMP/err") || rc=$?
	assert_eq 1 "$rc" "assemble of one member of two"
	err=$(tail -n 1 "$TEST_TMP/err")
	[[ $err == *"(VOLUME_INCOMPLETE)" ]] || fail "assemble of one member: $err"
	jq_is "assemble --json, refused" "$j" '.started == [] and .waiting == [] and
		.refused == [{"name": "jr", "uuid": "'"$uuid"'",
			"reason": "VOLUME_INCOMPLETE", "devices": ["/dev/ram1"]}] and
		.members[0].result == "refused" and .members[0].reason == "VOLUME_INCOMPLETE"'
	mirvolctl show jr >/dev/null 2>&1 && fail "a refused assembly left jr behind"
	# both members: started, online, every member active
	j=$(mirvolctl assemble --json /dev/ram1 /dev/ram2)
	jq_is "assemble --json, both members" "$j" '(.started | length) == 1 and
		.started[0].name == "jr" and .started[0].state == "online" and
		.started[0].operation == null and
		([.members[].result] == ["active", "active"]) and
		([.members[].plex] == [0, 1])'

	# remove: the devices whose metadata is gone
	j=$(mirvolctl remove --json --yes jr)
	jq_is "remove --json" "$j" '.name == "jr" and .uuid == "'"$uuid"'" and
		.devices == ["/dev/ram1", "/dev/ram2"]'
	expect_fail_reason NOT_A_MEMBER mirvolctl examine /dev/ram1
	j=$(mirvolctl remove --json --yes js)
	jq_is "remove --json of a degraded volume" "$j" '.name == "js" and .devices == ["/dev/ram3"]'
}
