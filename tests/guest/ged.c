// SPDX-License-Identifier: MIT
/*
 * Finds the GED's interrupt the way an OS would, from the DSDT's bytes:
 * the ACPI0013 _HID string, then that device's _CRS buffer, walked
 * descriptor by descriptor. Bounds-checked: the DSDT is the VMM's input.
 */
#include "acpi.h"
#include "ged.h"
#include "lib.h"

#define AML_BUFFER_OP	0x11
#define AML_BYTE_PREFIX	0x0a
#define AML_WORD_PREFIX	0x0b
#define AML_DWORD_PREFIX	0x0c
#define AML_EXT_OP	0x5b
#define AML_DEVICE_OP	0x82	/* after AML_EXT_OP */
#define RES_END_TAG	0x0f	/* small item */
#define RES_EXT_IRQ	0x89	/* large item: extended interrupt */
/* Extended interrupt flags (ACPI 6.4 6.4.3.6). */
#define EXT_IRQ_EDGE	(1u << 1)
#define EXT_IRQ_LOW	(1u << 2)
/* MPS INTI flags. */
#define MPS_HIGH	1
#define MPS_LOW		3
#define MPS_EDGE	(1 << 2)
#define MPS_LEVEL	(3 << 2)

static const uint8_t ged_hid[] = { 0x0d, 'A', 'C', 'P', 'I', '0', '0', '1', '3', 0x00 };

static uint32_t rd16(const uint8_t *p)
{
	return p[0] | (uint32_t)p[1] << 8;
}

static uint32_t rd32(const uint8_t *p)
{
	return rd16(p) | rd16(p + 2) << 16;
}

/* Finds needle in [p, end); NULL if absent. */
static const uint8_t *mem_find(const uint8_t *p, const uint8_t *end, const void *needle, size_t len)
{
	for (; p + len <= end; p++)
		if (!memcmp(p, needle, len))
			return p;
	return NULL;
}

/* AML PkgLength at p: its value in *len; returns the bytes it takes, 0 if cut off. */
static uint32_t aml_pkglen(const uint8_t *p, const uint8_t *end, uint32_t *len)
{
	uint32_t n = (p[0] >> 6) + 1, i;

	if (p + n > end)
		return 0;
	if (n == 1) {
		*len = p[0] & 0x3f;
		return 1;
	}
	*len = p[0] & 0x0f;
	for (i = 1; i < n; i++)
		*len |= (uint32_t)p[i] << (4 + 8 * (i - 1));
	return n;
}

/* The byte buffer of a "BufferOp PkgLength BufferSize bytes..." at p. */
static int aml_buffer(const uint8_t *p, const uint8_t *end, const uint8_t **data, const uint8_t **data_end)
{
	const uint8_t *pkg_end;
	uint32_t pkglen, n;

	if (p >= end || *p++ != AML_BUFFER_OP)
		return -1;
	n = aml_pkglen(p, end, &pkglen);
	if (!n || pkglen > (uint32_t)(end - p))
		return -1;
	pkg_end = p + pkglen;
	p += n;
	/* BufferSize: a byte/word/dword constant; the bytes that follow are the buffer. */
	if (p < pkg_end && *p == AML_BYTE_PREFIX)
		p += 2;
	else if (p < pkg_end && *p == AML_WORD_PREFIX)
		p += 3;
	else if (p < pkg_end && *p == AML_DWORD_PREFIX)
		p += 5;
	else
		return -1;
	if (p > pkg_end)
		return -1;
	*data = p;
	*data_end = pkg_end;
	return 0;
}

/* Walks resource descriptors for the first extended interrupt whose GSI is want (~0u: any). */
static int ged_parse_crs(const uint8_t *p, const uint8_t *end, uint32_t want, struct ged_irq *irq)
{
	while (p < end) {
		uint32_t len;

		if (!(p[0] & 0x80)) {		/* small item: length in bits 0-2 */
			if (((p[0] >> 3) & 0x0f) == RES_END_TAG)
				return -1;
			p += 1 + (p[0] & 7);
			continue;
		}
		if (p + 3 > end)
			return -1;
		len = rd16(p + 1);
		if (p + 3 + len > end)
			return -1;
		if (p[0] == RES_EXT_IRQ && len >= 6 && p[4] >= 1 && (want == ~0u || rd32(p + 5) == want)) {
			irq->gsi = rd32(p + 5);
			irq->flags = (p[3] & EXT_IRQ_LOW ? MPS_LOW : MPS_HIGH) |
				     (p[3] & EXT_IRQ_EDGE ? MPS_EDGE : MPS_LEVEL);
			return 0;
		}
		p += 3 + len;
	}
	return -1;
}

