/* SPDX-License-Identifier: MIT */
/*
 * The thread-pool engine: a few workers run each request with the ordinary
 * blocking calls (preadv2, pwritev2, fdatasync, fallocate). Used where
 * io_uring is missing or disabled.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "block/block_aio.h"

#define BLOCK_THREADS 4

struct block_aio_threads {
	struct block_aio aio;
	pthread_mutex_t lock;
	pthread_cond_t work_cond;       /* queue not empty, or stopping */
	pthread_cond_t idle_cond;       /* a request finished */
	struct block_req *queue_head, *queue_tail;
	struct block_req *done;         /* finished, newest first */
	uint32_t running;               /* queued or being run by a worker */
	bool stopping;
	pthread_t threads[BLOCK_THREADS];
	int nr_threads;
};

static struct block_aio_threads *to_threads(struct block_aio *aio)
{
	return (struct block_aio_threads *)aio;
}

static int block_threads_rw(struct block_aio *aio, struct block_req *req)
{
	struct iovec *iov = req->iov;
	int iovcnt = req->iovcnt;

	while (iovcnt > 0) {
		int cnt = iovcnt < IOV_MAX ? iovcnt : IOV_MAX;
		ssize_t n;

		if (req->op == BLOCK_OP_READ)
			n = preadv(aio->fd, iov, cnt, (off_t)(req->offset + req->done));
		else
			n = pwritev(aio->fd, iov, cnt, (off_t)(req->offset + req->done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0) {
			/* The file shrank under us: reads past its end are zeroes. */
			if (req->op == BLOCK_OP_WRITE)
				return -EIO;
			block_iov_zero(iov, iovcnt);
			return 0;
		}
		req->done += (uint64_t)n;
		block_iov_advance(&iov, &iovcnt, (uint64_t)n);
	}
	return 0;
}

static int block_threads_write_zeroes(struct block_aio *aio, struct block_req *req)
{
	struct iovec iov[BLOCK_ZERO_IOVS];

	if (!__atomic_load_n(&aio->no_zero_range, __ATOMIC_RELAXED)) {
		if (!fallocate(aio->fd, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, (off_t)req->offset,
			       (off_t)req->len))
			return 0;
		if (errno != EOPNOTSUPP && errno != ENODEV && errno != EINVAL)
			return -errno;
		__atomic_store_n(&aio->no_zero_range, true, __ATOMIC_RELAXED);
	}
	while (req->done < req->len) {
		int cnt = block_zero_iov(iov, req->len - req->done);
		ssize_t n = pwritev(aio->fd, iov, cnt, (off_t)(req->offset + req->done));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;
		req->done += (uint64_t)n;
	}
	return 0;
}

static int block_threads_run(struct block_aio *aio, struct block_req *req)
{
	switch (req->op) {
	case BLOCK_OP_READ:
	case BLOCK_OP_WRITE:
		return block_threads_rw(aio, req);
	case BLOCK_OP_FLUSH:
		return fdatasync(aio->fd) ? -errno : 0;
	case BLOCK_OP_DISCARD:
		if (fallocate(aio->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)req->offset,
			      (off_t)req->len) == 0)
			return 0;
		/* Discard is a hint: where holes are unsupported it does nothing. */
		return errno == EOPNOTSUPP || errno == ENODEV ? 0 : -errno;
	case BLOCK_OP_WRITE_ZEROES:
		return block_threads_write_zeroes(aio, req);
	}
	return -EINVAL;
}

static void *block_threads_worker(void *arg)
{
	struct block_aio_threads *t = arg;
	struct block_req *req;
	uint64_t one = 1;

	pthread_mutex_lock(&t->lock);
	for (;;) {
		while (!t->queue_head && !t->stopping)
			pthread_cond_wait(&t->work_cond, &t->lock);
		if (!t->queue_head)
			break;
		req = t->queue_head;
		t->queue_head = req->next;
		if (!t->queue_head)
			t->queue_tail = NULL;
		pthread_mutex_unlock(&t->lock);

		req->result = block_threads_run(&t->aio, req);

		pthread_mutex_lock(&t->lock);
		req->next = t->done;
		t->done = req;
		t->running--;
		pthread_cond_broadcast(&t->idle_cond);
		/* Only a counter: a failed write means it is already readable. */
		if (write(t->aio.event_fd, &one, sizeof(one)) < 0) {
		}
	}
	pthread_mutex_unlock(&t->lock);
	return NULL;
}

