/* SPDX-License-Identifier: MIT */
/*
 * The VM's virtio devices, created in one place and in a fixed order (rng,
 * console, disks in command-line order, NICs, balloon, vsock), each behind the virtio-pci
 * transport on the PCI bus the platform created.
 */
#include <errno.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "core/console.h"
#include "core/vm.h"
#include "devices/virtio/virtio_balloon.h"
#include "devices/virtio/virtio_blk.h"
#include "devices/virtio/virtio_console.h"
#include "devices/virtio/virtio_net.h"
#include "devices/virtio/virtio_rng.h"
#include "devices/virtio/virtio_vsock.h"
#include "net/vsock_uds.h"
#include "pci/pci.h"
#include "pci/virtio_pci.h"

/* Puts a virtio device on the PCI bus behind the virtio-pci transport. */
static int vm_add_virtio(struct vm *vm, struct virtio_dev *vdev)
{
	struct virtio_pci_config cfg = {
		.mem = &vm->mem,
		.loop = &vm->loop,
		.vm_fd = vm->fd,
		.msi = arch_msi_controller(vm),
	};
	struct virtio_pci *vp;
	int ret;

	if (!vdev)
		return -ENOMEM;
	if (vm->nr_virtio == VM_MAX_VIRTIO_DEVICES) {
		vdev->ops->destroy(vdev);
		return -ENOSPC;
	}
	vp = virtio_pci_create(vdev, &cfg);
	if (!vp) {
		vdev->ops->destroy(vdev);
		return -ENOMEM;
	}
	vm->virtio[vm->nr_virtio++] = vp;
	ret = pci_bus_add(vm->pci, virtio_pci_pci_dev(vp));
	return ret;
}

/* hvc0, fed by the terminal console; the guest sees the terminal's size (80x25 if not a tty). */
static int vm_add_console(struct vm *vm)
{
	/* No terminal: the guest's output is dropped. */
	struct virtio_console_config cfg = { .cols = 80, .rows = 25,
					     .out = vm->console ? console_write_output : NULL,
					     .out_ctx = vm->console };
	struct winsize ws;
	struct virtio_dev *vdev;
	int ret;

	if (vm->console && isatty(vm->console->out_fd) &&
	    !ioctl(vm->console->out_fd, TIOCGWINSZ, &ws) && ws.ws_col && ws.ws_row) {
		cfg.cols = ws.ws_col;
		cfg.rows = ws.ws_row;
	}
	vdev = virtio_console_create(&cfg);
	ret = vm_add_virtio(vm, vdev);
	if (!ret)
		vm->hvc = vdev;
	return ret;
}

/* The balloon, after the NICs: they keep their PCI slots with or without it. */
static int vm_add_balloon(struct vm *vm, char *err, size_t errlen)
{
	struct virtio_dev *vdev = virtio_balloon_create(&vm->cfg.balloon, &vm->mem,
							vm->cfg.mem_backing.hugepage_size, &vm->loop, err, errlen);
	int ret;

	if (!vdev)
		return -EINVAL;
	ret = vm_add_virtio(vm, vdev);
	if (ret)
		snprintf(err, errlen, "virtio-balloon: cannot create the device");
	else
		vm->balloon = vdev;
	return ret;
}

/* The vsock device, after the balloon, listening on its Unix socket; err says what failed. */
static int vm_add_vsock(struct vm *vm, char *err, size_t errlen)
{
	struct vsock_uds *uds;
	int ret;

	ret = vsock_uds_create(vm->cfg.vsock.uds_path, vm->cfg.vsock.guest_cid, &uds, err, errlen);
	if (ret)
		return ret;
	vm->vsock = virtio_vsock_create(vm->cfg.vsock.guest_cid, uds, &vm->loop);
	ret = vm_add_virtio(vm, vm->vsock);
	if (ret) {
		vm->vsock = NULL;
		snprintf(err, errlen, "virtio-vsock: cannot create the device");
	}
	return ret;
}

/* A virtio-net device over the backend a --net option names; err says what failed. */
static int vm_add_net(struct vm *vm, const struct net_config *cfg, char *err, size_t errlen)
{
	struct net_backend *be;
	int ret;

	ret = net_backend_create(cfg, &vm->loop, &be, err, errlen);
	if (ret)
		return ret;
	ret = vm_add_virtio(vm, virtio_net_create(be, cfg->mac, &vm->loop));
	if (ret)
		snprintf(err, errlen, "virtio-net: cannot create the device");
	return ret;
}

int vm_devices_create(struct vm *vm, char *err, size_t errlen)
{
	const char *what;
	int ret;

	if (vm->cfg.rng) {
		what = "virtio-rng";
		ret = vm_add_virtio(vm, virtio_rng_create());
		if (ret)
			goto out_err;
	}
	if (vm->cfg.console_device == VM_CONSOLE_VIRTIO) {
		what = "virtio-console";
		ret = vm_add_console(vm);
		if (ret)
			goto out_err;
	}
	/* In command-line order: the first --disk is /dev/vda. */
	for (uint32_t i = 0; i < vm->cfg.nr_disks; i++) {
		struct virtio_dev *vdev = virtio_blk_create(&vm->cfg.disks[i], &vm->loop, err, errlen);

		if (!vdev)
			return -EINVAL;
		what = "virtio-blk";
		ret = vm_add_virtio(vm, vdev);
		if (ret)
			goto out_err;
	}
	for (uint32_t i = 0; i < vm->cfg.nr_nets; i++) {
		ret = vm_add_net(vm, &vm->cfg.nets[i], err, errlen);
		if (ret)
			return ret;
	}
	if (vm->cfg.balloon.enabled) {
		ret = vm_add_balloon(vm, err, errlen);
		if (ret)
			return ret;
	}
	if (vm->cfg.vsock.enabled) {
		ret = vm_add_vsock(vm, err, errlen);
		if (ret)
			return ret;
	}
	return 0;

out_err:
	snprintf(err, errlen, "%s: cannot create the device", what);
	return ret;
}

void vm_devices_destroy(struct vm *vm)
{
	for (uint32_t i = 0; i < vm->nr_virtio; i++)
		virtio_pci_destroy(vm->virtio[i]);
	vm->nr_virtio = 0;
	vm->hvc = NULL;
	vm->balloon = NULL;
	vm->vsock = NULL;
}
