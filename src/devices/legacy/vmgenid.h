/* SPDX-License-Identifier: MIT */
/*
 * The VM generation ID (Microsoft's "Virtual Machine Generation ID" paper,
 * Linux drivers/virt/vmgenid.c): a 16-byte GUID in guest RAM that changes
 * whenever the VM may have been duplicated (a snapshot restored, a clone),
 * so the guest reseeds its RNG and drops what must be unique per machine.
 * Where it lives and how the guest is told it changed is the platform's
 * business (arch: the DSDT's VGEN device, a GED interrupt); this file only
 * makes and writes the ID. It is in RAM, so snapshots carry it as is.
 */
#ifndef VESSEL_DEVICES_LEGACY_VMGENID_H
#define VESSEL_DEVICES_LEGACY_VMGENID_H

#include <stdint.h>

#include "core/guest_mem.h"

#define VMGENID_SIZE    16
#define VMGENID_STR_LEN 37      /* "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" + NUL */

/* A fresh random GUID (RFC 4122 version 4) from getrandom(). 0 or -errno. */
__attribute__((warn_unused_result))
int vmgenid_generate(uint8_t guid[VMGENID_SIZE]);

/*
 * Writes a fresh GUID at gpa (it must be RAM: -EFAULT otherwise) and, if
 * out is not NULL, copies it there. 0 or -errno; nothing written on error.
 */
__attribute__((warn_unused_result))
int vmgenid_renew(const struct guest_mem *mem, uint64_t gpa, uint8_t out[VMGENID_SIZE]);

/*
 * The GUID as the guest's bytes in hex, in memory order (what the test
 * guest prints), with dashes after bytes 4, 6, 8 and 10.
 */
void vmgenid_format(const uint8_t guid[VMGENID_SIZE], char out[VMGENID_STR_LEN]);

#endif
