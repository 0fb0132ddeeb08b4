/* SPDX-License-Identifier: MIT */
#include "snapshot/snap_config.h"

#include <stdio.h>

#define SNAP_PATH_MAX       4096
#define SNAP_MAX_CPUS       255
#define SNAP_MIN_MEM        (16ULL << 20)
#define SNAP_MAX_MEM        (1ULL << 40)
#define SNAP_SERIAL_MAX     20
#define SNAP_ID_MAX         64

static void snap_config_put_net(struct snap_writer *w, const struct net_config *n)
{
	snap_put_u32(w, (uint32_t)n->type);
	snap_put_str(w, n->ifname);
	snap_put(w, n->mac, sizeof(n->mac));
	snap_put_u32(w, n->queues ? n->queues : 1);
	snap_put_u32(w, n->nr_hostfwd);
	for (uint32_t i = 0; i < n->nr_hostfwd && i < NET_MAX_HOSTFWD; i++) {
		const struct net_hostfwd *f = &n->hostfwd[i];

		snap_put_u32(w, f->udp);
		snap_put_u32(w, f->host_addr);
		snap_put_u32(w, f->host_port);
		snap_put_u32(w, f->guest_addr);
		snap_put_u32(w, f->guest_port);
	}
}

void snap_config_save(const struct vm_config *cfg, const uint64_t *disk_sizes, struct snap_writer *w)
{
	snap_put_u32(w, cfg->nr_cpus);
	snap_put_u64(w, cfg->mem_size);
	snap_put_u32(w, (uint32_t)cfg->cpu_model);
	snap_put_u32(w, (uint32_t)cfg->console_device);
	snap_put_u32(w, cfg->rng);
	snap_put_u32(w, cfg->nr_disks);
	for (uint32_t i = 0; i < cfg->nr_disks; i++) {
		const struct virtio_blk_config *d = &cfg->disks[i];

		snap_put_str(w, d->path);
		snap_put_u32(w, d->readonly);
		snap_put_u32(w, d->direct);
		snap_put_str(w, d->serial);
		snap_put_u32(w, (uint32_t)d->aio);
		snap_put_u32(w, d->queues ? d->queues : 1);
		snap_put_str(w, cfg->disk_ids[i]);
		snap_put_u64(w, disk_sizes ? disk_sizes[i] : 0);
	}
	snap_put_u32(w, cfg->nr_nets);
	for (uint32_t i = 0; i < cfg->nr_nets; i++) {
		snap_config_put_net(w, &cfg->nets[i]);
		snap_put_str(w, cfg->net_ids[i]);
	}
}

static int snap_config_bad(char *err, size_t errlen, const char *what)
{
	snprintf(err, errlen, "snapshot configuration: %s", what);
	return -EINVAL;
}

/* A string of 1..max bytes without NULs, copied (NUL terminated) into *out; NULL allowed if nullable. */
static int snap_config_get_str(struct snap_reader *r, char **out, uint32_t max, bool nullable)
{
	const char *s;
	uint32_t len;

	*out = NULL;
	if (snap_get_str(r, &s, &len, max))
		return -EINVAL;
	if (!s)
		return nullable ? 0 : -EINVAL;
	if (!len || memchr(s, '\0', len))
		return -EINVAL;
	*out = strndup(s, len);
	return *out ? 0 : -ENOMEM;
}

static bool snap_bool(uint32_t v, bool *out)
{
	*out = v == 1;
	return v <= 1;
}

