// SPDX-License-Identifier: MIT
/* PCI config access, enumeration, BAR sizing, capabilities and MSI-X. */
#include "acpi.h"
#include "cmd.h"
#include "con.h"
#include "cpu.h"
#include "lib.h"
#include "pci.h"
#include "sys.h"

#define PCI_CF8		0xcf8
#define PCI_CFC		0xcfc
#define PCI_MAX_DEPTH	8	/* bridges deep; guards against a bus loop */
#define MSIX_CTRL_ENABLE	(1u << 15)
#define MSIX_CTRL_MASKALL	(1u << 14)
#define MSIX_ENTRY_SIZE	16

struct pci_info pci;

/* ECAM address of (f, off), or 0 when config goes through 0xCF8. */
static uint64_t pci_ecam_addr(const struct pci_fn *f, uint32_t off)
{
	if (!pci.ecam || f->bus < acpi.mcfg_bus_start || f->bus > acpi.mcfg_bus_end)
		return 0;
	return acpi.mcfg_gpa + ((uint64_t)f->bus << 20) + ((uint32_t)f->slot << 15) +
	       ((uint32_t)f->fn << 12) + (off & 0xfff);
}

static void pci_cf8_select(const struct pci_fn *f, uint32_t off)
{
	outl(PCI_CF8, 0x80000000u | (uint32_t)f->bus << 16 | (uint32_t)f->slot << 11 |
		      (uint32_t)f->fn << 8 | (off & 0xfc));
}

uint32_t pci_cfg_read32(const struct pci_fn *f, uint32_t off)
{
	uint64_t gpa = pci_ecam_addr(f, off);

	if (gpa)
		return mmio_read32(gpa);
	if (pci.ecam || off >= 256)
		return 0xffffffff;
	pci_cf8_select(f, off);
	return inl(PCI_CFC);
}

/* Narrow reads are dword reads: one exit either way, and the simplest for a VMM. */
uint16_t pci_cfg_read16(const struct pci_fn *f, uint32_t off)
{
	return (uint16_t)(pci_cfg_read32(f, off & ~3u) >> ((off & 2) * 8));
}

uint8_t pci_cfg_read8(const struct pci_fn *f, uint32_t off)
{
	return (uint8_t)(pci_cfg_read32(f, off & ~3u) >> ((off & 3) * 8));
}

void pci_cfg_write32(const struct pci_fn *f, uint32_t off, uint32_t v)
{
	uint64_t gpa = pci_ecam_addr(f, off);

	if (gpa) {
		mmio_write32(gpa, v);
	} else if (!pci.ecam && off < 256) {
		pci_cf8_select(f, off);
		outl(PCI_CFC, v);
	}
}

/* 16-bit writes matter: a dword write at COMMAND would also hit STATUS's RW1C bits. */
void pci_cfg_write16(const struct pci_fn *f, uint32_t off, uint16_t v)
{
	uint64_t gpa = pci_ecam_addr(f, off);

	if (gpa) {
		mmio_write16(gpa, v);
	} else if (!pci.ecam && off < 256) {
		pci_cf8_select(f, off);
		outw(PCI_CFC + (off & 2), v);
	}
}

/* Sizes BAR i (and its upper half): write all ones, read the mask, restore. */
static uint32_t pci_size_bar(struct pci_fn *f, uint32_t i)
{
	uint32_t off = PCI_BAR0 + 4 * i, orig, mask, orig_hi = 0, mask_hi = 0xffffffff;
	struct pci_bar *b = &f->bars[i];
	uint64_t mask64;

	orig = pci_cfg_read32(f, off);
	pci_cfg_write32(f, off, 0xffffffff);
	mask = pci_cfg_read32(f, off);
	pci_cfg_write32(f, off, orig);
	if (!mask || mask == 0xffffffff)
		return 1;
	if (orig & 1) {
		mask &= ~3u;
		if (!(mask & 0xffff0000))
			mask |= 0xffff0000;	/* 16-bit I/O decoder */
		b->kind = PCI_BAR_IO;
		b->addr = orig & ~3u;
		b->size = (uint32_t)(~mask + 1);
		return 1;
	}
	if (((orig >> 1) & 3) == 2 && i + 1 < PCI_NUM_BARS) {
		orig_hi = pci_cfg_read32(f, off + 4);
		pci_cfg_write32(f, off + 4, 0xffffffff);
		mask_hi = pci_cfg_read32(f, off + 4);
		pci_cfg_write32(f, off + 4, orig_hi);
		b->kind = PCI_BAR_MEM64;
	} else {
		b->kind = PCI_BAR_MEM32;
	}
	mask64 = (uint64_t)mask_hi << 32 | (mask & ~0xfu);
	b->addr = (uint64_t)orig_hi << 32 | (orig & ~0xfu);
	b->size = ~mask64 + 1;
	return b->kind == PCI_BAR_MEM64 ? 2 : 1;
}

