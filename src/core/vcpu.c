/* SPDX-License-Identifier: MIT */
#include "core/vcpu.h"

#include <errno.h>
#include <linux/kvm.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/cpu_list.h"
#include "core/log.h"
#include "core/vm.h"

#define VCPU_KICK_SIGNAL SIGUSR1

static void vcpu_kick_handler(int sig)
{
	(void)sig;
}

int vcpu_signal_init(void)
{
	struct sigaction sa = { .sa_handler = vcpu_kick_handler };

	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: KVM_RUN must return EINTR. */
	return sigaction(VCPU_KICK_SIGNAL, &sa, NULL) ? -errno : 0;
}

int vcpu_create(struct vm *vm, struct vcpu *vcpu, uint32_t id, char *err, size_t errlen)
{
	int ret;

	*vcpu = (struct vcpu){ .vm = vm, .id = id, .fd = -1 };
	vcpu->fd = ioctl(vm->fd, KVM_CREATE_VCPU, (unsigned long)id);
	if (vcpu->fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "vCPU %u: KVM_CREATE_VCPU: %s", id, strerror(errno));
		return ret;
	}
	vcpu->run = mmap(NULL, vm->kvm.vcpu_mmap_size, PROT_READ | PROT_WRITE, MAP_SHARED,
			 vcpu->fd, 0);
	if (vcpu->run == MAP_FAILED) {
		ret = -errno;
		snprintf(err, errlen, "vCPU %u: mmap kvm_run: %s", id, strerror(errno));
		vcpu->run = NULL;
		goto out_close;
	}
	return 0;

out_close:
	close(vcpu->fd);
	vcpu->fd = -1;
	return ret;
}

static void vcpu_handle_io(struct vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	const struct bus *pio = &vcpu->vm->pio;

	for (uint32_t i = 0; i < run->io.count; i++, data += run->io.size) {
		if (run->io.direction == KVM_EXIT_IO_OUT)
			bus_write(pio, run->io.port, data, run->io.size);
		else
			bus_read(pio, run->io.port, data, run->io.size);
	}
}

static void vcpu_handle_mmio(struct vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	uint32_t len = run->mmio.len;

	if (len > sizeof(run->mmio.data))
		len = sizeof(run->mmio.data);
	if (run->mmio.is_write)
		bus_write(&vcpu->vm->mmio, run->mmio.phys_addr, run->mmio.data, len);
	else
		bus_read(&vcpu->vm->mmio, run->mmio.phys_addr, run->mmio.data, len);
}

static void vcpu_report_kvm_error(struct vcpu *vcpu, const char *what)
{
	char regs[256];

	arch_vcpu_describe(vcpu, regs, sizeof(regs));
	log_error("vCPU %u: %s: %s", vcpu->id, what, regs);
}

static void vcpu_handle_internal_error(struct vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	char what[128];

	switch (run->internal.suberror) {
	case KVM_INTERNAL_ERROR_EMULATION:
		snprintf(what, sizeof(what), "KVM emulation failure (an instruction KVM cannot emulate)");
		break;
	case KVM_INTERNAL_ERROR_SIMUL_EX:
		snprintf(what, sizeof(what), "KVM internal error: exception while delivering an exception");
		break;
	case KVM_INTERNAL_ERROR_DELIVERY_EV:
		snprintf(what, sizeof(what), "KVM internal error: failed to deliver an event");
		break;
	default:
		snprintf(what, sizeof(what), "KVM internal error (suberror %u)", run->internal.suberror);
		break;
	}
	vcpu_report_kvm_error(vcpu, what);
	vm_request_stop(vcpu->vm, VM_EXIT_KVM_ERROR);
}

