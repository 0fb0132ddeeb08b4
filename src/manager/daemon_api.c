// SPDX-License-Identifier: MIT
/*
 * The manager API's requests, carried out: each runs on its connection's
 * thread, holding d->lock only while it reads or changes the VM list, never
 * while it waits for a VM or a child process, so that a slow request holds
 * up no other.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <unistd.h>

#include <json-c/json.h>

#include "manager/daemon.h"

#define DRY_RUN_TIMEOUT_MS 10000
#define MGR_SOCKET_PATH_MAX 108     /* sizeof(sockaddr_un.sun_path) */

static void mgr_reply_json(struct api_response *resp, int status, struct json_object *obj)
{
	api_response_set(resp, status, strdup(json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN |
									     JSON_C_TO_STRING_NOSLASHESCAPE)));
	json_object_put(obj);
}

void mgr_api_reply_vm(struct api_response *resp, int status, const struct mgr_vm *vm)
{
	mgr_reply_json(resp, status, mgr_vm_to_json(vm));
}

static void mgr_info(struct mgr_daemon *d, struct api_response *resp)
{
	struct json_object *obj = json_object_new_object();
	int n = 0;

	for (struct mgr_vm *vm = d->vms; vm; vm = vm->next)
		n++;
	json_object_object_add(obj, "app_name", json_object_new_string("vessel"));
	json_object_object_add(obj, "version", json_object_new_string(VESSEL_VERSION));
	json_object_object_add(obj, "pid", json_object_new_int64(getpid()));
	json_object_object_add(obj, "state_dir", json_object_new_string(d->state_dir));
	json_object_object_add(obj, "vms", json_object_new_int64(n));
	json_object_object_add(obj, "resources", mgr_resources_json(d));
	mgr_reply_json(resp, 200, obj);
}

static int mgr_by_name(const void *a, const void *b)
{
	struct json_object *const *x = a, *const *y = b, *nx, *ny;

	json_object_object_get_ex(*x, "name", &nx);
	json_object_object_get_ex(*y, "name", &ny);
	return strcmp(json_object_get_string(nx), json_object_get_string(ny));
}

static void mgr_list(struct mgr_daemon *d, struct api_response *resp)
{
	struct json_object *arr = json_object_new_array();

	for (struct mgr_vm *vm = d->vms; vm; vm = vm->next)
		json_object_array_add(arr, mgr_vm_to_json(vm));
	/* Sorted by name, whatever order the directory listing or the creates came in. */
	json_object_array_sort(arr, mgr_by_name);
	mgr_reply_json(resp, 200, arr);
}

/* The first line of out that is not the JSON result, without "vessel: " and "error: ". */
static void mgr_dry_run_error(const char *out, char *msg, size_t len)
{
	const char *line = out;

	while (*line == '{' || *line == '\n') {
		line = strchr(line, '\n');
		if (!line) {
			line = "";
			break;
		}
		line++;
	}
	if (!strncmp(line, "vessel: ", 8))
		line += 8;
	if (!strncmp(line, "error: ", 7))
		line += 7;
	snprintf(msg, len, "%.*s", (int)strcspn(line, "\n"), line);
	if (!msg[0])
		snprintf(msg, len, "vessel run --dry-run failed");
}

/* Checks the definition for real with `vessel run --dry-run`; fills vcpus and memory. 0 or 400 with resp. */
static int mgr_dry_run(struct mgr_daemon *d, struct mgr_request *req, struct mgr_vm *vm,
		       struct api_response *resp)
{
	char *argv[MGR_ARGS_MAX + 4];
	struct mgr_capture *cap;
	struct json_object *obj;
	const char *json;
	char msg[512];
	int n = 0, ret;

	cap = malloc(sizeof(*cap));
	if (!cap)
		return api_response_error(resp, 500, "out of memory");
	argv[n++] = d->exe;
	argv[n++] = "run";
	argv[n++] = "--dry-run";
	for (int i = 0; i < req->nr_args; i++)
		argv[n++] = req->args[i];
	argv[n] = NULL;
	ret = mgr_exec_capture(argv, DRY_RUN_TIMEOUT_MS, cap);
	if (ret) {
		free(cap);
		return api_response_error(resp, 500, "cannot run vessel run --dry-run: %s", strerror(-ret));
	}
	if (cap->status != 0) {
		mgr_dry_run_error(cap->out, msg, sizeof(msg));
		free(cap);
		return api_response_error(resp, 400, "%s", msg);
	}
	json = strstr(cap->out, "{\"vcpus\"");
	obj = json ? json_tokener_parse(json) : NULL;
	free(cap);
	if (!obj)
		return api_response_error(resp, 500, "vessel run --dry-run printed no configuration");
	json_object_object_foreach(obj, key, val) {
		if (!strcmp(key, "vcpus"))
			vm->vcpus = (uint32_t)json_object_get_int64(val);
		else if (!strcmp(key, "mem_size_mib"))
			vm->mem_mib = (uint64_t)json_object_get_int64(val);
	}
	json_object_put(obj);
	return 0;
}

