/* SPDX-License-Identifier: MIT */
/*
 * The manager API's routes and bodies (src/manager/daemon_routes.c): every
 * route, the create, action, snapshot and migrate bodies, and a 4xx with a fault_message for
 * every bad name, path, method, body, field and owned option; and the state
 * directory's name rules.
 */
#include <string.h>

#include "manager/daemon_routes.h"
#include "manager/state_dir.h"
#include "api_fault.h"
#include "test.h"

static int route(const char *method, const char *url, const char *body, struct mgr_request *req,
		 struct api_response *resp)
{
	*resp = (struct api_response){ 0 };
	return mgr_route(method, url, body, strlen(body), req, resp);
}

static void expect_fault(const char *method, const char *url, const char *body, int status, const char *msg)
{
	struct mgr_request req;
	struct api_response resp;

	CHECK_EQ(route(method, url, body, &req, &resp), status);
	check_fault_body(&resp, method, url, body, msg);
	CHECK_EQ(req.op, MGR_OP_NONE);
	CHECK(req.args == NULL);
	api_response_clear(&resp);
}

static struct mgr_request expect_op(const char *method, const char *url, const char *body, enum mgr_op op)
{
	struct mgr_request req;
	struct api_response resp;

	CHECK_EQ(route(method, url, body, &req, &resp), 0);
	CHECK_EQ(req.op, op);
	CHECK(resp.body == NULL);
	api_response_clear(&resp);
	return req;
}

