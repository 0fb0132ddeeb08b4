/* SPDX-License-Identifier: MIT */
/* Restoring a snapshot: read and check the state file, rebuild the machine, apply. */
#include "snapshot/snapshot.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "arch/x86/kvm_state.h"
#include "core/log.h"
#include "core/vcpu.h"
#include "devices/legacy/legacy.h"
#include "devices/legacy/serial.h"
#include "devices/virtio/virtio_net.h"
#include "pci/virtio_pci.h"
#include "snapshot/snap_override.h"

#define SNAPSHOT_STATE_MAX (256u << 20)

/* The virtio functions before the NICs (vm_devices.c's order: rng, console, disks, NICs, balloon, vsock). */
static uint32_t snapshot_nr_virtio_before_nics(const struct vm_config *cfg)
{
	return (cfg->rng ? 1 : 0) + (cfg->console_device == VM_CONSOLE_VIRTIO ? 1 : 0) + cfg->nr_disks;
}

/* The virtio functions a configuration creates. */
static uint32_t snapshot_nr_virtio(const struct vm_config *cfg)
{
	return snapshot_nr_virtio_before_nics(cfg) + cfg->nr_nets + (cfg->balloon.enabled ? 1 : 0) +
	       (cfg->vsock.enabled ? 1 : 0);
}

/* Every section the configuration implies is there, once, and nothing else. */
static int snapshot_check_sections(const struct snapshot_file *f, char *err, size_t errlen)
{
	const struct snap_image *img = &f->img;
	const struct vm_config *cfg = &f->cfg.vm;
	uint32_t nr_virtio = snapshot_nr_virtio(cfg);
	static const uint32_t singles[] = {
		SNAP_TAG_CONFIG, SNAP_TAG_VM, SNAP_TAG_SERIAL, SNAP_TAG_I8042, SNAP_TAG_CMOS, SNAP_TAG_ACPI_PM,
	};

	if (snap_count(img, SNAP_TAG_BALLOON) != (snap_find(img, SNAP_TAG_BALLOON, 0) ? 1 : 0)) {
		snprintf(err, errlen, "snapshot has a balloon section other than instance 0");
		return -EINVAL;
	}
	if (snap_count(img, SNAP_TAG_VSOCK) != (snap_find(img, SNAP_TAG_VSOCK, 0) ? 1 : 0)) {
		snprintf(err, errlen, "snapshot has a vsock section other than instance 0");
		return -EINVAL;
	}

	for (size_t i = 0; i < sizeof(singles) / sizeof(singles[0]); i++) {
		if (!snap_find(img, singles[i], 0) || snap_count(img, singles[i]) != 1) {
			snprintf(err, errlen, "snapshot has no (or more than one) %s section", snap_tag_name(singles[i]));
			return -EINVAL;
		}
	}
	if (snap_count(img, SNAP_TAG_VCPU) != cfg->nr_cpus) {
		snprintf(err, errlen, "snapshot has %u vCPU sections for %u vCPUs",
			 snap_count(img, SNAP_TAG_VCPU), cfg->nr_cpus);
		return -EINVAL;
	}
	for (uint32_t i = 0; i < cfg->nr_cpus; i++) {
		if (!snap_find(img, SNAP_TAG_VCPU, (uint16_t)i)) {
			snprintf(err, errlen, "snapshot has no state for vCPU %u", i);
			return -EINVAL;
		}
	}
	if (snap_count(img, SNAP_TAG_VIRTIO) != nr_virtio) {
		snprintf(err, errlen, "snapshot has %u virtio device sections, its configuration %u",
			 snap_count(img, SNAP_TAG_VIRTIO), nr_virtio);
		return -EINVAL;
	}
	for (uint32_t i = 0; i < nr_virtio; i++) {
		if (!snap_find(img, SNAP_TAG_VIRTIO, (uint16_t)i)) {
			snprintf(err, errlen, "snapshot has no state for virtio device %u", i);
			return -EINVAL;
		}
	}
	return 0;
}

