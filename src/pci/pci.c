/* SPDX-License-Identifier: MIT */
/*
 * PCI bus 0: the host bridge, configuration space through 0xCF8/0xCFC and
 * ECAM, and dispatch of the 32-bit BAR windows to the BAR that decodes an
 * address. See pci.h.
 */
#include "pci/pci.h"
#include "arch/x86/layout.h"
#include "core/log.h"
#include "snapshot/snap_buf.h"

#include <errno.h>
#include <string.h>

#define PCI_PORT_CONFIG_ADDRESS 0xcf8
#define PCI_PORT_CONFIG_DATA    0xcfc
#define PCI_CONFIG_ENABLE       0x80000000u
#define PCI_STD_CONFIG_SIZE     256     /* capabilities live below this */
#define PCI_CAP_FIRST           0x40
#define PCI_CACHE_LINE_SIZE     0x0c
#define PCI_BAR_FLAGS_MASK      0xfu

/* A plausible host bridge id (Intel); Linux only looks at the class. */
#define PCI_HOST_VENDOR_ID      0x8086
#define PCI_HOST_DEVICE_ID      0x0d57
#define PCI_CLASS_HOST_BRIDGE   0x060000

/* Status bits that are RW1C (PCI 3.0 6.2.3): parity, aborts, SERR. */
#define PCI_STATUS_RW1C         0xf900

static void pci_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void pci_put32(uint8_t *p, uint32_t v)
{
	pci_put16(p, (uint16_t)v);
	pci_put16(p + 2, (uint16_t)(v >> 16));
}

static uint32_t pci_get32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

void pci_dev_init(struct pci_dev *dev, uint16_t vendor_id, uint16_t device_id,
		  uint32_t class_code, uint8_t revision, uint16_t subsys_vendor_id,
		  uint16_t subsys_id, const struct pci_dev_ops *ops, void *opaque)
{
	memset(dev, 0, sizeof(*dev));
	pci_put16(dev->config + PCI_VENDOR_ID, vendor_id);
	pci_put16(dev->config + PCI_DEVICE_ID, device_id);
	dev->config[PCI_REVISION_ID] = revision;
	dev->config[PCI_CLASS_PROG] = (uint8_t)class_code;
	dev->config[PCI_CLASS_PROG + 1] = (uint8_t)(class_code >> 8);
	dev->config[PCI_CLASS_PROG + 2] = (uint8_t)(class_code >> 16);
	dev->config[PCI_HEADER_TYPE] = 0;       /* type 0, single function */
	pci_put16(dev->config + PCI_SUBSYSTEM_VENDOR_ID, subsys_vendor_id);
	pci_put16(dev->config + PCI_SUBSYSTEM_ID, subsys_id);
	dev->config[PCI_INTERRUPT_PIN] = 0;     /* MSI-X only */

	pci_put16(dev->wmask + PCI_COMMAND,
		  PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER | PCI_COMMAND_INTX_DISABLE);
	pci_put16(dev->w1cmask + PCI_STATUS, PCI_STATUS_RW1C);
	/* Scratch registers firmware and OSes write; no effect here. */
	dev->wmask[PCI_CACHE_LINE_SIZE] = 0xff;
	dev->wmask[PCI_INTERRUPT_LINE] = 0xff;

	dev->next_cap_offset = PCI_CAP_FIRST;
	dev->ops = ops;
	dev->opaque = opaque;
}

static bool pci_is_pow2(uint64_t v)
{
	return v && !(v & (v - 1));
}

int pci_dev_add_bar(struct pci_dev *dev, int bar, uint64_t size, bool is_64bit)
{
	uint64_t mask = ~(size - 1);
	uint32_t reg;

	if (bar < 0 || bar >= PCI_NUM_BARS || (is_64bit && bar == PCI_NUM_BARS - 1))
		return -EINVAL;
	if (!pci_is_pow2(size) || size < 4096 || (!is_64bit && size > (1ULL << 31)))
		return -EINVAL;
	/* Neither this slot nor (for 64-bit) the next may be taken. */
	if (dev->bars[bar].size || (is_64bit && dev->bars[bar + 1].size))
		return -EINVAL;
	if (bar > 0 && dev->bars[bar - 1].is_64bit)
		return -EINVAL;

	dev->bars[bar].size = size;
	dev->bars[bar].is_64bit = is_64bit;
	dev->bars[bar].mapped_gpa = 0;
	reg = PCI_BAR0 + 4 * bar;
	pci_put32(dev->config + reg, is_64bit ? PCI_BAR_MEM_64 : 0);
	pci_put32(dev->wmask + reg, (uint32_t)mask & ~PCI_BAR_FLAGS_MASK);
	if (is_64bit) {
		pci_put32(dev->config + reg + 4, 0);
		pci_put32(dev->wmask + reg + 4, (uint32_t)(mask >> 32));
	}
	return 0;
}

