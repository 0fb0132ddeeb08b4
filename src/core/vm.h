/* SPDX-License-Identifier: MIT */
/*
 * A virtual machine: KVM VM fd, guest RAM, the PIO and MMIO buses with their
 * devices, and one thread per vCPU. vm_create() builds it from a config,
 * vm_run() starts the vCPUs and serves the console until the guest powers off,
 * resets, faults, or the user ends it; vm_destroy() releases everything.
 */
#ifndef VESSEL_CORE_VM_H
#define VESSEL_CORE_VM_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "arch/x86/arch.h"
#include "boot/boot.h"
#include "core/bus.h"
#include "core/event_loop.h"
#include "core/guest_mem.h"
#include "core/kvm.h"
#include "core/mem_backing.h"
#include "devices/virtio/virtio_balloon.h"
#include "devices/virtio/virtio_blk.h"
#include "net/net_config.h"
#include "net/vsock_config.h"

/* Why a VM stopped. Each maps to one documented exit status (see main.c). */
enum vm_exit_reason {
	VM_EXIT_NONE = 0,
	VM_EXIT_POWEROFF,       /* the guest powered off (ACPI S5) */
	VM_EXIT_RESET,          /* the guest asked for a reset */
	VM_EXIT_TRIPLE_FAULT,   /* the guest triple-faulted (KVM_EXIT_SHUTDOWN) */
	VM_EXIT_KVM_ERROR,      /* KVM internal or emulation error */
	VM_EXIT_USER,           /* Ctrl-A x on the console */
	VM_EXIT_SIGNAL,         /* SIGINT / SIGTERM / SIGHUP */
	VM_EXIT_VMM_ERROR,      /* vessel itself failed while running */
	VM_EXIT_SHUTDOWN_TIMEOUT, /* the API's shutdown timed out and stopped the guest */
	VM_EXIT_MIGRATED,       /* live migration: the guest runs at the destination now */
};

#define VM_MAX_DISKS 8

struct snap_overrides;

/* Which guest device the terminal's input goes to (--console). */
enum vm_console_device {
	VM_CONSOLE_SERIAL = 0,  /* COM1 (ttyS0) */
	VM_CONSOLE_VIRTIO,      /* a virtio-console (hvc0); COM1 output still shows */
};

struct vm_config {
	uint32_t nr_cpus;
	uint64_t mem_size;
	struct mem_backing mem_backing;
	const char *kernel_path;
	const char *initrd_path;
	const char *cmdline;
	/* Boot this firmware image (--firmware) instead of a kernel; NULL for a kernel boot. */
	const char *firmware_path;
	enum cpu_model cpu_model;
	struct console *console;    /* the terminal console, or NULL for none */
	enum vm_console_device console_device;
	bool rng;                   /* a virtio-rng device fed from the host's getrandom() */
	struct virtio_blk_config disks[VM_MAX_DISKS];   /* virtio-blk, in command-line order */
	uint32_t nr_disks;
	struct net_config nets[NET_MAX_DEVICES];       /* virtio-net, in command-line order */
	uint32_t nr_nets;
	/*
	 * The API's drive_id / iface_id of each disk / NIC, saved in
	 * snapshots so clone overrides can name them; NULL: "disk<i>" / "net<i>".
	 */
	const char *disk_ids[VM_MAX_DISKS];
	const char *net_ids[NET_MAX_DEVICES];
	struct virtio_balloon_config balloon;          /* virtio-balloon, if enabled (after the NICs) */
	struct vsock_config vsock;                     /* virtio-vsock, if enabled (the last virtio device) */
	/*
	 * Restoring a snapshot (src/snapshot): guest RAM is this file, mapped
	 * copy-on-write (MAP_PRIVATE), and nothing is booted; the state file
	 * is applied after vm_create() by snapshot_restore().
	 */
	const char *restore_mem_path;
	const char *restore_state_path;
	/*
	 * A restore that makes a clone (snapshot files; not live migration,
	 * where the same VM goes on): a new VM generation ID, and these
	 * per-clone disk/NIC overrides if not NULL (snapshot/snap_override.h).
	 */
	bool restore_as_clone;
	const struct snap_overrides *restore_overrides;
};

