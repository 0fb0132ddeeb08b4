/* SPDX-License-Identifier: MIT */
#include "cli/net_option.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

int net_option_parse_mac(const char *s, uint8_t mac[6])
{
	uint8_t m[6];

	if (strlen(s) != 17)
		return -EINVAL;
	for (int i = 0; i < 6; i++) {
		int hi = hexval(s[3 * i]), lo = hexval(s[3 * i + 1]);

		if (hi < 0 || lo < 0 || (i < 5 && s[3 * i + 2] != ':'))
			return -EINVAL;
		m[i] = (uint8_t)(hi << 4 | lo);
	}
	/* A NIC's own address must be unicast and not all zeros. */
	if ((m[0] & 1) || !(m[0] | m[1] | m[2] | m[3] | m[4] | m[5]))
		return -EINVAL;
	memcpy(mac, m, 6);
	return 0;
}

/* The kernel's rule for interface names (dev_valid_name()). */
static bool net_ifname_valid(const char *name)
{
	if (!*name || strlen(name) > NET_IFNAME_MAX || !strcmp(name, ".") || !strcmp(name, ".."))
		return false;
	for (const char *p = name; *p; p++)
		if (*p == '/' || *p == ':' || isspace((unsigned char)*p))
			return false;
	return true;
}

static int net_parse_port(const char *s, size_t len, uint16_t *port)
{
	unsigned long v = 0;

	if (len == 0 || len > 5)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -EINVAL;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v == 0 || v > 65535)
		return -EINVAL;
	*port = (uint16_t)v;
	return 0;
}