static void test_routes(void)
{
	struct mgr_request req;

	req = expect_op("GET", "/", "", MGR_OP_INFO);
	req = expect_op("GET", "/vms", "", MGR_OP_LIST);
	req = expect_op("GET", "/vms/web", "", MGR_OP_GET);
	CHECK(!strcmp(req.name, "web"));
	req = expect_op("DELETE", "/vms/web-1.a_b", "", MGR_OP_DELETE);
	CHECK(!strcmp(req.name, "web-1.a_b"));
	expect_fault("POST", "/vms", "", 405, "POST");
	expect_fault("PUT", "/", "", 405, "not allowed");
	expect_fault("GET", "/nothing", "", 404, "no such resource");
	expect_fault("GET", "/vmsx", "", 404, "no such resource");
	expect_fault("POST", "/vms/web", "", 405, "POST");
	expect_fault("GET", "/vms/web/actions", "", 405, "GET");
	expect_fault("GET", "/vms/", "", 400, "needs a VM name");
	expect_fault("GET", "/vms/a/b", "", 400, "not valid");
	expect_fault("GET", "/vms/..", "", 400, "not valid");
	expect_fault("GET", "/vms/../etc", "", 400, "not valid");
	expect_fault("GET", "/vms/.x", "", 400, "not valid");
	expect_fault("GET", "/vms/-x", "", 400, "not valid");
	expect_fault("GET", "/vms/a b", "", 400, "not valid");
	expect_fault("GET", "/vms/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "", 400, "not valid");
	req = expect_op("GET", "/vms/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "", MGR_OP_GET);
}

static void test_create(void)
{
	struct mgr_request req;

	req = expect_op("PUT", "/vms/web", "{\"args\": [\"--cpus\", \"2\", \"--console\", \"serial\"],"
			" \"restart\": \"on-failure\"}", MGR_OP_CREATE);
	CHECK_EQ(req.nr_args, 4);
	CHECK(req.args && !strcmp(req.args[3], "serial") && req.args[4] == NULL);
	CHECK_EQ(req.restart, MGR_RESTART_ON_FAILURE);
	mgr_request_clear(&req);
	req = expect_op("PUT", "/vms/web", "{\"args\": []}", MGR_OP_CREATE);
	CHECK_EQ(req.nr_args, 0);
	CHECK_EQ(req.restart, MGR_RESTART_NO);
	mgr_request_clear(&req);

	expect_fault("PUT", "/vms/web", "", 400, "empty request body");
	expect_fault("PUT", "/vms/web", "{\"args\": [", 400, "JSON");
	expect_fault("PUT", "/vms/web", "[]", 400, "object");
	expect_fault("PUT", "/vms/web", "{}", 400, "missing required field 'args'");
	expect_fault("PUT", "/vms/web", "{\"args\": [], \"cpus\": 1}", 400, "unknown field 'cpus'");
	expect_fault("PUT", "/vms/web", "{\"args\": \"-c 1\"}", 400, "'args' must be an array");
	expect_fault("PUT", "/vms/web", "{\"args\": [1]}", 400, "item 0 is not a string");
	expect_fault("PUT", "/vms/web", "{\"args\": [\"a\\u0000b\"]}", 400, "NUL");
	expect_fault("PUT", "/vms/web", "{\"args\": [], \"restart\": true}", 400, "'restart' must be a string");
	expect_fault("PUT", "/vms/web", "{\"args\": [], \"restart\": \"never\"}", 400, "unknown value 'never'");
	expect_fault("PUT", "/vms/web", "{\"args\": [\"--api-sock\", \"/x\"]}", 400, "--api-sock");
	expect_fault("PUT", "/vms/web", "{\"args\": [\"--api-sock=/x\"]}", 400, "--api-sock");
	expect_fault("PUT", "/vms/web", "{\"args\": [\"--api\"]}", 400, "--api-sock");
	expect_fault("PUT", "/vms/web", "{\"args\": [\"--console-sock\", \"/x\"]}", 400, "--console-sock");
	expect_fault("PUT", "/vms/web", "{\"args\": [\"--status\"]}", 400, "--status-file");
	expect_fault("PUT", "/vms/web", "{\"args\": [\"--dry-run\"]}", 400, "--dry-run");
	expect_fault("PUT", "/vms/web", "{\"args\": [\"-vh\"]}", 400, "--help");
	expect_fault("PUT", "/vms/a/b", "{\"args\": []}", 400, "not valid");
}

static void test_owned_options(void)
{
	CHECK(mgr_owned_option("--console") == NULL);
	CHECK(mgr_owned_option("--cpus") == NULL);
	CHECK(mgr_owned_option("-v") == NULL);
	CHECK(mgr_owned_option("-k") == NULL);
	CHECK(mgr_owned_option("2") == NULL);
	CHECK(mgr_owned_option("--") == NULL);
	CHECK(!strcmp(mgr_owned_option("--console-s") ?: "", "console-sock"));
	CHECK(!strcmp(mgr_owned_option("--he") ?: "", "help"));
	CHECK(!strcmp(mgr_owned_option("-h") ?: "", "help"));
}

static void test_actions(void)
{
	struct mgr_request req;

	req = expect_op("PUT", "/vms/web/actions", "{\"action\": \"stop\"}", MGR_OP_ACTION);
	CHECK_EQ(req.action, MGR_ACTION_STOP);
	CHECK_EQ(req.timeout_ms, MGR_STOP_TIMEOUT_MS);
	req = expect_op("PUT", "/vms/web/actions", "{\"action\": \"stop\", \"timeout_ms\": 0}", MGR_OP_ACTION);
	CHECK_EQ(req.timeout_ms, 0);
	req = expect_op("PUT", "/vms/web/actions", "{\"action\": \"resume\"}", MGR_OP_ACTION);
	CHECK_EQ(req.action, MGR_ACTION_RESUME);
	CHECK(!strcmp(req.name, "web"));
	expect_fault("PUT", "/vms/web/actions", "{\"action\": \"reboot\"}", 400, "unknown value 'reboot'");
	expect_fault("PUT", "/vms/web/actions", "{\"action\": [\"stop\"]}", 400, "must be a string");
	expect_fault("PUT", "/vms/web/actions", "{}", 400, "missing required field 'action'");
	expect_fault("PUT", "/vms/web/actions", "{\"action\": \"stop\", \"timeout_ms\": 1.5}", 400, "integer");
	expect_fault("PUT", "/vms/web/actions", "{\"action\": \"stop\", \"timeout_ms\": 3600001}", 400, "0 to");
	expect_fault("PUT", "/vms/web/actions", "{\"action\": \"kill\", \"timeout_ms\": 1}", 400, "only for stop");
	expect_fault("PUT", "/vms/web/actions", "{\"action\": \"kill\", \"now\": 1}", 400, "unknown field 'now'");
}

static void test_snapshot(void)
{
	struct mgr_request req;

	req = expect_op("PUT", "/vms/web/snapshot", "{\"snapshot_dir\": \"/srv/snap\"}", MGR_OP_SNAPSHOT);
	CHECK(!strcmp(req.name, "web"));
	CHECK(!strcmp(req.snapshot_dir, "/srv/snap"));
	CHECK(!req.resume);
	mgr_request_clear(&req);
	req = expect_op("PUT", "/vms/web/snapshot", "{\"snapshot_dir\": \"/s\", \"resume\": true}", MGR_OP_SNAPSHOT);
	CHECK(req.resume);
	mgr_request_clear(&req);
	expect_fault("GET", "/vms/web/snapshot", "", 405, "GET");
	expect_fault("PUT", "/vms/web/snapshot", "", 400, "empty request body");
	expect_fault("PUT", "/vms/web/snapshot", "{}", 400, "missing required field 'snapshot_dir'");
	expect_fault("PUT", "/vms/web/snapshot", "{\"snapshot_dir\": \"rel\"}", 400, "absolute path");
	expect_fault("PUT", "/vms/web/snapshot", "{\"snapshot_dir\": \"\"}", 400, "empty");
	expect_fault("PUT", "/vms/web/snapshot", "{\"snapshot_dir\": \"/a\\u0000b\"}", 400, "NUL");
	expect_fault("PUT", "/vms/web/snapshot", "{\"snapshot_dir\": 1}", 400, "must be a string");
	expect_fault("PUT", "/vms/web/snapshot", "{\"snapshot_dir\": \"/s\", \"resume\": 1}", 400, "true or false");
	expect_fault("PUT", "/vms/web/snapshot", "{\"snapshot_dir\": \"/s\", \"mem\": 1}", 400, "unknown field 'mem'");
	expect_fault("PUT", "/vms/.x/snapshot", "{\"snapshot_dir\": \"/s\"}", 400, "not valid");
}

static void test_migrate(void)
{
	struct mgr_request req;

	req = expect_op("PUT", "/vms/web/migrate", "{\"destination\": \"tcp://10.0.0.2:4444\"}", MGR_OP_MIGRATE);
	CHECK(!strcmp(req.destination, "tcp://10.0.0.2:4444"));
	CHECK_EQ(req.downtime_ms, 0);
	CHECK_EQ(req.max_rounds, 0);
	mgr_request_clear(&req);
	req = expect_op("PUT", "/vms/web/migrate",
			"{\"destination\": \"tcp://h:1\", \"downtime_ms\": 20, \"max_rounds\": 0}", MGR_OP_MIGRATE);
	CHECK_EQ(req.downtime_ms, 20);
	mgr_request_clear(&req);
	req = expect_op("GET", "/vms/web/migrate", "", MGR_OP_MIGRATE_STATUS);
	CHECK(!strcmp(req.name, "web"));
	expect_fault("DELETE", "/vms/web/migrate", "", 405, "DELETE");
	expect_fault("PUT", "/vms/web/migrate", "{}", 400, "missing required field 'destination'");
	expect_fault("PUT", "/vms/web/migrate", "{\"destination\": \"unix:/x\"}", 400, "expected tcp://HOST:PORT");
	expect_fault("PUT", "/vms/web/migrate", "{\"destination\": \"tcp://h:1\", \"downtime_ms\": 0}", 400, "1 to 60000");
	expect_fault("PUT", "/vms/web/migrate", "{\"destination\": \"tcp://h:1\", \"downtime_ms\": 1.5}", 400,
		     "must be an integer");
	expect_fault("PUT", "/vms/web/migrate", "{\"destination\": \"tcp://h:1\", \"max_rounds\": 1001}", 400,
		     "0 to 1000");
	expect_fault("PUT", "/vms/web/migrate", "{\"destination\": \"tcp://h:1\", \"x\": 1}", 400, "unknown field 'x'");
	/* Sub-resources only after a name; other ones make the whole rest a (bad) name. */
	expect_fault("PUT", "/vms/web/migrate/x", "{}", 400, "not valid");
	expect_fault("GET", "/vms/web/snapshots", "", 400, "not valid");
}

static void test_balloon(void)
{
	struct mgr_request req;

	req = expect_op("PATCH", "/vms/web/balloon", "{\"amount_mib\": 64}", MGR_OP_BALLOON);
	CHECK_EQ(req.amount_mib, 64);
	CHECK(!strcmp(req.name, "web"));
	mgr_request_clear(&req);
	req = expect_op("PATCH", "/vms/web/balloon", "{\"amount_mib\": 0}", MGR_OP_BALLOON);
	CHECK_EQ(req.amount_mib, 0);
	mgr_request_clear(&req);
	expect_fault("PUT", "/vms/web/balloon", "{\"amount_mib\": 1}", 405, "PUT");
	expect_fault("GET", "/vms/web/balloon", "", 405, "GET");
	expect_fault("PATCH", "/vms/web/balloon", "{}", 400, "missing required field 'amount_mib'");
	expect_fault("PATCH", "/vms/web/balloon", "{\"amount_mib\": -1}", 400, "0 to 16777215");
	expect_fault("PATCH", "/vms/web/balloon", "{\"amount_mib\": \"1\"}", 400, "must be an integer");
	expect_fault("PATCH", "/vms/web/balloon", "{\"amount_mib\": 1, \"x\": 2}", 400, "unknown field 'x'");
	expect_fault("PATCH", "/vms/web/balloon", "", 400, "empty request body");
}

static void test_names_and_paths(void)
{
	char buf[128];

	CHECK(manager_name_valid("a"));
	CHECK(manager_name_valid("web-1.prod_2"));
	CHECK(!manager_name_valid(""));
	CHECK(!manager_name_valid(".."));
	CHECK(!manager_name_valid("a/b"));
	CHECK(!manager_name_valid("-a"));
	CHECK_EQ(manager_vm_path("/s", "web", "api.sock", buf, sizeof(buf)), 0);
	CHECK(!strcmp(buf, "/s/vms/web/api.sock"));
	CHECK(manager_vm_path("/s", "../x", NULL, buf, sizeof(buf)) < 0);
	CHECK(manager_vm_path("/s", "web", "api.sock", buf, 8) < 0);
	CHECK_EQ(manager_state_dir("/given", buf, sizeof(buf)), 0);
	CHECK(!strcmp(buf, "/given"));
}

TEST_MAIN(test_routes, test_create, test_owned_options, test_actions, test_snapshot, test_migrate,
	  test_balloon, test_names_and_paths)