struct vcpu;
struct vcpu_placement;
struct serial;
struct i8042;
struct cmos;
struct acpi_pm;
struct console;
struct pci_bus;
struct virtio_pci;

#define VM_MAX_VIRTIO_DEVICES 16

struct vm {
	struct vm_config cfg;
	struct kvm kvm;
	int fd;

	struct guest_mem mem;
	void *ram;                  /* one mapping backing all guest RAM regions */
	uint64_t ram_map_size;

	struct bus pio;
	struct bus mmio;

	struct arch_vm arch;
	struct boot_entry boot;

	/* Platform devices, created in one place (arch platform code). */
	struct serial *com1;
	struct i8042 *i8042;
	struct cmos *cmos;
	struct acpi_pm *acpi_pm;
	struct pci_bus *pci;
	struct virtio_pci *virtio[VM_MAX_VIRTIO_DEVICES];
	uint32_t nr_virtio;
	struct virtio_dev *hvc;     /* the virtio-console (owned by its transport), or NULL */
	struct virtio_dev *balloon; /* the virtio-balloon (owned by its transport), or NULL */
	struct virtio_dev *vsock;   /* the virtio-vsock (owned by its transport), or NULL */

	struct vcpu *vcpus;
	/* Host CPUs for the vCPU threads (core/cpu_list.h), or NULL; set before vm_run(). */
	const struct vcpu_placement *vcpu_placement;

	struct console *console;
	struct event_loop loop;     /* run by vm_run() on the calling thread */

	/* Pause: vCPU threads park until resumed (see vm_pause()). */
	pthread_mutex_t pause_lock;
	pthread_cond_t pause_cond;
	bool pause_requested;
	uint32_t nr_parked;         /* vCPU threads parked now */
	uint32_t nr_vcpu_threads;   /* vCPU threads still running their loop */

	atomic_int exit_reason;     /* enum vm_exit_reason; first one wins */
	int exit_signal;            /* for VM_EXIT_SIGNAL */
	int stop_fd;                /* eventfd: wakes the event loop to stop */
	int winch_fd;               /* signalfd for SIGWINCH with a virtio console, or -1 */
};

/* Builds the VM; -errno with a one-line reason in err. */
__attribute__((warn_unused_result))
int vm_create(struct vm *vm, const struct vm_config *cfg, char *err, size_t errlen);

/* The virtio devices the config asks for (vm_devices.c); 0 or -errno with err. */
__attribute__((warn_unused_result))
int vm_devices_create(struct vm *vm, char *err, size_t errlen);
void vm_devices_destroy(struct vm *vm);

/* Runs until the VM stops; returns why. */
enum vm_exit_reason vm_run(struct vm *vm);

/* Asks the VM to stop (any thread, async-signal-safe). The first reason wins. */
void vm_request_stop(struct vm *vm, enum vm_exit_reason reason);

/*
 * Stops every vCPU and returns once all are out of the guest (from any
 * thread but a vCPU's). 0, or -EALREADY if already paused, -ESHUTDOWN if the
 * VM is stopping.
 */
int vm_pause(struct vm *vm);
/* Lets the vCPUs run again. 0, or -EALREADY if not paused. */
int vm_resume(struct vm *vm);
bool vm_is_paused(struct vm *vm);

/*
 * Presses the guest's ACPI power button (any thread): an OS that handles
 * it shuts down and powers off; the VM keeps running until it does. 0, or
 * -errno if the interrupt could not be raised.
 */
int vm_power_button(struct vm *vm);

/* Called by a vCPU thread between runs: parks it while a pause is requested. */
void vm_vcpu_checkpoint(struct vm *vm);
/* Called by a vCPU thread when its loop ends. */
void vm_vcpu_thread_exit(struct vm *vm);

struct vm_stats {
	uint64_t exits;             /* KVM_RUN returns to user space, all vCPUs */
	uint64_t exits_io;
	uint64_t exits_mmio;
	uint64_t guest_resident;    /* bytes of guest RAM resident in host memory */
	uint64_t first_run_ns;      /* CLOCK_MONOTONIC when the boot vCPU first entered the guest */
};

/* Counters and memory use; call after vm_run() returned. */
void vm_get_stats(const struct vm *vm, struct vm_stats *stats);

void vm_destroy(struct vm *vm);

#endif
