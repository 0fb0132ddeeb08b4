/* SPDX-License-Identifier: MIT */
#include "cli/default_guest.h"

#include <errno.h>
#include <libgen.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TEST_GUEST_NAME "vessel-guest.bin"
#define TEST_GUEST_CMDLINE "console=ttyS0 run=info,smp"
#define LINUX_GUEST_CMDLINE "console=ttyS0 panic=-1"

static bool file_exists(const char *path)
{
	return access(path, R_OK) == 0;
}

/* The test guest: next to the vessel binary in a build tree, or installed. */
static int default_guest_test_guest(struct default_guest *guest)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (n > 0) {
		exe[n] = '\0';
		snprintf(guest->kernel, sizeof(guest->kernel), "%s/tests/guest/" TEST_GUEST_NAME,
			 dirname(exe));
		if (file_exists(guest->kernel))
			return 0;
	}
	snprintf(guest->kernel, sizeof(guest->kernel), "%s/" TEST_GUEST_NAME, VESSEL_DATADIR);
	return file_exists(guest->kernel) ? 0 : -ENOENT;
}

/* Copies the value of "key=value" into out if line starts with key=. */
static bool default_guest_value(const char *line, const char *key, char *out, size_t len)
{
	size_t klen = strlen(key);

	if (strncmp(line, key, klen) || line[klen] != '=')
		return false;
	snprintf(out, len, "%s", line + klen + 1);
	out[strcspn(out, "\n")] = '\0';
	return true;
}

/* The Debian guest that tests/linux/fetch.sh caches; it lists it in linux/paths. */
static int default_guest_linux(struct default_guest *guest)
{
	const char *cache = getenv("VESSEL_CACHE");
	const char *home = getenv("HOME");
	char paths[PATH_MAX], line[PATH_MAX + 16];
	FILE *f;

	if (cache && *cache)
		snprintf(paths, sizeof(paths), "%s/linux/paths", cache);
	else if (home && *home)
		snprintf(paths, sizeof(paths), "%s/.cache/vessel/linux/paths", home);
	else
		return -ENOENT;
	f = fopen(paths, "r");
	if (!f)
		return -ENOENT;
	guest->kernel[0] = guest->initrd_buf[0] = '\0';
	while (fgets(line, sizeof(line), f)) {
		if (!default_guest_value(line, "kernel", guest->kernel, sizeof(guest->kernel)))
			default_guest_value(line, "initrd", guest->initrd_buf, sizeof(guest->initrd_buf));
	}
	fclose(f);
	if (!file_exists(guest->kernel) || !file_exists(guest->initrd_buf))
		return -ENOENT;
	guest->initrd = guest->initrd_buf;
	return 0;
}

int default_guest_find(struct default_guest *guest, bool native_kernels, char *err, size_t errlen)
{
	*guest = (struct default_guest){ 0 };
	if (native_kernels && default_guest_linux(guest) == 0) {
		guest->cmdline = LINUX_GUEST_CMDLINE;
		guest->description = "Debian Linux (cached by tests/linux/fetch.sh)";
		return 0;
	}
	guest->initrd = NULL;
	if (default_guest_test_guest(guest) == 0) {
		guest->cmdline = TEST_GUEST_CMDLINE;
		guest->description = !native_kernels ?
			"the vessel test guest (this host's kvm_pvm emulates guest kernels: Linux would be slow)" :
			"the vessel test guest (run tests/linux/fetch.sh for a Debian Linux guest)";
		return 0;
	}
	snprintf(err, errlen, "no --kernel given and no default guest found: build vessel with meson "
		 "(it builds the test guest) or give --kernel IMAGE");
	return -ENOENT;
}
