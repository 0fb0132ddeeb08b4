/* SPDX-License-Identifier: MIT */
/*
 * The manager daemon's state, shared by its parts:
 *   daemon.c            `vessel daemon`: lock, event loop, signals
 *   daemon_store.c      definitions and state on disk (config.json, state.json, exit.json)
 *   daemon_exec.c       running `vessel run` (the VM monitors, and --dry-run checks)
 *   daemon_supervisor.c starting, watching (pidfd), restart policy, finding VMs again
 *   daemon_vm_api.c     requests to a VM's own API (pause, resume, shutdown, status)
 *   daemon_api.c        the HTTP API: requests routed by daemon_routes.c, carried out
 *   daemon_move.c       ... snapshot and migrate, which take a VM elsewhere
 *   daemon_json.c       a VM as JSON, for GET /vms
 *   daemon_admission.c  the memory and vCPUs VMs may hold; the check before a start
 * One mutex guards the VM list and every VM's fields; API requests run in
 * their own threads (one per connection), the supervisor on the main thread.
 */
#ifndef VESSEL_MANAGER_DAEMON_H
#define VESSEL_MANAGER_DAEMON_H

#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "manager/daemon_admission.h"
#include "manager/daemon_routes.h"
#include "manager/state_dir.h"

#define MGR_RESTART_BURST       5       /* at most this many restarts ... */
#define MGR_RESTART_WINDOW_MS   60000   /* ... within this long, else "failed" */
#define MGR_REASON_MAX          256

#define MGR_VM_CONFIG   "config.json"
#define MGR_VM_STATE    "state.json"
#define MGR_VM_EXIT     "exit.json"
#define MGR_VM_LOG      "vessel.log"

enum mgr_vm_state {
	MGR_VM_STOPPED,             /* defined, not running (never started, or stopped) */
	MGR_VM_RUNNING,
	MGR_VM_PAUSED,
	MGR_VM_STOPPING,            /* stop asked: waiting for the monitor to exit */
	MGR_VM_CRASHED,             /* ended on its own with a non-zero status */
	MGR_VM_FAILED,              /* the restart policy gave up */
	MGR_VM_MIGRATED,            /* ended after a live migration: the guest runs elsewhere */
};

/* How a monitor's exit record (exit.json) begins after a completed migration (vessel run's exit message). */
#define MGR_REASON_MIGRATED "migrated"

#define MGR_VM_API_TIMEOUT_MS   5000    /* pause, resume, shutdown, status */
#define MGR_SNAPSHOT_TIMEOUT_MS (10 * 60 * 1000)  /* writing a large VM's memory */

struct mgr_vm {
	struct mgr_vm *next;
	char name[MANAGER_NAME_MAX + 1];
	/* The definition (config.json) */
	char **args;
	int nr_args;
	enum mgr_restart restart;
	uint32_t vcpus;
	uint64_t mem_mib;
	bool reserve;               /* holds its memory and vCPUs from create to rm (daemon_admission.h) */
	/* Supervision (state.json) */
	enum mgr_vm_state state;
	pid_t pid;                  /* the monitor, while running/paused/stopping */
	uint64_t proc_start;        /* its start time in clock ticks (/proc/PID/stat): PID reuse guard */
	int pidfd;                  /* -1 when not watched */
	bool is_child;              /* started by this daemon (waitid gives the status) */
	int64_t started_ms;         /* wall clock of the last start */
	bool has_exit;              /* exit_status/reason are set */
	int exit_status;            /* -1: unknown (no exit record) */
	char reason[MGR_REASON_MAX];
	uint32_t restarts;          /* automatic restarts since the last user start */
	int64_t restart_ms[MGR_RESTART_BURST];  /* when the last ones happened */
	bool stop_requested;        /* stop or kill: the exit is not a failure */
	uint32_t busy;              /* requests to its API in flight: no delete meanwhile */
	bool snapshotting;          /* a snapshot request is in flight */
	char *migration;            /* the last GET /vessel/migrate answer (JSON), kept after the VM ended */
};

struct mgr_daemon {
	char exe[PATH_MAX];         /* this vessel binary, run for each VM */
	char state_dir[PATH_MAX];
	char sock_path[PATH_MAX];
	pthread_mutex_t lock;
	struct mgr_vm *vms;
	struct mgr_capacity cap;    /* what VMs may hold (--max-memory, --cpu-overcommit) */
	int epoll_fd;
	int verbose;
};

/* Logging on the daemon's stderr (one line each, with a "vessel daemon: " prefix). */
void mgr_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

int64_t mgr_now_ms(void);
const char *mgr_vm_state_name(enum mgr_vm_state state);
/* Running, paused or stopping: its monitor process exists. */
static inline bool mgr_vm_is_active(const struct mgr_vm *vm)
{
	return vm->state == MGR_VM_RUNNING || vm->state == MGR_VM_PAUSED || vm->state == MGR_VM_STOPPING;
}
struct mgr_vm *mgr_vm_find(struct mgr_daemon *d, const char *name);
void mgr_vm_free(struct mgr_vm *vm);
int mgr_vm_path(const struct mgr_daemon *d, const struct mgr_vm *vm, const char *file, char *buf, size_t len);