/* As Linux does: no decoding while a BAR holds all ones. */
static void pci_size_bars(struct pci_fn *f)
{
	uint32_t i, nbars = f->header_type == 0 ? 6 : f->header_type == 1 ? 2 : 0;
	uint16_t cmd;

	if (!nbars)
		return;
	cmd = pci_cfg_read16(f, PCI_COMMAND);
	if (cmd & (PCI_COMMAND_IO | PCI_COMMAND_MEMORY))
		pci_cfg_write16(f, PCI_COMMAND, cmd & ~(PCI_COMMAND_IO | PCI_COMMAND_MEMORY));
	for (i = 0; i < nbars;)
		i += pci_size_bar(f, i);
	if (cmd & (PCI_COMMAND_IO | PCI_COMMAND_MEMORY))
		pci_cfg_write16(f, PCI_COMMAND, cmd);
}

/* Records function (bus, slot, fn) whose id dword is id. NULL if the table is full. */
static struct pci_fn *pci_add_fn(uint8_t bus, uint8_t slot, uint8_t fn, uint32_t id,
				 uint8_t header_type)
{
	struct pci_fn *f;

	if (pci.count >= PCI_MAX_FNS)
		return NULL;
	f = &pci.fns[pci.count++];
	memset(f, 0, sizeof(*f));
	f->bus = bus;
	f->slot = slot;
	f->fn = fn;
	f->vendor = (uint16_t)id;
	f->device = (uint16_t)(id >> 16);
	f->class_code = pci_cfg_read32(f, PCI_CLASS_REV) >> 8;
	f->header_type = header_type & 0x7f;
	pci_size_bars(f);
	return f;
}

static bool pci_id_valid(uint32_t id)
{
	return (id & 0xffff) != 0xffff && (id & 0xffff) != 0;
}

/*
 * Depth-first like the firmware numbered the buses. Only secondary buses
 * above the current one are followed, so bad numbering cannot loop.
 */
static int pci_scan_bus(uint8_t bus, uint32_t depth)
{
	struct pci_fn probe = { .bus = bus };
	uint8_t slot, fn, nfn, ht;
	uint32_t id;
	int ret = 0;

	for (slot = 0; slot < 32; slot++) {
		probe.slot = slot;
		probe.fn = 0;
		id = pci_cfg_read32(&probe, PCI_VENDOR_ID);
		if (!pci_id_valid(id))
			continue;
		ht = pci_cfg_read8(&probe, PCI_HEADER_TYPE);
		nfn = ht & 0x80 ? 8 : 1;
		for (fn = 0; fn < nfn; fn++) {
			struct pci_fn *f;
			uint8_t secondary;

			if (fn) {
				probe.fn = fn;
				id = pci_cfg_read32(&probe, PCI_VENDOR_ID);
				if (!pci_id_valid(id))
					continue;
				ht = pci_cfg_read8(&probe, PCI_HEADER_TYPE);
			}
			f = pci_add_fn(bus, slot, fn, id, ht);
			if (!f)
				return -1;
			if (f->header_type != 1 || depth >= PCI_MAX_DEPTH)
				continue;
			secondary = pci_cfg_read8(f, PCI_SECONDARY_BUS);
			if (secondary > bus && pci_scan_bus(secondary, depth + 1))
				ret = -1;
		}
	}
	return ret;
}

int pci_scan(void)
{
	static int result;

	if (pci.scanned)
		return result;
	pci.scanned = true;
	if (acpi.mcfg_gpa) {
		uint64_t start = acpi.mcfg_gpa + ((uint64_t)acpi.mcfg_bus_start << 20);
		uint64_t size = (uint64_t)(acpi.mcfg_bus_end - acpi.mcfg_bus_start + 1) << 20;

		pci.ecam = !paging_map_mmio(start, size);
	}
	result = pci_scan_bus(pci.ecam ? acpi.mcfg_bus_start : 0, 0);
	return result;
}

struct pci_fn *pci_find(uint16_t vendor, uint16_t device, uint32_t n)
{
	uint32_t i;

	pci_scan();
	for (i = 0; i < pci.count; i++) {
		struct pci_fn *f = &pci.fns[i];

		if (f->vendor == vendor && f->device == device && !n--)
			return f;
	}
	return NULL;
}

