/* SPDX-License-Identifier: MIT */
/*
 * ACPI tables, read back the way an OS would: from the RSDP through the XSDT
 * to each table, using the spec's byte offsets (not the builder's structs).
 */
#include "arch/x86/acpi/acpi.h"
#include "arch/x86/layout.h"
#include "test.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#define BUF_LEN         0x4000
#define GUARD_LEN       64
#define GUARD_BYTE      0xa5

static const uint32_t cpu_counts[] = { 1, 2, 16, LAYOUT_MAX_CPUS };
#define NR_CPU_COUNTS   (sizeof(cpu_counts) / sizeof(cpu_counts[0]))

static uint8_t buf[BUF_LEN + GUARD_LEN];

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t rd32(const uint8_t *p) { return rd16(p) | (uint32_t)rd16(p + 2) << 16; }
static uint64_t rd64(const uint8_t *p) { return rd32(p) | (uint64_t)rd32(p + 4) << 32; }

static uint8_t sum8(const uint8_t *p, size_t len)
{
	uint8_t s = 0;

	while (len--)
		s += *p++;
	return s;
}

static bool mem_contains(const uint8_t *hay, size_t hay_len, const void *needle, size_t len)
{
	for (size_t i = 0; i + len <= hay_len; i++)
		if (!memcmp(hay + i, needle, len))
			return true;
	return false;
}

/* The tables the RSDP leads to, as offsets into buf (0 = not found). */
struct tables {
	uint64_t base;
	size_t xsdt, fadt, madt, mcfg, dsdt;
	uint32_t nr_xsdt_entries;
};

/* A gpa inside the buffer with room for len bytes -> offset, else 0. */
static size_t gpa_to_off(uint64_t base, uint64_t gpa, size_t len)
{
	if (gpa < base || gpa - base > BUF_LEN || len > BUF_LEN - (gpa - base))
		return 0;
	return (size_t)(gpa - base);
}

static size_t table_at(uint64_t base, uint64_t gpa)
{
	size_t off = gpa_to_off(base, gpa, 36);

	if (!off || !gpa_to_off(base, gpa, rd32(buf + off + 4)))
		return 0;
	return off;
}

static int build(uint32_t nr_cpus, uint64_t base, struct tables *t)
{
	struct acpi_config cfg = { .nr_cpus = nr_cpus };
	uint64_t rsdp_gpa = 0;
	int ret;

	memset(buf, GUARD_BYTE, sizeof(buf));
	ret = acpi_build(buf, BUF_LEN, base, &cfg, &rsdp_gpa);
	if (ret)
		return ret;
	CHECK_EQ(rsdp_gpa, base);

	memset(t, 0, sizeof(*t));
	t->base = base;
	t->xsdt = table_at(base, rd64(buf + 24));
	CHECK(t->xsdt != 0);
	if (!t->xsdt)
		return -EFAULT;
	t->nr_xsdt_entries = (rd32(buf + t->xsdt + 4) - 36) / 8;
	for (uint32_t i = 0; i < t->nr_xsdt_entries; i++) {
		size_t off = table_at(base, rd64(buf + t->xsdt + 36 + 8 * i));

		CHECK(off != 0);
		if (!off)
			continue;
		if (!memcmp(buf + off, "FACP", 4))
			t->fadt = off;
		else if (!memcmp(buf + off, "APIC", 4))
			t->madt = off;
		else if (!memcmp(buf + off, "MCFG", 4))
			t->mcfg = off;
	}
	if (t->fadt)
		t->dsdt = table_at(base, rd64(buf + t->fadt + 140));
	return 0;
}

static void check_header(size_t off, const char *sig, uint8_t revision)
{
	const uint8_t *h = buf + off;

	CHECK(!memcmp(h, sig, 4));
	CHECK_EQ(h[8], revision);
	CHECK_EQ(sum8(h, rd32(h + 4)), 0);
	CHECK(!memcmp(h + 10, "VESSEL", 6));
	CHECK(!memcmp(h + 16, "VESSELVM", 8));
	CHECK_EQ(rd32(h + 24), 1);
	CHECK(!memcmp(h + 28, "VSSL", 4));
	CHECK_EQ(rd32(h + 32), 1);
}

