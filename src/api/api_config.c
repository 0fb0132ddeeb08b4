// SPDX-License-Identifier: MIT
/*
 * Firecracker's JSON resources <-> struct vm_config. Every object is checked
 * against a field table first (unknown fields, types, required fields), so
 * the getters below can trust what they read.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_balloon.h"
#include "api/api_config.h"
#include "api/api_fields.h"
#include "api/api_vsock.h"
#include "arch/x86/layout.h"
#include "cli/net_option.h"

#define API_PATH_MAX        4096
#define API_MAX_MEM_MIB     (1ULL << 30)    /* 1 PiB: beyond that, sizes overflow */
#define BLK_SERIAL_MAX      20

int api_fields_check(struct json_object *obj, const struct api_field *fields, size_t n,
			    const char *what, char *err, size_t errlen)
{
	if (!json_object_is_type(obj, json_type_object)) {
		snprintf(err, errlen, "%s: expected a JSON object", what);
		return -EINVAL;
	}
	json_object_object_foreach(obj, key, val) {
		size_t i;

		for (i = 0; i < n; i++)
			if (!strcmp(key, fields[i].name))
				break;
		if (i == n) {
			snprintf(err, errlen, "%s: unknown field '%s'", what, key);
			return -EINVAL;
		}
		if (!json_object_is_type(val, fields[i].type)) {
			snprintf(err, errlen, "%s: field '%s' must be %s", what, key,
				 fields[i].type == json_type_string ? "a string" :
				 fields[i].type == json_type_int ? "an integer" :
				 fields[i].type == json_type_boolean ? "a boolean" :
				 fields[i].type == json_type_array ? "an array" : "an object");
			return -EINVAL;
		}
	}
	for (size_t i = 0; i < n; i++) {
		if (fields[i].required && !json_object_object_get_ex(obj, fields[i].name, NULL)) {
			snprintf(err, errlen, "%s: missing required field '%s'", what, fields[i].name);
			return -EINVAL;
		}
	}
	return 0;
}

static struct json_object *api_field_get(struct json_object *obj, const char *name)
{
	struct json_object *val = NULL;

	json_object_object_get_ex(obj, name, &val);
	return val;
}

/* A copy of a string field, or NULL if absent; -EINVAL for an oversized one. */
static int api_field_strdup(struct json_object *obj, const char *name, const char *what,
			    char **out, char *err, size_t errlen)
{
	struct json_object *val = api_field_get(obj, name);

	*out = NULL;
	if (!val)
		return 0;
	if (json_object_get_string_len(val) >= API_PATH_MAX ||
	    strlen(json_object_get_string(val)) != (size_t)json_object_get_string_len(val)) {
		snprintf(err, errlen, "%s: field '%s' is too long or holds a NUL byte", what, name);
		return -EINVAL;
	}
	*out = strdup(json_object_get_string(val));
	if (!*out) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	return 0;
}

static bool api_field_bool(struct json_object *obj, const char *name)
{
	struct json_object *val = api_field_get(obj, name);

	return val && json_object_get_boolean(val);
}

/* Firecracker's resource ids: 1-64 characters of [A-Za-z0-9_]. */
int api_id_check(const char *id, const char *what, char *err, size_t errlen)
{
	size_t len = strlen(id);

	if (len == 0 || len > API_ID_MAX) {
		snprintf(err, errlen, "%s: the id must have 1 to %d characters", what, API_ID_MAX);
		return -EINVAL;
	}
	for (size_t i = 0; i < len; i++) {
		char c = id[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) {
			snprintf(err, errlen, "%s: the id may only hold letters, digits and '_'", what);
			return -EINVAL;
		}
	}
	return 0;
}

void api_config_init(struct api_config *cfg, const struct vm_config *base, uint32_t pid)
{
	*cfg = (struct api_config){ .vm = *base, .pid = pid };
}

void api_config_free(struct api_config *cfg)
{
	free(cfg->kernel_path);
	free(cfg->initrd_path);
	free(cfg->boot_args);
	for (int i = 0; i < VM_MAX_DISKS; i++) {
		free(cfg->drive_id[i]);
		free(cfg->drive_path[i]);
	}
	for (int i = 0; i < NET_MAX_DEVICES; i++)
		free(cfg->iface_id[i]);
	free(cfg->vsock_uds_path);
	free(cfg->vsock_id);
	*cfg = (struct api_config){ 0 };
}

