/* SPDX-License-Identifier: MIT */
/*
 * --disk path=FILE[,readonly=on|off][,cache=none|writeback][,serial=ID][,aio=auto|io_uring|threads]
 *        [,queues=N]   (N request queues, 1..VIRTIO_BLK_MAX_QUEUES, default 1)
 */
#ifndef VESSEL_CLI_DISK_OPTION_H
#define VESSEL_CLI_DISK_OPTION_H

#include <stddef.h>

#include "devices/virtio/virtio_blk.h"

#define DISK_OPTION_MAX 8           /* --disk may be given this many times */

/*
 * Parses arg, which it splits in place: cfg's strings point into it, so it
 * must outlive cfg. 0, or -EINVAL with a one-line message in err.
 */
int disk_option_parse(char *arg, struct virtio_blk_config *cfg, char *err, size_t errlen);

#endif
