// SPDX-License-Identifier: GPL-2.0
/*
 * mirvol names of the uapi enums.  See include/mirvol_names.h.
 *
 * Built into the module and into mirvolctl (which provides ARRAY_SIZE
 * through mirvol_user_compat.h).
 *
 * Copyright (C) 2026 The mirvol authors
 */
#ifdef __KERNEL__
#include <linux/kernel.h>
#else
#include "mirvol_user_compat.h"
#endif
#include <linux/mirvol.h>

#include "mirvol_names.h"

static const char *const plex_states[] = {
	[MIRVOL_PLEX_NONE] = "none",
	[MIRVOL_PLEX_ACTIVE] = "active",
	[MIRVOL_PLEX_STALE] = "stale",
	[MIRVOL_PLEX_SYNCING] = "syncing",
	[MIRVOL_PLEX_FAILED] = "failed",
	[MIRVOL_PLEX_MISSING] = "missing",
	[MIRVOL_PLEX_OFFLINE] = "offline",
};

static const char *const volume_states[] = {
	[MIRVOL_VOLUME_ONLINE] = "online",
	[MIRVOL_VOLUME_DEGRADED] = "degraded",
	[MIRVOL_VOLUME_FAILED] = "failed",
	[MIRVOL_VOLUME_OFFLINE] = "offline",
};

static const char *const op_types[] = {
	[MIRVOL_OP_ADD_PLEX] = "add-plex",
	[MIRVOL_OP_BREAK_PLEX] = "break-plex",
	[MIRVOL_OP_REMOVE_PLEX] = "remove-plex",
	[MIRVOL_OP_RESYNC] = "resync",
	[MIRVOL_OP_CHECK] = "check",
	[MIRVOL_OP_REPAIR] = "repair",
	[MIRVOL_OP_REPLACE] = "replace",
	[MIRVOL_OP_MERGE] = "merge-plex",
};

static const char *const op_states[] = {
	[MIRVOL_OPS_RUNNING] = "running",
	[MIRVOL_OPS_SUCCEEDED] = "succeeded",
	[MIRVOL_OPS_FAILED] = "failed",
	[MIRVOL_OPS_CANCELLED] = "cancelled",
};

