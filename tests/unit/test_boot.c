/* SPDX-License-Identifier: MIT */
/*
 * Kernel loader tests on fake guest RAM (a malloc'ed buffer) with synthetic
 * bzImage and PVH ELF files written to a temp dir, including truncated and
 * corrupt variants.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "arch/x86/e820.h"
#include "arch/x86/layout.h"
#include "boot/boot.h"
#include "boot/boot_params.h"
#include "boot/pvh.h"
#include "test.h"

#define MiB (1024ULL * 1024)
#define RAM_SIZE (64 * MiB)
#define PAYLOAD_SIZE 0x10000
#define SETUP_SECTS 4
#define SETUP_SIZE ((SETUP_SECTS + 1) * 512)
#define ELF_PADDR 0x1000000ULL
#define ELF_ENTRY 0x1000100ULL

static char tmpdir[64];

struct fake_ram {
	struct guest_mem mem;
	uint8_t *buf;
	uint64_t size;
};

/* One buffer; regions map consecutive slices of it (second one above 4 GiB). */
static void fake_ram_init(struct fake_ram *ram, uint64_t low, uint64_t high)
{
	memset(ram, 0, sizeof(*ram));
	ram->size = low + high;
	ram->buf = malloc(ram->size);
	memset(ram->buf, 0xaa, ram->size);
	CHECK_EQ(guest_mem_add(&ram->mem, 0, low, ram->buf), 0);
	if (high)
		CHECK_EQ(guest_mem_add(&ram->mem, LAYOUT_RAM_ABOVE_4G_GPA, high, ram->buf + low), 0);
}

static void fake_ram_free(struct fake_ram *ram)
{
	free(ram->buf);
}

static const char *write_file(const char *name, const void *data, size_t len)
{
	static char paths[8][128];
	static int next;
	char *path = paths[next++ % 8];
	int fd;

	snprintf(path, 128, "%s/%s", tmpdir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	CHECK(fd >= 0);
	CHECK_EQ(write(fd, data, len), len);
	close(fd);
	return path;
}

static void fill_pattern(uint8_t *p, size_t len, uint8_t seed)
{
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)(i * 7 + seed);
}

struct bz_opts {
	uint16_t version;
	uint16_t xloadflags;
	uint32_t init_size;
	uint32_t initrd_addr_max;
	uint32_t cmdline_size;
};

static const struct bz_opts bz_default = {
	.version = 0x020f, .xloadflags = BOOT_XLF_KERNEL_64, .init_size = 0x400000,
	.initrd_addr_max = 0x7fffffff, .cmdline_size = 2047,
};

/* A minimal bzImage: setup sectors with a header, then PAYLOAD_SIZE bytes of pattern. */
static uint8_t *make_bzimage(const struct bz_opts *o, size_t *len)
{
	uint8_t *img = calloc(1, SETUP_SIZE + PAYLOAD_SIZE);
	struct setup_header hdr = {
		.setup_sects = SETUP_SECTS, .syssize = PAYLOAD_SIZE / 16, .boot_flag = 0xaa55,
		.jump = 0x6aeb, .header = BOOT_HDR_MAGIC, .version = o->version,
		.loadflags = BOOT_LOADFLAG_LOADED_HIGH, .code32_start = 0x100000,
		.initrd_addr_max = o->initrd_addr_max, .kernel_alignment = 0x200000,
		.relocatable_kernel = 1, .xloadflags = o->xloadflags, .cmdline_size = o->cmdline_size,
		.pref_address = 0x1000000, .init_size = o->init_size,
	};

	memcpy(img + BOOT_HDR_OFFSET, &hdr, sizeof(hdr));
	fill_pattern(img + SETUP_SIZE, PAYLOAD_SIZE, 1);
	*len = SETUP_SIZE + PAYLOAD_SIZE;
	return img;
}

static const struct boot_params *params(const struct fake_ram *ram)
{
	return (const struct boot_params *)(ram->buf + LAYOUT_BOOT_INFO_GPA);
}

static int load(struct fake_ram *ram, const char *kernel, const char *initrd, const char *cmdline,
		struct boot_entry *entry, char *err, size_t errlen)
{
	struct boot_config cfg = {
		.kernel_path = kernel, .initrd_path = initrd, .cmdline = cmdline, .rsdp_gpa = LAYOUT_ACPI_GPA,
	};

