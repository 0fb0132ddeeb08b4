/* SPDX-License-Identifier: MIT */
/* Taking a snapshot: quiesce, the state stream, the memory file. */
#include "snapshot/snapshot.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "arch/x86/kvm_state.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/vcpu.h"
#include "devices/legacy/legacy.h"
#include "devices/legacy/serial.h"
#include "pci/virtio_pci.h"

#define SNAP_PAGE 4096u

int snapshot_quiesce(struct vm *vm, char *err, size_t errlen)
{
	for (uint32_t i = 0; i < vm->nr_virtio; i++) {
		int ret = virtio_pci_quiesce(vm->virtio[i]);

		if (ret) {
			snprintf(err, errlen, "virtio device %u: cannot finish its I/O in flight: %s", i, strerror(-ret));
			return ret;
		}
	}
	return 0;
}

static void snapshot_fill_facts(struct vm *vm, struct snap_header *h)
{
	struct timespec ts;
	int api = ioctl(vm->kvm.fd, KVM_GET_API_VERSION, 0);

	clock_gettime(CLOCK_REALTIME, &ts);
	*h = (struct snap_header){
		.kvm_api_version = api > 0 ? (uint32_t)api : 0,
		.cpu_model = (uint32_t)vm->cfg.cpu_model,
		.cpuid_hash = arch_cpuid_hash(vm),
		.created_realtime_ns = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec,
	};
}

/* Each disk's size as its image has it now: a clone's own copy must match it. */
static int snapshot_disk_sizes(const struct vm *vm, uint64_t *sizes, char *err, size_t errlen)
{
	for (uint32_t i = 0; i < vm->cfg.nr_disks; i++) {
		const char *path = vm->cfg.disks[i].path;
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		off_t end = fd < 0 ? -1 : lseek(fd, 0, SEEK_END);
		int ret = end < 0 ? -errno : 0;

		if (fd >= 0)
			close(fd);
		if (ret) {
			snprintf(err, errlen, "disk %s: cannot tell its size: %s", path, strerror(-ret));
			return ret;
		}
		sizes[i] = (uint64_t)end;
	}
	return 0;
}

int snapshot_save_state(struct vm *vm, struct snap_writer *w, char *err, size_t errlen)
{
	uint64_t disk_sizes[VM_MAX_DISKS] = { 0 };
	struct snap_header facts;
	size_t sec;
	int ret;

	ret = snapshot_disk_sizes(vm, disk_sizes, err, errlen);
	if (ret)
		return ret;
	snapshot_fill_facts(vm, &facts);
	snap_begin(w, &facts);

	sec = snap_section_begin(w, SNAP_TAG_CONFIG, 0);
	snap_config_save(&vm->cfg, disk_sizes, w);
	snap_section_end(w, sec);

	if (vm->cfg.balloon.enabled) {
		sec = snap_section_begin(w, SNAP_TAG_BALLOON, 0);
		snap_config_save_balloon(&vm->cfg.balloon, w);
		snap_section_end(w, sec);
	}
	if (vm->cfg.vsock.enabled) {
		sec = snap_section_begin(w, SNAP_TAG_VSOCK, 0);
		snap_config_save_vsock(&vm->cfg.vsock, w);
		snap_section_end(w, sec);
	}

	sec = snap_section_begin(w, SNAP_TAG_VM, 0);
	ret = arch_vm_save(vm, w, err, errlen);
	if (ret)
		return ret;
	snap_section_end(w, sec);

	for (uint32_t i = 0; i < vm->cfg.nr_cpus; i++) {
		sec = snap_section_begin(w, SNAP_TAG_VCPU, (uint16_t)i);
		ret = arch_vcpu_save(vm, &vm->vcpus[i], w, err, errlen);
		if (ret)
			return ret;
		snap_section_end(w, sec);
	}

	sec = snap_section_begin(w, SNAP_TAG_SERIAL, 0);
	serial_save(vm->com1, w);
	snap_section_end(w, sec);
	sec = snap_section_begin(w, SNAP_TAG_I8042, 0);
	i8042_save(vm->i8042, w);
	snap_section_end(w, sec);
	sec = snap_section_begin(w, SNAP_TAG_CMOS, 0);
	cmos_save(vm->cmos, w);
	snap_section_end(w, sec);
	sec = snap_section_begin(w, SNAP_TAG_ACPI_PM, 0);
	acpi_pm_save(vm->acpi_pm, w);
	snap_section_end(w, sec);

	for (uint32_t i = 0; i < vm->nr_virtio; i++) {
		sec = snap_section_begin(w, SNAP_TAG_VIRTIO, (uint16_t)i);
		virtio_pci_save(vm->virtio[i], w);
		snap_section_end(w, sec);
	}
	ret = snap_finish(w);
	if (ret)
		snprintf(err, errlen, "snapshot state: %s", strerror(-ret));
	return ret;
}

static bool snapshot_page_is_zero(const uint8_t *p)
{
	const uint64_t *q = (const uint64_t *)p;

	for (unsigned int i = 0; i < SNAP_PAGE / sizeof(*q); i++)
		if (q[i])
			return false;
	return true;
}

static int snapshot_write_all(int fd, const uint8_t *buf, size_t len, off_t off)
{
	while (len) {
		ssize_t n = pwrite(fd, buf, len, off);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		buf += n;
		len -= (size_t)n;
		off += n;
	}
	return 0;
}

/*
 * Guest RAM, sparse: a run of non-zero pages is one pwrite; zero pages stay
 * holes. With anonymous RAM, pages never touched (not resident) are zero
 * and are skipped without reading them.
 */
