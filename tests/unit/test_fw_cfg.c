/* SPDX-License-Identifier: MIT */
/*
 * fw_cfg: the item table, the selector/data ports, and the DMA interface
 * driven with hand-built FWCfgDmaAccess descriptors in fake guest RAM,
 * including hostile ones (outside RAM, huge lengths, unknown selectors,
 * writes).
 */
#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "devices/legacy/fw_cfg.h"
#include "test.h"

#define RAM_SIZE    (1u << 20)
#define DESC_GPA    0x1000u             /* where the tests put FWCfgDmaAccess */
#define BUF_GPA     0x2000u             /* where DMA reads land */

struct env {
	struct guest_mem mem;
	uint8_t *ram;
	struct fw_cfg *fc;
};

static void env_init(struct env *e)
{
	memset(e, 0, sizeof(*e));
	e->ram = calloc(1, RAM_SIZE);
	CHECK(e->ram != NULL);
	CHECK_EQ(guest_mem_add(&e->mem, 0, RAM_SIZE, e->ram), 0);
	e->fc = fw_cfg_create(&e->mem);
	CHECK(e->fc != NULL);
}

static void env_destroy(struct env *e)
{
	fw_cfg_destroy(e->fc);
	free(e->ram);
}

static void sel(struct env *e, uint16_t key)
{
	uint16_t le = htole16(key);

	fw_cfg_ops.write(e->fc, FW_CFG_PORT_SELECTOR, &le, 2);
}

static uint8_t data8(struct env *e)
{
	uint8_t v = 0xaa;

	fw_cfg_ops.read(e->fc, FW_CFG_PORT_DATA, &v, 1);
	return v;
}

static void data_read(struct env *e, void *buf, size_t len)
{
	for (size_t i = 0; i < len; i++)
		((uint8_t *)buf)[i] = data8(e);
}

/* Writes a descriptor at DESC_GPA and starts it with one 32-bit write, as SeaBIOS does. */
static uint32_t dma(struct env *e, uint32_t control, uint32_t length, uint64_t address)
{
	struct fw_cfg_dma_access a = {
		.control = htobe32(control), .length = htobe32(length), .address = htobe64(address),
	};
	uint32_t be = htobe32(DESC_GPA), result;

	memcpy(e->ram + DESC_GPA, &a, sizeof(a));
	fw_cfg_ops.write(e->fc, FW_CFG_PORT_DMA + 4, &be, 4);
	memcpy(&result, e->ram + DESC_GPA, 4);
	return be32toh(result);
}

static void test_signature_and_id(void)
{
	char sig[5] = { 0 };
	uint32_t id = 0, word;
	struct env e;

	env_init(&e);
	sel(&e, FW_CFG_SIGNATURE);
	data_read(&e, sig, 4);
	CHECK(!strcmp(sig, "QEMU"));
	CHECK_EQ(data8(&e), 0);         /* past the end */
	CHECK_EQ(data8(&e), 0);
	sel(&e, FW_CFG_ID);
	data_read(&e, &id, 4);
	CHECK_EQ(le32toh(id), FW_CFG_ID_TRADITIONAL | FW_CFG_ID_DMA);
	/* Reading the DMA address register gives "QEMU CFG" (big-endian 64-bit). */
	fw_cfg_ops.read(e.fc, FW_CFG_PORT_DMA, &word, 4);
	CHECK(!memcmp(&word, "QEMU", 4));
	fw_cfg_ops.read(e.fc, FW_CFG_PORT_DMA + 4, &word, 4);
	CHECK(!memcmp(&word, " CFG", 4));
	/* The selector's write-channel bit means nothing: same item. */
	sel(&e, FW_CFG_SIGNATURE | FW_CFG_WRITE_CHANNEL);
	CHECK_EQ(data8(&e), 'Q');
	/* Re-selecting starts over. */
	sel(&e, FW_CFG_SIGNATURE);
	CHECK_EQ(data8(&e), 'Q');
	env_destroy(&e);
}