/* Unix socket paths are limited (sun_path): api.sock and console.sock must fit. */
static bool mgr_vm_socket_paths_fit(struct mgr_daemon *d, struct mgr_vm *vm)
{
	char path[PATH_MAX];

	return !mgr_vm_path(d, vm, MANAGER_VM_CONSOLE_SOCK, path, sizeof(path)) && strlen(path) < MGR_SOCKET_PATH_MAX &&
	       !mgr_vm_path(d, vm, MANAGER_VM_API_SOCK, path, sizeof(path)) && strlen(path) < MGR_SOCKET_PATH_MAX;
}

static void mgr_create(struct mgr_daemon *d, struct mgr_request *req, struct api_response *resp)
{
	struct mgr_vm *vm;
	char err[512];
	bool exists;

	pthread_mutex_lock(&d->lock);
	exists = mgr_vm_find(d, req->name);
	pthread_mutex_unlock(&d->lock);
	if (exists) {
		api_response_error(resp, 409, "VM '%s' already exists", req->name);
		return;
	}
	vm = calloc(1, sizeof(*vm));
	if (!vm) {
		api_response_error(resp, 500, "out of memory");
		return;
	}
	snprintf(vm->name, sizeof(vm->name), "%s", req->name);
	vm->pidfd = -1;
	vm->exit_status = -1;
	vm->restart = req->restart;
	if (!mgr_vm_socket_paths_fit(d, vm)) {
		api_response_error(resp, 400, "VM name '%s': its socket paths under %s would exceed %d bytes",
				   vm->name, d->state_dir, MGR_SOCKET_PATH_MAX - 1);
		mgr_vm_free(vm);
		return;
	}
	if (mgr_dry_run(d, req, vm, resp)) {
		mgr_vm_free(vm);
		return;
	}
	/* The definition takes the parsed arguments over. */
	vm->args = req->args;
	vm->nr_args = req->nr_args;
	vm->reserve = req->reserve;
	req->args = NULL;
	req->nr_args = 0;

	pthread_mutex_lock(&d->lock);
	if (mgr_vm_find(d, vm->name)) {
		api_response_error(resp, 409, "VM '%s' already exists", vm->name);
		mgr_vm_free(vm);
	} else if (vm->reserve && mgr_admit(&d->cap, d->vms, vm, err, sizeof(err))) {
		api_response_error(resp, 409, "cannot reserve for VM '%s': %s", vm->name, err);
		mgr_vm_free(vm);
	} else if (mgr_store_save_config(d, vm) || mgr_store_save_state(d, vm)) {
		api_response_error(resp, 500, "cannot write the definition of VM '%s' (see the daemon's log)", vm->name);
		mgr_store_remove(d, vm);
		mgr_vm_free(vm);
	} else {
		vm->next = d->vms;
		d->vms = vm;
		mgr_log("%s: created", vm->name);
		mgr_api_reply_vm(resp, 201, vm);
	}
	pthread_mutex_unlock(&d->lock);
}

static void mgr_delete(struct mgr_daemon *d, struct mgr_request *req, struct api_response *resp)
{
	struct mgr_vm **pp, *vm;

	pthread_mutex_lock(&d->lock);
	for (pp = &d->vms; *pp && strcmp((*pp)->name, req->name); pp = &(*pp)->next)
		;
	vm = *pp;
	if (!vm) {
		api_response_error(resp, 404, "no VM named '%s'", req->name);
	} else if (mgr_vm_is_active(vm) || vm->busy) {
		api_response_error(resp, 409, "VM '%s' is %s: stop it first", vm->name, mgr_vm_state_name(vm->state));
	} else if (mgr_store_remove(d, vm)) {
		api_response_error(resp, 500, "cannot remove the files of VM '%s' (see the daemon's log)", vm->name);
	} else {
		*pp = vm->next;
		mgr_log("%s: removed", vm->name);
		mgr_vm_free(vm);
		api_response_set(resp, 204, NULL);
	}
	pthread_mutex_unlock(&d->lock);
}