static int snapshot_write_ram(struct vm *vm, int fd, uint64_t *written)
{
	const uint64_t chunk = 2ULL << 20;
	unsigned char vec[(2u << 20) / SNAP_PAGE];    /* 512 bytes: one per page of a chunk */
	const uint8_t *ram = vm->ram;
	bool anon = !vm->cfg.restore_mem_path;
	uint64_t run_start = 0, run_len = 0;
	int ret;

	*written = 0;
	for (uint64_t off = 0; off < vm->ram_map_size; off += chunk) {
		uint64_t len = vm->ram_map_size - off < chunk ? vm->ram_map_size - off : chunk;
		bool resident_known = anon && !mincore((void *)(ram + off), len, vec);

		for (uint64_t p = 0; p < len; p += SNAP_PAGE) {
			bool data = (!resident_known || (vec[p / SNAP_PAGE] & 1)) &&
				    !snapshot_page_is_zero(ram + off + p);

			if (data) {
				if (!run_len)
					run_start = off + p;
				run_len += SNAP_PAGE;
				continue;
			}
			if (run_len) {
				ret = snapshot_write_all(fd, ram + run_start, run_len, (off_t)run_start);
				if (ret)
					return ret;
				*written += run_len;
				run_len = 0;
			}
		}
	}
	if (run_len) {
		ret = snapshot_write_all(fd, ram + run_start, run_len, (off_t)run_start);
		if (ret)
			return ret;
		*written += run_len;
	}
	return 0;
}

int snapshot_save_memory(struct vm *vm, int fd, char *err, size_t errlen)
{
	uint64_t written;
	int ret;

	if (ftruncate(fd, 0) || ftruncate(fd, (off_t)vm->ram_map_size)) {
		ret = -errno;
		snprintf(err, errlen, "memory file: %s", strerror(errno));
		return ret;
	}
	ret = snapshot_write_ram(vm, fd, &written);
	if (ret)
		snprintf(err, errlen, "memory file: %s", strerror(-ret));
	return ret;
}

/* Creates path's temporary sibling; the caller renames it into place. */
static int snapshot_open_tmp(const char *path, char *tmp, size_t tmplen, char *err, size_t errlen)
{
	int fd;

	if ((size_t)snprintf(tmp, tmplen, "%s.tmp%d", path, (int)getpid()) >= tmplen) {
		snprintf(err, errlen, "%s: path too long", path);
		return -ENAMETOOLONG;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		fd = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
	}
	return fd;
}

static int snapshot_commit_tmp(const char *tmp, const char *path, char *err, size_t errlen)
{
	int ret;

	if (rename(tmp, path)) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		unlink(tmp);
		return ret;
	}
	return 0;
}

int snapshot_create(struct vm *vm, const char *state_path, const char *mem_path,
		    struct snapshot_stats *stats, char *err, size_t errlen)
{
	uint64_t start = clock_monotonic_ns(), mem_written = 0;
	char state_tmp[4200], mem_tmp[4200];
	struct snap_writer w = { 0 };
	int fd, ret;

	/* Its fw_cfg device and the firmware mapping are not saved (docs/firmware.md). */
	if (vm->cfg.firmware_path) {
		snprintf(err, errlen, "snapshots of a VM booted from firmware (--firmware) are not supported");
		return -ENOTSUP;
	}
	if (!vm_is_paused(vm)) {
		snprintf(err, errlen, "the VM must be paused to take a snapshot");
		return -EBUSY;
	}
	ret = snapshot_quiesce(vm, err, errlen);
	if (ret)
		return ret;
	ret = snapshot_save_state(vm, &w, err, errlen);
	if (ret)
		goto out_free;

	/* Memory first: a state file in place always has its memory file beside it. */
	fd = snapshot_open_tmp(mem_path, mem_tmp, sizeof(mem_tmp), err, errlen);
	if (fd < 0) {
		ret = fd;
		goto out_free;
	}
	ret = ftruncate(fd, (off_t)vm->ram_map_size) ? -errno : 0;
	if (!ret)
		ret = snapshot_write_ram(vm, fd, &mem_written);
	if (close(fd) && !ret)
		ret = -errno;
	if (ret) {
		snprintf(err, errlen, "%s: %s", mem_path, strerror(-ret));
		unlink(mem_tmp);
		goto out_free;
	}
	ret = snapshot_commit_tmp(mem_tmp, mem_path, err, errlen);
	if (ret)
		goto out_free;

	fd = snapshot_open_tmp(state_path, state_tmp, sizeof(state_tmp), err, errlen);
	if (fd < 0) {
		ret = fd;
		goto out_free;
	}
	ret = snapshot_write_all(fd, w.buf, w.len, 0);
	if (close(fd) && !ret)
		ret = -errno;
	if (ret) {
		snprintf(err, errlen, "%s: %s", state_path, strerror(-ret));
		unlink(state_tmp);
		goto out_free;
	}
	ret = snapshot_commit_tmp(state_tmp, state_path, err, errlen);
	if (ret)
		goto out_free;
	if (stats)
		*stats = (struct snapshot_stats){
			.total_us = (clock_monotonic_ns() - start) / 1000,
			.state_bytes = w.len,
			.mem_bytes_written = mem_written,
		};
	log_info("snapshot: %zu bytes of state, %llu MiB of non-zero memory in %llu ms", w.len,
		 (unsigned long long)(mem_written >> 20),
		 (unsigned long long)((clock_monotonic_ns() - start) / 1000000));
out_free:
	snap_writer_free(&w);
	return ret;
}
