/* SPDX-License-Identifier: MIT */
#include "pci/virtio_pci.h"

#include <endian.h>
#include <errno.h>
#include <linux/kvm.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "core/log.h"
#include "pci/pci_msix.h"
#include "snapshot/snap_buf.h"

/* BAR 0 layout: one region per capability, 4 KiB apart. */
#define VP_BAR              0
#define VP_BAR_SIZE         0x8000
#define VP_COMMON_OFF       0x0000
#define VP_ISR_OFF          0x1000
#define VP_DEVICE_OFF       0x2000
#define VP_DEVICE_MAX       0x1000
#define VP_NOTIFY_OFF       0x3000
#define VP_NOTIFY_MULT      4
#define VP_MSIX_TABLE_OFF   0x4000
#define VP_MSIX_PBA_OFF     0x5000

/* virtio_pci_cap cfg_type values. */
#define VP_CAP_COMMON   1
#define VP_CAP_NOTIFY   2
#define VP_CAP_ISR      3
#define VP_CAP_DEVICE   4
#define VP_CAP_PCI_CFG  5

#define VP_ISR_QUEUE    0x1
#define VP_ISR_CONFIG   0x2

#define VP_MAX_QUEUES   (PCI_MSIX_MAX_VECTORS - 1)

/* The transport features vessel offers on top of the device's. */
#define VP_TRANSPORT_FEATURES ((1ULL << VIRTIO_F_VERSION_1) | (1ULL << VIRTIO_F_RING_EVENT_IDX) | \
			       (1ULL << VIRTIO_F_INDIRECT_DESC))

struct virtio_pci_cap {
	uint8_t cap_vndr;
	uint8_t cap_next;
	uint8_t cap_len;
	uint8_t cfg_type;
	uint8_t bar;
	uint8_t id;
	uint8_t padding[2];
	uint32_t offset;
	uint32_t length;
} __attribute__((packed));

struct virtio_pci_notify_cap {
	struct virtio_pci_cap cap;
	uint32_t notify_off_multiplier;
} __attribute__((packed));

struct virtio_pci_cfg_cap {
	struct virtio_pci_cap cap;
	uint8_t pci_cfg_data[4];
} __attribute__((packed));

/* The common configuration structure, little-endian as the guest sees it. */
struct virtio_pci_common_cfg {
	uint32_t device_feature_select;
	uint32_t device_feature;
	uint32_t driver_feature_select;
	uint32_t driver_feature;
	uint16_t msix_config;
	uint16_t num_queues;
	uint8_t device_status;
	uint8_t config_generation;
	uint16_t queue_select;
	uint16_t queue_size;
	uint16_t queue_msix_vector;
	uint16_t queue_enable;
	uint16_t queue_notify_off;
	uint64_t queue_desc;
	uint64_t queue_driver;
	uint64_t queue_device;
} __attribute__((packed));

_Static_assert(sizeof(struct virtio_pci_common_cfg) == 56, "virtio 1.2 4.1.4.3 layout");

#define COMMON_FIELD(f) offsetof(struct virtio_pci_common_cfg, f), \
	sizeof(((struct virtio_pci_common_cfg *)0)->f)

/* Guest-visible transport state (what a snapshot of the transport holds). */
struct virtio_pci_state {
	uint32_t device_feature_select;
	uint32_t driver_feature_select;
	uint64_t driver_features;
	uint16_t msix_config;
	uint16_t queue_select;
	uint8_t device_status;
	uint8_t config_generation;
	uint8_t isr;
	uint8_t pad;
};

struct virtio_pci;

struct virtio_pci_notifier {
	struct virtio_pci *vp;
	uint16_t queue;
	int fd;                     /* eventfd: KVM ioeventfd, or written by the BAR path */
	uint64_t ioeventfd_gpa;     /* 0: not registered with KVM */
};

struct virtio_pci {
	struct pci_dev pci;
	struct pci_msix msix;
	struct virtio_dev *vdev;
	struct virtio_pci_config cfg;
	struct virtio_pci_state state;
	uint64_t offered_features;
	struct virtq *queues;
	struct virtio_pci_notifier *notifiers;
	pthread_mutex_t lock;       /* recursive: device callbacks may call transport ops */
};

static uint16_t vp_num_queues(const struct virtio_pci *vp)
{
	return vp->vdev->ops->num_queues;
}

