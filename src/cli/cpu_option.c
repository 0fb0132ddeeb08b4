/* SPDX-License-Identifier: MIT */
#include "cli/cpu_option.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/kv_option.h"
#include "cli/size.h"

#define KEYS "affinity, pin"
#define LIST_MAX 64         /* characters of a CPU list shown in a message */

int cpu_host_read(struct cpu_host *host)
{
	int ret;

	if (sched_getaffinity(0, sizeof(host->usable), &host->usable))
		return -errno;
	ret = cpu_list_online(&host->online);
	if (ret)
		host->online = host->usable;    /* no sysfs: what we may use is all we know */
	return 0;
}

/* Every CPU of set must be one this process may use. */
static int cpu_option_check(const char *opt, const char *arg, const cpu_set_t *set, const struct cpu_host *host,
			    char *err, size_t errlen)
{
	char have[LIST_MAX], usable[LIST_MAX];
	cpu_set_t missing, offline;

	CPU_ZERO(&missing);
	for (int cpu = 0; cpu < CPU_SETSIZE; cpu++)
		if (CPU_ISSET(cpu, set) && !CPU_ISSET(cpu, &host->usable))
			CPU_SET(cpu, &missing);
	if (!CPU_COUNT(&missing))
		return 0;
	CPU_AND(&offline, &missing, &host->online);
	cpu_list_format(&host->online, have, sizeof(have));
	if (!CPU_EQUAL(&offline, &missing)) {
		snprintf(err, errlen, "%s%s: this host has CPUs %s", opt, arg, have);
		return -EINVAL;
	}
	/* Online, but vessel itself was confined (taskset, a cpuset cgroup). */
	snprintf(err, errlen, "%s%s: vessel may only use CPUs %s (its own affinity; this host has %s)", opt, arg,
		 cpu_list_format(&host->usable, usable, sizeof(usable)), have);
	return -EINVAL;
}

int cpu_option_parse_list(const char *opt, const char *arg, const struct cpu_host *host, cpu_set_t *set,
			  char *err, size_t errlen)
{
	char why[192];

	if (cpu_list_parse(arg, set, why, sizeof(why))) {
		snprintf(err, errlen, "%s%s: %s", opt, arg, why);
		return -EINVAL;
	}
	return cpu_option_check(opt, arg, set, host, err, errlen);
}

static int cpu_option_count(const char *val, uint32_t max_vcpus, uint32_t *nr_cpus, char *err, size_t errlen)
{
	uint64_t v;
	int ret = count_parse(val, max_vcpus, &v);

	if (ret == -ERANGE)
		snprintf(err, errlen, "--cpus '%s': at most %u vCPUs are supported", val, max_vcpus);
	else if (ret)
		snprintf(err, errlen, "--cpus '%s': not a number (or expected key=value; keys: " KEYS ")", val);
	else if (!v)
		snprintf(err, errlen, "--cpus: a VM needs at least one vCPU");
	else
		*nr_cpus = (uint32_t)v;
	return ret || !v ? -EINVAL : 0;
}

/*
 * Splits arg at commas into copy; the affinity list's own commas stay in it:
 * an item without '=' that starts with a digit continues the list before it.
 */
static int cpu_option_items(char *copy, char **items, int max, char *err, size_t errlen)
{
	int n = 0;
	char *p = copy;
	bool in_list = false;

	while (p) {
		char *next = strchr(p, ',');

		if (next)
			*next++ = '\0';
		if (in_list && !strchr(p, '=') && isdigit((unsigned char)*p)) {
			p[-1] = ',';        /* glue it back onto the list */
		} else {
			if (n == max) {
				snprintf(err, errlen, "--cpus: too many items");
				return -EINVAL;
			}
			items[n++] = p;
			in_list = !strncmp(p, "affinity=", 9);
		}
		p = next;
	}
	return n;
}

enum { CPU_KEY_AFFINITY, CPU_KEY_PIN };

