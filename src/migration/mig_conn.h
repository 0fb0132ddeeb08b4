/* SPDX-License-Identifier: MIT */
/*
 * One end of a migration stream: whole-buffer sends and receives on a
 * connected socket, with the bytes counted. A connection may also read from
 * a memory buffer (fd -1), which is how the fuzz target feeds the parser.
 *
 * Every call either moves all the bytes or fails: -ECONNRESET when the peer
 * closed or reset the connection, -ETIMEDOUT when it stalled beyond the
 * socket's timeout, -ECANCELED after mig_conn_abort().
 */
#ifndef VESSEL_MIGRATION_MIG_CONN_H
#define VESSEL_MIGRATION_MIG_CONN_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

struct mig_conn {
	int fd;                     /* connected TCP socket, or -1 */
	const uint8_t *buf;         /* with fd -1: what receives read */
	size_t len, pos;
	uint64_t bytes_out;
	uint64_t bytes_in;
	atomic_bool aborted;
};

static inline void mig_conn_init_fd(struct mig_conn *c, int fd)
{
	*c = (struct mig_conn){ .fd = fd };
}

static inline void mig_conn_init_buf(struct mig_conn *c, const void *buf, size_t len)
{
	*c = (struct mig_conn){ .fd = -1, .buf = buf, .len = len };
}

/* Send and receive timeouts of the socket, in ms. 0 or -errno. */
int mig_conn_set_timeout(struct mig_conn *c, unsigned int ms);

int mig_conn_send(struct mig_conn *c, const void *data, size_t len);
/* Sends the buffers of iov in order (iov is modified). */
int mig_conn_sendv(struct mig_conn *c, struct iovec *iov, int iovcnt);
int mig_conn_recv(struct mig_conn *c, void *data, size_t len);

/* Makes blocked and later sends/receives fail (any thread): shuts the socket down. */
void mig_conn_abort(struct mig_conn *c);

void mig_conn_close(struct mig_conn *c);

#endif
