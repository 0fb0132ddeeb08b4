// SPDX-License-Identifier: MIT
#include "cli/run_check.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "boot/firmware.h"
#include "snapshot/snapshot.h"

/* Opens path as vessel will (read-only or read-write) and checks it is a regular file or block device. */
static int run_check_file(const char *what, const char *path, int flags, char *err, size_t errlen)
{
	struct stat st;
	int fd = open(path, flags | O_CLOEXEC);
	int ret = 0;

	if (fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "%s %s: %s", what, path, strerror(errno));
		return ret;
	}
	if (fstat(fd, &st)) {
		ret = -errno;
		snprintf(err, errlen, "%s %s: %s", what, path, strerror(errno));
	} else if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) {
		ret = -EINVAL;
		snprintf(err, errlen, "%s %s: not a file", what, path);
	}
	close(fd);
	return ret;
}

/* The kernel, initrd and disks cfg names open as vessel will open them. */
static int run_check_files(const struct vm_config *cfg, char *err, size_t errlen)
{
	int ret;

	if (cfg->kernel_path) {
		ret = run_check_file("kernel", cfg->kernel_path, O_RDONLY, err, errlen);
		if (ret)
			return ret;
	}
	if (cfg->firmware_path) {
		ret = firmware_check(cfg->firmware_path, err, errlen);
		if (ret)
			return ret;
	}
	if (cfg->initrd_path) {
		ret = run_check_file("initrd", cfg->initrd_path, O_RDONLY, err, errlen);
		if (ret)
			return ret;
	}
	for (uint32_t i = 0; i < cfg->nr_disks; i++) {
		const struct virtio_blk_config *d = &cfg->disks[i];

		ret = run_check_file("disk", d->path, d->readonly ? O_RDONLY : O_RDWR, err, errlen);
		if (ret)
			return ret;
	}
	return 0;
}

/*
 * --restore: the state file is read and checked completely (as the restore
 * will), the memory file must have the guest's RAM size and the snapshot's
 * disks must open. *snap gets the snapshot's machine; free it after.
 */
static int run_check_snapshot(const struct vm_config *cfg, struct snapshot_file *snap, char *err, size_t errlen)
{
	struct stat st;
	int ret;

	ret = snapshot_file_read(snap, cfg->restore_state_path, err, errlen);
	if (ret)
		return ret;
	if (stat(cfg->restore_mem_path, &st)) {
		ret = -errno;
		snprintf(err, errlen, "memory file %s: %s", cfg->restore_mem_path, strerror(errno));
		goto out_free;
	}
	if ((uint64_t)st.st_size != snap->cfg.vm.mem_size) {
		snprintf(err, errlen, "memory file %s: %llu bytes, but the snapshot's guest has %llu bytes of RAM",
			 cfg->restore_mem_path, (unsigned long long)st.st_size,
			 (unsigned long long)snap->cfg.vm.mem_size);
		ret = -EINVAL;
		goto out_free;
	}
	ret = run_check_files(&snap->cfg.vm, err, errlen);
	if (ret)
		goto out_free;
	return 0;

out_free:
	snapshot_file_free(snap);
	return ret;
}

/* s as a JSON string (a path from the command line may hold anything). */
static void run_check_print_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static void run_check_print_machine(FILE *f, const struct vm_config *cfg)
{
	fprintf(f, "{\"vcpus\": %" PRIu32 ", \"mem_size_mib\": %" PRIu64 ", \"disks\": %" PRIu32
		", \"nets\": %" PRIu32, cfg->nr_cpus, cfg->mem_size >> 20, cfg->nr_disks, cfg->nr_nets);
	if (cfg->firmware_path) {
		fprintf(f, ", \"firmware\": ");
		run_check_print_string(f, cfg->firmware_path);
	}
	fprintf(f, "}\n");
}

int run_check(FILE *out, const struct vm_config *cfg, char *err, size_t errlen)
{
	struct snapshot_file snap;
	int ret;

	if (!cfg->restore_state_path) {
		ret = run_check_files(cfg, err, errlen);
		if (!ret)
			run_check_print_machine(out, cfg);
		return ret;
	}
	/* A restore's machine is the snapshot's. */
	ret = run_check_snapshot(cfg, &snap, err, errlen);
	if (ret)
		return ret;
	run_check_print_machine(out, &snap.cfg.vm);
	snapshot_file_free(&snap);
	return 0;
}
