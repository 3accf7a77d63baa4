#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# mirvolctl's user-space tests (make -C tools/mirvolctl test).  No module
# and no root needed: examine runs on image files crafted with the shared
# codec (tests/mkimage), the ioctl paths run against tests/fakectl.so, a
# stand-in for the module loaded with LD_PRELOAD.
#
# Prints "PASS name" / "FAIL name" per test and a last line
# "tool-tests: N passed, M failed"; exits 1 if any failed.  With
# MIRVOLCTL_TEST_COUNTS=FILE the counts also go to FILE ("passed=N",
# "failed=M", as make check's stages write them).
#
# Golden outputs: tests/golden/NAME.out and NAME.err are the exact stdout
# and stderr of the run golden-NAME; MIRVOLCTL_TEST_BLESS=1 rewrites them
# from this run (review the diff before committing).
set -u

cd "$(dirname "$0")/.." || exit 1
TOOL=$PWD/mirvolctl
UNIT=$PWD/tests/unit
MKIMAGE=$PWD/tests/mkimage
FAKE=$PWD/tests/fakectl.so
OUT=$PWD/tests/out
GOLDEN=$PWD/tests/golden
for b in "$TOOL" "$UNIT" "$MKIMAGE"; do
	[ -x "$b" ] || { echo "run.sh: $b missing; use make test" >&2; exit 1; }
done
rm -rf "$OUT"
mkdir -p "$OUT"

pass=0
fail=0

# A case is "expect NAME ... && checks; then ok NAME; fi": when a check
# after expect fails, neither ok nor ko runs.  expect leaves its NAME
# pending until ok or ko; one still pending at the next expect, or at the
# end, counts as failed.
pending=""
ok() { echo "PASS $1"; pass=$((pass + 1)); pending=""; }
ko() {
	echo "FAIL $1${2:+: $2}"
	fail=$((fail + 1))
	pending=""
}
# expect_also NAME WANT CMD...: a further command in the case pending.
expect_also() { EXPECT_ALSO=1 expect "$@"; }
flush_pending() {
	[ -z "$pending" ] || ko "$pending" "a check after its command failed (see $OUT/$pending.{out,err})"
}

# run NAME CMD...: run CMD, leaving stdout, stderr and status in
# $OUT/NAME.{out,err} and $rc.
run() {
	local name=$1
	shift
	"$@" >"$OUT/$name.out" 2>"$OUT/$name.err" </dev/null
	rc=$?
}

# expect NAME RC CMD...: CMD must exit RC.
expect() {
	local name=$1 want=$2
	shift 2
	if [ -n "${EXPECT_ALSO:-}" ]; then
		EXPECT_ALSO=
	else
		flush_pending
		pending=$name
	fi
	run "$name" "$@"
	if [ "$rc" -eq "$want" ]; then
		return 0
	fi
	ko "$name" "exit $rc, expected $want; stderr: $(head -c 300 "$OUT/$name.err")"
	return 1
}

# One error line, "mirvolctl: CMD: ... (REASON)", and nothing else.
err_is() {
	local name=$1 cmd=$2 reason=$3 f=$OUT/$1.err
	[ "$(wc -l <"$f")" -eq 1 ] &&
		grep -Eq "^mirvolctl: $cmd: .+ \\($reason\\)\$" "$f"
}

# Like err_is, but the error line may follow other lines.
last_err_is() {
	local cmd=$2 reason=$3 f=$OUT/$1.err
	tail -n 1 "$f" | grep -Eq "^mirvolctl: $cmd: .+ \\($reason\\)\$"
}

# logged NAME WANT: the fake module's log of the run NAME (MIRVOL_FAKE_LOG,
# what the tool put in its ioctl structs) is exactly WANT.
logged() {
	local got
	got=$(cat "$OUT/$1.log" 2>/dev/null)
	[ "$got" = "$2" ] && return 0
	echo "  $1: fake log: got '$got', want '$2'"
	return 1
}

# golden NAME: stdout and stderr of the run NAME are exactly the golden
# files (the diff is left in $OUT/NAME.diff).
golden() {
	local name=$1 g=$GOLDEN/${1#golden-} f
	if [ -n "${MIRVOLCTL_TEST_BLESS:-}" ]; then
		cp "$OUT/$name.out" "$g.out"
		cp "$OUT/$name.err" "$g.err"
		return 0
	fi
	: >"$OUT/$name.diff"
	for f in out err; do
		diff -u "$g.$f" "$OUT/$name.$f" >>"$OUT/$name.diff" 2>&1 ||
			return 1
	done
}

have_jq=0
command -v jq >/dev/null && have_jq=1

# jq_ok NAME FILTER: the stdout of NAME parses and FILTER holds.
jq_ok() {
	[ $have_jq -eq 1 ] || return 0
	jq -e "$2" "$OUT/$1.out" >/dev/null 2>&1
}

# ---- unit tests (C) -----------------------------------------------------

"$UNIT" >"$OUT/unit.out" 2>"$OUT/unit.err"
unit_rc=$?
while read -r verdict name; do
	case $verdict in
	PASS) ok "unit/$name" ;;
	FAIL) ko "unit/$name" ;;
	esac
done <"$OUT/unit.out"
[ $unit_rc -eq 0 ] || [ "$(grep -c '^FAIL' "$OUT/unit.out")" -gt 0 ] ||
	ko "unit/exit-status" "exit $unit_rc"

# ---- usage errors (exit 2, before any device or module is touched) --------

usage_case() {
	local name=$1
	shift
	if expect "usage-$name" 2 "$TOOL" "$@"; then
		if grep -Eq "^mirvolctl: .+\\(INVALID_ARGUMENT\\)\$" \
			"$OUT/usage-$name.err"; then
			ok "usage-$name"
		else
			ko "usage-$name" "no error line"
		fi
	fi
}

usage_case no-command
usage_case unknown-command frobnicate
usage_case create-no-dev create
usage_case create-unknown-opt create --frob /dev/null
usage_case create-missing-arg create /dev/null --name
usage_case remove-no-vol remove
usage_case remove-extra remove a b
usage_case show-two-formats-extra show a b
usage_case list-extra list x
usage_case status-extra status x
usage_case status-export status --export
usage_case rename-one-arg rename a
usage_case break-no-plex break-plex vol
usage_case set-plex-no-flag set-plex vol 0
usage_case set-plex-both-flags set-plex vol 0 --boot --no-boot
usage_case set-plex-both-wm set-plex vol 0 --write-mostly --no-write-mostly
usage_case add-plex-nothing add-plex vol
usage_case add-plex-both add-plex vol /dev/null --from-volume x
usage_case add-plex-from-force add-plex vol --from-volume x --force
usage_case op-no-args op
usage_case op-bad-sub op frob 1
usage_case op-bad-id op status abc
usage_case op-zero-id op status 0
usage_case op-timeout-not-wait op status 1 --timeout 3
usage_case op-bad-timeout op wait 1 --timeout -1
usage_case assemble-nothing assemble
usage_case assemble-scan-dev assemble --scan /dev/null
usage_case assemble-incr-two assemble --incremental /dev/a /dev/b
usage_case assemble-scan-incr assemble --scan --incremental
usage_case examine-no-dev examine
usage_case examine-two examine a b
usage_case version-extra version x
usage_case wipe-no-dev wipe
usage_case wipe-extra wipe a b
usage_case wipe-bad-opt wipe --yes a
usage_case help-unknown help frob
usage_case check-no-vol check
usage_case check-extra check a b
usage_case check-force check vol --force
usage_case repair-from-no-arg repair vol --from
usage_case repair-force repair vol --force
usage_case resync-from resync vol --from 0
usage_case resync-no-vol resync --force
usage_case create-bad-bitmap create --bitmap external /dev/null
usage_case create-region-none create --bitmap none --region-size 64K /dev/null
usage_case create-region-small create --region-size 32K /dev/null
usage_case create-region-not-pow2 create --region-size 96K /dev/null
usage_case create-region-big create --region-size 2T /dev/null
usage_case create-region-garbage create --region-size 64Q /dev/null
usage_case create-region-zero create --region-size 0 /dev/null
usage_case fail-no-plex fail vol
usage_case fail-extra fail vol 0 /dev/null
usage_case fail-wait fail vol 0 --wait
usage_case offline-wait offline vol 0 --wait
usage_case online-extra online vol 0 /dev/null
usage_case re-add-extra re-add vol 0 /dev/null x
usage_case re-add-no-plex re-add vol
usage_case replace-no-dev replace vol 0
usage_case replace-extra replace vol 0 /dev/null x
usage_case set-no-vol set --bitmap none
usage_case set-extra set a b --bitmap none
usage_case set-nothing set vol
usage_case set-bad-bitmap set vol --bitmap yes
usage_case set-region-no-bitmap set vol --region-size 1M
usage_case set-region-none set vol --bitmap none --region-size 1M
usage_case set-region-bad set vol --bitmap internal --region-size 100K
usage_case set-speed-bad set vol --sync-speed-min fast
usage_case set-speed-overflow set vol --sync-speed-max 4294967296
usage_case set-speed-order set vol --sync-speed-min 5000 --sync-speed-max 100
usage_case merge-one-arg merge-plex vol
usage_case merge-extra merge-plex a b c
usage_case merge-from-volume merge-plex a b --from-volume c
usage_case break-track-arg break-plex vol 0 --track-changes=yes
# --json where a command reports something; the others print nothing
usage_case fail-json fail vol 0 --json
usage_case fail-j fail vol 0 -j
usage_case fail-w fail vol 0 -w
usage_case offline-json offline vol 0 --json
usage_case set-json set vol --bitmap none --json
usage_case set-j set vol -j --bitmap none
usage_case rename-json rename a b --json
usage_case set-plex-json set-plex vol 0 --boot --json
usage_case wipe-json wipe --json /dev/null
usage_case stop-json-extra stop --json a b
usage_case remove-json-no-vol remove --json --yes
usage_case assemble-json-nothing assemble --json
usage_case assemble-json-scan-dev assemble --json --scan /dev/null
usage_case create-json-no-dev create --json
usage_case add-plex-json-nothing add-plex --json vol
usage_case merge-json-one-arg merge-plex --json vol
usage_case replace-json-no-dev replace -j vol 0
usage_case json-arg create --json=yes /dev/null

# --help: exit 0, usage on stdout
for c in create remove stop list status show rename break-plex remove-plex \
	 add-plex check repair resync set-plex op assemble examine version \
	 set merge-plex fail offline online re-add replace wipe; do
	if expect "help-$c" 0 "$TOOL" "$c" --help &&
	   grep -q "^usage: mirvolctl $c " "$OUT/help-$c.out"; then
		ok "help-$c"
	else
		ko "help-$c" "no usage line"
	fi
done
if expect help-main 0 "$TOOL" --help && grep -q examine "$OUT/help-main.out"
then ok help-main; fi

# Options after positional arguments and "--" are accepted.
if expect opts-after-args 2 "$TOOL" set-plex vol 0 --bogus &&
   grep -q "unknown option '--bogus'" "$OUT/opts-after-args.err"; then
	ok opts-after-args
fi

# ---- client-side errors (exit 1) ------------------------------------------

if expect open-fails 1 "$TOOL" create /nonexistent/dev &&
   grep -qx "mirvolctl: create: /nonexistent/dev: No such file or directory (INVALID_ARGUMENT)" "$OUT/open-fails.err"
then ok open-fails; fi

if expect bad-name 1 "$TOOL" create --name "bad name" /dev/null &&
   err_is bad-name create INVALID_ARGUMENT; then ok bad-name; fi

if expect long-name 1 "$TOOL" rename v "$(printf 'a%.0s' $(seq 64))" &&
   err_is long-name rename INVALID_ARGUMENT; then ok long-name; fi

# /dev/mirvol/NAME-partN is partition N of volume NAME.
if expect part-name 1 "$TOOL" rename v "v2-part1" &&
   err_is part-name rename INVALID_ARGUMENT &&
   grep -q "partition" "$OUT/part-name.err"; then ok part-name; fi

if expect break-part-name 1 "$TOOL" break-plex v 1 --name "v-part2" &&
   err_is break-part-name break-plex INVALID_ARGUMENT; then
	ok break-part-name
fi

if expect too-many-devs 1 "$TOOL" create 1 2 3 4 5 6 7 8 9 &&
   err_is too-many-devs create TOO_MANY_PLEXES; then ok too-many-devs; fi

# ---- examine on crafted images --------------------------------------------

IMG=$OUT/img
mkdir -p "$IMG"

"$MKIMAGE" "$IMG/valid" --gen 5 --name data --plexes 2 --index 1 ||
	ko mkimage "mkimage failed"

if expect examine-valid 0 "$TOOL" examine "$IMG/valid" &&
   grep -Eq "Volume Name : data$" "$OUT/examine-valid.out" &&
   grep -Eq "Generation : 5$" "$OUT/examine-valid.out" &&
   grep -Eq "Slot 1 : valid, generation 5 \\(current\\)" "$OUT/examine-valid.out" &&
   grep -Eq "Slot 0 : valid, generation 4$" "$OUT/examine-valid.out"
then ok examine-valid; else [ "$rc" -eq 0 ] && ko examine-valid "text"; fi

expected_export="ID_FS_TYPE=mirvol_member
ID_FS_USAGE=raid
MIRVOL_UUID=11111111-1111-1111-1111-111111111111
MIRVOL_NAME=data
MIRVOL_PLEX_UUID=22222222-2222-2222-2222-222222222201
MIRVOL_PLEX_INDEX=1
MIRVOL_GENERATION=5"
if expect examine-export 0 "$TOOL" examine --export "$IMG/valid" &&
   [ "$(cat "$OUT/examine-export.out")" = "$expected_export" ] &&
   [ ! -s "$OUT/examine-export.err" ]
then ok examine-export; else ko examine-export "$(cat "$OUT/examine-export.out")"; fi

if expect examine-json 0 "$TOOL" examine --json "$IMG/valid" &&
   jq_ok examine-json '.current_slot == 1 and .reason == null and
	(.slots | length) == 2 and .slots[1].valid and .slots[0].valid and
	.slots[1].superblock.name == "data" and
	.slots[1].superblock.generation == 5 and
	.slots[1].superblock.plex_index == 1 and
	.slots[1].superblock.volume_uuid == "11111111-1111-1111-1111-111111111111" and
	(.slots[1].superblock.plexes | length) == 2 and
	.slots[1].superblock.plexes[0].state == "active" and
	.slots[0].superblock.generation == 4 and
	.device != null and .size_bytes == 8388608'
then ok examine-json; else [ "$rc" -eq 0 ] && ko examine-json "jq"; fi