static int snap_config_get_net(struct snap_reader *r, struct net_config *n)
{
	const char *name;
	uint32_t type, len, queues, v[5];

	if (snap_get_u32(r, &type) || (type != NET_TAP && type != NET_USER))
		return -EINVAL;
	n->type = (enum net_type)type;
	if (snap_get_str(r, &name, &len, NET_IFNAME_MAX) || !name || memchr(name, '\0', len))
		return -EINVAL;
	memcpy(n->ifname, name, len);
	n->ifname[len] = '\0';
	if (snap_get(r, n->mac, sizeof(n->mac)) || snap_get_u32(r, &queues) || !queues ||
	    queues > NET_MAX_QUEUES || (queues > 1 && n->type != NET_TAP) ||
	    snap_get_u32(r, &n->nr_hostfwd) || n->nr_hostfwd > NET_MAX_HOSTFWD)
		return -EINVAL;
	n->queues = (uint16_t)queues;
	for (uint32_t i = 0; i < n->nr_hostfwd; i++) {
		struct net_hostfwd *f = &n->hostfwd[i];

		for (int j = 0; j < 5; j++)
			if (snap_get_u32(r, &v[j]))
				return -EINVAL;
		if (v[0] > 1 || v[2] > 0xffff || v[4] > 0xffff)
			return -EINVAL;
		*f = (struct net_hostfwd){ .udp = v[0], .host_addr = v[1], .host_port = (uint16_t)v[2],
					   .guest_addr = v[3], .guest_port = (uint16_t)v[4] };
	}
	return 0;
}

int snap_config_load(struct snap_reader *r, struct snap_config *out, char *err, size_t errlen)
{
	struct vm_config *cfg = &out->vm;
	uint32_t v, model, console;
	int ret;

	*out = (struct snap_config){ 0 };
	if (snap_get_u32(r, &cfg->nr_cpus) || !cfg->nr_cpus || cfg->nr_cpus > SNAP_MAX_CPUS)
		return snap_config_bad(err, errlen, "bad vCPU count");
	if (snap_get_u64(r, &cfg->mem_size) || cfg->mem_size < SNAP_MIN_MEM || cfg->mem_size > SNAP_MAX_MEM ||
	    cfg->mem_size % 4096)
		return snap_config_bad(err, errlen, "bad memory size");
	if (snap_get_u32(r, &model) || (model != CPU_MODEL_HOST && model != CPU_MODEL_PVM_SAFE))
		return snap_config_bad(err, errlen, "bad CPU model");
	cfg->cpu_model = (enum cpu_model)model;
	if (snap_get_u32(r, &console) || (console != VM_CONSOLE_SERIAL && console != VM_CONSOLE_VIRTIO))
		return snap_config_bad(err, errlen, "bad console device");
	cfg->console_device = (enum vm_console_device)console;
	if (snap_get_u32(r, &v) || !snap_bool(v, &cfg->rng))
		return snap_config_bad(err, errlen, "bad rng flag");
	if (snap_get_u32(r, &cfg->nr_disks) || cfg->nr_disks > VM_MAX_DISKS)
		return snap_config_bad(err, errlen, "bad disk count");
	for (uint32_t i = 0; i < cfg->nr_disks; i++) {
		struct virtio_blk_config *d = &cfg->disks[i];
		uint32_t ro, direct, aio, queues;

		ret = snap_config_get_str(r, &out->disk_paths[i], SNAP_PATH_MAX, false);
		if (!ret)
			ret = snap_get_u32(r, &ro) || snap_get_u32(r, &direct) ? -EINVAL : 0;
		if (!ret)
			ret = snap_config_get_str(r, &out->disk_serials[i], SNAP_SERIAL_MAX, true);
		if (!ret && (snap_get_u32(r, &aio) || aio > BLOCK_AIO_THREADS || !snap_bool(ro, &d->readonly) ||
			     !snap_bool(direct, &d->direct)))
			ret = -EINVAL;
		if (!ret && (snap_get_u32(r, &queues) || !queues || queues > VIRTIO_BLK_MAX_QUEUES))
			ret = -EINVAL;
		if (!ret)
			ret = snap_config_get_str(r, &out->disk_ids[i], SNAP_ID_MAX, true);
		if (!ret && (snap_get_u64(r, &out->disk_sizes[i]) || out->disk_sizes[i] % 512))
			ret = -EINVAL;
		if (ret) {
			snap_config_free(out);
			return snap_config_bad(err, errlen, "bad disk");
		}
		d->path = out->disk_paths[i];
		d->serial = out->disk_serials[i];
		d->aio = (enum block_aio_kind)aio;
		d->queues = (uint16_t)queues;
		cfg->disk_ids[i] = out->disk_ids[i];
	}
	if (snap_get_u32(r, &cfg->nr_nets) || cfg->nr_nets > NET_MAX_DEVICES) {
		snap_config_free(out);
		return snap_config_bad(err, errlen, "bad NIC count");
	}
	for (uint32_t i = 0; i < cfg->nr_nets; i++) {
		if (snap_config_get_net(r, &cfg->nets[i]) ||
		    snap_config_get_str(r, &out->net_ids[i], SNAP_ID_MAX, true)) {
			snap_config_free(out);
			return snap_config_bad(err, errlen, "bad NIC");
		}
		cfg->net_ids[i] = out->net_ids[i];
	}
	if (snap_left(r)) {
		snap_config_free(out);
		return snap_config_bad(err, errlen, "trailing bytes");
	}
	return 0;
}

