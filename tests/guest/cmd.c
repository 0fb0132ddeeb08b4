// SPDX-License-Identifier: MIT
/* Command table, the run= list and the interactive shell. */
#include "acpi.h"
#include "bootinfo.h"
#include "cmd.h"
#include "con.h"
#include "guest.h"
#include "lib.h"

#define CMD_LINE_MAX	256

struct cmd {
	const char *name;
	int (*fn)(const char *arg);
	const char *help;
};

static const struct cmd cmd_table[] = {
	{ "info", cmd_info, "boot, e820, ACPI and CPU facts" },
	{ "smp", cmd_smp, "start all APs, run a user-mode job on each" },
	{ "memtest", cmd_memtest, "memtest[:size] write/verify a word per page" },
	{ "echo", cmd_echo, "read a line, print echo=<line>" },
	{ "poweroff", cmd_poweroff, "ACPI S5" },
	{ "reset", cmd_reset, "FADT reset register or i8042" },
	{ "triplefault", cmd_triplefault, "shut the CPU down" },
	{ "pci", cmd_pci, "enumerate PCI functions and size their BARs" },
	{ "rng", cmd_rng, "rng[:bytes] read virtio-rng (default 4096 bytes)" },
	{ "virtio-bad", cmd_virtio_bad, "virtio-bad:oob|loop|notify-early|reset-mid misbehave at virtio-rng" },
	{ "blk", cmd_blk, "list virtio-blk disks (PCI order)" },
	{ "blkwrite", cmd_blkwrite, "blkwrite:<i>:<sector>:<count>:<seed> write a pattern, flush" },
	{ "blkread", cmd_blkread, "blkread:<i>:<sector>:<count> read, print FNV-1a" },
	{ "blkverify", cmd_blkverify, "blkverify:<i>:<sector>:<count>:<seed> check a pattern" },
	{ "blkflush", cmd_blkflush, "blkflush:<i>" },
	{ "blkdiscard", cmd_blkdiscard, "blkdiscard:<i>:<sector>:<count>" },
	{ "blkzero", cmd_blkzero, "blkzero:<i>:<sector>:<count> WRITE_ZEROES" },
	{ "blkid", cmd_blkid, "blkid:<i> serial (GET_ID)" },
	{ "blkbench", cmd_blkbench, "blkbench:<i>:<seq|rand>:<read|write>:<block>:<qd>:<MiB>" },
	{ "blkmq", cmd_blkmq, "blkmq:<i>:<sector>:<count>:<seed> write and verify over every queue (MQ)" },
	{ "blkbad", cmd_blkbad, "blkbad:<i>:short-header|no-status|wrong-dir|beyond|huge|ro-write" },
	{ "net", cmd_net, "list virtio-net NICs; NIC 0 carries the stack" },
	{ "ip", cmd_ip, "ip:a.b.c.d/len[:gateway] static address" },
	{ "dhcp", cmd_dhcp, "get an address by DHCP" },
	{ "ping", cmd_ping, "ping:a.b.c.d[:count] ICMP echo" },
	{ "respond", cmd_respond, "respond:seconds answer ARP and ping" },
	{ "tcpget", cmd_tcpget, "tcpget:a.b.c.d:port:/path HTTP/1.0 GET" },
	{ "tcpserve", cmd_tcpserve, "tcpserve:port:seconds echo one TCP connection" },
	{ "netbench", cmd_netbench, "netbench:a.b.c.d:port:MiB:rx|tx bulk TCP from/to a host server" },
	{ "netloss", cmd_netloss, "netloss:percent drop frames both ways (0 stops)" },
	{ "netmac", cmd_netmac, "NIC 0's MAC from config space now, and whether it signalled a config change" },
	{ "netmq", cmd_netmq, "netmq:<ip>:<host ip>:<pairs>[:<frames>] ping the host over every queue pair (MQ)" },
	{ "vmgenid", cmd_vmgenid, "the VM generation ID (ACPI VGEN device) and its address" },
	{ "vmgenwait", cmd_vmgenwait, "vmgenwait:seconds wait for a generation ID change (GED), print the new ID" },
	{ "powerwait", cmd_powerwait, "powerwait:seconds wait for the ACPI power button, then power off" },
	{ "spin", cmd_spin, "spin:ms keep the CPU busy in user mode (no exits), print spin.loops" },
	{ "tick", cmd_tick, "tick:ms:count print tick=<n> tsc=<tsc> every ms (LAPIC timer)" },
	{ "memdirty", cmd_memdirty, "memdirty:MiB:MiB/s:ms:count rewrite MiB at MiB/s, check every page each ms" },
	{ "memtick", cmd_memtick, "memtick:MiB:ms:count fill MiB with a pattern, tick, re-check it each tick" },
	{ "balloon", cmd_balloon, "balloon:MiB:ms:count a balloon driver over a pool of MiB, following the target" },
	{ "balloonreport", cmd_balloonreport, "balloonreport:MiB:ms report MiB as free pages, wait, use them again" },
	{ "balloonbad", cmd_balloonbad, "balloonbad:oob|hole|writable|odd misbehave at virtio-balloon" },
	{ "vsock", cmd_vsock, "the virtio-vsock device and the guest's CID" },
	{ "vsockecho", cmd_vsockecho, "vsockecho:port:count echo count host-initiated vsock connections" },
	{ "vsocksend", cmd_vsocksend, "vsocksend:port:KiB connect to host port, send a pattern, check the echo" },
	{ "vsockbad", cmd_vsockbad, "vsockbad:wrong-cid|bad-type|bad-op|no-conn|bad-len|flood|bad-chain|over-credit:port" },
	{ "hvc", cmd_hvc, "list virtio-console devices; hvc0's size" },
	{ "hvcwrite", cmd_hvcwrite, "hvcwrite:<text> write text and a newline to hvc0" },
	{ "hvcemerg", cmd_hvcemerg, "hvcemerg:<text> the same through the emergency write register" },
	{ "hvcecho", cmd_hvcecho, "read a line from hvc0, print hvcecho=<line>" },
	{ "help", cmd_help, "this list" },
};