int api_json_parse(const char *text, size_t len, struct json_object **obj, char *err, size_t errlen)
{
	struct json_tokener *tok;
	enum json_tokener_error jerr;

	*obj = NULL;
	if (len > INT32_MAX) {
		snprintf(err, errlen, "the request body is too large");
		return -EINVAL;
	}
	tok = json_tokener_new();
	if (!tok) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	*obj = json_tokener_parse_ex(tok, text, (int)len);
	jerr = json_tokener_get_error(tok);
	if (jerr == json_tokener_continue)
		jerr = json_tokener_error_parse_eof;
	/* Nothing but whitespace may follow the value. */
	if (jerr == json_tokener_success) {
		for (size_t i = json_tokener_get_parse_end(tok); i < len; i++) {
			if (!strchr(" \t\r\n", text[i])) {
				jerr = json_tokener_error_parse_unexpected;
				break;
			}
		}
	}
	json_tokener_free(tok);
	if (jerr != json_tokener_success) {
		json_object_put(*obj);
		*obj = NULL;
		snprintf(err, errlen, "invalid JSON: %s", json_tokener_error_desc(jerr));
		return -EINVAL;
	}
	if (!json_object_is_type(*obj, json_type_object)) {
		json_object_put(*obj);
		*obj = NULL;
		snprintf(err, errlen, "invalid JSON: expected an object");
		return -EINVAL;
	}
	return 0;
}

int api_config_parse_boot_source(struct json_object *obj, struct api_boot_source *out,
				 char *err, size_t errlen)
{
	static const struct api_field fields[] = {
		{ "kernel_image_path", json_type_string, true },
		{ "boot_args", json_type_string, false },
		{ "initrd_path", json_type_string, false },
	};
	const char *what = "boot-source";
	int ret;

	*out = (struct api_boot_source){ 0 };
	ret = api_fields_check(obj, fields, 3, what, err, errlen);
	if (!ret)
		ret = api_field_strdup(obj, "kernel_image_path", what, &out->kernel_path, err, errlen);
	if (!ret)
		ret = api_field_strdup(obj, "boot_args", what, &out->boot_args, err, errlen);
	if (!ret)
		ret = api_field_strdup(obj, "initrd_path", what, &out->initrd_path, err, errlen);
	if (ret) {
		free(out->kernel_path);
		free(out->boot_args);
		free(out->initrd_path);
		*out = (struct api_boot_source){ 0 };
	}
	return ret;
}

int api_config_parse_machine(struct json_object *obj, struct api_machine_config *out,
			     char *err, size_t errlen)
{
	static const struct api_field fields[] = {
		{ "vcpu_count", json_type_int, true },
		{ "mem_size_mib", json_type_int, true },
		{ "smt", json_type_boolean, false },
		{ "huge_pages", json_type_string, false },
	};
	const char *what = "machine-config";
	struct json_object *huge;
	int64_t vcpus, mem;
	int ret;

	ret = api_fields_check(obj, fields, sizeof(fields) / sizeof(fields[0]), what, err, errlen);
	if (ret)
		return ret;
	vcpus = json_object_get_int64(api_field_get(obj, "vcpu_count"));
	mem = json_object_get_int64(api_field_get(obj, "mem_size_mib"));
	if (vcpus < 1 || vcpus > LAYOUT_MAX_CPUS) {
		snprintf(err, errlen, "%s: field 'vcpu_count' must be 1 to %d", what, LAYOUT_MAX_CPUS);
		return -EINVAL;
	}
	if (mem < API_MIN_MEM_MIB || (uint64_t)mem > API_MAX_MEM_MIB) {
		snprintf(err, errlen, "%s: field 'mem_size_mib' must be %d to %llu", what, API_MIN_MEM_MIB,
			 (unsigned long long)API_MAX_MEM_MIB);
		return -EINVAL;
	}
	if (api_field_bool(obj, "smt")) {
		snprintf(err, errlen, "%s: field 'smt': only false is supported", what);
		return -EINVAL;
	}
	out->vcpu_count = (uint32_t)vcpus;
	out->mem_size_mib = (uint64_t)mem;
	out->hugepage_size = 0;
	huge = api_field_get(obj, "huge_pages");
	if (huge) {
		const char *h = json_object_get_string(huge);

		if (!strcmp(h, "2M")) {
			out->hugepage_size = MEM_HUGEPAGE_2M;
		} else if (!strcmp(h, "1G")) {
			out->hugepage_size = MEM_HUGEPAGE_1G;
		} else if (strcmp(h, "None")) {
			snprintf(err, errlen, "%s: field 'huge_pages' must be \"None\", \"2M\" or \"1G\"", what);
			return -EINVAL;
		}
	}
	if (out->hugepage_size && ((uint64_t)mem << 20) % out->hugepage_size) {
		snprintf(err, errlen, "%s: field 'mem_size_mib' must be a multiple of the huge page size", what);
		return -EINVAL;
	}
	return 0;
}

