/* SPDX-License-Identifier: MIT */
/*
 * MSI-X: capability, table and PBA through the BAR window, masking and
 * delivery through a fake msi_controller backed by real eventfds.
 */
#include "arch/x86/layout.h"
#include "core/bus.h"
#include "pci/pci.h"
#include "pci/pci_msix.h"
#include "test.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#define NR_VECTORS      8
#define BAR_SIZE        0x4000
#define TABLE_OFF       0x0
#define PBA_OFF         0x2000
#define FAKE_MAX_ROUTES 64

struct fake_msi {
	int nr_alloc, nr_set, nr_free;
	int fail_alloc;
	int fd[FAKE_MAX_ROUTES];
	struct msi_msg msg[FAKE_MAX_ROUTES];
};

static int fake_route_alloc(void *ctx, int *fd)
{
	struct fake_msi *f = ctx;
	int gsi;

	if (f->fail_alloc || f->nr_alloc == FAKE_MAX_ROUTES)
		return -ENOSPC;
	gsi = f->nr_alloc++;
	f->fd[gsi] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (f->fd[gsi] < 0)
		return -errno;
	*fd = f->fd[gsi];
	return LAYOUT_MSI_GSI_BASE + gsi;
}

static int fake_route_set(void *ctx, int gsi, const struct msi_msg *msg)
{
	struct fake_msi *f = ctx;

	f->nr_set++;
	f->msg[gsi - LAYOUT_MSI_GSI_BASE] = *msg;
	return 0;
}

static void fake_route_free(void *ctx, int gsi, int fd)
{
	struct fake_msi *f = ctx;

	f->nr_free++;
	close(fd);
}

static const struct msi_ops fake_msi_ops = {
	.route_alloc = fake_route_alloc,
	.route_set = fake_route_set,
	.route_free = fake_route_free,
};

struct env {
	struct bus pio, mmio;
	struct pci_bus pci;
	struct pci_dev dev;
	struct pci_msix msix;
	struct fake_msi fake;
	uint64_t bar;
	uint32_t other_reads;
};

static void dev_bar_read(struct pci_dev *dev, int bar, uint64_t offset, void *data, uint32_t len)
{
	struct env *e = dev->opaque;

	if (!pci_msix_bar_read(&e->msix, offset, data, len)) {
		e->other_reads++;
		memset(data, 0, len);
	}
}

static void dev_bar_write(struct pci_dev *dev, int bar, uint64_t offset, const void *data, uint32_t len)
{
	struct env *e = dev->opaque;

	pci_msix_bar_write(&e->msix, offset, data, len);
}

static void dev_config_written(struct pci_dev *dev, uint32_t offset, uint32_t len)
{
	struct env *e = dev->opaque;

	pci_msix_config_written(&e->msix, offset, len);
}

static const struct pci_dev_ops dev_ops = {
	.bar_read = dev_bar_read,
	.bar_write = dev_bar_write,
	.config_written = dev_config_written,
};

static void env_init(struct env *e)
{
	struct msi_controller msi;

	memset(e, 0, sizeof(*e));
	msi.ops = &fake_msi_ops;
	msi.ctx = &e->fake;
	CHECK_EQ(pci_bus_init(&e->pci, &e->pio, &e->mmio), 0);
	pci_dev_init(&e->dev, 0x1af4, 0x1041, 0x020000, 1, 0x1af4, 1, &dev_ops, e);
	CHECK_EQ(pci_dev_add_bar(&e->dev, 0, BAR_SIZE, false), 0);
	CHECK_EQ(pci_msix_init(&e->msix, &e->dev, NR_VECTORS, 0, TABLE_OFF, PBA_OFF, msi), 0);
	CHECK_EQ(pci_bus_add(&e->pci, &e->dev), 0);
	e->bar = e->dev.bars[0].mapped_gpa;
	CHECK(e->bar != 0);
}

static void env_destroy(struct env *e)
{
	pci_msix_destroy(&e->msix);
	CHECK_EQ(e->fake.nr_free, e->fake.nr_alloc);
	pci_bus_destroy(&e->pci);
	bus_destroy(&e->pio);
	bus_destroy(&e->mmio);
}

static uint32_t cfg_read(struct env *e, uint32_t reg, uint32_t len)
{
	uint32_t v = 0;

	pci_config_read(&e->pci, e->dev.slot, reg, &v, len);
	return v;
}

static void cfg_write(struct env *e, uint32_t reg, uint32_t v, uint32_t len)
{
	pci_config_write(&e->pci, e->dev.slot, reg, &v, len);
}

