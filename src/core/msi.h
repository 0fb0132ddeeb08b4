/* SPDX-License-Identifier: MIT */
/*
 * Message-signalled interrupts as a device sees them: a route is a GSI bound
 * to an eventfd (KVM irqfd) that delivers one MSI message. The device side
 * only writes the eventfd, so interrupts never go through a vCPU exit. The VM
 * backs this with KVM_SET_GSI_ROUTING + KVM_IRQFD; unit tests with a fake.
 */
#ifndef VESSEL_CORE_MSI_H
#define VESSEL_CORE_MSI_H

#include <stdint.h>

struct msi_msg {
	uint64_t addr;
	uint32_t data;
};

struct msi_ops {
	/* Allocates a route; returns its GSI (>= 0) and an eventfd in *fd, or -errno. */
	int (*route_alloc)(void *ctx, int *fd);
	/* Points the route at msg. 0 or -errno. */
	int (*route_set)(void *ctx, int gsi, const struct msi_msg *msg);
	void (*route_free)(void *ctx, int gsi, int fd);
};

struct msi_controller {
	const struct msi_ops *ops;
	void *ctx;
};

#endif
