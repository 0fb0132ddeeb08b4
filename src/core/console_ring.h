/* SPDX-License-Identifier: MIT */
/*
 * The recent output of a console: a fixed ring of the last
 * CONSOLE_RING_SIZE bytes. Every byte written has a stream position (0 for
 * the first byte ever); a reader keeps its own position and reads from it
 * while the ring still holds it, so one ring serves as history and as the
 * send queue of every reader. Not locked: the caller serializes.
 */
#ifndef VESSEL_CORE_CONSOLE_RING_H
#define VESSEL_CORE_CONSOLE_RING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CONSOLE_RING_SIZE (64 * 1024)

struct console_ring {
	uint64_t head;              /* bytes ever written: the next byte's position */
	uint8_t data[CONSOLE_RING_SIZE];
};

void console_ring_init(struct console_ring *ring);

/* Appends buf; beyond CONSOLE_RING_SIZE the oldest bytes are overwritten. */
void console_ring_write(struct console_ring *ring, const uint8_t *buf, size_t len);

/* The position of the oldest byte the ring still holds. */
uint64_t console_ring_oldest(const struct console_ring *ring);

/* Whether a reader at pos can go on: nothing it has not read was overwritten. */
bool console_ring_holds(const struct console_ring *ring, uint64_t pos);

/*
 * The bytes from pos on that lie contiguously in the ring: points *data at
 * them and returns how many (at most up to the wrap point; call again after
 * consuming them). 0 when pos is the head or the ring no longer holds pos.
 */
size_t console_ring_peek(const struct console_ring *ring, uint64_t pos, const uint8_t **data);

/* Copies up to len bytes from pos on into buf; returns how many (0 as for peek). */
size_t console_ring_copy(const struct console_ring *ring, uint64_t pos, uint8_t *buf, size_t len);

#endif