static uint16_t msix_ctrl_read(struct env *e)
{
	return (uint16_t)cfg_read(e, e->msix.cap_offset + 2, 2);
}

static void msix_ctrl_write(struct env *e, uint16_t v)
{
	cfg_write(e, e->msix.cap_offset + 2, v, 2);
}

static uint32_t bar_read32(struct env *e, uint64_t off)
{
	uint32_t v = 0;

	bus_read(&e->mmio, e->bar + off, &v, 4);
	return v;
}

static void bar_write32(struct env *e, uint64_t off, uint32_t v)
{
	bus_write(&e->mmio, e->bar + off, &v, 4);
}

static void vector_program(struct env *e, uint16_t v, uint64_t addr, uint32_t data)
{
	uint64_t base = TABLE_OFF + (uint64_t)v * PCI_MSIX_ENTRY_SIZE;

	bus_write(&e->mmio, e->bar + base, &addr, 8);
	bar_write32(e, base + 8, data);
}

static void vector_mask(struct env *e, uint16_t v, bool masked)
{
	bar_write32(e, TABLE_OFF + (uint64_t)v * PCI_MSIX_ENTRY_SIZE + 12, masked);
}

/* Reads and resets the eventfd behind vector v: how many interrupts were sent. */
static uint64_t irq_count(struct env *e, uint16_t v)
{
	uint64_t n = 0;

	if (e->msix.fd[v] < 0)
		return 0;
	if (read(e->msix.fd[v], &n, sizeof(n)) != sizeof(n))
		return 0;
	return n;
}

static void test_capability(void)
{
	struct env e;
	uint8_t ptr;

	env_init(&e);
	ptr = (uint8_t)cfg_read(&e, PCI_CAPABILITY_LIST, 1);
	CHECK_EQ(ptr, e.msix.cap_offset);
	CHECK_EQ(cfg_read(&e, ptr, 1), PCI_CAP_ID_MSIX);
	CHECK_EQ(msix_ctrl_read(&e), NR_VECTORS - 1);
	CHECK_EQ(cfg_read(&e, ptr + 4, 4), TABLE_OFF | 0);
	CHECK_EQ(cfg_read(&e, ptr + 8, 4), PBA_OFF | 0);
	/* Only enable and function mask are writable. */
	msix_ctrl_write(&e, 0xffff);
	CHECK_EQ(msix_ctrl_read(&e), 0xc000 | (NR_VECTORS - 1));
	CHECK(pci_msix_enabled(&e.msix));
	cfg_write(&e, ptr + 4, 0xffffffff, 4);
	cfg_write(&e, ptr + 8, 0xffffffff, 4);
	cfg_write(&e, ptr, 0xffff, 2);
	CHECK_EQ(cfg_read(&e, ptr + 4, 4), TABLE_OFF);
	CHECK_EQ(cfg_read(&e, ptr + 8, 4), PBA_OFF);
	CHECK_EQ(cfg_read(&e, ptr, 1), PCI_CAP_ID_MSIX);
	msix_ctrl_write(&e, 0);
	CHECK(!pci_msix_enabled(&e.msix));
	/* Reset state: every vector masked, nothing pending, no route. */
	for (uint16_t v = 0; v < NR_VECTORS; v++) {
		CHECK_EQ(bar_read32(&e, v * 16 + 12), 1);
		CHECK_EQ(bar_read32(&e, v * 16), 0);
	}
	CHECK_EQ(bar_read32(&e, PBA_OFF), 0);
	CHECK_EQ(e.fake.nr_alloc, 0);
	env_destroy(&e);
}