# one slot corrupt: the other is current
"$MKIMAGE" "$IMG/one-bad" --gen 6 --corrupt 0
if expect examine-one-corrupt 0 "$TOOL" examine --json "$IMG/one-bad" &&
   jq_ok examine-one-corrupt '.current_slot == 1 and .reason == null and
	(.slots[0].valid | not) and .slots[0].defect == "checksum mismatch" and
	.slots[0].superblock.csum_ok == false and
	.slots[1].superblock.generation == 5'
then ok examine-one-corrupt; else [ "$rc" -eq 0 ] && ko examine-one-corrupt "jq"; fi

if expect examine-one-corrupt-export 0 "$TOOL" examine --export "$IMG/one-bad" &&
   grep -qx "MIRVOL_GENERATION=5" "$OUT/examine-one-corrupt-export.out"
then ok examine-one-corrupt-export; fi

# both corrupt
"$MKIMAGE" "$IMG/both-bad" --gen 6 --corrupt 2
if expect examine-both-corrupt 1 "$TOOL" examine "$IMG/both-bad" &&
   last_err_is examine-both-corrupt examine METADATA_CORRUPT &&
   grep -q "Slot 0 : checksum mismatch" "$OUT/examine-both-corrupt.out" &&
   grep -q "Slot 1 : checksum mismatch" "$OUT/examine-both-corrupt.out"
then ok examine-both-corrupt; else [ "$rc" -eq 1 ] && ko examine-both-corrupt "output"; fi

if expect examine-both-corrupt-json 1 "$TOOL" examine --json "$IMG/both-bad" &&
   jq_ok examine-both-corrupt-json '.current_slot == null and
	.reason == "METADATA_CORRUPT" and (.slots[0].valid | not) and
	(.slots[1].valid | not)' &&
   err_is examine-both-corrupt-json examine METADATA_CORRUPT
then ok examine-both-corrupt-json; else [ "$rc" -eq 1 ] && ko examine-both-corrupt-json; fi

