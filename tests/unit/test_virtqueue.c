/* SPDX-License-Identifier: MIT */
/*
 * Split virtqueue: hand-built rings in a fake guest RAM, well-formed and
 * malicious. Run under ASan+UBSan to catch any out-of-bounds access.
 */
#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "devices/virtio/virtqueue.h"
#include "le_bytes.h"
#include "test.h"

#define RAM_SIZE    0x40000ull        /* region 0: gpa [0, 256 KiB) */
#define RAM2_GPA    RAM_SIZE          /* region 1: adjacent, 64 KiB */
#define RAM2_SIZE   0x10000ull
#define DESC_GPA    0x1000ull
#define AVAIL_GPA   0x20000ull
#define USED_GPA    0x30000ull
#define DATA_GPA    0x8000ull
#define TABLE_GPA   0x7000ull         /* an indirect table */

#define F_NEXT      1
#define F_WRITE     2
#define F_INDIRECT  4

struct fixture {
	struct guest_mem mem;
	uint8_t *ram;
	uint8_t *ram2;
	struct virtq vq;
	struct virtq_chain chain;
	uint16_t avail_idx;
};

static struct fixture *fx_create(uint16_t size)
{
	struct fixture *f = calloc(1, sizeof(*f));

	f->ram = aligned_alloc(4096, RAM_SIZE);
	f->ram2 = aligned_alloc(4096, RAM2_SIZE);
	memset(f->ram, 0, RAM_SIZE);
	memset(f->ram2, 0, RAM2_SIZE);
	CHECK_EQ(guest_mem_add(&f->mem, 0, RAM_SIZE, f->ram), 0);
	CHECK_EQ(guest_mem_add(&f->mem, RAM2_GPA, RAM2_SIZE, f->ram2), 0);
	f->vq.mem = &f->mem;
	f->vq.state.size = size;
	f->vq.state.ready = 1;
	f->vq.state.desc_gpa = DESC_GPA;
	f->vq.state.avail_gpa = AVAIL_GPA;
	f->vq.state.used_gpa = USED_GPA;
	return f;
}

static void fx_destroy(struct fixture *f)
{
	free(f->ram);
	free(f->ram2);
	free(f);
}


static void desc_write(uint8_t *p, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
	put64(p, addr);
	put32(p + 8, len);
	put16(p + 12, flags);
	put16(p + 14, next);
}

static void fx_desc(struct fixture *f, uint16_t idx, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
	desc_write(f->ram + DESC_GPA + 16ull * idx, addr, len, flags, next);
}

static void fx_table(struct fixture *f, uint16_t idx, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
	desc_write(f->ram + TABLE_GPA + 16ull * idx, addr, len, flags, next);
}

static void fx_set_avail_idx(struct fixture *f, uint16_t idx)
{
	f->avail_idx = idx;
	put16(f->ram + AVAIL_GPA + 2, idx);
}

static void fx_avail(struct fixture *f, uint16_t head)
{
	put16(f->ram + AVAIL_GPA + 4 + 2 * (f->avail_idx & (f->vq.state.size - 1)), head);
	fx_set_avail_idx(f, f->avail_idx + 1);
}

static uint8_t *hva(struct fixture *f, uint64_t gpa)
{
	return f->ram + gpa;
}

/* Pops one chain that must be refused. */
static int fx_pop_one(struct fixture *f)
{
	return virtq_pop(&f->vq, &f->chain);
}

