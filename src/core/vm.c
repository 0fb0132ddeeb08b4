/* SPDX-License-Identifier: MIT */
#include "core/vm.h"

#include <errno.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <termios.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/console.h"
#include "core/event_loop.h"
#include "core/log.h"
#include "core/vcpu.h"
#include "devices/legacy/serial.h"
#include "devices/virtio/virtio_console.h"

#define VM_MAX_RAM_REGIONS 4
#define CONSOLE_RETRY_MS 5

/*
 * A snapshot's guest RAM: the memory file mapped copy-on-write, so the guest
 * resumes without reading it first and clones share its page cache. The
 * file must hold exactly the guest's RAM.
 */
static int vm_map_ram_file(struct vm *vm, char *err, size_t errlen)
{
	const char *path = vm->cfg.restore_mem_path;
	struct stat st;
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "memory file %s: %s", path, strerror(errno));
		return ret;
	}
	if (fstat(fd, &st)) {
		ret = -errno;
		snprintf(err, errlen, "memory file %s: %s", path, strerror(errno));
		goto out_close;
	}
	if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size != vm->cfg.mem_size) {
		ret = -EINVAL;
		snprintf(err, errlen, "memory file %s: %llu bytes, but the snapshot's guest has %llu bytes of RAM",
			 path, (unsigned long long)st.st_size, (unsigned long long)vm->cfg.mem_size);
		goto out_close;
	}
	vm->ram = mmap(NULL, vm->cfg.mem_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_NORESERVE, fd, 0);
	if (vm->ram == MAP_FAILED) {
		ret = -errno;
		vm->ram = NULL;
		snprintf(err, errlen, "memory file %s: mmap: %s", path, strerror(errno));
		goto out_close;
	}
	vm->ram_map_size = vm->cfg.mem_size;
	ret = 0;
out_close:
	close(fd);
	return ret;
}

static int vm_map_ram(struct vm *vm, char *err, size_t errlen)
{
	struct arch_ram_region regions[VM_MAX_RAM_REGIONS];
	uint64_t offset = 0;
	int n, ret;

	n = arch_ram_layout(vm->cfg.mem_size, regions, VM_MAX_RAM_REGIONS);
	if (n < 0) {
		snprintf(err, errlen, "memory: cannot lay out %llu bytes of guest RAM",
			 (unsigned long long)vm->cfg.mem_size);
		return n;
	}
	if (vm->cfg.restore_mem_path) {
		if (vm->cfg.mem_backing.hugepage_size) {
			snprintf(err, errlen, "memory: huge pages cannot back a snapshot's or a migration's RAM "
				 "(it is mapped from its file)");
			return -EINVAL;
		}
		ret = vm_map_ram_file(vm, err, errlen);
		if (ret)
			return ret;
		goto out_mapped;
	}
	ret = mem_backing_map(&vm->cfg.mem_backing, vm->cfg.mem_size, &vm->ram, err, errlen);
	if (ret) {
		vm->ram = NULL;
		return ret;
	}
	vm->ram_map_size = vm->cfg.mem_size;
out_mapped:
	ret = mem_backing_apply(&vm->cfg.mem_backing, vm->ram, vm->ram_map_size,
				vm->cfg.restore_mem_path != NULL, err, errlen);
	if (ret)
		return ret;
	for (int i = 0; i < n; i++) {
		struct kvm_userspace_memory_region region = {
			.slot = i,
			.guest_phys_addr = regions[i].gpa,
			.memory_size = regions[i].size,
			.userspace_addr = (uint64_t)(uintptr_t)vm->ram + offset,
		};

		ret = guest_mem_add(&vm->mem, regions[i].gpa, regions[i].size,
				    (uint8_t *)vm->ram + offset);
		if (ret) {
			snprintf(err, errlen, "memory: bad RAM layout");
			return ret;
		}
		if (ioctl(vm->fd, KVM_SET_USER_MEMORY_REGION, &region)) {
			ret = -errno;
			snprintf(err, errlen, "memory: KVM_SET_USER_MEMORY_REGION: %s", strerror(errno));
			return ret;
		}
		offset += regions[i].size;
	}
	return 0;
}

