// SPDX-License-Identifier: MIT
/*
 * virtio-bad:<case>: misbehave at the virtio-rng device the way a buggy or
 * hostile driver would, report what the device made of it, then reset it
 * and check it works again. For testing the VMM's defences.
 */
#include "cmd.h"
#include "con.h"
#include "lib.h"
#include "sys.h"
#include "virtio_rng.h"

/* Far above any RAM a test VM has, below 47 bits. */
#define BAD_OOB_GPA		(1ULL << 44)
#define BAD_WAIT_MS		200

struct bad_ctx {
	struct virtio_rng *rng;
	uint8_t *buf;
};

static void bad_oob(struct bad_ctx *c)
{
	struct virtq_buf b = { BAD_OOB_GPA, 64, true };

	virtq_add(&c->rng->vq, &b, 1);
	virtq_kick(&c->rng->vq);
}

/* Two descriptors whose next fields point at each other. */
static void bad_loop(struct bad_ctx *c)
{
	struct virtq *vq = &c->rng->vq;
	struct virtq_desc *d = vq->mem->desc;

	d[0] = (struct virtq_desc){ (uintptr_t)c->buf, 16,
				    VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1 };
	d[1] = (struct virtq_desc){ (uintptr_t)c->buf + 16, 16,
				    VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 0 };
	vq->mem->avail.ring[vq->avail_idx % vq->size] = 0;
	barrier();
	vq->mem->avail.idx = ++vq->avail_idx;
	virtq_kick(vq);
}

/* The queue is enabled but DRIVER_OK was never set (see cmd_virtio_bad). */
static void bad_notify_early(struct bad_ctx *c)
{
	struct virtq_buf b = { (uintptr_t)c->buf, 64, true };

	virtq_add(&c->rng->vq, &b, 1);
	virtq_kick(&c->rng->vq);
}

static void bad_reset_mid(struct bad_ctx *c)
{
	struct virtq_buf b[2] = {
		{ (uintptr_t)c->buf, 2048, true },
		{ (uintptr_t)c->buf + 2048, 2048, true },
	};

	virtq_add(&c->rng->vq, b, 2);
	virtq_kick(&c->rng->vq);
	virtio_pci_reset(&c->rng->vp);
}

struct bad_case {
	const char *name;
	void (*fn)(struct bad_ctx *c);
	bool driver_ok;		/* bring the device to DRIVER_OK first */
	bool wait;		/* give the device time to act */
};

static const struct bad_case bad_cases[] = {
	{ "oob", bad_oob, true, true },
	{ "loop", bad_loop, true, true },
	{ "notify-early", bad_notify_early, false, true },
	{ "reset-mid", bad_reset_mid, true, false },
};

/* Fresh reset and one small read: does the device still work? */
static bool bad_recover(struct virtio_rng *rng, struct virtq_mem *mem, uint8_t *buf)
{
	uint32_t got = 0;
	bool ok;

	virtio_rng_close(rng);
	ok = !virtio_rng_open(rng, mem, true) && !virtio_rng_read(rng, buf, 64, &got) && got;
	virtio_rng_close(rng);
	return ok;
}

int cmd_virtio_bad(const char *arg)
{
	static struct virtq_mem mem;
	static struct virtio_rng rng;
	static uint8_t buf[4096] __attribute__((aligned(4096)));
	struct bad_ctx ctx = { &rng, buf };
	const struct bad_case *bc = NULL;
	uint32_t i;
	bool used;

	for (i = 0; i < ARRAY_SIZE(bad_cases); i++)
		if (!strcmp(arg, bad_cases[i].name))
			bc = &bad_cases[i];
	if (!bc) {
		con_printf("virtio-bad.error=unknown case '%s' (oob, loop, notify-early, reset-mid)\n", arg);
		return -1;
	}
	if (virtio_rng_open(&rng, &mem, bc->driver_ok)) {
		con_printf("virtio-bad.%s.error=%s\n", bc->name, rng.vp.error);
		virtio_rng_close(&rng);
		return -1;
	}
	bc->fn(&ctx);
	if (bc->wait)
		virtq_wait(&rng.vq, BAD_WAIT_MS, NULL);
	used = virtq_has_used(&rng.vq);
	con_printf("virtio-bad.%s.status=0x%x\n", bc->name, virtio_pci_get_status(&rng.vp));
	con_printf("virtio-bad.%s.used=%u\n", bc->name, used ? 1 : 0);
	i = bad_recover(&rng, &mem, buf);
	con_printf("virtio-bad.%s.recovered=%u\n", bc->name, i);
	return i ? 0 : -1;
}
