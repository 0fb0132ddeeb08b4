/* SPDX-License-Identifier: MIT */
/*
 * TAP backend: /dev/net/tun in IFF_TAP | IFF_NO_PI | IFF_VNET_HDR mode with a
 * 12-byte vnet header, so frames and their offload headers go to and from
 * the host kernel unchanged. TUNSETOFFLOAD follows what the guest accepts.
 *
 * queues=N (N > 1) opens the TAP N times with IFF_MULTI_QUEUE: one file per
 * queue pair, each its own rx_fd. A queue the guest does not use is detached
 * (TUNSETQUEUE), so the kernel steers no frames to it.
 */
#include "net/net_backend.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/log.h"

#define TUN_PATH "/dev/net/tun"

struct net_tap {
	struct net_backend be;
	uint16_t nr_queues;
	int fd[NET_MAX_QUEUES];
	bool enabled[NET_MAX_QUEUES];       /* attached (TUNSETQUEUE) */
	char ifname[IFNAMSIZ];
};

static int net_tap_send(struct net_backend *be, uint16_t q, const struct iovec *iov, int iovcnt)
{
	struct net_tap *tap = (struct net_tap *)be;
	ssize_t n;

	do {
		n = writev(tap->fd[q], iov, iovcnt);
	} while (n < 0 && errno == EINTR);
	/* EAGAIN: the TAP queue is full; dropping is what a full link does. */
	return n < 0 ? -errno : 0;
}

static ssize_t net_tap_recv(struct net_backend *be, uint16_t q, void *buf, size_t len)
{
	struct net_tap *tap = (struct net_tap *)be;
	ssize_t n;

	do {
		n = read(tap->fd[q], buf, len);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	return n;
}

static int net_tap_set_offload(struct net_backend *be, uint32_t offloads)
{
	struct net_tap *tap = (struct net_tap *)be;
	unsigned int flags = 0;

	if (offloads & NET_OFFLOAD_CSUM) {
		flags |= TUN_F_CSUM;
		/* Segmentation offloads need checksum offload (virtio 1.2, 5.1.3.1). */
		if (offloads & NET_OFFLOAD_TSO4)
			flags |= TUN_F_TSO4;
		if (offloads & NET_OFFLOAD_TSO6)
			flags |= TUN_F_TSO6;
		if ((offloads & NET_OFFLOAD_ECN) && (flags & (TUN_F_TSO4 | TUN_F_TSO6)))
			flags |= TUN_F_TSO_ECN;
	}
	/* Offloads belong to the interface: any of its queues sets them. */
	if (ioctl(tap->fd[0], TUNSETOFFLOAD, flags) < 0) {
		int ret = -errno;

		log_warn("tap %s: TUNSETOFFLOAD 0x%x: %s", tap->ifname, flags, strerror(-ret));
		return ret;
	}
	return 0;
}

static int net_tap_set_queue_enabled(struct net_backend *be, uint16_t q, bool enabled)
{
	struct net_tap *tap = (struct net_tap *)be;
	struct ifreq ifr = { .ifr_flags = enabled ? IFF_ATTACH_QUEUE : IFF_DETACH_QUEUE };

	if (tap->enabled[q] == enabled)
		return 0;
	if (ioctl(tap->fd[q], TUNSETQUEUE, &ifr) < 0) {
		int ret = -errno;

		log_warn("tap %s: cannot %s queue %u: %s", tap->ifname, enabled ? "attach" : "detach", q,
			 strerror(-ret));
		return ret;
	}
	tap->enabled[q] = enabled;
	return 0;
}

static void net_tap_destroy(struct net_backend *be)
{
	struct net_tap *tap = (struct net_tap *)be;

	for (uint16_t q = 0; q < tap->nr_queues; q++)
		close(tap->fd[q]);
	free(tap);
}

static const struct net_backend_ops net_tap_ops = {
	.send = net_tap_send,
	.recv = net_tap_recv,
	.set_offload = net_tap_set_offload,
	.destroy = net_tap_destroy,
};

/* The same with queues (set_queue_enabled is what tells the device it may detach them). */
static const struct net_backend_ops net_tap_mq_ops = {
	.send = net_tap_send,
	.recv = net_tap_recv,
	.set_offload = net_tap_set_offload,
	.set_queue_enabled = net_tap_set_queue_enabled,
	.destroy = net_tap_destroy,
};

/* Brings an interface we created up, as nobody else has configured it yet. */
static void net_tap_set_up(const char *ifname)
{
	struct ifreq ifr = { 0 };
	int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (sock < 0)
		return;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(sock, SIOCGIFFLAGS, &ifr) == 0 && !(ifr.ifr_flags & IFF_UP)) {
		ifr.ifr_flags |= IFF_UP;
		if (ioctl(sock, SIOCSIFFLAGS, &ifr) < 0)
			log_warn("tap %s: cannot bring it up: %s", ifname, strerror(errno));
	}
	close(sock);
}

/*
 * Opens one queue file of ifname with TUNSETIFF flags: 0 with *fd, or -errno
 * (nothing open; *at_open: open() of /dev/net/tun failed, not TUNSETIFF).
 */