uint8_t pci_find_cap(const struct pci_fn *f, uint8_t id, uint8_t start)
{
	uint32_t guard;
	uint8_t ptr;

	if (!(pci_cfg_read16(f, PCI_STATUS) & PCI_STATUS_CAP_LIST))
		return 0;
	ptr = start ? pci_cfg_read8(f, start + 1) : pci_cfg_read8(f, PCI_CAPABILITY_LIST);
	for (guard = 0; guard < 48 && ptr >= 0x40; guard++) {
		uint16_t hdr = pci_cfg_read16(f, ptr & ~3u);

		if ((uint8_t)hdr == id)
			return ptr & ~3u;
		ptr = hdr >> 8;
	}
	return 0;
}

void pci_enable(const struct pci_fn *f, uint16_t cmd_bits)
{
	uint16_t cmd = pci_cfg_read16(f, PCI_COMMAND);

	if ((cmd & cmd_bits) != cmd_bits)
		pci_cfg_write16(f, PCI_COMMAND, cmd | cmd_bits);
}

int pci_msix_enable(const struct pci_fn *f, uint16_t entry, uint8_t vector, uint32_t apic_id)
{
	uint8_t cap = pci_find_cap(f, PCI_CAP_ID_MSIX, 0);
	uint32_t table, bir;
	uint16_t ctrl;
	uint64_t gpa;

	if (!cap)
		return -1;
	ctrl = pci_cfg_read16(f, cap + 2);
	table = pci_cfg_read32(f, cap + 4);
	bir = table & 7;
	if (entry > (ctrl & 0x7ff) || bir >= PCI_NUM_BARS ||
	    (f->bars[bir].kind != PCI_BAR_MEM32 && f->bars[bir].kind != PCI_BAR_MEM64) ||
	    !f->bars[bir].addr)
		return -1;
	gpa = f->bars[bir].addr + (table & ~7u) + (uint64_t)entry * MSIX_ENTRY_SIZE;
	if (paging_map_mmio(gpa, MSIX_ENTRY_SIZE))
		return -1;
	pci_enable(f, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER | PCI_COMMAND_INTX_DISABLE);
	/* Enabled but function-masked while the entry is written. */
	pci_cfg_write16(f, cap + 2, (ctrl | MSIX_CTRL_ENABLE | MSIX_CTRL_MASKALL) & 0xc000);
	mmio_write32(gpa + 0, 0xfee00000u | (apic_id & 0xff) << 12);
	mmio_write32(gpa + 4, 0);
	mmio_write32(gpa + 8, vector);
	mmio_write32(gpa + 12, 0);
	pci_cfg_write16(f, cap + 2, MSIX_CTRL_ENABLE);
	return 0;
}

void pci_msix_disable(const struct pci_fn *f)
{
	uint8_t cap = pci_find_cap(f, PCI_CAP_ID_MSIX, 0);

	if (cap)
		pci_cfg_write16(f, cap + 2, 0);
}

/* "0:mem64:0x..../0x...." per implemented BAR, comma separated. */
static void pci_print_fn(const struct pci_fn *f)
{
	static const char *const kinds[] = { "none", "io", "mem32", "mem64" };
	char bars[320];
	size_t len = 0;
	uint32_t i;

	bars[0] = '\0';
	for (i = 0; i < PCI_NUM_BARS; i++) {
		const struct pci_bar *b = &f->bars[i];

		if (b->kind == PCI_BAR_NONE || len >= sizeof(bars))
			continue;
		len += snprintf(bars + len, sizeof(bars) - len, "%s%u:%s:0x%lx/0x%lx",
				len ? "," : "", i, kinds[b->kind], b->addr, b->size);
	}
	con_printf("pci.%02x:%02x.%x=%04x:%04x class=%06x bars=%s\n", f->bus, f->slot, f->fn,
		   f->vendor, f->device, f->class_code, bars);
}

int cmd_pci(const char *arg)
{
	uint32_t i;
	int ret = pci_scan();

	con_printf("pci.config=%s\n", pci.ecam ? "ecam" : "cf8");
	if (pci.ecam)
		con_printf("pci.ecam=0x%lx buses=%u-%u\n", acpi.mcfg_gpa, acpi.mcfg_bus_start,
			   acpi.mcfg_bus_end);
	con_printf("pci.count=%u\n", pci.count);
	for (i = 0; i < pci.count; i++)
		pci_print_fn(&pci.fns[i]);
	if (ret)
		con_printf("pci.error=more than %u functions\n", PCI_MAX_FNS);
	return ret;
}