static bool vp_range_touches(uint32_t offset, uint32_t len, size_t field_off, size_t field_size)
{
	return offset < field_off + field_size && field_off < (size_t)offset + len;
}

/* ---- interrupts (any thread) ---- */

static void vp_signal_used(struct virtio_dev *vdev, uint16_t q)
{
	struct virtio_pci *vp = vdev->transport_priv;

	if (q >= vp_num_queues(vp) || !virtq_should_notify(&vp->queues[q]))
		return;
	__atomic_or_fetch(&vp->state.isr, VP_ISR_QUEUE, __ATOMIC_SEQ_CST);
	pci_msix_notify(&vp->msix, vp->queues[q].state.msix_vector);
}

static void vp_signal_config(struct virtio_dev *vdev)
{
	struct virtio_pci *vp = vdev->transport_priv;

	__atomic_or_fetch(&vp->state.isr, VP_ISR_CONFIG, __ATOMIC_SEQ_CST);
	pci_msix_notify(&vp->msix, vp->state.msix_config);
}

static void vp_needs_reset(struct virtio_dev *vdev)
{
	struct virtio_pci *vp = vdev->transport_priv;

	/* The device has said what was wrong (rate limited); no second line here. */
	pthread_mutex_lock(&vp->lock);
	vp->state.device_status |= VIRTIO_STATUS_NEEDS_RESET;
	pthread_mutex_unlock(&vp->lock);
	vp_signal_config(vdev);
}

static void vp_lock(struct virtio_dev *vdev)
{
	struct virtio_pci *vp = vdev->transport_priv;

	pthread_mutex_lock(&vp->lock);
}

static void vp_unlock(struct virtio_dev *vdev)
{
	struct virtio_pci *vp = vdev->transport_priv;

	pthread_mutex_unlock(&vp->lock);
}

static const struct virtio_transport_ops vp_transport_ops = {
	.signal_used = vp_signal_used,
	.signal_config = vp_signal_config,
	.needs_reset = vp_needs_reset,
	.lock = vp_lock,
	.unlock = vp_unlock,
};

/* ---- queue notifications ---- */

static void vp_handle_notify(void *ctx, uint32_t events)
{
	struct virtio_pci_notifier *n = ctx;
	struct virtio_pci *vp = n->vp;
	uint64_t count;

	if (read(n->fd, &count, sizeof(count)) != sizeof(count))
		return;
	pthread_mutex_lock(&vp->lock);
	if (!(vp->state.device_status & VIRTIO_STATUS_DRIVER_OK) ||
	    (vp->state.device_status & VIRTIO_STATUS_NEEDS_RESET) || !vp->queues[n->queue].state.ready)
		log_guest("%s: queue %u notified before it is live: ignored",
			  vp->vdev->ops->name, n->queue);
	else
		vp->vdev->ops->queue_notify(vp->vdev, n->queue);
	pthread_mutex_unlock(&vp->lock);
}

static void vp_ioeventfd_set(struct virtio_pci *vp, struct virtio_pci_notifier *n, uint64_t gpa)
{
	struct kvm_ioeventfd io = { .len = 2, .fd = n->fd };

	if (vp->cfg.vm_fd < 0)
		return;
	if (n->ioeventfd_gpa) {
		io.addr = n->ioeventfd_gpa;
		io.flags = KVM_IOEVENTFD_FLAG_DEASSIGN;
		ioctl(vp->cfg.vm_fd, KVM_IOEVENTFD, &io);
		n->ioeventfd_gpa = 0;
	}
	if (!gpa)
		return;
	io.addr = gpa;
	io.flags = 0;
	if (ioctl(vp->cfg.vm_fd, KVM_IOEVENTFD, &io) == 0)
		n->ioeventfd_gpa = gpa;
	else
		log_warn("%s: KVM_IOEVENTFD: %s: queue notifications will exit to vessel",
			 vp->vdev->ops->name, strerror(errno));
}

static void vp_bar_mapped(struct pci_dev *dev, int bar, uint64_t gpa)
{
	struct virtio_pci *vp = dev->opaque;

	if (bar != VP_BAR)
		return;
	for (uint16_t q = 0; q < vp_num_queues(vp); q++)
		vp_ioeventfd_set(vp, &vp->notifiers[q],
				 gpa ? gpa + VP_NOTIFY_OFF + (uint64_t)q * VP_NOTIFY_MULT : 0);
}

