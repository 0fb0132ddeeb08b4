/* SPDX-License-Identifier: MIT */
/*
 * The tables as fw_cfg files plus the linker/loader script (see
 * acpi_loader.h). acpi_build() lays them out at guest address 0, so every
 * pointer in them is an offset; the walk below finds each pointer by
 * following the RSDP, the XSDT and the FADT (the only tables that point at
 * others), rebases it onto the tables file and asks the firmware to add the
 * file's address.
 */
#include "arch/x86/acpi/acpi_loader.h"
#include "arch/x86/acpi/acpi_tables.h"
#include "arch/x86/layout.h"

#include <endian.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define LOADER_MAX_CMDS         32
#define LOADER_MAX_POINTERS     16
#define LOADER_TABLES_ALIGN     64
#define LOADER_RSDP_ALIGN       16

struct loader_pointer {
	size_t field;       /* offset of the pointer in the built buffer */
	uint8_t size;       /* 4 or 8 bytes */
	size_t table;       /* offset of the table that holds it */
};

struct loader_walk {
	const uint8_t *buf;
	size_t buf_len;
	size_t base;        /* the XSDT: where the tables file starts */
	size_t end;         /* one past the last table byte seen */
	struct loader_pointer ptrs[LOADER_MAX_POINTERS];
	unsigned int nr_ptrs;
};

static uint64_t loader_get(const uint8_t *p, uint8_t size)
{
	uint64_t v = 0;

	memcpy(&v, p, size);
	return le64toh(v);
}

static void loader_put(uint8_t *p, uint64_t v, uint8_t size)
{
	v = htole64(v);
	memcpy(p, &v, size);
}

/* The length of the table at off, if its header and body lie in the buffer; else 0. */
static size_t loader_table_len(struct loader_walk *w, uint64_t off)
{
	struct acpi_table_header hdr;

	if (off >= w->buf_len || w->buf_len - off < sizeof(hdr))
		return 0;
	memcpy(&hdr, w->buf + off, sizeof(hdr));
	if (le32toh(hdr.length) < sizeof(hdr) || le32toh(hdr.length) > w->buf_len - off)
		return 0;
	if (off + le32toh(hdr.length) > w->end)
		w->end = off + le32toh(hdr.length);
	return le32toh(hdr.length);
}

/* Records the pointer at field (inside table) to a table, which must be whole in the buffer. */
static int loader_note_pointer(struct loader_walk *w, size_t table, size_t field, uint8_t size)
{
	uint64_t target = loader_get(w->buf + field, size);

	if (!target)
		return 0;               /* an absent optional table (the FADT's FACS) */
	if (target < w->base || !loader_table_len(w, target) || w->nr_ptrs == LOADER_MAX_POINTERS)
		return -EINVAL;
	w->ptrs[w->nr_ptrs++] = (struct loader_pointer){ .field = field, .size = size, .table = table };
	return 0;
}

/* The FADT points at the DSDT (32- and 64-bit fields) and, if there is one, the FACS. */
static int loader_walk_fadt(struct loader_walk *w, size_t fadt, size_t len)
{
	static const struct { size_t off; uint8_t size; } fields[] = {
		{ offsetof(struct acpi_fadt, firmware_ctrl), 4 },
		{ offsetof(struct acpi_fadt, dsdt), 4 },
		{ offsetof(struct acpi_fadt, x_firmware_ctrl), 8 },
		{ offsetof(struct acpi_fadt, x_dsdt), 8 },
	};
	int ret;

	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		if (fields[i].off + fields[i].size > len)
			continue;       /* an older, shorter FADT */
		ret = loader_note_pointer(w, fadt, fadt + fields[i].off, fields[i].size);
		if (ret)
			return ret;
	}
	return 0;
}

/* From the RSDP at offset 0: the XSDT, each table it lists, and what the FADT points at. */
static int loader_walk(struct loader_walk *w, uint64_t *xsdt_out)
{
	struct acpi_rsdp rsdp;
	uint64_t xsdt;
	size_t len;
	int ret;

	memcpy(&rsdp, w->buf, sizeof(rsdp));
	xsdt = le64toh(rsdp.xsdt_address);
	len = loader_table_len(w, xsdt);
	if (!len || xsdt < sizeof(rsdp))
		return -EINVAL;
	w->base = xsdt;
	for (size_t field = xsdt + sizeof(struct acpi_table_header); field + 8 <= xsdt + len; field += 8) {
		uint64_t table = loader_get(w->buf + field, 8);
		size_t table_len;

		ret = loader_note_pointer(w, xsdt, field, 8);
		if (ret)
			return ret;
		if (!table)
			continue;
		table_len = loader_table_len(w, table);
		if (!memcmp(w->buf + table, "FACP", 4)) {
			ret = loader_walk_fadt(w, table, table_len);
			if (ret)
				return ret;
		}
	}
	*xsdt_out = xsdt;
	return 0;
}

struct loader_script {
	struct acpi_loader_cmd cmds[LOADER_MAX_CMDS];
	unsigned int n;
};

static struct acpi_loader_cmd *loader_cmd(struct loader_script *s, uint32_t command)
{
	struct acpi_loader_cmd *c;

	if (s->n == LOADER_MAX_CMDS)
		return NULL;
	c = &s->cmds[s->n++];
	memset(c, 0, sizeof(*c));
	c->command = htole32(command);
	return c;
}

static int loader_allocate(struct loader_script *s, const char *file, uint32_t align, uint8_t zone)
{
	struct acpi_loader_cmd *c = loader_cmd(s, ACPI_LOADER_CMD_ALLOCATE);

	if (!c)
		return -ENOSPC;
	strncpy(c->alloc.file, file, sizeof(c->alloc.file) - 1);
	c->alloc.align = htole32(align);
	c->alloc.zone = zone;
	return 0;
}

