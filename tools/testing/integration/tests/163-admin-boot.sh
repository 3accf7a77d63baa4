# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2034 # TEST_* are read by run.sh
#
# The administrator's day, on a guest that boots systemd and keeps its /
# from boot to boot (TEST_SYSTEMD=1): a clean guest gets the mirvolctl
# package with dpkg -i (under make torture, mirvol-dkms too, which builds
# the module with DKMS; otherwise modprobe finds the harness's build), a
# 2-plex volume "data" with an ext4 file system, and an /etc/fstab line
# for it by file system UUID, without nofail.  Then the guest reboots with
# disk b gone.  Nothing else is done: udev's incremental assembly finds
# disk a and waits for b, the boot waits for the file system, the
# package's mirvol-last-resort@UUID.timer fires 30 s after disk a
# appeared, its service starts the volume degraded, and systemd mounts the
# file system, so the boot goes on.  The second stage only begins once
# the boot is done and checks that it went that way: the file system is
# mounted from /dev/mirvolN with its files, the volume is degraded with
# plex b missing, the timer's service succeeded and ran no sooner than
# 30 s after the timer was started, and no unit failed.

TEST_STAGES="stage_install stage_boot_degraded"
TEST_DISKS="a:64M b:64M"
TEST_STAGE_DISKS="stage_boot_degraded:a"
TEST_SYSTEMD=1
TEST_UDEV=0
TEST_TIMEOUT=900

ctl=/usr/sbin/mirvolctl
mnt=/srv/mvdata

stage_install() {
	local deb pkgs=(mirvolctl_) fsuuid i
	require dpkg jq mkfs.ext4 systemctl
	[ "$(cat /proc/1/comm)" = systemd ] || fail "PID 1 is $(cat /proc/1/comm), not systemd"
	[ ! -e "$ctl" ] || fail "$ctl exists before dpkg -i: not a clean guest"
	[ ! -d /sys/module/mirvol ] || fail "mirvol is loaded before the test"
	if [ "${MVTEST_TORTURE:-0}" = 1 ]; then
		pkgs=(mirvol-dkms_ mirvolctl_)
		rm -f "/lib/modules/$(uname -r)/extra/mirvol.ko"
	fi
	# man-db's trigger rebuilds the index of every manual page over 9p
	# (many seconds under TCG); it runs only while this file exists.
	rm -f /var/lib/man-db/auto-update
	for deb in "${pkgs[@]}"; do
		deb=$(echo "$MIRVOL_SRC"/tools/testing/out/pkg/deb/"$deb"*_*.deb)
		[ -f "$deb" ] || fail "no $deb: run tools/testing/pkg-test.sh first"
		dpkg -i "$deb" >>"$TEST_SCRATCH/dpkg.log" 2>&1 || {
			tail -n 40 "$TEST_SCRATCH/dpkg.log"
			fail "dpkg -i $(basename "$deb") failed"
		}
		log "installed $(basename "$deb")"
	done
	systemctl cat mirvol-last-resort@.timer >/dev/null ||
		fail "systemd does not know mirvol-last-resort@.timer after dpkg -i"

	"$ctl" create --name data --wait "$(disk a)" "$(disk b)" >/dev/null ||
		fail "$ctl create failed"
	wait_for 30 test -b /dev/mirvol/data
	mkfs.ext4 -q -L mvdata /dev/mirvol/data
	# udev learns of the new file system from its watch on the volume,
	# which it sets up when it has handled the volume's "add" event: the
	# link above may come first, and mkfs's close then goes unseen (one CI
	# run waited 30 s for the by-uuid link).  Tell it, as an admin would.
	udevadm trigger --action=change /dev/mirvol/data
	udevadm settle --timeout=30
	fsuuid=$(blkid -s UUID -o value /dev/mirvol/data)
	[ -n "$fsuuid" ] || fail "no file system UUID on /dev/mirvol/data"
	wait_for 30 test -L "/dev/disk/by-uuid/$fsuuid"
	mkdir -p "$mnt"
	echo "UUID=$fsuuid $mnt ext4 defaults 0 2" >>/etc/fstab
	systemctl daemon-reload
	mount "$mnt"
	for i in 1 2 3 4; do
		head -c 3M /dev/urandom >"$mnt/file$i"
	done
	(cd "$mnt" && sha256sum file*) >"$TEST_SCRATCH/sums"
	"$ctl" show data --json | jq -r .uuid >"$TEST_SCRATCH/uuid"
	umount "$mnt"
	log "volume $(cat "$TEST_SCRATCH/uuid"), file system $fsuuid in /etc/fstab"
	# The harness's reset stops the volume; then the guest powers off.
}

