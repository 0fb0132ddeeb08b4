// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for the destination's migration stream parser
 * (src/migration/mig_recv.c, mig_stream.c): arbitrary bytes after a valid
 * hello (page runs, zero runs, rounds, state, end: every gpa and length must
 * be checked before a byte lands in RAM), or, when the first input byte is
 * odd, the input's own hello too. ASan catches any write outside the RAM
 * mapping; the parser must never crash or loop.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "migration/mig_recv.h"
#include "migration/mig_stream.h"

#define FUZZ_MAX_RAM (8u << 20)

/* Two small regions with a hole, like low RAM and RAM above 4 GiB. */
static void fuzz_hello(struct mig_hello *h)
{
	*h = (struct mig_hello){
		.version = MIG_VERSION, .header_size = sizeof(*h), .mem_size = 2u << 20,
		.page_size = MIG_PAGE_SIZE, .nr_regions = 2, .nr_cpus = 1,
		.regions = { { 0, 1u << 20 }, { 1ULL << 32, 1u << 20 } },
	};
	memcpy(h->magic, MIG_MAGIC_HELLO, sizeof(h->magic));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mig_recv rx = { 0 };
	struct mig_conn c;
	struct mig_reply reply;
	char err[256];
	uint8_t *buf;
	size_t len;

	if (size < 1)
		return 0;
	if (size >= sizeof(reply) + 1) {
		memcpy(&reply, data + 1, sizeof(reply));
		mig_reply_check(&reply, MIG_MAGIC_ACK, err, sizeof(err));
	}
	if (data[0] & 1) {
		buf = malloc(size - 1 ? size - 1 : 1);
		memcpy(buf, data + 1, size - 1);
		len = size - 1;
	} else {
		/* A valid hello, then the input as chunks. */
		len = sizeof(struct mig_hello) + size - 1;
		buf = malloc(len);
		fuzz_hello((struct mig_hello *)buf);
		memcpy(buf + sizeof(struct mig_hello), data + 1, size - 1);
	}
	mig_conn_init_buf(&c, buf, len);
	if (mig_recv_hello(&c, &rx, err, sizeof(err)) || rx.hello.mem_size > FUZZ_MAX_RAM)
		goto out;
	rx.ram = mmap(NULL, rx.hello.mem_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (rx.ram == MAP_FAILED)
		goto out;
	mig_recv_stream(&c, &rx, err, sizeof(err));
	munmap(rx.ram, rx.hello.mem_size);
out:
	mig_recv_free(&rx);
	free(buf);
	return 0;
}
