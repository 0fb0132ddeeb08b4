/* SPDX-License-Identifier: MIT */
/*
 * i8042 keyboard controller with a keyboard that ACKs its commands but never
 * types, and no mouse. Enough for Linux's i8042/atkbd probe, and the reset
 * line (command 0xfe, or an output-port write with bit 0 clear) requests
 * POWER_EVENT_RESET.
 *
 * Output: a short queue whose head is the output buffer (status OBF). Each
 * time a byte reaches the output buffer and the command byte enables the
 * keyboard interrupt, kbd_irq is pulsed (1 then 0: an edge for the IOAPIC).
 * There is no AUX interrupt line: bytes the guest loops back with 0xd3 appear
 * with status AUX_OBF but raise no IRQ 12, so Linux's AUX IRQ test fails
 * (after its 250 ms wait) and no mouse port is registered; boot the guest
 * with i8042.noaux to skip that.
 *
 * Port offsets: 0 = 0x60 data, 4 = 0x64 status/command; 1-3 read as 0xff.
 * The power handler is called after the device mutex is dropped.
 */
#include "devices/legacy/legacy.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "devices/legacy/legacy_io.h"
#include "snapshot/snap_buf.h"

#define I8042_DATA	0
#define I8042_CMD	4

#define I8042_QUEUE_LEN	16

/* Status register. */
#define STR_OBF		0x01
#define STR_IBF		0x02
#define STR_SYS		0x04
#define STR_CMD		0x08	/* last write went to the command port */
#define STR_UNLOCKED	0x10
#define STR_AUX_OBF	0x20

/* Command byte. */
#define CTR_KBDINT	0x01
#define CTR_AUXINT	0x02
#define CTR_SYS		0x04
#define CTR_KBDDIS	0x10
#define CTR_AUXDIS	0x20
#define CTR_XLATE	0x40

/* Output port. */
#define OUTP_RESET	0x01	/* 0 = assert CPU reset */
#define OUTP_A20	0x02
#define OUTP_OBF	0x10
#define OUTP_AUX_OBF	0x20

/* Controller commands. */
#define CMD_READ_CTR	0x20
#define CMD_WRITE_CTR	0x60
#define CMD_AUX_DISABLE	0xa7
#define CMD_AUX_ENABLE	0xa8
#define CMD_AUX_TEST	0xa9
#define CMD_SELF_TEST	0xaa
#define CMD_KBD_TEST	0xab
#define CMD_KBD_DISABLE	0xad
#define CMD_KBD_ENABLE	0xae
#define CMD_READ_INP	0xc0
#define CMD_READ_OUTP	0xd0
#define CMD_WRITE_OUTP	0xd1
#define CMD_WRITE_KBD_OBUF 0xd2
#define CMD_WRITE_AUX_OBUF 0xd3
#define CMD_WRITE_AUX	0xd4
#define CMD_READ_TEST	0xe0
#define CMD_PULSE_FIRST	0xf0	/* 0xf0-0xff pulse output port bits 0-3 */

/* Keyboard commands and replies. */
#define KBD_CMD_SET_LEDS	0xed
#define KBD_CMD_ECHO		0xee
#define KBD_CMD_SCANSET		0xf0
#define KBD_CMD_IDENTIFY	0xf2
#define KBD_CMD_TYPEMATIC	0xf3
#define KBD_CMD_RESET		0xff
#define KBD_REPLY_ACK		0xfa
#define KBD_REPLY_POR		0xaa	/* power-on reset (self test) passed */

/* Guest-visible state; plain fixed-width data for snapshots. */
struct i8042_state {
	uint8_t status;		/* SYS, CMD, UNLOCKED; OBF bits follow the queue */
	uint8_t ctr;		/* command byte */
	uint8_t outp;		/* output port */
	uint8_t ctrl_param_cmd;	/* controller command awaiting its data byte, or 0 */
	uint8_t kbd_param_cmd;	/* keyboard command awaiting its parameter, or 0 */
	uint8_t scanset;
	uint8_t last_data;	/* what port 0x60 reads when the queue is empty */
	uint8_t queue_len;	/* a restore must check <= I8042_QUEUE_LEN */
	uint16_t queue_aux;	/* bit i: queue[i] came from the AUX side */
	uint8_t queue[I8042_QUEUE_LEN];
};

struct i8042 {
	pthread_mutex_t lock;
	struct i8042_state st;
	struct irq_line kbd_irq;
	struct power_handler power;
};

static uint8_t i8042_status(const struct i8042 *dev)
{
	const struct i8042_state *st = &dev->st;
	uint8_t status = st->status & ~(STR_OBF | STR_AUX_OBF | STR_IBF);

	if (st->queue_len) {
		status |= STR_OBF;
		if (st->queue_aux & 1)
			status |= STR_AUX_OBF;
	}
	return status;
}

