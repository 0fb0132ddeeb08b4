/* SPDX-License-Identifier: MIT */
/*
 * The snapshot state format (docs/snapshot.md): a versioned header with the
 * host facts a restore must match, tagged sections (tag, instance, section
 * version, length, payload) and a CRC-32 of everything before it. The same
 * bytes can go to a file or, later, over a migration socket.
 *
 * snap_parse() checks everything (magic, format version, sizes, every
 * section's bounds, tag and version, duplicates, the checksum) before anyone
 * looks at a payload; it touches no VM and is what the fuzz target drives.
 */
#ifndef VESSEL_SNAPSHOT_SNAP_FORMAT_H
#define VESSEL_SNAPSHOT_SNAP_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#include "snapshot/snap_buf.h"

#define SNAP_MAGIC              "VESSELSN"     /* 8 bytes, no NUL */
#define SNAP_FORMAT_VERSION     1
#define SNAP_ARCH_X86_64        1
#define SNAP_MAX_SECTIONS       1024
#define SNAP_MAX_SECTION_LEN    (16u << 20)

enum snap_tag {
	SNAP_TAG_CONFIG = 1,        /* the VM configuration: enough to rebuild the machine */
	SNAP_TAG_VM = 2,            /* VM-wide KVM state: irqchips, PIT, clock */
	SNAP_TAG_VCPU = 3,          /* one per vCPU, instance = vCPU id */
	SNAP_TAG_SERIAL = 16,
	SNAP_TAG_I8042 = 17,
	SNAP_TAG_CMOS = 18,
	SNAP_TAG_ACPI_PM = 19,
	SNAP_TAG_VIRTIO = 32,       /* one per virtio-pci function, instance = creation order */
	SNAP_TAG_BALLOON = 33,      /* the balloon's configuration, if the VM has one */
	SNAP_TAG_VSOCK = 34,        /* the vsock device's configuration, if the VM has one */
};

/* Everything little-endian, as the host (vessel runs on x86-64 only). */
struct snap_header {
	uint8_t magic[8];
	uint32_t version;           /* SNAP_FORMAT_VERSION */
	uint32_t header_size;       /* sizeof(struct snap_header) */
	uint64_t total_size;        /* header + sections + 4-byte CRC */
	uint32_t nr_sections;
	uint32_t arch;              /* SNAP_ARCH_X86_64 */
	/* Host facts a restore must match. */
	uint32_t kvm_api_version;
	uint32_t cpu_model;         /* enum cpu_model the guest saw */
	uint64_t cpuid_hash;        /* FNV-1a of the guest's CPUID entries */
	uint64_t created_realtime_ns;
	uint8_t reserved[16];
};

struct snap_section_header {
	uint32_t tag;
	uint16_t instance;
	uint16_t version;
	uint32_t length;            /* payload bytes that follow */
};

_Static_assert(sizeof(struct snap_header) == 72, "snapshot header layout");
_Static_assert(sizeof(struct snap_section_header) == 12, "snapshot section header layout");

/* The section version this vessel writes and reads for tag; 0 for an unknown tag. */
uint16_t snap_section_version(uint32_t tag);
const char *snap_tag_name(uint32_t tag);

/* ---- writing ---- */

/* Starts a stream: the header (nr_sections, total_size filled by snap_finish()). */
void snap_begin(struct snap_writer *w, const struct snap_header *facts);
/* Opens a section; returns its offset for snap_section_end(). */
size_t snap_section_begin(struct snap_writer *w, uint32_t tag, uint16_t instance);
void snap_section_end(struct snap_writer *w, size_t section);
/* Fills in the header's counts and appends the CRC. 0 or the writer's error. */
int snap_finish(struct snap_writer *w);

/* ---- reading ---- */

struct snap_section {
	uint32_t tag;
	uint16_t instance;
	uint16_t version;
	const uint8_t *data;
	uint32_t len;
};

struct snap_image {
	struct snap_header header;
	struct snap_section *sections;
	uint32_t nr_sections;
};

/*
 * Validates a whole state stream of len bytes and indexes its sections
 * (pointing into buf, which must outlive img). 0, or -EINVAL with a
 * one-line reason in err; nothing is allocated then.
 */
int snap_parse(const uint8_t *buf, size_t len, struct snap_image *img, char *err, size_t errlen);
void snap_image_free(struct snap_image *img);

/* The section (tag, instance), or NULL. */
const struct snap_section *snap_find(const struct snap_image *img, uint32_t tag, uint16_t instance);

/* How many sections carry tag. */
uint32_t snap_count(const struct snap_image *img, uint32_t tag);

/* FNV-1a 64 over n bytes, continuing from h (start with SNAP_FNV_INIT). */
#define SNAP_FNV_INIT 0xcbf29ce484222325ULL
uint64_t snap_fnv1a(uint64_t h, const void *data, size_t n);

#endif
