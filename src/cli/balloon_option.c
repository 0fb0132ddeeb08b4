/* SPDX-License-Identifier: MIT */
#include "cli/balloon_option.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/size.h"

#define KEYS "size, deflate_on_oom, stats, free_page_reporting"
#define BALLOON_ITEM_MAX 64

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

static int balloon_option_switch(const char *key, const char *val, bool *out, char *err, size_t errlen)
{
	if (onoff_parse(val, out)) {
		snprintf(err, errlen, "--balloon %s='%s': expected 'on' or 'off'", key, val);
		return -EINVAL;
	}
	return 0;
}

/* One key=value of at most BALLOON_ITEM_MAX bytes; seen tracks keys given twice. */
static int balloon_option_key(const char *item, size_t len, struct virtio_balloon_config *cfg, unsigned int *seen,
			      char *err, size_t errlen)
{
	static const char *const keys[] = { "size", "deflate_on_oom", "stats", "free_page_reporting" };
	char buf[BALLOON_ITEM_MAX + 1], *val;
	uint64_t seconds;
	unsigned int k;

	if (len > BALLOON_ITEM_MAX) {
		snprintf(err, errlen, "--balloon: '%.*s...' is too long", 16, item);
		return -EINVAL;
	}
	memcpy(buf, item, len);
	buf[len] = '\0';
	val = strchr(buf, '=');
	if (!val) {
		snprintf(err, errlen, "--balloon '%s': expected key=value (keys: " KEYS ")", buf);
		return -EINVAL;
	}
	*val++ = '\0';
	for (k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
		if (!strcmp(buf, keys[k]))
			break;
	if (k == sizeof(keys) / sizeof(keys[0])) {
		snprintf(err, errlen, "--balloon: unknown key '%s' (keys: " KEYS ")", buf);
		return -EINVAL;
	}
	if (*seen & (1u << k)) {
		snprintf(err, errlen, "--balloon: %s given twice", buf);
		return -EINVAL;
	}
	*seen |= 1u << k;
	switch (k) {
	case 0:
		return balloon_option_size(val, &cfg->target_mib, err, errlen);
	case 1:
		return balloon_option_switch(buf, val, &cfg->deflate_on_oom, err, errlen);
	case 2:
		if (count_parse(val, VIRTIO_BALLOON_STATS_INTERVAL_MAX, &seconds)) {
			snprintf(err, errlen, "--balloon stats='%s': expected seconds from 0 (off) to %d", val,
				 VIRTIO_BALLOON_STATS_INTERVAL_MAX);
			return -EINVAL;
		}
		cfg->stats_interval_s = (uint32_t)seconds;
		return 0;
	default:
		return balloon_option_switch(buf, val, &cfg->free_page_reporting, err, errlen);
	}
}

int balloon_option_parse(const char *arg, struct virtio_balloon_config *cfg, char *err, size_t errlen)
{
	unsigned int seen = 0;
	const char *item, *end;
	int ret;

	*cfg = (struct virtio_balloon_config){ .enabled = true };
	if (!arg || !*arg)
		return 0;
	for (item = arg;; item = end + 1) {
		end = strchr(item, ',');
		if (!end)
			end = item + strlen(item);
		if (end == item) {
			snprintf(err, errlen, "--balloon: empty item (stray comma?)");
			return -EINVAL;
		}
		ret = balloon_option_key(item, (size_t)(end - item), cfg, &seen, err, errlen);
		if (ret)
			return ret;
		if (!*end)
			return 0;
	}
}