/* ---- device status ---- */

static void vp_reset_queues(struct virtio_pci *vp)
{
	for (uint16_t q = 0; q < vp_num_queues(vp); q++) {
		struct virtq *vq = &vp->queues[q];

		*vq = (struct virtq){ .mem = vp->cfg.mem };
		vq->state.size = vp->vdev->ops->queue_max_size;
		vq->state.msix_vector = PCI_MSIX_NO_VECTOR;
	}
}

static void vp_reset(struct virtio_pci *vp)
{
	if (vp->vdev->ops->reset)
		vp->vdev->ops->reset(vp->vdev);
	vp_reset_queues(vp);
	vp->vdev->driver_features = 0;
	vp->state = (struct virtio_pci_state){
		.msix_config = PCI_MSIX_NO_VECTOR,
		.config_generation = vp->state.config_generation,
	};
}

static bool vp_activate(struct virtio_pci *vp)
{
	bool event_idx = (vp->state.driver_features >> VIRTIO_F_RING_EVENT_IDX) & 1;

	for (uint16_t q = 0; q < vp_num_queues(vp); q++) {
		struct virtq *vq = &vp->queues[q];

		vq->mem = vp->cfg.mem;
		vq->event_idx = event_idx;
		if (vq->state.ready && virtq_validate(vq)) {
			log_guest("%s: queue %u rings are not in guest RAM", vp->vdev->ops->name, q);
			return false;
		}
	}
	vp->vdev->driver_features = vp->state.driver_features;
	if (vp->vdev->ops->activate && vp->vdev->ops->activate(vp->vdev)) {
		log_guest("%s: the device refused to start", vp->vdev->ops->name);
		return false;
	}
	return true;
}

static void vp_write_status(struct virtio_pci *vp, uint8_t status)
{
	uint8_t old = vp->state.device_status;

	if (status == 0) {
		vp_reset(vp);
		return;
	}
	/* Bits are only ever added; clearing happens by reset. */
	status |= old;
	if ((status & VIRTIO_STATUS_FEATURES_OK) && !(old & VIRTIO_STATUS_FEATURES_OK)) {
		uint64_t f = vp->state.driver_features;

		if ((f & ~vp->offered_features) || !((f >> VIRTIO_F_VERSION_1) & 1))
			status &= ~VIRTIO_STATUS_FEATURES_OK;
	}
	if ((status & VIRTIO_STATUS_DRIVER_OK) && !(old & VIRTIO_STATUS_DRIVER_OK)) {
		if (!(status & VIRTIO_STATUS_FEATURES_OK) || !vp_activate(vp))
			status |= VIRTIO_STATUS_NEEDS_RESET;
	}
	vp->state.device_status = status;
}

/* ---- common configuration ---- */

static void vp_common_fill(struct virtio_pci *vp, struct virtio_pci_common_cfg *c)
{
	uint16_t q = vp->state.queue_select;
	uint32_t fsel = vp->state.device_feature_select;
	uint32_t dsel = vp->state.driver_feature_select;

	memset(c, 0, sizeof(*c));
	c->device_feature_select = htole32(fsel);
	c->device_feature = htole32(fsel < 2 ? (uint32_t)(vp->offered_features >> (32 * fsel)) : 0);
	c->driver_feature_select = htole32(dsel);
	c->driver_feature = htole32(dsel < 2 ? (uint32_t)(vp->state.driver_features >> (32 * dsel)) : 0);
	c->msix_config = htole16(vp->state.msix_config);
	c->num_queues = htole16(vp_num_queues(vp));
	c->device_status = vp->state.device_status;
	c->config_generation = vp->state.config_generation;
	c->queue_select = htole16(q);
	if (q < vp_num_queues(vp)) {
		const struct virtq_state *s = &vp->queues[q].state;

		c->queue_size = htole16(s->size);
		c->queue_msix_vector = htole16(s->msix_vector);
		c->queue_enable = htole16(s->ready);
		c->queue_notify_off = htole16(q);
		c->queue_desc = htole64(s->desc_gpa);
		c->queue_driver = htole64(s->avail_gpa);
		c->queue_device = htole64(s->used_gpa);
	}
}

