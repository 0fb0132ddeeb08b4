/* SPDX-License-Identifier: MIT */
/*
 * `vessel run`'s command line: the options, their checks and --help. A bad
 * command line ends the process with status 2 and a one-line reason.
 */
#include "cli/run_options.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include "arch/x86/cpuid.h"
#include "arch/x86/layout.h"
#include "boot/firmware.h"
#include "cli/commands.h"
#include "cli/cpu_option.h"
#include "cli/balloon_option.h"
#include "cli/clone_option.h"
#include "cli/disk_option.h"
#include "cli/memory_option.h"
#include "cli/vsock_option.h"
#include "cli/net_option.h"
#include "cli/size.h"

#define DEFAULT_MEMORY (256ULL << 20)

/* Long options without a short form; above any char so they never collide. */
enum {
	OPT_CONSOLE = 0x100,
	OPT_CONSOLE_SOCK,
	OPT_DRY_RUN,
	OPT_STATUS_FILE,
	OPT_RESTORE,
	OPT_INCOMING,
	OPT_DISK_OVERRIDE,
	OPT_NET_OVERRIDE,
	OPT_BALLOON,
	OPT_VSOCK,
	OPT_CPU_QUOTA,
	OPT_VMM_AFFINITY,
	OPT_FIRMWARE,
};

static const char usage_text[] =
"Usage: vessel run [OPTIONS]\n"
"Boot a virtual machine on KVM, with its serial console on this terminal.\n"
"\n"
"  -k, --kernel IMAGE      Linux bzImage or PVH ELF vmlinux to boot\n"
"                          (default: the Debian Linux guest where guest kernels run\n"
"                          natively, the vessel test guest on a PVM host)\n"
"  -i, --initrd FILE       initial ramdisk\n"
"  -a, --cmdline STRING    kernel command line (default: \"console=ttyS0\")\n"
"      --firmware seabios|PATH\n"
"                          boot firmware instead of a kernel; it boots the first\n"
"                          --disk's MBR. seabios: " FIRMWARE_SEABIOS_PATH ",\n"
"                          PATH: another SeaBIOS image. Its screen is COM1\n"
"                          (docs/firmware.md); not with --kernel/--initrd/--cmdline\n"
"  -c, --cpus N[,affinity=CPULIST][,pin=on]\n"
"                          number of vCPUs (default 1), each a thread; affinity=:\n"
"                          the host CPUs they may run on, as taskset -c lists them\n"
"                          (0-3,6); pin=on: vCPU i on the i-th CPU of the list\n"
"                          (round robin), or of all vessel may use. N may be left\n"
"                          out (--cpus affinity=1-3), e.g. with --restore\n"
"      --vmm-affinity CPULIST\n"
"                          the host CPUs of vessel's other threads (event loop,\n"
"                          API, I/O)\n"
"      --cpu-quota PERCENT the VM's CPU time, all threads together, in percent of\n"
"                          one host CPU (100 = one CPU, 250 = two and a half): a\n"
"                          cgroup of its own with a CFS quota (docs/cpu.md)\n"
"  -m, --memory SIZE[,hugepages=on][,hugepage_size=2M|1G][,prefault=on][,mergeable=on]\n"
"                          guest RAM, e.g. 512M, 4G; a bare number is MiB (default 256M);\n"
"                          hugepages=on: backed by reserved huge pages (2M unless\n"
"                          hugepage_size=1G); prefault=on: all of it touched before the\n"
"                          guest runs; mergeable=on: KSM may merge identical pages\n"
"                          (small pages only, so no transparent huge pages)\n"
"      --rng               add a virtio-rng device (/dev/hwrng), fed by getrandom()\n"
"      --vsock cid=N,uds=PATH\n"
"                          add a virtio-vsock device: the guest's CID (3 and up) and\n"
"                          a Unix socket vessel creates at PATH (removed at exit):\n"
"                          a host program connects there and sends \"CONNECT <port>\\n\"\n"
"                          to reach a guest port; the guest's connections to host\n"
"                          port P go to a program listening on PATH_P (docs/vsock.md)\n"
"      --balloon [size=SIZE][,deflate_on_oom=on][,stats=SECONDS][,free_page_reporting=on]\n"
"                          add a virtio-balloon device: size is its target at boot\n"
"                          (a bare number is MiB; default 0), changed while the VM\n"
"                          runs with PATCH /balloon or 'vessel balloon'; stats polls\n"
"                          the guest's memory statistics every SECONDS (default 0:\n"
"                          off); free_page_reporting=on lets the guest hand back\n"
"                          free memory by itself (docs/api.md)\n"
"      --console DEVICE    where the terminal's input goes: serial (default: COM1,\n"
"                          ttyS0) or virtio (a virtio-console, hvc0; output from\n"
"                          both ttyS0 and hvc0 is shown)\n"
"      --disk path=FILE[,readonly=on|off][,cache=none|writeback][,serial=ID]\n"
"                          add a virtio-blk disk (repeatable, up to 8; the first is\n"
"                          /dev/vda). cache=none opens it O_DIRECT; serial is what\n"
"                          GET_ID returns (20 characters at most); aio=auto|io_uring|\n"
"                          threads picks the I/O engine (auto: io_uring if allowed);\n"
"                          queues=N gives it N request queues (1 to 16, default 1),\n"
"                          each with its own notification and interrupt\n"
"      --net tap=NAME[,mac=MAC][,queues=N]\n"
"      --net user[,mac=MAC][,hostfwd=tcp::HOSTPORT-:GUESTPORT]...\n"
"                          add a virtio-net NIC (repeatable, up to 4) on a host TAP\n"
"                          interface (created if missing, when permitted) or on\n"
"                          user-mode NAT (guest 10.0.2.15 by DHCP, gateway 10.0.2.2,\n"
"                          DNS 10.0.2.3). Default MAC: 52:54:00 + PID and NIC index.\n"
"                          queues=N (1 to 8, default 1): N queue pairs on a\n"
"                          multiqueue TAP (multi_queue), each with its own\n"
"                          notifications and interrupts\n"
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
"                          snapshot's, so no option that shapes it may be given;\n"
"                          the guest sees a new VM generation ID (a clone)\n"
"      --disk-override ID=PATH\n"
"                          with --restore: this clone's own copy of disk ID (the\n"
"                          same size; IDs: disk0, disk1... in --disk order, or the\n"
"                          API's drive_id)\n"
"      --net-override ID=tap=NAME[,mac=MAC] | ID=mac=MAC\n"
"                          with --restore: NIC ID (net0... or the API's iface_id)\n"
"                          on another TAP interface and/or with a new MAC\n"
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
	exit(CLI_EXIT_USAGE);
}