static int net_tap_open_queue(const char *ifname, short flags, int *fd, bool *at_open)
{
	struct ifreq ifr = { .ifr_flags = flags };
	int ret;

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	*at_open = true;
	*fd = open(TUN_PATH, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (*fd < 0)
		return -errno;
	*at_open = false;
	if (ioctl(*fd, TUNSETIFF, &ifr) < 0) {
		ret = -errno;
		close(*fd);
		*fd = -1;
		return ret;
	}
	return 0;
}

static void net_tap_open_error(const char *ifname, int ret, bool at_open, bool existed, char *err, size_t errlen)
{
	if (at_open && (ret == -ENOENT || ret == -ENODEV))
		snprintf(err, errlen, "tap %s: %s does not exist (is the tun module loaded?)", ifname, TUN_PATH);
	else if (at_open)
		snprintf(err, errlen, "tap %s: cannot open %s: %s", ifname, TUN_PATH, strerror(-ret));
	else if (ret == -EPERM || ret == -EACCES)
		snprintf(err, errlen, "tap %s: permission denied (%s it needs CAP_NET_ADMIN, "
			 "or a tap created with 'ip tuntap add %s mode tap user %u vnet_hdr')",
			 ifname, existed ? "using" : "creating", ifname, (unsigned int)getuid());
	else if (ret == -EBUSY)
		snprintf(err, errlen, "tap %s: busy (another process has it open, or it is not a "
			 "vnet_hdr tap)", ifname);
	else if (ret == -EINVAL)
		snprintf(err, errlen, "tap %s: cannot attach (is '%s' an existing non-TAP interface?)",
			 ifname, ifname);
	else
		snprintf(err, errlen, "tap %s: TUNSETIFF: %s", ifname, strerror(-ret));
}

/*
 * TUNSETIFF said EINVAL for the first queue of an existing interface: it is
 * not a TAP, or only its multi_queue flag differs from ours. Asks once with
 * the other flag: 0 with fd[0] open (a multiqueue TAP serves one queue as
 * well), or -EINVAL with err set.
 */
static int net_tap_other_kind(struct net_tap *tap, short flags, uint16_t queues, char *err, size_t errlen)
{
	bool at_open;
	int ret = net_tap_open_queue(tap->ifname, flags ^ IFF_MULTI_QUEUE, &tap->fd[0], &at_open);

	if (ret == 0 && queues == 1)
		return 0;
	if (ret == 0)
		close(tap->fd[0]);
	if ((ret == 0 || ret == -EBUSY) && queues > 1)
		snprintf(err, errlen, "tap %s: not a multiqueue TAP; recreate it with "
			 "`ip tuntap add dev %s mode tap multi_queue vnet_hdr`", tap->ifname, tap->ifname);
	else
		net_tap_open_error(tap->ifname, -EINVAL, false, true, err, errlen);
	return -EINVAL;
}

/* Opens every queue file; on failure closes what it opened, err says why. */
static int net_tap_open_queues(struct net_tap *tap, uint16_t queues, bool existed, char *err, size_t errlen)
{
	short flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR | (queues > 1 ? IFF_MULTI_QUEUE : 0);
	bool at_open;
	int ret;

	for (tap->nr_queues = 0; tap->nr_queues < queues; tap->nr_queues++) {
		ret = net_tap_open_queue(tap->ifname, flags, &tap->fd[tap->nr_queues], &at_open);
		if (ret == -EINVAL && !at_open && !tap->nr_queues && existed)
			ret = net_tap_other_kind(tap, flags, queues, err, errlen);
		else if (ret)
			net_tap_open_error(tap->ifname, ret, at_open, existed, err, errlen);
		if (ret)
			goto out_close;
		tap->enabled[tap->nr_queues] = true;
	}
	return 0;

out_close:
	while (tap->nr_queues)
		close(tap->fd[--tap->nr_queues]);
	return ret;
}

int net_tap_create(const char *ifname, uint16_t queues, struct net_backend **out, char *err, size_t errlen)
{
	int hdr_len = NET_VNET_HDR_LEN;
	struct net_tap *tap;
	bool existed;
	int ret;

	if (strlen(ifname) >= IFNAMSIZ) {
		snprintf(err, errlen, "tap '%s': interface names have at most %d characters", ifname, IFNAMSIZ - 1);
		return -EINVAL;
	}
	if (queues < 1 || queues > NET_MAX_QUEUES) {
		snprintf(err, errlen, "tap %s: %u queues, expected 1 to %d", ifname, queues, NET_MAX_QUEUES);
		return -EINVAL;
	}
	tap = calloc(1, sizeof(*tap));
	if (!tap) {
		snprintf(err, errlen, "tap %s: out of memory", ifname);
		return -ENOMEM;
	}
	snprintf(tap->ifname, sizeof(tap->ifname), "%s", ifname);
	existed = if_nametoindex(ifname) != 0;

	ret = net_tap_open_queues(tap, queues, existed, err, errlen);
	if (ret)
		goto out_free;
	/* The header size and offloads belong to the interface: one queue sets them for all. */
	if (ioctl(tap->fd[0], TUNSETVNETHDRSZ, &hdr_len) < 0) {
		ret = -errno;
		snprintf(err, errlen, "tap %s: TUNSETVNETHDRSZ: %s", ifname, strerror(-ret));
		goto out_close;
	}
	/* Until the guest negotiates offloads, it gets plain frames. */
	if (ioctl(tap->fd[0], TUNSETOFFLOAD, 0) < 0) {
		ret = -errno;
		snprintf(err, errlen, "tap %s: TUNSETOFFLOAD: %s", ifname, strerror(-ret));
		goto out_close;
	}
	if (!existed)
		net_tap_set_up(ifname);

	tap->be.ops = queues > 1 ? &net_tap_mq_ops : &net_tap_ops;
	tap->be.nr_queues = queues;
	for (uint16_t q = 0; q < queues; q++)
		tap->be.rx_fd[q] = tap->fd[q];
	tap->be.offloads = true;
	*out = &tap->be;
	return 0;

out_close:
	for (uint16_t q = 0; q < tap->nr_queues; q++)
		close(tap->fd[q]);
out_free:
	free(tap);
	return ret;
}