static uint16_t vp_valid_vector(const struct virtio_pci *vp, uint16_t vector)
{
	return vector < vp->msix.nr_vectors ? vector : PCI_MSIX_NO_VECTOR;
}

static void vp_queue_write(struct virtio_pci *vp, const struct virtio_pci_common_cfg *c,
			   uint32_t offset, uint32_t len)
{
	uint16_t q = vp->state.queue_select;
	struct virtq_state *s;
	uint16_t size;

	if (q >= vp_num_queues(vp))
		return;
	s = &vp->queues[q].state;
	if (vp_range_touches(offset, len, COMMON_FIELD(queue_msix_vector)))
		s->msix_vector = vp_valid_vector(vp, le16toh(c->queue_msix_vector));
	/* The rest may only change while the queue is off (4.1.4.3.2). */
	if (s->ready)
		return;
	if (vp_range_touches(offset, len, COMMON_FIELD(queue_size))) {
		size = le16toh(c->queue_size);
		if (size && !(size & (size - 1)) && size <= vp->vdev->ops->queue_max_size)
			s->size = size;
		else
			log_guest("%s: queue %u: size %u refused", vp->vdev->ops->name, q, size);
	}
	if (vp_range_touches(offset, len, COMMON_FIELD(queue_desc)))
		s->desc_gpa = le64toh(c->queue_desc);
	if (vp_range_touches(offset, len, COMMON_FIELD(queue_driver)))
		s->avail_gpa = le64toh(c->queue_driver);
	if (vp_range_touches(offset, len, COMMON_FIELD(queue_device)))
		s->used_gpa = le64toh(c->queue_device);
	if (vp_range_touches(offset, len, COMMON_FIELD(queue_enable)) && le16toh(c->queue_enable) == 1)
		s->ready = 1;
}

static void vp_common_write(struct virtio_pci *vp, uint32_t offset, const void *data, uint32_t len)
{
	struct virtio_pci_common_cfg c;
	uint32_t sel;

	vp_common_fill(vp, &c);
	memcpy((uint8_t *)&c + offset, data, len);

	if (vp_range_touches(offset, len, COMMON_FIELD(device_feature_select)))
		vp->state.device_feature_select = le32toh(c.device_feature_select);
	if (vp_range_touches(offset, len, COMMON_FIELD(driver_feature_select)))
		vp->state.driver_feature_select = le32toh(c.driver_feature_select);
	sel = vp->state.driver_feature_select;
	if (vp_range_touches(offset, len, COMMON_FIELD(driver_feature)) && sel < 2 &&
	    !(vp->state.device_status & VIRTIO_STATUS_FEATURES_OK)) {
		uint64_t mask = 0xffffffffULL << (32 * sel);

		vp->state.driver_features = (vp->state.driver_features & ~mask) |
					    ((uint64_t)le32toh(c.driver_feature) << (32 * sel));
	}
	if (vp_range_touches(offset, len, COMMON_FIELD(msix_config)))
		vp->state.msix_config = vp_valid_vector(vp, le16toh(c.msix_config));
	if (vp_range_touches(offset, len, COMMON_FIELD(queue_select)))
		vp->state.queue_select = le16toh(c.queue_select);
	vp_queue_write(vp, &c, offset, len);
	/* Status last: a write that also carries other fields applies them first. */
	if (vp_range_touches(offset, len, COMMON_FIELD(device_status)))
		vp_write_status(vp, c.device_status);
}

/* ---- BAR 0 ---- */

static void vp_bar_read(struct pci_dev *dev, int bar, uint64_t offset, void *data, uint32_t len)
{
	struct virtio_pci *vp = dev->opaque;
	struct virtio_pci_common_cfg c;
	uint32_t cfg_size = vp->vdev->ops->config_size;

	memset(data, 0, len);
	if (bar != VP_BAR || pci_msix_bar_read(&vp->msix, offset, data, len))
		return;
	pthread_mutex_lock(&vp->lock);
	if (offset < VP_COMMON_OFF + sizeof(c) && len <= sizeof(c) - offset) {
		vp_common_fill(vp, &c);
		memcpy(data, (uint8_t *)&c + offset, len);
	} else if (offset == VP_ISR_OFF && len == 1) {
		/* Reading the ISR clears it (4.1.4.5). */
		*(uint8_t *)data = __atomic_exchange_n(&vp->state.isr, 0, __ATOMIC_SEQ_CST);
	} else if (offset >= VP_DEVICE_OFF && offset - VP_DEVICE_OFF < cfg_size &&
		   len <= cfg_size - (offset - VP_DEVICE_OFF)) {
		if (vp->vdev->ops->config_read)
			vp->vdev->ops->config_read(vp->vdev, offset - VP_DEVICE_OFF, data, len);
	}
	pthread_mutex_unlock(&vp->lock);
}

