/* SPDX-License-Identifier: MIT */
/*
 * Filling per-clone snapshot overrides (snapshot/snap_override.h), with
 * the checks that need no snapshot: ids of 1 to 64 letters, digits, '_',
 * '-' or '.'; each id once; a valid TAP name; a unicast MAC; at most as
 * many overrides as a VM has disks / NICs. The command line's forms:
 *
 *   --disk-override ID=PATH
 *   --net-override ID=tap=NAME[,mac=MAC]   or   ID=mac=MAC
 *
 * The API's JSON goes through clone_option_add_disk/net() too.
 */
#ifndef VESSEL_CLI_CLONE_OPTION_H
#define VESSEL_CLI_CLONE_OPTION_H

#include <stddef.h>
#include <stdint.h>

#include "snapshot/snap_override.h"

/* 0, or -EINVAL / -ENOMEM with a one-line reason in err; what names the source in it. */
__attribute__((warn_unused_result))
int clone_option_add_disk(struct snap_overrides *o, const char *drive_id, const char *path,
			  const char *what, char *err, size_t errlen);
/* tap NULL: keep the TAP interface; mac NULL: keep the MAC. At least one of them. */
__attribute__((warn_unused_result))
int clone_option_add_net(struct snap_overrides *o, const char *iface_id, const char *tap, const uint8_t *mac,
			 const char *what, char *err, size_t errlen);

/* One --disk-override / --net-override value. */
__attribute__((warn_unused_result))
int clone_option_parse_disk(struct snap_overrides *o, const char *arg, char *err, size_t errlen);
__attribute__((warn_unused_result))
int clone_option_parse_net(struct snap_overrides *o, const char *arg, char *err, size_t errlen);

/* Frees the strings and empties o. */
void clone_option_free(struct snap_overrides *o);

#endif
