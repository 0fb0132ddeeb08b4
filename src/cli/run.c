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
#include "core/clock.h"
#include "core/console.h"
#include "core/log.h"
#include "core/vcpu.h"
#include "core/vm.h"

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
"  -v, --verbose           more messages on stderr (repeat for debug)\n"
"  -h, --help              this help\n"
"\n"
"Console: Ctrl-A x ends the VM, Ctrl-A p presses the power button,\n"
"Ctrl-A h lists the escape keys.\n"
"\n"
"Exit status:\n"
"  0    the guest powered off (or Ctrl-A x)\n"
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
	va_list ap;

	console_restore_terminal();
	fprintf(stderr, "vessel: error: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
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

/* Long options without a short form; above any char so they never collide. */
#define OPT_CONSOLE 0x100

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

/* Builds the VM, for the command line and the API's InstanceStart alike. */
static int boot_vm(void *ctx, const struct vm_config *cfg, struct vm **out, char *err, size_t errlen)
{
	struct vm *vm = ctx;
	int ret;

	/* The terminal goes raw only now: while the API waits, Ctrl-C still works. */
	if (cfg->console) {
		ret = console_init(cfg->console, STDIN_FILENO, STDOUT_FILENO);
		if (ret) {
			snprintf(err, errlen, "cannot set up the terminal: %s", strerror(-ret));
			return ret;
		}
	}
	ret = vm_create(vm, cfg, err, errlen);
	if (ret)
		return ret;
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
	const char *api_sock = NULL, *config_file = NULL;
	struct api *api = NULL;
	struct api_config acfg;
	struct vm *booted;
	bool wait_api;
	enum log_level level = LOG_WARN;
	bool want_stats = false;
	char err[512];
	struct vm vm;
	int opt, ret, status;

	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":k:i:a:c:m:vh", options, NULL)) != -1) {
		switch (opt) {
		case 'k': cfg.kernel_path = optarg; break;
		case 'i': cfg.initrd_path = optarg; break;
		case 'a': cfg.cmdline = optarg; break;
		case 'c': parse_cpus(optarg, &cfg.nr_cpus); break;
		case 'm': parse_memory(optarg, &cfg.mem_size); break;
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
		case 'r': cfg.rng = true; break;
		case OPT_CONSOLE: parse_console(optarg, &cfg); break;
		case 'D': parse_disk(optarg, &cfg); break;
		case 'N': parse_net(optarg, &cfg); break;
		case 'A': api_sock = optarg; break;
		case 'F': config_file = optarg; break;
		case 'v': level = level == LOG_WARN ? LOG_INFO : LOG_DEBUG; break;
		case 'h': fputs(usage_text, stdout); return 0;
		case ':': usage_error("option '%s' needs a value", argv[optind - 1]);
		default: usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		usage_error("unexpected argument '%s'", argv[optind]);
	log_set_level(level);

	/* The config file goes through the API's mapping; what it sets wins. */
	api_config_init(&acfg, &cfg, (uint32_t)getpid());
	if (config_file && api_config_load_file(&acfg, config_file, err, sizeof(err)))
		fatal("%s", err);
	cfg = acfg.vm;
	/* --api-sock alone: no default guest, the API says what to boot. */
	wait_api = api_sock && !cfg.kernel_path;
	if (!cfg.kernel_path && !wait_api) {
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
	if (!cfg.cmdline && !wait_api)
		cfg.cmdline = "console=ttyS0";

	if (vcpu_signal_init())
		fatal("cannot install the vCPU signal handler: %s", strerror(errno));
	signal(SIGPIPE, SIG_IGN);
	cfg.console = &console;
	acfg.vm = cfg;

	if (api_sock) {
		ret = api_create(&api, api_sock, &acfg, err, sizeof(err));
		if (ret)
			fatal("%s", err);
	}
	if (wait_api) {
		signal_api = api;
		install_stop_signals();
		ret = api_wait_for_start(api, boot_vm, &vm);
		signal_api = NULL;
		if (ret) {
			api_destroy(api);
			console_restore_terminal();
			if (preboot_signal) {
				fprintf(stderr, "vessel: terminated by a signal before the VM started\n");
				return EXIT_SIGNAL_BASE + preboot_signal;
			}
			fatal("API: %s", strerror(-ret));
		}
	} else {
		ret = boot_vm(&vm, &cfg, &booted, err, sizeof(err));
		if (!ret && api) {
			ret = api_attach_vm(api, &vm);
			if (ret)
				snprintf(err, sizeof(err), "API: %s", strerror(-ret));
		}
		if (ret) {
			api_destroy(api);
			fatal("%s", err);
		}
		install_stop_signals();
	}

	reason = vm_run(&vm);
	signal_vm = NULL;
	/* The API must not outlive the VM: its thread ends and its socket file goes. */
	api_destroy(api);
	status = exit_status(&vm, reason);
	if (want_stats)
		print_stats(&vm, start_ns);
	vm_destroy(&vm);
	console_restore_terminal();

	/* A VM configured through the API cannot be rebuilt by re-running argv: it ends, as in Firecracker. */
	if (reason == VM_EXIT_RESET && on_reboot == ON_REBOOT_RESTART && !wait_api) {
		fprintf(stderr, "vessel: guest reset: restarting\n");
		/* A fresh process image is the most complete reset there is. */
		execv("/proc/self/exe", argv - 1);
		fatal("cannot restart: %s", strerror(errno));
	}
	if (reason != VM_EXIT_POWEROFF)
		fprintf(stderr, "vessel: %s\n", exit_message(reason));
	api_config_free(&acfg);
	return status;
}
