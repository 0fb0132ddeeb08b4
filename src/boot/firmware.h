/* SPDX-License-Identifier: MIT */
/*
 * A firmware image to boot instead of a kernel (`vessel run --firmware`):
 * a SeaBIOS build (Debian's seabios package: bios.bin, bios-256k.bin,
 * bios-microvm.bin). The image is read into page-aligned host memory the
 * platform maps so that it ends at 4 GiB (the reset vector is its last 16
 * bytes). Its tail is also copied into RAM below 1 MiB, where a PC's
 * chipset shadows the BIOS: SeaBIOS finds its code at 0xF0000 and writes
 * its variables there without a PAM register to unlock (there is no
 * i440fx or q35 host bridge to own one).
 */
#ifndef VESSEL_BOOT_FIRMWARE_H
#define VESSEL_BOOT_FIRMWARE_H

#include <stddef.h>
#include <stdint.h>

#include "core/guest_mem.h"

/*
 * --firmware seabios: Debian's build for QEMU's microvm, which fits a VMM
 * without i440fx/q35 chipset devices (no PAM, no ATA, floppy, PS/2 or USB
 * probing: fewer VM exits), and reads everything from fw_cfg.
 */
#define FIRMWARE_SEABIOS_NAME   "seabios"
#define FIRMWARE_SEABIOS_PATH   "/usr/share/seabios/bios-microvm.bin"

#define FIRMWARE_SIZE_UNIT      (64u << 10)
#define FIRMWARE_MIN_SIZE       (64u << 10)
#define FIRMWARE_MAX_SIZE       (256u << 10)    /* below the top 256 KiB is KVM's TSS */
#define FIRMWARE_SHADOW_MAX     (256u << 10)    /* 0xC0000-0xFFFFF */

struct firmware {
	uint8_t *image;             /* page-aligned, size bytes; NULL when closed */
	uint64_t size;
};

/* The file --firmware ARG names: "seabios" is FIRMWARE_SEABIOS_PATH, anything else a path. */
const char *firmware_path(const char *arg);

/*
 * Reads the image at path. 0, or -errno with a one-line reason in err
 * ("firmware /x: No such file or directory", "... 1000 bytes: a firmware
 * image is 64 to 256 KiB, in multiples of 64 KiB").
 */
__attribute__((warn_unused_result))
int firmware_open(struct firmware *fw, const char *path, char *err, size_t errlen);
void firmware_close(struct firmware *fw);

/* Checks path as firmware_open() would, without keeping it (for --dry-run). */
__attribute__((warn_unused_result))
int firmware_check(const char *path, char *err, size_t errlen);

/*
 * The guest address the image starts at when it ends at top (4 GiB on x86).
 */
uint64_t firmware_gpa(const struct firmware *fw, uint64_t top);

/*
 * Copies the image's last min(size, FIRMWARE_SHADOW_MAX) bytes into RAM
 * ending at shadow_end (1 MiB on x86). 0, or -EFAULT if that is not RAM.
 */
__attribute__((warn_unused_result))
int firmware_copy_shadow(const struct firmware *fw, const struct guest_mem *mem, uint64_t shadow_end);

#endif