	memset(entry, 0, sizeof(*entry));
	return boot_load(&ram->mem, &cfg, entry, err, errlen);
}

static void test_bzimage_64(void)
{
	struct fake_ram ram;
	struct boot_entry entry;
	char err[256];
	size_t len;
	uint8_t *img = make_bzimage(&bz_default, &len);
	uint8_t initrd[100000];
	const char *cmdline = "console=ttyS0 root=/dev/vda";
	const char *kpath = write_file("bz64", img, len);
	const char *ipath;
	const struct boot_params *bp;
	uint64_t rd;

	fill_pattern(initrd, sizeof(initrd), 9);
	ipath = write_file("initrd", initrd, sizeof(initrd));
	fake_ram_init(&ram, RAM_SIZE, 0);
	CHECK_EQ(load(&ram, kpath, ipath, cmdline, &entry, err, sizeof(err)), 0);
	CHECK_EQ(entry.mode, BOOT_MODE_LINUX64);
	CHECK_EQ(entry.entry_gpa, LAYOUT_KERNEL_GPA + 0x200);
	CHECK_EQ(entry.boot_info_gpa, LAYOUT_BOOT_INFO_GPA);
	CHECK_EQ(entry.stack_gpa, LAYOUT_BOOT_STACK_GPA);
	CHECK(memcmp(ram.buf + LAYOUT_KERNEL_GPA, img + SETUP_SIZE, PAYLOAD_SIZE) == 0);

	bp = params(&ram);
	/* header copied, then the loader's fields */
	CHECK_EQ(bp->hdr.header, BOOT_HDR_MAGIC);
	CHECK_EQ(bp->hdr.setup_sects, SETUP_SECTS);
	CHECK_EQ(bp->hdr.version, 0x020f);
	CHECK_EQ(bp->hdr.init_size, 0x400000);
	CHECK_EQ(bp->hdr.boot_flag, 0xaa55);
	CHECK_EQ(bp->hdr.type_of_loader, 0xff);
	CHECK_EQ(bp->hdr.loadflags, BOOT_LOADFLAG_LOADED_HIGH | BOOT_LOADFLAG_CAN_USE_HEAP);
	CHECK_EQ(bp->hdr.heap_end_ptr, BOOT_HEAP_END_PTR);
	CHECK_EQ(bp->hdr.vid_mode, 0xffff);
	CHECK_EQ(bp->hdr.code32_start, LAYOUT_KERNEL_GPA);
	CHECK_EQ(bp->hdr.cmd_line_ptr, LAYOUT_CMDLINE_GPA);
	CHECK_EQ(bp->ext_cmd_line_ptr, 0);
	CHECK(strcmp((char *)ram.buf + LAYOUT_CMDLINE_GPA, cmdline) == 0);
	CHECK_EQ(bp->acpi_rsdp_addr, LAYOUT_ACPI_GPA);
	/* nothing past the header is left from the 0xaa fill */
	CHECK_EQ(bp->screen_info[0], 0);
	CHECK_EQ(bp->pad8[0], 0);

	/* initrd: as high as possible, page aligned, above the kernel's init_size */
	rd = bp->hdr.ramdisk_image | (uint64_t)bp->ext_ramdisk_image << 32;
	CHECK_EQ(bp->hdr.ramdisk_size, sizeof(initrd));
	CHECK_EQ(bp->ext_ramdisk_size, 0);
	CHECK_EQ(rd % 4096, 0);
	CHECK_EQ(rd, (RAM_SIZE - sizeof(initrd)) & ~0xfffULL);
	CHECK(rd >= 0x1000000 + 0x400000);  /* pref_address + init_size */
	CHECK(memcmp(ram.buf + rd, initrd, sizeof(initrd)) == 0);

	CHECK_EQ(bp->e820_entries, 3);
	CHECK_EQ(bp->e820_table[0].addr, 0);
	CHECK_EQ(bp->e820_table[0].size, LAYOUT_EBDA_GPA);
	CHECK_EQ(bp->e820_table[0].type, E820_RAM);
	CHECK_EQ(bp->e820_table[1].type, E820_RESERVED);
	CHECK_EQ(bp->e820_table[2].addr, LAYOUT_HIGH_MEM_GPA);
	CHECK_EQ(bp->e820_table[2].size, RAM_SIZE - LAYOUT_HIGH_MEM_GPA);
	fake_ram_free(&ram);
	free(img);
}