static int block_threads_submit(struct block_aio *aio, struct block_req *req)
{
	struct block_aio_threads *t = to_threads(aio);

	pthread_mutex_lock(&t->lock);
	if (t->queue_tail)
		t->queue_tail->next = req;
	else
		t->queue_head = req;
	t->queue_tail = req;
	t->running++;
	pthread_cond_signal(&t->work_cond);
	pthread_mutex_unlock(&t->lock);
	return 0;
}

static void block_threads_kick(struct block_aio *aio)
{
}

static void block_threads_clear_event(struct block_aio *aio)
{
	uint64_t v;

	if (read(aio->event_fd, &v, sizeof(v)) < 0) {
		/* EAGAIN: nothing was signalled. */
	}
}

static unsigned int block_threads_reap(struct block_aio *aio, block_complete_fn fn, void *ctx)
{
	struct block_aio_threads *t = to_threads(aio);
	struct block_req *done, *prev = NULL, *next;
	unsigned int n = 0;

	block_threads_clear_event(aio);
	pthread_mutex_lock(&t->lock);
	done = t->done;
	t->done = NULL;
	pthread_mutex_unlock(&t->lock);
	/* Oldest first. */
	while (done) {
		next = done->next;
		done->next = prev;
		prev = done;
		done = next;
	}
	for (struct block_req *req = prev; req; req = next) {
		next = req->next;
		fn(ctx, req);
		n++;
	}
	return n;
}

static void block_threads_cancel_all(struct block_aio *aio)
{
	struct block_aio_threads *t = to_threads(aio);

	pthread_mutex_lock(&t->lock);
	while (t->running)
		pthread_cond_wait(&t->idle_cond, &t->lock);
	t->done = NULL;
	pthread_mutex_unlock(&t->lock);
	block_threads_clear_event(aio);
}

static void block_threads_stop(struct block_aio_threads *t)
{
	pthread_mutex_lock(&t->lock);
	t->stopping = true;
	pthread_cond_broadcast(&t->work_cond);
	pthread_mutex_unlock(&t->lock);
	for (int i = 0; i < t->nr_threads; i++)
		pthread_join(t->threads[i], NULL);
	t->nr_threads = 0;
}

static void block_threads_destroy(struct block_aio *aio)
{
	struct block_aio_threads *t = to_threads(aio);

	block_threads_stop(t);
	close(aio->event_fd);
	pthread_cond_destroy(&t->idle_cond);
	pthread_cond_destroy(&t->work_cond);
	pthread_mutex_destroy(&t->lock);
	free(t);
}

static const struct block_aio_ops block_threads_ops = {
	.name = "threads",
	.submit = block_threads_submit,
	.kick = block_threads_kick,
	.reap = block_threads_reap,
	.cancel_all = block_threads_cancel_all,
	.destroy = block_threads_destroy,
};

struct block_aio *block_aio_threads_create(int fd, uint32_t depth, int *error)
{
	struct block_aio_threads *t = calloc(1, sizeof(*t));
	sigset_t all, old;
	int ret;

	if (!t) {
		*error = ENOMEM;
		return NULL;
	}
	t->aio = (struct block_aio){ .ops = &block_threads_ops, .fd = fd, .depth = depth };
	t->aio.event_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (t->aio.event_fd < 0) {
		*error = errno;
		goto out_free;
	}
	pthread_mutex_init(&t->lock, NULL);
	pthread_cond_init(&t->work_cond, NULL);
	pthread_cond_init(&t->idle_cond, NULL);
	/* Workers take no signals: they belong to the vCPU and main threads. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (int i = 0; i < BLOCK_THREADS; i++) {
		ret = pthread_create(&t->threads[i], NULL, block_threads_worker, t);
		if (ret)
			break;
		t->nr_threads++;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (t->nr_threads == 0) {
		*error = ret;
		goto out_sync;
	}
	return &t->aio;

out_sync:
	pthread_cond_destroy(&t->idle_cond);
	pthread_cond_destroy(&t->work_cond);
	pthread_mutex_destroy(&t->lock);
	close(t->aio.event_fd);
out_free:
	free(t);
	return NULL;
}
