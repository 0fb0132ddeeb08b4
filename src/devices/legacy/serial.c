/* SPDX-License-Identifier: MIT */
/*
 * 16550A UART, modelled on what Linux's 8250 driver expects and QEMU's
 * serial.c does.
 *
 * Transmit is instantaneous: a THR write hands the byte to the out callback
 * (or, in loopback, to the receiver) and THR/TSR are empty again at once.
 *
 * Receive: the guest sees a 16-byte FIFO (1 byte with FIFOs disabled). Behind
 * it sits a 4096-byte input buffer that serial_receive() fills, so a paste
 * larger than the FIFO is not lost; bytes past the FIFO's size are "still on
 * the wire" and move into the FIFO as the guest drains it. A FIFO reset only
 * drops the bytes in the guest-visible FIFO. Loopback bytes overrun (LSR.OE)
 * when the visible FIFO is full; while in loopback serial_receive() takes
 * nothing (the input pin is disconnected). Received data raises the "received data
 * available" interrupt as soon as one byte is there (trigger level and
 * character timeout are not modelled; Linux treats both sources alike).
 *
 * The interrupt output is not gated by MCR.OUT2 (as in QEMU): the line is
 * high while any enabled interrupt condition is pending, low otherwise, and
 * irq_line_set() is called only when that level changes.
 *
 * Locking: every entry point takes the device mutex. The out callback is
 * called with the mutex held (so output keeps the guest's order across
 * vCPUs); it must not call back into this device.
 */
#include "devices/legacy/serial.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

#include "devices/legacy/legacy_io.h"
#include "snapshot/snap_buf.h"

#define SERIAL_FIFO_LEN		16
#define SERIAL_RX_BUF_LEN	4096

/* Register offsets. */
#define UART_RBR	0	/* read, DLAB=0 */
#define UART_THR	0	/* write, DLAB=0 */
#define UART_DLL	0	/* DLAB=1 */
#define UART_IER	1	/* DLAB=0 */
#define UART_DLM	1	/* DLAB=1 */
#define UART_IIR	2	/* read */
#define UART_FCR	2	/* write */
#define UART_LCR	3
#define UART_MCR	4
#define UART_LSR	5
#define UART_MSR	6
#define UART_SCR	7

#define UART_IER_RDI	0x01
#define UART_IER_THRI	0x02
#define UART_IER_RLSI	0x04
#define UART_IER_MSI	0x08
#define UART_IER_MASK	0x0f

#define UART_IIR_NO_INT	0x01
#define UART_IIR_MSI	0x00
#define UART_IIR_THRI	0x02
#define UART_IIR_RDI	0x04
#define UART_IIR_RLSI	0x06
#define UART_IIR_FIFO	0xc0

#define UART_FCR_ENABLE	0x01
#define UART_FCR_CLR_RX	0x02
#define UART_FCR_CLR_TX	0x04
#define UART_FCR_KEEP	0xc9	/* trigger level, DMA mode, enable */

#define UART_LCR_DLAB	0x80

#define UART_MCR_DTR	0x01
#define UART_MCR_RTS	0x02
#define UART_MCR_OUT1	0x04
#define UART_MCR_OUT2	0x08
#define UART_MCR_LOOP	0x10
#define UART_MCR_MASK	0x1f

#define UART_LSR_DR	0x01
#define UART_LSR_OE	0x02
#define UART_LSR_THRE	0x20
#define UART_LSR_TEMT	0x40

#define UART_MSR_DCTS	0x01
#define UART_MSR_DDSR	0x02
#define UART_MSR_TERI	0x04
#define UART_MSR_DDCD	0x08
#define UART_MSR_DELTA	0x0f
#define UART_MSR_CTS	0x10
#define UART_MSR_DSR	0x20
#define UART_MSR_RI	0x40
#define UART_MSR_DCD	0x80

