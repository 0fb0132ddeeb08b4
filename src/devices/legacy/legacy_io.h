/* SPDX-License-Identifier: MIT */
/*
 * Access-width helpers shared by the byte-register legacy devices. A bus
 * access may be 1, 2, 4 or 8 bytes wide; these devices only have byte
 * registers, so a wider access acts on the register at its first byte and
 * the remaining bytes read as 0xff (their writes are ignored). Real chipsets
 * would split such an access into byte cycles; no guest driver relies on that.
 */
#ifndef VESSEL_DEVICES_LEGACY_LEGACY_IO_H
#define VESSEL_DEVICES_LEGACY_LEGACY_IO_H

#include <stdint.h>
#include <string.h>

/* Fills a read of len bytes: val in the first byte, 0xff in the rest. */
static inline void legacy_io_fill(void *data, uint32_t len, uint8_t val)
{
	if (!len)
		return;
	memset(data, 0xff, len);
	*(uint8_t *)data = val;
}

/* The byte a write of len bytes puts into the register at its first byte. */
static inline uint8_t legacy_io_byte(const void *data, uint32_t len)
{
	return len ? *(const uint8_t *)data : 0xff;
}

#endif
