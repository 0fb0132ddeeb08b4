/* SPDX-License-Identifier: MIT */
/* QEMU's fw_cfg device: the item table, the data port and the DMA interface. See fw_cfg.h. */
#include "devices/legacy/fw_cfg.h"

#include <endian.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"

#define FW_CFG_ARCH_LOCAL       0x8000
#define FW_CFG_DMA_SIGNATURE    "QEMU CFG"

struct fw_cfg_item {
	uint16_t key;
	uint32_t len;
	uint8_t *data;
	char name[FW_CFG_FILE_NAME_MAX];    /* files only; "" for numbered items */
};

struct fw_cfg {
	const struct guest_mem *mem;
	pthread_mutex_t lock;
	struct fw_cfg_item items[FW_CFG_MAX_ITEMS];
	uint32_t nr_items;
	uint16_t next_file_key;
	/* What the guest set: the selected item (NULL: none or unknown), the offset in it. */
	const struct fw_cfg_item *cur;
	uint32_t offset;
	uint32_t dma_addr_high;
};

static struct fw_cfg_item *fw_cfg_find(struct fw_cfg *fc, uint16_t key)
{
	for (uint32_t i = 0; i < fc->nr_items; i++)
		if (fc->items[i].key == key)
			return &fc->items[i];
	return NULL;
}

/* Stores a copy of data under key; the caller checked the key. */
static int fw_cfg_store(struct fw_cfg *fc, uint16_t key, const char *name, const void *data, uint32_t len)
{
	struct fw_cfg_item *item;
	uint8_t *copy = NULL;

	if (len > FW_CFG_ITEM_MAX_LEN || (len && !data))
		return -EINVAL;
	if (fw_cfg_find(fc, key))
		return -EEXIST;
	if (fc->nr_items == FW_CFG_MAX_ITEMS)
		return -ENOSPC;
	if (len) {
		copy = malloc(len);
		if (!copy)
			return -ENOMEM;
		memcpy(copy, data, len);
	}
	item = &fc->items[fc->nr_items++];
	*item = (struct fw_cfg_item){ .key = key, .len = len, .data = copy };
	if (name)
		strcpy(item->name, name);      /* the caller checked its length */
	return 0;
}

/* Rebuilds the directory item from the files, in the order they were added. */
static int fw_cfg_update_dir(struct fw_cfg *fc)
{
	struct fw_cfg_item *dir = fw_cfg_find(fc, FW_CFG_FILE_DIR);
	uint32_t count = 0, len;
	uint8_t *buf;

	for (uint32_t i = 0; i < fc->nr_items; i++)
		count += fc->items[i].key >= FW_CFG_FILE_FIRST && fc->items[i].key < FW_CFG_ARCH_LOCAL;
	len = sizeof(uint32_t) + count * sizeof(struct fw_cfg_file);
	buf = calloc(1, len);
	if (!buf)
		return -ENOMEM;
	*(uint32_t *)buf = htobe32(count);
	count = 0;
	for (uint32_t i = 0; i < fc->nr_items; i++) {
		const struct fw_cfg_item *item = &fc->items[i];
		struct fw_cfg_file f = { 0 };

		if (item->key < FW_CFG_FILE_FIRST || item->key >= FW_CFG_ARCH_LOCAL)
			continue;
		f.size = htobe32(item->len);
		f.select = htobe16(item->key);
		memcpy(f.name, item->name, sizeof(f.name));
		memcpy(buf + sizeof(uint32_t) + count++ * sizeof(f), &f, sizeof(f));
	}
	free(dir->data);
	dir->data = buf;
	dir->len = len;
	return 0;
}

struct fw_cfg *fw_cfg_create(const struct guest_mem *mem)
{
	const uint32_t id = htole32(FW_CFG_ID_TRADITIONAL | FW_CFG_ID_DMA);
	struct fw_cfg *fc = calloc(1, sizeof(*fc));