/* Guest-visible register state; plain fixed-width data for snapshots. */
struct serial_state {
	uint8_t ier;
	uint8_t fcr;		/* the kept FCR bits (enable, trigger level) */
	uint8_t lcr;
	uint8_t mcr;
	uint8_t lsr_oe;		/* LSR.OE latched until LSR is read */
	uint8_t msr;		/* line bits + deltas */
	uint8_t scr;
	uint8_t dll;
	uint8_t dlm;
	uint8_t thr_ipending;	/* THRE interrupt pending */
	/* Receive ring; a restore must check rx_head < and rx_count <= SERIAL_RX_BUF_LEN. */
	uint16_t rx_head;
	uint16_t rx_count;
	uint8_t rx_buf[SERIAL_RX_BUF_LEN];
};

struct serial {
	pthread_mutex_t lock;
	struct serial_state st;
	struct irq_line irq;
	int irq_level;
	serial_out_fn out;
	void *out_ctx;
};

static uint32_t serial_fifo_len(const struct serial *s)
{
	return (s->st.fcr & UART_FCR_ENABLE) ? SERIAL_FIFO_LEN : 1;
}

/* Bytes in the guest-visible receive FIFO. */
static uint32_t serial_rx_visible(const struct serial *s)
{
	uint32_t fifo = serial_fifo_len(s);

	return s->st.rx_count < fifo ? s->st.rx_count : fifo;
}

static uint8_t serial_iir(const struct serial *s)
{
	const struct serial_state *st = &s->st;
	uint8_t fifo = (st->fcr & UART_FCR_ENABLE) ? UART_IIR_FIFO : 0;

	if ((st->ier & UART_IER_RLSI) && st->lsr_oe)
		return fifo | UART_IIR_RLSI;
	if ((st->ier & UART_IER_RDI) && st->rx_count)
		return fifo | UART_IIR_RDI;
	if ((st->ier & UART_IER_THRI) && st->thr_ipending)
		return fifo | UART_IIR_THRI;
	if ((st->ier & UART_IER_MSI) && (st->msr & UART_MSR_DELTA))
		return fifo | UART_IIR_MSI;
	return fifo | UART_IIR_NO_INT;
}

static void serial_update_irq(struct serial *s)
{
	int level = !(serial_iir(s) & UART_IIR_NO_INT);

	if (level != s->irq_level) {
		s->irq_level = level;
		irq_line_set(&s->irq, level);
	}
}

/* MSR line bits: in loopback they mirror MCR, else the line is always up. */
static uint8_t serial_msr_lines(uint8_t mcr)
{
	uint8_t msr = 0;

	if (!(mcr & UART_MCR_LOOP))
		return UART_MSR_CTS | UART_MSR_DSR | UART_MSR_DCD;
	if (mcr & UART_MCR_RTS)
		msr |= UART_MSR_CTS;
	if (mcr & UART_MCR_DTR)
		msr |= UART_MSR_DSR;
	if (mcr & UART_MCR_OUT1)
		msr |= UART_MSR_RI;
	if (mcr & UART_MCR_OUT2)
		msr |= UART_MSR_DCD;
	return msr;
}

static void serial_set_msr_lines(struct serial *s, uint8_t lines)
{
	uint8_t old = s->st.msr;
	uint8_t delta = old & UART_MSR_DELTA;
	uint8_t changed = (old ^ lines) & 0xf0;

	if (changed & UART_MSR_CTS)
		delta |= UART_MSR_DCTS;
	if (changed & UART_MSR_DSR)
		delta |= UART_MSR_DDSR;
	if ((old & UART_MSR_RI) && !(lines & UART_MSR_RI))
		delta |= UART_MSR_TERI;	/* trailing edge only */
	if (changed & UART_MSR_DCD)
		delta |= UART_MSR_DDCD;
	s->st.msr = lines | delta;
}

static void serial_rx_push(struct serial *s, uint8_t byte)
{
	uint32_t tail = (s->st.rx_head + s->st.rx_count) % SERIAL_RX_BUF_LEN;

	s->st.rx_buf[tail] = byte;
	s->st.rx_count++;
}

