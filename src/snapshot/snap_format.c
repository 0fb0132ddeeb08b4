/* SPDX-License-Identifier: MIT */
#include "snapshot/snap_format.h"

#include <stdarg.h>
#include <stdio.h>
#include <zlib.h>

struct snap_tag_info {
	uint32_t tag;
	uint16_t version;
	const char *name;
};

static const struct snap_tag_info snap_tags[] = {
	{ SNAP_TAG_CONFIG, 4, "config" },   /* 2: disk and NIC ids, disk sizes; 3: disk queues; 4: NIC queues */
	{ SNAP_TAG_VM, 1, "vm" },
	{ SNAP_TAG_VCPU, 1, "vcpu" },
	{ SNAP_TAG_SERIAL, 1, "serial" },
	{ SNAP_TAG_I8042, 1, "i8042" },
	{ SNAP_TAG_CMOS, 1, "cmos" },
	{ SNAP_TAG_ACPI_PM, 1, "acpi_pm" },
	{ SNAP_TAG_VIRTIO, 2, "virtio" },   /* 2: virtio-net saves its queue pairs in use */
	{ SNAP_TAG_BALLOON, 1, "balloon" },
	{ SNAP_TAG_VSOCK, 1, "vsock" },
};

#define NR_TAGS (sizeof(snap_tags) / sizeof(snap_tags[0]))

static const struct snap_tag_info *snap_tag_info(uint32_t tag)
{
	for (size_t i = 0; i < NR_TAGS; i++)
		if (snap_tags[i].tag == tag)
			return &snap_tags[i];
	return NULL;
}

uint16_t snap_section_version(uint32_t tag)
{
	const struct snap_tag_info *t = snap_tag_info(tag);

	return t ? t->version : 0;
}

const char *snap_tag_name(uint32_t tag)
{
	const struct snap_tag_info *t = snap_tag_info(tag);

	return t ? t->name : "unknown";
}

uint64_t snap_fnv1a(uint64_t h, const void *data, size_t n)
{
	const uint8_t *p = data;

	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;
	return h;
}

static uint32_t snap_crc(const uint8_t *buf, size_t len)
{
	uLong crc = crc32(0L, Z_NULL, 0);

	/* zlib takes uInt lengths: feed it in chunks. */
	while (len) {
		uInt n = len > (1u << 30) ? (1u << 30) : (uInt)len;

		crc = crc32(crc, buf, n);
		buf += n;
		len -= n;
	}
	return (uint32_t)crc;
}

void snap_begin(struct snap_writer *w, const struct snap_header *facts)
{
	struct snap_header h = *facts;

	memcpy(h.magic, SNAP_MAGIC, sizeof(h.magic));
	h.version = SNAP_FORMAT_VERSION;
	h.header_size = sizeof(h);
	h.arch = SNAP_ARCH_X86_64;
	h.nr_sections = 0;
	h.total_size = 0;
	snap_put(w, &h, sizeof(h));
}

size_t snap_section_begin(struct snap_writer *w, uint32_t tag, uint16_t instance)
{
	struct snap_section_header sh = {
		.tag = tag, .instance = instance, .version = snap_section_version(tag),
	};
	size_t at = w->len;

	snap_put(w, &sh, sizeof(sh));
	return at;
}

void snap_section_end(struct snap_writer *w, size_t section)
{
	struct snap_section_header sh;
	struct snap_header h;

	if (w->error)
		return;
	memcpy(&sh, w->buf + section, sizeof(sh));
	sh.length = (uint32_t)(w->len - section - sizeof(sh));
	if (w->len - section - sizeof(sh) > SNAP_MAX_SECTION_LEN) {
		w->error = -EFBIG;
		return;
	}
	memcpy(w->buf + section, &sh, sizeof(sh));
	memcpy(&h, w->buf, sizeof(h));
	h.nr_sections++;
	memcpy(w->buf, &h, sizeof(h));
}

int snap_finish(struct snap_writer *w)
{
	struct snap_header h;
	uint32_t crc;

	if (w->error)
		return w->error;
	memcpy(&h, w->buf, sizeof(h));
	h.total_size = w->len + sizeof(crc);
	memcpy(w->buf, &h, sizeof(h));
	crc = snap_crc(w->buf, w->len);
	snap_put_u32(w, crc);
	return w->error;
}

