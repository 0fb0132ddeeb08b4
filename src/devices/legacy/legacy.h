/* SPDX-License-Identifier: MIT */
/*
 * The small PC platform devices vessel emulates in user space. Each one is
 * created from its configuration, registers its port range on the PIO bus
 * with the ops below, and is destroyed with its *_destroy().
 */
#ifndef VESSEL_DEVICES_LEGACY_LEGACY_H
#define VESSEL_DEVICES_LEGACY_LEGACY_H

#include <stdint.h>

#include "core/bus.h"
#include "core/irq.h"
#include "core/power.h"

/*
 * Snapshot: each device's save writes its guest-visible *_state; load
 * checks it (0 or -EINVAL, nothing applied on error) and applies it.
 */
struct snap_writer;
struct snap_reader;

/* i8042 keyboard controller: ports 0x60 (data) to 0x64 (command/status),
 * registered as one range of I8042_PORT_LEN from 0x60 (0x61 is the PIT's
 * speaker port, handled inside KVM, so it never reaches the device). Enough of
 * the controller for Linux to probe it (keyboard data raises kbd_irq, IRQ 1),
 * and command 0xfe (pulse reset line) requests POWER_EVENT_RESET. */
#define I8042_PORT_LEN 5
struct i8042;
__attribute__((warn_unused_result))
struct i8042 *i8042_create(struct irq_line kbd_irq, struct power_handler power);
void i8042_destroy(struct i8042 *dev);
extern const struct bus_dev_ops i8042_ops;
void i8042_save(struct i8042 *dev, struct snap_writer *w);
__attribute__((warn_unused_result))
int i8042_load(struct i8042 *dev, struct snap_reader *r);

/* CMOS / RTC (MC146818): ports 0x70 (index, bit 7 = NMI mask) and 0x71
 * (data). Host wall-clock time in BCD or binary as the guest selects,
 * 24/12 h, update-in-progress, the RAM-size bytes firmware reads
 * (0x15-0x18, 0x30-0x31, 0x34-0x35, 0x5b-0x5d), and 128 bytes of CMOS RAM. */
#define CMOS_PORT_LEN 2
struct cmos;
__attribute__((warn_unused_result))
struct cmos *cmos_create(struct irq_line irq, uint64_t ram_below_4g, uint64_t ram_above_4g);
void cmos_destroy(struct cmos *dev);
extern const struct bus_dev_ops cmos_ops;
/* The RTC keeps its offset from host time: a restored guest's clock reads the host's time + offset. */
void cmos_save(struct cmos *dev, struct snap_writer *w);
__attribute__((warn_unused_result))
int cmos_load(struct cmos *dev, struct snap_reader *r);

/* ACPI hardware-reduced registers at LAYOUT_PORT_ACPI_SLEEP_CTL (3 ports):
 * sleep control (write SLP_EN | SLP_TYP=S5 -> POWER_EVENT_OFF), sleep status,
 * reset register (write LAYOUT_ACPI_RESET_VALUE -> POWER_EVENT_RESET). */
#define ACPI_PM_PORT_LEN 3
struct acpi_pm;
__attribute__((warn_unused_result))
struct acpi_pm *acpi_pm_create(struct power_handler power);
void acpi_pm_destroy(struct acpi_pm *dev);
extern const struct bus_dev_ops acpi_pm_ops;
void acpi_pm_save(struct acpi_pm *dev, struct snap_writer *w);
__attribute__((warn_unused_result))
int acpi_pm_load(struct acpi_pm *dev, struct snap_reader *r);

#endif
