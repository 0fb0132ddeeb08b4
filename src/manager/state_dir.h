/* SPDX-License-Identifier: MIT */
/*
 * Where the manager keeps its state: one directory holding the daemon's API
 * socket (vesseld.sock) and a directory per VM (vms/NAME/) with its
 * definition, its monitor's sockets (api.sock, console.sock), log and exit
 * record. The daemon and every CLI verb find it the same way:
 * --state-dir, else $VESSEL_STATE_DIR, else /var/lib/vessel for root and
 * $XDG_STATE_HOME/vessel (~/.local/state/vessel) for other users.
 */
#ifndef VESSEL_MANAGER_STATE_DIR_H
#define VESSEL_MANAGER_STATE_DIR_H

#include <stdbool.h>
#include <stddef.h>

#define MANAGER_NAME_MAX 64
#define MANAGER_DAEMON_SOCK "vesseld.sock"
#define MANAGER_VM_API_SOCK "api.sock"
#define MANAGER_VM_CONSOLE_SOCK "console.sock"

/* The state directory (override: --state-dir's value, or NULL). 0 or -errno (-ENAMETOOLONG, -ENOENT if no home). */
int manager_state_dir(const char *override, char *buf, size_t len);

/* <state>/vms/<name>/<file> (file may be NULL for the directory). 0 or -EINVAL / -ENAMETOOLONG. */
int manager_vm_path(const char *state_dir, const char *name, const char *file, char *buf, size_t len);

/* A VM name: 1-64 of [A-Za-z0-9_.-], not starting with '.' or '-' (no path characters). */
bool manager_name_valid(const char *name);

#endif