int pci_dev_add_cap(struct pci_dev *dev, const void *data, uint8_t len, const uint8_t *wmask)
{
	uint32_t off = dev->next_cap_offset ? dev->next_cap_offset : PCI_CAP_FIRST;
	uint8_t *link = &dev->config[PCI_CAPABILITY_LIST];
	int hops = 0;

	off = (off + 3) & ~3u;
	if (len < 2 || off + len > PCI_STD_CONFIG_SIZE)
		return -ENOSPC;

	/* Find the end of the list (we built it, but bound the walk anyway). */
	while (*link && hops++ < PCI_STD_CONFIG_SIZE / 4)
		link = &dev->config[*link + 1];

	memcpy(dev->config + off, data, len);
	dev->config[off + 1] = 0;
	if (wmask)
		memcpy(dev->wmask + off, wmask, len);
	/* The header bytes (id, next) are never guest-writable. */
	dev->wmask[off] = 0;
	dev->wmask[off + 1] = 0;
	*link = (uint8_t)off;
	dev->config[PCI_STATUS] |= PCI_STATUS_CAP_LIST;
	dev->next_cap_offset = (uint16_t)((off + len + 3) & ~3u);
	return (int)off;
}

/* Where memory BAR bar of dev is programmed (0 if not implemented). */
static uint64_t pci_bar_address(const struct pci_dev *dev, int bar)
{
	uint32_t reg = PCI_BAR0 + 4 * bar;
	uint64_t addr;

	addr = pci_get32(dev->config + reg) & ~PCI_BAR_FLAGS_MASK;
	if (dev->bars[bar].is_64bit)
		addr |= (uint64_t)pci_get32(dev->config + reg + 4) << 32;
	return addr;
}

static bool pci_bar_in(uint64_t addr, uint64_t size, uint64_t base, uint64_t len)
{
	return addr >= base && addr < base + len && size <= base + len - addr;
}

/* vessel places BARs in the first window; firmware (SeaBIOS) in the second. */
static bool pci_bar_in_window(uint64_t addr, uint64_t size)
{
	return pci_bar_in(addr, size, LAYOUT_PCI_MMIO_GPA, LAYOUT_PCI_MMIO_SIZE) ||
	       pci_bar_in(addr, size, LAYOUT_PCI_MMIO2_GPA, LAYOUT_PCI_MMIO2_SIZE);
}

/* Called with the bus lock held after BAR or command register writes. */
static void pci_dev_update_bars(struct pci_dev *dev)
{
	bool mem_on = dev->config[PCI_COMMAND] & PCI_COMMAND_MEMORY;

	for (int i = 0; i < PCI_NUM_BARS; i++) {
		struct pci_bar *b = &dev->bars[i];
		uint64_t addr, gpa = 0;

		if (!b->size)
			continue;
		addr = pci_bar_address(dev, i);
		if (mem_on && addr && pci_bar_in_window(addr, b->size))
			gpa = addr;
		if (gpa == b->mapped_gpa)
			continue;
		b->mapped_gpa = gpa;
		if (dev->ops && dev->ops->bar_mapped)
			dev->ops->bar_mapped(dev, i, gpa);
	}
}

static bool pci_ranges_overlap(uint32_t a, uint32_t alen, uint32_t b, uint32_t blen)
{
	return a < b + blen && b < a + alen;
}

static bool pci_config_access_ok(uint32_t offset, uint32_t len)
{
	return (len == 1 || len == 2 || len == 4) && offset < PCI_CONFIG_SIZE &&
	       len <= PCI_CONFIG_SIZE - offset;
}

void pci_config_read(struct pci_bus *pci, uint8_t slot, uint32_t offset, void *data, uint32_t len)
{
	struct pci_dev *dev;

	if (len > 8)
		return;
	memset(data, 0xff, len);
	if (slot >= PCI_MAX_SLOTS || !pci_config_access_ok(offset, len))
		return;
	pthread_mutex_lock(&pci->lock);
	dev = pci->slots[slot];
	if (dev)
		memcpy(data, dev->config + offset, len);
	pthread_mutex_unlock(&pci->lock);
}