/* Without holding the lock while it waits (vm->busy keeps the VM from being deleted meanwhile). */
int mgr_api_call_vm(struct mgr_daemon *d, struct mgr_vm *vm, const char *method, const char *path,
		    const char *body, int timeout_ms, long *status, char *msg, size_t msglen)
{
	char api[PATH_MAX];
	int ret;

	ret = mgr_vm_path(d, vm, MANAGER_VM_API_SOCK, api, sizeof(api));
	if (ret) {
		snprintf(msg, msglen, "path too long");
		return ret;
	}
	vm->busy++;
	pthread_mutex_unlock(&d->lock);
	ret = mgr_vm_api_call_timeout(api, method, path, body, timeout_ms, status, msg, msglen);
	pthread_mutex_lock(&d->lock);
	vm->busy--;
	return ret;
}

struct mgr_vm *mgr_vm_find_live(struct mgr_daemon *d, const char *name, const char *can,
				struct api_response *resp)
{
	struct mgr_vm *vm = mgr_vm_find(d, name);

	if (!vm) {
		api_response_error(resp, 404, "no VM named '%s'", name);
		return NULL;
	}
	if (vm->state != MGR_VM_RUNNING && vm->state != MGR_VM_PAUSED) {
		api_response_error(resp, 409, "VM '%s' is %s: only a running or paused VM %s", vm->name,
				   mgr_vm_state_name(vm->state), can);
		return NULL;
	}
	return vm;
}

int mgr_api_forward_vm(struct mgr_daemon *d, struct mgr_vm *vm, const char *method, const char *path,
		       const char *body, const char *conflict, struct api_response *resp)
{
	char msg[512];
	long status;

	if (mgr_api_call_vm(d, vm, method, path, body, MGR_VM_API_TIMEOUT_MS, &status, msg, sizeof(msg)))
		return api_response_error(resp, 502, "VM '%s': its API does not answer: %s", vm->name, msg);
	if (status != 204)
		return api_response_error(resp, conflict && strstr(msg, conflict) ? 409 : status == 400 ? 400 : 502,
					  "VM '%s': %s", vm->name, msg);
	return 0;
}

int mgr_api_set_paused(struct mgr_daemon *d, struct mgr_vm *vm, bool pause, struct api_response *resp)
{
	enum mgr_vm_state from = pause ? MGR_VM_RUNNING : MGR_VM_PAUSED;
	char msg[512];
	long status;
	int ret;

	ret = mgr_api_call_vm(d, vm, "PATCH", "/vm", pause ? "{\"state\": \"Paused\"}" : "{\"state\": \"Resumed\"}",
			      MGR_VM_API_TIMEOUT_MS, &status, msg, sizeof(msg));
	if (ret)
		return api_response_error(resp, 502, "VM '%s': its API does not answer: %s", vm->name, msg);
	if (status != 204)
		return api_response_error(resp, status == 400 ? 409 : 502, "VM '%s': %s", vm->name, msg);
	/* Unless it ended meanwhile. */
	if (vm->state == from) {
		vm->state = pause ? MGR_VM_PAUSED : MGR_VM_RUNNING;
		mgr_store_save_state(d, vm);
	}
	mgr_log("%s: %s", vm->name, pause ? "paused" : "resumed");
	return 0;
}

static void mgr_pause_resume(struct mgr_daemon *d, struct mgr_vm *vm, bool pause, struct api_response *resp)
{
	if (vm->state != (pause ? MGR_VM_RUNNING : MGR_VM_PAUSED)) {
		api_response_error(resp, 409, "VM '%s' is %s: cannot %s it", vm->name, mgr_vm_state_name(vm->state),
				   pause ? "pause" : "resume");
		return;
	}
	if (!mgr_api_set_paused(d, vm, pause, resp))
		mgr_api_reply_vm(resp, 200, vm);
}

static void mgr_stop(struct mgr_daemon *d, struct mgr_vm *vm, uint32_t timeout_ms, struct api_response *resp)
{
	char body[64], msg[512];
	long status;
	int ret;

	vm->stop_requested = true;
	vm->state = MGR_VM_STOPPING;
	mgr_store_save_state(d, vm);
	snprintf(body, sizeof(body), "{\"timeout_ms\": %u}", timeout_ms);
	ret = mgr_api_call_vm(d, vm, "PUT", "/vessel/shutdown", body, MGR_VM_API_TIMEOUT_MS, &status, msg, sizeof(msg));
	if ((ret || status != 204) && vm->pidfd >= 0) {
		/* Its API does not answer: vessel run ends on SIGTERM as well. */
		mgr_log("%s: shutdown request failed (%s): sending SIGTERM", vm->name, msg);
		pidfd_send_signal(vm->pidfd, SIGTERM, NULL, 0);
	}
	mgr_log("%s: stopping (power button, forced after %u ms)", vm->name, timeout_ms);
	mgr_api_reply_vm(resp, 202, vm);
}

