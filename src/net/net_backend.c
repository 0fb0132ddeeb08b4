/* SPDX-License-Identifier: MIT */
#include "net/net_backend.h"

#include <errno.h>
#include <stdio.h>

int net_backend_create(const struct net_config *cfg, struct event_loop *loop,
		       struct net_backend **out, char *err, size_t errlen)
{
	switch (cfg->type) {
	case NET_TAP:
		return net_tap_create(cfg->ifname, cfg->queues ? cfg->queues : 1, out, err, errlen);
	case NET_USER:
		if (cfg->queues > 1) {
			snprintf(err, errlen, "--net user: one queue only (queues= is for tap)");
			return -EINVAL;
		}
		return net_slirp_create(cfg, loop, out, err, errlen);
	}
	snprintf(err, errlen, "--net: unknown backend type %d", (int)cfg->type);
	return -EINVAL;
}
