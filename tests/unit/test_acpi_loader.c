/* SPDX-License-Identifier: MIT */
/*
 * The ACPI tables as fw_cfg files plus the linker/loader script: a small
 * model of SeaBIOS's romfile_loader runs the script (allocate, add
 * pointers, add checksums) and what it installs must be byte for byte what
 * acpi_build() writes for a direct boot at the same addresses.
 */
#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "arch/x86/acpi/acpi_loader.h"
#include "test.h"

#define MEM_SIZE        (1u << 20)
#define RSDP_GPA        0xf5a30u        /* in the F segment, 16-byte aligned */
#define TABLES_GPA      0x7ff80u        /* 64-byte aligned; - 48 is 16-byte aligned */
#define RSDP_SIZE       36
#define XSDT_OFFSET     48              /* acpi_build(): the XSDT right after the RSDP, aligned */

struct loaded {
	const char *name;
	const uint8_t *data;
	size_t len;
	uint64_t gpa;
};

static struct loaded *find(struct loaded *files, const char *name)
{
	for (int i = 0; i < 2; i++)
		if (!strncmp(files[i].name, name, ACPI_LOADER_FILESZ))
			return &files[i];
	return NULL;
}

/* Runs the script as SeaBIOS would, into mem (addresses = offsets in mem). */
static int run_script(const struct acpi_loader_files *f, uint8_t *mem)
{
	struct loaded files[2] = {
		{ ACPI_LOADER_FILE_RSDP, f->rsdp, f->rsdp_len, RSDP_GPA },
		{ ACPI_LOADER_FILE_TABLES, f->tables, f->tables_len, TABLES_GPA },
	};
	size_t n = f->script_len / sizeof(struct acpi_loader_cmd);
	int allocated = 0;

	if (f->script_len % sizeof(struct acpi_loader_cmd))
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		const struct acpi_loader_cmd *c = &f->script[i];
		struct loaded *dst, *src;
		uint64_t ptr = 0;
		uint8_t sum = 0;

		switch (le32toh(c->command)) {
		case ACPI_LOADER_CMD_ALLOCATE:
			dst = find(files, c->alloc.file);
			if (!dst || dst->gpa % le32toh(c->alloc.align))
				return -EINVAL;
			if (c->alloc.zone != (dst->gpa == RSDP_GPA ? ACPI_LOADER_ZONE_FSEG : ACPI_LOADER_ZONE_HIGH))
				return -EINVAL;
			memcpy(mem + dst->gpa, dst->data, dst->len);
			allocated++;
			break;
		case ACPI_LOADER_CMD_ADD_POINTER:
			dst = find(files, c->pointer.dest_file);
			src = find(files, c->pointer.src_file);
			if (allocated != 2 || !dst || !src || c->pointer.size > 8 ||
			    le32toh(c->pointer.offset) + c->pointer.size > dst->len)
				return -EINVAL;
			memcpy(&ptr, mem + dst->gpa + le32toh(c->pointer.offset), c->pointer.size);
			ptr = htole64(le64toh(ptr) + src->gpa);
			memcpy(mem + dst->gpa + le32toh(c->pointer.offset), &ptr, c->pointer.size);
			break;
		case ACPI_LOADER_CMD_ADD_CHECKSUM:
			dst = find(files, c->cksum.file);
			if (!dst || le32toh(c->cksum.offset) >= dst->len ||
			    le32toh(c->cksum.start) + le32toh(c->cksum.length) > dst->len)
				return -EINVAL;
			for (uint32_t j = 0; j < le32toh(c->cksum.length); j++)
				sum += mem[dst->gpa + le32toh(c->cksum.start) + j];
			mem[dst->gpa + le32toh(c->cksum.offset)] -= sum;
			break;
		default:
			return -EINVAL;
		}
	}
	return allocated == 2 ? 0 : -EINVAL;
}

