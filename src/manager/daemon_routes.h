/* SPDX-License-Identifier: MIT */
/*
 * The manager API's routes: method + path + body -> a parsed request, or an
 * error answer at once (404 unknown path, 405 wrong method, 400 bad name or
 * body). Pure parsing, no state and no sockets: the fuzz target drives it.
 * Errors are {"fault_message": "..."}, as in the per-VM API (docs/api.md).
 */
#ifndef VESSEL_MANAGER_DAEMON_ROUTES_H
#define VESSEL_MANAGER_DAEMON_ROUTES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "api/api_request.h"
#include "manager/state_dir.h"

#define MGR_ARGS_MAX        64          /* vessel run options in one definition */
#define MGR_ARG_LEN_MAX     4096
#define MGR_STOP_TIMEOUT_MS 10000       /* stop's default: power button, then forced */
#define MGR_TIMEOUT_MAX_MS  (3600 * 1000)
#define MGR_DIR_LEN_MAX     4000        /* a snapshot directory: room for "/vm.state" within PATH_MAX */
#define MGR_DEST_LEN_MAX    255         /* a migration destination, tcp://HOST:PORT */
#define MGR_DOWNTIME_MAX_MS 60000
#define MGR_ROUNDS_MAX      1000

enum mgr_op {
	MGR_OP_NONE = 0,
	MGR_OP_INFO,                /* GET / */
	MGR_OP_LIST,                /* GET /vms */
	MGR_OP_GET,                 /* GET /vms/{name} */
	MGR_OP_CREATE,              /* PUT /vms/{name} */
	MGR_OP_DELETE,              /* DELETE /vms/{name} */
	MGR_OP_ACTION,              /* PUT /vms/{name}/actions */
	MGR_OP_SNAPSHOT,            /* PUT /vms/{name}/snapshot */
	MGR_OP_MIGRATE,             /* PUT /vms/{name}/migrate */
	MGR_OP_MIGRATE_STATUS,      /* GET /vms/{name}/migrate */
	MGR_OP_BALLOON,             /* PATCH /vms/{name}/balloon {"amount_mib": N}: the VM's PATCH /balloon */
};

enum mgr_action { MGR_ACTION_START, MGR_ACTION_STOP, MGR_ACTION_KILL, MGR_ACTION_PAUSE, MGR_ACTION_RESUME };

enum mgr_restart { MGR_RESTART_NO, MGR_RESTART_ON_FAILURE, MGR_RESTART_ALWAYS };

struct mgr_request {
	enum mgr_op op;
	char name[MANAGER_NAME_MAX + 1];
	/* MGR_OP_CREATE */
	char **args;
	int nr_args;
	enum mgr_restart restart;
	bool reserve;
	/* MGR_OP_ACTION */
	enum mgr_action action;
	uint32_t timeout_ms;
	/* MGR_OP_SNAPSHOT: an absolute directory for vm.state and vm.mem */
	char *snapshot_dir;
	bool resume;
	/* MGR_OP_MIGRATE: tcp://HOST:PORT; 0 for the VM's defaults */
	char *destination;
	uint32_t downtime_ms;
	uint32_t max_rounds;
	/* MGR_OP_BALLOON: the balloon's new target */
	uint32_t amount_mib;
};

/* 0: req is filled (clear it after); otherwise resp holds the error answer and its status is returned. */
int mgr_route(const char *method, const char *url, const char *body, size_t len,
	      struct mgr_request *req, struct api_response *resp);

void mgr_request_clear(struct mgr_request *req);

/* "no", "on-failure", "always"; and back (-EINVAL for an unknown name). */
const char *mgr_restart_name(enum mgr_restart restart);
int mgr_restart_parse(const char *name, enum mgr_restart *out);
const char *mgr_action_name(enum mgr_action action);

/*
 * Is arg an option of `vessel run` that the manager sets itself
 * (--api-sock, --console-sock, --status-file, --dry-run, --help), or an
 * abbreviation getopt would take for one? Then the definition is refused.
 */
const char *mgr_owned_option(const char *arg);

#endif
