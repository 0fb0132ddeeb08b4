// SPDX-License-Identifier: MIT
#include "cli/status_file.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* reason as a JSON string body: quotes, backslashes and control characters escaped. */
static void status_file_escape(char *out, size_t len, const char *reason)
{
	size_t o = 0;

	for (const char *p = reason; *p && o + 7 < len; p++) {
		unsigned char c = (unsigned char)*p;

		if (c == '"' || c == '\\')
			o += (size_t)snprintf(out + o, len - o, "\\%c", c);
		else if (c < 0x20)
			o += (size_t)snprintf(out + o, len - o, "\\u%04x", c);
		else
			out[o++] = (char)c;
	}
	out[o] = '\0';
}

int status_file_write(const char *path, int exit_status, const char *reason)
{
	char tmp[PATH_MAX], text[1024], escaped[768];
	int fd, n, ret = 0;

	if (!path)
		return 0;
	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	status_file_escape(escaped, sizeof(escaped), reason);
	n = snprintf(text, sizeof(text), "{\"exit_status\": %d, \"reason\": \"%s\"}\n", exit_status, escaped);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	if (write(fd, text, (size_t)n) != n)
		ret = -EIO;
	close(fd);
	if (!ret && rename(tmp, path))
		ret = -errno;
	if (ret)
		unlink(tmp);
	return ret;
}
