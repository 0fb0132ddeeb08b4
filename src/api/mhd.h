/* SPDX-License-Identifier: MIT */
/*
 * libmicrohttpd, loaded when the API is first used rather than at process
 * start: Debian's build pulls in GnuTLS, p11-kit and friends, about 2 MiB of
 * resident memory that a VM without --api-sock should not pay for. The
 * header gives the types and constants; calls go through mhd_fn.
 */
#ifndef VESSEL_API_MHD_H
#define VESSEL_API_MHD_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <microhttpd.h>

struct mhd_fn {
	__typeof__(&MHD_start_daemon) start_daemon;
	__typeof__(&MHD_stop_daemon) stop_daemon;
	__typeof__(&MHD_quiesce_daemon) quiesce_daemon;
	__typeof__(&MHD_get_daemon_info) get_daemon_info;
	__typeof__(&MHD_lookup_connection_value) lookup_connection_value;
	__typeof__(&MHD_create_response_from_buffer) create_response_from_buffer;
	__typeof__(&MHD_create_response_from_callback) create_response_from_callback;
	__typeof__(&MHD_add_response_header) add_response_header;
	__typeof__(&MHD_queue_response) queue_response;
	__typeof__(&MHD_destroy_response) destroy_response;
};

/* Loads the library once (thread-safe); NULL with a reason in err on failure. */
const struct mhd_fn *mhd_load(char *err, size_t errlen);

#endif
