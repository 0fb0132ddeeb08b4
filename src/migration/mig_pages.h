/* SPDX-License-Identifier: MIT */
/*
 * The source's memory side: sends guest RAM pages as page runs and zero
 * runs (a 24-byte header covers any stretch of zero pages), and counts
 * dirty bitmaps (one bit per 4 KiB page, 64-bit words).
 */
#ifndef VESSEL_MIGRATION_MIG_PAGES_H
#define VESSEL_MIGRATION_MIG_PAGES_H

#include <stdint.h>

#include "core/guest_mem.h"
#include "migration/mig_conn.h"

struct mig_page_counts {
	uint64_t pages;             /* sent with their bytes */
	uint64_t zero_pages;        /* sent as zero runs */
};

/*
 * Sends the pages of r whose bit is set in bitmap, or all of them if
 * bitmap is NULL. 0 or the connection's -errno.
 */
int mig_pages_send(struct mig_conn *c, const struct guest_mem_region *r, const uint64_t *bitmap,
		   struct mig_page_counts *counts);

uint64_t mig_bitmap_count(const uint64_t *bitmap, uint64_t words);

/* dst |= src over words. */
void mig_bitmap_or(uint64_t *dst, const uint64_t *src, uint64_t words);

#endif
