/* SPDX-License-Identifier: MIT */
/*
 * `vessel run`: one VM in this process. The machine comes from the command
 * line (a kernel to boot), from the API (InstanceStart or /snapshot/load),
 * from a snapshot (--restore) or from a migration (--incoming). The console
 * is the terminal or a socket (--console-sock). The process exit status
 * tells why the VM ended.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/api.h"
#include "cli/clone_option.h"
#include "cli/commands.h"
#include "cli/default_guest.h"
#include "cli/run_check.h"
#include "cli/run_options.h"
#include "cli/status_file.h"
#include "core/cgroup.h"
#include "core/clock.h"
#include "core/console.h"
#include "core/console_server.h"
#include "core/log.h"
#include "core/vcpu.h"
#include "core/vm.h"
#include "migration/mig_incoming.h"
#include "snapshot/snapshot.h"

/* Exit statuses of `vessel run`, documented in --help and docs/exit-status.md. */
enum {
	EXIT_POWEROFF = 0,      /* guest powered off, Ctrl-A x, or migrated away */
	EXIT_ERROR = 1,         /* vessel could not start or run the VM */
	EXIT_RESET = 3,         /* guest reset, with --on-reboot exit */
	EXIT_TRIPLE_FAULT = 4,  /* guest triple fault */
	EXIT_KVM_ERROR = 5,     /* KVM internal or emulation error */
	EXIT_SHUTDOWN_TIMEOUT = 6, /* PUT /vessel/shutdown: the guest did not power off in time */
	EXIT_SIGNAL_BASE = 128, /* + signal number: ended by SIGINT/SIGTERM/SIGHUP */
};

/* Where the machine comes from. */
enum run_source {
	RUN_SOURCE_BOOT,        /* a kernel: command line, config file or the default guest */
	RUN_SOURCE_API,         /* --api-sock alone: InstanceStart or PUT /snapshot/load */
	RUN_SOURCE_RESTORE,     /* --restore DIR */
	RUN_SOURCE_INCOMING,    /* --incoming URL */
};

/* One `vessel run`: what it was asked, and what it built. */
struct run {
	struct run_options opts;
	enum run_source source;
	uint64_t start_ns;
	struct api_config acfg;     /* the configuration (the API edits it before boot) */
	struct api *api;
	struct console console;
	struct console_server *console_server;
	struct mig_incoming *incoming;      /* --incoming: what the source sent */
	/* A restored VM's configuration (its strings) and the files it came from: they live as long as the VM. */
	struct snapshot_file restore_file;
	char *restore_state_path, *restore_mem_path;
	struct cgroup cgroup;       /* --cpu-quota: the VM's own cgroup */
	struct vm vm;
};

/* For the signal handlers: the one VM of this process, or the API waiting to build it. */
static struct vm *signal_vm;
static struct api *signal_api;
static volatile sig_atomic_t preboot_signal;
static const char *fatal_status_file;      /* --status-file, for fatal() */
static struct cgroup *exit_cgroup;          /* --cpu-quota's cgroup, removed on every exit path */

static void remove_cgroup_at_exit(void)
{
	if (exit_cgroup)
		cgroup_remove(exit_cgroup, getpid());
	exit_cgroup = NULL;
}

static void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void fatal(const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	console_restore_terminal();
	fprintf(stderr, "vessel: error: %s\n", msg);
	status_file_write(fatal_status_file, EXIT_ERROR, msg);
	exit(EXIT_ERROR);
}

static void usage_fail(const char *msg)
{
	fprintf(stderr, "vessel: %s\nTry 'vessel run --help'.\n", msg);
	exit(CLI_EXIT_USAGE);
}

static void handle_stop_signal(int sig)
{
	if (signal_vm) {
		signal_vm->exit_signal = sig;
		vm_request_stop(signal_vm, VM_EXIT_SIGNAL);
	} else if (signal_api) {
		preboot_signal = sig;
		api_request_stop(signal_api);
	}
}

