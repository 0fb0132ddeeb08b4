/* SPDX-License-Identifier: MIT */
/*
 * The balloon routes, Firecracker compatible (docs/api.md): PUT /balloon
 * before boot {"amount_mib", "deflate_on_oom", "stats_polling_interval_s"}
 * (+ vessel's "free_page_reporting"), and once the VM runs PATCH /balloon
 * {"amount_mib"}, GET /balloon, GET /balloon/statistics and PATCH
 * /balloon/statistics {"stats_polling_interval_s"}. Parsing and the config
 * file's "balloon" here (api_parse_lib); carrying out in api_vmm_balloon.c.
 */
#ifndef VESSEL_API_API_BALLOON_H
#define VESSEL_API_API_BALLOON_H

#include <stddef.h>

#include "api/api_request.h"

struct json_object;
struct api;
struct api_config;

/* A balloon object (PUT /balloon, the config file's "balloon") into cfg; 0 or -EINVAL with err. */
int api_balloon_parse_config(struct json_object *obj, struct virtio_balloon_config *cfg, char *err, size_t errlen);
/* The configured balloon as Firecracker's object (the config file's "balloon"). */
struct json_object *api_balloon_config_to_json(const struct virtio_balloon_config *cfg);

int api_parse_balloon_put(struct json_object *obj, const char *id, struct api_request *req,
			  char *err, size_t errlen);
int api_parse_balloon_patch(struct json_object *obj, const char *id, struct api_request *req,
			    char *err, size_t errlen);
int api_parse_balloon_stats_patch(struct json_object *obj, const char *id, struct api_request *req,
				  char *err, size_t errlen);

/* On the VMM thread (api_vmm_balloon.c): every API_OP_*_BALLOON*. */
void api_vmm_balloon(struct api *api, struct api_request *req, struct api_response *resp);

#endif
