/* SPDX-License-Identifier: MIT */
#include "migration/mig_pages.h"

#include <stdbool.h>

#include "migration/mig_stream.h"

static bool mig_page_is_zero(const uint8_t *page)
{
	const uint64_t *w = (const uint64_t *)page;
	uint64_t acc = 0;

	/* No early exit per word: the compiler vectorizes this; check every 512 bytes. */
	for (unsigned int i = 0; i < MIG_PAGE_SIZE / 8; i += 64) {
		for (unsigned int j = 0; j < 64; j++)
			acc |= w[i + j];
		if (acc)
			return false;
	}
	return true;
}

struct mig_run {
	uint32_t type;              /* 0: none open */
	uint64_t first;             /* page index in the region */
	uint64_t nr;
};

static int mig_run_flush(struct mig_conn *c, const struct guest_mem_region *r, struct mig_run *run,
			 struct mig_page_counts *counts)
{
	struct mig_chunk ch = {
		.type = run->type,
		.gpa = r->gpa + run->first * MIG_PAGE_SIZE,
		.len = run->nr * MIG_PAGE_SIZE,
	};
	struct iovec iov[2] = {
		{ .iov_base = &ch, .iov_len = sizeof(ch) },
		{ .iov_base = r->hva + run->first * MIG_PAGE_SIZE, .iov_len = (size_t)ch.len },
	};
	int ret;

	if (!run->type)
		return 0;
	ret = mig_conn_sendv(c, iov, run->type == MIG_CHUNK_PAGES ? 2 : 1);
	if (!ret) {
		if (run->type == MIG_CHUNK_PAGES)
			counts->pages += run->nr;
		else
			counts->zero_pages += run->nr;
	}
	run->type = 0;
	return ret;
}

/* Adds page to the open run, or flushes it and opens a new one. */
static int mig_run_add(struct mig_conn *c, const struct guest_mem_region *r, struct mig_run *run,
		       uint64_t page, struct mig_page_counts *counts)
{
	uint32_t type = mig_page_is_zero(r->hva + page * MIG_PAGE_SIZE) ? MIG_CHUNK_ZERO : MIG_CHUNK_PAGES;
	int ret;

	if (run->type == type && run->first + run->nr == page &&
	    (type == MIG_CHUNK_ZERO || (run->nr + 1) * MIG_PAGE_SIZE <= MIG_MAX_RUN)) {
		run->nr++;
		return 0;
	}
	ret = mig_run_flush(c, r, run, counts);
	*run = (struct mig_run){ .type = type, .first = page, .nr = 1 };
	return ret;
}

int mig_pages_send(struct mig_conn *c, const struct guest_mem_region *r, const uint64_t *bitmap,
		   struct mig_page_counts *counts)
{
	uint64_t nr_pages = r->size / MIG_PAGE_SIZE;
	struct mig_run run = { 0 };
	int ret;

	for (uint64_t word = 0; word * 64 < nr_pages; word++) {
		uint64_t bits = bitmap ? bitmap[word] : ~0ULL;

		while (bits) {
			uint64_t page = word * 64 + (uint64_t)__builtin_ctzll(bits);

			bits &= bits - 1;
			if (page >= nr_pages)
				break;
			ret = mig_run_add(c, r, &run, page, counts);
			if (ret)
				return ret;
		}
	}
	return mig_run_flush(c, r, &run, counts);
}

uint64_t mig_bitmap_count(const uint64_t *bitmap, uint64_t words)
{
	uint64_t n = 0;

	for (uint64_t i = 0; i < words; i++)
		n += (uint64_t)__builtin_popcountll(bitmap[i]);
	return n;
}

void mig_bitmap_or(uint64_t *dst, const uint64_t *src, uint64_t words)
{
	for (uint64_t i = 0; i < words; i++)
		dst[i] |= src[i];
}
