/* SPDX-License-Identifier: MIT */
/*
 * QEMU's debug console port (isa-debugcon), where SeaBIOS writes its debug
 * log: reads return 0xe9, which SeaBIOS takes as "the port is there";
 * bytes written become log lines ("firmware: ..."), one per newline or
 * every DEBUGCON_LINE_MAX bytes. vessel registers it only when debug
 * messages are on (-vv): every byte is a VM exit.
 */
#ifndef VESSEL_DEVICES_LEGACY_DEBUGCON_H
#define VESSEL_DEVICES_LEGACY_DEBUGCON_H

#include "core/bus.h"

#define DEBUGCON_PORT_LEN   1
#define DEBUGCON_READBACK   0xe9
#define DEBUGCON_LINE_MAX   200

struct debugcon;

__attribute__((warn_unused_result))
struct debugcon *debugcon_create(const char *prefix);
/* Logs what is left of the last line. */
void debugcon_destroy(struct debugcon *dc);
extern const struct bus_dev_ops debugcon_ops;

#endif
