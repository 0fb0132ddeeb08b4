/* SPDX-License-Identifier: MIT */
#include "migration/mig_conn.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

int mig_conn_set_timeout(struct mig_conn *c, unsigned int ms)
{
	struct timeval tv = { .tv_sec = ms / 1000, .tv_usec = (long)(ms % 1000) * 1000 };

	if (setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) ||
	    setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)))
		return -errno;
	return 0;
}

static int mig_conn_error(struct mig_conn *c, int err)
{
	if (atomic_load(&c->aborted))
		return -ECANCELED;
	if (err == EAGAIN || err == EWOULDBLOCK)
		return -ETIMEDOUT;
	if (err == EPIPE || err == ECONNRESET || err == ENOTCONN || err == ESHUTDOWN)
		return -ECONNRESET;
	return -err;
}

int mig_conn_sendv(struct mig_conn *c, struct iovec *iov, int iovcnt)
{
	struct msghdr msg = { .msg_iov = iov, .msg_iovlen = (size_t)iovcnt };

	if (c->fd < 0)
		return -ENOTCONN;
	while (msg.msg_iovlen) {
		ssize_t n;

		if (atomic_load(&c->aborted))
			return -ECANCELED;
		n = sendmsg(c->fd, &msg, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return mig_conn_error(c, errno);
		}
		c->bytes_out += (uint64_t)n;
		while (msg.msg_iovlen && (size_t)n >= msg.msg_iov->iov_len) {
			n -= (ssize_t)msg.msg_iov->iov_len;
			msg.msg_iov++;
			msg.msg_iovlen--;
		}
		if (msg.msg_iovlen) {
			msg.msg_iov->iov_base = (uint8_t *)msg.msg_iov->iov_base + n;
			msg.msg_iov->iov_len -= (size_t)n;
		}
	}
	return 0;
}

int mig_conn_send(struct mig_conn *c, const void *data, size_t len)
{
	struct iovec iov = { .iov_base = (void *)data, .iov_len = len };

	return mig_conn_sendv(c, &iov, 1);
}

int mig_conn_recv(struct mig_conn *c, void *data, size_t len)
{
	uint8_t *p = data;

	if (c->fd < 0) {
		if (len > c->len - c->pos)
			return -ECONNRESET;
		memcpy(data, c->buf + c->pos, len);
		c->pos += len;
		c->bytes_in += len;
		return 0;
	}
	while (len) {
		ssize_t n;

		if (atomic_load(&c->aborted))
			return -ECANCELED;
		n = recv(c->fd, p, len, 0);
		if (n == 0)
			return -ECONNRESET;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return mig_conn_error(c, errno);
		}
		c->bytes_in += (uint64_t)n;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

void mig_conn_abort(struct mig_conn *c)
{
	atomic_store(&c->aborted, true);
	if (c->fd >= 0)
		shutdown(c->fd, SHUT_RDWR);
}

void mig_conn_close(struct mig_conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}
