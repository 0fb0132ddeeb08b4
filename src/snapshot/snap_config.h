/* SPDX-License-Identifier: MIT */
/*
 * The configuration section: what a restore needs to rebuild the same
 * machine without a kernel (vCPUs, RAM size, CPU model, console device,
 * rng, disks with their sizes, NICs; the API ids of both, for clone
 * overrides). Decoding checks every value and count; the strings it
 * returns are its own copies.
 */
#ifndef VESSEL_SNAPSHOT_SNAP_CONFIG_H
#define VESSEL_SNAPSHOT_SNAP_CONFIG_H

#include <stddef.h>

#include "core/vm.h"
#include "snapshot/snap_buf.h"

struct snap_config {
	struct vm_config vm;        /* host-side fields (console, paths to restore from) are zero */
	char *disk_paths[VM_MAX_DISKS];
	char *disk_serials[VM_MAX_DISKS];
	char *disk_ids[VM_MAX_DISKS];       /* NULL: "disk<i>" */
	char *net_ids[NET_MAX_DEVICES];     /* NULL: "net<i>" */
	uint64_t disk_sizes[VM_MAX_DISKS];  /* bytes at the snapshot; 0: unknown */
	char *vsock_uds_path;               /* the vsock section's (vm.vsock points here) */
	char *vsock_id;
};

/* disk_sizes: each disk's size in bytes, or NULL (saved as 0: unknown). */
void snap_config_save(const struct vm_config *cfg, const uint64_t *disk_sizes, struct snap_writer *w);
/* 0, or -EINVAL with a one-line reason in err (nothing to free then). */
int snap_config_load(struct snap_reader *r, struct snap_config *out, char *err, size_t errlen);
void snap_config_free(struct snap_config *cfg);

/*
 * The balloon section (a VM with a balloon): its configuration, so a
 * restore creates the same device. Load: 0, or -EINVAL with err.
 */
void snap_config_save_balloon(const struct virtio_balloon_config *cfg, struct snap_writer *w);
int snap_config_load_balloon(struct snap_reader *r, struct virtio_balloon_config *out, char *err, size_t errlen);

/*
 * The vsock section (a VM with a vsock device): CID, Unix socket path and
 * API id, so a restore creates the same device. Load sets out->vm.vsock,
 * its strings owned by out: 0, or -EINVAL with err.
 */
void snap_config_save_vsock(const struct vsock_config *cfg, struct snap_writer *w);
int snap_config_load_vsock(struct snap_reader *r, struct snap_config *out, char *err, size_t errlen);

#endif
