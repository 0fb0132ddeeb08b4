/* SPDX-License-Identifier: MIT */
#include "snapshot/snap_override.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "snapshot/snap_config.h"

const char *snap_config_disk_id(const struct snap_config *cfg, uint32_t i, char *buf, size_t len)
{
	if (cfg->disk_ids[i])
		return cfg->disk_ids[i];
	snprintf(buf, len, "disk%u", i);
	return buf;
}

const char *snap_config_net_id(const struct snap_config *cfg, uint32_t i, char *buf, size_t len)
{
	if (cfg->net_ids[i])
		return cfg->net_ids[i];
	snprintf(buf, len, "net%u", i);
	return buf;
}

/* The size of the image at path in bytes (files and block devices alike). */
static int snap_override_image_size(const char *path, uint64_t *size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	off_t end;
	int ret = 0;

	if (fd < 0)
		return -errno;
	end = lseek(fd, 0, SEEK_END);
	if (end < 0)
		ret = -errno;
	else
		*size = (uint64_t)end;
	close(fd);
	return ret;
}

static int snap_override_find_disk(const struct snap_config *cfg, const char *id)
{
	char buf[16];

	for (uint32_t i = 0; i < cfg->vm.nr_disks; i++)
		if (!strcmp(snap_config_disk_id(cfg, i, buf, sizeof(buf)), id))
			return (int)i;
	return -1;
}

static int snap_override_find_net(const struct snap_config *cfg, const char *id)
{
	char buf[16];

	for (uint32_t i = 0; i < cfg->vm.nr_nets; i++)
		if (!strcmp(snap_config_net_id(cfg, i, buf, sizeof(buf)), id))
			return (int)i;
	return -1;
}

static int snap_override_check_disk(const struct snap_config *cfg, const struct snap_disk_override *d,
				    int *index, char *err, size_t errlen)
{
	uint64_t size = 0;
	int i = snap_override_find_disk(cfg, d->drive_id);
	int ret;

	if (i < 0) {
		snprintf(err, errlen, "disk override '%s': the snapshot has no such drive", d->drive_id);
		return -ENOENT;
	}
	ret = snap_override_image_size(d->path, &size);
	if (ret) {
		snprintf(err, errlen, "disk override '%s': %s: %s", d->drive_id, d->path, strerror(-ret));
		return ret;
	}
	if (cfg->disk_sizes[i] && size != cfg->disk_sizes[i]) {
		snprintf(err, errlen, "disk override '%s': %s has %llu bytes, the snapshot's disk %llu "
			 "(a clone's disk must be a copy of the same size)", d->drive_id, d->path,
			 (unsigned long long)size, (unsigned long long)cfg->disk_sizes[i]);
		return -EINVAL;
	}
	*index = i;
	return 0;
}

static int snap_override_check_net(const struct snap_config *cfg, const struct snap_net_override *n,
				   int *index, char *err, size_t errlen)
{
	int i = snap_override_find_net(cfg, n->iface_id);

	if (i < 0) {
		snprintf(err, errlen, "network override '%s': the snapshot has no such interface", n->iface_id);
		return -ENOENT;
	}
	if (n->tap[0] && cfg->vm.nets[i].type != NET_TAP) {
		snprintf(err, errlen, "network override '%s': it is user-mode networking, not a TAP "
			 "interface; only its MAC can be overridden", n->iface_id);
		return -EINVAL;
	}
	*index = i;
	return 0;
}

int snap_overrides_apply(struct snap_config *cfg, const struct snap_overrides *o, char *err, size_t errlen)
{
	int disk_index[VM_MAX_DISKS], net_index[NET_MAX_DEVICES];
	char *paths[VM_MAX_DISKS] = { 0 };
	bool disk_seen[VM_MAX_DISKS] = { 0 }, net_seen[NET_MAX_DEVICES] = { 0 };
	int ret;

	if (!o)
		return 0;
	if (o->nr_disks > VM_MAX_DISKS || o->nr_nets > NET_MAX_DEVICES) {
		snprintf(err, errlen, "too many overrides");
		return -EINVAL;
	}
	/* Check everything first. */
	for (uint32_t k = 0; k < o->nr_disks; k++) {
		ret = snap_override_check_disk(cfg, &o->disks[k], &disk_index[k], err, errlen);
		if (ret)
			goto out_free;
		if (disk_seen[disk_index[k]]) {
			snprintf(err, errlen, "disk override '%s': given twice", o->disks[k].drive_id);
			ret = -EINVAL;
			goto out_free;
		}
		disk_seen[disk_index[k]] = true;
		paths[k] = strdup(o->disks[k].path);
		if (!paths[k]) {
			snprintf(err, errlen, "out of memory");
			ret = -ENOMEM;
			goto out_free;
		}
	}
	for (uint32_t k = 0; k < o->nr_nets; k++) {
		ret = snap_override_check_net(cfg, &o->nets[k], &net_index[k], err, errlen);
		if (ret)
			goto out_free;
		if (net_seen[net_index[k]]) {
			snprintf(err, errlen, "network override '%s': given twice", o->nets[k].iface_id);
			ret = -EINVAL;
			goto out_free;
		}
		net_seen[net_index[k]] = true;
	}

	/* Then apply: nothing below can fail. */
	for (uint32_t k = 0; k < o->nr_disks; k++) {
		int i = disk_index[k];

		free(cfg->disk_paths[i]);
		cfg->disk_paths[i] = paths[k];
		cfg->vm.disks[i].path = paths[k];
	}
	for (uint32_t k = 0; k < o->nr_nets; k++) {
		const struct snap_net_override *n = &o->nets[k];
		struct net_config *net = &cfg->vm.nets[net_index[k]];

		if (n->tap[0])
			memcpy(net->ifname, n->tap, sizeof(net->ifname));
		if (n->has_mac)
			memcpy(net->mac, n->mac, sizeof(net->mac));
	}
	return 0;

out_free:
	for (uint32_t k = 0; k < o->nr_disks; k++)
		free(paths[k]);
	return ret;
}
