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
int cmd_hvc(const char *arg);
int cmd_hvcwrite(const char *arg);
int cmd_hvcemerg(const char *arg);
int cmd_hvcecho(const char *arg);
int cmd_blk(const char *arg);
int cmd_blkwrite(const char *arg);
int cmd_blkread(const char *arg);
int cmd_blkverify(const char *arg);
int cmd_blkflush(const char *arg);
int cmd_blkdiscard(const char *arg);
int cmd_blkzero(const char *arg);
int cmd_blkid(const char *arg);
int cmd_blkbench(const char *arg);
int cmd_blkbad(const char *arg);
int cmd_blkmq(const char *arg);
int cmd_net(const char *arg);
int cmd_ip(const char *arg);
int cmd_dhcp(const char *arg);
int cmd_ping(const char *arg);
int cmd_respond(const char *arg);
int cmd_tcpget(const char *arg);
int cmd_tcpserve(const char *arg);
int cmd_netloss(const char *arg);
int cmd_netbench(const char *arg);
int cmd_powerwait(const char *arg);
int cmd_tick(const char *arg);
int cmd_spin(const char *arg);
int cmd_memtick(const char *arg);
int cmd_balloon(const char *arg);
int cmd_balloonreport(const char *arg);
int cmd_balloonbad(const char *arg);
int cmd_memdirty(const char *arg);
int cmd_netmac(const char *arg);
int cmd_netmq(const char *arg);
int cmd_vmgenid(const char *arg);
int cmd_vmgenwait(const char *arg);
int cmd_vsock(const char *arg);
int cmd_vsockecho(const char *arg);
int cmd_vsocksend(const char *arg);
int cmd_vsockbad(const char *arg);

/* Run "a,b:arg,c" in order. */
void cmd_run_list(const char *list);
void cmd_shell(void) __attribute__((noreturn));

#endif