static void vp_bar_write(struct pci_dev *dev, int bar, uint64_t offset, const void *data, uint32_t len)
{
	struct virtio_pci *vp = dev->opaque;
	uint32_t cfg_size = vp->vdev->ops->config_size;
	uint64_t one = 1;

	if (bar != VP_BAR || pci_msix_bar_write(&vp->msix, offset, data, len))
		return;
	if (offset >= VP_NOTIFY_OFF && offset < VP_NOTIFY_OFF + (uint64_t)vp_num_queues(vp) * VP_NOTIFY_MULT) {
		/* No ioeventfd caught it: hand it to the event loop the same way. */
		uint16_t q = (offset - VP_NOTIFY_OFF) / VP_NOTIFY_MULT;

		if (write(vp->notifiers[q].fd, &one, sizeof(one)) < 0)
			log_guest("%s: queue %u notify lost", vp->vdev->ops->name, q);
		return;
	}
	pthread_mutex_lock(&vp->lock);
	if (offset < VP_COMMON_OFF + sizeof(struct virtio_pci_common_cfg) &&
	    len <= sizeof(struct virtio_pci_common_cfg) - offset) {
		vp_common_write(vp, offset, data, len);
	} else if (offset >= VP_DEVICE_OFF && offset - VP_DEVICE_OFF < cfg_size &&
		   len <= cfg_size - (offset - VP_DEVICE_OFF)) {
		if (vp->vdev->ops->config_write)
			vp->vdev->ops->config_write(vp->vdev, offset - VP_DEVICE_OFF, data, len);
	}
	pthread_mutex_unlock(&vp->lock);
}

static void vp_config_written(struct pci_dev *dev, uint32_t offset, uint32_t len)
{
	struct virtio_pci *vp = dev->opaque;

	pci_msix_config_written(&vp->msix, offset, len);
}

static const struct pci_dev_ops vp_pci_ops = {
	.bar_read = vp_bar_read,
	.bar_write = vp_bar_write,
	.config_written = vp_config_written,
	.bar_mapped = vp_bar_mapped,
};

/* ---- creation ---- */

static int vp_add_cap(struct virtio_pci *vp, uint8_t type, uint32_t offset, uint32_t length)
{
	struct virtio_pci_cap cap = {
		.cap_vndr = PCI_CAP_ID_VNDR, .cap_len = sizeof(cap), .cfg_type = type,
		.bar = VP_BAR, .offset = htole32(offset), .length = htole32(length),
	};

	return pci_dev_add_cap(&vp->pci, &cap, sizeof(cap), NULL);
}

static int vp_add_caps(struct virtio_pci *vp)
{
	struct virtio_pci_notify_cap notify = {
		.cap = {
			.cap_vndr = PCI_CAP_ID_VNDR, .cap_len = sizeof(notify), .cfg_type = VP_CAP_NOTIFY,
			.bar = VP_BAR, .offset = htole32(VP_NOTIFY_OFF),
			.length = htole32(vp_num_queues(vp) * VP_NOTIFY_MULT),
		},
		.notify_off_multiplier = htole32(VP_NOTIFY_MULT),
	};
	/* The PCI config access window; its bar/offset/length/data bytes are writable. */
	struct virtio_pci_cfg_cap pcicfg = {
		.cap = { .cap_vndr = PCI_CAP_ID_VNDR, .cap_len = sizeof(pcicfg), .cfg_type = VP_CAP_PCI_CFG },
	};
	uint8_t pcicfg_wmask[sizeof(pcicfg)] = { 0 };
	int ret;

	ret = vp_add_cap(vp, VP_CAP_COMMON, VP_COMMON_OFF, sizeof(struct virtio_pci_common_cfg));
	if (ret < 0)
		return ret;
	ret = pci_dev_add_cap(&vp->pci, &notify, sizeof(notify), NULL);
	if (ret < 0)
		return ret;
	ret = vp_add_cap(vp, VP_CAP_ISR, VP_ISR_OFF, 1);
	if (ret < 0)
		return ret;
	if (vp->vdev->ops->config_size) {
		ret = vp_add_cap(vp, VP_CAP_DEVICE, VP_DEVICE_OFF, vp->vdev->ops->config_size);
		if (ret < 0)
			return ret;
	}
	memset(pcicfg_wmask + offsetof(struct virtio_pci_cap, bar), 0xff, 1);
	memset(pcicfg_wmask + offsetof(struct virtio_pci_cap, offset), 0xff, 8);
	memset(pcicfg_wmask + offsetof(struct virtio_pci_cfg_cap, pci_cfg_data), 0xff, 4);
	ret = pci_dev_add_cap(&vp->pci, &pcicfg, sizeof(pcicfg), pcicfg_wmask);
	return ret < 0 ? ret : 0;
}

