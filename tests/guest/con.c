// SPDX-License-Identifier: MIT
/* COM1 console: every port access is a VM exit, so they are counted carefully. */
#include "con.h"
#include "lib.h"
#include "sys.h"

#define UART_RBR	0
#define UART_THR	0
#define UART_IER	1
#define UART_FCR	2
#define UART_LCR	3
#define UART_MCR	4
#define UART_LSR	5
#define LSR_DR		0x01
#define LSR_THRE	0x20
#define UART_FIFO_SIZE	16

static volatile uint32_t con_lock;
static uint8_t con_rx[256];
static uint32_t con_rx_head, con_rx_tail;
static int con_last_cr;

void con_init(void)
{
	outb(COM1_PORT + UART_FCR, 0x07);
	outb(COM1_PORT + UART_LCR, 0x03);
	outb(COM1_PORT + UART_MCR, 0x0b);
}

void con_enable_rx_irq(void)
{
	outb(COM1_PORT + UART_IER, 0x01);
}

static void con_lock_take(void)
{
	while (__atomic_exchange_n(&con_lock, 1, __ATOMIC_ACQUIRE))
		cpu_relax();
}

static void con_lock_drop(void)
{
	__atomic_store_n(&con_lock, 0, __ATOMIC_RELEASE);
}

static void con_write_chunk(const char *s, size_t n)
{
	while (!(inb(COM1_PORT + UART_LSR) & LSR_THRE))
		cpu_relax();
	while (n--)
		outb(COM1_PORT + UART_THR, (uint8_t)*s++);
}

/* Expands \n to \r\n and hands the UART FIFO-sized chunks. */
void con_write(const char *s, size_t n)
{
	char chunk[UART_FIFO_SIZE];
	size_t len = 0;

	con_lock_take();
	while (n--) {
		char c = *s++;

		if (c == '\n') {
			if (len == UART_FIFO_SIZE) {
				con_write_chunk(chunk, len);
				len = 0;
			}
			chunk[len++] = '\r';
		}
		if (len == UART_FIFO_SIZE) {
			con_write_chunk(chunk, len);
			len = 0;
		}
		chunk[len++] = c;
	}
	if (len)
		con_write_chunk(chunk, len);
	con_lock_drop();
}

void con_printf(const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(buf) - 1)
		n = sizeof(buf) - 1;
	con_write(buf, (size_t)n);
}

/* Drain the receiver into con_rx; returns true if anything was read. */
static int con_drain_rx(void)
{
	int got = 0;

	while (inb(COM1_PORT + UART_LSR) & LSR_DR) {
		uint8_t c = inb(COM1_PORT + UART_RBR);

		if (con_rx_head - con_rx_tail < sizeof(con_rx))
			con_rx[con_rx_head++ % sizeof(con_rx)] = c;
		got = 1;
	}
	return got;
}

/*
 * User mode runs with IF=0, so an interrupt that arrives between the drain
 * and SYS_WAIT stays pending and ends the hlt right after its sti.
 */
int con_getc(void)
{
	while (con_rx_head == con_rx_tail) {
		if (!con_drain_rx())
			sys_wait();
	}
	return con_rx[con_rx_tail++ % sizeof(con_rx)];
}

size_t con_readline(char *buf, size_t size)
{
	size_t len = 0;

	for (;;) {
		int c = con_getc();

		if (c == '\n' && con_last_cr) {
			con_last_cr = 0;
			continue;	/* second half of a CR LF */
		}
		con_last_cr = c == '\r';
		if (c == '\r' || c == '\n') {
			con_write("\n", 1);
			break;
		}
		if (c == 0x08 || c == 0x7f) {
			if (len) {
				len--;
				con_write("\b \b", 3);
			}
			continue;
		}
		if (c < 0x20 || len + 1 >= size)
			continue;
		buf[len++] = (char)c;
		con_write((char *)&buf[len - 1], 1);
	}
	buf[len] = '\0';
	return len;
}