static void test_rsdp(void)
{
	for (size_t i = 0; i < NR_CPU_COUNTS; i++) {
		struct tables t;

		CHECK_EQ(build(cpu_counts[i], LAYOUT_ACPI_GPA, &t), 0);
		CHECK(!memcmp(buf, "RSD PTR ", 8));
		CHECK_EQ(sum8(buf, 20), 0);
		CHECK_EQ(buf[15], 2);                   /* revision */
		CHECK(!memcmp(buf + 9, "VESSEL", 6));
		CHECK_EQ(rd32(buf + 20), 36);           /* length */
		CHECK_EQ(sum8(buf, 36), 0);
		CHECK_EQ(LAYOUT_ACPI_GPA % 16, 0);
		CHECK_EQ(rd64(buf + 24), LAYOUT_ACPI_GPA + t.xsdt);
	}
}

static void test_xsdt(void)
{
	for (size_t i = 0; i < NR_CPU_COUNTS; i++) {
		struct tables t;

		CHECK_EQ(build(cpu_counts[i], LAYOUT_ACPI_GPA, &t), 0);
		check_header(t.xsdt, "XSDT", 1);
		CHECK_EQ(t.nr_xsdt_entries, 3);
		CHECK(t.fadt != 0);
		CHECK(t.madt != 0);
		CHECK(t.mcfg != 0);
	}
}

static void test_checksums(void)
{
	for (size_t i = 0; i < NR_CPU_COUNTS; i++) {
		struct tables t;

		CHECK_EQ(build(cpu_counts[i], LAYOUT_ACPI_GPA, &t), 0);
		CHECK(t.fadt && t.madt && t.mcfg && t.dsdt);
		if (!t.fadt || !t.madt || !t.mcfg || !t.dsdt)
			continue;
		CHECK_EQ(sum8(buf + t.mcfg, rd32(buf + t.mcfg + 4)), 0);
		CHECK_EQ(sum8(buf + t.xsdt, rd32(buf + t.xsdt + 4)), 0);
		CHECK_EQ(sum8(buf + t.fadt, rd32(buf + t.fadt + 4)), 0);
		CHECK_EQ(sum8(buf + t.madt, rd32(buf + t.madt + 4)), 0);
		CHECK_EQ(sum8(buf + t.dsdt, rd32(buf + t.dsdt + 4)), 0);
		/* Nothing beyond buf_len touched. */
		for (size_t g = 0; g < GUARD_LEN; g++)
			CHECK_EQ(buf[BUF_LEN + g], GUARD_BYTE);
	}
}

static void check_gas_port8(const uint8_t *gas, uint16_t port)
{
	CHECK_EQ(gas[0], 1);            /* system I/O */
	CHECK_EQ(gas[1], 8);            /* bit width */
	CHECK_EQ(gas[2], 0);            /* bit offset */
	CHECK_EQ(gas[3], 1);            /* byte access */
	CHECK_EQ(rd64(gas + 4), port);
}

static void test_fadt(void)
{
	struct tables t;
	const uint8_t *f;
	uint32_t flags;

	CHECK_EQ(build(2, LAYOUT_ACPI_GPA, &t), 0);
	if (!t.fadt)
		return;
	f = buf + t.fadt;
	check_header(t.fadt, "FACP", 6);
	CHECK_EQ(rd32(f + 4), 276);
	flags = rd32(f + 112);
	CHECK(flags & (1u << 20));      /* HW_REDUCED_ACPI */
	CHECK(flags & (1u << 10));      /* RESET_REG_SUP */
	CHECK(flags & (1u << 4));       /* no power button */
	CHECK(flags & (1u << 5));       /* no sleep button */
	CHECK(!(rd16(f + 109) & (1u << 1)));    /* no 8042: Linux skips the probe */
	CHECK(rd16(f + 109) & (1u << 2));       /* VGA not present */
	CHECK(!(rd16(f + 109) & (1u << 3)));    /* MSI stays allowed */
	check_gas_port8(f + 116, LAYOUT_PORT_ACPI_RESET);
	CHECK_EQ(f[128], LAYOUT_ACPI_RESET_VALUE);
	check_gas_port8(f + 244, LAYOUT_PORT_ACPI_SLEEP_CTL);
	check_gas_port8(f + 256, LAYOUT_PORT_ACPI_SLEEP_STS);
	CHECK(!memcmp(f + 268, "VESSEL\0\0", 8));
	/* DSDT and X_DSDT both point at the DSDT. */
	CHECK(t.dsdt != 0);
	CHECK_EQ(rd32(f + 40), LAYOUT_ACPI_GPA + t.dsdt);
	CHECK_EQ(rd64(f + 140), LAYOUT_ACPI_GPA + t.dsdt);
	/* No FACS, SCI or legacy PM blocks on a hardware-reduced platform. */
	CHECK_EQ(rd32(f + 36), 0);
	CHECK_EQ(rd64(f + 132), 0);
	CHECK_EQ(rd16(f + 46), 0);
	CHECK_EQ(rd32(f + 64), 0);
}

