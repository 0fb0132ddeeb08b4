/* SPDX-License-Identifier: MIT */
/*
 * The io_uring engine: one ring per disk, its completions signalled on an
 * eventfd registered with the ring. A request has at most one SQE in flight;
 * short transfers and the write-zeroes fallback are continued from reap().
 */
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "block/block_aio.h"

struct block_aio_uring {
	struct block_aio aio;
	struct io_uring ring;
	uint32_t pending;               /* SQEs not yet completed */
	struct iovec zero_iov[BLOCK_ZERO_IOVS];
};

static struct block_aio_uring *to_uring(struct block_aio *aio)
{
	return (struct block_aio_uring *)aio;
}

static struct io_uring_sqe *block_uring_get_sqe(struct block_aio_uring *u)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&u->ring);

	if (!sqe) {
		/* The SQ is full of unsubmitted entries: push them out. */
		io_uring_submit(&u->ring);
		sqe = io_uring_get_sqe(&u->ring);
	}
	return sqe;
}

/* Queues the next step of req. */
static int block_uring_queue(struct block_aio_uring *u, struct block_req *req)
{
	struct io_uring_sqe *sqe = block_uring_get_sqe(u);
	int fd = u->aio.fd;
	int cnt;

	if (!sqe)
		return -EBUSY;
	switch (req->op) {
	case BLOCK_OP_READ:
		io_uring_prep_readv(sqe, fd, req->iov, (unsigned int)req->iovcnt, req->offset + req->done);
		break;
	case BLOCK_OP_WRITE:
		io_uring_prep_writev(sqe, fd, req->iov, (unsigned int)req->iovcnt, req->offset + req->done);
		break;
	case BLOCK_OP_FLUSH:
		io_uring_prep_fsync(sqe, fd, IORING_FSYNC_DATASYNC);
		break;
	case BLOCK_OP_DISCARD:
		io_uring_prep_fallocate(sqe, fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
					(off_t)req->offset, (off_t)req->len);
		break;
	case BLOCK_OP_WRITE_ZEROES:
		if (u->aio.no_zero_range)
			req->zeroing = true;
		if (!req->zeroing) {
			io_uring_prep_fallocate(sqe, fd, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE,
						(off_t)req->offset, (off_t)req->len);
			break;
		}
		/* The zero iovecs are shared and only ever read. */
		cnt = block_zero_iov(u->zero_iov, req->len - req->done);
		io_uring_prep_writev(sqe, fd, u->zero_iov, (unsigned int)cnt, req->offset + req->done);
		break;
	}
	io_uring_sqe_set_data(sqe, req);
	u->pending++;
	return 0;
}

static int block_uring_submit(struct block_aio *aio, struct block_req *req)
{
	return block_uring_queue(to_uring(aio), req);
}

static void block_uring_kick(struct block_aio *aio)
{
	io_uring_submit(&to_uring(aio)->ring);
}

/* Accounts one CQE; true if req is finished (result set), false if it was requeued. */
static bool block_uring_step(struct block_aio_uring *u, struct block_req *req, int res)
{
	if (res == -EAGAIN || res == -EINTR)
		goto requeue;
	switch (req->op) {
	case BLOCK_OP_READ:
	case BLOCK_OP_WRITE:
		if (res < 0) {
			req->result = res;
			return true;
		}
		if (res == 0 && req->iovcnt > 0) {
			/* End of file: the file shrank under us. Reads there are zeroes. */
			if (req->op == BLOCK_OP_WRITE) {
				req->result = -EIO;
			} else {
				block_iov_zero(req->iov, req->iovcnt);
				req->result = 0;
			}
			return true;
		}
		req->done += (uint64_t)res;
		block_iov_advance(&req->iov, &req->iovcnt, (uint64_t)res);
		if (req->iovcnt == 0) {
			req->result = 0;
			return true;
		}
		goto requeue;
	case BLOCK_OP_DISCARD:
		/* Discard is a hint: where holes are unsupported it does nothing. */
		req->result = res == -EOPNOTSUPP || res == -ENODEV ? 0 : res;
		return true;
	case BLOCK_OP_WRITE_ZEROES:
		if (!req->zeroing) {
			if (res == -EOPNOTSUPP || res == -ENODEV || res == -EINVAL) {
				u->aio.no_zero_range = true;
				req->zeroing = true;
				goto requeue;
			}
			req->result = res;
			return true;
		}
		if (res <= 0) {
			req->result = res ? res : -EIO;
			return true;
		}
		req->done += (uint64_t)res;
		if (req->done < req->len)
			goto requeue;
		req->result = 0;
		return true;
	case BLOCK_OP_FLUSH:
		break;
	}
	req->result = res < 0 ? res : 0;
	return true;

requeue:
	if (block_uring_queue(u, req)) {
		req->result = -EIO;
		return true;
	}
	return false;
}

