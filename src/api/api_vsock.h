/* SPDX-License-Identifier: MIT */
/*
 * PUT /vsock before boot, Firecracker compatible: {"guest_cid", "uds_path",
 * "vsock_id" (optional, as in Firecracker's newer versions)}; the config
 * file's "vsock" is the same object. A later PUT replaces the device's
 * configuration (Firecracker's "creates or updates").
 */
#ifndef VESSEL_API_API_VSOCK_H
#define VESSEL_API_API_VSOCK_H

#include <stddef.h>

#include "api/api_request.h"

struct json_object;
struct api_config;
struct vsock_config;

/* A vsock object into out; 0 or -EINVAL with err (naming the field). */
int api_vsock_parse(struct json_object *obj, struct api_vsock *out, char *err, size_t errlen);
int api_parse_vsock_put(struct json_object *obj, const char *id, struct api_request *req,
			char *err, size_t errlen);
/* The device the VM gets at boot (cfg keeps its own copies of the strings); 0 or -ENOMEM with err. */
int api_config_put_vsock(struct api_config *cfg, const struct api_vsock *v, char *err, size_t errlen);
/* The configured device as Firecracker's object (GET /vm/config, the config file's "vsock"). */
struct json_object *api_vsock_to_json(const struct vsock_config *cfg);

#endif