# mono UNIT ID: the monotonic time (us) of UNIT's first journal entry of
# the message ID (the timer stops once fired, and with its service is then
# unloaded: their properties are gone, not the journal).
mono() {
	journalctl -b -o json "UNIT=$1" "MESSAGE_ID=$2" |
		jq -r .__MONOTONIC_TIMESTAMP | head -n 1
}
# systemd's catalog: a unit started (job done), a unit starting.
started_id=39f53479d3a045ac8e11786248231fbf
starting_id=7d4958e842da4a758f6c1cdc7b36dcc5

stage_boot_degraded() {
	local uuid json src t_timer t_svc failed
	require jq findmnt
	uuid=$(cat "$TEST_SCRATCH/uuid")
	[ -x "$ctl" ] || fail "$ctl is gone: the root did not persist"
	# Booted this far: basic.target, hence local-fs.target, was reached.
	assert_eq active "$(systemctl is-active local-fs.target)" "local-fs.target"
	src=$(findmnt -n -o SOURCE "$mnt") || fail "$mnt is not mounted after the boot"
	[[ $src == /dev/mirvol[0-9]* ]] || fail "$mnt is mounted from $src, not a mirvol volume"
	(cd "$mnt" && sha256sum -c --quiet "$TEST_SCRATCH/sums") ||
		fail "the files differ after the degraded boot"

	json=$("$ctl" show data --json)
	assert_eq "$uuid" "$(jq -r .uuid <<<"$json")" "the volume's UUID"
	assert_eq degraded "$(jq -r .state <<<"$json")" "state"
	assert_eq '["active","missing"]' "$(jq -c '[.plexes[].state]' <<<"$json")" "plex states"

	# The last-resort timer started it, after its 30 s.
	assert_eq success "$(systemctl show -P Result "mirvol-last-resort@$uuid.service")" \
		"mirvol-last-resort@$uuid.service's result"
	t_timer=$(mono "mirvol-last-resort@$uuid.timer" $started_id)
	t_svc=$(mono "mirvol-last-resort@$uuid.service" $starting_id)
	if [ -z "$t_timer" ] || [ -z "$t_svc" ]; then
		fail "the timer or its service never ran"
	fi
	log "timer started at $((t_timer / 1000)) ms, its service at $((t_svc / 1000)) ms of the boot"
	journalctl -b -u "mirvol-last-resort@$uuid.service" --no-pager |
		grep -q "Finished mirvol-last-resort@$uuid.service" ||
		fail "the service did not finish: $(journalctl -b -u "mirvol-last-resort@$uuid.service" --no-pager | tail -n 5)"
	[ $((t_svc - t_timer)) -ge 29000000 ] ||
		fail "the service ran $(((t_svc - t_timer) / 1000)) ms after the timer started, not 30 s"
	journalctl -b -u "mirvol-last-resort@$uuid.service" --no-pager >"$TEST_SCRATCH/last-resort.journal" || true

	failed=$(systemctl list-units --failed --plain --no-legend | awk '{ print $1 }' | tr '\n' ' ')
	[ -z "$failed" ] || fail "failed units: $failed"
}
