/* SPDX-License-Identifier: MIT */
/*
 * What the manager's CLI verbs (vessel create, start, stop, kill, pause,
 * resume, ls, rm) share: finding the daemon's socket, one request to it,
 * and turning its answers into messages and exit statuses (0 done, 1 the
 * daemon refused or is not running, 2 bad command line).
 */
#ifndef VESSEL_MANAGER_CLI_CLIENT_H
#define VESSEL_MANAGER_CLI_CLIENT_H

#include <limits.h>
#include <stdbool.h>

struct json_object;

#define CLI_EXIT_FAILED 1

struct mgr_client {
	char sock[PATH_MAX];        /* <state>/vesseld.sock */
};

/* Resolves the state directory (--state-dir's value or NULL). 0, or prints why and returns 1. */
int mgr_client_init(struct mgr_client *c, const char *state_override);

/*
 * One request. 0 with *out (the answer's JSON, NULL for none; put it after)
 * for a 2xx answer; otherwise prints "vessel: <the daemon's message>" (or
 * that the daemon is not running) unless quiet, and returns 1. *http gets
 * the HTTP status (0 if there was no answer) when not NULL.
 */
int mgr_client_call(struct mgr_client *c, const char *method, const char *path, const char *body,
		    struct json_object **out, long *http, bool quiet);
/* The same, waiting up to timeout_ms for the answer (mgr_client_call: 30 s). */
int mgr_client_call_timeout(struct mgr_client *c, const char *method, const char *path, const char *body,
			    int timeout_ms, struct json_object **out, long *http, bool quiet);

/* GET /vms/NAME's "state", polled until it is none of running, paused, stopping; 0 or 1 on timeout. */
int mgr_client_wait_stopped(struct mgr_client *c, const char *name, int timeout_ms, bool progress,
			    struct json_object **last);

/* Prints a usage error for verb ("vessel: <msg>\nTry 'vessel <verb> --help'.") and returns 2. */
int mgr_client_usage(const char *verb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
