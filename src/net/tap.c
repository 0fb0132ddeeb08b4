/* SPDX-License-Identifier: MIT */
/*
 * TAP backend: /dev/net/tun in IFF_TAP | IFF_NO_PI | IFF_VNET_HDR mode with a
 * 12-byte vnet header, so frames and their offload headers go to and from
 * the host kernel unchanged. TUNSETOFFLOAD follows what the guest accepts.
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
	int fd;
	char ifname[IFNAMSIZ];
};

static int net_tap_send(struct net_backend *be, const struct iovec *iov, int iovcnt)
{
	struct net_tap *tap = (struct net_tap *)be;
	ssize_t n;

	do {
		n = writev(tap->fd, iov, iovcnt);
	} while (n < 0 && errno == EINTR);
	/* EAGAIN: the TAP queue is full; dropping is what a full link does. */
	return n < 0 ? -errno : 0;
}

static ssize_t net_tap_recv(struct net_backend *be, void *buf, size_t len)
{
	struct net_tap *tap = (struct net_tap *)be;
	ssize_t n;

	do {
		n = read(tap->fd, buf, len);
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
	if (ioctl(tap->fd, TUNSETOFFLOAD, flags) < 0) {
		int ret = -errno;

		log_warn("tap %s: TUNSETOFFLOAD 0x%x: %s", tap->ifname, flags, strerror(-ret));
		return ret;
	}
	return 0;
}

static void net_tap_destroy(struct net_backend *be)
{
	struct net_tap *tap = (struct net_tap *)be;

	close(tap->fd);
	free(tap);
}

static const struct net_backend_ops net_tap_ops = {
	.send = net_tap_send,
	.recv = net_tap_recv,
	.set_offload = net_tap_set_offload,
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

int net_tap_create(const char *ifname, struct net_backend **out, char *err, size_t errlen)
{
	struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR };
	int hdr_len = NET_VNET_HDR_LEN;
	struct net_tap *tap;
	bool existed;
	int ret;

	if (strlen(ifname) >= IFNAMSIZ) {
		snprintf(err, errlen, "tap '%s': interface names have at most %d characters", ifname, IFNAMSIZ - 1);
		return -EINVAL;
	}
	tap = calloc(1, sizeof(*tap));
	if (!tap) {
		snprintf(err, errlen, "tap %s: out of memory", ifname);
		return -ENOMEM;
	}
	snprintf(tap->ifname, sizeof(tap->ifname), "%s", ifname);
	memcpy(ifr.ifr_name, tap->ifname, IFNAMSIZ);
	existed = if_nametoindex(ifname) != 0;

	tap->fd = open(TUN_PATH, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (tap->fd < 0) {
		ret = -errno;
		if (ret == -ENOENT || ret == -ENODEV)
			snprintf(err, errlen, "tap %s: %s does not exist (is the tun module loaded?)", ifname, TUN_PATH);
		else
			snprintf(err, errlen, "tap %s: cannot open %s: %s", ifname, TUN_PATH, strerror(-ret));
		goto out_free;
	}
	if (ioctl(tap->fd, TUNSETIFF, &ifr) < 0) {
		ret = -errno;
		if (ret == -EPERM || ret == -EACCES)
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
		goto out_close;
	}
	if (ioctl(tap->fd, TUNSETVNETHDRSZ, &hdr_len) < 0) {
		ret = -errno;
		snprintf(err, errlen, "tap %s: TUNSETVNETHDRSZ: %s", ifname, strerror(-ret));
		goto out_close;
	}
	/* Until the guest negotiates offloads, it gets plain frames. */
	if (ioctl(tap->fd, TUNSETOFFLOAD, 0) < 0) {
		ret = -errno;
		snprintf(err, errlen, "tap %s: TUNSETOFFLOAD: %s", ifname, strerror(-ret));
		goto out_close;
	}
	if (!existed)
		net_tap_set_up(ifname);

	tap->be.ops = &net_tap_ops;
	tap->be.rx_fd = tap->fd;
	tap->be.offloads = true;
	*out = &tap->be;
	return 0;

out_close:
	close(tap->fd);
out_free:
	free(tap);
	return ret;
}