static void test_madt(void)
{
	for (size_t i = 0; i < NR_CPU_COUNTS; i++) {
		uint32_t n = cpu_counts[i], nr_lapic = 0, nr_ioapic = 0, nr_nmi = 0;
		struct tables t;
		const uint8_t *m, *e, *end;

		CHECK_EQ(build(n, LAYOUT_ACPI_GPA, &t), 0);
		if (!t.madt)
			continue;
		check_header(t.madt, "APIC", 5);
		m = buf + t.madt;
		CHECK_EQ(rd32(m + 36), LAYOUT_LAPIC_GPA);
		CHECK_EQ(rd32(m + 40), 1);              /* PCAT_COMPAT */
		end = m + rd32(m + 4);
		for (e = m + 44; e + 2 <= end && e[1] >= 2; e += e[1]) {
			CHECK(e + e[1] <= end);
			switch (e[0]) {
			case 0:
				CHECK_EQ(e[1], 8);
				CHECK_EQ(e[2], nr_lapic);       /* UID */
				CHECK_EQ(e[3], nr_lapic);       /* APIC id */
				CHECK_EQ(rd32(e + 4), 1);       /* enabled */
				nr_lapic++;
				break;
			case 1:
				CHECK_EQ(e[1], 12);
				CHECK_EQ(e[2], 0);
				CHECK_EQ(rd32(e + 4), LAYOUT_IOAPIC_GPA);
				CHECK_EQ(rd32(e + 8), 0);
				nr_ioapic++;
				break;
			case 4:
				CHECK_EQ(e[1], 6);
				CHECK_EQ(e[2], 0xff);
				CHECK_EQ(e[5], 1);              /* LINT1 */
				nr_nmi++;
				break;
			default:
				CHECK(!"unexpected MADT entry type");
			}
		}
		CHECK(e == end);
		CHECK_EQ(nr_lapic, n);
		CHECK_EQ(nr_ioapic, 1);
		CHECK_EQ(nr_nmi, 1);
	}
}

/* PCI Firmware Spec 4.1.2: 8 reserved bytes, then one 16-byte allocation. */
static void test_mcfg(void)
{
	const uint8_t *m;
	struct tables t;

	CHECK_EQ(build(2, LAYOUT_ACPI_GPA, &t), 0);
	if (!t.mcfg)
		return;
	m = buf + t.mcfg;
	check_header(t.mcfg, "MCFG", 1);
	CHECK_EQ(rd32(m + 4), 44 + 16);
	CHECK_EQ(rd64(m + 36), 0);
	CHECK_EQ(rd64(m + 44), LAYOUT_PCI_ECAM_GPA);
	CHECK_EQ(rd16(m + 52), 0);              /* segment */
	CHECK_EQ(m[54], 0);                     /* start bus */
	CHECK_EQ(m[55], 0);                     /* end bus */
	CHECK_EQ(rd32(m + 56), 0);
	/* The window holds exactly bus 0 (1 MiB per bus). */
	CHECK_EQ(LAYOUT_PCI_ECAM_SIZE, 1u << 20);
}

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/*
 * The PCI0 root bridge: ids, bus range, config ports, both BAR windows, and
 * the ECAM reservation, as resource descriptor bytes built from layout.h.
 */
