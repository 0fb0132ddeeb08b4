/* SPDX-License-Identifier: MIT */
/*
 * PUT /vsock and the config file's "vsock": the fields Firecracker has,
 * each bad value refused with a message naming it, and the configuration
 * the VM gets (its strings the config's own).
 */
#include <errno.h>
#include <string.h>

#include "api/api_config.h"
#include "api/api_routes.h"
#include "api/api_vsock.h"
#include "api_fault.h"
#include "test.h"

static int route_put(const char *body, struct api_request *req, struct api_response *resp)
{
	*resp = (struct api_response){ 0 };
	return api_route("PUT", "/vsock", body, strlen(body), req, resp);
}

static void expect_fault(const char *body, const char *msg)
{
	struct api_request req;
	struct api_response resp;

	CHECK_EQ(route_put(body, &req, &resp), 400);
	check_fault_body(&resp, "PUT", "/vsock", body, msg);
	api_response_clear(&resp);
}

static void test_vsock_put(void)
{
	struct api_request req;
	struct api_response resp;
	struct api_config cfg;
	struct vm_config base = { 0 };
	char err[256];

	CHECK_EQ(route_put("{\"guest_cid\": 3, \"uds_path\": \"/run/v.sock\", \"vsock_id\": \"vsock0\"}", &req, &resp),
		 0);
	CHECK_EQ(req.op, API_OP_PUT_VSOCK);
	CHECK_EQ(req.u.vsock.guest_cid, 3);
	CHECK(!strcmp(req.u.vsock.uds_path, "/run/v.sock"));
	CHECK(!strcmp(req.u.vsock.vsock_id, "vsock0"));
	api_config_init(&cfg, &base, 1);
	CHECK_EQ(api_config_put_vsock(&cfg, &req.u.vsock, err, sizeof(err)), 0);
	api_request_clear(&req);
	CHECK(cfg.vm.vsock.enabled);
	CHECK_EQ(cfg.vm.vsock.guest_cid, 3);
	CHECK(!strcmp(cfg.vm.vsock.uds_path, "/run/v.sock"));
	CHECK(!strcmp(cfg.vm.vsock.id, "vsock0"));

	/* A second PUT replaces the first; vsock_id is optional. */
	CHECK_EQ(route_put("{\"guest_cid\": 4294967294, \"uds_path\": \"/tmp/w\"}", &req, &resp), 0);
	CHECK_EQ(api_config_put_vsock(&cfg, &req.u.vsock, err, sizeof(err)), 0);
	CHECK_EQ(cfg.vm.vsock.guest_cid, 4294967294u);
	CHECK(!strcmp(cfg.vm.vsock.uds_path, "/tmp/w"));
	CHECK(cfg.vm.vsock.id == NULL);
	api_config_free(&cfg);
}

static void test_vsock_put_errors(void)
{
	expect_fault("{\"guest_cid\": 2, \"uds_path\": \"/x\"}", "guest_cid' must be 3 to 4294967294");
	expect_fault("{\"guest_cid\": -1, \"uds_path\": \"/x\"}", "guest_cid");
	expect_fault("{\"guest_cid\": 4294967295, \"uds_path\": \"/x\"}", "guest_cid");
	expect_fault("{\"guest_cid\": 3.5, \"uds_path\": \"/x\"}", "guest_cid");
	expect_fault("{\"guest_cid\": \"3\", \"uds_path\": \"/x\"}", "guest_cid");
	expect_fault("{\"uds_path\": \"/x\"}", "missing required field 'guest_cid'");
	expect_fault("{\"guest_cid\": 3}", "missing required field 'uds_path'");
	expect_fault("{\"guest_cid\": 3, \"uds_path\": 5}", "uds_path");
	expect_fault("{\"guest_cid\": 3, \"uds_path\": \"\"}", "uds_path");
	expect_fault("{\"guest_cid\": 3, \"uds_path\": \"/a\\u0000b\"}", "uds_path");
	expect_fault("{\"guest_cid\": 3, \"uds_path\": \"/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}",
		     "1 to 96 bytes");
	expect_fault("{\"guest_cid\": 3, \"uds_path\": \"/x\", \"vsock_id\": \"a-b\"}", "id may only hold");
	expect_fault("{\"guest_cid\": 3, \"uds_path\": \"/x\", \"vsock_id\": \"\"}", "id must have");
	expect_fault("{\"guest_cid\": 3, \"uds_path\": \"/x\", \"cid\": 3}", "unknown field 'cid'");
	expect_fault("[]", "");
}

static void test_vsock_config_file(void)
{
	static const char good[] = "{\"vsock\": {\"guest_cid\": 7, \"uds_path\": \"/run/vm.vsock\"}}";
	static const char bad[] = "{\"vsock\": {\"guest_cid\": 7}}";
	struct vm_config base = { 0 };
	struct api_config cfg;
	struct json_object *obj;
	char err[256];

	api_config_init(&cfg, &base, 1);
	CHECK_EQ(api_config_apply_json(&cfg, good, strlen(good), err, sizeof(err)), 0);
	CHECK(cfg.vm.vsock.enabled);
	CHECK_EQ(cfg.vm.vsock.guest_cid, 7);
	obj = api_config_to_json(&cfg);
	CHECK(strstr(json_object_to_json_string(obj), "\"vsock\":{\"guest_cid\":7,\"uds_path\":\"\\/run\\/vm.vsock\"}") ||
	      strstr(json_object_to_json_string(obj), "\"vsock\": { \"guest_cid\": 7"));
	json_object_put(obj);
	CHECK_EQ(api_config_apply_json(&cfg, bad, strlen(bad), err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "uds_path") != NULL);
	api_config_free(&cfg);
}

TEST_MAIN(test_vsock_put, test_vsock_put_errors, test_vsock_config_file)