static void test_validate(void)
{
	struct fixture *f = fx_create(16);
	struct virtq_state *s = &f->vq.state;

	CHECK_EQ(virtq_validate(&f->vq), 0);
	s->size = 0;
	CHECK_EQ(virtq_validate(&f->vq), -EINVAL);
	s->size = 24;
	CHECK_EQ(virtq_validate(&f->vq), -EINVAL);
	s->size = 32768;
	CHECK_EQ(virtq_validate(&f->vq), -EINVAL);     /* rings do not fit in 256 KiB */
	s->size = 16;
	s->desc_gpa = DESC_GPA + 8;
	CHECK_EQ(virtq_validate(&f->vq), -EINVAL);
	s->desc_gpa = DESC_GPA;
	s->avail_gpa = AVAIL_GPA + 1;
	CHECK_EQ(virtq_validate(&f->vq), -EINVAL);
	s->avail_gpa = AVAIL_GPA;
	s->used_gpa = USED_GPA + 2;
	CHECK_EQ(virtq_validate(&f->vq), -EINVAL);
	/* Used ring ending exactly at the end of RAM is fine, one entry past is not. */
	s->used_gpa = RAM2_GPA + RAM2_SIZE - (6 + 8 * 16);
	s->used_gpa &= ~3ull;
	CHECK_EQ(virtq_validate(&f->vq), 0);
	s->used_gpa = RAM2_GPA + RAM2_SIZE - 8 * 16;
	CHECK_EQ(virtq_validate(&f->vq), -EINVAL);
	s->used_gpa = 0x10000000;
	CHECK_EQ(virtq_validate(&f->vq), -EINVAL);
	s->used_gpa = 0xfffffffffffffff0ull;
	CHECK_EQ(virtq_validate(&f->vq), -EINVAL);
	/* Spanning the two regions is refused too. */
	s->used_gpa = RAM2_GPA - 64;
	CHECK_EQ(virtq_validate(&f->vq), -EINVAL);
	s->used_gpa = USED_GPA;
	s->desc_gpa = RAM_SIZE - 16 * 8;
	CHECK_EQ(virtq_validate(&f->vq), -EINVAL);
	s->desc_gpa = DESC_GPA;
	f->vq.mem = NULL;
	CHECK_EQ(virtq_validate(&f->vq), -EINVAL);
	fx_destroy(f);
}

static void test_simple_chain(void)
{
	struct fixture *f = fx_create(16);

	CHECK_EQ(fx_pop_one(f), 0);                     /* empty */
	fx_desc(f, 3, DATA_GPA, 100, F_NEXT, 7);
	fx_desc(f, 7, DATA_GPA + 0x1000, 200, F_NEXT | F_WRITE, 1);
	fx_desc(f, 1, DATA_GPA + 0x2000, 300, F_WRITE, 0);
	fx_avail(f, 3);
	CHECK_EQ(fx_pop_one(f), 1);
	CHECK_EQ(f->chain.head, 3);
	CHECK_EQ(f->chain.nr_out, 1);
	CHECK_EQ(f->chain.nr_in, 2);
	CHECK_EQ(f->chain.out_len, 100);
	CHECK_EQ(f->chain.in_len, 500);
	CHECK(f->chain.iov[0].iov_base == hva(f, DATA_GPA));
	CHECK_EQ(f->chain.iov[0].iov_len, 100);
	CHECK(f->chain.iov[1].iov_base == hva(f, DATA_GPA + 0x1000));
	CHECK(f->chain.iov[2].iov_base == hva(f, DATA_GPA + 0x2000));
	CHECK_EQ(f->chain.iov[2].iov_len, 300);
	CHECK_EQ(f->vq.state.last_avail_idx, 1);
	CHECK_EQ(fx_pop_one(f), 0);

	virtq_push(&f->vq, 3, 123);
	CHECK_EQ(get16(hva(f, USED_GPA + 2)), 1);
	CHECK_EQ(get32(hva(f, USED_GPA + 4)), 3);
	CHECK_EQ(get32(hva(f, USED_GPA + 8)), 123);
	CHECK_EQ(f->vq.state.used_idx, 1);

	/* A queue that is not ready has nothing available. */
	fx_avail(f, 3);
	f->vq.state.ready = 0;
	CHECK_EQ(fx_pop_one(f), 0);
	f->vq.state.ready = 1;
	CHECK_EQ(fx_pop_one(f), 1);
	fx_destroy(f);
}

