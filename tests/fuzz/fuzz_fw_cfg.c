/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for fw_cfg's port and DMA parsing. The device gets the
 * items SeaBIOS reads on a vessel VM (numbered items and a few files) and
 * 64 KiB of guest RAM; the input is a sequence of records
 *
 *   op: bits 0-3 port offset (0-15: selector, data, DMA address, beyond),
 *       bits 4-5 width (1, 2, 4, 8), bit 6 write, bit 7 "put 16 bytes into
 *       RAM" instead (a DMA descriptor, or data: a 2-byte RAM offset and
 *       16 bytes follow)
 *   write: width value bytes follow (DMA addresses point anywhere, RAM or not)
 *
 * The sanitizers catch any access outside an item or guest RAM.
 *
 * Build: clang -fsanitize=fuzzer,address,undefined (see tests/fuzz/meson.build).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "devices/legacy/fw_cfg.h"

#define FUZZ_RAM_SIZE   (64u << 10)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint32_t widths[] = { 1, 2, 4, 8 };
	static uint8_t ram[FUZZ_RAM_SIZE];
	static const uint8_t blob[300] = { 1, 2, 3 };
	struct guest_mem mem = { 0 };
	struct fw_cfg *fc;
	size_t pos = 0;

	memset(ram, 0, sizeof(ram));
	if (guest_mem_add(&mem, 0x10000, sizeof(ram), ram))
		__builtin_trap();
	fc = fw_cfg_create(&mem);
	if (!fc)
		return 0;
	if (fw_cfg_add_u16(fc, FW_CFG_NB_CPUS, 2) || fw_cfg_add_u64(fc, FW_CFG_RAM_SIZE, 1ULL << 30) ||
	    fw_cfg_add_file(fc, "etc/e820", blob, 60) || fw_cfg_add_file(fc, "etc/acpi/tables", blob, sizeof(blob)) ||
	    fw_cfg_add_file(fc, "etc/empty", NULL, 0))
		__builtin_trap();
	while (pos < size) {
		uint8_t op = data[pos++];
		uint64_t offset = op & 0x0f;
		uint32_t len = widths[(op >> 4) & 3];
		uint8_t val[16];

		memset(val, 0, sizeof(val));
		if (op & 0x80) {
			uint16_t at = 0;

			for (int i = 0; i < 2 && pos < size; i++)
				at = (uint16_t)(at << 8 | data[pos++]);
			for (int i = 0; i < 16 && pos < size; i++)
				val[i] = data[pos++];
			if (at <= sizeof(ram) - 16)
				memcpy(ram + at, val, 16);
		} else if (op & 0x40) {
			for (uint32_t i = 0; i < len && pos < size; i++)
				val[i] = data[pos++];
			if (offset + len <= FW_CFG_PORT_LEN)
				fw_cfg_ops.write(fc, offset, val, len);
		} else if (offset + len <= FW_CFG_PORT_LEN) {
			fw_cfg_ops.read(fc, offset, val, len);
		}
	}
	fw_cfg_destroy(fc);
	return 0;
}
