/* SPDX-License-Identifier: MIT */
/*
 * `vessel run`: boots one VM in this process, with the serial console on the
 * terminal. The process exit status tells why the VM ended.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysinfo.h>
#include <time.h>
#include <unistd.h>

#include "api/api.h"
#include "arch/x86/cpuid.h"
#include "arch/x86/layout.h"
#include "cli/default_guest.h"
#include "cli/disk_option.h"
#include "cli/net_option.h"
#include "cli/size.h"
#include "cli/commands.h"
#include "cli/run_check.h"
#include "cli/status_file.h"
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
	EXIT_POWEROFF = 0,      /* guest powered off, or Ctrl-A x */
	EXIT_ERROR = 1,         /* vessel could not start or run the VM */
	EXIT_USAGE = CLI_EXIT_USAGE, /* bad command line */
	EXIT_RESET = 3,         /* guest reset, with --on-reboot exit */
	EXIT_TRIPLE_FAULT = 4,  /* guest triple fault */
	EXIT_KVM_ERROR = 5,     /* KVM internal or emulation error */
	EXIT_SHUTDOWN_TIMEOUT = 6, /* PUT /vessel/shutdown: the guest did not power off in time */
	EXIT_SIGNAL_BASE = 128, /* + signal number: ended by SIGINT/SIGTERM/SIGHUP */
};

#define MIN_MEMORY (16ULL << 20)
#define DEFAULT_MEMORY (256ULL << 20)

enum on_reboot { ON_REBOOT_RESTART, ON_REBOOT_EXIT };

static struct vm *signal_vm;
static struct api *signal_api;             /* while waiting for InstanceStart */
static volatile sig_atomic_t preboot_signal;

/* A restored VM's configuration (its strings) and the paths it came from: they live as long as the VM. */
static struct snapshot_file restore_file;
static char *restore_state_path, *restore_mem_path;
static bool restore_stats;
static const char *status_file;            /* --status-file: why vessel ended */

