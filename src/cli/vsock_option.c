/* SPDX-License-Identifier: MIT */
#include "cli/vsock_option.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/kv_option.h"

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

enum { VSOCK_KEY_CID, VSOCK_KEY_UDS };

static int vsock_option_value(unsigned int key, char *val, struct vsock_config *cfg, char *err, size_t errlen)
{
	if (key == VSOCK_KEY_CID) {
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
	static const char *const keys[] = { [VSOCK_KEY_CID] = "cid", [VSOCK_KEY_UDS] = "uds" };
	struct kv_option kv = KV_OPTION("--vsock", keys, arg);
	unsigned int key;
	char *val;
	int ret;

	*cfg = (struct vsock_config){ .enabled = true };
	while ((ret = kv_option_next(&kv, &key, &val, err, errlen)) > 0) {
		ret = vsock_option_value(key, val, cfg, err, errlen);
		if (ret)
			return ret;
	}
	if (ret)
		return ret;
	if (!kv_option_given(&kv, VSOCK_KEY_CID) || !kv_option_given(&kv, VSOCK_KEY_UDS)) {
		snprintf(err, errlen, "--vsock: %s is required (example: --vsock cid=3,uds=/tmp/vm.vsock)",
			 !kv_option_given(&kv, VSOCK_KEY_CID) ? "cid" : "uds");
		return -EINVAL;
	}
	return 0;
}
