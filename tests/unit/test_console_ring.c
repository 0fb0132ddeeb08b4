/* SPDX-License-Identifier: MIT */
#include <string.h>

#include "core/console_ring.h"
#include "test.h"

/* The byte at stream position pos in every test: a pattern that shows misplaced bytes. */
static uint8_t pattern(uint64_t pos)
{
	return (uint8_t)(pos * 7 + (pos >> 8));
}

static void write_pattern(struct console_ring *ring, uint64_t from, size_t len)
{
	static uint8_t buf[3 * CONSOLE_RING_SIZE];

	for (size_t i = 0; i < len; i++)
		buf[i] = pattern(from + i);
	console_ring_write(ring, buf, len);
}

/* Checks that the ring holds exactly positions [first, head) with the pattern. */
static void check_contents(const struct console_ring *ring, uint64_t first)
{
	static uint8_t got[CONSOLE_RING_SIZE + 16];
	size_t want = (size_t)(ring->head - first), n, bad = 0;

	CHECK_EQ(console_ring_oldest(ring), first);
	n = console_ring_copy(ring, first, got, sizeof(got));
	CHECK_EQ(n, want);
	for (size_t i = 0; i < n; i++)
		bad += got[i] != pattern(first + i);
	CHECK_EQ(bad, 0);
}

static void test_empty(void)
{
	static struct console_ring ring;
	const uint8_t *data = NULL;
	uint8_t buf[4];

	console_ring_init(&ring);
	CHECK_EQ(ring.head, 0);
	CHECK_EQ(console_ring_oldest(&ring), 0);
	CHECK(console_ring_holds(&ring, 0));
	CHECK(!console_ring_holds(&ring, 1));
	CHECK_EQ(console_ring_peek(&ring, 0, &data), 0);
	CHECK_EQ(console_ring_copy(&ring, 0, buf, sizeof(buf)), 0);
}

static void test_history_before_wrap(void)
{
	static struct console_ring ring;
	const uint8_t *data;

	console_ring_init(&ring);
	console_ring_write(&ring, (const uint8_t *)"hello\r\n", 7);
	console_ring_write(&ring, (const uint8_t *)"world\r\n", 7);
	CHECK_EQ(ring.head, 14);
	CHECK_EQ(console_ring_oldest(&ring), 0);
	CHECK_EQ(console_ring_peek(&ring, 0, &data), 14);
	CHECK(!memcmp(data, "hello\r\nworld\r\n", 14));
	/* A reader part way through gets the rest. */
	CHECK_EQ(console_ring_peek(&ring, 7, &data), 7);
	CHECK(!memcmp(data, "world\r\n", 7));
	CHECK_EQ(console_ring_peek(&ring, 14, &data), 0);
}

/* Many small writes across several wraps: the last RING_SIZE bytes remain, in order. */
static void test_wrap_around_small_writes(void)
{
	static struct console_ring ring;
	uint64_t pos = 0, seed = 42;

	console_ring_init(&ring);
	while (pos < 3 * CONSOLE_RING_SIZE + 1234) {
		size_t len = 1 + test_rand(&seed) % 700;

		write_pattern(&ring, pos, len);
		pos += len;
	}
	CHECK_EQ(ring.head, pos);
	check_contents(&ring, pos - CONSOLE_RING_SIZE);
}

/* One write larger than the ring keeps only its tail. */
static void test_oversized_write(void)
{
	static struct console_ring ring;

	console_ring_init(&ring);
	write_pattern(&ring, 0, 100);
	write_pattern(&ring, 100, 2 * CONSOLE_RING_SIZE + 5);
	CHECK_EQ(ring.head, 2 * CONSOLE_RING_SIZE + 105);
	check_contents(&ring, 105 + CONSOLE_RING_SIZE);
	/* Exactly full. */
	console_ring_init(&ring);
	write_pattern(&ring, 0, CONSOLE_RING_SIZE);
	check_contents(&ring, 0);
}

/* A reader across the wrap point gets two pieces; one that fell behind gets nothing. */
static void test_peek_at_wrap_and_lagging_reader(void)
{
	static struct console_ring ring;
	const uint8_t *data;
	uint64_t reader = CONSOLE_RING_SIZE - 10;
	size_t n;

	console_ring_init(&ring);
	write_pattern(&ring, 0, CONSOLE_RING_SIZE + 30);
	CHECK(console_ring_holds(&ring, reader));
	n = console_ring_peek(&ring, reader, &data);
	CHECK_EQ(n, 10);    /* up to the end of the buffer */
	CHECK_EQ(data[0], pattern(reader));
	CHECK_EQ(data[9], pattern(reader + 9));
	n = console_ring_peek(&ring, reader + 10, &data);
	CHECK_EQ(n, 30);    /* from the start of the buffer */
	CHECK_EQ(data[0], pattern(reader + 10));
	CHECK_EQ(data[29], pattern(reader + 39));

	/* Positions 0..29 were overwritten: such a reader has lost output. */
	CHECK(!console_ring_holds(&ring, 29));
	CHECK(console_ring_holds(&ring, 30));
	CHECK_EQ(console_ring_peek(&ring, 0, &data), 0);
	CHECK_EQ(console_ring_copy(&ring, 29, (uint8_t[4]){ 0 }, 4), 0);
	/* Beyond the head is not held either. */
	CHECK(!console_ring_holds(&ring, ring.head + 1));
	CHECK_EQ(console_ring_peek(&ring, ring.head + 1, &data), 0);
}

/* A snapshot taken while output goes on is a consistent prefix: copy limits are honoured. */
static void test_copy_limits(void)
{
	static struct console_ring ring;
	uint8_t buf[16] = { 0 };

	console_ring_init(&ring);
	write_pattern(&ring, 0, CONSOLE_RING_SIZE + 8);
	CHECK_EQ(console_ring_copy(&ring, CONSOLE_RING_SIZE - 4, buf, 10), 10);
	for (int i = 0; i < 10; i++)
		CHECK_EQ(buf[i], pattern(CONSOLE_RING_SIZE - 4 + i));
	CHECK_EQ(buf[10], 0);
	CHECK_EQ(console_ring_copy(&ring, ring.head - 3, buf, sizeof(buf)), 3);
}

TEST_MAIN(test_empty, test_history_before_wrap, test_wrap_around_small_writes, test_oversized_write,
	  test_peek_at_wrap_and_lagging_reader, test_copy_limits)