static void test_items(void)
{
	uint16_t cpus = 0;
	uint64_t ram = 0;
	struct env e;

	env_init(&e);
	CHECK_EQ(fw_cfg_add_u16(e.fc, FW_CFG_NB_CPUS, 3), 0);
	CHECK_EQ(fw_cfg_add_u64(e.fc, FW_CFG_RAM_SIZE, 0x123456789ULL), 0);
	CHECK_EQ(fw_cfg_add_u16(e.fc, FW_CFG_NB_CPUS, 4), -EEXIST);
	CHECK_EQ(fw_cfg_add_u16(e.fc, 0x8003, 7), 0);      /* an architecture item */
	/* Not numbered items: file selectors, the directory, the write channel. */
	CHECK_EQ(fw_cfg_add_u16(e.fc, FW_CFG_FILE_FIRST, 1), -EINVAL);
	CHECK_EQ(fw_cfg_add_u16(e.fc, 0x1000, 1), -EINVAL);
	CHECK_EQ(fw_cfg_add_u16(e.fc, FW_CFG_FILE_DIR, 1), -EINVAL);
	CHECK_EQ(fw_cfg_add_u16(e.fc, 0xc000, 1), -EINVAL);
	CHECK_EQ(fw_cfg_add_item(e.fc, FW_CFG_UUID, NULL, FW_CFG_ITEM_MAX_LEN + 1), -EINVAL);
	sel(&e, FW_CFG_NB_CPUS);
	data_read(&e, &cpus, 2);
	CHECK_EQ(le16toh(cpus), 3);
	sel(&e, FW_CFG_RAM_SIZE);
	data_read(&e, &ram, 8);
	CHECK_EQ(le64toh(ram), 0x123456789ULL);
	/* An unknown selector reads zeros. */
	sel(&e, 0x1234);
	CHECK_EQ(data8(&e), 0);
	/* Data port writes do nothing; a 1-byte selector write is ignored. */
	{
		uint8_t b = 0x55;

		sel(&e, FW_CFG_SIGNATURE);
		fw_cfg_ops.write(e.fc, FW_CFG_PORT_DATA, &b, 1);
		b = FW_CFG_ID;
		fw_cfg_ops.write(e.fc, FW_CFG_PORT_SELECTOR, &b, 1);
		CHECK_EQ(data8(&e), 'Q');
	}
	env_destroy(&e);
}

static void test_files(void)
{
	char name[FW_CFG_FILE_NAME_MAX + 8];
	struct fw_cfg_file f;
	uint32_t count = 0;
	struct env e;
	int ret = 0, added = 0;

	env_init(&e);
	CHECK_EQ(fw_cfg_add_file(e.fc, "etc/a", "hello", 5), 0);
	CHECK_EQ(fw_cfg_add_file(e.fc, "etc/b", NULL, 0), 0);
	CHECK_EQ(fw_cfg_add_file(e.fc, "etc/a", "x", 1), -EEXIST);
	CHECK_EQ(fw_cfg_add_file(e.fc, "", "x", 1), -EINVAL);
	memset(name, 'n', sizeof(name));
	name[FW_CFG_FILE_NAME_MAX] = '\0';
	CHECK_EQ(fw_cfg_add_file(e.fc, name, "x", 1), -ENAMETOOLONG);
	name[FW_CFG_FILE_NAME_MAX - 1] = '\0';    /* 55 characters + NUL: fits */
	CHECK_EQ(fw_cfg_add_file(e.fc, name, "x", 1), 0);

	sel(&e, FW_CFG_FILE_DIR);
	data_read(&e, &count, 4);
	CHECK_EQ(be32toh(count), 3);
	data_read(&e, &f, sizeof(f));
	CHECK_EQ(be32toh(f.size), 5);
	CHECK_EQ(be16toh(f.select), FW_CFG_FILE_FIRST);
	CHECK(!strcmp(f.name, "etc/a"));
	data_read(&e, &f, sizeof(f));
	CHECK_EQ(be32toh(f.size), 0);
	CHECK_EQ(be16toh(f.select), FW_CFG_FILE_FIRST + 1);
	data_read(&e, &f, sizeof(f));
	CHECK_EQ(be16toh(f.select), FW_CFG_FILE_FIRST + 2);
	CHECK_EQ(strlen(f.name), FW_CFG_FILE_NAME_MAX - 1);
	CHECK_EQ(data8(&e), 0);

	sel(&e, FW_CFG_FILE_FIRST);
	data_read(&e, name, 5);
	CHECK(!memcmp(name, "hello", 5));
	/* The table is bounded. */
	for (int i = 0; i < 2 * FW_CFG_MAX_ITEMS && !ret; i++) {
		snprintf(name, sizeof(name), "opt/%d", i);
		ret = fw_cfg_add_file(e.fc, name, "y", 1);
		added += !ret;
	}
	CHECK_EQ(ret, -ENOSPC);
	CHECK(added > 0);
	env_destroy(&e);
}