int api_config_parse_drive(struct json_object *obj, const char *id, struct api_drive *out,
			   char *err, size_t errlen)
{
	static const struct api_field fields[] = {
		{ "drive_id", json_type_string, true },
		{ "path_on_host", json_type_string, true },
		{ "is_root_device", json_type_boolean, true },
		{ "is_read_only", json_type_boolean, false },
	};
	const char *what = "drives";
	int ret;

	*out = (struct api_drive){ 0 };
	ret = api_fields_check(obj, fields, 4, what, err, errlen);
	if (!ret)
		ret = api_field_strdup(obj, "drive_id", what, &out->drive_id, err, errlen);
	if (!ret)
		ret = api_id_check(out->drive_id, what, err, errlen);
	if (!ret && id && strcmp(id, out->drive_id)) {
		snprintf(err, errlen, "%s: field 'drive_id' does not match the path's id", what);
		ret = -EINVAL;
	}
	if (!ret)
		ret = api_field_strdup(obj, "path_on_host", what, &out->path_on_host, err, errlen);
	if (ret) {
		free(out->drive_id);
		free(out->path_on_host);
		*out = (struct api_drive){ 0 };
		return ret;
	}
	out->is_root_device = api_field_bool(obj, "is_root_device");
	out->is_read_only = api_field_bool(obj, "is_read_only");
	return 0;
}

/* Letters, digits and ".-_": host_dev_name goes into a --net option string. */
static bool api_ifname_valid(const char *name)
{
	size_t len = strlen(name);

	if (len == 0 || len > NET_IFNAME_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '-' || c == '_'))
			return false;
	}
	return true;
}

int api_config_parse_net(struct json_object *obj, const char *id, struct api_net *out,
			 char *err, size_t errlen)
{
	static const struct api_field fields[] = {
		{ "iface_id", json_type_string, true },
		{ "host_dev_name", json_type_string, true },
		{ "guest_mac", json_type_string, false },
		{ "queues", json_type_int, false },     /* vessel's: a multiqueue TAP's queue pairs */
	};
	const char *what = "network-interfaces";
	struct json_object *mac, *queues;
	const char *name;
	int ret;

	*out = (struct api_net){ 0 };
	ret = api_fields_check(obj, fields, 4, what, err, errlen);
	if (ret)
		return ret;
	name = json_object_get_string(api_field_get(obj, "host_dev_name"));
	if (!api_ifname_valid(name)) {
		snprintf(err, errlen, "%s: field 'host_dev_name' must be 1 to %d characters of "
			 "letters, digits and '.-_'", what, NET_IFNAME_MAX);
		return -EINVAL;
	}
	strcpy(out->host_dev_name, name);
	mac = api_field_get(obj, "guest_mac");
	if (mac) {
		if (net_option_parse_mac(json_object_get_string(mac), out->guest_mac)) {
			snprintf(err, errlen, "%s: field 'guest_mac' is not a unicast MAC address "
				 "(XX:XX:XX:XX:XX:XX)", what);
			return -EINVAL;
		}
		out->has_mac = true;
	}
	queues = api_field_get(obj, "queues");
	if (queues) {
		int64_t n = json_object_get_int64(queues);

		if (n < 1 || n > NET_MAX_QUEUES) {
			snprintf(err, errlen, "%s: field 'queues' must be 1 to %d", what, NET_MAX_QUEUES);
			return -EINVAL;
		}
		out->queues = (uint16_t)n;
	}
	ret = api_field_strdup(obj, "iface_id", what, &out->iface_id, err, errlen);
	if (!ret)
		ret = api_id_check(out->iface_id, what, err, errlen);
	if (!ret && id && strcmp(id, out->iface_id)) {
		snprintf(err, errlen, "%s: field 'iface_id' does not match the path's id", what);
		ret = -EINVAL;
	}
	if (ret) {
		free(out->iface_id);
		out->iface_id = NULL;
	}
	return ret;
}

