/* SPDX-License-Identifier: MIT */
#include "cli/size.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int size_parse(const char *str, uint64_t *bytes)
{
	static const struct { const char *suffix; unsigned int shift; } units[] = {
		{ "", 20 }, { "b", 0 },
		{ "k", 10 }, { "kb", 10 }, { "kib", 10 },
		{ "m", 20 }, { "mb", 20 }, { "mib", 20 },
		{ "g", 30 }, { "gb", 30 }, { "gib", 30 },
		{ "t", 40 }, { "tb", 40 }, { "tib", 40 },
	};
	uint64_t whole = 0, frac_num = 0, frac_den = 1;
	const char *p = str;

	if (!isdigit((unsigned char)*p))
		return -EINVAL;
	for (; isdigit((unsigned char)*p); p++) {
		if (whole > (UINT64_MAX - 9) / 10)
			return -ERANGE;
		whole = whole * 10 + (*p - '0');
	}
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p))
			return -EINVAL;
		for (; isdigit((unsigned char)*p); p++) {
			if (frac_den < 1000000000ULL) {
				frac_num = frac_num * 10 + (*p - '0');
				frac_den *= 10;
			}
		}
	}
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		unsigned int shift = units[i].shift;

		if (strcasecmp(p, units[i].suffix))
			continue;
		if (shift < 64 && whole > (UINT64_MAX >> shift))
			return -ERANGE;
		*bytes = (whole << shift) + (uint64_t)(((__uint128_t)frac_num << shift) / frac_den);
		return 0;
	}
	return -EINVAL;
}

int count_parse(const char *str, uint64_t max, uint64_t *value)
{
	uint64_t v = 0;

	if (!*str)
		return -EINVAL;
	for (const char *p = str; *p; p++) {
		if (!isdigit((unsigned char)*p))
			return -EINVAL;
		v = v * 10 + (*p - '0');
		if (v > max)
			return -ERANGE;
	}
	*value = v;
	return 0;
}

int onoff_parse(const char *str, bool *on)
{
	if (!strcmp(str, "on"))
		*on = true;
	else if (!strcmp(str, "off"))
		*on = false;
	else
		return -EINVAL;
	return 0;
}