void pci_config_write(struct pci_bus *pci, uint8_t slot, uint32_t offset, const void *data, uint32_t len)
{
	const uint8_t *val = data;
	struct pci_dev *dev;

	if (slot >= PCI_MAX_SLOTS || !pci_config_access_ok(offset, len))
		return;
	pthread_mutex_lock(&pci->lock);
	dev = pci->slots[slot];
	if (!dev)
		goto out_unlock;
	for (uint32_t i = 0; i < len; i++) {
		uint32_t o = offset + i;
		uint8_t old = dev->config[o];
		uint8_t new = (uint8_t)((old & ~dev->wmask[o]) | (val[i] & dev->wmask[o]));

		new &= (uint8_t)~(val[i] & dev->w1cmask[o]);
		/* Atomic: MSI-X reads its control byte without the bus lock. */
		__atomic_store_n(&dev->config[o], new, __ATOMIC_RELAXED);
	}
	if (pci_ranges_overlap(offset, len, PCI_COMMAND, 2) ||
	    pci_ranges_overlap(offset, len, PCI_BAR0, 4 * PCI_NUM_BARS))
		pci_dev_update_bars(dev);
	if (dev->ops && dev->ops->config_written)
		dev->ops->config_written(dev, offset, len);
out_unlock:
	pthread_mutex_unlock(&pci->lock);
}

/* 0xCF8: the address latch. Only a 32-bit write latches (Linux probes type 1 that way). */
static void pci_cf8_read(void *opaque, uint64_t offset, void *data, uint32_t len)
{
	struct pci_bus *pci = opaque;
	uint8_t latch[4];

	pthread_mutex_lock(&pci->lock);
	pci_put32(latch, pci->config_address);
	pthread_mutex_unlock(&pci->lock);
	memset(data, 0xff, len);
	if (offset < 4 && len <= 4 - offset)
		memcpy(data, latch + offset, len);
}

static void pci_cf8_write(void *opaque, uint64_t offset, const void *data, uint32_t len)
{
	struct pci_bus *pci = opaque;

	if (offset != 0 || len != 4)
		return;
	pthread_mutex_lock(&pci->lock);
	pci->config_address = pci_get32(data);
	pthread_mutex_unlock(&pci->lock);
}

/*
 * Decodes the latch for an access at byte offset of 0xCFC. False when it
 * targets nothing we emulate (disabled, other bus or function).
 */
static bool pci_cfc_target(struct pci_bus *pci, uint64_t offset, uint8_t *slot, uint32_t *reg)
{
	uint32_t addr;

	pthread_mutex_lock(&pci->lock);
	addr = pci->config_address;
	pthread_mutex_unlock(&pci->lock);
	if (!(addr & PCI_CONFIG_ENABLE) || (addr >> 16 & 0xff) || (addr >> 8 & 0x7))
		return false;
	*slot = addr >> 11 & 0x1f;
	*reg = (addr & 0xfc) + (uint32_t)offset;
	return true;
}

static void pci_cfc_read(void *opaque, uint64_t offset, void *data, uint32_t len)
{
	uint32_t reg;
	uint8_t slot;

	if (offset >= 4 || len > 4 - offset || !pci_cfc_target(opaque, offset, &slot, &reg)) {
		memset(data, 0xff, len);
		return;
	}
	pci_config_read(opaque, slot, reg, data, len);
}

static void pci_cfc_write(void *opaque, uint64_t offset, const void *data, uint32_t len)
{
	uint32_t reg;
	uint8_t slot;

	if (offset >= 4 || len > 4 - offset || !pci_cfc_target(opaque, offset, &slot, &reg))
		return;
	pci_config_write(opaque, slot, reg, data, len);
}

/* ECAM: bus << 20 | slot << 15 | function << 12 | register; bus 0 only. */
static bool pci_ecam_target(uint64_t offset, uint32_t len, uint8_t *slot, uint32_t *reg)
{
	if (offset >= LAYOUT_PCI_ECAM_SIZE || (offset >> 12 & 0x7))
		return false;
	*reg = offset & 0xfff;
	/* No access crosses a dword: hardware splits those, we refuse them. */
	if ((*reg & 3) + len > 4)
		return false;
	*slot = offset >> 15 & 0x1f;
	return true;
}

static void pci_ecam_read(void *opaque, uint64_t offset, void *data, uint32_t len)
{
	uint32_t reg;
	uint8_t slot;

	if (!pci_ecam_target(offset, len, &slot, &reg)) {
		memset(data, 0xff, len);
		return;
	}
	pci_config_read(opaque, slot, reg, data, len);
}

