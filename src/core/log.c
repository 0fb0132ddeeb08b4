/* SPDX-License-Identifier: MIT */
#include "core/log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>

#include "core/clock.h"

#define RATELIMIT_INTERVAL_NS (5ULL * 1000 * 1000 * 1000)
#define RATELIMIT_BURST 10

static enum log_level log_level = LOG_WARN;
static pthread_mutex_t ratelimit_lock = PTHREAD_MUTEX_INITIALIZER;

void log_set_level(enum log_level level)
{
	log_level = level;
}

bool log_enabled(enum log_level level)
{
	return level <= log_level;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	static const char *const names[] = { "error", "warning", "info", "debug" };
	char line[1024];
	va_list ap;
	int n;

	if (level > log_level)
		return;
	n = snprintf(line, sizeof(line), "vessel: %s: ", names[level]);
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	va_end(ap);
	/* One fputs per line so lines from different threads do not interleave. */
	fprintf(stderr, "%s\n", line);
}

bool log_ratelimit_allow(struct log_ratelimit *rl)
{
	uint64_t now = clock_monotonic_ns();
	bool allow;

	pthread_mutex_lock(&ratelimit_lock);
	if (now - rl->window_start_ns > RATELIMIT_INTERVAL_NS) {
		if (rl->suppressed)
			fprintf(stderr, "vessel: %u similar messages suppressed\n", rl->suppressed);
		rl->window_start_ns = now;
		rl->printed = 0;
		rl->suppressed = 0;
	}
	allow = rl->printed < RATELIMIT_BURST;
	if (allow)
		rl->printed++;
	else
		rl->suppressed++;
	pthread_mutex_unlock(&ratelimit_lock);
	return allow;
}