static const char usage_text[] =
"Usage: vessel run [OPTIONS]\n"
"Boot a virtual machine on KVM, with its serial console on this terminal.\n"
"\n"
"  -k, --kernel IMAGE      Linux bzImage or PVH ELF vmlinux to boot\n"
"                          (default: the Debian Linux guest where guest kernels run\n"
"                          natively, the vessel test guest on a PVM host)\n"
"  -i, --initrd FILE       initial ramdisk\n"
"  -a, --cmdline STRING    kernel command line (default: \"console=ttyS0\")\n"
"  -c, --cpus N            number of vCPUs (default 1)\n"
"  -m, --memory SIZE       guest RAM, e.g. 512M, 4G; a bare number is MiB (default 256M)\n"
"      --rng               add a virtio-rng device (/dev/hwrng), fed by getrandom()\n"
"      --console DEVICE    where the terminal's input goes: serial (default: COM1,\n"
"                          ttyS0) or virtio (a virtio-console, hvc0; output from\n"
"                          both ttyS0 and hvc0 is shown)\n"
"      --disk path=FILE[,readonly=on|off][,cache=none|writeback][,serial=ID]\n"
"                          add a virtio-blk disk (repeatable, up to 8; the first is\n"
"                          /dev/vda). cache=none opens it O_DIRECT; serial is what\n"
"                          GET_ID returns (20 characters at most); aio=auto|io_uring|\n"
"                          threads picks the I/O engine (auto: io_uring if allowed)\n"
"      --net tap=NAME[,mac=MAC]\n"
"      --net user[,mac=MAC][,hostfwd=tcp::HOSTPORT-:GUESTPORT]...\n"
"                          add a virtio-net NIC (repeatable, up to 4) on a host TAP\n"
"                          interface (created if missing, when permitted) or on\n"
"                          user-mode NAT (guest 10.0.2.15 by DHCP, gateway 10.0.2.2,\n"
"                          DNS 10.0.2.3). Default MAC: 52:54:00 + PID and NIC index\n"
"      --on-reboot ACTION  what a guest reset does: restart (default) or exit\n"
"      --cpu-model MODEL   auto (default: pvm-safe on a kvm_pvm host, else host),\n"
"                          host (all KVM supports) or pvm-safe (hides instructions\n"
"                          that kvm_pvm's emulator of guest kernel mode cannot run)\n"
"      --stats             at exit, print VM exit counts and memory use on stderr\n"
"      --api-sock PATH     serve the control API (Firecracker compatible, see\n"
"                          docs/api.md) on a Unix socket; without --kernel or\n"
"                          --config-file, wait for PUT /actions InstanceStart\n"
"      --config-file FILE  configure the VM from a Firecracker config file (JSON);\n"
"                          what it sets wins over the command line\n"
"      --restore DIR       resume the snapshot in DIR (vm.state + vm.mem, see\n"
"                          docs/snapshot.md) instead of booting: the machine is the\n"
"                          snapshot's, so no option that shapes it may be given\n"
"      --incoming tcp://ADDR:PORT\n"
"                          receive a live migration (docs/migration.md) instead of\n"
"                          booting: the machine is the source's (disks at the same\n"
"                          paths: shared storage); --memory/--cpus, if given, must\n"
"                          match it or the migration is refused\n"
"      --dry-run           check the options and the files they name, print the\n"
"                          machine as one JSON line and exit 0 (for the manager)\n"
"      --status-file PATH  at exit, write {\"exit_status\": N, \"reason\": \"...\"}\n"
"                          to PATH (for the manager, docs/manager.md)\n"
"      --console-sock PATH serve the console on a Unix socket instead of this\n"
"                          terminal: history of the last 64 KiB, then live output,\n"
"                          for up to 16 clients (vessel console PATH, socat)\n"
"  -v, --verbose           more messages on stderr (repeat for debug)\n"
"  -h, --help              this help\n"
"\n"
"Console: Ctrl-A x ends the VM, Ctrl-A p presses the power button,\n"
"Ctrl-A h lists the escape keys.\n"
"\n"
"Exit status:\n"
"  0    the guest powered off (or Ctrl-A x), or migrated to another vessel\n"
"  1    vessel could not start or run the VM (the reason is on stderr)\n"
"  2    bad command line\n"
"  3    the guest reset itself (with --on-reboot exit)\n"
"  4    the guest triple-faulted\n"
"  5    KVM internal or emulation error (RIP and instruction bytes on stderr)\n"
"  6    the guest did not power off within PUT /vessel/shutdown's timeout\n"
"  128+N  ended by signal N (SIGINT, SIGTERM, SIGHUP)\n";

static void usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "vessel: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'vessel run --help'.\n");
	exit(EXIT_USAGE);
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
	status_file_write(status_file, EXIT_ERROR, msg);
	exit(EXIT_ERROR);
}

static uint64_t host_memory_limit(void)
{
	struct sysinfo si;

	if (sysinfo(&si))
		return UINT64_MAX;
	return ((uint64_t)si.totalram + si.totalswap) * si.mem_unit;
}

static void parse_memory(const char *arg, uint64_t *mem_size)
{
	uint64_t limit = host_memory_limit();
	int ret = size_parse(arg, mem_size);

	if (ret == -ERANGE)
		usage_error("--memory '%s': too large", arg);
	if (ret)
		usage_error("--memory '%s': not a size (examples: 512M, 4G, 1024)", arg);
	if (*mem_size < MIN_MEMORY)
		usage_error("--memory '%s': at least %llu MiB is needed", arg, MIN_MEMORY >> 20);
	if (*mem_size > limit)
		usage_error("--memory '%s': more than this host has (%llu MiB of RAM and swap)",
			    arg, (unsigned long long)(limit >> 20));
	/* Guest RAM is mapped in 2 MiB-friendly page units. */
	*mem_size = (*mem_size + 4095) & ~4095ULL;
}

static void parse_cpus(const char *arg, uint32_t *nr_cpus)
{
	uint64_t v;
	int ret = count_parse(arg, LAYOUT_MAX_CPUS, &v);

	if (ret == -ERANGE)
		usage_error("--cpus '%s': at most %d vCPUs are supported", arg, LAYOUT_MAX_CPUS);
	if (ret)
		usage_error("--cpus '%s': not a number", arg);
	if (v == 0)
		usage_error("--cpus: a VM needs at least one vCPU");
	*nr_cpus = (uint32_t)v;
}

