/* SPDX-License-Identifier: MIT */
/*
 * --vsock cid=N,uds=PATH
 *
 * A virtio-vsock device: the guest's CID (3 to 4294967294) and the Unix
 * socket vessel listens on for host-initiated connections (guest-initiated
 * ones go to PATH_<port>), as Firecracker's PUT /vsock "guest_cid" and
 * "uds_path".
 */
#ifndef VESSEL_CLI_VSOCK_OPTION_H
#define VESSEL_CLI_VSOCK_OPTION_H

#include <stddef.h>

#include "net/vsock_config.h"

/*
 * Parses arg, which it splits in place: cfg->uds_path points into it, so
 * it must outlive cfg. 0, or -EINVAL with a one-line message in err.
 */
int vsock_option_parse(char *arg, struct vsock_config *cfg, char *err, size_t errlen);

/* A CID from text ("3" .. "4294967294", decimal): 0, or -EINVAL. */
int vsock_cid_parse(const char *s, uint32_t *cid);

#endif
