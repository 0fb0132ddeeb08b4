/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the PCI bus and MSI-X: one device with an MSI-X BAR
 * (table at 0, PBA at 0x2000), a 64-bit BAR and a vendor capability, driven
 * through the real port and MMIO buses. The input is a sequence of records
 *
 *   op: bits 0-2 target: 0 latch 0xCF8 (4 value bytes follow), 1 ports
 *       0xCF8-0xCFF, 2 ECAM, 3-4 the BAR window, 5 MSI-X notify, 6 direct
 *       pci_config_*(), 7 direct pci_msix_bar_*()
 *       bits 3-4 width (1, 2, 4, 8), bit 5 write
 *   then 3 address bytes (little-endian) and, for writes, width value bytes.
 *
 * Build: clang -fsanitize=fuzzer,address,undefined (see tests/fuzz/meson.build).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "arch/x86/layout.h"
#include "core/bus.h"
#include "pci/pci.h"
#include "pci/pci_msix.h"

#define FUZZ_NR_VECTORS 16
#define FUZZ_BAR_SIZE   0x4000

struct fuzz_env {
	struct bus pio, mmio;
	struct pci_bus pci;
	struct pci_dev dev;
	struct pci_msix msix;
	int efd;
	int nr_routes;
};

static int fuzz_route_alloc(void *ctx, int *fd)
{
	struct fuzz_env *e = ctx;

	/* Every route shares one eventfd: only delivery, not its target, matters here. */
	*fd = e->efd;
	return LAYOUT_MSI_GSI_BASE + e->nr_routes++;
}

static int fuzz_route_set(void *ctx, int gsi, const struct msi_msg *msg)
{
	struct fuzz_env *e = ctx;

	if (gsi < LAYOUT_MSI_GSI_BASE || gsi >= LAYOUT_MSI_GSI_BASE + e->nr_routes)
		__builtin_trap();
	return 0;
}

static const struct msi_ops fuzz_msi_ops = {
	.route_alloc = fuzz_route_alloc,
	.route_set = fuzz_route_set,
};

static void fuzz_bar_read(struct pci_dev *dev, int bar, uint64_t offset, void *data, uint32_t len)
{
	struct fuzz_env *e = dev->opaque;

	if (offset + len > dev->bars[bar].size)
		__builtin_trap();       /* the bus promised bounds */
	if (bar != 0 || !pci_msix_bar_read(&e->msix, offset, data, len))
		memset(data, 0, len);
}

static void fuzz_bar_write(struct pci_dev *dev, int bar, uint64_t offset, const void *data, uint32_t len)
{
	struct fuzz_env *e = dev->opaque;

	if (offset + len > dev->bars[bar].size)
		__builtin_trap();
	if (bar == 0)
		pci_msix_bar_write(&e->msix, offset, data, len);
}

static void fuzz_config_written(struct pci_dev *dev, uint32_t offset, uint32_t len)
{
	struct fuzz_env *e = dev->opaque;

	pci_msix_config_written(&e->msix, offset, len);
}

static const struct pci_dev_ops fuzz_dev_ops = {
	.bar_read = fuzz_bar_read,
	.bar_write = fuzz_bar_write,
	.config_written = fuzz_config_written,
};

