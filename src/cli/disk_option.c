/* SPDX-License-Identifier: MIT */
#include "cli/disk_option.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/size.h"

static int disk_option_bool(const char *key, const char *val, bool *out, char *err, size_t errlen)
{
	if (onoff_parse(val, out)) {
		snprintf(err, errlen, "--disk %s='%s': expected 'on' or 'off'", key, val);
		return -EINVAL;
	}
	return 0;
}

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

/* One key=value; seen tracks keys given twice. */
static int disk_option_key(char *item, struct virtio_blk_config *cfg, unsigned int *seen,
			   char *err, size_t errlen)
{
	static const char *const keys[] = { "path", "readonly", "cache", "serial", "aio", "queues" };
	char *val = strchr(item, '=');
	unsigned int k;

	if (!val) {
		snprintf(err, errlen, "--disk '%s': expected key=value (keys: path, readonly, cache, serial, aio, queues)",
			 item);
		return -EINVAL;
	}
	*val++ = '\0';
	for (k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
		if (!strcmp(item, keys[k]))
			break;
	if (k == sizeof(keys) / sizeof(keys[0])) {
		snprintf(err, errlen, "--disk: unknown key '%s' (keys: path, readonly, cache, serial, aio, queues)", item);
		return -EINVAL;
	}
	if (*seen & (1u << k)) {
		snprintf(err, errlen, "--disk: %s given twice", item);
		return -EINVAL;
	}
	*seen |= 1u << k;

	switch (k) {
	case 0:
		if (!*val) {
			snprintf(err, errlen, "--disk: path is empty");
			return -EINVAL;
		}
		cfg->path = val;
		return 0;
	case 1:
		return disk_option_bool(item, val, &cfg->readonly, err, errlen);
	case 2:
		if (!strcmp(val, "none")) {
			cfg->direct = true;
		} else if (!strcmp(val, "writeback")) {
			cfg->direct = false;
		} else {
			snprintf(err, errlen, "--disk cache='%s': expected 'none' or 'writeback'", val);
			return -EINVAL;
		}
		return 0;
	case 3:
		return disk_option_serial(val, &cfg->serial, err, errlen);
	case 5:
		return disk_option_queues(val, &cfg->queues, err, errlen);
	default:
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
	unsigned int seen = 0;
	char *item, *next;
	int ret;

	*cfg = (struct virtio_blk_config){ .aio = BLOCK_AIO_AUTO, .queues = 1 };
	for (item = arg; item; item = next) {
		next = strchr(item, ',');
		if (next)
			*next++ = '\0';
		if (!*item) {
			snprintf(err, errlen, "--disk: empty item (stray comma?)");
			return -EINVAL;
		}
		ret = disk_option_key(item, cfg, &seen, err, errlen);
		if (ret)
			return ret;
	}
	if (!cfg->path) {
		snprintf(err, errlen, "--disk: path=FILE is required");
		return -EINVAL;
	}
	return 0;
}