static void check_installs_like_direct_boot(uint32_t nr_cpus)
{
	struct acpi_config cfg = { .nr_cpus = nr_cpus };
	struct acpi_loader_files f;
	uint8_t *mem = calloc(1, MEM_SIZE), *direct = calloc(1, 0x20000);
	uint64_t rsdp_gpa = 0;

	CHECK(mem && direct);
	CHECK_EQ(acpi_loader_build(&cfg, &f), 0);
	CHECK_EQ(f.rsdp_len, RSDP_SIZE);
	CHECK_EQ(sizeof(struct acpi_loader_cmd), 128);
	CHECK(f.tables_len > 0 && f.tables_len < 0x20000);
	CHECK(!memcmp(f.tables, "XSDT", 4));
	CHECK_EQ(run_script(&f, mem), 0);

	/* The tables a direct boot would have with its RSDP 48 bytes below the XSDT. */
	CHECK_EQ(acpi_build(direct, 0x20000, TABLES_GPA - XSDT_OFFSET, &cfg, &rsdp_gpa), 0);
	CHECK(!memcmp(mem + TABLES_GPA, direct + XSDT_OFFSET, f.tables_len));
	CHECK(!memcmp(mem + RSDP_GPA, direct, RSDP_SIZE));
	acpi_loader_free(&f);
	CHECK(f.rsdp == NULL && f.tables == NULL && f.script == NULL);
	free(mem);
	free(direct);
}

static void test_one_cpu(void)
{
	check_installs_like_direct_boot(1);
}

static void test_many_cpus(void)
{
	check_installs_like_direct_boot(255);
}

/* The script: the two allocations first, pointers, then checksums; nothing else. */
static void test_script_shape(void)
{
	struct acpi_config cfg = { .nr_cpus = 2 };
	struct acpi_loader_files f;
	size_t n;

	CHECK_EQ(acpi_loader_build(&cfg, &f), 0);
	n = f.script_len / sizeof(struct acpi_loader_cmd);
	CHECK(n >= 2 + 5 + 2 + 2);     /* 3 XSDT entries + 2 DSDT pointers, 2 tables, the RSDP's 2 */
	CHECK_EQ(le32toh(f.script[0].command), ACPI_LOADER_CMD_ALLOCATE);
	CHECK(!strcmp(f.script[0].alloc.file, ACPI_LOADER_FILE_RSDP));
	CHECK_EQ(f.script[0].alloc.zone, ACPI_LOADER_ZONE_FSEG);
	CHECK_EQ(le32toh(f.script[1].command), ACPI_LOADER_CMD_ALLOCATE);
	CHECK(!strcmp(f.script[1].alloc.file, ACPI_LOADER_FILE_TABLES));
	CHECK_EQ(le32toh(f.script[n - 1].command), ACPI_LOADER_CMD_ADD_CHECKSUM);
	CHECK(!strcmp(f.script[n - 1].cksum.file, ACPI_LOADER_FILE_RSDP));
	for (size_t i = 0; i < n; i++) {
		uint32_t cmd = le32toh(f.script[i].command);

		CHECK(cmd >= ACPI_LOADER_CMD_ALLOCATE && cmd <= ACPI_LOADER_CMD_ADD_CHECKSUM);
		if (cmd == ACPI_LOADER_CMD_ADD_POINTER)
			CHECK(f.script[i].pointer.size == 4 || f.script[i].pointer.size == 8);
	}
	acpi_loader_free(&f);
}

static void test_bad_config(void)
{
	struct acpi_config cfg = { .nr_cpus = 0 };
	struct acpi_loader_files f;

	CHECK_EQ(acpi_loader_build(&cfg, &f), -EINVAL);
	CHECK(f.rsdp == NULL && f.tables == NULL && f.script == NULL);
	cfg.nr_cpus = 256;
	CHECK_EQ(acpi_loader_build(&cfg, &f), -EINVAL);
}

TEST_MAIN(test_one_cpu, test_many_cpus, test_script_shape, test_bad_config)
