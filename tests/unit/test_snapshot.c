// SPDX-License-Identifier: MIT
/*
 * The snapshot format (every corruption, truncation and bad section
 * refused), the configuration section (round trip, every cut refused) and
 * the legacy devices' state (save, load into a fresh device, save again:
 * the same bytes; bad values refused).
 */
#include <string.h>
#include <zlib.h>

#include "devices/legacy/legacy.h"
#include "devices/legacy/serial.h"
#include "snapshot/snap_config.h"
#include "snapshot/snap_format.h"
#include "test.h"

#define SERIAL_COM1 0x3f8

/* A stream with a config-like section and two device sections. */
static void build_stream(struct snap_writer *w)
{
	struct snap_header facts = { .kvm_api_version = 12, .cpu_model = 2, .cpuid_hash = 0x1234 };
	size_t sec;

	snap_begin(w, &facts);
	sec = snap_section_begin(w, SNAP_TAG_VM, 0);
	snap_put(w, "vm-state", 8);
	snap_section_end(w, sec);
	sec = snap_section_begin(w, SNAP_TAG_VCPU, 0);
	snap_put_u64(w, 0xabcdef);
	snap_section_end(w, sec);
	sec = snap_section_begin(w, SNAP_TAG_VCPU, 1);
	snap_section_end(w, sec);
	CHECK_EQ(snap_finish(w), 0);
}

/* Recomputes the CRC after a deliberate edit, so the parser's later checks are reached. */
static void reseal(uint8_t *buf, size_t len)
{
	uint32_t crc = (uint32_t)crc32(crc32(0L, Z_NULL, 0), buf, (uInt)(len - 4));

	memcpy(buf + len - 4, &crc, 4);
}

static int parse(const uint8_t *buf, size_t len, char *err)
{
	struct snap_image img;
	int ret = snap_parse(buf, len, &img, err, 256);

	if (!ret)
		snap_image_free(&img);
	return ret;
}

static void test_format_round_trip(void)
{
	struct snap_writer w = { 0 };
	struct snap_image img;
	const struct snap_section *s;
	char err[256];
	uint64_t v;

	build_stream(&w);
	CHECK_EQ(snap_parse(w.buf, w.len, &img, err, sizeof(err)), 0);
	CHECK_EQ(img.nr_sections, 3);
	CHECK_EQ(img.header.cpuid_hash, 0x1234);
	CHECK_EQ(img.header.total_size, w.len);
	CHECK_EQ(snap_count(&img, SNAP_TAG_VCPU), 2);
	s = snap_find(&img, SNAP_TAG_VM, 0);
	CHECK(s && s->len == 8 && !memcmp(s->data, "vm-state", 8));
	s = snap_find(&img, SNAP_TAG_VCPU, 0);
	CHECK(s && s->len == 8);
	if (s) {
		memcpy(&v, s->data, 8);
		CHECK_EQ(v, 0xabcdef);
	}
	s = snap_find(&img, SNAP_TAG_VCPU, 1);
	CHECK(s && s->len == 0);
	CHECK(snap_find(&img, SNAP_TAG_SERIAL, 0) == NULL);
	snap_image_free(&img);
	snap_writer_free(&w);
}

/* Any single flipped bit anywhere is refused (magic, header checks or the checksum). */
static void test_format_every_flip_refused(void)
{
	struct snap_writer w = { 0 };
	char err[256];

	build_stream(&w);
	for (size_t i = 0; i < w.len; i++) {
		for (int bit = 0; bit < 8; bit += 3) {
			w.buf[i] ^= (uint8_t)(1u << bit);
			CHECK(parse(w.buf, w.len, err) == -EINVAL);
			w.buf[i] ^= (uint8_t)(1u << bit);
		}
	}
	CHECK_EQ(parse(w.buf, w.len, err), 0);
	snap_writer_free(&w);
}

