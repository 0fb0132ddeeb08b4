/* SPDX-License-Identifier: MIT */
/*
 * One parsed API request and its answer, as plain data: the API thread fills
 * a request (api_routes.c), the VMM thread carries it out (api_vmm.c) and
 * fills the response, which the API thread sends.
 */
#ifndef VESSEL_API_API_REQUEST_H
#define VESSEL_API_API_REQUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "devices/virtio/virtio_balloon.h"
#include "net/net_config.h"
#include "net/vsock_config.h"
#include "snapshot/snap_override.h"

#define API_MAX_BODY        (64 * 1024)     /* larger request bodies get 413 */
#define API_ID_MAX          64              /* drive_id, iface_id */

enum api_op {
	API_OP_NONE = 0,
	API_OP_GET_INFO,            /* GET / */
	API_OP_PUT_BOOT_SOURCE,
	API_OP_PUT_MACHINE_CONFIG,
	API_OP_GET_MACHINE_CONFIG,
	API_OP_PUT_DRIVE,
	API_OP_PUT_NET,
	API_OP_GET_VM_CONFIG,
	API_OP_INSTANCE_START,
	API_OP_SEND_CTRL_ALT_DEL,
	API_OP_FLUSH_METRICS,
	API_OP_PAUSE,               /* PATCH /vm {"state": "Paused"} */
	API_OP_RESUME,
	API_OP_SHUTDOWN,            /* PUT /vessel/shutdown */
	API_OP_GET_STATUS,          /* GET /vessel/status */
	API_OP_SNAPSHOT_CREATE,     /* PUT /snapshot/create */
	API_OP_SNAPSHOT_LOAD,       /* PUT /snapshot/load */
	API_OP_MIGRATE,             /* PUT /vessel/migrate */
	API_OP_GET_MIGRATE,         /* GET /vessel/migrate */
	API_OP_PUT_BALLOON,         /* PUT /balloon (before boot) */
	API_OP_PATCH_BALLOON,       /* PATCH /balloon {"amount_mib"} */
	API_OP_GET_BALLOON,         /* GET /balloon */
	API_OP_GET_BALLOON_STATS,   /* GET /balloon/statistics */
	API_OP_PATCH_BALLOON_STATS, /* PATCH /balloon/statistics {"stats_polling_interval_s"} */
	API_OP_PUT_VSOCK,           /* PUT /vsock (before boot) */
};

struct api_boot_source {
	char *kernel_path;
	char *boot_args;            /* NULL: keep the default */
	char *initrd_path;          /* NULL: none */
};

struct api_machine_config {
	uint32_t vcpu_count;
	uint64_t mem_size_mib;
	uint64_t hugepage_size;     /* "huge_pages": "None" 0, "2M", "1G" */
};

struct api_drive {
	char *drive_id;
	char *path_on_host;
	bool is_root_device;
	bool is_read_only;
};

struct api_net {
	char *iface_id;
	char host_dev_name[NET_IFNAME_MAX + 1];
	bool has_mac;
	uint8_t guest_mac[6];
	uint16_t queues;            /* vessel's "queues": queue pairs, 1..NET_MAX_QUEUES; 0: not given */
};

/* PUT /snapshot/create and /snapshot/load (Firecracker's fields). */
struct api_snapshot {
	char *snapshot_path;        /* the state file */
	char *mem_path;             /* mem_file_path, or mem_backend.backend_path */
	bool resume_vm;             /* load: run at once, else stay paused */
	struct snap_overrides overrides;    /* load: drive_overrides, network_overrides */
};

/* PUT /vessel/migrate. */
struct api_migrate {
	char *destination;          /* tcp://HOST:PORT */
	uint32_t downtime_ms;       /* 0: the default */
	uint32_t max_rounds;        /* 0: the default */
};

/* The balloon routes (api_balloon.h). */
struct api_balloon {
	struct virtio_balloon_config cfg;   /* PUT */
	uint32_t amount_mib;                /* PATCH /balloon */
	uint32_t stats_interval_s;          /* PATCH /balloon/statistics */
};

/* PUT /vsock (api_vsock.h). */
struct api_vsock {
	uint32_t guest_cid;
	char uds_path[VSOCK_UDS_PATH_MAX + 1];
	char vsock_id[API_ID_MAX + 1];      /* "": none */
};

struct api_request {
	enum api_op op;
	union {
		struct api_vsock vsock;
		struct api_balloon balloon;
		struct api_boot_source boot;
		struct api_machine_config machine;
		struct api_drive drive;
		struct api_net net;
		struct api_snapshot snapshot;
		struct api_migrate migrate;
		uint32_t timeout_ms;
	} u;
};

struct api_response {
	int status;                 /* HTTP status */
	char *body;                 /* JSON (malloc'd), or NULL for no body */
};

/* Frees the strings a parsed request owns. */
void api_request_clear(struct api_request *req);

/* Sets resp to status with {"fault_message": "..."}; returns status. */
int api_response_error(struct api_response *resp, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Sets resp to status with body (taken over, may be NULL); returns status. */
int api_response_set(struct api_response *resp, int status, char *body);
void api_response_clear(struct api_response *resp);

#endif
