# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2034 # TEST_* are read by run.sh
#
# A 3-plex volume over brd: fio with crc32c verify over the whole volume,
# then every plex's data region is byte-identical to the others; ext4 on
# it survives umount + e2fsck -fn; remove frees the devices; rmmod works.

TEST_TIMEOUT=400

run_test() {
	local vol json off size i
	require fio mkfs.ext4 e2fsck cmp jq
	mk_brd 3 96
	load_mirvol
	vol=$(mirvolctl create --name basic --wait /dev/ram0 /dev/ram1 /dev/ram2)
	assert_eq /dev/mirvol0 "$vol" "device node printed by create"
	json=$(mirvolctl show basic --json)
	assert_eq online "$(jq -r .state <<<"$json")" "volume state"
	assert_eq 3 "$(jq '.plexes | length' <<<"$json")" "plex count"
	assert_eq '["active","active","active"]' "$(jq -c '[.plexes[].state]' <<<"$json")" "plex states"
	off=$(jq '.plexes[0].data_offset_bytes' <<<"$json")
	size=$(jq .size_bytes <<<"$json")
	assert_eq "$size" "$(blockdev --getsize64 "$vol")" "size of $vol"

	fio --name=verify --filename="$vol" --direct=1 --ioengine=libaio \
	    --rw=randwrite --bs=4k --bsrange=4k-64k --iodepth=16 --numjobs=1 \
	    --size="$size" --verify=crc32c --do_verify=1 --verify_fatal=1 \
	    --output="$TEST_TMP/fio.out"
	grep -q 'err= 0' "$TEST_TMP/fio.out" || fail "fio: $(grep err= "$TEST_TMP/fio.out")"

	for i in 1 2; do
		cmp -n "$size" -i "$off:$off" /dev/ram0 "/dev/ram$i" ||
			fail "data region of plex $i differs from plex 0"
	done

	mkfs.ext4 -q -F "$vol"
	mkdir -p "$TEST_TMP/mnt"
	mount "$vol" "$TEST_TMP/mnt"
	head -c 8M /dev/urandom >"$TEST_TMP/mnt/file"
	cp "$TEST_TMP/mnt/file" "$TEST_TMP/copy"
	expect_fail_reason DEVICE_BUSY mirvolctl remove basic
	umount "$TEST_TMP/mnt"
	e2fsck -fn "$vol" >"$TEST_TMP/fsck.out" 2>&1 || fail "e2fsck: $(tail -n 3 "$TEST_TMP/fsck.out")"

	expect_fail_reason OBJECT_NOT_FOUND mirvolctl show nosuchvolume
	assert_fails rmmod mirvol
	mirvolctl remove basic
	[ ! -b "$vol" ] || wait_for 10 test ! -b "$vol"
	assert_eq '[]' "$(mirvolctl list --json | jq -c .)" "volumes after remove"
	unload_mirvol
}

cleanup() {
	umount "$TEST_TMP/mnt" 2>/dev/null || true
}
