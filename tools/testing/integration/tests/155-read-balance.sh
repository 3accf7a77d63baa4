# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2034 # TEST_* are read by run.sh
#
# Issue 13: reads learn each plex's service time, and set-plex
# --write-mostly keeps a plex out of reads.  Plex 1 is a RAM disk behind
# dm-delay (3 ms): random reads at queue depth 1 go to the fast plex 0
# but for the probes (balancing by I/O in flight alone sent every other
# read to the slow one).  With plex 0 write-mostly every read goes to the
# slow plex; the flag survives a stop and an assembly; cleared, the fast
# plex reads again; with plex 1 failed, the write-mostly plex 0 serves
# every read, with the right data.

TEST_TIMEOUT=300

# plex_reads N: reads plex N of mirvol0 has served.
plex_reads() {
	cat "/sys/block/mirvol0/mirvol/plex$1/read_ios"
}

# randread QD IOS: IOS random 4 KiB direct reads of mirvol0 at depth QD.
randread() {
	fio --name=rb --filename=/dev/mirvol0 --direct=1 --ioengine=libaio \
	    --rw=randread --bs=4k --iodepth="$1" --number_ios="$2" --size=32M \
	    --output="$TEST_TMP/fio.out" >/dev/null ||
		fail "fio failed: $(cat "$TEST_TMP/fio.out")"
}

# share QD IOS: the reads of plex 0 and plex 1 during randread QD IOS.
share() {
	local a0 a1
	a0=$(plex_reads 0)
	a1=$(plex_reads 1)
	randread "$1" "$2"
	echo "$(($(plex_reads 0) - a0)) $(($(plex_reads 1) - a1))"
}

run_test() {
	local slow r0 r1 json
	require fio jq dmsetup cmp
	mk_brd 2 48
	modprobe dm_delay || fail "modprobe dm_delay failed"
	_dmsetup create slow --table "0 $(dev_sectors /dev/ram1) delay /dev/ram1 0 3" ||
		fail "dmsetup create slow failed"
	settle
	wait_for 10 test -b /dev/mapper/slow
	slow=/dev/mapper/slow
	load_mirvol
	head -c 32M /dev/urandom >"$TEST_TMP/data"
	mirvolctl create --name rb --wait /dev/ram0 "$slow" >/dev/null
	dd if="$TEST_TMP/data" of=/dev/mirvol0 bs=1M oflag=direct status=none

	# Learned service times: the slow plex serves almost nothing at qd1.
	randread 1 200
	read -r r0 r1 <<<"$(share 1 2000)"
	log "qd1: fast plex $r0 reads, slow plex $r1"
	[ $((r0 + r1)) -eq 2000 ] || fail "qd1: $r0 + $r1 reads, not 2000"
	[ "$r1" -le 100 ] || fail "qd1: the 3 ms plex served $r1 of 2000 reads"

	# Write-mostly plex 0: every read goes to the slow plex 1.
	mirvolctl set-plex rb 0 --write-mostly
	json=$(mirvolctl show rb --json)
	assert_eq '[true,false]' "$(jq -c '[.plexes[].write_mostly]' <<<"$json")" "write_mostly after set-plex"
	mirvolctl show rb | grep -Eq '^0 .*write-mostly' || fail "show lists no write-mostly flag: $(mirvolctl show rb)"
	read -r r0 r1 <<<"$(share 4 300)"
	log "plex 0 write-mostly: $r0 / $r1"
	assert_eq "0 300" "$r0 $r1" "reads with plex 0 write-mostly"

	# Stored: across a stop and an assembly.
	mirvolctl stop rb
	mirvolctl assemble /dev/ram0 "$slow" >/dev/null || fail "assemble failed"
	assert_eq '[true,false]' "$(mirvolctl show rb --json | jq -c '[.plexes[].write_mostly]')" "write_mostly after assembly"
	read -r r0 r1 <<<"$(share 4 300)"
	assert_eq "0 300" "$r0 $r1" "reads with plex 0 write-mostly, assembled"

	# Cleared: the fast plex reads again.
	mirvolctl set-plex rb 0 --no-write-mostly
	assert_eq '[false,false]' "$(mirvolctl show rb --json | jq -c '[.plexes[].write_mostly]')" "write_mostly after --no-write-mostly"
	read -r r0 r1 <<<"$(share 1 500)"
	[ "$r0" -ge 400 ] || fail "after --no-write-mostly the fast plex served $r0 of 500 reads"

	# The write-mostly plex is the last resort: plex 1 failed, it reads.
	mirvolctl set-plex rb 0 --write-mostly
	mirvolctl fail rb 1
	read -r r0 r1 <<<"$(share 4 300)"
	# (udev's probe after the failure may read too)
	[ "$r1" -eq 0 ] && [ "$r0" -ge 300 ] ||
		fail "reads with plex 1 failed: $r0 on plex 0, $r1 on the failed plex 1"
	cmp -n 32M "$TEST_TMP/data" /dev/mirvol0 || fail "data differs read from the write-mostly plex"
}

cleanup() {
	mirvolctl remove --yes rb 2>/dev/null
	_dmsetup remove slow 2>/dev/null
	true
}