static void test_table_access(void)
{
	uint64_t q = 0;
	struct env e;

	env_init(&e);
	vector_program(&e, 3, 0xfee01000ULL | 0x123456789ULL << 32, 0x4041);
	CHECK_EQ(bar_read32(&e, 3 * 16), 0xfee01000);
	CHECK_EQ(bar_read32(&e, 3 * 16 + 4), 0x23456789 & 0xffffffff);
	CHECK_EQ(bar_read32(&e, 3 * 16 + 8), 0x4041);
	bus_read(&e.mmio, e.bar + 3 * 16, &q, 8);
	CHECK_EQ(q, 0xfee01000ULL | 0x23456789ULL << 32);
	/* Only bit 0 of the control dword is writable. */
	bar_write32(&e, 3 * 16 + 12, 0xfffffffe);
	CHECK_EQ(bar_read32(&e, 3 * 16 + 12), 0);
	bar_write32(&e, 3 * 16 + 12, 0xffffffff);
	CHECK_EQ(bar_read32(&e, 3 * 16 + 12), 1);
	/* Unaligned or narrow accesses: ignored, read all ones. */
	{
		uint16_t w = 0;
		uint8_t b = 0;
		uint32_t before = bar_read32(&e, 3 * 16 + 8);

		bus_read(&e.mmio, e.bar + 3 * 16 + 8, &w, 2);
		CHECK_EQ(w, 0xffff);
		bus_read(&e.mmio, e.bar + 3 * 16 + 9, &b, 1);
		CHECK_EQ(b, 0xff);
		w = 0;
		bus_write(&e.mmio, e.bar + 3 * 16 + 8, &w, 2);
		bus_write(&e.mmio, e.bar + 3 * 16 + 10, &w, 2);
		q = 0;
		bus_write(&e.mmio, e.bar + 3 * 16 + 4, &q, 8);  /* 8 bytes, misaligned */
		CHECK_EQ(bar_read32(&e, 3 * 16 + 8), before);
		CHECK_EQ(bar_read32(&e, 3 * 16 + 4), 0x23456789);
	}
	/* Past the last vector is the device's, not the table's. */
	CHECK_EQ(e.other_reads, 0);
	CHECK_EQ(bar_read32(&e, NR_VECTORS * 16), 0);
	CHECK_EQ(e.other_reads, 1);
	/* PBA is read-only; past it is the device's again. */
	bar_write32(&e, PBA_OFF, 0xffffffff);
	CHECK_EQ(bar_read32(&e, PBA_OFF), 0);
	CHECK_EQ(bar_read32(&e, PBA_OFF + 4), 0);
	CHECK_EQ(bar_read32(&e, PBA_OFF + 8), 0);
	CHECK_EQ(e.other_reads, 2);
	env_destroy(&e);
}

static void test_delivery(void)
{
	struct env e;

	env_init(&e);
	vector_program(&e, 1, 0xfee00000, 0x31);
	/* MSI-X disabled: dropped, nothing pending, no route. */
	pci_msix_notify(&e.msix, 1);
	CHECK_EQ(bar_read32(&e, PBA_OFF), 0);
	CHECK_EQ(e.fake.nr_alloc, 0);

	/* Enabled, vector still masked: pending bit set. */
	msix_ctrl_write(&e, 0x8000);
	pci_msix_notify(&e.msix, 1);
	pci_msix_notify(&e.msix, 1);
	CHECK_EQ(bar_read32(&e, PBA_OFF), 1u << 1);
	CHECK_EQ(e.fake.nr_alloc, 0);

	/* Unmask: route allocated and programmed, delivered once, PBA cleared. */
	vector_mask(&e, 1, false);
	CHECK_EQ(e.fake.nr_alloc, 1);
	CHECK_EQ(e.msix.gsi[1], LAYOUT_MSI_GSI_BASE);
	CHECK_EQ(e.fake.msg[0].addr, 0xfee00000);
	CHECK_EQ(e.fake.msg[0].data, 0x31);
	CHECK_EQ(irq_count(&e, 1), 1);
	CHECK_EQ(bar_read32(&e, PBA_OFF), 0);

	/* Unmasked: straight to the eventfd. */
	pci_msix_notify(&e.msix, 1);
	pci_msix_notify(&e.msix, 1);
	CHECK_EQ(irq_count(&e, 1), 2);
	CHECK_EQ(e.fake.nr_set, 1);

	/* New message data: route re-programmed before the next interrupt. */
	vector_mask(&e, 1, true);
	vector_program(&e, 1, 0xfee02000, 0x42);
	vector_mask(&e, 1, false);
	CHECK_EQ(e.fake.nr_set, 2);
	CHECK_EQ(e.fake.msg[0].addr, 0xfee02000);
	CHECK_EQ(e.fake.msg[0].data, 0x42);
	CHECK_EQ(e.fake.nr_alloc, 1);
	/* Changed while unmasked (guests should not, some do): still re-programmed. */
	bar_write32(&e, 1 * 16 + 8, 0x43);
	pci_msix_notify(&e.msix, 1);
	CHECK_EQ(e.fake.msg[0].data, 0x43);
	CHECK_EQ(irq_count(&e, 1), 1);

	/* Function mask: pending, delivered when cleared. */
	msix_ctrl_write(&e, 0xc000);
	pci_msix_notify(&e.msix, 1);
	CHECK_EQ(irq_count(&e, 1), 0);
	CHECK_EQ(bar_read32(&e, PBA_OFF), 1u << 1);
	msix_ctrl_write(&e, 0x8000);
	CHECK_EQ(irq_count(&e, 1), 1);
	CHECK_EQ(bar_read32(&e, PBA_OFF), 0);

	/* Pending while function-masked, then MSI-X disabled: stays pending, no delivery. */
	msix_ctrl_write(&e, 0xc000);
	pci_msix_notify(&e.msix, 1);
	msix_ctrl_write(&e, 0x0000);
	CHECK_EQ(irq_count(&e, 1), 0);
	CHECK_EQ(bar_read32(&e, PBA_OFF), 1u << 1);
	/* Disabled: further notifies are dropped. */
	pci_msix_notify(&e.msix, 1);
	CHECK_EQ(irq_count(&e, 1), 0);
	/* Re-enable: the pending one goes out. */
	msix_ctrl_write(&e, 0x8000);
	CHECK_EQ(irq_count(&e, 1), 1);

	/* Out-of-range vectors and NO_VECTOR are ignored. */
	pci_msix_notify(&e.msix, NR_VECTORS);
	pci_msix_notify(&e.msix, PCI_MSIX_NO_VECTOR);
	CHECK_EQ(bar_read32(&e, PBA_OFF), 0);
	env_destroy(&e);
}

