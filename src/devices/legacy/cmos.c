/* SPDX-License-Identifier: MIT */
/*
 * MC146818 RTC and CMOS RAM behind the index (0x70) / data (0x71) ports.
 *
 * Time registers (0x00-0x09, century 0x32) read the host's UTC wall clock
 * plus a guest offset, in BCD or binary (register B DM) and 24 or 12 h
 * (register B bit 1; 12 h sets bit 7 of the hour for PM). While register B
 * SET is set the clock is frozen in the time registers and guest writes land
 * there; clearing SET turns them back into an offset from host time (decoded
 * with the DM/24h mode in force at that moment). A time write with SET clear
 * takes effect at once, the same way.
 *
 * Register A reports UIP during the last 244 us of each host second; its
 * divider/rate bits are writable. Register C reads (and clears) 0, D always
 * reports VRT (battery good).
 *
 * Not modelled yet: the periodic, alarm and update-ended interrupts (the irq
 * line is kept for them) and daylight-saving. The index port's NMI-disable
 * bit is kept but has no effect.
 */
#include "devices/legacy/legacy.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#include "devices/legacy/legacy_io.h"
#include "snapshot/snap_buf.h"

#define CMOS_INDEX	0
#define CMOS_DATA	1
#define CMOS_NMI_DISABLE 0x80

#define RTC_SECONDS	0x00
#define RTC_MINUTES	0x02
#define RTC_HOURS	0x04
#define RTC_DAY_OF_WEEK	0x06
#define RTC_DAY_OF_MONTH 0x07
#define RTC_MONTH	0x08
#define RTC_YEAR	0x09
#define RTC_REG_A	0x0a
#define RTC_REG_B	0x0b
#define RTC_REG_C	0x0c
#define RTC_REG_D	0x0d
#define RTC_CENTURY	0x32

#define REG_A_UIP	0x80
#define REG_B_SET	0x80
#define REG_B_UIE	0x10
#define REG_B_DM_BINARY	0x04
#define REG_B_24H	0x02
#define REG_D_VRT	0x80
#define HOUR_PM		0x80

/* Memory-size bytes read by firmware. */
#define CMOS_BASE_MEM_LO	0x15
#define CMOS_BASE_MEM_HI	0x16
#define CMOS_EXT_MEM_LO		0x17
#define CMOS_EXT_MEM_HI		0x18
#define CMOS_EXT_MEM2_LO	0x30
#define CMOS_EXT_MEM2_HI	0x31
#define CMOS_MEM_16M_LO		0x34
#define CMOS_MEM_16M_HI		0x35
#define CMOS_MEM_4G_LO		0x5b	/* 24 bits: 0x5b-0x5d */

#define CMOS_RAM_LEN	128
#define UIP_WINDOW_NS	244000

/* Guest-visible state; plain fixed-width data for snapshots. */
struct cmos_state {
	uint8_t index;		/* including the NMI-disable bit */
	uint8_t ram[CMOS_RAM_LEN];	/* time registers hold the frozen time while SET */
	int64_t offset_s;	/* guest time minus host time */
};

struct cmos {
	pthread_mutex_t lock;
	struct cmos_state st;
	struct irq_line irq;	/* for the interrupts not modelled yet */
};

static bool cmos_is_time_reg(uint8_t reg)
{
	switch (reg) {
	case RTC_SECONDS:
	case RTC_MINUTES:
	case RTC_HOURS:
	case RTC_DAY_OF_WEEK:
	case RTC_DAY_OF_MONTH:
	case RTC_MONTH:
	case RTC_YEAR:
	case RTC_CENTURY:
		return true;
	}
	return false;
}

static bool cmos_binary(const struct cmos *c)
{
	return c->st.ram[RTC_REG_B] & REG_B_DM_BINARY;
}

static uint8_t cmos_encode(const struct cmos *c, int val)
{
	val %= 100;
	if (val < 0)
		val += 100;
	return cmos_binary(c) ? (uint8_t)val : (uint8_t)(((val / 10) << 4) | (val % 10));
}

static int cmos_decode(const struct cmos *c, uint8_t val)
{
	return cmos_binary(c) ? val : (val >> 4) * 10 + (val & 0x0f);
}

static void cmos_host_time(struct timespec *ts)
{
	clock_gettime(CLOCK_REALTIME, ts);
}

