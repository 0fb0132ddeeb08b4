/* SPDX-License-Identifier: MIT */
/*
 * COM1 console from user mode. Output is written up to 16 bytes (the 16550
 * FIFO) per LSR check; input is interrupt driven (see con_getc()).
 */
#ifndef VESSEL_GUEST_CON_H
#define VESSEL_GUEST_CON_H

#include <stddef.h>

#define COM1_PORT	0x3f8
#define COM1_ISA_IRQ	4

/* FIFO on, 8N1, DTR/RTS/OUT2 (OUT2 gates the IRQ line on a PC). */
void con_init(void);
/* Enable the receive-data interrupt; call once the IOAPIC/LAPIC route it. */
void con_enable_rx_irq(void);
void con_write(const char *s, size_t n);
void con_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Blocking read of one byte; sleeps in SYS_WAIT, never busy-polls. */
int con_getc(void);
/* Read a line with echo and backspace handling; returns its length. */
size_t con_readline(char *buf, size_t size);

#endif
