// SPDX-License-Identifier: MIT
/*
 * vmgenid, vmgenwait: the VM generation ID as an OS finds it. The device
 * is the one whose _HID or _CID is "VMGENCTR" or "VM_Gen_Counter" (any
 * case, as ACPICA upper-cases _CID); its ADDR object is a package of two
 * integers, the low and high 32 bits of the 16-byte ID's address. The
 * change notification is the GED interrupt whose _EVT branch notifies the
 * device. All from the DSDT's bytes, bounds-checked.
 */
#include "acpi.h"
#include "apic.h"
#include "bootinfo.h"
#include "cmd.h"
#include "con.h"
#include "ged.h"
#include "guest.h"
#include "lib.h"
#include "sys.h"
#include "timer.h"

#define VMGENID_SIZE		16
#define VMGENWAIT_DEFAULT_S	30
#define VMGENWAIT_MAX_S		3600
#define VEC_VMGENID		(VEC_COUNTED_BASE + 6)

#define AML_ZERO_OP	0x00
#define AML_ONE_OP	0x01
#define AML_ONES_OP	0xff
#define AML_BYTE_PREFIX	0x0a
#define AML_WORD_PREFIX	0x0b
#define AML_DWORD_PREFIX	0x0c
#define AML_QWORD_PREFIX	0x0e
#define AML_STRING_PREFIX	0x0d
#define AML_PACKAGE_OP	0x12
#define AML_EXT_OP	0x5b
#define AML_DEVICE_OP	0x82

struct vmgenid_dev {
	char name[5];		/* its ACPI name, for the GED's Notify */
	uint64_t gpa;
};

static uint8_t upper(uint8_t c)
{
	return c >= 'a' && c <= 'z' ? (uint8_t)(c - 'a' + 'A') : c;
}

/* A string constant (StringPrefix, text, NUL) equal to want, ignoring case, at p. */
static bool aml_string_is(const uint8_t *p, const uint8_t *end, const char *want)
{
	size_t n = strlen(want);

	if (p + n + 2 > end || p[0] != AML_STRING_PREFIX || p[n + 1] != 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (upper(p[1 + i]) != (uint8_t)want[i])
			return false;
	return true;
}

/* An integer term at *p (Zero, One, Ones, Byte/Word/DWord/QWord constants); advances *p. */
static int aml_integer(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
	const uint8_t *q = *p;
	uint32_t len;

	if (q >= end)
		return -1;
	switch (*q) {
	case AML_ZERO_OP: *v = 0; *p = q + 1; return 0;
	case AML_ONE_OP: *v = 1; *p = q + 1; return 0;
	case AML_ONES_OP: *v = ~0ULL; *p = q + 1; return 0;
	case AML_BYTE_PREFIX: len = 1; break;
	case AML_WORD_PREFIX: len = 2; break;
	case AML_DWORD_PREFIX: len = 4; break;
	case AML_QWORD_PREFIX: len = 8; break;
	default: return -1;
	}
	if (q + 1 + len > end)
		return -1;
	*v = 0;
	for (uint32_t i = 0; i < len; i++)
		*v |= (uint64_t)q[1 + i] << (8 * i);
	*p = q + 1 + len;
	return 0;
}

static const uint8_t *find_bytes(const uint8_t *p, const uint8_t *end, const void *needle, size_t len)
{
	for (; p + len <= end; p++)
		if (!memcmp(p, needle, len))
			return p;
	return NULL;
}

/* The device's ACPI name: the last Device op before id, its NameSeg after the PkgLength. */
static int vmgenid_device_name(const uint8_t *d, const uint8_t *id, char name[5])
{
	for (const uint8_t *p = id - 6; p > d + 36; p--) {
		uint32_t n;

		if (p[0] != AML_EXT_OP || p[1] != AML_DEVICE_OP)
			continue;
		n = (p[2] >> 6) + 1;
		if (p + 2 + n + 4 > id)
			return -1;
		memcpy(name, p + 2 + n, 4);
		name[4] = '\0';
		return 0;
	}
	return -1;
}

static int vmgenid_find(struct vmgenid_dev *dev, const char **error)
{
	static const char *const ids[] = { "VM_GEN_COUNTER", "VMGENCTR" };
	static const uint8_t device_op[] = { AML_EXT_OP, AML_DEVICE_OP };
	const uint8_t *d, *end, *p, *id = NULL, *addr, *next_dev, *pkg_end;
	uint64_t lo, hi;
	uint32_t pkglen, n;

	*error = "no VMGENCTR / VM_Gen_Counter device in the DSDT";
	if (!acpi.dsdt_gpa)
		return -1;
	d = (const uint8_t *)(uintptr_t)acpi.dsdt_gpa;
	end = d + (d[4] | (uint32_t)d[5] << 8 | (uint32_t)d[6] << 16 | (uint32_t)d[7] << 24);
	for (p = d + 36; p < end && !id; p++)
		for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]) && !id; i++)
			if (aml_string_is(p, end, ids[i]))
				id = p;
	if (!id || vmgenid_device_name(d, id, dev->name))
		return -1;
	/* Its ADDR: before the next Device. */
	*error = "the generation ID device has no ADDR package of two integers";
	addr = find_bytes(id, end, "ADDR", 4);
	next_dev = find_bytes(id, end, device_op, sizeof(device_op));
	if (!addr || (next_dev && next_dev < addr))
		return -1;
	p = addr + 4;
	if (p + 3 > end || *p++ != AML_PACKAGE_OP)
		return -1;
	n = (p[0] >> 6) + 1;
	pkglen = p[0] & (n == 1 ? 0x3f : 0x0f);
	for (uint32_t i = 1; i < n; i++)
		pkglen |= (uint32_t)p[i] << (4 + 8 * (i - 1));
	pkg_end = p + pkglen;
	if (pkg_end > end)
		return -1;
	p += n;
	if (p >= pkg_end || *p++ != 2 || aml_integer(&p, pkg_end, &lo) || aml_integer(&p, pkg_end, &hi) ||
	    lo > 0xffffffffULL || hi > 0xffffffffULL)
		return -1;
	dev->gpa = lo | hi << 32;
	/* Our page tables map the low 4 GiB; the ID must be in them. */
	*error = "the generation ID's address is not below 4 GiB";
	if (dev->gpa + VMGENID_SIZE > (1ULL << 32))
		return -1;
	return 0;
}