/* Writes the guest's current time into the time registers. */
static void cmos_latch_time(struct cmos *c)
{
	uint8_t *ram = c->st.ram;
	struct timespec ts;
	struct tm tm;
	time_t t;
	int hour;

	cmos_host_time(&ts);
	t = (time_t)((int64_t)ts.tv_sec + c->st.offset_s);
	if (!gmtime_r(&t, &tm)) {
		t = 0;
		gmtime_r(&t, &tm);
	}
	ram[RTC_SECONDS] = cmos_encode(c, tm.tm_sec);
	ram[RTC_MINUTES] = cmos_encode(c, tm.tm_min);
	if (ram[RTC_REG_B] & REG_B_24H) {
		ram[RTC_HOURS] = cmos_encode(c, tm.tm_hour);
	} else {
		hour = tm.tm_hour % 12;
		ram[RTC_HOURS] = cmos_encode(c, hour ? hour : 12);
		if (tm.tm_hour >= 12)
			ram[RTC_HOURS] |= HOUR_PM;
	}
	ram[RTC_DAY_OF_WEEK] = cmos_encode(c, tm.tm_wday + 1);
	ram[RTC_DAY_OF_MONTH] = cmos_encode(c, tm.tm_mday);
	ram[RTC_MONTH] = cmos_encode(c, tm.tm_mon + 1);
	ram[RTC_YEAR] = cmos_encode(c, tm.tm_year + 1900);
	ram[RTC_CENTURY] = cmos_encode(c, (tm.tm_year + 1900) / 100);
}

/* Turns the time registers back into an offset from host time. */
static void cmos_commit_time(struct cmos *c)
{
	const uint8_t *ram = c->st.ram;
	struct timespec ts;
	struct tm tm = { 0 };
	int hour;
	time_t t;

	if (ram[RTC_REG_B] & REG_B_24H) {
		hour = cmos_decode(c, ram[RTC_HOURS]);
	} else {
		hour = cmos_decode(c, ram[RTC_HOURS] & ~HOUR_PM) % 12;
		if (ram[RTC_HOURS] & HOUR_PM)
			hour += 12;
	}
	tm.tm_sec = cmos_decode(c, ram[RTC_SECONDS]);
	tm.tm_min = cmos_decode(c, ram[RTC_MINUTES]);
	tm.tm_hour = hour;
	tm.tm_mday = cmos_decode(c, ram[RTC_DAY_OF_MONTH]);
	tm.tm_mon = cmos_decode(c, ram[RTC_MONTH]) - 1;
	tm.tm_year = cmos_decode(c, ram[RTC_CENTURY]) * 100 +
		     cmos_decode(c, ram[RTC_YEAR]) - 1900;
	/* Garbage fields (bad BCD, month 0) just normalise; timegm cannot overflow here. */
	t = timegm(&tm);
	cmos_host_time(&ts);
	c->st.offset_s = (int64_t)t - (int64_t)ts.tv_sec;
}

static uint8_t cmos_reg_a(const struct cmos *c)
{
	uint8_t val = c->st.ram[RTC_REG_A] & ~REG_A_UIP;
	struct timespec ts;

	if (c->st.ram[RTC_REG_B] & REG_B_SET)
		return val;
	cmos_host_time(&ts);
	if (ts.tv_nsec >= 1000000000L - UIP_WINDOW_NS)
		val |= REG_A_UIP;
	return val;
}

static uint8_t cmos_read_data(struct cmos *c)
{
	uint8_t reg = c->st.index & ~CMOS_NMI_DISABLE;
	uint8_t *ram = c->st.ram;
	uint8_t val;

	if (cmos_is_time_reg(reg) && !(ram[RTC_REG_B] & REG_B_SET)) {
		cmos_latch_time(c);
		return ram[reg];
	}
	switch (reg) {
	case RTC_REG_A:
		return cmos_reg_a(c);
	case RTC_REG_C:
		val = ram[RTC_REG_C];
		ram[RTC_REG_C] = 0;
		return val;
	case RTC_REG_D:
		return REG_D_VRT;
	}
	return ram[reg];
}

static void cmos_write_reg_b(struct cmos *c, uint8_t val)
{
	uint8_t old = c->st.ram[RTC_REG_B];

	if ((val & REG_B_SET) && !(old & REG_B_SET)) {
		cmos_latch_time(c);	/* freeze in the old format */
		val &= ~REG_B_UIE;	/* SET clears UIE on the MC146818 */
	}
	c->st.ram[RTC_REG_B] = val;
	if (!(val & REG_B_SET) && (old & REG_B_SET))
		cmos_commit_time(c);
}