static void test_format_every_cut_refused(void)
{
	struct snap_writer w = { 0 };
	char err[256];
	uint8_t *longer;

	build_stream(&w);
	for (size_t len = 0; len < w.len; len++)
		CHECK(parse(w.buf, len, err) == -EINVAL);
	CHECK(parse(w.buf, w.len - 1, err) == -EINVAL && strstr(err, "truncated"));
	longer = calloc(1, w.len + 16);
	memcpy(longer, w.buf, w.len);
	CHECK(parse(longer, w.len + 16, err) == -EINVAL && strstr(err, "trailing"));
	free(longer);
	snap_writer_free(&w);
}

static void test_format_bad_fields(void)
{
	struct snap_writer w = { 0 };
	struct snap_section_header sh;
	struct snap_header hdr;
	const size_t first = sizeof(struct snap_header);
	char err[256];
	uint8_t *copy;

	build_stream(&w);
	copy = malloc(w.len);

	/* Wrong version: named before the checksum is even looked at. */
	memcpy(copy, w.buf, w.len);
	memcpy(&hdr, copy, sizeof(hdr));
	hdr.version = 2;
	memcpy(copy, &hdr, sizeof(hdr));
	CHECK(parse(copy, w.len, err) == -EINVAL && strstr(err, "version 2 is not supported"));

	/* Unknown tag, with a good checksum. */
	memcpy(copy, w.buf, w.len);
	memcpy(&sh, copy + first, sizeof(sh));
	sh.tag = 77;
	memcpy(copy + first, &sh, sizeof(sh));
	reseal(copy, w.len);
	CHECK(parse(copy, w.len, err) == -EINVAL && strstr(err, "unknown tag 77"));

	/* A section version this vessel does not read. */
	memcpy(copy, w.buf, w.len);
	sh.tag = SNAP_TAG_VM;
	sh.version = 9;
	memcpy(copy + first, &sh, sizeof(sh));
	reseal(copy, w.len);
	CHECK(parse(copy, w.len, err) == -EINVAL && strstr(err, "version 9"));

	/* A length that runs past the end. */
	memcpy(copy, w.buf, w.len);
	memcpy(&sh, copy + first, sizeof(sh));
	sh.length = 0xfffffff0u;
	memcpy(copy + first, &sh, sizeof(sh));
	reseal(copy, w.len);
	CHECK(parse(copy, w.len, err) == -EINVAL && strstr(err, "runs past the end"));

	/* The same section twice (vCPU 1 renamed vCPU 0). */
	memcpy(copy, w.buf, w.len);
	{
		size_t second = first + sizeof(sh) + 8, third = second + sizeof(sh) + 8;

		memcpy(&sh, copy + third, sizeof(sh));
		CHECK_EQ(sh.instance, 1);
		sh.instance = 0;
		memcpy(copy + third, &sh, sizeof(sh));
	}
	reseal(copy, w.len);
	CHECK(parse(copy, w.len, err) == -EINVAL && strstr(err, "twice"));

	/* A header that counts another number of sections. */
	memcpy(copy, w.buf, w.len);
	memcpy(&hdr, copy, sizeof(hdr));
	hdr.nr_sections = 2;
	memcpy(copy, &hdr, sizeof(hdr));
	reseal(copy, w.len);
	CHECK(parse(copy, w.len, err) == -EINVAL && strstr(err, "more sections"));
	hdr.nr_sections = 4;
	memcpy(copy, &hdr, sizeof(hdr));
	reseal(copy, w.len);
	CHECK(parse(copy, w.len, err) == -EINVAL);

	free(copy);
	snap_writer_free(&w);
}

