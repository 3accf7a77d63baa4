/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mirvol names of the uapi enums (plex and volume states, operation types
 * and states), as sysfs, uevents, the kernel log and mirvolctl print them.
 *
 * One source, drivers/mirvol_names.c, built into the module and into
 * mirvolctl, so that the kernel and the tool cannot drift apart.
 */
#ifndef _MIRVOL_NAMES_H
#define _MIRVOL_NAMES_H

/*
 * Each returns the name of a value of its enum, or NULL for a value the
 * enum does not have.
 */
const char *mirvol_plex_state_str(unsigned int state);
const char *mirvol_volume_state_str(unsigned int state);
const char *mirvol_op_type_str(unsigned int type);
const char *mirvol_op_state_str(unsigned int state);
/* The name of an enum mirvol_reason, as mirvolctl prints it. */
const char *mirvol_reason_str(unsigned int reason);

#endif /* _MIRVOL_NAMES_H */
