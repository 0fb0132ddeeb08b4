/* SPDX-License-Identifier: MIT */
/*
 * Snapshots of a running VM (docs/snapshot.md): a state file in the format
 * of snap_format.h, and a memory file that is guest RAM byte for byte
 * (sparse: pages of zeroes are holes). Restore maps the memory file
 * copy-on-write, so it starts at once and several clones share it.
 *
 * The state is a byte stream built in memory (snapshot_save_state()), so
 * live migration can send the same sections over a socket later.
 */
#ifndef VESSEL_SNAPSHOT_SNAPSHOT_H
#define VESSEL_SNAPSHOT_SNAPSHOT_H

#include <stddef.h>
#include <stdint.h>

#include "core/vm.h"
#include "snapshot/snap_buf.h"
#include "snapshot/snap_config.h"
#include "snapshot/snap_format.h"

/* The names `vessel run --restore DIR` and `vessel snapshot ... DIR` use. */
#define SNAPSHOT_STATE_FILE "vm.state"
#define SNAPSHOT_MEM_FILE   "vm.mem"

/* ---- create ---- */

/*
 * Lets every device finish its work in flight (block requests complete);
 * the VM must be paused. 0 or -errno with err.
 */
__attribute__((warn_unused_result))
int snapshot_quiesce(struct vm *vm, char *err, size_t errlen);

/* Appends the whole state stream (header, sections, checksum) to w. Paused and quiesced. */
__attribute__((warn_unused_result))
int snapshot_save_state(struct vm *vm, struct snap_writer *w, char *err, size_t errlen);

/* Writes guest RAM to fd from offset 0, leaving holes for pages of zeroes. */
__attribute__((warn_unused_result))
int snapshot_save_memory(struct vm *vm, int fd, char *err, size_t errlen);

struct snapshot_stats {
	uint64_t total_us;
	uint64_t state_bytes;
	uint64_t mem_bytes_written; /* non-zero pages */
};

/*
 * A full snapshot to two files, each written beside its final name and
 * renamed into place. The VM must be paused: -EBUSY otherwise. stats may be NULL.
 */
__attribute__((warn_unused_result))
int snapshot_create(struct vm *vm, const char *state_path, const char *mem_path,
		    struct snapshot_stats *stats, char *err, size_t errlen);

/* ---- restore ---- */

struct snapshot_file {
	uint8_t *buf;               /* the whole state file */
	size_t len;
	struct snap_image img;      /* sections, pointing into buf */
	struct snap_config cfg;     /* the machine to rebuild */
};

/*
 * Reads and checks a state file completely: format, checksum, every
 * section's presence and bounds, the configuration. 0, or -errno with a
 * one-line reason in err (nothing to free then).
 */
__attribute__((warn_unused_result))
int snapshot_file_read(struct snapshot_file *f, const char *path, char *err, size_t errlen);
/* The same on a buffer already in memory (taken over: freed by snapshot_file_free()). */
__attribute__((warn_unused_result))
int snapshot_file_parse(struct snapshot_file *f, uint8_t *buf, size_t len, char *err, size_t errlen);
void snapshot_file_free(struct snapshot_file *f);

/*
 * Builds the snapshot's machine (vm_create() with the saved configuration;
 * from host only the terminal console, restore_mem_path and the clone
 * fields are taken) and applies the state: KVM VM state, vCPUs, devices.
 * With host->restore_as_clone (a restore from snapshot files, not a live
 * migration) the VM becomes its own clone: host->restore_overrides are
 * checked and applied to f's configuration before anything is built, and
 * once the state is in, a new VM generation ID is written (the guest is
 * notified) and overridden MACs are announced. The VM is ready for
 * vm_run(). On failure nothing is left: the VM is destroyed, and err says why.
 * f must outlive the VM (its configuration strings are used by it).
 */
__attribute__((warn_unused_result))
int snapshot_restore(struct vm *vm, const struct vm_config *host, struct snapshot_file *f,
		     char *err, size_t errlen);

#endif
