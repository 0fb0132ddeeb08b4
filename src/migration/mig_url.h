/* SPDX-License-Identifier: MIT */
/*
 * Migration addresses: tcp://HOST:PORT (HOST a name, an IPv4 address or
 * [an IPv6 address]; for --incoming, 0.0.0.0 or [::] listen everywhere).
 */
#ifndef VESSEL_MIGRATION_MIG_URL_H
#define VESSEL_MIGRATION_MIG_URL_H

#include <stddef.h>

#define MIG_HOST_MAX 256

struct mig_url {
	char host[MIG_HOST_MAX];
	char port[8];
};

/* 0, or -EINVAL with a one-line reason in err. */
int mig_url_parse(const char *text, struct mig_url *url, char *err, size_t errlen);

/* A TCP socket connected to url within timeout_ms: the fd, or -errno with err. */
int mig_url_connect(const struct mig_url *url, unsigned int timeout_ms, char *err, size_t errlen);

/* A TCP socket listening on url: the fd, or -errno with err. */
int mig_url_listen(const struct mig_url *url, char *err, size_t errlen);

#endif
