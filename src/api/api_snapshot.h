/* SPDX-License-Identifier: MIT */
/*
 * The snapshot routes, Firecracker compatible: PUT /snapshot/create on a
 * paused VM, PUT /snapshot/load in a fresh `vessel run --api-sock` before
 * anything booted. Parsing here (api_parse_lib); carrying out in
 * api_vmm_snapshot.c.
 */
#ifndef VESSEL_API_API_SNAPSHOT_H
#define VESSEL_API_API_SNAPSHOT_H

#include <stddef.h>

#include "api/api_request.h"

struct json_object;
struct api;

/* {"snapshot_type": "Full", "snapshot_path": STATE, "mem_file_path": MEM[, "version": ...]} */
int api_parse_snapshot_create(struct json_object *obj, const char *id, struct api_request *req,
			      char *err, size_t errlen);
/*
 * {"snapshot_path": STATE, "mem_backend": {"backend_path": MEM, "backend_type": "File"}
 *  (or the older "mem_file_path": MEM), "resume_vm": bool, "enable_diff_snapshots": false,
 *  "network_overrides": [{"iface_id": ID, "host_dev_name": TAP, "guest_mac": MAC}],
 *  "drive_overrides": [{"drive_id": ID, "path_on_host": PATH}]}
 * The overrides make the restored VM a clone with its own NICs and disks (snap_override.h).
 */
int api_parse_snapshot_load(struct json_object *obj, const char *id, struct api_request *req,
			    char *err, size_t errlen);

/* On the VMM thread (api_vmm_snapshot.c). */
void api_vmm_snapshot_create(struct api *api, struct api_request *req, struct api_response *resp);
void api_vmm_snapshot_load(struct api *api, struct api_request *req, struct api_response *resp);

#endif
