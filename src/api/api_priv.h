/* SPDX-License-Identifier: MIT */
/* The API's state, shared by its lifecycle (api.c) and request handling (api_vmm.c). */
#ifndef VESSEL_API_API_PRIV_H
#define VESSEL_API_API_PRIV_H

#include <stdbool.h>
#include <stdint.h>

#include "api/api.h"
#include "api/api_channel.h"
#include "api/api_server.h"

struct api {
	struct api_channel ch;
	struct api_server *srv;
	struct api_config *cfg;
	struct vm *vm;              /* NULL until booted */
	uint64_t start_ns;          /* CLOCK_MONOTONIC at boot */
	api_boot_fn boot;
	void *boot_ctx;
	int stop_fd;                /* eventfd: ends api_wait_for_start() */
	int shutdown_timer_fd;      /* timerfd: PUT /vessel/shutdown's deadline */
	struct migration *migration; /* PUT /vessel/migrate's, or NULL */
};

/* Carries out one request on the VMM thread. */
void api_vmm_handle(void *ctx, struct api_request *req, struct api_response *resp);


#endif
