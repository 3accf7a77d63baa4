# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2034 # TEST_* are read by run.sh
#
# create --force and add-plex --force erase what the devices hold only
# once the command would be accepted.  A typo in the volume's name, a
# name already taken, a device the kernel refuses (too small, named
# twice): the command fails with the reason it always gave, and the
# file system on the device is still there (blkid finds it, fsck passes).
# The tool used to wipe first and ask the kernel after.

TEST_TIMEOUT=300

# has_ext4 DEV WHAT: blkid -p still finds the ext4, and it is whole.
has_ext4() {
	local t
	t=$(blkid -p -o value -s TYPE "$1" 2>/dev/null) || t=none
	[ "$t" = ext4 ] || fail "$2: $1 no longer holds its ext4 (blkid -p: $t)"
	fsck.ext4 -n -f "$1" >"$TEST_TMP/fsck" 2>&1 ||
		fail "$2: fsck of $1: $(tail -n 3 "$TEST_TMP/fsck" | tr '\n' ' ')"
}

run_test() {
	local json tiny
	require blkid mkfs.ext4 fsck.ext4 jq losetup
	mk_nullb big 96
	mk_nullb fs 96
	mk_nullb small 32
	load_mirvol
	mirvolctl create --name keep --assume-clean /dev/big >/dev/null ||
		fail "create keep"
	mkfs.ext4 -q -F -L precious /dev/fs || fail "mkfs.ext4 /dev/fs"
	mkfs.ext4 -q -F -L small /dev/small || fail "mkfs.ext4 /dev/small"
	settle

	# The tool's own refusal: no such volume.
	expect_fail_reason OBJECT_NOT_FOUND mirvolctl add-plex --force nosuchvol /dev/fs
	has_ext4 /dev/fs "add-plex --force to a volume that does not exist"
	# The kernel's: the name is taken.
	expect_fail_reason NAME_EXISTS mirvolctl create --force --name keep /dev/fs
	has_ext4 /dev/fs "create --force with a name taken"
	# The kernel's, after it opened the device: smaller than the volume.
	expect_fail_reason SOURCE_TOO_SMALL mirvolctl add-plex --force keep /dev/small
	has_ext4 /dev/small "add-plex --force of a device smaller than the volume"
	# The kernel's: one device named twice.
	expect_fail_reason DUPLICATE_DEVICE mirvolctl create --force /dev/fs /dev/fs
	has_ext4 /dev/fs "create --force with a device named twice"
	# The kernel's: a device smaller than the metadata area.
	truncate -s 960K "$TEST_TMP/tiny"
	modprobe loop
	tiny=$(losetup -f --show "$TEST_TMP/tiny") || fail "losetup"
	mkfs.ext4 -q -F "$tiny" || fail "mkfs.ext4 $tiny"
	expect_fail_reason DEVICE_TOO_SMALL mirvolctl create --force "$tiny"
	has_ext4 "$tiny" "create --force of a device too small"
	losetup -d "$tiny"
	json=$(mirvolctl show keep --json)
	assert_eq 1 "$(jq '.plexes | length' <<<"$json")" "plexes of keep after the refusals"
	assert_eq 1 "$(mirvolctl list --json | jq length)" "volumes after the refusals"

	# Accepted: erased, then added.
	mirvolctl add-plex --force --wait keep /dev/fs >/dev/null 2>"$TEST_TMP/err" ||
		fail "add-plex --force: $(cat "$TEST_TMP/err")"
	grep -q "^/dev/fs: erased an ext4 file system" "$TEST_TMP/err" ||
		fail "add-plex --force did not tell what it erased: $(cat "$TEST_TMP/err")"
	json=$(mirvolctl show keep --json)
	assert_eq '["active","active"]' "$(jq -c '[.plexes[].state]' <<<"$json")" "plex states after add-plex --force"
	mirvolctl remove --yes keep || fail "remove keep"
	rm_nullb big
	rm_nullb fs
	rm_nullb small
}

cleanup() {
	mirvolctl remove --yes keep 2>/dev/null
	:
}
