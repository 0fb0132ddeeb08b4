/* SPDX-License-Identifier: MIT */
/*
 * One --net option as plain data: which backend, its parameters and the
 * guest's MAC. Parsed by the CLI (src/cli/net_option.c), consumed by
 * net_backend_create() and the virtio-net device.
 */
#ifndef VESSEL_NET_NET_CONFIG_H
#define VESSEL_NET_NET_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#define NET_MAX_DEVICES     4
#define NET_MAX_HOSTFWD     8
#define NET_IFNAME_MAX      15      /* IFNAMSIZ - 1 */
#define NET_MAX_QUEUES      8       /* queue pairs of one NIC (queues=N on a multiqueue TAP) */

enum net_type {
	NET_TAP,        /* a host TAP interface */
	NET_USER,       /* user-mode NAT (libslirp): 10.0.2.0/24, no privileges needed */
};

/* A host port forwarded into the guest (user networking only). */
struct net_hostfwd {
	bool udp;
	uint32_t host_addr;         /* network byte order; 0 = any */
	uint16_t host_port;
	uint32_t guest_addr;        /* network byte order; 0 = the DHCP address */
	uint16_t guest_port;
};

struct net_config {
	enum net_type type;
	char ifname[NET_IFNAME_MAX + 1];        /* NET_TAP */
	uint8_t mac[6];
	uint16_t queues;                        /* NET_TAP: queue pairs, 1..NET_MAX_QUEUES; 0 means 1 */
	struct net_hostfwd hostfwd[NET_MAX_HOSTFWD];   /* NET_USER */
	uint32_t nr_hostfwd;
};

#endif
