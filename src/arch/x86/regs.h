/* SPDX-License-Identifier: MIT */
/* Boot-time CPU state: GDT and identity page tables in guest RAM, and the
 * registers a kernel expects at its entry point for each boot mode. */
#ifndef VESSEL_ARCH_X86_REGS_H
#define VESSEL_ARCH_X86_REGS_H

#include <stdint.h>

#include "boot/boot.h"
#include "core/guest_mem.h"

/* Writes the boot GDT and (for 64-bit entry) the identity page tables. */
__attribute__((warn_unused_result))
int regs_setup_boot_memory(const struct guest_mem *mem, enum boot_mode mode);

/* Sets the boot vCPU's registers for entry; 0 or -errno. */
__attribute__((warn_unused_result))
int regs_setup_boot_vcpu(int vcpu_fd, const struct boot_entry *entry);

/* Sets FPU defaults (FCW, MXCSR) on any vCPU. */
__attribute__((warn_unused_result))
int regs_setup_fpu(int vcpu_fd);

#endif