static void test_zero_length(void)
{
	struct fixture *f = fx_create(16);

	fx_desc(f, 0, DATA_GPA, 0, F_NEXT, 1);
	fx_desc(f, 1, DATA_GPA, 10, F_NEXT, 2);
	fx_desc(f, 2, 0xdead00000000ull, 0, F_NEXT | F_WRITE, 3);   /* no translation for len 0 */
	fx_desc(f, 3, DATA_GPA + 16, 20, F_WRITE, 0);
	fx_avail(f, 0);
	CHECK_EQ(fx_pop_one(f), 1);
	CHECK_EQ(f->chain.nr_out, 1);
	CHECK_EQ(f->chain.nr_in, 1);
	CHECK_EQ(f->chain.out_len, 10);
	CHECK_EQ(f->chain.in_len, 20);
	CHECK(f->chain.iov[1].iov_base == hva(f, DATA_GPA + 16));
	fx_destroy(f);
}

static void test_indirect(void)
{
	struct fixture *f = fx_create(16);

	/* Head is an indirect table of 4 entries, walked 0 -> 2 -> 1 -> 3. */
	fx_table(f, 0, DATA_GPA, 64, F_NEXT, 2);
	fx_table(f, 2, DATA_GPA + 64, 64, F_NEXT | F_WRITE, 1);
	fx_table(f, 1, DATA_GPA + 128, 0, F_NEXT | F_WRITE, 3);
	fx_table(f, 3, RAM2_GPA, 512, F_WRITE, 0);
	fx_desc(f, 5, TABLE_GPA, 4 * 16, F_INDIRECT | F_WRITE, 0);   /* WRITE on it is ignored */
	fx_avail(f, 5);
	CHECK_EQ(fx_pop_one(f), 1);
	CHECK_EQ(f->chain.head, 5);
	CHECK_EQ(f->chain.nr_out, 1);
	CHECK_EQ(f->chain.nr_in, 2);
	CHECK_EQ(f->chain.out_len, 64);
	CHECK_EQ(f->chain.in_len, 576);
	CHECK(f->chain.iov[2].iov_base == f->ram2);

	/* A direct readable descriptor followed by an indirect table ending the chain. */
	fx_desc(f, 6, DATA_GPA + 0x1000, 8, F_NEXT, 9);
	fx_desc(f, 9, TABLE_GPA + 16, 16, F_INDIRECT, 0);            /* table = entry 1 only */
	fx_table(f, 1, DATA_GPA + 0x2000, 32, F_WRITE, 0);
	fx_avail(f, 6);
	CHECK_EQ(fx_pop_one(f), 1);
	CHECK_EQ(f->chain.nr_out, 1);
	CHECK_EQ(f->chain.nr_in, 1);
	CHECK_EQ(f->chain.out_len, 8);
	CHECK_EQ(f->chain.in_len, 32);
	fx_destroy(f);
}

