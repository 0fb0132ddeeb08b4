/* SPDX-License-Identifier: MIT */
/* Sleeping on the LAPIC one-shot timer (vector VEC_TIMER), in hlt, not spinning. */
#ifndef VESSEL_GUEST_TIMER_H
#define VESSEL_GUEST_TIMER_H

#include <stdbool.h>
#include <stdint.h>

/*
 * Sleeps about ms milliseconds, or less if counter (when not NULL) moves
 * away from seen. True if it did (checked once more at the end).
 */
bool timer_wait(const volatile uint32_t *counter, uint32_t seen, uint32_t ms);

#endif