void api_config_set_boot_source(struct api_config *cfg, struct api_boot_source *bs)
{
	free(cfg->kernel_path);
	free(cfg->initrd_path);
	free(cfg->boot_args);
	cfg->kernel_path = bs->kernel_path;
	cfg->initrd_path = bs->initrd_path;
	cfg->boot_args = bs->boot_args;
	*bs = (struct api_boot_source){ 0 };
	/* Firecracker's boot-source replaces all three: an absent one is unset. */
	cfg->vm.kernel_path = cfg->kernel_path;
	cfg->vm.initrd_path = cfg->initrd_path;
	cfg->vm.cmdline = cfg->boot_args;
}

void api_config_set_machine(struct api_config *cfg, const struct api_machine_config *m)
{
	cfg->vm.nr_cpus = m->vcpu_count;
	cfg->vm.mem_size = m->mem_size_mib << 20;
	cfg->vm.mem_backing.hugepage_size = m->hugepage_size;
}

/* The disk's index by drive id; command-line disks are "diskN". */
static const char *api_config_drive_id(const struct api_config *cfg, uint32_t i, char *buf, size_t len)
{
	if (cfg->drive_id[i])
		return cfg->drive_id[i];
	snprintf(buf, len, "disk%u", i);
	return buf;
}

static const char *api_config_iface_id(const struct api_config *cfg, uint32_t i, char *buf, size_t len)
{
	if (cfg->iface_id[i])
		return cfg->iface_id[i];
	snprintf(buf, len, "net%u", i);
	return buf;
}

int api_config_put_drive(struct api_config *cfg, struct api_drive *d, char *err, size_t errlen)
{
	struct virtio_blk_config *blk;
	char buf[16];
	uint32_t i;

	for (i = 0; i < cfg->vm.nr_disks; i++)
		if (!strcmp(api_config_drive_id(cfg, i, buf, sizeof(buf)), d->drive_id))
			break;
	if (d->is_root_device) {
		for (uint32_t j = 0; j < cfg->vm.nr_disks; j++) {
			if (j != i && cfg->drive_root[j]) {
				snprintf(err, errlen, "drives: a root device is already configured ('%s')",
					 api_config_drive_id(cfg, j, buf, sizeof(buf)));
				return -EINVAL;
			}
		}
	}
	if (i == cfg->vm.nr_disks) {
		if (i == VM_MAX_DISKS) {
			snprintf(err, errlen, "drives: at most %d drives are supported", VM_MAX_DISKS);
			return -ENOSPC;
		}
		cfg->vm.nr_disks++;
	}
	/* Updating a drive keeps its place: drives stay in the order first PUT. */
	free(cfg->drive_id[i]);
	free(cfg->drive_path[i]);
	cfg->drive_id[i] = d->drive_id;
	cfg->vm.disk_ids[i] = cfg->drive_id[i];
	cfg->drive_path[i] = d->path_on_host;
	cfg->drive_root[i] = d->is_root_device;
	blk = &cfg->vm.disks[i];
	*blk = (struct virtio_blk_config){
		.path = cfg->drive_path[i],
		.readonly = d->is_read_only,
		.aio = BLOCK_AIO_AUTO,
		/* The guest sees the drive id as the disk's serial, as in Firecracker. */
		.serial = strlen(d->drive_id) <= BLK_SERIAL_MAX ? cfg->drive_id[i] : NULL,
	};
	d->drive_id = NULL;
	d->path_on_host = NULL;
	return 0;
}