int vm_create(struct vm *vm, const struct vm_config *cfg, char *err, size_t errlen)
{
	struct boot_config boot_cfg;
	int ret;

	*vm = (struct vm){ .cfg = *cfg, .fd = -1, .stop_fd = -1, .winch_fd = -1, .console = cfg->console };
	pthread_mutex_init(&vm->pause_lock, NULL);
	pthread_cond_init(&vm->pause_cond, NULL);
	vm->loop.epfd = -1;
	ret = kvm_open(&vm->kvm, err, errlen);
	if (ret)
		return ret;
	ret = event_loop_init(&vm->loop);
	if (ret) {
		snprintf(err, errlen, "event loop: %s", strerror(-ret));
		goto out_destroy;
	}
	if (cfg->nr_cpus > (uint32_t)vm->kvm.max_vcpus) {
		snprintf(err, errlen, "cpus: %u is more than this host's KVM allows (%d)",
			 cfg->nr_cpus, vm->kvm.max_vcpus);
		ret = -EINVAL;
		goto out_destroy;
	}
	if (vm->cfg.cpu_model == CPU_MODEL_AUTO)
		vm->cfg.cpu_model = vm->kvm.is_pvm ? CPU_MODEL_PVM_SAFE : CPU_MODEL_HOST;
	vm->fd = ioctl(vm->kvm.fd, KVM_CREATE_VM, 0);
	if (vm->fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "KVM_CREATE_VM: %s", strerror(errno));
		goto out_destroy;
	}
	vm->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (vm->stop_fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "eventfd: %s", strerror(errno));
		goto out_destroy;
	}
	ret = vm_map_ram(vm, err, errlen);
	if (ret)
		goto out_destroy;
	ret = arch_vm_init(vm, err, errlen);
	if (ret)
		goto out_destroy;
	ret = arch_platform_create(vm, err, errlen);
	if (ret)
		goto out_destroy;
	ret = vm_devices_create(vm, err, errlen);
	if (ret)
		goto out_destroy;
	if (cfg->restore_mem_path)
		goto out_vcpus;        /* RAM holds the guest already: nothing to load */
	if (cfg->firmware_path) {
		ret = arch_firmware_load(vm, err, errlen);
		if (ret)
			goto out_destroy;
		goto out_vcpus;        /* the firmware boots the disk */
	}

	boot_cfg = (struct boot_config){
		.kernel_path = cfg->kernel_path,
		.initrd_path = cfg->initrd_path,
		.cmdline = cfg->cmdline,
		.rsdp_gpa = vm->arch.rsdp_gpa,
	};
	ret = boot_load(&vm->mem, &boot_cfg, &vm->boot, err, errlen);
	if (ret)
		goto out_destroy;

out_vcpus:
	vm->vcpus = calloc(cfg->nr_cpus, sizeof(*vm->vcpus));
	if (!vm->vcpus) {
		ret = -ENOMEM;
		snprintf(err, errlen, "out of memory");
		goto out_destroy;
	}
	for (uint32_t i = 0; i < cfg->nr_cpus; i++)
		vm->vcpus[i].fd = -1;
	for (uint32_t i = 0; i < cfg->nr_cpus; i++) {
		ret = vcpu_create(vm, &vm->vcpus[i], i, err, errlen);
		if (ret)
			goto out_destroy;
		ret = arch_vcpu_init(vm, &vm->vcpus[i], err, errlen);
		if (ret)
			goto out_destroy;
	}
	return 0;

out_destroy:
	vm_destroy(vm);
	return ret;
}