/* daemon_store.c: 0 or -errno (logged). */
int mgr_store_save_config(struct mgr_daemon *d, const struct mgr_vm *vm);
int mgr_store_save_state(struct mgr_daemon *d, const struct mgr_vm *vm);
int mgr_store_load_all(struct mgr_daemon *d);
int mgr_store_remove(struct mgr_daemon *d, const struct mgr_vm *vm);
/* Reads exit.json into vm's exit fields; -ENOENT if there is none. */
int mgr_store_read_exit(struct mgr_daemon *d, struct mgr_vm *vm);

/* daemon_exec.c */
struct mgr_capture {
	int status;                 /* exit status, 128+N for a signal, -1 if it did not end in time */
	char out[4096];             /* stdout and stderr together, NUL-terminated (truncated) */
};
/* Runs argv (argv[0] a path) with stdin /dev/null and waits up to timeout_ms. 0 or -errno. */
int mgr_exec_capture(char *const argv[], int timeout_ms, struct mgr_capture *cap);
/* Starts the monitor in its own session: stdin /dev/null, stdout+stderr appended to log_path. */
int mgr_exec_monitor(char *const argv[], const char *log_path, pid_t *pid);

/* daemon_supervisor.c (all with d->lock held) */
int mgr_vm_start(struct mgr_daemon *d, struct mgr_vm *vm, char *err, size_t errlen);
/* The pidfd fd became readable: the monitor ended. */
void mgr_supervisor_on_exit(struct mgr_daemon *d, int pidfd);
/* After loading the definitions: watch the monitors still running, account for the others. */
void mgr_supervisor_adopt_all(struct mgr_daemon *d);
/* Closes every pidfd, leaving the VMs running (daemon exit). */
void mgr_supervisor_release_all(struct mgr_daemon *d);

/*
 * daemon_vm_api.c (without d->lock: this waits for the VM). 0 with the HTTP
 * status: msg gets the body of a 2xx answer, else its fault_message; or
 * -errno with the reason in msg when the VM's API does not answer.
 */
int mgr_vm_api_call(const char *api_sock, const char *method, const char *path, const char *body,
		    long *status, char *msg, size_t msglen);
/* The same, waiting up to timeout_ms for the answer (MGR_VM_API_TIMEOUT_MS above). */
int mgr_vm_api_call_timeout(const char *api_sock, const char *method, const char *path, const char *body,
			    int timeout_ms, long *status, char *msg, size_t msglen);

/* daemon_api.c: the HTTP handler (api_server_handler_fn). */
void mgr_api_handle(void *ctx, const char *method, const char *url, const char *body, size_t len,
		    struct api_response *resp);
/* The VM as the answer's body. */
void mgr_api_reply_vm(struct api_response *resp, int status, const struct mgr_vm *vm);
/*
 * One request to the VM's own API, called and returning with d->lock held,
 * which it drops while it waits (vm->busy keeps the VM meanwhile).
 */
int mgr_api_call_vm(struct mgr_daemon *d, struct mgr_vm *vm, const char *method, const char *path,
		    const char *body, int timeout_ms, long *status, char *msg, size_t msglen);
/*
 * The VM named name if it is running or paused, for a request its own API
 * serves (d->lock held): NULL with resp's error if not, 404 or 409 "VM 'x'
 * is stopped: only a running or paused VM <can>".
 */
struct mgr_vm *mgr_vm_find_live(struct mgr_daemon *d, const char *name, const char *can,
				struct api_response *resp);
/*
 * Forwards a request to vm's own API (mgr_api_call_vm), which answers 204
 * when it takes it: 0, or resp's error status: 502 if the API does not
 * answer, else the VM's own message, with 409 if it contains conflict (not
 * NULL), 400 if the VM answered 400, 502 otherwise.
 */
int mgr_api_forward_vm(struct mgr_daemon *d, struct mgr_vm *vm, const char *method, const char *path,
		       const char *body, const char *conflict, struct api_response *resp);
/* Pauses or resumes the VM (PATCH /vm), its recorded state following; 0, or resp's error status. */
int mgr_api_set_paused(struct mgr_daemon *d, struct mgr_vm *vm, bool pause, struct api_response *resp);

/* daemon_move.c (each takes d->lock itself) */
void mgr_snapshot(struct mgr_daemon *d, const struct mgr_request *req, struct api_response *resp);
void mgr_migrate(struct mgr_daemon *d, const struct mgr_request *req, struct api_response *resp);
void mgr_migrate_status(struct mgr_daemon *d, const struct mgr_request *req, struct api_response *resp);
/* PATCH /vms/NAME/balloon: the VM's own PATCH /balloon (daemon_balloon.c). */
void mgr_balloon(struct mgr_daemon *d, const struct mgr_request *req, struct api_response *resp);

/* daemon_json.c */
struct json_object *mgr_vm_to_json(const struct mgr_vm *vm);
/* {"memory_mib": {"capacity", "committed"}, "vcpus": {...}, "vm_overhead_mib"}, for GET / */
struct json_object *mgr_resources_json(const struct mgr_daemon *d);

#endif
