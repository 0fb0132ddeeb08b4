/* SPDX-License-Identifier: MIT */
/*
 * --balloon [size=SIZE][,deflate_on_oom=on|off][,stats=SECONDS][,free_page_reporting=on|off]
 *
 * A virtio-balloon device. size is its target at boot (a bare number is
 * MiB, default 0), stats the statistics polling interval (0, the default:
 * no statistics queue), as Firecracker's balloon "amount_mib",
 * "deflate_on_oom" and "stats_polling_interval_s".
 */
#ifndef VESSEL_CLI_BALLOON_OPTION_H
#define VESSEL_CLI_BALLOON_OPTION_H

#include <stddef.h>

#include "devices/virtio/virtio_balloon.h"

/*
 * Parses arg ("" or NULL: all defaults) into cfg, enabled. 0, or -EINVAL
 * with a one-line message in err.
 */
int balloon_option_parse(const char *arg, struct virtio_balloon_config *cfg, char *err, size_t errlen);

#endif