static void test_dma_read(void)
{
	uint8_t blob[300];
	struct env e;

	env_init(&e);
	for (size_t i = 0; i < sizeof(blob); i++)
		blob[i] = (uint8_t)(i * 7 + 1);
	CHECK_EQ(fw_cfg_add_file(e.fc, "etc/blob", blob, sizeof(blob)), 0);

	/* Select + read in one transfer. */
	memset(e.ram + BUF_GPA, 0xee, 512);
	CHECK_EQ(dma(&e, FW_CFG_FILE_FIRST << 16 | FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_READ, 100, BUF_GPA), 0);
	CHECK(!memcmp(e.ram + BUF_GPA, blob, 100));
	CHECK_EQ(e.ram[BUF_GPA + 100], 0xee);
	/* The next read goes on from the offset; past the end it reads zeros. */
	CHECK_EQ(dma(&e, FW_CFG_DMA_CTL_READ, 250, BUF_GPA), 0);
	CHECK(!memcmp(e.ram + BUF_GPA, blob + 100, 200));
	for (int i = 200; i < 250; i++)
		CHECK_EQ(e.ram[BUF_GPA + i], 0);
	/* Skip, then read: the offset moved. */
	CHECK_EQ(dma(&e, FW_CFG_FILE_FIRST << 16 | FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_SKIP, 10, 0), 0);
	CHECK_EQ(dma(&e, FW_CFG_DMA_CTL_READ, 4, BUF_GPA), 0);
	CHECK(!memcmp(e.ram + BUF_GPA, blob + 10, 4));
	/* The port reads go on from there too (one offset per device). */
	CHECK_EQ(data8(&e), blob[14]);
	/* Zero length: nothing happens, success. */
	CHECK_EQ(dma(&e, FW_CFG_DMA_CTL_READ, 0, 0xffffffffffff0000ULL), 0);
	/* No operation bit: only the select. */
	CHECK_EQ(dma(&e, FW_CFG_SIGNATURE << 16 | FW_CFG_DMA_CTL_SELECT, 4, BUF_GPA), 0);
	CHECK_EQ(data8(&e), 'Q');
	/* An unknown selector reads as zeros, successfully. */
	memset(e.ram + BUF_GPA, 0xee, 16);
	CHECK_EQ(dma(&e, 0x7777u << 16 | FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_READ, 16, BUF_GPA), 0);
	for (int i = 0; i < 16; i++)
		CHECK_EQ(e.ram[BUF_GPA + i], 0);
	env_destroy(&e);
}

