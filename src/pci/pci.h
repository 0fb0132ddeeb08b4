/* SPDX-License-Identifier: MIT */
/*
 * PCI: one host bridge, bus 0, function 0 of up to 32 slots. Configuration
 * space through ports 0xCF8/0xCFC and ECAM (MCFG), memory BARs in the 32-bit
 * windows of layout.h: vessel places them in the first, firmware that
 * assigns BARs itself (SeaBIOS) in the second; a BAR elsewhere does not
 * decode. A device fills a struct pci_dev (config header,
 * capabilities, BAR sizes) and gets its BAR accesses through pci_dev_ops.
 *
 * Config space is guest-visible state kept in the device (config[]), with a
 * per-byte mask of what the guest may write (wmask[]) and of RW1C bits
 * (w1cmask[]). BAR sizing (write all ones, read back the size mask) falls
 * out of wmask. Config accesses and BAR dispatch are serialised per bus.
 */
#ifndef VESSEL_PCI_PCI_H
#define VESSEL_PCI_PCI_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/bus.h"

#define PCI_CONFIG_SIZE     4096
#define PCI_MAX_SLOTS       32
#define PCI_NUM_BARS        6

/* Standard header offsets and bits (PCI Local Bus 3.0). */
#define PCI_VENDOR_ID       0x00
#define PCI_DEVICE_ID       0x02
#define PCI_COMMAND         0x04
#define  PCI_COMMAND_IO     0x1
#define  PCI_COMMAND_MEMORY 0x2
#define  PCI_COMMAND_MASTER 0x4
#define  PCI_COMMAND_INTX_DISABLE 0x400
#define PCI_STATUS          0x06
#define  PCI_STATUS_CAP_LIST 0x10
#define PCI_REVISION_ID     0x08
#define PCI_CLASS_PROG      0x09
#define PCI_HEADER_TYPE     0x0e
#define PCI_BAR0            0x10
#define  PCI_BAR_MEM_64     0x4
#define  PCI_BAR_PREFETCH   0x8
#define PCI_SUBSYSTEM_VENDOR_ID 0x2c
#define PCI_SUBSYSTEM_ID    0x2e
#define PCI_CAPABILITY_LIST 0x34
#define PCI_INTERRUPT_LINE  0x3c
#define PCI_INTERRUPT_PIN   0x3d
#define PCI_CAP_ID_VNDR     0x09
#define PCI_CAP_ID_MSIX     0x11

struct pci_dev;

struct pci_dev_ops {
	/* An access to memory BAR bar at offset (bounds-checked by the bus). */
	void (*bar_read)(struct pci_dev *dev, int bar, uint64_t offset, void *data, uint32_t len);
	void (*bar_write)(struct pci_dev *dev, int bar, uint64_t offset, const void *data, uint32_t len);
	/*
	 * Optional: after the guest wrote config bytes [offset, offset + len).
	 * This and bar_mapped run with the bus lock held (so config[] is stable
	 * and callbacks arrive in order): they must not call pci_config_*().
	 */
	void (*config_written)(struct pci_dev *dev, uint32_t offset, uint32_t len);
	/* Optional: memory BAR bar now decodes at gpa, or no longer decodes (gpa == 0). */
	void (*bar_mapped)(struct pci_dev *dev, int bar, uint64_t gpa);
};

struct pci_bar {
	uint64_t size;          /* power of two >= 4096; 0: BAR not implemented */
	bool is_64bit;          /* takes this slot and the next */
	uint64_t mapped_gpa;    /* where it decodes now; 0 when memory decoding is off */
};

struct pci_bus;

struct pci_dev {
	uint8_t config[PCI_CONFIG_SIZE];
	uint8_t wmask[PCI_CONFIG_SIZE];
	uint8_t w1cmask[PCI_CONFIG_SIZE];
	struct pci_bar bars[PCI_NUM_BARS];
	uint16_t next_cap_offset;   /* where pci_dev_add_cap() puts the next one */
	const struct pci_dev_ops *ops;
	void *opaque;
	struct pci_bus *bus;
	uint8_t slot;
};

/* Fills the header of a type-0 endpoint; no BARs, no capabilities yet. */
void pci_dev_init(struct pci_dev *dev, uint16_t vendor_id, uint16_t device_id,
		  uint32_t class_code, uint8_t revision, uint16_t subsys_vendor_id,
		  uint16_t subsys_id, const struct pci_dev_ops *ops, void *opaque);

/* Declares memory BAR bar (0-5; 0-4 for 64-bit). 0 or -EINVAL. */
__attribute__((warn_unused_result))
int pci_dev_add_bar(struct pci_dev *dev, int bar, uint64_t size, bool is_64bit);

/*
 * Appends a capability (data[0] = cap id, data[1] is overwritten with the
 * next pointer) in the standard config space and links it into the list.
 * wmask (len bytes, may be NULL) says which bits the guest may write.
 * Returns its config offset, or -ENOSPC.
 */
__attribute__((warn_unused_result))
int pci_dev_add_cap(struct pci_dev *dev, const void *data, uint8_t len, const uint8_t *wmask);

struct pci_bus {
	struct pci_dev *slots[PCI_MAX_SLOTS];   /* slot 0 is the host bridge */
	struct pci_dev host_bridge;
	uint32_t config_address;                /* the 0xCF8 latch */
	uint64_t mmio_next;                     /* BAR allocator in the 32-bit window */
	pthread_mutex_t lock;
};

/*
 * Creates the host bridge at slot 0 and claims 0xCF8 (4 bytes), 0xCFC (4
 * bytes), the ECAM range and both BAR windows on the buses. 0 or -errno.
 */
__attribute__((warn_unused_result))
int pci_bus_init(struct pci_bus *pci, struct bus *pio, struct bus *mmio);

/*
 * Plugs dev into the next free slot and places its BARs in the 32-bit window,
 * programmed and decoding (memory space enabled) as firmware would leave
 * them. 0, -ENOSPC (no slot or window space).
 */
__attribute__((warn_unused_result))
int pci_bus_add(struct pci_bus *pci, struct pci_dev *dev);

void pci_bus_destroy(struct pci_bus *pci);

/*
 * Snapshot of a function's config space (incl. where its BARs are
 * programmed). load refuses (-EINVAL, nothing applied) a config space whose
 * read-only bits differ from this function's, i.e. another device model;
 * then applies it and re-maps the BARs. The function must be on a bus.
 */
struct snap_writer;
struct snap_reader;
void pci_dev_save(struct pci_dev *dev, struct snap_writer *w);
__attribute__((warn_unused_result))
int pci_dev_load(struct pci_dev *dev, struct snap_reader *r);

/* Config space access as the guest does it (exposed for tests and fuzzing). */
void pci_config_read(struct pci_bus *pci, uint8_t slot, uint32_t offset, void *data, uint32_t len);
void pci_config_write(struct pci_bus *pci, uint8_t slot, uint32_t offset, const void *data, uint32_t len);

#endif