if expect examine-both-corrupt-export 0 "$TOOL" examine --export "$IMG/both-bad" &&
   [ "$(cat "$OUT/examine-both-corrupt-export.out")" = "ID_FS_TYPE=mirvol_member
ID_FS_USAGE=raid
MIRVOL_METADATA=corrupt" ]
then ok examine-both-corrupt-export; else ko examine-both-corrupt-export "$(cat "$OUT/examine-both-corrupt-export.out")"; fi

# unknown version (checksum right): 3; 1 and 2 are known
"$MKIMAGE" "$IMG/version" --gen 3 --slots cur --version 1:3
if expect examine-version 1 "$TOOL" examine "$IMG/version" &&
   last_err_is examine-version examine METADATA_VERSION
then ok examine-version; fi
if expect examine-version-json 1 "$TOOL" examine --json "$IMG/version" &&
   jq_ok examine-version-json '.reason == "METADATA_VERSION" and
	.slots[1].defect == "unknown version" and
	.slots[1].superblock.version == 3 and .slots[0].defect == "no superblock" and
	(.slots[0] | has("superblock") | not)'
then ok examine-version-json; fi

# no superblock at all
truncate -s 4M "$IMG/empty"
if expect examine-none 1 "$TOOL" examine "$IMG/empty" &&
   err_is examine-none examine NOT_A_MEMBER && [ ! -s "$OUT/examine-none.out" ]
then ok examine-none; fi
if expect examine-none-export 1 "$TOOL" examine --export "$IMG/empty" &&
   [ ! -s "$OUT/examine-none-export.out" ] && [ ! -s "$OUT/examine-none-export.err" ]
then ok examine-none-export; else ko examine-none-export "not quiet"; fi

# a file too small for the slots, and an empty file
truncate -s 5000 "$IMG/tiny"
: >"$IMG/zero"
if expect examine-tiny 1 "$TOOL" examine "$IMG/tiny" &&
   err_is examine-tiny examine NOT_A_MEMBER &&
   expect_also examine-zero 1 "$TOOL" examine --export "$IMG/zero"
then ok examine-small-files; fi

# a slot whose name holds bytes that are not UTF-8: JSON must still parse
"$MKIMAGE" "$IMG/rawname" --gen 2 --slots cur --raw-name 0
if expect examine-rawname 1 "$TOOL" examine --json "$IMG/rawname" &&
   jq_ok examine-rawname '.slots[0].defect == "bad name" and
	.slots[0].superblock.name == "\ufffd\u0001\""'
then ok examine-rawname-json; fi
if expect examine-rawname-text 1 "$TOOL" examine "$IMG/rawname" &&
   last_err_is examine-rawname-text examine METADATA_CORRUPT
then ok examine-rawname-text; fi

# a plex table with a stale plex and a dirty flag
"$MKIMAGE" "$IMG/stale" --gen 9 --plexes 3 --state 2:2 --dirty
if expect examine-stale 0 "$TOOL" examine --json "$IMG/stale" &&
   jq_ok examine-stale '.slots[1].superblock.dirty and
	.slots[1].superblock.plexes[2].state == "stale" and
	.slots[1].superblock.plexes[2].sync_offset == 0'
then ok examine-stale-json; fi

# version 2: bitmap, stored speeds, a tracked split, plex flags
"$MKIMAGE" "$IMG/v2" --gen 7 --region 128 --cleared-gen 6 --speeds 0:90000 \
	--split 5 --plex-flags 1:2
if expect examine-v2 0 "$TOOL" examine "$IMG/v2" &&
   grep -qx "         Version : 2" "$OUT/examine-v2.out" &&
   grep -qx "   Bitmap Region : 128 sectors (64.0K)" "$OUT/examine-v2.out" &&
   grep -qx "    Bitmap Flags : 0x00000000" "$OUT/examine-v2.out" &&
   grep -qx "     Cleared Gen : 6" "$OUT/examine-v2.out" &&
   grep -qx "      Sync Speed : default - 90000 KiB/s" "$OUT/examine-v2.out" &&
   grep -qx "      Split Peer : 33333333-3333-3333-3333-333333333333" "$OUT/examine-v2.out" &&
   grep -qx "       Split Gen : 5" "$OUT/examine-v2.out" &&
   grep -Eq "^  1 +22222222-2222-2222-2222-222222222201 +active .* last-in-sync$" "$OUT/examine-v2.out" &&
   grep -Eq "^\* 0 +22222222-.* -$" "$OUT/examine-v2.out"
then ok examine-v2; else [ "$rc" -eq 0 ] && ko examine-v2 "text"; fi
if expect examine-v2-json 0 "$TOOL" examine --json "$IMG/v2" &&
   jq_ok examine-v2-json '.slots[1].superblock as $s | $s.version == 2 and
	$s.bitmap_region == 128 and $s.bitmap_flags == 0 and
	$s.bitmap_cleared_gen == 6 and $s.sync_speed_min == 0 and
	$s.sync_speed_max == 90000 and
	$s.split_peer == "33333333-3333-3333-3333-333333333333" and
	$s.split_generation == 5 and $s.plexes[1].last_in_sync and
	($s.plexes[1].bitmap_sync | not) and ($s.plexes[0].last_in_sync | not)'
then ok examine-v2-json; else [ "$rc" -eq 0 ] && ko examine-v2-json "jq"; fi
# version 1 (today's volumes): still read, no bitmap, default speeds
"$MKIMAGE" "$IMG/v1" --gen 3 --slots cur --version 1:1
if expect examine-v1 0 "$TOOL" examine "$IMG/v1" &&
   grep -qx "         Version : 1" "$OUT/examine-v1.out" &&
   grep -qx "          Bitmap : none" "$OUT/examine-v1.out" &&
   grep -qx "      Sync Speed : default - default KiB/s" "$OUT/examine-v1.out" &&
   ! grep -q "Split" "$OUT/examine-v1.out" &&
   expect_also examine-v1-json 0 "$TOOL" examine --json "$IMG/v1" &&
   jq_ok examine-v1-json '.slots[1].valid and .slots[1].superblock.version == 1 and
	.slots[1].superblock.bitmap_region == 0 and
	.slots[1].superblock.split_peer == "00000000-0000-0000-0000-000000000000"'
then ok examine-v1; else ko examine-v1 "output"; fi
# the bitmap-sync plex flag, shown as stored whatever the codec thinks
"$MKIMAGE" "$IMG/bitmap-sync" --gen 3 --region 128 --plex-flags 1:4
run examine-bitmap-sync "$TOOL" examine --json "$IMG/bitmap-sync"
if jq_ok examine-bitmap-sync '.slots[1].superblock.plexes[1].bitmap_sync and
	.slots[1].superblock.plexes[1].flags == 4 and
	(.slots[1].superblock.plexes[0].bitmap_sync | not)'
then ok examine-bitmap-sync; else ko examine-bitmap-sync "jq"; fi

# not a file or block device
if expect examine-chardev 1 "$TOOL" examine /dev/null &&
   err_is examine-chardev examine NOT_BLOCK_DEVICE
then ok examine-chardev; fi
if expect examine-dir 1 "$TOOL" examine /; then ok examine-dir; fi

# ---- wipe on image files ------------------------------------------------------

# bytes_are FILE OFFSET LENGTH OCTAL: LENGTH bytes at OFFSET are all \OCTAL
bytes_are() {
	local n
	n=$(dd if="$1" iflag=skip_bytes,count_bytes skip="$2" count="$3" \
		status=none | tr -d "\\$4" | wc -c)
	[ "$n" -eq 0 ] &&
	[ "$(dd if="$1" iflag=skip_bytes,count_bytes skip="$2" count="$3" \
		status=none | wc -c)" -eq "$3" ]
}
# fill FILE OFFSET LENGTH: write 0xff bytes there
fill() {
	head -c "$3" /dev/zero | tr '\0' '\377' |
		dd of="$1" oflag=seek_bytes seek="$2" conv=notrunc status=none
}

# a member: both slots and the bitmap area zeroed, the first 4 KiB and the
# data left alone
"$MKIMAGE" "$IMG/wipe" --gen 5 --name data --plexes 2 --index 1
fill "$IMG/wipe" 0 4096
fill "$IMG/wipe" 65536 4096
fill "$IMG/wipe" $((1048576 - 4096)) 4096
fill "$IMG/wipe" 1048576 65536
if bytes_are "$IMG/wipe" 1048576 65536 377 &&
   expect wipe-member 0 "$TOOL" wipe "$IMG/wipe" &&
   [ ! -s "$OUT/wipe-member.out" ] && [ ! -s "$OUT/wipe-member.err" ] &&
   bytes_are "$IMG/wipe" 4096 $((1048576 - 4096)) 000 &&
   bytes_are "$IMG/wipe" 0 4096 377 &&
   bytes_are "$IMG/wipe" 1048576 65536 377 &&
   [ "$(stat -c %s "$IMG/wipe")" -eq 8388608 ] &&
   expect_also wipe-member-examine 1 "$TOOL" examine "$IMG/wipe" &&
   err_is wipe-member-examine examine NOT_A_MEMBER
then ok wipe-member; else ko wipe-member "$(cat "$OUT/wipe-member.err" 2>/dev/null)"; fi

# corrupt slots are still mirvol's: no --force needed
cp "$IMG/both-bad" "$IMG/wipe-bad"
if expect wipe-corrupt 0 "$TOOL" wipe "$IMG/wipe-bad" &&
   bytes_are "$IMG/wipe-bad" 4096 8192 000
then ok wipe-corrupt; fi

# no superblock: refused, nothing written; --force erases
truncate -s 4M "$IMG/wipe-none"
fill "$IMG/wipe-none" 8192 4096
fill "$IMG/wipe-none" 65536 4096
if expect wipe-not-member 1 "$TOOL" wipe "$IMG/wipe-none" &&
   err_is wipe-not-member wipe NOT_A_MEMBER &&
   grep -q -- "--force" "$OUT/wipe-not-member.err" &&
   bytes_are "$IMG/wipe-none" 65536 4096 377
then ok wipe-not-member; else [ "$rc" -ne 1 ] || ko wipe-not-member "$(cat "$OUT/wipe-not-member.err")"; fi
if expect wipe-force 0 "$TOOL" wipe --force "$IMG/wipe-none" &&
   bytes_are "$IMG/wipe-none" 4096 $((1048576 - 4096)) 000 &&
   [ "$(stat -c %s "$IMG/wipe-none")" -eq 4194304 ]
then ok wipe-force; else [ "$rc" -ne 0 ] || ko wipe-force "not zeroed"; fi

# a file smaller than the metadata area is not extended
truncate -s 20000 "$IMG/wipe-small"
fill "$IMG/wipe-small" 4096 4096
if expect wipe-small 0 "$TOOL" wipe "$IMG/wipe-small" --force &&
   [ "$(stat -c %s "$IMG/wipe-small")" -eq 20000 ] &&
   bytes_are "$IMG/wipe-small" 4096 15904 000
then ok wipe-small; else [ "$rc" -ne 0 ] || ko wipe-small "size or bytes"; fi

if expect wipe-chardev 1 "$TOOL" wipe /dev/null &&
   err_is wipe-chardev wipe NOT_BLOCK_DEVICE; then ok wipe-chardev; fi
if expect wipe-nonexistent 1 "$TOOL" wipe /nonexistent/dev &&
   err_is wipe-nonexistent wipe INVALID_ARGUMENT; then ok wipe-nonexistent; fi

# examine never opens the control device (module not loaded, no modprobe)
if expect examine-no-module 0 env MIRVOLCTL_CONTROL=/nonexistent/ctl \
	"$TOOL" examine --export "$IMG/valid"; then ok examine-no-module; fi

# show --export (udev's import for a volume's events) never loads the
# module: an event handled after rmmod would load it again.  No control
# device, no volume: nothing to import, and nothing said.
if expect show-export-no-module 1 env MIRVOLCTL_CONTROL=/nonexistent/ctl \
	"$TOOL" show --export mirvol0 &&
   [ ! -s "$OUT/show-export-no-module.out" ] &&
   [ ! -s "$OUT/show-export-no-module.err" ]
then ok show-export-no-module
else [ "$rc" -ne 1 ] || ko show-export-no-module "printed: $(cat "$OUT/show-export-no-module.err")"; fi

# ---- the control device missing / not mirvol --------------------------------

if expect no-control 1 env MIRVOLCTL_CONTROL=/nonexistent/ctl "$TOOL" list &&
   err_is no-control list NOT_SUPPORTED; then ok no-control; fi
if expect not-mirvol 1 env MIRVOLCTL_CONTROL=/dev/null "$TOOL" list &&
   err_is not-mirvol list NOT_SUPPORTED &&
   grep -q "gave no reason code" "$OUT/not-mirvol.err"; then ok not-mirvol; fi

# ---- ioctl paths against the fake module ------------------------------------

if [ -f "$FAKE" ]; then
	fk() { env LD_PRELOAD="$FAKE" MIRVOLCTL_CONTROL=/dev/null "$@"; }
	A=aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa
	B=bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb

	if expect fake-version 0 fk "$TOOL" version --json &&
	   jq_ok fake-version '.abi_major == 2 and (.features | index("assemble")) != null and .max_plexes == 8'
	then ok fake-version; fi
	if expect fake-abi-mismatch 1 fk env MIRVOL_FAKE_ABI=3 "$TOOL" list &&
	   err_is fake-abi-mismatch list NOT_SUPPORTED; then ok fake-abi-mismatch; fi

	if expect fake-list-json 0 fk "$TOOL" list --json &&
	   jq_ok fake-list-json 'length == 2 and .[0].name == "data" and
		.[0].device == "/dev/mirvol0" and .[0].state == "degraded" and
		.[0].size_bytes == 67108864 and .[0].generation == 12 and
		.[0].dirty == false and .[0].sync_speed_min_kib == 1000 and
		.[0].sync_speed_max_kib == 200000 and
		.[0].operation.id == 7 and .[0].operation.type == "add-plex" and
		.[0].operation.state == "running" and .[0].operation.percent == 42 and
		(.[0].plexes | length) == 2 and .[0].plexes[0].boot == true and
		.[0].plexes[0].state == "active" and .[0].plexes[0].sync_percent == 100 and
		.[0].plexes[1].state == "syncing" and .[0].plexes[1].sync_percent == 25 and
		.[0].plexes[1].read_errors == 3 and .[0].plexes[0].data_offset_bytes == 1048576 and
		(.[0].plexes[0].device | test("^/dev/(loop0|block/7:0)$")) and
		.[1].name == "backup" and .[1].device == null and .[1].state == "offline" and
		.[1].operation == null and .[1].dirty == true and .[1].plexes[0].device == null and
		.[1].plexes[0].state == "missing"'
	then ok fake-list-json; else [ "$rc" -eq 0 ] && ko fake-list-json "jq"; fi

	if expect fake-list-text 0 fk "$TOOL" list &&
	   grep -Eq "^NAME +DEVICE +SIZE +STATE +PLEXES +OP" "$OUT/fake-list-text.out" &&
	   grep -Eq "^data +/dev/mirvol0 +64.0M +degraded +1/2 " "$OUT/fake-list-text.out" &&
	   grep -Eq "^backup +- +64.0M +offline +0/1 +-$" "$OUT/fake-list-text.out"
	then ok fake-list-text; else [ "$rc" -eq 0 ] && ko fake-list-text "format"; fi

	# VOL resolution: name, UUID (either case), mirvolN, /dev/mirvolN
	# (no such node here: falls back to N), /dev/mirvol/NAME (fallback)
	for v in data $A "${A^^}" mirvol0 /dev/mirvol0 /dev/mirvol/data; do
		n=resolve-${v//\//_}
		if expect "$n" 0 fk "$TOOL" show --export "$v" &&
		   grep -qx "MIRVOL_NAME=data" "$OUT/$n.out"; then
			ok "$n"
		fi
	done
	if expect resolve-backup-uuid 0 fk "$TOOL" show --export $B &&
	   [ "$(cat "$OUT/resolve-backup-uuid.out")" = "MIRVOL_NAME=backup
MIRVOL_UUID=$B
MIRVOL_STATE=offline" ]; then ok resolve-backup-uuid; fi
	for v in nosuch mirvol1 /dev/mirvol7 /dev/mirvol/nosuch \
		 cccccccc-cccc-cccc-cccc-cccccccccccc /etc/passwd; do
		n=resolve-unknown-${v//\//_}
		if expect "$n" 1 fk "$TOOL" show "$v" &&
		   err_is "$n" show OBJECT_NOT_FOUND; then ok "$n"; fi
	done
	# a device node with the volume's number, if we may create one
	if mknod "$OUT/node" b 250 0 2>/dev/null; then
		if expect resolve-node 0 fk "$TOOL" show --json "$OUT/node" &&
		   jq_ok resolve-node '.name == "data"'; then ok resolve-node; fi
	fi

	if expect fake-show-json 0 fk "$TOOL" show --json data &&
	   jq_ok fake-show-json '.name == "data" and .operation.percent == 42 and
		.uuid == "'$A'" and (.plexes | length) == 2'
	then ok fake-show-json; fi
	if expect fake-show-text 0 fk "$TOOL" show data &&
	   grep -Eq "^State +: degraded" "$OUT/fake-show-text.out" &&
	   grep -Eq "^0 +c0c0c0c0-c0c0-c0c0-c0c0-c0c0c0c0c0c0 " "$OUT/fake-show-text.out"
	then ok fake-show-text; fi

	# PLEX resolution: index, UUID, path; unknown
	if expect plex-by-index 0 fk "$TOOL" remove-plex data 1 &&
	   [ "$(cat "$OUT/plex-by-index.out")" = 10 ]; then ok plex-by-index; fi
	if expect plex-by-uuid 0 fk "$TOOL" set-plex data \
		c1c1c1c1-c1c1-c1c1-c1c1-c1c1c1c1c1c1 --boot; then ok plex-by-uuid; fi
	if [ -b /dev/loop1 ] && [ "$(stat -c %t:%T /dev/loop1)" = 7:1 ]; then
		if expect plex-by-path 0 fk "$TOOL" remove-plex data /dev/loop1
		then ok plex-by-path; fi
	fi
	if expect plex-unknown 1 fk "$TOOL" remove-plex data 5 &&
	   err_is plex-unknown remove-plex OBJECT_NOT_FOUND; then ok plex-unknown; fi
	if expect plex-bad-path 1 fk "$TOOL" remove-plex data /nonexistent &&
	   err_is plex-bad-path remove-plex OBJECT_NOT_FOUND; then ok plex-bad-path; fi

	# create: struct discipline checked by the fake; output
	truncate -s 8M "$OUT/d0" "$OUT/d1"
	if expect fake-create 0 fk "$TOOL" create --name new "$OUT/d0" "$OUT/d1" &&
	   [ "$(cat "$OUT/fake-create.out")" = /dev/mirvol2 ] &&
	   grep -qx "mirvolctl: create: initial resync running as operation 10" "$OUT/fake-create.err"
	then ok fake-create; else [ "$rc" -eq 0 ] && ko fake-create "output"; fi
	if expect fake-create-clean 0 fk "$TOOL" create --assume-clean "$OUT/d0" &&
	   [ "$(cat "$OUT/fake-create-clean.out")" = /dev/mirvol2 ] &&
	   [ ! -s "$OUT/fake-create-clean.err" ]; then ok fake-create-clean; fi
	if expect fake-create-wait 0 fk "$TOOL" create --wait "$OUT/d0" "$OUT/d1" &&
	   [ "$(cat "$OUT/fake-create-wait.out")" = /dev/mirvol2 ]
	then ok fake-create-wait; fi
	if expect fake-create-exists 1 fk "$TOOL" create --name data "$OUT/d0" &&
	   err_is fake-create-exists create NAME_EXISTS; then ok fake-create-exists; fi

	# create and add-plex refuse a device holding a signature (libblkid)
	# unless --force, which erases it (on a copy: the next cases want the
	# original); a mirvol member is no blkid type and goes on
	truncate -s 8M "$OUT/ext4" "$OUT/gpt"
	# wiped NAME COPY WHAT: NAME's --force told it erased WHAT on COPY, and
	# libblkid finds nothing there any more
	wiped() {
		grep -q "^$2: erased $3" "$OUT/$1.err" &&
		{ ! command -v blkid >/dev/null || ! blkid -p "$2" >/dev/null 2>&1; }
	}
	if command -v mkfs.ext4 >/dev/null &&
	   mkfs.ext4 -q -F -L mvtest -U 12345678-1234-1234-1234-123456789abc "$OUT/ext4" >/dev/null 2>&1; then
		if expect fake-create-ext4 1 fk env MIRVOL_FAKE_LOG="$OUT/fake-create-ext4.log" "$TOOL" create "$OUT/d0" "$OUT/ext4" &&
		   [ "$(cat "$OUT/fake-create-ext4.err")" = "mirvolctl: create: $OUT/ext4 holds an ext4 file system (UUID 12345678-1234-1234-1234-123456789abc, label mvtest); --force to use it anyway (INVALID_OPERATION)" ] &&
		   logged fake-create-ext4 "" && [ ! -s "$OUT/fake-create-ext4.out" ]
		then ok fake-create-ext4; else [ "$rc" -ne 1 ] || ko fake-create-ext4 "$(cat "$OUT/fake-create-ext4.err")"; fi
		cp "$OUT/ext4" "$OUT/ext4-f1"
		if expect fake-create-ext4-force 0 fk env MIRVOL_FAKE_LOG="$OUT/fake-create-ext4-force.log" "$TOOL" create --force "$OUT/d0" "$OUT/ext4-f1" &&
		   logged fake-create-ext4-force "CREATE flags=0x4 region=0 nr=2 fd0=open name=
CREATE flags=0 region=0 nr=2 fd0=open name=" &&
		   [ "$(cat "$OUT/fake-create-ext4-force.out")" = /dev/mirvol2 ] &&
		   wiped fake-create-ext4-force "$OUT/ext4-f1" "an ext4 file system (UUID 12345678-1234-1234-1234-123456789abc, label mvtest) at byte offset 1080"
		then ok fake-create-ext4-force; else [ "$rc" -ne 0 ] || ko fake-create-ext4-force "$(cat "$OUT/fake-create-ext4-force.err")"; fi
		if expect fake-add-ext4 1 fk env MIRVOL_FAKE_LOG="$OUT/fake-add-ext4.log" "$TOOL" add-plex data "$OUT/ext4" &&
		   err_is fake-add-ext4 add-plex INVALID_OPERATION &&
		   grep -q "holds an ext4 file system (UUID 12345678-1234-1234-1234-123456789abc, label mvtest); --force to use it anyway" "$OUT/fake-add-ext4.err" &&
		   logged fake-add-ext4 ""
		then ok fake-add-ext4; else [ "$rc" -ne 1 ] || ko fake-add-ext4 "$(cat "$OUT/fake-add-ext4.err")"; fi
		cp "$OUT/ext4" "$OUT/ext4-f2"
		if expect fake-add-ext4-force 0 fk env MIRVOL_FAKE_LOG="$OUT/fake-add-ext4-force.log" "$TOOL" add-plex --force data "$OUT/ext4-f2" &&
		   logged fake-add-ext4-force "ADD_PLEX flags=0x4 fd=open source=00
ADD_PLEX flags=0 fd=open source=00" &&
		   [ "$(cat "$OUT/fake-add-ext4-force.out")" = 10 ] &&
		   wiped fake-add-ext4-force "$OUT/ext4-f2" "an ext4 file system"
		then ok fake-add-ext4-force; else [ "$rc" -ne 0 ] || ko fake-add-ext4-force "$(cat "$OUT/fake-add-ext4-force.err")"; fi
	else
		echo "SKIP fake-create-ext4 (mkfs.ext4 failed or missing)"
	fi
	if command -v sfdisk >/dev/null &&
	   echo 'label: gpt' | sfdisk -q "$OUT/gpt" >/dev/null 2>&1; then
		if expect fake-create-gpt 1 fk env MIRVOL_FAKE_LOG="$OUT/fake-create-gpt.log" "$TOOL" create "$OUT/gpt" &&
		   err_is fake-create-gpt create INVALID_OPERATION &&
		   grep -q "$OUT/gpt holds a gpt partition table (UUID [0-9a-f-]*); --force to use it anyway" "$OUT/fake-create-gpt.err" &&
		   logged fake-create-gpt ""
		then ok fake-create-gpt; else [ "$rc" -ne 1 ] || ko fake-create-gpt "$(cat "$OUT/fake-create-gpt.err")"; fi
		cp "$OUT/gpt" "$OUT/gpt-f1"
		if expect fake-create-gpt-force 0 fk "$TOOL" create "$OUT/gpt-f1" --force --assume-clean &&
		   [ "$(cat "$OUT/fake-create-gpt-force.out")" = /dev/mirvol2 ] &&
		   wiped fake-create-gpt-force "$OUT/gpt-f1" "a gpt partition table"
		then ok fake-create-gpt-force; fi
		if expect fake-add-gpt 1 fk "$TOOL" add-plex data "$OUT/gpt" &&
		   err_is fake-add-gpt add-plex INVALID_OPERATION &&
		   grep -q "holds a gpt partition table" "$OUT/fake-add-gpt.err" &&
		   cp "$OUT/gpt" "$OUT/gpt-f2" &&
		   expect_also fake-add-gpt-force 0 fk "$TOOL" add-plex data "$OUT/gpt-f2" --force &&
		   wiped fake-add-gpt-force "$OUT/gpt-f2" "a gpt partition table"
		then ok fake-add-gpt; else ko fake-add-gpt "$(cat "$OUT/fake-add-gpt.err")"; fi
	else
		echo "SKIP fake-create-gpt (sfdisk missing)"
	fi
	# a former mirvol member carries no blkid signature: the kernel decides
	"$MKIMAGE" "$OUT/member" --gen 5
	if expect fake-create-member 0 fk "$TOOL" create "$OUT/member" &&
	   expect_also fake-add-member 0 fk "$TOOL" add-plex data "$OUT/member"
	then ok fake-create-member; fi

	# tc NAME RC REASON LOG OUT [VAR=value...] COMMAND ARGS...: run
	# mirvolctl COMMAND ARGS against the fake; it must exit RC, the fake
	# must log exactly LOG (the ioctl structs the tool filled), stdout
	# must be OUT, stderr empty (REASON "") or one error line with REASON.
	tc() {
		local name=$1 want=$2 reason=$3 log=$4 out=$5 envs=()
		shift 5
		while [[ $1 == *=* ]]; do envs+=("$1"); shift; done
		expect "$name" "$want" fk env MIRVOL_FAKE_LOG="$OUT/$name.log" \
			"${envs[@]}" "$TOOL" "$@" || return 0
		if ! logged "$name" "$log"; then
			ko "$name" "ioctl structs"
		elif [ "$(cat "$OUT/$name.out")" != "$out" ]; then
			ko "$name" "stdout: $(head -c 200 "$OUT/$name.out")"
		elif [ -z "$reason" ] && [ -s "$OUT/$name.err" ]; then
			ko "$name" "stderr: $(head -c 300 "$OUT/$name.err")"
		elif [ -n "$reason" ] && ! err_is "$name" "$1" "$reason"; then
			ko "$name" "error line: $(head -c 300 "$OUT/$name.err")"
		else
			ok "$name"
		fi
	}

	# (with the ext4 image, when mkfs.ext4 made it)
	if [ -f "$OUT/ext4-f1" ]; then
		# --force erases only once the command would be accepted: a
		# refusal (the tool's, or the module's to CHECK) leaves the
		# device as it was.  force_refused NAME REASON LOG ARGS...: tc,
		# on a copy of the ext4 image that must come out intact.
		force_refused() {
			local name=$1 reason=$2 log=$3
			shift 3
			cp "$OUT/ext4" "$OUT/ext4-k"
			tc "$name" 1 "$reason" "$log" "" "$@"
			cmp -s "$OUT/ext4" "$OUT/ext4-k" ||
				ko "$name-kept" "--force erased the device of a refused command"
		}
		force_refused fake-create-force-exists NAME_EXISTS \
			"CREATE flags=0x4 region=0 nr=1 fd0=open name=data" \
			create --force --name data "$OUT/ext4-k"
		force_refused fake-create-force-small DEVICE_TOO_SMALL \
			"CREATE flags=0x4 region=0 nr=2 fd0=open name=" \
			MIRVOL_FAKE_SMALL=1 create --force "$OUT/d0" "$OUT/ext4-k"
		force_refused fake-add-force-nosuch OBJECT_NOT_FOUND "" \
			add-plex --force nosuch "$OUT/ext4-k"
		force_refused fake-add-force-small DEVICE_TOO_SMALL \
			"ADD_PLEX flags=0x4 fd=open source=00" \
			MIRVOL_FAKE_SMALL=1 add-plex --force data "$OUT/ext4-k"
		force_refused fake-add-force-offline VOLUME_NOT_ONLINE \
			"ADD_PLEX flags=0x4 fd=open source=00" \
			add-plex --force backup "$OUT/ext4-k"
		# A module without CHECK: the tool checks the name itself...
		force_refused fake-create-force-exists-old NAME_EXISTS "" \
			MIRVOL_FAKE_FEATURES=0x7ff create --force --name data "$OUT/ext4-k"
		grep -qx "mirvolctl: create: name 'data': .* (NAME_EXISTS)" "$OUT/fake-create-force-exists-old.err" ||
			ko fake-create-force-exists-old-msg "$(cat "$OUT/fake-create-force-exists-old.err")"
		# ...and erases without asking, as before.
		cp "$OUT/ext4" "$OUT/ext4-f3"
		if expect fake-add-force-old 0 fk env MIRVOL_FAKE_LOG="$OUT/fake-add-force-old.log" MIRVOL_FAKE_FEATURES=0x7ff "$TOOL" add-plex --force data "$OUT/ext4-f3" &&
		   logged fake-add-force-old "ADD_PLEX flags=0 fd=open source=00" &&
		   wiped fake-add-force-old "$OUT/ext4-f3" "an ext4 file system"
		then ok fake-add-force-old; else [ "$rc" -ne 0 ] || ko fake-add-force-old "$(cat "$OUT/fake-add-force-old.err")"; fi
	fi

	# plex actions: fail, offline, online, re-add, replace
	tc fake-fail 0 "" "PLEX_ACTION action=1 plex=c1 fd=-1" "" fail data 1
	tc fake-fail-last 1 REMAINING_PLEX_STALE "PLEX_ACTION action=1 plex=c0 fd=-1" "" fail data 0
	grep -q "^mirvolctl: fail: failing plex 0 of data: " "$OUT/fake-fail-last.err" ||
		ko fake-fail-last-context "$(cat "$OUT/fake-fail-last.err")"
	tc fake-offline 0 "" "PLEX_ACTION action=2 plex=c1 fd=-1" "" offline $A c1c1c1c1-c1c1-c1c1-c1c1-c1c1c1c1c1c1
	tc fake-online 0 "" "PLEX_ACTION action=3 plex=c1 fd=-1" 10 online data 1
	tc fake-online-nothing 0 "" "PLEX_ACTION action=3 plex=c1 fd=-1" "" MIRVOL_FAKE_ACTION_OP=0 online data 1
	tc fake-online-nothing-wait 0 "" "PLEX_ACTION action=3 plex=c1 fd=-1" "" MIRVOL_FAKE_ACTION_OP=0 online --wait data 1
	tc fake-online-wait 0 "" "PLEX_ACTION action=3 plex=c1 fd=-1" "" online data 1 --wait
	tc fake-re-add 0 "" "PLEX_ACTION action=4 plex=c1 fd=-1" 10 re-add data 1
	tc fake-re-add-dev 0 "" "PLEX_ACTION action=4 plex=c1 fd=open" 10 re-add data 1 "$OUT/d0"
	tc fake-re-add-active 1 INVALID_OPERATION "PLEX_ACTION action=4 plex=c0 fd=-1" "" re-add data 0
	tc fake-re-add-no-dev 1 INVALID_ARGUMENT "" "" re-add data 1 /nonexistent
	tc fake-replace 0 "" "PLEX_ACTION action=5 plex=c1 fd=open" 10 replace data 1 "$OUT/d0"
	tc fake-replace-read-error 1 SOURCE_READ_ERROR "PLEX_ACTION action=5 plex=c1 fd=open" "" MIRVOL_FAKE_ACTION_OP=16 replace --wait data 1 "$OUT/d0"
	tc fake-replace-unknown-plex 1 OBJECT_NOT_FOUND "" "" replace data 5 "$OUT/d0"
	tc fake-replace-busy 1 DEVICE_BUSY "" "" MIRVOL_FAKE_FAIL=16:16:3 replace data 1 /dev/null
	tc fake-online-unknown-vol 1 OBJECT_NOT_FOUND "" "" online nosuch 1
	tc fake-online-old 1 NOT_SUPPORTED "" "" MIRVOL_FAKE_FEATURES=0xff online data 1
	tc fake-online-enotty 1 NOT_SUPPORTED "" "" MIRVOL_FAKE_FAIL=16:25:0 online data 1

	# set: SET_VOLUME; a speed not given keeps INFO's value
	tc fake-set-speed-max 0 "" "SET_VOLUME flags=0x2 bitmap=0 region=0 min=1000 max=5000" "" set data --sync-speed-max 5000
	tc fake-set-speed-min 0 "" "SET_VOLUME flags=0x2 bitmap=0 region=0 min=0 max=200000" "" set data --sync-speed-min default
	tc fake-set-speeds 0 "" "SET_VOLUME flags=0x2 bitmap=0 region=0 min=10 max=0" "" set data --sync-speed-min 10 --sync-speed-max 0
	tc fake-set-no-bitmap 0 "" "SET_VOLUME flags=0x1 bitmap=0 region=0 min=0 max=0" "" set data --bitmap none
	tc fake-set-bitmap 0 "" "SET_VOLUME flags=0x1 bitmap=1 region=0 min=0 max=0" "" set data --bitmap internal
	tc fake-set-all 0 "" "SET_VOLUME flags=0x3 bitmap=1 region=4194304 min=1000 max=9000" "" set data --bitmap internal --region-size 4M --sync-speed-max 9000
	tc fake-set-offline 1 VOLUME_NOT_ONLINE "SET_VOLUME flags=0x1 bitmap=0 region=0 min=0 max=0" "" set backup --bitmap none
	tc fake-set-no-bitmap-reason 1 NO_BITMAP "" "" MIRVOL_FAKE_FAIL=17:22:39 set data --bitmap none
	tc fake-set-old 1 NOT_SUPPORTED "" "" MIRVOL_FAKE_FEATURES=0xff set data --bitmap none
	tc fake-set-forget-split 0 "" "SET_VOLUME flags=0x4 bitmap=0 region=0 min=0 max=0" "" set data --forget-split
	tc fake-set-forget-not-pair 1 NOT_SPLIT_PAIR "" "" MIRVOL_FAKE_FAIL=17:22:40 set data --forget-split
	tc fake-break-tracked 1 SPLIT_TRACKED "" "" MIRVOL_FAKE_FAIL=6:22:42 break-plex --track-changes data 1

	# break-plex --track-changes, merge-plex
	tc fake-break-plain 0 "" "BREAK_PLEX flags=0 plex=c1 name=snap" 8 break-plex data 1 --name snap
	tc fake-break-track 0 "" "BREAK_PLEX flags=0x1 plex=c1 name=" 8 break-plex --track-changes data 1
	tc fake-break-track-old 1 NOT_SUPPORTED "" "" MIRVOL_FAKE_FEATURES=0xff break-plex --track-changes data 1
	tc fake-merge 0 "" "ADD_PLEX flags=0x3 fd=-1 source=bb" 10 merge-plex data backup
	tc fake-merge-wait 0 "" "ADD_PLEX flags=0x3 fd=-1 source=bb" "" merge-plex --wait data $B
	tc fake-merge-not-pair 1 NOT_SPLIT_PAIR "ADD_PLEX flags=0x3 fd=-1 source=aa" "" merge-plex data data
	grep -q "^mirvolctl: merge-plex: merging data into data: " "$OUT/fake-merge-not-pair.err" ||
		ko fake-merge-not-pair-context "$(cat "$OUT/fake-merge-not-pair.err")"
	tc fake-merge-old 1 NOT_SUPPORTED "" "" MIRVOL_FAKE_FEATURES=0xff merge-plex data backup
	tc fake-add-from-no-merge 0 "" "ADD_PLEX flags=0x1 fd=-1 source=bb" 10 add-plex data --from-volume backup
	tc fake-add-dev-log 0 "" "ADD_PLEX flags=0 fd=open source=00" 10 add-plex data "$OUT/d0"

	# create: the bitmap options in the struct
	tc fake-create-default 0 "" "CREATE flags=0x1 region=0 nr=1 fd0=open name=" /dev/mirvol2 create --assume-clean "$OUT/d0"
	tc fake-create-no-bitmap 0 "" "CREATE flags=0x3 region=0 nr=2 fd0=open name=nb" /dev/mirvol2 create --bitmap none --assume-clean --name nb "$OUT/d0" "$OUT/d1"
	tc fake-create-region 0 "" "CREATE flags=0x1 region=1048576 nr=2 fd0=open name=" /dev/mirvol2 create --bitmap internal --region-size 1M --assume-clean "$OUT/d0" "$OUT/d1"
	tc fake-create-region-65536 0 "" "CREATE flags=0x1 region=65536 nr=1 fd0=open name=" /dev/mirvol2 create --region-size 65536 -a "$OUT/d0"
	# a module without bitmaps: "none" is what it does anyway, a region
	# size is refused before CREATE
	tc fake-create-none-old 0 "" "CREATE flags=0x1 region=0 nr=1 fd0=open name=" /dev/mirvol2 MIRVOL_FAKE_FEATURES=0xff create --bitmap none -a "$OUT/d0"
	tc fake-create-region-old 1 NOT_SUPPORTED "" "" MIRVOL_FAKE_FEATURES=0xff create --region-size 1M "$OUT/d0"
	tc fake-create-internal-old 1 NOT_SUPPORTED "" "" MIRVOL_FAKE_FEATURES=0xff create --bitmap internal "$OUT/d0"
	tc fake-create-refused 1 INVALID_ARGUMENT "" "" MIRVOL_FAKE_FAIL=1:22:1 create --region-size 128K "$OUT/d0"

	# NOT_BLOCK_DEVICE over several devices names the one to blame
	if [ -b /dev/loop0 ]; then
		if expect fake-create-notblk 1 fk env MIRVOL_FAKE_NOTBLK=1 "$TOOL" create /dev/loop0 "$OUT/d1" &&
		   grep -qx "mirvolctl: create: $OUT/d1: not a block device (NOT_BLOCK_DEVICE)" "$OUT/fake-create-notblk.err"
		then ok fake-create-notblk; fi
	fi

	# reasons the kernel gives, and errno mapping when it gives none
	if expect fake-another 1 fk env MIRVOL_FAKE_FAIL=5:16:21 "$TOOL" add-plex data "$OUT/d0" &&
	   err_is fake-another add-plex ANOTHER_CALL_IN_PROGRESS; then ok fake-another; fi
	if expect fake-unknown-reason 1 fk env MIRVOL_FAKE_FAIL=5:22:99 "$TOOL" add-plex data "$OUT/d0" &&
	   err_is fake-unknown-reason add-plex REASON_99; then ok fake-unknown-reason; fi
	if expect fake-errno-eperm 1 fk env MIRVOL_FAKE_FAIL=13:1:0 "$TOOL" stop backup &&
	   err_is fake-errno-eperm stop ACCESS_DENIED &&
	   grep -q "gave no reason code" "$OUT/fake-errno-eperm.err"; then ok fake-errno-eperm; fi
	if expect fake-errno-enotty 1 fk env MIRVOL_FAKE_FAIL=14:25:0 "$TOOL" rename data x &&
	   err_is fake-errno-enotty rename NOT_SUPPORTED; then ok fake-errno-enotty; fi
	if expect fake-errno-enomem 1 fk env MIRVOL_FAKE_FAIL=3:12:0 "$TOOL" list &&
	   err_is fake-errno-enomem list NO_MEMORY; then ok fake-errno-enomem; fi

	# add-plex: op id on stdout; --from-volume; --wait
	if expect fake-add 0 fk "$TOOL" add-plex data "$OUT/d0" &&
	   [ "$(cat "$OUT/fake-add.out")" = 10 ]; then ok fake-add; fi
	if expect fake-add-from 0 fk "$TOOL" add-plex --from-volume backup data &&
	   [ "$(cat "$OUT/fake-add-from.out")" = 10 ]; then ok fake-add-from; fi
	if expect fake-add-wait 0 fk "$TOOL" add-plex data "$OUT/d0" --wait &&
	   [ ! -s "$OUT/fake-add-wait.out" ]; then ok fake-add-wait; fi
	if expect fake-add-offline 1 fk "$TOOL" add-plex backup "$OUT/d0" &&
	   err_is fake-add-offline add-plex VOLUME_NOT_ONLINE; then ok fake-add-offline; fi

	# break-plex: op id; --wait prints the new volume's device
	if expect fake-break 0 fk "$TOOL" break-plex data 1 --name split &&
	   [ "$(cat "$OUT/fake-break.out")" = 8 ]; then ok fake-break; fi
	if expect fake-break-wait 0 fk "$TOOL" break-plex --wait data 1 &&
	   [ "$(cat "$OUT/fake-break-wait.out")" = /dev/mirvol0 ]; then ok fake-break-wait; fi
	if expect fake-break-boot 1 fk "$TOOL" break-plex data 0 &&
	   err_is fake-break-boot break-plex PLEX_IS_BOOT; then ok fake-break-boot; fi

	# remove, stop, rename
	if expect fake-remove-busy 1 fk "$TOOL" remove --yes data &&
	   err_is fake-remove-busy remove DEVICE_BUSY; then ok fake-remove-busy; fi
	if expect fake-remove 0 fk "$TOOL" remove backup; then ok fake-remove-no-tty; fi
	# removed, but a device kept its superblock: said so, exit 1
	if expect fake-remove-wipe-failed 1 fk env MIRVOL_FAKE_FAIL=2:5:45 "$TOOL" remove --yes backup &&
	   err_is fake-remove-wipe-failed remove WIPE_FAILED &&
	   grep -q "^mirvolctl: remove: volume backup removed, but a device keeps its mirvol metadata (the write erasing it failed; the kernel log names it): erase it with 'mirvolctl wipe DEV' once it works (WIPE_FAILED)\$" \
		"$OUT/fake-remove-wipe-failed.err"
	then ok fake-remove-wipe-failed; fi
	if expect fake-stop 0 fk "$TOOL" stop $B; then ok fake-stop; fi
	if expect fake-rename 0 fk "$TOOL" rename data data2; then ok fake-rename; fi
	if expect fake-rename-exists 1 fk "$TOOL" rename data backup &&
	   err_is fake-rename-exists rename NAME_EXISTS; then ok fake-rename-exists; fi
	if expect fake-set-plex 0 fk "$TOOL" set-plex data 0 --no-boot; then ok fake-set-plex; fi
	# --write-mostly: its flag, alone or with --boot; refused by a module
	# without MIRVOL_FEAT_WRITE_MOSTLY (before any change).
	if expect fake-set-plex-wm 0 fk env MIRVOL_FAKE_LOG="$OUT/fake-set-plex-wm.log" \
		MIRVOL_FAKE_FEATURES=0x1fff "$TOOL" set-plex data 1 --write-mostly --no-boot &&
	   logged fake-set-plex-wm "SET_PLEX flags=0x6 plex=c1"; then ok fake-set-plex-wm; fi
	if expect fake-set-plex-no-wm 0 fk env MIRVOL_FAKE_LOG="$OUT/fake-set-plex-no-wm.log" \
		MIRVOL_FAKE_FEATURES=0x1fff "$TOOL" set-plex data 1 --no-write-mostly &&
	   logged fake-set-plex-no-wm "SET_PLEX flags=0x8 plex=c1"; then ok fake-set-plex-no-wm; fi
	if expect fake-set-plex-wm-old 1 fk env MIRVOL_FAKE_LOG="$OUT/fake-set-plex-wm-old.log" \
		MIRVOL_FAKE_FEATURES=0x7ff "$TOOL" set-plex data 1 --write-mostly &&
	   grep -q "write-mostly" "$OUT/fake-set-plex-wm-old.err" &&
	   [ ! -s "$OUT/fake-set-plex-wm-old.log" ]; then ok fake-set-plex-wm-old; fi

	# --json of the commands that change volumes: one document on
	# stdout, the error (if any) on stderr, the exit status as without
	if expect json-create 0 fk "$TOOL" create --json --name new "$OUT/d0" "$OUT/d1" &&
	   jq_ok json-create '.volume.name == "new" and
		.volume.uuid == "cccccccc-cccc-cccc-cccc-cccccccccccc" and
		.volume.device == "/dev/mirvol2" and .volume.state == "online" and
		(.volume.plexes | length) == 2 and .volume.plexes[1].state == "syncing" and
		.volume.operation.id == 10 and .operation.id == 10 and
		.operation.type == "resync" and .operation.state == "running"' &&
	   [ ! -s "$OUT/json-create.err" ]
	then ok json-create; else [ "$rc" -ne 0 ] || ko json-create "$(cat "$OUT/json-create.out" "$OUT/json-create.err")"; fi
	if expect json-create-wait 0 fk "$TOOL" create -j --wait "$OUT/d0" "$OUT/d1" &&
	   jq_ok json-create-wait '.volume.name == "mirvol2" and
		.operation.id == 10 and .operation.state == "succeeded" and
		.operation.percent == 100'
	then ok json-create-wait; else [ "$rc" -ne 0 ] || ko json-create-wait "jq"; fi
	if expect json-create-clean 0 fk "$TOOL" create --json --assume-clean --bitmap none "$OUT/d0" &&
	   jq_ok json-create-clean '.operation == null and .volume.bitmap == "none" and
		.volume.plexes[0].state == "active" and .volume.operation == null'
	then ok json-create-clean; else [ "$rc" -ne 0 ] || ko json-create-clean "jq"; fi
	if expect json-create-exists 1 fk "$TOOL" create --json --name data "$OUT/d0" &&
	   err_is json-create-exists create NAME_EXISTS && [ ! -s "$OUT/json-create-exists.out" ]
	then ok json-create-exists; fi
	tc json-add-plex 0 "" "ADD_PLEX flags=0 fd=open source=00" "$(cat <<'J'
{
  "id": 10,
  "type": "resync",
  "state": "running",
  "percent": 0,
  "errno": 0,
  "reason": null,
  "volume": "aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa",
  "outputs": [
    "aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa"
  ],
  "done_bytes": 0,
  "total_bytes": 67108864,
  "elapsed_ms": 1500,
  "bad_offset_bytes": null,
  "bad_bytes": 0,
  "lost_bytes": 0,
  "mismatch_bytes": null,
  "unreadable_bytes": null
}
J
)" add-plex --json data "$OUT/d0"
	if expect json-add-plex-wait 0 fk "$TOOL" add-plex data "$OUT/d0" --json --wait &&
	   jq_ok json-add-plex-wait '.id == 10 and .state == "succeeded" and .percent == 100' &&
	   [ ! -s "$OUT/json-add-plex-wait.err" ]
	then ok json-add-plex-wait; fi
	if expect json-add-plex-from 0 fk "$TOOL" add-plex --json --from-volume backup data &&
	   jq_ok json-add-plex-from '.id == 10 and .state == "running"'
	then ok json-add-plex-from; fi
	if expect json-add-plex-failed 1 fk env MIRVOL_FAKE_ADD_OP=16 "$TOOL" add-plex --json --wait data "$OUT/d0" &&
	   jq_ok json-add-plex-failed '.id == 16 and .type == "add-plex" and
		.state == "failed" and .reason == "SOURCE_READ_ERROR" and .bad_bytes == 4096' &&
	   err_is json-add-plex-failed add-plex SOURCE_READ_ERROR
	then ok json-add-plex-failed; fi
	if expect json-add-plex-offline 1 fk "$TOOL" add-plex --json backup "$OUT/d0" &&
	   err_is json-add-plex-offline add-plex VOLUME_NOT_ONLINE &&
	   [ ! -s "$OUT/json-add-plex-offline.out" ]; then ok json-add-plex-offline; fi
	if expect json-merge 0 fk env MIRVOL_FAKE_ADD_OP=18 "$TOOL" merge-plex --json --wait data backup &&
	   jq_ok json-merge '.id == 18 and .type == "merge-plex" and .state == "succeeded"'
	then ok json-merge; else [ "$rc" -ne 0 ] || ko json-merge "$(cat "$OUT/json-merge.out")"; fi
	if expect json-merge-not-pair 1 fk "$TOOL" merge-plex --json data data &&
	   err_is json-merge-not-pair merge-plex NOT_SPLIT_PAIR &&
	   [ ! -s "$OUT/json-merge-not-pair.out" ]; then ok json-merge-not-pair; fi
	if expect json-remove-plex 0 fk "$TOOL" remove-plex data 1 --json &&
	   jq_ok json-remove-plex '.id == 10 and .volume == "'$A'"'
	then ok json-remove-plex; fi
	if expect json-remove-plex-wait 0 fk "$TOOL" remove-plex -j -w data 1 &&
	   jq_ok json-remove-plex-wait '.id == 10 and .state == "succeeded"'
	then ok json-remove-plex-wait; fi
	if expect json-break 0 fk "$TOOL" break-plex --json data 1 --name snap &&
	   jq_ok json-break '.new_volume_uuid == "'$A'" and .operation.id == 8 and
		.operation.type == "break-plex" and (.volume | type) == "object"'
	then ok json-break; else [ "$rc" -ne 0 ] || ko json-break "$(cat "$OUT/json-break.out")"; fi
	if expect json-break-wait 0 fk "$TOOL" break-plex --json --wait data 1 &&
	   jq_ok json-break-wait '.volume.name == "data" and .volume.device == "/dev/mirvol0" and
		.operation.state == "succeeded" and .operation.outputs[0] == "'$A'"'
	then ok json-break-wait; else [ "$rc" -ne 0 ] || ko json-break-wait "$(cat "$OUT/json-break-wait.out")"; fi
	if expect json-break-boot 1 fk "$TOOL" break-plex --json data 0 &&
	   err_is json-break-boot break-plex PLEX_IS_BOOT && [ ! -s "$OUT/json-break-boot.out" ]
	then ok json-break-boot; fi
	tc json-online 0 "" "PLEX_ACTION action=3 plex=c1 fd=-1" "$(fk "$TOOL" op status 10 --json)" online --json data 1
	tc json-online-nothing 0 "" "PLEX_ACTION action=3 plex=c1 fd=-1" null MIRVOL_FAKE_ACTION_OP=0 online --json --wait data 1
	tc json-re-add 0 "" "PLEX_ACTION action=4 plex=c1 fd=open" "$(fk "$TOOL" op status 10 --json)" re-add -j data 1 "$OUT/d0"
	tc json-re-add-active 1 INVALID_OPERATION "PLEX_ACTION action=4 plex=c0 fd=-1" "" re-add --json data 0
	if expect json-replace 0 fk env MIRVOL_FAKE_ACTION_OP=17 "$TOOL" replace --json data 1 "$OUT/d0" &&
	   jq_ok json-replace '.id == 17 and .type == "replace" and .state == "running" and .percent == 50'
	then ok json-replace; fi
	if expect json-replace-failed 1 fk env MIRVOL_FAKE_ACTION_OP=16 "$TOOL" replace --json --wait data 1 "$OUT/d0" &&
	   jq_ok json-replace-failed '.state == "failed" and .reason == "SOURCE_READ_ERROR"' &&
	   err_is json-replace-failed replace SOURCE_READ_ERROR
	then ok json-replace-failed; fi
	if expect json-stop 0 fk env MIRVOL_FAKE_WAITING=1 MIRVOL_FAKE_DEV_MAJOR=259 "$TOOL" stop --json backup &&
	   jq_ok json-stop '.name == "backup" and .uuid == "'$B'" and .device == null and
		(.devices | length) == 1 and (.devices[0] | test("^/dev/"))'
	then ok json-stop; else [ "$rc" -ne 0 ] || ko json-stop "$(cat "$OUT/json-stop.out")"; fi
	if expect json-stop-busy 1 fk "$TOOL" stop -j data &&
	   err_is json-stop-busy stop DEVICE_BUSY && [ ! -s "$OUT/json-stop-busy.out" ]
	then ok json-stop-busy; fi
	if expect json-remove 0 fk "$TOOL" remove --json --yes backup &&
	   jq_ok json-remove '.name == "backup" and .devices == []'
	then ok json-remove; fi
	if expect json-remove-wipe-failed 1 fk env MIRVOL_FAKE_FAIL=2:5:45 "$TOOL" remove --json --yes backup &&
	   err_is json-remove-wipe-failed remove WIPE_FAILED &&
	   [ ! -s "$OUT/json-remove-wipe-failed.out" ]
	then ok json-remove-wipe-failed; fi
	if expect json-remove-busy 1 fk "$TOOL" remove --yes --json data &&
	   err_is json-remove-busy remove DEVICE_BUSY && [ ! -s "$OUT/json-remove-busy.out" ]
	then ok json-remove-busy; fi
	# interrupted --wait --json: the operation as it is, exit 130
	env LD_PRELOAD="$FAKE" MIRVOLCTL_CONTROL=/dev/null MIRVOL_FAKE_SLOW=1 \
		"$TOOL" add-plex --wait --json data "$OUT/d0" \
		>"$OUT/json-add-sigterm.out" 2>"$OUT/json-add-sigterm.err" &
	pid=$!
	sleep 0.4
	kill -TERM $pid
	wait $pid
	rc=$?
	if [ $rc -eq 130 ] && jq_ok json-add-sigterm '.id == 10 and .state == "running"' &&
	   grep -q "operation 10 continues" "$OUT/json-add-sigterm.err"
	then ok json-add-wait-sigterm; else ko json-add-wait-sigterm "exit $rc: $(cat "$OUT/json-add-sigterm.out")"; fi

	# assemble --json: started, waiting, refused (volume and device),
	# every member
	if expect json-assemble 0 fk "$TOOL" assemble --json "$OUT/d0" "$OUT/d1" &&
	   jq_ok json-assemble '.started == [{"name": "data", "uuid": "'$A'",
		"device": "/dev/mirvol0", "state": "degraded", "operation": 7}] and
		.waiting == [] and .refused == [] and (.members | length) == 2 and
		.members[1].device == "'"$OUT/d1"'" and .members[1].result == "active" and
		.members[1].reason == null and .members[1].volume == "'$A'" and
		.members[1].plex == 1 and .members[1].generation == 12' &&
	   [ ! -s "$OUT/json-assemble.err" ]
	then ok json-assemble; else [ "$rc" -ne 0 ] || ko json-assemble "$(cat "$OUT/json-assemble.out")"; fi
	if expect json-assemble-waiting 0 fk env MIRVOL_FAKE_PENDING=1 MIRVOL_FAKE_WAITING=1 "$TOOL" assemble --incremental --json "$OUT/d0" &&
	   jq_ok json-assemble-waiting '.started == [] and .refused == [] and
		.waiting == [{"name": "backup", "uuid": "'$B'", "device": null,
		"state": "offline", "members_present": 1, "members_expected": 2,
		"reason": null}] and .members[0].result == "pending"'
	then ok json-assemble-waiting; else [ "$rc" -ne 0 ] || ko json-assemble-waiting "$(cat "$OUT/json-assemble-waiting.out")"; fi
	if expect json-assemble-incomplete 1 fk env MIRVOL_FAKE_PENDING=1 MIRVOL_FAKE_WAITING=1 "$TOOL" assemble --json "$OUT/d0" "$OUT/d1" &&
	   jq_ok json-assemble-incomplete '.waiting[0].name == "backup" and
		.waiting[0].reason == "VOLUME_INCOMPLETE" and
		.members[1].reason == "VOLUME_INCOMPLETE" and .started == []' &&
	   last_err_is json-assemble-incomplete assemble VOLUME_INCOMPLETE
	then ok json-assemble-incomplete; else [ "$rc" -ne 1 ] || ko json-assemble-incomplete "$(cat "$OUT/json-assemble-incomplete.out")"; fi
	"$MKIMAGE" "$OUT/refused-member" --gen 5 --name lost
	if expect json-assemble-refused 1 fk env MIRVOL_FAKE_REFUSE=41 "$TOOL" assemble --json "$OUT/d0" "$OUT/refused-member" &&
	   jq_ok json-assemble-refused '.started == [] and .waiting == [] and
		.refused == [{"name": "lost", "uuid": "dddddddd-dddd-dddd-dddd-dddddddddddd",
			"reason": "PLEX_FAILED", "devices": ["'"$OUT/refused-member"'"]},
		{"name": null, "uuid": null, "reason": "NOT_A_MEMBER",
			"devices": ["'"$OUT/d0"'"]}] and
		.members[0].volume == null and .members[0].plex == null and
		.members[1].result == "refused"' &&
	   last_err_is json-assemble-refused assemble PLEX_FAILED
	then ok json-assemble-refused; else [ "$rc" -ne 1 ] || ko json-assemble-refused "$(cat "$OUT/json-assemble-refused.out")"; fi
	if expect json-assemble-split 1 fk env MIRVOL_FAKE_SPLIT=1 "$TOOL" assemble --json "$OUT/d0" "$OUT/d1" &&
	   jq_ok json-assemble-split '[.members[].reason] == ["SPLIT_BRAIN", "SPLIT_BRAIN"] and
		[.members[].generation] == [5, 6]' &&
	   last_err_is json-assemble-split assemble SPLIT_BRAIN
	then ok json-assemble-split; fi
	if expect json-assemble-run-vol 0 fk "$TOOL" assemble --run --json data &&
	   jq_ok json-assemble-run-vol '.started[0].name == "data" and .members == []'
	then ok json-assemble-run-vol; fi
	if expect json-assemble-run-none 1 fk "$TOOL" assemble --run --json nosuch &&
	   err_is json-assemble-run-none assemble OBJECT_NOT_FOUND &&
	   jq_ok json-assemble-run-none '.started == [] and .waiting == [] and .refused == []'
	then ok json-assemble-run-none; fi
	if expect json-assemble-held 0 fk env MIRVOL_FAKE_BUSY="$OUT/d0" "$TOOL" assemble --json --incremental "$OUT/d0" &&
	   jq_ok json-assemble-held '. == {"started": [], "waiting": [], "refused": [], "members": []}'
	then ok json-assemble-held; fi
	if expect json-assemble-open 1 fk "$TOOL" assemble --json /nonexistent &&
	   err_is json-assemble-open assemble INVALID_ARGUMENT &&
	   [ ! -s "$OUT/json-assemble-open.out" ]; then ok json-assemble-open; fi

	# op status / wait / cancel
	if expect op-status-json 0 fk "$TOOL" op status 7 --json &&
	   jq_ok op-status-json '.id == 7 and .type == "add-plex" and
		.state == "running" and .percent == 42 and .errno == 0 and
		.reason == null and .volume == "'$A'" and (.outputs | length) == 1 and
		.done_bytes > 0 and .total_bytes == 67108864 and .elapsed_ms == 1500'
	then ok op-status-json; fi
	if expect op-status-text 0 fk "$TOOL" op status 7 &&
	   grep -qx "state: running" "$OUT/op-status-text.out" &&
	   grep -qx "percent: 42" "$OUT/op-status-text.out"; then ok op-status-text; fi
	if expect op-status-unknown 1 fk "$TOOL" op status 99 &&
	   err_is op-status-unknown op OBJECT_NOT_FOUND; then ok op-status-unknown; fi
	if expect op-wait-done 0 fk "$TOOL" op wait 8 --json &&
	   jq_ok op-wait-done '.state == "succeeded"'; then ok op-wait-done; fi
	if expect op-wait-progress 0 fk "$TOOL" op wait 10 &&
	   grep -qx "state: succeeded" "$OUT/op-wait-progress.out"; then ok op-wait-progress; fi
	if expect op-wait-cancelled 1 fk "$TOOL" op wait 9 --json &&
	   jq_ok op-wait-cancelled '.state == "cancelled" and .reason == "OPERATION_CANCELED" and .errno == 125' &&
	   err_is op-wait-cancelled op OPERATION_CANCELED; then ok op-wait-cancelled; fi
	if expect op-wait-timeout 1 fk "$TOOL" op wait 7 --timeout 0.3 --json &&
	   jq_ok op-wait-timeout '.state == "running"' &&
	   err_is op-wait-timeout op TIMEOUT; then ok op-wait-timeout; fi
	if expect op-cancel-late 1 fk "$TOOL" op cancel 8 &&
	   err_is op-cancel-late op CANCEL_TOO_LATE; then ok op-cancel-late; fi
	if expect op-cancel 0 fk "$TOOL" op cancel 7 --json &&
	   jq_ok op-cancel '.state == "cancelled"'; then ok op-cancel; fi

	# SIGINT while waiting: exit 130, op id on stdout
	env LD_PRELOAD="$FAKE" MIRVOLCTL_CONTROL=/dev/null "$TOOL" op wait 7 \
		>"$OUT/op-sigint.out" 2>"$OUT/op-sigint.err" &
	pid=$!
	sleep 0.4
	kill -INT $pid
	wait $pid
	rc=$?
	if [ $rc -eq 130 ] && grep -q "operation 7 continues" "$OUT/op-sigint.err"
	then ok op-wait-sigint; else ko op-wait-sigint "exit $rc"; fi
	env LD_PRELOAD="$FAKE" MIRVOLCTL_CONTROL=/dev/null MIRVOL_FAKE_SLOW=1 \
		"$TOOL" add-plex --wait data "$OUT/d0" \
		>"$OUT/add-sigterm.out" 2>"$OUT/add-sigterm.err" &
	pid=$!
	sleep 0.4
	kill -TERM $pid
	wait $pid
	rc=$?
	if [ $rc -eq 130 ] && [ "$(cat "$OUT/add-sigterm.out")" = 10 ]; then
		ok add-wait-sigterm
	else
		ko add-wait-sigterm "exit $rc"
	fi
	# progress lines when stderr is not a terminal: none for a short wait
	if expect progress-quiet 0 fk "$TOOL" op wait 10 &&
	   [ ! -s "$OUT/progress-quiet.err" ]; then ok progress-quiet; fi

	# sync actions: check, repair, resync
	if expect fake-check 0 fk "$TOOL" check data &&
	   [ "$(cat "$OUT/fake-check.out")" = 12 ]; then ok fake-check; fi
	if expect fake-check-wait 0 fk "$TOOL" check --wait data &&
	   [ "$(cat "$OUT/fake-check-wait.out")" = "mismatch_sectors: 16" ] &&
	   [ ! -s "$OUT/fake-check-wait.err" ]; then ok fake-check-wait; fi
	if expect fake-check-json 0 fk "$TOOL" check data --json &&
	   jq_ok fake-check-json '.id == 12 and .type == "check" and
		.state == "succeeded" and .mismatch_bytes == 8192 and
		.lost_bytes == null and .bad_offset_bytes == null and
		.bad_bytes == 0 and .unreadable_bytes == 0 and
		(.outputs | length) == 2'
	then ok fake-check-json; fi
	# data no plex could read: the counts, then the error (exit 1)
	if expect fake-check-unreadable 1 fk env MIRVOL_FAKE_UNREADABLE=1 "$TOOL" check --wait data &&
	   [ "$(cat "$OUT/fake-check-unreadable.out")" = "$(printf 'mismatch_sectors: 16\nunreadable_sectors: 2048')" ] &&
	   err_is fake-check-unreadable check DATA_UNREADABLE &&
	   grep -q "could read 1048576 bytes of the volume, the first 1048576 at offset 2097152: " "$OUT/fake-check-unreadable.err"
	then ok fake-check-unreadable; fi
	if expect fake-check-unreadable-json 1 fk env MIRVOL_FAKE_UNREADABLE=1 "$TOOL" check --wait --json data &&
	   jq_ok fake-check-unreadable-json '.id == 19 and .state == "failed" and
		.reason == "DATA_UNREADABLE" and .errno == 5 and
		.unreadable_bytes == 1048576 and .mismatch_bytes == 8192 and
		.bad_offset_bytes == 2097152 and .bad_bytes == 1048576' &&
	   err_is fake-check-unreadable-json check DATA_UNREADABLE
	then ok fake-check-unreadable-json; fi
	if expect fake-op-wait-unreadable 1 fk "$TOOL" op wait 20 &&
	   grep -qx "unreadable_bytes: 1048576" "$OUT/fake-op-wait-unreadable.out" &&
	   grep -qx "mismatch_bytes: 8192" "$OUT/fake-op-wait-unreadable.out" &&
	   grep -qx "reason: DATA_UNREADABLE" "$OUT/fake-op-wait-unreadable.out" &&
	   err_is fake-op-wait-unreadable op DATA_UNREADABLE
	then ok fake-op-wait-unreadable; fi
	if expect fake-check-offline 1 fk "$TOOL" check backup &&
	   err_is fake-check-offline check VOLUME_NOT_ONLINE; then ok fake-check-offline; fi
	if expect fake-check-old-module 1 fk env MIRVOL_FAKE_FAIL=15:25:0 "$TOOL" check data &&
	   err_is fake-check-old-module check NOT_SUPPORTED &&
	   grep -q "no sync actions" "$OUT/fake-check-old-module.err"
	then ok fake-check-old-module; fi
	if expect fake-check-refused 1 fk env MIRVOL_FAKE_FAIL=15:22:38 "$TOOL" check data &&
	   err_is fake-check-refused check TOO_FEW_IN_SYNC &&
	   grep -q "^mirvolctl: check: checking data: " "$OUT/fake-check-refused.err"
	then ok fake-check-refused; fi
	if expect fake-repair 0 fk "$TOOL" repair data &&
	   [ "$(cat "$OUT/fake-repair.out")" = 13 ]; then ok fake-repair; fi
	if expect fake-repair-from 0 fk "$TOOL" repair data --from 0 --wait --json &&
	   jq_ok fake-repair-from '.type == "repair" and .state == "succeeded" and
		.mismatch_bytes == 8192'; then ok fake-repair-from; fi
	if expect fake-repair-from-uuid 0 fk "$TOOL" repair data --wait \
		--from c0c0c0c0-c0c0-c0c0-c0c0-c0c0c0c0c0c0 &&
	   [ "$(cat "$OUT/fake-repair-from-uuid.out")" = "mismatch_sectors: 16" ]
	then ok fake-repair-from-uuid; fi
	if expect fake-repair-syncing 1 fk "$TOOL" repair data --from 1 &&
	   err_is fake-repair-syncing repair PLEX_NOT_IN_SYNC; then ok fake-repair-syncing; fi
	if expect fake-repair-no-plex 1 fk "$TOOL" repair data --from 5 &&
	   err_is fake-repair-no-plex repair OBJECT_NOT_FOUND; then ok fake-repair-no-plex; fi
	if expect fake-resync 0 fk "$TOOL" resync data &&
	   [ "$(cat "$OUT/fake-resync.out")" = 14 ]; then ok fake-resync; fi
	if expect fake-resync-read-error 1 fk "$TOOL" resync --wait data &&
	   err_is fake-resync-read-error resync SOURCE_READ_ERROR &&
	   grep -q "could read 4096 bytes at offset 4194304 " "$OUT/fake-resync-read-error.err" &&
	   [ ! -s "$OUT/fake-resync-read-error.out" ]
	then ok fake-resync-read-error; fi
	if expect fake-resync-read-error-json 1 fk "$TOOL" resync --wait --json data &&
	   jq_ok fake-resync-read-error-json '.state == "failed" and
		.reason == "SOURCE_READ_ERROR" and .errno == 5 and
		.bad_offset_bytes == 4194304 and .bad_bytes == 4096 and
		.lost_bytes == 0 and .mismatch_bytes == null' &&
	   err_is fake-resync-read-error-json resync SOURCE_READ_ERROR
	then ok fake-resync-read-error-json; fi
	if expect fake-resync-force 0 fk "$TOOL" resync --force --wait --json data &&
	   jq_ok fake-resync-force '.id == 15 and .state == "succeeded" and
		.lost_bytes == 4096 and .bad_offset_bytes == 4194304' &&
	   grep -q "4096 bytes no plex could read were written as zeros" "$OUT/fake-resync-force.err"
	then ok fake-resync-force; fi
	if expect fake-add-read-error 1 fk env MIRVOL_FAKE_ADD_OP=16 "$TOOL" add-plex data "$OUT/d0" --wait &&
	   err_is fake-add-read-error add-plex SOURCE_READ_ERROR &&
	   grep -q "could read 4096 bytes at offset 4194304 " "$OUT/fake-add-read-error.err"
	then ok fake-add-read-error; fi
	if expect fake-op-wait-read-error 1 fk "$TOOL" op wait 16 &&
	   grep -qx "bad_offset_bytes: 4194304" "$OUT/fake-op-wait-read-error.out" &&
	   grep -qx "bad_bytes: 4096" "$OUT/fake-op-wait-read-error.out" &&
	   err_is fake-op-wait-read-error op SOURCE_READ_ERROR
	then ok fake-op-wait-read-error; fi
	# the new counters in show, and op fields that do not apply are null
	if expect fake-show-counters 0 fk "$TOOL" show --json data &&
	   jq_ok fake-show-counters '.mismatch_sectors == 16 and
		.plexes[0].corrected_read_errors == 2 and .plexes[0].read_errors == 0 and
		.plexes[1].corrected_read_errors == 0 and .plexes[1].read_errors == 3 and
		.operation.lost_bytes == 0 and .operation.mismatch_bytes == null'
	then ok fake-show-counters; fi
	if expect fake-op-break-json 0 fk "$TOOL" op status 8 --json &&
	   jq_ok fake-op-break-json '.bad_offset_bytes == null and .bad_bytes == null and
		.lost_bytes == null and .mismatch_bytes == null and
		.unreadable_bytes == null'
	then ok fake-op-break-json; fi
	# issue 11: bitmap, split peer, plex flags, new states and op types
	if expect fake-show-bitmap-json 0 fk "$TOOL" show --json data &&
	   jq_ok fake-show-bitmap-json '.bitmap == "internal" and
		.bitmap_region_bytes == 65536 and .bitmap_dirty_regions == 12 and
		.split_peer == "'$B'" and
		.plexes[0].bitmap_sync == false and .plexes[1].bitmap_sync == true and
		.plexes[0].last_in_sync == false and .plexes[0].boot == true'
	then ok fake-show-bitmap-json; else [ "$rc" -eq 0 ] && ko fake-show-bitmap-json "jq"; fi
	if expect fake-show-no-bitmap-json 0 fk "$TOOL" show --json backup &&
	   jq_ok fake-show-no-bitmap-json '.bitmap == "none" and
		.bitmap_region_bytes == null and .bitmap_dirty_regions == null and
		.split_peer == "'$A'" and .plexes[0].last_in_sync == true and
		.plexes[0].bitmap_sync == false'
	then ok fake-show-no-bitmap-json; else [ "$rc" -eq 0 ] && ko fake-show-no-bitmap-json "jq"; fi
	if expect fake-show-bitmap-text 0 fk "$TOOL" show data &&
	   grep -qx "Bitmap      : internal, 64.0K regions, 12 dirty" "$OUT/fake-show-bitmap-text.out" &&
	   grep -qx "Split peer  : $B (backup), changes tracked" "$OUT/fake-show-bitmap-text.out" &&
	   grep -Eq "^1 +c1c1c1c1-.* syncing .* bitmap-sync$" "$OUT/fake-show-bitmap-text.out" &&
	   grep -Eq "^0 +c0c0c0c0-.* active .* -$" "$OUT/fake-show-bitmap-text.out"
	then ok fake-show-bitmap-text; else [ "$rc" -eq 0 ] && ko fake-show-bitmap-text "text"; fi
	if expect fake-show-no-bitmap-text 0 fk "$TOOL" show backup &&
	   grep -qx "Bitmap      : none" "$OUT/fake-show-no-bitmap-text.out" &&
	   grep -qx "Split peer  : $A (data), changes tracked" "$OUT/fake-show-no-bitmap-text.out" &&
	   grep -Eq "^0 .* missing .* last-in-sync$" "$OUT/fake-show-no-bitmap-text.out"
	then ok fake-show-no-bitmap-text; else [ "$rc" -eq 0 ] && ko fake-show-no-bitmap-text "text"; fi
	if expect fake-show-offline 0 fk env MIRVOL_FAKE_OFFLINE=1 "$TOOL" show --json data &&
	   jq_ok fake-show-offline '.plexes[1].state == "offline"' &&
	   expect_also fake-show-offline-text 0 fk env MIRVOL_FAKE_OFFLINE=1 "$TOOL" show data &&
	   grep -Eq "^1 +c1c1c1c1-.* offline " "$OUT/fake-show-offline-text.out"
	then ok fake-show-offline; else ko fake-show-offline "state"; fi
	if expect fake-op-replace-json 0 fk "$TOOL" op status 17 --json &&
	   jq_ok fake-op-replace-json '.type == "replace" and .state == "running" and
		.percent == 50 and .lost_bytes == 0 and .bad_bytes == 0 and
		.mismatch_bytes == null'
	then ok fake-op-replace-json; else [ "$rc" -eq 0 ] && ko fake-op-replace-json "jq"; fi
	if expect fake-op-merge 0 fk "$TOOL" op wait 18 &&
	   grep -qx "type: merge-plex" "$OUT/fake-op-merge.out" &&
	   grep -qx "lost_bytes: 0" "$OUT/fake-op-merge.out"
	then ok fake-op-merge; else [ "$rc" -eq 0 ] && ko fake-op-merge "text"; fi
	if expect fake-version-2-1 0 fk "$TOOL" version --json &&
	   jq_ok fake-version-2-1 '.features_mask == 10239 and
		(.features | index("bitmap")) == 8 and
		(.features | index("plex-action")) == 9 and
		(.features | index("merge")) == 10 and .tool_abi == "2.1"'
	then ok fake-version-2-1; else [ "$rc" -eq 0 ] && ko fake-version-2-1 "jq"; fi
	if expect fake-version-sync 0 fk "$TOOL" version &&
	   grep -q "^features:.* rename sync-action bitmap plex-action merge check$" "$OUT/fake-version-sync.out"
	then ok fake-version-sync; fi
	if expect fake-version-wm 0 fk env MIRVOL_FAKE_FEATURES=0x1fff "$TOOL" version --json &&
	   jq_ok fake-version-wm '.features_mask == 8191 and
		(.features | index("write-mostly")) == 12 and (.features | length) == 13'
	then ok fake-version-wm; fi

	# golden outputs: whole stdout and stderr, devices on a major no host has
	gk() { fk env MIRVOL_FAKE_DEV_MAJOR=4095 "$@"; }
	for g in "show 0 show data" "show-json 0 show --json data" \
		 "op-status-resync 1 op wait 14" "op-status-check-json 0 op status --json 12" \
		 "check-wait 0 check --wait data" "repair-wait 0 repair --wait --from 0 data" \
		 "repair-unreadable-wait 1 repair --wait data" \
		 "resync-wait 1 resync --wait data" \
		 "resync-force-wait 0 resync --force --wait data" \
		 "add-plex-read-error 1 add-plex --wait data /dev/null" \
		 "check-old-module 1 check data" \
		 "status-degraded 1 status" "status-degraded-json 1 status --json" \
		 "status-failed 1 status" "status-failed-json 1 status --json"; do
		set -- $g
		name=golden-$1 want=$2
		shift 2
		case $name in
		*-add-plex-*) envs=(MIRVOL_FAKE_ADD_OP=16) ;;
		*-old-module) envs=(MIRVOL_FAKE_FAIL=15:25:0) ;;
		*-unreadable-*) envs=(MIRVOL_FAKE_UNREADABLE=1) ;;
		*-status-failed*) envs=(MIRVOL_FAKE_HEALTH=failed) ;;
		*) envs=() ;;
		esac
		if expect "$name" "$want" gk env "${envs[@]}" "$TOOL" "$@"; then
			if golden "$name"; then ok "$name"; else ko "$name" "$(head -c 600 "$OUT/$name.diff")"; fi
		fi
	done

	# assemble
	if expect fake-assemble 0 fk "$TOOL" assemble "$OUT/d0" "$OUT/d1" &&
	   [ "$(cat "$OUT/fake-assemble.out")" = /dev/mirvol0 ] &&
	   [ ! -s "$OUT/fake-assemble.err" ]; then ok fake-assemble; fi
	if expect fake-assemble-incr 0 fk "$TOOL" assemble --incremental "$OUT/d0" &&
	   [ "$(cat "$OUT/fake-assemble-incr.out")" = /dev/mirvol0 ]; then ok fake-assemble-incr; fi
	if expect fake-split 1 fk env MIRVOL_FAKE_SPLIT=1 "$TOOL" assemble "$OUT/d0" "$OUT/d1" &&
	   last_err_is fake-split assemble SPLIT_BRAIN &&
	   tail -n 1 "$OUT/fake-split.err" | grep -q "side 1: .*/d0 (plex 0, generation 5); side 2: .*/d1 (plex 1, generation 6)" &&
	   grep -q "d1: refused, SPLIT_BRAIN; volume data" "$OUT/fake-split.err"
	then ok fake-split-brain; else [ "$rc" -eq 1 ] && ko fake-split-brain "$(tail -n 1 "$OUT/fake-split.err")"; fi
	if expect fake-assemble-open 1 fk "$TOOL" assemble /nonexistent &&
	   err_is fake-assemble-open assemble INVALID_ARGUMENT; then ok fake-assemble-open; fi
	# assemble --run VOL: a running volume is left alone (its device
	# printed), an unknown one is not found, no --run is refused.
	if expect fake-assemble-run-vol 0 fk "$TOOL" assemble --run data &&
	   [ "$(cat "$OUT/fake-assemble-run-vol.out")" = /dev/mirvol0 ] &&
	   [ ! -s "$OUT/fake-assemble-run-vol.err" ]; then ok fake-assemble-run-vol
	else [ "$rc" -ne 0 ] || ko fake-assemble-run-vol "$(cat "$OUT/fake-assemble-run-vol.out")"; fi
	if expect fake-assemble-run-none 1 fk "$TOOL" assemble --run nosuch &&
	   err_is fake-assemble-run-none assemble OBJECT_NOT_FOUND &&
	   grep -q "nosuch: no such volume" "$OUT/fake-assemble-run-none.err"
	then ok fake-assemble-run-none
	else [ "$rc" -ne 1 ] || ko fake-assemble-run-none "$(cat "$OUT/fake-assemble-run-none.err")"; fi
	# --if-waiting (the last-resort service): a volume no longer listed
	# (stopped, refused) is no failure; one that runs is left alone.
	if expect fake-assemble-if-waiting-none 0 fk "$TOOL" assemble --run --if-waiting nosuch &&
	   [ ! -s "$OUT/fake-assemble-if-waiting-none.out" ] &&
	   [ ! -s "$OUT/fake-assemble-if-waiting-none.err" ]
	then ok fake-assemble-if-waiting-none
	else [ "$rc" -ne 0 ] || ko fake-assemble-if-waiting-none "$(cat "$OUT/fake-assemble-if-waiting-none.out" "$OUT/fake-assemble-if-waiting-none.err")"; fi
	if expect fake-assemble-if-waiting-vol 0 fk "$TOOL" assemble --run --if-waiting data &&
	   [ "$(cat "$OUT/fake-assemble-if-waiting-vol.out")" = /dev/mirvol0 ] &&
	   [ ! -s "$OUT/fake-assemble-if-waiting-vol.err" ]; then ok fake-assemble-if-waiting-vol
	else [ "$rc" -ne 0 ] || ko fake-assemble-if-waiting-vol "$(cat "$OUT/fake-assemble-if-waiting-vol.out")"; fi
	if expect fake-assemble-if-waiting-dev 2 fk "$TOOL" assemble --if-waiting data &&
	   grep -q -- '--if-waiting' "$OUT/fake-assemble-if-waiting-dev.err"
	then ok fake-assemble-if-waiting-dev; fi
	# --incremental of a held device: nothing to do, and says who holds it.
	if expect fake-assemble-held 0 fk env MIRVOL_FAKE_BUSY="$OUT/d0" "$TOOL" assemble --incremental "$OUT/d0" &&
	   [ ! -s "$OUT/fake-assemble-held.out" ] &&
	   [ "$(cat "$OUT/fake-assemble-held.err")" = "mirvolctl: assemble: $OUT/d0 is in use (mounted, or held by another driver): not assembled" ]
	then ok fake-assemble-held
	else [ "$rc" -ne 0 ] || ko fake-assemble-held "$(cat "$OUT/fake-assemble-held.err")"; fi
	if [ -b /dev/loop0 ] && [ "$(stat -c %t:%T /dev/loop0)" = 7:0 ]; then
		if expect fake-assemble-held-member 0 fk env MIRVOL_FAKE_BUSY=/dev/loop0 "$TOOL" assemble --incremental /dev/loop0 &&
		   [ "$(cat "$OUT/fake-assemble-held-member.err")" = "mirvolctl: assemble: /dev/loop0 is plex 0 of volume data (degraded): already assembled" ]
		then ok fake-assemble-held-member
		else [ "$rc" -ne 0 ] || ko fake-assemble-held-member "$(cat "$OUT/fake-assemble-held-member.err")"; fi
	fi
	if expect fake-assemble-vol-norun 1 fk "$TOOL" assemble data &&
	   err_is fake-assemble-vol-norun assemble INVALID_ARGUMENT &&
	   grep -q "with --run" "$OUT/fake-assemble-vol-norun.err"
	then ok fake-assemble-vol-norun
	else [ "$rc" -ne 1 ] || ko fake-assemble-vol-norun "$(cat "$OUT/fake-assemble-vol-norun.err")"; fi
	# A volume waiting in assembly: present/expected members.
	if expect fake-list-waiting 0 fk env MIRVOL_FAKE_WAITING=1 "$TOOL" list &&
	   grep -Eq '^backup +- +[^ ]+ +offline +1/2 ' "$OUT/fake-list-waiting.out" &&
	   grep -Eq '^data .* degraded +1/2 ' "$OUT/fake-list-waiting.out"
	then ok fake-list-waiting; else [ "$rc" -ne 0 ] || ko fake-list-waiting "$(cat "$OUT/fake-list-waiting.out")"; fi
	if expect fake-show-waiting 0 fk env MIRVOL_FAKE_WAITING=1 "$TOOL" show backup &&
	   grep -q '^Plexes      : 2 (1 present, waiting for the others)$' "$OUT/fake-show-waiting.out"
	then ok fake-show-waiting; else [ "$rc" -ne 0 ] || ko fake-show-waiting "$(grep ^Plexes "$OUT/fake-show-waiting.out")"; fi

	# wipe: a member the kernel holds is refused, naming its volume
	if [ -b /dev/loop0 ] && [ "$(stat -c %t:%T /dev/loop0)" = 7:0 ]; then
		if expect fake-wipe-busy-member 1 fk env MIRVOL_FAKE_BUSY=/dev/loop0 "$TOOL" wipe /dev/loop0 &&
		   err_is fake-wipe-busy-member wipe DEVICE_BUSY &&
		   grep -q "/dev/loop0 is plex 0 of volume data (degraded)" "$OUT/fake-wipe-busy-member.err"
		then ok fake-wipe-busy-member; else [ "$rc" -ne 1 ] || ko fake-wipe-busy-member "$(cat "$OUT/fake-wipe-busy-member.err")"; fi
	fi
	"$MKIMAGE" "$OUT/wipe-busy" --gen 5
	if expect fake-wipe-busy 1 fk env MIRVOL_FAKE_BUSY="$OUT/wipe-busy" "$TOOL" wipe --force "$OUT/wipe-busy" &&
	   err_is fake-wipe-busy wipe DEVICE_BUSY &&
	   expect_also fake-wipe-busy-examine 0 "$TOOL" examine "$OUT/wipe-busy"
	then ok fake-wipe-busy; else ko fake-wipe-busy "$(cat "$OUT/fake-wipe-busy.err")"; fi

	# list --names: one name a line (completion, scripts)
	if expect fake-list-names 0 fk "$TOOL" list --names &&
	   [ "$(cat "$OUT/fake-list-names.out")" = "data
backup" ] && expect_also fake-list-names-empty 0 fk env MIRVOL_FAKE_HEALTH=empty "$TOOL" list --names &&
	   [ ! -s "$OUT/fake-list-names-empty.out" ]
	then ok fake-list-names; else ko fake-list-names "$(cat "$OUT/fake-list-names.out")"; fi

	# bash completion, sourced by a non-interactive bash, against the
	# fake module: comp WORD... prints the candidates for the last WORD,
	# sorted, on one line
	COMPLETION=$PWD/../bash-completion/mirvolctl
	comp() {
		fk bash --norc --noprofile -c '. "$0" || exit 1
			COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMPREPLY=()
			_mirvolctl; printf "%s\n" "${COMPREPLY[@]}"' \
			"$COMPLETION" "$TOOL" "$@" 2>&1 | sort | tr '\n' ' ' | sed 's/ $//'
	}
	# comp_is NAME WANT WORD...: the candidates are exactly WANT
	comp_is() {
		local name=$1 want=$2 got
		shift 2
		got=$(comp "$@")
		if [ "$got" = "$want" ]; then ok "$name"; else ko "$name" "'$*': got '$got', want '$want'"; fi
	}
	if [ "$(fk bash --norc --noprofile -c '. "$0" && complete -p mirvolctl' "$COMPLETION" 2>&1)" = "complete -F _mirvolctl mirvolctl" ]
	then ok completion-registered; else ko completion-registered "no complete -F _mirvolctl mirvolctl"; fi
	# every command of the overview, and each command's options as its
	# --help lists them
	want=$("$TOOL" --help | awk '/^commands:/ { c = 1; next } c && /^  [a-z]/ { print $1 } /^$/ { c = 0 }' | sort | tr '\n' ' ')
	want=$(echo $want help --help --version | tr ' ' '\n' | sort | tr '\n' ' ' | sed 's/ $//')
	comp_is completion-commands "$want" ""
	bad=
	for c in $("$TOOL" --help | awk '/^commands:/ { c = 1; next } c && /^  [a-z]/ { print $1 } /^$/ { c = 0 }'); do
		want=$("$TOOL" "$c" --help | sed -n 's/^ *\(-[a-z], \)\{0,1\}\(--[a-z-]*\).*/\2/p' | sort | tr '\n' ' ' | sed 's/ $//')
		got=$(comp "$c" -)
		[ "$got" = "$want" ] || bad="$bad $c('$got' vs '$want')"
	done
	if [ -z "$bad" ]; then ok completion-options; else ko completion-options "$bad"; fi
	comp_is completion-prefix "status stop" st
	comp_is completion-vol "backup data" show ""
	comp_is completion-vol-prefix "backup" remove-plex b
	comp_is completion-plex "0 1" fail data ""
	comp_is completion-plex-opts "0 1" break-plex --name x data ""
	comp_is completion-plex-from "0 1" repair data --from ""
	comp_is completion-from-volume "backup data" add-plex data --from-volume ""
	comp_is completion-merge "backup data" merge-plex data ""
	comp_is completion-bitmap "internal none" create --name x --bitmap ""
	comp_is completion-op "cancel list status wait" op ""
	comp_is completion-help "wipe" help wi
	comp_is completion-dev "$OUT/d0 $OUT/d1" wipe "$OUT/d"
	comp_is completion-readd-dev "$OUT/d0 $OUT/d1" re-add data 1 "$OUT/d"
	comp_is completion-no-vol-arg "" list ""

	# status: the health summary, exit 0 when every volume is healthy
	if expect fake-status-healthy 0 fk env MIRVOL_FAKE_HEALTH=healthy "$TOOL" status &&
	   [ "$(cat "$OUT/fake-status-healthy.out")" = "all volumes healthy" ] &&
	   [ ! -s "$OUT/fake-status-healthy.err" ]
	then ok fake-status-healthy; else [ "$rc" -ne 0 ] || ko fake-status-healthy "$(cat "$OUT/fake-status-healthy.out")"; fi
	if expect fake-status-healthy-json 0 fk env MIRVOL_FAKE_HEALTH=healthy "$TOOL" status --json &&
	   jq_ok fake-status-healthy-json '.healthy == true and (.volumes | length) == 1 and
		.volumes[0].name == "data" and .volumes[0].healthy == true and
		.volumes[0].state == "online" and .volumes[0].problems == [] and
		.volumes[0].operation == null'
	then ok fake-status-healthy-json; else [ "$rc" -ne 0 ] || ko fake-status-healthy-json "jq"; fi
	if expect fake-status-empty 0 fk env MIRVOL_FAKE_HEALTH=empty "$TOOL" status &&
	   [ "$(cat "$OUT/fake-status-empty.out")" = "no volumes" ] &&
	   expect_also fake-status-empty-json 0 fk env MIRVOL_FAKE_HEALTH=empty "$TOOL" status --json &&
	   jq_ok fake-status-empty-json '.healthy == true and .volumes == []'
	then ok fake-status-empty; else [ "$rc" -ne 0 ] || ko fake-status-empty "$(cat "$OUT/fake-status-empty.out")"; fi
	# degraded (a copy running) and waiting: exit 1, what to do
	if expect fake-status-degraded 1 fk "$TOOL" status &&
	   grep -qx "volume data (/dev/mirvol0): degraded, 1 of 2 plexes in sync" "$OUT/fake-status-degraded.out" &&
	   grep -qx "    add-plex is running (op 7, 42%): mirvolctl op wait 7" "$OUT/fake-status-degraded.out" &&
	   grep -qx "volume backup: offline, waiting for its members (0 of 1 present)" "$OUT/fake-status-degraded.out" &&
	   grep -q ": mirvolctl assemble --run backup$" "$OUT/fake-status-degraded.out" &&
	   [ ! -s "$OUT/fake-status-degraded.err" ]
	then ok fake-status-degraded; else [ "$rc" -ne 1 ] || ko fake-status-degraded "$(cat "$OUT/fake-status-degraded.out")"; fi
	if expect fake-status-degraded-json 1 fk "$TOOL" status --json &&
	   jq_ok fake-status-degraded-json '.healthy == false and (.volumes | length) == 2 and
		.volumes[0].state == "degraded" and .volumes[0].healthy == false and
		.volumes[0].operation.id == 7 and .volumes[0].operation.percent == 42 and
		.volumes[0].problems[0].plex == null and
		.volumes[0].problems[1].plex == 1 and
		.volumes[0].problems[1].state == "syncing" and
		.volumes[0].problems[1].command == "mirvolctl op wait 7" and
		.volumes[1].problems[0].command == "mirvolctl assemble --run backup" and
		.volumes[1].problems[1].state == "missing"'
	then ok fake-status-degraded-json; else [ "$rc" -ne 1 ] || ko fake-status-degraded-json "jq"; fi
	if expect fake-status-offline-plex 1 fk env MIRVOL_FAKE_OFFLINE=1 "$TOOL" status &&
	   grep -qx "    bring it back: mirvolctl online data 1" "$OUT/fake-status-offline-plex.out"
	then ok fake-status-offline-plex; else [ "$rc" -ne 1 ] || ko fake-status-offline-plex "$(cat "$OUT/fake-status-offline-plex.out")"; fi
	if expect fake-status-failed 1 fk env MIRVOL_FAKE_HEALTH=failed "$TOOL" status &&
	   grep -q "^volume data (/dev/mirvol0): failed, " "$OUT/fake-status-failed.out" &&
	   grep -qx "    re-add it: mirvolctl re-add data 0" "$OUT/fake-status-failed.out" &&
	   grep -Eq "^  plex 1 .*: stale" "$OUT/fake-status-failed.out"
	then ok fake-status-failed; else [ "$rc" -ne 1 ] || ko fake-status-failed "$(cat "$OUT/fake-status-failed.out")"; fi
	if expect fake-status-failed-json 1 fk env MIRVOL_FAKE_HEALTH=failed "$TOOL" status --json &&
	   jq_ok fake-status-failed-json '.healthy == false and .volumes[0].state == "failed" and
		.volumes[0].problems[1].state == "failed" and
		.volumes[0].problems[1].command == "mirvolctl re-add data 0" and
		.volumes[0].problems[2].state == "stale"'
	then ok fake-status-failed-json; else [ "$rc" -ne 1 ] || ko fake-status-failed-json "jq"; fi
	# an ioctl failing: an error line, no half output
	if expect fake-status-list-fails 1 fk env MIRVOL_FAKE_FAIL=3:12:7 "$TOOL" status --json &&
	   [ ! -s "$OUT/fake-status-list-fails.out" ] &&
	   err_is fake-status-list-fails status NO_MEMORY
	then ok fake-status-list-fails; else [ "$rc" -ne 1 ] || ko fake-status-list-fails "$(cat "$OUT/fake-status-list-fails.err")"; fi
fi

# ---- the man page ----------------------------------------------------------

if command -v groff >/dev/null; then
	if LC_ALL=C groff -man -Tutf8 -ww -z mirvolctl.8 >"$OUT/man.err" 2>&1 &&
	   [ ! -s "$OUT/man.err" ]; then
		ok man-page-renders
	else
		ko man-page-renders "$(head -c 300 "$OUT/man.err")"
	fi
	for c in create remove stop list status show rename break-plex remove-plex \
		 add-plex check repair resync set-plex op assemble examine \
		 version set merge-plex fail offline online re-add replace wipe; do
		# a .TP entry starting \fBCMD (roff escapes the hyphens)
		pat="\\fB${c//-/\\-}"
		P=$pat awk 'index($0, ENVIRON["P"]) == 1 { f = 1 }
			    END { exit !f }' mirvolctl.8 || ko "man-documents-$c"
	done
	for r in $(sed -n 's/^\tMIRVOL_R_\([A-Z_]*\)[\t ]*=.*/\1/p' ../../uapi/linux/mirvol.h); do
		[ "$r" = NONE ] || [ "$r" = MAX ] && continue
		grep -qx ".B $r" mirvolctl.8 || ko "man-documents-$r"
	done
	ok man-page-coverage
else
	echo "SKIP man-page (groff not installed)"
fi

# ---- valgrind -------------------------------------------------------------

if [ -n "${MIRVOLCTL_TEST_NO_VALGRIND:-}" ]; then
	echo "SKIP valgrind (MIRVOLCTL_TEST_NO_VALGRIND)"
elif command -v valgrind >/dev/null; then
	VG="valgrind -q --error-exitcode=99 --leak-check=full --show-leak-kinds=all --errors-for-leak-kinds=all"
	# vg_case NAME RC [VAR=value...] CMD...
	vg_case() {
		local name=$1 want=$2 envs=()
		shift 2
		while [[ $1 == *=* ]]; do envs+=("$1"); shift; done
		run "$name" env "${envs[@]}" $VG "$@"
		if [ $rc -eq "$want" ] && ! grep -q "==[0-9]*==" "$OUT/$name.err"
		then ok "$name"; else ko "$name" "exit $rc: $(head -c 400 "$OUT/$name.err")"; fi
	}
	vg_case valgrind-examine 0 "$TOOL" examine "$IMG/valid"
	vg_case valgrind-examine-json 0 "$TOOL" examine --json "$IMG/one-bad"
	vg_case valgrind-examine-corrupt 1 "$TOOL" examine "$IMG/both-bad"
	vg_case valgrind-examine-export 0 "$TOOL" examine --export "$IMG/valid"
	vg_case valgrind-examine-none 1 "$TOOL" examine "$IMG/empty"
	vg_case valgrind-examine-v2 0 "$TOOL" examine "$IMG/v2"
	vg_case valgrind-examine-v2-json 0 "$TOOL" examine --json "$IMG/v2"
	vg_case valgrind-usage 2 "$TOOL" create
	"$MKIMAGE" "$IMG/vg-wipe" --gen 5
	vg_case valgrind-wipe 0 "$TOOL" wipe "$IMG/vg-wipe"
	vg_case valgrind-wipe-none 1 "$TOOL" wipe "$IMG/empty"
	vg_case valgrind-unit 0 "$UNIT"
	if [ -f "$FAKE" ]; then
		F=("LD_PRELOAD=$FAKE" MIRVOLCTL_CONTROL=/dev/null)
		vg_case valgrind-list 0 "${F[@]}" "$TOOL" list --json
		vg_case valgrind-list-text 0 "${F[@]}" "$TOOL" list
		vg_case valgrind-show 0 "${F[@]}" "$TOOL" show data
		vg_case valgrind-status 1 "${F[@]}" "$TOOL" status
		vg_case valgrind-status-json 1 "${F[@]}" MIRVOL_FAKE_HEALTH=failed "$TOOL" status --json
		vg_case valgrind-op-wait 0 "${F[@]}" "$TOOL" op wait 10
		vg_case valgrind-split 1 "${F[@]}" MIRVOL_FAKE_SPLIT=1 "$TOOL" assemble "$OUT/d0" "$OUT/d1"
		vg_case valgrind-create 0 "${F[@]}" "$TOOL" create --wait "$OUT/d0" "$OUT/d1"
		vg_case valgrind-break 0 "${F[@]}" "$TOOL" break-plex --wait data 1
		vg_case valgrind-not-found 1 "${F[@]}" "$TOOL" show nosuch
		vg_case valgrind-check 0 "${F[@]}" "$TOOL" check --wait --json data
		vg_case valgrind-resync 1 "${F[@]}" "$TOOL" resync --wait data
		vg_case valgrind-replace 0 "${F[@]}" "$TOOL" replace --wait data 1 "$OUT/d0"
		vg_case valgrind-set 0 "${F[@]}" "$TOOL" set data --bitmap internal --region-size 1M --sync-speed-max 9
		vg_case valgrind-merge 1 "${F[@]}" "$TOOL" merge-plex data data
		[ -s "$OUT/ext4" ] &&
			vg_case valgrind-create-ext4 1 "${F[@]}" "$TOOL" create "$OUT/ext4"
		vg_case valgrind-create-bitmap 0 "${F[@]}" "$TOOL" create --bitmap none "$OUT/d0"
		vg_case valgrind-show-peer 0 "${F[@]}" "$TOOL" show backup
		vg_case valgrind-create-json 0 "${F[@]}" "$TOOL" create --json --wait "$OUT/d0" "$OUT/d1"
		vg_case valgrind-break-json 0 "${F[@]}" "$TOOL" break-plex --json --wait data 1
		vg_case valgrind-stop-json 0 "${F[@]}" MIRVOL_FAKE_WAITING=1 "$TOOL" stop --json backup
		vg_case valgrind-replace-json 1 "${F[@]}" MIRVOL_FAKE_ACTION_OP=16 "$TOOL" replace --json --wait data 1 "$OUT/d0"
		vg_case valgrind-assemble-json 0 "${F[@]}" "$TOOL" assemble --json "$OUT/d0" "$OUT/d1"
		vg_case valgrind-assemble-refused-json 1 "${F[@]}" MIRVOL_FAKE_REFUSE=41 "$TOOL" assemble --json "$OUT/d0" "$OUT/refused-member"
		vg_case valgrind-assemble-waiting-json 0 "${F[@]}" MIRVOL_FAKE_PENDING=1 MIRVOL_FAKE_WAITING=1 "$TOOL" assemble --json --incremental "$OUT/d0"
	fi
else
	echo "SKIP valgrind (not installed)"
fi

flush_pending
echo "tool-tests: $pass passed, $fail failed"
if [ -n "${MIRVOLCTL_TEST_COUNTS:-}" ]; then
	mkdir -p "$(dirname "$MIRVOLCTL_TEST_COUNTS")"
	printf 'passed=%d\nfailed=%d\n' "$pass" "$fail" >"$MIRVOLCTL_TEST_COUNTS"
fi
[ $fail -eq 0 ]
