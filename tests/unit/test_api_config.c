/* SPDX-License-Identifier: MIT */
/*
 * The API's JSON mapping and routes: good resources and config files, and a
 * 400-class error naming the field for every bad type, unknown field and
 * missing required field.
 */
#include <errno.h>
#include <string.h>

#include "api/api_config.h"
#include "api_expect.h"

static void test_routes(void)
{
	expect_op("GET", "/", "", API_OP_GET_INFO);
	expect_op("GET", "/machine-config", "", API_OP_GET_MACHINE_CONFIG);
	expect_op("GET", "/vm/config", "", API_OP_GET_VM_CONFIG);
	expect_op("GET", "/vessel/status", "", API_OP_GET_STATUS);
	expect_op("PUT", "/actions", "{\"action_type\": \"InstanceStart\"}", API_OP_INSTANCE_START);
	expect_op("PUT", "/actions", "{\"action_type\": \"SendCtrlAltDel\"}", API_OP_SEND_CTRL_ALT_DEL);
	expect_op("PUT", "/actions", "{\"action_type\": \"FlushMetrics\"}", API_OP_FLUSH_METRICS);
	expect_op("PATCH", "/vm", "{\"state\": \"Paused\"}", API_OP_PAUSE);
	expect_op("PATCH", "/vm", "{\"state\": \"Resumed\"}", API_OP_RESUME);
	expect_op("PUT", "/vessel/shutdown", "{}", API_OP_SHUTDOWN);
	expect_fault("GET", "/nope", "", 404, "no such resource");
	expect_fault("GET", "/drives/a/b", "", 404, "no such resource");
	expect_fault("POST", "/actions", "{}", 405, "POST");
	expect_fault("GET", "/actions", "", 405, "GET");
	expect_fault("PUT", "/actions", "", 400, "empty request body");
	expect_fault("PUT", "/actions", "{\"action_type\": 1}", 400, "'action_type' must be a string");
	expect_fault("PUT", "/actions", "{\"action_type\": \"Boom\"}", 400, "unknown value");
	expect_fault("PUT", "/actions", "{}", 400, "missing required field 'action_type'");
	expect_fault("PUT", "/actions", "{\"action_type\": \"FlushMetrics\", \"x\": 1}", 400, "unknown field 'x'");
	expect_fault("PATCH", "/vm", "{\"state\": true}", 400, "'state' must be a string");
	expect_fault("PUT", "/vessel/shutdown", "{\"timeout_ms\": -1}", 400, "timeout_ms");
	expect_fault("PUT", "/vessel/shutdown", "{\"timeout_ms\": 1.5}", 400, "must be an integer");
	expect_fault("PUT", "/drives/", "{}", 400, "needs an id");
}

static void test_timeout_default(void)
{
	struct api_request req;
	struct api_response resp;

	CHECK_EQ(route("PUT", "/vessel/shutdown", "{}", &req, &resp), 0);
	CHECK_EQ(req.u.timeout_ms, 5000);
	CHECK_EQ(route("PUT", "/vessel/shutdown", "{\"timeout_ms\": 250}", &req, &resp), 0);
	CHECK_EQ(req.u.timeout_ms, 250);
}

static void test_bad_json(void)
{
	expect_fault("PUT", "/boot-source", "{", 400, "invalid JSON");
	expect_fault("PUT", "/boot-source", "{\"a\": }", 400, "invalid JSON");
	expect_fault("PUT", "/boot-source", "[]", 400, "expected an object");
	expect_fault("PUT", "/boot-source", "\"x\"", 400, "expected an object");
	expect_fault("PUT", "/boot-source", "{} {}", 400, "invalid JSON");
	expect_fault("PUT", "/boot-source", "{\"kernel_image_path\": \"a\\u0000b\"}", 400, "NUL");
}

static void test_boot_source(void)
{
	struct api_request req;
	struct api_response resp;

	CHECK_EQ(route("PUT", "/boot-source",
		       "{\"kernel_image_path\": \"/k\", \"boot_args\": \"console=ttyS0\", \"initrd_path\": \"/i\"}",
		       &req, &resp), 0);
	CHECK_EQ(req.op, API_OP_PUT_BOOT_SOURCE);
	CHECK(!strcmp(req.u.boot.kernel_path, "/k"));
	CHECK(!strcmp(req.u.boot.boot_args, "console=ttyS0"));
	CHECK(!strcmp(req.u.boot.initrd_path, "/i"));
	api_request_clear(&req);

	expect_fault("PUT", "/boot-source", "{\"boot_args\": \"x\"}", 400, "missing required field 'kernel_image_path'");
	expect_fault("PUT", "/boot-source", "{\"kernel_image_path\": 5}", 400, "'kernel_image_path' must be a string");
	expect_fault("PUT", "/boot-source", "{\"kernel_image_path\": \"/k\", \"boot_args\": []}", 400,
		     "'boot_args' must be a string");
	expect_fault("PUT", "/boot-source", "{\"kernel_image_path\": \"/k\", \"initrd_path\": null}", 400,
		     "'initrd_path' must be a string");
	expect_fault("PUT", "/boot-source", "{\"kernel_image_path\": \"/k\", \"kernel\": \"/k\"}", 400,
		     "unknown field 'kernel'");
}

