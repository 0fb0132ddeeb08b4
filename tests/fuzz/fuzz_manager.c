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

#include "manager/daemon_routes.h"
#include "manager/state_dir.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const methods[] = { "GET", "PUT", "PATCH", "POST", "DELETE" };
	struct api_response resp = { 0 };
	struct mgr_request req;
	const uint8_t *nl;
	char url[512];
	size_t url_len;

	if (size < 1 || size > API_MAX_BODY)
		return 0;
	nl = memchr(data + 1, '\n', size - 1);
	if (!nl)
		return 0;
	url_len = (size_t)(nl - (data + 1));
	if (url_len >= sizeof(url))
		return 0;
	memcpy(url, data + 1, url_len);
	url[url_len] = '\0';

	const char *body = (const char *)nl + 1;
	size_t body_len = size - (size_t)(nl + 1 - data);
	int status = mgr_route(methods[data[0] % 5], url, body, body_len, &req, &resp);

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
