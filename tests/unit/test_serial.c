/* SPDX-License-Identifier: MIT */
/* 16550A: driven through its bus ops with a recording irq line and sink. */
#include <pthread.h>
#include <string.h>

#include "arch/x86/layout.h"
#include "devices/legacy/serial.h"
#include "test.h"

#define RBR 0
#define THR 0
#define DLL 0
#define IER 1
#define DLM 1
#define IIR 2
#define FCR 2
#define LCR 3
#define MCR 4
#define LSR 5
#define MSR 6
#define SCR 7

struct fake_irq {
	int level;
	int calls;
	int rises;
	int redundant;	/* set() called without a level change */
	uint32_t gsi;
};

static void fake_irq_set(void *ctx, uint32_t gsi, int level)
{
	struct fake_irq *f = ctx;

	f->gsi = gsi;
	f->calls++;
	if (level == f->level)
		f->redundant++;
	if (level && !f->level)
		f->rises++;
	f->level = level;
}

struct sink {
	uint8_t buf[8192];
	size_t len;
};

static void sink_out(void *ctx, const uint8_t *buf, size_t len)
{
	struct sink *k = ctx;

	for (size_t i = 0; i < len && k->len < sizeof(k->buf); i++)
		k->buf[k->len++] = buf[i];
}

struct rig {
	struct serial *s;
	struct fake_irq irq;
	struct sink sink;
};

static void rig_init(struct rig *r)
{
	memset(r, 0, sizeof(*r));
	r->s = serial_create((struct irq_line){ .set = fake_irq_set, .ctx = &r->irq,
						.gsi = LAYOUT_IRQ_COM1 },
			     sink_out, &r->sink);
	CHECK(r->s != NULL);
}

static uint8_t rd(struct rig *r, uint64_t off)
{
	uint8_t v;

	serial_ops.read(r->s, off, &v, 1);
	return v;
}

static void wr(struct rig *r, uint64_t off, uint8_t v)
{
	serial_ops.write(r->s, off, &v, 1);
}

/* Roughly what Linux's 8250 autoconfig + startup + set_termios do. */
static void test_linux_init(void)
{
	struct rig r;

	rig_init(&r);
	/* Scratch register test. */
	wr(&r, SCR, 0xa5);
	CHECK_EQ(rd(&r, SCR), 0xa5);
	wr(&r, SCR, 0x5a);
	CHECK_EQ(rd(&r, SCR), 0x5a);
	/* IER test: only the low 4 bits exist. */
	wr(&r, IER, 0);
	CHECK_EQ(rd(&r, IER), 0);
	wr(&r, IER, 0xff);
	CHECK_EQ(rd(&r, IER), 0x0f);
	wr(&r, IER, 0);
	/* FIFO detection: IIR bits 6-7 = 11 means 16550A. */
	wr(&r, LCR, 0);
	wr(&r, FCR, 0x01);
	CHECK_EQ(rd(&r, IIR) >> 6, 3);
	wr(&r, FCR, 0);
	CHECK_EQ(rd(&r, IIR) >> 6, 0);
	/* Loopback test: RTS|OUT2 in loopback reads back as CTS|DCD. */
	wr(&r, MCR, 0x10 | 0x0a);
	CHECK_EQ(rd(&r, MSR) & 0xf0, 0x90);
	wr(&r, MCR, 0);
	/* Divisor latch: 115200 baud, 8N1. */
	wr(&r, LCR, 0x80);
	wr(&r, DLL, 0x01);
	wr(&r, DLM, 0x00);
	CHECK_EQ(rd(&r, DLL), 0x01);
	CHECK_EQ(rd(&r, DLM), 0x00);
	wr(&r, LCR, 0x03);
	CHECK_EQ(rd(&r, LCR), 0x03);
	/* With DLAB clear, offsets 0/1 are RBR/IER again. */
	CHECK_EQ(rd(&r, IER), 0);
	wr(&r, FCR, 0x07);	/* enable + clear both */
	wr(&r, MCR, 0x0b);	/* DTR RTS OUT2 */
	CHECK_EQ(rd(&r, MCR), 0x0b);
	CHECK_EQ(rd(&r, MSR) & 0xf0, 0xb0);	/* CTS DSR DCD, not looped */
	CHECK_EQ(rd(&r, LSR), 0x60);		/* THRE TEMT, no data */
	CHECK_EQ(rd(&r, IIR), 0xc1);
	/* The IER test pulsed THRE once; the line ended low. */
	CHECK_EQ(r.irq.rises, 1);
	CHECK_EQ(r.irq.level, 0);
	serial_destroy(r.s);
}

