/* SPDX-License-Identifier: MIT */
/*
 * The balloon routes and the config file's "balloon": parsed values, and a
 * 400 naming the field for every bad type, range, unknown and missing field.
 */
#include <errno.h>
#include <string.h>

#include "api/api_balloon.h"
#include "api/api_config.h"
#include "api_expect.h"

static void test_balloon_routes(void)
{
	struct api_request req;

	expect_op("GET", "/balloon", "", API_OP_GET_BALLOON);
	expect_op("GET", "/balloon/statistics", "", API_OP_GET_BALLOON_STATS);
	req = expect_op("PUT", "/balloon", "{\"amount_mib\": 64, \"deflate_on_oom\": true}", API_OP_PUT_BALLOON);
	CHECK(req.u.balloon.cfg.enabled);
	CHECK_EQ(req.u.balloon.cfg.target_mib, 64);
	CHECK(req.u.balloon.cfg.deflate_on_oom);
	CHECK(!req.u.balloon.cfg.free_page_reporting);
	CHECK_EQ(req.u.balloon.cfg.stats_interval_s, 0);
	req = expect_op("PUT", "/balloon", "{\"amount_mib\": 0, \"deflate_on_oom\": false, "
			"\"stats_polling_interval_s\": 5, \"free_page_reporting\": true}", API_OP_PUT_BALLOON);
	CHECK_EQ(req.u.balloon.cfg.stats_interval_s, 5);
	CHECK(req.u.balloon.cfg.free_page_reporting);
	CHECK(!req.u.balloon.cfg.deflate_on_oom);
	req = expect_op("PATCH", "/balloon", "{\"amount_mib\": 16777215}", API_OP_PATCH_BALLOON);
	CHECK_EQ(req.u.balloon.amount_mib, 16777215);
	req = expect_op("PATCH", "/balloon/statistics", "{\"stats_polling_interval_s\": 65535}",
			API_OP_PATCH_BALLOON_STATS);
	CHECK_EQ(req.u.balloon.stats_interval_s, 65535);

	expect_fault("DELETE", "/balloon", "", 405, "DELETE");
	expect_fault("PUT", "/balloon/statistics", "{}", 405, "PUT");
	expect_fault("GET", "/balloon/nope", "", 404, "/balloon/nope");
	expect_fault("PUT", "/balloon", "{\"amount_mib\": 64}", 400, "missing required field 'deflate_on_oom'");
	expect_fault("PUT", "/balloon", "{\"deflate_on_oom\": true}", 400, "missing required field 'amount_mib'");
	expect_fault("PUT", "/balloon", "{\"amount_mib\": -1, \"deflate_on_oom\": true}", 400,
		     "'amount_mib' must be 0 to 16777215");
	expect_fault("PUT", "/balloon", "{\"amount_mib\": 16777216, \"deflate_on_oom\": true}", 400, "amount_mib");
	expect_fault("PUT", "/balloon", "{\"amount_mib\": 1.5, \"deflate_on_oom\": true}", 400,
		     "'amount_mib' must be an integer");
	expect_fault("PUT", "/balloon", "{\"amount_mib\": 1, \"deflate_on_oom\": \"yes\"}", 400,
		     "'deflate_on_oom' must be a boolean");
	expect_fault("PUT", "/balloon", "{\"amount_mib\": 1, \"deflate_on_oom\": true, "
		     "\"stats_polling_interval_s\": 65536}", 400, "stats_polling_interval_s");
	expect_fault("PUT", "/balloon", "{\"amount_mib\": 1, \"deflate_on_oom\": true, \"must_tell_host\": true}",
		     400, "unknown field 'must_tell_host'");
	expect_fault("PUT", "/balloon", "[1]", 400, "expected an object");
	expect_fault("PATCH", "/balloon", "{\"amount_mib\": 1, \"deflate_on_oom\": true}", 400,
		     "unknown field 'deflate_on_oom'");
	expect_fault("PATCH", "/balloon", "{}", 400, "missing required field 'amount_mib'");
	expect_fault("PATCH", "/balloon", "", 400, "empty request body");
	expect_fault("PATCH", "/balloon/statistics", "{\"stats_polling_interval_s\": -2}", 400, "0 to 65535");
	expect_fault("PATCH", "/balloon/statistics", "{\"amount_mib\": 2}", 400, "unknown field 'amount_mib'");
}

static void test_balloon_config_file(void)
{
	const char *text = "{\"boot-source\": {\"kernel_image_path\": \"/k\"}, \"balloon\": "
			   "{\"amount_mib\": 32, \"deflate_on_oom\": true, \"stats_polling_interval_s\": 2}}";
	struct vm_config base = { .nr_cpus = 1, .mem_size = 256ULL << 20 };
	struct api_config cfg;
	struct json_object *json, *b, *v;
	char err[256];

	api_config_init(&cfg, &base, 1);
	CHECK_EQ(api_config_apply_json(&cfg, text, strlen(text), err, sizeof(err)), 0);
	CHECK(cfg.vm.balloon.enabled);
	CHECK_EQ(cfg.vm.balloon.target_mib, 32);
	CHECK(cfg.vm.balloon.deflate_on_oom);
	CHECK_EQ(cfg.vm.balloon.stats_interval_s, 2);
	json = api_config_to_json(&cfg);
	CHECK(json_object_object_get_ex(json, "balloon", &b));
	CHECK(json_object_object_get_ex(b, "amount_mib", &v) && json_object_get_int(v) == 32);
	CHECK(json_object_object_get_ex(b, "stats_polling_interval_s", &v) && json_object_get_int(v) == 2);
	CHECK(json_object_object_get_ex(b, "free_page_reporting", &v) && !json_object_get_boolean(v));
	json_object_put(json);
	api_config_free(&cfg);

	/* A bad balloon in a file names the field; nothing is half set. */
	api_config_init(&cfg, &base, 1);
	text = "{\"balloon\": {\"amount_mib\": 32, \"deflate_on_oom\": 1}}";
	CHECK_EQ(api_config_apply_json(&cfg, text, strlen(text), err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "deflate_on_oom") != NULL);
	CHECK(!cfg.vm.balloon.enabled);
	/* Without a balloon, the config has none. */
	json = api_config_to_json(&cfg);
	CHECK(!json_object_object_get_ex(json, "balloon", NULL));
	json_object_put(json);
	api_config_free(&cfg);
}

TEST_MAIN(test_balloon_routes, test_balloon_config_file)