void vm_request_stop(struct vm *vm, enum vm_exit_reason reason)
{
	int expected = VM_EXIT_NONE;
	uint64_t one = 1;

	atomic_compare_exchange_strong(&vm->exit_reason, &expected, (int)reason);
	if (write(vm->stop_fd, &one, sizeof(one)) < 0) {
		/* The counter is already non-zero: the loop is being woken anyway. */
	}
}

static void vm_handle_stop(void *ctx, uint32_t events)
{
	struct event_loop *loop = ctx;

	event_loop_stop(loop);
}

static void vm_console_quit(void *ctx)
{
	struct vm *vm = ctx;

	vm_request_stop(vm, VM_EXIT_USER);
}

static void vm_console_power_button(void *ctx)
{
	struct vm *vm = ctx;
	int ret = vm_power_button(vm);

	if (ret)
		log_error("power button: %s", strerror(-ret));
}

static size_t vm_console_to_serial(void *ctx, const uint8_t *buf, size_t len)
{
	struct vm *vm = ctx;

	return serial_receive(vm->com1, buf, len);
}

static size_t vm_console_to_virtio(void *ctx, const uint8_t *buf, size_t len)
{
	struct vm *vm = ctx;

	return virtio_console_receive(vm->hvc, buf, len);
}

/* The console input target: the device --console chose. */
static console_input_fn vm_console_input(const struct vm *vm)
{
	if (vm->cfg.console_device == VM_CONSOLE_VIRTIO && vm->hvc)
		return vm_console_to_virtio;
	return vm_console_to_serial;
}

struct vm_console_pump {
	struct vm *vm;
	struct event_loop *loop;
	bool watching;
};

static void vm_console_on_input(void *ctx, uint32_t events);

/* Watch stdin only while there is room to hold what it brings. */
static void vm_console_update(struct vm_console_pump *pump)
{
	struct console *con = pump->vm->console;
	bool want = con->in_open && con->pending_len < CONSOLE_PENDING_MAX;

	if (want != pump->watching) {
		if (want)
			pump->watching = !event_loop_add(pump->loop, con->in_fd, EPOLLIN,
							  vm_console_on_input, pump);
		else {
			event_loop_del(pump->loop, con->in_fd);
			pump->watching = false;
		}
	}
	pump->loop->idle_ms = con->pending_len ? CONSOLE_RETRY_MS : -1;
}

static void vm_console_idle(void *ctx)
{
	struct vm_console_pump *pump = ctx;

	console_flush_pending(pump->vm->console);
	vm_console_update(pump);
}

static void vm_console_on_input(void *ctx, uint32_t events)
{
	struct vm_console_pump *pump = ctx;

	console_handle_input(pump->vm->console, events);
	vm_console_update(pump);
}

/* SIGWINCH: tell hvc0 the terminal's new size. */
static void vm_handle_winch(void *ctx, uint32_t events)
{
	struct vm *vm = ctx;
	struct signalfd_siginfo si;
	struct winsize ws;

	while (read(vm->winch_fd, &si, sizeof(si)) == sizeof(si))
		;
	if (!ioctl(vm->console->out_fd, TIOCGWINSZ, &ws) && ws.ws_col && ws.ws_row)
		virtio_console_set_size(vm->hvc, ws.ws_col, ws.ws_row);
}

/*
 * With a virtio console on a terminal, follow its size. SIGWINCH is blocked
 * before the vCPU threads start (they inherit the mask) and read from a
 * signalfd on the event loop. Returns the fd or -1.
 */
static int vm_watch_terminal_size(struct vm *vm)
{
	sigset_t set;

	if (!vm->hvc || !vm->console || !isatty(vm->console->out_fd))
		return -1;
	sigemptyset(&set);
	sigaddset(&set, SIGWINCH);
	if (pthread_sigmask(SIG_BLOCK, &set, NULL))
		return -1;
	vm->winch_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (vm->winch_fd >= 0 && event_loop_add(&vm->loop, vm->winch_fd, EPOLLIN, vm_handle_winch, vm)) {
		close(vm->winch_fd);
		vm->winch_fd = -1;
	}
	return vm->winch_fd;
}