static void test_bad_indirect(void)
{
	static const struct { uint32_t len; uint16_t flags; } heads[] = {
		{ 0, F_INDIRECT },                      /* empty table */
		{ 24, F_INDIRECT },                     /* not a multiple of 16 */
		{ 16 * (VIRTQ_CHAIN_MAX + 1), F_INDIRECT },
		{ 32, F_INDIRECT | F_NEXT },            /* INDIRECT with NEXT */
	};
	struct fixture *f;

	for (unsigned int i = 0; i < sizeof(heads) / sizeof(heads[0]); i++) {
		f = fx_create(16);
		fx_table(f, 0, DATA_GPA, 8, 0, 0);
		fx_table(f, 1, DATA_GPA, 8, 0, 0);
		fx_desc(f, 0, TABLE_GPA, heads[i].len, heads[i].flags, 1);
		fx_desc(f, 1, DATA_GPA, 8, 0, 0);
		fx_avail(f, 0);
		CHECK_EQ(fx_pop_one(f), -EINVAL);
		CHECK_EQ(f->vq.state.last_avail_idx, 0);
		fx_destroy(f);
	}

	/* Nested indirect. */
	f = fx_create(16);
	fx_table(f, 0, TABLE_GPA, 32, F_INDIRECT, 0);
	fx_desc(f, 0, TABLE_GPA, 32, F_INDIRECT, 0);
	fx_avail(f, 0);
	CHECK_EQ(fx_pop_one(f), -EINVAL);
	fx_destroy(f);

	/* Table outside RAM, and a table wrapping the address space. */
	f = fx_create(16);
	fx_desc(f, 0, 0x80000000ull, 32, F_INDIRECT, 0);
	fx_desc(f, 1, 0xfffffffffffffff0ull, 32, F_INDIRECT, 0);
	fx_avail(f, 0);
	CHECK_EQ(fx_pop_one(f), -EINVAL);
	f->vq.state.last_avail_idx++;
	fx_avail(f, 1);
	CHECK_EQ(fx_pop_one(f), -EINVAL);
	fx_destroy(f);

	/* A loop inside the table, and next beyond the table (twice). */
	f = fx_create(16);
	fx_table(f, 0, DATA_GPA, 8, F_NEXT, 1);
	fx_table(f, 1, DATA_GPA, 8, F_NEXT, 0);
	fx_table(f, 2, DATA_GPA, 8, F_NEXT, 2);
	fx_table(f, 3, DATA_GPA, 8, F_NEXT, 4);
	fx_desc(f, 0, TABLE_GPA, 4 * 16, F_INDIRECT, 0);
	fx_desc(f, 1, TABLE_GPA + 32, 2 * 16, F_INDIRECT, 0);       /* entries 2, 3 */
	fx_desc(f, 2, TABLE_GPA + 48, 16, F_INDIRECT, 0);           /* entry 3 -> 4 */
	fx_avail(f, 0);
	CHECK_EQ(fx_pop_one(f), -EINVAL);
	f->vq.state.last_avail_idx++;
	fx_avail(f, 1);
	/* This table's entry 0 is entry 2 above: next 2 is beyond its 2 entries. */
	CHECK_EQ(fx_pop_one(f), -EINVAL);
	f->vq.state.last_avail_idx++;
	fx_avail(f, 2);
	CHECK_EQ(fx_pop_one(f), -EINVAL);
	fx_destroy(f);

	/* Readable entry after a writable one inside the table. */
	f = fx_create(16);
	fx_table(f, 0, DATA_GPA, 8, F_NEXT | F_WRITE, 1);
	fx_table(f, 1, DATA_GPA, 8, 0, 0);
	fx_desc(f, 0, TABLE_GPA, 32, F_INDIRECT, 0);
	fx_avail(f, 0);
	CHECK_EQ(fx_pop_one(f), -EINVAL);
	fx_destroy(f);
}

static void test_bad_indices(void)
{
	struct fixture *f = fx_create(16);

	fx_desc(f, 0, DATA_GPA, 8, F_NEXT, 16);         /* next == size */
	fx_avail(f, 16);                                /* head == size */
	CHECK_EQ(fx_pop_one(f), -EINVAL);
	CHECK_EQ(f->vq.state.last_avail_idx, 0);
	f->vq.state.last_avail_idx++;
	fx_avail(f, 0xffff);
	CHECK_EQ(fx_pop_one(f), -EINVAL);
	f->vq.state.last_avail_idx++;
	fx_avail(f, 0);
	CHECK_EQ(fx_pop_one(f), -EINVAL);
	fx_destroy(f);
}