static const uint8_t device_op[] = { AML_EXT_OP, AML_DEVICE_OP };

/* The DSDT's bounds; -1 if there is none. */
static int ged_dsdt(const uint8_t **d, const uint8_t **end)
{
	if (!acpi.dsdt_gpa)
		return -1;
	*d = (const uint8_t *)(uintptr_t)acpi.dsdt_gpa;
	*end = *d + rd32(*d + 4);
	return 0;
}

/* The first name after the GED's _HID and before the next Device; NULL if none. */
static const uint8_t *ged_own(const uint8_t *hid, const uint8_t *end, const char *name)
{
	const uint8_t *p = mem_find(hid, end, name, 4);
	const uint8_t *next_dev = mem_find(hid, end, device_op, sizeof(device_op));

	return p && !(next_dev && next_dev < p) ? p : NULL;
}

static int ged_find_gsi(uint32_t want, struct ged_irq *irq)
{
	const uint8_t *d, *end, *hid, *crs, *buf, *buf_end;

	if (ged_dsdt(&d, &end))
		return -1;
	hid = mem_find(d + 36, end, ged_hid, sizeof(ged_hid));
	if (!hid)
		return -1;
	/* The GED's own _CRS: the first one after its _HID, before the next Device. */
	crs = ged_own(hid, end, "_CRS");
	if (!crs || aml_buffer(crs + 4, end, &buf, &buf_end))
		return -1;
	return ged_parse_crs(buf, buf_end, want, irq);
}

int ged_find(struct ged_irq *irq)
{
	return ged_find_gsi(~0u, irq);
}

#define AML_METHOD_OP	0x14
#define AML_LEQUAL_OP	0x93
#define AML_ARG0_OP	0x68
#define AML_NOTIFY_OP	0x86

int ged_find_notify(const char *device, struct ged_irq *irq)
{
	const uint8_t *d, *end, *hid, *evt, *body, *body_end, *p;
	uint32_t pkglen, n, gsi = ~0u;

	if (ged_dsdt(&d, &end))
		return -1;
	hid = mem_find(d + 36, end, ged_hid, sizeof(ged_hid));
	if (!hid)
		return -1;
	/* Method (_EVT, 1): MethodOp PkgLength "_EVT" flags, then the body. */
	evt = ged_own(hid, end, "_EVT");
	if (!evt || evt < hid + 6)
		return -1;
	/* The MethodOp whose PkgLength (1 to 4 bytes) ends right at the name. */
	for (n = 1; n <= 4; n++) {
		p = evt - 1 - n;
		if (*p == AML_METHOD_OP && aml_pkglen(p + 1, end, &pkglen) == n)
			break;
	}
	if (n > 4 || pkglen > (uint32_t)(end - (p + 1)))
		return -1;
	body = evt + 5;
	body_end = p + 1 + pkglen;
	/*
	 * "If (Arg0 == N) { Notify (DEV, 0x80) }" compiles to LEqual Arg0
	 * BytePrefix N (or WordPrefix) ... Notify NameString: the last
	 * comparison before a Notify naming device gives its GSI.
	 */
	for (p = body; p + 4 <= body_end; p++) {
		if (p[0] == AML_LEQUAL_OP && p[1] == AML_ARG0_OP && p[2] == AML_BYTE_PREFIX)
			gsi = p[3];
		else if (p[0] == AML_LEQUAL_OP && p[1] == AML_ARG0_OP && p[2] == AML_WORD_PREFIX && p + 5 <= body_end)
			gsi = rd16(p + 3);
		else if (p[0] == AML_NOTIFY_OP && gsi != ~0u &&
			 mem_find(p + 1, p + 1 + 10 < body_end ? p + 1 + 10 : body_end, device, 4))
			return ged_find_gsi(gsi, irq);
	}
	return -1;
}