static void check_dsdt_pci(const uint8_t *d, uint32_t len)
{
	const uint8_t pnp0a08[] = { 0x41, 0xd0, 0x0a, 0x08 };
	const uint8_t pnp0a03[] = { 0x41, 0xd0, 0x0a, 0x03 };
	const uint8_t pnp0c02[] = { 0x41, 0xd0, 0x0c, 0x02 };
	const uint8_t seg[] = { '_', 'S', 'E', 'G', 0x00 };     /* ZeroOp */
	const uint8_t bbn[] = { '_', 'B', 'B', 'N', 0x00 };
	/* Word address space, bus number type 2, MinFixed|MaxFixed, 0..0, length 1. */
	const uint8_t bus[] = { 0x88, 0x0d, 0x00, 0x02, 0x0c, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x00 };
	const uint8_t cf8_io[] = { 0x47, 0x01, 0xf8, 0x0c, 0xf8, 0x0c, 0x01, 0x08 };
	/* DWord memory, MinFixed|MaxFixed, non-cacheable read-write. */
	uint8_t window[26] = { 0x87, 0x17, 0x00, 0x00, 0x0c, 0x01 };
	uint8_t window2[26] = { 0x87, 0x17, 0x00, 0x00, 0x0c, 0x01 };
	/* Memory32Fixed, read-write. */
	uint8_t ecam[12] = { 0x86, 0x09, 0x00, 0x01 };
	const uint8_t prt[] = { '_', 'P', 'R', 'T' };

	put32(window + 10, (uint32_t)LAYOUT_PCI_MMIO_GPA);
	put32(window + 14, (uint32_t)(LAYOUT_PCI_MMIO_GPA + LAYOUT_PCI_MMIO_SIZE - 1));
	put32(window + 22, (uint32_t)LAYOUT_PCI_MMIO_SIZE);
	put32(window2 + 10, (uint32_t)LAYOUT_PCI_MMIO2_GPA);
	put32(window2 + 14, (uint32_t)(LAYOUT_PCI_MMIO2_GPA + LAYOUT_PCI_MMIO2_SIZE - 1));
	put32(window2 + 22, (uint32_t)LAYOUT_PCI_MMIO2_SIZE);
	put32(ecam + 4, (uint32_t)LAYOUT_PCI_ECAM_GPA);
	put32(ecam + 8, (uint32_t)LAYOUT_PCI_ECAM_SIZE);
	CHECK(mem_contains(d, len, "PCI0", 4));
	CHECK(mem_contains(d, len, pnp0a08, sizeof(pnp0a08)));
	CHECK(mem_contains(d, len, pnp0a03, sizeof(pnp0a03)));
	CHECK(mem_contains(d, len, pnp0c02, sizeof(pnp0c02)));
	CHECK(mem_contains(d, len, seg, sizeof(seg)));
	CHECK(mem_contains(d, len, bbn, sizeof(bbn)));
	CHECK(mem_contains(d, len, bus, sizeof(bus)));
	CHECK(mem_contains(d, len, cf8_io, sizeof(cf8_io)));
	CHECK(mem_contains(d, len, window, sizeof(window)));
	CHECK(mem_contains(d, len, window2, sizeof(window2)));
	CHECK(mem_contains(d, len, ecam, sizeof(ecam)));
	CHECK(!mem_contains(d, len, prt, sizeof(prt)));         /* MSI-X only */
}

/*
 * The GED (ACPI0013) with one extended interrupt descriptor for
 * LAYOUT_GSI_GED, its _EVT, and the PNP0C0C power button it notifies.
 */