static uint32_t vp_pci_class(uint16_t device_id)
{
	switch (device_id) {
	case VIRTIO_ID_NET: return 0x020000;      /* ethernet controller */
	case VIRTIO_ID_BLOCK: return 0x010000;    /* SCSI storage controller, as QEMU */
	case VIRTIO_ID_CONSOLE: return 0x078000;  /* other communication controller */
	default: return 0x00ff00;                 /* unclassified */
	}
}

static void vp_destroy_notifiers(struct virtio_pci *vp)
{
	for (uint16_t q = 0; q < vp_num_queues(vp); q++) {
		struct virtio_pci_notifier *n = &vp->notifiers[q];

		if (n->fd < 0)
			continue;
		vp_ioeventfd_set(vp, n, 0);
		event_loop_del(vp->cfg.loop, n->fd);
		close(n->fd);
		n->fd = -1;
	}
}

/* On failure the caller cleans up with vp_destroy_notifiers(). */
static int vp_create_notifiers(struct virtio_pci *vp)
{
	for (uint16_t q = 0; q < vp_num_queues(vp); q++) {
		struct virtio_pci_notifier *n = &vp->notifiers[q];
		int ret;

		*n = (struct virtio_pci_notifier){ .vp = vp, .queue = q };
		n->fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (n->fd < 0)
			return -errno;
		ret = event_loop_add(vp->cfg.loop, n->fd, EPOLLIN, vp_handle_notify, n);
		if (ret) {
			close(n->fd);
			n->fd = -1;
			return ret;
		}
	}
	return 0;
}

struct virtio_pci *virtio_pci_create(struct virtio_dev *vdev, const struct virtio_pci_config *cfg)
{
	const struct virtio_dev_ops *ops = vdev->ops;
	pthread_mutexattr_t attr;
	struct virtio_pci *vp;

	if (!ops->num_queues || ops->num_queues > VP_MAX_QUEUES || !ops->queue_max_size ||
	    ops->queue_max_size > VIRTQ_MAX_SIZE || ops->config_size > VP_DEVICE_MAX)
		return NULL;
	vp = calloc(1, sizeof(*vp));
	if (!vp)
		return NULL;
	vp->vdev = vdev;
	vp->cfg = *cfg;
	vp->offered_features = ops->features | VP_TRANSPORT_FEATURES;
	pthread_mutexattr_init(&attr);
	pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(&vp->lock, &attr);
	pthread_mutexattr_destroy(&attr);

	vp->queues = calloc(ops->num_queues, sizeof(*vp->queues));
	vp->notifiers = calloc(ops->num_queues, sizeof(*vp->notifiers));
	if (!vp->queues || !vp->notifiers)
		goto out_free;
	for (uint16_t q = 0; q < ops->num_queues; q++)
		vp->notifiers[q].fd = -1;
	vdev->queues = vp->queues;
	vdev->transport = &vp_transport_ops;
	vdev->transport_priv = vp;
	vp_reset(vp);

