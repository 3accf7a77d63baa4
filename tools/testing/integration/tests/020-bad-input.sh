# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2034 # TEST_* are read by run.sh
#
# Bad input: every ioctl field tried with bad values by ioctl-abuse (random
# bytes, huge counts, bad fds, non-block fds, the same device twice, a
# device in use, a volume as its own plex, zero and nine plexes, bad and
# duplicate names, unprivileged callers): each gets its error and reason
# and leaves no state.  Then volumes are created and removed in a loop
# while slab usage is watched: it must not grow.

TEST_TIMEOUT=600
# ioctl-abuse stops volumes and assembles their members itself: udev's
# incremental assembly, run on the change event a stop or an erase makes,
# would start them meanwhile (a volume counted that the ioctl did not make).
TEST_UDEV=0

slab_kb() {
	awk '/^Slab:/ { print $2 }' /proc/meminfo
}

# module_caches FILE: kB in the caches mirvol's objects come from.
module_caches() {
	awk '$1 ~ /^(kmalloc-|bio-|biovec-|request_queue|bdev_cache|kernfs_node_cache|kernfs_iattrs_cache)/ { s += $2 }
	     END { print int(s / 1024) }' "$1"
}

# slab_snapshot FILE: bytes per slab cache, after dropping caches.
slab_snapshot() {
	sync
	echo 3 >/proc/sys/vm/drop_caches
	sleep 1
	awk 'NR > 2 { print $1, $3 * $4 }' /proc/slabinfo | sort >"$1"
}

run_test() {
	local i before after abuse prog
	mk_brd 3 16
	load_mirvol
	# Too small for a volume: 1 MiB of metadata + 1 MiB of data.
	mk_nullb tiny 1
	# The 64-bit program, then the same checks through the compat path.
	for prog in ioctl-abuse ioctl-abuse32; do
		abuse=$MIRVOL_SRC/tools/testing/integration/$prog
		[ -x "$abuse" ] || fail "$abuse is not built (make testprogs)"
		"$abuse" /dev/ram0 /dev/ram1 /dev/tiny >"$TEST_TMP/$prog.out" 2>&1 || {
			grep '^not ok' "$TEST_TMP/$prog.out" | head -n 5
			fail "$prog: $(grep -c '^not ok' "$TEST_TMP/$prog.out") checks failed, first: $(grep -m1 '^not ok' "$TEST_TMP/$prog.out")"
		}
		log "$prog: $(grep -c '^ok' "$TEST_TMP/$prog.out") checks passed"
	done

	# The tool reports its own errors in the same format.
	expect_fail_reason NOT_BLOCK_DEVICE mirvolctl create --name x /dev/null
	expect_fail_reason DUPLICATE_DEVICE mirvolctl create --name x /dev/ram0 /dev/ram0
	expect_fail_reason TOO_MANY_PLEXES mirvolctl create --name x /dev/ram0 /dev/ram1 /dev/ram2 /dev/ram0 /dev/ram1 /dev/ram2 /dev/ram0 /dev/ram1 /dev/ram2
	expect_fail_reason INVALID_ARGUMENT mirvolctl create --name "bad name" /dev/ram0
	expect_fail_reason INVALID_ARGUMENT mirvolctl create --name "$(printf 'n%.0s' {1..64})" /dev/ram0
	expect_fail_reason DEVICE_TOO_SMALL mirvolctl create --name x /dev/tiny
	# A create refused after it opened its first devices leaves them as
	# they were: nothing was written to them, so nothing is erased
	# either (their first 2 MiB hold where a metadata head would go).
	dd if=/dev/urandom of=/dev/ram1 bs=1M count=2 oflag=direct status=none
	before=$(dd if=/dev/ram1 bs=1M count=2 iflag=direct status=none | sha256sum)
	expect_fail_reason DEVICE_TOO_SMALL mirvolctl create --name x /dev/ram1 /dev/tiny
	after=$(dd if=/dev/ram1 bs=1M count=2 iflag=direct status=none | sha256sum)
	[ "$before" = "$after" ] ||
		fail "a refused create changed the head of /dev/ram1, which it never wrote"
	mirvolctl create --name dup --assume-clean /dev/ram0 >/dev/null
	expect_fail_reason NAME_EXISTS mirvolctl create --name dup /dev/ram1
	expect_fail_reason DEVICE_BUSY mirvolctl create --name other /dev/ram0
	expect_fail_reason INVALID_OPERATION mirvolctl create --name stacked /dev/mirvol0
	mirvolctl remove --yes dup

	# Create/remove in a loop: the caches the module allocates from
	# (kmalloc, bios, queues, block devices, sysfs nodes) stay flat.  The
	# rest of slab moves with other bookkeeping of 60 new names (udev's,
	# tmpfs inodes and dentries in /run, where udevd runs), which is not
	# the module's.
	for i in $(seq 10); do
		mirvolctl create --name "warm$i" --assume-clean /dev/ram0 /dev/ram1 >/dev/null
		mirvolctl remove --yes "warm$i"
	done
	settle
	slab_snapshot "$TEST_TMP/slab.before"
	for i in $(seq 60); do
		mirvolctl create --name "loop$i" --assume-clean /dev/ram0 /dev/ram1 >/dev/null
		mirvolctl remove --yes "loop$i"
	done
	settle
	slab_snapshot "$TEST_TMP/slab.after"
	before=$(module_caches "$TEST_TMP/slab.before")
	after=$(module_caches "$TEST_TMP/slab.after")
	log "module caches before $before kB, after 60 create/remove cycles $after kB; all slab: $(slab_kb) kB"
	# One leaked volume is over 10 kB (volume, plexes, barrier, bitmap,
	# kobjects): 60 would be most of a megabyte.  Allow 256 kB of noise.
	# (make check-debug's kmemleak sees single objects.)
	if [ $((after - before)) -ge 256 ]; then
		join "$TEST_TMP/slab.before" "$TEST_TMP/slab.after" |
			awk '{ print $3 - $2, $1 }' | sort -n | tail -n 5
		fail "the module's caches grew by $((after - before)) kB over 60 create/remove cycles"
	fi
	rm_nullb tiny
	unload_mirvol
}
