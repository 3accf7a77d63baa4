# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2034 # TEST_* are read by run.sh
#
# Queue limits are stacked from the plexes: discard is advertised only
# when every plex supports it, the logical block size is the largest, and
# adding a plex restacks them.  I/O statistics of the volume work.

TEST_TIMEOUT=300

q() {
	cat "/sys/block/mirvol0/queue/$1"
}

run_test() {
	local reads writes
	require jq
	mk_brd 2 64
	modprobe null_blk nr_devices=0
	mk_nullb_cfg nodisc 64 discard=0
	mk_nullb_cfg big 64 blocksize=4096
	load_mirvol

	mirvolctl create --name lim --assume-clean /dev/ram0 /dev/ram1 >/dev/null
	[ "$(q discard_max_bytes)" -gt 0 ] || fail "discard not offered over two brd plexes"
	assert_eq 512 "$(q logical_block_size)" "logical block size over brd"
	# A plex without discard: the volume stops offering it.
	mirvolctl add-plex lim /dev/nodisc --wait >/dev/null
	assert_eq 0 "$(q discard_max_bytes)" "discard with a plex that lacks it"
	mirvolctl remove --yes lim

	# A 4 KiB-sector plex makes the volume 4 KiB-sector.
	mirvolctl create --name lim --assume-clean /dev/ram0 /dev/big >/dev/null
	assert_eq 4096 "$(q logical_block_size)" "logical block size with a 4K plex"

	# I/O statistics.
	read -r reads _ _ _ writes _ </sys/block/mirvol0/stat
	dd if=/dev/urandom of=/dev/mirvol0 bs=64k count=16 oflag=direct status=none
	dd if=/dev/mirvol0 of=/dev/null bs=64k count=16 iflag=direct status=none
	read -r r2 _ _ _ w2 _ </sys/block/mirvol0/stat
	[ $((r2 - reads)) -ge 16 ] || fail "reads counted: $((r2 - reads))"
	[ $((w2 - writes)) -ge 16 ] || fail "writes counted: $((w2 - writes))"
	mirvolctl remove --yes lim
	rm_nullb nodisc
	rm_nullb big
}

# mk_nullb_cfg NAME SIZE_MB ATTR=VALUE...: a null_blk with configfs settings.
mk_nullb_cfg() {
	local name=$1 size=$2 d=/sys/kernel/config/nullb/$1 kv
	shift 2
	mkdir "$d"
	echo 1 >"$d/memory_backed"
	echo "$size" >"$d/size"
	for kv in "$@"; do
		echo "${kv#*=}" >"$d/${kv%%=*}"
	done
	echo 1 >"$d/power"
	wait_for 10 test -b "/dev/$name"
}
