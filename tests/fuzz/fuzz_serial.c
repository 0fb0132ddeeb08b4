/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the 16550A: the input is a sequence of records
 *
 *   op: bits 0-3 offset (0-15: the 8 registers and beyond the range),
 *       bits 4-5 width (1, 2, 4, 8), bit 6 write, bit 7 receive instead
 *   write:   width value bytes follow
 *   receive: a length byte n follows, then up to n bytes for serial_receive()
 *
 * Build: clang -fsanitize=fuzzer,address,undefined (see tests/fuzz/meson.build).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "devices/legacy/serial.h"

struct fuzz_irq {
	int level;
};

static void fuzz_irq_set(void *ctx, uint32_t gsi, int level)
{
	struct fuzz_irq *irq = ctx;

	/* The device promises to report level changes only. */
	if (irq->level == level)
		__builtin_trap();
	irq->level = level;
}

static void fuzz_sink(void *ctx, const uint8_t *buf, size_t len)
{
	size_t *total = ctx;

	*total += len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint32_t widths[] = { 1, 2, 4, 8 };
	struct fuzz_irq irq = { 0 };
	size_t total = 0, pos = 0;
	struct serial *s;

	s = serial_create((struct irq_line){ .set = fuzz_irq_set, .ctx = &irq, .gsi = 4 },
			  fuzz_sink, &total);
	if (!s)
		return 0;
	while (pos < size) {
		uint8_t op = data[pos++];
		uint64_t offset = op & 0x0f;
		uint32_t len = widths[(op >> 4) & 3];
		uint8_t val[8];

		if (op & 0x80) {
			size_t n = pos < size ? data[pos++] : 0;

			if (n > size - pos)
				n = size - pos;
			if (serial_receive(s, data + pos, n) > n)
				__builtin_trap();
			if (serial_rx_space(s) > 4096)
				__builtin_trap();
			pos += n;
		} else if (op & 0x40) {
			memset(val, 0, sizeof(val));
			for (uint32_t i = 0; i < len && pos < size; i++)
				val[i] = data[pos++];
			serial_ops.write(s, offset, val, len);
		} else {
			serial_ops.read(s, offset, val, len);
		}
	}
	serial_destroy(s);
	return 0;
}
