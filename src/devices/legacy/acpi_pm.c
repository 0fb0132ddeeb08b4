/* SPDX-License-Identifier: MIT */
/*
 * ACPI hardware-reduced sleep control / status and reset registers (the FADT
 * points at them): offset 0 sleep control, 1 sleep status, 2 reset.
 * Only S5 (soft off) is supported; other sleep types are ignored and logged.
 * The power handler is called after the device mutex is dropped.
 */
#include "devices/legacy/legacy.h"

#include <pthread.h>
#include <stdlib.h>

#include "arch/x86/layout.h"
#include "core/log.h"
#include "devices/legacy/legacy_io.h"
#include "snapshot/snap_buf.h"

#define ACPI_PM_SLEEP_CTL	0
#define ACPI_PM_SLEEP_STS	1
#define ACPI_PM_RESET		2

#define SLP_EN		0x20
#define SLP_TYP_SHIFT	2
#define SLP_TYP_MASK	0x07

/* Guest-visible state; plain fixed-width data for snapshots. */
struct acpi_pm_state {
	uint8_t sleep_ctl;	/* last SLP_TYP written; SLP_EN is write-only */
};

struct acpi_pm {
	pthread_mutex_t lock;
	struct acpi_pm_state st;
	struct power_handler power;
};

static void acpi_pm_read(void *opaque, uint64_t offset, void *data, uint32_t len)
{
	struct acpi_pm *pm = opaque;
	uint8_t val = 0xff;

	switch (offset) {
	case ACPI_PM_SLEEP_CTL:
		pthread_mutex_lock(&pm->lock);
		val = pm->st.sleep_ctl;
		pthread_mutex_unlock(&pm->lock);
		break;
	case ACPI_PM_SLEEP_STS:
	case ACPI_PM_RESET:
		val = 0;	/* never woken; the reset register is write-only */
		break;
	}
	legacy_io_fill(data, len, val);
}

/* Returns the power event the sleep-control write asks for, or -1. */
static int acpi_pm_write_sleep_ctl(struct acpi_pm *pm, uint8_t val)
{
	uint8_t typ = (val >> SLP_TYP_SHIFT) & SLP_TYP_MASK;

	pthread_mutex_lock(&pm->lock);
	pm->st.sleep_ctl = val & (SLP_TYP_MASK << SLP_TYP_SHIFT);
	pthread_mutex_unlock(&pm->lock);
	if (!(val & SLP_EN))
		return -1;
	if (typ == LAYOUT_ACPI_SLP_TYP_S5)
		return POWER_EVENT_OFF;
	log_guest("acpi_pm: sleep type %u not supported, ignored", typ);
	return -1;
}

static void acpi_pm_write(void *opaque, uint64_t offset, const void *data, uint32_t len)
{
	struct acpi_pm *pm = opaque;
	uint8_t val = legacy_io_byte(data, len);
	int event = -1;

	if (!len)
		return;
	switch (offset) {
	case ACPI_PM_SLEEP_CTL:
		event = acpi_pm_write_sleep_ctl(pm, val);
		break;
	case ACPI_PM_SLEEP_STS:
		break;	/* write-1-to-clear WAK_STS: never set */
	case ACPI_PM_RESET:
		if (val == LAYOUT_ACPI_RESET_VALUE)
			event = POWER_EVENT_RESET;
		break;
	}
	if (event >= 0)
		power_request(&pm->power, (enum power_event)event);
}

const struct bus_dev_ops acpi_pm_ops = {
	.read = acpi_pm_read,
	.write = acpi_pm_write,
};

struct acpi_pm *acpi_pm_create(struct power_handler power)
{
	struct acpi_pm *pm = calloc(1, sizeof(*pm));

	if (!pm)
		return NULL;
	if (pthread_mutex_init(&pm->lock, NULL))
		goto out_free;
	pm->power = power;
	return pm;

out_free:
	free(pm);
	return NULL;
}

void acpi_pm_destroy(struct acpi_pm *dev)
{
	if (!dev)
		return;
	pthread_mutex_destroy(&dev->lock);
	free(dev);
}

void acpi_pm_save(struct acpi_pm *dev, struct snap_writer *w)
{
	pthread_mutex_lock(&dev->lock);
	snap_put(w, &dev->st, sizeof(dev->st));
	pthread_mutex_unlock(&dev->lock);
}

int acpi_pm_load(struct acpi_pm *dev, struct snap_reader *r)
{
	struct acpi_pm_state st;

	if (snap_get_exact(r, &st, sizeof(st)))
		return -EINVAL;
	pthread_mutex_lock(&dev->lock);
	dev->st = st;
	pthread_mutex_unlock(&dev->lock);
	return 0;
}
