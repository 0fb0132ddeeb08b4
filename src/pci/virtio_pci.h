/* SPDX-License-Identifier: MIT */
/*
 * The virtio 1.x modern PCI transport (virtio 1.2, 4.1): a PCI function with
 * the common, notify, ISR, device and PCI-config capabilities in one 64-bit
 * memory BAR, MSI-X for every queue plus config changes, and an ioeventfd
 * per queue notify address so a guest notification never returns to the
 * vCPU thread: it wakes the event loop, which runs the device.
 *
 * Device callbacks (queue_notify, activate, reset, config access) run with
 * the transport lock held; the transport ops the device calls may be called
 * from any thread.
 */
#ifndef VESSEL_PCI_VIRTIO_PCI_H
#define VESSEL_PCI_VIRTIO_PCI_H

#include "core/event_loop.h"
#include "core/guest_mem.h"
#include "core/msi.h"
#include "devices/virtio/virtio.h"
#include "pci/pci.h"

#define VIRTIO_PCI_VENDOR_ID   0x1af4
#define VIRTIO_PCI_DEVICE_BASE 0x1040   /* + virtio device id, modern-only */

struct virtio_pci_config {
	const struct guest_mem *mem;
	struct event_loop *loop;    /* runs the queue notifications */
	int vm_fd;                  /* for KVM_IOEVENTFD; -1: notifies take the BAR path */
	struct msi_controller msi;
};

struct virtio_pci;

/* Wraps vdev (whose ownership passes to the transport). NULL on failure. */
__attribute__((warn_unused_result))
struct virtio_pci *virtio_pci_create(struct virtio_dev *vdev, const struct virtio_pci_config *cfg);
void virtio_pci_destroy(struct virtio_pci *vp);

/* The PCI function, for pci_bus_add(). */
struct pci_dev *virtio_pci_pci_dev(struct virtio_pci *vp);
/* The device behind the transport. */
struct virtio_dev *virtio_pci_vdev(struct virtio_pci *vp);

/* Guest-visible transport state (device_status etc.), for tests. */
uint8_t virtio_pci_status(struct virtio_pci *vp);

/*
 * Snapshot (vCPUs paused). quiesce lets the device finish its work in
 * flight; save writes the function (config space, MSI-X, transport and
 * queue state, then the device's own); load checks all of it before it
 * applies any (-EINVAL with nothing applied on a mismatch or bad value),
 * re-activates a live device and lets it look at its queues once, as if
 * notified. A failure after checking (rings outside RAM) is -EINVAL too.
 */
struct snap_writer;
struct snap_reader;
__attribute__((warn_unused_result))
int virtio_pci_quiesce(struct virtio_pci *vp);
void virtio_pci_save(struct virtio_pci *vp, struct snap_writer *w);
__attribute__((warn_unused_result))
int virtio_pci_load(struct virtio_pci *vp, struct snap_reader *r);

/* Live migration (vCPUs paused, quiesced): the device's handover and reclaim ops, if it has them. */
__attribute__((warn_unused_result))
int virtio_pci_handover(struct virtio_pci *vp);
int virtio_pci_reclaim(struct virtio_pci *vp);

#endif
