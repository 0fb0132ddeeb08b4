// SPDX-License-Identifier: MIT
/*
 * Definitions and supervision state on disk, one directory per VM:
 * config.json (the definition, written once at create), state.json (written
 * on every change) and exit.json (written by the monitor itself at exit).
 * Writes go to a temporary file renamed over the old one, so a daemon
 * killed at any point leaves either the old or the new file.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "manager/daemon.h"

static int mgr_store_write(const char *path, struct json_object *obj)
{
	const char *text = json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PRETTY |
							  JSON_C_TO_STRING_NOSLASHESCAPE);
	size_t len = strlen(text);
	char tmp[PATH_MAX];
	int fd, ret = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	if (write(fd, text, len) != (ssize_t)len || write(fd, "\n", 1) != 1)
		ret = errno ? -errno : -EIO;
	if (close(fd) && !ret)
		ret = -errno;
	if (!ret && rename(tmp, path))
		ret = -errno;
	if (ret)
		unlink(tmp);
	return ret;
}

static int mgr_store_write_file(struct mgr_daemon *d, const struct mgr_vm *vm, const char *file,
				struct json_object *obj)
{
	char path[PATH_MAX];
	int ret = mgr_vm_path(d, vm, file, path, sizeof(path));

	if (!ret)
		ret = mgr_store_write(path, obj);
	if (ret)
		mgr_log("%s: cannot write %s: %s", vm->name, file, strerror(-ret));
	json_object_put(obj);
	return ret;
}

int mgr_store_save_config(struct mgr_daemon *d, const struct mgr_vm *vm)
{
	struct json_object *obj = json_object_new_object(), *args = json_object_new_array();
	char dir[PATH_MAX];
	int ret;

	for (int i = 0; i < vm->nr_args; i++)
		json_object_array_add(args, json_object_new_string(vm->args[i]));
	json_object_object_add(obj, "name", json_object_new_string(vm->name));
	json_object_object_add(obj, "args", args);
	json_object_object_add(obj, "restart", json_object_new_string(mgr_restart_name(vm->restart)));
	json_object_object_add(obj, "vcpus", json_object_new_int64(vm->vcpus));
	json_object_object_add(obj, "mem_size_mib", json_object_new_int64((int64_t)vm->mem_mib));
	json_object_object_add(obj, "reserve", json_object_new_boolean(vm->reserve));
	ret = mgr_vm_path(d, vm, NULL, dir, sizeof(dir));
	if (!ret && mkdir(dir, 0755) && errno != EEXIST)
		ret = -errno;
	if (ret) {
		mgr_log("%s: cannot create %s: %s", vm->name, dir, strerror(-ret));
		json_object_put(obj);
		return ret;
	}
	return mgr_store_write_file(d, vm, MGR_VM_CONFIG, obj);
}

int mgr_store_save_state(struct mgr_daemon *d, const struct mgr_vm *vm)
{
	struct json_object *obj = json_object_new_object();

	json_object_object_add(obj, "state", json_object_new_string(mgr_vm_state_name(vm->state)));
	json_object_object_add(obj, "pid", json_object_new_int64(vm->pid));
	json_object_object_add(obj, "proc_start", json_object_new_int64((int64_t)vm->proc_start));
	json_object_object_add(obj, "started_ms", json_object_new_int64(vm->started_ms));
	json_object_object_add(obj, "exit_status", vm->has_exit && vm->exit_status >= 0 ?
			       json_object_new_int64(vm->exit_status) : NULL);
	json_object_object_add(obj, "reason", vm->has_exit ? json_object_new_string(vm->reason) : NULL);
	json_object_object_add(obj, "restarts", json_object_new_int64(vm->restarts));
	json_object_object_add(obj, "stop_requested", json_object_new_boolean(vm->stop_requested));
	return mgr_store_write_file(d, vm, MGR_VM_STATE, obj);
}

static struct json_object *mgr_store_read(struct mgr_daemon *d, const struct mgr_vm *vm, const char *file)
{
	char path[PATH_MAX];
	struct json_object *obj;

	if (mgr_vm_path(d, vm, file, path, sizeof(path)))
		return NULL;
	obj = json_object_from_file(path);
	if (obj && !json_object_is_type(obj, json_type_object)) {
		json_object_put(obj);
		return NULL;
	}
	return obj;
}

static int64_t mgr_json_int(struct json_object *obj, const char *key, int64_t def)
{
	struct json_object *v;

	if (!json_object_object_get_ex(obj, key, &v) || !json_object_is_type(v, json_type_int))
		return def;
	return json_object_get_int64(v);
}

static const char *mgr_json_str(struct json_object *obj, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(obj, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static int mgr_store_load_config(struct mgr_daemon *d, struct mgr_vm *vm)
{
	struct json_object *obj = mgr_store_read(d, vm, MGR_VM_CONFIG), *args, *v;
	const char *restart;
	size_t n;

	if (!obj)
		return -EINVAL;
	if (!json_object_object_get_ex(obj, "args", &args) || !json_object_is_type(args, json_type_array) ||
	    (n = json_object_array_length(args)) > MGR_ARGS_MAX)
		goto out_bad;
	vm->args = calloc(n + 1, sizeof(*vm->args));
	if (!vm->args)
		goto out_bad;
	for (size_t i = 0; i < n; i++) {
		struct json_object *a = json_object_array_get_idx(args, i);

		if (!json_object_is_type(a, json_type_string))
			goto out_bad;
		vm->args[i] = strdup(json_object_get_string(a));
		if (!vm->args[i])
			goto out_bad;
		vm->nr_args = (int)i + 1;
	}
	restart = mgr_json_str(obj, "restart");
	if (restart && mgr_restart_parse(restart, &vm->restart))
		goto out_bad;
	vm->vcpus = (uint32_t)mgr_json_int(obj, "vcpus", 1);
	vm->mem_mib = (uint64_t)mgr_json_int(obj, "mem_size_mib", 256);
	vm->reserve = json_object_object_get_ex(obj, "reserve", &v) && json_object_get_boolean(v);
	json_object_put(obj);
	return 0;
out_bad:
	json_object_put(obj);
	return -EINVAL;
}

static void mgr_store_load_state(struct mgr_daemon *d, struct mgr_vm *vm)
{
	struct json_object *obj = mgr_store_read(d, vm, MGR_VM_STATE), *v;
	const char *state, *reason;

	if (!obj)
		return;
	state = mgr_json_str(obj, "state");
	for (int s = MGR_VM_STOPPED; state && s <= MGR_VM_MIGRATED; s++)
		if (!strcmp(state, mgr_vm_state_name((enum mgr_vm_state)s)))
			vm->state = (enum mgr_vm_state)s;
	vm->pid = (pid_t)mgr_json_int(obj, "pid", 0);
	vm->proc_start = (uint64_t)mgr_json_int(obj, "proc_start", 0);
	vm->started_ms = mgr_json_int(obj, "started_ms", 0);
	vm->restarts = (uint32_t)mgr_json_int(obj, "restarts", 0);
	reason = mgr_json_str(obj, "reason");
	if (reason) {
		vm->has_exit = true;
		vm->exit_status = (int)mgr_json_int(obj, "exit_status", -1);
		snprintf(vm->reason, sizeof(vm->reason), "%s", reason);
	}
	vm->stop_requested = json_object_object_get_ex(obj, "stop_requested", &v) && json_object_get_boolean(v);
	json_object_put(obj);
}

int mgr_store_read_exit(struct mgr_daemon *d, struct mgr_vm *vm)
{
	struct json_object *obj = mgr_store_read(d, vm, MGR_VM_EXIT);
	const char *reason;
	int64_t status;

	if (!obj)
		return -ENOENT;
	status = mgr_json_int(obj, "exit_status", -1);
	reason = mgr_json_str(obj, "reason");
	vm->has_exit = true;
	vm->exit_status = status >= 0 && status < 256 ? (int)status : -1;
	snprintf(vm->reason, sizeof(vm->reason), "%s", reason ? reason : "unknown");
	json_object_put(obj);
	return 0;
}

int mgr_store_load_all(struct mgr_daemon *d)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *dir;

	if (snprintf(path, sizeof(path), "%s/vms", d->state_dir) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	if (mkdir(path, 0755) && errno != EEXIST)
		return -errno;
	dir = opendir(path);
	if (!dir)
		return -errno;
	while ((de = readdir(dir))) {
		struct mgr_vm *vm;

		if (!manager_name_valid(de->d_name))
			continue;
		vm = calloc(1, sizeof(*vm));
		if (!vm) {
			closedir(dir);
			return -ENOMEM;
		}
		snprintf(vm->name, sizeof(vm->name), "%.64s", de->d_name);
		vm->pidfd = -1;
		vm->exit_status = -1;
		if (mgr_store_load_config(d, vm)) {
			mgr_log("%s: ignoring vms/%s: no valid %s", vm->name, vm->name, MGR_VM_CONFIG);
			mgr_vm_free(vm);
			continue;
		}
		mgr_store_load_state(d, vm);
		vm->next = d->vms;
		d->vms = vm;
	}
	closedir(dir);
	return 0;
}

int mgr_store_remove(struct mgr_daemon *d, const struct mgr_vm *vm)
{
	char path[PATH_MAX];
	struct dirent *de;
	int dfd, ret = 0;
	DIR *dir;

	ret = mgr_vm_path(d, vm, NULL, path, sizeof(path));
	if (ret)
		return ret;
	dir = opendir(path);
	if (!dir)
		return errno == ENOENT ? 0 : -errno;
	dfd = dirfd(dir);
	/* The directory is flat: the files above, the monitor's sockets and log. */
	while ((de = readdir(dir)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") && unlinkat(dfd, de->d_name, 0))
			ret = -errno;
	closedir(dir);
	if (!ret && rmdir(path))
		ret = -errno;
	if (ret)
		mgr_log("%s: cannot remove %s: %s", vm->name, path, strerror(-ret));
	return ret;
}