	pci_dev_init(&vp->pci, VIRTIO_PCI_VENDOR_ID, VIRTIO_PCI_DEVICE_BASE + ops->device_id,
		     vp_pci_class(ops->device_id), 1, VIRTIO_PCI_VENDOR_ID, ops->device_id,
		     &vp_pci_ops, vp);
	if (pci_dev_add_bar(&vp->pci, VP_BAR, VP_BAR_SIZE, true))
		goto out_free;
	if (vp_add_caps(vp))
		goto out_free;
	/* One vector per queue plus one for configuration changes. */
	if (pci_msix_init(&vp->msix, &vp->pci, ops->num_queues + 1, VP_BAR, VP_MSIX_TABLE_OFF,
			  VP_MSIX_PBA_OFF, cfg->msi))
		goto out_free;
	if (vp_create_notifiers(vp))
		goto out_msix;
	return vp;

out_msix:
	vp_destroy_notifiers(vp);
	pci_msix_destroy(&vp->msix);
out_free:
	free(vp->notifiers);
	free(vp->queues);
	pthread_mutex_destroy(&vp->lock);
	free(vp);
	return NULL;
}

void virtio_pci_destroy(struct virtio_pci *vp)
{
	if (!vp)
		return;
	vp_destroy_notifiers(vp);
	pci_msix_destroy(&vp->msix);
	if (vp->vdev->ops->destroy)
		vp->vdev->ops->destroy(vp->vdev);
	free(vp->notifiers);
	free(vp->queues);
	pthread_mutex_destroy(&vp->lock);
	free(vp);
}

struct pci_dev *virtio_pci_pci_dev(struct virtio_pci *vp)
{
	return &vp->pci;
}

struct virtio_dev *virtio_pci_vdev(struct virtio_pci *vp)
{
	return vp->vdev;
}

uint8_t virtio_pci_status(struct virtio_pci *vp)
{
	uint8_t status;

	pthread_mutex_lock(&vp->lock);
	status = vp->state.device_status;
	pthread_mutex_unlock(&vp->lock);
	return status;
}

/* ---- snapshot ---- */

int virtio_pci_quiesce(struct virtio_pci *vp)
{
	int ret = 0;

	pthread_mutex_lock(&vp->lock);
	if (vp->vdev->ops->quiesce)
		ret = vp->vdev->ops->quiesce(vp->vdev);
	pthread_mutex_unlock(&vp->lock);
	return ret;
}

int virtio_pci_handover(struct virtio_pci *vp)
{
	int ret = 0;

	pthread_mutex_lock(&vp->lock);
	if (vp->vdev->ops->handover)
		ret = vp->vdev->ops->handover(vp->vdev);
	pthread_mutex_unlock(&vp->lock);
	return ret;
}

int virtio_pci_reclaim(struct virtio_pci *vp)
{
	int ret = 0;

	pthread_mutex_lock(&vp->lock);
	if (vp->vdev->ops->reclaim)
		ret = vp->vdev->ops->reclaim(vp->vdev);
	pthread_mutex_unlock(&vp->lock);
	return ret;
}

/* What identifies the device model, so a section cannot land on another one. */
struct virtio_pci_snap_id {
	uint16_t device_id;
	uint16_t num_queues;
	uint16_t queue_max_size;
	uint16_t nr_vectors;
};

void virtio_pci_save(struct virtio_pci *vp, struct snap_writer *w)
{
	struct virtio_pci_snap_id id = {
		.device_id = vp->vdev->ops->device_id, .num_queues = vp_num_queues(vp),
		.queue_max_size = vp->vdev->ops->queue_max_size, .nr_vectors = vp->msix.nr_vectors,
	};
	size_t dev_len_at;
	uint32_t dev_len;

	snap_put(w, &id, sizeof(id));
	pci_dev_save(&vp->pci, w);
	pci_msix_save(&vp->msix, w);
	pthread_mutex_lock(&vp->lock);
	snap_put(w, &vp->state, sizeof(vp->state));
	for (uint16_t q = 0; q < vp_num_queues(vp); q++)
		snap_put(w, &vp->queues[q].state, sizeof(vp->queues[q].state));
	/* The device's own state, length-prefixed. */
	dev_len_at = w->len;
	snap_put_u32(w, 0);
	if (vp->vdev->ops->save)
		vp->vdev->ops->save(vp->vdev, w);
	if (!w->error) {
		dev_len = (uint32_t)(w->len - dev_len_at - sizeof(dev_len));
		memcpy(w->buf + dev_len_at, &dev_len, sizeof(dev_len));
	}
	pthread_mutex_unlock(&vp->lock);
}

