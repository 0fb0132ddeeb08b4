/* SPDX-License-Identifier: MIT */
/*
 * QEMU's firmware configuration device (fw_cfg, QEMU docs/specs/fw_cfg.rst),
 * which SeaBIOS reads its machine description from: numbered items (the
 * signature, feature bits, CPU counts) and named files (the e820 map, ACPI
 * tables and the script that installs them) listed in a file directory.
 *
 * Ports, from the base (0x510 on x86): +0 selector (16-bit write; bit 14,
 * the old write channel, is ignored), +1 data (each read returns the next
 * byte of the selected item, 0 past its end), +4..+11 the DMA address
 * register (big-endian; a write to +8 starts a transfer, one to +4 sets the
 * high half first; reading it returns "QEMU CFG"). A DMA transfer reads a
 * 16-byte FWCfgDmaAccess from guest RAM (control, length, address, all
 * big-endian), may select an item, then reads or skips length bytes and
 * writes the control word back: 0 on success, the error bit if a range is
 * not guest RAM or the guest asked to write (every item is read-only here).
 * All of it runs on the vCPU's exit, so SeaBIOS reads a whole file with one
 * VM exit. Everything the guest gives (selectors, offsets, lengths, DMA
 * addresses) is checked; the guest can only hurt its own RAM.
 *
 * Items are copied in when added, before the vCPUs run; then the device only
 * reads them. It has no state worth a snapshot beyond what firmware reads
 * once at boot, and vessel refuses snapshots of firmware-booted VMs.
 */
#ifndef VESSEL_DEVICES_LEGACY_FW_CFG_H
#define VESSEL_DEVICES_LEGACY_FW_CFG_H

#include <stdint.h>

#include "core/bus.h"
#include "core/guest_mem.h"

#define FW_CFG_PORT_LEN         12      /* selector, data, DMA address (8 bytes at +4) */
#define FW_CFG_PORT_SELECTOR    0
#define FW_CFG_PORT_DATA        1
#define FW_CFG_PORT_DMA         4

/* Numbered items (QEMU include/standard-headers/linux/qemu_fw_cfg.h). */
#define FW_CFG_SIGNATURE        0x00    /* "QEMU" */
#define FW_CFG_ID               0x01    /* 32-bit LE feature bits, below */
#define FW_CFG_UUID             0x02
#define FW_CFG_RAM_SIZE         0x03    /* 64-bit LE */
#define FW_CFG_NB_CPUS          0x05    /* 16-bit LE */
#define FW_CFG_BOOT_MENU        0x0e    /* 16-bit LE: 0 = no boot menu */
#define FW_CFG_MAX_CPUS         0x0f    /* 16-bit LE */
#define FW_CFG_FILE_DIR         0x19    /* the file directory, built by the device */
#define FW_CFG_FILE_FIRST       0x20    /* files get selectors from here */
#define FW_CFG_WRITE_CHANNEL    0x4000  /* selector bit ignored on the port */

#define FW_CFG_ID_TRADITIONAL   0x1
#define FW_CFG_ID_DMA           0x2

/* FWCfgDmaAccess.control bits. */
#define FW_CFG_DMA_CTL_ERROR    0x01
#define FW_CFG_DMA_CTL_READ     0x02
#define FW_CFG_DMA_CTL_SKIP     0x04
#define FW_CFG_DMA_CTL_SELECT   0x08
#define FW_CFG_DMA_CTL_WRITE    0x10

#define FW_CFG_FILE_NAME_MAX    56      /* including the NUL */
#define FW_CFG_MAX_ITEMS        64      /* numbered items and files together */
#define FW_CFG_ITEM_MAX_LEN     (16u << 20)

/* One entry of the file directory (item FW_CFG_FILE_DIR), all big-endian. */
struct fw_cfg_file {
	uint32_t size;
	uint16_t select;
	uint16_t reserved;
	char name[FW_CFG_FILE_NAME_MAX];
} __attribute__((packed));

/* The DMA descriptor the guest points the DMA address register at, big-endian. */
struct fw_cfg_dma_access {
	uint32_t control;
	uint32_t length;
	uint64_t address;
} __attribute__((packed));

struct fw_cfg;

/*
 * A device with the signature, the ID (traditional + DMA) and an empty file
 * directory; DMA goes to and from mem. NULL if out of memory.
 */
__attribute__((warn_unused_result))
struct fw_cfg *fw_cfg_create(const struct guest_mem *mem);
void fw_cfg_destroy(struct fw_cfg *fc);

/*
 * Adds numbered item key (below FW_CFG_FILE_FIRST, or 0x8000 and up for
 * architecture items) with a copy of data. 0, -EEXIST, -EINVAL (a file
 * selector, the write bit, the directory, a length over
 * FW_CFG_ITEM_MAX_LEN), -ENOSPC or -ENOMEM.
 */
__attribute__((warn_unused_result))
int fw_cfg_add_item(struct fw_cfg *fc, uint16_t key, const void *data, uint32_t len);

/* Little-endian integer items, as QEMU stores them. */
__attribute__((warn_unused_result))
int fw_cfg_add_u16(struct fw_cfg *fc, uint16_t key, uint16_t value);
__attribute__((warn_unused_result))
int fw_cfg_add_u64(struct fw_cfg *fc, uint16_t key, uint64_t value);

/*
 * Adds a file: the next free selector from FW_CFG_FILE_FIRST, a copy of
 * data, an entry in the directory. 0, -EEXIST (the name is taken),
 * -ENAMETOOLONG (FW_CFG_FILE_NAME_MAX with its NUL), -EINVAL (empty name,
 * too long), -ENOSPC or -ENOMEM.
 */
__attribute__((warn_unused_result))
int fw_cfg_add_file(struct fw_cfg *fc, const char *name, const void *data, uint32_t len);

/* The port range at the base (FW_CFG_PORT_LEN bytes). Any vCPU thread. */
extern const struct bus_dev_ops fw_cfg_ops;

#endif
