// SPDX-License-Identifier: MIT
/* Carrying out the balloon routes on the VMM thread. Messages follow Firecracker's where it has one. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "api/api_balloon.h"
#include "api/api_priv.h"

static const char msg_no_balloon[] = "No balloon device configured.";
static const char msg_after_start[] = "The requested operation is not supported after starting the microVM.";
static const char msg_before_start[] = "The requested operation is not supported before starting the microVM.";

static void api_balloon_reply(struct api_response *resp, struct json_object *obj)
{
	api_response_set(resp, 200, strdup(json_object_to_json_string_ext(obj,
		JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)));
	json_object_put(obj);
}

static void api_json_add_u64(struct json_object *obj, const char *key, uint64_t v)
{
	json_object_object_add(obj, key, json_object_new_int64((int64_t)v));
}

/* target_pages, actual_pages, target_mib, actual_mib: the sizes as the device's config space has them. */
static void api_balloon_add_sizes(struct json_object *obj, const struct virtio_balloon_info *info)
{
	api_json_add_u64(obj, "target_pages", info->target_pages);
	api_json_add_u64(obj, "actual_pages", info->actual_pages);
	api_json_add_u64(obj, "target_mib", info->target_pages / VIRTIO_BALLOON_PAGES_PER_MIB);
	api_json_add_u64(obj, "actual_mib", info->actual_pages / VIRTIO_BALLOON_PAGES_PER_MIB);
}

/* PUT /balloon: the device to create at boot. */
static void api_balloon_put(struct api *api, const struct virtio_balloon_config *cfg, struct api_response *resp)
{
	uint64_t mem_mib = api->cfg->vm.mem_size >> 20;

	if (api->vm) {
		api_response_error(resp, 400, "%s", msg_after_start);
		return;
	}
	if (cfg->target_mib > mem_mib) {
		api_response_error(resp, 400, "balloon: amount_mib %u is more than the VM's memory (%llu MiB)",
				   cfg->target_mib, (unsigned long long)mem_mib);
		return;
	}
	api->cfg->vm.balloon = *cfg;
	api_response_set(resp, 204, NULL);
}

/* GET /balloon: the configuration, with the current target and actual sizes once the VM runs. */
static void api_balloon_get(struct api *api, struct api_response *resp)
{
	struct virtio_balloon_info info;
	struct json_object *obj;

	if (!api->vm) {
		if (!api->cfg->vm.balloon.enabled)
			api_response_error(resp, 400, "%s", msg_no_balloon);
		else
			api_balloon_reply(resp, api_balloon_config_to_json(&api->cfg->vm.balloon));
		return;
	}
	virtio_balloon_get_info(api->vm->balloon, &info);
	obj = json_object_new_object();
	api_json_add_u64(obj, "amount_mib", info.target_pages / VIRTIO_BALLOON_PAGES_PER_MIB);
	json_object_object_add(obj, "deflate_on_oom", json_object_new_boolean(info.deflate_on_oom));
	api_json_add_u64(obj, "stats_polling_interval_s", info.stats_interval_s);
	json_object_object_add(obj, "free_page_reporting", json_object_new_boolean(info.free_page_reporting));
	api_balloon_add_sizes(obj, &info);
	api_balloon_reply(resp, obj);
}

/* GET /balloon/statistics: the sizes and every statistic the guest has reported. */
static void api_balloon_get_stats(struct api *api, struct api_response *resp)
{
	struct virtio_balloon_info info;
	struct json_object *obj;

	virtio_balloon_get_info(api->vm->balloon, &info);
	if (!info.stats_enabled) {
		api_response_error(resp, 400, "Statistics for the balloon device are not enabled "
				   "(stats_polling_interval_s was 0 at boot).");
		return;
	}
	obj = json_object_new_object();
	api_balloon_add_sizes(obj, &info);
	for (unsigned int t = 0; t < VIRTIO_BALLOON_NR_STATS; t++)
		if (info.stats_valid & (1u << t))
			api_json_add_u64(obj, virtio_balloon_stat_name(t), info.stats[t]);
	api_balloon_reply(resp, obj);
}

void api_vmm_balloon(struct api *api, struct api_request *req, struct api_response *resp)
{
	const struct api_balloon *b = &req->u.balloon;
	uint64_t mem_mib;

	if (req->op == API_OP_PUT_BALLOON) {
		api_balloon_put(api, &b->cfg, resp);
		return;
	}
	if (req->op == API_OP_GET_BALLOON) {
		api_balloon_get(api, resp);
		return;
	}
	/* The rest acts on the running device. */
	if (!api->vm) {
		api_response_error(resp, 400, "%s", msg_before_start);
		return;
	}
	if (!api->vm->balloon) {
		api_response_error(resp, 400, "%s", msg_no_balloon);
		return;
	}
	switch (req->op) {
	case API_OP_PATCH_BALLOON:
		mem_mib = api->vm->cfg.mem_size >> 20;
		if (b->amount_mib > mem_mib ||
		    virtio_balloon_set_target(api->vm->balloon, b->amount_mib * VIRTIO_BALLOON_PAGES_PER_MIB)) {
			api_response_error(resp, 400, "balloon: amount_mib %u is more than the VM's memory (%llu MiB)",
					   b->amount_mib, (unsigned long long)mem_mib);
			return;
		}
		/* GET /vm/config shows the balloon as it is now. */
		api->cfg->vm.balloon.target_mib = b->amount_mib;
		api_response_set(resp, 204, NULL);
		return;
	case API_OP_GET_BALLOON_STATS:
		api_balloon_get_stats(api, resp);
		return;
	case API_OP_PATCH_BALLOON_STATS:
		if (virtio_balloon_set_stats_interval(api->vm->balloon, b->stats_interval_s)) {
			api_response_error(resp, 400, "balloon/statistics: statistics are chosen at boot: "
					   "a balloon without them cannot get them, one with them cannot drop them "
					   "(stats_polling_interval_s 0)");
			return;
		}
		api->cfg->vm.balloon.stats_interval_s = b->stats_interval_s;
		api_response_set(resp, 204, NULL);
		return;
	default:
		api_response_error(resp, 400, "unexpected request");
		return;
	}
}
