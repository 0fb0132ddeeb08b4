/* SPDX-License-Identifier: MIT */
#include "api/mhd.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>

/* The soname of the libmicrohttpd the build was configured against. */
#define MHD_SONAME "libmicrohttpd.so.12"

static struct mhd_fn mhd;
static const char *mhd_error;
static pthread_once_t mhd_once = PTHREAD_ONCE_INIT;

#define MHD_SYM(handle, field, name) do { \
		*(void **)&mhd.field = dlsym(handle, name); \
		if (!mhd.field) { \
			mhd_error = "missing symbol " name; \
			return; \
		} \
	} while (0)

static void mhd_do_load(void)
{
	void *h = dlopen(MHD_SONAME, RTLD_NOW | RTLD_LOCAL);

	if (!h) {
		mhd_error = dlerror();
		return;
	}
	MHD_SYM(h, start_daemon, "MHD_start_daemon");
	MHD_SYM(h, stop_daemon, "MHD_stop_daemon");
	MHD_SYM(h, quiesce_daemon, "MHD_quiesce_daemon");
	MHD_SYM(h, get_daemon_info, "MHD_get_daemon_info");
	MHD_SYM(h, lookup_connection_value, "MHD_lookup_connection_value");
	MHD_SYM(h, create_response_from_buffer, "MHD_create_response_from_buffer");
	MHD_SYM(h, create_response_from_callback, "MHD_create_response_from_callback");
	MHD_SYM(h, add_response_header, "MHD_add_response_header");
	MHD_SYM(h, queue_response, "MHD_queue_response");
	MHD_SYM(h, destroy_response, "MHD_destroy_response");
}

const struct mhd_fn *mhd_load(char *err, size_t errlen)
{
	pthread_once(&mhd_once, mhd_do_load);
	if (mhd_error) {
		snprintf(err, errlen, "cannot load %s (install libmicrohttpd12): %s", MHD_SONAME, mhd_error);
		return NULL;
	}
	return &mhd;
}
