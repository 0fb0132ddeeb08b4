/* SPDX-License-Identifier: MIT */
/* Engine selection and the helpers both engines share. */
#include "block/block_aio.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/log.h"

/* Source of the write-zeroes fallback: BLOCK_ZERO_IOVS entries of it make one chunk. */
static const uint8_t block_zeroes[BLOCK_ZERO_CHUNK / BLOCK_ZERO_IOVS] __attribute__((aligned(4096)));

struct block_aio *block_aio_create(int fd, uint32_t depth, enum block_aio_kind kind, char *err, size_t errlen)
{
	struct block_aio *aio = NULL;
	int error = 0;

	if (kind == BLOCK_AIO_AUTO || kind == BLOCK_AIO_IO_URING) {
		aio = block_aio_uring_create(fd, depth, &error);
		if (aio)
			return aio;
		if (kind == BLOCK_AIO_IO_URING) {
			snprintf(err, errlen, "io_uring is not available: %s", strerror(error));
			return NULL;
		}
		log_info("block: io_uring unavailable (%s), using the thread pool", strerror(error));
	}
	aio = block_aio_threads_create(fd, depth, &error);
	if (!aio)
		snprintf(err, errlen, "cannot start the I/O thread pool: %s", strerror(error));
	return aio;
}

void block_aio_destroy(struct block_aio *aio)
{
	if (!aio)
		return;
	aio->ops->cancel_all(aio);
	aio->ops->destroy(aio);
}

int block_aio_submit(struct block_aio *aio, struct block_req *req)
{
	int ret;

	if (aio->in_flight >= aio->depth)
		return -EBUSY;
	req->result = 0;
	req->done = 0;
	req->zeroing = false;
	req->next = NULL;
	ret = aio->ops->submit(aio, req);
	if (!ret)
		aio->in_flight++;
	return ret;
}

void block_aio_kick(struct block_aio *aio)
{
	aio->ops->kick(aio);
}

unsigned int block_aio_reap(struct block_aio *aio, block_complete_fn fn, void *ctx)
{
	unsigned int n = aio->ops->reap(aio, fn, ctx);

	aio->in_flight -= n;
	return n;
}

void block_aio_cancel_all(struct block_aio *aio)
{
	aio->ops->cancel_all(aio);
	aio->in_flight = 0;
}

void block_iov_advance(struct iovec **iov, int *iovcnt, uint64_t n)
{
	while (*iovcnt > 0 && n >= (*iov)->iov_len) {
		n -= (*iov)->iov_len;
		(*iov)++;
		(*iovcnt)--;
	}
	if (*iovcnt > 0 && n) {
		(*iov)->iov_base = (uint8_t *)(*iov)->iov_base + n;
		(*iov)->iov_len -= n;
	}
}

void block_iov_zero(const struct iovec *iov, int iovcnt)
{
	for (int i = 0; i < iovcnt; i++)
		memset(iov[i].iov_base, 0, iov[i].iov_len);
}

int block_zero_iov(struct iovec *iov, uint64_t len)
{
	int n = 0;

	while (len && n < BLOCK_ZERO_IOVS) {
		size_t chunk = len < sizeof(block_zeroes) ? len : sizeof(block_zeroes);

		/* Only ever read from: the kernel writes it to the file. */
		iov[n++] = (struct iovec){ .iov_base = (void *)block_zeroes, .iov_len = chunk };
		len -= chunk;
	}
	return n;
}
