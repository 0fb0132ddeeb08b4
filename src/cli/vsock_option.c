/* SPDX-License-Identifier: MIT */
#include "cli/vsock_option.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KEYS "cid, uds"

int vsock_cid_parse(const char *s, uint32_t *cid)
{
	unsigned long long v;
	char *end;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (*end || errno || v < VSOCK_CID_MIN || v > VSOCK_CID_MAX)
		return -EINVAL;
	*cid = (uint32_t)v;
	return 0;
}

/* One key=value; seen tracks keys given twice. */
static int vsock_option_key(char *item, struct vsock_config *cfg, unsigned int *seen, char *err, size_t errlen)
{
	static const char *const keys[] = { "cid", "uds" };
	char *val = strchr(item, '=');
	unsigned int k;

	if (!val) {
		snprintf(err, errlen, "--vsock '%s': expected key=value (keys: " KEYS ")", item);
		return -EINVAL;
	}
	*val++ = '\0';
	for (k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
		if (!strcmp(item, keys[k]))
			break;
	if (k == sizeof(keys) / sizeof(keys[0])) {
		snprintf(err, errlen, "--vsock: unknown key '%s' (keys: " KEYS ")", item);
		return -EINVAL;
	}
	if (*seen & (1u << k)) {
		snprintf(err, errlen, "--vsock: %s given twice", item);
		return -EINVAL;
	}
	*seen |= 1u << k;
	if (k == 0) {
		if (vsock_cid_parse(val, &cfg->guest_cid)) {
			snprintf(err, errlen, "--vsock cid='%s': expected a number from %u to %u (0-2 are reserved)",
				 val, VSOCK_CID_MIN, VSOCK_CID_MAX);
			return -EINVAL;
		}
		return 0;
	}
	if (!*val || strlen(val) > VSOCK_UDS_PATH_MAX) {
		snprintf(err, errlen, "--vsock uds: the socket path must be 1 to %d bytes", VSOCK_UDS_PATH_MAX);
		return -EINVAL;
	}
	cfg->uds_path = val;
	return 0;
}

int vsock_option_parse(char *arg, struct vsock_config *cfg, char *err, size_t errlen)
{
	unsigned int seen = 0;
	char *item, *next;
	int ret;

	*cfg = (struct vsock_config){ .enabled = true };
	for (item = arg; item; item = next) {
		next = strchr(item, ',');
		if (next)
			*next++ = '\0';
		if (!*item) {
			snprintf(err, errlen, "--vsock: empty item (stray comma?)");
			return -EINVAL;
		}
		ret = vsock_option_key(item, cfg, &seen, err, errlen);
		if (ret)
			return ret;
	}
	if (!(seen & 1) || !(seen & 2)) {
		snprintf(err, errlen, "--vsock: %s is required (example: --vsock cid=3,uds=/tmp/vm.vsock)",
			 !(seen & 1) ? "cid" : "uds");
		return -EINVAL;
	}
	return 0;
}