static uint8_t serial_rx_pop(struct serial *s)
{
	uint8_t byte;

	if (!s->st.rx_count)
		return 0;
	byte = s->st.rx_buf[s->st.rx_head];
	s->st.rx_head = (s->st.rx_head + 1) % SERIAL_RX_BUF_LEN;
	s->st.rx_count--;
	return byte;
}

static void serial_clear_rx_fifo(struct serial *s)
{
	uint32_t n = serial_rx_visible(s);

	s->st.rx_head = (s->st.rx_head + n) % SERIAL_RX_BUF_LEN;
	s->st.rx_count -= n;
	s->st.lsr_oe = 0;
}

static void serial_transmit(struct serial *s, uint8_t byte)
{
	s->st.thr_ipending = 0;
	if (s->st.mcr & UART_MCR_LOOP) {
		if (serial_rx_visible(s) < serial_fifo_len(s) &&
		    s->st.rx_count < SERIAL_RX_BUF_LEN)
			serial_rx_push(s, byte);
		else
			s->st.lsr_oe = 1;
	} else if (s->out) {
		s->out(s->out_ctx, &byte, 1);
	}
	/* THR and TSR are empty again at once. */
	s->st.thr_ipending = !!(s->st.ier & UART_IER_THRI);
}

static void serial_write_ier(struct serial *s, uint8_t val)
{
	uint8_t changed = (s->st.ier ^ val) & UART_IER_MASK;

	s->st.ier = val & UART_IER_MASK;
	/* Enabling THRI with an empty THR raises THRE (Linux's THRE test and
	 * Windows rely on it being re-sampled on the rising edge). */
	if (changed & UART_IER_THRI)
		s->st.thr_ipending = !!(s->st.ier & UART_IER_THRI);
}

static void serial_write_fcr(struct serial *s, uint8_t val)
{
	/* Toggling FIFO enable resets both FIFOs. */
	if ((val ^ s->st.fcr) & UART_FCR_ENABLE)
		val |= UART_FCR_CLR_RX | UART_FCR_CLR_TX;
	/* Clear before switching size so the old FIFO's bytes are the ones dropped. */
	if (val & UART_FCR_CLR_RX)
		serial_clear_rx_fifo(s);
	/* The transmit FIFO is always empty: nothing to clear. */
	s->st.fcr = val & UART_FCR_KEEP;
}

static void serial_write_reg(struct serial *s, uint32_t reg, uint8_t val)
{
	struct serial_state *st = &s->st;
	bool dlab = st->lcr & UART_LCR_DLAB;

	switch (reg) {
	case UART_THR:
		if (dlab)
			st->dll = val;
		else
			serial_transmit(s, val);
		break;
	case UART_IER:
		if (dlab)
			st->dlm = val;
		else
			serial_write_ier(s, val);
		break;
	case UART_FCR:
		serial_write_fcr(s, val);
		break;
	case UART_LCR:
		st->lcr = val;
		break;
	case UART_MCR:
		st->mcr = val & UART_MCR_MASK;
		serial_set_msr_lines(s, serial_msr_lines(st->mcr));
		break;
	case UART_LSR:
		/* Factory test register on some parts; read-only here. */
		break;
	case UART_MSR:
		break;
	case UART_SCR:
		st->scr = val;
		break;
	}
	serial_update_irq(s);
}

static uint8_t serial_read_reg(struct serial *s, uint32_t reg)
{
	struct serial_state *st = &s->st;
	bool dlab = st->lcr & UART_LCR_DLAB;
	uint8_t val = 0xff;

	switch (reg) {
	case UART_RBR:
		val = dlab ? st->dll : serial_rx_pop(s);
		break;
	case UART_IER:
		val = dlab ? st->dlm : st->ier;
		break;
	case UART_IIR:
		val = serial_iir(s);
		/* Reading IIR acknowledges a THRE interrupt it reports. */
		if ((val & 0x0f) == UART_IIR_THRI)
			st->thr_ipending = 0;
		break;
	case UART_LCR:
		val = st->lcr;
		break;
	case UART_MCR:
		val = st->mcr;
		break;
	case UART_LSR:
		val = UART_LSR_THRE | UART_LSR_TEMT;
		if (st->rx_count)
			val |= UART_LSR_DR;
		if (st->lsr_oe)
			val |= UART_LSR_OE;
		st->lsr_oe = 0;
		break;
	case UART_MSR:
		val = st->msr;
		st->msr &= ~UART_MSR_DELTA;
		break;
	case UART_SCR:
		val = st->scr;
		break;
	}
	serial_update_irq(s);
	return val;
}