/* Handles one exit; returns false when the vCPU thread should end. */
static bool vcpu_handle_exit(struct vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	char what[96];

	vcpu->exits++;
	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		vcpu->exits_io++;
		vcpu_handle_io(vcpu);
		return true;
	case KVM_EXIT_MMIO:
		vcpu->exits_mmio++;
		vcpu_handle_mmio(vcpu);
		return true;
	case KVM_EXIT_INTR:
	case KVM_EXIT_IRQ_WINDOW_OPEN:
		return true;
	case KVM_EXIT_HLT:
		/* Only without an in-kernel LAPIC; treat as a stopped CPU. */
		log_info("vCPU %u halted", vcpu->id);
		return false;
	case KVM_EXIT_SHUTDOWN:
		log_info("vCPU %u: triple fault", vcpu->id);
		vm_request_stop(vcpu->vm, VM_EXIT_TRIPLE_FAULT);
		return false;
	case KVM_EXIT_SYSTEM_EVENT:
		switch (run->system_event.type) {
		case KVM_SYSTEM_EVENT_SHUTDOWN:
			vm_request_stop(vcpu->vm, VM_EXIT_POWEROFF);
			break;
		case KVM_SYSTEM_EVENT_RESET:
			vm_request_stop(vcpu->vm, VM_EXIT_RESET);
			break;
		default:
			snprintf(what, sizeof(what), "KVM system event %u", run->system_event.type);
			vcpu_report_kvm_error(vcpu, what);
			vm_request_stop(vcpu->vm, VM_EXIT_KVM_ERROR);
			break;
		}
		return false;
	case KVM_EXIT_INTERNAL_ERROR:
		vcpu_handle_internal_error(vcpu);
		return false;
	case KVM_EXIT_FAIL_ENTRY:
		snprintf(what, sizeof(what), "KVM entry failure (hardware reason 0x%llx)",
			 (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
		vcpu_report_kvm_error(vcpu, what);
		vm_request_stop(vcpu->vm, VM_EXIT_KVM_ERROR);
		return false;
	default:
		snprintf(what, sizeof(what), "unexpected KVM exit reason %u", run->exit_reason);
		vcpu_report_kvm_error(vcpu, what);
		vm_request_stop(vcpu->vm, VM_EXIT_KVM_ERROR);
		return false;
	}
}

/*
 * Before parking for a pause: an I/O or MMIO exit is only complete (its
 * result in the registers) at the next KVM_RUN. Enter with immediate_exit
 * set, which completes it and returns without running the guest, so a
 * paused vCPU's state is whole (for snapshots). A string I/O instruction
 * may need another round trip: serve it and enter again.
 */
static void vcpu_complete_exit(struct vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;

	for (int round = 0; round < 4096; round++) {
		if (run->exit_reason != KVM_EXIT_IO && run->exit_reason != KVM_EXIT_MMIO)
			return;
		run->immediate_exit = 1;
		if (ioctl(vcpu->fd, KVM_RUN, 0) == 0) {
			run->immediate_exit = 0;
			vcpu_handle_exit(vcpu);
			continue;
		}
		run->immediate_exit = 0;
		if (errno != EINTR && errno != EAGAIN)
			log_warn("vCPU %u: cannot complete its last I/O before pausing: %s", vcpu->id, strerror(errno));
		run->exit_reason = KVM_EXIT_INTR;
		return;
	}
}

/* Confines this vCPU thread to its host CPUs (--cpus affinity=,pin=); 0 or -errno, logged. */
static int vcpu_apply_placement(struct vcpu *vcpu)
{
	const struct vcpu_placement *pl = vcpu->vm->vcpu_placement;
	char list[64];
	cpu_set_t cpus;
	int ret;

	if (!pl || !pl->active)
		return 0;
	ret = vcpu_placement_cpus(pl, vcpu->id, &cpus);
	if (!ret)
		ret = -pthread_setaffinity_np(pthread_self(), sizeof(cpus), &cpus);
	if (ret) {
		log_error("vCPU %u: cannot run it on CPUs %s: %s", vcpu->id,
			  cpu_list_format(&pl->cpus, list, sizeof(list)), strerror(-ret));
		return ret;
	}
	log_debug("vCPU %u: on host CPUs %s", vcpu->id, cpu_list_format(&cpus, list, sizeof(list)));
	return 0;
}

static void *vcpu_thread(void *arg)
{
	struct vcpu *vcpu = arg;
	struct vm *vm = vcpu->vm;
	char name[16];

	snprintf(name, sizeof(name), "vcpu%u", vcpu->id);
	pthread_setname_np(pthread_self(), name);
	if (vcpu_apply_placement(vcpu))
		vm_request_stop(vm, VM_EXIT_VMM_ERROR);
	vcpu->first_run_ns = clock_monotonic_ns();
	while (atomic_load(&vm->exit_reason) == VM_EXIT_NONE) {
		if (__atomic_load_n(&vm->pause_requested, __ATOMIC_ACQUIRE))
			vcpu_complete_exit(vcpu);
		vm_vcpu_checkpoint(vm);
		if (atomic_load(&vm->exit_reason) != VM_EXIT_NONE)
			break;
		if (ioctl(vcpu->fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN) {
				vcpu->run->immediate_exit = 0;
				continue;
			}
			log_error("vCPU %u: KVM_RUN: %s", vcpu->id, strerror(errno));
			vm_request_stop(vm, VM_EXIT_VMM_ERROR);
			break;
		}
		if (!vcpu_handle_exit(vcpu))
			break;
	}
	vm_vcpu_thread_exit(vm);
	return NULL;
}

int vcpu_start(struct vcpu *vcpu)
{
	int ret = pthread_create(&vcpu->thread, NULL, vcpu_thread, vcpu);

	if (ret)
		return -ret;
	vcpu->thread_started = true;
	return 0;
}

void vcpu_kick(struct vcpu *vcpu)
{
	if (!vcpu->thread_started)
		return;
	/* immediate_exit covers the window before the thread enters KVM_RUN. */
	vcpu->run->immediate_exit = 1;
	pthread_kill(vcpu->thread, VCPU_KICK_SIGNAL);
}

void vcpu_join(struct vcpu *vcpu)
{
	if (!vcpu->thread_started)
		return;
	pthread_join(vcpu->thread, NULL);
	vcpu->thread_started = false;
}

void vcpu_destroy(struct vcpu *vcpu)
{
	if (vcpu->run)
		munmap(vcpu->run, vcpu->vm->kvm.vcpu_mmap_size);
	if (vcpu->fd >= 0)
		close(vcpu->fd);
	vcpu->run = NULL;
	vcpu->fd = -1;
}
