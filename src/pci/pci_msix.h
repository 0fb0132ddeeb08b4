/* SPDX-License-Identifier: MIT */
/*
 * MSI-X for a PCI device: the capability, the vector table and the pending
 * bit array (living in one of the device's memory BARs), per-vector and
 * function masking, and delivery through msi_controller routes (irqfd).
 *
 * pci_msix_notify() may be called from any thread: an unmasked vector writes
 * its route's eventfd; a masked one sets its pending bit, delivered when the
 * guest unmasks it.
 */
#ifndef VESSEL_PCI_PCI_MSIX_H
#define VESSEL_PCI_PCI_MSIX_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/msi.h"
#include "pci/pci.h"

#define PCI_MSIX_MAX_VECTORS 64
#define PCI_MSIX_ENTRY_SIZE  16
#define PCI_MSIX_NO_VECTOR   0xffff    /* as virtio's VIRTIO_MSI_NO_VECTOR */

struct pci_msix_entry {
	uint32_t addr_lo;
	uint32_t addr_hi;
	uint32_t data;
	uint32_t ctrl;          /* bit 0: masked */
};

/* Guest-visible MSI-X state (the capability's control word lives in config space). */
struct pci_msix_state {
	struct pci_msix_entry table[PCI_MSIX_MAX_VECTORS];
	uint64_t pba;           /* pending bits, one per vector */
};

struct pci_msix {
	struct pci_msix_state state;
	struct pci_dev *dev;
	uint16_t nr_vectors;
	uint16_t cap_offset;    /* of the MSI-X capability in config space */
	int bar;
	uint32_t table_offset;  /* in the BAR */
	uint32_t pba_offset;    /* in the BAR */
	struct msi_controller msi;
	int gsi[PCI_MSIX_MAX_VECTORS];  /* -1: no route yet */
	int fd[PCI_MSIX_MAX_VECTORS];
	bool route_stale[PCI_MSIX_MAX_VECTORS];
	pthread_mutex_t lock;
};

/*
 * Adds the MSI-X capability to dev with nr_vectors vectors, its table at
 * table_offset and PBA at pba_offset in memory BAR bar (which the device
 * declares itself). Routes are created lazily, when a vector is first
 * unmasked with MSI-X enabled. 0 or -errno.
 */
__attribute__((warn_unused_result))
int pci_msix_init(struct pci_msix *msix, struct pci_dev *dev, uint16_t nr_vectors, int bar,
		  uint32_t table_offset, uint32_t pba_offset, struct msi_controller msi);
void pci_msix_destroy(struct pci_msix *msix);

/*
 * The device's BAR handler passes accesses here; returns true if offset fell
 * in the table or PBA (handled), false otherwise.
 */
bool pci_msix_bar_read(struct pci_msix *msix, uint64_t offset, void *data, uint32_t len);
bool pci_msix_bar_write(struct pci_msix *msix, uint64_t offset, const void *data, uint32_t len);

/* The device's config_written hook passes config writes here (enable/mask bits). */
void pci_msix_config_written(struct pci_msix *msix, uint32_t offset, uint32_t len);

/* Raises vector (any thread). Out-of-range vectors and NO_VECTOR are ignored. */
void pci_msix_notify(struct pci_msix *msix, uint16_t vector);

bool pci_msix_enabled(const struct pci_msix *msix);

/*
 * Snapshot of the vector table and PBA (the control word is config space,
 * restored with the function's config first). load checks (0 or -EINVAL,
 * nothing applied), applies, sets up the routes of unmasked vectors and
 * delivers pending ones.
 */
struct snap_writer;
struct snap_reader;
void pci_msix_save(struct pci_msix *msix, struct snap_writer *w);
__attribute__((warn_unused_result))
int pci_msix_load(struct pci_msix *msix, struct snap_reader *r);

#endif
