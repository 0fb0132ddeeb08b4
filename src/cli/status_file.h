/* SPDX-License-Identifier: MIT */
/*
 * `vessel run --status-file PATH`: at exit, vessel records why it ended as
 * {"exit_status": N, "reason": "..."} (written to PATH.tmp, then renamed),
 * for a supervisor that is not its parent (the manager after a restart).
 */
#ifndef VESSEL_CLI_STATUS_FILE_H
#define VESSEL_CLI_STATUS_FILE_H

/* 0 or -errno. path NULL: nothing to do. */
int status_file_write(const char *path, int exit_status, const char *reason);

#endif