static void test_dma_hostile(void)
{
	uint8_t before[64];
	uint32_t be;
	struct env e;

	env_init(&e);
	CHECK_EQ(fw_cfg_add_file(e.fc, "etc/blob", "0123456789", 10), 0);
	sel(&e, FW_CFG_FILE_FIRST);

	/* Destination outside RAM, straddling its end, or huge: error, nothing written, offset kept. */
	CHECK_EQ(dma(&e, FW_CFG_DMA_CTL_READ, 8, RAM_SIZE), FW_CFG_DMA_CTL_ERROR);
	memcpy(before, e.ram + RAM_SIZE - 64, 64);
	CHECK_EQ(dma(&e, FW_CFG_DMA_CTL_READ, 128, RAM_SIZE - 64), FW_CFG_DMA_CTL_ERROR);
	CHECK(!memcmp(before, e.ram + RAM_SIZE - 64, 64));
	CHECK_EQ(dma(&e, FW_CFG_DMA_CTL_READ, 0xffffffffu, BUF_GPA), FW_CFG_DMA_CTL_ERROR);
	CHECK_EQ(dma(&e, FW_CFG_DMA_CTL_READ, 16, 0xfffffffffffffff8ULL), FW_CFG_DMA_CTL_ERROR);
	CHECK_EQ(data8(&e), '0');
	/* Writes are refused: every item is read-only. */
	CHECK_EQ(dma(&e, FW_CFG_FILE_FIRST << 16 | FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_WRITE, 4, BUF_GPA),
		 FW_CFG_DMA_CTL_ERROR);
	CHECK_EQ(data8(&e), '0');
	/* A huge skip stops at the end of the item. */
	CHECK_EQ(dma(&e, FW_CFG_DMA_CTL_SKIP, 0xffffffffu, 0), 0);
	CHECK_EQ(data8(&e), 0);

	/* A descriptor outside RAM (or straddling its end): ignored, no crash. */
	be = htobe32(RAM_SIZE - 8);
	fw_cfg_ops.write(e.fc, FW_CFG_PORT_DMA + 4, &be, 4);
	be = htobe32(0xfffffff0u);
	fw_cfg_ops.write(e.fc, FW_CFG_PORT_DMA + 4, &be, 4);

	/* A 64-bit descriptor address: high half first; the high half is cleared after each transfer. */
	be = htobe32(1);
	fw_cfg_ops.write(e.fc, FW_CFG_PORT_DMA, &be, 4);
	memset(e.ram + DESC_GPA, 0, 16);
	e.ram[DESC_GPA + 3] = FW_CFG_DMA_CTL_READ;      /* would be a valid read at 0x1000 */
	be = htobe32(DESC_GPA);
	fw_cfg_ops.write(e.fc, FW_CFG_PORT_DMA + 4, &be, 4);    /* 0x1_0000_1000: not RAM */
	CHECK_EQ(e.ram[DESC_GPA + 3], FW_CFG_DMA_CTL_READ);      /* untouched */
	CHECK_EQ(dma(&e, FW_CFG_FILE_FIRST << 16 | FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_READ, 2, BUF_GPA), 0);
	CHECK(!memcmp(e.ram + BUF_GPA, "01", 2));
	/* Other widths and offsets of the DMA register are ignored. */
	be = htobe32(DESC_GPA);
	fw_cfg_ops.write(e.fc, FW_CFG_PORT_DMA + 5, &be, 2);
	fw_cfg_ops.write(e.fc, FW_CFG_PORT_DMA + 8, &be, 4);
	env_destroy(&e);
}

/* A 64-bit write of the whole register starts a transfer too. */
static void test_dma_64bit_write(void)
{
	struct fw_cfg_dma_access a = {
		.control = htobe32(FW_CFG_SIGNATURE << 16 | FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_READ),
		.length = htobe32(4), .address = htobe64(BUF_GPA),
	};
	uint64_t be = htobe64(DESC_GPA);
	struct env e;

	env_init(&e);
	memcpy(e.ram + DESC_GPA, &a, sizeof(a));
	fw_cfg_ops.write(e.fc, FW_CFG_PORT_DMA, &be, 8);
	CHECK(!memcmp(e.ram + BUF_GPA, "QEMU", 4));
	CHECK_EQ(e.ram[DESC_GPA + 3], 0);
	env_destroy(&e);
}

/* Random port traffic: never out of bounds (run under ASan), never a crash. */
static void test_random(void)
{
	uint64_t state = 0x9e3779b97f4a7c15ULL;
	struct env e;

	env_init(&e);
	CHECK_EQ(fw_cfg_add_file(e.fc, "etc/blob", "abc", 3), 0);
	for (int i = 0; i < 200000; i++) {
		uint64_t r = test_rand(&state);
		uint32_t len = 1u << (r & 3), off = (uint32_t)((r >> 2) % FW_CFG_PORT_LEN);
		uint64_t val = test_rand(&state);

		if (off + len > FW_CFG_PORT_LEN)
			continue;
		if ((r >> 8) & 1) {
			/* Aim the DMA at RAM half of the time, with random descriptors there. */
			if (off == FW_CFG_PORT_DMA + 4 && ((r >> 9) & 1))
				val = htobe32((uint32_t)((r >> 16) % RAM_SIZE));
			if ((r >> 10) & 1)
				memcpy(e.ram + DESC_GPA, &val, sizeof(val));
			fw_cfg_ops.write(e.fc, off, &val, len);
		} else {
			fw_cfg_ops.read(e.fc, off, &val, len);
		}
	}
	env_destroy(&e);
}

TEST_MAIN(test_signature_and_id, test_items, test_files, test_dma_read, test_dma_hostile,
	  test_dma_64bit_write, test_random)
