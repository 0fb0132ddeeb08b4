/* SPDX-License-Identifier: MIT */
#include "core/console_ring.h"

#include <string.h>

_Static_assert((CONSOLE_RING_SIZE & (CONSOLE_RING_SIZE - 1)) == 0, "the ring size is a power of two");

#define RING_INDEX(pos) ((size_t)((pos) & (CONSOLE_RING_SIZE - 1)))

void console_ring_init(struct console_ring *ring)
{
	ring->head = 0;
}

void console_ring_write(struct console_ring *ring, const uint8_t *buf, size_t len)
{
	/* Only the last CONSOLE_RING_SIZE bytes survive: skip the rest. */
	if (len > CONSOLE_RING_SIZE) {
		ring->head += len - CONSOLE_RING_SIZE;
		buf += len - CONSOLE_RING_SIZE;
		len = CONSOLE_RING_SIZE;
	}
	while (len) {
		size_t at = RING_INDEX(ring->head);
		size_t n = CONSOLE_RING_SIZE - at;

		if (n > len)
			n = len;
		memcpy(ring->data + at, buf, n);
		ring->head += n;
		buf += n;
		len -= n;
	}
}

uint64_t console_ring_oldest(const struct console_ring *ring)
{
	return ring->head > CONSOLE_RING_SIZE ? ring->head - CONSOLE_RING_SIZE : 0;
}

bool console_ring_holds(const struct console_ring *ring, uint64_t pos)
{
	return pos >= console_ring_oldest(ring) && pos <= ring->head;
}

size_t console_ring_peek(const struct console_ring *ring, uint64_t pos, const uint8_t **data)
{
	size_t at, n;

	if (!console_ring_holds(ring, pos) || pos == ring->head)
		return 0;
	at = RING_INDEX(pos);
	n = CONSOLE_RING_SIZE - at;
	if (n > ring->head - pos)
		n = (size_t)(ring->head - pos);
	*data = ring->data + at;
	return n;
}

size_t console_ring_copy(const struct console_ring *ring, uint64_t pos, uint8_t *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		const uint8_t *data;
		size_t n = console_ring_peek(ring, pos + done, &data);

		if (!n)
			break;
		if (n > len - done)
			n = len - done;
		memcpy(buf + done, data, n);
		done += n;
	}
	return done;
}