/* One key=value item (val already split off). */
static int cpu_option_key(struct kv_option *kv, const char *name, const char *val, const struct cpu_host *host,
			  struct vcpu_placement *pl, char *err, size_t errlen)
{
	int key = kv_option_key(kv, name, err, errlen);

	if (key < 0)
		return key;
	if (key == CPU_KEY_AFFINITY)
		return cpu_option_parse_list("--cpus affinity=", val, host, &pl->cpus, err, errlen);
	return kv_option_onoff(kv, CPU_KEY_PIN, val, &pl->pin, err, errlen);
}

int cpu_option_parse(const char *arg, uint32_t max_vcpus, const struct cpu_host *host, uint32_t *nr_cpus,
		     bool *count_given, struct vcpu_placement *pl, char *err, size_t errlen)
{
	static const char *const keys[] = { [CPU_KEY_AFFINITY] = "affinity", [CPU_KEY_PIN] = "pin" };
	struct kv_option kv = KV_OPTION("--cpus", keys, NULL);
	char *copy = strdup(arg), *items[8];
	int n, ret = 0;

	*count_given = false;
	*pl = (struct vcpu_placement){ 0 };
	if (!copy) {
		snprintf(err, errlen, "--cpus: out of memory");
		return -ENOMEM;
	}
	n = cpu_option_items(copy, items, (int)(sizeof(items) / sizeof(items[0])), err, errlen);
	if (n < 0) {
		ret = n;
		goto out;
	}
	for (int i = 0; i < n && !ret; i++) {
		char *val = strchr(items[i], '=');

		if (!*items[i]) {
			snprintf(err, errlen, "--cpus '%s': an empty item (stray comma?)", arg);
			ret = -EINVAL;
		} else if (!val && i == 0) {
			ret = cpu_option_count(items[i], max_vcpus, nr_cpus, err, errlen);
			*count_given = !ret;
		} else if (!val) {
			snprintf(err, errlen, "--cpus '%s': the count comes first, then key=value items (keys: " KEYS ")",
				 items[i]);
			ret = -EINVAL;
		} else {
			*val++ = '\0';
			ret = cpu_option_key(&kv, items[i], val, host, pl, err, errlen);
		}
	}
	if (ret)
		goto out;
	if (kv_option_given(&kv, CPU_KEY_AFFINITY) || pl->pin) {
		pl->active = true;
		if (!kv_option_given(&kv, CPU_KEY_AFFINITY))
			pl->cpus = host->usable;    /* pin=on alone: over every CPU vessel may use */
	}
out:
	free(copy);
	return ret;
}

int cpu_option_parse_quota(const char *arg, const struct cpu_host *host, uint32_t *percent, char *err, size_t errlen)
{
	uint32_t max = 100u * (uint32_t)CPU_COUNT(&host->online);
	size_t len = strlen(arg);
	char num[16];
	uint64_t v;
	int ret;

	if (len && arg[len - 1] == '%')
		len--;
	if (!len || len >= sizeof(num)) {
		ret = -EINVAL;
	} else {
		memcpy(num, arg, len);
		num[len] = '\0';
		ret = count_parse(num, UINT32_MAX, &v);
	}
	if (ret) {
		snprintf(err, errlen, "--cpu-quota '%s': expected a whole percentage of one host CPU, 1 to %u "
			 "(100 = one CPU, 250 = two and a half)", arg, max);
		return -EINVAL;
	}
	if (!v) {
		snprintf(err, errlen, "--cpu-quota 0: a VM needs some CPU time (at least 1, i.e. 1%% of one CPU)");
		return -EINVAL;
	}
	if (v > max) {
		snprintf(err, errlen, "--cpu-quota %s: this host has %d CPUs, so at most %u", arg,
			 CPU_COUNT(&host->online), max);
		return -EINVAL;
	}
	*percent = (uint32_t)v;
	return 0;
}