static const char *option_given(char **argv);

static uint64_t host_memory_limit(void)
{
	struct sysinfo si;

	if (sysinfo(&si))
		return UINT64_MAX;
	return ((uint64_t)si.totalram + si.totalswap) * si.mem_unit;
}

static void parse_memory(const char *arg, struct vm_config *cfg)
{
	char err[256];

	if (memory_option_parse(arg, host_memory_limit(), &cfg->mem_size, &cfg->mem_backing, err, sizeof(err)))
		usage_error("%s", err);
}

/* --cpus [N][,affinity=...][,pin=...]: only a count shapes the machine. */
static void parse_cpus(const char *arg, const struct cpu_host *host, struct run_options *o, char **argv)
{
	struct vcpu_placement pl;
	bool count_given;
	char err[256];

	if (cpu_option_parse(arg, LAYOUT_MAX_CPUS, host, &o->cfg.nr_cpus, &count_given, &pl, err, sizeof(err)))
		usage_error("%s", err);
	if (count_given) {
		o->machine_opt = option_given(argv);
		o->cpus_given = true;
	}
	o->vcpu_placement = pl;
}

/* The option string is copied: parsing splits it, and argv must stay intact for a restart. */
static void parse_disk(const char *arg, struct run_options *o)
{
	struct vm_config *cfg = &o->cfg;
	char err[256];
	char *copy;

	if (cfg->nr_disks == VM_MAX_DISKS)
		usage_error("--disk: at most %d disks are supported", VM_MAX_DISKS);
	copy = strdup(arg);
	if (!copy)
		usage_error("--disk: out of memory");
	if (disk_option_parse(copy, &cfg->disks[cfg->nr_disks], err, sizeof(err)))
		usage_error("%s", err);
	o->disk_args[cfg->nr_disks++] = copy;   /* the disk's strings point into it */
}

