/* SPDX-License-Identifier: MIT */
#include "manager/state_dir.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int path_format(char *buf, size_t len, const char *fmt, const char *a, const char *b)
{
	int n = snprintf(buf, len, fmt, a, b);

	if (n < 0)
		return -EINVAL;
	return (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int manager_state_dir(const char *override, char *buf, size_t len)
{
	const char *dir = override ? override : getenv("VESSEL_STATE_DIR");
	const char *base;

	if (dir && *dir)
		return path_format(buf, len, "%s%s", dir, "");
	if (geteuid() == 0)
		return path_format(buf, len, "%s%s", "/var/lib/vessel", "");
	base = getenv("XDG_STATE_HOME");
	if (base && *base)
		return path_format(buf, len, "%s/%s", base, "vessel");
	base = getenv("HOME");
	if (!base || !*base)
		return -ENOENT;
	return path_format(buf, len, "%s/%s", base, ".local/state/vessel");
}

bool manager_name_valid(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > MANAGER_NAME_MAX || name[0] == '.' || name[0] == '-')
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '.' || c == '-'))
			return false;
	}
	return true;
}

int manager_vm_path(const char *state_dir, const char *name, const char *file, char *buf, size_t len)
{
	char dir[4096];
	int ret;

	if (!manager_name_valid(name))
		return -EINVAL;
	ret = path_format(dir, sizeof(dir), "%s/vms/%s", state_dir, name);
	if (ret)
		return ret;
	if (!file)
		return path_format(buf, len, "%s%s", dir, "");
	return path_format(buf, len, "%s/%s", dir, file);
}