static void test_machine_config(void)
{
	struct api_request req;
	struct api_response resp;

	CHECK_EQ(route("PUT", "/machine-config", "{\"vcpu_count\": 4, \"mem_size_mib\": 512, \"smt\": false}",
		       &req, &resp), 0);
	CHECK_EQ(req.u.machine.vcpu_count, 4);
	CHECK_EQ(req.u.machine.mem_size_mib, 512);
	CHECK_EQ(req.u.machine.hugepage_size, 0);
	CHECK_EQ(route("PUT", "/machine-config", "{\"vcpu_count\": 1, \"mem_size_mib\": 64, \"huge_pages\": \"2M\"}",
		       &req, &resp), 0);
	CHECK_EQ(req.u.machine.hugepage_size, 2u << 20);
	expect_fault("PUT", "/machine-config", "{\"vcpu_count\": 1, \"mem_size_mib\": 64, \"huge_pages\": \"4K\"}",
		     400, "'huge_pages' must be");
	expect_fault("PUT", "/machine-config", "{\"vcpu_count\": 1, \"mem_size_mib\": 65, \"huge_pages\": \"2M\"}",
		     400, "multiple of the huge page size");
	expect_fault("PUT", "/machine-config", "{\"mem_size_mib\": 512}", 400, "missing required field 'vcpu_count'");
	expect_fault("PUT", "/machine-config", "{\"vcpu_count\": 1}", 400, "missing required field 'mem_size_mib'");
	expect_fault("PUT", "/machine-config", "{\"vcpu_count\": \"1\", \"mem_size_mib\": 64}", 400,
		     "'vcpu_count' must be an integer");
	expect_fault("PUT", "/machine-config", "{\"vcpu_count\": 1, \"mem_size_mib\": 6.5}", 400,
		     "'mem_size_mib' must be an integer");
	expect_fault("PUT", "/machine-config", "{\"vcpu_count\": 1, \"mem_size_mib\": 64, \"smt\": 0}", 400,
		     "'smt' must be a boolean");
	expect_fault("PUT", "/machine-config", "{\"vcpu_count\": 1, \"mem_size_mib\": 64, \"smt\": true}", 400,
		     "only false");
	expect_fault("PUT", "/machine-config", "{\"vcpu_count\": 0, \"mem_size_mib\": 64}", 400, "vcpu_count");
	expect_fault("PUT", "/machine-config", "{\"vcpu_count\": 256, \"mem_size_mib\": 64}", 400, "vcpu_count");
	expect_fault("PUT", "/machine-config", "{\"vcpu_count\": 1, \"mem_size_mib\": 8}", 400, "mem_size_mib");
	expect_fault("PUT", "/machine-config", "{\"vcpu_count\": 1, \"mem_size_mib\": -64}", 400, "mem_size_mib");
	expect_fault("PUT", "/machine-config", "{\"vcpu_count\": 1, \"mem_size_mib\": 64, \"cpu_template\": \"T2\"}",
		     400, "unknown field 'cpu_template'");
}

