// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for the snapshot state parser: snap_parse() on arbitrary
 * bytes, then, for streams it accepts, the configuration decoder and the
 * legacy devices' loads on their sections. Half the inputs get a correct
 * CRC first (the first byte decides), so mutations reach the section walk
 * and the decoders instead of all dying at the checksum.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "devices/legacy/legacy.h"
#include "devices/legacy/serial.h"
#include "snapshot/snap_config.h"
#include "snapshot/snap_format.h"

static void fuzz_out(void *ctx, const uint8_t *buf, size_t len)
{
}

static void fuzz_power(void *ctx, enum power_event event)
{
}

static void fuzz_sections(const struct snap_image *img)
{
	struct power_handler power = { .request = fuzz_power };

	for (uint32_t i = 0; i < img->nr_sections; i++) {
		const struct snap_section *s = &img->sections[i];
		struct snap_reader r = snap_reader_init(s->data, s->len);
		char err[256];

		switch (s->tag) {
		case SNAP_TAG_CONFIG: {
			struct snap_config cfg;

			if (!snap_config_load(&r, &cfg, err, sizeof(err)))
				snap_config_free(&cfg);
			break;
		}
		case SNAP_TAG_BALLOON: {
			struct virtio_balloon_config balloon = { 0 };

			if (!snap_config_load_balloon(&r, &balloon, err, sizeof(err)) &&
			    (!balloon.enabled || balloon.stats_interval_s > VIRTIO_BALLOON_STATS_INTERVAL_MAX))
				__builtin_trap();
			break;
		}
		case SNAP_TAG_SERIAL: {
			struct serial *dev = serial_create((struct irq_line){ 0 }, fuzz_out, NULL);
			uint8_t v;

			if (dev && !serial_load(dev, &r)) {
				/* A loaded state must be safe to run: read every register. */
				for (uint64_t port = 0; port < SERIAL_PORT_LEN; port++)
					serial_ops.read(dev, port, &v, 1);
				serial_receive(dev, (const uint8_t *)"x", 1);
			}
			serial_destroy(dev);
			break;
		}
		case SNAP_TAG_I8042: {
			struct i8042 *dev = i8042_create((struct irq_line){ 0 }, power);
			uint8_t v;

			if (dev && !i8042_load(dev, &r))
				for (int n = 0; n < 20; n++)
					i8042_ops.read(dev, 0, &v, 1);
			i8042_destroy(dev);
			break;
		}
		case SNAP_TAG_CMOS: {
			struct cmos *dev = cmos_create((struct irq_line){ 0 }, 256 << 20, 0);
			uint8_t v;

			if (dev && !cmos_load(dev, &r))
				cmos_ops.read(dev, 1, &v, 1);
			cmos_destroy(dev);
			break;
		}
		default:
			break;
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct snap_image img;
	char err[256];
	uint8_t *buf;

	if (size < 1)
		return 0;
	buf = malloc(size - 1 ? size - 1 : 1);
	if (!buf)
		return 0;
	memcpy(buf, data + 1, size - 1);
	size--;
	if ((data[0] & 1) && size >= 4) {
		uint32_t crc = (uint32_t)crc32(crc32(0L, Z_NULL, 0), buf, (uInt)(size - 4));

		memcpy(buf + size - 4, &crc, 4);
	}
	if (!snap_parse(buf, size, &img, err, sizeof(err))) {
		fuzz_sections(&img);
		snap_image_free(&img);
	}
	free(buf);
	return 0;
}
