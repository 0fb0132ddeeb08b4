/* SPDX-License-Identifier: MIT */
/*
 * The live-migration stream (docs/migration.md), little-endian as the x86-64
 * hosts vessel runs on:
 *
 *   source -> destination   hello: magic, version, the guest's RAM layout and host facts
 *   destination -> source   reply: accepted, or refused with a one-line reason
 *   source -> destination   chunks: page runs (gpa, length, bytes), zero runs
 *                           (gpa, length, no bytes), round marks, then, with
 *                           the guest paused, the last pages, the state blob
 *                           (vCPUs and devices, snapshot format with its own
 *                           CRC) and an end mark
 *   destination -> source   ack: loaded and resumed, or failed with a reason
 *
 * Every header is checked here before any field is used: the checks are
 * pure functions, driven by the receiver and by the fuzz target.
 */
#ifndef VESSEL_MIGRATION_MIG_STREAM_H
#define VESSEL_MIGRATION_MIG_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MIG_MAGIC_HELLO         "VESSELMG"
#define MIG_MAGIC_REPLY         "VESSELMR"
#define MIG_MAGIC_ACK           "VESSELMA"
#define MIG_VERSION             1
#define MIG_PAGE_SIZE           4096u
#define MIG_MAX_REGIONS         8
#define MIG_MAX_RUN             (1u << 20)          /* bytes of one page run */
#define MIG_MAX_STATE           (64u << 20)         /* bytes of the state blob */
#define MIG_MSG_LEN             112

struct mig_region {
	uint64_t gpa;
	uint64_t size;
};

struct mig_hello {
	uint8_t magic[8];           /* MIG_MAGIC_HELLO */
	uint32_t version;           /* MIG_VERSION */
	uint32_t header_size;       /* sizeof(struct mig_hello) */
	uint64_t mem_size;          /* guest RAM bytes: the sum of the regions */
	uint32_t page_size;         /* MIG_PAGE_SIZE */
	uint32_t nr_regions;
	struct mig_region regions[MIG_MAX_REGIONS];
	uint32_t nr_cpus;
	uint32_t cpu_model;         /* enum cpu_model the guest sees */
	uint32_t kvm_api_version;
	uint32_t reserved0;
	uint64_t cpuid_hash;        /* FNV-1a of the guest's CPUID entries */
	uint8_t reserved[32];
};

/* The destination's answer to a hello, and its final ack. */
struct mig_reply {
	uint8_t magic[8];           /* MIG_MAGIC_REPLY or MIG_MAGIC_ACK */
	uint32_t status;            /* 0: accepted / loaded and running; else refused */
	uint32_t reserved0;
	uint64_t load_us;           /* ack: end mark received to guest resumed */
	char message[MIG_MSG_LEN];  /* NUL-terminated reason when status != 0 */
};

enum mig_chunk_type {
	MIG_CHUNK_PAGES = 1,        /* len bytes of guest RAM at gpa follow */
	MIG_CHUNK_ZERO = 2,         /* len bytes at gpa are zero; nothing follows */
	MIG_CHUNK_ROUND = 3,        /* a pre-copy round ended; gpa = its number */
	MIG_CHUNK_STATE = 4,        /* len bytes of state (snapshot format) follow */
	MIG_CHUNK_END = 5,          /* nothing more: load and answer with an ack */
};

struct mig_chunk {
	uint32_t type;
	uint32_t flags;             /* 0 */
	uint64_t gpa;
	uint64_t len;
};

_Static_assert(sizeof(struct mig_hello) == 216, "migration hello layout");
_Static_assert(sizeof(struct mig_reply) == 136, "migration reply layout");
_Static_assert(sizeof(struct mig_chunk) == 24, "migration chunk layout");

/*
 * Checks a received hello on its own (magic, version, sizes, a layout of
 * page-aligned, ordered, non-overlapping regions adding up to mem_size).
 * 0, or -EINVAL / -EPROTO (wrong version) with a one-line reason in err.
 */
int mig_hello_check(const struct mig_hello *hello, char *err, size_t errlen);

/*
 * Checks a chunk header against the validated hello: a known type; page
 * runs inside one RAM region, page-aligned, 1 to MIG_MAX_RUN bytes; zero
 * runs inside one region; the state at most MIG_MAX_STATE bytes; no flags.
 * 0 or -EINVAL with err.
 */
int mig_chunk_check(const struct mig_chunk *chunk, const struct mig_hello *hello, char *err, size_t errlen);

/* Checks a reply or ack (magic, a NUL-terminated message). 0 or -EINVAL with err. */
int mig_reply_check(const struct mig_reply *reply, const char *magic, char *err, size_t errlen);

/* Fills a reply: status 0 accepts; otherwise message says why not. */
void mig_reply_fill(struct mig_reply *reply, const char *magic, uint32_t status, const char *message);

#endif
