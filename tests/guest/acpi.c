// SPDX-License-Identifier: MIT
/* RSDP -> XSDT/RSDT -> FADT, MADT, DSDT(_S5_). Runs in user mode. */
#include "acpi.h"
#include "lib.h"
#include "sys.h"
#include "con.h"

#define FADT_FLAG_RESET_REG_SUP	(1u << 10)
#define FADT_FLAG_HW_REDUCED	(1u << 20)

struct acpi_info acpi;

static const uint8_t *acpi_ptr(uint64_t gpa)
{
	return (const uint8_t *)(uintptr_t)gpa;
}

static uint32_t rd32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static uint64_t rd64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

static bool acpi_sum_ok(const uint8_t *p, uint32_t len)
{
	uint8_t sum = 0;

	while (len--)
		sum += *p++;
	return sum == 0;
}

static bool acpi_rsdp_valid(const uint8_t *p)
{
	if (memcmp(p, "RSD PTR ", 8) || !acpi_sum_ok(p, 20))
		return false;
	return p[15] < 2 || acpi_sum_ok(p, rd32(p + 20) < 36 ? 36 : rd32(p + 20));
}

static uint64_t acpi_find_rsdp(uint64_t hint)
{
	uint64_t gpa;

	if (hint && acpi_rsdp_valid(acpi_ptr(hint)))
		return hint;
	for (gpa = 0xe0000; gpa < 0x100000; gpa += 16)
		if (acpi_rsdp_valid(acpi_ptr(gpa)))
			return gpa;
	return 0;
}

/* Checks a table's checksum; records failures in acpi.checksums_ok. */
static const uint8_t *acpi_table(uint64_t gpa)
{
	const uint8_t *t = acpi_ptr(gpa);
	uint32_t len;

	if (!gpa)
		return NULL;
	len = rd32(t + 4);
	if (len < 36 || !acpi_sum_ok(t, len)) {
		acpi.checksums_ok = false;
		return len < 36 ? NULL : t;
	}
	return t;
}

static void acpi_gas_parse(struct acpi_gas *gas, const uint8_t *p)
{
	gas->space_id = p[0];
	gas->bit_width = p[1];
	gas->bit_offset = p[2];
	gas->access_size = p[3];
	gas->address = rd64(p + 4);
}

/* Decode the first element of the \_S5_ package: SLP_TYPa. */
static void acpi_parse_s5(const uint8_t *dsdt)
{
	uint32_t len = rd32(dsdt + 4);
	uint32_t i;

	for (i = 36; i + 8 < len; i++) {
		const uint8_t *p = dsdt + i;
		uint32_t pkglen_bytes;

		if (memcmp(p, "_S5_", 4) || p[4] != 0x12)
			continue;
		pkglen_bytes = (p[5] >> 6) + 1;
		p += 5 + pkglen_bytes + 1;	/* PkgLength, NumElements */
		if (p + 2 > dsdt + len)
			return;
		if (p[0] == 0x0a)		/* BytePrefix */
			acpi.s5_typ = p[1];
		else if (p[0] == 0x00 || p[0] == 0x01)	/* ZeroOp, OneOp */
			acpi.s5_typ = p[0];
		else
			return;
		acpi.have_s5 = true;
		return;
	}
}

static void acpi_parse_fadt(const uint8_t *f)
{
	uint32_t len = rd32(f + 4);
	uint64_t dsdt = rd32(f + 40);
	const uint8_t *d;

	acpi.have_fadt = true;
	if (len >= 116)
		acpi.fadt_flags = rd32(f + 112);
	acpi.hw_reduced = acpi.fadt_flags & FADT_FLAG_HW_REDUCED;
	acpi.pm1a_cnt = rd32(f + 64);
	acpi.pm1b_cnt = rd32(f + 68);
	if (len >= 129) {
		acpi_gas_parse(&acpi.reset_reg, f + 116);
		acpi.reset_value = f[128];
	}
	if (len >= 148 && rd64(f + 140))
		dsdt = rd64(f + 140);
	/* X_PM1a/b_CNT_BLK if present and in I/O space. */
	if (len >= 184 && f[172] == 1 && rd64(f + 176))
		acpi.pm1a_cnt = (uint32_t)rd64(f + 176);
	if (len >= 196 && f[184] == 1 && rd64(f + 188))
		acpi.pm1b_cnt = (uint32_t)rd64(f + 188);
	if (len >= 256)
		acpi_gas_parse(&acpi.sleep_ctl, f + 244);

	d = acpi_table(dsdt);
	if (d && !memcmp(d, "DSDT", 4)) {
		acpi.dsdt_gpa = dsdt;
		acpi_parse_s5(d);
	}
}

