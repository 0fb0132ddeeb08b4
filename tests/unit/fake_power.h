/* SPDX-License-Identifier: MIT */
/* A power_handler for device tests: counts power-off and reset requests. */
#ifndef VESSEL_TESTS_UNIT_FAKE_POWER_H
#define VESSEL_TESTS_UNIT_FAKE_POWER_H

#include "core/power.h"

struct fake_power {
	int off;
	int reset;
};

static void fake_power_request(void *ctx, enum power_event event)
{
	struct fake_power *p = ctx;

	if (event == POWER_EVENT_OFF)
		p->off++;
	else if (event == POWER_EVENT_RESET)
		p->reset++;
}

#endif
