/* SPDX-License-Identifier: MIT */
/*
 * Asynchronous I/O on one file: requests are submitted from the event loop
 * thread and complete in the background; an eventfd becomes readable when
 * completions are waiting, and block_aio_reap() hands them back. Two engines
 * sit behind one small ops table: io_uring (when liburing was found at build
 * time and the kernel allows it at run time) and a thread pool.
 *
 * Not thread safe: one caller at a time (the device serialises its calls
 * under its transport lock). Reads and writes go straight to and from the
 * caller's iovecs (zero copy); short transfers are continued, and a read
 * past the end of the file reads zeroes.
 */
#ifndef VESSEL_BLOCK_BLOCK_AIO_H
#define VESSEL_BLOCK_BLOCK_AIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

enum block_op {
	BLOCK_OP_READ,
	BLOCK_OP_WRITE,
	BLOCK_OP_FLUSH,             /* fdatasync */
	BLOCK_OP_DISCARD,           /* punch a hole; a no-op where unsupported */
	BLOCK_OP_WRITE_ZEROES,      /* zero range, or writes of zeroes where unsupported */
};

enum block_aio_kind {
	BLOCK_AIO_AUTO,             /* io_uring if it works here, else threads */
	BLOCK_AIO_IO_URING,
	BLOCK_AIO_THREADS,
};

struct block_req {
	enum block_op op;
	uint64_t offset;            /* bytes */
	uint64_t len;               /* DISCARD, WRITE_ZEROES: bytes */
	struct iovec *iov;          /* READ, WRITE: advanced in place by the engine */
	int iovcnt;
	int result;                 /* at completion: 0 or -errno */

	/* Engine-private. */
	uint64_t done;              /* bytes done so far */
	bool zeroing;               /* WRITE_ZEROES fell back to writing zeroes */
	struct block_req *next;
};

typedef void (*block_complete_fn)(void *ctx, struct block_req *req);

struct block_aio;

struct block_aio_ops {
	const char *name;
	/* Queues req; it starts at the latest at the next kick. 0 or -errno. */
	int (*submit)(struct block_aio *aio, struct block_req *req);
	void (*kick)(struct block_aio *aio);
	/* Calls fn for every completed request, without blocking; returns how many. */
	unsigned int (*reap)(struct block_aio *aio, block_complete_fn fn, void *ctx);
	/* Waits for every submitted request to finish, then forgets them all. */
	void (*cancel_all)(struct block_aio *aio);
	void (*destroy)(struct block_aio *aio);
};

struct block_aio {
	const struct block_aio_ops *ops;
	int fd;                     /* the file */
	int event_fd;               /* readable when completions wait (EFD_NONBLOCK) */
	uint32_t depth;             /* most requests in flight */
	uint32_t in_flight;         /* submitted, not yet reaped */
	bool no_zero_range;         /* FALLOC_FL_ZERO_RANGE unsupported: write zeroes */
};

/*
 * An engine for fd with room for depth requests; kind AUTO falls back to
 * threads when io_uring is missing or refused. NULL with a message in err.
 */
__attribute__((warn_unused_result))
struct block_aio *block_aio_create(int fd, uint32_t depth, enum block_aio_kind kind, char *err, size_t errlen);
void block_aio_destroy(struct block_aio *aio);

/* 0, or -errno (-EBUSY: depth requests already in flight). */
int block_aio_submit(struct block_aio *aio, struct block_req *req);
void block_aio_kick(struct block_aio *aio);
unsigned int block_aio_reap(struct block_aio *aio, block_complete_fn fn, void *ctx);
void block_aio_cancel_all(struct block_aio *aio);

static inline const char *block_aio_name(const struct block_aio *aio)
{
	return aio->ops->name;
}

/* Engines (block_aio_uring.c, block_aio_threads.c). */
struct block_aio *block_aio_uring_create(int fd, uint32_t depth, int *error);
struct block_aio *block_aio_threads_create(int fd, uint32_t depth, int *error);

/* Shared helpers for the engines (block_aio.c). */
#define BLOCK_ZERO_CHUNK (1u << 20)   /* bytes of zeroes per write in the fallback */
/* Drops n bytes from the front of the iovec array. */
void block_iov_advance(struct iovec **iov, int *iovcnt, uint64_t n);
/* Zero-fills the iovecs (a read that hit the end of the file). */
void block_iov_zero(const struct iovec *iov, int iovcnt);
/* Fills iov (BLOCK_ZERO_IOVS entries) with up to len bytes of zeroes; returns the count. */
#define BLOCK_ZERO_IOVS 16
int block_zero_iov(struct iovec *iov, uint64_t len);

#endif