static void fill_config(struct vm_config *cfg)
{
	*cfg = (struct vm_config){
		.nr_cpus = 4, .mem_size = 512ULL << 20, .cpu_model = CPU_MODEL_PVM_SAFE,
		.console_device = VM_CONSOLE_VIRTIO, .rng = true, .nr_disks = 2, .nr_nets = 2,
	};
	cfg->disks[0] = (struct virtio_blk_config){ .path = "/var/lib/disk0.img", .readonly = true,
						     .serial = "SERIAL0", .aio = BLOCK_AIO_THREADS };
	cfg->disks[1] = (struct virtio_blk_config){ .path = "/tmp/d1", .direct = true };
	cfg->nets[0] = (struct net_config){ .type = NET_USER, .mac = { 0x52, 0x54, 0, 1, 2, 3 }, .nr_hostfwd = 1 };
	cfg->nets[0].hostfwd[0] = (struct net_hostfwd){ .host_port = 8080, .guest_port = 80 };
	cfg->nets[1] = (struct net_config){ .type = NET_TAP, .ifname = "tap0", .mac = { 0x52, 0x54, 0, 1, 2, 4 },
					    .queues = 4 };
}

static void test_config_round_trip(void)
{
	struct snap_writer w = { 0 };
	struct snap_config out;
	struct vm_config cfg;
	struct snap_reader r;
	char err[256];

	fill_config(&cfg);
	snap_config_save(&cfg, NULL, &w);
	r = snap_reader_init(w.buf, w.len);
	CHECK_EQ(snap_config_load(&r, &out, err, sizeof(err)), 0);
	CHECK_EQ(out.vm.nr_cpus, 4);
	CHECK_EQ(out.vm.mem_size, 512ULL << 20);
	CHECK_EQ(out.vm.cpu_model, CPU_MODEL_PVM_SAFE);
	CHECK_EQ(out.vm.console_device, VM_CONSOLE_VIRTIO);
	CHECK(out.vm.rng);
	CHECK_EQ(out.vm.nr_disks, 2);
	CHECK(!strcmp(out.vm.disks[0].path, "/var/lib/disk0.img") && out.vm.disks[0].readonly);
	CHECK(!strcmp(out.vm.disks[0].serial, "SERIAL0") && out.vm.disks[0].aio == BLOCK_AIO_THREADS);
	CHECK(!strcmp(out.vm.disks[1].path, "/tmp/d1") && out.vm.disks[1].direct && !out.vm.disks[1].serial);
	CHECK_EQ(out.vm.nr_nets, 2);
	CHECK(out.vm.nets[0].type == NET_USER && out.vm.nets[0].mac[5] == 3 && out.vm.nets[0].queues == 1);
	CHECK(out.vm.nets[1].type == NET_TAP && !strcmp(out.vm.nets[1].ifname, "tap0") && out.vm.nets[1].queues == 4);
	CHECK(out.vm.nets[0].nr_hostfwd == 1 && out.vm.nets[0].hostfwd[0].guest_port == 80);
	CHECK(out.vm.kernel_path == NULL && out.vm.console == NULL);
	snap_config_free(&out);

	/* Every cut is refused, and nothing leaks (ASan). */
	for (size_t len = 0; len < w.len; len++) {
		r = snap_reader_init(w.buf, len);
		CHECK(snap_config_load(&r, &out, err, sizeof(err)) == -EINVAL);
	}
	snap_writer_free(&w);
}

static void test_config_bad_values(void)
{
	struct snap_writer w = { 0 };
	struct snap_config out;
	struct vm_config cfg;
	struct snap_reader r;
	char err[256];

	fill_config(&cfg);
	cfg.nr_cpus = 0;
	snap_config_save(&cfg, NULL, &w);
	r = snap_reader_init(w.buf, w.len);
	CHECK(snap_config_load(&r, &out, err, sizeof(err)) == -EINVAL && strstr(err, "vCPU"));
	snap_writer_free(&w);

	/* NIC queue pairs: 1 to 8, and more than one only on a TAP. */
	fill_config(&cfg);
	cfg.nets[1].queues = 9;
	snap_config_save(&cfg, NULL, &w);
	r = snap_reader_init(w.buf, w.len);
	CHECK(snap_config_load(&r, &out, err, sizeof(err)) == -EINVAL && strstr(err, "NIC"));
	snap_writer_free(&w);
	fill_config(&cfg);
	cfg.nets[0].queues = 2;
	snap_config_save(&cfg, NULL, &w);
	r = snap_reader_init(w.buf, w.len);
	CHECK(snap_config_load(&r, &out, err, sizeof(err)) == -EINVAL && strstr(err, "NIC"));
	snap_writer_free(&w);

	fill_config(&cfg);
	cfg.mem_size = (256ULL << 20) + 5;
	snap_config_save(&cfg, NULL, &w);
	r = snap_reader_init(w.buf, w.len);
	CHECK(snap_config_load(&r, &out, err, sizeof(err)) == -EINVAL && strstr(err, "memory"));
	snap_writer_free(&w);

	fill_config(&cfg);
	cfg.disks[1].serial = "a serial of more than twenty bytes";
	snap_config_save(&cfg, NULL, &w);
	r = snap_reader_init(w.buf, w.len);
	CHECK(snap_config_load(&r, &out, err, sizeof(err)) == -EINVAL && strstr(err, "disk"));
	snap_writer_free(&w);
}