/* As vessel logs it: bytes in memory order, dashes after bytes 4, 6, 8 and 10. */
static void vmgenid_print(const struct vmgenid_dev *dev)
{
	const volatile uint8_t *g = (const volatile uint8_t *)(uintptr_t)dev->gpa;
	uint8_t b[VMGENID_SIZE];
	char text[40], *t = text;

	for (int i = 0; i < VMGENID_SIZE; i++)
		b[i] = g[i];
	for (int i = 0; i < VMGENID_SIZE; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			*t++ = '-';
		t += snprintf(t, 3, "%02x", b[i]);
	}
	con_printf("vmgenid=%s\n", text);
}

int cmd_vmgenid(const char *arg)
{
	struct vmgenid_dev dev;
	const char *error;

	if (vmgenid_find(&dev, &error)) {
		con_printf("vmgenid.error=%s\n", error);
		return -1;
	}
	con_printf("vmgenid.device=%s\n", dev.name);
	con_printf("vmgenid.addr=0x%lx\n", dev.gpa);
	/* The paper asks for memory the OS does not use: not e820 RAM. */
	con_printf("vmgenid.reserved=%u\n", bootinfo_is_ram(dev.gpa, VMGENID_SIZE) ? 0 : 1);
	vmgenid_print(&dev);
	return 0;
}

int cmd_vmgenwait(const char *arg)
{
	volatile uint32_t *changes = &irq_counts[VEC_VMGENID - VEC_COUNTED_BASE];
	uint64_t secs = VMGENWAIT_DEFAULT_S;
	struct vmgenid_dev dev;
	struct ged_irq ged;
	const char *error;
	uint32_t seen;

	if (*arg && (parse_size(arg, &secs) || secs > VMGENWAIT_MAX_S)) {
		con_printf("vmgenwait.error=bad seconds %s\n", arg);
		return -1;
	}
	if (vmgenid_find(&dev, &error)) {
		con_printf("vmgenwait.error=%s\n", error);
		return -1;
	}
	if (ged_find_notify(dev.name, &ged)) {
		con_printf("vmgenwait.error=no GED interrupt notifies %s\n", dev.name);
		return -1;
	}
	vmgenid_print(&dev);
	seen = *changes;
	if (ioapic_route(acpi.ioapic_gpa, acpi.ioapic_gsi_base, ged.gsi, ged.flags, VEC_VMGENID, lapic_id())) {
		con_printf("vmgenwait.error=no IOAPIC pin for GSI %u\n", ged.gsi);
		return -1;
	}
	con_printf("vmgenwait.gsi=%u\n", ged.gsi);
	con_printf("vmgenwait=armed\n");
	if (!timer_wait(changes, seen, (uint32_t)secs * 1000)) {
		con_printf("vmgenwait.changed=0\n");
		return -1;
	}
	con_printf("vmgenwait.changed=1\n");
	vmgenid_print(&dev);
	return 0;
}