static void mgr_action(struct mgr_daemon *d, struct mgr_request *req, struct api_response *resp)
{
	struct mgr_vm *vm;
	char err[512];
	int ret;

	pthread_mutex_lock(&d->lock);
	vm = mgr_vm_find(d, req->name);
	if (!vm) {
		api_response_error(resp, 404, "no VM named '%s'", req->name);
		goto out;
	}
	if (req->action == MGR_ACTION_START) {
		if (mgr_vm_is_active(vm)) {
			api_response_error(resp, 409, "VM '%s' is already %s", vm->name, mgr_vm_state_name(vm->state));
			goto out;
		}
		/* A start by the user gives the restart policy a fresh budget. */
		vm->restarts = 0;
		memset(vm->restart_ms, 0, sizeof(vm->restart_ms));
		ret = mgr_vm_start(d, vm, err, sizeof(err));
		if (ret)
			api_response_error(resp, ret == -ENOSPC ? 409 : 500, "VM '%s': %s", vm->name, err);
		else
			mgr_api_reply_vm(resp, 200, vm);
		goto out;
	}
	if (req->action == MGR_ACTION_PAUSE || req->action == MGR_ACTION_RESUME) {
		mgr_pause_resume(d, vm, req->action == MGR_ACTION_PAUSE, resp);
		goto out;
	}
	/* stop, kill */
	if (!mgr_vm_is_active(vm)) {
		api_response_error(resp, 409, "VM '%s' is not running (%s)", vm->name, mgr_vm_state_name(vm->state));
		goto out;
	}
	if (req->action == MGR_ACTION_STOP) {
		if (vm->state == MGR_VM_STOPPING)
			api_response_error(resp, 409, "VM '%s' is already stopping", vm->name);
		else
			mgr_stop(d, vm, req->timeout_ms, resp);
		goto out;
	}
	vm->stop_requested = true;
	vm->state = MGR_VM_STOPPING;
	mgr_store_save_state(d, vm);
	if (pidfd_send_signal(vm->pidfd, SIGKILL, NULL, 0))
		mgr_log("%s: SIGKILL: %s", vm->name, strerror(errno));
	mgr_log("%s: killed", vm->name);
	mgr_api_reply_vm(resp, 202, vm);
out:
	pthread_mutex_unlock(&d->lock);
}

void mgr_api_handle(void *ctx, const char *method, const char *url, const char *body, size_t len,
		    struct api_response *resp)
{
	struct mgr_daemon *d = ctx;
	struct mgr_request req;

	if (mgr_route(method, url, body, len, &req, resp) == 0) {
		switch (req.op) {
		case MGR_OP_INFO:
			pthread_mutex_lock(&d->lock);
			mgr_info(d, resp);
			pthread_mutex_unlock(&d->lock);
			break;
		case MGR_OP_LIST:
			pthread_mutex_lock(&d->lock);
			mgr_list(d, resp);
			pthread_mutex_unlock(&d->lock);
			break;
		case MGR_OP_GET: {
			struct mgr_vm *vm;

			pthread_mutex_lock(&d->lock);
			vm = mgr_vm_find(d, req.name);
			if (vm)
				mgr_api_reply_vm(resp, 200, vm);
			else
				api_response_error(resp, 404, "no VM named '%s'", req.name);
			pthread_mutex_unlock(&d->lock);
			break;
		}
		case MGR_OP_CREATE: mgr_create(d, &req, resp); break;
		case MGR_OP_DELETE: mgr_delete(d, &req, resp); break;
		case MGR_OP_ACTION: mgr_action(d, &req, resp); break;
		case MGR_OP_SNAPSHOT: mgr_snapshot(d, &req, resp); break;
		case MGR_OP_MIGRATE: mgr_migrate(d, &req, resp); break;
		case MGR_OP_MIGRATE_STATUS: mgr_migrate_status(d, &req, resp); break;
		case MGR_OP_BALLOON: mgr_balloon(d, &req, resp); break;
		default: api_response_error(resp, 500, "unhandled request"); break;
		}
	}
	if (resp->status >= 400)
		mgr_log("%.16s %.200s: %d %s", method, url, resp->status, resp->body ? resp->body : "");
	else if (d->verbose)
		mgr_log("%.16s %.200s: %d", method, url, resp->status);
	mgr_request_clear(&req);
}
