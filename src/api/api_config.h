/* SPDX-License-Identifier: MIT */
/*
 * Firecracker's JSON resources <-> vessel's struct vm_config. Strict: an
 * unknown field, a wrong type or a missing required field is an error that
 * names the field. The same code serves the API's PUTs and --config-file.
 */
#ifndef VESSEL_API_API_CONFIG_H
#define VESSEL_API_API_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "api/api_request.h"
#include "core/vm.h"

#define API_MIN_MEM_MIB     16

/*
 * A VM configuration being built. vm's strings either point into this
 * struct's own copies (set from JSON) or to strings the caller keeps alive
 * (the command line's).
 */
struct api_config {
	struct vm_config vm;
	uint32_t pid;                           /* for default MACs */
	char *kernel_path, *initrd_path, *boot_args;
	char *drive_id[VM_MAX_DISKS];           /* NULL: from the command line */
	char *drive_path[VM_MAX_DISKS];
	bool drive_root[VM_MAX_DISKS];
	char *iface_id[NET_MAX_DEVICES];        /* NULL: from the command line */
	char *vsock_uds_path, *vsock_id;        /* PUT /vsock's (vm.vsock points here); NULL: none */
};

/* Starts from base (copied; its strings must outlive cfg). */
void api_config_init(struct api_config *cfg, const struct vm_config *base, uint32_t pid);
void api_config_free(struct api_config *cfg);

/* Parses text as one JSON object. 0, or -EINVAL with the reason in err. */
int api_json_parse(const char *text, size_t len, struct json_object **obj, char *err, size_t errlen);

/* JSON object -> request payload; 0, or -EINVAL with the reason (naming the field) in err. */
int api_config_parse_boot_source(struct json_object *obj, struct api_boot_source *out,
				 char *err, size_t errlen);
int api_config_parse_machine(struct json_object *obj, struct api_machine_config *out,
			     char *err, size_t errlen);
/* id: the drive_id in the URL (NULL: none, as in a config file). */
int api_config_parse_drive(struct json_object *obj, const char *id, struct api_drive *out,
			   char *err, size_t errlen);
int api_config_parse_net(struct json_object *obj, const char *id, struct api_net *out,
			 char *err, size_t errlen);

/* A drive_id/iface_id/vsock_id: 1 to API_ID_MAX letters, digits and '_'; 0 or -EINVAL with err. */
int api_id_check(const char *id, const char *what, char *err, size_t errlen);

/* Apply a parsed payload (its strings are taken over). 0, or -errno with err. */
void api_config_set_boot_source(struct api_config *cfg, struct api_boot_source *bs);
void api_config_set_machine(struct api_config *cfg, const struct api_machine_config *m);
int api_config_put_drive(struct api_config *cfg, struct api_drive *d, char *err, size_t errlen);
int api_config_put_net(struct api_config *cfg, struct api_net *n, char *err, size_t errlen);

/*
 * Applies a Firecracker config file's JSON ({"boot-source", "machine-config",
 * "drives", "network-interfaces", "balloon", "vsock"}); what it sets wins over cfg's values.
 */
int api_config_apply_json(struct api_config *cfg, const char *text, size_t len,
			  char *err, size_t errlen);
int api_config_load_file(struct api_config *cfg, const char *path, char *err, size_t errlen);

/* The config in the config-file format, and the machine-config resource. */
struct json_object *api_config_to_json(const struct api_config *cfg);
struct json_object *api_config_machine_to_json(const struct api_config *cfg);

#endif
