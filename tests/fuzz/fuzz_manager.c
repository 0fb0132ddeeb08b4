/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the manager API's request parsing and routing
 * (src/manager/daemon_routes.c): input is METHOD_BYTE URL '\n' BODY. What
 * the router accepts must be safe to act on: a valid VM name, string args
 * none of which is an option the manager owns, an absolute snapshot
 * directory, a tcp:// destination and bounded migration parameters.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_http.h"
#include "manager/daemon_routes.h"
#include "manager/state_dir.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct api_response resp = { 0 };
	struct mgr_request req;
	struct fuzz_http in;

	if (!fuzz_http_split(data, size, &in))
		return 0;
	int status = mgr_route(in.method, in.url, in.body, in.body_len, &req, &resp);

	if (status == 0) {
		if (req.op >= MGR_OP_GET && !manager_name_valid(req.name))
			abort();
		for (int i = 0; i < req.nr_args; i++)
			if (!req.args[i] || mgr_owned_option(req.args[i]))
				abort();
		/* A snapshot goes to an absolute directory, a migration to tcp://, within their bounds. */
		if (req.op == MGR_OP_SNAPSHOT && (!req.snapshot_dir || req.snapshot_dir[0] != '/' ||
						  strlen(req.snapshot_dir) > MGR_DIR_LEN_MAX))
			abort();
		if (req.op == MGR_OP_MIGRATE && (!req.destination || strncmp(req.destination, "tcp://", 6) ||
						 strlen(req.destination) > MGR_DEST_LEN_MAX ||
						 req.downtime_ms > MGR_DOWNTIME_MAX_MS || req.max_rounds > MGR_ROUNDS_MAX))
			abort();
		if (resp.body)
			abort();
	} else if (status < 400 || status > 499 || !resp.body || !strstr(resp.body, "fault_message")) {
		abort();
	}
	mgr_request_clear(&req);
	api_response_clear(&resp);
	return 0;
}