int snapshot_file_parse(struct snapshot_file *f, uint8_t *buf, size_t len, char *err, size_t errlen)
{
	const struct snap_section *sec;
	struct snap_reader r;
	int ret;

	*f = (struct snapshot_file){ .buf = buf, .len = len };
	ret = snap_parse(buf, len, &f->img, err, errlen);
	if (ret)
		goto out_free;
	sec = snap_find(&f->img, SNAP_TAG_CONFIG, 0);
	if (!sec) {
		snprintf(err, errlen, "snapshot has no configuration section");
		ret = -EINVAL;
		goto out_image;
	}
	r = snap_reader_init(sec->data, sec->len);
	ret = snap_config_load(&r, &f->cfg, err, errlen);
	if (ret)
		goto out_image;
	sec = snap_find(&f->img, SNAP_TAG_BALLOON, 0);
	if (sec) {
		r = snap_reader_init(sec->data, sec->len);
		ret = snap_config_load_balloon(&r, &f->cfg.vm.balloon, err, errlen);
		if (ret)
			goto out_config;
	}
	sec = snap_find(&f->img, SNAP_TAG_VSOCK, 0);
	if (sec) {
		r = snap_reader_init(sec->data, sec->len);
		ret = snap_config_load_vsock(&r, &f->cfg, err, errlen);
		if (ret)
			goto out_config;
	}
	if (f->img.header.cpu_model != (uint32_t)f->cfg.vm.cpu_model) {
		snprintf(err, errlen, "snapshot header and configuration disagree on the CPU model");
		ret = -EINVAL;
		goto out_config;
	}
	ret = snapshot_check_sections(f, err, errlen);
	if (ret)
		goto out_config;
	return 0;

out_config:
	snap_config_free(&f->cfg);
out_image:
	snap_image_free(&f->img);
out_free:
	free(buf);
	*f = (struct snapshot_file){ 0 };
	return ret;
}

int snapshot_file_read(struct snapshot_file *f, const char *path, char *err, size_t errlen)
{
	struct stat st;
	uint8_t *buf;
	size_t done = 0;
	int fd, ret;

	*f = (struct snapshot_file){ 0 };
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "snapshot state %s: %s", path, strerror(errno));
		return ret;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_size > SNAPSHOT_STATE_MAX) {
		ret = -EINVAL;
		snprintf(err, errlen, "snapshot state %s: not a regular file of at most 256 MiB", path);
		goto out_close;
	}
	buf = malloc(st.st_size ? (size_t)st.st_size : 1);
	if (!buf) {
		ret = -ENOMEM;
		snprintf(err, errlen, "snapshot state %s: out of memory", path);
		goto out_close;
	}
	while (done < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + done, (size_t)st.st_size - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			ret = n < 0 ? -errno : -EIO;
			snprintf(err, errlen, "snapshot state %s: read: %s", path, strerror(-ret));
			free(buf);
			goto out_close;
		}
		done += (size_t)n;
	}
	ret = snapshot_file_parse(f, buf, done, err, errlen);
	if (ret) {
		/* Prefix the file name to the parser's reason. */
		char why[256];

		snprintf(why, sizeof(why), "%s", err);
		snprintf(err, errlen, "snapshot state %s: %s", path, why);
	}
out_close:
	close(fd);
	return ret;
}

void snapshot_file_free(struct snapshot_file *f)
{
	snap_config_free(&f->cfg);
	snap_image_free(&f->img);
	free(f->buf);
	*f = (struct snapshot_file){ 0 };
}

static struct snap_reader snapshot_section(const struct snapshot_file *f, uint32_t tag, uint16_t instance)
{
	const struct snap_section *sec = snap_find(&f->img, tag, instance);

	/* snapshot_check_sections() made sure it is there. */
	return snap_reader_init(sec ? sec->data : NULL, sec ? sec->len : 0);
}

static int snapshot_check_host(struct vm *vm, const struct snapshot_file *f, char *err, size_t errlen)
{
	const struct snap_header *h = &f->img.header;
	int api = ioctl(vm->kvm.fd, KVM_GET_API_VERSION, 0);

	if (api < 0 || (uint32_t)api != h->kvm_api_version) {
		snprintf(err, errlen, "snapshot was taken with KVM API version %u, this host has %d",
			 h->kvm_api_version, api);
		return -EINVAL;
	}
	if (arch_cpuid_hash(vm) != h->cpuid_hash) {
		snprintf(err, errlen, "this host's CPU features differ from the snapshot's host "
			 "(restore on the same kind of host and --cpu-model)");
		return -EINVAL;
	}
	return 0;
}

