/* SPDX-License-Identifier: MIT */
/*
 * A 16550A UART (COM1): 16-byte FIFOs, interrupt driven (IER/IIR/LSR/MSR),
 * divisor latch, scratch, loopback. Output goes to a sink callback; input is
 * pushed by the event loop with serial_receive().
 */
#ifndef VESSEL_DEVICES_LEGACY_SERIAL_H
#define VESSEL_DEVICES_LEGACY_SERIAL_H

#include <stddef.h>
#include <stdint.h>

#include "core/bus.h"
#include "core/irq.h"

#define SERIAL_PORT_LEN 8

struct serial;

/* Called with bytes the guest transmitted (from a vCPU thread), with the
 * device lock held so output keeps the guest's order: it must not call back
 * into the device. */
typedef void (*serial_out_fn)(void *ctx, const uint8_t *buf, size_t len);

__attribute__((warn_unused_result))
struct serial *serial_create(struct irq_line irq, serial_out_fn out, void *out_ctx);
void serial_destroy(struct serial *s);

/* The bus ops: register with bus_register(pio, LAYOUT_PORT_COM1, SERIAL_PORT_LEN, &serial_ops, s). */
extern const struct bus_dev_ops serial_ops;

/*
 * Offers input bytes to the guest. Returns how many were accepted (the
 * receive buffer may be full); raises the receive interrupt as configured.
 */
size_t serial_receive(struct serial *s, const uint8_t *buf, size_t len);

/* Free space in the receive buffer, so the event loop reads no more than fits. */
size_t serial_rx_space(struct serial *s);

/*
 * Snapshot: save writes the guest-visible state (registers and the receive
 * buffer); load checks it (0 or -EINVAL, nothing applied on error), applies
 * it and re-raises the interrupt line if the state says it is high.
 */
struct snap_writer;
struct snap_reader;
void serial_save(struct serial *s, struct snap_writer *w);
__attribute__((warn_unused_result))
int serial_load(struct serial *s, struct snap_reader *r);

#endif
