/* SPDX-License-Identifier: MIT */
#include "cli/balloon_option.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/kv_option.h"
#include "cli/size.h"

#define BALLOON_ITEM_MAX 64        /* characters of one key=value item, at most */

static int balloon_option_size(const char *val, uint32_t *mib, char *err, size_t errlen)
{
	uint64_t bytes;

	if (size_parse(val, &bytes) || bytes % (1ULL << 20) || (bytes >> 20) > UINT32_MAX / 256) {
		snprintf(err, errlen, "--balloon size='%s': expected a whole number of MiB (examples: 64, 512M, 1G)",
			 val);
		return -EINVAL;
	}
	*mib = (uint32_t)(bytes >> 20);
	return 0;
}

enum { BALLOON_KEY_SIZE, BALLOON_KEY_DEFLATE_ON_OOM, BALLOON_KEY_STATS, BALLOON_KEY_FREE_PAGE_REPORTING };

static const char *const balloon_option_keys[] = {
	[BALLOON_KEY_SIZE] = "size", [BALLOON_KEY_DEFLATE_ON_OOM] = "deflate_on_oom",
	[BALLOON_KEY_STATS] = "stats", [BALLOON_KEY_FREE_PAGE_REPORTING] = "free_page_reporting",
};

static int balloon_option_value(const struct kv_option *kv, unsigned int key, const char *val,
				struct virtio_balloon_config *cfg, char *err, size_t errlen)
{
	uint64_t seconds;

	switch (key) {
	case BALLOON_KEY_SIZE:
		return balloon_option_size(val, &cfg->target_mib, err, errlen);
	case BALLOON_KEY_DEFLATE_ON_OOM:
		return kv_option_onoff(kv, key, val, &cfg->deflate_on_oom, err, errlen);
	case BALLOON_KEY_STATS:
		if (count_parse(val, VIRTIO_BALLOON_STATS_INTERVAL_MAX, &seconds)) {
			snprintf(err, errlen, "--balloon stats='%s': expected seconds from 0 (off) to %d", val,
				 VIRTIO_BALLOON_STATS_INTERVAL_MAX);
			return -EINVAL;
		}
		cfg->stats_interval_s = (uint32_t)seconds;
		return 0;
	default:        /* BALLOON_KEY_FREE_PAGE_REPORTING */
		return kv_option_onoff(kv, key, val, &cfg->free_page_reporting, err, errlen);
	}
}

int balloon_option_parse(const char *arg, struct virtio_balloon_config *cfg, char *err, size_t errlen)
{
	struct kv_option kv;
	unsigned int key;
	char *copy, *val;
	int ret;

	*cfg = (struct virtio_balloon_config){ .enabled = true };
	if (!arg || !*arg)
		return 0;
	copy = strdup(arg);
	if (!copy) {
		snprintf(err, errlen, "--balloon: out of memory");
		return -ENOMEM;
	}
	kv = KV_OPTION("--balloon", balloon_option_keys, copy);
	kv.max_item = BALLOON_ITEM_MAX;
	while ((ret = kv_option_next(&kv, &key, &val, err, errlen)) > 0) {
		ret = balloon_option_value(&kv, key, val, cfg, err, errlen);
		if (ret)
			break;
	}
	free(copy);
	return ret;
}