/* Enabling MSI-X sets up routes for already-unmasked vectors up front. */
static void test_eager_routes(void)
{
	struct env e;

	env_init(&e);
	for (uint16_t v = 0; v < 3; v++) {
		vector_program(&e, v, 0xfee00000, 0x30 + v);
		vector_mask(&e, v, false);
	}
	CHECK_EQ(e.fake.nr_alloc, 0);
	msix_ctrl_write(&e, 0x8000);
	CHECK_EQ(e.fake.nr_alloc, 3);
	CHECK_EQ(e.fake.nr_set, 3);
	for (uint16_t v = 0; v < 3; v++)
		CHECK_EQ(e.fake.msg[e.msix.gsi[v] - LAYOUT_MSI_GSI_BASE].data, 0x30 + v);
	for (uint16_t v = 0; v < 3; v++) {
		pci_msix_notify(&e.msix, v);
		CHECK_EQ(irq_count(&e, v), 1);
	}
	CHECK_EQ(e.fake.nr_set, 3);
	env_destroy(&e);
}

/* No route available: the interrupt is lost, nothing crashes. */
static void test_route_failure(void)
{
	struct env e;

	env_init(&e);
	e.fake.fail_alloc = 1;
	msix_ctrl_write(&e, 0x8000);
	vector_mask(&e, 0, false);
	pci_msix_notify(&e.msix, 0);
	CHECK_EQ(e.msix.gsi[0], -1);
	e.fake.fail_alloc = 0;
	pci_msix_notify(&e.msix, 0);
	CHECK_EQ(irq_count(&e, 0), 1);
	env_destroy(&e);
}

static void test_init_bounds(void)
{
	struct msi_controller msi = { .ops = &fake_msi_ops, .ctx = NULL };
	struct pci_msix msix;
	struct pci_dev dev;

	pci_dev_init(&dev, 1, 2, 0, 0, 0, 0, NULL, NULL);
	CHECK_EQ(pci_dev_add_bar(&dev, 0, 0x1000, false), 0);
	CHECK_EQ(pci_dev_add_bar(&dev, 2, 0x4000, true), 0);
	CHECK_EQ(pci_msix_init(&msix, &dev, 0, 0, 0, 0x800, msi), -EINVAL);
	CHECK_EQ(pci_msix_init(&msix, &dev, PCI_MSIX_MAX_VECTORS + 1, 2, 0, 0x2000, msi), -EINVAL);
	CHECK_EQ(pci_msix_init(&msix, &dev, 4, 1, 0, 0x800, msi), -EINVAL);        /* no BAR 1 */
	CHECK_EQ(pci_msix_init(&msix, &dev, 4, 6, 0, 0x800, msi), -EINVAL);
	CHECK_EQ(pci_msix_init(&msix, &dev, 4, -1, 0, 0x800, msi), -EINVAL);
	CHECK_EQ(pci_msix_init(&msix, &dev, 4, 0, 4, 0x800, msi), -EINVAL);        /* misaligned */
	CHECK_EQ(pci_msix_init(&msix, &dev, 4, 0, 0, 0x804, msi), -EINVAL);
	CHECK_EQ(pci_msix_init(&msix, &dev, 4, 0, 0, 0x1000, msi), -EINVAL);       /* PBA past BAR */
	CHECK_EQ(pci_msix_init(&msix, &dev, 4, 0, 0xfc8, 0x0, msi), -EINVAL);      /* table past BAR */
	CHECK_EQ(pci_msix_init(&msix, &dev, 4, 0, 0, 0x38, msi), -EINVAL);         /* overlap */
	CHECK_EQ(pci_msix_init(&msix, &dev, 4, 0, 0xffffffc0, 0x0, msi), -EINVAL);
	CHECK_EQ(dev.config[PCI_CAPABILITY_LIST], 0);
	/* Just fits: 64 vectors, table fills 1 KiB, PBA right after it. */
	CHECK_EQ(pci_msix_init(&msix, &dev, PCI_MSIX_MAX_VECTORS, 0, 0, 0x400, msi), 0);
	CHECK_EQ(dev.config[msix.cap_offset + 2] | dev.config[msix.cap_offset + 3] << 8, 63);
	pci_msix_destroy(&msix);
	/* The last vector's bit is the PBA's top bit. */
	{
		struct env e;

		env_init(&e);
		CHECK_EQ(bar_read32(&e, PBA_OFF + 4), 0);
		msix_ctrl_write(&e, 0x8000);
		pci_msix_notify(&e.msix, NR_VECTORS - 1);
		CHECK_EQ(bar_read32(&e, PBA_OFF), 1u << (NR_VECTORS - 1));
		env_destroy(&e);
	}
}

