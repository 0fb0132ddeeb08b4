/* SPDX-License-Identifier: MIT */
/* Internals shared by the kernel/initrd loaders; not part of the boot API. */
#ifndef VESSEL_BOOT_BOOT_PRIV_H
#define VESSEL_BOOT_BOOT_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "boot/boot.h"
#include "core/guest_mem.h"

#define BOOT_PAGE_SIZE 4096ULL
#define BOOT_HEAD_SIZE 1024     /* enough for the ELF header and the bzImage setup header */

/* An open input file; size is taken once, every read is checked against it. */
struct boot_file {
	int fd;
	uint64_t size;
	const char *what;          /* "kernel" or "initrd", prefixes messages */
};

struct boot_ctx {
	const struct guest_mem *mem;
	const struct boot_config *cfg;
	struct boot_file kernel;
	uint64_t low_ram_end;      /* end of the RAM contiguous from 0, below the MMIO hole */
	char *err;
	size_t errlen;
};

/* Writes the one-line reason into ctx->err and returns ret (a -errno). */
int boot_fail(struct boot_ctx *ctx, int ret, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static inline double boot_mib(uint64_t bytes)
{
	return (double)bytes / (1024.0 * 1024.0);
}

int boot_file_open(struct boot_ctx *ctx, struct boot_file *f, const char *path, const char *what);
void boot_file_close(struct boot_file *f);
/* Reads exactly len bytes at off; -EIO and a message if the file ends early. */
int boot_file_read(struct boot_ctx *ctx, const struct boot_file *f, uint64_t off, void *buf, uint64_t len);
/* Reads exactly len bytes at off straight into guest RAM at gpa. */
int boot_file_load(struct boot_ctx *ctx, const struct boot_file *f, uint64_t off, uint64_t len, uint64_t gpa);

/* Copies the command line (NUL-terminated) to LAYOUT_CMDLINE_GPA; max_len excludes the NUL. */
int boot_cmdline_write(struct boot_ctx *ctx, uint64_t max_len);

struct boot_initrd {
	uint64_t gpa;
	uint64_t size;             /* 0: no initrd */
};

/*
 * Loads cfg->initrd_path (if any) page aligned, as high as possible below
 * limit (exclusive) and the end of low RAM, and not below kernel_end.
 */
int boot_initrd_load(struct boot_ctx *ctx, uint64_t kernel_end, uint64_t limit, struct boot_initrd *initrd);

bool bzimage_probe(const uint8_t *head, size_t len);
int bzimage_load(struct boot_ctx *ctx, const uint8_t *head, size_t len, struct boot_entry *entry);

bool pvh_elf_probe(const uint8_t *head, size_t len);
int pvh_elf_load(struct boot_ctx *ctx, const uint8_t *head, size_t len, struct boot_entry *entry);

#endif