static void test_transmit(void)
{
	struct rig r;
	const char *msg = "Linux version";

	rig_init(&r);
	for (const char *p = msg; *p; p++) {
		CHECK(rd(&r, LSR) & 0x20);
		wr(&r, THR, (uint8_t)*p);
	}
	CHECK_EQ(r.sink.len, strlen(msg));
	CHECK(memcmp(r.sink.buf, msg, strlen(msg)) == 0);
	CHECK_EQ(rd(&r, LSR) & 0x61, 0x60);
	/* DLAB set: offset 0 is DLL, nothing is transmitted. */
	wr(&r, LCR, 0x80);
	wr(&r, THR, 'x');
	CHECK_EQ(r.sink.len, strlen(msg));
	serial_destroy(r.s);
}

static void test_loopback(void)
{
	struct rig r;

	rig_init(&r);
	wr(&r, FCR, 0x01);
	wr(&r, MCR, 0x10);
	wr(&r, THR, 'x');
	CHECK_EQ(r.sink.len, 0);
	CHECK_EQ(rd(&r, LSR) & 0x01, 1);
	CHECK_EQ(rd(&r, RBR), 'x');
	CHECK_EQ(rd(&r, LSR) & 0x01, 0);
	/* MSR mirrors MCR: DTR->DSR, RTS->CTS, OUT1->RI, OUT2->DCD. */
	wr(&r, MCR, 0x10 | 0x01);
	CHECK_EQ(rd(&r, MSR) & 0xf0, 0x20);
	wr(&r, MCR, 0x10 | 0x02);
	CHECK_EQ(rd(&r, MSR) & 0xf0, 0x10);
	wr(&r, MCR, 0x10 | 0x04);
	CHECK_EQ(rd(&r, MSR) & 0xf0, 0x40);
	wr(&r, MCR, 0x10 | 0x08);
	CHECK_EQ(rd(&r, MSR), 0x80 | 0x08 | 0x04);	/* DCD, DDCD, TERI (RI fell) */
	CHECK_EQ(rd(&r, MSR), 0x80);		/* deltas clear on read */
	/* Overrun: the 16-byte FIFO fills, the 17th byte is lost. */
	for (int i = 0; i < 17; i++)
		wr(&r, THR, (uint8_t)('a' + i));
	CHECK_EQ(rd(&r, LSR), 0x63);	/* DR OE THRE TEMT */
	CHECK_EQ(rd(&r, LSR), 0x61);	/* OE cleared by the read */
	for (int i = 0; i < 16; i++)
		CHECK_EQ(rd(&r, RBR), 'a' + i);
	CHECK_EQ(rd(&r, LSR) & 0x01, 0);
	/* Loopback disconnects the input: the host's bytes wait. */
	CHECK_EQ(serial_rx_space(r.s), 0);
	CHECK_EQ(serial_receive(r.s, (const uint8_t *)"q", 1), 0);
	/* FIFOs off: the FIFO is one byte. */
	wr(&r, FCR, 0x00);
	wr(&r, THR, '1');
	wr(&r, THR, '2');
	CHECK_EQ(rd(&r, LSR), 0x63);
	CHECK_EQ(rd(&r, RBR), '1');
	CHECK_EQ(r.sink.len, 0);
	serial_destroy(r.s);
}

