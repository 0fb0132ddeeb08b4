/* SPDX-License-Identifier: MIT */
#include "net/slirp_lib.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>

#define SLIRP_SONAME "libslirp.so.0"

static struct slirp_fn slirp_lib;
static const char *slirp_lib_error;
static pthread_once_t slirp_lib_once = PTHREAD_ONCE_INIT;

#define SLIRP_SYM(handle, field, name) do { \
		*(void **)&slirp_lib.field = dlsym(handle, name); \
		if (!slirp_lib.field) { \
			slirp_lib_error = "missing symbol " name; \
			return; \
		} \
	} while (0)

static void slirp_lib_do_load(void)
{
	void *h = dlopen(SLIRP_SONAME, RTLD_NOW | RTLD_LOCAL);

	if (!h) {
		slirp_lib_error = dlerror();
		return;
	}
	SLIRP_SYM(h, new_, "slirp_new");
	SLIRP_SYM(h, cleanup, "slirp_cleanup");
	SLIRP_SYM(h, input, "slirp_input");
	SLIRP_SYM(h, pollfds_fill, "slirp_pollfds_fill");
	SLIRP_SYM(h, pollfds_poll, "slirp_pollfds_poll");
	SLIRP_SYM(h, add_hostfwd, "slirp_add_hostfwd");
}

const struct slirp_fn *slirp_lib_load(char *err, size_t errlen)
{
	pthread_once(&slirp_lib_once, slirp_lib_do_load);
	if (slirp_lib_error) {
		snprintf(err, errlen, "--net user: cannot load %s (install libslirp0): %s",
			 SLIRP_SONAME, slirp_lib_error);
		return NULL;
	}
	return &slirp_lib;
}