/* The option string is copied: parsing splits it, and argv must stay intact for a restart. */
static void parse_disk(const char *arg, struct vm_config *cfg)
{
	char err[256];
	char *copy;

	if (cfg->nr_disks == VM_MAX_DISKS)
		usage_error("--disk: at most %d disks are supported", VM_MAX_DISKS);
	copy = strdup(arg);
	if (!copy)
		fatal("out of memory");
	if (disk_option_parse(copy, &cfg->disks[cfg->nr_disks], err, sizeof(err)))
		usage_error("%s", err);
	cfg->nr_disks++;
}

static void parse_net(const char *arg, struct vm_config *cfg)
{
	char err[256];

	if (cfg->nr_nets == NET_MAX_DEVICES)
		usage_error("--net: at most %d network devices are supported", NET_MAX_DEVICES);
	if (net_option_parse(arg, (uint32_t)getpid(), cfg->nr_nets, &cfg->nets[cfg->nr_nets], err, sizeof(err)))
		usage_error("%s", err);
	cfg->nr_nets++;
}

/* The option getopt_long() just took, as written ("--cpus" of "--cpus 2", or "-c2"). */
static const char *option_given(char **argv)
{
	return optind >= 2 && optarg == argv[optind - 1] ? argv[optind - 2] : argv[optind - 1];
}

/* Long options without a short form; above any char so they never collide. */
#define OPT_CONSOLE 0x100
#define OPT_RESTORE 0x120
#define OPT_INCOMING 0x130
#define OPT_DRY_RUN 0x110
#define OPT_STATUS_FILE 0x111
#define OPT_CONSOLE_SOCK 0x101