static void test_bzimage_32_no_initrd(void)
{
	struct fake_ram ram;
	struct boot_entry entry;
	char err[256];
	size_t len;
	struct bz_opts o = bz_default;
	uint8_t *img;

	o.xloadflags = 0;
	o.version = 0x020d;  /* < 2.14: no acpi_rsdp_addr */
	img = make_bzimage(&o, &len);
	fake_ram_init(&ram, RAM_SIZE, 0);
	CHECK_EQ(load(&ram, write_file("bz32", img, len), NULL, NULL, &entry, err, sizeof(err)), 0);
	CHECK_EQ(entry.mode, BOOT_MODE_LINUX32);
	CHECK_EQ(entry.entry_gpa, LAYOUT_KERNEL_GPA);
	CHECK_EQ(params(&ram)->hdr.ramdisk_image, 0);
	CHECK_EQ(params(&ram)->hdr.ramdisk_size, 0);
	CHECK_EQ(params(&ram)->acpi_rsdp_addr, 0);
	CHECK_EQ(ram.buf[LAYOUT_CMDLINE_GPA], 0);  /* empty command line */
	fake_ram_free(&ram);
	free(img);
}

static void test_bzimage_initrd_limits(void)
{
	struct fake_ram ram;
	struct boot_entry entry;
	char err[256];
	size_t len;
	struct bz_opts o = bz_default;
	uint8_t *img;
	uint8_t initrd[5000] = { 1 };
	const char *ipath = write_file("initrd-small", initrd, sizeof(initrd));
	const struct boot_params *bp;

	/* initrd_addr_max below the end of RAM wins */
	o.initrd_addr_max = 32 * MiB - 1;
	img = make_bzimage(&o, &len);
	fake_ram_init(&ram, RAM_SIZE, 0);
	CHECK_EQ(load(&ram, write_file("bz-limit", img, len), ipath, "x", &entry, err, sizeof(err)), 0);
	bp = params(&ram);
	CHECK_EQ(bp->hdr.ramdisk_image, (32 * MiB - sizeof(initrd)) & ~0xfffULL);
	CHECK(bp->hdr.ramdisk_image + bp->hdr.ramdisk_size <= 32 * MiB);
	fake_ram_free(&ram);

	/* RAM above 4 GiB: the initrd stays in low RAM, e820 shows both */
	fake_ram_init(&ram, 32 * MiB, 16 * MiB);
	o.initrd_addr_max = 0xffffffff;
	free(img);
	img = make_bzimage(&o, &len);
	CHECK_EQ(load(&ram, write_file("bz-high", img, len), ipath, "x", &entry, err, sizeof(err)), 0);
	bp = params(&ram);
	CHECK_EQ(bp->hdr.ramdisk_image, (32 * MiB - sizeof(initrd)) & ~0xfffULL);
	CHECK_EQ(bp->e820_entries, 4);
	CHECK_EQ(bp->e820_table[3].addr, LAYOUT_RAM_ABOVE_4G_GPA);
	CHECK_EQ(bp->e820_table[3].size, 16 * MiB);
	CHECK_EQ(bp->e820_table[3].type, E820_RAM);
	fake_ram_free(&ram);
	free(img);
}

static bool err_has(const char *err, const char *what)
{
	if (strstr(err, what))
		return true;
	fprintf(stderr, "  message \"%s\" lacks \"%s\"\n", err, what);
	return false;
}

/* Loads a bzImage variant expecting failure with a message containing what. */
static void expect_bz_error(const struct bz_opts *o, const char *initrd, const char *cmdline,
			    int want, const char *what)
{
	struct fake_ram ram;
	struct boot_entry entry;
	char err[256] = "";
	size_t len;
	uint8_t *img = make_bzimage(o, &len);

	fake_ram_init(&ram, RAM_SIZE, 0);
	CHECK_EQ(load(&ram, write_file("bz-err", img, len), initrd, cmdline, &entry, err, sizeof(err)), want);
	CHECK(err_has(err, what));
	fake_ram_free(&ram);
	free(img);
}

