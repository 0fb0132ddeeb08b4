/* SPDX-License-Identifier: MIT */
/*
 * The VM's GSI routing table: GSIs 0-23 wired to the in-kernel PICs and
 * IOAPIC as KVM does by default, and MSI routes from LAYOUT_MSI_GSI_BASE up,
 * each bound to an irqfd. KVM_SET_GSI_ROUTING replaces the whole table, so
 * every change rewrites it (rare: only when a guest reprograms an MSI-X
 * vector). Implements struct msi_ops for devices.
 */
#ifndef VESSEL_ARCH_X86_IRQ_ROUTING_H
#define VESSEL_ARCH_X86_IRQ_ROUTING_H

#include <pthread.h>
#include <stdbool.h>

#include "arch/x86/layout.h"
#include "core/msi.h"

#define IRQ_ROUTING_MAX_MSI (LAYOUT_MAX_GSI - LAYOUT_MSI_GSI_BASE)

struct irq_routing_msi {
	bool used;
	bool programmed;        /* msg has been set: the route is in the table */
	struct msi_msg msg;
};

struct irq_routing {
	int vm_fd;
	pthread_mutex_t lock;
	struct irq_routing_msi msi[IRQ_ROUTING_MAX_MSI];
};

void irq_routing_init(struct irq_routing *r, int vm_fd);
void irq_routing_destroy(struct irq_routing *r);

/* The msi_controller devices use: ops backed by r. */
struct msi_controller irq_routing_msi_controller(struct irq_routing *r);

#endif