static int net_parse_addr(const char *s, size_t len, uint32_t *addr)
{
	char buf[INET_ADDRSTRLEN];
	struct in_addr a;

	if (len == 0) {
		*addr = 0;
		return 0;
	}
	if (len >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (inet_pton(AF_INET, buf, &a) != 1)
		return -EINVAL;
	*addr = a.s_addr;
	return 0;
}

/* "[tcp|udp]:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT" */
static int net_parse_hostfwd(const char *s, struct net_hostfwd *fwd)
{
	const char *c1, *dash, *c2;

	*fwd = (struct net_hostfwd){ 0 };
	if (!strncmp(s, "tcp:", 4)) {
		s += 4;
	} else if (!strncmp(s, "udp:", 4)) {
		fwd->udp = true;
		s += 4;
	} else if (*s == ':') {
		s += 1;
	} else {
		return -EINVAL;
	}
	c1 = strchr(s, ':');
	dash = c1 ? strchr(c1, '-') : NULL;
	c2 = dash ? strchr(dash, ':') : NULL;
	if (!c1 || !dash || !c2 || strchr(c2 + 1, ':'))
		return -EINVAL;
	if (net_parse_addr(s, (size_t)(c1 - s), &fwd->host_addr) ||
	    net_parse_port(c1 + 1, (size_t)(dash - c1 - 1), &fwd->host_port) ||
	    net_parse_addr(dash + 1, (size_t)(c2 - dash - 1), &fwd->guest_addr) ||
	    net_parse_port(c2 + 1, strlen(c2 + 1), &fwd->guest_port))
		return -EINVAL;
	return 0;
}

/* queues=N: queue pairs of a TAP NIC, 1..NET_MAX_QUEUES. */
static int net_parse_queues(const char *s, struct net_config *cfg, char *err, size_t errlen)
{
	if (cfg->type != NET_TAP) {
		snprintf(err, errlen, "--net: queues= is for tap networking only (user networking has one queue)");
		return -EINVAL;
	}
	unsigned long v = 0;
	size_t len = strlen(s);
	bool digits = len > 0 && len <= 3;

	for (size_t i = 0; i < len && digits; i++) {
		digits = isdigit((unsigned char)s[i]);
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (!digits || v < 1 || v > NET_MAX_QUEUES) {
		snprintf(err, errlen, "--net: queues '%s': expected 1 to %d queue pairs", s, NET_MAX_QUEUES);
		return -EINVAL;
	}
	cfg->queues = (uint16_t)v;
	return 0;
}

/* Applies one "key=value" item after the backend item. */
static int net_parse_item(const char *item, struct net_config *cfg, bool *mac_set, char *err, size_t errlen)
{
	if (!strncmp(item, "mac=", 4)) {
		if (net_option_parse_mac(item + 4, cfg->mac)) {
			snprintf(err, errlen, "--net: mac '%s': expected a unicast address like 52:54:00:12:34:56",
				 item + 4);
			return -EINVAL;
		}
		*mac_set = true;
		return 0;
	}
	if (!strncmp(item, "hostfwd=", 8)) {
		if (cfg->type != NET_USER) {
			snprintf(err, errlen, "--net: hostfwd is for 'user' networking only");
			return -EINVAL;
		}
		if (cfg->nr_hostfwd == NET_MAX_HOSTFWD) {
			snprintf(err, errlen, "--net: at most %d hostfwd rules per device", NET_MAX_HOSTFWD);
			return -EINVAL;
		}
		if (net_parse_hostfwd(item + 8, &cfg->hostfwd[cfg->nr_hostfwd])) {
			snprintf(err, errlen, "--net: hostfwd '%s': expected tcp::HOSTPORT-:GUESTPORT "
				 "(or [tcp|udp]:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT)", item + 8);
			return -EINVAL;
		}
		cfg->nr_hostfwd++;
		return 0;
	}
	if (!strncmp(item, "queues=", 7))
		return net_parse_queues(item + 7, cfg, err, errlen);
	snprintf(err, errlen, "--net: unknown option '%s' (expected mac=%s)", item,
		 cfg->type == NET_USER ? " or hostfwd=" : " or queues=");
	return -EINVAL;
}

int net_option_parse(const char *arg, uint32_t pid, uint32_t index, struct net_config *cfg,
		     char *err, size_t errlen)
{
	char *copy, *item, *save = NULL;
	bool mac_set = false;
	uint32_t seed;
	int ret = -EINVAL;

	*cfg = (struct net_config){ .queues = 1 };
	copy = strdup(arg);
	if (!copy) {
		snprintf(err, errlen, "--net: out of memory");
		return -ENOMEM;
	}
	item = strtok_r(copy, ",", &save);
	if (!item) {
		snprintf(err, errlen, "--net '%s': expected tap=NAME or user", arg);
		goto out_free;
	}
	if (!strcmp(item, "user")) {
		cfg->type = NET_USER;
	} else if (!strncmp(item, "tap=", 4)) {
		cfg->type = NET_TAP;
		if (!net_ifname_valid(item + 4)) {
			snprintf(err, errlen, "--net: tap name '%s': expected 1 to %d characters, "
				 "without '/', ':' or spaces", item + 4, NET_IFNAME_MAX);
			goto out_free;
		}
		snprintf(cfg->ifname, sizeof(cfg->ifname), "%s", item + 4);
	} else {
		snprintf(err, errlen, "--net '%s': expected tap=NAME or user", item);
		goto out_free;
	}
	while ((item = strtok_r(NULL, ",", &save))) {
		ret = net_parse_item(item, cfg, &mac_set, err, errlen);
		if (ret)
			goto out_free;
	}
	if (!mac_set) {
		/* QEMU's locally administered prefix; 22 bits of PID, 2 of index. */
		seed = (pid & 0x3fffff) << 2 | (index & 3);
		cfg->mac[0] = 0x52;
		cfg->mac[1] = 0x54;
		cfg->mac[2] = 0x00;
		cfg->mac[3] = (uint8_t)(seed >> 16);
		cfg->mac[4] = (uint8_t)(seed >> 8);
		cfg->mac[5] = (uint8_t)seed;
	}
	ret = 0;
out_free:
	free(copy);
	return ret;
}
