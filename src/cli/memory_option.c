/* SPDX-License-Identifier: MIT */
#include "cli/memory_option.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/kv_option.h"
#include "cli/size.h"

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

enum { MEMORY_KEY_HUGEPAGES, MEMORY_KEY_HUGEPAGE_SIZE, MEMORY_KEY_PREFAULT, MEMORY_KEY_MERGEABLE };

static const char *const memory_option_keys[] = {
	[MEMORY_KEY_HUGEPAGES] = "hugepages", [MEMORY_KEY_HUGEPAGE_SIZE] = "hugepage_size",
	[MEMORY_KEY_PREFAULT] = "prefault", [MEMORY_KEY_MERGEABLE] = "mergeable",
};

/* One key=value of the options after the size. */
static int memory_option_value(const struct kv_option *kv, unsigned int key, const char *val, bool *huge,
			       uint64_t *page_size, struct mem_backing *mb, char *err, size_t errlen)
{
	switch (key) {
	case MEMORY_KEY_HUGEPAGES:
		return kv_option_onoff(kv, key, val, huge, err, errlen);
	case MEMORY_KEY_HUGEPAGE_SIZE:
		return memory_option_page_size(val, page_size, err, errlen);
	case MEMORY_KEY_PREFAULT:
		return kv_option_onoff(kv, key, val, &mb->prefault, err, errlen);
	default:        /* MEMORY_KEY_MERGEABLE */
		return kv_option_onoff(kv, key, val, &mb->mergeable, err, errlen);
	}
}

int memory_option_parse(const char *arg, uint64_t host_limit, uint64_t *size, struct mem_backing *mb,
			char *err, size_t errlen)
{
	char *copy = strdup(arg), *items, *val;
	struct kv_option kv;
	uint64_t page_size = 0;
	unsigned int key;
	bool huge = false;
	int ret;

	if (!copy) {
		snprintf(err, errlen, "--memory: out of memory");
		return -ENOMEM;
	}
	*mb = (struct mem_backing){ 0 };
	items = strchr(copy, ',');
	if (items)
		*items++ = '\0';
	ret = memory_option_size(copy, host_limit, size, err, errlen);
	kv = KV_OPTION("--memory", memory_option_keys, items);
	kv.after = "after the size";
	while (!ret && (ret = kv_option_next(&kv, &key, &val, err, errlen)) > 0)
		ret = memory_option_value(&kv, key, val, &huge, &page_size, mb, err, errlen);
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