enum vm_exit_reason vm_run(struct vm *vm)
{
	struct event_loop *loop = &vm->loop;
	struct vm_console_pump pump = { .vm = vm, .loop = loop };
	int ret;

	ret = event_loop_add(loop, vm->stop_fd, EPOLLIN, vm_handle_stop, loop);
	if (ret) {
		log_error("event loop: %s", strerror(-ret));
		return VM_EXIT_VMM_ERROR;
	}
	if (vm->console) {
		vm->console->input = vm_console_input(vm);
		vm->console->input_ctx = vm;
		vm->console->quit = vm_console_quit;
		vm->console->quit_ctx = vm;
		vm->console->power_button = vm_console_power_button;
		vm->console->power_button_ctx = vm;
		loop->idle_fn = vm_console_idle;
		loop->idle_ctx = &pump;
		vm_console_update(&pump);
		if (vm->console->in_open && !pump.watching)
			log_debug("console input is not pollable (a regular file?); ignoring it");
	}
	if (vm_watch_terminal_size(vm) < 0 && vm->hvc)
		log_debug("hvc0 keeps its first size: the terminal's size is not followed");

	vm->nr_vcpu_threads = vm->cfg.nr_cpus;
	for (uint32_t i = 0; i < vm->cfg.nr_cpus; i++) {
		ret = vcpu_start(&vm->vcpus[i]);
		if (ret) {
			log_error("vCPU %u: cannot start its thread: %s", i, strerror(-ret));
			vm_request_stop(vm, VM_EXIT_VMM_ERROR);
			pthread_mutex_lock(&vm->pause_lock);
			vm->nr_vcpu_threads -= vm->cfg.nr_cpus - i;
			pthread_mutex_unlock(&vm->pause_lock);
			break;
		}
	}

	ret = event_loop_run(loop);
	if (ret) {
		log_error("event loop: %s", strerror(-ret));
		vm_request_stop(vm, VM_EXIT_VMM_ERROR);
	}
	/* Parked vCPUs wake up, see the stop reason and leave. */
	pthread_mutex_lock(&vm->pause_lock);
	pthread_cond_broadcast(&vm->pause_cond);
	pthread_mutex_unlock(&vm->pause_lock);
	for (uint32_t i = 0; i < vm->cfg.nr_cpus; i++)
		vcpu_kick(&vm->vcpus[i]);
	for (uint32_t i = 0; i < vm->cfg.nr_cpus; i++)
		vcpu_join(&vm->vcpus[i]);
	return (enum vm_exit_reason)atomic_load(&vm->exit_reason);
}

int vm_pause(struct vm *vm)
{
	pthread_mutex_lock(&vm->pause_lock);
	if (vm->pause_requested) {
		pthread_mutex_unlock(&vm->pause_lock);
		return -EALREADY;
	}
	vm->pause_requested = true;
	pthread_mutex_unlock(&vm->pause_lock);

	for (uint32_t i = 0; i < vm->cfg.nr_cpus; i++)
		vcpu_kick(&vm->vcpus[i]);

	pthread_mutex_lock(&vm->pause_lock);
	while (vm->nr_parked < vm->nr_vcpu_threads && atomic_load(&vm->exit_reason) == VM_EXIT_NONE)
		pthread_cond_wait(&vm->pause_cond, &vm->pause_lock);
	pthread_mutex_unlock(&vm->pause_lock);
	return atomic_load(&vm->exit_reason) == VM_EXIT_NONE ? 0 : -ESHUTDOWN;
}

int vm_resume(struct vm *vm)
{
	int ret = 0;

	pthread_mutex_lock(&vm->pause_lock);
	if (!vm->pause_requested)
		ret = -EALREADY;
	vm->pause_requested = false;
	pthread_cond_broadcast(&vm->pause_cond);
	pthread_mutex_unlock(&vm->pause_lock);
	return ret;
}