static void check_dsdt_ged(const uint8_t *d, uint32_t len)
{
	/* StringPrefix "ACPI0013" NUL: _HID as a string, not an EisaId. */
	const uint8_t ged_hid[] = { 0x0d, 'A', 'C', 'P', 'I', '0', '0', '1', '3', 0x00 };
	const uint8_t pnp0c0c[] = { 0x41, 0xd0, 0x0c, 0x0c };
	/* Extended interrupt, length 6: consumer | edge, active high, exclusive; one GSI. */
	const uint8_t irq[] = { 0x89, 0x06, 0x00, 0x03, 0x01, LAYOUT_GSI_GED & 0xff,
				(LAYOUT_GSI_GED >> 8) & 0xff, 0, 0 };
	/* Notify (PWRB, 0x80): NotifyOp, name, BytePrefix 0x80. */
	const uint8_t notify[] = { 0x86, 'P', 'W', 'R', 'B', 0x0a, 0x80 };
	const uint8_t evt[] = { '_', 'E', 'V', 'T' };

	CHECK(mem_contains(d, len, ged_hid, sizeof(ged_hid)));
	CHECK(mem_contains(d, len, pnp0c0c, sizeof(pnp0c0c)));
	CHECK(mem_contains(d, len, irq, sizeof(irq)));
	CHECK(mem_contains(d, len, evt, sizeof(evt)));
	CHECK(mem_contains(d, len, notify, sizeof(notify)));
	/* A free ISA pin: not COM1's, COM2's, the RTC's or the i8042's. */
	CHECK(LAYOUT_GSI_GED < 16);
	CHECK(LAYOUT_GSI_GED != LAYOUT_IRQ_COM1 && LAYOUT_GSI_GED != LAYOUT_IRQ_COM2);
	CHECK(LAYOUT_GSI_GED != LAYOUT_IRQ_RTC && LAYOUT_GSI_GED != 1);
}

/*
 * The VM generation ID: the GED's second interrupt descriptor and the
 * _EVT branch notifying VGEN on it; VGEN's _CID, and ADDR, a package of
 * two integers (low, high) giving LAYOUT_VMGENID_GPA, which lies in the
 * e820-reserved window below the ACPI tables.
 */
static void check_dsdt_vmgenid(const uint8_t *d, uint32_t len)
{
	const uint8_t irq[] = { 0x89, 0x06, 0x00, 0x03, 0x01, LAYOUT_GSI_GED_VMGENID & 0xff,
				(LAYOUT_GSI_GED_VMGENID >> 8) & 0xff, 0, 0 };
	/* If (LEqual (Arg0, BytePrefix GSI)) ... Notify (VGEN, 0x80). */
	const uint8_t test[] = { 0x93, 0x68, 0x0a, LAYOUT_GSI_GED_VMGENID };
	const uint8_t notify[] = { 0x86, 'V', 'G', 'E', 'N', 0x0a, 0x80 };
	const uint8_t cid[] = "\x0dVM_Gen_Counter";
	/* ADDR: PackageOp, PkgLength 8, 2 elements, DWordPrefix address, Zero. */
	const uint8_t addr[] = { 'A', 'D', 'D', 'R', 0x12, 0x08, 0x02, 0x0c,
				 LAYOUT_VMGENID_GPA & 0xff, (LAYOUT_VMGENID_GPA >> 8) & 0xff,
				 (LAYOUT_VMGENID_GPA >> 16) & 0xff, (LAYOUT_VMGENID_GPA >> 24) & 0xff, 0x00 };

	CHECK(mem_contains(d, len, irq, sizeof(irq)));
	CHECK(mem_contains(d, len, test, sizeof(test)));
	CHECK(mem_contains(d, len, notify, sizeof(notify)));
	CHECK(mem_contains(d, len, cid, sizeof(cid)));     /* with the NUL */
	CHECK(mem_contains(d, len, addr, sizeof(addr)));
	CHECK(LAYOUT_VMGENID_GPA >= LAYOUT_EBDA_GPA && LAYOUT_VMGENID_GPA + 4096 <= LAYOUT_ACPI_GPA);
	CHECK(LAYOUT_VMGENID_GPA % 4096 == 0);
	CHECK(LAYOUT_GSI_GED_VMGENID < 16 && LAYOUT_GSI_GED_VMGENID != LAYOUT_GSI_GED);
	CHECK(LAYOUT_GSI_GED_VMGENID != LAYOUT_IRQ_COM1 && LAYOUT_GSI_GED_VMGENID != LAYOUT_IRQ_COM2);
	CHECK(LAYOUT_GSI_GED_VMGENID != LAYOUT_IRQ_RTC && LAYOUT_GSI_GED_VMGENID != 1);
}