static void test_rx_interrupts(void)
{
	struct rig r;
	uint8_t b = 'a';

	rig_init(&r);
	wr(&r, FCR, 0x07);
	wr(&r, MCR, 0x0b);
	/* Receive with only RDI enabled. */
	wr(&r, IER, 0x01);
	CHECK_EQ(r.irq.level, 0);
	CHECK_EQ(serial_receive(r.s, &b, 1), 1);
	CHECK_EQ(r.irq.level, 1);
	CHECK_EQ(r.irq.gsi, LAYOUT_IRQ_COM1);
	CHECK_EQ(rd(&r, IIR), 0xc4);
	CHECK_EQ(rd(&r, IIR), 0xc4);	/* RDI stays until the data is read */
	CHECK_EQ(rd(&r, RBR), 'a');
	CHECK_EQ(r.irq.level, 0);
	CHECK_EQ(rd(&r, IIR), 0xc1);
	CHECK_EQ(r.irq.rises, 1);

	/* Priorities: line status > received data > THRE > modem status. */
	wr(&r, IER, 0x0f);	/* THRE becomes pending (THR empty) */
	CHECK_EQ(r.irq.level, 1);
	CHECK_EQ(r.irq.rises, 2);
	wr(&r, MCR, 0x13);	/* loopback without OUT2: DCD drops -> DDCD */
	for (int i = 0; i < 17; i++)
		wr(&r, THR, (uint8_t)('a' + i));	/* the 17th overruns */
	CHECK_EQ(r.irq.level, 1);
	CHECK_EQ(rd(&r, IIR), 0xc6);
	CHECK_EQ(rd(&r, LSR) & 0x03, 0x03);
	CHECK_EQ(rd(&r, IIR), 0xc4);
	for (int i = 0; i < 16; i++)
		rd(&r, RBR);
	CHECK_EQ(rd(&r, IIR), 0xc2);	/* THRE; reading IIR acknowledges it */
	CHECK_EQ(rd(&r, IIR), 0xc0);	/* modem status */
	CHECK_EQ(r.irq.level, 1);
	rd(&r, MSR);
	CHECK_EQ(rd(&r, IIR), 0xc1);
	CHECK_EQ(r.irq.level, 0);
	/* The level stayed high throughout: still only two rising edges. */
	CHECK_EQ(r.irq.rises, 2);
	CHECK_EQ(r.irq.redundant, 0);
	serial_destroy(r.s);
}

static void test_fifo_paste(void)
{
	struct rig r;
	uint8_t paste[5000], got[5000];
	size_t n = 0;

	rig_init(&r);
	for (size_t i = 0; i < sizeof(paste); i++)
		paste[i] = (uint8_t)(i * 7 + 3);
	wr(&r, FCR, 0x01);
	CHECK_EQ(serial_rx_space(r.s), 4096);
	CHECK_EQ(serial_receive(r.s, paste, 100), 100);
	CHECK_EQ(serial_rx_space(r.s), 4096 - 100);
	/* A FIFO reset drops only what the guest can see: 16 bytes. */
	wr(&r, FCR, 0x03);
	CHECK_EQ(serial_rx_space(r.s), 4096 - 84);
	while (rd(&r, LSR) & 0x01)
		got[n++] = rd(&r, RBR);
	CHECK_EQ(n, 84);
	CHECK(memcmp(got, paste + 16, 84) == 0);
	/* A paste larger than the buffer: only what fits is accepted. */
	CHECK_EQ(serial_receive(r.s, paste, sizeof(paste)), 4096);
	CHECK_EQ(serial_rx_space(r.s), 0);
	CHECK_EQ(serial_receive(r.s, paste, 1), 0);
	n = 0;
	while ((rd(&r, LSR) & 0x01) && n < sizeof(got))
		got[n++] = rd(&r, RBR);
	CHECK_EQ(n, 4096);
	CHECK(memcmp(got, paste, 4096) == 0);
	CHECK_EQ(serial_rx_space(r.s), 4096);
	/* FIFOs disabled: a reset drops one byte. */
	wr(&r, FCR, 0x00);
	serial_receive(r.s, paste, 3);
	wr(&r, FCR, 0x02);
	CHECK_EQ(serial_rx_space(r.s), 4096 - 2);
	CHECK_EQ(rd(&r, RBR), paste[1]);
	/* Enabling the FIFO resets it (drops the one visible byte). */
	wr(&r, FCR, 0x01);
	CHECK_EQ(serial_rx_space(r.s), 4096);
	serial_destroy(r.s);
}

