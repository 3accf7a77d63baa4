/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * mirvol: mirrored block volumes - user API
 *
 * Two interfaces live here:
 *
 *  1. The control interface: ioctls on the misc device /dev/mirvol-control.
 *     Every command takes one argument struct that starts with a
 *     struct mirvol_ioc_header.  All fields are fixed-width, every struct is
 *     a multiple of 8 bytes, padding is explicit and every reserved or
 *     padding field must be zero (the kernel returns -EINVAL otherwise).
 *     Unknown flags are rejected with -EINVAL.  On failure an ioctl returns
 *     -1 with errno set and, whenever the argument could be read, a stable
 *     reason code (enum mirvol_reason) in hdr.reason.  A buffer the
 *     argument points to (LIST, OP_LIST, ASSEMBLE's members) that cannot
 *     be read or written is -EFAULT with INVALID_ARGUMENT there.  An
 *     argument, or ASSEMBLE's members, that can be read but not written
 *     (a read-only mapping) fails with -EFAULT before anything is done:
 *     a command that cannot reply changes nothing.
 *
 *  2. The on-disk format: the superblock every plex carries at the start of
 *     its device (struct mirvol_sb).  All on-disk integers are little endian.
 *
 * Volumes, plexes and operations are named by 16-byte UUIDs (volumes,
 * plexes) and 64-bit ids (operations).  Plex devices are passed to the
 * kernel as file descriptors of opened block devices, never as paths.
 *
 * Copyright (C) 2026 The mirvol authors
 */
#ifndef _UAPI_LINUX_MIRVOL_H
#define _UAPI_LINUX_MIRVOL_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define MIRVOL_CONTROL_NAME	"mirvol-control"
#define MIRVOL_CONTROL_PATH	"/dev/mirvol-control"

/* ABI version reported by MIRVOL_IOC_VERSION. */
#define MIRVOL_ABI_MAJOR	2
#define MIRVOL_ABI_MINOR	1

/* Feature bits reported by MIRVOL_IOC_VERSION in mirvol_version.features. */
#define MIRVOL_FEAT_CREATE	(1ULL << 0)	/* CREATE/REMOVE/LIST/INFO */
#define MIRVOL_FEAT_OPS		(1ULL << 1)	/* asynchronous operations */
#define MIRVOL_FEAT_BREAK_PLEX	(1ULL << 2)	/* BREAK_PLEX, REMOVE_PLEX */
#define MIRVOL_FEAT_ADD_PLEX	(1ULL << 3)	/* ADD_PLEX, resync */
#define MIRVOL_FEAT_METADATA	(1ULL << 4)	/* on-disk superblocks */
#define MIRVOL_FEAT_ASSEMBLE	(1ULL << 5)	/* ASSEMBLE, STOP */
#define MIRVOL_FEAT_RENAME	(1ULL << 6)	/* RENAME */
#define MIRVOL_FEAT_SYNC_ACTION	(1ULL << 7)	/* SYNC_ACTION: resync, check, repair */
#define MIRVOL_FEAT_BITMAP	(1ULL << 8)	/* write-intent bitmap, SET_VOLUME */
#define MIRVOL_FEAT_PLEX_ACTION	(1ULL << 9)	/* PLEX_ACTION: fail, (off|on)line, re-add, replace */
#define MIRVOL_FEAT_MERGE	(1ULL << 10)	/* break --track-changes, merge */
#define MIRVOL_FEAT_OP_LIST	(1ULL << 11)	/* OP_LIST */
#define MIRVOL_FEAT_WRITE_MOSTLY (1ULL << 12)	/* write-mostly plexes */
#define MIRVOL_FEAT_CHECK	(1ULL << 13)	/* CREATE_F_CHECK, ADD_F_CHECK */

#define MIRVOL_MAX_PLEXES	8	/* plexes per volume */
#define MIRVOL_NAME_LEN		64	/* name buffer: 1..63 chars + NUL */
#define MIRVOL_UUID_LEN		16
#define MIRVOL_ASSEMBLE_MAX	64	/* members per ASSEMBLE call */

/**
 * enum mirvol_reason - why a command failed; stable numbers, never reused
 *
 * mirvolctl prints these by name (the part after MIRVOL_R_).  The VDS
 * counterpart, where one exists, is given in brackets.
 */
enum mirvol_reason {
	MIRVOL_R_NONE			= 0,	/* success */
	MIRVOL_R_INVALID_ARGUMENT	= 1,	/* a field is invalid [E_INVALIDARG] */
	MIRVOL_R_OBJECT_NOT_FOUND	= 2,	/* no such volume/plex/device/op [VDS_E_OBJECT_NOT_FOUND] */
	MIRVOL_R_DEVICE_BUSY		= 3,	/* device or volume in use */
	MIRVOL_R_NAME_EXISTS		= 4,	/* a volume already has this name */
	MIRVOL_R_TOO_MANY_PLEXES	= 5,	/* more than MIRVOL_MAX_PLEXES */
	MIRVOL_R_ACCESS_DENIED		= 6,	/* CAP_SYS_ADMIN required */
	MIRVOL_R_NO_MEMORY		= 7,	/* allocation failed [E_OUTOFMEMORY] */
	MIRVOL_R_IO_ERROR		= 8,	/* an I/O to a plex failed */
	MIRVOL_R_BAD_FD			= 9,	/* not an open file descriptor */
	MIRVOL_R_NOT_BLOCK_DEVICE	= 10,	/* fd is not a block device */
	MIRVOL_R_DUPLICATE_DEVICE	= 11,	/* same device given twice (or a disk and its partition) */
	MIRVOL_R_DEVICE_TOO_SMALL	= 12,	/* device below the minimum size */
	MIRVOL_R_INVALID_OPERATION	= 13,	/* not valid here [VDS_E_INVALID_OPERATION] */
	MIRVOL_R_VOLUME_NOT_ONLINE	= 14,	/* [VDS_E_VOLUME_NOT_ONLINE] */
	MIRVOL_R_VOLUME_NOT_A_MIRROR	= 15,	/* one plex only [VDS_E_VOLUME_NOT_A_MIRROR] */
	MIRVOL_R_PLEX_IS_BOOT		= 16,	/* plex flagged as boot plex */
	MIRVOL_R_REMAINING_PLEX_STALE	= 17,	/* no in-sync plex would remain */
	MIRVOL_R_PLEX_NOT_IN_SYNC	= 18,	/* plex to break, or repair's source, is not in sync */
	MIRVOL_R_SOURCE_TOO_SMALL	= 19,	/* added source < volume [VDS_E_INVALID_OPERATION] */
	MIRVOL_R_OBJECT_STATUS_FAILED	= 20,	/* volume failed [VDS_E_OBJECT_STATUS_FAILED] */
	MIRVOL_R_ANOTHER_CALL_IN_PROGRESS = 21,	/* [VDS_E_ANOTHER_CALL_IN_PROGRESS] */
	MIRVOL_R_OBJECT_DELETED		= 22,	/* volume removed under the op [VDS_E_OBJECT_DELETED] */
	MIRVOL_R_CANCEL_TOO_LATE	= 23,	/* op ended or past cancel [VDS_E_CANCEL_TOO_LATE] */
	MIRVOL_R_OPERATION_CANCELED	= 24,	/* op was cancelled [VDS_E_OPERATION_CANCELED] */
	MIRVOL_R_TIMEOUT		= 25,	/* OP_WAIT timed out, op still running */
	MIRVOL_R_INTERRUPTED		= 26,	/* OP_WAIT interrupted by a signal */
	MIRVOL_R_METADATA_CORRUPT	= 27,	/* no valid superblock [VDS_E_PROVIDER_CACHE_CORRUPT] */
	MIRVOL_R_SPLIT_BRAIN		= 28,	/* members diverged, see ASSEMBLE */
	MIRVOL_R_NOT_A_MEMBER		= 29,	/* device carries no mirvol superblock */
	MIRVOL_R_VOLUME_INCOMPLETE	= 30,	/* not all members present (no RUN) */
	MIRVOL_R_METADATA_VERSION	= 31,	/* superblock of an unknown version */
	MIRVOL_R_INCOMPATIBLE_DEVICE	= 32,	/* e.g. larger logical block size */
	MIRVOL_R_NO_IN_SYNC_MEMBER	= 33,	/* no member of the newest generation */
	MIRVOL_R_NOT_SUPPORTED		= 34,	/* unknown command */
	MIRVOL_R_SOURCE_READ_ERROR	= 35,	/* no in-sync plex, nor a syncing plex past it, (repair: its source) could read a range (op info: bad_offset_bytes) */
	MIRVOL_R_FREEZE_FAILED		= 36,	/* a file system on the volume could not be frozen */
	MIRVOL_R_NOTHING_TO_SYNC	= 37,	/* no plex needs a resync */
	MIRVOL_R_TOO_FEW_IN_SYNC	= 38,	/* check/repair need two in-sync plexes */
	MIRVOL_R_NO_BITMAP		= 39,	/* the volume has no write-intent bitmap */
	/* merge: not split from each other with --track-changes, or a map lost */
	MIRVOL_R_NOT_SPLIT_PAIR		= 40,
	MIRVOL_R_PLEX_FAILED		= 41,	/* the member failed a write: re-add it */
	/* break --track-changes: a split is tracked already (merge or forget it) */
	MIRVOL_R_SPLIT_TRACKED		= 42,
	/* check/repair: no in-sync plex could read a range (op info: unreadable_bytes) */
	MIRVOL_R_DATA_UNREADABLE	= 43,
	/* a plex the operation copied onto was taken offline: online copies it */
	MIRVOL_R_PLEX_OFFLINE		= 44,
	/*
	 * remove, remove-plex, replace: done (the volume or plex is gone),
	 * but a device kept its superblock: the write erasing it failed
	 */
	MIRVOL_R_WIPE_FAILED		= 45,
	/* a device is read-only (blockdev --setro, write-protected) */
	MIRVOL_R_READ_ONLY_DEVICE	= 46,
	/*
	 * repair: a plex is stale or syncing; its resync first (a repair
	 * rewrites only in-sync plexes, and the resync would copy around it)
	 */
	MIRVOL_R_RESYNC_PENDING		= 47,
	MIRVOL_R_MAX
};

/* Volume states (mirvol_info.state, sysfs "state"). */
enum mirvol_volume_state {
	MIRVOL_VOLUME_ONLINE	= 1,	/* every plex in sync */
	MIRVOL_VOLUME_DEGRADED	= 2,	/* serving I/O; some plex not in sync */
	MIRVOL_VOLUME_FAILED	= 3,	/* no in-sync plex: all I/O fails */
	MIRVOL_VOLUME_OFFLINE	= 4,	/* assembled, not started; no block device */
};

/* Plex states (mirvol_plex_info.state, sysfs plexN/state, on disk). */
enum mirvol_plex_state {
	MIRVOL_PLEX_NONE	= 0,	/* empty slot (on disk only) */
	MIRVOL_PLEX_ACTIVE	= 1,	/* in sync: reads and writes */
	MIRVOL_PLEX_STALE	= 2,	/* missed writes: waits for resync */
	MIRVOL_PLEX_SYNCING	= 3,	/* being resynced: writes only */
	MIRVOL_PLEX_FAILED	= 4,	/* failed an I/O (or by request): no I/O, back by re-add only */
	MIRVOL_PLEX_MISSING	= 5,	/* device absent or gone */
	/* taken offline: device held, no I/O, what it misses tracked (bitmap) */
	MIRVOL_PLEX_OFFLINE	= 6,
};

/* Operation types and states (struct mirvol_op_info). */
enum mirvol_op_type {
	MIRVOL_OP_ADD_PLEX	= 1,
	MIRVOL_OP_BREAK_PLEX	= 2,
	MIRVOL_OP_REMOVE_PLEX	= 3,
	MIRVOL_OP_RESYNC	= 4,	/* initial, dirty or stale-member resync */
	MIRVOL_OP_CHECK		= 5,	/* compare the in-sync plexes */
	MIRVOL_OP_REPAIR	= 6,	/* compare and rewrite mismatches */
	MIRVOL_OP_REPLACE	= 7,	/* sync a new plex, then drop an old one */
	MIRVOL_OP_MERGE		= 8,	/* a broken-off plex rejoins (changes only) */
};

enum mirvol_op_state {
	MIRVOL_OPS_RUNNING	= 1,
	MIRVOL_OPS_SUCCEEDED	= 2,
	MIRVOL_OPS_FAILED	= 3,
	MIRVOL_OPS_CANCELLED	= 4,
};

/**
 * struct mirvol_ioc_header - first member of every command argument
 * @flags:	in: command flags (MIRVOL_<CMD>_F_*); unknown bits: -EINVAL
 * @reason:	out: enum mirvol_reason, MIRVOL_R_NONE on success
 */
struct mirvol_ioc_header {
	__u32	flags;
	__u32	reason;
};

/**
 * struct mirvol_version - MIRVOL_IOC_VERSION
 * @hdr:		flags must be 0
 * @abi_major:		out: MIRVOL_ABI_MAJOR of the module
 * @abi_minor:		out: MIRVOL_ABI_MINOR of the module
 * @features:		out: MIRVOL_FEAT_* the module implements
 * @max_plexes:		out: MIRVOL_MAX_PLEXES
 * @nr_volumes:		out: volumes currently known (started or offline)
 * @reserved:		must be zero
 */
struct mirvol_version {
	struct mirvol_ioc_header hdr;
	__u32	abi_major;
	__u32	abi_minor;
	__u64	features;
	__u32	max_plexes;
	__u32	nr_volumes;
	__u64	reserved[4];
};

/* CREATE flags */
#define MIRVOL_CREATE_F_ASSUME_CLEAN	(1U << 0)	/* skip the initial resync */
#define MIRVOL_CREATE_F_NO_BITMAP	(1U << 1)	/* no write-intent bitmap */
#define MIRVOL_CREATE_F_CHECK		(1U << 2)	/* check only: see below */

/**
 * struct mirvol_create - MIRVOL_IOC_CREATE: a new volume over block devices
 * @hdr:		flags: MIRVOL_CREATE_F_*
 * @name:		in: 1..63 chars of [A-Za-z0-9._-], NUL-terminated, not
 *			"." or "..", not ending in "-part" and digits (the
 *			udev link of a partition: /dev/mirvol/NAME-partN), or
 *			empty to let the kernel choose; out: the name used
 * @nr_plexes:		in: 1..MIRVOL_MAX_PLEXES
 * @plex_fds:		in: fds of the opened block devices, in plex order;
 *			entries past @nr_plexes must be -1
 * @pad:		must be zero
 * @volume_uuid:	out: UUID of the new volume
 * @dev_major:		out: major number of /dev/mirvolN
 * @dev_minor:		out: minor number of /dev/mirvolN
 * @index:		out: N of /dev/mirvolN
 * @pad2:		must be zero
 * @op_id:		out: id of the initial resync operation, 0 if none
 * @bitmap_region_bytes: in: bytes of volume per write-intent bitmap bit, a
 *			power of two from 64 KiB, or 0 for the default (see
 *			MIRVOL_BITMAP_DEFAULT); out: the size used (0 with
 *			MIRVOL_CREATE_F_NO_BITMAP)
 * @reserved:		must be zero
 *
 * Every device is opened exclusively for the volume's lifetime.  Its
 * metadata area (see MIRVOL_DATA_OFFSET) is overwritten; the volume's size
 * is the smallest plex's size less the metadata area.  Plex 0 is the
 * source of the initial resync unless MIRVOL_CREATE_F_ASSUME_CLEAN.
 *
 * MIRVOL_CREATE_F_CHECK (MIRVOL_FEAT_CHECK): check only.  Every check
 * of the real call runs (the fields, the devices opened exclusively,
 * their sizes, the name taken for a moment, the bitmap's size), then
 * everything is given back: no volume, no write to a device, no uevent.
 * The call fails with the reason the real call would give, or succeeds
 * with only @bitmap_region_bytes set (the size it would use).  Nothing
 * is reserved: the real call checks again.  What the real call does
 * after its checks (writing the superblocks, adding the block device)
 * may still fail it, for lack of memory or with IO_ERROR.  mirvolctl
 * create --force checks before it erases what the devices hold.
 * A module without MIRVOL_FEAT_CHECK refuses the flag (INVALID_ARGUMENT).
 */
struct mirvol_create {
	struct mirvol_ioc_header hdr;
	char	name[MIRVOL_NAME_LEN];
	__u32	nr_plexes;
	__s32	plex_fds[MIRVOL_MAX_PLEXES];
	__u32	pad;
	__u8	volume_uuid[MIRVOL_UUID_LEN];
	__u32	dev_major;
	__u32	dev_minor;
	__u32	index;
	__u32	pad2;
	__u64	op_id;
	__u64	bitmap_region_bytes;
	__u64	reserved[3];
};

/* REMOVE flags */
#define MIRVOL_REMOVE_F_KEEP_METADATA	(1U << 0)	/* stop only (= STOP) */

/**
 * struct mirvol_volume_ref - MIRVOL_IOC_REMOVE, MIRVOL_IOC_STOP
 * @hdr:		REMOVE flags: MIRVOL_REMOVE_F_*; STOP: 0
 * @volume_uuid:	in: the volume
 * @reserved:		must be zero
 *
 * STOP deactivates the volume: it marks every plex clean on disk, deletes
 * the block device and releases the plex devices; the volume can be
 * assembled again.  REMOVE does the same and then erases the superblocks
 * so that the devices are free.  Both fail with -EBUSY (DEVICE_BUSY) while
 * the volume's block device is open.  A running operation of the volume
 * ends with OBJECT_DELETED.  When an erasing write fails, REMOVE fails
 * with -EIO (WIPE_FAILED), the volume removed all the same: that device
 * keeps its superblock (the kernel log names it) and would be assembled
 * again until it is erased.
 */
struct mirvol_volume_ref {
	struct mirvol_ioc_header hdr;
	__u8	volume_uuid[MIRVOL_UUID_LEN];
	__u64	reserved[2];
};

/**
 * struct mirvol_list - MIRVOL_IOC_LIST: the UUIDs of all volumes
 * @hdr:		flags must be 0
 * @capacity:		in: entries the buffer at @uuids_ptr holds
 * @count:		out: number of volumes; if above @capacity only
 *			@capacity UUIDs were written: call again
 * @uuids_ptr:		in: user address of @capacity * MIRVOL_UUID_LEN bytes
 *			(may be 0 when @capacity is 0)
 * @reserved:		must be zero
 *
 * Volumes are listed in creation order (offline volumes included).
 */
struct mirvol_list {
	struct mirvol_ioc_header hdr;
	__u32	capacity;
	__u32	count;
	__u64	uuids_ptr;
	__u64	reserved[2];
};

/**
 * struct mirvol_op_list - MIRVOL_IOC_OP_LIST: the ids of the operations
 * @hdr:		flags must be 0
 * @capacity:		in: entries the buffer at @ids_ptr holds
 * @count:		out: operations in the table: every running one and
 *			the most recently ended ones (the module keeps a
 *			few, see OP_STATUS); if above @capacity only
 *			@capacity ids were written: call again
 * @ids_ptr:		in: user address of @capacity __u64 (may be 0 when
 *			@capacity is 0)
 * @reserved:		must be zero
 *
 * Oldest first.  An id listed may be forgotten before OP_STATUS asks for
 * it (OBJECT_NOT_FOUND).
 */
struct mirvol_op_list {
	struct mirvol_ioc_header hdr;
	__u32	capacity;
	__u32	count;
	__u64	ids_ptr;
	__u64	reserved[2];
};

/* mirvol_plex_info.flags and on-disk mirvol_sb_plex.flags */
#define MIRVOL_PLEX_F_BOOT	(1U << 0)	/* boot plex: cannot be broken */
/*
 * On disk only: the last in-sync plex, whose device went away.  It holds
 * every acknowledged write (nothing could be acknowledged without it), so
 * it is recorded active, and assembly takes it as in sync whatever the
 * generations it missed: it is the resync source when it returns.
 */
#define MIRVOL_PLEX_F_LAST_IN_SYNC (1U << 1)
/*
 * A syncing plex that differs from the in-sync plexes only in the regions
 * set in the write-intent bitmap: its resync copies only those (a plex
 * back from a short absence, or after an unclean shutdown).  Version 2.
 */
#define MIRVOL_PLEX_F_BITMAP_SYNC (1U << 2)
/*
 * Write-mostly (md's --write-mostly): the plex takes every write but
 * serves reads only when no other in-sync plex can (a slow or remote
 * leg).  Set and cleared by SET_PLEX; recorded in the superblocks.
 * A module older than MIRVOL_FEAT_WRITE_MOSTLY refuses the superblock.
 */
#define MIRVOL_PLEX_F_WRITE_MOSTLY (1U << 3)

/**
 * struct mirvol_plex_info - one plex, in struct mirvol_info
 * @uuid:		plex UUID
 * @index:		slot 0..MIRVOL_MAX_PLEXES-1, stable for the plex's life
 * @state:		enum mirvol_plex_state
 * @flags:		MIRVOL_PLEX_F_*
 * @dev_major:		backing device, 0:0 when missing
 * @dev_minor:		backing device
 * @pad:		zero
 * @dev_size_bytes:	size of the backing device
 * @data_offset_bytes:	where the volume's data starts on the device
 * @sync_bytes:		bytes of the volume known in sync on this plex
 *			(the volume size once the plex is active)
 * @read_errors:	uncorrected read errors: reads that failed and could
 *			not be repaired from another plex; halved for every
 *			hour without a new one (md's decay).  The plex is
 *			failed when it reaches the max_read_errors parameter,
 *			unless it is the last in-sync plex
 * @write_errors:	write errors seen since the volume started
 * @read_ios:		reads sent to this plex since the volume started
 * @write_ios:		writes (incl. flushes, discards) sent to it
 * @corrected_read_errors: read errors repaired since the volume started:
 *			the good copy was rewritten and read back
 * @reserved:		zero
 */
struct mirvol_plex_info {
	__u8	uuid[MIRVOL_UUID_LEN];
	__u32	index;
	__u32	state;
	__u32	flags;
	__u32	dev_major;
	__u32	dev_minor;
	__u32	pad;
	__u64	dev_size_bytes;
	__u64	data_offset_bytes;
	__u64	sync_bytes;
	__u64	read_errors;
	__u64	write_errors;
	__u64	read_ios;
	__u64	write_ios;
	__u64	corrected_read_errors;
	__u64	reserved[7];
};

/* mirvol_info.flags */
#define MIRVOL_VOLUME_F_DIRTY	(1U << 0)	/* marked dirty on disk */

/**
 * struct mirvol_info - MIRVOL_IOC_INFO: one volume and all its plexes
 * @hdr:		flags must be 0
 * @volume_uuid:	in: the volume
 * @name:		out: NUL-terminated name
 * @state:		out: enum mirvol_volume_state
 * @flags:		out: MIRVOL_VOLUME_F_*
 * @dev_major:		out: /dev/mirvolN, 0:0 when offline
 * @dev_minor:		out
 * @index:		out: N of /dev/mirvolN, -1 (0xffffffff) when offline
 * @nr_plexes:		out: valid entries in @plexes
 * @size_bytes:		out: size of the volume
 * @generation:		out: metadata generation
 * @op_id:		out: the running operation, 0 if none
 * @sync_speed_min:	out: resync speed floor, KiB/s
 * @sync_speed_max:	out: resync speed ceiling, KiB/s
 * @mismatch_sectors:	out: sectors the last check or repair found to
 *			differ between in-sync plexes (md's mismatch_cnt);
 *			reset when one starts
 * @bitmap_region_bytes: out: bytes per write-intent bitmap bit, 0: no bitmap
 * @bitmap_dirty_regions: out: bits set in the bitmap: regions that a
 *			resync or a returning plex would copy
 * @split_peer_uuid:	out: break-plex --track-changes: the volume this
 *			one was split from or into, else zero
 * @reserved:		zero
 * @plexes:		out: the plexes, in slot order.  Of a volume waiting
 *			in assembly (offline): the members it holds (state
 *			NONE, with their device) and, as MISSING without a
 *			device, the plexes its newest member lists that have
 *			not come
 */
struct mirvol_info {
	struct mirvol_ioc_header hdr;
	__u8	volume_uuid[MIRVOL_UUID_LEN];
	char	name[MIRVOL_NAME_LEN];
	__u32	state;
	__u32	flags;
	__u32	dev_major;
	__u32	dev_minor;
	__u32	index;
	__u32	nr_plexes;
	__u64	size_bytes;
	__u64	generation;
	__u64	op_id;
	__u32	sync_speed_min;
	__u32	sync_speed_max;
	__u64	mismatch_sectors;
	__u64	bitmap_region_bytes;
	__u64	bitmap_dirty_regions;
	__u8	split_peer_uuid[MIRVOL_UUID_LEN];
	__u64	reserved[3];
	struct mirvol_plex_info plexes[MIRVOL_MAX_PLEXES];
};

/* ADD_PLEX flags */
#define MIRVOL_ADD_F_FROM_VOLUME	(1U << 0)	/* source is a volume */
#define MIRVOL_ADD_F_MERGE		(1U << 1)	/* with FROM_VOLUME: merge */
#define MIRVOL_ADD_F_CHECK		(1U << 2)	/* check only: see below */

/**
 * struct mirvol_add_plex - MIRVOL_IOC_ADD_PLEX
 * @hdr:		flags: MIRVOL_ADD_F_*
 * @volume_uuid:	in: the target volume
 * @fd:			in: the block device to add; -1 with FROM_VOLUME
 * @pad:		must be zero
 * @source_uuid:	in: with FROM_VOLUME, the volume whose every plex
 *			joins the target (it disappears); else zero
 * @op_id:		out: the operation (add + resync)
 * @reserved:		must be zero
 *
 * The new plexes are "syncing" until the resync completes; the operation
 * then succeeds with the new plexes' UUIDs as its outputs.
 *
 * With MIRVOL_ADD_F_MERGE (merge-plex) the source must be the volume a
 * break-plex --track-changes split off this one (or the other way round):
 * its plexes rejoin, and only the regions either side changed since the
 * split are copied (the target's data wins); the operation is
 * MIRVOL_OP_MERGE.  Refused with NOT_SPLIT_PAIR when the two were not
 * split from each other (or a map was lost: a bitmap dropped, the split
 * forgotten, region sizes differ), NO_BITMAP when either has no bitmap,
 * PLEX_NOT_IN_SYNC when a plex of the source is not in sync, DEVICE_BUSY
 * when the source is open.  Modules without MIRVOL_FEAT_MERGE answer
 * NOT_SUPPORTED (so they do for BREAK_PLEX with
 * MIRVOL_BREAK_F_TRACK_CHANGES).
 *
 * MIRVOL_ADD_F_CHECK (MIRVOL_FEAT_CHECK; with a device @fd only, not
 * with FROM_VOLUME: INVALID_ARGUMENT): check only, as CREATE's
 * MIRVOL_CREATE_F_CHECK.  The rules are checked, the device is opened
 * exclusively and measured against the volume, then given back: no
 * operation is started or reserved (@op_id stays 0), no superblock
 * written, the volume unchanged.  The call fails with the reason the
 * real call would give, or succeeds.  mirvolctl add-plex --force checks
 * before it erases what the device holds.
 */
struct mirvol_add_plex {
	struct mirvol_ioc_header hdr;
	__u8	volume_uuid[MIRVOL_UUID_LEN];
	__s32	fd;
	__u32	pad;
	__u8	source_uuid[MIRVOL_UUID_LEN];
	__u64	op_id;
	__u64	reserved[4];
};

/**
 * struct mirvol_plex_ref - MIRVOL_IOC_BREAK_PLEX, REMOVE_PLEX, SET_PLEX
 * @hdr:		SET_PLEX flags: MIRVOL_SET_PLEX_F_*; BREAK_PLEX flags:
 *			MIRVOL_BREAK_F_*; REMOVE_PLEX 0
 * @volume_uuid:	in: the volume
 * @plex_uuid:		in: the plex
 * @new_name:		BREAK_PLEX in: the new volume's name (rules as for
 *			CREATE), or empty for "<name>-plex<index>"; out: the
 *			name used.
 *			Others: must be zero
 * @op_id:		out: BREAK_PLEX, REMOVE_PLEX: the operation
 * @new_volume_uuid:	out: BREAK_PLEX: UUID the new volume will have
 * @reserved:		must be zero
 */
struct mirvol_plex_ref {
	struct mirvol_ioc_header hdr;
	__u8	volume_uuid[MIRVOL_UUID_LEN];
	__u8	plex_uuid[MIRVOL_UUID_LEN];
	char	new_name[MIRVOL_NAME_LEN];
	__u64	op_id;
	__u8	new_volume_uuid[MIRVOL_UUID_LEN];
	__u64	reserved[4];
};

/*
 * BREAK_PLEX flags.  MIRVOL_BREAK_F_TRACK_CHANGES: both volumes keep a
 * change map from the split on (their bitmaps stop clearing, and each
 * records the other as its split peer), so that merge-plex (ADD_PLEX with
 * MIRVOL_ADD_F_MERGE) copies only what changed on either side.  Needs a
 * bitmap (NO_BITMAP); one tracked split per volume (SPLIT_TRACKED).
 */
#define MIRVOL_BREAK_F_TRACK_CHANGES	(1U << 0)	/* both keep a change map */

/*
 * SET_PLEX flags: at least one, at most one of each pair.  The write-mostly
 * flag (MIRVOL_PLEX_F_WRITE_MOSTLY) needs MIRVOL_FEAT_WRITE_MOSTLY; reads
 * already sent are not moved.  IO_ERROR (the superblocks could not record
 * them): the flags are as they were.  VOLUME_NOT_ONLINE: the volume is not
 * started (waiting in assembly for its members), as for SET_VOLUME.
 */
#define MIRVOL_SET_PLEX_F_BOOT		(1U << 0)
#define MIRVOL_SET_PLEX_F_NO_BOOT	(1U << 1)
#define MIRVOL_SET_PLEX_F_WRITE_MOSTLY	(1U << 2)
#define MIRVOL_SET_PLEX_F_NO_WRITE_MOSTLY (1U << 3)

/**
 * struct mirvol_op_info - state of an asynchronous operation
 * @id:			operation id (never 0, never reused while loaded)
 * @type:		enum mirvol_op_type
 * @state:		enum mirvol_op_state
 * @error:		positive errno when FAILED or CANCELLED, else 0
 * @reason:		enum mirvol_reason when FAILED or CANCELLED, else 0
 * @percent:		0..100 progress
 * @nr_outputs:		valid entries in @outputs
 * @done_bytes:		progress: bytes done (resync)
 * @total_bytes:	progress: bytes in all
 * @elapsed_ms:		run time so far, or until the end
 * @volume_uuid:	the volume the operation works on
 * @outputs:		BREAK_PLEX: [0] the new volume's UUID;
 *			ADD_PLEX: the new plexes' UUIDs;
 *			REMOVE_PLEX: [0] the removed plex's UUID;
 *			RESYNC: the plexes being resynced;
 *			CHECK, REPAIR: the in-sync plexes compared
 * @bad_offset_bytes:	failed with SOURCE_READ_ERROR or DATA_UNREADABLE:
 *			volume offset of the first range no plex could read
 *			(REPAIR from a named source: the source could not
 *			read, and that was not compared); with FORCE: of the
 *			first range replaced by zeros
 * @bad_bytes:		length of that range (0: none)
 * @lost_bytes:		FORCE: bytes no plex could read, written as zeros
 * @mismatch_bytes:	CHECK, REPAIR: bytes found to differ between the
 *			in-sync plexes (REPAIR: and rewritten)
 * @unreadable_bytes:	CHECK, REPAIR (without a named source): bytes no
 *			in-sync plex could read, neither compared nor
 *			rewritten; the operation goes on and then fails with
 *			DATA_UNREADABLE.  0 from a module older than this
 *			field (it was reserved)
 * @reserved:		zero
 */
struct mirvol_op_info {
	__u64	id;
	__u32	type;
	__u32	state;
	__s32	error;
	__u32	reason;
	__u32	percent;
	__u32	nr_outputs;
	__u64	done_bytes;
	__u64	total_bytes;
	__u64	elapsed_ms;
	__u8	volume_uuid[MIRVOL_UUID_LEN];
	__u8	outputs[MIRVOL_MAX_PLEXES][MIRVOL_UUID_LEN];
	__u64	bad_offset_bytes;
	__u64	bad_bytes;
	__u64	lost_bytes;
	__u64	mismatch_bytes;
	__u64	unreadable_bytes;
	__u64	reserved[3];
};

/**
 * struct mirvol_op - MIRVOL_IOC_OP_STATUS, OP_WAIT, OP_CANCEL
 * @hdr:		flags must be 0
 * @op_id:		in: the operation
 * @timeout_ms:		in: OP_WAIT: give up after this long, 0 = no limit;
 *			others: must be zero
 * @pad:		must be zero
 * @info:		out: the operation's state (also on OP_WAIT timeout)
 *
 * OP_WAIT returns 0 once the operation has ended, whatever its outcome;
 * -ETIMEDOUT (TIMEOUT) or -EINTR (INTERRUPTED) leave it running.
 * OP_CANCEL of an ended (or ending) operation, of one that cannot be cancelled
 * (BREAK_PLEX, REMOVE_PLEX: they complete in moments), and of a RESYNC,
 * ADD_PLEX, MERGE or REPLACE past its point of no return, the copy's
 * promotion of its last targets to active (it ends with its own result:
 * the plexes stay, replace's old plex leaves), fails with -EALREADY
 * (CANCEL_TOO_LATE).  Cancelled before that point, it promotes nothing:
 * its targets stay syncing even when all is copied (an add is undone).
 * An ADD_PLEX, MERGE or REPLACE whose plexes are the only ones in sync is
 * not undone: the cancel fails with CANCEL_TOO_LATE and it goes on, but
 * for a volume removed or stopped meanwhile: it then ends FAILED with
 * OBJECT_DELETED.
 * CHECK and REPAIR change no plex's state and have no such point.  An
 * operation is cancellable from the moment its id exists: add-plex still
 * opening its device or dissolving its source ends cancelled without
 * changing the target.  Every errno is that of the reason code (one
 * reason, one errno).
 * Ended operations stay queryable until MIRVOL_OPS_KEPT newer ones ended.
 */
struct mirvol_op {
	struct mirvol_ioc_header hdr;
	__u64	op_id;
	__u32	timeout_ms;
	__u32	pad;
	struct mirvol_op_info info;
};

#define MIRVOL_OPS_KEPT		64

/* ASSEMBLE flags */
#define MIRVOL_ASSEMBLE_F_RUN		(1U << 0)	/* start even if degraded */
#define MIRVOL_ASSEMBLE_F_INCREMENTAL	(1U << 1)	/* add one member */

/* mirvol_assemble_member.result */
enum mirvol_member_result {
	MIRVOL_MEMBER_REFUSED	= 0,	/* see .reason */
	MIRVOL_MEMBER_ACTIVE	= 1,	/* joined, in sync */
	MIRVOL_MEMBER_STALE	= 2,	/* joined, will be resynced */
	MIRVOL_MEMBER_PENDING	= 3,	/* held by an offline volume */
};

/**
 * struct mirvol_assemble_member - one device given to ASSEMBLE
 * @fd:			in: fd of the opened block device
 * @result:		out: enum mirvol_member_result
 * @reason:		out: why it was refused (or SPLIT_BRAIN: the side
 *			it is on), else 0
 * @plex_index:		out: slot recorded in its superblock
 * @volume_uuid:	out: volume recorded in its superblock
 * @plex_uuid:		out: plex recorded in its superblock
 * @generation:		out: generation of its current superblock
 *
 * Every output is written, a refused member's too: @plex_index,
 * @volume_uuid, @plex_uuid and @generation are zero when no superblock
 * of it was read (not a block device, unreadable, no superblock).
 */
struct mirvol_assemble_member {
	__s32	fd;
	__u32	result;
	__u32	reason;
	__u32	plex_index;
	__u8	volume_uuid[MIRVOL_UUID_LEN];
	__u8	plex_uuid[MIRVOL_UUID_LEN];
	__u64	generation;
};

/**
 * struct mirvol_assemble - MIRVOL_IOC_ASSEMBLE: bring volumes back
 * @hdr:		flags: MIRVOL_ASSEMBLE_F_*
 * @nr_members:		in: 1..MIRVOL_ASSEMBLE_MAX (1 with INCREMENTAL)
 * @nr_started:		out: volumes started by this call
 * @members_ptr:	in/out: user address of @nr_members
 *			struct mirvol_assemble_member
 * @volume_uuid:	out: the last volume assembled or joined
 * @volume_state:	out: its enum mirvol_volume_state
 * @pad:		must be zero
 * @op_id:		out: resync operation started for it, 0 if none
 * @reserved:		must be zero
 *
 * The kernel reads every member's superblock, groups members by volume
 * UUID and assembles each group: the newest generation is the truth,
 * older or recorded-failed members are stale and resynced, absent ones
 * missing.  A group is started when every member its newest superblock
 * expects is present, or with RUN when at least one up-to-date member is.
 * Otherwise it is held offline (its devices claimed) until more members
 * arrive.  A member of a running volume rejoins it as stale; so does, in
 * the empty slot it names, a device whose add-plex or merge-plex a power
 * cut interrupted before the in-sync plexes recorded it.  A member whose
 * superblock cannot be written as it rejoins is refused with IO_ERROR,
 * yet stays in its slot as a failed plex holding its device (READD it, or
 * REMOVE_PLEX).  So does a member whose superblock cannot be written as
 * its volume starts: a volume that started keeps running (it may be open
 * already) and the call fails with IO_ERROR, @nr_started counting it;
 * when not even an in-sync plex took its superblocks, reads go on and
 * writes fail until one does.  Failure of any group fails the call with
 * that group's reason; per-member results are written back in every case.
 */
struct mirvol_assemble {
	struct mirvol_ioc_header hdr;
	__u32	nr_members;
	__u32	nr_started;
	__u64	members_ptr;
	__u8	volume_uuid[MIRVOL_UUID_LEN];
	__u32	volume_state;
	__u32	pad;
	__u64	op_id;
	__u64	reserved[4];
};

/**
 * struct mirvol_rename - MIRVOL_IOC_RENAME
 * @hdr:		flags must be 0
 * @volume_uuid:	in: the volume
 * @name:		in: the new name (rules as for CREATE)
 * @reserved:		must be zero
 *
 * IO_ERROR (the superblocks could not record it): the volume keeps its
 * old name, unless another volume took that name meanwhile; then it keeps
 * the new one, recorded by the next superblock update (when the update
 * that follows at once records it, the call succeeds).
 */
struct mirvol_rename {
	struct mirvol_ioc_header hdr;
	__u8	volume_uuid[MIRVOL_UUID_LEN];
	char	name[MIRVOL_NAME_LEN];
	__u64	reserved[2];
};

/* SYNC_ACTION actions */
enum mirvol_sync_action_type {
	MIRVOL_SYNC_RESYNC	= 1,	/* resync the stale and syncing plexes */
	MIRVOL_SYNC_CHECK	= 2,	/* compare the in-sync plexes */
	MIRVOL_SYNC_REPAIR	= 3,	/* compare, rewrite mismatches */
};

/* SYNC_ACTION flags */
#define MIRVOL_SYNC_F_FORCE	(1U << 0)	/* RESYNC: see below */

/**
 * struct mirvol_sync_action - MIRVOL_IOC_SYNC_ACTION: start a resync,
 *	check or repair operation
 * @hdr:		flags: MIRVOL_SYNC_F_* (RESYNC only)
 * @volume_uuid:	in: the volume
 * @action:		in: enum mirvol_sync_action_type
 * @pad:		must be zero
 * @source_uuid:	in: REPAIR: the plex whose data wins, zero for the
 *			lowest-index in-sync plex; others: must be zero
 * @op_id:		out: the operation
 * @reserved:		must be zero
 *
 * RESYNC restarts the resync of stale and syncing plexes, e.g. after one
 * stopped with SOURCE_READ_ERROR (no in-sync plex could read a range; the
 * operation reports the range).  With MIRVOL_SYNC_F_FORCE such a range no
 * longer stops it: every readable sector is copied, and each range no
 * plex can read is written as zeros on every plex (sources included, so
 * the plexes agree and a disk can remap the sector); the operation
 * reports the bytes lost and the kernel log every range.  Refused with
 * NOTHING_TO_SYNC when no plex needs a resync.
 *
 * CHECK reads every in-sync plex and compares them, counting mismatched
 * sectors (mirvol_info.mismatch_sectors, the op's mismatch_bytes) and
 * logging the ranges; REPAIR rewrites them from the source plex.  Both
 * are throttled like a resync, cancellable, and repair read errors from
 * another copy as normal reads do.  A range no in-sync plex can read is
 * counted (the op's unreadable_bytes) and logged; they go on, then fail
 * with DATA_UNREADABLE (REPAIR from a named source: see SOURCE_READ_ERROR
 * above, the source's unreadable ranges).  They need two in-sync plexes
 * (TOO_FEW_IN_SYNC) and an idle volume (ANOTHER_CALL_IN_PROGRESS).
 */
struct mirvol_sync_action {
	struct mirvol_ioc_header hdr;
	__u8	volume_uuid[MIRVOL_UUID_LEN];
	__u32	action;
	__u32	pad;
	__u8	source_uuid[MIRVOL_UUID_LEN];
	__u64	op_id;
	__u64	reserved[4];
};

/* PLEX_ACTION actions */
enum mirvol_plex_action_type {
	MIRVOL_PLEX_FAIL	= 1,	/* fail it, as a write error would */
	MIRVOL_PLEX_TAKE_OFFLINE = 2,	/* offline: no I/O, changes tracked */
	MIRVOL_PLEX_TAKE_ONLINE	= 3,	/* back from offline: copy what it missed */
	MIRVOL_PLEX_READD	= 4,	/* a failed or missing plex rejoins */
	MIRVOL_PLEX_REPLACE	= 5,	/* sync @fd, then drop this plex */
};

/**
 * struct mirvol_plex_action - MIRVOL_IOC_PLEX_ACTION
 * @hdr:		flags must be 0
 * @volume_uuid:	in: the volume
 * @plex_uuid:		in: the plex
 * @action:		in: enum mirvol_plex_action_type
 * @fd:			in: READD of a missing plex: its device (it must carry
 *			the plex's superblock); REPLACE: the new device;
 *			else -1
 * @op_id:		out: ONLINE, READD, REPLACE: the operation copying the
 *			data (0 when nothing needed copying)
 * @reserved:		must be zero
 *
 * FAIL and OFFLINE take a plex that takes writes (active, syncing,
 * stale) out of the mirror, never the last in-sync one
 * (REMAINING_PLEX_STALE); an offline plex keeps its device and stays
 * offline across reboots (its device gone, or absent at assembly, it
 * stays offline, its device held when it comes back; ONLINE fails with
 * OBJECT_NOT_FOUND while the device is absent).  An operation copying
 * onto the plex (add-plex, merge, replace, resync) that has not made it
 * active yet then fails:
 * IO_ERROR after FAIL (as after a write error, or its device gone),
 * PLEX_OFFLINE after OFFLINE; the plex stays as it is (an added one in
 * the volume; replace's old plex in the mirror).  ONLINE (an offline
 * plex) and READD (a failed plex, or a missing one with @fd) copy only
 * the regions written since the plex left when the volume has a bitmap
 * that covered every write since then and the plex held the data when
 * it left (in sync, or a partial target), else everything; they need an
 * in-sync plex (OBJECT_STATUS_FAILED).  They fail with IO_ERROR when
 * the plex's superblock cannot be written as it comes back: it is then
 * failed, holding its device (READD's @fd too).
 * Assembly brings a returning missing member back by itself the same
 * way; a member that failed a write comes back stale (a full copy).
 * REPLACE: @fd syncs as a new plex (an operation of type
 * MIRVOL_OP_REPLACE, add-plex's rules) while this plex stays in the
 * mirror, then this plex leaves, its metadata erased (mdadm --replace,
 * zpool replace); cancelled, the new plex goes and this one stays.
 *
 * IO_ERROR: the superblocks could not record the change (the last
 * in-sync plex failed the write).  FAIL and OFFLINE are not undone then:
 * the plex is failed or offline, out of the I/O as after a write error,
 * and writes wait (or fail) until a superblock update records it.
 * ONLINE and READD: the plex is failed again, holding its device, and
 * no operation started.  A failed call always returns @op_id 0.
 */
struct mirvol_plex_action {
	struct mirvol_ioc_header hdr;
	__u8	volume_uuid[MIRVOL_UUID_LEN];
	__u8	plex_uuid[MIRVOL_UUID_LEN];
	__u32	action;
	__s32	fd;
	__u64	op_id;
	__u64	reserved[4];
};

/* SET_VOLUME flags: what to change */
#define MIRVOL_SET_F_BITMAP	(1U << 0)	/* @bitmap, @bitmap_region_bytes */
#define MIRVOL_SET_F_SPEED	(1U << 1)	/* @sync_speed_min, @sync_speed_max */
#define MIRVOL_SET_F_FORGET_SPLIT (1U << 2)	/* stop tracking a split */

/**
 * struct mirvol_set_volume - MIRVOL_IOC_SET_VOLUME
 * @hdr:		flags: MIRVOL_SET_F_*, at least one
 * @volume_uuid:	in: the volume
 * @bitmap:		in: SET_F_BITMAP: 1 internal bitmap, 0 none
 * @pad:		must be zero
 * @bitmap_region_bytes: in: SET_F_BITMAP with @bitmap 1: as for CREATE;
 *			else zero
 * @sync_speed_min:	in: SET_F_SPEED: resync floor KiB/s, 0 for the
 *			module's default; at most 2^31 (as the sysfs file
 *			sync_speed_min takes)
 * @sync_speed_max:	in: SET_F_SPEED: ceiling, 0 for the default; at
 *			most 2^31
 * @reserved:		must be zero
 *
 * Recorded in the superblocks (they survive reboots).  A bitmap added to
 * a running volume covers writes from then on: a plex missing since
 * before still needs a full copy when it returns.
 *
 * MIRVOL_SET_F_FORGET_SPLIT ends the change tracking of a break-plex
 * --track-changes on this volume (its peer can then no longer be merged
 * back; the bitmap's bits may be cleared again).  NOT_SPLIT_PAIR when no
 * split is tracked.
 *
 * IO_ERROR (the superblocks could not record it): nothing changed, but
 * for a bitmap being added that could not be taken back from them
 * either: it stays.
 */
struct mirvol_set_volume {
	struct mirvol_ioc_header hdr;
	__u8	volume_uuid[MIRVOL_UUID_LEN];
	__u32	bitmap;
	__u32	pad;
	__u64	bitmap_region_bytes;
	__u32	sync_speed_min;
	__u32	sync_speed_max;
	__u64	reserved[4];
};

/*
 * The default region size: the smallest power of two from 64 KiB up that
 * keeps the bitmap of a volume under MIRVOL_BITMAP_DEFAULT_REGIONS bits,
 * capped at 4 MiB (bigger volumes then use more bits, up to
 * MIRVOL_BITMAP_MAX_REGIONS).  Larger regions mean fewer bitmap writes
 * (a region is marked once per busy period) but more copying after a
 * crash or a short absence.
 */
#define MIRVOL_BITMAP_MIN_REGION	65536ULL
#define MIRVOL_BITMAP_DEFAULT_MAX_REGION	(4ULL << 20)
#define MIRVOL_BITMAP_DEFAULT_REGIONS	16384ULL
#define MIRVOL_BITMAP_MAX_REGIONS	262144ULL

#define MIRVOL_IOC_MAGIC	0xB9

#define MIRVOL_IOC_VERSION	_IOWR(MIRVOL_IOC_MAGIC, 0x00, struct mirvol_version)
#define MIRVOL_IOC_CREATE	_IOWR(MIRVOL_IOC_MAGIC, 0x01, struct mirvol_create)
#define MIRVOL_IOC_REMOVE	_IOWR(MIRVOL_IOC_MAGIC, 0x02, struct mirvol_volume_ref)
#define MIRVOL_IOC_LIST		_IOWR(MIRVOL_IOC_MAGIC, 0x03, struct mirvol_list)
#define MIRVOL_IOC_INFO		_IOWR(MIRVOL_IOC_MAGIC, 0x04, struct mirvol_info)
#define MIRVOL_IOC_ADD_PLEX	_IOWR(MIRVOL_IOC_MAGIC, 0x05, struct mirvol_add_plex)
#define MIRVOL_IOC_BREAK_PLEX	_IOWR(MIRVOL_IOC_MAGIC, 0x06, struct mirvol_plex_ref)
#define MIRVOL_IOC_REMOVE_PLEX	_IOWR(MIRVOL_IOC_MAGIC, 0x07, struct mirvol_plex_ref)
#define MIRVOL_IOC_SET_PLEX	_IOWR(MIRVOL_IOC_MAGIC, 0x08, struct mirvol_plex_ref)
#define MIRVOL_IOC_OP_STATUS	_IOWR(MIRVOL_IOC_MAGIC, 0x09, struct mirvol_op)
#define MIRVOL_IOC_OP_WAIT	_IOWR(MIRVOL_IOC_MAGIC, 0x0a, struct mirvol_op)
#define MIRVOL_IOC_OP_CANCEL	_IOWR(MIRVOL_IOC_MAGIC, 0x0b, struct mirvol_op)
#define MIRVOL_IOC_ASSEMBLE	_IOWR(MIRVOL_IOC_MAGIC, 0x0c, struct mirvol_assemble)
#define MIRVOL_IOC_STOP		_IOWR(MIRVOL_IOC_MAGIC, 0x0d, struct mirvol_volume_ref)
#define MIRVOL_IOC_RENAME	_IOWR(MIRVOL_IOC_MAGIC, 0x0e, struct mirvol_rename)
#define MIRVOL_IOC_SYNC_ACTION	_IOWR(MIRVOL_IOC_MAGIC, 0x0f, struct mirvol_sync_action)
#define MIRVOL_IOC_PLEX_ACTION	_IOWR(MIRVOL_IOC_MAGIC, 0x10, struct mirvol_plex_action)
#define MIRVOL_IOC_SET_VOLUME	_IOWR(MIRVOL_IOC_MAGIC, 0x11, struct mirvol_set_volume)
#define MIRVOL_IOC_OP_LIST	_IOWR(MIRVOL_IOC_MAGIC, 0x12, struct mirvol_op_list)

/*
 * On-disk format
 * ==============
 *
 * Every plex device starts with a metadata area of MIRVOL_DATA_OFFSET
 * bytes; the volume's data follows it (the offset actually used is
 * recorded in each superblock).  Keeping the metadata at the start means a
 * member never looks like the file system it carries (the md 1.0 hazard).
 *
 *   0      .. 4 KiB    zeroed at creation (wipes old signatures)
 *   4 KiB  .. 8 KiB    superblock slot 0
 *   8 KiB  .. 12 KiB   superblock slot 1
 *   12 KiB .. 64 KiB   reserved, zero
 *   64 KiB .. 1 MiB    the write-intent bitmap (version 2): one bit per
 *                      region of bitmap_region sectors, little-endian
 *                      64-bit words, bit n of word w for region 64w + n;
 *                      written in 4 KiB pages
 *   1 MiB  ..          volume data (data_offset)
 *
 * A region's bit is set on every writable plex before the first write
 * into it is issued, and cleared lazily once its writes are durable on
 * every plex; bits are never cleared while a plex is missing, failed,
 * offline or syncing, or while a split is tracked, so that they cover
 * what such a plex missed.
 *
 * Superblock updates go alternately to slot (generation % 2), written
 * with REQ_FUA after every plex was flushed, so a crash during an update
 * always leaves the other slot valid.  A slot is valid when its magic, version, size and
 * crc32c match and its fields are sane; the valid slot with the higher
 * generation is current.
 */
#define MIRVOL_SB_MAGIC		0x42534c4f5652494dULL	/* "MIRVOLSB" */
#define MIRVOL_SB_VERSION	2	/* 1: no bitmap fields, still read */
#define MIRVOL_SB_OFFSET	4096	/* byte offset of slot 0 */
#define MIRVOL_SB_SLOT_SIZE	4096	/* bytes per slot */
#define MIRVOL_SB_SLOTS		2
#define MIRVOL_BITMAP_OFFSET	65536	/* reserved area, bytes */
#define MIRVOL_DATA_OFFSET	1048576	/* default data offset, bytes */

/* mirvol_sb.flags */
#define MIRVOL_SB_F_DIRTY	(1U << 0)	/* writes may be in flight */

/**
 * struct mirvol_sb_plex - one slot of the plex table (48 bytes)
 * @uuid:		plex UUID, zero when the slot is empty
 * @state:		enum mirvol_plex_state; NONE = empty slot
 * @flags:		MIRVOL_PLEX_F_*
 * @sync_offset:	sectors (512 B) of the volume known in sync on this
 *			plex: the resync checkpoint; data_size when active
 * @gone_generation:	generation at which the plex last left the in-sync
 *			set (failed, missing, offline), kept while it is a
 *			partial resync target; 0 while in sync, and for a
 *			plex that left, or is, copying everything (the
 *			bitmap does not cover what it never got)
 * @reserved:		zero
 */
struct mirvol_sb_plex {
	__u8	uuid[MIRVOL_UUID_LEN];
	__le32	state;
	__le32	flags;
	__le64	sync_offset;
	__le64	gone_generation;
	__le64	reserved;
};

/**
 * struct mirvol_sb - the superblock (1024 bytes, in a 4 KiB slot)
 * @magic:		MIRVOL_SB_MAGIC
 * @version:		MIRVOL_SB_VERSION
 * @sb_size:		bytes covered by @csum: sizeof(struct mirvol_sb)
 * @csum:		crc32c (seed ~0, final xor ~0) of @sb_size bytes with
 *			@csum taken as zero
 * @flags:		MIRVOL_SB_F_*
 * @volume_uuid:	the volume this device belongs to
 * @name:		the volume's name, NUL-terminated
 * @plex_uuid:		this device's plex UUID
 * @plex_index:		this device's slot in @plexes
 * @nr_plexes:		non-empty slots in @plexes
 * @generation:		increases on every configuration or state change
 * @data_offset:	sectors from the device's start to the volume's data
 * @data_size:		the volume's size in sectors
 * @dev_size:		this device's size in sectors when written
 * @ctime:		volume creation, seconds since the epoch
 * @utime:		this superblock's write, seconds since the epoch
 * @bitmap_offset:	sectors: start of the reserved bitmap area (0: none);
 *			when set, MIRVOL_BITMAP_OFFSET / 512, else the
 *			superblock is invalid
 * @bitmap_size:	sectors in the reserved bitmap area
 * @resync_offset:	sectors: volume-wide resync checkpoint of a dirty
 *			resync in progress (0 when none)
 * @bitmap_region:	v2: sectors of volume per bitmap bit, a power of
 *			two; 0: no bitmap
 * @bitmap_flags:	v2: zero
 * @bitmap_cleared_gen:	v2: generation at which bits were last cleared (or
 *			the bitmap created): a member last in sync at a
 *			generation at or after it needs only the set regions
 * @sync_speed_min:	v2: resync floor KiB/s, 0: the module's default
 * @sync_speed_max:	v2: resync ceiling KiB/s, 0: the module's default
 * @split_peer:		v2: break-plex --track-changes: the UUID of the
 *			volume split from or into this one, else zero
 * @split_generation:	v2: this volume's generation at the split
 * @reserved:		zero
 * @plexes:		the state of every plex as this device last knew it
 * @reserved2:		zero
 *
 * The rest of the 4 KiB slot is zero.
 */
struct mirvol_sb {
	__le64	magic;
	__le32	version;
	__le32	sb_size;
	__le32	csum;
	__le32	flags;
	__u8	volume_uuid[MIRVOL_UUID_LEN];
	char	name[MIRVOL_NAME_LEN];
	__u8	plex_uuid[MIRVOL_UUID_LEN];
	__le32	plex_index;
	__le32	nr_plexes;
	__le64	generation;
	__le64	data_offset;
	__le64	data_size;
	__le64	dev_size;
	__le64	ctime;
	__le64	utime;
	__le64	bitmap_offset;
	__le64	bitmap_size;
	__le64	resync_offset;
	__le32	bitmap_region;
	__le32	bitmap_flags;
	__le64	bitmap_cleared_gen;
	__le32	sync_speed_min;
	__le32	sync_speed_max;
	__u8	split_peer[MIRVOL_UUID_LEN];
	__le64	split_generation;
	__le64	reserved[1];
	struct mirvol_sb_plex plexes[MIRVOL_MAX_PLEXES];
	__le64	reserved2[48];
};

#endif /* _UAPI_LINUX_MIRVOL_H */