static void *notify_thread(void *arg)
{
	struct env *e = arg;

	for (int i = 0; i < 20000; i++)
		pci_msix_notify(&e->msix, (uint16_t)(i % 2));
	return NULL;
}

/* notify() from another thread while the guest masks and unmasks: nothing lost for good. */
static void test_threads(void)
{
	pthread_t thr;
	struct env e;

	env_init(&e);
	vector_program(&e, 0, 0xfee00000, 0x30);
	vector_program(&e, 1, 0xfee00000, 0x31);
	msix_ctrl_write(&e, 0x8000);
	CHECK_EQ(pthread_create(&thr, NULL, notify_thread, &e), 0);
	for (int i = 0; i < 2000; i++) {
		vector_mask(&e, (uint16_t)(i % 2), i % 3 == 0);
		msix_ctrl_write(&e, i % 5 ? 0x8000 : 0xc000);
	}
	pthread_join(thr, NULL);
	/* Unmask everything: whatever is still pending goes out, the PBA empties. */
	vector_mask(&e, 0, false);
	vector_mask(&e, 1, false);
	msix_ctrl_write(&e, 0x8000);
	CHECK_EQ(bar_read32(&e, PBA_OFF), 0);
	pci_msix_notify(&e.msix, 0);
	pci_msix_notify(&e.msix, 1);
	CHECK(irq_count(&e, 0) >= 1);
	CHECK(irq_count(&e, 1) >= 1);
	CHECK(e.fake.nr_alloc <= 2);
	env_destroy(&e);
}

static uint64_t rng_next(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Any access at any width and offset, plus config and notify, interleaved. */
static void test_random(void)
{
	static const uint32_t lens[] = { 1, 2, 4, 8 };
	uint64_t s = 0x2545f4914f6cdd1dULL;
	struct env e;

	env_init(&e);
	for (int i = 0; i < 300000; i++) {
		uint64_t r = rng_next(&s), val = rng_next(&s), q;
		uint32_t len = lens[r & 3];
		uint64_t off = (r >> 8) % (BAR_SIZE + 16);

		switch (r >> 2 & 7) {
		case 0:
		case 1:
		case 2:
			bus_write(&e.mmio, e.bar + off, &val, len);
			break;
		case 3:
		case 4:
			bus_read(&e.mmio, e.bar + off, &q, len);
			break;
		case 5:
			pci_msix_notify(&e.msix, (uint16_t)(r >> 32));
			break;
		case 6:
			if (len == 8)
				len = 4;
			cfg_write(&e, e.msix.cap_offset + (uint32_t)(r >> 40) % 12, (uint32_t)val, len);
			break;
		default:
			/* Direct calls with offsets beyond the BAR and odd lengths. */
			pci_msix_bar_read(&e.msix, r >> 20, &q, len);
			pci_msix_bar_write(&e.msix, (r >> 20) % (PBA_OFF + 16), &val, len);
			break;
		}
	}
	CHECK_EQ(msix_ctrl_read(&e) & 0x3fff, NR_VECTORS - 1);
	CHECK_EQ(cfg_read(&e, e.msix.cap_offset, 1), PCI_CAP_ID_MSIX);
	CHECK(e.fake.nr_alloc <= NR_VECTORS);
	env_destroy(&e);
}

TEST_MAIN(test_capability, test_table_access, test_delivery, test_eager_routes, test_route_failure,
	  test_init_bounds, test_threads, test_random)
