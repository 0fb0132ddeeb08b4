// SPDX-License-Identifier: MIT
/*
 * balloonbad:<case>: misbehave at the virtio-balloon device as a buggy or
 * hostile driver would, report what the device made of it, then reset it
 * and check that it works again (one page inflated and deflated).
 */
#include "bootinfo.h"
#include "cmd.h"
#include "con.h"
#include "lib.h"
#include "sys.h"
#include "virtio_balloon.h"

#define BAD_WAIT_MS	200
#define BAD_HOLE_GPA	0xe0000000ULL	/* PCI ECAM: in the 32-bit hole, never RAM */

static uint32_t bad_pfns[4] __attribute__((aligned(64)));

/* One inflate request: n PFNs in one buffer of len bytes, device-writable if asked. */
static void bad_inflate(struct virtio_balloon *vb, uint32_t len, bool writable)
{
	struct virtq_buf b = { (uintptr_t)bad_pfns, len, writable };

	virtq_add(&vb->inflateq, &b, 1);
	virtq_kick(&vb->inflateq);
}

struct balloon_bad_case {
	const char *name;
	uint32_t pfn;           /* the second PFN of the request (the first is a good pool page) */
	uint32_t len;
	bool writable;
};

static const struct balloon_bad_case bad_cases[] = {
	{ "oob", 0xffffffffu, 8, false },                       /* 16 TiB: far beyond RAM */
	{ "hole", (uint32_t)(BAD_HOLE_GPA >> 12), 8, false },  /* the PCI hole */
	{ "writable", 0, 8, true },                             /* the buffer is device-writable */
	{ "odd", 0, 6, false },                                 /* not a whole number of PFNs */
};

/* Fresh reset, then one good page in and out: does the device still work? */
static bool bad_recover(struct virtio_balloon *vb, uint64_t page)
{
	bool ok;

	virtio_balloon_close(vb);
	ok = !virtio_balloon_open(vb, 0, true) && !virtio_balloon_pages(vb, true, page, 1) &&
	     !virtio_balloon_pages(vb, false, page, 1);
	virtio_balloon_close(vb);
	return ok;
}

int cmd_balloonbad(const char *arg)
{
	static struct virtio_balloon vb;
	const struct balloon_bad_case *bc = NULL;
	uint64_t page;
	bool used;

	for (uint32_t i = 0; i < ARRAY_SIZE(bad_cases); i++)
		if (!strcmp(arg, bad_cases[i].name))
			bc = &bad_cases[i];
	if (!bc) {
		con_printf("balloonbad.error=unknown case '%s' (oob, hole, writable, odd)\n", arg);
		return -1;
	}
	if (!bootinfo_scratch_ram(4096, &page)) {
		con_printf("balloonbad.%s.error=no scratch page\n", bc->name);
		return -1;
	}
	if (virtio_balloon_open(&vb, 0, true)) {
		con_printf("balloonbad.%s.error=%s\n", bc->name, vb.vp.error);
		virtio_balloon_close(&vb);
		return -1;
	}
	bad_pfns[0] = (uint32_t)(page >> 12);
	bad_pfns[1] = bc->pfn ? bc->pfn : (uint32_t)(page >> 12) + 1;
	bad_inflate(&vb, bc->len, bc->writable);
	virtq_wait(&vb.inflateq, BAD_WAIT_MS, NULL);
	used = virtq_has_used(&vb.inflateq);
	con_printf("balloonbad.%s.status=0x%x\n", bc->name, virtio_pci_get_status(&vb.vp));
	con_printf("balloonbad.%s.used=%u\n", bc->name, used ? 1 : 0);
	con_printf("balloonbad.%s.recovered=%u\n", bc->name, bad_recover(&vb, page) ? 1 : 0);
	return 0;
}
