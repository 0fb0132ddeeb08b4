/* SPDX-License-Identifier: MIT */
/*
 * vessel's command line. `vessel run` boots one VM in this process, with the
 * serial console on the terminal. exit() lives here and nowhere else.
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

#include "arch/x86/cpuid.h"
#include "arch/x86/layout.h"
#include "cli/default_guest.h"
#include "cli/size.h"
#include "core/console.h"
#include "core/log.h"
#include "core/vcpu.h"
#include "core/vm.h"

/* Exit statuses of `vessel run`, documented in --help and docs/exit-status.md. */
enum {
	EXIT_POWEROFF = 0,      /* guest powered off, or Ctrl-A x */
	EXIT_ERROR = 1,         /* vessel could not start or run the VM */
	EXIT_USAGE = 2,         /* bad command line */
	EXIT_RESET = 3,         /* guest reset, with --on-reboot exit */
	EXIT_TRIPLE_FAULT = 4,  /* guest triple fault */
	EXIT_KVM_ERROR = 5,     /* KVM internal or emulation error */
	EXIT_SIGNAL_BASE = 128, /* + signal number: ended by SIGINT/SIGTERM/SIGHUP */
};

#define MIN_MEMORY (16ULL << 20)
#define DEFAULT_MEMORY (256ULL << 20)

enum on_reboot { ON_REBOOT_RESTART, ON_REBOOT_EXIT };

static struct vm *signal_vm;

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
"      --on-reboot ACTION  what a guest reset does: restart (default) or exit\n"
"      --cpu-model MODEL   auto (default: pvm-safe on a kvm_pvm host, else host),\n"
"                          host (all KVM supports) or pvm-safe (hides instructions\n"
"                          that kvm_pvm's emulator of guest kernel mode cannot run)\n"
"      --stats             at exit, print VM exit counts and memory use on stderr\n"
"  -v, --verbose           more messages on stderr (repeat for debug)\n"
"  -h, --help              this help\n"
"\n"
"Console: Ctrl-A x ends the VM, Ctrl-A h lists the escape keys.\n"
"\n"
"Exit status:\n"
"  0    the guest powered off (or Ctrl-A x)\n"
"  1    vessel could not start or run the VM (the reason is on stderr)\n"
"  2    bad command line\n"
"  3    the guest reset itself (with --on-reboot exit)\n"
"  4    the guest triple-faulted\n"
"  5    KVM internal or emulation error (RIP and instruction bytes on stderr)\n"
"  128+N  ended by signal N (SIGINT, SIGTERM, SIGHUP)\n";

static const char main_usage_text[] =
"Usage: vessel COMMAND [OPTIONS]\n"
"\n"
"Commands:\n"
"  run        boot a virtual machine in this process (vessel run --help)\n"
"  version    print the version\n";

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

static void handle_stop_signal(int sig)
{
	if (signal_vm) {
		signal_vm->exit_signal = sig;
		vm_request_stop(signal_vm, VM_EXIT_SIGNAL);
	}
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

static uint64_t monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static int cmd_run(int argc, char **argv)
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
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t start_ns = monotonic_ns();
	struct vm_config cfg = { .nr_cpus = 1, .mem_size = DEFAULT_MEMORY };
	enum on_reboot on_reboot = ON_REBOOT_RESTART;
	struct default_guest guest;
	struct console console;
	enum vm_exit_reason reason;
	struct sigaction sa = { .sa_handler = handle_stop_signal };
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
		case 'v': level = level == LOG_WARN ? LOG_INFO : LOG_DEBUG; break;
		case 'h': fputs(usage_text, stdout); return 0;
		case ':': usage_error("option '%s' needs a value", argv[optind - 1]);
		default: usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		usage_error("unexpected argument '%s'", argv[optind]);
	log_set_level(level);

	if (!cfg.kernel_path) {
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
	if (!cfg.cmdline)
		cfg.cmdline = "console=ttyS0";

	if (vcpu_signal_init())
		fatal("cannot install the vCPU signal handler: %s", strerror(errno));
	signal(SIGPIPE, SIG_IGN);
	if (console_init(&console, STDIN_FILENO, STDOUT_FILENO))
		fatal("cannot set up the terminal: %s", strerror(errno));
	cfg.console = &console;

	ret = vm_create(&vm, &cfg, err, sizeof(err));
	if (ret)
		fatal("%s", err);
	if (vm.kvm.is_pvm)
		fprintf(stderr, "vessel: note: /dev/kvm is kvm_pvm: guest kernel mode runs emulated, slowly "
			"(CPU model: %s)\n", vm.cfg.cpu_model == CPU_MODEL_PVM_SAFE ?
			"pvm-safe, hiding instructions its emulator cannot run" : "host");

	signal_vm = &vm;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);

	reason = vm_run(&vm);
	signal_vm = NULL;
	status = exit_status(&vm, reason);
	if (want_stats)
		print_stats(&vm, start_ns);
	vm_destroy(&vm);
	console_restore_terminal();

	if (reason == VM_EXIT_RESET && on_reboot == ON_REBOOT_RESTART) {
		fprintf(stderr, "vessel: guest reset: restarting\n");
		/* A fresh process image is the most complete reset there is. */
		execv("/proc/self/exe", argv - 1);
		fatal("cannot restart: %s", strerror(errno));
	}
	if (reason != VM_EXIT_POWEROFF)
		fprintf(stderr, "vessel: %s\n", exit_message(reason));
	return status;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fputs(main_usage_text, stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "run"))
		return cmd_run(argc - 1, argv + 1);
	if (!strcmp(argv[1], "version") || !strcmp(argv[1], "--version")) {
		printf("vessel %s\n", VESSEL_VERSION);
		return 0;
	}
	if (!strcmp(argv[1], "help") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fputs(main_usage_text, stdout);
		return 0;
	}
	fprintf(stderr, "vessel: unknown command '%s'\n", argv[1]);
	fputs(main_usage_text, stderr);
	return EXIT_USAGE;
}
