/* SPDX-License-Identifier: MIT */
/*
 * The migration stream without a VM: header checks, the page sender and the
 * destination's parser back to back over a socket pair, malformed and cut
 * streams, and the device-write bitmap of guest_mem.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/guest_mem.h"
#include "migration/mig_conn.h"
#include "migration/mig_pages.h"
#include "migration/mig_recv.h"
#include "migration/mig_stream.h"
#include "test.h"

#define LOW_SIZE  (64u * 4096)
#define HIGH_SIZE (16u * 4096)
#define HIGH_GPA  0x100000000ULL

static uint8_t src_ram[LOW_SIZE + HIGH_SIZE], dst_ram[LOW_SIZE + HIGH_SIZE];

static void hello_init(struct mig_hello *h)
{
	*h = (struct mig_hello){
		.version = MIG_VERSION, .header_size = sizeof(*h), .mem_size = LOW_SIZE + HIGH_SIZE,
		.page_size = MIG_PAGE_SIZE, .nr_regions = 2, .nr_cpus = 2,
		.regions = { { 0, LOW_SIZE }, { HIGH_GPA, HIGH_SIZE } },
	};
	memcpy(h->magic, MIG_MAGIC_HELLO, sizeof(h->magic));
}

static struct guest_mem src_mem(void)
{
	struct guest_mem mem = { 0 };

	CHECK_EQ(guest_mem_add(&mem, 0, LOW_SIZE, src_ram), 0);
	CHECK_EQ(guest_mem_add(&mem, HIGH_GPA, HIGH_SIZE, src_ram + LOW_SIZE), 0);
	return mem;
}

static void test_hello_checks(void)
{
	struct mig_hello h;
	char err[256];

	hello_init(&h);
	CHECK_EQ(mig_hello_check(&h, err, sizeof(err)), 0);
	h.magic[0] = 'X';
	CHECK_EQ(mig_hello_check(&h, err, sizeof(err)), -EINVAL);
	hello_init(&h);
	h.version = 2;
	CHECK_EQ(mig_hello_check(&h, err, sizeof(err)), -EPROTO);
	hello_init(&h);
	h.regions[1].gpa = 4096;                  /* overlaps region 0 */
	CHECK_EQ(mig_hello_check(&h, err, sizeof(err)), -EINVAL);
	hello_init(&h);
	h.regions[0].size = 100;                  /* not page aligned */
	CHECK_EQ(mig_hello_check(&h, err, sizeof(err)), -EINVAL);
	hello_init(&h);
	h.mem_size += 4096;                       /* regions do not add up */
	CHECK_EQ(mig_hello_check(&h, err, sizeof(err)), -EINVAL);
	hello_init(&h);
	h.nr_regions = MIG_MAX_REGIONS + 1;
	CHECK_EQ(mig_hello_check(&h, err, sizeof(err)), -EINVAL);
	hello_init(&h);
	h.regions[1] = (struct mig_region){ UINT64_MAX - 4095, 8192 };  /* wraps */
	CHECK_EQ(mig_hello_check(&h, err, sizeof(err)), -EINVAL);
}

