/* SPDX-License-Identifier: MIT */
#include "core/unix_socket.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static int unix_socket_new(const char *what, char *err, size_t errlen)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0) {
		fd = -errno;
		snprintf(err, errlen, "%s: socket: %s", what, strerror(-fd));
	}
	return fd;
}

int unix_socket_listen(const char *path, const char *what, char *err, size_t errlen)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct stat st;
	int fd, ret;

	if (strlen(path) >= sizeof(addr.sun_path)) {
		snprintf(err, errlen, "%s %s: the path is longer than %zu bytes", what, path,
			 sizeof(addr.sun_path) - 1);
		return -ENAMETOOLONG;
	}
	strcpy(addr.sun_path, path);
	fd = unix_socket_new(what, err, errlen);
	if (fd < 0)
		return fd;
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			snprintf(err, errlen, "%s %s: exists and is not a socket", what, path);
			ret = -EEXIST;
			goto out_close;
		}
		/* A socket nobody accepts on is left over from a vessel that died: replace it. */
		if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0) {
			snprintf(err, errlen, "%s %s: in use by a running server", what, path);
			ret = -EADDRINUSE;
			goto out_close;
		}
		unlink(path);
		close(fd);
		fd = unix_socket_new(what, err, errlen);
		if (fd < 0)
			return fd;
	}
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) || listen(fd, UNIX_SOCKET_BACKLOG)) {
		ret = -errno;
		snprintf(err, errlen, "%s %s: %s", what, path, strerror(-ret));
		goto out_close;
	}
	return fd;
out_close:
	close(fd);
	return ret;
}

int unix_socket_connect(const char *path)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd, ret;

	if (strlen(path) >= sizeof(addr.sun_path))
		return -ENAMETOOLONG;
	strcpy(addr.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr))) {
		ret = -errno;
		close(fd);
		return ret;
	}
	return fd;
}
