/* SPDX-License-Identifier: MIT */
#include "cli/kv_option.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli/size.h"

/* Characters of a too long item shown in its message. */
#define KV_OPTION_SHOWN 16

/* "path, readonly, cache" into buf. */
static const char *kv_option_key_list(const struct kv_option *kv, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (unsigned int k = 0; k < kv->nr_keys && used < len; k++) {
		int n = snprintf(buf + used, len - used, "%s%s", k ? ", " : "", kv->keys[k]);

		if (n < 0)
			break;
		used += (size_t)n;
	}
	return buf;
}

int kv_option_key(struct kv_option *kv, const char *name, char *err, size_t errlen)
{
	char list[256];
	unsigned int k;

	for (k = 0; k < kv->nr_keys; k++)
		if (!strcmp(name, kv->keys[k]))
			break;
	if (k == kv->nr_keys) {
		snprintf(err, errlen, "%s: unknown key '%s' (keys: %s)", kv->opt, name,
			 kv_option_key_list(kv, list, sizeof(list)));
		return -EINVAL;
	}
	if (kv->seen & (1u << k)) {
		snprintf(err, errlen, "%s: %s given twice", kv->opt, name);
		return -EINVAL;
	}
	kv->seen |= 1u << k;
	return (int)k;
}

int kv_option_next(struct kv_option *kv, unsigned int *key, char **val, char *err, size_t errlen)
{
	char *item = kv->rest, *eq, list[256];
	int k;

	if (!item)
		return 0;
	kv->rest = strchr(item, ',');
	if (kv->rest)
		*kv->rest++ = '\0';
	if (!*item) {
		snprintf(err, errlen, "%s: empty item (stray comma?)", kv->opt);
		return -EINVAL;
	}
	if (kv->max_item && strlen(item) > kv->max_item) {
		snprintf(err, errlen, "%s: '%.*s...' is too long", kv->opt, KV_OPTION_SHOWN, item);
		return -EINVAL;
	}
	eq = strchr(item, '=');
	if (!eq) {
		snprintf(err, errlen, "%s '%s': expected key=value%s%s (keys: %s)", kv->opt, item,
			 kv->after ? " " : "", kv->after ? kv->after : "", kv_option_key_list(kv, list, sizeof(list)));
		return -EINVAL;
	}
	*eq = '\0';
	k = kv_option_key(kv, item, err, errlen);
	if (k < 0)
		return k;
	*key = (unsigned int)k;
	*val = eq + 1;
	return 1;
}

bool kv_option_given(const struct kv_option *kv, unsigned int key)
{
	return kv->seen & (1u << key);
}

int kv_option_onoff(const struct kv_option *kv, unsigned int key, const char *val, bool *on,
		    char *err, size_t errlen)
{
	if (onoff_parse(val, on)) {
		snprintf(err, errlen, "%s %s='%s': expected 'on' or 'off'", kv->opt, kv->keys[key], val);
		return -EINVAL;
	}
	return 0;
}
