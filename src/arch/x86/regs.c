/* SPDX-License-Identifier: MIT */
#include "arch/x86/regs.h"

#include <errno.h>
#include <stdbool.h>
#include <linux/kvm.h>
#include <string.h>
#include <sys/ioctl.h>

#include "arch/x86/layout.h"

#define CR0_PE (1ULL << 0)
#define CR0_ET (1ULL << 4)
#define CR0_PG (1ULL << 31)
#define CR4_PAE (1ULL << 5)
#define EFER_LME (1ULL << 8)
#define EFER_LMA (1ULL << 10)

#define PTE_PRESENT  (1ULL << 0)
#define PTE_WRITE    (1ULL << 1)
#define PTE_HUGE     (1ULL << 7)

/* The Linux boot protocol's selectors: __BOOT_CS 0x10, __BOOT_DS 0x18. */
#define GDT_CODE_SEL 0x10
#define GDT_DATA_SEL 0x18
#define GDT_TSS_SEL  0x20
#define GDT_ENTRIES  6           /* the TSS descriptor takes two slots */

#define GDT_CODE64 0x00af9b000000ffffULL
#define GDT_CODE32 0x00cf9b000000ffffULL
#define GDT_DATA   0x00cf93000000ffffULL
#define GDT_TSS    0x00008b0000000067ULL   /* busy 32/64-bit TSS at base 0 */

static uint64_t regs_gdt_code(enum boot_mode mode)
{
	return mode == BOOT_MODE_LINUX64 ? GDT_CODE64 : GDT_CODE32;
}

int regs_setup_boot_memory(const struct guest_mem *mem, enum boot_mode mode)
{
	uint64_t gdt[GDT_ENTRIES] = {
		[GDT_CODE_SEL / 8] = regs_gdt_code(mode),
		[GDT_DATA_SEL / 8] = GDT_DATA,
		[GDT_TSS_SEL / 8] = GDT_TSS,
	};
	uint64_t *pml4, *pdpt, *pd;

	if (guest_mem_write(mem, LAYOUT_GDT_GPA, gdt, sizeof(gdt)))
		return -EFAULT;
	if (mode != BOOT_MODE_LINUX64)
		return 0;

	/* Identity map the first 4 GiB with 2 MiB pages: PML4 -> PDPT -> 4 PDs. */
	pml4 = guest_mem_ptr(mem, LAYOUT_PML4_GPA, 4096);
	pdpt = guest_mem_ptr(mem, LAYOUT_PDPT_GPA, 4096);
	pd = guest_mem_ptr(mem, LAYOUT_PD_GPA, 4 * 4096);
	if (!pml4 || !pdpt || !pd)
		return -EFAULT;
	memset(pml4, 0, 4096);
	memset(pdpt, 0, 4096);
	pml4[0] = LAYOUT_PDPT_GPA | PTE_PRESENT | PTE_WRITE;
	for (uint64_t i = 0; i < 4; i++)
		pdpt[i] = (LAYOUT_PD_GPA + i * 4096) | PTE_PRESENT | PTE_WRITE;
	for (uint64_t i = 0; i < 4 * 512; i++)
		pd[i] = (i << 21) | PTE_PRESENT | PTE_WRITE | PTE_HUGE;
	return 0;
}

/* The KVM view of a GDT descriptor, so sregs match what is in guest memory. */
static struct kvm_segment regs_segment(uint16_t sel, uint64_t desc)
{
	uint32_t limit = (desc & 0xffff) | (((desc >> 48) & 0xf) << 16);
	bool granular = (desc >> 55) & 1;

	return (struct kvm_segment){
		.base = ((desc >> 16) & 0xffffff) | (((desc >> 56) & 0xff) << 24),
		.limit = granular ? (limit << 12) | 0xfff : limit,
		.selector = sel,
		.type = (desc >> 40) & 0xf,
		.present = (desc >> 47) & 1,
		.dpl = (desc >> 45) & 3,
		.db = (desc >> 54) & 1,
		.s = (desc >> 44) & 1,
		.l = (desc >> 53) & 1,
		.g = (desc >> 55) & 1,
	};
}

int regs_setup_boot_vcpu(int vcpu_fd, const struct boot_entry *entry)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs = { .rflags = 0x2, .rip = entry->entry_gpa, .rsp = entry->stack_gpa };
	struct kvm_segment data = regs_segment(GDT_DATA_SEL, GDT_DATA);

	if (ioctl(vcpu_fd, KVM_GET_SREGS, &sregs))
		return -errno;
	sregs.gdt.base = LAYOUT_GDT_GPA;
	sregs.gdt.limit = GDT_ENTRIES * 8 - 1;
	sregs.idt.base = 0;
	sregs.idt.limit = 0;
	sregs.cs = regs_segment(GDT_CODE_SEL, regs_gdt_code(entry->mode));
	sregs.ds = sregs.es = sregs.fs = sregs.gs = sregs.ss = data;
	sregs.tr = regs_segment(GDT_TSS_SEL, GDT_TSS);
	sregs.cr0 = CR0_PE | CR0_ET;
	sregs.cr4 = 0;
	sregs.efer = 0;
	if (entry->mode == BOOT_MODE_LINUX64) {
		sregs.cr3 = LAYOUT_PML4_GPA;
		sregs.cr4 |= CR4_PAE;
		sregs.cr0 |= CR0_PG;
		sregs.efer |= EFER_LME | EFER_LMA;
	}
	if (ioctl(vcpu_fd, KVM_SET_SREGS, &sregs))
		return -errno;

	switch (entry->mode) {
	case BOOT_MODE_LINUX64:
	case BOOT_MODE_LINUX32:
		regs.rsi = entry->boot_info_gpa;
		break;
	case BOOT_MODE_PVH:
		regs.rbx = entry->boot_info_gpa;
		break;
	}
	if (ioctl(vcpu_fd, KVM_SET_REGS, &regs))
		return -errno;
	return 0;
}

int regs_setup_fpu(int vcpu_fd)
{
	struct kvm_fpu fpu = { .fcw = 0x37f, .mxcsr = 0x1f80 };

	return ioctl(vcpu_fd, KVM_SET_FPU, &fpu) ? -errno : 0;
}
