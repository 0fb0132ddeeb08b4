/* SPDX-License-Identifier: MIT */
#include "migration/mig_url.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int mig_url_parse(const char *text, struct mig_url *url, char *err, size_t errlen)
{
	const char *host, *host_end, *port;
	char *end;
	unsigned long n;

	if (strncmp(text, "tcp://", 6)) {
		snprintf(err, errlen, "'%.200s': expected tcp://HOST:PORT", text);
		return -EINVAL;
	}
	host = text + 6;
	if (*host == '[') {
		host++;
		host_end = strchr(host, ']');
		if (!host_end || host_end[1] != ':')
			goto bad;
		port = host_end + 2;
	} else {
		host_end = strrchr(host, ':');
		if (!host_end)
			goto bad;
		port = host_end + 1;
	}
	if (host_end == host || (size_t)(host_end - host) >= sizeof(url->host))
		goto bad;
	errno = 0;
	n = strtoul(port, &end, 10);
	if (!*port || *end || errno || n == 0 || n > 65535)
		goto bad;
	memcpy(url->host, host, (size_t)(host_end - host));
	url->host[host_end - host] = 0;
	snprintf(url->port, sizeof(url->port), "%lu", n);
	return 0;
bad:
	snprintf(err, errlen, "'%.200s': expected tcp://HOST:PORT (port 1-65535)", text);
	return -EINVAL;
}

static int mig_url_resolve(const struct mig_url *url, bool passive, struct addrinfo **res,
			   char *err, size_t errlen)
{
	struct addrinfo hints = {
		.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
		.ai_flags = passive ? AI_PASSIVE : 0,
	};
	int ret = getaddrinfo(url->host, url->port, &hints, res);

	if (ret) {
		snprintf(err, errlen, "tcp://%s:%s: %s", url->host, url->port, gai_strerror(ret));
		return -EHOSTUNREACH;
	}
	return 0;
}

/* connect() bounded by timeout_ms: 0 or -errno. */
static int mig_connect_timeout(int fd, const struct addrinfo *ai, unsigned int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLOUT };
	socklen_t len = sizeof(int);
	int soerr = 0, ret;

	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
		return 0;
	if (errno != EINPROGRESS)
		return -errno;
	do
		ret = poll(&pfd, 1, (int)timeout_ms);
	while (ret < 0 && errno == EINTR);
	if (ret == 0)
		return -ETIMEDOUT;
	if (ret < 0)
		return -errno;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len))
		return -errno;
	return -soerr;
}

int mig_url_connect(const struct mig_url *url, unsigned int timeout_ms, char *err, size_t errlen)
{
	struct addrinfo *res, *ai;
	int fd = -1, ret, one = 1;

	ret = mig_url_resolve(url, false, &res, err, errlen);
	if (ret)
		return ret;
	ret = -EHOSTUNREACH;
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (fd < 0) {
			ret = -errno;
			continue;
		}
		ret = mig_connect_timeout(fd, ai, timeout_ms);
		if (ret == 0)
			break;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0) {
		snprintf(err, errlen, "cannot connect to tcp://%s:%s: %s", url->host, url->port, strerror(-ret));
		return ret;
	}
	/* Blocking from now on, with timeouts set by the caller; small chunks go out at once. */
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

int mig_url_listen(const struct mig_url *url, char *err, size_t errlen)
{
	struct addrinfo *res, *ai;
	int fd = -1, ret, one = 1;

	ret = mig_url_resolve(url, true, &res, err, errlen);
	if (ret)
		return ret;
	ret = -EADDRNOTAVAIL;
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			ret = -errno;
			continue;
		}
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, 1) == 0)
			break;
		ret = -errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0) {
		snprintf(err, errlen, "--incoming tcp://%s:%s: %s", url->host, url->port, strerror(-ret));
		return ret;
	}
	return fd;
}
