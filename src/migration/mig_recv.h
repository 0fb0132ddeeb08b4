/* SPDX-License-Identifier: MIT */
/*
 * The destination's parser of a migration stream: reads the hello, then
 * chunks until the end mark, writing pages straight into guest RAM (a
 * mapping laid out as the hello's regions, one after the other) and keeping
 * the state blob. Every header is checked (mig_stream.h) before its fields
 * are used; nothing outside the RAM mapping is ever written.
 */
#ifndef VESSEL_MIGRATION_MIG_RECV_H
#define VESSEL_MIGRATION_MIG_RECV_H

#include <stddef.h>
#include <stdint.h>

#include "core/guest_mem.h"
#include "migration/mig_conn.h"
#include "migration/mig_stream.h"

struct mig_recv {
	struct mig_hello hello;
	uint8_t *ram;               /* hello.mem_size bytes, zeroed, set by the caller */
	struct guest_mem mem;       /* the hello's regions over ram */
	uint64_t *received;         /* pages written by page runs (by RAM offset) */
	uint8_t *state;             /* the state blob (malloc'd), once received */
	uint64_t state_len;
	uint32_t rounds;
	uint64_t pages, zero_pages;
};

/* Reads and checks the hello into rx->hello. 0 or -errno with err. */
int mig_recv_hello(struct mig_conn *c, struct mig_recv *rx, char *err, size_t errlen);

/*
 * With rx->ram set to hello.mem_size zeroed bytes: lays out rx->mem, then
 * reads chunks up to the end mark. A stream must carry exactly one state
 * before its end. 0, or -errno with err (the connection broke, or the
 * stream is malformed: -EINVAL).
 */
int mig_recv_stream(struct mig_conn *c, struct mig_recv *rx, char *err, size_t errlen);

/* Frees what the parser allocated (not ram). */
void mig_recv_free(struct mig_recv *rx);

#endif