static int fuzz_env_init(struct fuzz_env *e)
{
	static const uint8_t vcap[8] = { PCI_CAP_ID_VNDR, 0, 8, 1, 2, 3, 4, 5 };
	static const uint8_t vcap_wmask[8] = { 0, 0, 0, 0xff, 0xff, 0, 0, 0 };
	struct msi_controller msi = { .ops = &fuzz_msi_ops, .ctx = e };

	memset(e, 0, sizeof(*e));
	e->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (e->efd < 0)
		return -1;
	if (pci_bus_init(&e->pci, &e->pio, &e->mmio))
		goto out_efd;
	pci_dev_init(&e->dev, 0x1af4, 0x1041, 0x020000, 1, 0x1af4, 1, &fuzz_dev_ops, e);
	if (pci_dev_add_bar(&e->dev, 0, FUZZ_BAR_SIZE, false) ||
	    pci_dev_add_bar(&e->dev, 2, 0x1000, true) ||
	    pci_dev_add_cap(&e->dev, vcap, sizeof(vcap), vcap_wmask) < 0 ||
	    pci_msix_init(&e->msix, &e->dev, FUZZ_NR_VECTORS, 0, 0, 0x2000, msi))
		goto out_bus;
	if (pci_bus_add(&e->pci, &e->dev))
		goto out_msix;
	return 0;

out_msix:
	pci_msix_destroy(&e->msix);
out_bus:
	pci_bus_destroy(&e->pci);
	bus_destroy(&e->pio);
	bus_destroy(&e->mmio);
out_efd:
	close(e->efd);
	return -1;
}

static void fuzz_env_destroy(struct fuzz_env *e)
{
	pci_msix_destroy(&e->msix);
	pci_bus_destroy(&e->pci);
	bus_destroy(&e->pio);
	bus_destroy(&e->mmio);
	close(e->efd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint32_t widths[] = { 1, 2, 4, 8 };
	static struct fuzz_env e;       /* ~50 KiB: too big for the stack with ASan */
	size_t pos = 0;
	uint8_t vendor[2];

	if (fuzz_env_init(&e))
		return 0;
	while (pos < size) {
		uint8_t op = data[pos++];
		uint32_t len = widths[(op >> 3) & 3];
		int write = op & 0x20;
		uint8_t val[8] = { 0 };
		uint32_t addr = 0;

		for (int i = 0; i < 3 && pos < size; i++)
			addr |= (uint32_t)data[pos++] << (8 * i);
		if (write || (op & 7) == 0) {
			uint32_t n = (op & 7) == 0 ? 4 : len;

			for (uint32_t i = 0; i < n && pos < size; i++)
				val[i] = data[pos++];
		}
		switch (op & 7) {
		case 0:
			bus_write(&e.pio, 0xcf8, val, 4);
			break;
		case 1:
			if (write)
				bus_write(&e.pio, 0xcf8 + (addr & 7), val, len);
			else
				bus_read(&e.pio, 0xcf8 + (addr & 7), val, len);
			break;
		case 2:
			if (write)
				bus_write(&e.mmio, LAYOUT_PCI_ECAM_GPA + (addr & 0xfffff), val, len);
			else
				bus_read(&e.mmio, LAYOUT_PCI_ECAM_GPA + (addr & 0xfffff), val, len);
			break;
		case 3:
		case 4:
			/* The first 64 KiB of the window: where the BARs are placed. */
			if (write)
				bus_write(&e.mmio, LAYOUT_PCI_MMIO_GPA + (addr & 0xffff), val, len);
			else
				bus_read(&e.mmio, LAYOUT_PCI_MMIO_GPA + (addr & 0xffff), val, len);
			break;
		case 5:
			pci_msix_notify(&e.msix, (uint16_t)addr);
			break;
		case 6:
			if (write)
				pci_config_write(&e.pci, (uint8_t)(addr >> 16), addr & 0x1fff, val, len);
			else
				pci_config_read(&e.pci, (uint8_t)(addr >> 16), addr & 0x1fff, val, len);
			break;
		default:
			if (write)
				pci_msix_bar_write(&e.msix, addr, val, len);
			else
				pci_msix_bar_read(&e.msix, addr, val, len);
			break;
		}
	}
	/* Read-only identity survives anything. */
	pci_config_read(&e.pci, e.dev.slot, PCI_VENDOR_ID, vendor, 2);
	if (vendor[0] != 0xf4 || vendor[1] != 0x1a)
		__builtin_trap();
	fuzz_env_destroy(&e);
	return 0;
}