static int loader_add_pointer(struct loader_script *s, const char *dest, const char *src,
			      size_t offset, uint8_t size)
{
	struct acpi_loader_cmd *c = loader_cmd(s, ACPI_LOADER_CMD_ADD_POINTER);

	if (!c)
		return -ENOSPC;
	strncpy(c->pointer.dest_file, dest, sizeof(c->pointer.dest_file) - 1);
	strncpy(c->pointer.src_file, src, sizeof(c->pointer.src_file) - 1);
	c->pointer.offset = htole32((uint32_t)offset);
	c->pointer.size = size;
	return 0;
}

static int loader_add_checksum(struct loader_script *s, const char *file, size_t offset,
			       size_t start, size_t length)
{
	struct acpi_loader_cmd *c = loader_cmd(s, ACPI_LOADER_CMD_ADD_CHECKSUM);

	if (!c)
		return -ENOSPC;
	strncpy(c->cksum.file, file, sizeof(c->cksum.file) - 1);
	c->cksum.offset = htole32((uint32_t)offset);
	c->cksum.start = htole32((uint32_t)start);
	c->cksum.length = htole32((uint32_t)length);
	return 0;
}

/* Rebases the pointers onto the tables file, then writes the script. */
static int loader_script_write(struct loader_script *s, const struct loader_walk *w, uint64_t base,
			       uint8_t *tables, uint8_t *rsdp)
{
	const size_t hdr_checksum = offsetof(struct acpi_table_header, checksum);
	size_t fixed[LOADER_MAX_POINTERS];
	unsigned int nr_fixed = 0;
	int ret;

	ret = loader_allocate(s, ACPI_LOADER_FILE_RSDP, LOADER_RSDP_ALIGN, ACPI_LOADER_ZONE_FSEG);
	if (!ret)
		ret = loader_allocate(s, ACPI_LOADER_FILE_TABLES, LOADER_TABLES_ALIGN, ACPI_LOADER_ZONE_HIGH);
	for (unsigned int i = 0; !ret && i < w->nr_ptrs; i++) {
		const struct loader_pointer *p = &w->ptrs[i];
		uint8_t *field = tables + (p->field - base);
		bool seen = false;

		loader_put(field, loader_get(field, p->size) - base, p->size);
		ret = loader_add_pointer(s, ACPI_LOADER_FILE_TABLES, ACPI_LOADER_FILE_TABLES,
					 p->field - base, p->size);
		for (unsigned int j = 0; j < nr_fixed; j++)
			seen |= fixed[j] == p->table;
		if (!seen)
			fixed[nr_fixed++] = p->table;
	}
	/* Checksums after all pointers: the firmware sums each table as it finally is. */
	for (unsigned int i = 0; !ret && i < nr_fixed; i++) {
		size_t table = fixed[i] - base, len = loader_get(tables + table + 4, 4);

		acpi_table_set_checksum(tables + table, len);
		ret = loader_add_checksum(s, ACPI_LOADER_FILE_TABLES, table + hdr_checksum, table, len);
	}
	/* The RSDP points at the XSDT, which starts the tables file. */
	loader_put(rsdp + offsetof(struct acpi_rsdp, xsdt_address), 0, 8);
	if (!ret)
		ret = loader_add_pointer(s, ACPI_LOADER_FILE_RSDP, ACPI_LOADER_FILE_TABLES,
					 offsetof(struct acpi_rsdp, xsdt_address), 8);
	if (!ret)
		ret = loader_add_checksum(s, ACPI_LOADER_FILE_RSDP, offsetof(struct acpi_rsdp, checksum),
					  0, ACPI_RSDP_V1_SIZE);
	if (!ret)
		ret = loader_add_checksum(s, ACPI_LOADER_FILE_RSDP,
					  offsetof(struct acpi_rsdp, extended_checksum), 0, sizeof(struct acpi_rsdp));
	return ret;
}

int acpi_loader_build(const struct acpi_config *cfg, struct acpi_loader_files *out)
{
	struct loader_walk w = { .buf_len = LAYOUT_ACPI_SIZE };
	struct loader_script *script = NULL;
	uint8_t *buf;
	uint64_t rsdp_gpa, base;
	int ret;

	memset(out, 0, sizeof(*out));
	buf = calloc(1, w.buf_len);
	if (!buf)
		return -ENOMEM;
	w.buf = buf;
	ret = acpi_build(buf, w.buf_len, 0, cfg, &rsdp_gpa);
	if (!ret)
		ret = loader_walk(&w, &base);
	if (ret)
		goto out_free;

	ret = -ENOMEM;
	script = calloc(1, sizeof(*script));
	out->rsdp_len = sizeof(struct acpi_rsdp);
	out->rsdp = malloc(out->rsdp_len);
	out->tables_len = w.end - base;
	out->tables = malloc(out->tables_len);
	if (!script || !out->rsdp || !out->tables)
		goto out_free;
	memcpy(out->rsdp, buf, out->rsdp_len);
	memcpy(out->tables, buf + base, out->tables_len);
	ret = loader_script_write(script, &w, base, out->tables, out->rsdp);
	if (ret)
		goto out_free;
	out->script_len = script->n * sizeof(struct acpi_loader_cmd);
	out->script = malloc(out->script_len);
	if (!out->script) {
		ret = -ENOMEM;
		goto out_free;
	}
	memcpy(out->script, script->cmds, out->script_len);
	free(script);
	free(buf);
	return 0;

out_free:
	free(script);
	free(buf);
	acpi_loader_free(out);
	return ret;
}

void acpi_loader_free(struct acpi_loader_files *files)
{
	free(files->rsdp);
	free(files->tables);
	free(files->script);
	memset(files, 0, sizeof(*files));
}
