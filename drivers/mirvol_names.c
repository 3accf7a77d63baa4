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
};

static const char *const op_states[] = {
	[MIRVOL_OPS_RUNNING] = "running",
	[MIRVOL_OPS_SUCCEEDED] = "succeeded",
	[MIRVOL_OPS_FAILED] = "failed",
	[MIRVOL_OPS_CANCELLED] = "cancelled",
};

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