static const char *const reasons[] = {
	[MIRVOL_R_NONE] = "NONE",
	[MIRVOL_R_INVALID_ARGUMENT] = "INVALID_ARGUMENT",
	[MIRVOL_R_OBJECT_NOT_FOUND] = "OBJECT_NOT_FOUND",
	[MIRVOL_R_DEVICE_BUSY] = "DEVICE_BUSY",
	[MIRVOL_R_NAME_EXISTS] = "NAME_EXISTS",
	[MIRVOL_R_TOO_MANY_PLEXES] = "TOO_MANY_PLEXES",
	[MIRVOL_R_ACCESS_DENIED] = "ACCESS_DENIED",
	[MIRVOL_R_NO_MEMORY] = "NO_MEMORY",
	[MIRVOL_R_IO_ERROR] = "IO_ERROR",
	[MIRVOL_R_BAD_FD] = "BAD_FD",
	[MIRVOL_R_NOT_BLOCK_DEVICE] = "NOT_BLOCK_DEVICE",
	[MIRVOL_R_DUPLICATE_DEVICE] = "DUPLICATE_DEVICE",
	[MIRVOL_R_DEVICE_TOO_SMALL] = "DEVICE_TOO_SMALL",
	[MIRVOL_R_INVALID_OPERATION] = "INVALID_OPERATION",
	[MIRVOL_R_VOLUME_NOT_ONLINE] = "VOLUME_NOT_ONLINE",
	[MIRVOL_R_VOLUME_NOT_A_MIRROR] = "VOLUME_NOT_A_MIRROR",
	[MIRVOL_R_PLEX_IS_BOOT] = "PLEX_IS_BOOT",
	[MIRVOL_R_REMAINING_PLEX_STALE] = "REMAINING_PLEX_STALE",
	[MIRVOL_R_PLEX_NOT_IN_SYNC] = "PLEX_NOT_IN_SYNC",
	[MIRVOL_R_SOURCE_TOO_SMALL] = "SOURCE_TOO_SMALL",
	[MIRVOL_R_OBJECT_STATUS_FAILED] = "OBJECT_STATUS_FAILED",
	[MIRVOL_R_ANOTHER_CALL_IN_PROGRESS] = "ANOTHER_CALL_IN_PROGRESS",
	[MIRVOL_R_OBJECT_DELETED] = "OBJECT_DELETED",
	[MIRVOL_R_CANCEL_TOO_LATE] = "CANCEL_TOO_LATE",
	[MIRVOL_R_OPERATION_CANCELED] = "OPERATION_CANCELED",
	[MIRVOL_R_TIMEOUT] = "TIMEOUT",
	[MIRVOL_R_INTERRUPTED] = "INTERRUPTED",
	[MIRVOL_R_METADATA_CORRUPT] = "METADATA_CORRUPT",
	[MIRVOL_R_SPLIT_BRAIN] = "SPLIT_BRAIN",
	[MIRVOL_R_NOT_A_MEMBER] = "NOT_A_MEMBER",
	[MIRVOL_R_VOLUME_INCOMPLETE] = "VOLUME_INCOMPLETE",
	[MIRVOL_R_METADATA_VERSION] = "METADATA_VERSION",
	[MIRVOL_R_INCOMPATIBLE_DEVICE] = "INCOMPATIBLE_DEVICE",
	[MIRVOL_R_NO_IN_SYNC_MEMBER] = "NO_IN_SYNC_MEMBER",
	[MIRVOL_R_NOT_SUPPORTED] = "NOT_SUPPORTED",
	[MIRVOL_R_SOURCE_READ_ERROR] = "SOURCE_READ_ERROR",
	[MIRVOL_R_FREEZE_FAILED] = "FREEZE_FAILED",
	[MIRVOL_R_NOTHING_TO_SYNC] = "NOTHING_TO_SYNC",
	[MIRVOL_R_TOO_FEW_IN_SYNC] = "TOO_FEW_IN_SYNC",
	[MIRVOL_R_NO_BITMAP] = "NO_BITMAP",
	[MIRVOL_R_NOT_SPLIT_PAIR] = "NOT_SPLIT_PAIR",
	[MIRVOL_R_PLEX_FAILED] = "PLEX_FAILED",
	[MIRVOL_R_SPLIT_TRACKED] = "SPLIT_TRACKED",
	[MIRVOL_R_DATA_UNREADABLE] = "DATA_UNREADABLE",
	[MIRVOL_R_PLEX_OFFLINE] = "PLEX_OFFLINE",
	[MIRVOL_R_WIPE_FAILED] = "WIPE_FAILED",
	[MIRVOL_R_READ_ONLY_DEVICE] = "READ_ONLY_DEVICE",
	[MIRVOL_R_RESYNC_PENDING] = "RESYNC_PENDING",
};

_Static_assert(ARRAY_SIZE(reasons) == MIRVOL_R_MAX,
	       "every reason code has a name");

#define MIRVOL_NAME(table, value) \
	((value) < ARRAY_SIZE(table) ? (table)[value] : NULL)

const char *mirvol_plex_state_str(unsigned int state)
{
	return MIRVOL_NAME(plex_states, state);
}

const char *mirvol_volume_state_str(unsigned int state)
{
	return MIRVOL_NAME(volume_states, state);
}

const char *mirvol_op_type_str(unsigned int type)
{
	return MIRVOL_NAME(op_types, type);
}

const char *mirvol_op_state_str(unsigned int state)
{
	return MIRVOL_NAME(op_states, state);
}

const char *mirvol_reason_str(unsigned int reason)
{
	return MIRVOL_NAME(reasons, reason);
}