static int snap_fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int snap_fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static int snap_check_header(const uint8_t *buf, size_t len, struct snap_header *h, char *err, size_t errlen)
{
	uint32_t crc;

	if (len < 8 || memcmp(buf, SNAP_MAGIC, 8))
		return snap_fail(err, errlen, "not a vessel snapshot state file (bad magic)");
	if (len < sizeof(*h) + sizeof(crc))
		return snap_fail(err, errlen, "snapshot state is truncated (%zu bytes)", len);
	memcpy(h, buf, sizeof(*h));
	if (h->version != SNAP_FORMAT_VERSION)
		return snap_fail(err, errlen, "snapshot format version %u is not supported (this vessel reads version %u)",
				 h->version, SNAP_FORMAT_VERSION);
	if (h->header_size != sizeof(*h))
		return snap_fail(err, errlen, "snapshot header size %u is wrong (expected %zu)",
				 h->header_size, sizeof(*h));
	if (h->total_size > len)
		return snap_fail(err, errlen, "snapshot state is truncated: %zu of %llu bytes",
				 len, (unsigned long long)h->total_size);
	if (h->total_size < len)
		return snap_fail(err, errlen, "snapshot state has %llu bytes of trailing garbage",
				 (unsigned long long)(len - h->total_size));
	memcpy(&crc, buf + len - sizeof(crc), sizeof(crc));
	if (crc != snap_crc(buf, len - sizeof(crc)))
		return snap_fail(err, errlen, "snapshot state is corrupt: checksum mismatch");
	if (h->arch != SNAP_ARCH_X86_64)
		return snap_fail(err, errlen, "snapshot is for another architecture (%u)", h->arch);
	if (h->nr_sections > SNAP_MAX_SECTIONS)
		return snap_fail(err, errlen, "snapshot has too many sections (%u)", h->nr_sections);
	return 0;
}

int snap_parse(const uint8_t *buf, size_t len, struct snap_image *img, char *err, size_t errlen)
{
	struct snap_header h;
	struct snap_section *secs;
	size_t pos, end;
	uint32_t n = 0;
	int ret;

	*img = (struct snap_image){ 0 };
	ret = snap_check_header(buf, len, &h, err, errlen);
	if (ret)
		return ret;
	secs = calloc(h.nr_sections ? h.nr_sections : 1, sizeof(*secs));
	if (!secs)
		return snap_fail(err, errlen, "out of memory");
	pos = sizeof(h);
	end = len - sizeof(uint32_t);
	while (pos < end) {
		struct snap_section_header sh;
		uint16_t want;

		if (n == h.nr_sections) {
			ret = snap_fail(err, errlen, "snapshot has more sections than its header says (%u)", h.nr_sections);
			goto out_free;
		}
		if (end - pos < sizeof(sh)) {
			ret = snap_fail(err, errlen, "snapshot section %u: header cut short", n);
			goto out_free;
		}
		memcpy(&sh, buf + pos, sizeof(sh));
		pos += sizeof(sh);
		if (sh.length > end - pos || sh.length > SNAP_MAX_SECTION_LEN) {
			ret = snap_fail(err, errlen, "snapshot section %u (%s): length %u runs past the end",
					n, snap_tag_name(sh.tag), sh.length);
			goto out_free;
		}
		want = snap_section_version(sh.tag);
		if (!want) {
			ret = snap_fail(err, errlen, "snapshot section %u: unknown tag %u", n, sh.tag);
			goto out_free;
		}
		if (sh.version != want) {
			ret = snap_fail(err, errlen, "snapshot section %s: version %u is not supported (expected %u)",
					snap_tag_name(sh.tag), sh.version, want);
			goto out_free;
		}
		for (uint32_t i = 0; i < n; i++) {
			if (secs[i].tag == sh.tag && secs[i].instance == sh.instance) {
				ret = snap_fail(err, errlen, "snapshot section %s %u appears twice",
						snap_tag_name(sh.tag), sh.instance);
				goto out_free;
			}
		}
		secs[n++] = (struct snap_section){
			.tag = sh.tag, .instance = sh.instance, .version = sh.version,
			.data = buf + pos, .len = sh.length,
		};
		pos += sh.length;
	}
	if (n != h.nr_sections) {
		ret = snap_fail(err, errlen, "snapshot has %u sections, its header says %u", n, h.nr_sections);
		goto out_free;
	}
	img->header = h;
	img->sections = secs;
	img->nr_sections = n;
	return 0;

out_free:
	free(secs);
	return ret;
}

void snap_image_free(struct snap_image *img)
{
	free(img->sections);
	*img = (struct snap_image){ 0 };
}

const struct snap_section *snap_find(const struct snap_image *img, uint32_t tag, uint16_t instance)
{
	for (uint32_t i = 0; i < img->nr_sections; i++)
		if (img->sections[i].tag == tag && img->sections[i].instance == instance)
			return &img->sections[i];
	return NULL;
}

uint32_t snap_count(const struct snap_image *img, uint32_t tag)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < img->nr_sections; i++)
		n += img->sections[i].tag == tag;
	return n;
}
