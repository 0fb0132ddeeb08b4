/* SPDX-License-Identifier: MIT */
/*
 * Per-clone overrides for restoring a snapshot (docs/snapshot.md, Clones):
 * a disk's image replaced by the clone's own copy or overlay (the same
 * size), a NIC's TAP interface and/or MAC address replaced. Disks and NICs
 * are named by the ids the snapshot saved: the API's drive_id / iface_id,
 * or "disk<i>" / "net<i>" (command-line order) for those without one.
 *
 * The overrides are plain data: filled by the CLI (--disk-override,
 * --net-override) or the API (PUT /snapshot/load's drive_overrides and
 * network_overrides), both through src/cli/clone_option.c, and checked
 * against the snapshot here, all of them before any is applied.
 */
#ifndef VESSEL_SNAPSHOT_SNAP_OVERRIDE_H
#define VESSEL_SNAPSHOT_SNAP_OVERRIDE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/vm.h"
#include "net/net_config.h"

#define SNAP_OVERRIDE_ID_MAX 64

struct snap_disk_override {
	char *drive_id;
	char *path;                         /* the clone's image */
};

struct snap_net_override {
	char *iface_id;
	char tap[NET_IFNAME_MAX + 1];       /* "": keep the snapshot's TAP interface */
	bool has_mac;
	uint8_t mac[6];
};

struct snap_overrides {
	struct snap_disk_override disks[VM_MAX_DISKS];
	uint32_t nr_disks;
	struct snap_net_override nets[NET_MAX_DEVICES];
	uint32_t nr_nets;
};

struct snap_config;

/*
 * Checks every override against the snapshot's configuration (the id
 * names one of its disks / NICs; a TAP override only for a TAP NIC; a
 * disk's image opens and has the size the snapshot saved), then applies
 * them all to cfg. 0, or -errno with a one-line reason in err and cfg
 * unchanged. o may be NULL (nothing to do).
 */
__attribute__((warn_unused_result))
int snap_overrides_apply(struct snap_config *cfg, const struct snap_overrides *o, char *err, size_t errlen);

/* The id of disk / NIC i in cfg: its saved id, else "disk<i>" / "net<i>" in buf. */
const char *snap_config_disk_id(const struct snap_config *cfg, uint32_t i, char *buf, size_t len);
const char *snap_config_net_id(const struct snap_config *cfg, uint32_t i, char *buf, size_t len);

#endif