/* A byte just reached the output buffer. */
static void i8042_notify(struct i8042 *dev)
{
	if (!dev->st.queue_len || (dev->st.queue_aux & 1))
		return;
	if (dev->st.ctr & CTR_KBDINT) {
		irq_line_set(&dev->kbd_irq, 1);
		irq_line_set(&dev->kbd_irq, 0);
	}
}

static void i8042_queue_push(struct i8042 *dev, uint8_t byte, bool aux)
{
	struct i8042_state *st = &dev->st;

	if (st->queue_len >= I8042_QUEUE_LEN)
		return;	/* the guest is not reading its replies: drop */
	st->queue[st->queue_len] = byte;
	if (aux)
		st->queue_aux |= 1u << st->queue_len;
	st->queue_len++;
	if (st->queue_len == 1)
		i8042_notify(dev);
}

static uint8_t i8042_queue_pop(struct i8042 *dev)
{
	struct i8042_state *st = &dev->st;

	if (!st->queue_len)
		return st->last_data;
	st->last_data = st->queue[0];
	st->queue_len--;
	memmove(st->queue, st->queue + 1, st->queue_len);
	st->queue_aux >>= 1;
	i8042_notify(dev);
	return st->last_data;
}

static void i8042_write_ctr(struct i8042 *dev, uint8_t val)
{
	dev->st.ctr = val;
	if (val & CTR_SYS)
		dev->st.status |= STR_SYS;
	else
		dev->st.status &= ~STR_SYS;
	/* Enabling the interrupt with a byte waiting raises it now. */
	i8042_notify(dev);
}

/* Returns true if the write asserts the CPU reset line. */
static bool i8042_write_outp(struct i8042 *dev, uint8_t val)
{
	dev->st.outp = val & ~(OUTP_OBF | OUTP_AUX_OBF);
	return !(val & OUTP_RESET);
}

static uint8_t i8042_read_outp(const struct i8042 *dev)
{
	uint8_t status = i8042_status(dev);
	uint8_t val = dev->st.outp;

	if (status & STR_AUX_OBF)
		val |= OUTP_AUX_OBF;
	else if (status & STR_OBF)
		val |= OUTP_OBF;
	return val;
}

static void i8042_kbd_command(struct i8042 *dev, uint8_t val)
{
	struct i8042_state *st = &dev->st;
	uint8_t cmd = st->kbd_param_cmd;

	if (cmd) {
		st->kbd_param_cmd = 0;
		i8042_queue_push(dev, KBD_REPLY_ACK, false);
		if (cmd == KBD_CMD_SCANSET) {
			if (val == 0)
				i8042_queue_push(dev, st->scanset, false);
			else if (val <= 3)
				st->scanset = val;
		}
		return;
	}
	switch (val) {
	case KBD_CMD_SET_LEDS:
	case KBD_CMD_SCANSET:
	case KBD_CMD_TYPEMATIC:
		st->kbd_param_cmd = val;
		i8042_queue_push(dev, KBD_REPLY_ACK, false);
		break;
	case KBD_CMD_ECHO:
		i8042_queue_push(dev, KBD_CMD_ECHO, false);
		break;
	case KBD_CMD_IDENTIFY:
		i8042_queue_push(dev, KBD_REPLY_ACK, false);
		i8042_queue_push(dev, 0xab, false);
		i8042_queue_push(dev, 0x83, false);
		break;
	case KBD_CMD_RESET:
		st->scanset = 2;
		i8042_queue_push(dev, KBD_REPLY_ACK, false);
		i8042_queue_push(dev, KBD_REPLY_POR, false);
		break;
	default:
		/* Enable/disable scanning, defaults, typematic modes... */
		i8042_queue_push(dev, KBD_REPLY_ACK, false);
		break;
	}
}

/* A data-port write; returns true if it asserts the CPU reset line. */
static bool i8042_write_data(struct i8042 *dev, uint8_t val)
{
	struct i8042_state *st = &dev->st;
	uint8_t cmd = st->ctrl_param_cmd;

	st->status &= ~STR_CMD;
	st->ctrl_param_cmd = 0;
	switch (cmd) {
	case CMD_WRITE_CTR:
		i8042_write_ctr(dev, val);
		break;
	case CMD_WRITE_OUTP:
		return i8042_write_outp(dev, val);
	case CMD_WRITE_KBD_OBUF:
		i8042_queue_push(dev, val, false);
		break;
	case CMD_WRITE_AUX_OBUF:
		i8042_queue_push(dev, val, true);
		break;
	case CMD_WRITE_AUX:
		break;	/* no mouse: the byte goes nowhere */
	default:
		/* Writing the keyboard re-enables its interface, as on real parts. */
		st->ctr &= ~CTR_KBDDIS;
		i8042_kbd_command(dev, val);
		break;
	}
	return false;
}

