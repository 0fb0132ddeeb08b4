/* SPDX-License-Identifier: MIT */
/*
 * A network backend behind a small ops table: where the guest's frames go
 * and where its incoming frames come from. Every frame crossing this
 * interface starts with a 12-byte virtio_net_hdr_v1, so the TAP backend
 * passes headers (checksum and segmentation offloads) straight through and
 * the device never knows which backend it has.
 *
 * A backend has nr_queues queues (a multiqueue TAP: one file per queue;
 * everything else: one), each with its own rx_fd; send and recv name the
 * queue. A multiqueue backend also lets the device take queues out of the
 * host's steering (set_queue_enabled) while the guest does not use them.
 *
 * All ops run on the event loop thread, except set_offload and
 * set_queue_enabled (any thread, under the device's lock).
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
	/* Sends one frame (header first) on queue q; 0, or -errno if it was dropped. */
	int (*send)(struct net_backend *be, uint16_t q, const struct iovec *iov, int iovcnt);
	/* Takes the next frame (header first) of queue q into buf: its length, or -EAGAIN if none. */
	ssize_t (*recv)(struct net_backend *be, uint16_t q, void *buf, size_t len);
	/* Sets the offloads frames from recv may use (NET_OFFLOAD_*), for every queue. 0 or -errno. */
	int (*set_offload)(struct net_backend *be, uint32_t offloads);
	/*
	 * Multiqueue backends only (NULL otherwise): whether the host may steer
	 * frames to queue q and take frames from it (a TAP queue attached or
	 * detached). Idempotent. 0 or -errno.
	 */
	int (*set_queue_enabled)(struct net_backend *be, uint16_t q, bool enabled);
	void (*destroy)(struct net_backend *be);
};

struct net_backend {
	const struct net_backend_ops *ops;
	uint16_t nr_queues;                 /* 1..NET_MAX_QUEUES; 0 means 1 */
	int rx_fd[NET_MAX_QUEUES];          /* queue q's: readable while recv may have a frame */
	bool offloads;                      /* headers carry checksum/GSO offloads (else all zero) */
};

/*
 * Opens the backend a --net option describes; its fds run on loop.
 * -errno with a one-line reason in err.
 */
__attribute__((warn_unused_result))
int net_backend_create(const struct net_config *cfg, struct event_loop *loop,
		       struct net_backend **out, char *err, size_t errlen);

/*
 * Opens TAP ifname with queues files (1..NET_MAX_QUEUES; more than one needs
 * a multiqueue TAP, created as one if missing). Every queue starts enabled.
 */
__attribute__((warn_unused_result))
int net_tap_create(const char *ifname, uint16_t queues, struct net_backend **out, char *err, size_t errlen);
__attribute__((warn_unused_result))
int net_slirp_create(const struct net_config *cfg, struct event_loop *loop,
		     struct net_backend **out, char *err, size_t errlen);

#endif