	if (!fc)
		return NULL;
	fc->mem = mem;
	fc->next_file_key = FW_CFG_FILE_FIRST;
	if (pthread_mutex_init(&fc->lock, NULL)) {
		free(fc);
		return NULL;
	}
	if (fw_cfg_store(fc, FW_CFG_SIGNATURE, NULL, "QEMU", 4) ||
	    fw_cfg_store(fc, FW_CFG_ID, NULL, &id, sizeof(id)) ||
	    fw_cfg_store(fc, FW_CFG_FILE_DIR, NULL, NULL, 0) ||
	    fw_cfg_update_dir(fc)) {
		fw_cfg_destroy(fc);
		return NULL;
	}
	return fc;
}

void fw_cfg_destroy(struct fw_cfg *fc)
{
	if (!fc)
		return;
	for (uint32_t i = 0; i < fc->nr_items; i++)
		free(fc->items[i].data);
	pthread_mutex_destroy(&fc->lock);
	free(fc);
}

int fw_cfg_add_item(struct fw_cfg *fc, uint16_t key, const void *data, uint32_t len)
{
	bool generic = key < FW_CFG_FILE_FIRST;
	bool arch = key >= FW_CFG_ARCH_LOCAL && !(key & FW_CFG_WRITE_CHANNEL);

	if ((!generic && !arch) || key == FW_CFG_FILE_DIR)
		return -EINVAL;
	return fw_cfg_store(fc, key, NULL, data, len);
}

int fw_cfg_add_u16(struct fw_cfg *fc, uint16_t key, uint16_t value)
{
	uint16_t le = htole16(value);

	return fw_cfg_add_item(fc, key, &le, sizeof(le));
}

int fw_cfg_add_u64(struct fw_cfg *fc, uint16_t key, uint64_t value)
{
	uint64_t le = htole64(value);

	return fw_cfg_add_item(fc, key, &le, sizeof(le));
}

int fw_cfg_add_file(struct fw_cfg *fc, const char *name, const void *data, uint32_t len)
{
	size_t name_len = name ? strlen(name) : 0;
	int ret;

	if (!name_len)
		return -EINVAL;
	if (name_len >= FW_CFG_FILE_NAME_MAX)
		return -ENAMETOOLONG;
	for (uint32_t i = 0; i < fc->nr_items; i++)
		if (fc->items[i].key >= FW_CFG_FILE_FIRST && !strcmp(fc->items[i].name, name))
			return -EEXIST;
	if (fc->next_file_key & FW_CFG_WRITE_CHANNEL)
		return -ENOSPC;
	ret = fw_cfg_store(fc, fc->next_file_key, name, data, len);
	if (ret)
		return ret;
	fc->next_file_key++;
	ret = fw_cfg_update_dir(fc);
	if (ret) {
		/* Take the file back out: the directory must list exactly the files. */
		fc->next_file_key--;
		free(fc->items[--fc->nr_items].data);
	}
	return ret;
}

/* Called with the lock held: the guest selects key (the write-channel bit means nothing here). */
static void fw_cfg_select(struct fw_cfg *fc, uint16_t key)
{
	fc->cur = fw_cfg_find(fc, key & ~FW_CFG_WRITE_CHANNEL);
	fc->offset = 0;
}

/* Bytes of the selected item left from the offset (0 past the end or with none selected). */
static uint32_t fw_cfg_avail(const struct fw_cfg *fc)
{
	if (!fc->cur || fc->offset >= fc->cur->len)
		return 0;
	return fc->cur->len - fc->offset;
}

/*
 * Runs the transfer the FWCfgDmaAccess at gpa describes and writes its
 * control word back. Called with the lock held.
 */