int api_config_put_net(struct api_config *cfg, struct api_net *n, char *err, size_t errlen)
{
	char opt[80], buf[16];
	uint32_t i;
	int ret;

	for (i = 0; i < cfg->vm.nr_nets; i++)
		if (!strcmp(api_config_iface_id(cfg, i, buf, sizeof(buf)), n->iface_id))
			break;
	if (i == NET_MAX_DEVICES) {
		snprintf(err, errlen, "network-interfaces: at most %d interfaces are supported",
			 NET_MAX_DEVICES);
		return -ENOSPC;
	}
	/* The --net parser gives the same checks and default MAC as the command line. */
	if (n->has_mac)
		snprintf(opt, sizeof(opt), "tap=%s,mac=%02x:%02x:%02x:%02x:%02x:%02x", n->host_dev_name,
			 n->guest_mac[0], n->guest_mac[1], n->guest_mac[2], n->guest_mac[3],
			 n->guest_mac[4], n->guest_mac[5]);
	else
		snprintf(opt, sizeof(opt), "tap=%s", n->host_dev_name);
	if (n->queues)
		snprintf(opt + strlen(opt), sizeof(opt) - strlen(opt), ",queues=%u", n->queues);
	ret = net_option_parse(opt, cfg->pid, i, &cfg->vm.nets[i], err, errlen);
	if (ret)
		return ret;
	if (i == cfg->vm.nr_nets)
		cfg->vm.nr_nets++;
	free(cfg->iface_id[i]);
	cfg->iface_id[i] = n->iface_id;
	cfg->vm.net_ids[i] = cfg->iface_id[i];
	n->iface_id = NULL;
	return 0;
}

static int api_config_apply_section(struct api_config *cfg, const char *key, struct json_object *val,
				    char *err, size_t errlen)
{
	int ret = 0;

	if (!strcmp(key, "boot-source")) {
		struct api_boot_source bs;

		ret = api_config_parse_boot_source(val, &bs, err, errlen);
		if (!ret)
			api_config_set_boot_source(cfg, &bs);
	} else if (!strcmp(key, "machine-config")) {
		struct api_machine_config m;

		ret = api_config_parse_machine(val, &m, err, errlen);
		if (!ret)
			api_config_set_machine(cfg, &m);
	} else if (!strcmp(key, "balloon")) {
		struct virtio_balloon_config balloon;

		ret = api_balloon_parse_config(val, &balloon, err, errlen);
		if (!ret)
			cfg->vm.balloon = balloon;
	} else if (!strcmp(key, "vsock")) {
		struct api_vsock v;

		ret = api_vsock_parse(val, &v, err, errlen);
		if (!ret)
			ret = api_config_put_vsock(cfg, &v, err, errlen);
	} else if (!strcmp(key, "drives") || !strcmp(key, "network-interfaces")) {
		bool drives = key[0] == 'd';

		if (!json_object_is_type(val, json_type_array)) {
			snprintf(err, errlen, "field '%s' must be an array", key);
			return -EINVAL;
		}
		for (size_t i = 0; !ret && i < json_object_array_length(val); i++) {
			struct json_object *item = json_object_array_get_idx(val, i);

			if (drives) {
				struct api_drive d;

				ret = api_config_parse_drive(item, NULL, &d, err, errlen);
				if (!ret)
					ret = api_config_put_drive(cfg, &d, err, errlen);
				free(d.drive_id);
				free(d.path_on_host);
			} else {
				struct api_net n;

				ret = api_config_parse_net(item, NULL, &n, err, errlen);
				if (!ret)
					ret = api_config_put_net(cfg, &n, err, errlen);
				free(n.iface_id);
			}
		}
	} else {
		snprintf(err, errlen, "unknown field '%s'", key);
		ret = -EINVAL;
	}
	return ret;
}

int api_config_apply_json(struct api_config *cfg, const char *text, size_t len,
			  char *err, size_t errlen)
{
	struct json_object *obj;
	int ret;

	ret = api_json_parse(text, len, &obj, err, errlen);
	if (ret)
		return ret;
	/* A config file built from CLI disks/NICs would mix id schemes: the file's replace them. */
	if (json_object_object_get_ex(obj, "drives", NULL))
		cfg->vm.nr_disks = 0;
	if (json_object_object_get_ex(obj, "network-interfaces", NULL))
		cfg->vm.nr_nets = 0;
	json_object_object_foreach(obj, key, val) {
		ret = api_config_apply_section(cfg, key, val, err, errlen);
		if (ret)
			break;
	}
	json_object_put(obj);
	return ret;
}

