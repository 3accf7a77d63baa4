# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2034 # TEST_* are read by run.sh
#
# break-plex of a volume on 4096-byte-sector plexes with a volatile write
# cache, while a task tries to open the new volume's disk before it is
# filled (race_delay_ms holds the break with that disk added, empty).
# The new volume must advertise its plex's logical block size, write
# cache and FUA, and the open must be refused (ENXIO): an opener may set
# the page cache's block size to the empty disk's logical block size (512
# bytes; left alone, a disk of size 0 gets PAGE_SIZE) and, holding it
# open across the fill, keep it over the 4096-byte plex.

TEST_TIMEOUT=300

_nullb_4k() {
	local d=/sys/kernel/config/nullb/$1
	[ -d /sys/module/null_blk ] || modprobe null_blk nr_devices=0 ||
		fail "modprobe null_blk failed"
	mkdir "$d" || fail "cannot create null_blk $1"
	echo 1 >"$d/memory_backed"
	echo 4096 >"$d/blocksize"
	echo 64 >"$d/size"
	echo 16 >"$d/cache_size"
	echo 1 >"$d/power"
	wait_for 10 test -b "/dev/$1"
}

# The break's new disk: a mirvol disk other than the volume's.
_new_disk() {
	local b
	for b in /sys/block/mirvol*; do
		[ -e "$b" ] && [ "${b##*/}" != "$1" ] && { echo "${b##*/}"; return 0; }
	done
	return 1
}

run_test() {
	local vol old new opened=no q rc bsz wrote
	require jq timeout
	_nullb_4k n4a
	_nullb_4k n4b
	load_mirvol
	vol=$(mirvolctl create --name k4 --wait /dev/n4a /dev/n4b)
	old=${vol##*/}
	q=/sys/block/$old/queue
	assert_eq 4096 "$(cat "$q/logical_block_size")" "the volume's logical block size"
	assert_eq "write back" "$(cat "$q/write_cache")" "the volume's write cache"
	echo 3000 >/sys/module/mirvol/parameters/race_delay_ms
	bg_mirvolctl brk break-plex k4 1 --name k4b --wait
	wait_for 20 _new_disk "$old"
	new=$(_new_disk "$old")
	# Held open (fd 3) across the fill, if the open is let through, with
	# the block size the empty disk allows (its logical block size: 512).
	if exec 3<"/dev/$new"; then
		opened=yes
		blockdev --setbsz 512 "/dev/$new" || true
	fi 2>/dev/null
	wait
	echo 0 >/sys/module/mirvol/parameters/race_delay_ms
	rc=$(cat "$TEST_TMP/brk.rc")
	[ "$rc" -eq 0 ] || fail "break-plex failed: $(cat "$TEST_TMP/brk.err")"
	assert_eq "/dev/$new" "$(mirvolctl show k4b --json | jq -r .device)" "the new volume's device"
	q=/sys/block/$new/queue
	assert_eq 4096 "$(cat "$q/logical_block_size")" "the new volume's logical block size"
	assert_eq "write back" "$(cat "$q/write_cache")" "the new volume's write cache"
	assert_eq 1 "$(cat "$q/fua")" "the new volume's FUA"
	bsz=$(blockdev --getbsz "/dev/$new")
	# A buffered write of a 512-byte block goes through the page cache.
	wrote=yes
	dd if=/dev/urandom of="/dev/$new" bs=512 count=1 seek=1 conv=notrunc,fsync \
	   status=none 2>"$TEST_TMP/dd.err" || wrote="no: $(cat "$TEST_TMP/dd.err")"
	log "open of the empty disk: $opened; block size seen: $bsz; write: $wrote"
	[ $opened = no ] || exec 3<&-
	assert_eq yes "$wrote" "a 512-byte buffered write"
	[ "$bsz" -ge 4096 ] || fail "the new volume's block size is $bsz"
	assert_eq no "$opened" "the empty disk opened before its fill"
	clean_volumes
	unload_mirvol
}