/* Processes every waiting CQE; calls fn (if any) for finished requests. */
static unsigned int block_uring_process(struct block_aio_uring *u, block_complete_fn fn, void *ctx)
{
	struct io_uring_cqe *cqe;
	unsigned int n = 0;
	bool requeued = false;

	while (io_uring_peek_cqe(&u->ring, &cqe) == 0) {
		struct block_req *req = io_uring_cqe_get_data(cqe);
		int res = cqe->res;

		io_uring_cqe_seen(&u->ring, cqe);
		u->pending--;
		if (!block_uring_step(u, req, res)) {
			requeued = true;
			continue;
		}
		n++;
		if (fn)
			fn(ctx, req);
	}
	if (requeued)
		io_uring_submit(&u->ring);
	return n;
}

static void block_uring_clear_event(struct block_aio *aio)
{
	uint64_t v;

	if (read(aio->event_fd, &v, sizeof(v)) < 0) {
		/* EAGAIN: nothing was signalled. */
	}
}

static unsigned int block_uring_reap(struct block_aio *aio, block_complete_fn fn, void *ctx)
{
	block_uring_clear_event(aio);
	return block_uring_process(to_uring(aio), fn, ctx);
}

static void block_uring_cancel_all(struct block_aio *aio)
{
	struct block_aio_uring *u = to_uring(aio);
	struct io_uring_cqe *cqe;

	/* Continuations are still queued: the requests' memory stays in use until the last CQE. */
	io_uring_submit(&u->ring);
	while (u->pending) {
		if (io_uring_wait_cqe(&u->ring, &cqe) < 0)
			break;
		block_uring_process(u, NULL, NULL);
	}
	block_uring_clear_event(aio);
}

static void block_uring_destroy(struct block_aio *aio)
{
	struct block_aio_uring *u = to_uring(aio);

	io_uring_unregister_eventfd(&u->ring);
	io_uring_queue_exit(&u->ring);
	close(aio->event_fd);
	free(u);
}

static const struct block_aio_ops block_uring_ops = {
	.name = "io_uring",
	.submit = block_uring_submit,
	.kick = block_uring_kick,
	.reap = block_uring_reap,
	.cancel_all = block_uring_cancel_all,
	.destroy = block_uring_destroy,
};

struct block_aio *block_aio_uring_create(int fd, uint32_t depth, int *error)
{
	struct block_aio_uring *u = calloc(1, sizeof(*u));
	int ret;

	if (!u) {
		*error = ENOMEM;
		return NULL;
	}
	u->aio = (struct block_aio){ .ops = &block_uring_ops, .fd = fd, .depth = depth };
	u->aio.event_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (u->aio.event_fd < 0) {
		*error = errno;
		goto out_free;
	}
	/* -ENOSYS (old kernel), -EPERM (kernel.io_uring_disabled): the caller falls back. */
	ret = io_uring_queue_init(depth, &u->ring, 0);
	if (ret < 0) {
		*error = -ret;
		goto out_close;
	}
	ret = io_uring_register_eventfd(&u->ring, u->aio.event_fd);
	if (ret < 0) {
		*error = -ret;
		goto out_exit;
	}
	return &u->aio;

out_exit:
	io_uring_queue_exit(&u->ring);
out_close:
	close(u->aio.event_fd);
out_free:
	free(u);
	return NULL;
}
