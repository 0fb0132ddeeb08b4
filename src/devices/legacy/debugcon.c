/* SPDX-License-Identifier: MIT */
/* The debug console port: bytes in, log lines out. See debugcon.h. */
#include "devices/legacy/debugcon.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"

struct debugcon {
	pthread_mutex_t lock;
	const char *prefix;
	char line[DEBUGCON_LINE_MAX + 1];
	size_t len;
};

struct debugcon *debugcon_create(const char *prefix)
{
	struct debugcon *dc = calloc(1, sizeof(*dc));

	if (!dc)
		return NULL;
	if (pthread_mutex_init(&dc->lock, NULL)) {
		free(dc);
		return NULL;
	}
	dc->prefix = prefix;
	return dc;
}

/* Called with the lock held. */
static void debugcon_flush(struct debugcon *dc)
{
	if (!dc->len)
		return;
	dc->line[dc->len] = '\0';
	log_debug("%s: %s", dc->prefix, dc->line);
	dc->len = 0;
}

void debugcon_destroy(struct debugcon *dc)
{
	if (!dc)
		return;
	debugcon_flush(dc);
	pthread_mutex_destroy(&dc->lock);
	free(dc);
}

static void debugcon_read(void *opaque, uint64_t offset, void *data, uint32_t len)
{
	memset(data, 0xff, len);
	*(uint8_t *)data = DEBUGCON_READBACK;
}

static void debugcon_write(void *opaque, uint64_t offset, const void *data, uint32_t len)
{
	struct debugcon *dc = opaque;
	char c;

	if (!len)
		return;
	c = *(const char *)data;
	pthread_mutex_lock(&dc->lock);
	if (c == '\n' || dc->len == DEBUGCON_LINE_MAX)
		debugcon_flush(dc);
	/* Only printable text reaches the log: the guest writes what it likes. */
	if (c != '\n' && c != '\r')
		dc->line[dc->len++] = (c >= 0x20 && c < 0x7f) ? c : '.';
	pthread_mutex_unlock(&dc->lock);
}

const struct bus_dev_ops debugcon_ops = { .read = debugcon_read, .write = debugcon_write };