static void test_loops(void)
{
	struct fixture *f = fx_create(16);

	fx_desc(f, 0, DATA_GPA, 8, F_NEXT, 1);          /* a -> b -> a */
	fx_desc(f, 1, DATA_GPA, 8, F_NEXT, 0);
	fx_desc(f, 2, DATA_GPA, 8, F_NEXT, 2);          /* self loop */
	fx_avail(f, 0);
	CHECK_EQ(fx_pop_one(f), -EINVAL);
	f->vq.state.last_avail_idx++;
	fx_avail(f, 2);
	CHECK_EQ(fx_pop_one(f), -EINVAL);
	fx_destroy(f);

	/* size 4: a chain of 4 is fine, one that visits 5 descriptors is not. */
	f = fx_create(4);
	for (uint16_t i = 0; i < 4; i++)
		fx_desc(f, i, DATA_GPA, 8, i < 3 ? F_NEXT : 0, i + 1);
	fx_avail(f, 0);
	CHECK_EQ(fx_pop_one(f), 1);
	CHECK_EQ(f->chain.nr_out, 4);
	fx_desc(f, 3, DATA_GPA, 8, F_NEXT, 1);
	fx_avail(f, 0);
	CHECK_EQ(fx_pop_one(f), -EINVAL);
	fx_destroy(f);

}

static void test_chain_too_long(void)
{
	struct fixture *f = fx_create(2048);

	f->vq.state.desc_gpa = 0x10000;
	for (uint32_t i = 0; i < 2048; i++)
		desc_write(f->ram + 0x10000 + 16 * i, DATA_GPA, 1, i < 2047 ? F_NEXT : 0, (uint16_t)(i + 1));
	/* 0 .. 2047 is 2048 descriptors: over VIRTQ_CHAIN_MAX. */
	fx_avail(f, 0);
	CHECK_EQ(fx_pop_one(f), -EINVAL);
	/* 1024 .. 2047 is exactly VIRTQ_CHAIN_MAX. */
	f->vq.state.last_avail_idx++;
	fx_avail(f, 2048 - VIRTQ_CHAIN_MAX);
	CHECK_EQ(fx_pop_one(f), 1);
	CHECK_EQ(f->chain.nr_out, VIRTQ_CHAIN_MAX);
	/* 1023 .. 2047 is one too many. */
	fx_avail(f, 2047 - VIRTQ_CHAIN_MAX);
	CHECK_EQ(fx_pop_one(f), -EINVAL);
	fx_destroy(f);

	/* A direct prefix plus a full indirect table also exceeds the bound. */
	f = fx_create(16);
	for (uint32_t i = 0; i < VIRTQ_CHAIN_MAX; i++)
		desc_write(f->ram + 0x10000 + 16 * i, DATA_GPA, 1, i + 1 < VIRTQ_CHAIN_MAX ? F_NEXT : 0,
			   (uint16_t)(i + 1));
	fx_desc(f, 0, DATA_GPA, 8, F_NEXT, 1);
	fx_desc(f, 1, 0x10000, 16 * VIRTQ_CHAIN_MAX, F_INDIRECT, 0);
	fx_avail(f, 1);
	CHECK_EQ(fx_pop_one(f), 1);                     /* the table alone is fine */
	CHECK_EQ(f->chain.nr_out, VIRTQ_CHAIN_MAX);
	fx_avail(f, 0);
	CHECK_EQ(fx_pop_one(f), -EINVAL);
	fx_destroy(f);
}

static void test_in_before_out(void)
{
	struct fixture *f = fx_create(16);

	fx_desc(f, 0, DATA_GPA, 8, F_NEXT | F_WRITE, 1);
	fx_desc(f, 1, DATA_GPA, 8, 0, 0);
	fx_avail(f, 0);
	CHECK_EQ(fx_pop_one(f), -EINVAL);
	/* Even a zero-length readable one after a writable one. */
	fx_desc(f, 1, DATA_GPA, 0, 0, 0);
	CHECK_EQ(fx_pop_one(f), -EINVAL);
	fx_destroy(f);
}

