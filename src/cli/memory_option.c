/* SPDX-License-Identifier: MIT */
#include "cli/memory_option.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/size.h"

#define KEYS "hugepages, hugepage_size, prefault, mergeable"

static int memory_option_size(const char *val, uint64_t host_limit, uint64_t *size, char *err, size_t errlen)
{
	int ret = size_parse(val, size);

	if (ret == -ERANGE) {
		snprintf(err, errlen, "--memory '%s': too large", val);
		return -EINVAL;
	}
	if (ret) {
		snprintf(err, errlen, "--memory '%s': not a size (examples: 512M, 4G, 1024)", val);
		return -EINVAL;
	}
	if (*size < MEMORY_OPTION_MIN) {
		snprintf(err, errlen, "--memory '%s': at least %llu MiB is needed", val, MEMORY_OPTION_MIN >> 20);
		return -EINVAL;
	}
	if (*size > host_limit) {
		snprintf(err, errlen, "--memory '%s': more than this host has (%llu MiB of RAM and swap)", val,
			 (unsigned long long)(host_limit >> 20));
		return -EINVAL;
	}
	*size = (*size + 4095) & ~4095ULL;
	return 0;
}

static int memory_option_switch(const char *key, const char *val, bool *out, char *err, size_t errlen)
{
	if (onoff_parse(val, out)) {
		snprintf(err, errlen, "--memory %s='%s': expected 'on' or 'off'", key, val);
		return -EINVAL;
	}
	return 0;
}

static int memory_option_page_size(const char *val, uint64_t *out, char *err, size_t errlen)
{
	uint64_t v;

	if (size_parse(val, &v) || (v != MEM_HUGEPAGE_2M && v != MEM_HUGEPAGE_1G)) {
		snprintf(err, errlen, "--memory hugepage_size='%s': expected 2M or 1G", val);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

/* One key=value of the options after the size. */
static int memory_option_key(char *item, bool *huge, uint64_t *page_size, struct mem_backing *mb,
			     unsigned int *seen, char *err, size_t errlen)
{
	static const char *const keys[] = { "hugepages", "hugepage_size", "prefault", "mergeable" };
	char *val = strchr(item, '=');
	unsigned int k;

	if (!val) {
		snprintf(err, errlen, "--memory '%s': expected key=value after the size (keys: " KEYS ")", item);
		return -EINVAL;
	}
	*val++ = '\0';
	for (k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
		if (!strcmp(item, keys[k]))
			break;
	if (k == sizeof(keys) / sizeof(keys[0])) {
		snprintf(err, errlen, "--memory: unknown key '%s' (keys: " KEYS ")", item);
		return -EINVAL;
	}
	if (*seen & (1u << k)) {
		snprintf(err, errlen, "--memory: %s given twice", item);
		return -EINVAL;
	}
	*seen |= 1u << k;
	switch (k) {
	case 0:
		return memory_option_switch(item, val, huge, err, errlen);
	case 1:
		return memory_option_page_size(val, page_size, err, errlen);
	case 2:
		return memory_option_switch(item, val, &mb->prefault, err, errlen);
	default:
		return memory_option_switch(item, val, &mb->mergeable, err, errlen);
	}
}

int memory_option_parse(const char *arg, uint64_t host_limit, uint64_t *size, struct mem_backing *mb,
			char *err, size_t errlen)
{
	char *copy = strdup(arg), *item, *next;
	uint64_t page_size = 0;
	unsigned int seen = 0;
	bool huge = false;
	int ret;

	if (!copy) {
		snprintf(err, errlen, "--memory: out of memory");
		return -ENOMEM;
	}
	*mb = (struct mem_backing){ 0 };
	next = strchr(copy, ',');
	if (next)
		*next++ = '\0';
	ret = memory_option_size(copy, host_limit, size, err, errlen);
	for (item = next; !ret && item; item = next) {
		next = strchr(item, ',');
		if (next)
			*next++ = '\0';
		if (!*item) {
			snprintf(err, errlen, "--memory: empty item (stray comma?)");
			ret = -EINVAL;
			break;
		}
		ret = memory_option_key(item, &huge, &page_size, mb, &seen, err, errlen);
	}
	if (ret)
		goto out;
	if (page_size && !huge) {
		snprintf(err, errlen, "--memory: hugepage_size needs hugepages=on");
		ret = -EINVAL;
		goto out;
	}
	if (huge && mb->mergeable) {
		snprintf(err, errlen, "--memory: mergeable=on cannot go with hugepages=on (KSM merges small pages only)");
		ret = -EINVAL;
		goto out;
	}
	if (huge) {
		mb->hugepage_size = page_size ? page_size : MEM_HUGEPAGE_2M;
		if (*size % mb->hugepage_size) {
			char name[16];

			snprintf(err, errlen, "--memory '%s': with hugepages=on the size must be a multiple of %s", arg,
				 mem_backing_page_name(mb->hugepage_size, name, sizeof(name)));
			ret = -EINVAL;
		}
	}
out:
	free(copy);
	return ret;
}