static void noop_irq(void *ctx, uint32_t gsi, int level)
{
	int *lvl = ctx;

	*lvl = level;
}

static void discard_out(void *ctx, const uint8_t *buf, size_t len)
{
}

static void test_serial_round_trip(void)
{
	int level_a = 0, level_b = 0;
	struct serial *a = serial_create((struct irq_line){ .set = noop_irq, .ctx = &level_a }, discard_out, NULL);
	struct serial *b = serial_create((struct irq_line){ .set = noop_irq, .ctx = &level_b }, discard_out, NULL);
	struct snap_writer w1 = { 0 }, w2 = { 0 };
	struct snap_reader r;
	uint8_t v = 0x01, lsr;

	/* Receive interrupt on, FIFO on, some input waiting. */
	serial_ops.write(a, 1, &v, 1);
	serial_ops.write(a, 2, &v, 1);
	CHECK_EQ(serial_receive(a, (const uint8_t *)"hello", 5), 5);
	CHECK_EQ(level_a, 1);
	serial_save(a, &w1);
	r = snap_reader_init(w1.buf, w1.len);
	CHECK_EQ(serial_load(b, &r), 0);
	CHECK_EQ(level_b, 1);          /* the restored line is raised again */
	serial_save(b, &w2);
	CHECK(w1.len == w2.len && !memcmp(w1.buf, w2.buf, w1.len));
	serial_ops.read(b, 5, &lsr, 1);
	CHECK(lsr & 0x01);             /* data ready */
	serial_ops.read(b, 0, &v, 1);
	CHECK_EQ(v, 'h');

	/* A short state, and one whose ring head is out of bounds, are refused. */
	r = snap_reader_init(w1.buf, w1.len - 1);
	CHECK(serial_load(b, &r) == -EINVAL);
	w1.buf[10] = 0xff;
	w1.buf[11] = 0xff;
	r = snap_reader_init(w1.buf, w1.len);
	CHECK(serial_load(b, &r) == -EINVAL);
	serial_ops.read(b, 0, &v, 1);
	CHECK_EQ(v, 'e');              /* nothing of the bad state was applied */
	snap_writer_free(&w1);
	snap_writer_free(&w2);
	serial_destroy(a);
	serial_destroy(b);
}

static void fake_power(void *ctx, enum power_event event)
{
}

