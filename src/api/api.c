// SPDX-License-Identifier: MIT
/*
 * The API's lifecycle: socket + thread up, the pre-boot wait (requests served
 * on the main thread until InstanceStart), then service from the VM's event
 * loop, and teardown that never leaves the thread or socket file behind.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "api/api_priv.h"
#include "core/clock.h"
#include "core/log.h"
#include "migration/migration.h"

int api_create(struct api **out, const char *sock_path, struct api_config *cfg,
	       char *err, size_t errlen)
{
	struct api *api;
	int ret;

	api = calloc(1, sizeof(*api));
	if (!api) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	api->cfg = cfg;
	api->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	api->shutdown_timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (api->stop_fd < 0 || api->shutdown_timer_fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "API: %s", strerror(errno));
		goto out_fds;
	}
	ret = api_channel_init(&api->ch);
	if (ret) {
		snprintf(err, errlen, "API: %s", strerror(-ret));
		goto out_fds;
	}
	api->srv = api_server_create(sock_path, &api->ch, err, errlen);
	if (!api->srv) {
		ret = -EINVAL;
		goto out_channel;
	}
	*out = api;
	return 0;
out_channel:
	api_channel_destroy(&api->ch);
out_fds:
	if (api->stop_fd >= 0)
		close(api->stop_fd);
	if (api->shutdown_timer_fd >= 0)
		close(api->shutdown_timer_fd);
	free(api);
	return ret;
}

int api_wait_for_start(struct api *api, api_boot_fn boot, void *boot_ctx)
{
	struct pollfd fds[2] = {
		{ .fd = api->ch.event_fd, .events = POLLIN },
		{ .fd = api->stop_fd, .events = POLLIN },
	};

	api->boot = boot;
	api->boot_ctx = boot_ctx;
	/* InstanceStart is carried out right here, so the VM is built on this thread. */
	while (!api->vm) {
		if (poll(fds, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (fds[1].revents)
			return -EINTR;
		if (fds[0].revents)
			api_channel_serve(&api->ch, api_vmm_handle, api);
	}
	return 0;
}

static void api_on_channel(void *ctx, uint32_t events)
{
	struct api *api = ctx;

	api_channel_serve(&api->ch, api_vmm_handle, api);
}

static void api_on_shutdown_timer(void *ctx, uint32_t events)
{
	struct api *api = ctx;
	uint64_t n;

	if (read(api->shutdown_timer_fd, &n, sizeof(n)) != sizeof(n))
		return;
	log_warn("the guest did not power off in time after the ACPI power button: stopping it");
	vm_request_stop(api->vm, VM_EXIT_SHUTDOWN_TIMEOUT);
}

int api_attach_vm(struct api *api, struct vm *vm)
{
	int ret;

	api->vm = vm;
	if (!api->start_ns)
		api->start_ns = clock_monotonic_ns();
	ret = event_loop_add(&vm->loop, api->ch.event_fd, EPOLLIN, api_on_channel, api);
	if (ret)
		return ret;
	ret = event_loop_add(&vm->loop, api->shutdown_timer_fd, EPOLLIN, api_on_shutdown_timer, api);
	if (ret)
		event_loop_del(&vm->loop, api->ch.event_fd);
	return ret;
}

void api_request_stop(struct api *api)
{
	uint64_t one = 1;

	if (write(api->stop_fd, &one, sizeof(one)) < 0) {
		/* Counter full: the fd is readable anyway. */
	}
}

void api_destroy(struct api *api)
{
	if (!api)
		return;
	/* A request waiting for the VMM thread would hold the API thread: answer it first. */
	api_channel_close(&api->ch);
	api_server_destroy(api->srv);
	/* The VM has stopped: a migration still running is cancelled. */
	migration_destroy(api->migration);
	api_channel_destroy(&api->ch);
	close(api->stop_fd);
	close(api->shutdown_timer_fd);
	free(api);
}