/* --balloon takes its value as --balloon=VALUE or as the next argument when that is key=value. */
static void parse_balloon(int argc, char **argv, struct vm_config *cfg)
{
	const char *arg = optarg;
	char err[256];

	if (!arg && optind < argc && argv[optind][0] != '-' && strchr(argv[optind], '='))
		arg = argv[optind++];
	if (cfg->balloon.enabled)
		usage_error("--balloon: a VM has one balloon at most");
	if (balloon_option_parse(arg, &cfg->balloon, err, sizeof(err)))
		usage_error("%s", err);
}

/* --vsock: copied like --disk (cfg.vsock.uds_path points into the copy). */
static void parse_vsock(const char *arg, struct run_options *o)
{
	char err[256];

	if (o->vsock_arg)
		usage_error("--vsock: a VM has one vsock device at most");
	o->vsock_arg = strdup(arg);
	if (!o->vsock_arg)
		usage_error("--vsock: out of memory");
	if (vsock_option_parse(o->vsock_arg, &o->cfg.vsock, err, sizeof(err)))
		usage_error("%s", err);
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

static void parse_console(const char *arg, struct vm_config *cfg)
{
	if (!strcmp(arg, "serial"))
		cfg->console_device = VM_CONSOLE_SERIAL;
	else if (!strcmp(arg, "virtio"))
		cfg->console_device = VM_CONSOLE_VIRTIO;
	else
		usage_error("--console '%s': expected 'serial' or 'virtio'", arg);
}

int run_options_parse(int argc, char **argv, struct run_options *o)
{
	static const struct option options[] = {
		{ "kernel", required_argument, NULL, 'k' },
		{ "initrd", required_argument, NULL, 'i' },
		{ "cmdline", required_argument, NULL, 'a' },
		{ "firmware", required_argument, NULL, OPT_FIRMWARE },
		{ "cpus", required_argument, NULL, 'c' },
		{ "cpu-quota", required_argument, NULL, OPT_CPU_QUOTA },
		{ "vmm-affinity", required_argument, NULL, OPT_VMM_AFFINITY },
		{ "memory", required_argument, NULL, 'm' },
		{ "on-reboot", required_argument, NULL, 'R' },
		{ "cpu-model", required_argument, NULL, 'M' },
		{ "stats", no_argument, NULL, 'S' },
		{ "rng", no_argument, NULL, 'r' },
		{ "balloon", optional_argument, NULL, OPT_BALLOON },
		{ "vsock", required_argument, NULL, OPT_VSOCK },
		{ "console", required_argument, NULL, OPT_CONSOLE },
		{ "disk", required_argument, NULL, 'D' },
		{ "net", required_argument, NULL, 'N' },
		{ "api-sock", required_argument, NULL, 'A' },
		{ "config-file", required_argument, NULL, 'F' },
		{ "restore", required_argument, NULL, OPT_RESTORE },
		{ "incoming", required_argument, NULL, OPT_INCOMING },
		{ "disk-override", required_argument, NULL, OPT_DISK_OVERRIDE },
		{ "net-override", required_argument, NULL, OPT_NET_OVERRIDE },
		{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
		{ "status-file", required_argument, NULL, OPT_STATUS_FILE },
		{ "console-sock", required_argument, NULL, OPT_CONSOLE_SOCK },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct vm_config *cfg = &o->cfg;
	struct cpu_host host;
	char err[512];
	int opt;

	*o = (struct run_options){
		.cfg = { .nr_cpus = 1, .mem_size = DEFAULT_MEMORY },
		.on_reboot = ON_REBOOT_RESTART,
		.level = LOG_WARN,
	};
	if (cpu_host_read(&host))
		usage_error("cannot read this process's CPU affinity: %s", strerror(errno));
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":k:i:a:c:m:vh", options, NULL)) != -1) {
		switch (opt) {
		case 'k': o->machine_opt = option_given(argv); cfg->kernel_path = optarg; break;
		case 'i': o->machine_opt = option_given(argv); cfg->initrd_path = optarg; break;
		case 'a': o->machine_opt = option_given(argv); cfg->cmdline = optarg; break;
		case OPT_FIRMWARE:
			o->machine_opt = option_given(argv);
			cfg->firmware_path = firmware_path(optarg);
			break;
		case 'c': parse_cpus(optarg, &host, o, argv); break;
		case OPT_CPU_QUOTA:
			if (cpu_option_parse_quota(optarg, &host, &o->cpu_quota, err, sizeof(err)))
				usage_error("%s", err);
			break;
		case OPT_VMM_AFFINITY:
			if (cpu_option_parse_list("--vmm-affinity ", optarg, &host, &o->vmm_cpus, err, sizeof(err)))
				usage_error("%s", err);
			o->vmm_affinity = true;
			break;
		case 'm': o->machine_opt = option_given(argv); parse_memory(optarg, cfg); o->memory_given = true; break;
		case 'R':
			if (!strcmp(optarg, "restart") || !strcmp(optarg, "reboot"))
				o->on_reboot = ON_REBOOT_RESTART;
			else if (!strcmp(optarg, "exit"))
				o->on_reboot = ON_REBOOT_EXIT;
			else
				usage_error("--on-reboot '%s': expected 'restart' or 'exit'", optarg);
			break;
		case 'M':
			if (cpuid_parse_model(optarg, &cfg->cpu_model))
				usage_error("--cpu-model '%s': expected 'auto', 'host' or 'pvm-safe'", optarg);
			break;
		case 'S': o->stats = true; break;
		case 'r': o->machine_opt = "--rng"; cfg->rng = true; break;
		case OPT_BALLOON: o->machine_opt = "--balloon"; parse_balloon(argc, argv, cfg); break;
		case OPT_VSOCK: o->machine_opt = "--vsock"; parse_vsock(optarg, o); break;
		case OPT_CONSOLE: o->machine_opt = option_given(argv); parse_console(optarg, cfg); break;
		case 'D': o->machine_opt = option_given(argv); parse_disk(optarg, o); break;
		case 'N': o->machine_opt = option_given(argv); parse_net(optarg, cfg); break;
		case 'A': o->api_sock = optarg; break;
		case OPT_RESTORE: o->restore_dir = optarg; break;
		case OPT_INCOMING: o->incoming_url = optarg; break;
		case OPT_DISK_OVERRIDE:
			if (clone_option_parse_disk(&o->overrides, optarg, err, sizeof(err)))
				usage_error("%s", err);
			break;
		case OPT_NET_OVERRIDE:
			if (clone_option_parse_net(&o->overrides, optarg, err, sizeof(err)))
				usage_error("%s", err);
			break;
		case 'F': o->machine_opt = option_given(argv); o->config_file = optarg; break;
		case OPT_DRY_RUN: o->dry_run = true; break;
		case OPT_STATUS_FILE: o->status_file = optarg; break;
		case OPT_CONSOLE_SOCK: o->console_sock = optarg; break;
		case 'v': o->level = o->level == LOG_WARN ? LOG_INFO : LOG_DEBUG; break;
		case 'h': fputs(usage_text, stdout); return 1;
		case ':': usage_error("option '%s' needs a value", argv[optind - 1]);
		default: usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		usage_error("unexpected argument '%s'", argv[optind]);
	if (cfg->firmware_path && (cfg->kernel_path || cfg->initrd_path || cfg->cmdline))
		usage_error("--firmware boots from the disk: --kernel, --initrd and --cmdline cannot be given with it");
	if (cfg->balloon.enabled && ((uint64_t)cfg->balloon.target_mib << 20) > cfg->mem_size)
		usage_error("--balloon size=%u: more than the guest's %llu MiB of RAM", cfg->balloon.target_mib,
			    (unsigned long long)(cfg->mem_size >> 20));
	if ((o->overrides.nr_disks || o->overrides.nr_nets) && !o->restore_dir)
		usage_error("--disk-override and --net-override are for a clone: they need --restore");
	/* vCPU threads must not inherit --vmm-affinity: without affinity= they get what vessel had. */
	if (o->vmm_affinity && !o->vcpu_placement.active)
		o->vcpu_placement = (struct vcpu_placement){ .active = true, .cpus = host.usable };
	return 0;
}

void run_options_free(struct run_options *o)
{
	for (uint32_t i = 0; i < VM_MAX_DISKS; i++)
		free(o->disk_args[i]);
	free(o->vsock_arg);
	clone_option_free(&o->overrides);
}