static void test_chunk_checks(void)
{
	struct mig_hello h;
	struct mig_chunk c;
	char err[256];

	hello_init(&h);
	c = (struct mig_chunk){ .type = MIG_CHUNK_PAGES, .gpa = 0, .len = LOW_SIZE };
	CHECK_EQ(mig_chunk_check(&c, &h, err, sizeof(err)), 0);
	c.len = LOW_SIZE + 4096;                  /* runs past the region */
	CHECK_EQ(mig_chunk_check(&c, &h, err, sizeof(err)), -EINVAL);
	c = (struct mig_chunk){ .type = MIG_CHUNK_PAGES, .gpa = LOW_SIZE, .len = 4096 };  /* the hole */
	CHECK_EQ(mig_chunk_check(&c, &h, err, sizeof(err)), -EINVAL);
	c = (struct mig_chunk){ .type = MIG_CHUNK_PAGES, .gpa = HIGH_GPA + 8, .len = 4096 };
	CHECK_EQ(mig_chunk_check(&c, &h, err, sizeof(err)), -EINVAL);
	c = (struct mig_chunk){ .type = MIG_CHUNK_PAGES, .gpa = HIGH_GPA, .len = 0 };
	CHECK_EQ(mig_chunk_check(&c, &h, err, sizeof(err)), -EINVAL);
	c = (struct mig_chunk){ .type = MIG_CHUNK_PAGES, .gpa = UINT64_MAX - 4095, .len = 8192 };
	CHECK_EQ(mig_chunk_check(&c, &h, err, sizeof(err)), -EINVAL);
	c = (struct mig_chunk){ .type = MIG_CHUNK_ZERO, .gpa = HIGH_GPA, .len = HIGH_SIZE };
	CHECK_EQ(mig_chunk_check(&c, &h, err, sizeof(err)), 0);
	c = (struct mig_chunk){ .type = MIG_CHUNK_STATE, .len = MIG_MAX_STATE + 1 };
	CHECK_EQ(mig_chunk_check(&c, &h, err, sizeof(err)), -EINVAL);
	c = (struct mig_chunk){ .type = MIG_CHUNK_END, .len = 1 };
	CHECK_EQ(mig_chunk_check(&c, &h, err, sizeof(err)), -EINVAL);
	c = (struct mig_chunk){ .type = 99 };
	CHECK_EQ(mig_chunk_check(&c, &h, err, sizeof(err)), -EINVAL);
	c = (struct mig_chunk){ .type = MIG_CHUNK_ROUND, .flags = 1 };
	CHECK_EQ(mig_chunk_check(&c, &h, err, sizeof(err)), -EINVAL);
}

struct sender {
	struct mig_conn conn;
	struct guest_mem mem;
	uint64_t dirty[1];          /* low region pages 0-63 */
	struct mig_page_counts counts;
	int ret;
};

static void *sender_run(void *arg)
{
	struct sender *s = arg;
	struct mig_hello h;
	struct mig_chunk state = { .type = MIG_CHUNK_STATE, .len = 5 }, end = { .type = MIG_CHUNK_END };

	hello_init(&h);
	s->ret = mig_conn_send(&s->conn, &h, sizeof(h));
	for (unsigned int i = 0; !s->ret && i < s->mem.nr_regions; i++)
		s->ret = mig_pages_send(&s->conn, &s->mem.regions[i], NULL, &s->counts);
	/* Round 2: pages 3 (now zero) and 5 (rewritten). */
	if (!s->ret) {
		memset(src_ram + 3 * 4096, 0, 4096);
		memset(src_ram + 5 * 4096, 0x55, 4096);
		s->dirty[0] = (1ULL << 3) | (1ULL << 5);
		s->ret = mig_pages_send(&s->conn, &s->mem.regions[0], s->dirty, &s->counts);
	}
	if (!s->ret)
		s->ret = mig_conn_send(&s->conn, &state, sizeof(state));
	if (!s->ret)
		s->ret = mig_conn_send(&s->conn, "state", 5);
	if (!s->ret)
		s->ret = mig_conn_send(&s->conn, &end, sizeof(end));
	return NULL;
}

static void test_round_trip(void)
{
	struct sender s = { .mem = src_mem() };
	struct mig_recv rx = { 0 };
	struct mig_conn c;
	pthread_t t;
	char err[256];
	int sv[2];

	memset(src_ram, 0, sizeof(src_ram));
	for (unsigned int i = 0; i < sizeof(src_ram); i += 4096)
		if ((i / 4096) % 3 != 1)
			memset(src_ram + i + 100, (int)(i / 4096) | 1, 200);
	memset(dst_ram, 0, sizeof(dst_ram));
	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	mig_conn_init_fd(&s.conn, sv[0]);
	mig_conn_init_fd(&c, sv[1]);
	CHECK_EQ(pthread_create(&t, NULL, sender_run, &s), 0);
	CHECK_EQ(mig_recv_hello(&c, &rx, err, sizeof(err)), 0);
	rx.ram = dst_ram;
	CHECK_EQ(mig_recv_stream(&c, &rx, err, sizeof(err)), 0);
	pthread_join(t, NULL);
	CHECK_EQ(s.ret, 0);
	CHECK(memcmp(src_ram, dst_ram, sizeof(src_ram)) == 0);
	CHECK_EQ(rx.state_len, 5);
	CHECK(rx.state && !memcmp(rx.state, "state", 5));
	/* 80 pages, every third zero, then two more (one of them zero now). */
	CHECK_EQ(s.counts.pages + s.counts.zero_pages, 82);
	CHECK_EQ(rx.pages, s.counts.pages);
	CHECK(s.conn.bytes_out < sizeof(src_ram));   /* zero pages cost no payload */
	mig_recv_free(&rx);
	close(sv[0]);
	close(sv[1]);
}

