/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The few kernel types and helpers that drivers/mirvol_sb_codec.c and
 * drivers/mirvol_names.c use, for building them into mirvolctl.
 */
#ifndef _MIRVOL_USER_COMPAT_H
#define _MIRVOL_USER_COMPAT_H

#include <endian.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <linux/types.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;

#define cpu_to_le32(x)	((__le32)htole32(x))
#define cpu_to_le64(x)	((__le64)htole64(x))
#define le32_to_cpu(x)	le32toh((uint32_t)(x))
#define le64_to_cpu(x)	le64toh((uint64_t)(x))

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#endif

/* Same contract as the kernel's crc32c(): no pre/post inversion. */
u32 crc32c(u32 crc, const void *buf, size_t len);

#endif /* _MIRVOL_USER_COMPAT_H */
