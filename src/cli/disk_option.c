/* SPDX-License-Identifier: MIT */
#include "cli/disk_option.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/kv_option.h"

static int disk_option_serial(const char *val, const char **out, char *err, size_t errlen)
{
	size_t len = strlen(val);

	if (len == 0 || len > VIRTIO_BLK_ID_BYTES) {
		snprintf(err, errlen, "--disk serial='%s': 1 to %d characters", val, VIRTIO_BLK_ID_BYTES);
		return -EINVAL;
	}
	for (size_t i = 0; i < len; i++) {
		if (val[i] <= ' ' || val[i] > '~') {
			snprintf(err, errlen, "--disk serial='%s': printable characters only, no spaces", val);
			return -EINVAL;
		}
	}
	*out = val;
	return 0;
}

static int disk_option_queues(const char *val, uint16_t *out, char *err, size_t errlen)
{
	char *end;
	unsigned long n;

	errno = 0;
	n = strtoul(val, &end, 10);
	if (!*val || *end || errno || *val < '0' || *val > '9' || n < 1 || n > VIRTIO_BLK_MAX_QUEUES) {
		snprintf(err, errlen, "--disk queues='%s': expected a number from 1 to %d", val,
			 VIRTIO_BLK_MAX_QUEUES);
		return -EINVAL;
	}
	*out = (uint16_t)n;
	return 0;
}

enum { DISK_KEY_PATH, DISK_KEY_READONLY, DISK_KEY_CACHE, DISK_KEY_SERIAL, DISK_KEY_AIO, DISK_KEY_QUEUES };

static const char *const disk_option_keys[] = {
	[DISK_KEY_PATH] = "path", [DISK_KEY_READONLY] = "readonly", [DISK_KEY_CACHE] = "cache",
	[DISK_KEY_SERIAL] = "serial", [DISK_KEY_AIO] = "aio", [DISK_KEY_QUEUES] = "queues",
};

static int disk_option_value(const struct kv_option *kv, unsigned int key, char *val, struct virtio_blk_config *cfg,
			     char *err, size_t errlen)
{
	switch (key) {
	case DISK_KEY_PATH:
		if (!*val) {
			snprintf(err, errlen, "--disk: path is empty");
			return -EINVAL;
		}
		cfg->path = val;
		return 0;
	case DISK_KEY_READONLY:
		return kv_option_onoff(kv, key, val, &cfg->readonly, err, errlen);
	case DISK_KEY_CACHE:
		if (!strcmp(val, "none")) {
			cfg->direct = true;
		} else if (!strcmp(val, "writeback")) {
			cfg->direct = false;
		} else {
			snprintf(err, errlen, "--disk cache='%s': expected 'none' or 'writeback'", val);
			return -EINVAL;
		}
		return 0;
	case DISK_KEY_SERIAL:
		return disk_option_serial(val, &cfg->serial, err, errlen);
	case DISK_KEY_QUEUES:
		return disk_option_queues(val, &cfg->queues, err, errlen);
	default:        /* DISK_KEY_AIO */
		if (!strcmp(val, "auto")) {
			cfg->aio = BLOCK_AIO_AUTO;
		} else if (!strcmp(val, "io_uring")) {
			cfg->aio = BLOCK_AIO_IO_URING;
		} else if (!strcmp(val, "threads")) {
			cfg->aio = BLOCK_AIO_THREADS;
		} else {
			snprintf(err, errlen, "--disk aio='%s': expected 'auto', 'io_uring' or 'threads'", val);
			return -EINVAL;
		}
		return 0;
	}
}

int disk_option_parse(char *arg, struct virtio_blk_config *cfg, char *err, size_t errlen)
{
	struct kv_option kv = KV_OPTION("--disk", disk_option_keys, arg);
	unsigned int key;
	char *val;
	int ret;

	*cfg = (struct virtio_blk_config){ .aio = BLOCK_AIO_AUTO, .queues = 1 };
	while ((ret = kv_option_next(&kv, &key, &val, err, errlen)) > 0) {
		ret = disk_option_value(&kv, key, val, cfg, err, errlen);
		if (ret)
			return ret;
	}
	if (ret)
		return ret;
	if (!cfg->path) {
		snprintf(err, errlen, "--disk: path=FILE is required");
		return -EINVAL;
	}
	return 0;
}
