/* SPDX-License-Identifier: MIT */
#include "arch/x86/irq_routing.h"

#include <errno.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "core/log.h"

#define PIC_PINS 16

void irq_routing_init(struct irq_routing *r, int vm_fd)
{
	memset(r, 0, sizeof(*r));
	r->vm_fd = vm_fd;
	pthread_mutex_init(&r->lock, NULL);
}

void irq_routing_destroy(struct irq_routing *r)
{
	pthread_mutex_destroy(&r->lock);
}

/* Rewrites KVM's table: the default irqchip wiring plus every programmed MSI route. */
static int irq_routing_commit(struct irq_routing *r)
{
	size_t max = 2 * PIC_PINS + (LAYOUT_IOAPIC_PINS - PIC_PINS) + IRQ_ROUTING_MAX_MSI;
	struct kvm_irq_routing *table;
	struct kvm_irq_routing_entry *e;
	int ret = 0;

	table = calloc(1, sizeof(*table) + max * sizeof(table->entries[0]));
	if (!table)
		return -ENOMEM;
	e = table->entries;
	/* As KVM's default: GSI 0-15 reach a PIC pin and the IOAPIC pin, 16-23 the IOAPIC. */
	for (uint32_t gsi = 0; gsi < LAYOUT_IOAPIC_PINS; gsi++) {
		if (gsi < PIC_PINS) {
			*e++ = (struct kvm_irq_routing_entry){
				.gsi = gsi, .type = KVM_IRQ_ROUTING_IRQCHIP,
				.u.irqchip = {
					.irqchip = gsi < 8 ? KVM_IRQCHIP_PIC_MASTER : KVM_IRQCHIP_PIC_SLAVE,
					.pin = gsi % 8,
				},
			};
		}
		*e++ = (struct kvm_irq_routing_entry){
			.gsi = gsi, .type = KVM_IRQ_ROUTING_IRQCHIP,
			.u.irqchip = { .irqchip = KVM_IRQCHIP_IOAPIC, .pin = gsi },
		};
	}
	for (uint32_t i = 0; i < IRQ_ROUTING_MAX_MSI; i++) {
		const struct irq_routing_msi *m = &r->msi[i];

		if (!m->used || !m->programmed)
			continue;
		*e++ = (struct kvm_irq_routing_entry){
			.gsi = LAYOUT_MSI_GSI_BASE + i, .type = KVM_IRQ_ROUTING_MSI,
			.u.msi = {
				.address_lo = (uint32_t)m->msg.addr,
				.address_hi = (uint32_t)(m->msg.addr >> 32),
				.data = m->msg.data,
			},
		};
	}
	table->nr = e - table->entries;
	if (ioctl(r->vm_fd, KVM_SET_GSI_ROUTING, table))
		ret = -errno;
	free(table);
	return ret;
}

static int irq_routing_route_alloc(void *ctx, int *fd)
{
	struct irq_routing *r = ctx;
	struct kvm_irqfd irqfd = { 0 };
	int ret = -ENOSPC;

	pthread_mutex_lock(&r->lock);
	for (uint32_t i = 0; i < IRQ_ROUTING_MAX_MSI; i++) {
		if (r->msi[i].used)
			continue;
		*fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (*fd < 0) {
			ret = -errno;
			break;
		}
		irqfd.fd = *fd;
		irqfd.gsi = LAYOUT_MSI_GSI_BASE + i;
		if (ioctl(r->vm_fd, KVM_IRQFD, &irqfd)) {
			ret = -errno;
			close(*fd);
			break;
		}
		r->msi[i] = (struct irq_routing_msi){ .used = true };
		ret = (int)irqfd.gsi;
		break;
	}
	pthread_mutex_unlock(&r->lock);
	return ret;
}

static int irq_routing_route_set(void *ctx, int gsi, const struct msi_msg *msg)
{
	struct irq_routing *r = ctx;
	uint32_t i = (uint32_t)gsi - LAYOUT_MSI_GSI_BASE;
	int ret;

	if (gsi < LAYOUT_MSI_GSI_BASE || i >= IRQ_ROUTING_MAX_MSI)
		return -EINVAL;
	pthread_mutex_lock(&r->lock);
	if (!r->msi[i].used) {
		pthread_mutex_unlock(&r->lock);
		return -EINVAL;
	}
	r->msi[i].msg = *msg;
	r->msi[i].programmed = true;
	ret = irq_routing_commit(r);
	pthread_mutex_unlock(&r->lock);
	if (ret)
		log_guest("MSI route for GSI %d: KVM_SET_GSI_ROUTING failed: %s", gsi, strerror(-ret));
	return ret;
}

static void irq_routing_route_free(void *ctx, int gsi, int fd)
{
	struct irq_routing *r = ctx;
	uint32_t i = (uint32_t)gsi - LAYOUT_MSI_GSI_BASE;
	struct kvm_irqfd irqfd = { .fd = fd, .gsi = gsi, .flags = KVM_IRQFD_FLAG_DEASSIGN };

	if (gsi < LAYOUT_MSI_GSI_BASE || i >= IRQ_ROUTING_MAX_MSI)
		return;
	ioctl(r->vm_fd, KVM_IRQFD, &irqfd);
	close(fd);
	pthread_mutex_lock(&r->lock);
	if (r->msi[i].programmed) {
		r->msi[i] = (struct irq_routing_msi){ 0 };
		irq_routing_commit(r);
	}
	r->msi[i] = (struct irq_routing_msi){ 0 };
	pthread_mutex_unlock(&r->lock);
}

static const struct msi_ops irq_routing_msi_ops = {
	.route_alloc = irq_routing_route_alloc,
	.route_set = irq_routing_route_set,
	.route_free = irq_routing_route_free,
};

struct msi_controller irq_routing_msi_controller(struct irq_routing *r)
{
	return (struct msi_controller){ .ops = &irq_routing_msi_ops, .ctx = r };
}