static void serial_read(void *opaque, uint64_t offset, void *data, uint32_t len)
{
	struct serial *s = opaque;
	uint8_t val = 0xff;

	if (offset < SERIAL_PORT_LEN) {
		pthread_mutex_lock(&s->lock);
		val = serial_read_reg(s, (uint32_t)offset);
		pthread_mutex_unlock(&s->lock);
	}
	legacy_io_fill(data, len, val);
}

static void serial_write(void *opaque, uint64_t offset, const void *data, uint32_t len)
{
	struct serial *s = opaque;

	if (!len || offset >= SERIAL_PORT_LEN)
		return;
	pthread_mutex_lock(&s->lock);
	serial_write_reg(s, (uint32_t)offset, legacy_io_byte(data, len));
	pthread_mutex_unlock(&s->lock);
}

const struct bus_dev_ops serial_ops = {
	.read = serial_read,
	.write = serial_write,
};

/* In loopback the serial input is disconnected: host bytes wait outside. */
static size_t serial_rx_space_locked(const struct serial *s)
{
	if (s->st.mcr & UART_MCR_LOOP)
		return 0;
	return SERIAL_RX_BUF_LEN - s->st.rx_count;
}

size_t serial_receive(struct serial *s, const uint8_t *buf, size_t len)
{
	size_t space, n;

	pthread_mutex_lock(&s->lock);
	space = serial_rx_space_locked(s);
	n = len < space ? len : space;
	for (size_t i = 0; i < n; i++)
		serial_rx_push(s, buf[i]);
	serial_update_irq(s);
	pthread_mutex_unlock(&s->lock);
	return n;
}

size_t serial_rx_space(struct serial *s)
{
	size_t space;

	pthread_mutex_lock(&s->lock);
	space = serial_rx_space_locked(s);
	pthread_mutex_unlock(&s->lock);
	return space;
}

struct serial *serial_create(struct irq_line irq, serial_out_fn out, void *out_ctx)
{
	struct serial *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	if (pthread_mutex_init(&s->lock, NULL))
		goto out_free;
	s->irq = irq;
	s->out = out;
	s->out_ctx = out_ctx;
	/* Power-on values: divisor 12 (9600 baud), modem lines up. */
	s->st.dll = 0x0c;
	s->st.msr = serial_msr_lines(0);
	return s;

out_free:
	free(s);
	return NULL;
}

void serial_destroy(struct serial *s)
{
	if (!s)
		return;
	pthread_mutex_destroy(&s->lock);
	free(s);
}

void serial_save(struct serial *s, struct snap_writer *w)
{
	pthread_mutex_lock(&s->lock);
	snap_put(w, &s->st, sizeof(s->st));
	pthread_mutex_unlock(&s->lock);
}

int serial_load(struct serial *s, struct snap_reader *r)
{
	struct serial_state st;

	if (snap_get_exact(r, &st, sizeof(st)))
		return -EINVAL;
	if (st.rx_head >= SERIAL_RX_BUF_LEN || st.rx_count > SERIAL_RX_BUF_LEN ||
	    (st.ier & ~UART_IER_MASK) || (st.mcr & ~UART_MCR_MASK) || st.thr_ipending > 1)
		return -EINVAL;
	pthread_mutex_lock(&s->lock);
	s->st = st;
	/* The irqchip's own line state is not in KVM's irqchip snapshot: raise it again. */
	s->irq_level = 0;
	serial_update_irq(s);
	pthread_mutex_unlock(&s->lock);
	return 0;
}