static void pci_ecam_write(void *opaque, uint64_t offset, const void *data, uint32_t len)
{
	uint32_t reg;
	uint8_t slot;

	if (pci_ecam_target(offset, len, &slot, &reg))
		pci_config_write(opaque, slot, reg, data, len);
}

/*
 * The BAR that decodes [gpa, gpa + len) wholly, snapshotted under the lock.
 * Devices are never unplugged, so dev stays valid after unlocking.
 */
static struct pci_dev *pci_bar_lookup(struct pci_bus *pci, uint64_t gpa, uint32_t len,
				      int *bar, uint64_t *bar_offset)
{
	struct pci_dev *found = NULL;

	pthread_mutex_lock(&pci->lock);
	for (int s = 0; s < PCI_MAX_SLOTS && !found; s++) {
		struct pci_dev *dev = pci->slots[s];

		if (!dev)
			continue;
		for (int i = 0; i < PCI_NUM_BARS; i++) {
			const struct pci_bar *b = &dev->bars[i];

			if (!b->mapped_gpa || gpa < b->mapped_gpa || gpa - b->mapped_gpa >= b->size ||
			    len > b->size - (gpa - b->mapped_gpa))
				continue;
			found = dev;
			*bar = i;
			*bar_offset = gpa - b->mapped_gpa;
			break;
		}
	}
	pthread_mutex_unlock(&pci->lock);
	return found;
}

static void pci_window_read_at(struct pci_bus *pci, uint64_t gpa, void *data, uint32_t len)
{
	struct pci_dev *dev;
	uint64_t bar_offset;
	int bar;

	dev = pci_bar_lookup(pci, gpa, len, &bar, &bar_offset);
	if (!dev || !dev->ops || !dev->ops->bar_read) {
		memset(data, 0xff, len);
		return;
	}
	dev->ops->bar_read(dev, bar, bar_offset, data, len);
}

static void pci_window_write_at(struct pci_bus *pci, uint64_t gpa, const void *data, uint32_t len)
{
	struct pci_dev *dev;
	uint64_t bar_offset;
	int bar;

	dev = pci_bar_lookup(pci, gpa, len, &bar, &bar_offset);
	if (dev && dev->ops && dev->ops->bar_write)
		dev->ops->bar_write(dev, bar, bar_offset, data, len);
}

static void pci_window_read(void *opaque, uint64_t offset, void *data, uint32_t len)
{
	pci_window_read_at(opaque, LAYOUT_PCI_MMIO_GPA + offset, data, len);
}

static void pci_window_write(void *opaque, uint64_t offset, const void *data, uint32_t len)
{
	pci_window_write_at(opaque, LAYOUT_PCI_MMIO_GPA + offset, data, len);
}

static void pci_window2_read(void *opaque, uint64_t offset, void *data, uint32_t len)
{
	pci_window_read_at(opaque, LAYOUT_PCI_MMIO2_GPA + offset, data, len);
}

static void pci_window2_write(void *opaque, uint64_t offset, const void *data, uint32_t len)
{
	pci_window_write_at(opaque, LAYOUT_PCI_MMIO2_GPA + offset, data, len);
}

static const struct bus_dev_ops pci_cf8_ops = { .read = pci_cf8_read, .write = pci_cf8_write };
static const struct bus_dev_ops pci_cfc_ops = { .read = pci_cfc_read, .write = pci_cfc_write };
static const struct bus_dev_ops pci_ecam_ops = { .read = pci_ecam_read, .write = pci_ecam_write };
static const struct bus_dev_ops pci_window_ops = { .read = pci_window_read, .write = pci_window_write };
static const struct bus_dev_ops pci_window2_ops = { .read = pci_window2_read, .write = pci_window2_write };