static void test_bad_buffers(void)
{
	struct fixture *f = fx_create(16);
	void *big;

	fx_desc(f, 0, 0x10000000ull, 8, 0, 0);                  /* outside RAM */
	fx_desc(f, 1, 0xfffffffffffff000ull, 0x2000, 0, 0);     /* addr + len wraps */
	fx_desc(f, 2, RAM_SIZE - 8, 16, 0, 0);                  /* spans two regions */
	fx_desc(f, 3, RAM_SIZE - 8, 0xffffffff, 0, 0);          /* runs past RAM */
	fx_desc(f, 4, RAM2_GPA + RAM2_SIZE, 1, F_WRITE, 0);     /* just past the end */
	for (uint16_t i = 0; i < 5; i++) {
		fx_set_avail_idx(f, i);
		f->vq.state.last_avail_idx = i;
		fx_avail(f, i);
		CHECK_EQ(fx_pop_one(f), -EINVAL);
		CHECK_EQ(f->vq.state.last_avail_idx, i);
	}
	fx_destroy(f);

	/* Lengths summing past 4 GiB: needs a region of > 2 GiB (reserved, never touched). */
	f = fx_create(16);
	big = mmap(NULL, 0xc0000000ull, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	CHECK(big != MAP_FAILED);
	if (big == MAP_FAILED) {
		fx_destroy(f);
		return;
	}
	CHECK_EQ(guest_mem_add(&f->mem, 0x100000000ull, 0xc0000000ull, big), 0);
	fx_desc(f, 0, 0x100000000ull, 0xc0000000u, F_NEXT, 1);
	fx_desc(f, 1, 0x100000000ull, 0x3ffffffeu, F_NEXT | F_WRITE, 2);
	fx_desc(f, 2, DATA_GPA, 1, F_WRITE, 0);                 /* total exactly 4 GiB - 1 */
	fx_avail(f, 0);
	CHECK_EQ(fx_pop_one(f), 1);
	CHECK_EQ(f->chain.out_len, 0xc0000000u);
	CHECK_EQ(f->chain.in_len, 0x3fffffffu);
	fx_desc(f, 2, DATA_GPA, 2, F_WRITE, 0);                 /* total 4 GiB: one too many */
	fx_avail(f, 0);
	CHECK_EQ(fx_pop_one(f), -EINVAL);
	fx_desc(f, 1, 0x100000000ull, 0xc0000000u, F_NEXT, 2); /* 6 GiB */
	CHECK_EQ(fx_pop_one(f), -EINVAL);
	munmap(big, 0xc0000000ull);
	fx_destroy(f);
}

static void test_avail_jump(void)
{
	struct fixture *f = fx_create(16);

	for (uint16_t i = 0; i < 16; i++)
		fx_desc(f, i, DATA_GPA, 8, 0, 0);
	fx_set_avail_idx(f, 17);
	CHECK_EQ(fx_pop_one(f), -EINVAL);
	fx_set_avail_idx(f, 0xffff);                    /* "behind" us: also a jump */
	CHECK_EQ(fx_pop_one(f), -EINVAL);
	fx_set_avail_idx(f, 16);                        /* a full ring is fine */
	for (int i = 0; i < 16; i++)
		CHECK_EQ(fx_pop_one(f), 1);
	CHECK_EQ(fx_pop_one(f), 0);

	/* Indices wrap at 2^16. */
	f->vq.state.last_avail_idx = 0xfffe;
	f->vq.state.used_idx = 0xffff;
	fx_set_avail_idx(f, 0xfffe);
	fx_avail(f, 1);
	fx_avail(f, 2);
	fx_avail(f, 3);
	CHECK_EQ(f->avail_idx, 1);
	for (uint16_t i = 1; i <= 3; i++) {
		CHECK_EQ(fx_pop_one(f), 1);
		CHECK_EQ(f->chain.head, i);
		virtq_push(&f->vq, f->chain.head, i * 10);
	}
	CHECK_EQ(fx_pop_one(f), 0);
	CHECK_EQ(f->vq.state.last_avail_idx, 1);
	CHECK_EQ(get16(hva(f, USED_GPA + 2)), 2);
	CHECK_EQ(get32(hva(f, USED_GPA + 4 + 8 * 15)), 1);      /* used idx 0xffff -> slot 15 */
	CHECK_EQ(get32(hva(f, USED_GPA + 4 + 8 * 0)), 2);
	CHECK_EQ(get32(hva(f, USED_GPA + 4 + 8 * 1 + 4)), 30);
	fx_destroy(f);
}

static void set_used_event(struct fixture *f, uint16_t v)
{
	put16(hva(f, AVAIL_GPA + 4 + 2 * f->vq.state.size), v);
}

static void test_notify(void)
{
	struct fixture *f = fx_create(16);

	/* Without event idx: the NO_INTERRUPT flag decides. */
	CHECK(virtq_should_notify(&f->vq));
	put16(hva(f, AVAIL_GPA), 1);
	CHECK(!virtq_should_notify(&f->vq));
	put16(hva(f, AVAIL_GPA), 0);

	/* With event idx: the first decision always notifies. */
	f->vq.event_idx = true;
	set_used_event(f, 100);
	f->vq.state.used_idx = 1;
	CHECK(virtq_should_notify(&f->vq));
	CHECK_EQ(f->vq.state.signalled_used, 1);
	/* used 1 -> 3 with used_event 1: crossed (event in [old, new)). */
	set_used_event(f, 1);
	f->vq.state.used_idx = 3;
	CHECK(virtq_should_notify(&f->vq));
	/* used 3 -> 4 with used_event 1: already past, no interrupt. */
	f->vq.state.used_idx = 4;
	CHECK(!virtq_should_notify(&f->vq));
	/* used_event 5 asks for an interrupt when used idx passes 5. */
	set_used_event(f, 5);
	f->vq.state.used_idx = 5;
	CHECK(!virtq_should_notify(&f->vq));
	f->vq.state.used_idx = 6;
	CHECK(virtq_should_notify(&f->vq));
	/* Nothing new pushed: no interrupt. */
	CHECK(!virtq_should_notify(&f->vq));

	/* Wraparound: old 0xfffe, new 0x0002, event 0xffff and 0x0001 both crossed. */
	f->vq.state.signalled_used = 0xfffe;
	f->vq.state.used_idx = 2;
	set_used_event(f, 0xffff);
	CHECK(virtq_should_notify(&f->vq));
	f->vq.state.signalled_used = 0xfffe;
	set_used_event(f, 1);
	CHECK(virtq_should_notify(&f->vq));
	f->vq.state.signalled_used = 0xfffe;
	set_used_event(f, 2);                           /* not yet: fires when new passes 2 */
	CHECK(!virtq_should_notify(&f->vq));
	f->vq.state.signalled_used = 0xfffe;
	set_used_event(f, 0xfffd);                      /* already behind old */
	CHECK(!virtq_should_notify(&f->vq));

	/* avail_event lands after the used ring. */
	f->vq.state.last_avail_idx = 0xabcd;
	virtq_set_avail_event(&f->vq);
	CHECK_EQ(get16(hva(f, USED_GPA + 4 + 8 * 16)), 0xabcd);
	fx_destroy(f);
}

static void test_chain_copy(void)
{
	struct fixture *f = fx_create(16);
	uint8_t buf[64], out[64];

	for (int i = 0; i < 64; i++)
		buf[i] = (uint8_t)i;
	memcpy(hva(f, DATA_GPA), buf, 10);
	memcpy(hva(f, DATA_GPA + 0x100), buf + 10, 20);
	fx_desc(f, 0, DATA_GPA, 10, F_NEXT, 1);
	fx_desc(f, 1, DATA_GPA + 0x100, 20, F_NEXT, 2);
	fx_desc(f, 2, DATA_GPA + 0x200, 5, F_NEXT | F_WRITE, 3);
	fx_desc(f, 3, DATA_GPA + 0x300, 7, F_WRITE, 0);
	fx_avail(f, 0);
	CHECK_EQ(fx_pop_one(f), 1);
	memset(out, 0, sizeof(out));
	CHECK_EQ(virtq_chain_read(&f->chain, 8, out, 64), 22);
	CHECK(memcmp(out, buf + 8, 22) == 0);
	CHECK_EQ(virtq_chain_read(&f->chain, 30, out, 64), 0);
	CHECK_EQ(virtq_chain_write(&f->chain, 3, buf, 64), 9);
	CHECK(memcmp(hva(f, DATA_GPA + 0x203), buf, 2) == 0);
	CHECK(memcmp(hva(f, DATA_GPA + 0x300), buf + 2, 7) == 0);
	CHECK_EQ(virtq_chain_write(&f->chain, 0, buf, 4), 4);
	CHECK_EQ(virtq_chain_write(&f->chain, 12, buf, 4), 0);
	fx_destroy(f);
}

/* A batch is published whole; unpopped chains come back; the driver is asked to notify on more. */
static void test_batch_and_unpop(void)
{
	struct fixture *f = fx_create(8);

	for (uint16_t i = 0; i < 3; i++) {
		fx_desc(f, i, DATA_GPA + i * 0x100, 0x100, F_WRITE, 0);
		fx_avail(f, i);
	}
	CHECK_EQ(virtq_pop(&f->vq, &f->chain), 1);
	CHECK_EQ(virtq_pop(&f->vq, &f->chain), 1);
	CHECK_EQ(f->chain.head, 1);
	virtq_fill(&f->vq, 0, 0, 10);
	virtq_fill(&f->vq, 1, 1, 20);
	CHECK_EQ(get16(hva(f, USED_GPA + 2)), 0);          /* filled, not yet published */
	virtq_flush(&f->vq, 2);
	CHECK_EQ(get16(hva(f, USED_GPA + 2)), 2);
	CHECK_EQ(get32(hva(f, USED_GPA + 4 + 8)), 1);      /* element 1: head 1 ... */
	CHECK_EQ(get32(hva(f, USED_GPA + 4 + 12)), 20);    /* ... 20 bytes */

	CHECK_EQ(virtq_pop(&f->vq, &f->chain), 1);
	virtq_unpop(&f->vq, 1);
	CHECK_EQ(virtq_pop(&f->vq, &f->chain), 1);         /* the same chain again */
	CHECK_EQ(f->chain.head, 2);
	virtq_unpop(&f->vq, 1);

	f->vq.event_idx = true;
	virtq_notify_on_next_avail(&f->vq);
	/* avail_event (after the used ring) = the driver's avail idx, not last_avail_idx. */
	CHECK_EQ(get16(hva(f, USED_GPA + 4 + 8 * 8)), 3);
	virtq_set_avail_event(&f->vq);
	CHECK_EQ(get16(hva(f, USED_GPA + 4 + 8 * 8)), 2);
	fx_destroy(f);
}

static int count_drain(void *ctx, unsigned int *served)
{
	struct fixture *f = ctx;
	int ret;

	/* The first pass drains with kicks off (used flags NO_NOTIFY). */
	if (*served == 0)
		CHECK_EQ(get16(hva(f, USED_GPA)), 1);
	while ((ret = virtq_pop(&f->vq, &f->chain)) == 1) {
		virtq_push(&f->vq, f->chain.head, 0);
		(*served)++;
	}
	return ret;
}

static void test_serve_suppresses_kicks(void)
{
	struct fixture *f = fx_create(8);
	unsigned int served = 0;

	for (uint16_t i = 0; i < 3; i++) {
		fx_desc(f, i, DATA_GPA + i * 0x100, 0x100, F_WRITE, 0);
		fx_avail(f, i);
	}
	CHECK_EQ(virtq_serve(&f->vq, count_drain, f, &served), 0);
	CHECK_EQ(served, 3);
	CHECK_EQ(get16(hva(f, USED_GPA)), 0);       /* kicks are back on when it is done */
	virtq_enable_notify(&f->vq, false);
	CHECK_EQ(get16(hva(f, USED_GPA)), 1);
	fx_destroy(f);
}

TEST_MAIN(test_validate, test_simple_chain, test_zero_length, test_indirect, test_bad_indirect,
	  test_bad_indices, test_loops, test_chain_too_long, test_in_before_out, test_bad_buffers,
	  test_avail_jump, test_notify, test_chain_copy, test_batch_and_unpop, test_serve_suppresses_kicks)
