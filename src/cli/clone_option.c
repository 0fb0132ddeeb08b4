/* SPDX-License-Identifier: MIT */
#include "cli/clone_option.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/net_option.h"

#define CLONE_PATH_MAX 4096

static bool clone_option_id_valid(const char *id)
{
	size_t len = strlen(id);

	if (!len || len > SNAP_OVERRIDE_ID_MAX)
		return false;
	for (const char *p = id; *p; p++) {
		char c = *p;

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '-' || c == '.'))
			return false;
	}
	return true;
}

static int clone_option_bad_id(const char *what, const char *id, char *err, size_t errlen)
{
	snprintf(err, errlen, "%s: id '%.64s' must be 1 to %d letters, digits, '_', '-' or '.'", what, id,
		 SNAP_OVERRIDE_ID_MAX);
	return -EINVAL;
}

int clone_option_add_disk(struct snap_overrides *o, const char *drive_id, const char *path,
			  const char *what, char *err, size_t errlen)
{
	struct snap_disk_override *d;

	if (!clone_option_id_valid(drive_id))
		return clone_option_bad_id(what, drive_id, err, errlen);
	if (!*path || strlen(path) >= CLONE_PATH_MAX) {
		snprintf(err, errlen, "%s: '%s': the path must have 1 to %d bytes", what, drive_id, CLONE_PATH_MAX - 1);
		return -EINVAL;
	}
	for (uint32_t i = 0; i < o->nr_disks; i++) {
		if (!strcmp(o->disks[i].drive_id, drive_id)) {
			snprintf(err, errlen, "%s: drive '%s' is given twice", what, drive_id);
			return -EINVAL;
		}
	}
	if (o->nr_disks == VM_MAX_DISKS) {
		snprintf(err, errlen, "%s: at most %d disk overrides", what, VM_MAX_DISKS);
		return -EINVAL;
	}
	d = &o->disks[o->nr_disks];
	d->drive_id = strdup(drive_id);
	d->path = strdup(path);
	if (!d->drive_id || !d->path) {
		free(d->drive_id);
		free(d->path);
		*d = (struct snap_disk_override){ 0 };
		snprintf(err, errlen, "%s: out of memory", what);
		return -ENOMEM;
	}
	o->nr_disks++;
	return 0;
}

int clone_option_add_net(struct snap_overrides *o, const char *iface_id, const char *tap, const uint8_t *mac,
			 const char *what, char *err, size_t errlen)
{
	struct snap_net_override *n;
	struct net_config check;
	char opt[64], why[256];

	if (!clone_option_id_valid(iface_id))
		return clone_option_bad_id(what, iface_id, err, errlen);
	if (!tap && !mac) {
		snprintf(err, errlen, "%s: '%s': give a TAP interface, a MAC address or both", what, iface_id);
		return -EINVAL;
	}
	/* The --net parser's rules for a TAP name (the kernel's). */
	if (tap && ((size_t)snprintf(opt, sizeof(opt), "tap=%s", tap) >= sizeof(opt) ||
		    net_option_parse(opt, 0, 0, &check, why, sizeof(why)))) {
		snprintf(err, errlen, "%s: '%s': '%.32s' is not a valid interface name (1 to %d characters)",
			 what, iface_id, tap, NET_IFNAME_MAX);
		return -EINVAL;
	}
	if (mac && ((mac[0] & 1) || !(mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5]))) {
		snprintf(err, errlen, "%s: '%s': the MAC must be a unicast, non-zero address", what, iface_id);
		return -EINVAL;
	}
	for (uint32_t i = 0; i < o->nr_nets; i++) {
		if (!strcmp(o->nets[i].iface_id, iface_id)) {
			snprintf(err, errlen, "%s: interface '%s' is given twice", what, iface_id);
			return -EINVAL;
		}
	}
	if (o->nr_nets == NET_MAX_DEVICES) {
		snprintf(err, errlen, "%s: at most %d network overrides", what, NET_MAX_DEVICES);
		return -EINVAL;
	}
	n = &o->nets[o->nr_nets];
	*n = (struct snap_net_override){ .iface_id = strdup(iface_id) };
	if (!n->iface_id) {
		snprintf(err, errlen, "%s: out of memory", what);
		return -ENOMEM;
	}
	if (tap)
		snprintf(n->tap, sizeof(n->tap), "%s", tap);
	if (mac) {
		n->has_mac = true;
		memcpy(n->mac, mac, sizeof(n->mac));
	}
	o->nr_nets++;
	return 0;
}

/* Splits "ID=REST" into a copy of ID (in id, idlen bytes) and REST. */
static const char *clone_option_split(const char *arg, char *id, size_t idlen)
{
	const char *eq = strchr(arg, '=');

	if (!eq || (size_t)(eq - arg) >= idlen)
		return NULL;
	memcpy(id, arg, (size_t)(eq - arg));
	id[eq - arg] = '\0';
	return eq + 1;
}

int clone_option_parse_disk(struct snap_overrides *o, const char *arg, char *err, size_t errlen)
{
	static const char what[] = "--disk-override";
	char id[SNAP_OVERRIDE_ID_MAX + 2];
	const char *path = clone_option_split(arg, id, sizeof(id));

	if (!path) {
		snprintf(err, errlen, "%s: expected ID=PATH (ID as the snapshot names the drive: disk0, ...), got '%s'",
			 what, arg);
		return -EINVAL;
	}
	return clone_option_add_disk(o, id, path, what, err, errlen);
}

int clone_option_parse_net(struct snap_overrides *o, const char *arg, char *err, size_t errlen)
{
	static const char what[] = "--net-override";
	char id[SNAP_OVERRIDE_ID_MAX + 2], tap[NET_IFNAME_MAX + 2];
	const char *rest = clone_option_split(arg, id, sizeof(id));
	bool have_tap = false, have_mac = false;
	uint8_t mac[6];

	if (!rest || !*rest)
		goto out_usage;
	while (*rest) {
		const char *end = strchr(rest, ',');
		size_t len = end ? (size_t)(end - rest) : strlen(rest);
		char item[64];

		if (len >= sizeof(item))
			goto out_usage;
		memcpy(item, rest, len);
		item[len] = '\0';
		if (!strncmp(item, "tap=", 4) && !have_tap && len - 4 < sizeof(tap)) {
			memcpy(tap, item + 4, len - 3);  /* with the NUL */
			have_tap = true;
		} else if (!strncmp(item, "mac=", 4) && !have_mac) {
			if (net_option_parse_mac(item + 4, mac)) {
				snprintf(err, errlen, "%s: mac '%s': expected a unicast address like 52:54:00:12:34:56",
					 what, item + 4);
				return -EINVAL;
			}
			have_mac = true;
		} else {
			goto out_usage;
		}
		rest += len + (end ? 1 : 0);
		if (end && !*rest)
			goto out_usage;
	}
	return clone_option_add_net(o, id, have_tap ? tap : NULL, have_mac ? mac : NULL, what, err, errlen);

out_usage:
	snprintf(err, errlen, "%s: expected ID=tap=NAME[,mac=MAC] or ID=mac=MAC (ID as the snapshot names the "
		 "interface: net0, ...), got '%s'", what, arg);
	return -EINVAL;
}

void clone_option_free(struct snap_overrides *o)
{
	for (uint32_t i = 0; i < o->nr_disks && i < VM_MAX_DISKS; i++) {
		free(o->disks[i].drive_id);
		free(o->disks[i].path);
	}
	for (uint32_t i = 0; i < o->nr_nets && i < NET_MAX_DEVICES; i++)
		free(o->nets[i].iface_id);
	*o = (struct snap_overrides){ 0 };
}