static void cmos_write_data(struct cmos *c, uint8_t val)
{
	uint8_t reg = c->st.index & ~CMOS_NMI_DISABLE;
	uint8_t *ram = c->st.ram;

	if (cmos_is_time_reg(reg)) {
		if (ram[RTC_REG_B] & REG_B_SET) {
			ram[reg] = val;
		} else {
			cmos_latch_time(c);
			ram[reg] = val;
			cmos_commit_time(c);
		}
		return;
	}
	switch (reg) {
	case RTC_REG_A:
		ram[RTC_REG_A] = val & ~REG_A_UIP;
		break;
	case RTC_REG_B:
		cmos_write_reg_b(c, val);
		break;
	case RTC_REG_C:
	case RTC_REG_D:
		break;	/* read-only */
	default:
		ram[reg] = val;
		break;
	}
}

static void cmos_read(void *opaque, uint64_t offset, void *data, uint32_t len)
{
	struct cmos *c = opaque;
	uint8_t val = 0xff;	/* the index port is write-only */

	if (offset == CMOS_DATA) {
		pthread_mutex_lock(&c->lock);
		val = cmos_read_data(c);
		pthread_mutex_unlock(&c->lock);
	}
	legacy_io_fill(data, len, val);
}

static void cmos_write(void *opaque, uint64_t offset, const void *data, uint32_t len)
{
	struct cmos *c = opaque;
	uint8_t val = legacy_io_byte(data, len);

	if (!len || offset >= CMOS_PORT_LEN)
		return;
	pthread_mutex_lock(&c->lock);
	if (offset == CMOS_INDEX)
		c->st.index = val;
	else
		cmos_write_data(c, val);
	pthread_mutex_unlock(&c->lock);
}

const struct bus_dev_ops cmos_ops = {
	.read = cmos_read,
	.write = cmos_write,
};

static void cmos_put16(uint8_t *ram, uint8_t reg, uint64_t val)
{
	if (val > 0xffff)
		val = 0xffff;
	ram[reg] = (uint8_t)val;
	ram[reg + 1] = (uint8_t)(val >> 8);
}

static void cmos_init_mem_size(struct cmos *c, uint64_t ram_below_4g, uint64_t ram_above_4g)
{
	const uint64_t mib = 1024 * 1024;
	uint8_t *ram = c->st.ram;
	uint64_t ext_kib = 0, above_16m = 0, above_4g;

	cmos_put16(ram, CMOS_BASE_MEM_LO, 640);
	if (ram_below_4g > mib)
		ext_kib = (ram_below_4g - mib) / 1024;
	cmos_put16(ram, CMOS_EXT_MEM_LO, ext_kib);
	cmos_put16(ram, CMOS_EXT_MEM2_LO, ext_kib);
	if (ram_below_4g > 16 * mib)
		above_16m = (ram_below_4g - 16 * mib) >> 16;
	cmos_put16(ram, CMOS_MEM_16M_LO, above_16m);
	above_4g = ram_above_4g >> 16;
	if (above_4g > 0xffffff)
		above_4g = 0xffffff;
	ram[CMOS_MEM_4G_LO] = (uint8_t)above_4g;
	ram[CMOS_MEM_4G_LO + 1] = (uint8_t)(above_4g >> 8);
	ram[CMOS_MEM_4G_LO + 2] = (uint8_t)(above_4g >> 16);
}

struct cmos *cmos_create(struct irq_line irq, uint64_t ram_below_4g, uint64_t ram_above_4g)
{
	struct cmos *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	if (pthread_mutex_init(&c->lock, NULL))
		goto out_free;
	c->irq = irq;
	c->st.ram[RTC_REG_A] = 0x26;	/* 32.768 kHz divider, 1024 Hz rate */
	c->st.ram[RTC_REG_B] = REG_B_24H;	/* BCD, 24 h, as PC firmware sets it */
	c->st.ram[RTC_REG_D] = REG_D_VRT;
	cmos_init_mem_size(c, ram_below_4g, ram_above_4g);
	return c;

out_free:
	free(c);
	return NULL;
}

void cmos_destroy(struct cmos *dev)
{
	if (!dev)
		return;
	pthread_mutex_destroy(&dev->lock);
	free(dev);
}

void cmos_save(struct cmos *dev, struct snap_writer *w)
{
	pthread_mutex_lock(&dev->lock);
	snap_put(w, &dev->st, sizeof(dev->st));
	pthread_mutex_unlock(&dev->lock);
}

int cmos_load(struct cmos *dev, struct snap_reader *r)
{
	struct cmos_state st;

	if (snap_get_exact(r, &st, sizeof(st)))
		return -EINVAL;
	pthread_mutex_lock(&dev->lock);
	dev->st = st;
	pthread_mutex_unlock(&dev->lock);
	return 0;
}