static void test_dsdt(void)
{
	/* IO (Decode16, min, max, align 1, len) and IRQNoFlags masks, from layout.h. */
	const uint8_t com1_io[] = { 0x47, 0x01, LAYOUT_PORT_COM1 & 0xff, LAYOUT_PORT_COM1 >> 8,
				    LAYOUT_PORT_COM1 & 0xff, LAYOUT_PORT_COM1 >> 8, 0x01, 0x08 };
	const uint8_t com1_irq[] = { 0x22, (1u << LAYOUT_IRQ_COM1) & 0xff, (1u << LAYOUT_IRQ_COM1) >> 8 };
	const uint8_t rtc_io[] = { 0x47, 0x01, LAYOUT_PORT_CMOS & 0xff, LAYOUT_PORT_CMOS >> 8,
				   LAYOUT_PORT_CMOS & 0xff, LAYOUT_PORT_CMOS >> 8, 0x01, 0x02 };
	const uint8_t rtc_irq[] = { 0x22, (1u << LAYOUT_IRQ_RTC) & 0xff, (1u << LAYOUT_IRQ_RTC) >> 8 };
	/* EisaId("PNPxxxx") as the 32-bit compressed id AML stores. */
	const uint8_t pnp0501[] = { 0x41, 0xd0, 0x05, 0x01 };
	const uint8_t pnp0b00[] = { 0x41, 0xd0, 0x0b, 0x00 };
	const uint8_t pnp0303[] = { 0x41, 0xd0, 0x03, 0x03 };
	/* _S5_: PackageOp, PkgLength, 4 elements, BytePrefix SLP_TYP. */
	const uint8_t s5[] = { '_', 'S', '5', '_', 0x12 };
	const uint8_t s5_typ[] = { 0x04, 0x0a, LAYOUT_ACPI_SLP_TYP_S5 };
	struct tables t;
	const uint8_t *d;
	uint32_t len;

	CHECK_EQ(build(1, LAYOUT_ACPI_GPA, &t), 0);
	if (!t.dsdt)
		return;
	d = buf + t.dsdt;
	len = rd32(d + 4);
	check_header(t.dsdt, "DSDT", 2);
	CHECK(mem_contains(d, len, s5, sizeof(s5)));
	CHECK(mem_contains(d, len, s5_typ, sizeof(s5_typ)));
	CHECK(mem_contains(d, len, com1_io, sizeof(com1_io)));
	CHECK(mem_contains(d, len, com1_irq, sizeof(com1_irq)));
	CHECK(mem_contains(d, len, rtc_io, sizeof(rtc_io)));
	CHECK(mem_contains(d, len, rtc_irq, sizeof(rtc_irq)));
	CHECK(mem_contains(d, len, pnp0501, sizeof(pnp0501)));
	CHECK(mem_contains(d, len, pnp0b00, sizeof(pnp0b00)));
	CHECK(!mem_contains(d, len, pnp0303, sizeof(pnp0303)));
	check_dsdt_pci(d, len);
	check_dsdt_ged(d, len);
	check_dsdt_vmgenid(d, len);
}

/* Pointers are guest-physical: moving base_gpa moves them all, bytes aside. */
static void test_base_gpa(void)
{
	static uint8_t first[BUF_LEN];
	const uint64_t base = 0x12340000;
	struct tables a, b;

	CHECK_EQ(build(16, LAYOUT_ACPI_GPA, &a), 0);
	memcpy(first, buf, BUF_LEN);
	CHECK_EQ(build(16, base, &b), 0);
	CHECK_EQ(a.xsdt, b.xsdt);
	CHECK_EQ(a.fadt, b.fadt);
	CHECK_EQ(a.madt, b.madt);
	CHECK_EQ(a.mcfg, b.mcfg);
	CHECK_EQ(a.dsdt, b.dsdt);
	CHECK_EQ(rd64(buf + 24), base + b.xsdt);
	CHECK_EQ(rd64(buf + b.fadt + 140), base + b.dsdt);
	/* MADT and DSDT do not hold pointers into the buffer. */
	CHECK(!memcmp(first + a.madt, buf + b.madt, rd32(buf + b.madt + 4)));
	CHECK(!memcmp(first + a.dsdt, buf + b.dsdt, rd32(buf + b.dsdt + 4)));
}