static void test_drive_and_net(void)
{
	struct api_request req;
	struct api_response resp;

	CHECK_EQ(route("PUT", "/drives/root_fs", "{\"drive_id\": \"root_fs\", \"path_on_host\": \"/d\", "
		       "\"is_root_device\": true, \"is_read_only\": true}", &req, &resp), 0);
	CHECK(!strcmp(req.u.drive.drive_id, "root_fs"));
	CHECK(req.u.drive.is_root_device && req.u.drive.is_read_only);
	api_request_clear(&req);
	expect_fault("PUT", "/drives/a", "{\"drive_id\": \"b\", \"path_on_host\": \"/d\", \"is_root_device\": false}",
		     400, "does not match");
	expect_fault("PUT", "/drives/a-b", "{\"drive_id\": \"a-b\", \"path_on_host\": \"/d\", \"is_root_device\": false}",
		     400, "letters, digits");
	expect_fault("PUT", "/drives/a", "{\"drive_id\": \"a\", \"is_root_device\": false}", 400,
		     "missing required field 'path_on_host'");
	expect_fault("PUT", "/drives/a", "{\"drive_id\": \"a\", \"path_on_host\": \"/d\"}", 400,
		     "missing required field 'is_root_device'");
	expect_fault("PUT", "/drives/a", "{\"drive_id\": \"a\", \"path_on_host\": \"/d\", \"is_root_device\": \"no\"}",
		     400, "'is_root_device' must be a boolean");
	expect_fault("PUT", "/drives/a", "{\"drive_id\": \"a\", \"path_on_host\": \"/d\", \"is_root_device\": false, "
		     "\"rate_limiter\": {}}", 400, "unknown field 'rate_limiter'");

	CHECK_EQ(route("PUT", "/network-interfaces/eth0", "{\"iface_id\": \"eth0\", \"host_dev_name\": \"tap0\", "
		       "\"guest_mac\": \"06:00:ac:10:00:02\"}", &req, &resp), 0);
	CHECK(!strcmp(req.u.net.iface_id, "eth0") && !strcmp(req.u.net.host_dev_name, "tap0"));
	CHECK(req.u.net.has_mac && req.u.net.guest_mac[5] == 2);
	api_request_clear(&req);
	expect_fault("PUT", "/network-interfaces/eth0", "{\"iface_id\": \"eth0\"}", 400,
		     "missing required field 'host_dev_name'");
	expect_fault("PUT", "/network-interfaces/eth0", "{\"iface_id\": \"eth0\", \"host_dev_name\": \"a,b\"}", 400,
		     "host_dev_name");
	expect_fault("PUT", "/network-interfaces/eth0", "{\"iface_id\": \"eth0\", \"host_dev_name\": "
		     "\"averyveryverylongname\"}", 400, "host_dev_name");
	expect_fault("PUT", "/network-interfaces/eth0", "{\"iface_id\": \"eth0\", \"host_dev_name\": \"t\", "
		     "\"guest_mac\": \"01:00:00:00:00:01\"}", 400, "guest_mac");
	expect_fault("PUT", "/network-interfaces/eth0", "{\"iface_id\": \"eth1\", \"host_dev_name\": \"t\"}", 400,
		     "does not match");
	expect_fault("PUT", "/network-interfaces/eth0", "{\"iface_id\": 0, \"host_dev_name\": \"t\"}", 400,
		     "'iface_id' must be a string");
	/* vessel's "queues": a multiqueue TAP's queue pairs. */
	CHECK_EQ(route("PUT", "/network-interfaces/eth0", "{\"iface_id\": \"eth0\", \"host_dev_name\": \"tap0\", "
		       "\"queues\": 4}", &req, &resp), 0);
	CHECK_EQ(req.u.net.queues, 4);
	api_request_clear(&req);
	expect_fault("PUT", "/network-interfaces/eth0", "{\"iface_id\": \"eth0\", \"host_dev_name\": \"t\", "
		     "\"queues\": 0}", 400, "'queues' must be 1 to 8");
	expect_fault("PUT", "/network-interfaces/eth0", "{\"iface_id\": \"eth0\", \"host_dev_name\": \"t\", "
		     "\"queues\": 9}", 400, "'queues' must be 1 to 8");
	expect_fault("PUT", "/network-interfaces/eth0", "{\"iface_id\": \"eth0\", \"host_dev_name\": \"t\", "
		     "\"queues\": \"4\"}", 400, "'queues' must be");
}

