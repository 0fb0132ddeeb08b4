/* SPDX-License-Identifier: MIT */
/*
 * Lays the ACPI tables out back to back in one buffer:
 *
 *   RSDP (rev 2) -> XSDT -> { FADT -> DSDT, MADT, MCFG }
 *
 * Sizes are known up front (the MADT grows with nr_cpus, the DSDT is the
 * build-time AML), so the whole layout is checked against buf_len before
 * anything is written.
 */
#include "arch/x86/acpi/acpi.h"
#include "arch/x86/acpi/acpi_tables.h"
#include "arch/x86/layout.h"

#include <errno.h>
#include <string.h>

#define ACPI_TABLE_ALIGN        16      /* RSDP must be; the rest for tidiness */
#define ACPI_XSDT_REVISION      1
#define ACPI_XSDT_ENTRIES       3       /* FADT, MADT, MCFG */

struct acpi_layout {
	size_t xsdt;
	size_t fadt;
	size_t madt;
	size_t mcfg;
	size_t dsdt;
	size_t end;
};

static size_t acpi_align(size_t off)
{
	return (off + ACPI_TABLE_ALIGN - 1) & ~(size_t)(ACPI_TABLE_ALIGN - 1);
}

static size_t acpi_xsdt_size(void)
{
	return sizeof(struct acpi_table_header) + ACPI_XSDT_ENTRIES * sizeof(uint64_t);
}

static void acpi_plan_layout(struct acpi_layout *l, uint32_t nr_cpus)
{
	l->xsdt = acpi_align(sizeof(struct acpi_rsdp));
	l->fadt = acpi_align(l->xsdt + acpi_xsdt_size());
	l->madt = acpi_align(l->fadt + acpi_fadt_size());
	l->mcfg = acpi_align(l->madt + acpi_madt_size(nr_cpus));
	l->dsdt = acpi_align(l->mcfg + acpi_mcfg_size());
	l->end = l->dsdt + acpi_dsdt_aml_len;
}

static void acpi_rsdp_write(void *dst, uint64_t xsdt_gpa)
{
	struct acpi_rsdp rsdp;

	memset(&rsdp, 0, sizeof(rsdp));
	memcpy(rsdp.signature, "RSD PTR ", sizeof(rsdp.signature));
	memcpy(rsdp.oem_id, ACPI_OEM_ID, sizeof(rsdp.oem_id));
	rsdp.revision = 2;
	rsdp.rsdt_address = 0;  /* XSDT only; every OS we target reads it */
	rsdp.length = sizeof(rsdp);
	rsdp.xsdt_address = xsdt_gpa;
	rsdp.checksum = acpi_checksum(&rsdp, ACPI_RSDP_V1_SIZE);
	rsdp.extended_checksum = acpi_checksum(&rsdp, sizeof(rsdp));
	memcpy(dst, &rsdp, sizeof(rsdp));
}

static void acpi_xsdt_write(void *dst, uint64_t fadt_gpa, uint64_t madt_gpa, uint64_t mcfg_gpa)
{
	const uint64_t entries[ACPI_XSDT_ENTRIES] = { fadt_gpa, madt_gpa, mcfg_gpa };
	struct acpi_table_header hdr;
	uint8_t *p = dst;

	acpi_table_init_header(&hdr, "XSDT", (uint32_t)acpi_xsdt_size(), ACPI_XSDT_REVISION);
	memcpy(p, &hdr, sizeof(hdr));
	memcpy(p + sizeof(hdr), entries, sizeof(entries));
	acpi_table_set_checksum(dst, acpi_xsdt_size());
}

/*
 * The AML already carries its header from DefinitionBlock(); the creator
 * fields are overwritten so the tables do not depend on the host's iasl
 * version (same bytes on every build host) and match the other tables.
 */
static void acpi_dsdt_write(void *dst)
{
	struct acpi_table_header hdr;

	memcpy(dst, acpi_dsdt_aml, acpi_dsdt_aml_len);
	memcpy(&hdr, dst, sizeof(hdr));
	memcpy(hdr.creator_id, ACPI_CREATOR_ID, sizeof(hdr.creator_id));
	hdr.creator_revision = ACPI_CREATOR_REVISION;
	memcpy(dst, &hdr, sizeof(hdr));
	acpi_table_set_checksum(dst, acpi_dsdt_aml_len);
}

int acpi_build(void *buf, size_t buf_len, uint64_t base_gpa,
	       const struct acpi_config *cfg, uint64_t *rsdp_gpa)
{
	struct acpi_layout l;
	uint8_t *p = buf;

	if (!buf || !cfg || !rsdp_gpa)
		return -EINVAL;
	if (cfg->nr_cpus == 0 || cfg->nr_cpus > LAYOUT_MAX_CPUS)
		return -EINVAL;
	/* The RSDP sits at base_gpa and must be 16-byte aligned. */
	if (base_gpa % ACPI_TABLE_ALIGN || base_gpa + buf_len < base_gpa)
		return -EINVAL;

	acpi_plan_layout(&l, cfg->nr_cpus);
	if (l.end > buf_len)
		return -ENOSPC;

	memset(p, 0, l.end);
	acpi_dsdt_write(p + l.dsdt);
	acpi_fadt_write(p + l.fadt, base_gpa + l.dsdt);
	acpi_madt_write(p + l.madt, cfg->nr_cpus);
	acpi_mcfg_write(p + l.mcfg);
	acpi_xsdt_write(p + l.xsdt, base_gpa + l.fadt, base_gpa + l.madt, base_gpa + l.mcfg);
	acpi_rsdp_write(p, base_gpa + l.xsdt);

	*rsdp_gpa = base_gpa;
	return 0;
}