static void test_legacy_round_trips(void)
{
	struct power_handler power = { .request = fake_power };
	struct i8042 *ia = i8042_create((struct irq_line){ 0 }, power), *ib = i8042_create((struct irq_line){ 0 }, power);
	struct cmos *ca = cmos_create((struct irq_line){ 0 }, 256 << 20, 0), *cb = cmos_create((struct irq_line){ 0 }, 1 << 30, 0);
	struct acpi_pm *pa = acpi_pm_create(power), *pb = acpi_pm_create(power);
	struct snap_writer w1 = { 0 }, w2 = { 0 };
	struct snap_reader r;
	uint8_t v;

	v = 0x20;                      /* i8042: read the command byte: one byte queued */
	i8042_ops.write(ia, 4, &v, 1);
	i8042_save(ia, &w1);
	r = snap_reader_init(w1.buf, w1.len);
	CHECK_EQ(i8042_load(ib, &r), 0);
	i8042_save(ib, &w2);
	CHECK(w1.len == w2.len && !memcmp(w1.buf, w2.buf, w1.len));
	w1.buf[7] = 200;               /* queue_len beyond the queue */
	r = snap_reader_init(w1.buf, w1.len);
	CHECK(i8042_load(ib, &r) == -EINVAL);
	snap_writer_free(&w1);
	snap_writer_free(&w2);

	v = 0x0f;                      /* CMOS: a scratch byte of RAM */
	cmos_ops.write(ca, 0, &v, 1);
	v = 0x5a;
	cmos_ops.write(ca, 1, &v, 1);
	cmos_save(ca, &w1);
	r = snap_reader_init(w1.buf, w1.len);
	CHECK_EQ(cmos_load(cb, &r), 0);
	cmos_ops.read(cb, 1, &v, 1);
	CHECK_EQ(v, 0x5a);
	v = 0x15;                      /* and the RAM size bytes are the snapshot's, not the new device's */
	cmos_ops.write(cb, 0, &v, 1);
	{
		uint8_t want, got;

		cmos_ops.write(ca, 0, &v, 1);
		cmos_ops.read(ca, 1, &want, 1);
		cmos_ops.read(cb, 1, &got, 1);
		CHECK_EQ(got, want);
	}
	snap_writer_free(&w1);

	acpi_pm_save(pa, &w1);
	r = snap_reader_init(w1.buf, w1.len);
	CHECK_EQ(acpi_pm_load(pb, &r), 0);
	r = snap_reader_init(w1.buf, 0);
	CHECK(acpi_pm_load(pb, &r) == -EINVAL);
	snap_writer_free(&w1);

	i8042_destroy(ia);
	i8042_destroy(ib);
	cmos_destroy(ca);
	cmos_destroy(cb);
	acpi_pm_destroy(pa);
	acpi_pm_destroy(pb);
}

/* The balloon section: its configuration round-trips, bad values are refused. */
static void test_balloon_section(void)
{
	const struct virtio_balloon_config in = { .enabled = true, .target_mib = 48, .deflate_on_oom = true,
						  .free_page_reporting = true, .stats_interval_s = 7 };
	struct virtio_balloon_config out = { 0 };
	struct snap_writer w = { 0 };
	struct snap_reader r;
	char err[256];

	snap_config_save_balloon(&in, &w);
	CHECK_EQ(snap_section_version(SNAP_TAG_BALLOON), 1);
	r = snap_reader_init(w.buf, w.len);
	CHECK_EQ(snap_config_load_balloon(&r, &out, err, sizeof(err)), 0);
	CHECK(out.enabled && out.target_mib == 48 && out.deflate_on_oom && out.free_page_reporting &&
	      out.stats_interval_s == 7);
	for (size_t field = 1; field < 4; field++) {
		uint32_t bad = field == 3 ? 70000 : 2, saved;

		memcpy(&saved, w.buf + 4 * field, 4);
		memcpy(w.buf + 4 * field, &bad, 4);
		r = snap_reader_init(w.buf, w.len);
		CHECK(snap_config_load_balloon(&r, &out, err, sizeof(err)) == -EINVAL && strstr(err, "balloon"));
		memcpy(w.buf + 4 * field, &saved, 4);
	}
	r = snap_reader_init(w.buf, w.len - 1);
	CHECK_EQ(snap_config_load_balloon(&r, &out, err, sizeof(err)), -EINVAL);
	snap_put_u32(&w, 0);
	r = snap_reader_init(w.buf, w.len);
	CHECK_EQ(snap_config_load_balloon(&r, &out, err, sizeof(err)), -EINVAL);
	snap_writer_free(&w);
}

TEST_MAIN(test_format_round_trip, test_format_every_flip_refused, test_format_every_cut_refused,
	  test_format_bad_fields, test_config_round_trip, test_config_bad_values, test_serial_round_trip,
	  test_legacy_round_trips, test_balloon_section)