static void fw_cfg_dma_run(struct fw_cfg *fc, uint64_t gpa)
{
	struct fw_cfg_dma_access access;
	uint32_t control, length, avail, n;
	uint64_t address;
	uint32_t result = 0;
	uint8_t *dst;

	if (guest_mem_read(fc->mem, gpa, &access, sizeof(access))) {
		log_guest("fw_cfg: DMA descriptor at 0x%llx is not in guest RAM", (unsigned long long)gpa);
		return;
	}
	control = be32toh(access.control);
	length = be32toh(access.length);
	address = be64toh(access.address);

	if (control & FW_CFG_DMA_CTL_SELECT)
		fw_cfg_select(fc, (uint16_t)(control >> 16));
	avail = fw_cfg_avail(fc);
	n = length < avail ? length : avail;
	if (!length) {
		/* Nothing to move (QEMU does not look at the address either). */
	} else if (control & FW_CFG_DMA_CTL_READ) {
		/* All of it lands in RAM or none does; past the item's end reads as zeros. */
		dst = guest_mem_ptr(fc->mem, address, length);
		if (!dst) {
			log_guest("fw_cfg: DMA read of %u bytes to 0x%llx: not guest RAM",
				  length, (unsigned long long)address);
			result = FW_CFG_DMA_CTL_ERROR;
		} else {
			if (n)
				memcpy(dst, fc->cur->data + fc->offset, n);
			memset(dst + n, 0, length - n);
			guest_mem_mark_written(fc->mem, address, length);
			fc->offset += n;
		}
	} else if (control & FW_CFG_DMA_CTL_WRITE) {
		/* No item is writable (QEMU's are only with devices vessel does not have). */
		result = FW_CFG_DMA_CTL_ERROR;
	} else if (control & FW_CFG_DMA_CTL_SKIP) {
		fc->offset += n;
	}
	control = htobe32(result);
	if (guest_mem_write(fc->mem, gpa, &control, sizeof(control)))
		log_guest("fw_cfg: cannot write the DMA result at 0x%llx", (unsigned long long)gpa);
}

static void fw_cfg_read(void *opaque, uint64_t offset, void *data, uint32_t len)
{
	struct fw_cfg *fc = opaque;
	uint8_t *out = data;

	memset(data, 0xff, len);
	if (offset == FW_CFG_PORT_DATA) {
		/* A wider read returns the next bytes in order (QEMU's MMIO data register does so). */
		pthread_mutex_lock(&fc->lock);
		for (uint32_t i = 0; i < len; i++) {
			out[i] = fw_cfg_avail(fc) ? fc->cur->data[fc->offset] : 0;
			if (fw_cfg_avail(fc))
				fc->offset++;
		}
		pthread_mutex_unlock(&fc->lock);
	} else if (offset >= FW_CFG_PORT_DMA && offset < FW_CFG_PORT_LEN && len <= FW_CFG_PORT_LEN - offset) {
		static const char signature[] = FW_CFG_DMA_SIGNATURE;

		memcpy(data, &signature[offset - FW_CFG_PORT_DMA], len);
	}
}

static void fw_cfg_write(void *opaque, uint64_t offset, const void *data, uint32_t len)
{
	struct fw_cfg *fc = opaque;
	uint32_t be32;
	uint64_t be64;

	pthread_mutex_lock(&fc->lock);
	if (offset == FW_CFG_PORT_SELECTOR && len == 2) {
		uint16_t key;

		memcpy(&key, data, sizeof(key));
		fw_cfg_select(fc, le16toh(key));
	} else if (offset == FW_CFG_PORT_DMA && len == 4) {
		memcpy(&be32, data, sizeof(be32));
		fc->dma_addr_high = be32toh(be32);
	} else if (offset == FW_CFG_PORT_DMA + 4 && len == 4) {
		memcpy(&be32, data, sizeof(be32));
		fw_cfg_dma_run(fc, (uint64_t)fc->dma_addr_high << 32 | be32toh(be32));
		fc->dma_addr_high = 0;
	} else if (offset == FW_CFG_PORT_DMA && len == 8) {
		memcpy(&be64, data, sizeof(be64));
		fw_cfg_dma_run(fc, be64toh(be64));
		fc->dma_addr_high = 0;
	}
	/* Data port writes are ignored (as in QEMU since 2.4); other widths too. */
	pthread_mutex_unlock(&fc->lock);
}

const struct bus_dev_ops fw_cfg_ops = { .read = fw_cfg_read, .write = fw_cfg_write };
