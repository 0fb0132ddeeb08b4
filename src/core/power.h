/* SPDX-License-Identifier: MIT */
/* How a platform device (ACPI PM, i8042) asks the VM to power off or reset. */
#ifndef VESSEL_CORE_POWER_H
#define VESSEL_CORE_POWER_H

enum power_event {
	POWER_EVENT_OFF,
	POWER_EVENT_RESET,
};

struct power_handler {
	void (*request)(void *ctx, enum power_event event);
	void *ctx;
};

static inline void power_request(const struct power_handler *h, enum power_event event)
{
	if (h->request)
		h->request(h->ctx, event);
}

#endif
