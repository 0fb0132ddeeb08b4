/* SPDX-License-Identifier: MIT */
#include "core/cpu_list.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CPU_ONLINE_PATH "/sys/devices/system/cpu/online"

/* A decimal number at *p below CPU_SETSIZE; advances *p. */
static int cpu_list_number(const char **p, unsigned long *out)
{
	unsigned long v = 0;

	if (!isdigit((unsigned char)**p))
		return -EINVAL;
	while (isdigit((unsigned char)**p)) {
		v = v * 10 + (unsigned long)(**p - '0');
		if (v >= CPU_SETSIZE)
			return -ERANGE;
		(*p)++;
	}
	*out = v;
	return 0;
}

/* One item: N, N-M or N-M:STRIDE. */
static int cpu_list_item(const char *item, cpu_set_t *set, char *err, size_t errlen)
{
	unsigned long first, last, stride = 1;
	const char *p = item;
	int ret;

	ret = cpu_list_number(&p, &first);
	last = first;
	if (!ret && *p == '-') {
		p++;
		ret = cpu_list_number(&p, &last);
		if (!ret && *p == ':') {
			p++;
			ret = cpu_list_number(&p, &stride);
			if (!ret && !stride)
				ret = -EINVAL;
		}
	}
	if (ret == -ERANGE) {
		snprintf(err, errlen, "'%s': CPU numbers go up to %d", item, CPU_SETSIZE - 1);
		return ret;
	}
	if (ret || *p) {
		snprintf(err, errlen, "'%s': not a CPU number or range (examples: 3, 0-3, 0-7:2)", item);
		return -EINVAL;
	}
	if (last < first) {
		snprintf(err, errlen, "'%s': a range goes upwards", item);
		return -EINVAL;
	}
	for (unsigned long cpu = first; cpu <= last; cpu += stride)
		CPU_SET(cpu, set);
	return 0;
}

int cpu_list_parse(const char *str, cpu_set_t *set, char *err, size_t errlen)
{
	char item[64];
	const char *p = str;
	int ret;

	CPU_ZERO(set);
	if (!*str) {
		snprintf(err, errlen, "an empty CPU list");
		return -EINVAL;
	}
	for (;;) {
		size_t n = strcspn(p, ",");

		if (!n) {
			snprintf(err, errlen, "'%s': an empty item in the CPU list (stray comma?)", str);
			return -EINVAL;
		}
		if (n >= sizeof(item)) {
			snprintf(err, errlen, "'%.20s...': not a CPU number or range", p);
			return -EINVAL;
		}
		memcpy(item, p, n);
		item[n] = '\0';
		ret = cpu_list_item(item, set, err, errlen);
		if (ret)
			return ret;
		if (!p[n])
			return 0;
		p += n + 1;
	}
}

char *cpu_list_format(const cpu_set_t *set, char *buf, size_t len)
{
	size_t used = 0;
	int cpu = 0;

	if (len)
		buf[0] = '\0';
	while (cpu < CPU_SETSIZE) {
		int last;

		if (!CPU_ISSET(cpu, set)) {
			cpu++;
			continue;
		}
		for (last = cpu; last + 1 < CPU_SETSIZE && CPU_ISSET(last + 1, set); last++)
			;
		if (used < len) {
			int n = last == cpu ? snprintf(buf + used, len - used, "%s%d", used ? "," : "", cpu) :
				snprintf(buf + used, len - used, "%s%d-%d", used ? "," : "", cpu, last);

			used += n > 0 ? (size_t)n : 0;
		}
		cpu = last + 1;
	}
	if (!used && len)
		snprintf(buf, len, "none");
	return buf;
}

int cpu_list_online(cpu_set_t *set)
{
	char line[4096], err[128];
	FILE *f = fopen(CPU_ONLINE_PATH, "re");
	int ret;

	if (!f)
		return -errno;
	if (!fgets(line, sizeof(line), f)) {
		fclose(f);
		return -EIO;
	}
	fclose(f);
	line[strcspn(line, "\n")] = '\0';
	ret = cpu_list_parse(line, set, err, sizeof(err));
	return ret ? -EIO : 0;
}

int vcpu_placement_cpus(const struct vcpu_placement *p, uint32_t id, cpu_set_t *out)
{
	int count = CPU_COUNT(&p->cpus), nth;

	if (!count)
		return -EINVAL;
	if (!p->pin) {
		*out = p->cpus;
		return 0;
	}
	nth = (int)(id % (uint32_t)count);
	CPU_ZERO(out);
	for (int cpu = 0; cpu < CPU_SETSIZE; cpu++) {
		if (!CPU_ISSET(cpu, &p->cpus))
			continue;
		if (!nth--) {
			CPU_SET(cpu, out);
			break;
		}
	}
	return 0;
}