static void install_stop_signals(void)
{
	struct sigaction sa = { .sa_handler = handle_stop_signal };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

/*
 * Rebuilds a snapshot's VM (--restore and the API's PUT /snapshot/load). The
 * paths are copied: the API's request that named them goes away, the VM
 * keeps using them.
 */
static int restore_vm(struct run *run, const struct vm_config *cfg, char *err, size_t errlen)
{
	struct vm_config host = *cfg;
	uint64_t t0 = clock_monotonic_ns(), t1;
	char *state_path = strdup(cfg->restore_state_path);
	char *mem_path = cfg->restore_mem_path ? strdup(cfg->restore_mem_path) : NULL;
	int ret;

	if (!state_path || !mem_path) {
		free(state_path);
		free(mem_path);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	/* cfg may point at the old copies (--restore): free them only now. */
	free(run->restore_state_path);
	free(run->restore_mem_path);
	run->restore_state_path = state_path;
	run->restore_mem_path = mem_path;
	host.restore_state_path = run->restore_state_path;
	host.restore_mem_path = run->restore_mem_path;
	ret = snapshot_file_read(&run->restore_file, run->restore_state_path, err, errlen);
	if (ret)
		return ret;
	t1 = clock_monotonic_ns();
	ret = snapshot_restore(&run->vm, &host, &run->restore_file, err, errlen);
	if (ret) {
		snapshot_file_free(&run->restore_file);
		return ret;
	}
	if (run->opts.stats)
		fprintf(stderr, "vessel: restore: read_state_us=%" PRIu64 " rebuild_us=%" PRIu64 "\n",
			(t1 - t0) / 1000, (clock_monotonic_ns() - t1) / 1000);
	return 0;
}

/* Builds the VM, for the command line and the API's InstanceStart / snapshot load alike. */
static int boot_vm(void *ctx, const struct vm_config *cfg, struct vm **out, char *err, size_t errlen)
{
	struct run *run = ctx;
	struct vm *vm = &run->vm;
	int ret;

	/* The terminal goes raw only now: while the API waits, Ctrl-C still works. */
	if (cfg->console) {
		/* With --console-sock the socket is the console: the terminal is left alone. */
		bool term = !run->console_server;

		ret = console_init(cfg->console, term ? STDIN_FILENO : -1, term ? STDOUT_FILENO : -1);
		if (ret) {
			snprintf(err, errlen, "cannot set up the terminal: %s", strerror(-ret));
			return ret;
		}
	}
	if (run->incoming)
		ret = mig_incoming_restore(run->incoming, vm, cfg, err, errlen);
	else if (cfg->restore_state_path)
		ret = restore_vm(run, cfg, err, errlen);
	else
		ret = vm_create(vm, cfg, err, errlen);
	if (ret)
		return ret;
	if (run->console_server) {
		ret = console_server_attach(run->console_server, vm->console, &vm->loop);
		if (ret) {
			snprintf(err, errlen, "--console-sock: %s", strerror(-ret));
			vm_destroy(vm);
			return ret;
		}
	}
	/* vCPU threads start in vm_run() and take their host CPUs from here. */
	vm->vcpu_placement = run->opts.vcpu_placement.active ? &run->opts.vcpu_placement : NULL;
	if (vm->kvm.is_pvm)
		fprintf(stderr, "vessel: note: /dev/kvm is kvm_pvm: guest kernel mode runs emulated, slowly "
			"(CPU model: %s)\n", vm->cfg.cpu_model == CPU_MODEL_PVM_SAFE ?
			"pvm-safe, hiding instructions its emulator cannot run" : "host");
	signal_vm = vm;
	*out = vm;
	return 0;
}

static int exit_status(const struct vm *vm, enum vm_exit_reason reason)
{
	switch (reason) {
	case VM_EXIT_POWEROFF:
	case VM_EXIT_USER:
		return EXIT_POWEROFF;
	case VM_EXIT_RESET:
		return EXIT_RESET;
	case VM_EXIT_TRIPLE_FAULT:
		return EXIT_TRIPLE_FAULT;
	case VM_EXIT_KVM_ERROR:
		return EXIT_KVM_ERROR;
	case VM_EXIT_SHUTDOWN_TIMEOUT:
		return EXIT_SHUTDOWN_TIMEOUT;
	case VM_EXIT_MIGRATED:
		return EXIT_POWEROFF;
	case VM_EXIT_SIGNAL:
		return EXIT_SIGNAL_BASE + vm->exit_signal;
	case VM_EXIT_NONE:
	case VM_EXIT_VMM_ERROR:
	default:
		return EXIT_ERROR;
	}
}

static const char *exit_message(enum vm_exit_reason reason)
{
	switch (reason) {
	case VM_EXIT_POWEROFF: return "guest powered off";
	case VM_EXIT_RESET: return "guest reset";
	case VM_EXIT_TRIPLE_FAULT: return "guest triple fault: the VM has stopped";
	case VM_EXIT_KVM_ERROR: return "KVM error: the VM has stopped";
	case VM_EXIT_SHUTDOWN_TIMEOUT: return "the guest did not power off in time: stopped it";
	case VM_EXIT_USER: return "terminated from the console (Ctrl-A x)";
	case VM_EXIT_SIGNAL: return "terminated by a signal";
	case VM_EXIT_MIGRATED: return "migrated: the guest runs at the destination now";
	default: return "stopped after an internal error";
	}
}

/* Peak resident memory of this process (VmHWM), in KiB; 0 if unknown. */
static uint64_t process_peak_rss_kib(void)
{
	char line[256];
	uint64_t kib = 0;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmHWM: %" SCNu64 " kB", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

/*
 * One line for benchmarks and curious users. vmm_kib is the peak RSS minus
 * the guest RAM resident at exit: the memory vessel itself used. Huge
 * pages (hugetlbfs) never count in RSS, so there it is the peak RSS.
 */
static void print_stats(const struct vm *vm, uint64_t start_ns)
{
	struct vm_stats st;
	uint64_t peak = process_peak_rss_kib(), guest, in_rss;

	vm_get_stats(vm, &st);
	guest = st.guest_resident >> 10;
	in_rss = vm->cfg.mem_backing.hugepage_size ? 0 : guest;
	fprintf(stderr, "vessel: stats: exits=%" PRIu64 " io=%" PRIu64 " mmio=%" PRIu64
		" start_to_guest_us=%" PRIu64 " peak_rss_kib=%" PRIu64 " guest_resident_kib=%" PRIu64
		" vmm_kib=%" PRIu64 "\n",
		st.exits, st.exits_io, st.exits_mmio,
		st.first_run_ns > start_ns ? (st.first_run_ns - start_ns) / 1000 : 0,
		peak, guest, peak > in_rss ? peak - in_rss : 0);
}


/*
 * Decides where the machine comes from and completes its configuration:
 * the config file (what it sets wins), the snapshot's files, the default
 * guest when nothing says what to boot.
 */
static void run_resolve_machine(struct run *run)
{
	struct run_options *o = &run->opts;
	struct vm_config *cfg = &run->acfg.vm;
	struct default_guest guest;
	char err[512];

	api_config_init(&run->acfg, &o->cfg, (uint32_t)getpid());
	if (o->config_file && api_config_load_file(&run->acfg, o->config_file, err, sizeof(err)))
		fatal("%s", err);

	if (o->restore_dir && o->incoming_url)
		usage_fail("--restore and --incoming: the machine comes from one or the other");
	if (o->restore_dir) {
		if (o->machine_opt) {
			snprintf(err, sizeof(err), "--restore: the machine is the snapshot's; '%s' cannot be given with it",
				 o->machine_opt);
			usage_fail(err);
		}
		run->source = RUN_SOURCE_RESTORE;
		if (asprintf(&run->restore_state_path, "%s/%s", o->restore_dir, SNAPSHOT_STATE_FILE) < 0 ||
		    asprintf(&run->restore_mem_path, "%s/%s", o->restore_dir, SNAPSHOT_MEM_FILE) < 0)
			fatal("out of memory");
		cfg->restore_state_path = run->restore_state_path;
		cfg->restore_mem_path = run->restore_mem_path;
		/* Every restore from files is a clone: a new VM generation ID, its own disks/NICs if given. */
		cfg->restore_as_clone = true;
		cfg->restore_overrides = &o->overrides;
		return;
	}
	if (o->incoming_url) {
		if (cfg->kernel_path || cfg->initrd_path || cfg->cmdline || cfg->firmware_path || cfg->rng || cfg->nr_disks ||
		    cfg->nr_nets || cfg->console_device != VM_CONSOLE_SERIAL || cfg->balloon.enabled ||
		    cfg->vsock.enabled)
			usage_fail("--incoming: the machine is the source's; only --memory and --cpus "
				   "(which it must match) may describe it");
		run->source = RUN_SOURCE_INCOMING;
		return;
	}
	if (cfg->firmware_path) {
		/* The API and config files describe kernel boots only. */
		if (cfg->kernel_path)
			usage_fail("--firmware boots from the disk: the config file's boot-source cannot be used with it");
		if (!cfg->nr_disks)
			usage_fail("--firmware boots the first --disk: give one (--disk path=IMAGE)");
		run->source = RUN_SOURCE_BOOT;
		return;
	}
	if (!cfg->kernel_path && o->api_sock) {
		run->source = RUN_SOURCE_API;     /* no default guest: the API says what to run */
		return;
	}
	run->source = RUN_SOURCE_BOOT;
	if (!cfg->kernel_path) {
		if (default_guest_find(&guest, !kvm_host_is_pvm(), err, sizeof(err)))
			fatal("%s", err);
		cfg->kernel_path = guest.kernel;
		if (!cfg->initrd_path)
			cfg->initrd_path = guest.initrd;
		if (!cfg->cmdline)
			cfg->cmdline = guest.cmdline;
		fprintf(stderr, "vessel: booting the default guest: %s\n", guest.description);
	}
	if (!cfg->cmdline)
		cfg->cmdline = "console=ttyS0";
}

/*
 * Host CPU limits that cover the whole process, before any thread exists:
 * --vmm-affinity (threads created later inherit it; vCPU threads set their
 * own) and --cpu-quota's cgroup. Exits on failure.
 */
static void run_apply_cpu_limits(struct run *run)
{
	struct run_options *o = &run->opts;
	char err[768];

	if (o->vmm_affinity && sched_setaffinity(0, sizeof(o->vmm_cpus), &o->vmm_cpus))
		fatal("--vmm-affinity: %s", strerror(errno));
	if (!o->cpu_quota)
		return;
	if (cgroup_create_cpu_quota(&run->cgroup, NULL, getpid(), o->cpu_quota, err, sizeof(err)))
		fatal("%s", err);
	exit_cgroup = &run->cgroup;
	atexit(remove_cgroup_at_exit);
}

/* Builds the VM from its source; with the API, serves it until it does. Exits on failure. */
static void run_build(struct run *run)
{
	struct run_options *o = &run->opts;
	struct vm_config *cfg = &run->acfg.vm;
	struct vm *booted;
	char err[512];
	int ret;

	if (vcpu_signal_init())
		fatal("cannot install the vCPU signal handler: %s", strerror(errno));
	signal(SIGPIPE, SIG_IGN);
	cfg->console = &run->console;

	if (run->source == RUN_SOURCE_INCOMING) {
		struct mig_incoming_expect expect = {
			.mem_size = o->memory_given ? cfg->mem_size : 0,
			.nr_cpus = o->cpus_given ? cfg->nr_cpus : 0,
		};

		if (mig_incoming_receive(o->incoming_url, &expect, &run->incoming, err, sizeof(err)))
			fatal("%s", err);
	}
	if (o->console_sock && console_server_create(&run->console_server, o->console_sock, err, sizeof(err)))
		fatal("%s", err);
	if (o->api_sock && api_create(&run->api, o->api_sock, &run->acfg, err, sizeof(err))) {
		console_server_destroy(run->console_server);
		fatal("%s", err);
	}
	if (run->source == RUN_SOURCE_API) {
		signal_api = run->api;
		install_stop_signals();
		ret = api_wait_for_start(run->api, boot_vm, run);
		signal_api = NULL;
		if (!ret)
			return;
		api_destroy(run->api);
		console_server_destroy(run->console_server);
		console_restore_terminal();
		if (preboot_signal) {
			fprintf(stderr, "vessel: terminated by a signal before the VM started\n");
			status_file_write(o->status_file, EXIT_SIGNAL_BASE + preboot_signal,
					  "terminated by a signal before the VM started");
			exit(EXIT_SIGNAL_BASE + preboot_signal);
		}
		fatal("API: %s", strerror(-ret));
	}
	ret = boot_vm(run, cfg, &booted, err, sizeof(err));
	if (!ret && run->api) {
		ret = api_attach_vm(run->api, &run->vm);
		if (ret)
			snprintf(err, sizeof(err), "API: %s", strerror(-ret));
	}
	if (ret) {
		api_destroy(run->api);
		console_server_destroy(run->console_server);
		fatal("%s", err);
	}
	install_stop_signals();
}

/* Only a VM booted from a kernel on the command line can be rebuilt by running argv again. */
static bool run_can_restart(const struct run *run)
{
	return run->opts.on_reboot == ON_REBOOT_RESTART && run->source == RUN_SOURCE_BOOT &&
	       !run->acfg.vm.restore_state_path;
}

/* What a run allocated (the VM itself is destroyed before). acfg is zeroed until resolved: freeing it is safe. */
static void run_free(struct run *run)
{
	api_config_free(&run->acfg);
	snapshot_file_free(&run->restore_file);
	mig_incoming_free(run->incoming);
	free(run->restore_state_path);
	free(run->restore_mem_path);
	run_options_free(&run->opts);
	free(run);
}

int cmd_run(int argc, char **argv)
{
	struct run *run = calloc(1, sizeof(*run));
	enum vm_exit_reason reason;
	int status;

	if (!run)
		fatal("out of memory");
	run->start_ns = clock_monotonic_ns();
	run->console = (struct console){ .in_fd = -1, .out_fd = -1 };
	if (run_options_parse(argc, argv, &run->opts)) {
		run_free(run);
		return 0;               /* --help */
	}
	log_set_level(run->opts.level);
	fatal_status_file = run->opts.status_file;
	run_resolve_machine(run);
	if (run->opts.dry_run) {
		char err[768];

		if (run->opts.cpu_quota && cgroup_check_cpu_quota(NULL, getpid(), err, sizeof(err)))
			fatal("%s", err);
		if (run_check(stdout, &run->acfg.vm, err, sizeof(err)))
			fatal("%s", err);
		run_free(run);
		return 0;
	}
	run_apply_cpu_limits(run);
	run_build(run);

	reason = vm_run(&run->vm);
	signal_vm = NULL;
	/* The API must not outlive the VM: its thread ends and its socket file goes. */
	api_destroy(run->api);
	console_server_destroy(run->console_server);
	status = exit_status(&run->vm, reason);
	if (run->opts.stats)
		print_stats(&run->vm, run->start_ns);
	vm_destroy(&run->vm);
	console_restore_terminal();
	/* Before a restart too: the new process image makes its own. */
	remove_cgroup_at_exit();

	if (reason == VM_EXIT_RESET && run_can_restart(run)) {
		fprintf(stderr, "vessel: guest reset: restarting\n");
		/* A fresh process image is the most complete reset there is. */
		execv("/proc/self/exe", argv - 1);
		fatal("cannot restart: %s", strerror(errno));
	}
	if (reason != VM_EXIT_POWEROFF)
		fprintf(stderr, "vessel: %s\n", exit_message(reason));
	status_file_write(run->opts.status_file, status, exit_message(reason));
	run_free(run);
	return status;
}
