/* SPDX-License-Identifier: MIT */
/*
 * libslirp, loaded when a --net user backend is created rather than at
 * process start: it brings GLib along, memory a VM without user-mode
 * networking should not pay for. The header gives the types; calls go
 * through slirp_fn.
 */
#ifndef VESSEL_NET_SLIRP_LIB_H
#define VESSEL_NET_SLIRP_LIB_H

#include <stddef.h>

#include <slirp/libslirp.h>

struct slirp_fn {
	__typeof__(&slirp_new) new_;
	__typeof__(&slirp_cleanup) cleanup;
	__typeof__(&slirp_input) input;
	__typeof__(&slirp_pollfds_fill) pollfds_fill;
	__typeof__(&slirp_pollfds_poll) pollfds_poll;
	__typeof__(&slirp_add_hostfwd) add_hostfwd;
};

/* Loads the library once (thread-safe); NULL with a reason in err on failure. */
const struct slirp_fn *slirp_lib_load(char *err, size_t errlen);

#endif