static void test_config_apply(void)
{
	static const char file[] =
		"{\"boot-source\": {\"kernel_image_path\": \"/vmlinux\", \"boot_args\": \"console=ttyS0\"},"
		" \"machine-config\": {\"vcpu_count\": 2, \"mem_size_mib\": 1024},"
		" \"drives\": [{\"drive_id\": \"rootfs\", \"path_on_host\": \"/r.img\", \"is_root_device\": true,"
		"               \"is_read_only\": false},"
		"              {\"drive_id\": \"a_very_long_drive_id_here\", \"path_on_host\": \"/s.img\","
		"               \"is_root_device\": false, \"is_read_only\": true}],"
		" \"network-interfaces\": [{\"iface_id\": \"eth0\", \"host_dev_name\": \"tap7\", \"queues\": 2}]}";
	struct vm_config base = { .nr_cpus = 8, .mem_size = 64ULL << 20, .initrd_path = "/cli-initrd" };
	struct api_config cfg;
	struct json_object *out;
	char err[256] = "";

	api_config_init(&cfg, &base, 0x1234);
	CHECK_EQ(api_config_apply_json(&cfg, file, strlen(file), err, sizeof(err)), 0);
	if (err[0])
		fprintf(stderr, "config: %s\n", err);
	CHECK(!strcmp(cfg.vm.kernel_path, "/vmlinux"));
	CHECK(cfg.vm.initrd_path == NULL);     /* boot-source replaces all three */
	CHECK(!strcmp(cfg.vm.cmdline, "console=ttyS0"));
	CHECK_EQ(cfg.vm.nr_cpus, 2);
	CHECK_EQ(cfg.vm.mem_size, 1024ULL << 20);
	CHECK_EQ(cfg.vm.nr_disks, 2);
	CHECK(!strcmp(cfg.vm.disks[0].path, "/r.img") && !cfg.vm.disks[0].readonly);
	CHECK(!strcmp(cfg.vm.disks[0].serial, "rootfs"));
	CHECK(cfg.vm.disks[1].readonly && cfg.vm.disks[1].serial == NULL);    /* id too long for a serial */
	CHECK_EQ(cfg.vm.nr_nets, 1);
	CHECK(cfg.vm.nets[0].type == NET_TAP && !strcmp(cfg.vm.nets[0].ifname, "tap7"));
	CHECK_EQ(cfg.vm.nets[0].mac[0], 0x52);
	CHECK_EQ(cfg.vm.nets[0].queues, 2);

	/* The drive updated in place keeps its position. */
	struct api_drive d = { .drive_id = strdup("rootfs"), .path_on_host = strdup("/r2.img") };
	CHECK_EQ(api_config_put_drive(&cfg, &d, err, sizeof(err)), 0);
	CHECK_EQ(cfg.vm.nr_disks, 2);
	CHECK(!strcmp(cfg.vm.disks[0].path, "/r2.img"));

	out = api_config_to_json(&cfg);
	const char *text = json_object_to_json_string_ext(out, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	CHECK(strstr(text, "\"drives\":[{\"drive_id\":\"rootfs\",\"path_on_host\":\"/r2.img\""));
	CHECK(strstr(text, "\"vcpu_count\":2"));
	CHECK(strstr(text, "\"host_dev_name\":\"tap7\""));
	CHECK(strstr(text, "\"queues\":2"));
	/* What GET /vm/config gives is a config file that loads again (nulls aside). */
	struct api_config again;
	api_config_init(&again, &base, 1);
	json_object_object_del(json_object_object_get(out, "boot-source"), "initrd_path");
	text = json_object_to_json_string(out);
	CHECK_EQ(api_config_apply_json(&again, text, strlen(text), err, sizeof(err)), 0);
	CHECK_EQ(again.vm.nr_disks, 2);
	CHECK(!strcmp(again.vm.disks[0].path, "/r2.img"));
	CHECK_EQ(again.vm.nets[0].queues, 2);
	api_config_free(&again);
	json_object_put(out);
	api_config_free(&cfg);
}

static void expect_file_error(const char *text, const char *msg)
{
	struct vm_config base = { .nr_cpus = 1, .mem_size = 64ULL << 20 };
	struct api_config cfg;
	char err[256] = "";

	api_config_init(&cfg, &base, 1);
	CHECK(api_config_apply_json(&cfg, text, strlen(text), err, sizeof(err)) < 0);
	if (!strstr(err, msg)) {
		fprintf(stderr, "config %s: message '%s' lacks '%s'\n", text, err, msg);
		CHECK(0);
	}
	api_config_free(&cfg);
}

static void test_config_file_errors(void)
{
	expect_file_error("{\"boot_source\": {}}", "unknown field 'boot_source'");
	expect_file_error("{\"drives\": {}}", "'drives' must be an array");
	expect_file_error("{\"drives\": [1]}", "expected a JSON object");
	expect_file_error("{\"drives\": [{\"drive_id\": \"a\", \"path_on_host\": \"/a\", \"is_root_device\": true},"
			  " {\"drive_id\": \"b\", \"path_on_host\": \"/b\", \"is_root_device\": true}]}",
			  "root device");
	expect_file_error("{\"machine-config\": {\"vcpu_count\": 1}}", "'mem_size_mib'");
	expect_file_error("{\"network-interfaces\": [{\"iface_id\": \"a\", \"host_dev_name\": \"t\"},"
			  "{\"iface_id\": \"b\", \"host_dev_name\": \"t\"}, {\"iface_id\": \"c\", \"host_dev_name\": \"t\"},"
			  "{\"iface_id\": \"d\", \"host_dev_name\": \"t\"}, {\"iface_id\": \"e\", \"host_dev_name\": \"t\"}]}",
			  "at most");
	expect_file_error("", "invalid JSON");
}

TEST_MAIN(test_routes, test_timeout_default, test_bad_json, test_boot_source, test_machine_config,
	  test_drive_and_net, test_config_apply, test_config_file_errors)