/* The saved state, in an order where nothing applied later undoes what came before. */
static int snapshot_apply(struct vm *vm, const struct snapshot_file *f, char *err, size_t errlen)
{
	struct snap_reader r;
	int ret;

	r = snapshot_section(f, SNAP_TAG_VM, 0);
	ret = arch_vm_load(vm, &r, err, errlen);
	if (ret)
		return ret;
	for (uint32_t i = 0; i < vm->cfg.nr_cpus; i++) {
		r = snapshot_section(f, SNAP_TAG_VCPU, (uint16_t)i);
		ret = arch_vcpu_load(vm, &vm->vcpus[i], &r, err, errlen);
		if (ret)
			return ret;
	}
	r = snapshot_section(f, SNAP_TAG_SERIAL, 0);
	if (serial_load(vm->com1, &r))
		goto out_bad_device;
	r = snapshot_section(f, SNAP_TAG_I8042, 0);
	if (i8042_load(vm->i8042, &r))
		goto out_bad_device;
	r = snapshot_section(f, SNAP_TAG_CMOS, 0);
	if (cmos_load(vm->cmos, &r))
		goto out_bad_device;
	r = snapshot_section(f, SNAP_TAG_ACPI_PM, 0);
	if (acpi_pm_load(vm->acpi_pm, &r))
		goto out_bad_device;
	for (uint32_t i = 0; i < vm->nr_virtio; i++) {
		r = snapshot_section(f, SNAP_TAG_VIRTIO, (uint16_t)i);
		ret = virtio_pci_load(vm->virtio[i], &r);
		if (ret) {
			snprintf(err, errlen, "snapshot: virtio device %u: the saved state does not fit this device", i);
			return ret;
		}
	}
	return 0;

out_bad_device:
	snprintf(err, errlen, "snapshot: a platform device's saved state is malformed");
	return -EINVAL;
}

/* The virtio-pci function of NIC i. */
static struct virtio_dev *snapshot_nic(struct vm *vm, uint32_t i)
{
	uint32_t index = snapshot_nr_virtio_before_nics(&vm->cfg) + i;

	return index < vm->nr_virtio ? virtio_pci_vdev(vm->virtio[index]) : NULL;
}

/*
 * What makes a restored clone its own machine, applied last (vCPUs not
 * running yet): a new VM generation ID with the GED's notification, and
 * each overridden MAC announced to the driver with a config-change
 * interrupt. Both interrupts wait in the restored LAPIC/MSI-X state.
 */
static int snapshot_new_identity(struct vm *vm, const struct snapshot_file *f, const struct snap_overrides *o,
				 char *err, size_t errlen)
{
	char buf[16];
	int ret;

	ret = arch_vmgenid_renew(vm, true);
	if (ret) {
		snprintf(err, errlen, "snapshot: cannot write a new VM generation ID: %s", strerror(-ret));
		return ret;
	}
	for (uint32_t k = 0; o && k < o->nr_nets; k++) {
		if (!o->nets[k].has_mac)
			continue;
		for (uint32_t i = 0; i < f->cfg.vm.nr_nets; i++) {
			struct virtio_dev *nic = snapshot_nic(vm, i);

			if (strcmp(snap_config_net_id(&f->cfg, i, buf, sizeof(buf)), o->nets[k].iface_id) || !nic)
				continue;
			virtio_net_set_mac(nic, o->nets[k].mac);
			memcpy(vm->cfg.nets[i].mac, o->nets[k].mac, sizeof(vm->cfg.nets[i].mac));
		}
	}
	return 0;
}

int snapshot_restore(struct vm *vm, const struct vm_config *host, struct snapshot_file *f,
		     char *err, size_t errlen)
{
	struct vm_config cfg;
	int ret;

	/* A clone's own disks and TAP interfaces, all checked before anything is built. */
	if (host->restore_as_clone) {
		ret = snap_overrides_apply(&f->cfg, host->restore_overrides, err, errlen);
		if (ret)
			return ret;
	}
	cfg = f->cfg.vm;
	cfg.console = host->console;
	cfg.restore_mem_path = host->restore_mem_path;
	cfg.restore_state_path = host->restore_state_path;
	if (!cfg.restore_mem_path) {
		snprintf(err, errlen, "snapshot: no memory file given");
		return -EINVAL;
	}
	ret = vm_create(vm, &cfg, err, errlen);
	if (ret)
		return ret;
	if (vm->nr_virtio != snapshot_nr_virtio(&cfg)) {
		snprintf(err, errlen, "snapshot: the rebuilt machine has %u virtio devices, the snapshot %u",
			 vm->nr_virtio, snapshot_nr_virtio(&cfg));
		ret = -EINVAL;
		goto out_destroy;
	}
	ret = snapshot_check_host(vm, f, err, errlen);
	if (ret)
		goto out_destroy;
	ret = snapshot_apply(vm, f, err, errlen);
	if (ret)
		goto out_destroy;
	if (host->restore_as_clone) {
		ret = snapshot_new_identity(vm, f, host->restore_overrides, err, errlen);
		if (ret)
			goto out_destroy;
	}
	return 0;

out_destroy:
	vm_destroy(vm);
	return ret;
}
