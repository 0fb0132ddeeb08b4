/* SPDX-License-Identifier: MIT */
/* Common ACPI table header and checksum helpers. */
#include "arch/x86/acpi/acpi_tables.h"

#include <string.h>

void acpi_table_init_header(struct acpi_table_header *hdr, const char signature[4],
			    uint32_t length, uint8_t revision)
{
	memset(hdr, 0, sizeof(*hdr));
	memcpy(hdr->signature, signature, sizeof(hdr->signature));
	hdr->length = length;
	hdr->revision = revision;
	memcpy(hdr->oem_id, ACPI_OEM_ID, sizeof(hdr->oem_id));
	memcpy(hdr->oem_table_id, ACPI_OEM_TABLE_ID, sizeof(hdr->oem_table_id));
	hdr->oem_revision = ACPI_OEM_REVISION;
	memcpy(hdr->creator_id, ACPI_CREATOR_ID, sizeof(hdr->creator_id));
	hdr->creator_revision = ACPI_CREATOR_REVISION;
}

uint8_t acpi_checksum(const void *data, size_t len)
{
	const uint8_t *p = data;
	uint8_t sum = 0;

	for (size_t i = 0; i < len; i++)
		sum += p[i];
	return (uint8_t)-sum;
}

void acpi_table_set_checksum(void *table, size_t len)
{
	uint8_t *p = table;

	p[offsetof(struct acpi_table_header, checksum)] = 0;
	p[offsetof(struct acpi_table_header, checksum)] = acpi_checksum(p, len);
}
