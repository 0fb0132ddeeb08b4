/* SPDX-License-Identifier: MIT */
/*
 * What a virtio-vsock device is configured with (--vsock, PUT /vsock, the
 * config file's "vsock", a snapshot's vsock section).
 */
#ifndef VESSEL_NET_VSOCK_CONFIG_H
#define VESSEL_NET_VSOCK_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#define VSOCK_CID_HOST      2
#define VSOCK_CID_MIN       3               /* 0, 1 and 2 are reserved (hypervisor, local, host) */
#define VSOCK_CID_MAX       0xfffffffeu     /* 0xffffffff is VMADDR_CID_ANY */
#define VSOCK_UDS_PATH_MAX  96              /* bytes: sun_path (107 + NUL) less "_<port>" (11) */

struct vsock_config {
	bool enabled;
	uint32_t guest_cid;         /* VSOCK_CID_MIN .. VSOCK_CID_MAX */
	const char *uds_path;       /* the Unix socket vessel listens on (and removes at exit) */
	const char *id;             /* the API's vsock_id, or NULL */
};

#endif
