/* SPDX-License-Identifier: MIT */
/*
 * A network backend behind a small ops table: where the guest's frames go
 * and where its incoming frames come from. Every frame crossing this
 * interface starts with a 12-byte virtio_net_hdr_v1, so the TAP backend
 * passes headers (checksum and segmentation offloads) straight through and
 * the device never knows which backend it has.
 *
 * All ops run on the event loop thread, except set_offload (any thread).
 */
#ifndef VESSEL_NET_NET_BACKEND_H
#define VESSEL_NET_NET_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "core/event_loop.h"
#include "net/net_config.h"

#define NET_VNET_HDR_LEN    12      /* struct virtio_net_hdr_v1 (with num_buffers) */
#define NET_FRAME_MAX       (65535 + 14 + 4)   /* largest (GSO) frame + Ethernet + VLAN */

/* Offloads the guest accepts, for set_offload (what may arrive through recv). */
#define NET_OFFLOAD_CSUM    (1u << 0)   /* partial checksums (NEEDS_CSUM) */
#define NET_OFFLOAD_TSO4    (1u << 1)
#define NET_OFFLOAD_TSO6    (1u << 2)
#define NET_OFFLOAD_ECN     (1u << 3)

struct net_backend;

struct net_backend_ops {
	/* Sends one frame (header first); 0, or -errno if it was dropped. */
	int (*send)(struct net_backend *be, const struct iovec *iov, int iovcnt);
	/* Takes the next frame (header first) into buf: its length, or -EAGAIN if none. */
	ssize_t (*recv)(struct net_backend *be, void *buf, size_t len);
	/* Sets the offloads frames from recv may use (NET_OFFLOAD_*). 0 or -errno. */
	int (*set_offload)(struct net_backend *be, uint32_t offloads);
	void (*destroy)(struct net_backend *be);
};

struct net_backend {
	const struct net_backend_ops *ops;
	int rx_fd;                  /* readable while recv may have a frame */
	bool offloads;              /* headers carry checksum/GSO offloads (else all zero) */
};

/*
 * Opens the backend a --net option describes; its fds run on loop.
 * -errno with a one-line reason in err.
 */
__attribute__((warn_unused_result))
int net_backend_create(const struct net_config *cfg, struct event_loop *loop,
		       struct net_backend **out, char *err, size_t errlen);

__attribute__((warn_unused_result))
int net_tap_create(const char *ifname, struct net_backend **out, char *err, size_t errlen);
__attribute__((warn_unused_result))
int net_slirp_create(const struct net_config *cfg, struct event_loop *loop,
		     struct net_backend **out, char *err, size_t errlen);

#endif
