// SPDX-License-Identifier: MIT
/*
 * The manager API's snapshot and migrate requests, carried out through the
 * VM's own API (docs/snapshot.md, docs/migration.md):
 *   PUT /vms/{name}/snapshot   pause, PUT /snapshot/create, resume if asked
 *   PUT /vms/{name}/migrate    PUT /vessel/migrate; the migration runs on
 *   GET /vms/{name}/migrate    GET /vessel/migrate, kept after the VM ended
 * When a migration completes, the monitor exits 0 with a "migrated" exit
 * record and the supervisor marks the VM migrated (never restarted).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <json-c/json.h>

#include "manager/daemon.h"
#include "snapshot/snapshot.h"

#define MGR_MIGRATION_JSON_MAX 4096

static char *mgr_json_body(struct json_object *obj)
{
	char *s = strdup(json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));

	json_object_put(obj);
	return s;
}

/* The snapshot directory, created if missing (by the daemon, as the monitor that writes into it runs as it). */
static int mgr_snapshot_dir(const char *dir, struct api_response *resp)
{
	struct stat st;

	if (mkdir(dir, 0700) && errno != EEXIST)
		return api_response_error(resp, 400, "snapshot: cannot create %s: %s", dir, strerror(errno));
	if (stat(dir, &st))
		return api_response_error(resp, 400, "snapshot: %s: %s", dir, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return api_response_error(resp, 400, "snapshot: %s is not a directory", dir);
	return 0;
}

static void mgr_snapshot_locked(struct mgr_daemon *d, struct mgr_vm *vm, const struct mgr_request *req,
				struct api_response *resp)
{
	struct json_object *body = json_object_new_object();
	char path[PATH_MAX + 16], msg[512], *text;
	long status = 0;
	int ret;

	if (vm->state == MGR_VM_RUNNING && mgr_api_set_paused(d, vm, true, resp))
		return;
	json_object_object_add(body, "snapshot_type", json_object_new_string("Full"));
	snprintf(path, sizeof(path), "%s/%s", req->snapshot_dir, SNAPSHOT_STATE_FILE);
	json_object_object_add(body, "snapshot_path", json_object_new_string(path));
	snprintf(path, sizeof(path), "%s/%s", req->snapshot_dir, SNAPSHOT_MEM_FILE);
	json_object_object_add(body, "mem_file_path", json_object_new_string(path));
	text = mgr_json_body(body);
	if (!text) {
		api_response_error(resp, 500, "out of memory");
		return;
	}
	ret = mgr_api_call_vm(d, vm, "PUT", "/snapshot/create", text, MGR_SNAPSHOT_TIMEOUT_MS, &status, msg,
			      sizeof(msg));
	free(text);
	if (ret)
		api_response_error(resp, 502, "VM '%s': snapshot: its API does not answer: %s", vm->name, msg);
	else if (status != 204)
		api_response_error(resp, status == 400 ? 400 : 502, "VM '%s': snapshot: %s", vm->name, msg);
	else
		mgr_log("%s: snapshot written to %s", vm->name, req->snapshot_dir);
	/* Resumed as asked even if the snapshot failed: the VM goes on as before. */
	if (req->resume && vm->state == MGR_VM_PAUSED) {
		struct api_response again = { 0 };

		if (!resp->status)
			mgr_api_set_paused(d, vm, false, resp);
		else if (mgr_api_set_paused(d, vm, false, &again))
			mgr_log("%s: not resumed after the failed snapshot: %s", vm->name, again.body);
		api_response_clear(&again);
	}
	if (!resp->status)
		mgr_api_reply_vm(resp, 200, vm);
}

void mgr_snapshot(struct mgr_daemon *d, const struct mgr_request *req, struct api_response *resp)
{
	struct mgr_vm *vm;

	if (mgr_snapshot_dir(req->snapshot_dir, resp))
		return;
	pthread_mutex_lock(&d->lock);
	vm = mgr_vm_find_live(d, req->name, "can be snapshotted", resp);
	if (vm && vm->snapshotting) {
		api_response_error(resp, 409, "VM '%s': a snapshot is being taken already", vm->name);
	} else if (vm) {
		vm->snapshotting = true;
		mgr_snapshot_locked(d, vm, req, resp);
		vm->snapshotting = false;
	}
	pthread_mutex_unlock(&d->lock);
}

void mgr_migrate(struct mgr_daemon *d, const struct mgr_request *req, struct api_response *resp)
{
	struct json_object *body = json_object_new_object();
	struct mgr_vm *vm;
	char *text;

	json_object_object_add(body, "destination", json_object_new_string(req->destination));
	if (req->downtime_ms)
		json_object_object_add(body, "downtime_ms", json_object_new_int64(req->downtime_ms));
	if (req->max_rounds)
		json_object_object_add(body, "max_rounds", json_object_new_int64(req->max_rounds));
	text = mgr_json_body(body);
	if (!text) {
		api_response_error(resp, 500, "out of memory");
		return;
	}
	pthread_mutex_lock(&d->lock);
	vm = mgr_vm_find_live(d, req->name, "can be migrated", resp);
	/* The VM says 400 for a bad destination and for a migration under way (or completed). */
	if (!vm || mgr_api_forward_vm(d, vm, "PUT", "/vessel/migrate", text, "in progress", resp))
		goto out;
	free(vm->migration);
	vm->migration = NULL;
	mgr_log("%s: migrating to %s", vm->name, req->destination);
	mgr_api_reply_vm(resp, 202, vm);
out:
	pthread_mutex_unlock(&d->lock);
	free(text);
}

void mgr_migrate_status(struct mgr_daemon *d, const struct mgr_request *req, struct api_response *resp)
{
	struct mgr_vm *vm;
	char *msg;
	long status = 0;
	int ret = -ESRCH;

	msg = malloc(MGR_MIGRATION_JSON_MAX);
	if (!msg) {
		api_response_error(resp, 500, "out of memory");
		return;
	}
	pthread_mutex_lock(&d->lock);
	vm = mgr_vm_find(d, req->name);
	if (!vm) {
		api_response_error(resp, 404, "no VM named '%s'", req->name);
		goto out;
	}
	if (mgr_vm_is_active(vm))
		ret = mgr_api_call_vm(d, vm, "GET", "/vessel/migrate", NULL, MGR_VM_API_TIMEOUT_MS, &status, msg,
				      MGR_MIGRATION_JSON_MAX);
	if (!ret && status == 200) {
		/* Kept: once a completed migration's report has been read, the VM ends. */
		free(vm->migration);
		vm->migration = strdup(msg);
	}
	if (vm->migration)
		api_response_set(resp, 200, strdup(vm->migration));
	else if (ret == -ESRCH)
		api_response_error(resp, 404, "VM '%s' is %s and has no migration to report", vm->name,
				   mgr_vm_state_name(vm->state));
	else if (ret)
		api_response_error(resp, 502, "VM '%s': its API does not answer: %s", vm->name, msg);
	else
		api_response_error(resp, 502, "VM '%s': %s", vm->name, msg);
out:
	pthread_mutex_unlock(&d->lock);
	free(msg);
}