static void test_bzimage_errors(void)
{
	struct bz_opts o = bz_default;
	char cmdline[64], big[128];
	int fd;

	o.version = 0x0202;
	expect_bz_error(&o, NULL, NULL, -ENOEXEC, "kernel: boot protocol 2.02 is too old, need 2.06");
	o = bz_default;
	o.init_size = 100 * MiB;
	expect_bz_error(&o, NULL, NULL, -ENOMEM,
			"kernel: does not fit in RAM: file 0.1 MiB at 0x100000, init_size 100.0 MiB at 0x1000000, "
			"but RAM below the MMIO hole ends at 0x4000000");
	/* the decompression area at pref_address counts, not only the load address */
	o.init_size = 49 * MiB;
	expect_bz_error(&o, NULL, NULL, -ENOMEM, "init_size 49.0 MiB at 0x1000000");

	/* command line: exactly cmdline_size is fine, one more is not */
	o = bz_default;
	o.cmdline_size = 16;
	memset(cmdline, 'a', 17);
	cmdline[17] = '\0';
	expect_bz_error(&o, NULL, cmdline, -E2BIG, "cmdline: 17 bytes is too long, the kernel accepts at most 16");
	{
		struct fake_ram ram;
		struct boot_entry entry;
		char err[256];
		size_t len;
		uint8_t *img = make_bzimage(&o, &len);

		cmdline[16] = '\0';
		fake_ram_init(&ram, RAM_SIZE, 0);
		CHECK_EQ(load(&ram, write_file("bz-cl", img, len), NULL, cmdline, &entry, err, sizeof(err)), 0);
		CHECK(strcmp((char *)ram.buf + LAYOUT_CMDLINE_GPA, cmdline) == 0);
		fake_ram_free(&ram);
		free(img);
	}

	/* initrd bigger than the RAM above pref_address + init_size: a sparse file, never read */
	snprintf(big, sizeof(big), "%s/initrd-big", tmpdir);
	fd = open(big, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	CHECK(fd >= 0);
	CHECK_EQ(ftruncate(fd, 45 * MiB), 0);
	close(fd);
	expect_bz_error(&bz_default, big, NULL, -ENOMEM, 
			"initrd: 45.0 MiB (47185920 bytes) does not fit between the kernel end 0x1400000 "
			"and 0x4000000 (44.0 MiB free)");
	expect_bz_error(&bz_default, "/nonexistent/initrd", NULL, -ENOENT,
			"initrd: /nonexistent/initrd: No such file or directory");
}

static void expect_file_error(const void *data, size_t len, int want, const char *what)
{
	struct fake_ram ram;
	struct boot_entry entry;
	char err[256] = "";

	fake_ram_init(&ram, RAM_SIZE, 0);
	CHECK_EQ(load(&ram, write_file("kernel-bad", data, len), NULL, NULL, &entry, err, sizeof(err)), want);
	CHECK(err_has(err, what));
	fake_ram_free(&ram);
}

static void test_kernel_file_errors(void)
{
	struct fake_ram ram;
	struct boot_entry entry;
	char err[256] = "";
	uint8_t junk[4096];
	size_t len;
	uint8_t *img = make_bzimage(&bz_default, &len);
	struct setup_header *hdr = (struct setup_header *)(img + BOOT_HDR_OFFSET);

	fake_ram_init(&ram, RAM_SIZE, 0);
	CHECK_EQ(load(&ram, "/nonexistent/vmlinuz", NULL, NULL, &entry, err, sizeof(err)), -ENOENT);
	CHECK(err_has(err, "kernel: /nonexistent/vmlinuz: No such file or directory"));
	CHECK(load(&ram, tmpdir, NULL, NULL, &entry, err, sizeof(err)) < 0);
	CHECK(err_has(err, "not a regular file"));
	/* a tiny err buffer is still NUL-terminated, and NULL is allowed */
	CHECK(load(&ram, "/nonexistent", NULL, NULL, &entry, err, 8) < 0);
	CHECK_EQ(strlen(err), 7);
	CHECK(load(&ram, "/nonexistent", NULL, NULL, &entry, NULL, 0) < 0);
	fake_ram_free(&ram);

	expect_file_error("", 0, -ENOEXEC, "is empty");
	fill_pattern(junk, sizeof(junk), 3);
	expect_file_error(junk, sizeof(junk), -ENOEXEC, "kernel: not a Linux bzImage or ELF (PVH) image");
	expect_file_error(img, len - 1, -ENOEXEC, "kernel: truncated: 68095 bytes, setup header says 68096");
	expect_file_error(img, 0x300, -ENOEXEC, "kernel: truncated: 768 bytes, setup header says 68096");
	hdr->boot_flag = 0x1234;
	expect_file_error(img, len, -ENOEXEC, "boot_flag");
	hdr->boot_flag = 0xaa55;
	hdr->loadflags = 0;
	expect_file_error(img, len, -ENOEXEC, "zImage");
	free(img);
}

/* Every prefix of a valid image must fail cleanly (ASan catches over-reads). */
static void check_truncations(const uint8_t *img, size_t len, size_t step)
{
	struct fake_ram ram;

	fake_ram_init(&ram, RAM_SIZE, 0);
	for (size_t cut = 0; cut < len; cut += step) {
		struct boot_entry entry;
		char err[256] = "";

		CHECK(load(&ram, write_file("kernel-cut", img, cut), NULL, NULL, &entry, err, sizeof(err)) < 0);
		CHECK(err[0] != '\0');
	}
	fake_ram_free(&ram);
}

static void test_bzimage_truncations(void)
{
	size_t len;
	uint8_t *img = make_bzimage(&bz_default, &len);

	check_truncations(img, len, 97);
	free(img);
}

/* ---- PVH ELF ---- */

struct elf_opts {
	bool is32;
	bool no_note;
	uint64_t paddr;
	uint64_t filesz;
	uint64_t memsz;
	uint32_t descsz;
};

static const struct elf_opts elf_default = {
	.paddr = ELF_PADDR, .filesz = 0x2000, .memsz = 0x5000, .descsz = 8,
};

static size_t put_note(uint8_t *p, const char *name, uint32_t type, const void *desc, uint32_t descsz)
{
	Elf64_Nhdr nh = { .n_namesz = (uint32_t)strlen(name) + 1, .n_descsz = descsz, .n_type = type };
	size_t off = sizeof(nh);

	memcpy(p, &nh, sizeof(nh));
	memcpy(p + off, name, nh.n_namesz);
	off += (nh.n_namesz + 3) & ~3U;
	memcpy(p + off, desc, descsz);
	return off + ((descsz + 3) & ~3U);
}

/* ehdr | phdrs (PT_NOTE, PT_LOAD) | notes (GNU, Xen PHYS32_ENTRY) | segment data */
static uint8_t *make_elf(const struct elf_opts *o, size_t *len)
{
	uint8_t *img = calloc(1, 0x1000 + o->filesz);
	uint8_t notes[128];
	uint64_t entry = ELF_ENTRY;
	uint8_t build_id[20] = { 7 };
	size_t notes_len = 0, note_off = 0x200, data_off = 0x1000;

	notes_len += put_note(notes, "GNU", NT_GNU_BUILD_ID, build_id, sizeof(build_id));
	notes_len += put_note(notes + notes_len, "Xen", o->no_note ? 17 : XEN_ELFNOTE_PHYS32_ENTRY, &entry,
			      o->descsz);
	memcpy(img + note_off, notes, notes_len);
	fill_pattern(img + data_off, o->filesz, 5);

	if (!o->is32) {
		Elf64_Ehdr eh = { .e_type = ET_EXEC, .e_machine = EM_X86_64, .e_version = EV_CURRENT,
				  .e_entry = 0xffffffff81000000ULL, .e_phoff = sizeof(Elf64_Ehdr),
				  .e_ehsize = sizeof(Elf64_Ehdr), .e_phentsize = sizeof(Elf64_Phdr), .e_phnum = 2 };
		Elf64_Phdr ph[2] = {
			{ .p_type = PT_NOTE, .p_offset = note_off, .p_filesz = notes_len, .p_memsz = notes_len },
			{ .p_type = PT_LOAD, .p_offset = data_off, .p_paddr = o->paddr, .p_filesz = o->filesz,
			  .p_memsz = o->memsz },
		};

		memcpy(eh.e_ident, ELFMAG, SELFMAG);
		eh.e_ident[EI_CLASS] = ELFCLASS64;
		eh.e_ident[EI_DATA] = ELFDATA2LSB;
		eh.e_ident[EI_VERSION] = EV_CURRENT;
		memcpy(img, &eh, sizeof(eh));
		memcpy(img + sizeof(eh), ph, sizeof(ph));
	} else {
		Elf32_Ehdr eh = { .e_type = ET_EXEC, .e_machine = EM_386, .e_version = EV_CURRENT,
				  .e_phoff = sizeof(Elf32_Ehdr), .e_ehsize = sizeof(Elf32_Ehdr),
				  .e_phentsize = sizeof(Elf32_Phdr), .e_phnum = 2 };
		Elf32_Phdr ph[2] = {
			{ .p_type = PT_NOTE, .p_offset = note_off, .p_filesz = notes_len, .p_memsz = notes_len },
			{ .p_type = PT_LOAD, .p_offset = data_off, .p_paddr = (uint32_t)o->paddr,
			  .p_filesz = (uint32_t)o->filesz, .p_memsz = (uint32_t)o->memsz },
		};

		memcpy(eh.e_ident, ELFMAG, SELFMAG);
		eh.e_ident[EI_CLASS] = ELFCLASS32;
		eh.e_ident[EI_DATA] = ELFDATA2LSB;
		eh.e_ident[EI_VERSION] = EV_CURRENT;
		memcpy(img, &eh, sizeof(eh));
		memcpy(img + sizeof(eh), ph, sizeof(ph));
	}
	*len = data_off + o->filesz;
	return img;
}

static void check_pvh_load(const struct elf_opts *o)
{
	struct fake_ram ram;
	struct boot_entry entry;
	char err[256] = "";
	size_t len;
	uint8_t *img = make_elf(o, &len);
	uint8_t initrd[10000];
	const char *ipath;
	struct hvm_start_info si;
	struct hvm_memmap_table_entry mm[3];
	struct hvm_modlist_entry mod;
	bool zero = true;

	fill_pattern(initrd, sizeof(initrd), 11);
	ipath = write_file("pvh-initrd", initrd, sizeof(initrd));
	fake_ram_init(&ram, RAM_SIZE, 0);
	CHECK_EQ(load(&ram, write_file("vmlinux", img, len), ipath, "console=hvc0", &entry, err, sizeof(err)), 0);
	if (err[0])
		fprintf(stderr, "  %s\n", err);
	CHECK_EQ(entry.mode, BOOT_MODE_PVH);
	CHECK_EQ(entry.entry_gpa, ELF_ENTRY);
	CHECK_EQ(entry.boot_info_gpa, LAYOUT_BOOT_INFO_GPA);
	CHECK_EQ(entry.stack_gpa, LAYOUT_BOOT_STACK_GPA);
	CHECK(memcmp(ram.buf + o->paddr, img + 0x1000, o->filesz) == 0);
	for (uint64_t i = o->filesz; i < o->memsz; i++)
		zero &= ram.buf[o->paddr + i] == 0;
	CHECK(zero);

	memcpy(&si, ram.buf + LAYOUT_BOOT_INFO_GPA, sizeof(si));
	CHECK_EQ(si.magic, XEN_HVM_START_MAGIC);
	CHECK_EQ(si.version, 1);
	CHECK_EQ(si.flags, 0);
	CHECK_EQ(si.cmdline_paddr, LAYOUT_CMDLINE_GPA);
	CHECK(strcmp((char *)ram.buf + LAYOUT_CMDLINE_GPA, "console=hvc0") == 0);
	CHECK_EQ(si.rsdp_paddr, LAYOUT_ACPI_GPA);
	CHECK_EQ(si.memmap_paddr, LAYOUT_PVH_MEMMAP_GPA);
	CHECK_EQ(si.memmap_entries, 3);
	CHECK_EQ(si.reserved, 0);
	memcpy(mm, ram.buf + LAYOUT_PVH_MEMMAP_GPA, sizeof(mm));
	CHECK_EQ(mm[0].addr, 0);
	CHECK_EQ(mm[0].size, LAYOUT_EBDA_GPA);
	CHECK_EQ(mm[0].type, E820_RAM);
	CHECK_EQ(mm[1].type, E820_RESERVED);
	CHECK_EQ(mm[2].addr, LAYOUT_HIGH_MEM_GPA);
	CHECK_EQ(mm[2].size, RAM_SIZE - LAYOUT_HIGH_MEM_GPA);
	CHECK_EQ(mm[2].reserved, 0);
	CHECK_EQ(si.nr_modules, 1);
	CHECK_EQ(si.modlist_paddr, LAYOUT_PVH_MODLIST_GPA);
	memcpy(&mod, ram.buf + LAYOUT_PVH_MODLIST_GPA, sizeof(mod));
	CHECK_EQ(mod.size, sizeof(initrd));
	CHECK_EQ(mod.paddr % 4096, 0);
	CHECK_EQ(mod.paddr, (RAM_SIZE - sizeof(initrd)) & ~0xfffULL);
	CHECK(mod.paddr >= o->paddr + o->memsz);
	CHECK(memcmp(ram.buf + mod.paddr, initrd, sizeof(initrd)) == 0);
	fake_ram_free(&ram);
	free(img);
}

static void test_pvh_elf64(void)
{
	check_pvh_load(&elf_default);
}

static void test_pvh_elf32(void)
{
	struct elf_opts o = elf_default;

	o.is32 = true;
	o.descsz = 4;
	check_pvh_load(&o);
}

static void expect_elf_error(const struct elf_opts *o, int want, const char *what)
{
	size_t len;
	uint8_t *img = make_elf(o, &len);

	expect_file_error(img, len, want, what);
	free(img);
}

static void test_pvh_errors(void)
{
	struct elf_opts o = elf_default;
	size_t len;
	uint8_t *img;

	o.no_note = true;
	expect_elf_error(&o, -ENOEXEC, "kernel: ELF has no PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY)");
	o = elf_default;
	o.paddr = 256 * MiB;   /* beyond the 64 MiB of RAM */
	expect_elf_error(&o, -ENOMEM, "is outside guest RAM");
	o.paddr = 0x10000;     /* would overwrite the boot structures */
	expect_elf_error(&o, -ENOMEM, "is outside guest RAM");
	o.paddr = 0xfffffffffffff000ULL; /* wraps */
	expect_elf_error(&o, -ENOMEM, "is outside guest RAM");
	o = elf_default;
	o.memsz = 0x1000;      /* smaller than filesz */
	expect_elf_error(&o, -ENOEXEC, "filesz");
	o = elf_default;
	o.descsz = 2;
	expect_elf_error(&o, -ENOEXEC, "PVH entry note");

	/* corrupt headers */
	img = make_elf(&elf_default, &len);
	((Elf64_Ehdr *)img)->e_phoff = 1ULL << 40;
	expect_file_error(img, len, -ENOEXEC, "kernel: truncated: 12288 bytes, ELF program headers end at");
	free(img);
	img = make_elf(&elf_default, &len);
	((Elf64_Phdr *)(img + sizeof(Elf64_Ehdr)))[1].p_offset = 1ULL << 63;
	expect_file_error(img, len, -ENOEXEC, "kernel: truncated: 12288 bytes, ELF segment 1 ends at");
	free(img);
	img = make_elf(&elf_default, &len);
	((Elf64_Ehdr *)img)->e_machine = EM_AARCH64;
	expect_file_error(img, len, -ENOEXEC, "not x86");
	free(img);
	img = make_elf(&elf_default, &len);
	((Elf64_Ehdr *)img)->e_phnum = 0;
	expect_file_error(img, len, -ENOEXEC, "program headers");
	free(img);
	img = make_elf(&elf_default, &len);
	/* a note header claiming a huge name: the scan must stop, not over-read */
	((Elf64_Nhdr *)(img + 0x200))->n_namesz = 0xfffffff0;
	expect_file_error(img, len, -ENOEXEC, "no PVH entry note");
	free(img);
}

static void test_pvh_truncations(void)
{
	size_t len;
	uint8_t *img = make_elf(&elf_default, &len);

	check_truncations(img, len, 13);
	free(img);
}

static void test_setup(void)
{
	strcpy(tmpdir, "/tmp/vessel-test-boot-XXXXXX");
	CHECK(mkdtemp(tmpdir) != NULL);
}

static void test_cleanup(void)
{
	static const char *const names[] = {
		"bz64", "initrd", "bz32", "initrd-small", "bz-limit", "bz-high", "bz-err", "bz-cl",
		"initrd-big", "kernel-bad", "kernel-cut", "pvh-initrd", "vmlinux",
	};
	char path[128];

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", tmpdir, names[i]);
		unlink(path);
	}
	CHECK_EQ(rmdir(tmpdir), 0);
}

TEST_MAIN(test_setup, test_bzimage_64, test_bzimage_32_no_initrd, test_bzimage_initrd_limits,
	  test_bzimage_errors, test_kernel_file_errors, test_bzimage_truncations,
	  test_pvh_elf64, test_pvh_elf32, test_pvh_errors, test_pvh_truncations, test_cleanup)
