/* SPDX-License-Identifier: MIT */
/*
 * PCI from user mode: config space through ECAM (MCFG) or, without MCFG,
 * ports 0xCF8/0xCFC; enumeration following bridges from bus 0; BAR sizing;
 * capability lookup and MSI-X. Every config access is a VM exit (a port
 * access also an emulated #GP trap here), so each one is counted and cached.
 */
#ifndef VESSEL_GUEST_PCI_H
#define VESSEL_GUEST_PCI_H

#include <stdbool.h>
#include <stdint.h>

#define PCI_MAX_FNS	64
#define PCI_NUM_BARS	6

#define PCI_VENDOR_ID		0x00
#define PCI_COMMAND		0x04
#define  PCI_COMMAND_IO		0x1
#define  PCI_COMMAND_MEMORY	0x2
#define  PCI_COMMAND_MASTER	0x4
#define  PCI_COMMAND_INTX_DISABLE 0x400
#define PCI_STATUS		0x06
#define  PCI_STATUS_CAP_LIST	0x10
#define PCI_CLASS_REV		0x08
#define PCI_HEADER_TYPE		0x0e
#define PCI_BAR0		0x10
#define PCI_SECONDARY_BUS	0x19
#define PCI_CAPABILITY_LIST	0x34
#define PCI_CAP_ID_VNDR		0x09
#define PCI_CAP_ID_MSIX		0x11

enum pci_bar_kind { PCI_BAR_NONE, PCI_BAR_IO, PCI_BAR_MEM32, PCI_BAR_MEM64 };

struct pci_bar {
	enum pci_bar_kind kind;
	uint64_t addr;		/* as firmware (or the VMM) left it */
	uint64_t size;
};

struct pci_fn {
	uint8_t bus, slot, fn;
	uint16_t vendor, device;
	uint32_t class_code;	/* base << 16 | sub << 8 | prog-if */
	uint8_t header_type;	/* without the multi-function bit */
	struct pci_bar bars[PCI_NUM_BARS];
};

struct pci_info {
	bool scanned;
	bool ecam;		/* false: 0xCF8/0xCFC */
	uint32_t count;
	struct pci_fn fns[PCI_MAX_FNS];
};

extern struct pci_info pci;

/* Enumerate once (later calls return the cached result). 0 or -1 if truncated. */
int pci_scan(void);
/* The n-th function (from 0) with this vendor/device, or NULL. */
struct pci_fn *pci_find(uint16_t vendor, uint16_t device, uint32_t n);

uint32_t pci_cfg_read32(const struct pci_fn *f, uint32_t off);
uint16_t pci_cfg_read16(const struct pci_fn *f, uint32_t off);
uint8_t pci_cfg_read8(const struct pci_fn *f, uint32_t off);
void pci_cfg_write32(const struct pci_fn *f, uint32_t off, uint32_t v);
void pci_cfg_write16(const struct pci_fn *f, uint32_t off, uint16_t v);

/* Offset of the first capability with id after offset start (0: from the list head); 0 if none. */
uint8_t pci_find_cap(const struct pci_fn *f, uint8_t id, uint8_t start);
/* Set bits in the command register (e.g. MEMORY | MASTER | INTX_DISABLE). */
void pci_enable(const struct pci_fn *f, uint16_t cmd_bits);

/*
 * MSI-X: point table entry `entry` at the LAPIC of apic_id with `vector`,
 * unmasked, and enable MSI-X. 0, or -1 (no capability, entry out of range).
 */
int pci_msix_enable(const struct pci_fn *f, uint16_t entry, uint8_t vector, uint32_t apic_id);
void pci_msix_disable(const struct pci_fn *f);

#endif