/* Hashed here, in user mode, where it runs at native speed. */
static void cmd_info_initrd(void)
{
	uint64_t gpa = bootinfo.initrd_gpa, size = bootinfo.initrd_size;

	con_printf("initrd.addr=0x%lx\n", gpa);
	con_printf("initrd.size=%lu\n", size);
	/* Only RAM is mapped and safe to read: never touch MMIO or holes. */
	if (size && !bootinfo_is_ram(gpa, size)) {
		con_printf("error=initrd 0x%lx+%lu is not in RAM\n", gpa, size);
		return;
	}
	con_printf("initrd.fnv1a=0x%lx\n", fnv1a64((const void *)(uintptr_t)gpa, size));
}

int cmd_info(const char *arg)
{
	uint32_t i;

	con_printf("cmdline=%s\n", bootinfo.cmdline);
	for (i = 0; i < bootinfo.e820_count; i++) {
		const struct e820_entry *e = &bootinfo.e820[i];

		con_printf("e820.%u=0x%lx-0x%lx %u\n", i, e->addr,
			   e->addr + e->size - 1, e->type);
	}
	con_printf("mem.total=%lu\n", bootinfo.ram_total);
	con_printf("acpi.rsdp=0x%lx\n", acpi.rsdp_gpa);
	con_printf("acpi.oem=%s\n", acpi.oem);
	con_write("acpi.tables=", 12);
	for (i = 0; i < acpi.table_count; i++)
		con_printf(i ? " %s" : "%s", acpi.tables[i]);
	con_write("\n", 1);
	con_printf("acpi.checksums=%s\n", acpi.checksums_ok ? "ok" : "bad");
	con_printf("acpi.hw_reduced=%u\n", acpi.hw_reduced ? 1 : 0);
	con_printf("cpus=%u\n", acpi.cpu_count);
	con_printf("ioapic=0x%lx\n", acpi.ioapic_gpa);
	if (bootinfo.entry == BOOT_ENTRY_PVH)
		con_printf("boot.entry=pvh\n");
	else
		con_printf("boot.entry=%u\n", bootinfo.entry);
	cmd_info_initrd();
	return 0;
}

int cmd_echo(const char *arg)
{
	char line[CMD_LINE_MAX];

	con_readline(line, sizeof(line));
	con_printf("echo=%s\n", line);
	return 0;
}

int cmd_help(const char *arg)
{
	uint32_t i;

	for (i = 0; i < ARRAY_SIZE(cmd_table); i++)
		con_printf("help.%s=%s\n", cmd_table[i].name, cmd_table[i].help);
	return 0;
}

/* One "name[:arg]" of at most len bytes. */
static void cmd_run_one(const char *s, size_t len)
{
	char name[CMD_LINE_MAX];
	const char *arg = "";
	uint32_t i;
	size_t j;

	while (len && *s == ' ') {
		s++;
		len--;
	}
	while (len && s[len - 1] == ' ')
		len--;
	if (!len)
		return;
	if (len >= sizeof(name))
		len = sizeof(name) - 1;
	memcpy(name, s, len);
	name[len] = '\0';
	for (j = 0; j < len; j++) {
		if (name[j] == ':') {
			name[j] = '\0';
			arg = &name[j + 1];
			break;
		}
	}
	for (i = 0; i < ARRAY_SIZE(cmd_table); i++) {
		if (!strcmp(name, cmd_table[i].name)) {
			cmd_table[i].fn(arg);
			return;
		}
	}
	con_printf("error=unknown command %s\n", name);
}

void cmd_run_list(const char *list)
{
	const char *start = list, *p;

	for (p = list;; p++) {
		if (*p == ',' || *p == '\0') {
			cmd_run_one(start, p - start);
			if (!*p)
				break;
			start = p + 1;
		}
	}
}

void cmd_shell(void)
{
	char line[CMD_LINE_MAX];

	for (;;) {
		con_write("guest> ", 7);
		con_readline(line, sizeof(line));
		cmd_run_list(line);
	}
}
