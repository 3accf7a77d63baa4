# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2034 # TEST_* are read by run.sh
#
# Every refusal of break-plex, remove-plex and add-plex, produced for real
# through mirvolctl: VOLUME_NOT_A_MIRROR, OBJECT_NOT_FOUND, PLEX_IS_BOOT,
# REMAINING_PLEX_STALE, PLEX_NOT_IN_SYNC, VOLUME_NOT_ONLINE,
# OBJECT_STATUS_FAILED, INVALID_OPERATION, DEVICE_BUSY, SOURCE_TOO_SMALL,
# TOO_MANY_PLEXES and CANCEL_TOO_LATE; each leaves the volume unchanged.
# mirvolctl resolves VOL and PLEX itself and never sends an unknown one:
# the kernel's OBJECT_NOT_FOUND for an unknown plex or volume is checked
# with raw ioctls (plex-ioctl).

TEST_TIMEOUT=400

# reason_number NAME: the number of MIRVOL_R_NAME in the uapi header.
reason_number() {
	sed -n "s/^[[:space:]]*MIRVOL_R_$1[[:space:]]*=[[:space:]]*\([0-9]*\),.*/\1/p" \
		"$MIRVOL_SRC/uapi/linux/mirvol.h"
}

run_test() {
	local leg1 before op i err c nf n dev devs=()
	local raw=$MIRVOL_SRC/tools/testing/integration/plex-ioctl
	require jq
	[ -x "$raw" ] || fail "$raw is not built (make testprogs)"
	mk_brd 9 24
	load_mirvol

	mirvolctl create --name single --assume-clean /dev/ram0 >/dev/null
	expect_fail_reason VOLUME_NOT_A_MIRROR mirvolctl break-plex single 0
	expect_fail_reason VOLUME_NOT_A_MIRROR mirvolctl remove-plex single 0
	mirvolctl add-plex single /dev/ram1 --wait >/dev/null
	before=$(mirvolctl show single --json)
	nf="ENOENT $(reason_number OBJECT_NOT_FOUND)"
	[ "$nf" != "ENOENT " ] || fail "no OBJECT_NOT_FOUND in the uapi header"
	for c in break-plex remove-plex set-plex; do
		assert_eq "$nf" "$("$raw" "$c" "$(jq -r .uuid <<<"$before")" \
			00000000-0000-0000-0000-000000000001)" "$c of an unknown plex (raw ioctl)"
	done
	assert_eq "$nf" "$("$raw" break-plex 00000000-0000-0000-0000-000000000001 \
		"$(jq -r '.plexes[0].uuid' <<<"$before")")" "break-plex of an unknown volume (raw ioctl)"
	# The same through mirvolctl, which finds out by itself.
	expect_fail_reason OBJECT_NOT_FOUND mirvolctl break-plex single 5
	expect_fail_reason OBJECT_NOT_FOUND mirvolctl break-plex single 00000000-0000-0000-0000-000000000001
	expect_fail_reason OBJECT_NOT_FOUND mirvolctl break-plex nosuch 0
	mirvolctl set-plex single 1 --boot
	assert_eq true "$(mirvolctl show single --json | jq '.plexes[1].boot')" "boot flag"
	expect_fail_reason PLEX_IS_BOOT mirvolctl break-plex single 1
	expect_fail_reason PLEX_IS_BOOT mirvolctl remove-plex single 1
	mirvolctl set-plex single 1 --no-boot
	# Nothing changed but the flag going and coming back.
	assert_eq "$(jq -c '[.plexes[] | [.uuid, .state]]' <<<"$before")" \
		"$(mirvolctl show single --json | jq -c '[.plexes[] | [.uuid, .state]]')" "plexes"
	expect_fail_reason INVALID_OPERATION mirvolctl add-plex single --from-volume single
	expect_fail_reason INVALID_OPERATION mirvolctl add-plex single /dev/mirvol0
	n=$(mirvolctl op list --json | jq length)
	expect_fail_reason DEVICE_BUSY mirvolctl add-plex single /dev/ram0
	# Refused when the kernel opens the device, after the operation was
	# reserved: nothing is kept, not even a failed operation.
	assert_eq "$n" "$(mirvolctl op list --json | jq length)" \
		"operations after add-plex of a plex"
	n=$(mirvolctl op list --json | jq length)
	expect_fail_reason DEVICE_BUSY mirvolctl create --name dup /dev/ram0
	assert_eq "$n" "$(mirvolctl op list --json | jq length)" \
		"operations after create over a plex"

	# A source volume that is open is refused.
	mirvolctl create --name src --assume-clean /dev/ram2 >/dev/null
	exec 7<"$(mirvolctl show src --json | jq -r .device)"
	expect_fail_reason DEVICE_BUSY mirvolctl add-plex single --from-volume src
	exec 7<&-
	mirvolctl remove --yes src

	# A smaller device is refused.
	mk_nullb small 16
	expect_fail_reason SOURCE_TOO_SMALL mirvolctl add-plex single /dev/small
	rm_nullb small

	# A failed plex: it cannot be broken off; the in-sync one cannot go.
	leg1=$(dm_error_wrap /dev/ram3 leg1)
	mirvolctl create --name deg --wait /dev/ram4 "$leg1" >/dev/null
	dm_set_error leg1
	dd if=/dev/zero of="$(mirvolctl show deg --json | jq -r .device)" bs=4k count=1 oflag=direct status=none
	assert_eq failed "$(mirvolctl show deg --json | jq -r '.plexes[1].state')" "failed plex"
	expect_fail_reason PLEX_NOT_IN_SYNC mirvolctl break-plex deg 1
	expect_fail_reason REMAINING_PLEX_STALE mirvolctl break-plex deg 0
	expect_fail_reason REMAINING_PLEX_STALE mirvolctl remove-plex deg 0
	# Removing the failed plex is allowed.
	mirvolctl remove-plex deg 1 --wait >/dev/null
	assert_eq 1 "$(mirvolctl show deg --json | jq '.plexes | length')" "plexes after remove-plex"
	mirvolctl remove --yes deg

	# The failed plex's device comes back: its rewrite failed, so it still
	# carries deg's superblock, and udev gathers it as an offline member
	# of a volume that no longer exists.  It is held, not reused.
	dm_set_linear leg1
	settle
	assert_eq offline "$(mirvolctl show deg --json | jq -r .state)" "the returning member's volume"
	expect_fail_reason DEVICE_BUSY mirvolctl create --name x "$leg1"
	err=$(mirvolctl create --name x "$leg1" 2>&1) || true
	grep -q "is plex 1 of volume deg (offline)" <<<"$err" ||
		fail "the error does not say who holds $leg1: $err"
	mirvolctl remove --yes deg

	# A failed volume, every plex's device gone: not online, status
	# failed.  Write errors alone never make it so: the last in-sync
	# plex is kept and the writes fail (132).
	mk_nullb dead0 32
	mk_nullb dead1 32
	mirvolctl create --name dead --wait /dev/dead0 /dev/dead1 >/dev/null
	dev=$(mirvolctl show dead --json | jq -r .device)
	echo 0 >/sys/kernel/config/nullb/dead0/power
	echo 0 >/sys/kernel/config/nullb/dead1/power
	wait_for 10 sh -c "$MIRVOLCTL show dead --json | jq -e '.state == \"failed\"'"
	dd if=/dev/zero of="$dev" bs=4k count=1 oflag=direct status=none 2>/dev/null &&
		fail "a write to a volume without a working plex succeeded"
	expect_fail_reason VOLUME_NOT_ONLINE mirvolctl break-plex dead 0
	expect_fail_reason OBJECT_STATUS_FAILED mirvolctl add-plex dead /dev/ram6
	mirvolctl remove --yes dead
	rmdir /sys/kernel/config/nullb/dead0 /sys/kernel/config/nullb/dead1

	# Nine plexes.
	mirvolctl remove --yes single
	# Not ram3: leg1's member of deg, held again by udev.
	for i in 0 1 2 4 5 6 7 8; do devs+=("/dev/ram$i"); done
	mirvolctl create --name eight --assume-clean "${devs[@]}" >/dev/null
	mk_nullb ninth 32
	expect_fail_reason TOO_MANY_PLEXES mirvolctl add-plex eight /dev/ninth

	# Cancelling an operation that has ended.
	op=$(mirvolctl remove-plex eight 7)
	mirvolctl op wait "$op" >/dev/null
	expect_fail_reason CANCEL_TOO_LATE mirvolctl op cancel "$op"
	expect_fail_reason OBJECT_NOT_FOUND mirvolctl op status 999999
	mirvolctl remove --yes eight
	rm_nullb ninth
}
