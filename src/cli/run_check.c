// SPDX-License-Identifier: MIT
#include "cli/run_check.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

int run_check_config(const struct vm_config *cfg, char *err, size_t errlen)
{
	int ret;

	if (cfg->kernel_path) {
		ret = run_check_file("kernel", cfg->kernel_path, O_RDONLY, err, errlen);
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

void run_check_print(FILE *f, const struct vm_config *cfg)
{
	fprintf(f, "{\"vcpus\": %" PRIu32 ", \"mem_size_mib\": %" PRIu64 ", \"disks\": %" PRIu32
		", \"nets\": %" PRIu32 "}\n", cfg->nr_cpus, cfg->mem_size >> 20, cfg->nr_disks, cfg->nr_nets);
}
