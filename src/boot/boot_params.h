/* SPDX-License-Identifier: MIT */
/*
 * The Linux x86 boot protocol structures: the setup header of a bzImage and
 * the "zero page" (struct boot_params) the loader hands to the kernel.
 * Offsets from Documentation/arch/x86/boot.rst and zero-page.rst; checked
 * by the static asserts below.
 */
#ifndef VESSEL_BOOT_BOOT_PARAMS_H
#define VESSEL_BOOT_BOOT_PARAMS_H

#include <stddef.h>
#include <stdint.h>

#include "arch/x86/e820.h"

#define BOOT_HDR_OFFSET        0x1f1      /* setup header in the file and in boot_params */
#define BOOT_HDR_MAGIC         0x53726448 /* "HdrS" */
#define BOOT_HDR_BOOT_FLAG     0xaa55
#define BOOT_SECTOR_SIZE       512
#define BOOT_SETUP_SECTS_DEFAULT 4        /* setup_sects 0 means 4 */

#define BOOT_LOADFLAG_LOADED_HIGH   0x01
#define BOOT_LOADFLAG_CAN_USE_HEAP  0x80
#define BOOT_XLF_KERNEL_64          0x01

#define BOOT_LOADER_TYPE_UNDEFINED  0xff
#define BOOT_VID_MODE_NORMAL        0xffff
#define BOOT_HEAP_END_PTR           0xfe00  /* the usual 64 KiB setup segment minus 0x200 */
#define BOOT_INITRD_ADDR_MAX_OLD    0x37ffffff /* protocol < 2.03 */
#define BOOT_E820_MAX               128

struct setup_header {
	uint8_t  setup_sects;          /* 0x1f1 */
	uint16_t root_flags;
	uint32_t syssize;
	uint16_t ram_size;
	uint16_t vid_mode;
	uint16_t root_dev;
	uint16_t boot_flag;            /* 0x1fe */
	uint16_t jump;                 /* 0x200 */
	uint32_t header;               /* 0x202 */
	uint16_t version;              /* 0x206 */
	uint32_t realmode_swtch;
	uint16_t start_sys_seg;
	uint16_t kernel_version;
	uint8_t  type_of_loader;       /* 0x210 */
	uint8_t  loadflags;
	uint16_t setup_move_size;
	uint32_t code32_start;         /* 0x214 */
	uint32_t ramdisk_image;        /* 0x218 */
	uint32_t ramdisk_size;
	uint32_t bootsect_kludge;
	uint16_t heap_end_ptr;         /* 0x224 */
	uint8_t  ext_loader_ver;
	uint8_t  ext_loader_type;
	uint32_t cmd_line_ptr;         /* 0x228 */
	uint32_t initrd_addr_max;      /* 0x22c */
	uint32_t kernel_alignment;
	uint8_t  relocatable_kernel;
	uint8_t  min_alignment;
	uint16_t xloadflags;           /* 0x236 */
	uint32_t cmdline_size;         /* 0x238 */
	uint32_t hardware_subarch;
	uint64_t hardware_subarch_data;
	uint32_t payload_offset;
	uint32_t payload_length;
	uint64_t setup_data;           /* 0x250 */
	uint64_t pref_address;
	uint32_t init_size;            /* 0x260 */
	uint32_t handover_offset;
	uint32_t kernel_info_offset;   /* 0x268 */
} __attribute__((packed));

struct boot_params {
	uint8_t  screen_info[0x40];    /* 0x000 */
	uint8_t  apm_bios_info[0x14];  /* 0x040 */
	uint8_t  pad1[4];
	uint64_t tboot_addr;           /* 0x058 */
	uint8_t  ist_info[0x10];       /* 0x060 */
	uint64_t acpi_rsdp_addr;       /* 0x070 */
	uint8_t  pad2[8];
	uint8_t  hd0_info[0x10];       /* 0x080 */
	uint8_t  hd1_info[0x10];
	uint8_t  sys_desc_table[0x10];
	uint8_t  olpc_ofw_header[0x10];
	uint32_t ext_ramdisk_image;    /* 0x0c0 */
	uint32_t ext_ramdisk_size;
	uint32_t ext_cmd_line_ptr;
	uint8_t  pad3[0x70];
	uint32_t cc_blob_address;      /* 0x13c */
	uint8_t  edid_info[0x80];      /* 0x140 */
	uint8_t  efi_info[0x20];       /* 0x1c0 */
	uint32_t alt_mem_k;            /* 0x1e0 */
	uint32_t scratch;
	uint8_t  e820_entries;         /* 0x1e8 */
	uint8_t  eddbuf_entries;
	uint8_t  edd_mbr_sig_buf_entries;
	uint8_t  kbd_status;
	uint8_t  secure_boot;
	uint8_t  pad4[2];
	uint8_t  sentinel;             /* 0x1ef */
	uint8_t  pad5[1];
	struct setup_header hdr;       /* 0x1f1 */
	uint8_t  pad6[0x290 - 0x1f1 - sizeof(struct setup_header)];
	uint32_t edd_mbr_sig_buffer[16]; /* 0x290 */
	struct e820_entry e820_table[BOOT_E820_MAX]; /* 0x2d0 */
	uint8_t  pad7[0x30];
	uint8_t  eddbuf[0x1ec];        /* 0xd00 */
	uint8_t  pad8[0x114];
} __attribute__((packed));

#define BOOT_PARAMS_CHECK_(field, off) \
	_Static_assert(offsetof(struct boot_params, field) == (off), #field " offset")
BOOT_PARAMS_CHECK_(acpi_rsdp_addr, 0x070);
BOOT_PARAMS_CHECK_(ext_ramdisk_image, 0x0c0);
BOOT_PARAMS_CHECK_(cc_blob_address, 0x13c);
BOOT_PARAMS_CHECK_(e820_entries, 0x1e8);
BOOT_PARAMS_CHECK_(sentinel, 0x1ef);
BOOT_PARAMS_CHECK_(hdr, BOOT_HDR_OFFSET);
BOOT_PARAMS_CHECK_(hdr.header, 0x202);
BOOT_PARAMS_CHECK_(hdr.type_of_loader, 0x210);
BOOT_PARAMS_CHECK_(hdr.code32_start, 0x214);
BOOT_PARAMS_CHECK_(hdr.heap_end_ptr, 0x224);
BOOT_PARAMS_CHECK_(hdr.cmd_line_ptr, 0x228);
BOOT_PARAMS_CHECK_(hdr.xloadflags, 0x236);
BOOT_PARAMS_CHECK_(hdr.cmdline_size, 0x238);
BOOT_PARAMS_CHECK_(hdr.init_size, 0x260);
BOOT_PARAMS_CHECK_(hdr.kernel_info_offset, 0x268);
BOOT_PARAMS_CHECK_(edd_mbr_sig_buffer, 0x290);
BOOT_PARAMS_CHECK_(e820_table, 0x2d0);
BOOT_PARAMS_CHECK_(eddbuf, 0xd00);
_Static_assert(sizeof(struct boot_params) == 4096, "boot_params is one page");
_Static_assert(sizeof(struct e820_entry) == 20, "boot_e820_entry is 20 bytes");
#undef BOOT_PARAMS_CHECK_

#endif
