/* SPDX-License-Identifier: MIT */
/* The device and memory the vsock commands share (vsock_cmd.c, vsock_bad.c). */
#ifndef VESSEL_GUEST_VSOCK_CMD_H
#define VESSEL_GUEST_VSOCK_CMD_H

#include "virtio_vsock.h"

extern struct vsock_mem vsock_mem;
extern struct vsock vsock_dev;

/* Opens vsock_dev; on failure prints <cmd>.ok=0 and <cmd>.error= and returns -1. */
int vsock_cmd_open(const char *cmd);

#endif
