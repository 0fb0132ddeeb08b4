// SPDX-License-Identifier: MIT
/* Carrying out the migration routes on the VMM thread. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "api/api_migrate.h"
#include "api/api_priv.h"
#include "migration/migration.h"

void api_vmm_migrate(struct api *api, struct api_request *req, struct api_response *resp)
{
	const struct migration_params params = {
		.destination = req->u.migrate.destination,
		.downtime_ms = req->u.migrate.downtime_ms,
		.max_rounds = req->u.migrate.max_rounds,
	};
	char err[256];
	int ret;

	ret = migration_start(&api->migration, api->vm, &params, err, sizeof(err));
	if (ret)
		api_response_error(resp, 400, "cannot migrate: %s", err);
	else
		api_response_set(resp, 204, NULL);
}

static void api_json_add_u64(struct json_object *obj, const char *key, uint64_t v)
{
	json_object_object_add(obj, key, json_object_new_int64((int64_t)v));
}

void api_vmm_migrate_status(struct api *api, struct api_response *resp)
{
	struct json_object *obj = json_object_new_object();
	struct migration_status st = { 0 };
	char report[768];

	if (api->migration)
		migration_get_status(api->migration, &st);
	json_object_object_add(obj, "state", json_object_new_string(migration_state_name(st.state)));
	if (api->migration) {
		json_object_object_add(obj, "destination", json_object_new_string(st.destination));
		api_json_add_u64(obj, "downtime_budget_ms", st.downtime_budget_ms);
		api_json_add_u64(obj, "rounds", st.rounds);
		api_json_add_u64(obj, "bytes_sent", st.bytes_sent);
		api_json_add_u64(obj, "pages_sent", st.pages_sent);
		api_json_add_u64(obj, "zero_pages", st.zero_pages);
		api_json_add_u64(obj, "dirty_pages", st.dirty_pages);
		api_json_add_u64(obj, "bandwidth_bps", st.bandwidth_bps);
		api_json_add_u64(obj, "total_ms", st.total_ms);
		api_json_add_u64(obj, "downtime_us", st.downtime_us);
		api_json_add_u64(obj, "dest_load_us", st.dest_load_us);
		if (st.error[0])
			json_object_object_add(obj, "error", json_object_new_string(st.error));
		migration_format_report(&st, report, sizeof(report));
		json_object_object_add(obj, "report", json_object_new_string(report));
	}
	api_response_set(resp, 200, strdup(json_object_to_json_string_ext(obj,
		JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)));
	json_object_put(obj);
}