int api_config_load_file(struct api_config *cfg, const char *path, char *err, size_t errlen)
{
	char msg[256];
	char *text = NULL;
	size_t len = 0;
	FILE *f;
	int ret;

	f = fopen(path, "re");
	if (!f) {
		ret = -errno;
		snprintf(err, errlen, "config file %s: %s", path, strerror(errno));
		return ret;
	}
	text = malloc(API_MAX_BODY + 1);
	if (!text) {
		fclose(f);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	len = fread(text, 1, API_MAX_BODY + 1, f);
	fclose(f);
	if (len > API_MAX_BODY) {
		snprintf(err, errlen, "config file %s: larger than %d KiB", path, API_MAX_BODY >> 10);
		ret = -EFBIG;
		goto out_free;
	}
	ret = api_config_apply_json(cfg, text, len, msg, sizeof(msg));
	if (ret)
		snprintf(err, errlen, "config file %s: %s", path, msg);
out_free:
	free(text);
	return ret;
}

struct json_object *api_config_machine_to_json(const struct api_config *cfg)
{
	struct json_object *m = json_object_new_object();

	json_object_object_add(m, "vcpu_count", json_object_new_int64(cfg->vm.nr_cpus));
	json_object_object_add(m, "mem_size_mib", json_object_new_int64((int64_t)(cfg->vm.mem_size >> 20)));
	json_object_object_add(m, "smt", json_object_new_boolean(false));
	json_object_object_add(m, "huge_pages", json_object_new_string(
		cfg->vm.mem_backing.hugepage_size == MEM_HUGEPAGE_1G ? "1G" :
		cfg->vm.mem_backing.hugepage_size == MEM_HUGEPAGE_2M ? "2M" : "None"));
	return m;
}

static struct json_object *api_json_string_or_null(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}

struct json_object *api_config_to_json(const struct api_config *cfg)
{
	struct json_object *root = json_object_new_object();
	struct json_object *boot = json_object_new_object();
	struct json_object *drives = json_object_new_array();
	struct json_object *nets = json_object_new_array();
	char buf[32];

	json_object_object_add(boot, "kernel_image_path", api_json_string_or_null(cfg->vm.kernel_path));
	json_object_object_add(boot, "boot_args", api_json_string_or_null(cfg->vm.cmdline));
	json_object_object_add(boot, "initrd_path", api_json_string_or_null(cfg->vm.initrd_path));
	json_object_object_add(root, "boot-source", boot);
	json_object_object_add(root, "machine-config", api_config_machine_to_json(cfg));

	for (uint32_t i = 0; i < cfg->vm.nr_disks; i++) {
		struct json_object *d = json_object_new_object();

		json_object_object_add(d, "drive_id",
				       json_object_new_string(api_config_drive_id(cfg, i, buf, sizeof(buf))));
		json_object_object_add(d, "path_on_host", api_json_string_or_null(cfg->vm.disks[i].path));
		json_object_object_add(d, "is_root_device", json_object_new_boolean(cfg->drive_root[i]));
		json_object_object_add(d, "is_read_only", json_object_new_boolean(cfg->vm.disks[i].readonly));
		json_object_array_add(drives, d);
	}
	json_object_object_add(root, "drives", drives);

	for (uint32_t i = 0; i < cfg->vm.nr_nets; i++) {
		const struct net_config *nc = &cfg->vm.nets[i];
		struct json_object *n = json_object_new_object();
		char mac[18];

		snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x",
			 nc->mac[0], nc->mac[1], nc->mac[2], nc->mac[3], nc->mac[4], nc->mac[5]);
		json_object_object_add(n, "iface_id",
				       json_object_new_string(api_config_iface_id(cfg, i, buf, sizeof(buf))));
		/* User-mode networking has no host device: Firecracker's format cannot say it. */
		json_object_object_add(n, "host_dev_name",
				       nc->type == NET_TAP ? json_object_new_string(nc->ifname) : NULL);
		json_object_object_add(n, "guest_mac", json_object_new_string(mac));
		/* vessel's own field, only where it says something (Firecracker has none). */
		if (nc->queues > 1)
			json_object_object_add(n, "queues", json_object_new_int(nc->queues));
		json_object_array_add(nets, n);
	}
	json_object_object_add(root, "network-interfaces", nets);
	if (cfg->vm.balloon.enabled)
		json_object_object_add(root, "balloon", api_balloon_config_to_json(&cfg->vm.balloon));
	if (cfg->vm.vsock.enabled)
		json_object_object_add(root, "vsock", api_vsock_to_json(&cfg->vm.vsock));
	return root;
}
