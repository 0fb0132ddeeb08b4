/* SPDX-License-Identifier: MIT */
/*
 * Live migration, source side (docs/migration.md): pre-copy of guest RAM
 * with KVM dirty logging while the guest runs, in rounds, until what is
 * left fits the downtime budget (or a round limit is hit); then, on the
 * VM's event loop thread with the vCPUs paused and block I/O drained, the
 * rest of the pages, the device and vCPU state (src/snapshot's stream) and
 * an end mark. The VM stops (VM_EXIT_MIGRATED) only once the destination
 * acknowledged that it loaded everything and runs the guest; any failure
 * before that resumes the guest here.
 *
 * migration_start() and migration_get_status() are called on the VM's event
 * loop thread (the API's handlers run there); the rounds run on a thread of
 * the migration's own.
 */
#ifndef VESSEL_MIGRATION_MIGRATION_H
#define VESSEL_MIGRATION_MIGRATION_H

#include <stddef.h>
#include <stdint.h>

#include "core/vm.h"

#define MIGRATION_DEFAULT_DOWNTIME_MS 100
#define MIGRATION_DEFAULT_MAX_ROUNDS  30

struct migration;

struct migration_params {
	const char *destination;    /* tcp://HOST:PORT */
	uint32_t downtime_ms;       /* 0: MIGRATION_DEFAULT_DOWNTIME_MS */
	uint32_t max_rounds;        /* pre-copy rounds after the first; 0: the default */
};

enum migration_state {
	MIGRATION_NONE = 0,
	MIGRATION_CONNECTING,       /* connecting, handshake */
	MIGRATION_PRECOPY,          /* sending RAM while the guest runs */
	MIGRATION_STOPPING,         /* guest paused: last pages, state, waiting for the ack */
	MIGRATION_COMPLETED,        /* the guest runs at the destination; this VM ends */
	MIGRATION_FAILED,           /* the guest runs here still; error says why */
};

struct migration_status {
	enum migration_state state;
	char destination[280];
	uint32_t downtime_budget_ms;
	uint32_t rounds;            /* pre-copy rounds sent (the first, full one included) */
	uint64_t bytes_sent;
	uint64_t pages_sent;        /* with their bytes, all rounds */
	uint64_t zero_pages;        /* as zero markers */
	uint64_t dirty_pages;       /* found dirty at the end of the last round */
	uint64_t bandwidth_bps;     /* measured over the last round */
	uint64_t total_ms;          /* start to now, or to the end */
	uint64_t downtime_us;       /* paused here to the destination's ack */
	uint64_t dest_load_us;      /* the destination's end mark to resume */
	char error[256];
};

/*
 * Starts migrating vm to p->destination. *mig holds the previous migration
 * (finished ones are replaced) or NULL. 0, or -errno with err: -EBUSY when
 * one is running, -EINVAL for a bad destination.
 */
__attribute__((warn_unused_result))
int migration_start(struct migration **mig, struct vm *vm, const struct migration_params *p,
		    char *err, size_t errlen);

/*
 * Progress or outcome. Once a COMPLETED status has been read, the VM is
 * asked to stop (it also stops by itself a few seconds after completing).
 */
void migration_get_status(struct migration *mig, struct migration_status *st);

const char *migration_state_name(enum migration_state state);

/* One line with the outcome: what `vessel migrate` and the source's log print. */
void migration_format_report(const struct migration_status *st, char *buf, size_t len);

/* Cancels a running migration (the guest keeps running) and frees it. NULL is fine. */
void migration_destroy(struct migration *mig);

#endif
