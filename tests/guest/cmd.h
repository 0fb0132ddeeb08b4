/* SPDX-License-Identifier: MIT */
/* Guest commands (run= list and shell); each prints key=value lines. */
#ifndef VESSEL_GUEST_CMD_H
#define VESSEL_GUEST_CMD_H

/* arg is the text after ':' or "" */
int cmd_info(const char *arg);
int cmd_smp(const char *arg);
int cmd_memtest(const char *arg);
int cmd_echo(const char *arg);
int cmd_poweroff(const char *arg);
int cmd_reset(const char *arg);
int cmd_triplefault(const char *arg);
int cmd_help(const char *arg);
int cmd_pci(const char *arg);
int cmd_rng(const char *arg);
int cmd_virtio_bad(const char *arg);

/* Run "a,b:arg,c" in order. */
void cmd_run_list(const char *list);
void cmd_shell(void) __attribute__((noreturn));

#endif