/* Builds hello + chunk headers (+ payload bytes of 0xaa) into buf; returns its length. */
static size_t stream(uint8_t *buf, const struct mig_chunk *chunks, int n)
{
	struct mig_hello h;
	size_t len = sizeof(h);

	hello_init(&h);
	memcpy(buf, &h, sizeof(h));
	for (int i = 0; i < n; i++) {
		memcpy(buf + len, &chunks[i], sizeof(chunks[i]));
		len += sizeof(chunks[i]);
		if (chunks[i].type == MIG_CHUNK_PAGES || chunks[i].type == MIG_CHUNK_STATE) {
			memset(buf + len, 0xaa, chunks[i].len);
			len += chunks[i].len;
		}
	}
	return len;
}

static int parse(const uint8_t *buf, size_t len)
{
	struct mig_recv rx = { 0 };
	struct mig_conn c;
	char err[256];
	int ret;

	memset(dst_ram, 0, sizeof(dst_ram));
	mig_conn_init_buf(&c, buf, len);
	ret = mig_recv_hello(&c, &rx, err, sizeof(err));
	if (!ret) {
		rx.ram = dst_ram;
		ret = mig_recv_stream(&c, &rx, err, sizeof(err));
	}
	mig_recv_free(&rx);
	return ret;
}

static void test_malformed_streams(void)
{
	static uint8_t buf[1 << 20];
	const struct mig_chunk page = { .type = MIG_CHUNK_PAGES, .gpa = HIGH_GPA, .len = 4096 };
	const struct mig_chunk state = { .type = MIG_CHUNK_STATE, .len = 16 };
	const struct mig_chunk end = { .type = MIG_CHUNK_END };
	const struct mig_chunk hole = { .type = MIG_CHUNK_PAGES, .gpa = LOW_SIZE, .len = 4096 };
	size_t len;

	len = stream(buf, (struct mig_chunk[]){ page, state, end }, 3);
	CHECK_EQ(parse(buf, len), 0);
	CHECK_EQ(dst_ram[LOW_SIZE], 0xaa);
	/* Cut anywhere: an error, never a success. */
	for (size_t cut = 0; cut < len; cut += 7)
		CHECK(parse(buf, cut) != 0);
	/* No state before the end. */
	len = stream(buf, (struct mig_chunk[]){ page, end }, 2);
	CHECK_EQ(parse(buf, len), -EINVAL);
	/* Pages after the state. */
	len = stream(buf, (struct mig_chunk[]){ state, page, end }, 3);
	CHECK_EQ(parse(buf, len), -EINVAL);
	/* Two states. */
	len = stream(buf, (struct mig_chunk[]){ state, state, end }, 3);
	CHECK_EQ(parse(buf, len), -EINVAL);
	/* A run into the hole between regions: refused, nothing written. */
	len = stream(buf, (struct mig_chunk[]){ hole, state, end }, 3);
	CHECK_EQ(parse(buf, len), -EINVAL);
	CHECK_EQ(dst_ram[LOW_SIZE - 1], 0);
	CHECK_EQ(dst_ram[LOW_SIZE], 0);
}

static void test_device_write_tracking(void)
{
	struct guest_mem mem = src_mem();
	uint64_t low_bits[1] = { 0 }, high_bits[1] = { 0 };

	/* Off: nothing recorded (and no bitmap needed). */
	guest_mem_mark_written(&mem, 0, 4096);
	mem.regions[0].written = low_bits;
	mem.regions[1].written = high_bits;
	guest_mem_mark_written(&mem, 0, 4096);
	CHECK_EQ(low_bits[0], 0);
	mem.track_writes = true;
	guest_mem_mark_written(&mem, 4095, 2);            /* pages 0 and 1 */
	CHECK_EQ(guest_mem_write(&mem, HIGH_GPA + 3 * 4096, "x", 1), 0);
	guest_mem_mark_written(&mem, LOW_SIZE, 4096);     /* outside RAM: ignored */
	CHECK_EQ(low_bits[0], 0x3);
	CHECK_EQ(high_bits[0], 0x8);
}

TEST_MAIN(test_hello_checks, test_chunk_checks, test_round_trip, test_malformed_streams,
	  test_device_write_tracking)