/* A command-port write; returns true if it asserts the CPU reset line. */
static bool i8042_write_command(struct i8042 *dev, uint8_t val)
{
	struct i8042_state *st = &dev->st;

	st->status |= STR_CMD;
	st->ctrl_param_cmd = 0;
	if (val >= CMD_PULSE_FIRST)
		return !(val & OUTP_RESET);	/* 0xfe pulses the reset line */
	if (val >= CMD_READ_CTR && val < CMD_READ_CTR + 0x20) {
		/* Only RAM byte 0, the command byte, means anything. */
		i8042_queue_push(dev, val == CMD_READ_CTR ? st->ctr : 0, false);
		return false;
	}
	switch (val) {
	case CMD_WRITE_CTR:
	case CMD_WRITE_OUTP:
	case CMD_WRITE_KBD_OBUF:
	case CMD_WRITE_AUX_OBUF:
	case CMD_WRITE_AUX:
		st->ctrl_param_cmd = val;
		break;
	case CMD_AUX_DISABLE:
		st->ctr |= CTR_AUXDIS;
		break;
	case CMD_AUX_ENABLE:
		st->ctr &= ~CTR_AUXDIS;
		break;
	case CMD_AUX_TEST:
		i8042_queue_push(dev, 0x00, false);
		break;
	case CMD_SELF_TEST:
		st->status |= STR_SYS;
		i8042_queue_push(dev, 0x55, false);
		break;
	case CMD_KBD_TEST:
		i8042_queue_push(dev, 0x00, false);
		break;
	case CMD_KBD_DISABLE:
		st->ctr |= CTR_KBDDIS;
		break;
	case CMD_KBD_ENABLE:
		st->ctr &= ~CTR_KBDDIS;
		break;
	case CMD_READ_INP:
		i8042_queue_push(dev, 0x80, false);	/* keyboard not inhibited */
		break;
	case CMD_READ_OUTP:
		i8042_queue_push(dev, i8042_read_outp(dev), false);
		break;
	case CMD_READ_TEST:
		i8042_queue_push(dev, 0x00, false);
		break;
	default:
		log_guest("i8042: unsupported controller command 0x%02x", val);
		break;
	}
	return false;
}

static void i8042_read(void *opaque, uint64_t offset, void *data, uint32_t len)
{
	struct i8042 *dev = opaque;
	uint8_t val = 0xff;

	pthread_mutex_lock(&dev->lock);
	if (offset == I8042_DATA)
		val = i8042_queue_pop(dev);
	else if (offset == I8042_CMD)
		val = i8042_status(dev);
	pthread_mutex_unlock(&dev->lock);
	legacy_io_fill(data, len, val);
}

static void i8042_write(void *opaque, uint64_t offset, const void *data, uint32_t len)
{
	struct i8042 *dev = opaque;
	uint8_t val = legacy_io_byte(data, len);
	bool reset = false;

	if (!len || (offset != I8042_DATA && offset != I8042_CMD))
		return;
	pthread_mutex_lock(&dev->lock);
	if (offset == I8042_DATA)
		reset = i8042_write_data(dev, val);
	else
		reset = i8042_write_command(dev, val);
	pthread_mutex_unlock(&dev->lock);
	if (reset)
		power_request(&dev->power, POWER_EVENT_RESET);
}

const struct bus_dev_ops i8042_ops = {
	.read = i8042_read,
	.write = i8042_write,
};

struct i8042 *i8042_create(struct irq_line kbd_irq, struct power_handler power)
{
	struct i8042 *dev = calloc(1, sizeof(*dev));

	if (!dev)
		return NULL;
	if (pthread_mutex_init(&dev->lock, NULL))
		goto out_free;
	dev->kbd_irq = kbd_irq;
	dev->power = power;
	/* As firmware leaves it: POST done, translation on, mouse off. */
	dev->st.status = STR_SYS | STR_UNLOCKED;
	dev->st.ctr = CTR_KBDINT | CTR_SYS | CTR_AUXDIS | CTR_XLATE;
	dev->st.outp = OUTP_RESET | OUTP_A20;
	dev->st.scanset = 2;
	return dev;

out_free:
	free(dev);
	return NULL;
}

void i8042_destroy(struct i8042 *dev)
{
	if (!dev)
		return;
	pthread_mutex_destroy(&dev->lock);
	free(dev);
}

void i8042_save(struct i8042 *dev, struct snap_writer *w)
{
	pthread_mutex_lock(&dev->lock);
	snap_put(w, &dev->st, sizeof(dev->st));
	pthread_mutex_unlock(&dev->lock);
}

int i8042_load(struct i8042 *dev, struct snap_reader *r)
{
	struct i8042_state st;

	if (snap_get_exact(r, &st, sizeof(st)))
		return -EINVAL;
	if (st.queue_len > I8042_QUEUE_LEN)
		return -EINVAL;
	pthread_mutex_lock(&dev->lock);
	dev->st = st;
	pthread_mutex_unlock(&dev->lock);
	return 0;
}