void snap_config_free(struct snap_config *cfg)
{
	for (int i = 0; i < VM_MAX_DISKS; i++) {
		free(cfg->disk_paths[i]);
		free(cfg->disk_serials[i]);
		free(cfg->disk_ids[i]);
	}
	for (int i = 0; i < NET_MAX_DEVICES; i++)
		free(cfg->net_ids[i]);
	free(cfg->vsock_uds_path);
	free(cfg->vsock_id);
	*cfg = (struct snap_config){ 0 };
}

void snap_config_save_balloon(const struct virtio_balloon_config *cfg, struct snap_writer *w)
{
	snap_put_u32(w, cfg->target_mib);
	snap_put_u32(w, cfg->deflate_on_oom);
	snap_put_u32(w, cfg->free_page_reporting);
	snap_put_u32(w, cfg->stats_interval_s);
}

int snap_config_load_balloon(struct snap_reader *r, struct virtio_balloon_config *out, char *err, size_t errlen)
{
	uint32_t target, oom, reporting, interval;

	if (snap_get_u32(r, &target) || snap_get_u32(r, &oom) || snap_get_u32(r, &reporting) ||
	    snap_get_u32(r, &interval) || snap_left(r) || target > SNAP_MAX_MEM >> 20 ||
	    !snap_bool(oom, &out->deflate_on_oom) || !snap_bool(reporting, &out->free_page_reporting) ||
	    interval > VIRTIO_BALLOON_STATS_INTERVAL_MAX)
		return snap_config_bad(err, errlen, "bad balloon");
	out->enabled = true;
	out->target_mib = target;
	out->stats_interval_s = interval;
	return 0;
}

void snap_config_save_vsock(const struct vsock_config *cfg, struct snap_writer *w)
{
	snap_put_u32(w, cfg->guest_cid);
	snap_put_str(w, cfg->uds_path);
	snap_put_str(w, cfg->id);
}

int snap_config_load_vsock(struct snap_reader *r, struct snap_config *out, char *err, size_t errlen)
{
	uint32_t cid;

	if (snap_get_u32(r, &cid) || cid < VSOCK_CID_MIN || cid > VSOCK_CID_MAX ||
	    snap_config_get_str(r, &out->vsock_uds_path, VSOCK_UDS_PATH_MAX, false) ||
	    snap_config_get_str(r, &out->vsock_id, SNAP_ID_MAX, true) || snap_left(r))
		return snap_config_bad(err, errlen, "bad vsock");
	out->vm.vsock = (struct vsock_config){
		.enabled = true, .guest_cid = cid, .uds_path = out->vsock_uds_path, .id = out->vsock_id,
	};
	return 0;
}