static bool vp_queue_state_ok(const struct virtio_pci *vp, const struct virtq_state *s)
{
	return s->size && !(s->size & (s->size - 1)) && s->size <= vp->vdev->ops->queue_max_size &&
	       s->ready <= 1 && s->signalled_used_valid <= 1 &&
	       (s->msix_vector == PCI_MSIX_NO_VECTOR || s->msix_vector < vp->msix.nr_vectors);
}

static bool vp_transport_state_ok(const struct virtio_pci *vp, const struct virtio_pci_state *st)
{
	return !(st->driver_features & ~vp->offered_features) && st->isr <= (VP_ISR_QUEUE | VP_ISR_CONFIG) &&
	       (st->msix_config == PCI_MSIX_NO_VECTOR || st->msix_config < vp->msix.nr_vectors);
}

int virtio_pci_load(struct virtio_pci *vp, struct snap_reader *r)
{
	struct virtio_pci_snap_id id, want = {
		.device_id = vp->vdev->ops->device_id, .num_queues = vp_num_queues(vp),
		.queue_max_size = vp->vdev->ops->queue_max_size, .nr_vectors = vp->msix.nr_vectors,
	};
	struct snap_reader pci_r, msix_r, dev_r;
	const uint8_t *pci_bytes, *msix_bytes, *dev_bytes;
	struct virtio_pci_state st;
	struct virtq_state *qs;
	uint32_t dev_len;
	uint64_t one = 1;
	int ret = -EINVAL;

	if (snap_get(r, &id, sizeof(id)) || memcmp(&id, &want, sizeof(id)))
		return -EINVAL;
	pci_bytes = snap_get_ptr(r, PCI_CONFIG_SIZE);
	msix_bytes = snap_get_ptr(r, sizeof(struct pci_msix_state));
	if (!pci_bytes || !msix_bytes || snap_get(r, &st, sizeof(st)) || !vp_transport_state_ok(vp, &st))
		return -EINVAL;
	qs = calloc(vp_num_queues(vp), sizeof(*qs));
	if (!qs)
		return -ENOMEM;
	for (uint16_t q = 0; q < vp_num_queues(vp); q++)
		if (snap_get(r, &qs[q], sizeof(qs[q])) || !vp_queue_state_ok(vp, &qs[q]))
			goto out_free;
	if (snap_get_u32(r, &dev_len) || dev_len != snap_left(r) || !(dev_bytes = snap_get_ptr(r, dev_len)))
		goto out_free;
	if (dev_len && !vp->vdev->ops->load)
		goto out_free;

	/* Checked: apply, config space first (MSI-X's enable bit lives there). */
	pci_r = snap_reader_init(pci_bytes, PCI_CONFIG_SIZE);
	msix_r = snap_reader_init(msix_bytes, sizeof(struct pci_msix_state));
	dev_r = snap_reader_init(dev_bytes, dev_len);
	ret = pci_dev_load(&vp->pci, &pci_r);
	if (!ret)
		ret = pci_msix_load(&vp->msix, &msix_r);
	if (ret)
		goto out_free;
	pthread_mutex_lock(&vp->lock);
	vp->state = st;
	for (uint16_t q = 0; q < vp_num_queues(vp); q++)
		vp->queues[q].state = qs[q];
	if (vp->vdev->ops->load)
		ret = vp->vdev->ops->load(vp->vdev, &dev_r);
	if (!ret && (st.device_status & VIRTIO_STATUS_DRIVER_OK) && !(st.device_status & VIRTIO_STATUS_NEEDS_RESET) &&
	    !vp_activate(vp))
		ret = -EINVAL;
	pthread_mutex_unlock(&vp->lock);
	if (ret)
		goto out_free;
	/* Chains the driver made available before the snapshot: look at every live queue once. */
	if ((st.device_status & VIRTIO_STATUS_DRIVER_OK) && !(st.device_status & VIRTIO_STATUS_NEEDS_RESET))
		for (uint16_t q = 0; q < vp_num_queues(vp); q++)
			if (qs[q].ready && write(vp->notifiers[q].fd, &one, sizeof(one)) < 0)
				log_warn("%s: queue %u: cannot notify after restore", vp->vdev->ops->name, q);
out_free:
	free(qs);
	return ret;
}
