/* SPDX-License-Identifier: MIT */
/*
 * An interrupt line as a device sees it: a GSI and a function that drives it.
 * The VM backs it with KVM_IRQ_LINE; unit tests back it with a recorder.
 */
#ifndef VESSEL_CORE_IRQ_H
#define VESSEL_CORE_IRQ_H

#include <stdint.h>

struct irq_line {
	void (*set)(void *ctx, uint32_t gsi, int level);
	void *ctx;
	uint32_t gsi;
};

static inline void irq_line_set(const struct irq_line *line, int level)
{
	if (line->set)
		line->set(line->ctx, line->gsi, level);
}

#endif
