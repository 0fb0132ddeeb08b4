/* SPDX-License-Identifier: MIT */
/*
 * --net: "tap=NAME[,mac=MAC][,queues=N]" or "user[,mac=MAC][,hostfwd=RULE]..."
 * where RULE is [tcp|udp]:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT (QEMU's
 * form) and N the TAP's queue pairs (1 to NET_MAX_QUEUES, default 1).
 */
#ifndef VESSEL_CLI_NET_OPTION_H
#define VESSEL_CLI_NET_OPTION_H

#include <stddef.h>
#include <stdint.h>

#include "net/net_config.h"

/*
 * Parses one --net value into cfg. Without mac=, the MAC is
 * 52:54:00:xx:xx:xx with xx from pid and index (the option's position), so
 * VMs on one host and NICs in one VM differ. 0, or -EINVAL with the reason
 * in err.
 */
__attribute__((warn_unused_result))
int net_option_parse(const char *arg, uint32_t pid, uint32_t index, struct net_config *cfg,
		     char *err, size_t errlen);

/* Parses "XX:XX:XX:XX:XX:XX" (a unicast, non-zero address). 0 or -EINVAL. */
int net_option_parse_mac(const char *s, uint8_t mac[6]);

#endif