static void parse_console(const char *arg, struct vm_config *cfg)
{
	if (!strcmp(arg, "serial"))
		cfg->console_device = VM_CONSOLE_SERIAL;
	else if (!strcmp(arg, "virtio"))
		cfg->console_device = VM_CONSOLE_VIRTIO;
	else
		usage_error("--console '%s': expected 'serial' or 'virtio'", arg);
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

/* What boot_vm() builds into: the VM and, with --console-sock, its console server. */
struct boot_target {
	struct vm *vm;
	struct console_server *console_server;
	struct mig_incoming *incoming;      /* --incoming: what the source sent */
};

/*
 * Rebuilds a snapshot's VM (the command line's --restore and the API's
 * PUT /snapshot/load). The paths are copied: the VM keeps using them.
 */
static int restore_vm(struct vm *vm, const struct vm_config *cfg, char *err, size_t errlen)
{
	struct vm_config host = *cfg;
	uint64_t t0 = clock_monotonic_ns(), t1;
	int ret;

	free(restore_state_path);
	free(restore_mem_path);
	restore_state_path = strdup(cfg->restore_state_path);
	restore_mem_path = cfg->restore_mem_path ? strdup(cfg->restore_mem_path) : NULL;
	if (!restore_state_path || !restore_mem_path) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	host.restore_state_path = restore_state_path;
	host.restore_mem_path = restore_mem_path;
	ret = snapshot_file_read(&restore_file, restore_state_path, err, errlen);
	if (ret)
		return ret;
	t1 = clock_monotonic_ns();
	ret = snapshot_restore(vm, &host, &restore_file, err, errlen);
	if (ret) {
		snapshot_file_free(&restore_file);
		return ret;
	}
	if (restore_stats)
		fprintf(stderr, "vessel: restore: read_state_us=%" PRIu64 " rebuild_us=%" PRIu64 "\n",
			(t1 - t0) / 1000, (clock_monotonic_ns() - t1) / 1000);
	return 0;
}

/* Builds the VM, for the command line and the API's InstanceStart alike. */
static int boot_vm(void *ctx, const struct vm_config *cfg, struct vm **out, char *err, size_t errlen)
{
	struct boot_target *target = ctx;
	struct vm *vm = target->vm;
	int ret;

	/* The terminal goes raw only now: while the API waits, Ctrl-C still works. */
	if (cfg->console) {
		/* With --console-sock the socket is the console: the terminal is left alone. */
		bool term = !target->console_server;

		ret = console_init(cfg->console, term ? STDIN_FILENO : -1, term ? STDOUT_FILENO : -1);
		if (ret) {
			snprintf(err, errlen, "cannot set up the terminal: %s", strerror(-ret));
			return ret;
		}
	}
	if (target->incoming)
		ret = mig_incoming_restore(target->incoming, vm, cfg, err, errlen);
	else if (cfg->restore_state_path)
		ret = restore_vm(vm, cfg, err, errlen);
	else
		ret = vm_create(vm, cfg, err, errlen);
	if (ret)
		return ret;
	if (target->console_server) {
		ret = console_server_attach(target->console_server, vm->console, &vm->loop);
		if (ret) {
			snprintf(err, errlen, "--console-sock: %s", strerror(-ret));
			vm_destroy(vm);
			return ret;
		}
	}
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
 * the guest RAM resident at exit: the memory vessel itself used.
 */
static void print_stats(const struct vm *vm, uint64_t start_ns)
{
	struct vm_stats st;
	uint64_t peak = process_peak_rss_kib(), guest;

	vm_get_stats(vm, &st);
	guest = st.guest_resident >> 10;
	fprintf(stderr, "vessel: stats: exits=%" PRIu64 " io=%" PRIu64 " mmio=%" PRIu64
		" start_to_guest_us=%" PRIu64 " peak_rss_kib=%" PRIu64 " guest_resident_kib=%" PRIu64
		" vmm_kib=%" PRIu64 "\n",
		st.exits, st.exits_io, st.exits_mmio,
		st.first_run_ns > start_ns ? (st.first_run_ns - start_ns) / 1000 : 0,
		peak, guest, peak > guest ? peak - guest : 0);
}


int cmd_run(int argc, char **argv)
{
	static const struct option options[] = {
		{ "kernel", required_argument, NULL, 'k' },
		{ "initrd", required_argument, NULL, 'i' },
		{ "cmdline", required_argument, NULL, 'a' },
		{ "cpus", required_argument, NULL, 'c' },
		{ "memory", required_argument, NULL, 'm' },
		{ "on-reboot", required_argument, NULL, 'R' },
		{ "cpu-model", required_argument, NULL, 'M' },
		{ "stats", no_argument, NULL, 'S' },
		{ "rng", no_argument, NULL, 'r' },
		{ "console", required_argument, NULL, OPT_CONSOLE },
		{ "disk", required_argument, NULL, 'D' },
		{ "net", required_argument, NULL, 'N' },
		{ "api-sock", required_argument, NULL, 'A' },
		{ "config-file", required_argument, NULL, 'F' },
		{ "restore", required_argument, NULL, OPT_RESTORE },
		{ "incoming", required_argument, NULL, OPT_INCOMING },
		{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
		{ "status-file", required_argument, NULL, OPT_STATUS_FILE },
		{ "console-sock", required_argument, NULL, OPT_CONSOLE_SOCK },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t start_ns = clock_monotonic_ns();
	struct vm_config cfg = { .nr_cpus = 1, .mem_size = DEFAULT_MEMORY };
	enum on_reboot on_reboot = ON_REBOOT_RESTART;
	struct default_guest guest;
	struct console console = { .in_fd = -1, .out_fd = -1 };
	enum vm_exit_reason reason;
	const char *api_sock = NULL, *config_file = NULL, *console_sock = NULL, *restore_dir = NULL;
	const char *machine_opt = NULL;    /* an option that shapes the machine (refused with --restore) */
	const char *incoming_url = NULL;   /* --incoming: the machine comes from a migration */
	struct mig_incoming_expect expect = { 0 };
	char *state_file = NULL, *mem_file = NULL;
	struct api *api = NULL;
	struct api_config acfg;
	struct vm *booted;
	bool wait_api;
	enum log_level level = LOG_WARN;
	bool want_stats = false;
	bool dry_run = false;
	char err[512];
	struct vm vm;
	struct boot_target target = { .vm = &vm };
	int opt, ret, status;

	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":k:i:a:c:m:vh", options, NULL)) != -1) {
		switch (opt) {
		case 'k': machine_opt = option_given(argv); cfg.kernel_path = optarg; break;
		case 'i': machine_opt = option_given(argv); cfg.initrd_path = optarg; break;
		case 'a': machine_opt = option_given(argv); cfg.cmdline = optarg; break;
		case 'c': machine_opt = option_given(argv); parse_cpus(optarg, &cfg.nr_cpus); expect.nr_cpus = cfg.nr_cpus; break;
		case 'm': machine_opt = option_given(argv); parse_memory(optarg, &cfg.mem_size); expect.mem_size = cfg.mem_size; break;
		case 'R':
			if (!strcmp(optarg, "restart") || !strcmp(optarg, "reboot"))
				on_reboot = ON_REBOOT_RESTART;
			else if (!strcmp(optarg, "exit"))
				on_reboot = ON_REBOOT_EXIT;
			else
				usage_error("--on-reboot '%s': expected 'restart' or 'exit'", optarg);
			break;
		case 'M':
			if (cpuid_parse_model(optarg, &cfg.cpu_model))
				usage_error("--cpu-model '%s': expected 'auto', 'host' or 'pvm-safe'", optarg);
			break;
		case 'S': want_stats = true; break;
		case 'r': machine_opt = "--rng"; cfg.rng = true; break;
		case OPT_CONSOLE: machine_opt = option_given(argv); parse_console(optarg, &cfg); break;
		case 'D': machine_opt = option_given(argv); parse_disk(optarg, &cfg); break;
		case 'N': machine_opt = option_given(argv); parse_net(optarg, &cfg); break;
		case 'A': api_sock = optarg; break;
		case OPT_RESTORE: restore_dir = optarg; break;
		case OPT_INCOMING: incoming_url = optarg; break;
		case 'F': machine_opt = option_given(argv); config_file = optarg; break;
		case OPT_DRY_RUN: dry_run = true; break;
		case OPT_STATUS_FILE: status_file = optarg; break;
		case OPT_CONSOLE_SOCK: console_sock = optarg; break;
		case 'v': level = level == LOG_WARN ? LOG_INFO : LOG_DEBUG; break;
		case 'h': fputs(usage_text, stdout); return 0;
		case ':': usage_error("option '%s' needs a value", argv[optind - 1]);
		default: usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		usage_error("unexpected argument '%s'", argv[optind]);
	log_set_level(level);
	if (restore_dir) {
		if (machine_opt)
			usage_error("--restore: the machine is the snapshot's; '%s' cannot be given with it", machine_opt);
		if (asprintf(&state_file, "%s/%s", restore_dir, SNAPSHOT_STATE_FILE) < 0 ||
		    asprintf(&mem_file, "%s/%s", restore_dir, SNAPSHOT_MEM_FILE) < 0)
			fatal("out of memory");
		restore_stats = want_stats;
	}

	/* The config file goes through the API's mapping; what it sets wins. */
	api_config_init(&acfg, &cfg, (uint32_t)getpid());
	if (config_file && api_config_load_file(&acfg, config_file, err, sizeof(err)))
		fatal("%s", err);
	cfg = acfg.vm;
	/* --api-sock alone: no default guest, the API says what to boot. */
	if (incoming_url) {
		if (restore_dir || cfg.kernel_path || cfg.initrd_path || cfg.cmdline || cfg.rng ||
		    cfg.nr_disks || cfg.nr_nets || cfg.console_device != VM_CONSOLE_SERIAL)
			usage_error("--incoming: the machine is the source's; only --memory and --cpus "
				    "(which it must match) may describe it");
		restore_dir = incoming_url;     /* no kernel, no default guest, no InstanceStart */
	}
	wait_api = api_sock && !cfg.kernel_path && !restore_dir;
	if (!cfg.kernel_path && !wait_api && !restore_dir) {
		ret = default_guest_find(&guest, !kvm_host_is_pvm(), err, sizeof(err));
		if (ret)
			fatal("%s", err);
		cfg.kernel_path = guest.kernel;
		if (!cfg.initrd_path)
			cfg.initrd_path = guest.initrd;
		if (!cfg.cmdline)
			cfg.cmdline = guest.cmdline;
		fprintf(stderr, "vessel: booting the default guest: %s\n", guest.description);
	}
	if (!cfg.cmdline && !wait_api && !restore_dir)
		cfg.cmdline = "console=ttyS0";
	if (dry_run) {
		if (run_check_config(&cfg, err, sizeof(err)))
			fatal("%s", err);
		run_check_print(stdout, &cfg);
		api_config_free(&acfg);
		return 0;
	}

	if (vcpu_signal_init())
		fatal("cannot install the vCPU signal handler: %s", strerror(errno));
	signal(SIGPIPE, SIG_IGN);
	cfg.console = &console;
	cfg.restore_state_path = state_file;
	cfg.restore_mem_path = mem_file;
	acfg.vm = cfg;

	if (incoming_url && mig_incoming_receive(incoming_url, &expect, &target.incoming, err, sizeof(err)))
		fatal("%s", err);
	if (console_sock && console_server_create(&target.console_server, console_sock, err, sizeof(err)))
		fatal("%s", err);
	if (api_sock) {
		ret = api_create(&api, api_sock, &acfg, err, sizeof(err));
		if (ret) {
			console_server_destroy(target.console_server);
			fatal("%s", err);
		}
	}
	if (wait_api) {
		signal_api = api;
		install_stop_signals();
		ret = api_wait_for_start(api, boot_vm, &target);
		signal_api = NULL;
		if (ret) {
			api_destroy(api);
			console_server_destroy(target.console_server);
			console_restore_terminal();
			if (preboot_signal) {
				fprintf(stderr, "vessel: terminated by a signal before the VM started\n");
				status_file_write(status_file, EXIT_SIGNAL_BASE + preboot_signal,
						  "terminated by a signal before the VM started");
				return EXIT_SIGNAL_BASE + preboot_signal;
			}
			fatal("API: %s", strerror(-ret));
		}
	} else {
		ret = boot_vm(&target, &cfg, &booted, err, sizeof(err));
		if (!ret && api) {
			ret = api_attach_vm(api, &vm);
			if (ret)
				snprintf(err, sizeof(err), "API: %s", strerror(-ret));
		}
		if (ret) {
			api_destroy(api);
			console_server_destroy(target.console_server);
			fatal("%s", err);
		}
		install_stop_signals();
	}

	reason = vm_run(&vm);
	signal_vm = NULL;
	/* The API must not outlive the VM: its thread ends and its socket file goes. */
	api_destroy(api);
	console_server_destroy(target.console_server);
	status = exit_status(&vm, reason);
	if (want_stats)
		print_stats(&vm, start_ns);
	vm_destroy(&vm);
	console_restore_terminal();

	/* A VM configured through the API cannot be rebuilt by re-running argv: it ends, as in Firecracker. */
	/* Re-running argv would restore the snapshot again, not reboot: a restored VM's reset ends it. */
	if (reason == VM_EXIT_RESET && on_reboot == ON_REBOOT_RESTART && !wait_api && !restore_state_path &&
	    !incoming_url) {
		fprintf(stderr, "vessel: guest reset: restarting\n");
		/* A fresh process image is the most complete reset there is. */
		execv("/proc/self/exe", argv - 1);
		fatal("cannot restart: %s", strerror(errno));
	}
	if (reason != VM_EXIT_POWEROFF)
		fprintf(stderr, "vessel: %s\n", exit_message(reason));
	status_file_write(status_file, status, exit_message(reason));
	api_config_free(&acfg);
	snapshot_file_free(&restore_file);
	mig_incoming_free(target.incoming);
	free(restore_state_path);
	free(restore_mem_path);
	free(state_file);
	free(mem_file);
	return status;
}