/* The largest configuration fits the window layout.h reserves. */
static void test_fits_layout(void)
{
	struct acpi_config cfg = { .nr_cpus = LAYOUT_MAX_CPUS };
	uint64_t rsdp_gpa;

	CHECK_EQ(acpi_build(buf, BUF_LEN, LAYOUT_ACPI_GPA, &cfg, &rsdp_gpa), 0);
	CHECK(BUF_LEN <= LAYOUT_ACPI_SIZE);
	CHECK(LAYOUT_ACPI_GPA + LAYOUT_ACPI_SIZE <= LAYOUT_HIGH_MEM_GPA);
}

static void test_errors(void)
{
	struct acpi_config cfg = { .nr_cpus = 1 };
	uint64_t rsdp_gpa = 0x1234;

	cfg.nr_cpus = 0;
	CHECK_EQ(acpi_build(buf, BUF_LEN, LAYOUT_ACPI_GPA, &cfg, &rsdp_gpa), -EINVAL);
	cfg.nr_cpus = LAYOUT_MAX_CPUS + 1;
	CHECK_EQ(acpi_build(buf, BUF_LEN, LAYOUT_ACPI_GPA, &cfg, &rsdp_gpa), -EINVAL);
	cfg.nr_cpus = UINT32_MAX;
	CHECK_EQ(acpi_build(buf, BUF_LEN, LAYOUT_ACPI_GPA, &cfg, &rsdp_gpa), -EINVAL);
	cfg.nr_cpus = 1;
	CHECK_EQ(acpi_build(buf, BUF_LEN, LAYOUT_ACPI_GPA + 8, &cfg, &rsdp_gpa), -EINVAL);
	CHECK_EQ(acpi_build(buf, BUF_LEN, UINT64_MAX - 15, &cfg, &rsdp_gpa), -EINVAL);
	CHECK_EQ(acpi_build(NULL, BUF_LEN, LAYOUT_ACPI_GPA, &cfg, &rsdp_gpa), -EINVAL);
	CHECK_EQ(acpi_build(buf, BUF_LEN, LAYOUT_ACPI_GPA, NULL, &rsdp_gpa), -EINVAL);
	CHECK_EQ(acpi_build(buf, BUF_LEN, LAYOUT_ACPI_GPA, &cfg, NULL), -EINVAL);
	CHECK_EQ(rsdp_gpa, 0x1234);     /* untouched on failure */
}

/*
 * Every buffer size below what a configuration needs fails with -ENOSPC and
 * leaves the bytes past buf_len alone; the first size that works is enough.
 */
static void test_too_small(void)
{
	for (size_t i = 0; i < NR_CPU_COUNTS; i++) {
		struct acpi_config cfg = { .nr_cpus = cpu_counts[i] };
		uint64_t rsdp_gpa;
		size_t len;
		int ret = -ENOSPC;

		for (len = 0; len <= BUF_LEN; len++) {
			memset(buf, GUARD_BYTE, sizeof(buf));
			ret = acpi_build(buf, len, LAYOUT_ACPI_GPA, &cfg, &rsdp_gpa);
			for (size_t g = len; g < len + GUARD_LEN; g++)
				if (buf[g] != GUARD_BYTE) {
					CHECK(!"wrote past buf_len");
					break;
				}
			if (ret != -ENOSPC)
				break;
		}
		CHECK_EQ(ret, 0);
		/* The minimal buffer still yields valid tables. */
		CHECK(len > 36 + 276);
		CHECK_EQ(sum8(buf, 36), 0);
	}
}

TEST_MAIN(test_rsdp, test_xsdt, test_checksums, test_fadt, test_madt, test_mcfg, test_dsdt,
	  test_base_gpa, test_fits_layout, test_errors, test_too_small)
