/* SPDX-License-Identifier: MIT */
#include "migration/mig_recv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A broken connection, said once for every stage. */
static int mig_recv_failed(int ret, const char *what, char *err, size_t errlen)
{
	snprintf(err, errlen, "migration stream cut while reading %s: %s", what,
		 ret == -ECONNRESET ? "the source closed the connection" :
		 ret == -ETIMEDOUT ? "the source stopped sending" : strerror(-ret));
	return ret;
}

int mig_recv_hello(struct mig_conn *c, struct mig_recv *rx, char *err, size_t errlen)
{
	int ret = mig_conn_recv(c, &rx->hello, sizeof(rx->hello));

	if (ret)
		return mig_recv_failed(ret, "the header", err, errlen);
	return mig_hello_check(&rx->hello, err, errlen);
}

static int mig_recv_layout(struct mig_recv *rx, char *err, size_t errlen)
{
	uint64_t offset = 0, pages = rx->hello.mem_size / MIG_PAGE_SIZE;

	rx->mem = (struct guest_mem){ 0 };
	for (uint32_t i = 0; i < rx->hello.nr_regions; i++) {
		const struct mig_region *r = &rx->hello.regions[i];

		if (guest_mem_add(&rx->mem, r->gpa, r->size, rx->ram + offset)) {
			snprintf(err, errlen, "migration stream: RAM region %u does not fit", i);
			return -EINVAL;
		}
		offset += r->size;
	}
	rx->received = calloc((pages + 63) / 64, sizeof(uint64_t));
	if (!rx->received) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	return 0;
}

static int mig_recv_pages(struct mig_conn *c, struct mig_recv *rx, const struct mig_chunk *ch,
			  char *err, size_t errlen)
{
	/* mig_chunk_check() put the run inside one region. */
	uint8_t *hva = guest_mem_ptr(&rx->mem, ch->gpa, ch->len);
	uint64_t first, n = ch->len / MIG_PAGE_SIZE;
	int ret;

	if (!hva) {
		snprintf(err, errlen, "migration stream: page run outside RAM");
		return -EINVAL;
	}
	first = (uint64_t)(hva - rx->ram) / MIG_PAGE_SIZE;
	if (ch->type == MIG_CHUNK_ZERO) {
		/* Fresh RAM is zero already: only pages sent before need clearing. */
		for (uint64_t i = 0; i < n; i++) {
			uint64_t page = first + i;

			if (rx->received[page / 64] & (1ULL << (page % 64))) {
				memset(hva + i * MIG_PAGE_SIZE, 0, MIG_PAGE_SIZE);
				rx->received[page / 64] &= ~(1ULL << (page % 64));
			}
		}
		rx->zero_pages += n;
		return 0;
	}
	ret = mig_conn_recv(c, hva, ch->len);
	if (ret)
		return mig_recv_failed(ret, "guest memory", err, errlen);
	for (uint64_t i = 0; i < n; i++)
		rx->received[(first + i) / 64] |= 1ULL << ((first + i) % 64);
	rx->pages += n;
	return 0;
}

static int mig_recv_state(struct mig_conn *c, struct mig_recv *rx, const struct mig_chunk *ch,
			  char *err, size_t errlen)
{
	int ret;

	if (rx->state) {
		snprintf(err, errlen, "migration stream: a second device state");
		return -EINVAL;
	}
	rx->state = malloc(ch->len);
	if (!rx->state) {
		snprintf(err, errlen, "out of memory for %llu bytes of device state", (unsigned long long)ch->len);
		return -ENOMEM;
	}
	rx->state_len = ch->len;
	ret = mig_conn_recv(c, rx->state, ch->len);
	if (ret)
		return mig_recv_failed(ret, "the device state", err, errlen);
	return 0;
}

int mig_recv_stream(struct mig_conn *c, struct mig_recv *rx, char *err, size_t errlen)
{
	struct mig_chunk ch;
	int ret;

	ret = mig_recv_layout(rx, err, errlen);
	if (ret)
		return ret;
	for (;;) {
		ret = mig_conn_recv(c, &ch, sizeof(ch));
		if (ret)
			return mig_recv_failed(ret, rx->state ? "the end mark" : "guest memory", err, errlen);
		ret = mig_chunk_check(&ch, &rx->hello, err, errlen);
		if (ret)
			return ret;
		if (rx->state && ch.type != MIG_CHUNK_END) {
			snprintf(err, errlen, "migration stream: chunk type %u after the device state", ch.type);
			return -EINVAL;
		}
		switch (ch.type) {
		case MIG_CHUNK_PAGES:
		case MIG_CHUNK_ZERO:
			ret = mig_recv_pages(c, rx, &ch, err, errlen);
			break;
		case MIG_CHUNK_ROUND:
			rx->rounds++;
			break;
		case MIG_CHUNK_STATE:
			ret = mig_recv_state(c, rx, &ch, err, errlen);
			break;
		case MIG_CHUNK_END:
			if (!rx->state) {
				snprintf(err, errlen, "migration stream ended without the device state");
				return -EINVAL;
			}
			return 0;
		}
		if (ret)
			return ret;
	}
}

void mig_recv_free(struct mig_recv *rx)
{
	free(rx->received);
	free(rx->state);
	rx->received = NULL;
	rx->state = NULL;
}
