/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the API's request parsing and routing: input is
 * METHOD_BYTE URL '\n' BODY. The body also goes through the config-file
 * mapping and back to JSON, so every resource parser is reached.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_http.h"
#include "api/api_config.h"
#include "api/api_routes.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vm_config base = { .nr_cpus = 1, .mem_size = 64ULL << 20 };
	struct api_response resp = { 0 };
	struct api_request req;
	struct api_config cfg;
	char err[256];
	struct fuzz_http in;

	if (!fuzz_http_split(data, size, &in))
		return 0;
	if (api_route(in.method, in.url, in.body, in.body_len, &req, &resp) == 0) {
		/* Apply what a pre-boot VMM would, on a scratch config. */
		api_config_init(&cfg, &base, 1);
		if (req.op == API_OP_PUT_BOOT_SOURCE)
			api_config_set_boot_source(&cfg, &req.u.boot);
		else if (req.op == API_OP_PUT_MACHINE_CONFIG)
			api_config_set_machine(&cfg, &req.u.machine);
		else if (req.op == API_OP_PUT_DRIVE)
			(void)api_config_put_drive(&cfg, &req.u.drive, err, sizeof(err));
		else if (req.op == API_OP_PUT_NET)
			(void)api_config_put_net(&cfg, &req.u.net, err, sizeof(err));
		api_config_free(&cfg);
	}
	api_request_clear(&req);
	api_response_clear(&resp);

	api_config_init(&cfg, &base, 1);
	if (api_config_apply_json(&cfg, in.body, in.body_len, err, sizeof(err)) == 0)
		json_object_put(api_config_to_json(&cfg));
	api_config_free(&cfg);
	return 0;
}