int pci_bus_init(struct pci_bus *pci, struct bus *pio, struct bus *mmio)
{
	int ret;

	memset(pci, 0, sizeof(*pci));
	ret = -pthread_mutex_init(&pci->lock, NULL);
	if (ret)
		return ret;
	pci_dev_init(&pci->host_bridge, PCI_HOST_VENDOR_ID, PCI_HOST_DEVICE_ID,
		     PCI_CLASS_HOST_BRIDGE, 0, 0, 0, NULL, NULL);
	pci->host_bridge.bus = pci;
	pci->host_bridge.slot = 0;
	pci->slots[0] = &pci->host_bridge;
	pci->mmio_next = LAYOUT_PCI_MMIO_GPA;

	/*
	 * The bus has no unregister: on failure the caller tears the VM (and
	 * its buses) down anyway, so there is nothing to undo but the mutex.
	 */
	ret = bus_register(pio, PCI_PORT_CONFIG_ADDRESS, 4, &pci_cf8_ops, pci);
	if (ret)
		goto out_mutex;
	ret = bus_register(pio, PCI_PORT_CONFIG_DATA, 4, &pci_cfc_ops, pci);
	if (ret)
		goto out_mutex;
	ret = bus_register(mmio, LAYOUT_PCI_ECAM_GPA, LAYOUT_PCI_ECAM_SIZE, &pci_ecam_ops, pci);
	if (ret)
		goto out_mutex;
	ret = bus_register(mmio, LAYOUT_PCI_MMIO_GPA, LAYOUT_PCI_MMIO_SIZE, &pci_window_ops, pci);
	if (ret)
		goto out_mutex;
	ret = bus_register(mmio, LAYOUT_PCI_MMIO2_GPA, LAYOUT_PCI_MMIO2_SIZE, &pci_window2_ops, pci);
	if (ret)
		goto out_mutex;
	return 0;

out_mutex:
	pthread_mutex_destroy(&pci->lock);
	return ret;
}

int pci_bus_add(struct pci_bus *pci, struct pci_dev *dev)
{
	uint64_t gpa[PCI_NUM_BARS] = { 0 };
	uint64_t next;
	int slot, ret = 0;

	pthread_mutex_lock(&pci->lock);
	for (slot = 1; slot < PCI_MAX_SLOTS; slot++)
		if (!pci->slots[slot])
			break;
	if (slot == PCI_MAX_SLOTS) {
		ret = -ENOSPC;
		goto out_unlock;
	}

	/* Place every BAR first, so a failure leaves the bus untouched. */
	next = pci->mmio_next;
	for (int i = 0; i < PCI_NUM_BARS; i++) {
		uint64_t size = dev->bars[i].size;

		if (!size)
			continue;
		next = (next + size - 1) & ~(size - 1);
		if (!pci_bar_in_window(next, size)) {
			ret = -ENOSPC;
			goto out_unlock;
		}
		gpa[i] = next;
		next += size;
	}

	for (int i = 0; i < PCI_NUM_BARS; i++) {
		uint32_t reg = PCI_BAR0 + 4 * i;

		if (!dev->bars[i].size)
			continue;
		pci_put32(dev->config + reg, (uint32_t)gpa[i] |
			  (dev->bars[i].is_64bit ? PCI_BAR_MEM_64 : 0));
		if (dev->bars[i].is_64bit)
			pci_put32(dev->config + reg + 4, (uint32_t)(gpa[i] >> 32));
	}
	dev->config[PCI_COMMAND] |= PCI_COMMAND_MEMORY;
	dev->bus = pci;
	dev->slot = (uint8_t)slot;
	pci->slots[slot] = dev;
	pci->mmio_next = next;
	pci_dev_update_bars(dev);
out_unlock:
	pthread_mutex_unlock(&pci->lock);
	return ret;
}

void pci_bus_destroy(struct pci_bus *pci)
{
	pthread_mutex_destroy(&pci->lock);
	memset(pci->slots, 0, sizeof(pci->slots));
}

void pci_dev_save(struct pci_dev *dev, struct snap_writer *w)
{
	pthread_mutex_lock(&dev->bus->lock);
	snap_put(w, dev->config, sizeof(dev->config));
	pthread_mutex_unlock(&dev->bus->lock);
}

int pci_dev_load(struct pci_dev *dev, struct snap_reader *r)
{
	const uint8_t *config = snap_get_ptr(r, PCI_CONFIG_SIZE);
	int ret = 0;

	if (!config || !dev->bus)
		return -EINVAL;
	pthread_mutex_lock(&dev->bus->lock);
	for (uint32_t i = 0; i < PCI_CONFIG_SIZE; i++) {
		uint8_t fixed = (uint8_t)~(dev->wmask[i] | dev->w1cmask[i]);

		if ((config[i] & fixed) != (dev->config[i] & fixed)) {
			ret = -EINVAL;
			goto out_unlock;
		}
	}
	for (uint32_t i = 0; i < PCI_CONFIG_SIZE; i++)
		__atomic_store_n(&dev->config[i], config[i], __ATOMIC_RELAXED);
	pci_dev_update_bars(dev);
out_unlock:
	pthread_mutex_unlock(&dev->bus->lock);
	return ret;
}