static void acpi_parse_madt(const uint8_t *m)
{
	uint32_t len = rd32(m + 4);
	uint32_t off;

	acpi.lapic_gpa = rd32(m + 36);
	for (off = 44; off + 2 <= len; off += m[off + 1]) {
		const uint8_t *e = m + off;

		if (e[1] < 2)
			break;
		switch (e[0]) {
		case 0:		/* processor local APIC */
			if ((rd32(e + 4) & 1) && acpi.cpu_count < GUEST_MAX_CPUS)
				acpi.apic_ids[acpi.cpu_count++] = e[3];
			break;
		case 1:		/* IOAPIC */
			if (!acpi.ioapic_gpa) {
				acpi.ioapic_gpa = rd32(e + 4);
				acpi.ioapic_gsi_base = rd32(e + 8);
			}
			break;
		case 2:		/* interrupt source override */
			if (e[2] == 0 && e[3] == COM1_ISA_IRQ) {
				acpi.com1_gsi = rd32(e + 4);
				acpi.com1_flags = e[8] | e[9] << 8;
			}
			break;
		case 5:		/* local APIC address override */
			acpi.lapic_gpa = rd64(e + 4);
			break;
		case 9:		/* processor local x2APIC */
			if ((rd32(e + 8) & 1) && acpi.cpu_count < GUEST_MAX_CPUS)
				acpi.apic_ids[acpi.cpu_count++] = rd32(e + 4);
			break;
		default:
			break;
		}
	}
}

/* MCFG: 8 reserved bytes, then {base u64, segment u16, start bus, end bus, u32}. */
static void acpi_parse_mcfg(const uint8_t *m)
{
	uint32_t len = rd32(m + 4);
	uint32_t off;

	for (off = 44; off + 16 <= len; off += 16) {
		const uint8_t *e = m + off;

		if (e[8] | e[9] || e[10] > e[11] || !rd64(e))
			continue;
		/* The base always addresses bus 0, even if start_bus is higher. */
		acpi.mcfg_gpa = rd64(e);
		acpi.mcfg_bus_start = e[10];
		acpi.mcfg_bus_end = e[11];
		return;
	}
}

void acpi_scan(uint64_t rsdp_hint)
{
	const uint8_t *rsdp, *root;
	uint32_t entry_size, i, n;
	uint64_t root_gpa;

	acpi.checksums_ok = true;
	acpi.com1_gsi = COM1_ISA_IRQ;
	acpi.lapic_gpa = 0xfee00000;
	acpi.rsdp_gpa = acpi_find_rsdp(rsdp_hint);
	if (!acpi.rsdp_gpa) {
		acpi.checksums_ok = false;
		return;
	}
	rsdp = acpi_ptr(acpi.rsdp_gpa);
	memcpy(acpi.oem, rsdp + 9, 6);
	acpi.oem[6] = '\0';
	for (i = 6; i > 0 && acpi.oem[i - 1] == ' '; i--)
		acpi.oem[i - 1] = '\0';

	if (rsdp[15] >= 2 && rd64(rsdp + 24)) {
		root_gpa = rd64(rsdp + 24);
		entry_size = 8;
	} else {
		root_gpa = rd32(rsdp + 16);
		entry_size = 4;
	}
	root = acpi_table(root_gpa);
	if (!root)
		return;
	n = (rd32(root + 4) - 36) / entry_size;
	for (i = 0; i < n; i++) {
		const uint8_t *p = root + 36 + i * entry_size;
		uint64_t gpa = entry_size == 8 ? rd64(p) : rd32(p);
		const uint8_t *t = acpi_table(gpa);

		if (!t)
			continue;
		if (acpi.table_count < ACPI_MAX_TABLES) {
			memcpy(acpi.tables[acpi.table_count], t, 4);
			acpi.tables[acpi.table_count++][4] = '\0';
		}
		if (!memcmp(t, "FACP", 4))
			acpi_parse_fadt(t);
		else if (!memcmp(t, "APIC", 4))
			acpi_parse_madt(t);
		else if (!memcmp(t, "MCFG", 4))
			acpi_parse_mcfg(t);
	}
}

int acpi_gas_write(const struct acpi_gas *gas, uint64_t value)
{
	uint32_t width = gas->bit_width;

	if (!gas->address)
		return -1;
	if (!width)
		width = gas->access_size ? 8u << (gas->access_size - 1) : 8;
	if (gas->space_id == 1) {
		uint16_t port = (uint16_t)gas->address;

		if (width <= 8)
			outb(port, (uint8_t)value);
		else if (width <= 16)
			outw(port, (uint16_t)value);
		else
			outl(port, (uint32_t)value);
		return 0;
	}
	if (gas->space_id == 0) {
		volatile void *p = (volatile void *)(uintptr_t)gas->address;

		if (width <= 8)
			*(volatile uint8_t *)p = (uint8_t)value;
		else if (width <= 16)
			*(volatile uint16_t *)p = (uint16_t)value;
		else if (width <= 32)
			*(volatile uint32_t *)p = (uint32_t)value;
		else
			*(volatile uint64_t *)p = value;
		return 0;
	}
	return -1;
}
