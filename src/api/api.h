/* SPDX-License-Identifier: MIT */
/*
 * The per-VM control API (`vessel run --api-sock PATH`), Firecracker
 * compatible. main.c creates it, lets it collect the pre-boot configuration
 * until InstanceStart (or boots at once), then attaches the running VM so
 * requests are carried out on the VM's event loop. See docs/api.md.
 */
#ifndef VESSEL_API_API_H
#define VESSEL_API_API_H

#include <stddef.h>
#include <stdint.h>

#include "api/api_config.h"
#include "core/vm.h"

struct api;

/* Builds and starts the VM from cfg (on the calling thread); -errno with err. */
typedef int (*api_boot_fn)(void *ctx, const struct vm_config *cfg, struct vm **vm,
			   char *err, size_t errlen);

/*
 * Binds the socket and starts the API thread. cfg is the configuration the
 * pre-boot requests edit; it must outlive the API and the VM.
 */
__attribute__((warn_unused_result))
int api_create(struct api **out, const char *sock_path, struct api_config *cfg,
	       char *err, size_t errlen);

/*
 * Serves requests on this thread until InstanceStart booted the VM through
 * boot (0), or api_request_stop() was called (-EINTR).
 */
int api_wait_for_start(struct api *api, api_boot_fn boot, void *boot_ctx);

/* Serves requests from vm's event loop from now on (the VM was booted without the API). */
__attribute__((warn_unused_result))
int api_attach_vm(struct api *api, struct vm *vm);

/* Ends api_wait_for_start(); async-signal-safe. */
void api_request_stop(struct api *api);

/* Answers what is pending with 503, stops the API thread, removes the socket file. */
void api_destroy(struct api *api);

#endif