static void test_thre_cycle(void)
{
	struct rig r;

	rig_init(&r);
	wr(&r, FCR, 0x07);
	/* Linux's THRE test: enabling THRI raises THRE at once. */
	wr(&r, IER, 0x02);
	CHECK_EQ(r.irq.level, 1);
	CHECK_EQ(rd(&r, IIR), 0xc2);
	CHECK_EQ(r.irq.level, 0);
	CHECK_EQ(rd(&r, IIR), 0xc1);
	/* Re-enabling re-samples THRE (rising edge of IER.THRI). */
	wr(&r, IER, 0x00);
	wr(&r, IER, 0x02);
	CHECK_EQ(rd(&r, IIR), 0xc2);
	/* Each transmit makes the THR empty again: a new edge per byte. */
	for (int i = 0; i < 3; i++) {
		int rises = r.irq.rises;

		wr(&r, THR, (uint8_t)('0' + i));
		CHECK_EQ(r.irq.level, 1);
		CHECK_EQ(r.irq.rises, rises + 1);
		CHECK_EQ(rd(&r, IIR), 0xc2);
		CHECK_EQ(r.irq.level, 0);
	}
	/* Disabling THRI drops a pending THRE. */
	wr(&r, THR, 'x');
	CHECK_EQ(r.irq.level, 1);
	wr(&r, IER, 0x00);
	CHECK_EQ(r.irq.level, 0);
	CHECK_EQ(r.sink.len, 4);
	CHECK_EQ(r.irq.redundant, 0);
	serial_destroy(r.s);
}

static void test_access_widths(void)
{
	struct rig r;
	uint32_t v32 = 0;
	uint64_t v64 = 0;
	uint16_t w = 0x1234;

	rig_init(&r);
	wr(&r, SCR, 0x42);
	serial_ops.read(r.s, SCR, &v32, 4);
	CHECK_EQ(v32, 0xffffff42);
	serial_ops.read(r.s, SCR, &v64, 8);
	CHECK_EQ(v64, 0xffffffffffffff42ULL);
	serial_ops.write(r.s, SCR, &w, 2);	/* acts on the first byte */
	CHECK_EQ(rd(&r, SCR), 0x34);
	serial_ops.read(r.s, 8, &v32, 4);	/* outside the range */
	CHECK_EQ(v32, 0xffffffff);
	serial_ops.write(r.s, 100, &w, 2);
	serial_destroy(r.s);
}

struct thread_arg {
	struct rig *r;
	int id;
};

static void *writer_thread(void *p)
{
	struct thread_arg *a = p;

	for (int i = 0; i < 1000; i++) {
		uint8_t b = (uint8_t)a->id;

		serial_ops.write(a->r->s, THR, &b, 1);
		serial_receive(a->r->s, &b, 1);
		serial_ops.read(a->r->s, RBR, &b, 1);
	}
	return NULL;
}

static void test_threads(void)
{
	struct rig r;
	pthread_t t[3];
	struct thread_arg args[3];

	rig_init(&r);
	wr(&r, IER, 0x0f);
	for (int i = 0; i < 3; i++) {
		args[i] = (struct thread_arg){ .r = &r, .id = i };
		pthread_create(&t[i], NULL, writer_thread, &args[i]);
	}
	for (int i = 0; i < 3; i++)
		pthread_join(t[i], NULL);
	CHECK_EQ(r.sink.len, 3000);
	CHECK_EQ(r.irq.redundant, 0);
	serial_destroy(r.s);
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static void test_random_access(void)
{
	static const uint32_t widths[] = { 1, 2, 4, 8 };
	struct rig r;

	rig_init(&r);
	for (int i = 0; i < 300000; i++) {
		uint64_t x = test_rand(&rng_state), val = test_rand(&rng_state);
		uint64_t off = x % 10;
		uint32_t len = widths[(x >> 8) % 4];

		if (off + len > SERIAL_PORT_LEN && (x >> 12) % 2)
			off = SERIAL_PORT_LEN - 1;
		switch ((x >> 16) % 8) {
		case 0:
			serial_receive(r.s, (const uint8_t *)&val, (x >> 20) % 9);
			break;
		case 1:
			CHECK(serial_rx_space(r.s) <= 4096);
			break;
		case 2: case 3: case 4:
			serial_ops.write(r.s, off, &val, len);
			break;
		default:
			serial_ops.read(r.s, off, &val, len);
			break;
		}
	}
	CHECK_EQ(r.irq.redundant, 0);
	serial_destroy(r.s);
}

TEST_MAIN(test_linux_init, test_transmit, test_loopback, test_rx_interrupts, test_fifo_paste,
	  test_thre_cycle, test_access_widths, test_threads, test_random_access)
