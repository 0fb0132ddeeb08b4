/* SPDX-License-Identifier: MIT */
/*
 * The live-migration routes (docs/migration.md): PUT /vessel/migrate starts
 * moving the running VM to a destination started with `vessel run
 * --incoming`; GET /vessel/migrate reports progress and the outcome.
 * Parsing here (api_parse_lib); carrying out in api_vmm_migrate.c.
 */
#ifndef VESSEL_API_API_MIGRATE_H
#define VESSEL_API_API_MIGRATE_H

#include <stddef.h>

#include "api/api_request.h"

struct json_object;
struct api;

/* {"destination": "tcp://HOST:PORT", "downtime_ms": N, "max_rounds": N} (the last two optional) */
int api_parse_migrate(struct json_object *obj, const char *id, struct api_request *req,
		      char *err, size_t errlen);

/* On the VMM thread (api_vmm_migrate.c). */
void api_vmm_migrate(struct api *api, struct api_request *req, struct api_response *resp);
void api_vmm_migrate_status(struct api *api, struct api_response *resp);

#endif
