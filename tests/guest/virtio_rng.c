// SPDX-License-Identifier: MIT
/* virtio-rng driver and the rng command. */
#include "cmd.h"
#include "con.h"
#include "lib.h"
#include "pci.h"
#include "sys.h"
#include "virtio_rng.h"

#define RNG_CHUNK	4096	/* bytes per request, as two 2 KiB buffers */
#define RNG_MAX_BYTES	(16u << 20)

int virtio_rng_open(struct virtio_rng *rng, struct virtq_mem *mem, bool driver_ok)
{
	const struct pci_fn *fn = pci_find(VIRTIO_PCI_VENDOR, VIRTIO_PCI_DEVICE(VIRTIO_ID_RNG), 0);

	/* A transitional device has the modern capabilities too. */
	if (!fn)
		fn = pci_find(VIRTIO_PCI_VENDOR, VIRTIO_PCI_TRANSITIONAL_RNG, 0);
	memset(rng, 0, sizeof(*rng));
	rng->mem = mem;
	if (!fn) {
		rng->vp.error = "no device";
		return -1;
	}
	if (virtio_pci_init(&rng->vp, fn) || virtio_pci_negotiate(&rng->vp, 0))
		return -1;
	/* Without MSI-X the queue still works: virtq_wait() polls on timer ticks. */
	virtio_pci_setup_msix(&rng->vp, VEC_VIRTIO);
	if (virtio_pci_setup_queue(&rng->vp, &rng->vq, mem, 0, VIRTQ_MAX))
		return -1;
	if (driver_ok)
		virtio_pci_driver_ok(&rng->vp);
	return 0;
}

int virtio_rng_read(struct virtio_rng *rng, uint8_t *buf, uint32_t len, uint32_t *got)
{
	struct virtq_buf bufs[2] = {
		{ (uintptr_t)buf, len / 2, true },
		{ (uintptr_t)buf + len / 2, len - len / 2, true },
	};
	uint32_t irqs = 0, used_len = 0;
	int head;

	*got = 0;
	head = virtq_add(&rng->vq, bufs, len > 1 ? 2 : 1);
	if (head < 0) {
		rng->vp.error = "queue full";
		return -1;
	}
	rng->requests++;
	virtq_kick(&rng->vq);
	if (virtq_wait(&rng->vq, VIRTIO_RNG_TIMEOUT_MS, &irqs)) {
		rng->vp.error = "timeout";
		return -1;
	}
	rng->irqs += irqs;
	if (virtq_get_used(&rng->vq, &used_len) != head) {
		rng->vp.error = "device returned a chain we did not post";
		return -1;
	}
	*got = used_len > len ? len : used_len;
	return 0;
}

void virtio_rng_close(struct virtio_rng *rng)
{
	if (rng->vp.common_gpa)
		virtio_pci_reset(&rng->vp);
}

static uint32_t rng_count_distinct(const uint32_t *hist)
{
	uint32_t i, n = 0;

	for (i = 0; i < 256; i++)
		n += hist[i] != 0;
	return n;
}

int cmd_rng(const char *arg)
{
	static struct virtq_mem mem;
	static struct virtio_rng rng;
	static uint8_t buf[RNG_CHUNK] __attribute__((aligned(4096)));
	uint32_t hist[256], distinct, i;
	uint64_t want = 4096, total = 0;
	const char *error = NULL;

	if (*arg && (parse_size(arg, &want) || !want || want > RNG_MAX_BYTES)) {
		con_printf("rng.ok=0\nrng.error=bad size %s\n", arg);
		return -1;
	}
	memset(hist, 0, sizeof(hist));
	if (virtio_rng_open(&rng, &mem, true)) {
		error = rng.vp.error;
		goto out;
	}
	while (total < want) {
		uint32_t len = want - total < RNG_CHUNK ? want - total : RNG_CHUNK, got;

		if (virtio_rng_read(&rng, buf, len, &got)) {
			error = rng.vp.error;
			break;
		}
		for (i = 0; i < got; i++)
			hist[buf[i]]++;
		total += got;
		/* A device may return short reads, but an endless trickle is a bug. */
		if (rng.requests > want / 16 + 64) {
			error = "too many short reads";
			break;
		}
	}
	if (!rng.irqs && total)
		con_printf("virtio.irq=0\n");
out:
	virtio_rng_close(&rng);
	distinct = rng_count_distinct(hist);
	if (!error && want >= 4096 && distinct <= 200)
		error = "too few distinct byte values";
	con_printf("rng.bytes=%lu\nrng.requests=%u\nrng.irqs=%u\nrng.distinct=%u\n",
		   total, rng.requests, rng.irqs, distinct);
	if (error) {
		con_printf("rng.ok=0\nrng.error=%s\n", error);
		return -1;
	}
	con_printf("rng.ok=1\n");
	return 0;
}