int vm_power_button(struct vm *vm)
{
	return arch_power_button(vm);
}

bool vm_is_paused(struct vm *vm)
{
	bool paused;

	pthread_mutex_lock(&vm->pause_lock);
	paused = vm->pause_requested;
	pthread_mutex_unlock(&vm->pause_lock);
	return paused;
}

void vm_vcpu_checkpoint(struct vm *vm)
{
	if (!__atomic_load_n(&vm->pause_requested, __ATOMIC_ACQUIRE))
		return;
	pthread_mutex_lock(&vm->pause_lock);
	vm->nr_parked++;
	pthread_cond_broadcast(&vm->pause_cond);
	while (vm->pause_requested && atomic_load(&vm->exit_reason) == VM_EXIT_NONE)
		pthread_cond_wait(&vm->pause_cond, &vm->pause_lock);
	vm->nr_parked--;
	pthread_mutex_unlock(&vm->pause_lock);
}

void vm_vcpu_thread_exit(struct vm *vm)
{
	pthread_mutex_lock(&vm->pause_lock);
	vm->nr_vcpu_threads--;
	pthread_cond_broadcast(&vm->pause_cond);
	pthread_mutex_unlock(&vm->pause_lock);
}

/* Resident bytes of guest RAM, from mincore() in chunks to bound the vector. */
static uint64_t vm_guest_resident(const struct vm *vm)
{
	const uint64_t page = 4096, chunk = 64ULL << 20;
	static unsigned char vec[(64 << 20) / 4096];
	uint64_t resident = 0;

	for (uint64_t off = 0; off < vm->ram_map_size; off += chunk) {
		uint64_t len = vm->ram_map_size - off < chunk ? vm->ram_map_size - off : chunk;

		if (mincore((uint8_t *)vm->ram + off, len, vec))
			return 0;
		for (uint64_t i = 0; i < (len + page - 1) / page; i++)
			resident += (vec[i] & 1) * page;
	}
	return resident;
}

void vm_get_stats(const struct vm *vm, struct vm_stats *stats)
{
	*stats = (struct vm_stats){ 0 };
	for (uint32_t i = 0; vm->vcpus && i < vm->cfg.nr_cpus; i++) {
		stats->exits += vm->vcpus[i].exits;
		stats->exits_io += vm->vcpus[i].exits_io;
		stats->exits_mmio += vm->vcpus[i].exits_mmio;
	}
	if (vm->vcpus)
		stats->first_run_ns = vm->vcpus[0].first_run_ns;
	if (vm->ram)
		stats->guest_resident = vm_guest_resident(vm);
}

void vm_destroy(struct vm *vm)
{
	if (vm->vcpus) {
		for (uint32_t i = 0; i < vm->cfg.nr_cpus; i++)
			vcpu_destroy(&vm->vcpus[i]);
		free(vm->vcpus);
		vm->vcpus = NULL;
	}
	vm_devices_destroy(vm);
	arch_platform_destroy(vm);
	arch_vm_destroy(vm);
	bus_destroy(&vm->pio);
	bus_destroy(&vm->mmio);
	if (vm->ram)
		munmap(vm->ram, vm->ram_map_size);
	vm->ram = NULL;
	event_loop_destroy(&vm->loop);
	if (vm->winch_fd >= 0)
		close(vm->winch_fd);
	vm->winch_fd = -1;
	pthread_cond_destroy(&vm->pause_cond);
	pthread_mutex_destroy(&vm->pause_lock);
	if (vm->stop_fd >= 0)
		close(vm->stop_fd);
	vm->stop_fd = -1;
	if (vm->fd >= 0)
		close(vm->fd);
	vm->fd = -1;
	kvm_close(&vm->kvm);
}
